//! The kustomize conformance corpus: every case under `tests/kustomize/` is
//! built with `driftless::render::build` and compared with what
//! `kubectl kustomize` (kustomize v5.5) printed for the same input.
//!
//! A case is a directory holding `files/` (the input tree), `target` (the
//! directory under `files/` to build, `.` for `files/` itself) and either
//! `expected.yaml` (kustomize's output, compared byte for byte) or
//! `expected.err` (kustomize rejected the input, so the build must fail too).
//! `scripts/kustomize-goldens.sh` regenerates the expectations.
//!
//! Cases that do not pass yet are listed in `tests/kustomize/KNOWN_FAILURES`.
//! The test fails when a case outside that list fails, and also when a listed
//! case passes or no longer exists, so the list only ever shrinks.
//! `DRIFTLESS_UPDATE_KNOWN_FAILURES=1` rewrites the list to the cases that fail
//! now instead of failing.

use driftless::render::fs::LocalFs;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The environment variable that rewrites `KNOWN_FAILURES` instead of failing.
const UPDATE_VAR: &str = "DRIFTLESS_UPDATE_KNOWN_FAILURES";
/// How many differing lines a failure report shows.
const DIFF_LINES: usize = 30;
/// Lines of unchanged text shown around each change.
const DIFF_CONTEXT: usize = 2;

/// Where the corpus lives.
fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("kustomize")
}

/// What kustomize did with a case's input.
enum Expected {
    /// It printed this output.
    Output(String),
    /// It refused the input with this message.
    Error(String),
}

/// One corpus case.
struct Case {
    name: String,
    dir: PathBuf,
}

impl Case {
    /// The directory to build, relative to `files/` (`""` for `files/` itself).
    fn target(&self) -> Result<String, String> {
        let text = std::fs::read_to_string(self.dir.join("target")).map_err(|e| format!("target: {e}"))?;
        let target = text.trim();
        Ok(if target == "." { String::new() } else { target.trim_start_matches("./").to_string() })
    }

    fn expected(&self) -> Result<Expected, String> {
        let yaml = self.dir.join("expected.yaml");
        let err = self.dir.join("expected.err");
        match (yaml.is_file(), err.is_file()) {
            (true, false) => std::fs::read_to_string(&yaml).map(Expected::Output).map_err(|e| e.to_string()),
            (false, true) => std::fs::read_to_string(&err).map(Expected::Error).map_err(|e| e.to_string()),
            (true, true) => Err("has both expected.yaml and expected.err; regenerate it".into()),
            (false, false) => {
                Err("has neither expected.yaml nor expected.err; run scripts/kustomize-goldens.sh".into())
            }
        }
    }

    /// Builds the case; `Ok(())` when the result matches kustomize, else what differs.
    fn check(&self) -> Result<(), String> {
        let target = self.target()?;
        let expected = self.expected()?;
        let fs = LocalFs::new(&self.dir.join("files")).map_err(|e| format!("files/: {e}"))?;
        let built = std::panic::catch_unwind(|| driftless::render::build(&fs, &target))
            .map_err(|p| format!("build panicked: {}", panic_message(&*p)))?;
        match (expected, built) {
            (Expected::Output(want), Ok(got)) if want == got => Ok(()),
            (Expected::Output(want), Ok(got)) => {
                Err(format!("output differs (- kustomize, + driftless):\n{}", diff(&want, &got)))
            }
            (Expected::Output(_), Err(e)) => Err(format!("build failed where kustomize succeeded: {e}")),
            (Expected::Error(_), Err(_)) => Ok(()),
            (Expected::Error(msg), Ok(_)) => {
                Err(format!("build succeeded where kustomize failed with:\n{}", indent(msg.trim_end())))
            }
        }
    }
}

/// The message a panic carried.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

/// `text` indented by four spaces, for nesting in a report.
fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// Every case directory, sorted by name.
fn cases(corpus: &Path) -> Vec<Case> {
    let mut out: Vec<Case> = std::fs::read_dir(corpus)
        .unwrap_or_else(|e| panic!("{}: {e}", corpus.display()))
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| Case { name: e.file_name().to_string_lossy().into_owned(), dir: e.path() })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The known-failures list: its leading comment block, and each listed case
/// with the comment that follows it on its line (if any).
#[derive(Default)]
struct KnownFailures {
    header: Vec<String>,
    cases: BTreeMap<String, Option<String>>,
}

