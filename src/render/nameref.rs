//! Name references: once prefixes, suffixes, namespaces and content hashes
//! have renamed objects, every field that names one of them (a Deployment's
//! `configMapRef`, a RoleBinding's `roleRef` and `subjects`, an Ingress
//! backend …) is rewritten to the new name, as `kustomize build` does.
//!
//! Which fields refer to which kinds is a table ([`builtin_table`]) that
//! users extend with `nameReference` entries in `configurations:` files.
//! A reference is resolved against the objects that were renamed (those with
//! previous ids) and that once had the referenced name; the referrer's
//! namespace, a `roleRef`'s kind and the name prefixes and suffixes both
//! objects received narrow the choice. A reference to an object that is not
//! in the render is left alone; two equally good candidates are an error.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::fieldspec::FieldSpec;
use super::resource::{Gvk, LEGACY_FIRST, LEGACY_LAST, ResId, Resource, kind_rank};

/// Rewrites every name reference in `resources` to the current name of the
/// object it refers to. `extra` holds `nameReference` entries from
/// configuration files (`{group, version, kind, fieldSpecs: [...]}`); they are
/// merged into the built-in table.
pub fn fix_name_references(resources: &mut [Resource], extra: &[Value]) -> Result<(), String> {
    let merged;
    let table: &[BackReference] = if extra.is_empty() {
        builtin_table()
    } else {
        merged = merged_table(extra)?;
        &merged
    };
    let referrers = ReferrerIndex::new(table);
    let index = CandidateIndex::new(resources);
    for (i, res) in resources.iter_mut().enumerate() {
        let specs = referrers.specs_for(&res.original_id().gvk);
        if specs.is_empty() {
            continue;
        }
        let referrer = Referrer::new(i, res)?;
        for (target, spec) in specs {
            let fix = Fix { referrer: &referrer, index: &index, target, path: &spec.path };
            spec.apply_any_kind(&mut res.obj, None, &mut |v| fix.set(v))
                .map_err(|e| format!("updating name reference in '{}' field of '{}': {e}", spec.path, referrer.id))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The table: which fields refer to which kinds
// ---------------------------------------------------------------------------

/// A kind that can be referred to by name, and the fields that do so.
#[derive(Debug, Clone, PartialEq)]
pub struct BackReference {
    /// The kind referred to (empty parts match anything).
    pub target: Gvk,
    /// The fields holding its name, each in the kinds named by its gvk.
    pub referrers: Vec<FieldSpec>,
}

/// Kinds whose objects carry a pod spec, with the path to it. `Pod` is only
/// `v1` in the ConfigMap and Secret rows.
const POD_SPEC_KINDS: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("PodTemplate", "template/spec"),
    ("Deployment", "spec/template/spec"),
    ("ReplicaSet", "spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
    ("StatefulSet", "spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
];

/// Kinds whose pod spec may name a ServiceAccount, PVC or PriorityClass
/// (kustomize lists ReplicationController here but not ReplicaSet or PodTemplate).
const WORKLOAD_KINDS: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("StatefulSet", "spec/template/spec"),
    ("Deployment", "spec/template/spec"),
    ("ReplicationController", "spec/template/spec"),
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
];

/// Pod-spec fields naming a ConfigMap.
const CONFIGMAP_POD_FIELDS: &[&str] = &[
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
];

/// Pod-spec fields naming a Secret.
const SECRET_POD_FIELDS: &[&str] = &[
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
];

const RBAC: &str = "rbac.authorization.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

/// kustomize's built-in name reference table (v5.5), in kustomize's order.
pub fn builtin_table() -> &'static [BackReference] {
    static TABLE: OnceLock<Vec<BackReference>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = build_table();
        sort_table(&mut table);
        table
    })
}

fn fs(group: &str, version: &str, kind: &str, path: &str) -> FieldSpec {
    FieldSpec::new(group, version, kind, path, false)
}

fn gvk(group: &str, version: &str, kind: &str) -> Gvk {
    Gvk { group: group.into(), version: version.into(), kind: kind.into() }
}

