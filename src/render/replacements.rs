//! Replacements (`replacements:` in a kustomization): copy a value from one
//! field of one object (the source) into fields of other objects (the
//! targets), as `kustomize build` does.
//!
//! Field paths are dot-separated (`spec.template.spec.containers.[name=web].image`):
//! a part is a map key (`a\.b` or `[a.b]` when the key holds dots), a list
//! index (`0`), a list element chosen by one of its fields (`[name=web]`; in
//! targets the value is a regular expression, unanchored, so `[name=web]`
//! also picks `web-sidecar`), a list item chosen by its own value (`[=--v]`),
//! every element (`*`, targets only) or the last one (`-`, sources only).
//!
//! A scalar target keeps its type: a number stays a number, a string stays a
//! string (`5` written into a string field becomes `"5"`); a value that does
//! not fit (`hello` into a number) is an error. Maps and lists replace the
//! target whole. Renaming an object by a replacement does not record its old
//! name, so name references are not updated for it (kustomize neither).

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

use super::resource::{Gvk, Resource};
use crate::schema::selector::LabelSelector;

/// Applies `replacements` (each of kustomize's Replacement shape, already
/// loaded from its `path:` file if it had one) to `resources`, in order.
pub fn replacements(resources: &mut [Resource], replacements: &[Value]) -> Result<(), String> {
    let parsed = replacements
        .iter()
        .enumerate()
        .map(|(i, r)| Replacement::parse(r).map_err(|e| format!("replacements[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    for r in &parsed {
        let value = r.source.value(resources)?;
        for target in &r.targets {
            target.apply(resources, &value)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The replacement, parsed
// ---------------------------------------------------------------------------

/// The value used when a replacement names no field path.
const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// One replacement: where the value comes from and where it goes.
#[derive(Debug)]
struct Replacement {
    source: Source,
    targets: Vec<Target>,
}

/// The object and field a value is read from.
#[derive(Debug)]
struct Source {
    id: IdSelector,
    field_path: String,
    options: Options,
}

/// The objects and fields a value is written to.
#[derive(Debug)]
struct Target {
    select: Selector,
    reject: Vec<Selector>,
    field_paths: Vec<String>,
    options: Options,
}

/// `options`: split the value at `delimiter` and use (or replace) the part at `index`; `create` missing fields.
#[derive(Debug, Default)]
struct Options {
    delimiter: String,
    index: i64,
    create: bool,
}

/// Objects chosen by id (empty parts match anything) and by label and annotation selectors.
#[derive(Debug, Default)]
struct Selector {
    id: IdSelector,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

/// Group, version, kind, name and namespace; empty parts match anything.
#[derive(Debug, Default, Clone)]
struct IdSelector {
    gvk: Gvk,
    name: String,
    namespace: String,
}

type Fields<'a> = &'a Map<String, Value>;

fn mapping<'a>(v: &'a Value, what: &str) -> Result<Fields<'a>, String> {
    v.as_object().ok_or_else(|| format!("{what} must be a mapping"))
}

fn string_field(m: Fields, key: &str) -> Result<String, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("{key}: must be a string, not {other}")),
    }
}

fn check_keys(m: Fields, known: &[&str], what: &str) -> Result<(), String> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!("{what}: unknown field {k:?}")),
        None => Ok(()),
    }
}

const ID_KEYS: [&str; 5] = ["group", "version", "kind", "name", "namespace"];

impl Replacement {
    fn parse(v: &Value) -> Result<Replacement, String> {
        let m = mapping(v, "a replacement")?;
        if m.contains_key("path") {
            return Err("path: the replacement file must be loaded before replacements run".into());
        }
        check_keys(m, &["source", "targets"], "replacement")?;
        let source = m.get("source").filter(|s| !s.is_null());
        let targets = match m.get("targets") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(t)) => t.as_slice(),
            Some(_) => return Err("targets: must be a list".into()),
        };
        let (Some(source), false) = (source, targets.is_empty()) else {
            return Err("replacements must specify a source and at least one target".into());
        };
        Ok(Replacement {
            source: Source::parse(source).map_err(|e| format!("source: {e}"))?,
            targets: targets
                .iter()
                .enumerate()
                .map(|(i, t)| Target::parse(t).map_err(|e| format!("targets[{i}]: {e}")))
                .collect::<Result<_, _>>()?,
        })
    }
}

