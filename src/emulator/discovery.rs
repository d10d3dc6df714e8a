//! API discovery: `/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`, in
//! the legacy form and the aggregated form (`apidiscovery.k8s.io/v2`) that
//! kubectl asks for first.

use super::registry::{Registry, ResourceType};
use serde_json::{Value, json};

const VERBS: [&str; 8] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const SUB_VERBS: [&str; 3] = ["get", "patch", "update"];

/// The aggregated discovery version an Accept header asks for, if any.
pub fn aggregated_version(accept: &str) -> Option<&'static str> {
    let parts: Vec<&str> = accept.split(',').collect();
    for p in parts {
        if !p.contains("as=APIGroupDiscoveryList") || !p.contains("g=apidiscovery.k8s.io") {
            continue;
        }
        if p.contains("v=v2beta1") {
            return Some("v2beta1");
        }
        if p.contains("v=v2") {
            return Some("v2");
        }
    }
    None
}

/// The Content-Type of an aggregated discovery response.
pub fn aggregated_content_type(version: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList")
}

/// `GET /api`.
pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}],
    })
}

/// `GET /apis`.
pub fn groups(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg
        .groups()
        .into_iter()
        .map(|(name, versions)| {
            let vs: Vec<Value> =
                versions.iter().map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v})).collect();
            let preferred = vs.first().cloned().unwrap_or(Value::Null);
            json!({"name": name, "versions": vs, "preferredVersion": preferred})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`.
pub fn group(reg: &Registry, group: &str) -> Option<Value> {
    let (name, versions) = reg.groups().into_iter().find(|(g, _)| g == group)?;
    let vs: Vec<Value> =
        versions.iter().map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v})).collect();
    let preferred = vs.first().cloned().unwrap_or(Value::Null);
    Some(json!({"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": vs, "preferredVersion": preferred}))
}

/// `GET /api/v1` or `/apis/{group}/{version}`.
pub fn resources(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = reg.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for t in &types {
        list.push(json!({
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": VERBS,
            "shortNames": t.short_names,
            "categories": t.categories,
        }));
        if t.status {
            list.push(json!({"name": format!("{}/status", t.plural), "singularName": "", "namespaced": t.namespaced,
                             "kind": t.kind, "verbs": SUB_VERBS}));
        }
        if t.scale.is_some() {
            list.push(json!({"name": format!("{}/scale", t.plural), "singularName": "", "namespaced": t.namespaced,
                             "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": SUB_VERBS}));
        }
    }
    for v in &mut list {
        strip_empty(v);
    }
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}))
}

fn strip_empty(v: &mut Value) {
    if let Some(m) = v.as_object_mut() {
        m.retain(|_, x| !x.as_array().is_some_and(Vec::is_empty));
    }
}

fn aggregated_resource(t: &ResourceType) -> Value {
    let mut subs = Vec::new();
    if t.status {
        subs.push(json!({"subresource": "status", "responseKind": {"group": "", "version": "", "kind": t.kind},
                         "verbs": SUB_VERBS}));
    }
    if t.scale.is_some() {
        subs.push(
            json!({"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                         "verbs": SUB_VERBS}),
        );
    }
    let mut r = json!({
        "resource": t.plural,
        "responseKind": {"group": "", "version": "", "kind": t.kind},
        "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": t.singular,
        "verbs": VERBS,
        "shortNames": t.short_names,
        "categories": t.categories,
        "subresources": subs,
    });
    strip_empty(&mut r);
    r
}

/// Aggregated discovery of the core group (`/api`) or of every other group (`/apis`).
pub fn aggregated(reg: &Registry, core: bool, version: &str) -> Value {
    let groups: Vec<(String, Vec<String>)> =
        if core { vec![(String::new(), vec!["v1".to_string()])] } else { reg.groups() };
    let items: Vec<Value> = groups
        .into_iter()
        .map(|(g, versions)| {
            let vs: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> =
                        reg.in_group_version(&g, v).iter().map(|t| aggregated_resource(t)).collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": vs})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{version}"), "metadata": {}, "items": items})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_accept_header_selects_aggregated_v2() {
        let accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(accept), Some("v2"));
        assert_eq!(aggregated_version("application/json, */*"), None);
    }

    #[test]
    fn apps_v1_lists_deployments_with_subresources() {
        let reg = Registry::default();
        let r = resources(&reg, "apps", "v1").unwrap();
        let names: Vec<&str> = r["resources"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"deployments"));
        assert!(names.contains(&"deployments/scale"));
        assert!(names.contains(&"deployments/status"));
        let agg = aggregated(&reg, false, "v2");
        let apps = agg["items"].as_array().unwrap().iter().find(|i| i["metadata"]["name"] == "apps").unwrap();
        let deploy = apps["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "deployments")
            .unwrap();
        assert_eq!(deploy["scope"], "Namespaced");
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert!(resources(&reg, "apps", "v9").is_none());
    }
}
