//! A repository is untrusted input (DESIGN.md, "Trust"). Each test is one attack from issue 10,
//! run on the real binary with real links, FIFOs and files: it reads nothing outside the
//! project, writes through no link, takes no forged or edited cache, injects nothing into a
//! terminal or a CI log, and stays bounded in time, memory and output.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::SFDX_PROJECT;

const LOOPING: &str = "public with sharing class Looping {
    public static void touch(List<Account> accounts) {
        for (Account a : accounts) {
            update a;
        }
    }
}
";

const CLASSES: &str = "force-app/main/default/classes";

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Outcome {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {} / {}", self.stdout, self.stderr))
    }

    fn rules(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    }
}

/// How the binary is started: its home (the user's cache folder and key live there), its working
/// folder, and a shell prefix (resource limits).
struct Run<'a> {
    home: &'a Path,
    cwd: Option<&'a Path>,
    shell: Option<String>,
    seconds: u64,
}

impl<'a> Run<'a> {
    fn new(home: &'a Path) -> Run<'a> {
        Run {
            home,
            cwd: None,
            shell: None,
            seconds: 60,
        }
    }

    fn cwd(mut self, cwd: &'a Path) -> Self {
        self.cwd = Some(cwd);
        self
    }

    fn shell(mut self, prefix: &str) -> Self {
        self.shell = Some(prefix.to_string());
        self
    }

    fn seconds(mut self, seconds: u64) -> Self {
        self.seconds = seconds;
        self
    }

    /// Run lockgen with these arguments, killed after the time limit (a failure).
    fn lockgen(&self, args: &[&str]) -> Outcome {
        let prefix = self.shell.clone().unwrap_or_default();
        self.command(
            Command::new("sh")
                .arg("-c")
                .arg(format!("{prefix} exec \"$0\" \"$@\""))
                .arg(env!("CARGO_BIN_EXE_lockgen"))
                .args(args),
        )
    }

    fn command(&self, command: &mut Command) -> Outcome {
        let started = Instant::now();
        command
            .env("HOME", self.home)
            .env_remove("XDG_CACHE_HOME")
            .env_remove("RUST_BACKTRACE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(cwd) = self.cwd {
            command.current_dir(cwd);
        }
        let mut child = command.spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout.read_to_end(&mut bytes);
            bytes
        });
        let err = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stderr.read_to_end(&mut bytes);
            bytes
        });
        let deadline = started + Duration::from_secs(self.seconds);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("still running after {} s: {command:?}", self.seconds);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let outcome = Outcome {
            code: status.code(),
            stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
            took: started.elapsed(),
        };
        assert!(
            !outcome.stderr.contains("internal error") && !outcome.stderr.contains("panicked"),
            "{}",
            outcome.stderr
        );
        outcome
    }
}

/// A project with one finding (LCK007 on `Account`), and a home folder of its own.
fn looping() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = common::project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (&format!("{CLASSES}/Looping.cls"), LOOPING),
    ]);
    (dir, tempfile::tempdir().unwrap())
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every file below `dir`, relative, sorted (links listed, not followed).
fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_dir() {
            found.push(
                entry
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    found
}

fn strace_works() -> bool {
    let works = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        eprintln!("strace is not available here: the kill and fault injections are skipped");
    }
    works
}

// ---- 1. a forged cache committed to the repository ----

