//! Reading manifests as kustomize reads them.
//!
//! kustomize splits a file into documents itself (on lines starting with
//! `---`, after turning CRLF into LF), decodes the first YAML document of
//! each piece with go-yaml v3, expands aliases and merge keys, and later
//! turns each object into JSON. This module does the same in one pass over
//! the parser's events: scalars resolve as go-yaml v3 resolves them
//! (timestamps become their RFC 3339 text, as JSON prints them), mapping
//! keys must be strings (except at the top level, where any scalar key is
//! taken as written), and duplicate keys, NaN and infinities are errors as
//! they are for kustomize.
//!
//! Kustomization files and JSON 6902 patches are read differently by
//! kustomize: through `sigs.k8s.io/yaml`'s YAML-to-JSON conversion, which
//! uses go-yaml v2. [`Dialect::Kustomization`] follows that: YAML 1.1
//! booleans (`yes`, `on`…), timestamps kept as written, scalar keys of any
//! type turned into strings, a repeated key replacing the earlier value,
//! and merge keys applied where they stand (later explicit keys win,
//! earlier ones are overridden).
//!
//! Where go-yaml and the parser (YAML 1.2) disagree, the loader follows
//! go-yaml: the `\'` escape and a `#` comment right after a token are
//! accepted (by retrying with the text adjusted), `\/` is refused, a
//! plain scalar in a flow collection may not start with `:` or hold `?`,
//! an empty key in a flow collection is refused, a key inside `{…}` must
//! fit on one line, and the first token after the document is still read.
//! And it replays what kustomize does to objects before printing them: the
//! first key named `<<` that is not a merge key is dropped, an empty value
//! in a flow collection becomes `""`, folded scalars are rewritten (see
//! [`super::folded`]), and repeated keys in the object's
//! `metadata.annotations` are tolerated as kustomize rebuilds that map.
//!
//! Work is bounded: nesting deeper than [`MAX_DEPTH`] is an error, and so
//! is expanding aliases into more nodes than a fixed budget allows (an
//! alias bomb fails fast instead of exhausting memory).

use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{
    ErrorKind, Event, Options, Parser, ScalarStyle, ScanError, Span, StructureStyle, Tag,
};

use super::scalar::{Booleans, Resolved, resolve_plain};
use super::{MAX_DEPTH, YamlError};

/// Nodes that alias expansion may add to a document no matter its size.
const ALIAS_NODES_FLOOR: usize = 100_000;
/// Beyond the floor, how many alias-expanded nodes per node written out.
const ALIAS_NODES_PER_NODE: usize = 4;

/// How scalars, keys and merges are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Dialect {
    /// Resources and strategic-merge patches (go-yaml v3, then JSON).
    #[default]
    Manifest,
    /// Kustomization files and JSON 6902 patches (go-yaml v2's YAML-to-JSON conversion).
    Kustomization,
}

impl Dialect {
    fn booleans(self) -> Booleans {
        match self {
            Dialect::Manifest => Booleans::Yaml12,
            Dialect::Kustomization => Booleans::Yaml11,
        }
    }
}

/// The documents of a stream, nulls and empty documents left out.
pub(super) fn documents(text: &str, dialect: Dialect) -> Result<Vec<Value>, YamlError> {
    // Most manifests are printable ASCII and line feeds only: one pass
    // over the bytes then stands for every character check.
    let simple = is_simple(text.as_bytes());
    let normalized: std::borrow::Cow<str> =
        if !simple && text.contains("\r\n") { text.replace("\r\n", "\n").into() } else { text.into() };
    if !simple {
        check_characters(&normalized)?;
    }
    let mut out = Vec::new();
    for piece in split(&normalized)? {
        let fast = match dialect {
            Dialect::Manifest => super::fast::document(piece.text, simple),
            Dialect::Kustomization => None,
        };
        let doc = match fast {
            Some(doc) => doc,
            None => first_document(piece.text, piece.first_line, dialect)?,
        };
        if let Some(v) = doc
            && !v.is_null()
        {
            out.push(v);
        }
    }
    Ok(out)
}

/// The documents as the full event-based loader reads them (no fast path).
#[cfg(test)]
pub(super) fn documents_without_fast_path(text: &str) -> Result<Vec<Value>, YamlError> {
    let normalized = text.replace("\r\n", "\n");
    check_characters(&normalized)?;
    let mut out = Vec::new();
    for piece in split(&normalized)? {
        if let Some(v) = first_document(piece.text, piece.first_line, Dialect::Manifest)?
            && !v.is_null()
        {
            out.push(v);
        }
    }
    Ok(out)
}

/// A stretch of the file between document separators.
struct Piece<'a> {
    text: &'a str,
    /// Lines before it in the file.
    first_line: usize,
}

