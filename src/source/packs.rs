//! Pack housekeeping for a mirror: keeping lookups fast, checking that the files on disk are whole, and
//! compaction, which keeps disk use bounded.
//!
//! - Every fetch writes one more pack file, and without help each lookup would probe every pack's index. Once
//!   enough packs are not yet covered, a multi-pack-index over all of them is written (what
//!   `git multi-pack-index write` does), so a lookup is one binary search again.
//! - [`check`] finds a damaged or half-written mirror: a garbage `HEAD`, missing directories, a truncated pack, a
//!   ref pointing at a missing object. Cheap enough to run before every fetch; `deep` also hashes every pack.
//! - gix can neither repack nor collect garbage, so [`compact`] builds a fresh mirror next to the old one by
//!   fetching from it over `file://`, at depth 1, only the refs that must stay, then swaps the two directories
//!   atomically. Objects nothing needs are gone, and the pack count drops to one.

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gix::odb::pack::multi_index;
use sha1::Digest as _;

/// How many packs may be outside the multi-pack-index before it is rewritten.
pub(crate) const UNCOVERED_PACK_LIMIT: usize = 16;

/// The multi-pack-index file name, as git and gix expect it in `objects/pack/`.
const MULTI_PACK_INDEX: &str = "multi-pack-index";

/// The length of a SHA-1 digest, which ends every pack and index file.
const DIGEST_LEN: u64 = 20;

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

/// How many pack files the mirror at `repo_dir` has.
pub(crate) fn count_packs(repo_dir: &Path) -> usize {
    std::fs::read_dir(repo_dir.join("objects").join("pack"))
        .map(|dir| dir.flatten().filter(|e| e.path().extension().is_some_and(|ext| ext == "pack")).count())
        .unwrap_or(0)
}

/// Checks that the bare repository at `repo_dir` is whole; the error says what is damaged.
///
/// Checks `HEAD`, the layout, the `shallow` file, every pack against its index (header, object count, and the
/// trailing checksum the index records, which a truncated or half-written pack fails), and that every ref points
/// to an object that exists. With `deep`, also hashes every pack and index in full. Leftovers that are not
/// damage are tidied: a `.pack` without its index (an interrupted write) and an unreadable multi-pack-index
/// (derived data, written again later) are removed.
pub(crate) fn check(repo_dir: &Path, deep: bool) -> Result<(), String> {
    check_head(repo_dir)?;
    for dir in ["objects", "objects/pack", "refs"] {
        if !repo_dir.join(dir).is_dir() {
            return Err(format!("the directory {dir}/ is missing"));
        }
    }
    check_shallow(repo_dir)?;
    let pack_dir = repo_dir.join("objects").join("pack");
    let entries = std::fs::read_dir(&pack_dir).map_err(|e| format!("cannot list objects/pack: {e}"))?;
    for entry in entries.flatten() {
        let path = entry.path();
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("pack") if !path.with_extension("idx").is_file() => {
                let _ = std::fs::remove_file(&path);
            }
            Some("pack") => check_pack(&path, &path.with_extension("idx"), deep)?,
            Some("idx") if !path.with_extension("pack").is_file() => {
                return Err(format!("{} has no pack", file_name(&path)));
            }
            _ => {}
        }
    }
    let midx = pack_dir.join(MULTI_PACK_INDEX);
    if midx.is_file() && multi_index::File::at(&midx, None).is_err() {
        let _ = std::fs::remove_file(&midx);
    }
    check_refs(repo_dir)
}

/// `HEAD` must be a symbolic ref into `refs/` or an object id.
fn check_head(repo_dir: &Path) -> Result<(), String> {
    let head = std::fs::read(repo_dir.join("HEAD")).map_err(|e| format!("HEAD is unreadable: {e}"))?;
    let head = String::from_utf8_lossy(&head);
    let head = head.trim_end();
    let valid = head.strip_prefix("ref: ").is_some_and(|target| target.starts_with("refs/"))
        || super::revision::is_hex_id(head);
    if valid { Ok(()) } else { Err("HEAD is neither a ref nor a commit id".to_string()) }
}

/// The `shallow` file, if any, must list object ids.
fn check_shallow(repo_dir: &Path) -> Result<(), String> {
    match std::fs::read_to_string(repo_dir.join("shallow")) {
        Ok(text) if text.lines().all(super::revision::is_hex_id) => Ok(()),
        Ok(_) => Err("the shallow file is garbled".to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("the shallow file is unreadable: {e}")),
    }
}

