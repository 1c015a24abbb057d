//! Building [`SpanRef`] and [`ResourceRef`] views from OTLP protobuf and from SDK `SpanData`.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, Status};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use opentelemetry_proto::tonic::trace::v1::{
    Span as OtlpSpan, span::SpanKind as OtlpKind, status::StatusCode as OtlpCode,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;

use crate::view::{
    Attr, EventRef, LinkRef, ResourceRef, SpanKind, SpanRef, StatusCode, otlp_attr, sdk_attr, sdk_value,
};

/// Views an OTLP span.
pub fn otlp_span(span: &OtlpSpan) -> SpanRef<'_> {
    otlp_span_reusing(span, Vec::new())
}

/// [`otlp_span`], its attributes written into `attrs` (cleared first): a batch reuses one
/// vector for every span instead of allocating one per span.
pub(crate) fn otlp_span_reusing<'a>(span: &'a OtlpSpan, mut attrs: Vec<Attr<'a>>) -> SpanRef<'a> {
    attrs.clear();
    attrs.extend(span.attributes.iter().map(otlp_attr));
    let kind = match OtlpKind::try_from(span.kind) {
        Ok(OtlpKind::Internal) => SpanKind::Internal,
        Ok(OtlpKind::Server) => SpanKind::Server,
        Ok(OtlpKind::Client) => SpanKind::Client,
        Ok(OtlpKind::Producer) => SpanKind::Producer,
        Ok(OtlpKind::Consumer) => SpanKind::Consumer,
        Ok(OtlpKind::Unspecified) | Err(_) => SpanKind::Unspecified,
    };
    let (status, status_message) = match &span.status {
        None => (StatusCode::Unset, ""),
        Some(s) => (
            match OtlpCode::try_from(s.code) {
                Ok(OtlpCode::Error) => StatusCode::Error,
                Ok(OtlpCode::Ok) => StatusCode::Ok,
                _ => StatusCode::Unset,
            },
            s.message.as_str(),
        ),
    };
    SpanRef {
        trace_id: &span.trace_id,
        span_id: &span.span_id,
        parent_span_id: &span.parent_span_id,
        name: &span.name,
        kind,
        start_unix_nanos: span.start_time_unix_nano,
        end_unix_nanos: span.end_time_unix_nano,
        attributes: attrs,
        events: span
            .events
            .iter()
            .map(|e| EventRef {
                name: &e.name,
                time_unix_nanos: e.time_unix_nano,
                attributes: e.attributes.iter().map(otlp_attr).collect(),
            })
            .collect(),
        links: span
            .links
            .iter()
            .map(|l| LinkRef {
                trace_id: &l.trace_id,
                span_id: &l.span_id,
                attributes: l.attributes.iter().map(otlp_attr).collect(),
            })
            .collect(),
        status,
        status_message,
    }
}

/// Views an OTLP resource (absent means empty).
pub fn otlp_resource(resource: Option<&OtlpResource>) -> ResourceRef<'_> {
    ResourceRef {
        attributes: resource
            .map(|r| r.attributes.iter().map(otlp_attr).collect())
            .unwrap_or_default(),
    }
}

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Views an SDK span. The id byte arrays are borrowed from `ids`, which the caller keeps alive.
pub fn sdk_span<'a>(span: &'a SpanData, ids: &'a SdkIds) -> SpanRef<'a> {
    sdk_span_reusing(span, ids, Vec::new())
}

/// [`sdk_span`], its attributes written into `attrs` (cleared first), as [`otlp_span_reusing`].
pub(crate) fn sdk_span_reusing<'a>(span: &'a SpanData, ids: &'a SdkIds, mut attrs: Vec<Attr<'a>>) -> SpanRef<'a> {
    attrs.clear();
    attrs.extend(span.attributes.iter().map(sdk_attr));
    use opentelemetry::trace::SpanKind as K;
    let kind = match span.span_kind {
        K::Internal => SpanKind::Internal,
        K::Server => SpanKind::Server,
        K::Client => SpanKind::Client,
        K::Producer => SpanKind::Producer,
        K::Consumer => SpanKind::Consumer,
    };
    let (status, status_message) = match &span.status {
        Status::Unset => (StatusCode::Unset, ""),
        Status::Ok => (StatusCode::Ok, ""),
        Status::Error { description } => (StatusCode::Error, description.as_ref()),
    };
    SpanRef {
        trace_id: &ids.trace_id,
        span_id: &ids.span_id,
        parent_span_id: if span.parent_span_id == SpanId::INVALID {
            &[]
        } else {
            &ids.parent_span_id
        },
        name: &span.name,
        kind,
        start_unix_nanos: unix_nanos(span.start_time),
        end_unix_nanos: unix_nanos(span.end_time),
        attributes: attrs,
        events: span
            .events
            .events
            .iter()
            .map(|e| EventRef {
                name: &e.name,
                time_unix_nanos: unix_nanos(e.timestamp),
                attributes: e.attributes.iter().map(sdk_attr).collect(),
            })
            .collect(),
        links: span
            .links
            .links
            .iter()
            .zip(&ids.links)
            .map(|(l, (trace_id, span_id))| LinkRef {
                trace_id,
                span_id,
                attributes: l.attributes.iter().map(sdk_attr).collect(),
            })
            .collect(),
        status,
        status_message,
    }
}

/// The id bytes of an SDK span and its links (the SDK stores ids as integers, views need bytes).
#[derive(Debug, Clone, Default)]
pub struct SdkIds {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    parent_span_id: [u8; 8],
    links: Vec<([u8; 16], [u8; 8])>,
}

impl SdkIds {
    /// Extracts the id bytes of `span`.
    pub fn of(span: &SpanData) -> Self {
        Self {
            trace_id: span.span_context.trace_id().to_bytes(),
            span_id: span.span_context.span_id().to_bytes(),
            parent_span_id: span.parent_span_id.to_bytes(),
            links: span
                .links
                .links
                .iter()
                .map(|l| {
                    (
                        l.span_context.trace_id().to_bytes(),
                        l.span_context.span_id().to_bytes(),
                    )
                })
                .collect(),
        }
    }
}

/// Views an SDK resource.
pub fn sdk_resource(resource: &Resource) -> ResourceRef<'_> {
    ResourceRef {
        attributes: resource
            .iter()
            .map(|(k, v)| Attr {
                key: k.as_str(),
                value: sdk_value(v),
            })
            .collect(),
    }
}
