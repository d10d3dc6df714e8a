//! The daemon's HTTP app: receivers (`POST /hook/<digest>`), the status API
//! (`GET /api/v1/kustomizations`, `/api/v1/gitrepositories`), Prometheus metrics
//! (`GET /metrics`) and health.

use crate::api::ReceiverType;
use crate::receive::{self, Hook, ReceiveError};
use crate::reconcile::Engine;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;

/// The router for an engine.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/hook/{digest}", post(hook))
        .route("/api/v1/kustomizations", get(kustomizations))
        .route("/api/v1/gitrepositories", get(gitrepositories))
        .route("/api/v1/receivers", get(receivers))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .with_state(engine)
}

fn json_reply(code: StatusCode, v: &Value) -> Response {
    (code, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

/// Prometheus metrics, OpenMetrics text format.
async fn metrics(State(engine): State<Arc<Engine>>) -> Response {
    let mut response = engine.metrics().encode().into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

async fn kustomizations(State(engine): State<Arc<Engine>>) -> Response {
    json_reply(StatusCode::OK, &json!({ "items": engine.kustomization_statuses() }))
}

async fn gitrepositories(State(engine): State<Arc<Engine>>) -> Response {
    json_reply(StatusCode::OK, &json!({ "items": engine.source_statuses() }))
}

async fn receivers(State(engine): State<Arc<Engine>>) -> Response {
    let items: Vec<Value> = engine
        .receivers()
        .iter()
        .map(|r| {
            json!({"name": r.receiver.key.name, "namespace": r.receiver.key.namespace,
                   "type": r.receiver.type_.as_str(), "webhookPath": r.path})
        })
        .collect();
    json_reply(StatusCode::OK, &json!({ "items": items }))
}

/// Reads a body of at most `limit` bytes.
async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ReceiveError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| ReceiveError::TooLarge { limit })
}

/// A receiver: signature first, then the payload; the work happens later.
async fn hook(
    State(engine): State<Arc<Engine>>,
    Path(digest): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = format!("/hook/{digest}");
    let Some(slot) = engine.receiver(&path) else {
        return json_reply(StatusCode::NOT_FOUND, &json!({"error": "no receiver at this path"}));
    };
    let body = match read_limited(body, receive::MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let secret = slot.token.as_bytes();
    let verified = match slot.receiver.type_ {
        ReceiverType::Github => receive::github(secret, &headers, &body),
        ReceiverType::GenericHmac => receive::generic_hmac(secret, &headers, &body, std::time::SystemTime::now()),
    };
    let hook = match verified {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(receiver = %slot.receiver.key, error = %e, "receiver refused a request");
            return error(&e);
        }
    };
    if slot.receiver.suspend {
        return json_reply(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": "receiver is suspended"}));
    }
    match hook {
        Hook::Ping { .. } => json_reply(StatusCode::OK, &json!({"message": "pong"})),
        Hook::Push(push) => {
            let events = &slot.receiver.events;
            if !events.is_empty()
                && !events.iter().any(|e| e == "push" || e == "Push Hook")
                && slot.receiver.type_ == ReceiverType::Github
            {
                return json_reply(StatusCode::OK, &json!({"message": "event push is not in spec.events; ignored"}));
            }
            let result = engine.push(&slot.receiver, &push);
            tracing::info!(receiver = %slot.receiver.key, triggered = ?result.triggered, ignored = ?result.ignored, "push received");
            json_reply(StatusCode::ACCEPTED, &serde_json::to_value(&result).unwrap_or(Value::Null))
        }
    }
}

fn error(e: &ReceiveError) -> Response {
    let code = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_reply(code, &json!({"error": e.to_string()}))
}
