//! How a fetch reaches a remote for each scheme, and how the secret's keys configure it.
//!
//! - `file://`, `http://`, `https://`: gix's own transports. For https, [`HttpTls`] adds the secret's `ca.crt` to
//!   the trust roots of that fetch and presents `tls.crt`/`tls.key` as the client certificate (reqwest with rustls).
//! - `ssh://`: [`SshClient`] runs the system `ssh` binary itself, with every option on the command line and nothing
//!   from the user's ssh config, agent or known hosts: key auth with the secret's `identity` only, host keys checked
//!   strictly against the secret's `known_hosts`, no prompts. gix speaks the git protocol over the process's stdin
//!   and stdout (its `ConnectMode::Process` connection, as its own ssh transport does); running the process here
//!   rather than through gix's ssh transport keeps ssh's stderr (to say *why* a connection failed: unknown or
//!   changed host key, rejected key, refused connection) and a handle on the process (to end it at the deadline).
//! - `git://`: gix's git-daemon connection over a TCP stream opened here, so that connecting, reading and writing
//!   are bounded by the fetch's deadline.
//!
//! Secrets: a passphrase-protected `identity` is decrypted in this process (the `ssh-key` crate) and ssh gets the
//! decrypted key in a file only this user can read, in a private temporary directory that is removed when the
//! fetch attempt ends, on success, error or timeout alike. Decrypting here rather than feeding the passphrase to
//! ssh through `SSH_ASKPASS` needs no executable helper script (temporary directories are often mounted `noexec`),
//! keeps the passphrase out of every file and process environment, and tells a wrong passphrase apart from a key
//! the server rejects. No secret value reaches a command line, an environment variable, a log or a message.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use gix::bstr::{BString, ByteSlice};
use gix::protocol::transport::Protocol;
use gix::protocol::transport::client::blocking_io::Transport;
use gix::protocol::transport::client::git::ConnectMode;
use gix::protocol::transport::client::git::blocking_io::Connection as GitConnection;

use super::fetch::{Failure, FailureKind};
use super::{Credentials, SourceError};

/// A transport as gix's remote connection takes it.
pub(crate) type BoxedTransport = Box<dyn Transport + Send>;

/// The longest the TCP connect of ssh or git:// may take (less if the fetch has less time left).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The most of ssh's stderr kept for classifying a failure; the rest is read and dropped.
const MAX_STDERR: usize = 64 * 1024;

/// How long a failed connection's diagnostics are waited for (the process was already ended by then).
const STDERR_WAIT: Duration = Duration::from_secs(2);

/// The user ssh logs in as when neither the secret nor the URL names one, as in Flux.
const DEFAULT_SSH_USER: &str = "git";

/// The prefix of the private temporary directories holding ssh keys: `driftless-ssh.<pid>.<random>`.
const KEY_DIR_PREFIX: &str = "driftless-ssh.";

// ---------------------------------------------------------------- https

/// The TLS settings of an https fetch from the secret: extra trust roots (`ca.crt`) and a client certificate
/// (`tls.crt` + `tls.key`). Parsed up front, so that bad PEM is an error that names the key.
#[derive(Clone)]
pub(crate) struct HttpTls {
    roots: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
}

impl std::fmt::Debug for HttpTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTls")
            .field("roots", &self.roots.len())
            .field("identity", &self.identity.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl HttpTls {
    /// The TLS settings the secret asks for, or `None` when it has none of `ca.crt`, `tls.crt`, `tls.key`.
    pub fn from_credentials(credentials: &Credentials) -> Result<Option<HttpTls>, SourceError> {
        let invalid = |detail: String| SourceError::InvalidCredentials { detail };
        let roots = match credentials.ca_cert.as_deref().filter(|pem| !pem.trim_ascii().is_empty()) {
            None => Vec::new(),
            Some(pem) => {
                let roots = reqwest::Certificate::from_pem_bundle(pem).map_err(|_| {
                    invalid("ca.crt is not a PEM certificate bundle (-----BEGIN CERTIFICATE-----)".to_string())
                })?;
                if roots.is_empty() {
                    return Err(invalid("ca.crt holds no certificate (-----BEGIN CERTIFICATE-----)".to_string()));
                }
                roots
            }
        };
        fn present(value: &Option<Vec<u8>>) -> Option<&[u8]> {
            value.as_deref().filter(|v| !v.trim_ascii().is_empty())
        }
        let identity = match (present(&credentials.cert), present(&credentials.key)) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(invalid(
                    "tls.crt is set but tls.key is not: a client certificate needs its private key".to_string(),
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "tls.key is set but tls.crt is not: a client certificate needs the certificate".to_string(),
                ));
            }
            (Some(cert), Some(key)) => {
                if !contains_pem(cert, "CERTIFICATE") {
                    return Err(invalid("tls.crt is not a PEM certificate (-----BEGIN CERTIFICATE-----)".to_string()));
                }
                if !contains_pem(key, "PRIVATE KEY") {
                    return Err(invalid(
                        "tls.key is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC)"
                            .to_string(),
                    ));
                }
                let mut pem = cert.to_vec();
                pem.push(b'\n');
                pem.extend_from_slice(key);
                Some(reqwest::Identity::from_pem(&pem).map_err(|_| {
                    invalid(
                        "tls.crt and tls.key do not make a client certificate: expected PEM certificates and one \
                         unencrypted PKCS#8, RSA or EC private key"
                            .to_string(),
                    )
                })?)
            }
        };
        if roots.is_empty() && identity.is_none() {
            return Ok(None);
        }
        Ok(Some(HttpTls { roots, identity }))
    }

    /// Whether a client certificate is configured.
    pub fn has_client_certificate(&self) -> bool {
        self.identity.is_some()
    }

    /// Whether extra trust roots are configured.
    pub fn has_roots(&self) -> bool {
        !self.roots.is_empty()
    }

    /// `builder` trusting the extra roots besides the system's, and presenting the client certificate.
    pub fn apply(&self, mut builder: reqwest::blocking::ClientBuilder) -> reqwest::blocking::ClientBuilder {
        if !self.roots.is_empty() {
            builder = builder.tls_certs_merge(self.roots.iter().cloned());
        }
        if let Some(identity) = &self.identity {
            builder = builder.identity(identity.clone());
        }
        builder
    }
}

