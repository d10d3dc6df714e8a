//! Affected-path planning on real repositories: commits made with the `git` CLI, fetched into a real `Mirror`,
//! changed paths from the mirror, read-sets from rendering each Kustomization over the commit's tree. Each push
//! runs the cycle the reconciler runs: plan, render the affected Kustomizations (their new read-sets replace the
//! old), and mark the skipped ones as having seen the new revision.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use driftless::plan::{
    Change, Mode, Plan, ReadSetRecord, ReadSets, Reason, Resolved, Target, Unknown, Update, classify, with_links,
};
use driftless::render::fs::{Fs, FsError, Kind};
use driftless::source::{Credentials, EntryKind, Mirror, Reference, Remote, SourceError, Tree};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

// ---------------------------------------------------------------- repositories and trees

/// A repository with a work tree, committed to with the git CLI.
struct Origin {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Origin {
    fn new(files: &[(&str, &str)]) -> Origin {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("origin");
        std::fs::create_dir(&path).expect("mkdir");
        git(&path, &["init", "-q", "-b", "main"]);
        let origin = Origin { _tmp: tmp, path };
        for (file, text) in files {
            origin.write(file, text);
        }
        origin.commit("initial");
        origin
    }

    fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }

    fn write(&self, file: &str, text: &str) {
        let path = self.path.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn remove(&self, file: &str) {
        std::fs::remove_file(self.path.join(file)).expect("remove");
    }

    fn symlink(&self, link: &str, target: &str) {
        std::os::unix::fs::symlink(target, self.path.join(link)).expect("symlink");
    }

    fn commit(&self, message: &str) -> String {
        git(&self.path, &["add", "-A"]);
        git(&self.path, &["commit", "-q", "--allow-empty", "-m", message]);
        git(&self.path, &["rev-parse", "HEAD"])
    }
}

/// A commit's tree as the renderer's filesystem.
struct TreeFs(Tree);

fn fs_error(path: &str, e: SourceError) -> FsError {
    match e {
        SourceError::NotFound { .. } => FsError::NotFound(path.to_string()),
        other => FsError::Other { path: path.to_string(), message: other.to_string() },
    }
}

fn kind(k: EntryKind) -> Kind {
    match k {
        EntryKind::File => Kind::File,
        EntryKind::Dir => Kind::Dir,
    }
}

impl Fs for TreeFs {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        self.0.read(path).map_err(|e| fs_error(path, e))
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, FsError> {
        Ok(self.0.list(dir).map_err(|e| fs_error(dir, e))?.into_iter().map(|(n, k)| (n, kind(k))).collect())
    }

    fn kind(&self, path: &str) -> Option<Kind> {
        self.0.kind(path).map(kind)
    }
}

// ---------------------------------------------------------------- the planning cycle

/// A source with its Kustomizations, planned push by push as the reconciler does.
struct Fleet {
    url: String,
    data: tempfile::TempDir,
    mirror: Mirror,
    sets: ReadSets,
    /// The revision planned for last.
    revision: Option<String>,
    /// (key, path) of each Kustomization.
    kustomizations: Vec<(String, String)>,
    /// Each Kustomization's last render: its objects as JSON, or the error.
    outputs: BTreeMap<String, String>,
}

/// What one push did.
struct Pushed {
    plan: Plan,
    /// Render errors of the affected Kustomizations, by key.
    errors: BTreeMap<String, String>,
}

impl Pushed {
    fn affected(&self) -> Vec<&str> {
        self.plan.affected_with_reasons().map(|(k, _)| k).collect()
    }

