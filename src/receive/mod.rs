//! Receivers: turn a signed HTTP request announcing a push into a [`Hook`].
//!
//! These are pure, synchronous functions. The HTTP layer reads the body and
//! the headers and calls one of them:
//!
//! - [`github`]: a GitHub webhook (`push` and `ping` events), signed with
//!   `X-Hub-Signature-256`.
//! - [`generic_hmac`]: Flux's `generic-hmac` receiver semantics (an
//!   `X-Signature: <algorithm>=<hex>` HMAC of the raw body), carrying the body
//!   that our git `post-receive` hook (`hooks/post-receive`) sends.
//! - [`hook_path`]: the path a Flux `Receiver` listens on.
//!
//! # Rules every receiver follows
//!
//! 1. **Size first.** A body over [`MAX_BODY_BYTES`] is refused before anything
//!    else. The HTTP layer must also stop *reading* at that size (for example
//!    `axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES)`); the check here
//!    is the second line of defence, for bodies already in memory.
//! 2. **Signature before parsing.** The HMAC of the raw body is checked in
//!    constant time (`hmac`'s `verify_slice`) before a single byte of the body
//!    is parsed, and before the event header is looked at. An empty secret is
//!    refused: it would let anyone sign.
//! 3. **Bounded output.** At most [`MAX_REFS`] ref updates, and every string
//!    that is kept is validated and bounded ([`MAX_REF_BYTES`],
//!    [`MAX_URL_BYTES`], [`MAX_DELIVERY_BYTES`]). Unknown JSON fields are
//!    ignored (GitHub sends many).
//! 4. **No secret in any error.** Error messages are safe to return to the
//!    client and to log: they never contain the secret or the expected
//!    signature, and text taken from the request is shortened.
//! 5. **The payload is a hint, never the truth.** A [`Push`] says which
//!    repository and refs to look at; the fetch decides what the ref really
//!    points to. Repository URLs from a payload are only *compared* with the
//!    URLs of configured `GitRepository` objects, never fetched, and ref names
//!    are compared, never used as paths.
//!
//! # The generic-hmac body (what `hooks/post-receive` sends)
//!
//! ```json
//! {
//!   "repository": "file:///srv/git/app.git",
//!   "refs": [
//!     {"ref": "refs/heads/main",
//!      "before": "9fceb02d0ae598e95dc970b74767f19372d61af8",
//!      "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}
//!   ],
//!   "timestamp": 1732530000,
//!   "delivery": "8d2b2c4f0a9e4b7c9d1e2f3a4b5c6d7e"
//! }
//! ```
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `repository` | yes | the repository's URL (or `file://` + its absolute path), at most [`MAX_URL_BYTES`] bytes |
//! | `refs` | yes, 1 to [`MAX_REFS`] entries | each updated ref: full name, old and new object id (40 or 64 hex digits; all zeros = created / deleted) |
//! | `timestamp` | yes | when the request was made, in Unix seconds; refused as [`ReceiveError::Stale`] when more than [`MAX_CLOCK_SKEW`] away from the receiver's clock, so a captured request cannot be replayed later |
//! | `delivery` | no | a random id for this request (letters, digits, `-`, `_`, `.`, `:`; at most [`MAX_DELIVERY_BYTES`]), for logs and, later, deduplication |
//!
//! The request carries `Content-Type: application/json` and
//! `X-Signature: sha256=<hex HMAC-SHA256 of the body>` (`sha1=` and `sha512=`
//! are accepted too, as in Flux). Other fields are ignored, so the format can
//! grow without breaking older receivers.

mod generic_hmac;
mod github;
mod signature;

use std::time::Duration;

use sha2::{Digest, Sha256};

pub use generic_hmac::generic_hmac;
pub use github::github;

/// The largest body a receiver accepts: 25 MiB, GitHub's own cap on webhook payloads.
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;
/// The most ref updates one request may announce.
pub const MAX_REFS: usize = 1000;
/// The longest ref name kept (`refs/heads/…`).
pub const MAX_REF_BYTES: usize = 1024;
/// The longest repository URL or path kept.
pub const MAX_URL_BYTES: usize = 4096;
/// The longest delivery id kept.
pub const MAX_DELIVERY_BYTES: usize = 128;
/// How far a generic-hmac `timestamp` may be from the receiver's clock, either way.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// The longest piece of request text echoed in an error message.
const MAX_ECHO_CHARS: usize = 200;

