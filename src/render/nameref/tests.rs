//! Expectations below were taken from `kubectl kustomize` (kustomize v5.5.0)
//! on the equivalent kustomization trees; each test names the tree.

use super::*;
use serde_json::json;

/// An object as read from a file.
fn obj(v: Value) -> Resource {
    Resource::new(v)
}

/// Renames `r` as a transformer does (remembering the id it had), e.g. by a patch.
fn rename(mut r: Resource, name: &str) -> Resource {
    r.remember_id();
    r.set_name(name);
    r
}

/// `namePrefix: p`.
fn prefix(r: Resource, p: &str) -> Resource {
    let name = format!("{p}{}", r.name());
    let mut r = rename(r, &name);
    r.prefixes.push(p.to_string());
    r
}

/// `nameSuffix: s`.
fn suffix(r: Resource, s: &str) -> Resource {
    let name = format!("{}{s}", r.name());
    let mut r = rename(r, &name);
    r.suffixes.push(s.to_string());
    r
}

/// The content hash of a generated object (not a suffix in kustomize's books).
fn hashed(r: Resource, h: &str) -> Resource {
    let name = format!("{}-{h}", r.name());
    rename(r, &name)
}

/// Moves `r` to a namespace as the namespace transformer does.
fn move_to(mut r: Resource, ns: &str) -> Resource {
    r.remember_id();
    r.set_namespace(ns);
    r
}

fn cm(name: &str) -> Resource {
    obj(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}))
}

fn secret(name: &str) -> Resource {
    obj(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}}))
}

fn sa(name: &str) -> Resource {
    obj(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}))
}

fn service(name: &str) -> Resource {
    obj(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}}))
}

/// `namespace: prod`, `namePrefix: p-`, `nameSuffix: -s` applied in kustomize's order, then `hash` if given.
fn overlay(r: Resource, hash: Option<&str>) -> Resource {
    let r = if r.gvk().is_cluster_scoped() { r } else { move_to(r, "prod") };
    let r = suffix(prefix(r, "p-"), "-s");
    match hash {
        Some(h) => hashed(r, h),
        None => r,
    }
}

fn at<'a>(r: &'a Resource, pointer: &str) -> &'a Value {
    r.obj.pointer(pointer).unwrap_or(&Value::Null)
}

fn find<'a>(rs: &'a [Resource], kind: &str, name: &str) -> &'a Resource {
    rs.iter().find(|r| r.gvk().kind == kind && r.name() == name).expect("object present")
}

/// Tree: namePrefix p-, nameSuffix -s, namespace prod, a ConfigMap and a
/// Secret generator, a Deployment using them every way a pod spec can.
#[test]
fn generated_names_reach_every_pod_spec_reference() {
    let deployment = obj(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {
            "serviceAccountName": "sa",
            "imagePullSecrets": [{"name": "sec"}, {"name": "other"}],
            "containers": [{
                "name": "c",
                "env": [
                    {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a"}}},
                    {"name": "Y", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "a"}}},
                    {"name": "Z", "value": "cfg"}
                ],
                "envFrom": [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "missing"}}]
            }],
            "initContainers": [{"name": "i", "envFrom": [{"secretRef": {"name": "sec"}}]}],
            "volumes": [
                {"name": "v", "configMap": {"name": "cfg"}},
                {"name": "w", "projected": {"sources": [{"configMap": {"name": "cfg"}}, {"secret": {"name": "sec"}}]}},
                {"name": "pvc", "persistentVolumeClaim": {"claimName": "data"}},
                {"name": "s", "secret": {"secretName": "sec"}}
            ]
        }}}
    }));
    let pvc = obj(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
        "spec": {"storageClassName": "fast"}}));
    let class = obj(json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"}}));
    let mut rs = vec![
        overlay(cm("cfg"), Some("4h2mbtbbt6")),
        overlay(secret("sec"), Some("k695gkmbtk")),
        overlay(deployment, None),
        overlay(sa("sa"), None),
        overlay(pvc, None),
        overlay(class, None),
    ];
    fix_name_references(&mut rs, &[]).unwrap();
    let d = find(&rs, "Deployment", "p-web-s");
    let spec = "/spec/template/spec";
    let cm = json!("p-cfg-s-4h2mbtbbt6");
    let sec = json!("p-sec-s-k695gkmbtk");
    assert_eq!(at(d, &format!("{spec}/containers/0/env/0/valueFrom/configMapKeyRef/name")), &cm);
    assert_eq!(at(d, &format!("{spec}/containers/0/env/1/valueFrom/secretKeyRef/name")), &sec);
    assert_eq!(at(d, &format!("{spec}/containers/0/env/2/value")), "cfg", "plain values are not references");
    assert_eq!(at(d, &format!("{spec}/containers/0/envFrom/0/configMapRef/name")), &cm);
    assert_eq!(at(d, &format!("{spec}/containers/0/envFrom/1/secretRef/name")), "missing", "not in the render");
    assert_eq!(at(d, &format!("{spec}/initContainers/0/envFrom/0/secretRef/name")), &sec);
    assert_eq!(at(d, &format!("{spec}/volumes/0/configMap/name")), &cm);
    assert_eq!(at(d, &format!("{spec}/volumes/1/projected/sources/0/configMap/name")), &cm);
    assert_eq!(at(d, &format!("{spec}/volumes/1/projected/sources/1/secret/name")), &sec);
    assert_eq!(at(d, &format!("{spec}/volumes/2/persistentVolumeClaim/claimName")), "p-data-s");
    assert_eq!(at(d, &format!("{spec}/volumes/3/secret/secretName")), &sec);
    assert_eq!(at(d, &format!("{spec}/imagePullSecrets")), &json!([{"name": sec}, {"name": "other"}]));
    assert_eq!(at(d, &format!("{spec}/serviceAccountName")), "p-sa-s");
    assert_eq!(at(find(&rs, "PersistentVolumeClaim", "p-data-s"), "/spec/storageClassName"), "p-fast-s");
}

