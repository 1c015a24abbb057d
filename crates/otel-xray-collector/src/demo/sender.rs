//! Sending OTLP export requests to the gateway over HTTP (protobuf bodies) or gRPC, like an
//! OpenTelemetry SDK exporter: pushback (HTTP 429/503 with `Retry-After`, gRPC `UNAVAILABLE` or
//! `RESOURCE_EXHAUSTED` with `RetryInfo`) is honoured with bounded waits; everything else is
//! reported to the caller, which counts it.

use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;
use tonic::transport::{Channel, Endpoint};
use tonic_types::StatusExt;

use super::args::DemoProtocol;

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Attempts per request when the gateway pushes back.
const MAX_ATTEMPTS: u32 = 4;
/// The wait when the gateway pushes back without saying how long.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// The longest single wait, whatever the gateway asks.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Why a request was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Nothing answers at the endpoint (connection refused, timed out, reset).
    #[error("cannot reach {endpoint}: {reason}")]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// What the transport said.
        reason: String,
    },
    /// The gateway kept pushing back through every attempt.
    #[error("the gateway pushed back {attempts} times (last: {last})")]
    PushedBack {
        /// Attempts made.
        attempts: u32,
        /// The last answer.
        last: String,
    },
    /// The gateway refused the request (not retryable).
    #[error("the gateway refused the request: {0}")]
    Refused(String),
}

/// What the gateway said about an accepted request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Spans the gateway reported as rejected (`partial_success`).
    pub rejected_spans: u64,
    /// Pushbacks waited out before it was accepted.
    pub pushbacks: u32,
}

/// One answer: accepted, pushback (with the wait asked for), or a final error.
enum Attempt {
    Accepted(u64),
    PushBack { wait: Duration, what: String },
    Failed(SendError),
}

/// An OTLP client for one endpoint.
#[derive(Debug, Clone)]
pub struct OtlpSender {
    endpoint: String,
    transport: Transport,
}

#[derive(Debug, Clone)]
enum Transport {
    Http(reqwest::Client),
    Grpc(TraceServiceClient<Channel>),
}

impl OtlpSender {
    /// A sender for `endpoint` (the full `/v1/traces` URL for HTTP, the base URL for gRPC).
    /// Nothing is connected yet: the first request finds out whether the gateway is there.
    pub fn new(endpoint: &str, protocol: DemoProtocol) -> Result<Self, String> {
        let transport = match protocol {
            DemoProtocol::Http => Transport::Http(
                reqwest::Client::builder()
                    .timeout(REQUEST_TIMEOUT)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))?,
            ),
            DemoProtocol::Grpc => {
                let channel = Endpoint::from_shared(endpoint.to_owned())
                    .map_err(|e| format!("`{endpoint}` is not a usable gRPC endpoint: {e}"))?
                    .timeout(REQUEST_TIMEOUT)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .connect_lazy();
                Transport::Grpc(TraceServiceClient::new(channel))
            }
        };
        Ok(Self {
            endpoint: endpoint.to_owned(),
            transport,
        })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends `request`, waiting out pushback (at most 4 attempts, each wait at most 5 s).
    pub async fn send(&mut self, request: &ExportTraceServiceRequest) -> Result<Accepted, SendError> {
        let body = match self.transport {
            Transport::Http(_) => request.encode_to_vec(),
            Transport::Grpc(_) => Vec::new(),
        };
        let mut pushbacks = 0;
        loop {
            let attempt = match &mut self.transport {
                Transport::Http(client) => http_once(client, &self.endpoint, body.clone()).await,
                Transport::Grpc(client) => grpc_once(client, &self.endpoint, request.clone()).await,
            };
            match attempt {
                Attempt::Accepted(rejected_spans) => {
                    return Ok(Accepted {
                        rejected_spans,
                        pushbacks,
                    });
                }
                Attempt::Failed(e) => return Err(e),
                Attempt::PushBack { wait, what } => {
                    pushbacks += 1;
                    if pushbacks >= MAX_ATTEMPTS {
                        return Err(SendError::PushedBack {
                            attempts: pushbacks,
                            last: what,
                        });
                    }
                    tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
                }
            }
        }
    }
}

