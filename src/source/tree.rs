//! A commit's tree as a read-only file system: read files and list directories by repo-relative path,
//! straight from the mirror's object database (nothing is checked out).

use std::sync::{Arc, Mutex};

use gix::ObjectId;
use gix::object::tree::EntryKind as GitKind;

use super::SourceError;
use super::mirror::{chain, local_repo};

/// What a path in a tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular or executable file. A symlink is also listed as a file in this version; reading it is an error.
    File,
    /// A directory. A submodule is listed as an empty directory, as in a checkout without submodules.
    Dir,
}

/// A commit's tree, readable by path.
///
/// Paths are repo-relative with '/' separators; `.` and `..` segments are normalised, and a path that would leave
/// the root is an error. `""` (or `.`) is the root. Symlinks are not followed: reading one, or a path through one,
/// is an error `symlink ... is not supported yet`.
///
/// `Send + Sync` and cheap to clone; clones share one pool of object-database handles.
#[derive(Clone)]
pub struct Tree {
    inner: Arc<Inner>,
}

struct Inner {
    repo: gix::ThreadSafeRepository,
    /// Thread-local handles (each with its own object cache), lent out one per concurrent reader.
    pool: Mutex<Vec<gix::Repository>>,
    commit: ObjectId,
    root: ObjectId,
}

/// How many idle handles a tree keeps for reuse.
const POOL_SIZE: usize = 8;

/// What a path resolves to.
enum Resolved {
    Tree(ObjectId),
    Blob(ObjectId),
    Link,
    Submodule,
    Missing,
    /// A prefix of the path is a file (carries that prefix).
    ThroughFile(String),
    /// A prefix of the path is a symlink (carries that prefix).
    ThroughLink(String),
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree").field("commit", &self.inner.commit).field("tree", &self.inner.root).finish()
    }
}

impl Tree {
    pub(crate) fn new(
        repo: gix::ThreadSafeRepository,
        local: gix::Repository,
        commit: ObjectId,
        root: ObjectId,
    ) -> Tree {
        Tree { inner: Arc::new(Inner { repo, pool: Mutex::new(vec![local]), commit, root }) }
    }

    /// The commit this tree belongs to (40 hex).
    pub fn commit(&self) -> String {
        self.inner.commit.to_string()
    }