impl KnownFailures {
    fn parse(text: &str) -> KnownFailures {
        let mut list = KnownFailures::default();
        let mut in_header = true;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with('#') {
                if in_header {
                    list.header.push(trimmed.to_string());
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            in_header = false;
            let (name, comment) = match trimmed.split_once('#') {
                Some((name, comment)) => (name.trim(), Some(comment.trim().to_string())),
                None => (trimmed, None),
            };
            list.cases.insert(name.to_string(), comment.filter(|c| !c.is_empty()));
        }
        list
    }

    /// The list naming exactly `failing`, keeping the header and the comments of cases that stay.
    fn render(&self, failing: &BTreeSet<String>) -> String {
        let mut out = String::new();
        let header = if self.header.is_empty() { default_header() } else { self.header.clone() };
        for line in header {
            out.push_str(&line);
            out.push('\n');
        }
        for name in failing {
            match self.cases.get(name) {
                Some(Some(comment)) => {
                    let _ = writeln!(out, "{name}  # {comment}");
                }
                _ => {
                    out.push_str(name);
                    out.push('\n');
                }
            }
        }
        out
    }
}

fn default_header() -> Vec<String> {
    vec![
        "# Corpus cases that `driftless::render::build` does not match yet, one per line (see".into(),
        "# tests/render_conformance.rs). Remove a case once it passes; the test fails if a listed case passes.".into(),
        format!("# `{UPDATE_VAR}=1 cargo test --test render_conformance` rewrites this list."),
    ]
}

#[test]
fn driftless_build_prints_what_kubectl_kustomize_prints_for_every_corpus_case() {
    let corpus = corpus_dir();
    let list_path = corpus.join("KNOWN_FAILURES");
    let known = KnownFailures::parse(&std::fs::read_to_string(&list_path).unwrap_or_default());
    let cases = cases(&corpus);
    assert!(!cases.is_empty(), "no cases under {}", corpus.display());

    let mut failing = BTreeSet::new();
    let mut unexpected = Vec::new();
    for case in &cases {
        if let Err(why) = case.check() {
            failing.insert(case.name.clone());
            if !known.cases.contains_key(&case.name) {
                unexpected.push((case.name.clone(), why));
            }
        }
    }
    let passed = cases.len() - failing.len();
    println!("conformance: {passed}/{} passed", cases.len());

    if std::env::var_os(UPDATE_VAR).is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&list_path, known.render(&failing)).unwrap_or_else(|e| panic!("{}: {e}", list_path.display()));
        println!("{}: now lists {} failing cases", list_path.display(), failing.len());
        return;
    }

    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let mut report = String::new();
    for (name, why) in &unexpected {
        let _ = writeln!(report, "FAIL {name}: {}", why.trim_end());
    }
    for name in known.cases.keys() {
        if !names.contains(name.as_str()) {
            let _ = writeln!(report, "KNOWN_FAILURES lists {name}, which is not a case");
        } else if !failing.contains(name) {
            let _ = writeln!(report, "PASS {name}: now passes; remove it from KNOWN_FAILURES");
        }
    }
    assert!(
        report.is_empty(),
        "{report}\nconformance: {passed}/{} passed; {} unexpected failures. \
         Fix them, or run with {UPDATE_VAR}=1 to rewrite tests/kustomize/KNOWN_FAILURES.",
        cases.len(),
        unexpected.len()
    );
}

/// A line-level edit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edit {
    Same,
    Removed,
    Added,
}

/// Largest product of line counts diffed line by line; beyond it only the first difference is shown.
const MAX_DIFF_CELLS: usize = 4_000_000;

