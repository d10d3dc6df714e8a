//! Field sets: the sets of field paths that server-side apply records per
//! manager in `metadata.managedFields`, and their `FieldsV1` encoding.
//!
//! A path is a sequence of [`PathElement`]s; a set is a trie whose nodes say
//! whether the path ending there is a member. In `FieldsV1`, `"f:name"` is a
//! struct field or map key, `"k:{...}"` an item of a keyed list, `"v:<json>"`
//! an item of a set, `"i:<n>"` a list index, and `"."` marks a node that is a
//! member and also has children.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A struct field or map key.
    Field(String),
    /// A keyed list item: the canonical JSON object of its key fields, sorted by name.
    Key(String),
    /// A set item: the canonical JSON of its value.
    Value(String),
    /// A list index (lists that are neither atomic nor keyed).
    Index(u32),
}

impl PathElement {
    /// A keyed-list element from its key fields.
    pub fn key(fields: &[(&str, &Value)]) -> PathElement {
        let mut sorted: Vec<_> = fields.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let mut m = Map::new();
        for (k, v) in sorted {
            m.insert(k.to_string(), (*v).clone());
        }
        PathElement::Key(Value::Object(m).to_string())
    }

    /// A set element from its value.
    pub fn value(v: &Value) -> PathElement {
        PathElement::Value(v.to_string())
    }

    fn encode(&self) -> String {
        match self {
            PathElement::Field(n) => format!("f:{n}"),
            PathElement::Key(k) => format!("k:{k}"),
            PathElement::Value(v) => format!("v:{v}"),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    fn decode(s: &str) -> Result<PathElement, FieldSetError> {
        let bad = || FieldSetError(format!("unrecognized path element {s:?}"));
        let (prefix, rest) = s.split_once(':').ok_or_else(bad)?;
        Ok(match prefix {
            "f" => PathElement::Field(rest.to_string()),
            "k" => {
                let v: Value = serde_json::from_str(rest).map_err(|_| bad())?;
                let obj = v.as_object().ok_or_else(bad)?;
                let fields: Vec<(&str, &Value)> = obj.iter().map(|(k, v)| (k.as_str(), v)).collect();
                PathElement::key(&fields)
            }
            "v" => {
                let v: Value = serde_json::from_str(rest).map_err(|_| bad())?;
                PathElement::value(&v)
            }
            "i" => PathElement::Index(rest.parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        })
    }
}

impl fmt::Display for PathElement {
    /// The form structured-merge-diff uses in conflict messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(n) => write!(f, ".{n}"),
            PathElement::Key(k) => {
                let obj: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let parts: Vec<String> = obj.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(v) => write!(f, "[={v}]"),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A malformed `FieldsV1` document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid managedFields: {0}")]
pub struct FieldSetError(String);

impl FieldSetError {
    pub fn new(msg: impl Into<String>) -> FieldSetError {
        FieldSetError(msg.into())
    }
}

/// A node of the trie: whether its path is a member, and the paths below it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    pub member: bool,
    pub children: FieldSet,
}

/// A set of field paths.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldSet {
    nodes: BTreeMap<PathElement, Node>,
}

impl FieldSet {
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn nodes(&self) -> impl Iterator<Item = (&PathElement, &Node)> {
        self.nodes.iter()
    }

    pub fn get(&self, pe: &PathElement) -> Option<&Node> {
        self.nodes.get(pe)
    }

    /// The subset below `pe` (empty if none).
    pub fn child(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.nodes.get(pe).map(|n| &n.children)
    }

    /// The node for `pe`, created if missing.
    pub fn node_mut(&mut self, pe: PathElement) -> &mut Node {
        self.nodes.entry(pe).or_default()
    }

    /// Adds one path.
    pub fn insert(&mut self, path: &[PathElement]) {
        if let Some((first, rest)) = path.split_first() {
            let node = self.node_mut(first.clone());
            if rest.is_empty() {
                node.member = true;
            } else {
                node.children.insert(rest);
            }
        }
    }

    pub fn contains(&self, path: &[PathElement]) -> bool {
        match path.split_first() {
            Some((first, rest)) => match self.nodes.get(first) {
                Some(n) if rest.is_empty() => n.member,
                Some(n) => n.children.contains(rest),
                None => false,
            },
            None => false,
        }
    }

    /// Whether `path` or anything below it is in the set.
    pub fn has_prefix(&self, path: &[PathElement]) -> bool {
        match path.split_first() {
            Some((first, rest)) => {
                self.nodes.get(first).is_some_and(|n| rest.is_empty() || n.children.has_prefix(rest))
            }
            None => !self.is_empty(),
        }
    }

    pub fn union_with(&mut self, other: &FieldSet) {
        for (pe, n) in &other.nodes {
            let mine = self.node_mut(pe.clone());
            mine.member |= n.member;
            mine.children.union_with(&n.children);
        }
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut s = self.clone();
        s.union_with(other);
        s
    }

    /// Members of `self` that are not members of `other`.
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet::new();
        for (pe, n) in &self.nodes {
            let (member, children) = match other.nodes.get(pe) {
                Some(o) => (n.member && !o.member, n.children.difference(&o.children)),
                None => (n.member, n.children.clone()),
            };
            if member || !children.is_empty() {
                out.nodes.insert(pe.clone(), Node { member, children });
            }
        }
        out
    }

    /// Members of both.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet::new();
        for (pe, n) in &self.nodes {
            if let Some(o) = other.nodes.get(pe) {
                let member = n.member && o.member;
                let children = n.children.intersection(&o.children);
                if member || !children.is_empty() {
                    out.nodes.insert(pe.clone(), Node { member, children });
                }
            }
        }
        out
    }

    /// Removes the subtree at the first element `pe` entirely.
    pub fn remove_subtree(&mut self, pe: &PathElement) {
        self.nodes.remove(pe);
    }

    /// Keeps only the nodes whose first element satisfies `keep`.
    pub fn retain_top(&mut self, keep: impl Fn(&PathElement) -> bool) {
        self.nodes.retain(|pe, _| keep(pe));
    }

    /// Every member path, in order.
    pub fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        for (pe, n) in &self.nodes {
            prefix.push(pe.clone());
            if n.member {
                out.push(prefix.clone());
            }
            n.children.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    /// The `FieldsV1` JSON of this set.
    pub fn to_fields_v1(&self) -> Value {
        let mut m = Map::new();
        for (pe, n) in &self.nodes {
            let mut inner = match n.children.to_fields_v1() {
                Value::Object(o) => o,
                _ => Map::new(),
            };
            if n.member && !inner.is_empty() {
                let mut with_dot = Map::new();
                with_dot.insert(".".to_string(), Value::Object(Map::new()));
                with_dot.extend(inner);
                inner = with_dot;
            }
            m.insert(pe.encode(), Value::Object(inner));
        }
        Value::Object(m)
    }

    /// Parses `FieldsV1` JSON.
    pub fn from_fields_v1(v: &Value) -> Result<FieldSet, FieldSetError> {
        let obj = v.as_object().ok_or_else(|| FieldSetError("fieldsV1 is not an object".into()))?;
        let mut set = FieldSet::new();
        for (k, child) in obj {
            if k == "." {
                continue;
            }
            let pe = PathElement::decode(k)?;
            let children = FieldSet::from_fields_v1(child)?;
            let has_dot = child.as_object().is_some_and(|o| o.contains_key("."));
            let member = has_dot || children.is_empty();
            set.nodes.insert(pe, Node { member, children });
        }
        Ok(set)
    }
}

/// A path in the form used by conflict messages: `.spec.containers[name="app"].image`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(|pe| pe.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(n: &str) -> PathElement {
        PathElement::Field(n.into())
    }

