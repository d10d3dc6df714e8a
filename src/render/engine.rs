//! The build itself, in kustomize's order: for a kustomization directory,
//! accumulate its resources (files, and nested kustomization directories
//! built recursively), load transformer configurations, run the generators,
//! apply components, then run the transformers (strategic merge patches,
//! patches, namespace, prefix and suffix, labels, annotations, JSON 6902
//! patches, replicas, images, replacements). At the top only: content-hash
//! suffixes for generated objects, the name-reference fix-up, the sort, and
//! build metadata.
//!
//! Every file read and directory listed goes through the [`Fs`] and into the
//! read-set. Loading follows kustomize's root-only rule: files (manifests,
//! patches, generator inputs, configurations) must be inside the directory of
//! the kustomization that names them; directories (bases, components) may be
//! anywhere inside the repository.

use serde_json::{Map, Value};

use super::fs::{Fs, FsError, Kind, join};
use super::generators::{self, GeneratorKind};
use super::kustomization::{FILE_NAMES, KustKind, Kustomization};
use super::resource::{Behavior, Gvk, LEGACY_FIRST, LEGACY_LAST, Resource, kind_rank};
use super::{ReadSet, RenderError, invalid, nameref, patch, plugins, replacements, transform, vars, yaml};

/// Largest file read.
pub const MAX_FILE_BYTES: usize = 8 << 20;
/// How deep kustomizations may nest (bases of bases, components).
const MAX_DEPTH: usize = 64;
/// Most objects one render may produce.
const MAX_OBJECTS: usize = 100_000;

/// Options a Flux Kustomization adds to the top kustomization, as Flux's
/// generator writes them into it before building.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `spec.targetNamespace`: replaces `namespace`.
    pub namespace: Option<String>,
    /// `spec.namePrefix` / `spec.nameSuffix`: replace the kustomization's own.
    pub name_prefix: Option<String>,
    pub name_suffix: Option<String>,
    /// `spec.patches` (each `{patch, target}`), appended.
    pub patches: Vec<Value>,
    /// `spec.images`, merged by name.
    pub images: Vec<Value>,
    /// `spec.components`, appended.
    pub components: Vec<String>,
}

/// Objects accumulated so far and the field specs in force.
struct Acc {
    resources: Vec<Resource>,
    config: transform::Config,
    /// The deprecated `vars:` declared so far.
    vars: vars::VarSet,
    /// The ids of `resources`, for the duplicate check of `append`; dropped
    /// (and rebuilt on the next append) whenever transformers may have renamed objects.
    index: Option<rustc_hash::FxHashSet<IdKey>>,
}

/// A resource id as kustomize compares them: group, version, kind, name, effective namespace.
type IdKey = (String, String, String, String, String);

fn id_key(r: &Resource) -> IdKey {
    let id = r.id_ref();
    let own = str::to_string;
    (own(id.group), own(id.version), own(id.kind), own(id.name), own(id.effective_namespace()))
}

impl Acc {
    fn new() -> Acc {
        Acc { resources: Vec::new(), config: transform::Config::default(), vars: vars::VarSet::default(), index: None }
    }

    /// Adds a resource; an id already present is an error.
    fn append(&mut self, r: Resource) -> Result<(), String> {
        let resources = &self.resources;
        let index = self.index.get_or_insert_with(|| resources.iter().map(id_key).collect());
        if !index.insert(id_key(&r)) {
            return Err(format!("may not add resource with an already registered id: {}", r.id()));
        }
        if self.resources.len() >= MAX_OBJECTS {
            return Err(format!("more than {MAX_OBJECTS} objects"));
        }
        self.resources.push(r);
        Ok(())
    }

    /// Adds a generated resource: created, or merged into / replacing the
    /// object that has (or had) its id, by its `behavior`.
    fn absorb(&mut self, r: Resource) -> Result<(), String> {
        let id = r.id();
        let matches: Vec<usize> =
            self.resources.iter().enumerate().filter(|(_, x)| x.has_had_id(&id)).map(|(i, _)| i).collect();
        match (matches.as_slice(), r.behavior.unwrap_or_default()) {
            ([], Behavior::Create) => self.append(r),
            ([], _) => Err(format!("id {id} does not exist; cannot merge or replace")),
            ([i], Behavior::Merge | Behavior::Replace) => generators::combine(&mut self.resources[*i], r),
            ([_], Behavior::Create) => Err(format!("id {id} exists; behavior must be merge or replace")),
            _ => Err(format!("found multiple objects that could accept merge of {id}")),
        }
    }
}

/// One build over a filesystem.
pub struct Engine<'a> {
    fs: &'a dyn Fs,
    pub read_set: ReadSet,
    /// Directories being built, outermost first (cycle detection).
    stack: Vec<String>,
    /// Whether transformers note the objects they change (`buildMetadata: [transformerAnnotations]`).
    track_transformations: bool,
}

