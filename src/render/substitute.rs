//! Flux's post-build variable substitution (`spec.postBuild` of a Flux
//! `Kustomization`).
//!
//! After the build, every object that does not opt out goes through the same
//! three steps as in Flux's kustomize-controller:
//!
//! 1. it is printed as YAML the way Flux prints it: keys and strings are only
//!    quoted when they would otherwise read back as something else under
//!    YAML 1.1 (`"3"`, `"yes"`, `"0644"`), long lines fold at 80 columns and
//!    multi-line strings become literal blocks;
//! 2. the `${...}` expressions of Flux's envsubst are replaced in that text;
//! 3. the text is read back with YAML 1.1 rules.
//!
//! So a value can change type (`replicas: ${REPLICAS}` with `REPLICAS=3`
//! becomes the number 3, `enabled: ${ON}` with `ON=yes` the boolean `true`),
//! and a value holding YAML syntax (`a: b`) can break the document, which is
//! an error naming the object and the field.
//!
//! The expression language, as Flux implements it:
//!
//! | form | result |
//! |---|---|
//! | `${var}` | the value; an unset variable is empty, or an error in strict mode |
//! | `${var:=d}`, `${var:-d}`, `${var=d}` | `d` when `var` is unset **or empty** (all three alike) |
//! | `${var:+d}`, `${var:?d}` | the same as `${var:-d}` (not bash's meaning) |
//! | `${var-d}`, `${var+d}` | an error ("missing closing brace") |
//! | `$${var}` | the text `${var}`; `$$` is `$` anywhere outside an expression |
//! | `$var` | left as written |
//! | `${#var}` | the length in bytes |
//! | `${var:off}`, `${var:off:len}` | a byte range; a negative `off` counts from the end |
//! | `${var^}`, `${var^^}`, `${var,}`, `${var,,}` | upper/lower case, first character or all |
//! | `${var#glob}`, `${var##glob}`, `${var%glob}`, `${var%%glob}` | strip the shortest/longest matching prefix/suffix |
//! | `${var/a/b}`, `${var//a/b}`, `${var/#a/b}`, `${var/%a/b}` | replace the first/every/leading/trailing `a` |
//!
//! A default may itself hold expressions (`${A:=${B}}`); they are evaluated
//! even when `A` is set, so in strict mode `B` must be set too. Values are
//! inserted as they are: a value containing `${X}` is not expanded again.
//! A variable set to the empty string counts as set in strict mode.
//!
//! Errors name the object, the field and the variable, never a value (values
//! may come from Secrets) and never the text of the object (it may hold
//! decrypted Secret data).

use serde_json::Value;
use std::collections::BTreeMap;

/// The label or annotation that exempts an object from substitution when its value is `disabled`.
pub const OPT_OUT_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";
/// The value of [`OPT_OUT_KEY`] that exempts an object.
const OPT_OUT_VALUE: &str = "disabled";
/// The pattern Flux requires variable names to match (`[:alpha:]` and `[:digit:]` are ASCII classes).
const NAME_PATTERN: &str = "^[_[:alpha:]][_[:alpha:][:digit:]]*$";
/// The most an object may grow to, whatever its variables (the API server stores objects of at most a few MiB).
const MAX_OBJECT_BYTES: usize = 64 << 20;
/// How deeply the YAML read back may nest.
const MAX_DEPTH: usize = 256;
/// 2^63: whole floats below it in magnitude are integers once they pass through JSON.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;
/// 2^64.
const U64_LIMIT: f64 = 18_446_744_073_709_551_616.0;

/// The variables of a substitution.
///
/// Flux merges them in this order, a later source overriding an earlier one for
/// the same name: the `spec.postBuild.substituteFrom` ConfigMaps and Secrets in
/// the order listed, then the inline `spec.postBuild.substitute` map, which
/// overrides all of them. Flux removes every `\n` from every value (so a value
/// read from a file with a trailing newline can be used in a single line);
/// [`Vars::new`] does the same.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    pub values: BTreeMap<String, String>,
}

impl Vars {
    /// Validates names as Flux does; invalid names are an error naming the variable (never its value).
    /// Removes `\n` from the values, as Flux does.
    pub fn new(values: BTreeMap<String, String>) -> Result<Vars, String> {
        for name in values.keys() {
            check_name(name)?;
        }
        let values = values.into_iter().map(|(name, value)| (name, value.replace('\n', ""))).collect();
        Ok(Vars { values })
    }
}

/// Checks a variable name against [`NAME_PATTERN`], with Flux's message.
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first = chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    if first && chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(format!("'{}' var name is invalid, must match '{NAME_PATTERN}'", name.escape_debug()))
    }
}

/// How a substitution runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// An unset variable referenced without a default is an error (Flux's
    /// `StrictPostBuildSubstitutions` feature gate); otherwise it is empty.
    pub strict: bool,
    /// Substitute even when there are no variables at all, so that defaults
    /// apply. Without it, as in Flux, objects are left untouched when no
    /// variable is defined (`${X:=d}` stays as written).
    pub always: bool,
}

/// Substitutes in every object not opted out. `strict`: an unset variable without a default is an error naming
/// the variable and the object. Errors never contain variable values (they may be secrets).
///
/// With no variables at all nothing is substituted (Flux skips the step then). On error no object is changed.
pub fn substitute(objects: &mut [Value], vars: &Vars, strict: bool) -> Result<(), String> {
    substitute_with(objects, vars, Options { strict, always: false })
}

/// [`substitute`] with every option.
pub fn substitute_with(objects: &mut [Value], vars: &Vars, options: Options) -> Result<(), String> {
    if vars.values.is_empty() && !options.always {
        return Ok(());
    }
    for name in vars.values.keys() {
        check_name(name)?;
    }
    let env = Env::new(vars, options.strict);
    let mut results = Vec::with_capacity(objects.len());
    for object in objects.iter() {
        if opted_out(object) {
            results.push(None);
            continue;
        }
        let result = substitute_one(object, &env).map_err(|e| format!("{}: {e}", describe(object)))?;
        results.push(Some(result));
    }
    for (object, result) in objects.iter_mut().zip(results) {
        if let Some(result) = result {
            *object = result;
        }
    }
    Ok(())
}

/// Whether the object carries the opt-out label or annotation.
fn opted_out(object: &Value) -> bool {
    ["labels", "annotations"].iter().any(|field| {
        object.get("metadata").and_then(|m| m.get(field)).and_then(|m| m.get(OPT_OUT_KEY)).and_then(Value::as_str)
            == Some(OPT_OUT_VALUE)
    })
}

/// `Kind/namespace/name` (or `Kind/name`) of an object, as Flux prints objects.
fn describe(object: &Value) -> String {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    let kind = text(object.get("kind"));
    let meta = object.get("metadata");
    let name = text(meta.and_then(|m| m.get("name")));
    let namespace = text(meta.and_then(|m| m.get("namespace")));
    let kind = if kind.is_empty() { "object".to_string() } else { kind };
    if namespace.is_empty() { format!("{kind}/{name}") } else { format!("{kind}/{namespace}/{name}") }
}

/// The variables as the expansion looks them up.
struct Env<'a> {
    vars: &'a Vars,
    strict: bool,
    /// All values' lengths together (the allowance for one object's growth).
    total_len: usize,
}

impl<'a> Env<'a> {
    fn new(vars: &'a Vars, strict: bool) -> Env<'a> {
        let total_len = vars.values.values().map(String::len).sum();
        Env { vars, strict, total_len }
    }

    /// A variable's value (without `\n`, as Flux stores it) and whether it counts as set.
    fn lookup(&self, name: &str) -> (Vec<u8>, bool) {
        match self.vars.values.get(name) {
            Some(v) => (v.bytes().filter(|b| *b != b'\n').collect(), true),
            None => (Vec::new(), !self.strict),
        }
    }
}

/// Whether an object can change at all: it has a `$`, a float, a `<<` key or a
/// character that Flux's trip through YAML alters; any other object reads back
/// unchanged.
fn may_change(object: &Value) -> bool {
    let special = |s: &str| s.chars().any(|c| matches!(c, '$' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}'));
    let mut pending = vec![object];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(s) if special(s) => return true,
            Value::Number(n) if n.is_f64() => return true,
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => {
                // `<<` reads back as a merge key.
                if map.keys().any(|k| special(k) || k == "<<") {
                    return true;
                }
                pending.extend(map.values());
            }
            _ => {}
        }
    }
    false
}

/// Prints, expands and reads back one object.
fn substitute_one(object: &Value, env: &Env) -> Result<Value, String> {
    if !may_change(object) {
        return Ok(object.clone());
    }
    let printed = print::print(object)?;
    let limit = printed.text.len().saturating_add(env.total_len).saturating_mul(10).saturating_add(1 << 20);
    let limit = limit.min(MAX_OBJECT_BYTES);
    let expanded = expand::expand(&printed.text, env, limit).map_err(|e| {
        let at = e.at.map(|at| format!(" at {}", printed.field_at(at))).unwrap_or_default();
        format!("variable substitution failed{at}: {}", e.message)
    })?;
    let value = load::load(&expanded.text).map_err(|e| {
        let (field, names) = expanded.origin(e.at, &printed);
        let names =
            if names.is_empty() { String::new() } else { format!(" (substituted there: {})", names.join(", ")) };
        format!("after substitution, the YAML is not valid at {field}: {}{names}", e.message)
    })?;
    match value {
        Value::Object(_) => Ok(value),
        Value::Null => Err("the object is empty after substitution".to_string()),
        _ => Err("the object is not a mapping after substitution".to_string()),
    }
}

