//! The filesystem the renderer reads through: a git tree (adapted by the
//! reconciler) or a local directory (`driftless build`). Paths are
//! root-relative with `/` separators; nothing outside the root is readable.

use std::path::{Path, PathBuf};

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Dir,
}

/// Why a read failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FsError {
    #[error("{0}: no such file or directory")]
    NotFound(String),
    #[error("{0}: not a directory")]
    NotADirectory(String),
    #[error("{0}: leaves the repository root")]
    Escapes(String),
    #[error("{path}: {message}")]
    Other { path: String, message: String },
}

/// A read-only tree of files.
pub trait Fs: Send + Sync {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError>;
    /// Entries of a directory, sorted by name; `""` is the root.
    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, FsError>;
    fn kind(&self, path: &str) -> Option<Kind>;
}

/// Joins `rel` onto directory `base` and normalises `.` and `..`; `None` if
/// the result would leave the root.
pub fn join(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> =
        if rel.starts_with('/') { Vec::new() } else { base.split('/').filter(|p| !p.is_empty()).collect() };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// A local directory as an [`Fs`]. Symlinks are followed only while they stay inside the root.
pub struct LocalFs {
    root: PathBuf,
}

impl LocalFs {
    pub fn new(root: &Path) -> std::io::Result<LocalFs> {
        Ok(LocalFs { root: root.canonicalize()? })
    }

    fn resolve(&self, path: &str) -> Result<PathBuf, FsError> {
        let rel = join("", path).ok_or_else(|| FsError::Escapes(path.to_string()))?;
        let full = self.root.join(&rel);
        match full.canonicalize() {
            Ok(real) if real.starts_with(&self.root) => Ok(real),
            Ok(_) => Err(FsError::Escapes(path.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FsError::NotFound(path.to_string())),
            Err(e) => Err(FsError::Other { path: path.to_string(), message: e.to_string() }),
        }
    }
}

impl Fs for LocalFs {
    fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        let p = self.resolve(path)?;
        std::fs::read(&p).map_err(|e| FsError::Other { path: path.to_string(), message: e.to_string() })
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, FsError> {
        let p = self.resolve(dir)?;
        if !p.is_dir() {
            return Err(FsError::NotADirectory(dir.to_string()));
        }
        let rd = std::fs::read_dir(&p).map_err(|e| FsError::Other { path: dir.to_string(), message: e.to_string() })?;
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = join(dir, &name).unwrap_or_default();
            if let Some(kind) = self.kind(&child) {
                out.push((name, kind));
            }
        }
        out.sort();
        Ok(out)
    }

    fn kind(&self, path: &str) -> Option<Kind> {
        let p = self.resolve(path).ok()?;
        if p.is_dir() {
            Some(Kind::Dir)
        } else if p.is_file() {
            Some(Kind::File)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalises_and_refuses_escapes() {
        assert_eq!(join("clusters/dev", "../base").as_deref(), Some("clusters/base"));
        assert_eq!(join("clusters/dev", "./app.yaml").as_deref(), Some("clusters/dev/app.yaml"));
        assert_eq!(join("", "a//b/./c").as_deref(), Some("a/b/c"));
        assert_eq!(join("a", "../../x"), None);
    }

    #[test]
    fn local_fs_refuses_symlinks_out_of_the_root() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "x").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("ok.yaml"), "a: 1").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("link")).unwrap();
        let fs = LocalFs::new(root.path()).unwrap();
        assert_eq!(fs.read("ok.yaml").unwrap(), b"a: 1");
        assert_eq!(fs.read("link"), Err(FsError::Escapes("link".into())));
        assert_eq!(fs.read("../x"), Err(FsError::Escapes("../x".into())));
        assert_eq!(fs.list("").unwrap(), vec![("ok.yaml".to_string(), Kind::File)]);
    }
}
