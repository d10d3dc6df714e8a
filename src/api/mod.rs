//! Flux-compatible object model: `GitRepository`, `Kustomization` and
//! `Receiver`, loaded from a multi-document YAML config and validated, with
//! every problem reported at once, each naming the object and the field.

pub mod duration;
pub mod load;
pub mod objects;

use std::fmt;
use std::time::Duration;

pub use load::{Config, ConfigError, load_file, load_str};

/// The namespace of an object that does not name one, as the flux CLI uses.
pub const DEFAULT_NAMESPACE: &str = "flux-system";

/// Namespace and name of an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> ObjectKey {
        ObjectKey { namespace: namespace.into(), name: name.into() }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What a GitRepository tracks, after Flux's precedence (commit > name >
/// semver > tag > branch; default branch `master`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitReference {
    Branch(String),
    Tag(String),
    Semver(String),
    /// A full ref name, e.g. `refs/pull/42/head`.
    Name(String),
    /// A pinned commit, optionally on a branch.
    Commit {
        commit: String,
        branch: Option<String>,
    },
}

/// `spec.verify` of a GitRepository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verify {
    /// `HEAD`, `Tag` or `TagAndHEAD`, as written (validated).
    pub mode: String,
    /// The Secret whose `*.asc` and `*.sshpub` keys are trusted.
    pub secret_ref: String,
}

/// A validated GitRepository.
#[derive(Debug, Clone)]
pub struct GitRepository {
    pub key: ObjectKey,
    pub api_version: String,
    pub url: String,
    /// Name of the Secret (a directory under the secrets directory) with credentials.
    pub secret_ref: Option<String>,
    pub interval: Duration,
    pub timeout: Duration,
    pub reference: GitReference,
    pub ignore: Option<String>,
    pub verify: Option<Verify>,
    pub suspend: bool,
    /// Every new revision reconciles every Kustomization of this source, as
    /// Flux does ([`PLAN_ANNOTATION`] `everything`), instead of only those it affects.
    pub reconcile_everything: bool,
    pub spec: objects::GitRepositorySpec,
}

/// The GitRepository annotation choosing how a new revision is planned:
/// `affected` (the default: only the Kustomizations whose inputs changed) or
/// `everything` (every Kustomization of the source, as Flux does).
pub const PLAN_ANNOTATION: &str = "driftless.dev/plan";

/// A validated Kustomization.
#[derive(Debug, Clone)]
pub struct Kustomization {
    pub key: ObjectKey,
    pub api_version: String,
    /// The GitRepository it renders from.
    pub source: ObjectKey,
    /// Repository-relative directory, normalised (`clusters/dev`; empty for the root).
    pub path: String,
    pub interval: Duration,
    pub retry_interval: Duration,
    pub timeout: Duration,
    pub prune: bool,
    pub target_namespace: Option<String>,
    pub suspend: bool,
    pub force: bool,
    pub wait: bool,
    pub depends_on: Vec<ObjectKey>,
    pub spec: objects::KustomizationSpec,
}

/// Receiver types driftless verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiverType {
    Github,
    GenericHmac,
}

impl ReceiverType {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiverType::Github => "github",
            ReceiverType::GenericHmac => "generic-hmac",
        }
    }
}

/// A validated Receiver.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub key: ObjectKey,
    pub type_: ReceiverType,
    pub events: Vec<String>,
    /// The GitRepositories it triggers.
    pub resources: Vec<ObjectKey>,
    /// Name of the Secret holding `token`.
    pub secret_ref: String,
    pub suspend: bool,
}
