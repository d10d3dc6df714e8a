//! RFC 6902 JSON patch operations as kustomize applies them (it uses
//! `evanphx/json-patch` v4.12), including where that library is lenient:
//! - `replace` of a key an object lacks adds it (only list indexes must exist);
//! - negative list indexes count from the end (`-1` in `add` appends);
//! - an operation without `value` uses `null`;
//! - a path's first segment is not checked (`a/b` acts like `/b`).
//!
//! Error texts are the library's (`error in remove for path: '/x': Unable to
//! remove nonexistent key: x: missing value`, `testing value /x failed: test
//! failed`), so that users can search for them.

use serde_json::{Map, Value};

const MISSING: &str = "missing value";
const INVALID_INDEX: &str = "invalid index referenced";

/// Applies `ops` (a JSON array of operations) to `doc` in place. On error the
/// document may be half patched; callers discard it.
pub(super) fn apply(doc: &mut Value, ops: &[Value]) -> Result<(), String> {
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or("unknown");
        match kind {
            "add" => add(doc, op)?,
            "remove" => remove(doc, op)?,
            "replace" => replace(doc, op)?,
            "move" => move_op(doc, op)?,
            "test" => test(doc, op)?,
            "copy" => copy(doc, op)?,
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

/// Checks that parsed ops have the shape of a JSON patch (a list of objects;
/// `null` items are accepted and fail when applied).
pub(super) fn check_shape(ops: &Value) -> Result<&[Value], String> {
    let Value::Array(items) = ops else {
        return Err(format!("json: cannot unmarshal {} into Go value of type jsonpatch.Patch", json_type(ops)));
    };
    for item in items {
        if !(item.is_object() || item.is_null()) {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                json_type(item)
            ));
        }
    }
    Ok(items)
}

/// Go's name of a JSON value's type in decoding errors.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A string field of an operation (`path`, `from`).
fn string_field(op: &Value, name: &str, missing: &str) -> Result<String, String> {
    match op.get(name) {
        None | Some(Value::Null) => Err(format!("{missing}: {MISSING}")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("json: cannot unmarshal {} into Go value of type string", json_type(other))),
    }
}

fn path_of(op: &Value) -> Result<String, String> {
    string_field(op, "path", "operation missing path field")
}

fn from_of(op: &Value) -> Result<String, String> {
    string_field(op, "from", "operation, missing from field")
}

/// The operation's value; a missing value is `null`.
fn value_of(op: &Value) -> Value {
    op.get("value").cloned().unwrap_or(Value::Null)
}

/// Decodes one pointer segment (`~1` is `/`, `~0` is `~`).
fn unescape(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut chars = segment.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('~', Some('1')) => {
                chars.next();
                out.push('/');
            }
            ('~', Some('0')) => {
                chars.next();
                out.push('~');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Go's `strconv.Atoi`, with its error text.
fn atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    }
    s.parse::<i64>().map_err(|_| format!("strconv.Atoi: parsing {s:?}: value out of range"))
}

/// The container holding the value a path points at, and the last segment
/// (unescaped). `None` when the path has no segment or a parent is missing.
fn find_container<'d>(doc: &'d mut Value, path: &str) -> Option<(&'d mut Value, String)> {
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() < 2 {
        return None;
    }
    let (last, parents) = segments.split_last()?;
    let mut cur = doc;
    for part in &parents[1..] {
        let key = unescape(part);
        cur = match cur {
            Value::Object(m) => m.get_mut(&key).filter(|v| !v.is_null())?,
            Value::Array(items) => {
                let i = array_index(items.len(), &key, false).ok()?;
                items.get_mut(i).filter(|v| !v.is_null())?
            }
            _ => return None,
        };
        if !(cur.is_object() || cur.is_array()) {
            return None;
        }
    }
    Some((cur, unescape(last)))
}

/// An existing index of a list of `len` items (negative counts from the end).
fn array_index(len: usize, key: &str, adjusted_in_error: bool) -> Result<usize, String> {
    let idx = atoi(key)?;
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let invalid = |i: i64| format!("Unable to access invalid index: {i}: {INVALID_INDEX}");
    let mut i = idx;
    if i < 0 {
        if i < -len {
            return Err(invalid(i));
        }
        i += len;
    }
    if i >= len {
        return Err(invalid(if adjusted_in_error { i } else { idx }));
    }
    usize::try_from(i).map_err(|_| invalid(idx))
}

/// The value under `key` of a container (`None` for a missing key or `null`).
fn get<'d>(container: &'d Value, key: &str) -> Result<Option<&'d Value>, String> {
    match container {
        Value::Object(m) => Ok(m.get(key).filter(|v| !v.is_null())),
        Value::Array(items) => {
            let i = array_index(items.len(), key, true)?;
            Ok(items.get(i).filter(|v| !v.is_null()))
        }
        _ => Ok(None),
    }
}

