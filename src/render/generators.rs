//! ConfigMap and Secret generators (`configMapGenerator:` and
//! `secretGenerator:` in a kustomization), the way kustomize v5.5 builds them:
//! key/value pairs from `envs:` files, `literals:` and `files:`, options from
//! the entry and from `generatorOptions:`, the `behavior` that combines a
//! generated object with an existing one, and the content-hash name suffix.
//!
//! Nothing here touches the disk or the process environment: files are read
//! through the caller's `read` function. An env-file line naming a variable
//! without `=` (`KEY`) gives the key an empty value, as kustomize v5 does; the
//! environment is never consulted.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::resource::{Behavior, Resource};

/// Which generator an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneratorKind {
    ConfigMap,
    Secret,
}

impl GeneratorKind {
    /// The kustomization field listing entries of this generator.
    fn field(self) -> &'static str {
        match self {
            GeneratorKind::ConfigMap => "configMapGenerator",
            GeneratorKind::Secret => "secretGenerator",
        }
    }

    /// The kind of object it makes.
    fn kind(self) -> &'static str {
        match self {
            GeneratorKind::ConfigMap => "ConfigMap",
            GeneratorKind::Secret => "Secret",
        }
    }
}

/// Generates one object from one entry of `configMapGenerator:` / `secretGenerator:` (`args`, the raw mapping
/// from the kustomization), with the kustomization's `generatorOptions:` (`options`, Null when absent).
/// `read(path)` returns the bytes of a file named by `files:` / `envs:` / `env:` relative to the
/// kustomization's directory; its error message is passed through, naming the generator.
/// Sets `needs_hash` (unless disableNameSuffixHash) and `behavior` on the returned Resource.
pub fn generate(
    kind: GeneratorKind,
    args: &Value,
    options: &Value,
    read: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<Resource, String> {
    let context = entry_context(kind, args);
    let fail = |e: String| format!("{context}: {e}");
    let global = match options {
        Value::Null => None,
        v => Some(Options::parse(v).map_err(|e| format!("generatorOptions: {e}"))?),
    };
    let mut args = Args::parse(kind, args).map_err(fail)?;
    let options = merge_options(args.options.take(), global);
    options.check_printable().map_err(fail)?;
    args.check_printable().map_err(fail)?;
    if args.name.is_empty() {
        return Err(format!("{}: a {} must have a name", kind.field(), kind.kind().to_lowercase()));
    }
    let pairs = load_pairs(&args, read).map_err(fail)?;
    let mut res = Resource::new(build_object(kind, &args, &options, pairs));
    res.needs_hash = !options.disable_name_suffix_hash;
    res.behavior = Some(args.behavior);
    Ok(res)
}

/// How errors about one entry start: the generator and, when readable, the entry's name.
fn entry_context(kind: GeneratorKind, args: &Value) -> String {
    match args.get("name").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => format!("{} {name:?}", kind.field()),
        _ => kind.field().to_string(),
    }
}

/// `options:` of an entry, or `generatorOptions:` of a kustomization.
#[derive(Debug, Clone, Default, PartialEq)]
struct Options {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    disable_name_suffix_hash: bool,
    immutable: bool,
}

impl Options {
    fn parse(v: &Value) -> Result<Options, String> {
        let m = as_mapping(v)?;
        let mut o = Options::default();
        for (k, v) in m {
            match k.as_str() {
                "labels" => o.labels = string_map(v, "labels")?,
                "annotations" => o.annotations = string_map(v, "annotations")?,
                "disableNameSuffixHash" => o.disable_name_suffix_hash = boolean(v, "disableNameSuffixHash")?,
                "immutable" => o.immutable = boolean(v, "immutable")?,
                other => return Err(format!("unknown field {other:?}")),
            }
        }
        Ok(o)
    }

    fn check_printable(&self) -> Result<(), String> {
        for (k, v) in self.labels.iter().chain(&self.annotations) {
            printable(k, "options")?;
            printable(v, "options")?;
        }
        Ok(())
    }
}

/// An entry's own options combined with the kustomization's: the entry's
/// labels and annotations win key by key; a `true` on either side wins for
/// `disableNameSuffixHash` and `immutable` (a local `false` cannot undo a global `true`).
fn merge_options(local: Option<Options>, global: Option<Options>) -> Options {
    let mut local = local.unwrap_or_default();
    if let Some(global) = global {
        for (k, v) in global.labels {
            local.labels.entry(k).or_insert(v);
        }
        for (k, v) in global.annotations {
            local.annotations.entry(k).or_insert(v);
        }
        local.disable_name_suffix_hash |= global.disable_name_suffix_hash;
        local.immutable |= global.immutable;
    }
    local
}

/// One generator entry, parsed and type-checked.
#[derive(Debug, Clone, Default)]
struct Args {
    name: String,
    namespace: String,
    behavior: Behavior,
    literals: Vec<String>,
    files: Vec<String>,
    /// `envs:` followed by the deprecated singular `env:`.
    envs: Vec<String>,
    /// Secrets only; empty means `Opaque`.
    secret_type: String,
    options: Option<Options>,
}

impl Args {
    fn parse(kind: GeneratorKind, v: &Value) -> Result<Args, String> {
        let m = as_mapping(v)?;
        let mut a = Args::default();
        let mut env = String::new();
        for (k, v) in m {
            match k.as_str() {
                "name" => a.name = string(v, "name")?,
                "namespace" => a.namespace = string(v, "namespace")?,
                "behavior" => a.behavior = behavior(&string(v, "behavior")?),
                "literals" => a.literals = string_list(v, "literals")?,
                "files" => a.files = string_list(v, "files")?,
                "envs" => a.envs = string_list(v, "envs")?,
                "env" => env = string(v, "env")?,
                "options" if !v.is_null() => a.options = Some(Options::parse(v).map_err(|e| format!("options: {e}"))?),
                "options" => {}
                "type" if kind == GeneratorKind::Secret => a.secret_type = string(v, "type")?,
                other => return Err(format!("unknown field {other:?}")),
            }
        }
        if !env.is_empty() {
            a.envs.push(env);
        }
        Ok(a)
    }

    fn check_printable(&self) -> Result<(), String> {
        printable(&self.name, "name")?;
        printable(&self.namespace, "namespace")?;
        printable(&self.secret_type, "type")?;
        for (field, list) in [("literals", &self.literals), ("files", &self.files), ("envs", &self.envs)] {
            for s in list {
                printable(s, field)?;
            }
        }
        Ok(())
    }
}

