//! What the API server does to an object besides storing it: defaulting,
//! validation (names, labels, kind-specific rules), immutable fields, and the
//! generation counter.

use super::registry::ResourceType;
use super::status::Cause;
use crate::schema::names::{is_dns1035_label, is_dns1123_label as is_label, is_dns1123_subdomain as is_subdomain};
use crate::schema::selector::{LabelSelector, label_key_errors, label_value_errors};
use base64::Engine;
use serde_json::{Map, Value, json};

fn obj_mut<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !v.get(key).is_some_and(Value::is_object) {
        v[key] = json!({});
    }
    v[key].as_object_mut().expect("just made an object")
}

fn set_default(m: &mut Map<String, Value>, key: &str, value: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_string(), value);
    }
}

/// Fills in defaults as the API server does for the kinds driftless applies.
/// `next_ip` allocates a Service cluster IP.
pub fn default_object(rt: &ResourceType, obj: &mut Value, next_ip: &mut dyn FnMut() -> String) {
    if !obj.is_object() {
        return;
    }
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Namespace") => {
            let meta = obj_mut(obj, "metadata");
            if !meta.get("labels").is_some_and(Value::is_object) {
                meta.insert("labels".into(), json!({}));
            }
            if let Some(l) = meta.get_mut("labels").and_then(Value::as_object_mut) {
                l.insert("kubernetes.io/metadata.name".into(), json!(name));
            }
            set_default(obj_mut(obj, "spec"), "finalizers", json!(["kubernetes"]));
            set_default(obj_mut(obj, "status"), "phase", json!("Active"));
        }
        ("", "Service") => default_service(obj, next_ip),
        ("", "Secret") => {
            set_default(obj.as_object_mut().expect("object"), "type", json!("Opaque"));
            if let Some(Value::Object(string_data)) = obj.as_object_mut().and_then(|m| m.shift_remove("stringData")) {
                let data = obj_mut(obj, "data");
                for (k, v) in string_data {
                    let text = v.as_str().unwrap_or_default();
                    data.insert(k, json!(base64::engine::general_purpose::STANDARD.encode(text)));
                }
            }
        }
        ("", "PersistentVolumeClaim") => {
            set_default(obj_mut(obj, "spec"), "volumeMode", json!("Filesystem"));
            set_default(obj_mut(obj, "status"), "phase", json!("Pending"));
        }
        ("", "Pod") => default_pod_spec(obj_mut(obj, "spec")),
        ("", "PodTemplate") | ("", "ReplicationController") => {
            if let Some(spec) = obj.pointer_mut("/template/spec").and_then(Value::as_object_mut) {
                default_pod_spec(spec);
            }
            if let Some(spec) = obj.pointer_mut("/spec/template/spec").and_then(Value::as_object_mut) {
                default_pod_spec(spec);
            }
        }
        ("apps", "Deployment") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "replicas", json!(1));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "progressDeadlineSeconds", json!(600));
            set_default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            default_template(spec);
        }
        ("apps", "StatefulSet") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "replicas", json!(1));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "podManagementPolicy", json!("OrderedReady"));
            set_default(spec, "updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}));
            set_default(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            default_template(spec);
        }
        ("apps", "DaemonSet") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
            );
            default_template(spec);
        }
        ("apps", "ReplicaSet") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "replicas", json!(1));
            default_template(spec);
        }
        ("batch", "Job") => {
            let uid = obj.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default().to_string();
            let spec = obj_mut(obj, "spec");
            default_job_spec(spec, &uid, &name);
        }
        ("batch", "CronJob") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "concurrencyPolicy", json!("Allow"));
            set_default(spec, "suspend", json!(false));
            set_default(spec, "successfulJobsHistoryLimit", json!(3));
            set_default(spec, "failedJobsHistoryLimit", json!(1));
            if let Some(job) =
                spec.get_mut("jobTemplate").and_then(|t| t.get_mut("spec")).and_then(Value::as_object_mut)
            {
                set_default(job, "backoffLimit", json!(6));
                set_default(job, "completionMode", json!("NonIndexed"));
                set_default(job, "suspend", json!(false));
                default_template(job);
            }
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            let spec = obj_mut(obj, "spec");
            if spec.get("policyTypes").is_none() {
                let mut types = vec![json!("Ingress")];
                if spec.get("egress").is_some() {
                    types.push(json!("Egress"));
                }
                spec.insert("policyTypes".into(), Value::Array(types));
            }
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "conversion", json!({"strategy": "None"}));
        }
        _ => {}
    }
}

