//! Fetching one branch into a mirror with gix, bounded by a timeout, and turning gix's errors into
//! [`SourceError`]s a user can act on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use base64::Engine as _;
use gix::ObjectId;
use gix::bstr::ByteSlice as _;
use gix::protocol::transport::client::blocking_io::http as gix_http;
use gix::remote::Direction;

use super::mirror::{Mirror, chain, local_repo, open_repo};
use super::url::{RepoUrl, Scheme, scrub};
use super::{Auth, Remote, Revision, SourceError};

/// How long the TCP connect of an http(s) fetch may take at most (less if the whole timeout is shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// What one fetch is about: used to word errors.
struct Context<'a> {
    url: &'a RepoUrl,
    branch: &'a str,
    timeout: Duration,
    has_credentials: bool,
    secrets: Vec<String>,
}

impl Context<'_> {
    fn scrub(&self, text: &str) -> String {
        scrub(text, self.secrets.iter().map(String::as_str))
    }
}

/// See [`Mirror::fetch`].
pub(crate) fn fetch(mirror: &Mirror, remote: &Remote) -> Result<Revision, SourceError> {
    let url = RepoUrl::parse(&remote.url)?;
    if url.key() != mirror.url.key() {
        return Err(SourceError::WrongMirror { mirror_url: mirror.url.redacted.clone(), url: url.redacted });
    }
    let branch = remote.branch.as_str();
    let full_name = format!("refs/heads/{branch}");
    if branch.is_empty() {
        return Err(SourceError::InvalidBranch { branch: String::new(), reason: "it is empty".to_string() });
    }
    if let Err(err) = gix::refs::FullName::try_from(full_name.as_str()) {
        return Err(SourceError::InvalidBranch { branch: branch.to_string(), reason: err.to_string() });
    }

    // Credentials in the URL become basic auth (unless `auth` is given), so every credential travels one way.
    let (fetch_url, url_auth) = split_credentials(&url);
    let auth = remote.auth.clone().or(url_auth);
    if auth.is_some() && url.scheme == Scheme::Http && !url.is_loopback() {
        return Err(SourceError::InsecureCredentials { url: url.redacted });
    }
    let mut secrets = url.secrets.clone();
    match &auth {
        Some(Auth::Basic { password, .. }) => secrets.push(password.clone()),
        Some(Auth::Bearer(token)) => secrets.push(token.clone()),
        None => {}
    }
    if let Some(header) = auth.as_ref().and_then(authorization_header) {
        secrets.push(header);
    }
    let auth = if url.scheme == Scheme::File { None } else { auth };
    let ctx = Context { url: &url, branch, timeout: remote.timeout, has_credentials: auth.is_some(), secrets };

    // The work runs on its own thread so that the caller gets its answer by the deadline even when a server
    // stalls between reads; a stalled worker is interrupted and ends when its request times out. The worker
    // holds the mirror's fetch lock, so a later fetch of this mirror waits for it rather than racing it.
    let deadline = Instant::now() + remote.timeout;
    let interrupt = Arc::new(AtomicBool::new(false));
    let job = Job {
        path: mirror.path.clone(),
        lock: mirror.fetch_lock.clone(),
        fetch_url,
        full_name,
        auth,
        timeout: remote.timeout,
        interrupt: interrupt.clone(),
    };
    let (done, outcome) = mpsc::channel();
    let spawned = std::thread::Builder::new().name("driftless-fetch".to_string()).spawn(move || {
        let _ = done.send(job.run());
    });
    if let Err(err) = spawned {
        return Err(SourceError::Fetch {
            branch: branch.to_string(),
            url: url.redacted.clone(),
            detail: format!("cannot start a fetch thread: {err}"),
        });
    }
    let result = match outcome.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            interrupt.store(true, Ordering::SeqCst);
            return Err(timed_out(&ctx));
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(Failure::Message("the fetch thread stopped unexpectedly".to_string()))
        }
    };

    if result.is_ok() {
        mirror.reopen();
    }
    match result {
        Ok(Some(commit)) => Ok(Revision { name: branch.to_string(), commit: commit.to_string() }),
        Ok(None) => Err(SourceError::BranchNotFound { branch: branch.to_string(), url: url.redacted.clone() }),
        Err(_) if interrupt.load(Ordering::SeqCst) || Instant::now() >= deadline => Err(timed_out(&ctx)),
        Err(Failure::Gix(err)) => Err(classify(&err, &ctx)),
        Err(Failure::Message(detail)) => Err(SourceError::Fetch {
            branch: branch.to_string(),
            url: url.redacted.clone(),
            detail: ctx.scrub(&detail),
        }),
    }
}

