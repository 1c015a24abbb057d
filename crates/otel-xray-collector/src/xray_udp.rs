//! The X-Ray daemon's UDP receiver: X-Ray SDKs (and OpenTelemetry's X-Ray UDP exporters) send
//! one segment document per datagram to `127.0.0.1:2000`; the gateway takes the daemon's place.
//!
//! ```text
//! datagram ──► size check ──► daemon header (`split_datagram`) ──► document checks ──► Ingress
//!    │              │                 │                                  │         ("xray_udp")
//!    └──────────────┴─────────────────┴────── rejected: counted by reason, logged (rate-limited)
//! ```
//!
//! # What is checked
//!
//! The daemon forwards any document behind a valid header and leaves validation to X-Ray, which
//! then rejects bad documents in `UnprocessedTraceSegments` long after the sender is gone. The
//! receiver checks what X-Ray documents as required (`xray-protocol.md` §1.2, §1.4), so that a bad
//! document is counted with a precise reason and the peer's address instead of costing a batch
//! slot and a quota unit:
//!
//! | rule | reason label |
//! |---|---|
//! | the datagram fits the buffer (`max_datagram_bytes`, at most 65,535); the document is ≤ 64 KiB | `too_large` |
//! | a header line `{"format":"json","version":1}` (any spacing, `json` in any case), a newline, a non-empty body | `bad_header` |
//! | the body is UTF-8 and one JSON object (nothing after it; nesting within `serde_json`'s limit) | `invalid_json` |
//! | `id`, `name`, `start_time`, and `end_time` or `in_progress: true`, in the document and in every embedded subsegment | `missing_field` |
//! | `trace_id` in the document; with `"type":"subsegment"` (an independent, "streamed" subsegment) `parent_id` too | `missing_field` |
//! | `id` and `parent_id` are 16 hex digits; `trace_id` is `1-<8 hex>-<24 hex>` (wherever they appear) | `invalid_id` |
//! | `name` is a non-empty string of ≤ 200 characters (a segment) or ≤ 250 (a subsegment) | `invalid_name` |
//! | `start_time`/`end_time` are numbers, `in_progress` a boolean, `type` is `"subsegment"`, `subsegments` an array of objects | `invalid_field` |
//!
//! Nothing else is examined: unknown fields and every optional object (`http`, `aws`, `cause`,
//! `sql`, `metadata`, …) pass through untouched, and **the document is forwarded byte for byte as
//! received** (the header line and surrounding whitespace removed). Duplicate keys are allowed,
//! the last one counting, as in the JSON parsers X-Ray's own tooling uses.
//!
//! # Why not deserialize into `otel_xray_model::Segment`
//!
//! The model is made for building documents, and it is stricter than X-Ray about optional data
//! that real SDKs send. The X-Ray SDK for Node.js, for one, records exceptions without an `id`
//! and writes a stack frame's unparsable line number as `"line": null`
//! (`packages/core/lib/segments/attributes/captured_exception.js`); both fail `Segment`'s
//! deserialization although the daemon and X-Ray take such documents. Validation therefore reads
//! a borrowed view holding only the checked fields (everything else is skipped without being
//! built), and uses the model's strict id parsers ([`SegmentId`], [`TraceId`]) and its limits.
//! Re-serializing a `Segment` would also drop fields the model lacks, so the original bytes are
//! what is forwarded in any case.
//!
//! # Runtime behaviour
//!
//! One task reads datagrams into one reused buffer (65,536 bytes by default), so memory is
//! bounded by that buffer, the socket's receive buffer (`SO_RCVBUF`, 4 MiB requested; Linux caps
//! it at twice `net.core.rmem_max`) and the pipeline's byte-bounded queue. A full queue refuses
//! the document (counted by the ingress as `requests_refused{receiver="xray_udp",reason="queue_full"}`)
//! and logs a rate-limited warning: like the daemon, the receiver drops rather than blocks.
//!
//! ```no_run
//! # async fn example(ingress: otel_xray_collector::pipeline::Ingress) -> Result<(), Box<dyn std::error::Error>> {
//! use otel_xray_collector::xray_udp::XrayUdpReceiver;
//!
//! let handle = XrayUdpReceiver::start("127.0.0.1:2000".parse()?, ingress)?;
//! println!("listening on {}", handle.local_addr());
//! // … on shutdown, before draining the pipeline:
//! handle.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use otel_xray_model::daemon::{DaemonFrameError, split_datagram};
use otel_xray_model::limits::{MAX_DOCUMENT_BYTES, MAX_NAME_BYTES, MAX_STRING_CHARS};
use otel_xray_model::{SegmentId, TraceId};
use otel_xray_transport::OutgoingDocument;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::log_limit::LogLimiter;
use crate::pipeline::Ingress;
use crate::pipeline::queue::QueueError;

