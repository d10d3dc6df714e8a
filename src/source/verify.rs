//! Commit and tag signature verification, as Flux's `GitRepository.spec.verify` does it.
//!
//! A `GitRepository` with `spec.verify` names a Secret of trusted public keys: entries ending in `.asc` hold
//! ASCII-armored OpenPGP public keys (`gpg --export --armor`, several keys or blocks per entry allowed), entries
//! ending in `.sshpub` hold SSH public keys in `authorized_keys` format (one per line). [`TrustedKeys`] is built
//! from those entries; [`Mirror::verify_commit`], [`Mirror::verify_tag`] and [`Mirror::verify`] (which applies a
//! [`VerifyMode`]) check objects of a mirror against them. Anything but a good signature by a trusted key is a
//! [`VerifyError`], and a revision that fails verification must not be applied.
//!
//! What is signed, exactly as git signs it:
//! - a commit carries its signature in a `gpgsig` header (continuation lines start with one space); the signed
//!   payload is the raw commit object without that header, and without a `gpgsig-sha256` header if present.
//! - an annotated tag carries its signature appended to its message; the payload is everything before the last
//!   line that starts a signature block.
//!
//! SSH signatures (`-----BEGIN SSH SIGNATURE-----`) are SSHSIG blobs that must use git's namespace, `git`; the
//! signer is reported by its SHA-256 fingerprint (`SHA256:…`), as Flux does. OpenPGP signatures
//! (`-----BEGIN PGP SIGNATURE-----`) are detached signatures by a primary key or by a signing subkey whose
//! binding to its primary key is valid; the signer is reported by its primary key's ID (16 hex digits), as Flux
//! does. X.509 (gpgsm) signatures are refused as unsupported, as in Flux.
//!
//! Everything read here comes from the network (objects, signatures) or from a Secret (keys), so it is size
//! capped before it is parsed, parsing runs behind a panic guard, and an object's content (tag name, target) is
//! only interpreted after its signature has been checked.
//!
//! Not evaluated: key expiry and revocation certificates. The Secret is the trust list: remove a key from it to
//! stop trusting it.

use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use gix::ObjectId;
use gix::bstr::ByteSlice as _;
use pgp::composed::{Deserializable as _, DetachedSignature, SignedPublicKey};
use pgp::packet::SignatureType;
use pgp::types::KeyDetails as _;

use super::mirror::{Mirror, chain, local_repo, open_repo};

/// The largest secret entry read as a key file. A whole Kubernetes Secret holds at most 1 MiB.
pub const MAX_KEY_FILE_BYTES: usize = 1024 * 1024;
/// The most public keys (OpenPGP primary keys and subkeys, SSH keys) taken from one secret.
pub const MAX_KEYS: usize = 1000;
/// The largest signature accepted. An armored OpenPGP signature by a 16384-bit RSA key is under 3 KiB.
pub const MAX_SIGNATURE_BYTES: usize = 64 * 1024;
/// The largest commit or tag object read for verification.
pub const MAX_OBJECT_BYTES: u64 = 8 * 1024 * 1024;
/// The most OpenPGP signature packets looked at in one signature.
const MAX_PGP_SIGNATURES: usize = 8;
/// How many tags deep a tag may point at another tag before the commit.
const MAX_TAG_DEPTH: usize = 8;
/// The namespace git signs SSH signatures in (`ssh-keygen -Y sign -n git`).
const SSH_NAMESPACE: &str = "git";

const PGP_SIGNATURE_BEGIN: &[u8] = b"-----BEGIN PGP SIGNATURE-----";
const PGP_MESSAGE_BEGIN: &[u8] = b"-----BEGIN PGP MESSAGE-----";
const SSH_SIGNATURE_BEGIN: &[u8] = b"-----BEGIN SSH SIGNATURE-----";
const X509_SIGNATURE_BEGIN: &[u8] = b"-----BEGIN SIGNED MESSAGE-----";
/// Lines that start a signature block in a tag message, as git recognises them.
const SIGNATURE_BEGINS: [&[u8]; 4] =
    [PGP_SIGNATURE_BEGIN, PGP_MESSAGE_BEGIN, SSH_SIGNATURE_BEGIN, X509_SIGNATURE_BEGIN];

const PGP_PUBLIC_KEY_BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const PGP_PUBLIC_KEY_END: &str = "-----END PGP PUBLIC KEY BLOCK-----";

// ---------------------------------------------------------------- public types

/// Which objects `spec.verify.mode` asks to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyMode {
    /// `HEAD` (or the legacy `head`): the commit that is applied. Flux's default.
    #[default]
    Head,
    /// `Tag`: the annotated tag named by `spec.ref.tag`, `spec.ref.semver` or `spec.ref.name`, which must point at
    /// the commit that is applied. The commit's own signature is not checked.
    Tag,
    /// `TagAndHEAD`: both the tag and the commit it points to.
    TagAndHead,
}

impl VerifyMode {
    /// Parses `spec.verify.mode` as Flux spells it: `HEAD`, `head`, `Tag` or `TagAndHEAD`.
    ///
    /// A missing mode is `HEAD` (the CRD's default): callers map an absent field to [`VerifyMode::default`].
    pub fn parse(mode: &str) -> Result<VerifyMode, VerifyError> {
        match mode {
            "HEAD" | "head" => Ok(VerifyMode::Head),
            "Tag" => Ok(VerifyMode::Tag),
            "TagAndHEAD" => Ok(VerifyMode::TagAndHead),
            other => Err(VerifyError::InvalidMode { mode: other.to_string() }),
        }
    }

    /// The mode as Flux writes it (e.g. in `status.sourceVerificationMode`).
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMode::Head => "HEAD",
            VerifyMode::Tag => "Tag",
            VerifyMode::TagAndHead => "TagAndHEAD",
        }
    }

    /// Whether the applied commit's signature is checked.
    pub fn verifies_head(self) -> bool {
        matches!(self, VerifyMode::Head | VerifyMode::TagAndHead)
    }

    /// Whether the tag's signature is checked.
    pub fn verifies_tag(self) -> bool {
        matches!(self, VerifyMode::Tag | VerifyMode::TagAndHead)
    }
}

impl fmt::Display for VerifyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for VerifyMode {
    type Err = VerifyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerifyMode::parse(s)
    }
}

/// The kind of a signature, and of the keys that can check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureKind {
    /// OpenPGP (`gpg.format=openpgp`, git's default), checked against `.asc` keys.
    OpenPgp,
    /// SSH (`gpg.format=ssh`), checked against `.sshpub` keys.
    Ssh,
}

impl SignatureKind {
    /// The secret key suffix that holds keys of this kind.
    pub fn key_suffix(self) -> &'static str {
        match self {
            SignatureKind::OpenPgp => ".asc",
            SignatureKind::Ssh => ".sshpub",
        }
    }
}

