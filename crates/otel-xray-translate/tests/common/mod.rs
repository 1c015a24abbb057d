//! Shared helpers of the integration tests: one span description that becomes both an OTLP
//! protobuf span and an SDK `SpanData`, translation with a seeded id source, and semantic JSON
//! comparison as `translation.md` §1 defines it.

#![allow(dead_code)]

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use opentelemetry_proto::tonic::trace::v1::span::{Event as OtlpEvent, Link as OtlpLink, SpanKind as OtlpKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span as OtlpSpan, Status as OtlpStatus};
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, DocumentInfo, Failure, Translator, TranslatorConfig};
use prost::Message;
use rand::SeedableRng;
use rand::rngs::StdRng;

pub use serde_json::{Value as Json, json};

/// The "current time" of every batch, Unix seconds.
pub const NOW: u64 = 1_700_000_000;
/// Default trace id: its first four bytes are the epoch 1,700,000,000 (= `NOW`).
pub const TRACE: &str = "6553f1004bf92f3577b34da6a3ce9290";
/// `TRACE` in X-Ray form.
pub const TRACE_XRAY: &str = "1-6553f100-4bf92f3577b34da6a3ce9290";
/// Default span id.
pub const SPAN: &str = "53995c3f42cd8ad8";
/// Parent id used by `.child()`.
pub const PARENT: &str = "a1b2c3d4e5f60718";
/// Default start and end, Unix nanoseconds.
pub const START_NS: u64 = 1_700_000_000_250_000_000;
pub const END_NS: u64 = 1_700_000_001_750_000_000;
/// Seed of the id source.
pub const SEED: u64 = 0x5eed;

/// Decodes hex into bytes.
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

// ------------------------------------------------------------------------------------------------
// Attribute values
// ------------------------------------------------------------------------------------------------

/// An attribute value, as both input forms can (or, for the OTLP-only variants, cannot) carry it.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Str(String),
    Int(i64),
    Dbl(f64),
    Bool(bool),
    /// OTLP only.
    Bytes(Vec<u8>),
    /// An array; the SDK form needs all elements of one scalar type.
    Arr(Vec<V>),
    /// OTLP only.
    Map(Vec<(String, V)>),
    /// An `AnyValue` with nothing set. OTLP only.
    Empty,
}

impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::Str(s.to_owned())
    }
}
impl From<String> for V {
    fn from(s: String) -> Self {
        V::Str(s)
    }
}
impl From<&String> for V {
    fn from(s: &String) -> Self {
        V::Str(s.clone())
    }
}
impl From<i64> for V {
    fn from(i: i64) -> Self {
        V::Int(i)
    }
}
impl From<i32> for V {
    fn from(i: i32) -> Self {
        V::Int(i64::from(i))
    }
}
impl From<f64> for V {
    fn from(d: f64) -> Self {
        V::Dbl(d)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> Self {
        V::Bool(b)
    }
}

/// An array value.
pub fn arr<T: Into<V>>(items: impl IntoIterator<Item = T>) -> V {
    V::Arr(items.into_iter().map(Into::into).collect())
}

/// A map value (OTLP only).
pub fn map<T: Into<V>>(items: impl IntoIterator<Item = (&'static str, T)>) -> V {
    V::Map(items.into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect())
}

/// An attribute list.
pub type Attrs = Vec<(String, V)>;

/// One attribute: `kv("k", "v")`.
pub fn kv(key: &str, value: impl Into<V>) -> (String, V) {
    (key.to_owned(), value.into())
}

impl V {
    pub fn to_otlp(&self) -> AnyValue {
        use any_value::Value as P;
        let value = match self {
            V::Str(s) => Some(P::StringValue(s.clone())),
            V::Int(i) => Some(P::IntValue(*i)),
            V::Dbl(d) => Some(P::DoubleValue(*d)),
            V::Bool(b) => Some(P::BoolValue(*b)),
            V::Bytes(b) => Some(P::BytesValue(b.clone())),
            V::Arr(items) => Some(P::ArrayValue(ArrayValue {
                values: items.iter().map(V::to_otlp).collect(),
            })),
            V::Map(kvs) => Some(P::KvlistValue(KeyValueList { values: otlp_kvs(kvs) })),
            V::Empty => None,
        };
        AnyValue { value }
    }

    /// The SDK form, or `None` when the SDK cannot carry the value.
    pub fn to_sdk(&self) -> Option<opentelemetry::Value> {
        use opentelemetry::{Array, StringValue, Value as S};
        Some(match self {
            V::Str(s) => S::String(s.clone().into()),
            V::Int(i) => S::I64(*i),
            V::Dbl(d) => S::F64(*d),
            V::Bool(b) => S::Bool(*b),
            V::Arr(items) => {
                if items.iter().all(|v| matches!(v, V::Str(_))) {
                    S::Array(Array::String(
                        items
                            .iter()
                            .map(|v| match v {
                                V::Str(s) => StringValue::from(s.clone()),
                                _ => unreachable!(),
                            })
                            .collect(),
                    ))
                } else if items.iter().all(|v| matches!(v, V::Int(_))) {
                    S::Array(Array::I64(
                        items.iter().map(|v| if let V::Int(i) = v { *i } else { 0 }).collect(),
                    ))
                } else if items.iter().all(|v| matches!(v, V::Dbl(_))) {
                    S::Array(Array::F64(
                        items.iter().map(|v| if let V::Dbl(d) = v { *d } else { 0.0 }).collect(),
                    ))
                } else if items.iter().all(|v| matches!(v, V::Bool(_))) {
                    S::Array(Array::Bool(
                        items
                            .iter()
                            .map(|v| if let V::Bool(b) = v { *b } else { false })
                            .collect(),
                    ))
                } else {
                    return None;
                }
            }
            V::Bytes(_) | V::Map(_) | V::Empty => return None,
        })
    }
}

pub fn otlp_kvs(kvs: &[(String, V)]) -> Vec<KeyValue> {
    kvs.iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: Some(v.to_otlp()),
            ..KeyValue::default()
        })
        .collect()
}

