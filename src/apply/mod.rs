//! Applying rendered objects to a cluster: Flux's owner labels, server-side
//! apply in stages (CRDs, Namespaces and ClusterRoles first), the inventory,
//! and pruning of what left Git. `apply` knows nothing about git.

pub mod cluster;
pub mod diff;
pub mod inventory;

use self::cluster::{Cluster, Resolved};
use self::inventory::{Entry, Inventory, ObjectId};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::fmt;
use std::time::{Duration, Instant};

/// Flux's owner labels.
pub const NAME_LABEL: &str = "kustomize.toolkit.fluxcd.io/name";
pub const NAMESPACE_LABEL: &str = "kustomize.toolkit.fluxcd.io/namespace";
/// `disabled` keeps an object when it leaves Git.
pub const PRUNE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/prune";
/// How an object is applied, as in Flux: `Override` (the default), `Merge`,
/// `IfNotPresent` (created when missing, never changed after), `Ignore` (never applied).
pub const SSA_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/ssa";
/// `enabled`: an object whose change hits an immutable field is deleted and created again.
pub const FORCE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/force";
/// `disabled`: the object is neither applied nor pruned.
pub const RECONCILE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/reconcile";

/// The Kustomization that owns what it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub name: String,
    pub namespace: String,
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// How to apply.
#[derive(Debug, Clone)]
pub struct Options {
    pub field_manager: String,
    pub target_namespace: Option<String>,
    pub prune: bool,
    /// Recreate objects whose change hits an immutable field (Flux's `spec.force`).
    pub force: bool,
}

/// What an apply did, object by object (`Kind/namespace/name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub created: Vec<String>,
    pub configured: Vec<String>,
    pub unchanged: Vec<String>,
    pub deleted: Vec<String>,
    /// Left alone because of their annotations (`ssa: Ignore`, `ssa: IfNotPresent` once present, `reconcile: disabled`).
    pub skipped: Vec<String>,
    /// Deleted and created again because a change hit an immutable field (also in `configured`).
    pub recreated: Vec<String>,
}

/// Why an apply failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    #[error("cannot connect to the cluster: {0}")]
    Connect(String),
    #[error("{0}")]
    Api(String),
    #[error("no kind {kind} in {api_version} is served by the cluster (is its CRD installed?)")]
    UnknownKind { api_version: String, kind: String },
    #[error("{object}: {message}")]
    Object { object: String, message: String },
}

/// An object ready to apply.
struct Prepared {
    value: Value,
    resolved: Resolved,
    id: ObjectId,
    label: String,
}

/// Apply stages, in order: cluster definitions, then classes, then the rest.
fn stage(kind: &str, group: &str) -> u8 {
    match (group, kind) {
        ("apiextensions.k8s.io", "CustomResourceDefinition") | ("", "Namespace") => 0,
        ("rbac.authorization.k8s.io", "ClusterRole" | "ClusterRoleBinding") => 0,
        (_, k) if k.ends_with("Class") => 1,
        _ => 2,
    }
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

fn label(kind: &str, ns: &str, name: &str) -> String {
    if ns.is_empty() { format!("{kind}/{name}") } else { format!("{kind}/{ns}/{name}") }
}

fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}