/// Same tree: RBAC, Ingress and the IngressClass kustomize does not follow.
#[test]
fn rbac_ingress_and_role_rules_follow_renames() {
    let rb = obj(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "sa"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "other"},
            {"kind": "User", "name": "sa"}
        ]
    }));
    let role = obj(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["cfg", "nope"]}]}));
    let ingress = obj(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "ing", "annotations": {"nginx.ingress.kubernetes.io/auth-secret": "sec"}},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"secretName": "sec"}],
            "rules": [{"http": {"paths": [{"backend": {"service": {"name": "svc"}}}]}}]
        }
    }));
    let class =
        obj(json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"}}));
    let mut rs = vec![
        overlay(cm("cfg"), Some("4h2mbtbbt6")),
        overlay(secret("sec"), Some("k695gkmbtk")),
        overlay(sa("sa"), None),
        overlay(rb, None),
        overlay(role, None),
        overlay(ingress, None),
        overlay(class, None),
        overlay(service("svc"), None),
    ];
    fix_name_references(&mut rs, &[]).unwrap();
    let rb = find(&rs, "RoleBinding", "p-rb-s");
    assert_eq!(at(rb, "/roleRef/name"), "p-r-s");
    assert_eq!(
        at(rb, "/subjects"),
        &json!([
            {"kind": "ServiceAccount", "name": "p-sa-s", "namespace": "prod"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "other"},
            // kustomize does not look at a subject's kind: a User named like a renamed ServiceAccount follows it.
            {"kind": "User", "name": "p-sa-s", "namespace": "prod"}
        ])
    );
    let role = find(&rs, "Role", "p-r-s");
    assert_eq!(at(role, "/rules/0/resourceNames"), &json!(["p-cfg-s-4h2mbtbbt6", "nope"]));
    let ing = find(&rs, "Ingress", "p-ing-s");
    assert_eq!(at(ing, "/metadata/annotations/nginx.ingress.kubernetes.io~1auth-secret"), "p-sec-s-k695gkmbtk");
    assert_eq!(at(ing, "/spec/tls/0/secretName"), "p-sec-s-k695gkmbtk");
    assert_eq!(at(ing, "/spec/rules/0/http/paths/0/backend/service/name"), "p-svc-s");
    assert_eq!(at(ing, "/spec/ingressClassName"), "nginx", "kustomize v5.5 never rewrites ingressClassName");
}

fn web_using(cfg: &str) -> Resource {
    obj(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"volumes": [{"name": "v", "configMap": {"name": cfg}}]}}}}))
}

fn volume_ref(r: &Resource) -> &Value {
    at(r, "/spec/template/spec/volumes/0/configMap/name")
}

