//! Field-spec tables: the built-in ones (where kustomize v5.5 acts by
//! default), the lists a `configurations:` file adds, and how lists merge.
//!
//! Merging follows kustomize's rules, quirks included, because they decide
//! which specs survive:
//! - a spec is dropped when the list already holds one with the same path
//!   whose kind is selected by the new spec's group/version/kind (so a spec
//!   without a kind is absorbed by any kind-specific spec for that path);
//! - the same field with a different `create` is an error ("conflicting
//!   fieldspecs");
//! - after every merge each list is sorted by kind (kustomize's legacy kind
//!   order first, then group, version and kind names, unset parts last).

use serde_json::Value;
use std::cmp::Ordering;

use super::super::fieldspec::FieldSpec;
use super::super::resource::{Gvk, LEGACY_FIRST, LEGACY_LAST, kind_rank};

/// One built-in spec: group, version, kind, path, create.
type Row = (&'static str, &'static str, &'static str, &'static str, bool);

const NAME: &[Row] = &[("", "", "", "metadata/name", false)];

/// `metadata/labels` and the pod-template labels of workloads (also kustomize's `templateLabels`).
const TEMPLATE_LABELS: &[Row] = &[
    ("", "", "", "metadata/labels", true),
    ("", "v1", "ReplicationController", "spec/template/metadata/labels", true),
    ("", "", "Deployment", "spec/template/metadata/labels", true),
    ("", "", "ReplicaSet", "spec/template/metadata/labels", true),
    ("", "", "DaemonSet", "spec/template/metadata/labels", true),
    ("apps", "", "StatefulSet", "spec/template/metadata/labels", true),
    ("apps", "", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),
    ("batch", "", "Job", "spec/template/metadata/labels", true),
    ("batch", "", "CronJob", "spec/jobTemplate/metadata/labels", true),
    ("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true),
];

/// Label selectors; `commonLabels` uses these plus [`TEMPLATE_LABELS`].
const SELECTORS: &[Row] = &[
    ("", "v1", "Service", "spec/selector", true),
    ("", "v1", "ReplicationController", "spec/selector", true),
    ("", "", "Deployment", "spec/selector/matchLabels", true),
    ("apps", "", "Deployment", AFFINITY_PREFERRED, false),
    ("apps", "", "Deployment", AFFINITY_REQUIRED, false),
    ("apps", "", "Deployment", ANTI_AFFINITY_PREFERRED, false),
    ("apps", "", "Deployment", ANTI_AFFINITY_REQUIRED, false),
    ("apps", "", "Deployment", TOPOLOGY_SPREAD, false),
    ("", "", "ReplicaSet", "spec/selector/matchLabels", true),
    ("", "", "DaemonSet", "spec/selector/matchLabels", true),
    ("apps", "", "StatefulSet", "spec/selector/matchLabels", true),
    ("apps", "", "StatefulSet", AFFINITY_PREFERRED, false),
    ("apps", "", "StatefulSet", AFFINITY_REQUIRED, false),
    ("apps", "", "StatefulSet", ANTI_AFFINITY_PREFERRED, false),
    ("apps", "", "StatefulSet", ANTI_AFFINITY_REQUIRED, false),
    ("apps", "", "StatefulSet", TOPOLOGY_SPREAD, false),
    ("batch", "", "Job", "spec/selector/matchLabels", false),
    ("batch", "", "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false),
    ("policy", "", "PodDisruptionBudget", "spec/selector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/podSelector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", false),
];

const AFFINITY_PREFERRED: &str = "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels";
const AFFINITY_REQUIRED: &str =
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels";
const ANTI_AFFINITY_PREFERRED: &str = "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels";
const ANTI_AFFINITY_REQUIRED: &str = "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels";
const TOPOLOGY_SPREAD: &str = "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels";

const ANNOTATIONS: &[Row] = &[
    ("", "", "", "metadata/annotations", true),
    ("", "v1", "ReplicationController", "spec/template/metadata/annotations", true),
    ("", "", "Deployment", "spec/template/metadata/annotations", true),
    ("", "", "ReplicaSet", "spec/template/metadata/annotations", true),
    ("", "", "DaemonSet", "spec/template/metadata/annotations", true),
    ("", "", "StatefulSet", "spec/template/metadata/annotations", true),
    ("batch", "", "Job", "spec/template/metadata/annotations", true),
    ("batch", "", "CronJob", "spec/jobTemplate/metadata/annotations", true),
    ("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true),
];

/// Besides `metadata.namespace` (handled apart): a v1 Namespace's own name,
/// the service of an APIService, a CRD's conversion webhook service.
const NAMESPACE: &[Row] = &[
    ("", "", "Namespace", "metadata/name", true),
    ("apiregistration.k8s.io", "", "APIService", "spec/service/namespace", true),
    (
        "apiextensions.k8s.io",
        "",
        "CustomResourceDefinition",
        "spec/conversion/webhook/clientConfig/service/namespace",
        false,
    ),
];

/// Image fields of pods and pod templates, of any kind. `create` has no
/// effect here: the image transformer never creates fields.
const IMAGES: &[Row] = &[
    ("", "", "", "spec/containers[]/image", true),
    ("", "", "", "spec/initContainers[]/image", true),
    ("", "", "", "spec/template/spec/containers[]/image", true),
    ("", "", "", "spec/template/spec/initContainers[]/image", true),
];

const REPLICAS: &[Row] = &[
    ("", "", "Deployment", "spec/replicas", true),
    ("", "", "ReplicationController", "spec/replicas", true),
    ("", "", "ReplicaSet", "spec/replicas", true),
    ("", "", "StatefulSet", "spec/replicas", true),
];

/// Fields `$(VAR)` references are expanded in (the deprecated `vars:`).
const VAR_REFERENCE: &[Row] = &[
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec/containers/args", false),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec/containers/command", false),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec/containers/env/value", false),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath", false),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec/initContainers/args", false),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec/initContainers/command", false),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec/initContainers/env/value", false),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath", false),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/volumes/nfs/server", false),
    ("", "", "DaemonSet", "spec/template/spec/containers/args", false),
    ("", "", "DaemonSet", "spec/template/spec/containers/command", false),
    ("", "", "DaemonSet", "spec/template/spec/containers/env/value", false),
    ("", "", "DaemonSet", "spec/template/spec/containers/volumeMounts/mountPath", false),
    ("", "", "DaemonSet", "spec/template/spec/initContainers/args", false),
    ("", "", "DaemonSet", "spec/template/spec/initContainers/command", false),
    ("", "", "DaemonSet", "spec/template/spec/initContainers/env/value", false),
    ("", "", "DaemonSet", "spec/template/spec/initContainers/volumeMounts/mountPath", false),
    ("", "", "DaemonSet", "spec/template/spec/volumes/nfs/server", false),
    ("", "", "Deployment", "spec/template/spec/containers/args", false),
    ("", "", "Deployment", "spec/template/spec/containers/command", false),
    ("", "", "Deployment", "spec/template/spec/containers/env/value", false),
    ("", "", "Deployment", "spec/template/spec/containers/volumeMounts/mountPath", false),
    ("", "", "Deployment", "spec/template/spec/initContainers/args", false),
    ("", "", "Deployment", "spec/template/spec/initContainers/command", false),
    ("", "", "Deployment", "spec/template/spec/initContainers/env/value", false),
    ("", "", "Deployment", "spec/template/spec/initContainers/volumeMounts/mountPath", false),
    ("", "", "Deployment", "spec/template/spec/volumes/nfs/server", false),
    ("", "", "Deployment", "spec/template/metadata/annotations", false),
    ("", "", "Ingress", "spec/rules/host", false),
    ("", "", "Ingress", "spec/tls/hosts", false),
    ("", "", "Ingress", "spec/tls/secretName", false),
    ("", "", "Job", "spec/template/spec/containers/args", false),
    ("", "", "Job", "spec/template/spec/containers/command", false),
    ("", "", "Job", "spec/template/spec/containers/env/value", false),
    ("", "", "Job", "spec/template/spec/containers/volumeMounts/mountPath", false),
    ("", "", "Job", "spec/template/spec/initContainers/args", false),
    ("", "", "Job", "spec/template/spec/initContainers/command", false),
    ("", "", "Job", "spec/template/spec/initContainers/env/value", false),
    ("", "", "Job", "spec/template/spec/initContainers/volumeMounts/mountPath", false),
    ("", "", "Job", "spec/template/spec/volumes/nfs/server", false),
    ("", "", "Pod", "spec/containers/args", false),
    ("", "", "Pod", "spec/containers/command", false),
    ("", "", "Pod", "spec/containers/env/value", false),
    ("", "", "Pod", "spec/containers/volumeMounts/mountPath", false),
    ("", "", "Pod", "spec/initContainers/args", false),
    ("", "", "Pod", "spec/initContainers/command", false),
    ("", "", "Pod", "spec/initContainers/env/value", false),
    ("", "", "Pod", "spec/initContainers/volumeMounts/mountPath", false),
    ("", "", "Pod", "spec/volumes/nfs/server", false),
    ("", "", "ReplicaSet", "spec/template/spec/containers/args", false),
    ("", "", "ReplicaSet", "spec/template/spec/containers/command", false),
    ("", "", "ReplicaSet", "spec/template/spec/containers/env/value", false),
    ("", "", "ReplicaSet", "spec/template/spec/containers/volumeMounts/mountPath", false),
    ("", "", "ReplicaSet", "spec/template/spec/initContainers/args", false),
    ("", "", "ReplicaSet", "spec/template/spec/initContainers/command", false),
    ("", "", "ReplicaSet", "spec/template/spec/initContainers/env/value", false),
    ("", "", "ReplicaSet", "spec/template/spec/initContainers/volumeMounts/mountPath", false),
    ("", "", "ReplicaSet", "spec/template/spec/volumes/nfs/server", false),
    ("", "", "Service", "spec/ports/port", false),
    ("", "", "Service", "spec/ports/targetPort", false),
    ("", "", "StatefulSet", "spec/template/spec/containers/args", false),
    ("", "", "StatefulSet", "spec/template/spec/containers/command", false),
    ("", "", "StatefulSet", "spec/template/spec/containers/env/value", false),
    ("", "", "StatefulSet", "spec/template/spec/containers/volumeMounts/mountPath", false),
    ("", "", "StatefulSet", "spec/template/spec/initContainers/args", false),
    ("", "", "StatefulSet", "spec/template/spec/initContainers/command", false),
    ("", "", "StatefulSet", "spec/template/spec/initContainers/env/value", false),
    ("", "", "StatefulSet", "spec/template/spec/initContainers/volumeMounts/mountPath", false),
    ("", "", "StatefulSet", "spec/volumeClaimTemplates/spec/nfs/server", false),
    ("", "", "PersistentVolume", "spec/nfs/server", false),
    ("", "", "", "metadata/labels", false),
    ("", "", "", "metadata/annotations", false),
];

