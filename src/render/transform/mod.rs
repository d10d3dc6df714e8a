//! kustomize's field-spec transformers: `namespace`, `namePrefix` /
//! `nameSuffix`, `labels` / `commonLabels`, `commonAnnotations`, `images`
//! and `replicas`, each acting where its field specs (a [`Config`]) say.
//!
//! Each transformer is one pass over the resources and changes nothing it
//! is not asked to: bad input (a label map that is a list, an image entry
//! with an unknown field) is an error naming the field and the object.

mod images;
mod labels;
mod names;
mod namespace;
mod replicas;
mod specs;

use serde_json::{Map, Value};
use std::sync::LazyLock;

use super::fieldspec::FieldSpec;
use super::resource::Resource;

pub use namespace::{NamespaceOptions, SubjectMode, namespace_with};
pub use specs::{field_spec, field_specs};

/// Where each transformer acts: kustomize's built-in field specs, plus any
/// from `configurations:` files.
///
/// kustomize builds the configuration a kustomization's transformers use in
/// layers, and the layering decides which specs survive a merge (see
/// [`Config::merge`]): the configuration of a kustomization is
/// `Config::default()`, merged with each base's configuration in `resources`
/// order, then with [`Config::for_level`] of its own `configurations:` files
/// (the built-in specs when it has none). A component merges its bases and
/// its own level into the configuration it is given; afterwards kustomize
/// merges the result into an empty configuration once more.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub name_prefix: Vec<FieldSpec>,
    pub name_suffix: Vec<FieldSpec>,
    pub namespace: Vec<FieldSpec>,
    pub common_labels: Vec<FieldSpec>,
    pub template_labels: Vec<FieldSpec>,
    pub common_annotations: Vec<FieldSpec>,
    pub images: Vec<FieldSpec>,
    pub replicas: Vec<FieldSpec>,
    /// `nameReference` entries of configuration files, raw (the name-reference module reads them).
    pub name_reference: Vec<Value>,
    /// The `labels` list of configuration files: added to every `labels:` entry's fields.
    pub labels: Vec<FieldSpec>,
    /// Where `$(VAR)` references of the deprecated `vars:` are expanded.
    pub var_reference: Vec<FieldSpec>,
}

static BUILTIN: LazyLock<Config> = LazyLock::new(|| {
    let b = specs::Builtin::new();
    Config {
        name_prefix: b.name_prefix,
        name_suffix: b.name_suffix,
        namespace: b.namespace,
        common_labels: b.common_labels,
        template_labels: b.template_labels,
        common_annotations: b.common_annotations,
        images: b.images,
        replicas: b.replicas,
        name_reference: Vec::new(),
        labels: Vec::new(),
        var_reference: b.var_reference,
    }
});

impl Config {
    /// kustomize's defaults (the tables of its built-in plugin configuration, as data of our own).
    pub fn builtin() -> Config {
        BUILTIN.clone()
    }

    /// Adds a `configurations:` file's content (a TransformerConfig document); conflicting specs are an error.
    pub fn merge_file(&mut self, doc: &Value) -> Result<(), String> {
        let file = Config::from_file(doc)?;
        self.merge(&file)
    }

    /// One configuration file's content on its own (each list sorted, nothing merged yet).
    pub fn from_file(doc: &Value) -> Result<Config, String> {
        let read = specs::read_file(doc)?;
        let mut c = Config { name_reference: read.name_reference, ..Config::default() };
        for (name, list) in read.lists {
            *c.list_mut(name) = list;
        }
        Ok(c)
    }

    /// The configuration of one kustomization's own level, as kustomize makes
    /// it: the built-in specs, merged with its configuration files (merged
    /// together first, in order).
    pub fn for_level(files: &[Value]) -> Result<Config, String> {
        let mut level = Config::builtin();
        if files.is_empty() {
            return Ok(level);
        }
        let mut user = Config::default();
        for doc in files {
            user.merge_file(doc)?;
        }
        level.merge(&user)?;
        Ok(level)
    }

    /// Merges `other` into this configuration as kustomize merges two: each
    /// list gets the other's specs it lacks (a spec is already there when the
    /// list has one for the same path whose kind the new one selects) and is
    /// sorted by kind; the same field with a different `create` is an error.
    /// Name-reference entries are appended, exact repeats skipped.
    pub fn merge(&mut self, other: &Config) -> Result<(), String> {
        // Merging a configuration into an equal one adds nothing (the usual
        // case: a base built with the same defaults).
        if self == other {
            return Ok(());
        }
        for name in specs::ListName::ALL {
            specs::merge_sorted(self.list_mut(name), other.list(name), name.key())?;
        }
        for entry in &other.name_reference {
            if !self.name_reference.contains(entry) {
                self.name_reference.push(entry.clone());
            }
        }
        Ok(())
    }

    fn list(&self, name: specs::ListName) -> &Vec<FieldSpec> {
        use specs::ListName as L;
        match name {
            L::NamePrefix => &self.name_prefix,
            L::NameSuffix => &self.name_suffix,
            L::Namespace => &self.namespace,
            L::CommonLabels => &self.common_labels,
            L::Labels => &self.labels,
            L::TemplateLabels => &self.template_labels,
            L::CommonAnnotations => &self.common_annotations,
            L::VarReference => &self.var_reference,
            L::Images => &self.images,
            L::Replicas => &self.replicas,
        }
    }

