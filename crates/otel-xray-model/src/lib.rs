//! AWS X-Ray segment documents as Rust types.
//!
//! This crate knows X-Ray and nothing of OpenTelemetry:
//!
//! | module | what it holds |
//! |---|---|
//! | [`ids`] | [`TraceId`] (`1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`) and [`SegmentId`] (16 hex), strict parsing |
//! | [`segment`] | [`Segment`] and its objects: `http`, `aws` (ec2/ecs/eks/elastic_beanstalk/xray/cloudwatch_logs), `sql`, `cause`, links, subsegments |
//! | [`value`] | annotation and metadata values, keyed lists written as JSON objects |
//! | [`limits`] | every X-Ray limit as a named constant |
//! | [`encode`] | encoding into reusable buffers with the encoded size known |
//! | [`preencoded`] | typed values encoded once and spliced into many documents (a resource's `aws` keys and `otel.resource.*` metadata) |
//! | [`json`] | the hand-written JSON encoder behind [`encode`] (same bytes as `serde_json`, faster) |
//! | [`daemon`] | the daemon's UDP framing |
//!
//! ```
//! use otel_xray_model::{encode::encode_into, limits::MAX_DOCUMENT_BYTES, Segment, SegmentId, TraceId};
//!
//! let trace_id: TraceId = "1-5759e988-bd862e3fe1be46a994272793".parse()?;
//! let id: SegmentId = "70de5b6f19ff9a0a".parse()?;
//! let doc = Segment::new("checkout", id, trace_id, 1_478_293_361.271, 1_478_293_361.449);
//! let mut buf = Vec::new();
//! let size = encode_into(&doc, &mut buf)?;
//! assert!(size <= MAX_DOCUMENT_BYTES);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod daemon;
pub mod encode;
pub mod ids;
pub mod json;
pub mod limits;
pub mod preencoded;
pub mod segment;
pub mod value;

pub use ids::{IdError, SegmentId, TraceId};
pub use preencoded::PreEncoded;
pub use segment::{
    Aws, AwsResource, Cause, CauseDetails, Ec2, Ecs, Eks, ElasticBeanstalk, Exception, Http, HttpRequest, HttpResponse,
    Link, LogGroup, Segment, SegmentType, Service, Sql, StackFrame, XRay,
};
pub use value::{AnnotationValue, Annotations, KeyedList, MetaValue, Metadata, Namespace, SplicedEntries};
