//! Pure OpenTelemetry → AWS X-Ray translation.
//!
//! This crate turns spans into X-Ray segment documents following every rule of the project's
//! `translation.md`: local-root splitting, the MakeSegment pipeline with attribute consumption,
//! names and namespaces, `http`, fault/error/throttle and `cause` (with stack-trace parsing for
//! Java, Python, JavaScript, .NET, Go and PHP), the `aws` block, `origin`, `service`, `sql`, `user`,
//! annotations and metadata, links, and the size rule that shrinks documents over 64 KiB instead of
//! sending them to be rejected.
//!
//! It does no I/O and reads no clock or environment: the current time and the random id source
//! come in as arguments.
//!
//! | module | role |
//! |---|---|
//! | [`view`] | the borrowed span view both input forms are seen through |
//! | [`source`] | views of OTLP protobuf spans and SDK `SpanData` |
//! | [`wire`] | views straight from OTLP protobuf bytes, without decoding into OTLP messages |
//! | [`config`] | translation options and their defaults |
//! | [`batch`] | whole requests into one buffer of encoded documents, failures attributed |
//! | [`shrink`] | encoding within a byte budget |
//! | [`pack`] | embedding children into their root's document (a sending step, off by default) |
//!
//! ```
//! use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
//! use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig};
//!
//! let translator = Translator::new(TranslatorConfig::default());
//! let request = ExportTraceServiceRequest::default();
//! let mut batch = DocumentBatch::new();
//! let options = BatchOptions { now_unix_secs: 1_700_000_000, budget: Budget::PutTraceSegments };
//! translator.translate_otlp(&request, options, &mut batch);
//! for (info, json) in batch.documents() {
//!     println!("{} {}", info.id, std::str::from_utf8(json).unwrap());
//! }
//! assert!(batch.failures().is_empty());
//! ```

mod aws;
pub mod batch;
mod cause;
pub mod config;
mod error;
mod http;
mod keys;
mod metadata;
mod name;
pub mod pack;
mod pipeline;
pub mod shrink;
pub mod source;
mod sql;
mod stack;
pub mod view;
pub mod wire;

pub use aws::{ResourceAws, ResourceContext};
pub use batch::{BatchOptions, DocumentBatch, DocumentInfo, Failure, FailureReason, SpanScratch};
pub use config::{ConventionReading, TranslatorConfig};
pub use error::{DocumentError, TranslateError};
pub use metadata::sanitize_annotation_key;
pub use name::{fix_segment_name, sanitize_name};
pub use pipeline::IdSource;
pub use shrink::{Budget, Encoded, encode_within};
pub use wire::WireError;

use otel_xray_model::Segment;
use pipeline::Prepared;
use view::SpanRef;

/// Translates spans into X-Ray segment documents. Immutable and shareable between threads.
pub struct Translator {
    prepared: Prepared,
}

impl std::fmt::Debug for Translator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translator")
            .field("config", &self.prepared.config)
            .finish()
    }
}

impl Translator {
    /// A translator with these options.
    pub fn new(config: TranslatorConfig) -> Self {
        let indexed = config::KeySet::new(&config.indexed_attributes);
        Self {
            prepared: Prepared { config, indexed },
        }
    }

    /// The options in use.
    pub fn config(&self) -> &TranslatorConfig {
        &self.prepared.config
    }

    /// Precomputes what a resource contributes to each of its spans' documents.
    pub fn resource_context<'a>(&'a self, resource: view::ResourceRef<'a>) -> ResourceContext<'a> {
        ResourceContext::new(resource, &self.prepared.config.aws_log_groups)
    }

    /// Translates one span into its one or two typed documents (two for a local root of kind
    /// client, producer, consumer or unspecified), handed to `emit` in the spec's order. On error
    /// nothing is emitted.
    pub fn translate_span<'a>(
        &'a self,
        span: &SpanRef<'a>,
        ctx: &'a ResourceContext<'a>,
        now_unix_secs: u64,
        ids: &mut dyn IdSource,
        mut emit: impl FnMut(Segment<'a>),
    ) -> Result<(), TranslateError> {
        let mut slots = pipeline::blank_slots();
        let n = pipeline::translate_span(span, ctx, &self.prepared, ids, now_unix_secs, &mut slots)?;
        for seg in slots.into_iter().take(n) {
            emit(seg);
        }
        Ok(())
    }
}