/// Everything the fetch thread needs, owned.
struct Job {
    path: std::path::PathBuf,
    lock: Arc<Mutex<()>>,
    fetch_url: String,
    full_name: String,
    auth: Option<Auth>,
    timeout: Duration,
    interrupt: Arc<AtomicBool>,
}

/// Why [`Job::run`] failed.
enum Failure {
    Gix(gix::Error),
    Message(String),
}

impl From<gix::Error> for Failure {
    fn from(err: gix::Error) -> Self {
        Failure::Gix(err)
    }
}

impl Job {
    /// Connects, lists the branch, receives its pack and updates `refs/heads/<branch>`.
    /// Returns the tip the remote advertised, or `None` when the remote has no such branch.
    fn run(self) -> Result<Option<ObjectId>, Failure> {
        let _serialised = self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.interrupt.load(Ordering::SeqCst) {
            return Err(Failure::Message("interrupted before it started".to_string()));
        }
        // A handle of its own, opened now, so it has room for the pack this fetch adds.
        let repo = local_repo(&open_repo(&self.path)?);
        let (fetch_url, full_name, interrupt) = (self.fetch_url.as_str(), self.full_name.as_str(), &*self.interrupt);
        let refspec = format!("+{full_name}:{full_name}");
        let remote = repo
            .remote_at_without_url_rewrite(fetch_url)?
            .with_refspecs([refspec.as_str()], Direction::Fetch)?
            .with_fetch_tags(gix::remote::fetch::Tags::None);
        let mut connection = remote.connect(Direction::Fetch)?;
        // Never run credential helpers or prompt: the daemon has no terminal, and only `auth` decides.
        connection.set_credentials(|_action| Ok(None));
        if let Some(options) = http_options(&repo, fetch_url, self.auth.as_ref(), self.timeout)? {
            connection.set_transport_options(options);
        }
        let prepare = connection.prepare_fetch(gix::progress::Discard, Default::default())?;
        let tip = prepare
            .ref_map()
            .mappings
            .iter()
            .find(|mapping| mapping.remote.as_name().is_some_and(|name| name == full_name.as_bytes().as_bstr()))
            .and_then(|mapping| mapping.remote.as_id())
            .map(ToOwned::to_owned);
        let Some(tip) = tip else { return Ok(None) };
        let outcome = prepare.receive(gix::progress::Discard, interrupt)?;
        if matches!(outcome.status, gix::remote::fetch::Status::Change { .. })
            && let Err(err) = super::packs::cover_packs(&self.path, repo.object_hash())
        {
            // Lookups only get slower; the fetch itself succeeded.
            tracing::warn!(mirror = %self.path.display(), "cannot index the mirror's packs: {err}");
        }

        let commit = repo.find_object(tip)?;
        if commit.kind != gix::object::Kind::Commit {
            return Err(Failure::Message(format!("{full_name} points to a {}, not a commit", commit.kind)));
        }
        let local = repo.find_reference(full_name)?.id().detach();
        if local != tip {
            return Err(Failure::Message(format!(
                "{full_name} in the mirror is {local} after the fetch, but the remote advertised {tip}"
            )));
        }
        Ok(Some(tip))
    }
}

/// The http(s) transport settings: gix's defaults from the (isolated) repository config, plus the
/// `Authorization` header and timeouts. `None` for other schemes.
fn http_options(
    repo: &gix::Repository,
    url: &str,
    auth: Option<&Auth>,
    timeout: Duration,
) -> Result<Option<Box<dyn std::any::Any>>, Failure> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Ok(None);
    }
    let mut boxed: Box<dyn std::any::Any> = match repo.transport_options(url, None)? {
        Some(options) => options,
        None => Box::new(gix_http::Options::default()),
    };
    let Some(options) = boxed.downcast_mut::<gix_http::Options>() else {
        return Err(Failure::Message("unexpected http transport options".to_string()));
    };
    if let Some(header) = auth.and_then(authorization_header) {
        options.extra_headers.push(format!("Authorization: {header}"));
    }
    options.user_agent = Some(format!("driftless/{}", env!("CARGO_PKG_VERSION")));
    let connect_timeout = timeout.min(CONNECT_TIMEOUT);
    options.connect_timeout = Some(connect_timeout);
    // Only the client is configured (no per-request hook), so gix still follows the initial redirect when no
    // credentials are set; with credentials (an extra header) gix refuses redirects rather than leak them.
    let backend = gix_http::reqwest::Options {
        configure_client: Some(Box::new(move |builder| Ok(builder.connect_timeout(connect_timeout).timeout(timeout)))),
        configure_request: None,
    };
    options.backend = Some(Arc::new(Mutex::new(backend)));
    Ok(Some(boxed))
}

