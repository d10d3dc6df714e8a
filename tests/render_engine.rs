//! The renderer as the daemon uses it: read-sets for the planner, the
//! repository boundary, hostile input, Flux's generated kustomization and
//! Flux's Kustomization options.

use driftless::render::fs::LocalFs;
use driftless::render::{Options, Overrides, RenderError, build, render, render_with};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n")
}

fn names(objects: &[Value]) -> Vec<String> {
    objects.iter().map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string()).collect()
}

fn fleet() -> tempfile::TempDir {
    tree(&[
        ("clusters/base/kustomization.yaml", "resources:\n- app.yaml\n"),
        ("clusters/base/app.yaml", &cm("app")),
        ("clusters/base/unused.yaml", &cm("unused")),
        ("clusters/dev/kustomization.yaml", "resources:\n- ../base\nnamePrefix: dev-\npatches:\n- path: patch.yaml\n"),
        ("clusters/dev/patch.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: dev\n"),
        ("clusters/prod/kustomization.yaml", "resources:\n- ../base\nnamePrefix: prod-\n"),
        ("clusters/staging/kustomization.yaml", "resources:\n- app.yaml\n"),
        ("clusters/staging/app.yaml", &cm("staging")),
        ("README.md", "# fleet\n"),
    ])
}

#[test]
fn the_read_set_names_every_file_and_directory_a_render_used() {
    let d = fleet();
    let fs = LocalFs::new(d.path()).unwrap();
    let dev = render(&fs, "clusters/dev").unwrap();
    let prod = render(&fs, "clusters/prod").unwrap();
    let staging = render(&fs, "clusters/staging").unwrap();
    assert_eq!(names(&dev.objects), ["dev-app"]);
    assert_eq!(dev.objects[0]["data"]["k"], "dev");
    // A file in the base is read by every overlay that uses it, and by no other.
    for overlay in [&dev, &prod] {
        assert!(overlay.read_set.files.contains("clusters/base/app.yaml"));
        assert!(overlay.read_set.files.contains("clusters/base/kustomization.yaml"));
        assert!(overlay.read_set.dirs.contains("clusters/base"));
    }
    assert!(!staging.read_set.files.contains("clusters/base/app.yaml"));
    assert!(dev.read_set.files.contains("clusters/dev/patch.yaml"));
    assert!(!prod.read_set.files.contains("clusters/dev/patch.yaml"));
    // Files nobody names are in no read-set.
    for r in [&dev, &prod, &staging] {
        assert!(!r.read_set.files.contains("clusters/base/unused.yaml"));
        assert!(!r.read_set.files.contains("README.md"));
    }
}

#[test]
fn a_missing_resource_is_in_the_read_set_so_adding_it_is_noticed() {
    let d = tree(&[("app/kustomization.yaml", "resources:\n- later.yaml\n")]);
    let fs = LocalFs::new(d.path()).unwrap();
    let e = render(&fs, "app").unwrap_err().to_string();
    assert!(e.contains("later.yaml"), "{e}");
}

#[test]
fn nothing_outside_the_repository_is_read() {
    let outside = tree(&[("secret.yaml", &cm("stolen"))]);
    let link_target = outside.path().join("secret.yaml");
    let d = tree(&[
        ("up/kustomization.yaml", "resources:\n- ../../outside\n"),
        ("abs/kustomization.yaml", &format!("resources:\n- {}\n", link_target.display())),
        ("file-up/kustomization.yaml", "resources:\n- ../shared.yaml\n"),
        ("shared.yaml", &cm("shared")),
        ("remote/kustomization.yaml", "resources:\n- https://github.com/example/fleet//base?ref=v1\n"),
        ("remote2/kustomization.yaml", "resources:\n- github.com/example/fleet/base?ref=v1\n"),
        ("link/kustomization.yaml", "resources:\n- secret.yaml\n"),
        ("patch-up/kustomization.yaml", "resources:\n- a.yaml\npatches:\n- path: ../shared.yaml\n"),
        ("patch-up/a.yaml", &cm("shared")),
    ]);
    std::os::unix::fs::symlink(&link_target, d.path().join("link/secret.yaml")).unwrap();
    let fs = LocalFs::new(d.path()).unwrap();
    let err = |dir: &str| render(&fs, dir).unwrap_err().to_string();
    assert!(err("up").contains("leaves the repository"), "{}", err("up"));
    assert!(err("abs").contains("absolute path"), "{}", err("abs"));
    assert!(err("file-up").contains("security"), "{}", err("file-up"));
    assert!(err("remote").contains("remote resource"), "{}", err("remote"));
    assert!(err("remote2").contains("remote resource"), "{}", err("remote2"));
    assert!(err("link").contains("leaves the repository root"), "{}", err("link"));
    assert!(err("patch-up").contains("security"), "{}", err("patch-up"));
}

