//! The planning rules one by one, then a randomised check against the
//! renderer itself: whatever a change does to a Kustomization's output, the
//! plan must have marked it affected.

use super::*;
use crate::render::ReadSet;
use crate::render::fs::{Fs, FsError, Kind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";
const C: &str = "3333333333333333333333333333333333333333";

fn record(revision: &str, path: &str, files: &[&str], dirs: &[&str]) -> ReadSetRecord {
    ReadSetRecord {
        revision: revision.into(),
        path: path.into(),
        read_set: ReadSet {
            files: files.iter().map(|s| s.to_string()).collect(),
            dirs: dirs.iter().map(|s| s.to_string()).collect(),
        },
        spec_digest: "d".into(),
    }
}

/// dev and prod overlays of one base, and app-a below dev, all rendered at A.
fn fleet() -> ReadSets {
    let mut sets = ReadSets::new();
    let base = ["clusters/base/kustomization.yaml", "clusters/base/deploy.yaml"];
    let dev = [&base[..], &["clusters/dev/kustomization.yaml", "clusters/dev/patch.yaml"]].concat();
    let prod = [&base[..], &["clusters/prod/kustomization.yaml", "clusters/prod/missing.yaml"]].concat();
    sets.insert("flux-system/dev", record(A, "clusters/dev", &dev, &["clusters/base", "clusters/dev"]));
    sets.insert("flux-system/prod", record(A, "clusters/prod", &prod, &["clusters/base", "clusters/prod"]));
    sets.insert(
        "flux-system/app-a",
        record(
            A,
            "clusters/dev/app-a",
            &["clusters/dev/app-a/a.yaml"],
            &["clusters/dev/app-a", "clusters/dev/app-a/sub"],
        ),
    );
    sets
}

const KEYS: [&str; 3] = ["flux-system/dev", "flux-system/prod", "flux-system/app-a"];

fn targets() -> Vec<Target<'static>> {
    KEYS.iter().map(|key| Target { key, spec_digest: "d" }).collect()
}

fn plan_changes(sets: &ReadSets, changes: &[Change]) -> Plan {
    sets.plan(&Update { from: Some(A), to: B, changes: Some(changes) }, &targets(), Mode::Planned)
}

fn modified(path: &str) -> Change {
    Change { path: path.into(), kind: ChangeKind::Modified }
}

fn added(path: &str, dir: &str) -> Change {
    Change { path: path.into(), kind: ChangeKind::Added { dir: dir.into() } }
}

fn removed(path: &str, dir: &str) -> Change {
    Change { path: path.into(), kind: ChangeKind::Removed { dir: dir.into() } }
}

/// `(kustomization, reason)` for the affected ones.
fn affected(plan: &Plan) -> Vec<(String, String)> {
    plan.affected_with_reasons().map(|(k, r)| (k.to_string(), r.to_string())).collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(k, r)| (k.to_string(), r.to_string())).collect()
}

#[test]
fn a_changed_base_file_affects_exactly_the_overlays_that_read_it() {
    let plan = plan_changes(&fleet(), &[modified("clusters/base/deploy.yaml")]);
    assert_eq!(
        affected(&plan),
        pairs(&[
            ("flux-system/dev", "clusters/base/deploy.yaml changed"),
            ("flux-system/prod", "clusters/base/deploy.yaml changed")
        ])
    );
    assert_eq!((plan.total(), plan.affected(), plan.skipped()), (3, 2, 1));
    assert_eq!(plan.reason("flux-system/app-a"), None);
}

#[test]
fn a_deleted_file_of_the_read_set_affects_its_reader() {
    let plan = plan_changes(&fleet(), &[removed("clusters/dev/patch.yaml", "clusters/dev")]);
    assert_eq!(affected(&plan), pairs(&[("flux-system/dev", "clusters/dev/patch.yaml changed")]));
}

#[test]
fn a_named_file_that_was_missing_is_a_hit_when_it_appears() {
    let plan = plan_changes(&fleet(), &[added("clusters/prod/missing.yaml", "clusters/prod")]);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "clusters/prod/missing.yaml changed")]));
}

