//! Fixtures for the source tests: origin repositories made with the `git` CLI, and `git http-backend` behind a
//! small HTTP/1.1 front on 127.0.0.1 that can require credentials, count requests, fail on purpose, delay its
//! first answer, speak only the original protocol (v0, which refuses wants by object id), and serve https
//! (optionally requiring a client certificate). The other servers live in their own files: `sshd` (`ssh.rs`),
//! `git daemon` (`daemon.rs`); `pki.rs` makes the certificates, `process.rs` runs server processes.
// Each test binary uses a different part of the fixtures.
#![allow(dead_code, unused_imports)]

mod daemon;
mod pki;
mod process;
mod ssh;

pub use daemon::GitDaemon;
pub use pki::Pki;
pub use process::{current_user, free_port};
pub use ssh::{KeyPair, Sshd, ensure_sshd};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use driftless::source::{Credentials, Reference, Remote};

/// A git command isolated from the machine's and user's git config.
pub fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com");
    cmd
}

/// Runs `cmd`, which must succeed, and returns its trimmed stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("git runs");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_string()
}

/// An origin repository with a work tree, committed to with the git CLI.
pub struct Origin {
    _tmp: tempfile::TempDir,
    /// The directory holding `origin/` (what the HTTP front serves).
    pub root: PathBuf,
    /// The repository.
    pub path: PathBuf,
}

impl Origin {
    pub fn new() -> Origin {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        let path = root.join("origin");
        std::fs::create_dir(&path).expect("mkdir");
        run(git(&path).args(["init", "-q", "-b", "main"]));
        Origin { _tmp: tmp, root, path }
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }

    pub fn write(&self, file: &str, content: &str) -> &Self {
        let path = self.path.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
        self
    }

    pub fn remove(&self, file: &str) -> &Self {
        std::fs::remove_file(self.path.join(file)).expect("remove");
        self
    }

    pub fn symlink(&self, link: &str, target: &str) -> &Self {
        std::os::unix::fs::symlink(target, self.path.join(link)).expect("symlink");
        self
    }

    /// Commits everything and returns the new commit id.
    pub fn commit(&self, message: &str) -> String {
        run(git(&self.path).args(["add", "-A"]));
        run(git(&self.path).args(["commit", "-q", "--allow-empty", "-m", message]));
        self.rev_parse("HEAD")
    }

    /// Writes `file` and commits it.
    pub fn change(&self, file: &str, content: &str) -> String {
        self.write(file, content);
        self.commit(&format!("change {file}"))
    }

    pub fn rev_parse(&self, rev: &str) -> String {
        run(git(&self.path).args(["rev-parse", rev]))
    }

    /// Runs a git command in the origin.
    pub fn git(&self, args: &[&str]) -> String {
        run(git(&self.path).args(args))
    }

    /// A commit on top of `parent` that no ref points to yet (to be published later with `set_ref`).
    pub fn dangling_commit(&self, parent: &str, message: &str) -> String {
        let tree = self.rev_parse(&format!("{parent}^{{tree}}"));
        run(git(&self.path).args(["commit-tree", &tree, "-p", parent, "-m", message]))
    }

    /// Points `name` (a full ref name) at `commit`.
    pub fn set_ref(&self, name: &str, commit: &str) {
        run(git(&self.path).args(["update-ref", name, commit]));
    }
}

/// A remote tracking `reference` at `url`, 60s timeout, no credentials.
pub fn remote(url: &str, reference: Reference) -> Remote {
    Remote {
        url: url.to_string(),
        reference,
        timeout: Duration::from_secs(60),
        credentials: Credentials::default(),
        expect: None,
    }
}

/// A remote tracking `branch`.
pub fn branch(url: &str, branch: &str) -> Remote {
    remote(url, Reference::Branch(branch.to_string()))
}

