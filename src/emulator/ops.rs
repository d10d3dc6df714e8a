//! The API verbs: get, list, create, update, patch (JSON, merge, strategic,
//! apply), delete and deletecollection, on objects and their status and
//! scale subresources. Each runs under the store lock and either changes
//! nothing and returns an error, or commits one consistent change.

use super::lifecycle;
use super::registry::ResourceType;
use super::status::{ApiError, Cause};
use super::store::{EventType, State, Stored};
use crate::schema::managed::{self, ApplyError, ManagedFields, ManagerId, Operation, Scope};
use crate::schema::selector::{FieldSelector, LabelSelector, field_value};
use crate::schema::{smp, typed};
use base64::Engine;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Which part of an object a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    Main,
    Status,
    Scale,
}

/// What a request addresses.
#[derive(Debug, Clone)]
pub struct Target {
    pub rt: Arc<ResourceType>,
    /// The API version of the URL.
    pub version: String,
    /// Empty for cluster-scoped types and for lists across namespaces.
    pub namespace: String,
    /// Empty for collections.
    pub name: String,
    pub sub: Sub,
}

impl Target {
    fn api_version(&self) -> String {
        self.rt.api_version(&self.version)
    }
}

/// How the server treats fields the type does not declare (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

/// Options of a mutating request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `fieldManager`, or the client's user-agent name when not given.
    pub manager: String,
    pub manager_given: bool,
    pub dry_run: bool,
    pub force: bool,
    pub validation: FieldValidation,
    pub now: String,
    /// `Warning` headers to send.
    pub warnings: Vec<String>,
}

/// The kinds of PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
    Apply,
}

/// A list request's selectors and paging.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
}

/// A delete request's options.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Foreground, Background or Orphan.
    pub propagation: Option<String>,
    /// `dryRun: [All]` in the body (the query parameter goes to [`Ctx`]).
    pub dry_run: bool,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

type Reply = Result<(u16, Value), ApiError>;

/// A stored object together with its parsed value (parsed once per request).
struct Current {
    stored: Arc<Stored>,
    value: Value,
}

fn current(st: &State, t: &Target) -> Result<Current, ApiError> {
    let stored = st.get(&t.rt, &t.namespace, &t.name).ok_or_else(|| ApiError::not_found(&t.rt, &t.name))?;
    let value = stored.value();
    Ok(Current { stored, value })
}

/// A value as served at the target's version.
fn at_version(mut v: Value, t: &Target) -> Value {
    if t.version != t.rt.storage_version() {
        v["apiVersion"] = json!(t.api_version());
    }
    v
}

/// Field selectors the API server supports for a type, beyond metadata.name and metadata.namespace.
pub fn supported_fields(rt: &ResourceType) -> Vec<&'static str> {
    let mut f = vec!["metadata.name", "metadata.namespace"];
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Pod") => f.extend([
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ]),
        ("", "Secret") => f.push("type"),
        ("", "Namespace") => f.push("status.phase"),
        ("", "Node") => f.push("spec.unschedulable"),
        ("", "Event") => f.extend([
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ]),
        ("batch", "Job") => f.push("status.successful"),
        ("apps", "ReplicaSet") => f.push("status.replicas"),
        _ => {}
    }
    f
}

/// Whether a stored object passes a list or watch filter.
pub fn matches(o: &Stored, labels: &LabelSelector, fields: &FieldSelector) -> bool {
    if !labels.is_empty() && !labels.matches_pairs(o.label_pairs()) {
        return false;
    }
    if fields.is_empty() {
        return true;
    }
    let parsed = std::cell::OnceCell::new();
    fields.matches(|path| match path {
        "metadata.name" => Some(o.name.clone()),
        "metadata.namespace" => Some(o.namespace.clone()),
        _ => field_value(parsed.get_or_init(|| o.value()), path),
    })
}

/// The object as served at the target's version.
pub fn served(o: &Stored, t: &Target) -> Value {
    let mut v = o.value();
    if t.version != t.rt.storage_version() {
        v["apiVersion"] = json!(t.api_version());
    }
    v
}

fn now_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn get(st: &State, t: &Target) -> Reply {
    let o = st.get(&t.rt, &t.namespace, &t.name).ok_or_else(|| ApiError::not_found(&t.rt, &t.name))?;
    match t.sub {
        Sub::Scale => Ok((200, scale_of(&t.rt, &o.value())?)),
        _ => Ok((200, served(&o, t))),
    }
}