/// Whether `pem` has a `-----BEGIN ...<label>-----` line.
fn contains_pem(pem: &[u8], label: &str) -> bool {
    pem.lines().any(|line| {
        let line = line.trim_ascii();
        line.starts_with(b"-----BEGIN ") && line.ends_with(format!("{label}-----").as_bytes())
    })
}

/// Classifies a TLS failure of an https fetch from the error text (lower case), or `None` if it is not one.
pub(crate) fn classify_tls(text: &str, url: &str, tls: Option<&HttpTls>) -> Option<SourceError> {
    let url = url.to_string();
    let has_roots = tls.is_some_and(HttpTls::has_roots);
    let has_identity = tls.is_some_and(HttpTls::has_client_certificate);
    if tls.is_some() && text.contains("builder error") {
        let detail = if has_identity && (text.contains("keymismatch") || text.contains("keys may not be consistent")) {
            "tls.key is not the private key of the certificate in tls.crt"
        } else {
            "the TLS settings (ca.crt, tls.crt, tls.key) cannot be used: check that they are PEM certificates and \
             an unencrypted private key that belongs to tls.crt"
        };
        return Some(SourceError::InvalidCredentials { detail: detail.to_string() });
    }
    if text.contains("certificaterequired") || text.contains("certificate required") {
        let detail = if has_identity {
            "it asked for a client certificate and did not take the one in tls.crt; check that it is signed by a CA \
             the server trusts"
        } else {
            "it requires a TLS client certificate: put the certificate in the tls.crt key and its private key in the \
             tls.key key of spec.secretRef"
        };
        return Some(SourceError::ClientCertificate { url, detail: detail.to_string() });
    }
    let rejected_ours =
        ["badcertificate", "bad certificate", "unknownca", "unknown ca", "unsupportedcertificate", "decrypterror"]
            .iter()
            .any(|needle| text.contains(needle))
            && text.contains("alert");
    if rejected_ours {
        let detail = if has_identity {
            "the server rejected the client certificate in tls.crt; check that it is signed by a CA the server \
             trusts, has not expired and is meant for client authentication"
        } else {
            "the server rejected the TLS handshake; if it requires a client certificate, put it in the tls.crt and \
             tls.key keys of spec.secretRef"
        };
        return Some(SourceError::ClientCertificate { url, detail: detail.to_string() });
    }
    if !text.contains("invalid peer certificate") && !text.contains("certificate verify failed") {
        return None;
    }
    let detail = if text.contains("unknownissuer") || text.contains("unknown issuer") {
        if has_roots {
            "it is not signed by the CA in ca.crt nor by a CA the system trusts (UnknownIssuer); check that the \
             ca.crt key of spec.secretRef holds the CA that issued the server's certificate"
        } else {
            "it is not signed by a CA the system trusts (UnknownIssuer); if the server uses a private or \
             self-signed CA, put that CA's certificate (PEM) in the ca.crt key of spec.secretRef"
        }
    } else if text.contains("badsignature") || text.contains("bad signature") {
        "its signature does not verify against the CA it names (BadSignature); check that the ca.crt key of \
         spec.secretRef holds the CA that issued the server's certificate"
    } else if text.contains("notvalidforname") || text.contains("not valid for name") {
        "it is not valid for this host name (NotValidForName); use the host name the certificate was issued for"
    } else if text.contains("expired") {
        "it has expired, or is not valid yet (check the clock of this machine)"
    } else if text.contains("revoked") {
        "it has been revoked"
    } else {
        "the certificate could not be verified; if the server uses a private or self-signed CA, put that CA's \
         certificate (PEM) in the ca.crt key of spec.secretRef"
    };
    Some(SourceError::UntrustedCertificate { url, detail: detail.to_string() })
}

// ---------------------------------------------------------------- ssh

/// What ssh needs for one fetch attempt: the login user and, in a private temporary directory that lives as long as
/// this value, the (decrypted) identity and the known hosts.
pub(crate) struct SshClient {
    dir: PrivateDir,
    identity: PathBuf,
    known_hosts: PathBuf,
    user: String,
    /// Whether the user comes from the secret's `username` (a secret value, never shown).
    user_from_secret: bool,
}

