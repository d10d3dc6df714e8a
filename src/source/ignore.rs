//! Which paths of a tree a `GitRepository` excludes from its artifact, as Flux's source-controller decides it:
//! `.sourceignore` files, `spec.ignore` and Flux's default exclusions.
//!
//! # Flux's semantics, reproduced here
//!
//! (source-controller `internal/controller/gitrepository_controller.go` + fluxcd/pkg `sourceignore`,
//! `sourceignore/gitignore` and `artifact/storage/archive.go`.)
//!
//! - **Where rules come from.** A `.sourceignore` in *every* directory of the tree is read (not only the root); its
//!   patterns apply below that directory only. `spec.ignore` is read like a `.sourceignore` at the root.
//! - **Precedence.** The last pattern that matches a path decides (a `!` pattern re-includes). Patterns are ordered,
//!   lowest priority first: the VCS exclusions ([`VCS_EXCLUSIONS`]), then Flux's [`DEFAULT_EXCLUSIONS`] (only when
//!   there are no user patterns, see below), then every `.sourceignore` in pre-order (a directory's own file before
//!   those of its subdirectories), then `spec.ignore`. So a subdirectory's file overrides its parent's, and
//!   `spec.ignore` overrides every file.
//! - **Replace, not append.** As soon as there is at least one user pattern, from `spec.ignore` *or from any
//!   `.sourceignore`*, [`DEFAULT_EXCLUSIONS`] are dropped (images, archives and CI files are then kept unless a
//!   pattern excludes them). The VCS exclusions always stay (but a `!` pattern may re-include them). A
//!   `spec.ignore` that holds only comments and blank lines counts as no patterns.
//! - **Lines.** Lines starting with `#` and blank lines are skipped; a trailing `\r` is dropped; trailing spaces are
//!   trimmed unless the line ends in `\ `; `\#`, `\!` and `\ ` match the literal character.
//! - **Matching** (Flux's copy of go-git's matcher, which is *not* git's): a pattern without a `/` (ignoring a
//!   trailing one) matches any path component at any depth, so it also matches everything below a matching
//!   directory; a pattern with a `/` is anchored at its `.sourceignore`'s directory and matches a path whose
//!   leading components it matches (so, again, everything below). `*`, `?` and `[...]` (`[^...]` negates) work
//!   within one component, as Go's `filepath.Match`; `**` is a whole component standing for any number of
//!   directories. A trailing `/` restricts a match on the last component to directories. A malformed pattern
//!   (`[` unclosed, `a**b` between slashes) matches nothing.
//! - **Excluded directories are still walked.** Flux's archiver tests every file on its own path, so a `!`
//!   pattern *can* re-include a file below an excluded directory (`deploy/` then `!deploy/app.yaml` keeps
//!   `deploy/app.yaml`), and `!dir/` re-includes everything below `dir`, even files a lower pattern such as
//!   `*.yaml` excluded. Git itself behaves differently in both cases; Flux's behaviour is what users' repositories
//!   rely on, so it is what this module does.
//!
//! Symlinks are the one place where driftless deliberately differs: Flux's archiver drops every symlink from the
//! artifact, while [`Tree`] resolves symlinks that stay inside the repository (see `tree.rs`).

use std::fmt;

use super::SourceError;
use super::tree::{Tree, normalise};

/// The name of the per-directory ignore file.
pub const SOURCE_IGNORE_FILE: &str = ".sourceignore";

/// Exclusions that always apply, at the lowest priority (fluxcd/pkg `sourceignore.ExcludeVCS`).
pub const VCS_EXCLUSIONS: &[&str] = &[".git/", ".gitignore", ".gitmodules", ".gitattributes"];

