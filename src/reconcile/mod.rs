//! The reconciler: one task per GitRepository fetches on a trigger (a
//! receiver) or a poll tick, and wakes the Kustomizations it sources when the
//! tip moved; one task per Kustomization renders and applies on a wake-up or
//! a drift tick. A Kustomization never reconciles twice at once; wake-ups
//! that arrive meanwhile coalesce into one follow-up, which reads the newest
//! revision.

pub mod metrics;
pub mod status;

use self::metrics::Metrics;
use self::status::{Affected, Changes, KustomizationStatus, PlanSummary, Ready, SourceStatus};
use crate::api::{Config, GitReference, GitRepository, Kustomization, ObjectKey, Receiver};
use crate::apply::cluster::Cluster;
use crate::apply::inventory::{Inventory, InventoryStore, Record};
use crate::apply::{self, Options, Owner};
use crate::config::Secrets;
use crate::plan::{Change, Mode, ReadSetRecord, ReadSets, Resolved, Target, Update};
use crate::receive::Push;
use crate::render::fs::{Fs, FsError, Kind};
use crate::source::{
    Credentials, EntryKind, IgnoreRules, Mirror, Reference, Remote, Revision, SourceError, Tree, TrustedKeys,
    VerifyMode,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;

/// How the reconciler works.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mirrors live under `<data_dir>/mirrors`.
    pub data_dir: PathBuf,
    pub secrets: Secrets,
    /// The server-side apply field manager.
    pub field_manager: String,
    /// Where inventories are kept; `None` puts each in its Kustomization's namespace.
    pub inventory_namespace: Option<String>,
    /// How many Kustomizations may render and apply at once.
    pub concurrency: usize,
    /// An unset postBuild variable without a default is an error.
    pub strict_substitution: bool,
    /// Every new revision reconciles every Kustomization of its source (Flux's
    /// behaviour) instead of only the ones it affects.
    pub reconcile_everything: bool,
}

/// How long the read-set writer waits after a change, so that the records of a
/// burst of reconciles are written once.
const SAVE_DELAY: Duration = Duration::from_millis(500);

/// A GitRepository and what the daemon knows of it.
struct SourceSlot {
    repo: GitRepository,
    mirror: Result<Arc<Mirror>, String>,
    wake: Notify,
    /// The verified revision the Kustomizations render.
    revision: Mutex<Option<Revision>>,
    /// A commit a receiver announced for the tracked ref; the next fetch waits for it to appear.
    expect: Mutex<Option<String>>,
    /// The ignore rules of the last tree read, by commit.
    ignore: Mutex<Option<(String, IgnoreRules)>>,
    status: Mutex<SourceStatus>,
    dependents: Vec<ObjectKey>,
    /// The read-sets of its Kustomizations and the commit planned last.
    plan: Mutex<PlanState>,
    /// Wakes the task that writes the read-sets to disk.
    save: Notify,
}

/// What the planner keeps for one source.
struct PlanState {
    read_sets: ReadSets,
    /// The commit the last plan moved the source to (after a restart: the
    /// commit every stored record is of, if they agree).
    planned: Option<String>,
    /// Where the records are kept: `<data_dir>/readsets/<namespace>_<name>.json`.
    file: PathBuf,
}

impl PlanState {
    /// Reads the records kept for `repo`; an unreadable file plans every
    /// Kustomization of the source as affected.
    fn load(data_dir: &std::path::Path, repo: &GitRepository, dependents: &[ObjectKey]) -> PlanState {
        let file = data_dir.join("readsets").join(format!("{}_{}.json", repo.key.namespace, repo.key.name));
        let mut read_sets = match std::fs::read(&file) {
            Ok(bytes) => ReadSets::from_bytes(&bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ReadSets::new(),
            Err(e) => {
                tracing::warn!(source = %repo.key, file = %file.display(), error = %e, "cannot read the read-set records; every Kustomization is affected by the next revision");
                ReadSets::from_bytes(b"")
            }
        };
        let known: std::collections::HashSet<String> = dependents.iter().map(ToString::to_string).collect();
        let stale: Vec<String> = read_sets.keys().filter(|k| !known.contains(*k)).map(String::from).collect();
        for key in stale {
            read_sets.remove(&key);
        }
        let planned = read_sets.common_revision().map(String::from);
        PlanState { read_sets, planned, file }
    }
}

/// A Kustomization and what the daemon knows of it.
struct KsSlot {
    ks: Kustomization,
    wake: Notify,
    status: Mutex<KustomizationStatus>,
    /// The inventory as last applied; read from the cluster on first use.
    inventory: tokio::sync::Mutex<Option<Inventory>>,
    /// Why the last plan woke it (taken by the reconcile it starts).
    trigger: Mutex<Option<String>>,
    /// The digest of its inputs that are fixed while the daemon runs (see [`static_digest`]).
    spec_digest: String,
    /// The Kustomizations whose `dependsOn` names it.
    dependents: Vec<ObjectKey>,
    /// Set while it waits for a dependency: the dependency wakes it once ready.
    waiting: std::sync::atomic::AtomicBool,
}

/// The digest of what a Kustomization's render depends on besides the tree
/// and fixed for the daemon's lifetime: its spec, its source's ignore rules,
/// the settings that change output, the driftless version.
fn static_digest(ks: &Kustomization, ignore: Option<&str>, settings: &Settings) -> String {
    let spec = serde_json::to_value(&ks.spec).unwrap_or_else(|e| serde_json::Value::String(e.to_string()));
    let settings = serde_json::json!({
        "ignore": ignore,
        "strictSubstitution": settings.strict_substitution,
        "driftless": env!("CARGO_PKG_VERSION"),
    });
    crate::plan::spec_digest([("spec", &spec), ("settings", &settings)])
}

/// A mapping of the spec (`commonMetadata.labels`, `postBuild.substitute`), empty when absent.
fn mapping(v: Option<&serde_json::Value>) -> serde_json::Map<String, serde_json::Value> {
    v.and_then(|v| v.as_object()).cloned().unwrap_or_default()
}

/// The input digest: the static one, with the postBuild variables' values when there are any.
fn with_values(static_digest: &str, values: Option<BTreeMap<String, String>>) -> String {
    match values {
        None => static_digest.to_string(),
        Some(values) => {
            let values = serde_json::to_value(values).unwrap_or_default();
            let base = serde_json::Value::String(static_digest.to_string());
            crate::plan::spec_digest([("static", &base), ("substitutions", &values)])
        }
    }
}

/// What a render depends on besides the tree: the build options and their digest.
struct Inputs {
    options: crate::render::Options,
    /// [`crate::plan::spec_digest`] of the spec, the substitution values, the
    /// source's ignore rules and the settings that change the output.
    digest: String,
}

/// A Receiver with its secret token and hook path.
pub struct ReceiverSlot {
    pub receiver: Receiver,
    pub token: String,
    pub path: String,
}

/// What a push did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Triggered {
    /// GitRepositories whose fetch was triggered.
    pub triggered: Vec<String>,
    /// Why other refs or repositories were ignored.
    pub ignored: Vec<String>,
}

