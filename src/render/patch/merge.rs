//! The strategic merge kustomize performs: kyaml's `merge2` walker, which
//! differs from the API server's strategic merge patch (`crate::schema::smp`)
//! in ways that change what `kustomize build` prints.
//!
//! The patch ("origin") and the target ("dest") are walked together, field by
//! field in sorted order:
//! - Objects merge key by key. A `null` in the patch deletes the key;
//!   `$patch: delete` deletes the object, `$patch: replace` puts the patch's
//!   object in its place (but see below for list items and whole documents).
//!   A key the target lacks takes the patch's value, cleaned: its directives
//!   apply and its `null`s disappear.
//! - A value of another kind (a list where the target has a map, a map where
//!   it has a scalar) is an error: `wrong node kind: expected MappingNode but
//!   got SequenceNode`.
//! - Lists whose field merges (see [`super::schema`]) merge item by item;
//!   every other list, and every list of a kind kustomize's schema does not
//!   know (custom resources), is replaced by the patch's as written: `$patch`
//!   items in it are printed as data.
//! - `$retainKeys`, `$setElementOrder/<list>` and
//!   `$deleteFromPrimitiveList/<list>` mean nothing to kustomize: they are
//!   ordinary keys and are printed.
//!
//! Merging lists (the port keeps kyaml's algorithm, quirks included):
//! - The items the patch names come first, in patch order, then the target's
//!   other items in their order (`[a, b, c]` patched with `[c, d]` gives
//!   `[c, d, a, b]`).
//! - A patch item `{name: x, $patch: delete}` deletes item `x`; a lone
//!   `- $patch: replace` item replaces the list with the other items; a lone
//!   `- $patch: delete` item deletes the whole list. `$patch: replace` on an
//!   item changes nothing at all: the target's item stays as it was.
//! - The target's own lists are normalised even where the patch does not touch
//!   them: items with the same key collapse into the last of them, `null` items
//!   are dropped, and an item lacking the merge key (a container without a
//!   name) leaves only itself in its list.
//! - Lists merged by several keys (`ports`: `containerPort` + `protocol`)
//!   treat a missing `protocol` as matching any protocol, with surprising
//!   results that are reproduced as they are.
//!
//! Scalars: the patch's value replaces the target's, but kyaml keeps the
//! target's quoting, so a number or boolean patched over a quoted string
//! prints as a string (see [`keep_quoted_style`]). A `null` in the target
//! stays when the patch does not touch it.
//!
//! Where the document model cannot follow kustomize: it does not record how a
//! scalar was written, so a target key written with no value at all (`key:`)
//! is kept as `null`, while kustomize drops it once any patch applies; and a
//! quoted target string is only known to be quoted when it had to be.

use serde_json::{Map, Value};

use super::schema::Cursor;

/// The key of the `$patch` directive.
const PATCH: &str = "$patch";

/// What the walk of one position produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    /// Nothing: the key (or item) goes away.
    Clear,
    /// The target's value, merged in place.
    Dest,
    /// The patch's value, cleaned in place.
    Origin,
    /// The target's `null`, which stays.
    KeepNull,
}

/// A `$patch` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

/// The node kinds kyaml distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Mapping,
    Sequence,
    Scalar,
}

impl NodeKind {
    fn of(v: &Value) -> Option<NodeKind> {
        match v {
            Value::Null => None,
            Value::Object(_) => Some(NodeKind::Mapping),
            Value::Array(_) => Some(NodeKind::Sequence),
            _ => Some(NodeKind::Scalar),
        }
    }

    fn name(self) -> &'static str {
        match self {
            NodeKind::Mapping => "MappingNode",
            NodeKind::Sequence => "SequenceNode",
            NodeKind::Scalar => "ScalarNode",
        }
    }
}

/// Merges `patch` into `target` in place. Returns `false` when the patch
/// deletes the object (`$patch: delete` at the top). A `$patch: replace` at
/// the top leaves the target as it was, as in kustomize (which merges into the
/// resource in place and drops the replacement).
pub(super) fn merge_into(target: &mut Value, patch: &mut Value) -> Result<bool, String> {
    Ok(walk(Some(target), Some(patch), Cursor::Unknown)? != Pick::Clear)
}

