//! The owned model of one Apex file: declarations, and method bodies lowered to a small
//! statement/expression tree that keeps only what lock analysis needs. Built once by
//! `apex::parser`; everything downstream reads this model, never tree-sitter nodes.

use super::span::Span;

/// An identifier as written, with its span. Apex names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ident {
    pub text: String,
    pub span: Span,
}

impl Ident {
    pub fn is(&self, name: &str) -> bool {
        self.text.eq_ignore_ascii_case(name)
    }

    pub fn key(&self) -> String {
        self.text.to_ascii_lowercase()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ApexFileKind {
    Class,
    Trigger,
}

/// Why part of a file could not be analysed (LCK000).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParseProblem {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ApexFile {
    /// Every class, interface and enum, inner ones included, in source order.
    pub types: Vec<TypeDecl>,
    pub trigger: Option<TriggerDecl>,
    pub problems: Vec<ParseProblem>,
    /// `//` and `/* */` comments that mention `lockgen:` (suppressions).
    pub directive_comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TypeKind {
    Class,
    Interface,
    Enum,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Modifiers {
    pub annotations: Vec<Annotation>,
    /// Lower-cased keywords: `public`, `static`, `virtual`, `with sharing` …
    pub keywords: Vec<String>,
}

impl Modifiers {
    pub fn has(&self, keyword: &str) -> bool {
        self.keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    }

    pub fn annotation(&self, name: &str) -> Option<&Annotation> {
        self.annotations.iter().find(|a| a.name.is(name))
    }

    pub fn is_static(&self) -> bool {
        self.has("static")
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Annotation {
    pub name: Ident,
    /// The argument list as written, without parentheses (`callout=true`).
    pub arguments: String,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TypeDecl {
    pub kind: TypeKind,
    pub name: Ident,
    /// Index of the enclosing type in `ApexFile::types`, for inner classes.
    pub outer: Option<usize>,
    pub modifiers: Modifiers,
    pub extends: Option<TypeRef>,
    /// `implements` for classes, `extends` for interfaces.
    pub implements: Vec<TypeRef>,
    pub fields: Vec<FieldDecl>,
    pub methods: Vec<MethodDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FieldDecl {
    pub ty: TypeRef,
    pub name: Ident,
    pub modifiers: Modifiers,
    pub init: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MethodKind {
    Method,
    Constructor,
    /// A `static { }` or instance `{ }` initializer block.
    Initializer,
    /// A property's `get { }` or `set { }` body.
    Accessor,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MethodDecl {
    pub kind: MethodKind,
    pub name: Ident,
    pub return_type: Option<TypeRef>,
    pub params: Vec<Param>,
    pub modifiers: Modifiers,
    pub body: Option<Block>,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Param {
    pub ty: TypeRef,
    pub name: Ident,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TriggerDecl {
    pub name: Ident,
    pub object: Ident,
    /// Lower-cased events: `before insert`, `after update` …
    pub events: Vec<String>,
    pub body: Block,
    /// From `trigger` to the closing parenthesis of the event list.
    pub header_span: Span,
    pub span: Span,
}

/// A type as written: `Account`, `List<Account>`, `Database.Batchable<SObject>`, `Account[]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TypeRef {
    /// Dotted name without type arguments (`Database.Batchable`).
    pub name: String,
    pub args: Vec<TypeRef>,
    /// `T[]` is Apex shorthand for `List<T>`.
    pub array: bool,
    pub span: Span,
}

impl TypeRef {
    pub fn simple(name: &str, span: Span) -> Self {
        TypeRef {
            name: name.to_string(),
            args: Vec::new(),
            array: false,
            span,
        }
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The type as it reads in source: `List<Account>`, `Map<Id, Contact>`, `Account[]`.
    pub fn display(&self) -> String {
        let mut out = self.name.clone();
        if self.array {
            if let Some(inner) = self.args.first() {
                return format!("{}[]", inner.display());
            }
        } else if !self.args.is_empty() {
            let args: Vec<String> = self.args.iter().map(TypeRef::display).collect();
            out.push('<');
            out.push_str(&args.join(", "));
            out.push('>');
        }
        out
    }

    /// The last segment of the dotted name (`Batchable` for `Database.Batchable`).
    pub fn last_segment(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }
}

pub type Block = Vec<Stmt>;

// Every expression and statement node is as large as its largest variant, and a million lines
// of Apex lower to millions of nodes: the variants that carry a `TypeRef` (64 bytes) box it, so
// that the common ones (names, fields, calls) do not pay for it. Boxes serialize as what they
// hold, so the model cache's format is unchanged.

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum StmtKind {
    Local {
        ty: Box<TypeRef>,
        vars: Vec<(Ident, Option<Expr>)>,
    },
    Expr(Expr),
    If {
        condition: Expr,
        then: Box<Stmt>,
        otherwise: Option<Box<Stmt>>,
    },
    Loop(Box<Loop>),
    Try(Box<Try>),
    Block(Block),
    Return(Option<Expr>),
    Throw(Expr),
    Break,
    Continue,
    Switch {
        subject: Expr,
        arms: Vec<SwitchArm>,
    },
    RunAs {
        user: Expr,
        body: Block,
    },
    /// `;`, or a statement the grammar could not read.
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LoopKind {
    While,
    DoWhile,
    For,
    ForEach,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Loop {
    pub kind: LoopKind,
    /// The `while`/`do`/`for` keyword, where loop findings point.
    pub keyword: Span,
    /// `while (…)`, `do … while (…)`, or the middle clause of a `for (;;)`.
    pub condition: Option<Expr>,
    /// `for (init; …; update)` parts, as statements.
    pub init: Vec<Stmt>,
    pub update: Vec<Expr>,
    /// `for (T name : iterable)`.
    pub each: Option<ForEach>,
    pub body: Box<Stmt>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ForEach {
    pub ty: TypeRef,
    pub name: Ident,
    pub iterable: Expr,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Try {
    pub body: Block,
    pub catches: Vec<Catch>,
    pub finally: Option<Block>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Catch {
    pub ty: TypeRef,
    pub name: Ident,
    pub body: Block,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SwitchArm {
    pub values: Vec<Expr>,
    /// `when Account a { … }`.
    pub binding: Option<(TypeRef, Ident)>,
    pub body: Block,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum ExprKind {
    Name(Ident),
    Field {
        object: Box<Expr>,
        name: Ident,
    },
    Call(Box<Call>),
    /// `new T(…)`, `new T[]{…}`, `new Map<K, V>{…}`: arguments or initializer elements.
    New {
        ty: Box<TypeRef>,
        args: Vec<Expr>,
    },
    Soql(Box<Soql>),
    Sosl,
    Dml(Box<Dml>),
    /// `Database.query(…)`, `Database.queryWithBinds(…)`, `Database.getQueryLocator(…)`.
    DynamicQuery(Box<Expr>),
    Assign {
        target: Box<Expr>,
        value: Box<Expr>,
    },
    Binary {
        op: String,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Unary {
        op: String,
        operand: Box<Expr>,
    },
    Ternary {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Cast {
        ty: Box<TypeRef>,
        value: Box<Expr>,
    },
    InstanceOf {
        value: Box<Expr>,
        ty: Box<TypeRef>,
    },
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    StringLiteral(String),
    /// A number, `true`/`false` or `null`, as written.
    Literal(String),
    This,
    Super,
    ClassLiteral(Box<TypeRef>),
    /// Anything else, or what the grammar could not read: sub-expressions are kept so that
    /// DML and calls inside are still seen.
    Other(Vec<Expr>),
}

impl Stmt {
    /// Does this statement always leave the enclosing block (return, throw, continue, break)?
    pub fn always_leaves_block(&self) -> bool {
        match &self.kind {
            StmtKind::Return(_) | StmtKind::Throw(_) | StmtKind::Continue | StmtKind::Break => true,
            StmtKind::Block(block) => block.last().is_some_and(Stmt::always_leaves_block),
            _ => false,
        }
    }
}

impl Expr {
    /// The platform class a static call is made on: `Database` for both `Database` and
    /// `System.Database` (every platform class may be written `System.`-qualified), `System`
    /// for `System` itself.
    pub fn platform_class(&self) -> Option<&Ident> {
        match &self.kind {
            ExprKind::Name(name) => Some(name),
            ExprKind::Field { object, name } => match &object.kind {
                ExprKind::Name(system) if system.is("System") => Some(name),
                _ => None,
            },
            _ => None,
        }
    }

    /// The class named by `Accounts.class` (however the grammar read it), dotted.
    pub fn class_literal(&self) -> Option<String> {
        match &self.kind {
            ExprKind::ClassLiteral(ty) => Some(ty.name.clone()),
            ExprKind::Field { object, name } if name.is("class") => object.dotted_name(),
            _ => None,
        }
    }

    /// `a.b.c` for a chain of names, if the expression is one.
    pub fn dotted_name(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Name(name) => Some(name.text.clone()),
            ExprKind::Field { object, name } => {
                Some(format!("{}.{}", object.dotted_name()?, name.text))
            }
            _ => None,
        }
    }

    /// Is this the literal `false` (any case)?
    pub fn is_false(&self) -> bool {
        matches!(&self.kind, ExprKind::Literal(text) if text.eq_ignore_ascii_case("false"))
    }

    /// The value of an integer literal.
    pub fn integer(&self) -> Option<i64> {
        match &self.kind {
            ExprKind::Literal(text) => text.trim_end_matches(['l', 'L']).parse().ok(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Call {
    /// `None` for `m(…)`; `Some(receiver)` for `x.m(…)`, `Cls.m(…)`, `super.m(…)`.
    pub receiver: Option<Expr>,
    pub name: Ident,
    pub args: Vec<Expr>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum DmlKind {
    Insert,
    Update,
    Upsert,
    Delete,
    Undelete,
    Merge,
}

impl DmlKind {
    pub fn from_keyword(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "insert" => DmlKind::Insert,
            "update" => DmlKind::Update,
            "upsert" => DmlKind::Upsert,
            "delete" => DmlKind::Delete,
            "undelete" => DmlKind::Undelete,
            "merge" => DmlKind::Merge,
            _ => return None,
        })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            DmlKind::Insert => "insert",
            DmlKind::Update => "update",
            DmlKind::Upsert => "upsert",
            DmlKind::Delete => "delete",
            DmlKind::Undelete => "undelete",
            DmlKind::Merge => "merge",
        }
    }
}

/// A DML statement (`insert x;`) or a `Database.insert(x, …)`-style call.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Dml {
    pub kind: DmlKind,
    pub target: Expr,
    /// The external-ID field of an upsert: `upsert xs Account.Ext__c` or the second argument
    /// of `Database.upsert(xs, Account.Ext__c, …)`, as written.
    pub upsert_key: Option<String>,
    /// True for `Database.insert(…)`, false for the `insert` statement.
    pub via_database: bool,
    /// `Database.x(…)` arguments after the records (and after the upsert key): `allOrNone`,
    /// `Database.DMLOptions`, `AccessLevel`.
    pub options: Vec<Expr>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Soql {
    /// The first object of the FROM clause, as written.
    pub from: Option<Ident>,
    pub for_update: bool,
    /// Apex expressions bound into the query (`:ids`).
    pub binds: Vec<Expr>,
}