/// How Flux's YAML library (YAML 1.1) reads a plain scalar; it decides both
/// which strings the printer must quote and what the text reads back as.
mod scalar {
    /// What a plain scalar means.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Plain {
        Null,
        Bool(bool),
        Int(i64),
        Uint(u64),
        Float(f64),
        /// A date or date-time; read into a generic object it stays the string as written.
        Timestamp,
        Str,
    }

    /// Resolves a plain (unquoted, untagged) scalar.
    pub fn resolve(s: &str) -> Plain {
        match s {
            "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
                return Plain::Bool(true);
            }
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
                return Plain::Bool(false);
            }
            ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Plain::Float(f64::INFINITY),
            "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
            _ => {}
        }
        match s.as_bytes()[0] {
            b'.' => match s.parse::<f64>() {
                Ok(f) if f.is_finite() => Plain::Float(f),
                _ => Plain::Str,
            },
            b'0'..=b'9' | b'+' | b'-' => numeric(s),
            _ => Plain::Str,
        }
    }

    /// A scalar starting with a digit or a sign: a timestamp, an integer, a float or a string.
    fn numeric(s: &str) -> Plain {
        if is_timestamp(s) {
            return Plain::Timestamp;
        }
        let plain = s.replace('_', "");
        if let Some(i) = parse_int(&plain) {
            return Plain::Int(i);
        }
        if let Some(u) = parse_uint(&plain) {
            return Plain::Uint(u);
        }
        if is_float_syntax(&plain)
            && let Ok(f) = plain.parse::<f64>()
            && f.is_finite()
        {
            return Plain::Float(f);
        }
        Plain::Str
    }

    /// An integer with an optional sign, as Go's `strconv.ParseInt(s, 0, 64)`.
    fn parse_int(s: &str) -> Option<i64> {
        let (negative, digits) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let magnitude = parse_uint(digits)?;
        if negative {
            if magnitude <= i64::MAX as u64 + 1 { Some((magnitude as i64).wrapping_neg()) } else { None }
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    /// An unsigned integer, as Go's `strconv.ParseUint(s, 0, 64)`: `0x`, `0o`, `0b` prefixes, and a
    /// leading `0` meaning octal.
    pub fn parse_uint(s: &str) -> Option<u64> {
        let b = s.as_bytes();
        let (radix, digits) = match b {
            [] => return None,
            [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'x') => (16, &s[2..]),
            [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'o') => (8, &s[2..]),
            [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'b') => (2, &s[2..]),
            [b'0', ..] => (8, &s[1..]),
            _ => (10, s),
        };
        if digits.is_empty() {
            // A lone `0`.
            return if radix == 8 { Some(0) } else { None };
        }
        let mut value: u64 = 0;
        for c in digits.chars() {
            let d = c.to_digit(radix)?;
            value = value.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
        }
        Some(value)
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    fn is_float_syntax(s: &str) -> bool {
        let b = s.as_bytes();
        let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
        let digits = |i: &mut usize| {
            let start = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
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

    /// Whether a string is one of the date forms Flux's YAML library reads as a timestamp:
    /// `YYYY-M-D`, `YYYY-M-D h:m:s[.f]` or `YYYY-M-DTh:m:s[.f](Z|±hh:mm)` (`t` also accepted),
    /// with valid calendar values.
    pub fn is_timestamp(s: &str) -> bool {
        let b = s.as_bytes();
        if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
            return false;
        }
        let year: u32 = b[..4].iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'));
        let mut i = 5;
        let Some(month) = one_or_two_digits(b, &mut i) else { return false };
        if b.get(i) != Some(&b'-') {
            return false;
        }
        i += 1;
        let Some(day) = one_or_two_digits(b, &mut i) else { return false };
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return false;
        }
        if i == b.len() {
            return true;
        }
        let zoned = match b[i] {
            b'T' | b't' => true,
            b' ' => false,
            _ => return false,
        };
        i += 1;
        if !clock(b, &mut i) {
            return false;
        }
        if zoned {
            match b.get(i) {
                Some(b'Z') => i += 1,
                Some(b'+' | b'-') => {
                    let two = |j: usize| b.get(j..j + 2).filter(|d| d.iter().all(u8::is_ascii_digit));
                    let (Some(h), Some(m)) = (two(i + 1), two(i + 4)) else { return false };
                    if b.get(i + 3) != Some(&b':') {
                        return false;
                    }
                    let (h, m) = (u32::from(h[0] - b'0') * 10 + u32::from(h[1] - b'0'), m[0] - b'0');
                    if h > 24 || m > 5 {
                        return false;
                    }
                    i += 6;
                }
                _ => return false,
            }
        }
        i == b.len()
    }

    /// `h:m:s` with one or two digits each, then an optional `.digits` or `,digits` fraction.
    fn clock(b: &[u8], i: &mut usize) -> bool {
        for (n, max) in [(0, 23), (1, 59), (2, 59)] {
            if n > 0 {
                if b.get(*i) != Some(&b':') {
                    return false;
                }
                *i += 1;
            }
            match one_or_two_digits(b, i) {
                Some(v) if v <= max => {}
                _ => return false,
            }
        }
        if matches!(b.get(*i), Some(b'.' | b',')) && b.get(*i + 1).is_some_and(u8::is_ascii_digit) {
            *i += 1;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
        }
        true
    }

    fn one_or_two_digits(b: &[u8], i: &mut usize) -> Option<u32> {
        let first = *b.get(*i).filter(|d| d.is_ascii_digit())?;
        *i += 1;
        let mut v = u32::from(first - b'0');
        if let Some(d) = b.get(*i).filter(|d| d.is_ascii_digit()) {
            v = v * 10 + u32::from(d - b'0');
            *i += 1;
        }
        Some(v)
    }

    fn days_in_month(year: u32, month: u32) -> u32 {
        match month {
            2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`: sexagesimal numbers, which YAML 1.1
    /// readers may take for floats, so the printer quotes them.
    pub fn is_base60_float(s: &str) -> bool {
        let b = s.as_bytes();
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
            let first = b.get(i).copied();
            let second = b.get(i + 1).copied();
            match (first, second) {
                (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 2,
                (Some(b'0'..=b'9'), _) => i += 1,
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

    /// A float as Go's `strconv.FormatFloat(f, 'g', -1, bits)` prints it: the shortest digits,
    /// in exponent form (`1e+06`, `1.5e-07`) when the exponent is below -4 or at least 6.
    pub fn format_float(f: f64, single: bool) -> String {
        if f.is_nan() {
            return ".nan".to_string();
        }
        if f.is_infinite() {
            return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
        }
        // Rust's `{:e}` also prints the shortest digits that read back exactly.
        let e = if single { format!("{:e}", f as f32) } else { format!("{f:e}") };
        let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mantissa),
        };
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let mut out = String::new();
        if negative {
            out.push('-');
        }
        if !(-4..6).contains(&exp) {
            out.push_str(&digits[..1]);
            if digits.len() > 1 {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            out.push('e');
            out.push(if exp < 0 { '-' } else { '+' });
            out.push_str(&format!("{:02}", exp.unsigned_abs()));
        } else if exp < 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let point = exp as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                out.push_str(&"0".repeat(point - digits.len()));
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
        out
    }
}

/// Prints an object as YAML the way Flux does before substituting (YAML 1.1
/// quoting, block style, compact lists, 80-column folding), remembering which
/// field each line belongs to.
mod print {
    use super::scalar::{self, Plain};
    use serde_json::{Number, Value};
    use std::borrow::Cow;

    /// Where long scalars fold.
    const WIDTH: usize = 80;
    /// Indentation per level.
    const INDENT: usize = 2;
    /// Keys longer than this (in bytes) are written in the explicit `? key` form.
    const MAX_SIMPLE_KEY: usize = 128;

    /// The printed object.
    pub struct Printed {
        pub text: String,
        /// The field each line belongs to (`spec.template.spec.containers[0].image`).
        pub lines: Vec<String>,
    }

    impl Printed {
        /// The field at a byte offset of the text, for messages.
        pub fn field_at(&self, at: usize) -> String {
            let line = self.text.as_bytes()[..at.min(self.text.len())].iter().filter(|b| **b == b'\n').count();
            self.field_of_line(line)
        }

        /// The field of a line, for messages.
        pub fn field_of_line(&self, line: usize) -> String {
            match self.lines.get(line).or(self.lines.last()) {
                Some(path) if !path.is_empty() => path.clone(),
                _ => "the top level".to_string(),
            }
        }
    }

    /// Prints a value.
    pub fn print(value: &Value) -> Result<Printed, String> {
        let mut p = Printer {
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            path: String::new(),
            line_path: String::new(),
            lines: Vec::new(),
        };
        p.node(value, Context::default(), -1, 0)?;
        // The document ends with a line break unless a block scalar just wrote one.
        p.write_indent(0);
        Ok(Printed { text: p.out, lines: p.lines })
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Style {
        Plain,
        Single,
        Double,
        Literal,
    }

    /// Where a node is written.
    #[derive(Debug, Clone, Copy, Default)]
    struct Context {
        /// A value or explicit key of a mapping.
        mapping: bool,
        /// A key written as `key: value`.
        simple_key: bool,
    }

    /// What a scalar's text allows.
    struct Analysis {
        multiline: bool,
        plain_allowed: bool,
        single_allowed: bool,
        block_allowed: bool,
    }

    struct Printer {
        out: String,
        /// Characters written on the current line.
        column: usize,
        /// The last character written is whitespace.
        whitespace: bool,
        /// Only indentation has been written on the current line.
        indention: bool,
        /// The field being written.
        path: String,
        /// The field of the current line.
        line_path: String,
        lines: Vec<String>,
    }

    impl Printer {
        fn put(&mut self, c: char) {
            self.out.push(c);
            self.column += 1;
        }

        fn put_str(&mut self, s: &str) {
            s.chars().for_each(|c| self.put(c));
        }

        fn newline(&mut self) {
            self.out.push('\n');
            self.column = 0;
            self.lines.push(self.line_path.clone());
        }

        /// A line break that is part of a scalar's text.
        fn write_break(&mut self, c: char) {
            if c == '\n' {
                self.newline();
            } else {
                self.out.push(c);
                self.column = 0;
            }
        }

        /// Moves to column `indent`, starting a new line unless only indentation is on this one.
        fn write_indent(&mut self, indent: usize) {
            if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
                self.newline();
            }
            while self.column < indent {
                self.put(' ');
            }
            self.whitespace = true;
            self.indention = true;
        }

        fn indicator(&mut self, s: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
            if need_whitespace && !self.whitespace {
                self.put(' ');
            }
            self.put_str(s);
            self.whitespace = is_whitespace;
            self.indention = self.indention && is_indention;
        }

        /// Writes a node; `indent` is the enclosing collection's indentation (-1 at the top).
        fn node(&mut self, value: &Value, ctx: Context, indent: isize, depth: usize) -> Result<(), String> {
            if depth > super::MAX_DEPTH {
                return Err("the object nests too deeply".to_string());
            }
            match value {
                Value::Null => self.scalar("null", Style::Plain, ctx, indent),
                Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx, indent),
                Value::Number(n) => self.scalar(&number(n), Style::Plain, ctx, indent),
                Value::String(s) => {
                    let s = through_json(s, false).map_err(|e| self.problem(&e))?;
                    self.scalar(&s, requested_style(&s), ctx, indent);
                }
                Value::Array(items) if items.is_empty() => self.empty("[", "]"),
                Value::Object(map) if map.is_empty() => self.empty("{", "}"),
                Value::Array(items) => {
                    let own = match indent {
                        i if i < 0 => 0,
                        i if ctx.mapping && !self.indention => i as usize,
                        i => i as usize + INDENT,
                    };
                    for (i, item) in items.iter().enumerate() {
                        self.write_indent(own);
                        self.indicator("-", true, false, true);
                        let saved = self.path.len();
                        self.path.push_str(&format!("[{i}]"));
                        self.node(item, Context::default(), own as isize, depth + 1)?;
                        self.path.truncate(saved);
                    }
                }
                Value::Object(map) => {
                    let own = if indent < 0 { 0 } else { indent as usize + INDENT };
                    for (key, value) in map {
                        self.write_indent(own);
                        let saved = self.path.len();
                        if !self.path.is_empty() {
                            self.path.push('.');
                        }
                        self.path.push_str(key);
                        let key = through_json(key, true).map_err(|e| self.problem(&e))?;
                        let key = key.as_ref();
                        let style = requested_style(key);
                        if !analyze(key).multiline && key.len() <= MAX_SIMPLE_KEY {
                            self.scalar(key, style, Context { mapping: true, simple_key: true }, own as isize);
                            self.indicator(":", false, false, false);
                        } else {
                            self.indicator("?", true, false, true);
                            self.scalar(key, style, Context { mapping: true, simple_key: false }, own as isize);
                            self.write_indent(own);
                            self.indicator(":", true, false, true);
                        }
                        self.node(value, Context { mapping: true, simple_key: false }, own as isize, depth + 1)?;
                        self.path.truncate(saved);
                    }
                }
            }
            Ok(())
        }

        /// A message about the field being written.
        fn problem(&self, message: &str) -> String {
            let field = if self.path.is_empty() { "the top level" } else { &self.path };
            format!("{field}: {message}")
        }

        /// An empty list or mapping, in flow style.
        fn empty(&mut self, open: &str, close: &str) {
            self.indicator(open, true, true, false);
            self.indicator(close, false, false, false);
        }

        fn scalar(&mut self, text: &str, requested: Style, ctx: Context, indent: isize) {
            let analysis = analyze(text);
            let style = select_style(requested, &analysis, ctx.simple_key, text.is_empty());
            let indent = if indent < 0 { INDENT } else { indent as usize + INDENT };
            self.line_path = self.path.clone();
            let folds = !ctx.simple_key;
            match style {
                Style::Plain => self.plain(text, folds, indent),
                Style::Single => self.single_quoted(text, folds, indent),
                Style::Double => self.double_quoted(text, folds, indent),
                Style::Literal => self.literal(text, indent),
            }
        }

        /// Whether a space at byte `i` of `text` is where a long line folds.
        fn folds_at(&self, folds: bool, spaces: bool, text: &str, i: usize) -> bool {
            folds && !spaces && self.column > WIDTH && text.as_bytes().get(i + 1) != Some(&b' ')
        }

        fn plain(&mut self, text: &str, folds: bool, indent: usize) {
            if !self.whitespace {
                self.put(' ');
            }
            let mut spaces = false;
            for (i, c) in text.char_indices() {
                if c == ' ' {
                    if self.folds_at(folds, spaces, text, i) {
                        self.write_indent(indent);
                    } else {
                        self.put(' ');
                    }
                    spaces = true;
                } else {
                    self.put(c);
                    self.indention = false;
                    spaces = false;
                }
            }
            self.whitespace = false;
            self.indention = false;
        }

        fn single_quoted(&mut self, text: &str, folds: bool, indent: usize) {
            self.indicator("'", true, false, false);
            let (mut spaces, mut breaks) = (false, false);
            for (i, c) in text.char_indices() {
                if c == ' ' {
                    if i > 0 && i + 1 < text.len() && self.folds_at(folds, spaces, text, i) {
                        self.write_indent(indent);
                    } else {
                        self.put(' ');
                    }
                    spaces = true;
                } else if is_break(c) {
                    if !breaks && c == '\n' {
                        self.newline();
                    }
                    self.write_break(c);
                    self.indention = true;
                    breaks = true;
                } else {
                    if breaks {
                        self.write_indent(indent);
                    }
                    if c == '\'' {
                        self.put('\'');
                    }
                    self.put(c);
                    self.indention = false;
                    spaces = false;
                    breaks = false;
                }
            }
            self.indicator("'", false, false, false);
            self.whitespace = false;
            self.indention = false;
        }

        fn double_quoted(&mut self, text: &str, folds: bool, indent: usize) {
            self.indicator("\"", true, false, false);
            // A leading byte-order mark makes every character escaped.
            let bom = text.starts_with('\u{feff}');
            let mut spaces = false;
            for (i, c) in text.char_indices() {
                if bom || !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
                    self.put('\\');
                    self.escape(c);
                    spaces = false;
                } else if c == ' ' {
                    if folds && !spaces && self.column > WIDTH && i > 0 && i + 1 < text.len() {
                        self.write_indent(indent);
                        if text.as_bytes().get(i + 1) == Some(&b' ') {
                            self.put('\\');
                        }
                    } else {
                        self.put(' ');
                    }
                    spaces = true;
                } else {
                    self.put(c);
                    spaces = false;
                }
            }
            self.indicator("\"", false, false, false);
            self.whitespace = false;
            self.indention = false;
        }

        /// The part of an escape sequence after the backslash.
        fn escape(&mut self, c: char) {
            let short = match c {
                '\0' => Some('0'),
                '\u{7}' => Some('a'),
                '\u{8}' => Some('b'),
                '\t' => Some('t'),
                '\n' => Some('n'),
                '\u{b}' => Some('v'),
                '\u{c}' => Some('f'),
                '\r' => Some('r'),
                '\u{1b}' => Some('e'),
                '"' => Some('"'),
                '\\' => Some('\\'),
                '\u{85}' => Some('N'),
                '\u{a0}' => Some('_'),
                '\u{2028}' => Some('L'),
                '\u{2029}' => Some('P'),
                _ => None,
            };
            match short {
                Some(s) => self.put(s),
                None => {
                    let v = u32::from(c);
                    let code = if v <= 0xff {
                        format!("x{v:02X}")
                    } else if v <= 0xffff {
                        format!("u{v:04X}")
                    } else {
                        format!("U{v:08X}")
                    };
                    self.put_str(&code);
                }
            }
        }

        fn literal(&mut self, text: &str, indent: usize) {
            self.indicator("|", true, false, false);
            let mut chars = text.chars();
            if chars.next().is_some_and(|c| c == ' ' || is_break(c)) {
                self.indicator(&INDENT.to_string(), false, false, false);
            }
            let mut rev = text.chars().rev();
            let chomp = match (rev.next(), rev.next()) {
                (Some(last), _) if !is_break(last) => Some("-"),
                (Some(_), None) => Some("+"),
                (Some(_), Some(before)) if is_break(before) => Some("+"),
                _ => None,
            };
            if let Some(chomp) = chomp {
                self.indicator(chomp, false, false, false);
            }
            self.newline();
            self.indention = true;
            self.whitespace = true;
            let mut breaks = true;
            for c in text.chars() {
                if is_break(c) {
                    self.write_break(c);
                    self.indention = true;
                    breaks = true;
                } else {
                    if breaks {
                        self.write_indent(indent);
                    }
                    self.put(c);
                    self.indention = false;
                    breaks = false;
                }
            }
        }
    }

    /// What a string becomes on its way to YAML. Flux converts an object to
    /// YAML by reading its JSON form as YAML: a YAML reader rejects raw control
    /// characters (DEL, the C1 controls but U+0085, U+FFFE, U+FFFF), and folds
    /// U+0085 (next line) together with the spaces around it like a line break:
    /// one becomes a space, `n` in a row become `n - 1` line feeds; in a key it
    /// makes the conversion fail.
    fn through_json(s: &str, key: bool) -> Result<Cow<'_, str>, String> {
        if let Some(c) =
            s.chars().find(|c| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}'))
        {
            return Err(format!(
                "a string holds the control character U+{:04X}, which Flux cannot convert to YAML",
                u32::from(c)
            ));
        }
        if !s.contains('\u{85}') {
            return Ok(Cow::Borrowed(s));
        }
        if key {
            return Err("a key holds U+0085 (next line), which Flux cannot convert to YAML".to_string());
        }
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != ' ' && chars[i] != '\u{85}' {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\u{85}') {
                i += 1;
            }
            match chars[start..i].iter().filter(|c| **c == '\u{85}').count() {
                0 => out.extend(&chars[start..i]),
                1 => out.push(' '),
                n => out.push_str(&"\n".repeat(n - 1)),
            }
        }
        Ok(Cow::Owned(out))
    }

    /// The style Flux asks for a string: a literal block when it has a line
    /// feed, plain when it reads back as the same string, else double quotes.
    fn requested_style(s: &str) -> Style {
        if s.contains('\n') {
            Style::Literal
        } else if scalar::resolve(s) == Plain::Str && !scalar::is_base60_float(s) {
            Style::Plain
        } else {
            Style::Double
        }
    }

    /// The style actually written, given what the text allows.
    fn select_style(requested: Style, a: &Analysis, simple_key: bool, empty: bool) -> Style {
        let mut style = requested;
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.plain_allowed || (empty && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        style
    }

    /// Which styles can hold a scalar's text.
    fn analyze(text: &str) -> Analysis {
        if text.is_empty() {
            return Analysis { multiline: false, plain_allowed: true, single_allowed: true, block_allowed: false };
        }
        let mut indicators = text.starts_with("---") || text.starts_with("...");
        let (mut line_breaks, mut special) = (false, false);
        let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
            (false, false, false, false);
        let (mut break_space, mut space_break) = (false, false);
        let (mut previous_space, mut previous_break) = (false, false);
        let mut preceded_by_whitespace = true;
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        for (n, &(i, c)) in chars.iter().enumerate() {
            let next = chars.get(n + 1).map(|&(_, c)| c);
            let followed_by_whitespace = next.is_none_or(|c| c == ' ' || c == '\t');
            let last = i + c.len_utf8() == text.len();
            if i == 0 {
                match c {
                    '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                        indicators = true;
                    }
                    '?' | ':' | '-' if followed_by_whitespace => indicators = true,
                    _ => {}
                }
            } else {
                match c {
                    ':' if followed_by_whitespace => indicators = true,
                    '#' if preceded_by_whitespace => indicators = true,
                    _ => {}
                }
            }
            if !is_printable(c) {
                special = true;
            }
            if c == ' ' {
                leading_space |= i == 0;
                trailing_space |= last;
                break_space |= previous_break;
                previous_space = true;
                previous_break = false;
            } else if is_break(c) {
                line_breaks = true;
                leading_break |= i == 0;
                trailing_break |= last;
                space_break |= previous_space;
                previous_space = false;
                previous_break = true;
            } else {
                previous_space = false;
                previous_break = false;
            }
            preceded_by_whitespace = c == ' ' || c == '\t' || c == '\0' || is_break(c);
        }
        let mut a = Analysis { multiline: line_breaks, plain_allowed: true, single_allowed: true, block_allowed: true };
        if leading_space || leading_break || trailing_space || trailing_break || line_breaks || indicators {
            a.plain_allowed = false;
        }
        if trailing_space {
            a.block_allowed = false;
        }
        if break_space {
            a.plain_allowed = false;
            a.single_allowed = false;
        }
        if space_break || special {
            a.plain_allowed = false;
            a.single_allowed = false;
            a.block_allowed = false;
        }
        a
    }

    fn is_break(c: char) -> bool {
        matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
    }

    /// Characters written as they are (others are escaped in double quotes).
    ///
    /// Flux's printer also writes the line and paragraph separators (U+2028,
    /// U+2029) as they are, and its YAML 1.1 reader then takes them for line
    /// breaks; they are escaped here so that they read back unchanged.
    fn is_printable(c: char) -> bool {
        matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
    }

    /// A number as Flux's printer writes it: whole floats as integers (they pass through JSON first).
    fn number(n: &Number) -> String {
        if let Some(i) = n.as_i64() {
            return i.to_string();
        }
        if let Some(u) = n.as_u64() {
            return u.to_string();
        }
        let f = n.as_f64().unwrap_or(0.0);
        if f.fract() == 0.0 && f.abs() < super::I64_LIMIT {
            return (f as i64).to_string();
        }
        if f.fract() == 0.0 && f > 0.0 && f < super::U64_LIMIT {
            return (f as u64).to_string();
        }
        scalar::format_float(f, false)
    }
}

/// Flux's envsubst: parses the `${...}` expressions of a text and evaluates them.
mod expand {
    use super::Env;

    /// Why an expansion failed; `message` never holds a value.
    pub struct Error {
        pub message: String,
        /// Byte offset in the template, when known.
        pub at: Option<usize>,
    }

    fn error(message: impl Into<String>, at: usize) -> Error {
        Error { message: message.into(), at: Some(at) }
    }

    const BAD_SUBSTITUTION: &str = "bad substitution";
    const MISSING_BRACE: &str = "missing closing brace";
    const BAD_NAME: &str = "unable to parse variable name";
    const BAD_ARGUMENT: &str = "unable to parse substitution within function";
    const BAD_DEFAULT: &str = "unable to parse default function";
    /// How deeply expressions may nest in defaults and operands.
    const MAX_NESTING: usize = 64;
    /// Longest value a `#`/`%` pattern removal works on (it is quadratic).
    const MAX_TRIM_BYTES: usize = 16 << 10;

    /// The expanded text, with where each part came from.
    pub struct Expanded {
        pub text: String,
        segments: Vec<Segment>,
    }

    /// A part of the output: template text, or one expression's result.
    struct Segment {
        /// Start in the output.
        out: usize,
        /// Start in the template.
        at: usize,
        /// The variable, for an expression.
        name: Option<String>,
    }

    impl Expanded {
        /// The field at an output byte offset and the variables substituted on its line.
        pub fn origin(&self, at: usize, printed: &super::print::Printed) -> (String, Vec<String>) {
            let at = at.min(self.text.len());
            let bytes = self.text.as_bytes();
            let index = self.segments.partition_point(|s| s.out <= at).saturating_sub(1);
            let field = match self.segments.get(index) {
                Some(seg) => {
                    let template_line = printed.text.as_bytes()[..seg.at.min(printed.text.len())]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count();
                    let extra = match seg.name {
                        None => bytes[seg.out.min(at)..at].iter().filter(|b| **b == b'\n').count(),
                        Some(_) => 0,
                    };
                    printed.field_of_line(template_line + extra)
                }
                None => printed.field_of_line(0),
            };
            let line_start = bytes[..at].iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
            let line_end = bytes[at..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |p| at + p);
            let mut names = Vec::new();
            for (i, seg) in self.segments.iter().enumerate() {
                let end = self.segments.get(i + 1).map_or(bytes.len(), |s| s.out);
                if let Some(name) = &seg.name
                    && seg.out <= line_end
                    && end >= line_start
                    && !names.contains(name)
                {
                    names.push(name.clone());
                }
            }
            (field, names)
        }
    }

    /// Expands a template; the output may grow to `limit` bytes.
    pub fn expand(template: &str, env: &Env, limit: usize) -> Result<Expanded, Error> {
        let pieces = Parser::new(template).parse()?;
        let mut eval = Evaluator { env, budget: limit };
        let mut out = Vec::new();
        let mut segments = Vec::new();
        for piece in &pieces {
            let (at, name) = match piece {
                Piece::Text(_, at) => (*at, None),
                Piece::Expr(e) => (e.at, Some(e.name.clone())),
            };
            segments.push(Segment { out: out.len(), at, name });
            let part = eval.piece(piece)?;
            out.extend_from_slice(&part);
        }
        let text = String::from_utf8(out).map_err(|_| Error {
            message: "the result is not valid UTF-8 (a substring or pattern cut a character apart)".to_string(),
            at: None,
        })?;
        Ok(Expanded { text, segments })
    }

    /// A part of a parsed template.
    enum Piece {
        /// Literal text (escapes resolved) and its offset in the template.
        Text(Vec<u8>, usize),
        Expr(Expr),
    }

    /// One `${...}` expression.
    struct Expr {
        name: String,
        /// The operator: empty for `${var}`, `:=`, `//`, `#` …
        op: String,
        args: Vec<Piece>,
        at: usize,
    }

    /// Which tokens a scan recognises.
    #[derive(Clone, Copy, Default)]
    struct Mode {
        text: bool,
        /// `${`
        open: bool,
        /// `}`
        close: bool,
        /// `$$` (and, inside expressions, `\/` and `\\`) stand for their second character.
        escapes: bool,
    }

    const TEXT: Mode = Mode { text: true, open: false, close: false, escapes: false };

    enum Token {
        End,
        Open,
        Close,
        Text,
        Illegal,
    }

    /// Whether a character (at byte `i` of the token, counting itself) continues a token.
    type Accept = fn(char, usize) -> bool;

    /// A cursor over the template. Escapes delete their first character from
    /// the text, so the text lives in two stacks around the cursor: the bytes
    /// before it, and the bytes after it in reverse order.
    struct Parser {
        before: Vec<u8>,
        after: Vec<u8>,
        /// Bytes of the last character read (0 at the end).
        width: usize,
        /// Bytes deleted by escapes so far (to report template offsets).
        removed: usize,
        start: usize,
        backslash_escapes: bool,
        /// Expressions open around the cursor.
        depth: usize,
    }

    impl Parser {
        fn new(template: &str) -> Parser {
            Parser {
                before: Vec::with_capacity(template.len()),
                after: template.bytes().rev().collect(),
                width: 0,
                removed: 0,
                start: 0,
                backslash_escapes: false,
                depth: 0,
            }
        }

        fn offset(&self) -> usize {
            self.before.len() + self.removed
        }

        /// The next character; `'\0'` at the end.
        fn read(&mut self) -> char {
            let Some(&lead) = self.after.last() else {
                self.width = 0;
                return '\0';
            };
            let len = match lead {
                0x00..=0x7f => 1,
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => 0,
            };
            let (c, width) = if len == 1 {
                (char::from(lead), 1)
            } else {
                let mut bytes = [0u8; 4];
                let available = self.after.len().min(len);
                for (slot, b) in bytes.iter_mut().zip(self.after.iter().rev().take(available)) {
                    *slot = *b;
                }
                match std::str::from_utf8(&bytes[..available]).ok().and_then(|s| s.chars().next()) {
                    Some(c) if len > 0 && available == len => (c, len),
                    _ => (char::REPLACEMENT_CHARACTER, 1),
                }
            };
            for _ in 0..width {
                if let Some(b) = self.after.pop() {
                    self.before.push(b);
                }
            }
            self.width = width;
            c
        }

        /// Steps back over the last character read.
        fn unread(&mut self) {
            for _ in 0..self.width {
                if let Some(b) = self.before.pop() {
                    self.after.push(b);
                }
            }
        }

        fn peek(&mut self) -> char {
            let c = self.read();
            self.unread();
            c
        }

        /// Deletes the escape character just read; the character after it becomes part of the token.
        fn drop_escape(&mut self) {
            self.before.pop();
            if let Some(b) = self.after.pop() {
                self.before.push(b);
            }
            self.removed += 1;
        }

        fn token(&self) -> Vec<u8> {
            self.before[self.start.min(self.before.len())..].to_vec()
        }

        fn scan(&mut self, mode: Mode, accept: Accept) -> Token {
            self.start = self.before.len();
            let c = self.read();
            if c == '\0' {
                Token::End
            } else if mode.open && self.opens(c) {
                Token::Open
            } else if mode.close && c == '}' {
                Token::Close
            } else if mode.text && self.text(c, mode, accept) {
                Token::Text
            } else {
                Token::Illegal
            }
        }

        /// Whether `c` (just read) starts `${`; consumes the `{` if so.
        fn opens(&mut self, c: char) -> bool {
            if c == '$' {
                if self.read() == '{' {
                    return true;
                }
                self.unread();
            }
            false
        }

        fn escaped(&mut self, c: char, mode: Mode) -> bool {
            if !mode.escapes {
                return false;
            }
            match c {
                '$' => self.peek() == '$',
                '\\' if self.backslash_escapes => matches!(self.peek(), '/' | '\\'),
                _ => false,
            }
        }

        /// A text token starting with `c`; stops before `${` when `mode.open`.
        fn text(&mut self, c: char, mode: Mode, accept: Accept) -> bool {
            if self.escaped(c, mode) {
                self.drop_escape();
            } else if !accept(c, self.before.len() - self.start) {
                return false;
            }
            loop {
                let c = self.read();
                if c == '\0' {
                    self.unread();
                    break;
                }
                if mode.open && self.opens(c) {
                    self.unread();
                    self.unread();
                    break;
                }
                if self.escaped(c, mode) {
                    self.drop_escape();
                    continue;
                }
                if !accept(c, self.before.len() - self.start) {
                    self.unread();
                    break;
                }
            }
            true
        }

        /// The whole template.
        fn parse(&mut self) -> Result<Vec<Piece>, Error> {
            let mut pieces = Vec::new();
            loop {
                self.backslash_escapes = false;
                let at = self.offset();
                match self.scan(Mode { text: true, open: true, close: false, escapes: true }, any) {
                    Token::Text => pieces.push(Piece::Text(self.token(), at)),
                    Token::Open => pieces.push(Piece::Expr(self.expr(at)?)),
                    Token::End => return Ok(pieces),
                    _ => return Err(error(BAD_SUBSTITUTION, at)),
                }
            }
        }

        /// An expression after its `${`, which started at template offset `at`.
        fn expr(&mut self, at: usize) -> Result<Expr, Error> {
            if self.depth >= MAX_NESTING {
                return Err(error("expressions nest too deeply", at));
            }
            self.depth += 1;
            let expr = self.expr_body(at);
            self.depth -= 1;
            expr
        }

        fn expr_body(&mut self, at: usize) -> Result<Expr, Error> {
            self.backslash_escapes = true;
            if self.peek() == '#' {
                return self.length(at);
            }
            let Token::Text = self.scan(TEXT, ident) else { return Err(error(BAD_NAME, at)) };
            let name = String::from_utf8_lossy(&self.token()).into_owned();
            match self.peek() {
                ':' => self.default_or_substring(name, at),
                '=' => self.default(name, at),
                ',' | '^' => self.single_op(name, casing_op, at),
                '/' => self.replace(name, at),
                '#' => self.remove(name, hash_op, at),
                '%' => self.remove(name, percent_op, at),
                _ => match self.scan(Mode { close: true, ..Mode::default() }, ident) {
                    Token::Close => Ok(Expr { name, op: String::new(), args: Vec::new(), at }),
                    _ => Err(error(MISSING_BRACE, at)),
                },
            }
        }

        /// An operator token.
        fn op(&mut self, accept: Accept, at: usize, message: &str) -> Result<String, Error> {
            match self.scan(TEXT, accept) {
                Token::Text => Ok(String::from_utf8_lossy(&self.token()).into_owned()),
                _ => Err(error(message, at)),
            }
        }

        /// An operand: a nested expression or text.
        fn argument(&mut self, accept: Accept, mode: Mode, at: usize) -> Result<Piece, Error> {
            let arg_at = self.offset();
            match self.scan(Mode { open: true, ..mode }, accept) {
                Token::Open => Ok(Piece::Expr(self.expr(arg_at)?)),
                Token::Text | Token::Close => Ok(Piece::Text(self.token(), arg_at)),
                _ => Err(error(BAD_ARGUMENT, at)),
            }
        }

        fn close(&mut self, at: usize) -> Result<(), Error> {
            match self.scan(Mode { close: true, ..Mode::default() }, any) {
                Token::Close => Ok(()),
                _ => Err(error(BAD_SUBSTITUTION, at)),
            }
        }

        /// `${#var}`
        fn length(&mut self, at: usize) -> Result<Expr, Error> {
            let op = self.op(one_hash, at, BAD_SUBSTITUTION)?;
            let Token::Text = self.scan(TEXT, ident) else { return Err(error(BAD_SUBSTITUTION, at)) };
            let name = String::from_utf8_lossy(&self.token()).into_owned();
            self.close(at)?;
            Ok(Expr { name, op, args: Vec::new(), at })
        }

        /// After `${var:`: a default (`:=`, `:-`, `:?`, `:+`) or a substring.
        fn default_or_substring(&mut self, name: String, at: usize) -> Result<Expr, Error> {
            self.read();
            let c = self.peek();
            // Steps back by the width of the peeked character, as Flux does.
            self.unread();
            match c {
                '=' | '-' | '?' | '+' => self.default(name, at),
                _ => self.substring(name, at),
            }
        }

        /// `${var:off}` or `${var:off:len}`
        fn substring(&mut self, name: String, at: usize) -> Result<Expr, Error> {
            let op = self.op(one_colon, at, BAD_SUBSTITUTION)?;
            let mut args = vec![self.argument(not_colon_or_close, TEXT, at)?];
            match self.scan(Mode { text: true, close: true, ..Mode::default() }, colon) {
                Token::Close => return Ok(Expr { name, op, args, at }),
                Token::Text => {}
                _ => return Err(error(BAD_SUBSTITUTION, at)),
            }
            args.push(self.argument(not_close, TEXT, at)?);
            self.close(at)?;
            Ok(Expr { name, op, args, at })
        }

        /// `${var#glob}`, `${var%%glob}` …
        fn remove(&mut self, name: String, accept: Accept, at: usize) -> Result<Expr, Error> {
            let op = self.op(accept, at, BAD_SUBSTITUTION)?;
            let args = vec![self.argument(not_close, TEXT, at)?];
            self.close(at)?;
            Ok(Expr { name, op, args, at })
        }

        /// `${var/a/b}`, `${var//a/b}`, `${var/#a/b}`, `${var/%a/b}`
        fn replace(&mut self, name: String, at: usize) -> Result<Expr, Error> {
            let op = self.op(replace_op, at, BAD_SUBSTITUTION)?;
            let escaping = Mode { escapes: true, ..TEXT };
            let mut args = vec![self.argument(not_slash, escaping, at)?];
            let Token::Text = self.scan(TEXT, slash) else { return Err(error(BAD_SUBSTITUTION, at)) };
            if self.peek() != '}' {
                args.push(self.argument(not_close, escaping, at)?);
            }
            self.close(at)?;
            Ok(Expr { name, op, args, at })
        }

        /// `${var:=a}`, `${var=a}` …; the default may mix text and expressions.
        fn default(&mut self, name: String, at: usize) -> Result<Expr, Error> {
            let accept: Accept = if self.peek() == '=' { one_equal } else { default_op };
            let op = self.op(accept, at, BAD_DEFAULT)?;
            let mut args = Vec::new();
            while self.peek() != '}' {
                args.push(self.argument(not_close, TEXT, at)?);
            }
            self.close(at)?;
            Ok(Expr { name, op, args, at })
        }

        /// `${var^}`, `${var,,}` …
        fn single_op(&mut self, name: String, accept: Accept, at: usize) -> Result<Expr, Error> {
            let op = self.op(accept, at, BAD_SUBSTITUTION)?;
            self.close(at)?;
            Ok(Expr { name, op, args: Vec::new(), at })
        }
    }

    fn any(_: char, _: usize) -> bool {
        true
    }
    /// Letters, digits and `_` (Unicode ones too: such names are never set, as names must be ASCII).
    fn ident(c: char, _: usize) -> bool {
        c == '_' || c.is_alphanumeric()
    }
    fn one_hash(c: char, i: usize) -> bool {
        c == '#' && i == 1
    }
    fn hash_op(c: char, i: usize) -> bool {
        c == '#' && i < 3
    }
    fn percent_op(c: char, i: usize) -> bool {
        c == '%' && i < 3
    }
    fn casing_op(c: char, i: usize) -> bool {
        (c == ',' || c == '^') && i < 3
    }
    fn default_op(c: char, i: usize) -> bool {
        (i == 1 && c == ':') || (i == 2 && matches!(c, '=' | '-' | '?' | '+'))
    }
    fn one_equal(c: char, i: usize) -> bool {
        i == 1 && c == '='
    }
    fn one_colon(c: char, i: usize) -> bool {
        i == 1 && c == ':'
    }
    fn colon(c: char, _: usize) -> bool {
        c == ':'
    }
    fn not_colon_or_close(c: char, _: usize) -> bool {
        c != ':' && c != '}'
    }
    fn not_close(c: char, _: usize) -> bool {
        c != '}'
    }
    fn replace_op(c: char, i: usize) -> bool {
        (i == 1 && c == '/') || (i == 2 && matches!(c, '/' | '#' | '%'))
    }
    fn slash(c: char, _: usize) -> bool {
        c == '/'
    }
    fn not_slash(c: char, _: usize) -> bool {
        c != '/'
    }

    /// Evaluates parsed expressions.
    struct Evaluator<'a, 'b> {
        env: &'a Env<'b>,
        /// Bytes that may still be produced.
        budget: usize,
    }

    impl Evaluator<'_, '_> {
        fn charge(&mut self, len: usize, at: usize) -> Result<(), Error> {
            self.budget = self.budget.checked_sub(len).ok_or_else(|| {
                error("the result grows too large (more than ten times the object and its variables)", at)
            })?;
            Ok(())
        }

        fn piece(&mut self, piece: &Piece) -> Result<Vec<u8>, Error> {
            match piece {
                Piece::Text(text, at) => {
                    self.charge(text.len(), *at)?;
                    Ok(text.clone())
                }
                Piece::Expr(e) => self.expr(e),
            }
        }

        fn expr(&mut self, e: &Expr) -> Result<Vec<u8>, Error> {
            // Operands are evaluated first, whether or not they are used.
            let args = e.args.iter().map(|a| self.piece(a)).collect::<Result<Vec<_>, _>>()?;
            let (value, set) = self.env.lookup(&e.name);
            let supplies_default = matches!(e.op.as_str(), "-" | "+" | "=" | "?" | ":-" | ":+" | ":=" | ":?");
            if !set && !supplies_default {
                return Err(error(format!("variable not set (strict mode): {:?}", e.name), e.at));
            }
            let result = self.apply(e, value, args)?;
            self.charge(result.len(), e.at)?;
            Ok(result)
        }

        fn apply(&mut self, e: &Expr, s: Vec<u8>, args: Vec<Vec<u8>>) -> Result<Vec<u8>, Error> {
            let trim_limit = |s: &[u8]| {
                if s.len() > MAX_TRIM_BYTES {
                    Err(error(format!("the value of {} is too long for pattern removal", e.name), e.at))
                } else {
                    Ok(())
                }
            };
            let first = args.first().map(Vec::as_slice);
            Ok(match (e.op.as_str(), first) {
                (",", _) => map_first(&s, lower),
                (",,", _) => map_all(&s, lower),
                ("^", _) => map_first(&s, upper),
                ("^^", _) => map_all(&s, upper),
                ("#", None) => s.len().to_string().into_bytes(),
                ("#", Some(p)) => {
                    trim_limit(&s)?;
                    trim_prefix(&s, p, true)
                }
                ("##", Some(p)) => {
                    trim_limit(&s)?;
                    trim_prefix(&s, p, false)
                }
                ("%", Some(p)) => {
                    trim_limit(&s)?;
                    trim_suffix(&s, p, true)
                }
                ("%%", Some(p)) => {
                    trim_limit(&s)?;
                    trim_suffix(&s, p, false)
                }
                ("##" | "%" | "%%", None) => s,
                (":", _) => substring(&s, &args)
                    .ok_or_else(|| error(format!("the substring of {} has a negative length", e.name), e.at))?,
                ("/", _) | ("//", _) => match first {
                    None => s,
                    Some(old) => {
                        let new = args.get(1).map_or(&[][..], Vec::as_slice);
                        let limit = if e.op == "/" { Some(1) } else { None };
                        self.replace(&s, old, new, limit, e.at)?
                    }
                },
                ("/#", _) => match args.as_slice() {
                    [old, new] if s.starts_with(old) => [new.as_slice(), &s[old.len()..]].concat(),
                    _ => s,
                },
                ("/%", _) => match args.as_slice() {
                    [old, new] if s.ends_with(old) => [&s[..s.len() - old.len()], new.as_slice()].concat(),
                    _ => s,
                },
                _ => {
                    if s.is_empty() && !args.is_empty() {
                        args.concat()
                    } else {
                        s
                    }
                }
            })
        }

        /// Replaces `old` by `new` (at most `limit` times); an empty `old` matches before every character
        /// and at the end.
        fn replace(
            &mut self,
            s: &[u8],
            old: &[u8],
            new: &[u8],
            limit: Option<usize>,
            at: usize,
        ) -> Result<Vec<u8>, Error> {
            let mut positions = Vec::new();
            if old.is_empty() {
                let mut i = 0;
                loop {
                    positions.push(i);
                    if i >= s.len() {
                        break;
                    }
                    i += char_at(s, i).1;
                }
            } else {
                let mut i = 0;
                while let Some(p) = find(&s[i..], old) {
                    positions.push(i + p);
                    i += p + old.len();
                }
            }
            if let Some(limit) = limit {
                positions.truncate(limit);
            }
            let grown = positions.len().saturating_mul(new.len());
            self.charge(s.len().saturating_add(grown), at)?;
            let mut out = Vec::with_capacity(s.len() + grown);
            let mut last = 0;
            for p in positions {
                out.extend_from_slice(&s[last..p]);
                out.extend_from_slice(new);
                last = p + old.len();
            }
            out.extend_from_slice(&s[last.min(s.len())..]);
            Ok(out)
        }
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    /// The character at byte `i` and its width, reading invalid UTF-8 as one replacement character per byte.
    fn char_at(s: &[u8], i: usize) -> (char, usize) {
        let len = match s[i] {
            0x00..=0x7f => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        match s.get(i..i + len).and_then(|b| std::str::from_utf8(b).ok()).and_then(|t| t.chars().next()) {
            Some(c) if len > 0 => (c, len),
            _ => (char::REPLACEMENT_CHARACTER, 1),
        }
    }

    fn chars(s: &[u8]) -> Vec<char> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < s.len() {
            let (c, w) = char_at(s, i);
            out.push(c);
            i += w;
        }
        out
    }

    /// One-to-one case mappings (a character whose mapping is several characters stays as it is).
    fn upper(c: char) -> char {
        let mut m = c.to_uppercase();
        match (m.next(), m.next()) {
            (Some(u), None) => u,
            _ => c,
        }
    }
    fn lower(c: char) -> char {
        let mut m = c.to_lowercase();
        match (m.next(), m.next()) {
            (Some(l), None) => l,
            _ => c,
        }
    }

    fn map_all(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
        chars(s).into_iter().map(f).collect::<String>().into_bytes()
    }

    fn map_first(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
        if s.is_empty() {
            return Vec::new();
        }
        let (c, w) = char_at(s, 0);
        let mut out = f(c).to_string().into_bytes();
        out.extend_from_slice(&s[w..]);
        out
    }

    /// An integer as Go's `strconv.Atoi` reads it.
    fn atoi(s: &[u8]) -> Option<i64> {
        let text = std::str::from_utf8(s).ok()?;
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    }

    /// `${var:off}` / `${var:off:len}` on bytes; `None` for a negative length that ends before the start.
    fn substring(s: &[u8], args: &[Vec<u8>]) -> Option<Vec<u8>> {
        let Some(pos) = args.first().and_then(|a| atoi(a)) else { return Some(s.to_vec()) };
        let len = s.len() as i128;
        let mut pos = i128::from(pos);
        if pos < 0 {
            pos = (len + pos).max(0);
        }
        let rest = |pos: i128| if pos < len { s[pos as usize..].to_vec() } else { Vec::new() };
        let Some(count) = args.get(1) else { return Some(rest(pos)) };
        let Some(count) = atoi(count) else { return Some(s.to_vec()) };
        let end = pos + i128::from(count);
        if end >= len {
            return Some(rest(pos));
        }
        if end < pos {
            return None;
        }
        Some(s[pos as usize..end as usize].to_vec())
    }

    /// Removes the shortest (or longest) prefix matching a glob; an invalid pattern removes nothing.
    fn trim_prefix(s: &[u8], pattern: &[u8], shortest: bool) -> Vec<u8> {
        let mut found = None;
        for end in (1..=s.len()).rev() {
            match glob(pattern, &s[..end]) {
                Err(()) => return s.to_vec(),
                Ok(true) if !shortest => return s[end..].to_vec(),
                Ok(true) => found = Some(end),
                Ok(false) => {}
            }
        }
        match found {
            Some(end) => s[end..].to_vec(),
            None => s.to_vec(),
        }
    }

    /// The same at the end: the value and the pattern are reversed character by character.
    fn trim_suffix(s: &[u8], pattern: &[u8], shortest: bool) -> Vec<u8> {
        let reverse = |b: &[u8]| chars(b).into_iter().rev().collect::<String>().into_bytes();
        reverse(&trim_prefix(&reverse(s), &reverse(pattern), shortest))
    }

    /// Shell-style matching of a whole name: `*` (any run, `/` included; a trailing `*` matches the rest),
    /// `?`, `[a-z]`, `[^a-z]`, `\x`. `Err` for a malformed pattern.
    fn glob(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, ()> {
        'chunks: while !pattern.is_empty() {
            let (star, chunk, rest) = split_chunk(pattern);
            pattern = rest;
            if star && chunk.is_empty() {
                return Ok(true);
            }
            let (tail, ok) = match_chunk(chunk, name)?;
            if ok && (tail.is_empty() || !pattern.is_empty()) {
                name = tail;
                continue;
            }
            if star {
                for i in 0..name.len() {
                    let (tail, ok) = match_chunk(chunk, &name[i + 1..])?;
                    if ok {
                        if pattern.is_empty() && !tail.is_empty() {
                            continue;
                        }
                        name = tail;
                        continue 'chunks;
                    }
                }
            }
            return Ok(false);
        }
        Ok(name.is_empty())
    }

    /// Leading stars, then the pattern up to the next star outside brackets.
    fn split_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
        let stars = pattern.iter().take_while(|b| **b == b'*').count();
        let pattern = &pattern[stars..];
        let mut in_range = false;
        let mut i = 0;
        while i < pattern.len() {
            match pattern[i] {
                b'\\' if i + 1 < pattern.len() => i += 1,
                b'[' => in_range = true,
                b']' => in_range = false,
                b'*' if !in_range => break,
                _ => {}
            }
            i += 1;
        }
        (stars > 0, &pattern[..i], &pattern[i..])
    }

    /// Matches a star-free chunk at the start of `s`; the rest of `s` and whether it matched.
    fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> Result<(&'s [u8], bool), ()> {
        while !chunk.is_empty() {
            if s.is_empty() {
                return Ok((s, false));
            }
            match chunk[0] {
                b'[' => {
                    let (c, w) = char_at(s, 0);
                    s = &s[w..];
                    chunk = &chunk[1..];
                    let negated = chunk.first() == Some(&b'^');
                    if negated {
                        chunk = &chunk[1..];
                    }
                    let mut matched = false;
                    let mut ranges = 0;
                    loop {
                        if chunk.first() == Some(&b']') && ranges > 0 {
                            chunk = &chunk[1..];
                            break;
                        }
                        let (lo, rest) = class_char(chunk)?;
                        chunk = rest;
                        let mut hi = lo;
                        if chunk.first() == Some(&b'-') {
                            let (h, rest) = class_char(&chunk[1..])?;
                            hi = h;
                            chunk = rest;
                        }
                        matched |= lo <= c && c <= hi;
                        ranges += 1;
                    }
                    if matched == negated {
                        return Ok((s, false));
                    }
                }
                b'?' => {
                    s = &s[char_at(s, 0).1..];
                    chunk = &chunk[1..];
                }
                first => {
                    let literal = if first == b'\\' {
                        chunk = &chunk[1..];
                        *chunk.first().ok_or(())?
                    } else {
                        first
                    };
                    if literal != s[0] {
                        return Ok((s, false));
                    }
                    s = &s[1..];
                    chunk = &chunk[1..];
                }
            }
        }
        Ok((s, true))
    }

    /// A possibly escaped character of a bracket expression, which must be followed by more pattern.
    fn class_char(chunk: &[u8]) -> Result<(char, &[u8]), ()> {
        let chunk = match chunk.first() {
            None | Some(b'-' | b']') => return Err(()),
            Some(b'\\') => &chunk[1..],
            Some(_) => chunk,
        };
        if chunk.is_empty() {
            return Err(());
        }
        let (c, w) = char_at(chunk, 0);
        if (c == char::REPLACEMENT_CHARACTER && w == 1) || w >= chunk.len() {
            return Err(());
        }
        Ok((c, &chunk[w..]))
    }
}

/// Reads the substituted text back as Flux does (YAML 1.1 types, only the
/// first document, keys turned into strings, merge keys applied).
mod load {
    use super::scalar::{self, Plain};
    use serde_json::{Map, Number, Value};
    use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span, Tag};
    use std::collections::HashMap;

    /// Why the text did not read back; `message` never holds text from the document.
    pub struct Error {
        pub message: String,
        /// Byte offset in the text.
        pub at: usize,
    }

    /// Nodes (aliases counted at their full size) a document may expand to.
    const MAX_NODES: usize = 1 << 20;
    const CORE: &str = "tag:yaml.org,2002:";

    enum Frame {
        Seq { items: Vec<Value>, anchor: usize },
        Map { map: Map<String, Value>, anchor: usize, key: Option<Key>, at: usize },
    }

    enum Key {
        Name(String),
        /// `<<`: the value's entries are merged in.
        Merge,
    }

    struct Loader<'t> {
        text: &'t str,
        stack: Vec<Frame>,
        anchors: HashMap<usize, Value>,
        nodes: usize,
        root: Option<Value>,
    }

    /// Reads the first document of a text.
    pub fn load(text: &str) -> Result<Value, Error> {
        let mut loader = Loader { text, stack: Vec::new(), anchors: HashMap::new(), nodes: 0, root: None };
        // Read as libyaml (Flux's reader) does where the two differ.
        let mut options = Options::default();
        options.bom_inside_document_as_content = true;
        options.block_scalar_eof_without_line_feed = true;
        options.emit_comments = false;
        options.emit_anchor_events = true;
        let mut parser = Parser::new_from_str_with_options(text, options);
        while let Some(event) = parser.next_event() {
            let (event, span) = event.map_err(|e| {
                let at = byte_offset(text, e.marker().byte_offset(), e.marker().index());
                Error { message: describe_scan_error(&e.kind().to_string()), at }
            })?;
            if loader.event(event, span)? {
                break;
            }
        }
        Ok(loader.root.unwrap_or(Value::Null))
    }

    /// A parser message without quoted source text (it could be part of a value).
    fn describe_scan_error(message: &str) -> String {
        let cut = message.find(['`', '\'', '"']).unwrap_or(message.len());
        let message = message[..cut].trim_end_matches([' ', ':']);
        if message.is_empty() { "invalid YAML".to_string() } else { message.to_string() }
    }

    fn byte_offset(text: &str, bytes: Option<usize>, chars: usize) -> usize {
        bytes.unwrap_or_else(|| text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i))
    }

    impl Loader<'_> {
        fn fail(&self, message: impl Into<String>, span: &Span) -> Error {
            Error { message: message.into(), at: byte_offset(self.text, span.start.byte_offset(), span.start.index()) }
        }

        fn count(&mut self, nodes: usize, span: &Span) -> Result<(), Error> {
            self.nodes = self.nodes.saturating_add(nodes);
            if self.nodes > MAX_NODES {
                return Err(self.fail("the document expands to too many nodes", span));
            }
            Ok(())
        }

        /// Handles one event; `true` once the first document is complete.
        fn event(&mut self, event: Event, span: Span) -> Result<bool, Error> {
            match event {
                Event::DocumentEnd | Event::StreamEnd => return Ok(true),
                Event::Scalar(text, style, anchor, tag) => {
                    self.count(1, &span)?;
                    if self.expects_key() {
                        let key = self.scalar_key(&text, style, tag.as_deref(), &span)?;
                        if anchor != 0 {
                            self.anchors.insert(anchor, Value::String(text.to_string()));
                        }
                        self.set_key(key);
                    } else {
                        let value = self.scalar_value(&text, style, tag.as_deref(), &span)?;
                        self.complete(value, anchor, &span)?;
                    }
                }
                Event::Anchor(_, name) => self.check_anchor_name(&name, &span)?,
                Event::Alias(id) => {
                    let start = span_at(self.text, &span);
                    let end = byte_offset(self.text, span.end.byte_offset(), span.end.index());
                    let name = self.text.get(start..end).unwrap_or("").trim_start_matches('*');
                    self.check_anchor_name(name, &span)?;
                    let Some(value) = self.anchors.get(&id).cloned() else {
                        return Err(self.fail("an alias refers to an unknown anchor", &span));
                    };
                    self.count(size(&value), &span)?;
                    if self.expects_key() {
                        let key = self.value_key(&value, &span)?;
                        self.set_key(Key::Name(key));
                    } else {
                        self.complete(value, 0, &span)?;
                    }
                }
                Event::SequenceStart(_, anchor, _) => {
                    self.open(&span)?;
                    self.stack.push(Frame::Seq { items: Vec::new(), anchor });
                }
                Event::MappingStart(_, anchor, _) => {
                    self.open(&span)?;
                    self.stack.push(Frame::Map { map: Map::new(), anchor, key: None, at: span_at(self.text, &span) });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let (value, anchor) = match self.stack.pop() {
                        Some(Frame::Seq { items, anchor, .. }) => (Value::Array(items), anchor),
                        Some(Frame::Map { map, anchor, .. }) => (Value::Object(map), anchor),
                        None => return Err(self.fail("unbalanced document", &span)),
                    };
                    if self.expects_key() {
                        return Err(self.fail("a mapping key is a list or a mapping", &span));
                    }
                    self.complete(value, anchor, &span)?;
                }
                _ => {}
            }
            Ok(false)
        }

        /// Anchor and alias names are letters, digits, `-` and `_` for Flux's reader.
        fn check_anchor_name(&self, name: &str, span: &Span) -> Result<(), Error> {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(
                    self.fail("an anchor or alias name has characters other than letters, digits, - and _", span)
                );
            }
            Ok(())
        }

        fn open(&mut self, span: &Span) -> Result<(), Error> {
            self.count(1, span)?;
            if self.stack.len() >= super::MAX_DEPTH {
                return Err(self.fail("the document nests too deeply", span));
            }
            Ok(())
        }

        fn expects_key(&self) -> bool {
            matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
        }

        fn set_key(&mut self, new: Key) {
            if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                *key = Some(new);
            }
        }

        /// A finished node: the document, a list item or a mapping value.
        fn complete(&mut self, value: Value, anchor: usize, span: &Span) -> Result<(), Error> {
            if anchor != 0 {
                self.anchors.insert(anchor, value.clone());
            }
            match self.stack.last_mut() {
                None => self.root = Some(value),
                Some(Frame::Seq { items, .. }) => items.push(value),
                Some(Frame::Map { map, key, at, .. }) => match key.take() {
                    Some(Key::Name(k)) => {
                        map.insert(k, value);
                    }
                    Some(Key::Merge) => {
                        let at = *at;
                        merge(map, value).map_err(|message| Error { message, at })?;
                    }
                    None => return Err(self.fail("a mapping key is missing", span)),
                },
            }
            Ok(())
        }

        /// A scalar in key position, turned into a string as Flux does.
        fn scalar_key(&self, text: &str, style: ScalarStyle, tag: Option<&Tag>, span: &Span) -> Result<Key, Error> {
            let plain = style == ScalarStyle::Plain;
            let merge_tag = tag.is_some_and(|t| t.handle() == CORE && t.suffix() == "merge");
            if text == "<<" && ((plain && tag.is_none()) || merge_tag) {
                return Ok(Key::Merge);
            }
            let key = match typed(text, style, tag).map_err(|m| self.fail(m, span))? {
                Typed::Str(s) => s,
                Typed::Plain(Plain::Int(i)) => i.to_string(),
                Typed::Plain(Plain::Float(f)) => scalar::format_float(f, true),
                Typed::Plain(Plain::Bool(b)) => b.to_string(),
                Typed::Plain(Plain::Timestamp | Plain::Str) => text.to_string(),
                Typed::Plain(Plain::Null) => return Err(self.fail("a mapping key is null", span)),
                Typed::Plain(Plain::Uint(_)) => return Err(self.fail("a mapping key is too large an integer", span)),
            };
            Ok(Key::Name(key))
        }

        /// A key given by an alias.
        fn value_key(&self, value: &Value, span: &Span) -> Result<String, Error> {
            match value {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(self.fail("a mapping key is not a scalar", span)),
            }
        }

        fn scalar_value(&self, text: &str, style: ScalarStyle, tag: Option<&Tag>, span: &Span) -> Result<Value, Error> {
            Ok(match typed(text, style, tag).map_err(|m| self.fail(m, span))? {
                Typed::Str(s) => Value::String(s),
                Typed::Plain(Plain::Null) => Value::Null,
                Typed::Plain(Plain::Bool(b)) => Value::Bool(b),
                Typed::Plain(Plain::Int(i)) => Value::from(i),
                Typed::Plain(Plain::Uint(u)) => Value::from(u),
                Typed::Plain(Plain::Float(f)) => float(f)
                    .ok_or_else(|| self.fail("a value is infinite or not a number, which JSON cannot hold", span))?,
                Typed::Plain(Plain::Timestamp | Plain::Str) => Value::String(text.to_string()),
            })
        }
    }

    fn span_at(text: &str, span: &Span) -> usize {
        byte_offset(text, span.start.byte_offset(), span.start.index())
    }

    /// A float as it reaches the cluster: whole numbers become integers (Flux passes objects through JSON).
    fn float(f: f64) -> Option<Value> {
        if !f.is_finite() {
            return None;
        }
        if f.fract() == 0.0 && f.abs() < super::I64_LIMIT {
            return Some(Value::from(f as i64));
        }
        Number::from_f64(f).map(Value::Number)
    }

    /// A scalar's meaning before it becomes a key or a value.
    enum Typed {
        Str(String),
        Plain(Plain),
    }

    /// Applies quoting and tags: quoted scalars are strings, plain ones are resolved, `!!int` and friends
    /// must resolve to their type, `!!binary` is decoded, other tags leave the text a string.
    fn typed(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Typed, String> {
        let Some(tag) = tag else {
            return Ok(if style == ScalarStyle::Plain {
                Typed::Plain(scalar::resolve(text))
            } else {
                Typed::Str(text.to_string())
            });
        };
        if tag.handle() != CORE {
            return Ok(Typed::Str(text.to_string()));
        }
        let resolved = scalar::resolve(text);
        let matches = match (tag.suffix(), resolved) {
            ("str", _) => return Ok(Typed::Str(text.to_string())),
            ("binary", _) => return binary(text).map(Typed::Str),
            ("int", Plain::Int(_) | Plain::Uint(_))
            | ("bool", Plain::Bool(_))
            | ("null", Plain::Null)
            | ("timestamp", Plain::Timestamp)
            | ("float", Plain::Float(_)) => true,
            ("float", Plain::Int(i)) => return Ok(Typed::Plain(Plain::Float(i as f64))),
            ("float", Plain::Uint(u)) => return Ok(Typed::Plain(Plain::Float(u as f64))),
            ("int" | "bool" | "null" | "timestamp" | "float", _) => false,
            _ => return Ok(Typed::Str(text.to_string())),
        };
        if matches {
            Ok(Typed::Plain(resolved))
        } else {
            Err(format!("a value tagged !!{} is not of that type", tag.suffix()))
        }
    }

    fn binary(text: &str) -> Result<String, String> {
        use base64::Engine as _;
        let compact: String = text.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| "!!binary value contains invalid base64 data".to_string())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Applies a merge key: a mapping's entries, or those of a list of mappings (the first listed wins).
    fn merge(map: &mut Map<String, Value>, value: Value) -> Result<(), String> {
        let wrong = || "map merge requires map or sequence of maps as the value".to_string();
        match value {
            Value::Object(entries) => {
                map.extend(entries);
                Ok(())
            }
            Value::Array(items) => {
                for item in items.into_iter().rev() {
                    let Value::Object(entries) = item else { return Err(wrong()) };
                    map.extend(entries);
                }
                Ok(())
            }
            _ => Err(wrong()),
        }
    }

    /// Nodes in a value.
    fn size(value: &Value) -> usize {
        match value {
            Value::Array(items) => 1 + items.iter().map(size).sum::<usize>(),
            Value::Object(map) => 1 + map.values().map(size).sum::<usize>(),
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).unwrap()
    }

    /// Substitutes in one object.
    fn run(object: Value, pairs: &[(&str, &str)], strict: bool) -> Result<Value, String> {
        let mut objects = vec![object];
        substitute(&mut objects, &vars(pairs), strict)?;
        Ok(objects.remove(0))
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app", "namespace": "apps"}, "data": data})
    }

    /// The `data` of a ConfigMap after substitution.
    fn data(data: Value, pairs: &[(&str, &str)]) -> Value {
        run(cm(data), pairs, false).unwrap()["data"].clone()
    }

    fn error(data: Value, pairs: &[(&str, &str)], strict: bool) -> String {
        run(cm(data), pairs, strict).unwrap_err()
    }

    #[test]
    fn replaces_variables_and_changes_types_as_flux_does() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": "${REPLICAS}", "paused": "${PAUSED}", "mode": "${MODE}", "image": "nginx:${TAG}"}});
        let out = run(d, &[("REPLICAS", "3"), ("PAUSED", "yes"), ("MODE", "0644"), ("TAG", "1.25")], false).unwrap();
        assert_eq!(out["spec"], json!({"replicas": 3, "paused": true, "mode": 420, "image": "nginx:1.25"}));
        let values =
            ["1.5", "null", "~", "on", "off", "0x1F", "1e3", "1_000", "True", "tRUE", "2001-01-01", "1:20", ""];
        let got: Vec<Value> = values.iter().map(|v| data(json!({"k": "${V}"}), &[("V", v)])["k"].clone()).collect();
        assert_eq!(
            got,
            vec![
                json!(1.5),
                Value::Null,
                Value::Null,
                json!(true),
                json!(false),
                json!(31),
                json!(1000),
                json!(1000),
                json!(true),
                json!("tRUE"),
                json!("2001-01-01"),
                json!("1:20"),
                Value::Null
            ]
        );
        // Only the whole scalar changes type; text around a variable keeps it a string.
        assert_eq!(data(json!({"k": "v${V}"}), &[("V", "3")])["k"], "v3");
    }

    #[test]
    fn defaults_apply_to_unset_and_empty_variables() {
        let forms =
            json!({"a": "${X:=d}", "b": "${X:-d}", "c": "${X=d}", "d": "${X:+d}", "e": "${X:?d}", "f": "${X:=}"});
        let all_d = json!({"a": "d", "b": "d", "c": "d", "d": "d", "e": "d", "f": null});
        assert_eq!(data(forms.clone(), &[("OTHER", "1")]), all_d);
        assert_eq!(data(forms.clone(), &[("X", "")]), all_d);
        let all_v = json!({"a": "v", "b": "v", "c": "v", "d": "v", "e": "v", "f": "v"});
        assert_eq!(data(forms, &[("X", "v")]), all_v);
        // A default can hold text and expressions.
        assert_eq!(data(json!({"k": "${X:=pre-${Y}-post}"}), &[("Y", "y")])["k"], "pre-y-post");
        // `${X-d}` and `${X+d}` are not supported by Flux.
        for form in ["${X-d}", "${X+d}"] {
            let e = error(json!({"k": form}), &[("X", "v")], false);
            assert_eq!(e, "ConfigMap/apps/app: variable substitution failed at data.k: missing closing brace");
        }
    }

    #[test]
    fn escapes_and_lone_dollars_are_kept() {
        let d = data(
            json!({"a": "$${VAR}", "b": "$$", "c": "$VAR and $HOME", "d": "costs $5", "e": "a$", "f": "$${A}-${A}"}),
            &[("VAR", "x"), ("A", "1")],
        );
        assert_eq!(
            d,
            json!({"a": "${VAR}", "b": "$", "c": "$VAR and $HOME", "d": "costs $5", "e": "a$", "f": "${A}-1"})
        );
    }

    #[test]
    fn unset_variables_are_empty_unless_strict() {
        let d = data(json!({"a": "${UNSET}", "b": "x-${UNSET}-y"}), &[("X", "1")]);
        assert_eq!(d, json!({"a": null, "b": "x--y"}));
        let e = error(json!({"a": "ok", "b": "x-${UNSET}-y"}), &[("X", "1")], true);
        assert_eq!(
            e,
            "ConfigMap/apps/app: variable substitution failed at data.b: variable not set (strict mode): \"UNSET\""
        );
        // Set to the empty string counts as set; defaults are fine.
        let d = run(cm(json!({"a": "${EMPTY}", "b": "${UNSET:=d}"})), &[("EMPTY", "")], true).unwrap();
        assert_eq!(d["data"], json!({"a": null, "b": "d"}));
        // Operators that read the value need it set too.
        for form in ["${#UNSET}", "${UNSET^^}", "${UNSET:1}", "${UNSET/a/b}", "${UNSET%.*}"] {
            let e = error(json!({"k": form}), &[("X", "1")], true);
            assert!(e.ends_with("variable not set (strict mode): \"UNSET\""), "{form}: {e}");
        }
        // A default's expressions are evaluated even when the variable is set.
        let e = error(json!({"k": "${X:=${UNSET}}"}), &[("X", "1")], true);
        assert!(e.ends_with("\"UNSET\""), "{e}");
    }

    #[test]
    fn variable_names_are_validated_as_flux_does() {
        for bad in ["1X", "a-b", "é", "", "A B", "a.b"] {
            let e = Vars::new(BTreeMap::from([(bad.to_string(), "secret-value".to_string())])).unwrap_err();
            assert_eq!(e, format!("'{bad}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"));
        }
        assert!(
            Vars::new(BTreeMap::from([("_a1".to_string(), String::new()), ("Z".to_string(), String::new())])).is_ok()
        );
        // Names are checked on substitution too, when `Vars` was built directly.
        let v = Vars { values: BTreeMap::from([("bad-name".to_string(), "secret-value".to_string())]) };
        let e = substitute(&mut [cm(json!({}))], &v, false).unwrap_err();
        assert!(e.starts_with("'bad-name' var name is invalid") && !e.contains("secret-value"), "{e}");
        // Names in the text that no variable can have are simply unset.
        assert_eq!(data(json!({"k": "<${é}${1x}>"}), &[("X", "1")])["k"], "<>");
    }

    #[test]
    fn a_value_with_yaml_syntax_can_break_the_object() {
        let e = error(json!({"a": "fine", "b": "${X}"}), &[("X", "key: secret-value")], false);
        assert_eq!(
            e,
            "ConfigMap/apps/app: after substitution, the YAML is not valid at data.b: \
             mapping values are not allowed in this context (substituted there: X)"
        );
        let e = error(json!({"b": "${X}"}), &[("X", "[secret-value")], false);
        assert!(e.contains("at data.b:") && e.ends_with("(substituted there: X)") && !e.contains("secret"), "{e}");
        // What YAML reads differently is taken as YAML reads it.
        assert_eq!(data(json!({"a": "${X}"}), &[("X", "#secret")])["a"], Value::Null);
        assert_eq!(data(json!({"a": "${X}"}), &[("X", "[1, two]")])["a"], json!([1, "two"]));
        assert_eq!(data(json!({"a": "${X}"}), &[("X", "{k: v}")])["a"], json!({"k": "v"}));
        // Inside a quoted string a value cannot escape.
        assert_eq!(data(json!({"a": "'${X}' x: ${X}"}), &[("X", "a: b")])["a"], "'a: b' x: a: b");
    }

    #[test]
    fn the_opt_out_label_or_annotation_skips_an_object() {
        let mut annotated = cm(json!({"a": "${UNSET}"}));
        annotated["metadata"]["annotations"] = json!({OPT_OUT_KEY: "disabled"});
        let mut labelled = cm(json!({"a": "${X}"}));
        labelled["metadata"]["labels"] = json!({OPT_OUT_KEY: "disabled"});
        let mut other = cm(json!({"a": "${X}"}));
        other["metadata"]["annotations"] = json!({OPT_OUT_KEY: "enabled"});
        let mut objects = vec![annotated.clone(), labelled.clone(), other];
        substitute(&mut objects, &vars(&[("X", "v")]), true).unwrap();
        assert_eq!(objects[0], annotated);
        assert_eq!(objects[1], labelled);
        assert_eq!(objects[2]["data"]["a"], "v");
    }

    #[test]
    fn values_lose_line_feeds_and_multi_line_strings_are_substituted() {
        assert_eq!(vars(&[("X", "a\nb\n")]).values["X"], "ab");
        let script = "#!/bin/sh\necho ${GREETING}\nexit ${CODE}\n";
        let d = data(json!({"run.sh": script}), &[("GREETING", "hello world"), ("CODE", "0")]);
        assert_eq!(d["run.sh"], "#!/bin/sh\necho hello world\nexit 0\n");
        // Other line breaks stay in the value, and break a line as they do in Flux.
        let e = error(json!({"k": "a ${X} b"}), &[("X", "1\r2")], false);
        assert!(e.contains("the YAML is not valid at data.k"), "{e}");
    }

    #[test]
    fn keys_annotations_and_lists_are_substituted() {
        let mut o = cm(json!({"${KEY}": "v", "${NUM}": "n", "${BOOL}": "b"}));
        o["metadata"]["annotations"] = json!({"note": "${X}", "text": "v${X}"});
        o["spec"] = json!({"args": ["--port=${PORT}", "${PORT}", ["${X}"]]});
        let out = run(o, &[("KEY", "name"), ("NUM", "0x10"), ("BOOL", "yes"), ("X", "3"), ("PORT", "8080")], false);
        let out = out.unwrap();
        // Keys read back as numbers or booleans become their string form, as in Flux.
        assert_eq!(out["data"], json!({"name": "v", "16": "n", "true": "b"}));
        // An annotation holding only a number becomes a number (the API server will refuse it).
        assert_eq!(out["metadata"]["annotations"], json!({"note": 3, "text": "v3"}));
        assert_eq!(out["spec"]["args"], json!(["--port=8080", 8080, [3]]));
    }

    #[test]
    fn unicode_text_and_values() {
        let d = data(json!({"k": "héllo ${X} 😀", "${X}": "ü"}), &[("X", "wörld 🌍")]);
        assert_eq!(d, json!({"k": "héllo wörld 🌍 😀", "wörld 🌍": "ü"}));
        assert_eq!(data(json!({"k": "${#X}:${X^}:${X^^}"}), &[("X", "éa")])["k"], "3:Éa:ÉA");
    }

    #[test]
    fn nested_references_are_an_error_and_values_are_not_expanded_again() {
        let e = error(json!({"k": "${A${B}}"}), &[("A", "1"), ("B", "2")], false);
        assert_eq!(e, "ConfigMap/apps/app: variable substitution failed at data.k: missing closing brace");
        for (form, message) in [
            ("${}", "unable to parse variable name"),
            ("${X", "missing closing brace"),
            ("${X:}", "unable to parse substitution within function"),
            ("${!X}", "unable to parse variable name"),
        ] {
            let e = error(json!({"k": form}), &[("X", "1")], false);
            assert!(e.ends_with(message), "{form}: {e}");
        }
        assert_eq!(data(json!({"k": "${X}"}), &[("X", "${Y}"), ("Y", "boom")])["k"], "${Y}");
        let deep = format!("{}x{}", "${A:=".repeat(10_000), "}".repeat(10_000));
        assert!(error(json!({"k": deep}), &[("A", "1")], false).ends_with("expressions nest too deeply"));
        let ok = format!("{}x{}", "${A:=".repeat(60), "}".repeat(60));
        assert_eq!(data(json!({"k": ok}), &[("B", "")])["k"], "x");
    }

    #[test]
    fn string_operators() {
        let cases = [
            ("${F:11}", "ideas/thoughts.for.today"),
            ("${F:11:5}", "ideas"),
            ("${F:-5}", "/home/bozo/ideas/thoughts.for.today"),
            ("${F: -5}", "/home/bozo/ideas/thoughts.for.today"),
            ("${N:1:2}", "bc"),
            ("${N:-2:1}", "abcdef"),
            ("${N:100}", ""),
            ("${#F}", "35"),
            ("${F#*/}", "home/bozo/ideas/thoughts.for.today"),
            ("${F##*/}", "thoughts.for.today"),
            ("${F%.*}", "/home/bozo/ideas/thoughts.for"),
            ("${F%%.*}", "/home/bozo/ideas/thoughts"),
            ("${F#[/h]}", "home/bozo/ideas/thoughts.for.today"),
            ("${N/c/X}", "abXdef"),
            ("${R//ab/-}", "-c-c"),
            ("${R/#ab/-}", "-cabc"),
            ("${R/%bc/-}", "abca-"),
            ("${R/%x/-}", "abcabc"),
            ("${P//\\//-}", "a-b-c"),
            ("${N^}", "Abcdef"),
            ("${U,}", "aBC"),
            ("${U,,}", "abc"),
        ];
        let pairs = [
            ("F", "/home/bozo/ideas/thoughts.for.today"),
            ("N", "abcdef"),
            ("R", "abcabc"),
            ("P", "a/b/c"),
            ("U", "ABC"),
        ];
        for (form, want) in cases {
            assert_eq!(data(json!({"k": format!("<{form}>")}), &pairs)["k"], format!("<{want}>"), "{form}");
        }
        // A negative length that ends before the start (Flux's envsubst panics on it).
        let e = error(json!({"k": "${N:3:-2}"}), &pairs, false);
        assert!(e.ends_with("the substring of N has a negative length"), "{e}");
    }

    #[test]
    fn growth_is_bounded() {
        let big = "a".repeat(2000);
        let e = error(json!({"k": "${A//a/${B}}"}), &[("A", &big), ("B", &"b".repeat(10_000))], false);
        assert!(e.ends_with("the result grows too large (more than ten times the object and its variables)"), "{e}");
        // A large value used once is fine.
        let cert = "x".repeat(3 << 20);
        assert_eq!(data(json!({"k": "${C}"}), &[("C", &cert)])["k"].as_str().map(str::len), Some(3 << 20));
    }

    #[test]
    fn on_error_no_object_changes() {
        let first = cm(json!({"a": "${X}"}));
        let second = cm(json!({"a": "${UNSET}"}));
        let mut objects = vec![first.clone(), second];
        let e = substitute(&mut objects, &vars(&[("X", "1")]), true).unwrap_err();
        assert!(e.contains("\"UNSET\""), "{e}");
        assert_eq!(objects[0], first);
    }

    #[test]
    fn errors_never_show_values_or_object_text() {
        let secret = "s3cr3t-value";
        let mut secret_object = cm(json!({"password": "hunter2-in-git", "a": "${X}"}));
        secret_object["kind"] = json!("Secret");
        for (object, strict) in [
            (cm(json!({"a": "${X}"})), false),
            (cm(json!({"a": "${X} ${UNSET}"})), true),
            (cm(json!({"a": "${X"})), false),
            (secret_object, false),
        ] {
            let e = run(object, &[("X", &format!("{secret}: [{{"))], strict).unwrap_err();
            assert!(!e.contains("s3cr3t") && !e.contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn empty_variables_leave_objects_untouched() {
        let o = cm(json!({"a": "${X:=d}", "b": "${UNSET}"}));
        assert_eq!(run(o.clone(), &[], true).unwrap(), o);
        let mut objects = vec![o];
        substitute_with(&mut objects, &Vars::default(), Options { strict: false, always: true }).unwrap();
        assert_eq!(objects[0]["data"], json!({"a": "d", "b": null}));
    }

    #[test]
    fn objects_survive_the_round_trip() {
        let o = cm(json!({
            "quoted": ["yes", "on", "0644", "3", "1.5", "null", "", "~", "x: y", "- a", "#c", " lead", "trail ", "'q'"],
            "text": "multi\nline\n", "keep": "a\n\n", "lead": " a\nb", "tab": "a\tb", "emoji": "😀", "bom": "\u{feff}x",
            "ls": "a\u{2028}b", "long": "word ".repeat(40), "key with spaces": {"n": [1, -2, 0.5, 1e-7, 1e21, true, null]},
            "empty": {}, "none": [], "k".repeat(130): "long key", "multi\nline key": 1,
        }));
        let out = run(o.clone(), &[("X", "1")], false).unwrap();
        assert_eq!(out, o);
        // A `<<` key reads back as a merge key, as in Flux.
        assert_eq!(data(json!({"<<": {"a": 1, "b": 2}, "b": 3}), &[("X", "1")]), json!({"a": 1, "b": 3}));
        let e = error(json!({"<<": "x"}), &[("X", "1")], false);
        assert!(e.ends_with("map merge requires map or sequence of maps as the value"), "{e}");
        // Whole floats become integers, as after Flux's trip through JSON.
        assert_eq!(data(json!({"f": 3.0}), &[("X", "1")])["f"], json!(3));
    }

    #[test]
    fn control_characters_are_refused_as_in_flux() {
        let e = error(json!({"k": "a\u{7f}b"}), &[("X", "1")], false);
        assert_eq!(
            e,
            "ConfigMap/apps/app: data.k: a string holds the control character U+007F, which Flux cannot convert to YAML"
        );
        // A next-line character folds like a line break.
        assert_eq!(data(json!({"k": "a \u{85} b"}), &[("X", "1")])["k"], "a b");
    }

    #[test]
    fn prints_objects_as_flux_does() {
        let p = |v: Value| print::print(&v).unwrap().text;
        assert_eq!(
            p(json!({"a": "${X}", "b": ["yes", "on", "0644", "x: y", "multi\nline"], "n": 1.5, "z": {}})),
            "a: ${X}\nb:\n- \"yes\"\n- \"on\"\n- \"0644\"\n- 'x: y'\n- |-\n  multi\n  line\n\"n\": 1.5\nz: {}\n"
        );
        assert_eq!(
            p(json!({"z": ["a", {"b": [1, [2, 3]], "c": {}}, [], [[]]], "y": {"x": [{"w": null}]}})),
            "z:\n- a\n- b:\n  - 1\n  - - 2\n    - 3\n  c: {}\n- []\n- - []\n\"y\":\n  x:\n  - w: null\n"
        );
        let words: Vec<String> = (0..30).map(|i| format!("word{i}")).collect();
        assert_eq!(
            p(json!({"a": format!("{} ${{X}}", words.join(" "))})),
            "a: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n  \
             word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23 word24\n  \
             word25 word26 word27 word28 word29 ${X}\n"
        );
        assert_eq!(
            p(
                json!({"f": [1234567.5, 0.0001, 0.00001, 1e21, 123456.5], "s": ["a\n\n", "\n", " lead\nx", "tab\there"]})
            ),
            "f:\n- 1.2345675e+06\n- 0.0001\n- 1e-05\n- 1e+21\n- 123456.5\ns:\n- |+\n  a\n\n- |2+\n\n- |2-\n   lead\n  x\n- \"tab\\there\"\n"
        );
        assert_eq!(p(json!({"a\nb": 1, "": ""})), "? |-\n  a\n  b\n: 1\n\"\": \"\"\n");
    }
}