/// The walk of one position of both documents (either may be absent).
fn walk(dest: Option<&mut Value>, origin: Option<&mut Value>, schema: Cursor) -> Result<Pick, String> {
    let schema = resolve_schema(schema, dest.as_deref(), origin.as_deref());
    let kind = dest.as_deref().and_then(NodeKind::of).or_else(|| origin.as_deref().and_then(NodeKind::of));
    let Some(kind) = kind else {
        // Both absent or null: kyaml walks them as maps. A null of the
        // target stays when the patch says nothing about it.
        return Ok(if origin.is_none() && dest.is_some() { Pick::KeepNull } else { Pick::Clear });
    };
    for side in [dest.as_deref(), origin.as_deref()].into_iter().flatten() {
        check_kind(side, kind)?;
    }
    match kind {
        NodeKind::Mapping => walk_map(dest, origin, schema),
        NodeKind::Sequence if schema.merge_keys().is_some() => walk_merging_list(dest, origin, schema),
        // Lists that do not merge, and scalars: the patch's value wins.
        NodeKind::Sequence | NodeKind::Scalar => Ok(match origin {
            Some(Value::Null) => Pick::Clear,
            Some(_) => Pick::Origin,
            None => Pick::Dest,
        }),
    }
}

/// kyaml's error for a value of the wrong kind.
fn check_kind(v: &Value, expected: NodeKind) -> Result<(), String> {
    match NodeKind::of(v) {
        Some(actual) if actual != expected => Err(format!(
            "wrong node kind: expected {} but got {}: node contents:\n{}",
            expected.name(),
            actual.name(),
            super::render_node(v).trim_end()
        )),
        _ => Ok(()),
    }
}

/// The schema at a position: the one inherited from the parent, or (where
/// nothing is known) the one of the kind an object names for itself.
fn resolve_schema<'s>(schema: Cursor<'s>, dest: Option<&Value>, origin: Option<&Value>) -> Cursor<'s> {
    if !schema.is_unknown() {
        return schema;
    }
    for side in [dest, origin].into_iter().flatten() {
        let Value::Object(m) = side else { continue };
        let text = |k: &str| m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        if let (Some(api_version), Some(kind)) = (text("apiVersion"), text("kind"))
            && let Some(found) = Cursor::for_kind(api_version, kind)
        {
            return found;
        }
    }
    Cursor::Unknown
}

/// A map position where at least one side is a map.
fn walk_map(dest: Option<&mut Value>, origin: Option<&mut Value>, schema: Cursor) -> Result<Pick, String> {
    let dest = dest.and_then(|d| d.as_object_mut());
    let Some(dest) = dest else {
        // New to the target: the patch's map, cleaned. An unknown `$patch`
        // value is kept as data here.
        let Some(Value::Object(origin)) = origin else { return Ok(Pick::Clear) };
        if map_directive(origin).ok() == Some(Directive::Delete) {
            return Ok(Pick::Clear);
        }
        clean_fields(origin, schema)?;
        return Ok(Pick::Origin);
    };
    let mut origin = match origin {
        Some(Value::Null) => return Ok(Pick::Clear),
        Some(Value::Object(o)) => Some(o),
        _ => None,
    };
    let directive = match origin.as_deref_mut() {
        Some(o) => map_directive(o)?,
        None => Directive::Merge,
    };
    match (directive, origin) {
        (Directive::Delete, _) => Ok(Pick::Clear),
        (Directive::Replace, Some(origin)) => {
            clean_fields(origin, schema)?;
            Ok(Pick::Origin)
        }
        (_, Some(origin)) => {
            merge_fields(dest, origin, schema)?;
            Ok(Pick::Dest)
        }
        (_, None) => {
            normalize_fields(dest, schema)?;
            Ok(Pick::Dest)
        }
    }
}

/// The `$patch` directive of a map, removed from it once read.
fn map_directive(m: &mut Map<String, Value>) -> Result<Directive, String> {
    let Some(v) = m.get(PATCH) else { return Ok(Directive::Merge) };
    let directive = parse_directive(&node_text(v))?;
    m.shift_remove(PATCH);
    Ok(directive)
}

fn parse_directive(text: &str) -> Result<Directive, String> {
    match text {
        "merge" => Ok(Directive::Merge),
        "replace" => Ok(Directive::Replace),
        "delete" => Ok(Directive::Delete),
        other => Err(format!("unknown patch strategy '{other}'")),
    }
}

