//! Expectations below were taken from `kubectl kustomize` (kustomize v5.5.0)
//! on the equivalent kustomization trees.

use super::*;
use serde_json::json;

fn res(v: Value) -> Resource {
    Resource::new(v)
}

fn run(rs: &mut [Resource], reps: Value) -> Result<(), String> {
    let Value::Array(list) = reps else { panic!("replacements must be a list") };
    replacements(rs, &list)
}

fn at<'a>(r: &'a Resource, pointer: &str) -> &'a Value {
    r.obj.pointer(pointer).unwrap_or(&Value::Null)
}

fn src_and_web() -> Vec<Resource> {
    vec![
        res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "src"},
            "data": {"image": "nginx:1.25", "tag": "2.0", "hostport": "42:80"}})),
        res(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
            "initContainers": [{"name": "init", "image": "busybox:1.0"}],
            "containers": [
                {"name": "nginx", "image": "x"},
                {"name": "nginx-sidecar", "image": "y"},
                {"name": "my-nginx", "image": "z"},
                {"name": "other", "image": "w"}
            ]}}}})),
    ]
}

/// Tree /tmp/rp/t1: list selectors, delimiters on both sides, created fields.
#[test]
fn values_reach_list_elements_parts_and_created_fields() {
    let mut rs = src_and_web();
    run(
        &mut rs,
        json!([
            {"source": {"kind": "ConfigMap", "name": "src", "fieldPath": "data.image"},
             "targets": [{"select": {"kind": "Deployment"},
                          "fieldPaths": ["spec.template.spec.containers.[name=nginx].image"]}]},
            {"source": {"kind": "ConfigMap", "name": "src", "fieldPath": "data.tag"},
             "targets": [{"select": {"kind": "Deployment"},
                          "fieldPaths": ["spec.template.spec.initContainers.0.image"],
                          "options": {"delimiter": ":", "index": 1}}]},
            {"source": {"kind": "ConfigMap", "name": "src", "fieldPath": "data.hostport",
                        "options": {"delimiter": ":", "index": 0}},
             "targets": [{"select": {"kind": "Deployment"},
                          "fieldPaths": ["spec.replicas", "spec.template.metadata.labels.[app.kubernetes.io/x]"],
                          "options": {"create": true}}]}
        ]),
    )
    .unwrap();
    let d = &rs[1];
    // `[name=nginx]` is an unanchored pattern: it also picks nginx-sidecar and my-nginx.
    let images: Vec<&Value> = (0..4).map(|i| at(d, &format!("/spec/template/spec/containers/{i}/image"))).collect();
    assert_eq!(images, [&json!("nginx:1.25"), &json!("nginx:1.25"), &json!("nginx:1.25"), &json!("w")]);
    assert_eq!(at(d, "/spec/template/spec/initContainers/0/image"), "busybox:2.0");
    // A number field stays a number; a created field reads its text as YAML does.
    assert_eq!(at(d, "/spec/replicas"), &json!(42));
    assert_eq!(at(d, "/spec/template/metadata/labels"), &json!({"app": "web", "app.kubernetes.io/x": 42}));
}

/// Tree /tmp/rp/t2: what each kind of value does to each kind of field.
#[test]
fn scalar_targets_keep_their_type_and_maps_replace_whole() {
    let mut rs = vec![
        res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "src"},
            "data": {"str": "007", "num": 5, "flt": 1.5, "map": {"a": 1, "b": ["x"]}, "list": [1, "two"], "empty": ""}})),
        res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dst"},
            "data": {"s1": "abc", "s2": "abc", "s3": "abc", "s4": "abc", "s5": "abc", "n1": 1, "n2": 1,
                     "m1": {"k": "v"}, "m2": {"k": "v"}, "l1": ["a"], "e1": "abc"}})),
    ];
    let to = |field: &str, paths: Value| {
        json!({"source": {"name": "src", "fieldPath": format!("data.{field}")},
        "targets": [{"select": {"name": "dst"}, "fieldPaths": paths}]})
    };
    run(
        &mut rs,
        json!([
            to("str", json!(["data.s1", "data.n1", "data.m1"])),
            to("num", json!(["data.s2", "data.n2"])),
            to("map", json!(["data.s3", "data.m2"])),
            to("list", json!(["data.s4", "data.l1"])),
            to("empty", json!(["data.e1"])),
            {"source": {"name": "src", "fieldPath": "data.flt"},
             "targets": [{"select": {"name": "dst"}, "fieldPaths": ["data.s5", "data.new1"], "options": {"create": true}}]}
        ]),
    )
    .unwrap();
    assert_eq!(
        at(&rs[1], "/data"),
        &json!({"s1": "007", "s2": "5", "s3": "", "s4": "", "s5": "1.5", "n1": 7, "n2": 5,
                "m1": "007", "m2": {"a": 1, "b": ["x"]}, "l1": [1, "two"], "e1": "", "new1": 1.5})
    );
}

