//! kustomize's builtin plugins, configured through a kustomization's
//! `generators:` and `transformers:` fields, as kustomize v5.5 runs them.
//!
//! An entry of those fields is inline YAML (documents that read as objects),
//! a file of plugin configurations, or a kustomization directory whose output
//! is plugin configurations. Inline configurations come first, then files and
//! directories, each in the order listed (kustomize's loading order). A
//! configuration is an object with `apiVersion: builtin` and the plugin's kind
//! (`LabelTransformer`, `ConfigMapGenerator`…); its fields configure that
//! plugin. Fields a plugin does not know are ignored, as kustomize ignores them.
//!
//! Each plugin maps onto the transformer or generator the kustomization fields
//! use, but with only its own configuration: a plugin's `fieldSpecs` are the
//! only fields it touches (no built-in defaults, no `configurations:` files),
//! so a `LabelTransformer` without `fieldSpecs` changes nothing. Generators do
//! not take the kustomization's `generatorOptions`. Files a configuration
//! names (patch paths, generator inputs, replacement files) are read relative
//! to the kustomization that lists the plugin, inside its directory.
//!
//! Only builtin plugins run: a configuration of any other `apiVersion` (exec,
//! container or KRM-function plugins) is refused, because rendering never runs
//! programs from a repository. Helm chart inflation is refused too, and
//! `SortOrderTransformer` is not a builtin plugin in kustomize either.

use serde_json::{Map, Value};

use super::engine::objects_of;
use super::fieldspec::FieldSpec;
use super::generators::{self, GeneratorKind};
use super::patch::{self, PatchOptions, Selector};
use super::resource::{Behavior, ResId, Resource};
use super::transform::{self, Config, NamespaceOptions, SubjectMode};
use super::{replacements, yaml};

/// The `apiVersion` of builtin plugin configurations.
pub const BUILTIN_API_VERSION: &str = "builtin";

/// Which list a configuration was named in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Generator,
    Transformer,
}

/// Reads a file named relative to the kustomization that lists the plugin.
pub type ReadFile<'a> = dyn FnMut(&str) -> Result<Vec<u8>, String> + 'a;

/// The plugin configurations an inline `generators:` / `transformers:` entry
/// holds, or `None` when the entry is not inline YAML objects (then it names
/// a file or directory). `file` is the kustomization file, the configurations' origin.
pub fn inline_configs(entry: &str, file: &str) -> Option<Vec<Resource>> {
    let docs = yaml::parse_documents(entry).ok()?;
    let objects = objects_of(docs).ok()?;
    Some(
        objects
            .into_iter()
            .map(|o| {
                let mut r = Resource::new(o);
                r.origin = Some(file.to_string());
                r
            })
            .collect(),
    )
}

/// A builtin plugin, configured.
#[derive(Debug)]
pub struct Plugin {
    /// The configuration's id (`LabelTransformer.builtin.[noGrp]/name.[noNs]`), for messages.
    id: ResId,
    /// The file the configuration was read from (the kustomization file for an inline one).
    origin: String,
    action: Action,
}

/// What a plugin does, with its configuration parsed.
#[derive(Debug)]
enum Action {
    /// A ConfigMap or Secret from generator arguments (in the kustomization's `configMapGenerator:` shape).
    Generate(GeneratorKind, Value),
    /// A GKE ServiceAccount bound to a Google service account.
    IamPolicy {
        namespace: String,
        name: String,
        account: String,
    },
    Annotations {
        pairs: Map<String, Value>,
        specs: Vec<FieldSpec>,
    },
    Labels {
        pairs: Map<String, Value>,
        specs: Vec<FieldSpec>,
    },
    Namespace {
        namespace: String,
        specs: Vec<FieldSpec>,
        options: NamespaceOptions,
    },
    Affix {
        prefix: String,
        suffix: String,
        specs: Vec<FieldSpec>,
    },
    ImageTag {
        image: Value,
        specs: Vec<FieldSpec>,
    },
    Replicas {
        replica: Value,
        specs: Vec<FieldSpec>,
    },
    /// A `patches:` entry: the text (inline or read), its source for messages, target and options.
    Patch {
        text: String,
        source: String,
        target: Option<Selector>,
        options: PatchOptions,
    },
    /// Strategic merge patches (each the text of one `paths` entry or of `patches`, with its source).
    StrategicMerge(Vec<(String, String)>),
    Json6902 {
        ops: String,
        source: String,
        target: Selector,
    },
    Replacements(Vec<Value>),
    /// Appends content hashes to generated objects' names now.
    Hash,
}