/// Merges the fields of a patch map into the target's. kyaml visits the keys
/// in sorted order; the target's keys the patch lacks are independent of each
/// other and of the rest, so only the patch's keys need sorting (keys new to
/// the target are appended in that order).
fn merge_fields(dest: &mut Map<String, Value>, origin: &mut Map<String, Value>, schema: Cursor) -> Result<(), String> {
    for (key, v) in dest.iter_mut() {
        if !origin.contains_key(key) {
            normalize(v, schema.field(key))?;
        }
    }
    let mut keys: Vec<&String> = origin.keys().collect();
    keys.sort_unstable();
    let keys: Vec<String> = keys.into_iter().cloned().collect();
    for key in keys {
        let sub = schema.field(&key);
        let pick = walk(dest.get_mut(&key), origin.get_mut(&key), sub)?;
        match pick {
            Pick::Clear => {
                dest.shift_remove(&key);
            }
            Pick::Origin => match origin.get(&key) {
                Some(Value::Null) | None => {
                    dest.shift_remove(&key);
                }
                Some(v) => {
                    let v = keep_quoted_style(dest.get(&key), v);
                    dest.insert(key, v);
                }
            },
            Pick::Dest | Pick::KeepNull => {}
        }
    }
    Ok(())
}

/// The value a patch scalar takes when it replaces the target's. kyaml keeps
/// the target scalar's style, and kustomize prints the result through YAML
/// text: a number or boolean written where the target had a quoted (or block)
/// string comes out as a string (`"80"` patched with `8080` prints `"8080"`).
/// Whether the target's string was quoted is not recorded in the document, so
/// this assumes it was exactly when it had to be: when written plain it would
/// read back as something else.
fn keep_quoted_style(old: Option<&Value>, new: &Value) -> Value {
    match (old, new) {
        (Some(Value::String(old)), Value::Number(_) | Value::Bool(_)) if must_be_quoted(old) => {
            Value::String(node_text(new))
        }
        _ => new.clone(),
    }
}

/// Whether a string must be quoted (or written as a block) in YAML to read back as itself.
fn must_be_quoted(s: &str) -> bool {
    s.contains('\n') || crate::render::yaml::parse_value(s).ok() != Some(Value::String(s.to_string()))
}

/// Walks a value of the patch that is taken as it is (new to the target, or
/// replacing it): kyaml merges it with itself, which applies its directives
/// and drops its `null`s.
fn clean(v: &mut Value, schema: Cursor) -> Result<bool, String> {
    let schema = resolve_schema(schema, Some(v), None);
    match v {
        Value::Null => Ok(false),
        Value::Object(m) => {
            if map_directive(m)? == Directive::Delete {
                return Ok(false);
            }
            clean_fields(m, schema)?;
            Ok(true)
        }
        Value::Array(items) => match schema.merge_keys() {
            Some(keys) => {
                if seq_directive(items)? == Directive::Delete {
                    return Ok(false);
                }
                let merged = ListMerge::new(std::mem::take(items), None, keys, schema.elements()).run()?;
                *items = merged;
                Ok(true)
            }
            None => Ok(true),
        },
        _ => Ok(true),
    }
}

/// [`clean`] for every field of a map, in sorted key order.
fn clean_fields(m: &mut Map<String, Value>, schema: Cursor) -> Result<(), String> {
    let mut keys: Vec<String> = m.keys().cloned().collect();
    keys.sort_unstable();
    for key in keys {
        let keep = match m.get_mut(&key) {
            Some(v) => clean(v, schema.field(&key))?,
            None => true,
        };
        if !keep {
            m.shift_remove(&key);
        }
    }
    Ok(())
}