impl IdSelector {
    fn parse(m: Fields) -> Result<IdSelector, String> {
        Ok(IdSelector {
            gvk: Gvk {
                group: string_field(m, "group")?,
                version: string_field(m, "version")?,
                kind: string_field(m, "kind")?,
            },
            name: string_field(m, "name")?,
            namespace: string_field(m, "namespace")?,
        })
    }

    fn is_empty(&self) -> bool {
        self.gvk == Gvk::default() && self.name.is_empty() && self.namespace.is_empty()
    }

    /// Whether an id an object has or had is selected: `gvk` is its (group,
    /// version, kind); `previous_of` holds the kind of an old id (kustomize
    /// keeps cluster-scoped objects' old namespaces as "not namespaced",
    /// their current ones as `default`).
    fn selects(&self, gvk: (&str, &str, &str), name: &str, namespace: &str, previous_of: Option<&Gvk>) -> bool {
        let want = &self.gvk;
        let (group, version, kind) = gvk;
        if (!self.name.is_empty() && self.name != name)
            || (!want.group.is_empty() && want.group != group)
            || (!want.version.is_empty() && want.version != version)
            || (!want.kind.is_empty() && want.kind != kind)
        {
            return false;
        }
        if self.namespace.is_empty() {
            return true;
        }
        let theirs = match previous_of {
            Some(g) if g.is_cluster_scoped() => NOT_NAMESPACED,
            _ if namespace.is_empty() => "default",
            _ => namespace,
        };
        self.namespace == theirs
    }

    /// Whether any id `res` has or had is selected.
    fn selects_resource(&self, res: &Resource) -> bool {
        let text = |key: &str| res.obj.get(key).and_then(Value::as_str).unwrap_or("");
        let api_version = text("apiVersion");
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.selects((group, version, text("kind")), res.name(), res.namespace(), None)
            || res.prev_ids.iter().any(|p| {
                let g = &p.gvk;
                self.selects((&g.group, &g.version, &g.kind), &p.name, &p.namespace, Some(g))
            })
    }
}

const NOT_NAMESPACED: &str = "_non_namespaceable_";

impl std::fmt::Display for IdSelector {
    /// kustomize's form: `Kind.version.group/name.namespace` with `[noKind]`-style placeholders.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let or = |s: &'_ str, d: &'static str| if s.is_empty() { d.to_string() } else { s.to_string() };
        write!(
            f,
            "{}.{}.{}/{}.{}",
            or(&self.gvk.kind, "[noKind]"),
            or(&self.gvk.version, "[noVer]"),
            or(&self.gvk.group, "[noGrp]"),
            or(&self.name, "[noName]"),
            or(&self.namespace, "[noNs]")
        )
    }
}

impl Selector {
    fn parse(v: &Value) -> Result<Selector, String> {
        let m = mapping(v, "a selector")?;
        let mut known = ID_KEYS.to_vec();
        known.extend(["labelSelector", "annotationSelector"]);
        check_keys(m, &known, "selector")?;
        let parse = |key: &str| -> Result<Option<LabelSelector>, String> {
            let text = string_field(m, key)?;
            if text.is_empty() {
                return Ok(None);
            }
            LabelSelector::parse(&text).map(Some).map_err(|e| format!("{key}: {e}"))
        };
        Ok(Selector {
            id: IdSelector::parse(m)?,
            labels: parse("labelSelector")?,
            annotations: parse("annotationSelector")?,
        })
    }

    fn has_metadata_selectors(&self) -> bool {
        self.labels.is_some() || self.annotations.is_some()
    }

    /// Whether the object's labels and annotations match (no selector matches everything).
    fn matches_metadata(&self, res: &Resource) -> bool {
        let meta = |field: &str| res.obj.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_object);
        self.labels.as_ref().is_none_or(|s| s.matches(meta("labels")))
            && self.annotations.as_ref().is_none_or(|s| s.matches(meta("annotations")))
    }
}

