//! The namespace transformer, as kustomize v5.5 runs it for `namespace:`:
//!
//! - every namespaced object gets `metadata.namespace`, replacing one it had;
//!   cluster-scoped kinds keep whatever they have (even a namespace);
//!   unknown kinds (custom resources) count as namespaced;
//! - a `v1` Namespace is renamed to the namespace (so two Namespaces in one
//!   render are an id conflict); a Namespace of another apiVersion is not;
//! - an APIService's `spec.service.namespace` is set (the service map is
//!   created if missing), a CRD's conversion webhook service namespace only
//!   when present;
//! - RoleBinding and ClusterRoleBinding subjects named `default` (of any
//!   kind) get the namespace, other subjects keep theirs (name references
//!   later move ServiceAccount subjects that name an object of the render);
//! - webhook configurations' service namespaces are left to name references;
//! - every object the transformer visits records its id as a previous id,
//!   changed or not (name references look candidates up by previous ids);
//! - two objects ending up with the same id is an error.

use serde_json::Value;
use std::collections::HashMap;

use super::super::resource::{Gvk, Resource};
use super::{Config, object, wrong_kind};

/// Which RoleBinding / ClusterRoleBinding subjects get the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectMode {
    /// Subjects named `default` (kustomize's default).
    #[default]
    DefaultOnly,
    /// Every subject of kind ServiceAccount.
    AllServiceAccounts,
    /// None.
    None,
}

/// The NamespaceTransformer's options (`namespace:` uses the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NamespaceOptions {
    /// Only set namespace fields that are missing or empty.
    pub unset_only: bool,
    pub role_binding_subjects: SubjectMode,
}

/// The namespace transformer with explicit options; see the module docs.
pub fn namespace_with(
    resources: &mut [Resource],
    namespace: &str,
    cfg: &Config,
    opts: NamespaceOptions,
) -> Result<(), String> {
    if namespace.is_empty() {
        return Ok(());
    }
    let mut ids = IdCounts::new(resources);
    for r in resources.iter_mut() {
        if r.obj.as_object().is_none_or(|m| m.is_empty()) {
            continue;
        }
        // The kind does not change here, so neither does being cluster-scoped.
        let gvk = r.gvk();
        let cluster = gvk.is_cluster_scoped();
        let before = key(r, &gvk, cluster);
        r.remember_id();
        apply(r, &gvk, cluster, namespace, cfg, opts)
            .map_err(|e| format!("namespace transformation failed for {}: {e}", object(r)))?;
        let after = key(r, &gvk, cluster);
        if after != before {
            ids.moved(&before, after.clone());
        }
        if ids.count(&after) != 1 {
            return Err(format!(
                "namespace transformation produces ID conflict: more than one object would be {}",
                r.id()
            ));
        }
    }
    Ok(())
}

/// An id as kustomize compares them: kind, name and effective namespace.
type Key = (Gvk, String, String);

fn key(r: &Resource, gvk: &Gvk, cluster_scoped: bool) -> Key {
    let ns = match r.namespace() {
        _ if cluster_scoped => "_non_namespaceable_",
        "" => "default",
        ns => ns,
    };
    (gvk.clone(), r.name().to_string(), ns.to_string())
}

/// How many objects have each id now.
struct IdCounts(HashMap<Key, usize>);

impl IdCounts {
    fn new(resources: &[Resource]) -> IdCounts {
        let mut m = HashMap::with_capacity(resources.len());
        for r in resources {
            let gvk = r.gvk();
            let cluster = gvk.is_cluster_scoped();
            *m.entry(key(r, &gvk, cluster)).or_insert(0) += 1;
        }
        IdCounts(m)
    }

    fn moved(&mut self, from: &Key, to: Key) {
        if let Some(n) = self.0.get_mut(from) {
            *n = n.saturating_sub(1);
        }
        *self.0.entry(to).or_insert(0) += 1;
    }

    fn count(&self, id: &Key) -> usize {
        self.0.get(id).copied().unwrap_or(0)
    }
}

