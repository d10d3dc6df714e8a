//! Loading and validating a config file: a multi-document YAML of Flux
//! objects. Every problem is collected; a config with any problem is refused
//! as a whole.

use super::duration;
use super::objects::{Document, GitRepositorySpec, KustomizationSpec, ReceiverSpec, Unknown};
use super::{DEFAULT_NAMESPACE, GitReference, GitRepository, Kustomization, ObjectKey, Receiver, ReceiverType};
use crate::schema::names::{is_dns1123_label as is_label, is_dns1123_subdomain as is_subdomain};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// The objects a config declares.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub git_repositories: Vec<GitRepository>,
    pub kustomizations: Vec<Kustomization>,
    pub receivers: Vec<Receiver>,
    /// Fields that load but are not acted on yet.
    pub warnings: Vec<String>,
}

impl Config {
    pub fn git_repository(&self, key: &ObjectKey) -> Option<&GitRepository> {
        self.git_repositories.iter().find(|g| g.key == *key)
    }
}

/// Why a config was refused: every problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(f, "invalid config ({n} problem{}):", if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Largest config file accepted.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Reads and validates a config file.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let fail = |msg: String| ConfigError { problems: vec![format!("{}: {msg}", path.display())] };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(fail(format!("larger than {} MiB", MAX_CONFIG_BYTES >> 20)));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    load_str(&text, &path.display().to_string())
}

/// Parses YAML as Kubernetes tools do: `yes`/`no`/`on`/`off` stay strings,
/// `0644` is octal.
pub fn parse_yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.legacy_octal_numbers = true;
    serde_saphyr::from_multiple_with_options::<Value>(text, options).map_err(|e| e.to_string())
}

/// Validates the objects of a config text; `origin` names it in messages.
pub fn load_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let docs = parse_yaml_documents(text)
        .map_err(|e| ConfigError { problems: vec![format!("{origin}: not valid YAML: {e}")] })?;
    let mut v = Validator::default();
    for (i, doc) in docs.into_iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        v.document(doc, &format!("{origin}: document {}", i + 1));
    }
    v.cross_check();
    if v.problems.is_empty() {
        Ok(Config {
            git_repositories: v.git_repositories,
            kustomizations: v.kustomizations,
            receivers: v.receivers,
            warnings: v.warnings,
        })
    } else {
        Err(ConfigError { problems: v.problems })
    }
}

#[derive(Default)]
struct Validator {
    problems: Vec<String>,
    warnings: Vec<String>,
    git_repositories: Vec<GitRepository>,
    kustomizations: Vec<Kustomization>,
    receivers: Vec<Receiver>,
    /// GitRepository labels, for receivers that select by label.
    repo_labels: BTreeMap<ObjectKey, BTreeMap<String, String>>,
    /// Receivers waiting for the GitRepositories to be known.
    pending_receivers: Vec<(Receiver, String, Vec<super::objects::ReceiverResource>)>,
    seen: BTreeSet<(String, ObjectKey)>,
}

