//! `driftless diff`, the real binary against the emulator: no difference
//! (exit 0), drift made with kubectl and changes in the local directory
//! (exit 1, field by field), Secret values never printed, objects that would
//! be pruned, and errors (exit 2). Nothing is changed in the cluster.

mod support;

use driftless::apply::inventory::{InventoryStore, Record};
use driftless::apply::{self, Options, Owner, cluster::Cluster as Target};
use std::path::Path;
use support::Cluster;

fn cm(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: hunter2\n";

fn config(ns: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n  namespace: {ns}\n\
         spec:\n  interval: 1h\n  url: https://example.invalid/fleet.git\n---\n\
         apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: {ns}\n\
         spec:\n  interval: 1h\n  path: ./apps\n  prune: true\n  targetNamespace: {ns}\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n"
    )
}

async fn run_diff(c: &Cluster, root: &Path) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(["diff", &format!("{}/apps", c.ns), "--config"])
        .arg(root.join("fleet.yaml"))
        .arg("--path")
        .arg(root.join("repo/apps"))
        .arg("--kubeconfig")
        .arg(&c.kubeconfig)
        .output()
        .await
        .expect("driftless runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_shows_what_an_apply_would_change_and_changes_nothing() {
    let c = Cluster::start().await;
    let ns = c.ns.clone();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("fleet.yaml"), config(&ns)).unwrap();
    let apps = root.path().join("repo/apps");
    std::fs::create_dir_all(&apps).unwrap();
    std::fs::create_dir(root.path().join("repo/.git")).unwrap();
    let write = |name: &str, text: &str| std::fs::write(apps.join(name), text).unwrap();
    write("a.yaml", &cm("a", "1"));
    write("b.yaml", &cm("b", "1"));
    write("secret.yaml", SECRET);

    // Applied as the daemon would, with its inventory.
    let target = Target::from_client(c.client().await);
    let owner = Owner { name: "apps".into(), namespace: ns.clone() };
    let fs = driftless::render::fs::LocalFs::new(&root.path().join("repo")).unwrap();
    let objects = driftless::render::render(&fs, "apps").unwrap().objects;
    let opts =
        Options { field_manager: "driftless".into(), target_namespace: Some(ns.clone()), prune: true, force: false };
    let (inventory, _) = apply::apply(&target, objects, &owner, &opts, &Default::default()).await.unwrap();
    let store = InventoryStore { namespace: ns.clone(), field_manager: "driftless".into() };
    store.save(&target, &owner, &Record { inventory, revision: "main@sha1:0".into() }).await.unwrap();

    let (code, out, err) = run_diff(&c, root.path()).await;
    assert_eq!((code, out.as_str()), (0, "✓ no changes\n"), "{err}");

    // Drift in the cluster, a changed Secret value and a removed file in the directory.
    c.kubectl_ok(&["-n", &ns, "patch", "cm", "a", "--type=merge", "-p", r#"{"data":{"v":"edited"}}"#]).await;
    write("secret.yaml", &SECRET.replace("hunter2", "correct-horse"));
    std::fs::remove_file(apps.join("b.yaml")).unwrap();
    write("c.yaml", &cm("c", "1"));
    let (code, out, err) = run_diff(&c, root.path()).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&format!("► ConfigMap/{ns}/a drifted\n  data.v\n    - edited\n    + 1\n")), "{out}");
    assert!(out.contains(&format!("► Secret/{ns}/creds drifted\n  data.password\n    - ***\n    + ***\n")), "{out}");
    assert!(out.contains(&format!("► ConfigMap/{ns}/c created\n")), "{out}");
    assert!(out.contains(&format!("► ConfigMap/{ns}/b deleted\n")), "{out}");
    for secret in ["hunter2", "correct-horse", "aHVudGVyMg", "Y29ycmVjdC1ob3Jz"] {
        assert!(!out.contains(secret) && !err.contains(secret), "a secret value was printed: {out}{err}");
    }
    // Nothing was changed.
    assert_eq!(c.kubectl_ok(&["-n", &ns, "get", "cm", "a", "-o", "jsonpath={.data.v}"]).await, "edited");
    c.kubectl_ok(&["-n", &ns, "get", "cm", "b"]).await;
    assert!(!c.kubectl(&["-n", &ns, "get", "cm", "c"]).await.status.success());

    // Errors: exit code 2 and a message.
    write("broken.yaml", "kind: [");
    let (code, _, err) = run_diff(&c, root.path()).await;
    assert_eq!(code, 2);
    assert!(err.contains("broken.yaml"), "{err}");
}
