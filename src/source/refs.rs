//! What each kind of [`Reference`] fetches and which [`Revision`] it names, with Flux's semantics.
//!
//! Revision strings are Flux's: source-controller names an artifact with `commitReference()`
//! (`internal/controller/gitrepository_controller.go`), which is `git.Commit.AbsoluteReference()` for
//! `spec.ref.name` and `git.Commit.String()` otherwise (`fluxcd/pkg/git/git.go`). `String()` is the ref name
//! without its `refs/<kind>/` prefix, `@`, and the digest; a commit without a ref is the digest alone. So:
//!
//! | `spec.ref`           | fetched                                  | revision                         |
//! |----------------------|------------------------------------------|----------------------------------|
//! | `branch: main`       | `refs/heads/main`                        | `main@sha1:<hex>`                |
//! | `tag: v1.2.3`        | `refs/tags/v1.2.3`, annotated tags peeled | `v1.2.3@sha1:<commit hex>`       |
//! | `semver: ^1.2`       | the highest matching tag                 | `v1.4.0@sha1:<commit hex>`       |
//! | `name: refs/pull/42/head` | that ref                            | `refs/pull/42/head@sha1:<hex>`   |
//! | `commit` + `branch`  | the branch, whose history must contain it | `main@sha1:<commit hex>`         |
//! | `commit` alone       | the commit by id                         | `sha1:<commit hex>`              |
//!
//! Every ref is fetched under its own name into the mirror (`+refs/heads/main:refs/heads/main`), no other tags.
//! A ref's first fetch is shallow (depth 1); later fetches of it are incremental (only the new commits), which
//! keeps the history since the first fetch for the checks that need it (a pinned commit's branch, an announced
//! commit being contained in the tip). Pinned commits are held by refs under `refs/driftless/commits/`.

mod semver;

use std::collections::{HashSet, VecDeque};

use gix::ObjectId;
use gix::remote::fetch::Shallow;

use self::semver::{Range, Version};
use super::fetch::{Failure, FailureKind, Session};
use super::mirror::chain;
use super::{Reference, Revision, SourceError};

/// Where the mirror keeps refs of its own for pinned commits (`spec.ref.commit`).
pub(crate) const COMMIT_REFS: &str = "refs/driftless/commits/";

/// How many tags a "no tag matches" error lists.
const LISTED_TAGS: usize = 10;

/// A reference resolved in the mirror.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The revision, named as Flux names it.
    pub revision: Revision,
    /// The local refs that hold what the revision needs; compaction keeps them.
    pub refs: Vec<String>,
}

/// Whether a commit's history contains another commit, as far as the mirror can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Containment {
    /// It does.
    Yes,
    /// It does not: the whole history was walked.
    No,
    /// Not found in the history the mirror has, which is cut off (shallow).
    Unknown,
}

/// Checks a reference's fields before anything is fetched; the error names the field to change.
pub(crate) fn validate(reference: &Reference) -> Result<(), SourceError> {
    match reference {
        Reference::Branch(branch) => check_name("spec.ref.branch", branch, &format!("refs/heads/{branch}")),
        Reference::Tag(tag) => check_name("spec.ref.tag", tag, &format!("refs/tags/{tag}")),
        Reference::Semver(range) => {
            if range.trim().is_empty() {
                return Err(SourceError::InvalidSemver { range: range.clone(), reason: "it is empty".to_string() });
            }
            Range::parse(range).map(drop).map_err(|reason| SourceError::InvalidSemver { range: range.clone(), reason })
        }
        Reference::Name(name) => {
            if !name.starts_with("refs/") {
                return Err(invalid(
                    "spec.ref.name",
                    name,
                    "a full ref name starts with refs/, like refs/pull/42/head",
                ));
            }
            check_name("spec.ref.name", name, name)
        }
        Reference::Commit { commit, branch } => {
            if !super::revision::is_hex_id(commit) {
                return Err(invalid("spec.ref.commit", commit, "expected a full commit id (40 hex digits)"));
            }
            match branch {
                Some(branch) => check_name("spec.ref.branch", branch, &format!("refs/heads/{branch}")),
                None => Ok(()),
            }
        }
    }
}

/// `value` must be non-empty and `full_name` a valid git ref name.
fn check_name(field: &str, value: &str, full_name: &str) -> Result<(), SourceError> {
    if value.is_empty() {
        return Err(invalid(field, value, "it is empty"));
    }
    match gix::refs::FullName::try_from(full_name) {
        Ok(_) => Ok(()),
        Err(err) => Err(invalid(field, value, &format!("not a valid git ref name ({err})"))),
    }
}

