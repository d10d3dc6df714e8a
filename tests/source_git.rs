//! The source stage against real git: fixture repositories made with the `git` CLI, fetched over
//! `file://` and over smart HTTP (`git http-backend` behind a small HTTP front on 127.0.0.1).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use driftless::source::{Auth, EntryKind, Mirror, Remote, Revision, SourceError};

// ---------------------------------------------------------------- fixtures

/// A git command isolated from the machine's and user's git config.
fn git(dir: &Path) -> Command {
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

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("git runs");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_string()
}

/// An origin repository with a work tree, committed to with the git CLI.
struct Origin {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    path: PathBuf,
}

impl Origin {
    fn new() -> Origin {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        let path = root.join("origin");
        std::fs::create_dir(&path).expect("mkdir");
        run(git(&path).args(["init", "-q", "-b", "main"]));
        Origin { _tmp: tmp, root, path }
    }

    fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }

    fn write(&self, file: &str, content: &str) -> &Self {
        let path = self.path.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
        self
    }

    fn remove(&self, file: &str) -> &Self {
        std::fs::remove_file(self.path.join(file)).expect("remove");
        self
    }

    fn symlink(&self, link: &str, target: &str) -> &Self {
        std::os::unix::fs::symlink(target, self.path.join(link)).expect("symlink");
        self
    }

    /// Commits everything and returns the new commit id.
    fn commit(&self, message: &str) -> String {
        run(git(&self.path).args(["add", "-A"]));
        run(git(&self.path).args(["commit", "-q", "--allow-empty", "-m", message]));
        self.rev_parse("HEAD")
    }

    fn rev_parse(&self, rev: &str) -> String {
        run(git(&self.path).args(["rev-parse", rev]))
    }
}

fn remote(url: &str, branch: &str) -> Remote {
    Remote { url: url.to_string(), branch: branch.to_string(), timeout: Duration::from_secs(60), auth: None }
}

fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// An origin with a small GitOps layout committed on `main`.
fn gitops_origin() -> Origin {
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

// ---------------------------------------------------------------- file://

#[test]
fn fetch_returns_the_branch_tip_as_a_flux_revision() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");

    let revision = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");

    let tip = origin.rev_parse("main");
    assert_eq!(revision, Revision { name: "main".into(), commit: tip.clone() });
    assert_eq!(revision.to_string(), format!("main@sha1:{tip}"));
    assert_eq!(revision.to_string().parse::<Revision>().expect("parses"), revision);
}

#[test]
fn the_mirror_is_bare_and_named_by_the_normalised_url() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let name = mirror.path().file_name().expect("name").to_string_lossy().into_owned();
    assert_eq!(mirror.path().parent().expect("parent"), data.path().join("mirrors"));
    assert_eq!(name.len(), 16);
    assert!(name.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
    assert!(mirror.path().join("HEAD").is_file());
    assert!(!mirror.path().join(".git").exists(), "a bare repository has no .git inside");

    // The same repository written slightly differently shares the mirror; reopening keeps what was fetched.
    let revision = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");
    drop(mirror);
    let again = Mirror::open(data.path(), &format!("{}/", origin.url())).expect("reopen");
    assert_eq!(again.path().file_name().expect("name").to_string_lossy(), name);
    assert!(again.tree(&revision.commit).expect("tree").kind("README.md").is_some());
}

