//! driftless: a push-driven GitOps applier for Kubernetes.
//!
//! See `docs/architecture.md` for how the modules fit together.

pub mod api;
pub mod apply;
pub mod cli;
pub mod config;
pub mod emulator;
pub mod plan;
pub mod receive;
pub mod reconcile;
pub mod render;
pub mod schema;
pub mod server;
pub mod source;

/// Installs the process's TLS crypto provider (aws-lc-rs) once. Two
/// libraries in the tree (the kube client and the git transport) enable
/// different rustls providers; rustls then needs one chosen before the first
/// connection.
pub fn init_crypto() {
    source::init_crypto();
}
