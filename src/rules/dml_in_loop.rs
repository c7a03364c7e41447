use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::apex::model::{Dml, DmlKind, Expr, ExprKind, Loop, LoopKind, Stmt, StmtKind, TypeRef};
use crate::apex::visit::{self, Visit};
use crate::flow::{Element, FlowFile, FlowStatus};
use crate::index::flows;
use crate::index::typing::MethodScope;
use crate::index::{FileId, Project};

declare_rule! {
    /// ## What it does
    /// Flags a DML statement, or a `Database.insert/update/upsert/delete/undelete/merge` call,
    /// written inside the body of a loop.
    ///
    /// ## Why it matters
    /// Each DML statement locks the rows it writes and their locked parents, and holds those
    /// locks until the transaction ends. In a loop the same parents are locked again and again,
    /// the transaction runs longer while holding them, and concurrent jobs wait on it until they
    /// fail with `UNABLE_TO_LOCK_ROW` (long before the 150-statement DML limit is reached).
    /// Collect the records in the loop and write them once, after it.
    ///
    /// The rule is lexical: a method called inside a loop that itself does DML does not fire
    /// here (LCK002 and LCK008 follow calls). It does not fire where the DML runs at most once
    /// or once per chunk: when `break`, `return` or `throw` follows it in its block; under an
    /// `if` that compares a collection's `size()` with a bound (a chunked flush); in a SOQL
    /// list for-loop (`for (List<T> chunk : [SELECT …])`, 200 rows at a time), a walk over a
    /// list of lists, or an index stepping through a list in chunks (`i += chunkSize`). Nor
    /// where each iteration writes a `List<SObject>` it has just loaded (from a query or a
    /// call): such a loop works through object types or levels (a deletion order, a cascade),
    /// one write per type. A `merge` takes one master per statement and does not fire, nor
    /// does test code.
    ///
    /// Flows: a Create, Update or Delete Records element inside a flow loop (reached from the
    /// loop's next-value connector before the path returns to the loop) fires, in active and
    /// draft flows (a draft is about to be activated).
    ///
    /// ## Example
    /// ```apex
    /// public with sharing class ContactCleaner {
    ///     public static void normalise(List<Contact> contacts) {
    ///         for (Contact c : contacts) {
    ///             c.Email = c.Email.toLowerCase();
    ///             update c;
    ///         }
    ///     }
    /// }
    /// ```
    /// ```xml flows/Normalise_Contacts.flow-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <label>Normalise Contacts</label>
    ///     <loops>
    ///         <name>Each_Contact</name>
    ///         <label>Each Contact</label>
    ///         <collectionReference>Get_Contacts</collectionReference>
    ///         <nextValueConnector><targetReference>Save_Contact</targetReference></nextValueConnector>
    ///     </loops>
    ///     <processType>AutoLaunchedFlow</processType>
    ///     <recordLookups>
    ///         <name>Get_Contacts</name>
    ///         <label>Get Contacts</label>
    ///         <connector><targetReference>Each_Contact</targetReference></connector>
    ///         <getFirstRecordOnly>false</getFirstRecordOnly>
    ///         <object>Contact</object>
    ///         <storeOutputAutomatically>true</storeOutputAutomatically>
    ///     </recordLookups>
    ///     <recordUpdates>
    ///         <name>Save_Contact</name>
    ///         <label>Save Contact</label>
    ///         <connector><targetReference>Each_Contact</targetReference></connector>
    ///         <inputReference>Each_Contact</inputReference>
    ///     </recordUpdates>
    ///     <start><connector><targetReference>Get_Contacts</targetReference></connector></start>
    ///     <status>Active</status>
    /// </Flow>
    /// ```
    ///
    /// ## Fix
    /// ```apex
    /// public with sharing class ContactCleaner {
    ///     public static void normalise(List<Contact> contacts) {
    ///         for (Contact c : contacts) {
    ///             c.Email = c.Email.toLowerCase();
    ///         }
    ///         update contacts;
    ///     }
    /// }
    /// ```
    /// ```xml flows/Normalise_Contacts.flow-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <label>Normalise Contacts</label>
    ///     <loops>
    ///         <name>Each_Contact</name>
    ///         <label>Each Contact</label>
    ///         <collectionReference>Get_Contacts</collectionReference>
    ///         <nextValueConnector><targetReference>Collect</targetReference></nextValueConnector>
    ///         <noMoreValuesConnector><targetReference>Save_Contact</targetReference></noMoreValuesConnector>
    ///     </loops>
    ///     <assignments>
    ///         <name>Collect</name>
    ///         <label>Collect</label>
    ///         <assignmentItems>
    ///             <assignToReference>Changed</assignToReference>
    ///             <operator>Add</operator>
    ///             <value><elementReference>Each_Contact</elementReference></value>
    ///         </assignmentItems>
    ///         <connector><targetReference>Each_Contact</targetReference></connector>
    ///     </assignments>
    ///     <processType>AutoLaunchedFlow</processType>
    ///     <recordLookups>
    ///         <name>Get_Contacts</name>
    ///         <label>Get Contacts</label>
    ///         <connector><targetReference>Each_Contact</targetReference></connector>
    ///         <getFirstRecordOnly>false</getFirstRecordOnly>
    ///         <object>Contact</object>
    ///         <storeOutputAutomatically>true</storeOutputAutomatically>
    ///     </recordLookups>
    ///     <recordUpdates>
    ///         <name>Save_Contact</name>
    ///         <label>Save Contact</label>
    ///         <inputReference>Changed</inputReference>
    ///     </recordUpdates>
    ///     <start><connector><targetReference>Get_Contacts</targetReference></connector></start>
    ///     <status>Active</status>
    ///     <variables>
    ///         <name>Changed</name>
    ///         <dataType>SObject</dataType>
    ///         <isCollection>true</isCollection>
    ///         <objectType>Contact</objectType>
    ///     </variables>
    /// </Flow>
    /// ```
    /// In a flow, add each record to a collection variable inside the loop, and update the
    /// collection once, after it.
    ///
    /// ## References
    /// - [Apex Developer Guide: Bulk DML Exception Handling and best practices](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_dml_bulk_exceptions.htm)
    /// - [Record Locking Cheat Sheet](https://developer.salesforce.com/docs/atlas.en-us.salesforce_record_locking_cheatsheet.meta/salesforce_record_locking_cheatsheet/)
    pub DmlInLoop {
        code: "LCK007",
        name: "dml-in-loop",
        default_severity: Warning,
        since: "0.1.0",
    }
}

