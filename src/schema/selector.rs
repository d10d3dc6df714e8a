//! Kubernetes label selectors and field selectors, parsed and evaluated as the
//! API server does it (`k8s.io/apimachinery`: `labels.Parse`,
//! `fields.ParseSelector` and `metav1.LabelSelectorAsSelector`).
//!
//! The emulator uses them for `?labelSelector=` / `?fieldSelector=` on list,
//! watch and deletecollection; the apply engine for `matchLabels` /
//! `matchExpressions` and for pruning by owner labels. Error messages are the
//! API server's, so a client sees the same 400 as from a real cluster.
//!
//! Differences from apimachinery, on purpose:
//! - [`LabelSelector::from_json`] maps a null or absent selector to "match
//!   everything" (apimachinery's `LabelSelectorAsSelector(nil)` matches
//!   nothing); callers that need "nothing" check for null themselves.
//! - [`FieldSelector`] keeps its requirements sorted by their canonical text
//!   (apimachinery sorts the raw terms), so printing and parsing round-trip.

use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

/// Why a selector could not be parsed or used. The messages are the API server's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectorError {
    /// A label selector string that does not follow the grammar, e.g.
    /// `unable to parse requirement: found '(', expected: identifier`.
    #[error("{0}")]
    Syntax(String),
    /// A label key that is not a qualified name, e.g. `unable to parse
    /// requirement: <nil>: Invalid value: "-a": name part must consist of …`.
    #[error("{0}")]
    InvalidKey(String),
    /// A requirement whose values do not fit its operator or are not valid
    /// label values (`values[0][app]: Invalid value: "-x": a valid label …`).
    #[error("{0}")]
    InvalidRequirement(String),
    /// A `matchExpressions` operator other than In, NotIn, Exists, DoesNotExist.
    #[error("{} is not a valid label selector operator", go_quote(.0))]
    InvalidOperator(String),
    /// A `metav1.LabelSelector` JSON value of the wrong shape.
    #[error("invalid label selector: {0}")]
    Malformed(String),
    /// A field selector term without `=`, `==` or `!=`.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    FieldSyntax { selector: String, term: String },
    /// A backslash in a field selector value not followed by `\`, `,` or `=`.
    #[error("invalid field selector: invalid escape sequence: {0}")]
    InvalidEscape(String),
    /// An unescaped `,` or `=` in a field selector value (printed as its code
    /// point, as the API server prints it).
    #[error("invalid field selector: unescaped character in value: {}", u32::from(*.0))]
    UnescapedChar(char),
    /// A field selector on a field the resource does not support.
    #[error("field label not supported: {0}")]
    UnsupportedField(String),
}

// ---------------------------------------------------------------------------
// Validation of label keys and values (content.IsLabelKey / IsLabelValue)
// ---------------------------------------------------------------------------

const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_MAX_LEN: usize = 63;
const DNS1123_SUBDOMAIN_MAX_LEN: usize = 253;

fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    let mut out = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        let _ = write!(out, "'{ex}', ");
    }
    let _ = write!(out, "regex used for validation is '{re}')");
    out
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} bytes")
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, anchored.
fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`, anchored.
fn is_dns1123_subdomain(s: &str) -> bool {
    let lower_alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    s.split('.').all(|part| {
        let b = part.as_bytes();
        match (b.first(), b.last()) {
            (Some(f), Some(l)) => lower_alnum(f) && lower_alnum(l) && b.iter().all(|c| lower_alnum(c) || *c == b'-'),
            _ => false,
        }
    })
}

/// The reasons `key` is not a valid label key (a qualified name: an optional
/// DNS-1123 subdomain prefix of at most 253 bytes and `/`, then a name of at
/// most 63 bytes). Empty when it is valid.
pub fn label_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = key.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                if prefix.len() > DNS1123_SUBDOMAIN_MAX_LEN {
                    errs.push(format!("prefix part {}", max_len_error(DNS1123_SUBDOMAIN_MAX_LEN)));
                }
                if !is_dns1123_subdomain(prefix) {
                    errs.push(format!(
                        "prefix part {}",
                        regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, &["example.com"])
                    ));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > LABEL_MAX_LEN {
        errs.push(format!("name part {}", max_len_error(LABEL_MAX_LEN)));
    }
    if !is_label_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    errs
}

/// The reasons `value` is not a valid label value (at most 63 bytes of
/// `[A-Za-z0-9._-]`, starting and ending alphanumeric, or empty). Empty when valid.
pub fn label_value_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_MAX_LEN {
        errs.push(max_len_error(LABEL_MAX_LEN));
    }
    if !value.is_empty() && !is_label_name(value) {
        errs.push(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, &["MyValue", "my_value", "12345"]));
    }
    errs
}

/// Whether `key` is a valid label (or annotation) key.
pub fn is_valid_label_key(key: &str) -> bool {
    label_key_errors(key).is_empty()
}

/// Whether `value` is a valid label value.
pub fn is_valid_label_value(value: &str) -> bool {
    label_value_errors(value).is_empty()
}

/// Go's `%q` of a string (close enough: printable characters as-is).
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `json.Marshal` of a `[]string` (`null` when empty, as a nil slice).
fn go_json_strings(values: &[String]) -> String {
    if values.is_empty() {
        return "null".to_string();
    }
    let mut out = String::from("[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in v.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

/// `field.Invalid(path, value, detail).Error()`.
fn invalid(path: &str, bad_value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {bad_value}: {detail}")
}

/// `utilerrors.NewAggregate(errs).Error()`: one message as-is, several in brackets.
fn aggregate(msgs: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for m in msgs {
        if !seen.contains(&m.as_str()) {
            seen.push(m);
        }
    }
    if seen.len() == 1 { seen[0].to_string() } else { format!("[{}]", seen.join(", ")) }
}

// ---------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------

/// How a label requirement relates its key and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key in (a,b)` / `In`: the label is present and one of the values.
    In,
    /// `key notin (a,b)` / `NotIn`: the label is absent or none of the values.
    NotIn,
    /// `key=v`.
    Equals,
    /// `key==v` (same meaning as `=`; kept apart only to print as written).
    DoubleEquals,
    /// `key!=v`: the label is absent or has another value.
    NotEquals,
    /// `key` / `Exists`.
    Exists,
    /// `!key` / `DoesNotExist`.
    DoesNotExist,
    /// `key>n`: the label is present, an integer, and greater than n.
    GreaterThan,
    /// `key<n`: the label is present, an integer, and less than n.
    LessThan,
}

