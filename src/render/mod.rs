//! Rendering a Kustomization's path into the objects to apply, reading
//! through an [`Fs`] (a git tree or a local directory) and recording every
//! file and directory it read (the read-set the planner uses).
//!
//! This is the walking skeleton's renderer: a directory of YAML files, or a
//! `kustomization.yaml` whose `resources` name files and directories. The
//! kustomize-compatible engine replaces it (issue 5); fields it does not know
//! yet are refused with a clear error rather than ignored.

pub mod fs;

use self::fs::{Fs, FsError, Kind, join};
use serde_json::Value;
use std::collections::BTreeSet;

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

fn invalid(file: &str, message: impl Into<String>) -> RenderError {
    RenderError::Invalid { file: file.to_string(), message: message.into() }
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
/// Largest manifest file read.
const MAX_FILE_BYTES: usize = 8 << 20;
/// How deep `resources` may nest.
const MAX_DEPTH: usize = 32;

/// Renders the directory `path` (repository-relative, normalised).
pub fn render(fs: &dyn Fs, path: &str) -> Result<Rendered, RenderError> {
    let mut r = Renderer { fs, read_set: ReadSet::default(), objects: Vec::new() };
    match fs.kind(path) {
        Some(Kind::Dir) => r.dir(path, 0)?,
        Some(Kind::File) => return Err(FsError::NotADirectory(path.to_string()).into()),
        None => return Err(FsError::NotFound(if path.is_empty() { ".".into() } else { path.to_string() }).into()),
    }
    Ok(Rendered { objects: r.objects, read_set: r.read_set })
}

struct Renderer<'a> {
    fs: &'a dyn Fs,
    read_set: ReadSet,
    objects: Vec<Value>,
}

