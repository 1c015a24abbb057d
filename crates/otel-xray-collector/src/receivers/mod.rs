//! The OTLP receivers: OTLP/gRPC (`TraceService/Export`) and OTLP/HTTP (`POST /v1/traces`), both
//! handing requests to the pipeline's [`Ingress`]: binary protobuf as bytes, decoded while they
//! are translated; OTLP/JSON decoded.
//!
//! ```text
//! OTLP/gRPC  :4317 ─┐  read (size-capped, gzip/zstd)       ┌─► Ingress::submit_otlp_protobuf ─┐
//! OTLP/HTTP  :4318 ─┤  protobuf, gzip/zstd                 ┘   (decode + translate, one pass)  ├─► queue
//!                   └  OTLP/JSON, gzip/zstd: decoded      ───► Ingress::submit_otlp ───────────┘
//!                                                              (all of a request, or a refusal)
//! ```
//!
//! | module | role |
//! |---|---|
//! | [`otlp_grpc`] | the tonic `TraceService`, and the mapping of refusals to gRPC status codes |
//! | [`otlp_http`] | the axum route, body reading and decompression under a cap, content types |
//!
//! Both listeners bind to `127.0.0.1` unless configured otherwise, set `TCP_NODELAY` on accepted
//! connections and stop gracefully through [`OtlpReceivers::shutdown`] (or when the handle is
//! dropped).
//!
//! # Responses
//!
//! The OTLP specification (`opentelemetry-proto/docs/specification.md`) decides what a client does
//! with each answer: retry, or drop the data. The receivers answer as follows; every refusal is
//! counted in `otelxray_requests_refused_total{receiver, reason}` and logged with its reason.
//!
//! | situation | reason label | gRPC | HTTP |
//! |---|---|---|---|
//! | accepted, every span translated | – | `OK` | `200`, empty `ExportTraceServiceResponse` |
//! | accepted, some spans untranslatable | – | `OK` + `partial_success` | `200` + `partial_success` |
//! | `max_concurrent_requests` requests already in progress | `too_many_requests` | `UNAVAILABLE` + `RetryInfo` | `503` + `Retry-After` |
//! | queue full (back-pressure) | `queue_full` | `UNAVAILABLE` + `RetryInfo` | `429` + `Retry-After` |
//! | pipeline shutting down | `shutting_down` | `UNAVAILABLE` + `RetryInfo` | `503` + `Retry-After` |
//! | documents larger than the whole queue | `too_large_for_queue` | `RESOURCE_EXHAUSTED` | `413` |
//! | request over the size cap | `too_large` | `RESOURCE_EXHAUSTED` | `413` |
//! | decompressed request over the cap (bomb) | `decompressed_too_large` | `RESOURCE_EXHAUSTED` | `413` |
//! | malformed protobuf | `malformed_protobuf` | `INVALID_ARGUMENT` | `400` |
//! | malformed OTLP/JSON | `malformed_json` | – | `400`, field path in `BadRequest` |
//! | corrupt compressed stream | `bad_compression` | `INVALID_ARGUMENT` | `400` |
//! | unsupported `Content-Type` | `unsupported_content_type` | – | `415` |
//! | unsupported `Content-Encoding` / `grpc-encoding` | `unsupported_content_encoding` | `UNIMPLEMENTED` | `415` + `Accept-Encoding` |
//! | body not received completely | `unreadable_body` | (tonic's code) | `400` |
//!
//! `UNAVAILABLE`, `429` and `503` are the retryable answers of OTLP; everything else tells the
//! client to drop the data. `RESOURCE_EXHAUSTED` is retryable in OTLP only when it carries
//! `RetryInfo`, so the size refusals send it without. Queue refusals are counted by the
//! [`Ingress`]; the receivers count the others.
//!
//! # In-flight limit
//!
//! Both receivers share one [`InFlightLimit`]: a request takes a permit before its body is read
//! (HTTP) or decoded (gRPC) and holds it until it is answered, so at most
//! `max_concurrent_requests` requests hold memory at once (each at most about twice
//! `max_request_bytes`). A request that finds no permit is answered at once, without reading its
//! body, with OTLP's retryable "unavailable" answer; `otelxray_requests_in_flight` shows the
//! permits in use.

pub mod otlp_grpc;
pub mod otlp_http;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::metrics::Metrics;
use crate::pipeline::Ingress;
use crate::pipeline::queue::QueueError;

/// The default OTLP/gRPC listen address: loopback only, the OTLP port 4317.
pub const DEFAULT_GRPC_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 4317);

