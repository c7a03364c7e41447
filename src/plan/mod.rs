//! `lockgen plan FILE.csv --object C`: reorder a bulk load so that batches running at the same
//! time never lock the same parent, and report the collisions before and after.
//!
//! The pipeline, one stage a module: [`read`] rows (exact bytes, checked UTF-8 CSV) →
//! [`keys`] (which parent each row locks, from the lock graph) → [`sort`] (rows grouped by
//! parent, in memory or in spilled runs) → [`pack`] batches (whole groups per batch) →
//! [`simulate`] (collisions, exactly) → [`write`] (atomic) → [`report`].

mod cleanup;
mod keys;
mod pack;
mod read;
mod report;
mod simulate;
mod sort;
mod write;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use crate::cli::{PlanArgs, PlanFormat};
use crate::index::{self, Project};
use crate::project::{self, Layout};

use keys::KeyColumns;
use read::RowReader;
use report::{Group, KeyCollisions, Order, PlanReport};
use simulate::Collisions;
use sort::{KeySorter, Sorted};
use write::{MemoryRows, Output};

/// A parent with more children than this is skewed (Salesforce's threshold for data skew).
pub const SKEW: u64 = 10_000;

/// How many of the largest groups the report names.
const LARGEST: usize = 10;

/// Files at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_FROM: u64 = 64 << 20;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Project(#[from] crate::project::ProjectError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] crate::index::LoadError),

    #[error("unknown object `{object}`: {root} has no metadata for it{}", did_you_mean(.suggestion))]
    #[diagnostic(code(lockgen::plan::unknown_object))]
    UnknownObject {
        object: String,
        root: String,
        suggestion: Option<String>,
    },

    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(lockgen::plan::read))]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: empty file: a bulk load needs a header line")]
    #[diagnostic(code(lockgen::plan::empty))]
    Empty { path: String },

    #[error("{path}:{line}: not a CSV file: {reason}")]
    #[diagnostic(code(lockgen::plan::not_csv))]
    NotCsv {
        path: String,
        line: u64,
        reason: String,
    },

    #[error("{path}:{line}: not UTF-8 (byte 0x{byte:02X}){}", encoding_help(.guess, .path))]
    #[diagnostic(code(lockgen::plan::not_utf8))]
    NotUtf8 {
        path: String,
        line: u64,
        byte: u8,
        guess: Option<&'static str>,
    },

    #[error("{path}:{line}: the row has {found} field{}, the header has {expected}{hint}", plural_s(.found))]
    #[diagnostic(code(lockgen::plan::ragged))]
    Ragged {
        path: String,
        line: u64,
        found: usize,
        expected: usize,
        hint: &'static str,
    },

    #[error("{path}: more than {} rows; split the file", u32::MAX - 1)]
    #[diagnostic(code(lockgen::plan::too_many_rows))]
    TooManyRows { path: String },

    #[error("--out {out} is the input file: lockgen plan never overwrites its input")]
    #[diagnostic(code(lockgen::plan::out_is_input))]
    OutIsInput { out: String },

    #[error("{path} changed while lockgen read it; run again")]
    #[diagnostic(code(lockgen::plan::changed))]
    Changed { path: String },

    #[error("cannot write {path}: {source}")]
    #[diagnostic(code(lockgen::plan::write))]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("temporary file {path}: {source}")]
    #[diagnostic(code(lockgen::plan::temp))]
    Temp {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("interrupted")]
    #[diagnostic(code(lockgen::plan::interrupted))]
    Interrupted,

    #[error("cannot write the report: {0}")]
    #[diagnostic(code(lockgen::plan::output))]
    Report(#[source] std::io::Error),
}

fn plural_s(n: &usize) -> &'static str {
    if *n == 1 { "" } else { "s" }
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

fn encoding_help(guess: &Option<&'static str>, path: &str) -> String {
    match guess {
        Some(encoding) => {
            let iconv = if encoding.starts_with("Windows-1252") {
                "WINDOWS-1252"
            } else {
                "LATIN1"
            };
            format!(
                "; the bytes look like {encoding}: convert the file first, e.g. `iconv -f {iconv} -t UTF-8 {path} > utf8.csv`"
            )
        }
        None => "; convert the file to UTF-8 first".to_string(),
    }
}