/// The receiver label of this receiver in metrics.
pub const RECEIVER: &str = "xray_udp";

/// The largest datagram the receiver can take: the largest UDP payload an IP datagram can hold
/// (IPv4 allows 65,507 bytes, IPv6 65,527 without jumbograms).
pub const MAX_UDP_DATAGRAM_BYTES: usize = 65_535;

/// A segment's name limit in characters (SEGDOC: "200 characters"; the model's constant of the
/// same value bounds the translator's sanitised names).
const MAX_SEGMENT_NAME_CHARS: usize = MAX_NAME_BYTES;

/// A subsegment's name limit in characters: X-Ray states no name limit for subsegments, so the
/// general 250-character string limit applies.
const MAX_SUBSEGMENT_NAME_CHARS: usize = MAX_STRING_CHARS;

/// How many characters of a rejected value a log line quotes.
const QUOTE_CHARS: usize = 48;

/// Receiver settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XrayUdpOptions {
    /// `SO_RCVBUF` to request: room for bursts while the receiver is busy. The kernel may grant
    /// less (Linux: at most twice `net.core.rmem_max`); the granted size is logged at start.
    pub socket_receive_buffer_bytes: usize,
    /// Datagrams longer than this are rejected as `too_large` (capped at
    /// [`MAX_UDP_DATAGRAM_BYTES`]). The read buffer is one byte longer, to tell a datagram that
    /// fills the limit from one that was cut short.
    pub max_datagram_bytes: usize,
}

impl Default for XrayUdpOptions {
    fn default() -> Self {
        Self {
            socket_receive_buffer_bytes: 4 << 20,
            max_datagram_bytes: MAX_UDP_DATAGRAM_BYTES,
        }
    }
}

/// Why the receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot bind the X-Ray UDP receiver to {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// `start` or `bind` was called outside a Tokio runtime.
    #[error("the X-Ray UDP receiver must be started inside a Tokio runtime")]
    NoRuntime,
}

/// Where in a document a rejected field is, e.g. `subsegments[0].subsegments[2].id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    subsegments: Vec<u32>,
    field: &'static str,
}

impl FieldPath {
    fn new(subsegments: &[u32], field: &'static str) -> Self {
        Self {
            subsegments: subsegments.to_vec(),
            field,
        }
    }

    /// The field's name, without the subsegment path.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The indices of the embedded subsegments leading to the field (empty for the document's
    /// own fields).
    pub fn subsegments(&self) -> &[u32] {
        &self.subsegments
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.subsegments {
            write!(f, "subsegments[{i}].")?;
        }
        f.write_str(self.field)
    }
}

/// Why a datagram was not forwarded. [`Rejection::reason`] is the metric label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The datagram has no valid daemon header line, or nothing after it.
    #[error("bad daemon framing: {0}")]
    BadHeader(DaemonFrameError),
    /// The datagram or the document exceeds its limit.
    #[error("the {what} ({}) exceeds the {limit}-byte limit", size_text(.size, .truncated))]
    TooLarge {
        /// `datagram` or `document`.
        what: &'static str,
        /// Bytes received (for a truncated datagram: the buffer's size).
        size: usize,
        /// Whether the datagram was cut short by the read buffer, so `size` is a lower bound.
        truncated: bool,
        /// The limit.
        limit: usize,
    },
    /// The document is not UTF-8, not JSON, or not one JSON object.
    #[error("the document is not a JSON object: {0}")]
    InvalidJson(String),
    /// A required field is absent (or `null`).
    #[error("the required field `{0}` is missing")]
    MissingField(FieldPath),
    /// An id does not have X-Ray's form.
    #[error("`{path}` is not {expected}: {value:?}")]
    InvalidId {
        /// Where.
        path: FieldPath,
        /// The form required.
        expected: &'static str,
        /// The value found (shortened).
        value: String,
    },
    /// The name is empty or too long.
    #[error("`{path}` must have 1 to {limit} characters, not {chars}")]
    InvalidName {
        /// Where.
        path: FieldPath,
        /// Characters found.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// A checked field has the wrong type or value.
    #[error("`{path}` must be {expected}")]
    InvalidField {
        /// Where.
        path: FieldPath,
        /// What it must be.
        expected: &'static str,
    },
}

