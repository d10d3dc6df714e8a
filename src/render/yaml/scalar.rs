//! What an untagged plain scalar means, by the resolution rules kustomize's
//! YAML libraries apply: go-yaml v3 when reading manifests (YAML 1.2 booleans,
//! Go's integer syntax including legacy `0644` octals, timestamps) and go-yaml
//! v2 when deciding whether a string must be quoted on output (YAML 1.1
//! booleans `y`, `yes`, `on`… as well).

/// The meaning of a plain scalar.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    /// A finite or infinite float, or NaN.
    Float(f64),
    /// A timestamp, already in the RFC 3339 form JSON gives it.
    Timestamp(String),
    /// A timestamp Go's JSON encoding refuses (a zone offset of 24 hours).
    UnencodableTimestamp,
    Str,
}

/// Which boolean spellings count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Booleans {
    /// `true`/`false` in three capitalisations (go-yaml v3, used when reading).
    Yaml12,
    /// Also `y`, `n`, `yes`, `no`, `on`, `off` (go-yaml v2, used when printing).
    Yaml11,
}

/// Resolves a plain scalar.
pub(super) fn resolve_plain(s: &str, booleans: Booleans) -> Resolved {
    let Some(&first) = s.as_bytes().first() else { return Resolved::Null };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => word(s, booleans),
        b'.' => dot(s),
        b'+' | b'-' | b'0'..=b'9' => numeric(s),
        // Everything else, `<<` included, is a string.
        _ => Resolved::Str,
    }
}

/// Whether a string printed plain would read back as a string.
pub(super) fn plain_is_string(s: &str) -> bool {
    matches!(resolve_plain(s, Booleans::Yaml11), Resolved::Str) && !is_base60_float(s)
}

fn word(s: &str, booleans: Booleans) -> Resolved {
    match s {
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        _ if booleans == Booleans::Yaml11 => match s {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Resolved::Bool(true),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Resolved::Bool(false),
            _ => Resolved::Str,
        },
        _ => Resolved::Str,
    }
}

fn dot(s: &str) -> Resolved {
    match s {
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" => Resolved::Float(f64::INFINITY),
        _ => match parse_decimal_float(s) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
    }
}