/// `behavior:` as kustomize reads it: any value other than `merge` or
/// `replace` (including none, and unknown words) means create.
fn behavior(s: &str) -> Behavior {
    match s {
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        _ => Behavior::Create,
    }
}

/// kustomize round-trips generator arguments through a YAML parser that
/// refuses these characters, so an entry holding one fails to build there.
fn printable(s: &str, field: &str) -> Result<(), String> {
    let bad = |c: char| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
    match s.chars().find(|c| bad(*c)) {
        Some(c) => Err(format!("{field}: control characters are not allowed (found U+{:04X})", c as u32)),
        None => Ok(()),
    }
}

/// The value of one key of a generated object: text, or bytes that are not UTF-8.
enum Content {
    Text(String),
    Bytes(Vec<u8>),
}

impl Content {
    fn from_bytes(b: Vec<u8>) -> Content {
        match String::from_utf8(b) {
            Ok(s) => Content::Text(s),
            Err(e) => Content::Bytes(e.into_bytes()),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Content::Text(s) => s.as_bytes(),
            Content::Bytes(b) => b,
        }
    }
}

/// The entry's key/value pairs in kustomize's order (env files, then literals,
/// then files); a key given twice is an error.
fn load_pairs(
    args: &Args,
    read: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<BTreeMap<String, Content>, String> {
    let mut pairs: Vec<(String, Content)> = Vec::new();
    for path in &args.envs {
        if path.is_empty() {
            return Err("envs: a file path is empty".into());
        }
        let bytes = read(path).map_err(|e| format!("envs: {e}"))?;
        let parsed = parse_env_file(&bytes).map_err(|e| format!("env file {path:?}: {e}"))?;
        pairs.extend(parsed.into_iter().map(|(k, v)| (k, Content::Text(v))));
    }
    for literal in &args.literals {
        let (k, v) = parse_literal(literal).map_err(|e| format!("literals: {e}"))?;
        pairs.push((k, Content::Text(v)));
    }
    for source in &args.files {
        let (key, path) = parse_file_source(source).map_err(|e| format!("files: {e}"))?;
        let bytes = read(&path).map_err(|e| format!("files: {e}"))?;
        pairs.push((key, Content::from_bytes(bytes)));
    }
    let mut out = BTreeMap::new();
    for (k, v) in pairs {
        if out.contains_key(&k) {
            return Err(format!("illegally repeats the key `{k}`"));
        }
        // kustomize writes keys as plain YAML and reads them back: a key such
        // as `42`, `TRUE` or `null` stops being a string and the build fails.
        let plain_scalar = k.trim() == k && k.starts_with(|c: char| c.is_ascii_alphanumeric() || "~.-+".contains(c));
        if plain_scalar
            && let Ok(docs) = super::yaml::parse_documents(&k)
            && !matches!(docs.as_slice(), [Value::String(s)] if *s == k)
        {
            return Err(format!("the key `{k}` does not read as a string in YAML; rename it"));
        }
        out.insert(k, v);
    }
    Ok(out)
}

/// The longest line kustomize reads from an env file (its line scanner's limit).
const MAX_ENV_LINE: usize = 64 * 1024 - 1;

/// Pairs of an env file: one `KEY=value` a line, split at the first `=`;
/// leading whitespace and one trailing CR are dropped, the value is kept as
/// written (no quote removal, no trailing-space trim); blank lines and lines
/// starting with `#` are skipped, and so are lines with nothing before `=`;
/// a UTF-8 BOM is dropped from the first line; `KEY` alone gives an empty value.
fn parse_env_file(content: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut rest = content;
    let mut number = 0;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        number += 1;
        if line.len() > MAX_ENV_LINE {
            return Err(format!("line {number} is longer than {MAX_ENV_LINE} bytes"));
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line).map_err(|_| format!("line {number} has invalid UTF-8 bytes"))?;
        let line = if number == 1 { line.strip_prefix('\u{feff}').unwrap_or(line) } else { line };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        if !key.is_empty() {
            pairs.push((key.to_string(), value.to_string()));
        }
    }
    Ok(pairs)
}

/// A `literals:` item, `key=value`: split at the first `=` (the value may hold
/// more); a value wrapped in one pair of matching single or double quotes loses them.
fn parse_literal(source: &str) -> Result<(String, String), String> {
    match source.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), remove_quotes(value).to_string())),
        _ => Err(format!("invalid literal source {source:?}, expected key=value")),
    }
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') { &s[1..s.len() - 1] } else { s }
}

/// A `files:` item, `path` or `key=path`; the key defaults to the path's last element.
fn parse_file_source(source: &str) -> Result<(String, String), String> {
    match source.matches('=').count() {
        0 if source.is_empty() => Err("a file path is empty".into()),
        0 => Ok((base_name(source).to_string(), source.to_string())),
        1 if source.starts_with('=') => {
            Err(format!("missing key name for file path {:?} in source {source:?}", &source[1..]))
        }
        1 if source.ends_with('=') => {
            Err(format!("missing file path for key name {:?} in source {source:?}", &source[..source.len() - 1]))
        }
        1 => {
            let (key, path) = source.split_once('=').unwrap_or_default();
            Ok((key.to_string(), path.to_string()))
        }
        _ => Err(format!("source {source:?} key name or file path contains '='")),
    }
}

/// The last element of a slash-separated path, ignoring trailing slashes (`/` for the root).
fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Base64 as kustomize writes generated values: standard alphabet, and when
/// longer than 70 characters, broken into 70-character lines each ending in a newline.
fn encode_base64(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    if encoded.len() < LINE {
        return encoded;
    }
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE + 1);
    for chunk in encoded.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The generated object, fields in the order kustomize creates them.
