//! The X-Ray API's request and response bodies, as typed serde structs in the service's JSON
//! field names. Requests accept (and ignore) fields Local X-Ray does not use; responses skip
//! absent optional fields, as the service does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `PutTraceSegments` request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutTraceSegmentsRequest {
    /// Segment documents, each a JSON string.
    pub trace_segment_documents: Option<Vec<String>>,
}

/// `PutTraceSegments` response.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutTraceSegmentsResponse {
    /// The documents that were not stored.
    pub unprocessed_trace_segments: Vec<UnprocessedTraceSegment>,
}

/// One rejected document.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnprocessedTraceSegment {
    /// The document's `id`, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The error code (e.g. `MissingParam`).
    pub error_code: String,
    /// What was wrong.
    pub message: String,
}

/// `BatchGetTraces` request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetTracesRequest {
    /// 1 to 5 trace ids.
    pub trace_ids: Option<Vec<String>>,
    /// Paging token (every answer fits one page, so it is ignored).
    pub next_token: Option<String>,
}

/// `BatchGetTraces` response.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetTracesResponse {
    /// The traces found.
    pub traces: Vec<Trace>,
    /// The ids not found.
    pub unprocessed_trace_ids: Vec<String>,
    /// Never set: every answer fits one page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// A trace with its documents.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Trace {
    /// Trace id.
    pub id: String,
    /// Latest end minus earliest start, in seconds.
    pub duration: f64,
    /// Whether the trace exceeded X-Ray's size limit (never, locally).
    pub limit_exceeded: bool,
    /// The documents.
    pub segments: Vec<Segment>,
}

/// One stored document.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Segment {
    /// The document's `id`.
    pub id: String,
    /// The document, as a JSON string.
    pub document: String,
}

/// `SamplingStrategy` of a `GetTraceSummaries` request (accepted, not applied).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SamplingStrategy {
    /// `PartialScan` or `FixedRate`.
    pub name: Option<String>,
    /// The rate.
    pub value: Option<f64>,
}

/// `GetTraceSummaries` request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTraceSummariesRequest {
    /// Range start, epoch seconds.
    pub start_time: Option<f64>,
    /// Range end, epoch seconds.
    pub end_time: Option<f64>,
    /// `TraceId` (default), `Event` or `Service`.
    pub time_range_type: Option<String>,
    /// Sampling (accepted, not applied: every trace is returned).
    pub sampling: Option<bool>,
    /// Sampling strategy (accepted, not applied).
    pub sampling_strategy: Option<SamplingStrategy>,
    /// A filter expression.
    pub filter_expression: Option<String>,
    /// The token of the previous page.
    pub next_token: Option<String>,
}

/// `GetTraceSummaries` response.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTraceSummariesResponse {
    /// The matching traces of this page, newest first.
    pub trace_summaries: Vec<TraceSummary>,
    /// When the answer was computed, epoch seconds.
    pub approximate_time: f64,
    /// How many traces this page examined.
    pub traces_processed_count: u64,
    /// The next page's token, when there may be more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One trace's summary.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TraceSummary {
    /// Trace id.
    pub id: String,
    /// Earliest start time, epoch seconds.
    pub start_time: f64,
    /// Duration in seconds.
    pub duration: f64,
    /// Root segment's response time in seconds.
    pub response_time: f64,
    /// Any fault.
    pub has_fault: bool,
    /// Any error.
    pub has_error: bool,
    /// Any throttle.
    pub has_throttle: bool,
    /// In progress, or missing its root segment.
    pub is_partial: bool,
    /// The root segment's http.
    pub http: Http,
    /// Annotations by key, with their distinct values.
    pub annotations: BTreeMap<String, Vec<ValueWithServiceIds>>,
    /// Users.
    pub users: Vec<TraceUser>,
    /// Every node of the trace.
    pub service_ids: Vec<ServiceId>,
    /// The root node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<ServiceId>,
}

/// `Http` of a summary.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Http {
    /// URL.
    #[serde(rename = "HttpURL", skip_serializing_if = "Option::is_none")]
    pub http_url: Option<String>,
    /// Status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    /// User agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Client IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
}

/// One annotation value.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValueWithServiceIds {
    /// The value.
    pub annotation_value: AnnotationValue,
    /// The services that recorded it (not tracked: empty).
    pub service_ids: Vec<ServiceId>,
}

