//! Types inside a method body: a table of locals (parameters, declarations, for-each and catch
//! variables, each with the span where it is visible), and `type_of` for expressions. Call
//! resolution lives here too, since a receiver's type decides the target.

use std::collections::HashMap;

use crate::apex::Span;
use crate::apex::model::*;

use super::ApexUnit;
use super::metadata_index::MetadataIndex;
use super::symbols::{ClassId, MethodId, Symbols, Target};
use super::types::{SObjectNames, Ty};

/// Everything a method body is typed against.
pub struct Context<'p> {
    pub units: &'p [ApexUnit],
    pub symbols: &'p Symbols,
    pub sobjects: &'p SObjectNames,
    pub metadata: &'p MetadataIndex,
}

struct Local<'p> {
    /// Where the name is visible: from its declaration to the end of the enclosing block.
    scope: Span,
    declared_at: u32,
    ty: Ty,
    init: Option<&'p Expr>,
    /// The position of a method parameter.
    param: Option<usize>,
}

/// Where records live, for following them from where they are collected to where they are
/// written (see `deferred`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Root {
    /// A parameter of the method, by position.
    Param(usize),
    /// A field, by the class that declares it and its lower-cased name.
    Field(ClassId, String),
    /// A local variable of the method, lower-cased.
    Local(String),
}

/// A method (or trigger body) ready to be typed.
pub struct MethodScope<'p> {
    pub cx: &'p Context<'p>,
    pub method: Option<MethodId>,
    pub class: Option<ClassId>,
    /// The SObject of the trigger this body belongs to (trigger bodies only).
    pub trigger_object: Option<String>,
    locals: HashMap<String, Vec<Local<'p>>>,
    /// `s += '…'` and `s = s + '…'` on string locals, by position, for dynamic SOQL text.
    appends: HashMap<String, Vec<(u32, &'p Expr)>>,
}

/// What a call resolves to.
#[derive(Debug, Default)]
pub struct Resolved {
    pub targets: Vec<Target>,
    /// `this.m(…)` or an unqualified instance call: which override runs depends on the class of
    /// `this`, which a path from an entry point knows.
    pub on_this: bool,
    /// `super.m(…)`: runs on the same object as the caller.
    pub keeps_receiver: bool,
    /// Resolved by dispatch on this static class (a virtual or interface call): a path inside a
    /// trigger adds the framework handlers configured for the trigger's object.
    pub dispatched_on: Option<ClassId>,
}

/// Deeper than any real expression; bounds recursion on hostile input.
const MAX_TYPE_DEPTH: usize = 64;

impl<'p> MethodScope<'p> {
    pub fn new(
        cx: &'p Context<'p>,
        method: Option<MethodId>,
        class: Option<ClassId>,
        trigger_object: Option<String>,
        params: &'p [Param],
        body: &'p [Stmt],
        body_span: Span,
    ) -> Self {
        let mut scope = MethodScope {
            cx,
            method,
            class,
            trigger_object,
            locals: HashMap::new(),
            appends: HashMap::new(),
        };
        for (index, param) in params.iter().enumerate() {
            let ty = scope.resolve_type(&param.ty);
            scope.declare(&param.name, body_span, body_span.start, ty, None);
            if let Some(declared) = scope
                .locals
                .get_mut(&param.name.key())
                .and_then(|all| all.last_mut())
            {
                declared.param = Some(index);
            }
        }
        scope.collect_block(body, body_span);
        scope
    }

    fn declare(
        &mut self,
        name: &Ident,
        scope: Span,
        declared_at: u32,
        ty: Ty,
        init: Option<&'p Expr>,
    ) {
        self.locals.entry(name.key()).or_default().push(Local {
            scope,
            declared_at,
            ty,
            init,
            param: None,
        });
    }

    fn collect_block(&mut self, block: &'p [Stmt], block_span: Span) {
        for stmt in block {
            self.collect_stmt(stmt, block_span);
        }
    }