/// The list as JSON bytes, built from the stored bytes when no version rewrite is needed.
pub fn list(st: &State, t: &Target, q: &ListQuery) -> Result<Vec<u8>, ApiError> {
    q.fields.check_supported(&supported_fields(&t.rt)).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let start = match &q.continue_token {
        Some(tok) => Some(decode_continue(tok)?),
        None => None,
    };
    let ns = (!t.namespace.is_empty()).then_some(t.namespace.as_str());
    let mut items: Vec<&Arc<Stored>> = Vec::new();
    let mut remaining = 0usize;
    let mut next = None;
    for o in st.list(&t.rt, ns) {
        if let Some((sns, sname)) = &start
            && (&o.namespace, &o.name) <= (sns, sname)
        {
            continue;
        }
        if !matches(o, &q.labels, &q.fields) {
            continue;
        }
        if let Some(limit) = q.limit.filter(|l| *l > 0)
            && items.len() >= limit
        {
            if next.is_none() {
                let last = items.last().map(|l| (l.namespace.clone(), l.name.clone()));
                next = last;
            }
            remaining += 1;
            continue;
        }
        items.push(o);
    }
    let mut meta = Map::new();
    meta.insert("resourceVersion".into(), json!(st.rv.to_string()));
    if let Some((ns, name)) = next {
        meta.insert("continue".into(), json!(encode_continue(st.rv, &ns, &name)));
        meta.insert("remainingItemCount".into(), json!(remaining));
    }
    let head = json!({"kind": t.rt.list_kind, "apiVersion": t.api_version(), "metadata": meta});
    let mut out = serde_json::to_vec(&head).map_err(|e| ApiError::internal(e.to_string()))?;
    out.pop();
    out.extend_from_slice(b",\"items\":[");
    let rewrite = t.version != t.rt.storage_version();
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if rewrite {
            out.extend(serde_json::to_vec(&served(o, t)).unwrap_or_default());
        } else {
            out.extend_from_slice(&o.json);
        }
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// The objects a list selects, for table output.
pub fn list_values(st: &State, t: &Target, q: &ListQuery) -> Result<(u64, Vec<Value>), ApiError> {
    q.fields.check_supported(&supported_fields(&t.rt)).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let ns = (!t.namespace.is_empty()).then_some(t.namespace.as_str());
    let items = st.list(&t.rt, ns).filter(|o| matches(o, &q.labels, &q.fields)).map(|o| served(o, t)).collect();
    Ok((st.rv, items))
}

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    let raw = json!({"rv": rv, "ns": ns, "name": name}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(tok: &str) -> Result<(String, String), ApiError> {
    let bad = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tok).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(bad);
    Ok((s("ns")?, s("name")?))
}

/// Checks the body's apiVersion and kind against the URL and returns the
/// body as a mutable object map.
fn check_identity(t: &Target, body: &Value) -> Result<(), ApiError> {
    let obj = body.as_object().ok_or_else(|| ApiError::bad_request("the body of the request must be a JSON object"))?;
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let av = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    if !kind.is_empty() && kind != t.rt.kind {
        return Err(ApiError::bad_request(format!(
            "the kind of the provided object ({kind}) does not match the kind of the resource ({})",
            t.rt.kind
        )));
    }
    if !av.is_empty() && av != t.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({})",
            t.api_version()
        )));
    }
    Ok(())
}

fn meta_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.get("metadata").is_some_and(Value::is_object) {
        v["metadata"] = json!({});
    }
    v["metadata"].as_object_mut().expect("metadata is an object")
}

fn meta_str<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get("metadata").and_then(|m| m.get(key)).and_then(Value::as_str).unwrap_or_default()
}

/// Fixes the object's name and namespace from the URL, or says why they disagree.
fn place(t: &Target, v: &mut Value) -> Result<(), ApiError> {
    let ns = meta_str(v, "namespace").to_string();
    let name = meta_str(v, "name").to_string();
    if t.rt.namespaced {
        if !ns.is_empty() && ns != t.namespace {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        meta_mut(v).insert("namespace".into(), json!(t.namespace));
    } else {
        meta_mut(v).remove("namespace");
    }
    if !t.name.is_empty() {
        if !name.is_empty() && name != t.name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({name}) does not match the name on the URL ({})",
                t.name
            )));
        }
        meta_mut(v).insert("name".into(), json!(t.name));
    }
    v["apiVersion"] = json!(t.rt.api_version(t.rt.storage_version()));
    v["kind"] = json!(t.rt.kind);
    Ok(())
}

/// Namespaced objects need an existing namespace that is not terminating.
fn check_namespace(st: &State, t: &Target, name: &str) -> Result<(), ApiError> {
    if !t.rt.namespaced {
        return Ok(());
    }
    let Some(ns_rt) = st.registry.by_kind("", "Namespace") else { return Ok(()) };
    match st.get(&ns_rt, "", &t.namespace) {
        None => Err(ApiError::namespace_not_found(&t.namespace)),
        Some(ns) if ns.deleting => Err(ApiError::forbidden(
            &t.rt,
            name,
            &format!("unable to create new content in namespace {} because it is being terminated", t.namespace),
        )),
        Some(_) => Ok(()),
    }
}

