//! Why a span gives no documents, or a document is dropped.

use otel_xray_model::encode::EncodeError;
use otel_xray_model::{SegmentId, TraceId};

/// Why a span could not be translated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TranslateError {
    /// The trace id is not 16 bytes.
    #[error("invalid trace id: expected 16 bytes, got {len}")]
    InvalidTraceId {
        /// Bytes given.
        len: usize,
    },
    /// The span id is not 8 bytes, or is all zero.
    #[error("invalid span id: expected 8 bytes, not all zero (got {len} bytes)")]
    InvalidSpanId {
        /// Bytes given.
        len: usize,
    },
    /// The parent span id is neither empty nor 8 bytes.
    #[error("invalid parent span id: expected 0 or 8 bytes, got {len}")]
    InvalidParentSpanId {
        /// Bytes given.
        len: usize,
    },
    /// A link's trace id or span id has the wrong length.
    #[error("invalid link {index}: trace id must be 16 bytes and span id 8 bytes")]
    InvalidLink {
        /// Position of the link in the span.
        index: usize,
    },
    /// The opt-in epoch check rejected the span's (or a link's) trace id.
    #[error("invalid xray traceid: {hex}")]
    TraceIdOutOfWindow {
        /// The 32 hex digits of the rejected id.
        hex: String,
    },
    /// A document holds a value JSON cannot express (NaN or infinite number).
    #[error(transparent)]
    Unencodable(#[from] EncodeError),
}

impl TranslateError {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidTraceId { .. } => "invalid_trace_id",
            Self::InvalidSpanId { .. } => "invalid_span_id",
            Self::InvalidParentSpanId { .. } => "invalid_parent_span_id",
            Self::InvalidLink { .. } => "invalid_link",
            Self::TraceIdOutOfWindow { .. } => "trace_id_out_of_window",
            Self::Unencodable(_) => "unencodable",
        }
    }
}

/// Why one document was dropped after translation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocumentError {
    /// Even after every shrinking step the document exceeds the budget.
    #[error("segment {id} of trace {trace_id} is {size} bytes after shrinking, over the {budget}-byte limit")]
    TooLarge {
        /// Trace of the dropped document.
        trace_id: TraceId,
        /// Id of the dropped document.
        id: SegmentId,
        /// Encoded size after shrinking.
        size: usize,
        /// The budget it had to fit.
        budget: usize,
    },
    /// The document holds a value JSON cannot express.
    #[error(transparent)]
    Unencodable(#[from] EncodeError),
}

impl DocumentError {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Unencodable(_) => "unencodable",
        }
    }
}
