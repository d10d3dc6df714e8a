//! One bare mirror per repository URL: where it lives, how fetches into it are coalesced, retried and kept safe,
//! and reading commits from it.
//!
//! A fetch ([`Mirror::fetch`]) goes through these layers:
//!
//! 1. **Coalescing.** One fetch runs at a time per mirror directory (across every [`Mirror`] opened on it in this
//!    process). A caller that arrives while a fetch for the same request runs waits for it, and takes its result
//!    if that fetch started after the caller asked; otherwise it runs a fetch itself. So a result is never older
//!    than the request, and bursts of triggers cost one fetch.
//! 2. **Retries.** Transient failures (connection refused or reset, HTTP 5xx, a request that timed out) are retried
//!    with exponential backoff until the remote's timeout; failures that retrying cannot fix (credentials, missing
//!    repository or ref, invalid input) are returned at once.
//! 3. **Replication lag.** With [`Remote::expect`], a tip that neither is nor contains the announced commit is
//!    fetched again with backoff for at most `min(timeout, 10s)`, then accepted with a warning.
//! 4. **One attempt** runs on a worker thread that holds the mirror's write lock, so the caller gets its answer by
//!    the deadline even when a server stalls. It checks the mirror on disk first; a damaged or half-written
//!    mirror is moved aside and fetched afresh (and said so in [`Fetched::warning`]).
//! 5. **Compaction.** When a fetch leaves more than [`COMPACT_PACK_LIMIT`] packs, the mirror is rebuilt in the
//!    background with only what must stay (see [`Mirror::compact`]).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, RwLock, Weak, mpsc};
use std::time::{Duration, Instant};

use gix::ObjectId;
use sha2::{Digest as _, Sha256};

use super::fetch::{Failure, FailureKind, Session};
use super::packs::{self, Compaction};
use super::refs::{self, Containment, Resolved};
use super::tree::Tree;
use super::url::RepoUrl;
use super::{Credentials, Fetched, Reference, Remote, SourceError};

/// The name of the file in a mirror that records which repository it mirrors (for people, not for the program).
const URL_FILE: &str = "driftless-source-url";

/// Where pinned commits ([`Mirror::keep`]) are held as refs, so that compaction keeps them.
const KEEP_REFS: &str = "refs/driftless/keep/";

/// A fetch that leaves more packs than this starts a compaction in the background.
pub const COMPACT_PACK_LIMIT: usize = 32;

/// The longest a fetch keeps retrying for an announced commit the remote does not serve yet.
const LAG_WINDOW: Duration = Duration::from_secs(10);

/// How long a refused or reset connection is retried (a server restarting), rather than the whole timeout.
const REFUSED_WINDOW: Duration = Duration::from_secs(2);

/// The first and the longest pause between attempts.
const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Every mirror directory open in this process, so that all [`Mirror`]s of one directory share one state.
static OPEN: LazyLock<Mutex<HashMap<PathBuf, Weak<Shared>>>> = LazyLock::new(Default::default);

/// A bare mirror of one repository under `data_dir/mirrors/<sha256 of the normalised URL, 16 hex>`.
///
/// Cheap to share: every `Mirror` opened on the same directory in this process shares one state, so fetches are
/// coalesced and serialised across them. Reads (`tree`, `changed_paths`) run concurrently with fetches.
///
/// Each fetch adds a pack file. gix's object store has a fixed number of index slots per opening, so a
/// long-lived handle would run out after enough fetches; the mirror therefore re-opens its handle after each
/// fetch (cheap: the store is lazy), and each fetch works on a handle of its own.
#[derive(Clone)]
pub struct Mirror {
    shared: Arc<Shared>,
}

/// The state all [`Mirror`]s of one directory share.
struct Shared {
    path: PathBuf,
    url: RepoUrl,
    /// The handle readers use; re-opened after fetches.
    repo: RwLock<gix::ThreadSafeRepository>,
    /// Held while anything changes the mirror on disk: an attempt's worker, compaction, recovery.
    write_lock: Mutex<()>,
    /// Who is fetching, and the latest result per request.
    coordination: Mutex<Coordination>,
    /// Signalled when a fetch ends.
    fetch_ended: Condvar,
    state: Mutex<State>,
    /// Whether a background compaction is running.
    compacting: AtomicBool,
}