/// Walks a target value the patch does not touch: kyaml visits it anyway,
/// and its merging lists get normalised (see the module notes).
fn normalize(v: &mut Value, schema: Cursor) -> Result<(), String> {
    let schema = resolve_schema(schema, Some(v), None);
    if matches!(schema, Cursor::Opaque) {
        // Nothing below merges (kustomize's schema describes this value and
        // has no merging list under it), so visiting it changes nothing.
        return Ok(());
    }
    match v {
        Value::Object(m) => normalize_fields(m, schema),
        Value::Array(items) => match schema.merge_keys() {
            Some(keys) if is_plain_keyed_list(items, keys) => {
                let elements = schema.elements();
                items.iter_mut().try_for_each(|item| normalize(item, elements))
            }
            Some(keys) => {
                let merged = ListMerge::new(std::mem::take(items), Some(Vec::new()), keys, schema.elements())
                    .without_origin()
                    .run()?;
                *items = merged;
                Ok(())
            }
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Whether kyaml's merge of this target list with nothing leaves it as it is
/// (but for merging inside its items): its items are non-empty maps that all
/// carry the keys any of them carries, with distinct values (or, for a list
/// of scalars, distinct scalars). Lists that are not normalised this way go
/// through the full algorithm.
fn is_plain_keyed_list(items: &[Value], keys: &[String]) -> bool {
    let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    if keys.is_empty() {
        return items.iter().enumerate().all(|(i, v)| scalar(v) && items[..i].iter().all(|w| !same_text(w, v)));
    }
    let has = |v: &Value, k: &str| match v.get(k) {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(_) | Value::Bool(_)) => true,
        _ => false,
    };
    let mut present = [false; 4];
    if keys.len() > present.len() {
        return false;
    }
    for (i, k) in keys.iter().enumerate() {
        present[i] = items.iter().any(|v| has(v, k));
    }
    let present_keys = || keys.iter().zip(present).filter(|(_, p)| *p).map(|(k, _)| k.as_str());
    if present_keys().next().is_none() {
        return items.is_empty();
    }
    let tuple_ok = |v: &Value| matches!(v, Value::Object(m) if !m.is_empty()) && present_keys().all(|k| has(v, k));
    let same_tuple = |a: &Value, b: &Value| {
        present_keys().all(|k| matches!((a.get(k), b.get(k)), (Some(x), Some(y)) if same_text(x, y)))
    };
    items.iter().enumerate().all(|(i, v)| tuple_ok(v) && items[..i].iter().all(|w| !same_tuple(w, v)))
}

/// Whether two scalars have the same text.
fn same_text(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        _ => node_text(a) == node_text(b),
    }
}

fn normalize_fields(m: &mut Map<String, Value>, schema: Cursor) -> Result<(), String> {
    for (key, v) in m.iter_mut() {
        normalize(v, schema.field(key))?;
    }
    Ok(())
}

/// A list position whose field merges, with at least one side a list.
fn walk_merging_list(dest: Option<&mut Value>, origin: Option<&mut Value>, schema: Cursor) -> Result<Pick, String> {
    let keys = schema.merge_keys().unwrap_or_default();
    let items = schema.elements();
    let dest = dest.and_then(|d| d.as_array_mut());
    let Some(dest) = dest else {
        // New to the target: the patch's list, merged with itself (its
        // list-level `$patch` item is not looked at here).
        let Some(Value::Array(origin)) = origin else { return Ok(Pick::Clear) };
        let merged = ListMerge::new(std::mem::take(origin), None, keys, items).run()?;
        *origin = merged;
        return Ok(Pick::Origin);
    };
    let mut origin = match origin {
        Some(Value::Null) => return Ok(Pick::Clear),
        Some(Value::Array(o)) => Some(o),
        _ => None,
    };
    let directive = match origin.as_deref_mut() {
        Some(o) => seq_directive(o)?,
        None => Directive::Merge,
    };
    match (directive, origin) {
        (Directive::Delete, _) => Ok(Pick::Clear),
        (Directive::Replace, Some(origin)) => {
            let merged = ListMerge::new(std::mem::take(origin), None, keys, items).run()?;
            *origin = merged;
            Ok(Pick::Origin)
        }
        (_, Some(origin))
            if keys.len() == 1 && is_simple_keyed(dest, &keys[0]) && is_simple_keyed(origin, &keys[0]) =>
        {
            merge_simple_keyed(dest, origin, &keys[0], items)?;
            Ok(Pick::Dest)
        }
        (_, origin) => {
            let patch = origin.map(std::mem::take);
            let absent = patch.is_none();
            let mut merge = ListMerge::new(std::mem::take(dest), Some(patch.unwrap_or_default()), keys, items);
            if absent {
                merge = merge.without_origin();
            }
            *dest = merge.run()?;
            Ok(Pick::Dest)
        }
    }
}

/// Whether every item of a list merged by one key is a map with a scalar,
/// non-empty value for the key, different in each item, and no `$patch`.
/// For two such lists kyaml's algorithm comes down to [`merge_simple_keyed`].
fn is_simple_keyed(items: &[Value], key: &str) -> bool {
    items.iter().enumerate().all(|(i, v)| {
        let Value::Object(m) = v else { return false };
        let scalar = match m.get(key) {
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Number(_) | Value::Bool(_)) => true,
            _ => false,
        };
        scalar
            && !m.contains_key(PATCH)
            && items[..i].iter().all(|w| !matches!((w.get(key), m.get(key)), (Some(a), Some(b)) if same_text(a, b)))
    })
}

