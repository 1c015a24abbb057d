//! The X-Ray filter-expression language, as `GetTraceSummaries` takes it.
//!
//! A filter expression is parsed once with [`parse`] into a [`Filter`] and then evaluated with
//! [`Filter::matches`] against the [`TraceFacts`] of each candidate trace. Anything the
//! expression gets wrong, and any real X-Ray feature Local X-Ray does not implement, is a
//! [`FilterError`] whose `Display` is the message shown to the user.
//!
//! ```
//! use otel_xray_local::filter::{parse, TraceFacts};
//!
//! let filter = parse(r#"responsetime > 5 AND !fault OR user = "alice""#).unwrap();
//! let slow = TraceFacts { response_time: 7.5, ..TraceFacts::default() };
//! assert!(filter.matches(&slow));
//! assert!(!filter.matches(&TraceFacts::default()));
//! ```
//!
//! | keyword | type | trace | `service() {}` | `edge() {}` |
//! |---|---|---|---|---|
//! | `ok` `error` `fault` `throttle` | boolean | yes | yes | yes |
//! | `partial` | boolean | yes | – | – |
//! | `root` `inferred` | boolean | – | yes | – |
//! | `responsetime` | number | root segment | node | edge |
//! | `duration` | number | yes | – | – |
//! | `http.status` | number | root segment | node | – |
//! | `http.url` `http.method` `http.useragent` `http.clientip` | string | root segment | node | – |
//! | `user` `message` | string, multi-valued | yes | – | – |
//! | `name` `type` | string | any node (multi-valued) | the node | – |
//! | `annotation.<key>`, `annotation[<key>]` | typed | yes | refused, as X-Ray does | refused |
//!
//! Boolean keywords are used bare, with `!`, or with `= true|false` / `!= true|false`; number
//! keywords with `= != < <= > >=`; string keywords with `= != CONTAINS BEGINSWITH ENDSWITH`
//! and a double-quoted value. `service("name")`, `service()` (any node),
//! `service(id(name: "…", type: "…"))` and `edge(a, b)` select nodes and edges; with a `{ … }`
//! block the keywords inside apply to that node or edge, without one the node or edge only has
//! to exist. `!` binds tighter than `AND`, which binds tighter than `OR`; parentheses group;
//! two predicates side by side (`ok !partial`) mean `AND`, as in X-Ray's own examples. Words
//! (keywords, `AND`, `CONTAINS`, `true`) are case-insensitive; annotation keys, service names
//! and string values are case-sensitive. The full grammar is in `filter/parser.rs` and the matching
//! rules (missing and multi-valued facts) in `filter/eval.rs`.
//!
//! The empty or all-whitespace expression parses to a filter that matches every trace, so
//! callers need not special-case it ([`Filter::is_match_all`] tells them they may skip it).
//!
//! Hostile input is bounded: expressions longer than [`MAX_INPUT_BYTES`] and nesting deeper
//! than [`MAX_DEPTH`] are refused, and no input makes the parser or evaluator panic.

mod ast;
mod error;
mod eval;
mod facts;
mod lexer;
mod parser;

use std::str::FromStr;

pub use error::FilterError;
pub use facts::{AnnotationValue, EdgeFacts, HttpFacts, NodeFacts, TraceFacts};

/// The longest filter expression accepted, in bytes.
pub const MAX_INPUT_BYTES: usize = 16 * 1024;

/// The deepest nesting of `!`, parentheses and `service`/`edge` blocks accepted.
pub const MAX_DEPTH: usize = 64;

/// A parsed filter expression, ready to be evaluated against many traces.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    expr: ast::Expr,
}

impl Filter {
    /// Whether the trace described by `facts` matches the expression.
    pub fn matches(&self, facts: &TraceFacts) -> bool {
        eval::matches(&self.expr, facts)
    }

    /// Whether this filter matches every trace (it was parsed from an empty expression).
    pub fn is_match_all(&self) -> bool {
        self.expr == ast::Expr::True
    }
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Parses an X-Ray filter expression.
///
/// The empty or all-whitespace expression gives a filter that matches every trace.
///
/// # Errors
///
/// A [`FilterError`] naming the byte position and the offending part when the expression is
/// malformed, too long or too deeply nested, uses an unknown keyword, or uses an X-Ray feature
/// Local X-Ray does not implement ([`FilterError::Unsupported`]).
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    parser::parse_expr(input).map(|expr| Filter { expr })
}