impl<'a> Engine<'a> {
    pub fn new(fs: &'a dyn Fs) -> Engine<'a> {
        Engine { fs, read_set: ReadSet::default(), stack: Vec::new(), track_transformations: false }
    }

    /// Builds the directory `dir`: its kustomization, or, without one, the
    /// kustomization Flux generates for it; `overrides` change the top
    /// kustomization as Flux does.
    pub fn build(&mut self, dir: &str, overrides: &Overrides) -> Result<Vec<Resource>, RenderError> {
        let (file, mut k) = match self.find_kustomization(dir)? {
            Some(found) => found,
            None => (join(dir, "kustomization.yaml").unwrap_or_default(), self.generated_kustomization(dir)?),
        };
        apply_overrides(&mut k, overrides);
        self.track_transformations = k.build_metadata.iter().any(|o| o == "transformerAnnotations");
        let mut acc = self.target(dir, &file, k.clone(), None)?;
        let at = |e: String| invalid(&file, e);
        for r in &mut acc.resources {
            if r.needs_hash {
                let hash = generators::hash_suffix(&r.obj).map_err(at)?;
                r.remember_id();
                let name = format!("{}-{hash}", r.name());
                r.set_name(&name);
            }
        }
        nameref::fix_name_references(&mut acc.resources, &acc.config.name_reference).map_err(at)?;
        vars::resolve(&mut acc.resources, &acc.vars, &acc.config.var_reference)
            .map_err(|e| at(format!("vars: {e}")))?;
        sort(&mut acc.resources, k.sort_options.as_ref()).map_err(at)?;
        build_metadata(&mut acc.resources, &k.build_metadata, dir);
        for r in &mut acc.resources {
            // kustomize drops an empty (or null) annotations map when it clears its build annotations.
            let md = r.metadata_mut();
            if md.get("annotations").is_some_and(|a| a.is_null() || a.as_object().is_some_and(Map::is_empty)) {
                md.remove("annotations");
            }
            // ... and prints every annotation value as a string.
            if let Some(a) = md.get_mut("annotations").and_then(Value::as_object_mut) {
                for v in a.values_mut() {
                    match v {
                        Value::String(_) => {}
                        Value::Null => *v = Value::String("null".into()),
                        Value::Bool(b) => *v = Value::String(b.to_string()),
                        Value::Number(n) => *v = Value::String(n.to_string()),
                        other => *other = Value::String(yaml::to_yaml(other).trim_end().to_string()),
                    }
                }
            }
        }
        Ok(acc.resources)
    }

    fn read(&mut self, path: &str) -> Result<Vec<u8>, RenderError> {
        self.read_set.files.insert(path.to_string());
        let bytes = self.fs.read(path)?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(invalid(path, format!("larger than {} MiB", MAX_FILE_BYTES >> 20)));
        }
        Ok(bytes)
    }

    fn read_text(&mut self, path: &str) -> Result<String, RenderError> {
        String::from_utf8(self.read(path)?).map_err(|_| invalid(path, "not UTF-8 text"))
    }

    /// A file a kustomization names in `field`; a failure names the kustomization and the field.
    fn read_named(&mut self, file: &str, field: &str, path: &str) -> Result<String, RenderError> {
        self.read_text(path).map_err(|e| match e {
            RenderError::Fs(e) => invalid(file, format!("{field}: {e}")),
            other => other,
        })
    }

    fn list(&mut self, dir: &str) -> Result<Vec<(String, Kind)>, RenderError> {
        self.read_set.dirs.insert(dir.to_string());
        Ok(self.fs.list(dir)?)
    }

    /// The kustomization file of `dir`, if it has one.
    fn find_kustomization(&mut self, dir: &str) -> Result<Option<(String, Kustomization)>, RenderError> {
        let entries = self.list(dir)?;
        let found: Vec<&str> = FILE_NAMES
            .iter()
            .copied()
            .filter(|name| entries.iter().any(|(n, k)| n == name && *k == Kind::File))
            .collect();
        let Some(name) = found.first() else { return Ok(None) };
        if found.len() > 1 {
            return Err(invalid(
                dir_name(dir),
                format!("found multiple kustomization files ({}); keep one", found.join(", ")),
            ));
        }
        let file = join(dir, name).unwrap_or_default();
        let text = self.read_text(&file)?;
        let doc = yaml::parse_value(&text).map_err(|e| invalid(&file, e.to_string()))?;
        let k = Kustomization::from_value(&doc).map_err(|e| invalid(&file, e))?;
        Ok(Some((file, k)))
    }

    /// The kustomization Flux writes for a directory without one: every
    /// `.yaml`/`.yml` manifest beneath it, and every subdirectory that has a
    /// kustomization file (not descended into), in path order.
    fn generated_kustomization(&mut self, dir: &str) -> Result<Kustomization, RenderError> {
        let mut resources = Vec::new();
        self.scan(dir, dir, &mut resources, 0)?;
        let mut k = Kustomization::default();
        if resources.is_empty() {
            // Flux builds an empty directory to nothing.
            return Ok(k);
        }
        k.resources = resources;
        Ok(k)
    }

