//! Getting X-Ray segment documents to X-Ray.
//!
//! | module | role |
//! |---|---|
//! | [`classify`] | pure retry decisions for failed calls and `UnprocessedTraceSegments` codes |
//! | [`backoff`] | exponential backoff with full jitter in a bounded budget |
//! | [`deliver`](mod@deliver) | chunks of ≤ 50 documents, independent chunks, retries, a report for every document |
//! | [`aws_setup`] | the one AWS configuration loader: region, credentials, role, endpoint |
//! | [`http_client`] | the one HTTP client to AWS: proxy, extra CA roots, `no_verify_ssl` |
//! | [`api`] | `PutTraceSegments` through `aws-sdk-xray` with the standard credential chain |
//! | [`telemetry`] | periodic `PutTelemetryRecords` with segment counts, like the X-Ray daemon |
//! | [`daemon`] | the daemon's UDP protocol, never blocking |
//!
//! The library exporter and the gateway share all of it.

pub mod api;
pub mod aws_setup;
pub mod backoff;
pub mod classify;
pub mod daemon;
pub mod deliver;
mod escape;
pub mod http_client;
mod request_body;
pub mod telemetry;

pub use api::{ApiOptions, ApiSetupError, XrayApiSink};
pub use aws_setup::XrayAws;
pub use backoff::RetryPolicy;
pub use classify::{CallFailure, Decision};
pub use daemon::{DaemonAddress, DaemonClient, DaemonSendError};
pub use deliver::{
    CallError, DeliveryReport, DropReason, Dropped, OutgoingDocument, SegmentSink, Unprocessed, deliver, deliver_chunk,
};
pub use http_client::HttpClientOptions;
