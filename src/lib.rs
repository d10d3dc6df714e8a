//! driftless: a push-driven GitOps applier for Kubernetes.
//!
//! See `docs/architecture.md` for how the modules fit together.

pub mod cli;
pub mod emulator;
pub mod schema;