/// The default OTLP/HTTP listen address: loopback only, the OTLP port 4318.
pub const DEFAULT_HTTP_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 4318);

/// The default cap on one request, compressed and decompressed (4 MiB, gRPC's default message
/// size).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 << 20;

/// How long a client pushed back by a full queue is asked to wait (`Retry-After`, gRPC
/// `RetryInfo`): long enough for the senders to drain a batch or for a throttled X-Ray to recover,
/// short enough that a client's own queue does not overflow meanwhile.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Where the OTLP receivers listen and how large a request may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtlpSettings {
    /// The OTLP/gRPC listen address; `None` disables the receiver.
    pub grpc: Option<SocketAddr>,
    /// The OTLP/HTTP listen address; `None` disables the receiver.
    pub http: Option<SocketAddr>,
    /// The largest request accepted, in bytes, both as received and after decompression.
    pub max_request_bytes: usize,
    /// The most requests (gRPC and HTTP together) handled at once.
    pub max_concurrent_requests: usize,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        Self {
            grpc: Some(DEFAULT_GRPC_ADDR),
            http: Some(DEFAULT_HTTP_ADDR),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_concurrent_requests: crate::config::default_max_concurrent_requests(),
        }
    }
}

/// The `reason` label of a request refused by the [`InFlightLimit`].
pub const TOO_MANY_REQUESTS: &str = "too_many_requests";

/// The permits shared by the OTLP receivers: at most `limit` requests in progress.
#[derive(Debug, Clone)]
pub struct InFlightLimit {
    permits: Arc<Semaphore>,
    limit: usize,
    metrics: Arc<Metrics>,
}

impl InFlightLimit {
    /// A limit of `limit` requests (at least 1), shown in `requests_in_flight_limit`.
    pub fn new(limit: usize, metrics: Arc<Metrics>) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        metrics
            .requests_in_flight_limit
            .set(i64::try_from(limit).unwrap_or(i64::MAX));
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            metrics,
        }
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A permit for one request, or `None` (counted as a `too_many_requests` refusal of
    /// `receiver`, and logged at debug level: under a flood this is expected).
    pub fn try_acquire(&self, receiver: &'static str) -> Option<InFlightPermit> {
        match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => {
                self.metrics.requests_in_flight.inc();
                Some(InFlightPermit {
                    _permit: permit,
                    metrics: Arc::clone(&self.metrics),
                })
            }
            Err(_) => {
                self.metrics.refused(receiver, TOO_MANY_REQUESTS);
                tracing::debug!(
                    receiver,
                    reason = TOO_MANY_REQUESTS,
                    limit = self.limit,
                    "An OTLP request was refused: too many requests are in progress; the client was asked to retry later."
                );
                None
            }
        }
    }
}

/// One request in progress; dropping it frees the permit.
#[derive(Debug)]
pub struct InFlightPermit {
    _permit: OwnedSemaphorePermit,
    metrics: Arc<Metrics>,
}

impl Drop for InFlightPermit {
    fn drop(&mut self) {
        self.metrics.requests_in_flight.dec();
    }
}

/// The message of a `too_many_requests` refusal.
fn too_many_requests_message(limit: usize) -> String {
    format!(
        "{limit} OTLP requests are already in progress; retry after {} s",
        RETRY_AFTER.as_secs()
    )
}

/// Why the receivers could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound (in use, not local, no permission).
    #[error("cannot listen for OTLP/{protocol} on {addr}: {source}")]
    Bind {
        /// `gRPC` or `HTTP`.
        protocol: &'static str,
        /// The configured address.
        addr: SocketAddr,
        /// The bind error.
        #[source]
        source: io::Error,
    },
    /// `max_request_bytes` is 0, or too large for a gRPC message length (`u32`).
    #[error("the OTLP request size cap must be between 1 and 4294967295 bytes, not {0}")]
    InvalidRequestCap(usize),
}

