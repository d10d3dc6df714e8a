//! YAML exactly as `kubectl kustomize` (kustomize v5.5) reads and prints it.
//!
//! Reading: kustomize decodes manifests with go-yaml v3 and converts each
//! object to JSON before printing. So comments, anchors, styles and
//! quoting are lost; plain scalars resolve by go-yaml v3's rules (`yes` is a
//! string, `0644` is 420, `2001-01-01` is a timestamp printed as
//! `2001-01-01T00:00:00Z`); aliases and merge keys (`<<`) are expanded;
//! duplicate keys, non-string keys below the top level, NaN and infinities
//! are errors. Kustomization files and JSON 6902 patches are read the way
//! kustomize reads them instead, through go-yaml v2 (YAML 1.1).
//!
//! How: two readers produce `serde_json::Value` directly.
//! - `fast`: a strict line-based reader for the block-style YAML that
//!   manifests are almost always written in. It gives up on anything
//!   unusual, and is checked against the full loader by differential tests.
//! - `load`: an event-driven loader over the granit parser (the YAML 1.2
//!   event parser beneath serde-saphyr), for everything else. We do not
//!   deserialise with serde-saphyr: going straight to `Value` loses whether
//!   a scalar was quoted, which decides timestamps and more, and the
//!   parser alone costs several times our whole budget for a typical
//!   manifest. The loader also evens out where go-yaml (YAML 1.1) and
//!   the parser disagree, and replays kustomize's own round trips (see
//!   `folded`).
//!
//! Printing (`emit`): kustomize re-reads the JSON with go-yaml v2 and
//! prints it with go-yaml v2's encoder (keys in its natural order, YAML 1.1
//! quoting of `y`/`yes`/`on`…, literal blocks, folding at 80 columns).

mod emit;
mod fast;
mod folded;
mod load;
mod number;
mod scalar;

use serde_json::Value;

/// Deepest nesting of mappings and sequences accepted in a document.
pub const MAX_DEPTH: usize = 256;

/// A YAML syntax or structure error, with the 1-based line when known.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

/// Every document of a multi-document stream, read as kustomize reads manifests. Empty documents and
/// documents that are only comments or `null` are skipped. Bounded: at most MAX_DEPTH nesting,
/// alias expansion bounded (YAML alias bombs are an error, not a hang or OOM), input size checked by caller.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    load::documents(text, load::Dialect::Manifest)
}

/// Exactly one document (a kustomization file, a patch file); an empty input is `Value::Null`.
/// More than one document is an error.
///
/// Read as kustomize reads kustomization files and JSON 6902 patches
/// (`sigs.k8s.io/yaml`'s YAML-to-JSON conversion, YAML 1.1): `yes`/`on`
/// are booleans, unquoted dates stay as written, any scalar key becomes a
/// string, a repeated key replaces the earlier value. Strategic-merge
/// patches are read like resources: use [`parse_documents`] for them.
pub fn parse_value(text: &str) -> Result<Value, YamlError> {
    let mut docs = load::documents(text, load::Dialect::Kustomization)?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(docs.remove(0)),
        n => Err(YamlError { line: None, message: format!("expected one YAML document, found {n}") }),
    }
}

/// The objects as `kubectl kustomize` prints them: each document in kustomize's layout, separated by "---\n".
pub fn emit(objects: &[Value]) -> String {
    let mut out = String::with_capacity(objects.len() * 512);
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit::write_document(o, &mut out);
    }
    out
}

