//! The source stage against real git: fixture repositories made with the `git` CLI, fetched over `file://` and
//! over smart HTTP (`git http-backend` behind a small HTTP front on 127.0.0.1): transports, credentials, trees,
//! changed paths, and how mirrors behave (coalescing, retries, corruption, compaction, replication lag).
//! Every kind of `spec.ref` is in `source_refs.rs`.

mod source_support;

use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use driftless::source::{Credentials, EntryKind, Mirror, Revision, SourceError};
use source_support::*;

fn basic(username: &str, password: &str) -> Credentials {
    Credentials { username: Some(username.into()), password: Some(password.into()), ..Credentials::default() }
}

fn bearer(token: &str) -> Credentials {
    Credentials { bearer_token: Some(token.into()), ..Credentials::default() }
}

fn fetch(mirror: &Mirror, url: &str, branch_name: &str) -> Result<Revision, SourceError> {
    mirror.fetch(&branch(url, branch_name)).map(|fetched| {
        assert_eq!(fetched.warning, None, "unexpected warning");
        fetched.revision
    })
}

// ---------------------------------------------------------------- file://

#[test]
fn fetch_returns_the_branch_tip_as_a_flux_revision() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");

    let revision = fetch(&mirror, &origin.url(), "main").expect("fetch");

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
    let revision = fetch(&mirror, &origin.url(), "main").expect("fetch");
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
    let revision = fetch(&mirror, &origin.url(), "main").expect("fetch");
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
    let revision = fetch(&mirror, &origin.url(), "main").expect("fetch");
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
fn a_refetch_after_a_push_returns_the_new_commit() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let first = fetch(&mirror, &origin.url(), "main").expect("fetch");

    // Nothing new: the same revision again.
    assert_eq!(fetch(&mirror, &origin.url(), "main").expect("refetch"), first);

    origin.write("apps/base/deploy.yaml", "kind: Deployment\nreplicas: 3\n");
    let second_commit = origin.commit("scale");
    let second = fetch(&mirror, &origin.url(), "main").expect("fetch after push");
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
    // which a long-lived mirror must not run out of; and past COMPACT_PACK_LIMIT packs the mirror compacts itself
    // in the background, keeping the tracked tip and the pinned commits (here: the previous tip, as the
    // reconciler pins its last applied revision).
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let mut previous = fetch(&mirror, &origin.url(), "main").expect("fetch");
    let first_tree = mirror.tree(&previous.commit).expect("tree");
    let mut most_packs = 0;
    for i in 0..100 {
        mirror.keep(std::slice::from_ref(&previous.commit)).expect("keep");
        origin.write("counter.txt", &format!("{i}\n"));
        let commit = origin.commit(&format!("count {i}"));
        let revision = fetch(&mirror, &origin.url(), "main").unwrap_or_else(|e| panic!("fetch {i}: {e}"));
        assert_eq!(revision.commit, commit);
        let tree = mirror.tree(&revision.commit).expect("tree");
        assert_eq!(tree.read("counter.txt").expect("read"), format!("{i}\n").as_bytes());
        assert_eq!(mirror.changed_paths(&previous.commit, &revision.commit).expect("diff"), vec!["counter.txt"]);
        most_packs = most_packs.max(packs(mirror.path()).len());
        previous = revision;
    }
    // A tree taken before all that still reads what the tip still has.
    assert_eq!(first_tree.read("README.md").expect("read"), b"# fleet\n");
    // Disk stays bounded: compaction kept the pack count low.
    assert!(most_packs <= driftless::source::COMPACT_PACK_LIMIT + 2, "{most_packs} packs");
    // The mirror is a repository git itself accepts.
    run(git(mirror.path()).args(["fsck", "--no-dangling", "--connectivity-only"]));
}

