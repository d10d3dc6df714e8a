//! Patches exactly as kustomize v5.5 applies them: `patches:`, and the
//! deprecated `patchesStrategicMerge:` and `patchesJson6902:`.
//!
//! What `kubectl kustomize` does, checked case by case:
//!
//! **Which kind of patch.** A `patches:` entry is a strategic merge patch when
//! its text reads as Kubernetes objects (YAML documents with `kind` and
//! `metadata.name`; `*List` objects stand for their `items`), and a JSON 6902
//! patch when it reads as a list of operations (a YAML list, or JSON when the
//! text starts with `[`). Text that reads as neither is an error (`unable to
//! parse SM or JSON patch from …`), and so is text that reads as both, such as
//! an empty list or only comments (`illegally qualifies as both an SM and JSON
//! patch: …`). An empty file is an empty JSON patch: it needs a target and
//! changes nothing.
//!
//! **Which resources.** With a `target`, every resource it selects (see
//! [`Selector`]); selecting none is not an error. A strategic merge patch with
//! a target must be a single document (`Multiple Strategic-Merge Patches in one
//! `patches` entry is not allowed to set `patches.target` field`). Without a
//! target, each document patches the one resource with its apiVersion, kind,
//! name and namespace (no namespace meaning `default`), current or original:
//! a patch written against a base still finds `web` after the base renamed it
//! `prod-web` and moved it to `prod`. None or several is an error (`no resource
//! matches strategic merge patch "ConfigMap.v1.[noGrp]/x.[noNs]"`). A JSON
//! patch needs a target (`must specify a target for JSON patch …`).
//!
//! **What a strategic merge patch may change.** Never the namespace (restored
//! after the merge); the name only with `allowNameChange` and the kind only
//! with `allowKindChange`; without the option a change is silently undone. The
//! patch's apiVersion is ignored with a target (the target's is used). With a
//! target, the patch's labels and annotations are first rewritten as kustomize
//! rewrites them: values become strings (`1` → `"1"`, `null` → `"null"`), and
//! an empty or `null` map is dropped (so `labels: null` deletes nothing there,
//! while it deletes all labels in a patch without a target). A patch that
//! deletes the object (`$patch: delete`) removes the resource; `$patch:
//! replace` on the whole object changes nothing. How the merge itself works
//! is described in `merge.rs`.
//!
//! **JSON 6902.** Operations apply to the object's JSON; see `json6902.rs` for
//! the operations' details and errors. Afterwards the annotations are
//! rewritten as strings, and dropped when empty or not a map (copying a string
//! to `/metadata/annotations` removes them). A JSON patch may rename, move or
//! re-kind a resource; under `patches:` its previous id is recorded (so name
//! references and later patches still find it), under `patchesJson6902:` it is
//! not, as in kustomize.

mod json6902;
mod merge;
mod schema;
mod selector;

use serde_json::Value;

use super::resource::{ResId, Resource};

/// A patch's `target` (kustomize's selector): every field optional; `name` and `namespace` (and kind etc.)
/// are anchored regular expressions as in kustomize; `labelSelector`/`annotationSelector` are label selectors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

/// `options:` of a patch.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PatchOptions {
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
}

/// One entry of `patches:` (content already read from `path` or taken from `patch`; `source` names the
/// kustomization file or patch file for errors). Decides strategic-merge vs JSON 6902 as kustomize does, picks
/// targets (the selector, or without one the resource(s) the patch itself names), applies, and records
/// renamed resources' previous ids when a patch changes a name. Resources a patch deletes are removed.
pub fn apply_patch(
    resources: &mut Vec<Resource>,
    content: &str,
    target: Option<&Selector>,
    options: PatchOptions,
    source: &str,
) -> Result<(), String> {
    match classify(content, source)? {
        PatchText::Strategic(docs) => match target {
            Some(selector) => {
                let [doc] = <[Value; 1]>::try_from(docs).map_err(|_| {
                    format!(
                        "Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field: {source}"
                    )
                })?;
                let compiled = selector.compile()?;
                let mut selected = Vec::new();
                for (i, r) in resources.iter().enumerate() {
                    if compiled.matches(r)? {
                        selected.push(i);
                    }
                }
                for i in selected {
                    apply_to_selected(&mut resources[i], &doc, options, source)?;
                }
                resources.retain(|r| !is_deleted(r));
                Ok(())
            }
            None => {
                for doc in &docs {
                    let i = find_by_id(resources, doc).map_err(|e| {
                        let id = id_of(doc);
                        format!("no resource matches strategic merge patch \"{id}\": {e}")
                    })?;
                    let mut patch = doc.clone();
                    apply_to(&mut resources[i], &mut patch, options, source)?;
                    resources.retain(|r| !is_deleted(r));
                }
                Ok(())
            }
        },
        PatchText::Json(ops) => {
            let Some(selector) = target else {
                return Err(format!("must specify a target for JSON patch {source}"));
            };
            apply_ops_to_selected(resources, &ops, selector, true)
        }
    }
}

