//! Field specs: where in which kinds a transformer acts (kustomize's
//! `fieldSpecs`). A spec names a group/version/kind (empty fields match any)
//! and a `/`-separated path; lists on the way are entered item by item
//! (`containers[]` says so explicitly, a plain name does it too); `create`
//! makes missing maps along the path.

use serde_json::{Map, Value};

use super::resource::Gvk;

/// One field spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    pub gvk: Gvk,
    pub path: String,
    pub create: bool,
    /// `path` split into its segments once.
    segments: Vec<String>,
}

impl FieldSpec {
    pub fn new(group: &str, version: &str, kind: &str, path: &str, create: bool) -> FieldSpec {
        FieldSpec {
            gvk: Gvk { group: group.into(), version: version.into(), kind: kind.into() },
            path: path.into(),
            create,
            segments: split_path(path),
        }
    }

    /// Parses a field spec from a kustomization or configuration file
    /// (`{group, version, kind, path, create}`).
    pub fn from_value(v: &Value) -> Result<FieldSpec, String> {
        let m = v.as_object().ok_or("a field spec must be a mapping")?;
        let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        for k in m.keys() {
            if !["group", "version", "kind", "path", "create"].contains(&k.as_str()) {
                return Err(format!("unknown field {k:?} in a field spec"));
            }
        }
        let create = match m.get("create") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("create must be true or false".into()),
        };
        let path = s("path");
        Ok(FieldSpec {
            gvk: Gvk { group: s("group"), version: s("version"), kind: s("kind") },
            segments: split_path(&path),
            path,
            create,
        })
    }

    /// The path's segments; `\/` escapes a slash inside a key.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Calls `set` on every value at this spec's path in `obj` when the spec
    /// selects `obj`'s kind. With `create`, a missing final field is created
    /// as `create_as` (missing maps on the way are created too) before `set` sees it.
    pub fn apply(
        &self,
        obj: &mut Value,
        create_as: Option<Value>,
        set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
    ) -> Result<(), String> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if !self.gvk.selects_object(api_version, obj.get("kind").and_then(Value::as_str).unwrap_or("")) {
            return Ok(());
        }
        self.apply_any_kind(obj, create_as, set)
    }

    /// [`apply`](Self::apply) without the kind check (the caller has already chosen the object).
    pub fn apply_any_kind(
        &self,
        obj: &mut Value,
        create_as: Option<Value>,
        set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
    ) -> Result<(), String> {
        let create = if self.create { create_as } else { None };
        walk(obj, &self.segments, create.as_ref(), set)
            .map_err(|e| format!("considering field '{}' of object {}: {e}", self.path, describe(obj)))
    }
}

fn describe(obj: &Value) -> String {
    let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    format!("{} {}", s("/kind"), s("/metadata/name"))
}

/// Splits a field-spec path at `/`, honouring `\/` escapes.
pub fn split_path(path: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                chars.next();
                out.last_mut().unwrap().push('/');
            }
            '/' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn walk(
    v: &mut Value,
    path: &[String],
    create: Option<&Value>,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let Some((head, rest)) = path.split_first() else { return set(v) };
    match v {
        Value::Null => Ok(()),
        Value::Array(items) => {
            for item in items {
                walk(item, path, create, set)?;
            }
            Ok(())
        }
        Value::Object(m) => {
            let (name, is_seq) = match head.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (head.as_str(), false),
            };
            if name.is_empty() {
                return Err("cannot set or create an empty field name".into());
            }
            if !m.contains_key(name) || m.get(name).is_some_and(Value::is_null) {
                match create {
                    Some(_) if is_seq => return Ok(()),
                    Some(leaf) if rest.is_empty() => {
                        m.insert(name.to_string(), leaf.clone());
                    }
                    Some(_) => {
                        m.insert(name.to_string(), Value::Object(Map::new()));
                    }
                    None => return Ok(()),
                }
            }
            walk(m.get_mut(name).expect("present"), rest, create, set)
        }
        _ => Err("expected sequence or mapping node".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set_all(fs: &FieldSpec, obj: &mut Value, create: Option<Value>) -> usize {
        let mut n = 0;
        fs.apply(obj, create, &mut |v| {
            n += 1;
            *v = json!("set");
            Ok(())
        })
        .unwrap();
        n
    }

    #[test]
    fn paths_enter_lists_and_create_maps_when_asked() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": [{"image": "a"}, {"image": "b"}]}}}});
        let images = FieldSpec::new("", "", "", "spec/template/spec/containers[]/image", false);
        assert_eq!(set_all(&images, &mut d, None), 2);
        assert_eq!(d.pointer("/spec/template/spec/containers/1/image").unwrap(), "set");
        let labels = FieldSpec::new("apps", "", "Deployment", "spec/selector/matchLabels", true);
        assert_eq!(set_all(&labels, &mut d, Some(json!({}))), 1);
        assert_eq!(d.pointer("/spec/selector/matchLabels").unwrap(), "set");
        let other = FieldSpec::new("", "", "Service", "spec/selector", true);
        assert_eq!(set_all(&other, &mut d, Some(json!({}))), 0);
        let absent = FieldSpec::new("", "", "", "spec/missing/x", false);
        assert_eq!(set_all(&absent, &mut d, None), 0);
    }

    #[test]
    fn escaped_slashes_stay_in_keys() {
        assert_eq!(split_path(r"metadata/annotations/a.io\/b"), vec!["metadata", "annotations", "a.io/b"]);
    }
}
