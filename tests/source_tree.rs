//! A commit's tree as a file system, against real git repositories made with the `git` CLI: symlinks that resolve
//! inside the repository (and those that must not), submodules that stay invisible, and Flux's ignore rules
//! (`.sourceignore`, `spec.ignore`, the default exclusions) applied to what the renderer can see.

use std::path::{Path, PathBuf};
use std::process::Command;

use driftless::source::{
    EntryKind, IgnoreRules, MAX_SYMLINK_HOPS, Mirror, SourceError, SymlinkError, Tree, filter_changed,
};

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

/// A repository with a work tree, committed to with the git CLI. It lives in `<tmp>/origin`, so `<tmp>` is
/// "outside the repository".
struct Origin {
    tmp: tempfile::TempDir,
    path: PathBuf,
}

impl Origin {
    fn new() -> Origin {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("origin");
        std::fs::create_dir(&path).expect("mkdir");
        run(git(&path).args(["init", "-q", "-b", "main"]));
        Origin { tmp, path }
    }

    fn write(&self, file: &str, content: &str) -> &Self {
        let path = self.path.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
        self
    }

    /// A symlink at `link` whose stored target is exactly `target`.
    fn symlink(&self, link: &str, target: &str) -> &Self {
        let path = self.path.join(link);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::os::unix::fs::symlink(target, path).expect("symlink");
        self
    }

    /// Commits everything (ignoring any `.gitignore`) and returns the new commit id.
    fn commit(&self, message: &str) -> String {
        run(git(&self.path).args(["add", "-A", "-f"]));
        run(git(&self.path).args(["commit", "-q", "--allow-empty", "-m", message]));
        run(git(&self.path).args(["rev-parse", "HEAD"]))
    }
}

/// A mirror holding the origin's `main`, and the tree of its tip.
struct Fixture {
    _data: tempfile::TempDir,
    mirror: Mirror,
    tree: Tree,
}

impl Fixture {
    /// Mirrors the origin with the git CLI (this file tests reading trees, not fetching) and opens the tip's tree.
    fn new(origin: &Origin) -> Fixture {
        let data = tempfile::tempdir().expect("temp dir");
        let url = format!("file://{}", origin.path.display());
        let mirror = Mirror::open(data.path(), &url).expect("open mirror");
        let source = origin.path.to_str().expect("utf-8 path");
        run(git(mirror.path()).args(["fetch", "-q", source, "+refs/heads/main:refs/heads/main"]));
        drop(mirror);
        let mirror = Mirror::open(data.path(), &url).expect("reopen mirror");
        let tip = run(git(mirror.path()).args(["rev-parse", "refs/heads/main"]));
        let tree = mirror.tree(&tip).expect("tree");
        Fixture { _data: data, mirror, tree }
    }

    /// The tree with the rules Flux would apply for `spec_ignore`.
    fn ignoring(&self, spec_ignore: Option<&str>) -> Tree {
        let rules = IgnoreRules::for_tree(&self.tree, spec_ignore).expect("ignore rules");
        self.tree.clone().with_ignore(rules)
    }
}

fn entries(list: &[(&str, EntryKind)]) -> Vec<(String, EntryKind)> {
    list.iter().map(|(n, k)| (n.to_string(), *k)).collect()
}

fn names(tree: &Tree, dir: &str) -> Vec<String> {
    tree.list(dir).unwrap_or_else(|e| panic!("list {dir:?}: {e}")).into_iter().map(|(n, _)| n).collect()
}

