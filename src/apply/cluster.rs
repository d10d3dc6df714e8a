//! A connection to one cluster: the kube client and a discovery cache that
//! maps (apiVersion, kind) to the REST resource and its scope.

use super::ApplyError;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use std::collections::HashMap;
use std::path::Path;
use std::sync::RwLock;

/// A resolved kind.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// One cluster.
pub struct Cluster {
    pub client: kube::Client,
    cache: RwLock<HashMap<(String, String), Resolved>>,
}

impl Cluster {
    /// Connects with a kubeconfig file, else `KUBECONFIG`/`~/.kube/config`, else the in-cluster service account.
    pub async fn connect(kubeconfig: Option<&Path>) -> Result<Cluster, ApplyError> {
        crate::init_crypto();
        let config = match kubeconfig {
            Some(path) => {
                let kc = kube::config::Kubeconfig::read_from(path)
                    .map_err(|e| ApplyError::Connect(format!("reading kubeconfig {}: {e}", path.display())))?;
                kube::Config::from_custom_kubeconfig(kc, &Default::default())
                    .await
                    .map_err(|e| ApplyError::Connect(format!("kubeconfig {}: {e}", path.display())))?
            }
            None => kube::Config::infer().await.map_err(|e| {
                ApplyError::Connect(format!("no kubeconfig (--kubeconfig, KUBECONFIG) and not in a cluster: {e}"))
            })?,
        };
        let client = kube::Client::try_from(config).map_err(|e| ApplyError::Connect(e.to_string()))?;
        Ok(Cluster::from_client(client))
    }

    pub fn from_client(client: kube::Client) -> Cluster {
        Cluster { client, cache: RwLock::new(HashMap::new()) }
    }

    /// The resource serving `kind` in `api_version`; discovery runs again when it is unknown (a CRD may just have been applied).
    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<Resolved, ApplyError> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(r) = self.cache.read().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(r);
        }
        self.refresh().await?;
        self.cache
            .read()
            .ok()
            .and_then(|c| c.get(&key).cloned())
            .ok_or_else(|| ApplyError::UnknownKind { api_version: api_version.to_string(), kind: kind.to_string() })
    }

    /// Re-reads discovery.
    pub async fn refresh(&self) -> Result<(), ApplyError> {
        let discovery =
            Discovery::new(self.client.clone()).run().await.map_err(|e| ApplyError::Api(format!("discovery: {e}")))?;
        let mut map = HashMap::new();
        for group in discovery.groups() {
            for version in group.versions() {
                for (ar, caps) in group.versioned_resources(version) {
                    insert(&mut map, ar, &caps);
                }
            }
        }
        if let Ok(mut c) = self.cache.write() {
            *c = map;
        }
        Ok(())
    }
}

fn insert(map: &mut HashMap<(String, String), Resolved>, ar: ApiResource, caps: &ApiCapabilities) {
    let key = (ar.api_version.clone(), ar.kind.clone());
    map.insert(key, Resolved { namespaced: caps.scope == Scope::Namespaced, resource: ar });
}
