//! The plan's report: what the file holds, the collisions before and after, and the advice;
//! rendered for people (with a histogram of group sizes) or as JSON.

use serde::Serialize;

use super::SKEW;
use super::keys::{KeyColumns, LockKey};
use super::simulate::Collisions;
use crate::cli::PlanArgs;

/// A parent and how many rows of the file name it.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub parent: String,
    pub rows: u64,
}

/// Parents whose group size falls in `min..=max` (`max` absent: no bound).
#[derive(Debug, Clone, Serialize)]
pub struct SizeBucket {
    pub min: u64,
    pub max: Option<u64>,
    pub parents: u64,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyCollisions {
    /// The field (`Account__c`) and the columns that name it.
    pub field: String,
    pub columns: Vec<String>,
    pub lock: String,
    pub before: Collisions,
    pub after: Collisions,
}

impl KeyCollisions {
    pub fn new(columns: &KeyColumns, before: Collisions, after: Collisions) -> KeyCollisions {
        KeyCollisions {
            field: columns.key.field.clone(),
            columns: columns.headers.clone(),
            lock: columns.key.describe(),
            before,
            after,
        }
    }
}

/// Parents with more rows than a batch: they take consecutive batches at the start of the
/// output, and need serial mode.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Serial {
    pub parents: u64,
    /// The output's first `rows` rows (after the header) hold them: batches 1 to `batches`.
    pub rows: u64,
    pub batches: u64,
    /// The largest of them, at most 20.
    pub largest: Vec<Group>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// Rows reordered by the plan.
    Reordered,
    /// The file's own order collides less than the plan: kept.
    Kept,
    /// No column locks a parent: nothing to plan.
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    pub version: &'static str,
    pub file: String,
    pub object: String,
    pub batch_size: u32,
    pub parallel: u32,
    pub rows: u64,
    pub batches: u64,
    /// Every field whose parent a write to the object locks, in planning order.
    pub lock_keys: Vec<LockKey>,
    /// The lock keys the file has columns for; the first is the one rows are grouped by.
    pub keys_in_file: Vec<KeyColumns>,
    pub parents: u64,
    pub rows_without_parent: u64,
    pub largest: Vec<Group>,
    pub group_sizes: Vec<SizeBucket>,
    /// Parents with more than 10,000 rows.
    pub skewed: Vec<Group>,
    pub serial: Serial,
    /// Parents of at most a batch of rows that had to be split, because whole groups could not
    /// fill the batches exactly (their parts never run at the same time when avoidable).
    pub split: u64,
    /// Collisions in the file's order and in the output's, per lock key.
    #[serde(rename = "collisions")]
    pub collisions_by_key: Vec<KeyCollisions>,
    pub order: Order,
    pub output: Option<String>,
    pub spilled_runs: usize,
    pub advice: Vec<String>,
}

/// Histogram buckets: 1, 2–9, 10–99 … by powers of ten.
fn bucket_of(size: u64) -> usize {
    if size <= 1 {
        return 0;
    }
    let (mut bucket, mut bound) = (1, 9);
    while size > bound && bucket < 7 {
        bound = bound * 10 + 9;
        bucket += 1;
    }
    bucket
}

impl PlanReport {
    pub fn new(
        args: &PlanArgs,
        object: &str,
        lock_keys: Vec<LockKey>,
        columns: &[KeyColumns],
    ) -> PlanReport {
        PlanReport {
            version: env!("CARGO_PKG_VERSION"),
            file: args.file.display().to_string().replace('\\', "/"),
            object: object.to_string(),
            batch_size: args.batch_size,
            parallel: args.parallel,
            rows: 0,
            batches: 0,
            lock_keys,
            keys_in_file: columns.to_vec(),
            parents: 0,
            rows_without_parent: 0,
            largest: Vec::new(),
            group_sizes: Vec::new(),
            skewed: Vec::new(),
            serial: Serial::default(),
            split: 0,
            collisions_by_key: Vec::new(),
            order: Order::Reordered,
            output: None,
            spilled_runs: 0,
            advice: Vec::new(),
        }
    }

    pub fn histogram_add(&mut self, size: u64) {
        let index = bucket_of(size);
        while self.group_sizes.len() <= index {
            let n = self.group_sizes.len() as u32;
            let (min, max) = if n == 0 {
                (1, Some(1))
            } else {
                (10u64.pow(n - 1).max(2), Some(10u64.pow(n) - 1))
            };
            self.group_sizes.push(SizeBucket {
                min: if n == 1 { 2 } else { min },
                max: if n == 7 { None } else { max },
                parents: 0,
                rows: 0,
            });
        }
        self.group_sizes[index].parents += 1;
        self.group_sizes[index].rows += size;
    }