fn message(dml: &Dml, object: Option<&str>, loop_kind: LoopKind) -> String {
    let mut what = if dml.via_database {
        format!("`Database.{}`", dml.kind.keyword())
    } else {
        format!("`{}`", dml.kind.keyword())
    };
    if let Some(object) = object {
        what.push_str(&format!(" of `{object}`"));
    }
    let in_loop = match loop_kind {
        LoopKind::While => "a `while` loop",
        LoopKind::DoWhile => "a `do … while` loop",
        LoopKind::For | LoopKind::ForEach => "a `for` loop",
    };
    format!(
        "{what} inside {in_loop}: it can run once per iteration, taking the row locks again each time"
    )
}

fn flow_message(
    flow: &FlowFile,
    write: &Element,
    object: Option<&str>,
    in_loop: &Element,
) -> String {
    let mut what = format!("`{}` element `{}`", write.kind.builder_name(), label(write));
    if let Some(object) = object {
        what.push_str(&format!(" of `{object}`"));
    }
    format!(
        "{what} inside loop `{}` in {}: it can run once per item, taking the row locks again each time",
        label(in_loop),
        flow.display()
    )
}

fn label(element: &Element) -> &str {
    if element.label.is_empty() {
        &element.name
    } else {
        &element.label
    }
}

