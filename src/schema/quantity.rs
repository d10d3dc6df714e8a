//! Kubernetes `resource.Quantity` (`cpu: 500m`, `memory: 1Gi`): parsing, the
//! string the API server stores and returns for it, and comparison by value,
//! as `k8s.io/apimachinery/pkg/api/resource` does it.
//!
//! The emulator stores quantities the way a real API server returns them
//! (`0.5` → `500m`, `1024Mi` → `1Gi`, `12000` → `12k`), and the apply engine
//! compares a desired quantity with a live one by value (`1` == `1000m`).
//!
//! # The rules (from apimachinery's `quantity.go`, `amount.go`, `suffix.go`)
//!
//! - Syntax: an optional sign, digits with at most one `.`, then a suffix: a
//!   binary one (`Ki Mi Gi Ti Pi Ei`), a decimal one (`n u m "" k M G T P E`)
//!   or a decimal exponent (`e3`, `E-6`, `e+2`). The scanner is lax exactly
//!   where apimachinery's is: `.`, `+`, `-`, `Mi` and `1.` parse (the first
//!   four as zero), while `Pi`, `Ei` and `e-10` do not (no digits on
//!   apimachinery's general path).
//! - The suffix decides the format the quantity keeps: DecimalSI, BinarySI or
//!   DecimalExponent.
//! - Values are exact. Anything finer than 1n is rounded up, away from zero
//!   (`0.1n` → `1n`, `-3.001n` → `-4n`). Binary quantities are capped at
//!   2^63-1 in magnitude (`9Ei` → `9223372036854775807`); decimal ones are not.
//! - Canonical form: the mantissa is an integer and the exponent (suffix) is
//!   as large as possible. Decimal formats use exponents that are multiples
//!   of 3 (`1.5` → `1500m`, `1e4` → `10e3`). BinarySI uses powers of 1024,
//!   but falls back to DecimalSI when the value is below 1024 in magnitude or
//!   not a whole number (`1.5Gi` → `1536Mi`, `0.5Ki` → `512`, `0.1Gi` →
//!   `107374182400m`). Zero is always `0`.
//! - DecimalSI has no suffix above `E` (10^18): apimachinery then prints the
//!   mantissa with no suffix at all (`1000E` → `1`). That is a bug in
//!   apimachinery, kept here because the API server really stores it.
//! - A parsed string that already "looks canonical" by apimachinery's quick
//!   test is kept verbatim and returned as sent, which is how an API server
//!   answers `+1Ki`, `01`, `1.500` or `1E3` (not `1Ki`, `1`, `1500m`, `1e3`).
//!   [`Quantity::canonical`] reproduces that too.
//!
//! # Differences from apimachinery, on purpose
//!
//! - Values are held in an `i128` mantissa (at most 38 significant digits)
//!   with an `i32` decimal exponent. Inputs beyond that (more significant
//!   digits than 38, or a suffix exponent outside the `i32` range, which
//!   apimachinery silently wraps) are rejected with [`QuantityError`].
//!   Digits finer than 1n are rounded up first, so long fractions still parse.
//! - apimachinery has three parse errors; the two other than the syntax
//!   error (`unable to parse quantity's suffix` for `1ii` or `1e`, `unable to
//!   parse numeric part of quantity` for `Pi`) are reported with the same
//!   [`QuantityError`] message here.
//! - Huge exponents are computed arithmetically (`1e-2000000000` → `1e-9`),
//!   where apimachinery may spend unbounded time in big-number arithmetic.

use std::cmp::Ordering;

/// The API server's message for an unparsable quantity.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
pub struct QuantityError;

/// A parsed quantity: an exact value, the format its suffix chose, and (when
/// apimachinery would keep the input string verbatim) how it was spelled.
///
/// `==` compares the representation (value, format, stored spelling); use
/// [`Quantity::cmp_value`] to compare values (`1Gi` vs `1073741824`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    /// Value = mantissa × 10^exponent. Normalized: no trailing decimal zeros
    /// in the mantissa; zero is (0, 0). |mantissa| < 10^38.
    mantissa: i128,
    exponent: i32,
    format: Format,
    /// The input as sent, when apimachinery keeps it and it differs from the
    /// computed canonical form.
    spelling: Option<Spelling>,
}

/// How a quantity is written back; the suffix of the parsed string picks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `12e6`
    DecimalExponent,
    /// `12Mi` (12 × 2^20)
    BinarySI,
    /// `12M` (12 × 10^6)
    DecimalSI,
}

/// Most significant decimal digits a mantissa may have.
const MAX_DIGITS: usize = 38;
/// The finest precision a quantity keeps: 1n.
const NANO: i64 = -9;
/// 2^63-1 (apimachinery's cap for binary quantities) in units of 1n.
const BINARY_CAP_NANOS: u128 = (i64::MAX as u128) * 1_000_000_000;
/// Decimal suffixes by exponent, as printed (only multiples of 3 in -9..=18).
const DECIMAL_SUFFIXES: [(i64, &str); 10] =
    [(-9, "n"), (-6, "u"), (-3, "m"), (0, ""), (3, "k"), (6, "M"), (9, "G"), (12, "T"), (15, "P"), (18, "E")];
