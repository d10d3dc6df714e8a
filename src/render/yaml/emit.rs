//! The printer: objects laid out exactly as `kubectl kustomize` prints them.
//!
//! kustomize prints each object by encoding it as JSON and handing that to
//! go-yaml v2's encoder (through `sigs.k8s.io/yaml`). So the layout is
//! go-yaml v2's: two-space indentation, sequences inside mappings not
//! indented (`- ` at the key's column), empty collections in flow style
//! (`{}`, `[]`), keys in go-yaml v2's "natural" order (other characters
//! before letters, digit runs compared by value), and scalar styles chosen by
//! libyaml's emitter rules: plain when that reads back as the same string,
//! else single-quoted, else double-quoted; strings with line breaks as
//! literal blocks; long plain and quoted strings folded after column 80.
//!
//! The state kept while writing (`column`, `whitespace`, `indention`,
//! `indent`) follows libyaml's emitter so that spacing and folding match it
//! character for character.

use serde_json::{Map, Value};

use super::number::write_number;
use super::scalar::plain_is_string;

/// The line width past which long scalars are folded.
const BEST_WIDTH: usize = 80;
/// Indentation step.
const BEST_INDENT: i32 = 2;
/// Longest key (in bytes) written as `key: value`; longer ones use `? key`.
const MAX_SIMPLE_KEY: usize = 128;

/// Appends one document holding `value`.
pub(super) fn write_document(value: &Value, out: &mut String) {
    let mut e = Emitter { out, column: 0, whitespace: true, indention: true, indent: -1 };
    e.node(value, Context::default());
    e.write_indent();
}

/// Where a node sits: as a mapping key or value (`mapping`), and whether it
/// is written as a simple `key:`.
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    mapping: bool,
    simple_key: bool,
}

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

struct Emitter<'o> {
    out: &'o mut String,
    /// Characters (not bytes) written on the current line.
    column: usize,
    /// Whether the last character written was whitespace (or an indicator that counts as such).
    whitespace: bool,
    /// Whether only indentation has been written on the current line.
    indention: bool,
    /// Current indentation, -1 before the root node.
    indent: i32,
}

