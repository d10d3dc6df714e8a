//! Folded block scalars (`>`) as kustomize ends up reading them.
//!
//! Before converting an object to JSON, kustomize writes it back out with
//! go-yaml v3 and reads that text again. go-yaml v3's folded-scalar writer
//! decides whether a line break needs an extra blank line by looking at
//! the start of the value instead of at the following line, so the value
//! read back differs from the original when a folded scalar has
//! more-indented lines, kept trailing breaks (`>+`), or starts with a blank.
//! This module replays that write and read.

use serde_saphyr::granit_parser::{Event, Parser};

/// The value kustomize reads for a folded scalar whose content is `value`.
pub(super) fn reread(value: &str) -> Result<String, String> {
    if !block_allowed(value) {
        // Written double-quoted instead, which reads back unchanged.
        return Ok(value.to_string());
    }
    read_back(&write(value))
}

/// Whether go-yaml v3 may write the value as a block scalar.
fn block_allowed(value: &str) -> bool {
    if value.is_empty() || value.ends_with(' ') {
        return false;
    }
    let mut previous_space = false;
    for c in value.chars() {
        if c != '\t' && !printable(c) {
            return false;
        }
        if is_break(c) && previous_space {
            return false;
        }
        previous_space = c == ' ';
    }
    true
}

/// go-yaml v3's folded writer, as the value of key `k` at indentation 0.
fn write(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 8 + 16);
    out.push_str("k: >");
    if value.starts_with(' ') || value.chars().next().is_some_and(is_break) {
        out.push('2');
    }
    let mut rev = value.chars().rev();
    match (rev.next(), rev.next()) {
        (Some(last), _) if !is_break(last) => out.push('-'),
        (Some(_), None) => out.push('+'),
        (Some(_), Some(prev)) if is_break(prev) => out.push('+'),
        _ => {}
    }
    out.push('\n');
    // The writer's test: is the first character after any leading breaks
    // a non-blank? (It should look after the current break.)
    let extra_breaks = value.chars().find(|&c| !is_break(c)).is_some_and(|c| !matches!(c, ' ' | '\t' | '\0'));
    let mut breaks = true;
    let mut leading_spaces = true;
    for c in value.chars() {
        if is_break(c) {
            if !breaks && !leading_spaces && c == '\n' && extra_breaks {
                out.push('\n');
            }
            out.push(c);
            breaks = true;
        } else {
            if breaks {
                out.push_str("  ");
                leading_spaces = matches!(c, ' ' | '\t');
            }
            out.push(c);
            breaks = false;
        }
    }
    out
}

/// The value of `k` in a small document.
fn read_back(doc: &str) -> Result<String, String> {
    let mut scalars = 0;
    for item in Parser::new_from_str(doc) {
        let (event, _) = item.map_err(|e| format!("folded scalar: {}", e.info()))?;
        if let Event::Scalar(text, ..) = event {
            scalars += 1;
            if scalars == 2 {
                return Ok(text.into_owned());
            }
        }
    }
    Err("folded scalar: no value read back".into())
}

fn printable(c: char) -> bool {
    matches!(u32::from(c), 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_folded_text_reads_back_unchanged() {
        assert_eq!(reread("one two\nthree\n").unwrap(), "one two\nthree\n");
        assert_eq!(reread("one two").unwrap(), "one two");
        assert_eq!(reread("a\n\nb\n").unwrap(), "a\n\nb\n");
    }

    #[test]
    fn more_indented_lines_and_kept_breaks_gain_a_line() {
        assert_eq!(reread("one\n  indented\ntwo\n").unwrap(), "one\n\n  indented\ntwo\n");
        assert_eq!(reread("one\n\n").unwrap(), "one\n\n\n");
    }

    #[test]
    fn values_not_written_as_blocks_are_kept() {
        assert_eq!(reread("a \nb").unwrap(), "a \nb");
        assert_eq!(reread("trailing ").unwrap(), "trailing ");
    }
}