/// Binary suffixes by power of two.
const BINARY_SUFFIXES: [(i64, &str); 6] = [(10, "Ki"), (20, "Mi"), (30, "Gi"), (40, "Ti"), (50, "Pi"), (60, "Ei")];

impl Quantity {
    /// Parses a quantity string exactly as `resource.ParseQuantity` does (no
    /// surrounding whitespace allowed; see [`canonicalize`] for JSON input).
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        if s.is_empty() {
            return Err(QuantityError);
        }
        let scan = Scan::new(s)?;
        let suffix = Suffix::interpret(scan.suffix).ok_or(QuantityError)?;
        let fast = fast_path(&scan, &suffix);
        // apimachinery's general path needs at least one digit (`Pi`, `e-10`).
        if !fast && scan.leading_zeros == 0 && scan.num.is_empty() && scan.denom.is_empty() {
            return Err(QuantityError);
        }

        // Significant digits of num+denom and the decimal exponent they carry.
        let digits: Vec<u8> = scan.num.bytes().chain(scan.denom.bytes()).map(|b| b - b'0').collect();
        let first = digits.iter().position(|&d| d != 0);
        let mut exp10 = -(scan.denom.len() as i64);
        if !suffix.binary {
            exp10 += suffix.exponent;
        }
        let (magnitude, exp10, format) = match first {
            None => (0u128, 0i64, suffix.format),
            Some(first) => {
                let last = digits.iter().rposition(|&d| d != 0).unwrap_or(first);
                exp10 += (digits.len() - 1 - last) as i64;
                let significant = &digits[first..=last];
                if suffix.binary && significant.len() as i64 + exp10 > 19 {
                    // At least 10^19: over the cap whatever the digits.
                    (BINARY_CAP_NANOS, NANO, Format::BinarySI)
                } else if suffix.binary {
                    let m = to_u128(significant)?;
                    let nanos = binary_nanos(m, exp10, suffix.exponent as u32);
                    // A binary value strictly between -1 and 1 becomes DecimalSI.
                    let format = if nanos < 1_000_000_000 { Format::DecimalSI } else { Format::BinarySI };
                    (nanos, NANO, format)
                } else if exp10 < NANO {
                    // Round up to 1n; the dropped digits end in a non-zero digit.
                    let cut = (NANO - exp10) as usize;
                    let kept = significant.len().saturating_sub(cut);
                    let m = to_u128(&significant[..kept])? + 1;
                    (m, NANO, suffix.format)
                } else {
                    (to_u128(significant)?, exp10, suffix.format)
                }
            }
        };
        let (magnitude, exponent) = normalize(magnitude, exp10)?;
        let mantissa = if scan.sign == Some(b'-') { -(magnitude as i128) } else { magnitude as i128 };
        let mut q = Quantity { mantissa, exponent, format, spelling: None };
        if fast
            && let Some(spelling) = Spelling::kept(&scan, &suffix)
            && spelling.render() != q.computed()
        {
            q.spelling = Some(spelling);
        }
        Ok(q)
    }

    /// The canonical string the API server stores and returns.
    pub fn canonical(&self) -> String {
        match &self.spelling {
            Some(spelling) => spelling.render(),
            None => self.computed(),
        }
    }

    /// Compare by value (1Gi == 1073741824, 1 == 1000m).
    pub fn cmp_value(&self, other: &Quantity) -> std::cmp::Ordering {
        let (a, b) = (self.mantissa, other.mantissa);
        match a.signum().cmp(&b.signum()) {
            Ordering::Equal if a == 0 => Ordering::Equal,
            Ordering::Equal => {
                let magnitude = cmp_magnitude(a.unsigned_abs(), self.exponent, b.unsigned_abs(), other.exponent);
                if a < 0 { magnitude.reverse() } else { magnitude }
            }
            unequal => unequal,
        }
    }

    /// The canonical form computed from value and format (apimachinery's
    /// `CanonicalizeBytes`), ignoring any kept spelling.
    fn computed(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_string();
        }
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let magnitude = self.mantissa.unsigned_abs();
        if self.format == Format::BinarySI
            && self.exponent >= 0
            && let Some(whole) = 10u128.checked_pow(self.exponent as u32).and_then(|p| magnitude.checked_mul(p))
            && whole >= 1024
        {
            let (mut n, mut power) = (whole, 0i64);
            while n.is_multiple_of(1024) {
                n /= 1024;
                power += 10;
            }
            let suffix = BINARY_SUFFIXES.iter().find(|(p, _)| *p == power).map_or("", |(_, s)| s);
            return format!("{sign}{n}{suffix}");
        }
        // Decimal: lower the exponent to a multiple of 3 by padding zeros.
        let pad = self.exponent.rem_euclid(3);
        let exponent = i64::from(self.exponent) - i64::from(pad);
        let zeros = "0".repeat(pad as usize);
        let suffix = match self.format {
            Format::DecimalExponent if exponent == 0 => String::new(),
            Format::DecimalExponent => format!("e{exponent}"),
            // No suffix above E: apimachinery prints none (see module docs).
            _ => DECIMAL_SUFFIXES.iter().find(|(e, _)| *e == exponent).map_or("", |(_, s)| s).to_string(),
        };
        format!("{sign}{magnitude}{zeros}{suffix}")
    }
}

