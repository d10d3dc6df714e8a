//! One object of a render and the identity kustomize tracks for it: its
//! group/version/kind, name and namespace now, and the ids it had before
//! prefixes, suffixes, hashes and namespaces changed them (name references
//! and patch targets follow those).

use serde_json::{Map, Value};
use std::fmt;

/// Group, version and kind. `group` is empty for the core group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    /// From an `apiVersion` (`apps/v1`, `v1`) and a kind.
    pub fn new(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        Gvk { group: group.to_string(), version: version.to_string(), kind: kind.to_string() }
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// Whether the kind is known to be cluster-scoped (kustomize then ignores namespaces for it).
    pub fn is_cluster_scoped(&self) -> bool {
        is_cluster_scoped(&self.group, &self.kind)
    }

    /// kustomize's legacy sort key: group, version and kind joined by `_`,
    /// unset parts spelled `~G`, `~V`, `~K` (which sort last).
    pub fn legacy_key(&self) -> String {
        let or = |s: &str, unset: &'static str| if s.is_empty() { unset.to_string() } else { s.to_string() };
        format!("{}_{}_{}", or(&self.group, "~G"), or(&self.version, "~V"), or(&self.kind, "~K"))
    }

    /// Whether `self` (a selector, empty fields match anything) selects `other`.
    pub fn selects(&self, other: &Gvk) -> bool {
        self.selects_parts(&other.group, &other.version, &other.kind)
    }

    /// [`selects`](Self::selects) for an object's `apiVersion` and `kind`, without building a `Gvk`.
    pub fn selects_object(&self, api_version: &str, kind: &str) -> bool {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.selects_parts(group, version, kind)
    }

    fn selects_parts(&self, group: &str, version: &str, kind: &str) -> bool {
        (self.group.is_empty() || self.group == group)
            && (self.version.is_empty() || self.version == version)
            && (self.kind.is_empty() || self.kind == kind)
    }
}

/// Kinds kustomize treats as cluster-scoped: the built-in ones it knows
/// (from the Kubernetes OpenAPI data kustomize embeds).
pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    // Asked for every object several times per render: one lookup in a table
    // built once, with a fast hash of the two short strings.
    static CLUSTER_SCOPED: std::sync::LazyLock<rustc_hash::FxHashSet<(&'static str, &'static str)>> =
        std::sync::LazyLock::new(|| {
            let builtin = crate::schema::kinds::BUILTIN.iter().filter(|r| !r.namespaced).map(|r| (r.group, r.kind));
            builtin.chain(NOT_SERVED.iter().copied()).filter(|&(g, k)| !newer_than_kustomize(g, k)).collect()
        });
    CLUSTER_SCOPED.contains(&(group, kind))
}

/// kustomize v5.5 embeds the Kubernetes 1.21 schema: kinds added later are
/// namespaced as far as it knows (it gives them a namespace).
fn newer_than_kustomize(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "admissionregistration.k8s.io",
            "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding"
        ) | ("networking.k8s.io", "IPAddress" | "ServiceCIDR")
            | ("storage.k8s.io", "VolumeAttributesClass")
            | ("certificates.k8s.io", "ClusterTrustBundle")
            | ("resource.k8s.io", _)
    )
}

