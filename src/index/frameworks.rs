//! Trigger frameworks, followed from what they leave in the source to the handlers that run for
//! each object and event:
//! - the Apex Trigger Actions Framework: `Trigger_Action__mdt` records name the class and, per
//!   context field (`Before_Insert__c` …), the object's `sObject_Trigger_Setting__mdt` record;
//! - TDTM (NPSP, EDA): `Trigger_Handler__c` records built in Apex with string literals for the
//!   class, the object and the actions;
//! - fflib domains: `fflib_SObjectDomain.triggerHandler(Accounts.class)` in a trigger body;
//! - any other handler registry configured in custom metadata: a record that names both a
//!   class and an object (Nebula Logger's `LoggerSObjectHandler__mdt`, home-grown ones) makes
//!   that class a handler of that object, for every event.
//!
//! A trigger on T runs only the handlers mapped to T and the event saved; the framework's
//! generic dispatch into handlers is not followed (see `Symbols::dispatch`).

use std::collections::HashMap;

use crate::apex::model::{ExprKind, Stmt};
use crate::apex::visit::{self, Visit};
use crate::metadata::{CustomMetadataRecord, strip_namespace};

use super::ApexUnit;
use super::events::Events;
use super::scan::TdtmConfig;
use super::symbols::{ClassId, MethodId, Symbols};
use super::types::SObjectNames;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    TriggerActions,
    Tdtm,
    FflibDomain,
    /// A custom metadata record naming a class and an object.
    Configured,
}

impl Framework {
    pub fn name(self) -> &'static str {
        match self {
            Framework::TriggerActions => "Trigger Actions Framework",
            Framework::Tdtm => "TDTM",
            Framework::FflibDomain => "fflib domain",
            Framework::Configured => "custom metadata handler registry",
        }
    }
}

/// A handler class a framework runs for an object, on some events.
#[derive(Debug, Clone)]
pub struct Handler {
    pub class: ClassId,
    pub events: Events,
    pub framework: Framework,
}

#[derive(Debug, Default)]
pub struct Frameworks {
    /// Object key (lower-cased, namespace stripped) → its handlers.
    by_object: HashMap<String, Vec<Handler>>,
    /// By `ClassId`: configured as a handler somewhere.
    pub handler_classes: Vec<bool>,
    /// Object key → flows a framework runs for it (`Trigger_Action__mdt.Flow_Name__c`), with
    /// their events.
    flows_by_object: HashMap<String, Vec<(MethodId, Events)>>,
}

/// How objects are compared across configuration and triggers: `hed__Course__c` and
/// `Course__c` are the same object.
pub fn object_key(name: &str) -> String {
    strip_namespace(name.trim()).to_ascii_lowercase()
}

impl Frameworks {
    pub fn build(
        units: &[ApexUnit],
        symbols: &Symbols,
        sobjects: &SObjectNames,
        tdtm: &[TdtmConfig],
        records: &[CustomMetadataRecord],
    ) -> Frameworks {
        let mut frameworks = Frameworks {
            by_object: HashMap::new(),
            handler_classes: vec![false; symbols.classes.len()],
            flows_by_object: HashMap::new(),
        };
        for config in tdtm {
            if let Some(class) = symbols.resolve_class(&config.class_name, None) {
                frameworks.add(&config.object, class, config.events, Framework::Tdtm);
            }
        }
        frameworks.add_trigger_actions(symbols, records);
        frameworks.add_configured(symbols, sobjects, records);
        for unit in units {
            let Some(trigger) = &unit.model.trigger else {
                continue;
            };
            let mut finder = DomainFinder {
                symbols,
                domains: Vec::new(),
            };
            finder.visit_block(&trigger.body);
            let events = trigger
                .events
                .iter()
                .filter_map(|e| Events::parse(e))
                .fold(Events::NONE, Events::union);
            for class in finder.domains {
                frameworks.add(&trigger.object.text, class, events, Framework::FflibDomain);
            }
        }
        for handlers in frameworks.by_object.values_mut() {
            handlers.sort_by_key(|h| h.class);
        }
        frameworks
    }

    fn add(&mut self, object: &str, class: ClassId, events: Events, framework: Framework) {
        if events.is_empty() {
            return;
        }
        self.handler_classes[class.index()] = true;
        let handlers = self.by_object.entry(object_key(object)).or_default();
        match handlers.iter_mut().find(|h| h.class == class) {
            Some(existing) => existing.events = existing.events.union(events),
            None => handlers.push(Handler {
                class,
                events,
                framework,
            }),
        }
    }