    fn reason(&self, key: &str) -> String {
        self.plan.reason(key).map(ToString::to_string).unwrap_or_else(|| "skipped".into())
    }
}

fn remote(url: &str) -> Remote {
    Remote {
        url: url.to_string(),
        reference: Reference::Branch("main".into()),
        timeout: Duration::from_secs(60),
        credentials: Credentials::default(),
        expect: None,
    }
}

const SPEC: &str = "sha256:spec";

impl Fleet {
    fn new(origin: &Origin, kustomizations: &[(&str, &str)]) -> Fleet {
        let data = tempfile::tempdir().expect("temp dir");
        let mirror = Mirror::open(data.path(), &origin.url()).expect("mirror opens");
        Fleet {
            url: origin.url(),
            data,
            mirror,
            sets: ReadSets::new(),
            revision: None,
            kustomizations: kustomizations.iter().map(|(k, p)| (k.to_string(), p.to_string())).collect(),
            outputs: BTreeMap::new(),
        }
    }

    /// Fetches the tip, plans, renders what is affected, and records what was seen.
    fn push(&mut self) -> Pushed {
        let to = self.mirror.fetch(&remote(&self.url)).expect("fetch").revision.commit;
        let tree = self.mirror.tree(&to).expect("tree");
        let changes = self.changes(&to, &tree);
        let targets: Vec<Target<'_>> =
            self.kustomizations.iter().map(|(key, _)| Target { key, spec_digest: SPEC }).collect();
        let update = Update { from: self.revision.as_deref(), to: &to, changes: changes.as_deref() };
        let plan = self.sets.plan(&update, &targets, Mode::Planned);
        let mut errors = BTreeMap::new();
        for (key, path) in self.kustomizations.clone() {
            if plan.reason(&key).is_none() {
                continue;
            }
            match render(&tree, &path) {
                Ok((objects, record)) => {
                    self.sets.insert(&key, record);
                    self.outputs.insert(key, objects);
                }
                Err(e) => {
                    self.sets.remove(&key);
                    self.outputs.insert(key.clone(), format!("error: {e}"));
                    errors.insert(key, e);
                }
            }
        }
        self.sets.mark_skipped_seen(&plan, &to);
        self.revision = Some(to);
        Pushed { plan, errors }
    }

    /// The classified changed paths from the last revision, if the mirror can tell.
    fn changes(&self, to: &str, tree: &Tree) -> Option<Vec<Change>> {
        let from = self.revision.as_deref()?;
        let paths = self.mirror.changed_paths(from, to).ok()?;
        let old = self.mirror.tree(from).ok()?;
        Some(classify(&paths, &TreeFs(old), &TreeFs(tree.clone())))
    }

    /// Every Kustomization rendered afresh at the last revision: key → objects or error.
    fn render_all(&self) -> BTreeMap<String, String> {
        let commit = self.revision.as_deref().expect("pushed once");
        let tree = self.mirror.tree(commit).expect("tree");
        self.kustomizations
            .iter()
            .map(|(key, path)| {
                (key.clone(), render(&tree, path).map(|(o, _)| o).unwrap_or_else(|e| format!("error: {e}")))
            })
            .collect()
    }
}

/// Renders `path` of `tree`: its objects as JSON and the record of what it read (symlinks resolved).
fn render(tree: &Tree, path: &str) -> Result<(String, ReadSetRecord), String> {
    let rendered = driftless::render::render(&TreeFs(tree.clone()), path).map_err(|e| e.to_string())?;
    let read_set =
        with_links(&rendered.read_set, |p| tree.resolve(p).ok().map(|r| Resolved { path: r.path, links: r.links }));
    let objects = serde_json::to_string(&rendered.objects).map_err(|e| e.to_string())?;
    Ok((objects, ReadSetRecord { revision: tree.commit(), path: path.to_string(), read_set, spec_digest: SPEC.into() }))
}

// ---------------------------------------------------------------- the fleet

fn config_map(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  value: \"{value}\"\n")
}

fn deployment(name: &str, replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  template:\n    \
         spec:\n      containers:\n      - name: app\n        image: app:1\n"
    )
}

