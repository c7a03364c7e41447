//! The minijinja environment: templates compiled into the binary from `templates/`, each
//! replaceable by a file of the same name in a project's `.lockgen/templates/`.

use std::path::Path;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::GenerateError;

/// Every template, by file name; `_*.jinja` hold macros the others import.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("_apex.jinja", include_str!("../../templates/_apex.jinja")),
    (
        "_metadata.jinja",
        include_str!("../../templates/_metadata.jinja"),
    ),
    (
        "batch.cls.jinja",
        include_str!("../../templates/batch.cls.jinja"),
    ),
    (
        "batch_test.cls.jinja",
        include_str!("../../templates/batch_test.cls.jinja"),
    ),
    (
        "class.cls-meta.xml.jinja",
        include_str!("../../templates/class.cls-meta.xml.jinja"),
    ),
    (
        "custom_field.field-meta.xml.jinja",
        include_str!("../../templates/custom_field.field-meta.xml.jinja"),
    ),
    (
        "custom_object.object-meta.xml.jinja",
        include_str!("../../templates/custom_object.object-meta.xml.jinja"),
    ),
    (
        "event_retry.cls.jinja",
        include_str!("../../templates/event_retry.cls.jinja"),
    ),
    (
        "event_retry_test.cls.jinja",
        include_str!("../../templates/event_retry_test.cls.jinja"),
    ),
    (
        "event_retry_trigger.trigger.jinja",
        include_str!("../../templates/event_retry_trigger.trigger.jinja"),
    ),
    (
        "external_id.field-meta.xml.jinja",
        include_str!("../../templates/external_id.field-meta.xml.jinja"),
    ),
    (
        "hooks.cls.jinja",
        include_str!("../../templates/hooks.cls.jinja"),
    ),
    (
        "hooks_test.cls.jinja",
        include_str!("../../templates/hooks_test.cls.jinja"),
    ),
    (
        "lock.cls.jinja",
        include_str!("../../templates/lock.cls.jinja"),
    ),
    (
        "lock_test.cls.jinja",
        include_str!("../../templates/lock_test.cls.jinja"),
    ),
    (
        "queueable.cls.jinja",
        include_str!("../../templates/queueable.cls.jinja"),
    ),
    (
        "queueable_test.cls.jinja",
        include_str!("../../templates/queueable_test.cls.jinja"),
    ),
    (
        "trigger.trigger-meta.xml.jinja",
        include_str!("../../templates/trigger.trigger-meta.xml.jinja"),
    ),
    (
        "trigger.trigger.jinja",
        include_str!("../../templates/trigger.trigger.jinja"),
    ),
    (
        "trigger_handler.cls.jinja",
        include_str!("../../templates/trigger_handler.cls.jinja"),
    ),
    (
        "trigger_handler_test.cls.jinja",
        include_str!("../../templates/trigger_handler_test.cls.jinja"),
    ),
    (
        "upsert.cls.jinja",
        include_str!("../../templates/upsert.cls.jinja"),
    ),
    (
        "upsert_test.cls.jinja",
        include_str!("../../templates/upsert_test.cls.jinja"),
    ),
];

/// Where a project keeps its own versions of the templates.
pub const OVERRIDE_DIR: &str = ".lockgen/templates";

pub struct Templates {
    env: Environment<'static>,
}

/// The largest template override read; the built-in ones are a few kilobytes.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

impl Templates {
    /// The built-in templates, with any override found under the project root.
    pub fn load(root: Option<&Path>) -> Result<Templates, GenerateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| GenerateError::Template {
                name: "syntax".to_string(),
                message: e.to_string(),
            })?;
        env.set_syntax(syntax);
        // Values are validated Apex names and API versions; HTML-style escaping (by the `.xml`
        // suffix) would only mangle them.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // Overrides come from the repository: untrusted, so never read through a link that
        // leaves the project, and never more than a template can be.
        let real_root = root.and_then(|r| std::fs::canonicalize(r).ok());
        for (name, builtin) in TEMPLATES {
            let source = match root.map(|r| r.join(OVERRIDE_DIR).join(name)) {
                Some(path) if path.symlink_metadata().is_ok() => {
                    let shown = format!("{OVERRIDE_DIR}/{name}");
                    if real_root
                        .as_deref()
                        .is_none_or(|r| crate::safe_fs::leads_outside(r, &path))
                    {
                        return Err(GenerateError::Template {
                            name: shown,
                            message: "it leads outside the project through a link; not read"
                                .to_string(),
                        });
                    }
                    crate::safe_fs::read_text_capped(&path, MAX_TEMPLATE_BYTES).map_err(|e| {
                        GenerateError::Template {
                            name: shown,
                            message: e.to_string(),
                        }
                    })?
                }
                _ => (*builtin).to_string(),
            };
            env.add_template_owned(*name, source)
                .map_err(|e| GenerateError::Template {
                    name: (*name).to_string(),
                    message: e.to_string(),
                })?;
        }
        Ok(Templates { env })
    }

    pub fn render<C: Serialize>(&self, name: &str, context: &C) -> Result<String, GenerateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| GenerateError::Template {
                name: name.to_string(),
                message: e.to_string(),
            })?;
        template
            .render(Serde(context))
            .map_err(|e| GenerateError::Template {
                name: name.to_string(),
                message: e.to_string(),
            })
    }
}