impl fmt::Display for SignatureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureKind::OpenPgp => "OpenPGP",
            SignatureKind::Ssh => "SSH",
        })
    }
}

/// The git object a verification is about, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedObject {
    /// A commit, by its id.
    Commit {
        /// The commit id (40 hex digits).
        id: String,
    },
    /// An annotated tag.
    Tag {
        /// The tag's name as asked for (`v1.0`), when it was asked for by name.
        name: Option<String>,
        /// The tag object's id (40 hex digits), once known.
        id: Option<String>,
    },
}

impl SignedObject {
    fn commit(id: impl Into<String>) -> SignedObject {
        SignedObject::Commit { id: id.into() }
    }

    /// Whether this is a tag.
    pub fn is_tag(&self) -> bool {
        matches!(self, SignedObject::Tag { .. })
    }
}

impl fmt::Display for SignedObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignedObject::Commit { id } => write!(f, "commit {id}"),
            SignedObject::Tag { name: Some(name), id: Some(id) } => write!(f, "tag {name:?} (tag object {id})"),
            SignedObject::Tag { name: Some(name), id: None } => write!(f, "tag {name:?}"),
            SignedObject::Tag { name: None, id: Some(id) } => write!(f, "tag object {id}"),
            SignedObject::Tag { name: None, id: None } => write!(f, "tag"),
        }
    }
}

/// A good signature by a trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// What was verified.
    pub object: SignedObject,
    /// The kind of signature.
    pub kind: SignatureKind,
    /// Who signed, as Flux reports it: the OpenPGP primary key's ID (16 upper-case hex digits, also when a
    /// subkey signed), or the SSH key's SHA-256 fingerprint (`SHA256:…`).
    pub signer: String,
    /// The signer's full fingerprint: the OpenPGP primary key's fingerprint (upper-case hex), or for SSH the
    /// same as `signer`.
    pub fingerprint: String,
    /// The secret entry the trusted key came from, e.g. `author.asc`.
    pub key_name: String,
    /// For a tag: the commit it points to (through nested tags if need be); `None` for a commit, or for a tag of
    /// a tree or blob.
    pub target: Option<String>,
}

/// What [`Mirror::verify`] checked for one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The mode that was applied.
    pub mode: VerifyMode,
    /// The tag's verification, when the mode asks for it.
    pub tag: Option<Verified>,
    /// The commit's verification, when the mode asks for it.
    pub commit: Option<Verified>,
}

impl Verification {
    /// The `SourceVerified` condition message, worded as Flux words it (each item line starts with a tab):
    ///
    /// ```text
    /// verified signature of
    ///     - tag 'v1.0@<tag object id>' with key '<signer>'
    ///     - commit '<commit id>' with key '<signer>'
    /// ```
    pub fn message(&self) -> String {
        let mut message = String::from("verified signature of");
        if let Some(tag) = &self.tag {
            let name = match &tag.object {
                SignedObject::Tag { name: Some(name), id: Some(id) } => format!("{name}@{id}"),
                SignedObject::Tag { name: None, id: Some(id) } => id.clone(),
                other => other.to_string(),
            };
            message.push_str(&format!("\n\t- tag '{name}' with key '{}'", tag.signer));
        }
        if let Some(commit) = &self.commit {
            let id = match &commit.object {
                SignedObject::Commit { id } => id.clone(),
                other => other.to_string(),
            };
            message.push_str(&format!("\n\t- commit '{id}' with key '{}'", commit.signer));
        }
        message
    }
}

/// Why a commit or tag is not accepted, or why the trusted keys cannot be used.
///
/// Every message names the object and, when the signature says who signed, the signer's key; none contains
/// key material or secret values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The object carries no signature.
    #[error("{object} is not signed; spec.verify requires a signature by one of the keys in the verification secret")]
    Unsigned {
        /// The unsigned object.
        object: SignedObject,
    },
    /// The signature is by a key the secret does not hold.
    #[error(
        "{object} is signed with {kind} key {signer}, which is not in the verification secret; \
         add its public key as an entry ending in {} to trust it",
        kind.key_suffix()
    )]
    UntrustedSigner {
        /// The signed object.
        object: SignedObject,
        /// The kind of signature.
        kind: SignatureKind,
        /// The signer as the signature names it: an SSH fingerprint, an OpenPGP fingerprint or key ID.
        signer: String,
    },
    /// The signature names a trusted key but does not verify: the object was changed after it was signed, or
    /// the signature is corrupt or was made for something else.
    #[error(
        "{object} has a bad {kind} signature by trusted key {signer}: {detail}; \
         the object was changed after it was signed, or the signature is not valid for it"
    )]
    BadSignature {
        /// The signed object.
        object: SignedObject,
        /// The kind of signature.
        kind: SignatureKind,
        /// The trusted signer the signature claims.
        signer: String,
        /// What failed.
        detail: String,
    },
    /// The signature cannot be decoded.
    #[error("{object} has a malformed {kind} signature: {detail}")]
    MalformedSignature {
        /// The signed object.
        object: SignedObject,
        /// The kind of signature.
        kind: SignatureKind,
        /// What is wrong with it.
        detail: String,
    },
    /// The signature is of a kind the secret has no keys for.
    #[error(
        "{object} has an {kind} signature, but the verification secret has no {kind} public keys \
         (entries ending in {})",
        kind.key_suffix()
    )]
    NoKeysOfKind {
        /// The signed object.
        object: SignedObject,
        /// The kind of signature.
        kind: SignatureKind,
    },
    /// The signature is of a kind that is not supported.
    #[error("{object} has an unsupported signature: {detail}; sign with OpenPGP or SSH keys")]
    Unsupported {
        /// The signed object.
        object: SignedObject,
        /// Which kind, or what was found.
        detail: String,
    },
    /// The secret holds no public keys at all.
    #[error(
        "the verification secret has no public keys: add OpenPGP keys (gpg --export --armor) as entries ending \
         in .asc, or SSH public keys as entries ending in .sshpub"
    )]
    NoKeys,
    /// A secret entry is not a valid public key file.
    #[error("verification secret entry {key:?} is not a valid {kind} public key file: {detail}")]
    InvalidKey {
        /// The secret entry's name, e.g. `author.asc`.
        key: String,
        /// What the entry should hold.
        kind: SignatureKind,
        /// What is wrong with it.
        detail: String,
    },
    /// `spec.verify.mode` is not a known mode.
    #[error("invalid spec.verify.mode {mode:?}: expected HEAD, Tag or TagAndHEAD")]
    InvalidMode {
        /// The mode as written.
        mode: String,
    },
    /// The mode verifies a tag, but the source does not track one.
    #[error(
        "spec.verify.mode {mode} verifies a tag, but the source does not track a tag: \
         set spec.ref.tag, spec.ref.semver or spec.ref.name (refs/tags/...), or use mode HEAD"
    )]
    NoTagReference {
        /// The mode asked for.
        mode: VerifyMode,
    },
    /// A lightweight tag is a plain ref with no tag object, so it cannot carry a signature.
    #[error(
        "tag {tag:?} is a lightweight tag (it points straight at {target}) and cannot be signed; \
         create a signed annotated tag (git tag -s) or use spec.verify.mode HEAD"
    )]
    LightweightTag {
        /// The tag's name.
        tag: String,
        /// The object the tag points at.
        target: String,
    },
    /// No tag of that name in the mirror.
    #[error("tag {tag:?} not found in the mirror of {url}: fetch it first")]
    TagNotFound {
        /// The tag's name.
        tag: String,
        /// The redacted URL of the mirrored repository.
        url: String,
    },
    /// The tag object's own name differs from the ref it was found under, so a signed tag was published under
    /// another name (which could replay an old release as a new one).
    #[error(
        "tag {tag:?} points to a tag object that names itself {inner:?}; a signed tag must be published under its \
         own name"
    )]
    TagNameMismatch {
        /// The ref's tag name.
        tag: String,
        /// The name inside the signed tag object.
        inner: String,
    },
    /// The verified tag does not point at the commit that is to be applied.
    #[error("{tag} points to {target}, not to the fetched commit {commit}; the tag moved after the fetch, fetch again")]
    TagMismatch {
        /// The tag.
        tag: SignedObject,
        /// What the tag points to.
        target: String,
        /// The commit to be applied.
        commit: String,
    },
    /// The object id is not 40 hex digits, or the object is of the wrong type.
    #[error("{object:?} is not {expected}")]
    InvalidObject {
        /// The id or name as given.
        object: String,
        /// What was expected, e.g. `a commit id (40 hex digits)`.
        expected: String,
    },
    /// The object is not in the mirror.
    #[error("{object} is not in the mirror of {url}: fetch a ref that contains it first")]
    NotFound {
        /// The missing object.
        object: SignedObject,
        /// The redacted URL of the mirrored repository.
        url: String,
    },
    /// The object is larger than verification reads.
    #[error("{object} is {size} bytes; signatures are verified on objects up to {limit} bytes")]
    TooLarge {
        /// The object.
        object: SignedObject,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The mirror could not be read.
    #[error("cannot read {object} from the mirror: {detail}")]
    Read {
        /// The object being read.
        object: SignedObject,
        /// The underlying error.
        detail: String,
    },
}

