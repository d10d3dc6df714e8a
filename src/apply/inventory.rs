//! The inventory: which objects a Kustomization applied, in Flux's entry
//! format (`<namespace>_<name>_<group>_<kind>` with the version), kept in
//! the target cluster as one ConfigMap per Kustomization so a restart or a
//! second replica sees the truth.

use super::cluster::Cluster;
use super::{ApplyError, Owner};
use kube::api::{Api, Patch, PatchParams};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// One applied object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    /// The API version it was applied with.
    pub v: String,
}

/// The parts of an entry id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectId {
    pub namespace: String,
    pub name: String,
    pub group: String,
    pub kind: String,
}

impl Entry {
    pub fn new(id: &ObjectId, version: &str) -> Entry {
        Entry { id: format!("{}_{}_{}_{}", id.namespace, id.name, id.group, id.kind), v: version.to_string() }
    }

    /// Splits the id; names may contain `_`? No: Kubernetes names cannot, so the split is exact.
    pub fn object(&self) -> Option<ObjectId> {
        let parts: Vec<&str> = self.id.split('_').collect();
        match parts.as_slice() {
            [ns, name, group, kind] if !name.is_empty() && !kind.is_empty() => Some(ObjectId {
                namespace: ns.to_string(),
                name: name.to_string(),
                group: group.to_string(),
                kind: kind.to_string(),
            }),
            _ => None,
        }
    }

    pub fn api_version(&self) -> Option<String> {
        let o = self.object()?;
        Some(if o.group.is_empty() { self.v.clone() } else { format!("{}/{}", o.group, self.v) })
    }
}

/// The objects a Kustomization applied at a revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub entries: Vec<Entry>,
}

impl Inventory {
    pub fn contains(&self, id: &str) -> bool {
        self.entries.iter().any(|e| e.id == id)
    }
}

/// What is stored per Kustomization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub inventory: Inventory,
    /// The revision last applied.
    pub revision: String,
}

/// Where inventories live: ConfigMaps in one namespace.
#[derive(Debug, Clone)]
pub struct InventoryStore {
    pub namespace: String,
    pub field_manager: String,
}

impl InventoryStore {
    /// The ConfigMap name for a Kustomization: `<namespace>.<name>`, unique because namespaces have no dots.
    pub fn name_for(owner: &Owner) -> String {
        let full = format!("{}.{}", owner.namespace, owner.name);
        if full.len() <= 253 {
            return full;
        }
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(full.as_bytes());
        let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}", &full[..240])
    }

    fn api(&self, cluster: &Cluster) -> Api<k8s_openapi::api::core::v1::ConfigMap> {
        Api::namespaced(cluster.client.clone(), &self.namespace)
    }

    pub async fn load(&self, cluster: &Cluster, owner: &Owner) -> Result<Option<Record>, ApplyError> {
        let cm = self
            .api(cluster)
            .get_opt(&Self::name_for(owner))
            .await
            .map_err(|e| ApplyError::Api(format!("reading the inventory of {owner}: {e}")))?;
        let Some(cm) = cm else { return Ok(None) };
        let data: BTreeMap<String, String> = cm.data.unwrap_or_default();
        let entries: Vec<Entry> = match data.get("entries") {
            Some(text) => serde_json::from_str(text).map_err(|e| {
                ApplyError::Api(format!(
                    "the inventory of {owner} is corrupt ({e}); delete ConfigMap {}/{} to rebuild it",
                    self.namespace,
                    Self::name_for(owner)
                ))
            })?,
            None => Vec::new(),
        };
        Ok(Some(Record {
            inventory: Inventory { entries },
            revision: data.get("revision").cloned().unwrap_or_default(),
        }))
    }

    pub async fn save(&self, cluster: &Cluster, owner: &Owner, record: &Record) -> Result<(), ApplyError> {
        self.ensure_namespace(cluster).await?;
        let name = Self::name_for(owner);
        let cm = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": {
                    "app.kubernetes.io/managed-by": "driftless",
                    "kustomize.toolkit.fluxcd.io/name": owner.name,
                    "kustomize.toolkit.fluxcd.io/namespace": owner.namespace,
                },
            },
            "data": {
                "entries": serde_json::to_string(&record.inventory.entries).unwrap_or_default(),
                "revision": record.revision,
            },
        });
        self.api(cluster)
            .patch(&name, &PatchParams::apply(&self.field_manager).force(), &Patch::Apply(&cm))
            .await
            .map_err(|e| ApplyError::Api(format!("saving the inventory of {owner}: {e}")))?;
        Ok(())
    }

    pub async fn delete(&self, cluster: &Cluster, owner: &Owner) -> Result<(), ApplyError> {
        match self.api(cluster).delete(&Self::name_for(owner), &Default::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(ApplyError::Api(format!("deleting the inventory of {owner}: {e}"))),
        }
    }

    async fn ensure_namespace(&self, cluster: &Cluster) -> Result<(), ApplyError> {
        let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(cluster.client.clone());
        if api.get_opt(&self.namespace).await.map_err(|e| ApplyError::Api(e.to_string()))?.is_some() {
            return Ok(());
        }
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}});
        api.patch(&self.namespace, &PatchParams::apply(&self.field_manager), &Patch::Apply(&ns))
            .await
            .map_err(|e| ApplyError::Api(format!("creating namespace {}: {e}", self.namespace)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_flux() {
        let id = ObjectId {
            namespace: "default".into(),
            name: "web".into(),
            group: "apps".into(),
            kind: "Deployment".into(),
        };
        let e = Entry::new(&id, "v1");
        assert_eq!(e.id, "default_web_apps_Deployment");
        assert_eq!(e.object(), Some(id));
        assert_eq!(e.api_version().as_deref(), Some("apps/v1"));
        let ns = Entry::new(
            &ObjectId {
                namespace: String::new(),
                name: "my-app".into(),
                group: String::new(),
                kind: "Namespace".into(),
            },
            "v1",
        );
        assert_eq!(ns.id, "_my-app__Namespace");
        assert_eq!(ns.api_version().as_deref(), Some("v1"));
        assert_eq!(Entry { id: "bad".into(), v: "v1".into() }.object(), None);
    }
}