    fn collect_stmt(&mut self, stmt: &'p Stmt, block_span: Span) {
        match &stmt.kind {
            StmtKind::Local { ty, vars } => {
                let ty = self.resolve_type(ty);
                let visible = Span {
                    start: stmt.span.start,
                    end: block_span.end,
                };
                for (name, init) in vars {
                    self.declare(name, visible, stmt.span.start, ty.clone(), init.as_ref());
                    if let Some(init) = init {
                        self.collect_expr_appends(init);
                    }
                }
            }
            StmtKind::Block(block) => self.collect_block(block, stmt.span),
            StmtKind::If {
                condition,
                then,
                otherwise,
            } => {
                self.collect_expr_appends(condition);
                self.collect_stmt(then, then.span);
                if let Some(otherwise) = otherwise {
                    self.collect_stmt(otherwise, otherwise.span);
                }
            }
            StmtKind::Loop(l) => {
                for init in &l.init {
                    self.collect_stmt(init, stmt.span);
                }
                if let Some(each) = &l.each {
                    let ty = self.resolve_type(&each.ty);
                    self.declare(&each.name, stmt.span, stmt.span.start, ty, None);
                }
                self.collect_stmt(&l.body, l.body.span);
            }
            StmtKind::Try(t) => {
                self.collect_block(&t.body, stmt.span);
                for catch in &t.catches {
                    let ty = self.resolve_type(&catch.ty);
                    self.declare(&catch.name, catch.span, catch.span.start, ty, None);
                    self.collect_block(&catch.body, catch.span);
                }
                if let Some(finally) = &t.finally {
                    self.collect_block(finally, stmt.span);
                }
            }
            StmtKind::Switch { arms, .. } => {
                for arm in arms {
                    if let Some((ty, name)) = &arm.binding {
                        let ty = self.resolve_type(ty);
                        self.declare(name, stmt.span, stmt.span.start, ty, None);
                    }
                    self.collect_block(&arm.body, stmt.span);
                }
            }
            StmtKind::RunAs { body, .. } => self.collect_block(body, stmt.span),
            StmtKind::Expr(expr) => self.collect_expr_appends(expr),
            StmtKind::Return(_)
            | StmtKind::Throw(_)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Empty => {}
        }
    }

    fn collect_expr_appends(&mut self, expr: &'p Expr) {
        match &expr.kind {
            ExprKind::Binary { op, left, right } if op == "+=" => {
                if let ExprKind::Name(name) = &left.kind {
                    self.appends
                        .entry(name.key())
                        .or_default()
                        .push((expr.span.start, right));
                }
            }
            ExprKind::Assign { target, value } => {
                if let (ExprKind::Name(name), ExprKind::Binary { op, left, right }) =
                    (&target.kind, &value.kind)
                    && op == "+"
                    && matches!(&left.kind, ExprKind::Name(n) if n.key() == name.key())
                {
                    self.appends
                        .entry(name.key())
                        .or_default()
                        .push((expr.span.start, right));
                }
            }
            _ => {}
        }
    }