impl Renderer<'_> {
    fn read(&mut self, path: &str) -> Result<Vec<u8>, RenderError> {
        self.read_set.files.insert(path.to_string());
        let bytes = self.fs.read(path)?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(invalid(path, format!("larger than {} MiB", MAX_FILE_BYTES >> 20)));
        }
        Ok(bytes)
    }

    /// A directory: its kustomization file if it has one, else every YAML file beneath it.
    fn dir(&mut self, dir: &str, depth: usize) -> Result<(), RenderError> {
        if depth > MAX_DEPTH {
            return Err(invalid(dir, "resources nest too deeply (a cycle?)"));
        }
        self.read_set.dirs.insert(dir.to_string());
        let entries = self.fs.list(dir)?;
        if let Some((name, _)) =
            entries.iter().find(|(n, k)| *k == Kind::File && KUSTOMIZATION_FILES.contains(&n.as_str()))
        {
            let file = join(dir, name).unwrap_or_default();
            return self.kustomization(dir, &file, depth);
        }
        self.plain_dir(dir, &entries, 0)
    }

    /// Every `.yaml`, `.yml` and `.json` file beneath a directory, as Flux generates a kustomization for it.
    fn plain_dir(&mut self, dir: &str, entries: &[(String, Kind)], depth: usize) -> Result<(), RenderError> {
        if depth > MAX_DEPTH {
            return Err(invalid(dir, "directories nest too deeply (a symlink loop?)"));
        }
        for (name, kind) in entries {
            let child = join(dir, name).unwrap_or_default();
            match kind {
                Kind::Dir if !name.starts_with('.') => {
                    self.read_set.dirs.insert(child.clone());
                    let sub = self.fs.list(&child)?;
                    self.plain_dir(&child, &sub, depth + 1)?;
                }
                Kind::File if [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e)) => self.file(&child)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn kustomization(&mut self, dir: &str, file: &str, depth: usize) -> Result<(), RenderError> {
        let bytes = self.read(file)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid(file, "not UTF-8"))?;
        let doc = crate::api::load::parse_yaml_documents(text)
            .map_err(|e| invalid(file, format!("not valid YAML: {e}")))?
            .into_iter()
            .next()
            .unwrap_or(Value::Null);
        let Some(k) = doc.as_object() else { return Err(invalid(file, "must be a YAML mapping")) };
        for key in k.keys() {
            if !["apiVersion", "kind", "resources"].contains(&key.as_str()) {
                return Err(invalid(
                    file,
                    format!("{key}: not supported yet (the walking skeleton renders `resources` only)"),
                ));
            }
        }
        let resources = match k.get("resources") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(invalid(file, "resources: must be a list")),
        };
        for (i, r) in resources.iter().enumerate() {
            let Some(r) = r.as_str() else { return Err(invalid(file, format!("resources[{i}]: must be a string"))) };
            if r.contains("://") || r.starts_with("github.com/") || r.starts_with("git@") {
                return Err(invalid(
                    file,
                    format!("resources[{i}]: remote resource {r:?} is refused; vendor it into the repository"),
                ));
            }
            let Some(target) = join(dir, r) else {
                return Err(invalid(file, format!("resources[{i}]: {r:?} leaves the repository")));
            };
            match self.fs.kind(&target) {
                Some(Kind::Dir) => self.dir(&target, depth + 1)?,
                Some(Kind::File) => self.file(&target)?,
                None => return Err(invalid(file, format!("resources[{i}]: {target} does not exist"))),
            }
        }
        Ok(())
    }

    /// A manifest file: one or more YAML documents, each a Kubernetes object.
    fn file(&mut self, file: &str) -> Result<(), RenderError> {
        let bytes = self.read(file)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid(file, "not UTF-8"))?;
        let docs =
            crate::api::load::parse_yaml_documents(text).map_err(|e| invalid(file, format!("not valid YAML: {e}")))?;
        for (i, doc) in docs.into_iter().enumerate() {
            match doc {
                Value::Null => {}
                Value::Object(ref m) => {
                    let has = |k: &str| m.get(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
                    if !has("apiVersion") || !has("kind") {
                        return Err(invalid(file, format!("document {}: apiVersion and kind are required", i + 1)));
                    }
                    let name = m.get("metadata").and_then(|md| md.get("name")).and_then(Value::as_str);
                    if name.is_none_or(str::is_empty) {
                        return Err(invalid(file, format!("document {}: metadata.name is required", i + 1)));
                    }
                    self.objects.push(doc);
                }
                _ => return Err(invalid(file, format!("document {}: must be a YAML mapping", i + 1))),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fs::LocalFs;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\n";

    #[test]
    fn a_plain_directory_renders_every_yaml_file_beneath_it() {
        let d = tree(&[
            ("clusters/dev/a.yaml", &CM.replace("NAME", "a")),
            ("clusters/dev/sub/b.yml", &format!("{}---\n{}", CM.replace("NAME", "b"), CM.replace("NAME", "c"))),
            ("clusters/dev/README.md", "# not a manifest"),
            ("clusters/prod/x.yaml", &CM.replace("NAME", "x")),
        ]);
        let fs = LocalFs::new(d.path()).unwrap();
        let r = render(&fs, "clusters/dev").unwrap();
        let names: Vec<&str> = r.objects.iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["a", "b", "c"]);
        assert_eq!(
            r.read_set.files.iter().cloned().collect::<Vec<_>>(),
            vec!["clusters/dev/a.yaml", "clusters/dev/sub/b.yml"]
        );
        assert!(r.read_set.dirs.contains("clusters/dev/sub"));
    }

    #[test]
    fn kustomization_resources_follow_files_and_directories() {
        let d = tree(&[
            ("clusters/base/kustomization.yaml", "resources: [cm.yaml]\n"),
            ("clusters/base/cm.yaml", &CM.replace("NAME", "base")),
            (
                "clusters/dev/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../base\n- extra.yaml\n",
            ),
            ("clusters/dev/extra.yaml", &CM.replace("NAME", "extra")),
            ("clusters/dev/ignored.yaml", &CM.replace("NAME", "ignored")),
        ]);
        let fs = LocalFs::new(d.path()).unwrap();
        let r = render(&fs, "clusters/dev").unwrap();
        let names: Vec<&str> = r.objects.iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["base", "extra"]);
        assert!(r.read_set.files.contains("clusters/base/cm.yaml"));
        assert!(!r.read_set.files.contains("clusters/dev/ignored.yaml"));
    }

    #[test]
    fn bad_input_is_an_error_naming_the_file() {
        let d = tree(&[("app/bad.yaml", "apiVersion: v1\nkind: [ConfigMap\n")]);
        let fs = LocalFs::new(d.path()).unwrap();
        let e = render(&fs, "app").unwrap_err().to_string();
        assert!(e.starts_with("app/bad.yaml: not valid YAML"), "{e}");
        let d = tree(&[("app/kustomization.yaml", "resources: [../../outside]\n")]);
        let e = render(&LocalFs::new(d.path()).unwrap(), "app").unwrap_err().to_string();
        assert!(e.contains("leaves the repository"), "{e}");
        let d = tree(&[("app/kustomization.yaml", "resources: [https://example.com/x.yaml]\n")]);
        let e = render(&LocalFs::new(d.path()).unwrap(), "app").unwrap_err().to_string();
        assert!(e.contains("remote resource"), "{e}");
        let d = tree(&[("app/kustomization.yaml", "namePrefix: x-\n")]);
        let e = render(&LocalFs::new(d.path()).unwrap(), "app").unwrap_err().to_string();
        assert!(e.contains("namePrefix: not supported yet"), "{e}");
        let d = tree(&[("app/x.yaml", "kind: ConfigMap\n")]);
        let e = render(&LocalFs::new(d.path()).unwrap(), "app").unwrap_err().to_string();
        assert!(e.contains("apiVersion and kind are required"), "{e}");
        let e = render(&LocalFs::new(d.path()).unwrap(), "missing").unwrap_err().to_string();
        assert!(e.contains("missing: no such file"), "{e}");
    }
}