#[test]
fn a_named_path_that_became_a_directory_is_a_hit() {
    let plan = plan_changes(&fleet(), &[added("clusters/prod/missing.yaml/inner.yaml", "clusters/prod")]);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "clusters/prod/missing.yaml/inner.yaml changed")]));
}

#[test]
fn a_modified_file_outside_the_read_sets_affects_none() {
    for path in ["docs/README.md", "clusters/base/NOTES.md", "clusters/dev/app-a/README.md"] {
        let plan = plan_changes(&fleet(), &[modified(path)]);
        assert_eq!(affected(&plan), [], "{path}");
        assert_eq!(plan.skipped(), 3);
    }
}

#[test]
fn a_file_added_to_a_listed_directory_affects_the_lister() {
    let plan = plan_changes(&fleet(), &[added("clusters/base/extra.yaml", "clusters/base")]);
    assert_eq!(
        affected(&plan),
        pairs(&[
            ("flux-system/dev", "listing of clusters/base changed: clusters/base/extra.yaml"),
            ("flux-system/prod", "listing of clusters/base changed: clusters/base/extra.yaml")
        ])
    );
}

#[test]
fn a_new_subdirectory_of_a_listed_directory_affects_the_lister() {
    let plan = plan_changes(&fleet(), &[added("clusters/prod/new/deep/x.yaml", "clusters/prod")]);
    assert_eq!(
        affected(&plan),
        pairs(&[("flux-system/prod", "listing of clusters/prod changed: clusters/prod/new/deep/x.yaml")])
    );
}

#[test]
fn a_file_removed_from_a_listed_directory_affects_the_lister() {
    let plan = plan_changes(&fleet(), &[removed("clusters/dev/app-a/sub/old.yaml", "clusters/dev/app-a/sub")]);
    assert_eq!(
        affected(&plan),
        pairs(&[("flux-system/app-a", "listing of clusters/dev/app-a/sub changed: clusters/dev/app-a/sub/old.yaml")])
    );
}

#[test]
fn a_file_appearing_under_a_kustomizations_path_affects_it() {
    // Not in any listed directory, but below clusters/dev (and so below the dev overlay's path).
    let plan = plan_changes(&fleet(), &[added("clusters/dev/app-b/x.yaml", "clusters/dev")]);
    assert_eq!(
        affected(&plan),
        pairs(&[("flux-system/dev", "listing of clusters/dev changed: clusters/dev/app-b/x.yaml")])
    );
    let plan = plan_changes(&fleet(), &[added("clusters/dev/app-b/x.yaml", "clusters/dev/app-b")]);
    assert_eq!(affected(&plan), pairs(&[("flux-system/dev", "clusters/dev/app-b/x.yaml added under its path")]));
    // Removing or editing such a file changes nothing the render saw.
    let plan = plan_changes(&fleet(), &[removed("clusters/dev/app-b/x.yaml", "clusters/dev/app-b")]);
    assert_eq!(affected(&plan), []);
}

#[test]
fn a_change_of_unknown_kind_counts_for_every_listing_above_it() {
    let plan = plan_changes(&fleet(), &[Change::unknown("clusters/base/NOTES.md")]);
    assert_eq!(plan.affected(), 2);
    let plan = plan_changes(&fleet(), &[Change::unknown("docs/README.md")]);
    assert_eq!(plan.affected(), 0);
}

#[test]
fn the_first_changed_path_that_hits_is_the_reason() {
    let changes = [
        modified("clusters/base/kustomization.yaml"),
        modified("clusters/dev/kustomization.yaml"),
        added("clusters/dev/new.yaml", "clusters/dev"),
    ];
    let plan = plan_changes(&fleet(), &changes);
    assert_eq!(plan.reason("flux-system/dev"), Some(&Reason::PathChanged("clusters/base/kustomization.yaml".into())));
    // Within one change, a file read beats a listing.
    let plan = plan_changes(&fleet(), &[added("clusters/prod/missing.yaml", "clusters/prod")]);
    assert_eq!(plan.reason("flux-system/prod"), Some(&Reason::PathChanged("clusters/prod/missing.yaml".into())));
}