/// One requirement of a label selector; always valid once constructed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Checks the requirement as `labels.NewRequirement` does: the key is a
    /// qualified name, In/NotIn have at least one value, `=`/`==`/`!=`/`>`/`<`
    /// exactly one (an integer for `>`/`<`), Exists/DoesNotExist none, and
    /// every value is a valid label value.
    pub fn new(key: impl Into<String>, operator: Operator, values: Vec<String>) -> Result<Requirement, SelectorError> {
        let key = key.into();
        let mut errs = Vec::new();
        let mut key_failed = false;
        let key_errs = label_key_errors(&key);
        if !key_errs.is_empty() {
            key_failed = true;
            errs.push(invalid("key", &go_quote(&key), &key_errs.join("; ")));
        }
        let bad_values = || go_json_strings(&values);
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(invalid(
                        "values",
                        &bad_values(),
                        "for 'in', 'notin' operators, values set can't be empty",
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(invalid("values", &bad_values(), "exact-match compatibility requires one single value"));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(invalid(
                        "values",
                        &bad_values(),
                        "values set must be empty for exists and does not exist",
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(invalid(
                        "values",
                        &bad_values(),
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(invalid(
                            &format!("values[{i}]"),
                            &go_quote(v),
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let v_errs = label_value_errors(v);
            if !v_errs.is_empty() {
                errs.push(invalid(&format!("values[{i}][{key}]"), &go_quote(v), &v_errs.join("; ")));
            }
        }
        if errs.is_empty() {
            Ok(Requirement { key, operator, values })
        } else if key_failed && errs.len() == 1 {
            Err(SelectorError::InvalidKey(aggregate(&errs)))
        } else {
            Err(SelectorError::InvalidRequirement(aggregate(&errs)))
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, in the order given (sorted and deduplicated when parsed
    /// from a string).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn has_value(&self, v: &str) -> bool {
        self.values.iter().any(|x| x == v)
    }

    /// Whether a set of labels, given by its lookup function, satisfies this requirement.
    pub fn matches_lookup<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                lookup(&self.key).is_some_and(|v| self.has_value(v))
            }
            Operator::NotIn | Operator::NotEquals => lookup(&self.key).is_none_or(|v| !self.has_value(v)),
            Operator::Exists => lookup(&self.key).is_some(),
            Operator::DoesNotExist => lookup(&self.key).is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(Ok(have)) = lookup(&self.key).map(str::parse::<i64>) else {
                    return false;
                };
                let [want] = self.values.as_slice() else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan { have > want } else { have < want }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
        };
        f.write_str(op)?;
        let set = matches!(self.operator, Operator::In | Operator::NotIn);
        if set {
            f.write_str("(")?;
        }
        let mut sorted: Vec<&str> = self.values.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        f.write_str(&sorted.join(","))?;
        if set {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A parsed label selector (a conjunction of requirements). Empty = matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    /// Sorted by key (stable).
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses the string form: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
    /// `a`, `!a`, `a>1`, `a<1` (gt/lt need integer values), comma-separated;
    /// spaces, tabs and newlines between tokens are ignored. The empty string
    /// (or only whitespace) matches everything.
    pub fn parse(s: &str) -> Result<LabelSelector, SelectorError> {
        let tokens = lex(s.as_bytes());
        let mut parser = Parser { tokens, pos: 0 };
        let mut requirements = parser.parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// From a `metav1.LabelSelector` JSON object (`{matchLabels,
    /// matchExpressions: [{key, operator: In|NotIn|Exists|DoesNotExist, values}]}`).
    /// Null/absent = everything; `{}` = everything.
    pub fn from_json(v: &Value) -> Result<LabelSelector, SelectorError> {
        let obj = match v {
            Value::Null => return Ok(LabelSelector::default()),
            Value::Object(o) => o,
            other => {
                return Err(SelectorError::Malformed(format!(
                    "expected an object with matchLabels and/or matchExpressions, got {}",
                    json_kind(other)
                )));
            }
        };
        let mut requirements = Vec::new();
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(labels)) => {
                for (k, v) in labels {
                    let Value::String(v) = v else {
                        return Err(SelectorError::Malformed(format!(
                            "matchLabels[{k}] must be a string, got {}",
                            json_kind(v)
                        )));
                    };
                    requirements.push(Requirement::new(k.clone(), Operator::Equals, vec![v.clone()])?);
                }
            }
            Some(other) => {
                return Err(SelectorError::Malformed(format!(
                    "matchLabels must be an object of strings, got {}",
                    json_kind(other)
                )));
            }
        }
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(exprs)) => {
                for (i, expr) in exprs.iter().enumerate() {
                    requirements.push(expression_from_json(i, expr)?);
                }
            }
            Some(other) => {
                return Err(SelectorError::Malformed(format!(
                    "matchExpressions must be a list, got {}",
                    json_kind(other)
                )));
            }
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// A selector matching exactly the given labels (`labels.ValidatedSelectorFromSet`).
    pub fn from_labels<'a>(
        labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<LabelSelector, SelectorError> {
        let mut requirements = labels
            .into_iter()
            .map(|(k, v)| Requirement::new(k, Operator::Equals, vec![v.to_string()]))
            .collect::<Result<Vec<_>, _>>()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// `labels` is the object's metadata.labels as a JSON object (or absent/null).
    /// Only string values count as labels.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        self.requirements.iter().all(|r| {
            r.matches_lookup(|k| match labels.and_then(|l| l.get(k)) {
                Some(Value::String(s)) => Some(s.as_str()),
                _ => None,
            })
        })
    }

    /// Same, over any iterator of (key, value) pairs (the first pair with a key wins).
    pub fn matches_pairs<'a>(&self, labels: impl IntoIterator<Item = (&'a str, &'a str)> + Clone) -> bool {
        self.requirements
            .iter()
            .all(|r| r.matches_lookup(|k| labels.clone().into_iter().find(|(lk, _)| *lk == k).map(|(_, v)| v)))
    }

    /// Whether it restricts nothing.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// If the selector requires `key` to have one specific value (`=`, `==`,
    /// or `in` with one value), that value.
    pub fn requires_exact_match(&self, key: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == key)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for LabelSelector {
    type Err = SelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LabelSelector::parse(s)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn expression_from_json(i: usize, expr: &Value) -> Result<Requirement, SelectorError> {
    let Value::Object(expr) = expr else {
        return Err(SelectorError::Malformed(format!(
            "matchExpressions[{i}] must be an object, got {}",
            json_kind(expr)
        )));
    };
    let string_field = |name: &str| -> Result<String, SelectorError> {
        match expr.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(SelectorError::Malformed(format!(
                "matchExpressions[{i}].{name} must be a string, got {}",
                json_kind(other)
            ))),
        }
    };
    let key = string_field("key")?;
    let op_name = string_field("operator")?;
    let values = match expr.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(vs)) => vs
            .iter()
            .enumerate()
            .map(|(j, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(SelectorError::Malformed(format!(
                    "matchExpressions[{i}].values[{j}] must be a string, got {}",
                    json_kind(other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => {
            return Err(SelectorError::Malformed(format!(
                "matchExpressions[{i}].values must be a list of strings, got {}",
                json_kind(other)
            )));
        }
    };
    let operator = match op_name.as_str() {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        _ => return Err(SelectorError::InvalidOperator(op_name)),
    };
    Requirement::new(key, operator, values)
}

// --- lexer (mirrors labels.Lexer, byte by byte, quirks included) ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    End,
    ClosePar,
    Comma,
    Not,
    DoubleEquals,
    Equals,
    Greater,
    Ident,
    In,
    Less,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(s: &[u8]) -> Option<Tok> {
    Some(match s {
        b")" => Tok::ClosePar,
        b"," => Tok::Comma,
        b"!" => Tok::Not,
        b"==" => Tok::DoubleEquals,
        b"=" => Tok::Equals,
        b">" => Tok::Greater,
        b"in" => Tok::In,
        b"<" => Tok::Less,
        b"!=" => Tok::NotEquals,
        b"notin" => Tok::NotIn,
        b"(" => Tok::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    /// The next byte, or 0 at the end (a NUL byte reads as the end too, as in Go).
    fn read(&mut self) -> u8 {
        match self.s.get(self.pos) {
            Some(&c) => {
                self.pos += 1;
                c
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    fn next_token(&mut self) -> (Tok, String) {
        let mut c = self.read();
        while is_whitespace(c) {
            c = self.read();
        }
        if c == 0 {
            return (Tok::End, String::new());
        }
        self.unread();
        if is_special(c) { self.scan_special() } else { self.scan_word() }
    }

    fn scan_word(&mut self) -> (Tok, String) {
        let start = self.pos;
        let mut end;
        loop {
            end = self.pos;
            let c = self.read();
            if c == 0 {
                break;
            }
            if is_special(c) || is_whitespace(c) {
                self.unread();
                break;
            }
        }
        let word = &self.s[start..end];
        (keyword(word).unwrap_or(Tok::Ident), Self::text(word))
    }

    fn scan_special(&mut self) -> (Tok, String) {
        let start = self.pos;
        let mut last: Option<(Tok, usize)> = None;
        loop {
            let c = self.read();
            if c == 0 {
                break;
            }
            if !is_special(c) {
                self.unread();
                break;
            }
            if let Some(tok) = keyword(&self.s[start..self.pos]) {
                last = Some((tok, self.pos));
            } else if last.is_some() {
                self.unread();
                break;
            }
        }
        match last {
            Some((tok, end)) => (tok, Self::text(&self.s[start..end])),
            // Unreachable: every special byte is a token by itself.
            None => (Tok::End, String::new()),
        }
    }
}

fn lex(s: &[u8]) -> Vec<(Tok, String)> {
    let mut lexer = Lexer { s, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        let (tok, lit) = lexer.next_token();
        tokens.push((tok, lit));
        if tok == Tok::End {
            return tokens;
        }
    }
}

// --- parser (mirrors labels.Parser) ---

/// In the values context `in` and `notin` are plain identifiers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    KeyAndOperator,
    Values,
}

struct Parser {
    tokens: Vec<(Tok, String)>,
    pos: usize,
}

const BINARY_OPERATORS: &str = "in, notin, =, ==, !=, gt, lt";

impl Parser {
    fn at(&self, pos: usize, ctx: Ctx) -> (Tok, String) {
        let (tok, lit) = self.tokens.get(pos).or(self.tokens.last()).cloned().unwrap_or((Tok::End, String::new()));
        match (ctx, tok) {
            (Ctx::Values, Tok::In | Tok::NotIn) => (Tok::Ident, lit),
            _ => (tok, lit),
        }
    }

    fn lookahead(&self, ctx: Ctx) -> (Tok, String) {
        self.at(self.pos, ctx)
    }

    fn consume(&mut self, ctx: Ctx) -> (Tok, String) {
        let item = self.at(self.pos, ctx);
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Ctx::Values);
            match tok {
                Tok::Ident | Tok::Not => {
                    let r = self.parse_requirement().map_err(|e| match e {
                        SelectorError::InvalidKey(m) => {
                            SelectorError::InvalidKey(format!("unable to parse requirement: {m}"))
                        }
                        SelectorError::InvalidRequirement(m) => {
                            SelectorError::InvalidRequirement(format!("unable to parse requirement: {m}"))
                        }
                        other => SelectorError::Syntax(format!("unable to parse requirement: {other}")),
                    })?;
                    requirements.push(r);
                    let (t, l) = self.consume(Ctx::Values);
                    match t {
                        Tok::End => return Ok(requirements),
                        Tok::Comma => {
                            let (t2, l2) = self.lookahead(Ctx::Values);
                            if t2 != Tok::Ident && t2 != Tok::Not {
                                return Err(SelectorError::Syntax(format!(
                                    "found '{l2}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(SelectorError::Syntax(format!(
                                "found '{l}', expected: ',' or 'end of string'"
                            )));
                        }
                    }
                }
                Tok::End => return Ok(requirements),
                _ => {
                    return Err(SelectorError::Syntax(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    )));
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, SelectorError> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return Requirement::new(key, op, Vec::new());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(key, op, values.into_iter().collect())
    }

    /// The key, and Exists/DoesNotExist when no binary operator follows.
    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), SelectorError> {
        let (mut tok, mut lit) = self.consume(Ctx::Values);
        let negated = tok == Tok::Not;
        if negated {
            (tok, lit) = self.consume(Ctx::Values);
        }
        if tok != Tok::Ident {
            return Err(SelectorError::Syntax(format!("found '{lit}', expected: identifier")));
        }
        let errs = label_key_errors(&lit);
        if !errs.is_empty() {
            return Err(SelectorError::InvalidKey(invalid("<nil>", &go_quote(&lit), &errs.join("; "))));
        }
        if negated {
            return Ok((lit, Some(Operator::DoesNotExist)));
        }
        let (next, _) = self.lookahead(Ctx::Values);
        let op = matches!(next, Tok::End | Tok::Comma).then_some(Operator::Exists);
        Ok((lit, op))
    }

    fn parse_operator(&mut self) -> Result<Operator, SelectorError> {
        let (tok, lit) = self.consume(Ctx::KeyAndOperator);
        Ok(match tok {
            Tok::In => Operator::In,
            Tok::Equals => Operator::Equals,
            Tok::DoubleEquals => Operator::DoubleEquals,
            Tok::Greater => Operator::GreaterThan,
            Tok::Less => Operator::LessThan,
            Tok::NotIn => Operator::NotIn,
            Tok::NotEquals => Operator::NotEquals,
            _ => return Err(SelectorError::Syntax(format!("found '{lit}', expected: {BINARY_OPERATORS}"))),
        })
    }

    fn parse_values(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (tok, lit) = self.consume(Ctx::Values);
        if tok != Tok::OpenPar {
            return Err(SelectorError::Syntax(format!("found '{lit}' expected: '('")));
        }
        let (tok, lit) = self.lookahead(Ctx::Values);
        match tok {
            Tok::Ident | Tok::Comma => {
                let set = self.parse_identifiers_list()?;
                let (tok, _) = self.consume(Ctx::Values);
                if tok != Tok::ClosePar {
                    return Err(SelectorError::Syntax(format!("found '{lit}', expected: ')'")));
                }
                Ok(set)
            }
            Tok::ClosePar => {
                self.consume(Ctx::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(SelectorError::Syntax(format!("found '{lit}', expected: ',', ')' or identifier"))),
        }
    }

    /// A possibly empty, comma-separated list of possibly empty identifiers,
    /// up to (not including) the closing parenthesis.
    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let mut set = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Ctx::Values);
            match tok {
                Tok::Ident => {
                    set.insert(lit);
                    let (tok2, lit2) = self.lookahead(Ctx::Values);
                    match tok2 {
                        Tok::Comma => continue,
                        Tok::ClosePar => return Ok(set),
                        _ => return Err(SelectorError::Syntax(format!("found '{lit2}', expected: ',' or ')'"))),
                    }
                }
                Tok::Comma => {
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    let (tok2, _) = self.lookahead(Ctx::Values);
                    if tok2 == Tok::ClosePar {
                        set.insert(String::new());
                        return Ok(set);
                    }
                    if tok2 == Tok::Comma {
                        set.insert(String::new());
                    }
                }
                _ => return Err(SelectorError::Syntax(format!("found '{lit}', expected: ',', or identifier"))),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (tok, _) = self.lookahead(Ctx::Values);
        if matches!(tok, Tok::End | Tok::Comma) {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume(Ctx::Values);
        if tok == Tok::Ident {
            return Ok(BTreeSet::from([lit]));
        }
        Err(SelectorError::Syntax(format!("found '{lit}', expected: identifier")))
    }
}

// ---------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------

/// How a field requirement compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `path=value` or `path==value`.
    Equals,
    /// `path!=value`.
    NotEquals,
}

/// One `path=value` / `path!=value` term of a field selector (value unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    pub path: String,
    pub operator: FieldOperator,
    pub value: String,
}

impl FieldRequirement {
    /// Whether a field's value (absent = empty string) satisfies this term.
    pub fn matches(&self, actual: &str) -> bool {
        match self.operator {
            FieldOperator::Equals => actual == self.value,
            FieldOperator::NotEquals => actual != self.value,
        }
    }
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.operator {
            FieldOperator::Equals => "=",
            FieldOperator::NotEquals => "!=",
        };
        write!(f, "{}{op}{}", self.path, escape_field_value(&self.value))
    }
}

/// Escapes `\`, `,` and `=` in a field selector value (`fields.EscapeValue`).
pub fn escape_field_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Undoes [`escape_field_value`]; a lone backslash, an unknown escape or an
/// unescaped `,`/`=` is an error (`fields.UnescapeValue`).
pub fn unescape_field_value(s: &str) -> Result<String, SelectorError> {
    if !s.contains(['\\', ',', '=']) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(SelectorError::InvalidEscape(format!("\\{c}")));
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => return Err(SelectorError::UnescapedChar(c)),
            c => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::InvalidEscape("\\".to_string()));
    }
    Ok(out)
}

/// Splits at commas not preceded by a backslash (the backslash is kept).
fn split_field_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits a term at its first operator (`!=`, then `==`, then `=` at each position).
fn split_field_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, kind) in
            [("!=", FieldOperator::NotEquals), ("==", FieldOperator::Equals), ("=", FieldOperator::Equals)]
        {
            if let Some(rhs) = rest.strip_prefix(op) {
                return Some((&term[..i], kind, rhs));
            }
        }
    }
    None
}

/// A parsed field selector: requirements `path=value`, `path==value`, `path!=value`,
/// comma-separated; values may escape `\,`, `\=`, `\\`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    /// Sorted by canonical text.
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parses the string form. As in the API server nothing is trimmed:
    /// `metadata.name = x` names the field `metadata.name ` and the value ` x`.
    /// Empty terms are skipped, and so are terms with an empty path and value (`=`).
    pub fn parse(s: &str) -> Result<FieldSelector, SelectorError> {
        let mut terms = split_field_terms(s);
        terms.sort_unstable();
        let mut requirements = Vec::new();
        for term in terms {
            if term.is_empty() {
                continue;
            }
            let Some((path, operator, rhs)) = split_field_term(term) else {
                return Err(SelectorError::FieldSyntax { selector: s.to_string(), term: term.to_string() });
            };
            let value = unescape_field_value(rhs)?;
            if path.is_empty() && value.is_empty() {
                continue;
            }
            requirements.push(FieldRequirement { path: path.to_string(), operator, value });
        }
        requirements.sort_by_cached_key(|r| r.to_string());
        Ok(FieldSelector { requirements })
    }

    /// Checks every field path against `supported` (the API server answers 400
    /// `field label not supported: <path>` otherwise).
    pub fn check_supported(&self, supported: &[&str]) -> Result<(), SelectorError> {
        match self.requirements.iter().find(|r| !supported.contains(&r.path.as_str())) {
            Some(r) => Err(SelectorError::UnsupportedField(r.path.clone())),
            None => Ok(()),
        }
    }

    /// The field paths it mentions.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| r.path.as_str())
    }

    /// Evaluates against an object: `get(path)` returns the field's value as
    /// the API server renders it for field selectors (strings as-is,
    /// booleans/numbers as their text, absent as empty string).
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| r.matches(get(&r.path).as_deref().unwrap_or("")))
    }

    /// If the selector pins `path` (e.g. `metadata.name` / `metadata.namespace`)
    /// with `=`, the value (lets callers skip a scan).
    pub fn exact(&self, path: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.path == path && r.operator == FieldOperator::Equals)
            .map(|r| r.value.as_str())
    }

    /// Whether it restricts nothing.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The requirements, sorted by their canonical text.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for FieldSelector {
    type Err = SelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldSelector::parse(s)
    }
}