/// Splits at every `\n---…\n`, as kustomize does; what follows `---` on its
/// line may only be blanks or a comment.
fn split(text: &str) -> Result<Vec<Piece<'_>>, YamlError> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut start_line = 0;
    let mut search = 0;
    let b = text.as_bytes();
    while let Some(sep) = find_separator(text, search) {
        let Some(eol) = text[sep + 4..].find('\n').map(|e| sep + 4 + e) else { break };
        let trailing = text[sep + 4..eol].trim();
        let line = start_line + count_lines(&b[start..sep]) + 1;
        if !trailing.is_empty() && !trailing.starts_with('#') {
            return Err(YamlError {
                line: Some(line + 1),
                message: format!("invalid document separator: {}", text[sep + 1..eol].trim()),
            });
        }
        // The piece keeps its final line break (block scalars depend on it).
        pieces.push(Piece { text: &text[start..sep + 1], first_line: start_line });
        start = eol + 1;
        start_line = line + 1;
        search = eol + 1;
    }
    pieces.push(Piece { text: &text[start..], first_line: start_line });
    Ok(pieces)
}

/// Whether the text is only printable ASCII and line feeds (checked in
/// blocks without early exit, which the compiler vectorises).
fn is_simple(b: &[u8]) -> bool {
    b.chunks(64).all(|chunk| chunk.iter().fold(true, |ok, &c| ok & (((0x20..0x7F).contains(&c)) | (c == b'\n'))))
}

/// The next `\n---` at or after `from`.
fn find_separator(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let nl = at + text.get(at..)?.find('\n')?;
        if text.as_bytes().get(nl + 1..nl + 4) == Some(b"---") {
            return Some(nl);
        }
        at = nl + 1;
    }
}

fn count_lines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// go-yaml reads only tab, line breaks, printable ASCII, NEL and the
/// Unicode ranges U+00A0–U+D7FF, U+E000–U+FFFD and above U+FFFF.
fn check_characters(text: &str) -> Result<(), YamlError> {
    let plain_ascii = |b: &u8| (0x20..0x7F).contains(b) || matches!(b, b'\n' | b'\t' | b'\r');
    if text.as_bytes().iter().all(plain_ascii) {
        return Ok(());
    }
    match text.char_indices().find(|&(_, c)| !readable(c)) {
        None => Ok(()),
        Some((i, c)) => Err(YamlError {
            line: Some(count_lines(&text.as_bytes()[..i]) + 1),
            message: format!("control characters are not allowed (U+{:04X})", u32::from(c)),
        }),
    }
}

fn readable(c: char) -> bool {
    matches!(u32::from(c), 0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..)
}

/// Characters a double-quoted escape can produce that Go's JSON encoding
/// leaves as they are and go-yaml v2 then refuses to read back when
/// kustomize prints the object (DEL, C1 controls but NEL, U+FFFE, U+FFFF).
pub(super) fn unprintable_after_json(s: &str) -> Option<char> {
    s.chars().find(|&c| matches!(u32::from(c), 0x7F..=0x84 | 0x86..=0x9F | 0xFFFE | 0xFFFF))
}