impl std::fmt::Debug for SshClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshClient").field("dir", &self.dir.path).field("login", &self.login()).finish()
    }
}

impl SshClient {
    /// Checks the secret's ssh keys and writes them for ssh. `known_hosts` and `identity` are required; `password`
    /// is the passphrase of an encrypted `identity` (Flux's meaning); the login user is `username` from the secret,
    /// else the URL's, else `git`.
    ///
    /// `reference` and `shown_url` (redacted) name the fetch in errors about the temporary files.
    pub fn prepare(
        credentials: &Credentials,
        url: &gix::Url,
        url_user: Option<&str>,
        reference: &str,
        shown_url: &str,
    ) -> Result<SshClient, SourceError> {
        let invalid = |detail: String| SourceError::InvalidCredentials { detail };
        let known_hosts = credentials.known_hosts.as_deref().unwrap_or_default();
        if known_hosts.trim_ascii().is_empty() {
            return Err(invalid(format!(
                "ssh:// needs the server's host keys: add a known_hosts key with the lines `{}` prints (check their \
                 fingerprints with the server's owner); host keys are never accepted unseen",
                keyscan(url)
            )));
        }
        if !known_hosts.lines().any(|line| {
            let line = line.trim_ascii();
            !line.is_empty() && !line.starts_with(b"#") && line.split(|b| b.is_ascii_whitespace()).count() >= 3
        }) {
            return Err(invalid(
                "the known_hosts key has no host key line (`<host> <key type> <base64 key>`)".to_string(),
            ));
        }
        let identity = credentials.identity.as_deref().unwrap_or_default();
        if identity.trim_ascii().is_empty() {
            return Err(invalid(
                "ssh:// needs a private key: add an identity key (an OpenSSH or PEM private key whose public key \
                 the server authorizes, e.g. a deploy key)"
                    .to_string(),
            ));
        }
        let passphrase = credentials.password.as_deref().filter(|p| !p.is_empty());
        let key = usable_identity(identity, passphrase).map_err(invalid)?;
        let secret_user = credentials.username.as_deref().filter(|u| !u.is_empty());
        let user = secret_user.or(url_user.filter(|u| !u.is_empty())).unwrap_or(DEFAULT_SSH_USER).to_string();
        if user.starts_with('-') || user.chars().any(|c| c.is_control() || c.is_whitespace() || c == '@') {
            let which = if secret_user.is_some() { "the username key".to_string() } else { format!("{user:?}") };
            return Err(invalid(format!("the ssh user name ({which}) is not a valid login name")));
        }
        let dir = PrivateDir::create().map_err(|e| SourceError::Fetch {
            reference: reference.to_string(),
            url: shown_url.to_string(),
            detail: format!("cannot create a private temporary directory for the ssh key: {e}"),
        })?;
        let write = |name: &str, bytes: &[u8]| {
            dir.write(name, bytes).map_err(|e| SourceError::Fetch {
                reference: reference.to_string(),
                url: shown_url.to_string(),
                detail: format!("cannot write the ssh {name} to {}: {e}", dir.path.display()),
            })
        };
        let identity = write("identity", &key)?;
        let known_hosts = write("known_hosts", &normalize_lines(known_hosts))?;
        Ok(SshClient { dir, identity, known_hosts, user, user_from_secret: secret_user.is_some() })
    }

    /// The login, as messages name it: `user "git"`, or `the user in the username key` when the secret names it.
    pub fn login(&self) -> String {
        if self.user_from_secret { "the user in the username key".to_string() } else { format!("user {:?}", self.user) }
    }

    /// Starts `ssh` to run `git-upload-pack` for the repository at `url` and returns gix's connection over its
    /// stdin and stdout, and the connection's diagnostics. The process ends when the transport is dropped, and at
    /// `deadline` at the latest.
    pub fn connect(
        &self,
        url: &gix::Url,
        version: Protocol,
        deadline: Instant,
        shown_url: &str,
    ) -> Result<(BoxedTransport, Diagnostics), std::io::Error> {
        let host = ssh_host(url)?;
        let connect_timeout = remaining_secs(deadline, CONNECT_TIMEOUT);
        let path = gix::quote::single(gix::url::expand_path::for_shell(url.path.clone()).as_bstr());
        let mut command = Command::new("ssh");
        command.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command
            .env("LANG", "C")
            .env("LC_ALL", "C")
            .env("GIT_PROTOCOL", format!("version={}", version as usize))
            .args(["-F", "/dev/null"])
            .args(ssh_options(&self.identity, &self.known_hosts, connect_timeout))
            .args(url.port.map(|port| vec!["-p".to_string(), port.to_string()]).unwrap_or_default())
            .args(["-l", &self.user, "--", host, "git-upload-pack"])
            .arg(&*path.to_os_str_lossy())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn()?;
        let (Some(stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("the ssh process has no pipes"));
        };
        let stderr = collect(stderr);
        let process = Arc::new(Mutex::new(child));
        let expired = Arc::new(AtomicBool::new(false));
        let watchdog = {
            let (process, expired) = (process.clone(), expired.clone());
            Watchdog::start(deadline, move || {
                let mut child = process.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if matches!(child.try_wait(), Ok(None)) {
                    expired.store(true, Ordering::SeqCst);
                    let _ = child.kill();
                }
            })
        };
        let output = ProcessOutput { stdout, process, _watchdog: watchdog };
        let connection = GitConnection::new(
            output,
            stdin,
            version,
            url.path.clone(),
            None::<(&str, Option<u16>)>,
            ConnectMode::Process,
            false,
        )
        .custom_url(Some(BString::from(shown_url)));
        Ok((Box::new(connection), Diagnostics { stderr: Some(stderr), text: None, expired }))
    }
}

