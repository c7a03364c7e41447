//! A small element tree over quick-xml that keeps byte spans, enough for Salesforce metadata
//! files. Entities are never expanded (a DTD is skipped, not interpreted), so an
//! entity-expansion bomb costs nothing; nesting is capped.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::apex::Span;

/// Metadata files are a few levels deep; anything deeper is not Salesforce metadata.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct Element {
    /// Local name, without namespace prefix.
    pub name: String,
    /// Concatenated text content, trimmed and unescaped.
    pub text: String,
    pub children: Vec<Element>,
    /// From `<` of the start tag to `>` of the end tag.
    pub span: Span,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub offset: usize,
    pub message: String,
}

/// Parse a whole document and return its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| XmlError {
            offset: usize::try_from(reader.error_position()).unwrap_or(before),
            message: e.to_string(),
        })?;
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError {
                        offset: before,
                        message: format!("elements nested deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(Element {
                    name: start.local_name().into_inner().to_string(),
                    span: Span::new(before, after),
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                let element = Element {
                    name: start.local_name().into_inner().to_string(),
                    span: Span::new(before, after),
                    ..Element::default()
                };
                attach(&mut stack, &mut root, element, before)?;
            }
            Event::End(_) => {
                let Some(mut element) = stack.pop() else {
                    return Err(XmlError {
                        offset: before,
                        message: "closing tag without an opening tag".to_string(),
                    });
                };
                element.span = Span::new(element.span.start as usize, after);
                element.text = element.text.trim().to_string();
                attach(&mut stack, &mut root, element, before)?;
            }
            Event::Text(content) => {
                if let Some(current) = stack.last_mut() {
                    let raw: &str = &content[..];
                    current.text.push_str(&unescape_lenient(raw));
                }
            }
            Event::CData(content) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&content[..]);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(current) = stack.last_mut() {
                    let name: &str = &reference[..];
                    current.text.push_str(&resolve_reference(name));
                }
            }
            Event::Eof => break,
            // Declarations, comments, processing instructions, and the DTD: skipped. Custom
            // entities declared in a DTD are never expanded.
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            offset: text.len(),
            message: format!("unexpected end of file: `<{}>` is not closed", open.name),
        });
    }
    root.ok_or(XmlError {
        offset: 0,
        message: "no root element".to_string(),
    })
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
    offset: usize,
) -> Result<(), XmlError> {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(element);
        Ok(())
    } else if root.is_none() {
        *root = Some(element);
        Ok(())
    } else {
        Err(XmlError {
            offset,
            message: "more than one root element".to_string(),
        })
    }
}

/// The five predefined entities and character references; anything else stays as written.
fn resolve_reference(name: &str) -> String {
    match name {
        "lt" => "<".to_string(),
        "gt" => ">".to_string(),
        "amp" => "&".to_string(),
        "apos" => "'".to_string(),
        "quot" => "\"".to_string(),
        _ => {
            let code = name
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()));
            match code.and_then(char::from_u32) {
                Some(c) => c.to_string(),
                None => format!("&{name};"),
            }
        }
    }
}

fn unescape_lenient(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.find(';') {
            Some(end) if end <= 10 => {
                out.push_str(&resolve_reference(&after[..end]));
                rest = &after[end + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_with_spans() {
        let text = "<?xml version=\"1.0\"?>\n<CustomField xmlns=\"x\">\n  <type>Lookup</type>\n  <label>A &amp; B</label>\n</CustomField>\n";
        let root = parse(text).unwrap();
        assert_eq!(root.name, "CustomField");
        assert_eq!(root.child_text("type"), Some("Lookup"));
        assert_eq!(root.child_text("label"), Some("A & B"));
        let ty = root.child("type").unwrap();
        assert_eq!(
            &text[ty.span.start as usize..ty.span.end as usize],
            "<type>Lookup</type>"
        );
    }

    #[test]
    fn mismatched_and_unclosed_tags_are_errors() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a><b></b>").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn custom_entities_are_not_expanded() {
        let bomb = "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<r>&b;</r>";
        let root = parse(bomb).unwrap();
        assert_eq!(root.text, "&b;");
    }
}
