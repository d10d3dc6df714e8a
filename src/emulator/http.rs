//! The HTTP face of the emulator: routing of Kubernetes API paths, request
//! parsing (query options, content types, size limit), responses and watch
//! streams.

use super::discovery;
use super::ops::{self, Ctx, DeleteOptions, FieldValidation, ListQuery, PatchKind, Sub, Target};
use super::status::ApiError;
use super::store::{Event, EventType, State, Stored};
use super::table::{self, IncludeObject};
use crate::schema::protobuf;
use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// The API server's limit on request bodies.
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub state: Arc<Mutex<State>>,
    /// Fires when the emulator shuts down, ending watch streams.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl App {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn json_response(code: u16, body: &Value) -> Response {
    bytes_response(code, serde_json::to_vec(body).unwrap_or_default(), "application/json")
}

fn bytes_response(code: u16, body: Vec<u8>, content_type: &str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn error_response(e: &ApiError) -> Response {
    json_response(e.code, &e.to_status())
}

fn with_warnings(mut r: Response, warnings: &[String]) -> Response {
    for w in warnings {
        let text = format!("299 - {}", Value::String(w.clone()));
        if let Ok(v) = HeaderValue::from_str(&text) {
            r.headers_mut().append(header::WARNING, v);
        }
    }
    r
}

pub async fn version() -> Response {
    json_response(
        200,
        &json!({
            "major": "1", "minor": "33", "gitVersion": "v1.33.0-driftless-emulator",
            "gitCommit": "", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "n/a", "compiler": "n/a", "platform": "linux/amd64", "emulationMajor": "1", "emulationMinor": "33"
        }),
    )
}

pub async fn healthz() -> Response {
    bytes_response(200, b"ok".to_vec(), "text/plain; charset=utf-8")
}

fn accept(headers: &HeaderMap) -> &str {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("")
}

pub async fn api(AxState(app): AxState<App>, headers: HeaderMap) -> Response {
    match discovery::aggregated_version(accept(&headers)) {
        Some(v) => {
            let body = discovery::aggregated(&app.lock().registry, true, v);
            bytes_response(200, serde_json::to_vec(&body).unwrap_or_default(), &discovery::aggregated_content_type(v))
        }
        None => json_response(200, &discovery::core_versions()),
    }
}

pub async fn apis(AxState(app): AxState<App>, headers: HeaderMap) -> Response {
    match discovery::aggregated_version(accept(&headers)) {
        Some(v) => {
            let body = discovery::aggregated(&app.lock().registry, false, v);
            bytes_response(200, serde_json::to_vec(&body).unwrap_or_default(), &discovery::aggregated_content_type(v))
        }
        None => json_response(200, &discovery::groups(&app.lock().registry)),
    }
}

fn query_map(uri: &Uri) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let Some(q) = uri.query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            out.insert(k.into_owned(), v.into_owned());
        }
    }
    out
}

/// A parsed resource path.
struct Route {
    group: String,
    version: String,
    namespace: Option<String>,
    plural: String,
    name: Option<String>,
    sub: Option<String>,
    legacy_watch: bool,
}

fn parse_path(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => (String::new(), v.to_string(), rest),
        ["apis", g, v, rest @ ..] => (g.to_string(), v.to_string(), rest),
        _ => return None,
    };
    let (legacy_watch, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        _ => (false, rest),
    };
    let r = |namespace: Option<&str>, plural: &str, name: Option<&str>, sub: Option<&str>| Route {
        group: group.clone(),
        version: version.clone(),
        namespace: namespace.map(str::to_string),
        plural: plural.to_string(),
        name: name.map(str::to_string),
        sub: sub.map(str::to_string),
        legacy_watch,
    };
    Some(match rest {
        [plural] => r(None, plural, None, None),
        ["namespaces", ns, sub] if *sub == "status" || *sub == "finalize" => r(None, "namespaces", Some(ns), Some(sub)),
        ["namespaces", ns, plural] => r(Some(ns), plural, None, None),
        ["namespaces", ns, plural, name] => r(Some(ns), plural, Some(name), None),
        ["namespaces", ns, plural, name, sub] => r(Some(ns), plural, Some(name), Some(sub)),
        [plural, name] => r(None, plural, Some(name), None),
        [plural, name, sub] => r(None, plural, Some(name), Some(sub)),
        _ => return None,
    })
}

