//! A fetched revision and its string form, exactly as Flux writes it.
//!
//! Flux's source-controller names a GitRepository artifact with `commitReference()`
//! (`internal/controller/gitrepository_controller.go`): `git.Commit.AbsoluteReference()` when `spec.ref.name` is
//! set, else `git.Commit.String()` (`fluxcd/pkg/git/git.go`). `String()` drops the first two segments of the ref
//! (`refs/heads/`, `refs/tags/`) and appends `@sha1:<hex>`; a commit without a ref is `sha1:<hex>` alone:
//!
//! - `spec.ref.branch: feature/x` → `feature/x@sha1:<hex>`
//! - `spec.ref.tag` or `spec.ref.semver` → `v1.2.3@sha1:<hex>` (the commit, annotated tags peeled)
//! - `spec.ref.name: refs/pull/42/head` → `refs/pull/42/head@sha1:<hex>`
//! - `spec.ref.commit` with `branch: main` → `main@sha1:<hex>`; alone → `sha1:<hex>`
//!
//! Which kind of reference produced which name is decided in `refs.rs`.

use std::fmt;
use std::str::FromStr;

/// A fetched revision: the ref it came from and its commit.
///
/// Displays as Flux does: `<name>@sha1:<40 hex>`, or `sha1:<40 hex>` for a bare commit (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Revision {
    /// The ref as Flux names it: `main` for `refs/heads/main`, `v1.2.3` for `refs/tags/v1.2.3`, the full name for
    /// `spec.ref.name` (`refs/pull/42/head`); empty for a commit pinned without a branch.
    pub name: String,
    /// The commit id, 40 lower-case hex digits.
    pub commit: String,
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "sha1:{}", self.commit)
        } else {
            write!(f, "{}@sha1:{}", self.name, self.commit)
        }
    }
}

/// Why a string is not a revision in Flux's form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid revision {0:?}: expected <ref>@sha1:<40 hex> or sha1:<40 hex>")]
pub struct ParseRevisionError(pub String);

impl FromStr for Revision {
    type Err = ParseRevisionError;

    /// Parses `main@sha1:<hex>` or `sha1:<hex>`. The ref name may itself contain `@` (the last one separates).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, digest) = match s.rsplit_once('@') {
            Some((name, digest)) if !name.is_empty() => (name, digest),
            Some(_) => return Err(ParseRevisionError(s.to_string())),
            None => ("", s),
        };
        let commit = digest.strip_prefix("sha1:").ok_or_else(|| ParseRevisionError(s.to_string()))?;
        if !is_hex_id(commit) {
            return Err(ParseRevisionError(s.to_string()));
        }
        Ok(Revision { name: name.to_string(), commit: commit.to_ascii_lowercase() })
    }
}

/// Whether `s` is a full SHA-1 object id (40 hex digits).
pub(crate) fn is_hex_id(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn displays_like_flux() {
        let r = Revision { name: "main".into(), commit: HEX.into() };
        assert_eq!(r.to_string(), format!("main@sha1:{HEX}"));
        let bare = Revision { name: String::new(), commit: HEX.into() };
        assert_eq!(bare.to_string(), format!("sha1:{HEX}"));
    }

    #[test]
    fn parses_what_it_displays() {
        for name in ["main", "feature/x", "a@b", ""] {
            let r = Revision { name: name.into(), commit: HEX.into() };
            assert_eq!(r.to_string().parse::<Revision>().unwrap(), r);
        }
        assert!("main@sha1:abc".parse::<Revision>().is_err());
        assert!(format!("main@sha256:{HEX}").parse::<Revision>().is_err());
        assert!(format!("@sha1:{HEX}").parse::<Revision>().is_err());
        assert!("".parse::<Revision>().is_err());
    }
}
