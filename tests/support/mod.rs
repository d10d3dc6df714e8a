//! Helpers that start the real parts integration tests talk to.
//!
//! A [`Cluster`] is the embedded Kubernetes API emulator, or, when
//! `DRIFTLESS_TEST_KUBECONFIG` names a kubeconfig, that real cluster. Each
//! test works in a namespace of its own, so tests run in parallel and leave
//! a real cluster as they found it.
#![allow(dead_code)]

use driftless::emulator::{Config, Emulator};
use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

pub struct Cluster {
    pub kubeconfig: PathBuf,
    /// A namespace created for this test.
    pub ns: String,
    pub emulator: Option<Emulator>,
    pub dir: tempfile::TempDir,
}

impl Cluster {
    /// A cluster with a fresh namespace.
    pub async fn start() -> Cluster {
        Cluster::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let (kubeconfig, emulator) = match std::env::var_os("DRIFTLESS_TEST_KUBECONFIG") {
            Some(path) => (PathBuf::from(path), None),
            None => {
                let emu = Emulator::start(config).await.expect("emulator starts");
                let path = dir.path().join("kubeconfig");
                emu.write_kubeconfig(&path).expect("write kubeconfig");
                (path, Some(emu))
            }
        };
        let ns = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let c = Cluster { kubeconfig, ns, emulator, dir };
        c.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: NAMESPACE\n").await;
        c
    }

    /// Whether this is the emulator (tests of emulator-only behaviour skip otherwise).
    pub fn is_emulated(&self) -> bool {
        self.emulator.is_some()
    }

    /// Runs the real kubectl against this cluster.
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_stdin(args, None).await
    }

    pub async fn kubectl_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        use tokio::io::AsyncWriteExt;
        let mut cmd = tokio::process::Command::new("kubectl");
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("kubectl-cache"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("kubectl runs");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await.expect("write stdin");
        }
        drop(input);
        tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("kubectl finished within 60s")
            .expect("kubectl output")
    }

    /// Runs kubectl and fails the test unless it succeeds; returns stdout.
    pub async fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl apply --server-side` of a YAML text (NAMESPACE replaced by the test's namespace).
    pub async fn apply(&self, yaml: &str) -> String {
        let text = yaml.replace("NAMESPACE", &self.ns);
        let out = self.kubectl_stdin(&["apply", "--server-side", "-f", "-"], Some(&text)).await;
        assert!(
            out.status.success(),
            "kubectl apply failed:\n{text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A ConfigMap in the test's namespace with one key.
    pub async fn configmap(&self, name: &str, key: &str, value: &str) {
        self.apply(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: NAMESPACE\ndata:\n  {key}: \"{value}\"\n"
        ))
        .await;
    }

    /// A kube client for this cluster.
    pub async fn client(&self) -> kube::Client {
        driftless::init_crypto();
        let kc = kube::config::Kubeconfig::read_from(&self.kubeconfig).expect("read kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("kube config");
        kube::Client::try_from(config).expect("kube client")
    }

    /// The API server URL.
    pub fn url(&self) -> String {
        let text = std::fs::read_to_string(&self.kubeconfig).expect("read kubeconfig");
        text.lines()
            .find_map(|l| l.trim().strip_prefix("server:").map(|s| s.trim().to_string()))
            .expect("server in kubeconfig")
    }

    /// Writes a manifest into the test's directory and returns its path.
    pub fn manifest(&self, name: &str, yaml: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, yaml.replace("NAMESPACE", &self.ns)).expect("write manifest");
        path.to_string_lossy().into_owned()
    }
}

/// Polls `check` until it returns `Some`, or fails the test after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {within:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A git server's repository for tests: a bare repository and a clone to
/// commit in, made with the real git CLI.
pub struct GitRepo {
    pub bare: PathBuf,
    pub work: PathBuf,
}

/// Runs git in `dir` with a fixed identity; fails the test on error.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl GitRepo {
    /// A bare repository under `root` with one commit holding `files`.
    pub fn new(root: &std::path::Path, files: &[(&str, &str)]) -> GitRepo {
        std::fs::create_dir_all(root).unwrap();
        git(root, &["init", "--quiet", "--bare", "repo.git"]);
        git(root, &["clone", "--quiet", "repo.git", "work"]);
        let r = GitRepo { bare: root.join("repo.git"), work: root.join("work") };
        for (path, text) in files {
            r.write(path, text);
        }
        r.commit("initial");
        git(&r.work, &["push", "--quiet", "origin", "HEAD:main"]);
        r
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    pub fn write(&self, path: &str, text: &str) {
        let p = self.work.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.work.join(path)).unwrap();
    }

    pub fn commit(&self, message: &str) {
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "--quiet", "--allow-empty", "-m", message]);
    }

    /// `git push`; returns the pushed commit.
    pub fn push(&self) -> String {
        git(&self.work, &["push", "--quiet", "origin", "HEAD:main"]);
        git(&self.work, &["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Installs the real post-receive hook, pointed at `url` with the secret in `secret_file`.
    pub fn install_hook(&self, url: &str, secret_file: &std::path::Path) {
        let hook = self.bare.join("hooks/post-receive");
        std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/post-receive"), &hook).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        git(&self.bare, &["config", "driftless.url", url]);
        git(&self.bare, &["config", "driftless.secretFile", &secret_file.display().to_string()]);
    }
}

/// Starts the driftless daemon in-process against `c`, with `config` (Flux
/// objects) and `secrets` ((secret, key, value)) written under `root`.
pub async fn start_daemon(
    c: &Cluster,
    root: &std::path::Path,
    config: &str,
    secrets: &[(&str, &str, &[u8])],
) -> driftless::cli::serve::Daemon {
    start_daemon_with(c, root, config, secrets, false).await
}

/// [`start_daemon`], in reconcile-everything mode when `everything`. A second
/// daemon started with the same `root` reuses the first one's data directory.
pub async fn start_daemon_with(
    c: &Cluster,
    root: &std::path::Path,
    config: &str,
    secrets: &[(&str, &str, &[u8])],
    everything: bool,
) -> driftless::cli::serve::Daemon {
    let secrets_dir = root.join("secrets");
    for (name, key, value) in secrets {
        std::fs::create_dir_all(secrets_dir.join(name)).unwrap();
        std::fs::write(secrets_dir.join(name).join(key), value).unwrap();
    }
    let config = driftless::api::load_str(config, "test config").expect("valid config");
    let args = driftless::cli::serve::DaemonArgs {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: root.join("data"),
        secrets_dir: Some(secrets_dir),
        kubeconfig: Some(c.kubeconfig.clone()),
        embedded_cluster: false,
        embedded_cluster_listen: "127.0.0.1:0".parse().unwrap(),
        field_manager: "driftless".into(),
        concurrency: 4,
        inventory_namespace: None,
        strict_substitution: false,
        reconcile_everything: everything,
    };
    driftless::cli::serve::Daemon::start(config, &args).await.expect("daemon starts")
}