    pub fn set_serial(&mut self, groups: Vec<Group>, rows: u64) {
        self.serial = Serial {
            parents: groups.len() as u64,
            rows,
            batches: rows.div_ceil(u64::from(self.batch_size)),
            largest: groups.into_iter().take(20).collect(),
        };
    }

    pub fn before(&self) -> Collisions {
        self.collisions_by_key
            .iter()
            .fold(Collisions::default(), |a, k| a.plus(k.before))
    }

    pub fn after(&self) -> Collisions {
        self.collisions_by_key
            .iter()
            .fold(Collisions::default(), |a, k| a.plus(k.after))
    }

    /// What to do, from the facts above.
    pub fn advise(&mut self) {
        let mut advice = Vec::new();
        if self.order == Order::Unchanged {
            advice.push(if self.lock_keys.is_empty() {
                format!(
                    "a write to {} locks no parent: the file's order does not matter, parallel is safe",
                    self.object
                )
            } else {
                format!(
                    "no column of the file names a parent that {} locks ({}): the file's order does not matter, parallel is safe",
                    self.object,
                    self.lock_keys
                        .iter()
                        .map(|k| k.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            self.advice = advice;
            return;
        }
        if self.order == Order::Kept {
            advice.push(
                "the file's own order collides less than any reordering lockgen found: it is kept as it is"
                    .to_string(),
            );
        }
        let after = self.after();
        let serial_collisions = self.serial.parents > 0;
        if after.collisions == 0 {
            advice.push(format!(
                "parallel is safe: no two batches running at the same time lock the same parent (load with batches of {} rows)",
                self.batch_size
            ));
        } else if serial_collisions {
            advice.push(format!(
                "run these parents serially: {} parent{} more rows than a batch; {} fill batches 1–{} (rows 2–{} of the output): load those rows in serial mode and the rest in parallel, or the whole file serially",
                self.serial.parents,
                if self.serial.parents == 1 { " has" } else { "s have" },
                if self.serial.parents == 1 { "it" } else { "they" },
                group_count(self.serial.batches),
                group_count(self.serial.rows.min(self.rows) + 1),
            ));
        }
        if !self.skewed.is_empty() {
            advice.push(format!(
                "split skewed parents (more than {} rows) into their own serial job: {}",
                group_count(SKEW),
                self.skewed
                    .iter()
                    .take(5)
                    .map(|g| format!("{} ({} rows)", shown(&g.parent), group_count(g.rows)))
                    .chain(
                        (self.skewed.len() > 5)
                            .then(|| format!("and {} more", self.skewed.len() - 5))
                    )
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for key in self.collisions_by_key.iter().skip(1) {
            if key.after.collisions > 0 {
                advice.push(format!(
                    "{} still collides {} times: each row also locks {} ({}); load serially, or in separate jobs per parent",
                    key.field,
                    group_count(key.after.collisions),
                    key.lock
                        .rsplit(' ')
                        .next()
                        .unwrap_or_default(),
                    key.lock
                ));
            }
        }
        if self.output.is_none() && self.order == Order::Reordered && self.rows > 0 {
            advice.push("write the reordered file with --out FILE".to_string());
        }
        self.advice = advice;
    }
}

/// `12,345`.
pub fn group_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value from the file, safe for a terminal: control characters escaped, at most 40
/// characters.
fn shown(value: &str) -> String {
    escaped(value, 40)
}

/// Control characters escaped, at most `limit` characters.
fn escaped(value: &str, limit: usize) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == limit {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if out.is_empty() {
        "\"\"".to_string()
    } else {
        out
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group_count(n), if n == 1 { one } else { many })
}

/// The report for people: plain text, no colour, stable for snapshots.
pub fn human(report: &PlanReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "lockgen plan: {} → {}, batches of {} rows, {} at a time",
        escaped(&report.file, 4096),
        report.object,
        group_count(u64::from(report.batch_size)),
        report.parallel
    );
    let _ = writeln!(s);
    let Some(primary) = report.keys_in_file.first() else {
        let _ = writeln!(
            s,
            "  rows          {} in {}",
            group_count(report.rows),
            plural(report.batches, "batch", "batches")
        );
        if report.lock_keys.is_empty() {
            let _ = writeln!(
                s,
                "  lock keys     none: a write to {} locks no parent",
                report.object
            );
        } else {
            let _ = writeln!(
                s,
                "  lock keys     none in the file; {} locks through:",
                report.object
            );
            for key in &report.lock_keys {
                let _ = writeln!(s, "                  {} ({})", key.field, key.describe());
            }
        }
        advice_and_output(report, &mut s);
        return s;
    };
    let _ = writeln!(
        s,
        "  lock key      {} ({}){}",
        shown(&primary.headers.join(" or ")),
        primary.key.describe(),
        if report.keys_in_file.len() > 1 {
            ": rows are grouped by it"
        } else {
            ""
        }
    );
    for other in report.keys_in_file.iter().skip(1) {
        let _ = writeln!(
            s,
            "  also locks    {} ({})",
            shown(&other.headers.join(" or ")),
            other.key.describe()
        );
    }
    let _ = writeln!(
        s,
        "  rows          {} in {}",
        group_count(report.rows),
        plural(report.batches, "batch", "batches")
    );
    let _ = write!(s, "  parents       {}", group_count(report.parents));
    if report.rows_without_parent > 0 {
        let _ = write!(
            s,
            " ({} without one)",
            plural(report.rows_without_parent, "row", "rows")
        );
    }
    let _ = writeln!(s);
    if !report.largest.is_empty() {
        let _ = writeln!(
            s,
            "  largest       {}",
            report
                .largest
                .iter()
                .take(5)
                .map(|g| format!("{} ({})", shown(&g.parent), group_count(g.rows)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !report.group_sizes.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "  rows per parent      parents");
        let most = report
            .group_sizes
            .iter()
            .map(|b| b.parents)
            .max()
            .unwrap_or(1)
            .max(1);
        for bucket in &report.group_sizes {
            let label = match bucket.max {
                Some(max) if max == bucket.min => group_count(max),
                Some(max) => format!("{}–{}", group_count(bucket.min), group_count(max)),
                None => format!("{}+", group_count(bucket.min)),
            };
            let width = (bucket.parents * 30).div_ceil(most) as usize;
            let bar = if bucket.parents == 0 {
                String::new()
            } else {
                "█".repeat(width.max(1))
            };
            let _ = writeln!(
                s,
                "    {label:<17}{:>8}  {bar}",
                group_count(bucket.parents)
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "  collisions ({} batches at a time)     before      after",
        report.parallel
    );
    for key in &report.collisions_by_key {
        let _ = writeln!(
            s,
            "    {:<32}{:>10} {:>10}",
            key.field,
            group_count(key.before.collisions),
            group_count(key.after.collisions)
        );
    }
    let (before, after) = (report.before(), report.after());
    let _ = writeln!(
        s,
        "    {:<32}{:>10} {:>10}",
        "parents involved",
        group_count(before.parents),
        group_count(after.parents)
    );
    if report.serial.parents > 0 {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "  serial mode   {} with more rows than a batch, in batches 1–{}:",
            plural(report.serial.parents, "parent", "parents"),
            group_count(report.serial.batches)
        );
        let _ = writeln!(
            s,
            "                {}{}",
            report
                .serial
                .largest
                .iter()
                .take(5)
                .map(|g| format!("{} ({})", shown(&g.parent), group_count(g.rows)))
                .collect::<Vec<_>>()
                .join(", "),
            if report.serial.parents > 5 {
                ", …"
            } else {
                ""
            }
        );
    }
    if report.split > 0 {
        let _ = writeln!(
            s,
            "  split         {}: whole groups could not fill every batch exactly",
            plural(report.split, "parent", "parents")
        );
    }
    advice_and_output(report, &mut s);
    s
}

fn advice_and_output(report: &PlanReport, s: &mut String) {
    use std::fmt::Write;
    let _ = writeln!(s);
    let _ = writeln!(s, "  advice");
    for line in &report.advice {
        let _ = writeln!(s, "    - {line}");
    }
    if let Some(output) = &report.output {
        let _ = writeln!(s);
        let what = match report.order {
            Order::Reordered => "wrote",
            Order::Kept | Order::Unchanged => "copied unchanged to",
        };
        let _ = writeln!(s, "  {what} {}", escaped(output, 4096));
    }
}

pub fn json(report: &PlanReport) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_by_powers_of_ten() {
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 1);
        assert_eq!(bucket_of(9), 1);
        assert_eq!(bucket_of(10), 2);
        assert_eq!(bucket_of(99), 2);
        assert_eq!(bucket_of(100), 3);
        assert_eq!(bucket_of(10_000), 5);
        assert_eq!(group_count(1234567), "1,234,567");
    }
}
