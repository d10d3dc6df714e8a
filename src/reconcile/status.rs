//! What the daemon reports about each object: Flux-style Ready condition,
//! revisions, and the last apply's result. Served as JSON by the status API.

use serde::Serialize;

/// Ready, as Flux's `Ready` condition status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ready {
    True,
    False,
    Unknown,
}

/// The status of a GitRepository.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    pub name: String,
    pub namespace: String,
    pub url: String,
    /// The revision fetched last, e.g. `main@sha1:<hex>`.
    pub revision: Option<String>,
    pub ready: Ready,
    /// Flux's reason: `Succeeded`, `GitOperationFailed`, `Progressing`.
    pub reason: String,
    pub message: String,
    pub last_fetch: Option<String>,
    /// How many receiver requests triggered a fetch.
    pub triggered: u64,
    /// Something the last fetch wants known (a recloned mirror, replication lag).
    pub warning: Option<String>,
    /// With `spec.verify`: which keys verified the revision.
    pub verified: Option<String>,
    pub suspended: bool,
    /// What the last new revision did to the source's Kustomizations.
    pub last_plan: Option<PlanSummary>,
}

/// One plan: a source moved to a new revision, and which of its
/// Kustomizations that affected.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    /// The revision planned from (`None`: unknown, so everything was affected).
    pub from: Option<String>,
    pub to: String,
    /// `affected` (only the Kustomizations whose inputs changed) or `everything`.
    pub mode: String,
    pub at: String,
    /// Kustomizations on the source (suspended ones are not counted).
    pub total: usize,
    pub affected: usize,
    pub skipped: usize,
    /// The affected ones and why (the first changed path that hit each), at most [`PlanSummary::LISTED`].
    pub affected_kustomizations: Vec<Affected>,
    /// How long planning took, in microseconds (changed paths, digests, the affected set).
    pub duration_us: u64,
}

impl PlanSummary {
    /// How many affected Kustomizations the summary lists by name.
    pub const LISTED: usize = 100;
}

/// An affected Kustomization and why.
#[derive(Debug, Clone, Serialize)]
pub struct Affected {
    pub name: String,
    pub reason: String,
}

/// Objects touched by the last apply.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    pub created: usize,
    pub configured: usize,
    pub unchanged: usize,
    pub deleted: usize,
    /// Left alone because of their annotations (`ssa: Ignore`/`IfNotPresent`, `reconcile: disabled`).
    pub skipped: usize,
    /// Deleted and created again for an immutable field (also counted in `configured`).
    pub recreated: usize,
}

/// The status of a Kustomization.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizationStatus {
    pub name: String,
    pub namespace: String,
    pub source: String,
    pub path: String,
    /// The revision last applied successfully.
    pub last_applied_revision: Option<String>,
    /// The revision last tried (may have failed).
    pub last_attempted_revision: Option<String>,
    pub ready: Ready,
    /// Flux's reason: `ReconciliationSucceeded`, `BuildFailed`, `ReconciliationFailed`, `ArtifactFailed`, `Progressing`.
    pub reason: String,
    pub message: String,
    pub last_reconcile: Option<String>,
    /// How long the last reconcile took, in milliseconds.
    pub last_duration_ms: Option<u64>,
    pub inventory: usize,
    pub changes: Changes,
    pub suspended: bool,
    /// The newest revision of its source it is known to be up to date with:
    /// the last applied one, or a later one whose plan skipped it because
    /// nothing it reads changed.
    pub last_seen_revision: Option<String>,
    /// What the last plan decided for it: why it was reconciled, or that it was skipped.
    pub last_plan: Option<String>,
}
