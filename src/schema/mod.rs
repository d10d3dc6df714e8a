//! Kubernetes knowledge shared by the renderer, the apply engine and the
//! emulator: kinds and their scope, the type of every field, field sets and
//! managed fields (server-side apply), strategic merge patch, selectors.

pub mod fieldset;
pub mod kinds;
pub mod managed;
pub mod names;
pub mod protobuf;
pub mod quantity;
pub mod selector;
pub mod smp;
pub mod typed;
pub mod types;
