//! The whole path on real parts: a `git push` to a bare repository with the
//! post-receive hook installed reaches the cluster through driftless's
//! receiver, fetch, render and apply; deletions prune; drift is reverted;
//! broken revisions apply nothing; GitHub signatures are checked.

mod support;

use driftless::cli::serve::Daemon;
use hmac::{Hmac, KeyInit, Mac};
use kube::api::{Api, DynamicObject};
use serde_json::Value;
use sha2::Sha256;
use std::time::Duration;
use support::{Cluster, GitRepo, eventually};

const HOOK_TOKEN: &str = "hook-token-for-tests";
const GITHUB_TOKEN: &str = "github-token-for-tests";

struct Env {
    c: Cluster,
    repo: GitRepo,
    daemon: Option<Daemon>,
    _root: tempfile::TempDir,
}

fn cm(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
}

fn config(c: &Cluster, repo_url: &str, ks_interval: &str) -> String {
    format!(
        r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: repo
  namespace: {ns}
spec:
  interval: 1h
  url: {repo_url}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: {ns}
spec:
  interval: {ks_interval}
  path: ./clusters/dev
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
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: gh
  namespace: {ns}
spec:
  type: github
  events: [ping, push]
  secretRef:
    name: github-token
  resources:
  - kind: GitRepository
    name: repo
"#,
        ns = c.ns
    )
}

impl Env {
    async fn start(files: &[(&str, &str)], ks_interval: &str) -> Env {
        let c = Cluster::start().await;
        let root = tempfile::tempdir().unwrap();
        let repo = GitRepo::new(&root.path().join("git"), files);
        let text = config(&c, &repo.url(), ks_interval);
        let hook = format!("{HOOK_TOKEN}\n");
        let gh = format!("{GITHUB_TOKEN}\n");
        let secrets: [(&str, &str, &[u8]); 2] =
            [("hook-token", "token", hook.as_bytes()), ("github-token", "token", gh.as_bytes())];
        let daemon = support::start_daemon(&c, root.path(), &text, &secrets).await;
        let secrets = root.path().join("secrets");
        let path = daemon.engine.receivers().iter().find(|r| r.receiver.key.name == "hook").unwrap().path.clone();
        repo.install_hook(&format!("http://{}{path}", daemon.addr), &secrets.join("hook-token/token"));
        Env { c, repo, daemon: Some(daemon), _root: root }
    }

    fn daemon(&self) -> &Daemon {
        self.daemon.as_ref().unwrap()
    }