/// The reconciler of one config.
pub struct Engine {
    settings: Settings,
    cluster: Arc<Cluster>,
    sources: BTreeMap<ObjectKey, Arc<SourceSlot>>,
    kustomizations: BTreeMap<ObjectKey, Arc<KsSlot>>,
    receivers: Vec<ReceiverSlot>,
    permits: Semaphore,
    metrics: Metrics,
}

fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An interval with ±10% jitter, so many objects do not tick together.
fn jittered(d: Duration) -> Duration {
    use rand::Rng;
    let f = rand::rng().random_range(0.9..1.1);
    d.mul_f64(f).max(Duration::from_millis(100))
}

impl Engine {
    /// Prepares the reconciler: opens mirrors, reads receiver tokens. A missing
    /// receiver token is an error (the hook path depends on it).
    pub fn new(config: Config, cluster: Arc<Cluster>, settings: Settings) -> Result<Arc<Engine>, String> {
        let mut sources = BTreeMap::new();
        for repo in &config.git_repositories {
            let dependents: Vec<ObjectKey> =
                config.kustomizations.iter().filter(|k| k.source == repo.key).map(|k| k.key.clone()).collect();
            let mirror = Mirror::open(&settings.data_dir, &repo.url).map(Arc::new).map_err(|e| e.to_string());
            let (ready, reason, message) = match &mirror {
                Ok(_) => (Ready::Unknown, "Progressing", "waiting for the first fetch".to_string()),
                Err(e) => (Ready::False, "GitOperationFailed", e.clone()),
            };
            let status = SourceStatus {
                name: repo.key.name.clone(),
                namespace: repo.key.namespace.clone(),
                url: mirror.as_ref().map(|m| m.url().to_string()).unwrap_or_default(),
                revision: None,
                ready,
                reason: reason.into(),
                message,
                last_fetch: None,
                triggered: 0,
                warning: None,
                verified: None,
                suspended: repo.suspend,
                last_plan: None,
            };
            let plan = PlanState::load(&settings.data_dir, repo, &dependents);
            sources.insert(
                repo.key.clone(),
                Arc::new(SourceSlot {
                    repo: repo.clone(),
                    mirror,
                    wake: Notify::new(),
                    revision: Mutex::new(None),
                    expect: Mutex::new(None),
                    ignore: Mutex::new(None),
                    status: Mutex::new(status),
                    dependents,
                    plan: Mutex::new(plan),
                    save: Notify::new(),
                }),
            );
        }
        // Who names each Kustomization in `dependsOn`, collected in one pass.
        let mut dependents_of: BTreeMap<ObjectKey, Vec<ObjectKey>> = BTreeMap::new();
        for ks in &config.kustomizations {
            for dep in &ks.depends_on {
                dependents_of.entry(dep.clone()).or_default().push(ks.key.clone());
            }
        }
        let mut kustomizations = BTreeMap::new();
        for ks in &config.kustomizations {
            let status = KustomizationStatus {
                name: ks.key.name.clone(),
                namespace: ks.key.namespace.clone(),
                source: ks.source.to_string(),
                path: ks.path.clone(),
                last_applied_revision: None,
                last_attempted_revision: None,
                ready: Ready::Unknown,
                reason: "Progressing".into(),
                message: "waiting for the source".into(),
                last_reconcile: None,
                last_duration_ms: None,
                inventory: 0,
                changes: Changes::default(),
                suspended: ks.suspend,
                last_seen_revision: None,
                last_plan: None,
            };
            kustomizations.insert(
                ks.key.clone(),
                Arc::new(KsSlot {
                    ks: ks.clone(),
                    wake: Notify::new(),
                    status: Mutex::new(status),
                    inventory: tokio::sync::Mutex::new(None),
                    trigger: Mutex::new(None),
                    spec_digest: static_digest(
                        ks,
                        config.git_repository(&ks.source).and_then(|r| r.ignore.as_deref()),
                        &settings,
                    ),
                    dependents: dependents_of.remove(&ks.key).unwrap_or_default(),
                    waiting: std::sync::atomic::AtomicBool::new(false),
                }),
            );
        }
        let mut receivers = Vec::new();
        for r in &config.receivers {
            let token = settings
                .secrets
                .get(&r.secret_ref, "token")
                .map_err(|e| format!("Receiver {}: spec.secretRef: {e}", r.key))?;
            let path = crate::receive::hook_path(&token, &r.key.name, &r.key.namespace);
            receivers.push(ReceiverSlot { receiver: r.clone(), token, path });
        }
        let permits = Semaphore::new(settings.concurrency.max(1));
        Ok(Arc::new(Engine { settings, cluster, sources, kustomizations, receivers, permits, metrics: Metrics::new() }))
    }