/// clusters/base (used by dev, prod and, through a symlink, qa), clusters/monitoring (prod and staging), app-a
/// and app-b below clusters/dev, and clusters/plain without a kustomization.yaml.
fn fleet_files() -> Vec<(&'static str, String)> {
    vec![
        ("README.md", "# fleet\n".into()),
        ("docs/guide.md", "how to\n".into()),
        ("clusters/base/kustomization.yaml", "resources:\n- deploy.yaml\n- service.yaml\n".into()),
        ("clusters/base/deploy.yaml", deployment("web", 1)),
        ("clusters/base/service.yaml", config_map("web-svc", "80")),
        ("clusters/base/NOTES.md", "notes\n".into()),
        ("clusters/monitoring/kustomization.yaml", "resources:\n- monitor.yaml\n".into()),
        ("clusters/monitoring/monitor.yaml", config_map("monitor", "on")),
        ("clusters/dev/kustomization.yaml", "resources:\n- ../base\npatches:\n- path: dev-patch.yaml\n".into()),
        ("clusters/dev/dev-patch.yaml", deployment("web", 2)),
        (
            "clusters/prod/kustomization.yaml",
            "resources:\n- ../base\n- ../monitoring\npatches:\n- path: prod-patch.yaml\n".into(),
        ),
        ("clusters/prod/prod-patch.yaml", deployment("web", 5)),
        ("clusters/staging/kustomization.yaml", "resources:\n- ../monitoring\nnamePrefix: staging-\n".into()),
        ("clusters/qa/kustomization.yaml", "resources:\n- base\nnameSuffix: -qa\n".into()),
        (
            "clusters/dev/app-a/kustomization.yaml",
            "resources:\n- deploy.yaml\nconfigMapGenerator:\n- name: app-a\n  envs:\n  - settings.env\n".into(),
        ),
        ("clusters/dev/app-a/deploy.yaml", deployment("app-a", 1)),
        ("clusters/dev/app-a/settings.env", "LEVEL=info\n".into()),
        ("clusters/dev/app-b/kustomization.yaml", "resources:\n- deploy.yaml\n".into()),
        ("clusters/dev/app-b/deploy.yaml", deployment("app-b", 1)),
        ("clusters/plain/one.yaml", config_map("plain-one", "1")),
        ("clusters/plain/nested/two.yaml", config_map("plain-two", "2")),
    ]
}

const KUSTOMIZATIONS: [(&str, &str); 8] = [
    ("flux-system/dev", "clusters/dev"),
    ("flux-system/prod", "clusters/prod"),
    ("flux-system/staging", "clusters/staging"),
    ("flux-system/qa", "clusters/qa"),
    ("flux-system/app-a", "clusters/dev/app-a"),
    ("flux-system/app-b", "clusters/dev/app-b"),
    ("flux-system/plain", "clusters/plain"),
    ("flux-system/monitoring", "clusters/monitoring"),
];

/// The fleet, pushed once (every Kustomization rendered for the first time).
fn fleet() -> (Origin, Fleet) {
    let files = fleet_files();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let origin = Origin::new(&[]);
    for (p, t) in refs {
        origin.write(p, t);
    }
    origin.symlink("clusters/qa/base", "../base");
    origin.commit("fleet");
    let mut fleet = Fleet::new(&origin, &KUSTOMIZATIONS);
    let first = fleet.push();
    assert_eq!(first.plan.affected(), KUSTOMIZATIONS.len());
    assert!(first.plan.decisions.iter().all(|d| d.affected == Some(Reason::FirstRender)));
    assert_eq!(first.errors, BTreeMap::new());
    (origin, fleet)
}

// ---------------------------------------------------------------- the cases

