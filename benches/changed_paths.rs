//! `Mirror::changed_paths` across a tree of 10,000 files (100 directories of 100 files), with one file changed
//! and with 100 files changed (one in each directory, the worst case for a tree diff). Target: < 10 ms.
//!
//! The repository is generated with `git fast-import` at start and fetched into a mirror; the `git` CLI must be
//! installed. `git diff-tree` on the same mirror is measured in the same run as the reference.
//! Run with `cargo bench --bench changed_paths`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};
use driftless::source::{Credentials, Mirror, Reference, Remote};

const DIRS: usize = 100;
const FILES_PER_DIR: usize = 100;

fn path_of(dir: usize, file: usize) -> String {
    format!("apps/app-{dir:03}/manifest-{file:03}.yaml")
}

/// Appends a fast-import `commit` to `out` that sets `files` (path, content) on `refs/heads/main`.
fn commit(out: &mut String, n: usize, files: &[(String, String)]) {
    out.push_str(&format!("commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\n", 1_700_000_000 + n));
    let message = format!("commit {n}");
    out.push_str(&format!("data {}\n{message}\n", message.len()));
    for (path, content) in files {
        out.push_str(&format!("M 100644 inline {path}\ndata {}\n{content}\n", content.len()));
    }
    out.push_str(&format!("reset refs/tags/c{n}\nfrom refs/heads/main\n\n"));
}

/// Creates the origin: `c0` with 10,000 files, `c1` with one changed, `c2` with 100 changed.
fn generate(origin: &Path) {
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .current_dir(origin)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q", "--bare", "-b", "main"]);
    let mut stream = String::new();
    let all: Vec<(String, String)> = (0..DIRS * FILES_PER_DIR)
        .map(|i| {
            let (dir, file) = (i / FILES_PER_DIR, i % FILES_PER_DIR);
            (path_of(dir, file), format!("kind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  value: \"{i}\"\n"))
        })
        .collect();
    commit(&mut stream, 0, &all);
    commit(&mut stream, 1, &[(path_of(42, 7), "kind: ConfigMap\n# changed\n".to_string())]);
    let hundred: Vec<(String, String)> =
        (0..DIRS).map(|dir| (path_of(dir, dir % FILES_PER_DIR), format!("# changed {dir}\n"))).collect();
    commit(&mut stream, 2, &hundred);
    let mut child = Command::new("git")
        .current_dir(origin)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    child.stdin.take().expect("stdin").write_all(stream.as_bytes()).expect("write the stream");
    assert!(child.wait().expect("fast-import ends").success());
}

fn changed_paths(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let origin = tmp.path().join("origin.git");
    std::fs::create_dir(&origin).expect("mkdir");
    generate(&origin);
    let url = format!("file://{}", origin.display());
    let mirror = Mirror::open(&tmp.path().join("data"), &url).expect("open the mirror");
    let mut commits = Vec::new();
    for tag in ["c0", "c1", "c2"] {
        let remote = Remote {
            url: url.clone(),
            reference: Reference::Tag(tag.to_string()),
            timeout: std::time::Duration::from_secs(120),
            credentials: Credentials::default(),
            expect: None,
        };
        commits.push(mirror.fetch(&remote).expect("fetch").revision.commit);
    }
    let (base, one, hundred) = (&commits[0], &commits[1], &commits[2]);
    assert_eq!(mirror.changed_paths(base, one).expect("diff").len(), 1);
    assert_eq!(mirror.changed_paths(one, hundred).expect("diff").len(), 100);

    let mut group = c.benchmark_group("changed_paths/10000 files");
    group.bench_function("1 changed", |b| b.iter(|| mirror.changed_paths(base, one).expect("diff")));
    group.bench_function("100 changed", |b| b.iter(|| mirror.changed_paths(one, hundred).expect("diff")));
    group.bench_function("unchanged", |b| b.iter(|| mirror.changed_paths(one, one).expect("diff")));
    // The reference, in the same run: `git diff-tree` on the same mirror (a process per call, as a script would).
    for (name, from, to) in [("git diff-tree, 1 changed", base, one), ("git diff-tree, 100 changed", one, hundred)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = Command::new("git")
                    .current_dir(mirror.path())
                    .env("GIT_CONFIG_GLOBAL", "/dev/null")
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .args(["diff-tree", "-r", "--name-only", "--no-renames", from, to])
                    .output()
                    .expect("git runs");
                assert!(out.status.success());
                out.stdout
            })
        });
    }
    group.finish();
}

criterion_group!(benches, changed_paths);
criterion_main!(benches);
