//! The kustomization file (`kustomization.yaml`, `kustomization.yml` or
//! `Kustomization`): kustomize's `Kustomization` (`kustomize.config.k8s.io/v1beta1`)
//! and `Component` (`v1alpha1`), read as kustomize reads it: field names match
//! case-insensitively (as Go's JSON decoding does), unknown fields are an
//! error, deprecated fields are folded into their replacements (`bases` into
//! `resources`, `imageTags` into `images`, `env` into `envs`).
//!
//! Entries whose shape belongs to one transformer (patches, generators,
//! images, replicas, replacements) stay raw [`Value`]s here and are checked by
//! that transformer.

use serde_json::{Map, Value};

use super::fieldspec::FieldSpec;
use super::vars::Var;

/// The file names kustomize looks for, in its order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// `Kustomization` or `Component`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KustKind {
    #[default]
    Kustomization,
    Component,
}

/// One `labels:` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Label {
    pub pairs: Map<String, Value>,
    pub include_selectors: bool,
    pub include_templates: bool,
    pub fields: Vec<FieldSpec>,
}

/// One `patches:` entry (or a `patchesJson6902:` entry, whose `patch` is `jsonOp`-style text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patch {
    pub path: Option<String>,
    pub patch: Option<String>,
    pub target: Option<Value>,
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
}

/// A parsed kustomization file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kustomization {
    pub kind: KustKind,
    pub resources: Vec<String>,
    pub components: Vec<String>,
    pub crds: Vec<String>,
    pub namespace: String,
    pub name_prefix: String,
    pub name_suffix: String,
    pub labels: Vec<Label>,
    pub common_labels: Map<String, Value>,
    pub common_annotations: Map<String, Value>,
    pub patches: Vec<Patch>,
    pub patches_strategic_merge: Vec<String>,
    pub patches_json6902: Vec<Patch>,
    pub images: Vec<Value>,
    pub replicas: Vec<Value>,
    pub replacements: Vec<Value>,
    pub config_map_generator: Vec<Value>,
    pub secret_generator: Vec<Value>,
    pub generator_options: Value,
    pub configurations: Vec<String>,
    pub sort_options: Option<Value>,
    pub build_metadata: Vec<String>,
    /// `generators:` / `transformers:`: builtin plugin configurations, each
    /// inline YAML or a file or directory path (see [`super::plugins`]).
    pub generators: Vec<String>,
    pub transformers: Vec<String>,
    /// `vars:` (deprecated in kustomize, still supported).
    pub vars: Vec<Var>,
}

/// Every top-level field kustomize v5.5 knows, spelled as kustomize spells it.
const FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
    "patchesJson6902",
];

/// Fields kustomize knows that driftless does not run: validator plugins
/// execute programs and Helm fetches charts, which a GitOps applier must not
/// do from a repository's content (builtin `generators:` / `transformers:`
/// run; other plugins are refused when loaded); `openapi` is not implemented.
const REFUSED: &[(&str, &str)] = &[
    ("validators", "validator plugins are not supported"),
    ("helmCharts", "Helm chart inflation is not supported"),
    ("helmChartInflationGenerator", "Helm chart inflation is not supported"),
    ("helmGlobals", "Helm chart inflation is not supported"),
    ("openapi", "custom OpenAPI schemas are not supported"),
];

/// Why a kustomization file was refused.
fn invalid(message: impl std::fmt::Display) -> String {
    format!("invalid Kustomization: {message}")
}