    fn scan(&mut self, root: &str, dir: &str, out: &mut Vec<String>, depth: usize) -> Result<(), RenderError> {
        if depth > MAX_DEPTH {
            return Err(invalid(dir_name(dir), "directories nest too deeply (a symlink loop?)"));
        }
        for (name, kind) in self.list(dir)? {
            let path = join(dir, &name).unwrap_or_default();
            let rel = relative(root, &path);
            match kind {
                Kind::Dir => {
                    let sub = self.list(&path)?;
                    if FILE_NAMES.iter().any(|f| sub.iter().any(|(n, k)| n == f && *k == Kind::File)) {
                        out.push(rel);
                    } else {
                        self.scan(root, &path, out, depth + 1)?;
                    }
                }
                Kind::File if name.ends_with(".yaml") || name.ends_with(".yml") => out.push(rel),
                Kind::File => {}
            }
        }
        Ok(())
    }

    /// Builds one kustomization (without the top-only steps). A component
    /// works on the accumulation it is given.
    fn target(&mut self, dir: &str, file: &str, k: Kustomization, given: Option<Acc>) -> Result<Acc, RenderError> {
        if self.stack.len() > MAX_DEPTH {
            return Err(invalid(file, "kustomizations nest too deeply"));
        }
        if self.stack.iter().any(|d| d == dir) {
            return Err(invalid(file, format!("cycle: {} includes itself", dir_name(dir))));
        }
        self.stack.push(dir.to_string());
        let result = self.target_inner(dir, file, k, given);
        self.stack.pop();
        result
    }

    fn target_inner(
        &mut self,
        dir: &str,
        file: &str,
        k: Kustomization,
        given: Option<Acc>,
    ) -> Result<Acc, RenderError> {
        let mut acc = given.unwrap_or_else(Acc::new);
        for (i, r) in k.resources.iter().enumerate() {
            self.resource(dir, file, &mut acc, r).map_err(|e| prefix(e, &format!("resources[{i}]")))?;
        }
        let mut docs = Vec::new();
        for (i, c) in k.configurations.iter().enumerate() {
            let path = self.local_file(dir, c).map_err(|e| invalid(file, format!("configurations[{i}]: {e}")))?;
            let text = self.read_named(file, &format!("configurations[{i}]"), &path)?;
            docs.push(yaml::parse_value(&text).map_err(|e| invalid(&path, e.to_string()))?);
        }
        if docs.is_empty() {
            // The usual case, without building and merging the default tables again.
            static DEFAULTS: std::sync::LazyLock<transform::Config> = std::sync::LazyLock::new(|| {
                let mut c = transform::Config::default();
                // Merging the built-in tables into nothing cannot conflict.
                let _ = c.merge(&transform::Config::builtin());
                c
            });
            if acc.config == transform::Config::default() {
                acc.config = DEFAULTS.clone();
            } else if acc.config != *DEFAULTS {
                acc.config
                    .merge(&transform::Config::builtin())
                    .map_err(|e| invalid(file, format!("configurations: {e}")))?;
            }
        } else {
            let level =
                transform::Config::for_level(&docs).map_err(|e| invalid(file, format!("configurations: {e}")))?;
            acc.config.merge(&level).map_err(|e| invalid(file, format!("configurations: {e}")))?;
        }
        for (i, c) in k.crds.iter().enumerate() {
            let path = self.local_file(dir, c).map_err(|e| invalid(file, format!("crds[{i}]: {e}")))?;
            let text = self.read_named(file, &format!("crds[{i}]"), &path)?;
            for doc in yaml::parse_documents(&text).map_err(|e| invalid(&path, e.to_string()))? {
                let config = nameref::crd_configuration(&doc).map_err(|e| invalid(&path, e))?;
                acc.config.merge_file(&config).map_err(|e| invalid(&path, e))?;
            }
        }
        self.generate(dir, file, &k, &mut acc)?;
        self.plugin_generators(dir, file, &k, &mut acc)?;
        for (i, c) in k.components.iter().enumerate() {
            acc = self.component(dir, file, acc, c).map_err(|e| prefix(e, &format!("components[{i}]")))?;
        }
        self.transform(dir, file, &k, &mut acc)?;
        self.plugin_transformers(dir, file, &k, &mut acc)?;
        acc.vars.declare(&mut acc.resources, &k.vars).map_err(|e| invalid(file, format!("vars: {e}")))?;
        acc.index = None;
        Ok(acc)
    }