#[test]
fn editing_a_base_file_affects_exactly_the_overlays_that_use_it() {
    let (origin, mut fleet) = fleet();
    origin.write("clusters/base/service.yaml", &config_map("web-svc", "8080"));
    origin.commit("port");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), ["flux-system/dev", "flux-system/prod", "flux-system/qa"]);
    for key in ["flux-system/dev", "flux-system/prod", "flux-system/qa"] {
        assert_eq!(pushed.reason(key), "clusters/base/service.yaml changed");
    }
    assert_eq!((pushed.plan.total(), pushed.plan.affected(), pushed.plan.skipped()), (8, 3, 5));
    assert_eq!(fleet.outputs, fleet.render_all());
}

#[test]
fn editing_an_app_affects_only_that_kustomization() {
    let (origin, mut fleet) = fleet();
    origin.write("clusters/dev/app-a/settings.env", "LEVEL=debug\n");
    origin.write("clusters/dev/app-a/deploy.yaml", &deployment("app-a", 3));
    origin.commit("app-a");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), ["flux-system/app-a"]);
    assert_eq!(pushed.reason("flux-system/app-a"), "clusters/dev/app-a/deploy.yaml changed");
    assert_eq!(fleet.outputs, fleet.render_all());
}

#[test]
fn adding_a_file_to_a_directory_without_kustomization_yaml_affects_its_kustomization() {
    let (origin, mut fleet) = fleet();
    origin.write("clusters/plain/three.yaml", &config_map("plain-three", "3"));
    origin.commit("three");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), ["flux-system/plain"]);
    assert_eq!(pushed.reason("flux-system/plain"), "listing of clusters/plain changed: clusters/plain/three.yaml");
    assert!(fleet.outputs["flux-system/plain"].contains("plain-three"));

    // In a new subdirectory too.
    origin.write("clusters/plain/more/deeper/four.yaml", &config_map("plain-four", "4"));
    origin.commit("four");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), ["flux-system/plain"]);
    assert_eq!(
        pushed.reason("flux-system/plain"),
        "listing of clusters/plain changed: clusters/plain/more/deeper/four.yaml"
    );
    assert!(fleet.outputs["flux-system/plain"].contains("plain-four"));
    assert_eq!(fleet.outputs, fleet.render_all());
}

#[test]
fn deleting_a_referenced_patch_affects_and_fails_the_kustomization_that_used_it() {
    let (origin, mut fleet) = fleet();
    origin.remove("clusters/prod/prod-patch.yaml");
    origin.commit("drop the patch");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), ["flux-system/prod"]);
    assert_eq!(pushed.reason("flux-system/prod"), "clusters/prod/prod-patch.yaml changed");
    let error = &pushed.errors["flux-system/prod"];
    assert!(error.contains("clusters/prod/prod-patch.yaml"), "{error}");

    // A failed render keeps no record: the next push renders it again, and putting the patch back heals it.
    origin.write("clusters/prod/prod-patch.yaml", &deployment("web", 5));
    origin.commit("restore the patch");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), ["flux-system/prod"]);
    assert_eq!(pushed.reason("flux-system/prod"), "first render");
    assert_eq!(pushed.errors, BTreeMap::new());
}

#[test]
fn a_change_outside_every_read_set_affects_none() {
    let (origin, mut fleet) = fleet();
    origin.write("README.md", "# fleet, edited\n");
    origin.write("docs/new-page.md", "new\n");
    origin.write("clusters/base/NOTES.md", "more notes\n");
    origin.commit("docs");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), Vec::<&str>::new());
    assert_eq!(pushed.plan.skipped(), 8);

    // Skipped ones saw the revision: the next push plans from it.
    origin.write("clusters/monitoring/monitor.yaml", &config_map("monitor", "off"));
    origin.commit("monitor off");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), ["flux-system/prod", "flux-system/staging", "flux-system/monitoring"]);
    assert_eq!(fleet.outputs, fleet.render_all());
}