impl Kustomization {
    /// Reads a kustomization document (already parsed from YAML).
    pub fn from_value(doc: &Value) -> Result<Kustomization, String> {
        let fields = match doc {
            Value::Null => return Err("kustomization.yaml is empty".into()),
            Value::Object(m) => canonical_fields(m)?,
            _ => return Err(invalid("json: cannot unmarshal into a Kustomization: not a mapping")),
        };
        if fields.iter().all(|(name, v)| ["apiVersion", "kind"].contains(name) || is_empty(v)) {
            return Err("kustomization.yaml is empty".into());
        }
        let get = |k: &str| fields.iter().find(|(name, _)| *name == k).map(|(_, v)| *v).filter(|v| !v.is_null());
        for (field, why) in REFUSED {
            if let Some(v) = get(field)
                && !is_empty(v)
            {
                return Err(format!("{field}: {why}"));
            }
        }
        let mut k = Kustomization::default();
        let kind = string(get("kind"), "kind")?;
        let api_version = string(get("apiVersion"), "apiVersion")?;
        k.kind = match kind.as_str() {
            "" | "Kustomization" => KustKind::Kustomization,
            "Component" => KustKind::Component,
            _ => return Err("kind should be Kustomization or Component".into()),
        };
        let required = if k.kind == KustKind::Component { COMPONENT_VERSION } else { KUSTOMIZATION_VERSION };
        if !api_version.is_empty() && api_version != required {
            let kind = if kind.is_empty() { "Kustomization" } else { kind.as_str() };
            return Err(format!("apiVersion for {kind} should be {required}"));
        }
        k.resources = strings(get("resources"), "resources")?;
        k.resources.extend(strings(get("bases"), "bases")?);
        k.components = strings(get("components"), "components")?;
        k.crds = strings(get("crds"), "crds")?;
        k.namespace = string(get("namespace"), "namespace")?;
        k.name_prefix = string(get("namePrefix"), "namePrefix")?;
        k.name_suffix = string(get("nameSuffix"), "nameSuffix")?;
        k.common_labels = string_map(get("commonLabels"), "commonLabels")?;
        k.common_annotations = string_map(get("commonAnnotations"), "commonAnnotations")?;
        for (i, l) in list(get("labels"), "labels")?.iter().enumerate() {
            k.labels.push(label(l).map_err(|e| invalid(format!("labels[{i}]: {e}")))?);
        }
        for (i, p) in list(get("patches"), "patches")?.iter().enumerate() {
            k.patches.push(patch(p, false).map_err(|e| invalid(format!("patches[{i}]: {e}")))?);
        }
        for (i, p) in list(get("patchesJson6902"), "patchesJson6902")?.iter().enumerate() {
            k.patches_json6902.push(patch(p, true).map_err(|e| invalid(format!("patchesJson6902[{i}]: {e}")))?);
        }
        k.patches_strategic_merge = strings(get("patchesStrategicMerge"), "patchesStrategicMerge")?;
        k.images = list(get("images"), "images")?;
        k.images.extend(list(get("imageTags"), "imageTags")?);
        k.replicas = list(get("replicas"), "replicas")?;
        k.replacements = list(get("replacements"), "replacements")?;
        k.config_map_generator = list(get("configMapGenerator"), "configMapGenerator")?;
        k.secret_generator = list(get("secretGenerator"), "secretGenerator")?;
        k.generator_options = get("generatorOptions").cloned().unwrap_or(Value::Null);
        if !matches!(k.generator_options, Value::Null | Value::Object(_)) {
            return Err(invalid("generatorOptions: must be a mapping"));
        }
        k.configurations = strings(get("configurations"), "configurations")?;
        k.sort_options = get("sortOptions").cloned();
        k.build_metadata = strings(get("buildMetadata"), "buildMetadata")?;
        k.generators = strings(get("generators"), "generators")?;
        k.transformers = strings(get("transformers"), "transformers")?;
        for (i, v) in list(get("vars"), "vars")?.iter().enumerate() {
            k.vars.push(Var::from_value(v).map_err(|e| invalid(format!("vars[{i}]: {e}")))?);
        }
        Ok(k)
    }
}

/// The document's fields under kustomize's spelling; an unknown field is an error.
fn canonical_fields(m: &Map<String, Value>) -> Result<Vec<(&'static str, &Value)>, String> {
    let mut out: Vec<(&'static str, &Value)> = Vec::with_capacity(m.len());
    for (key, value) in m {
        let name = FIELDS
            .iter()
            .find(|f| **f == key)
            .or_else(|| FIELDS.iter().find(|f| f.eq_ignore_ascii_case(key)))
            .ok_or_else(|| invalid(format!("json: unknown field {key:?}")))?;
        // Go's decoder lets a later spelling of the same field win.
        out.retain(|(n, _)| n != name);
        out.push((name, value));
    }
    Ok(out)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn type_error(field: &str, want: &str, v: &Value) -> String {
    let got = match v {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    };
    invalid(format!("json: cannot unmarshal {got} into Go struct field Kustomization.{field} of type {want}"))
}

fn string(v: Option<&Value>, field: &str) -> Result<String, String> {
    match v {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(type_error(field, "string", other)),
    }
}

fn list(v: Option<&Value>, field: &str) -> Result<Vec<Value>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(other) => Err(type_error(field, "[]", other)),
    }
}

fn strings(v: Option<&Value>, field: &str) -> Result<Vec<String>, String> {
    list(v, field)?
        .into_iter()
        .map(|item| match item {
            Value::String(s) => Ok(s),
            other => Err(type_error(field, "string", &other)),
        })
        .collect()
}

