//! Certificates for the https tests, made with the `openssl` CLI (Debian package `openssl`): a test CA, a server
//! certificate for 127.0.0.1 and a client certificate, all signed by it; and the rustls server configuration of the
//! https front (optionally requiring a client certificate signed by the CA).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A CA with a server and a client certificate, PEM.
pub struct Pki {
    pub ca_cert: Vec<u8>,
    pub server_cert: Vec<u8>,
    pub server_key: Vec<u8>,
    pub client_cert: Vec<u8>,
    pub client_key: Vec<u8>,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let ca_name = format!("/CN=driftless test CA {}", uuid::Uuid::new_v4().simple());
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                &ca_name,
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        leaf(d, "server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        leaf(d, "client", "/CN=driftless", "extendedKeyUsage=clientAuth\n");
        let read = |name: &str| std::fs::read(d.join(name)).expect("read pem");
        Pki {
            ca_cert: read("ca.crt"),
            server_cert: read("server.crt"),
            server_key: read("server.key"),
            client_cert: read("client.crt"),
            client_key: read("client.key"),
        }
    }

    /// The https front's TLS configuration; with `client_auth`, clients must present a certificate of this CA.
    pub fn server_config(&self, client_auth: bool) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&self.server_cert).collect::<Result<_, _>>().expect("server cert");
        let key = PrivateKeyDer::from_pem_slice(&self.server_key).expect("server key");
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&self.ca_cert) {
                roots.add(cert.expect("ca cert")).expect("add root");
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(builder.with_single_cert(certs, key).expect("server config"))
    }
}

/// A key and a certificate `<name>.key`/`<name>.crt` for `subject`, signed by the CA in `dir`, with `extensions`.
fn leaf(dir: &Path, name: &str, subject: &str, extensions: &str) {
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), format!("basicConstraints=critical,CA:FALSE\n{extensions}")).expect("ext file");
    let (key, csr, crt) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"));
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            subject,
        ],
    );
    let serial = format!("0x{}", uuid::Uuid::new_v4().simple());
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            &serial,
            "-days",
            "2",
            "-out",
            &crt,
            "-extfile",
            &ext,
        ],
    );
}

fn openssl(dir: &Path, args: &[&str]) {
    let out =
        Command::new("openssl").current_dir(dir).args(args).output().expect("openssl runs (Debian package openssl)");
    assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}