/// See [`Mirror`]: one fetch at a time, results by request.
#[derive(Default)]
struct Coordination {
    /// How many fetches have started (the next one's number).
    started: u64,
    running: bool,
    /// The latest result per request, with the number of the fetch that produced it.
    results: HashMap<RequestKey, (u64, Result<Fetched, SourceError>)>,
}

/// What the mirror remembers between fetches.
#[derive(Default)]
struct State {
    /// The local refs each reference needs (by request), kept by compaction.
    tracked: HashMap<Reference, Vec<String>>,
    /// The commits pinned with [`Mirror::keep`]; `None` until it is first called in this process (then the pins
    /// on disk from an earlier run stay as they are).
    kept: Option<BTreeSet<ObjectId>>,
    /// A read failed in a way that may mean damage: the next fetch checks the mirror in depth.
    suspect: bool,
    /// The mirror was recreated: fetch the kept commits again where the remote still has them.
    restore_kept: bool,
    /// Something the next successful fetch must report (the mirror was recreated when it was opened).
    pending_warnings: Vec<String>,
}

/// Identifies a request for coalescing: the same URL (credentials included), reference and announced commit.
#[derive(Clone, PartialEq, Eq, Hash)]
struct RequestKey {
    url: String,
    reference: Reference,
    credentials: [u8; 32],
    expect: Option<String>,
}

impl RequestKey {
    fn new(remote: &Remote) -> RequestKey {
        RequestKey {
            url: remote.url.clone(),
            reference: remote.reference.clone(),
            credentials: fingerprint(&remote.credentials),
            expect: remote.expect.clone(),
        }
    }
}

/// A digest of every credential value, so that requests with different credentials are never coalesced.
fn fingerprint(credentials: &Credentials) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let strings = [&credentials.username, &credentials.password, &credentials.bearer_token];
    for value in strings {
        hasher.update(value.as_deref().map_or(b"-".as_slice(), |v| v.as_bytes()));
        hasher.update([0]);
    }
    let blobs =
        [&credentials.ca_cert, &credentials.cert, &credentials.key, &credentials.identity, &credentials.known_hosts];
    for value in blobs {
        hasher.update(value.as_deref().unwrap_or(b"-"));
        hasher.update([0]);
    }
    hasher.finalize().into()
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").field("path", &self.shared.path).field("url", &self.shared.url.redacted).finish()
    }
}

/// How mirrors are opened: the repository's own config only, nothing from `$HOME`, `/etc` or the environment,
/// so a user's git settings (credential helpers, `insteadOf` rewrites, hooks) never change what the daemon does.
pub(crate) fn open_options() -> gix::open::Options {
    gix::open::Options::isolated()
        .config_overrides([format!("gitoxide.userAgent=driftless/{}", env!("CARGO_PKG_VERSION"))])
        // Room for the packs on disk plus many more fetches before the next re-open.
        .object_store_slots(gix::odb::store::init::Slots::AsNeededByDiskState { multiplier: 1.5, minimum: 64 })
}

/// Opens the bare repository at `path` with [`open_options`].
pub(crate) fn open_repo(path: &Path) -> Result<gix::ThreadSafeRepository, gix::Error> {
    gix::ThreadSafeRepository::open_opts(path, open_options())
}

/// Creates an empty bare mirror of `url` at `path` (which must not exist or be empty).
fn create(path: &Path, url: &RepoUrl) -> Result<gix::ThreadSafeRepository, String> {
    std::fs::create_dir_all(path).map_err(|e| format!("cannot create the directory: {e}"))?;
    let repo = gix::ThreadSafeRepository::init_opts(
        path,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        open_options(),
    )
    .map_err(|e| format!("cannot create a bare repository: {}", chain(&e)))?;
    // Best effort: only a note for people looking at the data directory.
    let _ = std::fs::write(path.join(URL_FILE), format!("{}\n", url.key()));
    Ok(repo)
}

/// Moves the damaged mirror at `path` aside (one atomic rename), creates a fresh one in its place and removes
/// the damaged copy. Returns the new handle and the warning to report.
fn recreate(path: &Path, url: &RepoUrl, reason: &str) -> Result<(gix::ThreadSafeRepository, String), String> {
    let aside = packs::sibling(path, "damaged");
    std::fs::rename(path, &aside).map_err(|e| format!("it is damaged ({reason}) and cannot be moved aside: {e}"))?;
    let repo = create(path, url)?;
    let _ = std::fs::remove_dir_all(&aside);
    tracing::warn!(mirror = %path.display(), url = %url.redacted, %reason, "mirror was damaged; recreated it");
    let warning =
        format!("the mirror at {} was damaged ({reason}); it was moved aside and fetched afresh", path.display());
    Ok((repo, warning))
}