/// A `map[string]string`: values must be strings (kustomize refuses numbers and booleans here).
fn string_map(v: Option<&Value>, field: &str) -> Result<Map<String, Value>, String> {
    match v {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => {
            for val in m.values() {
                if !matches!(val, Value::String(_) | Value::Null) {
                    return Err(type_error(field, "string", val));
                }
            }
            Ok(m.iter().map(|(k, v)| (k.clone(), Value::String(v.as_str().unwrap_or("").to_string()))).collect())
        }
        Some(other) => Err(type_error(field, "map[string]string", other)),
    }
}

fn only_fields(m: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    for key in m.keys() {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(key)) {
            return Err(format!("json: unknown field {key:?}"));
        }
    }
    Ok(())
}

fn field<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    m.get(name)
        .or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
        .filter(|v| !v.is_null())
}

fn flag(m: &Map<String, Value>, name: &str) -> Result<bool, String> {
    match field(m, name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{name}: must be true or false")),
    }
}

fn label(v: &Value) -> Result<Label, String> {
    let m = v.as_object().ok_or("must be a mapping")?;
    only_fields(m, &["pairs", "includeSelectors", "includeTemplates", "fields"])?;
    let pairs = string_map(field(m, "pairs"), "pairs")?;
    let fields = match field(m, "fields") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(FieldSpec::from_value).collect::<Result<_, _>>()?,
        Some(_) => return Err("fields: must be a list".into()),
    };
    Ok(Label {
        pairs,
        include_selectors: flag(m, "includeSelectors")?,
        include_templates: flag(m, "includeTemplates")?,
        fields,
    })
}

fn patch(v: &Value, json6902: bool) -> Result<Patch, String> {
    let m = v.as_object().ok_or("must be a mapping")?;
    only_fields(m, if json6902 { &["path", "patch", "target"] } else { &["path", "patch", "target", "options"] })?;
    let text = |name: &str| -> Result<Option<String>, String> {
        match field(m, name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{name}: must be a string")),
        }
    };
    let mut p =
        Patch { path: text("path")?, patch: text("patch")?, target: field(m, "target").cloned(), ..Default::default() };
    if let Some(options) = field(m, "options") {
        let o = options.as_object().ok_or("options: must be a mapping")?;
        for (k, v) in o {
            let b = v.as_bool().ok_or_else(|| format!("options.{k}: must be true or false"))?;
            match k.as_str() {
                "allowNameChange" => p.allow_name_change = b,
                "allowKindChange" => p.allow_kind_change = b,
                _ => {}
            }
        }
    }
    if json6902 && p.target.is_none() {
        return Err("must specify a target for patch".into());
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deprecated_fields_fold_into_their_replacements() {
        let k = Kustomization::from_value(&json!({
            "Resources": ["a.yaml"], "bases": ["../base"], "imageTags": [{"name": "nginx"}],
            "namePrefix": "p-", "commonLabels": {"app": "x"}
        }))
        .unwrap();
        assert_eq!(k.resources, vec!["a.yaml", "../base"]);
        assert_eq!(k.images.len(), 1);
        assert_eq!(k.name_prefix, "p-");
        assert_eq!(k.kind, KustKind::Kustomization);
    }

    #[test]
    fn bad_files_are_refused_the_way_kustomize_says_it() {
        let e = Kustomization::from_value(&json!({"resources": ["a"], "bogus": 1})).unwrap_err();
        assert_eq!(e, "invalid Kustomization: json: unknown field \"bogus\"");
        let e = Kustomization::from_value(&json!({"apiVersion": "v1", "kind": "Kustomization"})).unwrap_err();
        assert_eq!(e, "kustomization.yaml is empty");
        let e = Kustomization::from_value(&json!({"kind": "Component", "apiVersion": KUSTOMIZATION_VERSION,
            "resources": ["a"]}))
        .unwrap_err();
        assert!(e.contains("apiVersion for Component should be kustomize.config.k8s.io/v1alpha1"), "{e}");
        let e = Kustomization::from_value(&json!({"namePrefix": ["x"]})).unwrap_err();
        assert!(e.contains("cannot unmarshal array"), "{e}");
        let e = Kustomization::from_value(&json!({"helmCharts": [{"name": "x"}]})).unwrap_err();
        assert!(e.contains("Helm chart inflation is not supported"), "{e}");
        let e = Kustomization::from_value(&json!({"patchesJson6902": [{"path": "p.yaml"}]})).unwrap_err();
        assert!(e.contains("must specify a target"), "{e}");
    }
}