    /// One `resources:` entry: a file of manifests or a kustomization directory.
    fn resource(&mut self, dir: &str, file: &str, acc: &mut Acc, entry: &str) -> Result<(), RenderError> {
        if is_remote(entry) {
            return Err(invalid(file, format!("remote resource {entry:?} is refused; vendor it into the repository")));
        }
        if entry.starts_with('/') {
            return Err(invalid(
                file,
                format!("{entry:?} is an absolute path; name files relative to the kustomization"),
            ));
        }
        let Some(path) = join(dir, entry) else {
            return Err(invalid(file, format!("{entry:?} leaves the repository")));
        };
        match self.fs.kind(&path) {
            Some(Kind::File) => {
                let path = self.local_file(dir, entry).map_err(|e| invalid(file, e))?;
                for r in self.manifests(&path)? {
                    acc.append(r).map_err(|e| invalid(&path, e))?;
                }
                Ok(())
            }
            Some(Kind::Dir) => {
                let Some((sub_file, k)) = self.find_kustomization(&path)? else {
                    return Err(invalid(
                        file,
                        format!("{entry:?}: no kustomization.yaml, kustomization.yml or Kustomization in {path}"),
                    ));
                };
                if k.kind == KustKind::Component {
                    return Err(invalid(&sub_file, "a Component can be used in components only, not as a resource"));
                }
                let sub = self.target(&path, &sub_file, k, None)?;
                acc.config.merge(&sub.config).map_err(|e| invalid(&sub_file, e))?;
                for r in sub.resources {
                    acc.append(r).map_err(|e| invalid(&sub_file, e))?;
                }
                acc.vars.merge(sub.vars).map_err(|e| invalid(&sub_file, format!("vars: {e}")))?;
                Ok(())
            }
            None => {
                self.read_set.files.insert(path.clone());
                match self.fs.read(&path) {
                    Err(e @ (FsError::Escapes(_) | FsError::Other { .. })) => Err(e.into()),
                    _ => Err(invalid(file, format!("{entry:?}: {path} does not exist"))),
                }
            }
        }
    }

    fn component(&mut self, dir: &str, file: &str, acc: Acc, entry: &str) -> Result<Acc, RenderError> {
        if is_remote(entry) {
            return Err(invalid(file, format!("remote component {entry:?} is refused; vendor it into the repository")));
        }
        if entry.starts_with('/') {
            return Err(invalid(
                file,
                format!("{entry:?} is an absolute path; name directories relative to the kustomization"),
            ));
        }
        let Some(path) = join(dir, entry) else {
            return Err(invalid(file, format!("{entry:?} leaves the repository")));
        };
        if self.fs.kind(&path) != Some(Kind::Dir) {
            self.read_set.files.insert(path.clone());
            return Err(invalid(file, format!("{entry:?}: {path} is not a directory")));
        }
        let Some((sub_file, k)) = self.find_kustomization(&path)? else {
            return Err(invalid(file, format!("{entry:?}: no kustomization.yaml in {path}")));
        };
        if k.kind != KustKind::Component {
            return Err(invalid(&sub_file, "expected kind 'Component' for a path listed in components"));
        }
        let done = self.target(&path, &sub_file, k, Some(acc))?;
        let mut config = transform::Config::default();
        config.merge(&done.config).map_err(|e| invalid(&sub_file, e))?;
        Ok(Acc { resources: done.resources, config, vars: done.vars, index: None })
    }

    /// A file named by a kustomization in `dir`: inside `dir` (kustomize's root-only rule).
    fn local_file(&mut self, dir: &str, entry: &str) -> Result<String, String> {
        let path = join(dir, entry).ok_or_else(|| format!("{entry:?} leaves the repository"))?;
        let inside = dir.is_empty() || path.starts_with(&format!("{dir}/"));
        if !inside || entry.starts_with('/') {
            return Err(format!("security; file {entry:?} is not in or below {}", dir_name(dir)));
        }
        Ok(path)
    }

    /// The objects of a manifest file: each document (lists expanded, as kustomize does, after the other documents).
    fn manifests(&mut self, path: &str) -> Result<Vec<Resource>, RenderError> {
        let text = self.read_text(path)?;
        let docs = yaml::parse_documents(&text).map_err(|e| invalid(path, e.to_string()))?;
        objects_of(docs).map_err(|e| invalid(path, e)).map(|objs| {
            objs.into_iter()
                .map(|o| {
                    let mut r = Resource::new(o);
                    r.origin = Some(path.to_string());
                    r
                })
                .collect()
        })
    }

    fn generate(&mut self, dir: &str, file: &str, k: &Kustomization, acc: &mut Acc) -> Result<(), RenderError> {
        let lists = [
            (GeneratorKind::ConfigMap, "configMapGenerator", &k.config_map_generator),
            (GeneratorKind::Secret, "secretGenerator", &k.secret_generator),
        ];
        for (kind, field, entries) in lists {
            for (i, args) in entries.iter().enumerate() {
                let mut failure: Option<RenderError> = None;
                let generated = {
                    let mut read = |rel: &str| -> Result<Vec<u8>, String> {
                        let path = self.local_file(dir, rel)?;
                        match self.read(&path) {
                            Ok(b) => Ok(b),
                            Err(e) => {
                                let msg = e.to_string();
                                failure = Some(e);
                                Err(msg)
                            }
                        }
                    };
                    generators::generate(kind, args, &k.generator_options, &mut read)
                };
                let mut r = match generated {
                    Ok(r) => r,
                    Err(e) => {
                        return Err(match failure {
                            Some(RenderError::Fs(fs)) => invalid(file, format!("{field}[{i}]: {fs}")),
                            Some(other) => other,
                            None => invalid(file, e),
                        });
                    }
                };
                let generator = if kind == GeneratorKind::ConfigMap { "ConfigMapGenerator" } else { "SecretGenerator" };
                r.origin = Some(format!("{file}#{generator}"));
                acc.absorb(r).map_err(|e| invalid(file, format!("{field}[{i}]: {e}")))?;
            }
        }
        Ok(())
    }

