//! Stage 1, read rows: split a CSV file into records with the csv crate's parser (`csv-core`),
//! keeping each record's exact bytes (quoting, embedded newlines, CRLF) and the line it starts
//! on, and refusing what is not UTF-8 CSV with a line number.

use std::io::Read;

use super::PlanError;

/// The bytes read from the file at a time.
const CHUNK: usize = 1 << 20;

/// The largest record accepted. The Bulk API takes at most 400,000 characters a record; a
/// record far larger is a quote left open, which would otherwise swallow the rest of the file.
pub const MAX_RECORD: usize = 16 << 20;

/// One record: its bytes as in the file (terminator included, when it has one) and its fields,
/// unquoted.
pub struct Row<'a> {
    pub raw: &'a [u8],
    fields: &'a [u8],
    ends: &'a [usize],
    /// The physical line the record starts on, 1-based.
    pub line: u64,
    /// The byte offset the record starts at.
    pub offset: u64,
}

impl<'a> Row<'a> {
    pub fn field_count(&self) -> usize {
        self.ends.len()
    }

    pub fn field(&self, index: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.fields.get(start..end)
    }
}

/// Splits a CSV byte stream into [`Row`]s, checking each is UTF-8.
pub struct RowReader<R> {
    source: R,
    /// Where error messages say the rows come from.
    name: String,
    buffer: Vec<u8>,
    start: usize,
    filled: usize,
    eof: bool,
    parser: csv_core::Reader,
    raw: Vec<u8>,
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// The physical line at the read position, 1-based.
    line: u64,
    /// Bytes consumed so far.
    pub consumed: u64,
}

impl<R: Read> RowReader<R> {
    pub fn new(source: R, name: &str) -> Self {
        RowReader {
            source,
            name: name.to_string(),
            buffer: vec![0; CHUNK],
            start: 0,
            filled: 0,
            eof: false,
            parser: csv_core::Reader::new(),
            raw: Vec::with_capacity(1024),
            fields: vec![0; 1024],
            ends: vec![0; 64],
            line: 1,
            consumed: 0,
        }
    }

    fn io_error(&self, source: std::io::Error) -> PlanError {
        PlanError::Read {
            path: self.name.clone(),
            source,
        }
    }

    /// Make sure unread bytes are buffered; false at the end of the input.
    fn fill(&mut self) -> Result<bool, PlanError> {
        if self.start < self.filled {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.start = 0;
        self.filled = 0;
        loop {
            match self.source.read(&mut self.buffer) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.filled = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(e)),
            }
        }
    }

    fn take(&mut self, count: usize, keep: bool) {
        let taken = &self.buffer[self.start..self.start + count];
        self.line += memchr_count(b'\n', taken);
        if keep {
            self.raw.extend_from_slice(taken);
        }
        self.start += count;
        self.consumed += count as u64;
    }

    /// The next record, or `None` at the end. Blank lines between records are skipped.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, PlanError> {
        // Blank lines are no record (the csv crate skips them too); leave them out of the bytes.
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let blank = self.buffer[self.start..self.filled]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            self.take(blank, false);
            if self.start < self.filled {
                break;
            }
        }
        let line = self.line;
        let offset = self.consumed;
        self.raw.clear();
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            let more = self.fill()?;
            let input = if more {
                &self.buffer[self.start..self.filled]
            } else {
                &[][..]
            };
            let (result, nin, nout, nend) = self.parser.read_record(
                input,
                &mut self.fields[out_len..],
                &mut self.ends[ends_len..],
            );
            self.take(nin, true);
            out_len += nout;
            ends_len += nend;
            if self.raw.len() > MAX_RECORD {
                return Err(PlanError::NotCsv {
                    path: self.name.clone(),
                    line,
                    reason: format!(
                        "the record starting here is longer than {} MB (a quote left open?)",
                        MAX_RECORD >> 20
                    ),
                });
            }
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    let grown = self.fields.len() * 2;
                    self.fields.resize(grown, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                csv_core::ReadRecordResult::Record => break,
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
        // csv-core ends a record at the `\r` of `\r\n`: the `\n` belongs to it too.
        if self.raw.last() == Some(&b'\r') && self.fill()? && self.buffer[self.start] == b'\n' {
            self.take(1, true);
        }
        check_text(&self.raw, &self.name, line)?;
        Ok(Some(Row {
            raw: &self.raw,
            fields: &self.fields[..out_len],
            ends: &self.ends[..ends_len],
            line,
            offset,
        }))
    }
}

fn memchr_count(needle: u8, haystack: &[u8]) -> u64 {
    haystack.iter().filter(|b| **b == needle).count() as u64
}

