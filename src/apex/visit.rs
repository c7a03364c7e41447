//! A read-only visitor over method bodies, in the style of `syn::visit`: override what you
//! need, call the matching `walk_*` to keep descending.

use super::model::*;

pub trait Visit<'a> {
    fn visit_block(&mut self, block: &'a [Stmt]) {
        for stmt in block {
            self.visit_stmt(stmt);
        }
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        walk_expr(self, expr);
    }
}

pub fn walk_stmt<'a, V: Visit<'a> + ?Sized>(v: &mut V, stmt: &'a Stmt) {
    match &stmt.kind {
        StmtKind::Local { vars, .. } => {
            for (_, init) in vars {
                if let Some(init) = init {
                    v.visit_expr(init);
                }
            }
        }
        StmtKind::Expr(expr) | StmtKind::Throw(expr) => v.visit_expr(expr),
        StmtKind::Return(expr) => {
            if let Some(expr) = expr {
                v.visit_expr(expr);
            }
        }
        StmtKind::If {
            condition,
            then,
            otherwise,
        } => {
            v.visit_expr(condition);
            v.visit_stmt(then);
            if let Some(otherwise) = otherwise {
                v.visit_stmt(otherwise);
            }
        }
        StmtKind::Loop(l) => {
            for init in &l.init {
                v.visit_stmt(init);
            }
            if let Some(each) = &l.each {
                v.visit_expr(&each.iterable);
            }
            if let Some(condition) = &l.condition {
                v.visit_expr(condition);
            }
            v.visit_stmt(&l.body);
            for update in &l.update {
                v.visit_expr(update);
            }
        }
        StmtKind::Try(t) => {
            v.visit_block(&t.body);
            for catch in &t.catches {
                v.visit_block(&catch.body);
            }
            if let Some(finally) = &t.finally {
                v.visit_block(finally);
            }
        }
        StmtKind::Block(block) => v.visit_block(block),
        StmtKind::Switch { subject, arms } => {
            v.visit_expr(subject);
            for arm in arms {
                for value in &arm.values {
                    v.visit_expr(value);
                }
                v.visit_block(&arm.body);
            }
        }
        StmtKind::RunAs { user, body } => {
            v.visit_expr(user);
            v.visit_block(body);
        }
        StmtKind::Break | StmtKind::Continue | StmtKind::Empty => {}
    }
}

pub fn walk_expr<'a, V: Visit<'a> + ?Sized>(v: &mut V, expr: &'a Expr) {
    match &expr.kind {
        ExprKind::Field { object, .. } => v.visit_expr(object),
        ExprKind::Call(call) => {
            if let Some(receiver) = &call.receiver {
                v.visit_expr(receiver);
            }
            for arg in &call.args {
                v.visit_expr(arg);
            }
        }
        ExprKind::New { args, .. } | ExprKind::Other(args) => {
            for arg in args {
                v.visit_expr(arg);
            }
        }
        ExprKind::Soql(soql) => {
            for bind in &soql.binds {
                v.visit_expr(bind);
            }
        }
        ExprKind::Dml(dml) => {
            v.visit_expr(&dml.target);
            for option in &dml.options {
                v.visit_expr(option);
            }
        }
        ExprKind::DynamicQuery(query) => v.visit_expr(query),
        ExprKind::Assign { target, value } => {
            v.visit_expr(target);
            v.visit_expr(value);
        }
        ExprKind::Binary { left, right, .. } => {
            v.visit_expr(left);
            v.visit_expr(right);
        }
        ExprKind::Unary { operand, .. } => v.visit_expr(operand),
        ExprKind::Ternary {
            condition,
            then,
            otherwise,
        } => {
            v.visit_expr(condition);
            v.visit_expr(then);
            v.visit_expr(otherwise);
        }
        ExprKind::Cast { value, .. } | ExprKind::InstanceOf { value, .. } => v.visit_expr(value),
        ExprKind::Index { target, index } => {
            v.visit_expr(target);
            v.visit_expr(index);
        }
        ExprKind::Name(_)
        | ExprKind::Sosl
        | ExprKind::StringLiteral(_)
        | ExprKind::Literal(_)
        | ExprKind::This
        | ExprKind::Super
        | ExprKind::ClassLiteral(_) => {}
    }
}