/// go-yaml v3 knows no `\/` escape (YAML 1.2 added it); kustomize refuses it.
fn has_slash_escape(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\\' {
            if b[i + 1] == b'/' {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The first document of a piece (`None` when it holds none).
fn first_document(text: &str, first_line: usize, dialect: Dialect) -> Result<Option<Value>, YamlError> {
    let mut source = std::borrow::Cow::Borrowed(text);
    if starts_with_document_end(text) {
        return Err(YamlError { line: Some(first_line + 1), message: "did not find expected node content".into() });
    }
    for _ in 0..MAX_RETRIES {
        match read_first_document(&source, first_line, dialect) {
            Err(Failure::Retry(fix, e)) => match fix.apply(&source) {
                Some(fixed) => source = fixed.into(),
                None => return Err(e),
            },
            Err(Failure::Yaml(e)) => return Err(e),
            Ok(doc) => return Ok(doc),
        }
    }
    read_first_document(&source, first_line, dialect).map_err(|(Failure::Yaml(e) | Failure::Retry(_, e))| e)
}

/// How many places go-yaml reads differently from the parser (see [`Fix`]) a document may have.
const MAX_RETRIES: usize = 64;

/// Why reading a document stopped.
enum Failure {
    Yaml(YamlError),
    /// The parser refused something go-yaml accepts; retry with the text fixed.
    Retry(Fix, YamlError),
}

/// Where go-yaml (YAML 1.1) accepts what the parser (YAML 1.2) refuses.
enum Fix {
    /// A double-quoted scalar starting at this byte uses the `\'` escape.
    QuoteEscape(usize),
    /// A comment at this byte follows a token without a space (`"a"#c`, `[#c`).
    CommentSpace(usize),
}

impl Fix {
    fn apply(&self, text: &str) -> Option<String> {
        match *self {
            Fix::QuoteEscape(at) => without_quote_escapes(text, at),
            Fix::CommentSpace(at) if text.as_bytes().get(at) == Some(&b'#') && text.is_char_boundary(at) => {
                Some(format!("{} {}", &text[..at], &text[at..]))
            }
            Fix::CommentSpace(_) => None,
        }
    }
}

/// Whether the first token is a document end marker (`...`), which go-yaml refuses.
fn starts_with_document_end(text: &str) -> bool {
    let first = text
        .trim_start_matches('\u{FEFF}')
        .lines()
        .map(|l| l.trim_start_matches(' '))
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    first.is_some_and(|l| l.starts_with("...") && l[3..].chars().next().is_none_or(|c| c == ' ' || c == '\t'))
}

impl From<YamlError> for Failure {
    fn from(e: YamlError) -> Failure {
        Failure::Yaml(e)
    }
}

fn read_first_document(text: &str, first_line: usize, dialect: Dialect) -> Result<Option<Value>, Failure> {
    let mut options = Options::default();
    options.set_emit_comments(false);
    options.block_nesting_limit = MAX_DEPTH + 2;
    options.flow_nesting_limit = MAX_DEPTH + 2;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut loader = Loader { source: text, first_line, dialect, ..Loader::default() };
    let scan_error = |e: ScanError| {
        let error = YamlError { line: Some(first_line + e.marker().line()), message: e.info() };
        match (e.kind(), e.marker().byte_offset()) {
            (ErrorKind::UnknownQuotedScalarEscape, Some(at)) => Failure::Retry(Fix::QuoteEscape(at), error),
            (ErrorKind::CommentNotSeparated, Some(at)) => Failure::Retry(Fix::CommentSpace(at), error),
            _ => Failure::Yaml(error),
        }
    };
    while let Some(item) = parser.next() {
        let (event, span) = item.map_err(scan_error)?;
        match event {
            Event::StreamStart | Event::DocumentStart(..) => {}
            Event::StreamEnd => return Ok(None),
            Event::DocumentEnd => {
                // go-yaml reads on past the end of the document it decodes,
                // through the first token of the next one.
                // Only its scanner sees that far: grammar errors there do not count.
                for _ in 0..3 {
                    match parser.next() {
                        Some(Err(e)) if is_grammar_error(e.kind()) => break,
                        Some(Err(e)) => return Err(scan_error(e)),
                        Some(Ok((Event::StreamEnd, _))) | None => break,
                        Some(Ok(_)) => {}
                    }
                }
                return Ok(Some(loader.root.take().unwrap_or(Value::Null)));
            }
            other => loader.event(other, &span)?,
        }
    }
    Ok(None)
}

/// Errors of the grammar, as opposed to those of reading tokens.
fn is_grammar_error(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::UnexpectedEofFlowSequence
            | ErrorKind::UnexpectedEofFlowMapping
            | ErrorKind::UnexpectedEofImplicitFlowMapping
            | ErrorKind::UnexpectedEofBlockSequence
            | ErrorKind::UnexpectedEofBlockMapping
            | ErrorKind::UnexpectedEof
            | ErrorKind::ExpectedDocumentStart
            | ErrorKind::ExpectedNodeContent
            | ErrorKind::ExpectedBlockMappingKey
            | ErrorKind::ExpectedFlowMappingSeparator
            | ErrorKind::ExpectedFlowSequenceSeparator
            | ErrorKind::ExpectedBlockSequenceEntry
            | ErrorKind::UnknownAnchor
            | ErrorKind::UndeclaredTagHandle
            | ErrorKind::MissingDocumentEndBeforeDirective
            | ErrorKind::DuplicateVersionDirective
            | ErrorKind::DuplicateTagDirective
    )
}

/// The text with the `\'` escapes (go-yaml's, not YAML 1.2's) of the
/// double-quoted scalar starting at byte `at` written as plain `'`; `None`
/// if it has none.
fn without_quote_escapes(text: &str, at: usize) -> Option<String> {
    let b = text.as_bytes();
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let mut escapes = Vec::new();
    let mut i = at + 1;
    while i < b.len() {
        match b[i] {
            b'"' => break,
            b'\\' => {
                if b.get(i + 1) == Some(&b'\'') {
                    escapes.push(i);
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    if escapes.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for e in escapes {
        out.push_str(&text[last..e]);
        last = e + 1;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// A value waiting for its key's value, or the merge key.
#[derive(Debug)]
enum PendingKey {
    Key {
        key: String,
        line: usize,
    },
    Merge {
        line: usize,
    },
    /// A key kustomize drops with its value (the first one named `<<` that is not a merge key).
    Discard,
}

/// A collection being read.
#[derive(Debug)]
enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        nodes: usize,
        flow: bool,
    },
    Map {
        map: Map<String, Value>,
        /// The line of each key, in insertion order (for duplicate-key messages).
        key_lines: Vec<usize>,
        pending: Option<PendingKey>,
        /// Mappings to merge in (`<<`), highest precedence first.
        merges: Option<Vec<Value>>,
        /// Whether a key named `<<` was seen (kustomize drops the first one).
        saw_merge_name: bool,
        anchor: usize,
        nodes: usize,
        /// The document's top-level mapping, whose keys may be any scalar.
        top: bool,
        flow: bool,
        /// A repeated key replaces the earlier value instead of being an
        /// error (the object's `metadata.annotations`, which kustomize rebuilds).
        last_wins: bool,
        /// The object's `metadata`, where repeated `annotations` fields are combined.
        object_metadata: bool,
    },
}

/// An anchored value and how many nodes it holds.
#[derive(Debug)]
struct Anchored {
    value: Value,
    nodes: usize,
}

/// Builds one document's value from parser events.
#[derive(Debug, Default)]
struct Loader<'s> {
    /// The text being read (for checks on a scalar's source).
    source: &'s str,
    first_line: usize,
    dialect: Dialect,
    stack: Vec<Frame>,
    anchors: Vec<Option<Anchored>>,
    root: Option<Value>,
    /// Open flow collections (`[…]`, `{…}`).
    flow_depth: usize,
    /// Nodes read directly, and nodes added by expanding aliases.
    direct_nodes: usize,
    alias_nodes: usize,
}

impl Loader<'_> {
    fn error(&self, span: &Span, message: impl Into<String>) -> YamlError {
        YamlError { line: Some(self.line(span)), message: message.into() }
    }

    fn line(&self, span: &Span) -> usize {
        self.first_line + span.start.line()
    }

    /// Whether the next node is the value of the object's `metadata.annotations`.
    fn at_object_annotations(&self) -> bool {
        let pending = |f: &Frame, name: &str| matches!(f, Frame::Map { pending: Some(PendingKey::Key { key, .. }), .. } if key == name);
        match self.stack.as_slice() {
            [top @ Frame::Map { top: true, .. }, metadata] => {
                pending(top, "metadata") && pending(metadata, "annotations")
            }
            _ => false,
        }
    }

    /// Whether the next node is a mapping key.
    fn at_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { pending: None, .. }))
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = TagKind::of(tag.as_deref());
                if style == ScalarStyle::DoubleQuoted {
                    self.check_double_quoted(&text, span)?;
                }
                // go-yaml reads `:` and `?` inside flow collections as
                // indicators, never as the start of a plain scalar.
                if style == ScalarStyle::Plain && self.flow_depth > 0 && (text.starts_with(':') || text.contains('?')) {
                    return Err(self.error(span, "did not find expected node content"));
                }
                let empty = is_empty_node(span) && style == ScalarStyle::Plain && tag == TagKind::None;
                if empty && self.flow_depth > 0 && self.at_key() && !self.explicit_key(span) {
                    return Err(self.error(span, "did not find expected node content (an empty key)"));
                }
                if empty && self.flow_depth > 0 && self.dialect == Dialect::Manifest {
                    // kustomize writes the object out and reads it back before
                    // converting it; go-yaml v3 writes an empty plain scalar in
                    // a flow collection as `''`, which reads back as a string.
                    return self.scalar_event("", ScalarStyle::SingleQuoted, anchor, tag, span);
                }
                self.scalar_event(&text, style, anchor, tag, span)
            }
            Event::Alias(id) => self.alias(id, span),
            Event::SequenceStart(style, anchor, _) => {
                self.open(span)?;
                let flow = style == StructureStyle::Flow;
                self.flow_depth += usize::from(flow);
                self.stack.push(Frame::Seq { items: Vec::new(), anchor, nodes: 1, flow });
                Ok(())
            }
            Event::MappingStart(style, anchor, _) => {
                self.open(span)?;
                let flow = style == StructureStyle::Flow;
                self.flow_depth += usize::from(flow);
                let top = self.stack.is_empty();
                let last_wins = self.dialect == Dialect::Manifest && self.at_object_annotations();
                let object_metadata = self.dialect == Dialect::Manifest
                    && matches!(self.stack.as_slice(), [Frame::Map { top: true, pending: Some(PendingKey::Key { key, .. }), .. }] if key == "metadata");
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    key_lines: Vec::new(),
                    pending: None,
                    merges: None,
                    saw_merge_name: false,
                    anchor,
                    nodes: 1,
                    top,
                    flow,
                    last_wins,
                    object_metadata,
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { items, anchor, nodes, flow }) => {
                    self.flow_depth -= usize::from(flow);
                    self.complete(Value::Array(items), anchor, nodes, span)
                }
                _ => Err(self.error(span, "unexpected end of a sequence")),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map { map, merges, anchor, nodes, flow, .. }) => {
                    self.flow_depth -= usize::from(flow);
                    let map = match merges {
                        Some(sources) => merge(map, sources),
                        None => map,
                    };
                    self.complete(Value::Object(map), anchor, nodes, span)
                }
                _ => Err(self.error(span, "unexpected end of a mapping")),
            },
            _ => Ok(()),
        }
    }

    fn scalar_event(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: TagKind<'_>,
        span: &Span,
    ) -> Result<(), YamlError> {
        if self.at_key() {
            if self.flow_depth > 0 && span.start.line() != span.end.line() && !self.explicit_key(span) {
                return Err(self.error(span, "did not find expected ',' or '}' (a key must fit on one line)"));
            }
            self.key_scalar(text, style, anchor, tag, span)
        } else {
            self.direct_nodes += 1;
            let value = scalar_value(text, style, tag, self.dialect).map_err(|m| self.error(span, m))?;
            self.complete(value, anchor, 1, span)
        }
    }

    /// Whether the scalar at `span` follows the explicit key indicator `?`.
    fn explicit_key(&self, span: &Span) -> bool {
        let before = span.start.byte_offset().and_then(|i| self.source.get(..i)).unwrap_or("");
        before.trim_end().ends_with('?')
    }

    /// What kustomize refuses in a double-quoted scalar.
    fn check_double_quoted(&self, value: &str, span: &Span) -> Result<(), YamlError> {
        if let Some(c) = unprintable_after_json(value) {
            return Err(self.error(span, format!("control characters are not allowed (U+{:04X})", u32::from(c))));
        }
        let raw = match (span.start.byte_offset(), span.end.byte_offset()) {
            (Some(a), Some(b)) => self.source.get(a..b).unwrap_or(""),
            _ => "",
        };
        if raw.contains("\\/") && has_slash_escape(raw) {
            return Err(self.error(span, "found unknown escape character `\\/`"));
        }
        Ok(())
    }

    /// Checks that a collection may start here.
    fn open(&mut self, span: &Span) -> Result<(), YamlError> {
        if self.at_key() {
            return Err(self.error(span, "a mapping or sequence cannot be a mapping key"));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(span, format!("nesting is deeper than {MAX_DEPTH} levels")));
        }
        self.direct_nodes += 1;
        Ok(())
    }

    /// A scalar in key position.
    fn key_scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: TagKind<'_>,
        span: &Span,
    ) -> Result<(), YamlError> {
        self.direct_nodes += 1;
        if anchor != 0 {
            let value = scalar_value(text, style, tag, self.dialect).map_err(|m| self.error(span, m))?;
            self.remember(anchor, value, 1);
        }
        let line = self.line(span);
        if self.dialect == Dialect::Kustomization {
            let is_merge =
                text == "<<" && matches!(tag, TagKind::None | TagKind::Core("merge")) && style == ScalarStyle::Plain;
            if is_merge {
                return self.set_pending(PendingKey::Merge { line }, span);
            }
            let key = yaml11_key(text, style, tag).map_err(|m| self.error(span, m))?;
            return self.set_pending(PendingKey::Key { key, line }, span);
        }
        if text == "<<" {
            let merge_key = match tag {
                TagKind::None => style == ScalarStyle::Plain,
                TagKind::Core(t) => t == "merge",
                TagKind::Custom => false,
            };
            if let Some(Frame::Map { merges, saw_merge_name, .. }) = self.stack.last_mut() {
                let first = !*saw_merge_name;
                *saw_merge_name = true;
                if merge_key {
                    if merges.is_some() {
                        return Err(self.error(span, "duplicate merge key"));
                    }
                    return self.set_pending(PendingKey::Merge { line }, span);
                }
                if first {
                    return self.set_pending(PendingKey::Discard, span);
                }
            }
        }
        let (is_string, is_null) = match tag {
            TagKind::None if style == ScalarStyle::Plain => {
                let r = resolve_plain(text, Booleans::Yaml12);
                (r == Resolved::Str, r == Resolved::Null)
            }
            TagKind::None => (true, false),
            TagKind::Core(t) => (t == "str", t == "null"),
            TagKind::Custom => (false, false),
        };
        let top = matches!(self.stack.last(), Some(Frame::Map { top: true, .. }));
        if is_null {
            return Err(self.error(span, format!("mapping key {text:?} is null")));
        }
        if !is_string && !top {
            return Err(self.error(span, format!("mapping key {text:?} is not a string")));
        }
        self.set_pending(PendingKey::Key { key: text.to_string(), line }, span)
    }

    fn set_pending(&mut self, key: PendingKey, span: &Span) -> Result<(), YamlError> {
        let line = self.line(span);
        match self.stack.last_mut() {
            Some(Frame::Map { pending, .. }) => {
                *pending = Some(key);
                Ok(())
            }
            _ => Err(YamlError { line: Some(line), message: "a mapping key outside a mapping".into() }),
        }
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<(), YamlError> {
        let Some(Some(anchored)) = self.anchors.get(id) else {
            return Err(self.error(span, "alias refers to an anchor that contains it"));
        };
        let nodes = anchored.nodes;
        self.alias_nodes += nodes;
        let budget = ALIAS_NODES_FLOOR.max(ALIAS_NODES_PER_NODE * self.direct_nodes);
        if self.alias_nodes > budget {
            return Err(self.error(span, "document contains excessive aliasing"));
        }
        let into_merge = matches!(self.stack.last(), Some(Frame::Map { pending: Some(PendingKey::Merge { .. }), .. }));
        if into_merge && !anchored.value.is_object() {
            return Err(self.error(span, "invalid map merge: received alias for a non-map value"));
        }
        let value = anchored.value.clone();
        if self.at_key() {
            let top = matches!(self.stack.last(), Some(Frame::Map { top: true, .. }));
            let any_scalar = top || self.dialect == Dialect::Kustomization;
            let key = match value {
                Value::String(s) => s,
                Value::Number(n) if any_scalar => n.to_string(),
                Value::Bool(b) if any_scalar => b.to_string(),
                _ => return Err(self.error(span, "mapping key is not a string")),
            };
            let line = self.line(span);
            return self.set_pending(PendingKey::Key { key, line }, span);
        }
        self.complete(value, 0, nodes, span)
    }

    fn remember(&mut self, anchor: usize, value: Value, nodes: usize) {
        if self.anchors.len() <= anchor {
            self.anchors.resize_with(anchor + 1, || None);
        }
        self.anchors[anchor] = Some(Anchored { value, nodes });
    }

    /// A finished node: stored under its anchor, then placed in its parent.
    fn complete(&mut self, value: Value, anchor: usize, nodes: usize, span: &Span) -> Result<(), YamlError> {
        if anchor != 0 {
            self.remember(anchor, value.clone(), nodes);
        }
        let line = self.line(span);
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
                Ok(())
            }
            Some(Frame::Seq { items, nodes: n, .. }) => {
                items.push(value);
                *n += nodes;
                Ok(())
            }
            Some(Frame::Map { map, key_lines, pending, merges, nodes: n, last_wins, object_metadata, .. }) => {
                *n += nodes;
                let dialect = self.dialect;
                match pending.take() {
                    Some(PendingKey::Key { key, .. })
                        if *object_metadata && key == "annotations" && map.contains_key(&key) =>
                    {
                        // kustomize rebuilds annotations from every such field, the first value of a key winning.
                        combine_annotations(map, value);
                        Ok(())
                    }
                    Some(PendingKey::Key { key, .. }) if dialect == Dialect::Kustomization || *last_wins => {
                        map.insert(key, value);
                        Ok(())
                    }
                    Some(PendingKey::Merge { line: merge_line }) if dialect == Dialect::Kustomization => {
                        let sources =
                            merge_sources(value).map_err(|m| YamlError { line: Some(merge_line), message: m })?;
                        // Applied here, in place: later sources first, so earlier ones win.
                        for source in sources.into_iter().rev() {
                            if let Value::Object(m) = source {
                                map.extend(m);
                            }
                        }
                        Ok(())
                    }
                    Some(PendingKey::Key { key, line: key_line }) => {
                        if map.contains_key(&key) {
                            let i = map.keys().position(|k| *k == key).unwrap_or(0);
                            let first = key_lines.get(i).copied().unwrap_or(key_line);
                            return Err(YamlError {
                                line: Some(key_line),
                                message: format!("mapping key {key:?} already defined at line {first}"),
                            });
                        }
                        map.insert(key, value);
                        key_lines.push(key_line);
                        Ok(())
                    }
                    Some(PendingKey::Merge { line: merge_line }) => {
                        *merges =
                            Some(merge_sources(value).map_err(|m| YamlError { line: Some(merge_line), message: m })?);
                        Ok(())
                    }
                    Some(PendingKey::Discard) => Ok(()),
                    None => Err(YamlError { line: Some(line), message: "a mapping value without a key".into() }),
                }
            }
        }
    }
}