/// One entry of deprecated `patchesStrategicMerge:` (a file's content or inline YAML; may hold several documents).
/// Each document patches the resource it names (current or original id); resources it deletes are removed.
pub fn apply_strategic_merge_patches(resources: &mut Vec<Resource>, content: &str, source: &str) -> Result<(), String> {
    let docs = strategic_docs(content).map_err(|e| format!("{source}: {e}"))?;
    for doc in &docs {
        let i = find_by_id(resources, doc)?;
        apply_to_selected(&mut resources[i], doc, PatchOptions::default(), source)?;
        resources.retain(|r| !is_deleted(r));
    }
    Ok(())
}

/// One entry of deprecated `patchesJson6902:` (ops as YAML or JSON, target given; the target must name a
/// resource, as kustomize requires). Renames it makes are not recorded as previous ids, as in kustomize.
pub fn apply_json6902_patch(
    resources: &mut [Resource],
    ops: &str,
    target: &Selector,
    source: &str,
) -> Result<(), String> {
    if target.name.as_deref().is_none_or(str::is_empty) {
        return Err("must specify the target name".into());
    }
    if ops.trim().is_empty() {
        return Err(format!("the JSON patch in {source} is empty"));
    }
    let parsed = parse_ops(ops).map_err(|e| format!("decoding {ops}: {e}"))?;
    let ops = json6902::check_shape(&parsed).map_err(|e| format!("decoding {ops}: {e}"))?;
    if ops.is_empty() {
        return Err(format!("patch appears to be empty; file={source}, JsonOp={}", ops_text(ops)));
    }
    apply_ops_to_selected(resources, ops, target, false)
}

/// The strategic merge of one patch document into one object, as kustomize does it (kyaml merge2 semantics):
/// built-in kinds (those of Kubernetes v1.21, which kustomize's schema describes) merge lists by their merge
/// keys; other kinds (custom resources) replace lists and merge maps. See `merge.rs` for the directives
/// (`$patch: delete|replace|merge`, nulls) and the order of merged lists; `$retainKeys`, `$setElementOrder/…`
/// and `$deleteFromPrimitiveList/…` are data to kustomize and stay in the output. Returns Ok(None) when the
/// patch deletes the whole object.
pub fn strategic_merge(target: &Value, patch: &Value) -> Result<Option<Value>, String> {
    let mut merged = target.clone();
    let mut patch = patch.clone();
    if !merge::merge_into(&mut merged, &mut patch)? || is_nil_or_empty(&merged) {
        return Ok(None);
    }
    Ok(Some(merged))
}

/// RFC 6902 operations applied to one object (kustomize's errors for a failing `test` or a missing path).
pub fn json6902(target: &Value, ops: &Value) -> Result<Value, String> {
    let ops = json6902::check_shape(ops)?;
    let mut doc = target.clone();
    json6902::apply(&mut doc, ops)?;
    Ok(doc)
}

/// What a `patches:` entry's text is.
enum PatchText {
    /// Strategic merge patch documents (at least one).
    Strategic(Vec<Value>),
    /// JSON 6902 operations (possibly none).
    Json(Vec<Value>),
}

/// Decides, as kustomize does, whether a patch is a strategic merge patch or a JSON 6902 patch.
fn classify(content: &str, source: &str) -> Result<PatchText, String> {
    let strategic = strategic_docs(content);
    let json = if content.is_empty() {
        Err("empty json patch operations".to_string())
    } else {
        parse_ops(content).and_then(|v| match v {
            Value::Null => Ok(Vec::new()),
            other => json6902::check_shape(&other).map(<[Value]>::to_vec),
        })
    };
    match (strategic, json) {
        (Ok(_), Ok(_)) => Err(format!("illegally qualifies as both an SM and JSON patch: {source}")),
        (Err(_), Err(_)) => Err(format!("unable to parse SM or JSON patch from {source}")),
        (Ok(docs), Err(_)) if docs.is_empty() => Ok(PatchText::Json(Vec::new())),
        (Ok(docs), Err(_)) => Ok(PatchText::Strategic(docs)),
        (Err(_), Ok(ops)) => Ok(PatchText::Json(ops)),
    }
}

