//! kustomize's deprecated `vars:`: named values read from a field of one
//! object of the build and written wherever `$(NAME)` appears in the fields
//! the `varReference` field specs list (kustomize's built-in table plus any
//! from `configurations:` files).
//!
//! How kustomize v5.5 runs them, and so how this module does:
//!
//! 1. **Declaring.** At the end of each kustomization (after its
//!    transformers), each var it declares is tied to the one accumulated
//!    object whose current or any earlier id has the `objref`'s exact group,
//!    version, kind and name (and, when the `objref` names a namespace, that
//!    namespace). No such object is not an error yet; two are. The var then
//!    joins the set of the kustomization, which also holds the vars of its
//!    bases and components: a name declared twice is an error.
//! 2. **Resolving.** Once, at the top, after content hashes and name
//!    references are settled: each var's value is read from its object at
//!    `fieldref.fieldPath` (default `metadata.name`), so it sees the final,
//!    prefixed and hashed names. A var tied to no object, or whose field is
//!    missing, is an error. Then every string at a `varReference` field has
//!    each `$(NAME)` of a known var replaced; a string that is exactly
//!    `$(NAME)` takes the value's own type (a number stays a number).
//!    `$$` is an escaped `$`. Unknown names, and vars whose value is a
//!    mapping or a list, stay as written. Lists at those fields must hold
//!    only strings.

use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::fmt;

use super::fieldspec::FieldSpec;
use super::resource::{Gvk, ResId, Resource};

/// The field a var reads when its `fieldref` names none.
pub const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// One `vars:` entry of a kustomization.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Var {
    /// What `$(NAME)` references call it.
    pub name: String,
    /// The object it reads.
    pub objref: ObjRef,
    /// The field it reads, dotted (`spec.ports[0].port`, `spec.containers.[name=app].image`).
    pub field_path: String,
}

/// The object a var reads: exact group, version, kind and name; a namespace only when given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjRef {
    pub gvk: Gvk,
    pub name: String,
    pub namespace: String,
}

impl Var {
    /// Reads a `vars:` entry (`{name, objref: {apiVersion, group, version,
    /// kind, name, namespace}, fieldref: {fieldPath}}`). Field names match
    /// case-insensitively and `null` is an empty field, as kustomize reads
    /// them; `apiVersion` overrides `group` and `version`.
    pub fn from_value(v: &Value) -> Result<Var, String> {
        let m = match v {
            Value::Null => return Ok(Var { field_path: DEFAULT_FIELD_PATH.into(), ..Var::default() }),
            Value::Object(m) => m,
            other => return Err(format!("must be a mapping, not {}", type_name(other))),
        };
        only_fields(m, &["name", "objref", "fieldref"])?;
        let name = text(m, "name", "name")?;
        let objref = match field(m, "objref") {
            None => ObjRef::default(),
            Some(Value::Object(o)) => ObjRef::from_map(o)?,
            Some(other) => return Err(format!("objref: must be a mapping, not {}", type_name(other))),
        };
        let field_path = match field(m, "fieldref") {
            None => String::new(),
            Some(Value::Object(f)) => {
                only_fields(f, &["fieldPath"])?;
                text(f, "fieldPath", "fieldref.fieldPath")?
            }
            Some(other) => return Err(format!("fieldref: must be a mapping, not {}", type_name(other))),
        };
        let field_path = if field_path.is_empty() { DEFAULT_FIELD_PATH.to_string() } else { field_path };
        Ok(Var { name, objref, field_path })
    }
}

impl ObjRef {
    fn from_map(m: &Map<String, Value>) -> Result<ObjRef, String> {
        only_fields(m, &["apiVersion", "group", "version", "kind", "name", "namespace"])?;
        let get = |key: &str| text(m, key, &format!("objref.{key}"));
        let mut gvk = Gvk { group: get("group")?, version: get("version")?, kind: get("kind")? };
        let api_version = get("apiVersion")?;
        if !api_version.is_empty() {
            let parts: Vec<&str> = api_version.split('/').collect();
            match parts.as_slice() {
                [group, version] => (gvk.group, gvk.version) = (group.to_string(), version.to_string()),
                [version] => gvk.version = version.to_string(),
                _ => {}
            }
        }
        Ok(ObjRef { gvk, name: get("name")?, namespace: get("namespace")? })
    }