/// Adds a repeated `annotations` field to the one already in `metadata`.
fn combine_annotations(metadata: &mut Map<String, Value>, more: Value) {
    let Some(existing) = metadata.get_mut("annotations") else { return };
    match (existing, more) {
        (Value::Object(have), Value::Object(more)) => {
            for (k, v) in more {
                have.entry(k).or_insert(v);
            }
        }
        (existing @ Value::Null, more) => *existing = more,
        _ => {}
    }
}

/// An empty node (`{a: }`), which the parser reports as a zero-length `~`.
fn is_empty_node(span: &Span) -> bool {
    span.start.byte_offset().is_some() && span.start.byte_offset() == span.end.byte_offset()
}

/// A mapping key as go-yaml v2 and `sigs.k8s.io/yaml` make it a JSON key:
/// strings as they are, integers in decimal, floats in Go's short form at
/// 32-bit precision, booleans as `true`/`false`, timestamps as written.
fn yaml11_key(text: &str, style: ScalarStyle, tag: TagKind<'_>) -> Result<String, String> {
    let resolved = match tag {
        TagKind::None if style == ScalarStyle::Plain => resolve_plain(text, Booleans::Yaml11),
        TagKind::Core(t) if t != "str" && t != "binary" => resolve_plain(text, Booleans::Yaml11),
        _ => return Ok(text.to_string()),
    };
    match resolved {
        Resolved::Str | Resolved::Timestamp(_) | Resolved::UnencodableTimestamp => Ok(text.to_string()),
        Resolved::Bool(b) => Ok(b.to_string()),
        Resolved::Int(i) => Ok(i.to_string()),
        Resolved::Float(f) => Ok(super::number::go_g_f32(f)),
        Resolved::Null => Err(format!("unsupported map key of type: <nil> ({text:?})")),
        Resolved::Uint(_) => Err(format!("unsupported map key of type: uint64 ({text})")),
    }
}

