//! The MakeSegment pipeline (§4) and local-root splitting (§3).

use std::borrow::Cow;

use otel_xray_model::Segment;
use otel_xray_model::limits::{TRACE_ID_MAX_AGE_SECS, TRACE_ID_MAX_FUTURE_SECS};
use otel_xray_model::{KeyedList, Link, Namespace, SegmentId, SegmentType, TraceId};

use crate::aws::{ResourceContext, make_aws};
use crate::cause::{CauseInput, flags, make_cause};
use crate::config::{KeySet, TranslatorConfig};
use crate::error::TranslateError;
use crate::http::make_http;
use crate::keys::*;
use crate::metadata::{AnnotationInput, AnnotationOutput, add_events, make_annotations, meta_value, recycle_entries};
use crate::name::{name_and_namespace, sanitize_name, trim_aws_sdk_prefix};
use crate::sql::make_sql;
use crate::view::{Attr, SpanKind, SpanRef, Value, find, find_str};

/// How far an attribute has been used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Consumed {
    /// Not used yet: may become an annotation or metadata.
    Live,
    /// Used by steps 4–9; an indexed attribute is put back by step 10.
    Structured,
    /// Used for good (`enduser.id`, `aws.xray.annotations`).
    Final,
}

/// Where random ids come from (the service-segment id `S`, exception ids).
pub trait IdSource {
    /// A fresh random non-zero 8-byte id.
    fn next_id(&mut self) -> SegmentId;
}

impl<R: rand::RngCore> IdSource for R {
    fn next_id(&mut self) -> SegmentId {
        loop {
            let mut b = [0u8; 8];
            self.fill_bytes(&mut b);
            if b != [0; 8] {
                return SegmentId(b);
            }
        }
    }
}

/// Settings derived once from the config.
pub(crate) struct Prepared {
    pub config: TranslatorConfig,
    pub indexed: KeySet,
}

/// Converts and, when asked, checks a trace id (§5, Differs (f)).
fn trace_id(bytes: &[u8], prepared: &Prepared, now_unix_secs: u64) -> Result<TraceId, TranslateError> {
    let id = TraceId::from_slice(bytes).map_err(|_| TranslateError::InvalidTraceId { len: bytes.len() })?;
    if prepared.config.validate_trace_id_timestamp {
        let epoch = i128::from(id.epoch_secs());
        let age = i128::from(now_unix_secs) - epoch;
        if age > i128::from(TRACE_ID_MAX_AGE_SECS) || -age > i128::from(TRACE_ID_MAX_FUTURE_SECS) {
            return Err(TranslateError::TraceIdOutOfWindow { hex: id.to_otel_hex() });
        }
    }
    Ok(id)
}

fn nanos_to_secs(n: u64) -> f64 {
    n as f64 / 1e9
}

/// One run of the pipeline over a (possibly modified) copy of the span.
struct Run<'s, 'a> {
    span: &'s SpanRef<'a>,
    attrs: &'s [Attr<'a>],
    id: SegmentId,
    parent: Option<SegmentId>,
}

