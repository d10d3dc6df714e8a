//! The renderer in the daemon: an overlay over a base, with a generator,
//! Flux's Kustomization options and postBuild variables from a ConfigMap in
//! the cluster, applied after a push; a render error leaves the cluster as it was.

mod support;

use std::time::Duration;
use support::{Cluster, GitRepo, eventually, start_daemon};

const BASE_DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${REPLICAS:=1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        envFrom:
        - configMapRef:
            name: settings
        env:
        - name: GREETING
          value: ${GREETING}
";

fn config(c: &Cluster, url: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet
  namespace: {ns}
spec:
  interval: 1h
  url: {url}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: dev
  namespace: {ns}
spec:
  interval: 1h
  path: ./clusters/dev
  prune: true
  targetNamespace: {ns}
  sourceRef:
    kind: GitRepository
    name: fleet
  images:
  - name: nginx
    newTag: \"1.27\"
  commonMetadata:
    labels:
      team: platform
  postBuild:
    substitute:
      GREETING: hello
    substituteFrom:
    - kind: ConfigMap
      name: cluster-vars
    - kind: Secret
      name: absent
      optional: true
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
    name: fleet
",
        ns = c.ns
    )
}

async fn get(c: &Cluster, kind: &str, name: &str, path: &str) -> String {
    let out = c.kubectl(&["-n", &c.ns, "get", kind, name, "-o", &format!("jsonpath={path}")]).await;
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlay_with_flux_options_and_variables_is_applied() {
    let c = Cluster::start().await;
    c.kubectl_ok(&["-n", &c.ns, "create", "configmap", "cluster-vars", "--from-literal=REPLICAS=3"]).await;
    let root = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(
        &root.path().join("git"),
        &[
            ("clusters/base/kustomization.yaml", "resources:\n- deploy.yaml\n"),
            ("clusters/base/deploy.yaml", BASE_DEPLOY),
            (
                "clusters/dev/kustomization.yaml",
                "resources:\n- ../base\nnamePrefix: dev-\nconfigMapGenerator:\n- name: settings\n  literals:\n  - MODE=dev\n",
            ),
        ],
    );
    let daemon = start_daemon(&c, root.path(), &config(&c, &repo.url()), &[("hook-token", "token", b"t0ken")]).await;
    let image = || get(&c, "deploy", "dev-web", "{.spec.template.spec.containers[0].image}");
    eventually(Duration::from_secs(30), "dev-web to be applied", || async {
        (image().await == "nginx:1.27").then_some(())
    })
    .await;
    assert_eq!(get(&c, "deploy", "dev-web", "{.spec.replicas}").await, "3", "REPLICAS from the cluster's ConfigMap");
    assert_eq!(get(&c, "deploy", "dev-web", "{.spec.template.spec.containers[0].env[0].value}").await, "hello");
    assert_eq!(get(&c, "deploy", "dev-web", "{.metadata.labels.team}").await, "platform");
    let cm = get(&c, "deploy", "dev-web", "{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}").await;
    assert!(cm.starts_with("dev-settings-") && cm.len() == "dev-settings-".len() + 10, "hashed name followed: {cm}");
    assert_eq!(get(&c, "cm", &cm, "{.data.MODE}").await, "dev");

    // A push that breaks the overlay is not applied: the cluster keeps the last good revision.
    let path = daemon.engine.receivers()[0].path.clone();
    repo.install_hook(&format!("http://{}{path}", daemon.addr), &root.path().join("secrets/hook-token/token"));
    repo.write(
        "clusters/dev/kustomization.yaml",
        "resources:\n- ../base\nnamePrefix: dev-\npatches:\n- path: missing.yaml\n",
    );
    repo.commit("broken overlay");
    let broken = repo.push();
    let st = eventually(Duration::from_secs(30), "the build to fail", || async {
        let st = daemon.engine.kustomization_statuses().remove(0);
        (st.last_attempted_revision.as_deref().is_some_and(|r| r.contains(&broken))
            && format!("{:?}", st.ready) == "False")
            .then_some(st)
    })
    .await;
    assert_eq!(st.reason, "BuildFailed");
    assert!(
        st.message.contains("clusters/dev/kustomization.yaml") && st.message.contains("missing.yaml"),
        "{}",
        st.message
    );
    assert_eq!(get(&c, "cm", &cm, "{.data.MODE}").await, "dev", "nothing was pruned");
    assert_eq!(image().await, "nginx:1.27");
}
