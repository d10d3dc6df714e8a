//! Affected-path planning through the daemon, on real parts (git with the
//! post-receive hook, the receiver, the emulator): a push renders and applies
//! only the Kustomizations whose inputs it changed; the others record the
//! revision as seen; the plan is visible in the status API and in
//! `/metrics`; records survive a restart; reconcile-everything mode runs all.

mod support;

use driftless::cli::serve::Daemon;
use driftless::reconcile::status::{KustomizationStatus, Ready, SourceStatus};
use std::time::Duration;
use support::{Cluster, GitRepo, eventually};

const TOKEN: &str = "plan-hook-token";
const WAIT: Duration = Duration::from_secs(30);

fn cm(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
}

fn overlay(prefix: &str, extra: &str) -> String {
    format!("resources:\n- ../../base\n- app.yaml\nnamePrefix: {prefix}-\n{extra}")
}

const PATCH: &str = "patches:\n- path: patch.yaml\n";

/// A base used by two overlays, and a plain directory.
fn files() -> Vec<(String, String)> {
    vec![
        ("clusters/base/kustomization.yaml".into(), "resources:\n- shared.yaml\n".into()),
        ("clusters/base/shared.yaml".into(), cm("shared", "1")),
        ("clusters/dev/app-a/kustomization.yaml".into(), overlay("a", "")),
        ("clusters/dev/app-a/app.yaml".into(), cm("app", "1")),
        ("clusters/dev/app-b/kustomization.yaml".into(), overlay("b", PATCH)),
        ("clusters/dev/app-b/app.yaml".into(), cm("app", "1")),
        (
            "clusters/dev/app-b/patch.yaml".into(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  labels:\n    patched: \"yes\"\n".into(),
        ),
        ("clusters/dev/plain/one.yaml".into(), cm("plain-one", "1")),
        ("clusters/dev/vars/cm.yaml".into(), cm("vars-out", "${v}")),
        ("README.md".into(), "# fleet\n".into()),
    ]
}

/// A Kustomization whose postBuild variables come from ConfigMap `vars`.
fn vars_kustomization(ns: &str) -> String {
    format!(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: vars\n  namespace: {ns}\n\
         spec:\n  interval: 1h\n  path: ./clusters/dev/vars\n  prune: true\n  targetNamespace: {ns}\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n\
         \x20 postBuild:\n    substituteFrom:\n    - kind: ConfigMap\n      name: vars\n      optional: true\n"
    )
}

fn config(ns: &str, url: &str, annotation: &str) -> String {
    let ks = |name: &str, path: &str| {
        format!(
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: {ns}\n\
             spec:\n  interval: 1h\n  path: ./{path}\n  prune: true\n  targetNamespace: {ns}\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n"
        )
    };
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n  namespace: {ns}\n{annotation}\
         spec:\n  interval: 1h\n  url: {url}\n  ref:\n    branch: main\n{}{}{}---\n\
         apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata:\n  name: hook\n  namespace: {ns}\n\
         spec:\n  type: generic-hmac\n  secretRef:\n    name: hook-token\n  resources:\n  - kind: GitRepository\n    name: fleet\n",
        ks("app-a", "clusters/dev/app-a"),
        ks("app-b", "clusters/dev/app-b"),
        ks("plain", "clusters/dev/plain"),
    )
}

struct Env {
    c: Cluster,
    repo: GitRepo,
    daemon: Option<Daemon>,
    config: String,
    everything: bool,
    root: tempfile::TempDir,
}

impl Env {
    async fn start(everything: bool, annotation: &str) -> Env {
        Env::start_with(everything, annotation, |_| String::new()).await
    }

