//! Stage 4, write: the header, then every row's exact bytes in planned order, into a temporary
//! file created new in the target folder and renamed over `--out` only once complete.
//! A file larger than memory goes through bucket files (rows distributed by output position,
//! then each bucket put in order in memory), in the run's temporary folder.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::PlanError;

/// The output file while it is written: removed unless [`Output::commit`] is called.
pub struct Output {
    writer: BufWriter<tempfile::NamedTempFile>,
    target: PathBuf,
    /// Removes the temporary file on Ctrl-C.
    _guard: super::cleanup::Registered,
}

impl Output {
    /// A new output for `target`, with the permissions of `like` (the input).
    pub fn create(target: &Path, like: &Path) -> Result<Output, PlanError> {
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Created with O_EXCL under a fresh name: never an existing file, never a symlink.
        let file = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&folder)
            .map_err(|source| PlanError::Write {
                path: target.display().to_string(),
                source,
            })?;
        // The temporary file is private (0600); the output reads like the input.
        if let Ok(metadata) = std::fs::metadata(like) {
            let _ = file.as_file().set_permissions(metadata.permissions());
        }
        Ok(Output {
            _guard: super::cleanup::register(file.path()),
            writer: BufWriter::with_capacity(1 << 20, file),
            target: target.to_path_buf(),
        })
    }

    fn error(&self, source: std::io::Error) -> PlanError {
        PlanError::Write {
            path: self.target.display().to_string(),
            source,
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), PlanError> {
        self.writer.write_all(bytes).map_err(|e| self.error(e))
    }

    /// Rename the finished file over the target (unless the run was interrupted meanwhile).
    pub fn commit(self) -> Result<(), PlanError> {
        super::cleanup::check()?;
        let target = self.target.clone();
        let error = |source| PlanError::Write {
            path: target.display().to_string(),
            source,
        };
        let file = self
            .writer
            .into_inner()
            .map_err(|e| error(e.into_error()))?;
        file.persist(&target).map_err(|e| error(e.error))?;
        Ok(())
    }
}

/// The line terminator rows get when the file's last row (which had none) moves up.
pub fn terminator_of(header: &[u8]) -> &'static [u8] {
    if header.ends_with(b"\r\n") {
        b"\r\n"
    } else if header.ends_with(b"\r") {
        b"\r"
    } else {
        b"\n"
    }
}

fn terminated(raw: &[u8]) -> bool {
    matches!(raw.last(), Some(b'\n' | b'\r'))
}

/// Rows held in memory: their bytes back to back, and where each ends.
#[derive(Default)]
pub struct MemoryRows {
    pub bytes: Vec<u8>,
    pub ends: Vec<u64>,
}

impl MemoryRows {
    pub fn push(&mut self, raw: &[u8]) {
        self.bytes.extend_from_slice(raw);
        self.ends.push(self.bytes.len() as u64);
    }

    fn row(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.bytes[start as usize..self.ends[index] as usize]
    }

    /// Write the rows so that row `r` lands at position `positions[r]`.
    pub fn write(
        &self,
        positions: &[u32],
        terminator: &[u8],
        out: &mut Output,
    ) -> Result<(), PlanError> {
        let mut order = vec![0u32; positions.len()];
        for (row, position) in positions.iter().enumerate() {
            order[*position as usize] = row as u32;
        }
        let last = order.len().saturating_sub(1);
        for (position, row) in order.iter().enumerate() {
            if position.is_multiple_of(65536) {
                super::cleanup::check()?;
            }
            let raw = self.row(*row as usize);
            out.write(raw)?;
            if position < last && !terminated(raw) {
                out.write(terminator)?;
            }
        }
        Ok(())
    }
}

/// Where the rows sit in the input: from `from` on, back to back, `lens[r]` bytes each, with
/// the `gaps` (blank lines) left out before some rows.
pub struct Layout<'a> {
    pub from: u64,
    pub lens: &'a [u32],
    pub gaps: &'a [(u32, u64)],
}

/// The error for a temporary file; the path is formatted only when there is one.
fn temp(path: &Path) -> impl FnOnce(std::io::Error) -> PlanError + '_ {
    move |source| PlanError::Temp {
        path: path.display().to_string(),
        source,
    }
}

/// Positions per block when sizing buckets.
const BLOCK: usize = 4096;