/// Drops unknown fields (or refuses them with `Strict`) and refuses values of the wrong type.
fn sanitize(t: &Target, v: &mut Value, ctx: &mut Ctx, apply: bool) -> Result<(), ApiError> {
    let schema = t.rt.schema(&t.version);
    let (unknown, mismatches) = typed::sanitize(v, schema.root());
    if let Some(m) = mismatches.first() {
        if m.expected == "quantity" {
            let e = crate::schema::quantity::QuantityError;
            return Err(ApiError::bad_request(format!(
                "{kind} in version {version:?} cannot be handled as a {kind}: {path}: {e}",
                kind = t.rt.kind,
                version = t.version,
                path = m.path
            )));
        }
        if t.rt.crd.is_some() {
            let causes = mismatches
                .iter()
                .map(|m| {
                    Cause::invalid(
                        &m.path,
                        &json!(m.got),
                        &format!("{} in body must be of type {}: {:?}", m.path, m.expected, m.got),
                    )
                })
                .collect();
            return Err(ApiError::invalid(&t.rt, meta_str(v, "name"), causes));
        }
        return Err(ApiError::bad_request(format!(
            "{kind} in version {version:?} cannot be handled as a {kind}: {path}: expected {expected}, got {got}",
            kind = t.rt.kind,
            version = t.version,
            path = m.path,
            expected = m.expected,
            got = m.got,
        )));
    }
    if unknown.is_empty() {
        return Ok(());
    }
    match ctx.validation {
        FieldValidation::Ignore => Ok(()),
        FieldValidation::Warn => {
            ctx.warnings.extend(unknown.iter().map(|p| format!("unknown field \"{p}\"")));
            Ok(())
        }
        FieldValidation::Strict if apply => Err(ApiError::bad_request(
            unknown.iter().map(|p| format!(".{p}: field not declared in schema")).collect::<Vec<_>>().join(", "),
        )),
        FieldValidation::Strict => Err(ApiError::bad_request(format!(
            "strict decoding error: {}",
            unknown.iter().map(|p| format!("unknown field \"{p}\"")).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Applies the defaults of a CRD's structural schema.
fn schema_defaults(v: &mut Value, ty: crate::schema::types::TyRef<'_>) {
    use crate::schema::types::Ty;
    match (v, ty.ty()) {
        (Value::Object(m), Ty::Struct(s)) => {
            for f in &s.fields {
                if let Some(d) = &f.default
                    && !m.contains_key(&f.name)
                {
                    m.insert(f.name.clone(), d.clone());
                }
            }
            for (k, cv) in m.iter_mut() {
                if let Some(cty) = ty.child(k) {
                    schema_defaults(cv, cty);
                }
            }
        }
        (Value::Object(m), Ty::Map { .. }) => m.values_mut().for_each(|cv| schema_defaults(cv, ty.elem())),
        (Value::Array(items), Ty::List { .. }) => items.iter_mut().for_each(|cv| schema_defaults(cv, ty.elem())),
        _ => {}
    }
}

fn manager_id(t: &Target, ctx: &Ctx, op: Operation) -> ManagerId {
    ManagerId {
        manager: ctx.manager.clone(),
        operation: op,
        subresource: match t.sub {
            Sub::Main => String::new(),
            Sub::Status => "status".into(),
            Sub::Scale => "scale".into(),
        },
        api_version: t.api_version(),
    }
}

fn scope(t: &Target) -> Scope {
    match t.sub {
        Sub::Status => Scope::Status,
        _ => Scope::Main { status_subresource: t.rt.status },
    }
}

fn typed_error(t: &Target, name: &str, e: typed::TypedError) -> ApiError {
    ApiError::invalid(
        &t.rt,
        name,
        vec![Cause { reason: "FieldValueInvalid", field: String::new(), message: e.to_string() }],
    )
}

/// How the new version of an object came about.
enum How {
    Create,
    Update,
    /// Server-side apply; managed fields are already computed (`old_mf` were the live object's).
    Apply {
        mf: ManagedFields,
        old_mf: ManagedFields,
    },
}

/// Allocates an unused Service cluster IP.
fn next_cluster_ip(st: &State) -> String {
    let Some(svc) = st.registry.by_kind("", "Service") else { return "10.96.0.10".into() };
    let used: std::collections::HashSet<String> = st
        .list(&svc, None)
        .filter_map(|o| o.value().pointer("/spec/clusterIP").and_then(Value::as_str).map(str::to_string))
        .collect();
    (10u32..65_000)
        .map(|n| format!("10.96.{}.{}", n / 250, n % 250 + 1))
        .find(|ip| !used.contains(ip))
        .unwrap_or_else(|| "10.96.255.254".into())
}

/// The shared tail of every write: scope, metadata, defaults, validation,
/// generation, managed fields, no-op detection, dry-run, finalization, commit.
fn save(st: &mut State, t: &Target, old: Option<Current>, mut new: Value, ctx: &mut Ctx, how: How) -> Reply {
    let (old, old_v) = match old {
        Some(c) => (Some(c.stored), Some(c.value)),
        None => (None, None),
    };
    let name = meta_str(&new, "name").to_string();
    // Scope: the main resource keeps status; the status subresource changes only status.
    match (t.sub, &old_v) {
        (Sub::Status, Some(o)) => {
            let status = new.get("status").cloned();
            let mut merged = o.clone();
            match status {
                Some(s) => merged["status"] = s,
                None => {
                    if let Some(m) = merged.as_object_mut() {
                        m.shift_remove("status");
                    }
                }
            }
            new = merged;
        }
        (Sub::Main, _) if t.rt.status => {
            let m = new.as_object_mut().expect("checked object");
            match old_v.as_ref().and_then(|o| o.get("status")) {
                Some(s) => {
                    m.insert("status".into(), s.clone());
                }
                None => {
                    m.shift_remove("status");
                }
            }
        }
        _ => {}
    }
    // Server-maintained metadata.
    let is_create = old_v.is_none();
    if let Some(o) = &old_v {
        let given_uid = meta_str(&new, "uid");
        let old_uid = meta_str(o, "uid");
        if !given_uid.is_empty() && given_uid != old_uid {
            return Err(ApiError::conflict_with(
                &t.rt,
                &name,
                &format!("Precondition failed: UID in precondition: {given_uid}, UID in object meta: {old_uid}"),
            ));
        }
        let given_rv = meta_str(&new, "resourceVersion");
        if !given_rv.is_empty() && given_rv != meta_str(o, "resourceVersion") {
            return Err(ApiError::conflict(&t.rt, &name));
        }
        let om = o.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
        let nm = meta_mut(&mut new);
        for k in [
            "uid",
            "creationTimestamp",
            "generation",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "resourceVersion",
        ] {
            match om.get(k) {
                Some(v) => nm.insert(k.into(), v.clone()),
                None => nm.remove(k),
            };
        }
    } else {
        let nm = meta_mut(&mut new);
        nm.insert("uid".into(), json!(now_uid()));
        nm.insert("creationTimestamp".into(), json!(ctx.now));
        if lifecycle::tracks_generation(&t.rt) {
            nm.insert("generation".into(), json!(1));
        }
        for k in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            nm.remove(k);
        }
    }
    // Defaults.
    let mut alloc = || next_cluster_ip(st);
    lifecycle::default_object(&t.rt, &mut new, &mut alloc);
    if t.rt.crd.is_some() {
        let schema = t.rt.schema(&t.version);
        schema_defaults(&mut new, schema.root());
    }
    typed::drop_nulls(&mut new);
    // Validation.
    let mut causes = lifecycle::validate(&t.rt, &new);
    if let Some(o) = &old_v {
        causes.extend(lifecycle::validate_update(&t.rt, o, &new));
        if o.pointer("/metadata/deletionTimestamp").is_some() {
            let fin = |v: &Value| -> Vec<Value> {
                v.pointer("/metadata/finalizers").and_then(Value::as_array).cloned().unwrap_or_default()
            };
            let old_fin = fin(o);
            if fin(&new).iter().any(|f| !old_fin.contains(f)) {
                causes.push(Cause::forbidden(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted",
                ));
            }
        }
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid(&t.rt, &name, causes));
    }
    if is_create {
        check_namespace(st, t, &name)?;
    }
    // Generation.
    if let Some(o) = &old_v
        && lifecycle::tracks_generation(&t.rt)
        && lifecycle::generation_changes(&t.rt, o, &new)
    {
        let g = o.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(1);
        meta_mut(&mut new).insert("generation".into(), json!(g + 1));
    }
    // Managed fields.
    let schema = t.rt.schema(&t.version);
    let w = managed::Write { ty: schema.root(), scope: scope(t), now: &ctx.now };
    let (mf, old_mf) = match how {
        How::Apply { mf, old_mf } => (mf, old_mf),
        How::Create | How::Update => {
            let old_mf = match &old_v {
                Some(o) => ManagedFields::of(o).unwrap_or_default(),
                None => ManagedFields::default(),
            };
            let given = new.pointer("/metadata/managedFields");
            let mut mf = match given {
                Some(g) if old_v.as_ref().and_then(|o| o.pointer("/metadata/managedFields")) != Some(g) => {
                    ManagedFields::from_json(Some(g)).map_err(|e| {
                        ApiError::invalid(
                            &t.rt,
                            &name,
                            vec![Cause::invalid("metadata.managedFields", g, &e.to_string())],
                        )
                    })?
                }
                _ => old_mf.clone(),
            };
            // managedFields themselves are never owned (the field manager ignores them).
            let empty = json!({});
            let base = old_v.as_ref().unwrap_or(&empty);
            managed::update(base, &new, &mut mf, &manager_id(t, ctx, Operation::Update), w)
                .map_err(|e| typed_error(t, &name, e))?;
            (mf, old_mf)
        }
    };
    // Timestamps alone do not make a change.
    let mf = keep_times_if_same(mf, &old_mf);
    let nm = meta_mut(&mut new);
    if mf.entries.is_empty() {
        nm.remove("managedFields");
    } else {
        nm.insert("managedFields".into(), mf.to_json());
    }
    let mut new = normalize_order(new);
    if let (Some(o), Some(ov)) = (&old, &old_v)
        && *ov == new
    {
        return Ok((200, served(o, t)));
    }
    if ctx.dry_run {
        return Ok((if is_create { 201 } else { 200 }, at_version(new, t)));
    }
    // Finalization: a deleted object whose last finalizer went away.
    let deleting = new.pointer("/metadata/deletionTimestamp").is_some();
    let finalizers = new.pointer("/metadata/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty());
    if deleting && !finalizers {
        st.put(&t.rt, &mut new, EventType::Modified);
        let gone = finish_delete(st, &t.rt, &t.namespace, &name, "Background");
        return Ok((200, at_version(gone.map(|g| g.value()).unwrap_or(json!({})), t)));
    }
    let stored = st.put(&t.rt, &mut new, if is_create { EventType::Added } else { EventType::Modified });
    after_write(st, &t.rt, &stored);
    Ok((if is_create { 201 } else { 200 }, at_version(new, t)))
}

/// Keeps the old entry's time where an entry's fields did not change.
fn keep_times_if_same(mut mf: ManagedFields, old: &ManagedFields) -> ManagedFields {
    for e in &mut mf.entries {
        if let Some(o) = old.entries.iter().find(|o| o.id == e.id && o.fields == e.fields) {
            e.time = o.time.clone();
        }
    }
    mf
}

/// Puts apiVersion, kind, metadata first and metadata's keys in the API server's order.
fn normalize_order(v: Value) -> Value {
    let Value::Object(mut m) = v else { return v };
    let mut out = Map::new();
    for k in ["apiVersion", "kind"] {
        if let Some(x) = m.shift_remove(k) {
            out.insert(k.into(), x);
        }
    }
    if let Some(Value::Object(mut meta)) = m.shift_remove("metadata") {
        let mut om = Map::new();
        for k in [
            "name",
            "generateName",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "labels",
            "annotations",
            "ownerReferences",
            "finalizers",
            "managedFields",
        ] {
            if let Some(x) = meta.shift_remove(k) {
                om.insert(k.into(), x);
            }
        }
        om.extend(meta);
        out.insert("metadata".into(), Value::Object(om));
    }
    out.extend(m);
    Value::Object(out)
}

/// What a write triggers at once: CRDs register their kinds.
fn after_write(st: &mut State, rt: &ResourceType, stored: &Stored) {
    if rt.group == "apiextensions.k8s.io" && rt.kind == "CustomResourceDefinition" {
        establish_crd(st, rt, stored);
    }
}

/// Registers the kinds of a CRD and records the result in its status, as the
/// API server's CRD controllers do.
fn establish_crd(st: &mut State, crd_rt: &ResourceType, stored: &Stored) {
    let mut crd = stored.value();
    if crd.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let result = ResourceType::from_crd(&crd).and_then(|rt| st.registry.register(rt));
    let names = crd.pointer("/spec/names").cloned().unwrap_or(json!({}));
    let storage = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| vs.iter().find(|v| v.get("storage") == Some(&json!(true))))
        .and_then(|v| v.get("name"))
        .cloned()
        .unwrap_or(json!("v1"));
    let now = now();
    let (ok, reason, message) = match &result {
        Ok(()) => ("True", "NoConflicts", "no conflicts found".to_string()),
        Err(e) => ("False", "NameConflict", e.clone()),
    };
    let status = json!({
        "conditions": [
            {"type": "NamesAccepted", "status": ok, "lastTransitionTime": now, "reason": reason, "message": message},
            {"type": "Established", "status": ok, "lastTransitionTime": now,
             "reason": if ok == "True" { "InitialNamesAccepted" } else { "NotAccepted" },
             "message": if ok == "True" { "the initial names have been accepted" } else { "not all names are accepted" }},
        ],
        "acceptedNames": names,
        "storedVersions": [storage],
    });
    if crd.get("status") == Some(&status) || crd.get("status").is_some_and(|s| same_conditions(s, &status)) {
        return;
    }
    crd["status"] = status;
    st.put(crd_rt, &mut crd, EventType::Modified);
}

fn same_conditions(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| -> Value {
        let mut v = v.clone();
        if let Some(cs) = v.get_mut("conditions").and_then(Value::as_array_mut) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                c.remove("lastTransitionTime");
            }
        }
        v
    };
    strip(a) == strip(b)
}

/// The current time as the API server writes timestamps.
pub fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn create(st: &mut State, t: &Target, mut body: Value, ctx: &mut Ctx) -> Reply {
    check_identity(t, &body)?;
    if t.sub != Sub::Main {
        return Err(ApiError::method_not_allowed());
    }
    let mut name = meta_str(&body, "name").to_string();
    if name.is_empty() {
        let prefix = meta_str(&body, "generateName").to_string();
        if prefix.is_empty() {
            return Err(ApiError::invalid(
                &t.rt,
                "",
                vec![Cause::required("metadata.name", "name or generateName is required")],
            ));
        }
        let suffix: String =
            uuid::Uuid::new_v4().simple().to_string().chars().filter(char::is_ascii_alphanumeric).take(5).collect();
        name = format!("{prefix}{suffix}");
        meta_mut(&mut body).insert("name".into(), json!(name));
    }
    let t = Target { name: name.clone(), ..t.clone() };
    place(&t, &mut body)?;
    sanitize(&t, &mut body, ctx, false)?;
    if st.get(&t.rt, &t.namespace, &name).is_some() {
        return Err(ApiError::already_exists(&t.rt, &name));
    }
    save(st, &t, None, body, ctx, How::Create)
}

pub fn update(st: &mut State, t: &Target, mut body: Value, ctx: &mut Ctx) -> Reply {
    check_identity(t, &body)?;
    if t.sub == Sub::Scale {
        return update_scale(st, t, body, ctx);
    }
    place(t, &mut body)?;
    sanitize(t, &mut body, ctx, false)?;
    let old = current(st, t)?;
    save(st, t, Some(old), body, ctx, How::Update)
}

/// A status write by a simulated controller: `value` is the current object
/// (as stored at `stored`) and `status` its new status. Skips the parsing and
/// pruning a client's request needs.
pub fn write_status(
    st: &mut State,
    t: &Target,
    stored: Arc<Stored>,
    value: Value,
    status: Value,
    ctx: &mut Ctx,
) -> Reply {
    let mut new = value.clone();
    new["status"] = status;
    save(st, t, Some(Current { stored, value }), new, ctx, How::Update)
}

/// Applies a patch document to the current object.
pub fn patch(st: &mut State, t: &Target, kind: PatchKind, body: &[u8], ctx: &mut Ctx) -> Reply {
    if kind == PatchKind::Apply {
        return apply(st, t, body, ctx);
    }
    if ctx.force {
        return Err(ApiError::invalid_options("force", "may not be specified for non-apply patch"));
    }
    let old = current(st, t)?;
    let doc = match t.sub {
        Sub::Scale => scale_of(&t.rt, &old.value)?,
        _ => at_version(old.value.clone(), t),
    };
    let patched = patch_value(t, kind, &doc, body)?;
    match t.sub {
        Sub::Scale => update_scale(st, t, patched, ctx),
        _ => {
            let mut patched = patched;
            check_identity(t, &patched)?;
            place(t, &mut patched)?;
            sanitize(t, &mut patched, ctx, false)?;
            save(st, t, Some(old), patched, ctx, How::Update)
        }
    }
}

fn patch_value(t: &Target, kind: PatchKind, current: &Value, body: &[u8]) -> Result<Value, ApiError> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    match kind {
        PatchKind::Json => {
            let p: json_patch::Patch = serde_json::from_value(doc)
                .map_err(|e| ApiError::bad_request(format!("the JSON patch is not valid: {e}")))?;
            let mut out = current.clone();
            json_patch::patch(&mut out, &p).map_err(|e| {
                ApiError::new(
                    422,
                    "Invalid",
                    format!("the server rejected our request due to an error in our request: {e}"),
                )
            })?;
            Ok(out)
        }
        PatchKind::Merge => {
            if !doc.is_object() {
                return Err(ApiError::bad_request("the merge patch must be a JSON object"));
            }
            let mut out = current.clone();
            json_patch::merge(&mut out, &doc);
            Ok(out)
        }
        PatchKind::Strategic => {
            if t.rt.crd.is_some() {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    "strategic merge patch is not supported for custom resources; use a merge patch",
                ));
            }
            let schema = match t.sub {
                Sub::Scale => crate::schema::types::Schema::builtin("autoscaling/v1", "Scale")
                    .unwrap_or_else(crate::schema::types::Schema::untyped),
                _ => t.rt.schema(&t.version),
            };
            smp::strategic_merge(current, &doc, schema.root()).map_err(|e| ApiError::bad_request(e.to_string()))
        }
        PatchKind::Apply => Err(ApiError::internal("apply is not a document patch")),
    }
}