#[test]
fn values_that_do_not_fit_a_typed_field_are_errors() {
    let mut rs = vec![
        res(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "src"}, "data": {"word": "hello", "n": 7}}),
        ),
        res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dst"},
            "data": {"n": 1, "b": true, "z": null}})),
    ];
    let into = |from: &str, field: &str| {
        json!([{"source": {"name": "src", "fieldPath": from},
        "targets": [{"select": {"name": "dst"}, "fieldPaths": [field]}]}])
    };
    let e = run(&mut rs, into("data.word", "data.n")).unwrap_err();
    assert!(e.ends_with("cannot decode !!str `hello` as a !!int"), "{e}");
    let e = run(&mut rs, into("data.word", "data.b")).unwrap_err();
    assert!(e.ends_with("cannot decode !!str `hello` as a !!bool"), "{e}");
    let e = run(&mut rs, into("data.n", "data.z")).unwrap_err();
    assert!(e.ends_with("cannot decode !!int `7` as a !!null"), "{e}");
    assert!(e.contains("ConfigMap.v1.[noGrp]/dst.[noNs]"), "{e}");
}

fn selector_tree() -> Vec<Resource> {
    vec![
        res(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "src", "annotations": {"a.b/c": "dotted"}},
            "data": {"v": "NEW", "list": ["p", "q"]}})),
        res(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d1", "labels": {"tier": "web"}, "annotations": {"team": "x", "a.b/c": "old"}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "a", "image": "i", "args": ["--x", "--y"]}, {"name": "b", "image": "i"}]}}}})),
        res(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d2", "labels": {"tier": "db"}},
            "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "i"}]}}}})),
    ]
}

/// Tree /tmp/rp/t3: label/annotation selectors, rejects, wildcards, `-`, created list elements.
#[test]
fn targets_are_chosen_by_selectors_and_rejects() {
    let mut rs = selector_tree();
    run(
        &mut rs,
        json!([
            {"source": {"name": "src", "fieldPath": "metadata.annotations.[a.b/c]"},
             "targets": [{"select": {"kind": "Deployment", "labelSelector": "tier in (web,db)"},
                          "reject": [{"name": "d2"}],
                          "fieldPaths": ["metadata.annotations.[a.b/c]", "spec.template.spec.containers.*.image"]}]},
            {"source": {"name": "src", "fieldPath": "data.list.1"},
             "targets": [{"select": {"kind": "Deployment", "annotationSelector": "team=x"},
                          "fieldPaths": ["spec.template.spec.containers.[name=a].args.[=--y]"]}]},
            {"source": {"name": "src", "fieldPath": "data.list.-"},
             "targets": [{"select": {"kind": "Deployment"}, "reject": [{"labelSelector": "tier=web"}],
                          "fieldPaths": ["spec.template.spec.containers.[name=sidecar].image",
                                         "spec.template.spec.containers.1.image", "metadata.labels.new"],
                          "options": {"create": true}}]}
        ]),
    )
    .unwrap();
    let (d1, d2) = (&rs[1], &rs[2]);
    assert_eq!(at(d1, "/metadata/annotations"), &json!({"team": "x", "a.b/c": "dotted"}));
    assert_eq!(
        at(d1, "/spec/template/spec/containers"),
        &json!([{"name": "a", "image": "dotted", "args": ["--x", "q"]}, {"name": "b", "image": "dotted"}])
    );
    assert_eq!(at(d2, "/metadata/labels"), &json!({"tier": "db", "new": "q"}));
    assert_eq!(
        at(d2, "/spec/template/spec/containers"),
        &json!([{"name": "a", "image": "i"}, {"name": "sidecar", "image": "q"}])
    );
}

#[test]
fn anchored_patterns_and_escaped_dots() {
    let mut rs = selector_tree();
    run(
        &mut rs,
        json!([{"source": {"name": "src", "fieldPath": "data.v"},
            "targets": [{"select": {"name": "d1"},
                "fieldPaths": ["spec.template.spec.containers.[name=^a$].image", r"metadata.annotations.a\.b/c"]}]}]),
    )
    .unwrap();
    assert_eq!(at(&rs[1], "/spec/template/spec/containers/0/image"), "NEW");
    assert_eq!(at(&rs[1], "/spec/template/spec/containers/1/image"), "i");
    assert_eq!(at(&rs[1], "/metadata/annotations/a.b~1c"), "NEW");
    assert_eq!(at(&rs[2], "/spec/template/spec/containers/0/image"), "i", "not selected");
}

