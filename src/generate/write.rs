//! Writing generated files all or nothing.
//!
//! Every file is first written to a temporary file created exclusively beside it (a link
//! planted at any name is never followed), then all are renamed into place. A failure part-way
//! removes every temporary file and undoes every rename. A run killed part-way leaves a journal
//! (`.lockgen-new.<pid>-<random>.journal` in the project root, or the output folder), which the
//! next `lockgen new` there reads to finish or undo what the killed run did.
//!
//! Below the project root, no folder is followed through a link: a repository cannot make
//! `lockgen new` write outside it.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::{GenerateError, GeneratedFile};
use crate::safe_fs::{self, Folder, Kind};

const TEMP_SUFFIX: &str = "lockgen-tmp";
const BACKUP_SUFFIX: &str = "lockgen-old";
const JOURNAL_PREFIX: &str = ".lockgen-new.";
const JOURNAL_SUFFIX: &str = "journal";
const JOURNAL_HEADER: &str = "lockgen-new 1";
/// Written when the journal lists every file: only then are temporary files made.
const BEGIN: &str = "begin";
/// Written when every temporary file is complete: only then do renames start.
const COMMIT: &str = "commit";

/// Where a generated file goes: its folder below the anchor, and its name.
struct Place {
    below: Vec<OsString>,
    name: OsString,
}

/// One file of a write, as the journal records it.
struct Entry {
    below: Vec<OsString>,
    name: OsString,
    temporary: OsString,
    /// A hard link to the file this one replaces (with `--force`), until the write is done.
    backup: Option<OsString>,
    /// BLAKE3 of the new content, to tell our file from one edited since.
    digest: String,
}

/// Finish or undo the writes of runs killed part-way, before a generator decides which of its
/// files exist already (a file a killed run left behind is not the team's).
pub fn recover_interrupted(files: &[GeneratedFile]) {
    let Some(first) = files.first() else { return };
    let Ok(anchor_path) = anchor(&first.path) else {
        return;
    };
    if let Ok(opened) = Folder::open_beneath(&anchor_path, &[], false) {
        recover(&opened.folder);
    }
}

pub fn write_all(files: &[GeneratedFile], force: bool) -> Result<(), GenerateError> {
    let Some(first) = files.first() else {
        return Ok(());
    };
    let error = |file: &GeneratedFile| {
        let shown = file.shown.clone();
        move |source| GenerateError::Write {
            path: shown,
            source,
        }
    };
    let anchor_path = anchor(&first.path).map_err(error(first))?;
    let mut places = Vec::with_capacity(files.len());
    for file in files {
        places.push(place(&anchor_path, &file.path).map_err(error(file))?);
    }
    let anchor = Folder::open_beneath(&anchor_path, &[], false)
        .map_err(error(first))?
        .folder;
    recover(&anchor);

    // Refuse to overwrite (without --force) before anything is written. A link counts as a file.
    let mut exists = Vec::with_capacity(files.len());
    for (file, place) in files.iter().zip(&places) {
        let found = match open(&anchor_path, &place.below, false) {
            Ok(folder) => folder.folder.kind(&place.name).map_err(error(file))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(error(file)(e)),
        };
        if found.is_some() && !force {
            return Err(GenerateError::Exists(file.shown.clone()));
        }
        if found == Some(Kind::Dir) {
            return Err(error(file)(io::Error::other("a folder is in the way")));
        }
        exists.push(found.is_some());
    }

    let mut write = Write::new(&anchor_path, &anchor);
    match write.run(files, &places, &exists) {
        Ok(()) => {
            write.finish();
            Ok(())
        }
        Err((index, source)) => {
            write.undo();
            Err(error(&files[index.min(files.len() - 1)])(source))
        }
    }
}