/// LEB128, as postcard writes integers.
fn varint(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The 34-byte `results.bin` that made lockgen 0.1.0 report "no findings": its key was
/// computable from the files alone.
fn forged_results_of_old(root: &Path, files: &[&str]) -> Vec<u8> {
    let stamp = format!("lockgen-cache 1 {}", env!("CARGO_PKG_VERSION"));
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(stamp.as_bytes());
    for code in lockgen::rules::registry::metas().map(|m| m.code) {
        hasher.update(code.as_bytes());
        hasher.update(&[0]);
    }
    for file in files {
        let bytes = fs::read(root.join(file)).unwrap();
        hasher.update(file.as_bytes());
        hasher.update(&[0]);
        hasher.update(&xxhash_rust::xxh3::xxh3_64(&bytes).to_le_bytes());
    }
    let mut out = Vec::new();
    varint(stamp.len() as u64, &mut out);
    out.extend_from_slice(stamp.as_bytes());
    varint(hasher.digest(), &mut out);
    out.extend_from_slice(&[0, 0, 0]);
    out
}

/// Re-sign a cache entry with `secret` after editing its payload, as an attacker who knows the
/// format (but not the user's key) would: checksum and MAC both recomputed.
fn resign(entry: &[u8], name: &str, secret: &[u8; 32], edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let key_len = u32::from_le_bytes(entry[56..60].try_into().unwrap()) as usize;
    let key = &entry[60..60 + key_len];
    let mut payload = entry[60 + key_len..].to_vec();
    edit(&mut payload);
    let sum = xxhash_rust::xxh3::xxh3_128(&payload).to_le_bytes();
    let mut hasher = blake3::Hasher::new_keyed(secret);
    hasher.update(name.as_bytes());
    hasher.update(&[0]);
    hasher.update(&(key.len() as u64).to_le_bytes());
    hasher.update(key);
    hasher.update(&sum);
    hasher.update(&payload);
    let mut out = entry[..8].to_vec();
    out.extend_from_slice(hasher.finalize().as_bytes());
    out.extend_from_slice(&sum);
    out.extend_from_slice(&entry[56..60 + key_len]);
    out.extend_from_slice(&payload);
    out
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut count = 0;
    let mut at = 0;
    while at + from.len() <= bytes.len() {
        if &bytes[at..at + from.len()] == from {
            bytes[at..at + from.len()].copy_from_slice(to);
            count += 1;
            at += from.len();
        } else {
            at += 1;
        }
    }
    count
}

#[test]
fn a_forged_cache_in_the_repository_changes_no_result() {
    let (dir, home) = looping();
    let root = dir.path();
    let run = Run::new(home.path());
    let cold = run.lockgen(&["lint", s(root), "--format", "json", "--no-cache"]);
    assert_eq!(cold.code, Some(1));

    // The 34-byte forgery of the old format.
    let cache = root.join(".lockgen/cache");
    fs::create_dir_all(&cache).unwrap();
    fs::write(
        cache.join("results.bin"),
        forged_results_of_old(root, &["force-app/main/default/classes/Looping.cls"]),
    )
    .unwrap();
    let forged = run.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(forged.code, Some(1), "{}", forged.stderr);
    assert_eq!(forged.stdout, cold.stdout);

    // A forgery in today's format, signed with the attacker's own key: the attacker's lockgen
    // would take it (the finding disappears), the user's does not.
    let attacker = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    common::copy_dir(
        &dir.path().join("force-app"),
        &project.path().join("force-app"),
    );
    fs::write(project.path().join("sfdx-project.json"), SFDX_PROJECT).unwrap();
    let theirs = Run::new(attacker.path());
    assert_eq!(theirs.lockgen(&["lint", s(project.path())]).code, Some(1));
    let their_key: [u8; 32] = fs::read(attacker.path().join(".cache/lockgen/key"))
        .unwrap()
        .try_into()
        .unwrap();
    let entry = fs::read(project.path().join(".lockgen/cache/results.bin")).unwrap();
    let forged = resign(&entry, "results.bin", &their_key, |payload| {
        assert!(replace_all(payload, b"LCK007", b"LCK999") > 0);
    });
    fs::write(project.path().join(".lockgen/cache/results.bin"), &forged).unwrap();
    let fooled = theirs.lockgen(&["lint", s(project.path()), "--format", "json"]);
    assert_eq!(
        fooled.code,
        Some(0),
        "the forgery is good under its own key"
    );

    fs::remove_dir_all(&cache).unwrap();
    fs::create_dir_all(&cache).unwrap();
    fs::write(cache.join("results.bin"), &forged).unwrap();
    let warm = run.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(warm.code, Some(1), "{}", warm.stderr);
    assert_eq!(warm.stdout, cold.stdout);
    // The key is the user's, never the project's.
    assert!(home.path().join(".cache/lockgen/key").is_file());
    assert!(
        tree(root).iter().all(|f| !f.ends_with("key")),
        "{:?}",
        tree(root)
    );
}

// ---- 2. a link to a secret ----

#[test]
fn links_out_of_the_project_are_never_read_nor_named() {
    let (dir, home) = looping();
    let root = dir.path();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("credentials");
    fs::write(&secret, "TOPSECRET-TOKEN-1\nTOPSECRET-TOKEN-2 {\n").unwrap();
    fs::create_dir(outside.path().join("more")).unwrap();
    fs::write(outside.path().join("more/Other.cls"), "TOPSECRET-TOKEN-3 {").unwrap();
    let classes = root.join(CLASSES);
    symlink(&secret, classes.join("Leak.cls")).unwrap();
    symlink(outside.path().join("more"), classes.join("more")).unwrap();
    symlink(&secret, root.join("force-app/main/default/Leak.trigger")).unwrap();
    // A link inside the project is still read.
    symlink(classes.join("Looping.cls"), classes.join("Alias.cls")).unwrap();

    let run = Run::new(home.path());
    for format in ["human", "github", "json", "junit", "sarif"] {
        let outcome = run.lockgen(&["lint", s(root), "--format", format, "--no-cache"]);
        assert_eq!(outcome.code, Some(1), "{format}: {}", outcome.stderr);
        for text in [&outcome.stdout, &outcome.stderr] {
            assert!(
                !text.contains("TOPSECRET"),
                "{format} leaks the secret: {text}"
            );
            assert!(
                !text.contains(s(outside.path())),
                "{format} names the target: {text}"
            );
        }
        for name in ["classes/Leak.cls", "classes/more", "default/Leak.trigger"] {
            assert!(
                outcome.stderr.contains(&format!(
                    "{name}: a symbolic link that leads outside the project; skipped"
                )),
                "{format}: {}",
                outcome.stderr
            );
        }
        assert_eq!(outcome.stderr.lines().count(), 3, "{}", outcome.stderr);
    }
    let json = run.lockgen(&["lint", s(root), "--format", "json", "--no-cache"]);
    let paths: Vec<String> = json.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    // `Alias.cls` links to `Looping.cls` inside the project: it is read (no note above), and,
    // declaring the same class under another file name, it is a copy, not a second class.
    assert_eq!(paths, ["force-app/main/default/classes/Looping.cls"]);
    assert!(
        json.json()["summary"]["files"].as_u64().unwrap() >= 2,
        "{}",
        json.stdout
    );

    // The project's own files: a package directory, `.forceignore`, `lockgen.toml`.
    fs::write(
        root.join("sfdx-project.json"),
        r#"{"packageDirectories": [{"path": "force-app", "default": true}, {"path": "linked"}]}"#,
    )
    .unwrap();
    symlink(outside.path().join("more"), root.join("linked")).unwrap();
    symlink(&secret, root.join(".forceignore")).unwrap();
    let outcome = run.lockgen(&["lint", s(root), "--no-cache"]);
    assert_eq!(outcome.code, Some(1), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("TOPSECRET") && !outcome.stdout.contains("TOPSECRET"));
    assert!(
        outcome.stderr.contains(
            "package directory `linked` in sfdx-project.json is a symbolic link that leads outside the project; skipped"
        ),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains(".forceignore: a symbolic link"));
    symlink(&secret, root.join("lockgen.toml")).unwrap();
    let outcome = run.lockgen(&["lint", s(root), "--no-cache"]);
    assert_eq!(outcome.code, Some(2));
    assert!(
        outcome
            .stderr
            .contains("a symbolic link that leads outside the project; not read"),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("TOPSECRET"));
    fs::remove_file(root.join("lockgen.toml")).unwrap();
    fs::remove_file(root.join("sfdx-project.json")).unwrap();
    symlink(&secret, root.join("sfdx-project.json")).unwrap();
    let outcome = run.lockgen(&["lint", s(root), "--no-cache"]);
    assert_eq!(outcome.code, Some(2));
    assert!(
        outcome.stderr.contains(
            "cannot read sfdx-project.json: a symbolic link that leads outside the project; not read"
        ),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("TOPSECRET"));
}

// ---- 3. a cache folder that is a link ----

#[test]
fn the_cache_is_never_written_through_a_link() {
    let (dir, home) = looping();
    let root = dir.path();
    let outside = tempfile::tempdir().unwrap();
    let run = Run::new(home.path());
    let cold = run.lockgen(&["lint", s(root), "--format", "json", "--no-cache"]);

    // `.lockgen` itself, then `.lockgen/cache`, then files in it.
    symlink(outside.path(), root.join(".lockgen")).unwrap();
    let outcome = run.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(outcome.stdout, cold.stdout);
    assert_eq!(tree(outside.path()), Vec::<String>::new());
    assert!(
        outcome.stderr.contains(
            ".lockgen is a symbolic link, and lockgen writes through none; the cache is off"
        ),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains(s(outside.path())));

    fs::remove_file(root.join(".lockgen")).unwrap();
    fs::create_dir(root.join(".lockgen")).unwrap();
    symlink(outside.path(), root.join(".lockgen/cache")).unwrap();
    let outcome = run.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(outcome.stdout, cold.stdout);
    assert_eq!(tree(outside.path()), Vec::<String>::new());

    fs::remove_file(root.join(".lockgen/cache")).unwrap();
    fs::create_dir(root.join(".lockgen/cache")).unwrap();
    let victim = outside.path().join("victim");
    fs::write(&victim, "untouched").unwrap();
    for name in [".gitignore", "results.bin", "models.bin", "key"] {
        symlink(&victim, root.join(".lockgen/cache").join(name)).unwrap();
    }
    let outcome = run.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(outcome.stdout, cold.stdout);
    let again = run.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(again.stdout, cold.stdout);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
    assert_eq!(tree(outside.path()), ["victim"]);
    // The results were written in place of the link, not through it.
    assert!(
        fs::symlink_metadata(root.join(".lockgen/cache/results.bin"))
            .unwrap()
            .is_file()
    );
}

// ---- 4. a link at the generator's temporary name ----

#[test]
fn lockgen_new_never_writes_through_a_planted_link() {
    let dir = common::project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (
            &format!("{CLASSES}/Existing.cls"),
            "public class Existing {}\n",
        ),
    ]);
    let root = dir.path();
    let home = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    fs::write(&victim, "untouched").unwrap();
    let classes = root.join(CLASSES);
    for name in [
        ".Victim.cls.lockgen-tmp",
        ".Victim.cls-meta.xml.lockgen-tmp",
        ".VictimTest.cls.lockgen-tmp",
        ".VictimTest.cls-meta.xml.lockgen-tmp",
    ] {
        symlink(&victim, classes.join(name)).unwrap();
    }
    let run = Run::new(home.path()).cwd(root);
    let outcome = run.lockgen(&["new", "lock", "Victim"]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
    let written = fs::symlink_metadata(classes.join("Victim.cls")).unwrap();
    assert!(written.is_file());
    assert!(
        fs::read_to_string(classes.join("Victim.cls"))
            .unwrap()
            .contains("class Victim")
    );

    // --force over a link replaces the link; it does not write through it.
    symlink(&victim, classes.join("Other.cls")).unwrap();
    let outcome = run.lockgen(&["new", "lock", "Other"]);
    assert_eq!(outcome.code, Some(2), "a link is a file that exists");
    let outcome = run.lockgen(&["new", "lock", "Other", "--force"]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
    assert!(
        fs::symlink_metadata(classes.join("Other.cls"))
            .unwrap()
            .is_file()
    );

    // A folder on the way that is a link: refused, nothing written anywhere.
    let triggers = outside.path().join("triggers");
    fs::create_dir(&triggers).unwrap();
    symlink(&triggers, root.join("force-app/main/default/triggers")).unwrap();
    let before = tree(root);
    let outcome = run.lockgen(&["new", "trigger", "Account"]);
    assert_eq!(outcome.code, Some(2));
    assert!(
        outcome
            .stderr
            .contains("is a symbolic link, and lockgen writes through none"),
        "{}",
        outcome.stderr
    );
    assert_eq!(tree(&triggers), Vec::<String>::new());
    assert_eq!(
        tree(root),
        before,
        "all or nothing: no handler class either"
    );
    assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
}

// ---- 5. workflow commands in names and paths ----

#[test]
fn no_name_can_start_a_workflow_command() {
    let (dir, home) = looping();
    let root = dir.path();
    fs::write(
        root.join("sfdx-project.json"),
        r#"{"packageDirectories": [{"path": "force-app", "default": true}, {"path": "gone\n::error file=x.cls::injected by a package path"}]}"#,
    )
    .unwrap();
    let fifo = root
        .join(CLASSES)
        .join("Pipe\n::error::injected by a FIFO name.cls");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let run = Run::new(home.path());
    for format in ["github", "human"] {
        let outcome = run.lockgen(&["lint", s(root), "--format", format, "--no-cache"]);
        assert_eq!(outcome.code, Some(1), "{}", outcome.stderr);
        for line in outcome.stdout.lines().chain(outcome.stderr.lines()) {
            assert!(
                !(line.starts_with("::") && line.contains("injected")),
                "{format}: an injected command: {line}"
            );
        }
        for line in outcome.stderr.lines() {
            assert!(line.starts_with("lockgen: "), "{format}: {line}");
        }
        assert_eq!(outcome.stderr.lines().count(), 2, "{}", outcome.stderr);
    }
    let github = run.lockgen(&["lint", s(root), "--format", "github", "--no-cache"]);
    assert!(
        github
            .stderr
            .contains("%0A::error::injected by a FIFO name"),
        "{}",
        github.stderr
    );
    // An error that names a file is escaped too.
    let missing = root.join("missing\n::error::injected by an error");
    let outcome = run.lockgen(&["lint", s(&missing), "--format", "github"]);
    assert_eq!(outcome.code, Some(2));
    assert_eq!(outcome.stderr.lines().count(), 1, "{}", outcome.stderr);
}

// ---- 6. an edited cache ----

#[test]
fn an_edited_or_damaged_cache_is_ignored() {
    let (dir, home) = looping();
    let root = dir.path();
    let run = Run::new(home.path());
    let cold = run.lockgen(&["lint", s(root), "--format", "json", "--no-cache"]);
    assert!(cold.stdout.contains("Account"));
    let first = run.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(first.stdout, cold.stdout);
    let cache = root.join(".lockgen/cache");
    let results = fs::read(cache.join("results.bin")).unwrap();
    let models = fs::read(cache.join("models.bin")).unwrap();

    // A same-length edit of a message.
    let mut edited = results.clone();
    assert!(replace_all(&mut edited, b"Account", b"Contact") > 0);
    fs::write(cache.join("results.bin"), &edited).unwrap();
    assert_eq!(
        run.lockgen(&["lint", s(root), "--format", "json"]).stdout,
        cold.stdout
    );

    // Single bit flips anywhere in the entry.
    for at in [0, 9, 50, 70, results.len() / 2, results.len() - 1] {
        let mut flipped = results.clone();
        flipped[at] ^= 0x10;
        fs::write(cache.join("results.bin"), &flipped).unwrap();
        let warm = run.lockgen(&["lint", s(root), "--format", "json"]);
        assert_eq!(warm.stdout, cold.stdout, "bit flip at {at}");
    }
    // Truncated.
    fs::write(cache.join("results.bin"), &results[..results.len() / 2]).unwrap();
    assert_eq!(
        run.lockgen(&["lint", s(root), "--format", "json"]).stdout,
        cold.stdout
    );

    // The parse results, edited the same way, with the findings gone so they are used.
    let mut edited = models.clone();
    assert!(replace_all(&mut edited, b"Account", b"Contact") > 0);
    fs::write(cache.join("models.bin"), &edited).unwrap();
    fs::remove_file(cache.join("results.bin")).unwrap();
    assert_eq!(
        run.lockgen(&["lint", s(root), "--format", "json"]).stdout,
        cold.stdout
    );
}

// ---- 7. escape sequences in names (human) ----

#[test]
fn names_and_source_cannot_drive_the_terminal() {
    let (dir, home) = looping();
    let root = dir.path();
    let evil = "Evil\u{1b}[2J\u{1b}]0;pwned\u{7}\n::error::owned\u{202e}.cls";
    fs::write(
        root.join(CLASSES).join(evil),
        "public class Evil { void m(List<Account> l) { for (Account a : l) { update a; /* \u{1b}[31m */ } } }\n",
    )
    .unwrap();
    let run = Run::new(home.path());
    for color in ["never", "always"] {
        let outcome = run.lockgen(&["lint", s(root), "--no-cache", "--color", color]);
        assert_eq!(outcome.code, Some(1), "{}", outcome.stderr);
        for text in [&outcome.stdout, &outcome.stderr] {
            assert!(!text.contains('\u{202e}'), "{text}");
            assert!(!text.contains('\u{7}'), "{text}");
            assert!(
                !text.contains("\u{1b}[2J") && !text.contains("\u{1b}]0;"),
                "{text}"
            );
            for line in text.lines() {
                assert!(!line.starts_with("::"), "{line}");
            }
        }
        assert!(
            outcome
                .stdout
                .contains("Evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\n::error::owned\\u{202e}.cls"),
            "{}",
            outcome.stdout
        );
        if color == "never" {
            assert!(!outcome.stdout.contains('\u{1b}'), "{}", outcome.stdout);
            assert!(
                outcome.stdout.contains("/* \\u{1b}[31m */"),
                "{}",
                outcome.stdout
            );
        }
    }
}

// ---- 8. characters XML cannot hold (JUnit) ----

#[test]
fn junit_stays_well_formed_whatever_the_names() {
    let (dir, home) = looping();
    let root = dir.path();
    fs::write(
        root.join(CLASSES).join("Odd\u{fffe}\u{ffff}<&\">.cls"),
        "public class Odd { void m(List<Account> l) { for (Account a : l) { update a; } } }\n",
    )
    .unwrap();
    let outcome =
        Run::new(home.path()).lockgen(&["lint", s(root), "--format", "junit", "--no-cache"]);
    assert_eq!(outcome.code, Some(1), "{}", outcome.stderr);
    let xml = outcome.stdout;
    assert!(
        !xml.contains('\u{fffe}') && !xml.contains('\u{ffff}'),
        "{xml}"
    );
    assert!(
        xml.chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')),
        "{xml}"
    );
    assert!(
        xml.contains("Odd\u{fffd}\u{fffd}&lt;&amp;&quot;&gt;.cls"),
        "{xml}"
    );
    assert!(lockgen::metadata::xml::parse(&xml).is_ok(), "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 2);
}

// ---- 9. a finding past column 65,535 ----

#[test]
fn a_finding_past_column_65535_renders() {
    let (dir, home) = looping();
    let root = dir.path();
    let line = format!(
        "public class Wide {{ void m(List<Account> l) {{{}for (Account a : l) {{ update a; }} }} }}\n",
        " ".repeat(70_000)
    );
    fs::write(root.join(CLASSES).join("Wide.cls"), &line).unwrap();
    let run = Run::new(home.path());
    let outcome = run.lockgen(&["lint", s(root), "--no-cache"]);
    assert_eq!(outcome.code, Some(1), "{}", outcome.stderr);
    let column = line.find("update").unwrap() + 1;
    assert!(
        outcome.stdout.contains(&format!(
            "force-app/main/default/classes/Wide.cls:1:{column}]"
        )),
        "{}",
        outcome.stdout
    );
    assert!(outcome.stdout.contains("…"), "the wide line is cut");
    assert!(
        outcome.stdout.lines().all(|l| l.chars().count() < 400),
        "no line of the snippet is 70,000 characters wide"
    );
    let json = run
        .lockgen(&["lint", s(root), "--no-cache", "--format", "json"])
        .json();
    assert_eq!(json["findings"][1]["column"], column);
}

// ---- 10. thirty thousand findings on one line ----

#[test]
fn thirty_thousand_findings_on_one_line_cost_linear_time() {
    let (dir, home) = looping();
    let root = dir.path();
    // 10,000 findings on a 340 KB line: the issue's 29,411 on 1 MB, scaled for a debug build.
    let n = 10_000;
    let line = "for (Account a : l) { update a; } ".repeat(n);
    fs::write(
        root.join(CLASSES).join("Dense.cls"),
        format!("public class Dense {{ void m(List<Account> l) {{ {line}}} }}\n"),
    )
    .unwrap();
    let baseline = root.join("baseline.json");
    // Linear work is seconds even unoptimised; the quadratic work was minutes when optimised.
    let run = Run::new(home.path()).seconds(100);
    let written = run.lockgen(&[
        "lint",
        s(root),
        "--no-cache",
        "--write-baseline",
        s(&baseline),
    ]);
    assert_eq!(written.code, Some(0), "{}", written.stderr);
    let outcome = run.lockgen(&[
        "lint",
        s(root),
        "--no-cache",
        "--format",
        "json",
        "--baseline",
        s(&baseline),
    ]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert_eq!(outcome.json()["summary"]["baselined"], n + 1);
    eprintln!(
        "{n} findings on one line: {:?}, {:?}",
        written.took, outcome.took
    );
}

// ---- 11. a thousand triggers on one object ----

#[test]
fn a_thousand_triggers_on_one_object_stay_small() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("sfdx-project.json"), SFDX_PROJECT).unwrap();
    let triggers = root.join("force-app/main/default/triggers");
    fs::create_dir_all(&triggers).unwrap();
    let n = 1000;
    for i in 0..n {
        fs::write(
            triggers.join(format!("T{i:04}.trigger")),
            format!(
                "trigger T{i:04} on Account (after update) {{ AccountSync.run(Trigger.new); }}\n"
            ),
        )
        .unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    let outcome =
        Run::new(home.path()).lockgen(&["lint", s(root), "--format", "json", "--no-cache"]);
    assert_eq!(outcome.code, Some(1), "{}", outcome.stderr);
    assert!(
        outcome.stdout.len() < 2_000_000,
        "{} bytes of JSON",
        outcome.stdout.len()
    );
    let json = outcome.json();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), n);
    for finding in findings {
        let related = finding["related"].as_array().unwrap();
        assert!(related.len() <= lockgen::rules::MAX_RELATED + 1);
        let last = related.last().unwrap()["message"].as_str().unwrap();
        assert!(
            last.starts_with("and ") && last.ends_with(" more"),
            "{last}"
        );
    }
    eprintln!(
        "{n} triggers: {:?}, {} bytes of JSON",
        outcome.took,
        outcome.stdout.len()
    );
}

