//! Managed fields: who owns which field of an object, and how server-side
//! apply and ordinary updates change that (the API server's field manager).
//!
//! An apply sets its manager's set to exactly the fields it applied; fields it
//! owned before and no longer applies are removed unless another manager owns
//! them; changing a field another manager owns is a conflict unless forced,
//! which moves ownership. An update (PUT, non-apply PATCH) takes ownership of
//! the fields it changed.

use super::fieldset::{FieldSet, FieldSetError, PathElement, path_string};
use super::typed::{self, TypedError};
use super::types::TyRef;
use serde_json::{Map, Value, json};
use std::fmt;

/// How a manager wrote its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// Identifies one entry of `managedFields`: appliers by name and subresource,
/// updaters also by the API version they wrote with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagerId {
    pub manager: String,
    pub operation: Operation,
    pub subresource: String,
    pub api_version: String,
}

impl ManagerId {
    fn same(&self, other: &ManagerId) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == Operation::Apply || self.api_version == other.api_version)
    }
}

impl fmt::Display for ManagerId {
    /// As the API server names a manager in conflict messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.manager)?;
        if !self.subresource.is_empty() {
            write!(f, " with subresource {:?}", self.subresource)?;
        }
        if self.operation == Operation::Update {
            write!(f, " using {}", self.api_version)?;
        }
        Ok(())
    }
}

/// One entry of `metadata.managedFields`.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: ManagerId,
    pub time: String,
    pub fields: FieldSet,
}

/// The whole `metadata.managedFields` of an object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManagedFields {
    pub entries: Vec<Entry>,
}

impl ManagedFields {
    /// Reads `metadata.managedFields` of an object.
    pub fn of(obj: &Value) -> Result<ManagedFields, FieldSetError> {
        ManagedFields::from_json(obj.pointer("/metadata/managedFields"))
    }

    pub fn from_json(list: Option<&Value>) -> Result<ManagedFields, FieldSetError> {
        let mut entries = Vec::new();
        let Some(list) = list.filter(|v| !v.is_null()) else { return Ok(ManagedFields { entries }) };
        let items = list.as_array().ok_or_else(|| bad("managedFields is not a list"))?;
        for item in items {
            let s = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            let operation = match item.get("operation").and_then(Value::as_str) {
                Some("Apply") => Operation::Apply,
                Some("Update") => Operation::Update,
                other => return Err(bad(&format!("unknown operation {other:?}"))),
            };
            let manager = s("manager");
            if manager.is_empty() {
                return Err(bad("an entry has no manager"));
            }
            if let Some(t) = item.get("fieldsType").and_then(Value::as_str)
                && t != "FieldsV1"
            {
                return Err(bad(&format!("unknown fieldsType {t:?}")));
            }
            let fields = match item.get("fieldsV1") {
                Some(v) => FieldSet::from_fields_v1(v)?,
                None => FieldSet::new(),
            };
            let id = ManagerId { manager, operation, subresource: s("subresource"), api_version: s("apiVersion") };
            entries.push(Entry { id, time: s("time"), fields });
        }
        Ok(ManagedFields { entries })
    }

    pub fn to_json(&self) -> Value {
        Value::Array(
            self.entries
                .iter()
                .map(|e| {
                    let mut m = Map::new();
                    m.insert("manager".into(), json!(e.id.manager));
                    m.insert("operation".into(), json!(e.id.operation.as_str()));
                    m.insert("apiVersion".into(), json!(e.id.api_version));
                    if !e.time.is_empty() {
                        m.insert("time".into(), json!(e.time));
                    }
                    m.insert("fieldsType".into(), json!("FieldsV1"));
                    m.insert("fieldsV1".into(), e.fields.to_fields_v1());
                    if !e.id.subresource.is_empty() {
                        m.insert("subresource".into(), json!(e.id.subresource));
                    }
                    Value::Object(m)
                })
                .collect(),
        )
    }

    fn position(&self, id: &ManagerId) -> Option<usize> {
        self.entries.iter().position(|e| e.id.same(id))
    }

