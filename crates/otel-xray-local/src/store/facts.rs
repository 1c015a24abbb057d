//! Per-trace facts, computed at ingest from every stored document of the trace and kept as JSON
//! in `traces.facts`, so that queries never re-read the documents.
//!
//! # Service-graph rule
//!
//! * **Segments.** Every segment document (not `type: "subsegment"`) is a node named after its
//!   `name`, typed by its `origin` (empty when it has none). Segments with the same name and type
//!   are one node. The node's flags are its segments' own `error`/`fault`/`throttle`, its response
//!   time the longest `end_time - start_time` among them, its http the first segment's that has one.
//! * **Downstream calls.** A subsegment (embedded at any depth, or sent on its own and attached to
//!   its segment through `parent_id`) with `namespace` `aws` or `remote` is a call from its
//!   segment's node:
//!   * when a segment of the same trace has this subsegment's id as its `parent_id`, the call is an
//!     edge to that segment's node (the callee is instrumented);
//!   * otherwise the call goes to an **inferred node**. For `remote` the node is named after the
//!     subsegment and typed `remote`. For `aws` it is named after the subsegment (the SDKs use the
//!     service name, e.g. `DynamoDB`) and typed `AWS::DynamoDB::Table` for DynamoDB,
//!     `AWS::SQS::Queue` for SQS, and `AWS::<name>` for any other service.
//!
//!   The edge's flags and response time are the calling subsegment's.
//! * **Parents.** A segment whose `parent_id` is a subsegment or segment of another node, and that
//!   was not already reached by a downstream call, gets an edge from that node, with the callee
//!   segment's flags and response time.
//! * **Root.** The root segment is the earliest segment without `parent_id`; its node is the root
//!   node. A trace without one is partial, and its response time is 0.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use otel_xray_model::limits::MAX_ANNOTATIONS_PER_TRACE;

use crate::filter::{AnnotationValue, EdgeFacts, HttpFacts, NodeFacts, TraceFacts};

/// The stored form of a trace's facts: [`TraceFacts`] plus the trace's start and end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredTrace {
    /// The trace id.
    pub id: String,
    /// Earliest start time of any document.
    pub start_time: f64,
    /// Latest end time of any document (the start time when none has ended).
    pub end_time: f64,
    /// `end_time - start_time`.
    pub duration: f64,
    /// The root segment's `end_time - start_time`; 0 without a root.
    pub response_time: f64,
    /// Any segment or subsegment has `error`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub error: bool,
    /// Any has `fault`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fault: bool,
    /// Any has `throttle`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub throttle: bool,
    /// Any document is in progress, or the root segment is missing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
    /// The root segment's http.
    #[serde(default, skip_serializing_if = "StoredHttp::is_empty")]
    pub http: StoredHttp,
    /// Distinct `user` values of the segments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Every annotation, in document order (of at most 50 distinct keys, as X-Ray indexes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<(String, StoredAnnotation)>,
    /// Every exception message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// The service-graph nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<StoredNode>,
    /// The service-graph edges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<StoredEdge>,
}

/// The part of [`StoredTrace`] the service graph reads, borrowed from the stored JSON (the
/// rest of it, such as annotations and the nodes' http, is skipped without allocating).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StoredGraph<'a> {
    /// Duration.
    pub duration: f64,
    /// The service-graph nodes.
    #[serde(default, borrow)]
    pub nodes: Vec<GraphNode<'a>>,
    /// The service-graph edges.
    #[serde(default)]
    pub edges: Vec<StoredEdge>,
}

/// A [`StoredNode`] as the service graph reads it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct GraphNode<'a> {
    /// Name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// Type.
    #[serde(default, borrow)]
    pub node_type: Cow<'a, str>,
    /// Holds the root segment.
    #[serde(default)]
    pub root: bool,
    /// Any `error`.
    #[serde(default)]
    pub error: bool,
    /// Any `fault`.
    #[serde(default)]
    pub fault: bool,
    /// Any `throttle`.
    #[serde(default)]
    pub throttle: bool,
    /// Longest response time.
    pub response_time: f64,
    /// Earliest start.
    pub start_time: f64,
    /// Latest end.
    pub end_time: f64,
}

/// Stored [`HttpFacts`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredHttp {
    /// `http.request.url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `http.request.method`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `http.response.status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `http.request.user_agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `http.request.client_ip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl StoredHttp {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A stored annotation value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StoredAnnotation {
    /// A string.
    S(String),
    /// A number.
    N(f64),
    /// A boolean.
    B(bool),
}

