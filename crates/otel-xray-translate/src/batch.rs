//! Translating whole batches (an OTLP export request, or a batch of SDK spans) into encoded
//! documents kept in one buffer, with every failure recorded and attributed.

use std::ops::Range;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;
use otel_xray_model::{SegmentId, TraceId};

use crate::Translator;
use otel_xray_model::Segment;
use otel_xray_model::encode::encode_into;

use crate::aws::ResourceContext;
use crate::error::{DocumentError, TranslateError};
use crate::pack::{pack, unpack};
use crate::pipeline::IdSource;
use crate::shrink::{Budget, encode_within};
use crate::source::{SdkIds, otlp_resource, otlp_span_reusing, sdk_resource, sdk_span, sdk_span_reusing};
use crate::view::SpanRef;

/// The one or two documents of the span being translated, kept by a batch from span to span.
pub struct SpanScratch<'a> {
    slots: [Segment<'a>; 2],
}

impl SpanScratch<'_> {
    /// Two empty documents.
    pub fn new() -> Self {
        Self {
            slots: crate::pipeline::blank_slots(),
        }
    }
}

impl Default for SpanScratch<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SpanScratch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanScratch").finish_non_exhaustive()
    }
}

/// Per-batch inputs that do not come from the spans.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// The current time, Unix seconds (used only by the opt-in trace-id epoch check).
    pub now_unix_secs: u64,
    /// The size each document must fit.
    pub budget: Budget,
}

/// One encoded document in a [`DocumentBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInfo {
    range: Range<usize>,
    /// The document's trace.
    pub trace_id: TraceId,
    /// The document's id (what `UnprocessedTraceSegments` entries refer to).
    pub id: SegmentId,
    /// Whether shrinking steps were applied to fit the budget.
    pub shrunk: bool,
}

/// What went wrong, for one span or one document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FailureReason {
    /// The span gave no documents.
    #[error(transparent)]
    Span(#[from] TranslateError),
    /// One document of the span was dropped.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

impl FailureReason {
    /// A short label for metrics (`invalid_trace_id`, `too_large`, …).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Span(e) => e.reason(),
            Self::Document(e) => e.reason(),
        }
    }
}

/// A span or document that did not make it into the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The span's trace id, when it was valid.
    pub trace_id: Option<TraceId>,
    /// The span's id, when it was valid.
    pub span_id: Option<SegmentId>,
    /// Why.
    pub reason: FailureReason,
}

/// Encoded documents, in span order, and the failures met on the way.
#[derive(Debug, Default)]
pub struct DocumentBatch {
    bytes: Vec<u8>,
    docs: Vec<DocumentInfo>,
    failures: Vec<Failure>,
    spans: usize,
}

impl DocumentBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties the batch, keeping its buffers for reuse.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.docs.clear();
        self.failures.clear();
        self.spans = 0;
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Number of spans looked at.
    pub fn spans(&self) -> usize {
        self.spans
    }

    /// The documents, in order, with their JSON bytes.
    pub fn documents(&self) -> impl ExactSizeIterator<Item = (&DocumentInfo, &[u8])> + '_ {
        self.docs.iter().map(|d| (d, &self.bytes[d.range.clone()]))
    }

    /// The failures, in order.
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// Total encoded bytes.
    pub fn encoded_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Encodes one document within `budget`, recording a failure if it cannot be.
    fn push_document(&mut self, mut seg: Segment<'_>, budget: Budget) {
        let start = self.bytes.len();
        match encode_within(&mut seg, budget, &mut self.bytes) {
            Ok(enc) => self.docs.push(DocumentInfo {
                range: start..start + enc.len,
                trace_id: seg.trace_id.unwrap_or_default(),
                id: seg.id,
                shrunk: enc.shrunk,
            }),
            Err(e) => self.failures.push(Failure {
                trace_id: seg.trace_id,
                span_id: Some(seg.id),
                reason: e.into(),
            }),
        }
    }
}

