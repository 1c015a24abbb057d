//! Small builders for OTLP spans, attributes and resources, and the ids and clock of one trace.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use rand::Rng;

/// A string attribute.
pub fn s(key: &str, value: impl Into<String>) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
}

/// An integer attribute.
pub fn i(key: &str, value: i64) -> KeyValue {
    kv(key, Value::IntValue(value))
}

/// A floating-point attribute.
pub fn f(key: &str, value: f64) -> KeyValue {
    kv(key, Value::DoubleValue(value))
}

/// A boolean attribute.
pub fn b(key: &str, value: bool) -> KeyValue {
    kv(key, Value::BoolValue(value))
}

/// A list-of-strings attribute.
pub fn list(key: &str, values: &[&str]) -> KeyValue {
    let values = values
        .iter()
        .map(|v| AnyValue {
            value: Some(Value::StringValue((*v).to_owned())),
        })
        .collect();
    kv(key, Value::ArrayValue(ArrayValue { values }))
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// One trace being built: its id (X-Ray style: the first 4 bytes are the start in epoch
/// seconds) and its start time, to which span offsets are added.
///
/// Ids (trace, span, UUIDs) come from the thread's CSPRNG, never from the demo's seeded
/// generator: two runs with one seed make the same traces, but never the same ids.
#[derive(Debug, Clone, Copy)]
pub struct TraceClock {
    /// The 16-byte trace id.
    pub trace_id: [u8; 16],
    /// When the trace starts, Unix nanoseconds.
    pub start_unix_nanos: u64,
}

impl TraceClock {
    /// A new trace starting at `start_unix_nanos`, with a fresh random id.
    pub fn new(start_unix_nanos: u64) -> Self {
        let mut trace_id = [0u8; 16];
        let epoch = u32::try_from(start_unix_nanos / 1_000_000_000).unwrap_or(u32::MAX);
        trace_id[..4].copy_from_slice(&epoch.to_be_bytes());
        rand::rng().fill(&mut trace_id[4..]);
        if trace_id[4..].iter().all(|&b| b == 0) {
            trace_id[15] = 1;
        }
        Self {
            trace_id,
            start_unix_nanos,
        }
    }

    /// The X-Ray form of the trace id, `1-<8 hex>-<24 hex>`.
    pub fn xray_trace_id(&self) -> String {
        let hex = hex(&self.trace_id);
        format!("1-{}-{}", &hex[..8], &hex[8..])
    }

    /// Unix nanoseconds `offset_us` microseconds after the start.
    pub fn at(&self, offset_us: u64) -> u64 {
        self.start_unix_nanos.saturating_add(offset_us.saturating_mul(1000))
    }

    /// Epoch seconds (X-Ray document form) `offset_us` microseconds after the start.
    pub fn secs(&self, offset_us: u64) -> f64 {
        // Microsecond resolution, as the X-Ray SDKs write it.
        let micros = self.at(offset_us) / 1000;
        micros as f64 / 1e6
    }

    /// A span of this trace from `start_us` for `duration_us` (offsets from the trace start).
    pub fn span(
        &self,
        id: u64,
        parent: Option<u64>,
        name: &str,
        kind: SpanKind,
        start_us: u64,
        duration_us: u64,
    ) -> Span {
        Span {
            trace_id: self.trace_id.to_vec(),
            span_id: id.to_be_bytes().to_vec(),
            parent_span_id: parent.map(|p| p.to_be_bytes().to_vec()).unwrap_or_default(),
            flags: 1, // sampled
            name: name.to_owned(),
            kind: kind as i32,
            start_time_unix_nano: self.at(start_us),
            end_time_unix_nano: self.at(start_us.saturating_add(duration_us)),
            ..Span::default()
        }
    }
}

/// A fresh random non-zero span id (not from the seed; see [`TraceClock`]).
pub fn span_id() -> u64 {
    rand::random::<u64>().max(1)
}

/// 16 lowercase hex digits.
pub fn id_hex(id: u64) -> String {
    format!("{id:016x}")
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// `n` random characters from `alphabet`.
pub fn random_text(rng: &mut impl Rng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A fresh random UUID-shaped string (version 4 layout; not from the seed, like ids).
pub fn uuid() -> String {
    let h = hex(&rand::random::<[u8; 16]>());
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// A span status: error with `message`.
pub fn error_status(message: &str) -> Option<Status> {
    Some(Status {
        message: message.to_owned(),
        code: StatusCode::Error as i32,
    })
}

/// An `exception` event as the OpenTelemetry SDKs record it.
pub fn exception_event(time_unix_nano: u64, kind: &str, message: &str, stacktrace: &str) -> Event {
    Event {
        time_unix_nano,
        name: "exception".to_owned(),
        attributes: vec![
            s("exception.type", kind),
            s("exception.message", message),
            s("exception.stacktrace", stacktrace),
            b("exception.escaped", true),
        ],
        dropped_attributes_count: 0,
    }
}

/// An ordinary span event.
pub fn event(time_unix_nano: u64, name: &str, attributes: Vec<KeyValue>) -> Event {
    Event {
        time_unix_nano,
        name: name.to_owned(),
        attributes,
        dropped_attributes_count: 0,
    }
}

/// A link to span `span_id` of trace `trace_id`.
pub fn link(trace_id: [u8; 16], span_id: u64, attributes: Vec<KeyValue>) -> Link {
    Link {
        trace_id: trace_id.to_vec(),
        span_id: span_id.to_be_bytes().to_vec(),
        attributes,
        flags: 1,
        ..Link::default()
    }
}

/// One service's spans: its resource and one instrumentation scope per group of spans.
pub fn resource_spans(resource: Vec<KeyValue>, scopes: Vec<(&str, &str, Vec<Span>)>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: resource,
            ..Resource::default()
        }),
        scope_spans: scopes
            .into_iter()
            .filter(|(_, _, spans)| !spans.is_empty())
            .map(|(name, version, spans)| ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: name.to_owned(),
                    version: version.to_owned(),
                    ..InstrumentationScope::default()
                }),
                spans,
                schema_url: String::new(),
            })
            .collect(),
        schema_url: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_carry_the_start_second() {
        let clock = TraceClock::new(1_795_000_000_123_456_789);
        assert_eq!(
            u32::from_be_bytes(clock.trace_id[..4].try_into().unwrap()),
            1_795_000_000
        );
        let x = clock.xray_trace_id();
        assert_eq!(x.len(), 35);
        assert!(x.starts_with(&format!("1-{:08x}-", 1_795_000_000u32)));
        assert_eq!(clock.at(1_000), 1_795_000_000_124_456_789);
    }

    #[test]
    fn uuids_look_like_uuids() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
    }
}