    fn list_mut(&mut self, name: specs::ListName) -> &mut Vec<FieldSpec> {
        use specs::ListName as L;
        match name {
            L::NamePrefix => &mut self.name_prefix,
            L::NameSuffix => &mut self.name_suffix,
            L::Namespace => &mut self.namespace,
            L::CommonLabels => &mut self.common_labels,
            L::Labels => &mut self.labels,
            L::TemplateLabels => &mut self.template_labels,
            L::CommonAnnotations => &mut self.common_annotations,
            L::VarReference => &mut self.var_reference,
            L::Images => &mut self.images,
            L::Replicas => &mut self.replicas,
        }
    }
}

/// `namespace:` — sets metadata.namespace on namespaced kinds and the
/// namespace fields kustomize updates (the name of a v1 Namespace, an
/// APIService's service, a CRD's conversion webhook service, RoleBinding and
/// ClusterRoleBinding subjects named `default`), as v5.5 does. See
/// [`namespace_with`] for the rules.
pub fn namespace(resources: &mut [Resource], namespace: &str, cfg: &Config) -> Result<(), String> {
    namespace_with(resources, namespace, cfg, NamespaceOptions::default())
}

/// `namePrefix:` / `nameSuffix:` — renames every object but Namespaces, CRDs
/// and APIServices (`apiregistration.k8s.io`); see [`names`] for the rules.
pub fn prefix_suffix(resources: &mut [Resource], prefix: &str, suffix: &str, cfg: &Config) -> Result<(), String> {
    names::prefix_suffix(resources, prefix, suffix, cfg)
}

/// One `labels:` entry: pairs plus includeSelectors / includeTemplates / fields.
pub fn labels(
    resources: &mut [Resource],
    pairs: &Map<String, Value>,
    include_selectors: bool,
    include_templates: bool,
    fields: &[FieldSpec],
    cfg: &Config,
) -> Result<(), String> {
    labels::labels(resources, pairs, include_selectors, include_templates, fields, cfg)
}

/// `commonLabels:` (labels, selectors and templates, as kustomize does).
pub fn common_labels(resources: &mut [Resource], pairs: &Map<String, Value>, cfg: &Config) -> Result<(), String> {
    labels::set_all(resources, pairs, &cfg.common_labels, "label")
}

/// `commonAnnotations:`.
pub fn annotations(resources: &mut [Resource], pairs: &Map<String, Value>, cfg: &Config) -> Result<(), String> {
    labels::set_all(resources, pairs, &cfg.common_annotations, "annotation")
}

/// `images:` (name, newName, newTag, digest, tagSuffix; tag and digest forms; registries with ports).
pub fn images(resources: &mut [Resource], images: &[Value], cfg: &Config) -> Result<(), String> {
    images::images(resources, images, cfg)
}

/// `replicas:` (name, count).
pub fn replicas(resources: &mut [Resource], replicas: &[Value], cfg: &Config) -> Result<(), String> {
    replicas::replicas(resources, replicas, cfg)
}

/// How messages name an object: kustomize's id form, `Deployment.v1.apps/web.[noNs]`.
fn object(r: &Resource) -> String {
    r.id().to_string()
}

/// A scalar's text as kustomize sees it (`null` reads as empty).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// kustomize's words for a node that is not what a setter needs.
fn wrong_kind(expected: &str, found: &Value) -> String {
    let found = match found {
        Value::Array(_) => "SequenceNode",
        Value::Object(_) => "MappingNode",
        _ => "ScalarNode",
    };
    format!("wrong node kind: expected {expected} but got {found}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_is_kustomizes_default_configuration() {
        let c = Config::builtin();
        assert_eq!(c.name_prefix, vec![FieldSpec::new("", "", "", "metadata/name", false)]);
        assert_eq!(c.common_labels.len(), 32);
        assert_eq!(c.template_labels.len(), 10);
        assert_eq!(c.common_annotations.len(), 9);
        assert_eq!(c.namespace.len(), 3);
        assert_eq!(c.images.len(), 4);
        assert_eq!(c.replicas.len(), 4);
        assert!(c.labels.is_empty() && c.name_reference.is_empty());
        // Unchanged when kustomize merges it into an empty configuration.
        let mut empty = Config::default();
        empty.merge(&c).unwrap();
        assert_eq!(empty, c);
    }

    #[test]
    fn a_kind_specific_name_spec_absorbs_the_builtin_one_as_kustomize_does() {
        // kustomize v5.5: with `namePrefix: [{path: metadata/name, kind: Thing}]` in a
        // configuration file, a ConfigMap no longer gets the prefix.
        let file = json!({"namePrefix": [{"path": "metadata/name", "kind": "Thing"}]});
        let level = Config::for_level(&[file]).unwrap();
        assert_eq!(level.name_prefix.len(), 2);
        let mut acc = Config::default();
        acc.merge(&level).unwrap();
        assert_eq!(acc.name_prefix, vec![FieldSpec::new("", "", "Thing", "metadata/name", false)]);
    }

    #[test]
    fn configuration_files_add_specs_and_conflicts_are_errors() {
        let mut c = Config::builtin();
        c.merge_file(&json!({"commonLabels": [{"path": "spec/selector/matchLabels", "kind": "MyApp", "create": true}],
            "nameReference": [{"kind": "Secret", "fieldSpecs": [{"path": "spec/secret", "kind": "MyApp"}]}]}))
            .unwrap();
        assert!(c.common_labels.contains(&FieldSpec::new("", "", "MyApp", "spec/selector/matchLabels", true)));
        assert_eq!(c.name_reference.len(), 1);
        let e = c.merge_file(&json!({"namePrefix": [{"path": "metadata/name", "create": true}]})).unwrap_err();
        assert!(e.starts_with("failed to merge namePrefix field specs: conflicting fieldspecs"), "{e}");
        assert!(c.merge_file(&json!({"bogus": []})).unwrap_err().contains("unknown field \"bogus\""));
    }
}