/// Server-side apply (`application/apply-patch+yaml`).
fn apply(st: &mut State, t: &Target, body: &[u8], ctx: &mut Ctx) -> Reply {
    if !ctx.manager_given {
        return Err(ApiError::invalid_options("fieldManager", "is required for apply patch"));
    }
    if t.sub == Sub::Scale {
        return Err(ApiError::unsupported_media_type(
            "application/apply-patch+yaml",
            &["application/json-patch+json", "application/merge-patch+json"],
        ));
    }
    let mut config = super::parse_yaml_or_json(body)?;
    if !config.is_object() {
        return Err(ApiError::bad_request("the apply patch must be an object"));
    }
    if config.pointer("/metadata/managedFields").is_some_and(|v| !v.is_null()) {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let av = config.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = config.get("kind").and_then(Value::as_str).unwrap_or_default();
    if av.is_empty() || kind.is_empty() {
        return Err(ApiError::bad_request("apiVersion and kind must be set in an apply patch"));
    }
    check_identity(t, &config)?;
    place(t, &mut config)?;
    sanitize(t, &mut config, ctx, true)?;
    let old = current(st, t).ok();
    if old.is_none() && t.sub == Sub::Status {
        return Err(ApiError::not_found(&t.rt, &t.name));
    }
    let empty = json!({});
    let live = old.as_ref().map_or(&empty, |o| &o.value);
    let old_mf = ManagedFields::of(live).unwrap_or_default();
    let mut mf = old_mf.clone();
    let schema = t.rt.schema(&t.version);
    let w = managed::Write { ty: schema.root(), scope: scope(t), now: &ctx.now };
    // The applied configuration's resourceVersion is a precondition, not a field.
    let rv = meta_str(&config, "resourceVersion").to_string();
    meta_mut(&mut config).remove("resourceVersion");
    // The live object's managedFields are carried through the merge unchanged and replaced by `save`.
    let merged = managed::apply(live, &config, &mut mf, &manager_id(t, ctx, Operation::Apply), ctx.force, w).map_err(
        |e| match e {
            ApplyError::Conflicts(c) => {
                let causes = c.0.iter().map(|x| (x.path.clone(), format!("conflict with {}", x.manager))).collect();
                ApiError::apply_conflict(c.to_string(), causes)
            }
            ApplyError::Typed(e) => typed_error(t, &t.name, e),
        },
    )?;
    let mut merged = merged;
    if !rv.is_empty() {
        meta_mut(&mut merged).insert("resourceVersion".into(), json!(rv));
    } else if let Some(o) = &old {
        meta_mut(&mut merged).insert("resourceVersion".into(), json!(o.stored.rv.to_string()));
    }
    if old.is_none() && !rv.is_empty() {
        return Err(ApiError::not_found(&t.rt, &t.name));
    }
    save(st, t, old, merged, ctx, How::Apply { mf, old_mf })
}

impl ApiError {
    /// An invalid request option (422 on PatchOptions/DeleteOptions).
    pub fn invalid_options(field: &str, detail: &str) -> ApiError {
        let cause = Cause::required(field, detail);
        let cause = if detail.starts_with("may not") { Cause::invalid(field, &json!(true), detail) } else { cause };
        ApiError {
            code: 422,
            reason: "Invalid",
            message: format!("PatchOptions.meta.k8s.io \"\" is invalid: {}: {}", cause.field, cause.message),
            details: Some(json!({"group": "meta.k8s.io", "kind": "PatchOptions",
                "causes": [{"reason": cause.reason, "message": cause.message, "field": cause.field}]})),
        }
    }
}

/// The `autoscaling/v1` Scale of an object with a scale subresource.
fn scale_of(rt: &ResourceType, obj: &Value) -> Result<Value, ApiError> {
    let paths = rt.scale.as_ref().ok_or_else(ApiError::no_route)?;
    let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
    let mut m = Map::new();
    for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
        if let Some(v) = meta.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    let selector = match &paths.label_selector {
        Some(p) if rt.crd.is_some() => obj.pointer(p).and_then(Value::as_str).map(str::to_string),
        _ => {
            obj.pointer("/spec/selector").and_then(|s| LabelSelector::from_json(s).ok()).map(|s| s.to_string()).or_else(
                || {
                    obj.pointer("/spec/selector").and_then(Value::as_object).map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                },
            )
        }
    };
    let mut status = Map::new();
    status.insert("replicas".into(), obj.pointer(&paths.status_replicas).cloned().unwrap_or(json!(0)));
    if let Some(sel) = selector {
        status.insert("selector".into(), json!(sel));
    }
    Ok(json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": m,
        "spec": {"replicas": obj.pointer(&paths.spec_replicas).cloned().unwrap_or(json!(0))},
        "status": status,
    }))
}

