//! YAML fidelity against the oracle: for every case under `tests/yaml/`,
//! driftless reads `in.yaml` and prints exactly what `kubectl kustomize`
//! printed for it (`out.yaml`), or refuses it as kustomize did
//! (`expected.err`). Regenerate the goldens with `scripts/yaml-goldens.sh`.

use driftless::render::yaml::{emit, parse_documents};
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/yaml exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Where two texts first differ, for a readable failure.
fn first_difference(expected: &str, got: &str) -> String {
    let line = expected.lines().zip(got.lines()).position(|(a, b)| a != b);
    match line {
        Some(i) => format!(
            "line {}:\n  kustomize: {:?}\n  driftless: {:?}",
            i + 1,
            expected.lines().nth(i).unwrap_or(""),
            got.lines().nth(i).unwrap_or("")
        ),
        None => format!("lengths differ: kustomize {} bytes, driftless {} bytes", expected.len(), got.len()),
    }
}

#[test]
fn every_case_reads_and_prints_as_kustomize_does() {
    let mut failures = Vec::new();
    let (mut printed, mut refused) = (0, 0);
    for dir in cases() {
        let name = dir.file_name().unwrap_or_default().to_string_lossy().to_string();
        let input = std::fs::read_to_string(dir.join("in.yaml")).expect("in.yaml");
        let out = dir.join("out.yaml");
        let err = dir.join("expected.err");
        if out.exists() {
            printed += 1;
            let expected = std::fs::read_to_string(&out).expect("out.yaml");
            match parse_documents(&input) {
                Ok(docs) => {
                    let got = emit(&docs);
                    if got != expected {
                        failures.push(format!("{name}: output differs at {}", first_difference(&expected, &got)));
                    }
                }
                Err(e) => failures.push(format!("{name}: kustomize accepts it, driftless says: {e}")),
            }
        } else if err.exists() {
            refused += 1;
            if let Ok(docs) = parse_documents(&input) {
                let kustomize = std::fs::read_to_string(&err).unwrap_or_default();
                failures.push(format!(
                    "{name}: kustomize refuses it ({}), driftless printed:\n{}",
                    kustomize.trim(),
                    emit(&docs)
                ));
            }
        } else {
            failures.push(format!("{name}: neither out.yaml nor expected.err (run scripts/yaml-goldens.sh)"));
        }
    }
    assert!(printed >= 40 && refused >= 10, "too few cases: {printed} printed, {refused} refused");
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n\n{}",
        failures.len(),
        printed + refused,
        failures.join("\n\n")
    );
}

#[test]
fn errors_name_the_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml");
    let read = |case: &str| std::fs::read_to_string(dir.join(case).join("in.yaml")).expect("case exists");
    let e = parse_documents(&read("err-duplicate-key")).unwrap_err();
    assert_eq!(e.to_string(), "line 7: mapping key \"a\" already defined at line 6");
    let e = parse_documents(&read("err-bad-separator")).unwrap_err();
    assert_eq!(e.to_string(), "line 5: invalid document separator: --- foo");
    let e = parse_documents(&read("err-tab-indent")).unwrap_err();
    assert_eq!(e.line, Some(6), "{e}");
    let e = parse_documents(&read("err-nan")).unwrap_err();
    assert!(e.to_string().contains("unsupported value: NaN"), "{e}");
}
