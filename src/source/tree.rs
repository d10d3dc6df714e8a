//! A commit's tree as a read-only file system: read files and list directories by repo-relative path,
//! straight from the mirror's object database (nothing is checked out).
//!
//! Symlinks resolve the way a checkout would resolve them, but only inside the repository: a target is taken
//! relative to the link's directory, `..` in it walks up physically (from where the link really is), chains are
//! followed up to [`MAX_SYMLINK_HOPS`] links, and a target that leaves the repository (an absolute path, or `..`
//! past the root at any point) is an error naming the link and never read. Submodule entries (gitlinks) are
//! invisible: their contents are not fetched. With [`IgnoreRules`] applied ([`Tree::with_ignore`]), the paths a
//! GitRepository excludes are invisible too.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use gix::ObjectId;
use gix::object::tree::EntryKind as GitKind;

use super::SourceError;
use super::ignore::IgnoreRules;
use super::mirror::{chain, local_repo};

/// The most symlinks one path resolution follows (Linux's limit); more is reported as a loop.
pub const MAX_SYMLINK_HOPS: usize = 40;

/// The longest symlink target accepted, in bytes (Linux's `PATH_MAX`).
const MAX_LINK_TARGET: u64 = 4096;

/// What a path in a tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular or executable file, or a symlink that resolves to one. A symlink that cannot be resolved (it
    /// leaves the repository, dangles or loops) is also listed as a file, so that reading it reports why.
    File,
    /// A directory, or a symlink that resolves to one.
    Dir,
}

/// A symlink in a commit's tree that cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SymlinkError {
    /// The target is an absolute path, or its `..` segments climb above the repository root.
    #[error(
        "symlink {link:?} in commit {commit} points to {target:?}, outside the repository; a symlink must point to \
         a file or directory inside the repository: make its target relative and inside, or replace the link with \
         a copy"
    )]
    Escapes {
        /// The symlink's path in the tree.
        link: String,
        /// Its target, as stored.
        target: String,
        /// The commit being read.
        commit: String,
    },
    /// Nothing is at the target (or only a submodule, whose content is not fetched).
    #[error("symlink {link:?} in commit {commit} points to {target:?}, which does not exist in that commit")]
    Dangling {
        /// The symlink's path in the tree.
        link: String,
        /// Its target, as stored.
        target: String,
        /// The commit being read.
        commit: String,
    },
    /// Resolving a path took more than [`MAX_SYMLINK_HOPS`] symlinks.
    #[error(
        "too many levels of symlinks resolving {path:?} in commit {commit} (more than {MAX_SYMLINK_HOPS}, the last \
         one {link:?}): the symlinks form a loop, or a chain that is too long"
    )]
    Loop {
        /// The path being resolved.
        path: String,
        /// The last symlink followed.
        link: String,
        /// The commit being read.
        commit: String,
    },
    /// The target is empty, too long, not UTF-8 or contains a NUL byte.
    #[error("symlink {link:?} in commit {commit} has an invalid target: {reason}")]
    Invalid {
        /// The symlink's path in the tree.
        link: String,
        /// What is wrong with the target.
        reason: String,
        /// The commit being read.
        commit: String,
    },
}

/// Where a path leads once its symlinks are followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPath {
    /// The path with every symlink replaced by its target (repo-relative, normalised): where the content really is.
    pub path: String,
    /// What is there.
    pub kind: EntryKind,
    /// The symlinks followed on the way, in order, as paths in the tree. A change to any of them, or to `path`,
    /// changes what the original path reads.
    pub links: Vec<String>,
}

/// A commit's tree, readable by path.
///
/// Paths are repo-relative with '/' separators; `.` and `..` segments are normalised lexically first (so
/// `link/..` is the root even when `link` points elsewhere, as kustomize cleans `../base`), and a path that would
/// leave the root is an error. `""` (or `.`) is the root. Symlinks are followed inside the repository, `..` in their
/// targets climbing from where the link really is (see the module documentation); submodules are invisible.
///
/// `Send + Sync` and cheap to clone; clones share one pool of object-database handles.
#[derive(Clone)]
pub struct Tree {
    inner: Arc<Inner>,
    /// The ignore rules in effect, if any.
    view: Option<Arc<View>>,
}