/// The command: returns the exit code (0), or the error that ends the run with 2.
pub fn run(
    args: &PlanArgs,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<i32, PlanError> {
    let result = run_plan(args, out, err);
    if cleanup::interrupted() {
        let _ = writeln!(err, "lockgen: interrupted; temporary files removed");
        return Ok(EXIT_INTERRUPTED);
    }
    result
}

/// Exit code after Ctrl-C (128 + SIGINT), as shells report it.
const EXIT_INTERRUPTED: i32 = 130;

fn run_plan(
    args: &PlanArgs,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<i32, PlanError> {
    let name = args.file.display().to_string();
    let metadata = std::fs::metadata(&args.file).map_err(|source| PlanError::Read {
        path: name.clone(),
        source,
    })?;
    // The file is read more than once: a pipe or a device would not read the same twice.
    if !metadata.is_file() {
        return Err(PlanError::Read {
            path: name,
            source: std::io::Error::other("not a regular file"),
        });
    }
    if let Some(target) = &args.out {
        refuse_input_as_output(&args.file, target)?;
    }
    let mut clock = Clock::start();
    let project = load_project(args, err)?;
    clock.lap("project");
    let Some(object) = keys::object_known(&project, &args.object) else {
        return Err(PlanError::UnknownObject {
            object: args.object.clone(),
            root: project.root.clone(),
            suggestion: keys::suggest_object(&project, &args.object),
        });
    };
    let lock_keys = keys::lock_keys(&project, &object);

    let mut head = Vec::with_capacity(64 * 1024);
    File::open(&args.file)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|source| PlanError::Read {
            path: name.clone(),
            source,
        })?;
    read::sniff(&head, &name)?;
    drop(head);

    let mut plan = Planner::new(args, &name, metadata.len())?;
    let file = File::open(&args.file).map_err(|source| PlanError::Read {
        path: name.clone(),
        source,
    })?;
    let mut reader = RowReader::new(file, &name);
    let Some(header_row) = reader.next_row()? else {
        return Err(PlanError::Empty { path: name });
    };
    let header: Vec<String> = (0..header_row.field_count())
        .map(|i| String::from_utf8_lossy(header_row.field(i).unwrap_or_default()).into_owned())
        .collect();
    let header_raw = header_row.raw.to_vec();
    let columns = keys::match_columns(&lock_keys, &header);

    let mut report = PlanReport::new(args, &object, lock_keys, &columns);
    plan.read_rows(&mut reader, &header, &columns)?;
    clock.lap("read");
    report.rows = u64::from(plan.rows);
    report.batches = u64::from(plan.rows).div_ceil(u64::from(args.batch_size));
    plan.progress.finish();

    if columns.is_empty() {
        report.order = Order::Unchanged;
        if let Some(target) = &args.out {
            let mut output = Output::create(target, &args.file)?;
            write::copy_unchanged(&args.file, &name, &mut output)?;
            output.commit()?;
            report.output = Some(target.display().to_string());
            clock.lap("write");
        }
        report.advise();
        if args.timings {
            let _ = write!(err, "{}", clock.render());
        }
        return render(&report, args.format, out);
    }

    let sorted: Vec<Sorted> = std::mem::take(&mut plan.sorters)
        .into_iter()
        .map(KeySorter::finish)
        .collect::<Result<_, _>>()?;
    report.spilled_runs = sorted.iter().map(Sorted::spilled_runs).sum();
    clock.lap("sort");
    let positions = plan.plan(&sorted, &columns, &mut report)?;
    drop(sorted);
    clock.lap("plan");

    if let Some(target) = &args.out {
        let mut output = Output::create(target, &args.file)?;
        match (&positions, &plan.memory_rows) {
            (None, _) => write::copy_unchanged(&args.file, &name, &mut output)?,
            (Some(positions), Some(rows)) => {
                output.write(&header_raw)?;
                rows.write(positions, write::terminator_of(&header_raw), &mut output)?;
            }
            (Some(positions), None) => {
                output.write(&header_raw)?;
                let dir = plan.temp_dir()?;
                let progress = Progress::new(plan.size, "writing");
                write::write_spilled(
                    &args.file,
                    &name,
                    &metadata,
                    write::Layout {
                        from: plan.rows_from,
                        lens: &plan.lens,
                        gaps: &plan.gaps,
                    },
                    positions,
                    args.memory / 4,
                    &dir,
                    write::terminator_of(&header_raw),
                    &mut output,
                    &|bytes| progress.set(bytes),
                )?;
                progress.finish();
            }
        }
        output.commit()?;
        report.output = Some(target.display().to_string());
        clock.lap("write");
    }
    report.advise();
    if args.timings {
        let _ = write!(err, "{}", clock.render());
    }
    render(&report, args.format, out)
}

/// Wall-clock time per stage, for `--timings`.
struct Clock {
    started: std::time::Instant,
    last: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Clock {
    fn start() -> Clock {
        let now = std::time::Instant::now();
        Clock {
            started: now,
            last: now,
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((stage, now - self.last));
        self.last = now;
    }

    fn render(&self) -> String {
        let mut text = String::from("lockgen: plan timings (wall clock, ms)\n");
        for (stage, took) in self.laps.iter().chain([&("total", self.started.elapsed())]) {
            text.push_str(&format!(
                "  {stage:<9}{:>10.1}\n",
                took.as_secs_f64() * 1000.0
            ));
        }
        text
    }
}

fn render(
    report: &PlanReport,
    format: PlanFormat,
    out: &mut dyn std::io::Write,
) -> Result<i32, PlanError> {
    let written = match format {
        PlanFormat::Human => out.write_all(report::human(report).as_bytes()),
        PlanFormat::Json => out.write_all(report::json(report).as_bytes()),
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(PlanError::Report(e)),
        _ => Ok(0),
    }
}

/// `--out` must not be the input, by path or by identity (a hard link, `./x` vs `x`).
fn refuse_input_as_output(input: &Path, target: &Path) -> Result<(), PlanError> {
    let refuse = || PlanError::OutIsInput {
        out: target.display().to_string(),
    };
    let canonical_input = std::fs::canonicalize(input).ok();
    let canonical_target = std::fs::canonicalize(target).ok().or_else(|| {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Some(
            std::fs::canonicalize(parent)
                .ok()?
                .join(target.file_name()?),
        )
    });
    if canonical_input.is_some() && canonical_input == canonical_target {
        return Err(refuse());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(input), std::fs::metadata(target))
            && a.dev() == b.dev()
            && a.ino() == b.ino()
        {
            return Err(refuse());
        }
    }
    Ok(())
}

/// The project: `--project`, else the one around the CSV file, else the current folder.
fn load_project(args: &PlanArgs, err: &mut dyn std::io::Write) -> Result<Project, PlanError> {
    let discovery = match &args.project {
        Some(dir) => project::discover(std::slice::from_ref(dir))?,
        None => {
            let around = project::discover(std::slice::from_ref(&args.file))?;
            if around.layout == Layout::Bare {
                project::discover(&[])?
            } else {
                around
            }
        }
    };
    for note in &discovery.notes {
        let _ = writeln!(err, "lockgen: {note}");
    }
    let raw = index::read(&discovery)?;
    // The same authenticated parse cache as `lint`; none when it cannot be opened safely.
    let store = crate::cache::Store::open(&discovery.root).ok();
    let mut cache = match &store {
        Some(store) => index::ModelCache::load(store),
        None => index::ModelCache::disabled(),
    };
    let mut project = index::parse(&discovery, raw, &mut cache)?;
    project.analyse();
    Ok(project)
}

/// A progress bar on stderr for large files, when stderr is a terminal; else nothing.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(size: u64, message: &'static str) -> Progress {
        if size < PROGRESS_FROM || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "lockgen: {msg:8} [{bar:30}] {bytes}/{total_bytes} ({eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message);
        Progress(Some(bar))
    }

    fn set(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(bytes);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// The state of one run between stages.
struct Planner<'a> {
    args: &'a PlanArgs,
    name: &'a str,
    size: u64,
    rows: u32,
    /// One sorter per lock key with a column, the primary first.
    sorters: Vec<KeySorter>,
    /// The rows themselves, when the file fits in memory.
    memory_rows: Option<MemoryRows>,
    /// Row lengths, when it does not (the rows are read again to write them) …
    lens: Vec<u32>,
    /// … and the blank lines left out between rows: `(row, bytes before it)`.
    gaps: Vec<(u32, u64)>,
    /// Where the first row starts.
    rows_from: u64,
    temp: Option<tempfile::TempDir>,
    /// Removes the temporary folder on Ctrl-C; declared after it, so dropped after it.
    temp_guard: Option<cleanup::Registered>,
    temp_parent: PathBuf,
    progress: Progress,
}

impl<'a> Planner<'a> {
    fn new(args: &'a PlanArgs, name: &'a str, size: u64) -> Result<Planner<'a>, PlanError> {
        let in_memory = size <= args.memory / 2;
        let temp_parent = args
            .out
            .as_deref()
            .unwrap_or(&args.file)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut planner = Planner {
            args,
            name,
            size,
            rows: 0,
            sorters: Vec::new(),
            memory_rows: in_memory.then(|| MemoryRows {
                bytes: Vec::with_capacity(size as usize),
                ends: Vec::new(),
            }),
            lens: Vec::new(),
            gaps: Vec::new(),
            rows_from: 0,
            temp: None,
            temp_guard: None,
            temp_parent,
            progress: Progress::new(size, "reading"),
        };
        if !in_memory {
            planner.temp_dir()?;
        }
        Ok(planner)
    }

    /// The run's temporary folder, made on first use next to the output (or the input), else
    /// in the system's; removed when the run ends, whatever way it ends.
    fn temp_dir(&mut self) -> Result<PathBuf, PlanError> {
        if let Some(dir) = &self.temp {
            return Ok(dir.path().to_path_buf());
        }
        let make = |parent: &Path| {
            tempfile::Builder::new()
                .prefix(".lockgen-plan-")
                .tempdir_in(parent)
        };
        let dir = make(&self.temp_parent)
            .or_else(|_| make(&std::env::temp_dir()))
            .map_err(|source| PlanError::Temp {
                path: self.temp_parent.display().to_string(),
                source,
            })?;
        let path = dir.path().to_path_buf();
        self.temp_guard = Some(cleanup::register(&path));
        self.temp = Some(dir);
        Ok(path)
    }

    /// Stage 1 and 2: every row checked, its parents' keys handed to the sorters.
    fn read_rows<R: Read>(
        &mut self,
        reader: &mut RowReader<R>,
        header: &[String],
        columns: &[KeyColumns],
    ) -> Result<(), PlanError> {
        let dir = self.temp_dir()?;
        let limit = match self.memory_rows.is_some() {
            true => usize::MAX,
            false => (self.args.memory / 4) as usize / columns.len().max(1),
        };
        self.sorters = (0..columns.len())
            .map(|k| KeySorter::new(limit, &dir, &format!("key{k}")))
            .collect();
        let mut key = Vec::new();
        let mut next_offset = reader.consumed;
        self.rows_from = next_offset;
        while let Some(row) = reader.next_row()? {
            if row.field_count() != header.len() {
                return Err(PlanError::Ragged {
                    path: self.name.to_string(),
                    line: row.line,
                    found: row.field_count(),
                    expected: header.len(),
                    hint: if row.raw.iter().filter(|b| **b == b'\n').count() > 1 {
                        " (a quote left open?)"
                    } else {
                        ""
                    },
                });
            }
            let index = self.rows;
            if index == u32::MAX - 1 {
                return Err(PlanError::TooManyRows {
                    path: self.name.to_string(),
                });
            }
            for (k, column) in columns.iter().enumerate() {
                column.value(&row, &mut key);
                // Rows with no primary parent still need a place; other keys skip them.
                if k == 0 || !key.is_empty() {
                    self.sorters[k].push(&key, index)?;
                }
            }
            match &mut self.memory_rows {
                Some(rows) => rows.push(row.raw),
                None => {
                    self.lens
                        .push(u32::try_from(row.raw.len()).unwrap_or(u32::MAX));
                    if row.offset > next_offset {
                        self.gaps.push((index, row.offset - next_offset));
                    }
                    next_offset = row.offset + row.raw.len() as u64;
                }
            }
            self.rows += 1;
            if self.rows.is_multiple_of(65536) {
                self.progress.set(reader.consumed);
                cleanup::check()?;
            }
        }
        Ok(())
    }

    /// Stages 3 and the simulation: group, pack, and count collisions in the file's order and
    /// in the plan's. Returns every row's output position, or `None` to keep the file's order.
    fn plan(
        &self,
        sorted: &[Sorted],
        columns: &[KeyColumns],
        report: &mut PlanReport,
    ) -> Result<Option<Vec<u32>>, PlanError> {
        let batch = u64::from(self.args.batch_size);
        let parallel = u64::from(self.args.parallel);
        let primary = &sorted[0];

        // Pass 1: group sizes, the file's own collisions, the largest and skewed parents.
        let mut sizes: Vec<u32> = Vec::new();
        let mut free = 0u32;
        let mut before = Collisions::default();
        let mut largest: BinaryHeap<Reverse<(u64, Reverse<u32>, String)>> = BinaryHeap::new();
        let mut named: Vec<(u32, String)> = Vec::new();
        let mut skewed: Vec<(Reverse<u64>, u32, String)> = Vec::new();
        // The rows in group order, kept (4 bytes a row) so that pass 2 need not merge again.
        let mut merged: Vec<u32> = Vec::with_capacity(self.rows as usize);
        let mut free_at: Option<usize> = None;
        primary.each_group(|key, rows| {
            merged.extend_from_slice(rows);
            if key.is_empty() {
                free = rows.len() as u32;
                free_at = Some(sizes.len());
                return Ok(());
            }
            let group = sizes.len() as u32;
            let size = rows.len() as u64;
            sizes.push(rows.len() as u32);
            before.add_sorted(rows.iter().map(|r| u64::from(*r)), batch, parallel);
            report.histogram_add(size);
            if largest.len() < LARGEST
                || largest
                    .peek()
                    .is_some_and(|Reverse((s, g, _))| (size, Reverse(group)) > (*s, *g))
            {
                largest.push(Reverse((size, Reverse(group), keys::display_value(key))));
                if largest.len() > LARGEST {
                    largest.pop();
                }
            }
            if size > batch {
                named.push((group, keys::display_value(key)));
            }
            // Skew is counted apart from batches: a batch may be larger than 10,000 rows.
            if size > SKEW {
                skewed.push((Reverse(size), group, keys::display_value(key)));
            }
            Ok(())
        })?;
        skewed.sort_unstable();
        report.skewed = skewed
            .into_iter()
            .map(|(Reverse(rows), _, parent)| Group { parent, rows })
            .collect();
        report.parents = sizes.len() as u64;
        report.rows_without_parent = u64::from(free);
        let mut largest: Vec<(u64, Reverse<u32>, String)> =
            largest.into_iter().map(|Reverse(entry)| entry).collect();
        largest.sort_by_key(|entry| Reverse((entry.0, entry.1)));
        report.largest = largest
            .into_iter()
            .map(|(rows, _, parent)| Group { parent, rows })
            .collect();

        // Stage 3: pack.
        let placement = pack::pack(&sizes, free, self.args.batch_size, self.args.parallel);
        let name_of = |group: u32| {
            named
                .binary_search_by_key(&group, |(g, _)| *g)
                .map_or_else(|_| String::new(), |i| named[i].1.clone())
        };
        report.set_serial(
            placement
                .serial
                .iter()
                .map(|g| Group {
                    parent: name_of(*g),
                    rows: u64::from(sizes[*g as usize]),
                })
                .collect(),
            u64::from(placement.serial_rows),
        );
        report.split = placement.split.len() as u64;

        // Pass 2: every row's position, and the plan's collisions.
        let mut positions = vec![0u32; self.rows as usize];
        let mut after = Collisions::default();
        let mut places: Vec<u32> = Vec::new();
        let mut rest = merged.as_slice();
        for group in 0..=sizes.len() {
            if free_at == Some(group) {
                let (rows, next) = rest.split_at_checked(free as usize).unwrap_or((rest, &[]));
                placement.free_positions(&mut places);
                for (row, place) in rows.iter().zip(&places) {
                    positions[*row as usize] = *place;
                }
                rest = next;
            }
            let Some(size) = sizes.get(group) else {
                break;
            };
            let (rows, next) = rest.split_at_checked(*size as usize).unwrap_or((rest, &[]));
            placement.positions(group as u32, &mut places, rows.len());
            after.add_sorted(places.iter().map(|p| u64::from(*p)), batch, parallel);
            for (row, place) in rows.iter().zip(&places) {
                positions[*row as usize] = *place;
            }
            rest = next;
        }
        drop(merged);
        let mut by_key = vec![KeyCollisions::new(&columns[0], before, after)];

        // The other parents a row locks (a junction's second master …), in both orders.
        for (column, sorted) in columns.iter().zip(sorted).skip(1) {
            let mut before = Collisions::default();
            let mut after = Collisions::default();
            sorted.each_group(|_, rows| {
                before.add_sorted(rows.iter().map(|r| u64::from(*r)), batch, parallel);
                places.clear();
                places.extend(rows.iter().map(|r| positions[*r as usize]));
                places.sort_unstable();
                after.add_sorted(places.iter().map(|p| u64::from(*p)), batch, parallel);
                Ok(())
            })?;
            by_key.push(KeyCollisions::new(column, before, after));
        }
        let total_before = by_key
            .iter()
            .fold(Collisions::default(), |a, k| a.plus(k.before));
        let total_after = by_key
            .iter()
            .fold(Collisions::default(), |a, k| a.plus(k.after));
        // Never worse than the file's own order.
        let keep = total_after.collisions > total_before.collisions;
        if keep {
            for key in &mut by_key {
                key.after = key.before;
            }
        }
        report.collisions_by_key = by_key;
        report.order = if keep { Order::Kept } else { Order::Reordered };
        Ok((!keep).then_some(positions))
    }
}