    /// Starts with more Kustomizations (`extra` is given the test namespace).
    async fn start_with(everything: bool, annotation: &str, extra: impl Fn(&str) -> String) -> Env {
        let c = Cluster::start().await;
        let root = tempfile::tempdir().unwrap();
        let files = files();
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let repo = GitRepo::new(&root.path().join("git"), &refs);
        let config = config(&c.ns, &repo.url(), annotation) + &extra(&c.ns);
        let mut env = Env { c, repo, daemon: None, config, everything, root };
        env.restart().await;
        env
    }

    /// Starts the daemon (again), with the same data directory.
    async fn restart(&mut self) {
        if let Some(d) = self.daemon.take() {
            d.stop().await;
        }
        let token = format!("{TOKEN}\n");
        let secrets: [(&str, &str, &[u8]); 1] = [("hook-token", "token", token.as_bytes())];
        let daemon =
            support::start_daemon_with(&self.c, self.root.path(), &self.config, &secrets, self.everything).await;
        let path = daemon.engine.receivers()[0].path.clone();
        self.repo
            .install_hook(&format!("http://{}{path}", daemon.addr), &self.root.path().join("secrets/hook-token/token"));
        self.daemon = Some(daemon);
    }

    fn daemon(&self) -> &Daemon {
        self.daemon.as_ref().unwrap()
    }

    fn ks(&self, name: &str) -> KustomizationStatus {
        self.daemon().engine.kustomization_statuses().into_iter().find(|s| s.name == name).unwrap()
    }

    fn source(&self) -> SourceStatus {
        self.daemon().engine.source_statuses().into_iter().next().unwrap()
    }

    /// A counter or gauge from `GET /metrics` (0 when absent).
    async fn metric(&self, line_start: &str) -> u64 {
        let url = format!("http://{}/metrics", self.daemon().addr);
        let text = reqwest::get(&url).await.unwrap().text().await.unwrap();
        text.lines().find_map(|l| l.strip_prefix(line_start).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0)
    }

    async fn renders(&self) -> u64 {
        self.metric("driftless_renders_total ").await
    }

    /// Waits until every Kustomization in `names` applied `commit`.
    async fn applied(&self, names: &[&str], commit: &str) {
        for name in names {
            eventually(WAIT, &format!("{name} to apply {commit}"), || async {
                let st = self.ks(name);
                (st.ready == Ready::True && st.last_applied_revision.as_deref().is_some_and(|r| r.ends_with(commit)))
                    .then_some(())
            })
            .await;
        }
    }

    /// Waits for the plan of `commit` and returns it.
    async fn plan_of(&self, commit: &str) -> driftless::reconcile::status::PlanSummary {
        eventually(WAIT, &format!("the plan of {commit}"), || async {
            self.source().last_plan.filter(|p| p.to.ends_with(commit))
        })
        .await
    }