fn sdk_kvs(kvs: &[(String, V)]) -> Option<Vec<opentelemetry::KeyValue>> {
    kvs.iter()
        .map(|(k, v)| {
            v.to_sdk()
                .map(|sv| opentelemetry::KeyValue::new(opentelemetry::Key::new(k.clone()), sv))
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// Spans
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

pub const ALL_KINDS: [Kind; 6] = [
    Kind::Unspecified,
    Kind::Internal,
    Kind::Server,
    Kind::Client,
    Kind::Producer,
    Kind::Consumer,
];

#[derive(Debug, Clone, PartialEq)]
pub enum St {
    Unset,
    Ok,
    Error(String),
}

#[derive(Debug, Clone)]
pub struct EventDesc {
    pub name: String,
    pub time_ns: u64,
    pub attrs: Vec<(String, V)>,
}

#[derive(Debug, Clone)]
pub struct LinkDesc {
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    pub attrs: Vec<(String, V)>,
}

/// One span, described once and built in both input forms.
#[derive(Debug, Clone)]
pub struct SpanDesc {
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    pub parent: Vec<u8>,
    pub name: String,
    pub kind: Kind,
    pub start_ns: u64,
    pub end_ns: u64,
    pub attrs: Vec<(String, V)>,
    pub events: Vec<EventDesc>,
    pub links: Vec<LinkDesc>,
    pub status: St,
}

/// A root span of kind INTERNAL with the default ids and times.
pub fn span(name: &str) -> SpanDesc {
    SpanDesc {
        trace_id: hex(TRACE),
        span_id: hex(SPAN),
        parent: Vec::new(),
        name: name.to_owned(),
        kind: Kind::Internal,
        start_ns: START_NS,
        end_ns: END_NS,
        attrs: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: St::Unset,
    }
}

impl SpanDesc {
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }
    pub fn server(self) -> Self {
        self.kind(Kind::Server)
    }
    pub fn client(self) -> Self {
        self.kind(Kind::Client)
    }
    pub fn producer(self) -> Self {
        self.kind(Kind::Producer)
    }
    pub fn consumer(self) -> Self {
        self.kind(Kind::Consumer)
    }
    /// Gives the span the parent `PARENT`.
    pub fn child(self) -> Self {
        self.parent_hex(PARENT)
    }
    pub fn parent_hex(mut self, h: &str) -> Self {
        self.parent = hex(h);
        self
    }
    pub fn parent_bytes(mut self, b: &[u8]) -> Self {
        self.parent = b.to_vec();
        self
    }
    pub fn trace_hex(mut self, h: &str) -> Self {
        self.trace_id = hex(h);
        self
    }
    pub fn trace_bytes(mut self, b: &[u8]) -> Self {
        self.trace_id = b.to_vec();
        self
    }
    pub fn id_hex(mut self, h: &str) -> Self {
        self.span_id = hex(h);
        self
    }
    pub fn id_bytes(mut self, b: &[u8]) -> Self {
        self.span_id = b.to_vec();
        self
    }
    pub fn times(mut self, start_ns: u64, end_ns: u64) -> Self {
        self.start_ns = start_ns;
        self.end_ns = end_ns;
        self
    }
    pub fn attr(mut self, key: &str, value: impl Into<V>) -> Self {
        self.attrs.push((key.to_owned(), value.into()));
        self
    }
    pub fn attrs(mut self, kvs: impl IntoIterator<Item = (String, V)>) -> Self {
        self.attrs.extend(kvs);
        self
    }
    pub fn event(mut self, name: &str, time_ns: u64, attrs: Vec<(String, V)>) -> Self {
        self.events.push(EventDesc {
            name: name.to_owned(),
            time_ns,
            attrs,
        });
        self
    }
    pub fn link(mut self, trace_hex: &str, span_hex: &str, attrs: Vec<(String, V)>) -> Self {
        self.links.push(LinkDesc {
            trace_id: hex(trace_hex),
            span_id: hex(span_hex),
            attrs,
        });
        self
    }
    pub fn link_bytes(mut self, trace_id: &[u8], span_id: &[u8]) -> Self {
        self.links.push(LinkDesc {
            trace_id: trace_id.to_vec(),
            span_id: span_id.to_vec(),
            attrs: Vec::new(),
        });
        self
    }
    pub fn error(mut self, message: &str) -> Self {
        self.status = St::Error(message.to_owned());
        self
    }
    pub fn ok(mut self) -> Self {
        self.status = St::Ok;
        self
    }
    /// Marks the span as a local root (`aws.span.kind` = `LOCAL_ROOT`).
    pub fn local_root(self) -> Self {
        self.attr("aws.span.kind", "LOCAL_ROOT")
    }

    pub fn to_otlp(&self) -> OtlpSpan {
        let kind = match self.kind {
            Kind::Unspecified => OtlpKind::Unspecified,
            Kind::Internal => OtlpKind::Internal,
            Kind::Server => OtlpKind::Server,
            Kind::Client => OtlpKind::Client,
            Kind::Producer => OtlpKind::Producer,
            Kind::Consumer => OtlpKind::Consumer,
        };
        let status = match &self.status {
            St::Unset => None,
            St::Ok => Some(OtlpStatus {
                message: String::new(),
                code: OtlpCode::Ok as i32,
            }),
            St::Error(m) => Some(OtlpStatus {
                message: m.clone(),
                code: OtlpCode::Error as i32,
            }),
        };
        OtlpSpan {
            trace_id: self.trace_id.clone(),
            span_id: self.span_id.clone(),
            parent_span_id: self.parent.clone(),
            name: self.name.clone(),
            kind: kind as i32,
            start_time_unix_nano: self.start_ns,
            end_time_unix_nano: self.end_ns,
            attributes: otlp_kvs(&self.attrs),
            events: self
                .events
                .iter()
                .map(|e| OtlpEvent {
                    time_unix_nano: e.time_ns,
                    name: e.name.clone(),
                    attributes: otlp_kvs(&e.attrs),
                    dropped_attributes_count: 0,
                })
                .collect(),
            links: self
                .links
                .iter()
                .map(|l| OtlpLink {
                    trace_id: l.trace_id.clone(),
                    span_id: l.span_id.clone(),
                    attributes: otlp_kvs(&l.attrs),
                    ..OtlpLink::default()
                })
                .collect(),
            status,
            ..OtlpSpan::default()
        }
    }

    /// The SDK form, or `None` when the SDK cannot express this span (unspecified kind, ids of a
    /// wrong length, map/bytes/empty values, mixed arrays).
    pub fn to_sdk(&self) -> Option<opentelemetry_sdk::trace::SpanData> {
        use opentelemetry::trace::{
            Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
        };
        let kind = match self.kind {
            Kind::Unspecified => return None,
            Kind::Internal => SpanKind::Internal,
            Kind::Server => SpanKind::Server,
            Kind::Client => SpanKind::Client,
            Kind::Producer => SpanKind::Producer,
            Kind::Consumer => SpanKind::Consumer,
        };
        let trace_id = TraceId::from_bytes(self.trace_id.clone().try_into().ok()?);
        let span_id = SpanId::from_bytes(self.span_id.clone().try_into().ok()?);
        let parent = if self.parent.is_empty() {
            SpanId::INVALID
        } else {
            SpanId::from_bytes(self.parent.clone().try_into().ok()?)
        };
        let mut events = opentelemetry_sdk::trace::SpanEvents::default();
        for e in &self.events {
            events
                .events
                .push(Event::new(e.name.clone(), at(e.time_ns), sdk_kvs(&e.attrs)?, 0));
        }
        let mut links = opentelemetry_sdk::trace::SpanLinks::default();
        for l in &self.links {
            let ctx = SpanContext::new(
                TraceId::from_bytes(l.trace_id.clone().try_into().ok()?),
                SpanId::from_bytes(l.span_id.clone().try_into().ok()?),
                TraceFlags::SAMPLED,
                true,
                TraceState::default(),
            );
            links.links.push(Link::new(ctx, sdk_kvs(&l.attrs)?, 0));
        }
        Some(opentelemetry_sdk::trace::SpanData {
            span_context: SpanContext::new(trace_id, span_id, TraceFlags::SAMPLED, false, TraceState::default()),
            parent_span_id: parent,
            parent_span_is_remote: false,
            span_kind: kind,
            name: Cow::Owned(self.name.clone()),
            start_time: at(self.start_ns),
            end_time: at(self.end_ns),
            attributes: sdk_kvs(&self.attrs)?,
            dropped_attributes_count: 0,
            events,
            links,
            status: match &self.status {
                St::Unset => Status::Unset,
                St::Ok => Status::Ok,
                St::Error(m) => Status::error(m.clone()),
            },
            instrumentation_scope: Default::default(),
        })
    }
}

fn at(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

// ------------------------------------------------------------------------------------------------
// Resources
// ------------------------------------------------------------------------------------------------

/// A resource description.
#[derive(Debug, Clone, Default)]
pub struct Res(pub Vec<(String, V)>);

/// An empty resource.
pub fn no_res() -> Res {
    Res(Vec::new())
}

/// A resource with these attributes.
pub fn res(kvs: Vec<(String, V)>) -> Res {
    Res(kvs)
}

impl Res {
    pub fn to_otlp(&self) -> Option<OtlpResource> {
        Some(OtlpResource {
            attributes: otlp_kvs(&self.0),
            ..OtlpResource::default()
        })
    }
    pub fn to_sdk(&self) -> Option<opentelemetry_sdk::Resource> {
        Some(
            opentelemetry_sdk::Resource::builder_empty()
                .with_attributes(sdk_kvs(&self.0)?)
                .build(),
        )
    }
}

// ------------------------------------------------------------------------------------------------
// Translation
// ------------------------------------------------------------------------------------------------

/// Everything a batch produced.
#[derive(Debug)]
pub struct Output {
    /// The documents, parsed.
    pub docs: Vec<Json>,
    /// The documents' bytes.
    pub raw: Vec<Vec<u8>>,
    pub infos: Vec<DocumentInfo>,
    pub failures: Vec<Failure>,
    pub spans: usize,
}

impl Output {
    /// The single document; panics if there is not exactly one.
    pub fn one(&self) -> &Json {
        assert_eq!(
            self.docs.len(),
            1,
            "expected one document, got {}: {:#?} failures {:?}",
            self.docs.len(),
            self.docs,
            self.failures
        );
        &self.docs[0]
    }
    pub fn reasons(&self) -> Vec<&'static str> {
        self.failures.iter().map(|f| f.reason.reason()).collect()
    }
}

fn collect(batch: &DocumentBatch) -> Output {
    let mut docs = Vec::new();
    let mut raw = Vec::new();
    let mut infos = Vec::new();
    for (info, bytes) in batch.documents() {
        let text = std::str::from_utf8(bytes).expect("documents are UTF-8");
        docs.push(serde_json::from_str::<Json>(text).expect("documents are JSON"));
        raw.push(bytes.to_vec());
        infos.push(info.clone());
    }
    Output {
        docs,
        raw,
        infos,
        failures: batch.failures().to_vec(),
        spans: batch.spans(),
    }
}

pub fn options(budget: Budget) -> BatchOptions {
    BatchOptions {
        now_unix_secs: NOW,
        budget,
    }
}

/// Builds an export request from resource groups.
pub fn request(groups: &[(Res, Vec<SpanDesc>)]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: groups
            .iter()
            .map(|(r, spans)| ResourceSpans {
                resource: r.to_otlp(),
                scope_spans: vec![ScopeSpans {
                    spans: spans.iter().map(SpanDesc::to_otlp).collect(),
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            })
            .collect(),
    }
}

/// Translates OTLP resource groups with a seeded id source.
pub fn run_otlp_groups(cfg: &TranslatorConfig, groups: &[(Res, Vec<SpanDesc>)], opts: BatchOptions) -> Output {
    run_request(cfg, &request(groups), opts)
}

/// Translates an already built OTLP request with a seeded id source.
pub fn run_request(cfg: &TranslatorConfig, req: &ExportTraceServiceRequest, opts: BatchOptions) -> Output {
    let translator = Translator::new(cfg.clone());
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut batch = DocumentBatch::new();
    translator.translate_resource_spans_with_ids(&req.resource_spans, opts, &mut rng, &mut batch);
    let out = collect(&batch);
    assert_wire_same(&translator, &req.encode_to_vec(), opts, &out);
    out
}

/// Translates `bytes` with the wire decoder (`Translator::translate_otlp_bytes_with_ids`) and
/// checks that it gives exactly `expected`, the output from the decoded request: same document
/// bytes, ids, failures and span count. Every OTLP test above goes through here.
pub fn assert_wire_same(translator: &Translator, bytes: &[u8], opts: BatchOptions, expected: &Output) {
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut batch = DocumentBatch::new();
    translator
        .translate_otlp_bytes_with_ids(bytes, opts, &mut rng, &mut batch)
        .expect("the wire decoder accepts what prost encoded");
    let wire = collect(&batch);
    assert_eq!(wire.spans, expected.spans, "span count, wire decoder vs prost");
    assert_eq!(wire.failures, expected.failures, "failures, wire decoder vs prost");
    assert_eq!(wire.infos, expected.infos, "documents, wire decoder vs prost");
    for (w, p) in wire.raw.iter().zip(&expected.raw) {
        assert_eq!(
            String::from_utf8_lossy(w),
            String::from_utf8_lossy(p),
            "document bytes, wire decoder vs prost"
        );
    }
}

/// Translates spans of one resource in OTLP form, with the `PutTraceSegments` budget.
pub fn run_otlp(cfg: &TranslatorConfig, resource: &Res, spans: &[SpanDesc]) -> Output {
    run_otlp_groups(
        cfg,
        &[(resource.clone(), spans.to_vec())],
        options(Budget::PutTraceSegments),
    )
}

/// Translates spans of one resource in SDK form; panics if the SDK cannot express them.
pub fn run_sdk_with(cfg: &TranslatorConfig, resource: &Res, spans: &[SpanDesc], opts: BatchOptions) -> Output {
    let translator = Translator::new(cfg.clone());
    let sdk_res = resource.to_sdk().expect("resource expressible in SDK form");
    let sdk_spans: Vec<_> = spans
        .iter()
        .map(|s| s.to_sdk().expect("span expressible in SDK form"))
        .collect();
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut batch = DocumentBatch::new();
    translator.translate_sdk_with_ids(&sdk_spans, &sdk_res, opts, &mut rng, &mut batch);
    collect(&batch)
}

pub fn run_sdk(cfg: &TranslatorConfig, resource: &Res, spans: &[SpanDesc]) -> Output {
    run_sdk_with(cfg, resource, spans, options(Budget::PutTraceSegments))
}

/// Translates in both forms, checks that they give the same documents (semantically) and the
/// same failure reasons, and returns the OTLP output.
pub fn run_both(cfg: &TranslatorConfig, resource: &Res, spans: &[SpanDesc]) -> Output {
    let otlp = run_otlp(cfg, resource, spans);
    let sdk = run_sdk(cfg, resource, spans);
    assert_same_docs(&otlp.docs, &sdk.docs, "OTLP form", "SDK form");
    assert_eq!(otlp.reasons(), sdk.reasons(), "both forms must fail alike");
    otlp
}

/// The default configuration.
pub fn cfg() -> TranslatorConfig {
    TranslatorConfig::default()
}

/// Translates one span (OTLP form, default config) and returns its single document.
pub fn one(resource: &Res, span: SpanDesc) -> Json {
    run_otlp(&cfg(), resource, &[span]).one().clone()
}

/// Translates one span in both forms (default config) and returns its single document.
pub fn one_both(resource: &Res, span: SpanDesc) -> Json {
    run_both(&cfg(), resource, &[span]).one().clone()
}

/// Translates one span with `config` (OTLP form) and returns its single document.
pub fn one_cfg(config: &TranslatorConfig, resource: &Res, span: SpanDesc) -> Json {
    run_otlp(config, resource, &[span]).one().clone()
}

/// Translates one span with `config` (OTLP form) and returns all its documents.
pub fn docs_cfg(config: &TranslatorConfig, resource: &Res, span: SpanDesc) -> Vec<Json> {
    let out = run_otlp(config, resource, &[span]);
    assert!(out.failures.is_empty(), "unexpected failures {:?}", out.failures);
    out.docs
}

pub fn docs(resource: &Res, span: SpanDesc) -> Vec<Json> {
    docs_cfg(&cfg(), resource, span)
}

// ------------------------------------------------------------------------------------------------
// Semantic JSON
// ------------------------------------------------------------------------------------------------

/// Normalises a document as §1 says: `null`, `{}` and `[]` count as absent (recursively), and
/// numbers compare by value (`5` = `5.0`).
pub fn normalize(v: &Json) -> Json {
    fn norm(v: &Json) -> Option<Json> {
        match v {
            Json::Null => None,
            Json::Object(m) => {
                let out: serde_json::Map<String, Json> =
                    m.iter().filter_map(|(k, v)| norm(v).map(|v| (k.clone(), v))).collect();
                (!out.is_empty()).then_some(Json::Object(out))
            }
            Json::Array(a) => {
                let out: Vec<Json> = a.iter().map(|v| norm(v).unwrap_or(Json::Null)).collect();
                (!out.is_empty()).then_some(Json::Array(out))
            }
            Json::Number(n) => {
                if let Some(f) = n.as_f64()
                    && n.as_i64().is_none()
                    && n.as_u64().is_none()
                    && f.fract() == 0.0
                    && f.abs() < 9.0e15
                {
                    return Some(json!(f as i64));
                }
                Some(v.clone())
            }
            other => Some(other.clone()),
        }
    }
    norm(v).unwrap_or(Json::Null)
}

/// Asserts that two document lists are semantically equal.
pub fn assert_same_docs(a: &[Json], b: &[Json], a_name: &str, b_name: &str) {
    assert_eq!(
        a.len(),
        b.len(),
        "{a_name} gave {} documents, {b_name} gave {}:\n{a:#?}\n{b:#?}",
        a.len(),
        b.len()
    );
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(
            normalize(x),
            normalize(y),
            "document {i} differs between {a_name} and {b_name}"
        );
    }
}

/// Whether `v` is absent under §1 (missing, `null`, `{}` or `[]`, after normalising).
pub fn absent(v: &Json) -> bool {
    normalize(v).is_null()
}

/// Asserts that each named top-level field is absent under §1.
#[track_caller]
pub fn assert_absent(doc: &Json, fields: &[&str]) {
    for f in fields {
        assert!(
            absent(&doc[*f]),
            "field `{f}` must be absent, got {} in {doc:#}",
            doc[*f]
        );
    }
}

/// `metadata.default` as an object (empty if absent).
pub fn meta_default(doc: &Json) -> serde_json::Map<String, Json> {
    doc["metadata"]["default"].as_object().cloned().unwrap_or_default()
}

/// `annotations` as an object (empty if absent).
pub fn annotations(doc: &Json) -> serde_json::Map<String, Json> {
    doc["annotations"].as_object().cloned().unwrap_or_default()
}

/// Whether `key` appears anywhere in annotations or in any metadata namespace.
pub fn appears_anywhere(doc: &Json, key: &str) -> bool {
    if annotations(doc).contains_key(key) {
        return true;
    }
    doc["metadata"]
        .as_object()
        .is_some_and(|m| m.values().any(|ns| ns.as_object().is_some_and(|o| o.contains_key(key))))
}

/// Asserts the always-present fields of §2.2 (name, id, trace_id, times and flags).
#[track_caller]
pub fn assert_always_fields(doc: &Json) {
    for f in ["name", "id", "trace_id", "start_time", "end_time"] {
        assert!(!doc[f].is_null(), "`{f}` must be present in {doc:#}");
    }
    for f in ["fault", "error", "throttle"] {
        assert!(doc[f].is_boolean(), "`{f}` must be a boolean in {doc:#}");
    }
}

/// Whether a string is 16 lowercase hex digits.
pub fn is_hex16(v: &Json) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

// ------------------------------------------------------------------------------------------------
// Structural checks on raw documents
// ------------------------------------------------------------------------------------------------

/// The first duplicate object key in a JSON document, if any (a JSON object with repeated keys is
/// not a map, and readers disagree on which value wins).
pub fn duplicate_key(raw: &[u8]) -> Option<String> {
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

    struct Checked;
    struct CheckedVisitor;

    impl<'de> Visitor<'de> for CheckedVisitor {
        type Value = Checked;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_unit<E>(self) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
            while seq.next_element::<Checked>()?.is_some() {}
            Ok(Checked)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(k) = map.next_key::<String>()? {
                if !seen.insert(k.clone()) {
                    return Err(de::Error::custom(format!("DUPLICATE:{k}")));
                }
                map.next_value::<Checked>()?;
            }
            Ok(Checked)
        }
    }

    impl<'de> Deserialize<'de> for Checked {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(CheckedVisitor)
        }
    }

    match serde_json::from_slice::<Checked>(raw) {
        Ok(_) => None,
        Err(e) => {
            let text = e.to_string();
            let key = text.strip_prefix("DUPLICATE:").unwrap_or(&text);
            Some(key.split(" at line").next().unwrap_or(key).to_owned())
        }
    }
}