    /// The fields an entry owns (empty if it has none).
    pub fn fields_of(&self, id: &ManagerId) -> FieldSet {
        self.position(id).map(|i| self.entries[i].fields.clone()).unwrap_or_default()
    }

    /// Sets an entry's fields, creating it (at the end) if needed.
    fn set(&mut self, id: &ManagerId, fields: FieldSet, now: &str) {
        match self.position(id) {
            Some(i) => {
                let e = &mut self.entries[i];
                e.fields = fields;
                e.time = now.to_string();
                e.id.api_version = id.api_version.clone();
            }
            None => self.entries.push(Entry { id: id.clone(), time: now.to_string(), fields }),
        }
    }

    fn owned(&self) -> FieldSet {
        let mut all = FieldSet::new();
        for e in &self.entries {
            all.union_with(&e.fields);
        }
        all
    }

    fn drop_empty(&mut self) {
        self.entries.retain(|e| !e.fields.is_empty());
    }
}

fn bad(msg: &str) -> FieldSetError {
    FieldSetError::new(msg)
}

/// Which part of an object a write may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The main resource; `status` is left alone when the kind has a status subresource.
    Main { status_subresource: bool },
    /// The status subresource: only `status`.
    Status,
}

impl Scope {
    /// Whether a write in this scope looks at a top-level field.
    fn covers(self, top: &str) -> bool {
        match self {
            Scope::Main { status_subresource } => !(status_subresource && top == "status"),
            Scope::Status => top == "status",
        }
    }

    fn filter(self, set: &mut FieldSet) {
        let status = PathElement::Field("status".into());
        match self {
            Scope::Main { status_subresource: true } => set.remove_subtree(&status),
            Scope::Main { status_subresource: false } => {}
            Scope::Status => set.retain_top(|pe| *pe == status),
        }
        strip_ignored(set);
    }
}

/// Fields never recorded as owned: identity and server-maintained metadata.
fn strip_ignored(set: &mut FieldSet) {
    set.retain_top(|pe| !matches!(pe, PathElement::Field(f) if f == "apiVersion" || f == "kind"));
    let meta = PathElement::Field("metadata".into());
    if let Some(node) = set.get(&meta) {
        let mut node = node.clone();
        node.children.retain_top(|pe| {
            !matches!(pe, PathElement::Field(f) if matches!(f.as_str(),
                "name" | "namespace" | "uid" | "resourceVersion" | "generation" | "creationTimestamp"
                | "deletionTimestamp" | "deletionGracePeriodSeconds" | "managedFields" | "selfLink"))
        });
        set.remove_subtree(&meta);
        if node.member || !node.children.is_empty() {
            *set.node_mut(meta) = node;
        }
    }
}

/// A field another manager owns and an apply would change.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub manager: ManagerId,
    pub path: String,
}

/// The conflicts that make an apply fail.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflicts(pub Vec<Conflict>);

impl fmt::Display for Conflicts {
    /// The API server's message for an apply conflict.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [c] = &self.0[..] {
            return write!(f, "Apply failed with 1 conflict: conflict with {}: {}", c.manager, c.path);
        }
        write!(f, "Apply failed with {} conflicts: ", self.0.len())?;
        let mut managers: Vec<String> = self.0.iter().map(|c| c.manager.to_string()).collect();
        managers.sort();
        managers.dedup();
        let mut lines = Vec::new();
        for m in managers {
            lines.push(format!("conflicts with {m}:"));
            for c in self.0.iter().filter(|c| c.manager.to_string() == m) {
                lines.push(format!("- {}", c.path));
            }
        }
        write!(f, "{}", lines.join("\n"))
    }
}

/// Why a write could not be recorded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Typed(#[from] TypedError),
    #[error("{0}")]
    Conflicts(Conflicts),
}

/// What every write needs: the object's type, the part it may change, and the time.
#[derive(Clone, Copy)]
pub struct Write<'a> {
    pub ty: TyRef<'a>,
    pub scope: Scope,
    pub now: &'a str,
}