impl Plugin {
    /// Configures the plugin a configuration object describes; `read` loads
    /// files the configuration names. A configuration that is not a builtin
    /// plugin of `role` is an error naming it.
    pub fn configure(config: &Resource, role: Role, read: &mut ReadFile<'_>) -> Result<Plugin, String> {
        let id = config.id();
        let origin = config.origin.clone().unwrap_or_default();
        let kind = id.gvk.kind.as_str();
        if !id.gvk.group.is_empty() || id.gvk.version != BUILTIN_API_VERSION {
            return Err(format!(
                "{id} ({origin}): external plugins disabled; unable to load external plugin '{kind}': only \
                 kustomize's builtin plugins (apiVersion: builtin) run; exec, container and KRM-function \
                 plugins are never run from a repository"
            ));
        }
        let is_generator = matches!(
            kind,
            "ConfigMapGenerator" | "SecretGenerator" | "IAMPolicyGenerator" | "HelmChartInflationGenerator"
        );
        let is_transformer = TRANSFORMERS.contains(&kind);
        if !is_generator && !is_transformer {
            return Err(format!("{id} ({origin}): unable to load builtin {}", gvk_text(config)));
        }
        match role {
            Role::Generator if !is_generator => return Err(format!("plugin {id} ({origin}) not a generator")),
            Role::Transformer if !is_transformer => return Err(format!("plugin {id} ({origin}) not a transformer")),
            _ => {}
        }
        let m = config.obj.as_object().cloned().unwrap_or_default();
        let action =
            action(kind, &m, config, read).map_err(|e| format!("plugin {id} ({origin}) fails configuration: {e}"))?;
        Ok(Plugin { id, origin, action })
    }

    /// The objects a generator makes (nothing for a transformer), each with
    /// its origin set to this configuration. `read` loads generator inputs.
    pub fn generate(&self, read: &mut ReadFile<'_>) -> Result<Vec<Resource>, String> {
        let fail = |e: String| format!("plugin {} ({}): {e}", self.id, self.origin);
        let mut r = match &self.action {
            Action::Generate(kind, args) => generators::generate(*kind, args, &Value::Null, read).map_err(fail)?,
            Action::IamPolicy { namespace, name, account } => {
                let mut md = Map::new();
                md.insert(
                    "annotations".into(),
                    Value::Object(Map::from_iter([(
                        "iam.gke.io/gcp-service-account".to_string(),
                        Value::String(account.clone()),
                    )])),
                );
                md.insert("name".into(), Value::String(name.clone()));
                if !namespace.is_empty() {
                    md.insert("namespace".into(), Value::String(namespace.clone()));
                }
                let mut obj = Map::new();
                obj.insert("apiVersion".into(), Value::String("v1".into()));
                obj.insert("kind".into(), Value::String("ServiceAccount".into()));
                obj.insert("metadata".into(), Value::Object(md));
                let mut r = Resource::new(Value::Object(obj));
                r.behavior = Some(Behavior::Create);
                r
            }
            _ => return Ok(Vec::new()),
        };
        r.origin = Some(self.record());
        Ok(vec![r])
    }

    /// Runs a transformer over the objects (a generator changes nothing).
    pub fn transform(&self, resources: &mut Vec<Resource>) -> Result<(), String> {
        self.run(resources).map_err(|e| format!("plugin {} ({}): {e}", self.id, self.origin))
    }

