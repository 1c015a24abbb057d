//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on tonic.
//!
//! Requests may be gzip- or zstd-compressed (`grpc-encoding`). tonic enforces the size cap on the
//! message as received and again while decompressing, so a compression bomb stops at the cap.
//!
//! tonic reads (and decompresses) the message before the handler runs, and answers failures there
//! with codes that OTLP clients would misread: `OUT_OF_RANGE` for a message over the cap (OTLP
//! retries it), `INTERNAL` for bad compression. [`OtlpGrpcService`] serves the method (as the
//! generated `TraceServiceServer` would, with its own codec: see `ExportCodec`), notices answers
//! that never reached the handler, counts them, and gives them the codes OTLP asks for:
//! `RESOURCE_EXHAUSTED` without `RetryInfo` (grpc-go's answer, not retried) for size and
//! `INVALID_ARGUMENT` for bad data. The codec hands the handler the message's bytes, which the
//! ingress decodes while translating (`otel_xray_translate::wire`); malformed protobuf is
//! answered `INVALID_ARGUMENT` there, with the field and byte offset that were wrong.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::SERVICE_NAME;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use prost::Message;
use prost::bytes::{Buf, Bytes};
use tokio::net::TcpListener;
use tokio::time::Instant;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{Body, BoxFuture, CompressionEncoding, Service, StdError, http};
use tonic::server::{Grpc, UnaryService};
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::{InFlightLimit, RETRY_AFTER, log_queue_refusal, refuse, too_many_requests_message};
use crate::metrics::{Metrics, ReceiverLabel};
use crate::pipeline::queue::QueueError;
use crate::pipeline::{Ingress, SubmitError};

/// The receiver label in metrics and logs.
pub const RECEIVER: &str = "otlp_grpc";

/// The one method served.
pub const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// The export handler: every request goes to the [`Ingress`] as a whole, as protobuf bytes it
/// decodes while translating.
#[derive(Debug, Clone)]
pub struct TraceReceiver {
    ingress: Ingress,
}

impl TraceReceiver {
    /// Answers one `Export` call whose message is `request` (the protobuf bytes).
    async fn export(&self, request: Request<Bytes>) -> Result<Response<ExportTraceServiceResponse>, Status> {
        if let Some(reached) = request.extensions().get::<ReachedHandler>() {
            reached.0.store(true, Ordering::Relaxed);
        }
        match self.ingress.submit_otlp_protobuf(RECEIVER, request.get_ref()) {
            Ok(outcome) => Ok(Response::new(ExportTraceServiceResponse {
                partial_success: (outcome.rejected_spans > 0).then(|| ExportTracePartialSuccess {
                    rejected_spans: i64::try_from(outcome.rejected_spans).unwrap_or(i64::MAX),
                    error_message: outcome.error_message.unwrap_or_default(),
                }),
            })),
            Err(SubmitError::Malformed(error)) => {
                let message = format!("the request is not a protobuf ExportTraceServiceRequest: {error}");
                refuse(self.ingress.metrics(), RECEIVER, "malformed_protobuf", &message);
                Err(Status::invalid_argument(message))
            }
            Err(SubmitError::Queue(error)) => {
                log_queue_refusal(RECEIVER, &error);
                Err(queue_status(&error))
            }
        }
    }
}

/// The gRPC status for a request the queue refused.
fn queue_status(error: &QueueError) -> Status {
    match error {
        // OTLP's back-pressure signal: retryable, after the delay in RetryInfo.
        QueueError::Full { .. } | QueueError::Closed => Status::with_error_details(
            Code::Unavailable,
            format!("{error}; retry after {} s", RETRY_AFTER.as_secs()),
            ErrorDetails::with_retry_info(Some(RETRY_AFTER)),
        ),
        // Not retryable: without RetryInfo, OTLP clients drop the data.
        QueueError::TooLarge { .. } => {
            Status::resource_exhausted(format!("{error}; split the request into smaller ones"))
        }
    }
}

/// Set by the handler, so that the wrapper knows an error came from tonic's decoding.
#[derive(Debug, Clone, Default)]
struct ReachedHandler(Arc<AtomicBool>);

/// The OTLP/gRPC service to add to a tonic server: the `TraceService/Export` method (with gzip
/// and zstd accepted and the size cap configured, like the generated `TraceServiceServer`, but
/// decoding with [`ExportCodec`]), wrapped to count requests refused while decoding and to observe
/// `request_seconds`.
#[derive(Debug, Clone)]
pub struct OtlpGrpcService {
    receiver: Arc<TraceReceiver>,
    max_request_bytes: usize,
    metrics: Arc<Metrics>,
    limit: InFlightLimit,
}

/// The service for `ingress`, accepting gzip and zstd and at most `max_request_bytes` per
/// message (compressed and decompressed), with a permit of `limit` per export.
pub fn service(ingress: Ingress, max_request_bytes: usize, limit: InFlightLimit) -> OtlpGrpcService {
    let metrics = Arc::clone(ingress.metrics());
    OtlpGrpcService {
        receiver: Arc::new(TraceReceiver { ingress }),
        max_request_bytes,
        metrics,
        limit,
    }
}

impl tonic::server::NamedService for OtlpGrpcService {
    const NAME: &'static str = SERVICE_NAME;
}

/// The export method as tonic's unary service.
struct ExportMethod(Arc<TraceReceiver>);

impl UnaryService<Bytes> for ExportMethod {
    type Response = ExportTraceServiceResponse;
    type Future = BoxFuture<Response<ExportTraceServiceResponse>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let receiver = Arc::clone(&self.0);
        Box::pin(async move { receiver.export(request).await })
    }
}