#[test]
fn a_force_push_moves_the_revision_to_the_new_tip() {
    let origin = gitops_origin();
    origin.write("a.txt", "a\n");
    let ahead = origin.commit("ahead");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    assert_eq!(fetch(&mirror, &origin.url(), "main").expect("fetch").commit, ahead);

    run(git(&origin.path).args(["reset", "-q", "--hard", "HEAD~1"]));
    origin.write("b.txt", "b\n");
    let rewritten = origin.commit("rewritten");
    let revision = fetch(&mirror, &origin.url(), "main").expect("fetch");
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

    let main = fetch(&mirror, &origin.url(), "main").expect("fetch main");
    assert_eq!(main.commit, origin.rev_parse("main"));
    let refs = run(git(mirror.path()).args(["for-each-ref", "--format=%(refname)"]));
    assert_eq!(refs, "refs/heads/main");
    assert!(matches!(mirror.tree(&feature).unwrap_err(), SourceError::CommitNotFound { .. }));

    let revision = fetch(&mirror, &origin.url(), "feature").expect("fetch feature");
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
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    fetch(&mirror, &origin.url(), "main").expect("fetch");
    origin
        .write("modify.yaml", "v2\n")
        .remove("delete.yaml")
        .write("dir/sub/deep.yaml", "v2\n")
        .write("dir/new/added.yaml", "new\n")
        .write("added.yaml", "new\n");
    std::fs::rename(origin.path.join("old-name.yaml"), origin.path.join("new-name.yaml")).expect("rename");
    let to = origin.commit("two");
    fetch(&mirror, &origin.url(), "main").expect("fetch");

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
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    fetch(&mirror, &origin.url(), "main").expect("fetch");
    std::fs::remove_dir_all(origin.path.join("base")).expect("rm");
    origin.write("overlay/c.yaml", "c\n").write("base", "now a file\n");
    let to = origin.commit("two");
    fetch(&mirror, &origin.url(), "main").expect("fetch");

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
    let err = fetch(&mirror, &origin.url(), "nope").unwrap_err();
    assert!(matches!(err, SourceError::BranchNotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("branch \"nope\" not found in {}: check spec.ref.branch, or push the branch", origin.url())
    );
    let err = fetch(&mirror, &origin.url(), "bad..name").unwrap_err();
    assert!(matches!(err, SourceError::InvalidRef { .. }), "{err:?}");
}

#[test]
fn a_missing_repository_is_a_clear_error() {
    let data = data_dir();
    let url = format!("file://{}/does/not/exist", data.path().display());
    let mirror = Mirror::open(data.path(), &url).expect("opening the mirror needs no remote");
    let err = fetch(&mirror, &url, "main").unwrap_err();
    assert!(matches!(err, SourceError::RepositoryNotFound { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("no git repository at {url}")), "{err}");

    // A directory that is not a repository.
    let plain = tempfile::tempdir().expect("dir");
    let url = format!("file://{}", plain.path().display());
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let err = fetch(&mirror, &url, "main").unwrap_err();
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
    fetch(&mirror, &origin.url(), "main").expect("fetch");
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
    let err = fetch(&mirror, &other.url(), "main").unwrap_err();
    assert!(matches!(err, SourceError::WrongMirror { .. }), "{err:?}");
}

// ---------------------------------------------------------------- http://

#[test]
fn fetches_over_http() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let server = GitHttp::start(&origin.root, Require::Nothing);
    let url = server.url("origin");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");

    let revision = fetch(&mirror, &url, "main").expect("fetch over http");
    assert_eq!(revision.to_string(), format!("main@sha1:{}", origin.rev_parse("main")));
    let tree = mirror.tree(&revision.commit).expect("tree");
    assert_eq!(tree.read("apps/base/deploy.yaml").expect("read"), b"kind: Deployment\n");

    origin.write("apps/base/deploy.yaml", "kind: Deployment\nreplicas: 2\n");
    let next = origin.commit("scale");
    let again = fetch(&mirror, &url, "main").expect("incremental fetch over http");
    assert_eq!(again.commit, next);
    assert_eq!(mirror.changed_paths(&revision.commit, &again.commit).expect("diff"), vec!["apps/base/deploy.yaml"]);

    let err = fetch(&mirror, &url, "nope").unwrap_err();
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

    let mut with_auth = branch(&url, "main");
    with_auth.credentials = basic("bot", "s3cret-pw");
    let revision = mirror.fetch(&with_auth).expect("fetch with basic auth").revision;
    assert_eq!(revision.commit, origin.rev_parse("main"));

    let mut wrong = branch(&url, "main");
    wrong.credentials = basic("bot", "wrong-pw");
    let err = mirror.fetch(&wrong).unwrap_err();
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with(&format!("authentication failed for {url}")), "{text}");
    assert!(!text.contains("wrong-pw") && !format!("{err:?}").contains("wrong-pw"), "{text}");

    let err = fetch(&mirror, &url, "main").unwrap_err();
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("none are configured"), "{err}");

    // Credentials written into the URL work too, and never show.
    let in_url = url.replace("http://", "http://bot:s3cret-pw@");
    assert_eq!(fetch(&mirror, &in_url, "main").expect("fetch with URL credentials"), revision);
    let bad_in_url = url.replace("http://", "http://bot:wrong-pw@");
    let err = fetch(&mirror, &bad_in_url, "main").unwrap_err();
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
    let mut with_token = branch(&url, "main");
    with_token.credentials = bearer("tok-123");
    assert_eq!(mirror.fetch(&with_token).expect("fetch with bearer").revision.commit, origin.rev_parse("main"));
    with_token.credentials = bearer("tok-456");
    let err = mirror.fetch(&with_token).unwrap_err();
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("tok-456"));
}

