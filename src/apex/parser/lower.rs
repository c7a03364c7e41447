//! Lowering: tree-sitter nodes → the owned model in `apex::model`. A cursor walk over the kinds
//! in `apex::kinds`; anything unexpected degrades to `Other`/`Empty` rather than failing, and
//! nesting deeper than [`MAX_DEPTH`] is cut off with a problem, so hostile input cannot blow
//! the stack of this walk or of the analyses that recurse over the model later.

use tree_sitter::Node;

use super::Grammar;
use crate::apex::kinds::{Field, Kind};
use crate::apex::model::*;
use crate::apex::span::Span;

/// Deeper than any hand-written Apex; long `'a' + 'b' + …` chains nest one level per term.
const MAX_DEPTH: usize = 600;

pub(super) fn lower_file(
    grammar: &Grammar,
    src: &str,
    root: Node<'_>,
    kind: ApexFileKind,
) -> ApexFile {
    let mut lowerer = Lowerer {
        g: grammar,
        src,
        types: Vec::new(),
        problems: Vec::new(),
        depth: 0,
        too_deep_reported: false,
    };
    let mut trigger = None;
    let mut stray_statement: Option<Span> = None;
    for child in named_children(root) {
        match lowerer.kind(child) {
            Some(Kind::ClassDeclaration | Kind::InterfaceDeclaration | Kind::EnumDeclaration) => {
                lowerer.type_decl(child, None);
            }
            Some(Kind::TriggerDeclaration) if trigger.is_none() => {
                trigger = lowerer.trigger_decl(child);
            }
            Some(Kind::LineComment | Kind::BlockComment | Kind::Error) => {}
            _ => {
                stray_statement.get_or_insert(span(child));
            }
        }
    }
    let mut problems = std::mem::take(&mut lowerer.problems);
    match kind {
        ApexFileKind::Class => {
            if let Some(at) = stray_statement {
                problems.push(ParseProblem {
                    span: at,
                    message: "statement outside a class: this looks like anonymous Apex, not a class file".to_string(),
                });
            } else if lowerer.types.is_empty() && trigger.is_none() && !root.has_error() {
                problems.push(ParseProblem {
                    span: Span::new(0, 0),
                    message: "no class, interface or enum declaration in this file".to_string(),
                });
            }
            if let Some(t) = &trigger {
                problems.push(ParseProblem {
                    span: t.header_span,
                    message: "a trigger declaration in a `.cls` file".to_string(),
                });
            }
        }
        ApexFileKind::Trigger => {
            if trigger.is_none() && !root.has_error() {
                problems.push(ParseProblem {
                    span: stray_statement.unwrap_or_default(),
                    message: "no `trigger … on …` declaration in this file".to_string(),
                });
            }
        }
    }
    ApexFile {
        types: lowerer.types,
        trigger,
        problems,
        directive_comments: Vec::new(),
    }
}

struct Lowerer<'a> {
    g: &'a Grammar,
    src: &'a str,
    types: Vec<TypeDecl>,
    problems: Vec<ParseProblem>,
    depth: usize,
    too_deep_reported: bool,
}