impl VerifyError {
    /// The reason Flux gives on a `SourceVerified=False` condition for this error: `InvalidCommitSignature`,
    /// `InvalidTagSignature`, `InvalidGitObject` (the tag is not signed), `InvalidVerificationMode` (a tag mode
    /// without a tag), or `VerificationError` (the secret or the mirror).
    pub fn reason(&self) -> &'static str {
        let object = match self {
            VerifyError::NoTagReference { .. } | VerifyError::InvalidMode { .. } => return "InvalidVerificationMode",
            VerifyError::LightweightTag { .. } => return "InvalidGitObject",
            VerifyError::Unsigned { object } if object.is_tag() => return "InvalidGitObject",
            VerifyError::NoKeys | VerifyError::InvalidKey { .. } | VerifyError::Read { .. } => {
                return "VerificationError";
            }
            VerifyError::TagNotFound { .. }
            | VerifyError::TagNameMismatch { .. }
            | VerifyError::TagMismatch { .. }
            | VerifyError::InvalidObject { .. } => return "InvalidTagSignature",
            VerifyError::Unsigned { object }
            | VerifyError::UntrustedSigner { object, .. }
            | VerifyError::BadSignature { object, .. }
            | VerifyError::MalformedSignature { object, .. }
            | VerifyError::NoKeysOfKind { object, .. }
            | VerifyError::Unsupported { object, .. }
            | VerifyError::NotFound { object, .. }
            | VerifyError::TooLarge { object, .. } => object,
        };
        if object.is_tag() { "InvalidTagSignature" } else { "InvalidCommitSignature" }
    }
}

// ---------------------------------------------------------------- trusted keys

/// Public keys trusted to sign, from the entries of a verification secret.
///
/// Entries ending in `.asc` hold ASCII-armored OpenPGP public keys (any number of keys and armor blocks);
/// entries ending in `.sshpub` hold SSH public keys in `authorized_keys` format (blank lines and `#` comments
/// allowed, options before the key type allowed and ignored). As in Flux, an entry with another name is read
/// as OpenPGP keys when it holds an armored public key block; other entries are skipped (see
/// [`TrustedKeys::ignored`]).
#[derive(Clone)]
pub struct TrustedKeys {
    pgp: Vec<PgpCert>,
    ssh: Vec<SshKey>,
    ignored: Vec<String>,
}

/// One OpenPGP certificate and which of its keys may sign.
#[derive(Clone)]
struct PgpCert {
    entry: String,
    cert: SignedPublicKey,
    /// Upper-case hex key ID of the primary key (what Flux reports).
    key_id: String,
    /// Upper-case hex fingerprint of the primary key.
    fingerprint: String,
    /// Indexes into `cert.public_subkeys` of subkeys with a valid binding that allows signing.
    signing_subkeys: Vec<usize>,
}

/// One trusted SSH key.
#[derive(Clone)]
struct SshKey {
    entry: String,
    key: ssh_key::PublicKey,
    fingerprint: String,
}

impl fmt::Debug for TrustedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedKeys")
            .field("openpgp", &self.pgp.iter().map(|c| (&c.entry, &c.key_id)).collect::<Vec<_>>())
            .field("ssh", &self.ssh.iter().map(|k| (&k.entry, &k.fingerprint)).collect::<Vec<_>>())
            .field("ignored", &self.ignored)
            .finish()
    }
}