fn size_text(size: &usize, truncated: &bool) -> String {
    if *truncated {
        format!("more than {} bytes", size.saturating_sub(1))
    } else {
        format!("{size} bytes")
    }
}

impl Rejection {
    /// The metric label: `bad_header`, `too_large`, `invalid_json`, `missing_field`,
    /// `invalid_id`, `invalid_name` or `invalid_field`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::BadHeader(_) => "bad_header",
            Self::TooLarge { .. } => "too_large",
            Self::InvalidJson(_) => "invalid_json",
            Self::MissingField(_) => "missing_field",
            Self::InvalidId { .. } => "invalid_id",
            Self::InvalidName { .. } => "invalid_name",
            Self::InvalidField { .. } => "invalid_field",
        }
    }
}

/// A document that passed the checks, borrowing the received bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidDocument<'a> {
    /// The trace.
    pub trace_id: TraceId,
    /// The segment's or subsegment's id.
    pub id: SegmentId,
    /// The parent, if the document names one.
    pub parent_id: Option<SegmentId>,
    /// `"type":"subsegment"`: an independent ("streamed") subsegment.
    pub is_subsegment: bool,
    /// `in_progress: true`.
    pub in_progress: bool,
    /// The document exactly as received.
    pub json: &'a str,
}

/// Checks one received datagram: its size, its header, then its document
/// ([`validate_document`]).
pub fn validate_datagram(datagram: &[u8], max_datagram_bytes: usize) -> Result<ValidDocument<'_>, Rejection> {
    if datagram.len() > max_datagram_bytes {
        return Err(Rejection::TooLarge {
            what: "datagram",
            size: datagram.len(),
            truncated: true,
            limit: max_datagram_bytes,
        });
    }
    let body = split_datagram(datagram).map_err(Rejection::BadHeader)?;
    validate_document(body)
}

/// Checks one segment document against the rules in the module documentation.
pub fn validate_document(document: &[u8]) -> Result<ValidDocument<'_>, Rejection> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(Rejection::TooLarge {
            what: "document",
            size: document.len(),
            truncated: false,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let json = std::str::from_utf8(document).map_err(|e| Rejection::InvalidJson(format!("it is not UTF-8 ({e})")))?;
    let view: View<'_> = serde_json::from_str(json).map_err(|e| match e.classify() {
        serde_json::error::Category::Data if !json.trim_start().starts_with('{') => {
            Rejection::InvalidJson(format!("it is some other JSON value ({e})"))
        }
        // Only `subsegments` can have the wrong shape: every other checked field is read raw.
        serde_json::error::Category::Data => Rejection::InvalidField {
            path: FieldPath::new(&[], "subsegments"),
            expected: "an array of subsegment objects",
        },
        _ => Rejection::InvalidJson(e.to_string()),
    })?;
    let mut path = Vec::new();
    let top = check(&view, Level::Document, &mut path)?;
    Ok(ValidDocument {
        trace_id: top
            .trace_id
            .ok_or_else(|| Rejection::MissingField(FieldPath::new(&[], "trace_id")))?,
        id: top.id,
        parent_id: top.parent_id,
        is_subsegment: top.is_subsegment,
        in_progress: top.in_progress,
        json,
    })
}

/// The checked fields of a document or embedded subsegment, borrowed from the input; all other
/// fields are skipped without being built. A field given as `null` counts as absent.
#[derive(Debug, Default)]
struct View<'a> {
    name: Option<&'a RawValue>,
    id: Option<&'a RawValue>,
    trace_id: Option<&'a RawValue>,
    parent_id: Option<&'a RawValue>,
    kind: Option<&'a RawValue>,
    start_time: Option<&'a RawValue>,
    end_time: Option<&'a RawValue>,
    in_progress: Option<&'a RawValue>,
    subsegments: Vec<View<'a>>,
}