fn make_segment<'a>(
    run: Run<'_, 'a>,
    ctx: &'a ResourceContext<'a>,
    prepared: &Prepared,
    ids: &mut dyn IdSource,
    now_unix_secs: u64,
    seg: &mut Segment<'a>,
) -> Result<(), TranslateError> {
    let span = run.span;
    let attrs = run.attrs;
    let cfg = &prepared.config;
    // Most spans have a few dozen attributes at most: their flags live on the stack.
    const INLINE: usize = 64;
    let mut inline = [Consumed::Live; INLINE];
    let mut heap = Vec::new();
    let consumed: &mut [Consumed] = if attrs.len() <= INLINE {
        &mut inline[..attrs.len()]
    } else {
        heap.resize(attrs.len(), Consumed::Live);
        &mut heap
    };

    // 1. type
    let is_subsegment = span.kind != SpanKind::Server && run.parent.is_some();
    let store_resource = !is_subsegment;
    // 2-3. ids and times
    let trace = trace_id(span.trace_id, prepared, now_unix_secs)?;
    let spare_entries = recycle_entries(&mut seg.metadata);
    seg.reset(
        "",
        run.id,
        trace,
        nanos_to_secs(span.start_unix_nanos),
        nanos_to_secs(span.end_unix_nanos),
    );
    seg.parent_id = run.parent;
    if is_subsegment {
        seg.kind = Some(SegmentType::Subsegment);
    }
    // 4. http
    seg.http = make_http(span.kind, attrs, &span.events, consumed, cfg.http_conventions);
    // 5. cause
    let is_aws_sdk = find_str(attrs, RPC_SYSTEM) == AWS_API;
    let f = flags(attrs, span.status);
    seg.fault = f.fault;
    seg.error = f.error;
    seg.throttle = f.throttle;
    let cause_input = CauseInput {
        kind: span.kind,
        status: span.status,
        status_message: span.status_message,
        events: &span.events,
        is_aws_sdk,
        language: ctx.language,
    };
    let cause = make_cause(&cause_input, attrs, consumed, ids);
    seg.cause = cause.cause;
    // 6. origin
    seg.origin = ctx.origin.map(Cow::Borrowed);
    // 7. aws
    seg.aws = make_aws(ctx, attrs, consumed);
    // 8. service
    seg.service = ctx.service.as_ref().map(|sv| otel_xray_model::Service {
        version: sv.version.as_deref().map(Cow::Borrowed),
        ..otel_xray_model::Service::default()
    });
    // 9. sql
    seg.sql = make_sql(span.name, attrs, consumed, cfg.db_conventions);
    // 10. special attributes: indexed keys used by steps 4-9 are put back.
    if !cfg.indexed_attributes.is_empty() {
        for (i, a) in attrs.iter().enumerate() {
            if consumed[i] == Consumed::Structured && prepared.indexed.contains(a.key) {
                consumed[i] = Consumed::Live;
            }
        }
    }
    // 11. user, annotations, metadata, then events (Differs (c))
    make_annotations(
        &AnnotationInput {
            attrs,
            resource: &ctx.resource.attributes,
            resource_keys: &ctx.prefixed_keys,
            shared_metadata: ctx.shared_metadata.as_ref(),
            store_resource,
            is_subsegment,
            indexed: &prepared.indexed,
            index_all: cfg.index_all_attributes,
            allow_dot: cfg.annotation_keys_allow_dot,
        },
        consumed,
        AnnotationOutput {
            user: &mut seg.user,
            annotations: &mut seg.annotations,
            metadata: &mut seg.metadata,
            spare_entries,
        },
    );
    if cfg.preserve_span_events {
        add_events(&mut seg.metadata, attrs, &span.events, &cause.used);
    }
    // 12. links
    for (index, link) in span.links.iter().enumerate() {
        let trace_id = trace_id(link.trace_id, prepared, now_unix_secs).map_err(|e| match e {
            TranslateError::InvalidTraceId { .. } => TranslateError::InvalidLink { index },
            other => other,
        })?;
        let id = SegmentId::from_slice(link.span_id).map_err(|_| TranslateError::InvalidLink { index })?;
        let attributes = KeyedList(
            link.attributes
                .iter()
                .filter(|a| a.value != Value::Empty)
                .map(|a| (Cow::Borrowed(a.key), meta_value(a.value)))
                .collect(),
        );
        seg.links.push(Link {
            trace_id,
            id,
            attributes,
        });
    }
    // 13. name and namespace, from the (copy's) original attributes
    let nn = name_and_namespace(span.name, span.kind, attrs, &ctx.resource, is_aws_sdk);
    seg.name = nn.name;
    seg.namespace = nn.namespace.map(Cow::Borrowed);
    Ok(())
}

/// Two empty documents for [`translate_span`] to fill.
pub(crate) fn blank_slots<'a>() -> [Segment<'a>; 2] {
    let blank = || Segment::new("", SegmentId::default(), TraceId::default(), 0.0, 0.0);
    [blank(), blank()]
}