impl Options {
    fn parse(v: Option<&Value>) -> Result<Options, String> {
        let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Options::default()) };
        let m = mapping(v, "options")?;
        check_keys(m, &["delimiter", "index", "create", "encoding"], "options")?;
        let index = match m.get("index") {
            None | Some(Value::Null) => 0,
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| format!("options.index: {n} is not an integer"))?,
            Some(other) => return Err(format!("options.index: must be an integer, not {other}")),
        };
        let create = match m.get("create") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(format!("options.create: must be true or false, not {other}")),
        };
        Ok(Options { delimiter: string_field(m, "delimiter")?, index, create })
    }

    /// kustomize's short form, for messages.
    fn describe(&self) -> String {
        if self.delimiter.is_empty() && !self.create {
            return String::new();
        }
        format!("{}({}), create={}", self.delimiter, self.index, self.create)
    }
}

impl Source {
    fn parse(v: &Value) -> Result<Source, String> {
        let m = mapping(v, "the source")?;
        let mut known = ID_KEYS.to_vec();
        known.extend(["fieldPath", "options"]);
        check_keys(m, &known, "source")?;
        Ok(Source {
            id: IdSelector::parse(m)?,
            field_path: string_field(m, "fieldPath")?,
            options: Options::parse(m.get("options"))?,
        })
    }

    /// kustomize's form of the source selector, for messages.
    fn describe(&self) -> String {
        let mut s = self.id.to_string();
        if !self.field_path.is_empty() {
            s.push(':');
            s.push_str(&self.field_path);
        }
        let opts = self.options.describe();
        if !opts.is_empty() {
            s.push(':');
            s.push_str(&opts);
        }
        s
    }

    /// The one object the source selects.
    fn object<'r>(&self, resources: &'r [Resource]) -> Result<&'r Resource, String> {
        let mut found = None;
        for res in resources.iter().filter(|r| self.id.selects_resource(r)) {
            if found.is_some() {
                return Err(format!("multiple matches for selector {}", self.describe()));
            }
            found = Some(res);
        }
        found.ok_or_else(|| format!("nothing selected by {}", self.describe()))
    }

    /// The value to write: the source field, or one part of it when a delimiter is given.
    fn value(&self, resources: &[Resource]) -> Result<Value, String> {
        let res = self.object(resources)?;
        let field_path = if self.field_path.is_empty() { DEFAULT_FIELD_PATH } else { &self.field_path };
        let found = lookup(&res.obj, &split_path(field_path))
            .map_err(|e| format!("error looking up replacement source: {e}"))?;
        let Some(value) = found.filter(|v| !is_empty(v)) else {
            return Err(format!("fieldPath `{field_path}` is missing for replacement source {}", self.id));
        };
        if self.options.delimiter.is_empty() {
            return Ok(value.clone());
        }
        let Some(text) = scalar_text(value) else {
            return Err("delimiter option can only be used with scalar nodes".into());
        };
        let parts: Vec<&str> = text.split(self.options.delimiter.as_str()).collect();
        let part = usize::try_from(self.options.index)
            .ok()
            .and_then(|i| parts.get(i))
            .ok_or_else(|| format!("options.index {} is out of bounds for value {text}", self.options.index))?;
        let mut refined = value.clone();
        assign_text(&mut refined, false, part)?;
        Ok(refined)
    }
}

