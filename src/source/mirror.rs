//! One bare mirror per repository URL: where it lives, opening or creating it, and reading commits from it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use gix::ObjectId;

use super::tree::Tree;
use super::url::RepoUrl;
use super::{Remote, Revision, SourceError};

/// The name of the file in a mirror that records which repository it mirrors (for people, not for the program).
const URL_FILE: &str = "driftless-source-url";

/// A bare mirror of one repository under `data_dir/mirrors/<sha256 of the normalised URL, 16 hex>`.
///
/// Fetches into the same `Mirror` are serialised; reads (`tree`, `changed_paths`) run concurrently.
///
/// Each fetch adds a pack file. gix's object store has a fixed number of index slots per opening, so a
/// long-lived handle would run out after enough fetches; the mirror therefore re-opens its handle after each
/// fetch (cheap: the store is lazy), and each fetch works on a handle of its own.
pub struct Mirror {
    pub(crate) path: PathBuf,
    pub(crate) url: RepoUrl,
    repo: RwLock<gix::ThreadSafeRepository>,
    pub(crate) fetch_lock: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").field("path", &self.path).field("url", &self.url.redacted).finish()
    }
}

/// How mirrors are opened: the repository's own config only, nothing from `$HOME`, `/etc` or the environment,
/// so a user's git settings (credential helpers, `insteadOf` rewrites, hooks) never change what the daemon does.
pub(crate) fn open_options() -> gix::open::Options {
    gix::open::Options::isolated()
        .config_overrides([format!("gitoxide.userAgent=driftless/{}", env!("CARGO_PKG_VERSION"))])
        // Room for the packs on disk plus many more fetches before the next re-open.
        .object_store_slots(gix::odb::store::init::Slots::AsNeededByDiskState { multiplier: 1.5, minimum: 64 })
}

/// Opens the bare repository at `path` with [`open_options`].
pub(crate) fn open_repo(path: &Path) -> Result<gix::ThreadSafeRepository, gix::Error> {
    gix::ThreadSafeRepository::open_opts(path, open_options())
}

impl Mirror {
    /// Opens the mirror of `url` under `data_dir`, creating it (an empty bare repository) if missing.
    ///
    /// Checks the URL first: only `file://`, `http://` and `https://` are accepted.
    pub fn open(data_dir: &Path, url: &str) -> Result<Mirror, SourceError> {
        let url = RepoUrl::parse(url)?;
        let path = data_dir.join("mirrors").join(url.mirror_name());
        let mirror_error = |detail: String| SourceError::Mirror {
            path: path.clone(),
            url: url.redacted.clone(),
            detail: url.scrub(&detail),
        };
        let repo = if path.join("HEAD").is_file() {
            open_repo(&path).map_err(|e| mirror_error(format!("cannot open it as a git repository: {}", chain(&e))))?
        } else {
            if path.exists() && std::fs::read_dir(&path).map(|mut d| d.next().is_some()).unwrap_or(true) {
                return Err(mirror_error("the directory exists but is not a git repository".to_string()));
            }
            std::fs::create_dir_all(&path).map_err(|e| mirror_error(format!("cannot create the directory: {e}")))?;
            let repo = gix::ThreadSafeRepository::init_opts(
                &path,
                gix::create::Kind::Bare,
                gix::create::Options::default(),
                open_options(),
            )
            .map_err(|e| mirror_error(format!("cannot create a bare repository: {}", chain(&e))))?;
            // Best effort: only a note for people looking at the data directory.
            let _ = std::fs::write(path.join(URL_FILE), format!("{}\n", url.key()));
            repo
        };
        Ok(Mirror { path, url, repo: RwLock::new(repo), fetch_lock: Arc::new(Mutex::new(())) })
    }

    /// The mirror's directory (a bare git repository).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mirrored URL, with credentials redacted.
    pub fn url(&self) -> &str {
        &self.url.redacted
    }

    /// Fetches the branch tip and returns it; the commit and its tree are then readable.
    ///
    /// Only `refs/heads/<branch>` is fetched (`+refs/heads/<branch>:refs/heads/<branch>`, no tags); the revision is
    /// the tip the remote advertised in this fetch, so it is never older than what the remote had when asked.
    pub fn fetch(&self, remote: &Remote) -> Result<Revision, SourceError> {
        super::fetch::fetch(self, remote)
    }