fn apply(
    r: &mut Resource,
    gvk: &Gvk,
    cluster_scoped: bool,
    namespace: &str,
    cfg: &Config,
    opts: NamespaceOptions,
) -> Result<(), String> {
    let is_v1 = r.obj.get("apiVersion").and_then(Value::as_str) == Some("v1");
    let binding = matches!(gvk.kind.as_str(), "RoleBinding" | "ClusterRoleBinding");
    let mut set = |node: &mut Value| set_scalar(node, namespace, opts.unset_only);
    if !cluster_scoped {
        let md = r.metadata_mut();
        let field = md.entry("namespace").or_insert_with(empty);
        if field.is_null() {
            *field = empty();
        }
        set(field).map_err(|e| format!("considering field 'metadata/namespace': {e}"))?;
    }
    if binding {
        subjects(&mut r.obj, opts.role_binding_subjects, &mut set)?;
    }
    for spec in cfg.namespace.iter().filter(|s| s.gvk.selects(gvk)) {
        let skip = spec.path == "metadata/namespace"
            || (spec.path == "metadata/name" && !is_v1)
            || (binding
                && matches!(spec.gvk.kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
                && spec.path == "subjects/namespace");
        if !skip {
            spec.apply(&mut r.obj, Some(empty()), &mut set).map_err(|e| {
                if e.contains("wrong node kind") {
                    format!("namespace field specs must target scalar nodes: {e}")
                } else {
                    e
                }
            })?;
        }
    }
    Ok(())
}

fn empty() -> Value {
    Value::String(String::new())
}

/// Sets a scalar namespace field; with `unset_only`, only when it is empty.
fn set_scalar(node: &mut Value, namespace: &str, unset_only: bool) -> Result<(), String> {
    match node {
        Value::Array(_) | Value::Object(_) => Err(wrong_kind("ScalarNode", node)),
        Value::String(s) if unset_only && !s.is_empty() => Ok(()),
        Value::Bool(_) | Value::Number(_) if unset_only => Ok(()),
        _ => {
            *node = Value::String(namespace.to_string());
            Ok(())
        }
    }
}

/// The subjects of a (Cluster)RoleBinding that `mode` selects get the namespace.
fn subjects(
    obj: &mut Value,
    mode: SubjectMode,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let subjects = match obj.get_mut("subjects") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(format!(
                "setting namespace on (cluster)role binding subjects: {}",
                wrong_kind("SequenceNode", other)
            ));
        }
    };
    for subject in subjects {
        let Value::Object(m) = subject else { continue };
        let selected = match mode {
            SubjectMode::None => false,
            SubjectMode::DefaultOnly => m.get("name").and_then(Value::as_str) == Some("default"),
            SubjectMode::AllServiceAccounts => m.get("kind").and_then(Value::as_str) == Some("ServiceAccount"),
        };
        if selected {
            let field = m.entry("namespace").or_insert_with(empty);
            set(field).map_err(|e| format!("setting namespace field on (cluster)role binding subject: {e}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn res(v: Value) -> Resource {
        Resource::new(v)
    }

    fn run(objs: Vec<Value>, ns: &str) -> Result<Vec<Resource>, String> {
        let mut rs: Vec<Resource> = objs.into_iter().map(res).collect();
        namespace_with(&mut rs, ns, &Config::builtin(), NamespaceOptions::default())?;
        Ok(rs)
    }

    #[test]
    fn namespaced_objects_move_and_cluster_scoped_ones_stay() {
        let rs = run(
            vec![
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "other"}}),
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "cr", "namespace": "should-stay"}}),
                json!({"apiVersion": "x.io/v1", "kind": "Foo", "metadata": {"name": "foo"}}),
                json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "metadata": {"name": "bars.x.io"}, "spec": {"group": "x.io"}}),
            ],
            "newns",
        )
        .unwrap();
        assert_eq!(rs[0].namespace(), "newns");
        assert_eq!(rs[1].namespace(), "newns");
        assert_eq!(rs[2].namespace(), "should-stay");
        assert_eq!(rs[3].namespace(), "newns");
        assert_eq!(rs[4].obj["metadata"], json!({"name": "bars.x.io"}));
        assert_eq!(rs[4].obj["spec"], json!({"group": "x.io"}));
    }

    #[test]
    fn every_visited_object_records_its_previous_id() {
        let rs = run(
            vec![
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "newns"}}),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
            ],
            "newns",
        )
        .unwrap();
        assert_eq!(rs[0].prev_ids, vec![rs[0].id()]);
        assert_eq!(rs[1].prev_ids[0].namespace, "");
        assert_eq!(rs[1].original_id().name, "a");
    }

    #[test]
    fn a_v1_namespace_is_renamed_and_two_of_them_conflict() {
        let rs = run(
            vec![
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "oldns"}}),
                json!({"apiVersion": "x.io/v1", "kind": "Namespace", "metadata": {"name": "fake"}}),
            ],
            "newns",
        )
        .unwrap();
        assert_eq!(rs[0].obj["metadata"], json!({"name": "newns"}));
        assert_eq!(rs[0].original_id().name, "oldns");
        assert_eq!(rs[1].name(), "fake");
        let e = run(
            vec![
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b", "namespace": "zzz"}}),
            ],
            "newns",
        )
        .unwrap_err();
        assert!(e.starts_with("namespace transformation produces ID conflict"), "{e}");
        // A ConfigMap moved onto one that is already there.
        let e = run(
            vec![
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "newns"}}),
            ],
            "newns",
        )
        .unwrap_err();
        assert!(e.contains("ConfigMap.v1.[noGrp]/a.newns"), "{e}");
    }

    #[test]
    fn binding_subjects_named_default_get_the_namespace() {
        let rb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
            "subjects": [
                {"kind": "ServiceAccount", "name": "default"},
                {"kind": "ServiceAccount", "name": "default", "namespace": "elsewhere"},
                {"kind": "ServiceAccount", "name": "sa"},
                {"kind": "ServiceAccount", "name": "sa2", "namespace": "elsewhere"},
                {"kind": "User", "name": "default"},
                {"kind": "Group", "name": "g"}],
            "roleRef": {"kind": "ClusterRole", "name": "cr", "apiGroup": "rbac.authorization.k8s.io"}});
        let crb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "crb"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"},
                {"kind": "ServiceAccount", "name": "x", "namespace": "y"}]});
        let rs = run(vec![rb, crb], "newns").unwrap();
        assert_eq!(rs[0].namespace(), "newns");
        assert_eq!(
            rs[0].obj["subjects"],
            json!([
                {"kind": "ServiceAccount", "name": "default", "namespace": "newns"},
                {"kind": "ServiceAccount", "name": "default", "namespace": "newns"},
                {"kind": "ServiceAccount", "name": "sa"},
                {"kind": "ServiceAccount", "name": "sa2", "namespace": "elsewhere"},
                {"kind": "User", "name": "default", "namespace": "newns"},
                {"kind": "Group", "name": "g"}])
        );
        assert_eq!(rs[1].namespace(), "");
        assert_eq!(
            rs[1].obj["subjects"],
            json!([{"kind": "ServiceAccount", "name": "default", "namespace": "newns"},
                {"kind": "ServiceAccount", "name": "x", "namespace": "y"}])
        );
    }

    #[test]
    fn subject_modes_and_unset_only() {
        let rb = || {
            Resource::new(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "rb", "namespace": "keep"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa"}, {"kind": "User", "name": "default"},
                {"kind": "ServiceAccount", "name": "b", "namespace": "there"}]}))
        };
        let cfg = Config::builtin();
        let mut rs = vec![rb()];
        let opts = NamespaceOptions { unset_only: false, role_binding_subjects: SubjectMode::AllServiceAccounts };
        namespace_with(&mut rs, "n", &cfg, opts).unwrap();
        assert_eq!(
            rs[0].obj["subjects"],
            json!([{"kind": "ServiceAccount", "name": "sa", "namespace": "n"}, {"kind": "User", "name": "default"},
                {"kind": "ServiceAccount", "name": "b", "namespace": "n"}])
        );
        let mut rs = vec![rb()];
        let opts = NamespaceOptions { unset_only: true, role_binding_subjects: SubjectMode::AllServiceAccounts };
        namespace_with(&mut rs, "n", &cfg, opts).unwrap();
        assert_eq!(rs[0].namespace(), "keep");
        assert_eq!(rs[0].obj["subjects"][2]["namespace"], "there");
        assert_eq!(rs[0].obj["subjects"][0]["namespace"], "n");
        let mut rs = vec![rb()];
        let opts = NamespaceOptions { unset_only: false, role_binding_subjects: SubjectMode::None };
        namespace_with(&mut rs, "n", &cfg, opts).unwrap();
        assert_eq!(rs[0].obj["subjects"], rb().obj["subjects"]);
    }

    #[test]
    fn service_references_of_apiservices_and_crds() {
        let rs = run(
            vec![
                json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.x.io"},
                    "spec": {"service": {"name": "svc"}}}),
                json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.y.io"},
                    "spec": {"group": "y"}}),
                json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "metadata": {"name": "foos.x.io"},
                    "spec": {"conversion": {"webhook": {"clientConfig": {"service": {"name": "svc", "namespace": "old"}}}}}}),
                json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                    "metadata": {"name": "vwc"},
                    "webhooks": [{"name": "a", "clientConfig": {"service": {"name": "svc", "namespace": "old"}}}]}),
            ],
            "newns",
        )
        .unwrap();
        assert_eq!(rs[0].obj["spec"]["service"], json!({"name": "svc", "namespace": "newns"}));
        assert_eq!(rs[1].obj["spec"], json!({"group": "y", "service": {"namespace": "newns"}}));
        assert_eq!(rs[2].obj.pointer("/spec/conversion/webhook/clientConfig/service/namespace").unwrap(), "newns");
        assert_eq!(rs[3].obj.pointer("/webhooks/0/clientConfig/service/namespace").unwrap(), "old");
        assert_eq!(rs[3].namespace(), "");
    }

    #[test]
    fn custom_specs_and_bad_targets() {
        let mut cfg = Config::builtin();
        cfg.merge_file(&json!({"namespace": [{"path": "spec/ns", "kind": "Thing"},
            {"path": "spec/nsnew", "kind": "Thing", "create": true}]}))
            .unwrap();
        let mut rs = vec![Resource::new(json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"ns": "old"}}))];
        namespace_with(&mut rs, "newns", &cfg, NamespaceOptions::default()).unwrap();
        assert_eq!(rs[0].obj["spec"], json!({"ns": "newns", "nsnew": "newns"}));
        let mut rs = vec![Resource::new(json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"ns": {"a": 1}}}))];
        let e = namespace_with(&mut rs, "newns", &cfg, NamespaceOptions::default()).unwrap_err();
        assert!(e.contains("Thing.v1.x.io/t"), "{e}");
        assert!(e.contains("namespace field specs must target scalar nodes"), "{e}");
        assert!(e.contains("expected ScalarNode but got MappingNode"), "{e}");
    }

    #[test]
    fn an_empty_namespace_changes_nothing() {
        let rs = run(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})], "").unwrap();
        assert_eq!(rs[0].namespace(), "");
        assert!(rs[0].prev_ids.is_empty());
    }
}