/// Writes a new Scale: the object's replicas change, owned by the writer
/// through the `scale` subresource.
fn update_scale(st: &mut State, t: &Target, scale: Value, ctx: &mut Ctx) -> Reply {
    let paths = t.rt.scale.clone().ok_or_else(ApiError::no_route)?;
    if scale.get("kind").and_then(Value::as_str).is_some_and(|k| k != "Scale") {
        return Err(ApiError::bad_request("the body must be an autoscaling/v1 Scale"));
    }
    let old = current(st, t)?;
    let rv = meta_str(&scale, "resourceVersion");
    if !rv.is_empty() && rv != old.stored.rv.to_string() {
        return Err(ApiError::conflict(&t.rt, &t.name));
    }
    let replicas = scale.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
    if !replicas.is_i64() || replicas.as_i64().is_some_and(|r| r < 0) {
        return Err(ApiError::invalid(
            &t.rt,
            &t.name,
            vec![Cause::invalid("spec.replicas", &replicas, "must be greater than or equal to 0")],
        ));
    }
    let mut new = old.value.clone();
    set_pointer(&mut new, &paths.spec_replicas, replicas);
    let main = Target { sub: Sub::Scale, ..t.clone() };
    let reply = save(st, &main, Some(old), new, ctx, How::Update)?;
    Ok((reply.0, scale_of(&t.rt, &reply.1)?))
}