/// The mappings a merge key's value names: one mapping, or a sequence of
/// them (earlier ones take precedence).
fn merge_sources(value: Value) -> Result<Vec<Value>, String> {
    match value {
        Value::Object(_) => Ok(vec![value]),
        Value::Array(items) if items.iter().all(Value::is_object) => Ok(items),
        Value::Array(_) => Err("invalid map merge: a merge sequence may only hold mappings".into()),
        _ => Err("map merge requires map or sequence of maps as the value".into()),
    }
}

/// A mapping with merged-in keys: its own keys win, then earlier sources.
/// Keys keep their first position; new ones are appended.
fn merge(own: Map<String, Value>, sources: Vec<Value>) -> Map<String, Value> {
    let mut out = own.clone();
    for source in sources.into_iter().rev() {
        if let Value::Object(m) = source {
            for (k, v) in m {
                if !own.contains_key(&k) {
                    out.insert(k, v);
                }
            }
        }
    }
    out
}

/// A node's tag, as far as decoding cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind<'t> {
    /// No tag, or the non-specific `!` (resolved like no tag).
    None,
    /// A `tag:yaml.org,2002:` tag, by suffix (`int` for `!!int`).
    Core(&'t str),
    /// Any other tag: the scalar is read as a string.
    Custom,
}