#[test]
fn the_tree_reads_files_and_lists_nested_directories() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let revision = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");
    let tree = mirror.tree(&revision.commit).expect("tree");

    assert_eq!(tree.read("apps/base/deploy.yaml").expect("read"), b"kind: Deployment\n");
    assert_eq!(tree.read("./apps/prod/../base//kustomization.yaml").expect("read"), b"resources:\n- deploy.yaml\n");
    assert_eq!(
        tree.list("").expect("root"),
        vec![
            ("README.md".to_string(), EntryKind::File),
            ("apps".to_string(), EntryKind::Dir),
            ("clusters".to_string(), EntryKind::Dir),
        ]
    );
    assert_eq!(
        tree.list("apps").expect("apps"),
        vec![("base".to_string(), EntryKind::Dir), ("prod".to_string(), EntryKind::Dir)]
    );
    assert_eq!(
        tree.list("apps/base/").expect("apps/base"),
        vec![("deploy.yaml".to_string(), EntryKind::File), ("kustomization.yaml".to_string(), EntryKind::File)]
    );
    assert_eq!(tree.kind("apps/prod"), Some(EntryKind::Dir));
    assert_eq!(tree.kind("apps/prod/kustomization.yaml"), Some(EntryKind::File));
    assert_eq!(tree.kind(""), Some(EntryKind::Dir));
    assert_eq!(tree.kind("apps/nope"), None);
    assert_eq!(tree.kind("../apps"), None);

    let err = tree.read("apps/base/missing.yaml").unwrap_err();
    assert!(matches!(err, SourceError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("\"apps/base/missing.yaml\" not found in commit"), "{err}");
    assert!(matches!(tree.read("apps").unwrap_err(), SourceError::IsADirectory { .. }));
    assert!(matches!(tree.list("README.md").unwrap_err(), SourceError::NotADirectory { .. }));
    assert!(matches!(tree.read("README.md/x").unwrap_err(), SourceError::NotADirectory { .. }));
    assert!(matches!(tree.list("nope").unwrap_err(), SourceError::NotFound { .. }));

    // The tree is shared across threads.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let tree = tree.clone();
            std::thread::spawn(move || tree.read("clusters/prod/apps.yaml").expect("read"))
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().expect("thread"), b"kind: Kustomization\n");
    }
}

#[test]
fn paths_may_not_leave_the_repository_root() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let revision = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");
    let tree = mirror.tree(&revision.commit).expect("tree");

    for path in ["..", "../origin/README.md", "apps/../../etc/passwd", "apps/base/../../../x"] {
        let err = tree.read(path).unwrap_err();
        assert!(matches!(err, SourceError::PathEscapesRoot { .. }), "{path}: {err:?}");
        assert!(err.to_string().contains("leaves the repository root"), "{err}");
        assert!(matches!(tree.list(path).unwrap_err(), SourceError::PathEscapesRoot { .. }), "{path}");
    }
    assert!(matches!(tree.read("/etc/passwd").unwrap_err(), SourceError::InvalidPath { .. }));
    // `..` that stays inside is fine.
    assert!(tree.read("apps/../README.md").is_ok());
}

#[test]
fn symlinks_are_not_followed_yet() {
    let origin = gitops_origin();
    origin.symlink("link.yaml", "apps/base/deploy.yaml").symlink("base-link", "apps/base");
    origin.commit("links");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let revision = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");
    let tree = mirror.tree(&revision.commit).expect("tree");

    let err = tree.read("link.yaml").unwrap_err();
    assert!(matches!(err, SourceError::SymlinkNotSupported { .. }), "{err:?}");
    assert!(err.to_string().contains("symlink \"link.yaml\""), "{err}");
    assert!(err.to_string().contains("is not supported yet"), "{err}");
    let err = tree.read("base-link/deploy.yaml").unwrap_err();
    assert!(err.to_string().contains("symlink \"base-link\""), "{err}");
    assert!(matches!(tree.list("base-link").unwrap_err(), SourceError::SymlinkNotSupported { .. }));
}