/// Adds `value` under `key`: sets an object key, inserts into a list (`-` appends).
fn add_at(container: &mut Value, key: &str, value: Value) -> Result<(), String> {
    match container {
        Value::Object(m) => {
            m.insert(key.to_string(), value);
            Ok(())
        }
        Value::Array(items) => {
            if key == "-" {
                items.push(value);
                return Ok(());
            }
            let idx = atoi(key).map_err(|e| format!("value was not a proper array index: '{key}': {e}"))?;
            let size = i64::try_from(items.len()).unwrap_or(i64::MAX) + 1;
            let invalid = |i: i64| format!("Unable to access invalid index: {i}: {INVALID_INDEX}");
            if idx >= size {
                return Err(invalid(idx));
            }
            let mut i = idx;
            if i < 0 {
                if i < -size {
                    return Err(invalid(idx));
                }
                i += size;
            }
            let i = usize::try_from(i).map_err(|_| invalid(idx))?;
            items.insert(i, value);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Removes the value under `key`.
fn remove_at(container: &mut Value, key: &str) -> Result<Value, String> {
    match container {
        Value::Object(m) => {
            m.shift_remove(key).ok_or_else(|| format!("Unable to remove nonexistent key: {key}: {MISSING}"))
        }
        Value::Array(items) => {
            let i = array_index(items.len(), key, false)?;
            Ok(items.remove(i))
        }
        _ => Ok(Value::Null),
    }
}

/// Sets an existing list index, or any object key.
fn set_at(container: &mut Value, key: &str, value: Value) -> Result<(), String> {
    match container {
        Value::Object(m) => {
            m.insert(key.to_string(), value);
            Ok(())
        }
        Value::Array(items) => {
            let i = array_index(items.len(), key, false)?;
            items[i] = value;
            Ok(())
        }
        _ => Ok(()),
    }
}

fn add(doc: &mut Value, op: &Value) -> Result<(), String> {
    let path = path_of(op).map_err(|_| format!("add operation failed to decode path: {MISSING}"))?;
    let Some((container, key)) = find_container(doc, &path) else {
        return Err(format!("add operation does not apply: doc is missing path: {path:?}: {MISSING}"));
    };
    add_at(container, &key, value_of(op)).map_err(|e| format!("error in add for path: '{path}': {e}"))
}

fn remove(doc: &mut Value, op: &Value) -> Result<(), String> {
    let path = path_of(op).map_err(|_| format!("remove operation failed to decode path: {MISSING}"))?;
    let Some((container, key)) = find_container(doc, &path) else {
        return Err(format!("remove operation does not apply: doc is missing path: {path:?}: {MISSING}"));
    };
    remove_at(container, &key).map(drop).map_err(|e| format!("error in remove for path: '{path}': {e}"))
}

fn replace(doc: &mut Value, op: &Value) -> Result<(), String> {
    let path = path_of(op).map_err(|e| format!("replace operation failed to decode path: {e}"))?;
    if path.is_empty() {
        // The whole document; a value that is not an object is ignored, as in the library.
        if let Some(value @ Value::Object(_)) = op.get("value") {
            *doc = value.clone();
        }
        return Ok(());
    }
    let Some((container, key)) = find_container(doc, &path) else {
        return Err(format!("replace operation does not apply: doc is missing path: {path}: {MISSING}"));
    };
    if get(container, &key).is_err() {
        return Err(format!("replace operation does not apply: doc is missing key: {path}: {MISSING}"));
    }
    set_at(container, &key, value_of(op)).map_err(|e| format!("error in remove for path: '{path}': {e}"))
}

fn move_op(doc: &mut Value, op: &Value) -> Result<(), String> {
    let from = from_of(op).map_err(|e| format!("move operation failed to decode from: {e}"))?;
    let Some((container, key)) = find_container(doc, &from) else {
        return Err(format!("move operation does not apply: doc is missing from path: {from}: {MISSING}"));
    };
    get(container, &key).map_err(|e| format!("error in move for path: '{key}': {e}"))?;
    let value = remove_at(container, &key).map_err(|e| format!("error in move for path: '{key}': {e}"))?;
    let path = path_of(op).map_err(|e| format!("move operation failed to decode path: {e}"))?;
    let Some((container, key)) = find_container(doc, &path) else {
        return Err(format!("move operation does not apply: doc is missing destination path: {path}: {MISSING}"));
    };
    add_at(container, &key, value).map_err(|e| format!("error in move for path: '{path}': {e}"))
}

fn copy(doc: &mut Value, op: &Value) -> Result<(), String> {
    let from = from_of(op).map_err(|e| format!("copy operation failed to decode from: {e}"))?;
    let Some((container, key)) = find_container(doc, &from) else {
        return Err(format!("copy operation does not apply: doc is missing from path: {from}: {MISSING}"));
    };
    let value = get(container, &key).map_err(|e| format!("error in copy for from: '{from}': {e}"))?;
    let value = value.cloned().unwrap_or(Value::Null);
    let path = path_of(op).map_err(|_| format!("copy operation failed to decode path: {MISSING}"))?;
    let Some((container, key)) = find_container(doc, &path) else {
        return Err(format!("copy operation does not apply: doc is missing destination path: {path}: {MISSING}"));
    };
    add_at(container, &key, value).map_err(|e| format!("error while adding value during copy: {e}"))
}

fn test(doc: &mut Value, op: &Value) -> Result<(), String> {
    let path = path_of(op).map_err(|e| format!("test operation failed to decode path: {e}"))?;
    let failed = || format!("testing value {path} failed: test failed");
    let expected = op.get("value").filter(|v| !v.is_null());
    if path.is_empty() {
        return if expected.is_some_and(|e| same(doc, e)) { Ok(()) } else { Err(failed()) };
    }
    let Some((container, key)) = find_container(doc, &path) else {
        return Err(format!("test operation does not apply: is missing path: {path}: {MISSING}"));
    };
    let actual = get(container, &key).map_err(|e| format!("error in test for path: '{path}': {e}"))?;
    match (actual, expected) {
        (None, None) => Ok(()),
        (Some(a), Some(e)) if same(a, e) => Ok(()),
        _ => Err(failed()),
    }
}

/// Structural equality as the library checks it: numbers by value, `null`
/// members of objects equal only to `null`.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => same_map(x, y),
        _ => a == b,
    }
}

fn same_map(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
}
