//! What generators know about the project's objects: fields from its metadata (with the few
//! properties lint does not keep: length, case sensitivity), the standard-object tables, and
//! from both, the fields a record needs to save. Inputs are checked here (`--external-id`,
//! `--parent-field`), and test records are built here: every required field set, every
//! master-detail parent (and required lookup) inserted first.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use super::GenerateError;
use super::names::object_stem;
use super::required_fields::{
    StandardValue, known_standard_object, standard_required, standard_targets, standard_unsupported,
};
use crate::index::Project;
use crate::metadata::FieldMeta;
use crate::metadata::standard::standard_parent_field;
use crate::metadata::xml;

/// The project's objects and fields, as far as generators need them.
pub struct Schema<'a> {
    project: Option<&'a Project>,
    /// Lower-cased names of objects with a folder (`objects/<Name>/`) or an `<Name>.object` file.
    object_folders: BTreeSet<String>,
}

/// One field, with the properties generators use.
#[derive(Debug, Clone)]
pub struct Field {
    pub object: String,
    pub name: String,
    pub field_type: String,
    pub required: bool,
    pub master_detail: bool,
    pub reference_to: Vec<String>,
    pub external_id: bool,
    pub unique: bool,
    pub length: Option<usize>,
    pub case_sensitive: bool,
}

impl Field {
    fn is_reference(&self) -> bool {
        self.master_detail || self.field_type.eq_ignore_ascii_case("Lookup")
    }
}

/// A field the platform requires to create a record, and what kind of value it takes.
#[derive(Debug, Clone)]
pub struct Required {
    pub field: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text {
        unique: bool,
        length: usize,
    },
    Email {
        unique: bool,
    },
    Phone,
    Url,
    Number {
        unique: bool,
    },
    Date,
    DateTime,
    Time,
    Picklist,
    Fixed(String),
    Reference {
        target: String,
        master_detail: bool,
    },
    /// A type lockgen has no value for (a required geolocation …).
    Unsupported(String),
}

/// How a record is numbered where a field must be unique: an Apex `String` expression.
#[derive(Debug, Clone, Copy)]
pub enum Sequence<'a> {
    /// In a loop over `Integer i`.
    Loop,
    /// One record of its kind.
    Single,
    /// Job code: one record per parent, numbered by the parent's Id (`parent.Id`).
    Parent(&'a str),
}

/// Field assignments for one record, and the records to insert before it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Records {
    /// Statements that create and insert the records this one needs, in order.
    pub setup: Vec<String>,
    /// `Field = value, …`, without the fields the caller sets itself.
    pub init: String,
    /// The values use `picklistDefault(Schema.SObjectField)`: the class must define it.
    pub picklists: bool,
}

impl<'a> Schema<'a> {
    pub fn new(project: Option<&'a Project>, roots: &[&Path]) -> Schema<'a> {
        let mut object_folders = BTreeSet::new();
        for root in roots {
            for entry in walkdir::WalkDir::new(root)
                .max_depth(6)
                .into_iter()
                .filter_map(Result::ok)
            {
                let name = entry.file_name().to_string_lossy();
                let in_objects = entry
                    .path()
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|p| p.eq_ignore_ascii_case("objects"));
                if !in_objects {
                    continue;
                }
                if entry.file_type().is_dir() {
                    object_folders.insert(name.to_ascii_lowercase());
                } else if let Some(stem) = name.strip_suffix(".object") {
                    object_folders.insert(stem.to_ascii_lowercase());
                }
            }
        }
        Schema {
            project,
            object_folders,
        }
    }

