//! Patch targets: kustomize's `Selector`.
//!
//! `group`, `version`, `kind`, `name` and `namespace` are regular expressions
//! anchored at both ends (`name: web` matches only `web`, `name: web-.*` every
//! `web-` name); an empty or absent field matches anything. `name` matches a
//! resource's current name *or* the name it was read with (before a base's
//! `namePrefix`, say), and `namespace` its current or original namespace, where
//! an object without one is in `default` and a cluster-scoped one in none
//! (`namespace: default` never selects a ClusterRole). `group`, `version` and
//! `kind` match the current ones. `labelSelector` and `annotationSelector` are
//! label selectors (`app=web,tier!=db`) over the labels and annotations.

use std::fmt;

use regex::Regex;
use serde_json::Value;

use super::Selector;
use crate::render::resource::Resource;
use crate::schema::selector::LabelSelector;

/// The fields a target may have, as kustomize spells them.
const FIELDS: [&str; 7] = ["group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"];

impl Selector {
    /// From a kustomization's `target:` mapping; unknown fields are an error
    /// (kustomize's wording). Keys match case-insensitively, as kustomize's
    /// JSON decoding does; `null` values count as absent.
    pub fn from_value(v: &Value) -> Result<Selector, String> {
        let m = match v {
            Value::Null => return Ok(Selector::default()),
            Value::Object(m) => m,
            other => return Err(format!("a patch target must be a mapping, not {}", type_name(other))),
        };
        let mut s = Selector::default();
        for (key, value) in m {
            let Some(field) = FIELDS.iter().find(|f| f.eq_ignore_ascii_case(key)) else {
                return Err(format!("json: unknown field {key:?}"));
            };
            let text = match value {
                Value::Null => continue,
                Value::String(text) => text.clone(),
                other => return Err(format!("target.{field}: must be a string, not {}", type_name(other))),
            };
            let slot = match *field {
                "group" => &mut s.group,
                "version" => &mut s.version,
                "kind" => &mut s.kind,
                "name" => &mut s.name,
                "namespace" => &mut s.namespace,
                "labelSelector" => &mut s.label_selector,
                _ => &mut s.annotation_selector,
            };
            *slot = Some(text).filter(|t| !t.is_empty());
        }
        Ok(s)
    }

    /// Whether the selector picks this resource. Compiles the selector each
    /// time; to test many resources, [`Selector::compile`] once.
    pub fn matches(&self, r: &Resource) -> Result<bool, String> {
        self.compile()?.matches(r)
    }

    /// The selector with its expressions compiled. Errors read as kustomize's
    /// (`unable to find patch target "…" in `resources`: error parsing regexp…`).
    pub(super) fn compile(&self) -> Result<Compiled<'_>, String> {
        let pattern = |field: &Option<String>| -> Result<Option<Regex>, String> {
            match field.as_deref().filter(|p| !p.is_empty()) {
                None => Ok(None),
                Some(p) => Regex::new(&format!("^(?:{p})$"))
                    .map(Some)
                    .map_err(|e| format!("unable to find patch target {:?} in `resources`: {e}", self.to_string())),
            }
        };
        Ok(Compiled {
            selector: self,
            group: pattern(&self.group)?,
            version: pattern(&self.version)?,
            kind: pattern(&self.kind)?,
            name: pattern(&self.name)?,
            namespace: pattern(&self.namespace)?,
        })
    }
}

impl fmt::Display for Selector {
    /// kustomize's form: `Kind.version.group/name.namespace:a=<annotations>:l=<labels>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or = |v: &Option<String>, empty: &'static str| v.clone().filter(|s| !s.is_empty()).unwrap_or(empty.into());
        write!(
            f,
            "{}.{}.{}/{}.{}:a={}:l={}",
            or(&self.kind, "[noKind]"),
            or(&self.version, "[noVer]"),
            or(&self.group, "[noGrp]"),
            or(&self.name, "[noName]"),
            or(&self.namespace, "[noNs]"),
            self.annotation_selector.as_deref().unwrap_or_default(),
            self.label_selector.as_deref().unwrap_or_default(),
        )
    }
}

/// A selector ready to test resources.
pub(super) struct Compiled<'a> {
    selector: &'a Selector,
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
}

impl Compiled<'_> {
    /// Whether the selector picks `r`. A malformed label selector is an error
    /// once a resource gets as far as needing it (as in kustomize).
    pub(super) fn matches(&self, r: &Resource) -> Result<bool, String> {
        let current = r.id_ref();
        let original = r.original_id_ref();
        let any = |re: &Option<Regex>, a: &str, b: &str| re.as_ref().is_none_or(|re| re.is_match(a) || re.is_match(b));
        if !any(&self.namespace, original.effective_namespace(), current.effective_namespace())
            || !any(&self.name, original.name, current.name)
        {
            return Ok(false);
        }
        let one = |re: &Option<Regex>, a: &str| re.as_ref().is_none_or(|re| re.is_match(a));
        if !one(&self.group, current.group) || !one(&self.version, current.version) || !one(&self.kind, current.kind) {
            return Ok(false);
        }
        Ok(self.selects(&self.selector.label_selector, r, "labels")?
            && self.selects(&self.selector.annotation_selector, r, "annotations")?)
    }

    /// Whether a label selector (over `metadata.<field>`) picks `r`.
    fn selects(&self, selector: &Option<String>, r: &Resource, field: &str) -> Result<bool, String> {
        let Some(text) = selector.as_deref().filter(|s| !s.is_empty()) else { return Ok(true) };
        let parsed = LabelSelector::parse(text)
            .map_err(|e| format!("unable to find patch target {:?} in `resources`: {e}", self.selector.to_string()))?;
        let pairs = metadata_strings(&r.obj, field);
        Ok(parsed.matches_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
    }
}

/// `metadata.labels` or `metadata.annotations` as kustomize reads them: every
/// value as its text.
fn metadata_strings(obj: &Value, field: &str) -> Vec<(String, String)> {
    let Some(m) = obj.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_object) else {
        return Vec::new();
    };
    m.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => "null".to_string(),
                Value::Bool(_) | Value::Number(_) => v.to_string(),
                Value::Array(_) | Value::Object(_) => String::new(),
            };
            (k.clone(), text)
        })
        .collect()
}

/// A JSON type's name for messages.
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
