//! A minimal OpenAPI v3 description: the paths of every served resource with
//! their operations and query parameters. kubectl reads it to learn that the
//! server validates fields itself (`fieldValidation`), so it sends objects
//! as they are instead of validating them against a schema of its own.

use super::registry::{Registry, ResourceType};
use serde_json::{Map, Value, json};
use std::hash::{DefaultHasher, Hash, Hasher};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// All group versions served, as (group, version).
fn group_versions(reg: &Registry) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "v1".to_string())];
    for (g, versions) in reg.groups() {
        for v in versions {
            out.push((g.clone(), v));
        }
    }
    out
}

/// `GET /openapi/v3`: where each group version's document is.
pub fn root(reg: &Registry) -> Value {
    let mut paths = Map::new();
    for (g, v) in group_versions(reg) {
        let doc = document(reg, &g, &v);
        let mut h = DefaultHasher::new();
        doc.to_string().hash(&mut h);
        let p = gv_path(&g, &v);
        paths.insert(p.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={:016X}", h.finish())}));
    }
    json!({ "paths": paths })
}

fn param(name: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}})
}

fn operations(rt: &ResourceType, version: &str, item: bool) -> Value {
    let gvk = json!({"group": rt.group, "version": version, "kind": rt.kind});
    let write = [param("dryRun"), param("fieldManager"), param("fieldValidation")];
    let mut ops = Map::new();
    let op = |action: &str, params: Vec<Value>| {
        json!({"x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk, "parameters": params,
               "responses": {"200": {"description": "OK"}}})
    };
    if item {
        ops.insert("get".into(), op("get", vec![]));
        ops.insert("put".into(), op("put", write.to_vec()));
        let mut patch_params = write.to_vec();
        patch_params.push(param("force"));
        ops.insert("patch".into(), op("patch", patch_params));
        ops.insert("delete".into(), op("delete", vec![param("dryRun"), param("propagationPolicy")]));
    } else {
        ops.insert("get".into(), op("list", vec![param("labelSelector"), param("fieldSelector"), param("watch")]));
        ops.insert("post".into(), op("post", write.to_vec()));
        ops.insert("delete".into(), op("deletecollection", vec![param("dryRun"), param("labelSelector")]));
    }
    Value::Object(ops)
}

/// `GET /openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`.
pub fn document(reg: &Registry, group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let base = format!("/{}", gv_path(group, version));
    for rt in reg.in_group_version(group, version) {
        let coll = if rt.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", rt.plural)
        } else {
            format!("{base}/{}", rt.plural)
        };
        paths.insert(coll.clone(), operations(&rt, version, false));
        paths.insert(format!("{coll}/{{name}}"), operations(&rt, version, true));
        if rt.status {
            paths.insert(format!("{coll}/{{name}}/status"), operations(&rt, version, true));
        }
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (driftless emulator)", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": {}},
    })
}

/// Splits `/openapi/v3/apis/apps/v1` into (group, version).
pub fn parse_gv(rest: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", v] => Some((String::new(), v.to_string())),
        ["apis", g, v] => Some((g.to_string(), v.to_string())),
        _ => None,
    }
}