/// Flux's default exclusions, which apply only when neither `spec.ignore` nor any `.sourceignore` has a pattern
/// (fluxcd/pkg `sourceignore.ExcludeExt`, `ExcludeCI` and `ExcludeExtra`, in that order).
pub const DEFAULT_EXCLUSIONS: &[&str] = &[
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

/// Which paths of a tree a GitRepository excludes.
///
/// Built from a tree with [`IgnoreRules::for_tree`] (or from the files' contents with
/// [`IgnoreRules::from_sources`]); asked with [`IgnoreRules::is_ignored`]; applied to a tree with
/// [`Tree::with_ignore`]. Two rule sets are equal when they hold the same patterns in the same order, so comparing
/// the rules of two revisions tells whether a change to a `.sourceignore` (or to `spec.ignore`) changed what is
/// visible.
#[derive(Clone, PartialEq, Eq)]
pub struct IgnoreRules {
    /// Lowest priority first.
    patterns: Vec<Pattern>,
    /// Whether Flux's default exclusions are among the patterns (no user patterns were given).
    defaults: bool,
}

impl IgnoreRules {
    /// The rules for `tree`: the VCS exclusions, Flux's default exclusions unless replaced, every `.sourceignore` in
    /// the tree, and `spec_ignore` (the GitRepository's `spec.ignore`) with the highest priority. See the module
    /// documentation for the exact semantics.
    ///
    /// `.sourceignore` files are read from the whole tree, even if `tree` already has rules applied. A
    /// `.sourceignore` that is a symlink is followed inside the repository; a dangling one counts as absent, one
    /// that leaves the repository is an error. The walk reads every directory of the tree once, so callers should
    /// keep the result per commit.
    pub fn for_tree(tree: &Tree, spec_ignore: Option<&str>) -> Result<IgnoreRules, SourceError> {
        let files = tree.ignore_files(SOURCE_IGNORE_FILE)?;
        let sources: Vec<(String, String)> =
            files.into_iter().map(|(dir, bytes)| (dir, String::from_utf8_lossy(&bytes).into_owned())).collect();
        let borrowed: Vec<(&str, &str)> = sources.iter().map(|(d, c)| (d.as_str(), c.as_str())).collect();
        Ok(IgnoreRules::from_sources(&borrowed, spec_ignore))
    }

    /// The rules from `.sourceignore` contents and `spec.ignore`, without a tree.
    ///
    /// `sourceignores` holds `(directory, content)` pairs, the directory repo-relative (`""` for the root), in
    /// pre-order (a directory before its subdirectories), which is the order of increasing priority.
    pub fn from_sources(sourceignores: &[(&str, &str)], spec_ignore: Option<&str>) -> IgnoreRules {
        let mut user = Vec::new();
        for (dir, content) in sourceignores {
            let domain: Vec<String> = normalise(dir).unwrap_or_default().into_iter().map(str::to_string).collect();
            user.extend(read_patterns(content, &domain));
        }
        if let Some(spec) = spec_ignore {
            user.extend(read_patterns(spec, &[]));
        }
        let mut patterns: Vec<Pattern> = VCS_EXCLUSIONS.iter().map(|p| Pattern::parse(p, &[])).collect();
        let defaults = user.is_empty();
        if defaults {
            patterns.extend(DEFAULT_EXCLUSIONS.iter().map(|p| Pattern::parse(p, &[])));
        }
        patterns.extend(user);
        IgnoreRules { patterns, defaults }
    }

    /// Flux's rules for a repository without `.sourceignore` files and without `spec.ignore`.
    pub fn flux_defaults() -> IgnoreRules {
        IgnoreRules::from_sources(&[], None)
    }

    /// Whether Flux's [`DEFAULT_EXCLUSIONS`] are in effect (no user pattern replaced them).
    pub fn uses_defaults(&self) -> bool {
        self.defaults
    }

    /// Whether the artifact excludes `path` (repo-relative, `/`-separated). `is_dir` says whether `path` is a
    /// directory (patterns ending in `/` match only directories). The root is never ignored, nor is a path that
    /// leaves it.
    ///
    /// For a directory this answers for the directory entry itself: with `!` patterns, files below an ignored
    /// directory may still be visible (see the module documentation).
    pub fn is_ignored(&self, path: &str, is_dir: bool) -> bool {
        match normalise(path) {
            Ok(parts) => self.is_ignored_parts(&parts, is_dir),
            Err(_) => false,
        }
    }

    /// [`IgnoreRules::is_ignored`] on a path already split into components.
    pub(crate) fn is_ignored_parts<S: AsRef<str>>(&self, parts: &[S], is_dir: bool) -> bool {
        for pattern in self.patterns.iter().rev() {
            match pattern.matches(parts, is_dir) {
                Match::None => continue,
                Match::Exclude => return true,
                Match::Include => return false,
            }
        }
        false
    }

    /// Whether some `!` pattern might re-include a path strictly below directory `dir`. `false` means every path
    /// below an ignored `dir` is ignored too; `true` may be a false positive.
    pub(crate) fn may_include_below<S: AsRef<str>>(&self, dir: &[S]) -> bool {
        self.patterns.iter().any(|p| p.include && p.may_match_below(dir))
    }

    /// The patterns, lowest priority first, each as `dir: pattern` (dir `/` for the root).
    pub fn patterns(&self) -> Vec<String> {
        self.patterns.iter().map(|p| p.to_string()).collect()
    }
}

impl fmt::Debug for IgnoreRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IgnoreRules")
            .field("defaults", &self.defaults)
            .field("patterns", &self.patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>())
            .finish()
    }
}

