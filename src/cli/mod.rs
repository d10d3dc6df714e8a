//! Command-line interface: one file per subcommand.

mod build;
mod diff;
mod emulator;
mod get;
mod quickstart;
pub mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// driftless: a push-driven GitOps applier for Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "driftless", version, about, long_about = None)]
pub struct Cli {
    /// Log filter, e.g. `info` or `driftless=debug` (also RUST_LOG).
    #[arg(long, global = true, env = "DRIFTLESS_LOG", default_value = "info")]
    pub log: String,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run driftless end to end on its embedded defaults: a git repository with the hook installed,
    /// an example, the embedded cluster, and the daemon.
    Quickstart(quickstart::Args),
    /// Run the daemon: receivers, polling and drift loops, and the status API.
    Serve(serve::Args),
    /// Render a local directory and print the YAML.
    Build(build::Args),
    /// Show what applying a local directory as a Kustomization would change in the cluster
    /// (exit code 0: nothing, 1: differences, 2: error).
    Diff(diff::Args),
    /// Show the running daemon's Kustomizations, sources or receivers.
    Get(get::Args),
    /// Run the embedded Kubernetes API emulator on its own.
    Emulator(emulator::Args),
}

fn init_logging(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Parses the command line and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log, cli.log_json);
    crate::init_crypto();
    let result = match cli.command {
        Command::Quickstart(args) => quickstart::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Build(args) => build::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Get(args) => get::run(args),
        Command::Emulator(args) => emulator::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