    fn run(&self, resources: &mut Vec<Resource>) -> Result<(), String> {
        match &self.action {
            Action::Generate(..) | Action::IamPolicy { .. } => Ok(()),
            Action::Annotations { pairs, specs } => {
                let cfg = Config { common_annotations: specs.clone(), ..Config::default() };
                transform::annotations(resources, pairs, &cfg)
            }
            Action::Labels { pairs, specs } => {
                let cfg = Config { common_labels: specs.clone(), ..Config::default() };
                transform::common_labels(resources, pairs, &cfg)
            }
            Action::Namespace { namespace, specs, options } => {
                let cfg = Config { namespace: specs.clone(), ..Config::default() };
                transform::namespace_with(resources, namespace, &cfg, *options)
            }
            Action::Affix { prefix, suffix, specs } => {
                let cfg = Config { name_prefix: specs.clone(), name_suffix: specs.clone(), ..Config::default() };
                transform::prefix_suffix(resources, prefix, "", &cfg)?;
                transform::prefix_suffix(resources, "", suffix, &cfg)
            }
            Action::ImageTag { image, specs } => {
                let cfg = Config { images: specs.clone(), ..Config::default() };
                transform::images(resources, std::slice::from_ref(image), &cfg)
            }
            Action::Replicas { replica, specs } => {
                let cfg = Config { replicas: specs.clone(), ..Config::default() };
                transform::replicas(resources, std::slice::from_ref(replica), &cfg)
            }
            Action::Patch { text, source, target, options } => {
                patch::apply_patch(resources, text, target.as_ref(), *options, source)
            }
            Action::StrategicMerge(patches) => {
                for (text, source) in patches {
                    patch::apply_strategic_merge_patches(resources, text, source)?;
                }
                Ok(())
            }
            Action::Json6902 { ops, source, target } => patch::apply_json6902_patch(resources, ops, target, source),
            Action::Replacements(list) => replacements::replacements(resources, list),
            Action::Hash => hash_names(resources),
        }
    }

    /// How build metadata names this configuration: `<file>#<Kind>#<name>#<namespace>`
    /// (the format of [`Resource::transformations`] and of a generated object's origin).
    pub fn record(&self) -> String {
        format!("{}#{}#{}#{}", self.origin, self.id.gvk.kind, self.id.name, self.id.namespace)
    }
}

/// The builtin transformer kinds (kustomize's transformer factories).
const TRANSFORMERS: &[&str] = &[
    "AnnotationsTransformer",
    "HashTransformer",
    "ImageTagTransformer",
    "LabelTransformer",
    "NamespaceTransformer",
    "PatchJson6902Transformer",
    "PatchStrategicMergeTransformer",
    "PatchTransformer",
    "PrefixSuffixTransformer",
    "PrefixTransformer",
    "SuffixTransformer",
    "ReplacementTransformer",
    "ReplicaCountTransformer",
    "ValueAddTransformer",
];

/// kustomize's `Kind.version.group` form of an object's kind.
fn gvk_text(r: &Resource) -> String {
    let g = r.gvk();
    let or = |s: &str, d: &'static str| if s.is_empty() { d.to_string() } else { s.to_string() };
    format!("{}.{}.{}", or(&g.kind, "[noKind]"), or(&g.version, "[noVer]"), or(&g.group, "[noGrp]"))
}

type Fields = Map<String, Value>;

/// Parses one configuration into what the plugin does.
fn action(kind: &str, m: &Fields, config: &Resource, read: &mut ReadFile<'_>) -> Result<Action, String> {
    Ok(match kind {
        "ConfigMapGenerator" => Action::Generate(GeneratorKind::ConfigMap, generator_args(m, config, false)),
        "SecretGenerator" => Action::Generate(GeneratorKind::Secret, generator_args(m, config, true)),
        "IAMPolicyGenerator" => iam_policy(m)?,
        "HelmChartInflationGenerator" => return Err("Helm chart inflation is not supported".into()),
        "AnnotationsTransformer" => {
            Action::Annotations { pairs: string_map(m, "annotations")?, specs: specs(m)?.unwrap_or_default() }
        }
        "LabelTransformer" => Action::Labels { pairs: string_map(m, "labels")?, specs: specs(m)?.unwrap_or_default() },
        "NamespaceTransformer" => namespace(m, config)?,
        "PrefixSuffixTransformer" | "PrefixTransformer" | "SuffixTransformer" => {
            let specs = specs(m)?.ok_or("fieldSpecs is not expected to be nil")?;
            let prefix = if kind == "SuffixTransformer" { String::new() } else { string(m, "prefix")? };
            let suffix = if kind == "PrefixTransformer" { String::new() } else { string(m, "suffix")? };
            Action::Affix { prefix, suffix, specs }
        }
        "ImageTagTransformer" => Action::ImageTag {
            image: stringified(
                known(m, "imageTag", &["name", "newName", "newTag", "digest", "tagSuffix"])?,
                "imageTag",
            )?,
            specs: specs(m)?.unwrap_or_default(),
        },
        "ReplicaCountTransformer" => {
            Action::Replicas { replica: known(m, "replica", &["name", "count"])?, specs: specs(m)?.unwrap_or_default() }
        }
        "PatchTransformer" => patch_transformer(m, config, read)?,
        "PatchStrategicMergeTransformer" => strategic_merge(m, config, read)?,
        "PatchJson6902Transformer" => json6902(m, config, read)?,
        "ReplacementTransformer" => Action::Replacements(replacement_list(m, read)?),
        "HashTransformer" => Action::Hash,
        "ValueAddTransformer" => return Err("ValueAddTransformer is not supported".into()),
        other => return Err(format!("unable to load builtin {other}")),
    })
}

