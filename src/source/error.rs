//! What can go wrong in the source stage, worded so a user can act on it.
//!
//! Every URL in a message is redacted (`https://user:***@host/...`); secrets never appear.

use std::path::PathBuf;
use std::time::Duration;

use super::url::SUPPORTED_SCHEMES;

/// An error from fetching a repository or reading a commit's tree.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The URL's scheme is not one this version can fetch.
    #[error("unsupported URL scheme {scheme:?} in {url}: supported schemes are {SUPPORTED_SCHEMES}")]
    UnsupportedScheme {
        /// The scheme as written, e.g. `ftp`.
        scheme: String,
        /// The redacted URL.
        url: String,
    },
    /// The URL has no scheme or a form this version cannot fetch.
    #[error("unsupported URL {url}: {reason}; supported schemes are {SUPPORTED_SCHEMES}")]
    UnsupportedUrl {
        /// The redacted URL.
        url: String,
        /// Why it is not supported.
        reason: String,
    },
    /// The URL is malformed.
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl {
        /// The redacted URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The branch name is not a valid git branch name.
    #[error("invalid branch name {branch:?}: {reason}")]
    InvalidBranch {
        /// The branch as given.
        branch: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A mirror was asked to fetch a different repository than the one it mirrors.
    #[error("the mirror of {mirror_url} cannot fetch {url}: open the mirror for that URL instead")]
    WrongMirror {
        /// The redacted URL of the mirror.
        mirror_url: String,
        /// The redacted URL that was asked for.
        url: String,
    },
    /// The remote has no such branch.
    #[error("branch {branch:?} not found in {url}: check spec.ref.branch, or push the branch")]
    BranchNotFound {
        /// The branch asked for.
        branch: String,
        /// The redacted URL.
        url: String,
    },
    /// There is no git repository at the URL.
    #[error("no git repository at {url}: {detail}; check the URL")]
    RepositoryNotFound {
        /// The redacted URL.
        url: String,
        /// What the remote or the file system said.
        detail: String,
    },
    /// The remote could not be reached at all.
    #[error("cannot reach {url}: {detail}")]
    Unreachable {
        /// The redacted URL.
        url: String,
        /// Why, e.g. `connection refused`.
        detail: String,
    },
    /// The fetch took longer than the remote's timeout.
    #[error("fetch of branch {branch:?} from {url} timed out after {}; raise spec.timeout or check the network", humanize(*timeout))]
    TimedOut {
        /// The branch being fetched.
        branch: String,
        /// The redacted URL.
        url: String,
        /// The timeout that was exceeded.
        timeout: Duration,
    },
    /// The remote rejected the credentials, or wants credentials and none were given.
    #[error("authentication failed for {url}: {detail}")]
    AuthenticationFailed {
        /// The redacted URL.
        url: String,
        /// Whether credentials were given and what the remote said.
        detail: String,
    },
    /// The remote refused access with the given credentials.
    #[error("access denied to {url}: {detail}; check that the credentials may read this repository")]
    PermissionDenied {
        /// The redacted URL.
        url: String,
        /// What the remote said.
        detail: String,
    },
    /// Credentials would be sent in clear text to a host other than this machine.
    #[error(
        "refusing to send credentials over plain http to {url}: use https:// (plain http is allowed only to loopback hosts)"
    )]
    InsecureCredentials {
        /// The redacted URL.
        url: String,
    },
    /// The fetch failed for another reason.
    #[error("fetch of branch {branch:?} from {url} failed: {detail}")]
    Fetch {
        /// The branch being fetched.
        branch: String,
        /// The redacted URL.
        url: String,
        /// The underlying error chain, with secrets scrubbed.
        detail: String,
    },
    /// The local mirror could not be created, opened or updated.
    #[error("mirror {} for {url} is unusable: {detail}; if it is damaged, delete the directory and it will be re-created", path.display())]
    Mirror {
        /// The mirror's directory.
        path: PathBuf,
        /// The redacted URL of the mirrored repository.
        url: String,
        /// What failed.
        detail: String,
    },
    /// A commit id is not 40 hex digits.
    #[error("invalid commit id {commit:?}: expected 40 hex digits")]
    InvalidCommit {
        /// The id as given.
        commit: String,
    },
    /// The commit is not in the mirror.
    #[error("commit {commit} is not in the mirror of {url}: fetch a ref that contains it first")]
    CommitNotFound {
        /// The commit id.
        commit: String,
        /// The redacted URL of the mirrored repository.
        url: String,
    },
    /// An object of the repository could not be read or decoded.
    #[error("cannot read {what} in commit {commit}: {detail}")]
    Object {
        /// Which object, e.g. `tree of the root` or `file "a/b.yaml"`.
        what: String,
        /// The commit being read.
        commit: String,
        /// The underlying error.
        detail: String,
    },
    /// No file or directory at that path in the commit.
    #[error("{path:?} not found in commit {commit}")]
    NotFound {
        /// The normalised path.
        path: String,
        /// The commit being read.
        commit: String,
    },
    /// A directory was read as a file.
    #[error("{path:?} is a directory in commit {commit}, not a file")]
    IsADirectory {
        /// The normalised path.
        path: String,
        /// The commit being read.
        commit: String,
    },
    /// A file was listed or walked through as a directory.
    #[error("{path:?} is a file in commit {commit}, not a directory")]
    NotADirectory {
        /// The normalised path of the file.
        path: String,
        /// The commit being read.
        commit: String,
    },
    /// A path would leave the repository root.
    #[error("path {path:?} leaves the repository root; paths must stay inside the repository")]
    PathEscapesRoot {
        /// The path as given.
        path: String,
    },
    /// A path is not a relative, '/'-separated repository path.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The path is, or goes through, a symbolic link.
    #[error(
        "symlink {path:?} in commit {commit} is not supported yet; replace it with the file or directory it points to"
    )]
    SymlinkNotSupported {
        /// The normalised path of the symlink.
        path: String,
        /// The commit being read.
        commit: String,
    },
    /// The path is a submodule, whose content is not fetched.
    #[error("{path:?} in commit {commit} is a submodule; submodules are not fetched")]
    Submodule {
        /// The normalised path of the submodule.
        path: String,
        /// The commit being read.
        commit: String,
    },
}

/// `60s`, `1.5s`: a duration in seconds, as timeouts are usually written.
fn humanize(d: Duration) -> String {
    if d.subsec_nanos() == 0 { format!("{}s", d.as_secs()) } else { format!("{}s", d.as_secs_f64()) }
}

#[cfg(test)]
mod tests {
    use super::humanize;
    use std::time::Duration;

    #[test]
    fn humanizes_durations() {
        assert_eq!(humanize(Duration::from_secs(60)), "60s");
        assert_eq!(humanize(Duration::from_millis(1500)), "1.5s");
    }
}
