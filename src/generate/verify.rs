//! The static "would this test pass" check of generated Apex, run by CI over every variant
//! `scripts/validate-generated.sh` generates (and by anyone, over any project).
//!
//! It reads the project as lint does (metadata and parsed Apex) and reports two kinds of
//! problems that Salesforce's parser and apex-ls cannot see, but that fail a deployment to
//! production, where every test runs:
//! - **Records that cannot be saved.** Every SObject built with `new T(…)` whose value reaches
//!   an `insert` or `upsert` (through variables, lists, maps, method returns and parameters,
//!   across classes) must set every field the platform requires: the project's required and
//!   master-detail fields and lockgen's table of standard objects' required fields
//!   (`required_fields.rs`). A master-detail parent must be set to something, not `null`.
//! - **Retry assertions that contradict `MAX_RETRIES`.** A test that hands a lock failure to a
//!   retry decision at attempt `A` (`Retry(ids, A)`, `new Job(ids, A)`,
//!   `retryOrGiveUp(attemptsOf(ids, A), …)`) and asserts how many retries followed
//!   (`Limits.getQueueableJobs()`, `Job.retried`) must expect one exactly when
//!   `A < MAX_RETRIES`, and none for any other failure.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::GenerateError;
use super::schema::{Schema, Value};
use crate::apex::model::{
    Call, DmlKind, Expr, ExprKind, MethodDecl, MethodKind, Stmt, StmtKind, TypeDecl,
};
use crate::apex::visit::{self, Visit};
use crate::index::{self, FileId, Project};
use crate::project;

/// One reason a generated test would fail in an org.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

/// Check the project at (or above) `path`.
pub fn check_project(path: &Path) -> Result<Vec<Problem>, GenerateError> {
    let discovery = project::discover(&[path.to_path_buf()])?;
    let project = index::load(&discovery)?;
    let dirs: Vec<std::path::PathBuf> = discovery
        .package_dirs
        .iter()
        .map(|d| discovery.root.join(d))
        .collect();
    let dir_refs: Vec<&Path> = dirs.iter().map(std::path::PathBuf::as_path).collect();
    let schema = Schema::new(Some(&project), &dir_refs);
    let mut problems = Records::new(&project, &schema).check();
    problems.extend(retry_assertions(&project));
    problems.sort();
    problems.dedup();
    Ok(problems)
}

// ---- records that reach DML ----

struct Class<'a> {
    decl: &'a TypeDecl,
    outer: Option<usize>,
}

struct Method<'a> {
    class: usize,
    file: FileId,
    params: Vec<String>,
    /// Lower-cased variable → declared type, as written.
    types: HashMap<String, String>,
    /// Lower-cased variable → every expression stored into it (initialisers, assignments,
    /// `add`/`addAll`/`put` arguments, the iterable of a `for` over it).
    writes: HashMap<String, Vec<&'a Expr>>,
    /// Lower-cased variable → `(field, value)` of every `variable.Field = value`.
    field_sets: HashMap<String, Vec<(String, &'a Expr)>>,
    returns: Vec<&'a Expr>,
    calls: Vec<&'a Call>,
    /// `new T(args)` of every type (generated classes' constructors among them).
    news: Vec<&'a Expr>,
    /// Targets of `insert` and `upsert` (statements or `Database.` calls).
    creates: Vec<&'a Expr>,
}

impl Method<'_> {
    fn new(class: usize, file: FileId) -> Self {
        Method {
            class,
            file,
            params: Vec::new(),
            types: HashMap::new(),
            writes: HashMap::new(),
            field_sets: HashMap::new(),
            returns: Vec::new(),
            calls: Vec::new(),
            news: Vec::new(),
            creates: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Var(usize, usize),
    Return(usize),
}

struct Records<'a> {
    project: &'a Project,
    schema: &'a Schema<'a>,
    classes: Vec<Class<'a>>,
    methods: Vec<Method<'a>>,
    /// Method index → variable names, interned per method.
    vars: Vec<Vec<String>>,
}

