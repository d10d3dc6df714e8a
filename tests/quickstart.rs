//! The README's first command: `driftless quickstart` sets everything up on
//! its embedded defaults, a push reaches the embedded cluster, and Ctrl-C
//! stops it cleanly.

mod support;

use std::time::Duration;
use support::{eventually, git};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let qs = dir.path().join("qs");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(["quickstart", "--dir"])
        .arg(&qs)
        .args(["--listen", "127.0.0.1:0", "--cluster-listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("driftless quickstart starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut kubeconfig = String::new();
    let mut first = String::new();
    let printed = tokio::time::timeout(Duration::from_secs(90), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.starts_with("driftless quickstart is running") {
                first = line.clone();
            }
            if let Some(rest) = line.trim().strip_prefix("the cluster") {
                kubeconfig =
                    rest.trim().trim_start_matches("kubectl --kubeconfig ").split(' ').next().unwrap().to_string();
            }
            if line.starts_with("Ctrl-C stops") {
                return;
            }
        }
    })
    .await;
    assert!(printed.is_ok(), "quickstart did not print its next steps");
    assert!(first.contains("Applied revision: main@sha1:"), "{first}");
    let kubectl = |args: Vec<String>| {
        let kubeconfig = kubeconfig.clone();
        let cache = dir.path().join("kubectl-cache");
        async move {
            let out = tokio::process::Command::new("kubectl")
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .arg("--cache-dir")
                .arg(&cache)
                .args(&args)
                .output()
                .await
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    let replicas = || {
        kubectl(vec![
            "-n".into(),
            "my-app".into(),
            "get".into(),
            "deploy".into(),
            "nginx".into(),
            "-o".into(),
            "jsonpath={.spec.replicas}".into(),
        ])
    };
    assert_eq!(replicas().await, "2");

    // The steps it printed: edit, commit, push.
    let work = qs.join("work");
    let path = work.join("clusters/dev/deployment.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace("replicas: 2", "replicas: 3");
    std::fs::write(&path, text).unwrap();
    git(&work, &["commit", "-qam", "Scale nginx to 3"]);
    git(&work, &["push", "-q"]);
    eventually(Duration::from_secs(20), "the push to reach the cluster", || async {
        (replicas().await == "3").then_some(())
    })
    .await;

    // Ctrl-C stops it cleanly.
    let pid = child.id().unwrap() as i32;
    std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
    let status =
        tokio::time::timeout(Duration::from_secs(30), child.wait()).await.expect("exits after Ctrl-C").unwrap();
    assert!(status.success(), "{status}");
}
