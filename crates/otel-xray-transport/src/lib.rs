//! Getting X-Ray segment documents to X-Ray.
//!
//! | module | role |
//! |---|---|
//! | [`classify`] | pure retry decisions for failed calls and `UnprocessedTraceSegments` codes |
//! | [`backoff`] | exponential backoff with full jitter in a bounded budget |
//! | [`deliver`] | chunks of ≤ 50 documents, independent chunks, retries, a report for every document |
//! | [`api`] | `PutTraceSegments` through `aws-sdk-xray` with the standard credential chain |
//! | [`daemon`] | the daemon's UDP protocol, never blocking |
//!
//! The library exporter and the gateway share all of it.

pub mod api;
pub mod backoff;
pub mod classify;
pub mod daemon;
pub mod deliver;

pub use api::{ApiOptions, ApiSetupError, XrayApiSink};
pub use backoff::RetryPolicy;
pub use classify::{CallFailure, Decision};
pub use daemon::{DaemonAddress, DaemonClient, DaemonSendError};
pub use deliver::{
    CallError, DeliveryReport, DropReason, Dropped, OutgoingDocument, SegmentSink, Unprocessed, deliver, deliver_chunk,
};
