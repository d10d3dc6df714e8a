//! `replicas:`, as kustomize v5.5 applies each entry:
//!
//! - an entry matches objects by name — the current one or any it had
//!   before (so the name a base used still works after a prefix) — and by
//!   the kinds of the replicas field specs: Deployment, ReplicaSet,
//!   StatefulSet and ReplicationController of any group (not DaemonSet);
//! - `spec.replicas` is set, created when missing, to `count`, an integer
//!   (a missing count is 0; a whole number written as `1e3` is accepted, a
//!   fraction or a string is an error);
//! - an entry that matches nothing is an error;
//! - entry fields match case-insensitively; unknown fields are errors.

use serde_json::{Number, Value};

use super::super::resource::Resource;
use super::specs::{gvk_string, type_name};
use super::{Config, wrong_kind};

/// One `replicas:` entry.
#[derive(Debug)]
struct Entry {
    name: String,
    count: i64,
}

pub fn replicas(resources: &mut [Resource], replicas: &[Value], cfg: &Config) -> Result<(), String> {
    let entries: Vec<Entry> = replicas
        .iter()
        .enumerate()
        .map(|(i, v)| entry(v).map_err(|e| format!("[{i}]: {e}")))
        .collect::<Result<_, _>>()?;
    let mut found = vec![false; entries.len()];
    for r in resources.iter_mut() {
        let ids: Vec<_> = std::iter::once(r.id()).chain(r.prev_ids.iter().cloned()).collect();
        for (i, e) in entries.iter().enumerate() {
            for spec in &cfg.replicas {
                if !ids.iter().any(|id| id.name == e.name && spec.gvk.selects(&id.gvk)) {
                    continue;
                }
                found[i] = true;
                spec.apply(&mut r.obj, Some(Value::Number(Number::from(0))), &mut |node| set_count(node, e.count))?;
            }
        }
    }
    if let Some(i) = found.iter().position(|f| !f) {
        let kinds: Vec<String> = cfg.replicas.iter().map(|s| gvk_string(&s.gvk)).collect();
        return Err(format!(
            "resource with name {} does not match a config with the following GVK [{}]",
            entries[i].name,
            kinds.join(" ")
        ));
    }
    Ok(())
}

fn entry(v: &Value) -> Result<Entry, String> {
    let Value::Object(m) = v else {
        return Err(format!("a replicas entry must be a mapping (name, count), found {}", type_name(v)));
    };
    let mut e = Entry { name: String::new(), count: 0 };
    for (key, value) in m {
        match key.to_ascii_lowercase().as_str() {
            "name" => {
                e.name = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => return Err(format!("{key}: must be a string, found {}", type_name(other))),
                }
            }
            "count" => e.count = count(value).map_err(|err| format!("{key}: {err}"))?,
            _ => return Err(format!("unknown field {key:?} (known: name, count)")),
        }
    }
    Ok(e)
}

/// A count: an integer that fits 64 bits (`null` is 0).
fn count(v: &Value) -> Result<i64, String> {
    match v {
        Value::Null => Ok(0),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Ok(i);
            }
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Ok(f as i64),
                _ => Err(format!("cannot use {n} as a replica count (a whole number is needed)")),
            }
        }
        other => Err(format!("must be a number, found {}", type_name(other))),
    }
}

fn set_count(node: &mut Value, count: i64) -> Result<(), String> {
    match node {
        Value::Array(_) | Value::Object(_) => Err(wrong_kind("ScalarNode", node)),
        _ => {
            *node = Value::Number(Number::from(count));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objs() -> Vec<Resource> {
        [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 1}}),
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"}}),
            json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "web"}, "spec": {}}),
            json!({"apiVersion": "x.io/v1", "kind": "Deployment", "metadata": {"name": "web"}}),
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "web"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}}),
        ]
        .into_iter()
        .map(Resource::new)
        .collect()
    }

    fn counts(rs: &[Resource]) -> Vec<Value> {
        rs.iter().map(|r| r.obj.pointer("/spec/replicas").cloned().unwrap_or(Value::Null)).collect()
    }

    #[test]
    fn sets_the_count_on_the_kinds_kustomize_scales() {
        let mut rs = objs();
        replicas(&mut rs, &[json!({"name": "web", "count": 3})], &Config::builtin()).unwrap();
        assert_eq!(counts(&rs), vec![json!(3), json!(3), json!(3), json!(3), Value::Null, Value::Null]);
        let mut rs = objs();
        replicas(&mut rs, &[json!({"Name": "web", "COUNT": 1e3})], &Config::builtin()).unwrap();
        assert_eq!(counts(&rs)[0], json!(1000));
        let mut rs = objs();
        replicas(&mut rs, &[json!({"name": "web"})], &Config::builtin()).unwrap();
        assert_eq!(counts(&rs)[1], json!(0));
        let mut rs = objs();
        replicas(&mut rs, &[json!({"name": "web", "count": -1})], &Config::builtin()).unwrap();
        assert_eq!(counts(&rs)[2], json!(-1));
    }

    #[test]
    fn earlier_names_match_too() {
        let mut rs = objs();
        rs.truncate(1);
        rs[0].remember_id();
        rs[0].set_name("p-web");
        replicas(&mut rs, &[json!({"name": "web", "count": 2})], &Config::builtin()).unwrap();
        assert_eq!(counts(&rs), vec![json!(2)]);
        replicas(&mut rs, &[json!({"name": "p-web", "count": 4})], &Config::builtin()).unwrap();
        assert_eq!(counts(&rs), vec![json!(4)]);
    }

    #[test]
    fn no_match_and_bad_entries_are_errors() {
        let mut rs = objs();
        let e = replicas(&mut rs, &[json!({"name": "other", "count": 3})], &Config::builtin()).unwrap_err();
        assert_eq!(
            e,
            "resource with name other does not match a config with the following GVK [Deployment.[noVer].[noGrp] \
             StatefulSet.[noVer].[noGrp] ReplicaSet.[noVer].[noGrp] ReplicationController.[noVer].[noGrp]]"
        );
        let e = replicas(&mut rs, &[json!({"name": "web", "count": "3"})], &Config::builtin()).unwrap_err();
        assert_eq!(e, "[0]: count: must be a number, found a string");
        let e = replicas(&mut rs, &[json!({"name": "web", "count": 2.5})], &Config::builtin()).unwrap_err();
        assert_eq!(e, "[0]: count: cannot use 2.5 as a replica count (a whole number is needed)");
        let e = replicas(&mut rs, &[json!({"name": "web", "count": 1, "extra": 1})], &Config::builtin()).unwrap_err();
        assert_eq!(e, "[0]: unknown field \"extra\" (known: name, count)");
        let mut rs = vec![Resource::new(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": {}}}),
        )];
        let e = replicas(&mut rs, &[json!({"name": "web", "count": 1})], &Config::builtin()).unwrap_err();
        assert!(e.contains("considering field 'spec/replicas'"), "{e}");
        assert!(e.ends_with("expected ScalarNode but got MappingNode"), "{e}");
    }
}
