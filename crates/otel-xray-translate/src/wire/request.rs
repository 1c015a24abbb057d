//! The request's outer messages: `ExportTraceServiceRequest`, `ResourceSpans`, `ScopeSpans`,
//! and the `Resource`, `InstrumentationScope` and `EntityRef` messages checked on the way.

use super::error::WireError;
use super::reader::{RECURSION_LIMIT, Reader};
use super::span::SpanScratch;
use super::value::{Mode, key_value};
use crate::view::{Attr, ResourceRef, SpanRef};

/// What a decoded request is handed to, in request order: each `ResourceSpans`' resource, then
/// its spans.
pub(crate) trait SpanSink<'a> {
    /// The resource of the spans that follow (until the next call).
    fn resource(&mut self, resource: ResourceRef<'a>);
    /// One span.
    fn span(&mut self, span: &SpanRef<'a>);
}

/// Decodes `bytes` as an `ExportTraceServiceRequest`, handing resources and spans to `sink` as
/// they are read. Fails on the first error; what `sink` got before it is to be discarded.
pub(crate) fn decode_request<'a>(bytes: &'a [u8], sink: &mut impl SpanSink<'a>) -> Result<(), WireError> {
    let mut scratch = SpanScratch::new();
    let mut r = Reader::new(bytes, 0);
    let depth = RECURSION_LIMIT;
    while let Some(key) = r.key("ExportTraceServiceRequest")? {
        if key.tag == 1 {
            let rs = r.message_field(key, depth, "ExportTraceServiceRequest.resource_spans")?;
            resource_spans(rs, depth - 1, &mut scratch, sink)?;
        } else {
            r.skip(key, depth, "ExportTraceServiceRequest")?;
        }
    }
    Ok(())
}

/// Reads a `ResourceSpans` message: its resource first (wherever its pieces are), then its spans.
fn resource_spans<'a>(
    r: Reader<'a>,
    depth: u32,
    scratch: &mut SpanScratch<'a>,
    sink: &mut impl SpanSink<'a>,
) -> Result<(), WireError> {
    // First pass: every field but the spans, checked; the resource's pieces merged.
    let mut attributes = Vec::new();
    let mut first = r;
    while let Some(key) = first.key("ResourceSpans")? {
        match key.tag {
            1 => {
                let piece = first.message_field(key, depth, "ResourceSpans.resource")?;
                resource(piece, depth - 1, &mut attributes)?;
            }
            2 => {
                first.message_field(key, depth, "ResourceSpans.scope_spans")?;
            }
            3 => {
                first.str_field(key, "ResourceSpans.schema_url")?;
            }
            _ => first.skip(key, depth, "ResourceSpans")?,
        }
    }
    sink.resource(ResourceRef { attributes });
    // Second pass: the scope spans (the other fields were checked above).
    let mut second = r;
    while let Some(key) = second.key("ResourceSpans")? {
        if key.tag == 2 {
            let ss = second.message_field(key, depth, "ResourceSpans.scope_spans")?;
            scope_spans(ss, depth - 1, scratch, sink)?;
        } else {
            second.skip(key, depth, "ResourceSpans")?;
        }
    }
    Ok(())
}

/// Reads one `Resource` piece, appending its attributes.
fn resource<'a>(mut r: Reader<'a>, depth: u32, attributes: &mut Vec<Attr<'a>>) -> Result<(), WireError> {
    while let Some(key) = r.key("Resource")? {
        match key.tag {
            1 => {
                let kv = r.message_field(key, depth, "Resource.attributes")?;
                attributes.push(key_value(kv, depth - 1, Mode::Check)?);
            }
            2 => {
                r.varint_field(key, "Resource.dropped_attributes_count")?;
            }
            3 => {
                let entity = r.message_field(key, depth, "Resource.entity_refs")?;
                entity_ref(entity, depth - 1)?;
            }
            _ => r.skip(key, depth, "Resource")?,
        }
    }
    Ok(())
}