fn invalid(field: &str, value: &str, reason: &str) -> SourceError {
    SourceError::InvalidRef { field: field.to_string(), value: value.to_string(), reason: reason.to_string() }
}

/// Fetches what `reference` needs into `repo` and names the revision. `reference` must be [`validate`]d.
pub(crate) fn resolve(session: &Session, repo: &gix::Repository, reference: &Reference) -> Result<Resolved, Failure> {
    let url = || session.url().to_string();
    match reference {
        Reference::Branch(branch) => {
            let name = format!("refs/heads/{branch}");
            let commit = fetch_ref(session, repo, &name)?
                .ok_or_else(|| SourceError::BranchNotFound { branch: branch.clone(), url: url() })?;
            Ok(resolved(branch, commit, vec![name]))
        }
        Reference::Tag(tag) => {
            let name = format!("refs/tags/{tag}");
            let commit = fetch_ref(session, repo, &name)?
                .ok_or_else(|| SourceError::TagNotFound { tag: tag.clone(), url: url() })?;
            Ok(resolved(tag, commit, vec![name]))
        }
        Reference::Name(name) => {
            let commit = fetch_ref(session, repo, name)?
                .ok_or_else(|| SourceError::RefNotFound { name: name.clone(), url: url() })?;
            Ok(resolved(name, commit, vec![name.clone()]))
        }
        Reference::Semver(range) => semver(session, repo, range),
        Reference::Commit { commit, branch: Some(branch) } => commit_on_branch(session, repo, commit, branch),
        Reference::Commit { commit, branch: None } => commit_by_id(session, repo, commit),
    }
}

fn resolved(name: &str, commit: ObjectId, refs: Vec<String>) -> Resolved {
    Resolved { revision: Revision { name: name.to_string(), commit: commit.to_string() }, refs }
}

/// Fetches `+name:name` and returns the commit it points to (annotated tags peeled), or `None` when the remote
/// has no such ref. The first fetch of a ref is shallow, later ones incremental.
fn fetch_ref(session: &Session, repo: &gix::Repository, name: &str) -> Result<Option<ObjectId>, Failure> {
    let shallow = if local_ref(repo, name).is_some() { Shallow::NoChange } else { depth_one() };
    fetch_ref_with(session, repo, name, shallow)
}

/// [`fetch_ref`] with an explicit depth.
fn fetch_ref_with(
    session: &Session,
    repo: &gix::Repository,
    name: &str,
    shallow: Shallow,
) -> Result<Option<ObjectId>, Failure> {
    let matched = session.fetch(repo, &[format!("+{name}:{name}")], shallow)?;
    if matched.is_empty() {
        return Ok(None);
    }
    let id =
        local_ref(repo, name).ok_or_else(|| local_failure(session, format!("{name} is missing after the fetch")))?;
    commit_of(session, repo, name, id).map(Some)
}

/// Only the commit a ref points to, and its tree.
fn depth_one() -> Shallow {
    Shallow::DepthAtRemote(std::num::NonZeroU32::MIN)
}

/// The object the local ref `name` points to, peeled through symbolic refs and annotated tags.
pub(crate) fn local_ref(repo: &gix::Repository, name: &str) -> Option<ObjectId> {
    let mut reference = repo.try_find_reference(name).ok().flatten()?;
    reference.peel_to_id().ok().map(|id| id.detach())
}

/// `id` (what `name` points to), which must be a commit.
fn commit_of(session: &Session, repo: &gix::Repository, name: &str, id: ObjectId) -> Result<ObjectId, Failure> {
    let header =
        repo.find_header(id).map_err(|e| local_failure(session, format!("cannot read {name}: {}", chain(&e))))?;
    if header.kind() != gix::object::Kind::Commit {
        return Err(Failure::permanent(SourceError::Fetch {
            reference: name.to_string(),
            url: session.url().to_string(),
            detail: format!("{name} points to a {}, not a commit", header.kind()),
        }));
    }
    Ok(id)
}

/// A failure of the mirror itself while reading what a fetch wrote.
fn local_failure(session: &Session, detail: String) -> Failure {
    Failure {
        error: SourceError::Fetch { reference: "the mirror".to_string(), url: session.url().to_string(), detail },
        kind: FailureKind::Local,
    }
}

