//! OTLP/HTTP: `POST /v1/traces` on axum.
//!
//! The body is an `ExportTraceServiceRequest` in binary protobuf (`Content-Type:
//! application/x-protobuf`, decoded by the ingress while it translates) or OTLP/JSON (`application/json`, decoded by [`crate::otlp_json`]),
//! optionally compressed (`Content-Encoding: gzip` or `zstd`). The answer uses the request's
//! encoding: an `ExportTraceServiceResponse` on success, a `google.rpc.Status` on failure (with a
//! `BadRequest` detail naming the field when OTLP/JSON is malformed).
//!
//! The size cap holds at every step, so memory per request stays bounded by about twice the cap:
//! a declared `Content-Length` over the cap is refused before reading, the body is read only up to
//! the cap, and decompression stops one byte past the cap (a gzip bomb costs the cap, not its
//! expansion). After a `413` the rest of the body is read and discarded (up to
//! [`DRAIN_MAX_BYTES`], for at most [`DRAIN_TIMEOUT`]) so that the client, still sending, reads
//! the answer rather than a reset connection, which OTLP would have it retry.

use std::borrow::Cow;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

use super::{
    InFlightLimit, TOO_MANY_REQUESTS, log_queue_refusal, queue_refusal_reason, refuse, too_many_requests_message,
};
use crate::metrics::ReceiverLabel;
use crate::otlp_json;
use crate::pipeline::queue::QueueError;
use crate::pipeline::{Ingress, SubmitError};

/// The receiver label in metrics and logs.
pub const RECEIVER: &str = "otlp_http";

/// The OTLP/HTTP traces path.
pub const TRACES_PATH: &str = "/v1/traces";

/// The most body bytes read and discarded after refusing a request as too large.
pub const DRAIN_MAX_BYTES: u64 = 32 << 20;

/// The longest time spent discarding the body of a request refused as too large.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The content codings accepted, for `Accept-Encoding` on a `415`.
const ACCEPTED_ENCODINGS: &str = "gzip, zstd, identity";

/// The largest zstd window (as a power of two) a request may need, at least: what zstd's levels
/// up to 19 use without long-distance matching (8 MiB).
const ZSTD_MIN_WINDOW_LOG: u32 = 23;

/// zstd's own default limit (128 MiB).
const ZSTD_MAX_WINDOW_LOG: u32 = 27;

/// `type_url` of a `google.rpc.BadRequest` in an OTLP/JSON `Status`.
const BAD_REQUEST_TYPE_URL: &str = "type.googleapis.com/google.rpc.BadRequest";

/// The protobuf encodings of OTLP/HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json` (OTLP/JSON).
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
            Self::Json => "application/json",
        }
    }
}

/// The content codings accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Identity,
    Gzip,
    Zstd,
}

#[derive(Debug)]
struct HttpState {
    ingress: Ingress,
    max_request_bytes: usize,
    limit: InFlightLimit,
}

/// The OTLP/HTTP routes for `ingress`, accepting requests of at most `max_request_bytes` (as
/// received and after decompression), each holding a permit of `limit` while it is handled.
pub fn router(ingress: Ingress, max_request_bytes: usize, limit: InFlightLimit) -> Router {
    Router::new()
        .route(TRACES_PATH, post(export))
        .with_state(Arc::new(HttpState {
            ingress,
            max_request_bytes,
            limit,
        }))
}

/// Serves `router` on `listener` (with `TCP_NODELAY` on every accepted connection) until
/// `shutdown` resolves, then lets requests in progress finish.
pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()> + Send + 'static) {
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(receiver = RECEIVER, error = %error, "TCP_NODELAY could not be set on an accepted connection.");
        }
    });
    match axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
        Ok(()) => tracing::info!(receiver = RECEIVER, "The OTLP/HTTP receiver has stopped."),
        Err(error) => tracing::error!(receiver = RECEIVER, error = %error, "The OTLP/HTTP receiver failed."),
    }
}