/// A stored [`NodeFacts`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredNode {
    /// Name.
    pub name: String,
    /// Type (origin, `AWS::…`, `remote`, or empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_type: String,
    /// Holds the root segment.
    #[serde(default, skip_serializing_if = "is_false")]
    pub root: bool,
    /// Inferred from a subsegment.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inferred: bool,
    /// Any `error`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub error: bool,
    /// Any `fault`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fault: bool,
    /// Any `throttle`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub throttle: bool,
    /// Longest response time.
    pub response_time: f64,
    /// Earliest start of the node's segments (or calls).
    pub start_time: f64,
    /// Latest end.
    pub end_time: f64,
    /// The node's http.
    #[serde(default, skip_serializing_if = "StoredHttp::is_empty")]
    pub http: StoredHttp,
}

/// A stored [`EdgeFacts`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredEdge {
    /// Caller index into `nodes`.
    pub source: usize,
    /// Callee index into `nodes`.
    pub destination: usize,
    /// Any call had `error`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub error: bool,
    /// Any call had `fault`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fault: bool,
    /// Any call had `throttle`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub throttle: bool,
    /// Longest response time of a call.
    pub response_time: f64,
    /// Earliest call start.
    pub start_time: f64,
    /// Latest call end.
    pub end_time: f64,
}

impl From<&StoredHttp> for HttpFacts {
    fn from(h: &StoredHttp) -> Self {
        HttpFacts {
            url: h.url.clone(),
            method: h.method.clone(),
            status: h.status,
            user_agent: h.user_agent.clone(),
            client_ip: h.client_ip.clone(),
        }
    }
}

impl From<&StoredAnnotation> for AnnotationValue {
    fn from(a: &StoredAnnotation) -> Self {
        match a {
            StoredAnnotation::S(s) => AnnotationValue::String(s.clone()),
            StoredAnnotation::N(n) => AnnotationValue::Number(*n),
            StoredAnnotation::B(b) => AnnotationValue::Bool(*b),
        }
    }
}

impl StoredTrace {
    /// The facts a filter expression sees.
    pub fn to_facts(&self) -> TraceFacts {
        TraceFacts {
            id: self.id.clone(),
            duration: self.duration,
            response_time: self.response_time,
            error: self.error,
            fault: self.fault,
            throttle: self.throttle,
            partial: self.partial,
            http: (&self.http).into(),
            users: self.users.clone(),
            annotations: self.annotations.iter().map(|(k, v)| (k.clone(), v.into())).collect(),
            messages: self.messages.clone(),
            nodes: self
                .nodes
                .iter()
                .map(|n| NodeFacts {
                    name: n.name.clone(),
                    node_type: n.node_type.clone(),
                    root: n.root,
                    inferred: n.inferred,
                    error: n.error,
                    fault: n.fault,
                    throttle: n.throttle,
                    response_time: n.response_time,
                    http: (&n.http).into(),
                })
                .collect(),
            edges: self
                .edges
                .iter()
                .map(|e| EdgeFacts {
                    source: e.source,
                    destination: e.destination,
                    error: e.error,
                    fault: e.fault,
                    throttle: e.throttle,
                    response_time: e.response_time,
                })
                .collect(),
        }
    }
}

fn distinct_keys(annotations: &[(String, StoredAnnotation)]) -> usize {
    let mut keys: Vec<&str> = annotations.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.len()
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn num_of(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64).filter(|f| f.is_finite())
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn is_subsegment(v: &Value) -> bool {
    str_of(v, "type") == Some("subsegment")
}

fn http_of(v: &Value) -> StoredHttp {
    let Some(http) = v.get("http") else {
        return StoredHttp::default();
    };
    let request = http.get("request");
    let req = |k: &str| request.and_then(|r| str_of(r, k)).map(str::to_owned);
    StoredHttp {
        url: req("url"),
        method: req("method"),
        status: http
            .get("response")
            .and_then(|r| r.get("status"))
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok()),
        user_agent: req("user_agent"),
        client_ip: req("client_ip"),
    }
}

/// The response time of an entity: `end_time - start_time`, 0 while in progress.
fn response_time(v: &Value) -> f64 {
    match (num_of(v, "start_time"), num_of(v, "end_time")) {
        (Some(s), Some(e)) if e >= s => e - s,
        _ => 0.0,
    }
}

