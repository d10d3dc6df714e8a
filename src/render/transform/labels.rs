//! Labels and annotations, as kustomize v5.5 sets them:
//!
//! - `commonLabels` acts on `metadata.labels`, the selectors (Service and
//!   ReplicationController `spec.selector`, `spec.selector.matchLabels` of
//!   Deployments, ReplicaSets, DaemonSets and StatefulSets — created when
//!   missing — and, only when present, of Jobs, CronJobs' job templates,
//!   PodDisruptionBudgets, NetworkPolicy pod selectors, pod (anti-)affinity
//!   and topology-spread selectors of Deployments and StatefulSets) and the
//!   templates (pod templates, CronJob job templates and their pod
//!   templates, StatefulSet volume claim templates), all created when
//!   missing. Kinds without a group in the table (Deployment, ReplicaSet,
//!   DaemonSet) match any group.
//! - a `labels:` entry acts on `metadata.labels` plus its own `fields`,
//!   plus the templates with `includeTemplates`, or everything
//!   `commonLabels` touches with `includeSelectors`;
//! - `commonAnnotations` acts on `metadata.annotations` and the templates'
//!   annotations;
//! - an existing value is replaced; a field that is present but `null` and
//!   not to be created stays `null`; a field that is not a mapping is an
//!   error; values must be strings (`null` means the empty string).

use serde_json::{Map, Value};

use super::super::fieldspec::FieldSpec;
use super::super::resource::Resource;
use super::specs::{merge_all, merge_one, type_name};
use super::{Config, wrong_kind};

/// One `labels:` entry.
pub fn labels(
    resources: &mut [Resource],
    pairs: &Map<String, Value>,
    include_selectors: bool,
    include_templates: bool,
    fields: &[FieldSpec],
    cfg: &Config,
) -> Result<(), String> {
    let specs = label_specs(include_selectors, include_templates, fields, cfg)?;
    set_all(resources, pairs, &specs, "label")
}

/// The specs a `labels:` entry acts on: its `fields`, the configuration's
/// `labels` list, and the selector, template or metadata specs.
fn label_specs(
    include_selectors: bool,
    include_templates: bool,
    fields: &[FieldSpec],
    cfg: &Config,
) -> Result<Vec<FieldSpec>, String> {
    let failed = |e: String| format!("failed to merge labels: {e}");
    let mut specs = fields.to_vec();
    merge_all(&mut specs, &cfg.labels).map_err(failed)?;
    if include_selectors {
        merge_all(&mut specs, &cfg.common_labels).map_err(failed)?;
    } else {
        if include_templates {
            merge_all(&mut specs, &cfg.template_labels)
                .map_err(|e| format!("failed to merge template fieldSpec: {e}"))?;
        }
        merge_one(&mut specs, &FieldSpec::new("", "", "", "metadata/labels", true)).map_err(failed)?;
    }
    Ok(specs)
}

/// Sets every pair at every field `specs` select, on every object. `what`
/// (label, annotation) names a pair in messages.
pub fn set_all(
    resources: &mut [Resource],
    pairs: &Map<String, Value>,
    specs: &[FieldSpec],
    what: &str,
) -> Result<(), String> {
    let pairs = string_pairs(pairs, what)?;
    if pairs.is_empty() {
        return Ok(());
    }
    for r in resources.iter_mut() {
        let gvk = r.gvk();
        for spec in specs.iter().filter(|s| s.gvk.selects(&gvk)) {
            spec.apply(&mut r.obj, Some(Value::Object(Map::new())), &mut |node| set_pairs(node, &pairs))?;
        }
    }
    Ok(())
}

/// The pairs as strings, sorted by key (the order kustomize adds them in).
fn string_pairs(pairs: &Map<String, Value>, what: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        if k.is_empty() {
            return Err(format!("a {what} key must not be empty"));
        }
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => {
                return Err(format!(
                    "the value of {what} {k:?} must be a string, found {} (quote it)",
                    type_name(other)
                ));
            }
        };
        out.push((k.clone(), v));
    }
    out.sort();
    Ok(out)
}

