//! Typed walks over JSON objects, as structured-merge-diff does them: the field
//! set an object sets, the comparison of two versions of an object, the merge
//! of an applied configuration into a live object, and the removal of fields a
//! manager stopped applying.

use super::fieldset::{FieldSet, Node, PathElement};
use super::types::{ListKind, Ty, TyRef};
use serde_json::{Map, Value};

/// An object whose shape server-side apply cannot handle.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TypedError {
    #[error(
        "{path}: element {index}: associative list with keys has an element that omits key field {key:?} (and doesn't have default value)"
    )]
    MissingKey { path: String, index: usize, key: String },
    #[error("{path}: duplicate entries for key {key}")]
    DuplicateKey { path: String, key: String },
}

/// What differs between two versions of an object, as field sets.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Comparison {
    pub added: FieldSet,
    pub removed: FieldSet,
    pub modified: FieldSet,
}

impl Comparison {
    pub fn is_same(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.modified.is_empty()
    }
}

/// Whether a value at this type is a leaf: a scalar, an atomic value, or a
/// value whose shape does not match its type.
fn is_leaf(v: &Value, ty: TyRef<'_>) -> bool {
    if ty.is_atomic() {
        return true;
    }
    match (v, ty.ty()) {
        (_, Ty::Scalar(_)) => true,
        (Value::Object(_), Ty::Struct(_) | Ty::Map { .. } | Ty::Any) => false,
        (Value::Array(_), Ty::List { .. }) => false,
        _ => true,
    }
}

/// Whether the path to a value held under object key `key` is itself a member
/// of the object's field set (structured-merge-diff's rule: leaves, nulls,
/// empty maps, and keys that are not declared fields).
fn key_is_member(v: &Value, parent: TyRef<'_>, key: &str, ty: TyRef<'_>) -> bool {
    is_leaf(v, ty) || v.is_null() || v.as_object().is_some_and(Map::is_empty) || !parent.is_declared(key)
}

/// The path element identifying a list item.
pub fn item_element(item: &Value, list: TyRef<'_>, index: usize, path: &str) -> Result<PathElement, TypedError> {
    match list.list_kind() {
        Some(ListKind::Set) => Ok(PathElement::value(item)),
        Some(ListKind::Map(keys)) => {
            let elem = list.elem();
            let mut fields = Vec::with_capacity(keys.len());
            let mut defaults = Vec::new();
            for k in keys {
                match item.get(k) {
                    Some(v) if !v.is_null() => fields.push((k.as_str(), v.clone())),
                    _ => match elem.field(k).and_then(|(f, _)| f.default.clone()) {
                        Some(d) => defaults.push((k.as_str(), d)),
                        None => {
                            return Err(TypedError::MissingKey { path: path.to_string(), index, key: k.clone() });
                        }
                    },
                }
            }
            fields.extend(defaults);
            let refs: Vec<(&str, &Value)> = fields.iter().map(|(k, v)| (*k, v)).collect();
            Ok(PathElement::key(&refs))
        }
        _ => Ok(PathElement::Index(index as u32)),
    }
}

/// The items of a keyed or set list with their path elements. Items whose key
/// cannot be computed are an error; duplicates are an error when `strict`.
fn list_items<'v>(
    items: &'v [Value],
    list: TyRef<'_>,
    path: &str,
    strict: bool,
) -> Result<Vec<(PathElement, &'v Value)>, TypedError> {
    let mut out: Vec<(PathElement, &Value)> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let pe = item_element(item, list, i, path)?;
        if out.iter().any(|(p, _)| *p == pe) {
            if strict {
                return Err(TypedError::DuplicateKey { path: path.to_string(), key: pe.to_string() });
            }
            continue;
        }
        out.push((pe, item));
    }
    Ok(out)
}

fn sub(path: &str, pe: &PathElement) -> String {
    format!("{path}{pe}")
}

/// The set of fields `v` sets (structured-merge-diff's `ToFieldSet`).
pub fn field_set(v: &Value, ty: TyRef<'_>) -> Result<FieldSet, TypedError> {
    below(v, ty, "", true)
}

