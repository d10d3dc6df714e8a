//! What changed between two revisions of a source, path by path, and which
//! directory listings each change altered.
//!
//! `Mirror::changed_paths` says which files differ; to know whether a
//! directory listing changed too, the planner needs to know whether a file was
//! only modified (no listing changes) or appeared or disappeared (the listing
//! of its directory, and maybe of directories above it, changed).
//! [`classify`] works that out from the two trees; a bare path
//! ([`Change::unknown`]) is taken as having changed every listing above it.

use crate::render::fs::{Fs, Kind};

/// One changed path (a file or symlink, repository-relative, `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

/// How a path changed, as far as directory listings are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// Present before and after as the same kind of entry: only its content
    /// (or a symlink's target) changed. No directory listing changed.
    Modified,
    /// It appeared. `dir` is the directory whose listing gained the outermost
    /// new entry (the path's own directory, or an ancestor when whole
    /// directories appeared with it); every listing from `dir` down to the
    /// path's directory changed.
    Added { dir: String },
    /// It disappeared (or turned from a file into a directory or back).
    /// `dir` as for [`ChangeKind::Added`].
    Removed { dir: String },
    /// Not known: taken as having appeared, with every listing above it changed.
    Unknown,
}

impl Change {
    /// A path known only to differ: every directory above it may have changed.
    pub fn unknown(path: impl Into<String>) -> Change {
        Change { path: path.into(), kind: ChangeKind::Unknown }
    }

    /// The outermost directory whose listing this change altered, if any
    /// (`""` is the root).
    pub(crate) fn listing_from(&self) -> Option<&str> {
        match &self.kind {
            ChangeKind::Modified => None,
            ChangeKind::Added { dir } | ChangeKind::Removed { dir } => Some(dir),
            ChangeKind::Unknown => Some(""),
        }
    }

    /// Whether a file may have appeared at this path.
    pub(crate) fn may_have_appeared(&self) -> bool {
        matches!(self.kind, ChangeKind::Added { .. } | ChangeKind::Unknown)
    }
}

impl From<String> for Change {
    fn from(path: String) -> Change {
        Change::unknown(path)
    }
}

impl From<&str> for Change {
    fn from(path: &str) -> Change {
        Change::unknown(path)
    }
}

/// Classifies `paths` (as `Mirror::changed_paths` returns them) by looking
/// each one up in the tree `before` and the tree `after` (both as the
/// renderer sees them: symlinks followed, ignored paths absent).
pub fn classify(paths: &[String], before: &dyn Fs, after: &dyn Fs) -> Vec<Change> {
    paths.iter().map(|p| classify_one(p, before, after)).collect()
}

fn classify_one(path: &str, before: &dyn Fs, after: &dyn Fs) -> Change {
    let kind = match (before.kind(path), after.kind(path)) {
        (Some(b), Some(a)) if a == b => ChangeKind::Modified,
        (Some(_), Some(_)) => ChangeKind::Removed { dir: parent(path).to_string() },
        (None, Some(_)) => ChangeKind::Added { dir: outermost_missing(path, before) },
        (Some(_), None) => ChangeKind::Removed { dir: outermost_missing(path, after) },
        (None, None) => ChangeKind::Unknown,
    };
    Change { path: path.to_string(), kind }
}

/// The directory holding the outermost entry on the way to `path` that
/// `tree` lacks (`path` itself is known to be missing).
fn outermost_missing(path: &str, tree: &dyn Fs) -> String {
    for dir in ancestors(path).skip(1) {
        if tree.kind(dir) != Some(Kind::Dir) {
            return parent(dir).to_string();
        }
    }
    parent(path).to_string()
}

/// The directory holding `path` (`""` for a top-level entry).
pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// The proper ancestors of `path`, outermost first: `""` (the root), then
/// `a`, `a/b` for `a/b/c`.
pub(crate) fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::once("").chain(path.match_indices('/').map(move |(i, _)| &path[..i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fs::FsError;
    use std::collections::BTreeMap;

    /// Files by path; directories are implied.
    struct Files(BTreeMap<String, String>);

    impl Files {
        fn new(paths: &[&str]) -> Files {
            Files(paths.iter().map(|p| (p.to_string(), String::new())).collect())
        }
    }

    impl Fs for Files {
        fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
            self.0.get(path).map(|s| s.as_bytes().to_vec()).ok_or_else(|| FsError::NotFound(path.into()))
        }
        fn list(&self, _dir: &str) -> Result<Vec<(String, Kind)>, FsError> {
            Ok(Vec::new())
        }
        fn kind(&self, path: &str) -> Option<Kind> {
            if self.0.contains_key(path) {
                return Some(Kind::File);
            }
            let prefix = format!("{path}/");
            (path.is_empty() || self.0.keys().any(|k| k.starts_with(&prefix))).then_some(Kind::Dir)
        }
    }

    fn kinds(paths: &[&str], before: &[&str], after: &[&str]) -> Vec<ChangeKind> {
        let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        classify(&paths, &Files::new(before), &Files::new(after)).into_iter().map(|c| c.kind).collect()
    }

    #[test]
    fn ancestors_run_from_the_root_down() {
        assert_eq!(ancestors("a/b/c.yaml").collect::<Vec<_>>(), ["", "a", "a/b"]);
        assert_eq!(ancestors("top.yaml").collect::<Vec<_>>(), [""]);
        assert_eq!(parent("a/b/c.yaml"), "a/b");
        assert_eq!(parent("top.yaml"), "");
    }

    #[test]
    fn a_modified_file_changes_no_listing() {
        assert_eq!(kinds(&["a/x.yaml"], &["a/x.yaml"], &["a/x.yaml"]), [ChangeKind::Modified]);
    }

    #[test]
    fn a_new_file_in_an_existing_directory_changes_that_directory() {
        assert_eq!(
            kinds(&["a/y.yaml"], &["a/x.yaml"], &["a/x.yaml", "a/y.yaml"]),
            [ChangeKind::Added { dir: "a".into() }]
        );
    }

    #[test]
    fn a_new_directory_changes_the_listing_of_the_one_holding_it() {
        assert_eq!(
            kinds(&["a/new/deep/y.yaml"], &["a/x.yaml"], &["a/x.yaml", "a/new/deep/y.yaml"]),
            [ChangeKind::Added { dir: "a".into() }]
        );
        assert_eq!(
            kinds(&["top/y.yaml"], &["a/x.yaml"], &["a/x.yaml", "top/y.yaml"]),
            [ChangeKind::Added { dir: "".into() }]
        );
    }

    #[test]
    fn a_removed_directory_changes_the_listing_of_the_one_holding_it() {
        assert_eq!(
            kinds(&["a/gone/y.yaml"], &["a/x.yaml", "a/gone/y.yaml"], &["a/x.yaml"]),
            [ChangeKind::Removed { dir: "a".into() }]
        );
    }

    #[test]
    fn a_file_turning_into_a_directory_changes_its_parent() {
        assert_eq!(kinds(&["a/x"], &["a/x"], &["a/x/inner.yaml"]), [ChangeKind::Removed { dir: "a".into() }]);
    }

    #[test]
    fn a_path_absent_from_both_trees_is_unknown() {
        assert_eq!(kinds(&["ignored.png"], &[], &[]), [ChangeKind::Unknown]);
        assert_eq!(Change::from("x").kind, ChangeKind::Unknown);
        assert_eq!(Change::unknown("x").listing_from(), Some(""));
    }
}