impl Mirror {
    /// Opens the mirror of `url` under `data_dir`, creating it (an empty bare repository) if missing.
    ///
    /// Checks the URL first: `file://`, `http://`, `https://`, `ssh://` and `git://` are accepted. A mirror that
    /// is damaged or half-written (not a repository, a garbage `HEAD`, a truncated pack, a ref to a missing
    /// object) is moved aside and recreated empty; the next fetch fills it and reports that in its warning.
    pub fn open(data_dir: &Path, url: &str) -> Result<Mirror, SourceError> {
        let url = RepoUrl::parse(url)?;
        let path = data_dir.join("mirrors").join(url.mirror_name());
        let mut open = OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        open.retain(|_, weak| weak.strong_count() > 0);
        if let Some(shared) = open.get(&path).and_then(Weak::upgrade) {
            return Ok(Mirror { shared });
        }
        let mirror_error = |detail: String| SourceError::Mirror {
            path: path.clone(),
            url: url.redacted.clone(),
            detail: url.scrub(&detail),
        };
        packs::remove_leftovers(&path);
        let mut state = State::default();
        let is_empty = std::fs::read_dir(&path).map(|mut dir| dir.next().is_none()).unwrap_or(true);
        let repo = if is_empty {
            create(&path, &url).map_err(mirror_error)?
        } else {
            match packs::check(&path, false).map_err(|e| e.to_string()).and_then(|()| {
                open_repo(&path).map_err(|e| format!("it cannot be opened as a git repository: {}", chain(&e)))
            }) {
                Ok(repo) => repo,
                Err(reason) => {
                    let (repo, warning) = recreate(&path, &url, &reason).map_err(mirror_error)?;
                    state.pending_warnings.push(warning);
                    state.restore_kept = true;
                    repo
                }
            }
        };
        let shared = Arc::new(Shared {
            path: path.clone(),
            url,
            repo: RwLock::new(repo),
            write_lock: Mutex::new(()),
            coordination: Mutex::new(Coordination::default()),
            fetch_ended: Condvar::new(),
            state: Mutex::new(state),
            compacting: AtomicBool::new(false),
        });
        open.insert(path, Arc::downgrade(&shared));
        Ok(Mirror { shared })
    }

    /// The mirror's directory (a bare git repository).
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The mirrored URL, with credentials redacted.
    pub fn url(&self) -> &str {
        &self.shared.url.redacted
    }

    /// Fetches what `remote.reference` tracks and names the revision as Flux does; its commit and tree are then
    /// readable. Coalesced with concurrent fetches of the same request, retried on transient failures, bounded
    /// by `remote.timeout` (waiting included). See the module documentation for the layers.
    pub fn fetch(&self, remote: &Remote) -> Result<Fetched, SourceError> {
        let deadline = Instant::now() + remote.timeout;
        let url = RepoUrl::parse(&remote.url)?;
        if url.key() != self.shared.url.key() {
            return Err(SourceError::WrongMirror { mirror_url: self.shared.url.redacted.clone(), url: url.redacted });
        }
        refs::validate(&remote.reference)?;
        self.coalesced(RequestKey::new(remote), deadline, remote, || self.fetch_now(remote, &url, deadline))
    }

    /// Pins `commits` (40 hex each) so that compaction keeps them readable, replacing the previous pins.
    /// The reconciler pins the last applied revision of each Kustomization, so the planner can diff against it.
    /// Commits the mirror does not have are ignored. Takes effect at the next compaction; never blocks on a fetch.
    pub fn keep(&self, commits: &[String]) -> Result<(), SourceError> {
        let mut ids = BTreeSet::new();
        for commit in commits {
            if !super::revision::is_hex_id(commit) {
                return Err(SourceError::InvalidCommit { commit: commit.clone() });
            }
            let id = ObjectId::from_hex(commit.to_ascii_lowercase().as_bytes())
                .map_err(|_| SourceError::InvalidCommit { commit: commit.clone() })?;
            ids.insert(id);
        }
        self.shared.state().kept = Some(ids);
        Ok(())
    }

