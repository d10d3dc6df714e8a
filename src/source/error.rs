//! What can go wrong in the source stage, worded so a user can act on it.
//!
//! Every URL in a message is redacted (`https://user:***@host/...`); secrets never appear.

use std::path::PathBuf;
use std::time::Duration;

use super::url::SUPPORTED_SCHEMES;

/// An error from fetching a repository or reading a commit's tree.
///
/// `Clone`, so that callers whose fetches were coalesced into one all get its error.
#[derive(Debug, Clone, thiserror::Error)]
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
    /// A field of `spec.ref` is not a valid git name or commit id.
    #[error("invalid {field} {value:?}: {reason}")]
    InvalidRef {
        /// The field, e.g. `spec.ref.branch`.
        field: String,
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `spec.ref.semver` is not a valid version range.
    #[error(
        "invalid semver range {range:?} in spec.ref.semver: {reason}; write e.g. \">=1.0.0 <2.0.0\", \"~1.2\", \"^1.2\" or \"1.x\""
    )]
    InvalidSemver {
        /// The range as given.
        range: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The secret's keys do not make a usable set of credentials.
    #[error("invalid credentials in spec.secretRef: {detail}")]
    InvalidCredentials {
        /// What is wrong (never a secret value).
        detail: String,
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
    /// The remote has no such tag.
    #[error("tag {tag:?} not found in {url}: check spec.ref.tag, or push the tag")]
    TagNotFound {
        /// The tag asked for.
        tag: String,
        /// The redacted URL.
        url: String,
    },
    /// The remote has no such ref.
    #[error("ref {name:?} not found in {url}: check spec.ref.name (a full ref name such as refs/pull/42/head)")]
    RefNotFound {
        /// The full ref name asked for.
        name: String,
        /// The redacted URL.
        url: String,
    },
    /// No tag of the remote is a version in the range.
    #[error("no tag in {url} matches semver range {range:?}: {}; check spec.ref.semver, or push a matching tag", describe_tags(tags, *total))]
    SemverNoMatch {
        /// The range.
        range: String,
        /// The redacted URL.
        url: String,
        /// The highest semver tags the remote has, at most 10, highest first.
        tags: Vec<String>,
        /// How many tags the remote has in all (semver or not).
        total: usize,
    },
    /// The pinned commit is not in the history of the branch.
    #[error(
        "commit {commit} is not in the history of branch {branch:?} in {url}: check spec.ref.commit and spec.ref.branch"
    )]
    CommitNotOnBranch {
        /// The pinned commit.
        commit: String,
        /// The branch.
        branch: String,
        /// The redacted URL.
        url: String,
    },
    /// The remote does not have the pinned commit.
    #[error("commit {commit} not found in {url}: check spec.ref.commit")]
    CommitNotOnRemote {
        /// The pinned commit.
        commit: String,
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
    #[error("fetch of {reference} from {url} timed out after {}; raise spec.timeout or check the network", humanize(*timeout))]
    TimedOut {
        /// The reference being fetched, as it names itself (`branch "main"`).
        reference: String,
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
    /// The ssh server presented a host key that `known_hosts` does not list for it. Never accepted.
    #[error(
        "host key for {host} is not in known_hosts{}: add the server's public host key to the known_hosts key of \
         spec.secretRef (`{keyscan}` prints it; check its fingerprint with the server's owner); unknown host keys \
         are never accepted", offered(key_type.as_deref())
    )]
    UnknownHostKey {
        /// The host as known_hosts names it: `host`, or `host:port` for a port other than 22.
        host: String,
        /// The redacted URL.
        url: String,
        /// The kind of key the server offered, e.g. `ED25519`, when ssh said.
        key_type: Option<String>,
        /// The command that prints the server's host keys, e.g. `ssh-keyscan -p 2222 127.0.0.1`.
        keyscan: String,
    },
    /// The ssh server presented a different host key than the one `known_hosts` lists for it. Never accepted.
    #[error(
        "host key for {host} changed: the server presented {}, which does not match known_hosts; this may be \
         someone intercepting the connection, or a server that was re-keyed: update the known_hosts key of \
         spec.secretRef only after verifying the new key with the server's owner", fingerprint.as_deref().unwrap_or("another key")
    )]
    ChangedHostKey {
        /// The host as known_hosts names it: `host`, or `host:port` for a port other than 22.
        host: String,
        /// The redacted URL.
        url: String,
        /// The kind and fingerprint of the key the server presented, e.g. `ED25519 key SHA256:…`, when ssh said.
        fingerprint: Option<String>,
    },
    /// The https server's certificate does not chain to a trusted root.
    #[error("the TLS certificate of {url} is not trusted: {detail}")]
    UntrustedCertificate {
        /// The redacted URL.
        url: String,
        /// Why, and what to do (e.g. set `ca.crt`).
        detail: String,
    },
    /// The https server wants a client certificate, or rejected the one given (`tls.crt`/`tls.key`).
    #[error("{url} did not accept the TLS connection: {detail}")]
    ClientCertificate {
        /// The redacted URL.
        url: String,
        /// Whether a certificate was given, what the server said, and what to do.
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
    /// The server failed (HTTP 5xx) on every attempt until the timeout.
    #[error("{url} answered with a server error: {detail}; it was retried until spec.timeout, try again later")]
    ServerError {
        /// The redacted URL.
        url: String,
        /// What the server answered.
        detail: String,
    },
    /// The fetch failed for another reason.
    #[error("fetch of {reference} from {url} failed: {detail}")]
    Fetch {
        /// The reference being fetched, as it names itself (`branch "main"`).
        reference: String,
        /// The redacted URL.
        url: String,
        /// The underlying error chain, with secrets scrubbed.
        detail: String,
    },
    /// The local mirror could not be created, opened or updated.
    #[error("mirror {} for {url} is unusable: {detail}; check that the data directory is writable and has space", path.display())]
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
    /// A symlink in the tree cannot be followed: it leaves the repository, dangles, loops or has a bad target.
    #[error(transparent)]
    Symlink(#[from] super::tree::SymlinkError),
}

/// `v1.2.0, v1.1.0 (12 tags in all)`, or why there is nothing to list.
fn describe_tags(tags: &[String], total: usize) -> String {
    match (tags.is_empty(), total) {
        (_, 0) => "the repository has no tags".to_string(),
        (true, n) => format!("none of its {n} tags is a semantic version (vX.Y.Z)"),
        (false, n) => format!("its highest version tags are {} ({n} tags in all)", tags.join(", ")),
    }
}

/// ` (the server offers an ED25519 key)`, or nothing when the kind is not known.
fn offered(key_type: Option<&str>) -> String {
    key_type.map(|kind| format!(" (the server offers an {kind} key)")).unwrap_or_default()
}

/// `60s`, `1.5s`: a duration in seconds, as timeouts are usually written.
fn humanize(d: Duration) -> String {
    if d.subsec_nanos() == 0 { format!("{}s", d.as_secs()) } else { format!("{}s", d.as_secs_f64()) }
}

#[cfg(test)]
mod tests {
    use super::{describe_tags, humanize};
    use std::time::Duration;

    #[test]
    fn describes_the_tags_a_range_could_have_matched() {
        assert_eq!(describe_tags(&[], 0), "the repository has no tags");
        assert_eq!(describe_tags(&[], 3), "none of its 3 tags is a semantic version (vX.Y.Z)");
        let tags = vec!["v1.1.0".to_string(), "v1.0.0".to_string()];
        assert_eq!(describe_tags(&tags, 5), "its highest version tags are v1.1.0, v1.0.0 (5 tags in all)");
    }

    #[test]
    fn humanizes_durations() {
        assert_eq!(humanize(Duration::from_secs(60)), "60s");
        assert_eq!(humanize(Duration::from_millis(1500)), "1.5s");
    }
}
