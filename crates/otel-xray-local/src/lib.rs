//! Local X-Ray: an embedded, X-Ray-compatible trace backend.
//!
//! With no AWS account at hand, `otel-xray run` delivers into this backend through the same
//! `PutTraceSegments` code path it uses for AWS. The backend keeps segment documents in an
//! embedded SQLite database and answers the X-Ray read API (`BatchGetTraces`,
//! `GetTraceSummaries` with filter expressions, `GetServiceGraph`, `GetTraceGraph`) with the real
//! API's request and response shapes, so boto3 and the AWS CLI work against it with
//! `--endpoint-url`. The same server hosts a web viewer: the trace list, a trace timeline and the
//! service map.
//!
//! | module | what it holds |
//! |---|---|
//! | [`filter`] | the X-Ray filter-expression language: parser and evaluator over [`filter::TraceFacts`] |
//! | [`store`] | the SQLite store: ingest with X-Ray's validation, queries, retention and size cap |
//! | [`api`] | the X-Ray REST API routes and error shapes |
//! | [`web`] | the web viewer's assets, shipped inside the binary |
//!
//! What differs from the service, on purpose:
//!
//! * SigV4 signatures are not verified (signed and unsigned requests are served alike, as moto
//!   does), so the browser viewer can call the API directly.
//! * `BatchGetTraces` returns documents as they were sent; an independent subsegment is its own
//!   entry in `Segments`. No inferred segments are synthesised.
//! * The service graph's nodes and edges follow the rule in [`store::facts`]; no `client` node.
//! * `TimeRangeType: TraceId` uses the trace id's epoch only when it is plausible (see
//!   [`store::trace_time`]), since W3C-derived ids carry random bits there.
//! * Groups, sampling and insights APIs are absent; `Sampling` in `GetTraceSummaries` is ignored.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use otel_xray_local::{LocalOptions, LocalXray};
//!
//! let xray = LocalXray::open(LocalOptions::default())?; // in memory
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:2001").await?;
//! xray.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod filter;
mod server;
pub mod store;
pub mod web;

pub use server::{DEFAULT_MAX_BYTES, DEFAULT_RETENTION, ENFORCE_INTERVAL, LocalOptions, LocalXray};
pub use store::OpenError;
