//! Every kind of `spec.ref` against real git, with the revision string Flux writes for it:
//! `main@sha1:<hex>`, `v1.2.3@sha1:<hex>`, `refs/pull/1/head@sha1:<hex>`, `sha1:<hex>`.
//! Fetched over `file://` and over smart HTTP (`git http-backend`, protocol v2, and v0 which refuses wants by id).

mod source_support;

use std::time::Duration;

use driftless::source::{Fetched, Mirror, Reference, Revision, SourceError};
use source_support::*;

/// A mirror of `origin` under a fresh data directory.
fn mirror_of(url: &str) -> (tempfile::TempDir, Mirror) {
    let data = data_dir();
    let mirror = Mirror::open(data.path(), url).expect("open");
    (data, mirror)
}

/// Fetches `reference`, which must succeed without a warning.
fn fetch(mirror: &Mirror, url: &str, reference: Reference) -> Revision {
    let Fetched { revision, warning } =
        mirror.fetch(&remote(url, reference.clone())).unwrap_or_else(|e| panic!("{reference}: {e}"));
    assert_eq!(warning, None, "{reference}");
    revision
}

fn fetch_err(mirror: &Mirror, url: &str, reference: Reference) -> SourceError {
    mirror.fetch(&remote(url, reference)).expect_err("the fetch fails")
}

/// The refs in the mirror.
fn mirror_refs(mirror: &Mirror) -> Vec<String> {
    let refs = run(git(mirror.path()).args(["for-each-ref", "--format=%(refname)"]));
    refs.lines().map(str::to_string).collect()
}

fn semver(range: &str) -> Reference {
    Reference::Semver(range.to_string())
}

// ---------------------------------------------------------------- branches

#[test]
fn a_branch_is_named_by_its_short_name() {
    let origin = gitops_origin();
    origin.git(&["checkout", "-q", "-b", "feature/x"]);
    let feature = origin.change("feature.txt", "f\n");
    origin.git(&["checkout", "-q", "main"]);
    let (_data, mirror) = mirror_of(&origin.url());

    let main = fetch(&mirror, &origin.url(), Reference::Branch("main".into()));
    assert_eq!(main.to_string(), format!("main@sha1:{}", origin.rev_parse("main")));
    let feature_revision = fetch(&mirror, &origin.url(), Reference::Branch("feature/x".into()));
    assert_eq!(feature_revision.to_string(), format!("feature/x@sha1:{feature}"));
    assert_eq!(feature_revision.to_string().parse::<Revision>().expect("parses"), feature_revision);
    assert_eq!(mirror_refs(&mirror), ["refs/heads/feature/x", "refs/heads/main"]);
}