// ---- 12. unbounded inputs, failed and killed writes ----

#[test]
fn settings_and_baselines_are_bounded() {
    let (dir, home) = looping();
    let root = dir.path();
    let run = Run::new(home.path()).seconds(10);
    let fifo = root.join("settings.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = root.join("big.toml");
    fs::write(&big, "#".repeat(2 << 20)).unwrap();
    for (flag, path, says) in [
        ("--config", "/dev/zero", "not a regular file"),
        ("--baseline", "/dev/zero", "not a regular file"),
        ("--config", s(&fifo), "not a regular file"),
        ("--baseline", s(&fifo), "not a regular file"),
        ("--config", s(&big), "larger than 1 MB"),
    ] {
        let outcome = run.lockgen(&["lint", s(root), "--no-cache", flag, path]);
        assert_eq!(outcome.code, Some(2), "{flag} {path}: {}", outcome.stderr);
        assert_eq!(outcome.stderr.lines().count(), 1, "{}", outcome.stderr);
        assert!(outcome.stderr.contains(says), "{}", outcome.stderr);
        assert!(outcome.took < Duration::from_secs(5), "{:?}", outcome.took);
    }
}

#[test]
fn a_baseline_with_a_byte_order_mark_is_read() {
    let (dir, home) = looping();
    let root = dir.path();
    let run = Run::new(home.path());
    let baseline = root.join("baseline.json");
    run.lockgen(&[
        "lint",
        s(root),
        "--no-cache",
        "--write-baseline",
        s(&baseline),
    ]);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(fs::read(&baseline).unwrap());
    fs::write(&baseline, bytes).unwrap();
    let outcome = run.lockgen(&["lint", s(root), "--no-cache", "--baseline", s(&baseline)]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
}

/// `ulimit -f` counts blocks of 512 or 1024 bytes, by shell: find out which.
fn file_size_block() -> usize {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 1; head -c 4096 /dev/zero > '{}'",
            probe.display()
        ))
        .status()
        .unwrap();
    fs::metadata(&probe).unwrap().len() as usize
}