#[test]
fn credentials_are_not_sent_over_plain_http_to_other_hosts() {
    let data = data_dir();
    let url = "http://git.example.invalid/repo.git";
    let mirror = Mirror::open(data.path(), url).expect("open");
    let mut with_auth = branch(url, "main");
    with_auth.credentials = basic("bot", "pw");
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
    let revision = fetch(&mirror, &url, "main").expect("fetch through a redirect");
    assert_eq!(revision.commit, origin.rev_parse("main"));

    // With credentials set, the redirect is not followed (they would go to another URL), and the error says so.
    let mut with_auth = branch(&url, "main");
    with_auth.credentials = basic("bot", "s3cret-pw");
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
    let err = fetch(&mirror, &url, "main").unwrap_err();
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
    let started = Instant::now();
    let err = fetch(&mirror, &url, "main").unwrap_err();
    assert!(matches!(err, SourceError::Unreachable { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("cannot reach {url}: connection refused"));
    // Refused connections are retried briefly (a restarting server), not for the whole timeout.
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
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
    let mut slow = branch(&url, "main");
    slow.timeout = Duration::from_millis(1500);
    let started = Instant::now();
    let err = mirror.fetch(&slow).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, SourceError::TimedOut { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("from {url} timed out after 1.5s")), "{err}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

// ---------------------------------------------------------------- mirrors

#[test]
fn the_first_fetch_is_shallow_and_later_ones_add_only_new_commits() {
    let origin = gitops_origin();
    for i in 0..5 {
        origin.change("counter.txt", &format!("{i}\n"));
    }
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    fetch(&mirror, &origin.url(), "main").expect("fetch");
    assert!(mirror.path().join("shallow").is_file());
    assert_eq!(run(git(mirror.path()).args(["rev-list", "--count", "main"])), "1");

    origin.change("counter.txt", "next\n");
    let tip = origin.change("counter.txt", "last\n");
    assert_eq!(fetch(&mirror, &origin.url(), "main").expect("fetch").commit, tip);
    // The two new commits arrived on top of what the mirror had; nothing older was downloaded.
    assert_eq!(run(git(mirror.path()).args(["rev-list", "--count", "main"])), "3");
    run(git(mirror.path()).args(["fsck", "--no-dangling", "--connectivity-only"]));
}

#[test]
fn concurrent_fetches_of_one_mirror_coalesce() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    // The first fetch is slow: the server holds its first ref advertisement.
    let front = Front { delay_first: Some(Duration::from_millis(800)), ..Front::default() };
    let server = GitHttp::with(&origin.root, front);
    let url = server.url("origin");
    let data = data_dir();
    let mirror = std::sync::Arc::new(Mirror::open(data.path(), &url).expect("open"));

    let spawn = |mirror: &std::sync::Arc<Mirror>| {
        let (mirror, url) = (mirror.clone(), url.clone());
        std::thread::spawn(move || mirror.fetch(&branch(&url, "main")).expect("fetch").revision)
    };
    let first = spawn(&mirror);
    assert!(eventually(Duration::from_secs(10), || server.advertisements.load(Ordering::SeqCst) == 1));
    // Two callers arrive while the first fetch runs: it started before they asked, so they need a fetch of
    // their own, and share it.
    let (second, third) = (spawn(&mirror), spawn(&mirror));
    let revisions = [first.join().expect("first"), second.join().expect("second"), third.join().expect("third")];

    let tip = origin.rev_parse("main");
    assert!(revisions.iter().all(|r| r.commit == tip), "{revisions:?}");
    assert_eq!(server.advertisements.load(Ordering::SeqCst), 2, "one fetch for the first caller, one shared");
}

#[test]
fn a_result_is_never_older_than_the_request() {
    // A caller that asks while a fetch runs does not take that fetch's result: the remote may have moved since
    // that fetch listed its refs.
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let front = Front { delay_first_pack: Some(Duration::from_millis(800)), ..Front::default() };
    let server = GitHttp::with(&origin.root, front);
    let url = server.url("origin");
    let data = data_dir();
    let mirror = std::sync::Arc::new(Mirror::open(data.path(), &url).expect("open"));
    let early = {
        let (mirror, url) = (mirror.clone(), url.clone());
        std::thread::spawn(move || mirror.fetch(&branch(&url, "main")).expect("fetch").revision)
    };
    // The early fetch has listed the refs and waits for its pack when this push lands.
    assert!(eventually(Duration::from_secs(10), || server.advertisements.load(Ordering::SeqCst) == 1));
    std::thread::sleep(Duration::from_millis(200));
    let pushed = origin.change("late.txt", "late\n");
    let late = mirror.fetch(&branch(&url, "main")).expect("fetch").revision;
    let early = early.join().expect("early");
    assert_ne!(early.commit, pushed);
    assert_eq!(late.commit, pushed);
    assert_eq!(server.advertisements.load(Ordering::SeqCst), 2);
}

#[test]
fn a_server_error_is_retried() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let server = GitHttp::start(&origin.root, Require::Nothing);
    let url = server.url("origin");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");

    server.fail_next.store(1, Ordering::SeqCst);
    let revision = fetch(&mirror, &url, "main").expect("fetch after a 503");
    assert_eq!(revision.commit, origin.rev_parse("main"));
    assert_eq!(server.failed.load(Ordering::SeqCst), 1);

    // A server that keeps failing: retried until the timeout, then a clear error.
    server.fail_next.store(usize::MAX, Ordering::SeqCst);
    let mut remote = branch(&url, "main");
    remote.timeout = Duration::from_millis(1500);
    let started = Instant::now();
    let err = mirror.fetch(&remote).unwrap_err();
    assert!(matches!(err, SourceError::ServerError { .. }), "{err:?}");
    assert!(err.to_string().contains("HTTP status 503"), "{err}");
    assert!(server.failed.load(Ordering::SeqCst) > 1, "retried");
    // Bounded by the timeout, not by the server: generous, as CI machines are slow.
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}

#[test]
fn authentication_failures_are_not_retried() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let server = GitHttp::start(&origin.root, Require::Bearer("right".into()));
    let url = server.url("origin");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let mut remote = branch(&url, "main");
    remote.credentials = bearer("wrong");
    let err = mirror.fetch(&remote).unwrap_err();
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    assert_eq!(server.advertisements.load(Ordering::SeqCst), 1, "asked once");
}