/// Server-side apply of `config` by `id` onto `live` (an empty object when the
/// object does not exist yet). Returns the new object; updates `mf`.
pub fn apply(
    live: &Value,
    config: &Value,
    mf: &mut ManagedFields,
    id: &ManagerId,
    force: bool,
    w: Write<'_>,
) -> Result<Value, ApplyError> {
    let is_new = live.as_object().is_none_or(Map::is_empty);
    if !is_new && mf.entries.is_empty() {
        // Objects written before anyone tracked ownership: what they hold
        // belongs to a placeholder manager, as the API server does it.
        let mut before = typed::field_set(live, w.ty)?;
        w.scope.filter(&mut before);
        let placeholder = ManagerId {
            manager: "before-first-apply".into(),
            operation: Operation::Update,
            subresource: id.subresource.clone(),
            api_version: id.api_version.clone(),
        };
        mf.set(&placeholder, before, w.now);
    }
    let mut new_set = typed::field_set(config, w.ty)?;
    w.scope.filter(&mut new_set);
    let mut merged = typed::merge(live, config, w.ty)?;
    let last_set = mf.fields_of(id);
    let mut next = mf.clone();
    next.set(id, new_set, w.now);
    typed::prune(&mut merged, &last_set, &next.owned(), w.ty);
    typed::drop_nulls(&mut merged);
    let (_, conflicts) = record(live, &merged, &mut next, id, force, w)?;
    if !conflicts.is_empty() {
        return Err(ApplyError::Conflicts(Conflicts(conflicts)));
    }
    *mf = next;
    Ok(merged)
}

/// Records an update (create, PUT, non-apply PATCH) by `id` from `live` to `new`.
pub fn update(
    live: &Value,
    new: &Value,
    mf: &mut ManagedFields,
    id: &ManagerId,
    w: Write<'_>,
) -> Result<(), TypedError> {
    let (changed, _) = record(live, new, mf, id, true, w)?;
    let mine = mf.fields_of(id).difference(&changed.removed).union(&changed.modified).union(&changed.added);
    mf.set(id, mine, w.now);
    mf.drop_empty();
    Ok(())
}

