//! Local X-Ray: an embedded, X-Ray-compatible trace backend.
//!
//! With no AWS account at hand, `otel-xray run` delivers into this backend through the same
//! `PutTraceSegments` code path it uses for AWS. The backend keeps segment documents in an
//! embedded SQLite database and answers the X-Ray read API (`BatchGetTraces`,
//! `GetTraceSummaries` with filter expressions, `GetServiceGraph`) with the real API's request
//! and response shapes, so boto3 and the AWS CLI work against it with `--endpoint-url`. The same
//! server hosts a web viewer: the trace list, a trace timeline and the service map.
//!
//! | module | what it holds |
//! |---|---|
//! | [`filter`] | the X-Ray filter-expression language: parser and evaluator over [`filter::TraceFacts`] |
//! | [`store`] | the SQLite store: ingest with X-Ray's validation, queries, retention and size cap |
//! | [`api`] | the X-Ray REST API routes and error shapes |
//! | [`web`] | the web viewer's assets, shipped inside the binary |

pub mod api;
pub mod filter;
pub mod store;
pub mod web;