impl Validator {
    /// Checks the shape of the fields Flux adds to a build: `patches`, `images`, `components`,
    /// `commonMetadata`, `postBuild`.
    fn render_options(&mut self, subject: &str, spec: &super::objects::KustomizationSpec) {
        let mapping_with = |v: &serde_json::Value, allowed: &[&str]| -> Result<(), String> {
            let m = v.as_object().ok_or("must be a mapping")?;
            match m.keys().find(|k| !allowed.contains(&k.as_str())) {
                Some(k) => Err(format!("unknown field {k:?}")),
                None => Ok(()),
            }
        };
        for (i, p) in spec.patches.iter().flatten().enumerate() {
            let at = format!("spec.patches[{i}]");
            if let Err(e) = mapping_with(p, &["patch", "target"]) {
                self.problem(subject, format!("{at}: {e}"));
            } else if p.get("patch").and_then(|t| t.as_str()).is_none_or(|t| t.trim().is_empty()) {
                self.problem(subject, format!("{at}.patch: required"));
            }
        }
        for (i, image) in spec.images.iter().flatten().enumerate() {
            let at = format!("spec.images[{i}]");
            if let Err(e) = mapping_with(image, &["name", "newName", "newTag", "digest"]) {
                self.problem(subject, format!("{at}: {e}"));
            } else if image.get("name").and_then(|n| n.as_str()).is_none_or(str::is_empty) {
                self.problem(subject, format!("{at}.name: required"));
            }
        }
        for (i, c) in spec.components.iter().flatten().enumerate() {
            if c.starts_with('/') || c.contains("://") {
                self.problem(subject, format!("spec.components[{i}]: component path {c:?} must be local and relative"));
            }
        }
        if let Some(md) = &spec.common_metadata {
            match mapping_with(md, &["labels", "annotations"]) {
                Err(e) => self.problem(subject, format!("spec.commonMetadata: {e}")),
                Ok(()) => {
                    for field in ["labels", "annotations"] {
                        if let Some(m) = md.get(field)
                            && !m.as_object().is_some_and(|m| m.values().all(serde_json::Value::is_string))
                        {
                            self.problem(subject, format!("spec.commonMetadata.{field}: must map strings to strings"));
                        }
                    }
                }
            }
        }
        if let Some(pb) = &spec.post_build {
            if let Err(e) = mapping_with(pb, &["substitute", "substituteFrom"]) {
                self.problem(subject, format!("spec.postBuild: {e}"));
                return;
            }
            if let Some(m) = pb.get("substitute")
                && !m.as_object().is_some_and(|m| m.values().all(serde_json::Value::is_string))
            {
                self.problem(subject, "spec.postBuild.substitute: must map variable names to strings");
            }
            for (i, from) in pb.get("substituteFrom").and_then(|v| v.as_array()).into_iter().flatten().enumerate() {
                let at = format!("spec.postBuild.substituteFrom[{i}]");
                if let Err(e) = mapping_with(from, &["kind", "name", "optional"]) {
                    self.problem(subject, format!("{at}: {e}"));
                    continue;
                }
                let kind = from.get("kind").and_then(|k| k.as_str()).unwrap_or("");
                if kind != "ConfigMap" && kind != "Secret" {
                    self.problem(subject, format!("{at}.kind: {kind:?} must be ConfigMap or Secret"));
                }
                if from.get("name").and_then(|n| n.as_str()).is_none_or(str::is_empty) {
                    self.problem(subject, format!("{at}.name: required"));
                }
            }
        }
    }

    fn problem(&mut self, subject: &str, msg: impl fmt::Display) {
        self.problems.push(format!("{subject}: {msg}"));
    }

    fn unknown(&mut self, subject: &str, prefix: &str, unknown: &Unknown) {
        for k in unknown.keys() {
            self.problem(subject, format!("{prefix}{k}: unknown field"));
        }
    }

