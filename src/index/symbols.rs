//! Symbols: every class (inner ones too) and every body of code (methods, constructors,
//! initializers, accessors, trigger bodies), with name lookup that follows Apex scoping.

use std::collections::{HashMap, HashSet};

use crate::apex::model::{MethodDecl, MethodKind, TypeDecl, TypeKind, TypeRef};
use crate::apex::{ApexFile, Span};

use super::{ApexUnit, FileId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MethodId(pub u32);

impl ClassId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl MethodId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug)]
pub struct ClassInfo {
    /// Index into `Project::apex`.
    pub unit: usize,
    pub file: FileId,
    /// Index into the file's `ApexFile::types`.
    pub type_index: usize,
    pub name: String,
    /// `Outer.Inner` for inner classes.
    pub qualified: String,
    pub outer: Option<ClassId>,
    pub kind: TypeKind,
    pub superclass: Option<ClassId>,
    /// Project interfaces this class implements (or, for an interface, extends).
    pub interfaces: Vec<ClassId>,
    /// Direct subclasses and implementers.
    pub subtypes: Vec<ClassId>,
    pub methods: Vec<MethodId>,
    pub is_test: bool,
    pub is_abstract: bool,
    /// `global`: code outside the project (a subscriber org, Anonymous Apex) may create it.
    pub is_global: bool,
    pub name_span: Span,
}

impl ClassInfo {
    /// A class that can be instantiated: not an interface, enum or abstract class.
    pub fn is_concrete(&self) -> bool {
        self.kind == TypeKind::Class && !self.is_abstract
    }
}

/// Which body of code a method is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Method(MethodKind),
    Trigger,
    /// A path of a flow (`unit` indexes `Project::flows`): 0 is the path that runs at once,
    /// `n` the flow's `n`-th scheduled path.
    Flow(u16),
}

#[derive(Debug)]
pub struct MethodInfo {
    pub class: Option<ClassId>,
    pub unit: usize,
    pub file: FileId,
    /// `(type index, method index)` in the file's model; `None` for a trigger body.
    pub decl: Option<(usize, usize)>,
    pub kind: BodyKind,
    pub name: String,
    pub arity: usize,
    pub is_static: bool,
    pub is_future: bool,
    /// Test code (an `@IsTest` class or method): never runs in production.
    pub is_test: bool,
    /// Called from outside Apex (`@AuraEnabled`, `@InvocableMethod`, `@RemoteAction`, REST,
    /// `webservice`, `global`): a root of its own, whoever else calls it.
    pub externally_invoked: bool,
    pub name_span: Span,
    /// Parameter types as written (`List<Account>`), to tell overloads apart in messages.
    pub param_types: Vec<String>,
    /// The class declares another method of the same name.
    pub overloaded: bool,
    /// By parameter: declared to hold records of any type (`SObject`, `List<SObject>`,
    /// `Map<Id, SObject>`, `Object` …), where records of a known type may be handed over.
    pub generic_records: Vec<bool>,
}

/// A method a call may run, with the class of the object it runs on when the path knows it
/// (which override an unqualified or `this.` call inside it reaches depends on that class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub method: MethodId,
    pub receiver: Option<ClassId>,
}

