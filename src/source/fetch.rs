//! One fetch session with gix: listing a remote's refs and receiving a pack into a mirror, with credentials and a
//! time budget, and gix's errors turned into [`SourceError`]s a user can act on (plus whether retrying may help).
//!
//! A session is used by one attempt of [`Mirror::fetch`](super::Mirror::fetch) on its worker thread; what to list
//! and fetch for each kind of reference is decided in `refs.rs`, and how bytes reach the remote for each scheme
//! (ssh, git://, TLS settings for https) in `transport.rs`. Dropping the session removes its temporary key files.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use gix::bstr::ByteSlice;
use gix::protocol::handshake::Ref;
use gix::protocol::transport::client::blocking_io::http as gix_http;
use gix::remote::Direction;
use gix::remote::fetch::Shallow;

use super::mirror::chain;
use super::transport::{self, Diagnostics, HttpTls, SshClient};
use super::url::{RepoUrl, Scheme, scrub};
use super::{Credentials, SourceError};

/// How long the TCP connect of an http(s) request may take at most (less if the time left is shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How credentials travel over http(s).
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    /// HTTP basic authentication (also how most forges take a token: any user name, the token as password).
    Basic { username: String, password: String },
    /// An `Authorization: Bearer <token>` header.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { .. } => f.write_str("Basic(<redacted>)"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// Why an operation of a session failed, and what that means for the caller.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// The error for the user.
    pub error: SourceError,
    /// What kind of failure it is.
    pub kind: FailureKind,
}

/// What a failure means for retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// Retrying cannot help (bad credentials, no such repository or ref, invalid input).
    Permanent,
    /// Retrying may help: connection refused or reset, HTTP 5xx, a timed-out request.
    Transient,
    /// The server refused to send an object asked for by id (`not our ref`): it does not have it, or does not serve
    /// objects by id.
    WantRefused,
    /// Something failed locally in a way that may mean the mirror is damaged.
    Local,
}

impl Failure {
    /// A permanent failure.
    pub fn permanent(error: SourceError) -> Failure {
        Failure { error, kind: FailureKind::Permanent }
    }
}

impl From<SourceError> for Failure {
    fn from(error: SourceError) -> Self {
        Failure::permanent(error)
    }
}

/// A blocking connection to a remote.
type Connection<'a, 'r> =
    gix::remote::Connection<'a, 'static, 'r, Box<dyn gix::protocol::transport::client::blocking_io::Transport + Send>>;

/// A ref the remote advertised.
#[derive(Debug, Clone)]
pub(crate) struct RemoteRef {
    /// The full name, e.g. `refs/tags/v1.0.0`.
    pub name: String,
}

/// Where and how to fetch, for one attempt.
pub(crate) struct Session {
    /// The URL without user-info (credentials travel in a header).
    fetch_url: String,
    url: RepoUrl,
    auth: Option<Auth>,
    /// How the tracked reference names itself in messages.
    reference: String,
    /// When the attempt must be over.
    deadline: Instant,
    interrupt: Arc<AtomicBool>,
    /// Strings to scrub from messages of lower layers.
    secrets: Vec<String>,
    /// The whole fetch's timeout, for messages.
    timeout: Duration,
    /// The URL as gix parses it (ssh:// and git://), for connecting and for messages about the host.
    network_url: Option<gix::Url>,
    /// https: extra trust roots and the client certificate from the secret.
    tls: Option<HttpTls>,
    /// ssh: the login and the key files, removed when the session is dropped.
    ssh: Option<SshClient>,
    /// What the latest ssh or git:// connection left for classifying its failure.
    diagnostics: Mutex<Option<Diagnostics>>,
}