/// The (name, type) of the inferred node for an `aws` or `remote` subsegment.
fn inferred_node(sub: &Value, namespace: &str) -> (String, String) {
    let name = str_of(sub, "name").unwrap_or_default().to_owned();
    let node_type = if namespace == "remote" {
        "remote".to_owned()
    } else {
        match name.as_str() {
            "DynamoDB" => "AWS::DynamoDB::Table".to_owned(),
            "SQS" => "AWS::SQS::Queue".to_owned(),
            other => format!("AWS::{other}"),
        }
    };
    (name, node_type)
}

/// A call found in a subsegment: the calling segment's index and the subsegment.
struct Call<'a> {
    segment: usize,
    sub: &'a Value,
    namespace: &'a str,
}

struct Builder {
    trace: StoredTrace,
    node_index: HashMap<(String, String), usize>,
    edge_index: HashMap<(usize, usize), usize>,
}

impl Builder {
    fn node(&mut self, name: &str, node_type: &str, inferred: bool, v: &Value) -> usize {
        let key = (name.to_owned(), node_type.to_owned());
        let start = num_of(v, "start_time").unwrap_or(0.0);
        let end = num_of(v, "end_time").unwrap_or(start);
        let idx = *self.node_index.entry(key).or_insert_with(|| {
            self.trace.nodes.push(StoredNode {
                name: name.to_owned(),
                node_type: node_type.to_owned(),
                inferred,
                start_time: start,
                end_time: end,
                ..StoredNode::default()
            });
            self.trace.nodes.len() - 1
        });
        let node = &mut self.trace.nodes[idx];
        node.inferred &= inferred;
        node.error |= flag(v, "error");
        node.fault |= flag(v, "fault");
        node.throttle |= flag(v, "throttle");
        node.response_time = node.response_time.max(response_time(v));
        node.start_time = node.start_time.min(start);
        node.end_time = node.end_time.max(end);
        if node.http.is_empty() {
            node.http = http_of(v);
        }
        idx
    }

    fn edge(&mut self, source: usize, destination: usize, v: &Value) {
        let start = num_of(v, "start_time").unwrap_or(0.0);
        let end = num_of(v, "end_time").unwrap_or(start);
        let idx = *self.edge_index.entry((source, destination)).or_insert_with(|| {
            self.trace.edges.push(StoredEdge {
                source,
                destination,
                start_time: start,
                end_time: end,
                ..StoredEdge::default()
            });
            self.trace.edges.len() - 1
        });
        let edge = &mut self.trace.edges[idx];
        edge.error |= flag(v, "error");
        edge.fault |= flag(v, "fault");
        edge.throttle |= flag(v, "throttle");
        edge.response_time = edge.response_time.max(response_time(v));
        edge.start_time = edge.start_time.min(start);
        edge.end_time = edge.end_time.max(end);
    }
}

/// Walks an entity and its embedded subsegments: trace-wide flags, times, annotations,
/// messages; records subsegment ids as owned by `segment` and collects downstream calls.
fn walk<'a>(
    v: &'a Value,
    segment: usize,
    trace: &mut StoredTrace,
    owner: &mut HashMap<&'a str, usize>,
    calls: &mut Vec<Call<'a>>,
    top: bool,
) {
    if let Some(start) = num_of(v, "start_time") {
        trace.start_time = trace.start_time.min(start);
        trace.end_time = trace.end_time.max(num_of(v, "end_time").unwrap_or(start));
    }
    trace.error |= flag(v, "error");
    trace.fault |= flag(v, "fault");
    trace.throttle |= flag(v, "throttle");
    trace.partial |= flag(v, "in_progress");
    if let Some(Value::Object(annotations)) = v.get("annotations") {
        for (key, value) in annotations {
            let value = match value {
                Value::String(s) => StoredAnnotation::S(s.clone()),
                Value::Bool(b) => StoredAnnotation::B(*b),
                Value::Number(n) => match n.as_f64() {
                    Some(f) => StoredAnnotation::N(f),
                    None => continue,
                },
                _ => continue,
            };
            // X-Ray indexes at most 50 annotation keys per trace; later keys are not indexed.
            let known = trace.annotations.iter().any(|(k, _)| k == key);
            if known || distinct_keys(&trace.annotations) < MAX_ANNOTATIONS_PER_TRACE {
                trace.annotations.push((key.clone(), value));
            }
        }
    }
    if let Some(exceptions) = v
        .get("cause")
        .and_then(|c| c.get("exceptions"))
        .and_then(Value::as_array)
    {
        for exception in exceptions {
            if let Some(message) = str_of(exception, "message") {
                trace.messages.push(message.to_owned());
            }
        }
    }
    if !top || is_subsegment(v) {
        if let Some(id) = str_of(v, "id") {
            owner.insert(id, segment);
        }
        if let Some(namespace) = str_of(v, "namespace").filter(|n| *n == "aws" || *n == "remote") {
            calls.push(Call {
                segment,
                sub: v,
                namespace,
            });
        }
    }
    if let Some(subs) = v.get("subsegments").and_then(Value::as_array) {
        for sub in subs {
            walk(sub, segment, trace, owner, calls, false);
        }
    }
}

