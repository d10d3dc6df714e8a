//! Semantic versions and version ranges exactly as Flux evaluates `spec.ref.semver`.
//!
//! Flux (`fluxcd/pkg/git/gogit/clone.go`, `cloneSemVer`) parses the range with Masterminds/semver v3's
//! `NewConstraint` and each tag with `fluxcd/pkg/version.ParseVersion` (three dot-separated parts, then
//! Masterminds' coercing `NewVersion`), keeps the tags the range accepts and takes the highest. This module is a
//! port of that behaviour (Masterminds/semver v3.5, `constraints.go` and `version.go`), using the same regular
//! expressions, so that a range selects the same tag here as in Flux:
//!
//! - comparisons `=`, `!=`, `>`, `<`, `>=`, `=>`, `<=`, `=<`; AND by spaces or commas (`>=1.0.0 <2.0.0`);
//!   OR by `||`;
//! - tilde `~1.2` / `~>1.2` (`>=1.2.0 <1.3.0`), caret `^1.2` (`>=1.2.0 <2.0.0`), wildcards `1.x`, `1.2.*`, `*`;
//! - hyphen ranges `1.2 - 1.4` (`>=1.2 <=1.4`, where a partial upper bound covers all of `1.4.x`);
//! - a leading `v` on versions and tags;
//! - prereleases (`1.0.0-rc.1`) are only candidates when an AND group of the range names a prerelease itself.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

/// Go's `\s` (RE2): ASCII whitespace without the vertical tab.
const WS: &str = r"[\t\n\f\r ]";

/// Masterminds' `cvRegex`: a version as written in a constraint, wildcards allowed.
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// Masterminds' operators, in its order (the empty alternative is the bare version).
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

/// Masterminds' `looseSemVerRegex`, anchored: what `NewVersion` accepts.
static LOOSE_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
    )
    .expect("valid regex")
});

/// `constraintRegex`: one operator and version.
static CONSTRAINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")).expect("valid regex"));

/// `constraintRangeRegex`: a hyphen range `a - b`.
static RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")).expect("valid regex"));

/// `findConstraintRegex`: the constraints of an AND group.
static FIND: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"({OPS}){WS}*({CV})")).expect("valid regex"));

/// `validConstraintRegex`: a well-formed AND group.
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"))
        .expect("valid regex")
});

/// A semantic version, as Masterminds/semver v3 holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
}

impl Version {
    /// Parses a tag name the way Flux does (`fluxcd/pkg/version.ParseVersion`): exactly three dot-separated parts
    /// (`v1.2` is not a version, `v1.2.3` and `1.2.3-rc.1+build` are), leading zeros tolerated (`v2025.02.03`).
    pub fn parse_tag(tag: &str) -> Option<Version> {
        if tag.splitn(3, '.').count() != 3 {
            return None;
        }
        Version::parse(tag)
    }

    /// Masterminds' coercing `NewVersion`: missing minor and patch are zero, a leading `v` is allowed.
    fn parse(text: &str) -> Option<Version> {
        let m = LOOSE_VERSION.captures(text)?;
        let number = |i: usize| -> Option<u64> {
            match m.get(i) {
                Some(part) => part.as_str().trim_start_matches('.').parse().ok(),
                None => Some(0),
            }
        };
        let version = Version {
            major: number(1)?,
            minor: number(2)?,
            patch: number(3)?,
            pre: m.get(5).map_or(String::new(), |p| p.as_str().to_string()),
            metadata: m.get(8).map_or(String::new(), |p| p.as_str().to_string()),
        };
        if !version.pre.is_empty() && !valid_prerelease(&version.pre) {
            return None;
        }
        if !version.metadata.is_empty() && !version.metadata.split('.').all(|part| !part.is_empty()) {
            return None;
        }
        Some(version)
    }

    /// Whether this is a prerelease (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// Precedence as in the semver spec (build metadata ignored), as Masterminds' `Compare`.
    pub fn compare(&self, other: &Version) -> Ordering {
        self.major.cmp(&other.major).then(self.minor.cmp(&other.minor)).then(self.patch.cmp(&other.patch)).then_with(
            || match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            },
        )
    }
}

/// Masterminds' `validatePrerelease`: dot-separated, non-empty identifiers, numeric ones without leading zeros.
fn valid_prerelease(pre: &str) -> bool {
    pre.split('.').all(|part| {
        let leading_zero = part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit());
        !part.is_empty() && !leading_zero
    })
}

