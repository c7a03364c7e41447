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

/// `<object>.object` (metadata API format): every `<fields>` inside.
pub fn parse_object_file(object: &str, text: &str) -> Result<Vec<FieldMeta>, MetadataProblem> {
    let root = xml::parse(text).map_err(invalid_xml)?;
    Ok(root
        .children_named("fields")
        .map(|f| field_from_element(object, f, ""))
        .filter(|f| !f.name.is_empty())
        .collect())
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
        let fields = parse_object_file("C__c", text).unwrap();
        assert_eq!(fields.len(), 2);
        assert!(fields[0].locks_parent());
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
