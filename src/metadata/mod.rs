//! Object metadata, in both layouts (`objects/<Obj>/fields/*.field-meta.xml` and `<Obj>.object`),
//! trigger status from `*.trigger-meta.xml`, and the built-in lock table for standard objects.

pub mod standard;
pub mod xml;

use crate::apex::Span;
use xml::Element;

/// One custom or standard field definition, as far as locking cares.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FieldMeta {
    pub object: String,
    pub name: String,
    /// `Lookup`, `MasterDetail`, `Text` …
    pub field_type: Option<String>,
    pub reference_to: Vec<String>,
    /// `SetNull`, `Restrict` or `Cascade`, for lookups.
    pub delete_constraint: Option<String>,
    pub required: bool,
    pub external_id: bool,
    pub unique: bool,
    /// Where the field is defined (`<fullName>` element), and its `<deleteConstraint>`.
    pub name_span: Span,
    pub delete_constraint_span: Option<Span>,
    pub required_span: Option<Span>,
}

impl FieldMeta {
    pub fn is_master_detail(&self) -> bool {
        self.field_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("MasterDetail"))
    }

    pub fn is_lookup(&self) -> bool {
        self.field_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Lookup"))
    }

    pub fn is_restrict(&self) -> bool {
        self.delete_constraint
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case("Restrict"))
    }

    /// Does a write to a record of this object lock the record this field points at?
    /// Master-detail always; a lookup when `Restrict` or required (a `SetNull` lookup,
    /// the default, does not).
    pub fn locks_parent(&self) -> bool {
        self.is_master_detail() || (self.is_lookup() && (self.is_restrict() || self.required))
    }
}

/// A metadata file that is not what it should be: the message and where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MetadataProblem {
    pub span: Span,
    pub message: String,
}

fn invalid_xml(error: xml::XmlError) -> MetadataProblem {
    MetadataProblem {
        span: Span::new(error.offset, error.offset),
        message: format!("invalid XML: {}", error.message),
    }
}

fn flag(element: &Element, name: &str) -> bool {
    element
        .child_text(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The text span of a child element, for pointing findings at its line.
fn child_span(element: &Element, name: &str) -> Option<Span> {
    element.child(name).map(|c| c.span)
}

fn field_from_element(object: &str, element: &Element, fallback_name: &str) -> FieldMeta {
    let name = element
        .child_text("fullName")
        .filter(|n| !n.is_empty())
        .unwrap_or(fallback_name);
    // In a `.field-meta.xml`, `fullName` may be `Object.Field`.
    let name = name.rsplit('.').next().unwrap_or(name).to_string();
    FieldMeta {
        object: object.to_string(),
        name,
        field_type: element.child_text("type").map(str::to_string),
        reference_to: element
            .children_named("referenceTo")
            .map(|r| r.text.clone())
            .filter(|r| !r.is_empty())
            .collect(),
        delete_constraint: element.child_text("deleteConstraint").map(str::to_string),
        required: flag(element, "required"),
        external_id: flag(element, "externalId"),
        unique: flag(element, "unique"),
        name_span: child_span(element, "fullName").unwrap_or(element.span),
        delete_constraint_span: child_span(element, "deleteConstraint"),
        required_span: child_span(element, "required"),
    }
}

/// `objects/<object>/fields/<Field>.field-meta.xml`.
pub fn parse_field_file(
    object: &str,
    file_stem: &str,
    text: &str,
) -> Result<FieldMeta, MetadataProblem> {
    let root = xml::parse(text).map_err(invalid_xml)?;
    if root.name != "CustomField" {
        return Err(MetadataProblem {
            span: Span::new(root.span.start as usize, root.span.start as usize),
            message: format!(
                "expected a `<CustomField>` document, found `<{}>`",
                root.name
            ),
        });
    }
    Ok(field_from_element(object, &root, file_stem))
}

/// `<object>.object` (metadata API format): the object's settings and every `<fields>` inside.
pub fn parse_object_file(
    object: &str,
    text: &str,
) -> Result<(ObjectMeta, Vec<FieldMeta>), MetadataProblem> {
    let root = xml::parse(text).map_err(invalid_xml)?;
    let fields = root
        .children_named("fields")
        .map(|f| field_from_element(object, f, ""))
        .filter(|f| !f.name.is_empty())
        .collect();
    Ok((object_from_element(object, &root), fields))
}

/// What an object's own definition says, as far as locking cares.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ObjectMeta {
    pub object: String,
    /// `<customSettingsType>` is set: a custom setting, configuration rather than business rows.
    pub custom_setting: bool,
}

fn object_from_element(object: &str, root: &Element) -> ObjectMeta {
    ObjectMeta {
        object: object.to_string(),
        custom_setting: root
            .child_text("customSettingsType")
            .is_some_and(|t| !t.is_empty()),
    }
}

/// `objects/<object>/<object>.object-meta.xml` (source format).
pub fn parse_object_meta_file(object: &str, text: &str) -> Result<ObjectMeta, MetadataProblem> {
    let root = xml::parse(text).map_err(invalid_xml)?;
    Ok(object_from_element(object, &root))
}

/// One custom metadata record: its type (without `__mdt`), DeveloperName and field values.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CustomMetadataRecord {
    pub type_name: String,
    pub record: String,
    /// `(field, value)` for every `<values>` with a value, as written.
    pub values: Vec<(String, String)>,
}

