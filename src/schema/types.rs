//! Type knowledge of Kubernetes objects: which fields a kind has, which values
//! are structs, maps or lists, how lists are keyed (for server-side apply) and
//! how strategic merge patch treats them.
//!
//! Built-in kinds come from `k8s-types.txt`, a compact table generated from the
//! Kubernetes OpenAPI by `scripts/gen-k8s-types.py`. Custom resources get their
//! types from the CRD's `openAPIV3Schema` ([`Types::from_crd_schema`]).

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Where a type node lives: the shared built-in table or a schema of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TyId {
    Builtin(u32),
    Local(u32),
}

/// A scalar's JSON type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    String,
    Int,
    Number,
    Bool,
    IntOrString,
    Quantity,
}

/// How server-side apply treats the items of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// The whole list is one value, replaced as a unit.
    Atomic,
    /// Items are scalars, merged as a set.
    Set,
    /// Items are objects identified by the values of these keys.
    Map(Vec<String>),
}

/// One node of a type graph.
#[derive(Clone, Debug)]
pub enum Ty {
    Scalar(Scalar),
    /// Untyped JSON (`x-kubernetes-preserve-unknown-fields`, `RawExtension`):
    /// objects are granular maps of untyped values, lists are atomic.
    Any,
    Struct(Struct),
    Map {
        elem: TyId,
        atomic: bool,
    },
    List {
        elem: TyId,
        kind: ListKind,
    },
}

/// An object with declared fields.
#[derive(Clone, Debug, Default)]
pub struct Struct {
    /// Sorted by name.
    pub fields: Vec<Field>,
    /// `x-kubernetes-map-type: atomic`: owned and replaced as a unit.
    pub atomic: bool,
    /// Unknown fields are kept (typed [`Ty::Any`]) instead of pruned.
    pub preserve_unknown: bool,
}

/// A declared field of a struct.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub ty: TyId,
    /// Strategic merge patch: the key that identifies list items.
    pub patch_merge_key: Option<String>,
    pub patch_strategy: PatchStrategy,
    pub default: Option<Value>,
}

/// Strategic merge patch strategy of a field (`x-kubernetes-patch-strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PatchStrategy {
    pub merge: bool,
    pub retain_keys: bool,
    pub replace: bool,
}

impl PatchStrategy {
    fn parse(s: &str) -> PatchStrategy {
        let mut p = PatchStrategy::default();
        for part in s.split(',') {
            match part {
                "merge" => p.merge = true,
                "retainKeys" => p.retain_keys = true,
                "replace" => p.replace = true,
                _ => {}
            }
        }
        p
    }
}

/// An arena of type nodes.
#[derive(Debug, Default)]
pub struct Types {
    nodes: Vec<Ty>,
}

/// A type with what it needs to resolve references: the root of a kind's
/// schema, shared cheaply between the objects of that kind.
#[derive(Clone, Debug)]
pub struct Schema {
    local: Option<Arc<Types>>,
    root: TyId,
}

/// A resolved position in a type graph.
#[derive(Clone, Copy, Debug)]
pub struct TyRef<'a> {
    local: Option<&'a Types>,
    id: TyId,
}

static ANY: Ty = Ty::Any;

impl Schema {
    /// The schema of a built-in kind, e.g. `("apps/v1", "Deployment")`.
    pub fn builtin(api_version: &str, kind: &str) -> Option<Schema> {
        let table = builtin();
        let root = *table.kinds.get(&(api_version.to_string(), kind.to_string()))?;
        Some(Schema { local: None, root })
    }

    /// A schema that knows nothing: every value is untyped.
    pub fn untyped() -> Schema {
        Schema { local: None, root: builtin().any }
    }

    pub fn root(&self) -> TyRef<'_> {
        TyRef { local: self.local.as_deref(), id: self.root }
    }
}