/// Reads a dotted field path (`metadata.name`, `status.phase`,
/// `involvedObject.kind`) from a JSON object, rendered as a field-selector
/// value: strings as-is, booleans and numbers as their text; absent, null,
/// objects and lists give `None`.
pub fn field_value(obj: &Value, path: &str) -> Option<String> {
    let mut cur = obj;
    for seg in path.split('.') {
        cur = cur.as_object()?.get(seg)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn sel(s: &str) -> LabelSelector {
        LabelSelector::parse(s).unwrap_or_else(|e| panic!("parse {s:?}: {e}"))
    }

    fn lmatch(s: &str, l: Value) -> bool {
        sel(s).matches(Some(&labels(l)))
    }

    fn perr(s: &str) -> String {
        match LabelSelector::parse(s) {
            Ok(x) => panic!("{s:?} parsed as {x:?}"),
            Err(e) => e.to_string(),
        }
    }

    const NAME_REGEX_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const VALUE_REGEX_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    #[test]
    fn equality_operators() {
        let l = json!({"app": "web", "tier": "front"});
        assert!(lmatch("app=web", l.clone()));
        assert!(lmatch("app==web", l.clone()));
        assert!(!lmatch("app=db", l.clone()));
        assert!(!lmatch("missing=web", l.clone()));
        assert!(lmatch("app!=db", l.clone()));
        assert!(!lmatch("app!=web", l.clone()));
        assert!(lmatch("missing!=x", l.clone()), "!= matches an absent label");
        assert!(lmatch("app=web,tier=front", l.clone()));
        assert!(!lmatch("app=web,tier=back", l.clone()));
        // An empty value: `a=` requires the label to be present and empty.
        assert!(lmatch("e=", json!({"e": ""})));
        assert!(!lmatch("e=", json!({})));
        assert!(lmatch("e!=,app=web", l));
    }

    #[test]
    fn set_operators() {
        let l = json!({"env": "prod", "in": "notin"});
        assert!(lmatch("env in (prod,dev)", l.clone()));
        assert!(lmatch("env in (prod)", l.clone()));
        assert!(!lmatch("env in (dev,qa)", l.clone()));
        assert!(!lmatch("x in (prod)", l.clone()));
        assert!(lmatch("env notin (dev,qa)", l.clone()));
        assert!(!lmatch("env notin (prod)", l.clone()));
        assert!(lmatch("x notin (prod)", l.clone()), "notin matches an absent label");
        // `in` and `notin` are identifiers where a key or value is expected.
        assert!(lmatch("in in (notin)", l.clone()));
        assert!(lmatch("in notin (in)", l.clone()));
        // Empty values in sets.
        assert_eq!(sel("a in ()").requirements()[0].values(), [""]);
        assert_eq!(sel("a in (,)").requirements()[0].values(), [""]);
        assert_eq!(sel("a in (x,,y)").requirements()[0].values(), ["", "x", "y"]);
        assert_eq!(sel("a in (,x)").requirements()[0].values(), ["", "x"]);
        assert_eq!(sel("a in (x,)").requirements()[0].values(), ["", "x"]);
        assert_eq!(sel("a in (y,x,y)").requirements()[0].values(), ["x", "y"], "sorted and deduplicated");
        assert!(lmatch("a in (x,)", json!({"a": ""})));
    }

    #[test]
    fn existence_operators() {
        let l = json!({"app": "web"});
        assert!(lmatch("app", l.clone()));
        assert!(!lmatch("db", l.clone()));
        assert!(lmatch("!db", l.clone()));
        assert!(!lmatch("!app", l.clone()));
        assert!(lmatch("app,!db", l.clone()));
        assert!(lmatch("! db", l.clone()), "whitespace after !");
        let s = sel("app,!db");
        assert_eq!(s.requirements()[0].operator(), Operator::Exists);
        assert_eq!(s.requirements()[1].operator(), Operator::DoesNotExist);
        assert!(lmatch("notin", json!({"notin": "x"})));
    }

    #[test]
    fn numeric_operators() {
        let l = json!({"n": "5", "word": "x"});
        assert!(lmatch("n>3", l.clone()));
        assert!(!lmatch("n>5", l.clone()));
        assert!(lmatch("n<6", l.clone()));
        assert!(!lmatch("n<5", l.clone()));
        assert!(!lmatch("word>1", l.clone()), "non-integer label never matches");
        assert!(!lmatch("missing<100", l.clone()), "absent label never matches");
        assert!(lmatch("n > 0 , n < 10", l));
        assert!(!sel("n>3").matches_pairs([("n", "-1"), ("n", "9")]), "first pair wins");
        assert_eq!(
            perr("n>x"),
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        assert_eq!(
            perr("n<1.5"),
            "unable to parse requirement: values[0]: Invalid value: \"1.5\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        assert_eq!(
            perr("n>"),
            "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        // A negative number is not a valid label value.
        assert_eq!(
            perr("n>-1"),
            format!("unable to parse requirement: values[0][n]: Invalid value: \"-1\": {VALUE_REGEX_MSG}")
        );
        assert_eq!(
            perr("n>-x"),
            format!(
                "unable to parse requirement: [values[0]: Invalid value: \"-x\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][n]: Invalid value: \"-x\": {VALUE_REGEX_MSG}]"
            )
        );
        assert!(matches!(LabelSelector::parse("n>x"), Err(SelectorError::InvalidRequirement(_))));
        // `>=` is not an operator: `>` then `=` where a value is expected.
        assert_eq!(perr("n>=1"), "unable to parse requirement: found '=', expected: identifier");
    }

    #[test]
    fn whitespace_and_empty() {
        for s in ["", " ", "\t\n\r "] {
            let x = sel(s);
            assert!(x.is_empty());
            assert!(x.matches(None));
            assert!(x.matches(Some(&labels(json!({"a": "b"})))));
            assert_eq!(x.to_string(), "");
        }
        let l = json!({"a": "b", "c": "d"});
        for s in [" a = b ", "a=b , c=d", "\ta\t==\tb\n,\nc !=x", "a in(b),c notin(x)", "a in ( b , x )", "  a  "] {
            assert!(lmatch(s, l.clone()), "{s:?}");
        }
        assert!(LabelSelector::default().is_empty());
        assert!(!sel("a").is_empty());
        assert!(!lmatch("a", json!(null)));
        assert!(sel("!a").matches(None));
        assert!(!sel("a").matches(None));
    }

    #[test]
    fn syntax_errors() {
        let cases = [
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
            ("a=(", "unable to parse requirement: found '(', expected: identifier"),
            ("a=b c", "found 'c', expected: ',' or 'end of string'"),
            ("a,", "found '', expected: identifier after ','"),
            ("a,,b", "found ',', expected: identifier after ','"),
            (",a", "found ',', expected: !, identifier, or 'end of string'"),
            ("=a", "found '=', expected: !, identifier, or 'end of string'"),
            ("(a)", "found '(', expected: !, identifier, or 'end of string'"),
            ("!", "unable to parse requirement: found '', expected: identifier"),
            ("!!a", "unable to parse requirement: found '!', expected: identifier"),
            ("!a=b", "found '=', expected: ',' or 'end of string'"),
            ("a!b", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"),
            ("a in", "unable to parse requirement: found '' expected: '('"),
            ("a in x", "unable to parse requirement: found 'x' expected: '('"),
            ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
            ("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
            ("a in (!)", "unable to parse requirement: found '!', expected: ',', ')' or identifier"),
            ("a in (,", "unable to parse requirement: found '', expected: ',', or identifier"),
            ("a in (x,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
            ("a notin", "unable to parse requirement: found '' expected: '('"),
            ("a===b", "unable to parse requirement: found '=', expected: identifier"),
            ("a in (x))", "found ')', expected: ',' or 'end of string'"),
        ];
        for (input, want) in cases {
            let err = LabelSelector::parse(input).expect_err(input);
            assert_eq!(err.to_string(), want, "{input:?}");
            assert!(matches!(err, SelectorError::Syntax(_)), "{input:?}: {err:?}");
        }
    }

    #[test]
    fn invalid_keys_and_values() {
        assert_eq!(
            perr("-a"),
            format!("unable to parse requirement: <nil>: Invalid value: \"-a\": name part {NAME_REGEX_MSG}")
        );
        assert!(matches!(LabelSelector::parse("-a=b"), Err(SelectorError::InvalidKey(_))));
        let long = "a".repeat(64);
        assert_eq!(
            perr(&format!("{long}=x")),
            format!(
                "unable to parse requirement: <nil>: Invalid value: \"{long}\": name part must be no more than 63 bytes"
            )
        );
        assert_eq!(
            perr("/a"),
            "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty"
        );
        assert_eq!(
            perr("x/"),
            format!(
                "unable to parse requirement: <nil>: Invalid value: \"x/\": name part must be non-empty; name part {NAME_REGEX_MSG}"
            )
        );
        assert!(perr("Example.com/a").contains("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
        assert!(perr(&format!("{}/a", "b".repeat(254))).contains("prefix part must be no more than 253 bytes"));
        assert!(perr("a/b/c").contains("a valid label key must consist of alphanumeric characters"));
        assert!(perr("a/b/c").ends_with("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
        assert!(perr("a..b/c").contains("prefix part"));
        assert!(perr("é").contains("name part must consist"));
        // Valid keys.
        for k in ["a", "A.b_c-9", "example.com/MyName", "a-b.c/d", &"x".repeat(63), &format!("{}/x", "a".repeat(253))] {
            assert!(is_valid_label_key(k), "{k}");
            sel(k);
        }
        // Values.
        assert_eq!(
            perr("a=-x"),
            format!("unable to parse requirement: values[0][a]: Invalid value: \"-x\": {VALUE_REGEX_MSG}")
        );
        let long = "v".repeat(64);
        assert_eq!(
            perr(&format!("a={long}")),
            format!(
                "unable to parse requirement: values[0][a]: Invalid value: \"{long}\": must be no more than 63 bytes"
            )
        );
        assert!(perr("a in (x_,ok)").contains("values[1][a]: Invalid value: \"x_\""), "values are sorted first");
        assert!(matches!(LabelSelector::parse("a=x_"), Err(SelectorError::InvalidRequirement(_))));
        assert!(is_valid_label_value(""));
        assert!(is_valid_label_value("a.b_c-d"));
        assert!(!is_valid_label_value("a b"));
        assert!(!is_valid_label_value("a/b"));
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        let cases = [
            ("b=1,a=2", "a=2,b=1"),
            ("a==b", "a==b"),
            ("a != b", "a!=b"),
            ("x in (c, a, b)", "x in (a,b,c)"),
            ("x notin (b,a)", "x notin (a,b)"),
            ("x in ()", "x in ()"),
            ("x in (,b)", "x in (,b)"),
            ("z, !y", "!y,z"),
            ("n > 1, n < 10", "n>1,n<10"),
            ("a=", "a="),
            ("in in (in), notin", "in in (in),notin"),
            ("example.com/k=v", "example.com/k=v"),
        ];
        for (input, want) in cases {
            let s = sel(input);
            assert_eq!(s.to_string(), want, "{input:?}");
            assert_eq!(sel(&s.to_string()), s, "round trip of {input:?}");
        }
    }

    #[test]
    fn from_json_every_operator() {
        let s = LabelSelector::from_json(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "tier", "operator": "NotIn", "values": ["db"]},
                {"key": "owner", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist", "values": []},
            ]
        }))
        .unwrap();
        assert_eq!(s.to_string(), "app=web,env in (dev,prod),!legacy,owner,tier notin (db)");
        assert!(s.matches(Some(&labels(json!({"app": "web", "env": "dev", "owner": "me"})))));
        assert!(s.matches(Some(&labels(json!({"app": "web", "env": "prod", "owner": "x", "tier": "fe"})))));
        assert!(!s.matches(Some(&labels(json!({"app": "web", "env": "qa", "owner": "me"})))));
        assert!(!s.matches(Some(&labels(json!({"app": "web", "env": "dev", "owner": "me", "tier": "db"})))));
        assert!(!s.matches(Some(&labels(json!({"app": "web", "env": "dev", "owner": "me", "legacy": ""})))));
        assert!(!s.matches(Some(&labels(json!({"app": "web", "env": "dev"})))));
        assert!(!s.matches(None));
        assert!(s.matches_pairs([("app", "web"), ("env", "dev"), ("owner", "me")]));
        assert!(!s.matches_pairs(Vec::<(&str, &str)>::new().iter().copied()));
        assert_eq!(LabelSelector::parse(&s.to_string()).unwrap().to_string(), s.to_string());
    }

    #[test]
    fn from_json_everything() {
        for v in
            [json!(null), json!({}), json!({"matchLabels": {}}), json!({"matchLabels": null, "matchExpressions": []})]
        {
            let s = LabelSelector::from_json(&v).unwrap();
            assert!(s.is_empty(), "{v}");
            assert!(s.matches(None));
        }
    }

    #[test]
    fn from_json_errors() {
        let err = |v: Value| LabelSelector::from_json(&v).expect_err(&v.to_string());
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]})),
            SelectorError::InvalidOperator("Equals".into())
        );
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]})).to_string(),
            "\"in\" is not a valid label selector operator"
        );
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a"}]})).to_string(),
            "\"\" is not a valid label selector operator"
        );
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "In"}]})).to_string(),
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"
        );
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]})).to_string(),
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"
        );
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x", "y"]}]})).to_string(),
            "values: Invalid value: [\"x\",\"y\"]: values set must be empty for exists and does not exist"
        );
        assert!(matches!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "DoesNotExist", "values": ["x"]}]})),
            SelectorError::InvalidRequirement(_)
        ));
        let e = err(json!({"matchLabels": {"-bad": "x"}}));
        assert!(matches!(e, SelectorError::InvalidKey(_)));
        assert_eq!(e.to_string(), format!("key: Invalid value: \"-bad\": name part {NAME_REGEX_MSG}"));
        assert_eq!(
            err(json!({"matchLabels": {"a": "b c"}})).to_string(),
            format!("values[0][a]: Invalid value: \"b c\": {VALUE_REGEX_MSG}")
        );
        assert_eq!(
            err(json!({"matchExpressions": [{"operator": "Exists"}]})).to_string(),
            format!("key: Invalid value: \"\": name part must be non-empty; name part {NAME_REGEX_MSG}")
        );
        // Key and value errors together are aggregated.
        assert!(err(json!({"matchExpressions": [{"key": "-k", "operator": "In"}]})).to_string().starts_with("[key: "));
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "In", "values": ["<x>"]}]})).to_string(),
            format!("values[0][a]: Invalid value: \"<x>\": {VALUE_REGEX_MSG}")
        );
        // Wrong shapes.
        for v in [
            json!("a=b"),
            json!([]),
            json!({"matchLabels": []}),
            json!({"matchLabels": {"a": 1}}),
            json!({"matchExpressions": {}}),
            json!({"matchExpressions": ["a"]}),
            json!({"matchExpressions": [{"key": 1, "operator": "Exists"}]}),
            json!({"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]}),
            json!({"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]}),
        ] {
            assert!(matches!(err(v.clone()), SelectorError::Malformed(_)), "{v}");
        }
    }

    #[test]
    fn from_labels_and_exact_match() {
        let s = LabelSelector::from_labels([("b", "2"), ("a", "1")]).unwrap();
        assert_eq!(s.to_string(), "a=1,b=2");
        assert!(s.matches_pairs([("a", "1"), ("b", "2"), ("c", "3")]));
        assert!(!s.matches_pairs([("a", "1")]));
        assert!(LabelSelector::from_labels([("a", "-")]).is_err());
        assert!(LabelSelector::from_labels([]).unwrap().is_empty());
        let s = sel("a=1,b in (2),c in (3,4),d!=5,e==6");
        assert_eq!(s.requires_exact_match("a"), Some("1"));
        assert_eq!(s.requires_exact_match("b"), Some("2"));
        assert_eq!(s.requires_exact_match("c"), None);
        assert_eq!(s.requires_exact_match("d"), None);
        assert_eq!(s.requires_exact_match("e"), Some("6"));
        assert_eq!(s.requires_exact_match("z"), None);
    }

    #[test]
    fn agrees_with_apimachinery_examples() {
        // Good strings print back without their spaces.
        for s in ["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"] {
            assert_eq!(sel(s).to_string(), s.replace(' ', ""), "{s:?}");
        }
        for s in ["x=a||y=b", "x==a==b", "!x=a", "x<a"] {
            assert!(LabelSelector::parse(s).is_err(), "{s:?}");
        }
        for s in ["x=a,y=b,z=c", "", "x!=a,y=b", r"x=a||y\=b", r"x=a\=\=b"] {
            assert_eq!(fsel(s).to_string(), s, "{s:?}");
        }
        for s in ["x=a||y=b", "x==a==b", "x=a,b", "x in (a)", "x in (a,b,c)", "x"] {
            assert!(FieldSelector::parse(s).is_err(), "{s:?}");
        }
        let fields = |p: &str| match p {
            "foo" => Some("bar".to_string()),
            "baz" => Some("blah".to_string()),
            "complex" => Some(r"=value\,\".to_string()),
            _ => None,
        };
        assert!(fsel(r"foo=bar,baz=blah,complex=\=value\\\,\\").matches(fields));
        assert!(!fsel("foo=bar,foobar=bar,baz=blah").matches(fields));
        assert!(fsel("notin=in").matches(|_| Some("in".to_string())));
        assert_eq!(fsel("x=a,a=x"), fsel("a=x,x=a"));
        assert_eq!("a=b".parse::<FieldSelector>(), FieldSelector::parse("a=b"));
        assert_eq!("a in (b)".parse::<LabelSelector>(), LabelSelector::parse("a in (b)"));
    }

    #[test]
    fn nul_byte_reads_as_end_of_string() {
        // Go's lexer returns 0 at the end, so a NUL byte ends the input
        // where a token would start, and separates tokens inside one.
        assert_eq!(sel("a=b\0").to_string(), "a=b");
        assert_eq!(perr("a=b, \0c"), "found '', expected: identifier after ','");
        // After a special symbol the NUL is swallowed, as in Go.
        assert_eq!(sel("a=b,\0c").to_string(), "a=b,c");
        assert_eq!(perr("a\0b"), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    }

    // --- field selectors ---

    fn fsel(s: &str) -> FieldSelector {
        FieldSelector::parse(s).unwrap_or_else(|e| panic!("parse {s:?}: {e}"))
    }

    fn fget(obj: &Value) -> impl Fn(&str) -> Option<String> + '_ {
        move |p| field_value(obj, p)
    }

    #[test]
    fn field_operators() {
        let pod = json!({
            "metadata": {"name": "web-1", "namespace": "prod"},
            "spec": {"nodeName": "n1", "unschedulable": true, "replicas": 3},
            "status": {"phase": "Running"},
        });
        let m = |s: &str| fsel(s).matches(fget(&pod));
        assert!(m("metadata.name=web-1"));
        assert!(m("metadata.name==web-1"));
        assert!(!m("metadata.name=web-2"));
        assert!(m("metadata.name!=web-2"));
        assert!(!m("metadata.name!=web-1"));
        assert!(m("status.phase=Running,metadata.namespace=prod"));
        assert!(!m("status.phase=Running,metadata.namespace=dev"));
        assert!(m("spec.unschedulable=true"));
        assert!(m("spec.replicas=3"));
        // Absent fields read as the empty string.
        assert!(m("spec.missing="));
        assert!(m("spec.missing!=x"));
        assert!(!m("spec.missing!="));
        assert!(m("spec.nodeName!="));
        assert!(m(""));
        assert!(m("=="));
    }

    #[test]
    fn field_parse_details() {
        let s = fsel("b=2,a!=1,,c==3");
        assert_eq!(s.paths().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(s.to_string(), "a!=1,b=2,c=3");
        assert_eq!(fsel(&s.to_string()), s);
        // No trimming: spaces belong to path and value.
        let s = fsel("metadata.name = x");
        assert_eq!(s.paths().collect::<Vec<_>>(), ["metadata.name "]);
        assert_eq!(s.requirements()[0].value, " x");
        // `!=` wins over `=` at the same position; the first operator splits.
        assert_eq!(fsel("a!=b").requirements()[0].operator, FieldOperator::NotEquals);
        assert_eq!(fsel("a=!b").requirements()[0].value, "!b");
        assert_eq!(fsel("a==").requirements()[0].value, "");
        // Terms with an empty path and value are dropped; an empty path alone is kept.
        assert!(fsel("=").is_empty());
        assert!(fsel("!=").is_empty());
        assert!(fsel(",,").is_empty());
        assert!(FieldSelector::default().is_empty());
        assert_eq!(fsel("=x").paths().collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn field_escaping() {
        let s = fsel(r"metadata.name=a\,b\=c\\d");
        assert_eq!(s.requirements()[0].value, r"a,b=c\d");
        assert_eq!(s.to_string(), r"metadata.name=a\,b\=c\\d");
        assert_eq!(fsel(&s.to_string()), s);
        assert!(s.matches(|_| Some(r"a,b=c\d".to_string())));
        assert_eq!(fsel(r"a=x\,,b=y").paths().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(escape_field_value(r"\,="), r"\\\,\=");
        assert_eq!(unescape_field_value("plain").unwrap(), "plain");
        assert_eq!(
            FieldSelector::parse(r"a=x\y").unwrap_err().to_string(),
            r"invalid field selector: invalid escape sequence: \y"
        );
        assert_eq!(FieldSelector::parse(r"a=x\").unwrap_err(), SelectorError::InvalidEscape("\\".into()));
        assert_eq!(
            FieldSelector::parse("a=b=c").unwrap_err().to_string(),
            "invalid field selector: unescaped character in value: 61"
        );
        assert_eq!(FieldSelector::parse("a===b").unwrap_err(), SelectorError::UnescapedChar('='));
        assert_eq!(
            FieldSelector::parse(r"a=\é").unwrap_err().to_string(),
            "invalid field selector: invalid escape sequence: \\é"
        );
    }

    #[test]
    fn field_errors() {
        assert_eq!(
            FieldSelector::parse("a=b,nope").unwrap_err().to_string(),
            "invalid selector: 'a=b,nope'; can't understand 'nope'"
        );
        assert!(matches!(FieldSelector::parse("a<b"), Err(SelectorError::FieldSyntax { .. })));
        let s = fsel("metadata.name=x,spec.foo=y");
        assert_eq!(
            s.check_supported(&["metadata.name", "metadata.namespace"]).unwrap_err().to_string(),
            "field label not supported: spec.foo"
        );
        assert!(s.check_supported(&["metadata.name", "spec.foo"]).is_ok());
        assert!(fsel("").check_supported(&[]).is_ok());
    }

    #[test]
    fn field_exact() {
        let s = fsel("metadata.namespace=ns,metadata.name!=skip,status.phase==Running");
        assert_eq!(s.exact("metadata.namespace"), Some("ns"));
        assert_eq!(s.exact("metadata.name"), None, "!= pins nothing");
        assert_eq!(s.exact("status.phase"), Some("Running"));
        assert_eq!(s.exact("spec.x"), None);
        assert_eq!(fsel("metadata.name=").exact("metadata.name"), Some(""));
    }

    #[test]
    fn field_value_rendering() {
        let obj = json!({
            "metadata": {"name": "n"},
            "involvedObject": {"kind": "Pod"},
            "spec": {"b": false, "i": 7, "f": 1.5, "n": null, "o": {}, "l": []},
        });
        assert_eq!(field_value(&obj, "metadata.name").as_deref(), Some("n"));
        assert_eq!(field_value(&obj, "involvedObject.kind").as_deref(), Some("Pod"));
        assert_eq!(field_value(&obj, "spec.b").as_deref(), Some("false"));
        assert_eq!(field_value(&obj, "spec.i").as_deref(), Some("7"));
        assert_eq!(field_value(&obj, "spec.f").as_deref(), Some("1.5"));
        for p in ["spec.n", "spec.o", "spec.l", "spec.x", "spec.b.c", "", "metadata..name", "nope.x"] {
            assert_eq!(field_value(&obj, p), None, "{p:?}");
        }
        assert_eq!(field_value(&json!("s"), "a"), None);
    }

    #[test]
    fn odd_inputs_never_panic_and_round_trip() {
        const ALPHABET: &[&str] = &[
            "a", "b", "Z", "0", "9", "-", "_", ".", "/", "=", "==", "!", "!=", "(", ")", ",", " ", "\t", "\n", "<",
            ">", "in", "notin", "\\", "é", "\0", "x.io/", "\u{2028}",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 12) as usize;
            let s: String = (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect();
            if let Ok(l) = LabelSelector::parse(&s) {
                let printed = l.to_string();
                let again = LabelSelector::parse(&printed).unwrap_or_else(|e| panic!("{s:?} -> {printed:?}: {e}"));
                assert_eq!(again, l, "{s:?} -> {printed:?}");
                let _ = l.matches(None);
                let _ = l.matches_pairs([("a", "b"), ("b", "1")]);
            }
            if let Ok(f) = FieldSelector::parse(&s) {
                let printed = f.to_string();
                let again = FieldSelector::parse(&printed).unwrap_or_else(|e| panic!("{s:?} -> {printed:?}: {e}"));
                assert_eq!(again, f, "{s:?} -> {printed:?}");
                let _ = f.matches(|_| None);
                let _ = f.check_supported(&["a"]);
            }
            let _ = field_value(&json!({"a": {"b": 1}}), &s);
        }
        for v in [json!(1), json!({"matchExpressions": [null]}), json!({"matchLabels": {"": ""}})] {
            let _ = LabelSelector::from_json(&v);
        }
    }
}