impl TrustedKeys {
    /// Reads the entries of a verification secret: `(entry name, contents)`, e.g. `("author.asc", …)`,
    /// `("deploy.sshpub", …)`.
    ///
    /// An `.asc` or `.sshpub` entry that cannot be read is an [`VerifyError::InvalidKey`] naming it; a secret
    /// without any public key is [`VerifyError::NoKeys`]. Entries are capped at [`MAX_KEY_FILE_BYTES`] each
    /// and [`MAX_KEYS`] keys in all.
    pub fn from_secret_files(files: &[(String, Vec<u8>)]) -> Result<TrustedKeys, VerifyError> {
        let mut keys = TrustedKeys { pgp: Vec::new(), ssh: Vec::new(), ignored: Vec::new() };
        let mut count = 0usize;
        for (name, contents) in files {
            let kind = if name.ends_with(".sshpub") {
                SignatureKind::Ssh
            } else if name.ends_with(".asc") || looks_like_pgp_public_key(contents) {
                SignatureKind::OpenPgp
            } else {
                keys.ignored.push(name.clone());
                continue;
            };
            let invalid = |detail: String| VerifyError::InvalidKey { key: name.clone(), kind, detail };
            if contents.len() > MAX_KEY_FILE_BYTES {
                return Err(invalid(format!(
                    "it is {} bytes, more than the {MAX_KEY_FILE_BYTES} bytes allowed",
                    contents.len()
                )));
            }
            let text = std::str::from_utf8(contents)
                .map_err(|_| invalid("it is not text; expected an ASCII-armored or one-line-per-key file".into()))?;
            match kind {
                SignatureKind::Ssh => {
                    for key in parse_ssh_keys(text).map_err(invalid)? {
                        count += 1;
                        let fingerprint = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
                        keys.ssh.push(SshKey { entry: name.clone(), key, fingerprint });
                    }
                }
                SignatureKind::OpenPgp => {
                    for cert in parse_pgp_keys(text).map_err(invalid)? {
                        count += 1 + cert.public_subkeys.len();
                        keys.pgp.push(PgpCert::new(name, cert));
                    }
                }
            }
            if count > MAX_KEYS {
                return Err(invalid(format!("the secret holds more than {MAX_KEYS} public keys")));
            }
        }
        if keys.pgp.is_empty() && keys.ssh.is_empty() {
            return Err(VerifyError::NoKeys);
        }
        Ok(keys)
    }

    /// How many OpenPGP certificates (primary keys) are trusted.
    pub fn openpgp_count(&self) -> usize {
        self.pgp.len()
    }

    /// How many SSH keys are trusted.
    pub fn ssh_count(&self) -> usize {
        self.ssh.len()
    }

    /// Secret entries that were skipped: neither `.asc` nor `.sshpub`, and no armored OpenPGP public key inside.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Checks a signature over `payload`. `object` is only used in messages.
    fn check(&self, object: &SignedObject, signature: &[u8], payload: &[u8]) -> Result<Verified, VerifyError> {
        if signature.len() > MAX_SIGNATURE_BYTES {
            return Err(VerifyError::Unsupported {
                object: object.clone(),
                detail: format!(
                    "the signature is {} bytes, more than the {MAX_SIGNATURE_BYTES} bytes allowed",
                    signature.len()
                ),
            });
        }
        let trimmed = signature.trim_start();
        if trimmed.starts_with(SSH_SIGNATURE_BEGIN) {
            guarded(object, SignatureKind::Ssh, || self.check_ssh(object, signature, payload))
        } else if trimmed.starts_with(PGP_SIGNATURE_BEGIN) {
            guarded(object, SignatureKind::OpenPgp, || self.check_pgp(object, signature, payload))
        } else if trimmed.starts_with(X509_SIGNATURE_BEGIN) {
            Err(VerifyError::Unsupported {
                object: object.clone(),
                detail: "it is an X.509 (gpgsm) signature, which Flux and driftless do not verify".into(),
            })
        } else if trimmed.starts_with(PGP_MESSAGE_BEGIN) {
            Err(VerifyError::Unsupported {
                object: object.clone(),
                detail: "it is an OpenPGP message, not a detached OpenPGP signature".into(),
            })
        } else {
            Err(VerifyError::Unsupported { object: object.clone(), detail: "the signature format is unknown".into() })
        }
    }

    fn check_ssh(&self, object: &SignedObject, signature: &[u8], payload: &[u8]) -> Result<Verified, VerifyError> {
        let kind = SignatureKind::Ssh;
        if self.ssh.is_empty() {
            return Err(VerifyError::NoKeysOfKind { object: object.clone(), kind });
        }
        let malformed = |detail: String| VerifyError::MalformedSignature { object: object.clone(), kind, detail };
        let text = std::str::from_utf8(signature).map_err(|_| malformed("it is not text".into()))?;
        let sig = ssh_key::SshSig::from_pem(text.trim()).map_err(|e| malformed(brief(&e)))?;
        let signer_key = ssh_key::PublicKey::from(sig.public_key().clone());
        let signer = signer_key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
        let Some(trusted) = self.ssh.iter().find(|k| k.key.key_data() == sig.public_key()) else {
            return Err(VerifyError::UntrustedSigner { object: object.clone(), kind, signer });
        };
        let bad = |detail: String| VerifyError::BadSignature {
            object: object.clone(),
            kind,
            signer: trusted.fingerprint.clone(),
            detail,
        };
        if sig.namespace() != SSH_NAMESPACE {
            return Err(bad(format!(
                "it was made for namespace {:?}, not git's {SSH_NAMESPACE:?}",
                sig.namespace().chars().take(64).collect::<String>()
            )));
        }
        trusted.key.verify(SSH_NAMESPACE, payload, &sig).map_err(|e| bad(mismatch(&e)))?;
        Ok(Verified {
            object: object.clone(),
            kind,
            signer: trusted.fingerprint.clone(),
            fingerprint: trusted.fingerprint.clone(),
            key_name: trusted.entry.clone(),
            target: None,
        })
    }

    fn check_pgp(&self, object: &SignedObject, signature: &[u8], payload: &[u8]) -> Result<Verified, VerifyError> {
        let kind = SignatureKind::OpenPgp;
        if self.pgp.is_empty() {
            return Err(VerifyError::NoKeysOfKind { object: object.clone(), kind });
        }
        let malformed = |detail: String| VerifyError::MalformedSignature { object: object.clone(), kind, detail };
        let (signatures, _headers) =
            DetachedSignature::from_armor_many(Cursor::new(signature)).map_err(|e| malformed(brief(&e)))?;
        let mut first_issuer: Option<String> = None;
        let mut seen = 0;
        for parsed in signatures {
            let parsed = parsed.map_err(|e| malformed(brief(&e)))?;
            seen += 1;
            if seen > MAX_PGP_SIGNATURES {
                return Err(malformed(format!("it holds more than {MAX_PGP_SIGNATURES} signatures")));
            }
            let sig = &parsed.signature;
            let fingerprints: Vec<String> = sig.issuer_fingerprint().iter().map(|fp| format!("{fp:X}")).collect();
            let key_ids: Vec<String> = sig.issuer_key_id().iter().map(|id| id.to_string().to_uppercase()).collect();
            if first_issuer.is_none() {
                first_issuer = fingerprints.first().or(key_ids.first()).cloned();
            }
            let Some((cert, key)) = self.find_pgp_signer(&fingerprints, &key_ids) else {
                continue;
            };
            let bad = |detail: String| VerifyError::BadSignature {
                object: object.clone(),
                kind,
                signer: cert.key_id.clone(),
                detail,
            };
            match sig.typ() {
                Some(SignatureType::Binary) | Some(SignatureType::Text) => {}
                other => return Err(bad(format!("it is not a signature over data but of type {other:?}"))),
            }
            let result = match key {
                None => parsed.verify(&cert.cert.primary_key, payload),
                Some(index) => parsed.verify(&cert.cert.public_subkeys[index].key, payload),
            };
            result.map_err(|e| bad(mismatch(&e)))?;
            return Ok(Verified {
                object: object.clone(),
                kind,
                signer: cert.key_id.clone(),
                fingerprint: cert.fingerprint.clone(),
                key_name: cert.entry.clone(),
                target: None,
            });
        }
        match first_issuer {
            Some(signer) => Err(VerifyError::UntrustedSigner { object: object.clone(), kind, signer }),
            None if seen == 0 => Err(malformed("it holds no signature".into())),
            None => Err(VerifyError::UntrustedSigner { object: object.clone(), kind, signer: "(unnamed)".into() }),
        }
    }

