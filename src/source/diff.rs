//! Which files differ between two trees, by blob id: the input to planning.

use gix::ObjectId;
use gix::diff::tree::recorder::Change;
use gix::object::tree::EntryKind;

use super::mirror::chain;

/// Paths of files (blobs and symlinks) whose id or kind differs between the trees `from` and `to`, sorted.
pub(crate) fn changed_paths(repo: &gix::Repository, from: ObjectId, to: ObjectId) -> Result<Vec<String>, String> {
    if from == to {
        return Ok(Vec::new());
    }
    let from_tree = repo.find_tree(from).map_err(|e| chain(&e))?;
    let to_tree = repo.find_tree(to).map_err(|e| chain(&e))?;
    let mut recorder = gix::diff::tree::Recorder::default();
    gix::diff::tree(
        gix::objs::TreeRefIter::from_bytes(&from_tree.data, repo.object_hash()),
        gix::objs::TreeRefIter::from_bytes(&to_tree.data, repo.object_hash()),
        gix::diff::tree::State::default(),
        &repo.objects,
        &mut recorder,
    )
    .map_err(|e| e.to_string())?;

    let is_file = |kind: EntryKind| matches!(kind, EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link);
    let mut paths: Vec<String> = recorder
        .records
        .into_iter()
        .filter_map(|change| match change {
            Change::Addition { entry_mode, path, .. } | Change::Deletion { entry_mode, path, .. } => {
                is_file(entry_mode.kind()).then_some(path)
            }
            Change::Modification { previous_entry_mode, previous_oid, entry_mode, oid, path } => {
                let (before, after) = (previous_entry_mode.kind(), entry_mode.kind());
                let file_changed = (is_file(before) || is_file(after))
                    && (previous_oid != oid || (before == EntryKind::Link) != (after == EntryKind::Link));
                file_changed.then_some(path)
            }
        })
        .map(|path| String::from_utf8_lossy(&path).into_owned())
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}
