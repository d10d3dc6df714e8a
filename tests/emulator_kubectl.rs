//! The real kubectl against the emulator (or the cluster named by
//! DRIFTLESS_TEST_KUBECONFIG): discovery, server-side apply, managed fields
//! and conflicts, patch, scale, delete, watch, wait, CRDs.

mod support;

use std::time::Duration;
use support::Cluster;

const DEPLOY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NAMESPACE
  labels:
    app: web
    tier: frontend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
"#;

fn text(out: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_resources_lists_builtin_kinds() {
    let c = Cluster::start().await;
    let out = c.kubectl_ok(&["api-resources"]).await;
    for needle in [
        "deployments ",
        "customresourcedefinitions",
        "horizontalpodautoscalers",
        "poddisruptionbudgets",
        "validatingwebhookconfigurations",
        "leases ",
    ] {
        assert!(out.contains(needle), "api-resources lacks {needle}:\n{out}");
    }
    let line = out.lines().find(|l| l.starts_with("deployments ")).unwrap();
    assert!(
        line.contains("deploy") && line.contains("apps/v1") && line.contains("true") && line.contains("Deployment")
    );
    let ns_line = out.lines().find(|l| l.starts_with("namespaces ")).unwrap();
    assert!(ns_line.contains("false"), "{ns_line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_creates_changes_and_removes_fields() {
    let c = Cluster::start().await;
    let f = c.manifest("d.yaml", DEPLOY);
    let out = c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    assert!(out.contains("deployment.apps/web serverside-applied"), "{out}");

    let yaml = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "yaml", "--show-managed-fields"]).await;
    assert!(yaml.contains("manager: kubectl"), "{yaml}");
    assert!(yaml.contains("operation: Apply"), "{yaml}");
    assert!(yaml.contains("k:{\"name\":\"nginx\"}"), "{yaml}");
    assert!(yaml.contains("tier: frontend"), "{yaml}");

    // Change a field and drop a label: the label goes away, the image changes.
    let changed = DEPLOY.replace("nginx:1.27", "nginx:1.28").replace("    tier: frontend\n", "");
    let f = c.manifest("d2.yaml", &changed);
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    let image = c
        .kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"])
        .await;
    assert_eq!(image, "nginx:1.28");
    let labels = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.labels}"]).await;
    assert!(labels.contains("\"app\":\"web\"") && !labels.contains("tier"), "{labels}");

    let generation =
        c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.generation}"]).await;
    assert_eq!(generation, "2");

    // Once the rollout settled, applying the same manifest again writes nothing.
    c.kubectl_ok(&["-n", &c.ns, "rollout", "status", "deploy/web", "--timeout=60s"]).await;
    let rv = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.resourceVersion}"]).await;
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    let after =
        c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.resourceVersion}"]).await;
    assert_eq!(rv, after, "a no-op apply must not write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_then_conflicting_apply_needs_force() {
    let c = Cluster::start().await;
    let f = c.manifest("d.yaml", DEPLOY);
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    c.kubectl_ok(&["-n", &c.ns, "scale", "deploy", "web", "--replicas=5"]).await;
    let out = c.kubectl(&["apply", "--server-side", "-f", &f]).await;
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("Apply failed with 1 conflict"), "{err}");
    assert!(err.contains(".spec.replicas"), "{err}");
    assert!(err.contains("subresource \"scale\""), "{err}");
    let replicas = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]).await;
    assert_eq!(replicas, "5", "a refused apply changes nothing");

    c.kubectl_ok(&["apply", "--server-side", "--force-conflicts", "-f", &f]).await;
    let replicas = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]).await;
    assert_eq!(replicas, "2");
    let mf = c
        .kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.managedFields[*].manager}"])
        .await;
    assert!(mf.contains("kubectl"), "{mf}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_by_another_manager_conflicts_with_apply() {
    let c = Cluster::start().await;
    let f = c.manifest("d.yaml", DEPLOY);
    c.kubectl_ok(&["apply", "--server-side", "--field-manager", "driftless", "-f", &f]).await;
    c.kubectl_ok(&[
        "-n",
        &c.ns,
        "patch",
        "deploy",
        "web",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"labels":{"tier":"backend"}}}"#,
    ])
    .await;
    let out = c.kubectl(&["apply", "--server-side", "--field-manager", "driftless", "-f", &f]).await;
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("conflict with \"kubectl-patch\""), "{err}");
    assert!(err.contains(".metadata.labels.tier"), "{err}");
    // A strategic merge patch adding a container, as kubectl patch does by default.
    c.kubectl_ok(&[
        "-n",
        &c.ns,
        "patch",
        "deploy",
        "web",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1"}]}}}}"#,
    ])
    .await;
    let names = c
        .kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[*].name}"])
        .await;
    // A strategic merge patch puts the patch's new items first, as the API server does.
    assert_eq!(names, "sidecar nginx");
    c.kubectl_ok(&["apply", "--server-side", "--force-conflicts", "--field-manager", "driftless", "-f", &f]).await;
    let tier = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.labels.tier}"]).await;
    assert_eq!(tier, "frontend");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_object() {
    let c = Cluster::start().await;
    let f = c.manifest("d.yaml", DEPLOY);
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    let out = c.kubectl_ok(&["-n", &c.ns, "delete", "deploy", "web"]).await;
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    let out = c.kubectl(&["-n", &c.ns, "get", "deploy", "web"]).await;
    assert!(!out.status.success());
    assert!(text(&out).1.contains("deployments.apps \"web\" not found"), "{}", text(&out).1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_sees_changes() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let c = Cluster::start().await;
    let mut child = tokio::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&c.kubeconfig)
        .arg("--cache-dir")
        .arg(c.dir.path().join("watch-cache"))
        .args([
            "-n",
            &c.ns,
            "get",
            "configmaps",
            "-w",
            "--output-watch-events",
            "-o",
            "jsonpath={.type} {.object.metadata.name} {.object.data.v}{\"\\n\"}",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("kubectl get -w");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // kube-root-ca.crt (added by the cluster) is listed first; then our changes arrive.
    let mut seen = Vec::new();
    let mut step = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while step < 3 {
        if step == 0 && seen.iter().any(|l: &String| l.starts_with("ADDED kube-root-ca.crt")) {
            c.configmap("watched", "v", "one").await;
            step = 1;
        }
        let line =
            tokio::time::timeout_at(deadline, lines.next_line()).await.expect("watch output in time").unwrap().unwrap();
        if step == 1 && line == "ADDED watched one" {
            c.kubectl_ok(&[
                "-n",
                &c.ns,
                "patch",
                "configmap",
                "watched",
                "--type",
                "merge",
                "-p",
                r#"{"data":{"v":"two"}}"#,
            ])
            .await;
            step = 2;
        } else if step == 2 && line == "MODIFIED watched two" {
            c.kubectl_ok(&["-n", &c.ns, "delete", "configmap", "watched"]).await;
            step = 3;
        }
        seen.push(line);
    }
    let line = tokio::time::timeout_at(deadline, async {
        loop {
            let l = lines.next_line().await.unwrap().unwrap();
            if l.starts_with("DELETED watched") {
                return l;
            }
        }
    })
    .await
    .expect("DELETED event in time");
    assert!(line.contains("watched"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_available_deployment() {
    let c = Cluster::start().await;
    let f = c.manifest("d.yaml", DEPLOY);
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    let out =
        c.kubectl_ok(&["-n", &c.ns, "wait", "--for=condition=Available", "deployment/web", "--timeout=60s"]).await;
    assert!(out.contains("condition met"), "{out}");
    let ready = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}"]).await;
    assert_eq!(ready, "2");
    let table = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web"]).await;
    assert!(table.contains("READY") && table.contains("2/2"), "{table}");
}

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.driftless.dev
spec:
  group: example.driftless.dev
  names:
    kind: Widget
    plural: widgets
    singular: widget
    shortNames: [wdg]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Size
      type: integer
      jsonPath: .spec.size
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size:
                type: integer
              color:
                type: string
                default: blue
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crd_then_custom_resource() {
    let c = Cluster::start().await;
    if !c.is_emulated() {
        // A shared real cluster may not want CRDs installed by tests.
        return;
    }
    let f = c.manifest("crd.yaml", CRD);
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    c.kubectl_ok(&["wait", "--for=condition=Established", "crd/widgets.example.driftless.dev", "--timeout=30s"]).await;
    let cr = c.manifest(
        "w.yaml",
        "apiVersion: example.driftless.dev/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: NAMESPACE\nspec:\n  size: 3\n  shape: round\n",
    );
    let out = c.kubectl(&["apply", "--server-side", "-f", &cr]).await;
    let (_, err) = text(&out);
    // kubectl validates strictly: the undeclared field is refused.
    assert!(!out.status.success(), "unknown field accepted");
    assert!(err.contains("shape"), "{err}");
    let cr = c.manifest(
        "w.yaml",
        "apiVersion: example.driftless.dev/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: NAMESPACE\nspec:\n  size: 3\n",
    );
    c.kubectl_ok(&["apply", "--server-side", "-f", &cr]).await;
    let color = c.kubectl_ok(&["-n", &c.ns, "get", "wdg", "w1", "-o", "jsonpath={.spec.color}"]).await;
    assert_eq!(color, "blue", "schema defaults apply");
    let table = c.kubectl_ok(&["-n", &c.ns, "get", "widgets"]).await;
    assert!(table.contains("SIZE") && table.contains("w1") && table.contains('3'), "{table}");
    let resources = c.kubectl_ok(&["api-resources", "--api-group=example.driftless.dev"]).await;
    assert!(resources.contains("widgets") && resources.contains("wdg"), "{resources}");
    // Deleting the CRD removes its kind and its objects.
    c.kubectl_ok(&["delete", "crd", "widgets.example.driftless.dev"]).await;
    let out = c.kubectl(&["-n", &c.ns, "get", "widgets.example.driftless.dev"]).await;
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_dry_run_changes_nothing() {
    let c = Cluster::start().await;
    let f = c.manifest("d.yaml", DEPLOY);
    let out = c.kubectl_ok(&["apply", "--server-side", "--dry-run=server", "-f", &f]).await;
    assert!(out.contains("serverside-applied (server dry run)"), "{out}");
    let out = c.kubectl(&["-n", &c.ns, "get", "deploy", "web"]).await;
    assert!(!out.status.success(), "dry run must not create");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_commands_send_protobuf_and_work() {
    let c = Cluster::start().await;
    let other = format!("{}-x", c.ns);
    c.kubectl_ok(&["create", "namespace", &other]).await;
    c.kubectl_ok(&["-n", &c.ns, "create", "configmap", "settings", "--from-literal=mode=fast"]).await;
    c.kubectl_ok(&["-n", &c.ns, "create", "secret", "generic", "creds", "--from-literal=token=s3cr3t"]).await;
    c.kubectl_ok(&["-n", &c.ns, "create", "deployment", "api", "--image=nginx:1.27", "--replicas=3"]).await;
    let mode = c.kubectl_ok(&["-n", &c.ns, "get", "cm", "settings", "-o", "jsonpath={.data.mode}"]).await;
    assert_eq!(mode, "fast");
    let token = c.kubectl_ok(&["-n", &c.ns, "get", "secret", "creds", "-o", "jsonpath={.data.token}"]).await;
    assert_eq!(token, "czNjcjN0");
    let replicas = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"]).await;
    assert_eq!(replicas, "3");
    let phase = c.kubectl_ok(&["get", "namespace", &other, "-o", "jsonpath={.status.phase}"]).await;
    assert_eq!(phase, "Active");
    c.kubectl_ok(&["delete", "namespace", &other]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantities_are_stored_in_canonical_form() {
    let c = Cluster::start().await;
    let with_resources = DEPLOY.replace(
        "        image: nginx:1.27\n",
        "        image: nginx:1.27\n        resources:\n          requests:\n            cpu: 0.5\n            memory: 1024Mi\n          limits:\n            cpu: 1000m\n",
    );
    let f = c.manifest("d.yaml", &with_resources);
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    let r = c
        .kubectl_ok(&[
            "-n",
            &c.ns,
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].resources}",
        ])
        .await;
    assert!(r.contains("\"cpu\":\"500m\"") && r.contains("\"memory\":\"1Gi\"") && r.contains("\"cpu\":\"1\""), "{r}");
    // Applying the same manifest again is a no-op although it spells the quantities differently.
    c.kubectl_ok(&["-n", &c.ns, "rollout", "status", "deploy/web", "--timeout=60s"]).await;
    let rv = c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.resourceVersion}"]).await;
    c.kubectl_ok(&["apply", "--server-side", "-f", &f]).await;
    let after =
        c.kubectl_ok(&["-n", &c.ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.resourceVersion}"]).await;
    assert_eq!(rv, after);
}