/// Checks an `EntityRef` message (not used in translation).
fn entity_ref(mut r: Reader<'_>, depth: u32) -> Result<(), WireError> {
    while let Some(key) = r.key("EntityRef")? {
        match key.tag {
            1 => r.str_field(key, "EntityRef.schema_url").map(drop)?,
            2 => r.str_field(key, "EntityRef.type").map(drop)?,
            3 => r.str_field(key, "EntityRef.id_keys").map(drop)?,
            4 => r.str_field(key, "EntityRef.description_keys").map(drop)?,
            _ => r.skip(key, depth, "EntityRef")?,
        }
    }
    Ok(())
}

/// Reads a `ScopeSpans` message, handing each span to `sink`.
fn scope_spans<'a>(
    mut r: Reader<'a>,
    depth: u32,
    scratch: &mut SpanScratch<'a>,
    sink: &mut impl SpanSink<'a>,
) -> Result<(), WireError> {
    while let Some(key) = r.key("ScopeSpans")? {
        match key.tag {
            1 => {
                let scope = r.message_field(key, depth, "ScopeSpans.scope")?;
                instrumentation_scope(scope, depth - 1)?;
            }
            2 => {
                let span = r.message_field(key, depth, "ScopeSpans.spans")?;
                scratch.read(span, depth - 1)?;
                sink.span(&scratch.span);
            }
            3 => {
                r.str_field(key, "ScopeSpans.schema_url")?;
            }
            _ => r.skip(key, depth, "ScopeSpans")?,
        }
    }
    Ok(())
}

/// Checks an `InstrumentationScope` message (not used in translation).
fn instrumentation_scope(mut r: Reader<'_>, depth: u32) -> Result<(), WireError> {
    while let Some(key) = r.key("InstrumentationScope")? {
        match key.tag {
            1 => r.str_field(key, "InstrumentationScope.name").map(drop)?,
            2 => r.str_field(key, "InstrumentationScope.version").map(drop)?,
            3 => {
                let kv = r.message_field(key, depth, "InstrumentationScope.attributes")?;
                key_value(kv, depth - 1, Mode::Check)?;
            }
            4 => r
                .varint_field(key, "InstrumentationScope.dropped_attributes_count")
                .map(drop)?,
            _ => r.skip(key, depth, "InstrumentationScope")?,
        }
    }
    Ok(())
}

/// Counts the spans of an `ExportTraceServiceRequest` reading only its outer messages (requests,
/// resource spans and scope spans): a cheap look before deciding to decode the whole request.
///
/// An error here is one full decoding would also report; the converse does not hold (the spans
/// themselves are not read).
pub fn count_spans(bytes: &[u8]) -> Result<usize, WireError> {
    let mut spans = 0;
    let mut r = Reader::new(bytes, 0);
    let depth = RECURSION_LIMIT;
    while let Some(key) = r.key("ExportTraceServiceRequest")? {
        if key.tag != 1 {
            r.skip(key, depth, "ExportTraceServiceRequest")?;
            continue;
        }
        let mut rs = r.message_field(key, depth, "ExportTraceServiceRequest.resource_spans")?;
        let depth = depth - 1;
        while let Some(key) = rs.key("ResourceSpans")? {
            if key.tag != 2 {
                // Checked as a field of its type only by the full decoding.
                rs.skip(key, depth, "ResourceSpans")?;
                continue;
            }
            let mut ss = rs.message_field(key, depth, "ResourceSpans.scope_spans")?;
            let depth = depth - 1;
            while let Some(key) = ss.key("ScopeSpans")? {
                if key.tag == 2 {
                    ss.message_field(key, depth, "ScopeSpans.spans")?;
                    spans += 1;
                } else {
                    ss.skip(key, depth, "ScopeSpans")?;
                }
            }
        }
    }
    Ok(spans)
}

/// Checks that `bytes` is an `ExportTraceServiceRequest` protobuf decoding accepts, without
/// translating it.
pub fn check_request(bytes: &[u8]) -> Result<(), WireError> {
    struct Discard;
    impl<'a> SpanSink<'a> for Discard {
        fn resource(&mut self, _: ResourceRef<'a>) {}
        fn span(&mut self, _: &SpanRef<'a>) {}
    }
    decode_request(bytes, &mut Discard)
}
