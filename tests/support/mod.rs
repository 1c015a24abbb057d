//! Builders for OTLP spans used by the top-level tests.
#![allow(dead_code, missing_docs)]

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig};
use rand::SeedableRng;

/// 2023-11-14T22:13:20Z, the clock of every test.
pub const NOW: u64 = 1_700_000_000;
pub const T0: u64 = NOW * 1_000_000_000;

pub fn s(v: &str) -> AnyValue {
    AnyValue {
        value: Some(Value::StringValue(v.into())),
    }
}
pub fn i(v: i64) -> AnyValue {
    AnyValue {
        value: Some(Value::IntValue(v)),
    }
}
pub fn d(v: f64) -> AnyValue {
    AnyValue {
        value: Some(Value::DoubleValue(v)),
    }
}
pub fn b(v: bool) -> AnyValue {
    AnyValue {
        value: Some(Value::BoolValue(v)),
    }
}
pub fn arr(values: Vec<AnyValue>) -> AnyValue {
    AnyValue {
        value: Some(Value::ArrayValue(ArrayValue { values })),
    }
}
pub fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(value),
        ..KeyValue::default()
    }
}

pub fn trace_id(n: u8) -> Vec<u8> {
    let mut t = vec![0x65, 0x53, 0xf1, 0x00];
    t.extend(std::iter::repeat_n(n, 12));
    t
}
pub fn span_id(n: u8) -> Vec<u8> {
    vec![0xa0, 0, 0, 0, 0, 0, 0, n]
}

pub struct SpanBuilder(pub Span);

pub fn span(trace: u8, id: u8, name: &str, kind: SpanKind) -> SpanBuilder {
    SpanBuilder(Span {
        trace_id: trace_id(trace),
        span_id: span_id(id),
        name: name.into(),
        kind: kind as i32,
        start_time_unix_nano: T0,
        end_time_unix_nano: T0 + 25_000_000,
        ..Span::default()
    })
}

impl SpanBuilder {
    pub fn parent(mut self, id: u8) -> Self {
        self.0.parent_span_id = span_id(id);
        self
    }
    pub fn times(mut self, start_ms: u64, end_ms: u64) -> Self {
        self.0.start_time_unix_nano = T0 + start_ms * 1_000_000;
        self.0.end_time_unix_nano = T0 + end_ms * 1_000_000;
        self
    }
    pub fn attr(mut self, key: &str, value: AnyValue) -> Self {
        self.0.attributes.push(kv(key, value));
        self
    }
    pub fn error(mut self, message: &str) -> Self {
        self.0.status = Some(Status {
            message: message.into(),
            code: StatusCode::Error as i32,
        });
        self
    }
    pub fn event(mut self, name: &str, at_ms: u64, attrs: Vec<KeyValue>) -> Self {
        self.0.events.push(Event {
            time_unix_nano: T0 + at_ms * 1_000_000,
            name: name.into(),
            attributes: attrs,
            dropped_attributes_count: 0,
        });
        self
    }
    pub fn link(mut self, trace: u8, id: u8, attrs: Vec<KeyValue>) -> Self {
        self.0.links.push(Link {
            trace_id: trace_id(trace),
            span_id: span_id(id),
            attributes: attrs,
            ..Link::default()
        });
        self
    }
    pub fn build(self) -> Span {
        self.0
    }
}

pub fn resource_spans(resource: Vec<KeyValue>, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: resource,
            ..Resource::default()
        }),
        scope_spans: vec![ScopeSpans {
            spans,
            ..ScopeSpans::default()
        }],
        ..ResourceSpans::default()
    }
}

pub fn request(resource_spans: Vec<ResourceSpans>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest { resource_spans }
}

/// Translates with a seeded id source; returns the documents as JSON values and the failures
/// as `reason` labels.
pub fn translate(
    config: TranslatorConfig,
    req: &ExportTraceServiceRequest,
    budget: Budget,
) -> (Vec<serde_json::Value>, Vec<String>) {
    let t = Translator::new(config);
    let mut batch = DocumentBatch::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let options = BatchOptions {
        now_unix_secs: NOW,
        budget,
    };
    t.translate_resource_spans_with_ids(&req.resource_spans, options, &mut rng, &mut batch);
    // The wire decoder on the encoded request must give exactly the same.
    let mut wire = DocumentBatch::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    t.translate_otlp_bytes_with_ids(&prost::Message::encode_to_vec(req), options, &mut rng, &mut wire)
        .expect("the wire decoder accepts what prost encoded");
    assert_eq!(wire.spans(), batch.spans());
    assert_eq!(wire.failures(), batch.failures());
    assert!(
        wire.documents().eq(batch.documents()),
        "the wire decoder gives the same documents as prost"
    );
    let docs = batch
        .documents()
        .map(|(_, bytes)| serde_json::from_slice(bytes).expect("valid JSON"))
        .collect();
    let failures = batch.failures().iter().map(|f| f.reason.reason().to_owned()).collect();
    (docs, failures)
}

/// Removes `null`, `{}` and `[]` recursively (they count as absent, translation.md §1).
pub fn normalize(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(map) => J::Object(
            map.into_iter()
                .map(|(k, v)| (k, normalize(v)))
                .filter(|(_, v)| !(v.is_null() || v == &J::Object(Default::default()) || v == &J::Array(vec![])))
                .collect(),
        ),
        J::Array(items) => J::Array(items.into_iter().map(normalize).collect()),
        other => other,
    }
}