/// Parses patch text into documents (kustomize's YAML rules; empty documents skipped).
fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    crate::render::yaml::parse_documents(text).map_err(|e| e.to_string())
}

/// JSON 6902 operations as text: JSON when it starts with `[`, else YAML as
/// kustomize converts it to JSON (go-yaml v2 rules: `yes` is a boolean there).
fn parse_ops(text: &str) -> Result<Value, String> {
    if text.starts_with('[') {
        return serde_json::from_str(text).map_err(|e| e.to_string());
    }
    crate::render::yaml::parse_value(text).map_err(|e| e.to_string())
}

fn ops_text(ops: &[Value]) -> String {
    serde_json::to_string(ops).unwrap_or_default()
}

/// The documents of a strategic merge patch: empty documents dropped, each a
/// mapping with `kind` and (unless a list) `metadata.name`, `*List` objects
/// replaced by their items.
fn strategic_docs(content: &str) -> Result<Vec<Value>, String> {
    let mut queue = std::collections::VecDeque::new();
    for doc in parse_documents(content)? {
        if is_nil_or_empty(&doc) {
            continue;
        }
        check_patch_document(&doc)?;
        queue.push_back(doc);
    }
    let mut out = Vec::new();
    while let Some(doc) = queue.pop_front() {
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        if kind.ends_with("List") {
            match doc.get("items") {
                None => {}
                Some(Value::Null) => continue,
                Some(Value::Array(items)) => {
                    queue.extend(items.iter().cloned());
                    continue;
                }
                Some(_) => return Err(format!("expected array in {kind}/items")),
            }
        }
        out.push(doc);
    }
    Ok(out)
}

/// kustomize's checks of one patch document.
fn check_patch_document(doc: &Value) -> Result<(), String> {
    let Value::Object(m) = doc else {
        return Err(format!("a patch must be a mapping, not {}", render_node(doc)));
    };
    let meta = m.get("metadata");
    let kind = m.get("kind").and_then(Value::as_str).unwrap_or_default();
    if kind.is_empty() {
        return Err(format!("missing kind in object {}", render_node(doc)));
    }
    let name = meta.and_then(|md| md.get("name")).and_then(Value::as_str).unwrap_or_default();
    if !kind.ends_with("List") && name.is_empty() {
        return Err(format!("missing metadata.name in object {}", render_node(doc)));
    }
    // kustomize means to refuse `null` list items here too, but its check
    // never fires (it is handed a YAML node instead of the decoded object),
    // so they are accepted.
    Ok(())
}

/// kyaml's "nil or empty": `null`, `{}` or `[]`.
fn is_nil_or_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Whether a patch deleted this resource (it is left as an empty object until removed).
fn is_deleted(r: &Resource) -> bool {
    is_nil_or_empty(&r.obj)
}

/// The id a patch document names.
fn id_of(doc: &Value) -> ResId {
    Resource::new(doc.clone()).id()
}

/// The one resource whose current or previous id is the one `doc` names.
fn find_by_id(resources: &[Resource], doc: &Value) -> Result<usize, String> {
    let id = id_of(doc);
    let found: Vec<usize> = resources.iter().enumerate().filter(|(_, r)| r.has_had_id(&id)).map(|(i, _)| i).collect();
    match found.as_slice() {
        [i] => Ok(*i),
        [] => Err(format!("no matches for Id {id}; failed to find unique target for patch {id}")),
        _ => Err(format!("multiple matches for Id {id}; failed to find unique target for patch {id}")),
    }
}

/// Applies a patch document to a resource picked by a selector (or by id in
/// `patchesStrategicMerge`): kustomize first rewrites a copy of the patch's
/// metadata and gives it the resource's apiVersion.
fn apply_to_selected(r: &mut Resource, doc: &Value, options: PatchOptions, source: &str) -> Result<(), String> {
    let mut patch = doc.clone();
    normalize_patch_metadata(&mut patch);
    if let (Some(api_version), Value::Object(m)) = (r.obj.get("apiVersion").cloned(), &mut patch) {
        m.insert("apiVersion".into(), api_version);
    }
    apply_to(r, &mut patch, options, source)
}

