//! The network transports against real servers started on 127.0.0.1 by the tests: ssh:// through OpenSSH's `sshd`
//! (key auth, host keys checked strictly), git:// through `git daemon`, and https with a private CA and client
//! certificates through the http front with rustls. Each failure is a clear error, and no secret (private key,
//! passphrase, password) ever appears in an error message or in `Debug` output.
//!
//! Debian packages: `openssh-server` (installed by the tests when missing), `openssh-client`, `git`, `openssl`.

mod source_support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use driftless::source::{Credentials, Mirror, Remote, Revision, SourceError};
use source_support::*;

/// The credentials an ssh secret holds: the key and the server's known hosts.
fn ssh_secret(key: &KeyPair, known_hosts: Vec<u8>) -> Credentials {
    Credentials { identity: Some(key.private.clone()), known_hosts: Some(known_hosts), ..Credentials::default() }
}

fn with_credentials(url: &str, credentials: Credentials) -> Remote {
    Remote { credentials, ..branch(url, "main") }
}

/// Fetches `main` and expects no warning.
fn fetch(mirror: &Mirror, remote: &Remote) -> Result<Revision, SourceError> {
    mirror.fetch(remote).map(|fetched| {
        assert_eq!(fetched.warning, None, "unexpected warning");
        fetched.revision
    })
}

/// Asserts that no secret value of `credentials` shows in `text`: not the passphrase or password, and not a
/// line of key material.
fn assert_no_secrets(text: &str, credentials: &Credentials) {
    for secret in [&credentials.password, &credentials.bearer_token].into_iter().flatten() {
        assert!(!text.contains(secret.as_str()), "a secret leaked into: {text}");
    }
    for pem in [&credentials.identity, &credentials.key].into_iter().flatten() {
        for line in String::from_utf8_lossy(pem).lines().filter(|line| line.len() >= 16 && !line.starts_with("-----")) {
            assert!(!text.contains(line), "key material leaked into: {text}");
        }
    }
}

/// The error of fetching `remote` into a fresh mirror, checked for leaks in its message and `Debug` form.
fn fetch_error(remote: &Remote) -> SourceError {
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &remote.url).expect("open");
    let err = fetch(&mirror, remote).expect_err("the fetch must fail");
    assert_no_secrets(&err.to_string(), &remote.credentials);
    assert_no_secrets(&format!("{err:?}"), &remote.credentials);
    assert_no_secrets(&format!("{remote:?}"), &remote.credentials);
    err
}

/// The private key directories this process has in the temporary directory (see `transport.rs`).
fn key_dirs() -> Vec<String> {
    let prefix = format!("driftless-ssh.{}.", std::process::id());
    std::fs::read_dir(std::env::temp_dir())
        .expect("temp dir")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect()
}

/// Asserts that the key files of every fetch of this process are gone (a fetch abandoned at its deadline ends
/// on its worker thread a moment later).
fn assert_key_files_removed() {
    assert!(eventually(Duration::from_secs(10), || key_dirs().is_empty()), "key files left: {:?}", key_dirs());
}

// ---------------------------------------------------------------- ssh://

#[test]
fn ssh_fetch_with_an_ed25519_key_and_known_hosts() {
    let key = KeyPair::generate("ed25519", false, "");
    let sshd = Sshd::start(&[&key]);
    let origin = gitops_origin();
    let remote = with_credentials(&sshd.url(&origin.path), ssh_secret(&key, sshd.known_hosts()));
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &remote.url).expect("open");

    let revision = fetch(&mirror, &remote).unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    assert_eq!(revision, Revision { name: "main".into(), commit: origin.rev_parse("main") });
    assert_eq!(mirror.tree(&revision.commit).expect("tree").read("README.md").expect("read"), b"# fleet\n");

    // An incremental fetch after a push.
    let pushed = origin.change("apps/base/deploy.yaml", "kind: Deployment\nreplicas: 2\n");
    let second = fetch(&mirror, &remote).expect("second fetch");
    assert_eq!(second.commit, pushed);
    assert_eq!(mirror.changed_paths(&revision.commit, &second.commit).expect("diff"), vec!["apps/base/deploy.yaml"]);
    assert!(sshd.log().contains("Accepted publickey"), "{}", sshd.log());
    assert_key_files_removed();
}