    async fn configmap(&self, name: &str) -> Option<Value> {
        let api: Api<DynamicObject> = Api::namespaced_with(
            self.c.client().await,
            &self.c.ns,
            &kube::discovery::ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&()),
        );
        api.get_opt(name).await.unwrap().map(|o| serde_json::to_value(o).unwrap())
    }

    /// Waits until ConfigMap `name` has data `v` (or is gone, for `None`).
    async fn wait_configmap(&self, name: &str, v: Option<&str>) {
        eventually(Duration::from_secs(20), &format!("configmap {name} to be {v:?}"), || async {
            let cur = self.configmap(name).await;
            let got = cur.as_ref().and_then(|d| d["data"]["v"].as_str().map(str::to_string));
            (got.as_deref() == v).then_some(())
        })
        .await
    }

    fn status(&self) -> driftless::reconcile::status::KustomizationStatus {
        self.daemon().engine.kustomization_statuses().into_iter().next().unwrap()
    }

    fn hook_url(&self, name: &str) -> String {
        let path = self.daemon().engine.receivers().iter().find(|r| r.receiver.key.name == name).unwrap().path.clone();
        format!("http://{}{path}", self.daemon().addr)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_reaches_the_cluster() {
    let env = Env::start(&[("clusters/dev/app.yaml", &cm("app", "1")), ("README.md", "# fleet")], "1h").await;
    env.wait_configmap("app", Some("1")).await;
    env.repo.write("clusters/dev/app.yaml", &cm("app", "2"));
    env.repo.commit("app v2");
    let commit = env.repo.push();
    env.wait_configmap("app", Some("2")).await;
    let st = eventually(Duration::from_secs(20), "the status to show the pushed revision", || async {
        let st = env.status();
        (st.last_applied_revision == Some(format!("main@sha1:{commit}"))).then_some(st)
    })
    .await;
    assert_eq!(format!("{:?}", st.ready), "True");
    // Owner labels as Flux writes them.
    let app = env.configmap("app").await.unwrap();
    assert_eq!(app["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"], "apps");
    assert_eq!(app["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/namespace"], env.c.ns.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_manifest_prunes_the_object() {
    let env = Env::start(&[("clusters/dev/a.yaml", &cm("a", "1")), ("clusters/dev/b.yaml", &cm("b", "1"))], "1h").await;
    env.wait_configmap("b", Some("1")).await;
    env.repo.remove("clusters/dev/b.yaml");
    env.repo.commit("remove b");
    env.repo.push();
    env.wait_configmap("b", None).await;
    assert!(env.configmap("a").await.is_some());
    assert_eq!(env.status().changes.deleted, 1);
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_by_another_manager_is_reverted() {
    let env = Env::start(&[("clusters/dev/web.yaml", DEPLOY)], "1s").await;
    let replicas = || async {
        let out = env.c.kubectl(&["-n", &env.c.ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]).await;
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    eventually(Duration::from_secs(20), "the deployment", || async { (replicas().await == "2").then_some(()) }).await;
    env.c.kubectl_ok(&["-n", &env.c.ns, "scale", "deploy", "web", "--replicas=5"]).await;
    eventually(Duration::from_secs(20), "the drift loop to restore 2 replicas", || async {
        (replicas().await == "2").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_revision_applies_nothing() {
    let env = Env::start(&[("clusters/dev/a.yaml", &cm("a", "1"))], "1h").await;
    env.wait_configmap("a", Some("1")).await;
    env.repo.write("clusters/dev/a.yaml", &cm("a", "2"));
    env.repo.write("clusters/dev/broken.yaml", "apiVersion: v1\nkind: [ConfigMap\n");
    env.repo.commit("broken");
    let commit = env.repo.push();
    let st = eventually(Duration::from_secs(20), "the broken revision to be reported", || async {
        let st = env.status();
        (st.last_attempted_revision == Some(format!("main@sha1:{commit}")) && format!("{:?}", st.ready) == "False")
            .then_some(st)
    })
    .await;
    assert_eq!(st.reason, "BuildFailed");
    assert!(st.message.contains("clusters/dev/broken.yaml"), "{}", st.message);
    assert_ne!(st.last_applied_revision, Some(format!("main@sha1:{commit}")));
    // The previous revision's objects are untouched.
    let a = env.configmap("a").await.unwrap();
    assert_eq!(a["data"]["v"], "1");
    // Fixing it applies again.
    env.repo.remove("clusters/dev/broken.yaml");
    env.repo.commit("fix");
    env.repo.push();
    env.wait_configmap("a", Some("2")).await;
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_requests_are_verified_before_anything_happens() {
    let env = Env::start(&[("clusters/dev/a.yaml", &cm("a", "1"))], "1h").await;
    env.wait_configmap("a", Some("1")).await;
    let url = env.hook_url("gh");
    let http = reqwest::Client::new();
    let ping = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#.to_vec();
    let post = |event: &'static str, sig: Option<String>, body: Vec<u8>| {
        let mut r = http.post(&url).header("X-GitHub-Event", event).header("X-GitHub-Delivery", "d-1").body(body);
        if let Some(s) = sig {
            r = r.header("X-Hub-Signature-256", s);
        }
        r.send()
    };
    assert_eq!(post("ping", None, ping.clone()).await.unwrap().status().as_u16(), 401);
    assert_eq!(post("ping", Some(sign("wrong", &ping)), ping.clone()).await.unwrap().status().as_u16(), 401);
    assert_eq!(post("ping", Some(sign(GITHUB_TOKEN, &ping)), ping.clone()).await.unwrap().status().as_u16(), 200);

    // A new commit, announced with a bad signature, is not fetched; with a good one it is.
    env.repo.write("clusters/dev/a.yaml", &cm("a", "2"));
    env.repo.commit("a v2");
    // Push without the hook firing: remove it for this push.
    std::fs::remove_file(env.repo.bare.join("hooks/post-receive")).unwrap();
    let commit = env.repo.push();
    let push = serde_json::json!({
        "ref": "refs/heads/main", "before": "0".repeat(40), "after": commit,
        "repository": {"clone_url": env.repo.url(), "ssh_url": env.repo.url(), "html_url": env.repo.url(), "git_url": env.repo.url()},
        "pusher": {"name": "test"}, "commits": [], "head_commit": null
    })
    .to_string()
    .into_bytes();
    let bad = post("push", Some(sign("wrong", &push)), push.clone()).await.unwrap();
    assert_eq!(bad.status().as_u16(), 401);
    let malformed = b"{not json".to_vec();
    let r = post("push", Some(sign(GITHUB_TOKEN, &malformed)), malformed).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let src = env.daemon().engine.source_statuses().into_iter().next().unwrap();
    assert_eq!(src.triggered, 0, "refused requests trigger nothing");
    assert_eq!(env.configmap("a").await.unwrap()["data"]["v"], "1");
    let ok = post("push", Some(sign(GITHUB_TOKEN, &push)), push).await.unwrap();
    assert_eq!(ok.status().as_u16(), 202);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["triggered"][0], format!("{}/repo", env.c.ns));
    env.wait_configmap("a", Some("2")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_to_untracked_refs_are_acknowledged_and_ignored() {
    let env = Env::start(&[("clusters/dev/a.yaml", &cm("a", "1"))], "1h").await;
    env.wait_configmap("a", Some("1")).await;
    let body = serde_json::json!({
        "repository": env.repo.url(),
        "refs": [{"ref": "refs/heads/feature", "before": "0".repeat(40), "after": "1".repeat(40)}],
        "timestamp": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
        "delivery": "x"
    })
    .to_string()
    .into_bytes();
    let r = reqwest::Client::new()
        .post(env.hook_url("hook"))
        .header("X-Signature", sign(HOOK_TOKEN, &body))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["triggered"], serde_json::json!([]));
    assert!(v["ignored"][0].as_str().unwrap().contains("does not track refs/heads/feature"), "{v}");
}