fn set_pointer(v: &mut Value, pointer: &str, value: Value) {
    let mut cur = v;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, p) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            if let Some(m) = cur.as_object_mut() {
                m.insert(p.to_string(), value);
            }
            return;
        }
        if !cur.get(*p).is_some_and(Value::is_object) {
            cur[*p] = json!({});
        }
        cur = &mut cur[*p];
    }
}

/// DELETE of one object.
pub fn delete(st: &mut State, t: &Target, opts: &DeleteOptions, ctx: &mut Ctx) -> Reply {
    let old = st.get(&t.rt, &t.namespace, &t.name).ok_or_else(|| ApiError::not_found(&t.rt, &t.name))?;
    if let Some(uid) = &opts.uid
        && *uid != old.uid
    {
        return Err(ApiError::conflict_with(
            &t.rt,
            &t.name,
            &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {}", old.uid),
        ));
    }
    if let Some(rv) = &opts.resource_version
        && *rv != old.rv.to_string()
    {
        return Err(ApiError::conflict_with(
            &t.rt,
            &t.name,
            &format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                old.rv
            ),
        ));
    }
    let propagation = opts.propagation.clone().unwrap_or_else(|| "Background".into());
    if !["Foreground", "Background", "Orphan"].contains(&propagation.as_str()) {
        return Err(ApiError::invalid_options("propagationPolicy", "must be one of Foreground, Background, Orphan"));
    }
    let is_namespace = t.rt.group.is_empty() && t.rt.kind == "Namespace";
    if ctx.dry_run {
        return Ok((200, success(t, &old.uid)));
    }
    if old.finalizers > 0 || is_namespace {
        if !old.deleting {
            let mut v = old.value();
            let m = meta_mut(&mut v);
            m.insert("deletionTimestamp".into(), json!(ctx.now));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
            if is_namespace {
                v["status"] = json!({"phase": "Terminating"});
            }
            st.put(&t.rt, &mut v, EventType::Modified);
        }
        if is_namespace {
            empty_namespace(st, &t.name);
        }
        let current = st.get(&t.rt, &t.namespace, &t.name);
        return Ok((200, current.map(|c| served(&c, t)).unwrap_or_else(|| success(t, &old.uid))));
    }
    finish_delete(st, &t.rt, &t.namespace, &t.name, &propagation);
    Ok((200, success(t, &old.uid)))
}