#[test]
fn a_changed_spec_digest_affects_only_that_kustomization() {
    let sets = fleet();
    let mut targets = targets();
    targets[1].spec_digest = "other";
    let plan = sets.plan(&Update { from: Some(A), to: B, changes: Some(&[]) }, &targets, Mode::Planned);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "spec or inputs changed")]));
    // The same revision planned again after a spec edit: the same answer.
    let plan = sets.plan(&Update { from: Some(A), to: A, changes: Some(&[]) }, &targets, Mode::Planned);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "spec or inputs changed")]));
}

#[test]
fn a_kustomization_without_a_record_is_a_first_render() {
    let sets = fleet();
    let mut targets = targets();
    targets.push(Target { key: "flux-system/new", spec_digest: "d" });
    let plan = sets.plan(&Update { from: Some(A), to: B, changes: Some(&[]) }, &targets, Mode::Planned);
    assert_eq!(affected(&plan), pairs(&[("flux-system/new", "first render")]));
    assert_eq!(plan.total(), 4);
}

#[test]
fn everything_is_affected_when_the_previous_revision_is_unknown() {
    let sets = fleet();
    let cases = [
        (Update { from: None, to: B, changes: None }, "the source has no previous revision"),
        (Update { from: Some(A), to: B, changes: None }, "the changed paths are not known"),
        (Update { from: Some(C), to: B, changes: Some(&[]) }, &*format!("its last render was of {A}")),
    ];
    for (update, why) in cases {
        let plan = sets.plan(&update, &targets(), Mode::Planned);
        let expected = format!("previous revision unknown: {why}");
        assert_eq!(affected(&plan), KEYS.iter().map(|k| (k.to_string(), expected.clone())).collect::<Vec<_>>());
    }
}

#[test]
fn a_record_already_at_the_new_revision_is_only_checked_for_its_spec() {
    let mut sets = fleet();
    sets.mark_seen("flux-system/dev", B);
    let plan = sets.plan(&Update { from: Some(A), to: B, changes: None }, &targets(), Mode::Planned);
    assert_eq!(plan.reason("flux-system/dev"), None);
    assert_eq!(plan.affected(), 2);
}

#[test]
fn a_changed_sourceignore_affects_everything() {
    let plan = plan_changes(&fleet(), &[modified("docs/.sourceignore")]);
    assert_eq!(plan.affected(), 3);
    assert_eq!(plan.reason("flux-system/app-a"), Some(&Reason::IgnoreRulesChanged("docs/.sourceignore".into())));
}

#[test]
fn reconcile_everything_mode_affects_everything() {
    let plan = fleet().plan(&Update { from: Some(A), to: B, changes: Some(&[]) }, &targets(), Mode::Everything);
    assert_eq!(plan.affected(), 3);
    assert!(plan.decisions.iter().all(|d| d.affected == Some(Reason::Everything)));
}

#[test]
fn skipped_kustomizations_see_the_new_revision_and_plan_from_it() {
    let mut sets = fleet();
    let change = [modified("clusters/dev/patch.yaml")];
    let plan = plan_changes(&sets, &change);
    sets.mark_skipped_seen(&plan, B);
    assert_eq!(sets.get("flux-system/prod").map(|r| r.revision.as_str()), Some(B));
    assert_eq!(sets.get("flux-system/dev").map(|r| r.revision.as_str()), Some(A));
    assert_eq!(sets.common_revision(), None);
    // The next move, B to C: prod and app-a plan normally; dev was not re-recorded, so it is unknown.
    let plan = sets.plan(&Update { from: Some(B), to: C, changes: Some(&[]) }, &targets(), Mode::Planned);
    assert_eq!(
        affected(&plan),
        pairs(&[("flux-system/dev", &format!("previous revision unknown: its last render was of {A}"))])
    );
}

