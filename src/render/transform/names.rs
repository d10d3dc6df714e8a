//! `namePrefix:` and `nameSuffix:`, as kustomize v5.5 applies them:
//!
//! - every object is renamed except Namespaces (any group),
//!   CustomResourceDefinitions (any group) and APIServices of
//!   `apiregistration.k8s.io`, judged by the kind the object was read with;
//!   other cluster-scoped kinds (ClusterRole, StorageClass…) are renamed;
//! - the prefix goes before and the suffix after the name; an overlay's
//!   prefix lands outside a base's (`o-b-web-bs-os`);
//! - before each rename the object records its id as a previous one, and
//!   the prefix or suffix (for name references to tell apart same-named
//!   objects of different bases);
//! - specs from configuration files apply the prefix or suffix to other
//!   fields too (with `create`, a missing field becomes the bare prefix);
//!   two `metadata/name` specs that both select a kind rename it twice.

use serde_json::Value;

use super::super::fieldspec::FieldSpec;
use super::super::resource::{Gvk, Resource};
use super::{Config, object, scalar_text, wrong_kind};

/// Which end of the name.
#[derive(Clone, Copy)]
enum End {
    Prefix,
    Suffix,
}

/// Kinds never renamed: (group, kind), an empty group matching any.
const SKIPPED: [(&str, &str); 3] =
    [("", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"), ("", "Namespace")];

fn skipped(gvk: &Gvk) -> bool {
    SKIPPED.iter().any(|(g, k)| (g.is_empty() || *g == gvk.group) && *k == gvk.kind)
}

/// Applies the prefix, then the suffix (an empty one does nothing), to every object.
pub fn prefix_suffix(resources: &mut [Resource], prefix: &str, suffix: &str, cfg: &Config) -> Result<(), String> {
    for r in resources.iter_mut() {
        if !prefix.is_empty() {
            affix(r, prefix, End::Prefix, &cfg.name_prefix)?;
        }
        if !suffix.is_empty() {
            affix(r, suffix, End::Suffix, &cfg.name_suffix)?;
        }
    }
    Ok(())
}

fn affix(r: &mut Resource, text: &str, end: End, specs: &[FieldSpec]) -> Result<(), String> {
    let original = r.original_id().gvk;
    if skipped(&original) {
        return Ok(());
    }
    for spec in specs {
        if !spec.gvk.selects(&original) {
            continue;
        }
        if spec.path == "metadata/name" {
            match end {
                End::Prefix => r.prefixes.push(text.to_string()),
                End::Suffix => r.suffixes.push(text.to_string()),
            }
            r.remember_id();
        }
        let what = object(r);
        spec.apply(&mut r.obj, Some(Value::String(String::new())), &mut |node| {
            let Some(current) = scalar_text(node) else { return Err(wrong_kind("ScalarNode", node)) };
            let renamed = match end {
                End::Prefix => format!("{text}{current}"),
                End::Suffix => format!("{current}{text}"),
            };
            *node = Value::String(renamed);
            Ok(())
        })
        .map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(api_version: &str, kind: &str, name: &str) -> Resource {
        Resource::new(json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}))
    }

    #[test]
    fn renames_all_but_namespaces_crds_and_apiservices() {
        let mut rs = vec![
            obj("v1", "Namespace", "ns"),
            obj("x.io/v1", "Namespace", "fakens"),
            obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "foos.x.io"),
            obj("apiregistration.k8s.io/v1", "APIService", "v1.x.io"),
            obj("x.io/v1", "APIService", "fakeapi"),
            obj("rbac.authorization.k8s.io/v1", "ClusterRole", "cr"),
            obj("storage.k8s.io/v1", "StorageClass", "sc"),
            obj("v1", "ConfigMap", "cm"),
        ];
        let cfg = Config::builtin();
        prefix_suffix(&mut rs, "b-", "-bs", &cfg).unwrap();
        prefix_suffix(&mut rs, "o-", "-os", &cfg).unwrap();
        let names: Vec<&str> = rs.iter().map(Resource::name).collect();
        assert_eq!(
            names,
            vec![
                "ns",
                "fakens",
                "foos.x.io",
                "v1.x.io",
                "o-b-fakeapi-bs-os",
                "o-b-cr-bs-os",
                "o-b-sc-bs-os",
                "o-b-cm-bs-os"
            ]
        );
        let cm = &rs[7];
        assert_eq!(cm.original_id().name, "cm");
        let prev: Vec<&str> = cm.prev_ids.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(prev, vec!["cm", "b-cm", "b-cm-bs", "o-b-cm-bs"]);
        assert_eq!(cm.prefixes, vec!["b-", "o-"]);
        assert_eq!(cm.suffixes, vec!["-bs", "-os"]);
        assert!(rs[0].prev_ids.is_empty() && rs[0].prefixes.is_empty());
    }

    #[test]
    fn empty_prefix_or_suffix_does_nothing() {
        let mut rs = vec![obj("v1", "ConfigMap", "cm")];
        prefix_suffix(&mut rs, "", "-s", &Config::builtin()).unwrap();
        assert_eq!(rs[0].name(), "cm-s");
        assert!(rs[0].prefixes.is_empty());
        assert_eq!(rs[0].prev_ids.len(), 1);
    }

    #[test]
    fn configured_fields_get_the_prefix_too() {
        let mut cfg = Config::builtin();
        cfg.merge_file(&json!({"namePrefix": [{"path": "spec/ref", "kind": "Thing"},
            {"path": "spec/newref", "kind": "Thing", "create": true}]}))
            .unwrap();
        let mut rs = vec![Resource::new(json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"ref": "other"}}))];
        prefix_suffix(&mut rs, "p-", "", &cfg).unwrap();
        assert_eq!(rs[0].name(), "p-t");
        assert_eq!(rs[0].obj["spec"], json!({"ref": "p-other", "newref": "p-"}));
        let mut rs = vec![Resource::new(json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"ref": ["a"]}}))];
        let e = prefix_suffix(&mut rs, "p-", "", &cfg).unwrap_err();
        assert!(e.contains("Thing.v1.x.io/t"), "{e}");
        assert!(e.contains("considering field 'spec/ref'"), "{e}");
        assert!(e.contains("expected ScalarNode but got SequenceNode"), "{e}");
    }

    #[test]
    fn the_kind_read_decides_whether_an_object_is_skipped() {
        let mut r = obj("v1", "ConfigMap", "x");
        r.remember_id();
        r.obj["kind"] = json!("Namespace");
        let mut rs = vec![r];
        prefix_suffix(&mut rs, "p-", "", &Config::builtin()).unwrap();
        assert_eq!(rs[0].name(), "p-x");
    }
}