    /// Rebuilds the mirror with only what must stay: the refs of every reference fetched through it in this
    /// process, plus the commits pinned with [`Mirror::keep`], each at depth 1. Packs drop to one and objects
    /// nothing needs are gone. Runs by itself in the background when a fetch leaves more than
    /// [`COMPACT_PACK_LIMIT`] packs; waits for a running fetch.
    ///
    /// Readers keep working through it: the new mirror takes the old one's place with an atomic swap, and trees
    /// of kept commits resolve in it.
    pub fn compact(&self) -> Result<Compaction, SourceError> {
        let _writing = self.shared.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.shared.compact_locked()
    }

    /// A read-only view of a commit's tree.
    pub fn tree(&self, commit: &str) -> Result<Tree, SourceError> {
        let id = commit_id(commit)?;
        let shared = self.shared.shared_repo();
        let repo = local_repo(&shared);
        let tree_id = self.shared.note_damage(self.shared.tree_of(&repo, id))?;
        Ok(Tree::new(shared, repo, id, tree_id))
    }

    /// Paths (files, repo-relative, '/'-separated, sorted) whose blob id differs between two commits' trees:
    /// added, removed or changed. Computed from the two trees alone, not from history, so it works for any two
    /// commits in the mirror (shallow or not). A rename shows as the old path and the new path. A change of the
    /// executable bit alone is not a change (the blob id is the same); a file turning into a symlink is.
    /// Submodule entries are not files and are left out.
    pub fn changed_paths(&self, from: &str, to: &str) -> Result<Vec<String>, SourceError> {
        let (from_id, to_id) = (commit_id(from)?, commit_id(to)?);
        let repo = local_repo(&self.shared.shared_repo());
        let from_tree = self.shared.note_damage(self.shared.tree_of(&repo, from_id))?;
        let to_tree = self.shared.note_damage(self.shared.tree_of(&repo, to_id))?;
        let diff = super::diff::changed_paths(&repo, from_tree, to_tree).map_err(|detail| SourceError::Object {
            what: format!("the difference to commit {from}"),
            commit: to.to_string(),
            detail: self.shared.url.scrub(&detail),
        });
        self.shared.note_damage(diff)
    }

    /// Runs `fetch` unless a fetch of the same request that started after now finishes first (then its result
    /// is taken). Only one fetch runs at a time; waiting counts against `deadline`.
    fn coalesced(
        &self,
        key: RequestKey,
        deadline: Instant,
        remote: &Remote,
        fetch: impl FnOnce() -> Result<Fetched, SourceError>,
    ) -> Result<Fetched, SourceError> {
        let shared = &self.shared;
        let mut coordination = shared.coordination();
        let ticket = coordination.started;
        loop {
            if let Some((number, result)) = coordination.results.get(&key)
                && *number >= ticket
            {
                return result.clone();
            }
            if !coordination.running {
                coordination.running = true;
                let number = coordination.started;
                coordination.started += 1;
                drop(coordination);
                let running = Running { shared };
                let result = fetch();
                // The result goes in before the fetch counts as ended, so no waiter starts another in between.
                shared.coordination().results.insert(key, (number, result.clone()));
                drop(running);
                return result;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(SourceError::TimedOut {
                    reference: remote.reference.to_string(),
                    url: shared.url.redacted.clone(),
                    timeout: remote.timeout,
                });
            }
            coordination =
                shared.fetch_ended.wait_timeout(coordination, left).map_or_else(|p| p.into_inner().0, |r| r.0);
        }
    }

    /// Fetches now: attempts with retries and the replication-lag wait (see the module documentation).
    fn fetch_now(&self, remote: &Remote, url: &RepoUrl, deadline: Instant) -> Result<Fetched, SourceError> {
        let mut warnings = std::mem::take(&mut self.shared.state().pending_warnings);
        let expect = self.expected_commit(remote, &mut warnings);
        let mut attempts = Attempts::new(deadline, remote.timeout.min(LAG_WINDOW));
        let result = loop {
            let failure = match self.attempt(remote, url, deadline) {
                Ok((resolved, more)) => {
                    warnings.extend(more);
                    self.shared.reopen();
                    match expect {
                        Some(expected)
                            if self.shared.contains(&resolved.revision.commit, expected) != Containment::Yes =>
                        {
                            attempts.lagging(resolved);
                            None
                        }
                        _ => break Ok(resolved),
                    }
                }
                Err(failure) => {
                    self.shared.reopen();
                    if failure.kind != FailureKind::Transient {
                        break Err(failure.error);
                    }
                    Some(failure.error)
                }
            };
            if !attempts.pause(failure.as_ref()) {
                break match (attempts.lag.take(), expect, failure) {
                    (Some((since, resolved)), Some(expected), _) => {
                        warnings.push(lag_warning(remote, expected, since, &resolved));
                        Ok(resolved)
                    }
                    (_, _, Some(error)) => Err(error),
                    (_, _, None) => Err(SourceError::TimedOut {
                        reference: remote.reference.to_string(),
                        url: url.redacted.clone(),
                        timeout: remote.timeout,
                    }),
                };
            }
        };
        match result {
            Ok(resolved) => {
                self.compact_if_needed();
                let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
                Ok(Fetched { revision: resolved.revision, warning })
            }
            Err(error) => {
                // A recreated mirror is still news for the next successful fetch.
                let carried = warnings.into_iter().filter(|w| w.contains("was damaged"));
                self.shared.state().pending_warnings.extend(carried);
                Err(error)
            }
        }
    }