#[test]
fn editing_through_a_symlink_target_affects_the_kustomization_reading_through_the_link() {
    let (origin, mut fleet) = fleet();
    origin.write("clusters/base/extra.yaml", &config_map("extra", "1"));
    origin.commit("a file in the base directory");
    let pushed = fleet.push();
    // The base directory is listed (to find its kustomization.yaml), by each user of the base.
    assert_eq!(pushed.affected(), ["flux-system/dev", "flux-system/prod", "flux-system/qa"]);
    assert_eq!(pushed.reason("flux-system/qa"), "listing of clusters/base changed: clusters/base/extra.yaml");

    // Repointing the link is a change of what qa reads.
    origin.remove("clusters/qa/base");
    origin.symlink("clusters/qa/base", "../monitoring");
    origin.commit("qa uses monitoring");
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), ["flux-system/qa"]);
    assert_eq!(pushed.reason("flux-system/qa"), "clusters/qa/base changed");
    assert!(fleet.outputs["flux-system/qa"].contains("monitor-qa"), "{}", fleet.outputs["flux-system/qa"]);
    assert_eq!(fleet.outputs, fleet.render_all());
}

#[test]
fn a_rewritten_history_with_the_same_tree_affects_none() {
    let (origin, mut fleet) = fleet();
    git(&origin.path, &["commit", "-q", "--amend", "-m", "reworded"]);
    let pushed = fleet.push();
    assert_eq!(pushed.affected(), Vec::<&str>::new());
}

#[test]
fn a_force_push_to_an_unrelated_history_affects_all() {
    let (origin, mut fleet) = fleet();
    let before = fleet.revision.clone();
    git(&origin.path, &["checkout", "-q", "--orphan", "rewrite"]);
    git(&origin.path, &["rm", "-rqf", "."]);
    for (path, text) in fleet_files() {
        origin.write(path, &text.replace("replicas: 1", "replicas: 9").replace("\"1\"", "\"one\""));
    }
    origin.write("clusters/base/service.yaml", &config_map("web-svc", "443"));
    origin.write("clusters/monitoring/monitor.yaml", &config_map("monitor", "maybe"));
    origin.symlink("clusters/qa/base", "../base");
    origin.commit("a new history");
    git(&origin.path, &["branch", "-q", "-M", "rewrite", "main"]);

    // The driftless data directory is lost with the old commit: a new mirror fetches only the new tip, and the
    // read-sets come back from their saved form. The old commit cannot be compared: everything is affected.
    let saved = fleet.sets.to_bytes();
    let mut restarted = Fleet::new(&origin, &KUSTOMIZATIONS);
    restarted.sets = ReadSets::from_bytes(&saved);
    restarted.revision = before;
    let pushed = restarted.push();
    assert_eq!(pushed.plan.affected(), 8);
    for (key, _) in KUSTOMIZATIONS {
        assert_eq!(pushed.plan.reason(key), Some(&Reason::UnknownPrevious(Unknown::HistoryUnavailable)), "{key}");
    }

    // The same force-push seen by a mirror that still has the old commit compares the two trees.
    let pushed = fleet.push();
    assert_eq!(pushed.plan.affected(), 8);
    assert_eq!(fleet.outputs, fleet.render_all());
}