/// A pack against its index: header, object count, and checksum (in full with `deep`).
fn check_pack(pack: &Path, idx: &Path, deep: bool) -> Result<(), String> {
    let damaged = |what: &str| format!("{} is damaged: {what}", file_name(pack));
    let pack_len = std::fs::metadata(pack).map_err(|e| damaged(&e.to_string()))?.len();
    let idx_len = std::fs::metadata(idx).map_err(|e| damaged(&e.to_string()))?.len();
    // Index v2: magic, version, 256 fan-out entries, ..., pack checksum, index checksum.
    if pack_len < 12 + DIGEST_LEN || idx_len < 8 + 256 * 4 + 2 * DIGEST_LEN {
        return Err(damaged("it is too short"));
    }
    let header = read_at(pack, 0, 12).map_err(|e| damaged(&e))?;
    if &header[..4] != b"PACK" || !matches!(u32::from_be_bytes([header[4], header[5], header[6], header[7]]), 2 | 3) {
        return Err(damaged("it does not start with a pack header"));
    }
    let idx_header = read_at(idx, 0, 8).map_err(|e| damaged(&e))?;
    if idx_header != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
        return Err(damaged("its index is not a version 2 pack index"));
    }
    let objects_in_pack = u32::from_be_bytes([header[8], header[9], header[10], header[11]]);
    let fanout_last = read_at(idx, 8 + 255 * 4, 4).map_err(|e| damaged(&e))?;
    if u32::from_be_bytes([fanout_last[0], fanout_last[1], fanout_last[2], fanout_last[3]]) != objects_in_pack {
        return Err(damaged("it holds a different number of objects than its index"));
    }
    let recorded = read_at(idx, idx_len - 2 * DIGEST_LEN, DIGEST_LEN as usize).map_err(|e| damaged(&e))?;
    let trailer = read_at(pack, pack_len - DIGEST_LEN, DIGEST_LEN as usize).map_err(|e| damaged(&e))?;
    if recorded != trailer {
        return Err(damaged("it is truncated or was overwritten (its checksum differs from its index's)"));
    }
    if deep {
        if sha1_of(pack, pack_len - DIGEST_LEN).map_err(|e| damaged(&e))? != trailer {
            return Err(damaged("its content does not match its checksum"));
        }
        let idx_trailer = read_at(idx, idx_len - DIGEST_LEN, DIGEST_LEN as usize).map_err(|e| damaged(&e))?;
        if sha1_of(idx, idx_len - DIGEST_LEN).map_err(|e| damaged(&e))? != idx_trailer {
            return Err(damaged("its index does not match its checksum"));
        }
    }
    Ok(())
}

/// Every ref must point to an object the mirror has.
fn check_refs(repo_dir: &Path) -> Result<(), String> {
    let repo = super::mirror::open_repo(repo_dir)
        .map_err(|e| format!("it cannot be opened as a git repository: {}", super::mirror::chain(&e)))?;
    let repo = repo.to_thread_local();
    let platform = repo.references().map_err(|e| format!("its refs are unreadable: {}", super::mirror::chain(&e)))?;
    let refs = platform.all().map_err(|e| format!("its refs are unreadable: {}", super::mirror::chain(&e)))?;
    for reference in refs {
        let reference = reference.map_err(|e| format!("a ref is unreadable: {e}"))?;
        if let Some(id) = reference.target().try_id()
            && !repo.has_object(id)
        {
            return Err(format!("{} points to {id}, which is missing", reference.name().as_bstr()));
        }
    }
    Ok(())
}

/// `len` bytes of `path` from `offset`.
fn read_at(path: &Path, offset: u64, len: usize) -> Result<Vec<u8>, String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
    let mut buf = vec![0; len];
    file.read_exact(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf)
}

/// The SHA-1 of the first `len` bytes of `path`.
fn sha1_of(path: &Path, len: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file.take(len));
    let mut hasher = sha1::Sha1::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_vec())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// Packs before.
    pub packs_before: usize,
    /// Packs after.
    pub packs_after: usize,
    /// How many refs were carried over.
    pub refs: usize,
}

/// Replaces the mirror at `repo_dir` by a fresh one that holds only `refs` (which must exist in it), each at
/// depth 1: it is built next to the old one by fetching from it over `file://`, then the two directories are
/// swapped atomically and the old one removed. Files other than git's (`extra_files`) are copied over.
pub(crate) fn compact(repo_dir: &Path, refs: &[String], extra_files: &[&str]) -> Result<Compaction, String> {
    let packs_before = count_packs(repo_dir);
    let fresh = sibling(repo_dir, "compact");
    let built = build_compacted(repo_dir, &fresh, refs, extra_files).and_then(|()| swap(repo_dir, &fresh));
    // After a swap `fresh` holds the old mirror; after a failure, the half-built one. Either way it goes.
    let _ = std::fs::remove_dir_all(&fresh);
    built?;
    Ok(Compaction { packs_before, packs_after: count_packs(repo_dir), refs: refs.len() })
}

