//! Byte spans into a source text, and the line index that turns them into the 1-based lines and
//! character columns users see.

/// A half-open byte range `[start, end)` into one file's text.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        // Files over 4 GiB are refused before parsing, so offsets always fit.
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, inner: Span) -> bool {
        self.start <= inner.start && inner.end <= self.end
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// Start offsets of every line of a text, for offset → line/column lookups in O(log lines).
/// A line ends at `\n`, `\r\n` or a lone `\r` (old Mac files). Columns cost O(1) in ASCII
/// text and at most a 4 KiB scan otherwise, however long the line: a million findings on one
/// long line stay linear.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    /// Characters before each 4 KiB block of the text; empty when the text is ASCII.
    chars_before_block: Vec<u32>,
}

const BLOCK_SHIFT: u32 = 12;

/// Is this byte the first of a UTF-8 character (not a continuation byte)?
fn starts_char(byte: u8) -> bool {
    (byte as i8) >= -0x40
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        // Every warm run indexes every file: find line ends with memchr's vector search, not
        // byte by byte.
        for offset in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[offset] == b'\r' && bytes.get(offset + 1) == Some(&b'\n') {
                continue;
            }
            line_starts.push(u32::try_from(offset + 1).unwrap_or(u32::MAX));
        }
        let chars_before_block = if text.is_ascii() {
            Vec::new()
        } else {
            let mut counts = Vec::with_capacity((bytes.len() >> BLOCK_SHIFT) + 1);
            let mut seen = 0u32;
            for block in bytes.chunks(1 << BLOCK_SHIFT) {
                counts.push(seen);
                seen += block.iter().filter(|&&b| starts_char(b)).count() as u32;
            }
            counts.push(seen);
            counts
        };
        LineIndex {
            line_starts,
            chars_before_block,
        }
    }

    /// Characters in `text[..offset]`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        if self.chars_before_block.is_empty() {
            return offset;
        }
        let block = offset >> BLOCK_SHIFT;
        let Some(&before) = self.chars_before_block.get(block) else {
            return text[..offset].chars().count();
        };
        let from = block << BLOCK_SHIFT;
        before as usize
            + text.as_bytes()[from..offset]
                .iter()
                .filter(|&&b| starts_char(b))
                .count()
    }

    /// The 1-based line of a byte offset (clamped to the text).
    pub fn line_of(&self, offset: u32) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .max(1)
    }

    /// The 1-based line and character column of a byte offset (clamped to the text).
    pub fn line_column(&self, text: &str, offset: u32) -> LineColumn {
        let offset = offset.min(u32::try_from(text.len()).unwrap_or(u32::MAX));
        let line = self.line_of(offset) - 1;
        let line_start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while end > line_start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.chars_before(text, end) - self.chars_before(text, line_start) + 1;
        LineColumn {
            line: line + 1,
            column,
        }
    }

    /// The byte range of a 1-based line, without its line terminator.
    pub fn line_span(&self, text: &str, line: usize) -> Option<Span> {
        let start = *self.line_starts.get(line.checked_sub(1)?)? as usize;
        let mut end = self
            .line_starts
            .get(line)
            .map_or(text.len(), |&next| next as usize);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Some(Span::new(start, end))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "ab\nçé x\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.line_column(text, 0),
            LineColumn { line: 1, column: 1 }
        );
        // 'x' sits after two two-byte characters and a space.
        let x = text.find('x').unwrap() as u32;
        assert_eq!(
            index.line_column(text, x),
            LineColumn { line: 2, column: 4 }
        );
        assert_eq!(index.line_span(text, 2), Some(Span::new(3, 9)));
        assert_eq!(index.line_span(text, 9), None);
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let text = "a\nb";
        let index = LineIndex::new(text);
        assert_eq!(
            index.line_column(text, 99),
            LineColumn { line: 2, column: 2 }
        );
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let text = "a\rb\r\nc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let d = text.find('d').unwrap() as u32;
        assert_eq!(
            index.line_column(text, d),
            LineColumn { line: 4, column: 1 }
        );
        assert_eq!(index.line_span(text, 1), Some(Span::new(0, 1)));
        assert_eq!(index.line_span(text, 2), Some(Span::new(2, 3)));
    }

    #[test]
    fn columns_on_long_non_ascii_lines_count_characters() {
        let text = format!("{}x", "é".repeat(10_000));
        let index = LineIndex::new(&text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(
            index.line_column(&text, x),
            LineColumn {
                line: 1,
                column: 10_001
            }
        );
        // An offset inside a character counts from its start.
        assert_eq!(index.line_column(&text, 3).column, 2);
    }

    proptest::proptest! {
        /// Line starts as the byte-by-byte definition gives them, on text full of line ends.
        #[test]
        fn line_starts_match_the_definition(text in "[ab\\r\\né]{0,64}") {
            let bytes = text.as_bytes();
            let mut want = vec![0u32];
            for (offset, &byte) in bytes.iter().enumerate() {
                if byte == b'\n' || (byte == b'\r' && bytes.get(offset + 1) != Some(&b'\n')) {
                    want.push(offset as u32 + 1);
                }
            }
            proptest::prop_assert_eq!(LineIndex::new(&text).line_starts, want);
        }
    }
}