/// Built-in cluster-scoped kinds the emulator does not serve (so they are not in its table).
const NOT_SERVED: &[(&str, &str)] = &[
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("apiregistration.k8s.io", "APIService"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("authentication.k8s.io", "TokenReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
];

/// Kinds kustomize's legacy order puts first, in that order (also the order
/// of its field-spec tables).
pub const LEGACY_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds kustomize's legacy order puts last.
pub const LEGACY_LAST: &[&str] = &["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

/// Where `kind` ranks in an order that puts `first` first and `last` last:
/// negative for the first kinds, positive for the last, 0 for the rest.
pub fn kind_rank<S: AsRef<str>>(kind: &str, first: &[S], last: &[S]) -> i64 {
    if let Some(i) = first.iter().position(|k| k.as_ref() == kind) {
        return i as i64 - first.len() as i64;
    }
    last.iter().position(|k| k.as_ref() == kind).map_or(0, |i| i as i64 + 1)
}

/// A resource's identity: kind, name and namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResId {
    pub gvk: Gvk,
    pub name: String,
    /// As written; empty when the object names none.
    pub namespace: String,
}

impl ResId {
    /// The namespace ids are compared by: `default` for an unset namespace,
    /// nothing for cluster-scoped kinds.
    pub fn effective_namespace(&self) -> &str {
        if self.gvk.is_cluster_scoped() {
            "_non_namespaceable_"
        } else if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        }
    }

    /// Same kind, name and effective namespace.
    pub fn same(&self, other: &ResId) -> bool {
        self.gvk == other.gvk && self.name == other.name && self.effective_namespace() == other.effective_namespace()
    }
}

impl fmt::Display for ResId {
    /// kustomize's form: `ConfigMap.v1.[noGrp]/name.namespace`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = if self.gvk.group.is_empty() { "[noGrp]" } else { &self.gvk.group };
        let version = if self.gvk.version.is_empty() { "[noVer]" } else { &self.gvk.version };
        let ns = if self.namespace.is_empty() { "[noNs]" } else { &self.namespace };
        write!(f, "{}.{}.{}/{}.{}", self.gvk.kind, version, group, self.name, ns)
    }
}

/// A resource's id borrowed from its object and previous ids: comparing ids of
/// every object (duplicate checks, patch targets) allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdRef<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    /// As written; empty when the object names none.
    pub namespace: &'a str,
}

impl<'a> IdRef<'a> {
    /// As [`ResId::effective_namespace`].
    pub fn effective_namespace(&self) -> &'a str {
        if is_cluster_scoped(self.group, self.kind) {
            "_non_namespaceable_"
        } else if self.namespace.is_empty() {
            "default"
        } else {
            self.namespace
        }
    }

    /// Same kind, name and effective namespace as `id`.
    pub fn same(&self, id: &ResId) -> bool {
        self.group == id.gvk.group
            && self.version == id.gvk.version
            && self.kind == id.gvk.kind
            && self.name == id.name
            && self.effective_namespace() == id.effective_namespace()
    }

    /// Exactly `id` (namespace as written).
    pub fn is(&self, id: &ResId) -> bool {
        self.group == id.gvk.group
            && self.version == id.gvk.version
            && self.kind == id.gvk.kind
            && self.name == id.name
            && self.namespace == id.namespace
    }

    pub fn to_owned(&self) -> ResId {
        ResId {
            gvk: Gvk { group: self.group.to_string(), version: self.version.to_string(), kind: self.kind.to_string() },
            name: self.name.to_string(),
            namespace: self.namespace.to_string(),
        }
    }
}

impl ResId {
    pub fn as_ref(&self) -> IdRef<'_> {
        IdRef {
            group: &self.gvk.group,
            version: &self.gvk.version,
            kind: &self.gvk.kind,
            name: &self.name,
            namespace: &self.namespace,
        }
    }
}

/// How a generated ConfigMap or Secret combines with one of the same name
/// from a base (`behavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behavior {
    #[default]
    Create,
    Merge,
    Replace,
}

/// One object of a render.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The object: a JSON object with `apiVersion`, `kind` and `metadata`.
    pub obj: Value,
    /// Ids this resource had before its name or namespace changed, oldest
    /// first (kustomize's "previous ids"). Transformers that may rename or move
    /// an object record its id even when they leave it unchanged.
    pub prev_ids: Vec<ResId>,
    /// Set on generated objects whose name gets a content-hash suffix at the end of the render.
    pub needs_hash: bool,
    /// Set on generated objects: how they combine with an existing object of the same id.
    pub behavior: Option<Behavior>,
    /// Where this object came from, repository-relative: the manifest file, or
    /// `<kustomization file>#<GeneratorKind>` for a generated object (for error
    /// messages and `buildMetadata: [originAnnotations]`); a generator plugin's
    /// objects have `<config file>#<Kind>#<config name>#<config namespace>`.
    pub origin: Option<String>,
    /// Transformers that changed it, as `<kustomization file>#<TransformerKind>`
    /// (a transformer plugin: `<config file>#<Kind>#<config name>#<config namespace>`),
    /// recorded only for `buildMetadata: [transformerAnnotations]`.
    pub transformations: Vec<String>,
    /// Name prefixes and suffixes `namePrefix`/`nameSuffix` added, innermost
    /// kustomization first (kustomize compares them to choose between
    /// same-named candidates of a name reference).
    pub prefixes: Vec<String>,
    pub suffixes: Vec<String>,
    /// Names of the `vars:` whose `objref` names this object (kustomize reads
    /// their values from it once the render is done).
    pub ref_vars: Vec<String>,
}