struct Inner {
    repo: gix::ThreadSafeRepository,
    /// Thread-local handles (each with its own object cache), lent out one per concurrent reader.
    pool: Mutex<Vec<gix::Repository>>,
    commit: ObjectId,
    root: ObjectId,
}

/// Ignore rules applied to a tree, with what was learnt about directories.
struct View {
    rules: IgnoreRules,
    /// Whether an ignored directory has a visible descendant, by (logical path, physical path).
    dirs: Mutex<HashMap<(String, String), bool>>,
}

/// How many idle handles a tree keeps for reuse.
const POOL_SIZE: usize = 8;

/// What a path resolves to.
#[derive(Clone, Copy)]
enum Node {
    Tree(ObjectId),
    Blob(ObjectId),
}

/// A path resolved through its symlinks.
struct Located {
    node: Node,
    /// The physical path, as components.
    physical: Vec<String>,
    /// The symlinks followed, as physical paths.
    links: Vec<String>,
}

/// Why a path did not resolve.
enum Unresolved {
    /// Nothing at the path itself.
    Missing,
    /// A prefix is a file (its physical path).
    ThroughFile(String),
    /// A symlink on the way cannot be followed.
    Link(SymlinkError),
    /// The object database failed.
    Error(SourceError),
}

/// A symlink being followed: the origin of the path segments that came from its target.
struct Followed {
    link: String,
    target: String,
}

/// One segment still to walk, and the symlink whose target it came from (`None`: from the path asked for).
struct Segment {
    name: String,
    via: Option<Rc<Followed>>,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("commit", &self.inner.commit)
            .field("tree", &self.inner.root)
            .field("ignore", &self.view.as_ref().map(|v| &v.rules))
            .finish()
    }
}

impl Tree {
    pub(crate) fn new(
        repo: gix::ThreadSafeRepository,
        local: gix::Repository,
        commit: ObjectId,
        root: ObjectId,
    ) -> Tree {
        Tree { inner: Arc::new(Inner { repo, pool: Mutex::new(vec![local]), commit, root }), view: None }
    }

    /// The commit this tree belongs to (40 hex).
    pub fn commit(&self) -> String {
        self.inner.commit.to_string()
    }

    /// The same tree, with the paths `rules` ignore invisible to [`read`](Tree::read), [`list`](Tree::list) and
    /// [`kind`](Tree::kind) (as if absent: [`SourceError::NotFound`]). Replaces rules applied before.
    ///
    /// A file is visible when neither its path nor, for a symlink, the path it resolves to is ignored. A directory
    /// is visible when it is not ignored, or when something below it is visible (Flux re-includes files below an
    /// ignored directory with `!` patterns, and its artifact then contains the directory).
    pub fn with_ignore(self, rules: IgnoreRules) -> Tree {
        Tree { inner: self.inner, view: Some(Arc::new(View { rules, dirs: Mutex::new(HashMap::new()) })) }
    }

    /// The ignore rules applied with [`Tree::with_ignore`], if any.
    pub fn ignore_rules(&self) -> Option<&IgnoreRules> {
        self.view.as_ref().map(|v| &v.rules)
    }

    /// The same tree with no ignore rules: every path visible.
    pub fn without_ignore(&self) -> Tree {
        Tree { inner: self.inner.clone(), view: None }
    }

