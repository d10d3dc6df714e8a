//! `driftless serve`: the daemon. Loads the config, connects to the cluster
//! (or starts the embedded one), serves receivers and the status API, and runs
//! the reconcilers until interrupted.

use crate::api;
use crate::apply::cluster::Cluster;
use crate::config::Secrets;
use crate::emulator::{self, Emulator};
use crate::reconcile::{Engine, Settings};
use anyhow::{Context, anyhow};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The config file: GitRepository, Kustomization and Receiver objects (multi-document YAML).
    #[arg(long, env = "DRIFTLESS_CONFIG")]
    pub config: PathBuf,
    #[command(flatten)]
    pub daemon: DaemonArgs,
}

/// Settings shared by `serve` and `quickstart`.
#[derive(Debug, Clone, clap::Args)]
pub struct DaemonArgs {
    /// Address of the HTTP server (receivers, status API, health).
    #[arg(long, env = "DRIFTLESS_LISTEN", default_value = "127.0.0.1:9292")]
    pub listen: SocketAddr,
    /// Directory for git mirrors and state.
    #[arg(long, env = "DRIFTLESS_DATA_DIR", default_value = "driftless-data")]
    pub data_dir: PathBuf,
    /// Directory of secrets referenced by secretRef, laid out as <dir>/<secret-name>/<key>.
    #[arg(long, env = "DRIFTLESS_SECRETS_DIR")]
    pub secrets_dir: Option<PathBuf>,
    /// Kubeconfig of the cluster to apply to (default: KUBECONFIG, ~/.kube/config, then in-cluster).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Apply to the embedded Kubernetes API emulator instead of a cluster (state in <data-dir>/cluster,
    /// kubeconfig written to <data-dir>/kubeconfig).
    #[arg(long, conflicts_with = "kubeconfig")]
    pub embedded_cluster: bool,
    /// Address of the embedded cluster's API.
    #[arg(long, default_value = "127.0.0.1:6443", requires = "embedded_cluster")]
    pub embedded_cluster_listen: SocketAddr,
    /// Field manager for server-side apply.
    #[arg(long, env = "DRIFTLESS_FIELD_MANAGER", default_value = "driftless")]
    pub field_manager: String,
    /// How many Kustomizations may render and apply at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Namespace of the inventory ConfigMaps (default: each Kustomization's own namespace).
    #[arg(long)]
    pub inventory_namespace: Option<String>,
    /// postBuild substitution fails on a variable that is unset and has no default (Flux's
    /// StrictPostBuildSubstitutions feature gate); otherwise it becomes an empty string.
    #[arg(long, env = "DRIFTLESS_STRICT_SUBSTITUTION")]
    pub strict_substitution: bool,
    /// Every new revision reconciles every Kustomization of its source, as Flux does, instead of only
    /// the ones whose inputs it changed (per source: the GitRepository annotation `driftless.dev/plan: everything`).
    #[arg(long, env = "DRIFTLESS_RECONCILE_EVERYTHING")]
    pub reconcile_everything: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = match api::load_file(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let daemon = Daemon::start(config, &args.daemon).await?;
        daemon.print_endpoints();
        shutdown_signal().await;
        daemon.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// A running daemon.
pub struct Daemon {
    pub engine: Arc<Engine>,
    pub addr: SocketAddr,
    pub emulator: Option<Emulator>,
    pub kubeconfig: Option<PathBuf>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Daemon {
    /// Starts everything; returns once the HTTP server listens.
    pub async fn start(config: api::Config, args: &DaemonArgs) -> anyhow::Result<Daemon> {
        for w in &config.warnings {
            tracing::warn!("{w}");
        }
        std::fs::create_dir_all(&args.data_dir)
            .with_context(|| format!("creating the data directory {}", args.data_dir.display()))?;
        let (cluster, emulator, kubeconfig) = if args.embedded_cluster {
            let emu = Emulator::start(emulator::Config {
                listen: args.embedded_cluster_listen,
                data_dir: Some(args.data_dir.join("cluster")),
                ..emulator::Config::default()
            })
            .await?;
            let path = args.data_dir.join("kubeconfig");
            emu.write_kubeconfig(&path).with_context(|| format!("writing {}", path.display()))?;
            let cluster = Cluster::connect(Some(&path)).await?;
            (cluster, Some(emu), Some(path))
        } else {
            (Cluster::connect(args.kubeconfig.as_deref()).await?, None, args.kubeconfig.clone())
        };
        let settings = Settings {
            data_dir: args.data_dir.clone(),
            secrets: Secrets::new(args.secrets_dir.as_deref()),
            field_manager: args.field_manager.clone(),
            inventory_namespace: args.inventory_namespace.clone(),
            concurrency: args.concurrency,
            strict_substitution: args.strict_substitution,
            reconcile_everything: args.reconcile_everything,
        };
        let engine = Engine::new(config, Arc::new(cluster), settings).map_err(|e| anyhow!(e))?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = engine.spawn(stop_rx.clone());
        let app = crate::server::router(engine.clone());
        let mut server_stop = stop_rx;
        tasks.push(tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = server_stop.changed().await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        }));
        Ok(Daemon { engine, addr, emulator, kubeconfig, stop, tasks })
    }

    /// Logs where the receivers and the status API are.
    pub fn print_endpoints(&self) {
        tracing::info!(addr = %self.addr, "serving receivers and the status API");
        for r in self.engine.receivers() {
            tracing::info!(receiver = %r.receiver.key, r#type = r.receiver.type_.as_str(), url = %format!("http://{}{}", self.addr, r.path), "receiver");
        }
    }

    /// Stops the reconcilers and the HTTP server, then the embedded cluster.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
        if let Some(emu) = self.emulator.take() {
            emu.shutdown().await;
        }
    }
}