impl Session {
    /// Checks the credentials against the URL and prepares a session that must end by `deadline`.
    pub fn new(
        url: &RepoUrl,
        credentials: &Credentials,
        reference: String,
        timeout: Duration,
        deadline: Instant,
        interrupt: Arc<AtomicBool>,
    ) -> Result<Session, SourceError> {
        let (fetch_url, url_user, url_password) = split_credentials(url);
        let mut secrets = url.secrets.clone();
        let network_url = match url.scheme {
            Scheme::Ssh | Scheme::Git => Some(gix::url::parse(fetch_url.as_bytes().as_bstr()).map_err(|e| {
                SourceError::InvalidUrl { url: url.redacted.clone(), reason: url.scrub(&e.to_string()) }
            })?),
            Scheme::File | Scheme::Http | Scheme::Https => None,
        };
        let (auth, tls, ssh) = match (url.scheme, &network_url) {
            (Scheme::Ssh, Some(network_url)) => {
                // For ssh, `username` is the login and `password` the passphrase of `identity` (as in Flux).
                secrets.extend(credentials.password.iter().cloned());
                let ssh = SshClient::prepare(credentials, network_url, url_user.as_deref(), &reference, &url.redacted)?;
                (None, None, Some(ssh))
            }
            // The git daemon protocol has no authentication; the secret, if any, has nothing to do here.
            (Scheme::Ssh | Scheme::Git, _) => (None, None, None),
            (Scheme::File | Scheme::Http | Scheme::Https, _) => {
                let auth = auth_for(credentials, url_user, url_password)?;
                if auth.is_some() && url.scheme == Scheme::Http && !url.is_loopback() {
                    return Err(SourceError::InsecureCredentials { url: url.redacted.clone() });
                }
                match &auth {
                    Some(Auth::Basic { password, .. }) => secrets.push(password.clone()),
                    Some(Auth::Bearer(token)) => secrets.push(token.clone()),
                    None => {}
                }
                if let Some(header) = auth.as_ref().map(authorization_header) {
                    secrets.push(header);
                }
                let tls = if url.scheme == Scheme::Https { HttpTls::from_credentials(credentials)? } else { None };
                let auth = if url.scheme == Scheme::File { None } else { auth };
                (auth, tls, None)
            }
        };
        Ok(Session {
            fetch_url,
            url: url.clone(),
            auth,
            reference,
            deadline,
            interrupt,
            secrets,
            timeout,
            network_url,
            tls,
            ssh,
            diagnostics: Mutex::new(None),
        })
    }

