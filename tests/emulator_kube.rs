//! The kube client against the emulator (or DRIFTLESS_TEST_KUBECONFIG):
//! discovery, dynamic apply with dry-run, list by label, delete with
//! preconditions, a watcher.

mod support;

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, Preconditions};
use kube::discovery::{ApiResource, Discovery, Scope};
use kube::runtime::watcher;
use serde_json::json;
use std::time::Duration;
use support::Cluster;

fn configmaps(client: kube::Client, ns: &str) -> Api<DynamicObject> {
    let ar = ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&());
    Api::namespaced_with(client, ns, &ar)
}

fn cm(name: &str, labels: serde_json::Value, value: &str) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"value": value}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_finds_builtin_groups() {
    let c = Cluster::start().await;
    let discovery = Discovery::new(c.client().await).run().await.expect("discovery");
    let (ar, caps) = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .find(|(ar, _)| ar.kind == "Deployment" && ar.group == "apps")
        .expect("apps/v1 Deployment discovered");
    assert_eq!(ar.version, "v1");
    assert_eq!(ar.plural, "deployments");
    assert_eq!(caps.scope, Scope::Namespaced);
    assert!(caps.subresources.iter().any(|(s, _)| s.plural == "deployments/scale" || s.plural == "scale"));
    let ns = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .find(|(ar, _)| ar.kind == "Namespace")
        .expect("Namespace discovered");
    assert_eq!(ns.1.scope, Scope::Cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_with_dry_run_stores_nothing_then_apply_stores() {
    let c = Cluster::start().await;
    let api = configmaps(c.client().await, &c.ns);
    let pp = PatchParams::apply("driftless").dry_run();
    let out = api.patch("dry", &pp, &Patch::Apply(cm("dry", json!({"a": "1"}), "x"))).await.expect("dry-run apply");
    assert_eq!(out.data["data"]["value"], "x");
    assert!(api.get_opt("dry").await.unwrap().is_none(), "dry-run must not store");

    let pp = PatchParams::apply("driftless");
    let created = api.patch("dry", &pp, &Patch::Apply(cm("dry", json!({"a": "1"}), "x"))).await.expect("apply");
    let rv = created.metadata.resource_version.clone().unwrap();
    // Dry-run of a change reports the change and leaves the object alone.
    let changed = api
        .patch("dry", &PatchParams::apply("driftless").dry_run(), &Patch::Apply(cm("dry", json!({"a": "1"}), "y")))
        .await
        .unwrap();
    assert_eq!(changed.data["data"]["value"], "y");
    let live = api.get("dry").await.unwrap();
    assert_eq!(live.data["data"]["value"], "x");
    assert_eq!(live.metadata.resource_version.unwrap(), rv);
    let mf = live.metadata.managed_fields.unwrap();
    assert_eq!(mf.len(), 1);
    assert_eq!(mf[0].manager.as_deref(), Some("driftless"));
    assert_eq!(mf[0].operation.as_deref(), Some("Apply"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_by_label_selector() {
    let c = Cluster::start().await;
    let api = configmaps(c.client().await, &c.ns);
    let pp = PatchParams::apply("driftless");
    for (name, owner) in [("a", "x"), ("b", "x"), ("c", "y")] {
        api.patch(name, &pp, &Patch::Apply(cm(name, json!({"owner": owner}), name))).await.unwrap();
    }
    let names = |l: kube::core::ObjectList<DynamicObject>| -> Vec<String> {
        let mut v: Vec<String> = l.items.into_iter().filter_map(|o| o.metadata.name).collect();
        v.sort();
        v
    };
    assert_eq!(names(api.list(&ListParams::default().labels("owner=x")).await.unwrap()), vec!["a", "b"]);
    assert_eq!(names(api.list(&ListParams::default().labels("owner in (y)")).await.unwrap()), vec!["c"]);
    assert_eq!(names(api.list(&ListParams::default().labels("owner,owner!=x")).await.unwrap()), vec!["c"]);
    assert_eq!(names(api.list(&ListParams::default().fields("metadata.name=b")).await.unwrap()), vec!["b"]);
    // Paging: two pages of one, then the rest.
    let page = api.list(&ListParams::default().labels("owner").limit(1)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let token = page.metadata.continue_.clone().expect("continue token");
    let rest = api.list(&ListParams::default().labels("owner").limit(5).continue_token(&token)).await.unwrap();
    assert_eq!(rest.items.len(), 2);
    assert!(rest.metadata.continue_.as_deref().unwrap_or("").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_preconditions() {
    let c = Cluster::start().await;
    let api = configmaps(c.client().await, &c.ns);
    let obj = api.patch("p", &PatchParams::apply("driftless"), &Patch::Apply(cm("p", json!({}), "v"))).await.unwrap();
    let uid = obj.metadata.uid.clone().unwrap();
    let wrong = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some("00000000-0000-0000-0000-000000000000".into()),
            resource_version: None,
        }),
        ..Default::default()
    };
    let err = api.delete("p", &wrong).await.expect_err("uid precondition must fail");
    match err {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 409);
            assert!(s.message.contains("Precondition failed"), "{}", s.message);
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(api.get_opt("p").await.unwrap().is_some());
    let stale_rv = DeleteParams {
        preconditions: Some(Preconditions { uid: None, resource_version: Some("1".into()) }),
        ..Default::default()
    };
    assert!(api.delete("p", &stale_rv).await.is_err());
    let right = DeleteParams {
        preconditions: Some(Preconditions { uid: Some(uid), resource_version: None }),
        ..Default::default()
    };
    api.delete("p", &right).await.expect("delete with the right uid");
    assert!(api.get_opt("p").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_sees_apply_update_delete() {
    let c = Cluster::start().await;
    let api = configmaps(c.client().await, &c.ns);
    let cfg = watcher::Config::default().labels("watched=yes");
    let mut stream = watcher::watcher(api.clone(), cfg).boxed();
    // The initial list completes first.
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(watcher::Event::InitDone) = stream.try_next().await.unwrap() {
                return;
            }
        }
    })
    .await;
    assert!(first.is_ok(), "initial list did not complete");
    let pp = PatchParams::apply("driftless");
    api.patch("w", &pp, &Patch::Apply(cm("w", json!({"watched": "yes"}), "1"))).await.unwrap();
    api.patch("w", &pp, &Patch::Apply(cm("w", json!({"watched": "yes"}), "2"))).await.unwrap();
    api.delete("w", &DeleteParams::default()).await.unwrap();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events.len() < 3 {
        let e = tokio::time::timeout_at(deadline, stream.try_next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for watch events; saw {events:?}"))
            .expect("watch stream")
            .expect("watch stream open");
        match e {
            watcher::Event::Apply(o) => {
                events.push(format!("apply {}", o.data["data"]["value"].as_str().unwrap_or("")))
            }
            watcher::Event::Delete(o) => events.push(format!("delete {}", o.metadata.name.unwrap_or_default())),
            _ => {}
        }
    }
    assert_eq!(events, vec!["apply 1", "apply 2", "delete w"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_create_update_and_delete_store_nothing() {
    use kube::api::PostParams;
    let c = Cluster::start().await;
    let api = configmaps(c.client().await, &c.ns);
    let dry = PostParams { dry_run: true, ..Default::default() };
    let out = api.create(&dry, &cm("d", json!({}), "x")).await.expect("dry-run create");
    assert_eq!(out.data["data"]["value"], "x");
    assert!(api.get_opt("d").await.unwrap().is_none());
    let created = api.create(&PostParams::default(), &cm("d", json!({}), "x")).await.unwrap();
    let mut changed = created.clone();
    changed.data["data"]["value"] = json!("y");
    let out = api.replace("d", &dry, &changed).await.expect("dry-run update");
    assert_eq!(out.data["data"]["value"], "y");
    let live = api.get("d").await.unwrap();
    assert_eq!(live.data["data"]["value"], "x");
    assert_eq!(live.metadata.resource_version, created.metadata.resource_version);
    api.delete("d", &DeleteParams::default().dry_run()).await.expect("dry-run delete");
    assert!(api.get_opt("d").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_subresource_changes_only_status() {
    let c = Cluster::start().await;
    let ar = ApiResource::erase::<k8s_openapi::api::apps::v1::Deployment>(&());
    let api: Api<DynamicObject> = Api::namespaced_with(c.client().await, &c.ns, &ar);
    let d: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "s"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"a": "s"}},
                 "template": {"metadata": {"labels": {"a": "s"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
        "status": {"replicas": 42}
    }))
    .unwrap();
    let created = api.patch("s", &PatchParams::apply("driftless"), &Patch::Apply(&d)).await.unwrap();
    assert_ne!(created.data["status"]["replicas"], 42, "status is not written through the main resource");
    let patched = api
        .patch_status(
            "s",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"replicas": 7}, "spec": {"replicas": 9}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.data["status"]["replicas"], 7);
    assert_eq!(patched.data["spec"]["replicas"], 0, "spec is not written through the status subresource");
    let gen_before = created.metadata.generation;
    assert_eq!(patched.metadata.generation, gen_before, "a status change does not bump the generation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_collection_by_label() {
    let c = Cluster::start().await;
    let api = configmaps(c.client().await, &c.ns);
    let pp = PatchParams::apply("driftless");
    for (name, owner) in [("a", "x"), ("b", "x"), ("c", "y")] {
        api.patch(name, &pp, &Patch::Apply(cm(name, json!({"owner": owner}), name))).await.unwrap();
    }
    api.delete_collection(&DeleteParams::default(), &ListParams::default().labels("owner=x"))
        .await
        .expect("deletecollection");
    let left: Vec<String> = api
        .list(&ListParams::default().labels("owner"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    assert_eq!(left, vec!["c"]);
}