#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    Name,
    Id,
    TraceId,
    ParentId,
    #[serde(rename = "type")]
    Kind,
    StartTime,
    EndTime,
    InProgress,
    Subsegments,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for View<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ViewVisitor;

        impl<'de> Visitor<'de> for ViewVisitor {
            type Value = View<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a segment document object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<View<'de>, A::Error> {
                let mut view = View::default();
                // Duplicate keys: the last one counts.
                while let Some(key) = map.next_key::<Field>()? {
                    let slot = match key {
                        Field::Name => &mut view.name,
                        Field::Id => &mut view.id,
                        Field::TraceId => &mut view.trace_id,
                        Field::ParentId => &mut view.parent_id,
                        Field::Kind => &mut view.kind,
                        Field::StartTime => &mut view.start_time,
                        Field::EndTime => &mut view.end_time,
                        Field::InProgress => &mut view.in_progress,
                        Field::Subsegments => {
                            view.subsegments = map.next_value::<Option<Vec<View<'de>>>>()?.unwrap_or_default();
                            continue;
                        }
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value::<Option<&'de RawValue>>()?;
                }
                Ok(view)
            }
        }

        deserializer.deserialize_map(ViewVisitor)
    }
}

/// The document itself, or a subsegment embedded in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Document,
    Embedded,
}

/// What the checks of one level found.
struct Checked {
    id: SegmentId,
    trace_id: Option<TraceId>,
    parent_id: Option<SegmentId>,
    is_subsegment: bool,
    in_progress: bool,
}

fn shorten(raw: &str) -> String {
    let mut out: String = raw.chars().take(QUOTE_CHARS).collect();
    if out.len() < raw.len() {
        out.push('…');
    }
    out
}

/// A JSON string's value, or `None` if `raw` is some other JSON value.
fn as_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str::<Cow<'_, str>>(raw.get()).ok()
}

fn segment_id(raw: &RawValue, path: &[u32], field: &'static str) -> Result<SegmentId, Rejection> {
    as_str(raw)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Rejection::InvalidId {
            path: FieldPath::new(path, field),
            expected: "16 hex digits",
            value: shorten(raw.get()),
        })
}

fn trace_id(raw: &RawValue, path: &[u32]) -> Result<TraceId, Rejection> {
    as_str(raw)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Rejection::InvalidId {
            path: FieldPath::new(path, "trace_id"),
            expected: "an X-Ray trace id (1-<8 hex digits>-<24 hex digits>)",
            value: shorten(raw.get()),
        })
}

fn number(raw: &RawValue, path: &[u32], field: &'static str) -> Result<f64, Rejection> {
    serde_json::from_str::<f64>(raw.get()).map_err(|_| Rejection::InvalidField {
        path: FieldPath::new(path, field),
        expected: "a number (epoch seconds)",
    })
}

fn required<'a>(field: &'static str, raw: Option<&'a RawValue>, path: &[u32]) -> Result<&'a RawValue, Rejection> {
    raw.ok_or_else(|| Rejection::MissingField(FieldPath::new(path, field)))
}

