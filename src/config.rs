//! `lockgen.toml` and the settings a run resolves from it, the command line and the rule
//! defaults (in that order of precedence, the command line first).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::cli::FailOn;
use crate::rules::{Rule, Severity, registry};
use crate::safe_fs;

/// The file lockgen reads at the project root unless `--config` names another.
pub const CONFIG_FILE: &str = "lockgen.toml";

const TOP_LEVEL_KEYS: &[&str] = &["fail-on", "exclude", "hot-objects", "rules"];
const RULES_KEYS: &[&str] = &["select", "ignore", "severity"];

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(lockgen::config::unreadable))]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}:{line}:{column}: {message}")]
    #[diagnostic(code(lockgen::config::invalid))]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    fail_on: Option<Spanned<String>>,
    exclude: Option<Vec<Spanned<String>>>,
    hot_objects: Option<Vec<String>>,
    rules: Option<RawRules>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    severity: Option<BTreeMap<String, Spanned<String>>>,
}

/// Where a setting came from, for `--show-settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    CommandLine,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::File => "lockgen.toml",
            Source::CommandLine => "command line",
        }
    }
}

/// What a lint run does, resolved.
pub struct Settings {
    pub config_path: Option<PathBuf>,
    pub rules: Vec<&'static dyn Rule>,
    /// Severity per rule code, where it differs from the default.
    pub severity: BTreeMap<&'static str, (Severity, Source)>,
    pub fail_on: (FailOn, Source),
    pub exclude: Vec<String>,
    exclude_set: GlobSet,
    /// Lower-cased objects whose findings are raised one level.
    pub hot_objects: Vec<String>,
    rule_sources: BTreeMap<&'static str, Source>,
}

/// The command-line side of the settings.
pub struct CommandLine<'a> {
    pub select: &'a [String],
    pub ignore: &'a [String],
    pub fail_on: Option<FailOn>,
    pub config: Option<&'a Path>,
}

