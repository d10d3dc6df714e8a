//! `driftless emulator`: serve the Kubernetes API emulator until interrupted.

use crate::emulator::{Config, Emulator};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to serve the Kubernetes API on (plain HTTP, no authentication).
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub listen: SocketAddr,
    /// Keep the cluster's state in this directory across restarts (in memory if unset).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Write a kubeconfig for the emulator to this file (for kubectl and driftless).
    #[arg(long)]
    pub write_kubeconfig: Option<PathBuf>,
    /// How long simulated workloads take to become ready, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub ready_delay_ms: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let config = Config {
            listen: args.listen,
            data_dir: args.data_dir.clone(),
            ready_delay: Duration::from_millis(args.ready_delay_ms),
        };
        let emulator = Emulator::start(config).await?;
        if let Some(path) = &args.write_kubeconfig {
            emulator.write_kubeconfig(path).with_context(|| format!("writing the kubeconfig to {}", path.display()))?;
            eprintln!("kubeconfig written to {}", path.display());
        }
        eprintln!("Kubernetes API emulator serving at {} (Ctrl-C to stop)", emulator.url());
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        emulator.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}
