//! The parsed form of a filter expression.
//!
//! One expression type serves all three scopes (the trace, a `service() { … }` node and an
//! `edge() { … }` edge); the parser only builds predicates that make sense in their scope, and
//! the evaluator treats any other combination as "does not match".

/// A boolean combination of predicates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// Matches everything (the empty expression).
    True,
    /// `!e`
    Not(Box<Expr>),
    /// `a AND b AND …` (also written as `a b …`).
    And(Vec<Expr>),
    /// `a OR b OR …`
    Or(Vec<Expr>),
    /// One keyword comparison, annotation test, `service` or `edge`.
    Pred(Pred),
}

/// One predicate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pred {
    /// A boolean keyword, bare (`fault`) or compared (`fault = false`): matches when the
    /// flag's value equals `expect`.
    Flag {
        /// Which flag.
        flag: Flag,
        /// The value it must have.
        expect: bool,
    },
    /// A number keyword compared with a number.
    Number {
        /// Which number.
        field: NumField,
        /// How to compare.
        op: NumOp,
        /// The number on the right.
        value: f64,
    },
    /// A string keyword compared with a string.
    Text {
        /// Which string.
        field: TextField,
        /// How to compare.
        op: StrOp,
        /// The string on the right.
        value: String,
    },
    /// Bare `annotation.key`: some annotation with this key exists.
    AnnotationSet {
        /// The key, case preserved.
        key: String,
    },
    /// `annotation.key <op> <value>`.
    Annotation {
        /// The key, case preserved.
        key: String,
        /// The typed comparison.
        cmp: AnnotationCmp,
    },
    /// `service(ref)` or `service(ref) { body }`.
    Service {
        /// Which nodes.
        node: NodeRef,
        /// What must hold for the node; `None` means the node only has to exist.
        body: Option<Box<Expr>>,
    },
    /// `edge(source, destination)` with an optional body.
    Edge {
        /// Which caller nodes.
        source: NodeRef,
        /// Which callee nodes.
        destination: NodeRef,
        /// What must hold for the edge; `None` means the edge only has to exist.
        body: Option<Box<Expr>>,
    },
}

/// A boolean keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flag {
    /// `ok`: none of error, fault, throttle.
    Ok,
    /// `error`
    Error,
    /// `fault`
    Fault,
    /// `throttle`
    Throttle,
    /// `partial` (trace scope only).
    Partial,
    /// `root` (service scope only).
    Root,
    /// `inferred` (service scope only).
    Inferred,
}

/// A number keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumField {
    /// `responsetime`
    ResponseTime,
    /// `duration` (trace scope only).
    Duration,
    /// `http.status`
    HttpStatus,
}

/// A string keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextField {
    /// `http.url`
    HttpUrl,
    /// `http.method`
    HttpMethod,
    /// `http.useragent`
    HttpUserAgent,
    /// `http.clientip`
    HttpClientIp,
    /// `user` (trace scope only; multi-valued).
    User,
    /// `name`: node names (multi-valued at trace scope).
    Name,
    /// `type`: node types (multi-valued at trace scope).
    Type,
    /// `message`: exception messages (trace scope only; multi-valued).
    Message,
}

/// A number comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A string comparison (case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `CONTAINS`
    Contains,
    /// `BEGINSWITH`
    BeginsWith,
    /// `ENDSWITH`
    EndsWith,
}

/// A typed annotation comparison; it only ever matches annotations of its own type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AnnotationCmp {
    /// Against string annotations.
    Str(StrOp, String),
    /// Against number annotations.
    Num(NumOp, f64),
    /// Against boolean annotations: `= value` when `equal`, else `!= value`.
    Bool {
        /// `=` (true) or `!=` (false).
        equal: bool,
        /// The boolean on the right.
        value: bool,
    },
}

/// Which service-graph nodes a `service(…)` or `edge(…)` argument selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NodeRef {
    /// The node name it must have, if given.
    pub(crate) name: Option<String>,
    /// The node type it must have, if given (`id(type: "…")`).
    pub(crate) node_type: Option<String>,
}
