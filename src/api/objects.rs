//! Flux's objects as users write them: `GitRepository`
//! (source.toolkit.fluxcd.io v1, v1beta2), `Kustomization`
//! (kustomize.toolkit.fluxcd.io v1, v1beta2) and `Receiver`
//! (notification.toolkit.fluxcd.io v1). Every field of Flux's schema loads;
//! fields a struct does not know land in `unknown` and are reported by
//! validation, so a typo never passes silently.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Keys a struct did not declare.
pub type Unknown = BTreeMap<String, Value>;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `{name: ...}`: a reference to a Secret or ConfigMap in the object's namespace.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct LocalRef {
    #[serde(default)]
    pub name: String,
}

/// `spec.ref` of a GitRepository.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GitRef {
    pub branch: Option<String>,
    pub tag: Option<String>,
    pub semver: Option<String>,
    pub name: Option<String>,
    pub commit: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositorySpec {
    #[serde(default)]
    pub url: String,
    pub secret_ref: Option<LocalRef>,
    pub provider: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<GitRef>,
    pub verify: Option<Value>,
    pub proxy_secret_ref: Option<LocalRef>,
    pub ignore: Option<String>,
    #[serde(default)]
    pub suspend: bool,
    #[serde(default)]
    pub recurse_submodules: bool,
    pub include: Option<Vec<Value>>,
    pub sparse_checkout: Option<Vec<String>>,
    /// v1beta2 only.
    pub access_from: Option<Value>,
    /// v1beta2 only (deprecated).
    pub git_implementation: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrossNamespaceRef {
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependsOn {
    #[serde(default)]
    pub name: String,
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizationSpec {
    pub common_metadata: Option<Value>,
    #[serde(default)]
    pub depends_on: Vec<DependsOn>,
    pub decryption: Option<Value>,
    pub interval: Option<String>,
    pub retry_interval: Option<String>,
    pub kube_config: Option<Value>,
    pub path: Option<String>,
    pub post_build: Option<Value>,
    pub prune: Option<bool>,
    pub deletion_policy: Option<String>,
    #[serde(default)]
    pub health_checks: Vec<Value>,
    pub health_check_exprs: Option<Vec<Value>>,
    pub name_prefix: Option<String>,
    pub name_suffix: Option<String>,
    pub patches: Option<Vec<Value>>,
    pub images: Option<Vec<Value>>,
    pub service_account_name: Option<String>,
    pub source_ref: Option<CrossNamespaceRef>,
    #[serde(default)]
    pub suspend: bool,
    pub target_namespace: Option<String>,
    pub timeout: Option<String>,
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub wait: bool,
    pub components: Option<Vec<String>>,
    /// v1beta2 only.
    pub patches_strategic_merge: Option<Vec<Value>>,
    /// v1beta2 only.
    pub patches_json6902: Option<Vec<Value>>,
    /// v1beta2 only (deprecated).
    pub validation: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverResource {
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    pub namespace: Option<String>,
    pub match_labels: Option<BTreeMap<String, String>>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverSpec {
    #[serde(rename = "type", default)]
    pub type_: String,
    pub interval: Option<String>,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub resources: Vec<ReceiverResource>,
    pub resource_filter: Option<String>,
    pub secret_ref: Option<LocalRef>,
    #[serde(default)]
    pub suspend: bool,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// One object as written, before validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document<S> {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default = "Option::default")]
    pub spec: Option<S>,
    /// Ignored: status is the daemon's to write.
    pub status: Option<Value>,
    #[serde(flatten)]
    pub unknown: Unknown,
}