/// `spec.ref.semver`: lists the remote's tags (names only), picks the highest version in the range, fetches that
/// tag. Among tags of equal precedence (`v1.0.0` and `1.0.0`, or differing in build metadata only) the one whose
/// commit is newest wins, as in Flux.
fn semver(session: &Session, repo: &gix::Repository, range_text: &str) -> Result<Resolved, Failure> {
    let range = Range::parse(range_text)
        .map_err(|reason| SourceError::InvalidSemver { range: range_text.to_string(), reason })?;
    let tags: Vec<String> = session
        .list(repo, "refs/tags/*:refs/tags/*")?
        .into_iter()
        .filter_map(|r| r.name.strip_prefix("refs/tags/").map(str::to_string))
        .collect();
    let mut versions: Vec<(Version, String)> =
        tags.iter().filter_map(|tag| Version::parse_tag(tag).map(|v| (v, tag.clone()))).collect();
    versions.sort_by(|(a, a_name), (b, b_name)| b.compare(a).then_with(|| b_name.cmp(a_name)));
    let matching: Vec<&(Version, String)> = versions.iter().filter(|(v, _)| range.matches(v)).collect();
    let Some((highest, _)) = matching.first() else {
        return Err(Failure::permanent(SourceError::SemverNoMatch {
            range: range_text.to_string(),
            url: session.url().to_string(),
            tags: versions.iter().take(LISTED_TAGS).map(|(_, tag)| tag.clone()).collect(),
            total: tags.len(),
        }));
    };
    let tied: Vec<&String> = matching.iter().filter(|(v, _)| v.compare(highest).is_eq()).map(|(_, tag)| tag).collect();
    let names: Vec<String> = tied.iter().map(|tag| format!("refs/tags/{tag}")).collect();
    let shallow =
        if names.iter().all(|name| local_ref(repo, name).is_some()) { Shallow::NoChange } else { depth_one() };
    let refspecs: Vec<String> = names.iter().map(|name| format!("+{name}:{name}")).collect();
    session.fetch(repo, &refspecs, shallow)?;
    let mut candidates = Vec::new();
    for (tag, name) in tied.iter().zip(&names) {
        if let Some(id) = local_ref(repo, name) {
            let commit = commit_of(session, repo, name, id)?;
            candidates.push((commit_time(repo, commit), tag.to_string(), name.clone(), commit));
        }
    }
    candidates.sort();
    let (_, tag, name, commit) = candidates.pop().ok_or_else(|| {
        Failure::permanent(SourceError::TagNotFound { tag: tied[0].clone(), url: session.url().to_string() })
    })?;
    Ok(resolved(&tag, commit, vec![name]))
}

/// The committer time of `commit`, 0 if unreadable.
fn commit_time(repo: &gix::Repository, commit: ObjectId) -> i64 {
    repo.find_commit(commit).ok().and_then(|c| c.time().ok()).map_or(0, |t| t.seconds)
}

/// `spec.ref.commit` with `spec.ref.branch`: fetches the branch and checks that its history contains the commit,
/// deepening the branch's history if the mirror's is cut off before finding it.
fn commit_on_branch(
    session: &Session,
    repo: &gix::Repository,
    commit: &str,
    branch: &str,
) -> Result<Resolved, Failure> {
    let id = parse_commit(commit)?;
    let branch_ref = format!("refs/heads/{branch}");
    let not_found = || SourceError::BranchNotFound { branch: branch.to_string(), url: session.url().to_string() };
    let mut tip = fetch_ref(session, repo, &branch_ref)?.ok_or_else(not_found)?;
    let mut found = contains(repo, tip, id);
    if found == Containment::Unknown {
        tip = fetch_ref_with(session, repo, &branch_ref, Shallow::undo())?.ok_or_else(not_found)?;
        found = contains(repo, tip, id);
    }
    if found != Containment::Yes {
        return Err(Failure::permanent(SourceError::CommitNotOnBranch {
            commit: commit.to_string(),
            branch: branch.to_string(),
            url: session.url().to_string(),
        }));
    }
    let pin = pin_commit(session, repo, id)?;
    Ok(resolved(branch, id, vec![branch_ref, pin]))
}