/// Every path the tree shows, walking `list` from the root: `(path, kind)`, directories before their contents.
fn walk(tree: &Tree) -> Vec<(String, EntryKind)> {
    fn go(tree: &Tree, dir: &str, out: &mut Vec<(String, EntryKind)>) {
        for (name, kind) in tree.list(dir).unwrap_or_else(|e| panic!("list {dir:?}: {e}")) {
            let path = if dir.is_empty() { name } else { format!("{dir}/{name}") };
            out.push((path.clone(), kind));
            if kind == EntryKind::Dir {
                go(tree, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    go(tree, "", &mut out);
    out
}

fn symlink_error(err: SourceError) -> SymlinkError {
    match err {
        SourceError::Symlink(e) => e,
        other => panic!("expected a symlink error, got {other:?}"),
    }
}

const DEPLOY: &str = "kind: Deployment\n";

/// A small GitOps layout.
fn gitops_origin() -> Origin {
    let origin = Origin::new();
    origin
        .write("README.md", "# fleet\n")
        .write("apps/base/kustomization.yaml", "resources:\n- deploy.yaml\n")
        .write("apps/base/deploy.yaml", DEPLOY)
        .write("apps/prod/kustomization.yaml", "resources:\n- ../base\n");
    origin
}

// ---------------------------------------------------------------- symlinks

#[test]
fn symlinked_files_and_directories_inside_the_repository_resolve() {
    let origin = gitops_origin();
    origin
        .symlink("link.yaml", "apps/base/deploy.yaml")
        .symlink("base-link", "apps/base")
        .symlink("apps/prod/base", "../base")
        .symlink("apps/prod/deploy.yaml", "./../base/./deploy.yaml");
    origin.commit("links");
    let fixture = Fixture::new(&origin);
    let tree = &fixture.tree;

    assert_eq!(tree.read("link.yaml").expect("read file link"), DEPLOY.as_bytes());
    assert_eq!(tree.read("base-link/deploy.yaml").expect("read through dir link"), DEPLOY.as_bytes());
    assert_eq!(tree.read("apps/prod/base/deploy.yaml").expect("read through ../ link"), DEPLOY.as_bytes());
    assert_eq!(tree.read("apps/prod/deploy.yaml").expect("read ./ link"), DEPLOY.as_bytes());
    // A path asked for is cleaned lexically first, as kustomize cleans `../base`; only `..` inside a symlink's
    // target climbs from where the link really is.
    assert_eq!(tree.read("base-link/../README.md").expect("lexical .."), b"# fleet\n");
    assert!(matches!(tree.read("base-link/../prod/kustomization.yaml"), Err(SourceError::NotFound { .. })));

    assert_eq!(tree.kind("link.yaml"), Some(EntryKind::File));
    assert_eq!(tree.kind("base-link"), Some(EntryKind::Dir));
    assert_eq!(tree.kind("apps/prod/base"), Some(EntryKind::Dir));
    assert_eq!(tree.kind("base-link/kustomization.yaml"), Some(EntryKind::File));
    assert_eq!(
        tree.list("").expect("list root"),
        entries(&[
            ("README.md", EntryKind::File),
            ("apps", EntryKind::Dir),
            ("base-link", EntryKind::Dir),
            ("link.yaml", EntryKind::File),
        ])
    );
    assert_eq!(tree.list("base-link").expect("list link"), tree.list("apps/base").expect("list target"));
    assert_eq!(
        tree.list("apps/prod").expect("list"),
        entries(
            &[("base", EntryKind::Dir), ("deploy.yaml", EntryKind::File), ("kustomization.yaml", EntryKind::File),]
        )
    );
    assert!(matches!(tree.read("base-link"), Err(SourceError::IsADirectory { .. })));
    assert!(matches!(tree.list("link.yaml"), Err(SourceError::NotADirectory { .. })));

    // Where a path really leads, and through which links: what a read-set must watch.
    let resolved = tree.resolve("apps/prod/base/deploy.yaml").expect("resolve");
    assert_eq!(resolved.path, "apps/base/deploy.yaml");
    assert_eq!(resolved.kind, EntryKind::File);
    assert_eq!(resolved.links, vec!["apps/prod/base".to_string()]);
    assert_eq!(tree.resolve("base-link").expect("resolve").path, "apps/base");
    assert!(tree.resolve("README.md").expect("resolve").links.is_empty());
}

#[test]
fn chains_of_symlinks_resolve_up_to_the_limit() {
    let origin = gitops_origin();
    origin
        .symlink("a", "b")
        .symlink("b", "links/c")
        .symlink("links/c", "../apps/base/deploy.yaml")
        .symlink("links/dir", "../d1")
        .symlink("d1", "apps")
        .write("limit/l0", "end\n");
    // `limit/l40` → `l39` → … → `l0`: 40 links, the most one resolution may follow; `l41` is one too many.
    for i in 1..=MAX_SYMLINK_HOPS + 1 {
        origin.symlink(&format!("limit/l{i}"), &format!("l{}", i - 1));
    }
    origin.commit("chains");
    let fixture = Fixture::new(&origin);
    let tree = &fixture.tree;

    assert_eq!(tree.read("a").expect("read chain"), DEPLOY.as_bytes());
    assert_eq!(tree.read("links/dir/base/deploy.yaml").expect("read dir chain"), DEPLOY.as_bytes());
    assert_eq!(tree.kind("links/dir"), Some(EntryKind::Dir));
    assert_eq!(tree.resolve("a").expect("resolve").links, vec!["a", "b", "links/c"]);

    assert_eq!(tree.read(&format!("limit/l{MAX_SYMLINK_HOPS}")).expect("40 links"), b"end\n");
    let err = tree.read(&format!("limit/l{}", MAX_SYMLINK_HOPS + 1)).unwrap_err();
    assert!(matches!(symlink_error(err.clone()), SymlinkError::Loop { .. }), "{err:?}");
    assert!(err.to_string().contains("too many levels of symlinks"), "{err}");
}

#[test]
fn a_symlink_loop_is_an_error_but_does_not_hide_its_directory() {
    let origin = gitops_origin();
    origin.symlink("loops/a", "b").symlink("loops/b", "a").symlink("loops/self", "self").write("loops/ok.yaml", "ok\n");
    origin.commit("loops");
    let fixture = Fixture::new(&origin);
    let tree = &fixture.tree;

    for path in ["loops/a", "loops/b", "loops/self", "loops/a/x.yaml"] {
        let err = tree.read(path).unwrap_err();
        let SymlinkError::Loop { path: looping, .. } = symlink_error(err.clone()) else { panic!("{err:?}") };
        assert_eq!(looping, path);
        assert!(err.to_string().contains(&format!("resolving {path:?}")), "{err}");
        assert!(err.to_string().contains("loop"), "{err}");
    }
    assert!(matches!(tree.list("loops/a"), Err(SourceError::Symlink(SymlinkError::Loop { .. }))));
    // Listing the directory works; the broken links show as files, so that reading them reports the loop.
    assert_eq!(
        tree.list("loops").expect("list"),
        entries(&[
            ("a", EntryKind::File),
            ("b", EntryKind::File),
            ("ok.yaml", EntryKind::File),
            ("self", EntryKind::File),
        ])
    );
    assert_eq!(tree.kind("loops/a"), Some(EntryKind::File));
    assert_eq!(tree.kind("loops/a/x.yaml"), None);
    assert_eq!(tree.read("loops/ok.yaml").expect("read"), b"ok\n");
}

#[test]
fn symlinks_that_leave_the_repository_are_errors_naming_the_link_and_are_never_read() {
    let origin = gitops_origin();
    // A real file just outside the repository, where the escaping links would land in a checkout.
    std::fs::write(origin.tmp.path().join("secret"), "password\n").expect("write outside");
    origin
        .symlink("leak", "../secret")
        .symlink("deep/leak", "../../secret")
        .symlink("abs", "/etc/passwd")
        .symlink("abs-dir", "/etc")
        .symlink("up", "..")
        .symlink("around", "../origin/README.md")
        .symlink("hop", "deep/leak")
        .symlink("dir/inner", "../../origin/apps");
    origin.commit("escapes");
    let fixture = Fixture::new(&origin);
    let tree = &fixture.tree;

    let cases = [
        ("leak", "leak", "../secret"),
        ("deep/leak", "deep/leak", "../../secret"),
        ("abs", "abs", "/etc/passwd"),
        ("abs-dir/passwd", "abs-dir", "/etc"),
        ("up/origin/README.md", "up", ".."),
        // Out and back in is still out: the repository's directory name is not part of the repository.
        ("around", "around", "../origin/README.md"),
        // Through a chain: the link that leaves is named.
        ("hop", "deep/leak", "../../secret"),
        ("dir/inner/base/deploy.yaml", "dir/inner", "../../origin/apps"),
    ];
    for (path, link, target) in cases {
        let err = tree.read(path).unwrap_err();
        let message = err.to_string();
        match symlink_error(err) {
            SymlinkError::Escapes { link: l, target: t, .. } => assert_eq!((l.as_str(), t.as_str()), (link, target)),
            other => panic!("{path}: {other:?}"),
        }
        assert!(message.contains(&format!("symlink {link:?}")), "{message}");
        assert!(message.contains(&format!("points to {target:?}, outside the repository")), "{message}");
        assert!(!message.contains("password"), "{message}");
        assert!(matches!(tree.resolve(path), Err(SourceError::Symlink(SymlinkError::Escapes { .. }))), "{path}");
    }
    assert!(matches!(tree.list("up"), Err(SourceError::Symlink(SymlinkError::Escapes { .. }))));
    assert!(matches!(tree.list("abs-dir"), Err(SourceError::Symlink(SymlinkError::Escapes { .. }))));
    // The root still lists; escaping links show as files whose reading fails.
    let root = tree.list("").expect("list root");
    for link in ["leak", "abs", "abs-dir", "up", "around", "hop"] {
        assert!(root.contains(&(link.to_string(), EntryKind::File)), "{link} in {root:?}");
        assert_eq!(tree.kind(link), Some(EntryKind::File), "{link}");
    }
    assert_eq!(tree.kind("up/origin"), None);
}

#[test]
fn a_dangling_symlink_is_listed_and_fails_clearly_on_read() {
    let origin = gitops_origin();
    origin.symlink("gone.yaml", "apps/missing.yaml").symlink("through", "README.md/x");
    origin.commit("dangling");
    let fixture = Fixture::new(&origin);
    let tree = &fixture.tree;

    let err = tree.read("gone.yaml").unwrap_err();
    assert!(err.to_string().contains("symlink \"gone.yaml\""), "{err}");
    assert!(err.to_string().contains("\"apps/missing.yaml\", which does not exist"), "{err}");
    assert!(matches!(symlink_error(err), SymlinkError::Dangling { .. }));
    assert_eq!(tree.kind("gone.yaml"), Some(EntryKind::File));
    assert!(tree.list("").expect("list").contains(&("gone.yaml".to_string(), EntryKind::File)));
    assert!(matches!(tree.read("through"), Err(SourceError::NotADirectory { .. })));
    // A missing path below a good directory link is simply not found.
    origin.symlink("base", "apps/base");
    origin.commit("base link");
    let fixture = Fixture::new(&origin);
    let tree = &fixture.tree;
    assert!(matches!(tree.read("base/nope.yaml"), Err(SourceError::NotFound { .. })));
}

// ---------------------------------------------------------------- submodules

#[test]
fn submodules_are_invisible() {
    let sub = Origin::new();
    sub.write("inner.yaml", "x: 1\n");
    let sub_commit = sub.commit("sub");
    let origin = gitops_origin();
    let sub_path = sub.path.to_str().expect("utf-8 path");
    run(git(&origin.path).args(["-c", "protocol.file.allow=always", "submodule", "add", "-q", sub_path, "vendor/sub"]));
    origin.symlink("to-sub", "vendor/sub/inner.yaml");
    run(git(&origin.path).args(["add", "-A"]));
    // A gitlink without any .gitmodules entry (and no directory in the work tree), as some tools leave them.
    let cacheinfo = format!("160000,{sub_commit},bare-gitlink");
    run(git(&origin.path).args(["update-index", "--add", "--cacheinfo", &cacheinfo]));
    run(git(&origin.path).args(["commit", "-q", "-m", "submodules"]));
    let fixture = Fixture::new(&origin);
    let tree = &fixture.tree;

    assert_eq!(names(tree, ""), vec![".gitmodules", "README.md", "apps", "to-sub", "vendor"]);
    assert_eq!(names(tree, "vendor"), Vec::<String>::new());
    for path in ["vendor/sub", "vendor/sub/inner.yaml", "bare-gitlink"] {
        assert!(matches!(tree.read(path), Err(SourceError::NotFound { .. })), "{path}");
        assert!(matches!(tree.list(path), Err(SourceError::NotFound { .. })), "{path}");
        assert_eq!(tree.kind(path), None, "{path}");
    }
    assert!(matches!(tree.read("to-sub"), Err(SourceError::Symlink(SymlinkError::Dangling { .. }))));
    // With Flux's default rules, .gitmodules is gone too.
    assert_eq!(names(&fixture.ignoring(None), ""), vec!["README.md", "apps", "to-sub", "vendor"]);
}

// ---------------------------------------------------------------- ignore rules

/// A repository with something for each of Flux's default exclusions.
fn noisy_origin() -> Origin {
    let origin = gitops_origin();
    origin
        .write(".github/workflows/ci.yaml", "on: push\n")
        .write(".gitignore", "")
        .write(".gitlab-ci.yml", "stages: []\n")
        .write("logo.png", "png")
        .write("docs/diagram.jpg", "jpg")
        .write("docs/guide.md", "# guide\n")
        .write("dist/release.tar.gz", "tgz")
        .write("apps/base/.sops.yaml", "creation_rules: []\n")
        .write("notes.txt", "notes\n");
    origin
}

#[test]
fn flux_default_exclusions_hide_vcs_ci_and_binary_files() {
    let origin = noisy_origin();
    origin.commit("noisy");
    let fixture = Fixture::new(&origin);
    let tree = fixture.ignoring(None);
    assert!(tree.ignore_rules().expect("rules").uses_defaults());

    assert_eq!(names(&tree, ""), vec!["README.md", "apps", "dist", "docs", "notes.txt"]);
    assert_eq!(names(&tree, "docs"), vec!["guide.md"]);
    // An excluded file's directory stays, empty, as in Flux's artifact.
    assert_eq!(names(&tree, "dist"), Vec::<String>::new());
    assert_eq!(names(&tree, "apps/base"), vec!["deploy.yaml", "kustomization.yaml"]);
    for path in [".github", ".github/workflows/ci.yaml", ".gitignore", "logo.png", "apps/base/.sops.yaml"] {
        assert_eq!(tree.kind(path), None, "{path}");
        let err = tree.read(path).unwrap_err();
        assert!(matches!(err, SourceError::NotFound { .. }), "{path}: {err:?}");
    }
    assert!(matches!(tree.list(".github"), Err(SourceError::NotFound { .. })));
    // The tree without rules still has everything.
    assert_eq!(fixture.tree.read("logo.png").expect("raw read"), b"png");
    assert_eq!(tree.without_ignore().kind(".github"), Some(EntryKind::Dir));
}

#[test]
fn sourceignore_files_apply_below_their_directory_and_replace_the_defaults() {
    let origin = noisy_origin();
    origin
        .write(".sourceignore", "# root rules\n*.txt\n!keep.txt\n/README.md\n")
        .write("apps/.sourceignore", "local.yaml\n!notes.txt\n")
        .write("apps/notes.txt", "apps notes\n")
        .write("apps/local.yaml", "local\n")
        .write("local.yaml", "root local\n")
        .write("docs/keep.txt", "kept\n")
        .write("docs/README.md", "# docs\n");
    origin.commit("sourceignore");
    let fixture = Fixture::new(&origin);
    let tree = fixture.ignoring(None);
    let rules = tree.ignore_rules().expect("rules");
    assert!(!rules.uses_defaults());

    // Root rules.
    assert_eq!(tree.kind("notes.txt"), None);
    assert_eq!(tree.read("docs/keep.txt").expect("re-included"), b"kept\n");
    assert_eq!(tree.kind("README.md"), None, "anchored to the root");
    assert_eq!(tree.kind("docs/README.md"), Some(EntryKind::File));
    // The subdirectory's rules apply below it only, and take precedence over the root's there.
    assert_eq!(tree.read("apps/notes.txt").expect("re-included by apps/.sourceignore"), b"apps notes\n");
    assert_eq!(tree.kind("apps/local.yaml"), None);
    assert_eq!(tree.kind("local.yaml"), Some(EntryKind::File));
    // Any .sourceignore pattern replaces Flux's defaults; the VCS exclusions stay.
    assert_eq!(tree.kind("logo.png"), Some(EntryKind::File));
    assert_eq!(tree.kind(".github/workflows/ci.yaml"), Some(EntryKind::File));
    assert_eq!(tree.kind("apps/base/.sops.yaml"), Some(EntryKind::File));
    assert_eq!(tree.kind(".gitignore"), None);
    // The ignore files themselves are part of the artifact, as in Flux.
    assert_eq!(tree.kind(".sourceignore"), Some(EntryKind::File));
    assert!(rules.patterns().contains(&"/apps: !notes.txt".to_string()), "{:?}", rules.patterns());
}

#[test]
fn spec_ignore_replaces_the_defaults_and_overrules_sourceignore() {
    let origin = noisy_origin();
    origin.commit("noisy");
    let fixture = Fixture::new(&origin);
    // Any spec.ignore pattern replaces the defaults: appending to them has to be spelled out.
    let tree = fixture.ignoring(Some("notes.txt\n"));
    assert!(!tree.ignore_rules().expect("rules").uses_defaults());
    assert_eq!(tree.kind("notes.txt"), None);
    assert_eq!(tree.kind("logo.png"), Some(EntryKind::File));
    assert_eq!(tree.kind(".github"), Some(EntryKind::Dir));
    assert_eq!(tree.kind(".gitignore"), None, "the VCS exclusions stay");
    // A spec with nothing but comments and blank lines has no pattern: the defaults stay.
    let tree = fixture.ignoring(Some("# nothing to see\n\n  \n"));
    assert!(tree.ignore_rules().expect("rules").uses_defaults());
    assert_eq!(tree.kind("logo.png"), None);

    origin
        .write(".sourceignore", "!*.md\n")
        .write("deploy/app/k.yaml", "kind: ConfigMap\n")
        .write("deploy/app/notes.md", "notes\n")
        .write("deploy/readme.txt", "text\n");
    origin.commit("deploy");
    let fixture = Fixture::new(&origin);
    // The example from Flux's GitRepository documentation.
    let spec = "# exclude all\n/*\n# include deploy dir\n!/deploy\n# exclude file extensions from deploy dir\n\
                /deploy/**/*.md\n/deploy/**/*.txt\n";
    let tree = fixture.ignoring(Some(spec));
    assert_eq!(
        walk(&tree),
        entries(&[("deploy", EntryKind::Dir), ("deploy/app", EntryKind::Dir), ("deploy/app/k.yaml", EntryKind::File)])
    );
    // spec.ignore outranks the .sourceignore's `!*.md`, which outranks nothing else here.
    assert_eq!(tree.kind("docs/guide.md"), None);
    assert_eq!(fixture.ignoring(None).kind("docs/guide.md"), Some(EntryKind::File));
}

#[test]
fn negation_reincludes_files_below_an_ignored_directory_as_flux_does() {
    let origin = gitops_origin();
    origin.write("deploy/app.yaml", "app\n").write("deploy/other.yaml", "other\n").write("deploy/sub/x.yaml", "x\n");
    origin.commit("deploy");
    let fixture = Fixture::new(&origin);

    let tree = fixture.ignoring(Some("deploy/\n!deploy/app.yaml\n"));
    let rules = tree.ignore_rules().expect("rules").clone();
    assert!(rules.is_ignored("deploy", true));
    assert_eq!(tree.kind("deploy"), Some(EntryKind::Dir));
    assert_eq!(tree.list("deploy").expect("list"), entries(&[("app.yaml", EntryKind::File)]));
    assert_eq!(tree.read("deploy/app.yaml").expect("read"), b"app\n");
    assert_eq!(tree.kind("deploy/other.yaml"), None);
    assert!(matches!(tree.list("deploy/sub"), Err(SourceError::NotFound { .. })));
    assert!(names(&tree, "").contains(&"deploy".to_string()));

    // Without a `!` pattern that could apply, an ignored directory is simply gone.
    let tree = fixture.ignoring(Some("deploy/\n!apps/x.yaml\n"));
    assert_eq!(tree.kind("deploy"), None);
    assert!(!names(&tree, "").contains(&"deploy".to_string()));
}

#[test]
fn ignore_rules_apply_to_symlinks_and_to_what_they_point_at() {
    let origin = gitops_origin();
    origin
        .write("secrets/key.yaml", "key\n")
        .symlink("apps/keys", "../secrets")
        .symlink("apps/key.yaml", "../secrets/key.yaml")
        .symlink("picture", "apps/base/deploy.yaml")
        .symlink("escape.png", "../outside");
    origin.commit("links and ignores");
    let fixture = Fixture::new(&origin);
    let tree = fixture.ignoring(Some("secrets/\npicture\n*.png\n"));

    assert_eq!(tree.kind("apps/keys"), None);
    assert!(matches!(tree.read("apps/key.yaml"), Err(SourceError::NotFound { .. })));
    assert!(matches!(tree.read("apps/keys/key.yaml"), Err(SourceError::NotFound { .. })));
    assert_eq!(tree.kind("picture"), None, "the link's own path is ignored");
    // An ignored broken link is just absent.
    assert!(matches!(tree.read("escape.png"), Err(SourceError::NotFound { .. })));
    assert_eq!(names(&tree, ""), vec!["README.md", "apps"]);
    assert_eq!(names(&tree, "apps"), vec!["base", "prod"]);
}

#[test]
fn a_sourceignore_symlink_is_followed_inside_the_repository_only() {
    let origin = gitops_origin();
    origin
        .write("shared/ignore", "*.md\n")
        .symlink(".sourceignore", "shared/ignore")
        .symlink("apps/.sourceignore", "nope");
    origin.commit("linked ignore file");
    let fixture = Fixture::new(&origin);
    assert_eq!(fixture.ignoring(None).kind("README.md"), None);

    std::fs::remove_file(origin.path.join(".sourceignore")).expect("rm");
    origin.symlink(".sourceignore", "../outside-ignore");
    origin.commit("escaping ignore file");
    let fixture = Fixture::new(&origin);
    let err = IgnoreRules::for_tree(&fixture.tree, None).unwrap_err();
    assert!(err.to_string().contains("symlink \".sourceignore\""), "{err}");
}

#[test]
fn with_ignore_never_shows_what_is_ignored_and_hides_nothing_else() {
    let origin = noisy_origin();
    origin
        .write("deploy/app/k.yaml", "k\n")
        .write("deploy/app/notes.md", "n\n")
        .write("deploy/keep.yaml", "keep\n")
        .write("deploy/build/out.yaml", "out\n")
        .write("a/b/c/x.yaml", "x\n")
        .write("a/x.yaml", "x\n")
        .write("apps/.sourceignore", "*.yaml\n!kustomization.yaml\n")
        .write("apps/prod/.sourceignore", "!*.yaml\n");
    origin.commit("many paths");
    let fixture = Fixture::new(&origin);
    let all_files: Vec<String> =
        walk(&fixture.tree).into_iter().filter(|(_, k)| *k == EntryKind::File).map(|(p, _)| p).collect();

    let patterns: Vec<&str> =
        "*.yaml !keep.yaml deploy/ /deploy !/deploy /* **/x.yaml a/**/b a/** !a/ build/ *.md !*.md \
                               [ab] !deploy/app/ deploy/** * !*/ docs/* .github/ !.gitignore a/*/x.yaml"
            .split_whitespace()
            .collect();
    // A deterministic walk through many combinations (xorshift), so a failure is reproducible.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..120 {
        let count = next() % 5;
        let spec: Vec<&str> = (0..count).map(|_| patterns[(next() % patterns.len() as u64) as usize]).collect();
        let spec = spec.join("\n");
        let spec = (round % 4 != 0).then_some(spec.as_str());
        let tree = fixture.ignoring(spec);
        let rules = tree.ignore_rules().expect("rules").clone();
        let shown = walk(&tree);
        for (path, kind) in &shown {
            match kind {
                EntryKind::File => {
                    assert!(!rules.is_ignored(path, false), "spec {spec:?}: listed ignored file {path}");
                    assert!(tree.read(path).is_ok(), "spec {spec:?}: cannot read listed {path}");
                }
                // A directory is shown when it is not ignored, or when something below it is shown.
                EntryKind::Dir => assert!(
                    !rules.is_ignored(path, true) || !tree.list(path).expect("list").is_empty(),
                    "spec {spec:?}: listed ignored, empty directory {path}"
                ),
            }
        }
        // Nothing that is not ignored goes missing.
        for file in &all_files {
            let visible = shown.iter().any(|(p, _)| p == file);
            assert_eq!(visible, !rules.is_ignored(file, false), "spec {spec:?}: {file}");
            assert_eq!(tree.kind(file).is_some(), visible, "spec {spec:?}: kind of {file}");
        }
    }
}

#[test]
fn changed_paths_can_drop_ignored_files_and_rule_changes_are_detectable() {
    let origin = noisy_origin();
    let before = origin.commit("before");
    origin
        .write("logo.png", "new png")
        .write(".github/workflows/ci.yaml", "on: pull_request\n")
        .write("apps/base/deploy.yaml", "kind: Deployment\nreplicas: 2\n");
    let after = origin.commit("after");
    let fixture = Fixture::new(&origin);
    let changed = fixture.mirror.changed_paths(&before, &after).expect("changed paths");
    assert_eq!(changed.len(), 3, "{changed:?}");
    let rules = IgnoreRules::for_tree(&fixture.tree, None).expect("rules");
    assert_eq!(filter_changed(changed, &rules), vec!["apps/base/deploy.yaml".to_string()]);

    // A .sourceignore change changes the rules: compare them to know that filtering is not enough.
    origin.write(".sourceignore", "*.md\n");
    let third = origin.commit("sourceignore");
    let fixture = Fixture::new(&origin);
    let old = IgnoreRules::for_tree(&fixture.mirror.tree(&after).expect("tree"), None).expect("rules");
    let new = IgnoreRules::for_tree(&fixture.mirror.tree(&third).expect("tree"), None).expect("rules");
    assert_ne!(old, new);
    assert_eq!(old, rules);
}