impl<'t> TagKind<'t> {
    fn of(tag: Option<&'t Tag>) -> TagKind<'t> {
        match tag {
            None => TagKind::None,
            Some(t) if t.handle() == "tag:yaml.org,2002:" => TagKind::Core(t.suffix()),
            Some(t) if (t.handle(), t.suffix()) == ("", "!") || (t.handle(), t.suffix()) == ("!", "") => TagKind::None,
            Some(_) => TagKind::Custom,
        }
    }
}

/// A scalar in value position, as go-yaml v3 decodes it and Go's JSON encoding prints it.
fn scalar_value(text: &str, style: ScalarStyle, tag: TagKind<'_>, dialect: Dialect) -> Result<Value, String> {
    let booleans = dialect.booleans();
    let plain_value = |text: &str, resolved: Resolved| match (resolved, dialect) {
        // go-yaml v2 hands timestamps over as the text written.
        (Resolved::Timestamp(_) | Resolved::UnencodableTimestamp, Dialect::Kustomization) => {
            Ok(Value::String(text.to_string()))
        }
        (r, _) => plain_value(text, r),
    };
    match tag {
        TagKind::None if style == ScalarStyle::Plain => plain_value(text, resolve_plain(text, booleans)),
        TagKind::None | TagKind::Custom | TagKind::Core("str")
            if style == ScalarStyle::Folded && dialect == Dialect::Manifest =>
        {
            Ok(Value::String(super::folded::reread(text)?))
        }
        TagKind::None | TagKind::Custom => Ok(Value::String(text.to_string())),
        TagKind::Core("binary") => binary(text),
        TagKind::Core(expected @ ("null" | "bool" | "int" | "float" | "timestamp")) => {
            let resolved = resolve_plain(text, booleans);
            let fits = matches!(
                (&resolved, expected),
                (Resolved::Null, "null")
                    | (Resolved::Bool(_), "bool")
                    | (Resolved::Int(_) | Resolved::Uint(_), "int" | "float")
                    | (Resolved::Float(_), "float")
                    | (Resolved::Timestamp(_) | Resolved::UnencodableTimestamp, "timestamp")
            );
            if !fits {
                return Err(format!("cannot decode !!{} `{text}` as a !!{expected}", kind_name(&resolved)));
            }
            match (resolved, expected) {
                (Resolved::Int(i), "float") => plain_value(text, Resolved::Float(i as f64)),
                (Resolved::Uint(u), "float") => plain_value(text, Resolved::Float(u as f64)),
                (r, _) => plain_value(text, r),
            }
        }
        TagKind::Core(_) => Ok(Value::String(text.to_string())),
    }
}

fn kind_name(r: &Resolved) -> &'static str {
    match r {
        Resolved::Null => "null",
        Resolved::Bool(_) => "bool",
        Resolved::Int(_) | Resolved::Uint(_) => "int",
        Resolved::Float(_) => "float",
        Resolved::Timestamp(_) | Resolved::UnencodableTimestamp => "timestamp",
        Resolved::Str => "str",
    }
}