#[test]
fn a_cache_write_that_fails_leaves_nothing_behind() {
    let (dir, home) = looping();
    let root = dir.path();
    // Enough parse results that their cache entry outgrows the limit.
    for i in 0..40 {
        fs::write(
            root.join(CLASSES).join(format!("Filler{i}.cls")),
            format!(
                "public class Filler{i} {{ {} }}\n",
                (0..20)
                    .map(|m| format!("public void m{m}(List<Account> l) {{ insert l; }}"))
                    .collect::<String>()
            ),
        )
        .unwrap();
    }
    let run = Run::new(home.path());
    let cold = run.lockgen(&["lint", s(root), "--format", "json", "--no-cache"]);
    let blocks = 8 * 1024 / file_size_block();
    let full = Run::new(home.path()).shell(&format!("trap '' XFSZ; ulimit -f {blocks};"));
    let outcome = full.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(outcome.stdout, cold.stdout, "{}", outcome.stderr);
    let cache = tree(&root.join(".lockgen/cache"));
    assert!(
        cache.iter().all(|f| !f.contains("tmp")),
        "no temporary file left: {cache:?}"
    );
    assert!(
        !cache.contains(&"models.bin".to_string()),
        "no partial entry: {cache:?}"
    );
    // With room again, the parse results are kept.
    fs::remove_file(root.join(".lockgen/cache/results.bin")).unwrap();
    let warm = run.lockgen(&["lint", s(root), "--format", "json"]);
    assert_eq!(warm.stdout, cold.stdout);
    assert!(tree(&root.join(".lockgen/cache")).contains(&"models.bin".to_string()));
}

