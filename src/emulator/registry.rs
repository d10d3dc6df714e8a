//! The resource types the emulator serves: the built-in ones, and those that
//! CustomResourceDefinitions register.

use crate::schema::kinds;
use crate::schema::types::{Schema, Types};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where the scale subresource of a kind reads and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePaths {
    /// JSON pointer of the desired replicas, e.g. `/spec/replicas`.
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// A CRD's additional printer column.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub json_path: String,
    pub description: String,
    pub priority: i64,
    pub format: String,
}

/// A served resource type.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: String,
    /// Served versions, the storage (preferred) version first.
    pub versions: Vec<String>,
    pub kind: String,
    pub list_kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub status: bool,
    pub scale: Option<ScalePaths>,
    /// The type of objects, per version.
    pub schemas: BTreeMap<String, Schema>,
    pub columns: Vec<PrinterColumn>,
    /// The CRD that defines it (`None` for built-ins).
    pub crd: Option<String>,
}

impl ResourceType {
    /// The store key: `group/plural`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.group, self.plural)
    }

    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() { version.to_string() } else { format!("{}/{version}", self.group) }
    }

    pub fn storage_version(&self) -> &str {
        self.versions.first().map(String::as_str).unwrap_or("v1")
    }

    pub fn schema(&self, version: &str) -> Schema {
        self.schemas.get(version).cloned().unwrap_or_else(Schema::untyped)
    }

    fn from_builtin(r: &kinds::Resource) -> ResourceType {
        let mut schemas = BTreeMap::new();
        schemas
            .insert(r.version.to_string(), Schema::builtin(&r.api_version(), r.kind).unwrap_or_else(Schema::untyped));
        ResourceType {
            group: r.group.into(),
            versions: vec![r.version.into()],
            kind: r.kind.into(),
            list_kind: format!("{}List", r.kind),
            plural: r.plural.into(),
            singular: r.singular(),
            namespaced: r.namespaced,
            short_names: r.short_names.iter().map(|s| s.to_string()).collect(),
            categories: r.categories.iter().map(|s| s.to_string()).collect(),
            status: r.status,
            scale: r.scale.then(|| ScalePaths {
                spec_replicas: "/spec/replicas".into(),
                status_replicas: "/status/replicas".into(),
                label_selector: Some("/status/selector".into()),
            }),
            schemas,
            columns: Vec::new(),
            crd: None,
        }
    }

    /// The resource type a CRD defines, or why the CRD is not usable.
    pub fn from_crd(crd: &Value) -> Result<ResourceType, String> {
        let spec = crd.get("spec").ok_or("spec: Required value")?;
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        let names = spec.get("names").ok_or("spec.names: Required value")?;
        let group = s(spec, "group");
        let plural = s(names, "plural");
        let kind = s(names, "kind");
        let versions = spec.get("versions").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut served = Vec::new();
        let mut schemas = BTreeMap::new();
        let mut status = false;
        let mut scale = None;
        let mut columns = Vec::new();
        for v in &versions {
            if !v.get("served").and_then(Value::as_bool).unwrap_or(false) {
                continue;
            }
            let name = s(v, "name");
            let storage = v.get("storage").and_then(Value::as_bool).unwrap_or(false);
            if storage {
                served.insert(0, name.clone());
            } else {
                served.push(name.clone());
            }
            schemas.insert(name, Types::from_crd_schema(v.pointer("/schema/openAPIV3Schema")));
            if storage || columns.is_empty() {
                if let Some(sub) = v.get("subresources") {
                    status = sub.get("status").is_some();
                    scale = sub.get("scale").map(|sc| ScalePaths {
                        spec_replicas: dotted_to_pointer(&s(sc, "specReplicasPath")),
                        status_replicas: dotted_to_pointer(&s(sc, "statusReplicasPath")),
                        label_selector: sc.get("labelSelectorPath").and_then(Value::as_str).map(dotted_to_pointer),
                    });
                }
                columns = v
                    .get("additionalPrinterColumns")
                    .and_then(Value::as_array)
                    .map(|cols| {
                        cols.iter()
                            .map(|c| PrinterColumn {
                                name: s(c, "name"),
                                type_: s(c, "type"),
                                json_path: s(c, "jsonPath"),
                                description: s(c, "description"),
                                priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                                format: s(c, "format"),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
        }
        if group.is_empty() || plural.is_empty() || kind.is_empty() || served.is_empty() {
            return Err("spec.group, spec.names.plural, spec.names.kind and a served version are required".into());
        }
        let singular = match s(names, "singular") {
            x if x.is_empty() => kind.to_ascii_lowercase(),
            x => x,
        };
        let list_kind = match s(names, "listKind") {
            x if x.is_empty() => format!("{kind}List"),
            x => x,
        };
        Ok(ResourceType {
            group,
            versions: served,
            kind,
            list_kind,
            plural,
            singular,
            namespaced: s(spec, "scope") != "Cluster",
            short_names: strings(names.get("shortNames")),
            categories: strings(names.get("categories")),
            status,
            scale,
            schemas,
            columns,
            crd: crd.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string),
        })
    }
}

/// `.spec.replicas` → `/spec/replicas`.
fn dotted_to_pointer(path: &str) -> String {
    path.trim_start_matches('.').split('.').fold(String::new(), |acc, part| format!("{acc}/{part}"))
}

/// Every served resource type.
#[derive(Debug, Clone)]
pub struct Registry {
    types: BTreeMap<String, Arc<ResourceType>>,
}

impl Default for Registry {
    fn default() -> Registry {
        let types = kinds::BUILTIN
            .iter()
            .map(|r| {
                let rt = ResourceType::from_builtin(r);
                (rt.key(), Arc::new(rt))
            })
            .collect();
        Registry { types }
    }
}

impl Registry {
    /// The type served at `/apis/{group}/{version}/{plural}`.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        let rt = self.types.get(&format!("{group}/{plural}"))?;
        rt.versions.iter().any(|v| v == version).then(|| rt.clone())
    }

    pub fn by_key(&self, key: &str) -> Option<Arc<ResourceType>> {
        self.types.get(key).cloned()
    }

    pub fn by_kind(&self, group: &str, kind: &str) -> Option<Arc<ResourceType>> {
        self.types.values().find(|t| t.group == group && t.kind == kind).cloned()
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.types.values()
    }

    /// Registers (or replaces) the type a CRD defines. A built-in type is never replaced.
    pub fn register(&mut self, rt: ResourceType) -> Result<(), String> {
        let key = rt.key();
        if let Some(existing) = self.types.get(&key)
            && existing.crd != rt.crd
        {
            return Err(format!("{} is already served", key));
        }
        self.types.insert(key, Arc::new(rt));
        Ok(())
    }

    /// Removes the types a CRD registered; returns them.
    pub fn unregister_crd(&mut self, crd: &str) -> Vec<Arc<ResourceType>> {
        let keys: Vec<String> =
            self.types.iter().filter(|(_, t)| t.crd.as_deref() == Some(crd)).map(|(k, _)| k.clone()).collect();
        keys.into_iter().filter_map(|k| self.types.remove(&k)).collect()
    }

    /// API groups with their served versions, core group excluded, in a stable order.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in self.types.values().filter(|t| !t.group.is_empty()) {
            match out.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, versions)) => {
                    for v in &t.versions {
                        if !versions.contains(v) {
                            versions.push(v.clone());
                        }
                    }
                }
                None => out.push((t.group.clone(), t.versions.clone())),
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The types served in one group version.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<Arc<ResourceType>> {
        self.types.values().filter(|t| t.group == group && t.versions.iter().any(|v| v == version)).cloned().collect()
    }
}