/// One value in kustomize's layout (used by `emit` and for error messages / patches).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    emit::write_document(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::{Duration, Instant};

    #[test]
    fn documents_are_read_and_empty_ones_skipped() {
        let text = "a: 1\n---\n# only a comment\n---\n~\n---\nnull\n---\nb: [x, ~]\n";
        assert_eq!(parse_documents(text).unwrap(), vec![json!({"a": 1}), json!({"b": ["x", null]})]);
        assert_eq!(parse_documents("").unwrap(), Vec::<Value>::new());
        assert_eq!(parse_documents("a: 1\r\nb: |\r\n  x\r\n").unwrap(), vec![json!({"a": 1, "b": "x\n"})]);
    }

    #[test]
    fn manifest_scalars_resolve_as_kustomize_reads_them() {
        let v = parse_documents("a: 0644\nb: yes\nc: 2001-01-01\nd: \"2001-01-01\"\ne: 1.0\nf: ~\ng: <<\nh: 1.5\n")
            .unwrap();
        assert_eq!(
            v,
            vec![json!({"a": 420, "b": "yes", "c": "2001-01-01T00:00:00Z", "d": "2001-01-01", "e": 1, "f": null,
                "g": "<<", "h": 1.5})]
        );
    }

    #[test]
    fn kustomization_files_read_as_yaml_1_1() {
        let v = parse_value(
            "on: yes\nwhen: 2001-01-01\n1.5: a\n0x10: b\n123456789.0: c\nd: 1\nd: 2\n\
             m:\n  a: x\n  <<: {a: m, b: m}\n  b: z\nlist:\n  <<: [{k: first}, {k: second, c: c}]\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"true": true, "when": "2001-01-01", "1.5": "a", "16": "b", "1.2345679e+08": "c", "d": 2,
                "m": {"a": "m", "b": "z"}, "list": {"k": "first", "c": "c"}})
        );
        let e = parse_value("a:\n  ~: x\n").unwrap_err();
        assert!(e.message.contains("unsupported map key"), "{e}");
    }

    #[test]
    fn parse_value_wants_at_most_one_document() {
        assert_eq!(parse_value("").unwrap(), Value::Null);
        assert_eq!(parse_value("# nothing\n").unwrap(), Value::Null);
        assert_eq!(parse_value("---\nresources: [a.yaml]\n").unwrap(), json!({"resources": ["a.yaml"]}));
        let e = parse_value("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.to_string(), "expected one YAML document, found 2");
    }

    #[test]
    fn anchors_and_merge_keys_are_expanded() {
        let v = parse_documents("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\nl: &l [1]\nm: *l\n").unwrap();
        assert_eq!(v, vec![json!({"base": {"x": 1, "y": 2}, "d": {"y": 3, "x": 1}, "l": [1], "m": [1]})]);
    }

    #[test]
    fn emit_separates_documents_and_to_yaml_prints_any_value() {
        let out = emit(&[json!({"kind": "A"}), json!({"kind": "B", "spec": {}})]);
        assert_eq!(out, "kind: A\n---\nkind: B\nspec: {}\n");
        assert_eq!(emit(&[]), "");
        assert_eq!(to_yaml(&json!(["a", 1, null])), "- a\n- 1\n- null\n");
        assert_eq!(to_yaml(&json!("x\ny\n")), "|\n  x\n  y\n");
        assert_eq!(to_yaml(&json!("on")), "\"on\"\n");
        assert_eq!(to_yaml(&json!({})), "{}\n");
    }

    #[test]
    fn errors_carry_the_line() {
        let e = parse_documents("a: 1\n---\nb: 1\nb: 2\n").unwrap_err();
        assert_eq!(e, YamlError { line: Some(4), message: "mapping key \"b\" already defined at line 3".into() });
        let e = parse_documents("a: 1\n--- junk\nb: 2\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: invalid document separator: --- junk");
        let e = parse_documents("a:\n  b: [1,\n").unwrap_err();
        assert!(e.line.is_some(), "{e}");
    }

    /// A billion laughs: nine levels of ten aliases each.
    #[test]
    fn an_alias_bomb_is_an_error_not_a_hang() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let start = Instant::now();
        let e = parse_documents(&text).unwrap_err();
        assert!(e.message.contains("excessive aliasing"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(1), "took {:?}", start.elapsed());
    }

    #[test]
    fn ten_thousand_levels_of_nesting_are_an_error_not_a_stack_overflow() {
        let flow_seq = format!("a: {}1{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let flow_map = format!("a: {}1{}\n", "{a: ".repeat(10_000), "}".repeat(10_000));
        let block_seq = format!("a:\n{}x\n", "- ".repeat(10_000));
        for text in [flow_seq, flow_map, block_seq] {
            let e = parse_documents(&text).unwrap_err();
            assert!(e.line.is_some(), "{e}");
        }
        // Nesting up to the limit is fine.
        let ok = format!("{}1{}\n", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(parse_documents(&ok).is_ok());
    }

    #[test]
    fn a_five_megabyte_document_parses_quickly() {
        let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
        let mut i = 0;
        while text.len() < 5 << 20 {
            text.push_str(&format!(
                "  key-{i}: \"value number {i} with some text: and quoting\"\n  list-{i}: [a, 1, true]\n"
            ));
            i += 1;
        }
        let start = Instant::now();
        let docs = parse_documents(&text).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(docs[0]["data"].as_object().map(|m| m.len()), Some(2 * i));
        // Well under a second in release builds; unoptimised test builds get headroom.
        let limit = if cfg!(debug_assertions) { Duration::from_secs(10) } else { Duration::from_secs(1) };
        assert!(elapsed < limit, "took {elapsed:?}");
    }
}