impl MethodInfo {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

#[derive(Debug, Default)]
pub struct Symbols {
    pub classes: Vec<ClassInfo>,
    pub methods: Vec<MethodInfo>,
    top_level: HashMap<String, ClassId>,
    qualified: HashMap<String, ClassId>,
    inner: HashMap<(ClassId, String), ClassId>,
    /// Every transitive subtype of a class or interface, for virtual and interface dispatch.
    descendants: HashMap<ClassId, Vec<ClassId>>,
    /// Lower-cased last segments of every interface a class implements, directly or through
    /// its superclasses and project interfaces (`queueable`, `batchable`, `finalizer` …).
    interface_names: Vec<HashSet<String>>,
    /// By `ClassId`: created somewhere in production code (`new C(…)`, or named where classes
    /// are created by name). Rapid Type Analysis dispatches only to these.
    instantiated: Vec<bool>,
    /// By `ClassId`: a trigger-framework handler, run through its configuration per object and
    /// event, never through the framework's generic dispatch.
    framework_handler: Vec<bool>,
    /// Lower-cased flow API name → the body of its immediate path (active flows only: only
    /// the active version runs).
    flows: HashMap<String, MethodId>,
    /// By index into `Project::flows`: the bodies of its paths (immediate first).
    flow_paths: Vec<Vec<MethodId>>,
}

/// How deep class hierarchies are followed: cycles in broken code must not hang the run.
const MAX_HIERARCHY: usize = 32;

impl Symbols {
    pub fn build(units: &[ApexUnit]) -> Symbols {
        let mut symbols = Symbols::default();
        let mut first_class_of_unit: Vec<u32> = Vec::with_capacity(units.len());
        // Classes first, so that lookups work when hierarchies are resolved.
        for (unit_index, unit) in units.iter().enumerate() {
            first_class_of_unit.push(symbols.classes.len() as u32);
            let mut ids: Vec<ClassId> = Vec::with_capacity(unit.model.types.len());
            for (type_index, decl) in unit.model.types.iter().enumerate() {
                let id = ClassId(symbols.classes.len() as u32);
                let outer = decl.outer.and_then(|o| ids.get(o).copied());
                let qualified = match outer {
                    Some(o) => format!(
                        "{}.{}",
                        symbols.classes[o.index()].qualified,
                        decl.name.text
                    ),
                    None => decl.name.text.clone(),
                };
                let key = qualified.to_ascii_lowercase();
                match outer {
                    Some(o) => {
                        symbols.inner.entry((o, decl.name.key())).or_insert(id);
                    }
                    None => {
                        symbols.top_level.entry(key.clone()).or_insert(id);
                    }
                }
                symbols.qualified.entry(key).or_insert(id);
                symbols.classes.push(ClassInfo {
                    unit: unit_index,
                    file: unit.file,
                    type_index,
                    name: decl.name.text.clone(),
                    qualified,
                    outer,
                    kind: decl.kind,
                    superclass: None,
                    interfaces: Vec::new(),
                    subtypes: Vec::new(),
                    methods: Vec::new(),
                    is_test: is_test(decl)
                        || outer.is_some_and(|o| symbols.classes[o.index()].is_test),
                    is_abstract: decl.modifiers.has("abstract") || decl.kind == TypeKind::Interface,
                    is_global: decl.modifiers.has("global"),
                    name_span: decl.name.span,
                });
                ids.push(id);
            }
        }
        for index in 0..symbols.classes.len() {
            let id = ClassId(index as u32);
            let decl = symbols.decl(units, id);
            let superclass = decl
                .extends
                .as_ref()
                .and_then(|t| symbols.resolve_class(&t.name, Some(id)))
                .filter(|s| *s != id);
            let interfaces: Vec<ClassId> = decl
                .implements
                .iter()
                .filter_map(|t| symbols.resolve_class(&t.name, Some(id)))
                .filter(|s| *s != id)
                .collect();
            if let Some(parent) = superclass {
                symbols.classes[parent.index()].subtypes.push(id);
            }
            for interface in &interfaces {
                symbols.classes[interface.index()].subtypes.push(id);
            }
            let class = &mut symbols.classes[index];
            class.superclass = superclass;
            class.interfaces = interfaces;
        }
        for (unit_index, unit) in units.iter().enumerate() {
            symbols.add_methods(unit_index, unit, first_class_of_unit[unit_index]);
        }
        symbols.descendants = (0..symbols.classes.len())
            .map(|i| ClassId(i as u32))
            .filter(|c| !symbols.classes[c.index()].subtypes.is_empty())
            .map(|c| (c, symbols.collect_descendants(c)))
            .collect();
        symbols.interface_names = (0..symbols.classes.len())
            .map(|i| symbols.collect_interface_names(units, ClassId(i as u32)))
            .collect();
        symbols
    }

