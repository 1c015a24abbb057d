//! OTLP protobuf straight into span views: a borrowed, zero-copy decoder of
//! `ExportTraceServiceRequest`.
//!
//! [`crate::Translator::translate_otlp_bytes`] reads the request's bytes once and hands each span
//! to the translator as a [`SpanRef`](crate::view::SpanRef) whose strings and byte fields point
//! into those bytes: no OTLP message is built, no string is copied, and the span, attribute, event
//! and link vectors are reused from span to span. Arrays and maps in attribute values stay
//! encoded ([`WireArray`], [`WireMap`]) and are read when the translation looks at them.
//!
//! The decoding is written by hand because prost (0.14) generates only owned message types
//! (`String`, `Vec`), which is what this module avoids; prost's own helpers decode the varints. It
//! accepts and rejects exactly what `ExportTraceServiceRequest::decode` does: every field of the
//! OTLP trace schema is checked for its wire type and every `string` for UTF-8 (including fields
//! translation does not use, such as `trace_state` or the instrumentation scope), unknown fields
//! are skipped (groups included), messages may nest 100 deep, and a message that appears more
//! than once is merged by protobuf's rules (last scalar wins, repeated fields append, nested
//! messages merge). When it rejects a request, [`WireError`] says which field and byte offset.
//!
//! | file | role |
//! |---|---|
//! | `reader.rs` | field keys, scalars, length-delimited fields, skipping unknown fields |
//! | `value.rs` | `KeyValue` and `AnyValue`; encoded arrays and maps |
//! | `span.rs` | `Span`, its events, links and status, into a reused [`SpanRef`](crate::view::SpanRef) |
//! | `request.rs` | the request, resource spans, scope spans, resource and scope |
//! | `translate.rs` | [`crate::Translator::translate_otlp_bytes`] |
//! | `error.rs` | [`WireError`] |
//!
//! ```
//! use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
//! use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig, WireError};
//! use prost::Message;
//!
//! let translator = Translator::new(TranslatorConfig::default());
//! let options = BatchOptions { now_unix_secs: 1_700_000_000, budget: Budget::PutTraceSegments };
//! let mut batch = DocumentBatch::new();
//! let bytes = ExportTraceServiceRequest::default().encode_to_vec();
//! translator.translate_otlp_bytes(&bytes, options, &mut batch)?;
//! assert_eq!(batch.spans(), 0);
//!
//! // A `resource_spans` field announcing 5 bytes where only 1 follows.
//! let error = translator.translate_otlp_bytes(&[0x0a, 0x05, 0x0a], options, &mut batch).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "field ExportTraceServiceRequest.resource_spans at byte 2 needs 5 bytes but only 1 remain"
//! );
//! # Ok::<(), WireError>(())
//! ```

mod error;
mod reader;
mod request;
mod span;
mod translate;
mod value;

pub use error::{WireError, WireTypeName};
pub use request::{check_request, count_spans};
pub use value::{WireArray, WireArrayIter, WireMap, WireMapIter};