/// Merges two [`is_simple_keyed`] lists: the patch's items in patch order,
/// each merged into the target's item with the same key or cleaned if new,
/// then the target's other items in their order.
fn merge_simple_keyed(dest: &mut Vec<Value>, origin: &mut [Value], key: &str, items: Cursor) -> Result<(), String> {
    let mut rest: Vec<Option<Value>> = std::mem::take(dest).into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(rest.len() + origin.len());
    for o in origin.iter_mut() {
        let found = rest.iter().position(
            |d| matches!((d.as_ref().and_then(|d| d.get(key)), o.get(key)), (Some(a), Some(b)) if same_text(a, b)),
        );
        match found.and_then(|i| rest[i].take()) {
            Some(mut d) => {
                walk(Some(&mut d), Some(o), items)?;
                out.push(d);
            }
            None => {
                walk(None, Some(o), items)?;
                out.push(std::mem::take(o));
            }
        }
    }
    for mut d in rest.into_iter().flatten() {
        normalize(&mut d, items)?;
        out.push(d);
    }
    *dest = out;
    Ok(())
}

/// The list-level `$patch` directive of a patch list: the first item that is
/// a map with a `$patch` key, when that is its only key. Items carrying the
/// directive are removed once read (and, as in kyaml, so are `null` and `{}`
/// items).
fn seq_directive(items: &mut Vec<Value>) -> Result<Directive, String> {
    let first = items.iter().find_map(|v| v.as_object().filter(|m| m.contains_key(PATCH)));
    let Some(m) = first else { return Ok(Directive::Merge) };
    if m.len() > 1 {
        return Ok(Directive::Merge);
    }
    let text = m.get(PATCH).map(node_text).unwrap_or_default();
    let directive = parse_directive(&text)?;
    let keys = [PATCH.to_string()];
    let values = [text];
    let mut kept = Vec::with_capacity(items.len());
    for v in items.drain(..) {
        if is_null_or_empty_map(&v) {
            continue;
        }
        if !v.is_object() || !field_matches(&v, &keys[0], &values[0])? {
            kept.push(v);
        }
    }
    *items = kept;
    Ok(directive)
}

/// The text of a scalar node as kyaml sees it (`node.Value`): maps and lists
/// have none, `null` reads as written (here always `null`).
fn node_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// Whether a value's text (as [`node_text`] gives it) is `text`, without allocating for strings.
fn text_is(v: &Value, text: &str) -> bool {
    match v {
        Value::String(s) => s == text,
        Value::Null => text == "null",
        Value::Bool(b) => text == if *b { "true" } else { "false" },
        Value::Number(n) => n.to_string() == text,
        Value::Array(_) | Value::Object(_) => text.is_empty(),
    }
}

/// The text kyaml uses for a merge key's value: empty for `null`, maps and lists.
fn key_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null | Value::Array(_) | Value::Object(_)) => String::new(),
        Some(v) => node_text(v),
    }
}

/// A scalar written back from its text (kyaml writes merge-key values it
/// fills in as untagged scalars, which read back as numbers or booleans when
/// they look like them).
fn scalar_from_text(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => match text.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => Value::String(text.to_string()),
        },
    }
}

fn is_null_or_empty_map(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// kyaml's `FieldMatcher{Name, StringValue}` on one item: whether it has field
/// `name` (with text `value`, unless `value` is empty). `name` empty compares
/// the item's own text.
fn field_matches(item: &Value, name: &str, value: &str) -> Result<bool, String> {
    if item.is_null() {
        return Ok(false);
    }
    if name.is_empty() {
        check_kind(item, NodeKind::Scalar)?;
        return Ok(text_is(item, value));
    }
    check_kind(item, NodeKind::Mapping)?;
    Ok(item.get(name).is_some_and(|f| value.is_empty() || text_is(f, value)))
}

/// kyaml's `MatchField(name, value)`: the item has field `name` with text `value`.
fn field_equals(item: &Value, name: &str, value: &str) -> bool {
    item.as_object().and_then(|m| m.get(name)).is_some_and(|f| text_is(f, value))
}

/// An item of a list being merged: one of the target's or one of the patch's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Dest(usize),
    Origin(usize),
}