/// What a verified request announces: pushes of refs in a repository.
///
/// The payload is a hint, never the truth: the fetch decides what each ref
/// points to, and the repository URLs are only compared with configured ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Every URL form the payload gives for the repository (for GitHub:
    /// `clone_url`, `ssh_url`, `git_url`, `html_url`), without duplicates, in
    /// that order. Never empty.
    pub repository: Vec<String>,
    /// The updated refs, in payload order. Never empty.
    pub refs: Vec<RefUpdate>,
    /// The sender's id for this request (`X-GitHub-Delivery`, or the body's
    /// `delivery`), if it gave one.
    pub delivery: Option<String>,
}

/// One ref moved by a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The full ref name, e.g. `refs/heads/main` or `refs/tags/v1`.
    pub name: String,
    /// The object id before the push, lowercase hex; all zeros when the ref was created.
    pub before: String,
    /// The object id after the push, lowercase hex; all zeros when the ref was deleted.
    pub after: String,
}

impl RefUpdate {
    /// Whether the push deleted this ref (`after` is all zeros).
    pub fn is_deletion(&self) -> bool {
        is_null_oid(&self.after)
    }

    /// Whether the push created this ref (`before` is all zeros).
    pub fn is_creation(&self) -> bool {
        is_null_oid(&self.before)
    }
}

/// A verified request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hook {
    /// Refs were pushed.
    Push(Push),
    /// The sender checks that the hook is wired up (GitHub's `ping`); nothing to do.
    Ping {
        /// GitHub's random line of wisdom, if any.
        zen: Option<String>,
    },
}

/// Why a request was refused. Every message is safe to send back to the
/// client and to log: it never contains a secret or an expected signature.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReceiveError {
    /// The receiver was configured with an empty secret; it refuses every request.
    #[error("this receiver has an empty secret and refuses all requests: configure a non-empty secret")]
    NoSecret,
    /// The signature header is absent.
    #[error("missing {header} header: sign the raw body with the receiver's secret")]
    MissingSignature {
        /// The header that should carry the signature.
        header: &'static str,
    },
    /// The signature header is present but not in the expected form.
    #[error("malformed {header} header: expected {expected}")]
    MalformedSignature {
        /// The header that carries the signature.
        header: &'static str,
        /// What the header should look like.
        expected: &'static str,
    },
    /// The signature does not match the body.
    #[error(
        "{header} does not match the body: check that the sender uses the receiver's secret and sends the body unmodified"
    )]
    BadSignature {
        /// The header that carries the signature.
        header: &'static str,
    },
    /// The body is over the size limit.
    #[error("the body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request announces more ref updates than allowed.
    #[error(
        "the request announces {count} ref updates, more than the limit of {limit}: split it into several requests"
    )]
    TooManyRefs {
        /// How many refs the request carries.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The request is signed correctly but its content is unusable.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The event is not one this receiver handles.
    #[error("unsupported event {0:?}: this receiver handles \"push\" and \"ping\"")]
    UnsupportedEvent(String),
    /// The request's timestamp is too far from the receiver's clock.
    #[error(
        "timestamp {timestamp} is {skew_seconds} s away from this receiver's clock (at most {allowed_seconds} s allowed): the request was replayed, or a clock is wrong"
    )]
    Stale {
        /// The timestamp in the request, in Unix seconds.
        timestamp: i64,
        /// How far it is from the receiver's clock, in seconds.
        skew_seconds: u64,
        /// The allowed distance, in seconds.
        allowed_seconds: u64,
    },
}

impl ReceiveError {
    /// The HTTP status to answer with.
    ///
    /// | error | status |
    /// |---|---|
    /// | `MissingSignature`, `MalformedSignature`, `BadSignature`, `Stale` | 401 |
    /// | `Malformed` | 400 |
    /// | `TooLarge`, `TooManyRefs` | 413 |
    /// | `UnsupportedEvent` | 422 |
    /// | `NoSecret` (the receiver's configuration) | 500 |
    ///
    /// A stale timestamp is an authentication failure: the signature is
    /// genuine but the request is not fresh.
    pub fn status(&self) -> u16 {
        match self {
            ReceiveError::MissingSignature { .. }
            | ReceiveError::MalformedSignature { .. }
            | ReceiveError::BadSignature { .. }
            | ReceiveError::Stale { .. } => 401,
            ReceiveError::Malformed(_) => 400,
            ReceiveError::TooLarge { .. } | ReceiveError::TooManyRefs { .. } => 413,
            ReceiveError::UnsupportedEvent(_) => 422,
            ReceiveError::NoSecret => 500,
        }
    }
}

/// Flux's receiver path: `/hook/` + hex(sha256(token + name + namespace)),
/// as `Receiver.status.webhookPath` reports it.
pub fn hook_path(token: &str, name: &str, namespace: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(token.as_bytes());
    hasher.update(name.as_bytes());
    hasher.update(namespace.as_bytes());
    format!("/hook/{}", hex_encode(&hasher.finalize()))
}