#[test]
fn temporary_files_of_a_killed_run_are_removed_by_the_next() {
    let (dir, home) = looping();
    let root = dir.path();
    let run = Run::new(home.path());
    run.lockgen(&["lint", s(root)]);
    // A process that is gone, and the temporary file it was writing when it was killed.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let cache = root.join(".lockgen/cache");
    let orphan = cache.join(format!(".results.bin.{dead}-0123456789abcdef.tmp"));
    fs::write(&orphan, b"half a cache").unwrap();
    // One of a live run stays.
    let live = cache.join(format!(
        ".models.bin.{}-0123456789abcdef.tmp",
        std::process::id()
    ));
    fs::write(&live, b"being written").unwrap();
    run.lockgen(&["lint", s(root)]);
    assert!(!orphan.exists());
    assert!(live.exists());

    if strace_works() {
        // Killed at the rename that publishes the results.
        fs::remove_dir_all(&cache).unwrap();
        let killed = run.command(
            Command::new("strace")
                .args([
                    "-f",
                    "-o",
                    "/dev/null",
                    "-e",
                    "trace=rename,renameat,renameat2",
                ])
                .args(["-e", "inject=rename,renameat,renameat2:signal=KILL:when=2"])
                .arg(env!("CARGO_BIN_EXE_lockgen"))
                .args(["lint", s(root)]),
        );
        assert_ne!(killed.code, Some(1));
        assert!(
            tree(&cache).iter().any(|f| f.ends_with(".tmp")),
            "{:?}",
            tree(&cache)
        );
        run.lockgen(&["lint", s(root)]);
        assert!(
            tree(&cache).iter().all(|f| !f.ends_with(".tmp")),
            "{:?}",
            tree(&cache)
        );
    }
}