/// The protobuf codec of the export method. Unlike tonic's generic prost codec, it does not
/// decode: it hands the message's bytes, in one contiguous buffer, to the handler, which decodes
/// them while translating ([`Ingress::submit_otlp_protobuf`]).
#[derive(Debug, Clone, Copy, Default)]
struct ExportCodec;

impl Codec for ExportCodec {
    type Encode = ExportTraceServiceResponse;
    type Decode = Bytes;
    type Encoder = ExportCodec;
    type Decoder = ExportCodec;

    fn encoder(&mut self) -> Self::Encoder {
        ExportCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        ExportCodec
    }
}

impl Encoder for ExportCodec {
    type Item = ExportTraceServiceResponse;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Self::Error> {
        item.encode(dst)
            .map_err(|e| Status::internal(format!("could not encode the response: {e}")))
    }
}

impl Decoder for ExportCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Self::Error> {
        // The whole message, contiguous: tonic's buffer hands it over without a copy.
        let len = buf.remaining();
        Ok(Some(buf.copy_to_bytes(len)))
    }
}

impl<B> Service<http::Request<B>> for OtlpGrpcService
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let started = Instant::now();
        let reached = ReachedHandler::default();
        request.extensions_mut().insert(reached.clone());
        let is_export = request.uri().path() == EXPORT_PATH;
        if !is_export {
            let metrics = Arc::clone(&self.metrics);
            return Box::pin(async move {
                let mut response = http::Response::new(tonic::body::Body::default());
                let headers = response.headers_mut();
                headers.insert(Status::GRPC_STATUS, (Code::Unimplemented as i32).into());
                headers.insert(http::header::CONTENT_TYPE, tonic::metadata::GRPC_CONTENT_TYPE);
                normalize_decoding_refusal(&mut response, &metrics, false);
                Ok(response)
            });
        }
        // Taken before tonic reads and decodes the message, held until the answer is ready.
        let Some(permit) = self.limit.try_acquire(RECEIVER) else {
            let status = Status::with_error_details(
                Code::Unavailable,
                too_many_requests_message(self.limit.limit()),
                ErrorDetails::with_retry_info(Some(RETRY_AFTER)),
            );
            return Box::pin(async move { Ok(status.into_http()) });
        };
        let metrics = Arc::clone(&self.metrics);
        let method = ExportMethod(Arc::clone(&self.receiver));
        let max_request_bytes = self.max_request_bytes;
        Box::pin(async move {
            let _permit = permit;
            let mut grpc = Grpc::new(ExportCodec)
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd)
                .max_decoding_message_size(max_request_bytes);
            let mut response = grpc.unary(method, request).await;
            if !reached.0.load(Ordering::Relaxed) {
                normalize_decoding_refusal(&mut response, &metrics, true);
            }
            metrics
                .request_seconds
                .get_or_create(&ReceiverLabel { receiver: RECEIVER })
                .observe(started.elapsed().as_secs_f64());
            Ok(response)
        })
    }
}

/// For an error answered before the handler ran (tonic's decoding), counts the refusal and
/// replaces the status code with the one OTLP expects. tonic sends these as trailers-only
/// responses, so the code is in the headers.
fn normalize_decoding_refusal(response: &mut http::Response<tonic::body::Body>, metrics: &Metrics, is_export: bool) {
    let Some(code) = response
        .headers()
        .get(Status::GRPC_STATUS)
        .map(|v| Code::from_bytes(v.as_bytes()))
    else {
        return;
    };
    let message = response
        .headers()
        .get(Status::GRPC_MESSAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (reason, otlp_code) = match code {
        Code::Ok => return,
        Code::OutOfRange => ("too_large", Code::ResourceExhausted),
        Code::ResourceExhausted => ("decompressed_too_large", Code::ResourceExhausted),
        Code::Internal if message.starts_with("Error decompressing") => ("bad_compression", Code::InvalidArgument),
        Code::Internal => ("malformed_protobuf", Code::InvalidArgument),
        Code::Unimplemented if is_export => ("unsupported_content_encoding", Code::Unimplemented),
        Code::Unimplemented => ("unknown_method", Code::Unimplemented),
        other => ("unreadable_body", other),
    };
    refuse(metrics, RECEIVER, reason, &message);
    if otlp_code != code {
        response
            .headers_mut()
            .insert(Status::GRPC_STATUS, http::HeaderValue::from(otlp_code as i32));
    }
}

/// HTTP/2 flow-control window of each request stream.
const STREAM_WINDOW_BYTES: u32 = 1 << 20;
/// HTTP/2 flow-control window of each connection (all its streams together).
const CONNECTION_WINDOW_BYTES: u32 = 2 << 20;
/// Largest HTTP/2 frame the receiver accepts (h2's default is 16 KiB).
const MAX_FRAME_BYTES: u32 = 256 << 10;

/// Serves `service` on `listener` (with `TCP_NODELAY` on every accepted connection) until
/// `shutdown` resolves, then lets requests in progress finish.
pub(crate) async fn serve(
    listener: TcpListener,
    service: OtlpGrpcService,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    // HTTP/2 flow control: with h2's default 64 KiB windows a 512-span request (about 450 KiB)
    // arrives in small frames, each acknowledged by a WINDOW_UPDATE before the client may send
    // more. Larger windows (what grpc-go grows to by BDP estimation) and frames let a request
    // arrive in a few frames; memory stays bounded per connection by the connection window.
    let served = tonic::transport::Server::builder()
        .initial_stream_window_size(STREAM_WINDOW_BYTES)
        .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await;
    match served {
        Ok(()) => tracing::info!(receiver = RECEIVER, "The OTLP/gRPC receiver has stopped."),
        Err(error) => tracing::error!(receiver = RECEIVER, error = %error, "The OTLP/gRPC receiver failed."),
    }
}