    fn duration(&mut self, subject: &str, field: &str, v: &Option<String>) -> Option<Duration> {
        let s = v.as_ref()?;
        match duration::parse(s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(subject, format!("{field}: {e}"));
                None
            }
        }
    }

    fn document(&mut self, doc: Value, origin: &str) {
        let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string();
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version.as_str()));
        match (kind.as_str(), group, version) {
            ("GitRepository", "source.toolkit.fluxcd.io", "v1" | "v1beta2") => {
                if let Some(d) = self.parse::<GitRepositorySpec>(doc, origin, &kind) {
                    self.git_repository(d);
                }
            }
            ("Kustomization", "kustomize.toolkit.fluxcd.io", "v1" | "v1beta2") => {
                if let Some(d) = self.parse::<KustomizationSpec>(doc, origin, &kind) {
                    self.kustomization(d);
                }
            }
            ("Receiver", "notification.toolkit.fluxcd.io", "v1") => {
                if let Some(d) = self.parse::<ReceiverSpec>(doc, origin, &kind) {
                    self.receiver(d);
                }
            }
            ("", _, _) | (_, _, "") => self.problem(origin, "apiVersion and kind are required"),
            _ => self.problem(
                origin,
                format!(
                    "{kind} ({api_version}) is not supported; a config holds GitRepository (source.toolkit.fluxcd.io/v1), \
                     Kustomization (kustomize.toolkit.fluxcd.io/v1) and Receiver (notification.toolkit.fluxcd.io/v1)"
                ),
            ),
        }
    }

    /// Deserializes one document; a type error names the field.
    fn parse<S: serde::de::DeserializeOwned>(&mut self, doc: Value, origin: &str, kind: &str) -> Option<Document<S>> {
        let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
        let ns = doc.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(DEFAULT_NAMESPACE).to_string();
        let subject = if name.is_empty() { format!("{origin}: {kind}") } else { format!("{kind} {ns}/{name}") };
        match serde_path_to_error::deserialize::<_, Document<S>>(doc) {
            Ok(d) => {
                if d.metadata.name.is_empty() {
                    self.problem(&subject, "metadata.name: required");
                    return None;
                }
                if !is_subdomain(&d.metadata.name) {
                    self.problem(&subject, "metadata.name: must be a lowercase RFC 1123 subdomain");
                }
                if let Some(ns) = &d.metadata.namespace
                    && !is_label(ns)
                {
                    self.problem(&subject, "metadata.namespace: must be a lowercase RFC 1123 label");
                }
                self.unknown(&subject, "", &d.unknown);
                self.unknown(&subject, "metadata.", &d.metadata.unknown);
                let key = ObjectKey::new(
                    d.metadata.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.into()),
                    d.metadata.name.clone(),
                );
                if !self.seen.insert((kind.to_string(), key.clone())) {
                    self.problem(&subject, "defined more than once");
                    return None;
                }
                if d.spec.is_none() {
                    self.problem(&subject, "spec: required");
                    return None;
                }
                Some(d)
            }
            Err(e) => {
                let path = e.path().to_string();
                self.problem(&subject, format!("{path}: {}", e.inner()));
                None
            }
        }
    }

    fn git_repository(&mut self, d: Document<GitRepositorySpec>) {
        let key =
            ObjectKey::new(d.metadata.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.into()), &d.metadata.name);
        let subject = format!("GitRepository {key}");
        let spec = d.spec.unwrap_or_default();
        self.unknown(&subject, "spec.", &spec.unknown);
        if spec.url.is_empty() {
            self.problem(&subject, "spec.url: required");
        } else if let Some(scp) = scp_style(&spec.url) {
            self.problem(&subject, format!("spec.url: {:?} is an scp-style address; write it as {scp}", spec.url));
        } else if !["http://", "https://", "ssh://", "file://", "git://"].iter().any(|p| spec.url.starts_with(p)) {
            self.problem(
                &subject,
                format!("spec.url: {:?} must start with http://, https://, ssh://, git:// or file://", spec.url),
            );
        }
        let interval = self.duration(&subject, "spec.interval", &spec.interval);
        if spec.interval.is_none() {
            self.problem(&subject, "spec.interval: required");
        }
        let timeout = self.duration(&subject, "spec.timeout", &spec.timeout).unwrap_or(Duration::from_secs(60));
        let r = spec.reference.clone().unwrap_or_default();
        self.unknown(&subject, "spec.ref.", &r.unknown);
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let reference = if let Some(commit) = nonempty(&r.commit) {
            GitReference::Commit { commit, branch: nonempty(&r.branch) }
        } else if let Some(name) = nonempty(&r.name) {
            GitReference::Name(name)
        } else if let Some(semver) = nonempty(&r.semver) {
            GitReference::Semver(semver)
        } else if let Some(tag) = nonempty(&r.tag) {
            GitReference::Tag(tag)
        } else {
            GitReference::Branch(nonempty(&r.branch).unwrap_or_else(|| "master".into()))
        };
        if let Some(s) = &spec.secret_ref
            && s.name.is_empty()
        {
            self.problem(&subject, "spec.secretRef.name: required");
        }
        let verify = spec.verify.as_ref().and_then(|v| self.verify(&subject, v));
        for (field, set) in [
            ("spec.include", spec.include.is_some()),
            ("spec.proxySecretRef", spec.proxy_secret_ref.is_some()),
            ("spec.recurseSubmodules", spec.recurse_submodules),
            ("spec.sparseCheckout", spec.sparse_checkout.is_some()),
        ] {
            if set {
                self.warnings.push(format!("{subject}: {field} is not supported yet and is ignored"));
            }
        }
        self.repo_labels.insert(key.clone(), d.metadata.labels.clone());
        let reconcile_everything = match d.metadata.annotations.get(super::PLAN_ANNOTATION).map(String::as_str) {
            None | Some("affected") => false,
            Some("everything") => true,
            Some(other) => {
                self.problem(
                    &subject,
                    format!(
                        "metadata.annotations[{}]: {other:?} must be \"affected\" or \"everything\"",
                        super::PLAN_ANNOTATION
                    ),
                );
                false
            }
        };
        {
            let interval = interval.unwrap_or_default();
            self.git_repositories.push(GitRepository {
                key,
                api_version: d.api_version,
                url: spec.url.clone(),
                secret_ref: spec.secret_ref.as_ref().map(|s| s.name.clone()),
                interval,
                timeout,
                reference,
                ignore: spec.ignore.clone(),
                verify,
                suspend: spec.suspend,
                reconcile_everything,
                spec,
            });
        }
    }

    /// `spec.verify`: a mode (default `HEAD`) and the Secret with trusted keys.
    fn verify(&mut self, subject: &str, v: &Value) -> Option<super::Verify> {
        let Some(m) = v.as_object() else {
            self.problem(subject, "spec.verify: must be a mapping");
            return None;
        };
        for k in m.keys().filter(|k| !["mode", "secretRef"].contains(&k.as_str())) {
            self.problem(subject, format!("spec.verify.{k}: unknown field"));
        }
        let mode = m.get("mode").and_then(Value::as_str).unwrap_or("HEAD").to_string();
        if !["HEAD", "head", "Tag", "TagAndHEAD"].contains(&mode.as_str()) {
            self.problem(subject, format!("spec.verify.mode: {mode:?} must be one of HEAD, Tag, TagAndHEAD"));
        }
        let secret = v.pointer("/secretRef/name").and_then(Value::as_str).unwrap_or_default().to_string();
        if secret.is_empty() {
            self.problem(subject, "spec.verify.secretRef.name: required (the Secret with *.asc and *.sshpub keys)");
            return None;
        }
        Some(super::Verify { mode, secret_ref: secret })
    }

    fn kustomization(&mut self, d: Document<KustomizationSpec>) {
        let key =
            ObjectKey::new(d.metadata.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.into()), &d.metadata.name);
        let subject = format!("Kustomization {key}");
        let spec = d.spec.unwrap_or_default();
        self.unknown(&subject, "spec.", &spec.unknown);
        let interval = self.duration(&subject, "spec.interval", &spec.interval);
        if spec.interval.is_none() {
            self.problem(&subject, "spec.interval: required");
        }
        let retry = self.duration(&subject, "spec.retryInterval", &spec.retry_interval);
        let timeout = self.duration(&subject, "spec.timeout", &spec.timeout);
        let prune = match spec.prune {
            Some(p) => p,
            None if d.api_version.ends_with("/v1") => {
                self.problem(&subject, "spec.prune: required");
                false
            }
            None => false,
        };
        let source = match &spec.source_ref {
            None => {
                self.problem(&subject, "spec.sourceRef: required");
                None
            }
            Some(s) => {
                self.unknown(&subject, "spec.sourceRef.", &s.unknown);
                if s.kind != "GitRepository" {
                    self.problem(
                        &subject,
                        format!(
                            "spec.sourceRef.kind: {:?} is not supported; driftless renders from GitRepository sources",
                            s.kind
                        ),
                    );
                }
                if s.name.is_empty() {
                    self.problem(&subject, "spec.sourceRef.name: required");
                }
                Some(ObjectKey::new(s.namespace.clone().unwrap_or_else(|| key.namespace.clone()), &s.name))
            }
        };
        let path = match normalize_path(spec.path.as_deref().unwrap_or("")) {
            Ok(p) => p,
            Err(e) => {
                self.problem(&subject, format!("spec.path: {e}"));
                String::new()
            }
        };
        if let Some(ns) = &spec.target_namespace
            && !is_label(ns)
        {
            self.problem(&subject, format!("spec.targetNamespace: {ns:?} must be a lowercase RFC 1123 label"));
        }
        let mut depends_on = Vec::new();
        for (i, dep) in spec.depends_on.iter().enumerate() {
            self.unknown(&subject, &format!("spec.dependsOn[{i}]."), &dep.unknown);
            if dep.name.is_empty() {
                self.problem(&subject, format!("spec.dependsOn[{i}].name: required"));
            }
            depends_on.push(ObjectKey::new(dep.namespace.clone().unwrap_or_else(|| key.namespace.clone()), &dep.name));
        }
        if let Some(p) = &spec.deletion_policy
            && !["MirrorPrune", "Delete", "WaitForTermination", "Orphan"].contains(&p.as_str())
        {
            self.problem(
                &subject,
                format!("spec.deletionPolicy: {p:?} must be one of MirrorPrune, Delete, WaitForTermination, Orphan"),
            );
        }
        self.render_options(&subject, &spec);
        for (field, set) in [
            ("spec.decryption", spec.decryption.is_some()),
            ("spec.kubeConfig", spec.kube_config.is_some()),
            ("spec.healthChecks", !spec.health_checks.is_empty()),
            ("spec.serviceAccountName", spec.service_account_name.is_some()),
            ("spec.patchesStrategicMerge", spec.patches_strategic_merge.is_some()),
            ("spec.patchesJson6902", spec.patches_json6902.is_some()),
        ] {
            if set {
                self.warnings.push(format!("{subject}: {field} is not supported yet and is ignored"));
            }
        }
        // Kept even when invalid, so references to and from it are still checked
        // (a config with any problem is refused as a whole).
        if let Some(source) = source {
            let interval = interval.unwrap_or_default();
            self.kustomizations.push(Kustomization {
                key,
                api_version: d.api_version,
                source,
                path,
                interval,
                retry_interval: retry.unwrap_or(interval),
                timeout: timeout.unwrap_or(interval),
                prune,
                target_namespace: spec.target_namespace.clone(),
                suspend: spec.suspend,
                force: spec.force,
                wait: spec.wait,
                depends_on,
                spec,
            });
        }
    }

    fn receiver(&mut self, d: Document<ReceiverSpec>) {
        let key =
            ObjectKey::new(d.metadata.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.into()), &d.metadata.name);
        let subject = format!("Receiver {key}");
        let spec = d.spec.unwrap_or_default();
        self.unknown(&subject, "spec.", &spec.unknown);
        let type_ = match spec.type_.as_str() {
            "github" => Some(ReceiverType::Github),
            "generic-hmac" => Some(ReceiverType::GenericHmac),
            "" => {
                self.problem(&subject, "spec.type: required");
                None
            }
            other => {
                self.problem(
                    &subject,
                    format!("spec.type: {other:?} is not supported yet (supported: github, generic-hmac)"),
                );
                None
            }
        };
        let secret = match &spec.secret_ref {
            Some(s) if !s.name.is_empty() => Some(s.name.clone()),
            _ => {
                self.problem(&subject, "spec.secretRef.name: required (the Secret's `token` signs and names the hook)");
                None
            }
        };
        if spec.resources.is_empty() {
            self.problem(&subject, "spec.resources: at least one resource is required");
        }
        if spec.resource_filter.is_some() {
            self.warnings.push(format!("{subject}: spec.resourceFilter is not supported yet and is ignored"));
        }
        if let (Some(type_), Some(secret_ref)) = (type_, secret) {
            let r = Receiver {
                key,
                type_,
                events: spec.events.clone(),
                resources: Vec::new(),
                secret_ref,
                suspend: spec.suspend,
            };
            self.pending_receivers.push((r, subject, spec.resources));
        }
    }

    /// Checks references between objects once all are known.
    fn cross_check(&mut self) {
        let all_repos: BTreeSet<ObjectKey> = self.repo_labels.keys().cloned().collect();
        let kustomizations: BTreeSet<ObjectKey> = self.kustomizations.iter().map(|k| k.key.clone()).collect();
        let mut problems = Vec::new();
        for k in &self.kustomizations {
            if !all_repos.contains(&k.source) {
                let ns = if k.source.namespace == k.key.namespace {
                    String::new()
                } else {
                    format!(" in namespace {}", k.source.namespace)
                };
                problems.push(format!(
                    "Kustomization {}: spec.sourceRef names GitRepository {}{ns}, which is not defined",
                    k.key, k.source.name
                ));
            }
            for dep in &k.depends_on {
                if !kustomizations.contains(dep) {
                    problems.push(format!(
                        "Kustomization {}: spec.dependsOn names Kustomization {dep}, which is not defined",
                        k.key
                    ));
                }
            }
        }
        if let Some(cycle) = find_cycle(&self.kustomizations) {
            let names: Vec<String> = cycle.iter().map(|k| k.to_string()).collect();
            problems.push(format!("Kustomization {}: spec.dependsOn forms a cycle: {}", cycle[0], names.join(" -> ")));
        }
        for (mut r, subject, resources) in std::mem::take(&mut self.pending_receivers) {
            for (i, res) in resources.iter().enumerate() {
                for k in res.unknown.keys() {
                    problems.push(format!("{subject}: spec.resources[{i}].{k}: unknown field"));
                }
                if res.kind != "GitRepository" {
                    problems.push(format!(
                        "{subject}: spec.resources[{i}].kind: {:?} is not supported; receivers trigger GitRepository objects",
                        res.kind
                    ));
                    continue;
                }
                let ns = res.namespace.clone().unwrap_or_else(|| r.key.namespace.clone());
                if res.name == "*" {
                    let labels = res.match_labels.clone().unwrap_or_default();
                    r.resources.extend(
                        self.repo_labels
                            .iter()
                            .filter(|(k, l)| k.namespace == ns && labels.iter().all(|(lk, lv)| l.get(lk) == Some(lv)))
                            .map(|(k, _)| k.clone()),
                    );
                } else {
                    let key = ObjectKey::new(ns, &res.name);
                    if all_repos.contains(&key) {
                        r.resources.push(key);
                    } else {
                        problems.push(format!(
                            "{subject}: spec.resources[{i}] names GitRepository {}, which is not defined",
                            key.name
                        ));
                    }
                }
            }
            self.receivers.push(r);
        }
        self.problems.extend(problems);
    }
}