pub fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// An origin with a small GitOps layout committed on `main`.
pub fn gitops_origin() -> Origin {
    let origin = Origin::new();
    origin
        .write("README.md", "# fleet\n")
        .write("apps/base/kustomization.yaml", "resources:\n- deploy.yaml\n")
        .write("apps/base/deploy.yaml", "kind: Deployment\n")
        .write("apps/prod/kustomization.yaml", "resources:\n- ../base\n")
        .write("clusters/prod/apps.yaml", "kind: Kustomization\n");
    origin.commit("initial");
    origin
}

/// Polls `check` until it holds or `timeout` passes; returns whether it held.
pub fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

/// The pack files of a mirror.
pub fn packs(mirror: &Path) -> Vec<PathBuf> {
    let mut packs: Vec<PathBuf> = std::fs::read_dir(mirror.join("objects/pack"))
        .map(|dir| dir.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "pack")).collect())
        .unwrap_or_default();
    packs.sort();
    packs
}

// ---------------------------------------------------------------- http://

/// Who may fetch through [`GitHttp`].
#[derive(Clone)]
pub enum Require {
    Nothing,
    Basic(String, String),
    Bearer(String),
}

/// How the front behaves.
#[derive(Clone)]
pub struct Front {
    pub require: Require,
    /// Answer only in protocol v0 (the `Git-Protocol` header is not passed on), where the server refuses
    /// wants for objects no ref points to.
    pub v0_only: bool,
    /// Hold the first ref advertisement (`GET .../info/refs`) this long before answering.
    pub delay_first: Option<Duration>,
    /// Hold the first pack (the answer to a protocol v2 `command=fetch`) this long before answering.
    pub delay_first_pack: Option<Duration>,
    /// Serve https with this TLS configuration (see [`Pki::server_config`]).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl Default for Front {
    fn default() -> Self {
        Front { require: Require::Nothing, v0_only: false, delay_first: None, delay_first_pack: None, tls: None }
    }
}

/// `git http-backend` behind a minimal HTTP/1.1 front on 127.0.0.1, serving the repositories under `root`.
pub struct GitHttp {
    pub port: u16,
    /// Whether it serves https.
    pub tls: bool,
    /// How many ref advertisements (`GET .../info/refs`) were asked for, answered or not: one per connection.
    pub advertisements: Arc<AtomicUsize>,
    /// The next this-many requests are answered `503 Service Unavailable`.
    pub fail_next: Arc<AtomicUsize>,
    /// How many requests were answered 503.
    pub failed: Arc<AtomicUsize>,
}

/// Per-server counters shared with the connection threads.
#[derive(Clone)]
struct Counters {
    advertisements: Arc<AtomicUsize>,
    packs: Arc<AtomicUsize>,
    fail_next: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

impl GitHttp {
    pub fn start(root: &Path, require: Require) -> GitHttp {
        GitHttp::with(root, Front { require, ..Front::default() })
    }

    pub fn with(root: &Path, front: Front) -> GitHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let root = root.to_path_buf();
        let counters = Counters {
            advertisements: Arc::new(AtomicUsize::new(0)),
            packs: Arc::new(AtomicUsize::new(0)),
            fail_next: Arc::new(AtomicUsize::new(0)),
            failed: Arc::new(AtomicUsize::new(0)),
        };
        let server = GitHttp {
            port,
            tls: front.tls.is_some(),
            advertisements: counters.advertisements.clone(),
            fail_next: counters.fail_next.clone(),
            failed: counters.failed.clone(),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let (root, front, counters) = (root.clone(), front.clone(), counters.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_nodelay(true);
                    match front.tls.clone() {
                        Some(config) => {
                            let Ok(connection) = rustls::ServerConnection::new(config) else { return };
                            let tls = rustls::StreamOwned::new(connection, stream);
                            let _ = serve(tls, port, &root, &front, &counters);
                        }
                        None => {
                            let _ = serve(stream, port, &root, &front, &counters);
                        }
                    }
                });
            }
        });
        server
    }

    pub fn url(&self, repo: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/{repo}", self.port)
    }
}