fn trigger_project() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = common::project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (
            &format!("{CLASSES}/Existing.cls"),
            "public class Existing {}\n",
        ),
    ]);
    (dir, tempfile::tempdir().unwrap())
}

const TRIGGER_FILES: [&str; 12] = [
    "force-app/main/default/classes/AccountTriggerHandler.cls",
    "force-app/main/default/classes/AccountTriggerHandler.cls-meta.xml",
    "force-app/main/default/classes/AccountTriggerHandlerHooks.cls",
    "force-app/main/default/classes/AccountTriggerHandlerHooks.cls-meta.xml",
    "force-app/main/default/classes/AccountTriggerHandlerHooksTest.cls",
    "force-app/main/default/classes/AccountTriggerHandlerHooksTest.cls-meta.xml",
    "force-app/main/default/classes/AccountTriggerHandlerTest.cls",
    "force-app/main/default/classes/AccountTriggerHandlerTest.cls-meta.xml",
    "force-app/main/default/classes/Existing.cls",
    "force-app/main/default/triggers/AccountTrigger.trigger",
    "force-app/main/default/triggers/AccountTrigger.trigger-meta.xml",
    "sfdx-project.json",
];

#[test]
fn lockgen_new_writes_all_files_or_none() {
    let (dir, home) = trigger_project();
    let root = dir.path();
    let run = Run::new(home.path()).cwd(root);
    let before = tree(root);

    // A write that fails part-way (a full disk, a read-only folder): the handler class is the
    // third file, larger than the limit; the trigger and its -meta.xml fit.
    let blocks = 2048 / file_size_block();
    let limited = Run::new(home.path())
        .cwd(root)
        .shell(&format!("trap '' XFSZ; ulimit -f {blocks};"));
    let outcome = limited.lockgen(&["new", "trigger", "Account"]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("AccountTriggerHandler.cls"),
        "{}",
        outcome.stderr
    );
    assert_eq!(tree(root), before, "nothing written, nothing left");
    assert!(!root.join("force-app/main/default/triggers").exists());

    if strace_works() {
        // A rename that fails: the two files already in place are taken back.
        let strace = |inject: &str| {
            run.command(
                Command::new("strace")
                    .current_dir(root)
                    .args([
                        "-f",
                        "-o",
                        "/dev/null",
                        "-e",
                        "trace=rename,renameat,renameat2",
                    ])
                    .args(["-e", &format!("inject=rename,renameat,renameat2:{inject}")])
                    .arg(env!("CARGO_BIN_EXE_lockgen"))
                    .args(["new", "trigger", "Account"]),
            )
        };
        let outcome = strace("error=EIO:when=3");
        assert_eq!(outcome.code, Some(2), "{}", outcome.stderr);
        assert_eq!(tree(root), before);

        // Killed at the third rename: the next run undoes the first two, then writes all.
        let outcome = strace("signal=KILL:when=3");
        assert_eq!(outcome.code, None, "killed");
        let left = tree(root);
        assert!(left.iter().any(|f| f.contains(".lockgen-new.")), "{left:?}");
        assert!(left.len() > before.len());
        let outcome = run.lockgen(&["new", "trigger", "Account"]);
        assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
        assert_eq!(tree(root), TRIGGER_FILES);
    }

    let outcome = run.lockgen(&["new", "trigger", "Account", "--force"]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert_eq!(tree(root), TRIGGER_FILES);
}

// ---- small ones ----

#[test]
fn a_file_with_carriage_returns_only_reports_the_right_line() {
    let (dir, home) = looping();
    let root = dir.path();
    fs::write(
        root.join(CLASSES).join("Looping.cls"),
        LOOPING.replace('\n', "\r"),
    )
    .unwrap();
    let run = Run::new(home.path());
    let outcome = run.lockgen(&["lint", s(root), "--format", "json", "--no-cache"]);
    assert_eq!(outcome.rules(), ["LCK007"]);
    assert_eq!(outcome.json()["findings"][0]["line"], 4);
    let human = run.lockgen(&["lint", s(root), "--no-cache"]);
    assert!(
        human.stdout.contains("Looping.cls:4:13]"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_template_override_linked_out_of_the_project_is_not_read() {
    let (dir, home) = trigger_project();
    let root = dir.path();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    fs::write(&secret, "TOP-SECRET-TOKEN {{ name }}\n").unwrap();
    fs::create_dir_all(root.join(".lockgen/templates")).unwrap();
    symlink(&secret, root.join(".lockgen/templates/lock.cls.jinja")).unwrap();
    let run = Run::new(home.path()).cwd(root);
    let outcome = run.lockgen(&["new", "lock", "Guard", "--dry-run"]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.stdout);
    for text in [&outcome.stdout, &outcome.stderr] {
        assert!(!text.contains("TOP-SECRET"), "{text}");
        assert!(!text.contains(s(outside.path())), "{text}");
    }
    assert!(
        outcome.stderr.contains("lock.cls.jinja"),
        "{}",
        outcome.stderr
    );
}