/// An scp-style address (`git@host:org/repo`) and its ssh:// form.
fn scp_style(url: &str) -> Option<String> {
    if url.contains("://") {
        return None;
    }
    let (user_host, path) = url.split_once(':')?;
    if user_host.is_empty() || path.is_empty() || user_host.contains('/') {
        return None;
    }
    Some(format!("ssh://{user_host}/{}", path.trim_start_matches('/')))
}

/// Normalises a repository path (`./clusters/dev/` → `clusters/dev`); refuses
/// absolute paths and paths that leave the repository.
pub fn normalize_path(p: &str) -> Result<String, String> {
    if p.starts_with('/') {
        return Err(format!("{p:?} must be relative to the repository root"));
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("{p:?} leaves the repository"));
                }
            }
            s => parts.push(s),
        }
    }
    Ok(parts.join("/"))
}

/// A dependsOn cycle, if any (its members in order, the first repeated last).
fn find_cycle(ks: &[Kustomization]) -> Option<Vec<ObjectKey>> {
    let deps: BTreeMap<&ObjectKey, &Vec<ObjectKey>> = ks.iter().map(|k| (&k.key, &k.depends_on)).collect();
    fn visit<'a>(
        k: &'a ObjectKey,
        deps: &BTreeMap<&'a ObjectKey, &'a Vec<ObjectKey>>,
        stack: &mut Vec<&'a ObjectKey>,
        done: &mut BTreeSet<&'a ObjectKey>,
    ) -> Option<Vec<ObjectKey>> {
        if let Some(pos) = stack.iter().position(|s| *s == k) {
            let mut cycle: Vec<ObjectKey> = stack[pos..].iter().map(|s| (*s).clone()).collect();
            cycle.push(k.clone());
            return Some(cycle);
        }
        if done.contains(k) {
            return None;
        }
        stack.push(k);
        for d in deps.get(k).map(|v| v.iter()).into_iter().flatten() {
            if let Some(c) = visit(d, deps, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(k);
        None
    }
    let mut done = BTreeSet::new();
    for k in deps.keys() {
        if let Some(c) = visit(k, &deps, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Objects as Flux's documentation shows them.
    const FLUX_EXAMPLE: &str = r#"
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: cluster-config
  namespace: flux-system
spec:
  interval: 1m0s
  url: https://github.com/example/cluster-config
  ref:
    branch: main
  secretRef:
    name: https-credentials
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: dev-cluster-apps
  namespace: flux-system
spec:
  interval: 5m0s
  path: ./clusters/dev
  prune: true
  sourceRef:
    kind: GitRepository
    name: cluster-config
  targetNamespace: apps
  timeout: 1m
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: github-receiver
  namespace: flux-system
spec:
  type: github
  events:
    - "ping"
    - "push"
  secretRef:
    name: receiver-token
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: GitRepository
      name: cluster-config
"#;

    #[test]
    fn flux_documentation_examples_load() {
        let c = load_str(FLUX_EXAMPLE, "config.yaml").unwrap();
        let g = &c.git_repositories[0];
        assert_eq!(g.key.to_string(), "flux-system/cluster-config");
        assert_eq!(g.interval, Duration::from_secs(60));
        assert_eq!(g.timeout, Duration::from_secs(60));
        assert_eq!(g.reference, GitReference::Branch("main".into()));
        assert_eq!(g.secret_ref.as_deref(), Some("https-credentials"));
        let k = &c.kustomizations[0];
        assert_eq!(k.path, "clusters/dev");
        assert!(k.prune);
        assert_eq!(k.source, g.key);
        assert_eq!(k.target_namespace.as_deref(), Some("apps"));
        assert_eq!(k.timeout, Duration::from_secs(60));
        assert_eq!(k.retry_interval, Duration::from_secs(300));
        let r = &c.receivers[0];
        assert_eq!(r.type_, ReceiverType::Github);
        assert_eq!(r.resources, vec![g.key.clone()]);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn every_problem_is_listed_with_object_and_field() {
        let text = FLUX_EXAMPLE
            .replace("name: cluster-config\n  namespace", "name: other\n  namespace")
            .replace("  interval: 5m0s\n", "  interval: 5 minutes\n  intervall: 5m\n")
            + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
        let err = load_str(&text, "config.yaml").unwrap_err();
        let all = err.to_string();
        for needle in [
            "Kustomization flux-system/dev-cluster-apps: spec.sourceRef names GitRepository cluster-config, which is not defined",
            "Kustomization flux-system/dev-cluster-apps: spec.intervall: unknown field",
            "Kustomization flux-system/dev-cluster-apps: spec.interval: invalid duration \"5 minutes\"",
            "Receiver flux-system/github-receiver: spec.resources[0] names GitRepository cluster-config, which is not defined",
            "config.yaml: document 4: ConfigMap (v1) is not supported",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in\n{all}");
        }
    }

    #[test]
    fn verify_is_read_with_its_default_mode() {
        let text = FLUX_EXAMPLE
            .replace("  secretRef:\n    name: https-credentials\n", "  verify:\n    secretRef:\n      name: keys\n");
        let c = load_str(&text, "c.yaml").unwrap();
        assert_eq!(
            c.git_repositories[0].verify,
            Some(crate::api::Verify { mode: "HEAD".into(), secret_ref: "keys".into() })
        );
        let bad = FLUX_EXAMPLE.replace("  secretRef:\n    name: https-credentials\n", "  verify:\n    mode: always\n");
        let err = load_str(&bad, "c.yaml").unwrap_err().to_string();
        assert!(
            err.contains("spec.verify.mode: \"always\" must be one of")
                && err.contains("spec.verify.secretRef.name: required"),
            "{err}"
        );
    }

    #[test]
    fn the_plan_annotation_chooses_how_revisions_are_planned() {
        let c = load_str(FLUX_EXAMPLE, "config.yaml").unwrap();
        assert!(!c.git_repositories[0].reconcile_everything, "planned by default");
        let annotate = |value: &str| {
            FLUX_EXAMPLE.replacen(
                "kind: GitRepository\nmetadata:\n",
                &format!("kind: GitRepository\nmetadata:\n  annotations:\n    driftless.dev/plan: {value}\n"),
                1,
            )
        };
        assert!(load_str(&annotate("everything"), "c.yaml").unwrap().git_repositories[0].reconcile_everything);
        assert!(!load_str(&annotate("affected"), "c.yaml").unwrap().git_repositories[0].reconcile_everything);
        let err = load_str(&annotate("sometimes"), "c.yaml").unwrap_err().to_string();
        assert!(
            err.contains(
                "metadata.annotations[driftless.dev/plan]: \"sometimes\" must be \"affected\" or \"everything\""
            ),
            "{err}"
        );
    }

    #[test]
    fn type_errors_name_the_field() {
        let text = FLUX_EXAMPLE.replace("prune: true", "prune: \"yes\"");
        let err = load_str(&text, "c.yaml").unwrap_err().to_string();
        assert!(err.contains("Kustomization flux-system/dev-cluster-apps: spec.prune: invalid type"), "{err}");
    }

    #[test]
    fn refs_follow_flux_precedence_and_scp_urls_are_refused() {
        let text =
            FLUX_EXAMPLE.replace("    branch: main\n", "    branch: main\n    tag: v1.0.0\n    semver: \">=1.0.0\"\n");
        let c = load_str(&text, "c.yaml").unwrap();
        assert_eq!(c.git_repositories[0].reference, GitReference::Semver(">=1.0.0".into()));
        let text =
            FLUX_EXAMPLE.replace("https://github.com/example/cluster-config", "git@github.com:example/cluster-config");
        let err = load_str(&text, "c.yaml").unwrap_err().to_string();
        assert!(err.contains("write it as ssh://git@github.com/example/cluster-config"), "{err}");
    }

    #[test]
    fn paths_may_not_leave_the_repository_and_cycles_are_refused() {
        assert_eq!(normalize_path("./clusters/dev/").unwrap(), "clusters/dev");
        assert_eq!(normalize_path("a/../b").unwrap(), "b");
        assert!(normalize_path("../x").is_err());
        assert!(normalize_path("/etc").is_err());
        let text = FLUX_EXAMPLE.replace(
            "  targetNamespace: apps\n",
            "  targetNamespace: apps\n  dependsOn:\n  - name: dev-cluster-apps\n",
        );
        let err = load_str(&text, "c.yaml").unwrap_err().to_string();
        assert!(err.contains("forms a cycle"), "{err}");
    }
}