    /// Whether `id` is this object. Without a namespace any namespace
    /// matches; with one, the namespaces compare as kustomize compares them
    /// for a reference (empty and `default` are the same).
    fn matches(&self, id: &ResId) -> bool {
        if self.gvk != id.gvk || self.name != id.name {
            return false;
        }
        if self.namespace.is_empty() {
            return true;
        }
        let wanted = if self.namespace == "default" { "default" } else { self.namespace.as_str() };
        wanted == id.effective_namespace()
    }
}

impl fmt::Display for Var {
    /// `'NAME' (objref Kind apiVersion name, fieldPath path)`, for error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.objref;
        let kind = if o.gvk.kind.is_empty() { "[noKind]" } else { &o.gvk.kind };
        let version = match o.gvk.api_version().as_str() {
            "" => "[noVer]".to_string(),
            v => v.to_string(),
        };
        write!(f, "'{}' (objref {kind} {version} {:?}", self.name, o.name)?;
        if !o.namespace.is_empty() {
            write!(f, " in namespace {:?}", o.namespace)?;
        }
        write!(f, ", fieldPath {})", self.field_path)
    }
}

/// The vars of a kustomization and everything it includes, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VarSet {
    vars: BTreeMap<String, Var>,
}

impl VarSet {
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// The vars, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Var> {
        self.vars.values()
    }

    /// Adds the vars of a base or component; a name already here is an error.
    pub fn merge(&mut self, other: VarSet) -> Result<(), String> {
        for var in other.vars.into_values() {
            self.add(var)?;
        }
        Ok(())
    }

    /// Declares a kustomization's own `vars:` (after its transformers ran):
    /// ties each to the one object among `resources` that has or had its
    /// `objref`'s id, then adds them. Two such objects, or a name already
    /// declared, is an error.
    pub fn declare(&mut self, resources: &mut [Resource], incoming: &[Var]) -> Result<(), String> {
        for var in incoming {
            let matched: Vec<usize> = (0..resources.len()).filter(|&i| had_id(&resources[i], &var.objref)).collect();
            match matched.as_slice() {
                [] => {}
                [i] => resources[*i].ref_vars.push(var.name.clone()),
                many => {
                    let ids: Vec<String> = many.iter().map(|&i| resources[i].id().to_string()).collect();
                    return Err(format!(
                        "found {} resId matches for var {var} (unable to disambiguate): {}",
                        many.len(),
                        ids.join(", ")
                    ));
                }
            }
        }
        for var in incoming {
            self.add(var.clone())?;
        }
        Ok(())
    }

    fn add(&mut self, var: Var) -> Result<(), String> {
        if self.vars.contains_key(&var.name) {
            return Err(format!("var '{}' already encountered", var.name));
        }
        self.vars.insert(var.name.clone(), var);
        Ok(())
    }
}

/// Whether the object has, or had, the id `objref` names.
fn had_id(r: &Resource, objref: &ObjRef) -> bool {
    objref.matches(&r.id()) || r.prev_ids.iter().any(|id| objref.matches(id))
}

/// What a var's field held.
#[derive(Debug, Clone, PartialEq)]
enum VarValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A mapping or a list: references to it stay as written.
    Structured,
}

impl VarValue {
    fn from_field(v: &Value) -> Option<VarValue> {
        Some(match v {
            Value::String(s) => VarValue::Text(s.clone()),
            Value::Bool(b) => VarValue::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => VarValue::Int(i),
                // Too large for a Go int: kustomize cannot read it.
                (None, Some(_)) => return None,
                (None, None) => VarValue::Float(n.as_f64()?),
            },
            Value::Null => VarValue::Text("null".into()),
            Value::Object(_) | Value::Array(_) => VarValue::Structured,
        })
    }

    /// The value as it reads inside a longer string (Go's `%v`).
    fn text(&self) -> Option<String> {
        match self {
            VarValue::Text(s) => Some(s.clone()),
            VarValue::Int(i) => Some(i.to_string()),
            VarValue::Float(f) => Some(go_float_v(*f)),
            VarValue::Bool(b) => Some(b.to_string()),
            VarValue::Structured => None,
        }
    }

    /// The value as a whole field: its own type, or its text in a field that holds only strings.
    fn typed(&self, strings_only: bool) -> Option<Value> {
        Some(match self {
            VarValue::Text(s) => Value::String(s.clone()),
            VarValue::Int(i) if !strings_only => Value::Number((*i).into()),
            VarValue::Float(f) if !strings_only => Value::Number(Number::from_f64(*f)?),
            VarValue::Bool(b) if !strings_only => Value::Bool(*b),
            VarValue::Float(f) => Value::String(format!("{f}")),
            VarValue::Int(_) | VarValue::Bool(_) => Value::String(self.text()?),
            VarValue::Structured => return None,
        })
    }
}