    /// The trusted certificate and key (`None`: the primary key, `Some(i)`: signing subkey `i`) that an issuer
    /// fingerprint or key ID names.
    fn find_pgp_signer(&self, fingerprints: &[String], key_ids: &[String]) -> Option<(&PgpCert, Option<usize>)> {
        let names = |fingerprint: String, key_id: String| {
            fingerprints.contains(&fingerprint) || (fingerprints.is_empty() && key_ids.contains(&key_id))
        };
        for cert in &self.pgp {
            let primary = &cert.cert.primary_key;
            if names(format!("{:X}", primary.fingerprint()), cert.key_id.clone()) {
                return Some((cert, None));
            }
            for &index in &cert.signing_subkeys {
                let sub = &cert.cert.public_subkeys[index].key;
                if names(format!("{:X}", sub.fingerprint()), sub.legacy_key_id().to_string().to_uppercase()) {
                    return Some((cert, Some(index)));
                }
            }
        }
        None
    }
}

impl PgpCert {
    fn new(entry: &str, cert: SignedPublicKey) -> PgpCert {
        let primary = &cert.primary_key;
        let key_id = primary.legacy_key_id().to_string().to_uppercase();
        let fingerprint = format!("{:X}", primary.fingerprint());
        // A subkey signs for its primary key only when the primary key bound it (and, for signing subkeys, the
        // subkey bound itself back): without this, anyone could attach a subkey to a published certificate.
        let signing_subkeys = cert
            .public_subkeys
            .iter()
            .enumerate()
            .filter(|(_, sub)| {
                sub.signatures.iter().any(|s| s.key_flags().sign())
                    && catch_unwind(AssertUnwindSafe(|| sub.verify_bindings(primary).is_ok())).unwrap_or(false)
            })
            .map(|(index, _)| index)
            .collect();
        PgpCert { entry: entry.to_string(), cert, key_id, fingerprint, signing_subkeys }
    }
}

/// Whether an entry without a known suffix holds an armored OpenPGP public key (Flux reads such entries as key
/// rings, for backward compatibility).
fn looks_like_pgp_public_key(contents: &[u8]) -> bool {
    contents.len() <= MAX_KEY_FILE_BYTES && contents.find(PGP_PUBLIC_KEY_BEGIN.as_bytes()).is_some()
}

/// Parses `authorized_keys` text: one key per line, blank lines and `#` comments skipped.
fn parse_ssh_keys(text: &str) -> Result<Vec<ssh_key::PublicKey>, String> {
    let mut keys = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("-----BEGIN") {
            return Err(format!(
                "line {} starts a PEM block; expected public keys in authorized_keys format \
                 (the contents of a .pub file, e.g. \"ssh-ed25519 AAAA... comment\"), never a private key",
                number + 1
            ));
        }
        let entry = catch_unwind(AssertUnwindSafe(|| line.parse::<ssh_key::authorized_keys::Entry>()))
            .map_err(|_| format!("line {}: the key could not be decoded", number + 1))?
            .map_err(|e| format!("line {}: {}", number + 1, brief(&e)))?;
        check_ssh_key(entry.public_key()).map_err(|e| format!("line {}: {e}", number + 1))?;
        keys.push(entry.public_key().clone());
        if keys.len() > MAX_KEYS {
            return Err(format!("more than {MAX_KEYS} keys"));
        }
    }
    if keys.is_empty() {
        return Err("it holds no public key".into());
    }
    Ok(keys)
}

/// Refuses SSH keys whose signatures cannot be checked here, so that they fail when the secret is read rather
/// than look like bad signatures later: DSA and unknown algorithms, and RSA keys outside 2048 to 4096 bits
/// (which also bounds the work of a verification).
fn check_ssh_key(key: &ssh_key::PublicKey) -> Result<(), String> {
    use ssh_key::public::KeyData;
    match key.key_data() {
        KeyData::Ed25519(_) | KeyData::SkEd25519(_) | KeyData::Ecdsa(_) | KeyData::SkEcdsaSha2NistP256(_) => Ok(()),
        KeyData::Rsa(rsa) => {
            let bytes = rsa.n.as_positive_bytes().unwrap_or_default();
            let bits = bytes.first().map_or(0, |b| bytes.len() * 8 - b.leading_zeros() as usize);
            if (2048..=4096).contains(&bits) {
                Ok(())
            } else {
                Err(format!("RSA keys of {bits} bits are not supported; use 2048 to 4096 bits, or ed25519"))
            }
        }
        other => Err(format!("{} keys are not supported; use ed25519, ecdsa or rsa keys", other.algorithm())),
    }
}

/// Parses every armored public key block in `text`, each holding one or more certificates.
fn parse_pgp_keys(text: &str) -> Result<Vec<SignedPublicKey>, String> {
    if text.contains("-----BEGIN PGP PRIVATE KEY BLOCK-----") {
        return Err("it holds a private key; export the public key with gpg --export --armor <key id>".into());
    }
    let mut certs = Vec::new();
    let mut rest = text;
    let mut blocks = 0;
    while let Some(start) = rest.find(PGP_PUBLIC_KEY_BEGIN) {
        blocks += 1;
        let block_rest = &rest[start..];
        let end = block_rest
            .find(PGP_PUBLIC_KEY_END)
            .ok_or_else(|| format!("armor block {blocks} has no {PGP_PUBLIC_KEY_END:?} line"))?;
        let block = &block_rest[..end + PGP_PUBLIC_KEY_END.len()];
        rest = &block_rest[end + PGP_PUBLIC_KEY_END.len()..];
        let parsed = catch_unwind(AssertUnwindSafe(|| -> Result<Vec<SignedPublicKey>, String> {
            let (iter, _headers) =
                SignedPublicKey::from_armor_many(Cursor::new(block.as_bytes())).map_err(|e| brief(&e))?;
            let mut out = Vec::new();
            for cert in iter {
                out.push(cert.map_err(|e| brief(&e))?);
                if out.len() > MAX_KEYS {
                    return Err(format!("more than {MAX_KEYS} keys"));
                }
            }
            Ok(out)
        }))
        .map_err(|_| format!("armor block {blocks} could not be decoded"))?
        .map_err(|e| format!("armor block {blocks}: {e}"))?;
        if parsed.is_empty() {
            return Err(format!("armor block {blocks} holds no public key"));
        }
        certs.extend(parsed);
        if certs.len() > MAX_KEYS {
            return Err(format!("more than {MAX_KEYS} keys"));
        }
    }
    if blocks == 0 {
        return Err(format!(
            "no {PGP_PUBLIC_KEY_BEGIN:?} block; export public keys with gpg --export --armor <key id>"
        ));
    }
    Ok(certs)
}

