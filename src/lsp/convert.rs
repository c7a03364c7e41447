//! Between lockgen's byte offsets and the protocol's positions (a 0-based line and a column in
//! the encoding the client agreed to: UTF-8 bytes, or UTF-16 code units by default).

use lsp_types::{Position, Range};

use crate::apex::{LineIndex, Span};

/// How columns are counted, as agreed in `initialize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// A line ends at `\n`, `\r\n` or a lone `\r`, as for lockgen's own line index and the protocol.
fn is_line_end(byte: u8) -> bool {
    byte == b'\n' || byte == b'\r'
}

/// The offsets where each line of `text` starts.
pub fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (offset, &byte) in bytes.iter().enumerate() {
        if byte == b'\n' || (byte == b'\r' && bytes.get(offset + 1) != Some(&b'\n')) {
            starts.push(offset + 1);
        }
    }
    starts
}

/// The position of a byte offset (clamped to the text and to a character boundary).
#[cfg(test)]
pub fn position(text: &str, offset: usize, encoding: Encoding) -> Position {
    position_indexed(text, &LineIndex::new(text), offset, encoding)
}

/// [`position`] with the text's line index at hand: O(log lines + the line's length).
pub fn position_indexed(
    text: &str,
    lines: &LineIndex,
    offset: usize,
    encoding: Encoding,
) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text.as_bytes()[..offset]
        .iter()
        .rposition(|&b| is_line_end(b))
        .map_or(0, |i| i + 1);
    let line = lines
        .line_column(text, u32::try_from(offset).unwrap_or(u32::MAX))
        .line;
    Position {
        line: u32::try_from(line.saturating_sub(1)).unwrap_or(u32::MAX),
        character: column(&text[line_start..offset], encoding),
    }
}

fn column(prefix: &str, encoding: Encoding) -> u32 {
    let count = match encoding {
        Encoding::Utf8 => prefix.len(),
        Encoding::Utf16 => prefix.encode_utf16().count(),
    };
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// The range of a span.
pub fn range(text: &str, lines: &LineIndex, span: Span, encoding: Encoding) -> Range {
    Range {
        start: position_indexed(text, lines, span.start as usize, encoding),
        end: position_indexed(text, lines, span.end as usize, encoding),
    }
}

/// The byte offset of a position: past the end of its line means the line's end; past the last
/// line means the end of the text.
pub fn offset(text: &str, starts: &[usize], at: Position, encoding: Encoding) -> usize {
    let Some(&start) = starts.get(at.line as usize) else {
        return text.len();
    };
    let end = starts
        .get(at.line as usize + 1)
        .copied()
        .unwrap_or(text.len());
    let line = text[start..end].trim_end_matches(['\n', '\r']);
    let wanted = at.character as usize;
    let mut units = 0;
    for (index, ch) in line.char_indices() {
        if units >= wanted {
            return start + index;
        }
        units += match encoding {
            Encoding::Utf8 => ch.len_utf8(),
            Encoding::Utf16 => ch.len_utf16(),
        };
    }
    start + line.len()
}

/// Apply a ranged change (incremental sync) to a document's text.
pub fn apply_change(text: &mut String, range: Range, new_text: &str, encoding: Encoding) {
    let starts = line_starts(text);
    let start = offset(text, &starts, range.start, encoding);
    let end = offset(text, &starts, range.end, encoding).max(start);
    text.replace_range(start..end, new_text);
}

/// The leading whitespace of the line holding `position`.
pub fn indentation(text: &str, line: u32) -> &str {
    let starts = line_starts(text);
    let Some(&start) = starts.get(line as usize) else {
        return "";
    };
    let rest = &text[start..];
    let width = rest
        .find(|c: char| !(c == ' ' || c == '\t'))
        .unwrap_or(rest.len());
    &rest[..width]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "a\r\nb€c\rd\n𝄞x";
        // `c` sits after a 3-byte, 1-unit character.
        let c = text.find('c').unwrap();
        assert_eq!(position(text, c, Encoding::Utf16), Position::new(1, 2));
        assert_eq!(position(text, c, Encoding::Utf8), Position::new(1, 4));
        let d = text.find('d').unwrap();
        assert_eq!(position(text, d, Encoding::Utf16), Position::new(2, 0));
        let x = text.find('x').unwrap();
        assert_eq!(position(text, x, Encoding::Utf16), Position::new(3, 2));
        let starts = line_starts(text);
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            for at in [c, d, x, 0, text.len()] {
                let p = position(text, at, encoding);
                assert_eq!(offset(text, &starts, p, encoding), at);
            }
        }
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\ncd";
        let starts = line_starts(text);
        assert_eq!(
            offset(text, &starts, Position::new(0, 99), Encoding::Utf16),
            2
        );
        assert_eq!(
            offset(text, &starts, Position::new(9, 0), Encoding::Utf16),
            5
        );
        assert_eq!(position(text, 99, Encoding::Utf16), Position::new(1, 2));
    }

    #[test]
    fn ranged_changes_apply() {
        let mut text = String::from("hello\nworld");
        apply_change(
            &mut text,
            Range::new(Position::new(1, 0), Position::new(1, 5)),
            "there",
            Encoding::Utf16,
        );
        assert_eq!(text, "hello\nthere");
        assert_eq!(indentation("x\n    y", 1), "    ");
    }
}