    fn local(&self, name: &str, at: u32) -> Option<&Local<'p>> {
        self.locals
            .get(&name.to_ascii_lowercase())?
            .iter()
            .filter(|l| l.scope.start <= at && at <= l.scope.end && l.declared_at <= at)
            .min_by_key(|l| l.scope.len())
    }

    /// Where the local or parameter `name` visible at `at` was declared: tells apart locals
    /// that share a name (two loops' `for (Contact c : …)`).
    pub fn local_declared_at(&self, name: &str, at: u32) -> Option<u32> {
        self.local(name, at).map(|local| local.declared_at)
    }

    /// Is `name` a local variable or parameter visible at `at`?
    pub fn is_local(&self, name: &str, at: u32) -> bool {
        self.local(name, at).is_some()
    }

    // ---- types ----

    pub fn resolve_type(&self, ty: &TypeRef) -> Ty {
        resolve_type_in(self.cx, ty, self.class)
    }

    pub fn type_of(&self, expr: &Expr) -> Ty {
        self.type_at(expr, 0)
    }

    fn type_at(&self, expr: &Expr, depth: usize) -> Ty {
        if depth > MAX_TYPE_DEPTH {
            return Ty::Unknown;
        }
        let next = depth + 1;
        match &expr.kind {
            ExprKind::Name(name) => self.name_type(name, expr.span.start),
            ExprKind::Field { object, name } => self.field_type(object, name, next),
            ExprKind::Call(call) => self.call_type(call, expr.span.start, next),
            ExprKind::New { ty, .. } => self.resolve_type(ty),
            ExprKind::Soql(soql) => Ty::List(Box::new(self.soql_object(soql))),
            ExprKind::DynamicQuery(query) => {
                let object = self
                    .string_value(query)
                    .and_then(|text| from_object(&text))
                    .and_then(|name| self.cx.sobjects.sobject(&name))
                    .map_or(Ty::AnySObject, Ty::SObject);
                Ty::List(Box::new(object))
            }
            ExprKind::Index { target, .. } => match self.type_at(target, next) {
                Ty::List(inner) => *inner,
                _ => Ty::Unknown,
            },
            ExprKind::Cast { ty, .. } => self.resolve_type(ty),
            ExprKind::Ternary {
                then, otherwise, ..
            } => match self.type_at(then, next) {
                Ty::Unknown => self.type_at(otherwise, next),
                ty => ty,
            },
            ExprKind::Assign { value, .. } => self.type_at(value, next),
            ExprKind::StringLiteral(_) => Ty::String,
            ExprKind::This => self.class.map_or(Ty::Unknown, Ty::Class),
            ExprKind::Super => self
                .class
                .and_then(|c| self.cx.symbols.class(c).superclass)
                .map_or(Ty::Unknown, Ty::Class),
            _ => Ty::Unknown,
        }
    }

    pub fn soql_object(&self, soql: &Soql) -> Ty {
        soql.from
            .as_ref()
            .and_then(|from| self.cx.sobjects.sobject(&from.text))
            .map_or(Ty::AnySObject, Ty::SObject)
    }

    fn name_type(&self, name: &Ident, at: u32) -> Ty {
        if let Some(local) = self.local(&name.text, at) {
            return local.ty.clone();
        }
        if let Some(class) = self.class
            && let Some(ty) = self.class_field_type(class, &name.text)
        {
            return ty;
        }
        if let Some(class) = self.cx.symbols.resolve_class(&name.text, self.class) {
            return Ty::ClassRef(class);
        }
        Ty::Unknown
    }

    /// A field of `class`, its superclasses or (for static fields) its outer classes.
    fn class_field_type(&self, class: ClassId, name: &str) -> Option<Ty> {
        let symbols = self.cx.symbols;
        let mut scopes = vec![Some(class)];
        let mut outer = symbols.class(class).outer;
        while let Some(o) = outer {
            scopes.push(Some(o));
            outer = symbols.class(o).outer;
            if scopes.len() > 32 {
                break;
            }
        }
        for start in scopes.into_iter().flatten() {
            let mut current = Some(start);
            for _ in 0..32 {
                let Some(id) = current else { break };
                let decl = symbols.decl(self.cx.units, id);
                if let Some(field) = decl.fields.iter().find(|f| f.name.is(name)) {
                    return Some(resolve_type_in(self.cx, &field.ty, Some(id)));
                }
                current = symbols.class(id).superclass;
            }
        }
        None
    }

    fn field_type(&self, object: &Expr, name: &Ident, depth: usize) -> Ty {
        // `Trigger.new` and friends, unless `Trigger` is a local variable.
        if let ExprKind::Name(base) = &object.kind
            && base.is("Trigger")
            && !self.is_local("Trigger", object.span.start)
        {
            let record = self
                .trigger_object
                .as_ref()
                .map_or(Ty::AnySObject, |o| Ty::SObject(o.clone()));
            return match name.text.to_ascii_lowercase().as_str() {
                "new" | "old" => Ty::List(Box::new(record)),
                "newmap" | "oldmap" => Ty::Map(Box::new(Ty::Unknown), Box::new(record)),
                _ => Ty::Unknown,
            };
        }
        match self.type_at(object, depth) {
            Ty::Class(class) => self
                .class_field_type(class, &name.text)
                .unwrap_or(Ty::Unknown),
            Ty::ClassRef(class) => {
                if let Some(ty) = self.class_field_type(class, &name.text) {
                    return ty;
                }
                let qualified = format!("{}.{}", self.cx.symbols.class(class).qualified, name.text);
                self.cx
                    .symbols
                    .resolve_class(&qualified, None)
                    .map_or(Ty::Unknown, Ty::ClassRef)
            }
            Ty::SObject(object) => self
                .cx
                .metadata
                .relationship_target(&object, &name.text)
                .and_then(|target| self.cx.sobjects.sobject(&target))
                .map_or(Ty::Unknown, Ty::SObject),
            _ => Ty::Unknown,
        }
    }

    fn call_type(&self, call: &Call, at: u32, depth: usize) -> Ty {
        let method = call.name.text.to_ascii_lowercase();
        if let Some(receiver) = &call.receiver {
            let receiver_ty = self.type_at(receiver, depth);
            // Collection methods keep element types flowing.
            match (&receiver_ty, method.as_str()) {
                (Ty::Map(_, value), "values") => return Ty::List(value.clone()),
                (Ty::Map(key, _), "keyset") => return Ty::List(key.clone()),
                (Ty::Map(_, value), "get" | "remove") => return (**value).clone(),
                (Ty::Map(..), "clone" | "deepclone") => return receiver_ty.clone(),
                (Ty::List(inner), "get" | "remove") => return (**inner).clone(),
                (Ty::List(_), "clone" | "deepclone") => return receiver_ty.clone(),
                _ => {}
            }
            // `Settings__c.getOrgDefaults()`: a custom setting's record.
            if let Some(setting) = self.custom_setting_read(receiver, &method) {
                return match method.as_str() {
                    "getall" => Ty::Map(Box::new(Ty::String), Box::new(Ty::SObject(setting))),
                    _ => Ty::SObject(setting),
                };
            }
        }
        let targets = self.resolve_call(call, at);
        let Some(first) = targets.first() else {
            return Ty::Unknown;
        };
        let symbols = self.cx.symbols;
        let Some(decl) = symbols.method_decl(self.cx.units, *first) else {
            return Ty::Unknown;
        };
        match &decl.return_type {
            Some(ty) => resolve_type_in(self.cx, ty, symbols.method(*first).class),
            None => Ty::Unknown,
        }
    }

    /// `X.getOrgDefaults()`, `X.getInstance(…)`, `X.getValues(…)`, `X.getAll()` on an
    /// SObject type `X` that is not a local or a class: a custom setting read; returns `X`.
    pub fn custom_setting_read(&self, receiver: &Expr, method: &str) -> Option<String> {
        if !matches!(
            method,
            "getorgdefaults" | "getinstance" | "getvalues" | "getall"
        ) {
            return None;
        }
        let ExprKind::Name(name) = &receiver.kind else {
            return None;
        };
        if self.is_local(&name.text, receiver.span.start)
            || self
                .cx
                .symbols
                .resolve_class(&name.text, self.class)
                .is_some()
        {
            return None;
        }
        self.cx.sobjects.sobject(&name.text)
    }

    // ---- data flow roots ----

    /// Where the records an expression denotes live: a parameter, a class field or a local,
    /// looking through casts, indexing and collection accessors (`m.get(k).values()`).
    pub fn root_of(&self, expr: &Expr) -> Option<Root> {
        self.root_at(expr, 0)
    }

    fn root_at(&self, expr: &Expr, depth: usize) -> Option<Root> {
        if depth > MAX_TYPE_DEPTH {
            return None;
        }
        match &expr.kind {
            ExprKind::Name(name) => {
                if let Some(local) = self.local(&name.text, expr.span.start) {
                    return Some(match local.param {
                        Some(index) => Root::Param(index),
                        None => Root::Local(name.key()),
                    });
                }
                let class = self.class?;
                let owner = self.field_owner(class, &name.text)?;
                Some(Root::Field(owner, name.key()))
            }
            ExprKind::Field { object, name } => {
                let class = match self.type_at(object, depth + 1) {
                    Ty::Class(class) | Ty::ClassRef(class) => class,
                    _ => return None,
                };
                let owner = self.field_owner(class, &name.text)?;
                Some(Root::Field(owner, name.key()))
            }
            ExprKind::Call(call)
                if matches!(
                    call.name.key().as_str(),
                    "get" | "values" | "keyset" | "clone" | "deepclone"
                ) =>
            {
                self.root_at(call.receiver.as_ref()?, depth + 1)
            }
            ExprKind::Cast { value, .. } => self.root_at(value, depth + 1),
            ExprKind::Index { target, .. } => self.root_at(target, depth + 1),
            _ => None,
        }
    }

    /// The class (of `class`, its superclasses or its outer classes) that declares field `name`.
    fn field_owner(&self, class: ClassId, name: &str) -> Option<ClassId> {
        let symbols = self.cx.symbols;
        let mut outer = Some(class);
        for _ in 0..32 {
            let start = outer?;
            let mut current = Some(start);
            for _ in 0..32 {
                let Some(id) = current else { break };
                let decl = symbols.decl(self.cx.units, id);
                if decl.fields.iter().any(|f| f.name.is(name)) {
                    return Some(id);
                }
                current = symbols.class(id).superclass;
            }
            outer = symbols.class(start).outer;
        }
        None
    }

    /// The SObject a value's records are, looking through casts to a wider type
    /// (`(List<SObject>) accounts` is still a list of Account).
    pub fn records_object(&self, expr: &Expr) -> Option<String> {
        if let ExprKind::Cast { value, .. } = &expr.kind
            && let Some(inner) = self.records_object(value)
        {
            return Some(inner);
        }
        self.type_of(expr).written_sobject().map(str::to_string)
    }

    // ---- calls ----

    /// The project methods a call may reach (see [`MethodScope::resolve_call_site`]).
    pub fn resolve_call(&self, call: &Call, at: u32) -> Vec<MethodId> {
        let mut methods: Vec<MethodId> = self
            .resolve_call_site(call, at)
            .targets
            .iter()
            .map(|t| t.method)
            .collect();
        methods.dedup();
        methods
    }

    /// The project methods a call may reach, with their receivers: static and instance
    /// calls, constructors (`this(…)`, `super(…)`), and calls through virtual methods and
    /// interfaces to the implementations that can be the receiver (Rapid Type Analysis).
    pub fn resolve_call_site(&self, call: &Call, at: u32) -> Resolved {
        let mut resolved = self.resolve_by_name(call, at);
        resolved.targets = self.overloads_for(resolved.targets, &call.args);
        resolved
    }

    /// Of methods that take as many arguments as given, those whose parameter types fit the
    /// arguments' known types (`save(List<Project__c>)` vs `save(Project__c)`); all of them when
    /// the types do not decide.
    fn overloads_for(&self, targets: Vec<Target>, args: &[Expr]) -> Vec<Target> {
        if targets.len() < 2 || args.is_empty() {
            return targets;
        }
        let arg_types: Vec<Ty> = args.iter().map(|a| self.type_of(a)).collect();
        let symbols = self.cx.symbols;
        let fitting: Vec<Target> = targets
            .iter()
            .copied()
            .filter(|target| {
                let Some(decl) = symbols.method_decl(self.cx.units, target.method) else {
                    return true;
                };
                let owner = symbols.method(target.method).class;
                decl.params.iter().zip(&arg_types).all(|(param, arg)| {
                    let param = resolve_type_in(self.cx, &param.ty, owner);
                    fits(symbols, arg, &param) != Some(false)
                })
            })
            .collect();
        if fitting.is_empty() { targets } else { fitting }
    }

    fn resolve_by_name(&self, call: &Call, at: u32) -> Resolved {
        let symbols = self.cx.symbols;
        let arity = call.args.len();
        let statically = |methods: Vec<MethodId>| Resolved {
            targets: methods
                .into_iter()
                .map(|m| symbols.target(m, None))
                .collect(),
            ..Resolved::default()
        };
        let _ = at;
        match &call.receiver {
            None => {
                let Some(class) = self.class else {
                    return Resolved::default();
                };
                if call.name.is("this") {
                    return statically(symbols.constructors(class, arity));
                }
                if call.name.is("super") {
                    return statically(
                        symbols
                            .class(class)
                            .superclass
                            .map(|s| symbols.constructors(s, arity))
                            .unwrap_or_default(),
                    );
                }
                // The class itself (an instance call runs on `this`), then outer classes (only
                // their static methods are in scope).
                let own = symbols.find_methods(class, &call.name.text, arity);
                if let Some(first) = own.first() {
                    if symbols.method(*first).is_static {
                        return statically(own);
                    }
                    return Resolved {
                        targets: symbols.dispatch(class, &call.name.text, arity),
                        on_this: true,
                        keeps_receiver: false,
                        dispatched_on: Some(class),
                    };
                }
                let mut scope = symbols.class(class).outer;
                for _ in 0..32 {
                    let Some(current) = scope else { break };
                    let found = symbols.find_methods(current, &call.name.text, arity);
                    if !found.is_empty() {
                        return statically(found);
                    }
                    scope = symbols.class(current).outer;
                }
                Resolved::default()
            }
            Some(receiver) => match &receiver.kind {
                ExprKind::This => match self.class {
                    Some(class) => Resolved {
                        targets: symbols.dispatch(class, &call.name.text, arity),
                        on_this: true,
                        keeps_receiver: false,
                        dispatched_on: Some(class),
                    },
                    None => Resolved::default(),
                },
                ExprKind::Super => Resolved {
                    targets: self
                        .class
                        .and_then(|c| symbols.class(c).superclass)
                        .map(|s| symbols.find_methods(s, &call.name.text, arity))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|m| symbols.target(m, None))
                        .collect(),
                    on_this: false,
                    keeps_receiver: true,
                    dispatched_on: None,
                },
                // `new C(…).m()`: the receiver is exactly `C`.
                ExprKind::New { ty, .. } => match self.resolve_type(ty) {
                    Ty::Class(class) => Resolved {
                        targets: symbols
                            .find_methods(class, &call.name.text, arity)
                            .into_iter()
                            .map(|m| symbols.target(m, Some(class)))
                            .collect(),
                        ..Resolved::default()
                    },
                    _ => Resolved::default(),
                },
                _ => match self.type_of(receiver) {
                    Ty::Class(class) => Resolved {
                        targets: symbols.dispatch(class, &call.name.text, arity),
                        dispatched_on: Some(class),
                        ..Resolved::default()
                    },
                    Ty::ClassRef(class) => {
                        statically(symbols.find_methods(class, &call.name.text, arity))
                    }
                    _ => Resolved::default(),
                },
            },
        }
    }

    /// The constructors (and instance initializers) `new T(…)` runs, for a project class `T`,
    /// each on the new `T`.
    pub fn resolve_new(&self, ty: &TypeRef, arity: usize) -> Vec<Target> {
        let Ty::Class(class) = self.resolve_type(ty) else {
            return Vec::new();
        };
        let symbols = self.cx.symbols;
        let mut methods = symbols.constructors(class, arity);
        methods.extend(symbols.instance_initializers(class));
        methods
            .into_iter()
            .map(|m| symbols.target(m, Some(class)))
            .collect()
    }

    // ---- strings ----

    /// The text of a string expression when it can be known: literals, `+` of known parts,
    /// string locals with their initializer and later `+=` appends, and class constants.
    /// Unknown parts read as a space, so `FROM ` + obj stays unknown but `FOR UPDATE` is kept.
    pub fn string_value(&self, expr: &Expr) -> Option<String> {
        self.string_at(expr, 0)
    }

    fn string_at(&self, expr: &Expr, depth: usize) -> Option<String> {
        if depth > MAX_TYPE_DEPTH {
            return None;
        }
        match &expr.kind {
            ExprKind::StringLiteral(text) => Some(text.clone()),
            ExprKind::Binary { op, left, right } if op == "+" => {
                let left = self.string_at(left, depth + 1);
                let right = self.string_at(right, depth + 1);
                if left.is_none() && right.is_none() {
                    return None;
                }
                Some(format!(
                    "{} {}",
                    left.unwrap_or_default(),
                    right.unwrap_or_default()
                ))
            }
            ExprKind::Name(name) => {
                if let Some(local) = self.local(&name.text, expr.span.start) {
                    let mut text = match local.init {
                        Some(init) => self.string_at(init, depth + 1)?,
                        None => String::new(),
                    };
                    if let Some(appends) = self.appends.get(&name.key()) {
                        for (at, part) in appends {
                            if *at >= local.declared_at && *at < expr.span.start {
                                text.push(' ');
                                text.push_str(&self.string_at(part, depth + 1).unwrap_or_default());
                            }
                        }
                    }
                    return Some(text);
                }
                let class = self.class?;
                self.constant_string(class, &name.text, depth)
            }
            ExprKind::Field { object, name } => {
                let Ty::ClassRef(class) = self.type_at(object, depth + 1) else {
                    return None;
                };
                self.constant_string(class, &name.text, depth)
            }
            _ => None,
        }
    }

    fn constant_string(&self, class: ClassId, name: &str, depth: usize) -> Option<String> {
        let decl = self.cx.symbols.decl(self.cx.units, class);
        let field = decl.fields.iter().find(|f| f.name.is(name))?;
        let init = field.init.as_ref()?;
        // A class constant is typed in its own class: reuse this scope only for literals.
        match &init.kind {
            ExprKind::StringLiteral(text) => Some(text.clone()),
            ExprKind::Binary { .. } => self.string_at(init, depth + 1),
            _ => None,
        }
    }
}