/// Takes changed fields away from the other managers. Without `force`, a
/// change to another manager's field is a conflict instead: the conflicts are
/// returned and `mf` is left as it was. Returns what changed.
fn record(
    live: &Value,
    new: &Value,
    mf: &mut ManagedFields,
    id: &ManagerId,
    force: bool,
    w: Write<'_>,
) -> Result<(typed::Comparison, Vec<Conflict>), TypedError> {
    let mut c = typed::compare_where(live, new, w.ty, &|k| w.scope.covers(k))?;
    for set in [&mut c.added, &mut c.removed, &mut c.modified] {
        w.scope.filter(set);
    }
    let touched = c.modified.union(&c.added);
    let mut conflicts = Vec::new();
    for e in mf.entries.iter().filter(|e| !e.id.same(id)) {
        for p in e.fields.intersection(&touched).paths() {
            conflicts.push(Conflict { manager: e.id.clone(), path: path_string(&p) });
        }
    }
    if !force && !conflicts.is_empty() {
        return Ok((c, conflicts));
    }
    for e in mf.entries.iter_mut().filter(|e| !e.id.same(id)) {
        e.fields = e.fields.difference(&touched).difference(&c.removed);
    }
    mf.drop_empty();
    Ok((c, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::types::Schema;

    fn w(s: &Schema) -> Write<'_> {
        Write { ty: s.root(), scope: Scope::Main { status_subresource: true }, now: "2026-01-01T00:00:00Z" }
    }

    fn applier(name: &str) -> ManagerId {
        ManagerId {
            manager: name.into(),
            operation: Operation::Apply,
            subresource: String::new(),
            api_version: "apps/v1".into(),
        }
    }

    fn updater(name: &str, sub: &str) -> ManagerId {
        ManagerId {
            manager: name.into(),
            operation: Operation::Update,
            subresource: sub.into(),
            api_version: "apps/v1".into(),
        }
    }

    fn deploy(replicas: i64, labels: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": labels},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}}})
    }

    #[test]
    fn apply_owns_what_it_applied_and_removes_what_it_dropped() {
        let s = Schema::builtin("apps/v1", "Deployment").unwrap();
        let mut mf = ManagedFields::default();
        let a = applier("driftless");
        let v1 = apply(&json!({}), &deploy(2, json!({"a": "1", "b": "2"})), &mut mf, &a, false, w(&s)).unwrap();
        assert_eq!(mf.entries.len(), 1);
        assert_eq!(
            mf.entries[0].fields.to_fields_v1(),
            json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}, "f:spec": {"f:replicas": {}, "f:selector": {}}})
        );
        let v2 = apply(&v1, &deploy(2, json!({"a": "1"})), &mut mf, &a, false, w(&s)).unwrap();
        assert_eq!(v2["metadata"]["labels"], json!({"a": "1"}));
    }

    #[test]
    fn another_managers_field_conflicts_unless_forced() {
        let s = Schema::builtin("apps/v1", "Deployment").unwrap();
        let mut mf = ManagedFields::default();
        let a = applier("driftless");
        let v1 = apply(&json!({}), &deploy(2, json!({})), &mut mf, &a, false, w(&s)).unwrap();
        // Another manager scales the deployment through an update.
        let mut scaled = v1.clone();
        scaled["spec"]["replicas"] = json!(5);
        let scaler = updater("kubectl", "scale");
        update(&v1, &scaled, &mut mf, &scaler, w(&s)).unwrap();
        assert_eq!(mf.entries.len(), 2);
        let err = apply(&scaled, &deploy(2, json!({})), &mut mf.clone(), &a, false, w(&s)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"
        );
        // Same value: shared ownership, no conflict.
        let same = apply(&scaled, &deploy(5, json!({})), &mut mf.clone(), &a, false, w(&s)).unwrap();
        assert_eq!(same["spec"]["replicas"], json!(5));
        // Forced: the applier takes the field over and the scaler's entry goes away.
        let forced = apply(&scaled, &deploy(2, json!({})), &mut mf, &a, true, w(&s)).unwrap();
        assert_eq!(forced["spec"]["replicas"], json!(2));
        assert_eq!(mf.entries.len(), 1);
    }

    #[test]
    fn dropped_field_owned_by_someone_else_stays() {
        let s = Schema::builtin("apps/v1", "Deployment").unwrap();
        let mut mf = ManagedFields::default();
        let a = applier("a");
        let b = applier("b");
        let v1 = apply(&json!({}), &deploy(2, json!({"x": "1"})), &mut mf, &a, false, w(&s)).unwrap();
        let v2 = apply(&v1, &deploy(2, json!({"x": "1"})), &mut mf, &b, false, w(&s)).unwrap();
        let v3 = apply(&v2, &deploy(2, json!({})), &mut mf, &a, false, w(&s)).unwrap();
        assert_eq!(v3["metadata"]["labels"], json!({"x": "1"}));
    }

    #[test]
    fn status_is_not_owned_through_the_main_resource() {
        let s = Schema::builtin("apps/v1", "Deployment").unwrap();
        let mut mf = ManagedFields::default();
        let mut cfg = deploy(1, json!({}));
        cfg["status"] = json!({"replicas": 3});
        apply(&json!({}), &cfg, &mut mf, &applier("a"), false, w(&s)).unwrap();
        assert!(!mf.entries[0].fields.has_prefix(&[PathElement::Field("status".into())]));
    }

    #[test]
    fn managed_fields_json_round_trip() {
        let v = json!([{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": "t",
                        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}}]);
        let mf = ManagedFields::from_json(Some(&v)).unwrap();
        assert_eq!(mf.to_json(), v);
        assert!(ManagedFields::from_json(Some(&json!([{"manager": "x", "operation": "Nope"}]))).is_err());
    }
}