impl<'a> Records<'a> {
    fn new(project: &'a Project, schema: &'a Schema<'a>) -> Records<'a> {
        let mut classes = Vec::new();
        let mut methods = Vec::new();
        for unit in &project.apex {
            let base = classes.len();
            for decl in &unit.model.types {
                classes.push(Class {
                    decl,
                    outer: decl.outer.map(|o| base + o),
                });
            }
            for (offset, decl) in unit.model.types.iter().enumerate() {
                for method in &decl.methods {
                    methods.push(collect(base + offset, unit.file, method));
                }
            }
            if let Some(trigger) = &unit.model.trigger {
                let mut method = Method::new(usize::MAX, unit.file);
                let mut collector = Collector {
                    method: &mut method,
                };
                collector.visit_block(&trigger.body);
                methods.push(method);
            }
        }
        let vars = methods
            .iter()
            .map(|m| {
                let mut names: Vec<String> = m
                    .writes
                    .keys()
                    .chain(m.params.iter())
                    .chain(m.types.keys())
                    .cloned()
                    .collect();
                names.sort();
                names.dedup();
                names
            })
            .collect();
        Records {
            project,
            schema,
            classes,
            methods,
            vars,
        }
    }

    fn var(&self, method: usize, name: &str) -> Option<Node> {
        let lower = name.to_ascii_lowercase();
        self.vars[method]
            .binary_search(&lower)
            .ok()
            .map(|i| Node::Var(method, i))
    }

    /// Classes a type name as written refers to (`Job`, `Job.Retry`, `Retry` inside `Job`).
    fn classes_named(&self, from: usize, name: &str) -> Vec<usize> {
        let last = name.rsplit('.').next().unwrap_or(name);
        let first = name.split('.').next().unwrap_or(name);
        let dotted = name.contains('.');
        let around = if from == usize::MAX {
            Vec::new()
        } else {
            self.enclosing(from)
        };
        (0..self.classes.len())
            .filter(|index| {
                let class = &self.classes[*index];
                class.decl.name.is(last)
                    && match class.outer {
                        // `Outer.Inner`, or `Inner` from inside `Outer`.
                        Some(outer) => {
                            if dotted {
                                self.classes[outer].decl.name.is(first)
                            } else {
                                around.contains(&outer)
                            }
                        }
                        None => !dotted,
                    }
            })
            .collect()
    }

    /// A class and the classes around it.
    fn enclosing(&self, class: usize) -> Vec<usize> {
        let mut chain = vec![class];
        let mut current = class;
        while let Some(outer) = self.classes.get(current).and_then(|c| c.outer) {
            chain.push(outer);
            current = outer;
        }
        chain
    }

    fn is_generated_type(&self, name: &str) -> bool {
        let last = name.rsplit('.').next().unwrap_or(name);
        self.classes.iter().any(|c| c.decl.name.is(last))
    }

    /// The methods a call may run: by receiver (a variable's type, a class name, `new T()`),
    /// name and number of arguments.
    fn callees(&self, method: usize, call: &Call) -> Vec<usize> {
        let from = self.methods[method].class;
        let classes: Vec<usize> = match call.receiver.as_ref().map(|r| &r.kind) {
            None | Some(ExprKind::This) => {
                if from == usize::MAX {
                    Vec::new()
                } else {
                    self.enclosing(from)
                }
            }
            Some(ExprKind::Name(name)) => {
                let declared = self.methods[method].types.get(&name.key());
                match declared {
                    Some(ty) => self.classes_named(from, ty),
                    None => self.classes_named(from, &name.text),
                }
            }
            Some(ExprKind::Field { object, name }) => match &object.kind {
                ExprKind::Name(outer) => {
                    self.classes_named(from, &format!("{}.{}", outer.text, name.text))
                }
                _ => Vec::new(),
            },
            Some(ExprKind::New { ty, .. }) => self.classes_named(from, &ty.name),
            _ => Vec::new(),
        };
        self.methods
            .iter()
            .enumerate()
            .filter(|(_, m)| classes.contains(&m.class))
            .filter(|(index, m)| {
                let decl = self.decl(*index);
                decl.is_some_and(|d| {
                    d.kind == MethodKind::Method
                        && d.name.is(&call.name.text)
                        && m.params.len() == call.args.len()
                })
            })
            .map(|(index, _)| index)
            .collect()
    }

    fn constructors(&self, method: usize, ty: &str, arity: usize) -> Vec<usize> {
        let classes = self.classes_named(self.methods[method].class, ty);
        self.methods
            .iter()
            .enumerate()
            .filter(|(index, m)| {
                classes.contains(&m.class)
                    && self
                        .decl(*index)
                        .is_some_and(|d| d.kind == MethodKind::Constructor)
                    && m.params.len() == arity
            })
            .map(|(index, _)| index)
            .collect()
    }

    fn decl(&self, method: usize) -> Option<&'a MethodDecl> {
        let m = &self.methods[method];
        let class = self.classes.get(m.class)?;
        // Methods were collected in declaration order, class by class.
        let first = self.methods.iter().position(|x| x.class == m.class)?;
        class.decl.methods.get(method - first)
    }