    fn transform(&mut self, dir: &str, file: &str, k: &Kustomization, acc: &mut Acc) -> Result<(), RenderError> {
        acc.index = None;
        let at = |field: &str| {
            let field = field.to_string();
            move |e: String| invalid(file, format!("{field}: {e}"))
        };
        for (i, entry) in k.patches_strategic_merge.iter().enumerate() {
            let (content, source) = self.patch_content(dir, file, entry)?;
            patch::apply_strategic_merge_patches(&mut acc.resources, &content, &source)
                .map_err(at(&format!("patchesStrategicMerge[{i}]")))?;
            record(&mut acc.resources, self.track_transformations, file, "PatchStrategicMergeTransformer");
        }
        for (i, p) in k.patches.iter().enumerate() {
            let field = format!("patches[{i}]");
            let (content, source) = match (&p.patch, &p.path) {
                (Some(text), None) if !text.trim().is_empty() => (text.trim().to_string(), file.to_string()),
                (None, Some(path)) => {
                    let path = self.local_file(dir, path).map_err(at(&field))?;
                    (self.read_named(file, &field, &path)?, path)
                }
                (Some(_), Some(_)) => return Err(at(&field)("patch and path can't be set at the same time".into())),
                _ => return Err(at(&field)("must specify one of patch and path".into())),
            };
            let target = p.target.as_ref().map(patch::Selector::from_value).transpose().map_err(at(&field))?;
            let options =
                patch::PatchOptions { allow_name_change: p.allow_name_change, allow_kind_change: p.allow_kind_change };
            patch::apply_patch(&mut acc.resources, &content, target.as_ref(), options, &source).map_err(at(&field))?;
            record(&mut acc.resources, self.track_transformations, file, "PatchTransformer");
        }
        if !k.namespace.is_empty() {
            transform::namespace(&mut acc.resources, &k.namespace, &acc.config).map_err(at("namespace"))?;
            record(&mut acc.resources, self.track_transformations, file, "NamespaceTransformer");
        }
        if !k.name_prefix.is_empty() || !k.name_suffix.is_empty() {
            if !k.name_prefix.is_empty() {
                transform::prefix_suffix(&mut acc.resources, &k.name_prefix, "", &acc.config)
                    .map_err(at("namePrefix"))?;
                record(&mut acc.resources, self.track_transformations, file, "PrefixTransformer");
            }
            if !k.name_suffix.is_empty() {
                transform::prefix_suffix(&mut acc.resources, "", &k.name_suffix, &acc.config)
                    .map_err(at("nameSuffix"))?;
                record(&mut acc.resources, self.track_transformations, file, "SuffixTransformer");
            }
        }
        for (i, l) in k.labels.iter().enumerate() {
            transform::labels(
                &mut acc.resources,
                &l.pairs,
                l.include_selectors,
                l.include_templates,
                &l.fields,
                &acc.config,
            )
            .map_err(at(&format!("labels[{i}]")))?;
            record(&mut acc.resources, self.track_transformations, file, "LabelTransformer");
        }
        if !k.common_labels.is_empty() {
            transform::common_labels(&mut acc.resources, &k.common_labels, &acc.config).map_err(at("commonLabels"))?;
            record(&mut acc.resources, self.track_transformations, file, "LabelTransformer");
        }
        if !k.common_annotations.is_empty() {
            transform::annotations(&mut acc.resources, &k.common_annotations, &acc.config)
                .map_err(at("commonAnnotations"))?;
            record(&mut acc.resources, self.track_transformations, file, "AnnotationsTransformer");
        }
        for (i, p) in k.patches_json6902.iter().enumerate() {
            let field = format!("patchesJson6902[{i}]");
            let ops = match (&p.patch, &p.path) {
                (Some(text), None) => text.clone(),
                (None, Some(path)) => {
                    let path = self.local_file(dir, path).map_err(at(&field))?;
                    self.read_named(file, &field, &path)?
                }
                (Some(_), Some(_)) => return Err(at(&field)("patch and path can't be set at the same time".into())),
                (None, None) => return Err(at(&field)("must specify one of patch and path".into())),
            };
            let target = p.target.as_ref().map(patch::Selector::from_value).transpose().map_err(at(&field))?;
            let target = target.unwrap_or_default();
            patch::apply_json6902_patch(&mut acc.resources, &ops, &target, file).map_err(at(&field))?;
            record(&mut acc.resources, self.track_transformations, file, "PatchJson6902Transformer");
        }
        if !k.replicas.is_empty() {
            transform::replicas(&mut acc.resources, &k.replicas, &acc.config).map_err(at("replicas"))?;
            record(&mut acc.resources, self.track_transformations, file, "ReplicaCountTransformer");
        }
        if !k.images.is_empty() {
            transform::images(&mut acc.resources, &k.images, &acc.config).map_err(at("images"))?;
            record(&mut acc.resources, self.track_transformations, file, "ImageTagTransformer");
        }
        if !k.replacements.is_empty() {
            let mut loaded = Vec::new();
            for (i, r) in k.replacements.iter().enumerate() {
                let field = format!("replacements[{i}]");
                match r.get("path").and_then(Value::as_str) {
                    Some(path) if r.as_object().is_some_and(|m| m.len() == 1) => {
                        let path = self.local_file(dir, path).map_err(at(&field))?;
                        let text = self.read_named(file, &field, &path)?;
                        for doc in yaml::parse_documents(&text).map_err(|e| invalid(&path, e.to_string()))? {
                            match doc {
                                Value::Array(items) => loaded.extend(items),
                                other => loaded.push(other),
                            }
                        }
                    }
                    Some(_) => return Err(at(&field)("path cannot be used with other fields".into())),
                    None => loaded.push(r.clone()),
                }
            }
            replacements::replacements(&mut acc.resources, &loaded).map_err(at("replacements"))?;
            record(&mut acc.resources, self.track_transformations, file, "ReplacementTransformer");
        }
        Ok(())
    }