    async fn configmap(&self, name: &str) -> Option<String> {
        let out = self.c.kubectl(&["get", "configmap", name, "-n", &self.c.ns, "-o", "jsonpath={.data.v}"]).await;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    async fn wait_configmap(&self, name: &str, v: &str) {
        eventually(WAIT, &format!("configmap {name} = {v}"), || async {
            (self.configmap(name).await.as_deref() == Some(v)).then_some(())
        })
        .await
    }
}

fn affected_names(plan: &driftless::reconcile::status::PlanSummary) -> Vec<String> {
    let mut names: Vec<String> = plan.affected_kustomizations.iter().map(|a| a.name.clone()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_renders_and_applies_only_what_it_touched() {
    let env = Env::start(false, "").await;
    let ns = env.c.ns.clone();
    let first = support::git(&env.repo.work, &["rev-parse", "HEAD"]).trim().to_string();
    env.applied(&["app-a", "app-b", "plain"], &first).await;
    let plan = env.plan_of(&first).await;
    assert_eq!((plan.total, plan.affected, plan.skipped), (3, 3, 0), "first revision: everything runs");
    assert!(plan.affected_kustomizations.iter().all(|a| a.reason == "first render"), "{plan:?}");
    assert_eq!(env.renders().await, 3);

    // One app's file: only that app.
    env.repo.write("clusters/dev/app-a/app.yaml", &cm("app", "2"));
    env.repo.commit("app-a v2");
    let second = env.repo.push();
    env.wait_configmap("a-app", "2").await;
    env.applied(&["app-a"], &second).await;
    let plan = env.plan_of(&second).await;
    assert_eq!((plan.total, plan.affected, plan.skipped), (3, 1, 2), "{plan:?}");
    assert_eq!(affected_names(&plan), [format!("{ns}/app-a")]);
    assert_eq!(plan.affected_kustomizations[0].reason, "clusters/dev/app-a/app.yaml changed");
    assert_eq!(env.renders().await, 4, "one render for the push");
    assert_eq!(env.metric("driftless_applies_total ").await, 4, "one apply for the push");
    for name in ["app-b", "plain"] {
        let st = env.ks(name);
        assert!(st.last_seen_revision.as_deref().is_some_and(|r| r.ends_with(&second)), "{st:?}");
        assert!(st.last_applied_revision.as_deref().is_some_and(|r| r.ends_with(&first)), "{st:?}");
        assert!(st.last_plan.as_deref().is_some_and(|p| p.contains("nothing it reads changed")), "{st:?}");
    }
    let line = format!("driftless_last_plan_skipped{{source=\"{ns}/fleet\"}} ");
    assert_eq!(env.metric(&line).await, 2);

    // A file no Kustomization reads: nothing runs.
    env.repo.write("README.md", "# fleet, documented\n");
    env.repo.commit("docs");
    let docs = env.repo.push();
    let plan = env.plan_of(&docs).await;
    assert_eq!((plan.affected, plan.skipped), (0, 3), "{plan:?}");
    assert_eq!(env.renders().await, 4);

    // The shared base: both overlays that use it, not the plain directory.
    env.repo.write("clusters/base/shared.yaml", &cm("shared", "2"));
    env.repo.commit("base v2");
    let base = env.repo.push();
    env.wait_configmap("a-shared", "2").await;
    env.wait_configmap("b-shared", "2").await;
    let plan = env.plan_of(&base).await;
    assert_eq!(affected_names(&plan), [format!("{ns}/app-a"), format!("{ns}/app-b")]);
    assert!(plan.affected_kustomizations.iter().all(|a| a.reason == "clusters/base/shared.yaml changed"), "{plan:?}");

    // A file added to a directory without kustomization.yaml: that Kustomization.
    env.repo.write("clusters/dev/plain/two.yaml", &cm("plain-two", "1"));
    env.repo.commit("plain two");
    let added = env.repo.push();
    env.wait_configmap("plain-two", "1").await;
    let plan = env.plan_of(&added).await;
    assert_eq!(affected_names(&plan), [format!("{ns}/plain")]);

    // A deleted patch file: the Kustomization that used it runs and fails; nothing else runs.
    env.repo.remove("clusters/dev/app-b/patch.yaml");
    env.repo.commit("drop the patch");
    let broken = env.repo.push();
    let plan = env.plan_of(&broken).await;
    assert_eq!(affected_names(&plan), [format!("{ns}/app-b")]);
    eventually(WAIT, "app-b to fail", || async {
        let st = env.ks("app-b");
        (st.ready == Ready::False && st.last_attempted_revision.as_deref().is_some_and(|r| r.ends_with(&broken)))
            .then_some(st)
    })
    .await;
    assert_eq!(env.configmap("b-app").await.as_deref(), Some("1"), "a failed render changes nothing");

    // Until it succeeds again, a failed Kustomization runs at every revision.
    env.repo.write("README.md", "# fleet, again\n");
    env.repo.commit("docs again");
    let again = env.repo.push();
    let plan = env.plan_of(&again).await;
    assert_eq!(affected_names(&plan), [format!("{ns}/app-b")]);
    assert_eq!(plan.affected_kustomizations[0].reason, "its last reconcile failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_continues_after_a_restart() {
    let mut env = Env::start(false, "").await;
    let first = support::git(&env.repo.work, &["rev-parse", "HEAD"]).trim().to_string();
    env.applied(&["app-a", "app-b", "plain"], &first).await;
    // Records reach the disk (the writer runs when they change and at shutdown).
    env.daemon.take().unwrap().stop().await;

    // Pushed while driftless is down (the hook's notification fails; the push does not).
    env.repo.write("clusters/dev/app-a/app.yaml", &cm("app", "3"));
    env.repo.commit("app-a v3");
    let second = env.repo.push();
    env.restart().await;
    env.wait_configmap("a-app", "3").await;
    env.applied(&["app-a"], &second).await;
    let plan = env.plan_of(&second).await;
    assert!(plan.from.as_deref().is_some_and(|f| f.ends_with(&first)), "planned from the recorded revision: {plan:?}");
    assert_eq!((plan.affected, plan.skipped), (1, 2), "{plan:?}");
    assert_eq!(env.renders().await, 1, "one render after the restart");
    let b = env.ks("app-b");
    assert_eq!(b.ready, Ready::True, "a skipped Kustomization is up to date: {b:?}");
    assert!(b.last_seen_revision.as_deref().is_some_and(|r| r.ends_with(&second)), "{b:?}");

    // And a push after the restart plans from there.
    env.repo.write("clusters/dev/app-b/app.yaml", &cm("app", "4"));
    env.repo.commit("app-b v4");
    let third = env.repo.push();
    env.wait_configmap("b-app", "4").await;
    let plan = env.plan_of(&third).await;
    assert_eq!(affected_names(&plan), [format!("{}/app-b", env.c.ns)]);
    assert_eq!(env.renders().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_record_file_makes_everything_affected() {
    let mut env = Env::start(false, "").await;
    let first = support::git(&env.repo.work, &["rev-parse", "HEAD"]).trim().to_string();
    env.applied(&["app-a", "app-b", "plain"], &first).await;
    env.daemon.take().unwrap().stop().await;
    let dir = env.root.path().join("data/readsets");
    let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&file, b"{\"version\": 1, \"records\": {\"x\": ").unwrap();
    env.repo.write("clusters/dev/app-a/app.yaml", &cm("app", "5"));
    env.repo.commit("app-a v5");
    let second = env.repo.push();
    env.restart().await;
    env.applied(&["app-a", "app-b", "plain"], &second).await;
    let plan = env.plan_of(&second).await;
    assert_eq!((plan.affected, plan.skipped), (3, 0), "{plan:?}");
    assert!(plan.affected_kustomizations.iter().all(|a| a.reason.contains("not valid JSON")), "{plan:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_everything_mode_runs_every_kustomization() {
    for (everything, annotation) in [(true, ""), (false, "  annotations:\n    driftless.dev/plan: everything\n")] {
        let env = Env::start(everything, annotation).await;
        let first = support::git(&env.repo.work, &["rev-parse", "HEAD"]).trim().to_string();
        env.applied(&["app-a", "app-b", "plain"], &first).await;
        env.repo.write("clusters/dev/app-a/app.yaml", &cm("app", "2"));
        env.repo.commit("app-a v2");
        let second = env.repo.push();
        env.applied(&["app-a", "app-b", "plain"], &second).await;
        let plan = env.plan_of(&second).await;
        assert_eq!(plan.mode, "everything");
        assert_eq!((plan.affected, plan.skipped), (3, 0), "{plan:?}");
        assert!(plan.affected_kustomizations.iter().all(|a| a.reason == "reconcile-everything mode"), "{plan:?}");
        assert_eq!(env.renders().await, 6, "every Kustomization renders at every revision");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_substitution_source_affects_its_kustomization_at_the_next_revision() {
    let env = Env::start_with(false, "", vars_kustomization).await;
    let ns = env.c.ns.clone();
    let first = support::git(&env.repo.work, &["rev-parse", "HEAD"]).trim().to_string();
    env.applied(&["app-a", "app-b", "plain", "vars"], &first).await;
    // Optional and absent: no variables at all, so (as in Flux) nothing is substituted.
    assert_eq!(env.configmap("vars-out").await.as_deref(), Some("${v}"));

    // The ConfigMap appears in the cluster; the next revision, which changes no file it reads, runs it.
    env.c.configmap("vars", "v", "from-the-cluster").await;
    env.repo.write("README.md", "# fleet, with vars\n");
    env.repo.commit("docs");
    let second = env.repo.push();
    env.wait_configmap("vars-out", "from-the-cluster").await;
    let plan = env.plan_of(&second).await;
    assert_eq!(affected_names(&plan), [format!("{ns}/vars")]);
    assert_eq!(plan.affected_kustomizations[0].reason, "spec or inputs changed");

    // Unchanged since: skipped again.
    env.repo.write("README.md", "# fleet, with vars, again\n");
    env.repo.commit("docs again");
    let third = env.repo.push();
    let plan = env.plan_of(&third).await;
    assert_eq!(plan.affected, 0, "{plan:?}");
}

/// Three Kustomizations in a chain: `second` depends on `first`, `third` on `second`.
fn chain(ns: &str) -> String {
    ["first", "second", "third"]
        .iter()
        .zip(["", "first", "second"])
        .map(|(name, dep)| {
            let depends = if dep.is_empty() { String::new() } else { format!("  dependsOn:\n  - name: {dep}\n") };
            format!(
                "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: {ns}\n\
                 spec:\n  interval: 1h\n  path: ./chain/{name}\n  prune: true\n  targetNamespace: {ns}\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n{depends}"
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dependency_chain_starts_each_link_when_the_previous_one_is_ready() {
    let env = Env::start_with(false, "", chain).await;
    let ns = env.c.ns.clone();
    // `first` is broken at the start: nothing of the chain applies, and each link says what it waits for.
    env.repo.write("chain/first/kustomization.yaml", "resources:\n- missing.yaml\n");
    env.repo.write("chain/second/cm.yaml", &cm("second", "1"));
    env.repo.write("chain/third/cm.yaml", &cm("third", "1"));
    env.repo.commit("a chain");
    let broken = env.repo.push();
    eventually(WAIT, "the chain to wait", || async {
        let (second, third) = (env.ks("second"), env.ks("third"));
        (second.reason == "DependencyNotReady" && third.reason == "DependencyNotReady").then_some((second, third))
    })
    .await;
    assert_eq!(env.ks("first").reason, "BuildFailed");
    assert_eq!(env.ks("second").message, format!("dependency '{ns}/first' is not ready"));
    assert_eq!(env.ks("third").message, format!("dependency '{ns}/second' is not ready"));
    assert_eq!(env.configmap("second").await, None);
    let plan = env.plan_of(&broken).await;
    assert!(plan.affected >= 3, "{plan:?}");

    // Fixing `first` is enough: each link, once ready, starts the next (their interval is an hour).
    env.repo.write("chain/first/kustomization.yaml", "resources:\n- cm.yaml\n");
    env.repo.write("chain/first/cm.yaml", &cm("first", "1"));
    env.repo.commit("fix first");
    let fixed = env.repo.push();
    env.applied(&["first", "second", "third"], &fixed).await;
    // Applied in order: the API server's resourceVersions grow with every write.
    let mut versions = Vec::new();
    for name in ["first", "second", "third"] {
        let rv = env.c.kubectl_ok(&["-n", &ns, "get", "cm", name, "-o", "jsonpath={.metadata.resourceVersion}"]).await;
        versions.push(rv.trim().parse::<u64>().expect("a numeric resourceVersion"));
    }
    assert!(versions[0] < versions[1] && versions[1] < versions[2], "{versions:?}");
}