/// Can a value of type `arg` be passed where `param` is declared? `None` when unknown.
fn fits(symbols: &Symbols, arg: &Ty, param: &Ty) -> Option<bool> {
    match (arg, param) {
        (Ty::Unknown, _) | (_, Ty::Unknown) => None,
        (Ty::List(_), Ty::List(_)) | (Ty::Map(..), Ty::Map(..)) | (Ty::String, Ty::String) => {
            Some(true)
        }
        (Ty::SObject(a), Ty::SObject(b)) => Some(a.eq_ignore_ascii_case(b)),
        (Ty::SObject(_) | Ty::AnySObject, Ty::AnySObject) => Some(true),
        (Ty::Class(a), Ty::Class(b)) => Some(symbols.is_subtype(*a, *b)),
        (
            Ty::List(_) | Ty::Map(..) | Ty::String | Ty::SObject(_) | Ty::AnySObject,
            Ty::List(_) | Ty::Map(..) | Ty::String | Ty::SObject(_) | Ty::AnySObject,
        ) => Some(false),
        _ => None,
    }
}

/// Resolve a written type in the context of a class.
pub fn resolve_type_in(cx: &Context<'_>, ty: &TypeRef, class: Option<ClassId>) -> Ty {
    let name = ty.name.to_ascii_lowercase();
    let arg = |i: usize| {
        ty.args
            .get(i)
            .map_or(Ty::Unknown, |a| resolve_type_in(cx, a, class))
    };
    match name.as_str() {
        "list" | "set" | "iterable" | "iterator" => Ty::List(Box::new(arg(0))),
        "map" => Ty::Map(Box::new(arg(0)), Box::new(arg(1))),
        "string" | "system.string" => Ty::String,
        "sobject" | "schema.sobject" => Ty::AnySObject,
        _ => {
            if let Some(found) = cx.symbols.resolve_class(&ty.name, class) {
                return Ty::Class(found);
            }
            cx.sobjects
                .sobject(&ty.name)
                .map_or(Ty::Unknown, Ty::SObject)
        }
    }
}