impl Translator {
    /// Translates one span view and appends its documents to `out`.
    pub fn translate_into<'a>(
        &'a self,
        span: &SpanRef<'a>,
        ctx: &'a ResourceContext<'a>,
        options: BatchOptions,
        ids: &mut dyn IdSource,
        out: &mut DocumentBatch,
    ) {
        self.translate_into_reusing(span, ctx, options, ids, &mut SpanScratch::new(), out);
    }

    /// [`Translator::translate_into`] with the documents built in `scratch`, which a batch keeps
    /// from span to span: no document is moved, and their lists keep their capacity.
    pub fn translate_into_reusing<'a>(
        &'a self,
        span: &SpanRef<'a>,
        ctx: &'a ResourceContext<'a>,
        options: BatchOptions,
        ids: &mut dyn IdSource,
        scratch: &mut SpanScratch<'a>,
        out: &mut DocumentBatch,
    ) {
        out.spans += 1;
        let n = match crate::pipeline::translate_span(
            span,
            ctx,
            &self.prepared,
            ids,
            options.now_unix_secs,
            &mut scratch.slots,
        ) {
            Ok(n) => n,
            Err(e) => {
                out.failures.push(Failure {
                    trace_id: span.trace_id(),
                    span_id: span.span_id(),
                    reason: e.into(),
                });
                return;
            }
        };
        let before = (out.bytes.len(), out.docs.len(), out.failures.len());
        for seg in scratch.slots.iter_mut().take(n) {
            let start = out.bytes.len();
            match encode_within(seg, options.budget, &mut out.bytes) {
                Ok(enc) => out.docs.push(DocumentInfo {
                    range: start..start + enc.len,
                    trace_id: seg.trace_id.unwrap_or_default(),
                    id: seg.id,
                    shrunk: enc.shrunk,
                }),
                Err(DocumentError::Unencodable(e)) => {
                    // A value JSON cannot express: the whole span gives no documents (§1).
                    out.bytes.truncate(before.0);
                    out.docs.truncate(before.1);
                    out.failures.truncate(before.2);
                    out.failures.push(Failure {
                        trace_id: span.trace_id(),
                        span_id: span.span_id(),
                        reason: TranslateError::Unencodable(e).into(),
                    });
                    return;
                }
                Err(e) => out.failures.push(Failure {
                    trace_id: span.trace_id(),
                    span_id: Some(seg.id),
                    reason: e.into(),
                }),
            }
        }
    }

    /// Translates OTLP resource spans, in order.
    pub fn translate_resource_spans_with_ids(
        &self,
        resource_spans: &[ResourceSpans],
        options: BatchOptions,
        ids: &mut dyn IdSource,
        out: &mut DocumentBatch,
    ) {
        // One attribute vector for every span of the request.
        let mut attrs = Vec::new();
        for rs in resource_spans {
            let ctx = ResourceContext::new(
                otlp_resource(rs.resource.as_ref()),
                &self.prepared.config.aws_log_groups,
            );
            let mut scratch = SpanScratch::new();
            for ss in &rs.scope_spans {
                for span in &ss.spans {
                    let mut view = otlp_span_reusing(span, attrs);
                    self.translate_into_reusing(&view, &ctx, options, ids, &mut scratch, out);
                    attrs = std::mem::take(&mut view.attributes);
                }
            }
        }
    }

    /// Translates an OTLP export request (the gateway's form), with ids from the thread's CSPRNG.
    pub fn translate_otlp(&self, request: &ExportTraceServiceRequest, options: BatchOptions, out: &mut DocumentBatch) {
        self.translate_resource_spans_with_ids(&request.resource_spans, options, &mut rand::rng(), out);
    }

    /// Translates a batch of SDK spans sharing `resource` (the library's form), with ids from
    /// `ids`.
    pub fn translate_sdk_with_ids(
        &self,
        spans: &[SpanData],
        resource: &Resource,
        options: BatchOptions,
        ids: &mut dyn IdSource,
        out: &mut DocumentBatch,
    ) {
        let ctx = ResourceContext::new(sdk_resource(resource), &self.prepared.config.aws_log_groups);
        // The id bytes of every span up front (one allocation), so that one attribute vector
        // serves every span.
        let all_ids: Vec<SdkIds> = spans.iter().map(SdkIds::of).collect();
        let mut attrs = Vec::new();
        let mut scratch = SpanScratch::new();
        for (span, sdk_ids) in spans.iter().zip(&all_ids) {
            let mut view = sdk_span_reusing(span, sdk_ids, attrs);
            self.translate_into_reusing(&view, &ctx, options, ids, &mut scratch, out);
            attrs = std::mem::take(&mut view.attributes);
        }
    }

    /// Like [`Translator::translate_sdk_with_ids`], then packs children into their service-local
    /// root's document ([`crate::pack`]) when the packed document fits the budget; a tree that does
    /// not fit is sent as independent documents.
    pub fn translate_sdk_packed_with_ids(
        &self,
        spans: &[SpanData],
        resource: &Resource,
        options: BatchOptions,
        ids: &mut dyn IdSource,
        out: &mut DocumentBatch,
    ) {
        let ctx = ResourceContext::new(sdk_resource(resource), &self.prepared.config.aws_log_groups);
        let all_ids: Vec<SdkIds> = spans.iter().map(SdkIds::of).collect();
        let views: Vec<SpanRef<'_>> = spans.iter().zip(&all_ids).map(|(s, i)| sdk_span(s, i)).collect();
        let mut segs = Vec::with_capacity(views.len());
        for view in &views {
            out.spans += 1;
            if let Err(e) = self.translate_span(view, &ctx, options.now_unix_secs, ids, |s| segs.push(s)) {
                out.failures.push(Failure {
                    trace_id: view.trace_id(),
                    span_id: view.span_id(),
                    reason: e.into(),
                });
            }
        }
        let max = options.budget.max_document_bytes();
        for mut packed in pack(segs) {
            if packed.embedded > 0 {
                // A tree that fits only without its precursor ids is sent without them rather
                // than flat: one document instead of many matters more than the sibling order.
                let attempts = if packed.precursor_count() > 0 { 2 } else { 1 };
                let mut sent = false;
                for attempt in 0..attempts {
                    if attempt == 1 {
                        packed.clear_precursors();
                    }
                    let start = out.bytes.len();
                    if let Ok(len) = encode_into(&packed.root, &mut out.bytes) {
                        if len <= max {
                            out.docs.push(DocumentInfo {
                                range: start..start + len,
                                trace_id: packed.root.trace_id.unwrap_or_default(),
                                id: packed.root.id,
                                shrunk: false,
                            });
                            sent = true;
                            break;
                        }
                        out.bytes.truncate(start);
                    }
                }
                if sent {
                    continue;
                }
            }
            for seg in unpack(packed) {
                out.push_document(seg, options.budget);
            }
        }
    }

    /// Translates a batch of SDK spans sharing `resource`, with ids from the thread's CSPRNG.
    pub fn translate_sdk(
        &self,
        spans: &[SpanData],
        resource: &Resource,
        options: BatchOptions,
        out: &mut DocumentBatch,
    ) {
        self.translate_sdk_with_ids(spans, resource, options, &mut rand::rng(), out);
    }
}
