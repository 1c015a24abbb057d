//! Evaluates a parsed [`Expr`] against one trace's [`TraceFacts`].
//!
//! Semantics, where X-Ray's documentation leaves room:
//!
//! * **Missing values never match.** A comparison against a fact the trace does not have
//!   (no `http.status`, no user, no annotation of that key and type) is false, for `!=` too.
//!   Negate the whole predicate (`!http.status = 200`) to include traces without the value.
//! * **Multi-valued facts** (`user`, `message`, and `name`/`type` at trace level, which range
//!   over every service-graph node; annotations that occur on several segments): `=`,
//!   `CONTAINS`, `BEGINSWITH`, `ENDSWITH` and the number comparisons match when **any** value
//!   matches; `!=` matches when there is at least one value and **none** equals the operand.
//!   So `user CONTAINS ""` is "has a user", and `user != "bob"` is "has users, none of them
//!   bob".
//! * **Typed annotations.** String operators only look at string annotations, number
//!   operators at number annotations, `= true|false` at boolean annotations; values of another
//!   type are skipped as if absent.
//! * **`ok`** is "none of error, fault, throttle" for the trace, a node or an edge.
//! * **Node types**: an empty `node_type` counts as "no type".
//! * String comparisons are case-sensitive; numbers compare as `f64` (`http.status` too).

use super::ast::{AnnotationCmp, Expr, Flag, NodeRef, NumField, NumOp, Pred, StrOp, TextField};
use super::facts::{AnnotationValue, EdgeFacts, HttpFacts, NodeFacts, TraceFacts};

