//! Translating an OTLP protobuf request from its bytes.

use super::error::WireError;
use super::request::{SpanSink, decode_request};
use crate::Translator;
use crate::aws::ResourceContext;
use crate::batch::{BatchOptions, DocumentBatch, SpanScratch};
use crate::pipeline::IdSource;
use crate::view::{ResourceRef, SpanRef};

/// Translates each span as it is decoded.
///
/// The request's resource contexts live in an arena for the whole request, so that the documents
/// kept in `scratch` from span to span (which borrow from the context) can outlive a change of
/// resource: no document is built from scratch per span.
struct TranslateSink<'c, 'o> {
    translator: &'c Translator,
    contexts: &'c typed_arena::Arena<ResourceContext<'c>>,
    ctx: &'c ResourceContext<'c>,
    scratch: SpanScratch<'c>,
    options: BatchOptions,
    ids: &'o mut dyn IdSource,
    out: &'o mut DocumentBatch,
}

impl<'a: 'c, 'c> SpanSink<'a> for TranslateSink<'c, '_> {
    fn resource(&mut self, resource: ResourceRef<'a>) {
        self.ctx = self.contexts.alloc(ResourceContext::new(
            resource,
            &self.translator.prepared.config.aws_log_groups,
        ));
    }

    fn span(&mut self, span: &SpanRef<'a>) {
        self.translator
            .translate_into_reusing(span, self.ctx, self.options, self.ids, &mut self.scratch, self.out);
    }
}

impl Translator {
    /// Translates a binary protobuf OTLP `ExportTraceServiceRequest` from its bytes, with ids
    /// from `ids`: the same documents and failures, in the same order, as
    /// [`Translator::translate_resource_spans_with_ids`] on the decoded request, without decoding
    /// it into OTLP messages first (see [`crate::wire`]).
    ///
    /// # Errors
    ///
    /// When the bytes are not a valid request (where `ExportTraceServiceRequest::decode` fails).
    /// Spans are translated as they are read, so `out` then holds the documents of the spans
    /// before the error: discard it.
    pub fn translate_otlp_bytes_with_ids(
        &self,
        bytes: &[u8],
        options: BatchOptions,
        ids: &mut dyn IdSource,
        out: &mut DocumentBatch,
    ) -> Result<(), WireError> {
        let contexts = typed_arena::Arena::new();
        let ctx = contexts.alloc(ResourceContext::new(
            ResourceRef::default(),
            &self.prepared.config.aws_log_groups,
        ));
        let mut sink = TranslateSink {
            translator: self,
            contexts: &contexts,
            ctx,
            scratch: SpanScratch::new(),
            options,
            ids,
            out,
        };
        decode_request(bytes, &mut sink)
    }

    /// [`Translator::translate_otlp_bytes_with_ids`] with ids from the thread's CSPRNG: the
    /// gateway's form, like [`Translator::translate_otlp`] on the decoded request.
    ///
    /// # Errors
    ///
    /// As [`Translator::translate_otlp_bytes_with_ids`].
    pub fn translate_otlp_bytes(
        &self,
        bytes: &[u8],
        options: BatchOptions,
        out: &mut DocumentBatch,
    ) -> Result<(), WireError> {
        self.translate_otlp_bytes_with_ids(bytes, options, &mut rand::rng(), out)
    }
}
