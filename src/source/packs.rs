//! Keeps object lookups fast as fetches add packs: every fetch writes one more pack file, and without help each
//! lookup would probe every pack's index. Once enough packs are not yet covered, a multi-pack-index over all of
//! them is written (what `git multi-pack-index write` does), so a lookup is one binary search again.
//!
//! Packs are never merged or deleted here, so the number of files still grows with every fetch; repacking is
//! left to a later change.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gix::odb::pack::multi_index;

/// How many packs may be outside the multi-pack-index before it is rewritten.
pub(crate) const UNCOVERED_PACK_LIMIT: usize = 16;

/// The multi-pack-index file name, as git and gix expect it in `objects/pack/`.
const MULTI_PACK_INDEX: &str = "multi-pack-index";

/// Writes a new multi-pack-index over all packs of the bare repository at `repo_dir` if more than
/// [`UNCOVERED_PACK_LIMIT`] packs are outside the current one. Returns whether it wrote one.
pub(crate) fn cover_packs(repo_dir: &Path, object_hash: gix::hash::Kind) -> Result<bool, String> {
    let pack_dir = repo_dir.join("objects").join("pack");
    let indices = pack_indices(&pack_dir).map_err(|e| format!("cannot list {}: {e}", pack_dir.display()))?;
    let midx_path = pack_dir.join(MULTI_PACK_INDEX);
    let covered = multi_index::File::at(&midx_path, None).map(|midx| midx.num_indices() as usize).unwrap_or(0);
    if indices.len().saturating_sub(covered) <= UNCOVERED_PACK_LIMIT {
        return Ok(false);
    }
    let tmp_path = pack_dir.join(format!("{MULTI_PACK_INDEX}.tmp-{}", std::process::id()));
    let written = (|| -> Result<(), String> {
        let file =
            std::fs::File::create(&tmp_path).map_err(|e| format!("cannot create {}: {e}", tmp_path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        multi_index::write_from_index_paths(
            indices,
            &mut out,
            &mut gix::progress::Discard,
            &AtomicBool::new(false),
            multi_index::write::Options { object_hash },
        )
        .map_err(|e| format!("cannot write the multi-pack-index: {e}"))?;
        out.flush().map_err(|e| format!("cannot write the multi-pack-index: {e}"))?;
        std::fs::rename(&tmp_path, &midx_path).map_err(|e| format!("cannot move the multi-pack-index in place: {e}"))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    written.map(|()| true)
}

/// The `.idx` files in `pack_dir` whose `.pack` is present.
fn pack_indices(pack_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut indices = Vec::new();
    for entry in std::fs::read_dir(pack_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "idx") && path.with_extension("pack").is_file() {
            indices.push(path);
        }
    }
    Ok(indices)
}