#[test]
fn a_refetch_after_a_push_returns_the_new_commit() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let first = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");

    // Nothing new: the same revision again.
    assert_eq!(mirror.fetch(&remote(&origin.url(), "main")).expect("refetch"), first);

    origin.write("apps/base/deploy.yaml", "kind: Deployment\nreplicas: 3\n");
    let second_commit = origin.commit("scale");
    let second = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch after push");
    assert_eq!(second.commit, second_commit);
    assert_ne!(second, first);
    let tree = mirror.tree(&second.commit).expect("tree");
    assert_eq!(tree.read("apps/base/deploy.yaml").expect("read"), b"kind: Deployment\nreplicas: 3\n");
    // The old commit stays readable.
    let old = mirror.tree(&first.commit).expect("old tree");
    assert_eq!(old.read("apps/base/deploy.yaml").expect("read"), b"kind: Deployment\n");
}

#[test]
fn a_mirror_keeps_working_through_many_fetches() {
    // Each fetch adds a pack; gix's object store has a fixed number of index slots per opening (32 by default),
    // which a long-lived mirror must not run out of.
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let mut previous = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");
    let first_tree = mirror.tree(&previous.commit).expect("tree");
    for i in 0..100 {
        origin.write("counter.txt", &format!("{i}\n"));
        let commit = origin.commit(&format!("count {i}"));
        let revision = mirror.fetch(&remote(&origin.url(), "main")).unwrap_or_else(|e| panic!("fetch {i}: {e}"));
        assert_eq!(revision.commit, commit);
        let tree = mirror.tree(&revision.commit).expect("tree");
        assert_eq!(tree.read("counter.txt").expect("read"), format!("{i}\n").as_bytes());
        assert_eq!(mirror.changed_paths(&previous.commit, &revision.commit).expect("diff"), vec!["counter.txt"]);
        previous = revision;
    }
    // A tree taken before all that still reads.
    assert_eq!(first_tree.read("README.md").expect("read"), b"# fleet\n");
    // The packs that the fetches added are indexed together, in a form git itself accepts.
    assert!(mirror.path().join("objects/pack/multi-pack-index").is_file());
    run(git(mirror.path()).args(["multi-pack-index", "verify"]));
    run(git(mirror.path()).args(["fsck", "--no-dangling", "--connectivity-only"]));
}

#[test]
fn a_force_push_moves_the_revision_to_the_new_tip() {
    let origin = gitops_origin();
    origin.write("a.txt", "a\n");
    let ahead = origin.commit("ahead");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    assert_eq!(mirror.fetch(&remote(&origin.url(), "main")).expect("fetch").commit, ahead);

    run(git(&origin.path).args(["reset", "-q", "--hard", "HEAD~1"]));
    origin.write("b.txt", "b\n");
    let rewritten = origin.commit("rewritten");
    let revision = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");
    assert_eq!(revision.commit, rewritten);
    let tree = mirror.tree(&revision.commit).expect("tree");
    assert_eq!(tree.kind("a.txt"), None);
    assert_eq!(tree.kind("b.txt"), Some(EntryKind::File));
}

#[test]
fn only_the_tracked_branch_is_fetched() {
    let origin = gitops_origin();
    run(git(&origin.path).args(["checkout", "-q", "-b", "feature"]));
    origin.write("feature.txt", "f\n");
    let feature = origin.commit("feature");
    run(git(&origin.path).args(["tag", "v1"]));
    run(git(&origin.path).args(["checkout", "-q", "main"]));
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");

    let main = mirror.fetch(&remote(&origin.url(), "main")).expect("fetch main");
    assert_eq!(main.commit, origin.rev_parse("main"));
    let refs = run(git(mirror.path()).args(["for-each-ref", "--format=%(refname)"]));
    assert_eq!(refs, "refs/heads/main");
    assert!(matches!(mirror.tree(&feature).unwrap_err(), SourceError::CommitNotFound { .. }));

    let revision = mirror.fetch(&remote(&origin.url(), "feature")).expect("fetch feature");
    assert_eq!(revision.to_string(), format!("feature@sha1:{feature}"));
    assert!(mirror.tree(&feature).is_ok());
}

