//! Types inside a method body: a table of locals (parameters, declarations, for-each and catch
//! variables, each with the span where it is visible), and `type_of` for expressions. Call
//! resolution lives here too, since a receiver's type decides the target.

use std::collections::HashMap;

use crate::apex::Span;
use crate::apex::model::*;

use super::ApexUnit;
use super::metadata_index::MetadataIndex;
use super::symbols::{ClassId, MethodId, Symbols};
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
        for param in params {
            let ty = scope.resolve_type(&param.ty);
            scope.declare(&param.name, body_span, body_span.start, ty, None);
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

    // ---- calls ----

    /// The project methods a call may reach: static and instance calls, constructors
    /// (`this(…)`, `super(…)`), and every override or implementation for calls through a
    /// virtual method or an interface.
    pub fn resolve_call(&self, call: &Call, at: u32) -> Vec<MethodId> {
        let symbols = self.cx.symbols;
        let arity = call.args.len();
        match &call.receiver {
            None => {
                let Some(class) = self.class else {
                    return Vec::new();
                };
                if call.name.is("this") {
                    return symbols.constructors(class, arity);
                }
                if call.name.is("super") {
                    return symbols
                        .class(class)
                        .superclass
                        .map(|s| symbols.constructors(s, arity))
                        .unwrap_or_default();
                }
                // The class itself, then outer classes (their static methods are in scope).
                let mut scope = Some(class);
                for _ in 0..32 {
                    let Some(current) = scope else { break };
                    let found = symbols.dispatch(current, &call.name.text, arity);
                    if !found.is_empty() {
                        return found;
                    }
                    scope = symbols.class(current).outer;
                }
                Vec::new()
            }
            Some(receiver) => match &receiver.kind {
                ExprKind::This => self
                    .class
                    .map(|c| symbols.dispatch(c, &call.name.text, arity))
                    .unwrap_or_default(),
                ExprKind::Super => self
                    .class
                    .and_then(|c| symbols.class(c).superclass)
                    .map(|s| symbols.find_methods(s, &call.name.text, arity))
                    .unwrap_or_default(),
                _ => match self.type_of(receiver) {
                    Ty::Class(class) => symbols.dispatch(class, &call.name.text, arity),
                    Ty::ClassRef(class) => symbols.find_methods(class, &call.name.text, arity),
                    _ => {
                        let _ = at;
                        Vec::new()
                    }
                },
            },
        }
    }

    /// The constructors (and instance initializers) `new T(…)` runs, for a project class `T`.
    pub fn resolve_new(&self, ty: &TypeRef, arity: usize) -> Vec<MethodId> {
        let Ty::Class(class) = self.resolve_type(ty) else {
            return Vec::new();
        };
        let symbols = self.cx.symbols;
        let mut targets = symbols.constructors(class, arity);
        targets.extend(symbols.instance_initializers(class));
        targets
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