    /// The announced commit, if one applies: commits pinned by `spec.ref.commit` ignore announcements, and an
    /// announcement that is not a commit id is ignored with a warning.
    fn expected_commit(&self, remote: &Remote, warnings: &mut Vec<String>) -> Option<ObjectId> {
        let expect = remote.expect.as_deref()?;
        if matches!(remote.reference, Reference::Commit { .. }) {
            return None;
        }
        match ObjectId::from_hex(expect.to_ascii_lowercase().as_bytes()) {
            Ok(id) if super::revision::is_hex_id(expect) => Some(id),
            _ => {
                warnings.push(format!("ignored the announced commit {expect:?}: it is not a 40-hex commit id"));
                None
            }
        }
    }

    /// One attempt on a worker thread (see [`Shared::attempt_locked`]), abandoned at `deadline`: the worker is
    /// interrupted and ends when its request times out, still holding the write lock until then.
    fn attempt(&self, remote: &Remote, url: &RepoUrl, deadline: Instant) -> Result<(Resolved, Vec<String>), Failure> {
        let interrupt = Arc::new(AtomicBool::new(false));
        let timed_out = || Failure {
            error: SourceError::TimedOut {
                reference: remote.reference.to_string(),
                url: url.redacted.clone(),
                timeout: remote.timeout,
            },
            kind: FailureKind::Transient,
        };
        let session = Session::new(
            url,
            &remote.credentials,
            remote.reference.to_string(),
            remote.timeout,
            deadline,
            interrupt.clone(),
        )?;
        let (shared, reference) = (self.shared.clone(), remote.reference.clone());
        let (done, outcome) = mpsc::channel();
        let spawned = std::thread::Builder::new().name("driftless-fetch".to_string()).spawn(move || {
            let _writing = shared.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let result = if session.interrupted() {
                Err(Failure { error: session.timed_out(), kind: FailureKind::Transient })
            } else {
                shared.attempt_locked(&session, &reference)
            };
            let _ = done.send(result);
        });
        if let Err(err) = spawned {
            return Err(Failure::permanent(SourceError::Fetch {
                reference: remote.reference.to_string(),
                url: url.redacted.clone(),
                detail: format!("cannot start a fetch thread: {err}"),
            }));
        }
        match outcome.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Err(failure)) if failure.kind == FailureKind::Transient && Instant::now() >= deadline => {
                Err(timed_out())
            }
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                interrupt.store(true, Ordering::SeqCst);
                Err(timed_out())
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Failure::permanent(SourceError::Fetch {
                reference: remote.reference.to_string(),
                url: url.redacted.clone(),
                detail: "the fetch thread stopped unexpectedly".to_string(),
            })),
        }
    }

    /// Starts a compaction in the background when the mirror has too many packs and none is running.
    fn compact_if_needed(&self) {
        if packs::count_packs(&self.shared.path) <= COMPACT_PACK_LIMIT
            || self.shared.compacting.swap(true, Ordering::SeqCst)
        {
            return;
        }
        let shared = self.shared.clone();
        let spawned = std::thread::Builder::new().name("driftless-compact".to_string()).spawn(move || {
            let result = {
                let _writing = shared.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                shared.compact_locked()
            };
            match result {
                Ok(done) => tracing::info!(mirror = %shared.path.display(), packs_before = done.packs_before,
                    packs_after = done.packs_after, refs = done.refs, "compacted the mirror"),
                Err(err) => tracing::warn!(mirror = %shared.path.display(), error = %err, "compaction failed"),
            }
            shared.compacting.store(false, Ordering::SeqCst);
        });
        if spawned.is_err() {
            self.shared.compacting.store(false, Ordering::SeqCst);
        }
    }
}