    /// The contents of the file at `path`, following symlinks. A missing (or ignored) path is
    /// [`SourceError::NotFound`]; a symlink that cannot be followed is [`SourceError::Symlink`].
    pub fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        let parts = normalise(path)?;
        let joined = parts.join("/");
        self.with_repo(|repo| {
            let located = self.locate(repo, &parts).map_err(|e| self.failure(&parts, e))?;
            if !self.visible(repo, &parts, &located)? {
                return Err(self.not_found(joined));
            }
            match located.node {
                Node::Blob(id) => repo
                    .find_blob(id)
                    .map(|mut blob| blob.take_data())
                    .map_err(|e| self.object_error(format!("file {joined:?}"), &e)),
                Node::Tree(_) => Err(SourceError::IsADirectory { path: joined, commit: self.commit() }),
            }
        })
    }

    /// The entries of directory `dir` (`""` is the root), following symlinks, sorted by name.
    ///
    /// A symlink is listed with the kind of what it resolves to; one that cannot be followed is listed as a
    /// [`EntryKind::File`] (reading it says why), so one bad link does not hide its directory. Submodules and
    /// ignored entries are left out.
    pub fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>, SourceError> {
        let parts = normalise(dir)?;
        let joined = parts.join("/");
        self.with_repo(|repo| {
            let located = self.locate(repo, &parts).map_err(|e| self.failure(&parts, e))?;
            if !self.visible(repo, &parts, &located)? {
                return Err(self.not_found(joined));
            }
            let Node::Tree(id) = located.node else {
                return Err(SourceError::NotADirectory { path: joined, commit: self.commit() });
            };
            let what = || format!("directory {joined:?}");
            let tree = repo.find_tree(id).map_err(|e| self.object_error(what(), &e))?;
            let decoded = tree.decode().map_err(|e| self.object_error(what(), &e))?;
            let mut entries = Vec::with_capacity(decoded.entries.len());
            for entry in &decoded.entries {
                let name = String::from_utf8_lossy(entry.filename).into_owned();
                let mut logical: Vec<&str> = parts.clone();
                logical.push(&name);
                let mut physical = located.physical.clone();
                physical.push(name.clone());
                let (kind, visible) = match entry.mode.kind() {
                    GitKind::Commit => continue,
                    GitKind::Tree => (EntryKind::Dir, self.dir_visible(repo, &logical, &physical, entry.oid.into())?),
                    GitKind::Blob | GitKind::BlobExecutable => {
                        (EntryKind::File, self.file_visible(&logical, &physical))
                    }
                    GitKind::Link => match self.locate(repo, &physical) {
                        Ok(target) => {
                            let visible = self.visible(repo, &logical, &target)?;
                            (kind_of(target.node), visible)
                        }
                        Err(_) => (EntryKind::File, self.file_visible(&logical, &physical)),
                    },
                };
                if visible {
                    entries.push((name, kind));
                }
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(entries)
        })
    }

    /// What is at `path` (following symlinks), or `None` if nothing is (or the path is invalid, ignored or
    /// unreadable). A symlink that cannot be followed is a [`EntryKind::File`], as in [`Tree::list`].
    pub fn kind(&self, path: &str) -> Option<EntryKind> {
        let parts = normalise(path).ok()?;
        self.with_repo(|repo| match self.locate(repo, &parts) {
            Ok(located) => self.visible(repo, &parts, &located).ok()?.then(|| kind_of(located.node)),
            Err(Unresolved::Link(_)) => {
                let (name, parent) = parts.split_last()?;
                let located = self.locate(repo, parent).ok()?;
                let Node::Tree(id) = located.node else { return None };
                let tree = repo.find_tree(id).ok()?;
                let is_link = tree.find_entry(*name)?.mode().kind() == GitKind::Link;
                let mut physical = located.physical;
                physical.push(name.to_string());
                (is_link && self.file_visible(&parts, &physical)).then_some(EntryKind::File)
            }
            Err(_) => None,
        })
    }

    /// Where `path` leads: its physical path, what is there, and the symlinks followed. Errors as [`Tree::read`]
    /// (an ignored path is [`SourceError::NotFound`]).
    pub fn resolve(&self, path: &str) -> Result<ResolvedPath, SourceError> {
        let parts = normalise(path)?;
        self.with_repo(|repo| {
            let located = self.locate(repo, &parts).map_err(|e| self.failure(&parts, e))?;
            if !self.visible(repo, &parts, &located)? {
                return Err(self.not_found(parts.join("/")));
            }
            Ok(ResolvedPath { path: located.physical.join("/"), kind: kind_of(located.node), links: located.links })
        })
    }

    /// Every file or symlink named `name` in the whole tree, ignoring any rules, with its content, in pre-order (a
    /// directory's own file before those of its subdirectories, which come in byte order of their names), as
    /// `(directory, content)`. Symlinks are followed inside the repository; a dangling one, or one to a directory,
    /// counts as absent; one that cannot be followed otherwise is an error. Submodules are not entered.
    pub(crate) fn ignore_files(&self, name: &str) -> Result<Vec<(String, Vec<u8>)>, SourceError> {
        let raw = self.without_ignore();
        raw.with_repo(|repo| {
            let mut found = Vec::new();
            let mut stack: Vec<(String, ObjectId)> = vec![(String::new(), raw.inner.root)];
            while let Some((dir, id)) = stack.pop() {
                let what = || format!("directory {dir:?}");
                let tree = repo.find_tree(id).map_err(|e| raw.object_error(what(), &e))?;
                let decoded = tree.decode().map_err(|e| raw.object_error(what(), &e))?;
                let mut subdirs = Vec::new();
                for entry in &decoded.entries {
                    let entry_name = String::from_utf8_lossy(entry.filename).into_owned();
                    let path = if dir.is_empty() { entry_name.clone() } else { format!("{dir}/{entry_name}") };
                    match entry.mode.kind() {
                        GitKind::Tree => subdirs.push((path, entry.oid.into())),
                        GitKind::Blob | GitKind::BlobExecutable | GitKind::Link if entry_name == name => {
                            match raw.read(&path) {
                                Ok(content) => found.push((dir.clone(), content)),
                                Err(SourceError::Symlink(SymlinkError::Dangling { .. }))
                                | Err(SourceError::IsADirectory { .. }) => {}
                                Err(e) => return Err(e),
                            }
                        }
                        _ => {}
                    }
                }
                subdirs.sort_by(|a, b| a.0.cmp(&b.0));
                stack.extend(subdirs.into_iter().rev());
            }
            Ok(found)
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

    /// Walks `parts` (normalised, no `..`) from the root, following every symlink, including a last one.
    fn locate<S: AsRef<str>>(&self, repo: &gix::Repository, parts: &[S]) -> Result<Located, Unresolved> {
        let mut queue: VecDeque<Segment> =
            parts.iter().map(|p| Segment { name: p.as_ref().to_string(), via: None }).collect();
        // The physical directories walked into: (name, tree id).
        let mut dirs: Vec<(String, ObjectId)> = Vec::new();
        let mut links = Vec::new();
        let physical = |dirs: &[(String, ObjectId)], name: &str| {
            dirs.iter().map(|(n, _)| n.as_str()).chain(std::iter::once(name)).collect::<Vec<_>>().join("/")
        };
        while let Some(Segment { name, via }) = queue.pop_front() {
            if name == ".." {
                if dirs.pop().is_none() {
                    return Err(match via {
                        Some(f) => self.link_error(SymlinkError::Escapes {
                            link: f.link.clone(),
                            target: f.target.clone(),
                            commit: String::new(),
                        }),
                        None => Unresolved::Error(SourceError::PathEscapesRoot { path: parts_to_string(parts) }),
                    });
                }
                continue;
            }
            let current = dirs.last().map_or(self.inner.root, |(_, id)| *id);
            let tree = repo.find_tree(current).map_err(|e| {
                Unresolved::Error(self.object_error(format!("directory {:?}", physical(&dirs, "")), &e))
            })?;
            let entry = tree.find_entry(name.as_str()).map(|e| (e.mode().kind(), e.object_id()));
            let here = physical(&dirs, &name);
            let missing = |via: Option<Rc<Followed>>| match via {
                Some(f) => self.link_error(SymlinkError::Dangling {
                    link: f.link.clone(),
                    target: f.target.clone(),
                    commit: String::new(),
                }),
                None => Unresolved::Missing,
            };
            match entry {
                None | Some((GitKind::Commit, _)) => return Err(missing(via)),
                Some((GitKind::Tree, id)) => dirs.push((name, id)),
                Some((GitKind::Blob | GitKind::BlobExecutable, id)) => {
                    if !queue.is_empty() {
                        return Err(Unresolved::ThroughFile(here));
                    }
                    let physical = here.split('/').map(str::to_string).collect();
                    return Ok(Located { node: Node::Blob(id), physical, links });
                }
                Some((GitKind::Link, id)) => {
                    if links.len() >= MAX_SYMLINK_HOPS {
                        return Err(self.link_error(SymlinkError::Loop {
                            path: parts_to_string(parts),
                            link: here,
                            commit: String::new(),
                        }));
                    }
                    let target = self.link_target(repo, id, &here)?;
                    links.push(here.clone());
                    let followed = Rc::new(Followed { link: here, target: target.clone() });
                    for segment in target.split('/').rev().filter(|s| !s.is_empty() && *s != ".") {
                        queue.push_front(Segment { name: segment.to_string(), via: Some(followed.clone()) });
                    }
                }
            }
        }
        let node = Node::Tree(dirs.last().map_or(self.inner.root, |(_, id)| *id));
        Ok(Located { node, physical: dirs.into_iter().map(|(n, _)| n).collect(), links })
    }

    /// The target of the symlink blob `id` at `link`, checked: not empty, not too long, UTF-8, no NUL, relative.
    fn link_target(&self, repo: &gix::Repository, id: ObjectId, link: &str) -> Result<String, Unresolved> {
        let invalid = |reason: &str| {
            self.link_error(SymlinkError::Invalid {
                link: link.to_string(),
                reason: reason.to_string(),
                commit: String::new(),
            })
        };
        let object_error = |e: gix::Error| Unresolved::Error(self.object_error(format!("symlink {link:?}"), &e));
        let header = repo.try_find_header(id).map_err(object_error)?;
        if header.is_some_and(|h| h.size() > MAX_LINK_TARGET) {
            return Err(invalid(&format!("it is longer than {MAX_LINK_TARGET} bytes")));
        }
        let data = repo.find_blob(id).map_err(object_error)?.take_data();
        let target = String::from_utf8(data).map_err(|_| invalid("it is not valid UTF-8"))?;
        if target.is_empty() {
            return Err(invalid("it is empty"));
        }
        if target.contains('\0') {
            return Err(invalid("it contains a NUL byte"));
        }
        if target.starts_with('/') {
            return Err(self.link_error(SymlinkError::Escapes {
                link: link.to_string(),
                target,
                commit: String::new(),
            }));
        }
        Ok(target)
    }

    /// Fills in the commit of a symlink error.
    fn link_error(&self, mut err: SymlinkError) -> Unresolved {
        let commit = match &mut err {
            SymlinkError::Escapes { commit, .. }
            | SymlinkError::Dangling { commit, .. }
            | SymlinkError::Loop { commit, .. }
            | SymlinkError::Invalid { commit, .. } => commit,
        };
        *commit = self.commit();
        Unresolved::Link(err)
    }

    /// The error for a path that did not resolve. With ignore rules, an ignored path is just not there.
    fn failure(&self, parts: &[&str], unresolved: Unresolved) -> SourceError {
        if self.view.as_ref().is_some_and(|v| v.rules.is_ignored_parts(parts, false)) {
            return self.not_found(parts.join("/"));
        }
        match unresolved {
            Unresolved::Missing => self.not_found(parts.join("/")),
            Unresolved::ThroughFile(file) => SourceError::NotADirectory { path: file, commit: self.commit() },
            Unresolved::Link(e) => SourceError::Symlink(e),
            Unresolved::Error(e) => e,
        }
    }

    fn not_found(&self, path: String) -> SourceError {
        SourceError::NotFound { path, commit: self.commit() }
    }

    /// Whether the ignore rules (if any) leave the resolved `logical` path visible.
    fn visible(&self, repo: &gix::Repository, logical: &[&str], located: &Located) -> Result<bool, SourceError> {
        match located.node {
            Node::Blob(_) => Ok(self.file_visible(logical, &located.physical)),
            Node::Tree(id) => self.dir_visible(repo, logical, &located.physical, id),
        }
    }

    /// A file is visible when neither the path asked for nor the path it resolves to is ignored.
    fn file_visible(&self, logical: &[&str], physical: &[String]) -> bool {
        let Some(view) = &self.view else { return true };
        !view.rules.is_ignored_parts(logical, false) && !view.rules.is_ignored_parts(physical, false)
    }

    /// A directory is visible when it is not ignored, or when something below it is (Flux archives every file
    /// that is not ignored, whatever its directory).
    fn dir_visible(
        &self,
        repo: &gix::Repository,
        logical: &[&str],
        physical: &[String],
        id: ObjectId,
    ) -> Result<bool, SourceError> {
        let Some(view) = &self.view else { return Ok(true) };
        let rules = &view.rules;
        let (by_logical, by_physical) = (rules.is_ignored_parts(logical, true), rules.is_ignored_parts(physical, true));
        if !by_logical && !by_physical {
            return Ok(true);
        }
        // Below an ignored directory, only a `!` pattern can make something visible.
        if (by_logical && !rules.may_include_below(logical)) || (by_physical && !rules.may_include_below(physical)) {
            return Ok(false);
        }
        let key = (logical.join("/"), physical.join("/"));
        if let Some(&known) = view.dirs.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(known);
        }
        let found = self.has_visible_descendant(repo, rules, logical, physical, id)?;
        view.dirs.lock().unwrap_or_else(|p| p.into_inner()).insert(key, found);
        Ok(found)
    }

    /// Whether any entry below tree `id` (at `logical` / `physical`) is not ignored. Symlinks below are not
    /// followed here: a symlink counts as a file at its own path.
    fn has_visible_descendant(
        &self,
        repo: &gix::Repository,
        rules: &IgnoreRules,
        logical: &[&str],
        physical: &[String],
        id: ObjectId,
    ) -> Result<bool, SourceError> {
        let mut stack: Vec<(Vec<String>, ObjectId)> = vec![(Vec::new(), id)];
        while let Some((rel, id)) = stack.pop() {
            let what = || format!("directory {:?}", physical.iter().chain(&rel).cloned().collect::<Vec<_>>().join("/"));
            let tree = repo.find_tree(id).map_err(|e| self.object_error(what(), &e))?;
            let decoded = tree.decode().map_err(|e| self.object_error(what(), &e))?;
            for entry in &decoded.entries {
                let is_dir = match entry.mode.kind() {
                    GitKind::Commit => continue,
                    GitKind::Tree => true,
                    GitKind::Blob | GitKind::BlobExecutable | GitKind::Link => false,
                };
                let mut below = rel.clone();
                below.push(String::from_utf8_lossy(entry.filename).into_owned());
                let l: Vec<&str> = logical.iter().copied().chain(below.iter().map(String::as_str)).collect();
                let p: Vec<&str> = physical.iter().chain(&below).map(String::as_str).collect();
                if !rules.is_ignored_parts(&l, is_dir) && !rules.is_ignored_parts(&p, is_dir) {
                    return Ok(true);
                }
                if is_dir {
                    stack.push((below, entry.oid.into()));
                }
            }
        }
        Ok(false)
    }

    fn object_error(&self, what: String, err: &gix::Error) -> SourceError {
        SourceError::Object { what, commit: self.commit(), detail: chain(err) }
    }
}

fn kind_of(node: Node) -> EntryKind {
    match node {
        Node::Tree(_) => EntryKind::Dir,
        Node::Blob(_) => EntryKind::File,
    }
}

fn parts_to_string<S: AsRef<str>>(parts: &[S]) -> String {
    parts.iter().map(AsRef::as_ref).collect::<Vec<_>>().join("/")
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
        check::<IgnoreRules>();
    }
}