    /// Whether the caller gave up on this session.
    pub fn interrupted(&self) -> bool {
        self.interrupt.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The redacted URL, for messages.
    pub fn url(&self) -> &str {
        &self.url.redacted
    }

    /// The error for running out of time.
    pub fn timed_out(&self) -> SourceError {
        SourceError::TimedOut {
            reference: self.reference.clone(),
            url: self.url.redacted.clone(),
            timeout: self.timeout,
        }
    }

    /// Lists the remote's refs matching the refspec `pattern` (`refs/tags/*:refs/tags/*`), without downloading
    /// objects (protocol v2 `ls-refs` with the prefix, or the v0 advertisement) or changing the mirror.
    pub fn list(&self, repo: &gix::Repository, pattern: &str) -> Result<Vec<RemoteRef>, Failure> {
        let remote = self.remote(repo, &[pattern.to_string()])?;
        let connection = self.connect(repo, &remote)?;
        let (ref_map, _handshake) =
            connection.ref_map(gix::progress::Discard, Default::default()).map_err(|e| self.classify(&e))?;
        Ok(ref_map.remote_refs.iter().map(|r| RemoteRef { name: r.unpack().0.to_string() }).collect())
    }

    /// Fetches `refspecs` (each `+src:dst`, or `<id>:dst`) with `shallow`, updating the local refs.
    /// Returns the sources that matched on the remote (ref names, or ids for id refspecs); nothing is downloaded
    /// when nothing matched.
    pub fn fetch(&self, repo: &gix::Repository, refspecs: &[String], shallow: Shallow) -> Result<Vec<String>, Failure> {
        let remote = self.remote(repo, refspecs)?;
        let connection = self.connect(repo, &remote)?;
        let prepare =
            connection.prepare_fetch(gix::progress::Discard, Default::default()).map_err(|e| self.classify(&e))?;
        let matched: Vec<String> = prepare
            .ref_map()
            .mappings
            .iter()
            .filter_map(|mapping| match &mapping.remote {
                gix::remote::fetch::refmap::Source::ObjectId(id) => Some(id.to_string()),
                gix::remote::fetch::refmap::Source::Ref(r) => match r {
                    Ref::Unborn { .. } => None,
                    other => Some(other.unpack().0.to_string()),
                },
            })
            .collect();
        if matched.is_empty() {
            return Ok(matched);
        }
        let outcome = prepare
            .with_shallow(shallow)
            .receive(gix::progress::Discard, &self.interrupt)
            .map_err(|e| self.classify(&e))?;
        if matches!(outcome.status, gix::remote::fetch::Status::Change { .. })
            && let Err(err) = super::packs::cover_packs(repo.git_dir(), repo.object_hash())
        {
            // Lookups only get slower; the fetch itself succeeded.
            tracing::warn!(mirror = %repo.git_dir().display(), "cannot index the mirror's packs: {err}");
        }
        Ok(matched)
    }

    /// The remote at the session's URL with `refspecs`, fetching no tags beyond them.
    fn remote<'r>(&self, repo: &'r gix::Repository, refspecs: &[String]) -> Result<gix::Remote<'r>, Failure> {
        let remote = repo
            .remote_at_without_url_rewrite(self.fetch_url.as_str())
            .and_then(|remote| remote.with_refspecs(refspecs.iter().map(String::as_str), Direction::Fetch))
            .map_err(|e| self.classify(&e))?;
        Ok(remote.with_fetch_tags(gix::remote::fetch::Tags::None))
    }

    /// A connection to `remote` with credentials and timeouts set from the time left.
    fn connect<'a, 'r>(
        &self,
        repo: &gix::Repository,
        remote: &'a gix::Remote<'r>,
    ) -> Result<Connection<'a, 'r>, Failure> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Failure { error: self.timed_out(), kind: FailureKind::Transient });
        }
        let mut connection = match self.url.scheme {
            Scheme::Ssh | Scheme::Git => {
                let (url, version) =
                    remote.sanitized_url_and_version(Direction::Fetch).map_err(|e| self.classify(&e))?;
                let connected = match &self.ssh {
                    Some(ssh) => ssh.connect(&url, version, self.deadline, &self.url.redacted),
                    None => transport::connect_daemon(&url, version, self.deadline, &self.url.redacted),
                };
                let (transport, diagnostics) = connected.map_err(|e| self.connect_failure(&e))?;
                *self.diagnostics.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(diagnostics);
                remote.to_connection_with_transport(transport)
            }
            Scheme::File | Scheme::Http | Scheme::Https => {
                remote.connect(Direction::Fetch).map_err(|e| self.classify(&e))?
            }
        };
        // Never run credential helpers or prompt: the daemon has no terminal, and only the secret decides.
        connection.set_credentials(|_action| Ok(None));
        if let Some(options) = self.http_options(repo, remaining).map_err(|e| self.classify(&e))? {
            connection.set_transport_options(options);
        }
        Ok(connection)
    }

    /// The http(s) transport settings: gix's defaults from the (isolated) repository config, plus the
    /// `Authorization` header and timeouts within `remaining`. `None` for other schemes.
    fn http_options(
        &self,
        repo: &gix::Repository,
        remaining: Duration,
    ) -> Result<Option<Box<dyn std::any::Any>>, gix::Error> {
        if !matches!(self.url.scheme, Scheme::Http | Scheme::Https) {
            return Ok(None);
        }
        let mut boxed: Box<dyn std::any::Any> = match repo.transport_options(self.fetch_url.as_str(), None)? {
            Some(options) => options,
            None => Box::new(gix_http::Options::default()),
        };
        let Some(options) = boxed.downcast_mut::<gix_http::Options>() else { return Ok(None) };
        if let Some(header) = self.auth.as_ref().map(authorization_header) {
            options.extra_headers.push(format!("Authorization: {header}"));
        }
        options.user_agent = Some(format!("driftless/{}", env!("CARGO_PKG_VERSION")));
        let connect_timeout = remaining.min(CONNECT_TIMEOUT);
        options.connect_timeout = Some(connect_timeout);
        // Only the client is configured (no per-request hook), so gix still follows the initial redirect when no
        // credentials are set; with credentials (an extra header) gix refuses redirects rather than leak them.
        let tls = self.tls.clone();
        let backend = gix_http::reqwest::Options {
            configure_client: Some(Box::new(move |builder| {
                let builder = builder.connect_timeout(connect_timeout).timeout(remaining);
                Ok(match &tls {
                    Some(tls) => tls.apply(builder),
                    None => builder,
                })
            })),
            configure_request: None,
        };
        options.backend = Some(Arc::new(Mutex::new(backend)));
        Ok(Some(boxed))
    }

    /// Maps a gix error to the most specific [`SourceError`], looking through its whole chain of causes, and
    /// says whether retrying may help.
    pub fn classify(&self, err: &gix::Error) -> Failure {
        let url = self.url.redacted.clone();
        let mut detail = scrub(&chain(err), self.secrets.iter().map(String::as_str));
        let io_kinds: Vec<std::io::ErrorKind> =
            err.iter_errors().filter_map(|e| e.downcast_ref::<std::io::Error>()).map(std::io::Error::kind).collect();
        let permanent = |error| Failure { error, kind: FailureKind::Permanent };
        let transient = |error| Failure { error, kind: FailureKind::Transient };

        // ssh and git://: the connection's own account of what happened comes first.
        let diagnostics = self.diagnostics.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(mut diagnostics) = diagnostics {
            if diagnostics.expired() {
                return transient(self.timed_out());
            }
            let stderr = scrub(diagnostics.stderr(), self.secrets.iter().map(String::as_str));
            if let (Some(ssh), Some(network_url)) = (&self.ssh, &self.network_url) {
                if !stderr.trim().is_empty() {
                    tracing::debug!(url = %url, stderr = %stderr.trim(), "ssh failed");
                }
                if let Some(failure) = transport::classify_ssh(&stderr, network_url, &url, &ssh.login()) {
                    return failure;
                }
            }
            if let Some(said) = stderr.lines().map(str::trim).rfind(|line| !line.is_empty()) {
                detail = format!("{detail} (ssh: {said})");
            }
        }
        let text = detail.to_ascii_lowercase();
        if self.url.scheme == Scheme::Https
            && let Some(error) = transport::classify_tls(&text, &url, self.tls.as_ref())
        {
            return permanent(error);
        }

        if err.is_unauthenticated() || text.contains("authentication required") {
            let detail = if self.auth.is_some() {
                "the remote rejected the credentials; check the username and password or token in the secret"
            } else {
                "the remote requires credentials and none are configured; set spec.secretRef"
            };
            return permanent(SourceError::AuthenticationFailed { url, detail: detail.to_string() });
        }
        if io_kinds.contains(&std::io::ErrorKind::TimedOut) || text.contains("timed out") {
            return transient(self.timed_out());
        }
        if io_kinds.contains(&std::io::ErrorKind::ConnectionRefused) || text.contains("connection refused") {
            return transient(SourceError::Unreachable { url, detail: "connection refused".to_string() });
        }
        if text.contains("dns error")
            || text.contains("failed to lookup address")
            || text.contains("name or service not known")
        {
            return permanent(SourceError::Unreachable { url, detail: "the host name does not resolve".to_string() });
        }
        if text.contains("received http status 404") {
            return permanent(SourceError::RepositoryNotFound {
                url,
                detail: "the server answered 404 Not Found".to_string(),
            });
        }
        if let Some(status) = server_error_status(&text) {
            return transient(SourceError::ServerError { url, detail: format!("HTTP status {status}") });
        }
        if text.contains("received http status 403") || err.is_permission_denied() && self.url.scheme != Scheme::File {
            return permanent(SourceError::PermissionDenied { url, detail });
        }
        if self.url.scheme == Scheme::Git
            && (text.contains("access denied or repository not exported") || text.contains("no such repository"))
        {
            return permanent(SourceError::RepositoryNotFound {
                url,
                detail: "the git daemon does not export it (access denied or repository not exported)".to_string(),
            });
        }
        if self.url.scheme == Scheme::File
            && (text.contains("valid git directory") || text.contains("could not access remote repository"))
        {
            return permanent(SourceError::RepositoryNotFound {
                url,
                detail: "the path does not exist or is not a git repository".to_string(),
            });
        }
        if text.contains("not our ref") || text.contains("unadvertised object") || text.contains("not our object") {
            let error = SourceError::Fetch { reference: self.reference.clone(), url, detail };
            return Failure { error, kind: FailureKind::WantRefused };
        }
        if text.contains("refusing to follow redirect") {
            let detail = "the server answered with a redirect, which is not followed while credentials are set \
                          (they would go to another URL); use the repository's final URL";
            return permanent(SourceError::Fetch {
                reference: self.reference.clone(),
                url,
                detail: detail.to_string(),
            });
        }
        if text.contains("error trying to connect")
            || text.contains("tcp connect error")
            || text.contains("connection reset")
            || text.contains("broken pipe")
            || text.contains("unexpected eof")
            || err.is_retryable()
        {
            return transient(SourceError::Unreachable { url, detail });
        }
        let kind =
            if err.is_corrupted() || is_local_damage(&text) { FailureKind::Local } else { FailureKind::Permanent };
        Failure { error: SourceError::Fetch { reference: self.reference.clone(), url, detail }, kind }
    }
}

