//! Sources end to end: a semver range follows the highest matching tag; a
//! deleted branch and an unsigned commit leave the cluster on the last good
//! revision with a clear reason.

mod support;

use std::time::Duration;
use support::{Cluster, GitRepo, eventually, git, start_daemon};

fn cm(v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  v: \"{v}\"\n")
}

fn config(c: &Cluster, url: &str, reference: &str, verify: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: repo
  namespace: {ns}
spec:
  interval: 1h
  url: {url}
  ref:
    {reference}
{verify}---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: {ns}
spec:
  interval: 1h
  path: ./app
  prune: true
  targetNamespace: {ns}
  sourceRef:
    kind: GitRepository
    name: repo
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: hook
  namespace: {ns}
spec:
  type: generic-hmac
  secretRef:
    name: hook-token
  resources:
  - kind: GitRepository
    name: repo
",
        ns = c.ns
    )
}

async fn value(c: &Cluster) -> String {
    let out = c.kubectl(&["-n", &c.ns, "get", "cm", "app", "-o", "jsonpath={.data.v}"]).await;
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn wait_value(c: &Cluster, want: &str) {
    eventually(Duration::from_secs(20), &format!("app to be {want}"), || async {
        (value(c).await == want).then_some(())
    })
    .await;
}

fn hook(daemon: &driftless::cli::serve::Daemon, repo: &GitRepo, root: &std::path::Path) {
    let path = daemon.engine.receivers()[0].path.clone();
    repo.install_hook(&format!("http://{}{path}", daemon.addr), &root.join("secrets/hook-token/token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_semver_range_follows_the_highest_matching_tag() {
    let c = Cluster::start().await;
    let root = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(&root.path().join("git"), &[("app/cm.yaml", &cm("1.0.0"))]);
    git(&repo.work, &["tag", "v1.0.0"]);
    for v in ["1.1.0", "2.0.0"] {
        repo.write("app/cm.yaml", &cm(v));
        repo.commit(v);
        git(&repo.work, &["tag", &format!("v{v}")]);
    }
    git(&repo.work, &["push", "-q", "origin", "HEAD:main", "--tags"]);
    let text = config(&c, &repo.url(), "semver: \">=1.0.0 <2.0.0\"", "");
    let daemon = start_daemon(&c, root.path(), &text, &[("hook-token", "token", b"t0ken")]).await;
    wait_value(&c, "1.1.0").await;
    let tagged = git(&repo.work, &["rev-parse", "v1.1.0^{commit}"]).trim().to_string();
    let src = daemon.engine.source_statuses().remove(0);
    assert_eq!(src.revision, Some(format!("v1.1.0@sha1:{tagged}")));
    // A new matching tag, announced by the hook as a tag push, is applied.
    hook(&daemon, &repo, root.path());
    repo.write("app/cm.yaml", &cm("1.2.0"));
    repo.commit("1.2.0");
    git(&repo.work, &["tag", "-a", "-m", "release", "v1.2.0"]);
    git(&repo.work, &["push", "-q", "origin", "v1.2.0"]);
    wait_value(&c, "1.2.0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_branch_keeps_the_last_good_revision() {
    let c = Cluster::start().await;
    let root = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(&root.path().join("git"), &[("app/cm.yaml", &cm("1"))]);
    git(&repo.work, &["push", "-q", "origin", "HEAD:release"]);
    let text = config(&c, &repo.url(), "branch: release", "");
    let daemon = start_daemon(&c, root.path(), &text, &[("hook-token", "token", b"t0ken")]).await;
    wait_value(&c, "1").await;
    hook(&daemon, &repo, root.path());
    git(&repo.work, &["push", "-q", "origin", ":release"]);
    let st = eventually(Duration::from_secs(20), "the source to report the missing branch", || async {
        let st = daemon.engine.source_statuses().remove(0);
        (format!("{:?}", st.ready) == "False").then_some(st)
    })
    .await;
    assert!(st.message.contains("\"release\"") && st.message.contains("not found"), "{}", st.message);
    assert_eq!(value(&c).await, "1", "the cluster keeps the last good revision");
    let ks = daemon.engine.kustomization_statuses().remove(0);
    assert_eq!(format!("{:?}", ks.ready), "True");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_commits_signed_by_a_trusted_key_are_applied() {
    let c = Cluster::start().await;
    let root = tempfile::tempdir().unwrap();
    let key = root.path().join("signing");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "author", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(out.status.success());
    let public = std::fs::read(key.with_extension("pub")).unwrap();
    let signed = |repo: &GitRepo, msg: &str| {
        git(&repo.work, &["add", "-A"]);
        git(
            &repo.work,
            &[
                "-c",
                "gpg.format=ssh",
                "-c",
                &format!("user.signingkey={}", key.display()),
                "commit",
                "-q",
                "-S",
                "-m",
                msg,
            ],
        );
    };
    let repo = GitRepo::new(&root.path().join("git"), &[("README.md", "# fleet")]);
    repo.write("app/cm.yaml", &cm("1"));
    signed(&repo, "signed 1");
    repo.push();
    let verify = "  verify:\n    mode: HEAD\n    secretRef:\n      name: trusted\n";
    let text = config(&c, &repo.url(), "branch: main", verify);
    let secrets: [(&str, &str, &[u8]); 2] = [("hook-token", "token", b"t0ken"), ("trusted", "author.sshpub", &public)];
    let daemon = start_daemon(&c, root.path(), &text, &secrets).await;
    wait_value(&c, "1").await;
    let src = daemon.engine.source_statuses().remove(0);
    assert!(src.verified.as_deref().unwrap_or("").contains("SHA256:"), "{:?}", src.verified);

    hook(&daemon, &repo, root.path());
    repo.write("app/cm.yaml", &cm("2"));
    repo.commit("unsigned");
    let unsigned = repo.push();
    let st = eventually(Duration::from_secs(20), "the unsigned commit to be refused", || async {
        let st = daemon.engine.source_statuses().remove(0);
        (format!("{:?}", st.ready) == "False").then_some(st)
    })
    .await;
    assert!(st.message.contains(&unsigned[..7]) || st.message.to_lowercase().contains("not signed"), "{}", st.message);
    assert_eq!(value(&c).await, "1", "an unsigned commit is not applied");

    repo.write("app/cm.yaml", &cm("3"));
    signed(&repo, "signed 3");
    repo.push();
    wait_value(&c, "3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_escaping_the_repository_fails_and_keeps_the_last_good_revision() {
    let c = Cluster::start().await;
    let root = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(&root.path().join("git"), &[("app/cm.yaml", &cm("1"))]);
    let text = config(&c, &repo.url(), "branch: main", "");
    let daemon = start_daemon(&c, root.path(), &text, &[("hook-token", "token", b"t0ken")]).await;
    wait_value(&c, "1").await;
    hook(&daemon, &repo, root.path());
    repo.write("app/cm.yaml", &cm("2"));
    std::os::unix::fs::symlink("../../../../etc/passwd", repo.work.join("app/passwd.yaml")).unwrap();
    repo.commit("escape");
    let escaping = repo.push();
    let ks = eventually(Duration::from_secs(20), "the render to fail on the escaping symlink", || async {
        let ks = daemon.engine.kustomization_statuses().remove(0);
        (format!("{:?}", ks.ready) == "False").then_some(ks)
    })
    .await;
    assert!(ks.message.contains("app/passwd.yaml"), "the error names the link: {}", ks.message);
    assert!(ks.last_attempted_revision.as_deref().unwrap_or("").contains(&escaping), "{ks:?}");
    assert_eq!(value(&c).await, "1", "nothing of the failed revision is applied");

    // Removing the link recovers on the next push.
    repo.remove("app/passwd.yaml");
    repo.commit("fix");
    repo.push();
    wait_value(&c, "2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_mirror_is_recloned_and_the_next_push_applies() {
    let c = Cluster::start().await;
    let root = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(&root.path().join("git"), &[("app/cm.yaml", &cm("1"))]);
    let text = config(&c, &repo.url(), "branch: main", "");
    let daemon = start_daemon(&c, root.path(), &text, &[("hook-token", "token", b"t0ken")]).await;
    wait_value(&c, "1").await;
    // Truncate every pack of the mirror, as a crash or a full disk would.
    let mut damaged = 0;
    for entry in walk(&root.path().join("data")) {
        if entry.extension().is_some_and(|e| e == "pack") {
            let f = std::fs::OpenOptions::new().write(true).open(&entry).unwrap();
            f.set_len(f.metadata().unwrap().len() / 2).unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0, "the mirror holds packs");
    hook(&daemon, &repo, root.path());
    repo.write("app/cm.yaml", &cm("2"));
    repo.commit("v2");
    repo.push();
    wait_value(&c, "2").await;
    let src = daemon.engine.source_statuses().remove(0);
    assert_eq!(format!("{:?}", src.ready), "True", "{}", src.message);
    let warning = src.warning.unwrap_or_default();
    assert!(warning.contains("was damaged"), "the status says the mirror was recloned: {warning:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
