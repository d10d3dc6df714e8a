//! The reconciler: one task per GitRepository fetches on a trigger (a
//! receiver) or a poll tick, and wakes the Kustomizations it sources when the
//! tip moved; one task per Kustomization renders and applies on a wake-up or
//! a drift tick. A Kustomization never reconciles twice at once; wake-ups
//! that arrive meanwhile coalesce into one follow-up, which reads the newest
//! revision.

pub mod status;

use self::status::{Changes, KustomizationStatus, Ready, SourceStatus};
use crate::api::{Config, GitReference, GitRepository, Kustomization, ObjectKey, Receiver};
use crate::apply::cluster::Cluster;
use crate::apply::inventory::{Inventory, InventoryStore, Record};
use crate::apply::{self, Options, Owner};
use crate::config::Secrets;
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
}

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
}

/// A Kustomization and what the daemon knows of it.
struct KsSlot {
    ks: Kustomization,
    wake: Notify,
    status: Mutex<KustomizationStatus>,
    /// The inventory as last applied; read from the cluster on first use.
    inventory: tokio::sync::Mutex<Option<Inventory>>,
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
            let dependents =
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
            };
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
                }),
            );
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
            };
            kustomizations.insert(
                ks.key.clone(),
                Arc::new(KsSlot {
                    ks: ks.clone(),
                    wake: Notify::new(),
                    status: Mutex::new(status),
                    inventory: tokio::sync::Mutex::new(None),
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
        Ok(Arc::new(Engine { settings, cluster, sources, kustomizations, receivers, permits }))
    }

    /// Starts one task per GitRepository and per Kustomization; they stop when `shutdown` turns true.
    pub fn spawn(self: &Arc<Self>, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let mut tasks = Vec::new();
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
            *current = Some(rev);
            moved
        };
        if moved {
            for k in &slot.dependents {
                if let Some(ks) = self.kustomizations.get(k) {
                    ks.wake.notify_one();
                }
            }
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
    /// applied, so compaction keeps them for the planner.
    fn keep_applied(&self, source: &SourceSlot) {
        let Ok(mirror) = &source.mirror else { return };
        let commits: Vec<String> = source
            .dependents
            .iter()
            .filter_map(|k| self.kustomizations.get(k))
            .filter_map(|k| k.status.lock().ok().and_then(|s| s.last_applied_revision.clone()))
            .filter_map(|r| r.parse::<Revision>().ok().map(|r| r.commit))
            .collect();
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
    /// options, commonMetadata, postBuild variables read from the cluster).
    async fn render_options(&self, ks: &Kustomization) -> Result<crate::render::Options, String> {
        let spec = &ks.spec;
        let strings = |v: Option<&serde_json::Value>| -> serde_json::Map<String, serde_json::Value> {
            v.and_then(|v| v.as_object()).cloned().unwrap_or_default()
        };
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
            common_labels: strings(spec.common_metadata.as_ref().and_then(|m| m.get("labels"))),
            common_annotations: strings(spec.common_metadata.as_ref().and_then(|m| m.get("annotations"))),
        };
        let Some(post_build) = &spec.post_build else { return Ok(options) };
        let mut values = std::collections::BTreeMap::new();
        let from = post_build.get("substituteFrom").and_then(|v| v.as_array()).cloned().unwrap_or_default();
        for source in &from {
            let kind = source.get("kind").and_then(|v| v.as_str()).unwrap_or("");
            let name = source.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let optional = source.get("optional").and_then(|v| v.as_bool()).unwrap_or(false);
            match self.substitution_source(&ks.key.namespace, kind, name).await {
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
        for (k, v) in strings(post_build.get("substitute")) {
            values.insert(k, v.as_str().unwrap_or_default().to_string());
        }
        let vars = crate::render::substitute::Vars::new(values).map_err(|e| format!("postBuild: {e}"))?;
        options.substitute = Some((vars, self.settings.strict_substitution));
        Ok(options)
    }

    /// The data of a ConfigMap or Secret named by `substituteFrom` (Secret values decoded); `None` when absent.
    async fn substitution_source(
        &self,
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
        let api: Api<DynamicObject> = Api::namespaced_with(self.cluster.client.clone(), namespace, &resource);
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

    /// Renders the Kustomization at its source's revision and applies it.
    async fn reconcile(&self, slot: &Arc<KsSlot>) {
        let ks = &slot.ks;
        let Some(source) = self.sources.get(&ks.source) else { return };
        let Ok(mirror) = source.mirror.clone() else { return };
        let Some(rev) = source.revision.lock().ok().and_then(|r| r.clone()) else { return };
        let _permit = self.permits.acquire().await;
        let started = Instant::now();
        let rev_text = rev.to_string();
        Self::set_status(slot, |st| st.last_attempted_revision = Some(rev_text.clone()));
        let path = ks.path.clone();
        let commit = rev.commit.clone();
        let src = source.clone();
        let options = match self.render_options(ks).await {
            Ok(o) => o,
            Err(message) => {
                self.finish(slot, started, Err(("BuildFailed", message)));
                return;
            }
        };
        let rendered = tokio::task::spawn_blocking(move || {
            let tree = Self::filtered_tree(&src, &mirror, &commit).map_err(|e| ("ArtifactFailed", e.to_string()))?;
            crate::render::render_with(&TreeFs(tree), &path, &options).map_err(|e| ("BuildFailed", e.to_string()))
        })
        .await
        .unwrap_or_else(|e| Err(("BuildFailed", format!("render task failed: {e}"))));
        let rendered = match rendered {
            Ok(r) => r,
            Err((reason, message)) => {
                tracing::warn!(kustomization = %ks.key, revision = %rev_text, %message, "render failed; nothing applied");
                self.finish(slot, started, Err((reason, message)));
                return;
            }
        };
        let owner = Self::owner(ks);
        let store = self.inventory_store(ks);
        let mut inventory = slot.inventory.lock().await;
        if inventory.is_none() {
            match store.load(&self.cluster, &owner).await {
                Ok(record) => *inventory = Some(record.map(|r| r.inventory).unwrap_or_default()),
                Err(e) => {
                    self.finish(slot, started, Err(("ReconciliationFailed", e.to_string())));
                    return;
                }
            }
        }
        let previous = inventory.clone().unwrap_or_default();
        let opts = Options {
            field_manager: self.settings.field_manager.clone(),
            target_namespace: ks.target_namespace.clone(),
            prune: ks.prune,
        };
        let result = apply::apply(&self.cluster, rendered.objects, &owner, &opts, &previous).await;
        match result {
            Ok((inv, report)) => {
                let record = Record { inventory: inv.clone(), revision: rev_text.clone() };
                if let Err(e) = store.save(&self.cluster, &owner, &record).await {
                    self.finish(slot, started, Err(("ReconciliationFailed", e.to_string())));
                    return;
                }
                let changes = Changes {
                    created: report.created.len(),
                    configured: report.configured.len(),
                    unchanged: report.unchanged.len(),
                    deleted: report.deleted.len(),
                };
                if changes.created + changes.configured + changes.deleted > 0 {
                    tracing::info!(kustomization = %ks.key, revision = %rev_text, created = ?report.created,
                        configured = ?report.configured, deleted = ?report.deleted, "applied");
                }
                let count = inv.entries.len();
                *inventory = Some(inv);
                Self::set_status(slot, |st| {
                    st.last_applied_revision = Some(rev_text.clone());
                    st.inventory = count;
                    st.changes = changes;
                });
                self.finish(slot, started, Ok(format!("Applied revision: {rev_text}")));
                self.keep_applied(source);
            }
            Err(e) => {
                tracing::warn!(kustomization = %ks.key, revision = %rev_text, error = %e, "apply failed");
                self.finish(slot, started, Err(("ReconciliationFailed", e.to_string())));
            }
        }
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