/// The `-o` options of every ssh invocation: only the given key and known hosts, strict host key checking, no
/// prompts, agents, multiplexing or forwarding.
fn ssh_options(identity: &Path, known_hosts: &Path, connect_timeout: u64) -> Vec<String> {
    let options = [
        "BatchMode=yes".to_string(),
        "PasswordAuthentication=no".to_string(),
        "KbdInteractiveAuthentication=no".to_string(),
        "PreferredAuthentications=publickey".to_string(),
        "IdentitiesOnly=yes".to_string(),
        "IdentityAgent=none".to_string(),
        format!("IdentityFile={}", config_path(identity)),
        "CertificateFile=none".to_string(),
        format!("UserKnownHostsFile={}", config_path(known_hosts)),
        "GlobalKnownHostsFile=/dev/null".to_string(),
        "StrictHostKeyChecking=yes".to_string(),
        "UpdateHostKeys=no".to_string(),
        "CheckHostIP=no".to_string(),
        "VerifyHostKeyDNS=no".to_string(),
        format!("ConnectTimeout={connect_timeout}"),
        "ServerAliveInterval=15".to_string(),
        "ServerAliveCountMax=3".to_string(),
        "ControlMaster=no".to_string(),
        "ControlPath=none".to_string(),
        "ForwardAgent=no".to_string(),
        "ForwardX11=no".to_string(),
        "ClearAllForwardings=yes".to_string(),
        "PermitLocalCommand=no".to_string(),
        "SendEnv=GIT_PROTOCOL".to_string(),
    ];
    options.into_iter().flat_map(|option| ["-o".to_string(), option]).collect()
}

/// `path` as an ssh option argument: quoted (it may contain spaces) and with `%` escaped (ssh expands `%` tokens in
/// these options).
fn config_path(path: &Path) -> String {
    format!("\"{}\"", path.display().to_string().replace('%', "%%"))
}

/// The host of an ssh or git URL as a command-line argument: brackets of IPv6 addresses removed, nothing that
/// could read as an option.
fn ssh_host(url: &gix::Url) -> Result<&str, std::io::Error> {
    let host = url.host().unwrap_or_default();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.is_empty() || host.starts_with('-') {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("invalid host {host:?}")));
    }
    Ok(host)
}

/// Whole seconds left until `deadline`, at most `cap`, at least 1.
fn remaining_secs(deadline: Instant, cap: Duration) -> u64 {
    deadline.saturating_duration_since(Instant::now()).min(cap).as_secs_f64().ceil().max(1.0) as u64
}

/// The key file ssh gets: the identity as given (CRLF line ends and a missing final newline repaired, which ssh
/// refuses), or decrypted with `passphrase` when it is an encrypted OpenSSH key. Errors name the secret's keys
/// and never contain key material.
fn usable_identity(identity: &[u8], passphrase: Option<&str>) -> Result<Vec<u8>, String> {
    let text = String::from_utf8_lossy(identity);
    let text = text.trim();
    if text.starts_with("ssh-") || text.starts_with("ecdsa-") || text.contains("PUBLIC KEY-----") {
        return Err("the identity key holds a public key; it must hold the private key".to_string());
    }
    if !text.starts_with("-----BEGIN ") || !text.contains("PRIVATE KEY-----") {
        return Err("the identity key is not a private key: expected an OpenSSH or PEM private key \
                    (-----BEGIN OPENSSH PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
            .to_string());
    }
    if text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        let key = ssh_key::PrivateKey::from_openssh(text)
            .map_err(|_| "the identity key is not a valid OpenSSH private key (it may be truncated)".to_string())?;
        if !key.is_encrypted() {
            return Ok(normalize_lines(identity));
        }
        let Some(passphrase) = passphrase else {
            return Err("the identity key is protected by a passphrase: put the passphrase in the \
                        password key"
                .to_string());
        };
        let decrypted = key.decrypt(passphrase.as_bytes()).map_err(|e| match e {
            ssh_key::Error::Crypto => {
                "the password key does not decrypt the identity key: the passphrase is wrong".to_string()
            }
            ssh_key::Error::AlgorithmUnknown | ssh_key::Error::AlgorithmUnsupported { .. } => {
                "the identity key is encrypted with a cipher or key type driftless cannot \
                 decrypt; re-encrypt it with `ssh-keygen -p -f <file>` (OpenSSH's default cipher) or store it \
                 unencrypted"
                    .to_string()
            }
            _ => "the identity key cannot be decrypted: it is damaged, or the passphrase is wrong".to_string(),
        })?;
        let pem = decrypted
            .to_openssh(ssh_key::LineEnding::LF)
            .map_err(|_| "the decrypted identity key cannot be written for ssh".to_string())?;
        return Ok(pem.as_bytes().to_vec());
    }
    if text.contains("Proc-Type: 4,ENCRYPTED") || text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err("the identity key is a passphrase-protected PEM key, which driftless cannot \
                    decrypt: convert it to the OpenSSH format with `ssh-keygen -p -f <file>` (it keeps the \
                    passphrase), or store it unencrypted"
            .to_string());
    }
    Ok(normalize_lines(identity))
}