impl<'a> TyRef<'a> {
    pub fn ty(&self) -> &'a Ty {
        match self.id {
            TyId::Builtin(i) => &builtin().types.nodes[i as usize],
            TyId::Local(i) => match self.local {
                Some(t) => &t.nodes[i as usize],
                None => &ANY,
            },
        }
    }

    fn at(&self, id: TyId) -> TyRef<'a> {
        TyRef { local: self.local, id }
    }

    /// The struct behind this type, if it is one.
    pub fn as_struct(&self) -> Option<&'a Struct> {
        match self.ty() {
            Ty::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The declared field `name` of a struct.
    pub fn field(&self, name: &str) -> Option<(&'a Field, TyRef<'a>)> {
        let s = self.as_struct()?;
        let i = s.fields.binary_search_by(|f| f.name.as_str().cmp(name)).ok()?;
        let f = &s.fields[i];
        Some((f, self.at(f.ty)))
    }

    /// The type of the value under key `name` of an object of this type:
    /// a declared field, a map element, or untyped. `None` when the key is
    /// unknown to a struct that does not preserve unknown fields.
    pub fn child(&self, name: &str) -> Option<TyRef<'a>> {
        match self.ty() {
            Ty::Struct(s) => match self.field(name) {
                Some((_, t)) => Some(t),
                None if s.preserve_unknown => Some(self.any()),
                None => None,
            },
            Ty::Map { elem, .. } => Some(self.at(*elem)),
            Ty::Any => Some(*self),
            _ => None,
        }
    }

    /// Whether `name` is a declared field (as opposed to a map key).
    pub fn is_declared(&self, name: &str) -> bool {
        self.field(name).is_some()
    }

    /// The item type of a list.
    pub fn elem(&self) -> TyRef<'a> {
        match self.ty() {
            Ty::List { elem, .. } | Ty::Map { elem, .. } => self.at(*elem),
            _ => self.any(),
        }
    }

    pub fn any(&self) -> TyRef<'a> {
        TyRef { local: None, id: builtin().any }
    }

    /// Owned and replaced as a unit by server-side apply.
    pub fn is_atomic(&self) -> bool {
        match self.ty() {
            Ty::Struct(s) => s.atomic,
            Ty::Map { atomic, .. } => *atomic,
            Ty::List { kind, .. } => *kind == ListKind::Atomic,
            Ty::Any | Ty::Scalar(_) => false,
        }
    }

    pub fn list_kind(&self) -> Option<&'a ListKind> {
        match self.ty() {
            Ty::List { kind, .. } => Some(kind),
            _ => None,
        }
    }
}

/// The built-in table, parsed once.
struct Builtin {
    types: Types,
    kinds: HashMap<(String, String), TyId>,
    any: TyId,
}

fn builtin() -> &'static Builtin {
    static TABLE: OnceLock<Builtin> = OnceLock::new();
    TABLE.get_or_init(|| parse_table(include_str!("k8s-types.txt")))
}

/// The api versions and kinds the built-in table describes.
pub fn builtin_kinds() -> impl Iterator<Item = (&'static str, &'static str)> {
    builtin().kinds.keys().map(|(a, k)| (a.as_str(), k.as_str()))
}

/// Builds type nodes, interning the anonymous ones.
struct Builder {
    nodes: Vec<Ty>,
    local: bool,
    scalars: HashMap<&'static str, TyId>,
}

impl Builder {
    fn new(local: bool) -> Builder {
        Builder { nodes: Vec::new(), local, scalars: HashMap::new() }
    }

    fn push(&mut self, ty: Ty) -> TyId {
        let i = self.nodes.len() as u32;
        self.nodes.push(ty);
        if self.local { TyId::Local(i) } else { TyId::Builtin(i) }
    }

    fn shared(&mut self, name: &'static str, ty: Ty) -> TyId {
        if let Some(id) = self.scalars.get(name) {
            return *id;
        }
        let id = self.push(ty);
        self.scalars.insert(name, id);
        id
    }

    fn scalar(&mut self, s: Scalar) -> TyId {
        let name = match s {
            Scalar::String => "string",
            Scalar::Int => "int",
            Scalar::Number => "number",
            Scalar::Bool => "bool",
            Scalar::IntOrString => "intstr",
            Scalar::Quantity => "quantity",
        };
        self.shared(name, Ty::Scalar(s))
    }

    fn any(&mut self) -> TyId {
        self.shared("any", Ty::Any)
    }
}

fn parse_table(text: &str) -> Builtin {
    let mut b = Builder::new(false);
    let any = b.any();
    // First pass: give every named type an id, so references resolve.
    let mut named: HashMap<&str, TyId> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("type ") {
            let name = rest.split(' ').next().unwrap_or_default();
            let id = b.push(Ty::Struct(Struct::default()));
            named.insert(name, id);
        }
    }
    let mut kinds = HashMap::new();
    let mut current: Option<(TyId, Struct)> = None;
    let finish = |b: &mut Builder, cur: Option<(TyId, Struct)>| {
        if let Some((TyId::Builtin(i), mut s)) = cur {
            s.fields.sort_by(|a, b| a.name.cmp(&b.name));
            b.nodes[i as usize] = Ty::Struct(s);
        }
    };
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("kind ") {
            let parts: Vec<&str> = rest.split(' ').collect();
            if let [api_version, kind, ty] = parts[..] {
                kinds.insert((api_version.to_string(), kind.to_string()), named[ty]);
            }
        } else if let Some(rest) = line.strip_prefix("type ") {
            finish(&mut b, current.take());
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap_or_default();
            let atomic = parts.any(|p| p == "atomic");
            current = Some((named[name], Struct { atomic, ..Struct::default() }));
        } else if let Some(rest) = line.strip_prefix(' ') {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap_or_default().to_string();
            let ty = parse_texpr(&mut b, &named, parts.next().unwrap_or("any"));
            let mut field =
                Field { name, ty, patch_merge_key: None, patch_strategy: PatchStrategy::default(), default: None };
            for flag in parts {
                if let Some(k) = flag.strip_prefix("pk=") {
                    field.patch_merge_key = Some(k.to_string());
                } else if let Some(s) = flag.strip_prefix("ps=") {
                    field.patch_strategy = PatchStrategy::parse(s);
                } else if let Some(d) = flag.strip_prefix("default=") {
                    field.default = Some(Value::String(d.to_string()));
                }
            }
            if let Some((_, s)) = current.as_mut() {
                s.fields.push(field);
            }
        }
    }
    finish(&mut b, current.take());
    Builtin { types: Types { nodes: b.nodes }, kinds, any }
}