/// The folder writes start from: the nearest folder above the file that is a project root
/// (`sfdx-project.json` or `package.xml`) reached without a link; else the nearest folder that
/// exists, which the user named.
fn anchor(path: &Path) -> io::Result<PathBuf> {
    let absolute = safe_fs::absolute(path)?;
    let parent = absolute.parent().unwrap_or(Path::new("/"));
    let is_root = |dir: &Path| {
        let file = |p: PathBuf| p.symlink_metadata().is_ok_and(|m| m.is_file());
        std::fs::canonicalize(dir).is_ok_and(|real| real == dir)
            && (file(dir.join("sfdx-project.json"))
                || file(dir.join("package.xml"))
                || file(dir.join("src").join("package.xml")))
    };
    if let Some(root) = parent.ancestors().find(|dir| is_root(dir)) {
        return Ok(root.to_path_buf());
    }
    parent
        .ancestors()
        .find(|dir| dir.is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no folder to write in"))
}

fn place(anchor: &Path, path: &Path) -> io::Result<Place> {
    let absolute = safe_fs::absolute(path)?;
    let outside = || io::Error::other("the files of one generation go to different places");
    let rest = absolute.strip_prefix(anchor).map_err(|_| outside())?;
    let mut parts: Vec<OsString> = rest.iter().map(OsStr::to_os_string).collect();
    let name = parts.pop().ok_or_else(outside)?;
    Ok(Place { below: parts, name })
}

fn open(anchor: &Path, below: &[OsString], create: bool) -> io::Result<safe_fs::Opened> {
    let below: Vec<&OsStr> = below.iter().map(OsString::as_os_str).collect();
    Folder::open_beneath(anchor, &below, create)
}

fn temp_name(name: &OsStr, what: &str) -> OsString {
    OsString::from(format!(
        ".{}.{}-{:016x}.{what}",
        name.to_string_lossy(),
        std::process::id(),
        safe_fs::random_u64()
    ))
}

/// One write in progress, and what it has done so far (to undo it).
struct Write<'a> {
    anchor_path: &'a Path,
    anchor: &'a Folder,
    journal: Option<(OsString, std::fs::File)>,
    entries: Vec<Entry>,
    /// Folders this write created, deepest last: `(anchor-relative path)`.
    created: Vec<Vec<OsString>>,
    /// Entries whose temporary file exists.
    staged: usize,
    /// Entries renamed into place (they are renamed last to first).
    placed: Vec<usize>,
}

