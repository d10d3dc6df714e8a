//! Strategic merge patch: applies a Kubernetes strategic merge patch to a JSON
//! document as `k8s.io/apimachinery`'s `strategicpatch` does on the API
//! server (`kubectl patch --type strategic`, client-side `kubectl apply`).
//!
//! How a value merges depends on the field that holds it, which the schema
//! ([`TyRef`]) tells: objects merge key by key and `null` deletes a key; lists
//! are replaced, unless their field declares `patchStrategy: merge`, in which
//! case items are matched by the field's `patchMergeKey` (lists of objects) or
//! by value (lists of scalars). Untyped values ([`Ty::Any`](super::types::Ty::Any))
//! follow JSON merge patch (RFC 7386): objects merge, `null` deletes, lists are
//! replaced.
//!
//! Directives in the patch, none of which ever reaches the output:
//! - `$patch: replace` in an object replaces the whole object with the rest of
//!   the patch object; as an item of a merging list (`{"$patch": "replace"}`)
//!   it replaces the whole list with the other items of the patch list.
//! - `$patch: delete` in an object deletes the object (the key goes away; for
//!   the whole document the result is `{}`); as an item of a merging list of
//!   objects it deletes the items with the same merge key.
//! - `$patch: merge` is the default and changes nothing.
//! - `$retainKeys: [..]` drops every key of the original object that is not
//!   listed (every key the patch sets must be listed).
//! - `$setElementOrder/<list>: [..]` orders the merged list: the items it
//!   names in its order, the others where they were relative to them.
//! - `$deleteFromPrimitiveList/<list>: [..]` removes those values from a list
//!   of scalars.
//!
//! Items of a merging list go where apimachinery puts them: patch items keep
//! their order in the patch, and each original item the patch does not
//! mention stays before the patch items that followed it in the original, so
//! an item new to the list lands before the original items that come after
//! the patch item it follows (`[a, b, c]` patched with `[b, d]` gives
//! `[a, b, d, c]`; with `[d]` alone it gives `[d, a, b, c]`).
//!
//! Where apimachinery fails or leaves directives in its output, this module
//! follows kustomize, which accepts the same patches: `$patch: merge` is
//! accepted in objects and list items, `$patch: delete` in an object removes
//! the key instead of leaving `{}`, a `{"$patch": "replace"}` item also works
//! in lists of scalars, and values new to the document (a key the original
//! lacks, an appended list item) are cleaned as if merged into nothing, so
//! their directives apply and their `null`s disappear.
//!
//! kustomize itself (kyaml's merge, v5.5) differs from apimachinery in two
//! ways this module does not follow: it puts every item the patch mentions
//! first, in patch order, then the other original items (`[a, b, c]` patched
//! with `[b]` gives `[b, a, c]`), and it ignores `$retainKeys`,
//! `$setElementOrder` and `$deleteFromPrimitiveList`, printing them as data.
//!
//! The output keeps the original's key order; keys new to an object follow in
//! patch order.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use super::types::{PatchStrategy, TyRef};

/// The key of the `$patch` directive.
const PATCH: &str = "$patch";
/// The key of the `$retainKeys` directive.
const RETAIN_KEYS: &str = "$retainKeys";
/// The key prefix of the `$setElementOrder/<list>` directive.
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
/// The key prefix of the `$deleteFromPrimitiveList/<list>` directive.
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
/// How deep a document may nest, so that a hostile document cannot overflow
/// the stack (a 2 MiB thread stack holds it even in debug builds). Anything
/// serde_json parses fits: its parser stops at 128 levels.
const MAX_DEPTH: usize = 128;

/// Errors a strategic merge patch can raise.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SmpError {
    /// The original or the patch is not a JSON object.
    #[error("invalid JSON document: the {0} must be a JSON object")]
    NotAnObject(&'static str),
    /// A `$patch` directive with a value other than `merge`, `replace` or `delete`.
    #[error("unknown patch type: {value} in map at {path} (expected merge, replace or delete)")]
    UnknownPatchType { path: String, value: String },
    /// An object in a merging list lacks the list's merge key.
    #[error("map at {path} with keys [{keys}] does not contain declared merge key: {key}")]
    MissingMergeKey { path: String, key: String, keys: String },
    /// A list of objects declares `patchStrategy: merge` but no merge key.
    #[error("cannot merge lists without merge key for {path}")]
    NoMergeKey { path: String },
    /// A merging list mixes objects and scalars, or scalars of different types.
    #[error("list element types are not identical at {path}")]
    MixedList { path: String },
    /// A merging list holds lists.
    #[error("lists of lists are not supported (at {path})")]
    ListOfLists { path: String },
    /// A malformed `$retainKeys` directive, or a patch that sets a key it does not retain.
    #[error("invalid patch format of retainKeys at {path}: {reason}")]
    BadRetainKeys { path: String, reason: String },
    /// A malformed `$setElementOrder/<list>` directive, or one the patch list contradicts.
    #[error("invalid patch format of setElementOrder list at {path}: {reason}")]
    BadSetElementOrder { path: String, reason: String },
    /// A malformed `$deleteFromPrimitiveList/<list>` directive.
    #[error("invalid patch format of primitive list at {path}: {reason}")]
    BadDeleteFromPrimitiveList { path: String, reason: String },
    /// The document nests deeper than any Kubernetes object does.
    #[error("the document nests deeper than {max} levels at {path}")]
    TooDeep { path: String, max: usize },
}

/// Applies `patch` to `original` (both whole JSON documents) using `ty`
/// (usually `schema.root()`).
///
/// A `null` original counts as `{}` and a `null` patch changes nothing; any
/// other non-object is an error. `original` itself is never modified.
pub fn strategic_merge(original: &Value, patch: &Value, ty: TyRef<'_>) -> Result<Value, SmpError> {
    let original = match original {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return Err(SmpError::NotAnObject("original")),
    };
    let patch = match patch {
        Value::Object(map) => map,
        Value::Null => return Ok(Value::Object(original)),
        _ => return Err(SmpError::NotAnObject("patch")),
    };
    let merged = merge_map(original, patch, ty, &Path::ROOT)?;
    Ok(Value::Object(merged.unwrap_or_default()))
}

/// Where a value sits in the document, for error messages. Indexes count the
/// items of the list at fault: usually the patch's.
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
    depth: usize,
}

/// One step of a [`Path`].
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// The document itself.
    const ROOT: Path<'static> = Path { parent: None, segment: Segment::Root, depth: 0 };

    /// The value under `key` of the object here.
    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), segment: Segment::Key(key), depth: self.depth + 1 }
    }

    /// Item `index` of the list here.
    fn index(&'a self, index: usize) -> Path<'a> {
        Path { parent: Some(self), segment: Segment::Index(index), depth: self.depth + 1 }
    }

    /// Fails once the document nests deeper than [`MAX_DEPTH`].
    fn check_depth(&self) -> Result<(), SmpError> {
        if self.depth > MAX_DEPTH {
            return Err(SmpError::TooDeep { path: self.to_string(), max: MAX_DEPTH });
        }
        Ok(())
    }
}