    #[test]
    fn fields_v1_round_trip_keeps_dot_members() {
        let v = json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}
        });
        let s = FieldSet::from_fields_v1(&v).unwrap();
        assert!(s.contains(&[f("metadata"), f("labels"), f("app")]));
        assert!(!s.contains(&[f("metadata"), f("labels")]));
        let item = PathElement::key(&[("name", &json!("nginx"))]);
        assert!(s.contains(&[f("spec"), f("containers"), item.clone()]));
        assert!(s.contains(&[f("spec"), f("containers"), item, f("image")]));
        assert_eq!(s.to_fields_v1(), v);
    }

    #[test]
    fn keys_are_canonical_and_printed_like_smd() {
        let a = PathElement::key(&[("protocol", &json!("TCP")), ("containerPort", &json!(80))]);
        let b = PathElement::decode("k:{\"protocol\":\"TCP\",\"containerPort\":80}").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.encode(), "k:{\"containerPort\":80,\"protocol\":\"TCP\"}");
        assert_eq!(path_string(&[f("spec"), f("ports"), a]), ".spec.ports[containerPort=80,protocol=\"TCP\"]");
        assert_eq!(PathElement::value(&json!("x")).to_string(), "[=\"x\"]");
    }

    #[test]
    fn set_algebra() {
        let mut a = FieldSet::new();
        a.insert(&[f("spec"), f("replicas")]);
        a.insert(&[f("spec"), f("paused")]);
        let mut b = FieldSet::new();
        b.insert(&[f("spec"), f("replicas")]);
        b.insert(&[f("metadata"), f("labels"), f("x")]);
        let i = a.intersection(&b);
        assert_eq!(i.paths(), vec![vec![f("spec"), f("replicas")]]);
        let d = a.difference(&b);
        assert_eq!(d.paths(), vec![vec![f("spec"), f("paused")]]);
        let u = a.union(&b);
        assert_eq!(u.paths().len(), 3);
        assert!(u.has_prefix(&[f("metadata")]));
        assert!(!u.has_prefix(&[f("status")]));
    }

    #[test]
    fn malformed_fields_v1_is_an_error() {
        assert!(FieldSet::from_fields_v1(&json!({"x:y": {}})).is_err());
        assert!(FieldSet::from_fields_v1(&json!({"k:notjson": {}})).is_err());
        assert!(FieldSet::from_fields_v1(&json!([1])).is_err());
    }
}