impl Rule for DmlInLoop {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        // Flows: active ones run, and a draft is about to be activated.
        let cx = project.program.flow_context(&project.apex);
        for unit in &project.flows {
            let flow = &unit.model;
            if !matches!(flow.status, FlowStatus::Active | FlowStatus::Draft) {
                continue;
            }
            for (loop_index, write_index) in flows::writes_in_loops(flow) {
                let write = &flow.elements[write_index];
                let object = flows::write_object(&cx, flow, write);
                let mut finding = Finding::new(
                    &Self::META,
                    unit.file,
                    write.name_span,
                    flow_message(flow, write, object.as_deref(), &flow.elements[loop_index]),
                )
                .with_help("add the records to a collection variable inside the loop, and create, update or delete the collection once after it");
                if let Some(object) = object {
                    finding = finding.with_object(object);
                }
                findings.push(finding);
            }
        }
        project.for_each_typed_body(
            // Only bodies with DML in them.
            |_, facts| facts.own_writes().next().is_some(),
            |id, body, scope| {
                let mut finder = DmlInLoopFinder {
                    scope,
                    file: project.program.symbols.method(id).file,
                    innermost: None,
                    loaded_generic_lists: Vec::new(),
                    findings,
                };
                finder.visit_block(body);
            },
        );
    }
}

/// The innermost loop around the current statement, and what makes its DML run at most once
/// or once per chunk.
#[derive(Clone, Copy)]
struct LoopContext {
    kind: LoopKind,
    /// A SOQL list for-loop, a walk over a list of lists, or a step through a list in chunks.
    chunked: bool,
    /// Enclosing `if`s (inside the loop) that compare a collection's size with a bound.
    size_guards: usize,
    /// Enclosing blocks (inside the loop) in which a later statement leaves the loop.
    exits_after: usize,
}

struct DmlInLoopFinder<'s, 'p, 'f> {
    scope: &'s MethodScope<'p>,
    file: FileId,
    innermost: Option<LoopContext>,
    /// Locals of the innermost loop's body that hold a `List<SObject>` loaded there (lower
    /// case): a write of one is a write per object type, not per record.
    loaded_generic_lists: Vec<String>,
    findings: &'f mut Vec<Finding>,
}

impl<'a> Visit<'a> for DmlInLoopFinder<'_, '_, '_> {
    fn visit_block(&mut self, block: &'a [Stmt]) {
        for (index, stmt) in block.iter().enumerate() {
            // `update x; break;`: the DML runs once, then the loop ends.
            let exit_follows = block[index + 1..].iter().any(leaves_loop);
            if let Some(context) = self.innermost.as_mut() {
                context.exits_after += usize::from(exit_follows);
            }
            self.visit_stmt(stmt);
            if let Some(context) = self.innermost.as_mut() {
                context.exits_after -= usize::from(exit_follows);
            }
        }
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Loop(l) => {
                // The header (init, condition, update, iterable) runs per iteration too, but
                // DML cannot appear there; only the body counts.
                for init in &l.init {
                    self.visit_stmt(init);
                }
                let outer = self.innermost.replace(LoopContext {
                    kind: l.kind,
                    chunked: is_chunked(l),
                    size_guards: 0,
                    exits_after: 0,
                });
                let outer_lists = std::mem::take(&mut self.loaded_generic_lists);
                self.visit_stmt(&l.body);
                self.innermost = outer;
                self.loaded_generic_lists = outer_lists;
            }
            StmtKind::Local { ty, vars } if self.innermost.is_some() => {
                if is_generic_records_list(ty) {
                    for (name, value) in vars {
                        if value.as_ref().is_some_and(is_loaded) {
                            self.loaded_generic_lists.push(name.key());
                        }
                    }
                }
                visit::walk_stmt(self, stmt);
            }
            StmtKind::If {
                condition,
                then,
                otherwise,
            } if self.innermost.is_some() => {
                self.visit_expr(condition);
                let guard = compares_size_with_bound(condition);
                self.adjust_guards(guard, true);
                self.visit_stmt(then);
                self.adjust_guards(guard, false);
                if let Some(otherwise) = otherwise {
                    self.visit_stmt(otherwise);
                }
            }
            StmtKind::Return(_) | StmtKind::Throw(_) => {
                // `return Database.insert(x);` runs once.
                let context = self.innermost;
                if let Some(c) = self.innermost.as_mut() {
                    c.exits_after += 1;
                }
                visit::walk_stmt(self, stmt);
                self.innermost = context;
            }
            _ => visit::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let ExprKind::Dml(dml) = &expr.kind
            && let Some(context) = self.innermost
            // Each merge names one master: one statement per master is the API's shape.
            && dml.kind != DmlKind::Merge
            // Runs at most once, or once per chunk: the locks are not taken again and again.
            && !context.chunked
            && context.size_guards == 0
            && context.exits_after == 0
            // One write per object type or level: the loop is not over records.
            && !self.writes_a_loaded_generic_list(&dml.target)
        {
            let object = self.scope.records_object(&dml.target);
            let mut finding = Finding::new(
                &DmlInLoop::META,
                self.file,
                expr.span,
                message(dml, object.as_deref(), context.kind),
            )
            .with_help(
                "collect the records in a list inside the loop and write them once after it",
            );
            if let Some(object) = object {
                finding = finding.with_object(object);
            }
            self.findings.push(finding);
        }
        visit::walk_expr(self, expr);
    }
}