async fn http_once(client: &reqwest::Client, endpoint: &str, body: Vec<u8>) -> Attempt {
    let response = client
        .post(endpoint)
        .header(reqwest::header::CONTENT_TYPE, "application/x-protobuf")
        .body(body)
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            return Attempt::Failed(SendError::Unreachable {
                endpoint: endpoint.to_owned(),
                reason: root_cause(&e),
            });
        }
    };
    let status = response.status();
    if status.is_success() {
        let bytes = response.bytes().await.unwrap_or_default();
        let rejected = ExportTraceServiceResponse::decode(bytes)
            .ok()
            .and_then(|r| r.partial_success)
            .map_or(0, |p| u64::try_from(p.rejected_spans).unwrap_or(0));
        return Attempt::Accepted(rejected);
    }
    if status.as_u16() == 429 || status.as_u16() == 503 {
        let wait = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs);
        return Attempt::PushBack {
            wait,
            what: format!("HTTP {status}"),
        };
    }
    let body = response.text().await.unwrap_or_default();
    let detail: String = body.chars().filter(|c| !c.is_control()).take(200).collect();
    Attempt::Failed(SendError::Refused(
        format!("HTTP {status} {detail}").trim_end().to_owned(),
    ))
}

async fn grpc_once(
    client: &mut TraceServiceClient<Channel>,
    endpoint: &str,
    request: ExportTraceServiceRequest,
) -> Attempt {
    match client.export(request).await {
        Ok(response) => Attempt::Accepted(
            response
                .into_inner()
                .partial_success
                .map_or(0, |p| u64::try_from(p.rejected_spans).unwrap_or(0)),
        ),
        Err(status) => {
            let retry_info = status.get_details_retry_info();
            match status.code() {
                tonic::Code::Unavailable | tonic::Code::ResourceExhausted if retry_info.is_some() => {
                    Attempt::PushBack {
                        wait: retry_info.and_then(|r| r.retry_delay).unwrap_or(DEFAULT_RETRY_AFTER),
                        what: format!("gRPC {:?}: {}", status.code(), status.message()),
                    }
                }
                // UNAVAILABLE without a retry hint is the transport: nothing is listening.
                tonic::Code::Unavailable => Attempt::Failed(SendError::Unreachable {
                    endpoint: endpoint.to_owned(),
                    reason: grpc_reason(&status),
                }),
                tonic::Code::ResourceExhausted => Attempt::PushBack {
                    wait: DEFAULT_RETRY_AFTER,
                    what: format!("gRPC {:?}: {}", status.code(), status.message()),
                },
                code => Attempt::Failed(SendError::Refused(format!("gRPC {code:?}: {}", status.message()))),
            }
        }
    }
}

fn grpc_reason(status: &tonic::Status) -> String {
    match std::error::Error::source(status) {
        Some(source) => root_cause(source),
        None => status.message().to_owned(),
    }
}

/// The innermost source of `error` ("Connection refused (os error 111)"), which says more to a
/// user than the layers of client wrappers around it.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// An HTTP server on 127.0.0.1 answering the n-th request with `answers[n]` (the last one
    /// repeated); returns its URL and the request count.
    async fn server(answers: Vec<&'static str>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let answer = answers[n.min(answers.len() - 1)];
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then the body its Content-Length announces.
                while let Ok(read) = stream.read(&mut buf).await {
                    if read == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..read]);
                    let text = String::from_utf8_lossy(&request).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        (url, count)
    }

    const OK: &str =
        "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    const FULL: &str =
        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    const BAD: &str = "HTTP/1.1 400 Bad Request\r\ncontent-length: 7\r\nconnection: close\r\n\r\nno good";

    fn request() -> ExportTraceServiceRequest {
        ExportTraceServiceRequest::default()
    }

    #[tokio::test]
    async fn pushback_is_waited_out() {
        let (url, count) = server(vec![FULL, FULL, OK]).await;
        let mut sender = OtlpSender::new(&url, DemoProtocol::Http).unwrap();
        let accepted = sender.send(&request()).await.unwrap();
        assert_eq!(accepted.pushbacks, 2);
        assert_eq!(count.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn endless_pushback_gives_up() {
        let (url, count) = server(vec![FULL]).await;
        let mut sender = OtlpSender::new(&url, DemoProtocol::Http).unwrap();
        let error = sender.send(&request()).await.unwrap_err();
        assert!(
            matches!(
                error,
                SendError::PushedBack {
                    attempts: MAX_ATTEMPTS,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(count.load(Ordering::SeqCst), MAX_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn refusals_are_not_retried() {
        let (url, count) = server(vec![BAD, OK]).await;
        let mut sender = OtlpSender::new(&url, DemoProtocol::Http).unwrap();
        let error = sender.send(&request()).await.unwrap_err();
        assert_eq!(error, SendError::Refused("HTTP 400 Bad Request no good".into()));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn nothing_listening_is_unreachable() {
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        for protocol in [DemoProtocol::Http, DemoProtocol::Grpc] {
            let mut sender = OtlpSender::new(&format!("http://127.0.0.1:{port}"), protocol).unwrap();
            let error = sender.send(&request()).await.unwrap_err();
            assert!(
                matches!(error, SendError::Unreachable { .. }),
                "{protocol:?}: {error:?}"
            );
        }
    }
}
