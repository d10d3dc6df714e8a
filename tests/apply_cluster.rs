//! The apply stage against a real API (the emulator, or DRIFTLESS_TEST_KUBECONFIG):
//! owner labels, created/configured/unchanged, inventory, pruning that never
//! touches objects the Kustomization does not own.

mod support;

use driftless::apply::inventory::{InventoryStore, Record};
use driftless::apply::{self, Options, Owner, cluster::Cluster as Target};
use serde_json::{Value, json};
use support::Cluster;

fn cm(ns: &str, name: &str, v: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {"v": v}})
}

fn opts(prune: bool) -> Options {
    Options { field_manager: "driftless".into(), target_namespace: None, prune, force: false }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_reports_changes_and_prunes_only_owned_objects() {
    let c = Cluster::start().await;
    let target = Target::from_client(c.client().await);
    let owner = Owner { name: "apps".into(), namespace: "flux-system".into() };
    let ns = c.ns.clone();

    let (inv1, r1) =
        apply::apply(&target, vec![cm(&ns, "a", "1"), cm(&ns, "b", "1")], &owner, &opts(true), &Default::default())
            .await
            .unwrap();
    assert_eq!(r1.created, vec![format!("ConfigMap/{ns}/a"), format!("ConfigMap/{ns}/b")]);
    assert_eq!(
        inv1.entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        vec![format!("{ns}_a__ConfigMap"), format!("{ns}_b__ConfigMap")]
    );
    let labels = c.kubectl_ok(&["-n", &ns, "get", "cm", "a", "-o", "jsonpath={.metadata.labels}"]).await;
    assert!(labels.contains("\"kustomize.toolkit.fluxcd.io/name\":\"apps\""), "{labels}");
    assert!(labels.contains("\"kustomize.toolkit.fluxcd.io/namespace\":\"flux-system\""), "{labels}");

    // b leaves Git, a changes, c is new; a foreign object with a stolen name in the old inventory stays.
    c.configmap("foreign", "k", "v").await;
    let mut previous = inv1.clone();
    previous
        .entries
        .push(driftless::apply::inventory::Entry { id: format!("{ns}_foreign__ConfigMap"), v: "v1".into() });
    let (inv2, r2) = apply::apply(&target, vec![cm(&ns, "a", "2"), cm(&ns, "c", "1")], &owner, &opts(true), &previous)
        .await
        .unwrap();
    assert_eq!(r2.configured, vec![format!("ConfigMap/{ns}/a")]);
    assert_eq!(r2.created, vec![format!("ConfigMap/{ns}/c")]);
    assert_eq!(r2.deleted, vec![format!("ConfigMap/{ns}/b")]);
    assert_eq!(inv2.entries.len(), 2);
    assert!(c.kubectl(&["-n", &ns, "get", "cm", "b"]).await.status.code() != Some(0));
    c.kubectl_ok(&["-n", &ns, "get", "cm", "foreign"]).await;

    // The same objects again: nothing written.
    let (_, r3) =
        apply::apply(&target, vec![cm(&ns, "a", "2"), cm(&ns, "c", "1")], &owner, &opts(true), &inv2).await.unwrap();
    assert_eq!(r3.unchanged.len(), 2);
    assert!(r3.configured.is_empty() && r3.created.is_empty() && r3.deleted.is_empty());

    // Without prune, leaving objects out deletes nothing.
    let (_, r4) = apply::apply(&target, vec![cm(&ns, "a", "2")], &owner, &opts(false), &inv2).await.unwrap();
    assert!(r4.deleted.is_empty());
    c.kubectl_ok(&["-n", &ns, "get", "cm", "c"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_error_names_the_object_and_prunes_nothing() {
    let c = Cluster::start().await;
    let target = Target::from_client(c.client().await);
    let owner = Owner { name: "apps".into(), namespace: "flux-system".into() };
    let ns = c.ns.clone();
    let (inv, _) =
        apply::apply(&target, vec![cm(&ns, "keep", "1")], &owner, &opts(true), &Default::default()).await.unwrap();
    let bad = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name", "namespace": ns}});
    let err = apply::apply(&target, vec![bad], &owner, &opts(true), &inv).await.unwrap_err();
    assert!(err.to_string().starts_with(&format!("ConfigMap/{ns}/Bad_Name: ")), "{err}");
    c.kubectl_ok(&["-n", &ns, "get", "cm", "keep"]).await;
    let unknown = json!({"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": "g", "namespace": ns}});
    let err = apply::apply(&target, vec![unknown], &owner, &opts(true), &inv).await.unwrap_err();
    assert!(err.to_string().contains("Gizmo"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_namespace_and_inventory_store() {
    let c = Cluster::start().await;
    let target = Target::from_client(c.client().await);
    let owner = Owner { name: "apps".into(), namespace: c.ns.clone() };
    let o =
        Options { field_manager: "driftless".into(), target_namespace: Some(c.ns.clone()), prune: true, force: false };
    let ns_obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("{}-extra", c.ns)}});
    let (inv, report) =
        apply::apply(&target, vec![cm("elsewhere", "x", "1"), ns_obj], &owner, &o, &Default::default()).await.unwrap();
    assert_eq!(report.created, vec![format!("Namespace/{}-extra", c.ns), format!("ConfigMap/{}/x", c.ns)]);
    let store = InventoryStore { namespace: c.ns.clone(), field_manager: "driftless".into() };
    let record = Record { inventory: inv.clone(), revision: "main@sha1:0123".into() };
    store.save(&target, &owner, &record).await.unwrap();
    assert_eq!(store.load(&target, &owner).await.unwrap(), Some(record));
    store.delete(&target, &owner).await.unwrap();
    assert_eq!(store.load(&target, &owner).await.unwrap(), None);
    c.kubectl_ok(&["delete", "namespace", &format!("{}-extra", c.ns)]).await;
}

/// A ConfigMap with annotations.
fn annotated(ns: &str, name: &str, v: &str, annotations: Value) -> Value {
    let mut o = cm(ns, name, v);
    o["metadata"]["annotations"] = annotations;
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_object_is_not_written_and_drift_is_reverted() {
    let c = Cluster::start().await;
    let target = Target::from_client(c.client().await);
    let owner = Owner { name: "apps".into(), namespace: "flux-system".into() };
    let ns = c.ns.clone();
    let rv =
        || async { c.kubectl_ok(&["-n", &ns, "get", "cm", "a", "-o", "jsonpath={.metadata.resourceVersion}"]).await };
    let (inv, _) =
        apply::apply(&target, vec![cm(&ns, "a", "1")], &owner, &opts(true), &Default::default()).await.unwrap();
    let first = rv().await;
    let (_, r) = apply::apply(&target, vec![cm(&ns, "a", "1")], &owner, &opts(true), &inv).await.unwrap();
    assert_eq!(r.unchanged, vec![format!("ConfigMap/{ns}/a")]);
    assert_eq!(rv().await, first, "no write: the resourceVersion stays");

    // A manual edit is drift: the dry run differs from the live object, and the apply reverts it.
    c.kubectl_ok(&["-n", &ns, "patch", "cm", "a", "--type=merge", "-p", r#"{"data":{"v":"edited"}}"#]).await;
    let (_, r) = apply::apply(&target, vec![cm(&ns, "a", "1")], &owner, &opts(true), &inv).await.unwrap();
    assert_eq!(r.configured, vec![format!("ConfigMap/{ns}/a")]);
    assert_eq!(c.kubectl_ok(&["-n", &ns, "get", "cm", "a", "-o", "jsonpath={.data.v}"]).await, "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_object_annotations_skip_apply_and_prune_as_in_flux() {
    let c = Cluster::start().await;
    let target = Target::from_client(c.client().await);
    let owner = Owner { name: "apps".into(), namespace: "flux-system".into() };
    let ns = c.ns.clone();
    let get = |name: &'static str| {
        let (c, ns) = (&c, ns.clone());
        async move {
            let out = c.kubectl(&["-n", &ns, "get", "cm", name, "-o", "jsonpath={.data.v}"]).await;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        }
    };
    let ssa = |v: &str| json!({"kustomize.toolkit.fluxcd.io/ssa": v});
    let objects = |v: &str| {
        vec![
            annotated(&ns, "once", v, ssa("IfNotPresent")),
            annotated(&ns, "ignored", v, ssa("Ignore")),
            annotated(&ns, "paused", v, json!({"kustomize.toolkit.fluxcd.io/reconcile": "disabled"})),
            annotated(&ns, "merged", v, ssa("Merge")),
        ]
    };
    let (inv, r) = apply::apply(&target, objects("1"), &owner, &opts(true), &Default::default()).await.unwrap();
    // IfNotPresent creates; Ignore and reconcile: disabled never apply; all four are in the inventory.
    assert_eq!(r.created, vec![format!("ConfigMap/{ns}/once"), format!("ConfigMap/{ns}/merged")]);
    assert_eq!(r.skipped, vec![format!("ConfigMap/{ns}/ignored"), format!("ConfigMap/{ns}/paused")]);
    assert_eq!(inv.entries.len(), 4);
    assert_eq!(get("once").await.as_deref(), Some("1"));
    assert_eq!(get("ignored").await, None);

    // Once present, IfNotPresent leaves the object alone; Merge applies.
    let (_, r) = apply::apply(&target, objects("2"), &owner, &opts(true), &inv).await.unwrap();
    assert_eq!(r.skipped.len(), 3, "{r:?}");
    assert_eq!(r.configured, vec![format!("ConfigMap/{ns}/merged")]);
    assert_eq!(get("once").await.as_deref(), Some("1"));
    assert_eq!(get("merged").await.as_deref(), Some("2"));

    // The annotation on the live object counts too: a paused object in the cluster is not applied or pruned.
    c.kubectl_ok(&["-n", &ns, "annotate", "cm", "once", "kustomize.toolkit.fluxcd.io/reconcile=disabled"]).await;
    let (_, r) = apply::apply(&target, vec![cm(&ns, "once", "3")], &owner, &opts(false), &inv).await.unwrap();
    assert_eq!(r.skipped, vec![format!("ConfigMap/{ns}/once")]);
    assert_eq!(get("once").await.as_deref(), Some("1"));
    let (_, r) = apply::apply(&target, vec![], &owner, &opts(true), &inv).await.unwrap();
    assert_eq!(r.deleted, vec![format!("ConfigMap/{ns}/merged")], "only the object without an opt-out is pruned");
    assert_eq!(get("once").await.as_deref(), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_immutable_change_needs_force_to_recreate_the_object() {
    let c = Cluster::start().await;
    let target = Target::from_client(c.client().await);
    let owner = Owner { name: "apps".into(), namespace: "flux-system".into() };
    let ns = c.ns.clone();
    let frozen = |v: &str, annotations: Value| {
        let mut o = annotated(&ns, "frozen", v, annotations);
        o["immutable"] = json!(true);
        o
    };
    let uid = || async { c.kubectl_ok(&["-n", &ns, "get", "cm", "frozen", "-o", "jsonpath={.metadata.uid}"]).await };
    let (inv, _) =
        apply::apply(&target, vec![frozen("1", json!({}))], &owner, &opts(true), &Default::default()).await.unwrap();
    let first = uid().await;

    // Without force: a clear error naming the object and what to do; the object is unchanged.
    let err = apply::apply(&target, vec![frozen("2", json!({}))], &owner, &opts(true), &inv).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with(&format!("ConfigMap/{ns}/frozen: ")), "{text}");
    assert!(text.contains("immutable") && text.contains("spec.force"), "{text}");
    assert_eq!(uid().await, first);

    // spec.force: deleted and created again with the new data.
    let forced = Options { force: true, ..opts(true) };
    let (_, r) = apply::apply(&target, vec![frozen("2", json!({}))], &owner, &forced, &inv).await.unwrap();
    assert_eq!(r.recreated, vec![format!("ConfigMap/{ns}/frozen")]);
    assert_ne!(uid().await, first);
    assert_eq!(c.kubectl_ok(&["-n", &ns, "get", "cm", "frozen", "-o", "jsonpath={.data.v}"]).await, "2");

    // The object's annotation asks for it too.
    let second = uid().await;
    let annotation = json!({"kustomize.toolkit.fluxcd.io/force": "enabled"});
    let (_, r) = apply::apply(&target, vec![frozen("3", annotation)], &owner, &opts(true), &inv).await.unwrap();
    assert_eq!(r.recreated.len(), 1);
    assert_ne!(uid().await, second);
}