    fn add_methods(&mut self, unit_index: usize, unit: &ApexUnit, first_class: u32) {
        for (type_index, decl) in unit.model.types.iter().enumerate() {
            let class = ClassId(first_class + type_index as u32);
            let class_is_test = self.classes[class.index()].is_test;
            for (method_index, method) in decl.methods.iter().enumerate() {
                let id = MethodId(self.methods.len() as u32);
                let modifiers = &method.modifiers;
                self.methods.push(MethodInfo {
                    class: Some(class),
                    unit: unit_index,
                    file: unit.file,
                    decl: Some((type_index, method_index)),
                    kind: BodyKind::Method(method.kind),
                    name: method.name.text.clone(),
                    arity: method.params.len(),
                    is_static: modifiers.is_static(),
                    is_future: modifiers.annotation("future").is_some(),
                    is_test: class_is_test
                        || modifiers.annotation("IsTest").is_some()
                        || modifiers.has("testmethod"),
                    externally_invoked: modifiers.has("global")
                        || modifiers.has("webservice")
                        || EXTERNAL_ANNOTATIONS
                            .iter()
                            .any(|a| modifiers.annotation(a).is_some()),
                    name_span: method.name.span,
                    param_types: method.params.iter().map(|p| p.ty.display()).collect(),
                    generic_records: method
                        .params
                        .iter()
                        .map(|p| holds_generic_records(&p.ty))
                        .collect(),
                    overloaded: decl
                        .methods
                        .iter()
                        .filter(|m| m.kind == method.kind && m.name.is(&method.name.text))
                        .count()
                        > 1,
                });
                self.classes[class.index()].methods.push(id);
            }
        }
        if let Some(trigger) = &unit.model.trigger {
            self.methods.push(MethodInfo {
                class: None,
                unit: unit_index,
                file: unit.file,
                decl: None,
                kind: BodyKind::Trigger,
                name: trigger.name.text.clone(),
                arity: 0,
                is_static: true,
                is_future: false,
                is_test: false,
                externally_invoked: false,
                name_span: trigger.name.span,
                param_types: Vec::new(),
                overloaded: false,
                generic_records: Vec::new(),
            });
        }
    }

    /// Add a body per path of every flow: what runs at once, then each scheduled path.
    pub fn add_flows(&mut self, flows: &[super::FlowUnit]) {
        for (index, unit) in flows.iter().enumerate() {
            let flow = &unit.model;
            let shown = if flow.label.is_empty() || flow.label == flow.api_name {
                format!("flow {}", flow.api_name)
            } else {
                format!("flow {} ({})", flow.label, flow.api_name)
            };
            let mut paths = Vec::new();
            let starts = std::iter::once((shown.clone(), flow.start.line_span())).chain(
                flow.start
                    .scheduled_paths
                    .iter()
                    .map(|p| (format!("{shown}, scheduled path {}", path_label(p)), p.span)),
            );
            for (path, (name, span)) in starts.enumerate() {
                let id = MethodId(self.methods.len() as u32);
                self.methods.push(MethodInfo {
                    class: None,
                    unit: index,
                    file: unit.file,
                    decl: None,
                    kind: BodyKind::Flow(u16::try_from(path).unwrap_or(u16::MAX)),
                    name,
                    arity: 0,
                    is_static: true,
                    is_future: false,
                    is_test: false,
                    externally_invoked: false,
                    name_span: span,
                    param_types: Vec::new(),
                    overloaded: false,
                    generic_records: Vec::new(),
                });
                paths.push(id);
            }
            if flow.is_active() {
                self.flows
                    .entry(flow.api_name.to_ascii_lowercase())
                    .or_insert(paths[0]);
            }
            self.flow_paths.push(paths);
        }
    }

    /// The body of an active flow's immediate path, by API name (a namespace prefix ignored).
    pub fn flow(&self, api_name: &str) -> Option<MethodId> {
        let key = api_name.trim().to_ascii_lowercase();
        self.flows.get(&key).copied().or_else(|| {
            let (_, rest) = key.split_once("__")?;
            self.flows.get(rest).copied()
        })
    }

    /// The bodies of a flow's paths, by index into `Project::flows`.
    pub fn flow_paths(&self, flow: usize) -> &[MethodId] {
        self.flow_paths.get(flow).map_or(&[][..], Vec::as_slice)
    }