/// Computes the facts of one trace from all its stored documents.
pub(crate) fn compute(trace_id: &str, docs: &[Value]) -> StoredTrace {
    let mut trace = StoredTrace {
        id: trace_id.to_owned(),
        start_time: f64::INFINITY,
        end_time: f64::NEG_INFINITY,
        ..StoredTrace::default()
    };
    let segments: Vec<&Value> = docs.iter().filter(|d| !is_subsegment(d)).collect();
    let mut segment_of_id: HashMap<&str, usize> = HashMap::new();
    for (i, seg) in segments.iter().enumerate() {
        if let Some(id) = str_of(seg, "id") {
            segment_of_id.insert(id, i);
        }
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    let mut calls = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        walk(seg, i, &mut trace, &mut owner, &mut calls, true);
        if let Some(user) = str_of(seg, "user")
            && !trace.users.iter().any(|u| u == user)
        {
            trace.users.push(user.to_owned());
        }
    }
    // Independent subsegments: attach to their segment through parent_id chains (bounded by the
    // number of documents, so a cycle cannot loop).
    let independent: Vec<&Value> = docs.iter().filter(|d| is_subsegment(d)).collect();
    let mut pending: Vec<&Value> = independent;
    for _ in 0..=docs.len() {
        let before = pending.len();
        pending.retain(|sub| {
            let parent = str_of(sub, "parent_id").unwrap_or_default();
            let seg = segment_of_id.get(parent).or_else(|| owner.get(parent)).copied();
            match seg {
                Some(seg) => {
                    walk(sub, seg, &mut trace, &mut owner, &mut calls, true);
                    false
                }
                None => true,
            }
        });
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    // Subsegments whose segment never arrived still count for times, flags and annotations.
    let mut orphan_calls = Vec::new();
    let mut orphan_owner = HashMap::new();
    for sub in pending {
        walk(sub, usize::MAX, &mut trace, &mut orphan_owner, &mut orphan_calls, true);
    }
    if !trace.start_time.is_finite() {
        trace.start_time = 0.0;
        trace.end_time = 0.0;
    }
    trace.duration = (trace.end_time - trace.start_time).max(0.0);

    let mut b = Builder {
        trace,
        node_index: HashMap::new(),
        edge_index: HashMap::new(),
    };
    let node_of_segment: Vec<usize> = segments
        .iter()
        .map(|seg| {
            let name = str_of(seg, "name").unwrap_or_default();
            let origin = str_of(seg, "origin").unwrap_or_default();
            b.node(name, origin, false, seg)
        })
        .collect();
    // Root: the earliest segment without parent_id.
    let root = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.get("parent_id").is_none())
        .min_by(|(_, a), (_, c)| {
            let a = num_of(a, "start_time").unwrap_or(0.0);
            let c = num_of(c, "start_time").unwrap_or(0.0);
            a.total_cmp(&c)
        })
        .map(|(i, _)| i);
    match root {
        Some(r) => {
            b.trace.response_time = response_time(segments[r]);
            b.trace.http = http_of(segments[r]);
            b.trace.nodes[node_of_segment[r]].root = true;
        }
        None => b.trace.partial = true,
    }
    // Segments whose parent_id is a given subsegment id.
    let mut callee_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, seg) in segments.iter().enumerate() {
        if let Some(parent) = str_of(seg, "parent_id") {
            callee_of.entry(parent).or_default().push(i);
        }
    }
    let mut reached = vec![false; segments.len()];
    for call in &calls {
        let source = node_of_segment[call.segment];
        let callees = str_of(call.sub, "id").and_then(|id| callee_of.get(id));
        match callees {
            Some(callees) => {
                for &callee in callees {
                    reached[callee] = true;
                    b.edge(source, node_of_segment[callee], call.sub);
                }
            }
            None => {
                let (name, node_type) = inferred_node(call.sub, call.namespace);
                let destination = b.node(&name, &node_type, true, call.sub);
                b.edge(source, destination, call.sub);
            }
        }
    }
    for (i, seg) in segments.iter().enumerate() {
        if reached[i] {
            continue;
        }
        let Some(parent) = str_of(seg, "parent_id") else {
            continue;
        };
        let caller = segment_of_id.get(parent).or_else(|| owner.get(parent)).copied();
        if let Some(caller) = caller.filter(|c| *c != i) {
            let (source, destination) = (node_of_segment[caller], node_of_segment[i]);
            if source != destination {
                b.edge(source, destination, seg);
            }
        }
    }
    b.trace
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: &str = "1-58406520-a006649127e371903a2de979";

    #[test]
    fn two_services_and_dynamodb() {
        let front = json!({
            "name": "front", "id": "aaaaaaaaaaaaaaaa", "trace_id": T, "start_time": 10.0,
            "end_time": 11.0, "user": "alice", "origin": "AWS::EC2::Instance",
            "http": {"request": {"method": "GET", "url": "http://x/a"}, "response": {"status": 500}},
            "fault": true,
            "annotations": {"k": "v", "n": 3},
            "subsegments": [
                {"name": "back", "id": "bbbbbbbbbbbbbbbb", "start_time": 10.1, "end_time": 10.9, "namespace": "remote", "fault": true},
                {"name": "DynamoDB", "id": "cccccccccccccccc", "start_time": 10.2, "end_time": 10.3, "namespace": "aws",
                 "cause": {"exceptions": [{"id": "dddddddddddddddd", "message": "boom"}]}, "error": true}
            ]
        });
        let back = json!({
            "name": "back", "id": "eeeeeeeeeeeeeeee", "trace_id": T, "start_time": 10.15,
            "end_time": 10.85, "parent_id": "bbbbbbbbbbbbbbbb", "fault": true
        });
        let t = compute(T, &[front, back]);
        assert!((t.duration - 1.0).abs() < 1e-9);
        assert!((t.response_time - 1.0).abs() < 1e-9);
        assert!(t.fault && t.error && !t.throttle && !t.partial);
        assert_eq!(t.users, ["alice"]);
        assert_eq!(t.messages, ["boom"]);
        assert_eq!(t.annotations.len(), 2);
        assert_eq!(t.http.status, Some(500));
        let names: Vec<_> = t
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.node_type.as_str(), n.inferred))
            .collect();
        assert_eq!(
            names,
            [
                ("front", "AWS::EC2::Instance", false),
                ("back", "", false),
                ("DynamoDB", "AWS::DynamoDB::Table", true)
            ]
        );
        assert!(t.nodes[0].root && !t.nodes[1].root);
        let edges: Vec<_> = t.edges.iter().map(|e| (e.source, e.destination)).collect();
        assert_eq!(edges, [(0, 1), (0, 2)]);
    }

    #[test]
    fn at_most_fifty_annotation_keys_are_indexed() {
        let annotations: serde_json::Map<String, Value> = (0..60).map(|i| (format!("k{i:02}"), json!(i))).collect();
        let seg = json!({ "name": "a", "id": "aaaaaaaaaaaaaaaa", "start_time": 1.0, "end_time": 2.0, "annotations": annotations });
        let again = json!({ "name": "a", "id": "bbbbbbbbbbbbbbbb", "start_time": 1.0, "end_time": 2.0, "annotations": { "k00": "again", "k59": 1 } });
        let t = compute(T, &[seg, again]);
        assert_eq!(distinct_keys(&t.annotations), 50);
        assert_eq!(t.annotations.len(), 51, "a known key takes more values");
    }

    #[test]
    fn independent_subsegment_and_missing_root() {
        let child = json!({
            "name": "svc", "id": "aaaaaaaaaaaaaaaa", "trace_id": T, "start_time": 1.0,
            "end_time": 2.0, "parent_id": "ffffffffffffffff"
        });
        let sub = json!({
            "type": "subsegment", "name": "S3", "namespace": "aws", "id": "bbbbbbbbbbbbbbbb", "trace_id": T,
            "parent_id": "aaaaaaaaaaaaaaaa", "start_time": 1.5, "in_progress": true
        });
        let t = compute(T, &[child, sub]);
        assert!(t.partial);
        assert_eq!(t.response_time, 0.0);
        assert_eq!(t.nodes[1].node_type, "AWS::S3");
        assert_eq!(t.edges.len(), 1);
    }
}