fn default_template(spec: &mut Map<String, Value>) {
    if let Some(pod) = spec.get_mut("template").and_then(|t| t.get_mut("spec")).and_then(Value::as_object_mut) {
        default_pod_spec(pod);
    }
}

fn default_job_spec(spec: &mut Map<String, Value>, uid: &str, name: &str) {
    set_default(spec, "backoffLimit", json!(6));
    set_default(spec, "completions", json!(1));
    set_default(spec, "parallelism", json!(1));
    set_default(spec, "completionMode", json!("NonIndexed"));
    set_default(spec, "suspend", json!(false));
    set_default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    let manual = spec.get("manualSelector").and_then(Value::as_bool).unwrap_or(false);
    if !manual && !uid.is_empty() && spec.get("selector").is_none() {
        spec.insert("selector".into(), json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}));
        if let Some(meta) = spec.get_mut("template").map(|t| obj_mut(t, "metadata")) {
            let labels = meta.entry("labels").or_insert(json!({}));
            if let Some(l) = labels.as_object_mut() {
                l.insert("batch.kubernetes.io/controller-uid".into(), json!(uid));
                l.insert("batch.kubernetes.io/job-name".into(), json!(name));
                l.insert("controller-uid".into(), json!(uid));
                l.insert("job-name".into(), json!(name));
            }
        }
    }
    default_template(spec);
}

fn default_pod_spec(spec: &mut Map<String, Value>) {
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    for list in ["containers", "initContainers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else { continue };
        for c in containers.iter_mut().filter_map(Value::as_object_mut) {
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
            let tag = image.rsplit('/').next().unwrap_or_default();
            let latest = !tag.contains(':') && !image.contains('@') || tag.ends_with(":latest");
            set_default(c, "imagePullPolicy", json!(if latest { "Always" } else { "IfNotPresent" }));
            set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
            set_default(c, "terminationMessagePolicy", json!("File"));
            set_default(c, "resources", json!({}));
            if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                    set_default(p, "protocol", json!("TCP"));
                }
            }
        }
    }
}

fn default_service(obj: &mut Value, next_ip: &mut dyn FnMut() -> String) {
    let spec = obj_mut(obj, "spec");
    set_default(spec, "type", json!("ClusterIP"));
    set_default(spec, "sessionAffinity", json!("None"));
    let ty = spec.get("type").and_then(Value::as_str).unwrap_or("ClusterIP").to_string();
    if ty != "ExternalName" {
        set_default(spec, "internalTrafficPolicy", json!("Cluster"));
        set_default(spec, "ipFamilies", json!(["IPv4"]));
        set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
        if spec.get("clusterIP").is_none_or(|v| v.as_str() == Some("")) {
            let ip = next_ip();
            spec.insert("clusterIP".into(), json!(ip));
        }
        let ip = spec.get("clusterIP").cloned().unwrap_or(Value::Null);
        set_default(spec, "clusterIPs", json!([ip]));
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        set_default(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            set_default(p, "protocol", json!("TCP"));
            if let Some(port) = p.get("port").cloned() {
                set_default(p, "targetPort", port);
            }
        }
    }
    set_default(obj_mut(obj, "status"), "loadBalancer", json!({}));
}

/// How names of a kind are validated.
enum NameRule {
    Subdomain,
    Label,
    /// DNS-1035 label: starts with a letter.
    Label1035,
    /// Anything that is a valid path segment (RBAC objects: `system:controller:x`).
    PathSegment,
}