#[test]
fn changed_paths_compares_the_two_trees() {
    let origin = Origin::new();
    origin
        .write("keep.yaml", "same\n")
        .write("modify.yaml", "v1\n")
        .write("delete.yaml", "gone soon\n")
        .write("old-name.yaml", "moving\n")
        .write("dir/keep.yaml", "same\n")
        .write("dir/sub/deep.yaml", "v1\n");
    let from = origin.commit("one");
    origin
        .write("modify.yaml", "v2\n")
        .remove("delete.yaml")
        .write("dir/sub/deep.yaml", "v2\n")
        .write("dir/new/added.yaml", "new\n")
        .write("added.yaml", "new\n");
    std::fs::rename(origin.path.join("old-name.yaml"), origin.path.join("new-name.yaml")).expect("rename");
    let to = origin.commit("two");

    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");

    let changed = mirror.changed_paths(&from, &to).expect("diff");
    assert_eq!(
        changed,
        vec![
            "added.yaml",
            "delete.yaml",
            "dir/new/added.yaml",
            "dir/sub/deep.yaml",
            "modify.yaml",
            "new-name.yaml",
            "old-name.yaml",
        ]
    );
    // The other way round names the same paths; a commit against itself names none.
    assert_eq!(mirror.changed_paths(&to, &from).expect("reverse"), changed);
    assert!(mirror.changed_paths(&to, &to).expect("same").is_empty());
}

#[test]
fn changed_paths_sees_whole_directories_appear_and_vanish() {
    let origin = Origin::new();
    origin.write("base/a.yaml", "a\n").write("base/nested/b.yaml", "b\n");
    let from = origin.commit("one");
    std::fs::remove_dir_all(origin.path.join("base")).expect("rm");
    origin.write("overlay/c.yaml", "c\n").write("base", "now a file\n");
    let to = origin.commit("two");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");

    assert_eq!(
        mirror.changed_paths(&from, &to).expect("diff"),
        vec!["base", "base/a.yaml", "base/nested/b.yaml", "overlay/c.yaml"]
    );
}

#[test]
fn a_missing_branch_is_a_clear_error() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let err = mirror.fetch(&remote(&origin.url(), "nope")).unwrap_err();
    assert!(matches!(err, SourceError::BranchNotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("branch \"nope\" not found in {}: check spec.ref.branch, or push the branch", origin.url())
    );
    let err = mirror.fetch(&remote(&origin.url(), "bad..name")).unwrap_err();
    assert!(matches!(err, SourceError::InvalidBranch { .. }), "{err:?}");
}