impl fmt::Display for Path<'_> {
    /// Renders the path as `spec.template.spec.containers[0].env`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut segments = Vec::with_capacity(self.depth);
        let mut at = Some(self);
        while let Some(path) = at {
            segments.push(&path.segment);
            at = path.parent;
        }
        let mut first = true;
        for segment in segments.into_iter().rev() {
            match segment {
                Segment::Root => {}
                Segment::Key(key) if first => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
            if !matches!(segment, Segment::Root) {
                first = false;
            }
        }
        if first {
            f.write_str("the document root")?;
        }
        Ok(())
    }
}

/// What the schema says about the value under one key: its type, and the
/// patch strategy and merge key declared on the field that holds it.
#[derive(Clone, Copy)]
struct Slot<'t> {
    ty: TyRef<'t>,
    strategy: PatchStrategy,
    merge_key: Option<&'t str>,
}

impl<'t> Slot<'t> {
    /// A value of type `ty` that no field describes (a list item, a map value).
    fn plain(ty: TyRef<'t>) -> Slot<'t> {
        Slot { ty, strategy: PatchStrategy::default(), merge_key: None }
    }

    /// The value under `key` of an object of type `parent`; unknown keys are untyped.
    fn of_key(parent: TyRef<'t>, key: &str) -> Slot<'t> {
        match parent.field(key) {
            Some((field, ty)) => {
                Slot { ty, strategy: field.patch_strategy, merge_key: field.patch_merge_key.as_deref() }
            }
            None => Slot::plain(parent.child(key).unwrap_or_else(|| parent.any())),
        }
    }

    /// An item of the list held here.
    fn item(&self) -> Slot<'t> {
        Slot::plain(self.ty.elem())
    }
}

/// The value of a `$patch` directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

/// The `$patch` directive of a patch object, if it has one.
fn directive_of(patch: &Map<String, Value>, path: &Path) -> Result<Option<Directive>, SmpError> {
    let Some(value) = patch.get(PATCH) else {
        return Ok(None);
    };
    match value.as_str() {
        Some("merge") => Ok(Some(Directive::Merge)),
        Some("replace") => Ok(Some(Directive::Replace)),
        Some("delete") => Ok(Some(Directive::Delete)),
        _ => Err(SmpError::UnknownPatchType { path: path.to_string(), value: brief(value) }),
    }
}

/// Whether a patch key is a directive rather than a field.
fn is_directive_key(key: &str) -> bool {
    key == PATCH
        || key == RETAIN_KEYS
        || key.starts_with(SET_ELEMENT_ORDER)
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
}

/// The list a `<prefix>/<list>` directive key is about.
fn directive_target<'k>(key: &'k str, prefix: &str) -> Option<&'k str> {
    key.strip_prefix(prefix)?.strip_prefix('/')
}

/// Merges a patch object into an original object of type `ty`. `None` means
/// the patch deletes the object (`$patch: delete`).
fn merge_map(
    original: Map<String, Value>,
    patch: &Map<String, Value>,
    ty: TyRef,
    path: &Path,
) -> Result<Option<Map<String, Value>>, SmpError> {
    path.check_depth()?;
    match directive_of(patch, path)? {
        Some(Directive::Delete) => Ok(None),
        Some(Directive::Replace) => merge_fields(Map::new(), patch, ty, path).map(Some),
        Some(Directive::Merge) | None => merge_fields(original, patch, ty, path).map(Some),
    }
}

/// Merges the fields of a patch object into the original, once its `$patch`
/// directive has been dealt with. Like apimachinery, `$retainKeys` applies
/// first, then `$setElementOrder`, and primitive-list deletions come last.
fn merge_fields(
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
    ty: TyRef,
    path: &Path,
) -> Result<Map<String, Value>, SmpError> {
    retain_keys(&mut original, patch, path)?;
    let orders = element_orders(patch, path)?;
    let mut deletions = Vec::new();
    for (key, value) in patch {
        if key == PATCH || key == RETAIN_KEYS {
            continue;
        }
        if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            let Some(target) = directive_target(key, DELETE_FROM_PRIMITIVE_LIST) else {
                let reason = format!("{key:?} is not of the form $deleteFromPrimitiveList/<list>");
                return Err(SmpError::BadDeleteFromPrimitiveList { path: path.to_string(), reason });
            };
            deletions.push((target, value));
            continue;
        }
        if let Some(target) = directive_target(key, SET_ELEMENT_ORDER) {
            // Applied together with the list when the patch has the list too.
            if !patch.contains_key(target)
                && let Some(order) = orders.get(target)
            {
                let list_path = path.key(target);
                merge_ordered_list(&mut original, target, None, order, Slot::of_key(ty, target), &list_path)?;
            }
            continue;
        }
        let slot = Slot::of_key(ty, key);
        let child = path.key(key);
        match orders.get(key.as_str()) {
            Some(order) => merge_ordered_list(&mut original, key, Some(value), order, slot, &child)?,
            None => merge_entry(&mut original, key, value, slot, &child)?,
        }
    }
    for (target, values) in deletions {
        delete_from_primitive_list(&mut original, target, values, &path.key(target))?;
    }
    Ok(original)
}

/// Merges the patch value of one key into the original object.
fn merge_entry(
    original: &mut Map<String, Value>,
    key: &str,
    value: &Value,
    slot: Slot,
    path: &Path,
) -> Result<(), SmpError> {
    if value.is_null() {
        original.shift_remove(key);
        return Ok(());
    }
    let merged = match original.get_mut(key) {
        Some(current) => merge_value(std::mem::take(current), value, slot, path)?,
        None => fresh(value, slot, path)?,
    };
    match merged {
        Some(merged) => {
            original.insert(key.to_owned(), merged);
        }
        None => {
            original.shift_remove(key);
        }
    }
    Ok(())
}

/// Merges a patch value into the original value of the same key. Values of
/// different JSON types, and objects whose field says `replace`, are replaced.
fn merge_value(original: Value, patch: &Value, slot: Slot, path: &Path) -> Result<Option<Value>, SmpError> {
    match (original, patch) {
        (Value::Object(original), Value::Object(patch)) if !slot.strategy.replace => {
            Ok(merge_map(original, patch, slot.ty, path)?.map(Value::Object))
        }
        (Value::Array(original), Value::Array(patch)) => {
            Ok(Some(Value::Array(merge_list(original, patch, slot, path)?)))
        }
        _ => fresh(patch, slot, path),
    }
}

/// A patch value for a place the original does not have: the value merged
/// into nothing, so its directives apply and its `null`s vanish. `None` when
/// it deletes itself.
fn fresh(patch: &Value, slot: Slot, path: &Path) -> Result<Option<Value>, SmpError> {
    path.check_depth()?;
    match patch {
        Value::Object(patch) => Ok(merge_map(Map::new(), patch, slot.ty, path)?.map(Value::Object)),
        Value::Array(items) => Ok(Some(Value::Array(fresh_items(items, slot, path)?))),
        scalar => Ok(Some(scalar.clone())),
    }
}

/// The items of a patch list that replaces a list: each one fresh, without
/// the directive items.
fn fresh_items(patch: &[Value], slot: Slot, path: &Path) -> Result<Vec<Value>, SmpError> {
    fresh_plain_items(ListPatch::parse(patch, path)?, slot, path)
}

/// The plain items of a parsed patch list, each fresh: what a list replaced
/// by the patch list becomes.
fn fresh_plain_items(parsed: ListPatch, slot: Slot, path: &Path) -> Result<Vec<Value>, SmpError> {
    let mut items = Vec::with_capacity(parsed.items.len());
    for (index, item) in &parsed.items {
        if let Some(item) = fresh(item, slot.item(), &path.index(*index))? {
            items.push(item);
        }
    }
    Ok(items)
}

