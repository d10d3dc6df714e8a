//! Commit and tag signature verification (`GitRepository.spec.verify`) against real signatures: fixture
//! repositories whose commits and tags are signed by the real `git` CLI, with SSH keys made by `ssh-keygen` and
//! OpenPGP keys made by `gpg` in a throw-away `GNUPGHOME`, fetched into a [`Mirror`] over `file://`.
//!
//! Needs the `git`, `ssh-keygen` (Debian `openssh-client`) and `gpg` + `gpg-agent` (Debian `gpg`, `gpg-agent`)
//! binaries; `scripts/test` installs them.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use driftless::source::{
    Credentials, MAX_OBJECT_BYTES, Mirror, Reference, Remote, SignatureKind, SignedObject, TrustedKeys, Verified,
    VerifyError, VerifyMode,
};

// ---------------------------------------------------------------- fixtures

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?} cannot start: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_string()
}

/// Fails with the Debian package to install when a tool is missing.
fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(found, "{tool} is missing: install the Debian package {package} (scripts/test does)");
}

/// An SSH key pair made by `ssh-keygen`.
struct SshKey {
    public_path: PathBuf,
    public: String,
    fingerprint: String,
}

/// How a commit or tag is signed.
enum Signer<'a> {
    Ssh(&'a SshKey),
    Pgp(&'a PgpKey),
}

/// An OpenPGP key made by `gpg` in the fixture's `GNUPGHOME`.
struct PgpKey {
    /// The primary key's fingerprint (40 upper-case hex).
    fingerprint: String,
    /// The primary key's ID (its last 16 hex digits), what Flux reports.
    key_id: String,
    /// `gpg --export --armor`.
    armored: String,
}

/// A temporary directory with an origin repository, a `GNUPGHOME` and a data directory for mirrors.
struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    origin: PathBuf,
    gnupg: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // gpg starts an agent per GNUPGHOME; stop ours.
        if self.gnupg.join("pubring.kbx").exists() {
            let _ = Command::new("gpgconf")
                .args(["--kill", "gpg-agent"])
                .env("GNUPGHOME", &self.gnupg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Fixture {
    fn new() -> Fixture {
        require("git", "git");
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        let origin = root.join("origin");
        let gnupg = root.join("gnupg");
        std::fs::create_dir(&origin).expect("mkdir");
        std::fs::create_dir(&gnupg).expect("mkdir");
        std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("chmod");
        let fixture = Fixture { _tmp: tmp, root, origin, gnupg };
        run(fixture.git().args(["init", "-q", "-b", "main"]));
        fixture
    }

    /// A git command in the origin, isolated from the machine's and user's git config.
    fn git(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.origin)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GNUPGHOME", &self.gnupg)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.invalid");
        cmd
    }

    /// A git command that signs with `signer`.
    fn signing_git(&self, signer: &Signer) -> Command {
        let mut cmd = self.git();
        match signer {
            Signer::Ssh(key) => {
                cmd.args(["-c", "gpg.format=ssh", "-c"]).arg(format!("user.signingkey={}", key.public_path.display()))
            }
            Signer::Pgp(key) => cmd
                .args(["-c", "gpg.format=openpgp", "-c", "gpg.program=gpg", "-c"])
                .arg(format!("user.signingkey={}", key.fingerprint)),
        };
        cmd
    }

    fn gpg(&self) -> Command {
        require("gpg", "gpg");
        require("gpg-agent", "gpg-agent");
        let mut cmd = Command::new("gpg");
        cmd.env("GNUPGHOME", &self.gnupg).args([
            "--batch",
            "--no-tty",
            "--passphrase",
            "",
            "--pinentry-mode",
            "loopback",
        ]);
        cmd
    }

    /// `ssh-keygen -t <kind>` with no passphrase.
    fn ssh_key(&self, name: &str, kind: &[&str]) -> SshKey {
        require("ssh-keygen", "openssh-client");
        let path = self.root.join(name);
        run(Command::new("ssh-keygen").args(["-q", "-N", "", "-C", name, "-t"]).args(kind).arg("-f").arg(&path));
        let public_path = path.with_extension("pub");
        let public = std::fs::read_to_string(&public_path).expect("public key");
        let listed = run(Command::new("ssh-keygen").args(["-l", "-E", "sha256", "-f"]).arg(&public_path));
        let fingerprint = listed.split_whitespace().nth(1).expect("fingerprint").to_string();
        assert!(fingerprint.starts_with("SHA256:"), "{listed}");
        SshKey { public_path, public, fingerprint }
    }

    /// `gpg --quick-gen-key` with the given algorithm and usage, optionally plus a signing subkey.
    fn pgp_key(&self, email: &str, algo: &str, usage: &str, signing_subkey: Option<&str>) -> PgpKey {
        run(self.gpg().args(["--quick-gen-key", &format!("Test <{email}>"), algo, usage, "never"]));
        let listed = run(self.gpg().args(["--list-keys", "--with-colons", &format!("<{email}>")]));
        let fingerprint = listed
            .lines()
            .find_map(|l| l.strip_prefix("fpr:").map(|rest| rest.trim_matches(':').to_string()))
            .expect("fingerprint");
        if let Some(sub_algo) = signing_subkey {
            run(self.gpg().args(["--quick-add-key", &fingerprint, sub_algo, "sign", "never"]));
        }
        let armored = run(self.gpg().args(["--export", "--armor", &fingerprint]));
        PgpKey { key_id: fingerprint[24..].to_string(), fingerprint, armored }
    }

    /// A commit (empty or with a file) signed by `signer`, or unsigned; returns its id.
    fn commit(&self, message: &str, signer: Option<&Signer>) -> String {
        std::fs::write(self.origin.join("file.txt"), message).expect("write");
        run(self.git().args(["add", "-A"]));
        match signer {
            Some(signer) => run(self.signing_git(signer).args(["commit", "-q", "-S", "-m", message])),
            None => run(self.git().args(["commit", "-q", "-m", message])),
        };
        self.rev_parse("HEAD")
    }

    /// An annotated tag at HEAD, signed by `signer` or unsigned.
    fn tag(&self, name: &str, signer: Option<&Signer>) {
        match signer {
            Some(signer) => run(self.signing_git(signer).args(["tag", "-s", "-m", &format!("release {name}"), name])),
            None => run(self.git().args(["tag", "-a", "-m", &format!("release {name}"), name])),
        };
    }

    fn rev_parse(&self, rev: &str) -> String {
        run(self.git().args(["rev-parse", rev]))
    }

    /// Writes `object` (raw commit data) as a new commit object and points `branch` at it.
    fn write_commit(&self, branch: &str, object: &[u8]) -> String {
        let mut child = self
            .git()
            .args(["hash-object", "-w", "-t", "commit", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("git hash-object");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), object).expect("write object");
        let out = child.wait_with_output().expect("git hash-object");
        assert!(out.status.success());
        let id = String::from_utf8(out.stdout).expect("utf-8").trim().to_string();
        run(self.git().args(["update-ref", &format!("refs/heads/{branch}"), &id]));
        id
    }

    /// The fixture's mirror, with `reference` fetched into it; returns the mirror and the fetched commit.
    fn fetch(&self, reference: Reference) -> (Mirror, String) {
        let url = format!("file://{}", self.origin.display());
        let mirror = Mirror::open(&self.root.join("data"), &url).expect("mirror opens");
        let remote = Remote {
            url,
            reference,
            timeout: Duration::from_secs(60),
            credentials: Credentials::default(),
            expect: None,
        };
        let fetched = mirror.fetch(&remote).expect("fetch");
        (mirror, fetched.revision.commit)
    }

    fn fetch_branch(&self, branch: &str) -> (Mirror, String) {
        self.fetch(Reference::Branch(branch.to_string()))
    }

    /// The mirror with each of `commits` fetched (through a branch each: the first fetch of a ref is shallow).
    fn fetch_commits(&self, commits: &[&str]) -> Mirror {
        let mut mirror = None;
        for commit in commits {
            let branch = format!("at-{commit}");
            run(self.git().args(["branch", "-f", &branch, commit]));
            let (fetched_into, fetched) = self.fetch_branch(&branch);
            assert_eq!(&fetched, commit);
            mirror = Some(fetched_into);
        }
        mirror.expect("at least one commit")
    }
}

fn keys(entries: &[(&str, &str)]) -> TrustedKeys {
    let files: Vec<(String, Vec<u8>)> =
        entries.iter().map(|(name, contents)| (name.to_string(), contents.as_bytes().to_vec())).collect();
    TrustedKeys::from_secret_files(&files).expect("keys parse")
}

fn assert_verified(result: Result<Verified, VerifyError>, kind: SignatureKind, signer: &str, key_name: &str) {
    let verified = result.unwrap_or_else(|e| panic!("expected a good signature, got: {e}"));
    assert_eq!(verified.kind, kind);
    assert_eq!(verified.signer, signer);
    assert_eq!(verified.key_name, key_name);
}

// ---------------------------------------------------------------- SSH

#[test]
fn ssh_signed_commit_by_a_trusted_key_is_verified_with_its_fingerprint() {
    let fx = Fixture::new();
    let key = fx.ssh_key("author", &["ed25519"]);
    let commit = fx.commit("signed", Some(&Signer::Ssh(&key)));
    let (mirror, fetched) = fx.fetch_branch("main");
    assert_eq!(fetched, commit);
    let trusted = keys(&[("author.sshpub", &key.public)]);

    let verified = mirror.verify_commit(&commit, &trusted).expect("good signature");
    assert_eq!(verified.kind, SignatureKind::Ssh);
    assert_eq!(verified.signer, key.fingerprint);
    assert_eq!(verified.fingerprint, key.fingerprint);
    assert_eq!(verified.key_name, "author.sshpub");
    assert_eq!(verified.object, SignedObject::Commit { id: commit.clone() });

    let verification = mirror.verify(VerifyMode::Head, &commit, None, &trusted).expect("HEAD mode");
    assert_eq!(
        verification.message(),
        format!("verified signature of\n\t- commit '{commit}' with key '{}'", key.fingerprint)
    );
}

#[test]
fn ssh_signed_commit_by_an_untrusted_key_is_refused_naming_the_signer() {
    let fx = Fixture::new();
    let signer = fx.ssh_key("stranger", &["ed25519"]);
    let trusted_key = fx.ssh_key("author", &["ed25519"]);
    let commit = fx.commit("signed by a stranger", Some(&Signer::Ssh(&signer)));
    let (mirror, _) = fx.fetch_branch("main");

    let err = mirror.verify_commit(&commit, &keys(&[("author.sshpub", &trusted_key.public)])).unwrap_err();
    assert_eq!(
        err,
        VerifyError::UntrustedSigner {
            object: SignedObject::Commit { id: commit.clone() },
            kind: SignatureKind::Ssh,
            signer: signer.fingerprint.clone(),
        }
    );
    let message = err.to_string();
    assert!(message.contains(&commit) && message.contains(&signer.fingerprint), "{message}");
    assert!(message.contains("not in the verification secret"), "{message}");
    assert_eq!(err.reason(), "InvalidCommitSignature");
}

#[test]
fn ssh_keys_of_every_type_verify_from_one_authorized_keys_file() {
    let fx = Fixture::new();
    let ed25519 = fx.ssh_key("ed", &["ed25519"]);
    let rsa = fx.ssh_key("rsa", &["rsa", "-b", "3072"]);
    let ecdsa = fx.ssh_key("ecdsa", &["ecdsa", "-b", "256"]);
    let ecdsa384 = fx.ssh_key("ecdsa384", &["ecdsa", "-b", "384"]);
    let commits: Vec<(String, &SshKey)> = [&ed25519, &rsa, &ecdsa, &ecdsa384]
        .into_iter()
        .enumerate()
        .map(|(i, key)| (fx.commit(&format!("commit {i}"), Some(&Signer::Ssh(key))), key))
        .collect();
    let mirror = fx.fetch_commits(&commits.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>());

    // authorized_keys format: comments, blank lines, options before the key type.
    let file = format!(
        "# team keys\n{}\n\n  {}\nno-agent-forwarding,command=\"/bin/true\" {}\r\n{}\n",
        ed25519.public.trim(),
        rsa.public.trim(),
        ecdsa.public.trim(),
        ecdsa384.public.trim()
    );
    let trusted = keys(&[("team.sshpub", &file)]);
    assert_eq!(trusted.ssh_count(), 4);
    for (commit, key) in &commits {
        assert_verified(mirror.verify_commit(commit, &trusted), SignatureKind::Ssh, &key.fingerprint, "team.sshpub");
    }
}

// ---------------------------------------------------------------- OpenPGP

#[test]
fn openpgp_signed_commit_by_a_trusted_key_is_verified_with_its_key_id() {
    let fx = Fixture::new();
    let key = fx.pgp_key("author@example.invalid", "ed25519", "sign", None);
    let commit = fx.commit("signed", Some(&Signer::Pgp(&key)));
    let (mirror, _) = fx.fetch_branch("main");
    let trusted = keys(&[("author.asc", &key.armored)]);

    let verified = mirror.verify_commit(&commit, &trusted).expect("good signature");
    assert_eq!(verified.kind, SignatureKind::OpenPgp);
    assert_eq!(verified.signer, key.key_id);
    assert_eq!(verified.fingerprint, key.fingerprint);
    assert_eq!(verified.key_name, "author.asc");
}

#[test]
fn openpgp_signed_commit_by_an_untrusted_key_is_refused_naming_the_signer() {
    let fx = Fixture::new();
    let stranger = fx.pgp_key("stranger@example.invalid", "ed25519", "sign", None);
    let author = fx.pgp_key("author@example.invalid", "ed25519", "sign", None);
    let commit = fx.commit("signed by a stranger", Some(&Signer::Pgp(&stranger)));
    let (mirror, _) = fx.fetch_branch("main");

    let err = mirror.verify_commit(&commit, &keys(&[("author.asc", &author.armored)])).unwrap_err();
    match &err {
        VerifyError::UntrustedSigner { kind: SignatureKind::OpenPgp, signer, .. } => {
            assert_eq!(signer, &stranger.fingerprint)
        }
        other => panic!("expected an untrusted signer, got {other:?}"),
    }
    assert!(err.to_string().contains(&stranger.fingerprint), "{err}");
}

#[test]
fn openpgp_rsa_keys_and_signing_subkeys_verify_and_report_the_primary_key() {
    let fx = Fixture::new();
    let rsa = fx.pgp_key("rsa@example.invalid", "rsa3072", "sign", None);
    // A certify-only primary key with a signing subkey: gpg signs with the subkey.
    let with_subkey = fx.pgp_key("sub@example.invalid", "ed25519", "cert", Some("ed25519"));
    let by_rsa = fx.commit("rsa", Some(&Signer::Pgp(&rsa)));
    let by_subkey = fx.commit("subkey", Some(&Signer::Pgp(&with_subkey)));
    let mirror = fx.fetch_commits(&[&by_rsa, &by_subkey]);

    let trusted = keys(&[("rsa.asc", &rsa.armored), ("sub.asc", &with_subkey.armored)]);
    assert_verified(mirror.verify_commit(&by_rsa, &trusted), SignatureKind::OpenPgp, &rsa.key_id, "rsa.asc");
    // Flux reports the primary key's ID, also when a subkey signed.
    assert_verified(mirror.verify_commit(&by_subkey, &trusted), SignatureKind::OpenPgp, &with_subkey.key_id, "sub.asc");
}

#[test]
fn an_asc_file_with_several_keys_and_armor_blocks_trusts_them_all() {
    let fx = Fixture::new();
    let a = fx.pgp_key("a@example.invalid", "ed25519", "sign", None);
    let b = fx.pgp_key("b@example.invalid", "ed25519", "sign", None);
    let c = fx.pgp_key("c@example.invalid", "ed25519", "sign", None);
    let by_a = fx.commit("a", Some(&Signer::Pgp(&a)));
    let by_b = fx.commit("b", Some(&Signer::Pgp(&b)));
    let by_c = fx.commit("c", Some(&Signer::Pgp(&c)));
    let mirror = fx.fetch_commits(&[&by_a, &by_b, &by_c]);

    // One armor block holding two keys, then a second block, with text around them.
    let two_in_one = run(fx.gpg().args(["--export", "--armor", &a.fingerprint, &b.fingerprint]));
    let file = format!("team keys\n{two_in_one}\n\n{}\ntrailing note\n", c.armored);
    let trusted = keys(&[("team.asc", &file)]);
    assert_eq!(trusted.openpgp_count(), 3);
    for (commit, key) in [(&by_a, &a), (&by_b, &b), (&by_c, &c)] {
        assert_verified(mirror.verify_commit(commit, &trusted), SignatureKind::OpenPgp, &key.key_id, "team.asc");
    }
}

// ---------------------------------------------------------------- refusals

#[test]
fn an_unsigned_commit_is_refused() {
    let fx = Fixture::new();
    let key = fx.ssh_key("author", &["ed25519"]);
    let commit = fx.commit("unsigned", None);
    let (mirror, _) = fx.fetch_branch("main");

    let err = mirror.verify(VerifyMode::Head, &commit, None, &keys(&[("a.sshpub", &key.public)])).unwrap_err();
    assert_eq!(err, VerifyError::Unsigned { object: SignedObject::Commit { id: commit.clone() } });
    assert_eq!(
        err.to_string(),
        format!(
            "commit {commit} is not signed; spec.verify requires a signature by one of the keys in the verification secret"
        )
    );
}

#[test]
fn an_oversized_commit_is_refused_before_it_is_read() {
    let fx = Fixture::new();
    let key = fx.ssh_key("author", &["ed25519"]);
    let tree = run(fx.git().args(["hash-object", "-w", "-t", "tree", "/dev/null"]));
    let mut object = format!("tree {tree}\nauthor T <t@e> 1 +0000\ncommitter T <t@e> 1 +0000\n\n").into_bytes();
    object.resize(object.len() + MAX_OBJECT_BYTES as usize + 1, b'x');
    let commit = fx.write_commit("big", &object);
    let mirror = fx.fetch_commits(&[&commit]);

    let err = mirror.verify_commit(&commit, &keys(&[("a.sshpub", &key.public)])).unwrap_err();
    assert!(
        matches!(&err, VerifyError::TooLarge { size, limit, .. } if *size > *limit && *limit == MAX_OBJECT_BYTES),
        "{err:?}"
    );
}

/// Takes a signed commit, changes one byte of its message, writes it as a new commit on branch `tampered`.
fn tamper(fx: &Fixture, commit: &str) -> String {
    let raw = run(fx.git().args(["cat-file", "commit", commit])) + "\n";
    let at = raw.rfind("signed").expect("message");
    let mut bytes = raw.into_bytes();
    bytes[at] = b'S';
    fx.write_commit("tampered", &bytes)
}

#[test]
fn a_commit_changed_after_signing_has_a_bad_signature() {
    let fx = Fixture::new();
    let ssh = fx.ssh_key("author", &["ed25519"]);
    let pgp = fx.pgp_key("author@example.invalid", "ed25519", "sign", None);
    let by_ssh = fx.commit("signed with ssh", Some(&Signer::Ssh(&ssh)));
    let by_pgp = fx.commit("signed with pgp", Some(&Signer::Pgp(&pgp)));
    let trusted = keys(&[("author.sshpub", &ssh.public), ("author.asc", &pgp.armored)]);

    for (original, kind, signer) in
        [(&by_ssh, SignatureKind::Ssh, &ssh.fingerprint), (&by_pgp, SignatureKind::OpenPgp, &pgp.key_id)]
    {
        let tampered = tamper(&fx, original);
        assert_ne!(&tampered, original);
        let mirror = fx.fetch_commits(&[original, &tampered]);
        mirror.verify_commit(original, &trusted).expect("the original verifies");
        match mirror.verify_commit(&tampered, &trusted).unwrap_err() {
            VerifyError::BadSignature { kind: k, signer: s, object, .. } => {
                assert_eq!((k, &s), (kind, signer));
                assert_eq!(object, SignedObject::Commit { id: tampered.clone() });
            }
            other => panic!("expected a bad signature, got {other:?}"),
        }
    }
}

#[test]
fn a_signature_of_another_kind_than_the_keys_is_refused() {
    let fx = Fixture::new();
    let ssh = fx.ssh_key("author", &["ed25519"]);
    let pgp = fx.pgp_key("author@example.invalid", "ed25519", "sign", None);
    let by_ssh = fx.commit("ssh", Some(&Signer::Ssh(&ssh)));
    let by_pgp = fx.commit("pgp", Some(&Signer::Pgp(&pgp)));
    let mirror = fx.fetch_commits(&[&by_ssh, &by_pgp]);

    let err = mirror.verify_commit(&by_ssh, &keys(&[("author.asc", &pgp.armored)])).unwrap_err();
    assert_eq!(
        err,
        VerifyError::NoKeysOfKind { object: SignedObject::Commit { id: by_ssh.clone() }, kind: SignatureKind::Ssh }
    );
    assert!(err.to_string().contains(".sshpub"), "{err}");
    let err = mirror.verify_commit(&by_pgp, &keys(&[("author.sshpub", &ssh.public)])).unwrap_err();
    assert!(matches!(err, VerifyError::NoKeysOfKind { kind: SignatureKind::OpenPgp, .. }), "{err:?}");
}

#[test]
fn unusable_key_files_are_refused_naming_the_entry() {
    let fx = Fixture::new();
    let ssh = fx.ssh_key("author", &["ed25519"]);
    let broken = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGZZZZZ=\n=XXXX\n-----END PGP PUBLIC KEY BLOCK-----\n";
    let files = vec![
        ("author.sshpub".to_string(), ssh.public.clone().into_bytes()),
        ("broken.asc".to_string(), broken.as_bytes().to_vec()),
    ];
    match TrustedKeys::from_secret_files(&files).unwrap_err() {
        VerifyError::InvalidKey { key, kind, detail } => {
            assert_eq!((key.as_str(), kind), ("broken.asc", SignatureKind::OpenPgp), "{detail}");
        }
        other => panic!("expected an invalid key, got {other:?}"),
    }
    // A private key pasted by mistake: refused, and its content is not echoed.
    let private = std::fs::read_to_string(ssh.public_path.with_extension("")).expect("private key");
    let err = TrustedKeys::from_secret_files(&[("deploy.sshpub".into(), private.clone().into_bytes())]).unwrap_err();
    assert!(matches!(&err, VerifyError::InvalidKey { key, .. } if key == "deploy.sshpub"), "{err:?}");
    let secret_line = private.lines().nth(1).expect("key body");
    assert!(!err.to_string().contains(secret_line), "{err}");

    assert_eq!(TrustedKeys::from_secret_files(&[]).unwrap_err(), VerifyError::NoKeys);
    // Entries with other names are skipped, unless they hold an armored OpenPGP key (Flux's fallback).
    let pgp = fx.pgp_key("author@example.invalid", "ed25519", "sign", None);
    let trusted = TrustedKeys::from_secret_files(&[
        ("README".into(), b"rotate these yearly".to_vec()),
        ("legacy-key".into(), pgp.armored.clone().into_bytes()),
    ])
    .expect("keys");
    assert_eq!((trusted.openpgp_count(), trusted.ignored()), (1, &["README".to_string()][..]));
}

// ---------------------------------------------------------------- tags

#[test]
fn signed_annotated_tags_verify_by_trusted_keys_only() {
    let fx = Fixture::new();
    let ssh = fx.ssh_key("releaser", &["ed25519"]);
    let pgp = fx.pgp_key("releaser@example.invalid", "ed25519", "sign", None);
    let stranger = fx.pgp_key("stranger@example.invalid", "ed25519", "sign", None);
    let commit = fx.commit("release", None);
    fx.tag("v1.0.0", Some(&Signer::Ssh(&ssh)));
    fx.tag("v1.0.1", Some(&Signer::Pgp(&pgp)));
    fx.tag("v1.0.2", Some(&Signer::Pgp(&stranger)));
    let trusted = keys(&[("releaser.sshpub", &ssh.public), ("releaser.asc", &pgp.armored)]);

    let (mirror, fetched) = fx.fetch(Reference::Tag("v1.0.0".into()));
    assert_eq!(fetched, commit);
    let verified = mirror.verify_tag("v1.0.0", &trusted).expect("good tag signature");
    assert_eq!((verified.kind, verified.signer.as_str()), (SignatureKind::Ssh, ssh.fingerprint.as_str()));
    assert_eq!(verified.target.as_deref(), Some(commit.as_str()));
    let tag_id = fx.rev_parse("refs/tags/v1.0.0");
    assert_eq!(verified.object, SignedObject::Tag { name: Some("v1.0.0".into()), id: Some(tag_id.clone()) });
    // By tag object id, and by full ref name, too.
    assert_eq!(mirror.verify_tag(&tag_id, &trusted).expect("by id").signer, ssh.fingerprint);
    assert_eq!(mirror.verify_tag("refs/tags/v1.0.0", &trusted).expect("by ref").signer, ssh.fingerprint);

    let (mirror, _) = fx.fetch(Reference::Tag("v1.0.1".into()));
    assert_verified(mirror.verify_tag("v1.0.1", &trusted), SignatureKind::OpenPgp, &pgp.key_id, "releaser.asc");

    // A signed tag re-published under another name (replaying an old release as a new one) is refused.
    run(fx.git().args(["update-ref", "refs/tags/v9.0.0", &tag_id]));
    let (mirror, _) = fx.fetch(Reference::Tag("v9.0.0".into()));
    let err = mirror.verify_tag("v9.0.0", &trusted).unwrap_err();
    assert_eq!(err, VerifyError::TagNameMismatch { tag: "v9.0.0".into(), inner: "v1.0.0".into() });

    let (mirror, _) = fx.fetch(Reference::Tag("v1.0.2".into()));
    let err = mirror.verify_tag("v1.0.2", &trusted).unwrap_err();
    assert!(
        matches!(&err, VerifyError::UntrustedSigner { signer, object: SignedObject::Tag { .. }, .. } if signer == &stranger.fingerprint),
        "{err:?}"
    );
    assert_eq!(err.reason(), "InvalidTagSignature");
}

#[test]
fn tag_modes_verify_the_tag_and_with_tag_and_head_the_commit() {
    let fx = Fixture::new();
    let ssh = fx.ssh_key("releaser", &["ed25519"]);
    let unsigned_commit = fx.commit("unsigned", None);
    fx.tag("v1.0.0", Some(&Signer::Ssh(&ssh)));
    let signed_commit = fx.commit("signed", Some(&Signer::Ssh(&ssh)));
    fx.tag("v2.0.0", Some(&Signer::Ssh(&ssh)));
    let trusted = keys(&[("releaser.sshpub", &ssh.public)]);

    let (mirror, fetched) = fx.fetch(Reference::Tag("v1.0.0".into()));
    assert_eq!(fetched, unsigned_commit);
    let verification = mirror.verify(VerifyMode::Tag, &fetched, Some("v1.0.0"), &trusted).expect("Tag mode");
    assert!(verification.commit.is_none());
    let tag_id = fx.rev_parse("refs/tags/v1.0.0");
    assert_eq!(
        verification.message(),
        format!("verified signature of\n\t- tag 'v1.0.0@{tag_id}' with key '{}'", ssh.fingerprint)
    );
    let err = mirror.verify(VerifyMode::TagAndHead, &fetched, Some("v1.0.0"), &trusted).unwrap_err();
    assert_eq!(err, VerifyError::Unsigned { object: SignedObject::Commit { id: unsigned_commit.clone() } });

    let (mirror, fetched) = fx.fetch(Reference::Tag("v2.0.0".into()));
    assert_eq!(fetched, signed_commit);
    let verification = mirror.verify(VerifyMode::TagAndHead, &fetched, Some("v2.0.0"), &trusted).expect("both");
    assert!(verification.tag.is_some() && verification.commit.is_some());
    assert!(
        verification.message().ends_with(&format!("\n\t- commit '{signed_commit}' with key '{}'", ssh.fingerprint))
    );

    // The tag must point at the commit being applied.
    let err = mirror.verify(VerifyMode::Tag, &unsigned_commit, Some("v2.0.0"), &trusted).unwrap_err();
    assert!(matches!(err, VerifyError::TagMismatch { .. }), "{err:?}");
    // A tag mode needs a tag.
    let err = mirror.verify(VerifyMode::Tag, &signed_commit, None, &trusted).unwrap_err();
    assert_eq!(err, VerifyError::NoTagReference { mode: VerifyMode::Tag });
    assert_eq!(err.reason(), "InvalidVerificationMode");
}

#[test]
fn lightweight_and_unsigned_tags_are_refused_with_a_clear_reason() {
    let fx = Fixture::new();
    let ssh = fx.ssh_key("releaser", &["ed25519"]);
    let commit = fx.commit("release", Some(&Signer::Ssh(&ssh)));
    run(fx.git().args(["tag", "v1.0.0"]));
    fx.tag("v1.0.1", None);
    let trusted = keys(&[("releaser.sshpub", &ssh.public)]);

    let (mirror, _) = fx.fetch(Reference::Tag("v1.0.0".into()));
    let err = mirror.verify_tag("v1.0.0", &trusted).unwrap_err();
    assert_eq!(err, VerifyError::LightweightTag { tag: "v1.0.0".into(), target: format!("commit {commit}") });
    assert!(err.to_string().contains("lightweight tag") && err.to_string().contains("git tag -s"), "{err}");
    assert_eq!(err.reason(), "InvalidGitObject");

    let (mirror, _) = fx.fetch(Reference::Tag("v1.0.1".into()));
    let err = mirror.verify_tag("v1.0.1", &trusted).unwrap_err();
    assert!(matches!(&err, VerifyError::Unsigned { object: SignedObject::Tag { .. } }), "{err:?}");
    assert_eq!(err.reason(), "InvalidGitObject");

    let err = mirror.verify_tag("v9.9.9", &trusted).unwrap_err();
    assert!(matches!(err, VerifyError::TagNotFound { .. }), "{err:?}");
}