fn success(t: &Target, uid: &str) -> Value {
    let mut d = Map::new();
    d.insert("name".into(), json!(t.name));
    if !t.rt.group.is_empty() {
        d.insert("group".into(), json!(t.rt.group));
    }
    d.insert("kind".into(), json!(t.rt.plural));
    d.insert("uid".into(), json!(uid));
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": d})
}

/// deletecollection: deletes every selected object.
pub fn delete_collection(st: &mut State, t: &Target, q: &ListQuery, opts: &DeleteOptions, ctx: &mut Ctx) -> Reply {
    q.fields.check_supported(&supported_fields(&t.rt)).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let ns = (!t.namespace.is_empty()).then_some(t.namespace.as_str());
    let names: Vec<(String, String)> = st
        .list(&t.rt, ns)
        .filter(|o| matches(o, &q.labels, &q.fields))
        .map(|o| (o.namespace.clone(), o.name.clone()))
        .collect();
    let mut items = Vec::new();
    for (ns, name) in names {
        let one = Target { namespace: ns, name, ..t.clone() };
        if let Some(o) = st.get(&t.rt, &one.namespace, &one.name) {
            items.push(served(&o, &one));
        }
        delete(st, &one, opts, ctx)?;
    }
    Ok((
        200,
        json!({"kind": t.rt.list_kind, "apiVersion": t.api_version(), "metadata": {"resourceVersion": st.rv.to_string()}, "items": items}),
    ))
}

/// Removes an object for good, then what depended on it: its dependents (by
/// ownerReferences), the contents of a namespace, the instances of a CRD.
/// Returns the removed object.
pub fn finish_delete(
    st: &mut State,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    propagation: &str,
) -> Option<Arc<Stored>> {
    let gone = st.remove(rt, ns, name)?;
    if rt.group == "apiextensions.k8s.io" && rt.kind == "CustomResourceDefinition" {
        for t in st.registry.unregister_crd(name) {
            st.drop_type(&t.key());
        }
    }
    collect_dependents(st, &gone, rt.namespaced, propagation);
    if rt.namespaced {
        finalize_namespace_if_empty(st, ns);
    }
    Some(gone)
}

/// Garbage collection of objects owned by a removed object.
fn collect_dependents(st: &mut State, owner: &Stored, owner_namespaced: bool, propagation: &str) {
    let dependents: Vec<(String, String, String)> = st
        .all()
        .filter(|(_, o)| o.owners.contains(&owner.uid))
        .filter(|(_, o)| !owner_namespaced || o.namespace == owner.namespace)
        .map(|(k, o)| (k.clone(), o.namespace.clone(), o.name.clone()))
        .collect();
    let now = now();
    for (key, ns, name) in dependents {
        let Some(rt) = st.registry.by_key(&key) else { continue };
        let Some(dep) = st.get(&rt, &ns, &name) else { continue };
        let mut v = dep.value();
        let refs = v.pointer("/metadata/ownerReferences").and_then(Value::as_array).cloned().unwrap_or_default();
        let others: Vec<Value> =
            refs.iter().filter(|r| r.get("uid").and_then(Value::as_str) != Some(owner.uid.as_str())).cloned().collect();
        let others_alive = others.iter().any(|r| {
            let uid = r.get("uid").and_then(Value::as_str).unwrap_or_default();
            st.all().any(|(_, o)| o.uid == uid)
        });
        if propagation == "Orphan" || others_alive {
            let m = meta_mut(&mut v);
            if others.is_empty() {
                m.remove("ownerReferences");
            } else {
                m.insert("ownerReferences".into(), Value::Array(others));
            }
            st.put(&rt, &mut v, EventType::Modified);
        } else if dep.finalizers > 0 {
            if !dep.deleting {
                meta_mut(&mut v).insert("deletionTimestamp".into(), json!(now));
                st.put(&rt, &mut v, EventType::Modified);
            }
        } else {
            finish_delete(st, &rt, &ns, &name, "Background");
        }
    }
}