/// Tree: base (Deployment + generated ConfigMap) included by overlays `a`
/// (namePrefix a-) and `b` (namePrefix b-), both included at the top.
#[test]
fn the_same_base_under_two_prefixes_keeps_its_own_references() {
    let mut rs = vec![
        hashed(prefix(cm("cfg"), "a-"), "4h2mbtbbt6"),
        hashed(prefix(cm("cfg"), "b-"), "ff5c62bg4g"),
        prefix(web_using("cfg"), "a-"),
        prefix(web_using("cfg"), "b-"),
    ];
    fix_name_references(&mut rs, &[]).unwrap();
    assert_eq!(volume_ref(&rs[2]), "a-cfg-4h2mbtbbt6");
    assert_eq!(volume_ref(&rs[3]), "b-cfg-ff5c62bg4g");
}

/// Tree: the base under `namespace: one` + `namePrefix: a-`, and under `namespace: two`.
#[test]
fn the_same_base_in_two_namespaces_keeps_its_own_references() {
    let mut rs = vec![
        hashed(prefix(move_to(cm("cfg"), "one"), "a-"), "4h2mbtbbt6"),
        hashed(move_to(cm("cfg"), "two"), "4h2mbtbbt6"),
        prefix(move_to(web_using("cfg"), "one"), "a-"),
        move_to(web_using("cfg"), "two"),
    ];
    fix_name_references(&mut rs, &[]).unwrap();
    assert_eq!(volume_ref(&rs[2]), "a-cfg-4h2mbtbbt6");
    assert_eq!(volume_ref(&rs[3]), "cfg-4h2mbtbbt6");
}

/// Tree: two ConfigMaps `cfg` in ns1 and ns2, renamed by patches to c1 and
/// c2, then all moved to `prod` next to a Deployment using `cfg`.
#[test]
fn two_equally_good_candidates_are_an_error() {
    let mut rs = vec![
        move_to(rename(move_to(cm("cfg"), "ns1"), "c1"), "prod"),
        move_to(rename(move_to(cm("cfg"), "ns2"), "c2"), "prod"),
        move_to(web_using("cfg"), "prod"),
    ];
    let before = rs.clone();
    let e = fix_name_references(&mut rs, &[]).unwrap_err();
    assert!(
        e.starts_with(
            "updating name reference in 'spec/template/spec/volumes/configMap/name' field of \
             'Deployment.v1.apps/web.prod': "
        ),
        "{e}"
    );
    assert!(
        e.contains("found multiple possible referrals: ConfigMap.v1.[noGrp]/c1.prod, ConfigMap.v1.[noGrp]/c2.prod"),
        "{e}"
    );
    assert_eq!(rs[..2], before[..2]);
}

/// Objects that were never renamed are not candidates, and a name nobody had is left alone.
#[test]
fn references_to_unrenamed_or_absent_objects_stay() {
    let mut rs = vec![cm("cfg"), prefix(cm("other"), "p-"), web_using("cfg")];
    fix_name_references(&mut rs, &[]).unwrap();
    assert_eq!(volume_ref(&rs[2]), "cfg");
    let mut rs = vec![web_using("absent")];
    fix_name_references(&mut rs, &[]).unwrap();
    assert_eq!(volume_ref(&rs[0]), "absent");
}