/// Parses and canonicalizes a quantity given as a JSON string or number (numbers are accepted by the API server: `cpu: 2`, `cpu: 0.5`).
///
/// Strings are trimmed of surrounding whitespace first, as the API server's
/// JSON decoder does (`" 1Gi "` → `1Gi`). It trims the raw JSON text, where
/// control characters can only appear escaped (`"1Gi\n"`), so those are not
/// trimmed here either. A number is parsed from the text serde_json writes
/// for it (`1e21` → `1e+21`), i.e. what a request carrying it would contain.
pub fn canonicalize(v: &serde_json::Value) -> Result<String, QuantityError> {
    let q = match v {
        serde_json::Value::String(s) => Quantity::parse(s.trim_matches(|c: char| c.is_whitespace() && c >= ' '))?,
        serde_json::Value::Number(n) => Quantity::parse(&n.to_string())?,
        _ => return Err(QuantityError),
    };
    Ok(q.canonical())
}

/// The parts of a quantity string, split as apimachinery's
/// `parseQuantityString` splits them.
struct Scan<'a> {
    /// `+` or `-` when given.
    sign: Option<u8>,
    /// How many `0`s lead the integer part.
    leading_zeros: usize,
    /// Integer digits after the leading zeros (may be empty).
    num: &'a str,
    /// Whether a `.` follows the integer part.
    point: bool,
    /// Fraction digits (may be empty).
    denom: &'a str,
    /// Everything after the number.
    suffix: &'a str,
}