/// `POST /v1/traces`.
async fn export(State(state): State<Arc<HttpState>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    // Taken before the body is read, held until the answer is ready.
    let Some(_permit) = state.limit.try_acquire(RECEIVER) else {
        let encoding = request_encoding(&headers).unwrap_or(Encoding::Protobuf);
        return Refusal::too_many_requests(state.limit.limit()).into_response(encoding);
    };
    let (encoding, result) = match request_encoding(&headers) {
        Ok(encoding) => (encoding, receive(&state, encoding, &headers, body).await),
        // No encoding to answer in: OTLP's default, protobuf.
        Err(refusal) => (Encoding::Protobuf, Err(refusal)),
    };
    let metrics = state.ingress.metrics();
    let response = match result {
        Ok(outcome) => success(encoding, &outcome),
        Err(refusal) => {
            if !refusal.counted {
                refuse(metrics, RECEIVER, refusal.reason, &refusal.message);
            }
            refusal.into_response(encoding)
        }
    };
    metrics
        .request_seconds
        .get_or_create(&ReceiverLabel { receiver: RECEIVER })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Reads, decompresses and decodes the body, and hands the request to the ingress.
async fn receive(state: &HttpState, encoding: Encoding, headers: &HeaderMap, body: Body) -> Result<Accepted, Refusal> {
    let cap = state.max_request_bytes;
    let compression = request_compression(headers)?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(declared) = declared.filter(|&n| n > cap as u64) {
        if declared <= DRAIN_MAX_BYTES {
            drain(body, declared).await;
        }
        return Err(Refusal::too_large(format!(
            "the request body ({declared} bytes) exceeds the {cap}-byte limit; split the request"
        )));
    }
    let raw = read_body(body, cap, declared).await?;
    let data = decompress(compression, &raw, cap).map_err(|e| match e {
        DecompressError::TooLarge => Refusal {
            reason: "decompressed_too_large",
            ..Refusal::too_large(format!(
                "the request body decompresses to more than the {cap}-byte limit; split the request"
            ))
        },
        DecompressError::Corrupt(e) => Refusal::bad_request(
            "bad_compression",
            format!("the request body could not be decompressed: {e}"),
        ),
    })?;
    let submitted = match encoding {
        // Decoded while it is translated.
        Encoding::Protobuf => state
            .ingress
            .submit_otlp_protobuf(RECEIVER, &data)
            .map_err(|e| match e {
                SubmitError::Malformed(e) => Refusal::bad_request(
                    "malformed_protobuf",
                    format!("the request body is not a protobuf ExportTraceServiceRequest: {e}"),
                ),
                SubmitError::Queue(e) => queue_refusal(&e),
            }),
        Encoding::Json => {
            let request = decode_json(&data)?;
            drop(data);
            drop(raw);
            state
                .ingress
                .submit_otlp(RECEIVER, &request)
                .map_err(|e| queue_refusal(&e))
        }
    };
    submitted.map(|outcome| Accepted {
        rejected_spans: outcome.rejected_spans,
        error_message: outcome.error_message,
    })
}

/// Logs a refusal by the queue and gives its answer.
fn queue_refusal(error: &QueueError) -> Refusal {
    log_queue_refusal(RECEIVER, error);
    Refusal::queue(error)
}

/// What the ingress said about an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Accepted {
    /// Spans that gave no document.
    rejected_spans: usize,
    /// Why the first of them was rejected.
    error_message: Option<String>,
}

/// Decodes an OTLP/JSON body.
fn decode_json(data: &[u8]) -> Result<ExportTraceServiceRequest, Refusal> {
    otlp_json::decode(data).map_err(|e| Refusal {
        field: (!e.path.is_empty()).then(|| e.path.clone()),
        ..Refusal::bad_request(
            "malformed_json",
            format!("the request body is not valid OTLP/JSON: {e}"),
        )
    })
}

/// The media type, without parameters (`application/json; charset=utf-8` is JSON).
fn request_encoding(headers: &HeaderMap) -> Result<Encoding, Refusal> {
    let value = headers.get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()));
    let media_type = value
        .as_deref()
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    match media_type.as_deref() {
        Some("application/x-protobuf") => Ok(Encoding::Protobuf),
        Some("application/json") => Ok(Encoding::Json),
        other => Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: Code::InvalidArgument,
            reason: "unsupported_content_type",
            message: format!(
                "Content-Type {} is not supported; use application/x-protobuf or application/json",
                other.map_or_else(|| "(none)".to_owned(), |t| format!("`{t}`"))
            ),
            field: None,
            retry_after: false,
            counted: false,
        }),
    }
}

