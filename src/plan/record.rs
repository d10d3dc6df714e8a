//! What the planner remembers of one Kustomization's last render, how it is
//! written to disk, and the digest of the inputs that live outside the tree.

use crate::render::ReadSet;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeSet;

/// The version of the record format [`ReadSetRecord::to_json`] writes.
pub const RECORD_VERSION: u32 = 1;

/// What the planner remembers of one Kustomization's last successful render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSetRecord {
    /// The commit (40 hex) the render read.
    pub revision: String,
    /// The Kustomization's `spec.path`, normalised (`""` is the root).
    pub path: String,
    /// Every file read (or named but missing) and every directory listed,
    /// symlinks included (see [`with_links`]).
    pub read_set: ReadSet,
    /// [`spec_digest`] of everything outside the tree the render depended on.
    pub spec_digest: String,
}

/// Why a stored record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("read-set record is not valid JSON of the expected shape: {0}")]
    Malformed(String),
    #[error("read-set record has version {found}; this driftless reads version {RECORD_VERSION}")]
    Version { found: u64 },
    #[error("read-set record has an invalid {field}: {value:?}")]
    Invalid { field: &'static str, value: String },
}

/// The on-disk form of a record.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Stored {
    version: u32,
    revision: String,
    path: String,
    spec_digest: String,
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

impl ReadSetRecord {
    /// The record as JSON (versioned).
    pub fn to_json(&self) -> Value {
        let stored = Stored {
            version: RECORD_VERSION,
            revision: self.revision.clone(),
            path: self.path.clone(),
            spec_digest: self.spec_digest.clone(),
            files: self.read_set.files.clone(),
            dirs: self.read_set.dirs.clone(),
        };
        serde_json::to_value(stored).unwrap_or(Value::Null)
    }

    /// Reads a record written by [`ReadSetRecord::to_json`]. Anything else
    /// (another version, a missing field, a path that is not normalised) is
    /// an error, never a panic.
    pub fn from_json(value: &Value) -> Result<ReadSetRecord, RecordError> {
        let version = value.get("version").and_then(Value::as_u64);
        match version {
            Some(v) if v == u64::from(RECORD_VERSION) => {}
            Some(found) => return Err(RecordError::Version { found }),
            None => return Err(RecordError::Malformed("no version".into())),
        }
        let stored: Stored =
            serde_json::from_value(value.clone()).map_err(|e| RecordError::Malformed(e.to_string()))?;
        if !is_commit(&stored.revision) {
            return Err(RecordError::Invalid { field: "revision", value: stored.revision });
        }
        for (field, path) in std::iter::once(("path", &stored.path))
            .chain(stored.files.iter().map(|p| ("file", p)))
            .chain(stored.dirs.iter().map(|p| ("directory", p)))
        {
            if !is_normalised(path) {
                return Err(RecordError::Invalid { field, value: path.clone() });
            }
        }
        Ok(ReadSetRecord {
            revision: stored.revision,
            path: stored.path,
            spec_digest: stored.spec_digest,
            read_set: ReadSet { files: stored.files, dirs: stored.dirs },
        })
    }
}

