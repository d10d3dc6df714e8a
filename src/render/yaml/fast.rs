//! A fast reader for the YAML manifests are usually written in: block
//! mappings and sequences indented with spaces, single-line plain and
//! quoted scalars, single-line flow collections, literal blocks and
//! comments. It gives up (returns `None`) on anything else or anything
//! doubtful (anchors, aliases, tags, folded blocks, multi-line plain or
//! quoted scalars, tabs, unusual indentation, merge keys, duplicate keys,
//! values kustomize rejects), and the full event-based loader then reads
//! the document, with its exact error messages. Where it answers, the
//! answer is the full loader's.

use serde_json::{Map, Value};

use super::MAX_DEPTH;
use super::load::unprintable_after_json;
use super::scalar::{Booleans, Resolved, resolve_plain};

/// The first document of a piece: `Some(None)` when it holds none, `None`
/// when this reader gives up. `simple`: the text is known to hold only
/// printable ASCII and line feeds.
pub(super) fn document(text: &str, simple: bool) -> Option<Option<Value>> {
    // Tabs, carriage returns and byte order marks take the full loader.
    if !simple && (text.bytes().any(|c| c == b'\t' || c == b'\r') || text.contains('\u{FEFF}')) {
        return None;
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<Line<'_>> =
        if body.is_empty() && text.is_empty() { Vec::new() } else { body.split('\n').map(Line::new).collect() };
    let mut r = Reader { lines, pos: 0, depth: 0, ends_with_newline: text.ends_with('\n') };
    r.skip_insignificant();
    if let Some(l) = r.peek()
        && l.indent == 0
        && l.text.starts_with("---")
    {
        let rest = &l.text[3..];
        if !(rest.is_empty() || (rest.starts_with(' ') && is_blank_or_comment(rest))) {
            return None;
        }
        r.pos += 1;
        r.skip_insignificant();
    }
    let Some(first) = r.peek() else { return Some(None) };
    if first.indent == 0 && (first.text.starts_with("...") || first.text.starts_with("---")) {
        return None;
    }
    let value = r.block_node(first.indent, true)?;
    r.skip_insignificant();
    if r.peek().is_some() {
        return None;
    }
    Some(Some(value))
}

/// One line: its indentation (spaces) and the rest.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

impl<'a> Line<'a> {
    fn new(raw: &'a str) -> Line<'a> {
        let text = raw.trim_start_matches(' ');
        Line { indent: raw.len() - text.len(), text }
    }

    /// Blank or a comment: no structure.
    fn insignificant(&self) -> bool {
        self.text.is_empty() || self.text.starts_with('#')
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    depth: usize,
    ends_with_newline: bool,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    fn skip_insignificant(&mut self) {
        while self.peek().is_some_and(|l| l.insignificant()) {
            self.pos += 1;
        }
    }

    /// The next significant line's indentation, if any.
    fn next_indent(&mut self) -> Option<usize> {
        self.skip_insignificant();
        self.peek().map(|l| l.indent)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth < MAX_DEPTH).then_some(())
    }

    /// A block collection starting at the current line, indented `n`.
    fn block_node(&mut self, n: usize, top: bool) -> Option<Value> {
        let l = self.peek()?;
        if is_seq_entry(l.text) { self.block_seq(n, None) } else { self.block_map(n, top, None) }
    }

    /// A block sequence at indentation `n`; `first` is an entry already on
    /// the current line (`- - x`).
    fn block_seq(&mut self, n: usize, mut first: Option<&'a str>) -> Option<Value> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            let text = match first.take() {
                Some(t) => t,
                None => {
                    if self.next_indent() != Some(n) {
                        break;
                    }
                    let l = self.peek()?;
                    if !is_seq_entry(l.text) {
                        break;
                    }
                    self.pos += 1;
                    l.text
                }
            };
            let rest = &text[1..];
            let inline = rest.trim_start_matches(' ');
            let col = n + 1 + (rest.len() - inline.len());
            items.push(self.entry_value(inline, col, n)?);
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    /// The value of a sequence entry whose text after `- ` is `inline`,
    /// starting at column `col`; the entry's dash is at column `n`.
    fn entry_value(&mut self, inline: &'a str, col: usize, n: usize) -> Option<Value> {
        if is_blank_or_comment(inline) {
            return match self.next_indent() {
                Some(i) if i > n => self.block_node(i, false),
                _ => Some(Value::Null),
            };
        }
        if is_seq_entry(inline) {
            return self.block_seq(col, Some(inline));
        }
        if split_key(inline).is_some() {
            return self.block_map(col, false, Some(inline));
        }
        self.inline_value(inline, n)
    }

    /// A block mapping at indentation `n`; `first` is an entry already on the current line (`- k: v`).
    fn block_map(&mut self, n: usize, top: bool, mut first: Option<&'a str>) -> Option<Value> {
        self.enter()?;
        let mut map = Map::new();
        loop {
            let text = match first.take() {
                Some(t) => t,
                None => {
                    if self.next_indent() != Some(n) {
                        break;
                    }
                    let l = self.peek()?;
                    if is_seq_entry(l.text) {
                        break;
                    }
                    self.pos += 1;
                    l.text
                }
            };
            let (key, after) = split_key(text)?;
            let serde_json::map::Entry::Vacant(slot) = map.entry(key.into_key(top)?) else { return None };
            slot.insert(self.map_value(after, n)?);
        }
        self.depth -= 1;
        Some(Value::Object(map))
    }

    /// The value after `key:` of an entry of the mapping indented `n`.
    fn map_value(&mut self, after: &'a str, n: usize) -> Option<Value> {
        let inline = after.trim_start_matches(' ');
        if !is_blank_or_comment(inline) {
            return self.inline_value(inline, n);
        }
        match self.next_indent() {
            Some(i) if i > n => self.block_node(i, false),
            Some(i) if i == n && self.peek().is_some_and(|l| is_seq_entry(l.text)) => self.block_seq(n, None),
            _ => Some(Value::Null),
        }
    }

    /// A value written on the line of its entry, which sits at indentation `n`.
    fn inline_value(&mut self, text: &'a str, n: usize) -> Option<Value> {
        let value = match text.as_bytes()[0] {
            b'|' => return self.literal(text, n),
            b'"' => {
                let (s, rest) = double_quoted(text)?;
                end_of_line(rest)?;
                Value::String(s)
            }
            b'\'' => {
                let (s, rest) = single_quoted(text)?;
                end_of_line(rest)?;
                Value::String(s)
            }
            b'[' | b'{' => {
                let (v, rest) = Flow { depth: self.depth }.node(text)?;
                end_of_line(rest)?;
                v
            }
            b'-' if text.len() == 1 || text.as_bytes()[1] == b' ' => return None,
            b'>' | b'&' | b'*' | b'!' | b'?' | b':' | b',' | b'%' | b'@' | b'`' | b']' | b'}' | b'#' => return None,
            _ => plain_value(block_plain(text)?)?,
        };
        // A more-indented line after a one-line value would continue it.
        match self.next_indent() {
            Some(i) if i > n => None,
            _ => Some(value),
        }
    }

    /// A literal block scalar (`|`, `|-`, `|+`) belonging to an entry at indentation `n`.
    fn literal(&mut self, header: &str, n: usize) -> Option<Value> {
        let h = &header[1..];
        let (chomp, rest) = match h.as_bytes().first() {
            Some(b'-') => (Chomp::Strip, &h[1..]),
            Some(b'+') => (Chomp::Keep, &h[1..]),
            _ => (Chomp::Clip, h),
        };
        if !(rest.is_empty() || (rest.starts_with(' ') && is_blank_or_comment(rest))) {
            return None;
        }
        // Content indentation: that of the first non-blank line.
        let start = self.pos;
        let mut i = start;
        let mut leading_blank_indent = 0;
        while let Some(l) = self.lines.get(i)
            && l.text.is_empty()
        {
            leading_blank_indent = leading_blank_indent.max(l.indent);
            i += 1;
        }
        let content_indent = self.lines.get(i)?.indent;
        if content_indent <= n || leading_blank_indent > content_indent {
            return None;
        }
        let mut end = start;
        let mut last_content = None;
        while let Some(l) = self.lines.get(end) {
            if l.text.is_empty() {
                if l.indent > content_indent {
                    return None;
                }
            } else if l.indent < content_indent {
                break;
            } else {
                last_content = Some(end);
            }
            end += 1;
        }
        let last = last_content?;
        if end == self.lines.len() && !self.ends_with_newline {
            return None;
        }
        let mut value = String::new();
        for (k, l) in self.lines[start..=last].iter().enumerate() {
            if k > 0 {
                value.push('\n');
            }
            if !l.text.is_empty() {
                value.extend(std::iter::repeat_n(' ', l.indent - content_indent));
                value.push_str(l.text);
            }
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => value.push('\n'),
            Chomp::Keep => value.extend(std::iter::repeat_n('\n', 1 + end - last - 1)),
        }
        self.pos = end;
        match self.next_indent() {
            Some(i) if i > n => None,
            _ => Some(Value::String(value)),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// A sequence entry: `-` alone or followed by a space.
fn is_seq_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

fn is_blank_or_comment(text: &str) -> bool {
    let t = text.trim_start_matches(' ');
    t.is_empty() || t.starts_with('#')
}

/// Nothing but blanks or a comment may follow a quoted or flow value.
fn end_of_line(rest: &str) -> Option<()> {
    (rest.is_empty() || (rest.starts_with(' ') && is_blank_or_comment(rest))).then_some(())
}

/// A plain scalar value in block context: the text up to a ` #comment`,
/// trailing blanks dropped; `None` if it holds `: ` or ends with `:` (a
/// mapping where none may start).
fn block_plain(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut end = b.len();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'#' if i > 0 && b[i - 1] == b' ' => {
                end = i;
                break;
            }
            b':' if matches!(b.get(i + 1), None | Some(b' ')) => return None,
            _ => {}
        }
    }
    let plain = text[..end].trim_end_matches(' ');
    (!plain.ends_with(':')).then_some(plain)
}

/// A mapping key as written.
enum Key<'a> {
    Plain(&'a str),
    Quoted(String),
}

impl Key<'_> {
    /// The key as a JSON object key, as the full loader would make it.
    fn into_key(self, top: bool) -> Option<String> {
        match self {
            Key::Quoted(s) if s == "<<" => None,
            Key::Quoted(s) => Some(s),
            Key::Plain("<<") => None,
            Key::Plain(s) => match resolve_plain(s, Booleans::Yaml12) {
                Resolved::Str => Some(s.to_string()),
                Resolved::Null => None,
                _ if top => Some(s.to_string()),
                _ => None,
            },
        }
    }
}

/// Splits `key: rest` (or `key:` at the end of the line).
fn split_key(text: &str) -> Option<(Key<'_>, &str)> {
    let b = text.as_bytes();
    let (key, after_key) = match b.first()? {
        b'"' => {
            let (s, rest) = double_quoted(text)?;
            (Key::Quoted(s), rest)
        }
        b'\'' => {
            let (s, rest) = single_quoted(text)?;
            (Key::Quoted(s), rest)
        }
        c if b"-?:,[]{}#&*!|>%@`".contains(c) => return None,
        _ => {
            let mut i = 0;
            loop {
                let j = i + text[i..].find(':')?;
                if j + 1 == b.len() || b[j + 1] == b' ' {
                    let key = text[..j].trim_end_matches(' ');
                    if key.len() > 1024 || key.as_bytes().windows(2).any(|w| w == b" #") {
                        return None;
                    }
                    return Some((Key::Plain(key), &text[j + 1..]));
                }
                i = j + 1;
            }
        }
    };
    let rest = after_key.trim_start_matches(' ');
    let after = rest.strip_prefix(':')?;
    (after.is_empty() || after.starts_with(' ')).then_some((key, after))
}

/// A plain scalar's value; `None` for values only the full loader reports on.
fn plain_value(text: &str) -> Option<Value> {
    Some(match resolve_plain(text, Booleans::Yaml12) {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Number(i.into()),
        Resolved::Uint(u) => Value::Number(u.into()),
        Resolved::Float(f) => Value::Number(super::number::json_number(f)?),
        Resolved::Timestamp(t) => Value::String(t),
        Resolved::UnencodableTimestamp => return None,
        Resolved::Str => Value::String(text.to_string()),
    })
}

/// A double-quoted scalar closed on the same line, and the text after it.
fn double_quoted(text: &str) -> Option<(String, &str)> {
    let body = &text[1..];
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                if unprintable_after_json(&out).is_some() {
                    return None;
                }
                return Some((out, &body[i + 1..]));
            }
            '\\' => {
                let (_, e) = chars.next()?;
                let simple = match e {
                    '0' => '\0',
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    't' => '\t',
                    'n' => '\n',
                    'v' => '\u{b}',
                    'f' => '\u{c}',
                    'r' => '\r',
                    'e' => '\u{1b}',
                    ' ' => ' ',
                    '"' => '"',
                    '\\' => '\\',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    'x' | 'u' | 'U' => {
                        let len = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut v: u32 = 0;
                        for _ in 0..len {
                            let (_, h) = chars.next()?;
                            v = v * 16 + h.to_digit(16)?;
                        }
                        char::from_u32(v)?
                    }
                    _ => return None,
                };
                out.push(simple);
            }
            _ => out.push(c),
        }
    }
    None
}

