//! Flow XML to the owned [`FlowFile`] model, on the same span-keeping XML reader as object
//! metadata.

use crate::apex::Span;
use crate::metadata::MetadataProblem;
use crate::metadata::xml::{self, Element as Xml};

use super::model::*;

/// Children of `<Flow>` that are not elements of its graph (they have a `<name>` too).
const NOT_ELEMENTS: &[&str] = &[
    "variables",
    "formulas",
    "constants",
    "textTemplates",
    "choices",
    "dynamicChoiceSets",
    "stages",
    "processMetadataValues",
    "start",
];

/// Connector elements whose `<targetReference>` leads to the next element.
const CONNECTORS: &[&str] = &[
    "connector",
    "defaultConnector",
    "faultConnector",
    "nextValueConnector",
    "noMoreValuesConnector",
];

/// Parse a flow file; `api_name` is its file name without the extension.
pub fn parse_flow(api_name: &str, text: &str) -> Result<FlowFile, MetadataProblem> {
    let root = xml::parse(text).map_err(|error| MetadataProblem {
        span: Span::new(error.offset, error.offset),
        message: format!("invalid XML: {}", error.message),
    })?;
    if root.name != "Flow" {
        return Err(MetadataProblem {
            span: Span::new(root.span.start as usize, root.span.start as usize),
            message: format!("expected a `<Flow>` document, found `<{}>`", root.name),
        });
    }
    let elements: Vec<Element> = root
        .children
        .iter()
        .filter(|c| !NOT_ELEMENTS.contains(&c.name.as_str()))
        .filter_map(element)
        .collect();
    let variables = root
        .children_named("variables")
        .filter_map(|v| {
            let name = v.child_text("name")?.to_string();
            let is_sobject = v
                .child_text("dataType")
                .is_some_and(|t| t.eq_ignore_ascii_case("SObject"));
            Some(Variable {
                name,
                object_type: v
                    .child_text("objectType")
                    .filter(|_| is_sobject)
                    .map(str::to_string),
                is_collection: v
                    .child_text("isCollection")
                    .is_some_and(|c| c.eq_ignore_ascii_case("true")),
            })
        })
        .collect();
    let process_type = root.child_text("processType").map(str::to_string);
    let start = match root.child("start") {
        Some(start) => parse_start(start),
        None => process_builder_start(&root),
    };
    Ok(FlowFile {
        api_name: api_name.to_string(),
        label: root.child_text("label").unwrap_or_default().to_string(),
        status: root
            .child_text("status")
            .map_or(FlowStatus::Other, FlowStatus::parse),
        process_type,
        start,
        elements,
        variables,
    })
}

fn parse_start(start: &Xml) -> Start {
    Start {
        object: start.child_text("object").map(str::to_string),
        trigger_type: start.child_text("triggerType").map(str::to_string),
        record_trigger_type: start.child_text("recordTriggerType").map(str::to_string),
        connector: start
            .child("connector")
            .and_then(|c| c.child_text("targetReference"))
            .map(str::to_string),
        scheduled_paths: start
            .children_named("scheduledPaths")
            .map(|path| ScheduledPath {
                name: path.child_text("name").unwrap_or_default().to_string(),
                label: path.child_text("label").unwrap_or_default().to_string(),
                after_commit: path
                    .child_text("pathType")
                    .is_some_and(|t| t.eq_ignore_ascii_case("AsyncAfterCommit")),
                connector: path
                    .child("connector")
                    .and_then(|c| c.child_text("targetReference"))
                    .map(str::to_string),
                span: path.child("name").map_or(path.span, |n| n.span),
            })
            .collect(),
        frequency: start
            .child("schedule")
            .and_then(|s| s.child_text("frequency"))
            .map(str::to_string),
        span: start.span,
        object_span: start.child("object").map(|o| o.span),
    }
}

/// Process Builder: `<startElementReference>`, and the object and trigger type in the flow's
/// `processMetadataValues` (`ObjectType`, `TriggerType`: `onCreateOnly` or `onAllChanges`).
fn process_builder_start(root: &Xml) -> Start {
    let metadata = |name: &str| {
        root.children_named("processMetadataValues")
            .find(|m| m.child_text("name") == Some(name))
            .and_then(|m| m.child("value"))
            .and_then(|v| v.child_text("stringValue"))
            .map(str::to_string)
    };
    let record_trigger_type = metadata("TriggerType").map(|t| {
        if t.eq_ignore_ascii_case("onCreateOnly") {
            "Create".to_string()
        } else {
            "CreateAndUpdate".to_string()
        }
    });
    Start {
        object: metadata("ObjectType"),
        trigger_type: None,
        record_trigger_type,
        connector: root.child_text("startElementReference").map(str::to_string),
        scheduled_paths: Vec::new(),
        frequency: None,
        span: root.child("startElementReference").map_or(
            Span::new(root.span.start as usize, root.span.start as usize),
            |e| e.span,
        ),
        object_span: None,
    }
}

