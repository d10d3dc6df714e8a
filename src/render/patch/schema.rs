//! Which lists kustomize merges by key when it applies a strategic merge
//! patch, and by which keys.
//!
//! kustomize does not ask the cluster: kyaml carries the OpenAPI document of
//! Kubernetes v1.21.2 and consults only that. A list merges by key when its
//! field says `x-kubernetes-patch-strategy: merge`; the keys are the field's
//! `x-kubernetes-list-map-keys` when it has them (container `ports` merge by
//! `containerPort` *and* `protocol`), else its `x-kubernetes-patch-merge-key`,
//! else none (a list of scalars such as `finalizers`, merged as a set). Every
//! other list is replaced by the patch's. Kinds that document does not know
//! (custom resources, and built-in kinds newer than v1.21 such as
//! `autoscaling/v2` HorizontalPodAutoscaler) have no merging lists at all.
//!
//! The table (`kustomize-merge-keys.txt`) is generated from kyaml's embedded
//! document by `scripts/gen-kustomize-merge-keys.py` and keeps only the types
//! from which a merging list can be reached.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// What the schema says about a value below which some list merges.
#[derive(Debug)]
pub(super) enum Shape {
    /// An object of the type at this index of the table.
    Object(usize),
    /// A map whose values all have this shape.
    Map(Box<Shape>),
    /// A list merged by these keys (none: a list of scalars merged as a set);
    /// `item` is the shape of its items when something merges below them.
    Merge { keys: Vec<String>, item: Option<Box<Shape>> },
}

/// An object type of the table.
#[derive(Debug, Default)]
struct Type {
    /// Every field: `Some` for fields below which something merges.
    fields: HashMap<&'static str, Option<Shape>, BuildHasherDefault<Fnv>>,
}

/// FNV-1a: field names are short, and looking them up is the hot path of a merge.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The parsed table.
#[derive(Debug, Default)]
struct Table {
    types: Vec<Type>,
    /// `(apiVersion, kind)` to the index of its type (`None`: nothing in it merges).
    kinds: HashMap<(&'static str, &'static str), Option<usize>>,
}

/// Where the walk of a document stands in the schema.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cursor<'s> {
    /// Nothing is known here: lists are replaced; an object that names its
    /// own `apiVersion` and `kind` brings its kind's schema.
    Unknown,
    /// The schema describes this value, but nothing below it merges.
    Opaque,
    /// The schema describes this value and something below it merges.
    At(&'s Shape),
}

impl<'s> Cursor<'s> {
    /// The schema of a kind, if kustomize's schema knows the kind.
    pub(super) fn for_kind(api_version: &str, kind: &str) -> Option<Cursor<'static>> {
        let table = table();
        let kinds: &HashMap<(&str, &str), Option<usize>> = &table.kinds;
        let found = kinds.get(&(api_version, kind))?;
        Some(match found {
            Some(index) => Cursor::At(&ROOTS.get_or_init(roots)[*index]),
            None => Cursor::Opaque,
        })
    }

    pub(super) fn is_unknown(self) -> bool {
        matches!(self, Cursor::Unknown)
    }

    /// The schema of the value under `name` of an object (or map) here.
    pub(super) fn field(self, name: &str) -> Cursor<'s> {
        match self {
            Cursor::At(Shape::Object(index)) => match table().types[*index].fields.get(name) {
                Some(Some(shape)) => Cursor::At(shape),
                Some(None) => Cursor::Opaque,
                None => Cursor::Unknown,
            },
            Cursor::At(Shape::Map(value)) => Cursor::At(value),
            _ => Cursor::Unknown,
        }
    }

    /// The schema of the items of a list here.
    pub(super) fn elements(self) -> Cursor<'s> {
        match self {
            Cursor::At(Shape::Merge { item: Some(item), .. }) => Cursor::At(item),
            Cursor::At(Shape::Merge { item: None, .. }) => Cursor::Opaque,
            _ => Cursor::Unknown,
        }
    }

    /// The merge keys of a list here, when it merges (empty: a set of scalars).
    pub(super) fn merge_keys(self) -> Option<&'s [String]> {
        match self {
            Cursor::At(Shape::Merge { keys, .. }) => Some(keys),
            _ => None,
        }
    }
}

/// The table, parsed once.
fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| parse(include_str!("kustomize-merge-keys.txt")))
}

/// One `Shape::Object` per type, so that a kind's root can be borrowed for `'static`.
static ROOTS: OnceLock<Vec<Shape>> = OnceLock::new();