/// Go's `%v` of a float64: the shortest digits, in exponent form (`1e+08`)
/// when the exponent is below -4 or at least 6.
fn go_float_v(f: f64) -> String {
    let sci = format!("{f:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else { return format!("{f}") };
    let Ok(exp) = exp.parse::<i32>() else { return format!("{f}") };
    if (-4..6).contains(&exp) {
        return format!("{f}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// The values of the vars, by name.
type Values = BTreeMap<String, VarValue>;

/// Resolves the vars at the end of a render: reads each var's value from the
/// object it was tied to, then replaces `$(NAME)` references in the fields
/// `specs` list. Nothing happens without vars.
pub fn resolve(resources: &mut [Resource], vars: &VarSet, specs: &[FieldSpec]) -> Result<(), String> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut values = Values::new();
    for var in vars.iter() {
        values.insert(var.name.clone(), value_of(resources, var)?);
    }
    for r in resources.iter_mut() {
        for spec in specs {
            // kustomize ends up printing every value of metadata.annotations as a string.
            let strings_only = spec.segments().starts_with(&["metadata".to_string(), "annotations".to_string()]);
            spec.apply(&mut r.obj, None, &mut |node| substitute(node, &values, strings_only))?;
        }
    }
    Ok(())
}

/// The value of `var`, read from the object it was tied to.
fn value_of(resources: &[Resource], var: &Var) -> Result<VarValue, String> {
    let Some(r) = resources.iter().find(|r| r.ref_vars.contains(&var.name)) else {
        return Err(format!("var {var} cannot be mapped to a field in the set of known resources"));
    };
    lookup(&r.obj, &var.field_path)
        .and_then(VarValue::from_field)
        .ok_or_else(|| format!("field specified in var {var} not found in corresponding resource {}", r.id()))
}

/// Replaces references in one field: a string, the string values of a
/// mapping, or the items of a list (which must all be strings).
fn substitute(node: &mut Value, values: &Values, strings_only: bool) -> Result<(), String> {
    match node {
        Value::String(s) => *node = expand(s, values, strings_only),
        Value::Object(m) => {
            for v in m.values_mut() {
                if let Value::String(s) = v {
                    *v = expand(s, values, strings_only);
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                let Value::String(s) = item else {
                    return Err("invalid value type expect a string".into());
                };
                *item = expand(s, values, strings_only);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// `input` with each `$(NAME)` of a known var replaced and `$$` read as `$`.
/// When `input` is exactly one reference, the result has the value's type.
fn expand(input: &str, values: &Values, strings_only: bool) -> Value {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] != b'$' || cursor + 1 >= bytes.len() {
            cursor += 1;
            continue;
        }
        out.push_str(&input[checkpoint..cursor]);
        match bytes[cursor + 1] {
            b'$' => {
                out.push('$');
                cursor += 2;
            }
            b'(' => match input[cursor + 2..].find(')') {
                Some(len) => {
                    let name = &input[cursor + 2..cursor + 2 + len];
                    let value = values.get(name);
                    if input.len() == name.len() + 3 {
                        return value
                            .and_then(|v| v.typed(strings_only))
                            .unwrap_or_else(|| Value::String(input.into()));
                    }
                    match value.and_then(VarValue::text) {
                        Some(text) => out.push_str(&text),
                        None => out.push_str(&input[cursor..cursor + 3 + len]),
                    }
                    cursor += 3 + len;
                }
                None => {
                    out.push_str("$(");
                    cursor += 2;
                }
            },
            _ => {
                out.push('$');
                cursor += 1;
            }
        }
        checkpoint = cursor;
    }
    out.push_str(&input[checkpoint..]);
    Value::String(out)
}

/// The value at a dotted field path as kustomize looks it up for a var:
/// `a.b`, list indexes (`ports[0]`, `ports.0`, `-` for the last item),
/// list items by field (`containers.[name=app]`) or by value (`args.[=-v]`),
/// `\.` and `[a.b]` for dots inside a key.
fn lookup<'v>(obj: &'v Value, path: &str) -> Option<&'v Value> {
    let mut node = obj;
    for part in path_parts(path) {
        node = step(node, &part)?;
    }
    Some(node)
}

fn step<'v>(node: &'v Value, part: &str) -> Option<&'v Value> {
    if let Ok(index) = part.parse::<i64>() {
        let items = node.as_array()?;
        return usize::try_from(index).ok().and_then(|i| items.get(i));
    }
    if part == "-" {
        return node.as_array()?.last();
    }
    if part.starts_with('[') && part.ends_with(']') && part.len() >= 2 {
        let (key, wanted) = part[1..part.len() - 1].split_once('=')?;
        let items = node.as_array()?;
        if key.is_empty() {
            return items.iter().find(|item| scalar_text(item) == wanted);
        }
        return items
            .iter()
            .find(|item| item.as_object().and_then(|m| m.get(key)).is_some_and(|v| scalar_text(v) == wanted));
    }
    if part == "*" {
        return None;
    }
    node.as_object()?.get(part)
}

/// A scalar's text as YAML holds it; empty for mappings and lists.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Object(_) | Value::Array(_) => String::new(),
    }
}