/// The changed paths (files, as `Mirror::changed_paths` returns them) that the artifact does not exclude, in their
/// order. Use the rules of the newer revision; if the rules themselves differ between the two revisions
/// (compare them with `==`), any path may have appeared or disappeared, and this filter is not enough.
pub fn filter_changed(paths: Vec<String>, rules: &IgnoreRules) -> Vec<String> {
    paths.into_iter().filter(|p| !rules.is_ignored(p, false)).collect()
}

/// Reads patterns from the content of a `.sourceignore` (or `spec.ignore`) whose directory is `domain`.
fn read_patterns(content: &str, domain: &[String]) -> Vec<Pattern> {
    content
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| Pattern::parse(line, domain))
        .collect()
}

/// The outcome of one pattern against one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    None,
    Exclude,
    Include,
}

/// One line of an ignore file.
#[derive(Clone, PartialEq, Eq)]
struct Pattern {
    /// The line as written.
    text: String,
    /// The directory of the file it came from, as components; it applies only strictly below it.
    domain: Vec<String>,
    /// A `!` pattern.
    include: bool,
    /// Ended in `/`: the last component must be a directory.
    dir_only: bool,
    /// The pattern's shape.
    shape: Shape,
}

#[derive(Clone, PartialEq, Eq)]
enum Shape {
    /// No `/`: matches any one component.
    Name(NameGlob),
    /// Has a `/`: matched component by component from the domain.
    Anchored(Vec<Part>),
    /// Can never match (a component with `**` inside a longer name).
    Never,
}

#[derive(Clone, PartialEq, Eq)]
enum Part {
    /// An empty component (a leading `/`, or `//`).
    Empty,
    /// `**`: any number of directories.
    AnyDirs,
    /// A shell pattern for one component.
    Name(NameGlob),
}

impl Pattern {
    fn parse(line: &str, domain: &[String]) -> Pattern {
        let text = line.to_string();
        let (include, mut p) = match line.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        if !p.ends_with("\\ ") {
            p = p.trim_end_matches(' ');
        }
        let dir_only = p.ends_with('/');
        if dir_only {
            p = &p[..p.len() - 1];
        }
        let shape = if p.contains('/') {
            let mut parts = Vec::new();
            let mut never = false;
            for component in p.split('/') {
                parts.push(match component {
                    "" => Part::Empty,
                    "**" => Part::AnyDirs,
                    c if c.contains("**") => {
                        never = true;
                        Part::Empty
                    }
                    c => Part::Name(NameGlob::compile(c)),
                });
            }
            if never { Shape::Never } else { Shape::Anchored(parts) }
        } else {
            Shape::Name(NameGlob::compile(p))
        };
        Pattern { text, domain: domain.to_vec(), include, dir_only, shape }
    }