fn numeric(s: &str) -> Resolved {
    match s {
        "+.inf" | "+.Inf" | "+.INF" => return Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    if let Some(t) = parse_timestamp(s) {
        return t.map_or(Resolved::UnencodableTimestamp, Resolved::Timestamp);
    }
    let plain: std::borrow::Cow<str> = if s.contains('_') { s.replace('_', "").into() } else { s.into() };
    if let Some(i) = parse_go_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = parse_go_uint(&plain) {
        return Resolved::Uint(u);
    }
    if is_yaml_style_float(&plain)
        && let Some(f) = parse_decimal_float(&plain)
    {
        return Resolved::Float(f);
    }
    Resolved::Str
}

/// A decimal float as Go's `strconv.ParseFloat` reads it; out-of-range values are not floats.
fn parse_decimal_float(s: &str) -> Option<f64> {
    if !s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// YAML 1.1's sexagesimal floats (`1:20`), which go-yaml v2 quotes on output:
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    if !s.contains(':') {
        return false;
    }
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one digit, or two with the first at most 5.
        match (b.get(i), b.get(i + 1)) {
            (Some(a @ b'0'..=b'5'), Some(c)) if c.is_ascii_digit() => {
                let _ = a;
                i += 2;
            }
            (Some(a), _) if a.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, then `0x`, `0o`, `0b`
/// or a leading `0` (octal) prefix, or decimal digits.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_go_unsigned(body)?;
    if neg {
        if magnitude <= 1 << 63 { Some((magnitude as i64).wrapping_neg()) } else { None }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign allowed).
fn parse_go_uint(s: &str) -> Option<u64> {
    parse_go_unsigned(s)
}

fn parse_go_unsigned(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let (radix, digits) = match b {
        [b'0', b'x' | b'X', ..] => (16, &s[2..]),
        [b'0', b'o' | b'O', ..] => (8, &s[2..]),
        [b'0', b'b' | b'B', ..] => (2, &s[2..]),
        [b'0', _, ..] => (8, &s[1..]),
        _ => (10, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// A timestamp in one of the forms go-yaml accepts (RFC 3339 with short
/// fields, a space-separated date and time without zone, or a date), in the
/// RFC 3339 form Go's JSON encoding prints (`2001-12-14T21:59:43.1-05:00`);
/// `Some(None)` for a timestamp that encoding refuses.
pub(super) fn parse_timestamp(s: &str) -> Option<Option<String>> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    Timestamp::parse(s).map(|t| t.rfc3339())
}

/// The parts of a parsed timestamp.
#[derive(Debug, Default)]
struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Fraction digits as written (at most nine kept).
    fraction: String,
    /// Zone offset in minutes east of UTC.
    offset: i32,
}

impl Timestamp {
    fn parse(s: &str) -> Option<Timestamp> {
        let mut t = Timestamp::default();
        let rest = t.date(s)?;
        if rest.is_empty() {
            return t.valid().then_some(t);
        }
        let (zoned, rest) = match rest.as_bytes()[0] {
            b'T' | b't' => (true, &rest[1..]),
            b' ' => (false, rest.trim_start_matches(' ')),
            _ => return None,
        };
        let rest = t.time(rest)?;
        let rest = if zoned { t.zone(rest)? } else { rest };
        (rest.is_empty() && t.valid()).then_some(t)
    }

    /// `2006-1-2`: a four-digit year, then a month and day of one or two digits.
    fn date<'a>(&mut self, s: &'a str) -> Option<&'a str> {
        self.year = s[..4].parse().ok()?;
        let (month, rest) = number(s[4..].strip_prefix('-')?)?;
        let (day, rest) = number(rest.strip_prefix('-')?)?;
        self.month = month;
        self.day = day;
        Some(rest)
    }

    /// `15:4:5` with an optional fraction (`.` or `,` then digits).
    fn time<'a>(&mut self, s: &'a str) -> Option<&'a str> {
        let (hour, rest) = number(s)?;
        let (minute, rest) = number(rest.strip_prefix(':')?)?;
        let (second, mut rest) = number(rest.strip_prefix(':')?)?;
        self.hour = hour;
        self.minute = minute;
        self.second = second;
        let rb = rest.as_bytes();
        if rb.len() >= 2 && matches!(rb[0], b'.' | b',') && rb[1].is_ascii_digit() {
            let end = 1 + rb[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            self.fraction = rest[1..end.min(10)].to_string();
            rest = &rest[end..];
        }
        Some(rest)
    }

    /// `Z` or `±hh:mm`.
    fn zone<'a>(&mut self, s: &'a str) -> Option<&'a str> {
        if let Some(rest) = s.strip_prefix('Z') {
            return Some(rest);
        }
        let b = s.as_bytes();
        if b.len() < 6 || b[3] != b':' {
            return None;
        }
        let two = |x: &[u8]| -> Option<i32> {
            (x[0].is_ascii_digit() && x[1].is_ascii_digit())
                .then(|| i32::from(x[0] - b'0') * 10 + i32::from(x[1] - b'0'))
        };
        let (hours, minutes) = (two(&b[1..3])?, two(&b[4..6])?);
        if hours > 24 || minutes > 60 {
            return None;
        }
        self.offset = match b[0] {
            b'+' => hours * 60 + minutes,
            b'-' => -(hours * 60 + minutes),
            _ => return None,
        };
        Some(&s[6..])
    }

    fn valid(&self) -> bool {
        let days = match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if self.year.is_multiple_of(4) && (!self.year.is_multiple_of(100) || self.year.is_multiple_of(400)) => 29,
            2 => 28,
            _ => return false,
        };
        (1..=days).contains(&self.day) && self.hour < 24 && self.minute < 60 && self.second < 60
    }

    /// Go's `RFC3339Nano` layout; `None` where Go's JSON encoding refuses the value.
    fn rfc3339(&self) -> Option<String> {
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        let fraction = self.fraction.trim_end_matches('0');
        if !fraction.is_empty() {
            out.push('.');
            out.push_str(fraction);
        }
        if self.offset == 0 {
            out.push('Z');
        } else {
            let abs = self.offset.unsigned_abs();
            if abs / 60 > 23 {
                return None;
            }
            let sign = if self.offset < 0 { '-' } else { '+' };
            out.push_str(&format!("{sign}{:02}:{:02}", abs / 60, abs % 60));
        }
        Some(out)
    }
}

