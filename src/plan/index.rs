//! An index from read-set paths to the records that hold them, so that a
//! change is matched by looking up its path and its ancestors, never by
//! scanning every record.

use super::change::{Change, ancestors};
use super::record::ReadSetRecord;
use std::collections::HashMap;

/// The records (by slot number) holding each path.
#[derive(Debug, Default)]
pub(crate) struct PathIndex {
    /// Files read, or named and found missing.
    files: HashMap<String, Vec<u32>>,
    /// Directories listed.
    dirs: HashMap<String, Vec<u32>>,
    /// Each record's own path.
    roots: HashMap<String, Vec<u32>>,
}

/// How a change reached a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hit<'a> {
    /// The path, or an ancestor of it, is a file the record read or named.
    File(&'a str),
    /// The listing of this directory, which the record listed, changed.
    Listing(&'a str),
    /// A file may have appeared under the record's own path.
    UnderPath,
}

impl PathIndex {
    pub(crate) fn add(&mut self, slot: u32, record: &ReadSetRecord) {
        for path in &record.read_set.files {
            self.files.entry(path.clone()).or_default().push(slot);
        }
        for path in &record.read_set.dirs {
            self.dirs.entry(path.clone()).or_default().push(slot);
        }
        self.roots.entry(record.path.clone()).or_default().push(slot);
    }

    pub(crate) fn remove(&mut self, slot: u32, record: &ReadSetRecord) {
        fn drop_from(map: &mut HashMap<String, Vec<u32>>, path: &str, slot: u32) {
            if let Some(slots) = map.get_mut(path) {
                slots.retain(|s| *s != slot);
                if slots.is_empty() {
                    map.remove(path);
                }
            }
        }
        for path in &record.read_set.files {
            drop_from(&mut self.files, path, slot);
        }
        for path in &record.read_set.dirs {
            drop_from(&mut self.dirs, path, slot);
        }
        drop_from(&mut self.roots, &record.path, slot);
    }

    /// Calls `hit` for every record `change` reaches, strongest evidence
    /// first: files read, then listings, then the own-path rule.
    pub(crate) fn hits<'c>(&self, change: &'c Change, mut hit: impl FnMut(u32, Hit<'c>)) {
        let path = change.path.as_str();
        let mut report = |map: &HashMap<String, Vec<u32>>, key: &str, kind: Hit<'c>| {
            for slot in map.get(key).into_iter().flatten() {
                hit(*slot, kind);
            }
        };
        // The file itself, or a path named before that is now a directory above it.
        report(&self.files, path, Hit::File(path));
        for dir in ancestors(path).skip(1) {
            report(&self.files, dir, Hit::File(path));
        }
        // A symlink standing for a listed directory.
        report(&self.dirs, path, Hit::Listing(path));
        if let Some(from) = change.listing_from() {
            for dir in ancestors(path).filter(|d| is_at_or_below(d, from)) {
                report(&self.dirs, dir, Hit::Listing(dir));
            }
        }
        if change.may_have_appeared() {
            for dir in ancestors(path) {
                report(&self.roots, dir, Hit::UnderPath);
            }
        }
    }
}

/// Whether directory `dir` is `top` or inside it (`""` is the root).
fn is_at_or_below(dir: &str, top: &str) -> bool {
    top.is_empty() || dir == top || dir.strip_prefix(top).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::change::ChangeKind;
    use crate::render::ReadSet;

    fn record(path: &str, files: &[&str], dirs: &[&str]) -> ReadSetRecord {
        ReadSetRecord {
            revision: "0".repeat(40),
            path: path.into(),
            read_set: ReadSet {
                files: files.iter().map(|s| s.to_string()).collect(),
                dirs: dirs.iter().map(|s| s.to_string()).collect(),
            },
            spec_digest: String::new(),
        }
    }

    fn hits(index: &PathIndex, change: &Change) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        index.hits(change, |slot, hit| out.push((slot, format!("{hit:?}"))));
        out
    }

    #[test]
    fn below_is_by_whole_segments() {
        assert!(is_at_or_below("a/b", ""));
        assert!(is_at_or_below("a/b", "a"));
        assert!(is_at_or_below("a", "a"));
        assert!(!is_at_or_below("ab", "a"));
        assert!(!is_at_or_below("", "a"));
    }

    #[test]
    fn removing_a_record_forgets_its_paths() {
        let mut index = PathIndex::default();
        let a = record("a", &["a/kustomization.yaml"], &["a"]);
        index.add(0, &a);
        index.add(1, &record("b", &["a/kustomization.yaml"], &["b"]));
        index.remove(0, &a);
        let change = Change::unknown("a/kustomization.yaml");
        assert_eq!(hits(&index, &change), [(1, "File(\"a/kustomization.yaml\")".to_string())]);
        index.remove(1, &record("b", &["a/kustomization.yaml"], &["b"]));
        assert!(index.files.is_empty() && index.dirs.is_empty() && index.roots.is_empty());
    }

    #[test]
    fn listings_count_only_from_the_outermost_changed_directory_down() {
        let mut index = PathIndex::default();
        index.add(0, &record("x", &[], &["", "a"]));
        index.add(1, &record("y", &[], &["a/b"]));
        let change = Change { path: "a/b/c/new.yaml".into(), kind: ChangeKind::Added { dir: "a/b".into() } };
        assert_eq!(hits(&index, &change), [(1, "Listing(\"a/b\")".to_string())]);
        let unknown = Change::unknown("a/b/c/new.yaml");
        assert_eq!(hits(&index, &unknown).len(), 3);
    }
}
