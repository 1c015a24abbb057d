//! The X-Ray REST API: `PutTraceSegments` (`POST /TraceSegments`), `BatchGetTraces`
//! (`POST /Traces`), `GetTraceSummaries` (`POST /TraceSummaries`), `GetServiceGraph`
//! (`POST /ServiceGraph`), `GetTraceGraph` (`POST /TraceGraph`) and the sampling APIs
//! `GetSamplingRules` / `GetSamplingTargets` (X-Ray's default rule only), with the service's JSON
//! shapes and its error shape (`x-amzn-ErrorType` header, `{"message": …}` body).
//!
//! `BatchGetTraces` returns the documents as they were sent; an independent subsegment is its
//! own entry in `Segments` (as moto does), not merged into its parent.
//!
//! | file | concern |
//! |---|---|
//! | `routes.rs` | the handlers and request checks |
//! | `model.rs` | request and response bodies |
//! | `errors.rs` | the error shape |
//! | `summary.rs` | a trace's facts as a summary |
//! | `graph.rs` | merging trace graphs into a service graph |
//! | `token.rs` | `NextToken` |
//! | `sampling.rs` | the sampling APIs (one default rule) |

mod errors;
mod graph;
pub mod model;
mod routes;
pub mod sampling;
mod summary;
mod token;

pub use errors::{ApiError, ERROR_TYPE_HEADER};
pub use routes::{MAX_BODY_BYTES, MAX_TRACE_GRAPH_IDS, PAGE_SIZE, SCAN_LIMIT, routes};
