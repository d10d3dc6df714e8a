//! `driftless quickstart`: driftless end to end on its embedded defaults. It
//! creates a working directory with a bare git repository (post-receive hook
//! installed), a clone holding an example like Flux's (`clusters/dev`: a
//! `my-app` Namespace and an nginx Deployment), a config, a secrets
//! directory, and runs the daemon against the embedded cluster until Ctrl-C.

use super::serve::{Daemon, DaemonArgs, shutdown_signal};
use crate::api;
use crate::reconcile::status::Ready;
use anyhow::{Context, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Working directory (created if missing; reused if it holds a quickstart).
    #[arg(long, default_value = "driftless-quickstart")]
    pub dir: PathBuf,
    /// Address of driftless's HTTP server (the hook posts here).
    #[arg(long, default_value = "127.0.0.1:9292")]
    pub listen: SocketAddr,
    /// Address of the embedded cluster's API (kubectl talks to it).
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub cluster_listen: SocketAddr,
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: my-app\n";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: my-app
  labels:
    app: nginx
spec:
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
";

fn config(repo_url: &str) -> String {
    format!(
        "# driftless quickstart: Flux objects, loaded unchanged.
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: quickstart
  namespace: flux-system
spec:
  interval: 1m0s
  url: {repo_url}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: dev
  namespace: flux-system
spec:
  interval: 1m0s
  path: ./clusters/dev
  prune: true
  sourceRef:
    kind: GitRepository
    name: quickstart
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: git-push
  namespace: flux-system
spec:
  type: generic-hmac
  secretRef:
    name: webhook-token
  resources:
  - apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    name: quickstart
"
    )
}

/// Runs git, failing with its stderr.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=driftless quickstart",
            "-c",
            "user.email=quickstart@driftless.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates the working directory unless it already holds a quickstart.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.join("driftless.yaml").is_file() && dir.join("repo.git").is_dir() {
        return Ok(());
    }
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} exists and is not a quickstart directory; pass --dir to choose another", dir.display());
    }
    std::fs::create_dir_all(dir)?;
    let abs = dir.canonicalize()?;
    git(&abs, &["init", "--quiet", "--bare", "repo.git"])?;
    git(&abs, &["clone", "--quiet", "repo.git", "work"])?;
    let work = abs.join("work");
    std::fs::create_dir_all(work.join("clusters/dev"))?;
    std::fs::write(work.join("clusters/dev/namespace.yaml"), NAMESPACE)?;
    std::fs::write(work.join("clusters/dev/deployment.yaml"), DEPLOYMENT)?;
    git(&work, &["add", "."])?;
    git(&work, &["commit", "--quiet", "-m", "Example: my-app with an nginx Deployment"])?;
    git(&work, &["push", "--quiet", "origin", "HEAD:main"])?;
    let secret = abs.join("secrets/webhook-token");
    std::fs::create_dir_all(&secret)?;
    std::fs::write(secret.join("token"), random_token())?;
    let repo_url = format!("file://{}", abs.join("repo.git").display());
    std::fs::write(abs.join("driftless.yaml"), config(&repo_url))?;
    Ok(())
}

/// Installs the post-receive hook, pointed at the running daemon.
fn install_hook(dir: &Path, hook_url: &str) -> anyhow::Result<()> {
    let repo = dir.join("repo.git");
    let hook = repo.join("hooks/post-receive");
    std::fs::write(&hook, include_str!("../../hooks/post-receive"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    }
    let secret = dir.join("secrets/webhook-token/token");
    git(&repo, &["config", "driftless.url", hook_url])?;
    git(&repo, &["config", "driftless.secretFile", &secret.display().to_string()])?;
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    prepare(&args.dir)?;
    let dir = args.dir.canonicalize()?;
    let config = api::load_file(&dir.join("driftless.yaml")).map_err(|e| anyhow::anyhow!("{e}"))?;
    let daemon_args = DaemonArgs {
        listen: args.listen,
        data_dir: dir.join("data"),
        secrets_dir: Some(dir.join("secrets")),
        kubeconfig: None,
        embedded_cluster: true,
        embedded_cluster_listen: args.cluster_listen,
        field_manager: "driftless".into(),
        concurrency: 4,
        inventory_namespace: None,
        strict_substitution: false,
        reconcile_everything: false,
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let daemon = Daemon::start(config, &daemon_args).await?;
        let receiver = daemon.engine.receivers().first().map(|r| r.path.clone()).unwrap_or_default();
        install_hook(&dir, &format!("http://{}{}", daemon.addr, receiver))?;
        // Wait for the first apply, so what is printed next is already true.
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let statuses = daemon.engine.kustomization_statuses();
            if statuses.iter().all(|s| s.ready != Ready::Unknown) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        print_next_steps(&dir, &daemon);
        shutdown_signal().await;
        daemon.stop().await;
        println!("stopped; run `driftless quickstart --dir {}` again to resume", dir.display());
        Ok(ExitCode::SUCCESS)
    })
}

fn print_next_steps(dir: &Path, daemon: &Daemon) {
    let kubeconfig = daemon.kubeconfig.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let ks = daemon.engine.kustomization_statuses();
    let state = ks
        .first()
        .map(|s| format!("{} ({}: {})", s.message, s.namespace, s.name))
        .unwrap_or_else(|| "no Kustomization".into());
    println!(
        "
driftless quickstart is running — {state}

  the cluster   kubectl --kubeconfig {kubeconfig} get deploy -A
  the repo      {dir}/work   (a clone; {dir}/repo.git has the post-receive hook)
  the status    driftless get kustomizations --server http://{addr}
  the config    {dir}/driftless.yaml

Try it:
  cd {dir}/work
  sed -i 's/replicas: 2/replicas: 3/' clusters/dev/deployment.yaml
  git commit -am 'Scale nginx to 3' && git push
  kubectl --kubeconfig {kubeconfig} -n my-app get deploy nginx

Ctrl-C stops driftless and the embedded cluster.",
        dir = dir.display(),
        addr = daemon.addr,
    );
}