/// A patch list split into its plain items and its `$patch` items, each with
/// its index in the patch list.
struct ListPatch<'p> {
    /// Items to merge; `$patch: merge` items without their directive.
    items: Vec<(usize, Cow<'p, Value>)>,
    /// `$patch: delete` items.
    deletes: Vec<(usize, &'p Map<String, Value>)>,
    /// Whether a `{"$patch": "replace"}` item is present.
    replace: bool,
}

impl<'p> ListPatch<'p> {
    /// Sorts the items of a patch list; an unknown `$patch` value is an error.
    fn parse(patch: &'p [Value], path: &Path) -> Result<ListPatch<'p>, SmpError> {
        let mut parsed = ListPatch { items: Vec::with_capacity(patch.len()), deletes: Vec::new(), replace: false };
        for (index, item) in patch.iter().enumerate() {
            let directive = match item {
                Value::Object(map) => directive_of(map, &path.index(index))?,
                _ => None,
            };
            match (directive, item) {
                (Some(Directive::Delete), Value::Object(map)) => parsed.deletes.push((index, map)),
                (Some(Directive::Replace), _) => parsed.replace = true,
                (Some(Directive::Merge), Value::Object(map)) => {
                    let mut map = map.clone();
                    map.shift_remove(PATCH);
                    parsed.items.push((index, Cow::Owned(Value::Object(map))));
                }
                _ => parsed.items.push((index, Cow::Borrowed(item))),
            }
        }
        Ok(parsed)
    }
}

/// The JSON type of a list item, as far as merging lists cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Object,
    Array,
}

/// The [`Kind`] of a value.
fn kind(value: &Value) -> Kind {
    match value {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Object(_) => Kind::Object,
        Value::Array(_) => Kind::Array,
    }
}

/// The one kind shared by the items of an original list and of a patch
/// list; `None` when there are no items.
fn element_kind<'v>(items: impl Iterator<Item = &'v Value>, path: &Path) -> Result<Option<Kind>, SmpError> {
    let mut found = None;
    for item in items {
        let item_kind = kind(item);
        if item_kind == Kind::Array {
            return Err(SmpError::ListOfLists { path: path.to_string() });
        }
        match found {
            None => found = Some(item_kind),
            Some(kind) if kind != item_kind => return Err(SmpError::MixedList { path: path.to_string() }),
            Some(_) => {}
        }
    }
    Ok(found)
}

/// Merges a patch list into an original list under the strategy of the field
/// holding them: replaced unless the field says `merge`.
fn merge_list(original: Vec<Value>, patch: &[Value], slot: Slot, path: &Path) -> Result<Vec<Value>, SmpError> {
    if !slot.strategy.merge {
        return fresh_items(patch, slot, path);
    }
    let parsed = ListPatch::parse(patch, path)?;
    let items = original.iter().chain(parsed.items.iter().map(|(_, item)| item.as_ref()));
    match element_kind(items, path)? {
        None => Ok(Vec::new()),
        Some(Kind::Object) => merge_object_items(original, parsed, slot, path),
        Some(_) => merge_scalar_items(original, parsed, path),
    }
}

/// Merges a list of scalars as a set: the union, ordered like apimachinery.
fn merge_scalar_items(original: Vec<Value>, parsed: ListPatch, path: &Path) -> Result<Vec<Value>, SmpError> {
    if !parsed.deletes.is_empty() {
        // A `$patch: delete` object among scalars names nothing to delete.
        return Err(SmpError::MixedList { path: path.to_string() });
    }
    let items = parsed.items.into_iter().map(|(_, item)| item.into_owned());
    if parsed.replace {
        return Ok(items.collect());
    }
    let identity = Identity::WHOLE;
    let server = Positions::of(&original, identity, path)?;
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    let mut merged = Vec::with_capacity(original.len());
    for item in original {
        if seen.insert(id_key(&item)) {
            merged.push(item);
        }
    }
    for item in items {
        let id = id_key(&item);
        order.push(id.clone());
        if seen.insert(id) {
            merged.push(item);
        }
    }
    normalize_order(merged, &Positions::from_ids(order), &server, identity, path)
}

/// Merges a list of objects by merge key: `$patch: delete` items remove
/// originals, matching items merge, new items join, and the result is ordered
/// like apimachinery.
fn merge_object_items(
    mut original: Vec<Value>,
    parsed: ListPatch,
    slot: Slot,
    path: &Path,
) -> Result<Vec<Value>, SmpError> {
    let Some(merge_key) = slot.merge_key else {
        return Err(SmpError::NoMergeKey { path: path.to_string() });
    };
    let identity = Identity::key(merge_key);
    for (index, delete) in &parsed.deletes {
        let Some(value) = delete.get(merge_key) else {
            return Err(missing_merge_key(delete, merge_key, &path.index(*index)));
        };
        let doomed = id_key(value);
        original.retain(|item| item.get(merge_key).map(id_key).as_ref() != Some(&doomed));
    }
    if parsed.replace {
        return fresh_plain_items(parsed, slot, path);
    }
    let server = Positions::of(&original, identity, path)?;
    let mut found = server.first.clone();
    let mut order = Vec::with_capacity(parsed.items.len());
    for (index, item) in &parsed.items {
        let item_path = path.index(*index);
        let id = identity.id(item, &item_path)?;
        order.push(id.clone());
        match found.get(&id).and_then(|&at| original.get_mut(at)) {
            Some(current) => {
                *current = match (std::mem::take(current), item.as_ref()) {
                    (Value::Object(current), Value::Object(patch)) => {
                        // Plain items carry no `$patch`, so the item survives.
                        Value::Object(merge_fields(current, patch, slot.ty.elem(), &item_path)?)
                    }
                    (_, patch) => fresh(patch, slot.item(), &item_path)?.unwrap_or_default(),
                };
            }
            None => {
                if let Some(new) = fresh(item, slot.item(), &item_path)? {
                    found.insert(id, original.len());
                    original.push(new);
                }
            }
        }
    }
    normalize_order(original, &Positions::from_ids(order), &server, identity, path)
}

/// The error for an object in a merging list that lacks the merge key. Only
/// the object's keys are named: values may be secret (env values).
fn missing_merge_key(item: &Map<String, Value>, merge_key: &str, path: &Path) -> SmpError {
    const SHOWN: usize = 10;
    let mut keys: Vec<&str> = item.keys().take(SHOWN).map(String::as_str).collect();
    if item.len() > SHOWN {
        keys.push("…");
    }
    SmpError::MissingMergeKey { path: path.to_string(), key: merge_key.to_owned(), keys: keys.join(", ") }
}

/// A short rendering of a patch value for an error message.
fn brief(value: &Value) -> String {
    const LIMIT: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        return text;
    }
    let mut short: String = text.chars().take(LIMIT).collect();
    short.push('…');
    short
}