/// Deletes everything in a terminating namespace.
fn empty_namespace(st: &mut State, ns: &str) {
    let now = now();
    let types: Vec<Arc<ResourceType>> = st.registry.all().filter(|t| t.namespaced).cloned().collect();
    for rt in types {
        let objs: Vec<Arc<Stored>> = st.list(&rt, Some(ns)).cloned().collect();
        for o in objs {
            if o.finalizers > 0 {
                if !o.deleting {
                    let mut v = o.value();
                    meta_mut(&mut v).insert("deletionTimestamp".into(), json!(now));
                    st.put(&rt, &mut v, EventType::Modified);
                }
            } else {
                st.remove(&rt, ns, &o.name);
                collect_dependents(st, &o, true, "Background");
            }
        }
    }
    finalize_namespace_if_empty(st, ns);
}

/// Removes a terminating namespace once nothing is left in it.
fn finalize_namespace_if_empty(st: &mut State, ns: &str) {
    let Some(ns_rt) = st.registry.by_kind("", "Namespace") else { return };
    let Some(n) = st.get(&ns_rt, "", ns) else { return };
    if !n.deleting || n.finalizers > 0 {
        return;
    }
    let empty = st.registry.all().filter(|t| t.namespaced).all(|t| st.list(t, Some(ns)).next().is_none());
    if empty {
        st.remove(&ns_rt, "", ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx {
            manager: "test".into(),
            manager_given: true,
            dry_run: false,
            force: false,
            validation: FieldValidation::Warn,
            now: now(),
            warnings: vec![],
        }
    }

    fn target(st: &State, group: &str, version: &str, plural: &str, ns: &str, name: &str) -> Target {
        Target {
            rt: st.registry.lookup(group, version, plural).unwrap(),
            version: version.into(),
            namespace: ns.into(),
            name: name.into(),
            sub: Sub::Main,
        }
    }

    fn setup() -> State {
        let mut st = State::new(None);
        let t = target(&st, "", "v1", "namespaces", "", "");
        create(
            &mut st,
            &t,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
            &mut ctx(),
        )
        .unwrap();
        st
    }

    #[test]
    fn create_get_update_conflict() {
        let mut st = setup();
        let t = target(&st, "", "v1", "configmaps", "default", "");
        let (code, cm) = create(
            &mut st,
            &t,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a"}, "data": {"k": "v"}}),
            &mut ctx(),
        )
        .unwrap();
        assert_eq!(code, 201);
        let rv = cm["metadata"]["resourceVersion"].as_str().unwrap().to_string();
        let one = target(&st, "", "v1", "configmaps", "default", "a");
        let mut changed = cm.clone();
        changed["data"]["k"] = json!("w");
        let (_, updated) = update(&mut st, &one, changed.clone(), &mut ctx()).unwrap();
        assert_ne!(updated["metadata"]["resourceVersion"].as_str().unwrap(), rv);
        // The same stale body again: 409.
        let err = update(&mut st, &one, changed, &mut ctx()).unwrap_err();
        assert_eq!(err.code, 409);
        // A no-op update does not bump the resourceVersion.
        let (_, same) = update(&mut st, &one, updated.clone(), &mut ctx()).unwrap();
        assert_eq!(same["metadata"]["resourceVersion"], updated["metadata"]["resourceVersion"]);
    }

    #[test]
    fn namespace_must_exist_and_delete_empties_it() {
        let mut st = setup();
        let t = target(&st, "", "v1", "configmaps", "nope", "");
        let err = create(
            &mut st,
            &t,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
            &mut ctx(),
        )
        .unwrap_err();
        assert_eq!(err.message, "namespaces \"nope\" not found");
        let ns = target(&st, "", "v1", "namespaces", "", "");
        create(&mut st, &ns, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}), &mut ctx())
            .unwrap();
        let t = target(&st, "", "v1", "configmaps", "x", "");
        create(&mut st, &t, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}), &mut ctx())
            .unwrap();
        let x = target(&st, "", "v1", "namespaces", "", "x");
        delete(&mut st, &x, &DeleteOptions::default(), &mut ctx()).unwrap();
        assert!(st.get(&t.rt, "x", "a").is_none());
        assert!(st.get(&ns.rt, "", "x").is_none());
    }

    #[test]
    fn finalizers_hold_deletion_until_cleared() {
        let mut st = setup();
        let t = target(&st, "", "v1", "configmaps", "default", "");
        create(
            &mut st,
            &t,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "finalizers": ["x/y"]}}),
            &mut ctx(),
        )
        .unwrap();
        let one = target(&st, "", "v1", "configmaps", "default", "a");
        let (_, v) = delete(&mut st, &one, &DeleteOptions::default(), &mut ctx()).unwrap();
        assert!(v["metadata"]["deletionTimestamp"].is_string());
        let (_, _) =
            patch(&mut st, &one, PatchKind::Merge, br#"{"metadata":{"finalizers":null}}"#, &mut ctx()).unwrap();
        assert!(st.get(&t.rt, "default", "a").is_none());
    }
}