/// Which of the two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Dest,
    Origin,
}

/// The merge of one merging list (kyaml's `walkAssociativeSequence` with
/// items from the patch put first). Items are addressed by index into the
/// two stores so that, as in kyaml, several list positions can refer to the
/// same item.
struct ListMerge<'k, 's> {
    /// The target's items, merged in place.
    dest: Vec<Value>,
    /// The target list now, as indexes into `dest`.
    dest_list: Vec<usize>,
    /// The patch's items. `None`: the patch list *is* the target list (a value
    /// taken from the patch, merged with itself).
    origin: Option<Vec<Value>>,
    /// Set when the patch has no list here at all.
    no_origin: bool,
    keys: &'k [String],
    items: Cursor<'s>,
}

impl<'k, 's> ListMerge<'k, 's> {
    fn new(dest: Vec<Value>, origin: Option<Vec<Value>>, keys: &'k [String], items: Cursor<'s>) -> Self {
        let dest_list = (0..dest.len()).collect();
        ListMerge { dest, dest_list, origin, no_origin: false, keys, items }
    }

    fn without_origin(mut self) -> Self {
        self.no_origin = true;
        self
    }

    fn value(&self, item: Item) -> &Value {
        match (item, &self.origin) {
            (Item::Dest(i), _) | (Item::Origin(i), None) => &self.dest[i],
            (Item::Origin(i), Some(origin)) => &origin[i],
        }
    }

    fn value_mut(&mut self, item: Item) -> &mut Value {
        match (item, &mut self.origin) {
            (Item::Dest(i), _) | (Item::Origin(i), None) => &mut self.dest[i],
            (Item::Origin(i), Some(origin)) => &mut origin[i],
        }
    }

    /// The items of one side, in list order.
    fn side(&self, side: Side) -> Vec<Item> {
        self.side_iter(side).collect()
    }