/// The built-in lists, each in kustomize's sorted order.
pub(super) struct Builtin {
    pub name_prefix: Vec<FieldSpec>,
    pub name_suffix: Vec<FieldSpec>,
    pub namespace: Vec<FieldSpec>,
    pub common_labels: Vec<FieldSpec>,
    pub template_labels: Vec<FieldSpec>,
    pub common_annotations: Vec<FieldSpec>,
    pub images: Vec<FieldSpec>,
    pub replicas: Vec<FieldSpec>,
    pub var_reference: Vec<FieldSpec>,
}

impl Builtin {
    pub fn new() -> Builtin {
        let common_labels: Vec<Row> = SELECTORS.iter().chain(TEMPLATE_LABELS).copied().collect();
        Builtin {
            name_prefix: table(NAME),
            name_suffix: table(NAME),
            namespace: table(NAMESPACE),
            common_labels: table(&common_labels),
            template_labels: table(TEMPLATE_LABELS),
            common_annotations: table(ANNOTATIONS),
            images: table(IMAGES),
            replicas: table(REPLICAS),
            var_reference: table(VAR_REFERENCE),
        }
    }
}

fn table(rows: &[Row]) -> Vec<FieldSpec> {
    let mut specs: Vec<FieldSpec> =
        rows.iter().map(|&(g, v, k, path, create)| FieldSpec::new(g, v, k, path, create)).collect();
    sort(&mut specs);
    specs
}