impl<'a> Write<'a> {
    fn new(anchor_path: &'a Path, anchor: &'a Folder) -> Write<'a> {
        Write {
            anchor_path,
            anchor,
            journal: None,
            entries: Vec::new(),
            created: Vec::new(),
            staged: 0,
            placed: Vec::new(),
        }
    }

    fn run(
        &mut self,
        files: &[GeneratedFile],
        places: &[Place],
        exists: &[bool],
    ) -> Result<(), (usize, io::Error)> {
        // Folders first, without following a link below the anchor.
        for (index, place) in places.iter().enumerate() {
            let opened = open(self.anchor_path, &place.below, true).map_err(|e| (index, e))?;
            for made in (0..opened.created).rev() {
                let path = place.below[..place.below.len() - made].to_vec();
                if !self.created.contains(&path) {
                    self.created.push(path);
                }
            }
        }
        for ((file, place), exists) in files.iter().zip(places).zip(exists) {
            self.entries.push(Entry {
                below: place.below.clone(),
                name: place.name.clone(),
                temporary: temp_name(&place.name, TEMP_SUFFIX),
                backup: exists.then(|| temp_name(&place.name, BACKUP_SUFFIX)),
                digest: blake3::hash(file.content.as_bytes()).to_hex().to_string(),
            });
        }
        self.start_journal().map_err(|e| (0, e))?;

        // Stage: every file complete in a temporary file of its own.
        for (index, file) in files.iter().enumerate() {
            let entry = &self.entries[index];
            let folder = self.folder(&entry.below).map_err(|e| (index, e))?;
            let mut temporary = folder
                .create_new(&entry.temporary)
                .map_err(|e| (index, e))?;
            self.staged = index + 1;
            temporary
                .write_all(file.content.as_bytes())
                .and_then(|()| temporary.flush())
                .map_err(|e| (index, e))?;
        }
        self.journal_line(COMMIT).map_err(|e| (0, e))?;

        // Place: the first file (the trigger, or the class the others serve) goes in last, so
        // a run killed part-way never leaves it without the rest.
        for index in (0..self.entries.len()).rev() {
            let entry = &self.entries[index];
            let folder = self.folder(&entry.below).map_err(|e| (index, e))?;
            if let Some(backup) = &entry.backup {
                folder
                    .link_new(&entry.name, backup)
                    .map_err(|e| (index, e))?;
            }
            folder
                .rename(&entry.temporary, &folder, &entry.name)
                .map_err(|e| (index, e))?;
            self.placed.push(index);
        }
        Ok(())
    }

    fn folder(&self, below: &[OsString]) -> io::Result<Folder> {
        Ok(open(self.anchor_path, below, false)?.folder)
    }

    fn start_journal(&mut self) -> io::Result<()> {
        let name = OsString::from(format!(
            "{JOURNAL_PREFIX}{}-{:016x}.{JOURNAL_SUFFIX}",
            std::process::id(),
            safe_fs::random_u64()
        ));
        let file = self.anchor.create_new(&name)?;
        self.journal = Some((name, file));
        let mut text = format!("{JOURNAL_HEADER}\n");
        for entry in &self.entries {
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{}\t{}",
                join(&entry.below),
                entry.name.to_string_lossy(),
                entry.temporary.to_string_lossy(),
                entry
                    .backup
                    .as_ref()
                    .map_or("-".into(), |b| b.to_string_lossy()),
                entry.digest
            );
        }
        text.push_str(BEGIN);
        text.push('\n');
        self.journal_text(&text)
    }

    fn journal_line(&mut self, line: &str) -> io::Result<()> {
        self.journal_text(&format!("{line}\n"))
    }

    fn journal_text(&mut self, text: &str) -> io::Result<()> {
        match &mut self.journal {
            Some((_, file)) => file.write_all(text.as_bytes()).and_then(|()| file.flush()),
            None => Ok(()),
        }
    }

    /// Everything is in place: drop the backups, then the journal.
    fn finish(self) {
        for entry in &self.entries {
            if let (Some(backup), Ok(folder)) = (&entry.backup, self.folder(&entry.below)) {
                let _ = folder.remove_file(backup);
            }
        }
        if let Some((name, _)) = &self.journal {
            let _ = self.anchor.remove_file(name);
        }
    }

    /// Undo a write that failed: restore what was replaced, remove what was added, every
    /// temporary file and every folder this write created.
    fn undo(self) {
        for &index in &self.placed {
            let entry = &self.entries[index];
            let Ok(folder) = self.folder(&entry.below) else {
                continue;
            };
            match &entry.backup {
                Some(backup) => {
                    let _ = folder.rename(backup, &folder, &entry.name);
                }
                None => {
                    let _ = folder.remove_file(&entry.name);
                }
            }
        }
        for entry in &self.entries[..self.staged] {
            if let Ok(folder) = self.folder(&entry.below) {
                let _ = folder.remove_file(&entry.temporary);
                if let Some(backup) = &entry.backup {
                    let _ = folder.remove_file(backup);
                }
            }
        }
        for path in self.created.iter().rev() {
            if let Some((name, parent)) = path.split_last()
                && let Ok(folder) = self.folder(parent)
            {
                let _ = folder.remove_dir(name);
            }
        }
        if let Some((name, _)) = &self.journal {
            let _ = self.anchor.remove_file(name);
        }
    }
}