    /// A read-only view of a commit's tree.
    pub fn tree(&self, commit: &str) -> Result<Tree, SourceError> {
        let id = self.commit_id(commit)?;
        let shared = self.shared_repo();
        let repo = local_repo(&shared);
        let tree_id = self.tree_of(&repo, id)?;
        Ok(Tree::new(shared, repo, id, tree_id))
    }

    /// Paths (files, repo-relative, '/'-separated, sorted) whose blob id differs between two commits' trees:
    /// added, removed or changed. Computed from the two trees alone, not from history, so it works for any two
    /// commits in the mirror. A rename shows as the old path and the new path. A change of the executable bit
    /// alone is not a change (the blob id is the same); a file turning into a symlink is. Submodule entries are
    /// not files and are left out.
    pub fn changed_paths(&self, from: &str, to: &str) -> Result<Vec<String>, SourceError> {
        let (from_id, to_id) = (self.commit_id(from)?, self.commit_id(to)?);
        let repo = self.local_repo();
        let (from_tree, to_tree) = (self.tree_of(&repo, from_id)?, self.tree_of(&repo, to_id)?);
        super::diff::changed_paths(&repo, from_tree, to_tree).map_err(|detail| SourceError::Object {
            what: format!("the difference to commit {from}"),
            commit: to.to_string(),
            detail: self.url.scrub(&detail),
        })
    }

    /// A thread-local handle with an object cache, for a burst of reads.
    fn local_repo(&self) -> gix::Repository {
        local_repo(&self.shared_repo())
    }

    /// The current shared handle.
    fn shared_repo(&self) -> gix::ThreadSafeRepository {
        self.repo.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Re-opens the shared handle so that it sees every pack on disk with room to spare (see [`Mirror`]).
    /// If re-opening fails, the old handle stays: it still works until its slots run out.
    pub(crate) fn reopen(&self) {
        if let Ok(fresh) = open_repo(&self.path) {
            *self.repo.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        }
    }

    /// Parses a 40-hex commit id.
    fn commit_id(&self, commit: &str) -> Result<ObjectId, SourceError> {
        if !super::revision::is_hex_id(commit) {
            return Err(SourceError::InvalidCommit { commit: commit.to_string() });
        }
        ObjectId::from_hex(commit.as_bytes()).map_err(|_| SourceError::InvalidCommit { commit: commit.to_string() })
    }

    /// The root tree of commit `id`, which must be in the mirror.
    fn tree_of(&self, repo: &gix::Repository, id: ObjectId) -> Result<ObjectId, SourceError> {
        let not_found = || SourceError::CommitNotFound { commit: id.to_string(), url: self.url.redacted.clone() };
        let object = repo.try_find_object(id).map_err(|e| SourceError::Object {
            what: "the commit".to_string(),
            commit: id.to_string(),
            detail: chain(&e),
        })?;
        let object = object.ok_or_else(not_found)?;
        let commit = object.try_into_commit().map_err(|_| not_found())?;
        let tree_id = commit.tree_id().map_err(|e| SourceError::Object {
            what: "the commit".to_string(),
            commit: id.to_string(),
            detail: chain(&e),
        })?;
        Ok(tree_id.detach())
    }
}

/// A thread-local handle on `repo` with an object cache, for a burst of reads.
pub(crate) fn local_repo(repo: &gix::ThreadSafeRepository) -> gix::Repository {
    let mut repo = repo.to_thread_local();
    repo.object_cache_size_if_unset(4 * 1024 * 1024);
    repo
}

/// An error and its causes as one line: `outer: cause: root cause`, repeated messages dropped.
pub(crate) fn chain(err: &gix::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in err.iter_errors() {
        let msg = e.to_string();
        if msg.is_empty() || parts.iter().any(|p| p == &msg || p.contains(&msg)) {
            continue;
        }
        parts.push(msg);
    }
    if parts.is_empty() { err.to_string() } else { parts.join(": ") }
}
