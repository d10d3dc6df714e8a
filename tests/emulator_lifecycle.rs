//! Object lifecycle on the emulator: finalizers, namespace deletion, garbage
//! collection by ownerReferences, simulated readiness and failure,
//! persistence across restarts and crashes.

mod support;

use driftless::emulator::{Config, Emulator};
use std::time::Duration;
use support::{Cluster, eventually};

async fn jsonpath(c: &Cluster, args: &[&str], path: &str) -> String {
    let mut all: Vec<&str> = args.to_vec();
    let jp = format!("jsonpath={path}");
    all.extend(["-o", &jp]);
    let out = c.kubectl(&all).await;
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizers_hold_an_object_until_cleared() {
    let c = Cluster::start().await;
    let f = c.manifest(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: NAMESPACE\n  finalizers: [example.com/hold]\n",
    );
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    c.kubectl_ok(&["-n", &c.ns, "delete", "configmap", "held", "--wait=false"]).await;
    let ts = jsonpath(&c, &["-n", &c.ns, "get", "cm", "held"], "{.metadata.deletionTimestamp}").await;
    assert!(!ts.is_empty(), "deletionTimestamp set while the finalizer holds it");
    c.kubectl_ok(&[
        "-n",
        &c.ns,
        "patch",
        "cm",
        "held",
        "--type",
        "json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ])
    .await;
    let out = c.kubectl(&["-n", &c.ns, "get", "cm", "held"]).await;
    assert!(!out.status.success(), "gone once the finalizer is cleared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_namespace_deletes_its_contents() {
    let c = Cluster::start().await;
    c.configmap("a", "k", "v").await;
    c.apply("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: NAMESPACE\nstringData:\n  k: v\n").await;
    c.kubectl_ok(&["delete", "namespace", &c.ns, "--timeout=60s"]).await;
    let out = c.kubectl(&["get", "namespace", &c.ns]).await;
    assert!(!out.status.success());
    let out = c.kubectl(&["-n", &c.ns, "get", "configmap", "a"]).await;
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_references_are_garbage_collected() {
    let c = Cluster::start().await;
    c.configmap("owner", "k", "v").await;
    let uid = jsonpath(&c, &["-n", &c.ns, "get", "cm", "owner"], "{.metadata.uid}").await;
    for name in ["child", "orphan-child"] {
        let f = c.manifest(
            &format!("{name}.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: NAMESPACE\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: owner\n    uid: {uid}\n"
            ),
        );
        c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    }
    c.configmap("owner2", "k", "v").await;
    let uid2 = jsonpath(&c, &["-n", &c.ns, "get", "cm", "owner2"], "{.metadata.uid}").await;
    let f = c.manifest(
        "c2.yaml",
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  namespace: NAMESPACE\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: owner2\n    uid: {uid2}\n"),
    );
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    c.kubectl_ok(&["-n", &c.ns, "delete", "cm", "owner2", "--cascade=orphan"]).await;
    c.kubectl_ok(&["-n", &c.ns, "delete", "cm", "owner"]).await;
    eventually(Duration::from_secs(30), "dependents of owner collected", || async {
        let out = c.kubectl(&["-n", &c.ns, "get", "cm", "child"]).await;
        (!out.status.success()).then_some(())
    })
    .await;
    let refs = jsonpath(&c, &["-n", &c.ns, "get", "cm", "kept"], "{.metadata.ownerReferences}").await;
    assert!(refs.is_empty(), "orphaned dependent keeps living without its ownerReference: {refs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_failure_and_job_completion() {
    let c = Cluster::start().await;
    if !c.is_emulated() {
        return;
    }
    let f = c.manifest(
        "fail.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
  namespace: NAMESPACE
  annotations:
    emulator.driftless.dev/fail: "ImagePullBackOff: image nginx:nope not found"
spec:
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec: {containers: [{name: c, image: "nginx:nope"}]}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: once
  namespace: NAMESPACE
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
"#,
    );
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    c.kubectl_ok(&["-n", &c.ns, "wait", "--for=condition=Complete", "job/once", "--timeout=30s"]).await;
    let reason = eventually(Duration::from_secs(30), "the deployment to fail", || async {
        let r = jsonpath(
            &c,
            &["-n", &c.ns, "get", "deploy", "broken"],
            "{.status.conditions[?(@.type==\"Progressing\")].reason}",
        )
        .await;
        (r == "ProgressDeadlineExceeded").then_some(r)
    })
    .await;
    assert_eq!(reason, "ProgressDeadlineExceeded");
    let msg = jsonpath(
        &c,
        &["-n", &c.ns, "get", "deploy", "broken"],
        "{.status.conditions[?(@.type==\"Progressing\")].message}",
    )
    .await;
    assert!(msg.contains("image nginx:nope not found"), "{msg}");
    let out = c.kubectl(&["-n", &c.ns, "rollout", "status", "deploy/broken", "--timeout=10s"]).await;
    assert!(!out.status.success(), "rollout of a failing deployment does not succeed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { data_dir: Some(dir.path().to_path_buf()), ..Config::default() };
    let c = Cluster::start_with(config.clone()).await;
    if !c.is_emulated() {
        return;
    }
    c.configmap("kept", "k", "v").await;
    let rv = jsonpath(&c, &["-n", &c.ns, "get", "cm", "kept"], "{.metadata.resourceVersion}").await;
    let Cluster { emulator, dir: tmp, ns, kubeconfig, .. } = c;
    emulator.unwrap().shutdown().await;
    let emu = Emulator::start(config).await.unwrap();
    emu.write_kubeconfig(&kubeconfig).unwrap();
    let c = Cluster { kubeconfig, ns, emulator: Some(emu), dir: tmp };
    let v = jsonpath(&c, &["-n", &c.ns, "get", "cm", "kept"], "{.data.k}").await;
    assert_eq!(v, "v");
    c.configmap("later", "k", "v").await;
    let rv2 = jsonpath(&c, &["-n", &c.ns, "get", "cm", "later"], "{.metadata.resourceVersion}").await;
    assert!(
        rv2.parse::<u64>().unwrap() > rv.parse::<u64>().unwrap(),
        "resourceVersions keep increasing: {rv} then {rv2}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_sigkill_of_the_emulator_process() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let data = dir.path().join("data");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_driftless"))
            .args(["emulator", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&data)
            .arg("--write-kubeconfig")
            .arg(&kubeconfig)
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("driftless emulator starts")
    };
    let kubectl = |args: Vec<String>| {
        let kubeconfig = kubeconfig.clone();
        let cache = dir.path().join("cache");
        async move {
            tokio::process::Command::new("kubectl")
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .arg("--cache-dir")
                .arg(&cache)
                .args(&args)
                .output()
                .await
                .unwrap()
        }
    };
    let ready = || async {
        eventually(Duration::from_secs(30), "the emulator to serve", || async {
            let ok = kubeconfig.exists()
                && kubectl(vec!["get".into(), "ns".into(), "default".into()]).await.status.success();
            ok.then_some(())
        })
        .await
    };
    let manifest = |i: usize| {
        let path = dir.path().join(format!("cm-{i}.json"));
        let body = format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"cm-{i}\"}},\"data\":{{\"i\":\"{i}\"}}}}"
        );
        std::fs::write(&path, body).unwrap();
        path
    };
    let mut child = start();
    ready().await;
    for i in 0..20 {
        let out = kubectl(vec![
            "-n".into(),
            "default".into(),
            "create".into(),
            "-f".into(),
            manifest(i).to_string_lossy().into_owned(),
        ])
        .await;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    std::fs::remove_file(&kubeconfig).unwrap();
    let _child = start();
    ready().await;
    let out =
        kubectl(vec!["-n".into(), "default".into(), "get".into(), "configmaps".into(), "-o".into(), "name".into()])
            .await;
    let names = String::from_utf8_lossy(&out.stdout);
    for i in 0..20 {
        assert!(names.contains(&format!("configmap/cm-{i}")), "cm-{i} lost:\n{names}");
    }
}