/// `bytes` with CRLF line ends turned into LF and a final newline.
fn normalize_lines(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.replace(b"\r\n", b"\n");
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    out
}

/// The host as ssh and known_hosts name it in messages: `host`, or `host:port` when the port is not 22.
pub(crate) fn known_hosts_name(url: &gix::Url) -> String {
    let host = url.host().unwrap_or_default();
    match url.port.filter(|port| *port != 22) {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The command that prints the host keys of `url`'s server.
fn keyscan(url: &gix::Url) -> String {
    let host = url.host().unwrap_or_default();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    match url.port.filter(|port| *port != 22) {
        Some(port) => format!("ssh-keyscan -p {port} {host}"),
        None => format!("ssh-keyscan {host}"),
    }
}

/// What a failed ssh connection's stderr means, or `None` if it says nothing this recognises.
///
/// `stderr` holds ssh's own messages (`LANG=C`) and whatever the remote command printed (`fatal: ...` from
/// `git-upload-pack`, or a forge's own wording).
///
/// `login` names the login as [`SshClient::login`] does.
pub(crate) fn classify_ssh(stderr: &str, url: &gix::Url, shown_url: &str, login: &str) -> Option<Failure> {
    let permanent = |error| Some(Failure { error, kind: FailureKind::Permanent });
    let transient = |error| Some(Failure { error, kind: FailureKind::Transient });
    let shown = shown_url.to_string();
    let lower = stderr.to_ascii_lowercase();
    let host = known_hosts_name(url);
    if lower.contains("remote host identification has changed")
        || lower.contains("has changed and you have requested strict checking")
    {
        return permanent(SourceError::ChangedHostKey { host, url: shown, fingerprint: presented_key(stderr) });
    }
    if lower.contains("host key verification failed") || lower.contains("and you have requested strict checking") {
        return permanent(SourceError::UnknownHostKey {
            host,
            url: shown,
            key_type: unknown_key_type(stderr),
            keyscan: keyscan(url),
        });
    }
    if lower.contains("load key") || lower.contains("invalid format") && lower.contains("key") {
        let detail = "ssh cannot load the identity key (invalid format or unsupported key type); \
                      store an OpenSSH or PEM private key";
        return permanent(SourceError::InvalidCredentials { detail: detail.to_string() });
    }
    if lower.contains("permission denied (publickey") || lower.contains("too many authentication failures") {
        let detail = format!(
            "the server did not accept the identity key of spec.secretRef for {login}; check that its public \
             key is authorized there (e.g. as a deploy key with read access) and that the user name is right"
        );
        return permanent(SourceError::AuthenticationFailed { url: shown, detail });
    }
    if lower.contains("permission denied") {
        return permanent(SourceError::PermissionDenied { url: shown, detail: last_line(stderr) });
    }
    if lower.contains("could not resolve hostname") {
        let detail = "the host name does not resolve".to_string();
        return permanent(SourceError::Unreachable { url: shown, detail });
    }
    if lower.contains("connection refused") {
        return transient(SourceError::Unreachable { url: shown, detail: "connection refused".to_string() });
    }
    for (needle, detail) in [
        ("connection timed out", "the connection timed out"),
        ("operation timed out", "the connection timed out"),
        ("no route to host", "no route to host"),
        ("network is unreachable", "the network is unreachable"),
        ("connection reset", "the connection was reset"),
        ("connection closed by", "the server closed the connection"),
        ("kex_exchange_identification", "the server closed the connection before the ssh handshake"),
        ("broken pipe", "the connection broke"),
    ] {
        if lower.contains(needle) {
            return transient(SourceError::Unreachable { url: shown, detail: detail.to_string() });
        }
    }
    if lower.contains("does not appear to be a git repository")
        || lower.contains("repository not found")
        || lower.contains("no such file or directory")
        || lower.contains("not a git repository")
    {
        return permanent(SourceError::RepositoryNotFound { url: shown, detail: last_line(stderr) });
    }
    if lower.contains("unable to negotiate") {
        let detail = format!("ssh and the server share no algorithm: {}", last_line(stderr));
        return permanent(SourceError::Unreachable { url: shown, detail });
    }
    if lower.contains("git-upload-pack: command not found") || lower.contains("git-upload-pack: not found") {
        let detail = "the server has no git-upload-pack on the login's PATH".to_string();
        return permanent(SourceError::RepositoryNotFound { url: shown, detail });
    }
    None
}

/// `ED25519 key SHA256:…` from ssh's changed-host-key warning.
fn presented_key(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim().strip_prefix("The fingerprint for the ") else { continue };
        let kind = rest.split_whitespace().next()?;
        let fingerprint = lines.next()?.trim().trim_end_matches('.');
        if !fingerprint.starts_with("SHA256:") && !fingerprint.starts_with("MD5:") {
            return None;
        }
        return Some(format!("{kind} key {fingerprint}"));
    }
    None
}

/// `ED25519` from `No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.`
fn unknown_key_type(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("No ")?;
        let (kind, _) = rest.split_once(" host key is known for ")?;
        (!kind.is_empty() && kind.len() < 20 && !kind.contains(' ')).then(|| kind.to_string())
    })
}