/// Fetches `main`, damages the mirror with `damage`, and checks that the next fetch (through a reopened mirror
/// when `reopen`) recovers it and says so.
fn recovers_from(damage: impl FnOnce(&std::path::Path), reopen: bool, said: &str) {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    fetch(&mirror, &origin.url(), "main").expect("fetch");
    let path = mirror.path().to_path_buf();
    damage(&path);
    let mirror = if reopen {
        drop(mirror);
        Mirror::open(data.path(), &origin.url()).expect("reopen a damaged mirror")
    } else {
        mirror
    };
    let tip = origin.change("after.txt", "after\n");
    let fetched = mirror.fetch(&branch(&origin.url(), "main")).expect("fetch recovers");
    assert_eq!(fetched.revision.commit, tip);
    let warning = fetched.warning.expect("a warning says what happened");
    assert!(warning.contains("was damaged") && warning.contains("fetched afresh"), "{warning}");
    assert!(warning.contains(said), "{warning}");
    assert_eq!(mirror.tree(&tip).expect("tree").read("after.txt").expect("read"), b"after\n");
    run(git(&path).args(["fsck", "--no-dangling"]));
    // Nothing is left next to it, and the next fetch has nothing to report.
    let siblings = std::fs::read_dir(path.parent().expect("parent")).expect("list").count();
    assert_eq!(siblings, 1);
    assert_eq!(mirror.fetch(&branch(&origin.url(), "main")).expect("fetch").warning, None);
}