/// One or two leading digits, as Go's time parser reads unpadded fields.
fn number(s: &str) -> Option<(u32, &str)> {
    let b = s.as_bytes();
    let first = b.first().filter(|c| c.is_ascii_digit())?;
    let n = u32::from(first - b'0');
    match b.get(1) {
        Some(c) if c.is_ascii_digit() => Some((n * 10 + u32::from(c - b'0'), &s[2..])),
        _ => Some((n, &s[1..])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v3(s: &str) -> Resolved {
        resolve_plain(s, Booleans::Yaml12)
    }

    #[test]
    fn integers_follow_go_syntax_with_legacy_octals() {
        assert_eq!(v3("0644"), Resolved::Int(420));
        assert_eq!(v3("0x1F"), Resolved::Int(31));
        assert_eq!(v3("-0x1F"), Resolved::Int(-31));
        assert_eq!(v3("0o17"), Resolved::Int(15));
        assert_eq!(v3("0b101"), Resolved::Int(5));
        assert_eq!(v3("+12"), Resolved::Int(12));
        assert_eq!(v3("1_000"), Resolved::Int(1000));
        assert_eq!(v3("-9223372036854775808"), Resolved::Int(i64::MIN));
        assert_eq!(v3("12345678901234567890"), Resolved::Uint(12_345_678_901_234_567_890));
        assert_eq!(v3("08"), Resolved::Float(8.0));
        assert_eq!(v3("-9223372036854775809"), Resolved::Float(-9_223_372_036_854_775_809.0));
        assert_eq!(v3("0x"), Resolved::Str);
        assert_eq!(v3("1e999"), Resolved::Str);
    }

    #[test]
    fn floats_booleans_and_nulls() {
        assert_eq!(v3("1.10"), Resolved::Float(1.1));
        assert_eq!(v3(".5"), Resolved::Float(0.5));
        assert_eq!(v3("1e3"), Resolved::Float(1000.0));
        assert_eq!(v3("1."), Resolved::Float(1.0));
        assert!(matches!(v3(".nan"), Resolved::Float(f) if f.is_nan()));
        assert_eq!(v3("-.inf"), Resolved::Float(f64::NEG_INFINITY));
        assert_eq!(v3("True"), Resolved::Bool(true));
        assert_eq!(v3("yes"), Resolved::Str);
        assert_eq!(resolve_plain("yes", Booleans::Yaml11), Resolved::Bool(true));
        assert_eq!(v3("~"), Resolved::Null);
        assert_eq!(v3(""), Resolved::Null);
        assert_eq!(v3("<<"), Resolved::Str);
        assert_eq!(v3("1.2.3"), Resolved::Str);
    }

    #[test]
    fn timestamps_print_as_rfc3339() {
        let ts = |s: &str| parse_timestamp(s).flatten();
        assert_eq!(ts("2001-01-01").as_deref(), Some("2001-01-01T00:00:00Z"));
        assert_eq!(ts("2001-12-14t21:59:43.10-05:00").as_deref(), Some("2001-12-14T21:59:43.1-05:00"));
        assert_eq!(ts("2001-12-14 21:59:43.10").as_deref(), Some("2001-12-14T21:59:43.1Z"));
        assert_eq!(ts("2001-1-2T3:4:5+00:00").as_deref(), Some("2001-01-02T03:04:05Z"));
        assert_eq!(ts("2001-12-14T21:59:43"), None);
        assert_eq!(ts("2001-02-30"), None);
        assert_eq!(ts("2001-12-14 21:59:43.10 -5"), None);
        assert_eq!(parse_timestamp("2001-01-01T00:00:00+24:00"), Some(None));
        assert_eq!(v3("2001-01-01T00:00:00+24:00"), Resolved::UnencodableTimestamp);
    }

    #[test]
    fn base60_floats_are_recognised() {
        assert!(is_base60_float("12:30"));
        assert!(is_base60_float("-1:20:30.5"));
        assert!(!is_base60_float("12:60"));
        assert!(!is_base60_float("a:1"));
        assert!(!plain_is_string("1:20"));
        assert!(plain_is_string("1:2:x"));
    }
}