    /// The contents of the file at `path`. A missing path is [`SourceError::NotFound`].
    pub fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        let parts = normalise(path)?;
        let joined = parts.join("/");
        self.with_repo(|repo| match self.resolve(repo, &parts)? {
            Resolved::Blob(id) => repo
                .find_blob(id)
                .map(|mut blob| blob.take_data())
                .map_err(|e| self.object_error(format!("file {joined:?}"), &e)),
            Resolved::Tree(_) => Err(SourceError::IsADirectory { path: joined, commit: self.commit() }),
            Resolved::Link => Err(SourceError::SymlinkNotSupported { path: joined, commit: self.commit() }),
            Resolved::Submodule => Err(SourceError::Submodule { path: joined, commit: self.commit() }),
            other => Err(self.unresolved(other, joined)),
        })
    }

    /// The entries of directory `dir` (`""` is the root), sorted by name.
    pub fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>, SourceError> {
        let parts = normalise(dir)?;
        let joined = parts.join("/");
        self.with_repo(|repo| match self.resolve(repo, &parts)? {
            Resolved::Tree(id) => {
                let tree = repo.find_tree(id).map_err(|e| self.object_error(format!("directory {joined:?}"), &e))?;
                let decoded = tree.decode().map_err(|e| self.object_error(format!("directory {joined:?}"), &e))?;
                let mut entries: Vec<(String, EntryKind)> = decoded
                    .entries
                    .iter()
                    .map(|entry| {
                        let kind = match entry.mode.kind() {
                            GitKind::Tree | GitKind::Commit => EntryKind::Dir,
                            GitKind::Blob | GitKind::BlobExecutable | GitKind::Link => EntryKind::File,
                        };
                        (String::from_utf8_lossy(entry.filename).into_owned(), kind)
                    })
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(entries)
            }
            Resolved::Submodule => Ok(Vec::new()),
            Resolved::Blob(_) => Err(SourceError::NotADirectory { path: joined, commit: self.commit() }),
            Resolved::Link => Err(SourceError::SymlinkNotSupported { path: joined, commit: self.commit() }),
            other => Err(self.unresolved(other, joined)),
        })
    }

    /// What is at `path`, or `None` if nothing is (or the path is invalid or unreadable).
    pub fn kind(&self, path: &str) -> Option<EntryKind> {
        let parts = normalise(path).ok()?;
        self.with_repo(|repo| match self.resolve(repo, &parts) {
            Ok(Resolved::Tree(_) | Resolved::Submodule) => Some(EntryKind::Dir),
            Ok(Resolved::Blob(_) | Resolved::Link) => Some(EntryKind::File),
            _ => None,
        })
    }

    /// Runs `f` with a pooled thread-local handle.
    fn with_repo<T>(&self, f: impl FnOnce(&gix::Repository) -> T) -> T {
        let pooled = self.inner.pool.lock().map(|mut pool| pool.pop()).unwrap_or(None);
        let repo = pooled.unwrap_or_else(|| local_repo(&self.inner.repo));
        let out = f(&repo);
        if let Ok(mut pool) = self.inner.pool.lock()
            && pool.len() < POOL_SIZE
        {
            pool.push(repo);
        }
        out
    }

    /// Walks `parts` from the root tree.
    fn resolve(&self, repo: &gix::Repository, parts: &[&str]) -> Result<Resolved, SourceError> {
        let mut current = self.inner.root;
        for (i, part) in parts.iter().enumerate() {
            let here = || parts[..=i].join("/");
            let tree = repo.find_tree(current).map_err(|e| self.object_error(format!("directory {:?}", here()), &e))?;
            let Some(entry) = tree.find_entry(*part) else { return Ok(Resolved::Missing) };
            let (kind, id) = (entry.mode().kind(), entry.object_id());
            let last = i + 1 == parts.len();
            match (kind, last) {
                (GitKind::Tree, false) => current = id,
                (GitKind::Tree, true) => return Ok(Resolved::Tree(id)),
                (GitKind::Blob | GitKind::BlobExecutable, true) => return Ok(Resolved::Blob(id)),
                (GitKind::Blob | GitKind::BlobExecutable, false) => return Ok(Resolved::ThroughFile(here())),
                (GitKind::Link, true) => return Ok(Resolved::Link),
                (GitKind::Link, false) => return Ok(Resolved::ThroughLink(here())),
                (GitKind::Commit, true) => return Ok(Resolved::Submodule),
                // A submodule is an empty directory here: nothing is below it.
                (GitKind::Commit, false) => return Ok(Resolved::Missing),
            }
        }
        Ok(Resolved::Tree(current))
    }

    /// The error for a path that did not resolve to an entry.
    fn unresolved(&self, resolved: Resolved, path: String) -> SourceError {
        let commit = self.commit();
        match resolved {
            Resolved::ThroughFile(file) => SourceError::NotADirectory { path: file, commit },
            Resolved::ThroughLink(link) => SourceError::SymlinkNotSupported { path: link, commit },
            _ => SourceError::NotFound { path, commit },
        }
    }

    fn object_error(&self, what: String, err: &gix::Error) -> SourceError {
        SourceError::Object { what, commit: self.commit(), detail: chain(err) }
    }
}

/// Splits a repo-relative path into its segments, resolving `.` and `..`.
///
/// Empty segments (`a//b`, a trailing `/`) are ignored. Absolute paths, NUL bytes and `..` above the root are errors.
pub(crate) fn normalise(path: &str) -> Result<Vec<&str>, SourceError> {
    if path.starts_with('/') {
        return Err(SourceError::InvalidPath {
            path: path.to_string(),
            reason: "absolute paths are not allowed; paths are relative to the repository root".to_string(),
        });
    }
    if path.contains('\0') {
        return Err(SourceError::InvalidPath { path: path.to_string(), reason: "it contains a NUL byte".to_string() });
    }
    let mut parts = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(SourceError::PathEscapesRoot { path: path.to_string() });
                }
            }
            other => parts.push(other),
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_dots_and_slashes() {
        assert_eq!(normalise("").unwrap(), Vec::<&str>::new());
        assert_eq!(normalise(".").unwrap(), Vec::<&str>::new());
        assert_eq!(normalise("a/./b//c/").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(normalise("a/b/../c").unwrap(), vec!["a", "c"]);
        assert_eq!(normalise("a/..").unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn rejects_escapes_and_absolute_paths() {
        assert!(matches!(normalise(".."), Err(SourceError::PathEscapesRoot { .. })));
        assert!(matches!(normalise("a/../../b"), Err(SourceError::PathEscapesRoot { .. })));
        assert!(matches!(normalise("/etc/passwd"), Err(SourceError::InvalidPath { .. })));
        assert!(matches!(normalise("a\0b"), Err(SourceError::InvalidPath { .. })));
    }

    #[test]
    fn tree_is_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Tree>();
    }
}