/// `fields` under the pod spec of each of `kinds`; `Pod` gets `pod_version`.
fn pod_fields(kinds: &[(&str, &str)], fields: &[&str], pod_version: &str) -> Vec<FieldSpec> {
    let mut out = Vec::new();
    for (kind, spec) in kinds {
        let version = if *kind == "Pod" { pod_version } else { "" };
        for f in fields {
            out.push(fs("", version, kind, &format!("{spec}/{f}")));
        }
    }
    out
}

fn build_table() -> Vec<BackReference> {
    let scale_target = |kind: &str| BackReference {
        target: gvk("", "", kind),
        referrers: vec![fs("", "", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name")],
    };
    let mut configmap = pod_fields(POD_SPEC_KINDS, CONFIGMAP_POD_FIELDS, "v1");
    configmap.extend([
        fs("", "", "Node", "spec/configSource/configMap"),
        fs("", "", "Role", "rules/resourceNames"),
        fs("", "", "ClusterRole", "rules/resourceNames"),
        fs("", "", "Ingress", r"metadata/annotations/nginx.ingress.kubernetes.io\/fastcgi-params-configmap"),
    ]);
    let mut secret = pod_fields(POD_SPEC_KINDS, SECRET_POD_FIELDS, "v1");
    secret.extend([
        fs("", "", "Ingress", "spec/tls/secretName"),
        fs("", "", "Ingress", r"metadata/annotations/ingress.kubernetes.io\/auth-secret"),
        fs("", "", "Ingress", r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret"),
        fs("", "", "Ingress", r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-tls-secret"),
        fs("", "", "ServiceAccount", "imagePullSecrets/name"),
        fs("", "", "StorageClass", "parameters/secretName"),
        fs("", "", "StorageClass", "parameters/adminSecretName"),
        fs("", "", "StorageClass", "parameters/userSecretName"),
        fs("", "", "StorageClass", "parameters/secretRef"),
        fs("", "", "Role", "rules/resourceNames"),
        fs("", "", "ClusterRole", "rules/resourceNames"),
        fs("serving.knative.dev", "v1", "Service", "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"),
        fs("", "", "PersistentVolume", "spec/azureFile/secretName"),
    ]);
    let service = vec![
        fs("apps", "", "StatefulSet", "spec/serviceName"),
        fs("", "", "Ingress", "spec/rules/http/paths/backend/serviceName"),
        fs("", "", "Ingress", "spec/backend/serviceName"),
        fs("", "", "Ingress", "spec/rules/http/paths/backend/service/name"),
        fs("", "", "Ingress", "spec/defaultBackend/service/name"),
        fs("apiregistration.k8s.io", "", "APIService", "spec/service/name"),
        fs(ADMISSION, "", "ValidatingWebhookConfiguration", "webhooks/clientConfig/service"),
        fs(ADMISSION, "", "MutatingWebhookConfiguration", "webhooks/clientConfig/service"),
    ];
    let mut service_account =
        vec![fs(RBAC, "", "RoleBinding", "subjects"), fs(RBAC, "", "ClusterRoleBinding", "subjects")];
    service_account.extend(pod_fields(WORKLOAD_KINDS, &["serviceAccountName"], ""));
    vec![
        scale_target("Deployment"),
        scale_target("ReplicationController"),
        scale_target("ReplicaSet"),
        scale_target("StatefulSet"),
        BackReference { target: gvk("", "v1", "ConfigMap"), referrers: configmap },
        BackReference { target: gvk("", "v1", "Secret"), referrers: secret },
        BackReference { target: gvk("", "v1", "Service"), referrers: service },
        BackReference { target: gvk(RBAC, "", "Role"), referrers: vec![fs(RBAC, "", "RoleBinding", "roleRef/name")] },
        BackReference {
            target: gvk(RBAC, "", "ClusterRole"),
            referrers: vec![
                fs(RBAC, "", "RoleBinding", "roleRef/name"),
                fs(RBAC, "", "ClusterRoleBinding", "roleRef/name"),
            ],
        },
        BackReference { target: gvk("", "v1", "ServiceAccount"), referrers: service_account },
        BackReference {
            target: gvk("", "v1", "PersistentVolumeClaim"),
            referrers: pod_fields(WORKLOAD_KINDS, &["volumes/persistentVolumeClaim/claimName"], ""),
        },
        BackReference {
            target: gvk("", "v1", "PersistentVolume"),
            referrers: vec![
                fs("", "", "PersistentVolumeClaim", "spec/volumeName"),
                fs("", "", "ClusterRole", "rules/resourceNames"),
            ],
        },
        BackReference {
            target: gvk("storage.k8s.io", "v1", "StorageClass"),
            referrers: vec![
                fs("", "", "PersistentVolume", "spec/storageClassName"),
                fs("", "", "PersistentVolumeClaim", "spec/storageClassName"),
                fs("", "", "StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName"),
            ],
        },
        BackReference {
            target: gvk("scheduling.k8s.io", "v1", "PriorityClass"),
            referrers: pod_fields(WORKLOAD_KINDS, &["priorityClassName"], ""),
        },
        // kustomize writes this group with its version, so no IngressClass
        // ever matches and `ingressClassName` is never rewritten; kept as is
        // so output stays the same as kustomize's.
        BackReference {
            target: gvk("networking.k8s.io/v1", "v1", "IngressClass"),
            referrers: vec![fs("", "", "Ingress", "spec/ingressClassName")],
        },
        BackReference {
            target: gvk(ADMISSION, "", "ValidatingAdmissionPolicy"),
            referrers: vec![fs(ADMISSION, "", "ValidatingAdmissionPolicyBinding", "spec/policyName")],
        },
    ]
}

fn gvk_sort_key(g: &Gvk) -> (i64, String) {
    (kind_rank(&g.kind, LEGACY_FIRST, LEGACY_LAST), g.legacy_key())
}

/// Orders entries and their field specs as kustomize does after loading or merging a table.
fn sort_table(table: &mut [BackReference]) {
    table.sort_by_cached_key(|b| gvk_sort_key(&b.target));
    for b in table.iter_mut() {
        b.referrers.sort_by_cached_key(|f| gvk_sort_key(&f.gvk));
    }
}

/// The built-in table with `extra` entries merged in: field specs of an entry
/// for the same group/version/kind are added to it, other entries are appended.
pub fn merged_table(extra: &[Value]) -> Result<Vec<BackReference>, String> {
    let mut table = builtin_table().to_vec();
    if extra.is_empty() {
        return Ok(table);
    }
    for (i, entry) in extra.iter().enumerate() {
        let incoming = parse_entry(entry).map_err(|e| format!("nameReference[{i}]: {e}"))?;
        match table.iter_mut().find(|b| b.target == incoming.target) {
            Some(existing) => {
                for spec in incoming.referrers {
                    merge_spec(&mut existing.referrers, spec).map_err(|e| format!("nameReference[{i}]: {e}"))?;
                }
            }
            None => table.push(incoming),
        }
    }
    sort_table(&mut table);
    Ok(table)
}

/// Adds `spec` unless an equivalent one (same path, selecting the same kinds) is there.
fn merge_spec(specs: &mut Vec<FieldSpec>, spec: FieldSpec) -> Result<(), String> {
    match specs.iter().find(|s| s.path == spec.path && spec.gvk.selects(&s.gvk)) {
        Some(s) if s.create != spec.create => {
            Err(format!("conflicting fieldspecs for path '{}': create is both true and false", spec.path))
        }
        Some(_) => Ok(()),
        None => {
            specs.push(spec);
            Ok(())
        }
    }
}

/// One `nameReference` entry: `{group, version, kind, fieldSpecs}`.
fn parse_entry(v: &Value) -> Result<BackReference, String> {
    let m = v.as_object().ok_or("must be a mapping with kind and fieldSpecs")?;
    let mut target = Gvk::default();
    let mut referrers = Vec::new();
    for (k, val) in m {
        let text = || val.as_str().map(str::to_string).ok_or_else(|| format!("{k}: must be a string"));
        match k.as_str() {
            "group" => target.group = text()?,
            "version" => target.version = text()?,
            "kind" => target.kind = text()?,
            "fieldSpecs" => match val {
                Value::Null => {}
                Value::Array(items) => {
                    for (j, item) in items.iter().enumerate() {
                        let spec = FieldSpec::from_value(item).map_err(|e| format!("fieldSpecs[{j}]: {e}"))?;
                        merge_spec(&mut referrers, spec).map_err(|e| format!("fieldSpecs[{j}]: {e}"))?;
                    }
                }
                _ => return Err("fieldSpecs: must be a list".into()),
            },
            other => return Err(format!("unknown field {other:?}")),
        }
    }
    Ok(BackReference { target, referrers })
}

/// The table indexed by the referrer kind each field spec names.
struct ReferrerIndex<'t> {
    table: &'t [BackReference],
    /// Kind → (entry, field spec) positions in the table, in table order.
    by_kind: HashMap<&'t str, Vec<(usize, usize)>>,
    /// Positions of field specs naming no kind (they apply to every kind).
    any_kind: Vec<(usize, usize)>,
}

impl<'t> ReferrerIndex<'t> {
    fn new(table: &'t [BackReference]) -> Self {
        let mut index = ReferrerIndex { table, by_kind: HashMap::new(), any_kind: Vec::new() };
        for (i, b) in table.iter().enumerate() {
            for (j, spec) in b.referrers.iter().enumerate() {
                if spec.gvk.kind.is_empty() {
                    index.any_kind.push((i, j));
                } else {
                    index.by_kind.entry(spec.gvk.kind.as_str()).or_default().push((i, j));
                }
            }
        }
        index
    }

    /// The (referred kind, field) pairs that apply to an object whose original kind is `gvk`, in table order.
    fn specs_for(&self, gvk: &Gvk) -> Vec<(&'t Gvk, &'t FieldSpec)> {
        let by_kind = self.by_kind.get(gvk.kind.as_str()).map(Vec::as_slice).unwrap_or_default();
        let mut positions: Vec<(usize, usize)> = by_kind.iter().chain(&self.any_kind).copied().collect();
        if !by_kind.is_empty() && !self.any_kind.is_empty() {
            positions.sort_unstable();
        }
        positions
            .into_iter()
            .map(|(i, j)| (&self.table[i].target, &self.table[i].referrers[j]))
            .filter(|(_, spec)| spec.gvk.selects(gvk))
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Candidates: what is known about each object as a possible referral target
// ---------------------------------------------------------------------------

/// An object of the render as a possible target of a reference.
#[derive(Debug)]
struct Candidate {
    id: ResId,
    /// Whether its kind is cluster-scoped.
    cluster_scoped: bool,
    /// Effective namespace of its current id.
    namespace: String,
    /// Effective namespace of its original id.
    original_namespace: String,
    /// Kinds (with group and version) it had before (kustomize matches the referred kind against those).
    previous_gvks: Vec<Gvk>,
    /// Name prefixes and suffixes `namePrefix`/`nameSuffix` gave it, innermost first.
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

impl Candidate {
    fn new(res: &Resource) -> Candidate {
        let id = res.id();
        Candidate {
            cluster_scoped: id.gvk.is_cluster_scoped(),
            namespace: id.effective_namespace().to_string(),
            id,
            original_namespace: res.original_id().effective_namespace().to_string(),
            previous_gvks: res.prev_ids.iter().map(|p| p.gvk.clone()).collect(),
            prefixes: res.prefixes.clone(),
            suffixes: res.suffixes.clone(),
        }
    }

    fn was_a(&self, gvk: &Gvk) -> bool {
        self.previous_gvks.iter().any(|g| gvk.selects(g))
    }
}

/// Every object of the render, indexed by the names it had before and by namespace.
struct CandidateIndex {
    all: Vec<Candidate>,
    /// Previous name → objects that had it, in render order.
    by_previous_name: HashMap<String, Vec<usize>>,
    /// Effective original namespace → objects, in render order.
    by_original_namespace: HashMap<String, Vec<usize>>,
}

impl CandidateIndex {
    fn new(resources: &[Resource]) -> CandidateIndex {
        let mut index = CandidateIndex {
            all: Vec::with_capacity(resources.len()),
            by_previous_name: HashMap::new(),
            by_original_namespace: HashMap::new(),
        };
        for (i, res) in resources.iter().enumerate() {
            let cand = Candidate::new(res);
            index.by_original_namespace.entry(cand.original_namespace.clone()).or_default().push(i);
            for p in &res.prev_ids {
                let list = index.by_previous_name.entry(p.name.clone()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
            index.all.push(cand);
        }
        index
    }

    fn previously_named(&self, name: &str) -> &[usize] {
        self.by_previous_name.get(name).map(Vec::as_slice).unwrap_or_default()
    }
}

/// Whether the shorter list is the tail of the longer (an empty list only matches an empty one).
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    long[long.len() - short.len()..] == *short
}

// ---------------------------------------------------------------------------
// Referrers and the fix itself
// ---------------------------------------------------------------------------

/// The object whose fields are being fixed.
struct Referrer {
    index: usize,
    id: ResId,
    cluster_scoped: bool,
    /// Effective namespace of its current id.
    namespace: String,
    /// Namespaces of the ServiceAccounts a RoleBinding's subjects name (they may live elsewhere).
    subject_namespaces: Vec<String>,
    /// `roleRef`'s group and kind, when both are present.
    role_ref: Option<Gvk>,
}

impl Referrer {
    fn new(index: usize, res: &Resource) -> Result<Referrer, String> {
        let id = res.id();
        Ok(Referrer {
            index,
            cluster_scoped: id.gvk.is_cluster_scoped(),
            namespace: id.effective_namespace().to_string(),
            subject_namespaces: subject_namespaces(res, &id)?,
            role_ref: role_ref(&res.obj),
            id,
        })
    }

    /// Whether this referrer may refer to candidate `c` at all: cluster-scoped
    /// objects refer to anything and are referred to by anything; otherwise
    /// the namespaces must agree (or hold a ServiceAccount a RoleBinding names).
    fn can_see(&self, c: &Candidate) -> bool {
        self.cluster_scoped
            || c.cluster_scoped
            || c.namespace == self.namespace
            || self.subject_namespaces.contains(&c.id.namespace)
    }
}

fn subject_namespaces(res: &Resource, id: &ResId) -> Result<Vec<String>, String> {
    if id.gvk.kind != "RoleBinding" {
        return Ok(Vec::new());
    }
    let Some(subjects) = res.obj.get("subjects").and_then(Value::as_array) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for s in subjects.iter().filter_map(Value::as_object) {
        if let (Some(ns), Some(kind)) = (s.get("namespace"), s.get("kind"))
            && kind.as_str() == Some("ServiceAccount")
        {
            match ns.as_str() {
                Some(ns) => out.push(ns.to_string()),
                None => return Err(format!("Invalid Input: namespace is blank for resource \"{id}\"")),
            }
        }
    }
    Ok(out)
}

fn role_ref(obj: &Value) -> Option<Gvk> {
    let r = obj.get("roleRef")?;
    let group = scalar_text(r.get("apiGroup").filter(|v| !v.is_null())?)?;
    let kind = scalar_text(r.get("kind").filter(|v| !v.is_null())?)?;
    Some(Gvk { group, version: String::new(), kind })
}

/// A scalar's text as YAML holds it (`None` for maps and lists).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// One referrer field being fixed for one referred kind.
struct Fix<'a> {
    referrer: &'a Referrer,
    index: &'a CandidateIndex,
    target: &'a Gvk,
    path: &'a str,
}

impl Fix<'_> {
    /// Fixes the value found at the field spec's path: a name, a `{name,
    /// namespace}` map, or a list of either.
    fn set(&self, v: &mut Value) -> Result<(), String> {
        match v {
            Value::Null => Ok(()),
            Value::Object(m) => self.set_map(m),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Null => {}
                        Value::Object(m) => self.set_map(m)?,
                        Value::Array(_) => {
                            return Err(format!("{item} is expected to be either a string or a map of string"));
                        }
                        scalar => self.set_scalar(scalar)?,
                    }
                }
                Ok(())
            }
            scalar => self.set_scalar(scalar),
        }
    }

    fn set_scalar(&self, v: &mut Value) -> Result<(), String> {
        let Some(old) = scalar_text(v) else { return Ok(()) };
        let candidates = self.index.previously_named(&old).iter().copied().filter(|&j| self.visible(j)).collect();
        let Some(j) = self.select(&old, candidates, false)? else { return Ok(()) };
        let new = &self.index.all[j].id.name;
        if *new != old {
            *v = Value::String(new.clone());
        }
        Ok(())
    }

    /// A map naming an object by `name` and, optionally, `namespace` (RoleBinding
    /// subjects, webhook services): both are taken from the object found.
    fn set_map(&self, m: &mut Map<String, Value>) -> Result<(), String> {
        let Some(name) = m.get("name") else { return Err("path config error; no 'name' field in node".into()) };
        let old = scalar_text(name).unwrap_or_default();
        let namespace = m.get("namespace").map(|ns| scalar_text(ns).unwrap_or_default());
        let in_namespace = self.namespace_filter(namespace.as_deref());
        let candidates = self
            .index
            .previously_named(&old)
            .iter()
            .copied()
            .filter(|&j| self.visible(j) && in_namespace(&self.index.all[j]))
            .collect();
        let Some(j) = self.select(&old, candidates, true)? else { return Ok(()) };
        let found = &self.index.all[j].id;
        if found.name == old && found.namespace.is_empty() {
            return Ok(());
        }
        m.insert("name".into(), Value::String(found.name.clone()));
        if !found.namespace.is_empty() {
            m.insert("namespace".into(), Value::String(found.namespace.clone()));
        }
        Ok(())
    }

    /// For a map naming `namespace`: the candidates originally in that
    /// namespace if the referrer can see any object that was, else those in it now.
    fn namespace_filter(&self, namespace: Option<&str>) -> Box<dyn Fn(&Candidate) -> bool + '_> {
        let Some(ns) = namespace.map(str::to_string) else { return Box::new(|_| true) };
        let by_original =
            self.index.by_original_namespace.get(&ns).is_some_and(|list| list.iter().any(|&j| self.visible(j)))
                && ns != NOT_NAMESPACED;
        if by_original {
            Box::new(move |c| c.original_namespace == ns)
        } else {
            Box::new(move |c| c.namespace == ns && ns != NOT_NAMESPACED)
        }
    }

    fn visible(&self, j: usize) -> bool {
        self.referrer.can_see(&self.index.all[j])
    }

    /// Picks the object a reference to `old` means among `candidates` (which
    /// had that name before): of the referred kind, of the `roleRef`'s kind,
    /// in the referrer's namespace, then with the referrer's prefixes and
    /// suffixes. Several equally good candidates with different names (and,
    /// for maps, namespaces) are an error.
    fn select(&self, old: &str, mut candidates: Vec<usize>, with_namespace: bool) -> Result<Option<usize>, String> {
        let all = &self.index.all;
        candidates.retain(|&j| all[j].was_a(self.target));
        if self.path.ends_with("roleRef/name")
            && let Some(role_ref) = &self.referrer.role_ref
        {
            candidates.retain(|&j| all[j].was_a(role_ref));
        }
        if !self.referrer.cluster_scoped {
            candidates.retain(|&j| {
                let c = &all[j];
                c.cluster_scoped || c.id.gvk.kind == "ServiceAccount" || c.namespace == self.referrer.namespace
            });
        }
        if candidates.len() == 1 {
            return Ok(candidates.first().copied());
        }
        let me = &all[self.referrer.index];
        let affixes_match = |c: &Candidate, allow_empty: bool| {
            let prefixes = (allow_empty && (c.prefixes.is_empty() || me.prefixes.is_empty()))
                || same_ending(&c.prefixes, &me.prefixes);
            let suffixes = (allow_empty && (c.suffixes.is_empty() || me.suffixes.is_empty()))
                || same_ending(&c.suffixes, &me.suffixes);
            prefixes && suffixes
        };
        candidates.retain(|&j| affixes_match(&all[j], true));
        if candidates.len() > 1 {
            candidates.retain(|&j| affixes_match(&all[j], false));
        }
        let Some(&first) = candidates.first() else { return Ok(None) };
        let same = |j: &usize| {
            all[*j].id.name == all[first].id.name
                && (!with_namespace || all[*j].id.namespace == all[first].id.namespace)
        };
        if candidates.iter().all(same) {
            return Ok(Some(first));
        }
        let ids: Vec<String> = candidates.iter().map(|&j| all[j].id.to_string()).collect();
        Err(format!(
            "found multiple possible referrals: {} (all were named {old:?}; give them distinct names or namespaces)",
            ids.join(", ")
        ))
    }
}

// ---------------------------------------------------------------------------
// `crds:` files
// ---------------------------------------------------------------------------

/// How deep `$ref`s are followed in a `crds:` file (schemas may refer to themselves).
const MAX_CRD_DEPTH: usize = 32;

/// The transformer configuration a `crds:` file stands for, in the shape of
/// a `configurations:` file (`nameReference`, `commonAnnotations`,
/// `commonLabels`, `namePrefix`). The file maps OpenAPI type names
/// (`example.com/pkg/apis/v1.MyKind`) to `{Schema, Dependencies}`; for each
/// type that looks like an object (it has `apiVersion`, `kind` and
/// `metadata`), properties marked `x-kubernetes-object-ref-kind` (with
/// `x-kubernetes-object-ref-api-version` and optionally
/// `x-kubernetes-object-ref-name-key`, default `name`) refer to that kind by
/// name; `x-kubernetes-annotation`, `x-kubernetes-label-selector` and
/// `x-kubernetes-identity` mark annotation, label and name fields. `$ref`s
/// are followed. The kind is the type name's last dot-separated part.
pub fn crd_configuration(doc: &Value) -> Result<Value, String> {
    let mut out = CrdConfig::default();
    let types = match doc {
        Value::Null => return Ok(out.into_value()),
        Value::Object(m) => m,
        _ => return Err("a crds file must map OpenAPI type names to definitions".into()),
    };
    for (name, def) in types {
        let Some(props) = properties(def) else { continue };
        if !["kind", "apiVersion", "metadata"].iter().all(|k| props.contains_key(*k)) {
            continue;
        }
        let kind = name.rsplit('.').next().unwrap_or(name);
        out.load_type(types, name, kind, &[], 0)?;
    }
    Ok(out.into_value())
}

/// A definition's `Schema.properties` (keys matched as Go's JSON decoding does, ignoring case).
fn properties(def: &Value) -> Option<&Map<String, Value>> {
    get_ignoring_case(get_ignoring_case(def, "schema")?, "properties")?.as_object()
}

fn get_ignoring_case<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    let m = v.as_object()?;
    m.get(key).or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// A string extension of a property (`x-…` keys are case-insensitive).
fn extension<'v>(prop: &'v Value, key: &str) -> Option<&'v str> {
    get_ignoring_case(prop, key)?.as_str()
}

