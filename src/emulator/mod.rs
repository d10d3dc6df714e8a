//! An in-process Kubernetes API emulator: the embedded cluster of
//! `driftless quickstart` and the cluster every cluster-facing test talks to.
//! The real `kube` client and the real `kubectl` use it over HTTP.
//!
//! It implements discovery, CRUD with resourceVersion concurrency, watch,
//! server-side apply with managed fields and conflicts, strategic/merge/JSON
//! patches, dry-run, CRDs, namespaces, finalizers, garbage collection,
//! immutable fields, and simulated readiness of workloads. It runs no
//! workloads. See `docs/emulator.md` for what it does and does not do.

pub mod discovery;
pub mod http;
pub mod lifecycle;
pub mod openapi;
pub mod ops;
pub mod persist;
pub mod readiness;
pub mod registry;
pub mod status;
pub mod store;
pub mod table;

use self::status::ApiError;
use self::store::State;
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Keep state here across restarts; in memory when `None`.
    pub data_dir: Option<PathBuf>,
    /// How long simulated workloads take to become ready.
    pub ready_delay: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            ready_delay: Duration::from_millis(200),
        }
    }
}

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot open the data directory {dir}: {source}")]
    DataDir { dir: PathBuf, source: std::io::Error },
}

/// A running emulator. Dropping it stops it.
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: tokio::sync::watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator on the current tokio runtime.
    pub async fn start(config: Config) -> Result<Emulator, StartError> {
        let mut state = match &config.data_dir {
            Some(dir) => {
                let (wal, loaded) =
                    persist::Wal::open(dir).map_err(|source| StartError::DataDir { dir: dir.clone(), source })?;
                let mut st = State::new(Some(wal));
                // CRDs first, so their kinds are registered before their objects load.
                let (crds, rest): (Vec<_>, Vec<_>) = loaded
                    .objects
                    .into_iter()
                    .partition(|(r, _)| r == "apiextensions.k8s.io/customresourcedefinitions");
                for (res, obj) in crds.iter().chain(rest.iter()) {
                    st.restore(res, obj);
                    if res == "apiextensions.k8s.io/customresourcedefinitions"
                        && let Ok(rt) = registry::ResourceType::from_crd(obj)
                    {
                        let _ = st.registry.register(rt);
                    }
                }
                st.rv = st.rv.max(loaded.rv);
                st
            }
            None => State::new(None),
        };
        let (followups_tx, followups_rx) = tokio::sync::mpsc::unbounded_channel();
        state.set_followups(followups_tx);
        bootstrap(&mut state);
        let state = Arc::new(Mutex::new(state));
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        let app = http::App { state: state.clone(), shutdown: shutdown_rx.clone() };
        let router = Router::new()
            .route("/version", get(http::version))
            .route("/healthz", get(http::healthz))
            .route("/livez", get(http::healthz))
            .route("/readyz", get(http::healthz))
            .route("/api", get(http::api))
            .route("/apis", get(http::apis))
            .route("/openapi/v3", get(http::openapi_root))
            .route("/openapi/v3/{*gv}", get(http::openapi_document))
            .fallback(http::resource)
            .with_state(app);
        let mut stop = shutdown_rx.clone();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stop.changed().await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "emulator: HTTP server stopped");
            }
        });
        let readiness = tokio::spawn(readiness::run(state.clone(), followups_rx, config.ready_delay));
        tracing::info!(url = %format!("http://{addr}"), objects = state.lock().map(|s| s.count()).unwrap_or(0), "emulator: serving the Kubernetes API");
        Ok(Emulator { addr, state, shutdown, tasks: vec![server, readiness] })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API server URL, e.g. `http://127.0.0.1:6443`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig (YAML) for this emulator, default namespace `default`.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: driftless-emulator\n  cluster:\n    server: {url}\ncontexts:\n- name: driftless-emulator\n  context:\n    cluster: driftless-emulator\n    user: driftless-emulator\n    namespace: default\ncurrent-context: driftless-emulator\nusers:\n- name: driftless-emulator\n  user: {{}}\n",
            url = self.url()
        )
    }

    /// Writes the kubeconfig to `path` (atomically).
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.kubeconfig())?;
        std::fs::rename(&tmp, path)
    }

    /// How many objects it holds.
    pub fn object_count(&self) -> usize {
        self.state.lock().map(|s| s.count()).unwrap_or(0)
    }

    /// Stops serving and flushes the data directory.
    pub async fn shutdown(mut self) {
        self.stop();
        for t in self.tasks.drain(..) {
            t.abort();
            let _ = t.await;
        }
    }

    fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Ok(mut st) = self.state.lock() {
            st.sync();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What every cluster has from the start: the system namespaces, the
/// `kubernetes` Service, and one Node.
fn bootstrap(st: &mut State) {
    let seeds: [(&str, &str, &str, &str, Value); 6] = [
        ("", "v1", "namespaces", "", json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})),
        (
            "",
            "v1",
            "namespaces",
            "",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
        ),
        (
            "",
            "v1",
            "namespaces",
            "",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-public"}}),
        ),
        (
            "",
            "v1",
            "namespaces",
            "",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-node-lease"}}),
        ),
        (
            "",
            "v1",
            "services",
            "default",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubernetes",
                   "labels": {"component": "apiserver", "provider": "kubernetes"}},
                   "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "targetPort": 6443}]}}),
        ),
        (
            "",
            "v1",
            "nodes",
            "",
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "driftless-emulator",
                   "labels": {"kubernetes.io/hostname": "driftless-emulator", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}},
                   "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "simulated node"}],
                              "nodeInfo": {"kubeletVersion": "v1.33.0-driftless-emulator", "osImage": "emulated", "containerRuntimeVersion": "none"},
                              "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}}),
        ),
    ];
    for (group, version, plural, ns, obj) in seeds {
        let Some(rt) = st.registry.lookup(group, version, plural) else { continue };
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        if st.get(&rt, ns, &name).is_some() {
            continue;
        }
        let status = obj.get("status").cloned();
        let t = ops::Target {
            rt: rt.clone(),
            version: version.into(),
            namespace: ns.into(),
            name: String::new(),
            sub: ops::Sub::Main,
        };
        let mut ctx = ops::Ctx {
            manager: "kube-apiserver".into(),
            manager_given: true,
            dry_run: false,
            force: false,
            validation: ops::FieldValidation::Ignore,
            now: ops::now(),
            warnings: Vec::new(),
        };
        match ops::create(st, &t, obj, &mut ctx) {
            Ok((_, created)) => {
                if let Some(status) = status {
                    let mut v = created;
                    v["status"] = status;
                    let t = ops::Target { name, sub: ops::Sub::Status, ..t };
                    let _ = ops::update(st, &t, v, &mut ctx);
                }
            }
            Err(e) => tracing::warn!(error = %e, "emulator: bootstrap object not created"),
        }
    }
}

/// Parses a request body that may be YAML (JSON is tried first). YAML is read
/// as the API server reads it: `yes`/`no`/`on`/`off` stay strings, bounded
/// nesting and aliases.
pub fn parse_yaml_or_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return Ok(v);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ApiError::bad_request("the body is not valid UTF-8"))?;
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.legacy_octal_numbers = true;
    serde_saphyr::from_str_with_options::<Value>(text, options)
        .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))
}