impl Settings {
    /// Resolve settings for a project rooted at `root`.
    pub fn resolve(root: &Path, cli: &CommandLine<'_>) -> Result<Settings, crate::Error> {
        let config_path = match cli.config {
            Some(path) => Some(path.to_path_buf()),
            // A link is read (and refused if it leads out of the project), never skipped.
            None => Some(root.join(CONFIG_FILE)).filter(|p| p.symlink_metadata().is_ok()),
        };
        let text = match &config_path {
            Some(path) => read_config_text(path, root)?,
            None => String::new(),
        };
        let file = match &config_path {
            Some(path) => Some(parse_config(path, &text)?),
            None => None,
        };
        let shown = config_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let at = |span: std::ops::Range<usize>| line_column(&text, span.start);

        // Rule selection: the command line replaces the file's list.
        let mut rule_sources = BTreeMap::new();
        let file_rules = file.as_ref().and_then(|f| f.rules.as_ref());
        let choose = |cli_list: &[String], file_list: Option<&Vec<Spanned<String>>>| {
            if !cli_list.is_empty() {
                Ok((resolve_cli_codes(cli_list)?, Source::CommandLine))
            } else if let Some(list) = file_list {
                Ok((resolve_file_codes(list, &shown, &text)?, Source::File))
            } else {
                Ok::<_, crate::Error>((Vec::new(), Source::Default))
            }
        };
        let (select, select_source) =
            choose(cli.select, file_rules.and_then(|r| r.select.as_ref()))?;
        let (ignore, ignore_source) =
            choose(cli.ignore, file_rules.and_then(|r| r.ignore.as_ref()))?;
        let mut rules = Vec::new();
        for rule in registry::all() {
            let code = rule.meta().code;
            if ignore.contains(&code) {
                rule_sources.insert(code, ignore_source);
                continue;
            }
            if !select.is_empty() && !select.contains(&code) {
                rule_sources.insert(code, select_source);
                continue;
            }
            rule_sources.insert(
                code,
                if select.is_empty() {
                    Source::Default
                } else {
                    select_source
                },
            );
            rules.push(rule);
        }

        let mut severity = BTreeMap::new();
        if let Some(overrides) = file_rules.and_then(|r| r.severity.as_ref()) {
            for (key, value) in overrides {
                let Some(rule) = registry::find(key) else {
                    let line = line_of_key(&text, key);
                    return Err(invalid(&shown, line, 1, unknown_rule_message(key)).into());
                };
                let Some(level) = Severity::parse(value.get_ref()) else {
                    let (line, column) = at(value.span());
                    return Err(invalid(
                        &shown,
                        line,
                        column,
                        format!(
                            "`{}` is not a severity: use error, warning or info",
                            value.get_ref()
                        ),
                    )
                    .into());
                };
                severity.insert(rule.meta().code, (level, Source::File));
            }
        }

        let fail_on = match (cli.fail_on, file.as_ref().and_then(|f| f.fail_on.as_ref())) {
            (Some(level), _) => (level, Source::CommandLine),
            (None, Some(value)) => match parse_fail_on(value.get_ref()) {
                Some(level) => (level, Source::File),
                None => {
                    let (line, column) = at(value.span());
                    return Err(invalid(
                        &shown,
                        line,
                        column,
                        format!(
                            "`{}` is not a fail-on level: use error, warning, info or never",
                            value.get_ref()
                        ),
                    )
                    .into());
                }
            },
            (None, None) => (FailOn::Warning, Source::Default),
        };

        let mut exclude = Vec::new();
        let mut builder = GlobSetBuilder::new();
        for pattern in file
            .as_ref()
            .and_then(|f| f.exclude.as_ref())
            .into_iter()
            .flatten()
        {
            let glob = Glob::new(pattern.get_ref()).map_err(|e| {
                let (line, column) = at(pattern.span());
                invalid(
                    &shown,
                    line,
                    column,
                    format!("invalid exclude pattern: {e}"),
                )
            })?;
            builder.add(glob);
            exclude.push(pattern.get_ref().clone());
        }
        let exclude_set = builder.build().unwrap_or_else(|_| GlobSet::empty());
        let hot_objects = file
            .as_ref()
            .and_then(|f| f.hot_objects.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|o| o.to_ascii_lowercase())
            .collect();
        Ok(Settings {
            config_path,
            rules,
            severity,
            fail_on,
            exclude,
            exclude_set,
            hot_objects,
            rule_sources,
        })
    }

    /// Is a project-relative path excluded from reporting?
    pub fn is_excluded(&self, path: &str) -> bool {
        self.exclude_set.is_match(path)
    }

    /// The severity a finding of `code` about `object` is reported with.
    pub fn severity_of(&self, code: &str, default: Severity, object: Option<&str>) -> Severity {
        let base = self.severity.get(code).map_or(default, |(s, _)| *s);
        let hot =
            object.is_some_and(|o| self.hot_objects.iter().any(|h| h.eq_ignore_ascii_case(o)));
        if hot {
            match base {
                Severity::Info => Severity::Warning,
                Severity::Warning | Severity::Error => Severity::Error,
            }
        } else {
            base
        }
    }

    /// `lockgen lint --show-settings`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let config = self.config_path.as_ref().map_or("none".to_string(), |p| {
            crate::report::escape::visible(&p.display().to_string()).into_owned()
        });
        let _ = writeln!(text, "config: {config}");
        let fail_on = match self.fail_on.0 {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Info => "info",
            FailOn::Never => "never",
        };
        let _ = writeln!(text, "fail-on: {fail_on} ({})", self.fail_on.1.describe());
        let _ = writeln!(text, "exclude: [{}]", quote_list(&self.exclude));
        let _ = writeln!(text, "hot-objects: [{}]", quote_list(&self.hot_objects));
        let _ = writeln!(text, "rules:");
        for meta in registry::metas() {
            let enabled = self.rules.iter().any(|r| r.meta().code == meta.code);
            let source = self
                .rule_sources
                .get(meta.code)
                .copied()
                .unwrap_or(Source::Default);
            let (severity, severity_source) = self
                .severity
                .get(meta.code)
                .copied()
                .unwrap_or((meta.default_severity, Source::Default));
            let state = if enabled {
                format!(
                    "{:<8} (severity: {})",
                    severity.as_str(),
                    severity_source.describe()
                )
            } else {
                format!("off      ({})", source.describe())
            };
            let _ = writeln!(text, "  {} {:<32} {state}", meta.code, meta.name);
        }
        text
    }
}