/// Write the rows of a file too large for memory in planned order: one pass over the input
/// puts each row in the bucket of its output position, then each bucket (at most `budget`
/// bytes, unless one block of rows is larger) is ordered in memory and written.
#[allow(clippy::too_many_arguments)]
pub fn write_spilled(
    input: &Path,
    name: &str,
    read_before: &std::fs::Metadata,
    layout: Layout<'_>,
    positions: &[u32],
    budget: u64,
    dir: &Path,
    terminator: &[u8],
    out: &mut Output,
    progress: &dyn Fn(u64),
) -> Result<(), PlanError> {
    let lens = layout.lens;
    let mut block_bytes = vec![0u64; positions.len().div_ceil(BLOCK)];
    for (row, position) in positions.iter().enumerate() {
        block_bytes[*position as usize / BLOCK] += u64::from(lens[row]) + 8;
    }
    let total: u64 = block_bytes.iter().sum();
    // At most 256 buckets open at once.
    let budget = budget.max(total / 256 + 1);
    let mut bucket_of_block = Vec::with_capacity(block_bytes.len());
    let mut bucket_starts: Vec<usize> = vec![0];
    let mut filled = 0u64;
    for (block, bytes) in block_bytes.iter().enumerate() {
        if filled > 0 && filled + bytes > budget {
            bucket_starts.push(block * BLOCK);
            filled = 0;
        }
        filled += bytes;
        bucket_of_block.push(bucket_starts.len() - 1);
    }
    bucket_starts.push(positions.len());
    let paths: Vec<PathBuf> = (0..bucket_starts.len() - 1)
        .map(|b| dir.join(format!("bucket-{b}.bin")))
        .collect();
    let mut buckets = Vec::with_capacity(paths.len());
    for path in &paths {
        let file = File::create_new(path).map_err(temp(path))?;
        buckets.push(BufWriter::with_capacity(64 * 1024, file));
    }

    // The rows were checked when read: copy them by their lengths, without parsing again,
    // unless the file changed in between.
    let read_error = |source| PlanError::Read {
        path: name.to_string(),
        source,
    };
    let changed = || PlanError::Changed {
        path: name.to_string(),
    };
    let mut file = File::open(input).map_err(read_error)?;
    let now = file.metadata().map_err(read_error)?;
    if now.len() != read_before.len() || now.modified().ok() != read_before.modified().ok() {
        return Err(changed());
    }
    file.seek(SeekFrom::Start(layout.from))
        .map_err(read_error)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut raw = Vec::new();
    let mut gaps = layout.gaps.iter().peekable();
    let mut consumed = layout.from;
    for (row, (position, len)) in positions.iter().zip(lens).enumerate() {
        if let Some((_, gap)) = gaps.next_if(|(r, _)| *r as usize == row) {
            std::io::copy(&mut (&mut reader).take(*gap), &mut std::io::sink())
                .map_err(read_error)?;
            consumed += gap;
        }
        raw.resize(*len as usize, 0);
        reader.read_exact(&mut raw).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => changed(),
            _ => read_error(e),
        })?;
        consumed += u64::from(*len);
        let bucket = bucket_of_block[*position as usize / BLOCK];
        let writer = &mut buckets[bucket];
        writer
            .write_all(&position.to_le_bytes())
            .and_then(|()| writer.write_all(&len.to_le_bytes()))
            .and_then(|()| writer.write_all(&raw))
            .map_err(temp(&paths[bucket]))?;
        if row.is_multiple_of(65536) {
            progress(consumed);
            super::cleanup::check()?;
        }
    }
    for (writer, path) in buckets.into_iter().zip(&paths) {
        writer
            .into_inner()
            .map_err(|e| e.into_error())
            .map_err(temp(path))?;
    }

    let last = positions.len().saturating_sub(1);
    for (bucket, path) in paths.iter().enumerate() {
        super::cleanup::check()?;
        let first = bucket_starts[bucket];
        let count = bucket_starts[bucket + 1] - first;
        let mut bytes = Vec::new();
        BufReader::new(File::open(path).map_err(temp(path))?)
            .read_to_end(&mut bytes)
            .map_err(temp(path))?;
        let mut spans = vec![(0usize, 0usize); count];
        let mut at = 0;
        while at + 8 <= bytes.len() {
            let word =
                |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
            let position = word(at) as usize;
            let len = word(at + 4) as usize;
            if let Some(span) = position.checked_sub(first).and_then(|i| spans.get_mut(i)) {
                *span = (at + 8, len);
            }
            at += 8 + len;
        }
        for (index, (start, len)) in spans.into_iter().enumerate() {
            let raw = bytes.get(start..start + len).unwrap_or_default();
            out.write(raw)?;
            if first + index < last && !terminated(raw) {
                out.write(terminator)?;
            }
        }
        drop(bytes);
        // Free the disk as we go; the folder goes at the end in any case.
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Copy the input unchanged (the plan keeps the file's order).
pub fn copy_unchanged(input: &Path, name: &str, out: &mut Output) -> Result<(), PlanError> {
    let mut file = File::open(input).map_err(|source| PlanError::Read {
        path: name.to_string(),
        source,
    })?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(PlanError::Read {
                    path: name.to_string(),
                    source,
                });
            }
        };
        out.write(&buffer[..n])?;
    }
}