#[test]
fn hostile_input_is_an_error_not_a_hang() {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n\
                i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {}{}\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    let huge =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: \"{}\"\n", "x".repeat(9 << 20));
    let d = tree(&[
        ("bomb/kustomization.yaml", "resources:\n- bomb.yaml\n"),
        ("bomb/bomb.yaml", &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{bomb}")),
        ("deep/kustomization.yaml", "resources:\n- deep.yaml\n"),
        ("deep/deep.yaml", &deep),
        ("huge/kustomization.yaml", "resources:\n- huge.yaml\n"),
        ("huge/huge.yaml", &huge),
        ("cycle-a/kustomization.yaml", "resources:\n- ../cycle-b\n"),
        ("cycle-b/kustomization.yaml", "resources:\n- ../cycle-a\n"),
        ("self/kustomization.yaml", "resources:\n- .\n"),
    ]);
    let fs = LocalFs::new(d.path()).unwrap();
    for dir in ["bomb", "deep", "huge", "cycle-a", "self"] {
        let started = Instant::now();
        let e = render(&fs, dir).expect_err(dir);
        assert!(started.elapsed() < Duration::from_secs(10), "{dir} took {:?}", started.elapsed());
        assert!(matches!(e, RenderError::Invalid { .. } | RenderError::Fs(_)), "{dir}: {e}");
        assert!(e.to_string().contains(dir), "{dir}: the error names the file: {e}");
    }
}

#[test]
fn a_directory_without_kustomization_is_built_as_flux_generates_it() {
    let d = tree(&[
        ("apps/b.yaml", &cm("b")),
        ("apps/a.yml", &cm("a")),
        ("apps/notes.json", "{\"not\": \"a manifest\"}"),
        ("apps/README.md", "# apps"),
        ("apps/nested/c.yaml", &cm("c")),
        ("apps/kustomized/kustomization.yaml", "resources:\n- d.yaml\nnamePrefix: k-\n"),
        ("apps/kustomized/d.yaml", &cm("d")),
        ("apps/kustomized/ignored.yaml", &cm("ignored")),
        ("empty/README.md", "# nothing here"),
    ]);
    let fs = LocalFs::new(d.path()).unwrap();
    let r = render(&fs, "apps").unwrap();
    assert_eq!(names(&r.objects), ["a", "b", "c", "k-d"]);
    assert!(r.read_set.dirs.contains("apps/nested"), "a file added to a listed directory is noticed");
    assert!(render(&fs, "empty").unwrap().objects.is_empty());
}

#[test]
fn flux_options_change_the_top_kustomization() {
    let d = tree(&[
        ("base/kustomization.yaml", "resources:\n- deploy.yaml\n"),
        (
            "base/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: other\nspec:\n  replicas: ${REPLICAS:=1}\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n        env:\n        - name: GREETING\n          value: ${GREETING}\n",
        ),
        ("app/kustomization.yaml", "resources:\n- ../base\nnamePrefix: own-\n"),
        (
            "comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- extra.yaml\n",
        ),
        ("comp/extra.yaml", &cm("extra")),
    ]);
    let fs = LocalFs::new(d.path()).unwrap();
    let mut vars = std::collections::BTreeMap::new();
    vars.insert("GREETING".to_string(), "hello".to_string());
    let options = Options {
        overrides: Overrides {
            namespace: Some("team".into()),
            name_prefix: Some("flux-".into()),
            name_suffix: None,
            patches: vec![json!({"patch": "- op: add\n  path: /metadata/annotations\n  value: {patched: \"yes\"}\n",
                "target": {"kind": "Deployment"}})],
            images: vec![json!({"name": "nginx", "newTag": "1.27"})],
            components: vec!["../comp".into()],
        },
        substitute: Some((driftless::render::substitute::Vars::new(vars).unwrap(), false)),
        common_labels: [("team".to_string(), json!("a"))].into_iter().collect(),
        common_annotations: Default::default(),
    };
    let r = render_with(&fs, "app", &options).unwrap();
    assert_eq!(names(&r.objects), ["flux-extra", "flux-web"]);
    let web = &r.objects[1];
    assert_eq!(web["metadata"]["namespace"], "team");
    assert_eq!(web["metadata"]["annotations"]["patched"], "yes");
    assert_eq!(web["metadata"]["labels"]["team"], "a");
    assert_eq!(web["spec"]["replicas"], 1);
    assert_eq!(web["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");
    assert_eq!(web["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"], "hello");
    assert!(web["spec"]["selector"]["matchLabels"].get("team").is_none(), "commonMetadata touches metadata only");
    assert!(r.read_set.files.contains("comp/extra.yaml"));
}

#[test]
fn build_prints_what_kubectl_kustomize_prints() {
    let d = tree(&[
        ("app/kustomization.yaml", "resources:\n- cm.yaml\nnamespace: prod\n"),
        ("app/cm.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: x\ndata:\n  on: yes\n  b: \"2\"\n"),
    ]);
    let fs = LocalFs::new(d.path()).unwrap();
    assert_eq!(
        build(&fs, "app").unwrap(),
        "apiVersion: v1\ndata:\n  b: \"2\"\n  \"on\": \"yes\"\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: prod\n"
    );
}