fn parse_texpr(b: &mut Builder, named: &HashMap<&str, TyId>, expr: &str) -> TyId {
    match expr {
        "string" => return b.scalar(Scalar::String),
        "int" => return b.scalar(Scalar::Int),
        "number" => return b.scalar(Scalar::Number),
        "bool" => return b.scalar(Scalar::Bool),
        "intstr" => return b.scalar(Scalar::IntOrString),
        "quantity" => return b.scalar(Scalar::Quantity),
        "any" => return b.any(),
        _ => {}
    }
    if let Some(name) = expr.strip_prefix("ref:") {
        return named.get(name).copied().unwrap_or_else(|| b.any());
    }
    if let Some(rest) = expr.strip_prefix("map:") {
        let elem = parse_texpr(b, named, rest);
        return b.push(Ty::Map { elem, atomic: false });
    }
    if let Some(rest) = expr.strip_prefix("amap:") {
        let elem = parse_texpr(b, named, rest);
        return b.push(Ty::Map { elem, atomic: true });
    }
    if let Some(rest) = expr.strip_prefix("list:") {
        let (kind, elem) = rest.split_once(':').unwrap_or((rest, "any"));
        let kind = match kind {
            "set" => ListKind::Set,
            k => match k.strip_prefix("map=") {
                Some(keys) => ListKind::Map(keys.split(',').map(str::to_string).collect()),
                None => ListKind::Atomic,
            },
        };
        let elem = parse_texpr(b, named, elem);
        return b.push(Ty::List { elem, kind });
    }
    b.any()
}