impl Session {
    /// The failure for an ssh or git:// connection that could not even start.
    fn connect_failure(&self, err: &std::io::Error) -> Failure {
        let url = self.url.redacted.clone();
        let transient = |error| Failure { error, kind: FailureKind::Transient };
        let permanent = |error| Failure { error, kind: FailureKind::Permanent };
        if self.ssh.is_some() {
            let detail = if err.kind() == std::io::ErrorKind::NotFound {
                "cannot run `ssh`: it is not installed or not on the PATH (Debian: apt-get install openssh-client)"
                    .to_string()
            } else {
                format!("cannot run `ssh`: {err}")
            };
            return permanent(SourceError::Fetch { reference: self.reference.clone(), url, detail });
        }
        match err.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                transient(SourceError::Unreachable { url, detail: "connection refused".to_string() })
            }
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= self.deadline {
                    transient(self.timed_out())
                } else {
                    transient(SourceError::Unreachable { url, detail: "the connection timed out".to_string() })
                }
            }
            std::io::ErrorKind::InvalidInput => permanent(SourceError::InvalidUrl { url, reason: err.to_string() }),
            _ if err.to_string().contains("lookup") || err.to_string().contains("resolve") => {
                permanent(SourceError::Unreachable { url, detail: "the host name does not resolve".to_string() })
            }
            _ => transient(SourceError::Unreachable { url, detail: err.to_string() }),
        }
    }
}