    fn matches<S: AsRef<str>>(&self, path: &[S], is_dir: bool) -> Match {
        if path.len() <= self.domain.len() || self.domain.iter().zip(path).any(|(d, p)| d != p.as_ref()) {
            return Match::None;
        }
        let rel = &path[self.domain.len()..];
        let hit = match &self.shape {
            Shape::Name(glob) => self.name_match(glob, rel, is_dir),
            Shape::Anchored(parts) => self.anchored_match(parts, rel, is_dir),
            Shape::Never => false,
        };
        match (hit, self.include) {
            (false, _) => Match::None,
            (true, false) => Match::Exclude,
            (true, true) => Match::Include,
        }
    }

    /// A pattern without `/`: the first component it matches decides; a directory-only pattern that first matches
    /// the last component of a file does not match.
    fn name_match<S: AsRef<str>>(&self, glob: &NameGlob, rel: &[S], is_dir: bool) -> bool {
        let Some(i) = rel.iter().position(|c| glob.matches(c.as_ref())) else { return false };
        !(self.dir_only && !is_dir && i + 1 == rel.len())
    }

    /// A pattern with `/`: its components consume the path's leading components; `**` skips to the first later
    /// component that the next part matches (no backtracking, as in Flux); a trailing `**` matches whatever is left.
    /// Components of the path left over once the pattern is used up are below a matching directory.
    fn anchored_match<S: AsRef<str>>(&self, parts: &[Part], rel: &[S], is_dir: bool) -> bool {
        let mut rest = rel;
        let mut matched = false;
        let mut skip_dirs = false;
        for (i, part) in parts.iter().enumerate() {
            match part {
                Part::Empty => skip_dirs = false,
                Part::AnyDirs if i + 1 == parts.len() => break,
                Part::AnyDirs => skip_dirs = true,
                Part::Name(glob) => {
                    if rest.is_empty() {
                        return false;
                    }
                    if skip_dirs {
                        skip_dirs = false;
                        let Some(k) = rest.iter().position(|c| glob.matches(c.as_ref())) else { return false };
                        rest = &rest[k + 1..];
                    } else if glob.matches(rest[0].as_ref()) {
                        rest = &rest[1..];
                    } else {
                        return false;
                    }
                    matched = true;
                }
            }
        }
        matched && !(self.dir_only && !is_dir && rest.is_empty())
    }

    /// Whether this pattern might match some path strictly below directory `dir` (conservative).
    fn may_match_below<S: AsRef<str>>(&self, dir: &[S]) -> bool {
        if self.domain.iter().zip(dir).any(|(d, p)| d != p.as_ref()) {
            return false;
        }
        if dir.len() < self.domain.len() {
            return true;
        }
        let mut rest = &dir[self.domain.len()..];
        match &self.shape {
            Shape::Never => false,
            Shape::Name(_) => true,
            Shape::Anchored(parts) => {
                for part in parts {
                    match part {
                        Part::Empty => {}
                        Part::AnyDirs => return true,
                        Part::Name(glob) => {
                            let Some((first, tail)) = rest.split_first() else { return true };
                            if !glob.matches(first.as_ref()) {
                                return false;
                            }
                            rest = tail;
                        }
                    }
                }
                // The pattern matches `dir` itself or one of its parents, hence everything below.
                true
            }
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}: {}", self.domain.join("/"), self.text)
    }
}

/// A shell pattern for one path component, with Go's `filepath.Match` syntax: `*`, `?`, `[...]` with ranges and
/// `^` for negation, `\` escaping the next character. A malformed pattern matches nothing.
#[derive(Clone, PartialEq, Eq)]
struct NameGlob(Option<Vec<Token>>);

