//! Flux's `generic-hmac` receiver, carrying the body our `post-receive` hook
//! sends (the format is described in the [module documentation](super)).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};

use super::signature::{self, Algorithm, Scheme};
use super::{
    Hook, MAX_CLOCK_SKEW, MAX_REFS, Push, ReceiveError, RefUpdate, check_size, delivery_id, malformed, object_id,
    parse_json, ref_name, repository_url,
};

const SIGNATURE: Scheme = Scheme {
    header: "X-Signature",
    algorithms: &[Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512],
    expected: "sha1=<hex>, sha256=<hex> or sha512=<hex>",
};

/// Verifies and parses a generic-hmac request (what `hooks/post-receive` sends).
///
/// `X-Signature: sha1=<hex>|sha256=<hex>|sha512=<hex>` must be the HMAC of
/// the raw body under `secret` (Flux's `generic-hmac` semantics); it is
/// checked in constant time before the body is parsed. The body's
/// `timestamp` must be within [`MAX_CLOCK_SKEW`] of `now`, so the same body
/// replayed later is refused as [`ReceiveError::Stale`]. Always gives a
/// [`Hook::Push`].
pub fn generic_hmac(secret: &[u8], headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<Hook, ReceiveError> {
    check_size(body)?;
    signature::verify(&SIGNATURE, secret, headers, body)?;

    let payload: Payload = parse_json("driftless push notification", body)?;

    let timestamp = payload.timestamp.ok_or_else(|| malformed("timestamp is missing"))?;
    check_fresh(timestamp, now)?;

    let repository = payload.repository.ok_or_else(|| malformed("repository is missing"))?;
    repository_url("repository", &repository)?;

    let refs = payload.refs.ok_or_else(|| malformed("refs is missing"))?;
    if refs.total > MAX_REFS {
        return Err(ReceiveError::TooManyRefs { count: refs.total, limit: MAX_REFS });
    }
    if refs.items.is_empty() {
        return Err(malformed("refs is empty"));
    }
    let refs = refs
        .items
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(RefUpdate {
                name: ref_name(&format!("refs[{i}].ref"), r.name)?,
                before: object_id(&format!("refs[{i}].before"), r.before)?,
                after: object_id(&format!("refs[{i}].after"), r.after)?,
            })
        })
        .collect::<Result<Vec<_>, ReceiveError>>()?;

    if let Some(id) = &payload.delivery {
        delivery_id("delivery", id)?;
    }
    Ok(Hook::Push(Push { repository: vec![repository], refs, delivery: payload.delivery }))
}

/// Refuses a timestamp more than [`MAX_CLOCK_SKEW`] away from `now`.
fn check_fresh(timestamp: i64, now: SystemTime) -> Result<(), ReceiveError> {
    let now_secs: i128 = match now.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::from(after.as_secs()),
        Err(before) => -i128::from(before.duration().as_secs()),
    };
    let skew = (i128::from(timestamp) - now_secs).unsigned_abs();
    let allowed = MAX_CLOCK_SKEW.as_secs();
    if skew > u128::from(allowed) {
        return Err(ReceiveError::Stale {
            timestamp,
            skew_seconds: u64::try_from(skew).unwrap_or(u64::MAX),
            allowed_seconds: allowed,
        });
    }
    Ok(())
}

/// The body, as sent by `hooks/post-receive`; unknown fields are ignored.
#[derive(Deserialize)]
struct Payload {
    repository: Option<String>,
    refs: Option<RefList>,
    timestamp: Option<i64>,
    delivery: Option<String>,
}

/// One entry of `refs`.
#[derive(Deserialize)]
struct RawRef {
    #[serde(rename = "ref")]
    name: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

/// `refs`, keeping at most [`MAX_REFS`] entries: the rest are skipped without
/// being stored, only counted.
struct RefList {
    items: Vec<RawRef>,
    total: usize,
}

impl<'de> Deserialize<'de> for RefList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefListVisitor;
        impl<'de> Visitor<'de> for RefListVisitor {
            type Value = RefList;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of ref updates")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RefList, A::Error> {
                let mut items = Vec::new();
                let mut total = 0usize;
                loop {
                    if total < MAX_REFS {
                        match seq.next_element::<RawRef>()? {
                            Some(item) => items.push(item),
                            None => break,
                        }
                    } else if seq.next_element::<IgnoredAny>()?.is_none() {
                        break;
                    }
                    total += 1;
                }
                Ok(RefList { items, total })
            }
        }
        deserializer.deserialize_seq(RefListVisitor)
    }
}