impl DmlInLoopFinder<'_, '_, '_> {
    fn writes_a_loaded_generic_list(&self, target: &Expr) -> bool {
        matches!(&target.kind, ExprKind::Name(name) if self.loaded_generic_lists.contains(&name.key()))
    }

    fn adjust_guards(&mut self, guard: bool, entering: bool) {
        if let (true, Some(context)) = (guard, self.innermost.as_mut()) {
            if entering {
                context.size_guards += 1;
            } else {
                context.size_guards -= 1;
            }
        }
    }
}

/// `return`, `throw` or `break` (or a block ending in one): the loop does not go on.
/// `continue` does not count: the next iteration runs the DML again.
fn leaves_loop(stmt: &Stmt) -> bool {
    match &stmt.kind {
        StmtKind::Return(_) | StmtKind::Throw(_) | StmtKind::Break => true,
        StmtKind::Block(block) => block.last().is_some_and(leaves_loop),
        _ => false,
    }
}

/// A loop whose body runs once per chunk of records: `for (List<T> chunk : [SELECT …])` (the
/// SOQL list for-loop, 200 rows at a time), a walk over a list of lists, or an index stepping
/// through a list by more than one (`i += chunkSize`).
fn is_chunked(l: &Loop) -> bool {
    if let Some(each) = &l.each {
        return is_collection_type(&each.ty);
    }
    l.update.iter().any(steps_by_more_than_one)
}

/// `List<SObject>` or `SObject[]` (read as `List<SObject>`): records of any object.
fn is_generic_records_list(ty: &TypeRef) -> bool {
    ty.is("List") && ty.args.first().is_some_and(|arg| arg.is("SObject"))
}

/// A value loaded from somewhere (a query, a call), not built on the spot with `new`.
fn is_loaded(value: &Expr) -> bool {
    matches!(
        value.kind,
        ExprKind::Soql(_) | ExprKind::DynamicQuery(_) | ExprKind::Call(_)
    )
}

fn is_collection_type(ty: &TypeRef) -> bool {
    ty.array || ["List", "Set", "Iterable"].iter().any(|c| ty.is(c))
}

/// `i += size`, `i = i + size` (not `+= 1`).
fn steps_by_more_than_one(update: &Expr) -> bool {
    let step = match &update.kind {
        ExprKind::Binary { op, right, .. } if op == "+=" => right,
        ExprKind::Assign { value, .. } => match &value.kind {
            ExprKind::Binary { op, right, .. } if op == "+" => right,
            _ => return false,
        },
        _ => return false,
    };
    step.integer().is_none_or(|n| n > 1)
}

/// `if (batch.size() >= 200)`, `if (pending.size() == BATCH_SIZE)`: a chunked flush.
fn compares_size_with_bound(condition: &Expr) -> bool {
    match &condition.kind {
        ExprKind::Binary { op, left, right } => match op.as_str() {
            "&&" | "||" => compares_size_with_bound(left) || compares_size_with_bound(right),
            ">=" | ">" | "==" | "<=" | "<" => {
                (is_size_call(left) && is_bound(right)) || (is_size_call(right) && is_bound(left))
            }
            _ => false,
        },
        _ => false,
    }
}

fn is_size_call(expr: &Expr) -> bool {
    matches!(&expr.kind, ExprKind::Call(call) if call.name.is("size") && call.args.is_empty() && call.receiver.is_some())
}

/// Anything but 0 or 1: `size() > 0` is "not empty", not a chunk bound.
fn is_bound(expr: &Expr) -> bool {
    expr.integer().is_none_or(|n| n > 1)
}