impl Emitter<'_> {
    fn node(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::Null => self.fixed_scalar(|out| out.push_str("null")),
            Value::Bool(true) => self.fixed_scalar(|out| out.push_str("true")),
            Value::Bool(false) => self.fixed_scalar(|out| out.push_str("false")),
            Value::Number(n) => self.fixed_scalar(|out| write_number(n, out)),
            Value::String(s) => self.string(&through_json(s), ctx),
            Value::Array(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Array(items) => self.sequence(items, ctx),
            Value::Object(map) if map.is_empty() => self.empty_flow("{", "}"),
            Value::Object(map) => self.mapping(map),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn sequence(&mut self, items: &[Value], ctx: Context) {
        let saved = self.indent;
        self.increase_indent(false, ctx.mapping && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Context::default());
        }
        self.indent = saved;
    }

    fn mapping(&mut self, map: &Map<String, Value>) {
        let saved = self.indent;
        self.increase_indent(false, false);
        for (key, value) in sorted_entries(map) {
            let key = through_json(key);
            let key = key.as_ref();
            self.write_indent();
            if key.len() <= MAX_SIMPLE_KEY && (is_printable_ascii_line(key) || !key.chars().any(is_break)) {
                self.string(key, Context { mapping: true, simple_key: true });
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.string(key, Context { mapping: true, simple_key: false });
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(value, Context { mapping: true, simple_key: false });
        }
        self.indent = saved;
    }

    /// A null, boolean or number: plain ASCII without spaces, written as it is.
    fn fixed_scalar(&mut self, write: impl FnOnce(&mut String)) {
        if !self.whitespace {
            self.put(' ');
        }
        let before = self.out.len();
        write(self.out);
        self.column += self.out.len() - before;
        self.whitespace = false;
        self.indention = false;
    }

    fn string(&mut self, s: &str, ctx: Context) {
        let allow_breaks = !ctx.simple_key;
        let saved = self.indent;
        self.increase_indent(true, false);
        if is_printable_ascii_line(s) {
            // The common case: printable ASCII on one line.
            let plain = plain_is_string(s);
            match plain_ascii_style(s, plain, ctx.simple_key) {
                Style::Plain => self.write_plain(s, allow_breaks),
                Style::SingleQuoted => self.write_single_quoted(s, allow_breaks),
                _ => self.write_double_quoted(s, allow_breaks),
            }
        } else {
            let requested = if s.contains('\n') {
                Style::Literal
            } else if plain_is_string(s) {
                Style::Plain
            } else {
                Style::DoubleQuoted
            };
            match choose_style(requested, &Analysis::of(s), ctx.simple_key) {
                Style::Plain => self.write_plain(s, allow_breaks),
                Style::SingleQuoted => self.write_single_quoted(s, allow_breaks),
                Style::DoubleQuoted => self.write_double_quoted(s, allow_breaks),
                Style::Literal => self.write_literal(s),
            }
        }
        self.indent = saved;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// A line break from the content: `\n` as a newline, other breaks as themselves.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, indicator: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.out.push_str(indicator);
        self.column += indicator.chars().count();
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        // Without breaks, and with no space past the folding column, the
        // value goes out as it is.
        let ascii = is_printable_ascii_line(s);
        let chars = if ascii { s.len() } else { s.chars().count() };
        if (ascii || !s.chars().any(is_break))
            && (!allow_breaks || self.column + chars <= BEST_WIDTH + 1 || !s.contains(' '))
        {
            self.out.push_str(s);
            self.column += chars;
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && chars.peek() != Some(&' ') {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == ' ' {
                let next_is_space = chars.peek().is_some_and(|&(_, n)| n == ' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < s.len() && !next_is_space {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
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
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // libyaml's BOM test looks at the start of the value, not the
        // current character: a value starting with a BOM is escaped throughout.
        let escape_all = s.starts_with('\u{FEFF}');
        let mut spaces = false;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if escape_all || !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
                self.write_escape(c);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < s.len() {
                    self.write_indent();
                    if chars.peek().is_some_and(|&(_, n)| n == ' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_escape(&mut self, c: char) {
        self.put('\\');
        let short = match c {
            '\0' => '0',
            '\u{7}' => 'a',
            '\u{8}' => 'b',
            '\t' => 't',
            '\n' => 'n',
            '\u{b}' => 'v',
            '\u{c}' => 'f',
            '\r' => 'r',
            '\u{1b}' => 'e',
            '"' => '"',
            '\\' => '\\',
            '\u{85}' => 'N',
            '\u{a0}' => '_',
            '\u{2028}' => 'L',
            '\u{2029}' => 'P',
            _ => {
                let v = u32::from(c);
                let (letter, digits) = match v {
                    0..=0xFF => ('x', 2),
                    0x100..=0xFFFF => ('u', 4),
                    _ => ('U', 8),
                };
                self.put(letter);
                for k in (0..digits).rev() {
                    let d = (v >> (4 * k)) & 0xF;
                    self.put(char::from_digit(d, 16).map_or('0', |h| h.to_ascii_uppercase()));
                }
                return;
            }
        };
        self.put(short);
    }

    fn write_literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        if s.starts_with(' ') || s.chars().next().is_some_and(is_break) {
            self.write_indicator("2", false, false, false);
        }
        if let Some(chomp) = chomping(s) {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// A string as go-yaml v2 reads it back from the JSON kustomize encodes:
/// Go leaves NEL (U+0085) unescaped, and YAML 1.1 folds it like a line
/// break inside the double-quoted JSON string (with the blanks around it:
/// one break becomes a space, more become newlines).
fn through_json(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() || !s.contains('\u{85}') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_blanks = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' => pending_blanks.push(c),
            '\u{85}' => {
                let mut breaks = 1;
                while let Some(&n) = chars.peek() {
                    match n {
                        ' ' => {}
                        '\u{85}' => breaks += 1,
                        _ => break,
                    }
                    chars.next();
                }
                pending_blanks.clear();
                if breaks == 1 {
                    out.push(' ');
                } else {
                    out.extend(std::iter::repeat_n('\n', breaks - 1));
                }
            }
            _ => {
                out.push_str(&pending_blanks);
                pending_blanks.clear();
                out.push(c);
            }
        }
    }
    out.push_str(&pending_blanks);
    out.into()
}

/// The chomping indicator of a literal block: `-` without a final line
/// break, `+` when the value is only a break or ends in two, none otherwise.
fn chomping(s: &str) -> Option<&'static str> {
    let mut rev = s.chars().rev();
    match (rev.next(), rev.next()) {
        (None, _) => Some("-"),
        (Some(last), _) if !is_break(last) => Some("-"),
        (Some(_), None) => Some("+"),
        (Some(_), Some(prev)) if is_break(prev) => Some("+"),
        _ => None,
    }
}

/// Only printable ASCII characters, so no line breaks and nothing to escape.
fn is_printable_ascii_line(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7F).contains(&b))
}

/// The style of a printable ASCII one-line string (the shortcut through
/// [`Analysis`] and [`choose_style`] for the common case): plain when that
/// reads back as the same string and no indicator or edge space forbids
/// it, else single-quoted; double-quoted when plain would change its type.
fn plain_ascii_style(s: &str, plain_reads_as_string: bool, simple_key: bool) -> Style {
    if !plain_reads_as_string {
        return Style::DoubleQuoted;
    }
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return if simple_key { Style::SingleQuoted } else { Style::Plain };
    };
    let last = b[b.len() - 1];
    let followed_by_space = |i: usize| b.get(i + 1).is_none_or(|&c| c == b' ');
    let mut indicator = s.starts_with("---") || s.starts_with("...") || first == b' ' || last == b' ';
    indicator |= match first {
        b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@'
        | b'`' => true,
        b'?' | b':' | b'-' => followed_by_space(0),
        _ => false,
    };
    if !indicator {
        for i in 1..b.len() {
            match b[i] {
                b':' if followed_by_space(i) => indicator = true,
                b'#' if b[i - 1] == b' ' => indicator = true,
                _ => continue,
            }
            break;
        }
    }
    if indicator { Style::SingleQuoted } else { Style::Plain }
}

/// libyaml's choice of style, given the requested one and what the value contains.
fn choose_style(requested: Style, a: &Analysis, simple_key: bool) -> Style {
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (a.empty && simple_key)) {
        style = Style::SingleQuoted;
    }
    if style == Style::SingleQuoted && !a.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}

/// Which styles can represent a scalar (libyaml's scalar analysis, for block context).
#[derive(Debug)]
struct Analysis {
    empty: bool,
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

impl Analysis {
    fn of(s: &str) -> Analysis {
        if s.is_ascii() {
            Analysis::of_chars(s.as_bytes())
        } else {
            let chars: Vec<char> = s.chars().collect();
            Analysis::of_chars(&chars)
        }
    }

    fn of_chars<T: Copy + Into<u32>>(cs: &[T]) -> Analysis {
        let ch = |i: usize| -> char { char::from_u32(cs[i].into()).unwrap_or('\u{FFFD}') };
        if cs.is_empty() {
            return Analysis {
                empty: true,
                multiline: false,
                block_plain_allowed: true,
                single_quoted_allowed: true,
                block_allowed: false,
            };
        }
        let starts_with = |p: &str| cs.len() >= 3 && p.chars().enumerate().all(|(i, c)| ch(i) == c);
        let mut block_indicators = starts_with("---") || starts_with("...");
        let mut line_breaks = false;
        let mut special = false;
        let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
            (false, false, false, false);
        let (mut break_space, mut space_break) = (false, false);
        let (mut previous_space, mut previous_break) = (false, false);
        let mut preceded_by_whitespace = true;
        let n = cs.len();
        for i in 0..n {
            let c = ch(i);
            let last = i + 1 == n;
            let followed_by_whitespace = last || matches!(ch(i + 1), ' ' | '\t');
            if i == 0 {
                match c {
                    '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                        block_indicators = true;
                    }
                    '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                    _ => {}
                }
            } else {
                match c {
                    ':' if followed_by_whitespace => block_indicators = true,
                    '#' if preceded_by_whitespace => block_indicators = true,
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
            preceded_by_whitespace = matches!(c, ' ' | '\t' | '\0') || is_break(c);
        }
        let mut a = Analysis {
            empty: false,
            multiline: line_breaks,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
        if leading_space || leading_break || trailing_space || trailing_break || line_breaks || block_indicators {
            a.block_plain_allowed = false;
        }
        if trailing_space {
            a.block_allowed = false;
        }
        if break_space {
            a.block_plain_allowed = false;
            a.single_quoted_allowed = false;
        }
        if space_break || special {
            a.block_plain_allowed = false;
            a.single_quoted_allowed = false;
            a.block_allowed = false;
        }
        a
    }
}

/// Characters libyaml writes as they are (others are escaped in double quotes):
/// line feed, printable ASCII, and the Basic Multilingual Plane from U+00A0
/// except surrogates, the BOM and U+FFFE/U+FFFF. Characters beyond U+FFFF
/// count as non-printable.
fn is_printable(c: char) -> bool {
    matches!(u32::from(c), 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{FEFF}'
}

/// Line breaks as YAML 1.1 counts them.
fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// The entries of a mapping in go-yaml v2's key order.
fn sorted_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    merge_sort(&mut entries, |a, b| key_less(a.0, b.0));
    entries
}

/// A stable merge sort that tolerates any comparison function (a
/// comparison that is not a total order yields some order, never a panic).
fn merge_sort<T: Copy>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = items.len();
    if n < 2 {
        return;
    }
    if n <= 16 {
        for i in 1..n {
            let mut j = i;
            while j > 0 && less(&items[j], &items[j - 1]) {
                items.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    let mut buf: Vec<T> = items.to_vec();
    let mut width = 1;
    let mut src_is_items = true;
    while width < n {
        {
            let (src, dst): (&[T], &mut [T]) =
                if src_is_items { (&*items, &mut buf[..]) } else { (&buf[..], &mut *items) };
            let mut start = 0;
            while start < n {
                let mid = (start + width).min(n);
                let end = (start + 2 * width).min(n);
                let (mut i, mut j, mut k) = (start, mid, start);
                while i < mid && j < end {
                    if less(&src[j], &src[i]) {
                        dst[k] = src[j];
                        j += 1;
                    } else {
                        dst[k] = src[i];
                        i += 1;
                    }
                    k += 1;
                }
                dst[k..k + (mid - i)].copy_from_slice(&src[i..mid]);
                k += mid - i;
                dst[k..k + (end - j)].copy_from_slice(&src[j..end]);
                start = end;
            }
        }
        src_is_items = !src_is_items;
        width *= 2;
    }
    if !src_is_items {
        items.copy_from_slice(&buf);
    }
}

/// go-yaml v2's order of string keys: compared character by character; at
/// the first difference two letters compare by code point, a non-letter
/// sorts before a letter, and runs of digits compare by their numeric
/// value (so `a2` < `a10`).
pub(super) fn key_less(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        runes_less(a.as_bytes(), b.as_bytes())
    } else {
        let ar: Vec<char> = a.chars().collect();
        let br: Vec<char> = b.chars().collect();
        runes_less(&ar, &br)
    }
}

fn runes_less<T: Copy + Into<u32>>(ar: &[T], br: &[T]) -> bool {
    let r = |x: T| -> u32 { x.into() };
    for i in 0..ar.len().min(br.len()) {
        let (a, b) = (r(ar[i]), r(br[i]));
        if a == b {
            continue;
        }
        let (al, bl) = (is_letter(a), is_letter(b));
        if al && bl {
            return a < b;
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if a == u32::from(b'0') || b == u32::from(b'0') {
            for j in (0..i).rev() {
                let c = r(ar[j]);
                if !is_digit(c) {
                    break;
                }
                if c != u32::from(b'0') {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(r(ar[ai])) {
            an = an.wrapping_mul(10).wrapping_add(i64::from(r(ar[ai])) - 48);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(r(br[bi])) {
            bn = bn.wrapping_mul(10).wrapping_add(i64::from(r(br[bi])) - 48);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return a < b;
    }
    ar.len() < br.len()
}

/// Go's `unicode.IsLetter` (Rust's alphabetic property outside ASCII, a close superset).
fn is_letter(c: u32) -> bool {
    match char::from_u32(c) {
        Some(ch) if ch.is_ascii() => ch.is_ascii_alphabetic(),
        Some(ch) => ch.is_alphabetic(),
        None => false,
    }
}

/// Go's `unicode.IsDigit` (Rust's numeric property outside ASCII, a close superset).
fn is_digit(c: u32) -> bool {
    match char::from_u32(c) {
        Some(ch) if ch.is_ascii() => ch.is_ascii_digit(),
        Some(ch) => ch.is_numeric(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(v: Value) -> String {
        let mut s = String::new();
        write_document(&v, &mut s);
        s
    }

    #[test]
    fn keys_sort_letters_first_and_digit_runs_by_value() {
        let mut keys = vec!["b2", "a10", "a9", "_b", "A", "B10", "y", "On", "a", "1", "10", "2", "a0", "a00"];
        merge_sort(&mut keys, |a, b| key_less(a, b));
        assert_eq!(keys, vec!["_b", "1", "2", "10", "A", "B10", "On", "a", "a0", "a00", "a9", "a10", "b2", "y"]);
    }

    #[test]
    fn layout_matches_kustomize() {
        let v = json!({"kind": "x", "spec": {"list": [{"a": 1, "b": [1, 2]}, [], {}, [[1]]], "empty": {}}});
        assert_eq!(
            yaml(v),
            "kind: x\nspec:\n  empty: {}\n  list:\n  - a: 1\n    b:\n    - 1\n    - 2\n  - []\n  - {}\n  - - - 1\n"
        );
    }

    #[test]
    fn scalars_are_quoted_when_plain_would_change_their_meaning() {
        let v = json!({"a": "yes", "b": "123", "c": "a: b", "d": "*x", "e": "a ", "f": "", "g": "it's",
            "h": " a: b ", "i": "a\tb", "j": "😀", "k": "#x", "l": "a #b", "m": "a#b", "n": "null", "o": "1:20"});
        assert_eq!(
            yaml(v),
            "a: \"yes\"\nb: \"123\"\nc: 'a: b'\nd: '*x'\ne: 'a '\nf: \"\"\ng: it's\nh: ' a: b '\ni: \"a\\tb\"\n\
             j: \"\\U0001F600\"\nk: '#x'\nl: 'a #b'\nm: a#b\n\"n\": \"null\"\no: \"1:20\"\n"
        );
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let v = json!({"a": "x\ny\n", "b": "x\ny", "c": "x\n\n", "d": " x\n", "e": "x \ny", "f": "\n"});
        assert_eq!(yaml(v), "a: |\n  x\n  y\nb: |-\n  x\n  y\nc: |+\n  x\n\nd: |2\n   x\ne: \"x \\ny\"\nf: |2+\n\n");
    }

    /// The shortcut for printable ASCII agrees with libyaml's full analysis
    /// on every string of up to four characters from an alphabet of
    /// indicators, spaces and letters.
    #[test]
    fn the_ascii_shortcut_matches_the_full_analysis() {
        let alphabet: Vec<char> = " :#-?.'\"a1[,!".chars().collect();
        let mut strings = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            frontier = frontier.iter().flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}"))).collect();
            strings.extend(frontier.iter().cloned());
        }
        for s in strings {
            for simple_key in [false, true] {
                let plain = plain_is_string(&s);
                let requested = if plain { Style::Plain } else { Style::DoubleQuoted };
                let full = choose_style(requested, &Analysis::of(&s), simple_key);
                assert_eq!(plain_ascii_style(&s, plain, simple_key), full, "{s:?} (simple key: {simple_key})");
            }
        }
    }

    #[test]
    fn long_plain_strings_fold_after_column_80() {
        let words = vec!["word"; 30].join(" ");
        let out = yaml(json!({ "k": words }));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].len() > 80 && lines[0].len() <= 86, "{out}");
        assert!(lines[1].starts_with("  word"), "{out}");
    }
}
