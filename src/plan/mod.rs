//! Affected-path planning: which Kustomizations of a source a new revision
//! touches, so that a push re-renders and re-applies only those.
//!
//! Each Kustomization's last render left a [`ReadSetRecord`]: the revision it
//! read, every file it read (or named and found missing) and every directory
//! it listed. [`ReadSets`] keeps the records of one source, indexed by path,
//! and [`ReadSets::plan`] decides, for a move of the source from one revision
//! to the next, which Kustomizations are affected and why:
//!
//! - a file in its read-set changed, appeared or disappeared (a named file
//!   that was missing counts: it may now exist), or a path it named became a
//!   directory;
//! - a directory it listed gained or lost an entry, or a file appeared
//!   anywhere under its own path;
//! - its spec digest changed ([`spec_digest`]: the spec,
//!   `postBuild.substituteFrom` values, `dependsOn`, the source's ignore rules);
//! - a `.sourceignore` changed (it can hide or reveal any path);
//! - and everything is affected when the previous revision is unknown: no
//!   record, a record of another revision, no list of changed paths (the old
//!   commit is gone after a force-push), an unreadable record.
//!
//! Everything else is skipped: it only records the new revision as seen
//! ([`ReadSets::mark_seen`]). Planning is pure and synchronous; the caller
//! computes the changed paths ([`classify`] over the two trees) and persists
//! the records ([`ReadSets::to_bytes`]).

mod change;
mod index;
mod record;

pub use change::{Change, ChangeKind, classify};
pub use record::{RECORD_VERSION, ReadSetRecord, RecordError, Resolved, spec_digest, with_links};

use index::{Hit, PathIndex};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;

/// The name of the file whose change makes every Kustomization affected.
const IGNORE_FILE: &str = ".sourceignore";

/// Why a Kustomization is affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Reconcile-everything mode: every Kustomization runs at every revision.
    Everything,
    /// No record: it has never been rendered (or not since its records were lost).
    FirstRender,
    /// What it read last time cannot be compared with this revision.
    UnknownPrevious(Unknown),
    /// Its spec, substitution inputs, dependencies or ignore rules changed.
    SpecChanged,
    /// This `.sourceignore` changed, which may hide or reveal any path.
    IgnoreRulesChanged(String),
    /// This changed path is a file it read or named (or lies below one).
    PathChanged(String),
    /// The listing of directory `dir`, which it listed, changed (at `path`).
    DirectoryChanged { dir: String, path: String },
    /// This file may have appeared under its own path.
    AppearedUnderPath(String),
    /// Its last reconcile failed: it runs again at every revision until one succeeds.
    LastReconcileFailed,
}

/// Why the previous revision cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// The source has no previous revision.
    NoPreviousRevision,
    /// The changed paths are not known (the previous commit is missing).
    HistoryUnavailable,
    /// The record is of another revision than the previous one.
    OtherRevision { recorded: String },
    /// The stored record could not be read.
    CorruptRecord(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Everything => f.write_str("reconcile-everything mode"),
            Reason::FirstRender => f.write_str("first render"),
            Reason::UnknownPrevious(why) => write!(f, "previous revision unknown: {why}"),
            Reason::SpecChanged => f.write_str("spec or inputs changed"),
            Reason::IgnoreRulesChanged(path) => write!(f, "ignore rules changed: {path}"),
            Reason::PathChanged(path) => write!(f, "{path} changed"),
            Reason::DirectoryChanged { dir, path } => {
                write!(f, "listing of {} changed: {path}", if dir.is_empty() { "the root" } else { dir })
            }
            Reason::AppearedUnderPath(path) => write!(f, "{path} added under its path"),
            Reason::LastReconcileFailed => f.write_str("its last reconcile failed"),
        }
    }
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unknown::NoPreviousRevision => f.write_str("the source has no previous revision"),
            Unknown::HistoryUnavailable => f.write_str("the changed paths are not known"),
            Unknown::OtherRevision { recorded } => write!(f, "its last render was of {recorded}"),
            Unknown::CorruptRecord(why) => write!(f, "its record is unreadable ({why})"),
        }
    }
}

