//! The X-Ray REST routes: one handler per API, each parsing its typed request, running the store
//! call on tokio's blocking pool and answering the typed response or an [`ApiError`].
//!
//! Signed and unsigned requests are treated alike: SigV4 is not verified (as moto does).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde::de::DeserializeOwned;

use super::errors::ApiError;
use super::graph::GraphBuilder;
use super::model::*;
use super::{summary, token};
use crate::store::{Store, SummaryQuery, TimeRange};

/// Largest request body accepted (50 documents of 64 KiB, JSON-escaped, fit).
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;
/// Summaries per `GetTraceSummaries` page.
pub const PAGE_SIZE: usize = 100;
/// Traces examined per `GetTraceSummaries` page at most (a selective filter may leave the page
/// short; the `NextToken` then continues the scan).
pub const SCAN_LIMIT: usize = 20_000;
/// Most trace ids in one `GetTraceGraph` call.
pub const MAX_TRACE_GRAPH_IDS: usize = 100;

type Shared = Arc<Store>;

/// The X-Ray API routes over `store`.
pub fn routes(store: Arc<Store>) -> Router {
    Router::new()
        .route("/TraceSegments", post(put_trace_segments))
        .route("/Traces", post(batch_get_traces))
        .route("/TraceSummaries", post(get_trace_summaries))
        .route("/ServiceGraph", post(get_service_graph))
        .route("/TraceGraph", post(get_trace_graph))
        .route("/GetSamplingRules", post(super::sampling::get_sampling_rules))
        .route("/SamplingTargets", post(super::sampling::get_sampling_targets))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(store)
}

pub(super) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Parses a request body; an empty body is an empty request object.
pub(super) fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!("The request body is over the {MAX_BODY_BYTES}-byte limit."))
        } else {
            ApiError::InvalidRequest(format!("The request body cannot be read: {rejection}"))
        }
    })?;
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::InvalidRequest(format!("The request body is not a valid request: {e}")))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

/// A required time parameter.
fn time(value: Option<f64>, name: &str) -> Result<f64, ApiError> {
    match value {
        Some(t) if t.is_finite() => Ok(t),
        Some(_) => Err(ApiError::InvalidRequest(format!("{name} is not a valid time."))),
        None => Err(ApiError::InvalidRequest(format!("{name} is required."))),
    }
}

fn range(start: Option<f64>, end: Option<f64>) -> Result<(f64, f64), ApiError> {
    let (start, end) = (time(start, "StartTime")?, time(end, "EndTime")?);
    if end < start {
        return Err(ApiError::InvalidRequest("EndTime is before StartTime.".into()));
    }
    Ok((start, end))
}

fn trace_ids(ids: Option<Vec<String>>, max: usize) -> Result<Vec<String>, ApiError> {
    let ids = ids.ok_or_else(|| ApiError::InvalidRequest("TraceIds is required.".into()))?;
    if ids.is_empty() || ids.len() > max {
        return Err(ApiError::InvalidRequest(format!(
            "TraceIds holds {} ids; between 1 and {max} are allowed.",
            ids.len()
        )));
    }
    if let Some(bad) = ids.iter().find(|id| id.is_empty() || id.len() > 35) {
        return Err(ApiError::InvalidRequest(format!(
            "The trace id {bad:?} is not 1 to 35 characters long."
        )));
    }
    Ok(ids)
}