/// An annotation value: exactly one field is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnnotationValue {
    /// A number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_value: Option<f64>,
    /// A boolean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boolean_value: Option<bool>,
    /// A string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
}

/// A user of a trace.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TraceUser {
    /// The `user` value.
    pub user_name: String,
    /// The services that recorded it (not tracked: empty).
    pub service_ids: Vec<ServiceId>,
}

/// A node's identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceId {
    /// Name.
    pub name: String,
    /// Names (just `name`).
    pub names: Vec<String>,
    /// Type (empty when unknown).
    #[serde(rename = "Type")]
    pub service_type: String,
}

/// `GetServiceGraph` request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetServiceGraphRequest {
    /// Range start, epoch seconds (by trace time).
    pub start_time: Option<f64>,
    /// Range end.
    pub end_time: Option<f64>,
    /// Group name (groups are not supported; only `Default` or none).
    pub group_name: Option<String>,
    /// Group ARN (not supported).
    #[serde(rename = "GroupARN")]
    pub group_arn: Option<String>,
    /// Paging token (every answer fits one page).
    pub next_token: Option<String>,
}

/// `GetServiceGraph` response.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetServiceGraphResponse {
    /// Range start.
    pub start_time: f64,
    /// Range end.
    pub end_time: f64,
    /// The nodes with their outgoing edges.
    pub services: Vec<Service>,
    /// Always false.
    pub contains_old_group_versions: bool,
    /// Never set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `GetTraceGraph` request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTraceGraphRequest {
    /// The traces.
    pub trace_ids: Option<Vec<String>>,
    /// Paging token (every answer fits one page).
    pub next_token: Option<String>,
}

/// `GetTraceGraph` response.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTraceGraphResponse {
    /// The nodes with their outgoing edges.
    pub services: Vec<Service>,
    /// Never set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// A service-graph node.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Service {
    /// Id referred to by edges.
    pub reference_id: u32,
    /// Name.
    pub name: String,
    /// Names (just `name`).
    pub names: Vec<String>,
    /// Whether it is the entry point of some trace.
    pub root: bool,
    /// Type: origin, `AWS::…`, `remote`, or empty.
    #[serde(rename = "Type")]
    pub service_type: String,
    /// Always `active`.
    pub state: String,
    /// First seen.
    pub start_time: f64,
    /// Last seen.
    pub end_time: f64,
    /// Outgoing edges.
    pub edges: Vec<Edge>,
    /// Request counts by outcome.
    pub summary_statistics: Statistics,
    /// Spread of trace durations.
    pub duration_histogram: Vec<HistogramEntry>,
    /// Spread of the node's response times.
    pub response_time_histogram: Vec<HistogramEntry>,
}

/// An edge to another node.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Edge {
    /// The callee's `ReferenceId`.
    pub reference_id: u32,
    /// First call.
    pub start_time: f64,
    /// Last call.
    pub end_time: f64,
    /// Call counts by outcome.
    pub summary_statistics: Statistics,
    /// Spread of call response times.
    pub response_time_histogram: Vec<HistogramEntry>,
    /// Always empty.
    pub aliases: Vec<Alias>,
}

/// An edge alias (never produced; present for the shape).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alias {
    /// Name.
    pub name: String,
    /// Names.
    pub names: Vec<String>,
    /// Type.
    #[serde(rename = "Type")]
    pub alias_type: String,
}

/// Counts of a node or an edge, one per trace it appears in.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statistics {
    /// Neither error nor fault.
    pub ok_count: u64,
    /// 4xx.
    pub error_statistics: ErrorStatistics,
    /// 5xx.
    pub fault_statistics: FaultStatistics,
    /// All.
    pub total_count: u64,
    /// Sum of response times, seconds.
    pub total_response_time: f64,
}

/// 4xx counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorStatistics {
    /// 429.
    pub throttle_count: u64,
    /// Other 4xx.
    pub other_count: u64,
    /// All 4xx.
    pub total_count: u64,
}

/// 5xx counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaultStatistics {
    /// Other 5xx.
    pub other_count: u64,
    /// All 5xx.
    pub total_count: u64,
}

/// One histogram bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistogramEntry {
    /// The bucket's value, seconds (two significant digits).
    pub value: f64,
    /// How many fell in it.
    pub count: u64,
}

/// The error body: `{"message": "..."}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub message: String,
}