    /// `generators:`: builtin generator plugins, run after the kustomization's own generators.
    fn plugin_generators(
        &mut self,
        dir: &str,
        file: &str,
        k: &Kustomization,
        acc: &mut Acc,
    ) -> Result<(), RenderError> {
        let configs = self.plugin_configs(dir, file, "generators", &k.generators)?;
        for config in &configs {
            let generated = self.with_local_files(dir, file, "generators", |read| {
                plugins::Plugin::configure(config, plugins::Role::Generator, read)?.generate(read)
            })?;
            for r in generated {
                acc.absorb(r).map_err(|e| invalid(file, format!("generators: {e}")))?;
            }
        }
        Ok(())
    }

    /// `transformers:`: builtin transformer plugins, run after the kustomization's own transformers; each is
    /// noted on every object (kustomize's build metadata does so).
    fn plugin_transformers(
        &mut self,
        dir: &str,
        file: &str,
        k: &Kustomization,
        acc: &mut Acc,
    ) -> Result<(), RenderError> {
        let configs = self.plugin_configs(dir, file, "transformers", &k.transformers)?;
        let configured = self.with_local_files(dir, file, "transformers", |read| {
            configs
                .iter()
                .map(|c| plugins::Plugin::configure(c, plugins::Role::Transformer, read))
                .collect::<Result<Vec<_>, _>>()
        })?;
        for plugin in &configured {
            plugin.transform(&mut acc.resources).map_err(|e| invalid(file, format!("transformers: {e}")))?;
            if self.track_transformations {
                let entry = plugin.record();
                for r in &mut acc.resources {
                    r.transformations.push(entry.clone());
                }
            }
        }
        Ok(())
    }

    /// The plugin configurations `generators:` / `transformers:` entries hold: inline ones first, then those of
    /// files and directories, as kustomize loads them.
    fn plugin_configs(
        &mut self,
        dir: &str,
        file: &str,
        field: &str,
        entries: &[String],
    ) -> Result<Vec<Resource>, RenderError> {
        let mut configs = Acc::new();
        let mut paths = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            match plugins::inline_configs(entry, file) {
                Some(found) => {
                    for r in found {
                        configs.append(r).map_err(|e| invalid(file, format!("{field}[{i}]: {e}")))?;
                    }
                }
                None => paths.push((i, entry)),
            }
        }
        for (i, entry) in paths {
            self.resource(dir, file, &mut configs, entry).map_err(|e| prefix(e, &format!("{field}[{i}]")))?;
        }
        Ok(configs.resources)
    }

    /// Runs `f` with a reader of the files a plugin names (relative to `dir`, inside it).
    fn with_local_files<T>(
        &mut self,
        dir: &str,
        file: &str,
        field: &str,
        f: impl FnOnce(&mut plugins::ReadFile<'_>) -> Result<T, String>,
    ) -> Result<T, RenderError> {
        let mut read = |rel: &str| -> Result<Vec<u8>, String> {
            let path = self.local_file(dir, rel)?;
            self.read(&path).map_err(|e| e.to_string())
        };
        f(&mut read).map_err(|e| invalid(file, format!("{field}: {e}")))
    }

    /// A `patchesStrategicMerge` entry: inline YAML if it reads as objects, else a file.
    fn patch_content(&mut self, dir: &str, file: &str, entry: &str) -> Result<(String, String), RenderError> {
        let inline = yaml::parse_documents(entry)
            .ok()
            .is_some_and(|docs| !docs.is_empty() && docs.iter().all(|d| d.get("kind").is_some()));
        if inline {
            return Ok((entry.to_string(), file.to_string()));
        }
        let path = self.local_file(dir, entry).map_err(|e| invalid(file, format!("patchesStrategicMerge: {e}")))?;
        Ok((self.read_named(file, "patchesStrategicMerge", &path)?, path))
    }
}