#[test]
fn ssh_fetch_with_an_rsa_key_in_pem_format() {
    let key = KeyPair::generate("rsa", true, "");
    assert!(String::from_utf8_lossy(&key.private).starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let sshd = Sshd::start(&[&key]);
    let origin = gitops_origin();
    let remote = with_credentials(&sshd.url(&origin.path), ssh_secret(&key, sshd.known_hosts()));
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &remote.url).expect("open");
    let revision = fetch(&mirror, &remote).unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    assert_eq!(revision.commit, origin.rev_parse("main"));
}

#[test]
fn ssh_fetch_with_a_passphrase_protected_key() {
    let passphrase = "correct horse battery";
    let key = KeyPair::generate("ed25519", false, passphrase);
    assert!(String::from_utf8_lossy(&key.private).contains("OPENSSH PRIVATE KEY"));
    let sshd = Sshd::start(&[&key]);
    let origin = gitops_origin();
    let url = sshd.url(&origin.path);
    let secret = Credentials { password: Some(passphrase.into()), ..ssh_secret(&key, sshd.known_hosts()) };
    let remote = with_credentials(&url, secret.clone());
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let revision = fetch(&mirror, &remote).unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    assert_eq!(revision.commit, origin.rev_parse("main"));
    assert_no_secrets(&format!("{remote:?}"), &remote.credentials);

    // An RSA key in OpenSSH's format, protected the same way.
    let rsa = KeyPair::generate("rsa", false, passphrase);
    sshd.authorize(&rsa);
    let rsa_secret = Credentials { identity: Some(rsa.private.clone()), ..secret.clone() };
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    assert_eq!(fetch(&mirror, &with_credentials(&url, rsa_secret)).expect("fetch with rsa").commit, revision.commit);

    // A wrong passphrase, and none at all, are errors about the secret's keys, before anything is sent.
    let wrong = with_credentials(&url, Credentials { password: Some("not the passphrase".into()), ..secret.clone() });
    let err = fetch_error(&wrong);
    assert!(matches!(err, SourceError::InvalidCredentials { .. }), "{err:?}");
    assert!(err.to_string().contains("passphrase is wrong"), "{err}");
    let missing = with_credentials(&url, Credentials { password: None, ..secret });
    let err = fetch_error(&missing);
    assert!(err.to_string().contains("protected by a passphrase: put the passphrase in the password key"), "{err}");
    assert_key_files_removed();
}

#[test]
fn a_key_the_server_does_not_accept_is_an_authentication_error() {
    let authorized = KeyPair::generate("ed25519", false, "");
    let other = KeyPair::generate("ed25519", false, "");
    let sshd = Sshd::start(&[&authorized]);
    let origin = gitops_origin();
    let remote = with_credentials(&sshd.url(&origin.path), ssh_secret(&other, sshd.known_hosts()));
    let started = Instant::now();
    let err = fetch_error(&remote);
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("user {:?}", sshd.user)), "{message}");
    assert!(message.contains("identity"), "{message}");
    // Not retried: a rejected key stays rejected.
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert_key_files_removed();
}