/// Error texts as kustomize words them.
#[test]
fn missing_sources_and_targets_are_errors() {
    let cases = [
        (
            json!({"source": {"kind": "ConfigMap", "name": "nope"}, "targets": [{"select": {"kind": "Deployment"}}]}),
            "nothing selected by ConfigMap.[noVer].[noGrp]/nope.[noNs]",
        ),
        (
            json!({"source": {"kind": "ConfigMap", "name": "src", "fieldPath": "data.missing"},
                "targets": [{"select": {"kind": "Deployment"}}]}),
            "fieldPath `data.missing` is missing for replacement source ConfigMap.[noVer].[noGrp]/src.[noNs]",
        ),
        (
            json!({"source": {"name": "src", "fieldPath": "data.list.5"}, "targets": [{"select": {"name": "d1"}}]}),
            "fieldPath `data.list.5` is missing for replacement source [noKind].[noVer].[noGrp]/src.[noNs]",
        ),
        (
            json!({"source": {"version": "v1"}, "targets": [{"select": {"kind": "Deployment"}}]}),
            "multiple matches for selector [noKind].v1.[noGrp]/[noName].[noNs]",
        ),
        (
            json!({"source": {"name": "src", "fieldPath": "data.v"},
                "targets": [{"select": {"name": "d1"}, "fieldPaths": ["spec.missing.x"]}]}),
            "unable to find field \"spec.missing.x\" in replacement target",
        ),
        (
            json!({"source": {"name": "src", "fieldPath": "data.v"},
                "targets": [{"select": {"name": "d1"}, "fieldPaths": ["spec.template.spec.containers.5.image"]}]}),
            "unable to find field \"spec.template.spec.containers.5.image\" in replacement target: \
          index 5 specified but only 2 elements found",
        ),
        (
            json!({"source": {"name": "src", "fieldPath": "data.v", "options": {"delimiter": "-", "index": 3}},
                "targets": [{"select": {"name": "d1"}}]}),
            "options.index 3 is out of bounds for value NEW",
        ),
        (
            json!({"source": {"name": "src", "fieldPath": "data.*"}, "targets": [{"select": {"name": "d1"}}]}),
            "error looking up replacement source: wildcard is not supported in PathGetter",
        ),
        (
            json!({"source": {"name": "src", "fieldPath": "data.v"},
                "targets": [{"select": {"name": "d1"}, "fieldPaths": ["spec.template.spec.containers.[name].image"]}]}),
            "unable to find field \"spec.template.spec.containers.[name].image\" in replacement target: \
          list path element must contain fieldName=fieldValue for element to match",
        ),
        (
            json!({"source": {"name": "src", "fieldPath": "data.list", "options": {"delimiter": "-"}},
                "targets": [{"select": {"name": "d1"}}]}),
            "delimiter option can only be used with scalar nodes",
        ),
    ];
    for (rep, want) in cases {
        let mut rs = selector_tree();
        let before = rs.clone();
        let e = run(&mut rs, json!([rep])).unwrap_err();
        assert!(e.contains(want), "{e}\n  does not contain\n{want}");
        assert_eq!(rs, before, "nothing changes on error: {want}");
    }
    let mut rs = selector_tree();
    let e = run(
        &mut rs,
        json!([{"source": {"name": "src", "fieldPath": "data.v"},
        "targets": [{"select": {"name": "d1"}, "fieldPaths": ["metadata.name.x"], "options": {"create": true}}]}]),
    )
    .unwrap_err();
    assert!(
        e.starts_with(
            "unable to find or create field \"metadata.name.x\" in replacement target: \
                       wrong node kind: expected MappingNode but got ScalarNode"
        ),
        "{e}"
    );
}

#[test]
fn malformed_replacements_are_errors_naming_the_entry() {
    let mut rs = selector_tree();
    let cases = [
        (
            json!({"source": {"kind": "ConfigMap"}}),
            "replacements[0]: replacements must specify a source and at least one target",
        ),
        (
            json!({"source": {"kind": "ConfigMap"}, "targets": []}),
            "replacements must specify a source and at least one target",
        ),
        (
            json!({"source": {"kind": "ConfigMap"}, "targets": [{"fieldPaths": ["a"]}]}),
            "replacements[0]: targets[0]: target must specify resources to select",
        ),
        (
            json!({"source": {"name": "src", "apiVersion": "v1"}, "targets": [{"select": {}}]}),
            "replacements[0]: source: source: unknown field \"apiVersion\"",
        ),
        (
            json!({"source": {"name": "src"}, "targets": [{"select": {}, "options": {"index": "x"}}]}),
            "options.index: must be an integer",
        ),
        (
            json!({"source": {"name": "src"}, "targets": [{"select": {"labelSelector": "a in (b"}}]}),
            "replacements[0]: targets[0]: select: labelSelector:",
        ),
    ];
    for (rep, want) in cases {
        let e = run(&mut rs, json!([rep])).unwrap_err();
        assert!(e.contains(want), "{e}\n  does not contain\n{want}");
    }
}