    /// The items of one side, in list order, without collecting them.
    fn side_iter(&self, side: Side) -> impl Iterator<Item = Item> + '_ {
        let (origin, dest): (usize, &[usize]) = match (side, &self.origin) {
            (Side::Origin, _) if self.no_origin => (0, &[]),
            (Side::Origin, Some(origin)) => (origin.len(), &[]),
            _ => (0, &self.dest_list),
        };
        (0..origin).map(Item::Origin).chain(dest.iter().map(|&i| Item::Dest(i)))
    }

    /// Runs the merge and returns the merged list.
    fn run(mut self) -> Result<Vec<Value>, String> {
        let keys: Vec<String> = self.keys.to_vec();
        let mut values = self.element_values(&keys);
        let keys = if values.is_empty() && keys.is_empty() {
            values = self.primitive_values();
            vec![String::new()]
        } else {
            keys
        };
        let list = self.set_elements(values, &keys)?;
        Ok(self.materialize(list))
    }

    /// The merge-key values of every item, patch items first, without repeats.
    fn element_values(&self, keys: &[String]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        if keys.is_empty() {
            return out;
        }
        for side in [Side::Origin, Side::Dest] {
            for item in self.side_iter(side) {
                let v = self.value(item);
                let tuple: Vec<String> = keys.iter().map(|k| key_text(v.as_object().and_then(|m| m.get(k)))).collect();
                if !out.contains(&tuple) {
                    out.push(tuple);
                }
            }
        }
        out
    }

    /// The texts of the items of a list of scalars, patch items first, without repeats.
    fn primitive_values(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        for side in [Side::Origin, Side::Dest] {
            for item in self.side_iter(side) {
                let text = node_text(self.value(item));
                if !out.iter().any(|t| t[0] == text) {
                    out.push(vec![text]);
                }
            }
        }
        out
    }

    /// kyaml's `setAssociativeSequenceElements`.
    fn set_elements(&mut self, mut values_list: Vec<Vec<String>>, keys: &[String]) -> Result<Vec<Item>, String> {
        let mut added: Vec<Item> = Vec::new();
        if keys.len() > 1 {
            merge_values(&mut values_list);
        }
        let mut valid_keys: Vec<String> = Vec::new();
        for values in &values_list {
            if values.is_empty() {
                continue;
            }
            let (vk, vv) = validate_keys(&values_list, values, keys);
            valid_keys.clone_from(&vk);
            let val = self.walk_items(&vk, &vv)?;
            let missing = val.is_none_or(|v| is_null_or_empty_map(self.value(v)));
            if missing {
                for _ in &vk {
                    let mut list = self.side(Side::Dest);
                    self.element_setter(&mut list, None, &vk, &vv)?;
                    self.set_dest_list(list);
                }
                continue;
            }
            if let Some(val) = val {
                for (key, value) in vk.iter().zip(&vv) {
                    if value.is_empty() {
                        continue;
                    }
                    if let Value::Object(m) = self.value_mut(val)
                        && !m.contains_key(key)
                    {
                        m.insert(key.clone(), scalar_from_text(value));
                    }
                }
                self.element_setter(&mut added, Some(val), &vk, &vv)?;
            }
        }
        if values_list.is_empty() {
            return Ok(self.side(Side::Dest));
        }
        self.append_dest(&mut added, &valid_keys)?;
        Ok(added)
    }

    fn set_dest_list(&mut self, list: Vec<Item>) {
        self.dest_list = list
            .into_iter()
            .filter_map(|i| match i {
                Item::Dest(d) => Some(d),
                Item::Origin(_) => None,
            })
            .collect();
    }

    /// Finds the items with these key values on both sides and walks them.
    /// Returns the item that results (`None`: it goes away).
    fn walk_items(&mut self, keys: &[String], values: &[String]) -> Result<Option<Item>, String> {
        let (keys, values) = validate_keys(std::slice::from_ref(&values.to_vec()), values, keys);
        let d = self.find(Side::Dest, &keys, &values)?;
        if self.origin.is_none() {
            // The patch list is the target list: the item is merged with itself.
            let Some(d) = d else { return Ok(None) };
            let items = self.items;
            let keep = clean(self.value_mut(d), items)?;
            return Ok(keep.then_some(d));
        }
        let o = self.find(Side::Origin, &keys, &values)?;
        let items = self.items;
        let (dest, origin) = match (d, o, self.origin.as_mut()) {
            (Some(Item::Dest(d)), Some(Item::Origin(o)), Some(origin)) => {
                (Some(&mut self.dest[d]), Some(&mut origin[o]))
            }
            (Some(Item::Dest(d)), None, _) => (Some(&mut self.dest[d]), None),
            (None, Some(Item::Origin(o)), Some(origin)) => (None, Some(&mut origin[o])),
            _ => (None, None),
        };
        let pick = walk(dest, origin, items)?;
        Ok(match pick {
            Pick::Dest => d,
            Pick::Origin => o,
            Pick::Clear | Pick::KeepNull => None,
        })
    }

    /// kyaml's `ElementMatcher` (`ElementList`): the first item of one side
    /// whose key fields have these texts.
    fn find(&self, side: Side, keys: &[String], values: &[String]) -> Result<Option<Item>, String> {
        let first_key = keys.first().map(String::as_str).unwrap_or_default();
        let first_value = values.first().map(String::as_str).unwrap_or_default();
        for item in self.side_iter(side) {
            let v = self.value(item);
            if first_key.is_empty() {
                if text_is(v, first_value) {
                    return Ok(Some(item));
                }
                continue;
            }
            if !v.is_object() && !v.is_null() {
                continue;
            }
            if keys.len() != values.len() {
                return Err("length of keys must equal length of values when MatchAnyValue is false".into());
            }
            if keys.iter().zip(values).all(|(k, val)| field_equals(v, k, val)) {
                return Ok(Some(item));
            }
        }
        Ok(None)
    }

    /// kyaml's `ElementSetter`: replaces the items matching the key values with
    /// `element` (or removes them when there is none), appending it when none
    /// matched. `null` and `{}` items are dropped on the way.
    fn element_setter(
        &self,
        list: &mut Vec<Item>,
        element: Option<Item>,
        keys: &[String],
        values: &[String],
    ) -> Result<(), String> {
        let empty_key = [String::new()];
        let keys = if keys.is_empty() { &empty_key[..] } else { keys };
        let mapping_setter = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
        let mut kept = Vec::with_capacity(list.len() + 1);
        let mut matched = false;
        for &item in list.iter() {
            let v = self.value(item);
            if is_null_or_empty_map(v) {
                continue;
            }
            if !v.is_object() && mapping_setter {
                kept.push(item);
                continue;
            }
            let mut found = false;
            for (j, key) in keys.iter().enumerate() {
                if let Some(value) = values.get(j) {
                    found = field_matches(v, key, value)?;
                }
                if !found {
                    break;
                }
            }
            if !found {
                if !values.is_empty() {
                    kept.push(item);
                }
                continue;
            }
            matched = true;
            if let Some(e) = element {
                kept.push(e);
            }
        }
        *list = kept;
        if let Some(e) = element
            && !self.value(e).is_null()
            && !matched
        {
            list.push(e);
        }
        Ok(())
    }

    /// kyaml's `appendListNode`: puts the target's items (as they are now)
    /// into the merged list, each replacing the items with its key values.
    fn append_dest(&self, added: &mut Vec<Item>, keys: &[String]) -> Result<(), String> {
        for item in self.side(Side::Dest) {
            let v = self.value(item);
            if keys.first().is_none_or(String::is_empty) {
                let text = [node_text(v)];
                self.element_setter(added, Some(item), &[String::new()], &text)?;
                continue;
            }
            let mut values = Vec::with_capacity(keys.len());
            for key in keys {
                if !v.is_null() {
                    check_kind(v, NodeKind::Mapping)?;
                }
                match v.get(key) {
                    Some(field) => values.push(node_text(field)),
                    None => added.push(item),
                }
            }
            if keys.len() > 1 {
                self.element_setter(added, None, keys, &values)?;
            }
            self.element_setter(added, Some(item), keys, &values)?;
        }
        Ok(())
    }

    /// The values of the merged list; an item listed twice is copied.
    fn materialize(mut self, list: Vec<Item>) -> Vec<Value> {
        let origin_len = self.origin.as_ref().map_or(0, Vec::len);
        let dest_len = self.dest.len();
        let slot = move |item: Item| match item {
            Item::Dest(i) => i,
            Item::Origin(i) => dest_len + i,
        };
        let mut uses = vec![0usize; dest_len + origin_len];
        for item in &list {
            uses[slot(*item)] += 1;
        }
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            let left = &mut uses[slot(item)];
            *left -= 1;
            let v = if *left == 0 { std::mem::take(self.value_mut(item)) } else { self.value(item).clone() };
            out.push(v);
        }
        out
    }
}