/// A canonical string for a value, so that values compare as apimachinery
/// compares them: integers by value, other numbers by their float value, and
/// an integer never equal to a float (`80` is not `80.0`, as apimachinery
/// decodes them to `int64` and `float64`).
fn id_key(value: &Value) -> String {
    match value {
        Value::String(s) => format!("s{s}"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("i{n}"),
        Value::Number(n) => match n.as_f64() {
            // Also matches -0.0, which equals 0.0 in Go too.
            Some(0.0) => "f0".to_owned(),
            Some(f) => format!("f{f}"),
            None => format!("f{n}"),
        },
        Value::Bool(b) => format!("b{b}"),
        Value::Null => "z".to_owned(),
        other => format!("j{other}"),
    }
}

/// How items of a list are told apart: by the value of their merge key, or
/// by their whole value.
#[derive(Clone, Copy)]
struct Identity<'k> {
    merge_key: Option<&'k str>,
}

impl<'k> Identity<'k> {
    /// Items are their own identity (lists of scalars).
    const WHOLE: Identity<'static> = Identity { merge_key: None };

    /// Items are objects told apart by `merge_key`.
    fn key(merge_key: &'k str) -> Identity<'k> {
        Identity { merge_key: Some(merge_key) }
    }

    /// The identity of one item; an object lacking the merge key is an error.
    fn id(&self, item: &Value, path: &Path) -> Result<String, SmpError> {
        match (self.merge_key, item) {
            (Some(key), Value::Object(map)) => match map.get(key) {
                Some(value) => Ok(id_key(value)),
                None => Err(missing_merge_key(map, key, path)),
            },
            _ => Ok(id_key(item)),
        }
    }
}

/// Where each identity first appears in a list.
struct Positions {
    first: HashMap<String, usize>,
}

impl Positions {
    /// The positions of the items of `items`.
    fn of(items: &[Value], identity: Identity, path: &Path) -> Result<Positions, SmpError> {
        let mut ids = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            ids.push(identity.id(item, &path.index(index))?);
        }
        Ok(Positions::from_ids(ids))
    }

    /// The positions of a list of identities.
    fn from_ids(ids: Vec<String>) -> Positions {
        let mut first = HashMap::with_capacity(ids.len());
        for (index, id) in ids.into_iter().enumerate() {
            first.entry(id).or_insert(index);
        }
        Positions { first }
    }

    /// Where `id` first appears.
    fn get(&self, id: &str) -> Option<usize> {
        self.first.get(id).copied()
    }
}

/// An item of a merged list waiting to be placed.
struct Placed {
    /// Its sort position: in the patch order for items the patch names, in
    /// the original otherwise.
    rank: usize,
    /// Its position in the original list, if it was there.
    server: Option<usize>,
    item: Value,
}

/// Orders a merged list as apimachinery does. Items named by `order` come in
/// that order; the others keep their original order; the two runs are
/// interleaved so that an unnamed item goes before a named one only when
/// both were in the original and it came first there.
fn normalize_order(
    merged: Vec<Value>,
    order: &Positions,
    server: &Positions,
    identity: Identity,
    path: &Path,
) -> Result<Vec<Value>, SmpError> {
    let total = merged.len();
    let mut named = Vec::new();
    let mut unnamed = Vec::new();
    for (index, item) in merged.into_iter().enumerate() {
        let id = identity.id(&item, &path.index(index))?;
        let at_server = server.get(&id);
        match order.get(&id) {
            Some(rank) => named.push(Placed { rank, server: at_server, item }),
            None => unnamed.push(Placed { rank: at_server.unwrap_or(usize::MAX), server: at_server, item }),
        }
    }
    named.sort_by_key(|placed| placed.rank);
    unnamed.sort_by_key(|placed| placed.rank);
    let mut named = named.into_iter().peekable();
    let mut unnamed = unnamed.into_iter().peekable();
    let mut out = Vec::with_capacity(total);
    loop {
        let take_unnamed = match (unnamed.peek(), named.peek()) {
            (Some(left), Some(right)) => matches!((left.server, right.server), (Some(l), Some(r)) if l < r),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_unnamed { unnamed.next() } else { named.next() };
        if let Some(placed) = next {
            out.push(placed.item);
        }
    }
    Ok(out)
}

/// The `$retainKeys` directive: checks that the patch sets only retained
/// keys, then drops every other key from the original.
fn retain_keys(original: &mut Map<String, Value>, patch: &Map<String, Value>, path: &Path) -> Result<(), SmpError> {
    let Some(list) = patch.get(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(list) = list else {
        let reason = "$retainKeys must be a list of field names".to_owned();
        return Err(SmpError::BadRetainKeys { path: path.to_string(), reason });
    };
    let keep: HashSet<&str> = list.iter().filter_map(Value::as_str).collect();
    for (key, value) in patch {
        if value.is_null() || is_directive_key(key) || keep.contains(key.as_str()) {
            continue;
        }
        let reason = format!("the patch sets {key:?}, which $retainKeys does not list");
        return Err(SmpError::BadRetainKeys { path: path.to_string(), reason });
    }
    original.retain(|key, _| keep.contains(key.as_str()));
    Ok(())
}

/// The `$setElementOrder/<list>` directives of a patch object, by list name.
fn element_orders<'p>(patch: &'p Map<String, Value>, path: &Path) -> Result<HashMap<&'p str, &'p [Value]>, SmpError> {
    let mut orders = HashMap::new();
    for (key, value) in patch {
        if !key.starts_with(SET_ELEMENT_ORDER) {
            continue;
        }
        let Some(target) = directive_target(key, SET_ELEMENT_ORDER) else {
            let reason = format!("{key:?} is not of the form $setElementOrder/<list>");
            return Err(SmpError::BadSetElementOrder { path: path.to_string(), reason });
        };
        let Value::Array(order) = value else {
            let reason = format!("{key} must be a list");
            return Err(SmpError::BadSetElementOrder { path: path.to_string(), reason });
        };
        orders.insert(target, order.as_slice());
    }
    Ok(orders)
}

/// Merges list `key` (when the patch has it) and orders the result as its
/// `$setElementOrder` directive says.
fn merge_ordered_list(
    original: &mut Map<String, Value>,
    key: &str,
    patch: Option<&Value>,
    order: &[Value],
    slot: Slot,
    path: &Path,
) -> Result<(), SmpError> {
    let bad = |reason: String| SmpError::BadSetElementOrder { path: path.to_string(), reason };
    let patch = match patch {
        None => None,
        Some(Value::Array(items)) => Some(items.as_slice()),
        Some(_) => return Err(bad(format!("the patch value of {key} is not a list"))),
    };
    let current = match original.get_mut(key) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(std::mem::take(items)),
        Some(_) => return Err(bad(format!("the original value of {key} is not a list"))),
    };
    let identity = Identity { merge_key: slot.merge_key };
    if let Some(patch) = patch {
        check_order(patch, order, identity, path)?;
    }
    let server = match (&current, patch, slot.merge_key) {
        (Some(current), Some(patch), Some(merge_key)) if slot.strategy.merge => {
            server_order_after_merge(current, patch, merge_key, path)?
        }
        _ => Positions::of(current.as_deref().unwrap_or_default(), identity, path)?,
    };
    let merged = match (current, patch) {
        (None, None) => return Ok(()),
        (Some(current), None) => current,
        (None, Some(patch)) => fresh_items(patch, slot, path)?,
        (Some(current), Some(patch)) => merge_list(current, patch, slot, path)?,
    };
    let order = Positions::of(order, identity, path)?;
    let ordered = normalize_order(merged, &order, &server, identity, path)?;
    original.insert(key.to_owned(), Value::Array(ordered));
    Ok(())
}