/// A field, its name matched case-insensitively (Go's JSON decoding); `null` is absent.
fn field<'a>(m: &'a Fields, name: &str) -> Option<&'a Value> {
    m.get(name)
        .or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
        .filter(|v| !v.is_null())
}

fn type_error(name: &str, want: &str, v: &Value) -> String {
    let got = match v {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    };
    format!("json: cannot unmarshal {got} into field {name} of type {want}")
}

/// A Go `string` field: kustomize decodes plugin configurations with
/// `sigs.k8s.io/yaml`, which turns a scalar given for a string into its text
/// (`1` → `"1"`, `true` → `"true"`, `null` → `""`).
fn string(m: &Fields, name: &str) -> Result<String, String> {
    match field(m, name) {
        None => Ok(String::new()),
        Some(v) => go_string(v).ok_or_else(|| type_error(name, "string", v)),
    }
}

/// A scalar as Go's YAML decoding writes it into a string; `None` for a list or mapping.
fn go_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) if n.is_f64() => n.as_f64().map(go_float),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A float as Go's `strconv.FormatFloat(f, 'g', -1, 64)` prints it: the
/// shortest digits that read back as `f`, in exponent form (`1.5e+07`) when
/// the decimal exponent is below -4 or at least 6.
fn go_float(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let text = f.to_string();
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

fn boolean(m: &Fields, name: &str) -> Result<bool, String> {
    match field(m, name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(type_error(name, "bool", other)),
    }
}

/// A `map[string]string` field (absent: empty).
fn string_map(m: &Fields, name: &str) -> Result<Map<String, Value>, String> {
    match field(m, name) {
        None => Ok(Map::new()),
        Some(Value::Object(pairs)) => pairs
            .iter()
            .map(|(k, v)| {
                let text = go_string(v).ok_or_else(|| type_error(name, "map[string]string", v))?;
                Ok((k.clone(), Value::String(text)))
            })
            .collect(),
        Some(other) => Err(type_error(name, "map[string]string", other)),
    }
}

/// The `fieldSpecs` list; `None` when absent or `null`. Unknown keys of a spec are ignored.
fn specs(m: &Fields) -> Result<Option<Vec<FieldSpec>>, String> {
    let items = match field(m, "fieldSpecs") {
        None => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(type_error("fieldSpecs", "[]FieldSpec", other)),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let known = keep_known(item, &["group", "version", "kind", "path", "create"])
            .map_err(|e| format!("fieldSpecs[{i}]: {e}"))?;
        out.push(transform::field_spec(&known).map_err(|e| format!("fieldSpecs[{i}]: {e}"))?);
    }
    Ok(Some(out))
}

/// The mapping `v` with only the `known` fields (matched case-insensitively, renamed to their spelling).
fn keep_known(v: &Value, known: &[&str]) -> Result<Value, String> {
    let Value::Object(m) = v else { return Err(type_error("", "struct", v)) };
    let mut out = Map::new();
    for name in known {
        if let Some(value) = field(m, name) {
            out.insert(name.to_string(), value.clone());
        }
    }
    Ok(Value::Object(out))
}

/// A struct field given as a mapping, reduced to the fields it has (absent: an empty mapping).
fn known(m: &Fields, name: &str, fields: &[&str]) -> Result<Value, String> {
    match field(m, name) {
        None => Ok(Value::Object(Map::new())),
        Some(v) => keep_known(v, fields).map_err(|_| type_error(name, "struct", v)),
    }
}

/// A mapping whose fields are all Go strings, scalars turned into text.
fn stringified(v: Value, name: &str) -> Result<Value, String> {
    let Value::Object(m) = v else { return Ok(v) };
    let mut out = Map::new();
    for (k, value) in m {
        let text = go_string(&value).ok_or_else(|| type_error(&format!("{name}.{k}"), "string", &value))?;
        out.insert(k, Value::String(text));
    }
    Ok(Value::Object(out))
}

/// A ConfigMapGenerator / SecretGenerator configuration as a generator entry:
/// the argument fields, with `name` and `namespace` taken from `metadata` when not given.
fn generator_args(m: &Fields, config: &Resource, secret: bool) -> Value {
    let mut names = vec!["name", "namespace", "behavior", "literals", "files", "envs", "env", "options"];
    if secret {
        names.push("type");
    }
    let mut args = Map::new();
    for name in names {
        if let Some(v) = field(m, name) {
            args.insert(name.to_string(), v.clone());
        }
    }
    let empty = |v: Option<&Value>| v.is_none_or(|v| v.as_str() == Some(""));
    if empty(args.get("name")) {
        args.insert("name".into(), Value::String(config.name().to_string()));
    }
    if empty(args.get("namespace")) && !config.namespace().is_empty() {
        args.insert("namespace".into(), Value::String(config.namespace().to_string()));
    }
    Value::Object(args)
}

/// An IAMPolicyGenerator configuration: `cloud` (only `gke`), `kubernetesService` and `serviceAccount`.
fn iam_policy(m: &Fields) -> Result<Action, String> {
    let cloud = string(m, "cloud")?;
    let service = known(m, "kubernetesService", &["name", "namespace"])?;
    let account = known(m, "serviceAccount", &["name", "projectId"])?;
    let text = |v: &Value, name: &str| -> Result<String, String> {
        match v.as_object() {
            Some(o) => string(o, name),
            None => Ok(String::new()),
        }
    };
    if cloud != "gke" {
        return Err(format!("cloud provider {cloud} not supported yet"));
    }
    let name = text(&service, "name")?;
    if name.is_empty() {
        return Err("kubernetesService.name must not be empty".into());
    }
    Ok(Action::IamPolicy {
        namespace: text(&service, "namespace")?,
        name,
        account: format!("{}@{}.iam.gserviceaccount.com", text(&account, "name")?, text(&account, "projectId")?),
    })
}

/// A NamespaceTransformer configuration: the namespace is `metadata.namespace`.
fn namespace(m: &Fields, config: &Resource) -> Result<Action, String> {
    let mode = string(m, "setRoleBindingSubjects")?;
    let role_binding_subjects = match mode.as_str() {
        "" | "defaultOnly" => SubjectMode::DefaultOnly,
        "allServiceAccounts" => SubjectMode::AllServiceAccounts,
        "none" => SubjectMode::None,
        other => {
            return Err(format!(
                "invalid value {other:?} for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \
                 \"allServiceAccounts\""
            ));
        }
    };
    Ok(Action::Namespace {
        namespace: config.namespace().to_string(),
        specs: specs(m)?.unwrap_or_default(),
        options: NamespaceOptions { unset_only: boolean(m, "unsetOnly")?, role_binding_subjects },
    })
}

/// A PatchTransformer configuration: `patch` (inline) or `path`, an optional `target`, `options`.
fn patch_transformer(m: &Fields, config: &Resource, read: &mut ReadFile<'_>) -> Result<Action, String> {
    let inline = string(m, "patch")?.trim().to_string();
    let path = string(m, "path")?;
    let yaml = || yaml::to_yaml(&config.obj);
    let (text, source) = match (inline.is_empty(), path.is_empty()) {
        (true, true) => return Err(format!("must specify one of patch and path in\n{}", yaml())),
        (false, false) => return Err(format!("patch and path can't be set at the same time\n{}", yaml())),
        (false, true) => (inline, config.origin.clone().unwrap_or_default()),
        (true, false) => {
            let bytes = read(&path).map_err(|e| format!("failed to get the patch file from path({path}): {e}"))?;
            let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8 text"))?;
            (text, path)
        }
    };
    let target = field(m, "target").map(Selector::from_value).transpose()?;
    let mut options = PatchOptions::default();
    if let Some(o) = field(m, "options") {
        let o = o.as_object().ok_or_else(|| type_error("options", "map[string]bool", o))?;
        for (k, v) in o {
            let b = v.as_bool().ok_or_else(|| type_error("options", "map[string]bool", v))?;
            match k.as_str() {
                "allowNameChange" => options.allow_name_change = b,
                "allowKindChange" => options.allow_kind_change = b,
                _ => {}
            }
        }
    }
    Ok(Action::Patch { text, source, target, options })
}

/// A PatchStrategicMergeTransformer configuration: `paths` (each inline
/// patch text or a file) and `patches` (inline text).
fn strategic_merge(m: &Fields, config: &Resource, read: &mut ReadFile<'_>) -> Result<Action, String> {
    let paths: Vec<String> = match field(m, "paths") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| type_error("paths", "[]string", v)))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(type_error("paths", "[]string", other)),
    };
    let inline = string(m, "patches")?;
    if paths.is_empty() && inline.is_empty() {
        return Err("empty file path and empty patch content".into());
    }
    let origin = config.origin.clone().unwrap_or_default();
    let mut patches = Vec::new();
    for entry in &paths {
        if reads_as_objects(entry) {
            patches.push((entry.clone(), origin.clone()));
        } else {
            let bytes = read(entry)?;
            let text = String::from_utf8(bytes).map_err(|_| format!("{entry}: not UTF-8 text"))?;
            patches.push((text, entry.clone()));
        }
    }
    if !inline.is_empty() {
        patches.push((inline.clone(), origin));
    }
    let documents: usize =
        patches.iter().map(|(text, _)| yaml::parse_documents(text).map(|d| d.len()).unwrap_or(1)).sum();
    if documents == 0 {
        return Err(format!("patch appears to be empty; files={paths:?}, Patch={inline}"));
    }
    Ok(Action::StrategicMerge(patches))
}