    /// Starts one task per GitRepository and per Kustomization; they stop when `shutdown` turns true.
    pub fn spawn(self: &Arc<Self>, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let mut tasks = Vec::new();
        // Writes each source's read-sets when they change, and once more at shutdown.
        for slot in self.sources.values() {
            let (engine, slot, mut stop) = (self.clone(), slot.clone(), shutdown.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = slot.save.notified() => {}
                        _ = stop.changed() => break,
                    }
                    // Changes that follow within the delay share one write.
                    tokio::select! {
                        _ = tokio::time::sleep(SAVE_DELAY) => engine.save_read_sets(&slot).await,
                        _ = stop.changed() => break,
                    }
                }
                engine.save_read_sets(&slot).await;
            }));
        }
        for key in self.sources.keys() {
            let (engine, key, mut stop) = (self.clone(), key.clone(), shutdown.clone());
            tasks.push(tokio::spawn(async move {
                let Some(slot) = engine.sources.get(&key).cloned() else { return };
                if slot.repo.suspend || slot.mirror.is_err() {
                    return;
                }
                loop {
                    engine.fetch(&slot).await;
                    tokio::select! {
                        _ = slot.wake.notified() => {}
                        _ = tokio::time::sleep(jittered(slot.repo.interval)) => {}
                        _ = stop.changed() => return,
                    }
                }
            }));
        }
        for key in self.kustomizations.keys() {
            let (engine, key, mut stop) = (self.clone(), key.clone(), shutdown.clone());
            tasks.push(tokio::spawn(async move {
                let Some(slot) = engine.kustomizations.get(&key).cloned() else { return };
                if slot.ks.suspend {
                    return;
                }
                loop {
                    tokio::select! {
                        _ = slot.wake.notified() => {}
                        _ = tokio::time::sleep(jittered(slot.ks.interval)) => {}
                        _ = stop.changed() => return,
                    }
                    engine.reconcile(&slot).await;
                }
            }));
        }
        tasks
    }

    /// The receiver served at `path` (`/hook/<digest>`).
    pub fn receiver(&self, path: &str) -> Option<&ReceiverSlot> {
        self.receivers.iter().find(|r| r.path == path)
    }

    pub fn receivers(&self) -> &[ReceiverSlot] {
        &self.receivers
    }

    /// Triggers a fetch of the receiver's GitRepositories that track a pushed ref of the pushed repository.
    pub fn push(&self, receiver: &Receiver, push: &Push) -> Triggered {
        let mut out = Triggered::default();
        for key in &receiver.resources {
            let Some(slot) = self.sources.get(key) else { continue };
            let same_repo =
                push.repository.is_empty() || push.repository.iter().any(|u| same_repository(u, &slot.repo.url));
            if !same_repo {
                out.ignored.push(format!("GitRepository {key} tracks another repository"));
                continue;
            }
            let tracked = push.refs.iter().find(|r| tracks(&slot.repo.reference, &r.name));
            let Some(update) = tracked else {
                let refs: Vec<&str> = push.refs.iter().map(|r| r.name.as_str()).collect();
                out.ignored.push(format!("GitRepository {key} does not track {}", refs.join(", ")));
                continue;
            };
            if slot.repo.suspend {
                out.ignored.push(format!("GitRepository {key} is suspended"));
                continue;
            }
            if let Ok(mut st) = slot.status.lock() {
                st.triggered += 1;
            }
            // Replication lag: the fetch waits (a bounded time) for the announced commit.
            // (Only branches announce commits; a tag push announces a tag object.)
            if !update.is_deletion()
                && update.name.starts_with("refs/heads/")
                && let Ok(mut e) = slot.expect.lock()
            {
                *e = Some(update.after.clone());
            }
            slot.wake.notify_one();
            out.triggered.push(key.to_string());
        }
        out
    }

    /// Fetches a GitRepository now (as the poll loop would).
    pub fn trigger(&self, key: &ObjectKey) -> bool {
        self.sources.get(key).map(|s| s.wake.notify_one()).is_some()
    }

    pub fn source_statuses(&self) -> Vec<SourceStatus> {
        self.sources.values().filter_map(|s| s.status.lock().ok().map(|st| st.clone())).collect()
    }

    pub fn kustomization_statuses(&self) -> Vec<KustomizationStatus> {
        self.kustomizations.values().filter_map(|s| s.status.lock().ok().map(|st| st.clone())).collect()
    }

    fn remote(&self, repo: &GitRepository, expect: Option<String>) -> Result<Remote, String> {
        let reference = match &repo.reference {
            GitReference::Branch(b) => Reference::Branch(b.clone()),
            GitReference::Tag(t) => Reference::Tag(t.clone()),
            GitReference::Semver(r) => Reference::Semver(r.clone()),
            GitReference::Name(n) => Reference::Name(n.clone()),
            GitReference::Commit { commit, branch } => {
                Reference::Commit { commit: commit.clone(), branch: branch.clone() }
            }
        };
        let credentials = match &repo.secret_ref {
            None => Credentials::default(),
            Some(name) => {
                let s = &self.settings.secrets;
                let text = |key: &str| s.get_opt(name, key).map_err(|e| e.to_string());
                let bytes = |key: &str| s.bytes_opt(name, key).map_err(|e| e.to_string());
                Credentials {
                    username: text("username")?,
                    password: text("password")?,
                    bearer_token: text("bearerToken")?,
                    ca_cert: bytes("ca.crt")?,
                    cert: bytes("tls.crt")?,
                    key: bytes("tls.key")?,
                    identity: bytes("identity")?,
                    known_hosts: bytes("known_hosts")?,
                }
            }
        };
        Ok(Remote { url: repo.url.clone(), reference, timeout: repo.timeout, credentials, expect })
    }

    /// The keys a GitRepository's `spec.verify` trusts.
    fn trusted_keys(&self, verify: &crate::api::Verify) -> Result<(VerifyMode, TrustedKeys), (String, String)> {
        let mode = VerifyMode::parse(&verify.mode).map_err(|e| (e.reason().to_string(), e.to_string()))?;
        let files = self
            .settings
            .secrets
            .files(&verify.secret_ref)
            .map_err(|e| ("VerificationError".to_string(), format!("spec.verify.secretRef: {e}")))?;
        let keys = TrustedKeys::from_secret_files(&files).map_err(|e| (e.reason().to_string(), e.to_string()))?;
        Ok((mode, keys))
    }

    /// Fetches the tracked ref, verifies it when asked to, and wakes the
    /// dependents when the verified tip moved. A failed fetch or verification
    /// leaves the Kustomizations on the last good revision.
    async fn fetch(&self, slot: &Arc<SourceSlot>) {
        let Ok(mirror) = slot.mirror.clone() else { return };
        let expect = slot.expect.lock().ok().and_then(|mut e| e.take());
        let verify = match slot.repo.verify.as_ref().map(|v| self.trusted_keys(v)).transpose() {
            Ok(v) => v,
            Err((reason, message)) => {
                self.source_failed(slot, &reason, message);
                return;
            }
        };
        let remote = match self.remote(&slot.repo, expect) {
            Ok(r) => r,
            Err(e) => {
                self.source_failed(slot, "GitOperationFailed", e);
                return;
            }
        };
        let reference = remote.reference.clone();
        let result = tokio::task::spawn_blocking(move || {
            let fetched = mirror.fetch(&remote).map_err(|e| ("GitOperationFailed".to_string(), e.to_string()))?;
            let verified = match &verify {
                None => None,
                Some((mode, keys)) => {
                    let tag = match &reference {
                        Reference::Tag(_) | Reference::Semver(_) => Some(fetched.revision.name.clone()),
                        Reference::Name(n) if n.starts_with("refs/tags/") => Some(n.clone()),
                        _ => None,
                    };
                    let v = mirror
                        .verify(*mode, &fetched.revision.commit, tag.as_deref(), keys)
                        .map_err(|e| (e.reason().to_string(), e.to_string()))?;
                    Some(v.message())
                }
            };
            Ok::<_, (String, String)>((fetched, verified))
        })
        .await
        .unwrap_or_else(|e| Err(("GitOperationFailed".to_string(), format!("fetch task failed: {e}"))));
        let (fetched, verified) = match result {
            Ok(r) => r,
            Err((reason, message)) => {
                self.source_failed(slot, &reason, message);
                return;
            }
        };
        let rev = fetched.revision;
        let moved = {
            let mut status = slot.status.lock().unwrap_or_else(|p| p.into_inner());
            let mut current = slot.revision.lock().unwrap_or_else(|p| p.into_inner());
            let moved = current.as_ref() != Some(&rev);
            if moved {
                tracing::info!(source = %slot.repo.key, revision = %rev, "fetched a new revision");
            }
            if let Some(w) = &fetched.warning {
                tracing::warn!(source = %slot.repo.key, warning = %w, "fetch warning");
            }
            status.last_fetch = Some(now());
            status.revision = Some(rev.to_string());
            status.ready = Ready::True;
            status.reason = "Succeeded".into();
            status.message = format!("stored artifact for revision '{rev}'");
            status.warning = fetched.warning;
            status.verified = verified;
            *current = Some(rev.clone());
            moved
        };
        if moved {
            self.plan(slot, &rev).await;
        }
    }

    /// Decides which Kustomizations of `source` its new revision `rev`
    /// affects, wakes those, and records the revision as seen by the others.
    async fn plan(&self, source: &Arc<SourceSlot>, rev: &Revision) {
        let started = Instant::now();
        let everything = self.settings.reconcile_everything || source.repo.reconcile_everything;
        let mode = if everything { Mode::Everything } else { Mode::Planned };
        let slots: Vec<Arc<KsSlot>> = source
            .dependents
            .iter()
            .filter_map(|k| self.kustomizations.get(k))
            .filter(|k| !k.ks.suspend)
            .cloned()
            .collect();
        let mut targets: Vec<(String, String)> = Vec::with_capacity(slots.len());
        for ks in &slots {
            let digest = match mode {
                Mode::Everything => String::new(),
                // Inputs that cannot be read now make the digest differ: the
                // Kustomization runs, and its reconcile reports the error.
                Mode::Planned => self.digest(ks).await.unwrap_or_else(|e| format!("unreadable: {e}")),
            };
            targets.push((ks.ks.key.to_string(), digest));
        }
        let to = rev.commit.clone();
        let from = source.plan.lock().unwrap_or_else(|p| p.into_inner()).planned.clone();
        let changes = match (&from, mode) {
            (Some(from), Mode::Planned) if *from != to => self.changes(source, from, &to).await,
            _ => None,
        };
        let plan = {
            let mut state = source.plan.lock().unwrap_or_else(|p| p.into_inner());
            let refs: Vec<Target<'_>> =
                targets.iter().map(|(key, digest)| Target { key, spec_digest: digest }).collect();
            let update = Update { from: from.as_deref(), to: &to, changes: changes.as_deref() };
            let plan = state.read_sets.plan(&update, &refs, mode);
            state.read_sets.mark_skipped_seen(&plan, &to);
            state.planned = Some(to.clone());
            plan
        };
        source.save.notify_one();
        let rev_text = rev.to_string();
        let from_text = from.as_ref().map(|c| Revision { name: rev.name.clone(), commit: c.clone() }.to_string());
        let affected: Vec<Affected> = plan
            .affected_with_reasons()
            .map(|(name, reason)| Affected { name: name.to_string(), reason: reason.to_string() })
            .collect();
        let summary = PlanSummary {
            from: from_text,
            to: rev_text.clone(),
            mode: if everything { "everything" } else { "affected" }.into(),
            at: now(),
            total: plan.total(),
            affected: plan.affected(),
            skipped: plan.skipped(),
            affected_kustomizations: affected.iter().take(PlanSummary::LISTED).cloned().collect(),
            duration_us: started.elapsed().as_micros() as u64,
        };
        tracing::info!(source = %source.repo.key, from = ?summary.from, to = %rev_text, mode = %summary.mode,
            kustomizations = summary.total, affected = summary.affected, skipped = summary.skipped,
            duration_us = summary.duration_us, "planned");
        if !everything {
            for a in &affected {
                tracing::info!(source = %source.repo.key, kustomization = %a.name, reason = %a.reason, "affected");
            }
        }
        self.metrics.planned(&source.repo.key.to_string(), summary.affected, summary.skipped);
        if let Ok(mut st) = source.status.lock() {
            st.last_plan = Some(summary);
        }
        for (decision, ks) in plan.decisions.iter().zip(&slots) {
            match &decision.affected {
                Some(reason) => {
                    if let Ok(mut t) = ks.trigger.lock() {
                        *t = Some(format!("{reason} (revision {rev_text})"));
                    }
                    ks.wake.notify_one();
                }
                None => Self::set_status(ks, |st| {
                    st.last_seen_revision = Some(rev_text.clone());
                    st.last_plan = Some(format!("skipped {rev_text}: nothing it reads changed"));
                    // After a restart: its record says the last reconcile succeeded.
                    if st.ready == Ready::Unknown {
                        st.ready = Ready::True;
                        st.reason = "ReconciliationSucceeded".into();
                        st.message = format!(
                            "Up to date with revision {rev_text}: nothing it reads changed since its last apply"
                        );
                    }
                }),
            }
        }
    }

    /// The paths that changed from commit `from` to `to`, classified for the
    /// planner; `None` (everything affected) when they cannot be known, e.g.
    /// `from` is gone after a force-push.
    async fn changes(&self, source: &SourceSlot, from: &str, to: &str) -> Option<Vec<Change>> {
        let mirror = source.mirror.clone().ok()?;
        let (from, to) = (from.to_string(), to.to_string());
        let result = tokio::task::spawn_blocking(move || {
            let paths = mirror.changed_paths(&from, &to).map_err(|e| e.to_string())?;
            let before = mirror.tree(&from).map_err(|e| e.to_string())?;
            let after = mirror.tree(&to).map_err(|e| e.to_string())?;
            Ok::<_, String>(crate::plan::classify(&paths, &TreeFs(before), &TreeFs(after)))
        })
        .await
        .unwrap_or_else(|e| Err(format!("task failed: {e}")));
        match result {
            Ok(changes) => Some(changes),
            Err(e) => {
                tracing::warn!(source = %source.repo.key, error = %e, "changed paths unknown; every Kustomization is affected");
                None
            }
        }
    }

    /// Writes the source's read-sets to disk (atomically: a temporary file renamed).
    async fn save_read_sets(&self, source: &SourceSlot) {
        let (bytes, file) = {
            let state = source.plan.lock().unwrap_or_else(|p| p.into_inner());
            (state.read_sets.to_bytes(), state.file.clone())
        };
        let result = tokio::task::spawn_blocking(move || {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = file.with_extension("json.tmp");
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &file)
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        if let Err(e) = result {
            tracing::warn!(source = %source.repo.key, error = %e, "cannot write the read-set records");
        }
    }

    fn source_failed(&self, slot: &SourceSlot, reason: &str, message: String) {
        tracing::warn!(source = %slot.repo.key, %reason, error = %message, "source not ready");
        let mut status = slot.status.lock().unwrap_or_else(|p| p.into_inner());
        status.last_fetch = Some(now());
        status.ready = Ready::False;
        status.reason = reason.to_string();
        status.message = message;
    }

    /// Pins, in the source's mirror, the revisions its Kustomizations last
    /// applied and the one planned last, so compaction keeps them for the planner.
    fn keep_applied(&self, source: &SourceSlot) {
        let Ok(mirror) = &source.mirror else { return };
        let mut commits: Vec<String> = source
            .dependents
            .iter()
            .filter_map(|k| self.kustomizations.get(k))
            .filter_map(|k| k.status.lock().ok().and_then(|s| s.last_applied_revision.clone()))
            .filter_map(|r| r.parse::<Revision>().ok().map(|r| r.commit))
            .collect();
        commits.extend(source.plan.lock().ok().and_then(|p| p.planned.clone()));
        commits.sort();
        commits.dedup();
        if let Err(e) = mirror.keep(&commits) {
            tracing::warn!(source = %source.repo.key, error = %e, "cannot pin applied revisions");
        }
    }

    /// The commit's tree with the source's ignore rules applied (rules cached per commit).
    fn filtered_tree(source: &SourceSlot, mirror: &Mirror, commit: &str) -> Result<Tree, SourceError> {
        let tree = mirror.tree(commit)?;
        let cached =
            source.ignore.lock().ok().and_then(|c| c.as_ref().filter(|(c, _)| c == commit).map(|(_, r)| r.clone()));
        let rules = match cached {
            Some(r) => r,
            None => {
                let r = IgnoreRules::for_tree(&tree, source.repo.ignore.as_deref())?;
                if let Ok(mut c) = source.ignore.lock() {
                    *c = Some((commit.to_string(), r.clone()));
                }
                r
            }
        };
        Ok(tree.with_ignore(rules))
    }

    fn set_status(slot: &KsSlot, f: impl FnOnce(&mut KustomizationStatus)) {
        let mut st = slot.status.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut st);
    }

    fn owner(ks: &Kustomization) -> Owner {
        Owner { name: ks.key.name.clone(), namespace: ks.key.namespace.clone() }
    }

    fn inventory_store(&self, ks: &Kustomization) -> InventoryStore {
        InventoryStore {
            namespace: self.settings.inventory_namespace.clone().unwrap_or_else(|| ks.key.namespace.clone()),
            field_manager: self.settings.field_manager.clone(),
        }
    }

    /// What the Kustomization's spec adds to the build (Flux's generator
    /// options, commonMetadata, postBuild variables read from the cluster),
    /// and the digest the planner compares.
    async fn inputs(&self, slot: &KsSlot) -> Result<Inputs, String> {
        let (options, values) =
            Self::render_options(&self.cluster, &slot.ks, self.settings.strict_substitution).await?;
        Ok(Inputs { options, digest: with_values(&slot.spec_digest, values) })
    }

    /// The digest of the Kustomization's current inputs, as [`Inputs::digest`];
    /// reads only what can change while the daemon runs (`substituteFrom` objects).
    async fn digest(&self, slot: &KsSlot) -> Result<String, String> {
        Ok(with_values(&slot.spec_digest, Self::post_build_values(&self.cluster, &slot.ks).await?))
    }

    /// The build options, and the postBuild variables with their values (when there is a postBuild).
    /// (Also what `driftless diff` renders with.)
    pub async fn render_options(
        cluster: &Cluster,
        ks: &Kustomization,
        strict: bool,
    ) -> Result<(crate::render::Options, Option<BTreeMap<String, String>>), String> {
        let spec = &ks.spec;
        let mut options = crate::render::Options {
            overrides: crate::render::Overrides {
                namespace: ks.target_namespace.clone(),
                name_prefix: spec.name_prefix.clone(),
                name_suffix: spec.name_suffix.clone(),
                patches: spec.patches.clone().unwrap_or_default(),
                images: spec.images.clone().unwrap_or_default(),
                components: spec.components.clone().unwrap_or_default(),
            },
            substitute: None,
            common_labels: mapping(spec.common_metadata.as_ref().and_then(|m| m.get("labels"))),
            common_annotations: mapping(spec.common_metadata.as_ref().and_then(|m| m.get("annotations"))),
        };
        let values = Self::post_build_values(cluster, ks).await?;
        if let Some(values) = &values {
            let vars = crate::render::substitute::Vars::new(values.clone()).map_err(|e| format!("postBuild: {e}"))?;
            options.substitute = Some((vars, strict));
        }
        Ok((options, values))
    }

    /// The postBuild variables with their values (`substituteFrom` read from
    /// the cluster, then `substitute`); `None` without a postBuild.
    async fn post_build_values(
        cluster: &Cluster,
        ks: &Kustomization,
    ) -> Result<Option<BTreeMap<String, String>>, String> {
        let Some(post_build) = &ks.spec.post_build else { return Ok(None) };
        let mut values = BTreeMap::new();
        let from = post_build.get("substituteFrom").and_then(|v| v.as_array()).cloned().unwrap_or_default();
        for source in &from {
            let kind = source.get("kind").and_then(|v| v.as_str()).unwrap_or("");
            let name = source.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let optional = source.get("optional").and_then(|v| v.as_bool()).unwrap_or(false);
            match Self::substitution_source(cluster, &ks.key.namespace, kind, name).await {
                Ok(Some(data)) => values.extend(data),
                Ok(None) if optional => {}
                Ok(None) => {
                    return Err(format!(
                        "postBuild.substituteFrom: {kind} {}/{name} not found (mark it `optional: true` if it may be absent)",
                        ks.key.namespace
                    ));
                }
                Err(e) => {
                    return Err(format!("postBuild.substituteFrom: reading {kind} {}/{name}: {e}", ks.key.namespace));
                }
            }
        }
        for (k, v) in mapping(post_build.get("substitute")) {
            values.insert(k, v.as_str().unwrap_or_default().to_string());
        }
        Ok(Some(values))
    }

    /// The data of a ConfigMap or Secret named by `substituteFrom` (Secret values decoded); `None` when absent.
    async fn substitution_source(
        cluster: &Cluster,
        namespace: &str,
        kind: &str,
        name: &str,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, String> {
        use kube::api::{Api, DynamicObject};
        let (api_version, plural) = if kind == "Secret" { ("v1", "secrets") } else { ("v1", "configmaps") };
        let resource = kube::discovery::ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: api_version.into(),
            kind: kind.into(),
            plural: plural.into(),
        };
        let api: Api<DynamicObject> = Api::namespaced_with(cluster.client.clone(), namespace, &resource);
        let Some(obj) = api.get_opt(name).await.map_err(|e| e.to_string())? else { return Ok(None) };
        let mut out = std::collections::BTreeMap::new();
        if let Some(data) = obj.data.get("data").and_then(|d| d.as_object()) {
            for (k, v) in data {
                let text = v.as_str().unwrap_or_default();
                let value = if kind == "Secret" {
                    use base64::Engine as _;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|_| format!("key {k:?} is not valid base64"))?;
                    String::from_utf8(bytes).map_err(|_| format!("key {k:?} is not UTF-8 text"))?
                } else {
                    text.to_string()
                };
                out.insert(k.clone(), value);
            }
        }
        Ok(Some(out))
    }

    /// Renders the Kustomization at its source's revision and applies it;
    /// keeps what the render read for the planner when it all succeeded.
    async fn reconcile(&self, slot: &Arc<KsSlot>) {
        let ks = &slot.ks;
        let Some(source) = self.sources.get(&ks.source) else { return };
        let Ok(mirror) = source.mirror.clone() else { return };
        let Some(rev) = source.revision.lock().ok().and_then(|r| r.clone()) else { return };
        let rev_text = rev.to_string();
        // Marked waiting before looking, so a dependency finishing meanwhile sees the mark and wakes it.
        slot.waiting.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(why) = self.dependency_not_ready(ks, &rev) {
            // The dependency wakes it when it becomes ready (no polling).
            tracing::info!(kustomization = %ks.key, revision = %rev_text, reason = %why, "waiting for a dependency");
            Self::set_status(slot, |st| {
                st.ready = Ready::False;
                st.reason = "DependencyNotReady".into();
                st.message = why;
            });
            return;
        }
        slot.waiting.store(false, std::sync::atomic::Ordering::SeqCst);
        let _permit = self.permits.acquire().await;
        let started = Instant::now();
        let trigger = slot.trigger.lock().ok().and_then(|mut t| t.take());
        tracing::debug!(kustomization = %ks.key, revision = %rev_text, trigger = trigger.as_deref().unwrap_or("interval"), "reconciling");
        Self::set_status(slot, |st| {
            st.last_attempted_revision = Some(rev_text.clone());
            st.last_plan = Some(trigger.unwrap_or_else(|| format!("interval (revision {rev_text})")));
        });
        let key = ks.key.to_string();
        match self.render_and_apply(slot, source, mirror, &rev).await {
            Ok(record) => {
                if let Ok(mut state) = source.plan.lock() {
                    state.read_sets.insert(&key, record);
                }
                source.save.notify_one();
                Self::set_status(slot, |st| st.last_seen_revision = Some(rev_text.clone()));
                self.metrics.reconciled(&key, None);
                self.finish(slot, started, Ok(format!("Applied revision: {rev_text}")));
                self.keep_applied(source);
                for k in &slot.dependents {
                    if let Some(d) = self.kustomizations.get(k)
                        && d.waiting.load(std::sync::atomic::Ordering::SeqCst)
                    {
                        d.wake.notify_one();
                    }
                }
            }
            Err((reason, message)) => {
                if let Ok(mut state) = source.plan.lock() {
                    state.read_sets.mark_failed(&key);
                }
                self.metrics.reconciled(&key, Some(reason));
                self.finish(slot, started, Err((reason, message)));
            }
        }
    }

    /// Why `ks` cannot run at `rev` yet: a dependency that is not Ready, or
    /// (on the same source) not yet up to date with `rev`, as in Flux.
    fn dependency_not_ready(&self, ks: &Kustomization, rev: &Revision) -> Option<String> {
        let rev_text = rev.to_string();
        for dep in &ks.depends_on {
            let Some(slot) = self.kustomizations.get(dep) else { continue };
            if slot.ks.suspend {
                return Some(format!("dependency '{dep}' is suspended"));
            }
            let st = slot.status.lock().unwrap_or_else(|p| p.into_inner());
            if st.ready != Ready::True {
                return Some(format!("dependency '{dep}' is not ready"));
            }
            if slot.ks.source == ks.source && st.last_seen_revision.as_deref() != Some(rev_text.as_str()) {
                return Some(format!("dependency '{dep}' is not ready at revision {rev_text}"));
            }
        }
        None
    }

    /// Renders at `rev` and applies; returns the read-set record of the render.
    async fn render_and_apply(
        &self,
        slot: &KsSlot,
        source: &Arc<SourceSlot>,
        mirror: Arc<Mirror>,
        rev: &Revision,
    ) -> Result<ReadSetRecord, (&'static str, String)> {
        let ks = &slot.ks;
        let rev_text = rev.to_string();
        let inputs = self.inputs(slot).await.map_err(|message| ("BuildFailed", message))?;
        let (path, commit, src, options) = (ks.path.clone(), rev.commit.clone(), source.clone(), inputs.options);
        self.metrics.renders.inc();
        let rendered = tokio::task::spawn_blocking(move || {
            let tree = Self::filtered_tree(&src, &mirror, &commit).map_err(|e| ("ArtifactFailed", e.to_string()))?;
            let fs = TreeFs(tree);
            let rendered =
                crate::render::render_with(&fs, &path, &options).map_err(|e| ("BuildFailed", e.to_string()))?;
            // Paths reached through symlinks, and the links, belong to the read-set too.
            let read_set = crate::plan::with_links(&rendered.read_set, |p| {
                fs.0.resolve(p).ok().map(|r| Resolved { path: r.path, links: r.links })
            });
            Ok((rendered.objects, read_set))
        })
        .await
        .unwrap_or_else(|e| Err(("BuildFailed", format!("render task failed: {e}"))));
        let (objects, read_set) = rendered.inspect_err(|(_, message)| {
            tracing::warn!(kustomization = %ks.key, revision = %rev_text, %message, "render failed; nothing applied");
        })?;
        let owner = Self::owner(ks);
        let store = self.inventory_store(ks);
        let mut inventory = slot.inventory.lock().await;
        if inventory.is_none() {
            let record =
                store.load(&self.cluster, &owner).await.map_err(|e| ("ReconciliationFailed", e.to_string()))?;
            *inventory = Some(record.map(|r| r.inventory).unwrap_or_default());
        }
        let previous = inventory.clone().unwrap_or_default();
        let opts = Options {
            field_manager: self.settings.field_manager.clone(),
            target_namespace: ks.target_namespace.clone(),
            prune: ks.prune,
            force: ks.force,
        };
        self.metrics.applies.inc();
        let (inv, report) = apply::apply(&self.cluster, objects, &owner, &opts, &previous).await.map_err(|e| {
            tracing::warn!(kustomization = %ks.key, revision = %rev_text, error = %e, "apply failed");
            ("ReconciliationFailed", e.to_string())
        })?;
        let record = Record { inventory: inv.clone(), revision: rev_text.clone() };
        store.save(&self.cluster, &owner, &record).await.map_err(|e| ("ReconciliationFailed", e.to_string()))?;
        let changes = Changes {
            created: report.created.len(),
            configured: report.configured.len(),
            unchanged: report.unchanged.len(),
            deleted: report.deleted.len(),
            skipped: report.skipped.len(),
            recreated: report.recreated.len(),
        };
        if changes.created + changes.configured + changes.deleted > 0 {
            tracing::info!(kustomization = %ks.key, revision = %rev_text, created = ?report.created,
                configured = ?report.configured, deleted = ?report.deleted, recreated = ?report.recreated, "applied");
        }
        let count = inv.entries.len();
        *inventory = Some(inv);
        Self::set_status(slot, |st| {
            st.last_applied_revision = Some(rev_text.clone());
            st.inventory = count;
            st.changes = changes;
        });
        Ok(ReadSetRecord { revision: rev.commit.clone(), path: ks.path.clone(), read_set, spec_digest: inputs.digest })
    }

    /// The reconciler's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn finish(&self, slot: &KsSlot, started: Instant, outcome: Result<String, (&str, String)>) {
        Self::set_status(slot, |st| {
            st.last_reconcile = Some(now());
            st.last_duration_ms = Some(started.elapsed().as_millis() as u64);
            match outcome {
                Ok(message) => {
                    st.ready = Ready::True;
                    st.reason = "ReconciliationSucceeded".into();
                    st.message = message;
                }
                Err((reason, message)) => {
                    st.ready = Ready::False;
                    st.reason = reason.into();
                    st.message = message;
                }
            }
        });
    }
}

