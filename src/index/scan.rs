//! One pass over all production code before the call graph is built: which classes are created
//! (for Rapid Type Analysis), and the trigger-handler configuration that frameworks build in
//! Apex (TDTM's `Trigger_Handler__c` records).

use std::collections::HashSet;

use rayon::prelude::*;

use crate::apex::model::{Expr, ExprKind, Stmt};
use crate::apex::visit::{self, Visit};
use crate::metadata::{CustomMetadataRecord, strip_namespace};

use super::ApexUnit;
use super::events::Events;
use super::symbols::{ClassId, Symbols};

/// A TDTM handler as configured in Apex: `new Trigger_Handler__c(Class__c = 'X', Object__c =
/// 'Contact', Trigger_Action__c = 'AfterInsert;AfterUpdate', …)`.
#[derive(Debug, Clone)]
pub struct TdtmConfig {
    pub class_name: String,
    pub object: String,
    pub events: Events,
}

#[derive(Debug, Default)]
pub struct Scan {
    /// By `ClassId`: created in production code, with `new` or by name.
    pub instantiated: Vec<bool>,
    /// By `ClassId`: named where classes are created by name (a string literal, a custom
    /// metadata record value), so code may create it anywhere.
    pub named: Vec<bool>,
    pub tdtm: Vec<TdtmConfig>,
}

/// What one class (or trigger) body contributes.
#[derive(Default)]
struct Found {
    created: Vec<ClassId>,
    strings: HashSet<String>,
    tdtm: Vec<TdtmConfig>,
}

/// Scan every production class and trigger, and the custom metadata records (which name the
/// classes that frameworks create by name).
pub fn scan(units: &[ApexUnit], symbols: &Symbols, records: &[CustomMetadataRecord]) -> Scan {
    let classes: Vec<ClassId> = (0..symbols.classes.len())
        .map(|i| ClassId(i as u32))
        .filter(|c| !symbols.class(*c).is_test)
        .collect();
    let mut found: Vec<Found> = classes
        .par_iter()
        .map(|class| {
            let info = symbols.class(*class);
            let decl = &units[info.unit].model.types[info.type_index];
            let mut finder = Finder {
                symbols,
                context: Some(*class),
                found: Found::default(),
            };
            for field in &decl.fields {
                if let Some(init) = &field.init {
                    finder.visit_expr(init);
                }
            }
            for method in &decl.methods {
                if let Some(body) = &method.body {
                    finder.visit_block(body);
                }
            }
            finder.found
        })
        .collect();
    let in_triggers: Vec<Found> = units
        .par_iter()
        .filter_map(|unit| {
            let trigger = unit.model.trigger.as_ref()?;
            let mut finder = Finder {
                symbols,
                context: None,
                found: Found::default(),
            };
            finder.visit_block(&trigger.body);
            Some(finder.found)
        })
        .collect();
    found.extend(in_triggers);

    let mut instantiated = vec![false; symbols.classes.len()];
    let mut strings: HashSet<String> = HashSet::new();
    let mut tdtm = Vec::new();
    for part in found {
        for class in part.created {
            instantiated[class.index()] = true;
        }
        strings.extend(part.strings);
        tdtm.extend(part.tdtm);
    }
    for record in records {
        for (_, value) in &record.values {
            strings.insert(value.trim().to_ascii_lowercase());
        }
    }
    // Created by name: `Type.forName('C')`, a handler named in configuration, a record value.
    let named: Vec<bool> = symbols
        .classes
        .iter()
        .map(|class| strings.contains(&class.qualified.to_ascii_lowercase()))
        .collect();
    for (index, by_name) in named.iter().enumerate() {
        instantiated[index] |= by_name;
    }
    Scan {
        instantiated,
        named,
        tdtm,
    }
}

struct Finder<'s> {
    symbols: &'s Symbols,
    context: Option<ClassId>,
    found: Found,
}

impl<'a> Visit<'a> for Finder<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        visit::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::New { ty, args } => {
                if let Some(class) = self.symbols.resolve_class(&ty.name, self.context) {
                    self.found.created.push(class);
                }
                if strip_namespace(&ty.name).eq_ignore_ascii_case("Trigger_Handler__c")
                    && let Some(config) = tdtm_config(args)
                {
                    self.found.tdtm.push(config);
                }
            }
            // Class names are short; skip SOQL text and messages.
            ExprKind::StringLiteral(text) if text.len() <= 120 && !text.contains(' ') => {
                self.found.strings.insert(text.trim().to_ascii_lowercase());
            }
            _ => {}
        }
        visit::walk_expr(self, expr);
    }
}

/// `Class__c = 'X', Object__c = 'Contact', Trigger_Action__c = 'AfterInsert;AfterUpdate'`.
fn tdtm_config(args: &[Expr]) -> Option<TdtmConfig> {
    let mut class_name = None;
    let mut object = None;
    let mut events = None;
    for arg in args {
        let ExprKind::Assign { target, value } = &arg.kind else {
            continue;
        };
        let (ExprKind::Name(field), ExprKind::StringLiteral(text)) = (&target.kind, &value.kind)
        else {
            continue;
        };
        match strip_namespace(&field.text).to_ascii_lowercase().as_str() {
            "class__c" => class_name = Some(text.trim().to_string()),
            "object__c" => object = Some(text.trim().to_string()),
            "trigger_action__c" => events = Some(Events::parse_list(text)),
            _ => {}
        }
    }
    Some(TdtmConfig {
        class_name: class_name?,
        object: object?,
        events: events?,
    })
}