/// Tree: overlays `a` (namespace one, namePrefix a-) and `b` (namespace
/// two, namePrefix b-), each with a ServiceAccount `sa` and a Service
/// `hook`; at the top a ClusterRoleBinding, a RoleBinding in `two`, a
/// ValidatingWebhookConfiguration and an APIService naming them.
#[test]
fn subjects_and_services_follow_kustomize_namespace_rules() {
    let crb = obj(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cr"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "sa", "namespace": "one"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "two"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "three"}
        ]
    }));
    let rb = obj(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb", "namespace": "two"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cr"},
        "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "one"}, {"kind": "ServiceAccount", "name": "sa"}]
    }));
    let hooks = obj(json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration", "metadata": {"name": "vw"},
        "webhooks": [
            {"name": "x", "clientConfig": {"service": {"name": "hook", "namespace": "one", "path": "/v"}}},
            {"name": "y", "clientConfig": {"service": {"name": "hook", "namespace": "two"}}}
        ]
    }));
    let api =
        obj(json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.x"},
        "spec": {"service": {"name": "hook", "namespace": "one"}}}));
    let mut rs = vec![
        prefix(move_to(sa("sa"), "one"), "a-"),
        prefix(move_to(service("hook"), "one"), "a-"),
        prefix(move_to(sa("sa"), "two"), "b-"),
        prefix(move_to(service("hook"), "two"), "b-"),
        crb,
        rb,
        hooks,
        api,
    ];
    fix_name_references(&mut rs, &[]).unwrap();
    // `two` is the original namespace of the RoleBinding, so for subjects in
    // `two` kustomize only looks at objects that started there: none is a
    // ServiceAccount, and the subject stays.
    assert_eq!(
        at(&rs[4], "/subjects"),
        &json!([
            {"kind": "ServiceAccount", "name": "a-sa", "namespace": "one"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "two"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "three"}
        ])
    );
    assert_eq!(
        at(&rs[5], "/subjects"),
        &json!([{"kind": "ServiceAccount", "name": "a-sa", "namespace": "one"}, {"kind": "ServiceAccount", "name": "sa"}])
    );
    assert_eq!(
        at(&rs[6], "/webhooks/0/clientConfig/service"),
        &json!({"name": "a-hook", "namespace": "one", "path": "/v"})
    );
    assert_eq!(at(&rs[6], "/webhooks/1/clientConfig/service"), &json!({"name": "hook", "namespace": "two"}));
    // spec/service/name is a plain name: two candidates with other prefixes, none chosen.
    assert_eq!(at(&rs[7], "/spec/service/name"), "hook");
}

/// A RoleBinding's roleRef picks the Role or the ClusterRole by its kind.
#[test]
fn role_refs_choose_by_kind() {
    let role = obj(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}}));
    let cluster_role =
        obj(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}));
    let binding = |kind: &str| {
        obj(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": "r"}}))
    };
    let mut rs = vec![
        rename(role, "role-r"),
        rename(cluster_role, "cluster-r"),
        rename(binding("ClusterRole"), "x-rb"),
        rename(binding("Role"), "y-rb"),
    ];
    fix_name_references(&mut rs, &[]).unwrap();
    assert_eq!(at(&rs[2], "/roleRef/name"), "cluster-r");
    assert_eq!(at(&rs[3], "/roleRef/name"), "role-r");
}

/// Tree: namePrefix p-, a Secret generator, `configurations:` teaching
/// kustomize that a custom kind names Secrets and Roles.
#[test]
fn configuration_entries_extend_the_table() {
    let app = obj(json!({"apiVersion": "example.com/v1", "kind": "MyApp", "metadata": {"name": "app"},
        "spec": {"credentials": "creds", "more": [{"secretRef": {"name": "creds"}}, {"secretRef": {"name": "other"}}],
            "roles": ["r", "creds"]}}));
    let role = obj(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}}));
    let reader = obj(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "reader"}, "rules": [{"resources": ["secrets"], "resourceNames": ["creds"]}]}));
    let extra = [
        json!({"kind": "Secret", "fieldSpecs": [
            {"kind": "MyApp", "path": "spec/credentials"},
            {"kind": "MyApp", "path": "spec/more/secretRef/name"}
        ]}),
        json!({"kind": "Role", "group": "rbac.authorization.k8s.io", "fieldSpecs": [{"kind": "MyApp", "path": "spec/roles"}]}),
    ];
    let mut rs = vec![
        hashed(prefix(secret("creds"), "p-"), "k695gkmbtk"),
        prefix(app, "p-"),
        prefix(role, "p-"),
        prefix(reader, "p-"),
    ];
    fix_name_references(&mut rs, &extra).unwrap();
    assert_eq!(
        at(&rs[1], "/spec"),
        &json!({"credentials": "p-creds-k695gkmbtk",
            "more": [{"secretRef": {"name": "p-creds-k695gkmbtk"}}, {"secretRef": {"name": "other"}}],
            "roles": ["p-r", "creds"]})
    );
    assert_eq!(at(&rs[3], "/rules/0/resourceNames"), &json!(["p-creds-k695gkmbtk"]));
    // Without the configuration the custom kind is not touched.
    let mut plain = vec![
        prefix(secret("creds"), "p-"),
        obj(json!({"apiVersion": "example.com/v1", "kind": "MyApp",
        "metadata": {"name": "app"}, "spec": {"credentials": "creds"}})),
    ];
    fix_name_references(&mut plain, &[]).unwrap();
    assert_eq!(at(&plain[1], "/spec/credentials"), "creds");
}