/// The original order that apimachinery orders a merged list of objects
/// against when `$setElementOrder` applies to it. apimachinery deletes and
/// appends items in the storage of the original list, so what it compares
/// against is the original without the deleted items, then the first new
/// items (as many as were deleted), then leftovers of the deleted tail.
/// This decides where original items the order does not name end up, e.g.
/// a sidecar injected next to a container that `kubectl apply` replaces.
fn server_order_after_merge(
    current: &[Value],
    patch: &[Value],
    merge_key: &str,
    path: &Path,
) -> Result<Positions, SmpError> {
    let identity = Identity::key(merge_key);
    let mut slots = Vec::with_capacity(current.len());
    for (index, item) in current.iter().enumerate() {
        slots.push(identity.id(item, &path.index(index))?);
    }
    let parsed = ListPatch::parse(patch, path)?;
    let mut len = slots.len();
    for (_, delete) in &parsed.deletes {
        let Some(doomed) = delete.get(merge_key).map(id_key) else {
            continue;
        };
        while let Some(at) = slots[..len].iter().position(|id| *id == doomed) {
            // Shift the rest left; the last slot keeps its old value.
            let last = slots[len - 1].clone();
            slots[at..len].rotate_left(1);
            slots[len - 1] = last;
            len -= 1;
        }
    }
    if !parsed.replace {
        let mut present: HashSet<String> = slots[..len].iter().cloned().collect();
        for (index, item) in &parsed.items {
            let id = identity.id(item, &path.index(*index))?;
            if present.insert(id.clone()) {
                if let Some(slot) = slots.get_mut(len) {
                    *slot = id;
                }
                len += 1;
            }
        }
    }
    Ok(Positions::from_ids(slots))
}

/// Checks that the plain items of a patch list appear in a
/// `$setElementOrder` list, in the same order.
fn check_order(patch: &[Value], order: &[Value], identity: Identity, path: &Path) -> Result<(), SmpError> {
    let mut pending = patch
        .iter()
        .enumerate()
        .filter(|(_, item)| !matches!(item, Value::Object(map) if map.contains_key(PATCH)))
        .peekable();
    for (index, wanted) in order.iter().enumerate() {
        let Some((at, item)) = pending.peek() else {
            break;
        };
        if identity.id(item, &path.index(*at))? == identity.id(wanted, &path.index(index))? {
            pending.next();
        }
    }
    if pending.peek().is_some() {
        let reason = "the order of the patch list does not match the $setElementOrder list".to_owned();
        return Err(SmpError::BadSetElementOrder { path: path.to_string(), reason });
    }
    Ok(())
}