/// Notes the transformer on every object of the accumulation, as kustomize
/// does (whether or not it changed the object), when `marked`.
fn record(resources: &mut [Resource], marked: bool, file: &str, kind: &str) {
    if marked {
        for r in resources {
            r.transformations.push(format!("{file}#{kind}"));
        }
    }
}

/// The objects of a manifest's documents: empty documents dropped, `kind`
/// and `metadata.name` required, `*List` kinds expanded (their items after
/// the file's other documents).
pub fn objects_of(docs: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut queue: std::collections::VecDeque<Value> = docs.into();
    let mut out = Vec::new();
    while let Some(doc) = queue.pop_front() {
        let Value::Object(m) = &doc else {
            if doc.is_null() {
                continue;
            }
            return Err("a document must be a mapping (a Kubernetes object)".into());
        };
        if m.is_empty() {
            continue;
        }
        let kind = m.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind.is_empty() {
            return Err(format!("missing kind in object {}", brief(&doc)));
        }
        if kind.ends_with("List") {
            match m.get("items") {
                None => {}
                Some(Value::Null) => continue,
                Some(Value::Array(items)) => {
                    queue.extend(items.iter().cloned());
                    continue;
                }
                Some(_) => return Err(format!("expected array in {kind}/items")),
            }
        } else if doc.pointer("/metadata/name").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(format!("missing metadata.name in object {}", brief(&doc)));
        }
        out.push(doc);
    }
    Ok(out)
}

fn brief(doc: &Value) -> String {
    let s = |p: &str| doc.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    format!("{{apiVersion: {:?}, kind: {:?}, name: {:?}}}", s("/apiVersion"), s("/kind"), s("/metadata/name"))
}

fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.starts_with("git@")
        || entry.contains("?ref=")
        || entry.contains("//") && !entry.starts_with('.')
}

fn dir_name(dir: &str) -> &str {
    if dir.is_empty() { "." } else { dir }
}

fn relative(root: &str, path: &str) -> String {
    let rest = if root.is_empty() { path } else { path.strip_prefix(root).unwrap_or(path).trim_start_matches('/') };
    format!("./{rest}")
}

fn prefix(e: RenderError, what: &str) -> RenderError {
    match e {
        RenderError::Invalid { file, message } if !message.starts_with(what) => {
            RenderError::Invalid { file, message: format!("{what}: {message}") }
        }
        other => other,
    }
}

/// Changes the top kustomization as Flux's generator does.
fn apply_overrides(k: &mut Kustomization, o: &Overrides) {
    if let Some(ns) = &o.namespace {
        k.namespace = ns.clone();
    }
    if let Some(p) = &o.name_prefix {
        k.name_prefix = p.clone();
    }
    if let Some(s) = &o.name_suffix {
        k.name_suffix = s.clone();
    }
    for p in &o.patches {
        k.patches.push(super::kustomization::Patch {
            patch: p.get("patch").and_then(Value::as_str).map(str::to_string),
            target: p.get("target").cloned(),
            ..Default::default()
        });
    }
    k.components.extend(o.components.iter().cloned());
    for image in &o.images {
        let name = image.get("name");
        match k.images.iter_mut().find(|i| i.get("name") == name) {
            Some(existing) => {
                let (Some(e), Some(new)) = (existing.as_object_mut(), image.as_object()) else { continue };
                if let Some(n) = new.get("newName").filter(|v| v.as_str().is_some_and(|s| !s.is_empty())) {
                    e.insert("newName".into(), n.clone());
                }
                let tag = new.get("newTag").filter(|v| v.as_str().is_some_and(|s| !s.is_empty()));
                let digest = new.get("digest").filter(|v| v.as_str().is_some_and(|s| !s.is_empty()));
                if tag.is_some() || digest.is_some() {
                    for (key, v) in [("newTag", tag), ("digest", digest)] {
                        match v {
                            Some(v) => e.insert(key.into(), v.clone()),
                            None => e.remove(key),
                        };
                    }
                }
            }
            None => k.images.push(image.clone()),
        }
    }
}