/// `PutTraceSegments`.
async fn put_trace_segments(
    State(store): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PutTraceSegmentsResponse>, ApiError> {
    let request: PutTraceSegmentsRequest = parse(body)?;
    let documents = request
        .trace_segment_documents
        .ok_or_else(|| ApiError::InvalidRequest("TraceSegmentDocuments is required.".into()))?;
    let max = otel_xray_model::limits::MAX_DOCUMENTS_PER_PUT;
    if documents.len() > max {
        return Err(ApiError::InvalidRequest(format!(
            "Exceeding maximum segment count: {max}"
        )));
    }
    let rejected = blocking(move || store.put(&documents, now())).await?;
    if !rejected.is_empty() {
        tracing::debug!(rejected = rejected.len(), "PutTraceSegments rejected some documents.");
    }
    Ok(Json(PutTraceSegmentsResponse {
        unprocessed_trace_segments: rejected
            .into_iter()
            .map(|r| UnprocessedTraceSegment {
                id: (!r.id.is_empty()).then_some(r.id),
                error_code: r.code.to_owned(),
                message: r.message,
            })
            .collect(),
    }))
}

/// `BatchGetTraces`.
async fn batch_get_traces(
    State(store): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BatchGetTracesResponse>, ApiError> {
    let request: BatchGetTracesRequest = parse(body)?;
    let ids = trace_ids(request.trace_ids, otel_xray_model::limits::MAX_TRACE_IDS_PER_BATCH_GET)?;
    let asked = ids.clone();
    let found = blocking(move || store.documents(&ids)).await?;
    let unprocessed_trace_ids = asked
        .into_iter()
        .filter(|id| !found.iter().any(|t| &t.id == id))
        .collect();
    Ok(Json(BatchGetTracesResponse {
        traces: found
            .into_iter()
            .map(|t| Trace {
                id: t.id,
                duration: t.duration,
                limit_exceeded: false,
                segments: t
                    .segments
                    .into_iter()
                    .map(|(id, document)| Segment { id, document })
                    .collect(),
            })
            .collect(),
        unprocessed_trace_ids,
        next_token: None,
    }))
}

/// `GetTraceSummaries`.
async fn get_trace_summaries(
    State(store): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GetTraceSummariesResponse>, ApiError> {
    let request: GetTraceSummariesRequest = parse(body)?;
    let (start, end) = range(request.start_time, request.end_time)?;
    let time = match request.time_range_type.as_deref() {
        None | Some("TraceId") => TimeRange::TraceId,
        Some("Event") => TimeRange::Event,
        Some("Service") => TimeRange::Service,
        Some(other) => {
            return Err(ApiError::InvalidRequest(format!(
                "TimeRangeType {other:?} is not one of TraceId, Event, Service."
            )));
        }
    };
    let after = match request.next_token.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            token::decode(time, t)
                .ok_or_else(|| ApiError::InvalidRequest("The NextToken is not valid for this request.".into()))?,
        ),
    };
    let filter = match request.filter_expression.as_deref() {
        None => None,
        Some(expression) => {
            let filter = crate::filter::parse(expression)
                .map_err(|e| ApiError::InvalidRequest(format!("Invalid filter expression: {e}")))?;
            (!filter.is_match_all()).then_some(filter)
        }
    };
    let query = SummaryQuery {
        start,
        end,
        time,
        after,
        page_size: PAGE_SIZE,
        scan_limit: SCAN_LIMIT,
    };
    let page = blocking(move || {
        let matches = |trace: &crate::store::StoredTrace| filter.as_ref().is_none_or(|f| f.matches(&trace.to_facts()));
        store.summaries(&query, &matches)
    })
    .await?;
    Ok(Json(GetTraceSummariesResponse {
        trace_summaries: page.traces.iter().map(summary::summarize).collect(),
        approximate_time: now(),
        traces_processed_count: page.processed,
        next_token: page.next.map(|c| token::encode(time, &c)),
    }))
}

/// `GetServiceGraph`: the graph of the traces whose trace time is in the range.
async fn get_service_graph(
    State(store): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GetServiceGraphResponse>, ApiError> {
    let request: GetServiceGraphRequest = parse(body)?;
    let (start, end) = range(request.start_time, request.end_time)?;
    if request.group_arn.is_some() || request.group_name.as_deref().is_some_and(|g| g != "Default") {
        return Err(ApiError::InvalidRequest(
            "Groups are not supported by Local X-Ray; leave GroupName and GroupARN out.".into(),
        ));
    }
    let services = blocking(move || {
        let mut builder = GraphBuilder::default();
        store.graph_in_range(start, end, TimeRange::TraceId, &mut |trace| builder.add(trace))?;
        Ok(builder.finish())
    })
    .await?;
    Ok(Json(GetServiceGraphResponse {
        start_time: start,
        end_time: end,
        services,
        contains_old_group_versions: false,
        next_token: None,
    }))
}

/// `GetTraceGraph`: the graph of the given traces.
async fn get_trace_graph(
    State(store): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GetTraceGraphResponse>, ApiError> {
    let request: GetTraceGraphRequest = parse(body)?;
    let ids = trace_ids(request.trace_ids, MAX_TRACE_GRAPH_IDS)?;
    let services = blocking(move || {
        let mut builder = GraphBuilder::default();
        store.graph_of(&ids, &mut |trace| builder.add(trace))?;
        Ok(builder.finish())
    })
    .await?;
    Ok(Json(GetTraceGraphResponse {
        services,
        next_token: None,
    }))
}