/// kyaml's `validateKeys`: the keys some item has a value for (all of them
/// when none has), and this tuple's values for them.
fn validate_keys(values_list: &[Vec<String>], values: &[String], keys: &[String]) -> (Vec<String>, Vec<String>) {
    let valid: Vec<bool> =
        (0..keys.len()).map(|i| values_list.iter().any(|vals| vals.get(i).is_some_and(|v| !v.is_empty()))).collect();
    if !valid.iter().any(|v| *v) {
        return (keys.to_vec(), values.to_vec());
    }
    let valid_keys = keys.iter().zip(&valid).filter(|(_, ok)| **ok).map(|(k, _)| k.clone()).collect();
    let valid_values = values
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.is_empty() || valid.get(*i).copied().unwrap_or(false))
        .map(|(_, v)| v.clone())
        .collect();
    (valid_keys, valid_values)
}

/// kyaml's `mergeValues`: tuples that agree wherever both have a value are
/// made equal (`[80, ""]` and `[80, TCP]` both become `[80, TCP]`).
fn merge_values(values_list: &mut [Vec<String>]) {
    for i in 0..values_list.len() {
        let first = values_list[i].clone();
        for j in 0..values_list.len() {
            if let Some(merged) = match_values(&first, &values_list[j]) {
                values_list[i].clone_from(&merged);
                values_list[j] = merged;
            }
        }
    }
}

/// Two tuples match when they share a value and differ only where one is empty.
fn match_values(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            out.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if !x.is_empty() {
            out.push(x.clone());
        } else {
            out.push(y.clone());
        }
    }
    common.then_some(out)
}
