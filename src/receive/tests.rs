//! Unit tests for the receivers: signatures, payloads, limits, and fuzzing.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

const SECRET: &[u8] = b"It's a Secret to Everybody";
const ZEROS: &str = "0000000000000000000000000000000000000000";
const BEFORE: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const AFTER: &str = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";

/// A GitHub `push` event, shaped like GitHub's documented payload (trimmed
/// lists, every top-level field present).
fn github_push_payload(git_ref: &str, before: &str, after: &str, deleted: bool) -> String {
    let head_commit = if deleted {
        "null".to_string()
    } else {
        format!(
            r#"{{"id":"{after}","tree_id":"f9d2a07e9488b91af2641b26b9407fe22a451433","distinct":true,
"message":"Update deploy/production/kustomization.yaml","timestamp":"2024-11-25T12:03:41+01:00",
"url":"https://github.com/octo-org/fleet/commit/{after}",
"author":{{"name":"Mona Octocat","email":"mona@github.com","username":"octocat"}},
"committer":{{"name":"GitHub","email":"noreply@github.com","username":"web-flow"}},
"added":[],"removed":[],"modified":["deploy/production/kustomization.yaml"]}}"#
        )
    };
    let commits = if deleted { "[]".to_string() } else { format!("[{head_commit}]") };
    format!(
        r#"{{
  "ref": "{git_ref}",
  "before": "{before}",
  "after": "{after}",
  "repository": {{
    "id": 186853002, "node_id": "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=", "name": "fleet", "full_name": "octo-org/fleet",
    "private": true,
    "owner": {{"name": "octo-org", "email": null, "login": "octo-org", "id": 6811672, "type": "Organization", "site_admin": false}},
    "html_url": "https://github.com/octo-org/fleet", "description": "Cluster config", "fork": false,
    "url": "https://github.com/octo-org/fleet",
    "created_at": 1557933565, "updated_at": "2024-11-25T11:03:41Z", "pushed_at": 1732532621,
    "git_url": "git://github.com/octo-org/fleet.git",
    "ssh_url": "git@github.com:octo-org/fleet.git",
    "clone_url": "https://github.com/octo-org/fleet.git",
    "svn_url": "https://github.com/octo-org/fleet",
    "homepage": null, "size": 59, "stargazers_count": 0, "language": null, "mirror_url": null,
    "archived": false, "disabled": false, "open_issues_count": 0, "license": null, "topics": ["gitops"],
    "visibility": "private", "forks": 0, "watchers": 0, "default_branch": "main", "master_branch": "main",
    "organization": "octo-org", "custom_properties": {{}}
  }},
  "pusher": {{"name": "octocat", "email": "mona@github.com"}},
  "organization": {{"login": "octo-org", "id": 6811672, "url": "https://api.github.com/orgs/octo-org"}},
  "sender": {{"login": "octocat", "id": 21031067, "type": "User", "site_admin": false}},
  "created": {created},
  "deleted": {deleted},
  "forced": false,
  "base_ref": null,
  "compare": "https://github.com/octo-org/fleet/compare/6113728f27ae...0d1a26e67d8f",
  "commits": {commits},
  "head_commit": {head_commit}
}}"#,
        created = before == ZEROS,
    )
}

/// A GitHub `ping` event, as sent when a webhook is created.
const GITHUB_PING: &str = r#"{
  "zen": "Responsive is better than fast.",
  "hook_id": 109948940,
  "hook": {
    "type": "Repository", "id": 109948940, "name": "web", "active": true, "events": ["push"],
    "config": {"content_type": "json", "insecure_ssl": "0", "url": "https://driftless.example.com/hook/a2a6463004a2"},
    "updated_at": "2024-11-25T11:03:41Z", "created_at": "2024-11-25T11:03:41Z",
    "url": "https://api.github.com/repos/octo-org/fleet/hooks/109948940",
    "ping_url": "https://api.github.com/repos/octo-org/fleet/hooks/109948940/pings",
    "last_response": {"code": null, "status": "unused", "message": null}
  },
  "repository": {"id": 186853002, "name": "fleet", "full_name": "octo-org/fleet",
    "clone_url": "https://github.com/octo-org/fleet.git"},
  "sender": {"login": "octocat", "id": 21031067, "type": "User"}
}"#;