/// The `Content-Encoding`; `identity` entries are ignored, more than one other coding is refused.
fn request_compression(headers: &HeaderMap) -> Result<Compression, Refusal> {
    let mut compression = Compression::Identity;
    for value in headers.get_all(CONTENT_ENCODING) {
        let value = String::from_utf8_lossy(value.as_bytes());
        for coding in value.split(',').map(|c| c.trim().to_ascii_lowercase()) {
            let next = match coding.as_str() {
                "" | "identity" => continue,
                "gzip" | "x-gzip" => Compression::Gzip,
                "zstd" => Compression::Zstd,
                _ => {
                    return Err(Refusal::unsupported_encoding(format!(
                        "Content-Encoding `{coding}` is not supported"
                    )));
                }
            };
            if compression != Compression::Identity {
                return Err(Refusal::unsupported_encoding(
                    "more than one Content-Encoding is not supported".to_owned(),
                ));
            }
            compression = next;
        }
    }
    Ok(compression)
}

/// Reads the body, refusing it once it passes `cap` bytes.
async fn read_body(mut body: Body, cap: usize, declared: Option<u64>) -> Result<Vec<u8>, Refusal> {
    let mut raw = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Refusal::bad_request(
                "unreadable_body",
                format!("the request body could not be read completely: {e}"),
            )
        })?;
        let Ok(data) = frame.into_data() else { continue };
        if raw.len() + data.len() > cap {
            let read = (raw.len() + data.len()) as u64;
            drop(raw);
            drain(body, DRAIN_MAX_BYTES.saturating_sub(read)).await;
            return Err(Refusal::too_large(format!(
                "the request body exceeds the {cap}-byte limit; split the request"
            )));
        }
        raw.extend_from_slice(&data);
    }
    Ok(raw)
}

/// Reads and discards up to `limit` more bytes of `body`, for at most [`DRAIN_TIMEOUT`].
async fn drain(mut body: Body, mut limit: u64) {
    let discard = async {
        while let Some(Ok(frame)) = body.frame().await {
            let n = frame.data_ref().map_or(0, |d| d.len() as u64);
            if n >= limit {
                break;
            }
            limit -= n;
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, discard).await;
}

/// Why a body could not be decompressed.
#[derive(Debug)]
enum DecompressError {
    /// More than the cap came out.
    TooLarge,
    /// Not a valid stream in the declared coding.
    Corrupt(io::Error),
}

/// Decompresses `data`, stopping as soon as the output passes `cap` bytes.
fn decompress(compression: Compression, data: &[u8], cap: usize) -> Result<Cow<'_, [u8]>, DecompressError> {
    match compression {
        Compression::Identity => Ok(Cow::Borrowed(data)),
        Compression::Gzip => read_capped(flate2::read::MultiGzDecoder::new(data), cap).map(Cow::Owned),
        Compression::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(data).map_err(DecompressError::Corrupt)?;
            // A frame header may ask for a window of up to 2 GiB; allocate no more than a request
            // of `cap` bytes can need.
            let cap_log = usize::BITS - cap.saturating_sub(1).leading_zeros();
            decoder
                .window_log_max(cap_log.clamp(ZSTD_MIN_WINDOW_LOG, ZSTD_MAX_WINDOW_LOG))
                .map_err(DecompressError::Corrupt)?;
            read_capped(decoder, cap).map(Cow::Owned)
        }
    }
}

fn read_capped(reader: impl Read, cap: usize) -> Result<Vec<u8>, DecompressError> {
    let mut out = Vec::new();
    reader
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(DecompressError::Corrupt)?;
    if out.len() > cap {
        return Err(DecompressError::TooLarge);
    }
    Ok(out)
}

/// `200 OK` with an `ExportTraceServiceResponse`, `partial_success` set when spans were rejected.
fn success(encoding: Encoding, outcome: &Accepted) -> Response {
    let error_message = outcome.error_message.as_deref().unwrap_or_default();
    let rejected = (outcome.rejected_spans > 0).then_some(outcome.rejected_spans);
    let body = match encoding {
        Encoding::Protobuf => ExportTraceServiceResponse {
            partial_success: rejected.map(|n| ExportTracePartialSuccess {
                rejected_spans: i64::try_from(n).unwrap_or(i64::MAX),
                error_message: error_message.to_owned(),
            }),
        }
        .encode_to_vec(),
        Encoding::Json => json_bytes(&JsonExportResponse {
            partial_success: rejected.map(|n| JsonPartialSuccess {
                rejected_spans: n.to_string(),
                error_message,
            }),
        }),
    };
    (StatusCode::OK, [(CONTENT_TYPE, encoding.content_type())], body).into_response()
}

