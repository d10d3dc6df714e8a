//! Every expectation here was printed by `kubectl kustomize` (kustomize
//! v5.5.0) for the same resource and patch; keys are compared as values,
//! since kustomize prints them sorted anyway.

use super::*;
use serde_json::json;

/// A YAML document (a manifest, a patch) as a value.
fn y(text: &str) -> Value {
    crate::render::yaml::parse_documents(text).expect("valid YAML").into_iter().next().unwrap_or_default()
}

/// Resources from YAML documents.
fn resources(text: &str) -> Vec<Resource> {
    crate::render::yaml::parse_documents(text).expect("valid YAML").into_iter().map(Resource::new).collect()
}

fn objects(rs: &[Resource]) -> Vec<Value> {
    rs.iter().map(|r| r.obj.clone()).collect()
}

/// Applies a `patches:` entry and returns the objects.
fn patched(resource_text: &str, patch: &str, target: Option<Value>) -> Result<Vec<Value>, String> {
    let mut rs = resources(resource_text);
    let selector = target.map(|t| Selector::from_value(&t)).transpose()?;
    apply_patch(&mut rs, patch, selector.as_ref(), PatchOptions::default(), "[path: \"patch.yaml\"]")?;
    Ok(objects(&rs))
}

/// The strategic merge of a patch into a document.
fn merged(target: &str, patch: &str) -> Value {
    strategic_merge(&y(target), &y(patch)).expect("merges").expect("not deleted")
}

fn merge_err(target: &str, patch: &str) -> String {
    strategic_merge(&y(target), &y(patch)).expect_err("fails")
}

const TWO_CONFIGMAPS: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
data:
  a: \"1\"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm2
data:
  b: \"2\"
";

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: a
        image: a:1
        args: [x, y]
        env:
        - name: E1
          value: \"1\"
        - name: E2
          value: \"2\"
        ports:
        - containerPort: 80
        - containerPort: 53
          protocol: UDP
      - name: b
        image: b:1
      - name: c
        image: c:1
      volumes:
      - name: v1
        configMap:
          name: cm
      - name: v2
        emptyDir: {}
";