/// The paths strictly below a value.
fn below(v: &Value, ty: TyRef<'_>, path: &str, strict: bool) -> Result<FieldSet, TypedError> {
    let mut out = FieldSet::new();
    if is_leaf(v, ty) {
        return Ok(out);
    }
    match v {
        Value::Object(m) => {
            for (k, cv) in m {
                let cty = ty.child(k).unwrap_or_else(|| ty.any());
                let pe = PathElement::Field(k.clone());
                let children = below(cv, cty, &sub(path, &pe), strict)?;
                let member = key_is_member(cv, ty, k, cty);
                *out.node_mut(pe) = Node { member, children };
            }
        }
        Value::Array(items) => {
            let elem = ty.elem();
            for (pe, item) in list_items(items, ty, path, strict)? {
                let children = below(item, elem, &sub(path, &pe), strict)?;
                *out.node_mut(pe) = Node { member: true, children };
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Compares two versions of an object.
pub fn compare(old: &Value, new: &Value, ty: TyRef<'_>) -> Result<Comparison, TypedError> {
    compare_where(old, new, ty, &|_| true)
}

/// Compares two versions of an object, looking only at the top-level fields `keep` accepts.
pub fn compare_where(
    old: &Value,
    new: &Value,
    ty: TyRef<'_>,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Comparison, TypedError> {
    let mut c = Comparison::default();
    compare_below(old, new, ty, "", &mut c, keep)?;
    Ok(c)
}

fn all(_: &str) -> bool {
    true
}

/// Records into `c` (relative to this node) what differs below two values
/// that are both present and both composite.
fn compare_below(
    old: &Value,
    new: &Value,
    ty: TyRef<'_>,
    path: &str,
    c: &mut Comparison,
    keep: &dyn Fn(&str) -> bool,
) -> Result<(), TypedError> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, ov) in o.iter().filter(|(k, _)| keep(k)) {
                let cty = ty.child(k).unwrap_or_else(|| ty.any());
                let pe = PathElement::Field(k.clone());
                let member_old = key_is_member(ov, ty, k, cty);
                let member_new = n.get(k).map(|nv| key_is_member(nv, ty, k, cty));
                compare_child(Some(ov), n.get(k), cty, pe, member_old, member_new.unwrap_or(false), path, c)?;
            }
            for (k, nv) in n.iter().filter(|(k, _)| keep(k)) {
                if !o.contains_key(k) {
                    let cty = ty.child(k).unwrap_or_else(|| ty.any());
                    let member = key_is_member(nv, ty, k, cty);
                    compare_child(None, Some(nv), cty, PathElement::Field(k.clone()), false, member, path, c)?;
                }
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            let elem = ty.elem();
            let old_items = list_items(o, ty, path, false)?;
            let new_items = list_items(n, ty, path, false)?;
            for (pe, ov) in &old_items {
                let nv = new_items.iter().find(|(p, _)| p == pe).map(|(_, v)| *v);
                compare_child(Some(ov), nv, elem, pe.clone(), true, true, path, c)?;
            }
            for (pe, nv) in &new_items {
                if !old_items.iter().any(|(p, _)| p == pe) {
                    compare_child(None, Some(nv), elem, pe.clone(), true, true, path, c)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn compare_child(
    old: Option<&Value>,
    new: Option<&Value>,
    ty: TyRef<'_>,
    pe: PathElement,
    member_old: bool,
    member_new: bool,
    path: &str,
    c: &mut Comparison,
) -> Result<(), TypedError> {
    let p = sub(path, &pe);
    match (old, new) {
        (Some(ov), None) => {
            let children = below(ov, ty, &p, false)?;
            *c.removed.node_mut(pe) = Node { member: member_old, children };
        }
        (None, Some(nv)) => {
            let children = below(nv, ty, &p, false)?;
            *c.added.node_mut(pe) = Node { member: member_new, children };
        }
        (Some(ov), Some(nv)) => {
            if is_leaf(ov, ty) || is_leaf(nv, ty) {
                if ov != nv {
                    c.modified.node_mut(pe).member = true;
                }
                return Ok(());
            }
            let mut inner = Comparison::default();
            compare_below(ov, nv, ty, &p, &mut inner, &all)?;
            for (set, part) in
                [(&mut c.added, inner.added), (&mut c.removed, inner.removed), (&mut c.modified, inner.modified)]
            {
                if !part.is_empty() {
                    set.node_mut(pe.clone()).children = part;
                }
            }
        }
        (None, None) => {}
    }
    Ok(())
}

/// Merges an applied configuration into a live object: the configuration's
/// values win; keyed lists merge item by item; atomic values are replaced.
pub fn merge(live: &Value, config: &Value, ty: TyRef<'_>) -> Result<Value, TypedError> {
    merge_at(live, config, ty, "")
}

fn merge_at(live: &Value, config: &Value, ty: TyRef<'_>, path: &str) -> Result<Value, TypedError> {
    if is_leaf(config, ty) || is_leaf(live, ty) {
        return Ok(config.clone());
    }
    match (live, config) {
        (Value::Object(l), Value::Object(c)) => {
            let mut out = l.clone();
            for (k, cv) in c {
                let cty = ty.child(k).unwrap_or_else(|| ty.any());
                let merged = match l.get(k) {
                    Some(lv) => merge_at(lv, cv, cty, &sub(path, &PathElement::Field(k.clone())))?,
                    None => cv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Ok(Value::Object(out))
        }
        (Value::Array(l), Value::Array(c)) => {
            let elem = ty.elem();
            let live = list_items(l, ty, path, false)?;
            let applied = list_items(c, ty, path, true)?;
            let mut out = Vec::with_capacity(live.len().max(applied.len()));
            for (lv, cv, pe) in interleave(&live, &applied) {
                out.push(match (lv, cv) {
                    (Some(lv), Some(cv)) => merge_at(lv, cv, elem, &sub(path, pe))?,
                    (Some(v), None) | (None, Some(v)) => v.clone(),
                    (None, None) => continue,
                });
            }
            Ok(Value::Array(out))
        }
        _ => Ok(config.clone()),
    }
}

/// The order of a merged keyed list, as structured-merge-diff orders it:
/// items only the live list has stay where they were; items of the applied
/// list come in applied order, merged with their live counterpart.
fn interleave<'a, 'v>(
    live: &'a [(PathElement, &'v Value)],
    applied: &'a [(PathElement, &'v Value)],
) -> Vec<(Option<&'v Value>, Option<&'v Value>, &'a PathElement)> {
    let find =
        |items: &'a [(PathElement, &'v Value)], pe: &PathElement| items.iter().find(|(p, _)| p == pe).map(|(_, v)| *v);
    // Items both lists have, in applied order; the next one due.
    let shared: Vec<&PathElement> = applied.iter().map(|(p, _)| p).filter(|p| find(live, p).is_some()).collect();
    let mut next_shared = 0;
    let mut out = Vec::with_capacity(live.len().max(applied.len()));
    let (mut li, mut ai) = (0, 0);
    while li < live.len() || ai < applied.len() {
        if li < live.len() && ai < applied.len() {
            let (lp, lv) = &live[li];
            if *lp == applied[ai].0 {
                out.push((Some(*lv), Some(applied[ai].1), lp));
                li += 1;
                ai += 1;
                next_shared += 1;
                continue;
            }
            // A shared item that is not due yet comes later, in applied order.
            if find(applied, lp).is_some() && shared.get(next_shared).is_some_and(|s| *s != lp) {
                li += 1;
                continue;
            }
        }
        if li < live.len() && find(applied, &live[li].0).is_none() {
            out.push((Some(live[li].1), None, &live[li].0));
            li += 1;
            continue;
        }
        if ai < applied.len() {
            let (ap, av) = &applied[ai];
            out.push((find(live, ap), Some(*av), ap));
            if shared.get(next_shared).is_some_and(|s| *s == ap) {
                next_shared += 1;
            }
            ai += 1;
        } else {
            // Only shared live items left, all emitted already.
            li += 1;
        }
    }
    out
}

/// Removes from `v` what a manager owned before (`last`) and nobody owns now
/// (`owned`): a path nobody owns anything at or below is deleted whole; one
/// still owned in part is kept and pruned inside.
pub fn prune(v: &mut Value, last: &FieldSet, owned: &FieldSet, ty: TyRef<'_>) {
    match v {
        Value::Object(m) => {
            for (pe, node) in last.nodes() {
                let PathElement::Field(k) = pe else { continue };
                let Some(owned_child) = owned.get(pe) else {
                    m.shift_remove(k);
                    continue;
                };
                let cty = ty.child(k).unwrap_or_else(|| ty.any());
                if let Some(cv) = m.get_mut(k)
                    && !owned_child.member
                    && !is_leaf(cv, cty)
                {
                    prune(cv, &node.children, &owned_child.children, cty);
                }
            }
        }
        Value::Array(items) => {
            let elem = ty.elem();
            let mut keep = Vec::with_capacity(items.len());
            for (i, mut item) in std::mem::take(items).into_iter().enumerate() {
                let Ok(pe) = item_element(&item, ty, i, "") else {
                    keep.push(item);
                    continue;
                };
                match (last.get(&pe), owned.get(&pe)) {
                    (Some(_), None) => continue,
                    (Some(node), Some(owned_item)) if !owned_item.member => {
                        prune(&mut item, &node.children, &owned_item.children, elem);
                    }
                    _ => {}
                }
                keep.push(item);
            }
            *items = keep;
        }
        _ => {}
    }
}

/// Drops `null` values from objects, recursively (the API server does not store them).
pub fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, cv| !cv.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A value whose JSON type does not match its field's type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeMismatch {
    /// Dotted path, e.g. `spec.replicas`.
    pub path: String,
    pub expected: &'static str,
    pub got: &'static str,
}

/// Removes fields a typed object does not declare (the API server's pruning
/// of unknown fields) and reports them as dotted paths; also reports scalars
/// of the wrong JSON type.
pub fn sanitize(v: &mut Value, ty: TyRef<'_>) -> (Vec<String>, Vec<TypeMismatch>) {
    let mut unknown = Vec::new();
    let mut mismatches = Vec::new();
    sanitize_at(v, ty, "", &mut unknown, &mut mismatches);
    (unknown, mismatches)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn sanitize_at(v: &mut Value, ty: TyRef<'_>, path: &str, unknown: &mut Vec<String>, bad: &mut Vec<TypeMismatch>) {
    use super::types::Scalar;
    if v.is_null() {
        return;
    }
    let expect = |expected: &'static str, v: &Value, bad: &mut Vec<TypeMismatch>| {
        bad.push(TypeMismatch { path: path.to_string(), expected, got: json_type(v) });
    };
    match ty.ty() {
        Ty::Any => {}
        Ty::Scalar(Scalar::Quantity) => match super::quantity::canonicalize(v) {
            // Quantities are stored in canonical form, as the API server stores them.
            Ok(c) => *v = Value::String(c),
            Err(_) => expect("quantity", v, bad),
        },
        Ty::Scalar(s) => {
            let ok = match s {
                Scalar::String => v.is_string(),
                Scalar::Int => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
                Scalar::Number => v.is_number(),
                Scalar::Bool => v.is_boolean(),
                Scalar::IntOrString => v.is_string() || v.is_number(),
                Scalar::Quantity => true,
            };
            if !ok {
                let expected = match s {
                    Scalar::String => "string",
                    Scalar::Int => "integer",
                    Scalar::Number => "number",
                    Scalar::Bool => "boolean",
                    Scalar::IntOrString => "integer or string",
                    Scalar::Quantity => "quantity",
                };
                expect(expected, v, bad);
            }
        }
        Ty::Struct(st) => {
            let Some(m) = v.as_object_mut() else { return expect("object", v, bad) };
            let mut drop = Vec::new();
            for (k, cv) in m.iter_mut() {
                match ty.child(k) {
                    Some(cty) => sanitize_at(cv, cty, &join(path, k), unknown, bad),
                    None if !st.preserve_unknown => {
                        unknown.push(join(path, k));
                        drop.push(k.clone());
                    }
                    None => {}
                }
            }
            for k in drop {
                m.shift_remove(&k);
            }
        }
        Ty::Map { .. } => {
            let Some(m) = v.as_object_mut() else { return expect("object", v, bad) };
            let ety = ty.elem();
            for (k, cv) in m.iter_mut() {
                sanitize_at(cv, ety, &join(path, k), unknown, bad);
            }
        }
        Ty::List { .. } => {
            let Some(items) = v.as_array_mut() else { return expect("array", v, bad) };
            let ety = ty.elem();
            for (i, item) in items.iter_mut().enumerate() {
                sanitize_at(item, ety, &format!("{path}[{i}]"), unknown, bad);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::fieldset::path_string;
    use crate::schema::types::Schema;
    use serde_json::json;

    fn deploy() -> Schema {
        Schema::builtin("apps/v1", "Deployment").unwrap()
    }

    fn paths(s: &FieldSet) -> Vec<String> {
        s.paths().iter().map(|p| path_string(p)).collect()
    }

    #[test]
    fn field_set_of_a_deployment_matches_the_api_server() {
        let d = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1", "ports": [{"containerPort": 80}]}]}
                }
            }
        });
        let s = field_set(&d, deploy().root()).unwrap();
        let fv1 = s.to_fields_v1();
        assert_eq!(
            fv1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"],
            json!({".": {}, "f:image": {}, "f:name": {}, "f:ports": {
                "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}
            }})
        );
        assert_eq!(fv1["f:spec"]["f:selector"], json!({}));
        assert_eq!(fv1["f:metadata"], json!({"f:labels": {"f:app": {}}, "f:name": {}}));
    }

    #[test]
    fn missing_key_and_duplicates_are_errors() {
        let d = json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}});
        let e = field_set(&d, deploy().root()).unwrap_err();
        assert!(e.to_string().contains("omits key field \"name\""), "{e}");
        let d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}}});
        assert!(matches!(field_set(&d, deploy().root()), Err(TypedError::DuplicateKey { .. })));
    }

    #[test]
    fn compare_reports_added_removed_modified() {
        let old = json!({"spec": {"replicas": 1, "paused": true, "template": {"spec": {"containers": [
            {"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}}});
        let new = json!({"spec": {"replicas": 2, "minReadySeconds": 5, "template": {"spec": {"containers": [
            {"name": "a", "image": "a:2"}]}}}});
        let c = compare(&old, &new, deploy().root()).unwrap();
        assert_eq!(paths(&c.modified), vec![".spec.replicas", ".spec.template.spec.containers[name=\"a\"].image"]);
        assert_eq!(paths(&c.added), vec![".spec.minReadySeconds"]);
        assert_eq!(
            paths(&c.removed),
            vec![
                ".spec.paused",
                ".spec.template.spec.containers[name=\"b\"]",
                ".spec.template.spec.containers[name=\"b\"].image",
                ".spec.template.spec.containers[name=\"b\"].name"
            ]
        );
        assert!(compare(&old, &old, deploy().root()).unwrap().is_same());
    }

    #[test]
    fn merge_keyed_lists_by_key_and_replaces_atomics() {
        let live = json!({"spec": {"selector": {"matchLabels": {"a": "1", "b": "2"}}, "template": {"spec": {
            "containers": [{"name": "app", "image": "x:1", "args": ["a", "b"]}, {"name": "sidecar", "image": "s"}]}}}});
        let cfg = json!({"spec": {"selector": {"matchLabels": {"a": "1"}}, "template": {"spec": {
            "containers": [{"name": "app", "image": "x:2", "args": ["c"]}]}}}});
        let m = merge(&live, &cfg, deploy().root()).unwrap();
        assert_eq!(m["spec"]["selector"], json!({"matchLabels": {"a": "1"}}));
        assert_eq!(
            m["spec"]["template"]["spec"]["containers"],
            json!([{"name": "app", "image": "x:2", "args": ["c"]}, {"name": "sidecar", "image": "s"}])
        );
    }

    #[test]
    fn sanitize_canonicalizes_quantities() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a",
            "resources": {"requests": {"cpu": 0.5, "memory": "1024Mi"}, "limits": {"cpu": "1000m", "memory": "lots"}}}]}}}});
        let (_, bad) = sanitize(&mut d, deploy().root());
        let r = &d["spec"]["template"]["spec"]["containers"][0]["resources"];
        assert_eq!(r["requests"], json!({"cpu": "500m", "memory": "1Gi"}));
        assert_eq!(r["limits"]["cpu"], "1");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].path, "spec.template.spec.containers[0].resources.limits.memory");
        assert_eq!(bad[0].expected, "quantity");
    }

    #[test]
    fn sanitize_drops_unknown_fields_and_reports_type_errors() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "bogus": 1},
            "spec": {"replicas": "two", "replica": 3, "template": {"spec": {"containers": [{"name": "a", "imag": "x"}]}}}});
        let (unknown, bad) = sanitize(&mut d, deploy().root());
        assert_eq!(unknown, vec!["metadata.bogus", "spec.replica", "spec.template.spec.containers[0].imag"]);
        assert_eq!(bad, vec![TypeMismatch { path: "spec.replicas".into(), expected: "integer", got: "string" }]);
        assert!(d["spec"].get("replica").is_none());
    }

    #[test]
    fn merged_lists_keep_live_only_items_in_place() {
        let names = |v: &Value| -> Vec<String> {
            v["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect()
        };
        let list = |ns: &[&str]| json!({"spec": {"template": {"spec": {"containers": ns.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()}}}});
        let m = |live: &[&str], cfg: &[&str]| names(&merge(&list(live), &list(cfg), deploy().root()).unwrap());
        assert_eq!(m(&["a", "injected", "b"], &["a", "b"]), vec!["a", "injected", "b"]);
        assert_eq!(m(&["a", "b"], &["b", "a"]), vec!["b", "a"]);
        assert_eq!(m(&["a", "x", "b"], &["b", "c", "a"]), vec!["x", "b", "c", "a"]);
        assert_eq!(m(&[], &["a", "b"]), vec!["a", "b"]);
        assert_eq!(m(&["x"], &["a"]), vec!["x", "a"]);
    }

    #[test]
    fn prune_removes_what_nobody_owns_any_more() {
        let ty = deploy();
        let mut v = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 3, "paused": true,
            "strategy": {"type": "Recreate"}}});
        let last = field_set(
            &json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"paused": true, "strategy": {"type": "Recreate"}}}),
            ty.root(),
        )
        .unwrap();
        let owned =
            field_set(&json!({"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 3}}), ty.root()).unwrap();
        prune(&mut v, &last, &owned, ty.root());
        assert_eq!(v, json!({"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 3}}));
    }
}