/// kustomize's output order: `legacy` (the default: by kind in a fixed
/// order, then by id) or `fifo` (as accumulated).
fn sort(resources: &mut [Resource], options: Option<&Value>) -> Result<(), String> {
    let (order, first, last) = match options {
        None | Some(Value::Null) => ("legacy", None, None),
        Some(Value::Object(m)) => {
            for key in m.keys() {
                if !["order", "legacySortOptions"].contains(&key.as_str()) {
                    return Err(format!("sortOptions: unknown field {key:?}"));
                }
            }
            let order = m.get("order").and_then(Value::as_str).unwrap_or("fifo");
            if order != "fifo" && order != "legacy" {
                return Err("the field 'sortOptions.order' must be one of [fifo, legacy]".into());
            }
            let legacy = m.get("legacySortOptions").filter(|v| !v.is_null());
            if order == "fifo" && legacy.is_some() {
                return Err("the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'".into());
            }
            let names = |key: &str| -> Option<Vec<String>> {
                legacy?.get(key)?.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
            };
            match legacy {
                Some(_) => {
                    (order, Some(names("orderFirst").unwrap_or_default()), Some(names("orderLast").unwrap_or_default()))
                }
                None => (order, None, None),
            }
        }
        Some(_) => return Err("sortOptions: must be a mapping".into()),
    };
    if order == "fifo" {
        return Ok(());
    }
    let first = first.unwrap_or_else(|| LEGACY_FIRST.iter().map(|s| s.to_string()).collect());
    let last = last.unwrap_or_else(|| LEGACY_LAST.iter().map(|s| s.to_string()).collect());
    let id_key = |r: &Resource| {
        let g = r.gvk();
        let or = |s: &str, d: &str| if s.is_empty() { d.to_string() } else { s.to_string() };
        format!(
            "{}.{}.{}|{}|{}",
            or(&g.kind, "[noKind]"),
            or(&g.version, "[noVer]"),
            or(&g.group, "[noGrp]"),
            or(r.namespace(), "~X"),
            or(r.name(), "~N")
        )
    };
    // Keys are computed once per object, then the objects are put in key order.
    let keys: Vec<(Gvk, i64, String, String)> = resources
        .iter()
        .map(|r| {
            let g = r.gvk();
            let rank = kind_rank(&g.kind, &first, &last);
            let key = g.legacy_key();
            (g, rank, key, id_key(r))
        })
        .collect();
    let mut order: Vec<usize> = (0..resources.len()).collect();
    order.sort_by(|&a, &b| {
        let ((ga, ra, ka, ia), (gb, rb, kb, ib)) = (&keys[a], &keys[b]);
        if ga != gb {
            if ra != rb {
                return ra.cmp(rb);
            }
            if ga.kind == "Namespace" && gb.kind == "Namespace" && (ga.group.is_empty() || gb.group.is_empty()) {
                return kb.cmp(ka);
            }
            return ka.cmp(kb);
        }
        ia.cmp(ib)
    });
    let mut taken: Vec<Option<Resource>> =
        resources.iter_mut().map(|r| Some(std::mem::replace(r, Resource::new(Value::Null)))).collect();
    for (slot, i) in resources.iter_mut().zip(order) {
        if let Some(r) = taken[i].take() {
            *slot = r;
        }
    }
    Ok(())
}

/// `buildMetadata`: `originAnnotations` (the file or generator each object
/// came from), `transformerAnnotations` (the transformers that changed it)
/// and `managedByLabel`, with paths relative to the top kustomization's
/// directory `top`. Unknown options are ignored, as kustomize ignores them.
fn build_metadata(resources: &mut [Resource], options: &[String], top: &str) {
    let has = |o: &str| options.iter().any(|x| x == o);
    let (origins, transformations, managed) =
        (has("originAnnotations"), has("transformerAnnotations"), has("managedByLabel"));
    let configured = |entry: &str| -> String {
        match entry.split_once('#') {
            Some((file, by)) => {
                // `<Kind>`, or `<Kind>#<name>#<namespace>` for a plugin configuration.
                let mut parts = by.splitn(3, '#');
                let kind = parts.next().unwrap_or_default();
                let mut text = format!(
                    "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}\n",
                    relative_to(top, file)
                );
                for (key, value) in [("name", parts.next()), ("namespace", parts.next())] {
                    if let Some(v) = value.filter(|v| !v.is_empty()) {
                        let v = yaml::to_yaml(&Value::String(v.to_string()));
                        text.push_str(&format!("  {key}: {}\n", v.trim_end()));
                    }
                }
                text
            }
            None => format!("path: {}\n", relative_to(top, entry)),
        }
    };
    for r in resources.iter_mut() {
        let mut annotations = Vec::new();
        if origins && let Some(origin) = &r.origin {
            annotations.push(("config.kubernetes.io/origin", configured(origin)));
        }
        if transformations && !r.transformations.is_empty() {
            let list: String = r
                .transformations
                .iter()
                .map(|t| {
                    let text = configured(t);
                    let mut lines = text.lines();
                    let first = lines.next().unwrap_or_default();
                    let rest: String = lines.map(|l| format!("  {l}\n")).collect();
                    format!("- {first}\n{rest}")
                })
                .collect();
            annotations.push(("alpha.config.kubernetes.io/transformations", list));
        }
        for (key, value) in annotations {
            let a = r.metadata_mut().entry("annotations").or_insert_with(|| Value::Object(Map::new()));
            if let Some(a) = a.as_object_mut() {
                a.insert(key.into(), Value::String(value));
            }
        }
        if managed {
            let labels = r.metadata_mut().entry("labels").or_insert_with(|| Value::Object(Map::new()));
            if let Some(l) = labels.as_object_mut() {
                l.insert("app.kubernetes.io/managed-by".into(), Value::String("kustomize-(devel)".into()));
            }
        }
    }
}

/// `path` (repository-relative) as seen from directory `dir`.
fn relative_to(dir: &str, path: &str) -> String {
    let d: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let common = d.iter().zip(&p).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; d.len() - common];
    out.extend(&p[common..]);
    out.join("/")
}
