//! HMAC signature headers (`<algorithm>=<hex>`), checked in constant time.

use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;

use super::{ReceiveError, hex_decode};

/// A digest an HMAC signature header may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The name used before the `=` in a signature header.
    fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// The length of the MAC in bytes.
    fn output_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// Whether `tag` is the HMAC of `body` under `secret`, compared in constant time.
    fn verify(self, secret: &[u8], body: &[u8], tag: &[u8]) -> bool {
        fn check<M: Mac + KeyInit>(secret: &[u8], body: &[u8], tag: &[u8]) -> bool {
            // HMAC accepts keys of any length, so this never fails in practice.
            let Ok(mut mac) = <M as KeyInit>::new_from_slice(secret) else { return false };
            mac.update(body);
            mac.verify_slice(tag).is_ok()
        }
        match self {
            Algorithm::Sha1 => check::<Hmac<sha1::Sha1>>(secret, body, tag),
            Algorithm::Sha256 => check::<Hmac<sha2::Sha256>>(secret, body, tag),
            Algorithm::Sha512 => check::<Hmac<sha2::Sha512>>(secret, body, tag),
        }
    }
}

/// How a receiver's signature header looks.
pub(super) struct Scheme {
    /// The header carrying the signature.
    pub header: &'static str,
    /// The algorithms it may name.
    pub algorithms: &'static [Algorithm],
    /// What a well-formed header looks like, for error messages.
    pub expected: &'static str,
}

/// Checks that `headers` carry exactly one `scheme.header` whose value is
/// `<algorithm>=<hex>` and whose MAC is the HMAC of `body` under `secret`.
///
/// Runs before anything in the body is parsed. The comparison is constant
/// time; nothing about the expected MAC reaches the error.
pub(super) fn verify(scheme: &Scheme, secret: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<(), ReceiveError> {
    if secret.is_empty() {
        return Err(ReceiveError::NoSecret);
    }
    let malformed = ReceiveError::MalformedSignature { header: scheme.header, expected: scheme.expected };
    let mut values = headers.get_all(scheme.header).iter();
    let value = values.next().ok_or(ReceiveError::MissingSignature { header: scheme.header })?;
    if values.next().is_some() {
        return Err(ReceiveError::MalformedSignature {
            header: scheme.header,
            expected: "a single header, not several",
        });
    }
    let value = value.to_str().map_err(|_| malformed.clone())?;
    let (name, hex) = value.trim().split_once('=').ok_or_else(|| malformed.clone())?;
    let algorithm = scheme
        .algorithms
        .iter()
        .copied()
        .find(|a| a.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| malformed.clone())?;
    let tag = hex_decode(hex).filter(|tag| tag.len() == algorithm.output_len()).ok_or(malformed)?;
    if algorithm.verify(secret, body, &tag) {
        Ok(())
    } else {
        Err(ReceiveError::BadSignature { header: scheme.header })
    }
}
