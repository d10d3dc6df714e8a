//! GitHub webhooks: `push` and `ping`, signed with `X-Hub-Signature-256`.
//!
//! GitHub sends the payload as JSON, or as a form field `payload=<json>` when
//! the webhook's content type is `application/x-www-form-urlencoded`; both are
//! accepted, and the signature always covers the raw body as sent.

use std::borrow::Cow;

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde::Deserialize;

use super::signature::{self, Algorithm, Scheme};
use super::{
    Hook, Push, ReceiveError, RefUpdate, check_size, delivery_id, malformed, object_id, parse_json, ref_name,
    repository_url, shorten,
};

const SIGNATURE: Scheme =
    Scheme { header: "X-Hub-Signature-256", algorithms: &[Algorithm::Sha256], expected: "sha256=<64 hex digits>" };
const EVENT: &str = "X-GitHub-Event";
const DELIVERY: &str = "X-GitHub-Delivery";
/// The longest `zen` line kept from a ping.
const MAX_ZEN_CHARS: usize = 200;

/// Verifies and parses a GitHub webhook request.
///
/// `X-Hub-Signature-256: sha256=<hex>` must be the HMAC-SHA256 of the raw
/// body under `secret`; it is checked in constant time before anything else
/// is read. Then `X-GitHub-Event` decides: `push` gives a [`Hook::Push`]
/// (repository URLs from `repository.clone_url`, `ssh_url`, `git_url`,
/// `html_url`; the ref from `ref`, `before`, `after`; the delivery id from
/// `X-GitHub-Delivery`), `ping` gives a [`Hook::Ping`], anything else is
/// [`ReceiveError::UnsupportedEvent`]. A branch or tag deletion (`after` all
/// zeros, `"deleted": true`) is still a push: the caller decides.
pub fn github(secret: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<Hook, ReceiveError> {
    check_size(body)?;
    signature::verify(&SIGNATURE, secret, headers, body)?;

    let event = header_text(headers, EVENT)?.ok_or_else(|| malformed(format!("{EVENT} header is missing")))?;
    let delivery = header_text(headers, DELIVERY)?;
    if let Some(id) = &delivery {
        delivery_id(DELIVERY, id)?;
    }
    let json = json_body(headers, body)?;
    if event.eq_ignore_ascii_case("push") {
        let payload: PushPayload = parse_json("GitHub push event", &json)?;
        Ok(Hook::Push(payload.into_push(delivery)?))
    } else if event.eq_ignore_ascii_case("ping") {
        let payload: PingPayload = parse_json("GitHub ping event", &json)?;
        let zen = payload.zen.map(|zen| zen.chars().filter(|c| !c.is_control()).take(MAX_ZEN_CHARS).collect());
        Ok(Hook::Ping { zen })
    } else {
        Err(ReceiveError::UnsupportedEvent(shorten(event)))
    }
}

/// The value of a header as text; an error if it is not visible ASCII.
fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, ReceiveError> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => {
            value.to_str().map(|s| Some(s.trim())).map_err(|_| malformed(format!("{name} header is not ASCII text")))
        }
    }
}

/// The JSON document: the body itself, or its `payload` form field.
fn json_body<'b>(headers: &HeaderMap, body: &'b [u8]) -> Result<Cow<'b, [u8]>, ReceiveError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Ok(Cow::Borrowed(body));
    }
    form_urlencoded::parse(body)
        .find(|(key, _)| key == "payload")
        .map(|(_, value)| Cow::Owned(value.into_owned().into_bytes()))
        .ok_or_else(|| malformed("form body has no payload field"))
}

/// The fields of GitHub's push event that driftless reads; the rest is ignored.
#[derive(Deserialize)]
struct PushPayload {
    #[serde(rename = "ref")]
    name: Option<String>,
    before: Option<String>,
    after: Option<String>,
    repository: Option<Repository>,
}

/// The URL forms of `repository` in a push event.
#[derive(Deserialize)]
struct Repository {
    clone_url: Option<String>,
    ssh_url: Option<String>,
    git_url: Option<String>,
    html_url: Option<String>,
}

/// GitHub's ping event.
#[derive(Deserialize)]
struct PingPayload {
    zen: Option<String>,
}

impl PushPayload {
    fn into_push(self, delivery: Option<&str>) -> Result<Push, ReceiveError> {
        let name = ref_name("ref", self.name)?;
        let before = object_id("before", self.before)?;
        let after = object_id("after", self.after)?;
        let repo = self.repository.ok_or_else(|| malformed("repository is missing"))?;
        let mut repository: Vec<String> = Vec::with_capacity(4);
        for (field, url) in [
            ("repository.clone_url", repo.clone_url),
            ("repository.ssh_url", repo.ssh_url),
            ("repository.git_url", repo.git_url),
            ("repository.html_url", repo.html_url),
        ] {
            let Some(url) = url else { continue };
            repository_url(field, &url)?;
            if !repository.contains(&url) {
                repository.push(url);
            }
        }
        if repository.is_empty() {
            return Err(malformed("repository has none of clone_url, ssh_url, git_url, html_url"));
        }
        Ok(Push { repository, refs: vec![RefUpdate { name, before, after }], delivery: delivery.map(str::to_owned) })
    }
}