fn element(node: &Xml) -> Option<Element> {
    let name_node = node.child("name")?;
    let kind = ElementKind::from_tag(&node.name);
    let mut targets = Vec::new();
    collect_targets(node, &mut targets);
    targets.sort();
    targets.dedup();
    let text = |tag: &str| node.child_text(tag).map(str::to_string);
    Some(Element {
        name: name_node.text.clone(),
        label: node.child_text("label").unwrap_or_default().to_string(),
        kind,
        name_span: name_node.span,
        targets,
        next_value: node
            .child("nextValueConnector")
            .and_then(|c| c.child_text("targetReference"))
            .map(str::to_string),
        collection: text("collectionReference"),
        object: text("object"),
        input_reference: text("inputReference"),
        output_reference: text("outputReference"),
        store_output: node
            .child_text("storeOutputAutomatically")
            .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        flow_name: text("flowName"),
        action_type: text("actionType"),
        action_name: text("actionName"),
        has_fault_path: node.child("faultConnector").is_some(),
    })
}

/// Every `<targetReference>` under a connector, at any depth (decision rules, wait events).
fn collect_targets(node: &Xml, out: &mut Vec<String>) {
    for child in &node.children {
        if CONNECTORS.contains(&child.name.as_str()) {
            if let Some(target) = child.child_text("targetReference") {
                out.push(target.to_string());
            }
        } else {
            collect_targets(child, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AFTER_SAVE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Line Totals</label>
    <processType>AutoLaunchedFlow</processType>
    <loops>
        <name>Each_Line</name>
        <label>Each Line</label>
        <collectionReference>Get_Lines</collectionReference>
        <nextValueConnector><targetReference>Touch_Invoice</targetReference></nextValueConnector>
        <noMoreValuesConnector><targetReference>Done</targetReference></noMoreValuesConnector>
    </loops>
    <recordUpdates>
        <name>Touch_Invoice</name>
        <label>Touch Invoice</label>
        <connector><targetReference>Each_Line</targetReference></connector>
        <faultConnector><targetReference>Log_Error</targetReference></faultConnector>
        <inputReference>$Record.Invoice__r</inputReference>
    </recordUpdates>
    <start>
        <connector><targetReference>Each_Line</targetReference></connector>
        <object>Invoice_Line__c</object>
        <recordTriggerType>CreateAndUpdate</recordTriggerType>
        <scheduledPaths>
            <name>Later</name>
            <label>Later</label>
            <connector><targetReference>Touch_Invoice</targetReference></connector>
            <pathType>AsyncAfterCommit</pathType>
        </scheduledPaths>
        <triggerType>RecordAfterSave</triggerType>
    </start>
    <status>Active</status>
    <variables>
        <name>Invoices</name>
        <dataType>SObject</dataType>
        <isCollection>true</isCollection>
        <objectType>Invoice__c</objectType>
    </variables>
</Flow>
"#;

    #[test]
    fn an_after_save_flow_reads_whole() {
        let flow = parse_flow("Line_Totals", AFTER_SAVE).unwrap();
        assert_eq!(flow.label, "Line Totals");
        assert!(flow.is_active() && flow.is_record_triggered() && !flow.is_before_save());
        assert_eq!(flow.start.object.as_deref(), Some("Invoice_Line__c"));
        assert_eq!(flow.start.connector.as_deref(), Some("Each_Line"));
        assert_eq!(flow.start.scheduled_paths.len(), 1);
        let (_, each) = flow.element("each_line").unwrap();
        assert_eq!(each.kind, ElementKind::Loop);
        assert_eq!(each.next_value.as_deref(), Some("Touch_Invoice"));
        assert_eq!(each.targets, ["Done", "Touch_Invoice"]);
        let (_, touch) = flow.element("Touch_Invoice").unwrap();
        assert_eq!(touch.input_reference.as_deref(), Some("$Record.Invoice__r"));
        assert!(touch.has_fault_path);
        assert_eq!(
            &AFTER_SAVE[touch.name_span.start as usize..touch.name_span.end as usize],
            "<name>Touch_Invoice</name>"
        );
        let invoices = flow.variable("invoices").unwrap();
        assert!(invoices.is_collection);
        assert_eq!(invoices.object_type.as_deref(), Some("Invoice__c"));
    }

    #[test]
    fn process_builder_names_its_object_in_metadata() {
        let text = r#"<Flow><label>Case Process</label><processType>Workflow</processType>
<processMetadataValues><name>ObjectType</name><value><stringValue>Case</stringValue></value></processMetadataValues>
<processMetadataValues><name>TriggerType</name><value><stringValue>onAllChanges</stringValue></value></processMetadataValues>
<startElementReference>myDecision</startElementReference><status>Active</status></Flow>"#;
        let flow = parse_flow("Case_Process", text).unwrap();
        assert!(flow.is_process_builder() && flow.is_record_triggered());
        assert_eq!(flow.start.object.as_deref(), Some("Case"));
        assert_eq!(
            flow.start.record_trigger_type.as_deref(),
            Some("CreateAndUpdate")
        );
        assert_eq!(flow.start.connector.as_deref(), Some("myDecision"));
    }

    #[test]
    fn invalid_xml_is_a_problem_with_a_place() {
        let problem = parse_flow("Broken", "<Flow><label>x</Flow>").unwrap_err();
        assert!(problem.message.starts_with("invalid XML"));
    }
}