fn roots() -> Vec<Shape> {
    (0..table().types.len()).map(Shape::Object).collect()
}

/// Parses the generated table. It is part of the program, so a malformed
/// line is a bug caught by the tests; it is skipped rather than trusted.
fn parse(text: &'static str) -> Table {
    let mut index = HashMap::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("type ") {
            let next = index.len();
            index.entry(name.trim()).or_insert(next);
        }
    }
    let mut table = Table { types: (0..index.len()).map(|_| Type::default()).collect(), kinds: HashMap::new() };
    let mut current = None;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["kind", api_version, kind, ty] => {
                table.kinds.insert((*api_version, *kind), index.get(ty).copied());
            }
            ["type", name] => current = index.get(name).copied(),
            ["-", others @ ..] if line.starts_with(' ') => {
                if let Some(ty) = current.and_then(|c| table.types.get_mut(c)) {
                    ty.fields.extend(others.iter().map(|f| (*f, None)));
                }
            }
            [field, expr] if line.starts_with(' ') => {
                if let (Some(ty), Some(shape)) = (current.and_then(|c| table.types.get_mut(c)), shape(expr, &index)) {
                    ty.fields.insert(field, Some(shape));
                }
            }
            _ => {}
        }
    }
    table
}

/// Parses a type expression of the table.
fn shape(expr: &str, index: &HashMap<&str, usize>) -> Option<Shape> {
    if let Some(name) = expr.strip_prefix("ref:") {
        return index.get(name).map(|i| Shape::Object(*i));
    }
    if let Some(inner) = expr.strip_prefix("map:") {
        return shape(inner, index).map(|s| Shape::Map(Box::new(s)));
    }
    let rest = expr.strip_prefix("merge:")?;
    let (keys, item) = rest.split_once(':')?;
    let keys = keys.split(',').filter(|k| !k.is_empty()).map(str::to_string).collect();
    let item = if item == "-" { None } else { Some(Box::new(shape(item, index)?)) };
    Some(Shape::Merge { keys, item })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(c: Cursor<'_>) -> Option<Vec<&str>> {
        c.merge_keys().map(|k| k.iter().map(String::as_str).collect())
    }

    #[test]
    fn pod_template_lists_merge_by_their_keys() {
        let deploy = Cursor::for_kind("apps/v1", "Deployment").expect("known kind");
        let pod = deploy.field("spec").field("template").field("spec");
        assert_eq!(keys(pod.field("containers")), Some(vec!["name"]));
        assert_eq!(keys(pod.field("volumes")), Some(vec!["name"]));
        let container = pod.field("containers").elements();
        assert_eq!(keys(container.field("ports")), Some(vec!["containerPort", "protocol"]));
        assert_eq!(keys(container.field("env")), Some(vec!["name"]));
        assert_eq!(keys(container.field("args")), None);
        assert!(matches!(container.field("args"), Cursor::Opaque));
        assert!(matches!(container.field("noSuchField"), Cursor::Unknown));
        assert_eq!(keys(pod.field("tolerations")), None);
        assert_eq!(keys(deploy.field("metadata").field("finalizers")), Some(vec![]));
    }

    #[test]
    fn only_kinds_of_kubernetes_1_21_are_known() {
        let svc = Cursor::for_kind("v1", "Service").expect("known kind");
        assert_eq!(keys(svc.field("spec").field("ports")), Some(vec!["port", "protocol"]));
        assert!(Cursor::for_kind("autoscaling/v2beta2", "HorizontalPodAutoscaler").is_some());
        assert!(Cursor::for_kind("autoscaling/v2", "HorizontalPodAutoscaler").is_none());
        assert!(Cursor::for_kind("example.com/v1", "Widget").is_none());
        assert!(matches!(Cursor::for_kind("v1", "ConfigMapList"), Some(Cursor::Opaque)));
    }

    #[test]
    fn every_line_of_the_table_parses() {
        let text = include_str!("kustomize-merge-keys.txt");
        let table = table();
        let types = text.lines().filter(|l| l.starts_with("type ")).count();
        let fields = text.lines().filter(|l| l.starts_with(' ') && !l.starts_with(" - ")).count();
        assert_eq!(table.types.len(), types);
        let merging = table.types.iter().map(|t| t.fields.values().filter(|f| f.is_some()).count());
        assert_eq!(merging.sum::<usize>(), fields);
        assert!(table.kinds.len() > 200);
    }
}