fn pod_spec(v: &Value) -> &Value {
    &v["spec"]["template"]["spec"]
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|i| i.get("name").and_then(Value::as_str).unwrap_or("?").to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// Strategic merge of built-in kinds
// ---------------------------------------------------------------------------

#[test]
fn merged_lists_put_the_patch_items_first_in_patch_order() {
    let out = merged(
        DEPLOYMENT,
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  zzz: 1
  template:
    spec:
      containers:
      - name: c
        image: c:2
      - name: d
        image: d:1
      - name: a
        env:
        - {name: E3, value: \"3\"}
        - {name: E1, value: \"11\"}
        args: [z]
        ports:
        - containerPort: 8080",
    );
    let pod = pod_spec(&out);
    assert_eq!(names(&pod["containers"]), ["c", "d", "a", "b"]);
    let a = &pod["containers"][2];
    assert_eq!(
        a,
        &y("name: a
image: a:1
args: [z]
env:
- {name: E3, value: \"3\"}
- {name: E1, value: \"11\"}
- {name: E2, value: \"2\"}
ports:
- containerPort: 8080
- containerPort: 80
- {containerPort: 53, protocol: UDP}")
    );
    assert_eq!(pod["containers"][0], json!({"name": "c", "image": "c:2"}));
    assert_eq!(out["spec"]["zzz"], 1);
    assert_eq!(out["spec"]["replicas"], 1);
}

#[test]
fn patch_directives_on_lists_and_items() {
    // `$patch: replace` on an item changes nothing; a lone `$patch: replace`
    // item replaces the list.
    let out = merged(
        DEPLOYMENT,
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: a
        $patch: replace
        image: new
      volumes:
      - $patch: replace
      - name: v9
        emptyDir: {}",
    );
    assert_eq!(pod_spec(&out)["containers"], y(DEPLOYMENT)["spec"]["template"]["spec"]["containers"]);
    assert_eq!(pod_spec(&out)["volumes"], json!([{"name": "v9", "emptyDir": {}}]));

    // `$patch: delete` deletes an item (one that is absent is no error); a
    // lone `$patch: delete` item deletes the list.
    let out = merged(
        DEPLOYMENT,
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: b, $patch: delete}
      - {name: zz, $patch: delete}
      volumes:
      - $patch: delete",
    );
    assert_eq!(names(&pod_spec(&out)["containers"]), ["a", "c"]);
    assert!(pod_spec(&out).get("volumes").is_none());
}

#[test]
fn map_directives_and_nulls() {
    let out = merged(
        DEPLOYMENT,
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    $patch: replace
    x: y
spec:
  replicas: null
  template:
    metadata:
      $patch: delete
    spec:
      containers:
      - name: a
        env: null
      - name: b
        resources:
          $patch: replace
          limits: {cpu: 1}
        image: null
      volumes:
      - name: v1
        configMap: null
        secret:
          secretName: s
          items: null
      - name: v3
        emptyDir: {}
        foo: null
        bar:
          $patch: delete
        baz:
          $patch: replace
          q: 1
          r: null",
    );
    let expected = y("apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    x: \"y\"
  name: web
spec:
  template:
    spec:
      containers:
      - args: [x, \"y\"]
        image: a:1
        name: a
        ports:
        - containerPort: 80
        - containerPort: 53
          protocol: UDP
      - name: b
        resources:
          limits:
            cpu: 1
      - image: c:1
        name: c
      volumes:
      - name: v1
        secret:
          secretName: s
      - baz:
          q: 1
        emptyDir: {}
        name: v3
      - emptyDir: {}
        name: v2");
    assert_eq!(out, expected);
}

#[test]
fn api_server_only_directives_are_printed_as_data() {
    let out = merged(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  finalizers: [f1, f2, f3]
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1}
  template:
    spec:
      containers:
      - {name: a, image: a:1}
      - {name: b, image: b:1}",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  $deleteFromPrimitiveList/finalizers: [f2]
  finalizers: [f3, f0]
spec:
  strategy:
    $retainKeys: [type]
    type: Recreate
  template:
    spec:
      $setElementOrder/containers:
      - name: b
      - name: a
      containers:
      - name: a
        image: a:2",
    );
    assert_eq!(out["metadata"]["$deleteFromPrimitiveList/finalizers"], json!(["f2"]));
    assert_eq!(out["metadata"]["finalizers"], json!(["f3", "f0", "f1", "f2"]));
    assert_eq!(out["spec"]["strategy"], y("{$retainKeys: [type], rollingUpdate: {maxSurge: 1}, type: Recreate}"));
    assert_eq!(pod_spec(&out)["$setElementOrder/containers"], y("[{name: b}, {name: a}]"));
    assert_eq!(pod_spec(&out)["containers"], y("[{image: a:2, name: a}, {image: b:1, name: b}]"));
}

#[test]
fn values_of_another_kind_are_errors() {
    let base = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  strategy: {type: Recreate}
  template:
    spec:
      containers:
      - {name: a, image: a:1}";
    let cases = [
        ("spec: {template: {spec: {containers: {name: x}}}}", "expected SequenceNode but got MappingNode"),
        ("spec: {strategy: [1]}", "expected MappingNode but got SequenceNode"),
        ("spec: {strategy: 3}", "expected MappingNode but got ScalarNode"),
        (
            "spec: {template: {spec: {containers: [{name: a, image: {a: 1}}]}}}",
            "expected ScalarNode but got MappingNode",
        ),
        ("spec: {template: {spec: {containers: [{name: a, image: [1]}]}}}", "expected ScalarNode but got SequenceNode"),
        ("spec: {template: {spec: {containers: foo}}}", "expected SequenceNode but got ScalarNode"),
    ];
    for (patch, message) in cases {
        let e = merge_err(base, patch);
        assert!(e.starts_with(&format!("wrong node kind: {message}: node contents:\n")), "{patch}: {e}");
    }
    assert!(merge_err(base, "spec: {template: {spec: {containers: foo}}}").ends_with("\nfoo"));
    assert_eq!(merge_err(base, "spec: {strategy: {$patch: bogus}}"), "unknown patch strategy 'bogus'");
}

#[test]
fn the_targets_lists_are_normalised_even_where_the_patch_does_not_reach() {
    let target = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: a
        image: a:1
        env:
        - {name: X, value: \"1\"}
        - {name: X, value: \"2\"}
        - {name: Y}
        ports:
        - containerPort: 80
        - {containerPort: 80, protocol: UDP}
      - {name: b, image: b}";
    let out = merged(target, "spec: {replicas: 2}");
    assert_eq!(out["spec"]["replicas"], 2);
    // Items with the same key collapse into the last of them.
    assert_eq!(pod_spec(&out)["containers"][0]["env"], y("[{name: X, value: \"2\"}, {name: Y}]"));
    assert_eq!(
        pod_spec(&out)["containers"][0]["ports"],
        y("[{containerPort: 80}, {containerPort: 80, protocol: UDP}]")
    );
    assert_eq!(names(&pod_spec(&out)["containers"]), ["a", "b"]);

    // A container without a name leaves only itself.
    let nameless = format!("{target}\n      - image: noname");
    let out = merged(&nameless, "spec: {replicas: 2}");
    assert_eq!(pod_spec(&out)["containers"], json!([{"image": "noname"}]));

    // So does a patch item without its merge key: the list ends up empty.
    let out = merged(target, "spec: {template: {spec: {containers: [{image: q}]}}}");
    assert_eq!(pod_spec(&out)["containers"], json!([]));
}

#[test]
fn new_lists_are_merged_with_themselves() {
    let out = merged(
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: a, image: a:1}",
        "spec:
  template:
    spec:
      initContainers:
      - name: i1
        image: x
        env:
        - {name: A, value: \"1\"}
        - {name: B, $patch: delete}
        - {name: A, value: \"2\"}
      - {name: i2, image: y}
      - {name: i1, image: z}
      - {name: i3, $patch: delete}
      volumes:
      - $patch: replace
      - {name: v, emptyDir: {}}
      containers:
      - {name: b, image: b1}
      - {name: b, command: [x]}",
    );
    let pod = pod_spec(&out);
    assert_eq!(pod["initContainers"], y("[{image: z, name: i1}, {image: \"y\", name: i2}]"));
    assert_eq!(pod["volumes"], y("[{$patch: replace}]"));
    assert_eq!(pod["containers"], y("[{image: b1, name: b}, {image: a:1, name: a}]"));
}

#[test]
fn ports_merge_by_port_and_protocol_as_kustomize_does() {
    let service = "apiVersion: v1
kind: Service
metadata: {name: svc}
spec:
  ports:
  - {port: 80, name: http}
  - {port: 53, protocol: UDP, name: dns}
  - {port: 53, protocol: TCP, name: dnstcp}
  - {port: 443, protocol: TCP, name: https}";
    let out = merged(
        service,
        "spec:
  ports:
  - {port: 80, targetPort: 8080}
  - {port: 53, targetPort: 5353}
  - {port: 443, targetPort: 8443}
  - {port: 9, protocol: UDP, targetPort: 9}",
    );
    assert_eq!(
        out["spec"]["ports"],
        y("- {port: 9, protocol: UDP, targetPort: 9}
- {name: http, port: 80, targetPort: 8080}
- {name: dns, port: 53, protocol: UDP}
- {name: dnstcp, port: 53, protocol: TCP}
- {name: https, port: 443, protocol: TCP}")
    );
    let out = merged(
        service,
        "spec:
  ports:
  - {port: 80, protocol: TCP, targetPort: 8080}
  - {port: 53, protocol: UDP, $patch: delete}",
    );
    assert_eq!(
        out["spec"]["ports"],
        y("- {name: http, port: 80}
- {name: dnstcp, port: 53, protocol: TCP}
- {name: https, port: 443, protocol: TCP}")
    );
}

#[test]
fn kinds_newer_than_kustomizes_schema_replace_their_lists() {
    let hpa = |api: &str| {
        format!(
            "apiVersion: {api}
kind: HorizontalPodAutoscaler
metadata:
  name: h
  finalizers: [f1]"
        )
    };
    let patch = "metadata: {name: h, finalizers: [f2]}";
    assert_eq!(merged(&hpa("autoscaling/v2"), patch)["metadata"]["finalizers"], json!(["f2"]));
    assert_eq!(merged(&hpa("autoscaling/v2beta2"), patch)["metadata"]["finalizers"], json!(["f2", "f1"]));
}

#[test]
fn a_number_replacing_a_quoted_string_prints_as_a_string() {
    let service = "apiVersion: v1
kind: Service
metadata: {name: svc}
spec:
  ports:
  - {port: \"80\", name: n2}
  selector: {version: \"1\", app: web}";
    let out = merged(service, "spec: {ports: [{port: 80, targetPort: n2}], selector: {version: 2, app: 3}}");
    assert_eq!(out["spec"]["ports"], y("[{name: n2, port: \"80\", targetPort: n2}]"));
    assert_eq!(out["spec"]["selector"], json!({"version": "2", "app": 3}));
}

// ---------------------------------------------------------------------------
// Custom resources
// ---------------------------------------------------------------------------

const WIDGET: &str = "\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  finalizers: [f1]
spec:
  items:
  - {name: a, v: 1}
  - {name: b, v: 2}
  tags: [x, y]
  nested:
    a: 1
    b: {c: 2}
  keep: null
";

#[test]
fn custom_resources_merge_maps_and_replace_lists() {
    let out = merged(
        WIDGET,
        "metadata: {name: w, finalizers: [f2]}
spec:
  items:
  - {name: c, v: 3}
  tags:
  - $patch: replace
  - z
  nested:
    b: {c: null, d: 3}",
    );
    let expected = y("apiVersion: example.com/v1
kind: Widget
metadata: {name: w, finalizers: [f2]}
spec:
  items: [{name: c, v: 3}]
  tags: [{$patch: replace}, z]
  nested: {a: 1, b: {d: 3}}
  keep: null");
    assert_eq!(out, expected);

    let out = merged(WIDGET, "spec: {items: [{$patch: delete}], tags: [{name: a, $patch: delete}]}");
    assert_eq!(out["spec"]["items"], y("[{$patch: delete}]"));
    assert_eq!(out["spec"]["tags"], y("[{$patch: delete, name: a}]"));
}

#[test]
fn objects_embedded_in_custom_resources_merge_by_their_own_kind() {
    let out = merged(
        "apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  template:
    apiVersion: apps/v1
    kind: Deployment
    spec:
      template:
        spec:
          containers:
          - {name: a, image: a}",
        "spec: {template: {spec: {template: {spec: {containers: [{name: b, image: b}]}}}}}",
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["template"]["spec"]["containers"],
        y("[{image: b, name: b}, {image: a, name: a}]")
    );
}

// ---------------------------------------------------------------------------
// patches: detection, targets, resource-level rules
// ---------------------------------------------------------------------------

#[test]
fn strategic_or_json_is_decided_by_what_the_text_reads_as() {
    let json_ops = "[{\"op\": \"add\", \"path\": \"/data/j\", \"value\": \"x\"}]";
    let out = patched(TWO_CONFIGMAPS, json_ops, Some(json!({"name": "cm1"}))).unwrap();
    assert_eq!(out[0]["data"], json!({"a": "1", "j": "x"}));
    // Operations written in YAML are read with YAML 1.1 booleans, unlike manifests.
    let yaml_ops = "- op: add\n  path: /data/j\n  value: y\n- {op: add, path: /data/k, value: \"y\"}";
    let out = patched(TWO_CONFIGMAPS, yaml_ops, Some(json!({"name": "cm1"}))).unwrap();
    assert_eq!(out[0]["data"], json!({"a": "1", "j": true, "k": "y"}));

    let target = Some(json!({"name": "cm1"}));
    for both in ["\n", "# only a comment\n", "[]"] {
        let e = patched(TWO_CONFIGMAPS, both, target.clone()).unwrap_err();
        assert_eq!(e, "illegally qualifies as both an SM and JSON patch: [path: \"patch.yaml\"]", "{both:?}");
    }
    for neither in ["hello", "apiVersion: v1\nkind: ConfigMap\ndata: {x: \"1\"}", "metadata: {name: cm1}"] {
        let e = patched(TWO_CONFIGMAPS, neither, target.clone()).unwrap_err();
        assert_eq!(e, "unable to parse SM or JSON patch from [path: \"patch.yaml\"]", "{neither:?}");
    }
    // An empty file is an empty JSON patch.
    assert_eq!(patched(TWO_CONFIGMAPS, "", target).unwrap(), objects(&resources(TWO_CONFIGMAPS)));
    let e = patched(TWO_CONFIGMAPS, "", None).unwrap_err();
    assert_eq!(e, "must specify a target for JSON patch [path: \"patch.yaml\"]");
}

#[test]
fn documents_of_a_patch_apply_in_turn_and_lists_stand_for_their_items() {
    let patch = "apiVersion: v1
kind: ConfigMap
metadata: {name: cm1}
data: {x: \"1\"}
---
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm2}
data: {y: \"1\"}";
    let out = patched(TWO_CONFIGMAPS, patch, None).unwrap();
    assert_eq!(out[0]["data"], json!({"a": "1", "x": "1"}));
    assert_eq!(out[1]["data"], json!({"b": "2", "y": "1"}));

    let e = patched(TWO_CONFIGMAPS, patch, Some(json!({"kind": "ConfigMap"}))).unwrap_err();
    assert!(e.starts_with("Multiple Strategic-Merge Patches in one `patches` entry is not allowed"), "{e}");

    let list = "apiVersion: v1
kind: ConfigMapList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm1}
  data: {x: \"1\"}";
    let out = patched(TWO_CONFIGMAPS, list, None).unwrap();
    assert_eq!(out[0]["data"], json!({"a": "1", "x": "1"}));
}

#[test]
fn without_a_target_the_patch_names_its_resource() {
    let e = patched(TWO_CONFIGMAPS, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nope}", None).unwrap_err();
    assert_eq!(
        e,
        "no resource matches strategic merge patch \"ConfigMap.v1.[noGrp]/nope.[noNs]\": no matches for Id \
         ConfigMap.v1.[noGrp]/nope.[noNs]; failed to find unique target for patch ConfigMap.v1.[noGrp]/nope.[noNs]"
    );
    // apiVersion and namespace are part of the id; no namespace means `default`.
    let other_ns = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1, namespace: other}";
    assert!(patched(TWO_CONFIGMAPS, other_ns, None).unwrap_err().contains("ConfigMap.v1.[noGrp]/cm1.other"));
    let v2 = "apiVersion: v2\nkind: ConfigMap\nmetadata: {name: cm1}";
    assert!(patched(TWO_CONFIGMAPS, v2, None).unwrap_err().contains("ConfigMap.v2.[noGrp]/cm1.[noNs]"));
    let default_ns = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1, namespace: default}\ndata: {x: \"1\"}";
    let out = patched(TWO_CONFIGMAPS, default_ns, None).unwrap();
    // The patch cannot move the resource: its namespace is restored.
    assert_eq!(out[0], y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1}\ndata: {a: \"1\", x: \"1\"}"));

    let dup =
        format!("{TWO_CONFIGMAPS}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm1, namespace: default}}\n");
    let e = patched(&dup, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1}", None).unwrap_err();
    assert!(e.contains("multiple matches for Id ConfigMap.v1.[noGrp]/cm1.[noNs]"), "{e}");
}

/// Resources of a base that added `namePrefix: p-` and `namespace: ns1`.
fn renamed_by_a_base() -> Vec<Resource> {
    let mut rs = resources(TWO_CONFIGMAPS);
    for r in &mut rs {
        r.remember_id();
        let name = format!("p-{}", r.name());
        r.set_name(&name);
        r.set_namespace("ns1");
    }
    rs
}

#[test]
fn patches_find_resources_by_their_original_or_current_name() {
    let mut rs = renamed_by_a_base();
    let by_original = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1}\ndata: {byOrigName: \"1\"}";
    apply_patch(&mut rs, by_original, None, PatchOptions::default(), "k").unwrap();
    let by_current =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p-cm2, namespace: ns1}\ndata: {byCurName: \"1\"}";
    apply_patch(&mut rs, by_current, None, PatchOptions::default(), "k").unwrap();
    let patch = |key: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {{{key}: \"1\"}}");
    let select = |rs: &mut Vec<Resource>, key: &str, target: Value| {
        let s = Selector::from_value(&target).unwrap();
        apply_patch(rs, &patch(key), Some(&s), PatchOptions::default(), "k").unwrap();
    };
    select(&mut rs, "sel_orig", json!({"name": "cm1"}));
    select(&mut rs, "sel_cur", json!({"name": "p-cm.", "namespace": "ns1"}));
    select(&mut rs, "sel_default_ns", json!({"namespace": "default"}));
    assert_eq!(
        rs[0].obj,
        y("apiVersion: v1
kind: ConfigMap
metadata: {name: p-cm1, namespace: ns1}
data: {a: \"1\", byOrigName: \"1\", sel_cur: \"1\", sel_default_ns: \"1\", sel_orig: \"1\"}")
    );
    assert_eq!(rs[1].obj["data"], json!({"b": "2", "byCurName": "1", "sel_cur": "1", "sel_default_ns": "1"}));
}

#[test]
fn selectors_are_anchored_expressions_and_label_selectors() {
    let text = "apiVersion: v1
kind: ConfigMap
metadata: {name: web, labels: {tier: front}, annotations: {team: a}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-db, namespace: prod, labels: {tier: db}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}";
    let rs = resources(text);
    let picks = |target: Value| -> Vec<usize> {
        let s = Selector::from_value(&target).unwrap();
        let c = s.compile().unwrap();
        (0..rs.len()).filter(|i| c.matches(&rs[*i]).unwrap()).collect()
    };
    assert_eq!(picks(json!({"name": "web"})), [0, 2, 3]);
    assert_eq!(picks(json!({"name": "web.*"})), [0, 1, 2, 3]);
    assert_eq!(picks(json!({"name": "we"})), Vec::<usize>::new());
    assert_eq!(picks(json!({"namespace": "default"})), [0, 3]);
    assert_eq!(picks(json!({"namespace": "prod|default"})), [0, 1, 3]);
    assert_eq!(picks(json!({"kind": "Config.*", "version": "v1"})), [0, 1]);
    assert_eq!(picks(json!({"group": "apps"})), [3]);
    assert_eq!(picks(json!({"group": "", "version": "v1"})), [0, 1, 2, 3]);
    assert_eq!(picks(json!({"labelSelector": "tier in (front,db)"})), [0, 1]);
    assert_eq!(picks(json!({"labelSelector": "tier!=db"})), [0, 2, 3]);
    assert_eq!(picks(json!({"annotationSelector": "team=a"})), [0]);
    assert!(rs[0..1].iter().all(|r| Selector::from_value(&json!({"name": "web"})).unwrap().matches(r).unwrap()));

    // Selecting nothing is not an error.
    let out = patched(
        TWO_CONFIGMAPS,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {x: \"1\"}",
        Some(json!({"kind": "Secret"})),
    );
    assert_eq!(out.unwrap(), objects(&resources(TWO_CONFIGMAPS)));

    let bad = Selector::from_value(&json!({"name": "(["})).unwrap();
    let e = bad.compile().err().expect("bad regex");
    assert!(
        e.starts_with("unable to find patch target \"[noKind].[noVer].[noGrp]/([.[noNs]:a=:l=\" in `resources`: "),
        "{e}"
    );
    let bad = Selector::from_value(&json!({"labelSelector": "a in (b"})).unwrap();
    let e = bad.matches(&rs[0]).unwrap_err();
    assert!(
        e.starts_with("unable to find patch target \"[noKind].[noVer].[noGrp]/[noName].[noNs]:a=:l=a in (b\""),
        "{e}"
    );
}

#[test]
fn selector_fields_are_checked() {
    assert_eq!(Selector::from_value(&json!({"foo": "bar"})).unwrap_err(), "json: unknown field \"foo\"");
    assert_eq!(Selector::from_value(&json!({"name": 1})).unwrap_err(), "target.name: must be a string, not a number");
    let s = Selector::from_value(&json!({"Kind": "Deployment", "labelselector": "a=b", "name": null, "group": ""}))
        .unwrap();
    assert_eq!(
        s,
        Selector { kind: Some("Deployment".into()), label_selector: Some("a=b".into()), ..Selector::default() }
    );
}

#[test]
fn names_and_kinds_change_only_when_allowed() {
    let patch = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: renamed}\ndata: {x: \"1\"}";
    let target = Selector::from_value(&json!({"name": "cm1"})).unwrap();
    let mut rs = resources(TWO_CONFIGMAPS);
    apply_patch(&mut rs, patch, Some(&target), PatchOptions::default(), "k").unwrap();
    assert_eq!(rs[0].name(), "cm1");
    assert!(rs[0].prev_ids.is_empty());

    let allow = PatchOptions { allow_name_change: true, allow_kind_change: false };
    apply_patch(&mut rs, patch, Some(&target), allow, "k").unwrap();
    assert_eq!(rs[0].obj, y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: renamed}\ndata: {a: \"1\", x: \"1\"}"));
    assert_eq!(rs[0].original_id().name, "cm1");

    let kind_patch = "apiVersion: v1\nkind: Secret\nmetadata: {name: cm2}";
    let target = Selector::from_value(&json!({"name": "cm2"})).unwrap();
    apply_patch(&mut rs, kind_patch, Some(&target), PatchOptions::default(), "k").unwrap();
    assert_eq!(rs[1].obj["kind"], "ConfigMap");
    let allow = PatchOptions { allow_name_change: false, allow_kind_change: true };
    apply_patch(&mut rs, kind_patch, Some(&target), allow, "k").unwrap();
    assert_eq!(rs[1].obj["kind"], "Secret");
    assert_eq!(rs[1].original_id().gvk.kind, "ConfigMap");

    // Without a target, the patch's own name picks the resource, so it cannot rename it.
    let mut rs = resources(TWO_CONFIGMAPS);
    let options = PatchOptions { allow_name_change: true, ..Default::default() };
    let e = apply_patch(&mut rs, patch, None, options, "k").unwrap_err();
    assert!(e.starts_with("no resource matches strategic merge patch \"ConfigMap.v1.[noGrp]/renamed.[noNs]\""), "{e}");
}

#[test]
fn a_patch_can_delete_its_resource_but_not_replace_it() {
    let delete = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1}\n$patch: delete";
    let out = patched(TWO_CONFIGMAPS, delete, None).unwrap();
    assert_eq!(names_of(&out), ["cm2"]);
    let delete_any = "$patch: delete\nkind: ConfigMap\nmetadata: {name: whatever}";
    assert!(patched(TWO_CONFIGMAPS, delete_any, Some(json!({"kind": "ConfigMap"}))).unwrap().is_empty());

    let replace = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1}\n$patch: replace\ndata: {z: \"1\"}";
    assert_eq!(patched(TWO_CONFIGMAPS, replace, None).unwrap(), objects(&resources(TWO_CONFIGMAPS)));
    assert_eq!(
        patched(TWO_CONFIGMAPS, replace, Some(json!({"name": "cm1"}))).unwrap(),
        objects(&resources(TWO_CONFIGMAPS))
    );
    assert_eq!(strategic_merge(&y(TWO_CONFIGMAPS.split("---").next().unwrap()), &y("$patch: delete")), Ok(None));
}

fn names_of(objects: &[Value]) -> Vec<&str> {
    objects.iter().map(|o| o["metadata"]["name"].as_str().unwrap_or("?")).collect()
}

#[test]
fn patch_metadata_is_rewritten_when_a_target_selects() {
    let text = "apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
  labels: {a: x, b: \"y\"}
  annotations: {n: \"1\"}";
    let patch = "apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
  labels: {a: null, c: 1, d: true}
  annotations: null";
    let out = patched(text, patch, Some(json!({"name": "cm1"}))).unwrap();
    assert_eq!(
        out[0]["metadata"],
        y("{annotations: {n: \"1\"}, labels: {a: \"null\", b: \"y\", c: \"1\", d: \"true\"}, name: cm1}")
    );
    let out = patched(text, patch, None).unwrap();
    assert_eq!(out[0]["metadata"], y("{labels: {b: \"y\", c: 1, d: true}, name: cm1}"));
}

#[test]
fn patch_documents_need_a_kind_and_a_name() {
    let target = Some(json!({"name": "cm1"}));
    for doc in ["apiVersion: v1\nkind: ConfigMap\ndata: {x: \"1\"}", "metadata: {name: cm1}\ndata: {x: \"1\"}"] {
        let e = patched(TWO_CONFIGMAPS, doc, target.clone()).unwrap_err();
        assert_eq!(e, "unable to parse SM or JSON patch from [path: \"patch.yaml\"]");
    }
    // Without apiVersion, a target still finds the resource; the id lookup does not.
    let no_version = "kind: ConfigMap\nmetadata: {name: cm1}\ndata: {x: \"1\"}";
    assert_eq!(patched(TWO_CONFIGMAPS, no_version, target).unwrap()[0]["data"], json!({"a": "1", "x": "1"}));
    assert!(patched(TWO_CONFIGMAPS, no_version, None).unwrap_err().contains("ConfigMap.[noVer].[noGrp]/cm1.[noNs]"));
    let e =
        apply_strategic_merge_patches(&mut resources(TWO_CONFIGMAPS), "kind: ConfigMap\ndata: {x: \"1\"}", "p.yaml");
    assert!(e.unwrap_err().starts_with("p.yaml: missing metadata.name in object"));
    // `null` list items are accepted (kustomize's check for them never fires); merging drops them.
    let nulls = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1, finalizers: [a, null]}";
    assert_eq!(patched(TWO_CONFIGMAPS, nulls, None).unwrap()[0]["metadata"]["finalizers"], json!(["a"]));
}

// ---------------------------------------------------------------------------
// JSON 6902
// ---------------------------------------------------------------------------

const OPS_TARGET: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
  annotations:
    a/b: \"1\"
    c~d: \"2\"
data:
  a: \"1\"
list: [1, 2, 3]
";

fn ops(text: &str) -> Result<Value, String> {
    json6902(&y(OPS_TARGET), &y(text))
}

#[test]
fn json_patch_operations() {
    let out = ops("- {op: add, path: /list/-, value: 4}
- {op: add, path: /list/0, value: 0}
- {op: remove, path: /metadata/annotations/a~1b}
- {op: replace, path: /metadata/annotations/c~0d, value: X}
- {op: copy, from: /data/a, path: /data/b}
- {op: move, from: /list/1, path: /data/moved}
- {op: test, path: /data/a, value: \"1\"}")
    .unwrap();
    assert_eq!(
        out,
        y("apiVersion: v1
kind: ConfigMap
metadata: {annotations: {c~d: X}, name: cm1}
data: {a: \"1\", b: \"1\", moved: 1}
list: [0, 2, 3, 4]")
    );
    // Lenient where the library is: replace adds a missing key, a missing
    // value is null, negative indexes count from the end, add at the length appends.
    assert_eq!(ops("[{\"op\": \"replace\", \"path\": \"/data/zzz\", \"value\": 1}]").unwrap()["data"]["zzz"], 1);
    assert_eq!(ops("- {op: add, path: /data/a}").unwrap()["data"]["a"], Value::Null);
    assert_eq!(ops("- {op: add, path: /list/-1, value: 9}").unwrap()["list"], json!([1, 2, 3, 9]));
    assert_eq!(ops("- {op: add, path: /list/3, value: 9}").unwrap()["list"], json!([1, 2, 3, 9]));
    assert_eq!(ops("- {op: remove, path: /list/-1}").unwrap()["list"], json!([1, 2]));
}

#[test]
fn json_patch_errors_read_as_kustomizes() {
    let cases = [
        ("- {op: test, path: /data/a, value: \"2\"}", "testing value /data/a failed: test failed"),
        (
            "- {op: remove, path: /data/zzz}",
            "error in remove for path: '/data/zzz': Unable to remove nonexistent key: zzz: missing value",
        ),
        (
            "- {op: add, path: /nope/zzz, value: 1}",
            "add operation does not apply: doc is missing path: \"/nope/zzz\": missing value",
        ),
        (
            "- {op: add, path: /list/5, value: 1}",
            "error in add for path: '/list/5': Unable to access invalid index: 5: invalid index referenced",
        ),
        (
            "- {op: remove, path: /list/3}",
            "error in remove for path: '/list/3': Unable to access invalid index: 3: invalid index referenced",
        ),
        (
            "- {op: replace, path: /list/7, value: 1}",
            "replace operation does not apply: doc is missing key: /list/7: missing value",
        ),
        (
            "- {op: add, path: /list/x, value: 1}",
            "error in add for path: '/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax",
        ),
        ("- {op: frob, path: /data/a}", "Unexpected kind: frob"),
        (
            "- {op: move, from: /data/nope, path: /data/b}",
            "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value",
        ),
        (
            "- {op: copy, from: /nope/x, path: /data/b}",
            "copy operation does not apply: doc is missing from path: /nope/x: missing value",
        ),
        ("- {op: test, path: /data/nope, value: 1}", "testing value /data/nope failed: test failed"),
    ];
    for (text, message) in cases {
        assert_eq!(ops(text).unwrap_err(), message, "{text}");
    }
    assert!(ops("- {op: test, path: /data/nope, value: null}").is_ok());
    assert!(ops("- {op: test, path: /list, value: [1, 2, 3.0]}").is_ok());
    assert_eq!(
        json6902(&y(OPS_TARGET), &json!({"op": "add"})).unwrap_err(),
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    );
}

#[test]
fn annotations_are_strings_after_a_json_patch() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1, annotations: {z: x}}\ndata: {a: b}";
    let target = Some(json!({"name": "cm1"}));
    let out = patched(text, "- {op: add, path: /metadata/annotations/n, value: 1}", target.clone()).unwrap();
    assert_eq!(out[0]["metadata"]["annotations"], json!({"z": "x", "n": "1"}));
    let out = patched(text, "- {op: copy, from: /data/a, path: /metadata/annotations}", target).unwrap();
    assert_eq!(out[0]["metadata"], json!({"name": "cm1"}));
}

#[test]
fn json_patches_under_patches_record_the_previous_id() {
    let mut rs = resources(TWO_CONFIGMAPS);
    let target = Selector::from_value(&json!({"name": "cm1"})).unwrap();
    let rename = "- {op: replace, path: /metadata/name, value: renamed}";
    apply_patch(&mut rs, rename, Some(&target), PatchOptions::default(), "k").unwrap();
    assert_eq!(rs[0].name(), "renamed");
    assert_eq!(rs[0].original_id().name, "cm1");
    // A later patch still finds it by its old name.
    let e =
        apply_patch(&mut rs, "- {op: add, path: /data/x, value: \"1\"}", Some(&target), PatchOptions::default(), "k");
    assert!(e.is_ok());
    assert_eq!(rs[0].obj["data"]["x"], "1");

    // The deprecated field does not record it, as in kustomize.
    let mut rs = resources(TWO_CONFIGMAPS);
    apply_json6902_patch(&mut rs, rename, &target, "k").unwrap();
    assert_eq!(rs[0].name(), "renamed");
    assert!(rs[0].prev_ids.is_empty());
}

// ---------------------------------------------------------------------------
// Deprecated fields
// ---------------------------------------------------------------------------

#[test]
fn deprecated_patches_strategic_merge() {
    let text = "apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
  labels: {a: x, b: \"y\"}
  annotations: {n: \"1\"}";
    let mut rs = resources(text);
    let patch = "apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
  labels: {a: null, c: 1}
  annotations: null
data: {x: \"1\"}";
    apply_strategic_merge_patches(&mut rs, patch, "p.yaml").unwrap();
    assert_eq!(
        rs[0].obj,
        y("apiVersion: v1
kind: ConfigMap
metadata:
  annotations: {n: \"1\"}
  labels: {a: \"null\", b: \"y\", c: \"1\"}
  name: cm1
data: {x: \"1\"}")
    );
    let e = apply_strategic_merge_patches(&mut rs, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}", "p.yaml");
    assert_eq!(
        e.unwrap_err(),
        "no matches for Id ConfigMap.v1.[noGrp]/x.[noNs]; failed to find unique target for patch ConfigMap.v1.[noGrp]/x.[noNs]"
    );
    apply_strategic_merge_patches(
        &mut rs,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm1}\n$patch: delete",
        "p.yaml",
    )
    .unwrap();
    assert!(rs.is_empty());
}

#[test]
fn deprecated_patches_json6902() {
    let mut rs = resources(TWO_CONFIGMAPS);
    let no_name = Selector::from_value(&json!({"kind": "ConfigMap"})).unwrap();
    let ok = "- {op: add, path: /data/x, value: \"1\"}";
    assert_eq!(apply_json6902_patch(&mut rs, ok, &no_name, "k").unwrap_err(), "must specify the target name");
    let target = Selector::from_value(&json!({"name": "cm2"})).unwrap();
    assert_eq!(
        apply_json6902_patch(&mut rs, "[]", &target, "k").unwrap_err(),
        "patch appears to be empty; file=k, JsonOp=[]"
    );
    apply_json6902_patch(&mut rs, "[{\"op\": \"add\", \"path\": \"/data/x\", \"value\": \"1\"}]", &target, "k")
        .unwrap();
    assert_eq!(rs[1].obj["data"], json!({"b": "2", "x": "1"}));
}