/// Checks one level and, depth first, its embedded subsegments. `path` holds the subsegment
/// indices leading here.
fn check(view: &View<'_>, level: Level, path: &mut Vec<u32>) -> Result<Checked, Rejection> {
    let id = segment_id(required("id", view.id, path)?, path, "id")?;

    let is_subsegment = match view.kind {
        None => false,
        Some(raw) if as_str(raw).as_deref() == Some("subsegment") => true,
        Some(_) => {
            return Err(Rejection::InvalidField {
                path: FieldPath::new(path, "type"),
                expected: "\"subsegment\" when present",
            });
        }
    };

    let name_raw = required("name", view.name, path)?;
    let name = as_str(name_raw).ok_or_else(|| Rejection::InvalidField {
        path: FieldPath::new(path, "name"),
        expected: "a string",
    })?;
    let limit = if level == Level::Document && !is_subsegment {
        MAX_SEGMENT_NAME_CHARS
    } else {
        MAX_SUBSEGMENT_NAME_CHARS
    };
    // Count at most one character past the limit: the name may be ~64 KiB long.
    let chars = name.chars().take(limit + 1).count();
    if chars == 0 || chars > limit {
        return Err(Rejection::InvalidName {
            path: FieldPath::new(path, "name"),
            chars: if chars > limit { name.chars().count() } else { chars },
            limit,
        });
    }

    let trace = match view.trace_id {
        Some(raw) => Some(trace_id(raw, path)?),
        // Embedded subsegments inherit their segment's trace.
        None if level == Level::Embedded => None,
        None => return Err(Rejection::MissingField(FieldPath::new(path, "trace_id"))),
    };

    let parent_id = match view.parent_id {
        Some(raw) => Some(segment_id(raw, path, "parent_id")?),
        None if level == Level::Document && is_subsegment => {
            return Err(Rejection::MissingField(FieldPath::new(path, "parent_id")));
        }
        None => None,
    };

    number(required("start_time", view.start_time, path)?, path, "start_time")?;
    let in_progress = match view.in_progress {
        None => false,
        Some(raw) => serde_json::from_str::<bool>(raw.get()).map_err(|_| Rejection::InvalidField {
            path: FieldPath::new(path, "in_progress"),
            expected: "a boolean",
        })?,
    };
    match view.end_time {
        Some(raw) => {
            number(raw, path, "end_time")?;
        }
        None if in_progress => {}
        None => return Err(Rejection::MissingField(FieldPath::new(path, "end_time"))),
    }

    for (i, sub) in view.subsegments.iter().enumerate() {
        path.push(u32::try_from(i).unwrap_or(u32::MAX));
        check(sub, Level::Embedded, path)?;
        path.pop();
    }

    Ok(Checked {
        id,
        trace_id: trace,
        parent_id,
        is_subsegment,
        in_progress,
    })
}

/// A bound X-Ray daemon UDP socket, not yet reading.
#[derive(Debug)]
pub struct XrayUdpReceiver {
    socket: UdpSocket,
    local_addr: SocketAddr,
    options: XrayUdpOptions,
}

/// A running receiver. Dropping it stops the receiver without waiting; [`XrayUdpHandle::shutdown`]
/// stops it and waits for the socket loop to end.
#[derive(Debug)]
#[must_use = "dropping the handle stops the receiver"]
pub struct XrayUdpHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl XrayUdpHandle {
    /// The address the socket is bound to (the real port when started on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops reading and returns once the socket loop has ended and the socket is closed. A
    /// document being handed to the pipeline when the trigger fires is queued first.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::error!(error = %e, "The X-Ray UDP receiver task ended abnormally.");
        }
    }
}

impl XrayUdpReceiver {
    /// Binds `addr` with default options and starts reading on the current Tokio runtime.
    pub fn start(addr: SocketAddr, ingress: Ingress) -> Result<XrayUdpHandle, StartError> {
        Self::start_with(addr, XrayUdpOptions::default(), ingress)
    }

    /// Binds `addr` with `options` and starts reading on the current Tokio runtime.
    pub fn start_with(
        addr: SocketAddr,
        options: XrayUdpOptions,
        ingress: Ingress,
    ) -> Result<XrayUdpHandle, StartError> {
        let receiver = Self::bind(addr, options)?;
        let local_addr = receiver.local_addr;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(receiver.run(ingress, async move {
            // A dropped handle stops the receiver as well.
            let _ = stopped.await;
        }));
        Ok(XrayUdpHandle {
            local_addr,
            stop: Some(stop),
            task,
        })
    }