#[test]
fn a_truncated_pack_is_recovered() {
    let truncate = |path: &std::path::Path| {
        for pack in packs(path) {
            let file = std::fs::OpenOptions::new().write(true).open(&pack).expect("open pack");
            let len = file.metadata().expect("metadata").len();
            file.set_len(len / 2).expect("truncate");
        }
    };
    recovers_from(truncate, true, "truncated");
    recovers_from(truncate, false, "truncated");
}

#[test]
fn a_mirror_without_objects_is_recovered() {
    let remove = |path: &std::path::Path| std::fs::remove_dir_all(path.join("objects")).expect("rm");
    recovers_from(remove, true, "objects/");
    recovers_from(remove, false, "objects/");
}

#[test]
fn a_garbage_head_is_recovered() {
    let garble = |path: &std::path::Path| std::fs::write(path.join("HEAD"), "\u{0}garbage").expect("write");
    recovers_from(garble, true, "HEAD");
    recovers_from(garble, false, "HEAD");
}

#[test]
fn a_half_written_mirror_is_recovered() {
    // What a crash while creating the mirror leaves: a directory that is not (yet) a repository.
    let half = |path: &std::path::Path| {
        std::fs::remove_dir_all(path).expect("rm");
        std::fs::create_dir_all(path.join("objects")).expect("mkdir");
        std::fs::write(path.join("config"), "[core]\n").expect("write");
    };
    recovers_from(half, true, "HEAD");
}