/// Marks the end of the running fetch, also when it panics, and wakes the callers waiting for it.
struct Running<'a> {
    shared: &'a Shared,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.shared.coordination().running = false;
        self.shared.fetch_ended.notify_all();
    }
}

/// The retry state of one fetch: when to stop, and what it is waiting for.
struct Attempts {
    deadline: Instant,
    /// How long to wait for an announced commit.
    lag_window: Duration,
    backoff: Backoff,
    /// Since when the fetch waits for an announced commit, and the latest revision the remote served meanwhile.
    lag: Option<(Instant, Resolved)>,
    /// Since when the remote cannot be reached.
    unreachable_since: Option<Instant>,
}

impl Attempts {
    fn new(deadline: Instant, lag_window: Duration) -> Attempts {
        Attempts { deadline, lag_window, backoff: Backoff::default(), lag: None, unreachable_since: None }
    }

    /// The remote served `resolved`, which does not contain the announced commit.
    fn lagging(&mut self, resolved: Resolved) {
        let since = self.lag.take().map_or_else(Instant::now, |(since, _)| since);
        self.lag = Some((since, resolved));
    }

    /// Pauses before the next attempt after a transient `failure` (or, with none, a lagging result) and returns
    /// true, or returns false when there is no time left for one: the overall deadline, the lag window while
    /// waiting for an announced commit, and [`REFUSED_WINDOW`] for an unreachable remote.
    fn pause(&mut self, failure: Option<&SourceError>) -> bool {
        let mut limit = self.deadline;
        if let Some((since, _)) = &self.lag {
            limit = limit.min(*since + self.lag_window);
        }
        if let Some(SourceError::Unreachable { .. }) = failure {
            limit = limit.min(*self.unreachable_since.get_or_insert_with(Instant::now) + REFUSED_WINDOW);
        }
        match self.backoff.next(limit) {
            Some(pause) => {
                std::thread::sleep(pause);
                true
            }
            None => false,
        }
    }
}

/// Why a fetch settled on a revision without the announced commit.
fn lag_warning(remote: &Remote, expected: ObjectId, since: Instant, resolved: &Resolved) -> String {
    format!(
        "the remote serves {} for {}, which does not contain the announced commit {expected}, still after {:.1}s; \
         applied what it serves (the push may not have reached this server yet, or the ref moved since)",
        resolved.revision,
        remote.reference,
        since.elapsed().as_secs_f64()
    )
}

/// Exponential backoff with jitter: 100 ms, 200 ms, … up to 2 s.
#[derive(Default)]
struct Backoff {
    attempts: u32,
}