    /// Binds the socket and sets its receive buffer. Must be called inside a Tokio runtime.
    pub fn bind(addr: SocketAddr, options: XrayUdpOptions) -> Result<Self, StartError> {
        use socket2::{Domain, Protocol, Socket, Type};

        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StartError::NoRuntime);
        }
        let bind_error = |source| StartError::Bind { addr, source };
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP)).map_err(bind_error)?;
        let requested = options.socket_receive_buffer_bytes;
        if let Err(e) = socket.set_recv_buffer_size(requested) {
            tracing::warn!(
                requested_bytes = requested,
                error = %e,
                "The socket receive buffer size could not be set; the system default applies."
            );
        }
        socket.set_nonblocking(true).map_err(bind_error)?;
        socket.bind(&addr.into()).map_err(bind_error)?;
        let socket = UdpSocket::from_std(socket.into()).map_err(bind_error)?;
        let local_addr = socket.local_addr().map_err(bind_error)?;
        let granted = socket2::SockRef::from(&socket).recv_buffer_size().unwrap_or(0);
        tracing::info!(
            %local_addr,
            requested_receive_buffer_bytes = requested,
            receive_buffer_bytes = granted,
            "The X-Ray UDP receiver is listening."
        );
        Ok(Self {
            socket,
            local_addr,
            options: XrayUdpOptions {
                max_datagram_bytes: options.max_datagram_bytes.clamp(1, MAX_UDP_DATAGRAM_BYTES),
                ..options
            },
        })
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Reads datagrams and hands valid documents to `ingress` until `shutdown` completes, then
    /// closes the socket.
    pub async fn run(self, ingress: Ingress, shutdown: impl Future<Output = ()>) {
        let Self {
            socket,
            local_addr,
            options,
        } = self;
        let mut state = LoopState {
            ingress,
            max_datagram_bytes: options.max_datagram_bytes,
            rejected_log: LogLimiter::new(Duration::from_secs(10), 5),
            refused_log: LogLimiter::new(Duration::from_secs(10), 1),
            error_log: LogLimiter::new(Duration::from_secs(10), 1),
        };
        // One byte more than the limit, so that an over-long datagram is seen as such rather
        // than silently cut to the limit.
        let mut buf = vec![0u8; options.max_datagram_bytes + 1];
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                received = socket.recv_from(&mut buf) => match received {
                    Ok((n, peer)) => state.handle(&buf[..n], peer),
                    Err(e) => {
                        state.socket_error(&e);
                        // A persistent error must not become a busy loop.
                        tokio::select! {
                            biased;
                            () = &mut shutdown => break,
                            () = tokio::time::sleep(Duration::from_millis(10)) => {}
                        }
                    }
                },
            }
        }
        drop(socket);
        tracing::info!(%local_addr, "The X-Ray UDP receiver has stopped.");
    }
}

/// The socket loop's state.
struct LoopState {
    ingress: Ingress,
    max_datagram_bytes: usize,
    rejected_log: LogLimiter,
    refused_log: LogLimiter,
    error_log: LogLimiter,
}

impl LoopState {
    fn handle(&mut self, datagram: &[u8], peer: SocketAddr) {
        let doc = match validate_datagram(datagram, self.max_datagram_bytes) {
            Ok(doc) => doc,
            Err(rejection) => {
                self.ingress.metrics().translation_failure(RECEIVER, rejection.reason());
                if let Some(suppressed) = self.rejected_log.allow(Instant::now()) {
                    tracing::warn!(
                        %peer,
                        reason = rejection.reason(),
                        error = %rejection,
                        bytes = datagram.len(),
                        suppressed,
                        "A datagram was rejected and not forwarded to X-Ray."
                    );
                }
                return;
            }
        };
        let outgoing = OutgoingDocument {
            trace_id: doc.trace_id,
            id: doc.id,
            json: doc.json.to_owned(),
        };
        // The ingress counts refusals by reason; here they are only logged.
        if let Err(e) = self.ingress.submit_documents(RECEIVER, vec![outgoing]) {
            let level_is_warn = !matches!(e, QueueError::Closed);
            if let Some(suppressed) = self.refused_log.allow(Instant::now()) {
                if level_is_warn {
                    tracing::warn!(
                        %peer,
                        trace_id = %doc.trace_id,
                        id = %doc.id,
                        error = %e,
                        suppressed,
                        "A segment document was dropped because the pipeline refused it."
                    );
                } else {
                    tracing::debug!(
                        %peer,
                        trace_id = %doc.trace_id,
                        id = %doc.id,
                        suppressed,
                        "A segment document was dropped because the pipeline is shutting down."
                    );
                }
            }
        }
    }

