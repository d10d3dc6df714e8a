//! What an apply would change, object by object and field by field, without
//! changing anything: a server-side dry run compared with the live objects
//! (`driftless diff`, like `flux diff kustomization`). Secret values are
//! never shown.

use super::cluster::Cluster;
use super::inventory::{Entry, Inventory};
use super::{ApplyError, Options, Owner, api_for, comparable, describe, prepare, skipped};
use kube::api::{DynamicObject, Patch, PatchParams};
use serde_json::Value;
use std::fmt;

/// What applying would do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Drifted,
    Unchanged,
    /// Left alone because of its annotations.
    Skipped,
    /// Pruned: in the last inventory, no longer in Git.
    Deleted,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Created => "created",
            Action::Drifted => "drifted",
            Action::Unchanged => "unchanged",
            Action::Skipped => "skipped",
            Action::Deleted => "deleted",
        })
    }
}

/// One field that differs: its path (`spec.template.spec.containers[0].image`)
/// and its values in the cluster and after the apply, as text (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub path: String,
    pub live: Option<String>,
    pub applied: Option<String>,
}

/// The difference for one object (`Kind/namespace/name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDiff {
    pub object: String,
    pub action: Action,
    pub fields: Vec<FieldChange>,
}

/// Shown instead of a Secret's values.
const MASK: &str = "***";

/// Compares `objects` (as `apply` would apply them for `owner`) with the
/// cluster, and lists what `previous` has that would be pruned.
pub async fn diff(
    cluster: &Cluster,
    objects: Vec<Value>,
    owner: &Owner,
    opts: &Options,
    previous: &Inventory,
) -> Result<Vec<ObjectDiff>, ApplyError> {
    let mut out = Vec::new();
    let mut current = Inventory::default();
    for o in objects {
        let p = prepare(cluster, o, owner, opts, &[]).await?;
        current.entries.push(Entry::new(&p.id, &p.resolved.resource.version));
        let api = api_for(cluster, &p.resolved, &p.id.namespace);
        let fail = |e: kube::Error| ApplyError::Object { object: p.label.clone(), message: describe(&e) };
        let live = api.get_opt(&p.id.name).await.map_err(fail)?;
        if skipped(&p.value, live.as_ref()) {
            out.push(ObjectDiff { object: p.label, action: Action::Skipped, fields: Vec::new() });
            continue;
        }
        let obj: DynamicObject = serde_json::from_value(p.value.clone())
            .map_err(|e| ApplyError::Object { object: p.label.clone(), message: e.to_string() })?;
        let mut params = PatchParams::apply(&opts.field_manager).force();
        params.dry_run = true;
        let planned = api.patch(&p.id.name, &params, &Patch::Apply(&obj)).await.map_err(fail)?;
        let Some(live) = live else {
            out.push(ObjectDiff { object: p.label, action: Action::Created, fields: Vec::new() });
            continue;
        };
        let secret = p.id.kind == "Secret" && p.id.group.is_empty();
        let mut fields = Vec::new();
        compare(&mut String::new(), Some(&for_diff(&live)), Some(&for_diff(&planned)), secret, &mut fields);
        let action = if fields.is_empty() { Action::Unchanged } else { Action::Drifted };
        out.push(ObjectDiff { object: p.label, action, fields });
    }
    if opts.prune {
        for (object, _) in super::prune_candidates(cluster, owner, previous, &current).await? {
            out.push(ObjectDiff { object, action: Action::Deleted, fields: Vec::new() });
        }
    }
    Ok(out)
}

/// The object as compared: without what every write or read changes.
fn for_diff(obj: &DynamicObject) -> Value {
    let mut v = comparable(obj);
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("generation");
    }
    v
}

/// Appends the fields that differ between `live` and `applied` under `path`.
fn compare(path: &mut String, live: Option<&Value>, applied: Option<&Value>, secret: bool, out: &mut Vec<FieldChange>) {
    if live == applied {
        return;
    }
    match (live, applied) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
            keys.sort();
            for key in keys {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                compare(path, a.get(key), b.get(key), secret, out);
                path.truncate(len);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                compare(path, Some(x), Some(y), secret, out);
                path.truncate(len);
            }
        }
        _ => {
            let hidden = secret && (path.starts_with("data") || path.starts_with("stringData"));
            let text = |v: Option<&Value>| {
                v.map(|v| match v {
                    _ if hidden => MASK.to_string(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            };
            out.push(FieldChange { path: path.clone(), live: text(live), applied: text(applied) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(a: Value, b: Value, secret: bool) -> Vec<FieldChange> {
        let mut out = Vec::new();
        compare(&mut String::new(), Some(&a), Some(&b), secret, &mut out);
        out
    }

    fn change(path: &str, live: Option<&str>, applied: Option<&str>) -> FieldChange {
        FieldChange { path: path.into(), live: live.map(String::from), applied: applied.map(String::from) }
    }

    #[test]
    fn fields_are_named_by_path_with_list_indexes() {
        let a = json!({"spec": {"replicas": 1, "template": {"containers": [{"image": "a:1"}]}}, "data": {"x": "1"}});
        let b = json!({"spec": {"replicas": 2, "template": {"containers": [{"image": "a:2"}]}}, "data": {"y": "1"}});
        assert_eq!(
            changes(a, b, false),
            vec![
                change("data.x", Some("1"), None),
                change("data.y", None, Some("1")),
                change("spec.replicas", Some("1"), Some("2")),
                change("spec.template.containers[0].image", Some("a:1"), Some("a:2")),
            ]
        );
    }

    #[test]
    fn a_list_of_another_length_is_one_change() {
        let out = changes(json!({"l": [1]}), json!({"l": [1, 2]}), false);
        assert_eq!(out, vec![change("l", Some("[1]"), Some("[1,2]"))]);
    }

    #[test]
    fn secret_values_are_masked() {
        let a = json!({"data": {"password": "c2VjcmV0"}, "metadata": {"labels": {"a": "1"}}});
        let b = json!({"data": {"password": "bmV3"}, "metadata": {"labels": {"a": "2"}}});
        let out = changes(a, b, true);
        assert_eq!(out[0], change("data.password", Some(MASK), Some(MASK)));
        assert_eq!(out[1], change("metadata.labels.a", Some("1"), Some("2")), "only values under data are hidden");
    }
}