/// Whether a ref pushed to `name` is what `reference` tracks.
fn tracks(reference: &GitReference, name: &str) -> bool {
    match reference {
        GitReference::Branch(b) => name == format!("refs/heads/{b}"),
        GitReference::Commit { branch: Some(b), .. } => name == format!("refs/heads/{b}"),
        GitReference::Tag(t) => name == format!("refs/tags/{t}"),
        GitReference::Semver(_) => name.starts_with("refs/tags/"),
        GitReference::Name(n) => name == n,
        GitReference::Commit { branch: None, .. } => false,
    }
}

/// Whether two URLs name the same repository: the https, ssh and scp forms of
/// one repository are the same; `.git` and trailing slashes do not matter.
pub fn same_repository(a: &str, b: &str) -> bool {
    fn key(u: &str) -> String {
        let u = u.trim().trim_end_matches('/');
        let u = u.strip_suffix(".git").unwrap_or(u);
        let (scheme, rest) = match u.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r.to_string()),
            // scp form: user@host:path
            None => match u.split_once(':') {
                Some((host, path)) if !host.contains('/') => ("ssh".into(), format!("{host}/{path}")),
                _ => ("file".into(), u.to_string()),
            },
        };
        if scheme == "file" {
            return format!("file://{}", rest.trim_start_matches('/'));
        }
        let rest = rest.split_once('@').map_or(rest.as_str(), |(_, r)| r).to_string();
        let (host, path) = rest.split_once('/').unwrap_or((&rest, ""));
        let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
        format!("{host}/{}", path.trim_start_matches('/'))
    }
    key(a) == key(b)
}