fn build_object(kind: GeneratorKind, args: &Args, options: &Options, pairs: BTreeMap<String, Content>) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), Value::String(args.name.clone()));
    if !args.namespace.is_empty() {
        metadata.insert("namespace".into(), Value::String(args.namespace.clone()));
    }
    let string_object = |m: &BTreeMap<String, String>| {
        Value::Object(m.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
    };
    if !options.labels.is_empty() {
        metadata.insert("labels".into(), string_object(&options.labels));
    }
    if !options.annotations.is_empty() {
        metadata.insert("annotations".into(), string_object(&options.annotations));
    }
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), Value::String("v1".into()));
    obj.insert("kind".into(), Value::String(kind.kind().into()));
    obj.insert("metadata".into(), Value::Object(metadata));
    match kind {
        GeneratorKind::ConfigMap => {
            let (mut data, mut binary) = (Map::new(), Map::new());
            for (k, v) in pairs {
                match v {
                    Content::Text(s) => data.insert(k, Value::String(s)),
                    Content::Bytes(b) => binary.insert(k, Value::String(encode_base64(&b))),
                };
            }
            if !data.is_empty() {
                obj.insert("data".into(), Value::Object(data));
            }
            if !binary.is_empty() {
                obj.insert("binaryData".into(), Value::Object(binary));
            }
        }
        GeneratorKind::Secret => {
            let t = if args.secret_type.is_empty() { "Opaque" } else { &args.secret_type };
            obj.insert("type".into(), Value::String(t.into()));
            let data = pairs.iter().map(|(k, v)| (k.clone(), Value::String(encode_base64(v.bytes())))).collect();
            obj.insert("data".into(), Value::Object(data));
        }
    }
    if options.immutable {
        obj.insert("immutable".into(), Value::Bool(true));
    }
    Value::Object(obj)
}

/// Combines a generated object with an existing one of the same id per `generated.behavior`:
/// the result is the generated object, carrying the existing one's name, namespace and previous
/// ids, with labels and annotations merged (generated values win); `merge` also merges `data` and
/// `binaryData` (generated keys win) and keeps the existing origin. Every other field of the
/// existing object is dropped. The result needs a hash suffix only when both did.
pub fn combine(existing: &mut Resource, generated: Resource) -> Result<(), String> {
    let merge = match generated.behavior {
        Some(Behavior::Merge) => true,
        Some(Behavior::Replace) => false,
        _ => return Err(format!("id {} exists; behavior must be merge or replace", generated.id())),
    };
    let old = &existing.obj;
    let mut obj = generated.obj;
    let mut annotations = merged_map(old, &obj, &["metadata", "annotations"]);
    if merge && let Some(origin) = text_at(old, &["metadata", "annotations", ORIGIN_ANNOTATION]) {
        annotations.insert(ORIGIN_ANNOTATION.into(), origin);
    }
    let labels = merged_map(old, &obj, &["metadata", "labels"]);
    let name = text_at(old, &["metadata", "name"]).unwrap_or_default();
    let namespace = text_at(old, &["metadata", "namespace"]).unwrap_or_default();
    let data = merge.then(|| (merged_map(old, &obj, &["data"]), merged_map(old, &obj, &["binaryData"])));
    let Some(fields) = obj.as_object_mut() else {
        return Err(format!("generated {name}: not an object"));
    };
    if let Some((data, binary)) = data {
        set_string_map(fields, "data", data);
        set_string_map(fields, "binaryData", binary);
    }
    if !matches!(fields.get("metadata"), Some(Value::Object(_))) {
        fields.insert("metadata".into(), Value::Object(Map::new()));
    }
    if let Some(Value::Object(metadata)) = fields.get_mut("metadata") {
        metadata.insert("name".into(), Value::String(name));
        if namespace.is_empty() {
            metadata.remove("namespace");
        } else {
            metadata.insert("namespace".into(), Value::String(namespace));
        }
        set_string_map(metadata, "labels", labels);
        set_string_map(metadata, "annotations", annotations);
    }
    existing.obj = obj;
    existing.needs_hash = existing.needs_hash && generated.needs_hash;
    existing.origin =
        if merge { existing.origin.take().or(generated.origin) } else { generated.origin.or(existing.origin.take()) };
    Ok(())
}

/// The annotation kustomize records a resource's origin in.
const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";

/// The scalar text kustomize reads for a value it treats as a string.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

fn text_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut v = v;
    for p in path {
        v = v.get(p)?;
    }
    Some(scalar_text(v))
}

/// The string map at `path` of `old` overlaid with the one of `new`.
fn merged_map(old: &Value, new: &Value, path: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for v in [old, new] {
        let mut at = Some(v);
        for p in path {
            at = at.and_then(|x| x.get(p));
        }
        if let Some(m) = at.and_then(Value::as_object) {
            out.extend(m.iter().map(|(k, v)| (k.clone(), scalar_text(v))));
        }
    }
    out
}

/// Replaces `field` with `m` in sorted order, or removes it when `m` is empty (as kustomize does).
fn set_string_map(o: &mut Map<String, Value>, field: &str, m: BTreeMap<String, String>) {
    o.remove(field);
    if !m.is_empty() {
        o.insert(field.into(), Value::Object(m.into_iter().map(|(k, v)| (k, Value::String(v))).collect()));
    }
}

/// kustomize's content-hash suffix (10 characters) of a ConfigMap or Secret: the SHA-256 of a
/// JSON document (Go encoding: sorted keys, `<`, `>`, `&` escaped) holding the kind, an empty
/// name (kustomize v5 looks the name up under a path that never matches), `data`, `binaryData`
/// when it is a mapping, and for Secrets `type` and `stringData` when it is a mapping; the first
/// ten hex digits, with 0, 1, 3, a and e replaced by g, h, k, m and t.
pub fn hash_suffix(obj: &Value) -> Result<String, String> {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let field = |name: &str| hashed_field(obj.get(name));
    let mut doc = BTreeMap::new();
    doc.insert("kind", Value::String(kind.into()));
    doc.insert("name", Value::String(String::new()));
    doc.insert("data", field("data"));
    let optional = match kind {
        "ConfigMap" => "binaryData",
        "Secret" => {
            doc.insert("type", field("type"));
            "stringData"
        }
        _ => return Err(format!("cannot compute a content hash for kind {kind:?}: only ConfigMaps and Secrets")),
    };
    if let Some(m @ Value::Object(_)) = obj.get(optional) {
        doc.insert(optional, m.clone());
    }
    let mut json = String::new();
    go_json(&Value::Object(doc.into_iter().map(|(k, v)| (k.to_string(), v)).collect()), &mut json);
    Ok(encode_hash(&Sha256::digest(json.as_bytes())))
}