fn compare(a: &Gvk, b: &Gvk) -> Ordering {
    let rank = |g: &Gvk| kind_rank(&g.kind, LEGACY_FIRST, LEGACY_LAST);
    rank(a).cmp(&rank(b)).then_with(|| a.legacy_key().cmp(&b.legacy_key()))
}

/// Sorts specs by kind as kustomize does after every merge (stable, so specs of one kind keep their order).
pub fn sort(specs: &mut [FieldSpec]) {
    specs.sort_by(|a, b| compare(&a.gvk, &b.gvk));
}

/// Group, version and kind as kustomize prints them in messages: `Deployment.[noVer].[noGrp]`.
pub fn gvk_string(gvk: &Gvk) -> String {
    let or = |s: &str, unset: &'static str| if s.is_empty() { unset.to_string() } else { s.to_string() };
    format!("{}.{}.{}", or(&gvk.kind, "[noKind]"), or(&gvk.version, "[noVer]"), or(&gvk.group, "[noGrp]"))
}

fn describe(spec: &FieldSpec) -> String {
    format!("'{}' of {} (create: {})", spec.path, gvk_string(&spec.gvk), spec.create)
}

/// Adds `spec` to `list` unless an equivalent spec is there (same path, a
/// kind `spec` selects); a different `create` for it is an error.
pub fn merge_one(list: &mut Vec<FieldSpec>, spec: &FieldSpec) -> Result<(), String> {
    match list.iter().find(|have| have.path == spec.path && spec.gvk.selects(&have.gvk)) {
        Some(have) if have.create != spec.create => {
            Err(format!("conflicting fieldspecs: {} and {}", describe(have), describe(spec)))
        }
        Some(_) => Ok(()),
        None => {
            list.push(spec.clone());
            Ok(())
        }
    }
}