/// A git tree as the renderer's filesystem.
struct TreeFs(Tree);

fn fs_error(path: &str, e: SourceError) -> FsError {
    match e {
        SourceError::NotFound { .. } => FsError::NotFound(path.to_string()),
        SourceError::PathEscapesRoot { .. } => FsError::Escapes(path.to_string()),
        // Keeps the message, which names the link and its target.
        SourceError::Symlink(e) => FsError::Other { path: path.to_string(), message: e.to_string() },
        other => FsError::Other { path: path.to_string(), message: other.to_string() },
    }
}

impl Fs for TreeFs {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        self.0.read(path).map_err(|e| fs_error(path, e))
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, FsError> {
        let entries = self.0.list(dir).map_err(|e| fs_error(dir, e))?;
        Ok(entries
            .into_iter()
            .map(|(n, k)| {
                (
                    n,
                    match k {
                        EntryKind::Dir => Kind::Dir,
                        EntryKind::File => Kind::File,
                    },
                )
            })
            .collect())
    }

    fn kind(&self, path: &str) -> Option<Kind> {
        self.0.kind(path).map(|k| match k {
            EntryKind::Dir => Kind::Dir,
            EntryKind::File => Kind::File,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_in_every_form_match() {
        let forms = [
            "https://github.com/acme/fleet.git",
            "https://github.com/acme/fleet",
            "ssh://git@github.com/acme/fleet.git",
            "git@github.com:acme/fleet.git",
            "git://github.com/acme/fleet",
            "https://GitHub.com/acme/fleet/",
        ];
        for a in forms {
            for b in forms {
                assert!(same_repository(a, b), "{a} vs {b}");
            }
        }
        assert!(!same_repository("https://github.com/acme/fleet", "https://github.com/acme/other"));
        assert!(same_repository("file:///srv/git/repo.git", "file:///srv/git/repo"));
        assert!(!same_repository("file:///srv/git/a.git", "file:///srv/git/b.git"));
    }

    #[test]
    fn refs_tracked() {
        assert!(tracks(&GitReference::Branch("main".into()), "refs/heads/main"));
        assert!(!tracks(&GitReference::Branch("main".into()), "refs/heads/dev"));
        assert!(tracks(&GitReference::Tag("v1".into()), "refs/tags/v1"));
        assert!(tracks(&GitReference::Semver(">=1".into()), "refs/tags/v1.2.0"));
    }
}
