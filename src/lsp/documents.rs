//! The kinds of document the server knows, by how their names end: how a suppression is
//! written in each. Which files are analysed is the project's inventory (discovery decides, as
//! for `lockgen lint`); this table only says how to talk about them. A new kind of source
//! (flows: `*.flow-meta.xml`, `*.flow`) is one line here.

/// How a `lockgen:ignore` comment is written in a kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comment {
    /// `// lockgen:ignore LCK007 <reason>`
    Line,
    /// `<!-- lockgen:ignore LCK003 <reason> -->`
    Xml,
}

/// A kind of document: the end of its file name, the editor's language id, its comments.
#[derive(Debug, Clone, Copy)]
pub struct DocumentType {
    pub suffix: &'static str,
    pub language: &'static str,
    pub comment: Comment,
}

/// Longest suffix first, so that `.trigger-meta.xml` is XML and not a trigger.
pub const DOCUMENT_TYPES: &[DocumentType] = &[
    doc(".trigger-meta.xml", "xml", Comment::Xml),
    doc(".flow-meta.xml", "xml", Comment::Xml),
    doc(".field-meta.xml", "xml", Comment::Xml),
    doc(".object-meta.xml", "xml", Comment::Xml),
    doc(".md-meta.xml", "xml", Comment::Xml),
    doc(".trigger", "apex", Comment::Line),
    doc(".object", "xml", Comment::Xml),
    doc(".flow", "xml", Comment::Xml),
    doc(".cls", "apex", Comment::Line),
    doc(".xml", "xml", Comment::Xml),
    doc(".md", "xml", Comment::Xml),
];

const fn doc(suffix: &'static str, language: &'static str, comment: Comment) -> DocumentType {
    DocumentType {
        suffix,
        language,
        comment,
    }
}

/// The type of a file by its name (case-insensitive), if the server knows it.
pub fn document_type(path: &str) -> Option<&'static DocumentType> {
    let lower = path.to_ascii_lowercase();
    DOCUMENT_TYPES.iter().find(|t| lower.ends_with(t.suffix))
}

/// The suppression comment for `code`, as a line of its own with this indentation.
pub fn ignore_comment(path: &str, code: &str, indent: &str) -> String {
    match document_type(path).map_or(Comment::Line, |t| t.comment) {
        Comment::Line => format!("{indent}// lockgen:ignore {code} <reason>\n"),
        Comment::Xml => format!("{indent}<!-- lockgen:ignore {code} <reason> -->\n"),
    }
}

/// Files whose change changes the settings or the inventory: the server reloads them.
pub fn is_settings_file(path: &str) -> bool {
    path.ends_with("/lockgen.toml") || path == "lockgen.toml"
}

pub fn is_project_file(path: &str) -> bool {
    ["sfdx-project.json", ".forceignore", "package.xml"]
        .iter()
        .any(|name| path == *name || path.ends_with(&format!("/{name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_pick_the_comment() {
        assert_eq!(
            ignore_comment("classes/A.cls", "LCK007", "    "),
            "    // lockgen:ignore LCK007 <reason>\n"
        );
        assert_eq!(
            ignore_comment("triggers/A.trigger-meta.xml", "LCK001", ""),
            "<!-- lockgen:ignore LCK001 <reason> -->\n"
        );
        assert_eq!(
            document_type("flows/F.flow-meta.xml").map(|t| t.comment),
            Some(Comment::Xml)
        );
        assert_eq!(document_type("A.TRIGGER").map(|t| t.language), Some("apex"));
        assert!(document_type("README.txt").is_none());
    }
}
