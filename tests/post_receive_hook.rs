//! `hooks/post-receive`, end to end: real `git push`es into a bare repository
//! whose hook notifies a small HTTP server started here, and whose requests
//! must verify with `driftless::receive::generic_hmac`. Also: the push still
//! succeeds, promptly, when driftless is down or hangs.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use driftless::receive::{Hook, Push, RefUpdate, generic_hmac};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::process::Command;

const SECRET: &[u8] = b"s3cret-token-value";
const ZEROS: &str = "0000000000000000000000000000000000000000";
/// Longer than any run of the hook may take: curl gives up after 5 s.
const DEADLINE: Duration = Duration::from_secs(20);

fn hook_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/post-receive")
}

/// One request the server saw.
#[derive(Clone)]
struct Recorded {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Server {
    requests: Arc<Mutex<Vec<Recorded>>>,
    answer: (StatusCode, &'static str),
}

impl Server {
    /// Starts a server on 127.0.0.1 that records every request and answers `answer`.
    async fn start(answer: (StatusCode, &'static str)) -> (Server, String) {
        let server = Server { requests: Arc::default(), answer };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook/0123abcd", listener.local_addr().unwrap());
        let app = Router::new().fallback(record).with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (server, url)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn record(
    State(server): State<Server>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    server.requests.lock().unwrap().push(Recorded { method, path: uri.path().to_string(), headers, body });
    server.answer
}

/// A temporary directory with a bare repository `fleet.git` (hook installed),
/// a clone `work`, and a secret file.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Fixture {
        let fixture = Fixture { dir: tempfile::tempdir().unwrap() };
        let root = fixture.dir.path();
        fixture.git(root, &["init", "--quiet", "--bare", "--initial-branch=main", "fleet.git"]).await;
        let hook = fixture.bare().join("hooks/post-receive");
        std::fs::copy(hook_script(), &hook).unwrap();
        set_executable(&hook);
        // A trailing newline, as `echo "$TOKEN" > file` leaves: the hook ignores it.
        std::fs::write(fixture.secret_file(), [SECRET, b"\n"].concat()).unwrap();
        let secret = fixture.secret_file();
        fixture.git(&fixture.bare(), &["config", "driftless.secretFile", secret.to_str().unwrap()]).await;
        fixture.git(root, &["clone", "--quiet", "fleet.git", "work"]).await;
        fixture
    }

    fn bare(&self) -> PathBuf {
        self.dir.path().join("fleet.git")
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn secret_file(&self) -> PathBuf {
        self.dir.path().join("token")
    }

    fn command(&self, program: &str, dir: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(dir)
            .env("HOME", self.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env_remove("DRIFTLESS_URL")
            .env_remove("DRIFTLESS_SECRET_FILE")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    /// Runs git in `dir`; panics unless it succeeds.
    async fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = run(self.command("git", dir).args(args)).await;
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    async fn commit(&self, file: &str, content: &str) -> String {
        std::fs::write(self.work().join(file), content).unwrap();
        self.git(&self.work(), &["add", file]).await;
        self.git(&self.work(), &["commit", "--quiet", "-m", &format!("update {file}")]).await;
        self.git(&self.work(), &["rev-parse", "HEAD"]).await
    }

    /// `git push origin <args>` from the clone; returns its output and how long it took.
    async fn push(&self, args: &[&str]) -> (Output, Duration) {
        let start = Instant::now();
        let out = run(self.command("git", &self.work()).arg("push").arg("origin").args(args)).await;
        (out, start.elapsed())
    }

    /// The repository the hook reports by default: `file://` + the bare repository's absolute path.
    async fn repository_url(&self) -> String {
        format!("file://{}", self.git(&self.bare(), &["rev-parse", "--absolute-git-dir"]).await)
    }
}

/// Runs a command to completion, failing the test if it outlives [`DEADLINE`].
async fn run(cmd: &mut Command) -> Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{cmd:?} still running after {DEADLINE:?}"))
        .unwrap()
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Verifies a recorded request as driftless would, with `secret`.
fn verify(request: &Recorded, secret: &[u8]) -> Push {
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/hook/0123abcd");
    assert_eq!(request.headers["content-type"], "application/json");
    match generic_hmac(secret, &request.headers, &request.body, SystemTime::now()) {
        Ok(Hook::Push(push)) => push,
        other => panic!("request did not verify: {other:?}\nbody: {}", String::from_utf8_lossy(&request.body)),
    }
}

fn assert_delivery_id(push: &Push) {
    let id = push.delivery.as_deref().expect("a delivery id");
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_push_sends_one_signed_notification() {
    let fx = Fixture::new().await;
    let (server, url) = Server::start((StatusCode::ACCEPTED, "")).await;
    fx.git(&fx.bare(), &["config", "driftless.url", &url]).await;
    let repository = fx.repository_url().await;

    // First push: creates main.
    let first = fx.commit("kustomization.yaml", "resources: []\n").await;
    let (out, _) = fx.push(&["main"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("driftless"), "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one request per push");
    let push = verify(&requests[0], SECRET);
    assert_eq!(push.repository, vec![repository.clone()]);
    assert_eq!(
        push.refs,
        vec![RefUpdate { name: "refs/heads/main".into(), before: ZEROS.into(), after: first.clone() }]
    );
    assert_delivery_id(&push);

    // Second push: main moves, a new branch and an annotated tag, all in ONE request.
    let second = fx.commit("kustomization.yaml", "resources: [app.yaml]\n").await;
    fx.git(&fx.work(), &["branch", "feature/x"]).await;
    fx.git(&fx.work(), &["tag", "-a", "-m", "first release", "v1"]).await;
    let tag = fx.git(&fx.work(), &["rev-parse", "refs/tags/v1"]).await;
    let (out, _) = fx.push(&["main", "feature/x", "v1"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let push = verify(&requests[1], SECRET);
    let mut refs = push.refs.clone();
    refs.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        refs,
        vec![
            RefUpdate { name: "refs/heads/feature/x".into(), before: ZEROS.into(), after: second.clone() },
            RefUpdate { name: "refs/heads/main".into(), before: first.clone(), after: second.clone() },
            RefUpdate { name: "refs/tags/v1".into(), before: ZEROS.into(), after: tag },
        ]
    );
    assert_ne!(push.delivery, verify(&requests[0], SECRET).delivery, "delivery ids are random");

    // Third push: deleting the branch is announced too.
    let (out, _) = fx.push(&["--delete", "feature/x"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let push = verify(&requests[2], SECRET);
    assert_eq!(push.refs, vec![RefUpdate { name: "refs/heads/feature/x".into(), before: second, after: ZEROS.into() }]);

    // The same body replayed ten minutes later is refused.
    let later = SystemTime::now() + Duration::from_secs(600);
    let err = generic_hmac(SECRET, &requests[2].headers, &requests[2].body, later).unwrap_err();
    assert_eq!(err.status(), 401, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_succeeds_when_driftless_is_down() {
    let fx = Fixture::new().await;
    // A port that was just free: nothing listens there any more.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook/0123abcd", closed.local_addr().unwrap());
    drop(closed);
    fx.git(&fx.bare(), &["config", "driftless.url", &url]).await;

    let head = fx.commit("a.yaml", "a: 1\n").await;
    let (out, took) = fx.push(&["main"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(took < Duration::from_secs(4), "push took {took:?}");
    let err = stderr(&out);
    assert_eq!(err.matches("driftless: notify failed (").count(), 1, "{err}");
    assert!(err.contains("Failed to connect") || err.contains("Couldn't connect"), "{err}");
    assert_eq!(fx.git(&fx.bare(), &["rev-parse", "refs/heads/main"]).await, head, "the push landed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_returns_within_the_hook_timeout_when_driftless_hangs() {
    let fx = Fixture::new().await;
    // Accepts connections and never answers, holding them open.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook/0123abcd", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    fx.git(&fx.bare(), &["config", "driftless.url", &url]).await;

    let head = fx.commit("a.yaml", "a: 1\n").await;
    let (out, took) = fx.push(&["main"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("driftless: notify failed (") && err.contains("timed out"), "{err}");
    assert!(took >= Duration::from_secs(4), "curl should have waited for its 5 s limit, took {took:?}");
    assert!(took < Duration::from_secs(10), "push took {took:?}");
    assert_eq!(fx.git(&fx.bare(), &["rev-parse", "refs/heads/main"]).await, head, "the push landed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_errors_are_reported_without_failing_the_push() {
    let fx = Fixture::new().await;
    let (server, url) = Server::start((StatusCode::UNAUTHORIZED, "X-Signature does not match the body\n")).await;
    fx.git(&fx.bare(), &["config", "driftless.url", &url]).await;
    fx.commit("a.yaml", "a: 1\n").await;
    let (out, _) = fx.push(&["main"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("driftless: notify failed (HTTP 401: X-Signature does not match the body)"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

/// Runs the hook directly (as git would, from the bare repository) under `shell`.
async fn run_hook(fx: &Fixture, shell: &str, stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = fx.command(shell, &fx.bare());
    cmd.arg(hook_script()).env("GIT_DIR", ".").envs(env.iter().copied()).stdin(Stdio::piped());
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    tokio::time::timeout(DEADLINE, child.wait_with_output()).await.expect("hook still running").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_signs_every_key_length_under_dash_and_bash() {
    let fx = Fixture::new().await;
    let (server, url) = Server::start((StatusCode::ACCEPTED, "")).await;
    let before = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    let after = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
    // A quote is legal in a ref name and must be escaped; so is non-ASCII.
    let tricky = "refs/heads/say-\"hi\"-caf\u{e9}";
    let stdin = format!("{before} {after} refs/heads/main\n{ZEROS} {after} {tricky}\n");
    fx.git(&fx.bare(), &["config", "driftless.repository", "ssh://git@git.example.com/fleet \"prod\".git"]).await;

    // Keys around the 64-byte block size, with bytes that become NUL in the pads (0x36, 0x5c).
    let mut keys: Vec<Vec<u8>> = vec![b"k".to_vec()];
    for len in [63, 64, 65, 200] {
        keys.push((0..len).map(|i| [0x36, 0x5c, 0x00, 0xff, b'a'][i % 5]).collect());
    }
    let mut seen = 0;
    for shell in ["dash", "bash"] {
        for key in &keys {
            let file = fx.dir.path().join("key");
            std::fs::write(&file, [key.as_slice(), b"\r\n\n"].concat()).unwrap();
            let env = [("DRIFTLESS_URL", url.as_str()), ("DRIFTLESS_SECRET_FILE", file.to_str().unwrap())];
            let out = run_hook(&fx, shell, &stdin, &env).await;
            assert!(out.status.success() && out.stderr.is_empty(), "{shell}, {} byte key: {}", key.len(), stderr(&out));
            let requests = server.requests();
            assert_eq!(requests.len(), seen + 1, "{shell}");
            seen += 1;
            let push = verify(requests.last().unwrap(), key);
            assert_eq!(push.repository, vec!["ssh://git@git.example.com/fleet \"prod\".git".to_string()]);
            assert_eq!(
                push.refs,
                vec![
                    RefUpdate { name: "refs/heads/main".into(), before: before.into(), after: after.into() },
                    RefUpdate { name: tricky.into(), before: ZEROS.into(), after: after.into() },
                ],
                "{shell}"
            );
            assert_delivery_id(&push);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_configuration_problems() {
    let fx = Fixture::new().await;
    let (server, url) = Server::start((StatusCode::ACCEPTED, "")).await;
    let line = format!("{ZEROS} 0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c refs/heads/main\n");

    for shell in ["dash", "bash"] {
        // No URL anywhere: silent, nothing sent.
        let out = run_hook(&fx, shell, &line, &[]).await;
        assert!(out.status.success() && out.stderr.is_empty(), "{shell}: {}", stderr(&out));

        // A URL but an unreadable, then an empty, secret file: one line, exit 0, nothing sent.
        let missing = fx.dir.path().join("no-such-file");
        let env = [("DRIFTLESS_URL", url.as_str()), ("DRIFTLESS_SECRET_FILE", missing.to_str().unwrap())];
        let out = run_hook(&fx, shell, &line, &env).await;
        assert!(out.status.success(), "{shell}");
        assert_eq!(
            stderr(&out),
            format!("driftless: notify failed (cannot read the secret file {})\n", missing.display())
        );
        let empty = fx.dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let env = [("DRIFTLESS_URL", url.as_str()), ("DRIFTLESS_SECRET_FILE", empty.to_str().unwrap())];
        let out = run_hook(&fx, shell, &line, &env).await;
        assert!(out.status.success(), "{shell}");
        assert!(stderr(&out).starts_with("driftless: notify failed (the secret file"), "{}", stderr(&out));

        // Nothing pushed (empty stdin): nothing sent.
        let env = [("DRIFTLESS_URL", url.as_str())];
        let out = run_hook(&fx, shell, "", &env).await;
        assert!(out.status.success() && out.stderr.is_empty(), "{shell}: {}", stderr(&out));
    }
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_caps_the_refs_of_a_huge_push() {
    let fx = Fixture::new().await;
    let (server, url) = Server::start((StatusCode::ACCEPTED, "")).await;
    let after = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
    let stdin: String = (0..1005).map(|i| format!("{ZEROS} {after} refs/tags/t{i}\n")).collect();
    let secret = fx.secret_file();
    let env = [("DRIFTLESS_URL", url.as_str()), ("DRIFTLESS_SECRET_FILE", secret.to_str().unwrap())];
    let out = run_hook(&fx, "dash", &stdin, &env).await;
    assert!(out.status.success());
    assert_eq!(stderr(&out), "driftless: 1005 refs pushed; notifying the first 1000, polling will catch the rest\n");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let push = verify(&requests[0], SECRET);
    assert_eq!(push.refs.len(), 1000);
    assert_eq!(push.refs[999].name, "refs/tags/t999");
}