/// The running OTLP receivers. Dropping the handle stops them too, without waiting.
#[derive(Debug)]
pub struct OtlpReceivers {
    grpc_addr: Option<SocketAddr>,
    http_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    servers: Vec<(&'static str, JoinHandle<()>)>,
}

impl OtlpReceivers {
    /// Binds the configured listeners (both before serving either, so that a bind error leaves
    /// nothing running) and serves them on the current Tokio runtime.
    pub async fn start(settings: &OtlpSettings, ingress: &Ingress) -> Result<Self, StartError> {
        let cap = settings.max_request_bytes;
        if cap == 0 || u32::try_from(cap).is_err() {
            return Err(StartError::InvalidRequestCap(cap));
        }
        let grpc = match settings.grpc {
            Some(addr) => Some(bind("gRPC", addr).await?),
            None => None,
        };
        let http = match settings.http {
            Some(addr) => Some(bind("HTTP", addr).await?),
            None => None,
        };
        let limit = InFlightLimit::new(settings.max_concurrent_requests, Arc::clone(ingress.metrics()));
        let (stop, _) = watch::channel(false);
        let mut receivers = Self {
            grpc_addr: None,
            http_addr: None,
            stop,
            servers: Vec::new(),
        };
        if let Some((listener, addr)) = grpc {
            let service = otlp_grpc::service(ingress.clone(), cap, limit.clone());
            let task = tokio::spawn(otlp_grpc::serve(listener, service, stopped(&receivers.stop)));
            receivers.grpc_addr = Some(addr);
            receivers.servers.push((otlp_grpc::RECEIVER, task));
            tracing::info!(address = %addr, max_request_bytes = cap, max_concurrent_requests = limit.limit(), "The OTLP/gRPC receiver is listening.");
        }
        if let Some((listener, addr)) = http {
            let router = otlp_http::router(ingress.clone(), cap, limit.clone());
            let task = tokio::spawn(otlp_http::serve(listener, router, stopped(&receivers.stop)));
            receivers.http_addr = Some(addr);
            receivers.servers.push((otlp_http::RECEIVER, task));
            tracing::info!(address = %addr, max_request_bytes = cap, max_concurrent_requests = limit.limit(), "The OTLP/HTTP receiver is listening.");
        }
        Ok(receivers)
    }

    /// The address the OTLP/gRPC receiver is bound to (with the actual port when configured with
    /// port 0).
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc_addr
    }

    /// The address the OTLP/HTTP receiver is bound to.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// Stops accepting connections and lets requests in progress finish until `deadline`, then
    /// stops waiting (a connection still open may complete its request, which a stopped pipeline
    /// refuses with `UNAVAILABLE`/`503`). Returns whether every server stopped before the deadline.
    pub async fn shutdown(self, deadline: Instant) -> bool {
        let _ = self.stop.send(true);
        let mut graceful = true;
        for (receiver, mut task) in self.servers {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                graceful = false;
                tracing::warn!(
                    receiver,
                    "The receiver still had requests in progress at the shutdown deadline; they were abandoned."
                );
            }
        }
        graceful
    }
}

async fn bind(protocol: &'static str, addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartError> {
    let bind_error = |source| StartError::Bind { protocol, addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let local = listener.local_addr().map_err(bind_error)?;
    Ok((listener, local))
}

/// Resolves when shutdown is requested or the handle is dropped.
fn stopped(stop: &watch::Sender<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut rx = stop.subscribe();
    async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// The `reason` label of a refusal by the queue (as counted by the [`Ingress`]).
fn queue_refusal_reason(error: &QueueError) -> &'static str {
    match error {
        QueueError::Full { .. } => "queue_full",
        QueueError::TooLarge { .. } => "too_large_for_queue",
        QueueError::Closed => "shutting_down",
    }
}

/// Logs a request the queue refused; the [`Ingress`] has already counted it. Back-pressure is
/// expected under load and logged at debug level; a request that can never fit is a warning.
fn log_queue_refusal(receiver: &'static str, error: &QueueError) {
    let reason = queue_refusal_reason(error);
    match error {
        QueueError::Full { .. } | QueueError::Closed => {
            tracing::debug!(receiver, reason, error = %error, "An OTLP request was refused; the client was asked to retry later.");
        }
        QueueError::TooLarge { .. } => {
            tracing::warn!(receiver, reason, error = %error, "An OTLP request was refused because its documents can never fit in the queue.");
        }
    }
}

/// Counts and logs a request refused by a receiver itself (bad input, over the size cap).
fn refuse(metrics: &Metrics, receiver: &'static str, reason: &'static str, message: &str) {
    metrics.refused(receiver, reason);
    tracing::warn!(receiver, reason, error = message, "An OTLP request was refused.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_with_the_otlp_ports_and_a_4_mib_cap() {
        let s = OtlpSettings::default();
        assert_eq!(s.grpc, Some("127.0.0.1:4317".parse().unwrap()));
        assert_eq!(s.http, Some("127.0.0.1:4318".parse().unwrap()));
        assert_eq!(s.max_request_bytes, 4 * 1024 * 1024);
    }
}