#[test]
fn a_missing_repository_is_a_clear_error() {
    let data = data_dir();
    let url = format!("file://{}/does/not/exist", data.path().display());
    let mirror = Mirror::open(data.path(), &url).expect("opening the mirror needs no remote");
    let err = mirror.fetch(&remote(&url, "main")).unwrap_err();
    assert!(matches!(err, SourceError::RepositoryNotFound { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("no git repository at {url}")), "{err}");

    // A directory that is not a repository.
    let plain = tempfile::tempdir().expect("dir");
    let url = format!("file://{}", plain.path().display());
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let err = mirror.fetch(&remote(&url, "main")).unwrap_err();
    assert!(matches!(err, SourceError::RepositoryNotFound { .. }), "{err:?}");
}

#[test]
fn unsupported_schemes_are_refused_before_anything_is_created() {
    let data = data_dir();
    let err = Mirror::open(data.path(), "ftp://user:secret@example.com/repo.git").unwrap_err();
    assert!(matches!(err, SourceError::UnsupportedScheme { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("unsupported URL scheme \"ftp\" in ftp://user:***@example.com/repo.git"), "{text}");
    assert!(text.contains("file://, http://, https://"), "{text}");
    assert!(!text.contains("secret"), "{text}");
    let err = Mirror::open(data.path(), "git@github.com:org/repo.git").unwrap_err();
    assert!(err.to_string().contains("ssh"), "{err}");
    assert!(!data.path().join("mirrors").exists());
}

#[test]
fn reading_an_unknown_commit_is_a_clear_error() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    mirror.fetch(&remote(&origin.url(), "main")).expect("fetch");
    let err = mirror.tree("0123456789012345678901234567890123456789").unwrap_err();
    assert!(matches!(err, SourceError::CommitNotFound { .. }), "{err:?}");
    assert!(matches!(mirror.tree("main").unwrap_err(), SourceError::InvalidCommit { .. }));
    let tree_id = run(git(&origin.path).args(["rev-parse", "HEAD^{tree}"]));
    assert!(matches!(mirror.tree(&tree_id).unwrap_err(), SourceError::CommitNotFound { .. }));
}

#[test]
fn a_mirror_fetches_only_its_own_url() {
    let origin = gitops_origin();
    let other = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let err = mirror.fetch(&remote(&other.url(), "main")).unwrap_err();
    assert!(matches!(err, SourceError::WrongMirror { .. }), "{err:?}");
}

// ---------------------------------------------------------------- http://

/// Who may fetch through [`GitHttp`].
#[derive(Clone)]
enum Require {
    Nothing,
    Basic(String, String),
    Bearer(String),
}

/// `git http-backend` behind a minimal HTTP/1.1 front on 127.0.0.1, serving the repositories under `root`.
struct GitHttp {
    port: u16,
}

impl GitHttp {
    fn start(root: &Path, require: Require) -> GitHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let (root, require) = (root.clone(), require.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &root, &require);
                });
            }
        });
        GitHttp { port }
    }

    fn url(&self, repo: &str) -> String {
        format!("http://127.0.0.1:{}/{repo}", self.port)
    }
}

/// Serves requests on one connection until the client closes it.
fn serve(stream: TcpStream, root: &Path, require: &Require) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
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

        let authorized = match require {
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

        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        // A repository that moved: `/moved/<repo>` redirects to `/<repo>`, as forges do after a rename.
        if let Some(rest) = target.strip_prefix("/moved/") {
            let port = writer.local_addr()?.port();
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

#[test]
fn fetches_over_http() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let server = GitHttp::start(&origin.root, Require::Nothing);
    let url = server.url("origin");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");

    let revision = mirror.fetch(&remote(&url, "main")).expect("fetch over http");
    assert_eq!(revision.to_string(), format!("main@sha1:{}", origin.rev_parse("main")));
    let tree = mirror.tree(&revision.commit).expect("tree");
    assert_eq!(tree.read("apps/base/deploy.yaml").expect("read"), b"kind: Deployment\n");

    origin.write("apps/base/deploy.yaml", "kind: Deployment\nreplicas: 2\n");
    let next = origin.commit("scale");
    let again = mirror.fetch(&remote(&url, "main")).expect("incremental fetch over http");
    assert_eq!(again.commit, next);
    assert_eq!(mirror.changed_paths(&revision.commit, &again.commit).expect("diff"), vec!["apps/base/deploy.yaml"]);

    let err = mirror.fetch(&remote(&url, "nope")).unwrap_err();
    assert!(matches!(err, SourceError::BranchNotFound { .. }), "{err:?}");
}

#[test]
fn http_basic_auth_succeeds_with_the_right_password_and_fails_clearly_otherwise() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let server = GitHttp::start(&origin.root, Require::Basic("bot".into(), "s3cret-pw".into()));
    let url = server.url("origin");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");

    let mut with_auth = remote(&url, "main");
    with_auth.auth = Some(Auth::Basic { username: "bot".into(), password: "s3cret-pw".into() });
    let revision = mirror.fetch(&with_auth).expect("fetch with basic auth");
    assert_eq!(revision.commit, origin.rev_parse("main"));

    let mut wrong = remote(&url, "main");
    wrong.auth = Some(Auth::Basic { username: "bot".into(), password: "wrong-pw".into() });
    let err = mirror.fetch(&wrong).unwrap_err();
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with(&format!("authentication failed for {url}")), "{text}");
    assert!(!text.contains("wrong-pw") && !format!("{err:?}").contains("wrong-pw"), "{text}");

    let err = mirror.fetch(&remote(&url, "main")).unwrap_err();
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("none are configured"), "{err}");

    // Credentials written into the URL work too, and never show.
    let in_url = url.replace("http://", "http://bot:s3cret-pw@");
    assert_eq!(mirror.fetch(&remote(&in_url, "main")).expect("fetch with URL credentials"), revision);
    let bad_in_url = url.replace("http://", "http://bot:wrong-pw@");
    let err = mirror.fetch(&remote(&bad_in_url, "main")).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("http://bot:***@127.0.0.1"), "{text}");
    assert!(!text.contains("wrong-pw"), "{text}");
}

