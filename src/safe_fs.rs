//! File access for a repository that may be hostile (DESIGN.md, "Trust: a repository is
//! untrusted input"): reads that stop at a size cap and never block on a FIFO, and writes that
//! follow no symbolic link, create their temporary files exclusively and leave nothing
//! half-written.
//!
//! Paths above the folder a caller starts from (the project root, the user's cache folder, an
//! output folder given on the command line) are trusted as given; every component below it is
//! opened without following a link, so a link planted in the repository is never written
//! through.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

/// `lockgen.toml`, `sfdx-project.json`, `.forceignore`: settings, never this large.
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;
/// A baseline: about 200 bytes per recorded finding.
pub const MAX_BASELINE_BYTES: u64 = 64 << 20;
/// A class, trigger or metadata file (the parser refuses Apex over 8 MB on its own).
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Why a capped read failed.
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// A FIFO, a device, a folder: reading it could block or never end.
    NotAFile,
    TooLarge {
        cap: u64,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(error) => error.fmt(f),
            ReadError::NotAFile => f.write_str("not a regular file"),
            ReadError::TooLarge { cap } => write!(f, "larger than {}, lockgen's limit", size(*cap)),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<ReadError> for io::Error {
    fn from(error: ReadError) -> io::Error {
        match error {
            ReadError::Io(error) => error,
            other => io::Error::other(other.to_string()),
        }
    }
}

/// `1 MB`, `64 MB`.
fn size(bytes: u64) -> String {
    format!("{} MB", bytes >> 20)
}

/// Read a whole file of at most `cap` bytes. FIFOs and devices are refused before a byte is
/// read (`--config /dev/zero` is an error, not 10 GB), and opening never blocks.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO blocks in open() until a writer comes; a regular file ignores the flag.
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    read_open_file(file, cap)
}

fn read_open_file(file: File, cap: u64) -> Result<Vec<u8>, ReadError> {
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge { cap });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The size can change under us: never read more than the cap, whatever it said.
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge { cap });
    }
    Ok(bytes)
}

/// [`read_capped`] as text, without a UTF-8 byte-order mark.
pub fn read_text_capped(path: &Path, cap: u64) -> Result<String, ReadError> {
    let mut bytes = read_capped(path, cap)?;
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes)
        .map_err(|_| ReadError::Io(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text")))
}

/// Does `path`, which names something inside `root` (canonical), lead outside it through a
/// symbolic link? A path that does not exist does not.
pub fn leads_outside(root: &Path, path: &Path) -> bool {
    match std::fs::canonicalize(path) {
        Ok(real) => !real.starts_with(root),
        Err(_) => false,
    }
}

/// `path` made absolute against the working directory, `.` and `..` resolved by name.
pub fn absolute(path: &Path) -> io::Result<PathBuf> {
    let mut out = if path.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir()?
    };
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    Ok(out)
}

/// What a name in a folder is, without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

/// A path lockgen will not use: a link where it writes, something else where a folder should be.
#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Is this error lockgen refusing a link (or a file where a folder should be), rather than the
/// system failing?
pub fn is_refusal(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<Refused>())
}

fn symlink_error(path: &Path) -> io::Error {
    io::Error::other(Refused(format!(
        "{} is a symbolic link, and lockgen writes through none",
        path.display()
    )))
}

fn not_a_folder(path: &Path) -> io::Error {
    io::Error::other(Refused(format!("{} is not a folder", path.display())))
}

/// An open folder: every operation names an entry directly in it, and none follows a link.
pub struct Folder {
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
    path: PathBuf,
}

/// A folder opened by [`Folder::open_beneath`], and how many of the components below the base
/// it created (the last ones).
pub struct Opened {
    pub folder: Folder,
    pub created: usize,
}

/// How long a temporary file of a live run may take before another run removes it anyway.
const STALE_AFTER: Duration = Duration::from_secs(3600);