/// Tree /tmp/rp/t4: a replacement renaming an object records no previous
/// id; sources and targets are also found by the ids objects had before.
#[test]
fn renames_by_replacement_are_not_remembered_and_old_ids_select() {
    let mut names =
        res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "names"}, "data": {"cm": "renamed"}}));
    names.remember_id();
    names.set_name("p-names");
    names.remember_id();
    names.set_namespace("ns");
    let cfg = res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}));
    let mut rs = vec![names, cfg];
    run(
        &mut rs,
        json!([
            {"source": {"kind": "ConfigMap", "name": "names", "namespace": "default", "fieldPath": "data.cm"},
             "targets": [{"select": {"kind": "ConfigMap", "name": "cfg"}, "fieldPaths": ["metadata.name"]}]}
        ]),
    )
    .unwrap();
    assert_eq!(rs[1].name(), "renamed");
    assert!(rs[1].prev_ids.is_empty());
}

#[test]
fn delimiters_insert_prepend_and_append() {
    let mut rs = vec![
        res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "src"}, "data": {"v": "X"}})),
        res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dst"},
            "data": {"a": "1.2.3", "b": "1.2.3", "c": "1.2.3", "d": 7}})),
    ];
    let part = |field: &str, index: i64| {
        json!({"source": {"name": "src", "fieldPath": "data.v"},
        "targets": [{"select": {"name": "dst"}, "fieldPaths": [field], "options": {"delimiter": ".", "index": index}}]})
    };
    run(&mut rs, json!([part("data.a", 1), part("data.b", -1), part("data.c", 9)])).unwrap();
    assert_eq!(at(&rs[1], "/data"), &json!({"a": "1.X.3", "b": "X.1.2.3", "c": "1.2.3.X", "d": 7}));
}

#[test]
fn paths_split_like_kustomize() {
    let s = |p: &str| split_path(p);
    assert_eq!(
        s("spec.template.spec.containers.[name=a.b].image"),
        ["spec", "template", "spec", "containers", "[name=a.b]", "image"]
    );
    assert_eq!(s("metadata.annotations.[a.b/c]"), ["metadata", "annotations", "a.b/c"]);
    assert_eq!(s(r"metadata.annotations.a\.b/c"), ["metadata", "annotations", "a.b/c"]);
    assert_eq!(s(".metadata.name"), ["metadata", "name"]);
}

#[test]
fn plain_scalars_resolve_as_yaml_reads_them() {
    let r = |t: &str| resolve_plain(t).1;
    assert_eq!(r("42"), json!(42));
    assert_eq!(r("-7"), json!(-7));
    assert_eq!(r("0x1F"), json!(31));
    assert_eq!(r("0644"), json!(420));
    assert_eq!(r("0o17"), json!(15));
    assert_eq!(r("1_000"), json!(1000));
    assert_eq!(r("09"), json!(9.0));
    assert_eq!(r("1.5e3"), json!(1500.0));
    assert_eq!(r("true"), json!(true));
    assert_eq!(r("yes"), json!("yes"));
    assert_eq!(r("~"), Value::Null);
    assert_eq!(r("1.2.3"), json!("1.2.3"));
    assert_eq!(r("-"), json!("-"));
}

#[test]
fn created_dates_read_as_timestamps() {
    assert_eq!(resolve_created("2001-01-01"), json!("2001-01-01T00:00:00Z"));
    assert_eq!(resolve_created("2001-01-01 is a date"), json!("2001-01-01 is a date"));
    assert_eq!(resolve_created("12"), json!(12));
}

/// Tree /tmp/rp/t6: a created field split by a delimiter starts empty.
#[test]
fn created_fields_with_a_delimiter_start_empty() {
    let mut rs =
        vec![res(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "src"}, "data": {"y": "yes"}}))];
    run(
        &mut rs,
        json!([{"source": {"name": "src", "fieldPath": "data.y"},
            "targets": [{"select": {"name": "src"}, "fieldPaths": ["spec.a", "spec.list.0"],
                "options": {"create": true, "delimiter": ":", "index": 1}}]}]),
    )
    .unwrap();
    assert_eq!(at(&rs[0], "/spec"), &json!({"a": ":yes", "list": [":yes"]}));
}