#[test]
fn http_bearer_tokens_are_sent() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let server = GitHttp::start(&origin.root, Require::Bearer("tok-123".into()));
    let url = server.url("origin");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let mut with_token = remote(&url, "main");
    with_token.auth = Some(Auth::Bearer("tok-123".into()));
    assert_eq!(mirror.fetch(&with_token).expect("fetch with bearer").commit, origin.rev_parse("main"));
    with_token.auth = Some(Auth::Bearer("tok-456".into()));
    let err = mirror.fetch(&with_token).unwrap_err();
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("tok-456"));
}

#[test]
fn credentials_are_not_sent_over_plain_http_to_other_hosts() {
    let data = data_dir();
    let url = "http://git.example.invalid/repo.git";
    let mirror = Mirror::open(data.path(), url).expect("open");
    let mut with_auth = remote(url, "main");
    with_auth.auth = Some(Auth::Basic { username: "bot".into(), password: "pw".into() });
    let err = mirror.fetch(&with_auth).unwrap_err();
    assert!(matches!(err, SourceError::InsecureCredentials { .. }), "{err:?}");
}

#[test]
fn a_moved_repository_is_followed_through_its_redirect() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let server = GitHttp::start(&origin.root, Require::Nothing);
    let url = server.url("moved/origin");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let revision = mirror.fetch(&remote(&url, "main")).expect("fetch through a redirect");
    assert_eq!(revision.commit, origin.rev_parse("main"));

    // With credentials set, the redirect is not followed (they would go to another URL), and the error says so.
    let mut with_auth = remote(&url, "main");
    with_auth.auth = Some(Auth::Basic { username: "bot".into(), password: "s3cret-pw".into() });
    let err = mirror.fetch(&with_auth).unwrap_err();
    assert!(err.to_string().contains("use the repository's final URL"), "{err}");
    assert!(!format!("{err} {err:?}").contains("s3cret-pw"), "{err:?}");
}

#[test]
fn a_missing_http_repository_is_a_clear_error() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let server = GitHttp::start(&origin.root, Require::Nothing);
    let url = server.url("no-such-repo");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let err = mirror.fetch(&remote(&url, "main")).unwrap_err();
    assert!(matches!(err, SourceError::RepositoryNotFound { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("no git repository at {url}")), "{err}");
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("http://127.0.0.1:{port}/repo.git");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let err = mirror.fetch(&remote(&url, "main")).unwrap_err();
    assert!(matches!(err, SourceError::Unreachable { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("cannot reach {url}: connection refused"));
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Accept connections and read until the client gives up, never answering.
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { break };
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut stream, &mut std::io::sink());
            });
        }
    });
    let url = format!("http://127.0.0.1:{port}/repo.git");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let mut slow = remote(&url, "main");
    slow.timeout = Duration::from_millis(1500);
    let started = Instant::now();
    let err = mirror.fetch(&slow).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, SourceError::TimedOut { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("from {url} timed out after 1.5s")), "{err}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}