    /// Is `T` an SObject type (not one of the project's classes, and known as an object)?
    fn is_sobject(&self, ty: &str) -> bool {
        !ty.contains('<')
            && !self.is_generated_type(ty)
            && (ty.contains("__") || self.schema.knows(ty))
    }

    fn check(&self) -> Vec<Problem> {
        let mut marked: HashSet<Node> = HashSet::new();
        let mut sites: Vec<(usize, &'a Expr)> = Vec::new();
        let mut seen_sites: HashSet<usize> = HashSet::new();
        let mut work: Vec<(usize, &'a Expr)> = Vec::new();
        for (index, method) in self.methods.iter().enumerate() {
            for target in &method.creates {
                work.push((index, target));
            }
        }
        // Parameter flows need the call sites of each method: callee → (caller, args).
        let mut callers: HashMap<usize, Vec<(usize, &'a [Expr])>> = HashMap::new();
        for (index, method) in self.methods.iter().enumerate() {
            for call in &method.calls {
                for callee in self.callees(index, call) {
                    callers.entry(callee).or_default().push((index, &call.args));
                }
            }
            for new in &method.news {
                if let ExprKind::New { ty, args } = &new.kind
                    && self.is_generated_type(&ty.name)
                {
                    for callee in self.constructors(index, &ty.name, args.len()) {
                        callers.entry(callee).or_default().push((index, args));
                    }
                }
            }
        }
        while let Some((method, expr)) = work.pop() {
            let mut nodes = Vec::new();
            self.sources(method, expr, &mut nodes, &mut sites, &mut seen_sites);
            for node in nodes {
                if !marked.insert(node) {
                    continue;
                }
                match node {
                    Node::Return(m) => {
                        work.extend(self.methods[m].returns.iter().map(|e| (m, *e)));
                    }
                    Node::Var(m, v) => {
                        let name = &self.vars[m][v];
                        if let Some(writes) = self.methods[m].writes.get(name) {
                            work.extend(writes.iter().map(|e| (m, *e)));
                        }
                        if let Some(position) =
                            self.methods[m].params.iter().position(|p| p == name)
                            && let Some(calls) = callers.get(&m)
                        {
                            for (caller, args) in calls {
                                if let Some(arg) = args.get(position) {
                                    work.push((*caller, arg));
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut problems = Vec::new();
        for (method, site) in sites {
            problems.extend(self.check_site(method, site));
        }
        problems
    }

    /// The nodes and construction sites an expression's value comes from.
    fn sources(
        &self,
        method: usize,
        expr: &'a Expr,
        nodes: &mut Vec<Node>,
        sites: &mut Vec<(usize, &'a Expr)>,
        seen: &mut HashSet<usize>,
    ) {
        match &expr.kind {
            ExprKind::Name(name) => nodes.extend(self.var(method, &name.text)),
            ExprKind::New { ty, args } => {
                if self.is_sobject(&ty.name) {
                    if seen.insert(std::ptr::from_ref(expr) as usize) {
                        sites.push((method, expr));
                    }
                } else if !self.is_generated_type(&ty.name) {
                    // `new List<T>{ … }`, `new Map<K, V>{ … }`, `new T[]{ … }`.
                    for arg in args {
                        self.sources(method, arg, nodes, sites, seen);
                    }
                }
            }
            ExprKind::Call(call) => {
                let callees = self.callees(method, call);
                if callees.is_empty() {
                    // `records.get(0)`, `record.clone()`, `rows.values()`: from the receiver.
                    if let Some(receiver) = &call.receiver {
                        self.sources(method, receiver, nodes, sites, seen);
                    }
                } else {
                    nodes.extend(callees.into_iter().map(Node::Return));
                }
            }
            ExprKind::Index { target, .. } => self.sources(method, target, nodes, sites, seen),
            ExprKind::Cast { value, .. } | ExprKind::Assign { value, .. } => {
                self.sources(method, value, nodes, sites, seen);
            }
            ExprKind::Ternary {
                then, otherwise, ..
            } => {
                self.sources(method, then, nodes, sites, seen);
                self.sources(method, otherwise, nodes, sites, seen);
            }
            ExprKind::Other(parts) => {
                for part in parts {
                    self.sources(method, part, nodes, sites, seen);
                }
            }
            _ => {}
        }
    }

    fn check_site(&self, method: usize, site: &'a Expr) -> Vec<Problem> {
        let ExprKind::New { ty, args } = &site.kind else {
            return Vec::new();
        };
        let Ok(required) = self.schema.required(&ty.name) else {
            return Vec::new();
        };
        let file = self.methods[method].file;
        let text = &self.project.file(file).text;
        let is_null = |value: &Expr| {
            text.get(value.span.start as usize..value.span.end as usize)
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("null"))
        };
        // Fields set in the constructor, then on a variable holding the record.
        let mut set: BTreeMap<String, bool> = BTreeMap::new();
        for arg in args {
            if let ExprKind::Assign { target, value } = &arg.kind
                && let ExprKind::Name(field) = &target.kind
            {
                set.insert(field.key(), !is_null(value));
            }
        }
        let m = &self.methods[method];
        for (var, writes) in &m.writes {
            if writes.iter().any(|w| std::ptr::eq(*w, site))
                && let Some(fields) = m.field_sets.get(var)
            {
                for (field, value) in fields {
                    set.insert(field.clone(), !is_null(value));
                }
            }
        }
        let location = self.project.file(file).line_column(site.span.start);
        let mut problems = Vec::new();
        for field in required {
            let key = field.field.to_ascii_lowercase();
            let message = match (&field.value, set.get(&key)) {
                (_, Some(true)) => continue,
                (
                    Value::Reference {
                        master_detail: true,
                        ..
                    },
                    _,
                ) => format!(
                    "`new {}(…)` is saved without its master-detail parent `{}`",
                    ty.name, field.field
                ),
                (Value::Reference { .. }, _) => format!(
                    "`new {}(…)` is saved without its required relationship `{}`",
                    ty.name, field.field
                ),
                _ => format!(
                    "`new {}(…)` is saved without its required field `{}`",
                    ty.name, field.field
                ),
            };
            problems.push(Problem {
                path: self.project.path(file).to_string(),
                line: location.line,
                message,
            });
        }
        problems
    }
}

fn collect<'a>(class: usize, file: FileId, decl: &'a MethodDecl) -> Method<'a> {
    let mut method = Method::new(class, file);
    method.params = decl.params.iter().map(|p| p.name.key()).collect();
    for param in &decl.params {
        method.types.insert(param.name.key(), param.ty.name.clone());
    }
    if let Some(body) = &decl.body {
        let mut collector = Collector {
            method: &mut method,
        };
        collector.visit_block(body);
    }
    method
}

struct Collector<'m, 'a> {
    method: &'m mut Method<'a>,
}

impl<'a> Visit<'a> for Collector<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Local { ty, vars } => {
                for (name, init) in vars {
                    self.method.types.insert(name.key(), ty.name.clone());
                    let writes = self.method.writes.entry(name.key()).or_default();
                    writes.extend(init.iter());
                }
            }
            StmtKind::Return(Some(value)) => self.method.returns.push(value),
            StmtKind::Loop(l) => {
                if let Some(each) = &l.each {
                    self.method
                        .types
                        .insert(each.name.key(), each.ty.name.clone());
                    self.method
                        .writes
                        .entry(each.name.key())
                        .or_default()
                        .push(&each.iterable);
                }
            }
            _ => {}
        }
        visit::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Assign { target, value } => match &target.kind {
                ExprKind::Name(name) => self
                    .method
                    .writes
                    .entry(name.key())
                    .or_default()
                    .push(value),
                ExprKind::Field { object, name } => {
                    if let ExprKind::Name(var) = &object.kind {
                        self.method
                            .field_sets
                            .entry(var.key())
                            .or_default()
                            .push((name.key(), value));
                    }
                }
                _ => {}
            },
            ExprKind::Call(call) => {
                self.method.calls.push(call);
                // `list.add(x)`, `list.addAll(xs)`, `map.put(k, v)`: x flows into the list.
                if let Some(receiver) = &call.receiver
                    && let ExprKind::Name(var) = &receiver.kind
                {
                    let stored = match call.name.key().as_str() {
                        "add" | "addall" => call.args.last(),
                        "put" => call.args.get(1),
                        _ => None,
                    };
                    if let Some(value) = stored {
                        self.method.writes.entry(var.key()).or_default().push(value);
                    }
                }
            }
            ExprKind::New { .. } => self.method.news.push(expr),
            ExprKind::Dml(dml) if matches!(dml.kind, DmlKind::Insert | DmlKind::Upsert) => {
                self.method.creates.push(&dml.target);
            }
            _ => {}
        }
        visit::walk_expr(self, expr);
    }
}

// ---- retry assertions ----

/// `MAX_RETRIES` of every class that declares it, by lower-cased class name.
fn max_retries(project: &Project) -> HashMap<String, i64> {
    let mut found = HashMap::new();
    for unit in &project.apex {
        for decl in &unit.model.types {
            for field in &decl.fields {
                if field.name.is("MAX_RETRIES")
                    && let Some(init) = &field.init
                    && let Some(value) = project
                        .file(unit.file)
                        .text
                        .get(init.span.start as usize..init.span.end as usize)
                        .and_then(|t| t.trim().parse::<i64>().ok())
                {
                    found.insert(decl.name.key(), value);
                }
            }
        }
    }
    found
}

fn retry_assertions(project: &Project) -> Vec<Problem> {
    let limits = max_retries(project);
    let mut problems = Vec::new();
    for unit in &project.apex {
        let file = project.file(unit.file);
        for decl in &unit.model.types {
            for method in &decl.methods {
                let Some(text) = file
                    .text
                    .get(method.span.start as usize..method.span.end as usize)
                else {
                    continue;
                };
                let Some((class, attempt)) = retry_call(text, &limits) else {
                    continue;
                };
                let Some(max) = limits.get(&class.to_ascii_lowercase()) else {
                    continue;
                };
                // The failure handed over: a lock error, or anything else.
                let lock = [
                    "LockException(",
                    "UNABLE_TO_LOCK_ROW",
                    "Record Currently Unavailable",
                    "LOCKED",
                    ".locked",
                ]
                .iter()
                .any(|marker| text.contains(marker));
                let expected = i64::from(lock && attempt < *max);
                for (asserted, offset) in retry_counts(text) {
                    if asserted == expected {
                        continue;
                    }
                    let line = file
                        .line_column(method.span.start + u32::try_from(offset).unwrap_or(0))
                        .line;
                    problems.push(Problem {
                        path: project.path(unit.file).to_string(),
                        line,
                        message: format!(
                            "test `{}` expects {asserted} retries after {} at attempt {attempt}, but `{class}.MAX_RETRIES` is {max}: {expected} expected",
                            method.name.text,
                            if lock { "a lock failure" } else { "a failure that is not a lock error" }
                        ),
                    });
                }
            }
        }
    }
    problems
}

/// The class and attempt of the retry decision a test makes, if it makes one.
fn retry_call(text: &str, limits: &HashMap<String, i64>) -> Option<(String, i64)> {
    let patterns = [".Retry(", "retryOrGiveUp(attemptsOf(", "new "];
    for pattern in patterns {
        let mut rest = text;
        while let Some(at) = rest.find(pattern) {
            let before = &rest[..at];
            let after = &rest[at + pattern.len()..];
            rest = after;
            let class = match pattern {
                "new " => {
                    let name: String = after
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !after[name.len()..].starts_with('(') {
                        continue;
                    }
                    name
                }
                ".Retry(" => before
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                _ => before
                    .trim_end_matches('.')
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            };
            let Some(max) = limits.get(&class.to_ascii_lowercase()) else {
                continue;
            };
            let args = if pattern == "new " {
                &after[class.len() + 1..]
            } else {
                after
            };
            let parts = call_args(args);
            let [_, attempt] = parts.as_slice() else {
                continue;
            };
            if let Some(value) = evaluate(attempt, *max) {
                return Some((class, value));
            }
        }
    }
    None
}

/// The arguments of a call, from just after its `(`: split at top-level commas.
fn call_args(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        match c {
            '(' | '{' | '[' | '<' => depth += 1,
            ')' | '}' | ']' | '>' if depth > 0 => depth -= 1,
            ')' => {
                parts.push(text[start..index].trim());
                return parts;
            }
            ',' if depth == 0 => {
                parts.push(text[start..index].trim());
                start = index + 1;
            }
            _ => {}
        }
    }
    Vec::new()
}

/// `2`, `Job.MAX_RETRIES`, `MAX_RETRIES - 1`.
fn evaluate(expr: &str, max: i64) -> Option<i64> {
    let mut total = 0;
    for (index, term) in expr.split('-').enumerate() {
        let term = term.trim();
        let value = if term.ends_with("MAX_RETRIES") {
            max
        } else {
            term.parse::<i64>().ok()?
        };
        total += if index == 0 { value } else { -value };
    }
    Some(total)
}

/// Every `Assert.areEqual(N, Limits.getQueueableJobs()…` or `…(N, Job.retried…` in a test:
/// the number asserted and where.
fn retry_counts(text: &str) -> Vec<(i64, usize)> {
    let mut found = Vec::new();
    for opener in ["Assert.areEqual(", "System.assertEquals("] {
        let mut from = 0;
        while let Some(at) = text[from..].find(opener) {
            let start = from + at;
            from = start + opener.len();
            let args = &text[from..];
            let Some((expected, rest)) = args.split_once(',') else {
                continue;
            };
            let Ok(expected) = expected.trim().parse::<i64>() else {
                continue;
            };
            let actual = rest.trim_start();
            let counted = actual.starts_with("Limits.getQueueableJobs()")
                || actual
                    .split([',', ')'])
                    .next()
                    .is_some_and(|a| a.trim().ends_with(".retried"));
            if counted {
                found.push((expected, start));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_literals_or_max_retries() {
        assert_eq!(evaluate("2", 3), Some(2));
        assert_eq!(evaluate("Job.MAX_RETRIES", 3), Some(3));
        assert_eq!(evaluate("Job.MAX_RETRIES - 1", 3), Some(2));
        assert_eq!(evaluate("attempt", 3), None);
    }

    #[test]
    fn finds_the_retry_decision_of_a_test() {
        let limits = HashMap::from([("job".to_string(), 0)]);
        assert_eq!(
            retry_call(
                "new Job.Retry(parentIds, 0).execute(new Outcome(x));",
                &limits
            ),
            Some(("Job".to_string(), 0))
        );
        assert_eq!(
            retry_call("Job batch = new Job(parentIds, 2);", &limits),
            Some(("Job".to_string(), 2))
        );
        assert_eq!(
            retry_call(
                "Job.retryOrGiveUp(attemptsOf(parentIds, Job.MAX_RETRIES), 'x');",
                &limits
            ),
            Some(("Job".to_string(), 0))
        );
        assert_eq!(retry_call("new Job(parentIds);", &limits), None);
        assert_eq!(
            retry_call("new Job.Retry(new Set<Id>(rows), 0);", &limits),
            Some(("Job".to_string(), 0))
        );
        assert_eq!(
            retry_counts("Assert.areEqual(1, Limits.getQueueableJobs(), 'x'); Assert.areEqual(0, Job.retried, 'y');")
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>(),
            [1, 0]
        );
    }
}