/// One Kustomization of the source, as it is now.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Its key (`namespace/name`), as records are stored under.
    pub key: &'a str,
    /// [`spec_digest`] of its current inputs.
    pub spec_digest: &'a str,
}

/// A move of the source between two revisions.
#[derive(Debug, Clone, Copy)]
pub struct Update<'a> {
    /// The revision (commit) planned for last, if any.
    pub from: Option<&'a str>,
    /// The new revision (commit).
    pub to: &'a str,
    /// What changed from `from` to `to` (sorted by path), or `None` when it
    /// cannot be known.
    pub changes: Option<&'a [Change]>,
}

/// Plan every Kustomization, or only the affected ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Planned,
    /// Every Kustomization runs at every revision (Flux's behaviour).
    Everything,
}

/// The decision for one Kustomization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub kustomization: String,
    /// Why it must render and apply; `None` when it is skipped.
    pub affected: Option<Reason>,
}

/// The decisions for every Kustomization of a source, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub decisions: Vec<Decision>,
}

impl Plan {
    pub fn total(&self) -> usize {
        self.decisions.len()
    }

    pub fn affected(&self) -> usize {
        self.decisions.iter().filter(|d| d.affected.is_some()).count()
    }

    pub fn skipped(&self) -> usize {
        self.total() - self.affected()
    }

    /// The affected Kustomizations with their reasons.
    pub fn affected_with_reasons(&self) -> impl Iterator<Item = (&str, &Reason)> {
        self.decisions.iter().filter_map(|d| d.affected.as_ref().map(|r| (d.kustomization.as_str(), r)))
    }

    /// The reason `kustomization` is affected, if it is (a linear search: to
    /// go through all of them, iterate `decisions`, which follow the targets' order).
    pub fn reason(&self, kustomization: &str) -> Option<&Reason> {
        self.decisions.iter().find(|d| d.kustomization == kustomization).and_then(|d| d.affected.as_ref())
    }
}

/// What is stored for one Kustomization.
#[derive(Debug, Clone)]
enum Stored {
    Record(ReadSetRecord),
    /// A record that could not be read, and why.
    Corrupt(String),
    /// Its last reconcile failed (not written to disk: absent, it is planned as a first render).
    Failed,
}

/// The read-set records of the Kustomizations of one source, indexed by path.
#[derive(Debug, Default)]
pub struct ReadSets {
    /// Records by slot; a removed one leaves `None` until reused.
    slots: Vec<Option<(String, Stored)>>,
    free: Vec<u32>,
    by_key: HashMap<String, u32>,
    index: PathIndex,
    /// Why the stored records as a whole could not be read.
    unreadable: Option<String>,
}

/// The version of the format [`ReadSets::to_bytes`] writes.
const STORE_VERSION: u64 = 1;

impl ReadSets {
    pub fn new() -> ReadSets {
        ReadSets::default()
    }