impl Folder {
    /// Open `base` (trusted: links in it are followed), then each folder of `below` under it
    /// without following a link; `create` makes the missing ones. A component that is a link,
    /// or not a folder, is an error.
    pub fn open_beneath(base: &Path, below: &[&OsStr], create: bool) -> io::Result<Opened> {
        let mut folder = Folder::open_trusted(base, create)?;
        let mut created = 0;
        for name in below {
            check_name(name)?;
            let path = folder.path.join(name);
            let made = match folder.kind(name)? {
                Some(Kind::Dir) => false,
                Some(Kind::Symlink) => return Err(symlink_error(&path)),
                Some(_) => return Err(not_a_folder(&path)),
                None if create => folder.mkdir(name)?,
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{} does not exist", path.display()),
                    ));
                }
            };
            created = if made { created + 1 } else { 0 };
            folder = folder.open_child(name)?;
        }
        Ok(Opened { folder, created })
    }

    /// The folder that holds `path` (which must exist), opened for writing there, and the file
    /// name. Below the project `root`, when the path lies inside it, no folder is followed
    /// through a link; elsewhere the path is the user's, taken as given.
    pub fn for_file(path: &Path, root: &Path) -> io::Result<(Folder, OsString)> {
        let absolute = absolute(path)?;
        let name = absolute
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?
            .to_os_string();
        let parent = absolute.parent().unwrap_or(Path::new("/"));
        let opened = match parent.strip_prefix(root) {
            Ok(below) => {
                let parts: Vec<&OsStr> = below.iter().collect();
                Folder::open_beneath(root, &parts, false)?
            }
            Err(_) => Folder::open_beneath(parent, &[], false)?,
        };
        Ok((opened.folder, name))
    }

    /// The folder itself, shown.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Create a file that must not exist (a link there is not followed: the call fails).
    pub fn create_new(&self, name: &OsStr) -> io::Result<File> {
        check_name(name)?;
        self.create_exclusive(name, 0o666)
    }

    /// Create a temporary file named `.{stem}.{pid}-{random}.{suffix}`, exclusively.
    pub fn create_temp(&self, stem: &str, suffix: &str) -> io::Result<(OsString, File)> {
        let mut last = None;
        for _ in 0..16 {
            let name = OsString::from(format!(
                ".{stem}.{}-{:016x}.{suffix}",
                std::process::id(),
                random_u64()
            ));
            match self.create_exclusive(&name, 0o666) {
                Ok(file) => return Ok((name, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
    }

    /// Write `bytes` to `name` all or nothing: a temporary file beside it, renamed into place
    /// (a rename replaces a link at `name`, never follows it). The temporary file is removed
    /// on any failure.
    pub fn write_atomic(&self, name: &OsStr, bytes: &[u8], suffix: &str) -> io::Result<()> {
        check_name(name)?;
        let stem = name.to_string_lossy();
        let (temporary, mut file) = self.create_temp(&stem, suffix)?;
        let written = file.write_all(bytes).and_then(|()| file.flush());
        drop(file);
        let result = written.and_then(|()| self.rename(&temporary, self, name));
        if result.is_err() {
            let _ = self.remove_file(&temporary);
        }
        result
    }

    /// Read a regular file of at most `cap` bytes; a link is not followed.
    pub fn read_capped(&self, name: &OsStr, cap: u64) -> Result<Vec<u8>, ReadError> {
        check_name(name).map_err(ReadError::Io)?;
        let file = self.open_read(name).map_err(ReadError::Io)?;
        read_open_file(file, cap)
    }

    /// Remove temporary files ending in `.{suffix}` that a run killed part-way left behind:
    /// their process is gone, or they are older than an hour.
    pub fn remove_stale_temps(&self, suffix: &str) {
        let Ok(names) = self.names() else { return };
        let tail = format!(".{suffix}");
        for name in names {
            let Some(text) = name.to_str() else { continue };
            if !text.starts_with('.') || !text.ends_with(&tail) {
                continue;
            }
            let Some(pid) = temp_pid(&text[..text.len() - tail.len()]) else {
                continue;
            };
            let old = self
                .modified(&name)
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .is_some_and(|age| age > STALE_AFTER);
            if (pid != std::process::id() && !process_alive(pid)) || old {
                let _ = self.remove_file(&name);
            }
        }
    }
}

/// The process id in `.{stem}.{pid}-{random}` (the suffix already cut).
fn temp_pid(text: &str) -> Option<u32> {
    let last = text.rsplit('.').next()?;
    let (pid, random) = last.split_once('-')?;
    if random.len() != 16 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    pid.parse().ok()
}

/// One name, never a path: no separator, not `.` or `..`.
fn check_name(name: &OsStr) -> io::Result<()> {
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(_)), None) => Ok(()),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` is not a file name", name.to_string_lossy()),
        )),
    }
}

/// Random bits for temporary names and keys; the clock when the OS has none to give.
pub fn random_u64() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()) << 32
    })
}

/// Is a process with this id running (ours or another user's)?
#[cfg(unix)]
pub fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        // It exists, but belongs to someone else.
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

#[cfg(not(unix))]
pub fn process_alive(_pid: u32) -> bool {
    // Unknown: only age removes a temporary file here.
    true
}

#[cfg(unix)]
mod imp {
    use std::ffi::{OsStr, OsString};
    use std::fs::File;
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};

    use super::{Folder, Kind, check_name, symlink_error};

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::CLOEXEC);

    impl Folder {
        pub(super) fn open_trusted(base: &Path, create: bool) -> io::Result<Folder> {
            if create {
                std::fs::create_dir_all(base)?;
            }
            let fd = rustix::fs::open(base, DIR_FLAGS, Mode::empty())?;
            Ok(Folder {
                fd,
                path: base.to_path_buf(),
            })
        }

        pub(super) fn open_child(&self, name: &OsStr) -> io::Result<Folder> {
            check_name(name)?;
            let path = self.path.join(name);
            match rustix::fs::openat(&self.fd, name, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty()) {
                Ok(fd) => Ok(Folder { fd, path }),
                Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR)
                    if self.kind(name)? == Some(Kind::Symlink) =>
                {
                    Err(symlink_error(&path))
                }
                Err(e) => Err(e.into()),
            }
        }

        /// Make a folder; `false` when it appeared meanwhile (another run made it).
        pub(super) fn mkdir(&self, name: &OsStr) -> io::Result<bool> {
            check_name(name)?;
            match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o777)) {
                Ok(()) => Ok(true),
                Err(rustix::io::Errno::EXIST) => Ok(false),
                Err(e) => Err(e.into()),
            }
        }

        pub(super) fn create_exclusive(&self, name: &OsStr, mode: u32) -> io::Result<File> {
            check_name(name)?;
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode))?;
            Ok(File::from(fd))
        }

        pub(super) fn open_read(&self, name: &OsStr) -> io::Result<File> {
            check_name(name)?;
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.fd, name, flags, Mode::empty())?;
            Ok(File::from(fd))
        }

        /// Rename `from` here to `to` in `target` (the same folder or another).
        pub fn rename(&self, from: &OsStr, target: &Folder, to: &OsStr) -> io::Result<()> {
            check_name(from)?;
            check_name(to)?;
            rustix::fs::renameat(&self.fd, from, &target.fd, to)?;
            Ok(())
        }

        /// Publish `from` as `to` only if `to` does not exist (a hard link, then `from` goes).
        pub fn link_new(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
            check_name(from)?;
            check_name(to)?;
            rustix::fs::linkat(&self.fd, from, &self.fd, to, AtFlags::empty())?;
            Ok(())
        }

        pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
            check_name(name)?;
            rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?;
            Ok(())
        }

        /// Remove an empty folder.
        pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
            check_name(name)?;
            rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)?;
            Ok(())
        }

        /// What `name` is (`None`: nothing there), without following a link.
        pub fn kind(&self, name: &OsStr) -> io::Result<Option<Kind>> {
            check_name(name)?;
            match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => Ok(Some(match FileType::from_raw_mode(stat.st_mode) {
                    FileType::RegularFile => Kind::File,
                    FileType::Directory => Kind::Dir,
                    FileType::Symlink => Kind::Symlink,
                    _ => Kind::Other,
                })),
                Err(rustix::io::Errno::NOENT) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }

        pub(super) fn modified(&self, name: &OsStr) -> io::Result<SystemTime> {
            check_name(name)?;
            let stat = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)?;
            let seconds = u64::try_from(stat.st_mtime).unwrap_or(0);
            Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
        }

        pub fn names(&self) -> io::Result<Vec<OsString>> {
            let mut dir = rustix::fs::Dir::read_from(&self.fd)?;
            let mut names = Vec::new();
            while let Some(entry) = dir.read() {
                let entry = entry?;
                let name = entry.file_name().to_bytes();
                if name != b"." && name != b".." {
                    names.push(OsStr::from_bytes(name).to_os_string());
                }
            }
            Ok(names)
        }

        /// Create a file readable by its owner only (a key).
        pub fn create_private(&self, name: &OsStr) -> io::Result<File> {
            self.create_exclusive(name, 0o600)
        }
    }
}

#[cfg(not(unix))]
mod imp {
    //! Elsewhere, the same promises by checking each component before using it.
    use std::ffi::{OsStr, OsString};
    use std::fs::File;
    use std::io;
    use std::path::Path;
    use std::time::SystemTime;

    use super::{Folder, Kind, check_name, symlink_error};

    impl Folder {
        pub(super) fn open_trusted(base: &Path, create: bool) -> io::Result<Folder> {
            if create {
                std::fs::create_dir_all(base)?;
            }
            if !base.is_dir() {
                return Err(super::not_a_folder(base));
            }
            Ok(Folder {
                path: base.to_path_buf(),
            })
        }

        pub(super) fn open_child(&self, name: &OsStr) -> io::Result<Folder> {
            check_name(name)?;
            let path = self.path.join(name);
            match self.kind(name)? {
                Some(Kind::Dir) => Ok(Folder { path }),
                Some(Kind::Symlink) => Err(symlink_error(&path)),
                _ => Err(super::not_a_folder(&path)),
            }
        }

        pub(super) fn mkdir(&self, name: &OsStr) -> io::Result<bool> {
            check_name(name)?;
            match std::fs::create_dir(self.path.join(name)) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(e),
            }
        }

        pub(super) fn create_exclusive(&self, name: &OsStr, _mode: u32) -> io::Result<File> {
            check_name(name)?;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.path.join(name))
        }

        pub(super) fn open_read(&self, name: &OsStr) -> io::Result<File> {
            check_name(name)?;
            if self.kind(name)? == Some(Kind::Symlink) {
                return Err(symlink_error(&self.path.join(name)));
            }
            File::open(self.path.join(name))
        }

        pub fn rename(&self, from: &OsStr, target: &Folder, to: &OsStr) -> io::Result<()> {
            check_name(from)?;
            check_name(to)?;
            std::fs::rename(self.path.join(from), target.path.join(to))
        }

        pub fn link_new(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
            check_name(from)?;
            check_name(to)?;
            std::fs::hard_link(self.path.join(from), self.path.join(to))
        }

        pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
            check_name(name)?;
            std::fs::remove_file(self.path.join(name))
        }

        pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
            check_name(name)?;
            std::fs::remove_dir(self.path.join(name))
        }

        pub fn kind(&self, name: &OsStr) -> io::Result<Option<Kind>> {
            check_name(name)?;
            match std::fs::symlink_metadata(self.path.join(name)) {
                Ok(meta) => Ok(Some(if meta.file_type().is_symlink() {
                    Kind::Symlink
                } else if meta.is_dir() {
                    Kind::Dir
                } else if meta.is_file() {
                    Kind::File
                } else {
                    Kind::Other
                })),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }

        pub(super) fn modified(&self, name: &OsStr) -> io::Result<SystemTime> {
            check_name(name)?;
            std::fs::symlink_metadata(self.path.join(name))?.modified()
        }

        pub fn names(&self) -> io::Result<Vec<OsString>> {
            std::fs::read_dir(&self.path)?
                .map(|entry| entry.map(|e| e.file_name()))
                .collect()
        }

        pub fn create_private(&self, name: &OsStr) -> io::Result<File> {
            self.create_exclusive(name, 0o600)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_carry_the_process() {
        assert_eq!(temp_pid(".results.bin.4242-00112233aabbccdd"), Some(4242));
        assert_eq!(temp_pid(".results.bin.4242-xyz"), None);
        assert_eq!(temp_pid("results.bin"), None);
    }

    #[test]
    fn names_are_single_components() {
        assert!(check_name(OsStr::new("a.cls")).is_ok());
        for bad in ["", ".", "..", "a/b", "/etc"] {
            assert!(check_name(OsStr::new(bad)).is_err(), "{bad}");
        }
    }
}