/// [`merge_one`] for each of `specs`, in order.
pub fn merge_all(list: &mut Vec<FieldSpec>, specs: &[FieldSpec]) -> Result<(), String> {
    specs.iter().try_for_each(|s| merge_one(list, s))
}

/// Merges `incoming` into `list` and sorts the result (kustomize's TransformerConfig merge of one list).
pub fn merge_sorted(list: &mut Vec<FieldSpec>, incoming: &[FieldSpec], name: &str) -> Result<(), String> {
    merge_all(list, incoming).map_err(|e| format!("failed to merge {name} field specs: {e}"))?;
    sort(list);
    Ok(())
}

/// The lists of a TransformerConfig document, as read (each sorted, not merged).
#[derive(Debug, Default)]
pub(super) struct FileLists {
    pub lists: Vec<(ListName, Vec<FieldSpec>)>,
    pub name_reference: Vec<Value>,
}

/// Which list of a transformer configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListName {
    NamePrefix,
    NameSuffix,
    Namespace,
    CommonLabels,
    Labels,
    TemplateLabels,
    CommonAnnotations,
    VarReference,
    Images,
    Replicas,
}

impl ListName {
    pub const ALL: [ListName; 10] = [
        ListName::NamePrefix,
        ListName::NameSuffix,
        ListName::Namespace,
        ListName::CommonLabels,
        ListName::Labels,
        ListName::TemplateLabels,
        ListName::CommonAnnotations,
        ListName::VarReference,
        ListName::Images,
        ListName::Replicas,
    ];