fn name_rule(rt: &ResourceType) -> NameRule {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Namespace") => NameRule::Label,
        ("", "Service") => NameRule::Label1035,
        ("rbac.authorization.k8s.io", _) => NameRule::PathSegment,
        _ => NameRule::Subdomain,
    }
}

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/// Problems with an object's name, as the API server words them.
pub fn name_causes(rt: &ResourceType, name: &str) -> Vec<Cause> {
    let v = json!(name);
    let mut out = Vec::new();
    match name_rule(rt) {
        NameRule::Subdomain if !is_subdomain(name) => {
            out.push(Cause::invalid("metadata.name", &v, SUBDOMAIN_MSG));
        }
        NameRule::Label if !is_label(name) => out.push(Cause::invalid("metadata.name", &v, LABEL_MSG)),
        NameRule::Label1035 if !is_dns1035_label(name) => {
            out.push(Cause::invalid("metadata.name", &v, LABEL_1035_MSG));
        }
        NameRule::PathSegment if name == "." || name == ".." || name.contains('/') || name.contains('%') => {
            out.push(Cause::invalid("metadata.name", &v, "may not contain '/' or '%', and may not be '.' or '..'"));
        }
        _ => {}
    }
    out
}

fn v_str<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

/// Validation of a new or changed object (not of the change itself).
pub fn validate(rt: &ResourceType, obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let name = v_str(obj, "/metadata/name");
    out.extend(name_causes(rt, name));
    if let Some(labels) = obj.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            for e in label_key_errors(k) {
                out.push(Cause::invalid("metadata.labels", &json!(k), &e));
            }
            match v.as_str() {
                Some(s) => {
                    for e in label_value_errors(s) {
                        out.push(Cause::invalid(&format!("metadata.labels.{k}"), v, &e));
                    }
                }
                None => out.push(Cause::invalid(&format!("metadata.labels.{k}"), v, "must be a string")),
            }
        }
    }
    if let Some(annotations) = obj.pointer("/metadata/annotations").and_then(Value::as_object) {
        let mut total = 0;
        for (k, v) in annotations {
            for e in label_key_errors(k) {
                out.push(Cause::invalid("metadata.annotations", &json!(k), &e));
            }
            total += k.len() + v.as_str().map_or(0, str::len);
        }
        if total > 256 * 1024 {
            out.push(Cause {
                reason: "FieldValueTooLong",
                field: "metadata.annotations".into(),
                message: format!("Too long: may not be more than 262144 bytes (got {total})"),
            });
        }
    }
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => validate_workload(obj, &mut out),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            let want = format!("{}.{}", v_str(obj, "/spec/names/plural"), v_str(obj, "/spec/group"));
            if name != want {
                out.push(Cause::invalid("metadata.name", &json!(name), "must be spec.names.plural+\".\"+spec.group"));
            }
            if let Err(e) = ResourceType::from_crd(obj) {
                out.push(Cause::invalid("spec", &Value::Null, &e));
            }
            let storage = obj
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .map_or(0, |vs| vs.iter().filter(|v| v.get("storage") == Some(&json!(true))).count());
            if storage != 1 {
                out.push(Cause::invalid(
                    "spec.versions",
                    &Value::Null,
                    "must have exactly one version marked as storage version",
                ));
            }
        }
        _ => {}
    }
    out
}

fn validate_workload(obj: &Value, out: &mut Vec<Cause>) {
    let Some(selector) = obj.pointer("/spec/selector") else {
        out.push(Cause::required("spec.selector", ""));
        return;
    };
    match LabelSelector::from_json(selector) {
        Ok(sel) if sel.is_empty() => {
            out.push(Cause::invalid("spec.selector", selector, "empty selector is invalid for deployment"));
        }
        Ok(sel) => {
            let labels = obj.pointer("/spec/template/metadata/labels").and_then(Value::as_object);
            if !sel.matches(labels) {
                out.push(Cause::invalid(
                    "spec.template.metadata.labels",
                    &labels.map(|l| Value::Object(l.clone())).unwrap_or(Value::Null),
                    "`selector` does not match template `labels`",
                ));
            }
        }
        Err(e) => out.push(Cause::invalid("spec.selector", selector, &e.to_string())),
    }
    let containers = obj.pointer("/spec/template/spec/containers").and_then(Value::as_array);
    match containers {
        None => out.push(Cause::required("spec.template.spec.containers", "")),
        Some(cs) => {
            for (i, c) in cs.iter().enumerate() {
                if v_str(c, "/name").is_empty() {
                    out.push(Cause::required(&format!("spec.template.spec.containers[{i}].name"), ""));
                }
                if v_str(c, "/image").is_empty() {
                    out.push(Cause::required(&format!("spec.template.spec.containers[{i}].image"), ""));
                }
            }
        }
    }
}