/// A hashed field as kustomize reads it: absent is the empty string, a
/// mapping stays a mapping, a list becomes null and a scalar its text.
fn hashed_field(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => Value::String(String::new()),
        Some(m @ Value::Object(_)) => m.clone(),
        Some(Value::Array(_)) => Value::Null,
        Some(s) => Value::String(scalar_text(s)),
    }
}

/// The first ten hex digits of `digest` with the letters kustomize substitutes (so no vowels and no
/// digits that look like letters are used).
fn encode_hash(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    digest
        .iter()
        .flat_map(|b| [HEX[(b >> 4) as usize], HEX[(b & 15) as usize]])
        .take(10)
        .map(|c| match c {
            b'0' => 'g',
            b'1' => 'h',
            b'3' => 'k',
            b'a' => 'm',
            b'e' => 't',
            c => c as char,
        })
        .collect()
}

/// Writes `v` as Go's `encoding/json` does: object keys sorted, no spaces,
/// HTML-significant characters and U+2028/U+2029 escaped, numbers as float64.
fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
        Value::String(s) => go_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

/// A number as Go prints a float64 in JSON: plain decimal, exponent form below 1e-6 or from 1e21 on.
fn go_number(n: &serde_json::Number) -> String {
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{f}")
    }
}

fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

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

fn as_mapping(v: &Value) -> Result<&Map<String, Value>, String> {
    v.as_object().ok_or_else(|| format!("expected a mapping, found {}", type_name(v)))
}

/// A string field; null reads as empty.
fn string(v: &Value, field: &str) -> Result<String, String> {
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("{field}: expected a string, found {}", type_name(other))),
    }
}

/// A list of strings; null reads as empty, a null item as the empty string.
fn string_list(v: &Value, field: &str) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(|i| string(i, field)).collect(),
        other => Err(format!("{field}: expected a list of strings, found {}", type_name(other))),
    }
}

/// A mapping of strings to strings; null reads as empty.
fn string_map(v: &Value, field: &str) -> Result<BTreeMap<String, String>, String> {
    match v {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(m) => m.iter().map(|(k, v)| Ok((k.clone(), string(v, &format!("{field}.{k}"))?))).collect(),
        other => Err(format!("{field}: expected a mapping of strings, found {}", type_name(other))),
    }
}