/// A single-quoted scalar closed on the same line, and the text after it.
fn single_quoted(text: &str) -> Option<(String, &str)> {
    let body = &text[1..];
    let mut out = String::new();
    let mut rest = body;
    loop {
        let i = rest.find('\'')?;
        out.push_str(&rest[..i]);
        if rest[i + 1..].starts_with('\'') {
            out.push('\'');
            rest = &rest[i + 2..];
        } else {
            return Some((out, &rest[i + 1..]));
        }
    }
}

/// Flow collections written on one line.
struct Flow {
    depth: usize,
}

impl Flow {
    fn node<'t>(&mut self, text: &'t str) -> Option<(Value, &'t str)> {
        let text = text.trim_start_matches(' ');
        match text.as_bytes().first()? {
            b'[' => self.seq(&text[1..]),
            b'{' => self.map(&text[1..]),
            b'"' => double_quoted(text).map(|(s, r)| (Value::String(s), r)),
            b'\'' => single_quoted(text).map(|(s, r)| (Value::String(s), r)),
            _ => {
                let (plain, rest) = flow_plain(text)?;
                Some((plain_value(plain)?, rest))
            }
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth < MAX_DEPTH).then_some(())
    }

    fn seq<'t>(&mut self, mut text: &'t str) -> Option<(Value, &'t str)> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            text = text.trim_start_matches(' ');
            if let Some(rest) = text.strip_prefix(']') {
                self.depth -= 1;
                return Some((Value::Array(items), rest));
            }
            let (item, rest) = self.node(text)?;
            items.push(item);
            let rest = rest.trim_start_matches(' ');
            text = match rest.as_bytes().first()? {
                b',' => &rest[1..],
                b']' => rest,
                _ => return None,
            };
        }
    }

    fn map<'t>(&mut self, mut text: &'t str) -> Option<(Value, &'t str)> {
        self.enter()?;
        let mut map = Map::new();
        loop {
            text = text.trim_start_matches(' ');
            if let Some(rest) = text.strip_prefix('}') {
                self.depth -= 1;
                return Some((Value::Object(map), rest));
            }
            let (key, rest) = match text.as_bytes().first()? {
                b'"' => double_quoted(text)?,
                b'\'' => single_quoted(text)?,
                _ => {
                    let (plain, rest) = flow_plain(text)?;
                    (Key::Plain(plain).into_key(false)?, rest)
                }
            };
            if key == "<<" {
                return None;
            }
            let serde_json::map::Entry::Vacant(slot) = map.entry(key) else { return None };
            let rest = rest.trim_start_matches(' ').strip_prefix(": ")?;
            let (value, rest) = self.node(rest)?;
            slot.insert(value);
            let rest = rest.trim_start_matches(' ');
            text = match rest.as_bytes().first()? {
                b',' => &rest[1..],
                b'}' => rest,
                _ => return None,
            };
        }
    }
}

/// A plain scalar inside a flow collection, and the text after it.
fn flow_plain(text: &str) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    if b"-?:,[]{}#&*!|>'\"%@`".contains(b.first()?) {
        return None;
    }
    let mut end = b.len();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b',' | b'[' | b']' | b'{' | b'}' => {
                end = i;
                break;
            }
            b':' if matches!(b.get(i + 1), None | Some(b' ' | b',' | b'[' | b']' | b'{' | b'}')) => {
                end = i;
                break;
            }
            b'#' if i > 0 && b[i - 1] == b' ' => return None,
            // go-yaml ends a plain scalar at `?` in flow context.
            b'?' => return None,
            _ => {}
        }
    }
    let plain = text[..end].trim_end_matches(' ');
    (!plain.is_empty()).then_some((plain, &text[end..]))
}