/// Everything under `/api/v1/...` and `/apis/{group}/{version}/...`.
pub async fn resource(
    AxState(app): AxState<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path().to_string();
    // Discovery of one group or group version.
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    if method == Method::GET {
        match segs.as_slice() {
            ["api", v] => {
                return match discovery::resources(&app.lock().registry, "", v) {
                    Some(r) => json_response(200, &r),
                    None => error_response(&ApiError::no_route()),
                };
            }
            ["apis", g] => {
                return match discovery::group(&app.lock().registry, g) {
                    Some(r) => json_response(200, &r),
                    None => error_response(&ApiError::no_route()),
                };
            }
            ["apis", g, v] => {
                return match discovery::resources(&app.lock().registry, g, v) {
                    Some(r) => json_response(200, &r),
                    None => error_response(&ApiError::no_route()),
                };
            }
            _ => {}
        }
    }
    let Some(route) = parse_path(&path) else { return error_response(&ApiError::no_route()) };
    let query = query_map(&uri);
    let result = serve(&app, &method, route, &query, &headers, body).await;
    match result {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(%method, %path, code = e.code, message = %e.message, "emulator: request refused");
            error_response(&e)
        }
    }
}

fn target_of(app: &App, route: &Route) -> Result<Target, ApiError> {
    let rt = app.lock().registry.lookup(&route.group, &route.version, &route.plural).ok_or_else(ApiError::no_route)?;
    let sub = match route.sub.as_deref() {
        None => Sub::Main,
        Some("status") if rt.status || (rt.group.is_empty() && rt.kind == "Namespace") => Sub::Status,
        Some("finalize") if rt.group.is_empty() && rt.kind == "Namespace" => Sub::Main,
        Some("scale") if rt.scale.is_some() => Sub::Scale,
        Some(_) => return Err(ApiError::no_route()),
    };
    if route.namespace.is_some() && !rt.namespaced {
        return Err(ApiError::no_route());
    }
    if route.name.is_some() && rt.namespaced && route.namespace.is_none() {
        return Err(ApiError::no_route());
    }
    Ok(Target {
        rt,
        version: route.version.clone(),
        namespace: route.namespace.clone().unwrap_or_default(),
        name: route.name.clone().unwrap_or_default(),
        sub,
    })
}

fn manager_from(query: &HashMap<String, String>, headers: &HeaderMap) -> (String, bool) {
    if let Some(m) = query.get("fieldManager").filter(|m| !m.is_empty()) {
        return (m.clone(), true);
    }
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("unknown");
    let name = ua.split('/').next().unwrap_or("unknown").trim();
    (if name.is_empty() { "unknown".into() } else { name.to_string() }, false)
}

fn ctx_of(query: &HashMap<String, String>, headers: &HeaderMap) -> Result<Ctx, ApiError> {
    let (manager, manager_given) = manager_from(query, headers);
    if manager.len() > 128 {
        return Err(ApiError::invalid_options("fieldManager", "must be at most 128 characters"));
    }
    let dry_run = match query.get("dryRun").map(String::as_str) {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "dryRun: Unsupported value: {other:?}: supported values: \"All\""
            )));
        }
    };
    let force = matches!(query.get("force").map(String::as_str), Some("true" | "1"));
    let validation = match query.get("fieldValidation").map(String::as_str) {
        None | Some("") | Some("Warn") => FieldValidation::Warn,
        Some("Ignore") => FieldValidation::Ignore,
        Some("Strict") => FieldValidation::Strict,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "fieldValidation: Unsupported value: {other:?}: supported values: \"Ignore\", \"Warn\", \"Strict\""
            )));
        }
    };
    Ok(Ctx { manager, manager_given, dry_run, force, validation, now: ops::now(), warnings: Vec::new() })
}

