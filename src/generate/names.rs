//! Validation of the names generators put into Apex: class names and SObject/field API names.

/// Apex reserved keywords (Apex Developer Guide, "Reserved Keywords"), lower-case.
const RESERVED: &[&str] = &[
    "abstract",
    "activate",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "autonomous",
    "begin",
    "bigdecimal",
    "blob",
    "boolean",
    "break",
    "bulk",
    "by",
    "byte",
    "case",
    "cast",
    "catch",
    "char",
    "class",
    "collect",
    "commit",
    "const",
    "continue",
    "currency",
    "date",
    "datetime",
    "decimal",
    "default",
    "delete",
    "desc",
    "do",
    "double",
    "else",
    "end",
    "enum",
    "exception",
    "exit",
    "export",
    "extends",
    "false",
    "final",
    "finally",
    "float",
    "for",
    "from",
    "global",
    "goto",
    "group",
    "having",
    "hint",
    "if",
    "implements",
    "import",
    "in",
    "inner",
    "insert",
    "instanceof",
    "int",
    "integer",
    "interface",
    "into",
    "join",
    "like",
    "limit",
    "list",
    "long",
    "loop",
    "map",
    "merge",
    "new",
    "not",
    "null",
    "nulls",
    "number",
    "object",
    "of",
    "on",
    "or",
    "outer",
    "override",
    "package",
    "parallel",
    "pragma",
    "private",
    "protected",
    "public",
    "retrieve",
    "return",
    "rollback",
    "select",
    "set",
    "short",
    "sobject",
    "sort",
    "static",
    "string",
    "super",
    "switch",
    "synchronized",
    "system",
    "testmethod",
    "then",
    "this",
    "throw",
    "time",
    "transaction",
    "trigger",
    "true",
    "try",
    "undelete",
    "update",
    "upsert",
    "using",
    "virtual",
    "void",
    "webservice",
    "when",
    "where",
    "while",
];

/// The longest Apex class, trigger or field name.
pub const MAX_NAME: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("`{0}` is not a valid Apex name: it must start with a letter")]
    FirstCharacter(String),
    #[error("`{0}` is not a valid Apex name: only letters, digits and underscores are allowed")]
    Character(String),
    #[error("`{0}` is not a valid Apex name: it must not contain two underscores in a row")]
    DoubleUnderscore(String),
    #[error("`{0}` is not a valid Apex name: it must not end with an underscore")]
    TrailingUnderscore(String),
    #[error("`{0}` is too long: Apex names have at most {MAX_NAME} characters")]
    TooLong(String),
    #[error("`{0}` is a reserved word in Apex")]
    Reserved(String),
    #[error("`{0}` is empty")]
    Empty(String),
    #[error(
        "`{0}` is not an SObject API name: use a standard object (`Account`), a custom one (`Invoice__c`) or a namespaced one (`acme__Invoice__c`)"
    )]
    SObject(String),
    #[error(
        "`{0}` is not a field API name: use a standard field (`AccountId`) or a custom one (`Key__c`, `acme__Key__c`)"
    )]
    Field(String),
}

/// A class, trigger or method name: letter first, then letters, digits and single underscores,
/// no trailing underscore, at most 40 characters, not a reserved word.
pub fn apex_identifier(name: &str) -> Result<(), NameError> {
    let owned = || name.to_string();
    let Some(first) = name.chars().next() else {
        return Err(NameError::Empty(owned()));
    };
    if !first.is_ascii_alphabetic() {
        return Err(NameError::FirstCharacter(owned()));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(NameError::Character(owned()));
    }
    if name.contains("__") {
        return Err(NameError::DoubleUnderscore(owned()));
    }
    if name.ends_with('_') {
        return Err(NameError::TrailingUnderscore(owned()));
    }
    if name.len() > MAX_NAME {
        return Err(NameError::TooLong(owned()));
    }
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(NameError::Reserved(owned()));
    }
    Ok(())
}