#[test]
fn a_restart_followed_by_a_push_plans_as_without_the_restart() {
    let (origin, mut fleet) = fleet();
    origin.write("clusters/dev/app-b/deploy.yaml", &deployment("app-b", 2));
    origin.commit("app-b");
    fleet.push();

    // Restart: the records go to disk and come back; the mirror reopens from the same data directory.
    let file = fleet.data.path().join("read-sets.json");
    std::fs::write(&file, fleet.sets.to_bytes()).expect("write");
    let reopened = Mirror::open(fleet.data.path(), &fleet.url).expect("mirror reopens");
    let restored = ReadSets::from_bytes(&std::fs::read(&file).expect("read"));
    for (key, _) in KUSTOMIZATIONS {
        assert_eq!(restored.get(key), fleet.sets.get(key), "{key}");
    }
    let restored_revision = restored.common_revision().map(str::to_string);
    assert_eq!(restored_revision, fleet.revision);

    origin.write("clusters/monitoring/kustomization.yaml", "resources:\n- monitor.yaml\nnamePrefix: m-\n");
    origin.write("clusters/dev/app-b/extra.yaml", &config_map("app-b-extra", "1"));
    origin.commit("monitoring prefix, app-b extra");
    let mut twin = Fleet {
        url: fleet.url.clone(),
        data: tempfile::tempdir().expect("temp dir"),
        mirror: reopened,
        sets: restored,
        // The revision planned for last is the one the records were saved at.
        revision: restored_revision,
        kustomizations: fleet.kustomizations.clone(),
        outputs: fleet.outputs.clone(),
    };
    let after_restart = twin.push();
    let without_restart = fleet.push();
    assert_eq!(after_restart.plan, without_restart.plan);
    assert_eq!(
        after_restart.affected(),
        ["flux-system/dev", "flux-system/prod", "flux-system/staging", "flux-system/app-b", "flux-system/monitoring"]
    );
    // app-b's own directory is listed (to find its kustomization.yaml); dev has the new file below its path.
    assert_eq!(
        after_restart.reason("flux-system/app-b"),
        "listing of clusters/dev/app-b changed: clusters/dev/app-b/extra.yaml"
    );
    assert_eq!(after_restart.reason("flux-system/dev"), "clusters/dev/app-b/extra.yaml added under its path");
    assert_eq!(twin.outputs, twin.render_all());
}

// ---------------------------------------------------------------- randomised: no false negatives

/// (path, content) of files, or (key, path) of Kustomizations.
type Pairs = Vec<(String, String)>;

/// A generated repository: bases, overlays using some of them (with a patch and a generator), plain directories
/// (nested, no kustomization.yaml), a base reached through a symlink, unrelated files.
fn generated(rng: &mut StdRng) -> (Pairs, Pairs) {
    let mut files = Vec::new();
    let mut kustomizations = Vec::new();
    let bases = 3;
    for b in 0..bases {
        let dir = format!("bases/b{b}");
        files.push((format!("{dir}/kustomization.yaml"), "resources:\n- cm.yaml\n".to_string()));
        files.push((format!("{dir}/cm.yaml"), config_map(&format!("base-{b}"), "0")));
        files.push((format!("{dir}/NOTES.md"), "notes\n".to_string()));
    }
    for o in 0..5 {
        let dir = format!("clusters/c{o}");
        let mut resources: Vec<String> = (0..bases)
            .filter(|_| rng.random_bool(0.5))
            .map(|b| if o == 0 { format!("- linked{b}") } else { format!("- ../../bases/b{b}") })
            .collect();
        resources.push("- own.yaml".into());
        let kust = format!(
            "resources:\n{}\npatches:\n- path: patch.yaml\nconfigMapGenerator:\n- name: gen-{o}\n  files:\n  - settings.env\n",
            resources.join("\n")
        );
        files.push((format!("{dir}/kustomization.yaml"), kust));
        files.push((format!("{dir}/own.yaml"), config_map(&format!("own-{o}"), "0")));
        files.push((format!("{dir}/patch.yaml"), config_map(&format!("own-{o}"), "patched")));
        files.push((format!("{dir}/settings.env"), "a=1\n".into()));
        kustomizations.push((format!("flux-system/c{o}"), dir));
    }
    for p in 0..2 {
        let dir = format!("plain/p{p}");
        files.push((format!("{dir}/one.yaml"), config_map(&format!("plain-{p}"), "0")));
        files.push((format!("{dir}/nested/two.yaml"), config_map(&format!("plain-{p}-two"), "0")));
        files.push((format!("{dir}/README.md"), "plain\n".into()));
        kustomizations.push((format!("flux-system/p{p}"), dir));
    }
    kustomizations.push(("flux-system/b0".into(), "bases/b0".into()));
    files.push(("docs/index.md".into(), "docs\n".into()));
    (files, kustomizations)
}