/// The `$deleteFromPrimitiveList/<list>` directive: removes every listed value
/// from the original list of scalars.
fn delete_from_primitive_list(
    original: &mut Map<String, Value>,
    key: &str,
    values: &Value,
    path: &Path,
) -> Result<(), SmpError> {
    let bad = |reason: &str| SmpError::BadDeleteFromPrimitiveList { path: path.to_string(), reason: reason.to_owned() };
    let Value::Array(values) = values else {
        return Err(bad("the values to delete must be a list"));
    };
    let Some(Value::Array(list)) = original.get_mut(key) else {
        return Ok(());
    };
    let is_compound = |value: &Value| value.is_object() || value.is_array();
    if values.iter().chain(list.iter()).any(is_compound) {
        return Err(bad("only lists of scalars can delete values this way; use $patch: delete items"));
    }
    let doomed: HashSet<String> = values.iter().map(id_key).collect();
    list.retain(|item| !doomed.contains(&id_key(item)));
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Expected outputs come from the real tools (kubectl v1.32, kustomize
    //! v5.5): "apimachinery" marks cases checked with `kubectl patch --local
    //! --type strategic` (the API server's code), "kustomize" cases checked
    //! with `kubectl kustomize` on a `patches:` entry. Where the two differ
    //! the test says which one it follows and why.

    use super::*;
    use crate::schema::types::Schema;
    use serde_json::json;

    fn deployment() -> Schema {
        Schema::builtin("apps/v1", "Deployment").expect("the built-in table has Deployment")
    }

    fn apply(original: &Value, patch: &Value) -> Value {
        strategic_merge(original, patch, deployment().root()).expect("the patch applies")
    }

    fn apply_err(original: &Value, patch: &Value) -> SmpError {
        strategic_merge(original, patch, deployment().root()).expect_err("the patch is rejected")
    }

    /// Compares including key order, which `Value`'s `==` ignores.
    fn assert_json(actual: &Value, expected: &Value) {
        assert_eq!(
            serde_json::to_string_pretty(actual).unwrap_or_default(),
            serde_json::to_string_pretty(expected).unwrap_or_default()
        );
    }

    /// A Deployment whose pod template holds `pod_spec`.
    fn deploy(pod_spec: Value) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"template": {"spec": pod_spec}}
        })
    }

    /// A patch of the pod template's spec.
    fn pod_patch(pod_spec: Value) -> Value {
        json!({"spec": {"template": {"spec": pod_spec}}})
    }

    fn pod_spec(doc: &Value) -> &Value {
        &doc["spec"]["template"]["spec"]
    }

    /// The `name`s of the items of a list.
    fn names(list: &Value) -> Vec<&str> {
        list.as_array().into_iter().flatten().filter_map(|item| item["name"].as_str()).collect()
    }

    fn containers(names: &[&str], image_suffix: &str) -> Value {
        names.iter().map(|n| json!({"name": n, "image": format!("{n}{image_suffix}")})).collect()
    }

    #[test]
    fn maps_merge_recursively_and_null_deletes_keeping_key_order() {
        let original = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}, "annotations": {"a": "1"}},
            "spec": {"replicas": 1, "paused": false}
        });
        let patch = json!({
            "metadata": {"labels": {"tier": null, "zone": "b", "app": "web2"}, "annotations": null, "namespace": "x"},
            "spec": {"replicas": 3, "minReadySeconds": 5, "unknownKey": {"ignored": null, "kept": 1}}
        });
        let expected = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web2", "zone": "b"}, "namespace": "x"},
            "spec": {"replicas": 3, "paused": false, "minReadySeconds": 5, "unknownKey": {"kept": 1}}
        });
        assert_json(&apply(&original, &patch), &expected);
    }

    #[test]
    fn containers_merge_by_name_and_new_ones_go_where_apimachinery_puts_them() {
        // apimachinery. kustomize puts every patched item first instead
        // ([b, d, a, c], [b, a, c], ...): see the module docs.
        let original = deploy(json!({"containers": containers(&["a", "b", "c"], "1")}));

        let merged = apply(&original, &pod_patch(json!({"containers": containers(&["b", "d"], "2")})));
        assert_eq!(names(&pod_spec(&merged)["containers"]), ["a", "b", "d", "c"]);
        assert_json(&pod_spec(&merged)["containers"][1], &json!({"name": "b", "image": "b2"}));
        assert_json(&pod_spec(&merged)["containers"][0], &json!({"name": "a", "image": "a1"}));

        let only_new = apply(&original, &pod_patch(json!({"containers": containers(&["d", "e"], "2")})));
        assert_eq!(names(&pod_spec(&only_new)["containers"]), ["d", "e", "a", "b", "c"]);

        let only_b = apply(&original, &pod_patch(json!({"containers": containers(&["b"], "2")})));
        assert_eq!(names(&pod_spec(&only_b)["containers"]), ["a", "b", "c"]);

        let reordered = apply(&original, &pod_patch(json!({"containers": containers(&["c", "a"], "2")})));
        assert_eq!(names(&pod_spec(&reordered)["containers"]), ["b", "c", "a"]);

        let mixed = apply(&original, &pod_patch(json!({"containers": containers(&["e", "c", "d"], "2")})));
        assert_eq!(names(&pod_spec(&mixed)["containers"]), ["e", "a", "b", "c", "d"]);
    }

    #[test]
    fn env_and_ports_merge_inside_the_matched_container() {
        // apimachinery and kustomize agree.
        let original = deploy(json!({"containers": [{
            "name": "app",
            "image": "app:1",
            "env": [{"name": "X", "value": "1"}, {"name": "Z", "value": "2"}],
            "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https"}]
        }]}));
        let patch = pod_patch(json!({"containers": [{
            "name": "app",
            "env": [{"name": "Z", "value": "3"}, {"name": "NEW", "value": "n"}],
            "ports": [{"containerPort": 443, "protocol": "TCP"}]
        }]}));
        let expected = json!([{
            "name": "app",
            "image": "app:1",
            "env": [{"name": "X", "value": "1"}, {"name": "Z", "value": "3"}, {"name": "NEW", "value": "n"}],
            "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https", "protocol": "TCP"}]
        }]);
        assert_json(&pod_spec(&apply(&original, &patch))["containers"], &expected);
    }

    #[test]
    fn merge_keys_compare_like_apimachinery_integers_are_not_floats() {
        // apimachinery decodes 80 as int64 and 80.0 as float64: no match.
        let original = deploy(json!({"containers": [{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}]}));
        let patch =
            pod_patch(json!({"containers": [{"name": "a", "ports": [{"containerPort": 80.0, "name": "web"}]}]}));
        let merged = apply(&original, &patch);
        let ports = &pod_spec(&merged)["containers"][0]["ports"];
        assert_json(ports, &json!([{"containerPort": 80.0, "name": "web"}, {"containerPort": 80, "name": "http"}]));
    }

    #[test]
    fn primitive_merge_lists_are_unions() {
        // apimachinery (kustomize puts the patch's values first: [f3, x, f1, f2]).
        let original = json!({"metadata": {"name": "web", "finalizers": ["f1", "f2", "f3"]}});
        let merged = apply(&original, &json!({"metadata": {"finalizers": ["f3", "x", "f1"]}}));
        assert_json(&merged["metadata"]["finalizers"], &json!(["f2", "f3", "x", "f1"]));
        // Both tools agree here.
        let merged = apply(&original, &json!({"metadata": {"finalizers": ["x", "f2"]}}));
        assert_json(&merged["metadata"]["finalizers"], &json!(["x", "f1", "f2", "f3"]));
        let merged = apply(&original, &json!({"metadata": {"finalizers": ["f2", "f2", "y"]}}));
        assert_json(&merged["metadata"]["finalizers"], &json!(["f1", "f2", "y", "f3"]));
    }

    #[test]
    fn patch_delete_items_remove_by_merge_key() {
        // apimachinery and kustomize agree.
        let original = deploy(json!({"containers": [
            {"name": "a", "image": "a", "env": [{"name": "X", "value": "1"}, {"name": "Z", "value": "2"}]},
            {"name": "b", "image": "b"}
        ]}));
        let patch = pod_patch(json!({"containers": [
            {"name": "a", "env": [{"name": "X", "$patch": "delete"}, {"name": "NEW", "value": "n"}]},
            {"name": "b", "$patch": "delete"},
            {"name": "missing", "$patch": "delete"}
        ]}));
        let expected =
            json!([{"name": "a", "image": "a", "env": [{"name": "NEW", "value": "n"}, {"name": "Z", "value": "2"}]}]);
        assert_json(&pod_spec(&apply(&original, &patch))["containers"], &expected);
    }

    #[test]
    fn patch_replace_item_replaces_the_whole_list() {
        // apimachinery and kustomize agree.
        let original = deploy(json!({"containers": containers(&["a", "b"], "1")}));
        let patch =
            pod_patch(json!({"containers": [{"$patch": "replace"}, {"name": "z", "image": "z:1", "args": null}]}));
        assert_json(&pod_spec(&apply(&original, &patch))["containers"], &json!([{"name": "z", "image": "z:1"}]));

        let emptied = apply(&original, &pod_patch(json!({"containers": [{"$patch": "replace"}]})));
        assert_json(&pod_spec(&emptied)["containers"], &json!([]));
    }

    #[test]
    fn patch_replace_in_a_map_replaces_the_map() {
        // apimachinery and kustomize agree.
        let original = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let patch = json!({"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}});
        assert_json(&apply(&original, &patch), &json!({"spec": {"strategy": {"type": "Recreate"}}}));

        let whole = json!({"$patch": "replace", "kind": "Deployment", "metadata": {"name": "other"}});
        assert_json(&apply(&original, &whole), &json!({"kind": "Deployment", "metadata": {"name": "other"}}));
    }

    #[test]
    fn patch_delete_in_a_map_deletes_the_key() {
        // kustomize; apimachinery leaves `"strategy": {}` behind.
        let original = json!({"spec": {"replicas": 2, "strategy": {"type": "Recreate"}}});
        let patch = json!({"spec": {"strategy": {"$patch": "delete"}}});
        assert_json(&apply(&original, &patch), &json!({"spec": {"replicas": 2}}));
        // The whole document becomes empty, as in apimachinery.
        assert_json(&apply(&original, &json!({"$patch": "delete"})), &json!({}));
    }

    #[test]
    fn patch_merge_is_the_default() {
        // kustomize; apimachinery rejects `$patch: merge` in maps and list items.
        let original = deploy(json!({
            "containers": [{"name": "a", "image": "a1", "args": ["x"]}],
            "nodeSelector": {"disk": "ssd"}
        }));
        let patch = pod_patch(json!({
            "containers": [{"name": "a", "$patch": "merge", "image": "a2"}],
            "nodeSelector": {"$patch": "merge", "zone": "b"}
        }));
        let expected = json!({
            "containers": [{"name": "a", "image": "a2", "args": ["x"]}],
            "nodeSelector": {"disk": "ssd", "zone": "b"}
        });
        assert_json(pod_spec(&apply(&original, &patch)), &expected);
    }

    #[test]
    fn unknown_patch_directives_are_errors() {
        let original = json!({"spec": {"strategy": {"type": "Recreate"}}});
        let err = apply_err(&original, &json!({"spec": {"strategy": {"$patch": "foo"}}}));
        assert_eq!(err, SmpError::UnknownPatchType { path: "spec.strategy".into(), value: "\"foo\"".into() });
        assert_eq!(
            err.to_string(),
            "unknown patch type: \"foo\" in map at spec.strategy (expected merge, replace or delete)"
        );
        let err = apply_err(&deploy(json!({})), &pod_patch(json!({"containers": [{"name": "a", "$patch": 1}]})));
        assert!(
            matches!(err, SmpError::UnknownPatchType { ref path, .. } if path == "spec.template.spec.containers[0]")
        );
    }

    #[test]
    fn retain_keys_drops_unlisted_keys_of_the_strategy() {
        // apimachinery; kustomize does not know $retainKeys and prints it.
        let original = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        assert_json(&apply(&original, &patch), &json!({"spec": {"strategy": {"type": "Recreate"}}}));

        let keep_both = json!({"spec": {"strategy": {"$retainKeys": ["type", "rollingUpdate"], "rollingUpdate": {"maxUnavailable": 2}}}});
        let expected = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 2}}}});
        assert_json(&apply(&original, &keep_both), &expected);
    }

    #[test]
    fn retain_keys_must_list_what_the_patch_sets() {
        // apimachinery: "invalid patch format of retainKeys".
        let original = json!({"spec": {"strategy": {"type": "RollingUpdate"}}});
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 2}}}});
        let err = apply_err(&original, &patch);
        assert!(matches!(err, SmpError::BadRetainKeys { ref path, .. } if path == "spec.strategy"), "{err}");
        assert!(err.to_string().starts_with("invalid patch format of retainKeys at spec.strategy"));

        let not_a_list = json!({"spec": {"strategy": {"$retainKeys": "type"}}});
        assert!(matches!(apply_err(&original, &not_a_list), SmpError::BadRetainKeys { .. }));
    }

    #[test]
    fn retain_keys_on_volume_items_switches_the_volume_source() {
        // apimachinery (volumes are `merge,retainKeys`).
        let original = deploy(json!({"volumes": [
            {"name": "v1", "configMap": {"name": "cm"}},
            {"name": "v2", "emptyDir": {}}
        ]}));
        let patch = pod_patch(json!({"volumes": [
            {"name": "v1", "$retainKeys": ["name", "secret"], "secret": {"secretName": "s"}}
        ]}));
        let expected = json!([{"name": "v1", "secret": {"secretName": "s"}}, {"name": "v2", "emptyDir": {}}]);
        assert_json(&pod_spec(&apply(&original, &patch))["volumes"], &expected);

        // Without the directive the sources add up (both tools agree).
        let plain = pod_patch(json!({"volumes": [{"name": "v1", "secret": {"secretName": "s"}}]}));
        let expected = json!({"name": "v1", "configMap": {"name": "cm"}, "secret": {"secretName": "s"}});
        assert_json(&pod_spec(&apply(&original, &plain))["volumes"][0], &expected);
    }

    #[test]
    fn set_element_order_orders_merged_lists() {
        // apimachinery; kustomize does not know $setElementOrder and prints it.
        let original = deploy(json!({"containers": containers(&["a", "b", "c"], "1")}));

        let swap = pod_patch(json!({"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}]}));
        assert_eq!(names(&pod_spec(&apply(&original, &swap))["containers"]), ["b", "c", "a"]);

        let with_new = pod_patch(json!({
            "$setElementOrder/containers": [{"name": "c"}, {"name": "d"}, {"name": "a"}],
            "containers": [{"name": "d", "image": "d"}]
        }));
        assert_eq!(names(&pod_spec(&apply(&original, &with_new))["containers"]), ["b", "c", "d", "a"]);

        let new_first = pod_patch(json!({
            "$setElementOrder/containers": [{"name": "d"}, {"name": "b"}],
            "containers": [{"name": "d", "image": "d"}]
        }));
        assert_eq!(names(&pod_spec(&apply(&original, &new_first))["containers"]), ["d", "a", "b", "c"]);

        let env = deploy(json!({"containers": [{"name": "a", "env": [
            {"name": "E1", "value": "1"}, {"name": "E2", "value": "2"}, {"name": "E3", "value": "3"}
        ]}]}));
        let reorder_env = pod_patch(json!({"containers": [{
            "name": "a",
            "$setElementOrder/env": [{"name": "E3"}, {"name": "E1"}, {"name": "E4"}],
            "env": [{"name": "E4", "value": "4"}, {"name": "E2", "$patch": "delete"}]
        }]}));
        let merged = apply(&env, &reorder_env);
        assert_eq!(names(&pod_spec(&merged)["containers"][0]["env"]), ["E3", "E1", "E4"]);
        assert!(pod_spec(&merged)["containers"][0].get("$setElementOrder/env").is_none());
    }

    #[test]
    fn set_element_order_places_unnamed_items_as_the_api_server_does() {
        // apimachinery: `kubectl apply` replacing container `old` next to an
        // injected `proxy` the manifest does not name.
        let original = deploy(json!({"containers": containers(&["app", "old", "proxy"], "")}));
        let patch = pod_patch(json!({
            "$setElementOrder/containers": [{"name": "app"}, {"name": "new"}],
            "containers": [{"name": "new", "image": "new"}, {"name": "old", "$patch": "delete"}]
        }));
        assert_eq!(names(&pod_spec(&apply(&original, &patch))["containers"]), ["app", "proxy", "new"]);
    }

    #[test]
    fn set_element_order_must_agree_with_the_patch_list() {
        // apimachinery: "The order in patch list ... doesn't match $setElementOrder list".
        let original = deploy(json!({"containers": containers(&["a", "b"], "1")}));
        let patch = pod_patch(json!({
            "$setElementOrder/containers": [{"name": "d"}, {"name": "b"}],
            "containers": [{"name": "b", "image": "bb"}, {"name": "d", "image": "d"}]
        }));
        let err = apply_err(&original, &patch);
        assert!(
            matches!(err, SmpError::BadSetElementOrder { ref path, .. } if path == "spec.template.spec.containers"),
            "{err}"
        );
        let malformed = pod_patch(json!({"$setElementOrder/containers": {"name": "a"}}));
        assert!(matches!(apply_err(&original, &malformed), SmpError::BadSetElementOrder { .. }));
    }

    #[test]
    fn set_element_order_on_a_primitive_list() {
        // apimachinery.
        let original = json!({"metadata": {"finalizers": ["f1", "f2", "f3"]}});
        let only_order = json!({"metadata": {"$setElementOrder/finalizers": ["f3", "f1"]}});
        assert_json(&apply(&original, &only_order), &json!({"metadata": {"finalizers": ["f2", "f3", "f1"]}}));
        let with_new = json!({"metadata": {"$setElementOrder/finalizers": ["f3", "x", "f1"], "finalizers": ["x"]}});
        assert_json(&apply(&original, &with_new), &json!({"metadata": {"finalizers": ["f2", "f3", "x", "f1"]}}));
    }

    #[test]
    fn delete_from_primitive_list_removes_values() {
        // apimachinery; kustomize does not know the directive and prints it.
        let original = json!({"metadata": {"name": "web", "finalizers": ["f1", "f2", "f3"]}});
        let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["f2", "absent"]}});
        assert_json(&apply(&original, &patch), &json!({"metadata": {"name": "web", "finalizers": ["f1", "f3"]}}));

        let add_and_delete = json!({"metadata": {"finalizers": ["x"], "$deleteFromPrimitiveList/finalizers": ["f2"]}});
        let expected = json!({"metadata": {"name": "web", "finalizers": ["x", "f1", "f3"]}});
        assert_json(&apply(&original, &add_and_delete), &expected);

        let bad = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "f2"}});
        assert!(matches!(apply_err(&original, &bad), SmpError::BadDeleteFromPrimitiveList { .. }));
        let malformed = json!({"metadata": {"$deleteFromPrimitiveListfinalizers": ["f2"]}});
        assert!(matches!(apply_err(&original, &malformed), SmpError::BadDeleteFromPrimitiveList { .. }));
    }

    #[test]
    fn directives_and_nulls_never_leak_into_new_values() {
        // kustomize; apimachinery copies new values verbatim (leaving
        // `$patch` and `null` in new list items) and drops a new map that
        // carries `$patch`.
        let original = deploy(json!({"containers": containers(&["a"], "1")}));
        let patch = json!({
            "spec": {
                "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                "template": {
                    "metadata": {"labels": {"$patch": "replace", "x": "y"}},
                    "spec": {
                        "containers": [{
                            "name": "n",
                            "image": null,
                            "resources": {"$patch": "replace", "limits": {"cpu": "1"}},
                            "env": [{"name": "A", "value": "a"}, {"name": "B", "$patch": "delete"}]
                        }],
                        "initContainers": [{"name": "i1", "image": "i"}, {"$patch": "replace"}],
                        "nodeSelector": {"a": null, "b": "c"},
                        "affinity": {"$patch": "delete"}
                    }
                }
            }
        });
        let expected = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "n", "resources": {"limits": {"cpu": "1"}}, "env": [{"name": "A", "value": "a"}]},
                            {"name": "a", "image": "a1"}
                        ],
                        "initContainers": [{"name": "i1", "image": "i"}],
                        "nodeSelector": {"b": "c"}
                    },
                    "metadata": {"labels": {"x": "y"}}
                },
                "strategy": {"type": "Recreate"}
            }
        });
        assert_json(&apply(&original, &patch), &expected);
    }

    #[test]
    fn values_of_another_type_and_atomic_lists_are_replaced() {
        // apimachinery (kustomize refuses a list where a map was).
        let original = deploy(json!({
            "tolerations": [{"key": "k1", "operator": "Exists"}],
            "containers": [{"name": "a", "args": ["x", "y"], "command": "sh"}]
        }));
        let patch = pod_patch(json!({
            "tolerations": [{"key": "k2", "operator": "Exists"}],
            "containers": [{"name": "a", "args": ["z"], "command": ["sh", "-c"]}]
        }));
        let expected = json!({
            "tolerations": [{"key": "k2", "operator": "Exists"}],
            "containers": [{"name": "a", "args": ["z"], "command": ["sh", "-c"]}]
        });
        assert_json(pod_spec(&apply(&original, &patch)), &expected);

        let list_for_map = json!({"spec": {"strategy": [1]}});
        assert_json(&apply(&json!({"spec": {"strategy": {"type": "Recreate"}}}), &list_for_map), &list_for_map);
    }

    #[test]
    fn primitive_lists_accept_a_replace_item() {
        // kustomize; apimachinery rejects a map among strings.
        let original = json!({"metadata": {"finalizers": ["a", "b"]}});
        let patch = json!({"metadata": {"finalizers": [{"$patch": "replace"}, "x"]}});
        assert_json(&apply(&original, &patch), &json!({"metadata": {"finalizers": ["x"]}}));
    }

    #[test]
    fn malformed_merge_lists_are_errors() {
        // apimachinery: "map: map[image:q] does not contain declared merge key: name".
        let original = deploy(json!({"containers": containers(&["a"], "1")}));
        let err = apply_err(
            &original,
            &pod_patch(json!({"containers": [{"image": "q", "env": [{"name": "SECRET", "value": "s3cr3t"}]}]})),
        );
        assert_eq!(
            err,
            SmpError::MissingMergeKey {
                path: "spec.template.spec.containers[0]".into(),
                key: "name".into(),
                keys: "image, env".into()
            }
        );
        assert!(!err.to_string().contains("s3cr3t"));

        // apimachinery: "list element types are not identical".
        let err = apply_err(&json!({"metadata": {"finalizers": ["a"]}}), &json!({"metadata": {"finalizers": [1]}}));
        assert_eq!(err, SmpError::MixedList { path: "metadata.finalizers".into() });
        let err = apply_err(&original, &pod_patch(json!({"containers": ["a"]})));
        assert_eq!(err, SmpError::MixedList { path: "spec.template.spec.containers".into() });
        let err = apply_err(&json!({"metadata": {"finalizers": ["a"]}}), &json!({"metadata": {"finalizers": [["b"]]}}));
        assert_eq!(err, SmpError::ListOfLists { path: "metadata.finalizers".into() });
        let err = apply_err(
            &json!({"metadata": {"finalizers": ["a"]}}),
            &json!({"metadata": {"finalizers": [{"$patch": "delete"}]}}),
        );
        assert_eq!(err, SmpError::MixedList { path: "metadata.finalizers".into() });
    }

    #[test]
    fn documents_must_be_objects() {
        let schema = deployment();
        let err = strategic_merge(&json!({}), &json!([1]), schema.root());
        assert_eq!(err, Err(SmpError::NotAnObject("patch")));
        assert_eq!(strategic_merge(&json!("x"), &json!({}), schema.root()), Err(SmpError::NotAnObject("original")));
        let doc = json!({"metadata": {"name": "web"}});
        assert_eq!(strategic_merge(&doc, &Value::Null, schema.root()), Ok(doc.clone()));
        assert_eq!(strategic_merge(&Value::Null, &doc, schema.root()), Ok(doc));
    }

    #[test]
    fn untyped_documents_follow_json_merge_patch() {
        // kustomize on a custom resource (apimachinery refuses strategic
        // merge patch for custom resources).
        let schema = Schema::untyped();
        let original = json!({
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {
                "items": [{"name": "a", "v": 1}, {"name": "b", "v": 2}],
                "tags": ["x", "y"],
                "nested": {"a": 1, "b": {"c": 2}}
            }
        });
        let patch = json!({
            "spec": {"items": [{"name": "c", "v": 3}], "tags": ["z"], "nested": {"b": {"c": null, "d": 3}}}
        });
        let expected = json!({
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"items": [{"name": "c", "v": 3}], "tags": ["z"], "nested": {"a": 1, "b": {"d": 3}}}
        });
        let merged = strategic_merge(&original, &patch, schema.root()).expect("the patch applies");
        assert_json(&merged, &expected);

        // Map directives still work on untyped values.
        let replace = json!({"spec": {"nested": {"$patch": "replace", "z": 0}}});
        let merged = strategic_merge(&original, &replace, schema.root()).expect("the patch applies");
        assert_json(&merged["spec"]["nested"], &json!({"z": 0}));
    }

    #[test]
    fn the_original_is_left_alone_and_errors_change_nothing() {
        let original = deploy(json!({"containers": containers(&["a"], "1")}));
        let before = original.clone();
        let _ = apply(&original, &pod_patch(json!({"containers": [{"name": "a", "$patch": "delete"}]})));
        let _ = apply_err(&original, &pod_patch(json!({"containers": [{"image": "no name"}]})));
        assert_json(&original, &before);
    }

    #[test]
    fn absurdly_deep_documents_are_refused_without_overflowing() {
        let mut patch = json!("leaf");
        for _ in 0..10_000 {
            let mut map = Map::new();
            map.insert("x".to_owned(), patch);
            patch = Value::Object(map);
        }
        let err = strategic_merge(&json!({}), &patch, Schema::untyped().root()).expect_err("too deep");
        assert!(matches!(err, SmpError::TooDeep { max: MAX_DEPTH, .. }));
        // Dropping such a value recurses too; take it apart level by level.
        while let Value::Object(mut map) = patch {
            patch = map.shift_remove("x").unwrap_or_default();
        }
    }
}
