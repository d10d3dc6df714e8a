//! Repository URLs: which schemes work, how a URL is written in messages
//! (credentials redacted) and the normalised form that names a mirror.

use sha2::{Digest, Sha256};

use super::SourceError;

/// The schemes this issue supports, as listed in error messages.
pub(crate) const SUPPORTED_SCHEMES: &str = "file://, http://, https://";

/// The transport a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    File,
    Http,
    Https,
}

/// A checked repository URL: its scheme, the URL as given, and its redacted form for messages.
#[derive(Clone)]
pub(crate) struct RepoUrl {
    pub scheme: Scheme,
    /// The URL exactly as given (may contain credentials: never print it).
    pub raw: String,
    /// The URL with any password or token replaced by `***`, safe for messages and logs.
    pub redacted: String,
    /// Secrets found in the URL's user-info, to scrub from messages produced by lower layers.
    pub secrets: Vec<String>,
}

impl std::fmt::Debug for RepoUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoUrl").field("scheme", &self.scheme).field("url", &self.redacted).finish()
    }
}

impl RepoUrl {
    /// Checks the scheme and shape of `url`.
    pub fn parse(url: &str) -> Result<RepoUrl, SourceError> {
        let trimmed = url.trim();
        let redacted = redact(trimmed);
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            let reason = if looks_like_scp(trimmed) {
                "it is scp-like ssh syntax, and ssh is not supported yet"
            } else {
                "it has no scheme; write a local repository as file:///absolute/path"
            };
            return Err(SourceError::UnsupportedUrl { url: redacted, reason: reason.to_string() });
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "file" => Scheme::File,
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(SourceError::UnsupportedScheme { scheme: scheme.to_string(), url: redacted }),
        };
        if trimmed.chars().any(|c| c.is_control() || c == ' ') {
            return Err(SourceError::InvalidUrl {
                url: redacted,
                reason: "it contains spaces or control characters".to_string(),
            });
        }
        match scheme {
            Scheme::File => {
                if !rest.starts_with('/') {
                    return Err(SourceError::InvalidUrl {
                        url: redacted,
                        reason: "a file:// URL needs an absolute path, like file:///srv/git/repo.git".to_string(),
                    });
                }
            }
            Scheme::Http | Scheme::Https => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
                if host.is_empty() {
                    return Err(SourceError::InvalidUrl { url: redacted, reason: "it has no host".to_string() });
                }
            }
        }
        let secrets = user_info(trimmed)
            .map(|info| match info.split_once(':') {
                Some((_, password)) => vec![password.to_string()],
                None => vec![info.to_string()],
            })
            .unwrap_or_default()
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        Ok(RepoUrl { scheme, raw: trimmed.to_string(), redacted, secrets })
    }

    /// `text` with every secret of this URL replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, self.secrets.iter().map(String::as_str))
    }

    /// The normalised URL that identifies a repository: scheme and host lower-cased, credentials and
    /// default ports dropped, trailing slashes removed. Two URLs with the same key share a mirror.
    pub fn key(&self) -> String {
        let (scheme, rest) = self.raw.split_once("://").unwrap_or(("", self.raw.as_str()));
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = match self.scheme {
            Scheme::File => ("", rest),
            Scheme::Http | Scheme::Https => rest.find('/').map_or((rest, ""), |i| (&rest[..i], &rest[i..])),
        };
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_ascii_lowercase();
        let host = match (self.scheme, host.rsplit_once(':')) {
            (Scheme::Http, Some((h, "80"))) | (Scheme::Https, Some((h, "443"))) => h.to_string(),
            _ => host,
        };
        let path = path.trim_end_matches('/');
        format!("{scheme}://{host}{path}")
    }

    /// The directory name of this repository's mirror: 16 hex digits of the SHA-256 of [`Self::key`].
    pub fn mirror_name(&self) -> String {
        let digest = Sha256::digest(self.key().as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// The host of an http(s) URL, without port or brackets; `None` for file://.
    pub fn host(&self) -> Option<String> {
        if self.scheme == Scheme::File {
            return None;
        }
        let rest = self.raw.split_once("://").map(|(_, rest)| rest)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        let host = if let Some(stripped) = host_port.strip_prefix('[') {
            stripped.split(']').next().unwrap_or_default()
        } else {
            host_port.split(':').next().unwrap_or_default()
        };
        Some(host.to_ascii_lowercase())
    }

    /// Whether the host is the local machine (loopback), where plain http cannot leak credentials.
    pub fn is_loopback(&self) -> bool {
        match self.host() {
            Some(host) => host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
            None => true,
        }
    }
}

/// The user-info part of `url` (`user:password` in `https://user:password@host/`), if any.
fn user_info(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit_once('@').map(|(info, _)| info)
}

/// `url` with its password (or a lone user name, which is often a token) replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some(info) = user_info(url) else { return url.to_string() };
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let after = &rest[info.len()..];
    let masked = match info.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => "***".to_string(),
    };
    format!("{scheme}://{masked}{after}")
}

