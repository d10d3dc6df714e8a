//! The source stage: one bare mirror per repository URL, fetched with gix, and read access to a
//! commit's tree without a checkout.
//!
//! Everything here is plain blocking code; async callers run it with `tokio::task::spawn_blocking`.
//!
//! - [`Mirror`] (`mirror.rs`): where a repository's mirror lives; coalesced, retried fetches; corruption recovery;
//!   pinned commits; reading commits.
//! - `refs.rs`: what each kind of [`Reference`] fetches and which revision it names, with Flux's semantics;
//!   `refs/semver.rs`: Flux's (Masterminds') semver ranges.
//! - `fetch.rs`: one fetch session with gix: listing remote refs, receiving a pack, credentials, timeouts and
//!   precise errors.
//! - `transport.rs`: how a fetch reaches the remote per scheme: the `ssh` binary with the secret's key and known
//!   hosts, git daemon connections, and the secret's CA and client certificate for https.
//! - [`Tree`] (`tree.rs`): a commit's tree as a read-only file system.
//! - `diff.rs`: which files changed between two trees, by blob id.
//! - `packs.rs`: pack housekeeping: the multi-pack-index, integrity checks, and compaction (disk stays bounded).
//! - [`Revision`] (`revision.rs`): a fetched revision, written as Flux writes it.
//! - `url.rs`: supported schemes, normalisation (which names the mirror) and redaction.
//! - [`SourceError`] (`error.rs`): what went wrong, in words a user can act on.
//!
//! Transports: `file://` (gix runs `git-upload-pack` for it, so the `git` binary must be installed),
//! `http://` and `https://` (gix's reqwest transport with rustls; `ca.crt`, `tls.crt`, `tls.key`), `ssh://` (the
//! system `ssh` binary, key auth only, host keys checked strictly against `known_hosts`; Debian package
//! `openssh-client`) and `git://` (the git daemon protocol). scp-like URLs (`git@host:org/repo`) are rejected with
//! their ssh:// form.

mod diff;
mod error;
mod fetch;
mod ignore;
mod mirror;
mod packs;
mod refs;
mod revision;
mod transport;
mod tree;
mod url;
mod verify;

use std::fmt;
use std::time::Duration;

pub use error::SourceError;
pub use ignore::{DEFAULT_EXCLUSIONS, IgnoreRules, SOURCE_IGNORE_FILE, VCS_EXCLUSIONS, filter_changed};
pub use mirror::{COMPACT_PACK_LIMIT, Mirror};
pub use packs::Compaction;
pub use revision::{ParseRevisionError, Revision};
pub use tree::{EntryKind, Tree};
pub use tree::{MAX_SYMLINK_HOPS, ResolvedPath, SymlinkError};
pub use verify::{
    MAX_KEY_FILE_BYTES, MAX_KEYS, MAX_OBJECT_BYTES, MAX_SIGNATURE_BYTES, SignatureKind, SignedObject, TrustedKeys,
    Verification, Verified, VerifyError, VerifyMode,
};

/// Where to fetch from, what to track, and how.
#[derive(Clone)]
pub struct Remote {
    /// The repository URL: `file://`, `http://`, `https://`, `ssh://[user@]host[:port]/path` or `git://`. Over
    /// http(s), a user name and password in it are used as basic auth where `credentials` has none, as Flux does;
    /// over ssh, the user name is the login where `credentials` has none. Passwords are redacted in every message.
    pub url: String,
    /// What to track (`spec.ref`).
    pub reference: Reference,
    /// The longest a fetch may take, connecting, retries and waiting for a running fetch included
    /// (`spec.timeout`, 60s by default in Flux).
    pub timeout: Duration,
    /// What `spec.secretRef` holds.
    pub credentials: Credentials,
    /// A commit a receiver announced for the tracked ref (a push's `after`). When the fetched tip neither is nor
    /// contains it, the remote may still be replicating the push: the fetch is retried for a while (at most
    /// `min(timeout, 10s)`) before it settles on what the remote serves, with a [`Fetched::warning`].
    pub expect: Option<String>,
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("url", &url::redact(&self.url))
            .field("reference", &self.reference)
            .field("timeout", &self.timeout)
            .field("credentials", &self.credentials)
            .field("expect", &self.expect)
            .finish()
    }
}

/// What a `GitRepository` tracks (`spec.ref`), one variant per field, after Flux's precedence
/// (commit > name > semver > tag > branch) has picked one. Flux's default is `Branch("master")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `spec.ref.branch`: the tip of `refs/heads/<branch>`. Revision `<branch>@sha1:<hex>`.
    Branch(String),
    /// `spec.ref.tag`: the commit `refs/tags/<tag>` points to, annotated tags peeled. Revision `<tag>@sha1:<hex>`.
    Tag(String),
    /// `spec.ref.semver`: the highest tag whose version is in the range. Revision `<tag>@sha1:<hex>`.
    Semver(String),
    /// `spec.ref.name`: a full ref name such as `refs/pull/42/head`. Revision `<full name>@sha1:<hex>`.
    Name(String),
    /// `spec.ref.commit` (40 hex), optionally with `spec.ref.branch`, whose history must contain it.
    /// Revision `<branch>@sha1:<hex>` with a branch, `sha1:<hex>` without.
    Commit {
        /// The pinned commit.
        commit: String,
        /// The branch that must contain it.
        branch: Option<String>,
    },
}