/// The object after `FROM` in a SOQL string, if any.
pub fn from_object(query: &str) -> Option<String> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let at = words.iter().position(|w| w.eq_ignore_ascii_case("from"))?;
    let object = words.get(at + 1)?;
    let object: String = object
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!object.is_empty()).then_some(object)
}

/// Does SOQL text end in a `FOR UPDATE` clause?
pub fn has_for_update(query: &str) -> bool {
    let words: Vec<String> = query
        .split(|c: char| c.is_whitespace() || c == '\'' || c == ']')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words
        .windows(2)
        .any(|pair| pair[0] == "for" && pair[1] == "update")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_soql_text_is_read() {
        assert_eq!(
            from_object("SELECT Id FROM Account WHERE x = 1").as_deref(),
            Some("Account")
        );
        assert_eq!(
            from_object("select id from acme__Invoice__c"),
            Some("acme__Invoice__c".to_string())
        );
        assert_eq!(from_object("SELECT Id"), None);
        assert!(has_for_update(
            "SELECT Id FROM Account WHERE Id IN :ids FOR  UPDATE"
        ));
        assert!(has_for_update("select id from account   for update"));
        assert!(!has_for_update("SELECT Id FROM Account FOR VIEW"));
        assert!(!has_for_update("SELECT Id FROM Account"));
    }
}