/// `ExportTraceServiceResponse` in OTLP/JSON.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonExportResponse<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_success: Option<JsonPartialSuccess<'a>>,
}

/// `ExportTracePartialSuccess` in OTLP/JSON (an `int64` is a decimal string in proto3 JSON).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPartialSuccess<'a> {
    rejected_spans: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    error_message: &'a str,
}

/// `google.rpc.Status` in proto3 JSON.
#[derive(Serialize)]
struct JsonStatus<'a> {
    code: i32,
    message: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<JsonBadRequest<'a>>,
}

/// A `google.rpc.BadRequest` as a proto3-JSON `Any`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonBadRequest<'a> {
    #[serde(rename = "@type")]
    type_url: &'static str,
    field_violations: [JsonFieldViolation<'a>; 1],
}

/// `google.rpc.BadRequest.FieldViolation` in proto3 JSON.
#[derive(Serialize)]
struct JsonFieldViolation<'a> {
    field: &'a str,
    description: &'a str,
}

fn json_bytes(value: &impl Serialize) -> Vec<u8> {
    // Serializing these structs of strings cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// A request not accepted, and how to answer it.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    /// `Status.code` (OTLP clients go by the HTTP status; this is for troubleshooting).
    code: Code,
    /// The `reason` label.
    reason: &'static str,
    /// `Status.message`, and the log line's error.
    message: String,
    /// The OTLP/JSON field that was wrong, sent as a `BadRequest` detail.
    field: Option<String>,
    retry_after: bool,
    /// Counted (and logged) already, by the ingress.
    counted: bool,
}