fn list_query(query: &HashMap<String, String>) -> Result<ListQuery, ApiError> {
    use crate::schema::selector::{FieldSelector, LabelSelector};
    let labels = match query.get("labelSelector") {
        Some(s) => {
            LabelSelector::parse(s).map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?
        }
        None => LabelSelector::default(),
    };
    let fields = match query.get("fieldSelector") {
        Some(s) => FieldSelector::parse(s).map_err(|e| ApiError::bad_request(e.to_string()))?,
        None => FieldSelector::default(),
    };
    let limit = match query.get("limit") {
        Some(l) => Some(l.parse::<usize>().map_err(|_| ApiError::bad_request(format!("limit: invalid value {l:?}")))?),
        None => None,
    };
    Ok(ListQuery { labels, fields, limit, continue_token: query.get("continue").filter(|c| !c.is_empty()).cloned() })
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads a request body of at most [`MAX_BODY`] bytes. A larger one is read on
/// (up to a bound) and thrown away, so the client gets to read the 413.
async fn read_body(mut body: Body) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
    let mut buf = bytes::BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(format!("reading the request body failed: {e}")))?;
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total <= MAX_BODY {
                buf.extend_from_slice(&data);
            } else if total > DRAIN_LIMIT {
                break;
            }
        }
    }
    if total > MAX_BODY {
        return Err(ApiError::too_large(MAX_BODY));
    }
    Ok(buf.freeze())
}

/// Parses a create/update body: JSON, or YAML when the client says so.
fn parse_object(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, ApiError> {
    match content_type(headers).as_str() {
        "" | "application/json" | "*/*" => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("the body of the request could not be decoded as JSON: {e}"))),
        "application/yaml" => super::parse_yaml_or_json(bytes),
        protobuf::CONTENT_TYPE => protobuf::decode(bytes).map_err(|e| {
            ApiError::bad_request(format!("the body of the request could not be decoded as protobuf: {e}"))
        }),
        other => Err(ApiError::unsupported_media_type(
            other,
            &["application/json", "application/yaml", protobuf::CONTENT_TYPE],
        )),
    }
}

