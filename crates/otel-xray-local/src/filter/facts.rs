//! What a filter expression can see of one trace.
//!
//! The store builds one [`TraceFacts`] per trace from its segment documents (see
//! `store`); the filter evaluator reads nothing else. Times are in seconds.

/// An annotation value, as X-Ray types it.
#[derive(Debug, Clone, PartialEq)]
pub enum AnnotationValue {
    /// A string annotation.
    String(String),
    /// A number annotation (X-Ray keeps numbers as doubles).
    Number(f64),
    /// A boolean annotation.
    Bool(bool),
}

/// The `http` facts of a trace's root segment (or of a node).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpFacts {
    /// `http.request.url`.
    pub url: Option<String>,
    /// `http.request.method`.
    pub method: Option<String>,
    /// `http.response.status`.
    pub status: Option<u16>,
    /// `http.request.user_agent`.
    pub user_agent: Option<String>,
    /// `http.request.client_ip`.
    pub client_ip: Option<String>,
}

/// One node of the trace's service graph: a segment's service (name and origin type), or an
/// inferred node for a downstream call (a subsegment with `namespace` `aws` or `remote`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeFacts {
    /// The node's name (segment name, or the inferred downstream's name).
    pub name: String,
    /// The node's type: the segment's `origin` (e.g. `AWS::Lambda::Function`), `AWS::DynamoDB::Table`
    /// style for AWS calls, `remote` for inferred remote HTTP nodes, or empty when unknown.
    pub node_type: String,
    /// Whether this node is the trace's entry point (holds the root segment).
    pub root: bool,
    /// Whether this node was inferred from a subsegment rather than reported by a segment.
    pub inferred: bool,
    /// Any of this node's segments has `error` (4xx).
    pub error: bool,
    /// Any has `fault` (5xx).
    pub fault: bool,
    /// Any has `throttle` (429).
    pub throttle: bool,
    /// Longest response time among this node's segments (end - start).
    pub response_time: f64,
    /// The node's http facts (its first segment that has any).
    pub http: HttpFacts,
}

/// One edge of the trace's service graph: calls from one node to another.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeFacts {
    /// Index into [`TraceFacts::nodes`] of the caller.
    pub source: usize,
    /// Index into [`TraceFacts::nodes`] of the callee.
    pub destination: usize,
    /// Any call on this edge had `error`.
    pub error: bool,
    /// Any call on this edge had `fault`.
    pub fault: bool,
    /// Any call on this edge had `throttle`.
    pub throttle: bool,
    /// Longest response time of a call on this edge.
    pub response_time: f64,
}

/// Everything the filter evaluator knows of one trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceFacts {
    /// The trace id (`1-xxxxxxxx-…`).
    pub id: String,
    /// Latest end time minus earliest start time over all segments.
    pub duration: f64,
    /// The root segment's end - start (0 when the root is missing).
    pub response_time: f64,
    /// Any segment or subsegment has `error`.
    pub error: bool,
    /// Any has `fault`.
    pub fault: bool,
    /// Any has `throttle`.
    pub throttle: bool,
    /// Any segment is `in_progress`, or the root segment is missing.
    pub partial: bool,
    /// The root segment's http facts.
    pub http: HttpFacts,
    /// Every `user` seen on the trace's segments.
    pub users: Vec<String>,
    /// Every annotation of every segment and subsegment, in document order.
    pub annotations: Vec<(String, AnnotationValue)>,
    /// Exception messages from every `cause.exceptions[].message`.
    pub messages: Vec<String>,
    /// The trace's service-graph nodes.
    pub nodes: Vec<NodeFacts>,
    /// The trace's service-graph edges.
    pub edges: Vec<EdgeFacts>,
}