impl<'a> Scan<'a> {
    fn new(s: &'a str) -> Result<Scan<'a>, QuantityError> {
        let b = s.as_bytes();
        let skip = |mut i: usize, f: fn(u8) -> bool| {
            while i < b.len() && f(b[i]) {
                i += 1;
            }
            i
        };
        let sign = b.first().copied().filter(|c| matches!(c, b'+' | b'-'));
        let start = usize::from(sign.is_some());
        let num_start = skip(start, |c| c == b'0');
        let num_end = skip(num_start, |c| c.is_ascii_digit());
        let point = b.get(num_end) == Some(&b'.');
        let denom_start = num_end + usize::from(point);
        let denom_end = if point { skip(denom_start, |c| c.is_ascii_digit()) } else { num_end };
        let mut end = skip(denom_end, |c| b"eEinumkKMGTP".contains(&c));
        if matches!(b.get(end), Some(b'+' | b'-')) {
            end += 1;
        }
        if skip(end, |c| c.is_ascii_digit()) != b.len() {
            return Err(QuantityError);
        }
        Ok(Scan {
            sign,
            leading_zeros: num_start - start,
            num: &s[num_start..num_end],
            point,
            denom: &s[denom_start..denom_end],
            suffix: &s[denom_end..],
        })
    }
}

/// What a suffix means (apimachinery's `suffixer.interpret`).
struct Suffix {
    /// Powers of two (`Ki`…`Ei`) rather than of ten.
    binary: bool,
    exponent: i64,
    format: Format,
}

impl Suffix {
    fn interpret(s: &str) -> Option<Suffix> {
        if let Some((exponent, _)) = DECIMAL_SUFFIXES.iter().find(|(_, name)| *name == s) {
            return Some(Suffix { binary: false, exponent: *exponent, format: Format::DecimalSI });
        }
        if let Some((exponent, _)) = BINARY_SUFFIXES.iter().find(|(_, name)| *name == s) {
            return Some(Suffix { binary: true, exponent: *exponent, format: Format::BinarySI });
        }
        let rest = s.strip_prefix(['e', 'E']).filter(|rest| !rest.is_empty())?;
        // `[+-]?digits` (the scanner allows nothing else here); i32 bounds.
        let exponent = i64::from(rest.parse::<i32>().ok()?);
        Some(Suffix { binary: false, exponent, format: Format::DecimalExponent })
    }
}

/// The input string as apimachinery keeps it: its `ParseQuantity` fast path
/// reuses the input as the canonical string when a quick test says it looks
/// canonical. Stored in parts so that `Quantity` stays `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spelling {
    sign: Option<u8>,
    leading_zeros: usize,
    /// Integer and fraction digits; never starts with 0.
    digits: u64,
    /// How many of `digits` are before the point.
    int_digits: usize,
    point: bool,
    suffix: SuffixSpelling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SuffixSpelling {
    Named(&'static str),
    /// `e`/`E`, an optional sign, then `magnitude` zero-padded to `width`.
    Exponent {
        letter: u8,
        sign: Option<u8>,
        width: usize,
        magnitude: u32,
    },
}

impl Spelling {
    /// The spelling to keep, if apimachinery's fast path (see [`fast_path`])
    /// keeps this input verbatim.
    fn kept(scan: &Scan<'_>, suffix: &Suffix) -> Option<Spelling> {
        if scan.num.is_empty() {
            // The digits would start with 0 (or be 0).
            return None;
        }
        if suffix.binary {
            // Kept when the number is not a multiple of 8.
            let value: u64 = scan.num.parse().ok()?;
            if value & 7 == 0 {
                return None;
            }
        } else {
            // Kept when the exponent is a multiple of 3 and the digits do not
            // end in 000.
            let scale = suffix.exponent - scan.denom.len() as i64;
            if scale % 3 != 0 || [scan.num, scan.denom].concat().ends_with("000") {
                return None;
            }
        }
        let digits = [scan.num, scan.denom].concat().parse().ok()?;
        let suffix = match scan.suffix.as_bytes() {
            [letter @ (b'e' | b'E'), rest @ ..] if !rest.is_empty() => {
                let sign = rest.first().copied().filter(|c| matches!(c, b'+' | b'-'));
                let width = rest.len() - usize::from(sign.is_some());
                SuffixSpelling::Exponent {
                    letter: *letter,
                    sign,
                    width,
                    magnitude: suffix.exponent.unsigned_abs() as u32,
                }
            }
            _ => {
                let name = DECIMAL_SUFFIXES.iter().chain(&BINARY_SUFFIXES).find(|(_, name)| *name == scan.suffix)?.1;
                SuffixSpelling::Named(name)
            }
        };
        Some(Spelling {
            sign: scan.sign,
            leading_zeros: scan.leading_zeros,
            digits,
            int_digits: scan.num.len(),
            point: scan.point,
            suffix,
        })
    }

    fn render(&self) -> String {
        let digits = self.digits.to_string();
        let (int, frac) = digits.split_at(self.int_digits.min(digits.len()));
        let mut out = String::with_capacity(digits.len() + self.leading_zeros + 8);
        if let Some(sign) = self.sign {
            out.push(char::from(sign));
        }
        out.extend(std::iter::repeat_n('0', self.leading_zeros));
        out.push_str(int);
        if self.point {
            out.push('.');
        }
        out.push_str(frac);
        match self.suffix {
            SuffixSpelling::Named(name) => out.push_str(name),
            SuffixSpelling::Exponent { letter, sign, width, magnitude } => {
                out.push(char::from(letter));
                if let Some(sign) = sign {
                    out.push(char::from(sign));
                }
                out.push_str(&format!("{magnitude:0width$}"));
            }
        }
        out
    }
}

/// Whether apimachinery's `ParseQuantity` takes its int64 fast path: for a
/// decimal suffix at most 18 digits and nothing finer than 1n, for a binary
/// one no fraction digits and few enough integer digits for the power of two.
/// Only the fast path keeps the input verbatim; only the other one rejects a
/// number without digits.
fn fast_path(scan: &Scan<'_>, suffix: &Suffix) -> bool {
    // An empty integer part counts as one digit ("0").
    let num_len = scan.num.len().max(1) as i64;
    let denom_len = scan.denom.len() as i64;
    if suffix.binary {
        denom_len == 0 && 14 - num_len - 3 * (suffix.exponent / 10) >= 0
    } else {
        num_len + denom_len <= 18 && suffix.exponent - denom_len >= NANO
    }
}

/// The integer written by `digits` (0..=9 each), at most [`MAX_DIGITS`] long.
fn to_u128(digits: &[u8]) -> Result<u128, QuantityError> {
    if digits.len() > MAX_DIGITS {
        return Err(QuantityError);
    }
    Ok(digits.iter().fold(0u128, |acc, &d| acc * 10 + u128::from(d)))
}

/// `m × 10^exp10 × 2^power`, rounded up to a whole number of nanos and capped
/// at 2^63-1 (apimachinery's rounding and cap for binary quantities).
fn binary_nanos(m: u128, exp10: i64, power: u32) -> u128 {
    let up = exp10 - NANO;
    // x × 2^power / 10^down, with x and down from m and exp10.
    let x = if up >= 0 {
        match u32::try_from(up).ok().and_then(|up| 10u128.checked_pow(up)).and_then(|p| m.checked_mul(p)) {
            Some(x) => x,
            None => return BINARY_CAP_NANOS,
        }
    } else {
        m
    };
    let down = if up < 0 { up.unsigned_abs() } else { 0 };
    // Divide by at most 10^38 while doubling (so the remainder's double fits),
    // then by the rest of the power of ten.
    let first = down.min(MAX_DIGITS as u64) as u32;
    let divisor = 10u128.pow(first);
    let (mut q, mut r) = (x / divisor, x % divisor);
    for _ in 0..power {
        let Some(doubled) = q.checked_mul(2) else { return BINARY_CAP_NANOS };
        q = doubled;
        r *= 2;
        if r >= divisor {
            r -= divisor;
            q += 1;
        }
    }
    let mut nanos = q.saturating_add(u128::from(r > 0));
    if down > u64::from(first) {
        nanos = ceil_div_pow10(nanos, down - u64::from(first));
    }
    nanos.min(BINARY_CAP_NANOS)
}

/// `ceil(x / 10^n)`.
fn ceil_div_pow10(x: u128, n: u64) -> u128 {
    match u32::try_from(n).ok().and_then(|n| 10u128.checked_pow(n)) {
        Some(p) => x.div_ceil(p),
        None => u128::from(x > 0),
    }
}

/// Moves trailing decimal zeros of `m` into the exponent; zero is (0, 0).
fn normalize(mut m: u128, mut exp10: i64) -> Result<(u128, i32), QuantityError> {
    if m == 0 {
        return Ok((0, 0));
    }
    while m.is_multiple_of(10) {
        m /= 10;
        exp10 += 1;
    }
    let exponent = i32::try_from(exp10).map_err(|_| QuantityError)?;
    Ok((m, exponent))
}

/// Number of decimal digits of a non-zero `m`.
fn digit_count(m: u128) -> i64 {
    i64::from(m.ilog10()) + 1
}

/// Compares `a × 10^ea` with `b × 10^eb` for non-zero `a`, `b` below 10^38.
fn cmp_magnitude(a: u128, ea: i32, b: u128, eb: i32) -> Ordering {
    let (ea, eb) = (i64::from(ea), i64::from(eb));
    match (digit_count(a) + ea).cmp(&(digit_count(b) + eb)) {
        // Same order of magnitude: the exponents differ by less than 38, and
        // the shifted mantissa has as many digits as the other one.
        Ordering::Equal if ea >= eb => (a * 10u128.pow((ea - eb) as u32)).cmp(&b),
        Ordering::Equal => a.cmp(&(b * 10u128.pow((eb - ea) as u32))),
        unequal => unequal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(s: &str) -> String {
        match Quantity::parse(s) {
            Ok(q) => q.canonical(),
            Err(e) => panic!("{s:?} did not parse: {e}"),
        }
    }

    fn check(table: &[(&str, &str)]) {
        let mut failures = Vec::new();
        for (input, want) in table {
            match Quantity::parse(input) {
                Ok(q) if q.canonical() == *want => {}
                Ok(q) => failures.push(format!("{input:?}: want {want:?}, got {:?}", q.canonical())),
                Err(e) => failures.push(format!("{input:?}: want {want:?}, got error {e}")),
            }
        }
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }

    /// The examples this module exists for.
    #[test]
    fn everyday_values() {
        check(&[
            ("0.5", "500m"),
            ("1024Mi", "1Gi"),
            ("1000m", "1"),
            ("1.5Gi", "1536Mi"),
            ("0.1Gi", "107374182400m"),
            ("1e3", "1e3"),
            ("12000", "12k"),
            ("100M", "100M"),
            ("250m", "250m"),
            ("2", "2"),
            ("128Mi", "128Mi"),
            ("1024", "1024"),
            ("2048Ki", "2Mi"),
            ("1.5Ki", "1536"),
            ("0.5Ki", "512"),
            ("0.5Gi", "512Mi"),
            ("1000Ki", "1000Ki"),
            ("1024Ki", "1Mi"),
            ("1536Ki", "1536Ki"),
        ]);
    }

    /// apimachinery quantity_test.go, TestQuantityParse: the valid table.
    /// The Go test states value and format; the strings here are what
    /// apimachinery's `String()` prints for each input.
    #[test]
    fn parse_table() {
        check(&[
            ("0", "0"),
            ("0n", "0"),
            ("0u", "0"),
            ("0m", "0"),
            ("0Ki", "0"),
            ("0k", "0"),
            ("0Mi", "0"),
            ("0M", "0"),
            ("0Gi", "0"),
            ("0G", "0"),
            ("0Ti", "0"),
            ("0T", "0"),
            // Quantity-less numbers are allowed.
            ("1", "1"),
            // Binary suffixes.
            ("1Ki", "1Ki"),
            ("8Ki", "8Ki"),
            ("7Mi", "7Mi"),
            ("6Gi", "6Gi"),
            ("5Ti", "5Ti"),
            ("4Pi", "4Pi"),
            ("3Ei", "3Ei"),
            ("10Ti", "10Ti"),
            ("100Ti", "100Ti"),
            // Decimal suffixes.
            ("5n", "5n"),
            ("4u", "4u"),
            ("3m", "3m"),
            ("9", "9"),
            ("8k", "8k"),
            ("50k", "50k"),
            ("7M", "7M"),
            ("6G", "6G"),
            ("5T", "5T"),
            ("40T", "40T"),
            ("300T", "300T"),
            ("2P", "2P"),
            ("1E", "1E"),
            // Decimal exponents (kept as written when they look canonical).
            ("1E-3", "1E-3"),
            ("1e3", "1e3"),
            ("1E6", "1E6"),
            ("1e9", "1e9"),
            ("1E12", "1E12"),
            ("1e15", "1e15"),
            ("1E18", "1E18"),
            // Nonstandard but still parsable.
            ("1e14", "100e12"),
            ("1e13", "10e12"),
            ("100.035k", "100.035k"),
            // Things that look like floating point.
            ("0.001", "1m"),
            ("0.0005k", "500m"),
            ("0.005", "5m"),
            ("0.05", "50m"),
            ("0.5", "500m"),
            ("0.00050k", "500m"),
            ("0.00500", "5m"),
            ("0.05000", "50m"),
            ("0.50000", "500m"),
            ("0.5e0", "500e-3"),
            ("0.5e-1", "50e-3"),
            ("0.5e-2", "5e-3"),
            ("10.035M", "10.035M"),
            ("1.2e3", "1200"),
            ("1.3E+6", "1300e3"),
            ("1.40e9", "1400e6"),
            ("1.53E12", "1530e9"),
            ("1.6e15", "1600e12"),
            ("1.7E18", "1700e15"),
            ("9.01", "9010m"),
            ("8.1k", "8100"),
            ("7.123456M", "7.123456M"),
            ("6.987654321G", "6.987654321G"),
            ("5.444T", "5.444T"),
            ("40.1T", "40100G"),
            ("300.2T", "300200G"),
            ("2.5P", "2500T"),
            ("1.01E", "1010P"),
            // Things that saturate or round.
            ("3.001n", "4n"),
            ("1.1E-9", "2e-9"),
            ("0.0000000001", "1n"),
            ("0.0000000005", "1n"),
            ("0.00000000050", "1n"),
            ("0.5e-9", "1e-9"),
            ("0.9n", "1n"),
            ("0.00000012345", "124n"),
            ("0.00000012354", "124n"),
            ("9Ei", "9223372036854775807"),
            ("9223372036854775807Ki", "9223372036854775807"),
            ("12E", "12E"),
            // Fractional binary values.
            ("100.035Ki", "102435840m"),
            ("0.5Mi", "512Ki"),
            ("0.05Gi", "53687091200m"),
            ("0.025Ti", "27487790694400m"),
            // Things written by trolls.
            ("0.000000000001Ki", "2n"),
            (".001", "1m"),
            (".0001k", "100m"),
            ("1.", "1."),
            ("1.G", "1.G"),
        ]);
    }

    /// TestQuantityParse runs its table again with a leading `-` and `+`;
    /// a sample of both, with apimachinery's output.
    #[test]
    fn parse_table_signed() {
        check(&[
            ("-0", "0"),
            ("-0Ki", "0"),
            ("-1", "-1"),
            ("-1Ki", "-1Ki"),
            ("-8Ki", "-8Ki"),
            ("-4Pi", "-4Pi"),
            ("-50k", "-50k"),
            ("-1E-3", "-1E-3"),
            ("-1e14", "-100e12"),
            ("-0.0005k", "-500m"),
            ("-0.5e-2", "-5e-3"),
            ("-1.3E+6", "-1300e3"),
            ("-3.001n", "-4n"),
            ("-0.0000000005", "-1n"),
            ("-0.00000012354", "-124n"),
            ("-9Ei", "-9223372036854775807"),
            ("-100.035Ki", "-102435840m"),
            ("-0.5Mi", "-512Ki"),
            ("-0.000000000001Ki", "-2n"),
            ("-1.G", "-1.G"),
            ("+0", "0"),
            ("+1", "+1"),
            ("+1Ki", "+1Ki"),
            ("+8Ki", "8Ki"),
            ("+50k", "+50k"),
            ("+1e14", "100e12"),
            ("+0.5", "500m"),
            ("+9Ei", "9223372036854775807"),
            ("+.001", "1m"),
            ("+1.", "+1."),
        ]);
    }

    /// TestQuantityString: each canonical string parses back to itself, and
    /// its alternate spelling canonicalizes to it.
    #[test]
    fn string_table() {
        let table = [
            ("1Gi", "1024Mi"),
            ("300Mi", "307200Ki"),
            ("6Ki", ""),
            ("1001Gi", "1025024Mi"),
            ("1Ti", "1024Gi"),
            ("5", "5000m"),
            ("500m", "0.5"),
            ("1G", "1000M"),
            ("1G", "0.001T"),
            ("1m", "1000u"),
            ("80m", ""),
            ("1080m", "1.08"),
            ("1080m", "1080000000n"),
            ("300M", ""),
            ("1T", ""),
            ("1234567M", ""),
            ("1234567m", ""),
            ("3k", ""),
            ("1025", ""),
            ("0", "00"),
            ("1e9", ".001e12"),
            ("1e-3", "0.001e0"),
            ("1e-9", "1000e-12"),
            ("80e-3", ""),
            ("300e6", ""),
            ("1e12", ""),
            ("1e3", ""),
            ("3e3", ""),
            ("1n", ""),
            ("80n", ""),
            ("1080n", ""),
            ("1u", ""),
            ("80u", ""),
            ("1080u", ""),
        ];
        for (canonical, alternate) in table {
            assert_eq!(canon(canonical), canonical);
            assert!(Quantity::parse(canonical).unwrap().spelling.is_none(), "{canonical}");
            if !alternate.is_empty() {
                assert_eq!(canon(alternate), canonical, "alternate {alternate}");
            }
            if canonical != "0" {
                assert_eq!(canon(&format!("-{canonical}")), format!("-{canonical}"));
            }
        }
    }

    /// TestQuantityParseEmit, with the negated inputs it also checks.
    #[test]
    fn parse_emit_table() {
        let table = [
            ("1Ki", "1Ki"),
            ("1Mi", "1Mi"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1000M", "1G"),
            (".001Ki", "1024m"),
            (".000001Ki", "1024u"),
            (".000000001Ki", "1024n"),
            (".000000000001Ki", "2n"),
        ];
        check(&table);
        for (input, want) in table {
            assert_eq!(canon(&format!("-{input}")), format!("-{want}"));
        }
    }

    /// The canonical form of values apimachinery builds in TestNewSet,
    /// TestMilliNewSet and TestNewScaledSet, written as strings.
    #[test]
    fn constructed_values() {
        check(&[
            ("1000", "1k"),
            ("1234000", "1234k"),
            ("1048576", "1048576"),
            ("1048576Ki", "1Gi"),
            ("1e6", "1e6"),
            ("1000000e-3", "1e3"),
            ("1000n", "1u"),
            ("1000u", "1m"),
            ("1234000m", "1234"),
            ("1.024Ki", "1048576m"),
            ("0n", "0"),
        ]);
    }

    /// apimachinery rules that its tests cover only indirectly; each string
    /// here was checked against apimachinery's `ParseQuantity` + `String()`.
    #[test]
    fn apimachinery_behaviour() {
        check(&[
            // The scanner's lax corners (TestParseQuantityString): a bare
            // point, a bare sign and a bare suffix are zero.
            (".", "0"),
            ("-.", "0"),
            ("+", "0"),
            ("-", "0"),
            ("Mi", "0"),
            ("k", "0"),
            ("000", "0"),
            // Inputs kept verbatim by the fast path.
            ("01", "01"),
            ("1.500", "1.500"),
            ("1.001", "1.001"),
            ("+100m", "+100m"),
            ("1e+3", "1e+3"),
            ("1e03", "1e03"),
            ("1E0", "1E0"),
            ("1.Ki", "1.Ki"),
            ("007Ki", "007Ki"),
            ("1025Ki", "1025Ki"),
            // ... and the ones it recomputes.
            ("1.000", "1"),
            ("1.0", "1"),
            ("1.50", "1500m"),
            ("1000e3", "1e6"),
            ("010Ki", "010Ki"),
            ("1Pi", "1Pi"),
            ("+1Pi", "1Pi"),
            ("1234567890123456789", "1234567890123456789"),
            ("+1234567890123456789", "1234567890123456789"),
            ("1.0Ki", "1Ki"),
            // BinarySI below 1024 or not whole is printed as DecimalSI.
            ("1.1Ki", "1126400m"),
            ("0.5Ki", "512"),
            ("1023.5Ki", "1048064"),
            ("-1.5Ki", "-1536"),
            // The cap: binary only; decimal values are unbounded.
            ("8Ei", "9223372036854775807"),
            ("7Ei", "7Ei"),
            ("8191.99Pi", "9223360777855707381760m"),
            ("100E", "100E"),
            ("1e30", "1e30"),
            ("1e100", "10e99"),
            // DecimalSI above E has no suffix in apimachinery.
            ("1000E", "1"),
            ("10000E", "10"),
            // Rounding up below 1n, also on long fractions.
            ("0.0000000000000000000000000000000000000000000000001", "1n"),
            ("1.0000000000000000000000000000000000000000000000001", "1000000001n"),
            ("-0.00000000012", "-1n"),
            ("1e-2000000000", "1e-9"),
            ("0.000000000000000000000000000000000000000000000001Ei", "1n"),
            // Large but exact.
            ("123456789012345678901234567890", "123456789012345678901234567890"),
            ("1e2000000000", "100e1999999998"),
            ("1e2147483646", "1e2147483646"),
            ("9e2147483647", "90e2147483646"),
        ]);
    }

    /// TestQuantityCmp, TestQuantityCmpInt64AndDec (as strings) and the
    /// examples from the module docs.
    #[test]
    fn compare_by_value() {
        let table = [
            ("0", "0", Ordering::Equal),
            ("100m", "50m", Ordering::Greater),
            ("50m", "100m", Ordering::Less),
            ("10000T", "100Gi", Ordering::Greater),
            ("9.01", "9.01", Ordering::Equal),
            ("9.0", "9.01", Ordering::Less),
            ("9.01", "9.00", Ordering::Greater),
            ("0e1", "0e-1", Ordering::Equal),
            ("800m", "1", Ordering::Less),
            ("800m", "790m", Ordering::Greater),
            ("9223372036854775807", "0.1", Ordering::Greater),
            ("9223372036854775807e1", "1e1", Ordering::Greater),
            ("9223372036854775807e-16", "1e3", Ordering::Less),
            ("-9223372036854775808", "0", Ordering::Less),
            ("-9223372036854775808e-18", "-1", Ordering::Less),
            ("-9223372036854775808e-19", "-1", Ordering::Greater),
            ("1000000000000000000e-17", "1e1", Ordering::Equal),
            ("1000000000000000000e-17", "-10", Ordering::Greater),
            ("-1000000000000000000e-17", "-10", Ordering::Equal),
            ("1000000000000000001e-17", "1e1", Ordering::Greater),
            // Go builds this one unrounded (Less); parsed, it rounds up to 1n.
            ("999999999999999999e-17", "1e1", Ordering::Equal),
            ("999999999999999999e-18", "1", Ordering::Equal),
            ("999999999e-9", "1", Ordering::Less),
            ("1Gi", "1073741824", Ordering::Equal),
            ("1", "1000m", Ordering::Equal),
            ("1Ki", "1k", Ordering::Greater),
            ("0.5", "500m", Ordering::Equal),
            ("-1", "1", Ordering::Less),
            ("-2", "-1", Ordering::Less),
            ("0", "-1n", Ordering::Greater),
            ("1e30", "1e29", Ordering::Greater),
            ("1E", "1000P", Ordering::Equal),
            ("12345678901234567890123456789012345678", "12345678901234567890123456789012345679", Ordering::Less),
        ];
        for (a, b, want) in table {
            let (qa, qb) = (Quantity::parse(a).unwrap(), Quantity::parse(b).unwrap());
            assert_eq!(qa.cmp_value(&qb), want, "{a} vs {b}");
            assert_eq!(qb.cmp_value(&qa), want.reverse(), "{b} vs {a}");
        }
    }

    /// `==` is the representation; equal canonical forms from different
    /// spellings compare equal.
    #[test]
    fn representation_equality() {
        let p = |s| Quantity::parse(s).unwrap();
        assert_eq!(p("1Gi"), p("1024Mi"));
        assert_eq!(p("500m"), p("0.5"));
        assert_ne!(p("1.500"), p("1500m"));
        assert_ne!(p("1k"), p("1e3"));
        assert_eq!(p("1.500").cmp_value(&p("1500m")), Ordering::Equal);
    }

    /// TestQuantityParse's invalid list, plus more input apimachinery rejects.
    #[test]
    fn malformed() {
        let inputs = [
            "",
            "1.1.M",
            "1+1.0M",
            "0.1mi",
            "0.1am",
            "aoeu",
            ".5i",
            "1i",
            "-3.01i",
            "-3.01e-",
            " 1",
            "1 ",
            "1.2.3",
            "1Qi",
            "1 Gi",
            "1ii",
            "1e",
            "1E+",
            "1ee3",
            "1e3e",
            "1e3Ki",
            "1Ki3",
            "1m5",
            "--1",
            "+-1",
            "1K",
            "1KI",
            "Non-Numeric",
            "1,5",
            "1_000",
            "\u{661}",
            "1Gi\n",
            "1e99999999999999999999",
            // No digits, on apimachinery's general (non-int64) path.
            "Pi",
            "Ei",
            ".Pi",
            "e-10",
            "-.E-12",
        ];
        for input in inputs {
            assert_eq!(Quantity::parse(input), Err(QuantityError), "{input:?}");
        }
        assert_eq!(
            QuantityError.to_string(),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }

    /// Beyond this implementation's bounds: apimachinery accepts these
    /// (exactly, or after wrapping the exponent to 32 bits); they are
    /// rejected here rather than answered differently or slowly.
    #[test]
    fn out_of_bounds() {
        let many_digits = format!("1{}", "2".repeat(100_000));
        let inputs = [
            "123456789012345678901234567890123456789",
            "1.00000000000000000000000000000000000001Ki",
            many_digits.as_str(),
            "1e2147483648",
            "1e-2147483649",
            "1e4294967296",
        ];
        for input in inputs {
            assert_eq!(Quantity::parse(input), Err(QuantityError), "{input:?}");
        }
        // Still fine: many digits that are zeros or finer than 1n.
        check(&[
            (&format!("1{}", "0".repeat(60_000)), "1"),
            (&format!("1{}e0", "0".repeat(60_000)), "1e60000"),
            (&format!("0.{}1", "0".repeat(60_000)), "1n"),
            (&format!("1.{}", "5".repeat(60_000)), "1555555556n"),
        ]);
    }

    /// TestJSONWhitespace and JSON numbers.
    #[test]
    fn json_values() {
        let table = [
            (json!(" 1"), "1"),
            (json!("1 "), "1"),
            (json!(1), "1"),
            (json!(10), "10"),
            (json!(-1), "-1"),
            (json!(" -1"), "-1"),
            (json!(" 1Gi\u{a0}"), "1Gi"),
            (json!(2), "2"),
            (json!(0.5), "500m"),
            (json!(1.5), "1500m"),
            (json!(2.0), "2"),
            (json!(1000), "1k"),
            (json!(0), "0"),
            (json!(u64::MAX), "18446744073709551615"),
            (json!(i64::MIN), "-9223372036854775808"),
            (json!(1e21), "1e+21"),
            (json!(1e-7), "100e-9"),
            (json!("1024Mi"), "1Gi"),
        ];
        for (value, want) in table {
            assert_eq!(canonicalize(&value).as_deref(), Ok(want), "{value}");
        }
        for bad in [
            json!(null),
            json!(true),
            json!([]),
            json!({}),
            json!(""),
            json!("1 Gi"),
            json!("  "),
            json!("1Gi\n"),
            json!("\t1"),
        ] {
            assert_eq!(canonicalize(&bad), Err(QuantityError), "{bad}");
        }
    }

    /// Canonical output is stable: parsing it again gives the same string
    /// and the same value.
    #[test]
    fn canonical_round_trips() {
        for input in ["1.5Gi", "0.1Gi", "12000", "1e14", "-0.00000012354", "9Ei", "1.1Ki", "1000E", "1.500", "+1Ki"] {
            let q = Quantity::parse(input).unwrap();
            let again = Quantity::parse(&q.canonical()).unwrap();
            assert_eq!(again.canonical(), q.canonical(), "{input}");
            if input != "1000E" {
                assert_eq!(again.cmp_value(&q), Ordering::Equal, "{input}");
            }
        }
    }
}
