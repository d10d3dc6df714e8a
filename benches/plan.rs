//! `ReadSets::plan` over 1,000 Kustomizations (10 clusters × 100 apps, each app an overlay of one of 10 shared
//! bases) for a change of 1 path and of 100 paths (a mix of app files, base files and unrelated paths), in planned
//! and in reconcile-everything mode. Target: well under 1 ms for the 100-path change. Also measured: indexing all
//! 1,000 records (what a restart pays once) and reading them back from JSON.
//! Run with `cargo bench --bench plan`.

use criterion::{Criterion, criterion_group, criterion_main};
use driftless::plan::{Change, ChangeKind, Mode, ReadSetRecord, ReadSets, Target, Update};
use driftless::render::ReadSet;
use std::hint::black_box;

const CLUSTERS: usize = 10;
const APPS: usize = 100;
const BASES: usize = 10;
const FROM: &str = "1111111111111111111111111111111111111111";
const TO: &str = "2222222222222222222222222222222222222222";

fn key(cluster: usize, app: usize) -> String {
    format!("flux-system/c{cluster}-app{app:03}")
}

/// What rendering `clusters/c<n>/apps/app<m>` reads: its own kustomization, deployment, patch and generator input,
/// and its base (kustomization and three manifests); its own directory and the base's are listed.
fn record(cluster: usize, app: usize) -> ReadSetRecord {
    let dir = format!("clusters/c{cluster}/apps/app{app:03}");
    let base = format!("bases/kind{}", app % BASES);
    let files = ["kustomization.yaml", "deploy.yaml", "patch.yaml", "settings.env"]
        .iter()
        .map(|f| format!("{dir}/{f}"))
        .chain(
            ["kustomization.yaml", "deploy.yaml", "service.yaml", "config.yaml"].iter().map(|f| format!("{base}/{f}")),
        )
        .collect();
    ReadSetRecord {
        revision: FROM.into(),
        path: dir.clone(),
        read_set: ReadSet { files, dirs: [dir, base].into() },
        spec_digest: "sha256:spec".into(),
    }
}

fn records() -> Vec<(String, ReadSetRecord)> {
    (0..CLUSTERS).flat_map(|c| (0..APPS).map(move |a| (key(c, a), record(c, a)))).collect()
}

fn modified(path: String) -> Change {
    Change { path, kind: ChangeKind::Modified }
}

/// 100 changed paths: 40 app files, 10 new files in app directories, 2 base files, 48 unrelated documents.
fn hundred() -> Vec<Change> {
    let mut changes: Vec<Change> = (0..40)
        .map(|i| modified(format!("clusters/c{}/apps/app{:03}/deploy.yaml", i % CLUSTERS, i * 2)))
        .chain((0..10).map(|i| {
            let dir = format!("clusters/c{i}/apps/app{:03}", 50 + i);
            Change { path: format!("{dir}/new.yaml"), kind: ChangeKind::Added { dir } }
        }))
        .chain((0..2).map(|i| modified(format!("bases/kind{i}/config.yaml"))))
        .chain((0..48).map(|i| modified(format!("docs/runbooks/page{i:02}.md"))))
        .collect();
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

fn plan(c: &mut Criterion) {
    let records = records();
    let mut sets = ReadSets::new();
    for (k, r) in &records {
        sets.insert(k, r.clone());
    }
    let keys: Vec<String> = records.iter().map(|(k, _)| k.clone()).collect();
    let targets: Vec<Target<'_>> = keys.iter().map(|k| Target { key: k, spec_digest: "sha256:spec" }).collect();
    let one = [modified("clusters/c3/apps/app042/deploy.yaml".into())];
    let hundred = hundred();

    let planned = sets.plan(&Update { from: Some(FROM), to: TO, changes: Some(&one) }, &targets, Mode::Planned);
    assert_eq!((planned.total(), planned.affected()), (1000, 1));
    let planned = sets.plan(&Update { from: Some(FROM), to: TO, changes: Some(&hundred) }, &targets, Mode::Planned);
    // 40 edited apps, 10 with a new file, the 2 × 10 × 10 overlays of the two edited bases; 10 are in two groups.
    assert_eq!(planned.affected(), 40 + 10 + 200 - 10);

    let mut group = c.benchmark_group("plan 1,000 Kustomizations");
    group.bench_function("1 changed path", |b| {
        b.iter(|| {
            sets.plan(&Update { from: Some(FROM), to: TO, changes: Some(black_box(&one)) }, &targets, Mode::Planned)
        })
    });
    group.bench_function("100 changed paths", |b| {
        b.iter(|| {
            sets.plan(&Update { from: Some(FROM), to: TO, changes: Some(black_box(&hundred)) }, &targets, Mode::Planned)
        })
    });
    group.bench_function("reconcile-everything mode", |b| {
        b.iter(|| {
            sets.plan(
                &Update { from: Some(FROM), to: TO, changes: Some(black_box(&hundred)) },
                &targets,
                Mode::Everything,
            )
        })
    });
    group.bench_function("index 1,000 records", |b| {
        b.iter(|| {
            let mut sets = ReadSets::new();
            for (k, r) in &records {
                sets.insert(k, r.clone());
            }
            sets
        })
    });
    let saved = sets.to_bytes();
    group.bench_function("read 1,000 records back from JSON", |b| b.iter(|| ReadSets::from_bytes(black_box(&saved))));
    group.finish();
}

criterion_group!(benches, plan);
criterion_main!(benches);