/// A boolean field; null reads as false.
fn boolean(v: &Value, field: &str) -> Result<bool, String> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        other => Err(format!("{field}: expected true or false, found {}", type_name(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::load::parse_yaml_documents;
    use std::collections::HashMap;

    /// A `read` over in-memory files.
    fn reader(files: &[(&str, &[u8])]) -> impl FnMut(&str) -> Result<Vec<u8>, String> + use<> {
        let files: HashMap<String, Vec<u8>> = files.iter().map(|(p, b)| (p.to_string(), b.to_vec())).collect();
        move |path: &str| files.get(path).cloned().ok_or_else(|| format!("{path}: no such file or directory"))
    }

    fn yaml(text: &str) -> Vec<Value> {
        parse_yaml_documents(text).unwrap()
    }

    /// The object as printed at the end of a render: the name with its hash suffix.
    fn finished(res: &Resource) -> Value {
        let mut res = res.clone();
        if res.needs_hash {
            let name = format!("{}-{}", res.name(), hash_suffix(&res.obj).unwrap());
            res.set_name(&name);
        }
        res.obj
    }

    /// Runs the generators of one kustomization as the engine does: config maps, then secrets, each
    /// generated object merged into or replacing an earlier one of the same id when it says so.
    fn build(kustomization: &str, files: &[(&str, &[u8])]) -> Result<Vec<Value>, String> {
        build_onto(Vec::new(), kustomization, files)
    }

    fn build_onto(
        mut resources: Vec<Resource>,
        kustomization: &str,
        files: &[(&str, &[u8])],
    ) -> Result<Vec<Value>, String> {
        let k = yaml(kustomization).remove(0);
        let mut read = reader(files);
        for (field, kind) in
            [("configMapGenerator", GeneratorKind::ConfigMap), ("secretGenerator", GeneratorKind::Secret)]
        {
            for args in k.get(field).and_then(Value::as_array).into_iter().flatten() {
                let options = k.get("generatorOptions").unwrap_or(&Value::Null);
                let generated = generate(kind, args, options, &mut read)?;
                match resources.iter_mut().find(|r| r.has_had_id(&generated.id())) {
                    Some(existing) => combine(existing, generated)?,
                    None if generated.behavior == Some(Behavior::Create) => resources.push(generated),
                    None => return Err(format!("id {} does not exist; cannot merge or replace", generated.id())),
                }
            }
        }
        Ok(sorted(resources.iter().map(finished).collect()))
    }

    /// kubectl kustomize prints objects sorted by kind, then name.
    fn sorted(mut objs: Vec<Value>) -> Vec<Value> {
        let key = |o: &Value| (o["kind"].as_str().unwrap_or("").to_string(), o["metadata"]["name"].to_string());
        objs.sort_by_key(key);
        objs
    }

    fn error(kustomization: &str, files: &[(&str, &[u8])]) -> String {
        build(kustomization, files).unwrap_err()
    }

    #[test]
    fn literals_files_envs_and_options_as_kubectl_prints_them() {
        let k = r#"
generatorOptions:
  labels:
    zz: g
    aa: g
  annotations:
    note: g
configMapGenerator:
- name: cm
  namespace: ns1
  literals:
  - b=lit
  - a="quoted"
  - c='single'
  - d=x=y
  - e="mismatch'
  files:
  - z.txt
  - bin.dat
  - key1=z.txt
  envs:
  - app.env
  options:
    labels:
      aa: local
    immutable: true
secretGenerator:
- name: sec
  literals:
  - a=hello
  - long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  type: kubernetes.io/tls
"#;
        let files: &[(&str, &[u8])] =
            &[("app.env", b"B=2\nA=1\n"), ("z.txt", b"hello\nworld\n"), ("bin.dat", b"\xff\xfe\x00bin")];
        let printed = r#"
apiVersion: v1
binaryData:
  bin.dat: //4AYmlu
data:
  A: "1"
  B: "2"
  a: quoted
  b: lit
  c: single
  d: x=y
  e: '"mismatch'''
  key1: |
    hello
    world
  z.txt: |
    hello
    world
immutable: true
kind: ConfigMap
metadata:
  annotations:
    note: g
  labels:
    aa: local
    zz: g
  name: cm-9m49ht4hfm
  namespace: ns1
---
apiVersion: v1
data:
  a: aGVsbG8=
  long: |
    YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYW
    FhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh
    YWFhYWFhYQ==
kind: Secret
metadata:
  annotations:
    note: g
  labels:
    aa: g
    zz: g
  name: sec-87hk242d6k
type: kubernetes.io/tls
"#;
        assert_eq!(build(k, files).unwrap(), yaml(printed));
    }

    #[test]
    fn generated_objects_are_built_in_kustomizes_field_order() {
        let k = "configMapGenerator:\n- name: cm\n  namespace: n\n  literals: [a=1]\n  options: {labels: {l: v}, immutable: true}\n";
        let objs = build(k, &[]).unwrap();
        let keys: Vec<&String> = objs[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "data", "immutable"]);
        let md: Vec<&String> = objs[0]["metadata"].as_object().unwrap().keys().collect();
        assert_eq!(md, ["name", "namespace", "labels"]);
    }

    #[test]
    fn env_files_keep_keys_and_values_as_written() {
        let env = b"\xef\xbb\xbf# comment\n\n  SPACED=  v1  \r\nNOEQ\nKEY WITH SPACE=x\nQ=\"quoted\"\nexport X=1\n\t TAB=t\nEMPTY=\n#=x\nDUP=1\n";
        let k = r#"
configMapGenerator:
- name: cm
  envs:
  - a.env
  literals:
  - "bad key/x=1"
  - " sp = v "
  - "lit=  'q'"
"#;
        let printed = r#"
apiVersion: v1
data:
  ' sp ': ' v '
  DUP: "1"
  EMPTY: ""
  KEY WITH SPACE: x
  NOEQ: ""
  Q: '"quoted"'
  SPACED: '  v1  '
  TAB: t
  bad key/x: "1"
  export X: "1"
  lit: '  ''q'''
kind: ConfigMap
metadata:
  name: cm-g4tkdkh2tb
"#;
        assert_eq!(build(k, &[("a.env", env)]).unwrap(), yaml(printed));
    }

    #[test]
    fn lines_without_a_key_are_skipped_and_only_leading_space_is_trimmed() {
        let env = "=value\n  # indented\nA=1=2\n\u{a0}B=nbsp\n";
        let printed = "apiVersion: v1\ndata:\n  A: 1=2\n  B: nbsp\nkind: ConfigMap\nmetadata:\n  name: e-7d5gh24c5k\n";
        let built = build("configMapGenerator:\n- name: e\n  envs: [e]\n", &[("e", env.as_bytes())]).unwrap();
        assert_eq!(built, yaml(printed));
    }

    #[test]
    fn a_variable_without_a_value_is_empty_and_never_read_from_the_environment() {
        // PATH and HOME are set in the test process; kubectl kustomize prints them empty too.
        let objs = build("configMapGenerator:\n- name: cm\n  envs: [e]\n", &[("e", b"PATH\nHOME")]).unwrap();
        assert_eq!(objs[0]["data"], serde_json::json!({"HOME": "", "PATH": ""}));
    }

    #[test]
    fn empty_generators_binary_files_and_html_characters() {
        let k = r#"
configMapGenerator:
- name: empty
- name: html
  literals:
  - "a=<&>"
  - "u=héllo wörld ✓ 日本"
  - "ls=x\u2028y"
  - "ctl=\x01\t\b\f\r"
- name: bin
  files: [b1, empty, nonl]
- name: ns
  namespace: ""
  literals: [a=1]
  options:
    disableNameSuffixHash: true
    labels: {}
    annotations: {}
secretGenerator:
- name: sempty
- name: s2
  type: ""
  literals: ["a=<&>"]
  files: [b1]
"#;
        let files: &[(&str, &[u8])] = &[("b1", b"\xff"), ("empty", b""), ("nonl", b"line1\nline2")];
        // kubectl prints `ls` with its line separator folded; the value is x U+2028 y.
        let printed = r#"
apiVersion: v1
binaryData:
  b1: /w==
data:
  empty: ""
  nonl: |-
    line1
    line2
kind: ConfigMap
metadata:
  name: bin-bmb4cf84k9
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: empty-6ct58987ht
---
apiVersion: v1
data:
  a: <&>
  ctl: "\x01\t\b\f\r"
  ls: "x\u2028y"
  u: héllo wörld ✓ 日本
kind: ConfigMap
metadata:
  name: html-kdc5gt92mf
---
apiVersion: v1
data:
  a: "1"
kind: ConfigMap
metadata:
  name: ns
---
apiVersion: v1
data:
  a: PCY+
  b1: /w==
kind: Secret
metadata:
  name: s2-9hcf8bgt22
type: Opaque
---
apiVersion: v1
data: {}
kind: Secret
metadata:
  name: sempty-46f8b28mk5
type: Opaque
"#;
        assert_eq!(build(k, files).unwrap(), yaml(printed));
    }

    #[test]
    fn file_contents_are_kept_byte_for_byte_and_long_base64_is_wrapped() {
        let k = r#"
generatorOptions:
  disableNameSuffixHash: false
  immutable: true
  labels: {g: "1"}
configMapGenerator:
- name: files
  files: [sub/nul.txt, bom.txt, big.bin]
  env: one.env
  envs: [two.env]
  options:
    immutable: false
secretGenerator:
- name: s
  files: [big.bin]
"#;
        let big = [0xffu8; 200];
        let files: &[(&str, &[u8])] = &[
            ("sub/nul.txt", b"a\x00b"),
            ("bom.txt", b"\xef\xbb\xbfbom\r\nx\r\n"),
            ("big.bin", &big),
            ("one.env", b"A=1\n"),
            ("two.env", b"B=2\n"),
        ];
        let printed = r#"
apiVersion: v1
binaryData:
  big.bin: |
    //////////////////////////////////////////////////////////////////////
    //////////////////////////////////////////////////////////////////////
    //////////////////////////////////////////////////////////////////////
    ////////////////////////////////////////////////////////8=
data:
  A: "1"
  B: "2"
  bom.txt: "\uFEFF\x62\x6F\x6D\r\n\x78\r\n"
  nul.txt: "a\0b"
immutable: true
kind: ConfigMap
metadata:
  labels:
    g: "1"
  name: files-kh499f7ffk
---
apiVersion: v1
data:
  big.bin: |
    //////////////////////////////////////////////////////////////////////
    //////////////////////////////////////////////////////////////////////
    //////////////////////////////////////////////////////////////////////
    ////////////////////////////////////////////////////////8=
immutable: true
kind: Secret
metadata:
  labels:
    g: "1"
  name: s-cb6khc7gf9
type: Opaque
"#;
        assert_eq!(build(k, files).unwrap(), yaml(printed));
    }

    #[test]
    fn base64_is_wrapped_only_from_seventy_characters_on() {
        assert_eq!(encode_base64(b"hello"), "aGVsbG8=");
        let sixty_eight = encode_base64(&[0u8; 51]); // 68 characters
        assert!(!sixty_eight.contains('\n'));
        let seventy_two = encode_base64(&[0u8; 52]); // 72 characters
        assert_eq!(seventy_two, format!("{}\n==\n", "A".repeat(70)));
        let full_line = base64::engine::general_purpose::STANDARD.encode([7u8; 105]);
        assert_eq!(full_line.len(), 140);
        assert_eq!(encode_base64(&[7u8; 105]), format!("{}\n{}\n", &full_line[..70], &full_line[70..]));
    }

    #[test]
    fn generator_options_and_entry_options_combine() {
        let k = r#"
generatorOptions:
  labels: {a: global, b: global}
  annotations: {x: global}
  disableNameSuffixHash: true
configMapGenerator:
- name: cm
  options:
    labels: {a: local}
    annotations: {z: local}
    disableNameSuffixHash: false
"#;
        let objs = build(k, &[]).unwrap();
        assert_eq!(objs[0]["metadata"]["name"], "cm");
        assert_eq!(objs[0]["metadata"]["labels"], serde_json::json!({"a": "local", "b": "global"}));
        assert_eq!(objs[0]["metadata"]["annotations"], serde_json::json!({"x": "global", "z": "local"}));
    }

    #[test]
    fn behavior_is_recorded_and_unknown_words_mean_create() {
        let mut read = reader(&[]);
        for (word, expected) in [
            ("merge", Behavior::Merge),
            ("replace", Behavior::Replace),
            ("create", Behavior::Create),
            ("foo", Behavior::Create),
            ("", Behavior::Create),
        ] {
            let args = serde_json::json!({"name": "cm", "behavior": word});
            let res = generate(GeneratorKind::ConfigMap, &args, &Value::Null, &mut read).unwrap();
            assert_eq!(res.behavior, Some(expected), "{word}");
            assert!(res.needs_hash);
        }
        // kubectl kustomize prints `cm-h29d89cmmt` for `behavior: foo`.
        let objs = build("configMapGenerator:\n- name: cm\n  behavior: foo\n  literals: [a=1]\n", &[]).unwrap();
        assert_eq!(objs[0]["metadata"]["name"], "cm-h29d89cmmt");
    }

    #[test]
    fn null_fields_read_as_absent() {
        let k = "configMapGenerator:\n- name: cm\n  literals:\n  options:\n  namespace:\n  behavior:\n";
        assert_eq!(build(k, &[]).unwrap(), yaml("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-6ct58987ht\n"));
    }

    #[test]
    fn bad_entries_are_errors_that_name_the_generator() {
        let f: &[(&str, &[u8])] = &[("f.txt", b"x\n")];
        let cases = [
            (
                "configMapGenerator:\n- name: cm\n  literals: [a=1, a=2]\n",
                "configMapGenerator \"cm\": illegally repeats the key `a`",
            ),
            (
                "configMapGenerator:\n- name: cm\n  literals: [a=1]\n  files: [a=f.txt]\n",
                "illegally repeats the key `a`",
            ),
            ("configMapGenerator:\n- name: cm\n  files: [f.txt, f.txt]\n", "illegally repeats the key `f.txt`"),
            ("configMapGenerator:\n- name: cm\n  bogus: 1\n", "configMapGenerator \"cm\": unknown field \"bogus\""),
            ("configMapGenerator:\n- name: cm\n  type: x\n", "unknown field \"type\""),
            (
                "configMapGenerator:\n- name: cm\n  options: {bogus: 1}\n",
                "configMapGenerator \"cm\": options: unknown field \"bogus\"",
            ),
            (
                "generatorOptions: {bogus: 1}\nconfigMapGenerator:\n- name: cm\n",
                "generatorOptions: unknown field \"bogus\"",
            ),
            ("configMapGenerator:\n- literals: [a=1]\n", "configMapGenerator: a configmap must have a name"),
            ("secretGenerator:\n- name: \"\"\n", "secretGenerator: a secret must have a name"),
            ("configMapGenerator:\n- name: 123\n", "configMapGenerator: name: expected a string, found a number"),
            ("configMapGenerator:\n- name: cm\n  literals: [1]\n", "literals: expected a string, found a number"),
            (
                "configMapGenerator:\n- name: cm\n  literals: a=1\n",
                "literals: expected a list of strings, found a string",
            ),
            (
                "configMapGenerator:\n- name: cm\n  options: {immutable: \"true\"}\n",
                "options: immutable: expected true or false, found a string",
            ),
            (
                "configMapGenerator:\n- name: cm\n  options: {labels: {a: 1}}\n",
                "options: labels.a: expected a string, found a number",
            ),
            ("configMapGenerator:\n- [a]\n", "configMapGenerator: expected a mapping, found a list"),
            (
                "generatorOptions: [a]\nconfigMapGenerator:\n- name: cm\n",
                "generatorOptions: expected a mapping, found a list",
            ),
            ("secretGenerator:\n- name: s\n  type: 1\n", "secretGenerator \"s\": type: expected a string"),
            (
                "configMapGenerator:\n- name: cm\n  files: [missing.txt]\n",
                "configMapGenerator \"cm\": files: missing.txt: no such file or directory",
            ),
            (
                "configMapGenerator:\n- name: cm\n  envs: [missing.env]\n",
                "envs: missing.env: no such file or directory",
            ),
            (
                "configMapGenerator:\n- name: cm\n  files: [a=b=f.txt]\n",
                "source \"a=b=f.txt\" key name or file path contains '='",
            ),
            (
                "configMapGenerator:\n- name: cm\n  files: [=f.txt]\n",
                "missing key name for file path \"f.txt\" in source \"=f.txt\"",
            ),
            (
                "configMapGenerator:\n- name: cm\n  files: [k=]\n",
                "missing file path for key name \"k\" in source \"k=\"",
            ),
            ("configMapGenerator:\n- name: cm\n  files: [\"\"]\n", "files: a file path is empty"),
            (
                "configMapGenerator:\n- name: cm\n  literals: [noeq]\n",
                "invalid literal source \"noeq\", expected key=value",
            ),
            (
                "configMapGenerator:\n- name: cm\n  literals: [\"=x\"]\n",
                "invalid literal source \"=x\", expected key=value",
            ),
            (
                "configMapGenerator:\n- name: cm\n  literals: [a=1, null]\n",
                "invalid literal source \"\", expected key=value",
            ),
            (
                "configMapGenerator:\n- name: cm\n  literals: [\"a=\\x7f\"]\n",
                "literals: control characters are not allowed (found U+007F)",
            ),
        ];
        for (k, expected) in cases {
            let e = error(k, f);
            assert!(e.contains(expected), "{k}\n got: {e}\nwant: {expected}");
        }
    }

    #[test]
    fn env_files_with_invalid_text_are_errors_naming_file_and_line() {
        let e = error("configMapGenerator:\n- name: cm\n  envs: [a.env]\n", &[("a.env", b"A=1\nB=\xff\n")]);
        assert_eq!(e, "configMapGenerator \"cm\": env file \"a.env\": line 2 has invalid UTF-8 bytes");
        let long = format!("A=1\nB={}\n", "x".repeat(70_000));
        let e = error("configMapGenerator:\n- name: cm\n  envs: [a.env]\n", &[("a.env", long.as_bytes())]);
        assert!(e.contains("line 2 is longer than 65535 bytes"), "{e}");
    }

    #[test]
    fn keys_default_to_the_files_base_name() {
        assert_eq!(parse_file_source("a/b/c.txt").unwrap(), ("c.txt".into(), "a/b/c.txt".into()));
        assert_eq!(parse_file_source("dir/").unwrap(), ("dir".into(), "dir/".into()));
        assert_eq!(parse_file_source("k=../x/y").unwrap(), ("k".into(), "../x/y".into()));
        assert_eq!(remove_quotes("\"a\""), "a");
        assert_eq!(remove_quotes("'"), "'");
        assert_eq!(remove_quotes("''"), "");
        assert_eq!(remove_quotes("\"a'"), "\"a'");
    }

    /// The base of the overlay tests: `namePrefix: p-`, `namespace: bns`, `commonLabels: {from: base}`
    /// applied to these generators and to `plain.yaml`.
    fn base_resources() -> Vec<Resource> {
        let k = yaml(
            r#"
configMapGenerator:
- name: gen
  literals: [a=base, b=base]
  options:
    labels: {l1: base, shared: base}
    annotations: {an: base}
- name: gen2
  literals: [a=base]
  options:
    disableNameSuffixHash: true
- name: gen3
  literals: [a=base]
secretGenerator:
- name: sec
  type: kubernetes.io/tls
  literals: [a=base]
"#,
        )
        .remove(0);
        let plain = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  labels: {pl: x}\n  annotations: {pa: x}\n\
                     data:\n  z: \"1\"\n  a: old\nimmutable: true\nbinaryData:\n  bb: AAAA\n";
        let mut out = Vec::new();
        let mut read = reader(&[]);
        for (field, kind) in
            [("configMapGenerator", GeneratorKind::ConfigMap), ("secretGenerator", GeneratorKind::Secret)]
        {
            for args in k[field].as_array().unwrap() {
                out.push(generate(kind, args, &Value::Null, &mut read).unwrap());
            }
        }
        out.push(Resource::new(yaml(plain).remove(0)));
        for r in &mut out {
            // kustomize sets namespaces before it adds prefixes.
            r.remember_id();
            r.set_namespace("bns");
            r.remember_id();
            let name = format!("p-{}", r.name());
            r.set_name(&name);
            r.metadata_mut()
                .entry("labels")
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .unwrap()
                .insert("from".into(), "base".into());
        }
        out
    }

    #[test]
    fn overlays_merge_into_and_replace_base_objects_as_kubectl_prints_them() {
        let overlay = r#"
configMapGenerator:
- name: gen
  namespace: bns
  behavior: merge
  literals: [b=ov, c=ov]
  options:
    labels: {shared: ov}
- name: gen2
  namespace: bns
  behavior: merge
  literals: [c=ov]
- name: gen3
  namespace: bns
  behavior: merge
  literals: [c=ov]
  options:
    disableNameSuffixHash: true
- name: plain
  namespace: bns
  behavior: merge
  literals: [a=new]
  options:
    labels: {nl: yy}
secretGenerator:
- name: sec
  namespace: bns
  behavior: replace
  literals: [x=ov]
"#;
        let printed = r#"
apiVersion: v1
data:
  a: base
  b: ov
  c: ov
kind: ConfigMap
metadata:
  annotations:
    an: base
  labels:
    from: base
    l1: base
    shared: ov
  name: p-gen-ff7fc8t7kg
  namespace: bns
---
apiVersion: v1
data:
  a: base
  c: ov
kind: ConfigMap
metadata:
  labels:
    from: base
  name: p-gen2
  namespace: bns
---
apiVersion: v1
data:
  a: base
  c: ov
kind: ConfigMap
metadata:
  labels:
    from: base
  name: p-gen3
  namespace: bns
---
apiVersion: v1
binaryData:
  bb: AAAA
data:
  a: new
  z: "1"
kind: ConfigMap
metadata:
  annotations:
    pa: x
  labels:
    from: base
    nl: yy
    pl: x
  name: p-plain
  namespace: bns
---
apiVersion: v1
data:
  x: b3Y=
kind: Secret
metadata:
  labels:
    from: base
  name: p-sec-4df4257h56
  namespace: bns
type: Opaque
"#;
        assert_eq!(build_onto(base_resources(), overlay, &[]).unwrap(), yaml(printed));
    }

    #[test]
    fn combining_keeps_the_existing_ids_and_origin() {
        let mut base = base_resources();
        let mut read = reader(&[]);
        let args = serde_json::json!({"name": "gen", "namespace": "bns", "behavior": "replace"});
        let mut generated = generate(GeneratorKind::ConfigMap, &args, &Value::Null, &mut read).unwrap();
        generated.origin = Some("overlay".into());
        let prev = base[0].prev_ids.clone();
        base[0].origin = Some("base".into());
        let mut merged = base[0].clone();
        combine(&mut base[0], generated.clone()).unwrap();
        assert_eq!(base[0].prev_ids, prev);
        assert_eq!(base[0].origin.as_deref(), Some("overlay"));
        assert_eq!(base[0].obj.get("data"), None, "replace drops the existing data");
        generated.behavior = Some(Behavior::Merge);
        combine(&mut merged, generated).unwrap();
        assert_eq!(merged.origin.as_deref(), Some("base"));
        assert_eq!(merged.obj["data"], serde_json::json!({"a": "base", "b": "base"}));
    }

    #[test]
    fn a_merged_secret_takes_the_generated_type_and_keeps_the_base_origin() {
        let mut read = reader(&[]);
        let base_args = [
            (GeneratorKind::Secret, serde_json::json!({"name": "s", "type": "kubernetes.io/tls", "literals": ["a=1"]})),
            (GeneratorKind::ConfigMap, serde_json::json!({"name": "c", "literals": ["a=1"]})),
        ];
        let mut base: Vec<Resource> =
            base_args.iter().map(|(kind, args)| generate(*kind, args, &Value::Null, &mut read).unwrap()).collect();
        for r in &mut base {
            r.origin = Some("../base/kustomization.yaml".into());
        }
        let overlay = "secretGenerator:\n- name: s\n  behavior: merge\n  literals: [b=2]\n\
                       configMapGenerator:\n- name: c\n  behavior: replace\n  literals: [b=2]\n";
        // What kubectl kustomize prints (less the origin annotations `buildMetadata` adds from `origin`).
        let printed = "apiVersion: v1\ndata:\n  b: \"2\"\nkind: ConfigMap\nmetadata:\n  name: c-fmbk44khfc\n---\n\
                       apiVersion: v1\ndata:\n  a: MQ==\n  b: Mg==\nkind: Secret\nmetadata:\n  name: s-8fb7cfch84\n\
                       type: Opaque\n";
        assert_eq!(build_onto(base.clone(), overlay, &[]).unwrap(), yaml(printed));
        let k = yaml(overlay).remove(0);
        let mut secret = generate(GeneratorKind::Secret, &k["secretGenerator"][0], &Value::Null, &mut read).unwrap();
        secret.origin = Some("kustomization.yaml".into());
        let mut config_map =
            generate(GeneratorKind::ConfigMap, &k["configMapGenerator"][0], &Value::Null, &mut read).unwrap();
        config_map.origin = Some("kustomization.yaml".into());
        combine(&mut base[0], secret).unwrap();
        combine(&mut base[1], config_map).unwrap();
        assert_eq!(base[0].origin.as_deref(), Some("../base/kustomization.yaml"), "merge keeps the base's origin");
        assert_eq!(base[1].origin.as_deref(), Some("kustomization.yaml"), "replace takes the overlay's");
    }

    #[test]
    fn merge_within_one_kustomization_and_create_over_an_existing_id() {
        let k =
            "configMapGenerator:\n- name: cm\n  literals: [a=2]\n- name: cm\n  behavior: merge\n  literals: [b=2]\n";
        let printed =
            "apiVersion: v1\ndata:\n  a: \"2\"\n  b: \"2\"\nkind: ConfigMap\nmetadata:\n  name: cm-6kc7gdk9k8\n";
        assert_eq!(build(k, &[]).unwrap(), yaml(printed));
        let e = error("configMapGenerator:\n- name: cm\n- name: cm\n", &[]);
        assert_eq!(e, "id ConfigMap.v1.[noGrp]/cm.[noNs] exists; behavior must be merge or replace");
        // kubectl kustomize: an overlay replacing `cm` from its base with `namespace: default` keeps the base's
        // (empty) namespace and prints `cm-6gtghh96k8`.
        let mut base = Vec::new();
        let mut read = reader(&[]);
        let args = serde_json::json!({"name": "cm", "literals": ["a=1"]});
        base.push(generate(GeneratorKind::ConfigMap, &args, &Value::Null, &mut read).unwrap());
        let overlay =
            "configMapGenerator:\n- name: cm\n  behavior: replace\n  namespace: default\n  literals: [a=\"2\"]\n";
        let printed = "apiVersion: v1\ndata:\n  a: \"2\"\nkind: ConfigMap\nmetadata:\n  name: cm-6gtghh96k8\n";
        assert_eq!(build_onto(base, overlay, &[]).unwrap(), yaml(printed));
    }

    #[test]
    fn hashes_of_patched_objects_match_kubectl() {
        // A generated ConfigMap and Secret after patches set non-string data, an empty binaryData and stringData.
        let printed = r#"
apiVersion: v1
binaryData: {}
data:
  a: "1"
  b: true
  f: 1.5
  "n": 1
kind: ConfigMap
metadata:
  name: c
---
apiVersion: v1
data:
  a: MQ==
kind: Secret
metadata:
  name: s
stringData:
  x: <y>
type: Opaque
"#;
        let objs = yaml(printed);
        assert_eq!(hash_suffix(&objs[0]).unwrap(), "2m9chdb2t7");
        assert_eq!(hash_suffix(&objs[1]).unwrap(), "7cgf8kk952");
        let e = hash_suffix(&serde_json::json!({"kind": "Deployment"})).unwrap_err();
        assert!(e.contains("only ConfigMaps and Secrets"), "{e}");
    }

    #[test]
    fn numbers_are_written_as_go_writes_float64() {
        let n = |v: Value| {
            let mut s = String::new();
            go_json(&v, &mut s);
            s
        };
        assert_eq!(n(serde_json::json!(1)), "1");
        assert_eq!(n(serde_json::json!(1.5)), "1.5");
        assert_eq!(n(serde_json::json!(1e21)), "1e+21");
        assert_eq!(n(serde_json::json!(1e20)), "100000000000000000000");
        assert_eq!(n(serde_json::json!(0.0000001)), "1e-7");
        assert_eq!(n(serde_json::json!(-0.5)), "-0.5");
        assert_eq!(
            n(serde_json::json!({"b": "<\u{2029}\"\\", "a": [null, true]})),
            r#"{"a":[null,true],"b":"\u003c\u2029\"\\"}"#
        );
    }
}