fn hmac_hex<M: Mac + KeyInit>(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <M as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(body);
    hex_encode(&mac.finalize().into_bytes())
}

fn sha256_hex(secret: &[u8], body: &[u8]) -> String {
    hmac_hex::<Hmac<sha2::Sha256>>(secret, body)
}

fn github_headers(event: &str, signature: Option<String>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("x-github-event", HeaderValue::from_str(event).unwrap());
    headers.insert("x-github-delivery", HeaderValue::from_static("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
    headers.insert("user-agent", HeaderValue::from_static("GitHub-Hookshot/044aadd"));
    if let Some(signature) = signature {
        headers.insert("x-hub-signature-256", HeaderValue::from_str(&signature).unwrap());
    }
    headers
}

fn signed_github(event: &str, body: &[u8]) -> HeaderMap {
    github_headers(event, Some(format!("sha256={}", sha256_hex(SECRET, body))))
}

/// Asserts what every error must satisfy: no secret, no expected MAC in its message.
fn assert_safe(err: &ReceiveError, body: &[u8]) {
    let message = err.to_string();
    let secret = std::str::from_utf8(SECRET).unwrap();
    assert!(!message.contains(secret), "{message}");
    assert!(!message.contains(&sha256_hex(SECRET, body)), "{message}");
    assert!(message.chars().count() < 600, "message too long: {} chars", message.chars().count());
}

fn github_err(headers: &HeaderMap, body: &[u8]) -> ReceiveError {
    let err = github(SECRET, headers, body).expect_err("request should be refused");
    assert_safe(&err, body);
    err
}

// ---- hook_path ----

#[test]
fn hook_path_is_sha256_of_token_name_namespace() {
    // Values from `printf %s "$token$name$namespace" | sha256sum`, the
    // computation of Flux's Receiver.GetWebhookPath.
    assert_eq!(
        hook_path("my-token", "github-receiver", "flux-system"),
        "/hook/a2a6463004a2a90fe82fde8ec65ef36d55f7277536579e55ef858b1bf5f8483c"
    );
    assert_eq!(
        hook_path("token", "test-receiver", ""),
        "/hook/38300c7414d0efe04342418b3f5d225a95e87e2a712f6b48d870df50528318a9"
    );
}

// ---- GitHub: events ----

#[test]
fn github_push_gives_repository_urls_ref_and_delivery() {
    let body = github_push_payload("refs/heads/main", BEFORE, AFTER, false);
    let hook = github(SECRET, &signed_github("push", body.as_bytes()), body.as_bytes()).unwrap();
    assert_eq!(
        hook,
        Hook::Push(Push {
            repository: vec![
                "https://github.com/octo-org/fleet.git".into(),
                "git@github.com:octo-org/fleet.git".into(),
                "git://github.com/octo-org/fleet.git".into(),
                "https://github.com/octo-org/fleet".into(),
            ],
            refs: vec![RefUpdate { name: "refs/heads/main".into(), before: BEFORE.into(), after: AFTER.into() }],
            delivery: Some("72d3162e-cc78-11e3-81ab-4c9367dc0958".into()),
        })
    );
}

#[test]
fn github_push_as_form_payload() {
    let json = github_push_payload("refs/heads/main", BEFORE, AFTER, false);
    let body: String = form_urlencoded::Serializer::new(String::new()).append_pair("payload", &json).finish();
    let mut headers = signed_github("push", body.as_bytes());
    headers.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded"));
    let Hook::Push(push) = github(SECRET, &headers, body.as_bytes()).unwrap() else { panic!("not a push") };
    assert_eq!(push.refs[0].after, AFTER);

    let body = b"other=1";
    let mut headers = signed_github("push", body);
    headers.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"));
    assert_eq!(github_err(&headers, body), ReceiveError::Malformed("form body has no payload field".into()));
}

#[test]
fn github_ping() {
    let body = GITHUB_PING.as_bytes();
    assert_eq!(
        github(SECRET, &signed_github("ping", body), body).unwrap(),
        Hook::Ping { zen: Some("Responsive is better than fast.".into()) }
    );
    let body = b"{}";
    assert_eq!(github(SECRET, &signed_github("ping", body), body).unwrap(), Hook::Ping { zen: None });
}

#[test]
fn github_branch_deletion_is_a_push() {
    let body = github_push_payload("refs/heads/feature/old", AFTER, ZEROS, true);
    let Hook::Push(push) = github(SECRET, &signed_github("push", body.as_bytes()), body.as_bytes()).unwrap() else {
        panic!("not a push")
    };
    assert_eq!(
        push.refs,
        vec![RefUpdate { name: "refs/heads/feature/old".into(), before: AFTER.into(), after: ZEROS.into() }]
    );
    assert!(push.refs[0].is_deletion());
    assert!(!push.refs[0].is_creation());
}

#[test]
fn github_tag_push() {
    let body = github_push_payload("refs/tags/v1", ZEROS, AFTER, false);
    let Hook::Push(push) = github(SECRET, &signed_github("push", body.as_bytes()), body.as_bytes()).unwrap() else {
        panic!("not a push")
    };
    assert_eq!(push.refs[0].name, "refs/tags/v1");
    assert!(push.refs[0].is_creation());
}

#[test]
fn github_object_ids_are_lowercased_and_sha256_ids_accepted() {
    let long = "A".repeat(64);
    let body = github_push_payload("refs/heads/main", &BEFORE.to_uppercase(), &long, false);
    let Hook::Push(push) = github(SECRET, &signed_github("push", body.as_bytes()), body.as_bytes()).unwrap() else {
        panic!("not a push")
    };
    assert_eq!(push.refs[0].before, BEFORE);
    assert_eq!(push.refs[0].after, "a".repeat(64));
}

#[test]
fn github_unsupported_and_missing_event() {
    let body = br#"{"action":"opened"}"#;
    let err = github_err(&signed_github("issues", body), body);
    assert_eq!(err, ReceiveError::UnsupportedEvent("issues".into()));
    assert_eq!(err.status(), 422);

    let mut headers = signed_github("push", body);
    headers.remove("x-github-event");
    let err = github_err(&headers, body);
    assert_eq!(err, ReceiveError::Malformed("X-GitHub-Event header is missing".into()));
    assert_eq!(err.status(), 400);
}

// ---- GitHub: signatures ----

#[test]
fn github_signature_problems_are_401_and_checked_before_anything_else() {
    let body = github_push_payload("refs/heads/main", BEFORE, AFTER, false);
    let body = body.as_bytes();
    let header = "X-Hub-Signature-256";

    // Wrong secret, tampered body, and an unknown event with a bad signature: all BadSignature.
    let wrong = github_headers("push", Some(format!("sha256={}", sha256_hex(b"not the secret", body))));
    assert_eq!(github_err(&wrong, body), ReceiveError::BadSignature { header });
    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    assert_eq!(github_err(&signed_github("push", body), &tampered), ReceiveError::BadSignature { header });
    let wrong_issue = github_headers("issues", Some(format!("sha256={}", sha256_hex(b"nope", body))));
    assert_eq!(github_err(&wrong_issue, body), ReceiveError::BadSignature { header });
    // Malformed JSON with a bad signature is a signature error, not a parse error.
    assert_eq!(github_err(&wrong, b"not json"), ReceiveError::BadSignature { header });

    // Missing: no header at all, or only the legacy SHA-1 one.
    let err = github_err(&github_headers("push", None), body);
    assert_eq!(err, ReceiveError::MissingSignature { header });
    assert_eq!(err.status(), 401);
    let mut legacy = github_headers("push", None);
    let sha1 = hmac_hex::<Hmac<sha1::Sha1>>(SECRET, body);
    legacy.insert("x-hub-signature", HeaderValue::from_str(&format!("sha1={sha1}")).unwrap());
    assert_eq!(github_err(&legacy, body), ReceiveError::MissingSignature { header });

    // Malformed values.
    let good = sha256_hex(SECRET, body);
    for value in [
        good.clone(),
        format!("sha1={good}"),
        format!("sha256={}", &good[..62]),
        format!("sha256={good}00"),
        format!("sha256={}zz", &good[..62]),
        "sha256=".to_string(),
        String::new(),
    ] {
        let err = github_err(&github_headers("push", Some(value.clone())), body);
        assert!(
            matches!(err, ReceiveError::MalformedSignature { header: "X-Hub-Signature-256", .. }),
            "{value}: {err}"
        );
        assert_eq!(err.status(), 401);
    }
    let mut twice = signed_github("push", body);
    twice.append("x-hub-signature-256", HeaderValue::from_str(&format!("sha256={good}")).unwrap());
    assert!(matches!(github_err(&twice, body), ReceiveError::MalformedSignature { .. }));

    // Upper-case hex is the same signature.
    let upper = github_headers("push", Some(format!("sha256={}", good.to_uppercase())));
    assert!(github(SECRET, &upper, body).is_ok());
}

#[test]
fn empty_secret_refuses_everything() {
    let body = GITHUB_PING.as_bytes();
    let headers = github_headers("ping", Some(format!("sha256={}", sha256_hex(b"", body))));
    let err = github(b"", &headers, body).unwrap_err();
    assert_eq!(err, ReceiveError::NoSecret);
    assert_eq!(err.status(), 500);
    let headers = generic_headers("sha256", b"", body);
    assert_eq!(generic_hmac(b"", &headers, body, SystemTime::now()).unwrap_err(), ReceiveError::NoSecret);
}

#[test]
fn hmac_matches_rfc_4231_test_case_1() {
    // RFC 4231 §4.2: key = 20 × 0x0b, data = "Hi There".
    let key = [0x0b_u8; 20];
    let tag = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    let mut headers = HeaderMap::new();
    headers.insert("x-hub-signature-256", HeaderValue::from_str(&format!("sha256={tag}")).unwrap());
    headers.insert("x-github-event", HeaderValue::from_static("ping"));
    // The signature verifies; the body then fails to parse as a ping, which proves it got past the check.
    let err = github(&key, &headers, b"Hi There").unwrap_err();
    assert!(matches!(err, ReceiveError::Malformed(ref m) if m.starts_with("body is not JSON")), "{err}");
}

// ---- GitHub: payload errors after a valid signature ----

#[test]
fn github_malformed_payloads_say_what_is_wrong() {
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "body is not JSON: expected ident at line 1 column 2"),
        ("".into(), "body is not JSON: EOF while parsing a value at line 1 column 0"),
        ("]".into(), "body is not JSON: expected value at line 1 column 1"),
        (r#"{"before":"x"}"#.into(), "ref is missing"),
        (r#"{"ref":"main","before":"x"}"#.into(), r#"ref "main" is not a full ref name (refs/heads/…, refs/tags/…)"#),
        (r#"{"ref":"refs/heads/a..b"}"#.into(), r#"ref "refs/heads/a..b" is not a valid git ref name"#),
        (format!(r#"{{"ref":"refs/heads/main","before":"{BEFORE}"}}"#), "after is missing"),
        (
            format!(r#"{{"ref":"refs/heads/main","before":"{BEFORE}","after":"xyz"}}"#),
            r#"after "xyz" is not an object id (40 or 64 hex digits)"#,
        ),
        (format!(r#"{{"ref":"refs/heads/main","before":"{BEFORE}","after":"{AFTER}"}}"#), "repository is missing"),
        (
            format!(r#"{{"ref":"refs/heads/main","before":"{BEFORE}","after":"{AFTER}","repository":{{"id":1}}}}"#),
            "repository has none of clone_url, ssh_url, git_url, html_url",
        ),
        (
            format!(
                r#"{{"ref":"refs/heads/main","before":"{BEFORE}","after":"{AFTER}","repository":{{"clone_url":""}}}}"#
            ),
            "repository.clone_url is empty",
        ),
        (
            r#"{"ref":5}"#.into(),
            "body is not a GitHub push event: invalid type: integer `5`, expected a string at line 1 column 8",
        ),
        (" [\"refs/heads/main\"]".into(), "body is a JSON array, not a GitHub push event"),
        (
            "5".into(),
            "body is not a GitHub push event: invalid type: integer `5`, expected struct PushPayload at line 1 column 1",
        ),
    ];
    for (body, message) in cases {
        let err = github_err(&signed_github("push", body.as_bytes()), body.as_bytes());
        assert_eq!(err, ReceiveError::Malformed(message.into()), "body: {body}");
        assert_eq!(err.status(), 400);
        assert_eq!(err.to_string(), format!("malformed request: {message}"));
    }
}

#[test]
fn github_long_and_odd_values_are_bounded() {
    // A huge string in the wrong place: the message echoes at most a short prefix.
    let body = format!(r#"{{"ref":"refs/heads/{}"}}"#, "x".repeat(100_000));
    let err = github_err(&signed_github("push", body.as_bytes()), body.as_bytes());
    assert_eq!(err, ReceiveError::Malformed(format!("ref is longer than {MAX_REF_BYTES} bytes")));

    let body = format!(r#"{{"ref":{}}}"#, serde_json::to_string(&"y".repeat(100_000)).unwrap());
    let err = github_err(&signed_github("push", body.as_bytes()), body.as_bytes());
    assert!(err.to_string().chars().count() < 300, "{err}");

    let long_url = format!("https://github.com/{}", "o".repeat(MAX_URL_BYTES));
    let body = format!(
        r#"{{"ref":"refs/heads/main","before":"{BEFORE}","after":"{AFTER}","repository":{{"clone_url":"{long_url}"}}}}"#
    );
    let err = github_err(&signed_github("push", body.as_bytes()), body.as_bytes());
    assert_eq!(err, ReceiveError::Malformed(format!("repository.clone_url is longer than {MAX_URL_BYTES} bytes")));

    let body = github_push_payload("refs/heads/main", BEFORE, AFTER, false);
    let mut headers = signed_github("push", body.as_bytes());
    headers.insert("x-github-delivery", HeaderValue::from_static("no spaces allowed"));
    assert!(
        matches!(github_err(&headers, body.as_bytes()), ReceiveError::Malformed(m) if m.starts_with("X-GitHub-Delivery must be"))
    );

    // A long ping zen is cut, not refused.
    let body = format!(r#"{{"zen":"{}"}}"#, "z".repeat(10_000));
    let Hook::Ping { zen } = github(SECRET, &signed_github("ping", body.as_bytes()), body.as_bytes()).unwrap() else {
        panic!("not a ping")
    };
    assert_eq!(zen.unwrap().len(), 200);
}

#[test]
fn bodies_over_the_limit_are_refused_first() {
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    // No signature at all: size still wins, so an oversized body costs no HMAC.
    let err = github_err(&github_headers("push", None), &body);
    assert_eq!(err, ReceiveError::TooLarge { limit: MAX_BODY_BYTES });
    assert_eq!(err.status(), 413);
    let err = generic_hmac(SECRET, &HeaderMap::new(), &body, SystemTime::now()).unwrap_err();
    assert_eq!(err, ReceiveError::TooLarge { limit: MAX_BODY_BYTES });

    // Exactly at the limit is accepted as far as size goes (it then fails to parse).
    let body = vec![b' '; MAX_BODY_BYTES];
    let err = github_err(&signed_github("push", &body), &body);
    assert!(matches!(err, ReceiveError::Malformed(_)), "{err}");
}

// ---- generic-hmac ----

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_732_530_000)
}

fn generic_body(timestamp: i64, refs: &str) -> String {
    format!(
        r#"{{"repository":"file:///srv/git/fleet.git","refs":{refs},"timestamp":{timestamp},"delivery":"8d2b2c4f0a9e4b7c9d1e2f3a4b5c6d7e"}}"#
    )
}

fn one_ref() -> String {
    format!(r#"[{{"ref":"refs/heads/main","before":"{BEFORE}","after":"{AFTER}"}}]"#)
}

fn generic_headers(algorithm: &str, secret: &[u8], body: &[u8]) -> HeaderMap {
    let mac = match algorithm {
        "sha1" => hmac_hex::<Hmac<sha1::Sha1>>(secret, body),
        "sha256" => hmac_hex::<Hmac<sha2::Sha256>>(secret, body),
        "sha512" => hmac_hex::<Hmac<sha2::Sha512>>(secret, body),
        other => panic!("{other}"),
    };
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("x-signature", HeaderValue::from_str(&format!("{algorithm}={mac}")).unwrap());
    headers
}

fn generic_err(headers: &HeaderMap, body: &[u8], now: SystemTime) -> ReceiveError {
    let err = generic_hmac(SECRET, headers, body, now).expect_err("request should be refused");
    assert_safe(&err, body);
    err
}

#[test]
fn generic_hmac_accepts_sha1_sha256_sha512() {
    let body = generic_body(1_732_530_000, &one_ref());
    let expected = Hook::Push(Push {
        repository: vec!["file:///srv/git/fleet.git".into()],
        refs: vec![RefUpdate { name: "refs/heads/main".into(), before: BEFORE.into(), after: AFTER.into() }],
        delivery: Some("8d2b2c4f0a9e4b7c9d1e2f3a4b5c6d7e".into()),
    });
    for algorithm in ["sha1", "sha256", "sha512"] {
        let headers = generic_headers(algorithm, SECRET, body.as_bytes());
        assert_eq!(generic_hmac(SECRET, &headers, body.as_bytes(), now()).unwrap(), expected, "{algorithm}");
        // The same header with the wrong secret, and the right secret over another body.
        let wrong = generic_headers(algorithm, b"wrong", body.as_bytes());
        let err = generic_err(&wrong, body.as_bytes(), now());
        assert_eq!(err, ReceiveError::BadSignature { header: "X-Signature" });
        let other = generic_body(1_732_530_001, &one_ref());
        assert_eq!(
            generic_err(&headers, other.as_bytes(), now()),
            ReceiveError::BadSignature { header: "X-Signature" }
        );
    }
}

#[test]
fn generic_hmac_signature_header_problems() {
    let body = generic_body(1_732_530_000, &one_ref());
    let body = body.as_bytes();
    assert_eq!(generic_err(&HeaderMap::new(), body, now()), ReceiveError::MissingSignature { header: "X-Signature" });
    let mac = sha256_hex(SECRET, body);
    for value in [format!("md5={mac}"), mac.clone(), format!("sha512={mac}"), format!("sha256 {mac}")] {
        let mut headers = HeaderMap::new();
        headers.insert("x-signature", HeaderValue::from_str(&value).unwrap());
        let err = generic_err(&headers, body, now());
        assert_eq!(
            err,
            ReceiveError::MalformedSignature {
                header: "X-Signature",
                expected: "sha1=<hex>, sha256=<hex> or sha512=<hex>"
            },
            "{value}"
        );
        assert_eq!(err.status(), 401);
    }
}

#[test]
fn generic_hmac_refuses_stale_timestamps_and_replays() {
    let t0 = 1_732_530_000_i64;
    let body = generic_body(t0, &one_ref());
    let headers = generic_headers("sha256", SECRET, body.as_bytes());
    let at = |secs: i64| UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap());

    // Within ±5 minutes, both ways.
    for now in [t0 - 300, t0 - 1, t0, t0 + 1, t0 + 300] {
        assert!(generic_hmac(SECRET, &headers, body.as_bytes(), at(now)).is_ok(), "now = {now}");
    }
    // The same signed body, replayed ten minutes later, or arriving from a clock running ahead.
    let err = generic_err(&headers, body.as_bytes(), at(t0 + 600));
    assert_eq!(err, ReceiveError::Stale { timestamp: t0, skew_seconds: 600, allowed_seconds: 300 });
    assert_eq!(err.status(), 401);
    assert_eq!(
        generic_err(&headers, body.as_bytes(), at(t0 - 301)),
        ReceiveError::Stale { timestamp: t0, skew_seconds: 301, allowed_seconds: 300 }
    );
    // Extreme values do not overflow.
    for timestamp in [i64::MIN, i64::MAX, -1, 0] {
        let body = generic_body(timestamp, &one_ref());
        let headers = generic_headers("sha256", SECRET, body.as_bytes());
        assert!(matches!(generic_err(&headers, body.as_bytes(), now()), ReceiveError::Stale { .. }));
    }
    // A receiver clock before 1970 is handled too.
    let before_epoch = UNIX_EPOCH - Duration::from_secs(10);
    let body = generic_body(-10, &one_ref());
    let headers = generic_headers("sha256", SECRET, body.as_bytes());
    assert!(generic_hmac(SECRET, &headers, body.as_bytes(), before_epoch).is_ok());
}

#[test]
fn generic_hmac_malformed_bodies_say_what_is_wrong() {
    let r = one_ref();
    let cases: Vec<(String, &str)> = vec![
        ("{".into(), "body is not JSON: EOF while parsing an object at line 1 column 1"),
        (r#"{"repository":"x","refs":[]}"#.into(), "timestamp is missing"),
        (
            r#"{"timestamp":1.5e9}"#.into(),
            "body is not a driftless push notification: invalid type: floating point `1500000000.0`, expected i64 at line 1 column 18",
        ),
        (
            r#"{"timestamp":"1732530000"}"#.into(),
            "body is not a driftless push notification: invalid type: string \"1732530000\", expected i64 at line 1 column 25",
        ),
        (r#"{"timestamp":1732530000}"#.into(), "repository is missing"),
        (r#"{"timestamp":1732530000,"repository":""}"#.into(), "repository is empty"),
        (r#"{"timestamp":1732530000,"repository":"x"}"#.into(), "refs is missing"),
        (r#"{"timestamp":1732530000,"repository":"x","refs":[]}"#.into(), "refs is empty"),
        (
            r#"{"timestamp":1732530000,"repository":"x","refs":{}}"#.into(),
            "body is not a driftless push notification: invalid type: map, expected a list of ref updates at line 1 column 48",
        ),
        (
            format!(r#"{{"timestamp":1732530000,"repository":"x","refs":[{{"before":"{BEFORE}"}}]}}"#),
            "refs[0].ref is missing",
        ),
        (
            format!(
                r#"{{"timestamp":1732530000,"repository":"x","refs":[{r},{{"ref":"refs/heads/b","before":"{BEFORE}"}}]}}"#,
                r = &r[1..r.len() - 1]
            ),
            "refs[1].after is missing",
        ),
        (
            r#"{"timestamp":1732530000,"repository":"x","refs":[{"ref":"refs/heads/a b"}]}"#.into(),
            r#"refs[0].ref "refs/heads/a b" is not a valid git ref name"#,
        ),
        (
            format!(r#"{{"timestamp":1732530000,"repository":"x","refs":{r},"delivery":"a b"}}"#),
            "delivery must be 1 to 128 letters, digits, '-', '_', '.' or ':'",
        ),
    ];
    for (body, message) in cases {
        let headers = generic_headers("sha256", SECRET, body.as_bytes());
        let err = generic_err(&headers, body.as_bytes(), now());
        assert_eq!(err, ReceiveError::Malformed(message.into()), "body: {body}");
    }
}

#[test]
fn generic_hmac_delivery_is_optional_and_unknown_fields_ignored() {
    let body = format!(
        r#"{{"version":2,"repository":"ssh://git@git.example.com/fleet.git","refs":{},"timestamp":1732530000,"pusher":"ci"}}"#,
        one_ref()
    );
    let headers = generic_headers("sha256", SECRET, body.as_bytes());
    let Hook::Push(push) = generic_hmac(SECRET, &headers, body.as_bytes(), now()).unwrap() else { panic!() };
    assert_eq!(push.delivery, None);
    assert_eq!(push.repository, vec!["ssh://git@git.example.com/fleet.git".to_string()]);
}

#[test]
fn generic_hmac_caps_the_number_of_refs() {
    let refs = |n: usize| {
        let items: Vec<String> =
            (0..n).map(|i| format!(r#"{{"ref":"refs/heads/b{i}","before":"{ZEROS}","after":"{AFTER}"}}"#)).collect();
        format!("[{}]", items.join(","))
    };
    let body = generic_body(1_732_530_000, &refs(MAX_REFS));
    let headers = generic_headers("sha256", SECRET, body.as_bytes());
    let Hook::Push(push) = generic_hmac(SECRET, &headers, body.as_bytes(), now()).unwrap() else { panic!() };
    assert_eq!(push.refs.len(), MAX_REFS);
    assert_eq!(push.refs[999].name, "refs/heads/b999");

    let body = generic_body(1_732_530_000, &refs(MAX_REFS + 5));
    let headers = generic_headers("sha256", SECRET, body.as_bytes());
    let err = generic_err(&headers, body.as_bytes(), now());
    assert_eq!(err, ReceiveError::TooManyRefs { count: MAX_REFS + 5, limit: MAX_REFS });
    assert_eq!(err.status(), 413);
}

// ---- never panic ----

/// Random and mutated inputs, both unsigned and correctly signed (so the
/// parser is exercised, not only the signature check), never panic, and
/// every error they produce is safe to show.
#[test]
fn random_inputs_never_panic() {
    let mut rng = StdRng::seed_from_u64(0x0d71_f71e55);
    let seeds: Vec<Vec<u8>> = vec![
        github_push_payload("refs/heads/main", BEFORE, AFTER, false).into_bytes(),
        github_push_payload("refs/heads/gone", AFTER, ZEROS, true).into_bytes(),
        GITHUB_PING.as_bytes().to_vec(),
        generic_body(1_732_530_000, &one_ref()).into_bytes(),
        b"payload=%7B%22zen%22%3A%22x%22%7D".to_vec(),
    ];
    let events = ["push", "ping", "PUSH", "issues", ""];
    let now = now();
    for round in 0..4000 {
        let body: Vec<u8> = match round % 4 {
            // Pure noise.
            0 => (0..rng.random_range(0..512)).map(|_| rng.random()).collect(),
            // Noise made of JSON-ish tokens.
            1 => {
                let tokens: [&[u8]; 16] = [
                    b"{",
                    b"}",
                    b"[",
                    b"]",
                    b",",
                    b":",
                    b"\"ref\"",
                    b"\"refs\"",
                    b"\"after\"",
                    b"\"repository\"",
                    b"\"timestamp\"",
                    b"1732530000",
                    b"null",
                    b"\"refs/heads/main\"",
                    b"\"\\u0000\"",
                    b"-1e999",
                ];
                (0..rng.random_range(0..64)).flat_map(|_| tokens[rng.random_range(0..tokens.len())].to_vec()).collect()
            }
            // A realistic body with a few bytes flipped, cut or duplicated.
            _ => {
                let mut body = seeds[rng.random_range(0..seeds.len())].clone();
                for _ in 0..rng.random_range(1..8) {
                    if body.is_empty() {
                        break;
                    }
                    let at = rng.random_range(0..body.len());
                    match rng.random_range(0..3) {
                        0 => body[at] = rng.random(),
                        1 => body.truncate(at),
                        _ => {
                            let byte = body[at];
                            body.insert(at, byte);
                        }
                    }
                }
                body
            }
        };
        let event = events[rng.random_range(0..events.len())];
        let signed = rng.random_bool(0.8);
        let mut headers = if signed { signed_github(event, &body) } else { github_headers(event, None) };
        if rng.random_bool(0.1) {
            headers.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded"));
        }
        if let Err(err) = github(SECRET, &headers, &body) {
            assert_safe(&err, &body);
            let _ = err.status();
        }
        let headers = if signed { generic_headers("sha256", SECRET, &body) } else { HeaderMap::new() };
        if let Err(err) = generic_hmac(SECRET, &headers, &body, now) {
            assert_safe(&err, &body);
        }
    }
}

#[test]
fn deeply_nested_json_is_refused_not_a_stack_overflow() {
    for body in [
        format!(r#"{{"ref":"refs/heads/main","extra":{}{}}}"#, "[".repeat(200_000), "]".repeat(200_000)),
        format!(r#"{{"zen":"x","hook":{}}}"#, "{\"a\":".repeat(100_000)),
        "[".repeat(1_000_000),
    ] {
        let err = github_err(&signed_github("push", body.as_bytes()), body.as_bytes());
        assert!(matches!(err, ReceiveError::Malformed(_)), "{err}");
        let err = generic_err(&generic_headers("sha256", SECRET, body.as_bytes()), body.as_bytes(), now());
        assert!(matches!(err, ReceiveError::Malformed(_)), "{err}");
    }
}
