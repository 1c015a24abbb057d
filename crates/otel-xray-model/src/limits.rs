//! Every X-Ray limit this project enforces, as a named constant.
//!
//! Sources: the X-Ray developer guide ("Segment documents"), the X-Ray quotas page and the
//! X-Ray daemon's source, as collected in the project's `xray-protocol.md`.

/// Largest segment document X-Ray accepts through `PutTraceSegments`, in bytes (64 KiB).
pub const MAX_DOCUMENT_BYTES: usize = 65_536;

/// Largest UDP payload over IPv4, and so the largest daemon datagram (header line included).
pub const MAX_DAEMON_DATAGRAM_BYTES: usize = 65_507;

/// The canonical daemon header line, without its trailing newline.
pub const DAEMON_HEADER: &str = r#"{"format":"json","version":1}"#;

/// Largest document that fits in one daemon datagram behind the canonical header and newline.
pub const MAX_DAEMON_DOCUMENT_BYTES: usize = MAX_DAEMON_DATAGRAM_BYTES - DAEMON_HEADER.len() - 1;

/// Most documents one `PutTraceSegments` call may carry.
pub const MAX_DOCUMENTS_PER_PUT: usize = 50;

/// Longest segment name X-Ray accepts, in bytes after this project's sanitising.
pub const MAX_NAME_BYTES: usize = 200;

/// Default length limit of string values in a segment document, in characters.
pub const MAX_STRING_CHARS: usize = 250;

/// X-Ray indexes at most this many annotations per trace.
pub const MAX_ANNOTATIONS_PER_TRACE: usize = 50;

/// Longest annotation key the X-Ray SDK documentation allows, in characters.
pub const MAX_ANNOTATION_KEY_CHARS: usize = 500;

/// Longest annotation string value the X-Ray SDK documentation allows, in characters.
pub const MAX_ANNOTATION_VALUE_CHARS: usize = 1_000;

/// Regional quota of segments per second (not adjustable).
pub const SEGMENTS_PER_SECOND_QUOTA: u32 = 2_600;

/// Lower trace size limit when a trace's segments arrive spread over time, in bytes.
pub const TRACE_SIZE_LOWER_BYTES: usize = 100 * 1024;

/// Dynamic upper trace size limit when a trace's segments arrive together, in bytes.
pub const TRACE_SIZE_UPPER_BYTES: usize = 500 * 1024;

/// Oldest trace-id epoch accepted by the opt-in timestamp check: 28 days, in seconds.
pub const TRACE_ID_MAX_AGE_SECS: u64 = 2_419_200;

/// Furthest future trace-id epoch accepted by the opt-in timestamp check: 5 minutes, in seconds.
pub const TRACE_ID_MAX_FUTURE_SECS: u64 = 300;

/// How long X-Ray keeps traces and service graphs, in days.
pub const RETENTION_DAYS: u32 = 30;

/// How long after its start a trace may still be modified, in days.
pub const MODIFICATION_PERIOD_DAYS: u32 = 7;

/// Trace ids per `BatchGetTraces` call.
pub const MAX_TRACE_IDS_PER_BATCH_GET: usize = 5;

/// Length of a hex segment id.
pub const SEGMENT_ID_HEX_LEN: usize = 16;

/// Length of an X-Ray trace id string (`1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`).
pub const TRACE_ID_STR_LEN: usize = 35;

/// Default UDP and TCP address of the X-Ray daemon.
pub const DEFAULT_DAEMON_ADDRESS: &str = "127.0.0.1:2000";