    /// `Trigger_Action__mdt` records: `Apex_Class_Name__c`, and per context a lookup to the
    /// `sObject_Trigger_Setting__mdt` record whose `Object_API_Name__c` names the object.
    fn add_trigger_actions(&mut self, symbols: &Symbols, records: &[CustomMetadataRecord]) {
        let settings: HashMap<String, String> = records
            .iter()
            .filter(|r| r.is_type("sObject_Trigger_Setting"))
            .filter_map(|r| {
                let object = r.value("Object_API_Name__c")?;
                let object = match r.value("Object_Namespace__c") {
                    Some(ns) if !ns.is_empty() => format!("{ns}__{object}"),
                    _ => object.to_string(),
                };
                Some((r.record.to_ascii_lowercase(), object))
            })
            .collect();
        for record in records.iter().filter(|r| r.is_type("Trigger_Action")) {
            // A flow action: `Flow_Name__c` names an autolaunched flow run per context.
            if let Some(flow) = record
                .value("Flow_Name__c")
                .and_then(|name| symbols.flow(name))
            {
                for (field, value) in &record.values {
                    let (Some(event), Some(object)) = (
                        Events::parse(strip_namespace(field)),
                        settings.get(&value.trim().to_ascii_lowercase()),
                    ) else {
                        continue;
                    };
                    self.flows_by_object
                        .entry(object_key(object))
                        .or_default()
                        .push((flow, event));
                }
            }
            let Some(class) = record
                .value("Apex_Class_Name__c")
                .and_then(|name| symbols.resolve_class(name.trim(), None))
            else {
                continue;
            };
            for (field, value) in &record.values {
                let Some(event) = Events::parse(strip_namespace(field)) else {
                    continue;
                };
                let Some(object) = settings.get(&value.trim().to_ascii_lowercase()) else {
                    continue;
                };
                self.add(object, class, event, Framework::TriggerActions);
            }
        }
    }

    /// Records of any other type that name exactly one production class and one object.
    fn add_configured(
        &mut self,
        symbols: &Symbols,
        sobjects: &SObjectNames,
        records: &[CustomMetadataRecord],
    ) {
        for record in records {
            if record.is_type("Trigger_Action") || record.is_type("sObject_Trigger_Setting") {
                continue;
            }
            let mut classes = Vec::new();
            let mut objects = Vec::new();
            for (_, value) in &record.values {
                let value = value.trim();
                if let Some(class) = symbols.resolve_class(value, None) {
                    let info = symbols.class(class);
                    if info.is_concrete() && !info.is_test {
                        classes.push(class);
                    }
                } else if let Some(object) = sobjects.sobject(value) {
                    objects.push(object);
                }
            }
            if let ([class], [object]) = (classes.as_slice(), objects.as_slice()) {
                self.add(object, *class, Events::ALL, Framework::Configured);
            }
        }
    }

    /// The handlers a framework runs for an object.
    pub fn handlers_on(&self, object: &str) -> &[Handler] {
        self.by_object
            .get(&object_key(object))
            .map_or(&[], Vec::as_slice)
    }

    /// Flows a framework runs for an object, with the events they are mapped to.
    pub fn flows_on(&self, object: &str) -> &[(MethodId, Events)] {
        self.flows_by_object
            .get(&object_key(object))
            .map_or(&[], Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.by_object.is_empty() && self.flows_by_object.is_empty()
    }
}

impl Handler {
    /// The handler's methods that the framework calls for these events.
    pub fn entry_methods(&self, symbols: &Symbols, events: Events) -> Vec<MethodId> {
        let events = events.intersect(self.events);
        let mut methods = Vec::new();
        match self.framework {
            Framework::Tdtm => {
                if !events.is_empty() {
                    methods.extend(symbols.find_methods(self.class, "run", 4));
                }
            }
            Framework::TriggerActions => {
                for name in events.names() {
                    let method = camel_case(name);
                    methods.extend(symbols.find_methods_any_arity(self.class, &method));
                }
            }
            Framework::FflibDomain => {
                for name in events.names() {
                    for method in fflib_methods(name) {
                        methods.extend(symbols.find_methods_any_arity(self.class, method));
                    }
                }
                // The domain is constructed for the trigger's records.
                methods.extend(symbols.constructors(self.class, 1));
            }
            // Reached through the framework's own dispatch, inside the trigger (see `reach`).
            Framework::Configured => {}
        }
        methods.sort();
        methods.dedup();
        methods
    }
}

/// `after update` → `afterUpdate`, the Trigger Actions Framework's method names.
fn camel_case(event: &str) -> String {
    let mut out = String::new();
    for (index, word) in event.split_whitespace().enumerate() {
        if index == 0 {
            out.push_str(word);
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    out
}

/// The `fflib_SObjectDomain` methods a domain overrides for an event.
fn fflib_methods(event: &str) -> &'static [&'static str] {
    match event {
        "before insert" => &["onApplyDefaults", "onBeforeInsert"],
        "before update" => &["onBeforeUpdate"],
        "before delete" => &["onBeforeDelete"],
        "after insert" => &["onValidate", "onAfterInsert"],
        "after update" => &["onValidate", "onAfterUpdate"],
        "after delete" => &["onAfterDelete"],
        "after undelete" => &["onAfterUndelete"],
        _ => &[],
    }
}

/// `fflib_SObjectDomain.triggerHandler(Accounts.class)` (or `Accounts.Constructor.class`).
struct DomainFinder<'s> {
    symbols: &'s Symbols,
    domains: Vec<ClassId>,
}

impl<'a> Visit<'a> for DomainFinder<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        visit::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a crate::apex::model::Expr) {
        if let ExprKind::Call(call) = &expr.kind
            && call.name.is("triggerHandler")
            && let Some(name) = call.args.first().and_then(|a| a.class_literal())
            && let Some(class) = self.symbols.resolve_class(&name, None)
        {
            let info = self.symbols.class(class);
            // `Accounts.Constructor.class` names the domain's constructor class.
            let domain = match info.outer {
                Some(outer) if info.name.eq_ignore_ascii_case("Constructor") => outer,
                _ => class,
            };
            self.domains.push(domain);
        }
        visit::walk_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_action_method_names() {
        assert_eq!(camel_case("after undelete"), "afterUndelete");
        assert_eq!(camel_case("before insert"), "beforeInsert");
    }
}