    /// The `@InvocableMethod` methods of a class, as a flow's Apex action names it.
    pub fn invocable_methods(&self, units: &[ApexUnit], class: &str) -> Vec<MethodId> {
        let Some(class) = self.resolve_class(class, None) else {
            return Vec::new();
        };
        self.classes[class.index()]
            .methods
            .iter()
            .copied()
            .filter(|m| {
                self.method_decl(units, *m)
                    .is_some_and(|d| d.modifiers.annotation("InvocableMethod").is_some())
            })
            .collect()
    }

    pub fn class(&self, id: ClassId) -> &ClassInfo {
        &self.classes[id.index()]
    }

    pub fn method(&self, id: MethodId) -> &MethodInfo {
        &self.methods[id.index()]
    }

    pub fn decl<'u>(&self, units: &'u [ApexUnit], id: ClassId) -> &'u TypeDecl {
        let class = self.class(id);
        &units[class.unit].model.types[class.type_index]
    }

    pub fn method_decl<'u>(&self, units: &'u [ApexUnit], id: MethodId) -> Option<&'u MethodDecl> {
        let method = self.method(id);
        if matches!(method.kind, BodyKind::Flow(_)) {
            return None;
        }
        let (type_index, method_index) = method.decl?;
        Some(&units[method.unit].model.types[type_index].methods[method_index])
    }

    /// The Apex file of a method or trigger body; `None` for a flow path.
    pub fn model<'u>(&self, units: &'u [ApexUnit], id: MethodId) -> Option<&'u ApexFile> {
        let method = self.method(id);
        match method.kind {
            BodyKind::Flow(_) => None,
            _ => units.get(method.unit).map(|u| &u.model),
        }
    }

    /// `Class.method`, `new Class` for a constructor, or the trigger name, for messages;
    /// overloads carry their parameter types (`Logger.saveLog(SaveMethod)`).
    pub fn display(&self, id: MethodId) -> String {
        let method = self.method(id);
        let params = || {
            if method.overloaded {
                format!("({})", method.param_types.join(", "))
            } else {
                String::new()
            }
        };
        match (method.class, method.kind) {
            (Some(class), BodyKind::Method(MethodKind::Constructor)) => {
                format!("new {}{}", self.class(class).qualified, params())
            }
            (Some(class), _) => {
                format!(
                    "{}.{}{}",
                    self.class(class).qualified,
                    method.name,
                    params()
                )
            }
            (None, BodyKind::Flow(_)) => method.name.clone(),
            (None, _) => format!("trigger {}", method.name),
        }
    }

    /// Resolve a type name as written inside `context` (inner classes of the context and its
    /// outer and super classes first, then top-level classes).
    pub fn resolve_class(&self, name: &str, context: Option<ClassId>) -> Option<ClassId> {
        let key = name.to_ascii_lowercase();
        if key.contains('.') {
            if let Some(id) = self.qualified.get(&key) {
                return Some(*id);
            }
            // `ns.Class` or `ns.Outer.Inner`: drop a namespace prefix.
            let (_, rest) = key.split_once('.')?;
            return self.qualified.get(rest).copied();
        }
        let mut scope = context;
        let mut steps = 0;
        while let Some(current) = scope {
            if let Some(found) = self.inner_in_hierarchy(current, &key) {
                return Some(found);
            }
            if self.classes[current.index()]
                .name
                .eq_ignore_ascii_case(name)
            {
                return Some(current);
            }
            scope = self.classes[current.index()].outer;
            steps += 1;
            if steps > MAX_HIERARCHY {
                break;
            }
        }
        self.top_level.get(&key).copied()
    }

    fn inner_in_hierarchy(&self, class: ClassId, key: &str) -> Option<ClassId> {
        let mut current = Some(class);
        for _ in 0..MAX_HIERARCHY {
            let id = current?;
            if let Some(found) = self.inner.get(&(id, key.to_string())) {
                return Some(*found);
            }
            current = self.classes[id.index()].superclass;
        }
        None
    }

    /// Methods named `name` taking `arity` arguments, declared in `class` or inherited from its
    /// superclasses (the nearest declaration wins). Same-name methods of another arity are
    /// the fallback, since an unparsed argument must not lose the call.
    pub fn find_methods(&self, class: ClassId, name: &str, arity: usize) -> Vec<MethodId> {
        for wanted in [Some(arity), None] {
            let mut current = Some(class);
            for _ in 0..MAX_HIERARCHY {
                let Some(id) = current else { break };
                let found = self.declared(id, name, wanted);
                if !found.is_empty() {
                    return found;
                }
                current = self.classes[id.index()].superclass;
            }
        }
        Vec::new()
    }

    fn declared(&self, class: ClassId, name: &str, arity: Option<usize>) -> Vec<MethodId> {
        self.classes[class.index()]
            .methods
            .iter()
            .copied()
            .filter(|m| {
                let method = &self.methods[m.index()];
                method.kind == BodyKind::Method(MethodKind::Method)
                    && method.is(name)
                    && arity.is_none_or(|a| method.arity == a)
            })
            .collect()
    }

    /// Constructors of `class` taking `arity` arguments (any arity when none matches).
    pub fn constructors(&self, class: ClassId, arity: usize) -> Vec<MethodId> {
        let all: Vec<MethodId> = self.classes[class.index()]
            .methods
            .iter()
            .copied()
            .filter(|m| self.methods[m.index()].kind == BodyKind::Method(MethodKind::Constructor))
            .collect();
        let exact: Vec<MethodId> = all
            .iter()
            .copied()
            .filter(|m| self.methods[m.index()].arity == arity)
            .collect();
        if exact.is_empty() { all } else { exact }
    }

    /// Instance initializer blocks, run by every constructor.
    pub fn instance_initializers(&self, class: ClassId) -> impl Iterator<Item = MethodId> + '_ {
        self.classes[class.index()]
            .methods
            .iter()
            .copied()
            .filter(|m| {
                let method = &self.methods[m.index()];
                method.kind == BodyKind::Method(MethodKind::Initializer) && !method.is_static
            })
    }

    /// A call on a value whose static type is `class` (Rapid Type Analysis): for every class
    /// that can be the receiver (`class` or a subtype that is concrete, production code and
    /// created somewhere), the method that runs on it. When no such class is seen, the method
    /// the call resolves to statically.
    ///
    /// Trigger-framework handlers are left out when reached through a supertype: the
    /// framework's dispatcher runs the handlers configured for the saved object and event, which
    /// the trigger's own edges follow (see `frameworks`); following every handler from the
    /// dispatcher would make every trigger look like it does what all of them do.
    pub fn dispatch(&self, class: ClassId, name: &str, arity: usize) -> Vec<Target> {
        let mut targets = Vec::new();
        let subtypes = self.descendants.get(&class).map_or(&[][..], Vec::as_slice);
        for receiver in std::iter::once(class).chain(subtypes.iter().copied()) {
            let info = self.class(receiver);
            if !info.is_concrete() || info.is_test || !self.is_instantiated(receiver) {
                continue;
            }
            if receiver != class && self.is_framework_handler(receiver) {
                continue;
            }
            for method in self.find_methods(receiver, name, arity) {
                targets.push(self.target(method, Some(receiver)));
            }
        }
        if targets.is_empty() {
            targets = self
                .find_methods(class, name, arity)
                .into_iter()
                .map(|method| self.target(method, None))
                .collect();
        }
        targets.sort();
        targets.dedup();
        targets
    }

    /// A target, with the receiver kept only where it can change what the method reaches: a
    /// receiver matters for instance methods of classes that have subclasses.
    pub fn target(&self, method: MethodId, receiver: Option<ClassId>) -> Target {
        let info = self.method(method);
        let matters =
            !info.is_static && info.class.is_some_and(|c| !self.descendants(c).is_empty());
        Target {
            method,
            receiver: receiver.filter(|_| matters),
        }
    }

    /// Record which classes production code creates and which are framework handlers.
    pub fn set_dispatch_facts(&mut self, instantiated: Vec<bool>, framework_handler: Vec<bool>) {
        self.instantiated = instantiated;
        self.framework_handler = framework_handler;
    }

    pub fn is_instantiated(&self, class: ClassId) -> bool {
        self.instantiated
            .get(class.index())
            .copied()
            .unwrap_or(false)
    }

    pub fn is_framework_handler(&self, class: ClassId) -> bool {
        self.framework_handler
            .get(class.index())
            .copied()
            .unwrap_or(false)
    }

    /// Every transitive subtype of a class (production code only).
    pub fn descendants(&self, class: ClassId) -> &[ClassId] {
        self.descendants.get(&class).map_or(&[][..], Vec::as_slice)
    }

    /// Is `class` the same as `ancestor` or below it?
    pub fn is_subtype(&self, class: ClassId, ancestor: ClassId) -> bool {
        class == ancestor || self.descendants(ancestor).contains(&class)
    }

    /// Methods named `name` of any arity, declared in `class` or inherited (nearest first).
    pub fn find_methods_any_arity(&self, class: ClassId, name: &str) -> Vec<MethodId> {
        let mut current = Some(class);
        for _ in 0..MAX_HIERARCHY {
            let Some(id) = current else { break };
            let found = self.declared(id, name, None);
            if !found.is_empty() {
                return found;
            }
            current = self.classes[id.index()].superclass;
        }
        Vec::new()
    }

    fn collect_descendants(&self, class: ClassId) -> Vec<ClassId> {
        let mut seen: HashSet<ClassId> = HashSet::new();
        let mut stack = vec![class];
        while let Some(current) = stack.pop() {
            for sub in &self.classes[current.index()].subtypes {
                if seen.insert(*sub) {
                    stack.push(*sub);
                }
            }
        }
        seen.remove(&class);
        // Test classes never run in production: a mock implementing a service interface must
        // not make every caller of that interface look like it does what the mock does.
        let mut out: Vec<ClassId> = seen
            .into_iter()
            .filter(|c| !self.classes[c.index()].is_test)
            .collect();
        out.sort();
        out
    }

    fn collect_interface_names(&self, units: &[ApexUnit], class: ClassId) -> HashSet<String> {
        let mut names = HashSet::new();
        let mut stack = vec![(class, 0usize)];
        let mut seen = HashSet::new();
        while let Some((current, depth)) = stack.pop() {
            if depth > MAX_HIERARCHY || !seen.insert(current) {
                continue;
            }
            let decl = self.decl(units, current);
            for interface in &decl.implements {
                names.insert(interface_key(interface));
            }
            let info = &self.classes[current.index()];
            for next in info.interfaces.iter().chain(info.superclass.iter()) {
                stack.push((*next, depth + 1));
            }
        }
        names
    }

    /// Does the class implement an interface whose last name segment is `name` (lower case),
    /// directly, through a superclass, or through a project interface?
    pub fn implements(&self, class: ClassId, name: &str) -> bool {
        self.interface_names[class.index()].contains(name)
    }
}