impl Backoff {
    /// The next pause, or `None` if waiting it would reach `limit`.
    fn next(&mut self, limit: Instant) -> Option<Duration> {
        let base = BACKOFF_START.saturating_mul(1 << self.attempts.min(5)).min(BACKOFF_MAX);
        self.attempts += 1;
        let jitter = rand::random_range(0.8..1.2);
        let pause = base.mul_f64(jitter);
        (Instant::now() + pause < limit).then_some(pause)
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn coordination(&self) -> MutexGuard<'_, Coordination> {
        self.coordination.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current shared handle.
    fn shared_repo(&self) -> gix::ThreadSafeRepository {
        self.repo.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Re-opens the shared handle so that it sees every pack on disk with room to spare (see [`Mirror`]).
    /// If re-opening fails, the old handle stays: it still works until its slots run out.
    fn reopen(&self) {
        if let Ok(fresh) = open_repo(&self.path) {
            *self.repo.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        }
    }

    /// Passes `result` through, remembering a failure to read objects as possible damage, so that the next
    /// fetch checks the mirror in depth (and recreates it if it is damaged).
    fn note_damage<T>(&self, result: Result<T, SourceError>) -> Result<T, SourceError> {
        if let Err(SourceError::Object { .. }) = &result {
            self.state().suspect = true;
        }
        result
    }

    /// The root tree of commit `id`, which must be in the mirror.
    fn tree_of(&self, repo: &gix::Repository, id: ObjectId) -> Result<ObjectId, SourceError> {
        let not_found = || SourceError::CommitNotFound { commit: id.to_string(), url: self.url.redacted.clone() };
        let object_error = |e: &gix::Error| SourceError::Object {
            what: "the commit".to_string(),
            commit: id.to_string(),
            detail: chain(e),
        };
        let object = repo.try_find_object(id).map_err(|e| object_error(&e))?.ok_or_else(not_found)?;
        let commit = object.try_into_commit().map_err(|_| not_found())?;
        Ok(commit.tree_id().map_err(|e| object_error(&e))?.detach())
    }

    /// Whether `tip`'s history in the mirror contains `expected`.
    fn contains(&self, tip: &str, expected: ObjectId) -> Containment {
        let Ok(tip) = ObjectId::from_hex(tip.as_bytes()) else { return Containment::No };
        refs::contains(&local_repo(&self.shared_repo()), tip, expected)
    }

    /// One attempt, with the write lock held: checks the mirror (recreating it if damaged), fetches and resolves
    /// the reference, and records the refs it needs. A failure that looks like local damage leads to a deep
    /// check and, if the mirror is damaged, one more try on a fresh mirror.
    fn attempt_locked(&self, session: &Session, reference: &Reference) -> Result<(Resolved, Vec<String>), Failure> {
        let mut warnings = Vec::new();
        let deep = self.state().suspect;
        match packs::check(&self.path, deep) {
            Ok(()) => self.state().suspect = false,
            Err(reason) => warnings.push(self.recreate(&reason)?),
        }
        let resolved = match self.resolve(session, reference) {
            Err(failure) if failure.kind == FailureKind::Local => match packs::check(&self.path, true) {
                Ok(()) => return Err(failure),
                Err(reason) => {
                    warnings.push(self.recreate(&reason)?);
                    self.resolve(session, reference)?
                }
            },
            other => other?,
        };
        let restore = std::mem::take(&mut self.state().restore_kept);
        if restore {
            self.restore_kept(session);
        }
        self.state().tracked.insert(reference.clone(), resolved.refs.clone());
        Ok((resolved, warnings))
    }

    /// Opens a handle of the attempt's own (so it has room for the packs it adds) and resolves `reference`.
    fn resolve(&self, session: &Session, reference: &Reference) -> Result<Resolved, Failure> {
        let repo = open_repo(&self.path).map_err(|e| Failure {
            error: self.mirror_error(format!("cannot open it: {}", chain(&e))),
            kind: FailureKind::Local,
        })?;
        refs::resolve(session, &local_repo(&repo), reference)
    }

    /// Recreates the damaged mirror (write lock held); returns the warning for the caller.
    fn recreate(&self, reason: &str) -> Result<String, Failure> {
        let (repo, warning) =
            recreate(&self.path, &self.url, reason).map_err(|e| Failure::permanent(self.mirror_error(e)))?;
        *self.repo.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = repo;
        let mut state = self.state();
        state.tracked.clear();
        state.suspect = false;
        state.restore_kept = true;
        Ok(warning)
    }

    /// After the mirror was recreated: fetches the pinned commits by id again, where the remote still has them
    /// and serves objects by id. Best effort; a commit that cannot be had is simply not there.
    fn restore_kept(&self, session: &Session) {
        let kept: Vec<ObjectId> = self.state().kept.iter().flatten().copied().collect();
        if kept.is_empty() {
            return;
        }
        let Ok(repo) = open_repo(&self.path) else { return };
        let repo = local_repo(&repo);
        let refspecs: Vec<String> = kept.iter().map(|id| format!("{id}:{KEEP_REFS}{id}")).collect();
        let shallow = gix::remote::fetch::Shallow::DepthAtRemote(std::num::NonZeroU32::MIN);
        if let Err(failure) = session.fetch(&repo, &refspecs, shallow) {
            tracing::info!(mirror = %self.path.display(), error = %failure.error, "could not fetch the kept commits again");
        }
    }

    /// See [`Mirror::compact`]; the write lock must be held.
    fn compact_locked(&self) -> Result<Compaction, SourceError> {
        let repo = local_repo(
            &open_repo(&self.path).map_err(|e| self.mirror_error(format!("cannot open it: {}", chain(&e))))?,
        );
        self.write_keep_refs(&repo).map_err(|e| self.mirror_error(e))?;
        let mut keep: BTreeSet<String> = self.state().tracked.values().flatten().cloned().collect();
        keep.extend(refs_under(&repo, KEEP_REFS));
        let keep: Vec<String> = keep.into_iter().filter(|name| refs::local_ref(&repo, name).is_some()).collect();
        drop(repo);
        if keep.is_empty() {
            let packs = packs::count_packs(&self.path);
            return Ok(Compaction { packs_before: packs, packs_after: packs, refs: 0 });
        }
        let done = packs::compact(&self.path, &keep, &[URL_FILE])
            .map_err(|e| self.mirror_error(format!("compaction failed: {e}")))?;
        self.reopen();
        Ok(done)
    }

    /// Makes the refs under `refs/driftless/keep/` match the pins of [`Mirror::keep`] (commits the mirror has).
    fn write_keep_refs(&self, repo: &gix::Repository) -> Result<(), String> {
        let Some(kept) = self.state().kept.clone() else { return Ok(()) };
        for name in refs_under(repo, KEEP_REFS) {
            let pinned = name.strip_prefix(KEEP_REFS).and_then(|hex| ObjectId::from_hex(hex.as_bytes()).ok());
            if pinned.is_none_or(|id| !kept.contains(&id)) {
                let edit = gix::refs::transaction::RefEdit {
                    change: gix::refs::transaction::Change::Delete {
                        expected: gix::refs::transaction::PreviousValue::Any,
                        log: gix::refs::transaction::RefLog::AndReference,
                    },
                    name: name.as_str().try_into().map_err(|e| format!("invalid ref {name}: {e}"))?,
                    deref: false,
                };
                repo.edit_reference(edit).map_err(|e| format!("cannot remove {name}: {}", chain(&e)))?;
            }
        }
        for id in kept {
            if refs::is_commit(repo, id) {
                refs::set_ref(repo, &format!("{KEEP_REFS}{id}"), id)?;
            }
        }
        Ok(())
    }

    fn mirror_error(&self, detail: String) -> SourceError {
        SourceError::Mirror { path: self.path.clone(), url: self.url.redacted.clone(), detail: self.url.scrub(&detail) }
    }
}

/// The names of the local refs under `prefix`.
fn refs_under(repo: &gix::Repository, prefix: &str) -> Vec<String> {
    let Ok(platform) = repo.references() else { return Vec::new() };
    let Ok(iter) = platform.prefixed(prefix) else { return Vec::new() };
    iter.flatten().map(|r| r.name().as_bstr().to_string()).collect()
}

/// Parses a 40-hex commit id.
fn commit_id(commit: &str) -> Result<ObjectId, SourceError> {
    if !super::revision::is_hex_id(commit) {
        return Err(SourceError::InvalidCommit { commit: commit.to_string() });
    }
    ObjectId::from_hex(commit.to_ascii_lowercase().as_bytes())
        .map_err(|_| SourceError::InvalidCommit { commit: commit.to_string() })
}

/// A thread-local handle on `repo` with an object cache, for a burst of reads.
pub(crate) fn local_repo(repo: &gix::ThreadSafeRepository) -> gix::Repository {
    let mut repo = repo.to_thread_local();
    repo.object_cache_size_if_unset(4 * 1024 * 1024);
    repo
}

/// An error and its causes as one line: `outer: cause: root cause`, repeated messages dropped.
pub(crate) fn chain(err: &gix::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in err.iter_errors() {
        let msg = e.to_string();
        if msg.is_empty() || parts.iter().any(|p| p == &msg || p.contains(&msg)) {
            continue;
        }
        parts.push(msg);
    }
    if parts.is_empty() { err.to_string() } else { parts.join(": ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops_at_the_limit() {
        let mut backoff = Backoff::default();
        let far = Instant::now() + Duration::from_secs(3600);
        let pauses: Vec<Duration> = (0..8).map(|_| backoff.next(far).expect("time left")).collect();
        assert!(pauses[0] < Duration::from_millis(130), "{pauses:?}");
        assert!(pauses[3] > pauses[0] * 4, "{pauses:?}");
        assert!(pauses.iter().all(|p| *p <= BACKOFF_MAX.mul_f64(1.2)), "{pauses:?}");
        assert_eq!(Backoff::default().next(Instant::now() + Duration::from_millis(10)), None);
    }

    #[test]
    fn different_credentials_are_different_requests() {
        let remote = |password: &str| Remote {
            url: "https://example.com/r.git".into(),
            reference: Reference::Branch("main".into()),
            timeout: Duration::from_secs(1),
            credentials: Credentials { password: Some(password.into()), ..Credentials::default() },
            expect: None,
        };
        assert!(RequestKey::new(&remote("a")) == RequestKey::new(&remote("a")));
        assert!(RequestKey::new(&remote("a")) != RequestKey::new(&remote("b")));
    }
}