fn span(node: Node<'_>) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

impl<'a> Lowerer<'a> {
    fn kind(&self, node: Node<'_>) -> Option<Kind> {
        self.g.kind(node)
    }

    fn field<'t>(&self, node: Node<'t>, field: Field) -> Option<Node<'t>> {
        self.g.field(node, field)
    }

    fn text(&self, node: Node<'_>) -> &'a str {
        self.src
            .get(node.start_byte()..node.end_byte())
            .unwrap_or("")
    }

    fn ident(&self, node: Node<'_>) -> Ident {
        Ident {
            text: self.text(node).to_string(),
            span: span(node),
        }
    }

    /// A keyword of one or more words (`static`, `with sharing`, `before insert`), lower case,
    /// one space between words, whatever the spacing and comments between them in the source:
    /// the grammar reads each word as a token of its own.
    fn keyword_words(&self, node: Node<'_>) -> String {
        let mut words: Vec<&str> = Vec::new();
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            if node.is_extra() {
                continue;
            }
            if node.child_count() == 0 {
                words.extend(self.text(node).split_whitespace());
            } else {
                stack.extend(children(node).into_iter().rev());
            }
        }
        words.join(" ").to_ascii_lowercase()
    }

    fn child_of_kind<'t>(&self, node: Node<'t>, kind: Kind) -> Option<Node<'t>> {
        named_children(node)
            .into_iter()
            .find(|c| self.kind(*c) == Some(kind))
    }

    fn is_comment(&self, node: Node<'_>) -> bool {
        matches!(
            self.kind(node),
            Some(Kind::LineComment | Kind::BlockComment)
        )
    }

    /// Enter one nesting level; false (and a problem, once per file) when too deep.
    fn enter(&mut self, node: Node<'_>) -> bool {
        if self.depth >= MAX_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.problems.push(ParseProblem {
                    span: span(node),
                    message: format!(
                        "nesting deeper than {MAX_DEPTH} levels; analysis of this part is partial"
                    ),
                });
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- declarations ----

    fn modifiers(&self, owner: Node<'_>) -> Modifiers {
        let mut modifiers = Modifiers::default();
        let Some(node) = self.child_of_kind(owner, Kind::Modifiers) else {
            return modifiers;
        };
        for child in named_children(node) {
            match self.kind(child) {
                Some(Kind::Annotation) => {
                    let Some(name) = self.field(child, Field::Name) else {
                        continue;
                    };
                    let arguments = self
                        .child_of_kind(child, Kind::AnnotationArgumentList)
                        .map(|args| {
                            let text = self.text(args);
                            text.trim()
                                .trim_start_matches('(')
                                .trim_end_matches(')')
                                .trim()
                                .to_string()
                        })
                        .unwrap_or_default();
                    modifiers.annotations.push(Annotation {
                        name: self.ident(name),
                        arguments,
                        span: span(child),
                    });
                }
                Some(Kind::Modifier) => modifiers.keywords.push(self.keyword_words(child)),
                _ => {}
            }
        }
        modifiers
    }

    fn type_decl(&mut self, node: Node<'_>, outer: Option<usize>) {
        let kind = match self.kind(node) {
            Some(Kind::InterfaceDeclaration) => TypeKind::Interface,
            Some(Kind::EnumDeclaration) => TypeKind::Enum,
            _ => TypeKind::Class,
        };
        let Some(name) = self.field(node, Field::Name) else {
            return;
        };
        let extends = self
            .field(node, Field::Superclass)
            .and_then(|s| named_children(s).into_iter().next())
            .map(|t| self.type_ref(t));
        let mut implements = Vec::new();
        let list_owner = self
            .field(node, Field::Interfaces)
            .or_else(|| self.child_of_kind(node, Kind::ExtendsInterfaces));
        if let Some(owner) = list_owner
            && let Some(list) = self.child_of_kind(owner, Kind::TypeList)
        {
            for t in named_children(list) {
                implements.push(self.type_ref(t));
            }
        }
        let index = self.types.len();
        self.types.push(TypeDecl {
            kind,
            name: self.ident(name),
            outer,
            modifiers: self.modifiers(node),
            extends,
            implements,
            fields: Vec::new(),
            methods: Vec::new(),
            span: span(node),
        });
        let Some(body) = self.field(node, Field::Body) else {
            return;
        };
        let mut fields = Vec::new();
        let mut methods = Vec::new();
        for member in named_children(body) {
            match self.kind(member) {
                Some(Kind::FieldDeclaration | Kind::ConstantDeclaration) => {
                    self.field_decl(member, &mut fields, &mut methods);
                }
                Some(Kind::MethodDeclaration) => methods.push(self.method_decl(member)),
                Some(Kind::ConstructorDeclaration) => methods.push(self.constructor_decl(member)),
                Some(Kind::StaticInitializer) => {
                    let block = self.child_of_kind(member, Kind::Block);
                    methods.push(self.initializer(member, block, "static"));
                }
                Some(Kind::Block) => methods.push(self.initializer(member, Some(member), "{}")),
                Some(
                    Kind::ClassDeclaration | Kind::InterfaceDeclaration | Kind::EnumDeclaration,
                ) => self.type_decl(member, Some(index)),
                _ => {}
            }
        }
        let decl = &mut self.types[index];
        decl.fields = fields;
        decl.methods = methods;
    }

    fn trigger_decl(&mut self, node: Node<'_>) -> Option<TriggerDecl> {
        let name = self.field(node, Field::Name)?;
        let object = self.field(node, Field::Object)?;
        let events: Vec<String> = self
            .g
            .fields(node, Field::Events)
            .into_iter()
            .filter(|e| self.kind(*e) == Some(Kind::TriggerEvent))
            .map(|e| self.keyword_words(e))
            .collect();
        let body_node = self.field(node, Field::Body)?;
        let header_end = children(node)
            .into_iter()
            .filter(|c| c.kind() == ")")
            .map(|c| c.end_byte())
            .next_back()
            .unwrap_or(object.end_byte());
        let block = self.child_of_kind(body_node, Kind::Block);
        let body = block.map(|b| self.block(b)).unwrap_or_default();
        Some(TriggerDecl {
            name: self.ident(name),
            object: self.ident(object),
            events,
            body,
            header_span: Span::new(node.start_byte(), header_end),
            span: span(node),
        })
    }

    fn field_decl(
        &mut self,
        node: Node<'_>,
        fields: &mut Vec<FieldDecl>,
        methods: &mut Vec<MethodDecl>,
    ) {
        let Some(ty_node) = self.field(node, Field::Type) else {
            return;
        };
        let ty = self.type_ref(ty_node);
        let modifiers = self.modifiers(node);
        for declarator in self.g.fields(node, Field::Declarator) {
            let Some(name) = self.field(declarator, Field::Name) else {
                continue;
            };
            let init = self.field(declarator, Field::Value).map(|v| self.expr(v));
            fields.push(FieldDecl {
                ty: ty.clone(),
                name: self.ident(name),
                modifiers: modifiers.clone(),
                init,
                span: span(node),
            });
        }
        // Property accessors with bodies are code that runs: keep them as methods.
        if let Some(accessors) = self.child_of_kind(node, Kind::AccessorList)
            && let Some(first) = self.g.fields(node, Field::Declarator).first()
            && let Some(name) = self.field(*first, Field::Name)
        {
            for accessor in named_children(accessors) {
                if let Some(body) = self.field(accessor, Field::Body) {
                    let block = self.block(body);
                    methods.push(MethodDecl {
                        kind: MethodKind::Accessor,
                        name: self.ident(name),
                        return_type: Some(ty.clone()),
                        params: Vec::new(),
                        modifiers: modifiers.clone(),
                        body: Some(block),
                        span: span(accessor),
                    });
                }
            }
        }
    }

    fn params(&self, node: Node<'_>) -> Vec<Param> {
        let Some(list) = self.field(node, Field::Parameters) else {
            return Vec::new();
        };
        named_children(list)
            .into_iter()
            .filter(|p| self.kind(*p) == Some(Kind::FormalParameter))
            .filter_map(|p| {
                Some(Param {
                    ty: self.type_ref(self.field(p, Field::Type)?),
                    name: self.ident(self.field(p, Field::Name)?),
                })
            })
            .collect()
    }

    fn method_decl(&mut self, node: Node<'_>) -> MethodDecl {
        let name = self
            .field(node, Field::Name)
            .map(|n| self.ident(n))
            .unwrap_or_else(|| Ident {
                text: String::new(),
                span: span(node),
            });
        let return_type = self.field(node, Field::Type).map(|t| self.type_ref(t));
        let params = self.params(node);
        let body = self.field(node, Field::Body).map(|b| self.block(b));
        MethodDecl {
            kind: MethodKind::Method,
            name,
            return_type,
            params,
            modifiers: self.modifiers(node),
            body,
            span: span(node),
        }
    }

    fn constructor_decl(&mut self, node: Node<'_>) -> MethodDecl {
        let name = self
            .field(node, Field::Name)
            .map(|n| self.ident(n))
            .unwrap_or_else(|| Ident {
                text: String::new(),
                span: span(node),
            });
        let params = self.params(node);
        let mut body = Vec::new();
        if let Some(body_node) = self.field(node, Field::Body) {
            for child in named_children(body_node) {
                if self.kind(child) == Some(Kind::ExplicitConstructorInvocation) {
                    body.push(self.explicit_constructor_call(child));
                } else if !self.is_comment(child) {
                    body.push(self.stmt(child));
                }
            }
        }
        MethodDecl {
            kind: MethodKind::Constructor,
            name,
            return_type: None,
            params,
            modifiers: self.modifiers(node),
            body: Some(body),
            span: span(node),
        }
    }

    /// `this(…)` / `super(…)` as a call named `this` / `super` with no receiver.
    fn explicit_constructor_call(&mut self, node: Node<'_>) -> Stmt {
        let target = named_children(node)
            .into_iter()
            .find(|c| matches!(self.kind(*c), Some(Kind::This | Kind::Super)));
        let args = self.arguments(node);
        let name = target.map(|t| self.ident(t)).unwrap_or_else(|| Ident {
            text: "super".to_string(),
            span: span(node),
        });
        let expr = Expr {
            kind: ExprKind::Call(Box::new(Call {
                receiver: None,
                name,
                args,
            })),
            span: span(node),
        };
        Stmt {
            kind: StmtKind::Expr(expr),
            span: span(node),
        }
    }

    fn initializer(&mut self, node: Node<'_>, block: Option<Node<'_>>, name: &str) -> MethodDecl {
        let body = block.map(|b| self.block(b)).unwrap_or_default();
        let mut modifiers = Modifiers::default();
        if name == "static" {
            modifiers.keywords.push("static".to_string());
        }
        MethodDecl {
            kind: MethodKind::Initializer,
            name: Ident {
                text: name.to_string(),
                span: Span::new(node.start_byte(), node.start_byte()),
            },
            return_type: None,
            params: Vec::new(),
            modifiers,
            body: Some(body),
            span: span(node),
        }
    }

    // ---- types ----

    fn type_ref(&self, node: Node<'_>) -> TypeRef {
        let at = span(node);
        match self.kind(node) {
            Some(Kind::GenericType) => {
                let parts = named_children(node);
                let base = parts
                    .iter()
                    .find(|c| self.kind(**c) != Some(Kind::TypeArguments))
                    .map(|b| self.type_ref(*b).name)
                    .unwrap_or_default();
                let args = parts
                    .iter()
                    .find(|c| self.kind(**c) == Some(Kind::TypeArguments))
                    .map(|a| {
                        named_children(*a)
                            .into_iter()
                            .map(|t| self.type_ref(t))
                            .collect()
                    })
                    .unwrap_or_default();
                TypeRef {
                    name: base,
                    args,
                    array: false,
                    span: at,
                }
            }
            Some(Kind::ArrayType) => {
                // `T[]` is `List<T>` in Apex.
                let element = self
                    .field(node, Field::Element)
                    .map(|e| self.type_ref(e))
                    .unwrap_or_else(|| TypeRef::simple("Object", at));
                TypeRef {
                    name: "List".to_string(),
                    args: vec![element],
                    array: true,
                    span: at,
                }
            }
            Some(Kind::ScopedTypeIdentifier) => {
                let segments: Vec<String> = named_children(node)
                    .into_iter()
                    .filter(|c| self.kind(*c) != Some(Kind::Annotation))
                    .map(|c| self.type_ref(c).name)
                    .collect();
                TypeRef::simple(&segments.join("."), at)
            }
            Some(Kind::AnnotatedType) => named_children(node)
                .into_iter()
                .rfind(|c| self.kind(*c) != Some(Kind::Annotation))
                .map(|t| self.type_ref(t))
                .unwrap_or_else(|| TypeRef::simple("Object", at)),
            Some(Kind::VoidType) => TypeRef::simple("void", at),
            Some(Kind::BooleanType) => TypeRef::simple("Boolean", at),
            _ => {
                let text: String = self.text(node).split_whitespace().collect();
                TypeRef::simple(&text, at)
            }
        }
    }

    // ---- statements ----

    fn block(&mut self, node: Node<'_>) -> Block {
        self.code_children(node)
            .into_iter()
            .map(|c| self.stmt(c))
            .collect()
    }

    /// Named children that are not comments.
    fn code_children<'t>(&self, node: Node<'t>) -> Vec<Node<'t>> {
        named_children(node)
            .into_iter()
            .filter(|c| !self.is_comment(*c))
            .collect()
    }

    fn stmt(&mut self, node: Node<'_>) -> Stmt {
        let at = span(node);
        if !self.enter(node) {
            return Stmt {
                kind: StmtKind::Empty,
                span: at,
            };
        }
        let kind = self.stmt_kind(node);
        self.leave();
        Stmt { kind, span: at }
    }

    fn boxed_stmt(&mut self, node: Option<Node<'_>>, fallback: Span) -> Box<Stmt> {
        Box::new(match node {
            Some(n) => self.stmt(n),
            None => Stmt {
                kind: StmtKind::Empty,
                span: fallback,
            },
        })
    }

    fn stmt_kind(&mut self, node: Node<'_>) -> StmtKind {
        let at = span(node);
        match self.kind(node) {
            Some(Kind::Block) => StmtKind::Block(self.block(node)),
            Some(Kind::LocalVariableDeclaration) => {
                let ty = self
                    .field(node, Field::Type)
                    .map(|t| self.type_ref(t))
                    .unwrap_or_else(|| TypeRef::simple("Object", at));
                let mut vars = Vec::new();
                for declarator in self.g.fields(node, Field::Declarator) {
                    let Some(name) = self.field(declarator, Field::Name) else {
                        continue;
                    };
                    let init = self.field(declarator, Field::Value).map(|v| self.expr(v));
                    vars.push((self.ident(name), init));
                }
                StmtKind::Local {
                    ty: Box::new(ty),
                    vars,
                }
            }
            Some(Kind::ExpressionStatement) => match named_children(node)
                .into_iter()
                .find(|c| !self.is_comment(*c))
            {
                Some(e) => StmtKind::Expr(self.expr(e)),
                None => StmtKind::Empty,
            },
            Some(Kind::IfStatement) => {
                let condition = self.condition(node);
                let then = self.boxed_stmt(self.field(node, Field::Consequence), at);
                let otherwise = self
                    .field(node, Field::Alternative)
                    .map(|a| Box::new(self.stmt(a)));
                StmtKind::If {
                    condition,
                    then,
                    otherwise,
                }
            }
            Some(Kind::WhileStatement) => {
                let condition = Some(self.condition(node));
                let body = self.boxed_stmt(self.field(node, Field::Body), at);
                StmtKind::Loop(Box::new(Loop {
                    kind: LoopKind::While,
                    keyword: first_token(node),
                    condition,
                    init: Vec::new(),
                    update: Vec::new(),
                    each: None,
                    body,
                }))
            }
            Some(Kind::DoStatement) => {
                let condition = Some(self.condition(node));
                let body = self.boxed_stmt(self.field(node, Field::Body), at);
                StmtKind::Loop(Box::new(Loop {
                    kind: LoopKind::DoWhile,
                    keyword: first_token(node),
                    condition,
                    init: Vec::new(),
                    update: Vec::new(),
                    each: None,
                    body,
                }))
            }
            Some(Kind::ForStatement) => {
                let mut init = Vec::new();
                for part in self.g.fields(node, Field::Init) {
                    if self.kind(part) == Some(Kind::LocalVariableDeclaration) {
                        init.push(self.stmt(part));
                    } else {
                        let e = self.expr(part);
                        init.push(Stmt {
                            span: e.span,
                            kind: StmtKind::Expr(e),
                        });
                    }
                }
                let condition = self.field(node, Field::Condition).map(|c| self.expr(c));
                let update = self
                    .g
                    .fields(node, Field::Update)
                    .into_iter()
                    .map(|u| self.expr(u))
                    .collect();
                let body = self.boxed_stmt(self.field(node, Field::Body), at);
                StmtKind::Loop(Box::new(Loop {
                    kind: LoopKind::For,
                    keyword: first_token(node),
                    condition,
                    init,
                    update,
                    each: None,
                    body,
                }))
            }
            Some(Kind::EnhancedForStatement) => {
                let ty = self
                    .field(node, Field::Type)
                    .map(|t| self.type_ref(t))
                    .unwrap_or_else(|| TypeRef::simple("Object", at));
                let name = self
                    .field(node, Field::Name)
                    .map(|n| self.ident(n))
                    .unwrap_or_else(|| Ident {
                        text: String::new(),
                        span: at,
                    });
                let iterable = self.opt_expr(self.field(node, Field::Value), at);
                let body = self.boxed_stmt(self.field(node, Field::Body), at);
                StmtKind::Loop(Box::new(Loop {
                    kind: LoopKind::ForEach,
                    keyword: first_token(node),
                    condition: None,
                    init: Vec::new(),
                    update: Vec::new(),
                    each: Some(ForEach { ty, name, iterable }),
                    body,
                }))
            }
            Some(Kind::TryStatement) => {
                let body = self
                    .field(node, Field::Body)
                    .map(|b| self.block(b))
                    .unwrap_or_default();
                let mut catches = Vec::new();
                let mut finally = None;
                for part in named_children(node) {
                    match self.kind(part) {
                        Some(Kind::CatchClause) => {
                            let param = self.child_of_kind(part, Kind::FormalParameter);
                            let ty = param
                                .and_then(|p| self.field(p, Field::Type))
                                .map(|t| self.type_ref(t))
                                .unwrap_or_else(|| TypeRef::simple("Exception", span(part)));
                            let name = param
                                .and_then(|p| self.field(p, Field::Name))
                                .map(|n| self.ident(n))
                                .unwrap_or_else(|| Ident {
                                    text: String::new(),
                                    span: span(part),
                                });
                            let body = self
                                .field(part, Field::Body)
                                .map(|b| self.block(b))
                                .unwrap_or_default();
                            catches.push(Catch {
                                ty,
                                name,
                                body,
                                span: span(part),
                            });
                        }
                        Some(Kind::FinallyClause) => {
                            finally = self.child_of_kind(part, Kind::Block).map(|b| self.block(b));
                        }
                        _ => {}
                    }
                }
                StmtKind::Try(Box::new(Try {
                    body,
                    catches,
                    finally,
                }))
            }
            Some(Kind::ReturnStatement) => StmtKind::Return(
                named_children(node)
                    .into_iter()
                    .find(|c| !self.is_comment(*c))
                    .map(|e| self.expr(e)),
            ),
            Some(Kind::ThrowStatement) => {
                let value = named_children(node)
                    .into_iter()
                    .find(|c| !self.is_comment(*c));
                StmtKind::Throw(self.opt_expr(value, at))
            }
            Some(Kind::BreakStatement) => StmtKind::Break,
            Some(Kind::ContinueStatement) => StmtKind::Continue,
            Some(Kind::SwitchExpression) => {
                let subject = self.opt_expr(self.field(node, Field::Condition), at);
                let mut arms = Vec::new();
                if let Some(body) = self.field(node, Field::Body) {
                    for rule in named_children(body) {
                        if self.kind(rule) != Some(Kind::SwitchRule) {
                            continue;
                        }
                        arms.push(self.switch_arm(rule));
                    }
                }
                StmtKind::Switch { subject, arms }
            }
            Some(Kind::RunAsStatement) => {
                let user = self.opt_expr(self.field(node, Field::User), at);
                let body = self
                    .child_of_kind(node, Kind::Block)
                    .map(|b| self.block(b))
                    .unwrap_or_default();
                StmtKind::RunAs { user, body }
            }
            _ => StmtKind::Empty,
        }
    }

    fn switch_arm(&mut self, rule: Node<'_>) -> SwitchArm {
        let mut values = Vec::new();
        let mut binding = None;
        if let Some(label) = self.child_of_kind(rule, Kind::SwitchLabel) {
            for value in named_children(label) {
                if self.kind(value) == Some(Kind::WhenSobjectType) {
                    let parts = named_children(value);
                    if let (Some(ty), Some(name)) = (parts.first(), parts.last()) {
                        binding = Some((self.type_ref(*ty), self.ident(*name)));
                    }
                } else if !self.is_comment(value) {
                    values.push(self.expr(value));
                }
            }
        }
        let body = self
            .child_of_kind(rule, Kind::Block)
            .map(|b| self.block(b))
            .unwrap_or_default();
        SwitchArm {
            values,
            binding,
            body,
        }
    }

    /// The `(…)` condition of an if/while/do, unwrapped.
    fn condition(&mut self, node: Node<'_>) -> Expr {
        let at = span(node);
        self.opt_expr(self.field(node, Field::Condition), at)
    }

    // ---- expressions ----

    fn opt_expr(&mut self, node: Option<Node<'_>>, fallback: Span) -> Expr {
        match node {
            Some(n) => self.expr(n),
            None => Expr {
                kind: ExprKind::Other(Vec::new()),
                span: fallback,
            },
        }
    }

    fn boxed(&mut self, node: Option<Node<'_>>, fallback: Span) -> Box<Expr> {
        Box::new(self.opt_expr(node, fallback))
    }

    fn arguments(&mut self, node: Node<'_>) -> Vec<Expr> {
        let Some(list) = self.field(node, Field::Arguments) else {
            return Vec::new();
        };
        self.code_children(list)
            .into_iter()
            .map(|a| self.expr(a))
            .collect()
    }

    fn expr(&mut self, node: Node<'_>) -> Expr {
        let at = span(node);
        if !self.enter(node) {
            return Expr {
                kind: ExprKind::Other(Vec::new()),
                span: at,
            };
        }
        let kind = self.expr_kind(node);
        self.leave();
        Expr { kind, span: at }
    }

    fn expr_kind(&mut self, node: Node<'_>) -> ExprKind {
        let at = span(node);
        match self.kind(node) {
            Some(Kind::Identifier) => ExprKind::Name(self.ident(node)),
            Some(Kind::FieldAccess) => {
                let object = self.boxed(self.field(node, Field::Object), at);
                let name = self
                    .field(node, Field::Field)
                    .map(|f| self.ident(f))
                    .unwrap_or_else(|| Ident {
                        text: String::new(),
                        span: at,
                    });
                ExprKind::Field { object, name }
            }
            Some(Kind::MethodInvocation) => self.call(node),
            Some(Kind::ObjectCreationExpression) => {
                let ty = self
                    .field(node, Field::Type)
                    .map(|t| self.type_ref(t))
                    .unwrap_or_else(|| TypeRef::simple("Object", at));
                let args = self.arguments(node);
                ExprKind::New {
                    ty: Box::new(ty),
                    args,
                }
            }
            Some(Kind::ArrayCreationExpression) => {
                let written = self
                    .field(node, Field::Type)
                    .map(|t| self.type_ref(t))
                    .unwrap_or_else(|| TypeRef::simple("Object", at));
                let args = self
                    .field(node, Field::Value)
                    .map(|v| self.initializer_elements(v))
                    .unwrap_or_default();
                // `new Account[]{…}` is a list of Account; `new List<Account>{…}` already is one.
                let ty = if self.field(node, Field::Dimensions).is_some() {
                    TypeRef {
                        name: "List".to_string(),
                        args: vec![written],
                        array: true,
                        span: at,
                    }
                } else {
                    written
                };
                ExprKind::New {
                    ty: Box::new(ty),
                    args,
                }
            }
            Some(Kind::MapCreationExpression) => {
                let ty = self
                    .field(node, Field::Type)
                    .map(|t| self.type_ref(t))
                    .unwrap_or_else(|| TypeRef::simple("Map", at));
                let args = self
                    .field(node, Field::Value)
                    .map(|v| self.initializer_elements(v))
                    .unwrap_or_default();
                ExprKind::New {
                    ty: Box::new(ty),
                    args,
                }
            }
            Some(Kind::ArrayInitializer | Kind::MapInitializer) => {
                ExprKind::Other(self.initializer_elements(node))
            }
            Some(Kind::QueryExpression) => {
                let body = named_children(node).into_iter().next();
                match body.map(|b| (b, self.kind(b))) {
                    Some((b, Some(Kind::SoqlQueryBody))) => ExprKind::Soql(Box::new(self.soql(b))),
                    _ => ExprKind::Sosl,
                }
            }
            Some(Kind::DmlExpression) => self.dml(node),
            Some(Kind::AssignmentExpression) => {
                let target = self.boxed(self.field(node, Field::Left), at);
                let value = self.boxed(self.field(node, Field::Right), at);
                let op = self
                    .field(node, Field::Operator)
                    .map(|o| self.text(o))
                    .unwrap_or("=");
                if op == "=" {
                    ExprKind::Assign { target, value }
                } else {
                    // `x += y` reads x too; keep both sides visible.
                    ExprKind::Binary {
                        op: op.to_string(),
                        left: target,
                        right: value,
                    }
                }
            }
            Some(Kind::BinaryExpression) => {
                let op = self
                    .field(node, Field::Operator)
                    .map(|o| self.text(o).split_whitespace().collect::<String>())
                    .unwrap_or_default();
                let left = self.boxed(self.field(node, Field::Left), at);
                let right = self.boxed(self.field(node, Field::Right), at);
                ExprKind::Binary { op, left, right }
            }
            Some(Kind::UnaryExpression | Kind::UpdateExpression) => {
                let op = self
                    .field(node, Field::Operator)
                    .map(|o| self.text(o).to_string())
                    .unwrap_or_default();
                let operand = self.boxed(self.field(node, Field::Operand), at);
                ExprKind::Unary { op, operand }
            }
            Some(Kind::TernaryExpression) => ExprKind::Ternary {
                condition: self.boxed(self.field(node, Field::Condition), at),
                then: self.boxed(self.field(node, Field::Consequence), at),
                otherwise: self.boxed(self.field(node, Field::Alternative), at),
            },
            Some(Kind::CastExpression) => {
                let ty = self
                    .field(node, Field::Type)
                    .map(|t| self.type_ref(t))
                    .unwrap_or_else(|| TypeRef::simple("Object", at));
                ExprKind::Cast {
                    ty: Box::new(ty),
                    value: self.boxed(self.field(node, Field::Value), at),
                }
            }
            Some(Kind::InstanceofExpression) => {
                let value = self.boxed(self.field(node, Field::Left), at);
                let ty = self
                    .field(node, Field::Right)
                    .map(|t| self.type_ref(t))
                    .unwrap_or_else(|| TypeRef::simple("Object", at));
                ExprKind::InstanceOf {
                    value,
                    ty: Box::new(ty),
                }
            }
            Some(Kind::ArrayAccess) => ExprKind::Index {
                target: self.boxed(self.field(node, Field::Array), at),
                index: self.boxed(self.field(node, Field::Index), at),
            },
            Some(Kind::ParenthesizedExpression) => {
                match named_children(node)
                    .into_iter()
                    .find(|c| !self.is_comment(*c))
                {
                    Some(inner) => self.expr(inner).kind,
                    None => ExprKind::Other(Vec::new()),
                }
            }
            Some(Kind::StringLiteral | Kind::MultiLineStringLiteral) => {
                ExprKind::StringLiteral(unquote(self.text(node)))
            }
            Some(Kind::This) => ExprKind::This,
            Some(Kind::Super) => ExprKind::Super,
            Some(Kind::ClassLiteral) => {
                let ty = named_children(node)
                    .into_iter()
                    .next()
                    .map(|t| self.type_ref(t))
                    .unwrap_or_else(|| TypeRef::simple("Object", at));
                ExprKind::ClassLiteral(Box::new(ty))
            }
            Some(Kind::JavaFieldAccess) => ExprKind::Other(Vec::new()),
            Some(Kind::Error) | None => {
                if node.named_child_count() == 0 {
                    return ExprKind::Literal(self.text(node).to_string());
                }
                // Keep what sits inside (an ERROR node, a literal with parts): DML and
                // calls in there still count.
                let parts: Vec<Node<'_>> = named_children(node)
                    .into_iter()
                    .filter(|c| self.is_expression(*c))
                    .collect();
                let parts = parts.into_iter().map(|c| self.expr(c)).collect();
                ExprKind::Other(parts)
            }
            _ => ExprKind::Other(Vec::new()),
        }
    }

    fn is_expression(&self, node: Node<'_>) -> bool {
        matches!(
            self.kind(node),
            Some(
                Kind::Identifier
                    | Kind::FieldAccess
                    | Kind::MethodInvocation
                    | Kind::ObjectCreationExpression
                    | Kind::ArrayCreationExpression
                    | Kind::MapCreationExpression
                    | Kind::QueryExpression
                    | Kind::DmlExpression
                    | Kind::AssignmentExpression
                    | Kind::BinaryExpression
                    | Kind::UnaryExpression
                    | Kind::UpdateExpression
                    | Kind::TernaryExpression
                    | Kind::CastExpression
                    | Kind::ArrayAccess
                    | Kind::ParenthesizedExpression
                    | Kind::StringLiteral
                    | Kind::Error
            )
        )
    }

    fn initializer_elements(&mut self, node: Node<'_>) -> Vec<Expr> {
        let mut out = Vec::new();
        for child in named_children(node) {
            match self.kind(child) {
                Some(Kind::MapKeyInitializer) => {
                    for part in named_children(child) {
                        out.push(self.expr(part));
                    }
                }
                Some(Kind::LineComment | Kind::BlockComment) => {}
                _ => out.push(self.expr(child)),
            }
        }
        out
    }

    fn call(&mut self, node: Node<'_>) -> ExprKind {
        let at = span(node);
        let receiver = self.field(node, Field::Object).map(|o| self.expr(o));
        let name = self
            .field(node, Field::Name)
            .map(|n| self.ident(n))
            .unwrap_or_else(|| Ident {
                text: String::new(),
                span: at,
            });
        let mut args = self.arguments(node);
        let on_database = receiver
            .as_ref()
            .and_then(Expr::platform_class)
            .is_some_and(|class| class.is("Database"));
        if on_database {
            if let Some(kind) = DmlKind::from_keyword(&name.text)
                && !args.is_empty()
            {
                let target = args.remove(0);
                let upsert_key = match (kind, args.first()) {
                    (DmlKind::Upsert, Some(key)) if is_field_reference(key) => {
                        Some(self.src[key.span.start as usize..key.span.end as usize].to_string())
                    }
                    _ => None,
                };
                // `Database.upsert(records, Obj.Key__c, allOrNone)`: a second argument that is
                // not a literal is the key, not an option.
                if kind == DmlKind::Upsert
                    && args
                        .first()
                        .is_some_and(|a| !matches!(a.kind, ExprKind::Literal(_)))
                {
                    args.remove(0);
                }
                return ExprKind::Dml(Box::new(Dml {
                    kind,
                    target,
                    upsert_key,
                    via_database: true,
                    options: args,
                }));
            }
            let lower = name.text.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "query" | "querywithbinds" | "getquerylocator" | "getquerylocatorwithbinds"
            ) && !args.is_empty()
            {
                return ExprKind::DynamicQuery(Box::new(args.remove(0)));
            }
        }
        ExprKind::Call(Box::new(Call {
            receiver,
            name,
            args,
        }))
    }

    fn dml(&mut self, node: Node<'_>) -> ExprKind {
        let at = span(node);
        let keyword = self
            .child_of_kind(node, Kind::DmlType)
            .map(|t| self.text(t))
            .unwrap_or("");
        let kind = DmlKind::from_keyword(keyword.trim()).unwrap_or(DmlKind::Update);
        let target = self.opt_expr(self.field(node, Field::Target), at);
        let upsert_key = self
            .field(node, Field::UpsertKey)
            .map(|k| self.text(k).split_whitespace().collect::<String>());
        ExprKind::Dml(Box::new(Dml {
            kind,
            target,
            upsert_key,
            via_database: false,
            options: Vec::new(),
        }))
    }

    fn soql(&mut self, body: Node<'_>) -> Soql {
        let from = self.field(body, Field::FromClause).and_then(|clause| {
            let first = named_children(clause).into_iter().next()?;
            let storage = if self.kind(first) == Some(Kind::StorageAlias) {
                self.child_of_kind(first, Kind::StorageIdentifier)?
            } else {
                first
            };
            Some(self.ident(storage))
        });
        let for_update = self.field(body, Field::ForClause).is_some_and(|clause| {
            named_children(clause)
                .into_iter()
                .any(|t| self.text(t).eq_ignore_ascii_case("update"))
        });
        let mut binds = Vec::new();
        let mut stack = vec![body];
        while let Some(node) = stack.pop() {
            for child in named_children(node) {
                if self.kind(child) == Some(Kind::BoundApexExpression) {
                    if let Some(value) = named_children(child).into_iter().next() {
                        binds.push(self.expr(value));
                    }
                } else {
                    stack.push(child);
                }
            }
        }
        binds.sort_by_key(|b| b.span);
        Soql {
            from,
            for_update,
            binds,
        }
    }
}

fn first_token(node: Node<'_>) -> Span {
    node.child(0)
        .map(|c| span(c))
        .unwrap_or_else(|| Span::new(node.start_byte(), node.start_byte()))
}

/// `Account.Ext__c`, `Schema.Account.Ext__c`: a field token, not an `allOrNone` flag.
fn is_field_reference(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Field { .. })
}

fn unquote(literal: &str) -> String {
    let inner = literal
        .strip_prefix("'''")
        .and_then(|s| s.strip_suffix("'''"))
        .or_else(|| {
            literal
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
        })
        .unwrap_or(literal);
    inner.replace("\\'", "'")
}