#[test]
fn the_login_can_come_from_the_secret() {
    let key = KeyPair::generate("ed25519", false, "");
    let sshd = Sshd::start(&[&key]);
    let origin = gitops_origin();
    let url = format!("ssh://127.0.0.1:{}{}", sshd.port(), origin.path.display());
    let secret = Credentials { username: Some(sshd.user.clone()), ..ssh_secret(&key, sshd.known_hosts()) };
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let revision = fetch(&mirror, &with_credentials(&url, secret.clone())).expect("fetch");
    assert_eq!(revision.commit, origin.rev_parse("main"));

    // Without it the login is `git`, which this server does not know.
    let err = fetch_error(&with_credentials(&url, Credentials { username: None, ..secret.clone() }));
    assert!(err.to_string().contains("for user \"git\""), "{err}");
    // A user name from the secret is not shown.
    let stranger = Credentials { username: Some("nobody-here".into()), ..secret };
    let err = fetch_error(&with_credentials(&url, stranger));
    assert!(matches!(err, SourceError::AuthenticationFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("for the user in the username key"), "{err}");
    assert!(!err.to_string().contains("nobody-here"), "{err}");
}

#[test]
fn an_unknown_host_key_is_refused() {
    let key = KeyPair::generate("ed25519", false, "");
    let sshd = Sshd::start(&[&key]);
    let origin = gitops_origin();
    // known_hosts knows another host only.
    let elsewhere =
        format!("[127.0.0.1]:1 {}\ngit.example.com {}\n", sshd.host_key.public_key(), sshd.host_key.public_key());
    let remote = with_credentials(&sshd.url(&origin.path), ssh_secret(&key, elsewhere.into_bytes()));
    let err = fetch_error(&remote);
    assert!(matches!(err, SourceError::UnknownHostKey { .. }), "{err:?}");
    let message = err.to_string();
    let host = format!("127.0.0.1:{}", sshd.port());
    assert!(message.starts_with(&format!("host key for {host} is not in known_hosts")), "{message}");
    assert!(message.contains(&format!("ssh-keyscan -p {} 127.0.0.1", sshd.port())), "{message}");
    // It never logged in, and nothing was written to known_hosts on its behalf.
    assert!(!sshd.log().contains("Accepted publickey"), "{}", sshd.log());
    assert_key_files_removed();
}

#[test]
fn a_changed_host_key_is_refused() {
    let key = KeyPair::generate("ed25519", false, "");
    let sshd = Sshd::start(&[&key]);
    let origin = gitops_origin();
    let impostor = KeyPair::generate("ed25519", false, "");
    let known_hosts = format!("[127.0.0.1]:{} {}\n", sshd.port(), impostor.public_key());
    let remote = with_credentials(&sshd.url(&origin.path), ssh_secret(&key, known_hosts.into_bytes()));
    let err = fetch_error(&remote);
    assert!(matches!(err, SourceError::ChangedHostKey { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.starts_with(&format!("host key for 127.0.0.1:{} changed", sshd.port())), "{message}");
    assert!(message.contains("ED25519 key SHA256:"), "{message}");
    assert!(!sshd.log().contains("Accepted publickey"), "{}", sshd.log());
}

#[test]
fn ssh_needs_known_hosts_and_an_identity() {
    let key = KeyPair::generate("ed25519", false, "");
    let url = "ssh://git@127.0.0.1:1/srv/repo.git";
    let err =
        fetch_error(&with_credentials(url, Credentials { identity: Some(key.private.clone()), ..Default::default() }));
    assert!(matches!(err, SourceError::InvalidCredentials { .. }), "{err:?}");
    assert!(
        err.to_string().contains("add a known_hosts key with the lines `ssh-keyscan -p 1 127.0.0.1` prints"),
        "{err}"
    );
    let err = fetch_error(&branch(url, "main"));
    assert!(err.to_string().contains("known_hosts"), "{err}");
    let err = fetch_error(&with_credentials(
        url,
        Credentials { known_hosts: Some(b"[127.0.0.1]:1 ssh-ed25519 AAAA\n".to_vec()), ..Default::default() },
    ));
    assert!(err.to_string().contains("add an identity key"), "{err}");
    let public_only = Credentials {
        identity: Some(key.public.clone().into_bytes()),
        known_hosts: Some(b"[127.0.0.1]:1 ssh-ed25519 AAAA\n".to_vec()),
        ..Default::default()
    };
    let err = fetch_error(&with_credentials(url, public_only));
    assert!(err.to_string().contains("holds a public key"), "{err}");
}

#[test]
fn an_unreachable_ssh_port_is_an_error() {
    let key = KeyPair::generate("ed25519", false, "");
    let port = free_port();
    let url = format!("ssh://git@127.0.0.1:{port}/srv/repo.git");
    let known_hosts = format!("[127.0.0.1]:{port} {}\n", key.public_key()).into_bytes();
    let remote = Remote { timeout: Duration::from_secs(5), ..with_credentials(&url, ssh_secret(&key, known_hosts)) };
    let err = fetch_error(&remote);
    assert!(matches!(err, SourceError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("connection refused"), "{err}");
    assert_key_files_removed();
}

#[test]
fn a_stalled_ssh_server_times_out_and_the_key_files_go() {
    // Accepts the TCP connection and never says anything: ssh waits for the banner until the deadline ends it.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let held = listener.accept();
        std::thread::sleep(Duration::from_secs(30));
        drop(held);
    });
    let key = KeyPair::generate("ed25519", false, "");
    let url = format!("ssh://git@127.0.0.1:{port}/srv/repo.git");
    let known_hosts = format!("[127.0.0.1]:{port} {}\n", key.public_key()).into_bytes();
    let remote = Remote { timeout: Duration::from_secs(2), ..with_credentials(&url, ssh_secret(&key, known_hosts)) };
    let started = Instant::now();
    let err = fetch_error(&remote);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(matches!(err, SourceError::TimedOut { .. } | SourceError::Unreachable { .. }), "{err:?}");
    assert_key_files_removed();
}

#[test]
fn a_missing_repository_over_ssh_is_named() {
    let key = KeyPair::generate("ed25519", false, "");
    let sshd = Sshd::start(&[&key]);
    let origin = gitops_origin();
    let url = sshd.url(&origin.root.join("nope.git"));
    let err = fetch_error(&with_credentials(&url, ssh_secret(&key, sshd.known_hosts())));
    assert!(matches!(err, SourceError::RepositoryNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("does not appear to be a git repository"), "{err}");
}

// ---------------------------------------------------------------- git://

#[test]
fn git_daemon_fetch_and_incremental_fetch() {
    let origin = gitops_origin();
    let daemon = GitDaemon::start(&origin.root);
    let remote = branch(&daemon.url("origin"), "main");
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &remote.url).expect("open");
    let first = fetch(&mirror, &remote).unwrap_or_else(|e| panic!("{e}\ndaemon log:\n{}", daemon.log()));
    assert_eq!(first, Revision { name: "main".into(), commit: origin.rev_parse("main") });

    let pushed = origin.change("clusters/prod/apps.yaml", "kind: Kustomization\nspec: {}\n");
    let second = fetch(&mirror, &remote).expect("incremental fetch");
    assert_eq!(second.commit, pushed);
    assert_eq!(mirror.changed_paths(&first.commit, &second.commit).expect("diff"), vec!["clusters/prod/apps.yaml"]);
    // Nothing new: the same revision, and no new pack.
    let packs_before = packs(mirror.path()).len();
    assert_eq!(fetch(&mirror, &remote).expect("refetch"), second);
    assert_eq!(packs(mirror.path()).len(), packs_before);
}

#[test]
fn git_daemon_errors_are_clear() {
    let origin = gitops_origin();
    let daemon = GitDaemon::start(&origin.root);
    let err = fetch_error(&branch(&daemon.url("nope"), "main"));
    assert!(matches!(err, SourceError::RepositoryNotFound { .. }), "{err:?}");
    let err = fetch_error(&branch(&daemon.url("origin"), "no-such-branch"));
    assert!(matches!(err, SourceError::BranchNotFound { .. }), "{err:?}");

    let port = free_port();
    let remote =
        Remote { timeout: Duration::from_secs(5), ..branch(&format!("git://127.0.0.1:{port}/origin"), "main") };
    let err = fetch_error(&remote);
    assert!(matches!(err, SourceError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("connection refused"), "{err}");
}

// ---------------------------------------------------------------- https://

#[test]
fn https_with_a_private_ca_needs_ca_crt() {
    let pki = Pki::new();
    let origin = gitops_origin();
    let server = GitHttp::with(&origin.root, Front { tls: Some(pki.server_config(false)), ..Front::default() });
    let url = server.url("origin");
    assert!(url.starts_with("https://"));

    let trusted = with_credentials(&url, Credentials { ca_cert: Some(pki.ca_cert.clone()), ..Default::default() });
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    assert_eq!(fetch(&mirror, &trusted).expect("fetch with ca.crt").commit, origin.rev_parse("main"));

    let err = fetch_error(&branch(&url, "main"));
    assert!(matches!(err, SourceError::UntrustedCertificate { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("not trusted"), "{message}");
    assert!(message.contains("put that CA's certificate (PEM) in the ca.crt key"), "{message}");

    // A bundle works too: the CA after an unrelated certificate.
    let other = Pki::new();
    let mut bundle = other.ca_cert.clone();
    bundle.extend_from_slice(&pki.ca_cert);
    let bundled = with_credentials(&url, Credentials { ca_cert: Some(bundle), ..Default::default() });
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    assert_eq!(fetch(&mirror, &bundled).expect("fetch with a bundle").commit, origin.rev_parse("main"));

    let wrong_ca = with_credentials(&url, Credentials { ca_cert: Some(other.ca_cert.clone()), ..Default::default() });
    let err = fetch_error(&wrong_ca);
    assert!(err.to_string().contains("not signed by the CA in ca.crt"), "{err}");

    let garbage =
        with_credentials(&url, Credentials { ca_cert: Some(b"not a certificate".to_vec()), ..Default::default() });
    let err = fetch_error(&garbage);
    assert!(matches!(err, SourceError::InvalidCredentials { .. }), "{err:?}");
    assert!(err.to_string().contains("ca.crt"), "{err}");
}

#[test]
fn https_with_a_client_certificate() {
    let pki = Pki::new();
    let origin = gitops_origin();
    let server = GitHttp::with(&origin.root, Front { tls: Some(pki.server_config(true)), ..Front::default() });
    let url = server.url("origin");
    let mtls = Credentials {
        ca_cert: Some(pki.ca_cert.clone()),
        cert: Some(pki.client_cert.clone()),
        key: Some(pki.client_key.clone()),
        ..Default::default()
    };
    let data = data_dir();
    let mirror = Mirror::open(data.path(), &url).expect("open");
    let remote = with_credentials(&url, mtls.clone());
    assert_eq!(fetch(&mirror, &remote).expect("fetch with a client certificate").commit, origin.rev_parse("main"));
    assert_no_secrets(&format!("{remote:?}"), &mtls);

    let without = with_credentials(&url, Credentials { ca_cert: Some(pki.ca_cert.clone()), ..Default::default() });
    let err = fetch_error(&without);
    assert!(matches!(err, SourceError::ClientCertificate { .. }), "{err:?}");
    assert!(err.to_string().contains("tls.crt"), "{err}");

    // A client certificate of another CA is rejected by the server.
    let other = Pki::new();
    let foreign =
        Credentials { cert: Some(other.client_cert.clone()), key: Some(other.client_key.clone()), ..mtls.clone() };
    let err = fetch_error(&with_credentials(&url, foreign));
    assert!(matches!(err, SourceError::ClientCertificate { .. }), "{err:?}");
    assert!(err.to_string().contains("rejected the client certificate"), "{err}");

    // A key that does not belong to the certificate.
    let mismatched = Credentials { key: Some(other.client_key.clone()), ..mtls.clone() };
    let err = fetch_error(&with_credentials(&url, mismatched));
    assert!(matches!(err, SourceError::InvalidCredentials { .. }), "{err:?}");
    assert!(err.to_string().contains("tls.key is not the private key of the certificate in tls.crt"), "{err}");

    // Half a client certificate is an error about the secret.
    let half = Credentials { key: None, ..mtls };
    let err = fetch_error(&with_credentials(&url, half));
    assert!(matches!(err, SourceError::InvalidCredentials { .. }), "{err:?}");
    assert!(err.to_string().contains("tls.key"), "{err}");
}

// ---------------------------------------------------------------- measurements

/// Not a test: the time of fetching one new commit over ssh:// and git:// with `Mirror::fetch` and with
/// `git fetch` over the same transport, median of 15 each. Run with
/// `cargo nextest run --release --test source_transports --run-ignored only measure --no-capture`.
#[test]
#[ignore = "a measurement, not a test"]
fn measure_fetch_of_one_new_commit() {
    const RUNS: usize = 15;
    let origin = Origin::new();
    for i in 0..2000 {
        origin.write(&format!("dir{}/file{i}.yaml", i % 50), &format!("value: {i}\n"));
    }
    origin.commit("initial");
    for i in 0..200 {
        origin.change(&format!("dir{}/file{i}.yaml", i % 50), &format!("value: {i}-changed\n"));
    }
    let key = KeyPair::generate("ed25519", false, "");
    let sshd = Sshd::start(&[&key]);
    let daemon = GitDaemon::start(&origin.root);
    let secret = ssh_secret(&key, sshd.known_hosts());
    let keys = tempfile::tempdir().expect("temp dir");
    let (identity, known_hosts) = (keys.path().join("id"), keys.path().join("known_hosts"));
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&identity).expect("id");
        file.write_all(&key.private).expect("write");
    }
    std::fs::write(&known_hosts, sshd.known_hosts()).expect("known_hosts");
    let ssh_command = format!(
        "ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o IdentityFile={} \
         -o UserKnownHostsFile={} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes",
        identity.display(),
        known_hosts.display()
    );

    let mut rows = Vec::new();
    for (name, url, credentials) in
        [("ssh://", sshd.url(&origin.path), secret), ("git://", daemon.url("origin"), Credentials::default())]
    {
        let remote = with_credentials(&url, credentials);
        let data = data_dir();
        let mirror = Mirror::open(data.path(), &url).expect("open");
        fetch(&mirror, &remote).expect("initial fetch");
        let git_mirror = tempfile::tempdir().expect("temp dir");
        run(git(git_mirror.path()).args(["init", "-q", "--bare"]));
        let git_fetch = || {
            let mut cmd = git(git_mirror.path());
            cmd.env("GIT_SSH_COMMAND", &ssh_command).args([
                "fetch",
                "-q",
                "--no-tags",
                &url,
                "+refs/heads/main:refs/heads/main",
            ]);
            run(&mut cmd);
        };
        git_fetch();
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for i in 0..RUNS {
            let commit = origin.change(&format!("dir{}/file{i}.yaml", i % 50), &format!("value: run {i}\n"));
            let started = Instant::now();
            assert_eq!(fetch(&mirror, &remote).expect("fetch").commit, commit);
            ours.push(started.elapsed());
            let started = Instant::now();
            git_fetch();
            theirs.push(started.elapsed());
        }
        let (ours, theirs) = (median(&mut ours), median(&mut theirs));
        rows.push(format!(
            "| {name} | {:.1} ms | {:.1} ms | {:.2} |",
            ms(ours),
            ms(theirs),
            ours.as_secs_f64() / theirs.as_secs_f64()
        ));
    }
    println!("\nfetch of one new commit (2,000 files, 200 commits), median of {RUNS}:");
    println!("| transport | Mirror::fetch | git fetch | ratio |\n|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