/// Masterminds' `comparePrerelease`: identifier by identifier, numbers numerically and below text.
fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (a_parts, b_parts): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..a_parts.len().max(b_parts.len()) {
        let (x, y) = (a_parts.get(i).copied().unwrap_or(""), b_parts.get(i).copied().unwrap_or(""));
        let order = compare_prerelease_part(x, y);
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Masterminds' `comparePrePart`; a missing identifier sorts first.
fn compare_prerelease_part(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if a.is_empty() {
        return Ordering::Less;
    }
    if b.is_empty() {
        return Ordering::Greater;
    }
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// A comparison operator of a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
    Tilde,
    Caret,
}

impl Op {
    fn parse(op: &str) -> Option<Op> {
        Some(match op {
            "" | "=" => Op::TildeOrEqual,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" | "=>" => Op::GreaterOrEqual,
            "<=" | "=<" => Op::LessOrEqual,
            "~" | "~>" => Op::Tilde,
            "^" => Op::Caret,
            _ => return None,
        })
    }
}

/// One `op version` constraint, with which parts of the version were wildcards or left out.
#[derive(Debug, Clone)]
struct Constraint {
    op: Op,
    version: Version,
    /// Major (and so everything) is a wildcard: `*`, `x`.
    dirty: bool,
    /// Minor (and patch) are wildcards or missing: `1`, `1.x`.
    minor_dirty: bool,
    /// Patch is a wildcard or missing: `1.2`, `1.2.x`.
    patch_dirty: bool,
}

/// A version range in Masterminds' syntax: OR groups of AND-ed constraints.
#[derive(Debug, Clone)]
pub(crate) struct Range {
    groups: Vec<Group>,
}

#[derive(Debug, Clone)]
struct Group {
    constraints: Vec<Constraint>,
    /// Whether some constraint names a prerelease, which lets prereleases match this group.
    includes_prerelease: bool,
}

impl Range {
    /// Parses a range as Masterminds' `NewConstraint` does. The error says which part is malformed.
    pub fn parse(text: &str) -> Result<Range, String> {
        let rewritten = rewrite_hyphen_ranges(text);
        let mut groups = Vec::new();
        for segment in rewritten.split("||") {
            if !VALID.is_match(segment) {
                return Err(format!("improper constraint: {segment:?}"));
            }
            let constraints =
                FIND.find_iter(segment).map(|m| parse_constraint(m.as_str())).collect::<Result<Vec<_>, _>>()?;
            if constraints.is_empty() {
                return Err(format!("improper constraint: {segment:?}"));
            }
            let includes_prerelease = constraints.iter().any(|c| c.version.is_prerelease());
            groups.push(Group { constraints, includes_prerelease });
        }
        Ok(Range { groups })
    }

    /// Whether `version` is in the range (Masterminds' `Check`).
    pub fn matches(&self, version: &Version) -> bool {
        self.groups.iter().any(|group| group.constraints.iter().all(|c| check(c, version, group.includes_prerelease)))
    }
}

/// Masterminds' `rewriteRange`: `a - b` becomes `>= a, <= b `.
fn rewrite_hyphen_ranges(text: &str) -> String {
    let mut out = text.to_string();
    for caps in RANGE.captures_iter(text) {
        let (whole, low, high) = (&caps[0], &caps[1], &caps[11]);
        out = out.replacen(whole, &format!(">= {low}, <= {high} "), 1);
    }
    out
}

/// Masterminds' `parseConstraint`.
fn parse_constraint(text: &str) -> Result<Constraint, String> {
    let improper = || format!("improper constraint: {text:?}");
    let m = CONSTRAINT.captures(text).ok_or_else(improper)?;
    let op = Op::parse(m.get(1).map_or("", |o| o.as_str())).ok_or_else(improper)?;
    let part = |i: usize| m.get(i).map_or("", |p| p.as_str());
    let (major, minor, patch, pre) = (part(3), part(4), part(5), part(6));
    let is_x = |s: &str| matches!(s, "x" | "X" | "*");
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let version = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if minor.is_empty() || is_x(minor.strip_prefix('.').unwrap_or(minor)) {
        (dirty, minor_dirty) = (true, true);
        format!("{major}.0.0{pre}")
    } else if patch.is_empty() || is_x(patch.strip_prefix('.').unwrap_or(patch)) {
        (dirty, patch_dirty) = (true, true);
        format!("{major}{minor}.0{pre}")
    } else {
        part(2).to_string()
    };
    let version = Version::parse(&version).ok_or_else(improper)?;
    Ok(Constraint { op, version, dirty, minor_dirty, patch_dirty })
}

/// Whether `v` satisfies `c`; prereleases only when the group allows them.
fn check(c: &Constraint, v: &Version, include_prerelease: bool) -> bool {
    if v.is_prerelease() && !include_prerelease {
        return false;
    }
    match c.op {
        Op::TildeOrEqual if c.dirty => tilde(c, v),
        Op::TildeOrEqual => v.compare(&c.version) == Ordering::Equal,
        Op::NotEqual => not_equal(c, v),
        Op::Greater => greater(c, v),
        Op::Less => v.compare(&c.version) == Ordering::Less,
        Op::GreaterOrEqual => v.compare(&c.version) != Ordering::Less,
        Op::LessOrEqual => less_or_equal(c, v),
        Op::Tilde => tilde(c, v),
        Op::Caret => caret(c, v),
    }
}

/// `constraintNotEqual`.
fn not_equal(c: &Constraint, v: &Version) -> bool {
    let con = &c.version;
    if c.dirty {
        if con.major != v.major {
            return true;
        }
        if con.minor != v.minor && !c.minor_dirty {
            return true;
        } else if c.minor_dirty {
            return false;
        } else if con.patch != v.patch && !c.patch_dirty {
            return true;
        } else if c.patch_dirty {
            if v.is_prerelease() || con.is_prerelease() {
                return compare_prerelease(&v.pre, &con.pre) != Ordering::Equal;
            }
            return false;
        }
    }
    v.compare(con) != Ordering::Equal
}

/// `constraintGreaterThan`: `>1` means 2.0.0 and up, `>1.1` means 1.2.0 and up.
fn greater(c: &Constraint, v: &Version) -> bool {
    let con = &c.version;
    if !c.dirty {
        return v.compare(con) == Ordering::Greater;
    }
    if v.major != con.major {
        return v.major > con.major;
    }
    if c.minor_dirty {
        return false;
    }
    if c.patch_dirty {
        return v.minor > con.minor;
    }
    v.compare(con) == Ordering::Greater
}

/// `constraintLessThanEqual`: `<=1.4` covers all of 1.4.x.
fn less_or_equal(c: &Constraint, v: &Version) -> bool {
    let con = &c.version;
    if !c.dirty {
        return v.compare(con) != Ordering::Greater;
    }
    if v.major > con.major {
        return false;
    }
    !(v.major == con.major && v.minor > con.minor && !c.minor_dirty)
}

/// `constraintTilde`: `~1.2.3` is `>=1.2.3 <1.3.0`, `~1` is `>=1.0.0 <2.0.0`.
fn tilde(c: &Constraint, v: &Version) -> bool {
    let con = &c.version;
    if v.compare(con) == Ordering::Less {
        return false;
    }
    if con.major == 0 && con.minor == 0 && con.patch == 0 && !c.minor_dirty && !c.patch_dirty {
        return true;
    }
    if v.major != con.major {
        return false;
    }
    v.minor == con.minor || c.minor_dirty
}

/// `constraintCaret`: `^1.2.3` is `>=1.2.3 <2.0.0`, `^0.2.3` is `>=0.2.3 <0.3.0`, `^0.0.3` is `=0.0.3`.
fn caret(c: &Constraint, v: &Version) -> bool {
    let con = &c.version;
    if v.compare(con) == Ordering::Less {
        return false;
    }
    if con.major > 0 || c.minor_dirty {
        return v.major == con.major;
    }
    if v.major > 0 {
        return false;
    }
    if con.minor > 0 || c.patch_dirty {
        return v.minor == con.minor;
    }
    if v.minor > 0 {
        return false;
    }
    v.patch == con.patch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(range: &str, version: &str) -> bool {
        let range = Range::parse(range).unwrap_or_else(|e| panic!("{range}: {e}"));
        let version = Version::parse(version).unwrap_or_else(|| panic!("{version} parses"));
        range.matches(&version)
    }

    #[test]
    fn tags_need_three_parts_and_may_have_a_v() {
        assert!(Version::parse_tag("v1.2.3").is_some());
        assert!(Version::parse_tag("1.2.3-rc.1+build.5").is_some());
        assert!(Version::parse_tag("v2025.02.03").is_some());
        for bad in ["v1.2", "1", "latest", "release/v1.2.3", "1.2.3.4", "v1.2.3-", "1.2.3-01", "1.2.3+"] {
            assert!(Version::parse_tag(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn orders_by_precedence() {
        let order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11"];
        for pair in order.windows(2) {
            let (a, b) = (Version::parse(pair[0]).unwrap(), Version::parse(pair[1]).unwrap());
            assert_eq!(a.compare(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
        }
        let (rc, release) = (Version::parse("1.0.0-rc.1").unwrap(), Version::parse("1.0.0").unwrap());
        assert_eq!(rc.compare(&release), Ordering::Less);
        let (a, b) = (Version::parse("v1.0.0+a").unwrap(), Version::parse("1.0.0+b").unwrap());
        assert_eq!(a.compare(&b), Ordering::Equal);
    }

    #[test]
    fn comparisons_and_and_or() {
        assert!(matches(">=1.0.0 <2.0.0", "1.5.0"));
        assert!(!matches(">=1.0.0 <2.0.0", "2.0.0"));
        assert!(matches(">=1.0.0, <2.0.0", "1.0.0"));
        assert!(matches("<1.0.0 || >=3.0.0", "3.1.0"));
        assert!(!matches("<1.0.0 || >=3.0.0", "2.0.0"));
        assert!(matches("=1.2.3", "v1.2.3"));
        assert!(matches("1.2.3", "1.2.3+build"));
        assert!(matches("!=1.2.3", "1.2.4"));
        assert!(!matches("!=1.2.x", "1.2.9"));
        assert!(matches(">1.1", "1.2.0"));
        assert!(!matches(">1.1", "1.1.9"));
        assert!(!matches(">1", "1.9.0"));
        assert!(matches("<=1.4", "1.4.9"));
        assert!(!matches("<=1.4", "1.5.0"));
    }

    #[test]
    fn tilde_caret_and_wildcards() {
        assert!(matches("~1.2", "1.2.9"));
        assert!(!matches("~1.2", "1.3.0"));
        assert!(matches("~1.2.3", "1.2.4"));
        assert!(!matches("~1.2.3", "1.2.2"));
        assert!(matches("~>1", "1.9.0"));
        assert!(matches("^1.2", "1.9.0"));
        assert!(!matches("^1.2", "2.0.0"));
        assert!(!matches("^1.2", "1.1.0"));
        assert!(matches("^0.2.3", "0.2.9"));
        assert!(!matches("^0.2.3", "0.3.0"));
        assert!(matches("^0.0.3", "0.0.3"));
        assert!(!matches("^0.0.3", "0.0.4"));
        assert!(matches("1.x", "1.7.2"));
        assert!(!matches("1.x", "2.0.0"));
        assert!(matches("1.2.*", "1.2.7"));
        assert!(matches("*", "0.0.1"));
        assert!(matches("*", "12.3.4"));
        assert!(matches("x", "3.0.0"));
    }

    #[test]
    fn hyphen_ranges_include_the_whole_upper_bound() {
        assert!(matches("1.2 - 1.4", "1.2.0"));
        assert!(matches("1.2 - 1.4", "1.4.7"));
        assert!(!matches("1.2 - 1.4", "1.5.0"));
        assert!(!matches("1.2 - 1.4", "1.1.9"));
        assert!(matches("1.2.3 - 2.3.4", "2.3.4"));
        assert!(!matches("1.2.3 - 2.3.4", "2.3.5"));
    }

    #[test]
    fn prereleases_only_when_the_range_names_one() {
        assert!(!matches(">=1.0.0", "1.1.0-rc.1"));
        assert!(!matches("*", "1.0.0-rc.1"));
        assert!(matches(">=1.0.0-0", "1.1.0-rc.1"));
        assert!(matches(">=1.1.0-rc.0 <1.2.0", "1.1.0-rc.1"));
        assert!(!matches(">=1.1.0-rc.2 <1.2.0", "1.1.0-rc.1"));
        // Only the group that names a prerelease admits them.
        assert!(!matches(">=2.0.0-rc.1 || >=1.0.0", "1.5.0-beta"));
        assert!(matches(">=2.0.0-rc.1 || >=1.0.0", "2.0.0-rc.2"));
    }

    #[test]
    fn malformed_ranges_are_errors() {
        for bad in ["", "latest", ">=1.0.0 <", "1.2.3.4", ">>1", "1.0 ||", "~1.x.y", "^v"] {
            let err = Range::parse(bad).expect_err(bad);
            assert!(err.starts_with("improper constraint"), "{bad}: {err}");
        }
    }
}