/// A dotted path's parts: split at `.` (not `\.`), bracketed parts kept
/// whole (`[name=a.b]`, or `[a.b]` read as the key `a.b`), `name[3]` read
/// as `name` then `3`, blank parts dropped.
fn path_parts(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut pieces: Vec<&str> = path.split('.').collect();
    if pieces.len() > 1 && pieces[0].is_empty() {
        pieces.remove(0);
    }
    for piece in pieces {
        match parts.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => parts.push(piece.to_string()),
        }
    }
    let mut grouped: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let part = &parts[i];
        if part.starts_with('[') && !part.ends_with(']') {
            let mut bracketed = vec![part.clone()];
            while i + 1 < parts.len() {
                i += 1;
                bracketed.push(parts[i].clone());
                if parts[i].ends_with(']') {
                    break;
                }
            }
            let joined = bracketed.join(".");
            if joined.contains('=') {
                grouped.push(joined);
            } else {
                grouped.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            grouped.push(part.clone());
        }
        i += 1;
    }
    let mut out = Vec::new();
    for part in grouped {
        match split_index(&part) {
            Some((name, index)) => {
                if !name.is_empty() {
                    out.push(name.to_string());
                }
                out.push(index.to_string());
            }
            None => out.push(part),
        }
    }
    out.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// `name[3]` as (`name`, `3`).
fn split_index(part: &str) -> Option<(&str, &str)> {
    let inner = part.strip_suffix(']')?;
    let open = inner.rfind('[')?;
    let digits = &inner[open + 1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((&inner[..open], digits))
}

fn field<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    m.get(name)
        .or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
        .filter(|v| !v.is_null())
}

fn only_fields(m: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match m.keys().find(|k| !allowed.iter().any(|a| a.eq_ignore_ascii_case(k))) {
        Some(key) => Err(format!("unknown field {key:?}")),
        None => Ok(()),
    }
}