/// Secrets shorter than this are not scrubbed from text: replacing every `p` of a message would mangle it, and
/// credentials never reach the layers that produce messages anyway (they travel in a header, not in the URL).
const MIN_SCRUBBED_LEN: usize = 4;

/// `text` with every occurrence of each secret replaced by `***`.
pub(crate) fn scrub<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if secret.len() >= MIN_SCRUBBED_LEN {
            out = out.replace(secret, "***");
        }
    }
    out
}

/// `user@host:path` with no scheme, as git accepts for ssh.
fn looks_like_scp(url: &str) -> bool {
    match url.split_once(':') {
        Some((before, _)) => !before.contains('/') && !before.is_empty(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_and_lone_tokens() {
        assert_eq!(redact("https://user:s3cret@host/repo.git"), "https://user:***@host/repo.git");
        assert_eq!(redact("https://tok3n@host/repo.git"), "https://***@host/repo.git");
        assert_eq!(redact("https://host/repo.git"), "https://host/repo.git");
        assert_eq!(redact("file:///srv/a@b"), "file:///srv/a@b");
    }

    #[test]
    fn key_normalises_case_credentials_ports_and_slashes() {
        let a = RepoUrl::parse("HTTPS://user:pw@Example.COM:443/Org/Repo.git/").unwrap();
        let b = RepoUrl::parse("https://example.com/Org/Repo.git").unwrap();
        assert_eq!(a.key(), "https://example.com/Org/Repo.git");
        assert_eq!(a.mirror_name(), b.mirror_name());
        assert_eq!(a.mirror_name().len(), 16);
        let c = RepoUrl::parse("https://example.com/Org/Other.git").unwrap();
        assert_ne!(a.mirror_name(), c.mirror_name());
    }

    #[test]
    fn rejects_other_schemes_with_the_list_of_supported_ones() {
        let err = RepoUrl::parse("ftp://user:pw@host/repo").unwrap_err().to_string();
        assert!(err.contains("\"ftp\""), "{err}");
        assert!(err.contains("ftp://user:***@host/repo"), "{err}");
        assert!(err.contains(SUPPORTED_SCHEMES), "{err}");
        let err = RepoUrl::parse("git@github.com:org/repo.git").unwrap_err().to_string();
        assert!(err.contains("ssh"), "{err}");
        assert!(RepoUrl::parse("file://relative/path").is_err());
        assert!(RepoUrl::parse("https:///path").is_err());
    }

    #[test]
    fn scrubs_secrets_but_not_single_letters() {
        assert_eq!(scrub("token hunter2 in text", ["hunter2"]), "token *** in text");
        assert_eq!(scrub("upload-pack", ["p"]), "upload-pack");
    }

    #[test]
    fn knows_loopback_hosts() {
        assert!(RepoUrl::parse("http://127.0.0.1:8080/r").unwrap().is_loopback());
        assert!(RepoUrl::parse("http://localhost/r").unwrap().is_loopback());
        assert!(RepoUrl::parse("http://[::1]:9/r").unwrap().is_loopback());
        assert!(!RepoUrl::parse("http://git.example.com/r").unwrap().is_loopback());
    }
}