/// The last non-empty line of `text`, trimmed and cut to 300 characters.
fn last_line(text: &str) -> String {
    let line = text.lines().rev().map(str::trim).find(|line| !line.is_empty()).unwrap_or("no message");
    line.chars().take(300).collect()
}

// ---------------------------------------------------------------- git://

/// Connects to the git daemon of `url` and returns gix's connection over the TCP stream, and the connection's
/// diagnostics. Connecting takes at most [`CONNECT_TIMEOUT`]; the stream is shut down at `deadline`.
pub(crate) fn connect_daemon(
    url: &gix::Url,
    version: Protocol,
    deadline: Instant,
    shown_url: &str,
) -> Result<(BoxedTransport, Diagnostics), std::io::Error> {
    use std::net::{TcpStream, ToSocketAddrs};
    let host = ssh_host(url)?;
    let port = url.port.unwrap_or(9418);
    let mut last_error = None;
    let mut stream = None;
    for address in (host, port).to_socket_addrs()? {
        let left = deadline.saturating_duration_since(Instant::now()).min(CONNECT_TIMEOUT);
        if left.is_zero() {
            last_error = Some(std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"));
            break;
        }
        match TcpStream::connect_timeout(&address, left) {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(err) => last_error = Some(err),
        }
    }
    let Some(stream) = stream else {
        return Err(last_error
            .unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("{host} has no address"))));
    };
    stream.set_nodelay(true)?;
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
    stream.set_read_timeout(Some(left))?;
    stream.set_write_timeout(Some(left))?;
    let expired = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (stream, expired) = (stream.try_clone()?, expired.clone());
        Watchdog::start(deadline, move || {
            expired.store(true, Ordering::SeqCst);
            let _ = stream.shutdown(std::net::Shutdown::Both);
        })
    };
    let read = DaemonStream { stream: stream.try_clone()?, _watchdog: watchdog };
    let connection = GitConnection::new(
        read,
        stream,
        version,
        url.path.clone(),
        Some((host.to_string(), url.port)),
        ConnectMode::Daemon,
        false,
    )
    .custom_url(Some(BString::from(shown_url)));
    Ok((Box::new(connection), Diagnostics { stderr: None, text: None, expired }))
}

/// The reading half of a git-daemon connection, which also ends its watchdog when dropped.
struct DaemonStream {
    stream: std::net::TcpStream,
    _watchdog: Watchdog,
}

impl Read for DaemonStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stream.read(buf)
    }
}

// ---------------------------------------------------------------- shared parts

/// What a connection left for classifying its failure: the stderr of its process, and whether the deadline ended it.
pub(crate) struct Diagnostics {
    stderr: Option<mpsc::Receiver<String>>,
    text: Option<String>,
    expired: Arc<AtomicBool>,
}

impl Diagnostics {
    /// Whether the connection was ended because the fetch ran out of time.
    pub fn expired(&self) -> bool {
        self.expired.load(Ordering::SeqCst)
    }

    /// What the process wrote to stderr, waiting a little for the rest of it (the process has ended, or is ended
    /// when its transport is dropped). Empty without a process.
    pub fn stderr(&mut self) -> &str {
        if self.text.is_none() {
            let text = self.stderr.take().and_then(|rx| rx.recv_timeout(STDERR_WAIT).ok()).unwrap_or_default();
            self.text = Some(text);
        }
        self.text.as_deref().unwrap_or_default()
    }
}

/// Reads `stderr` to its end on a thread of its own and sends what it read (at most [`MAX_STDERR`] bytes).
fn collect(stderr: std::process::ChildStderr) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let spawned =
        std::thread::Builder::new().name("driftless-ssh-stderr".to_string()).stack_size(64 * 1024).spawn(move || {
            let mut kept = Vec::new();
            let mut reader = stderr;
            let _ = (&mut reader).take(MAX_STDERR as u64).read_to_end(&mut kept);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
            let _ = tx.send(String::from_utf8_lossy(&kept).into_owned());
        });
    if spawned.is_err() {
        tracing::warn!("cannot start a thread to read ssh's stderr; its errors will be less precise");
    }
    rx
}

/// The stdout of a transport's process; dropping it ends the process (killed if still running, then reaped) and
/// its watchdog.
struct ProcessOutput {
    stdout: ChildStdout,
    process: Arc<Mutex<Child>>,
    _watchdog: Watchdog,
}

impl Read for ProcessOutput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stdout.read(buf)
    }
}

