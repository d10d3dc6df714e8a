//! Builtin kustomize plugins in `generators:` and `transformers:`: what a
//! user sees besides the output the conformance corpus checks. The files a
//! plugin configuration lives in, and the files it names, are part of the
//! read-set (so changing them re-renders the Kustomization), and plugins that
//! would run a program are refused with an error that says so, before anything runs.

use driftless::render::{self, fs::LocalFs};
use std::path::Path;

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
    std::fs::write(full, text).expect("write");
}

#[test]
fn plugin_configurations_and_the_files_they_name_are_in_the_read_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "app/kustomization.yaml",
        "resources:\n- cm.yaml\ngenerators:\n- ../plugins\ntransformers:\n- patch.yaml\n",
    );
    write(root, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  MODE: a\n");
    write(
        root,
        "app/patch.yaml",
        "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: mode\npath: mode-patch.yaml\n",
    );
    write(
        root,
        "app/mode-patch.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  MODE: b\n",
    );
    write(root, "app/limits.env", "MAX=10\n");
    write(root, "plugins/kustomization.yaml", "resources:\n- limits.yaml\n");
    write(
        root,
        "plugins/limits.yaml",
        "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: limits\nenvs:\n- limits.env\noptions:\n  disableNameSuffixHash: true\n",
    );
    let fs = LocalFs::new(root).expect("fs");
    let rendered = render::render(&fs, "app").expect("renders");
    let names: Vec<&str> =
        rendered.objects.iter().filter_map(|o| o.pointer("/metadata/name").and_then(|v| v.as_str())).collect();
    assert_eq!(names, vec!["limits", "settings"]);
    assert_eq!(rendered.objects[1].pointer("/data/MODE").and_then(|v| v.as_str()), Some("b"));
    // The generator's `envs` file is read relative to the kustomization listing the plugin (app/).
    assert_eq!(rendered.objects[0].pointer("/data/MAX").and_then(|v| v.as_str()), Some("10"));
    for file in ["app/patch.yaml", "app/mode-patch.yaml", "app/limits.env", "plugins/limits.yaml"] {
        assert!(rendered.read_set.files.contains(file), "{file} missing from {:?}", rendered.read_set.files);
    }
    assert!(rendered.read_set.dirs.contains("plugins"));
}

#[test]
fn a_plugin_that_would_run_a_program_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let marker = root.join("ran");
    write(root, "kustomization.yaml", "transformers:\n- run.yaml\n");
    write(
        root,
        "run.yaml",
        &format!(
            "apiVersion: example.com/v1\nkind: Touch\nmetadata:\n  name: touch\n  annotations:\n    \
             config.kubernetes.io/function: |\n      exec:\n        path: /usr/bin/touch\nargs:\n- {}\n",
            marker.display()
        ),
    );
    let fs = LocalFs::new(root).expect("fs");
    let err = render::render(&fs, "").expect_err("refused").to_string();
    assert!(err.contains("unable to load external plugin 'Touch'"), "{err}");
    assert!(err.contains("never run from a repository"), "{err}");
    assert!(err.contains("run.yaml"), "{err}");
    assert!(!marker.exists());
}

#[test]
fn a_generator_plugin_cannot_read_files_outside_its_kustomization() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "secret.txt", "hunter2\n");
    write(
        root,
        "app/kustomization.yaml",
        "generators:\n- |-\n  apiVersion: builtin\n  kind: SecretGenerator\n  metadata:\n    name: s\n  files:\n  - ../secret.txt\n",
    );
    let fs = LocalFs::new(root).expect("fs");
    let err = render::render(&fs, "app").expect_err("refused").to_string();
    assert!(err.contains("is not in or below app"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