impl Refusal {
    fn bad_request(reason: &'static str, message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: Code::InvalidArgument,
            reason,
            message,
            field: None,
            retry_after: false,
            counted: false,
        }
    }

    fn too_large(message: String) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: Code::ResourceExhausted,
            ..Self::bad_request("too_large", message)
        }
    }

    fn unsupported_encoding(message: String) -> Self {
        Self {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: Code::Unimplemented,
            ..Self::bad_request(
                "unsupported_content_encoding",
                format!("{message}; use gzip, zstd or no compression"),
            )
        }
    }

    /// Every permit of the in-flight limit is taken (counted by the limit).
    fn too_many_requests(limit: usize) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: Code::Unavailable,
            reason: TOO_MANY_REQUESTS,
            message: too_many_requests_message(limit),
            field: None,
            retry_after: true,
            counted: true,
        }
    }

    fn queue(error: &QueueError) -> Self {
        let (status, code, retry_after, message) = match error {
            QueueError::Full { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                Code::ResourceExhausted,
                true,
                error.to_string(),
            ),
            QueueError::Closed => (
                StatusCode::SERVICE_UNAVAILABLE,
                Code::Unavailable,
                true,
                error.to_string(),
            ),
            QueueError::TooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::ResourceExhausted,
                false,
                format!("{error}; split the request into smaller ones"),
            ),
        };
        Self {
            status,
            code,
            reason: queue_refusal_reason(error),
            message,
            field: None,
            retry_after,
            counted: true,
        }
    }

    /// The response: a `google.rpc.Status` in `encoding`, with `Retry-After` for back-pressure
    /// and `Accept-Encoding` for an unsupported coding.
    fn into_response(self, encoding: Encoding) -> Response {
        let body = match encoding {
            Encoding::Protobuf => {
                let details = match &self.field {
                    Some(field) => ErrorDetails::with_bad_request_violation(field.as_str(), self.message.as_str()),
                    None => ErrorDetails::new(),
                };
                // tonic-types encodes the whole `google.rpc.Status` as the status's details.
                tonic::Status::with_error_details(self.code, self.message.as_str(), details)
                    .details()
                    .to_vec()
            }
            Encoding::Json => json_bytes(&JsonStatus {
                code: self.code as i32,
                message: &self.message,
                details: self
                    .field
                    .as_deref()
                    .map(|field| JsonBadRequest {
                        type_url: BAD_REQUEST_TYPE_URL,
                        field_violations: [JsonFieldViolation {
                            field,
                            description: &self.message,
                        }],
                    })
                    .into_iter()
                    .collect(),
            }),
        };
        let mut response = (self.status, [(CONTENT_TYPE, encoding.content_type())], body).into_response();
        if self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(super::RETRY_AFTER.as_secs()));
        }
        if self.reason == "unsupported_content_encoding" {
            response
                .headers_mut()
                .insert(ACCEPT_ENCODING, HeaderValue::from_static(ACCEPTED_ENCODINGS));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn decompression_stops_one_byte_past_the_cap() {
        let bomb = gzip(&vec![0; 64 << 20]);
        assert!(bomb.len() < 1 << 20, "under the cap as received: {}", bomb.len());
        let started = std::time::Instant::now();
        assert!(matches!(
            decompress(Compression::Gzip, &bomb, 1 << 20),
            Err(DecompressError::TooLarge)
        ));
        assert!(started.elapsed() < Duration::from_secs(2));
        let zstd_bomb = zstd::encode_all(&vec![0; 64 << 20][..], 3).unwrap();
        assert!(matches!(
            decompress(Compression::Zstd, &zstd_bomb, 1 << 20),
            Err(DecompressError::TooLarge)
        ));
    }

    #[test]
    fn decompression_within_the_cap_gives_the_data_back() {
        let data = b"hello, otlp".repeat(100);
        assert_eq!(
            *decompress(Compression::Gzip, &gzip(&data), data.len()).unwrap(),
            data[..]
        );
        let z = zstd::encode_all(&data[..], 3).unwrap();
        assert_eq!(*decompress(Compression::Zstd, &z, data.len()).unwrap(), data[..]);
        assert_eq!(*decompress(Compression::Identity, &data, 1).unwrap(), data[..]);
        assert!(matches!(
            decompress(Compression::Gzip, b"not gzip", 100),
            Err(DecompressError::Corrupt(_))
        ));
    }

    #[test]
    fn concatenated_gzip_members_are_one_body() {
        let mut data = gzip(b"abc");
        data.extend(gzip(b"def"));
        assert_eq!(*decompress(Compression::Gzip, &data, 100).unwrap(), b"abcdef"[..]);
    }

    #[test]
    fn content_type_parameters_and_case_are_ignored() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(request_encoding(&h).unwrap(), Encoding::Json);
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"));
        assert_eq!(request_encoding(&h).unwrap(), Encoding::Protobuf);
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            request_encoding(&h).unwrap_err().status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            request_encoding(&HeaderMap::new()).unwrap_err().reason,
            "unsupported_content_type"
        );
    }

    #[test]
    fn content_encodings() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_ENCODING, HeaderValue::from_static(v));
            request_compression(&h)
        };
        assert_eq!(request_compression(&HeaderMap::new()).unwrap(), Compression::Identity);
        assert_eq!(with("identity").unwrap(), Compression::Identity);
        assert_eq!(with("GZIP").unwrap(), Compression::Gzip);
        assert_eq!(with("x-gzip").unwrap(), Compression::Gzip);
        assert_eq!(with("zstd, identity").unwrap(), Compression::Zstd);
        assert_eq!(with("br").unwrap_err().status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(with("gzip, zstd").unwrap_err().reason, "unsupported_content_encoding");
    }

    #[test]
    fn partial_success_in_json_uses_a_string_for_the_int64() {
        let outcome = Accepted {
            rejected_spans: 1,
            error_message: Some("invalid span id".into()),
        };
        let response = success(Encoding::Json, &outcome);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        let body = JsonExportResponse {
            partial_success: Some(JsonPartialSuccess {
                rejected_spans: "1".into(),
                error_message: "invalid span id",
            }),
        };
        assert_eq!(
            String::from_utf8(json_bytes(&body)).unwrap(),
            r#"{"partialSuccess":{"rejectedSpans":"1","errorMessage":"invalid span id"}}"#
        );
        assert_eq!(json_bytes(&JsonExportResponse { partial_success: None }), b"{}");
    }
}