impl Drop for ProcessOutput {
    fn drop(&mut self) {
        let mut child = self.process.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

/// Runs an action at a deadline unless dropped first.
struct Watchdog {
    _cancel: mpsc::Sender<()>,
}

impl Watchdog {
    /// Runs `action` on a thread of its own at `deadline`, unless the watchdog is dropped before.
    fn start(deadline: Instant, action: impl FnOnce() + Send + 'static) -> Watchdog {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let wait = deadline.saturating_duration_since(Instant::now());
        let spawned =
            std::thread::Builder::new().name("driftless-deadline".to_string()).stack_size(64 * 1024).spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(wait) {
                    action();
                }
            });
        if spawned.is_err() {
            tracing::warn!("cannot start a deadline thread; a stalled connection ends only with its timeouts");
        }
        Watchdog { _cancel: cancel }
    }
}

/// A directory only this user can enter (0700) under the system's temporary directory, for key files (0600);
/// removed with its contents when dropped. Leftovers of processes that no longer run are removed when the next
/// one is created.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn create() -> std::io::Result<PrivateDir> {
        let parent = std::env::temp_dir();
        remove_stale(&parent);
        let name = format!("{KEY_DIR_PREFIX}{}.{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let path = parent.join(name);
        DirBuilder::new().mode(0o700).create(&path)?;
        Ok(PrivateDir { path })
    }

    /// Writes `bytes` to a new file `name` (0600) and returns its path.
    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.path.join(name);
        let mut file: File = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.path)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %self.path.display(), "cannot remove the ssh key directory: {err}");
        }
    }
}