/// Whether text reads as Kubernetes objects (inline patch content rather than a file name).
fn reads_as_objects(text: &str) -> bool {
    yaml::parse_documents(text).is_ok_and(|docs| !docs.is_empty() && docs.iter().all(|d| d.get("kind").is_some()))
}

/// A PatchJson6902Transformer configuration: `target` (naming a resource) and `jsonOp` (inline) or `path`.
fn json6902(m: &Fields, config: &Resource, read: &mut ReadFile<'_>) -> Result<Action, String> {
    let target = match field(m, "target") {
        Some(t) => Selector::from_value(t)?,
        None => Selector::default(),
    };
    if target.name.as_deref().is_none_or(str::is_empty) {
        return Err("must specify the target name".into());
    }
    let inline = string(m, "jsonOp")?;
    let path = string(m, "path")?;
    let (ops, source) = match (inline.is_empty(), path.is_empty()) {
        (true, true) => return Err("empty file path and empty jsonOp".into()),
        (false, false) => return Err("must specify a file path or jsonOp, not both".into()),
        (false, true) => (inline, config.origin.clone().unwrap_or_default()),
        (true, false) => {
            let bytes = read(&path)?;
            let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8 text"))?;
            if text.is_empty() {
                return Err(format!("patch file '{path}' empty seems to be empty"));
            }
            (text, path)
        }
    };
    Ok(Action::Json6902 { ops, source, target })
}