/// Refuse what is plainly not UTF-8 CSV, from the first bytes: UTF-16/32 (with or without a
/// byte-order mark), spreadsheets and other binary files, and empty files.
pub fn sniff(head: &[u8], name: &str) -> Result<(), PlanError> {
    let not_csv = |reason: String| PlanError::NotCsv {
        path: name.to_string(),
        line: 1,
        reason,
    };
    let convert = |encoding: &str, iconv: &str| {
        not_csv(format!(
            "the file is {encoding}, not UTF-8: convert it first, e.g. `iconv -f {iconv} -t UTF-8 {name} > utf8.csv`"
        ))
    };
    if head.starts_with(&[0xFF, 0xFE, 0, 0]) || head.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(convert(
            "UTF-32 (it starts with a byte-order mark)",
            "UTF-32",
        ));
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Err(convert(
            "UTF-16 little-endian (it starts with a byte-order mark)",
            "UTF-16",
        ));
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Err(convert(
            "UTF-16 big-endian (it starts with a byte-order mark)",
            "UTF-16",
        ));
    }
    if head.starts_with(b"PK\x03\x04") {
        return Err(not_csv(
            "the file is a zip archive (an Excel workbook?), not CSV: save it as \"CSV UTF-8\""
                .to_string(),
        ));
    }
    if let Some(nul) = head.iter().position(|b| *b == 0) {
        // ASCII text in UTF-16 has every other byte zero.
        let pairs = head.len() / 2;
        let even = head.iter().step_by(2).filter(|b| **b == 0).count();
        let odd = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
        if pairs >= 2 && odd * 10 >= pairs * 9 && even * 10 < pairs {
            return Err(convert(
                "UTF-16 little-endian (no byte-order mark)",
                "UTF-16LE",
            ));
        }
        if pairs >= 2 && even * 10 >= pairs * 9 && odd * 10 < pairs {
            return Err(convert(
                "UTF-16 big-endian (no byte-order mark)",
                "UTF-16BE",
            ));
        }
        let line = 1 + memchr_count(b'\n', &head[..nul]);
        return Err(PlanError::NotCsv {
            path: name.to_string(),
            line,
            reason: "a NUL byte: this is a binary file, not CSV text".to_string(),
        });
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if text.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(PlanError::Empty {
            path: name.to_string(),
        });
    }
    Ok(())
}

/// A record must be UTF-8 without NUL bytes; say which encoding the bytes look like otherwise.
fn check_text(raw: &[u8], name: &str, line: u64) -> Result<(), PlanError> {
    if let Some(nul) = raw.iter().position(|b| *b == 0) {
        return Err(PlanError::NotCsv {
            path: name.to_string(),
            line: line + memchr_count(b'\n', &raw[..nul]),
            reason: "a NUL byte: this is a binary file, not CSV text".to_string(),
        });
    }
    let Err(error) = std::str::from_utf8(raw) else {
        return Ok(());
    };
    let at = error.valid_up_to();
    let line = line + memchr_count(b'\n', &raw[..at]);
    let byte = raw.get(at).copied().unwrap_or(0);
    Err(PlanError::NotUtf8 {
        path: name.to_string(),
        line,
        byte,
        guess: guess_encoding(&raw[at..]),
    })
}

/// What a run of bytes that is not UTF-8 most likely is: Windows-1252 (a superset of Latin-1's
/// printable characters) when its high bytes stand alone between ASCII, as single-byte
/// encodings write accented letters, curly quotes and the euro sign.
fn guess_encoding(bytes: &[u8]) -> Option<&'static str> {
    let sample = &bytes[..bytes.len().min(4096)];
    let mut high = 0;
    let mut lone = 0;
    let mut c1 = 0;
    for (i, b) in sample.iter().enumerate() {
        if *b < 0x80 {
            continue;
        }
        high += 1;
        let prev_ascii = i == 0 || sample[i - 1] < 0x80;
        let next_ascii = sample.get(i + 1).is_none_or(|n| *n < 0x80);
        if prev_ascii && next_ascii {
            lone += 1;
        }
        if (0x80..0xA0).contains(b) {
            c1 += 1;
        }
    }
    if high == 0 || lone * 2 < high {
        return None;
    }
    Some(if c1 > 0 {
        "Windows-1252"
    } else {
        "Windows-1252 or Latin-1 (ISO-8859-1)"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[u8]) -> Vec<(Vec<u8>, Vec<Vec<u8>>, u64)> {
        let mut reader = RowReader::new(data, "t.csv");
        let mut all = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            let fields = (0..row.field_count())
                .map(|i| row.field(i).unwrap().to_vec())
                .collect();
            all.push((row.raw.to_vec(), fields, row.line));
        }
        all
    }

    #[test]
    fn records_keep_their_exact_bytes() {
        let data = b"\xEF\xBB\xBFa,b\r\n1,\"x\r\ny\"\r\n\r\n2,\"q\"\"\"\r\n3,z";
        let rows = rows(data);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].0, b"\xEF\xBB\xBFa,b\r\n");
        assert_eq!(rows[0].1, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(rows[1].0, b"1,\"x\r\ny\"\r\n");
        assert_eq!(rows[1].1[1], b"x\r\ny");
        assert_eq!(rows[2].0, b"2,\"q\"\"\"\r\n");
        assert_eq!(rows[2].2, 5);
        assert_eq!(rows[3].0, b"3,z");
        assert_eq!(rows[3].2, 6);
    }

    #[test]
    fn latin1_is_named() {
        let error = rows_error(b"a,b\nCaf\xE9,1\n");
        assert!(error.contains("t.csv:2"), "{error}");
        assert!(error.contains("Latin-1"), "{error}");
    }

    fn rows_error(data: &[u8]) -> String {
        let mut reader = RowReader::new(data, "t.csv");
        loop {
            match reader.next_row() {
                Ok(Some(_)) => continue,
                Ok(None) => return String::new(),
                Err(e) => return e.to_string(),
            }
        }
    }

    #[test]
    fn sniffing() {
        assert!(sniff(b"\xFF\xFEa\0,\0", "t.csv").is_err());
        assert!(sniff(b"a\0,\0b\0\n\0", "t.csv").is_err());
        assert!(sniff(b"\xEF\xBB\xBF\r\n", "t.csv").is_err());
        assert!(sniff(b"a,b\n", "t.csv").is_ok());
    }
}