/// `spec.ref.commit` alone: the commit by id (nothing to fetch when the mirror has it: commits never change).
/// A server that refuses wants by id is asked for all its branches instead, with history, and the commit
/// looked for there.
fn commit_by_id(session: &Session, repo: &gix::Repository, commit: &str) -> Result<Resolved, Failure> {
    let id = parse_commit(commit)?;
    if !is_commit(repo, id) {
        let pin = format!("{COMMIT_REFS}{id}");
        match session.fetch(repo, &[format!("{id}:{pin}")], depth_one()) {
            Ok(_) => {}
            // Servers word the refusal differently (`not our ref`, or an error line where a pack was expected).
            Err(failure)
                if failure.kind == FailureKind::WantRefused || matches!(failure.error, SourceError::Fetch { .. }) =>
            {
                session.fetch(repo, &["+refs/heads/*:refs/heads/*".to_string()], Shallow::undo())?;
            }
            Err(failure) => return Err(failure),
        }
        if !is_commit(repo, id) {
            return Err(Failure::permanent(SourceError::CommitNotOnRemote {
                commit: commit.to_string(),
                url: session.url().to_string(),
            }));
        }
    }
    let pin = pin_commit(session, repo, id)?;
    Ok(Resolved { revision: Revision { name: String::new(), commit: id.to_string() }, refs: vec![pin] })
}

fn parse_commit(commit: &str) -> Result<ObjectId, Failure> {
    ObjectId::from_hex(commit.to_ascii_lowercase().as_bytes()).map_err(|_| {
        Failure::permanent(invalid("spec.ref.commit", commit, "expected a full commit id (40 hex digits)"))
    })
}

/// Whether the mirror has `id` as a commit.
pub(crate) fn is_commit(repo: &gix::Repository, id: ObjectId) -> bool {
    repo.try_find_header(id).ok().flatten().is_some_and(|h| h.kind() == gix::object::Kind::Commit)
}

/// Points `refs/driftless/commits/<id>` at `id`, so that the commit survives compaction; returns the ref name.
fn pin_commit(session: &Session, repo: &gix::Repository, id: ObjectId) -> Result<String, Failure> {
    let name = format!("{COMMIT_REFS}{id}");
    if local_ref(repo, &name) != Some(id) {
        set_ref(repo, &name, id).map_err(|detail| local_failure(session, detail))?;
    }
    Ok(name)
}

/// Creates or moves the local ref `name` to `id`.
pub(crate) fn set_ref(repo: &gix::Repository, name: &str, id: ObjectId) -> Result<(), String> {
    repo.reference(name, id, gix::refs::transaction::PreviousValue::Any, "driftless: pin")
        .map(drop)
        .map_err(|e| format!("cannot write {name}: {}", chain(&e)))
}

/// Whether `target` is `tip` or one of its ancestors, walking the history the mirror has.
pub(crate) fn contains(repo: &gix::Repository, tip: ObjectId, target: ObjectId) -> Containment {
    if tip == target {
        return Containment::Yes;
    }
    let shallow: HashSet<ObjectId> =
        repo.shallow_commits().ok().flatten().map(|commits| commits.iter().copied().collect()).unwrap_or_default();
    let mut seen = HashSet::from([tip]);
    let mut queue = VecDeque::from([tip]);
    let mut cut_off = false;
    while let Some(id) = queue.pop_front() {
        if shallow.contains(&id) {
            cut_off = true;
            continue;
        }
        let Ok(commit) = repo.find_commit(id) else {
            cut_off = true;
            continue;
        };
        for parent in commit.parent_ids() {
            let parent = parent.detach();
            if parent == target {
                return Containment::Yes;
            }
            if seen.insert(parent) {
                queue.push_back(parent);
            }
        }
    }
    if cut_off { Containment::Unknown } else { Containment::No }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field_to_change() {
        let err = validate(&Reference::Branch("bad..name".into())).unwrap_err();
        assert!(err.to_string().starts_with("invalid spec.ref.branch \"bad..name\""), "{err}");
        let err = validate(&Reference::Tag(String::new())).unwrap_err();
        assert_eq!(err.to_string(), "invalid spec.ref.tag \"\": it is empty");
        let err = validate(&Reference::Name("pull/42/head".into())).unwrap_err();
        assert!(err.to_string().contains("starts with refs/"), "{err}");
        let err = validate(&Reference::Commit { commit: "abc".into(), branch: None }).unwrap_err();
        assert!(err.to_string().starts_with("invalid spec.ref.commit \"abc\""), "{err}");
        let err = validate(&Reference::Semver(">= nope".into())).unwrap_err();
        assert!(err.to_string().contains("spec.ref.semver"), "{err}");
        for ok in [
            Reference::Branch("feature/x".into()),
            Reference::Tag("v1.2.3".into()),
            Reference::Semver(">=1.0.0 <2.0.0".into()),
            Reference::Name("refs/pull/42/head".into()),
            Reference::Commit {
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                branch: Some("main".into()),
            },
        ] {
            validate(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }
}