impl fmt::Display for Reference {
    /// How messages name the reference: `branch "main"`, `semver range "^1.2"`, `commit 0123… on branch "main"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Branch(branch) => write!(f, "branch {branch:?}"),
            Reference::Tag(tag) => write!(f, "tag {tag:?}"),
            Reference::Semver(range) => write!(f, "semver range {range:?}"),
            Reference::Name(name) => write!(f, "ref {name:?}"),
            Reference::Commit { commit, branch: Some(branch) } => write!(f, "commit {commit} on branch {branch:?}"),
            Reference::Commit { commit, branch: None } => write!(f, "commit {commit}"),
        }
    }
}

/// Everything a `GitRepository`'s `secretRef` may hold, under Flux's key names. `Debug` redacts every value.
///
/// For http(s), `bearerToken` is sent as `Authorization: Bearer`, otherwise `username` and `password` as basic
/// auth (a password needs a user name, as in Flux); `ca.crt` is trusted besides the system's roots for that fetch,
/// and `tls.crt` + `tls.key` are presented as the client certificate. For ssh, `identity` is the private key,
/// `password` its passphrase, `username` the login (default: the URL's user, else `git`), and `known_hosts` is
/// required: host keys are checked strictly against it. git:// uses none of them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// `username`: basic auth user (http), or the ssh user.
    pub username: Option<String>,
    /// `password`: basic auth password or token (http), or the passphrase of `identity` (ssh).
    pub password: Option<String>,
    /// `bearerToken`: an http bearer token; takes precedence over `username`/`password`.
    pub bearer_token: Option<String>,
    /// `ca.crt`: CA certificates (PEM, one or a bundle) to trust for https, besides the system's.
    pub ca_cert: Option<Vec<u8>>,
    /// `tls.crt`: a client certificate (PEM, possibly with its chain) for https.
    pub cert: Option<Vec<u8>>,
    /// `tls.key`: the client certificate's private key (PEM: PKCS#8, RSA or EC, unencrypted).
    pub key: Option<Vec<u8>>,
    /// `identity`: an ssh private key (OpenSSH format, optionally passphrase-protected, or unencrypted PEM).
    pub identity: Option<Vec<u8>>,
    /// `known_hosts`: the ssh host keys to accept (known_hosts lines); required for ssh.
    pub known_hosts: Option<Vec<u8>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn shown<T>(value: &Option<T>) -> &'static str {
            if value.is_some() { "<redacted>" } else { "<unset>" }
        }
        f.debug_struct("Credentials")
            .field("username", &shown(&self.username))
            .field("password", &shown(&self.password))
            .field("bearer_token", &shown(&self.bearer_token))
            .field("ca_cert", &shown(&self.ca_cert))
            .field("cert", &shown(&self.cert))
            .field("key", &shown(&self.key))
            .field("identity", &shown(&self.identity))
            .field("known_hosts", &shown(&self.known_hosts))
            .finish()
    }
}

/// The outcome of a successful [`Mirror::fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The revision to apply; its commit and tree are readable from the mirror.
    pub revision: Revision,
    /// Something the user should know although the fetch succeeded: the mirror was damaged and recloned, or the
    /// remote did not yet serve an announced commit (replication lag). For status conditions and events.
    pub warning: Option<String>,
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
            reference: Reference::Branch("main".into()),
            timeout: Duration::from_secs(60),
            credentials: Credentials {
                username: Some("bot-user".into()),
                password: Some("s3cret-pw".into()),
                bearer_token: Some("t0ken-xyz".into()),
                key: Some(b"-----BEGIN KEY-----".to_vec()),
                ..Credentials::default()
            },
            expect: None,
        };
        let shown = format!("{remote:?}");
        for secret in ["hunter2", "bot-user", "s3cret-pw", "t0ken-xyz", "BEGIN KEY"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("bot:***@example.com"), "{shown}");
        assert!(shown.contains("password: \"<redacted>\""), "{shown}");
        assert!(shown.contains("identity: \"<unset>\""), "{shown}");
    }

    #[test]
    fn references_name_themselves_in_messages() {
        let hex = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(Reference::Branch("main".into()).to_string(), "branch \"main\"");
        assert_eq!(Reference::Semver("^1.2".into()).to_string(), "semver range \"^1.2\"");
        let pinned = Reference::Commit { commit: hex.into(), branch: Some("main".into()) };
        assert_eq!(pinned.to_string(), format!("commit {hex} on branch \"main\""));
    }
}