impl Types {
    /// The schema of a custom resource from its CRD's `openAPIV3Schema`.
    /// `metadata` is always the built-in ObjectMeta; `apiVersion` and `kind`
    /// are always strings. A missing schema gives an untyped object.
    pub fn from_crd_schema(schema: Option<&Value>) -> Schema {
        let table = builtin();
        let meta = table.kinds.get(&("v1".to_string(), "ConfigMap".to_string())).and_then(|cm| {
            let r = TyRef { local: None, id: *cm };
            r.field("metadata").map(|(f, _)| f.ty)
        });
        let mut b = Builder::new(true);
        let root = match schema {
            Some(s) => convert(&mut b, s),
            None => b.push(Ty::Struct(Struct { fields: vec![], atomic: false, preserve_unknown: true })),
        };
        // The root always declares apiVersion, kind and metadata.
        if let TyId::Local(i) = root {
            let string = b.scalar(Scalar::String);
            if let Ty::Struct(s) = &mut b.nodes[i as usize] {
                for (name, ty) in [("apiVersion", Some(string)), ("kind", Some(string)), ("metadata", meta)] {
                    if let Some(ty) = ty {
                        s.fields.retain(|f| f.name != name);
                        s.fields.push(Field {
                            name: name.to_string(),
                            ty,
                            patch_merge_key: None,
                            patch_strategy: PatchStrategy::default(),
                            default: None,
                        });
                    }
                }
                s.fields.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        Schema { local: Some(Arc::new(Types { nodes: b.nodes })), root }
    }
}

/// Converts one JSONSchemaProps node (a structural schema) into a type node.
fn convert(b: &mut Builder, s: &Value) -> TyId {
    let flag = |k: &str| s.get(k).and_then(Value::as_bool).unwrap_or(false);
    if flag("x-kubernetes-int-or-string") {
        return b.scalar(Scalar::IntOrString);
    }
    let preserve = flag("x-kubernetes-preserve-unknown-fields");
    let embedded = flag("x-kubernetes-embedded-resource");
    match s.get("type").and_then(Value::as_str) {
        Some("string") => b.scalar(Scalar::String),
        Some("integer") => b.scalar(Scalar::Int),
        Some("number") => b.scalar(Scalar::Number),
        Some("boolean") => b.scalar(Scalar::Bool),
        Some("array") => {
            let elem = match s.get("items") {
                Some(items) => convert(b, items),
                None => b.any(),
            };
            let kind = match s.get("x-kubernetes-list-type").and_then(Value::as_str) {
                Some("set") => ListKind::Set,
                Some("map") => ListKind::Map(
                    s.get("x-kubernetes-list-map-keys")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
                        .unwrap_or_default(),
                ),
                _ => ListKind::Atomic,
            };
            b.push(Ty::List { elem, kind })
        }
        Some("object") | None => {
            let atomic = s.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic");
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                let mut fields = Vec::with_capacity(props.len());
                for (name, p) in props {
                    let ty = convert(b, p);
                    fields.push(Field {
                        name: name.clone(),
                        ty,
                        patch_merge_key: None,
                        patch_strategy: PatchStrategy::default(),
                        default: p.get("default").cloned(),
                    });
                }
                if embedded {
                    let string = b.scalar(Scalar::String);
                    for name in ["apiVersion", "kind"] {
                        if !props.contains_key(name) {
                            fields.push(Field {
                                name: name.to_string(),
                                ty: string,
                                patch_merge_key: None,
                                patch_strategy: PatchStrategy::default(),
                                default: None,
                            });
                        }
                    }
                }
                fields.sort_by(|a, b| a.name.cmp(&b.name));
                return b.push(Ty::Struct(Struct { fields, atomic, preserve_unknown: preserve || embedded }));
            }
            match s.get("additionalProperties") {
                Some(Value::Object(elem)) => {
                    let elem = convert(b, &Value::Object(elem.clone()));
                    b.push(Ty::Map { elem, atomic })
                }
                Some(Value::Bool(true)) => {
                    let elem = b.any();
                    b.push(Ty::Map { elem, atomic })
                }
                _ if preserve || embedded || s.get("type").is_none() => b.any(),
                // An object with neither properties nor additionalProperties:
                // every field is pruned, as the API server does.
                _ => b.push(Ty::Struct(Struct { fields: vec![], atomic, preserve_unknown: false })),
            }
        }
        Some(_) => b.any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_containers_are_keyed_by_name() {
        let s = Schema::builtin("apps/v1", "Deployment").unwrap();
        let root = s.root();
        let containers = root
            .child("spec")
            .and_then(|t| t.child("template"))
            .and_then(|t| t.child("spec"))
            .and_then(|t| t.child("containers"))
            .unwrap();
        assert_eq!(containers.list_kind(), Some(&ListKind::Map(vec!["name".into()])));
        let ports = containers.elem().child("ports").unwrap();
        assert_eq!(ports.list_kind(), Some(&ListKind::Map(vec!["containerPort".into(), "protocol".into()])));
        let (proto, _) = ports.elem().field("protocol").unwrap();
        assert_eq!(proto.default, Some(json!("TCP")));
        let (spec_field, spec) = root.field("spec").unwrap();
        assert!(spec_field.patch_merge_key.is_none());
        assert!(spec.child("selector").unwrap().is_atomic());
        let (strategy, _) = spec.field("strategy").unwrap();
        assert!(strategy.patch_strategy.retain_keys);
    }

    #[test]
    fn labels_are_a_map_and_unknown_fields_are_unknown() {
        let s = Schema::builtin("v1", "ConfigMap").unwrap();
        let meta = s.root().child("metadata").unwrap();
        assert!(matches!(meta.child("labels").unwrap().ty(), Ty::Map { atomic: false, .. }));
        assert!(meta.child("labels").unwrap().child("anything").is_some());
        assert!(s.root().child("spec").is_none());
        assert_eq!(meta.child("finalizers").unwrap().list_kind(), Some(&ListKind::Set));
    }

    #[test]
    fn crd_schema_converts_list_types_and_preserve_unknown() {
        let schema = json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "x-kubernetes-list-type": "map",
                                  "x-kubernetes-list-map-keys": ["id"],
                                  "items": {"type": "object", "properties": {"id": {"type": "string"}}}},
                        "size": {"type": "integer", "default": 3},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }
                }
            }
        });
        let s = Types::from_crd_schema(Some(&schema));
        let spec = s.root().child("spec").unwrap();
        assert_eq!(spec.child("items").unwrap().list_kind(), Some(&ListKind::Map(vec!["id".into()])));
        assert_eq!(spec.field("size").unwrap().0.default, Some(json!(3)));
        assert!(matches!(spec.child("free").unwrap().child("x").unwrap().ty(), Ty::Any));
        assert!(spec.child("unknown").is_none());
        assert!(s.root().child("metadata").unwrap().child("labels").is_some());
    }
}