/// Changes the API server refuses: immutable fields.
pub fn validate_update(rt: &ResourceType, old: &Value, new: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let changed = |p: &str| old.pointer(p) != new.pointer(p);
    let immutable = |field: &str, p: &str, out: &mut Vec<Cause>| {
        if changed(p) {
            out.push(Cause::invalid(field, new.pointer(p).unwrap_or(&Value::Null), "field is immutable"));
        }
    };
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment" | "ReplicaSet" | "DaemonSet") => immutable("spec.selector", "/spec/selector", &mut out),
        ("apps", "StatefulSet") => {
            immutable("spec.selector", "/spec/selector", &mut out);
            let allowed = [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ];
            let strip = |v: &Value| -> Value {
                let mut s = v.get("spec").cloned().unwrap_or(json!({}));
                if let Some(m) = s.as_object_mut() {
                    m.retain(|k, _| !allowed.contains(&k.as_str()));
                }
                s
            };
            if out.is_empty() && strip(old) != strip(new) {
                out.push(Cause::forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                ));
            }
        }
        ("batch", "Job") => {
            immutable("spec.selector", "/spec/selector", &mut out);
            immutable("spec.template", "/spec/template", &mut out);
            immutable("spec.completionMode", "/spec/completionMode", &mut out);
        }
        ("", "Service") => {
            let old_ip = v_str(old, "/spec/clusterIP");
            if !old_ip.is_empty() && changed("/spec/clusterIP") {
                out.push(Cause::invalid(
                    "spec.clusterIPs[0]",
                    new.pointer("/spec/clusterIPs").unwrap_or(&Value::Null),
                    "may not change once set",
                ));
                immutable("spec.clusterIP", "/spec/clusterIP", &mut out);
            }
        }
        ("", "ConfigMap" | "Secret") => {
            if old.get("immutable") == Some(&json!(true)) {
                for field in ["data", "binaryData", "immutable"] {
                    if changed(&format!("/{field}")) {
                        out.push(Cause::forbidden(field, "field is immutable when `immutable` is set"));
                    }
                }
            }
            if rt.kind == "Secret" {
                immutable("type", "/type", &mut out);
            }
        }
        ("", "PersistentVolumeClaim") => {
            let strip = |v: &Value| -> Value {
                let mut s = v.get("spec").cloned().unwrap_or(json!({}));
                if let Some(m) = s.as_object_mut() {
                    m.remove("resources");
                    m.remove("volumeAttributesClassName");
                    m.remove("volumeName");
                }
                s
            };
            if strip(old) != strip(new) {
                out.push(Cause::forbidden(
                    "spec",
                    "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                ));
            }
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") if changed("/roleRef") => {
            out.push(Cause::invalid("roleRef", new.get("roleRef").unwrap_or(&Value::Null), "cannot change roleRef"));
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            immutable("spec.group", "/spec/group", &mut out);
            immutable("spec.names.plural", "/spec/names/plural", &mut out);
            immutable("spec.scope", "/spec/scope", &mut out);
        }
        _ => {}
    }
    out
}

/// Whether objects of a type carry `metadata.generation` (kinds with a spec
/// that a controller observes, and every custom resource).
pub fn tracks_generation(rt: &ResourceType) -> bool {
    rt.crd.is_some()
        || matches!(
            (rt.group.as_str(), rt.kind.as_str()),
            ("apps" | "batch" | "admissionregistration.k8s.io" | "apiextensions.k8s.io" | "autoscaling", _)
                | ("", "Pod" | "ReplicationController")
                | ("policy", "PodDisruptionBudget")
                | ("networking.k8s.io", "Ingress" | "NetworkPolicy" | "IngressClass")
        )
}

