//! Repository URLs: which schemes work, how a URL is written in messages
//! (credentials redacted) and the normalised form that names a mirror.

use sha2::{Digest, Sha256};

use super::SourceError;

/// The supported schemes, as listed in error messages.
pub(crate) const SUPPORTED_SCHEMES: &str = "file://, http://, https://, ssh://, git://";

/// The transport a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// A repository on this machine (gix runs `git-upload-pack`).
    File,
    /// Smart HTTP, in clear text.
    Http,
    /// Smart HTTP over TLS.
    Https,
    /// `git-upload-pack` on the remote host through the `ssh` binary.
    Ssh,
    /// The git daemon protocol (port 9418), unauthenticated and unencrypted.
    Git,
}

impl Scheme {
    /// The port the scheme uses when the URL names none.
    fn default_port(self) -> Option<&'static str> {
        match self {
            Scheme::File => None,
            Scheme::Http => Some("80"),
            Scheme::Https => Some("443"),
            Scheme::Ssh => Some("22"),
            Scheme::Git => Some("9418"),
        }
    }
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
            let reason = match scp_to_ssh(trimmed) {
                Some(ssh) => format!("scp-like ssh syntax is not supported; write it as {}", redact(&ssh)),
                None => "it has no scheme; write a local repository as file:///absolute/path".to_string(),
            };
            return Err(SourceError::UnsupportedUrl { url: redacted, reason });
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "file" => Scheme::File,
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "ssh" => Scheme::Ssh,
            "git" => Scheme::Git,
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
            Scheme::Http | Scheme::Https | Scheme::Ssh | Scheme::Git => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                let (info, host) = authority.rsplit_once('@').map_or((None, authority), |(i, h)| (Some(i), h));
                let invalid =
                    |reason: &str| SourceError::InvalidUrl { url: redacted.clone(), reason: reason.to_string() };
                if host.is_empty() || host.starts_with(':') {
                    return Err(invalid("it has no host"));
                }
                if matches!(scheme, Scheme::Ssh | Scheme::Git) {
                    // The host and user become arguments of the `ssh` binary: nothing may read as an option.
                    if host.starts_with('-') || info.is_some_and(|info| info.starts_with('-')) {
                        return Err(invalid("the host and user name may not start with '-'"));
                    }
                    if rest[authority.len()..].trim_matches('/').is_empty() {
                        return Err(invalid("it has no repository path"));
                    }
                    let port = host.rsplit_once(']').map_or(host, |(_, after)| after);
                    if let Some((_, port)) = port.rsplit_once(':')
                        && port.parse::<u16>().is_err()
                    {
                        return Err(invalid("the port is not a number"));
                    }
                }
                if scheme == Scheme::Git && info.is_some() {
                    return Err(invalid(
                        "git:// has no authentication; remove the user name from the URL, or use ssh:// or https://",
                    ));
                }
            }
        }
        let secrets = user_info(trimmed)
            .map(|info| match info.split_once(':') {
                Some((_, password)) => vec![password.to_string()],
                // An ssh user name is a login name, not a secret.
                None if scheme == Scheme::Ssh => Vec::new(),
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
            _ => rest.find('/').map_or((rest, ""), |i| (&rest[..i], &rest[i..])),
        };
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_ascii_lowercase();
        let host = match host.rsplit_once(':') {
            Some((h, port)) if Some(port) == self.scheme.default_port() => h.to_string(),
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

    /// The host of a network URL, without port or brackets; `None` for file://.
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

/// `url` with its password replaced by `***`, and a lone user name too (over http it is often a token), except
/// in ssh URLs, where it is the login name (`ssh://git@host/...`) and never a secret.
pub(crate) fn redact(url: &str) -> String {
    if !url.contains("://") {
        return redact_schemeless(url);
    }
    let Some(info) = user_info(url) else { return url.to_string() };
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let after = &rest[info.len()..];
    let masked = match info.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None if scheme.eq_ignore_ascii_case("ssh") => info.to_string(),
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

/// The ssh:// form of an scp-like URL (`[user@]host:path`, as git accepts for ssh), or `None` if `url` is not one.
///
/// `git@github.com:org/repo.git` becomes `ssh://git@github.com/org/repo.git`. A relative scp path is relative to
/// the login's home directory; forges ignore that, and on a plain server `ssh://host/~/path` says the same.
fn scp_to_ssh(url: &str) -> Option<String> {
    let (user, rest) = match url.split_once('@') {
        Some((user, rest)) if !user.contains('/') => (Some(user), rest),
        _ => (None, url),
    };
    let (host, path) = rest.split_once(':')?;
    if host.is_empty() || host.contains('/') || path.is_empty() {
        return None;
    }
    let path = path.strip_prefix('/').unwrap_or(path);
    Some(match user {
        Some(user) => format!("ssh://{user}@{host}/{path}"),
        None => format!("ssh://{host}/{path}"),
    })
}

/// A URL without a scheme, with the password of an scp-like `user:password@host:path` replaced by `***`.
fn redact_schemeless(url: &str) -> String {
    match url.split_once('@') {
        Some((info, rest)) if !info.contains('/') => match info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{rest}"),
            None => url.to_string(),
        },
        _ => url.to_string(),
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
        assert!(err.contains("write it as ssh://git@github.com/org/repo.git"), "{err}");
        let err = RepoUrl::parse("deploy:s3cret@git.example.com:/srv/repo").unwrap_err().to_string();
        assert!(err.contains("unsupported URL deploy:***@git.example.com:/srv/repo"), "{err}");
        assert!(err.contains("write it as ssh://deploy:***@git.example.com/srv/repo"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let err = RepoUrl::parse("example.com:org/repo").unwrap_err().to_string();
        assert!(err.contains("write it as ssh://example.com/org/repo"), "{err}");
        assert!(RepoUrl::parse("file://relative/path").is_err());
        assert!(RepoUrl::parse("https:///path").is_err());
    }

    #[test]
    fn accepts_ssh_and_git_urls() {
        let ssh = RepoUrl::parse("ssh://git@Example.com:22/org/repo.git").unwrap();
        assert_eq!(ssh.scheme, Scheme::Ssh);
        assert_eq!(ssh.key(), "ssh://example.com/org/repo.git");
        assert_eq!(ssh.redacted, "ssh://git@Example.com:22/org/repo.git");
        assert!(ssh.secrets.is_empty());
        assert_eq!(RepoUrl::parse("ssh://example.com:2222/r").unwrap().key(), "ssh://example.com:2222/r");
        let git = RepoUrl::parse("git://127.0.0.1:9418/repo").unwrap();
        assert_eq!(git.scheme, Scheme::Git);
        assert_eq!(git.key(), "git://127.0.0.1/repo");
        assert_eq!(git.host().as_deref(), Some("127.0.0.1"));
        assert_eq!(RepoUrl::parse("ssh://[::1]:2222/r").unwrap().host().as_deref(), Some("::1"));
    }

    #[test]
    fn redacts_ssh_passwords_but_keeps_the_login_name() {
        let url = RepoUrl::parse("ssh://deploy:hunter2@host/repo").unwrap();
        assert_eq!(url.redacted, "ssh://deploy:***@host/repo");
        assert_eq!(url.secrets, vec!["hunter2".to_string()]);
        assert_eq!(redact("ssh://git@host/repo"), "ssh://git@host/repo");
        assert_eq!(redact("SSH://git@host/repo"), "SSH://git@host/repo");
    }

    #[test]
    fn rejects_malformed_ssh_and_git_urls() {
        for (url, reason) in [
            ("ssh://-oProxyCommand=x/repo", "may not start with '-'"),
            ("ssh://-l@host/repo", "may not start with '-'"),
            ("ssh://host", "no repository path"),
            ("ssh://host/", "no repository path"),
            ("ssh://host:abc/repo", "port is not a number"),
            ("ssh:///repo", "no host"),
            ("git://user@host/repo", "git:// has no authentication"),
        ] {
            let err = RepoUrl::parse(url).unwrap_err().to_string();
            assert!(err.contains(reason), "{url}: {err}");
        }
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