fn join(parts: &[OsString]) -> String {
    let parts: Vec<String> = parts
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Finish or undo the writes of runs killed part-way (their journals, whose process is gone).
/// Only names in the anchor's folders are touched, never through a link.
fn recover(anchor: &Folder) {
    let Ok(names) = anchor.names() else { return };
    for name in names {
        let Some(text) = name.to_str() else { continue };
        let Some(middle) = text
            .strip_prefix(JOURNAL_PREFIX)
            .and_then(|rest| rest.strip_suffix(&format!(".{JOURNAL_SUFFIX}")))
        else {
            continue;
        };
        let Some(pid) = middle
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || safe_fs::process_alive(pid) {
            continue;
        }
        if let Ok(bytes) = anchor.read_capped(&name, 1 << 20)
            && let Ok(journal) = String::from_utf8(bytes)
        {
            replay(anchor, &journal);
        }
        let _ = anchor.remove_file(&name);
    }
}

fn replay(anchor: &Folder, journal: &str) {
    let mut lines = journal.lines();
    if lines.next() != Some(JOURNAL_HEADER) {
        return;
    }
    let mut entries = Vec::new();
    let mut begun = false;
    let mut committed = false;
    for line in lines {
        match line {
            BEGIN => begun = true,
            COMMIT => committed = true,
            _ if !begun => {
                if let Some(entry) = parse_entry(line) {
                    entries.push(entry);
                }
            }
            _ => {}
        }
    }
    if !begun {
        // Killed while writing the journal: no temporary file was made yet.
        return;
    }
    let folders: Vec<Option<Folder>> = entries
        .iter()
        .map(|e| open(anchor.path(), &e.below, false).ok().map(|o| o.folder))
        .collect();
    let exists = |folder: &Folder, name: &OsStr| folder.kind(name).ok().flatten().is_some();
    let ours = |folder: &Folder, entry: &Entry| {
        folder
            .read_capped(&entry.name, safe_fs::MAX_INPUT_BYTES)
            .is_ok_and(|bytes| blake3::hash(&bytes).to_hex().as_str() == entry.digest)
    };
    // Every rename happened: the write was complete but for its cleanup.
    let complete = committed
        && entries.iter().zip(&folders).all(|(entry, folder)| {
            folder
                .as_ref()
                .is_some_and(|f| !exists(f, &entry.temporary) && ours(f, entry))
        });
    for (entry, folder) in entries.iter().zip(&folders) {
        let Some(folder) = folder else { continue };
        let backup = entry.backup.as_deref();
        if complete {
            if let Some(backup) = backup {
                let _ = folder.remove_file(backup);
            }
        } else if !committed || exists(folder, &entry.temporary) {
            // Never renamed in: what is in place is what was there before.
            let _ = folder.remove_file(&entry.temporary);
            if let Some(backup) = backup {
                let _ = folder.remove_file(backup);
            }
        } else if ours(folder, entry) {
            // Renamed in: put back what it replaced, or remove it.
            match backup {
                Some(backup) if exists(folder, backup) => {
                    let _ = folder.rename(backup, folder, &entry.name);
                }
                _ => {
                    let _ = folder.remove_file(&entry.name);
                }
            }
        }
    }
}

fn parse_entry(line: &str) -> Option<Entry> {
    let mut fields = line.split('\t');
    let below = fields.next()?;
    let name = fields.next()?;
    let temporary = fields.next()?;
    let backup = fields.next()?;
    let digest = fields.next()?;
    let below: Vec<OsString> = if below == "." {
        Vec::new()
    } else {
        below.split('/').map(OsString::from).collect()
    };
    // A journal is only trusted to name lockgen's own temporary files: one that a repository
    // commits cannot make this remove anything else.
    let ours = |temporary: &str, what: &str| {
        temporary.starts_with(&format!(".{name}.")) && temporary.ends_with(&format!(".{what}"))
    };
    if !ours(temporary, TEMP_SUFFIX) || (backup != "-" && !ours(backup, BACKUP_SUFFIX)) {
        return None;
    }
    Some(Entry {
        below,
        name: name.into(),
        temporary: temporary.into(),
        backup: (backup != "-").then(|| backup.into()),
        digest: digest.to_string(),
    })
}
