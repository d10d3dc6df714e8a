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
    Options { field_manager: "driftless".into(), target_namespace: None, prune }
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
    let o = Options { field_manager: "driftless".into(), target_namespace: Some(c.ns.clone()), prune: true };
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