/// A library error as one short line for a message: its first line, without debug dumps of the input (which
/// could be key material), at most 160 characters.
fn brief(err: &dyn fmt::Display) -> String {
    let text = err.to_string();
    let line = text.lines().next().unwrap_or_default();
    let cut = ["Error(", "Error {", "input:", "assertion failed"].iter().filter_map(|m| line.find(m)).min();
    let line = line[..cut.unwrap_or(line.len())].trim_end_matches([' ', ':', '(', ',']);
    if line.is_empty() { "the data cannot be decoded".to_string() } else { line.chars().take(160).collect() }
}

/// The detail of a signature that does not verify, with the library's reason when it has a useful one.
fn mismatch(err: &dyn fmt::Display) -> String {
    let reason = brief(err);
    if reason == "the data cannot be decoded" || reason.contains("cryptographic error") {
        "the signature does not match the signed content".to_string()
    } else {
        format!("the signature does not match the signed content ({reason})")
    }
}

/// Runs signature parsing and checking so that a panic in a parser becomes an error rather than a crash.
fn guarded(
    object: &SignedObject,
    kind: SignatureKind,
    check: impl FnOnce() -> Result<Verified, VerifyError>,
) -> Result<Verified, VerifyError> {
    catch_unwind(AssertUnwindSafe(check)).unwrap_or_else(|_| {
        Err(VerifyError::MalformedSignature {
            object: object.clone(),
            kind,
            detail: "the signature could not be decoded".into(),
        })
    })
}

// ---------------------------------------------------------------- signed payloads

/// A signature and the bytes it signs.
#[derive(Debug, PartialEq, Eq)]
struct Signed {
    signature: Vec<u8>,
    payload: Vec<u8>,
}

/// Splits a raw commit object into its `gpgsig` signature and the payload git signs, as git does: the
/// `gpgsig` and `gpgsig-sha256` headers and their continuation lines are left out of the payload; everything
/// after the headers (the message) is kept as it is. `Ok(None)`: the commit is not signed (for SHA-1).
fn split_commit(data: &[u8]) -> Result<Option<Signed>, String> {
    #[derive(PartialEq)]
    enum In {
        Header,
        Signature,
        OtherSignature,
    }
    let mut payload = Vec::with_capacity(data.len());
    let mut signature: Option<Vec<u8>> = None;
    let mut state = In::Header;
    let mut pos = 0;
    while pos < data.len() {
        let next = data[pos..].find_byte(b'\n').map_or(data.len(), |i| pos + i + 1);
        let line = &data[pos..next];
        if line == b"\n" {
            // The message: kept as it is.
            payload.extend_from_slice(&data[pos..]);
            break;
        }
        if line.starts_with(b" ") && state != In::Header {
            if state == In::Signature
                && let Some(sig) = signature.as_mut()
            {
                sig.extend_from_slice(&line[1..]);
            }
        } else if let Some(value) = line.strip_prefix(b"gpgsig ") {
            if signature.is_some() {
                return Err("it has more than one gpgsig header".into());
            }
            signature = Some(value.to_vec());
            state = In::Signature;
        } else if line.starts_with(b"gpgsig-sha256 ") {
            state = In::OtherSignature;
        } else {
            payload.extend_from_slice(line);
            state = In::Header;
        }
        pos = next;
    }
    Ok(signature.map(|signature| Signed { signature, payload }))
}

/// Splits a raw tag object into the signature appended to its message and the payload before it, as git does:
/// the signature starts at the last line (after the headers) that begins a signature block. `None`: unsigned.
fn split_tag(data: &[u8]) -> Option<Signed> {
    let body = data.find(b"\n\n").map(|i| i + 2)?;
    let mut start = None;
    let mut pos = body;
    while pos < data.len() {
        let line = &data[pos..];
        if SIGNATURE_BEGINS.iter().any(|begin| line.starts_with(begin)) {
            start = Some(pos);
        }
        pos = data[pos..].find_byte(b'\n').map_or(data.len(), |i| pos + i + 1);
    }
    let start = start?;
    Some(Signed { signature: data[start..].to_vec(), payload: data[..start].to_vec() })
}

// ---------------------------------------------------------------- mirror

impl Mirror {
    /// Verifies the signature of `commit` (40 hex digits), which must be in the mirror.
    pub fn verify_commit(&self, commit: &str, keys: &TrustedKeys) -> Result<Verified, VerifyError> {
        let commit = commit.to_ascii_lowercase();
        let object = SignedObject::commit(&commit);
        let id = parse_id(&commit).ok_or_else(|| VerifyError::InvalidObject {
            object: commit.clone(),
            expected: "a commit id (40 hex digits)".into(),
        })?;
        let repo = self.verify_repo(&object)?;
        let (kind, data) = self.read_object(&repo, id, &object)?;
        if kind != gix::object::Kind::Commit {
            return Err(VerifyError::InvalidObject { object: commit, expected: format!("a commit (it is a {kind})") });
        }
        let signed = split_commit(&data)
            .map_err(|detail| VerifyError::MalformedSignature {
                object: object.clone(),
                kind: guess_kind(&data),
                detail,
            })?
            .ok_or_else(|| VerifyError::Unsigned { object: object.clone() })?;
        keys.check(&object, &signed.signature, &signed.payload)
    }

    /// Verifies the signature of an annotated tag, given by name (`v1.0` or `refs/tags/v1.0`) or by the tag
    /// object's id (40 hex digits). On success, [`Verified::target`] is the commit the tag points to.
    ///
    /// A lightweight tag (a ref straight to a commit) cannot be signed and is an error. When given by name, the
    /// signed tag object must carry the same name (so an old signed tag cannot be re-published under a new name).
    pub fn verify_tag(&self, tag_object_or_name: &str, keys: &TrustedKeys) -> Result<Verified, VerifyError> {
        let given = tag_object_or_name;
        let mut object = SignedObject::Tag { name: None, id: None };
        let repo = self.verify_repo(&object)?;
        let (id, name) = match parse_id(given).filter(|id| repo.has_object(id)) {
            Some(id) => (id, None),
            None => {
                let name = given.strip_prefix("refs/tags/").unwrap_or(given).to_string();
                object = SignedObject::Tag { name: Some(name.clone()), id: None };
                (self.resolve_tag(&repo, &name, &object)?, Some(name))
            }
        };
        object = SignedObject::Tag { name: name.clone(), id: Some(id.to_string()) };
        let (kind, data) = self.read_object(&repo, id, &object)?;
        match (kind, &name) {
            (gix::object::Kind::Tag, _) => {}
            (kind, Some(name)) => {
                return Err(VerifyError::LightweightTag { tag: name.clone(), target: format!("{kind} {id}") });
            }
            (kind, None) => {
                return Err(VerifyError::InvalidObject {
                    object: given.to_string(),
                    expected: format!("an annotated tag object (it is a {kind})"),
                });
            }
        }
        let signed = split_tag(&data).ok_or_else(|| VerifyError::Unsigned { object: object.clone() })?;
        let mut verified = keys.check(&object, &signed.signature, &signed.payload)?;

        // Only now, with the signature good, is the tag's content interpreted.
        let parsed = gix::objs::TagRef::from_bytes(&data, repo.object_hash())
            .map_err(|e| VerifyError::Read { object: object.clone(), detail: format!("cannot decode the tag: {e}") })?;
        if let Some(name) = &name
            && parsed.name != name.as_bytes()
        {
            return Err(VerifyError::TagNameMismatch {
                tag: name.clone(),
                inner: parsed.name.to_str_lossy().chars().take(256).collect(),
            });
        }
        verified.target = self.peel_tag(&repo, &parsed, &object)?;
        Ok(verified)
    }