/// Whether a change bumps `metadata.generation`: anything but metadata and,
/// where a status subresource exists, status.
pub fn generation_changes(rt: &ResourceType, old: &Value, new: &Value) -> bool {
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else { return false };
    let skip = |k: &str| k == "metadata" || (rt.status && k == "status") || k == "apiVersion" || k == "kind";
    o.iter().filter(|(k, _)| !skip(k)).any(|(k, v)| n.get(k) != Some(v))
        || n.keys().filter(|k| !skip(k)).any(|k| !o.contains_key(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::registry::Registry;

    fn rt(group: &str, kind: &str) -> std::sync::Arc<ResourceType> {
        Registry::default().by_kind(group, kind).unwrap()
    }

    #[test]
    fn deployment_defaults() {
        let mut d = json!({"metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}, {"name": "b", "image": "busybox"}]}}}});
        default_object(&rt("apps", "Deployment"), &mut d, &mut || "10.96.0.10".into());
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
        let c = &d["spec"]["template"]["spec"]["containers"];
        assert_eq!(c[0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c[1]["imagePullPolicy"], "Always");
        assert_eq!(c[0]["ports"][0]["protocol"], "TCP");
        assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
    }

    #[test]
    fn service_gets_a_cluster_ip_and_secret_string_data_moves_to_data() {
        let mut s = json!({"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}});
        default_object(&rt("", "Service"), &mut s, &mut || "10.96.0.10".into());
        assert_eq!(s["spec"]["clusterIP"], "10.96.0.10");
        assert_eq!(s["spec"]["clusterIPs"], json!(["10.96.0.10"]));
        assert_eq!(s["spec"]["ports"][0]["targetPort"], 80);
        let mut sec = json!({"metadata": {"name": "x"}, "stringData": {"a": "hello"}});
        default_object(&rt("", "Secret"), &mut sec, &mut || unreachable!());
        assert_eq!(sec, json!({"metadata": {"name": "x"}, "type": "Opaque", "data": {"a": "aGVsbG8="}}));
    }

    #[test]
    fn names_and_selectors_are_validated() {
        let d = rt("apps", "Deployment");
        assert!(!name_causes(&d, "Web_1").is_empty());
        assert!(name_causes(&d, "web-1.x").is_empty());
        assert!(name_causes(&rt("rbac.authorization.k8s.io", "ClusterRole"), "system:controller:x").is_empty());
        assert!(!name_causes(&rt("", "Namespace"), "a.b").is_empty());
        assert!(!name_causes(&rt("", "Service"), "1abc").is_empty());
        let bad = json!({"metadata": {"name": "w"}, "spec": {"selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "y"}}, "spec": {"containers": [{"name": "a", "image": "i"}]}}}});
        let causes = validate(&d, &bad);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.template.metadata.labels");
    }

    #[test]
    fn immutable_fields_of_jobs_services_and_immutable_configmaps() {
        let job = rt("batch", "Job");
        let old = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}});
        let new = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x:2"}]}}}});
        assert_eq!(validate_update(&job, &old, &new)[0].field, "spec.template");
        let svc = rt("", "Service");
        let old = json!({"spec": {"clusterIP": "10.96.0.10"}});
        let new = json!({"spec": {"clusterIP": "10.96.0.11", "clusterIPs": ["10.96.0.11"]}});
        let causes = validate_update(&svc, &old, &new);
        assert!(causes.iter().any(|c| c.message.contains("may not change once set")));
        let cm = rt("", "ConfigMap");
        let old = json!({"immutable": true, "data": {"a": "1"}});
        let new = json!({"immutable": true, "data": {"a": "2"}});
        assert_eq!(
            validate_update(&cm, &old, &new)[0].message,
            "Forbidden: field is immutable when `immutable` is set"
        );
        let unset = json!({"data": {"a": "1"}});
        assert_eq!(validate_update(&cm, &old, &unset)[0].field, "immutable");
        assert!(validate_update(&cm, &unset, &new).is_empty(), "a mutable ConfigMap may become immutable");
    }

    #[test]
    fn immutable_selector() {
        let d = rt("apps", "Deployment");
        let old = json!({"spec": {"selector": {"matchLabels": {"app": "x"}}}});
        let new = json!({"spec": {"selector": {"matchLabels": {"app": "y"}}}});
        let causes = validate_update(&d, &old, &new);
        assert_eq!(causes[0].message, "Invalid value: {\"matchLabels\":{\"app\":\"y\"}}: field is immutable");
        assert!(generation_changes(&d, &old, &new));
        let mut same = old.clone();
        same["metadata"] = json!({"labels": {"a": "b"}});
        same["status"] = json!({"replicas": 1});
        assert!(!generation_changes(&d, &old, &same));
    }
}