/// Applies `objects` for `owner`, prunes what `previous` had and they lack
/// (when asked to), and returns the new inventory and what happened. On an
/// error nothing is pruned.
pub async fn apply(
    cluster: &Cluster,
    objects: Vec<Value>,
    owner: &Owner,
    opts: &Options,
    previous: &Inventory,
) -> Result<(Inventory, Report), ApplyError> {
    let mut report = Report::default();
    let mut by_stage: [Vec<Value>; 3] = Default::default();
    for o in objects {
        let av = o.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string();
        let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
        by_stage[stage(&kind, group_of(&av)) as usize].push(o);
    }
    // Groups whose CRDs this apply brings: their kinds may take a moment to be served.
    let new_groups: Vec<String> = by_stage[0]
        .iter()
        .filter(|o| o.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition"))
        .filter_map(|o| o.pointer("/spec/group").and_then(Value::as_str).map(str::to_string))
        .collect();
    let mut inventory = Inventory::default();
    for (i, objects) in by_stage.into_iter().enumerate() {
        let mut prepared = Vec::with_capacity(objects.len());
        for o in objects {
            prepared.push(prepare(cluster, o, owner, opts, &new_groups).await?);
        }
        for p in &prepared {
            let entry = Entry::new(&p.id, &p.resolved.resource.version);
            if inventory.contains(&entry.id) {
                return Err(ApplyError::Object { object: p.label.clone(), message: "defined more than once".into() });
            }
            inventory.entries.push(entry);
        }
        for p in prepared {
            apply_one(cluster, p, opts, &mut report).await?;
        }
        if i == 0 && !report.created.is_empty() {
            // New CRDs register kinds the next stages may use.
            cluster.refresh().await?;
        }
    }
    if opts.prune {
        prune(cluster, owner, previous, &inventory, &mut report).await?;
    }
    inventory.entries.sort();
    Ok((inventory, report))
}

/// Sets owner labels and the namespace, and resolves the kind.
async fn prepare(
    cluster: &Cluster,
    mut o: Value,
    owner: &Owner,
    opts: &Options,
    new_groups: &[String],
) -> Result<Prepared, ApplyError> {
    let av = o.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string();
    let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
    let name = o.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
    let wait = new_groups.iter().any(|g| g == group_of(&av));
    let resolved = match resolve_with_wait(cluster, &av, &kind, wait).await {
        Ok(r) => r,
        Err(e) => return Err(ApplyError::Object { object: label(&kind, "", &name), message: e.to_string() }),
    };
    let meta = o.get_mut("metadata").and_then(Value::as_object_mut).ok_or_else(|| ApplyError::Object {
        object: label(&kind, "", &name),
        message: "metadata must be a mapping".into(),
    })?;
    let ns = if resolved.namespaced {
        let ns = opts
            .target_namespace
            .clone()
            .or_else(|| meta.get("namespace").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "default".into());
        meta.insert("namespace".into(), json!(ns));
        ns
    } else {
        meta.remove("namespace");
        String::new()
    };
    let labels = meta.entry("labels").or_insert_with(|| Value::Object(Map::new()));
    if let Some(l) = labels.as_object_mut() {
        l.insert(NAME_LABEL.into(), json!(owner.name));
        l.insert(NAMESPACE_LABEL.into(), json!(owner.namespace));
    }
    let id =
        ObjectId { namespace: ns.clone(), name: name.clone(), group: group_of(&av).to_string(), kind: kind.clone() };
    Ok(Prepared { value: o, resolved, id, label: label(&kind, &ns, &name) })
}

/// Resolves a kind; with `wait`, a kind whose CRD was just applied is given
/// time to be served.
async fn resolve_with_wait(cluster: &Cluster, av: &str, kind: &str, wait: bool) -> Result<Resolved, ApplyError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match cluster.resolve(av, kind).await {
            Err(ApplyError::UnknownKind { .. }) if wait && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

fn api_for(cluster: &Cluster, r: &Resolved, ns: &str) -> Api<DynamicObject> {
    if r.namespaced {
        Api::namespaced_with(cluster.client.clone(), ns, &r.resource)
    } else {
        Api::all_with(cluster.client.clone(), &r.resource)
    }
}

/// An annotation of the object in Git.
fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/annotations").and_then(|a| a.get(key)).and_then(Value::as_str)
}

/// An annotation of the object in the cluster.
fn live_annotation<'a>(obj: &'a DynamicObject, key: &str) -> Option<&'a str> {
    obj.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

/// Whether an object is left alone: `reconcile: disabled` or `ssa: Ignore`
/// in Git or in the cluster, or `ssa: IfNotPresent` in Git once it exists.
fn skipped(desired: &Value, live: Option<&DynamicObject>) -> bool {
    let excluded = |reconcile: Option<&str>, ssa: Option<&str>| reconcile == Some("disabled") || ssa == Some("Ignore");
    excluded(annotation(desired, RECONCILE_ANNOTATION), annotation(desired, SSA_ANNOTATION))
        || live.is_some_and(|l| {
            excluded(live_annotation(l, RECONCILE_ANNOTATION), live_annotation(l, SSA_ANNOTATION))
                || annotation(desired, SSA_ANNOTATION) == Some("IfNotPresent")
        })
}

/// Whether an API error says the change needs the object recreated (an immutable field).
fn is_immutable(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 422 && s.message.contains("immutable"))
}

/// The object as compared for drift: without the fields every write changes.
fn comparable(obj: &DynamicObject) -> Value {
    let mut v = serde_json::to_value(obj).unwrap_or_default();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        meta.remove("resourceVersion");
    }
    v
}

