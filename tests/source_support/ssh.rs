//! OpenSSH for the ssh:// tests: keys made with `ssh-keygen`, and `sshd` run as a process of the current user on
//! 127.0.0.1 with a generated config and host key, serving repositories by absolute path to the current user.
//!
//! Debian packages: `openssh-server` (sshd) and `openssh-client` (ssh, ssh-keygen). When `/usr/sbin/sshd` is
//! missing, [`Sshd::start`] installs `openssh-server` with apt-get (as root), serialised across test processes.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::{Server, current_user};

/// Where Debian's openssh-server puts the daemon.
pub const SSHD: &str = "/usr/sbin/sshd";

/// An ssh key pair made by `ssh-keygen`.
#[derive(Clone)]
pub struct KeyPair {
    /// The private key file's content (what a secret's `identity` holds).
    pub private: Vec<u8>,
    /// The public key line (`ssh-ed25519 AAAA... comment`).
    pub public: String,
}

impl KeyPair {
    /// A new key: `kind` is `ed25519` or `rsa`; `pem` writes the legacy PEM format instead of OpenSSH's;
    /// `passphrase` ("" for none) encrypts it.
    pub fn generate(kind: &str, pem: bool, passphrase: &str) -> KeyPair {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("key");
        let mut cmd = Command::new("ssh-keygen");
        cmd.args(["-q", "-t", kind, "-N", passphrase, "-C", "driftless-test", "-f"]).arg(&path);
        if kind == "rsa" {
            cmd.args(["-b", "2048"]);
        }
        if pem {
            cmd.args(["-m", "PEM"]);
        }
        let out = cmd.output().expect("ssh-keygen runs (Debian: openssh-client)");
        assert!(out.status.success(), "ssh-keygen failed: {}", String::from_utf8_lossy(&out.stderr));
        let private = std::fs::read(&path).expect("private key");
        let public = std::fs::read_to_string(path.with_extension("pub")).expect("public key").trim().to_string();
        KeyPair { private, public }
    }

    /// The public key without its comment: `<type> <base64>`.
    pub fn public_key(&self) -> String {
        self.public.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    }
}

/// `sshd` on 127.0.0.1 accepting the current user with the authorized keys, killed when dropped.
pub struct Sshd {
    server: Server,
    dir: tempfile::TempDir,
    /// The server's host key.
    pub host_key: KeyPair,
    /// The user the server accepts (the current user).
    pub user: String,
}

impl Sshd {
    /// Starts sshd with `authorized` public keys (more can be added with [`Sshd::authorize`]).
    pub fn start(authorized: &[&KeyPair]) -> Sshd {
        ensure_sshd();
        let dir = tempfile::tempdir().expect("temp dir");
        let host_key = KeyPair::generate("ed25519", false, "");
        let host_key_path = dir.path().join("host_ed25519_key");
        write_private(&host_key_path, &host_key.private);
        let authorized_keys = dir.path().join("authorized_keys");
        let lines: String = authorized.iter().map(|key| format!("{}\n", key.public)).collect();
        std::fs::write(&authorized_keys, lines).expect("authorized_keys");
        let config = dir.path().join("sshd_config");
        std::fs::write(&config, sshd_config(&host_key_path, &authorized_keys, &session_path())).expect("config");
        if is_root() {
            // sshd run as root separates privileges and needs its empty directory (systemd creates it normally).
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let server = Server::start("sshd", "Server listening on", |port| {
            let mut cmd = Command::new(SSHD);
            cmd.args(["-D", "-e", "-f"]).arg(&config).args(["-p", &port.to_string()]);
            cmd
        });
        Sshd { server, dir, host_key, user: current_user() }
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// Lets `key` log in too.
    pub fn authorize(&self, key: &KeyPair) {
        use std::io::Write;
        let mut file =
            std::fs::OpenOptions::new().append(true).open(self.dir.path().join("authorized_keys")).expect("open");
        writeln!(file, "{}", key.public).expect("append");
    }

    /// The URL of the repository at `path` (absolute) for the current user.
    pub fn url(&self, path: &Path) -> String {
        format!("ssh://{}@127.0.0.1:{}{}", self.user, self.port(), path.display())
    }

    /// A known_hosts line for this server.
    pub fn known_hosts(&self) -> Vec<u8> {
        format!("[127.0.0.1]:{} {}\n", self.port(), self.host_key.public_key()).into_bytes()
    }

    /// What sshd logged (for failure messages).
    pub fn log(&self) -> String {
        self.server.log()
    }
}

/// The config of the test server: only key auth, for the current user, with files from the test's directory.
fn sshd_config(host_key: &Path, authorized_keys: &Path, path: &str) -> String {
    format!(
        "ListenAddress 127.0.0.1\n\
         HostKey {}\n\
         PidFile none\n\
         AuthorizedKeysFile {}\n\
         StrictModes no\n\
         UsePAM no\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\n\
         AcceptEnv GIT_PROTOCOL\n\
         SetEnv PATH={path}\n\
         PrintMotd no\n\
         PrintLastLog no\n\
         Subsystem sftp none\n\
         LogLevel VERBOSE\n",
        host_key.display(),
        authorized_keys.display(),
    )
}

/// The PATH of ssh sessions: where `git` and `git-upload-pack` are on this machine, then the usual directories.
fn session_path() -> String {
    let mut dirs: Vec<String> = Vec::new();
    for program in ["git-upload-pack", "git"] {
        let out = Command::new("sh").args(["-c", &format!("command -v {program}")]).output().expect("sh runs");
        let found = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if let Some(parent) = found.parent().filter(|p| !p.as_os_str().is_empty()) {
            dirs.push(parent.display().to_string());
        }
    }
    if let Ok(out) = Command::new("git").arg("--exec-path").output() {
        dirs.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(String::from));
    dirs.dedup();
    dirs.join(":")
}

fn write_private(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).expect("create key file");
    file.write_all(bytes).expect("write key");
}

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() == 0 }
}

/// Makes sure `/usr/sbin/sshd` exists, installing `openssh-server` with apt-get if not (one test process at a
/// time, under a lock file).
pub fn ensure_sshd() {
    if Path::new(SSHD).exists() {
        return;
    }
    let lock = std::fs::File::create(std::env::temp_dir().join("driftless-test-apt.lock")).expect("lock file");
    lock.lock().expect("lock");
    if Path::new(SSHD).exists() {
        return;
    }
    let sudo = if is_root() { vec![] } else { vec!["sudo", "-n"] };
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(sudo.first().copied().unwrap_or("apt-get"));
        if !sudo.is_empty() {
            cmd.args(&sudo[1..]).arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive").output()
    };
    let install = ["install", "-y", "--no-install-recommends", "openssh-server"];
    let installed = apt(&install).is_ok_and(|out| out.status.success())
        || (apt(&["update"]).is_ok_and(|out| out.status.success())
            && apt(&install).is_ok_and(|out| out.status.success()));
    assert!(
        installed && Path::new(SSHD).exists(),
        "the ssh tests need OpenSSH's server: install the Debian package openssh-server (apt-get install \
         openssh-server); installing it automatically failed"
    );
}