impl Target {
    fn parse(v: &Value) -> Result<Target, String> {
        let m = mapping(v, "a target")?;
        check_keys(m, &["select", "reject", "fieldPaths", "options"], "target")?;
        let select = match m.get("select") {
            None | Some(Value::Null) => return Err("target must specify resources to select".into()),
            Some(s) => Selector::parse(s).map_err(|e| format!("select: {e}"))?,
        };
        let reject = match m.get("reject") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, r)| Selector::parse(r).map_err(|e| format!("reject[{i}]: {e}")))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("reject: must be a list".into()),
        };
        let mut field_paths = match m.get("fieldPaths") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|p| p.as_str().map(str::to_string).ok_or_else(|| format!("fieldPaths: {p} is not a string")))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("fieldPaths: must be a list".into()),
        };
        if field_paths.is_empty() {
            field_paths.push(DEFAULT_FIELD_PATH.to_string());
        }
        Ok(Target { select, reject, field_paths, options: Options::parse(m.get("options"))? })
    }

    /// Whether the target takes `res`: selected, and not rejected by metadata or by id.
    fn takes(&self, res: &Resource) -> bool {
        if !self.select.matches_metadata(res) {
            return false;
        }
        if self.reject.iter().any(|r| r.has_metadata_selectors() && r.matches_metadata(res)) {
            return false;
        }
        self.select.id.selects_resource(res)
            && !self.reject.iter().any(|r| !r.id.is_empty() && r.id.selects_resource(res))
    }

    fn apply(&self, resources: &mut [Resource], value: &Value) -> Result<(), String> {
        let create = self.options.create.then(|| NodeKind::of(value));
        let matcher = Matcher { create, patterns: RefCell::new(HashMap::new()) };
        let paths: Vec<(&String, Vec<String>)> = self.field_paths.iter().map(|fp| (fp, split_path(fp))).collect();
        for res in resources.iter_mut().filter(|r| self.takes(r)) {
            for (fp, path) in &paths {
                let not_found = || {
                    let verb = if create.is_some() { "find or create" } else { "find" };
                    format!("unable to {verb} field {fp:?} in replacement target")
                };
                let mut places = Vec::new();
                matcher
                    .find(&mut res.obj, path, &mut Vec::new(), false, &mut places)
                    .map_err(|e| format!("{}: {e}", not_found()))?;
                if places.is_empty() {
                    return Err(not_found());
                }
                for place in places {
                    let Some(field) = at_mut(&mut res.obj, &place.steps) else { continue };
                    set_field(field, place.created, value, &self.options)
                        .map_err(|e| format!("replacing field {fp:?} of {}: {e}", res.id()))?;
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Field paths
// ---------------------------------------------------------------------------

/// Splits a field path at dots: `\.` escapes a dot, and a bracketed part
/// keeps its dots (`[a.b/c]` is the key `a.b/c`; `[name=a.b]` stays a list selector).
fn split_path(path: &str) -> Vec<String> {
    let mut raw: Vec<&str> = path.split('.').collect();
    if raw.len() > 1 && raw[0].is_empty() {
        raw.remove(0);
    }
    let mut parts: Vec<String> = Vec::new();
    for piece in raw {
        match parts.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => parts.push(piece.to_string()),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let part = &parts[i];
        if part.starts_with('[') && !part.ends_with(']') {
            let mut joined = part.clone();
            while i + 1 < parts.len() {
                i += 1;
                joined.push('.');
                joined.push_str(&parts[i]);
                if parts[i].ends_with(']') {
                    break;
                }
            }
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(part.clone());
        }
        i += 1;
    }
    out
}

/// `[name=value]` → (`name`, `value`); `[=value]` has an empty name.
fn list_selector(part: &str) -> Option<Result<(&str, &str), String>> {
    let inner = part.strip_prefix('[')?.strip_suffix(']')?;
    Some(
        inner
            .split_once('=')
            .ok_or_else(|| "list path element must contain fieldName=fieldValue for element to match".to_string()),
    )
}

/// A non-negative list index (`0`, `+1`).
fn list_index(part: &str) -> Option<usize> {
    part.parse::<i64>().ok().and_then(|i| usize::try_from(i).ok())
}

/// YAML's name for the kind of node a value is, for messages.
fn node_kind_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "MappingNode",
        Value::Array(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

fn wrong_kind(expected: &str, v: &Value) -> String {
    format!("wrong node kind: expected {expected} but got {}: node contents:\n{}", node_kind_name(v), contents(v))
}

fn contents(v: &Value) -> String {
    scalar_text(v).unwrap_or_else(|| v.to_string())
}

/// Reads the value at `path` in a source object; `None` when a part is missing.
fn lookup<'v>(node: &'v Value, path: &[String]) -> Result<Option<&'v Value>, String> {
    let mut here = node;
    for part in path.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let next = if let Ok(i) = part.parse::<i64>() {
            if i < 0 {
                return Err(format!("array index {i} cannot be negative"));
            }
            elements(here)?.get(usize::try_from(i).unwrap_or(usize::MAX))
        } else if part == "-" {
            elements(here)?.last()
        } else if part == "*" {
            return Err("wildcard is not supported in PathGetter".into());
        } else if let Some(sel) = list_selector(part) {
            let (key, want) = sel?;
            let items = elements(here)?;
            if key.is_empty() {
                items.iter().find(|e| scalar_text(e).unwrap_or_default() == want)
            } else {
                items
                    .iter()
                    .find(|e| e.get(key).is_some_and(|f| scalar_text(f).unwrap_or_default() == want) && e.is_object())
            }
        } else {
            match here {
                Value::Null => None,
                Value::Object(m) => m.get(part),
                other => return Err(wrong_kind("MappingNode", other)),
            }
        };
        match next {
            Some(v) => here = v,
            None => return Ok(None),
        }
    }
    Ok(Some(here))
}

/// A list's elements (none for null).
fn elements(v: &Value) -> Result<&[Value], String> {
    match v {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        other => Err(wrong_kind("SequenceNode", other)),
    }
}

/// Empty sources are errors: null, `{}` and `[]`.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// One step from a node to a child.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// A target field found (or created) by a path.
#[derive(Debug)]
struct Place {
    steps: Vec<Step>,
    /// The field was created just now: it takes the type its new text reads as.
    created: bool,
}

/// The kind of node to create for a missing field.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NodeKind {
    Scalar,
    Map,
    List,
}

impl NodeKind {
    fn of(v: &Value) -> NodeKind {
        match v {
            Value::Object(_) => NodeKind::Map,
            Value::Array(_) => NodeKind::List,
            _ => NodeKind::Scalar,
        }
    }

    /// The kind of node a missing part must be, given the part after it.
    fn for_part(next: Option<&String>, leaf: NodeKind) -> NodeKind {
        match next {
            None => leaf,
            Some(p) if list_index(p).is_some() || (p.starts_with('[') && p.ends_with(']')) => NodeKind::List,
            Some(_) => NodeKind::Map,
        }
    }

    fn empty(self) -> Value {
        match self {
            NodeKind::Scalar => Value::Null,
            NodeKind::Map => Value::Object(Map::new()),
            NodeKind::List => Value::Array(Vec::new()),
        }
    }
}

/// Finds target fields, creating missing ones when `create` says what the leaf is.
struct Matcher {
    create: Option<NodeKind>,
    /// Compiled `[key=pattern]` patterns.
    patterns: RefCell<HashMap<String, Regex>>,
}

impl Matcher {
    fn find(
        &self,
        node: &mut Value,
        path: &[String],
        at: &mut Vec<Step>,
        created: bool,
        out: &mut Vec<Place>,
    ) -> Result<(), String> {
        let Some((part, rest)) = path.split_first() else {
            out.push(Place { steps: at.clone(), created });
            return Ok(());
        };
        if let Some(i) = list_index(part) {
            return self.index(node, i, rest, at, out);
        }
        if let Some(sel) = list_selector(part) {
            let (key, pattern) = sel?;
            let re = self.pattern(pattern)?;
            return self.matching(node, key, pattern, &re, rest, at, out);
        }
        if part == "*" {
            let Value::Array(items) = self.as_list(node, false)? else { return Ok(()) };
            for (i, item) in items.iter_mut().enumerate() {
                at.push(Step::Index(i));
                self.find(item, rest, at, false, out)?;
                at.pop();
            }
            return Ok(());
        }
        self.field(node, part, rest, at, out)
    }

    fn pattern(&self, pattern: &str) -> Result<Regex, String> {
        if let Some(re) = self.patterns.borrow().get(pattern) {
            return Ok(re.clone());
        }
        let re = Regex::new(pattern).map_err(|e| format!("error parsing regexp: {e}"))?;
        self.patterns.borrow_mut().insert(pattern.to_string(), re.clone());
        Ok(re)
    }

    /// A list, or null turned into an empty list when fields may be created.
    fn as_list<'v>(&self, node: &'v mut Value, grow: bool) -> Result<&'v mut Value, String> {
        match node {
            Value::Array(_) => Ok(node),
            Value::Null if grow && self.create.is_some() => {
                *node = Value::Array(Vec::new());
                Ok(node)
            }
            Value::Null => Ok(node),
            other => Err(wrong_kind("SequenceNode", other)),
        }
    }

    fn index(
        &self,
        node: &mut Value,
        i: usize,
        rest: &[String],
        at: &mut Vec<Step>,
        out: &mut Vec<Place>,
    ) -> Result<(), String> {
        let node = self.as_list(node, i == 0)?;
        let len = node.as_array().map_or(0, Vec::len);
        let mut created = false;
        if let (Some(leaf), Value::Array(items)) = (self.create, &mut *node)
            && len == i
        {
            items.push(NodeKind::for_part(rest.first(), leaf).empty());
            created = true;
        }
        let Some(item) = node.as_array_mut().and_then(|items| items.get_mut(i)) else {
            return Err(format!("index {i} specified but only {len} elements found"));
        };
        at.push(Step::Index(i));
        let r = self.find(item, rest, at, created, out);
        at.pop();
        r
    }

    /// `[key=pattern]`: elements whose `key` matches the pattern (`[=pattern]`: whose value does).
    #[allow(clippy::too_many_arguments)]
    fn matching(
        &self,
        node: &mut Value,
        key: &str,
        pattern: &str,
        re: &Regex,
        rest: &[String],
        at: &mut Vec<Step>,
        out: &mut Vec<Place>,
    ) -> Result<(), String> {
        let node = self.as_list(node, true)?;
        let before = out.len();
        self.visit_matching(node, key, re, rest, at, out, false)?;
        if out.len() > before || self.create.is_none() {
            return Ok(());
        }
        let Value::Array(items) = node else { return Ok(()) };
        let value = resolve_plain(pattern).1;
        items.push(if key.is_empty() { value } else { Value::Object(Map::from_iter([(key.to_string(), value)])) });
        self.visit_matching(node, key, re, rest, at, out, key.is_empty())
    }

    #[allow(clippy::too_many_arguments)]
    fn visit_matching(
        &self,
        node: &mut Value,
        key: &str,
        re: &Regex,
        rest: &[String],
        at: &mut Vec<Step>,
        out: &mut Vec<Place>,
        created: bool,
    ) -> Result<(), String> {
        let Value::Array(items) = node else { return Ok(()) };
        for (i, item) in items.iter_mut().enumerate() {
            at.push(Step::Index(i));
            if key.is_empty() {
                // A list item chosen by its own value is the target; the rest of the path is not followed.
                if re.is_match(element_text(item).trim()) {
                    out.push(Place { steps: at.clone(), created });
                }
            } else if let Some(field) = item.as_object().and_then(|m| m.get(key))
                && re.is_match(element_text(field).trim())
            {
                self.find(item, rest, at, false, out)?;
            }
            at.pop();
        }
        Ok(())
    }

    fn field(
        &self,
        node: &mut Value,
        name: &str,
        rest: &[String],
        at: &mut Vec<Step>,
        out: &mut Vec<Place>,
    ) -> Result<(), String> {
        if node.is_null() {
            if self.create.is_none() {
                return Ok(());
            }
            *node = Value::Object(Map::new());
        }
        let Value::Object(m) = node else { return Err(wrong_kind("MappingNode", node)) };
        let mut created = false;
        if !m.contains_key(name) {
            let Some(leaf) = self.create else { return Ok(()) };
            m.insert(name.to_string(), NodeKind::for_part(rest.first(), leaf).empty());
            created = true;
        }
        let Some(child) = m.get_mut(name) else { return Ok(()) };
        at.push(Step::Key(name.to_string()));
        let r = self.find(child, rest, at, created, out);
        at.pop();
        r
    }
}

