//! Fetch timings of `Mirror::fetch` against `git fetch` into an equivalent mirror, in the same run: the initial
//! (depth 1) fetch of a branch, the incremental fetch of one new commit, and a fetch with nothing new.
//! Prints a Markdown table with medians and the ratio driftless / git.
//!
//! Driven by `scripts/bench/git_fetch.sh`, which generates the origin (10,000 files, 5,000 commits):
//! `cargo bench --bench git_fetch -- <origin work tree> [runs]`. Without an origin (plain `cargo bench`) it
//! does nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use driftless::source::{Credentials, Mirror, Reference, Remote};

/// A git command isolated from the machine's and user's git config.
fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com");
    cmd
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("git runs");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The two mirrors under test and how to fetch into each.
struct Bench {
    origin: PathBuf,
    url: String,
    mirror: Mirror,
    git_mirror: PathBuf,
}

impl Bench {
    fn remote(&self) -> Remote {
        Remote {
            url: self.url.clone(),
            reference: Reference::Branch("main".to_string()),
            timeout: Duration::from_secs(600),
            credentials: Credentials::default(),
            expect: None,
        }
    }

    /// `Mirror::fetch` of `main`; returns the time taken and the commit.
    fn driftless(&self) -> (Duration, String) {
        let remote = self.remote();
        let started = Instant::now();
        let fetched = self.mirror.fetch(&remote).expect("Mirror::fetch");
        (started.elapsed(), fetched.revision.commit)
    }

    /// `git fetch` of `main` into the git mirror (`extra` adds e.g. `--depth=1`); returns the time and the commit.
    fn git(&self, extra: &[&str]) -> (Duration, String) {
        let mut cmd = git(&self.git_mirror);
        cmd.args(["fetch", "-q", "--no-tags"]).args(extra).args([&self.url, "+refs/heads/main:refs/heads/main"]);
        let started = Instant::now();
        run(&mut cmd);
        let took = started.elapsed();
        (took, run(git(&self.git_mirror).args(["rev-parse", "refs/heads/main"])))
    }

    /// Commits one changed file in the origin; returns the commit.
    fn push_one_commit(&self, n: usize) -> String {
        let file = self.origin.join("apps/app-000/manifest-000.yaml");
        std::fs::write(&file, format!("kind: ConfigMap\nmetadata:\n  name: bench\ndata:\n  run: \"{n}\"\n"))
            .expect("write");
        run(git(&self.origin).args(["commit", "-q", "-a", "-m", &format!("bench {n}")]));
        run(git(&self.origin).args(["rev-parse", "HEAD"]))
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn row(what: &str, ours: Duration, theirs: Duration) {
    println!("| {what} | {} | {} | {:.2} |", ms(ours), ms(theirs), ours.as_secs_f64() / theirs.as_secs_f64());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let Some(origin) = args.first().map(PathBuf::from) else {
        eprintln!("git_fetch: no origin given; run scripts/bench/git_fetch.sh");
        return;
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(15).max(1);
    driftless::source::init_crypto();
    let work = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", origin.display());
    let mirror = Mirror::open(&work.path().join("data"), &url).expect("open the mirror");
    let git_mirror = work.path().join("git-mirror.git");
    run(git(work.path()).args(["init", "-q", "--bare", git_mirror.to_str().expect("utf-8 path")]));
    let bench = Bench { origin: origin.clone(), url, mirror, git_mirror };

    // The initial fetch: both shallow (depth 1), as the mirror does on a branch's first fetch.
    let (initial_ours, tip) = bench.driftless();
    let (initial_git, git_tip) = bench.git(&["--depth=1"]);
    assert_eq!(tip, git_tip);

    let (mut incremental_ours, mut incremental_git) = (Vec::new(), Vec::new());
    let (mut idle_ours, mut idle_git) = (Vec::new(), Vec::new());
    for n in 0..runs {
        let pushed = bench.push_one_commit(n);
        // Alternate who goes first, so neither always meets a warm or a cold cache.
        let (ours, theirs) = if n % 2 == 0 {
            let ours = bench.driftless();
            (ours, bench.git(&[]))
        } else {
            let theirs = bench.git(&[]);
            (bench.driftless(), theirs)
        };
        assert_eq!((&ours.1, &theirs.1), (&pushed, &pushed), "both fetched the new commit");
        incremental_ours.push(ours.0);
        incremental_git.push(theirs.0);
        idle_ours.push(bench.driftless().0);
        idle_git.push(bench.git(&[]).0);
    }

    println!("| fetch over file:// | driftless `Mirror::fetch` | `git fetch` | ratio |");
    println!("|---|---|---|---|");
    row("initial fetch of `main`, depth 1 (1 run)", initial_ours, initial_git);
    row(&format!("one new commit (median of {runs})"), median(&mut incremental_ours), median(&mut incremental_git));
    row(&format!("nothing new (median of {runs})"), median(&mut idle_ours), median(&mut idle_git));
}