/// Files under the work tree (not .git), as repository paths; symlinks included, not followed.
fn work_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).expect("inside").to_string_lossy().into_owned();
            if rel == ".git" {
                continue;
            }
            let file_type = entry.file_type().expect("file type");
            if file_type.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// One random edit in the work tree: modify, add or delete a file, add a directory, add a kustomization.yaml.
fn edit(origin: &Origin, rng: &mut StdRng, n: usize) {
    let files = work_files(&origin.path);
    let mut dirs: Vec<String> =
        files.iter().map(|f| f.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string())).collect();
    dirs.sort();
    dirs.dedup();
    let pick = |rng: &mut StdRng, v: &[String]| v[rng.random_range(0..v.len())].clone();
    let join = |d: &str, name: &str| if d.is_empty() { name.to_string() } else { format!("{d}/{name}") };
    match rng.random_range(0..7) {
        0 | 1 => {
            let f = pick(rng, &files);
            if std::fs::symlink_metadata(origin.path.join(&f)).is_ok_and(|m| m.file_type().is_symlink()) {
                return;
            }
            let text = if f.ends_with("kustomization.yaml") {
                "resources: []\nnamePrefix: edited-\n".to_string()
            } else if f.ends_with(".yaml") {
                config_map(&format!("edited-{n}"), &n.to_string())
            } else {
                format!("edit {n}\n")
            };
            origin.write(&f, &text);
        }
        2 => origin.remove(&pick(rng, &files)),
        3 => {
            let d = pick(rng, &dirs);
            let name = if rng.random_bool(0.5) { format!("new-{n}.yaml") } else { format!("new-{n}.txt") };
            origin.write(&join(&d, &name), &config_map(&format!("new-{n}"), "1"));
        }
        4 => {
            let d = pick(rng, &dirs);
            origin.write(&join(&d, &format!("sub{n}/deep/x.yaml")), &config_map(&format!("deep-{n}"), "1"));
        }
        5 => {
            let d = pick(rng, &dirs);
            let name = ["kustomization.yaml", "kustomization.yml", "Kustomization"][rng.random_range(0..3)];
            origin.write(&join(&d, name), "resources: []\n");
        }
        _ => origin.write(&format!("elsewhere/f{n}.yaml"), &config_map("x", "1")),
    }
}

#[test]
fn random_edits_never_skip_a_kustomization_whose_output_changed() {
    let mut rng = StdRng::seed_from_u64(6);
    let (files, kustomizations) = generated(&mut rng);
    let origin = Origin::new(&[]);
    for (path, text) in &files {
        origin.write(path, text);
    }
    for b in 0..3 {
        origin.symlink(&format!("clusters/c0/linked{b}"), &format!("../../bases/b{b}"));
    }
    origin.commit("generated");
    let keys: Vec<(&str, &str)> = kustomizations.iter().map(|(k, p)| (k.as_str(), p.as_str())).collect();
    let mut fleet = Fleet::new(&origin, &keys);
    fleet.push();
    let (mut checked, mut skipped, mut changed) = (0, 0, 0);
    for round in 0..40 {
        for n in 0..rng.random_range(1..4) {
            edit(&origin, &mut rng, round * 10 + n);
        }
        origin.commit(&format!("round {round}"));
        let before = fleet.outputs.clone();
        let pushed = fleet.push();
        let now = fleet.render_all();
        for (key, output) in &now {
            let reason = pushed.plan.reason(key);
            if before.get(key) != Some(output) {
                changed += 1;
                assert!(reason.is_some(), "round {round}: {key} changed but was skipped");
            }
            checked += 1;
            skipped += usize::from(reason.is_none());
        }
        assert_eq!(fleet.outputs, now, "round {round}: the kept outputs are the fresh renders");
    }
    assert!(changed > 10, "only {changed} outputs changed");
    assert!(skipped * 3 > checked, "skipped {skipped} of {checked}");
}