    /// Verifies what `mode` asks for, for the revision `commit` fetched through `tag` (the tag's name or tag
    /// object id; `None` when the source tracks a branch, a commit or a non-tag ref).
    ///
    /// In the tag modes the tag must point at `commit`, so that the tag's signature covers what is applied.
    pub fn verify(
        &self,
        mode: VerifyMode,
        commit: &str,
        tag: Option<&str>,
        keys: &TrustedKeys,
    ) -> Result<Verification, VerifyError> {
        let commit = commit.to_ascii_lowercase();
        let tag = if mode.verifies_tag() {
            let tag = tag.ok_or(VerifyError::NoTagReference { mode })?;
            let verified = self.verify_tag(tag, keys)?;
            let target = verified.target.clone().unwrap_or_else(|| "an object that is not a commit".into());
            if target != commit {
                return Err(VerifyError::TagMismatch { tag: verified.object, target, commit });
            }
            Some(verified)
        } else {
            None
        };
        let commit = if mode.verifies_head() { Some(self.verify_commit(&commit, keys)?) } else { None };
        Ok(Verification { mode, tag, commit })
    }

    /// A fresh handle on the mirror (sees every pack on disk).
    fn verify_repo(&self, object: &SignedObject) -> Result<gix::Repository, VerifyError> {
        let shared =
            open_repo(self.path()).map_err(|e| VerifyError::Read { object: object.clone(), detail: chain(&e) })?;
        Ok(local_repo(&shared))
    }

    /// Reads an object's kind and raw data, refusing objects over [`MAX_OBJECT_BYTES`] before loading them.
    fn read_object(
        &self,
        repo: &gix::Repository,
        id: ObjectId,
        object: &SignedObject,
    ) -> Result<(gix::object::Kind, Vec<u8>), VerifyError> {
        let read_error = |detail: String| VerifyError::Read { object: object.clone(), detail };
        let header = repo
            .try_find_header(id)
            .map_err(|e| read_error(e.to_string()))?
            .ok_or_else(|| VerifyError::NotFound { object: object.clone(), url: self.url().to_string() })?;
        if header.size() > MAX_OBJECT_BYTES {
            return Err(VerifyError::TooLarge { object: object.clone(), size: header.size(), limit: MAX_OBJECT_BYTES });
        }
        let found = repo.find_object(id).map_err(|e| read_error(e.to_string()))?;
        Ok((found.kind, found.data.clone()))
    }

    /// The object `refs/tags/<name>` points to.
    fn resolve_tag(&self, repo: &gix::Repository, name: &str, object: &SignedObject) -> Result<ObjectId, VerifyError> {
        let full = format!("refs/tags/{name}");
        let invalid = || VerifyError::InvalidObject { object: name.to_string(), expected: "a valid tag name".into() };
        let full_name = gix::refs::FullName::try_from(full.as_str()).map_err(|_| invalid())?;
        let reference = repo
            .try_find_reference(full_name.as_ref())
            .map_err(|e| VerifyError::Read { object: object.clone(), detail: e.to_string() })?
            .ok_or_else(|| VerifyError::TagNotFound { tag: name.to_string(), url: self.url().to_string() })?;
        match reference.target() {
            gix::refs::TargetRef::Object(id) => Ok(id.to_owned()),
            gix::refs::TargetRef::Symbolic(target) => Err(VerifyError::Read {
                object: object.clone(),
                detail: format!("{full} is a symbolic ref to {target}, not a tag"),
            }),
        }
    }

    /// The commit a (verified) tag points to, through at most [`MAX_TAG_DEPTH`] nested tags; `None` when it
    /// points at a tree or a blob.
    fn peel_tag(
        &self,
        repo: &gix::Repository,
        tag: &gix::objs::TagRef<'_>,
        object: &SignedObject,
    ) -> Result<Option<String>, VerifyError> {
        let mut kind = tag.target_kind;
        let mut target = tag.target();
        for _ in 0..MAX_TAG_DEPTH {
            match kind {
                gix::object::Kind::Commit => return Ok(Some(target.to_string())),
                gix::object::Kind::Tag => {
                    let (_, data) = self.read_object(repo, target, object)?;
                    let inner = gix::objs::TagRef::from_bytes(&data, repo.object_hash()).map_err(|e| {
                        VerifyError::Read { object: object.clone(), detail: format!("cannot decode a nested tag: {e}") }
                    })?;
                    kind = inner.target_kind;
                    target = inner.target();
                }
                _ => return Ok(None),
            }
        }
        Err(VerifyError::Read { object: object.clone(), detail: format!("tags nest more than {MAX_TAG_DEPTH} deep") })
    }
}

/// A full object id, if `s` is 40 hex digits.
fn parse_id(s: &str) -> Option<ObjectId> {
    if !super::revision::is_hex_id(s) {
        return None;
    }
    ObjectId::from_hex(s.as_bytes()).ok()
}