/// A commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
fn is_commit(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A repository-relative path with no empty, `.` or `..` segment (`""` is the root).
fn is_normalised(path: &str) -> bool {
    path.is_empty() || path.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// A digest of the inputs of a render that live outside the source tree
/// (the Kustomization's spec, its `postBuild.substituteFrom` values, its
/// `dependsOn`, the source's ignore rules): named parts, each JSON, with
/// object keys sorted so that key order does not matter. Any change to a
/// part, its name, or the order of the parts changes the digest.
pub fn spec_digest<'a>(parts: impl IntoIterator<Item = (&'a str, &'a Value)>) -> String {
    let mut hasher = Sha256::new();
    for (name, value) in parts {
        let text = canonical(value).to_string();
        for field in [name, &text] {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
    }
    let hex: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// `value` with every object's keys in sorted order.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Where a path of a read-set really is: its path once symlinks are
/// followed, and the symlinks followed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub path: String,
    pub links: Vec<String>,
}

/// `read_set` with, for every path reached through symlinks, the path it
/// really is (a change there is what git reports) and the symlinks on the way
/// (a change of their target changes what the path reads). `resolve` answers
/// for paths that exist (a git tree's `resolve`); for a missing path, its
/// longest existing ancestor is resolved and the rest appended, so that a
/// file appearing later at the real location is still noticed.
pub fn with_links(read_set: &ReadSet, resolve: impl Fn(&str) -> Option<Resolved>) -> ReadSet {
    let mut out = read_set.clone();
    for (paths, is_dir) in [(&read_set.files, false), (&read_set.dirs, true)] {
        for path in paths {
            let Some(found) = resolve_existing_prefix(path, &resolve) else { continue };
            if found.path != *path {
                if is_dir {
                    out.dirs.insert(found.path)
                } else {
                    out.files.insert(found.path)
                };
            }
            out.files.extend(found.links);
        }
    }
    out
}

/// Resolves `path`, or its longest ancestor that resolves with the rest of
/// the path appended.
fn resolve_existing_prefix(path: &str, resolve: &impl Fn(&str) -> Option<Resolved>) -> Option<Resolved> {
    let mut head = path;
    let mut tail_start = path.len();
    loop {
        if let Some(mut found) = resolve(head) {
            let tail = &path[tail_start..];
            if !tail.is_empty() {
                found.path = if found.path.is_empty() {
                    tail.trim_start_matches('/').to_string()
                } else {
                    format!("{}{tail}", found.path)
                };
            }
            return Some(found);
        }
        if head.is_empty() {
            return None;
        }
        let cut = head.rfind('/').unwrap_or(0);
        head = &head[..cut];
        tail_start = cut;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> ReadSetRecord {
        ReadSetRecord {
            revision: "a".repeat(40),
            path: "clusters/dev".into(),
            read_set: ReadSet {
                files: ["clusters/base/deploy.yaml".to_string(), "clusters/dev/kustomization.yaml".to_string()].into(),
                dirs: ["clusters/base".to_string(), "clusters/dev".to_string()].into(),
            },
            spec_digest: spec_digest([("spec", &json!({"path": "./clusters/dev"}))]),
        }
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let r = record();
        let json = r.to_json();
        assert_eq!(json["version"], 1);
        assert_eq!(json["files"][0], "clusters/base/deploy.yaml");
        assert_eq!(ReadSetRecord::from_json(&json), Ok(r));
    }

    #[test]
    fn another_version_is_refused_with_its_number() {
        let mut json = record().to_json();
        json["version"] = json!(2);
        let err = ReadSetRecord::from_json(&json).unwrap_err();
        assert_eq!(err.to_string(), "read-set record has version 2; this driftless reads version 1");
    }

    #[test]
    fn malformed_records_are_errors_not_panics() {
        for bad in [
            json!(null),
            json!("text"),
            json!({"version": 1}),
            json!({"version": "1"}),
            json!({"version": 1, "revision": "a", "path": "", "specDigest": "", "files": [], "dirs": []}),
        ] {
            assert!(ReadSetRecord::from_json(&bad).is_err(), "{bad}");
        }
        let mut json = record().to_json();
        json["files"] = json!(["../outside"]);
        assert_eq!(
            ReadSetRecord::from_json(&json).unwrap_err().to_string(),
            "read-set record has an invalid file: \"../outside\""
        );
        let mut json = record().to_json();
        json["extra"] = json!(true);
        assert!(matches!(ReadSetRecord::from_json(&json), Err(RecordError::Malformed(_))));
    }

    #[test]
    fn the_digest_ignores_key_order_but_not_values_or_names() {
        let a = json!({"path": "./x", "prune": true, "postBuild": {"substitute": {"a": "1", "b": "2"}}});
        let b = json!({"postBuild": {"substitute": {"b": "2", "a": "1"}}, "prune": true, "path": "./x"});
        let c = json!({"path": "./x", "prune": false, "postBuild": {"substitute": {"a": "1", "b": "2"}}});
        assert_eq!(spec_digest([("spec", &a)]), spec_digest([("spec", &b)]));
        assert_ne!(spec_digest([("spec", &a)]), spec_digest([("spec", &c)]));
        assert_ne!(spec_digest([("spec", &a)]), spec_digest([("other", &a)]));
        let vars = json!({"cluster": "dev"});
        assert_ne!(spec_digest([("spec", &a)]), spec_digest([("spec", &a), ("ConfigMap/flux-system/vars", &vars)]));
        assert!(spec_digest([("spec", &a)]).starts_with("sha256:"));
    }

    /// A tree where `clusters/dev/base` is a symlink to `clusters/base`.
    fn resolve(path: &str) -> Option<Resolved> {
        let real = ["", "clusters", "clusters/base", "clusters/base/kustomization.yaml", "clusters/dev"];
        if let Some(rest) = path.strip_prefix("clusters/dev/base") {
            let target = format!("clusters/base{rest}");
            return real
                .contains(&target.as_str())
                .then(|| Resolved { path: target, links: vec!["clusters/dev/base".into()] });
        }
        real.contains(&path).then(|| Resolved { path: path.into(), links: Vec::new() })
    }

    #[test]
    fn paths_through_symlinks_add_the_real_path_and_the_link() {
        let read = ReadSet {
            files: ["clusters/dev/base/kustomization.yaml".to_string(), "clusters/dev/base/missing.yaml".to_string()]
                .into(),
            dirs: ["clusters/dev".to_string(), "clusters/dev/base".to_string()].into(),
        };
        let out = with_links(&read, resolve);
        let files: Vec<&str> = out.files.iter().map(String::as_str).collect();
        assert_eq!(
            files,
            [
                "clusters/base/kustomization.yaml",
                "clusters/base/missing.yaml",
                "clusters/dev/base",
                "clusters/dev/base/kustomization.yaml",
                "clusters/dev/base/missing.yaml",
            ]
        );
        let dirs: Vec<&str> = out.dirs.iter().map(String::as_str).collect();
        assert_eq!(dirs, ["clusters/base", "clusters/dev", "clusters/dev/base"]);
    }

    #[test]
    fn without_symlinks_the_read_set_is_unchanged() {
        let read = record().read_set;
        let plain = |p: &str| Some(Resolved { path: p.to_string(), links: Vec::new() });
        assert_eq!(with_links(&read, plain), read);
        assert_eq!(with_links(&read, |_| None), read);
    }
}