/// kustomize's rewrite of a patch's metadata before it is applied to a
/// selected resource: labels and annotations become string maps (dropped when
/// empty), an empty namespace is dropped.
fn normalize_patch_metadata(patch: &mut Value) {
    let Some(md) = patch.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    for field in ["labels", "annotations"] {
        let Some(current) = md.get(field) else { continue };
        let mut pairs: Vec<(String, Value)> = match current {
            Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), Value::String(scalar_text(v)))).collect(),
            _ => Vec::new(),
        };
        md.shift_remove(field);
        if pairs.is_empty() {
            continue;
        }
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        md.insert(field.into(), Value::Object(pairs.into_iter().collect()));
    }
    let ns_empty = md.get("namespace").is_none_or(|ns| ns.as_str().is_none_or(str::is_empty));
    if ns_empty {
        md.shift_remove("namespace");
    }
}

/// A scalar's text as kyaml reads it (`null` as written, here `null`; maps and lists have none).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// Applies a strategic merge patch to a resource the way kustomize's resource
/// does: merge, then restore kind and name unless allowed to change, and
/// always the namespace. A deleted resource is left as an empty object.
fn apply_to(r: &mut Resource, patch: &mut Value, options: PatchOptions, source: &str) -> Result<(), String> {
    let before = r.id();
    let kind = r.obj.get("kind").cloned();
    let name = r.name().to_string();
    let namespace = r.namespace().to_string();
    let kept = merge::merge_into(&mut r.obj, patch)
        .map_err(|e| format!("applying the patch from {source} to {before}: {e}"))?;
    if !kept || is_nil_or_empty(&r.obj) {
        r.obj = Value::Object(serde_json::Map::new());
        return Ok(());
    }
    if !options.allow_kind_change
        && let (Some(kind), Value::Object(m)) = (kind, &mut r.obj)
    {
        m.insert("kind".into(), kind);
    }
    if !options.allow_name_change {
        r.set_name(&name);
    }
    if namespace.is_empty() {
        if let Some(md) = r.obj.get_mut("metadata").and_then(Value::as_object_mut) {
            md.shift_remove("namespace");
        }
    } else {
        r.set_namespace(&namespace);
    }
    record_previous_id(r, before);
    Ok(())
}

/// Remembers `before` as a previous id of `r` when a patch changed its id.
fn record_previous_id(r: &mut Resource, before: ResId) {
    if r.id() != before && r.prev_ids.last() != Some(&before) {
        r.prev_ids.push(before);
    }
}

/// Applies JSON 6902 operations to every resource the selector picks.
fn apply_ops_to_selected(
    resources: &mut [Resource],
    ops: &[Value],
    selector: &Selector,
    remember: bool,
) -> Result<(), String> {
    let compiled = selector.compile()?;
    for r in resources.iter_mut() {
        if !compiled.matches(r)? {
            continue;
        }
        let before = r.id();
        // While kustomize transforms an object it always carries internal
        // annotations, so operations under `/metadata/annotations` find the map
        // even when the object has none; it is dropped again when left empty.
        if let Some(md) = r.obj.get_mut("metadata").and_then(Value::as_object_mut)
            && !md.contains_key("annotations")
        {
            md.insert("annotations".into(), Value::Object(serde_json::Map::new()));
        }
        json6902::apply(&mut r.obj, ops).map_err(|e| format!("applying the JSON patch to {before}: {e}"))?;
        normalize_annotations(&mut r.obj);
        if remember {
            record_previous_id(r, before);
        }
    }
    Ok(())
}

/// kustomize rewrites a resource's annotations after a JSON patch: they
/// become a map of strings, and go away when that is empty (an `annotations`
/// value that is not a map counts as empty).
fn normalize_annotations(obj: &mut Value) {
    let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    let Some(annotations) = md.get_mut("annotations") else { return };
    match annotations {
        Value::Object(m) if !m.is_empty() => {
            for v in m.values_mut() {
                if !v.is_string() {
                    *v = Value::String(scalar_text(v));
                }
            }
        }
        _ => {
            md.shift_remove("annotations");
        }
    }
}

/// A value written out for an error message, as YAML, cut short when long.
pub(super) fn render_node(v: &Value) -> String {
    const LIMIT: usize = 400;
    let mut out = crate::render::yaml::to_yaml(v);
    if out.chars().count() > LIMIT {
        out = out.chars().take(LIMIT).collect();
        out.push_str("…\n");
    }
    out
}

#[cfg(test)]
mod tests;