/// What a predicate is evaluated against.
#[derive(Debug, Clone, Copy)]
enum Ctx<'a> {
    /// The whole trace.
    Trace(&'a TraceFacts),
    /// One node, inside `service() { … }`.
    Node(&'a NodeFacts),
    /// One edge, inside `edge() { … }`.
    Edge(&'a EdgeFacts),
}

/// Whether `expr` holds for the trace `facts`.
pub(crate) fn matches(expr: &Expr, facts: &TraceFacts) -> bool {
    eval(expr, Ctx::Trace(facts))
}

fn eval(expr: &Expr, ctx: Ctx<'_>) -> bool {
    match expr {
        Expr::True => true,
        Expr::Not(inner) => !eval(inner, ctx),
        Expr::And(items) => items.iter().all(|e| eval(e, ctx)),
        Expr::Or(items) => items.iter().any(|e| eval(e, ctx)),
        Expr::Pred(pred) => eval_pred(pred, ctx),
    }
}

fn eval_pred(pred: &Pred, ctx: Ctx<'_>) -> bool {
    match pred {
        Pred::Flag { flag, expect } => flag_value(*flag, ctx) == Some(*expect),
        Pred::Number { field, op, value } => {
            number_value(*field, ctx).is_some_and(|actual| compare_num(*op, actual, *value))
        }
        Pred::Text { field, op, value } => compare_text_values(*op, text_values(*field, ctx), value),
        Pred::AnnotationSet { key } => match ctx {
            Ctx::Trace(facts) => facts.annotations.iter().any(|(k, _)| k == key),
            _ => false,
        },
        Pred::Annotation { key, cmp } => match ctx {
            Ctx::Trace(facts) => annotation_matches(facts, key, cmp),
            _ => false,
        },
        Pred::Service { node, body } => match ctx {
            Ctx::Trace(facts) => facts
                .nodes
                .iter()
                .any(|n| node_matches(node, n) && body.as_deref().is_none_or(|b| eval(b, Ctx::Node(n)))),
            _ => false,
        },
        Pred::Edge {
            source,
            destination,
            body,
        } => match ctx {
            Ctx::Trace(facts) => facts.edges.iter().any(|edge| {
                facts.nodes.get(edge.source).is_some_and(|n| node_matches(source, n))
                    && facts
                        .nodes
                        .get(edge.destination)
                        .is_some_and(|n| node_matches(destination, n))
                    && body.as_deref().is_none_or(|b| eval(b, Ctx::Edge(edge)))
            }),
            _ => false,
        },
    }
}

fn node_matches(wanted: &NodeRef, node: &NodeFacts) -> bool {
    wanted.name.as_ref().is_none_or(|name| *name == node.name)
        && wanted.node_type.as_ref().is_none_or(|t| *t == node.node_type)
}

/// `(error, fault, throttle)` of the context.
fn status_flags(ctx: Ctx<'_>) -> (bool, bool, bool) {
    match ctx {
        Ctx::Trace(t) => (t.error, t.fault, t.throttle),
        Ctx::Node(n) => (n.error, n.fault, n.throttle),
        Ctx::Edge(e) => (e.error, e.fault, e.throttle),
    }
}

fn flag_value(flag: Flag, ctx: Ctx<'_>) -> Option<bool> {
    let (error, fault, throttle) = status_flags(ctx);
    match (flag, ctx) {
        (Flag::Ok, _) => Some(!(error || fault || throttle)),
        (Flag::Error, _) => Some(error),
        (Flag::Fault, _) => Some(fault),
        (Flag::Throttle, _) => Some(throttle),
        (Flag::Partial, Ctx::Trace(t)) => Some(t.partial),
        (Flag::Root, Ctx::Node(n)) => Some(n.root),
        (Flag::Inferred, Ctx::Node(n)) => Some(n.inferred),
        _ => None,
    }
}

fn http_of(ctx: Ctx<'_>) -> Option<&HttpFacts> {
    match ctx {
        Ctx::Trace(t) => Some(&t.http),
        Ctx::Node(n) => Some(&n.http),
        Ctx::Edge(_) => None,
    }
}

fn number_value(field: NumField, ctx: Ctx<'_>) -> Option<f64> {
    match (field, ctx) {
        (NumField::ResponseTime, Ctx::Trace(t)) => Some(t.response_time),
        (NumField::ResponseTime, Ctx::Node(n)) => Some(n.response_time),
        (NumField::ResponseTime, Ctx::Edge(e)) => Some(e.response_time),
        (NumField::Duration, Ctx::Trace(t)) => Some(t.duration),
        (NumField::HttpStatus, _) => http_of(ctx).and_then(|h| h.status).map(f64::from),
        _ => None,
    }
}

fn text_values(field: TextField, ctx: Ctx<'_>) -> Vec<&str> {
    let http = |get: fn(&HttpFacts) -> &Option<String>| -> Vec<&str> {
        http_of(ctx).and_then(|h| get(h).as_deref()).into_iter().collect()
    };
    match (field, ctx) {
        (TextField::HttpUrl, _) => http(|h| &h.url),
        (TextField::HttpMethod, _) => http(|h| &h.method),
        (TextField::HttpUserAgent, _) => http(|h| &h.user_agent),
        (TextField::HttpClientIp, _) => http(|h| &h.client_ip),
        (TextField::User, Ctx::Trace(t)) => t.users.iter().map(String::as_str).collect(),
        (TextField::Message, Ctx::Trace(t)) => t.messages.iter().map(String::as_str).collect(),
        (TextField::Name, Ctx::Trace(t)) => t.nodes.iter().map(|n| n.name.as_str()).collect(),
        (TextField::Name, Ctx::Node(n)) => vec![n.name.as_str()],
        (TextField::Type, Ctx::Trace(t)) => t
            .nodes
            .iter()
            .map(|n| n.node_type.as_str())
            .filter(|t| !t.is_empty())
            .collect(),
        (TextField::Type, Ctx::Node(n)) if !n.node_type.is_empty() => vec![n.node_type.as_str()],
        _ => Vec::new(),
    }
}

fn compare_num(op: NumOp, actual: f64, operand: f64) -> bool {
    match op {
        NumOp::Eq => actual == operand,
        NumOp::Ne => actual != operand,
        NumOp::Lt => actual < operand,
        NumOp::Le => actual <= operand,
        NumOp::Gt => actual > operand,
        NumOp::Ge => actual >= operand,
    }
}

fn compare_str(op: StrOp, actual: &str, operand: &str) -> bool {
    match op {
        StrOp::Eq => actual == operand,
        StrOp::Ne => actual != operand,
        StrOp::Contains => actual.contains(operand),
        StrOp::BeginsWith => actual.starts_with(operand),
        StrOp::EndsWith => actual.ends_with(operand),
    }
}

/// Any value matches; for `!=`, at least one value and none equal.
fn compare_text_values<'v>(op: StrOp, values: impl IntoIterator<Item = &'v str>, operand: &str) -> bool {
    let mut values = values.into_iter().peekable();
    if op == StrOp::Ne {
        values.peek().is_some() && values.all(|v| v != operand)
    } else {
        values.any(|v| compare_str(op, v, operand))
    }
}

fn annotation_matches(facts: &TraceFacts, key: &str, cmp: &AnnotationCmp) -> bool {
    let values = facts.annotations.iter().filter(|(k, _)| k == key).map(|(_, v)| v);
    match cmp {
        AnnotationCmp::Str(op, operand) => compare_text_values(
            *op,
            values.filter_map(|v| match v {
                AnnotationValue::String(s) => Some(s.as_str()),
                _ => None,
            }),
            operand,
        ),
        AnnotationCmp::Num(op, operand) => {
            let mut numbers = values
                .filter_map(|v| match v {
                    AnnotationValue::Number(n) => Some(*n),
                    _ => None,
                })
                .peekable();
            if *op == NumOp::Ne {
                numbers.peek().is_some() && numbers.all(|n| n != *operand)
            } else {
                numbers.any(|n| compare_num(*op, n, *operand))
            }
        }
        AnnotationCmp::Bool { equal, value } => {
            let mut bools = values
                .filter_map(|v| match v {
                    AnnotationValue::Bool(b) => Some(*b),
                    _ => None,
                })
                .peekable();
            if *equal {
                bools.any(|b| b == *value)
            } else {
                bools.peek().is_some() && bools.all(|b| b != *value)
            }
        }
    }
}
