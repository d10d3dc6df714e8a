//! The source stage: one bare mirror per repository URL, fetched with gix, and read access to a
//! commit's tree without a checkout.
//!
//! Everything here is plain blocking code; async callers run it with `tokio::task::spawn_blocking`.
//!
//! - [`Mirror`] (`mirror.rs`): where a repository's mirror lives; opening, creating and reading it.
//! - `fetch.rs`: fetching one branch, with a timeout, credentials and precise errors.
//! - [`Tree`] (`tree.rs`): a commit's tree as a read-only file system.
//! - `diff.rs`: which files changed between two trees, by blob id.
//! - `packs.rs`: a multi-pack-index over the packs that fetches add, so lookups stay fast.
//! - [`Revision`] (`revision.rs`): a fetched revision, written as Flux writes it.
//! - `url.rs`: supported schemes, normalisation (which names the mirror) and redaction.
//! - [`SourceError`] (`error.rs`): what went wrong, in words a user can act on.
//!
//! Transports: `file://` (gix runs `git-upload-pack` for it, so the `git` binary must be installed),
//! `http://` and `https://` (gix's reqwest transport with rustls). Other schemes are an error for now.

mod diff;
mod error;
mod fetch;
mod mirror;
mod packs;
mod revision;
mod tree;
mod url;

use std::time::Duration;

pub use error::SourceError;
pub use mirror::Mirror;
pub use revision::{ParseRevisionError, Revision};
pub use tree::{EntryKind, Tree};

/// Where to fetch from and what to track.
#[derive(Clone)]
pub struct Remote {
    /// The repository URL: `file://`, `http://` or `https://`. Credentials in it are used as basic auth
    /// (when `auth` is unset) and are redacted in every message.
    pub url: String,
    /// The branch to track, e.g. `main` for `refs/heads/main`.
    pub branch: String,
    /// The longest a fetch may take, connecting included.
    pub timeout: Duration,
    /// Credentials for http(s). Plain `http://` sends them only to loopback hosts.
    pub auth: Option<Auth>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("url", &url::redact(&self.url))
            .field("branch", &self.branch)
            .field("timeout", &self.timeout)
            .field("auth", &self.auth)
            .finish()
    }
}

/// Credentials for http(s) remotes. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP basic authentication (also how most forges take a token: any username, the token as password).
    Basic {
        /// The user name.
        username: String,
        /// The password or token.
        password: String,
    },
    /// An `Authorization: Bearer <token>` header.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { username, .. } => {
                f.debug_struct("Basic").field("username", username).field("password", &"***").finish()
            }
            Auth::Bearer(_) => f.debug_tuple("Bearer").field(&"***").finish(),
        }
    }
}

/// Installs rustls' aws-lc-rs crypto provider as the process default, once; later calls do nothing.
///
/// gix's http transport (reqwest) uses aws-lc-rs, so choosing it means one provider for everything. Call it at
/// start, before any TLS client is built; if another provider is already installed, that one stays.
pub fn init_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_and_trees_can_be_shared_across_threads() {
        fn check<T: Send + Sync>() {}
        check::<Mirror>();
        check::<Tree>();
        check::<Remote>();
    }

    #[test]
    fn debug_never_shows_secrets() {
        let remote = Remote {
            url: "https://bot:hunter2@example.com/r.git".into(),
            branch: "main".into(),
            timeout: Duration::from_secs(60),
            auth: Some(Auth::Basic { username: "bot".into(), password: "hunter2".into() }),
        };
        let shown = format!("{remote:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("bot:***@example.com"), "{shown}");
        let bearer = format!("{:?}", Auth::Bearer("t0ken".into()));
        assert!(!bearer.contains("t0ken"), "{bearer}");
    }
}