/// Server-side apply of one object. A server-side dry run first tells
/// whether it drifted: an unchanged object is not written. Records whether
/// it was created, changed, unchanged or skipped.
async fn apply_one(cluster: &Cluster, p: Prepared, opts: &Options, report: &mut Report) -> Result<(), ApplyError> {
    let api = api_for(cluster, &p.resolved, &p.id.namespace);
    let fail = |e: kube::Error| ApplyError::Object { object: p.label.clone(), message: describe(&e) };
    let before = api.get_opt(&p.id.name).await.map_err(fail)?;
    if skipped(&p.value, before.as_ref()) {
        report.skipped.push(p.label);
        return Ok(());
    }
    let obj: DynamicObject = serde_json::from_value(p.value.clone())
        .map_err(|e| ApplyError::Object { object: p.label.clone(), message: e.to_string() })?;
    let params = PatchParams::apply(&opts.field_manager).force();
    if let Some(b) = &before {
        let mut dry_run = params.clone();
        dry_run.dry_run = true;
        match api.patch(&p.id.name, &dry_run, &Patch::Apply(&obj)).await {
            Ok(planned) if comparable(&planned) == comparable(b) => {
                report.unchanged.push(p.label);
                return Ok(());
            }
            Ok(_) => {}
            Err(e) if is_immutable(&e) => {
                let forced = opts.force
                    || annotation(&p.value, FORCE_ANNOTATION) == Some("enabled")
                    || live_annotation(b, FORCE_ANNOTATION) == Some("enabled");
                if !forced {
                    return Err(ApplyError::Object {
                        object: p.label.clone(),
                        message: format!(
                            "{}; recreating it needs spec.force: true or the annotation {FORCE_ANNOTATION}: enabled",
                            describe(&e)
                        ),
                    });
                }
                recreate(&api, &p.id.name).await.map_err(fail)?;
                tracing::warn!(object = %p.label, "immutable field changed: deleted to be created again");
                api.patch(&p.id.name, &params, &Patch::Apply(&obj)).await.map_err(fail)?;
                report.recreated.push(p.label.clone());
                report.configured.push(p.label);
                return Ok(());
            }
            Err(e) => return Err(fail(e)),
        }
    }
    api.patch(&p.id.name, &params, &Patch::Apply(&obj)).await.map_err(fail)?;
    match before {
        None => report.created.push(p.label),
        Some(_) => report.configured.push(p.label),
    }
    Ok(())
}

/// Deletes an object (in the background, as Flux does) and waits until it is gone.
async fn recreate(api: &Api<DynamicObject>, name: &str) -> Result<(), kube::Error> {
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(()),
        Err(e) => return Err(e),
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.get_opt(name).await?.is_some() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Deletes what `previous` had and `current` lacks, if it still carries this owner's labels.
async fn prune(
    cluster: &Cluster,
    owner: &Owner,
    previous: &Inventory,
    current: &Inventory,
    report: &mut Report,
) -> Result<(), ApplyError> {
    for (what, (api, name)) in prune_candidates(cluster, owner, previous, current).await? {
        match api.delete(&name, &DeleteParams::background()).await {
            Ok(_) => report.deleted.push(what),
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(ApplyError::Object { object: what, message: describe(&e) }),
        }
    }
    Ok(())
}

/// What pruning would delete, in order (`Kind/namespace/name` and where it
/// is): objects `previous` had and `current` lacks that still exist, still
/// carry this owner's labels, and are not annotated to be kept.
async fn prune_candidates(
    cluster: &Cluster,
    owner: &Owner,
    previous: &Inventory,
    current: &Inventory,
) -> Result<Vec<(String, (Api<DynamicObject>, String))>, ApplyError> {
    let mut gone: Vec<&Entry> = previous.entries.iter().filter(|e| !current.contains(&e.id)).collect();
    // Reverse stage order: workloads before their namespaces and CRDs.
    gone.sort_by_key(|e| e.object().map(|o| std::cmp::Reverse(stage(&o.kind, &o.group))));
    let mut out = Vec::new();
    for entry in gone {
        let (Some(id), Some(av)) = (entry.object(), entry.api_version()) else { continue };
        let resolved = match cluster.resolve(&av, &id.kind).await {
            Ok(r) => r,
            Err(ApplyError::UnknownKind { .. }) => continue,
            Err(e) => return Err(e),
        };
        let api = api_for(cluster, &resolved, &id.namespace);
        let what = label(&id.kind, &id.namespace, &id.name);
        let live = api
            .get_opt(&id.name)
            .await
            .map_err(|e| ApplyError::Object { object: what.clone(), message: describe(&e) })?;
        let Some(live) = live else { continue };
        let labels = live.metadata.labels.clone().unwrap_or_default();
        let ours = labels.get(NAME_LABEL) == Some(&owner.name) && labels.get(NAMESPACE_LABEL) == Some(&owner.namespace);
        let annotations = live.metadata.annotations.clone().unwrap_or_default();
        let disabled = |key: &str| annotations.get(key).is_some_and(|v| v == "disabled");
        let kept = disabled(PRUNE_ANNOTATION) || disabled(RECONCILE_ANNOTATION);
        if !ours || kept || live.metadata.deletion_timestamp.is_some() {
            continue;
        }
        out.push((what, (api, id.name)));
    }
    Ok(out)
}