/// The status code of an HTTP 5xx answer mentioned in `text` (lower case), except 501 (not implemented).
fn server_error_status(text: &str) -> Option<u16> {
    let at = text.find("received http status 5")?;
    let digits: String = text[at + "received http status ".len()..].chars().take(3).collect();
    let status: u16 = digits.parse().ok()?;
    (status != 501).then_some(status)
}

/// Whether an error text suggests the local mirror is damaged (as opposed to a remote or network problem).
fn is_local_damage(text: &str) -> bool {
    ["corrupt", "checksum mismatch", "could not find object", "object not found", "invalid pack", "loose object"]
        .iter()
        .any(|needle| text.contains(needle))
}

/// The credentials to send, after Flux's rules (`fluxcd/pkg/git` `NewAuthOptions`): a `bearerToken` wins;
/// otherwise `username` and `password` from the secret, each falling back to the URL's user-info; a password
/// without a user name is an error.
fn auth_for(
    credentials: &Credentials,
    url_user: Option<String>,
    url_password: Option<String>,
) -> Result<Option<Auth>, SourceError> {
    let non_empty = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    if let Some(token) = non_empty(&credentials.bearer_token) {
        return Ok(Some(Auth::Bearer(token)));
    }
    let username = non_empty(&credentials.username).or(url_user.filter(|u| !u.is_empty()));
    let password = non_empty(&credentials.password).or(url_password.filter(|p| !p.is_empty()));
    match (username, password) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(SourceError::InvalidCredentials {
            detail: "the secret has a password but no username; add the username key (any user name works for \
                     most token-based forges)"
                .to_string(),
        }),
        (Some(username), password) => Ok(Some(Auth::Basic { username, password: password.unwrap_or_default() })),
    }
}