#[test]
fn bad_configuration_and_bad_objects_are_errors() {
    let e = fix_name_references(&mut [], &[json!({"kind": "Secret", "fieldspecs": []})]).unwrap_err();
    assert_eq!(e, "nameReference[0]: unknown field \"fieldspecs\"");
    let e = fix_name_references(&mut [], &[json!({"kind": "Secret", "fieldSpecs": [{"path": "a", "create": "yes"}]})])
        .unwrap_err();
    assert!(e.contains("create must be true or false"), "{e}");
    let conflicting = json!({"kind": "Secret", "version": "v1",
        "fieldSpecs": [{"kind": "Ingress", "path": "spec/tls/secretName", "create": true}]});
    let e = fix_name_references(&mut [], &[conflicting]).unwrap_err();
    assert!(e.contains("conflicting fieldspecs"), "{e}");

    let rb =
        obj(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
        "subjects": [{"kind": "ServiceAccount", "namespace": "x"}]}));
    let e = fix_name_references(&mut [rename(sa("sa"), "p-sa"), rb], &[]).unwrap_err();
    assert!(
        e.starts_with(
            "updating name reference in 'subjects' field of 'RoleBinding.v1.rbac.authorization.k8s.io/rb.[noNs]'"
        ),
        "{e}"
    );
    assert!(e.ends_with("path config error; no 'name' field in node"), "{e}");
    let bad = obj(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"volumes": [{"configMap": "cfg"}]}}}}));
    let e = fix_name_references(&mut [rename(cm("cfg"), "p-cfg"), bad], &[]).unwrap_err();
    assert!(e.contains("expected sequence or mapping node"), "{e}");
}

#[test]
fn the_builtin_table_covers_kustomizes_rows() {
    let table = builtin_table();
    let count: usize = table.iter().map(|b| b.referrers.len()).sum();
    assert_eq!(table.len(), 16);
    assert_eq!(count, 166);
    // Sorted as kustomize sorts: StorageClass and ServiceAccount early, Deployment late.
    let kinds: Vec<&str> = table.iter().map(|b| b.target.kind.as_str()).collect();
    assert_eq!(&kinds[..4], &["StorageClass", "ServiceAccount", "Role", "ClusterRole"]);
}

/// Tree /tmp/nr/crd2: `crds:` with an OpenAPI file marking two reference fields, namePrefix x-.
#[test]
fn crd_schemas_mark_reference_fields() {
    let schema = json!({
        "example.com/api/v1.Widget": {"Schema": {"properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "metadata": {"$ref": "k8s.io/apimachinery/pkg/apis/meta/v1.ObjectMeta"},
            "spec": {"$ref": "example.com/api/v1.WidgetSpec"}}}},
        "example.com/api/v1.WidgetSpec": {"Schema": {"properties": {
            "secretRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Secret",
                          "$ref": "k8s.io/api/core/v1.LocalObjectReference"},
            "gadget": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Gadget",
                       "x-kubernetes-object-ref-name-key": "gadgetName"},
            "owner": {"x-kubernetes-label-selector": ""}}}}
    });
    let config = crd_configuration(&schema).unwrap();
    assert_eq!(config["commonLabels"], json!([{"kind": "Widget", "path": "spec/owner"}]));
    let Value::Array(extra) = &config["nameReference"] else { panic!("nameReference is a list") };
    let widget = obj(json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"secretRef": {"name": "s"}, "gadget": {"gadgetName": "g"}}}));
    let gadget = obj(json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}));
    let mut rs = vec![prefix(widget, "x-"), prefix(secret("s"), "x-"), prefix(gadget, "x-")];
    fix_name_references(&mut rs, extra).unwrap();
    assert_eq!(at(&rs[0], "/spec"), &json!({"secretRef": {"name": "x-s"}, "gadget": {"gadgetName": "x-g"}}));

    // A schema referring to itself is an error, not a crash.
    let cycle = json!({"a.T": {"Schema": {"properties": {"apiVersion": {}, "kind": {}, "metadata": {},
        "next": {"$ref": "a.T"}}}}});
    assert!(crd_configuration(&cycle).unwrap_err().contains("reference cycle"));
    assert!(crd_configuration(&json!(["x"])).is_err());
}