#[test]
fn replacing_and_removing_records_updates_the_index() {
    let mut sets = fleet();
    sets.insert("flux-system/dev", record(A, "clusters/dev", &["clusters/dev/kustomization.yaml"], &["clusters/dev"]));
    let plan = plan_changes(&sets, &[modified("clusters/base/deploy.yaml")]);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "clusters/base/deploy.yaml changed")]));
    assert!(sets.remove("flux-system/prod").is_some());
    assert_eq!(sets.len(), 2);
    let plan = plan_changes(&sets, &[modified("clusters/base/deploy.yaml")]);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "first render")]));
    // A freed slot is reused without inheriting anything.
    sets.insert("flux-system/other", record(A, "x", &["x/kustomization.yaml"], &["x"]));
    let plan = plan_changes(&sets, &[modified("clusters/base/deploy.yaml")]);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "first render")]));
}

#[test]
fn records_survive_a_round_trip_and_plan_the_same() {
    let sets = fleet();
    assert_eq!(sets.common_revision(), Some(A));
    let bytes = sets.to_bytes();
    let back = ReadSets::from_bytes(&bytes);
    assert_eq!(back.len(), 3);
    for key in KEYS {
        assert_eq!(back.get(key), sets.get(key), "{key}");
    }
    let changes =
        [modified("clusters/base/deploy.yaml"), added("clusters/dev/app-a/sub/n.yaml", "clusters/dev/app-a/sub")];
    assert_eq!(plan_changes(&back, &changes), plan_changes(&sets, &changes));
}

#[test]
fn an_unreadable_record_affects_its_kustomization_only() {
    let mut json: serde_json::Value = serde_json::from_slice(&fleet().to_bytes()).expect("JSON");
    json["records"]["flux-system/prod"]["files"] = serde_json::json!(7);
    let sets = ReadSets::from_bytes(&serde_json::to_vec(&json).expect("serialises"));
    let plan = plan_changes(&sets, &[]);
    assert_eq!(plan.affected(), 1);
    let Some(Reason::UnknownPrevious(Unknown::CorruptRecord(why))) = plan.reason("flux-system/prod") else {
        panic!("{plan:?}")
    };
    assert!(why.starts_with("read-set record is not valid JSON of the expected shape"), "{why}");
}

#[test]
fn an_unreadable_store_affects_everything_until_records_are_written_again() {
    let mut json: serde_json::Value = serde_json::from_slice(&fleet().to_bytes()).expect("JSON");
    json["version"] = serde_json::json!(9);
    let version = serde_json::to_vec(&json).expect("serialises");
    for bytes in [&b"{\"version\": 1, \"rec"[..], b"", b"[]", &version] {
        let sets = ReadSets::from_bytes(bytes);
        let plan = plan_changes(&sets, &[]);
        assert_eq!(plan.affected(), 3, "{}", String::from_utf8_lossy(bytes));
        assert!(matches!(plan.reason("flux-system/dev"), Some(Reason::UnknownPrevious(Unknown::CorruptRecord(_)))));
    }
    let mut sets = ReadSets::from_bytes(&version);
    assert_eq!(
        plan_changes(&sets, &[]).reason("flux-system/dev").map(ToString::to_string).as_deref(),
        Some(
            "previous revision unknown: its record is unreadable (read-set records have version 9; this driftless reads version 1)"
        )
    );
    sets.insert("flux-system/dev", record(A, "clusters/dev", &[], &["clusters/dev"]));
    assert_eq!(plan_changes(&sets, &[]).reason("flux-system/dev"), None);
}

// ------------------------------------------------------------------ randomised check against the renderer

/// A repository as a map of files; directories are implied.
#[derive(Clone, Default)]
struct Repo(BTreeMap<String, String>);