    /// The key in a configuration file.
    pub fn key(self) -> &'static str {
        match self {
            ListName::NamePrefix => "namePrefix",
            ListName::NameSuffix => "nameSuffix",
            ListName::Namespace => "namespace",
            ListName::CommonLabels => "commonLabels",
            ListName::Labels => "labels",
            ListName::TemplateLabels => "templateLabels",
            ListName::CommonAnnotations => "commonAnnotations",
            ListName::VarReference => "varReference",
            ListName::Images => "images",
            ListName::Replicas => "replicas",
        }
    }
}

/// Reads a configuration file's document. Keys match case-insensitively (as
/// kustomize's JSON decoding does); unknown keys are errors.
pub(super) fn read_file(doc: &Value) -> Result<FileLists, String> {
    let mut out = FileLists::default();
    let map = match doc {
        Value::Null => return Ok(out),
        Value::Object(m) => m,
        other => return Err(format!("a transformer configuration must be a mapping, found {}", type_name(other))),
    };
    for (key, value) in map {
        if key.eq_ignore_ascii_case("nameReference") {
            out.name_reference = match value {
                Value::Null => Vec::new(),
                Value::Array(items) => items.clone(),
                other => return Err(format!("nameReference: must be a list, found {}", type_name(other))),
            };
            continue;
        }
        let Some(name) = ListName::ALL.iter().copied().find(|n| n.key().eq_ignore_ascii_case(key)) else {
            return Err(format!(
                "unknown field {key:?} (known: namePrefix, nameSuffix, namespace, commonLabels, labels, templateLabels, commonAnnotations, nameReference, varReference, images, replicas)"
            ));
        };
        let mut specs = field_specs(value).map_err(|e| format!("{}: {e}", name.key()))?;
        sort(&mut specs);
        out.lists.retain(|(n, _)| *n != name);
        out.lists.push((name, specs));
    }
    Ok(out)
}

/// A list of field specs (`null` is an empty list).
pub fn field_specs(v: &Value) -> Result<Vec<FieldSpec>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => {
            items.iter().enumerate().map(|(i, s)| field_spec(s).map_err(|e| format!("[{i}]: {e}"))).collect()
        }
        other => Err(format!("must be a list of field specs, found {}", type_name(other))),
    }
}

/// One field spec: `group`, `version`, `kind`, `path` (strings) and `create`
/// (a boolean); keys match case-insensitively, others are errors.
pub fn field_spec(v: &Value) -> Result<FieldSpec, String> {
    let Value::Object(m) = v else {
        return Err(format!("a field spec must be a mapping, found {}", type_name(v)));
    };
    let mut spec = FieldSpec::new("", "", "", "", false);
    for (key, value) in m {
        let text = || match value {
            Value::String(s) => Ok(s.clone()),
            Value::Null => Ok(String::new()),
            other => Err(format!("{key}: must be a string, found {}", type_name(other))),
        };
        match key.to_ascii_lowercase().as_str() {
            "group" => spec.gvk.group = text()?,
            "version" => spec.gvk.version = text()?,
            "kind" => spec.gvk.kind = text()?,
            "path" => spec.path = text()?,
            "create" => {
                spec.create = match value {
                    Value::Bool(b) => *b,
                    Value::Null => false,
                    other => return Err(format!("create: must be true or false, found {}", type_name(other))),
                }
            }
            _ => {
                return Err(format!(
                    "unknown field {key:?} in a field spec (known: group, version, kind, path, create)"
                ));
            }
        }
    }
    Ok(FieldSpec::new(&spec.gvk.group, &spec.gvk.version, &spec.gvk.kind, &spec.path, spec.create))
}