impl Resource {
    pub fn new(obj: Value) -> Resource {
        Resource {
            obj,
            prev_ids: Vec::new(),
            needs_hash: false,
            behavior: None,
            transformations: Vec::new(),
            origin: None,
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            ref_vars: Vec::new(),
        }
    }

    pub fn gvk(&self) -> Gvk {
        Gvk::new(self.str_at(&["apiVersion"]).unwrap_or(""), self.str_at(&["kind"]).unwrap_or(""))
    }

    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"]).unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.str_at(&["metadata", "namespace"]).unwrap_or("")
    }

    /// The id it has now.
    pub fn id(&self) -> ResId {
        self.id_ref().to_owned()
    }

    /// The id it has now, borrowed.
    pub fn id_ref(&self) -> IdRef<'_> {
        let api_version = self.str_at(&["apiVersion"]).unwrap_or("");
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        IdRef {
            group,
            version,
            kind: self.str_at(&["kind"]).unwrap_or(""),
            name: self.name(),
            namespace: self.namespace(),
        }
    }

    /// The id it had when it was read or generated.
    pub fn original_id(&self) -> ResId {
        self.original_id_ref().to_owned()
    }

    /// The id it had when it was read or generated, borrowed.
    pub fn original_id_ref(&self) -> IdRef<'_> {
        self.prev_ids.first().map_or_else(|| self.id_ref(), ResId::as_ref)
    }

    /// Whether `id` is its current id or one it had before.
    pub fn has_had_id(&self, id: &ResId) -> bool {
        self.id_ref().same(id) || self.prev_ids.iter().any(|p| p.same(id))
    }

    /// Records the current id as a previous one; call before renaming or moving it.
    pub fn remember_id(&mut self) {
        if self.prev_ids.last().is_none_or(|last| !self.id_ref().is(last)) {
            let id = self.id();
            self.prev_ids.push(id);
        }
    }

    pub fn set_name(&mut self, name: &str) {
        self.metadata_mut().insert("name".into(), Value::String(name.to_string()));
    }

    pub fn set_namespace(&mut self, namespace: &str) {
        self.metadata_mut().insert("namespace".into(), Value::String(namespace.to_string()));
    }

    /// `metadata.labels` or `metadata.annotations` as a string map (empty when absent).
    pub fn string_map(&self, field: &str) -> Vec<(String, String)> {
        match self.obj.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_object) {
            Some(m) => m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect(),
            None => Vec::new(),
        }
    }

    /// `metadata`, created when missing.
    pub fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        let obj = self.obj.as_object_mut().expect("a resource is an object");
        let md = obj.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
        if !md.is_object() {
            *md = Value::Object(Map::new());
        }
        md.as_object_mut().expect("metadata is an object")
    }

    fn str_at(&self, path: &[&str]) -> Option<&str> {
        let mut v = &self.obj;
        for p in path {
            v = v.get(p)?;
        }
        v.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_compare_by_effective_namespace() {
        let a = Resource::new(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}));
        let b = Resource::new(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}}),
        );
        assert!(a.id().same(&b.id()));
        let ns = Resource::new(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "namespace": "y"}}),
        );
        assert_eq!(ns.id().effective_namespace(), "_non_namespaceable_");
        assert_eq!(a.id().to_string(), "ConfigMap.v1.[noGrp]/x.[noNs]");
    }

    #[test]
    fn renaming_remembers_the_original_id() {
        let mut r = Resource::new(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}));
        let before = r.id();
        r.remember_id();
        r.set_name("p-web");
        r.remember_id();
        r.set_namespace("prod");
        assert_eq!(r.original_id(), before);
        assert!(r.has_had_id(&before));
        assert_eq!(r.id().name, "p-web");
        assert_eq!(r.gvk().group, "apps");
    }
}