fn at_mut<'v>(mut node: &'v mut Value, steps: &[Step]) -> Option<&'v mut Value> {
    for step in steps {
        node = match step {
            Step::Key(k) => node.as_object_mut()?.get_mut(k)?,
            Step::Index(i) => node.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(node)
}

/// The text a list element or field shows when matched against a pattern.
fn element_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        other => contents(other),
    }
}

// ---------------------------------------------------------------------------
// Writing values
// ---------------------------------------------------------------------------

/// A scalar's text (`None` for maps and lists).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".into()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Writes `value` into a target field: scalars keep their type and take the
/// new text; maps and lists are replaced whole. With a delimiter, only the
/// part at `index` of the target's text is replaced (a negative index
/// prepends, one past the end appends).
fn set_field(target: &mut Value, created: bool, value: &Value, options: &Options) -> Result<(), String> {
    let target_is_scalar = !(target.is_object() || target.is_array());
    let created = created && target_is_scalar;
    if !options.delimiter.is_empty() {
        if !target_is_scalar {
            return Err("delimiter option can only be used with scalar nodes".into());
        }
        // A field created just now has no text yet.
        let current = if created && target.is_null() { String::new() } else { scalar_text(target).unwrap_or_default() };
        let mut parts: Vec<String> = current.split(options.delimiter.as_str()).map(str::to_string).collect();
        let new = scalar_text(value).unwrap_or_default();
        match usize::try_from(options.index) {
            Err(_) => parts.insert(0, new),
            Ok(i) if i >= parts.len() => parts.push(new),
            Ok(i) => parts[i] = new,
        }
        return assign_text(target, created, &parts.join(&options.delimiter));
    }
    if target_is_scalar {
        // A map or list written into a scalar leaves it empty, as in kustomize.
        let text = if value_is_scalar(value) { scalar_text(value).unwrap_or_default() } else { String::new() };
        return assign_text(target, created, &text);
    }
    *target = value.clone();
    Ok(())
}