/// The value of the `Authorization` header for `auth`.
fn authorization_header(auth: &Auth) -> Option<String> {
    match auth {
        Auth::Basic { username, password } => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
        )),
        Auth::Bearer(token) => Some(format!("Bearer {token}")),
    }
}

/// The URL without user-info, and the user-info as basic auth (percent-decoded).
fn split_credentials(url: &RepoUrl) -> (String, Option<Auth>) {
    let Some((scheme, rest)) = url.raw.split_once("://") else { return (url.raw.clone(), None) };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some((info, host)) = rest[..authority_end].rsplit_once('@') else { return (url.raw.clone(), None) };
    let stripped = format!("{scheme}://{host}{}", &rest[authority_end..]);
    let (user, password) = info.split_once(':').unwrap_or((info, ""));
    let auth = Auth::Basic { username: percent_decode(user), password: percent_decode(password) };
    (stripped, Some(auth))
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

fn timed_out(ctx: &Context<'_>) -> SourceError {
    SourceError::TimedOut { branch: ctx.branch.to_string(), url: ctx.url.redacted.clone(), timeout: ctx.timeout }
}

/// Maps a gix error to the most specific [`SourceError`], looking through its whole chain of causes.
fn classify(err: &gix::Error, ctx: &Context<'_>) -> SourceError {
    let url = ctx.url.redacted.clone();
    let detail = ctx.scrub(&chain(err));
    let io_kinds: Vec<std::io::ErrorKind> =
        err.iter_errors().filter_map(|e| e.downcast_ref::<std::io::Error>()).map(std::io::Error::kind).collect();
    let text = detail.to_ascii_lowercase();

    if err.is_unauthenticated() || text.contains("authentication required") {
        let detail = if ctx.has_credentials {
            "the remote rejected the credentials; check the username and password or token in the secret"
        } else {
            "the remote requires credentials and none are configured; set spec.secretRef"
        };
        return SourceError::AuthenticationFailed { url, detail: detail.to_string() };
    }
    if io_kinds.contains(&std::io::ErrorKind::TimedOut) || text.contains("timed out") {
        return timed_out(ctx);
    }
    if io_kinds.contains(&std::io::ErrorKind::ConnectionRefused) || text.contains("connection refused") {
        return SourceError::Unreachable { url, detail: "connection refused".to_string() };
    }
    if text.contains("dns error")
        || text.contains("failed to lookup address")
        || text.contains("name or service not known")
    {
        return SourceError::Unreachable { url, detail: "the host name does not resolve".to_string() };
    }
    if text.contains("received http status 404") {
        return SourceError::RepositoryNotFound { url, detail: "the server answered 404 Not Found".to_string() };
    }
    if text.contains("received http status 403") || err.is_permission_denied() && ctx.url.scheme != Scheme::File {
        return SourceError::PermissionDenied { url, detail };
    }
    if ctx.url.scheme == Scheme::File
        && (text.contains("valid git directory") || text.contains("could not access remote repository"))
    {
        return SourceError::RepositoryNotFound {
            url,
            detail: "the path does not exist or is not a git repository".to_string(),
        };
    }
    if text.contains("refusing to follow redirect") {
        let detail = "the server answered with a redirect, which is not followed while credentials are set \
                      (they would go to another URL); use the repository's final URL";
        return SourceError::Fetch { branch: ctx.branch.to_string(), url, detail: detail.to_string() };
    }
    if text.contains("error trying to connect")
        || text.contains("tcp connect error")
        || text.contains("connection reset")
    {
        return SourceError::Unreachable { url, detail };
    }
    SourceError::Fetch { branch: ctx.branch.to_string(), url, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_become_basic_auth_and_leave_the_url() {
        let url = RepoUrl::parse("https://bot:p%40ss@example.com/org/repo.git").unwrap();
        let (stripped, auth) = split_credentials(&url);
        assert_eq!(stripped, "https://example.com/org/repo.git");
        match auth {
            Some(Auth::Basic { username, password }) => {
                assert_eq!((username.as_str(), password.as_str()), ("bot", "p@ss"))
            }
            other => panic!("unexpected {other:?}"),
        }
        let plain = RepoUrl::parse("https://example.com/r").unwrap();
        assert_eq!(split_credentials(&plain), ("https://example.com/r".to_string(), None));
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%2Fb"), "a/b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