/// Values from the settings file, quoted; a line break or control character in one is shown
/// escaped, never written raw.
fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("\"{}\"", crate::report::escape::visible(i)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_fail_on(text: &str) -> Option<FailOn> {
    match text.to_ascii_lowercase().as_str() {
        "error" => Some(FailOn::Error),
        "warning" => Some(FailOn::Warning),
        "info" => Some(FailOn::Info),
        "never" => Some(FailOn::Never),
        _ => None,
    }
}

/// The settings file's text: at most 1 MB, a regular file (`--config /dev/zero` is an error,
/// not 10 GB), a byte-order mark dropped; inside the project, not a link that leads out of it.
fn read_config_text(path: &Path, root: &Path) -> Result<String, ConfigError> {
    let unreadable = |source| ConfigError::Unreadable {
        path: path.display().to_string(),
        source,
    };
    if safe_fs::absolute(path).is_ok_and(|p| p.starts_with(root))
        && safe_fs::leads_outside(root, path)
    {
        return Err(unreadable(std::io::Error::other(
            "a symbolic link that leads outside the project; not read",
        )));
    }
    safe_fs::read_text_capped(path, safe_fs::MAX_SETTINGS_BYTES).map_err(|e| unreadable(e.into()))
}

fn parse_config(path: &Path, text: &str) -> Result<RawConfig, ConfigError> {
    let shown = path.display().to_string();
    toml::from_str::<RawConfig>(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_column(text, span.start));
        invalid(&shown, line, column, with_suggestion(e.message()))
    })
}

/// serde's "unknown field `x`, expected one of …" with a "did you mean" for the closest key.
fn with_suggestion(message: &str) -> String {
    let message = message.trim().to_string();
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some((unknown, _)) = rest.split_once('`') else {
        return message;
    };
    let candidates = TOP_LEVEL_KEYS.iter().chain(RULES_KEYS);
    let best = candidates
        .map(|c| (registry::edit_distance(unknown, c), *c))
        .filter(|(d, c)| *d <= c.len() / 2 + 1)
        .min();
    match best {
        Some((_, key)) => format!("{message} (did you mean `{key}`?)"),
        None => message,
    }
}

fn invalid(path: &str, line: usize, column: usize, message: String) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_string(),
        line,
        column,
        message,
    }
}

fn unknown_rule_message(given: &str) -> String {
    match registry::suggest(given) {
        Some(s) => format!("unknown rule `{given}` (did you mean `{s}`?)"),
        None => format!("unknown rule `{given}`: `lockgen rules` lists every code and name"),
    }
}

fn resolve_cli_codes(given: &[String]) -> Result<Vec<&'static str>, crate::Error> {
    given
        .iter()
        .filter(|g| !g.trim().is_empty())
        .map(|g| {
            registry::find(g)
                .map(|r| r.meta().code)
                .ok_or_else(|| crate::Error::UnknownRule {
                    given: g.clone(),
                    suggestion: registry::suggest(g),
                })
        })
        .collect()
}

fn resolve_file_codes(
    given: &[Spanned<String>],
    shown: &str,
    text: &str,
) -> Result<Vec<&'static str>, crate::Error> {
    given
        .iter()
        .map(|g| {
            registry::find(g.get_ref())
                .map(|r| r.meta().code)
                .ok_or_else(|| {
                    let (line, column) = line_column(text, g.span().start);
                    crate::Error::from(invalid(
                        shown,
                        line,
                        column,
                        unknown_rule_message(g.get_ref()),
                    ))
                })
        })
        .collect()
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The line a `[rules.severity]` key is written on (keys have no span in the parsed map).
fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start().trim_start_matches('"');
            trimmed.starts_with(key)
                && trimmed[key.len()..]
                    .trim_start()
                    .trim_start_matches('"')
                    .trim_start()
                    .starts_with('=')
        })
        .map_or(1, |i| i + 1)
}