/// `SObject`, `Object`, or a collection of them: records whose type the declaration does not say.
pub fn holds_generic_records(ty: &TypeRef) -> bool {
    let last = ty.last_segment();
    if last.eq_ignore_ascii_case("SObject") || last.eq_ignore_ascii_case("Object") {
        return true;
    }
    ["List", "Set", "Map", "Iterable"].iter().any(|c| ty.is(c))
        && ty.args.last().is_some_and(holds_generic_records)
}

/// A scheduled path as messages name it: its label, else its API name.
fn path_label(path: &crate::flow::model::ScheduledPath) -> &str {
    if !path.label.is_empty() {
        &path.label
    } else if !path.name.is_empty() {
        &path.name
    } else if path.after_commit {
        // Flow Builder's name for the path it creates itself.
        "Run Asynchronously"
    } else {
        "(unnamed)"
    }
}

/// Annotations of methods that the platform calls from outside Apex.
const EXTERNAL_ANNOTATIONS: &[&str] = &[
    "AuraEnabled",
    "InvocableMethod",
    "RemoteAction",
    "HttpGet",
    "HttpPost",
    "HttpPut",
    "HttpPatch",
    "HttpDelete",
];

fn interface_key(interface: &TypeRef) -> String {
    interface.last_segment().to_ascii_lowercase()
}

fn is_test(decl: &TypeDecl) -> bool {
    decl.modifiers.annotation("IsTest").is_some() || decl.modifiers.has("testmethod")
}