/// `Account`, `Invoice__c`, `acme__Invoice__c` (also `__mdt`, `__e`, `__x`, `__b`). Standard
/// objects named like Apex words (`Case`, `Group`, `Order`) are objects, not reserved words.
pub fn sobject_name(name: &str) -> Result<(), NameError> {
    custom_name(name, &["__c", "__mdt", "__e", "__x", "__b"])
        .or_else(|e| match e {
            NameError::Reserved(_) => Ok(()),
            other => Err(other),
        })
        .map_err(|_| NameError::SObject(name.to_string()))
}

/// `AccountId`, `Key__c`, `acme__Key__c`.
pub fn field_name(name: &str) -> Result<(), NameError> {
    custom_name(name, &["__c"]).map_err(|_| NameError::Field(name.to_string()))
}

/// A standard name (an identifier) or `[ns__]Name__suffix`.
fn custom_name(name: &str, suffixes: &[&str]) -> Result<(), NameError> {
    let Some(suffix) = suffixes
        .iter()
        .find(|s| name.to_ascii_lowercase().ends_with(*s))
    else {
        return apex_identifier(name);
    };
    let stem = &name[..name.len() - suffix.len()];
    let parts: Vec<&str> = stem.split("__").collect();
    if parts.len() > 2 || name.len() > MAX_NAME + suffix.len() + 17 {
        return Err(NameError::Character(name.to_string()));
    }
    for part in parts {
        apex_identifier(part).or_else(|e| match e {
            // A custom object may be named after a keyword (`Order__c`).
            NameError::Reserved(_) => Ok(()),
            other => Err(other),
        })?;
    }
    Ok(())
}

/// `Invoice` for `acme__Invoice__c`, `Account` for `Account`: a base for generated class names.
pub fn object_stem(object: &str) -> String {
    let lower = object.to_ascii_lowercase();
    let without_suffix = ["__c", "__mdt", "__e", "__x", "__b"]
        .iter()
        .find(|s| lower.ends_with(*s))
        .map_or(object, |s| &object[..object.len() - s.len()]);
    let stem = without_suffix.rsplit("__").next().unwrap_or(without_suffix);
    stem.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apex_identifiers() {
        assert!(apex_identifier("SummaryJob").is_ok());
        assert!(apex_identifier("Summary_Job2").is_ok());
        assert_eq!(
            apex_identifier("2Job"),
            Err(NameError::FirstCharacter("2Job".into()))
        );
        assert_eq!(
            apex_identifier("Job__X"),
            Err(NameError::DoubleUnderscore("Job__X".into()))
        );
        assert_eq!(
            apex_identifier("Job_"),
            Err(NameError::TrailingUnderscore("Job_".into()))
        );
        assert_eq!(
            apex_identifier("Job-1"),
            Err(NameError::Character("Job-1".into()))
        );
        assert_eq!(
            apex_identifier("Trigger"),
            Err(NameError::Reserved("Trigger".into()))
        );
        assert!(matches!(
            apex_identifier(&"A".repeat(41)),
            Err(NameError::TooLong(_))
        ));
        assert!(apex_identifier(&"A".repeat(40)).is_ok());
        assert_eq!(apex_identifier(""), Err(NameError::Empty(String::new())));
    }

    #[test]
    fn sobject_and_field_names() {
        for ok in [
            "Account",
            "Case",
            "Group",
            "Order",
            "Invoice__c",
            "acme__Invoice__c",
            "Order__c",
            "Rate__mdt",
        ] {
            assert!(sobject_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "Invoice__",
            "a__b__c__c",
            "__c",
            "Inv oice__c",
            "1Invoice__c",
        ] {
            assert!(sobject_name(bad).is_err(), "{bad}");
        }
        assert!(field_name("AccountId").is_ok());
        assert!(field_name("acme__Key__c").is_ok());
        assert!(field_name("Key__x").is_err());
    }

    #[test]
    fn stems_name_generated_classes() {
        assert_eq!(object_stem("acme__Invoice_Line__c"), "InvoiceLine");
        assert_eq!(object_stem("Account"), "Account");
        assert_eq!(object_stem("Payment__c"), "Payment");
    }
}