async fn serve(
    app: &App,
    method: &Method,
    route: Route,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let t = target_of(app, &route)?;
    let watching = route.legacy_watch || matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    let is_collection = t.name.is_empty();
    let want_table = table::wants_table(accept(headers));
    match *method {
        Method::GET if watching => watch(app, t, query, want_table).await,
        Method::GET if is_collection => {
            let q = list_query(query)?;
            if want_table {
                let (rv, items) = ops::list_values(&app.lock(), &t, &q)?;
                let include = IncludeObject::parse(query.get("includeObject").map(String::as_str));
                let tbl = table::table(&t.rt, &items, &rv.to_string(), include, jiff::Timestamp::now());
                return Ok(json_response(200, &tbl));
            }
            let bytes = ops::list(&app.lock(), &t, &q)?;
            Ok(bytes_response(200, bytes, "application/json"))
        }
        Method::GET => {
            let (code, v) = ops::get(&app.lock(), &t)?;
            if want_table && t.sub == Sub::Main {
                let include = IncludeObject::parse(query.get("includeObject").map(String::as_str));
                let rv = v.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("").to_string();
                return Ok(json_response(code, &table::table(&t.rt, &[v], &rv, include, jiff::Timestamp::now())));
            }
            Ok(json_response(code, &v))
        }
        Method::POST if is_collection => {
            let mut ctx = ctx_of(query, headers)?;
            let bytes = read_body(body).await?;
            let obj = parse_object(headers, &bytes)?;
            let (code, v) = ops::create(&mut app.lock(), &t, obj, &mut ctx)?;
            Ok(with_warnings(json_response(code, &v), &ctx.warnings))
        }
        Method::PUT if !is_collection => {
            let mut ctx = ctx_of(query, headers)?;
            let bytes = read_body(body).await?;
            let obj = parse_object(headers, &bytes)?;
            let (code, v) = ops::update(&mut app.lock(), &t, obj, &mut ctx)?;
            Ok(with_warnings(json_response(code, &v), &ctx.warnings))
        }
        Method::PATCH if !is_collection => {
            let mut ctx = ctx_of(query, headers)?;
            let kind = match content_type(headers).as_str() {
                "application/json-patch+json" => PatchKind::Json,
                "application/merge-patch+json" => PatchKind::Merge,
                "application/strategic-merge-patch+json" => PatchKind::Strategic,
                "application/apply-patch+yaml" => PatchKind::Apply,
                other => {
                    return Err(ApiError::unsupported_media_type(
                        other,
                        &[
                            "application/json-patch+json",
                            "application/merge-patch+json",
                            "application/apply-patch+yaml",
                            "application/strategic-merge-patch+json",
                        ],
                    ));
                }
            };
            let bytes = read_body(body).await?;
            let (code, v) = ops::patch(&mut app.lock(), &t, kind, &bytes, &mut ctx)?;
            Ok(with_warnings(json_response(code, &v), &ctx.warnings))
        }
        Method::DELETE => {
            let mut ctx = ctx_of(query, headers)?;
            let bytes = read_body(body).await?;
            let opts = delete_options(query, &bytes)?;
            ctx.dry_run |= opts.dry_run;
            let (code, v) = if is_collection {
                let q = list_query(query)?;
                ops::delete_collection(&mut app.lock(), &t, &q, &opts, &mut ctx)?
            } else {
                ops::delete(&mut app.lock(), &t, &opts, &mut ctx)?
            };
            Ok(json_response(code, &v))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn delete_options(query: &HashMap<String, String>, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let mut opts = DeleteOptions { propagation: query.get("propagationPolicy").cloned(), ..Default::default() };
    if matches!(query.get("orphanDependents").map(String::as_str), Some("true")) {
        opts.propagation = Some("Orphan".into());
    }
    if body.iter().any(|b| !b.is_ascii_whitespace()) {
        let v: Value = if body.starts_with(protobuf::MAGIC) {
            protobuf::decode(body)
                .map_err(|e| ApiError::bad_request(format!("the DeleteOptions body could not be decoded: {e}")))?
        } else {
            serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("the DeleteOptions body could not be decoded: {e}")))?
        };
        if let Some(p) = v.get("propagationPolicy").and_then(Value::as_str) {
            opts.propagation = Some(p.to_string());
        }
        if v.get("orphanDependents") == Some(&json!(true)) {
            opts.propagation = Some("Orphan".into());
        }
        opts.dry_run = v.get("dryRun").and_then(Value::as_array).is_some_and(|d| d.iter().any(|x| x == "All"));
        opts.uid = v.pointer("/preconditions/uid").and_then(Value::as_str).map(str::to_string);
        opts.resource_version = v.pointer("/preconditions/resourceVersion").and_then(Value::as_str).map(str::to_string);
    }
    Ok(opts)
}

/// A watch filter: resource, namespace, name, selectors.
struct Filter {
    res: String,
    namespace: String,
    name: String,
    q: ListQuery,
}

impl Filter {
    fn passes(&self, o: &Stored) -> bool {
        (self.namespace.is_empty() || o.namespace == self.namespace)
            && (self.name.is_empty() || o.name == self.name)
            && ops::matches(o, &self.q.labels, &self.q.fields)
    }

    /// The event type this watcher sees for `e`, if any: an object that
    /// starts or stops matching is added or deleted for it.
    fn view(&self, e: &Event) -> Option<EventType> {
        if e.res != self.res {
            return None;
        }
        let now = self.passes(&e.obj);
        let before = e.prev.as_ref().is_some_and(|p| self.passes(p));
        match e.kind {
            EventType::Added if now => Some(EventType::Added),
            EventType::Modified if now && before => Some(EventType::Modified),
            EventType::Modified if now => Some(EventType::Added),
            EventType::Modified if before => Some(EventType::Deleted),
            EventType::Deleted if now => Some(EventType::Deleted),
            _ => None,
        }
    }
}

/// Encodes one watch event line.
fn event_line(kind: &str, t: &Target, obj: &Stored, table: bool) -> Bytes {
    let mut out = Vec::with_capacity(obj.json.len() + 32);
    out.extend_from_slice(format!("{{\"type\":\"{kind}\",\"object\":").as_bytes());
    if table {
        let v = ops::served(obj, t);
        let tbl = table::table(&t.rt, &[v], &obj.rv.to_string(), IncludeObject::Metadata, jiff::Timestamp::now());
        out.extend(serde_json::to_vec(&tbl).unwrap_or_default());
    } else if t.version != t.rt.storage_version() {
        out.extend(serde_json::to_vec(&ops::served(obj, t)).unwrap_or_default());
    } else {
        out.extend_from_slice(&obj.json);
    }
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

fn status_line(e: &ApiError) -> Bytes {
    let mut v = serde_json::to_vec(&json!({"type": "ERROR", "object": e.to_status()})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

async fn watch(app: &App, t: Target, query: &HashMap<String, String>, table: bool) -> Result<Response, ApiError> {
    let q = list_query(query)?;
    q.fields.check_supported(&ops::supported_fields(&t.rt)).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let filter = Filter { res: t.rt.key(), namespace: t.namespace.clone(), name: t.name.clone(), q };
    let rv_param = query.get("resourceVersion").cloned().unwrap_or_default();
    let send_initial = matches!(query.get("sendInitialEvents").map(String::as_str), Some("true"));
    let bookmarks = matches!(query.get("allowWatchBookmarks").map(String::as_str), Some("true"));
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let mut initial: Vec<Bytes> = Vec::new();
    let (past, mut rx, start_rv) = {
        let st = app.lock();
        let since = if rv_param.is_empty() || rv_param == "0" || send_initial {
            let ns = (!t.namespace.is_empty()).then_some(t.namespace.as_str());
            for o in st.list(&t.rt, ns).filter(|o| filter.passes(o)) {
                initial.push(event_line("ADDED", &t, o, table));
            }
            if send_initial {
                let mut bm = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": {
                    "kind": t.rt.kind, "apiVersion": t.rt.api_version(&t.version),
                    "metadata": {"resourceVersion": st.rv.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}}}))
                .unwrap_or_default();
                bm.push(b'\n');
                initial.push(Bytes::from(bm));
            }
            st.rv
        } else {
            rv_param
                .parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version {rv_param:?}")))?
        };
        match st.subscribe(since) {
            Ok((past, rx)) => (past, rx, st.rv),
            Err(too_old) => {
                let e =
                    ApiError::gone(format!("too old resource version: {} ({})", too_old.requested, too_old.oldest - 1));
                let body = Body::from(status_line(&e));
                return Ok(Response::builder()
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body)
                    .unwrap_or_else(|_| error_response(&e)));
            }
        }
    };
    let mut shutdown = app.shutdown.clone();
    let (tx, body_rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::convert::Infallible>>(64);
    let kind = t.rt.kind.clone();
    let api_version = t.rt.api_version(&t.version);
    tokio::spawn(async move {
        let mut last_rv = start_rv;
        for line in initial {
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
        for e in past {
            last_rv = e.rv();
            if let Some(k) = filter.view(&e)
                && tx.send(Ok(event_line(k.as_str(), &t, &e.obj, table))).await.is_err()
            {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = shutdown.changed() => return,
                _ = tick.tick(), if bookmarks => {
                    let mut bm = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": {
                        "kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": last_rv.to_string()}}}))
                        .unwrap_or_default();
                    bm.push(b'\n');
                    if tx.send(Ok(Bytes::from(bm))).await.is_err() { return; }
                }
                r = rx.recv() => match r {
                    Ok(e) => {
                        if e.rv() <= last_rv { continue; }
                        last_rv = e.rv();
                        if let Some(k) = filter.view(&e)
                            && tx.send(Ok(event_line(k.as_str(), &t, &e.obj, table))).await.is_err()
                        {
                            return;
                        }
                    }
                    // A watcher that fell behind is closed; the client resumes or relists.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return,
                }
            }
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(body_rx);
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| error_response(&ApiError::internal("watch response"))))
}

pub async fn openapi_root(AxState(app): AxState<App>) -> Response {
    json_response(200, &super::openapi::root(&app.lock().registry))
}

pub async fn openapi_document(
    AxState(app): AxState<App>,
    axum::extract::Path(gv): axum::extract::Path<String>,
) -> Response {
    match super::openapi::parse_gv(&gv) {
        Some((g, v)) if !app.lock().registry.in_group_version(&g, &v).is_empty() => {
            json_response(200, &super::openapi::document(&app.lock().registry, &g, &v))
        }
        _ => error_response(&ApiError::no_route()),
    }
}

pub async fn not_found() -> impl IntoResponse {
    error_response(&ApiError::no_route())
}