/// Creates the bare repository `fresh` and fetches `refs` into it from `source` at depth 1.
fn build_compacted(source: &Path, fresh: &Path, refs: &[String], extra_files: &[&str]) -> Result<(), String> {
    let repo = gix::ThreadSafeRepository::init_opts(
        fresh,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        super::mirror::open_options(),
    )
    .map_err(|e| format!("cannot create {}: {}", fresh.display(), super::mirror::chain(&e)))?
    .to_thread_local();
    let refspecs: Vec<String> = refs.iter().map(|name| format!("+{name}:{name}")).collect();
    let remote = repo
        .remote_at_without_url_rewrite(source)
        .and_then(|remote| remote.with_refspecs(refspecs.iter().map(String::as_str), gix::remote::Direction::Fetch))
        .map_err(|e| format!("cannot fetch from the old mirror: {}", super::mirror::chain(&e)))?
        .with_fetch_tags(gix::remote::fetch::Tags::None);
    let fetched = (|| -> Result<(), gix::Error> {
        let connection = remote.connect(gix::remote::Direction::Fetch)?;
        connection
            .prepare_fetch(gix::progress::Discard, Default::default())?
            .with_shallow(gix::remote::fetch::Shallow::DepthAtRemote(std::num::NonZeroU32::MIN))
            .receive(gix::progress::Discard, &AtomicBool::new(false))?;
        Ok(())
    })();
    fetched.map_err(|e| format!("cannot fetch from the old mirror: {}", super::mirror::chain(&e)))?;
    for name in refs {
        if super::refs::local_ref(&repo, name).is_none() {
            return Err(format!("{name} is missing from the compacted mirror"));
        }
    }
    for file in extra_files {
        let _ = std::fs::copy(source.join(file), fresh.join(file));
    }
    check(fresh, false)
}

/// Exchanges the directories `a` and `b` atomically where the file system can (Linux `renameat2` with
/// `RENAME_EXCHANGE`), else with two renames.
fn swap(a: &Path, b: &Path) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let to_c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(|e| e.to_string());
        let (ca, cb) = (to_c(a)?, to_c(b)?);
        // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
        let rc =
            unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
        if rc == 0 {
            return Ok(());
        }
    }
    let parked = sibling(a, "retired");
    std::fs::rename(a, &parked).map_err(|e| format!("cannot move {} aside: {e}", a.display()))?;
    if let Err(e) = std::fs::rename(b, a) {
        let _ = std::fs::rename(&parked, a);
        return Err(format!("cannot move the compacted mirror in place: {e}"));
    }
    std::fs::rename(&parked, b).map_err(|e| format!("cannot move the old mirror away: {e}"))
}

/// A new path next to `dir` for a temporary copy: `<dir>.<what>-<nanos>`.
pub(crate) fn sibling(dir: &Path, what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let name = dir.file_name().map_or_else(|| "mirror".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!("{name}.{what}-{nanos}"))
}

/// Removes what a crash may have left next to `dir`: half-built compactions and mirrors moved aside.
pub(crate) fn remove_leftovers(dir: &Path) {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else { return };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else { continue };
        if ["compact-", "retired-", "damaged-"].iter().any(|kind| rest.starts_with(kind)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_sit_next_to_the_mirror() {
        let dir = Path::new("/data/mirrors/0123456789abcdef");
        let s = sibling(dir, "compact");
        assert_eq!(s.parent(), dir.parent());
        assert!(s.file_name().unwrap().to_string_lossy().starts_with("0123456789abcdef.compact-"));
    }

    #[test]
    fn a_garbage_head_or_missing_objects_is_damage() {
        let tmp = tempfile::tempdir().unwrap();
        gix::init_bare(tmp.path()).unwrap();
        check(tmp.path(), true).unwrap();
        std::fs::write(tmp.path().join("HEAD"), "garbage\n").unwrap();
        assert!(check(tmp.path(), false).unwrap_err().contains("HEAD"));
        std::fs::write(tmp.path().join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::remove_dir_all(tmp.path().join("objects")).unwrap();
        assert!(check(tmp.path(), false).unwrap_err().contains("objects/"));
    }
}