fn value_is_scalar(v: &Value) -> bool {
    !(v.is_object() || v.is_array())
}

/// The YAML tags a plain scalar can read as.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

impl Tag {
    fn of(v: &Value) -> Tag {
        match v {
            Value::Null => Tag::Null,
            Value::Bool(_) => Tag::Bool,
            Value::Number(n) if n.is_f64() => Tag::Float,
            Value::Number(_) => Tag::Int,
            _ => Tag::Str,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Tag::Null => "!!null",
            Tag::Bool => "!!bool",
            Tag::Int => "!!int",
            Tag::Float => "!!float",
            Tag::Str => "!!str",
        }
    }
}

/// Gives a scalar field new text, keeping its type; a field created just now
/// takes the type the text reads as in YAML (`42` a number, `true` a boolean).
fn assign_text(target: &mut Value, created: bool, text: &str) -> Result<(), String> {
    if created {
        *target = resolve_created(text);
        return Ok(());
    }
    let want = Tag::of(target);
    if want == Tag::Str {
        *target = Value::String(text.to_string());
        return Ok(());
    }
    let (got, value) = resolve_plain(text);
    *target = match (want, got) {
        (w, g) if w == g => value,
        (Tag::Float, Tag::Int) => value.as_f64().and_then(serde_json::Number::from_f64).map_or(value, Value::Number),
        _ => return Err(format!("cannot decode {} `{text}` as a {}", got.name(), want.name())),
    };
    Ok(())
}

