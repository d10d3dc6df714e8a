//! The kustomize-compatible renderer: builds a Kustomization's path into the
//! objects to apply, reading through an [`Fs`] (a git tree or a local
//! directory) and recording every file and directory it read (the read-set
//! the planner uses). Output equals `kubectl kustomize` (kustomize v5.5).
//!
//! Modules, in the order a build uses them: [`kustomization`] (the file),
//! [`yaml`] (reading and printing YAML as kustomize does), [`engine`] (the
//! accumulate-and-transform walk), [`generators`], [`patch`], [`transform`]
//! (field-spec transformers over [`fieldspec`]s), [`replacements`],
//! [`nameref`] (following renamed objects), and [`substitute`] (Flux's
//! post-build variables). [`resource`] is the object model they share.

pub mod engine;
pub mod fieldspec;
pub mod fs;
pub mod generators;
pub mod kustomization;
pub mod nameref;
pub mod patch;
pub mod plugins;
pub mod replacements;
pub mod resource;
pub mod substitute;
pub mod transform;
pub mod vars;
pub mod yaml;

use self::fs::{Fs, FsError, Kind};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

pub use engine::Overrides;

/// The files and directories a render read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSet {
    pub files: BTreeSet<String>,
    /// Directories listed (a file appearing in one changes the result).
    pub dirs: BTreeSet<String>,
}

/// The result of a render.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub objects: Vec<Value>,
    pub read_set: ReadSet,
}

/// Why a render failed; messages name the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

pub(crate) fn invalid(file: &str, message: impl Into<String>) -> RenderError {
    RenderError::Invalid { file: if file.is_empty() { ".".into() } else { file.to_string() }, message: message.into() }
}

/// What a Flux Kustomization adds to a plain build.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Changes to the top kustomization (targetNamespace, namePrefix, patches, images, components).
    pub overrides: Overrides,
    /// `spec.postBuild`: the variables and whether an unset one is an error.
    pub substitute: Option<(substitute::Vars, bool)>,
    /// `spec.commonMetadata`: labels and annotations set on every object.
    pub common_labels: Map<String, Value>,
    pub common_annotations: Map<String, Value>,
}

/// Renders the directory `path` (repository-relative, normalised).
pub fn render(fs: &dyn Fs, path: &str) -> Result<Rendered, RenderError> {
    render_with(fs, path, &Options::default())
}

/// Renders the directory `path` with a Flux Kustomization's options.
pub fn render_with(fs: &dyn Fs, path: &str, options: &Options) -> Result<Rendered, RenderError> {
    match fs.kind(path) {
        Some(Kind::Dir) => {}
        Some(Kind::File) => return Err(FsError::NotADirectory(path.to_string()).into()),
        None => return Err(FsError::NotFound(if path.is_empty() { ".".into() } else { path.to_string() }).into()),
    }
    let mut engine = engine::Engine::new(fs);
    let resources = engine.build(path, &options.overrides)?;
    let mut objects: Vec<Value> = resources.into_iter().map(|r| r.obj).collect();
    if let Some((vars, strict)) = &options.substitute {
        substitute::substitute(&mut objects, vars, *strict).map_err(|e| invalid(path, format!("postBuild: {e}")))?;
    }
    for o in &mut objects {
        for (field, pairs) in [("labels", &options.common_labels), ("annotations", &options.common_annotations)] {
            if pairs.is_empty() {
                continue;
            }
            let Some(md) = o.as_object_mut().and_then(|m| m.get_mut("metadata")).and_then(Value::as_object_mut) else {
                continue;
            };
            let entry = md.entry(field).or_insert_with(|| Value::Object(Map::new()));
            if let Some(m) = entry.as_object_mut() {
                m.extend(pairs.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    Ok(Rendered { objects, read_set: engine.read_set })
}

/// Renders the directory `path` and prints the objects as `kubectl kustomize` does.
pub fn build(fs: &dyn Fs, path: &str) -> Result<String, RenderError> {
    Ok(yaml::emit(&render(fs, path)?.objects))
}
