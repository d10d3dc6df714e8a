//! In-process render time of the benchmark overlays (see scripts/bench/render.sh and render_fixture.py): the
//! whole build (parse, accumulate, patch, generate, transform, sort, print) from an in-memory tree, as the daemon
//! renders from a git tree. Set DRIFTLESS_RENDER_FIXTURE to a directory written by render_fixture.py; without it
//! the fixture is generated into a temporary directory.

use criterion::{Criterion, criterion_group, criterion_main};
use driftless::render::fs::{Fs, FsError, Kind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The daemon's allocator (src/main.rs), so the figure is the one the daemon gets.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A tree of files held in memory.
struct MemFs {
    files: BTreeMap<String, Vec<u8>>,
    dirs: std::collections::BTreeSet<String>,
}

impl MemFs {
    fn load(root: &Path) -> MemFs {
        fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
            for e in std::fs::read_dir(dir).expect("read fixture") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    walk(root, &p, files);
                } else {
                    let rel = p.strip_prefix(root).expect("inside").to_string_lossy().into_owned();
                    files.insert(rel, std::fs::read(&p).expect("read"));
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(root, root, &mut files);
        let mut dirs = std::collections::BTreeSet::from([String::new()]);
        for path in files.keys() {
            let mut p = path.as_str();
            while let Some((parent, _)) = p.rsplit_once('/') {
                dirs.insert(parent.to_string());
                p = parent;
            }
        }
        MemFs { files, dirs }
    }
}

impl Fs for MemFs {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        self.files.get(path).cloned().ok_or_else(|| FsError::NotFound(path.to_string()))
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, FsError> {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut out: Vec<(String, Kind)> = Vec::new();
        for path in self.files.keys().filter(|p| p.starts_with(&prefix)) {
            let rest = &path[prefix.len()..];
            let entry = match rest.split_once('/') {
                Some((d, _)) => (d.to_string(), Kind::Dir),
                None => (rest.to_string(), Kind::File),
            };
            if out.last() != Some(&entry) {
                out.push(entry);
            }
        }
        out.dedup();
        Ok(out)
    }

    fn kind(&self, path: &str) -> Option<Kind> {
        if self.dirs.contains(path) {
            Some(Kind::Dir)
        } else if self.files.contains_key(path) {
            Some(Kind::File)
        } else {
            None
        }
    }
}

fn fixture() -> (Option<tempfile::TempDir>, PathBuf) {
    if let Ok(dir) = std::env::var("DRIFTLESS_RENDER_FIXTURE") {
        return (None, PathBuf::from(dir));
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench/render_fixture.py");
    let ok = std::process::Command::new("python3").arg(script).arg(tmp.path()).status().expect("python3 runs");
    assert!(ok.success(), "render_fixture.py failed");
    let path = tmp.path().to_path_buf();
    (Some(tmp), path)
}

fn bench(c: &mut Criterion) {
    let (_keep, root) = fixture();
    let fs = MemFs::load(&root);
    for (name, dir) in [("small overlay (7 objects)", "small/overlay"), ("large overlay (502 objects)", "large/prod")] {
        let out = driftless::render::build(&fs, dir).expect("the fixture renders");
        assert!(out.len() > 100);
        c.bench_function(&format!("render {name}"), |b| b.iter(|| driftless::render::build(&fs, dir).unwrap()));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