/// A created field's value: its text read as a plain YAML scalar, dates
/// and times included (`2001-01-01` reads as `2001-01-01T00:00:00Z`).
fn resolve_created(text: &str) -> Value {
    let (tag, value) = resolve_plain(text);
    let b = text.as_bytes();
    let date_like = b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    let plain = !(text.contains(": ") || text.contains(" #") || text.contains('\n'));
    if tag == Tag::Str
        && date_like
        && plain
        && let Ok(docs) = super::yaml::parse_documents(text)
        && let [Value::String(stamp)] = docs.as_slice()
    {
        return Value::String(stamp.clone());
    }
    value
}

/// What a plain (unquoted) YAML scalar reads as: null, a boolean, an integer
/// (decimal, `0x`, `0o`, `0b`, or a leading-zero octal) or a float; else a string.
fn resolve_plain(text: &str) -> (Tag, Value) {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return (Tag::Null, Value::Null),
        "true" | "True" | "TRUE" => return (Tag::Bool, Value::Bool(true)),
        "false" | "False" | "FALSE" => return (Tag::Bool, Value::Bool(false)),
        _ => {}
    }
    if text.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-' || c == '.') {
        let plain = text.replace('_', "");
        if let Some(v) = parse_int(&plain) {
            return (Tag::Int, v);
        }
        if is_float_text(&plain)
            && let Some(n) = plain.parse::<f64>().ok().and_then(serde_json::Number::from_f64)
        {
            return (Tag::Float, Value::Number(n));
        }
    }
    (Tag::Str, Value::String(text.to_string()))
}

/// An integer as Go's `ParseInt(s, 0, 64)` (then `ParseUint`) reads it.
fn parse_int(s: &str) -> Option<Value> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(b) = lower.strip_prefix("0x") {
        (16, b)
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if negative {
        let v = i64::try_from(magnitude).ok().map(|m| -m).or((magnitude == 1 << 63).then_some(i64::MIN))?;
        Some(Value::from(v))
    } else {
        Some(Value::from(magnitude))
    }
}

/// YAML's float syntax: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float_text(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests;