/// A short unified diff of `want` against `got`: hunks with a little context,
/// cut after [`DIFF_LINES`] changed lines.
fn diff(want: &str, got: &str) -> String {
    let a: Vec<&str> = want.split_inclusive('\n').collect();
    let b: Vec<&str> = got.split_inclusive('\n').collect();
    if a.len().saturating_mul(b.len()) > MAX_DIFF_CELLS {
        return first_difference(&a, &b);
    }
    // Each edit with the line it shows and where it stands in both texts.
    let (mut ia, mut ib) = (0usize, 0usize);
    let mut lines: Vec<(Edit, &str, usize, usize)> = Vec::new();
    for edit in line_edits(&a, &b) {
        lines.push((edit, if edit == Edit::Added { b[ib] } else { a[ia] }, ia, ib));
        match edit {
            Edit::Same => (ia, ib) = (ia + 1, ib + 1),
            Edit::Removed => ia += 1,
            Edit::Added => ib += 1,
        }
    }
    let changes: Vec<usize> = (0..lines.len()).filter(|&k| lines[k].0 != Edit::Same).collect();
    let mut shown = vec![false; lines.len()];
    for &k in changes.iter().take(DIFF_LINES) {
        let end = (k + DIFF_CONTEXT + 1).min(lines.len());
        shown[k.saturating_sub(DIFF_CONTEXT)..end].iter_mut().for_each(|s| *s = true);
    }
    let mut out = String::new();
    for (k, &(edit, line, ia, ib)) in lines.iter().enumerate() {
        if !shown[k] {
            continue;
        }
        if k == 0 || !shown[k - 1] {
            let _ = writeln!(out, "@@ kustomize line {} / driftless line {} @@", ia + 1, ib + 1);
        }
        let sign = match edit {
            Edit::Same => ' ',
            Edit::Removed => '-',
            Edit::Added => '+',
        };
        push_line(&mut out, sign, line);
    }
    if changes.len() > DIFF_LINES {
        let _ = writeln!(out, "... and {} more changed lines", changes.len() - DIFF_LINES);
    }
    out
}

fn push_line(out: &mut String, sign: char, line: &str) {
    out.push(sign);
    out.push_str(line.strip_suffix('\n').unwrap_or(line));
    if !line.ends_with('\n') {
        out.push_str("⏎ (no newline at end)");
    }
    out.push('\n');
}

/// The edits turning `a` into `b`, from a longest common subsequence of lines.
fn line_edits(a: &[&str], b: &[&str]) -> Vec<Edit> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] =
                if a[i] == b[j] { lcs[at(i + 1, j + 1)] + 1 } else { lcs[at(i + 1, j)].max(lcs[at(i, j + 1)]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut edits = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            edits.push(Edit::Same);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
            edits.push(Edit::Removed);
            i += 1;
        } else {
            edits.push(Edit::Added);
            j += 1;
        }
    }
    edits
}

/// For outputs too long to diff: the first line where they part.
fn first_difference(a: &[&str], b: &[&str]) -> String {
    let k = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let mut out = format!("@@ first difference at line {} @@\n", k + 1);
    for line in a.iter().skip(k).take(DIFF_LINES / 2) {
        push_line(&mut out, '-', line);
    }
    for line in b.iter().skip(k).take(DIFF_LINES / 2) {
        push_line(&mut out, '+', line);
    }
    out
}

#[cfg(test)]
mod runner_tests {
    use super::*;

    #[test]
    fn the_diff_shows_changed_lines_with_context() {
        let d = diff("a\nb\nc\nd\ne\n", "a\nb\nX\nd\ne\n");
        assert_eq!(d, "@@ kustomize line 1 / driftless line 1 @@\n a\n b\n-c\n+X\n d\n e\n");
        let d = diff("a\n", "a\nb");
        assert_eq!(d, "@@ kustomize line 1 / driftless line 1 @@\n a\n+b⏎ (no newline at end)\n");
    }

    #[test]
    fn the_known_failures_list_keeps_its_header_and_comments() {
        let list = KnownFailures::parse("# header\n\nb-case  # needs replacements\na-case\n# stray\n");
        assert_eq!(list.cases.len(), 2);
        let failing: BTreeSet<String> = ["b-case".to_string(), "c-case".to_string()].into();
        assert_eq!(list.render(&failing), "# header\nb-case  # needs replacements\nc-case\n");
    }
}