/// The lists a `crds:` file contributes.
#[derive(Default)]
struct CrdConfig {
    name_reference: Vec<Value>,
    annotations: Vec<Value>,
    labels: Vec<Value>,
    prefix: Vec<Value>,
}

impl CrdConfig {
    fn into_value(self) -> Value {
        serde_json::json!({
            "nameReference": self.name_reference,
            "commonAnnotations": self.annotations,
            "commonLabels": self.labels,
            "namePrefix": self.prefix,
        })
    }

    fn load_type(
        &mut self,
        types: &Map<String, Value>,
        type_name: &str,
        kind: &str,
        path: &[&str],
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_CRD_DEPTH {
            return Err(format!("{type_name}: $ref nests more than {MAX_CRD_DEPTH} deep (a reference cycle?)"));
        }
        let Some(props) = types.get(type_name).and_then(properties) else { return Ok(()) };
        for (prop_name, prop) in props {
            let mut here = path.to_vec();
            here.push(prop_name);
            let spec = |path: &str| serde_json::json!({"kind": kind, "path": path});
            if extension(prop, "x-kubernetes-annotation").is_some() {
                self.annotations.push(spec(&here.join("/")));
            }
            if extension(prop, "x-kubernetes-label-selector").is_some() {
                self.labels.push(spec(&here.join("/")));
            }
            if extension(prop, "x-kubernetes-identity").is_some() {
                self.prefix.push(spec(&here.join("/")));
            }
            if let (Some(version), Some(target)) = (
                extension(prop, "x-kubernetes-object-ref-api-version"),
                extension(prop, "x-kubernetes-object-ref-kind"),
            ) {
                let key = extension(prop, "x-kubernetes-object-ref-name-key").unwrap_or("name");
                let field = format!("{}/{key}", here.join("/"));
                self.name_reference
                    .push(serde_json::json!({"kind": target, "version": version, "fieldSpecs": [spec(&field)]}));
            }
            if let Some(reference) = get_ignoring_case(prop, "$ref").and_then(Value::as_str).filter(|r| !r.is_empty()) {
                self.load_type(types, reference, kind, &here, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// kustomize's effective namespace for cluster-scoped objects.
const NOT_NAMESPACED: &str = "_non_namespaceable_";

#[cfg(test)]
mod tests;