/// Translates one span into its one or two documents (§3), written in order into `slots` (whose
/// lists keep their capacity from span to span); returns how many were written.
pub(crate) fn translate_span<'a>(
    span: &SpanRef<'a>,
    ctx: &'a ResourceContext<'a>,
    prepared: &Prepared,
    ids: &mut dyn IdSource,
    now_unix_secs: u64,
    slots: &mut [Segment<'a>; 2],
) -> Result<usize, TranslateError> {
    let [first, second] = slots;
    let id = SegmentId::from_slice(span.span_id)
        .ok()
        .filter(|id| !id.is_zero())
        .ok_or(TranslateError::InvalidSpanId {
            len: span.span_id.len(),
        })?;
    let parent = match span.parent_span_id.len() {
        0 => None,
        8 => SegmentId::from_slice(span.parent_span_id).ok().filter(|p| !p.is_zero()),
        len => return Err(TranslateError::InvalidParentSpanId { len }),
    };
    // A parent made up by the X-Ray propagator for a header without `Parent` is no parent.
    let parent = parent.filter(|p| TraceId::from_slice(span.trace_id).map_or(true, |t| t.synthetic_parent() != *p));
    let attrs = &span.attributes;
    let local_root = matches!(find(attrs, AWS_SPAN_KIND), Some(Value::Str(LOCAL_ROOT)));

    if !local_root {
        // Case A
        let seg = first;
        make_segment(
            Run {
                span,
                attrs,
                id,
                parent,
            },
            ctx,
            prepared,
            ids,
            now_unix_secs,
            seg,
        )?;
        if seg.is_subsegment() && seg.namespace.is_none() {
            let has_remote_service = find(attrs, AWS_REMOTE_SERVICE).is_some();
            let case_a = span.kind.is_outgoing_or_consumer() && has_remote_service;
            let differs_b = matches!(span.kind, SpanKind::Producer | SpanKind::Client)
                && [
                    AWS_REMOTE_SERVICE,
                    PEER_SERVICE,
                    MESSAGING_DESTINATION_NAME,
                    MESSAGING_SYSTEM,
                    SERVER_ADDRESS,
                ]
                .iter()
                .any(|k| find(attrs, k).is_some_and(|v| !is_empty_value(v)));
            if case_a || differs_b {
                seg.namespace = Some(Cow::Borrowed("remote"));
            }
        }
        return Ok(1);
    }

    if matches!(span.kind, SpanKind::Server | SpanKind::Internal) {
        // Case B
        let seg = first;
        make_segment(
            Run {
                span,
                attrs,
                id,
                parent,
            },
            ctx,
            prepared,
            ids,
            now_unix_secs,
            seg,
        )?;
        seg.kind = None;
        seg.namespace = None;
        return Ok(1);
    }

    // Case C: a dependency subsegment under a fresh service segment `S`.
    let s_id = ids.next_id();
    let dep = first;
    make_segment(
        Run {
            span,
            attrs,
            id,
            parent: Some(s_id),
        },
        ctx,
        prepared,
        ids,
        now_unix_secs,
        dep,
    )?;
    dep.kind = Some(SegmentType::Subsegment);
    if dep.namespace.is_none() {
        dep.namespace = Some(Cow::Borrowed("remote"));
    }
    if span.kind == SpanKind::Consumer {
        dep.links.clear();
    }
    if let Some(remote) = find(attrs, AWS_REMOTE_SERVICE) {
        let raw = remote.as_str();
        let raw = if find_str(attrs, RPC_SYSTEM) == AWS_API {
            trim_aws_sdk_prefix(raw)
        } else {
            raw
        };
        let clean = sanitize_name(raw);
        if !clean.is_empty() {
            dep.name = clean;
        }
    }

    let service_attrs: Vec<Attr<'a>> = attrs
        .iter()
        .filter(|a| {
            !matches!(
                a.key,
                AWS_REMOTE_SERVICE | AWS_REMOTE_OPERATION | REMOTE_TARGET | K8S_REMOTE_NAMESPACE
            )
        })
        .copied()
        .collect();
    let svc = second;
    make_segment(
        Run {
            span,
            attrs: &service_attrs,
            id: s_id,
            parent,
        },
        ctx,
        prepared,
        ids,
        now_unix_secs,
        svc,
    )?;
    let local = sanitize_name(find_str(attrs, AWS_LOCAL_SERVICE));
    if !local.is_empty() {
        svc.name = local;
    }
    svc.http = None;
    if let Some(aws) = svc.aws.as_mut() {
        aws.operation = None;
        aws.account_id = None;
        aws.region = None;
        aws.request_id = None;
        aws.queue_url = None;
        aws.table_name = None;
        aws.table_names.clear();
    }
    for (_, ns) in svc.metadata.0.iter_mut() {
        if let Some(entries) = ns.entries_mut() {
            entries.retain(|k, _| k.starts_with(RESOURCE_PREFIX));
        }
    }
    svc.metadata
        .retain(|_, ns| matches!(ns, Namespace::Entries(e) if !e.is_empty()));
    svc.kind = None;
    svc.namespace = None;
    if span.kind != SpanKind::Consumer {
        svc.links.clear();
    }
    Ok(2)
}

fn is_empty_value(v: Value<'_>) -> bool {
    match v {
        Value::Empty => true,
        Value::Str(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