    fn metas(&self) -> impl Iterator<Item = (&'a FieldMeta, &'a str)> + '_ {
        self.project.into_iter().flat_map(|p| {
            p.fields
                .iter()
                .map(move |f| (&f.meta, p.file(f.file).text.as_str()))
        })
    }

    /// Does the project define this object (a folder, an `.object` file, or fields)?
    pub fn defines(&self, object: &str) -> bool {
        self.object_folders.contains(&object.to_ascii_lowercase())
            || self
                .metas()
                .any(|(f, _)| f.object.eq_ignore_ascii_case(object))
    }

    /// Does lockgen know this object's fields: defined by the project, or a standard object
    /// in its tables?
    pub fn knows(&self, object: &str) -> bool {
        self.defines(object) || (!is_custom(object) && known_standard_object(object))
    }

    /// A field defined in the project's metadata.
    pub fn field(&self, object: &str, name: &str) -> Option<Field> {
        let (meta, text) = self.metas().find(|(f, _)| {
            f.object.eq_ignore_ascii_case(object) && f.name.eq_ignore_ascii_case(name)
        })?;
        let element = field_element(text, &meta.name);
        let child = |tag: &str| element.as_ref().and_then(|e| e.child_text(tag));
        Some(Field {
            object: meta.object.clone(),
            name: meta.name.clone(),
            field_type: meta.field_type.clone().unwrap_or_default(),
            required: meta.required || meta.is_master_detail(),
            master_detail: meta.is_master_detail(),
            reference_to: meta.reference_to.clone(),
            external_id: meta.external_id,
            unique: meta.unique,
            length: child("length").and_then(|l| l.parse().ok()),
            case_sensitive: child("caseSensitive").is_some_and(|c| c.eq_ignore_ascii_case("true")),
        })
    }

    fn fields_of(&self, object: &str) -> Vec<Field> {
        let mut names: Vec<String> = self
            .metas()
            .filter(|(f, _)| f.object.eq_ignore_ascii_case(object))
            .map(|(f, _)| f.name.clone())
            .collect();
        names.sort_by_key(|n| n.to_ascii_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        names.iter().filter_map(|n| self.field(object, n)).collect()
    }

    /// Every field the platform requires to create a record of `object`: the standard table's,
    /// then the project's required and master-detail fields, by name.
    pub fn required(&self, object: &str) -> Result<Vec<Required>, GenerateError> {
        if let Some(why) = standard_unsupported(object) {
            return Err(GenerateError::UnsupportedRecords {
                object: object.to_string(),
                why: why.to_string(),
            });
        }
        let mut required: Vec<Required> = standard_required(object)
            .unwrap_or(&[])
            .iter()
            .map(|(field, value)| Required {
                field: (*field).to_string(),
                value: standard_value(*value),
            })
            .collect();
        for field in self.fields_of(object) {
            if !field.required
                || required
                    .iter()
                    .any(|r| r.field.eq_ignore_ascii_case(&field.name))
            {
                continue;
            }
            let value = custom_value(&field);
            required.push(Required {
                field: field.name.clone(),
                value,
            });
        }
        Ok(required)
    }

    /// The child's relationship field to the parent: from metadata (a master-detail first),
    /// else the standard-object table.
    pub fn parent_field(&self, child: &str, parent: &str) -> Result<String, GenerateError> {
        let mut candidates: Vec<Field> = self
            .fields_of(child)
            .into_iter()
            .filter(|f| {
                f.is_reference()
                    && f.reference_to
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(parent))
            })
            .collect();
        candidates.sort_by_key(|f| (!f.master_detail, f.name.to_ascii_lowercase()));
        let masters = candidates.iter().filter(|f| f.master_detail).count();
        match candidates.as_slice() {
            [only] => return Ok(only.name.clone()),
            [first, ..] if masters == 1 => return Ok(first.name.clone()),
            [] => {}
            many => {
                return Err(GenerateError::AmbiguousParentField {
                    child: child.to_string(),
                    parent: parent.to_string(),
                    fields: many
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        standard_parent_field(child, parent)
            .map(str::to_string)
            .ok_or_else(|| GenerateError::NoParentField {
                child: child.to_string(),
                parent: parent.to_string(),
            })
    }

    /// A `--parent-field` must be a lookup or master-detail from `child` to `parent`.
    pub fn check_relationship(
        &self,
        child: &str,
        field: &str,
        parent: &str,
    ) -> Result<(), GenerateError> {
        let wrong = |found: String| GenerateError::NotARelationship {
            child: child.to_string(),
            field: field.to_string(),
            parent: parent.to_string(),
            found,
        };
        if let Some(meta) = self.field(child, field) {
            if !meta.is_reference() {
                return Err(wrong(format!("a {} field", meta.field_type)));
            }
            if !meta
                .reference_to
                .iter()
                .any(|r| r.eq_ignore_ascii_case(parent))
            {
                return Err(wrong(format!(
                    "a {} to {}",
                    meta.field_type,
                    meta.reference_to.join(", ")
                )));
            }
            return Ok(());
        }
        if is_custom_field(field) {
            // A packaged field (`ns__Field__c`) on a packaged object has no metadata here.
            if has_namespace(field) && !self.defines(child) {
                return Ok(());
            }
            return Err(GenerateError::UnknownField {
                object: child.to_string(),
                field: field.to_string(),
                help: "add its metadata to the project".to_string(),
            });
        }
        let targets = standard_targets(child, field);
        if targets.iter().any(|t| t.eq_ignore_ascii_case(parent)) {
            return Ok(());
        }
        if !targets.is_empty() {
            return Err(wrong(format!("a lookup to {}", targets.join(", "))));
        }
        // A standard relationship field ends in `Id` (`AccountId`); `Email` never points anywhere.
        if field.len() > 2 && field.to_ascii_lowercase().ends_with("id") {
            return Ok(());
        }
        Err(wrong("not a relationship field".to_string()))
    }

    /// An `--external-id` must exist and be an external ID. Returns the field when the project
    /// defines it (a packaged field on a packaged object cannot be checked here).
    pub fn check_external_id(
        &self,
        object: &str,
        field: &str,
        help: &str,
    ) -> Result<Option<Field>, GenerateError> {
        if let Some(meta) = self.field(object, field) {
            if !meta.external_id {
                return Err(GenerateError::NotExternalId {
                    object: object.to_string(),
                    field: meta.name,
                });
            }
            return Ok(Some(meta));
        }
        if has_namespace(field) && !self.defines(object) {
            return Ok(None);
        }
        Err(GenerateError::UnknownField {
            object: object.to_string(),
            field: field.to_string(),
            help: help.to_string(),
        })
    }

    /// Field values for a record the job writes, one per parent: every required field but
    /// `preset` (set by the template). A required relationship the job cannot know is an error.
    pub fn job_fields(&self, object: &str, preset: &[&str]) -> Result<Records, GenerateError> {
        let mut records = Records::default();
        let mut parts = Vec::new();
        for required in self.required(object)? {
            if is_preset(preset, &required.field) {
                continue;
            }
            if let Value::Reference { target, .. } = &required.value {
                return Err(GenerateError::RequiredReference {
                    object: object.to_string(),
                    field: required.field.clone(),
                    target: target.clone(),
                });
            }
            let value = render(object, &required, Sequence::Parent("parent.Id"))?;
            records.picklists |= required.value == Value::Picklist;
            parts.push(format!("{} = {value}", required.field));
        }
        records.init = parts.join(", ");
        Ok(records)
    }

    /// Test records of `object`: the setup that inserts what they point at (master-detail
    /// parents, required lookups, recursively) and their own field values. `preset` fields are
    /// set by the template; `seq` numbers unique values.
    pub fn test_records(
        &self,
        object: &str,
        preset: &[&str],
        seq: Sequence<'_>,
    ) -> Result<Records, GenerateError> {
        let mut records = Records::default();
        let mut made: Vec<(String, String)> = Vec::new();
        records.init = self.fill(object, preset, seq, &mut records, &mut made, 0)?;
        Ok(records)
    }

    fn fill(
        &self,
        object: &str,
        preset: &[&str],
        seq: Sequence<'_>,
        records: &mut Records,
        made: &mut Vec<(String, String)>,
        depth: usize,
    ) -> Result<String, GenerateError> {
        if depth > 4 {
            return Err(GenerateError::UnsupportedRecords {
                object: object.to_string(),
                why: "its required relationships nest more than four levels deep".to_string(),
            });
        }
        let mut parts = Vec::new();
        for required in self.required(object)? {
            if is_preset(preset, &required.field) {
                continue;
            }
            let value = match &required.value {
                Value::Reference { target, .. } => {
                    let var = self.ancestor(target, records, made, depth)?;
                    format!("{var}.Id")
                }
                _ => {
                    records.picklists |= required.value == Value::Picklist;
                    render(object, &required, seq)?
                }
            };
            parts.push(format!("{} = {value}", required.field));
        }
        Ok(parts.join(", "))
    }

    /// The variable of an inserted record of `object`, creating it in the setup once.
    fn ancestor(
        &self,
        object: &str,
        records: &mut Records,
        made: &mut Vec<(String, String)>,
        depth: usize,
    ) -> Result<String, GenerateError> {
        if let Some((_, var)) = made.iter().find(|(o, _)| o.eq_ignore_ascii_case(object)) {
            return Ok(var.clone());
        }
        let init = self.fill(object, &[], Sequence::Single, records, made, depth + 1)?;
        let stem = object_stem(object);
        let mut var: String = stem
            .chars()
            .take(1)
            .flat_map(char::to_lowercase)
            .chain(stem.chars().skip(1))
            .collect();
        let _ = write!(var, "{}", made.len() + 1);
        records
            .setup
            .push(format!("{object} {var} = new {object}({init});"));
        records.setup.push(format!("insert {var};"));
        made.push((object.to_string(), var.clone()));
        Ok(var)
    }
}

fn is_preset(preset: &[&str], field: &str) -> bool {
    preset.iter().any(|p| p.eq_ignore_ascii_case(field))
}

/// `Invoice__c`, `acme__Invoice__c`, `Rate__mdt` …: anything with a `__` suffix.
pub fn is_custom(object: &str) -> bool {
    object.contains("__")
}

fn is_custom_field(field: &str) -> bool {
    field.to_ascii_lowercase().ends_with("__c")
}

/// `acme__Key__c`: a namespace prefix before the name.
pub fn has_namespace(name: &str) -> bool {
    name.split("__").count() > 2
}

fn standard_value(value: StandardValue) -> Value {
    match value {
        StandardValue::Text(length) => Value::Text {
            unique: false,
            length,
        },
        StandardValue::Date => Value::Date,
        StandardValue::DateTime => Value::DateTime,
        StandardValue::Number => Value::Number { unique: false },
        StandardValue::Picklist => Value::Picklist,
        StandardValue::Fixed(v) => Value::Fixed(v.to_string()),
        StandardValue::Reference(target) => Value::Reference {
            target: target.to_string(),
            master_detail: false,
        },
    }
}

fn custom_value(field: &Field) -> Value {
    let unique = field.unique;
    match field.field_type.to_ascii_lowercase().as_str() {
        "text" | "textarea" | "longtextarea" | "html" | "encryptedtext" => Value::Text {
            unique,
            length: field.length.unwrap_or(255),
        },
        "email" => Value::Email { unique },
        "phone" => Value::Phone,
        "url" => Value::Url,
        "number" | "currency" | "percent" => Value::Number { unique },
        "date" => Value::Date,
        "datetime" => Value::DateTime,
        "time" => Value::Time,
        "picklist" | "multiselectpicklist" => Value::Picklist,
        "lookup" | "masterdetail" | "hierarchy" => match field.reference_to.first() {
            Some(target) => Value::Reference {
                target: target.clone(),
                master_detail: field.master_detail,
            },
            None => Value::Unsupported(format!("{} without <referenceTo>", field.field_type)),
        },
        other => Value::Unsupported(other.to_string()),
    }
}

/// The Apex expression for a required field's value.
fn render(object: &str, required: &Required, seq: Sequence<'_>) -> Result<String, GenerateError> {
    let numbered = |base: &str| match seq {
        Sequence::Loop => format!("'{base}-' + i"),
        Sequence::Single => format!("'{base}-0'"),
        Sequence::Parent(id) => format!("'{base}-' + {id}"),
    };
    Ok(match &required.value {
        Value::Text { unique, length } => {
            if *unique {
                numbered("lockgen")
            } else {
                let text: String = "lockgen".chars().take((*length).max(1)).collect();
                format!("'{text}'")
            }
        }
        Value::Email { unique } => {
            if *unique {
                format!("{} + '@example.com'", numbered("lockgen"))
            } else {
                "'lockgen@example.com'".to_string()
            }
        }
        Value::Phone => "'5550100'".to_string(),
        Value::Url => "'https://example.com'".to_string(),
        Value::Number { unique } => match (unique, seq) {
            (false, _) => "1".to_string(),
            (true, Sequence::Loop) => "i".to_string(),
            (true, Sequence::Single) => "0".to_string(),
            (true, Sequence::Parent(_)) => {
                return Err(GenerateError::UnsupportedRequired {
                    object: object.to_string(),
                    field: required.field.clone(),
                    kind: "a unique number".to_string(),
                });
            }
        },
        Value::Date => "Date.today()".to_string(),
        Value::DateTime => "System.now()".to_string(),
        Value::Time => "Time.newInstance(12, 0, 0, 0)".to_string(),
        Value::Picklist => format!("picklistDefault({object}.{})", required.field),
        Value::Fixed(v) => format!("'{v}'"),
        Value::Reference { .. } | Value::Unsupported(_) => {
            let kind = match &required.value {
                Value::Unsupported(t) => t.clone(),
                _ => "a relationship".to_string(),
            };
            return Err(GenerateError::UnsupportedRequired {
                object: object.to_string(),
                field: required.field.clone(),
                kind,
            });
        }
    })
}

/// The element of field `name` in a `.field-meta.xml` (the root) or an `.object` file.
fn field_element(text: &str, name: &str) -> Option<xml::Element> {
    let root = xml::parse(text).ok()?;
    if root.name == "CustomField" {
        return Some(root);
    }
    root.children_named("fields")
        .find(|f| {
            f.child_text("fullName")
                .is_some_and(|n| n.rsplit('.').next().unwrap_or(n).eq_ignore_ascii_case(name))
        })
        .cloned()
}