/// The kind a malformed commit's signature would have, for the message.
fn guess_kind(data: &[u8]) -> SignatureKind {
    if data.find(SSH_SIGNATURE_BEGIN).is_some() { SignatureKind::Ssh } else { SignatureKind::OpenPgp }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED_COMMIT: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
author T <t@e> 1 +0000\n\
committer T <t@e> 1 +0000\n\
gpgsig -----BEGIN SSH SIGNATURE-----\n \
U1NIU0lH\n \n \
-----END SSH SIGNATURE-----\n\
mergetag object 0123\n \
type commit\n\
\n\
message\n\
gpgsig not a header\n";

    #[test]
    fn commit_payload_drops_the_signature_header_and_its_continuation_lines() {
        let signed = split_commit(SIGNED_COMMIT).expect("parses").expect("signed");
        assert_eq!(signed.signature, b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n\n-----END SSH SIGNATURE-----\n");
        assert_eq!(
            String::from_utf8_lossy(&signed.payload),
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor T <t@e> 1 +0000\ncommitter T <t@e> 1 +0000\n\
             mergetag object 0123\n type commit\n\nmessage\ngpgsig not a header\n"
        );
    }

    #[test]
    fn commit_payload_also_drops_gpgsig_sha256() {
        let data = b"tree 1\ngpgsig-sha256 A\n B\ngpgsig C\n D\nauthor x\n\nmsg\n";
        let signed = split_commit(data).expect("parses").expect("signed");
        assert_eq!(signed.signature, b"C\nD\n");
        assert_eq!(signed.payload, b"tree 1\nauthor x\n\nmsg\n");
    }

    #[test]
    fn unsigned_and_doubly_signed_commits() {
        assert_eq!(split_commit(b"tree 1\nauthor x\n\nmsg\n"), Ok(None));
        assert_eq!(split_commit(b"tree 1\ngpgsig-sha256 A\n\nmsg\n"), Ok(None));
        assert!(split_commit(b"tree 1\ngpgsig A\ngpgsig B\n\nmsg\n").is_err());
        assert_eq!(split_commit(b""), Ok(None));
        assert_eq!(split_commit(b"tree 1"), Ok(None));
    }

    #[test]
    fn tag_signature_is_the_last_signature_block_of_the_message() {
        let data = b"object 1\ntype commit\ntag v1\n\nmsg\n-----BEGIN PGP SIGNATURE-----\nquoted\n\
-----END PGP SIGNATURE-----\n-----BEGIN SSH SIGNATURE-----\nX\n-----END SSH SIGNATURE-----\n";
        let signed = split_tag(data).expect("signed");
        assert!(signed.signature.starts_with(b"-----BEGIN SSH SIGNATURE-----"));
        assert!(signed.payload.ends_with(b"-----END PGP SIGNATURE-----\n"));
        assert_eq!(split_tag(b"object 1\ntype commit\ntag v1\n\nmsg\n"), None);
        assert_eq!(split_tag(b"object 1\n-----BEGIN SSH SIGNATURE-----\n"), None);
    }

    #[test]
    fn modes_parse_as_flux_spells_them() {
        assert_eq!(VerifyMode::parse("HEAD"), Ok(VerifyMode::Head));
        assert_eq!(VerifyMode::parse("head"), Ok(VerifyMode::Head));
        assert_eq!(VerifyMode::parse("Tag"), Ok(VerifyMode::Tag));
        assert_eq!(VerifyMode::parse("TagAndHEAD"), Ok(VerifyMode::TagAndHead));
        assert!(matches!(VerifyMode::parse("tag"), Err(VerifyError::InvalidMode { .. })));
        assert_eq!(VerifyMode::default(), VerifyMode::Head);
        assert_eq!(VerifyMode::TagAndHead.to_string(), "TagAndHEAD");
        assert!(VerifyMode::TagAndHead.verifies_head() && VerifyMode::TagAndHead.verifies_tag());
        assert!(!VerifyMode::Tag.verifies_head() && !VerifyMode::Head.verifies_tag());
    }

    /// A 1024-bit RSA key (`ssh-keygen -t rsa -b 1024`): too small to trust.
    const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCuN3OZg6wMhwV/+b/Q17ixkKvFzX1E5K9zyGVsPE79hPjN6+kz5OYHWt74GHk\
XGB/BFxLuLN3GC9eS8Q+sbcwoJogzgRqZ5HYewEL29VeWyZX9RipFV2yGU5+6FOHDnKhgxkm00awKNyyGSYEQyFOQ+VuSJnzHJUqpRlGFtbMPOw== small";

    #[test]
    fn garbage_signatures_and_keys_are_errors_not_panics() {
        let keys = TrustedKeys::from_secret_files(&[(
            "k.sshpub".into(),
            b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRGInDtjKbbnekEgP93QH7OnIJnIjGE5SdZdP1+L64A c".to_vec(),
        )])
        .expect("key parses");
        let object = SignedObject::commit("0".repeat(40));
        for sig in [
            &b"-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n"[..],
            b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n",
            b"-----BEGIN SSH SIGNATURE-----\n\xff\xfe\n",
            b"-----BEGIN PGP SIGNATURE-----\n\niQ==\n=AAAA\n-----END PGP SIGNATURE-----\n",
            b"-----BEGIN SIGNED MESSAGE-----\n",
            b"garbage",
        ] {
            assert!(keys.check(&object, sig, b"payload").is_err());
        }
        let too_big = vec![b'A'; MAX_SIGNATURE_BYTES + 1];
        assert!(matches!(keys.check(&object, &too_big, b""), Err(VerifyError::Unsupported { .. })));

        for (name, contents) in [
            ("a.asc", &b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ==\n-----END PGP PUBLIC KEY BLOCK-----\n"[..]),
            ("a.asc", b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n"),
            ("a.asc", b"\xff"),
            ("a.asc", b""),
            ("a.sshpub", b"ssh-ed25519 AAAA"),
            ("a.sshpub", b"-----BEGIN OPENSSH PRIVATE KEY-----\n"),
            ("a.sshpub", b"# only a comment\n"),
            ("a.sshpub", RSA_1024.as_bytes()),
        ] {
            match TrustedKeys::from_secret_files(&[(name.to_string(), contents.to_vec())]) {
                Err(VerifyError::InvalidKey { key, .. }) => assert_eq!(key, name),
                other => panic!("{name}: {contents:?}: {other:?}"),
            }
        }
        let small = TrustedKeys::from_secret_files(&[("a.sshpub".into(), RSA_1024.as_bytes().to_vec())]).unwrap_err();
        assert!(small.to_string().contains("RSA keys of 1024 bits are not supported"), "{small}");
        assert_eq!(
            TrustedKeys::from_secret_files(&[("README".into(), b"hello".to_vec())]).map(|_| ()),
            Err(VerifyError::NoKeys)
        );
    }

    #[test]
    fn errors_carry_flux_reasons() {
        let commit = SignedObject::commit("a".repeat(40));
        let tag = SignedObject::Tag { name: Some("v1".into()), id: None };
        assert_eq!(VerifyError::Unsigned { object: commit.clone() }.reason(), "InvalidCommitSignature");
        assert_eq!(VerifyError::Unsigned { object: tag.clone() }.reason(), "InvalidGitObject");
        assert_eq!(
            VerifyError::UntrustedSigner { object: tag, kind: SignatureKind::Ssh, signer: "x".into() }.reason(),
            "InvalidTagSignature"
        );
        assert_eq!(VerifyError::NoTagReference { mode: VerifyMode::Tag }.reason(), "InvalidVerificationMode");
        assert_eq!(VerifyError::NoKeys.reason(), "VerificationError");
    }
}