/// Refuses a body over [`MAX_BODY_BYTES`].
fn check_size(body: &[u8]) -> Result<(), ReceiveError> {
    if body.len() > MAX_BODY_BYTES { Err(ReceiveError::TooLarge { limit: MAX_BODY_BYTES }) } else { Ok(()) }
}

/// A [`ReceiveError::Malformed`] whose message is cut to a safe length.
fn malformed(message: impl Into<String>) -> ReceiveError {
    ReceiveError::Malformed(shorten(&message.into()))
}

/// Parses a JSON object into `T`, saying what is wrong when it is not a `what`.
///
/// A top-level array is refused up front: serde would otherwise fill the
/// struct's fields from it by position.
fn parse_json<'a, T: serde::Deserialize<'a>>(what: &str, json: &'a [u8]) -> Result<T, ReceiveError> {
    if json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(malformed(format!("body is a JSON array, not a {what}")));
    }
    serde_json::from_slice(json).map_err(|e| json_error(what, &e))
}

/// Maps a `serde_json` error to a message saying what is wrong with the body.
fn json_error(what: &str, err: &serde_json::Error) -> ReceiveError {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => malformed(format!("body is not JSON: {err}")),
        Category::Data => malformed(format!("body is not a {what}: {err}")),
    }
}

/// Cuts text taken from a request to [`MAX_ECHO_CHARS`] characters and
/// replaces control characters, so it can be echoed in a message or a log line.
fn shorten(text: &str) -> String {
    let mut out: String =
        text.chars().take(MAX_ECHO_CHARS).map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
    if text.chars().nth(MAX_ECHO_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Validates a full ref name: `refs/…`, at most [`MAX_REF_BYTES`], and within
/// git's `check-ref-format` rules (no control characters, spaces, `~^:?*[\`,
/// `..`, `@{`, `//`, no component starting with `.` or ending with `.lock`).
fn ref_name(field: &str, value: Option<String>) -> Result<String, ReceiveError> {
    let name = value.ok_or_else(|| malformed(format!("{field} is missing")))?;
    if name.len() > MAX_REF_BYTES {
        return Err(malformed(format!("{field} is longer than {MAX_REF_BYTES} bytes")));
    }
    if !name.starts_with("refs/") {
        return Err(malformed(format!(
            "{field} {:?} is not a full ref name (refs/heads/…, refs/tags/…)",
            shorten(&name)
        )));
    }
    let bad_char = name.chars().any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'));
    let bad_component =
        name[5..].split('/').any(|part| part.is_empty() || part.starts_with('.') || part.ends_with(".lock"));
    if bad_char || bad_component || name.contains("..") || name.contains("@{") || name.ends_with('.') {
        return Err(malformed(format!("{field} {:?} is not a valid git ref name", shorten(&name))));
    }
    Ok(name)
}

/// Validates an object id: 40 (SHA-1) or 64 (SHA-256) hex digits, returned in lowercase.
fn object_id(field: &str, value: Option<String>) -> Result<String, ReceiveError> {
    let id = value.ok_or_else(|| malformed(format!("{field} is missing")))?;
    if !matches!(id.len(), 40 | 64) || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed(format!("{field} {:?} is not an object id (40 or 64 hex digits)", shorten(&id))));
    }
    Ok(id.to_ascii_lowercase())
}

/// Validates a repository URL or path: non-empty, at most [`MAX_URL_BYTES`], no control characters.
fn repository_url(field: &str, url: &str) -> Result<(), ReceiveError> {
    if url.is_empty() {
        return Err(malformed(format!("{field} is empty")));
    }
    if url.len() > MAX_URL_BYTES {
        return Err(malformed(format!("{field} is longer than {MAX_URL_BYTES} bytes")));
    }
    if url.chars().any(char::is_control) {
        return Err(malformed(format!("{field} contains control characters")));
    }
    Ok(())
}

/// Validates a delivery id: 1 to [`MAX_DELIVERY_BYTES`] of letters, digits, `-`, `_`, `.`, `:`.
fn delivery_id(field: &str, id: &str) -> Result<(), ReceiveError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_DELIVERY_BYTES
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(malformed(format!("{field} must be 1 to {MAX_DELIVERY_BYTES} letters, digits, '-', '_', '.' or ':'")))
    }
}

fn is_null_oid(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b == b'0')
}

/// Lowercase hex of `bytes`.
fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Bytes of a hex string (either case); `None` unless it is an even number of hex digits.
fn hex_decode(text: &str) -> Option<Vec<u8>> {
    fn nibble(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes.chunks_exact(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

#[cfg(test)]
mod tests;
