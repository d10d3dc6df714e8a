//! driftless: a push-driven GitOps applier for Kubernetes.
//!
//! See `docs/architecture.md` for how the modules fit together.

pub mod api;
pub mod apply;
pub mod cli;
pub mod emulator;
pub mod receive;
pub mod render;
pub mod schema;

/// Installs the process's TLS crypto provider (aws-lc-rs). Two libraries in
/// the tree (the kube client and the git transport) enable different rustls
/// providers; rustls then needs one chosen before the first connection. Safe
/// to call more than once.
pub fn init_crypto() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