    fn socket_error(&mut self, e: &std::io::Error) {
        if let Some(suppressed) = self.error_log.allow(Instant::now()) {
            tracing::warn!(error = %e, suppressed, "Reading from the X-Ray UDP socket failed.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "1-5759e988-bd862e3fe1be46a994272793";

    fn reason(doc: &str) -> &'static str {
        match validate_document(doc.as_bytes()) {
            Ok(_) => "ok",
            Err(e) => e.reason(),
        }
    }

    #[test]
    fn the_minimal_segment_is_valid() {
        let doc = format!(r#"{{"name":"a","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","start_time":1,"end_time":2}}"#);
        let v = validate_document(doc.as_bytes()).unwrap();
        assert_eq!(v.trace_id.to_string(), TRACE);
        assert_eq!(v.id.to_string(), "70de5b6f19ff9a0a");
        assert!(!v.is_subsegment && !v.in_progress && v.parent_id.is_none());
        assert_eq!(v.json, doc);
    }

    #[test]
    fn required_fields_are_required() {
        let full = [
            r#""name":"a""#,
            r#""id":"70de5b6f19ff9a0a""#,
            &format!(r#""trace_id":"{TRACE}""#),
            r#""start_time":1"#,
            r#""end_time":2"#,
        ];
        for skip in 0..full.len() {
            let fields: Vec<&str> = full
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, f)| *f)
                .collect();
            let doc = format!("{{{}}}", fields.join(","));
            assert_eq!(reason(&doc), "missing_field", "{doc}");
        }
        // `null` is absent.
        assert_eq!(
            reason(&format!(
                r#"{{"name":"a","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","start_time":1,"end_time":null}}"#
            )),
            "missing_field"
        );
        // `in_progress: true` replaces `end_time`; `false` does not.
        let open =
            format!(r#"{{"name":"a","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","start_time":1,"in_progress":true}}"#);
        assert!(validate_document(open.as_bytes()).unwrap().in_progress);
        assert_eq!(reason(&open.replace("true", "false")), "missing_field");
    }

    #[test]
    fn independent_subsegments_need_a_parent_and_a_trace() {
        let doc = format!(
            r#"{{"type":"subsegment","name":"db","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","parent_id":"53995c3f42cd8ad8","start_time":1,"end_time":2}}"#
        );
        let v = validate_document(doc.as_bytes()).unwrap();
        assert!(v.is_subsegment);
        assert_eq!(v.parent_id.unwrap().to_string(), "53995c3f42cd8ad8");
        let no_parent = doc.replace(r#""parent_id":"53995c3f42cd8ad8","#, "");
        let e = validate_document(no_parent.as_bytes()).unwrap_err();
        assert_eq!(e, Rejection::MissingField(FieldPath::new(&[], "parent_id")));
        assert_eq!(reason(&doc.replace(r#""subsegment""#, r#""segment""#)), "invalid_field");
    }

    #[test]
    fn ids_are_checked_wherever_they_appear() {
        let seg = |id: &str, trace: &str, parent: &str| {
            format!(
                r#"{{"name":"a","id":"{id}","trace_id":"{trace}","parent_id":"{parent}","start_time":1,"end_time":2}}"#
            )
        };
        assert_eq!(reason(&seg("70de5b6f19ff9a0a", TRACE, "53995c3f42cd8ad8")), "ok");
        assert_eq!(reason(&seg("70de5b6f19ff9a0", TRACE, "53995c3f42cd8ad8")), "invalid_id");
        assert_eq!(
            reason(&seg("70de5b6f19ff9a0g", TRACE, "53995c3f42cd8ad8")),
            "invalid_id"
        );
        assert_eq!(
            reason(&seg("70de5b6f19ff9a0a", "1-5759e988-bd862e3f", "53995c3f42cd8ad8")),
            "invalid_id"
        );
        assert_eq!(
            reason(&seg(
                "70de5b6f19ff9a0a",
                "5759e988bd862e3fe1be46a994272793",
                "53995c3f42cd8ad8"
            )),
            "invalid_id"
        );
        assert_eq!(reason(&seg("70de5b6f19ff9a0a", TRACE, "x")), "invalid_id");
        // A number where an id string belongs.
        assert_eq!(
            reason(&format!(
                r#"{{"name":"a","id":12,"trace_id":"{TRACE}","start_time":1,"end_time":2}}"#
            )),
            "invalid_id"
        );
        // Deep inside embedded subsegments, with the path in the error.
        let nested = format!(
            r#"{{"name":"a","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","start_time":1,"end_time":2,
               "subsegments":[{{"name":"b","id":"53995c3f42cd8ad8","start_time":1,"end_time":2,
                 "subsegments":[{{"name":"c","id":"nope","start_time":1,"end_time":2}}]}}]}}"#
        );
        let e = validate_document(nested.as_bytes()).unwrap_err();
        assert_eq!(e.reason(), "invalid_id");
        assert!(e.to_string().contains("subsegments[0].subsegments[0].id"), "{e}");
    }

    #[test]
    fn names_are_limited_in_characters() {
        let seg = |name: &str, kind: &str| {
            format!(
                r#"{{{kind}"name":"{name}","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","parent_id":"53995c3f42cd8ad8","start_time":1,"end_time":2}}"#
            )
        };
        assert_eq!(reason(&seg(&"é".repeat(200), "")), "ok");
        assert_eq!(reason(&seg(&"a".repeat(201), "")), "invalid_name");
        assert_eq!(reason(&seg("", "")), "invalid_name");
        assert_eq!(reason(&seg(&"a".repeat(250), r#""type":"subsegment","#)), "ok");
        assert_eq!(
            reason(&seg(&"a".repeat(251), r#""type":"subsegment","#)),
            "invalid_name"
        );
        assert_eq!(reason(&seg(r"\u00e9t\u00e9", "")), "ok");
    }

    #[test]
    fn types_of_checked_fields_are_checked() {
        let base = format!(r#""name":"a","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}""#);
        for (extra, expected) in [
            (r#""start_time":"1","end_time":2"#, "invalid_field"),
            (r#""start_time":1,"end_time":true"#, "invalid_field"),
            (r#""start_time":1,"in_progress":"yes""#, "invalid_field"),
            (r#""start_time":1,"end_time":2,"subsegments":{}"#, "invalid_field"),
            (r#""start_time":1,"end_time":2,"subsegments":[1]"#, "invalid_field"),
            (r#""start_time":1,"end_time":2,"subsegments":null"#, "ok"),
            (r#""start_time":1,"end_time":2,"name":5"#, "invalid_field"),
        ] {
            assert_eq!(reason(&format!("{{{base},{extra}}}")), expected, "{extra}");
        }
    }

    #[test]
    fn json_problems_are_invalid_json() {
        for doc in [
            "nope",
            "[1,2]",
            "\"str\"",
            "{",
            r#"{"name":"a"} trailing"#,
            "{\"a\":\u{1}}",
        ] {
            assert_eq!(reason(doc), "invalid_json", "{doc:?}");
        }
        assert_eq!(
            validate_document(b"{\"name\":\"\xff\"}").unwrap_err().reason(),
            "invalid_json"
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // Skipped values are walked without recursion: deep metadata costs no stack.
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let doc = format!(r#"{{"metadata":{deep}}}"#);
        assert_eq!(reason(&doc), "missing_field");
        // Checked subsegments recurse, within `serde_json`'s nesting limit.
        let sub = r#"{"name":"b","id":"53995c3f42cd8ad8","start_time":1,"end_time":2,"subsegments":["#;
        let doc = format!(
            r#"{{"name":"a","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","start_time":1,"end_time":2,"subsegments":[{}{}]}}"#,
            sub.repeat(200),
            "]}".repeat(200)
        );
        assert_eq!(reason(&doc), "invalid_json");
    }

    #[test]
    fn unknown_fields_and_duplicates_pass() {
        let doc = format!(
            r#"{{"name":"x","name":"a","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","start_time":1,"end_time":2,
               "future_field":{{"deep":[1,{{"id":"not checked"}}]}},"aws":{{"xray":{{"sdk":"X-Ray for Go"}}}}}}"#
        );
        assert_eq!(reason(&doc), "ok");
    }

    #[test]
    fn datagram_framing_and_size() {
        let doc = format!(r#"{{"name":"a","id":"70de5b6f19ff9a0a","trace_id":"{TRACE}","start_time":1,"end_time":2}}"#);
        let datagram = format!("{{\"format\": \"json\", \"version\": 1}}\n{doc}\n");
        assert_eq!(validate_datagram(datagram.as_bytes(), 65_535).unwrap().json, doc);
        assert_eq!(
            validate_datagram(doc.as_bytes(), 65_535).unwrap_err().reason(),
            "bad_header"
        );
        assert_eq!(
            validate_datagram(datagram.as_bytes(), 10).unwrap_err().reason(),
            "too_large"
        );
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert_eq!(validate_document(&big).unwrap_err().reason(), "too_large");
    }
}