/// A ReplacementTransformer configuration's `replacements`: each inline, or
/// `path` naming a file of one replacement or a list of them.
fn replacement_list(m: &Fields, read: &mut ReadFile<'_>) -> Result<Vec<Value>, String> {
    let items = match field(m, "replacements") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(type_error("replacements", "[]ReplacementField", other)),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(r) = item else { return Err(type_error("replacements", "ReplacementField", item)) };
        let path = string(r, "path").map_err(|e| format!("replacements[{i}]: {e}"))?;
        if path.is_empty() {
            let mut inline = r.clone();
            inline.retain(|k, _| !k.eq_ignore_ascii_case("path"));
            out.push(Value::Object(inline));
            continue;
        }
        if field(r, "source").is_some() || field(r, "targets").is_some_and(|t| !is_empty_list(t)) {
            return Err("cannot specify both path and inline replacement".into());
        }
        let bytes = read(&path)?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8 text"))?;
        let docs = yaml::parse_documents(&text).map_err(|e| format!("{path}: {e}"))?;
        match docs.into_iter().next() {
            None => {}
            Some(Value::Array(list)) => out.extend(list),
            Some(one @ Value::Object(_)) => out.push(one),
            Some(_) => {
                return Err(format!("unsupported replacement type encountered within replacement path: {path}"));
            }
        }
    }
    Ok(out)
}