#[test]
fn compaction_keeps_pinned_commits_and_drops_the_rest() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let mut commits = vec![fetch(&mirror, &origin.url(), "main").expect("fetch").commit];
    for i in 0..10 {
        origin.change("counter.txt", &format!("{i}\n"));
        commits.push(fetch(&mirror, &origin.url(), "main").expect("fetch").commit);
    }
    let packs_before = packs(mirror.path()).len();
    assert!(packs_before >= 10, "{packs_before}");
    let (pinned, dropped, tip) = (commits[3].clone(), commits[5].clone(), commits[10].clone());
    let old_tree = mirror.tree(&tip).expect("tree before");

    mirror.keep(std::slice::from_ref(&pinned)).expect("keep");
    let done = mirror.compact().expect("compact");
    assert_eq!((done.packs_before, done.packs_after), (packs_before, 1), "{done:?}");
    assert_eq!(packs(mirror.path()).len(), 1);

    // The tracked tip and the pinned commit read; the diff between them works; the rest is gone.
    assert_eq!(mirror.tree(&pinned).expect("pinned").read("counter.txt").expect("read"), b"2\n");
    assert_eq!(mirror.tree(&tip).expect("tip").read("counter.txt").expect("read"), b"9\n");
    assert_eq!(mirror.changed_paths(&pinned, &tip).expect("diff"), vec!["counter.txt"]);
    assert!(matches!(mirror.tree(&dropped).unwrap_err(), SourceError::CommitNotFound { .. }));
    // A tree taken before the compaction still reads.
    assert_eq!(old_tree.read("README.md").expect("read"), b"# fleet\n");
    run(git(mirror.path()).args(["fsck", "--no-dangling", "--connectivity-only"]));
    let siblings = std::fs::read_dir(mirror.path().parent().expect("parent")).expect("list").count();
    assert_eq!(siblings, 1, "no leftovers next to the mirror");

    // Fetching goes on incrementally from the compacted mirror.
    let next = origin.change("counter.txt", "next\n");
    assert_eq!(fetch(&mirror, &origin.url(), "main").expect("fetch").commit, next);
    assert_eq!(mirror.changed_paths(&tip, &next).expect("diff"), vec!["counter.txt"]);
    assert!(matches!(mirror.keep(&["nope".into()]).unwrap_err(), SourceError::InvalidCommit { .. }));
}

#[test]
fn an_announced_commit_that_arrives_late_is_waited_for() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let before = fetch(&mirror, &origin.url(), "main").expect("fetch").commit;
    // The push is announced before the server serves it (a replica catching up).
    let announced = origin.dangling_commit(&before, "announced");
    let publisher = {
        let (path, announced) = (origin.path.clone(), announced.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            run(git(&path).args(["update-ref", "refs/heads/main", &announced]));
        })
    };
    let mut remote = branch(&origin.url(), "main");
    remote.expect = Some(announced.clone());
    let started = Instant::now();
    let fetched = mirror.fetch(&remote).expect("fetch");
    publisher.join().expect("publisher");
    assert_eq!(fetched.revision.commit, announced);
    assert_eq!(fetched.warning, None);
    assert!(started.elapsed() >= Duration::from_millis(450), "{:?}", started.elapsed());

    // A tip that already contains the announced commit is taken at once.
    let newer = origin.change("newer.txt", "newer\n");
    remote.expect = Some(announced);
    let started = Instant::now();
    let fetched = mirror.fetch(&remote).expect("fetch");
    assert_eq!((fetched.revision.commit, fetched.warning), (newer, None));
    assert!(started.elapsed() < Duration::from_millis(400), "{:?}", started.elapsed());
}

#[test]
fn an_announced_commit_that_never_arrives_settles_with_a_warning() {
    let origin = gitops_origin();
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &origin.url()).expect("open");
    let tip = origin.rev_parse("main");
    let never = origin.dangling_commit(&tip, "never published");
    let mut remote = branch(&origin.url(), "main");
    remote.expect = Some(never.clone());
    remote.timeout = Duration::from_secs(2);
    let started = Instant::now();
    let fetched = mirror.fetch(&remote).expect("settles on what the remote serves");
    let took = started.elapsed();
    assert_eq!(fetched.revision.commit, tip);
    let warning = fetched.warning.expect("a warning");
    assert!(warning.contains(&format!("does not contain the announced commit {never}")), "{warning}");
    assert!(warning.contains(&format!("main@sha1:{tip}")), "{warning}");
    assert!(took >= Duration::from_millis(1000) && took < Duration::from_secs(4), "{took:?}");
}