    /// The number of Kustomizations with something stored.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The Kustomizations with something stored.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.by_key.keys().map(String::as_str)
    }

    /// The record of `kustomization`, if there is a readable one.
    pub fn get(&self, kustomization: &str) -> Option<&ReadSetRecord> {
        match self.stored(kustomization)? {
            Stored::Record(r) => Some(r),
            Stored::Corrupt(_) | Stored::Failed => None,
        }
    }

    /// Stores the record of `kustomization`'s latest successful render,
    /// replacing what was there.
    pub fn insert(&mut self, kustomization: &str, record: ReadSetRecord) {
        self.put(kustomization, Stored::Record(record));
    }

    /// Notes that `kustomization`'s stored record could not be read: it is
    /// planned as affected until a new record is inserted.
    pub fn insert_unreadable(&mut self, kustomization: &str, why: impl Into<String>) {
        self.put(kustomization, Stored::Corrupt(why.into()));
    }

    /// Notes that `kustomization`'s last reconcile failed: it is planned as
    /// affected until a successful one inserts a new record.
    pub fn mark_failed(&mut self, kustomization: &str) {
        self.put(kustomization, Stored::Failed);
    }

    /// Forgets `kustomization` (no longer configured), returning its record.
    pub fn remove(&mut self, kustomization: &str) -> Option<ReadSetRecord> {
        let slot = self.by_key.remove(kustomization)?;
        let (_, stored) = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        match stored {
            Stored::Record(r) => {
                self.index.remove(slot, &r);
                Some(r)
            }
            Stored::Corrupt(_) | Stored::Failed => None,
        }
    }

    /// Records that a skipped Kustomization has seen `revision`: nothing it
    /// read changed, so its read-set is the same at `revision`.
    pub fn mark_seen(&mut self, kustomization: &str, revision: &str) {
        if let Some(Some((_, Stored::Record(r)))) =
            self.by_key.get(kustomization).and_then(|slot| self.slots.get_mut(*slot as usize))
        {
            r.revision = revision.to_string();
        }
    }

    /// Marks every Kustomization the plan skipped as having seen `to`.
    pub fn mark_skipped_seen(&mut self, plan: &Plan, to: &str) {
        for d in plan.decisions.iter().filter(|d| d.affected.is_none()) {
            self.mark_seen(&d.kustomization, to);
        }
    }

    fn stored(&self, kustomization: &str) -> Option<&Stored> {
        let slot = *self.by_key.get(kustomization)?;
        self.slots.get(slot as usize)?.as_ref().map(|(_, s)| s)
    }

    fn put(&mut self, kustomization: &str, stored: Stored) {
        self.remove(kustomization);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        if let Stored::Record(r) = &stored {
            self.index.add(slot, r);
        }
        if let Some(entry) = self.slots.get_mut(slot as usize) {
            *entry = Some((kustomization.to_string(), stored));
        }
        self.by_key.insert(kustomization.to_string(), slot);
    }

    /// Decides, for each of `targets`, whether `update` affects it.
    pub fn plan(&self, update: &Update<'_>, targets: &[Target<'_>], mode: Mode) -> Plan {
        let hits = match (mode, update.changes) {
            (Mode::Planned, Some(changes)) => self.path_hits(changes),
            _ => Hits::default(),
        };
        let decisions = targets
            .iter()
            .map(|t| Decision { kustomization: t.key.to_string(), affected: self.decide(update, t, mode, &hits) })
            .collect();
        Plan { decisions }
    }

    fn decide(&self, update: &Update<'_>, target: &Target<'_>, mode: Mode, hits: &Hits) -> Option<Reason> {
        if mode == Mode::Everything {
            return Some(Reason::Everything);
        }
        let slot = self.by_key.get(target.key).copied();
        let record = match slot.and_then(|s| self.slots.get(s as usize)).and_then(Option::as_ref).map(|(_, s)| s) {
            Some(Stored::Record(r)) => r,
            Some(Stored::Corrupt(why)) => return Some(Reason::UnknownPrevious(Unknown::CorruptRecord(why.clone()))),
            Some(Stored::Failed) => return Some(Reason::LastReconcileFailed),
            None => {
                return Some(match &self.unreadable {
                    Some(why) => Reason::UnknownPrevious(Unknown::CorruptRecord(why.clone())),
                    None => Reason::FirstRender,
                });
            }
        };
        // Rendered at the new revision already: only its inputs can differ.
        let current = record.revision == update.to;
        if !current && let Some(why) = unknown_previous(update, record) {
            return Some(Reason::UnknownPrevious(why));
        }
        if record.spec_digest != target.spec_digest {
            return Some(Reason::SpecChanged);
        }
        if current {
            return None;
        }
        if let Some(path) = &hits.ignore_rules {
            return Some(Reason::IgnoreRulesChanged(path.clone()));
        }
        slot.and_then(|s| hits.by_slot.get(&s)).cloned()
    }

    /// The first reason each record is hit by `changes`.
    fn path_hits(&self, changes: &[Change]) -> Hits {
        let mut hits = Hits::default();
        for change in changes {
            if hits.ignore_rules.is_none() && is_ignore_file(&change.path) {
                hits.ignore_rules = Some(change.path.clone());
            }
            self.index.hits(change, |slot, hit| {
                hits.by_slot.entry(slot).or_insert_with(|| match hit {
                    Hit::File(path) => Reason::PathChanged(path.to_string()),
                    Hit::Listing(dir) => Reason::DirectoryChanged { dir: dir.to_string(), path: change.path.clone() },
                    Hit::UnderPath => Reason::AppearedUnderPath(change.path.clone()),
                });
            });
        }
        hits
    }

    /// The revision every readable record is of, if they agree (after a
    /// restart, the revision to plan the next move from).
    pub fn common_revision(&self) -> Option<&str> {
        let mut revisions = self.slots.iter().flatten().filter_map(|(_, s)| match s {
            Stored::Record(r) => Some(r.revision.as_str()),
            Stored::Corrupt(_) | Stored::Failed => None,
        });
        let first = revisions.next()?;
        revisions.all(|r| r == first).then_some(first)
    }

    /// Every record, versioned JSON, to be read back with [`ReadSets::from_bytes`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut records = Map::new();
        let mut entries: Vec<&(String, Stored)> = self.slots.iter().flatten().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, stored) in entries {
            if let Stored::Record(r) = stored {
                records.insert(key.clone(), r.to_json());
            }
        }
        let store = serde_json::json!({ "version": STORE_VERSION, "records": records });
        serde_json::to_vec(&store).unwrap_or_default()
    }

    /// Reads what [`ReadSets::to_bytes`] wrote. Never fails: a record that
    /// cannot be read plans its Kustomization as affected
    /// ([`Unknown::CorruptRecord`]), and a store that cannot be read at all
    /// (not JSON, another version) plans every Kustomization without a new
    /// record so.
    pub fn from_bytes(bytes: &[u8]) -> ReadSets {
        let mut sets = ReadSets::new();
        let value: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => {
                sets.unreadable = Some(format!("read-set records are not valid JSON: {e}"));
                return sets;
            }
        };
        match value.get("version").and_then(Value::as_u64) {
            Some(STORE_VERSION) => {}
            Some(v) => {
                sets.unreadable =
                    Some(format!("read-set records have version {v}; this driftless reads version {STORE_VERSION}"));
                return sets;
            }
            None => {
                sets.unreadable = Some("read-set records have no version".into());
                return sets;
            }
        }
        let Some(records) = value.get("records").and_then(Value::as_object) else {
            sets.unreadable = Some("read-set records have no \"records\" object".into());
            return sets;
        };
        for (key, record) in records {
            match ReadSetRecord::from_json(record) {
                Ok(r) => sets.insert(key, r),
                Err(e) => sets.insert_unreadable(key, e.to_string()),
            }
        }
        sets
    }
}

/// What the changed paths hit.
#[derive(Debug, Default)]
struct Hits {
    /// The first `.sourceignore` that changed.
    ignore_rules: Option<String>,
    by_slot: HashMap<u32, Reason>,
}

fn unknown_previous(update: &Update<'_>, record: &ReadSetRecord) -> Option<Unknown> {
    let Some(from) = update.from else { return Some(Unknown::NoPreviousRevision) };
    if record.revision != from {
        return Some(Unknown::OtherRevision { recorded: record.revision.clone() });
    }
    update.changes.is_none().then_some(Unknown::HistoryUnavailable)
}

fn is_ignore_file(path: &str) -> bool {
    path.rsplit('/').next() == Some(IGNORE_FILE)
}

#[cfg(test)]
mod tests;
