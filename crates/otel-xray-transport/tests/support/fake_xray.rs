//! A scripted X-Ray endpoint on 127.0.0.1: answers `POST /TraceSegments` by script (throttling,
//! 5xx, slow answers, 4xx, partial rejections) and records every call and the segment ids it
//! accepted. Only calls answered 200 count as accepted: a call the client gave up on is treated
//! as not processed. Other routes (credential sources) can be served by the same server.
//!
//! Shared by the transport's and the exporter's tests (`#[path]`, next to `moto.rs`, whose
//! `sdk_config_for` it uses).
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use otel_xray_transport::XrayApiSink;
use serde_json::json;

/// The client's time limit for one call.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(300);
/// How long a `Slow` answer takes: far beyond `REQUEST_TIMEOUT`.
pub const SLOW: Duration = Duration::from_secs(30);

/// What the endpoint answers to one call.
#[derive(Debug, Clone)]
pub enum Step {
    /// 200, every document processed.
    Accept,
    /// 429 `ThrottledException`, with this `Retry-After` header if any.
    Throttle(Option<&'static str>),
    /// 500 `InternalFailure` (not a modeled error of `PutTraceSegments`).
    InternalError,
    /// 503 with an HTML body, as a load balancer in front of a service answers.
    UnavailableHtml,
    /// Answers 200 only after `SLOW`, long after the client gave up.
    Slow,
    /// 400 `InvalidRequestException`.
    Invalid,
    /// An error with this status and `x-amzn-errortype`, and a JSON body naming the same type.
    Error(u16, &'static str),
    /// 200 with these `(segment id, error code)` entries in `UnprocessedTraceSegments`.
    Unprocessed(Vec<(String, &'static str)>),
    /// 200 with the documents at these positions of the call in `UnprocessedTraceSegments`.
    UnprocessedAt(Vec<(usize, &'static str)>),
}

/// One call as the endpoint saw it.
#[derive(Debug, Clone)]
pub struct Call {
    /// When the call arrived.
    pub at: Instant,
    /// The `id` of each document, in order.
    pub ids: Vec<String>,
    /// The `Authorization` header.
    pub authorization: String,
    /// The `X-Amz-Security-Token` header (temporary credentials).
    pub security_token: Option<String>,
    /// The `Content-Encoding` header.
    pub content_encoding: Option<String>,
}

#[derive(Debug)]
struct Script {
    steps: VecDeque<Step>,
    /// Answer once `steps` is used up.
    then: Step,
}

#[derive(Debug)]
struct Fake {
    script: Mutex<Script>,
    calls: Mutex<Vec<Call>>,
    accepted: Mutex<Vec<String>>,
}

/// The scripted endpoint, serving until the test's runtime stops.
pub struct FakeXray {
    addr: SocketAddr,
    state: Arc<Fake>,
}

impl FakeXray {
    /// Serves `steps` in order, then `then` for every further call.
    pub async fn start(steps: Vec<Step>, then: Step) -> Self {
        Self::start_with_routes(steps, then, Router::new()).await
    }

    /// The same, also serving `extra` (other fakes on the same port).
    pub async fn start_with_routes(steps: Vec<Step>, then: Step, extra: Router) -> Self {
        let state = Arc::new(Fake {
            script: Mutex::new(Script {
                steps: steps.into(),
                then,
            }),
            calls: Mutex::new(Vec::new()),
            accepted: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/TraceSegments", post(put_trace_segments))
            .with_state(Arc::clone(&state))
            .merge(extra);
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, state }
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The real sink, with dummy static credentials, pointed at this endpoint.
    pub async fn sink(&self) -> XrayApiSink {
        XrayApiSink::from_sdk_config(&super::moto::sdk_config_for(&self.endpoint()).await, REQUEST_TIMEOUT)
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().unwrap().clone()
    }

    /// How many times each segment id was accepted.
    pub fn accepted(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for id in self.state.accepted.lock().unwrap().iter() {
            *counts.entry(id.clone()).or_insert(0) += 1;
        }
        counts
    }
}

#[derive(serde::Deserialize)]
struct PutTraceSegmentsRequest {
    #[serde(rename = "TraceSegmentDocuments")]
    documents: Vec<String>,
}

#[derive(serde::Deserialize)]
struct DocumentId {
    id: String,
}

fn error_response(status: u16, error_type: &str, message: &str, extra: &[(&'static str, &str)]) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap(),
        json!({ "__type": error_type, "message": message }).to_string(),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("x-amzn-errortype", HeaderValue::from_str(error_type).unwrap());
    for (name, value) in extra {
        headers.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    response
}

async fn put_trace_segments(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: String) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let ids: Vec<String> = match serde_json::from_str::<PutTraceSegmentsRequest>(&body) {
        Ok(request) => request
            .documents
            .iter()
            .map(|d| serde_json::from_str::<DocumentId>(d).map_or_else(|_| "<unparseable>".into(), |d| d.id))
            .collect(),
        Err(e) => return error_response(400, "SerializationException", &e.to_string(), &[]),
    };
    let step = {
        let mut script = fake.script.lock().unwrap();
        let then = script.then.clone();
        script.steps.pop_front().unwrap_or(then)
    };
    fake.calls.lock().unwrap().push(Call {
        at: Instant::now(),
        ids: ids.clone(),
        authorization: header("authorization").unwrap_or_default(),
        security_token: header("x-amz-security-token"),
        content_encoding: header("content-encoding"),
    });
    let unprocessed: Vec<(String, &str)> = match step {
        Step::Accept => Vec::new(),
        Step::Unprocessed(entries) => entries,
        Step::UnprocessedAt(positions) => positions
            .into_iter()
            .filter_map(|(i, code)| ids.get(i).map(|id| (id.clone(), code)))
            .collect(),
        Step::Throttle(retry_after) => {
            let extra: Vec<(&'static str, &str)> = retry_after.map(|r| ("retry-after", r)).into_iter().collect();
            return error_response(429, "ThrottledException", "Rate exceeded", &extra);
        }
        Step::InternalError => return error_response(500, "InternalFailure", "Internal failure", &[]),
        Step::UnavailableHtml => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [("content-type", "text/html")],
                "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
            )
                .into_response();
        }
        Step::Slow => {
            tokio::time::sleep(SLOW).await;
            Vec::new()
        }
        Step::Invalid => {
            return error_response(400, "InvalidRequestException", "Invalid segment document", &[]);
        }
        Step::Error(status, error_type) => return error_response(status, error_type, "scripted error", &[]),
    };
    {
        let mut accepted = fake.accepted.lock().unwrap();
        accepted.extend(
            ids.iter()
                .filter(|id| !unprocessed.iter().any(|(u, _)| u == *id))
                .cloned(),
        );
    }
    let entries: Vec<_> = unprocessed
        .iter()
        .map(|(id, code)| json!({ "Id": id, "ErrorCode": code, "Message": format!("{code} for {id}") }))
        .collect();
    (
        [("content-type", "application/json")],
        json!({ "UnprocessedTraceSegments": entries }).to_string(),
    )
        .into_response()
}
