//! Bad input gets the error a Kubernetes API server gives, and changes nothing.
//! Raw HTTP, so malformed bodies and wrong content types reach the server as sent.

mod support;

use serde_json::{Value, json};
use support::Cluster;

struct Raw {
    http: reqwest::Client,
    base: String,
}

impl Raw {
    fn new(c: &Cluster) -> Raw {
        Raw { http: reqwest::Client::new(), base: c.url() }
    }

    async fn send(&self, method: reqwest::Method, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let code = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (code, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, "application/json", vec![]).await
    }

    /// The names of the configmaps in a namespace (the state that must not change).
    async fn configmaps(&self, ns: &str) -> Vec<String> {
        let (_, list) = self.get(&format!("/api/v1/namespaces/{ns}/configmaps")).await;
        let mut names: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }
}

fn assert_status(v: &Value, code: u16, reason: &str) {
    assert_eq!(v["kind"], "Status", "{v}");
    assert_eq!(v["status"], "Failure", "{v}");
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["reason"], reason, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_bad_requests_and_change_nothing() {
    let c = Cluster::start().await;
    let raw = Raw::new(&c);
    let before = raw.configmaps(&c.ns).await;
    let path = format!("/api/v1/namespaces/{}/configmaps", c.ns);
    let (code, v) = raw
        .send(reqwest::Method::POST, &path, "application/json", b"{\"apiVersion\": \"v1\", \"kind\":".to_vec())
        .await;
    assert_eq!(code, 400);
    assert_status(&v, 400, "BadRequest");
    let apply = format!("{path}/x?fieldManager=t");
    let (code, v) = raw
        .send(
            reqwest::Method::PATCH,
            &apply,
            "application/apply-patch+yaml",
            b"apiVersion: v1\nkind: [ConfigMap\n".to_vec(),
        )
        .await;
    assert_eq!(code, 400, "{v}");
    assert_status(&v, 400, "BadRequest");
    let (code, _) = raw.send(reqwest::Method::POST, &path, "application/json", b"[1,2,3]".to_vec()).await;
    assert_eq!(code, 400);
    assert_eq!(raw.configmaps(&c.ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kinds_and_paths_are_not_found() {
    let c = Cluster::start().await;
    let raw = Raw::new(&c);
    let (code, v) = raw.get(&format!("/apis/example.com/v1/namespaces/{}/gizmos", c.ns)).await;
    assert_eq!(code, 404);
    assert_status(&v, 404, "NotFound");
    let (code, _) = raw.get("/api/v1/nosuchresources").await;
    assert_eq!(code, 404);
    let (code, v) = raw.get(&format!("/api/v1/namespaces/{}/configmaps/missing", c.ns)).await;
    assert_eq!(code, 404);
    assert_eq!(v["message"], "configmaps \"missing\" not found");
    assert_eq!(v["details"]["name"], "missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_types_are_unsupported_media_types() {
    let c = Cluster::start().await;
    let raw = Raw::new(&c);
    let path = format!("/api/v1/namespaces/{}/configmaps", c.ns);
    let body =
        serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})).unwrap();
    raw.send(reqwest::Method::POST, &path, "application/json", body.clone()).await;
    let before = raw.configmaps(&c.ns).await;
    let (code, v) = raw.send(reqwest::Method::PATCH, &format!("{path}/a"), "text/plain", b"{}".to_vec()).await;
    assert_eq!(code, 415, "{v}");
    assert_status(&v, 415, "UnsupportedMediaType");
    let (code, _) = raw.send(reqwest::Method::POST, &path, "application/cbor", body.clone()).await;
    assert_eq!(code, 415);
    // JSON sent as protobuf is a malformed protobuf body: 400, nothing stored.
    let (code, v) = raw.send(reqwest::Method::POST, &path, "application/vnd.kubernetes.protobuf", body).await;
    assert_eq!(code, 400, "{v}");
    assert_eq!(raw.configmaps(&c.ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let c = Cluster::start().await;
    let raw = Raw::new(&c);
    let before = raw.configmaps(&c.ns).await;
    let big = "x".repeat(4 * 1024 * 1024);
    let body = serde_json::to_vec(
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"k": big}}),
    )
    .unwrap();
    let (code, v) = raw
        .send(reqwest::Method::POST, &format!("/api/v1/namespaces/{}/configmaps", c.ns), "application/json", body)
        .await;
    assert_eq!(code, 413, "{v}");
    assert_status(&v, 413, "RequestEntityTooLarge");
    assert_eq!(raw.configmaps(&c.ns).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_objects_are_unprocessable() {
    let c = Cluster::start().await;
    let raw = Raw::new(&c);
    let path = format!("/api/v1/namespaces/{}/configmaps", c.ns);
    let bad_name =
        serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Not_Valid"}}))
            .unwrap();
    let (code, v) = raw.send(reqwest::Method::POST, &path, "application/json", bad_name).await;
    assert_eq!(code, 422);
    assert_status(&v, 422, "Invalid");
    assert!(
        v["message"].as_str().unwrap().starts_with("ConfigMap \"Not_Valid\" is invalid: metadata.name: Invalid value"),
        "{v}"
    );
    let bad_label = serde_json::to_vec(
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok", "labels": {"a": "-bad-"}}}),
    )
    .unwrap();
    let (code, v) = raw.send(reqwest::Method::POST, &path, "application/json", bad_label).await;
    assert_eq!(code, 422, "{v}");
    let (code, v) = raw
        .send(
            reqwest::Method::POST,
            "/api/v1/namespaces/no-such-namespace/configmaps",
            "application/json",
            serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"}})).unwrap(),
        )
        .await;
    assert_eq!(code, 404);
    assert_eq!(v["message"], "namespaces \"no-such-namespace\" not found");
    assert!(raw.configmaps(&c.ns).await.is_empty() || !raw.configmaps(&c.ns).await.contains(&"ok".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immutable_selector_and_stale_writes_conflict() {
    let c = Cluster::start().await;
    let raw = Raw::new(&c);
    let path = format!("/apis/apps/v1/namespaces/{}/deployments", c.ns);
    let deploy = |app: &str| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"selector": {"matchLabels": {"app": app}},
                        "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    };
    let (code, created) =
        raw.send(reqwest::Method::POST, &path, "application/json", serde_json::to_vec(&deploy("a")).unwrap()).await;
    assert_eq!(code, 201, "{created}");
    let (code, v) = raw
        .send(
            reqwest::Method::PATCH,
            &format!("{path}/d?fieldManager=t&force=true"),
            "application/apply-patch+yaml",
            serde_json::to_vec(&deploy("b")).unwrap(),
        )
        .await;
    assert_eq!(code, 422, "{v}");
    assert!(v["message"].as_str().unwrap().contains("spec.selector: Invalid value"), "{v}");
    assert!(v["message"].as_str().unwrap().contains("field is immutable"), "{v}");
    let (_, live) = raw.get(&format!("{path}/d")).await;
    assert_eq!(live["spec"]["selector"]["matchLabels"]["app"], "a");
    // PUT with the resourceVersion of the creation, after another write: 409.
    raw.send(
        reqwest::Method::PATCH,
        &format!("{path}/d"),
        "application/merge-patch+json",
        br#"{"metadata":{"labels":{"x":"y"}}}"#.to_vec(),
    )
    .await;
    let (code, v) = raw
        .send(reqwest::Method::PUT, &format!("{path}/d"), "application/json", serde_json::to_vec(&created).unwrap())
        .await;
    assert_eq!(code, 409);
    assert_status(&v, 409, "Conflict");
    assert!(v["message"].as_str().unwrap().contains("the object has been modified"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_field_validation_refuses_unknown_fields() {
    let c = Cluster::start().await;
    let raw = Raw::new(&c);
    let path = format!("/api/v1/namespaces/{}/configmaps", c.ns);
    let body = serde_json::to_vec(
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "dta": {"a": "b"}}),
    )
    .unwrap();
    let (code, v) = raw
        .send(reqwest::Method::POST, &format!("{path}?fieldValidation=Strict"), "application/json", body.clone())
        .await;
    assert_eq!(code, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("unknown field \"dta\""), "{v}");
    // Without Strict the field is dropped with a warning.
    let r = reqwest::Client::new()
        .post(format!("{}{path}", c.url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let warning = r.headers().get("warning").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(warning.contains("unknown field"), "{warning}");
    let created: Value = r.json().await.unwrap();
    assert!(created.get("dta").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_a_forgotten_version_is_gone() {
    let c = Cluster::start().await;
    if !c.is_emulated() {
        return;
    }
    let raw = Raw::new(&c);
    // Push the history past its bound with writes to one object.
    let path = format!("/api/v1/namespaces/{}/configmaps", c.ns);
    raw.send(
        reqwest::Method::POST,
        &path,
        "application/json",
        serde_json::to_vec(
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "h"}, "data": {"n": "0"}}),
        )
        .unwrap(),
    )
    .await;
    for i in 0..4200 {
        let body = format!("{{\"data\":{{\"n\":\"{i}\"}}}}");
        raw.send(reqwest::Method::PATCH, &format!("{path}/h"), "application/merge-patch+json", body.into_bytes()).await;
    }
    let r = reqwest::get(format!("{}{path}?watch=true&resourceVersion=2", c.url())).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    let event: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(event["type"], "ERROR");
    assert_eq!(event["object"]["code"], 410);
    assert_eq!(event["object"]["reason"], "Expired");
}