/// Removes key directories under `parent` left by processes of this user that no longer run (killed before they
/// could clean up).
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(KEY_DIR_PREFIX))
            .and_then(|rest| rest.split('.').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if pid > 0 && !process_exists(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether a process with this id exists (it may belong to another user).
fn process_exists(pid: i32) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists and may be signalled.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> gix::Url {
        gix::url::parse(text.as_bytes().as_bstr()).expect("url")
    }

    #[test]
    fn classifies_unknown_and_changed_host_keys() {
        let u = url("ssh://git@127.0.0.1:2222/srv/repo");
        let unknown = "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\n\
                       Host key verification failed.\n";
        let failure = classify_ssh(unknown, &u, "ssh://git@127.0.0.1:2222/srv/repo", "git").expect("classified");
        let message = failure.error.to_string();
        assert!(message.starts_with("host key for 127.0.0.1:2222 is not in known_hosts"), "{message}");
        assert!(message.contains("ED25519"), "{message}");
        assert!(message.contains("ssh-keyscan -p 2222 127.0.0.1"), "{message}");
        assert_eq!(failure.kind, FailureKind::Permanent);

        let changed = "@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
                       The fingerprint for the ED25519 key sent by the remote host is\n\
                       SHA256:8+LjDpPyc5o+zrq4XIo+BE0GvMXNjDrphLzsPDfqqLY.\n\
                       Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.\n\
                       Host key verification failed.\n";
        let message = classify_ssh(changed, &u, "u", "git").expect("classified").error.to_string();
        assert!(message.starts_with("host key for 127.0.0.1:2222 changed"), "{message}");
        assert!(message.contains("ED25519 key SHA256:8+LjDpPyc5o+zrq4XIo+BE0GvMXNjDrphLzsPDfqqLY,"), "{message}");

        let default_port = url("ssh://git@github.com/org/repo");
        let message = classify_ssh(unknown, &default_port, "u", "git").expect("classified").error.to_string();
        assert!(message.starts_with("host key for github.com is not in known_hosts"), "{message}");
        assert!(message.contains("`ssh-keyscan github.com`"), "{message}");
    }

    #[test]
    fn classifies_authentication_and_network_failures() {
        let u = url("ssh://git@127.0.0.1:2222/srv/repo");
        let classify = |text: &str| classify_ssh(text, &u, "shown", "user \"deploy\"").expect("classified");
        let denied = classify("deploy@127.0.0.1: Permission denied (publickey).\n");
        assert!(matches!(denied.error, SourceError::AuthenticationFailed { .. }), "{:?}", denied.error);
        assert!(denied.error.to_string().contains("user \"deploy\""), "{}", denied.error);
        let refused = classify("ssh: connect to host 127.0.0.1 port 2222: Connection refused\n");
        assert!(matches!(refused.error, SourceError::Unreachable { .. }));
        assert_eq!(refused.kind, FailureKind::Transient);
        let missing = classify("fatal: '/srv/nope' does not appear to be a git repository\n");
        assert!(matches!(missing.error, SourceError::RepositoryNotFound { .. }));
        let dns = classify("ssh: Could not resolve hostname nope.invalid: Name or service not known\n");
        assert_eq!(dns.kind, FailureKind::Permanent);
        assert!(classify_ssh("something else entirely\n", &u, "shown", "git").is_none());
    }

    #[test]
    fn identities_are_checked_and_repaired() {
        assert!(usable_identity(b"ssh-ed25519 AAAA user@host", None).unwrap_err().contains("public key"));
        assert!(usable_identity(b"hello", None).unwrap_err().contains("not a private key"));
        let pem = b"-----BEGIN RSA PRIVATE KEY-----\r\nMIIE\r\n-----END RSA PRIVATE KEY-----";
        assert_eq!(
            usable_identity(pem, None).unwrap(),
            b"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"
        );
        let legacy = b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n\
                       MIIE\n-----END RSA PRIVATE KEY-----\n";
        assert!(usable_identity(legacy, Some("pw")).unwrap_err().contains("ssh-keygen -p"));
        let truncated = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n";
        assert!(usable_identity(truncated, None).unwrap_err().contains("not a valid OpenSSH private key"));
    }

    #[test]
    fn known_hosts_and_identity_are_required() {
        let err = SshClient::prepare(&Credentials::default(), &url("ssh://h/r"), None, "", "").unwrap_err().to_string();
        assert!(err.contains("known_hosts"), "{err}");
        let only_hosts = Credentials {
            known_hosts: Some(b"[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOk".to_vec()),
            ..Credentials::default()
        };
        let err = SshClient::prepare(&only_hosts, &url("ssh://h/r"), None, "", "").unwrap_err().to_string();
        assert!(err.contains("identity"), "{err}");
        let comments_only = Credentials { known_hosts: Some(b"# nothing\n".to_vec()), ..only_hosts };
        let err = SshClient::prepare(&comments_only, &url("ssh://h/r"), None, "", "").unwrap_err().to_string();
        assert!(err.contains("no host key line"), "{err}");
    }

    /// A throwaway key made for this test only.
    const TEST_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACCukSRQCHT36mmZupFjHLYaJFpVb09aQiXIvd8OVFZlPwAAAJBTN0FrUzdB
awAAAAtzc2gtZWQyNTUxOQAAACCukSRQCHT36mmZupFjHLYaJFpVb09aQiXIvd8OVFZlPw
AAAECvMJYhz87YWNMLj1ObNssfyq4Yk8Tlk1WEnlqOZhaXv66RJFAIdPfqaZm6kWMcthok
WlVvT1pCJci93w5UVmU/AAAACXVuaXQtdGVzdAECAwQ=
-----END OPENSSH PRIVATE KEY-----";

    #[test]
    fn the_login_is_the_secret_user_then_the_url_user_then_git() {
        let secret = |username: Option<&str>| Credentials {
            username: username.map(String::from),
            identity: Some(TEST_KEY.as_bytes().to_vec()),
            known_hosts: Some(
                b"example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK6RJFAIdPfqaZm6kWMcthokWlVvT1pCJci93w5UVmU/\n"
                    .to_vec(),
            ),
            ..Credentials::default()
        };
        let at = url("ssh://example.com/r");
        let prepare = |credentials: &Credentials, url_user| {
            SshClient::prepare(credentials, &at, url_user, "", "").expect("prepare")
        };
        let from_secret = prepare(&secret(Some("deploy")), Some("alice"));
        assert_eq!(from_secret.user, "deploy");
        assert_eq!(from_secret.login(), "the user in the username key");
        assert!(!format!("{from_secret:?}").contains("deploy"));
        assert_eq!(prepare(&secret(None), Some("alice")).login(), "user \"alice\"");
        assert_eq!(prepare(&secret(None), None).login(), "user \"git\"");
        let err = SshClient::prepare(&secret(Some("-oProxyCommand=x")), &at, None, "", "").unwrap_err();
        assert!(err.to_string().contains("(the username key) is not a valid login name"), "{err}");
        assert!(!err.to_string().contains("ProxyCommand"), "{err}");
        // The key files exist while the client lives, and are gone after.
        let client = SshClient::prepare(&secret(None), &at, None, "", "").expect("prepare");
        let dir = client.dir.path.clone();
        assert_eq!(std::fs::read(&client.identity).expect("identity"), format!("{TEST_KEY}\n").as_bytes());
        assert!(std::fs::read_to_string(&client.known_hosts).expect("known_hosts").starts_with("example.com "));
        drop(client);
        assert!(!dir.exists());
    }

    #[test]
    fn option_paths_are_quoted_and_escaped() {
        assert_eq!(config_path(Path::new("/tmp/a b/100%/key")), "\"/tmp/a b/100%%/key\"");
    }

    #[test]
    fn the_key_directory_is_private_and_removed() {
        let dir = PrivateDir::create().expect("dir");
        let file = dir.write("identity", b"key\n").expect("write");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&dir.path).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        let path = dir.path.clone();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn stale_key_directories_of_dead_processes_are_removed() {
        let parent = tempfile_dir();
        // No process has id 2^22 + 1 (above Linux's pid_max limit of 2^22).
        let stale = parent.join(format!("{KEY_DIR_PREFIX}4194305.abc"));
        let ours = parent.join(format!("{KEY_DIR_PREFIX}{}.abc", std::process::id()));
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::create_dir_all(&ours).unwrap();
        remove_stale(&parent);
        assert!(!stale.exists());
        assert!(ours.exists());
        let _ = std::fs::remove_dir_all(&parent);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("driftless-transport-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn tls_failures_say_what_to_set() {
        let untrusted = classify_tls("invalid peer certificate: unknownissuer", "https://h/r", None).unwrap();
        assert!(untrusted.to_string().contains("ca.crt"), "{untrusted}");
        let required = classify_tls("received fatal alert: certificaterequired", "https://h/r", None).unwrap();
        assert!(required.to_string().contains("tls.crt"), "{required}");
        assert!(classify_tls("connection refused", "https://h/r", None).is_none());
    }
}