#[test]
fn a_deleted_branch_is_an_error() {
    let origin = gitops_origin();
    origin.git(&["branch", "release"]);
    let (_data, mirror) = mirror_of(&origin.url());
    fetch(&mirror, &origin.url(), Reference::Branch("release".into()));

    origin.git(&["branch", "-D", "release"]);
    let err = fetch_err(&mirror, &origin.url(), Reference::Branch("release".into()));
    assert!(matches!(err, SourceError::BranchNotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("branch \"release\" not found in {}: check spec.ref.branch, or push the branch", origin.url())
    );
}

#[test]
fn a_force_push_moves_the_branch_and_the_diff_sees_it() {
    let origin = gitops_origin();
    let base = origin.rev_parse("main");
    let old = origin.change("a.txt", "a\n");
    let (_data, mirror) = mirror_of(&origin.url());
    assert_eq!(fetch(&mirror, &origin.url(), Reference::Branch("main".into())).commit, old);

    origin.git(&["reset", "-q", "--hard", &base]);
    let rewritten = origin.change("b.txt", "b\n");
    let revision = fetch(&mirror, &origin.url(), Reference::Branch("main".into()));
    assert_eq!(revision.commit, rewritten);
    // The rewritten history's tree is compared with the old tip's, which the mirror still has.
    assert_eq!(mirror.changed_paths(&old, &rewritten).expect("diff"), ["a.txt", "b.txt"]);
}

// ---------------------------------------------------------------- tags

#[test]
fn lightweight_and_annotated_tags_name_the_commit() {
    let origin = gitops_origin();
    let tagged = origin.rev_parse("main");
    origin.git(&["tag", "v1.0.0"]);
    origin.git(&["tag", "-a", "-m", "release 1.1", "v1.1.0"]);
    origin.git(&["tag", "-a", "-m", "nested", "release/2024-01"]);
    origin.change("later.txt", "later\n");
    let (_data, mirror) = mirror_of(&origin.url());

    let light = fetch(&mirror, &origin.url(), Reference::Tag("v1.0.0".into()));
    assert_eq!(light.to_string(), format!("v1.0.0@sha1:{tagged}"));
    // The annotated tag is peeled: the revision names the commit, not the tag object.
    let annotated = fetch(&mirror, &origin.url(), Reference::Tag("v1.1.0".into()));
    assert_ne!(origin.rev_parse("refs/tags/v1.1.0"), tagged, "an annotated tag is an object of its own");
    assert_eq!(annotated.to_string(), format!("v1.1.0@sha1:{tagged}"));
    let nested = fetch(&mirror, &origin.url(), Reference::Tag("release/2024-01".into()));
    assert_eq!(nested.to_string(), format!("release/2024-01@sha1:{tagged}"));
    assert!(mirror.tree(&tagged).expect("tree").kind("README.md").is_some());
    // Only the tags asked for are fetched, under their own names.
    assert_eq!(mirror_refs(&mirror), ["refs/tags/release/2024-01", "refs/tags/v1.0.0", "refs/tags/v1.1.0"]);
}

#[test]
fn a_vanished_tag_is_an_error_and_a_moved_tag_is_followed() {
    let origin = gitops_origin();
    origin.git(&["tag", "stable"]);
    origin.git(&["tag", "v1.0.0"]);
    let (_data, mirror) = mirror_of(&origin.url());
    fetch(&mirror, &origin.url(), Reference::Tag("v1.0.0".into()));
    fetch(&mirror, &origin.url(), Reference::Tag("stable".into()));

    origin.git(&["tag", "-d", "v1.0.0"]);
    let err = fetch_err(&mirror, &origin.url(), Reference::Tag("v1.0.0".into()));
    assert!(matches!(err, SourceError::TagNotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("tag \"v1.0.0\" not found in {}: check spec.ref.tag, or push the tag", origin.url())
    );

    let moved = origin.change("next.txt", "next\n");
    origin.git(&["tag", "-f", "-a", "-m", "moved", "stable"]);
    assert_eq!(fetch(&mirror, &origin.url(), Reference::Tag("stable".into())).commit, moved);
}

// ---------------------------------------------------------------- semver

/// An origin with tags v1.0.0, v1.1.0 (annotated), 1.1.5 (no v), v1.2.0-rc.1, v2.0.0, and non-versions.
fn tagged_origin() -> (Origin, std::collections::BTreeMap<&'static str, String>) {
    let origin = gitops_origin();
    let mut commits = std::collections::BTreeMap::new();
    for (tag, annotated) in
        [("v1.0.0", false), ("v1.1.0", true), ("1.1.5", false), ("v1.2.0-rc.1", false), ("v2.0.0", true)]
    {
        let commit = origin.change("version.txt", &format!("{tag}\n"));
        if annotated {
            origin.git(&["tag", "-a", "-m", tag, tag]);
        } else {
            origin.git(&["tag", tag]);
        }
        commits.insert(tag, commit);
    }
    origin.git(&["tag", "latest"]);
    origin.git(&["tag", "v3.0"]);
    (origin, commits)
}

#[test]
fn semver_picks_the_highest_matching_tag() {
    let (origin, commits) = tagged_origin();
    let (_data, mirror) = mirror_of(&origin.url());
    for (range, expected) in [
        (">=1.0.0 <2.0.0", "1.1.5"),
        (">=1.0.0, <1.1.5", "v1.1.0"),
        ("~1.0", "v1.0.0"),
        ("^1", "1.1.5"),
        ("^1.1", "1.1.5"),
        ("1.x", "1.1.5"),
        ("1.1.x", "1.1.5"),
        ("*", "v2.0.0"),
        ("1.0 - 1.1.0", "v1.1.0"),
        ("<1.1.0 || >=2.0.0", "v2.0.0"),
        ("<1.1.0 || =1.1.5", "1.1.5"),
        ("v1.0.0", "v1.0.0"),
    ] {
        let revision = fetch(&mirror, &origin.url(), semver(range));
        assert_eq!(revision.to_string(), format!("{expected}@sha1:{}", commits[expected]), "range {range}");
    }
    // Listing the tags downloads none of them: only the picked tags are in the mirror.
    assert_eq!(mirror_refs(&mirror), ["refs/tags/1.1.5", "refs/tags/v1.0.0", "refs/tags/v1.1.0", "refs/tags/v2.0.0"]);
}

#[test]
fn semver_takes_prereleases_only_when_the_range_names_one() {
    let (origin, commits) = tagged_origin();
    let (_data, mirror) = mirror_of(&origin.url());
    assert_eq!(fetch(&mirror, &origin.url(), semver(">=1.1.5 <2.0.0")).name, "1.1.5");
    let pre = fetch(&mirror, &origin.url(), semver(">=1.2.0-0 <2.0.0"));
    assert_eq!(pre.to_string(), format!("v1.2.0-rc.1@sha1:{}", commits["v1.2.0-rc.1"]));
    assert_eq!(fetch(&mirror, &origin.url(), semver(">=1.2.0-rc.0")).name, "v2.0.0");
}

#[test]
fn semver_follows_new_tags() {
    let (origin, _) = tagged_origin();
    let (_data, mirror) = mirror_of(&origin.url());
    assert_eq!(fetch(&mirror, &origin.url(), semver("^1.0.0")).name, "1.1.5");
    let newer = origin.change("version.txt", "v1.9.0\n");
    origin.git(&["tag", "-a", "-m", "1.9", "v1.9.0"]);
    let revision = fetch(&mirror, &origin.url(), semver("^1.0.0"));
    assert_eq!(revision.to_string(), format!("v1.9.0@sha1:{newer}"));
}

#[test]
fn semver_with_no_match_lists_the_tags_there_are() {
    let (origin, _) = tagged_origin();
    let (_data, mirror) = mirror_of(&origin.url());
    let err = fetch_err(&mirror, &origin.url(), semver(">=3.0.0"));
    assert!(matches!(err, SourceError::SemverNoMatch { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "no tag in {} matches semver range \">=3.0.0\": its highest version tags are v2.0.0, v1.2.0-rc.1, \
             1.1.5, v1.1.0, v1.0.0 (7 tags in all); check spec.ref.semver, or push a matching tag",
            origin.url()
        )
    );
    assert!(mirror_refs(&mirror).is_empty(), "nothing was fetched");

    // At most ten are listed.
    for minor in 0..15 {
        origin.git(&["tag", &format!("v0.{minor}.0")]);
    }
    let SourceError::SemverNoMatch { tags, total, .. } = fetch_err(&mirror, &origin.url(), semver(">=5")) else {
        panic!("expected no match")
    };
    assert_eq!((tags.len(), total), (10, 22));

    let bare = gitops_origin();
    let (_data, mirror) = mirror_of(&bare.url());
    let err = fetch_err(&mirror, &bare.url(), semver("*"));
    assert!(err.to_string().contains("the repository has no tags"), "{err}");
}

#[test]
fn an_invalid_semver_range_is_refused_before_fetching() {
    let origin = gitops_origin();
    let (_data, mirror) = mirror_of(&origin.url());
    let err = fetch_err(&mirror, &origin.url(), semver(">= one"));
    assert!(matches!(err, SourceError::InvalidSemver { .. }), "{err:?}");
    assert!(err.to_string().starts_with("invalid semver range \">= one\" in spec.ref.semver"), "{err}");
}

// ---------------------------------------------------------------- name

#[test]
fn a_full_ref_name_is_named_in_full() {
    let origin = gitops_origin();
    let main = origin.rev_parse("main");
    let pull = origin.dangling_commit(&main, "proposed change");
    origin.set_ref("refs/pull/1/head", &pull);
    let (_data, mirror) = mirror_of(&origin.url());

    let revision = fetch(&mirror, &origin.url(), Reference::Name("refs/pull/1/head".into()));
    assert_eq!(revision.to_string(), format!("refs/pull/1/head@sha1:{pull}"));
    assert_eq!(revision.to_string().parse::<Revision>().expect("parses"), revision);
    let branch = fetch(&mirror, &origin.url(), Reference::Name("refs/heads/main".into()));
    assert_eq!(branch.to_string(), format!("refs/heads/main@sha1:{main}"));

    let err = fetch_err(&mirror, &origin.url(), Reference::Name("refs/pull/2/head".into()));
    assert!(matches!(err, SourceError::RefNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("check spec.ref.name"), "{err}");
}

// ---------------------------------------------------------------- commit

#[test]
fn a_commit_pinned_on_its_branch_is_named_by_the_branch() {
    let origin = gitops_origin();
    let pinned = origin.rev_parse("main");
    for i in 0..3 {
        origin.change("counter.txt", &format!("{i}\n"));
    }
    let (_data, mirror) = mirror_of(&origin.url());
    // The mirror first has main shallowly; checking the pin deepens the history as needed.
    fetch(&mirror, &origin.url(), Reference::Branch("main".into()));
    let reference = Reference::Commit { commit: pinned.clone(), branch: Some("main".into()) };
    let revision = fetch(&mirror, &origin.url(), reference.clone());
    assert_eq!(revision.to_string(), format!("main@sha1:{pinned}"));
    // The pin holds when the branch moves on.
    origin.change("counter.txt", "more\n");
    assert_eq!(fetch(&mirror, &origin.url(), reference).commit, pinned);
    assert!(mirror.tree(&pinned).expect("tree").kind("counter.txt").is_none());
}

#[test]
fn a_commit_off_the_branch_is_an_error() {
    let origin = gitops_origin();
    origin.git(&["checkout", "-q", "-b", "feature"]);
    let elsewhere = origin.change("feature.txt", "f\n");
    origin.git(&["checkout", "-q", "main"]);
    let (_data, mirror) = mirror_of(&origin.url());
    let err =
        fetch_err(&mirror, &origin.url(), Reference::Commit { commit: elsewhere.clone(), branch: Some("main".into()) });
    assert!(matches!(err, SourceError::CommitNotOnBranch { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "commit {elsewhere} is not in the history of branch \"main\" in {}: check spec.ref.commit and spec.ref.branch",
            origin.url()
        )
    );
    let err = fetch_err(&mirror, &origin.url(), Reference::Commit { commit: elsewhere, branch: Some("gone".into()) });
    assert!(matches!(err, SourceError::BranchNotFound { .. }), "{err:?}");
}

#[test]
fn a_commit_alone_is_fetched_by_id() {
    let origin = gitops_origin();
    let pinned = origin.rev_parse("main");
    origin.change("later.txt", "later\n");
    let (_data, mirror) = mirror_of(&origin.url());
    let reference = Reference::Commit { commit: pinned.to_uppercase(), branch: None };
    let revision = fetch(&mirror, &origin.url(), reference.clone());
    assert_eq!(revision.to_string(), format!("sha1:{pinned}"));
    assert!(mirror.tree(&pinned).expect("tree").kind("later.txt").is_none());
    // Only the commit came, under the mirror's own ref for pins.
    assert_eq!(mirror_refs(&mirror), [format!("refs/driftless/commits/{pinned}")]);
    assert_eq!(fetch(&mirror, &origin.url(), reference), revision);

    let missing = "0123456789abcdef0123456789abcdef01234567";
    let err = fetch_err(&mirror, &origin.url(), Reference::Commit { commit: missing.into(), branch: None });
    assert!(matches!(err, SourceError::CommitNotOnRemote { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("commit {missing} not found in {}: check spec.ref.commit", origin.url()));
}

#[test]
fn a_server_that_refuses_wants_by_id_is_asked_for_its_branches() {
    driftless::source::init_crypto();
    let origin = gitops_origin();
    let pinned = origin.rev_parse("main");
    origin.git(&["checkout", "-q", "-b", "other"]);
    let on_other = origin.change("other.txt", "o\n");
    origin.git(&["checkout", "-q", "main"]);
    origin.change("later.txt", "later\n");
    let server = GitHttp::with(&origin.root, Front { v0_only: true, ..Front::default() });
    let url = server.url("origin");
    let (_data, mirror) = mirror_of(&url);

    let revision = fetch(&mirror, &url, Reference::Commit { commit: pinned.clone(), branch: None });
    assert_eq!(revision.to_string(), format!("sha1:{pinned}"));
    let revision = fetch(&mirror, &url, Reference::Commit { commit: on_other.clone(), branch: None });
    assert_eq!(revision.to_string(), format!("sha1:{on_other}"));
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let err = fetch_err(&mirror, &url, Reference::Commit { commit: missing.into(), branch: None });
    assert!(matches!(err, SourceError::CommitNotOnRemote { .. }), "{err:?}");
}

#[test]
fn every_ref_kind_works_over_http() {
    driftless::source::init_crypto();
    let (origin, commits) = tagged_origin();
    let pull = origin.dangling_commit(&origin.rev_parse("main"), "pr");
    origin.set_ref("refs/pull/7/head", &pull);
    let server = GitHttp::start(&origin.root, Require::Nothing);
    let url = server.url("origin");
    let (_data, mirror) = mirror_of(&url);
    let main = origin.rev_parse("main");
    let cases = [
        (Reference::Branch("main".into()), format!("main@sha1:{main}")),
        (Reference::Tag("v1.1.0".into()), format!("v1.1.0@sha1:{}", commits["v1.1.0"])),
        (semver("~1.0"), format!("v1.0.0@sha1:{}", commits["v1.0.0"])),
        (Reference::Name("refs/pull/7/head".into()), format!("refs/pull/7/head@sha1:{pull}")),
        (
            Reference::Commit { commit: commits["v1.0.0"].clone(), branch: Some("main".into()) },
            format!("main@sha1:{}", commits["v1.0.0"]),
        ),
        (Reference::Commit { commit: commits["v2.0.0"].clone(), branch: None }, format!("sha1:{}", commits["v2.0.0"])),
    ];
    for (reference, expected) in cases {
        assert_eq!(fetch(&mirror, &url, reference.clone()).to_string(), expected, "{reference}");
    }
}

#[test]
fn invalid_refs_name_the_field_to_change() {
    let origin = gitops_origin();
    let (_data, mirror) = mirror_of(&origin.url());
    for (reference, field) in [
        (Reference::Branch("bad..name".into()), "spec.ref.branch"),
        (Reference::Tag("v1 .0".into()), "spec.ref.tag"),
        (Reference::Name("pull/1/head".into()), "spec.ref.name"),
        (Reference::Commit { commit: "abc123".into(), branch: None }, "spec.ref.commit"),
    ] {
        let err = fetch_err(&mirror, &origin.url(), reference.clone());
        assert!(matches!(err, SourceError::InvalidRef { .. }), "{reference}: {err:?}");
        assert!(err.to_string().starts_with(&format!("invalid {field} ")), "{err}");
    }
}

#[test]
fn different_refs_of_one_repository_share_its_mirror() {
    let (origin, commits) = tagged_origin();
    let data = data_dir();
    let a = Mirror::open(data.path(), &origin.url()).expect("open");
    let b = Mirror::open(data.path(), &origin.url()).expect("open again");
    assert_eq!(a.path(), b.path());
    let threads: Vec<_> = [Reference::Branch("main".into()), Reference::Tag("v1.0.0".into()), semver("^2")]
        .into_iter()
        .enumerate()
        .map(|(i, reference)| {
            let mirror = if i % 2 == 0 { Mirror::open(data.path(), &origin.url()).expect("open") } else { b.clone() };
            let url = origin.url();
            std::thread::spawn(move || {
                let mut remote = remote(&url, reference);
                remote.timeout = Duration::from_secs(30);
                mirror.fetch(&remote).expect("fetch").revision
            })
        })
        .collect();
    let revisions: Vec<Revision> = threads.into_iter().map(|t| t.join().expect("thread")).collect();
    assert_eq!(revisions[0].commit, origin.rev_parse("main"));
    assert_eq!(revisions[1].commit, commits["v1.0.0"]);
    assert_eq!(revisions[2].commit, commits["v2.0.0"]);
}