/// Serves requests on one connection (plain or TLS) to the front on `port` until the client closes it.
fn serve(stream: impl Read + Write, port: u16, root: &Path, front: &Front, counters: &Counters) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("/").to_string());
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            read_chunked(&mut reader)?
        } else {
            let len: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body)?;
            body
        };
        // Everything of the request is read; answers go straight to the stream.
        let writer = reader.get_mut();

        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        if method == "GET" && path.ends_with("/info/refs") {
            let number = counters.advertisements.fetch_add(1, Ordering::SeqCst);
            if let (0, Some(delay)) = (number, front.delay_first) {
                std::thread::sleep(delay);
            }
        }
        if method == "POST" && body.windows(13).any(|w| w == b"command=fetch") {
            let number = counters.packs.fetch_add(1, Ordering::SeqCst);
            if let (0, Some(delay)) = (number, front.delay_first_pack) {
                std::thread::sleep(delay);
            }
        }

        if counters.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            counters.failed.fetch_add(1, Ordering::SeqCst);
            let body = b"try again later\n";
            write!(writer, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: {}\r\n\r\n", body.len())?;
            writer.write_all(body)?;
            continue;
        }

        let authorized = match &front.require {
            Require::Nothing => true,
            Require::Basic(user, password) => {
                let expected = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                header("authorization") == Some(format!("Basic {expected}"))
            }
            Require::Bearer(token) => header("authorization") == Some(format!("Bearer {token}")),
        };
        if !authorized {
            let body = b"authentication required\n";
            write!(
                writer,
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )?;
            writer.write_all(body)?;
            continue;
        }

        // A repository that moved: `/moved/<repo>` redirects to `/<repo>`, as forges do after a rename.
        if let Some(rest) = target.strip_prefix("/moved/") {
            write!(
                writer,
                "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:{port}/{rest}\r\nContent-Length: 0\r\n\r\n"
            )?;
            continue;
        }
        let mut cgi = Command::new("git");
        cgi.arg("http-backend")
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("REQUEST_METHOD", &method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("REMOTE_ADDR", "127.0.0.1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, var) in [
            ("content-type", "CONTENT_TYPE"),
            ("git-protocol", "GIT_PROTOCOL"),
            ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ] {
            if var == "GIT_PROTOCOL" && front.v0_only {
                continue;
            }
            if let Some(value) = header(name) {
                cgi.env(var, value);
            }
        }
        let mut child = cgi.spawn()?;
        let mut stdin = child.stdin.take().expect("stdin");
        let writer_thread = std::thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let mut output = Vec::new();
        child.stdout.take().expect("stdout").read_to_end(&mut output)?;
        let _ = writer_thread.join();
        child.wait()?;

        // CGI output: headers, a blank line, the body.
        let split = output.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, 4));
        let split = split.or_else(|| output.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
        let (head, body) = match split {
            Some((i, sep)) => (String::from_utf8_lossy(&output[..i]).into_owned(), output[i + sep..].to_vec()),
            None => (String::new(), output),
        };
        let mut status = "200 OK".to_string();
        let mut response_headers = String::new();
        for line in head.lines() {
            match line.split_once(':') {
                Some((name, value)) if name.eq_ignore_ascii_case("status") => status = value.trim().to_string(),
                Some(_) => {
                    response_headers.push_str(line.trim_end());
                    response_headers.push_str("\r\n");
                }
                None => {}
            }
        }
        write!(writer, "HTTP/1.1 {status}\r\n{response_headers}Content-Length: {}\r\n\r\n", body.len())?;
        writer.write_all(&body)?;
        writer.flush()?;
    }
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        if size == 0 {
            let mut trailer = String::new();
            while reader.read_line(&mut trailer)? > 2 {
                trailer.clear();
            }
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}