impl CustomMetadataRecord {
    /// The value of a field, compared case-insensitively and without a namespace prefix.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(name, _)| strip_namespace(name).eq_ignore_ascii_case(field))
            .map(|(_, value)| value.as_str())
    }

    /// Is this a record of `type_name` (namespace prefix ignored)?
    pub fn is_type(&self, type_name: &str) -> bool {
        let name = self.type_name.trim_start_matches("___NAMESPACE___");
        name.eq_ignore_ascii_case(type_name)
            || name
                .split_once("__")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(type_name))
    }
}

/// `ns__Name__c` → `Name__c`; names without a namespace are returned as they are.
pub fn strip_namespace(name: &str) -> &str {
    let trimmed = name.trim_start_matches("___NAMESPACE___");
    match trimmed.split_once("__") {
        Some((_, rest)) if rest.contains("__") => rest,
        _ => trimmed,
    }
}

/// `customMetadata/<Type>.<Record>.md-meta.xml`.
pub fn parse_custom_metadata_record(
    type_name: &str,
    record: &str,
    text: &str,
) -> Result<CustomMetadataRecord, MetadataProblem> {
    let root = xml::parse(text).map_err(invalid_xml)?;
    let values = root
        .children_named("values")
        .filter_map(|v| {
            let field = v.child_text("field")?;
            let value = v.child_text("value")?;
            (!field.is_empty() && !value.is_empty()).then(|| (field.to_string(), value.to_string()))
        })
        .collect();
    Ok(CustomMetadataRecord {
        type_name: type_name.to_string(),
        record: record.to_string(),
        values,
    })
}

/// Trigger status from `<name>.trigger-meta.xml`: false for `Inactive` (and `Deleted`).
pub fn parse_trigger_status(text: &str) -> Result<TriggerStatus, MetadataProblem> {
    let root = xml::parse(text).map_err(invalid_xml)?;
    let status = root.child("status");
    let active = status.is_none_or(|s| s.text.eq_ignore_ascii_case("Active"));
    Ok(TriggerStatus {
        active,
        status_span: status.map(|s| s.span),
        api_version: root.child_text("apiVersion").map(str::to_string),
    })
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TriggerStatus {
    pub active: bool,
    pub status_span: Option<Span>,
    pub api_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_with_restrict_locks_its_parent() {
        let text = "<CustomField xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n<fullName>Account__c</fullName>\n<deleteConstraint>Restrict</deleteConstraint>\n<referenceTo>Account</referenceTo>\n<type>Lookup</type>\n</CustomField>";
        let field = parse_field_file("Invoice__c", "Account__c", text).unwrap();
        assert_eq!(field.name, "Account__c");
        assert_eq!(field.reference_to, vec!["Account".to_string()]);
        assert!(field.locks_parent());
        assert!(field.delete_constraint_span.is_some());
    }

    #[test]
    fn set_null_lookup_does_not_lock() {
        let text = "<CustomField><fullName>A__c</fullName><deleteConstraint>SetNull</deleteConstraint><type>Lookup</type><referenceTo>Account</referenceTo></CustomField>";
        assert!(
            !parse_field_file("X__c", "A__c", text)
                .unwrap()
                .locks_parent()
        );
    }

    #[test]
    fn object_files_hold_many_fields() {
        let text = "<CustomObject><fields><fullName>Parent__c</fullName><type>MasterDetail</type><referenceTo>P__c</referenceTo></fields><fields><fullName>Name__c</fullName><type>Text</type></fields></CustomObject>";
        let (object, fields) = parse_object_file("C__c", text).unwrap();
        assert!(!object.custom_setting);
        assert_eq!(fields.len(), 2);
        assert!(fields[0].locks_parent());
    }

    #[test]
    fn custom_settings_and_metadata_records() {
        let settings = parse_object_meta_file(
            "Settings__c",
            "<CustomObject><customSettingsType>Hierarchy</customSettingsType></CustomObject>",
        )
        .unwrap();
        assert!(settings.custom_setting);
        let record = parse_custom_metadata_record(
            "Trigger_Action",
            "TA_One",
            "<CustomMetadata><values><field>Apex_Class_Name__c</field><value>TA_One</value></values><values><field>After_Insert__c</field><value/></values></CustomMetadata>",
        )
        .unwrap();
        assert_eq!(record.value("apex_class_name__c"), Some("TA_One"));
        assert_eq!(record.value("After_Insert__c"), None);
        assert_eq!(
            strip_namespace("hed__Trigger_Handler__c"),
            "Trigger_Handler__c"
        );
        assert_eq!(strip_namespace("Trigger_Handler__c"), "Trigger_Handler__c");
    }

    #[test]
    fn inactive_trigger_status() {
        let status = parse_trigger_status(
            "<ApexTrigger><apiVersion>61.0</apiVersion><status>Inactive</status></ApexTrigger>",
        )
        .unwrap();
        assert!(!status.active);
    }
}