/// What a JSON value is, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(kind: &str, path: &str, create: bool) -> FieldSpec {
        FieldSpec::new("", "", kind, path, create)
    }

    #[test]
    fn lists_sort_by_legacy_kind_order_then_names_with_unset_parts_last() {
        let mut l = vec![
            spec("", "metadata/labels", true),
            spec("ValidatingWebhookConfiguration", "a", false),
            spec("Thing", "a", false),
            FieldSpec::new("apps", "", "StatefulSet", "a", false),
            spec("Deployment", "a", false),
            spec("StatefulSet", "a", false),
        ];
        sort(&mut l);
        let kinds: Vec<String> = l.iter().map(|s| gvk_string(&s.gvk)).collect();
        assert_eq!(
            kinds,
            vec![
                "Deployment.[noVer].[noGrp]",
                "StatefulSet.[noVer].apps",
                "StatefulSet.[noVer].[noGrp]",
                "Thing.[noVer].[noGrp]",
                "[noKind].[noVer].[noGrp]",
                "ValidatingWebhookConfiguration.[noVer].[noGrp]",
            ]
        );
    }

    #[test]
    fn the_builtin_replicas_list_is_in_kustomizes_order() {
        let kinds: Vec<String> = Builtin::new().replicas.iter().map(|s| gvk_string(&s.gvk)).collect();
        assert_eq!(
            kinds,
            vec![
                "Deployment.[noVer].[noGrp]",
                "StatefulSet.[noVer].[noGrp]",
                "ReplicaSet.[noVer].[noGrp]",
                "ReplicationController.[noVer].[noGrp]"
            ]
        );
    }

    #[test]
    fn merging_drops_specs_a_kind_specific_one_covers_and_refuses_conflicts() {
        // A spec without a kind, merged after a kind-specific one for the same path, is absorbed.
        let mut l = vec![spec("Thing", "metadata/name", false)];
        merge_one(&mut l, &spec("", "metadata/name", false)).unwrap();
        assert_eq!(l.len(), 1);
        // The other way round both stay.
        let mut l = vec![spec("", "metadata/name", false)];
        merge_one(&mut l, &spec("Thing", "metadata/name", false)).unwrap();
        assert_eq!(l.len(), 2);
        // Same field, different create.
        let e = merge_one(&mut l, &spec("", "metadata/name", true)).unwrap_err();
        assert!(e.starts_with("conflicting fieldspecs: 'metadata/name' of [noKind]"), "{e}");
    }

    #[test]
    fn configuration_files_are_read_strictly() {
        let f = read_file(
            &json!({"NamePrefix": [{"path": "spec/ref", "Kind": "Thing"}], "nameReference": [{"kind": "X"}]}),
        )
        .unwrap();
        assert_eq!(f.lists, vec![(ListName::NamePrefix, vec![spec("Thing", "spec/ref", false)])]);
        assert_eq!(f.name_reference.len(), 1);
        assert!(read_file(&json!({"namePrefixes": []})).unwrap_err().starts_with("unknown field \"namePrefixes\""));
        let e = read_file(&json!({"images": [{"path": "a", "kinds": "X"}]})).unwrap_err();
        assert!(e.starts_with("images: [0]: unknown field \"kinds\""), "{e}");
        let e = read_file(&json!({"images": [{"path": 1}]})).unwrap_err();
        assert_eq!(e, "images: [0]: path: must be a string, found a number");
        let e = read_file(&json!({"images": {"path": "x"}})).unwrap_err();
        assert_eq!(e, "images: must be a list of field specs, found a mapping");
        assert!(read_file(&Value::Null).unwrap().lists.is_empty());
    }

    #[test]
    fn builtin_lists_are_stable_under_merging() {
        // kustomize merges the defaults into an empty configuration; nothing may drop out.
        let b = Builtin::new();
        for list in [&b.common_labels, &b.template_labels, &b.common_annotations, &b.namespace, &b.images, &b.replicas]
        {
            let mut merged = Vec::new();
            merge_sorted(&mut merged, list, "test").unwrap();
            assert_eq!(&merged, list);
        }
        let mut merged = Vec::new();
        merge_sorted(&mut merged, &b.var_reference, "test").unwrap();
        assert_eq!(merged, b.var_reference);
    }
}