/// Asserts that the translator wrote none of the fields §2.2 says it never writes.
#[track_caller]
pub fn assert_never_written(doc: &Json) {
    for f in ["in_progress", "subsegments", "precursor_ids", "traced", "resource_arn"] {
        assert!(doc.get(f).is_none(), "`{f}` is never written: {doc:#}");
    }
    assert!(doc["http"]["request"].get("traced").is_none());
    assert!(doc["aws"].get("retries").is_none());
    assert!(doc["cause"].get("working_directory").is_none());
    assert!(doc["cause"].get("paths").is_none());
    assert!(doc["service"].get("compiler").is_none());
    assert!(doc["service"].get("compiler_version").is_none());
    for f in ["database_version", "driver_version", "preparation"] {
        assert!(doc["sql"].get(f).is_none(), "sql.{f} is never written");
    }
    if let Some(ex) = doc["cause"]["exceptions"].as_array() {
        for e in ex {
            assert!(e.get("skipped").is_none(), "exception `skipped` is never written");
            for f in ["id", "type", "message"] {
                assert!(e[f].is_string(), "exception `{f}` is always written: {e:#}");
            }
        }
    }
    if let Some(links) = doc["links"].as_array() {
        for l in links {
            assert!(l["trace_id"].is_string() && l["id"].is_string(), "{l:#}");
        }
    }
    if doc.get("http").is_some() {
        assert!(doc["http"]["request"].is_object(), "{doc:#}");
        assert!(doc["http"]["response"].is_object(), "{doc:#}");
        assert!(doc["http"]["response"]["content_length"].is_i64(), "{doc:#}");
    }
    if doc.get("aws").is_some() {
        assert!(doc["aws"]["xray"]["auto_instrumentation"].is_boolean(), "{doc:#}");
    }
    if doc["http"]["request"].get("x_forwarded_for").is_some() {
        assert_eq!(
            doc["http"]["request"]["x_forwarded_for"], true,
            "never written as false"
        );
    }
}