fn set_pairs(node: &mut Value, pairs: &[(String, String)]) -> Result<(), String> {
    match node {
        Value::Null => Ok(()),
        Value::Object(m) => {
            for (k, v) in pairs {
                m.insert(k.clone(), Value::String(v.clone()));
            }
            Ok(())
        }
        other => Err(wrong_kind("MappingNode", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{annotations, common_labels};
    use super::*;
    use serde_json::json;

    fn pairs(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn rs(objs: Vec<Value>) -> Vec<Resource> {
        objs.into_iter().map(Resource::new).collect()
    }

    #[test]
    fn common_labels_reach_selectors_and_templates() {
        let mut r = rs(vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx"}]}}}}),
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"}, "spec": {"schedule": "x"}}),
            json!({"apiVersion": "x.io/v1", "kind": "Deployment", "metadata": {"name": "fake"}}),
        ]);
        common_labels(&mut r, &pairs(json!({"zz": "1", "app": "web"})), &Config::builtin()).unwrap();
        let l = json!({"app": "web", "zz": "1"});
        assert_eq!(r[0].obj["metadata"]["labels"], l);
        assert_eq!(r[0].obj["spec"]["selector"], json!({"matchLabels": l}));
        assert_eq!(r[0].obj["spec"]["template"]["metadata"], json!({"labels": l}));
        assert_eq!(
            r[1].obj["spec"],
            json!({"schedule": "x", "jobTemplate": {"metadata": {"labels": l}, "spec": {"template": {"metadata": {"labels": l}}}}})
        );
        // A Deployment of any group.
        assert_eq!(r[2].obj["spec"]["selector"]["matchLabels"], l);
    }

    #[test]
    fn selectors_that_are_not_created() {
        let mut r = rs(vec![
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "null"},
                "spec": {"selector": {"matchLabels": null}}}),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "none"},
                "spec": {"minAvailable": 1}}),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "has"},
                "spec": {"selector": {"matchLabels": {"x": "y"}}}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
                "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}}},
                    {"namespaceSelector": {}}]}]}}),
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "job"},
                "spec": {"template": {"spec": {"containers": []}}}}),
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "sts"},
                "spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}, {"spec": {}}],
                    "template": {"spec": {"topologySpreadConstraints": [{"labelSelector": {"matchLabels": {"q": "r"}}},
                        {"maxSkew": 1}]}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "labels": null},
                "spec": {"selector": null}}),
        ]);
        common_labels(&mut r, &pairs(json!({"app": "web"})), &Config::builtin()).unwrap();
        let l = json!({"app": "web"});
        assert_eq!(r[0].obj["spec"], json!({"selector": {"matchLabels": null}}));
        assert_eq!(r[1].obj["spec"], json!({"minAvailable": 1}));
        assert_eq!(r[2].obj["spec"]["selector"]["matchLabels"], json!({"x": "y", "app": "web"}));
        assert_eq!(
            r[3].obj["spec"],
            json!({"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b", "app": "web"}}},
                {"namespaceSelector": {}}]}]})
        );
        assert_eq!(r[4].obj["spec"], json!({"template": {"spec": {"containers": []}, "metadata": {"labels": l}}}));
        assert_eq!(
            r[5].obj["spec"]["volumeClaimTemplates"],
            json!([{"metadata": {"name": "data", "labels": l}}, {"spec": {}, "metadata": {"labels": l}}])
        );
        assert_eq!(
            r[5].obj["spec"]["template"]["spec"]["topologySpreadConstraints"],
            json!([{"labelSelector": {"matchLabels": {"q": "r", "app": "web"}}}, {"maxSkew": 1}])
        );
        assert_eq!(r[5].obj["spec"]["selector"]["matchLabels"], l);
        assert_eq!(r[6].obj["metadata"]["labels"], l);
        assert_eq!(r[6].obj["spec"]["selector"], l);
    }

    fn deployment() -> Resource {
        Resource::new(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}}}}))
    }

    #[test]
    fn a_labels_entry_touches_metadata_unless_told_more() {
        let cfg = Config::builtin();
        let p = pairs(json!({"team": "a"}));
        let mut r = vec![deployment()];
        labels(&mut r, &p, false, false, &[], &cfg).unwrap();
        assert_eq!(r[0].obj["metadata"]["labels"], json!({"team": "a"}));
        assert_eq!(r[0].obj["spec"], deployment().obj["spec"]);

        let mut r = vec![deployment()];
        labels(&mut r, &p, false, true, &[], &cfg).unwrap();
        assert_eq!(r[0].obj["spec"]["template"]["metadata"]["labels"], json!({"app": "web", "team": "a"}));
        assert_eq!(r[0].obj["spec"]["selector"]["matchLabels"], json!({"app": "web"}));

        let mut r = vec![deployment()];
        labels(&mut r, &p, true, false, &[], &cfg).unwrap();
        assert_eq!(r[0].obj["spec"]["selector"]["matchLabels"], json!({"app": "web", "team": "a"}));
        assert_eq!(r[0].obj["spec"]["template"]["metadata"]["labels"], json!({"app": "web", "team": "a"}));
    }

    #[test]
    fn a_labels_entry_with_its_own_fields() {
        let cfg = Config::builtin();
        let mut r = rs(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})]);
        let fields = [FieldSpec::new("", "", "ConfigMap", "data/x", true)];
        labels(&mut r, &pairs(json!({"a": "b"})), false, false, &fields, &cfg).unwrap();
        assert_eq!(
            r[0].obj,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm", "labels": {"a": "b"}}, "data": {"x": {"a": "b"}}})
        );
        // `metadata/labels` without create conflicts with the built-in one.
        let fields = [FieldSpec::new("", "", "", "metadata/labels", false)];
        let e = labels(&mut r, &pairs(json!({"a": "b"})), false, false, &fields, &cfg).unwrap_err();
        assert!(e.starts_with("failed to merge labels: conflicting fieldspecs"), "{e}");
        let e = labels(&mut r, &pairs(json!({"a": "b"})), true, false, &fields, &cfg).unwrap_err();
        assert!(e.starts_with("failed to merge labels: conflicting fieldspecs"), "{e}");
    }

    #[test]
    fn configured_label_specs_join_every_labels_entry() {
        let mut cfg = Config::builtin();
        cfg.merge_file(&json!({"labels": [{"path": "spec/sel", "kind": "Thing", "create": true}]})).unwrap();
        let mut r = rs(vec![json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}})]);
        labels(&mut r, &pairs(json!({"a": "b"})), false, false, &[], &cfg).unwrap();
        assert_eq!(r[0].obj["spec"], json!({"sel": {"a": "b"}}));
    }

    #[test]
    fn values_must_be_strings_and_targets_mappings() {
        let cfg = Config::builtin();
        let mut r = rs(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})]);
        let e = common_labels(&mut r, &pairs(json!({"k": 1})), &cfg).unwrap_err();
        assert_eq!(e, "the value of label \"k\" must be a string, found a number (quote it)");
        let e = annotations(&mut r, &pairs(json!({"k": true})), &cfg).unwrap_err();
        assert_eq!(e, "the value of annotation \"k\" must be a string, found a boolean (quote it)");
        common_labels(&mut r, &pairs(json!({"k": null})), &cfg).unwrap();
        assert_eq!(r[0].obj["metadata"]["labels"], json!({"k": ""}));

        let mut r =
            rs(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": ["a"]}})]);
        let e = common_labels(&mut r, &pairs(json!({"app": "web"})), &cfg).unwrap_err();
        assert!(e.contains("considering field 'metadata/labels'"), "{e}");
        assert!(e.ends_with("wrong node kind: expected MappingNode but got SequenceNode"), "{e}");
    }

    #[test]
    fn common_annotations_reach_templates() {
        let mut r = rs(vec![
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"}, "spec": {}}),
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj", "annotations": {"c": "old"}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}, "spec": {}}),
        ]);
        annotations(&mut r, &pairs(json!({"c": "d"})), &Config::builtin()).unwrap();
        let a = json!({"c": "d"});
        assert_eq!(r[0].obj["spec"], json!({"template": {"metadata": {"annotations": a}}}));
        assert_eq!(r[1].obj["metadata"]["annotations"], a);
        assert_eq!(r[1].obj.pointer("/spec/jobTemplate/metadata/annotations").unwrap(), &a);
        assert_eq!(r[1].obj.pointer("/spec/jobTemplate/spec/template/metadata/annotations").unwrap(), &a);
        assert_eq!(r[2].obj["spec"], json!({}));
        assert!(r[2].obj["metadata"]["labels"].is_null());
    }
}