fn plain_value(text: &str, resolved: Resolved) -> Result<Value, String> {
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Number(i.into()),
        Resolved::Uint(u) => Value::Number(u.into()),
        Resolved::Float(f) => match super::number::json_number(f) {
            Some(n) => Value::Number(n),
            None => {
                let shown = if f.is_nan() {
                    "NaN"
                } else if f > 0.0 {
                    "+Inf"
                } else {
                    "-Inf"
                };
                return Err(format!("json: unsupported value: {shown} (from `{text}`)"));
            }
        },
        Resolved::Timestamp(t) => Value::String(t),
        Resolved::UnencodableTimestamp => {
            return Err(format!("Time.MarshalJSON: timezone hour outside of range [0,23] (from `{text}`)"));
        }
        Resolved::Str => Value::String(text.to_string()),
    })
}

/// A `!!binary` scalar: base64 (line breaks ignored), decoded to text with
/// each invalid UTF-8 byte replaced by U+FFFD as Go's JSON encoding does.
fn binary(text: &str) -> Result<Value, String> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !matches!(c, '\n' | '\r')).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| "!!binary value contains invalid base64 data".to_string())?;
    let mut out = String::with_capacity(bytes.len());
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..valid]).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len() - valid);
                out.extend(std::iter::repeat_n('\u{FFFD}', bad));
                rest = &rest[valid + bad..];
            }
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Both readers on one text: the same documents (keys in the same
    /// order), or both refuse it.
    fn agree(name: &str, text: &str) -> Result<(), String> {
        let fast = documents(text, Dialect::Manifest);
        let full = documents_without_fast_path(text);
        match (&fast, &full) {
            (Ok(a), Ok(b)) => {
                let (a, b) =
                    (serde_json::to_string(a).unwrap_or_default(), serde_json::to_string(b).unwrap_or_default());
                if a == b { Ok(()) } else { Err(format!("{name}: fast path read\n{a}\nfull loader read\n{b}")) }
            }
            (Err(_), Err(_)) => Ok(()),
            _ => Err(format!("{name}: fast path {fast:?}, full loader {full:?}")),
        }
    }

    fn texts_under(dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                texts_under(&p, out);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && let Ok(text) = std::fs::read_to_string(&p)
            {
                out.push((p.display().to_string(), text));
            }
        }
    }

    /// Variations that move a text in and out of the fast path's reach.
    fn variations(text: &str) -> Vec<String> {
        vec![
            text.to_string(),
            text.replace("\n  ", "\n    "),
            text.replace(": ", ":  "),
            text.trim_end_matches('\n').to_string(),
            format!("---\n{text}"),
            text.replace("\n- ", "\n-   "),
        ]
    }

    /// Deterministic small edits (insertions of YAML syntax, deletions,
    /// duplicated lines) that push a text into odd and invalid corners.
    fn mutations(text: &str, count: usize) -> Vec<String> {
        const INSERTS: [&str; 22] = [
            " ", "\n", ":", ": ", "- ", "#", " #", "'", "\"", "[", "]", "{", ",", "&a ", "*a", "!t ", "|", ">", "  ",
            "\t", "\\", "---\n",
        ];
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        let mut seed: u64 = text.len() as u64 ^ 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        (0..count)
            .map(|_| {
                let at = boundaries[next() % boundaries.len()];
                match next() % 4 {
                    0 => {
                        let end = boundaries.iter().copied().find(|&b| b > at).unwrap_or(at);
                        format!("{}{}", &text[..at], &text[end..])
                    }
                    1 => {
                        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                        let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
                        format!("{}{}", &text[..end], &text[start..])
                    }
                    _ => format!("{}{}{}", &text[..at], INSERTS[next() % INSERTS.len()], &text[at..]),
                }
            })
            .collect()
    }

    #[test]
    fn the_fast_path_agrees_on_mutated_fixtures() {
        let mut texts = Vec::new();
        texts_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml"), &mut texts);
        let failures: Vec<String> = texts
            .iter()
            .flat_map(|(name, text)| {
                mutations(text, 60).into_iter().map(move |t| agree(&format!("{name} mutated"), &t))
            })
            .filter_map(Result::err)
            .collect();
        assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n\n"));
    }

    #[test]
    fn the_fast_path_reads_every_fixture_as_the_full_loader_does() {
        let mut texts = Vec::new();
        texts_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml"), &mut texts);
        assert!(texts.len() > 40);
        let failures: Vec<String> = texts
            .iter()
            .flat_map(|(name, text)| variations(text).into_iter().map(move |t| agree(name, &t)))
            .filter_map(Result::err)
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    #[test]
    fn the_fast_path_handles_common_manifests_and_gives_up_on_the_rest() {
        let handled = "a: 1\nb:\n- x\n- k: v\n  l: [1, {m: n}]\nc: |\n  text\n";
        assert!(super::super::fast::document(handled, true).is_some());
        for text in ["a: &x 1\n", "a: *x\n", "a: !!str 1\n", "a: >\n  f\n", "a: b\n  c\n", "a:\n\tb: 1\n", "? a\n: b\n"]
        {
            assert!(super::super::fast::document(text, false).is_none(), "{text:?}");
        }
    }

    /// Runs the comparison over every YAML file under `$YAML_CORPUS`:
    /// `YAML_CORPUS=/some/dir cargo test --lib render::yaml -- --ignored`.
    #[test]
    #[ignore = "needs a corpus of YAML files in $YAML_CORPUS"]
    fn the_fast_path_agrees_on_a_corpus() {
        let Ok(dir) = std::env::var("YAML_CORPUS") else { return };
        let mut texts = Vec::new();
        texts_under(Path::new(&dir), &mut texts);
        let mut failures = Vec::new();
        let mut fast_pieces = 0;
        let mut pieces = 0;
        for (name, text) in &texts {
            for t in variations(text).into_iter().chain(mutations(text, 40)) {
                if let Err(e) = agree(name, &t) {
                    failures.push(e);
                }
            }
            if let Ok(ps) = split(&text.replace("\r\n", "\n")) {
                pieces += ps.len();
                fast_pieces += ps.iter().filter(|p| super::super::fast::document(p.text, false).is_some()).count();
            }
        }
        eprintln!("{} files, fast path read {fast_pieces} of {pieces} documents", texts.len());
        assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n\n"));
    }
}