/// The value of the `Authorization` header for `auth`.
fn authorization_header(auth: &Auth) -> String {
    match auth {
        Auth::Basic { username, password } => {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}")))
        }
        Auth::Bearer(token) => format!("Bearer {token}"),
    }
}

/// The URL without user-info, and the user-info's user name and password (percent-decoded).
fn split_credentials(url: &RepoUrl) -> (String, Option<String>, Option<String>) {
    let Some((scheme, rest)) = url.raw.split_once("://") else { return (url.raw.clone(), None, None) };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some((info, host)) = rest[..authority_end].rsplit_once('@') else { return (url.raw.clone(), None, None) };
    let stripped = format!("{scheme}://{host}{}", &rest[authority_end..]);
    let (user, password) = match info.split_once(':') {
        Some((user, password)) => (user, Some(percent_decode(password))),
        None => (info, None),
    };
    (stripped, Some(percent_decode(user)), password)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = s.get(i + 1..i + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_leave_the_url() {
        let url = RepoUrl::parse("https://bot:p%40ss@example.com/org/repo.git").unwrap();
        let (stripped, user, password) = split_credentials(&url);
        assert_eq!(stripped, "https://example.com/org/repo.git");
        assert_eq!((user.as_deref(), password.as_deref()), (Some("bot"), Some("p@ss")));
        let plain = RepoUrl::parse("https://example.com/r").unwrap();
        assert_eq!(split_credentials(&plain), ("https://example.com/r".to_string(), None, None));
    }

    #[test]
    fn credentials_follow_flux_precedence() {
        let basic = |u: &str, p: &str| Some(Auth::Basic { username: u.into(), password: p.into() });
        let secret = Credentials {
            username: Some("bot".into()),
            password: Some("pw".into()),
            bearer_token: Some("tok".into()),
            ..Credentials::default()
        };
        assert_eq!(auth_for(&secret, None, None).unwrap(), Some(Auth::Bearer("tok".into())));
        let secret = Credentials { bearer_token: None, ..secret };
        assert_eq!(auth_for(&secret, Some("url-user".into()), Some("url-pw".into())).unwrap(), basic("bot", "pw"));
        assert_eq!(auth_for(&Credentials::default(), Some("u".into()), Some("p".into())).unwrap(), basic("u", "p"));
        let password_only = Credentials { password: Some("pw".into()), ..Credentials::default() };
        let err = auth_for(&password_only, None, None).unwrap_err();
        assert!(err.to_string().contains("password but no username"), "{err}");
        assert!(!err.to_string().contains("pw\""), "{err}");
        assert_eq!(auth_for(&Credentials::default(), None, None).unwrap(), None);
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%2Fb"), "a/b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn finds_server_errors_but_not_501() {
        assert_eq!(server_error_status("received http status 503 service unavailable"), Some(503));
        assert_eq!(server_error_status("failed: received http status 502"), Some(502));
        assert_eq!(server_error_status("received http status 501"), None);
        assert_eq!(server_error_status("received http status 404"), None);
    }
}
