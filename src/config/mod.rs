//! The daemon's own settings, and `secretRef` resolution from a secrets
//! directory laid out like a Kubernetes Secret volume:
//! `<dir>/<secret-name>/<key>`.

use std::path::{Path, PathBuf};

/// Reads secret values. Values never reach logs or errors; messages name
/// only the secret and the key.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    dir: Option<PathBuf>,
}

/// Why a secret could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SecretError {
    #[error("secret {name:?} is referenced but no secrets directory is configured (--secrets-dir)")]
    NoDirectory { name: String },
    #[error("secret {name:?} has no key {key:?} (expected the file {path})")]
    Missing { name: String, key: String, path: String },
    #[error("secret {name:?}: invalid name or key")]
    InvalidName { name: String },
    #[error("secret {name:?} key {key:?} cannot be read: {message}")]
    Unreadable { name: String, key: String, message: String },
}

/// Largest secret value read.
const MAX_SECRET_BYTES: u64 = 1 << 20;

fn plain(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/') && !s.contains('\0')
}

impl Secrets {
    pub fn new(dir: Option<&Path>) -> Secrets {
        Secrets { dir: dir.map(Path::to_path_buf) }
    }

    /// The value of `key` in secret `name`, trailing newlines removed (files written with `echo` work).
    pub fn get(&self, name: &str, key: &str) -> Result<String, SecretError> {
        self.get_opt(name, key)?.ok_or_else(|| SecretError::Missing {
            name: name.into(),
            key: key.into(),
            path: self.path(name, key).map(|p| p.display().to_string()).unwrap_or_default(),
        })
    }

    /// Like [`Secrets::get`], `None` when the key is absent.
    pub fn get_opt(&self, name: &str, key: &str) -> Result<Option<String>, SecretError> {
        let path = self.path(name, key)?;
        let unreadable = |message: String| SecretError::Unreadable { name: name.into(), key: key.into(), message };
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(e.kind().to_string())),
            Ok(m) if m.len() > MAX_SECRET_BYTES => return Err(unreadable("larger than 1 MiB".into())),
            Ok(_) => {}
        }
        let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.kind().to_string()))?;
        Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
    }

    /// The raw bytes of `key` in secret `name` (keys, certificates), `None` when absent.
    pub fn bytes_opt(&self, name: &str, key: &str) -> Result<Option<Vec<u8>>, SecretError> {
        let path = self.path(name, key)?;
        let unreadable = |message: String| SecretError::Unreadable { name: name.into(), key: key.into(), message };
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unreadable(e.kind().to_string())),
            Ok(m) if m.len() > MAX_SECRET_BYTES => Err(unreadable("larger than 1 MiB".into())),
            Ok(_) => std::fs::read(&path).map(Some).map_err(|e| unreadable(e.kind().to_string())),
        }
    }

    /// Every key of secret `name` with its bytes, in name order. The entries a
    /// Kubernetes Secret volume adds (`..data`, `..<timestamp>`) are skipped.
    pub fn files(&self, name: &str) -> Result<Vec<(String, Vec<u8>)>, SecretError> {
        let dir = self.path(name, "x")?.parent().map(Path::to_path_buf).unwrap_or_default();
        let entries = std::fs::read_dir(&dir).map_err(|e| SecretError::Unreadable {
            name: name.into(),
            key: String::new(),
            message: e.kind().to_string(),
        })?;
        let mut keys: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|k| !k.starts_with('.'))
            .collect();
        keys.sort();
        let mut out = Vec::new();
        for key in keys {
            if dir.join(&key).is_file()
                && let Some(bytes) = self.bytes_opt(name, &key)?
            {
                out.push((key, bytes));
            }
        }
        Ok(out)
    }

    fn path(&self, name: &str, key: &str) -> Result<PathBuf, SecretError> {
        let dir = self.dir.as_ref().ok_or_else(|| SecretError::NoDirectory { name: name.into() })?;
        if !plain(name) || !plain(key) {
            return Err(SecretError::InvalidName { name: name.into() });
        }
        Ok(dir.join(name).join(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_volume_layout_and_trims_newlines() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("token")).unwrap();
        std::fs::write(d.path().join("token/token"), "s3cr3t\n").unwrap();
        let s = Secrets::new(Some(d.path()));
        assert_eq!(s.get("token", "token").unwrap(), "s3cr3t");
        assert_eq!(s.get_opt("token", "other").unwrap(), None);
        let e = s.get("token", "other").unwrap_err().to_string();
        assert!(e.contains("has no key \"other\"") && !e.contains("s3cr3t"), "{e}");
        assert!(matches!(s.get("../etc", "passwd"), Err(SecretError::InvalidName { .. })));
        assert!(matches!(Secrets::new(None).get("a", "b"), Err(SecretError::NoDirectory { .. })));
        std::fs::create_dir_all(d.path().join("token/..data")).unwrap();
        assert_eq!(s.files("token").unwrap(), vec![("token".to_string(), b"s3cr3t\n".to_vec())]);
        assert_eq!(s.bytes_opt("token", "token").unwrap(), Some(b"s3cr3t\n".to_vec()));
    }
}
