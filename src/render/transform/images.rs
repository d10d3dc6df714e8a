//! `images:`, as kustomize v5.5 applies each entry:
//!
//! - an image matches an entry when it is the entry's `name`, optionally
//!   followed by `:tag` and/or `@sha256:digest`. The name is taken as a
//!   regular expression, as kustomize does (`ng.nx` matches `nginx`), so a
//!   registry must be written out (`nginx` does not match
//!   `docker.io/nginx`), and `nginx:1.0` matches only that tag;
//! - `newName` replaces the name (tag and digest kept unless replaced);
//!   `newTag` replaces tag and digest; `digest` replaces both too; both
//!   given give `name:tag@digest`; else `tagSuffix` is appended to the tag
//!   and drops the digest;
//! - two passes find images, one after the other: every list named
//!   `containers` or `initContainers` anywhere in an object, then the image
//!   field specs (`spec/containers`, `spec/initContainers` and their
//!   `spec/template/spec` forms, on any kind). So an image both reach gets a
//!   `tagSuffix` twice, exactly as kustomize does; `ephemeralContainers` are
//!   never touched; CustomResourceDefinitions are skipped;
//! - entry fields match case-insensitively; unknown fields, non-string
//!   values and names that are not valid patterns are errors; an image that
//!   is a mapping, or a container list item that is not a mapping, is an error.

use regex::Regex;
use serde_json::Value;

use super::super::resource::Resource;
use super::specs::type_name;
use super::{Config, object, scalar_text, wrong_kind};

/// One `images:` entry.
#[derive(Debug)]
struct Entry {
    new_name: String,
    new_tag: String,
    digest: String,
    tag_suffix: String,
    /// `^name(:tag)?(@sha256:digest)?$`.
    pattern: Regex,
}

pub fn images(resources: &mut [Resource], images: &[Value], cfg: &Config) -> Result<(), String> {
    let entries: Vec<Entry> = images
        .iter()
        .enumerate()
        .map(|(i, v)| entry(v).map_err(|e| format!("[{i}]: {e}")))
        .collect::<Result<_, _>>()?;
    if entries.is_empty() {
        return Ok(());
    }
    for r in resources.iter_mut() {
        if r.obj.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition") {
            continue;
        }
        for e in &entries {
            let what = object(r);
            containers(&mut r.obj, e).map_err(|err| format!("{what}: {err}"))?;
            for spec in &cfg.images {
                spec.apply(&mut r.obj, None, &mut |node| set_image(node, e))?;
            }
        }
    }
    Ok(())
}

/// Parses an entry: `name`, `newName`, `newTag`, `digest`, `tagSuffix`.
fn entry(v: &Value) -> Result<Entry, String> {
    let Value::Object(m) = v else {
        return Err(format!("an image must be a mapping (name, newName, newTag, digest), found {}", type_name(v)));
    };
    let (mut name, mut new_name, mut new_tag, mut digest, mut tag_suffix) =
        (String::new(), String::new(), String::new(), String::new(), String::new());
    for (key, value) in m {
        let slot = match key.to_ascii_lowercase().as_str() {
            "name" => &mut name,
            "newname" => &mut new_name,
            "newtag" => &mut new_tag,
            "digest" => &mut digest,
            "tagsuffix" => &mut tag_suffix,
            _ => return Err(format!("unknown field {key:?} (known: name, newName, newTag, digest, tagSuffix)")),
        };
        *slot = match value {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => return Err(format!("{key}: must be a string, found {} (quote it)", type_name(other))),
        };
    }
    let pattern = Regex::new(&format!("^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"))
        .map_err(|e| format!("name {name:?} is not a valid image name pattern: {e}"))?;
    Ok(Entry { new_name, new_tag, digest, tag_suffix, pattern })
}