fn text(m: &Map<String, Value>, key: &str, what: &str) -> Result<String, String> {
    match field(m, key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("{what}: must be a string, not {}", type_name(other))),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn var(v: Value) -> Var {
        Var::from_value(&v).unwrap()
    }

    fn res(v: Value) -> Resource {
        Resource::new(v)
    }

    fn service(name: &str, namespace: Option<&str>, port: u16) -> Resource {
        let mut md = json!({"name": name});
        if let Some(ns) = namespace {
            md["namespace"] = json!(ns);
        }
        res(json!({"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": {"ports": [{"port": port}]}}))
    }

    fn deployment(args: Value) -> Resource {
        res(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:1", "args": args}]}}}}))
    }

    fn values(pairs: &[(&str, VarValue)]) -> Values {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    fn builtin_specs() -> Vec<FieldSpec> {
        crate::render::transform::Config::builtin().var_reference
    }

    /// Declares `vars` over `resources` and resolves them with the built-in field specs.
    fn run(resources: &mut [Resource], vars: Value) -> Result<(), String> {
        let vars: Vec<Var> = vars.as_array().unwrap().iter().map(|v| var(v.clone())).collect();
        let mut set = VarSet::default();
        set.declare(resources, &vars)?;
        resolve(resources, &set, &builtin_specs())
    }

    #[test]
    fn entries_read_as_kustomize_reads_them() {
        let v = var(json!({"name": "DB", "objref": {"Kind": "Service", "NAME": "db", "apiVersion": "v1"}}));
        assert_eq!(v.objref.gvk, Gvk::new("v1", "Service"));
        assert_eq!(v.objref.name, "db");
        assert_eq!(v.field_path, "metadata.name");
        let v = var(json!({"name": "X", "objref": {"kind": "Deployment", "name": "d", "group": "apps",
            "version": "v2", "apiVersion": "v1"}, "fieldref": {"fieldpath": "spec.replicas"}}));
        assert_eq!((v.objref.gvk.group.as_str(), v.objref.gvk.version.as_str()), ("apps", "v1"));
        assert_eq!(v.field_path, "spec.replicas");
        let v = var(json!({"name": "X", "objref": {"kind": "Deployment", "name": "d", "apiVersion": "apps/v1"},
            "fieldref": null}));
        assert_eq!(v.objref.gvk, Gvk::new("apps/v1", "Deployment"));
        assert_eq!(v.field_path, "metadata.name");
        assert_eq!(var(Value::Null).name, "");
    }

    #[test]
    fn malformed_entries_are_errors_naming_the_field() {
        let e = Var::from_value(&json!({"name": "X", "objref": {"kind": "S", "bogus": 1}})).unwrap_err();
        assert_eq!(e, "unknown field \"bogus\"");
        let e = Var::from_value(&json!({"name": 5})).unwrap_err();
        assert_eq!(e, "name: must be a string, not a number");
        let e = Var::from_value(&json!({"name": "X", "objref": "svc"})).unwrap_err();
        assert_eq!(e, "objref: must be a mapping, not a string");
        let e = Var::from_value(&json!({"name": "X", "fieldref": {"fieldPath": 1}})).unwrap_err();
        assert_eq!(e, "fieldref.fieldPath: must be a string, not a number");
        let e = Var::from_value(&json!(["X"])).unwrap_err();
        assert_eq!(e, "must be a mapping, not a list");
    }

    #[test]
    fn references_expand_inside_strings_and_keep_their_type_alone() {
        let vals = values(&[
            ("HOST", VarValue::Text("db".into())),
            ("PORT", VarValue::Int(5432)),
            ("ON", VarValue::Bool(true)),
            ("RATE", VarValue::Float(0.25)),
            ("MAP", VarValue::Structured),
        ]);
        let ex = |s: &str| expand(s, &vals, false);
        assert_eq!(ex("$(PORT)"), json!(5432));
        assert_eq!(ex("$(ON)"), json!(true));
        assert_eq!(ex("$(RATE)"), json!(0.25));
        assert_eq!(ex("$(HOST)"), json!("db"));
        assert_eq!(ex("postgres://$(HOST):$(PORT)/app?tls=$(ON)"), json!("postgres://db:5432/app?tls=true"));
        assert_eq!(ex("$(MAP)"), json!("$(MAP)"));
        assert_eq!(ex("x=$(MAP)"), json!("x=$(MAP)"));
        assert_eq!(ex("$(NOPE) and $(HOST)"), json!("$(NOPE) and db"));
        assert_eq!(expand("$(PORT)", &vals, true), json!("5432"));
        assert_eq!(expand("$(RATE)", &vals, true), json!("0.25"));
    }

    #[test]
    fn dollar_signs_follow_kustomizes_escaping() {
        let vals = values(&[("HOST", VarValue::Text("db".into()))]);
        let ex = |s: &str| expand(s, &vals, false);
        assert_eq!(ex("$$(HOST)"), json!("$(HOST)"));
        assert_eq!(ex("$$$(HOST)"), json!("$db"));
        assert_eq!(ex("$HOME $x $"), json!("$HOME $x $"));
        assert_eq!(ex("$(HOST"), json!("$(HOST"));
        assert_eq!(ex("$($(HOST)"), json!("$($(HOST)"));
        assert_eq!(ex("$()"), json!("$()"));
        assert_eq!(ex("héllo $(HOST) ü"), json!("héllo db ü"));
    }

    #[test]
    fn floats_inside_strings_print_as_go_prints_them() {
        assert_eq!(go_float_v(1.5), "1.5");
        assert_eq!(go_float_v(123456.0), "123456");
        assert_eq!(go_float_v(1e8), "1e+08");
        assert_eq!(go_float_v(1234567.5), "1.2345675e+06");
        assert_eq!(go_float_v(0.0001), "0.0001");
        assert_eq!(go_float_v(0.00001), "1e-05");
        assert_eq!(go_float_v(-2.5e-7), "-2.5e-07");
        assert_eq!(go_float_v(1e21), "1e+21");
    }

    #[test]
    fn field_paths_split_like_kustomize() {
        assert_eq!(path_parts("spec.ports[0].port"), ["spec", "ports", "0", "port"]);
        assert_eq!(path_parts("spec.containers.[name=a.b].image"), ["spec", "containers", "[name=a.b]", "image"]);
        assert_eq!(path_parts("metadata.annotations.[a.io/b]"), ["metadata", "annotations", "a.io/b"]);
        assert_eq!(path_parts(r"metadata.labels.a\.io/b"), ["metadata", "labels", "a.io/b"]);
        assert_eq!(path_parts(".spec. replicas "), ["spec", "replicas"]);
        assert_eq!(path_parts("items[0][1]"), ["items[0]", "1"]);
    }

    #[test]
    fn lookups_reach_list_items_by_index_field_and_value() {
        let obj = json!({"spec": {"containers": [
            {"name": "app", "image": "app:1", "args": ["-v", "--serve"], "ports": [{"containerPort": 80}]},
            {"name": "proxy", "image": "envoy:1"}]}});
        let at = |p: &str| lookup(&obj, p).cloned();
        assert_eq!(at("spec.containers[1].image"), Some(json!("envoy:1")));
        assert_eq!(at("spec.containers.[name=proxy].image"), Some(json!("envoy:1")));
        assert_eq!(at("spec.containers.0.args.-"), Some(json!("--serve")));
        assert_eq!(at("spec.containers.0.args.[=-v]"), Some(json!("-v")));
        assert_eq!(at("spec.containers.0.ports.[containerPort=80].containerPort"), Some(json!(80)));
        assert_eq!(at("spec.containers[2].image"), None);
        assert_eq!(at("spec.containers.-1.image"), None);
        assert_eq!(at("spec.containers.*.image"), None);
        assert_eq!(at("spec.containers.name"), None);
        assert_eq!(at("spec.containers[0].image.tag"), None);
        assert_eq!(at("spec.containers.[name].image"), None);
    }

    #[test]
    fn values_come_from_the_final_objects_and_land_in_var_reference_fields() {
        let mut rs = vec![
            service("db", None, 5432),
            deployment(json!(["$(DB_HOST)", "$(DB_PORT)", "--url=pg://$(DB_HOST):$(DB_PORT)", "$(OTHER)"])),
        ];
        let vars: Vec<Var> = [
            json!({"name": "DB_HOST", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"}}),
            json!({"name": "DB_PORT", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"},
                "fieldref": {"fieldPath": "spec.ports[0].port"}}),
        ]
        .into_iter()
        .map(var)
        .collect();
        let mut set = VarSet::default();
        set.declare(&mut rs, &vars).unwrap();
        // Renamed after the declaration (a prefix in an overlay, a hash): the value follows.
        rs[0].remember_id();
        rs[0].set_name("prod-db");
        resolve(&mut rs, &set, &builtin_specs()).unwrap();
        assert_eq!(
            rs[1].obj.pointer("/spec/template/spec/containers/0/args").unwrap(),
            &json!(["prod-db", 5432, "--url=pg://prod-db:5432", "$(OTHER)"])
        );
    }

    #[test]
    fn objrefs_match_earlier_names_and_exact_kinds() {
        let mut rs = vec![service("db", None, 5432), deployment(json!(["$(DB)"]))];
        rs[0].remember_id();
        rs[0].set_name("p-db");
        run(&mut rs, json!([{"name": "DB", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"}}])).unwrap();
        assert_eq!(rs[1].obj.pointer("/spec/template/spec/containers/0/args/0").unwrap(), "p-db");

        let mut rs = vec![service("db", None, 5432), deployment(json!(["$(DB)"]))];
        let e = run(&mut rs, json!([{"name": "DB", "objref": {"kind": "Service", "name": "db"}}])).unwrap_err();
        assert_eq!(
            e,
            "var 'DB' (objref Service [noVer] \"db\", fieldPath metadata.name) cannot be mapped to a field \
             in the set of known resources"
        );
    }

    #[test]
    fn namespaces_disambiguate_and_ambiguity_is_an_error() {
        let three = || vec![service("m", Some("a"), 1), service("m", Some("b"), 2), service("m", None, 3)];
        let mut rs = three();
        let e = run(&mut rs, json!([{"name": "M", "objref": {"kind": "Service", "name": "m", "apiVersion": "v1"}}]))
            .unwrap_err();
        assert!(e.starts_with("found 3 resId matches for var 'M'"), "{e}");
        for (ns, port) in [("b", 2), ("default", 3)] {
            let mut rs = three();
            rs.push(deployment(json!(["$(M)"])));
            run(
                &mut rs,
                json!([{"name": "M", "objref": {"kind": "Service", "name": "m", "namespace": ns, "apiVersion": "v1"},
                    "fieldref": {"fieldPath": "spec.ports[0].port"}}]),
            )
            .unwrap();
            assert_eq!(rs[3].obj.pointer("/spec/template/spec/containers/0/args/0").unwrap(), &json!(port));
        }
    }

    #[test]
    fn a_name_may_be_declared_once() {
        let mut rs = vec![service("db", None, 1)];
        let db = var(json!({"name": "DB", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"}}));
        let mut base = VarSet::default();
        base.declare(&mut rs, std::slice::from_ref(&db)).unwrap();
        let mut other = VarSet::default();
        other.declare(&mut rs, std::slice::from_ref(&db)).unwrap();
        assert_eq!(base.merge(other).unwrap_err(), "var 'DB' already encountered");
        let mut set = VarSet::default();
        assert_eq!(set.declare(&mut rs, &[db.clone(), db]).unwrap_err(), "var 'DB' already encountered");
    }

    #[test]
    fn a_missing_field_is_an_error() {
        let mut rs = vec![service("db", None, 1)];
        let e = run(
            &mut rs,
            json!([{"name": "P", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"},
                "fieldref": {"fieldPath": "spec.ports[1].port"}}]),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "field specified in var 'P' (objref Service v1 \"db\", fieldPath spec.ports[1].port) not found in \
             corresponding resource Service.v1.[noGrp]/db.[noNs]"
        );
    }

    #[test]
    fn lists_at_var_reference_fields_must_hold_strings_once_vars_exist() {
        let declared = json!([{"name": "DB", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"}}]);
        let mut rs = vec![service("db", None, 1), deployment(json!(["--retries", 3]))];
        let e = run(&mut rs, declared).unwrap_err();
        assert!(e.ends_with("invalid value type expect a string"), "{e}");
        assert!(e.contains("spec/template/spec/containers/args"), "{e}");
        let mut rs = vec![deployment(json!(["--retries", 3, "$$(X)"]))];
        run(&mut rs, json!([])).unwrap();
        assert_eq!(rs[0].obj.pointer("/spec/template/spec/containers/0/args/2").unwrap(), "$$(X)");
    }

    #[test]
    fn annotations_get_strings_and_other_maps_keep_types() {
        let mut rs = vec![
            service("db", None, 5432),
            res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
                "annotations": {"port": "$(P)", "n": 7}, "labels": {"port": "$(P)"}}})),
        ];
        run(
            &mut rs,
            json!([{"name": "P", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"},
                "fieldref": {"fieldPath": "spec.ports.0.port"}}]),
        )
        .unwrap();
        assert_eq!(rs[1].obj["metadata"]["annotations"], json!({"port": "5432", "n": 7}));
        assert_eq!(rs[1].obj["metadata"]["labels"], json!({"port": 5432}));
    }
}