#[derive(Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `?`
    One,
    /// `*`
    Star,
    /// `[...]`
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl NameGlob {
    fn compile(pattern: &str) -> NameGlob {
        NameGlob(Self::tokens(pattern))
    }

    fn tokens(pattern: &str) -> Option<Vec<Token>> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                '*' => {
                    if tokens.last() == Some(&Token::Star) {
                        continue;
                    }
                    Token::Star
                }
                '?' => Token::One,
                '\\' => Token::Char(chars.next()?),
                '[' => {
                    let negated = chars.next_if_eq(&'^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        let c = chars.next()?;
                        if c == ']' && !ranges.is_empty() {
                            break;
                        }
                        let lo = Self::class_char(c, &mut chars)?;
                        let hi = if chars.next_if_eq(&'-').is_some() {
                            let c = chars.next()?;
                            Self::class_char(c, &mut chars)?
                        } else {
                            lo
                        };
                        ranges.push((lo, hi));
                    }
                    Token::Class { negated, ranges }
                }
                c => Token::Char(c),
            };
            tokens.push(token);
        }
        Some(tokens)
    }

    /// One character of a class: `-` and `]` must be escaped.
    fn class_char(c: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
        match c {
            '-' | ']' => None,
            '\\' => chars.next(),
            c => Some(c),
        }
    }

    fn matches(&self, name: &str) -> bool {
        let Some(tokens) = &self.0 else { return false };
        let name: Vec<char> = name.chars().collect();
        let (mut t, mut n) = (0, 0);
        // Where to resume after the last `*`: (token after it, name position it has consumed up to).
        let mut resume: Option<(usize, usize)> = None;
        loop {
            if t < tokens.len() {
                match &tokens[t] {
                    Token::Star => {
                        resume = Some((t + 1, n));
                        t += 1;
                        continue;
                    }
                    token if n < name.len() && token_matches(token, name[n]) => {
                        t += 1;
                        n += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if n == name.len() {
                return true;
            }
            // Mismatch: let the last `*` swallow one more character, if there is one.
            match resume {
                Some((after, consumed)) if consumed < name.len() => {
                    resume = Some((after, consumed + 1));
                    t = after;
                    n = consumed + 1;
                }
                _ => return false,
            }
        }
    }
}

fn token_matches(token: &Token, c: char) -> bool {
    match token {
        Token::Char(x) => *x == c,
        Token::One => true,
        Token::Star => false,
        Token::Class { negated, ranges } => ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(sourceignores: &[(&str, &str)], spec: Option<&str>) -> IgnoreRules {
        IgnoreRules::from_sources(sourceignores, spec)
    }

    #[test]
    fn name_globs_follow_go_filepath_match() {
        let cases: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*", "", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*b*c*d*e*", "axbxcxdxe", true),
            ("a*b*c*d*e*", "axbxcxdxexxx", true),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("[\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("\\#x", "#x", true),
            ("\\!x", "!x", true),
            ("x\\ ", "x ", true),
            // `[!x]` is not a negation in Go: `!` is a member.
            ("[!x]", "!", true),
            ("[!x]", "y", false),
            // Malformed patterns match nothing.
            ("[]a]", "]", false),
            ("[-]", "-", false),
            ("[x-]", "x", false),
            ("[a-b-c]", "a", false),
            ("[", "[", false),
            ("[^", "a", false),
            ("a[", "a", false),
            ("\\", "\\", false),
            ("*x", "xxx", true),
        ];
        for &(pattern, name, want) in cases {
            assert_eq!(NameGlob::compile(pattern).matches(name), want, "{pattern:?} vs {name:?}");
        }
    }

    #[test]
    fn defaults_exclude_vcs_ci_and_binary_files() {
        let r = IgnoreRules::flux_defaults();
        assert!(r.uses_defaults());
        for (path, is_dir) in [
            (".git", true),
            (".gitignore", false),
            ("sub/.gitmodules", false),
            (".github", true),
            (".github/workflows/ci.yaml", false),
            ("nested/.github/x.yml", false),
            ("logo.png", false),
            ("docs/img/a.jpeg", false),
            ("release.tar.gz", false),
            (".gitlab-ci.yml", false),
            ("deep/.sops.yaml", false),
            (".flux.yaml", false),
        ] {
            assert!(r.is_ignored(path, is_dir), "{path}");
        }
        for (path, is_dir) in [("", true), ("apps", true), ("apps/deploy.yaml", false), (".github", false)] {
            assert!(!r.is_ignored(path, is_dir), "{path}");
        }
    }

    #[test]
    fn any_user_pattern_replaces_the_defaults_but_not_vcs() {
        for r in [rules(&[], Some("custom\n")), rules(&[("", "custom\n")], None), rules(&[("sub", "x")], None)] {
            assert!(!r.uses_defaults());
            assert!(!r.is_ignored("logo.png", false));
            assert!(!r.is_ignored(".github/workflows/ci.yaml", false));
            assert!(r.is_ignored(".gitignore", false));
        }
        // Only comments and blank lines: no patterns, so the defaults stay.
        let r = rules(&[("", "# nothing\n\n   \n")], Some("# still nothing\n"));
        assert!(r.uses_defaults());
        assert!(r.is_ignored("logo.png", false));
        // VCS exclusions can be overruled.
        assert!(!rules(&[], Some("!.gitignore")).is_ignored(".gitignore", false));
    }

    #[test]
    fn gitignore_syntax() {
        let r = rules(
            &[(
                "",
                "# comment\n\
                 *.md\n\
                 !README.md\n\
                 build/\n\
                 /top.yaml\n\
                 docs/**/*.txt\n\
                 a/*/c.yaml\n\
                 \\#hash\n\
                 \\!bang\n\
                 trailing   \n\
                 space\\ \n\
                 crlf.yaml\r\n",
            )],
            None,
        );
        let ignored = |p: &str| r.is_ignored(p, false);
        assert!(ignored("x.md") && ignored("deep/er/x.md"));
        assert!(!ignored("README.md") && !ignored("sub/README.md"));
        assert!(r.is_ignored("build", true) && ignored("build/out.yaml") && ignored("x/build/y"));
        assert!(!ignored("build"), "a file named build is not a directory");
        assert!(ignored("top.yaml") && !ignored("sub/top.yaml"));
        assert!(ignored("docs/a.txt") && ignored("docs/x/y/a.txt") && !ignored("other/docs/a.txt"));
        assert!(ignored("a/b/c.yaml") && !ignored("a/b/b/c.yaml") && !ignored("a/c.yaml"));
        assert!(ignored("#hash") && !ignored("hash"));
        assert!(ignored("!bang"));
        assert!(ignored("trailing") && !ignored("trailing   "));
        assert!(ignored("space ") && !ignored("space"));
        assert!(ignored("crlf.yaml"));
        assert!(!ignored("comment") && !ignored("# comment"));
    }

    #[test]
    fn sourceignore_in_a_subdirectory_applies_below_it_only_and_overrides_its_parent() {
        let r = rules(&[("", "*.yaml\n"), ("apps", "!keep.yaml\nlocal.txt\n"), ("apps/x", "*.txt")], None);
        assert!(r.is_ignored("a.yaml", false));
        assert!(r.is_ignored("apps/a.yaml", false));
        assert!(!r.is_ignored("apps/keep.yaml", false));
        assert!(!r.is_ignored("apps/deep/keep.yaml", false));
        assert!(r.is_ignored("keep.yaml", false), "the subdirectory's rule does not apply at the root");
        assert!(r.is_ignored("apps/local.txt", false) && !r.is_ignored("local.txt", false));
        assert!(r.is_ignored("apps/x/n.txt", false) && !r.is_ignored("apps/n.txt", false));
        // A pattern never matches its own directory.
        assert!(!rules(&[("apps", "apps")], None).is_ignored("apps", true));
    }

    #[test]
    fn spec_ignore_has_the_highest_priority() {
        let r = rules(&[("", "!*.yaml\n"), ("apps", "!secret.yaml")], Some("*.yaml\n"));
        assert!(r.is_ignored("a.yaml", false));
        assert!(r.is_ignored("apps/secret.yaml", false));
        let r = rules(&[("apps", "*.yaml")], Some("!apps/keep.yaml"));
        assert!(!r.is_ignored("apps/keep.yaml", false) && r.is_ignored("apps/other.yaml", false));
    }

    #[test]
    fn flux_reincludes_below_excluded_directories() {
        // Unlike git: Flux tests each file on its own path.
        let r = rules(&[], Some("deploy/\n!deploy/app.yaml\n"));
        assert!(r.is_ignored("deploy", true));
        assert!(r.is_ignored("deploy/other.yaml", false));
        assert!(!r.is_ignored("deploy/app.yaml", false));
        let r = rules(&[], Some("*.yaml\n!keep/\n"));
        assert!(r.is_ignored("a.yaml", false));
        assert!(!r.is_ignored("keep/a.yaml", false));
        // The documented example from Flux's GitRepository spec.
        let r =
            rules(&[], Some("# exclude all\n/*\n# include deploy dir\n!/deploy\n/deploy/**/*.md\n/deploy/**/*.txt\n"));
        assert!(r.is_ignored("README.md", false) && r.is_ignored("src", true) && r.is_ignored("src/main.go", false));
        assert!(!r.is_ignored("deploy", true) && !r.is_ignored("deploy/app/k.yaml", false));
        assert!(r.is_ignored("deploy/x.md", false) && r.is_ignored("deploy/a/b/c.txt", false));
    }

    #[test]
    fn double_star_quirks_match_flux() {
        let r = rules(&[], Some("abc/**\n"));
        assert!(r.is_ignored("abc/x", false) && r.is_ignored("abc/x/y", false));
        assert!(r.is_ignored("abc", true), "go-git's trailing ** also matches the directory itself");
        let r = rules(&[], Some("**/foo\n"));
        assert!(r.is_ignored("foo", false) && r.is_ignored("a/b/foo", false) && r.is_ignored("a/foo/b", false));
        let r = rules(&[], Some("a/**/b\n"));
        assert!(r.is_ignored("a/b", false) && r.is_ignored("a/x/y/b", false) && !r.is_ignored("b", false));
        // `**` inside a component of an anchored pattern never matches.
        assert!(!rules(&[], Some("a/b**/c\n")).is_ignored("a/bx/c", false));
        // Without a slash it is a plain `*`.
        assert!(rules(&[], Some("b**\n")).is_ignored("bxy", false));
    }

    #[test]
    fn may_include_below_prunes_unrelated_directories() {
        let r = rules(&[], Some("/*\n!/deploy/\n"));
        assert!(r.may_include_below(&["deploy"]));
        assert!(!r.may_include_below(&["src"]));
        assert!(!IgnoreRules::flux_defaults().may_include_below(&[".github"]));
        let r = rules(&[], Some(".github/\n!keep.yaml\n"));
        assert!(r.may_include_below(&[".github"]));
        let r = rules(&[("apps", "!x")], None);
        assert!(r.may_include_below(&[] as &[&str]) && r.may_include_below(&["apps", "b"]));
        assert!(!r.may_include_below(&["other"]));
    }

    #[test]
    fn filter_changed_drops_ignored_files() {
        let r = IgnoreRules::flux_defaults();
        let paths = vec!["apps/a.yaml".to_string(), ".github/workflows/ci.yml".to_string(), "logo.png".to_string()];
        assert_eq!(filter_changed(paths, &r), vec!["apps/a.yaml".to_string()]);
    }

    #[test]
    fn rules_compare_by_patterns() {
        assert_eq!(rules(&[("", "a\n")], None), rules(&[("", "a")], None));
        assert_ne!(rules(&[("", "a")], None), rules(&[("sub", "a")], None));
        assert_ne!(rules(&[], None), rules(&[], Some("a")));
        assert_eq!(rules(&[], Some("a")).patterns().last().map(String::as_str), Some("/: a"));
    }
}