/// Every list named `containers` or `initContainers`, at any depth: each item's `image`.
fn containers(v: &mut Value, e: &Entry) -> Result<(), String> {
    match v {
        Value::Object(m) => {
            for (key, child) in m.iter_mut() {
                containers(child, e)?;
                if key != "containers" && key != "initContainers" {
                    continue;
                }
                let Value::Array(items) = child else { continue };
                for item in items {
                    match item {
                        Value::Object(c) => {
                            if let Some(image) = c.get_mut("image") {
                                set_image(image, e)?;
                            }
                        }
                        Value::Null => {}
                        other => return Err(wrong_kind("MappingNode", other)),
                    }
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|item| containers(item, e)),
        _ => Ok(()),
    }
}

/// Rewrites an image reference the entry matches.
fn set_image(node: &mut Value, e: &Entry) -> Result<(), String> {
    if node.is_null() {
        return Ok(());
    }
    let Some(image) = scalar_text(node) else { return Err(wrong_kind("ScalarNode", node)) };
    if let Some(updated) = update(&image, e) {
        *node = Value::String(updated);
    }
    Ok(())
}

/// The new reference for `image`, if the entry matches it.
fn update(image: &str, e: &Entry) -> Option<String> {
    if !e.pattern.is_match(image) {
        return None;
    }
    let (name, mut tag, mut digest) = split(image);
    let name = if e.new_name.is_empty() { name } else { &e.new_name };
    if !e.new_tag.is_empty() {
        tag = e.new_tag.clone();
        digest = e.digest.clone();
    } else if !e.digest.is_empty() {
        tag = String::new();
        digest = e.digest.clone();
    } else if !e.tag_suffix.is_empty() {
        tag.push_str(&e.tag_suffix);
        digest = String::new();
    }
    let mut out = name.to_string();
    if !tag.is_empty() {
        out.push(':');
        out.push_str(&tag);
    }
    if !digest.is_empty() {
        out.push('@');
        out.push_str(&digest);
    }
    Some(out)
}

/// Splits `[host[:port]/]path[:tag][@digest]` into name, tag and digest
/// (a colon before the first slash is a registry port, not a tag).
fn split(image: &str) -> (&str, String, String) {
    let offset = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[offset..];
    let at = search.find('@').map(|i| i + offset);
    let colon = search.find(':').map(|i| i + offset);
    match (colon, at) {
        (None, None) => (image, String::new(), String::new()),
        (c, Some(a)) if c.is_none_or(|c| a < c) => (&image[..a], String::new(), image[a + 1..].to_string()),
        (Some(c), Some(a)) => (&image[..c], image[c + 1..a].to_string(), image[a + 1..].to_string()),
        (Some(c), None) => (&image[..c], image[c + 1..].to_string(), String::new()),
        (None, Some(_)) => (image, String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Resource {
        Resource::new(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {
                "initContainers": [{"name": "i", "image": "nginx:1.0"}],
                "containers": [
                    {"name": "a", "image": "nginx"},
                    {"name": "b", "image": "nginx:1.1@sha256:abc"},
                    {"name": "c", "image": "nginx@sha256:def"},
                    {"name": "d", "image": "docker.io/nginx:1.2"},
                    {"name": "e", "image": "localhost:5000/nginx:1.3"},
                    {"name": "f", "image": "nginx-other:1"},
                    {"name": "g", "image": "library/nginx:2"},
                    {"name": "h"}],
                "ephemeralContainers": [{"name": "eph", "image": "nginx:9"}]}}}}))
    }

    /// The images of [`deployment`] after `entries`: init container, containers, ephemeral container.
    fn run(entries: Value) -> Result<Vec<String>, String> {
        let mut rs = vec![deployment()];
        images(&mut rs, entries.as_array().unwrap(), &Config::builtin())?;
        let spec = &rs[0].obj["spec"]["template"]["spec"];
        let mut out = vec![spec["initContainers"][0]["image"].as_str().unwrap().to_string()];
        for c in spec["containers"].as_array().unwrap() {
            out.push(c.get("image").and_then(Value::as_str).unwrap_or("-").to_string());
        }
        out.push(spec["ephemeralContainers"][0]["image"].as_str().unwrap().to_string());
        Ok(out)
    }

    const UNTOUCHED: [&str; 5] =
        ["docker.io/nginx:1.2", "localhost:5000/nginx:1.3", "nginx-other:1", "library/nginx:2", "-"];

    fn expect(init: &str, first: [&str; 3]) -> Vec<String> {
        let mut v = vec![init.to_string()];
        v.extend(first.iter().map(|s| s.to_string()));
        v.extend(UNTOUCHED.iter().map(|s| s.to_string()));
        v.push("nginx:9".into());
        v
    }

    #[test]
    fn new_tag_replaces_tag_and_digest() {
        assert_eq!(
            run(json!([{"name": "nginx", "newTag": "2.0"}])).unwrap(),
            expect("nginx:2.0", ["nginx:2.0", "nginx:2.0", "nginx:2.0"])
        );
    }

    #[test]
    fn new_name_keeps_tag_and_digest() {
        assert_eq!(
            run(json!([{"name": "nginx", "newName": "my/nginx"}])).unwrap(),
            expect("my/nginx:1.0", ["my/nginx", "my/nginx:1.1@sha256:abc", "my/nginx@sha256:def"])
        );
    }

    #[test]
    fn digest_replaces_the_tag_and_both_together_give_both() {
        assert_eq!(
            run(json!([{"name": "nginx", "digest": "sha256:fff"}])).unwrap(),
            expect("nginx@sha256:fff", ["nginx@sha256:fff", "nginx@sha256:fff", "nginx@sha256:fff"])
        );
        assert_eq!(
            run(json!([{"name": "nginx", "newTag": "v3", "digest": "sha256:fff"}])).unwrap(),
            expect("nginx:v3@sha256:fff", ["nginx:v3@sha256:fff", "nginx:v3@sha256:fff", "nginx:v3@sha256:fff"])
        );
    }

    #[test]
    fn registries_with_ports_and_tagged_names() {
        let out = run(json!([{"name": "localhost:5000/nginx", "newTag": "X"}])).unwrap();
        assert_eq!(out[5], "localhost:5000/nginx:X");
        assert_eq!(out[1], "nginx");
        let out = run(json!([{"name": "nginx:1.0", "newTag": "X"}])).unwrap();
        assert_eq!(out, expect("nginx:X", ["nginx", "nginx:1.1@sha256:abc", "nginx@sha256:def"]));
    }

    #[test]
    fn names_are_patterns_and_fields_match_case_insensitively() {
        assert_eq!(
            run(json!([{"name": "ng.nx", "newtag": "rx"}])).unwrap(),
            expect("nginx:rx", ["nginx:rx", "nginx:rx", "nginx:rx"])
        );
    }

    #[test]
    fn tag_suffix_applies_once_per_pass_that_finds_the_image() {
        assert_eq!(
            run(json!([{"name": "nginx", "tagSuffix": "-debug"}])).unwrap(),
            expect("nginx:1.0-debug-debug", ["nginx:-debug-debug", "nginx:1.1-debug-debug", "nginx:-debug-debug"])
        );
        let mut rs = vec![
            Resource::new(json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
                "spec": {"template": {"spec": {"containers": [{"image": "nginx"}]}},
                    "deep": {"list": [{"containers": [{"image": "nginx"}, {"name": "noimg"}]}],
                        "initContainers": {"image": "nginx"}},
                    "other": {"image": "nginx"}}})),
            Resource::new(json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
                "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "nginx"}]}}}}}})),
            Resource::new(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"image": "nginx"}]}})),
            Resource::new(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "c"}, "spec": {"containers": [{"image": "nginx"}]}})),
        ];
        images(&mut rs, &[json!({"name": "nginx", "tagSuffix": "-s"})], &Config::builtin()).unwrap();
        assert_eq!(
            rs[0].obj["spec"],
            json!({"template": {"spec": {"containers": [{"image": "nginx:-s-s"}]}},
                "deep": {"list": [{"containers": [{"image": "nginx:-s"}, {"name": "noimg"}]}],
                    "initContainers": {"image": "nginx"}},
                "other": {"image": "nginx"}})
        );
        assert_eq!(rs[1].obj.pointer("/spec/jobTemplate/spec/template/spec/containers/0/image").unwrap(), "nginx:-s");
        assert_eq!(rs[2].obj.pointer("/spec/containers/0/image").unwrap(), "nginx:-s-s");
        assert_eq!(rs[3].obj.pointer("/spec/containers/0/image").unwrap(), "nginx");
    }

    #[test]
    fn configured_image_fields() {
        let mut cfg = Config::builtin();
        cfg.merge_file(&json!({"images": [{"path": "spec/img/main", "kind": "Thing"}]})).unwrap();
        let mut rs = vec![Resource::new(json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"img": {"main": "nginx"}}}))];
        images(&mut rs, &[json!({"name": "nginx", "newTag": "v2"})], &cfg).unwrap();
        assert_eq!(rs[0].obj["spec"]["img"]["main"], "nginx:v2");
    }

    #[test]
    fn bad_entries_and_bad_images_are_errors() {
        let e = run(json!([{"name": "nginx", "newTage": "X"}])).unwrap_err();
        assert_eq!(e, "[0]: unknown field \"newTage\" (known: name, newName, newTag, digest, tagSuffix)");
        let e = run(json!([{"name": "nginx", "newTag": 5}])).unwrap_err();
        assert_eq!(e, "[0]: newTag: must be a string, found a number (quote it)");
        let e = run(json!(["nginx"])).unwrap_err();
        assert!(e.starts_with("[0]: an image must be a mapping"), "{e}");
        let e = run(json!([{"name": "ngin[", "newTag": "X"}])).unwrap_err();
        assert!(e.starts_with("[0]: name \"ngin[\" is not a valid image name pattern"), "{e}");

        let mut rs = vec![Resource::new(json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"initContainers": [{"image": {"repo": "x"}}]}}))];
        let e = images(&mut rs, &[json!({"name": "nginx", "newTag": "X"})], &Config::builtin()).unwrap_err();
        assert_eq!(e, "Thing.v1.x.io/t.[noNs]: wrong node kind: expected ScalarNode but got MappingNode");
        let mut rs = vec![Resource::new(json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {"containers": ["scalar"]}}))];
        let e = images(&mut rs, &[json!({"name": "nginx", "newTag": "X"})], &Config::builtin()).unwrap_err();
        assert!(e.ends_with("expected MappingNode but got ScalarNode"), "{e}");
    }

    #[test]
    fn splitting_references() {
        let s = |i: &str| {
            let (n, t, d) = split(i);
            (n.to_string(), t, d)
        };
        assert_eq!(s("nginx"), ("nginx".into(), "".into(), "".into()));
        assert_eq!(s("nginx:1"), ("nginx".into(), "1".into(), "".into()));
        assert_eq!(s("nginx@sha256:x"), ("nginx".into(), "".into(), "sha256:x".into()));
        assert_eq!(s("nginx:1@sha256:x"), ("nginx".into(), "1".into(), "sha256:x".into()));
        assert_eq!(s("host:5000/a/b:1"), ("host:5000/a/b".into(), "1".into(), "".into()));
        assert_eq!(s("host:5000/a/b"), ("host:5000/a/b".into(), "".into(), "".into()));
        assert_eq!(s("host:5000/a@sha256:x"), ("host:5000/a".into(), "".into(), "sha256:x".into()));
    }
}