impl Fs for Repo {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        if let Some(text) = self.0.get(path) {
            return Ok(text.as_bytes().to_vec());
        }
        Err(if self.kind(path).is_some() {
            FsError::Other { path: path.into(), message: "is a directory".into() }
        } else {
            FsError::NotFound(path.into())
        })
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, FsError> {
        match self.kind(dir) {
            Some(Kind::Dir) => {}
            Some(Kind::File) => return Err(FsError::NotADirectory(dir.into())),
            None => return Err(FsError::NotFound(dir.into())),
        }
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut out: Vec<(String, Kind)> = Vec::new();
        for path in self.0.keys().filter_map(|k| k.strip_prefix(&prefix)) {
            let entry = match path.split_once('/') {
                Some((d, _)) => (d.to_string(), Kind::Dir),
                None => (path.to_string(), Kind::File),
            };
            if out.last() != Some(&entry) {
                out.push(entry);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn kind(&self, path: &str) -> Option<Kind> {
        if self.0.contains_key(path) {
            return Some(Kind::File);
        }
        let prefix = format!("{path}/");
        (path.is_empty() || self.0.keys().any(|k| k.starts_with(&prefix))).then_some(Kind::Dir)
    }
}

fn config_map(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  value: \"{value}\"\n")
}

/// A generated fleet: bases, overlays of some bases with a patch and a
/// generator, plain directories without kustomization.yaml (nested), and
/// unrelated files. Returns the repository and the Kustomization paths.
fn generated(rng: &mut StdRng) -> (Repo, Vec<String>) {
    let mut repo = Repo::default();
    let mut paths = Vec::new();
    let bases = rng.random_range(1..4);
    for b in 0..bases {
        let dir = format!("bases/b{b}");
        repo.0.insert(format!("{dir}/kustomization.yaml"), "resources:\n- cm.yaml\n".into());
        repo.0.insert(format!("{dir}/cm.yaml"), config_map(&format!("base-{b}"), "0"));
        repo.0.insert(format!("{dir}/NOTES.md"), "notes\n".into());
    }
    for o in 0..rng.random_range(1..5) {
        let dir = format!("clusters/c{o}");
        let mut resources = Vec::new();
        for b in 0..bases {
            if rng.random_bool(0.6) {
                resources.push(format!("- ../../bases/b{b}"));
            }
        }
        resources.push("- own.yaml".into());
        let kust = format!(
            "resources:\n{}\npatches:\n- path: patch.yaml\nconfigMapGenerator:\n- name: gen-{o}\n  files:\n  - settings.env\n",
            resources.join("\n")
        );
        repo.0.insert(format!("{dir}/kustomization.yaml"), kust);
        repo.0.insert(format!("{dir}/own.yaml"), config_map(&format!("own-{o}"), "0"));
        repo.0.insert(format!("{dir}/patch.yaml"), config_map(&format!("own-{o}"), "patched"));
        repo.0.insert(format!("{dir}/settings.env"), "a=1\n".into());
        paths.push(dir);
    }
    for p in 0..rng.random_range(1..3) {
        let dir = format!("plain/p{p}");
        repo.0.insert(format!("{dir}/one.yaml"), config_map(&format!("plain-{p}"), "0"));
        repo.0.insert(format!("{dir}/nested/two.yaml"), config_map(&format!("plain-{p}-two"), "0"));
        repo.0.insert(format!("{dir}/README.md"), "plain\n".into());
        paths.push(dir);
    }
    if rng.random_bool(0.5) {
        paths.push("bases/b0".into());
    }
    repo.0.insert("docs/index.md".into(), "docs\n".into());
    (repo, paths)
}

/// One random edit: modify, add or delete a file somewhere in the tree.
fn edit(repo: &mut Repo, rng: &mut StdRng, n: usize) {
    let files: Vec<String> = repo.0.keys().cloned().collect();
    let dirs: Vec<String> = {
        let mut d: Vec<String> = files.iter().map(|f| change::parent(f).to_string()).collect();
        d.sort();
        d.dedup();
        d
    };
    let pick = |rng: &mut StdRng, v: &[String]| v[rng.random_range(0..v.len())].clone();
    match rng.random_range(0..6) {
        0 | 1 if !files.is_empty() => {
            let f = pick(rng, &files);
            let text = if f.ends_with(".yaml") && !f.ends_with("kustomization.yaml") {
                config_map(&format!("edited-{n}"), &n.to_string())
            } else if f.ends_with(".env") {
                format!("a={n}\n")
            } else {
                format!("{}\n# edit {n}\n", repo.0[&f])
            };
            repo.0.insert(f, text);
        }
        2 if !files.is_empty() => {
            let f = pick(rng, &files);
            repo.0.remove(&f);
        }
        3 => {
            let d = pick(rng, &dirs);
            let name = if rng.random_bool(0.5) { format!("new-{n}.yaml") } else { format!("new-{n}.txt") };
            repo.0.insert(format!("{d}/{name}"), config_map(&format!("new-{n}"), "1"));
        }
        4 => {
            let d = pick(rng, &dirs);
            repo.0.insert(format!("{d}/sub{n}/deep/x.yaml"), config_map(&format!("deep-{n}"), "1"));
        }
        _ => {
            let d = pick(rng, &dirs);
            if rng.random_bool(0.3) {
                let name = ["kustomization.yaml", "kustomization.yml", "Kustomization"][rng.random_range(0..3)];
                repo.0.insert(format!("{d}/{name}"), "resources: []\n".into());
            } else {
                repo.0.insert(format!("elsewhere/f{n}.yaml"), config_map("x", "1"));
            }
        }
    }
}

/// A render's output as comparable text: the objects, or the error.
fn outcome(repo: &Repo, path: &str) -> (String, Option<ReadSet>) {
    match crate::render::render(repo, path) {
        Ok(r) => (serde_json::to_string(&r.objects).unwrap_or_default(), Some(r.read_set)),
        Err(e) => (format!("error: {e}"), None),
    }
}

fn changed_paths(before: &Repo, after: &Repo) -> Vec<String> {
    let mut paths: Vec<String> = before
        .0
        .iter()
        .filter(|(k, v)| after.0.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .chain(after.0.keys().filter(|k| !before.0.contains_key(*k)).cloned())
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_kustomization_whose_output_changed_is_affected() {
    let mut skipped = 0;
    let mut checked = 0;
    for seed in 0..300u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let (before, paths) = generated(&mut rng);
        let mut after = before.clone();
        for n in 0..rng.random_range(1..4) {
            edit(&mut after, &mut rng, n);
        }
        let mut sets = ReadSets::new();
        let mut outputs = Vec::new();
        for path in &paths {
            let (out, read_set) = outcome(&before, path);
            if let Some(read_set) = read_set {
                sets.insert(
                    path,
                    ReadSetRecord { revision: A.into(), path: path.clone(), read_set, spec_digest: "d".into() },
                );
            }
            outputs.push(out);
        }
        let paths_changed = changed_paths(&before, &after);
        let changes = classify(&paths_changed, &before, &after);
        let targets: Vec<Target<'_>> = paths.iter().map(|p| Target { key: p, spec_digest: "d" }).collect();
        let plan = sets.plan(&Update { from: Some(A), to: B, changes: Some(&changes) }, &targets, Mode::Planned);
        for (path, old) in paths.iter().zip(&outputs) {
            let (new, _) = outcome(&after, path);
            let reason = plan.reason(path);
            if *old != new {
                assert!(
                    reason.is_some(),
                    "seed {seed}: {path} changed but was skipped; changes {changes:?}\nbefore {old}\nafter {new}"
                );
            }
            checked += 1;
            skipped += usize::from(reason.is_none());
        }
    }
    // The check means something only if the plan skips a fair share.
    assert!(skipped * 3 > checked, "skipped {skipped} of {checked}");
}

#[test]
fn a_failed_kustomization_runs_at_every_revision_until_it_succeeds() {
    let mut sets = fleet();
    sets.mark_failed("flux-system/prod");
    let plan = plan_changes(&sets, &[]);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "its last reconcile failed")]));
    // Skipped ones see the revision; the failed one stays failed.
    sets.mark_skipped_seen(&plan, B);
    assert_eq!(sets.get("flux-system/prod"), None);
    assert_eq!(sets.common_revision(), Some(B));
    // Not written: after a restart it is a first render.
    let back = ReadSets::from_bytes(&sets.to_bytes());
    let plan = back.plan(&Update { from: Some(B), to: C, changes: Some(&[]) }, &targets(), Mode::Planned);
    assert_eq!(affected(&plan), pairs(&[("flux-system/prod", "first render")]));
    // A successful render replaces the mark.
    sets.insert("flux-system/prod", record(B, "clusters/prod", &["clusters/prod/kustomization.yaml"], &[]));
    let plan = sets.plan(&Update { from: Some(B), to: C, changes: Some(&[]) }, &targets(), Mode::Planned);
    assert_eq!(plan.affected(), 0);
}