fn is_empty_list(v: &Value) -> bool {
    v.as_array().is_some_and(Vec::is_empty)
}

/// HashTransformer: generated objects get their content hash appended to
/// their name now. They stay marked, so the build appends a hash again at the
/// end, exactly as kustomize does.
fn hash_names(resources: &mut [Resource]) -> Result<(), String> {
    for r in resources.iter_mut().filter(|r| r.needs_hash) {
        let hash = generators::hash_suffix(&r.obj)?;
        r.remember_id();
        let name = format!("{}-{hash}", r.name());
        r.set_name(&name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: Value) -> Resource {
        let mut r = Resource::new(v);
        r.origin = Some("app/plugins.yaml".into());
        r
    }

    fn no_files(path: &str) -> Result<Vec<u8>, String> {
        Err(format!("{path}: no such file"))
    }

    fn configure(v: Value, role: Role) -> Result<Plugin, String> {
        Plugin::configure(&config(v), role, &mut no_files)
    }

    fn objects(list: Vec<Value>) -> Vec<Resource> {
        list.into_iter().map(Resource::new).collect()
    }

    #[test]
    fn inline_entries_are_objects_and_paths_are_not() {
        let configs = inline_configs("apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: x\n", "k.yaml")
            .expect("inline");
        assert_eq!(configs.len(), 1);
        assert_eq!(configs[0].origin.as_deref(), Some("k.yaml"));
        assert!(inline_configs("labels.yaml", "k.yaml").is_none());
        assert!(inline_configs("apiVersion: builtin\nkind: LabelTransformer\n", "k.yaml").is_none());
    }

    #[test]
    fn a_label_transformer_touches_only_its_field_specs() {
        let mut rs = objects(vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}}),
        ]);
        let p = configure(
            json!({"apiVersion": "builtin", "kind": "LabelTransformer", "metadata": {"name": "l"},
                "labels": {"color": "blue"}, "fieldSpecs": [{"path": "metadata/labels", "kind": "Service", "create": true}]}),
            Role::Transformer,
        )
        .unwrap();
        p.transform(&mut rs).unwrap();
        assert_eq!(rs[0].obj["metadata"]["labels"], json!({"color": "blue"}));
        assert!(rs[1].obj["metadata"].get("labels").is_none());
        assert_eq!(p.record(), "app/plugins.yaml#LabelTransformer#l#");
        // Without fieldSpecs nothing changes.
        let p = configure(
            json!({"apiVersion": "builtin", "kind": "LabelTransformer", "metadata": {"name": "l"}, "labels": {"a": "b"}}),
            Role::Transformer,
        )
        .unwrap();
        p.transform(&mut rs).unwrap();
        assert!(rs[1].obj["metadata"].get("labels").is_none());
    }

    #[test]
    fn prefix_suffix_needs_field_specs_and_renames() {
        let e = configure(
            json!({"apiVersion": "builtin", "kind": "PrefixSuffixTransformer", "metadata": {"name": "p"}, "prefix": "a-"}),
            Role::Transformer,
        )
        .unwrap_err();
        assert!(e.contains("fails configuration: fieldSpecs is not expected to be nil"), "{e}");
        let p = configure(
            json!({"apiVersion": "builtin", "kind": "PrefixSuffixTransformer", "metadata": {"name": "p"},
                "prefix": "a-", "suffix": "-z", "fieldSpecs": [{"path": "metadata/name"}]}),
            Role::Transformer,
        )
        .unwrap();
        let mut rs = objects(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})]);
        p.transform(&mut rs).unwrap();
        assert_eq!(rs[0].name(), "a-c-z");
        assert_eq!(rs[0].original_id().name, "c");
    }

    #[test]
    fn a_configmap_generator_takes_its_name_from_metadata() {
        let p = configure(
            json!({"apiVersion": "builtin", "kind": "ConfigMapGenerator", "metadata": {"name": "flags", "namespace": "ns"},
                "literals": ["A=1"], "unknown": true}),
            Role::Generator,
        )
        .unwrap();
        let out = p.generate(&mut no_files).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].obj["metadata"], json!({"name": "flags", "namespace": "ns"}));
        assert_eq!(out[0].obj["data"], json!({"A": "1"}));
        assert!(out[0].needs_hash);
        assert_eq!(out[0].origin.as_deref(), Some("app/plugins.yaml#ConfigMapGenerator#flags#ns"));
    }

    #[test]
    fn other_plugins_and_wrong_roles_are_refused() {
        let e = configure(
            json!({"apiVersion": "example.com/v1", "kind": "Run", "metadata": {"name": "x"}}),
            Role::Transformer,
        )
        .unwrap_err();
        assert!(e.contains("unable to load external plugin 'Run'"), "{e}");
        let e = configure(
            json!({"apiVersion": "builtin", "kind": "SortOrderTransformer", "metadata": {"name": "x"}}),
            Role::Transformer,
        )
        .unwrap_err();
        assert!(e.contains("unable to load builtin SortOrderTransformer.builtin.[noGrp]"), "{e}");
        let e = configure(
            json!({"apiVersion": "builtin", "kind": "LabelTransformer", "metadata": {"name": "x"}}),
            Role::Generator,
        )
        .unwrap_err();
        assert!(e.contains("not a generator"), "{e}");
        let e = configure(
            json!({"apiVersion": "builtin", "kind": "SecretGenerator", "metadata": {"name": "x"}}),
            Role::Transformer,
        )
        .unwrap_err();
        assert!(e.contains("not a transformer"), "{e}");
        let e = configure(
            json!({"apiVersion": "builtin", "kind": "HelmChartInflationGenerator", "metadata": {"name": "x"}}),
            Role::Generator,
        )
        .unwrap_err();
        assert!(e.contains("Helm chart inflation is not supported"), "{e}");
    }

    #[test]
    fn patch_files_are_read_relative_to_the_kustomization() {
        let mut read = |p: &str| -> Result<Vec<u8>, String> {
            assert_eq!(p, "patch.yaml");
            Ok(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n".to_vec())
        };
        let p = Plugin::configure(
            &config(json!({"apiVersion": "builtin", "kind": "PatchTransformer", "metadata": {"name": "p"}, "path": "patch.yaml"})),
            Role::Transformer,
            &mut read,
        )
        .unwrap();
        let mut rs = objects(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})]);
        p.transform(&mut rs).unwrap();
        assert_eq!(rs[0].obj["data"], json!({"k": "v"}));
        let e = configure(
            json!({"apiVersion": "builtin", "kind": "PatchTransformer", "metadata": {"name": "p"}}),
            Role::Transformer,
        )
        .unwrap_err();
        assert!(e.contains("must specify one of patch and path"), "{e}");
    }

    #[test]
    fn scalars_given_for_strings_become_text_as_in_go() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(2.0), "2");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(15000000.0), "1.5e+07");
        assert_eq!(go_float(123456.5), "123456.5");
        let p = configure(
            json!({"apiVersion": "builtin", "kind": "AnnotationsTransformer", "metadata": {"name": "a"},
                "annotations": {"port": 9102, "on": true, "none": null},
                "fieldSpecs": [{"path": "metadata/annotations", "create": true}]}),
            Role::Transformer,
        )
        .unwrap();
        let mut rs = objects(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})]);
        p.transform(&mut rs).unwrap();
        assert_eq!(rs[0].obj["metadata"]["annotations"], json!({"none": "", "on": "true", "port": "9102"}));
    }

    #[test]
    fn replica_count_without_a_match_is_an_error() {
        let p = configure(
            json!({"apiVersion": "builtin", "kind": "ReplicaCountTransformer", "metadata": {"name": "r"},
                "replica": {"name": "web", "count": 3}, "fieldSpecs": [{"path": "spec/replicas", "kind": "Deployment", "create": true}]}),
            Role::Transformer,
        )
        .unwrap();
        let mut rs = objects(vec![json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}})]);
        p.transform(&mut rs).unwrap();
        assert_eq!(rs[0].obj["spec"]["replicas"], json!(3));
        let mut other =
            objects(vec![json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}})]);
        let e = p.transform(&mut other).unwrap_err();
        assert!(e.contains("resource with name web does not match a config"), "{e}");
    }
}
