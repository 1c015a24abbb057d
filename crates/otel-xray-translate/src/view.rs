//! The borrowed span view the translator works on.
//!
//! Both input forms, OTLP protobuf messages (the gateway's) and SDK `SpanData` (the library's),
//! are looked at through these types, so one code path translates both. A view borrows every
//! string from its source; building one costs a few small vectors of references. A third source,
//! the OTLP protobuf bytes themselves ([`crate::wire`]), gives the same views without decoding
//! into OTLP messages first; its arrays and maps stay encoded until looked at.

use opentelemetry::StringValue;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue as OtlpKeyValue, any_value};
use otel_xray_model::{SegmentId, TraceId};

use crate::wire::{WireArray, WireArrayIter, WireMap, WireMapIter};

/// Span kind, as in OpenTelemetry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// Not specified (OTLP 0).
    Unspecified,
    /// Internal operation.
    Internal,
    /// Server side of a request.
    Server,
    /// Client side of a request.
    Client,
    /// Producer of a message.
    Producer,
    /// Consumer of a message.
    Consumer,
}

impl SpanKind {
    /// Client, producer or consumer: a span that talks to something else.
    pub fn is_outgoing_or_consumer(self) -> bool {
        matches!(self, Self::Client | Self::Producer | Self::Consumer)
    }
}

/// Span status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    /// Not set.
    Unset,
    /// Explicitly OK.
    Ok,
    /// An error.
    Error,
}

/// An attribute value, borrowed from its source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// No value (an OTLP `AnyValue` with nothing set).
    Empty,
    /// A string.
    Str(&'a str),
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// Bytes.
    Bytes(&'a [u8]),
    /// An array.
    Array(ArrayRef<'a>),
    /// A map (OTLP only).
    Map(MapRef<'a>),
}

impl<'a> Value<'a> {
    /// The string, or `""` for any other type (as the reference reads strings).
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Str(s) => s,
            _ => "",
        }
    }

    /// The integer, or 0 for any other type (a string `"200"` reads as 0, as in the reference).
    pub fn as_int(&self) -> i64 {
        match self {
            Self::Int(i) => *i,
            _ => 0,
        }
    }

    /// Whether this is a string, number or boolean.
    pub fn is_scalar(&self) -> bool {
        matches!(self, Self::Str(_) | Self::Bool(_) | Self::Int(_) | Self::Double(_))
    }

    /// A port value: a string as is, an integer in decimal.
    pub fn as_port(&self) -> Option<std::borrow::Cow<'a, str>> {
        match self {
            Self::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            Self::Int(i) => Some(std::borrow::Cow::Owned(i.to_string())),
            _ => None,
        }
    }
}

/// An array value, borrowed from either source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArrayRef<'a> {
    /// OTLP array of any values.
    Otlp(&'a [AnyValue]),
    /// SDK array of booleans.
    Bools(&'a [bool]),
    /// SDK array of integers.
    Ints(&'a [i64]),
    /// SDK array of doubles.
    Doubles(&'a [f64]),
    /// SDK array of strings.
    Strs(&'a [StringValue]),
    /// OTLP array still in its protobuf encoding (from [`crate::wire`]), read when looked at.
    Wire(WireArray<'a>),
}

impl<'a> ArrayRef<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Self::Otlp(v) => v.len(),
            Self::Bools(v) => v.len(),
            Self::Ints(v) => v.len(),
            Self::Doubles(v) => v.len(),
            Self::Strs(v) => v.len(),
            Self::Wire(v) => v.len(),
        }
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Wire(v) => v.is_empty(),
            _ => self.len() == 0,
        }
    }

    /// The element at `i`.
    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        match self {
            Self::Otlp(v) => v.get(i).map(otlp_value),
            Self::Bools(v) => v.get(i).map(|b| Value::Bool(*b)),
            Self::Ints(v) => v.get(i).map(|n| Value::Int(*n)),
            Self::Doubles(v) => v.get(i).map(|d| Value::Double(*d)),
            Self::Strs(v) => v.get(i).map(|s| Value::Str(s.as_str())),
            Self::Wire(v) => v.get(i),
        }
    }

    /// Iterates over the elements.
    pub fn iter(&self) -> impl Iterator<Item = Value<'a>> + '_ {
        match self {
            // Reading an encoded array element by element from the start would be quadratic.
            Self::Wire(v) => ArrayIter::Wire(v.iter()),
            _ => ArrayIter::Indexed(self, 0..self.len()),
        }
    }
}

/// The elements of an [`ArrayRef`].
enum ArrayIter<'a, 'r> {
    Indexed(&'r ArrayRef<'a>, std::ops::Range<usize>),
    Wire(WireArrayIter<'a>),
}

impl<'a> Iterator for ArrayIter<'a, '_> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        match self {
            Self::Indexed(array, range) => range.find_map(|i| array.get(i)),
            Self::Wire(iter) => iter.next(),
        }
    }
}

/// A map value (OTLP `kvlist_value`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapRef<'a> {
    /// OTLP key/value list.
    Otlp(&'a [OtlpKeyValue]),
    /// OTLP key/value list still in its protobuf encoding (from [`crate::wire`]), read when
    /// looked at.
    Wire(WireMap<'a>),
}

impl<'a> MapRef<'a> {
    /// Iterates over the entries.
    pub fn iter(&self) -> impl Iterator<Item = Attr<'a>> + 'a {
        match self {
            Self::Otlp(kvs) => MapIter::Otlp(kvs.iter()),
            Self::Wire(map) => MapIter::Wire(map.iter()),
        }
    }
}

/// The entries of a [`MapRef`].
enum MapIter<'a> {
    Otlp(std::slice::Iter<'a, OtlpKeyValue>),
    Wire(WireMapIter<'a>),
}

impl<'a> Iterator for MapIter<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        match self {
            Self::Otlp(iter) => iter.next().map(otlp_attr),
            Self::Wire(iter) => iter.next(),
        }
    }
}

/// One attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attr<'a> {
    /// The key.
    pub key: &'a str,
    /// The value.
    pub value: Value<'a>,
}

/// Looks `key` up in `attrs` (the last occurrence wins, as in a map).
pub fn find<'a>(attrs: &[Attr<'a>], key: &str) -> Option<Value<'a>> {
    attrs.iter().rev().find(|a| a.key == key).map(|a| a.value)
}

/// The string value of `key`, or `""` when absent or not a string.
pub fn find_str<'a>(attrs: &[Attr<'a>], key: &str) -> &'a str {
    find(attrs, key).map_or("", |v| v.as_str())
}

/// A span event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRef<'a> {
    /// Event name.
    pub name: &'a str,
    /// Event time, Unix nanoseconds.
    pub time_unix_nanos: u64,
    /// Event attributes.
    pub attributes: Vec<Attr<'a>>,
}

/// A span link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRef<'a> {
    /// The linked trace, as raw bytes (checked during translation).
    pub trace_id: &'a [u8],
    /// The linked span, as raw bytes (checked during translation).
    pub span_id: &'a [u8],
    /// Link attributes.
    pub attributes: Vec<Attr<'a>>,
}

/// A span, borrowed from its source.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRef<'a> {
    /// Trace id bytes (must be 16).
    pub trace_id: &'a [u8],
    /// Span id bytes (must be 8).
    pub span_id: &'a [u8],
    /// Parent span id bytes: empty (or all zero) for none, else 8.
    pub parent_span_id: &'a [u8],
    /// Span name.
    pub name: &'a str,
    /// Span kind.
    pub kind: SpanKind,
    /// Start, Unix nanoseconds.
    pub start_unix_nanos: u64,
    /// End, Unix nanoseconds.
    pub end_unix_nanos: u64,
    /// Attributes in span order.
    pub attributes: Vec<Attr<'a>>,
    /// Events in span order.
    pub events: Vec<EventRef<'a>>,
    /// Links in span order.
    pub links: Vec<LinkRef<'a>>,
    /// Status code.
    pub status: StatusCode,
    /// Status message.
    pub status_message: &'a str,
}

impl SpanRef<'_> {
    /// The span id if it is valid (8 bytes), for error reports.
    pub fn span_id(&self) -> Option<SegmentId> {
        SegmentId::from_slice(self.span_id).ok()
    }

    /// The trace id if it is valid (16 bytes), for error reports.
    pub fn trace_id(&self) -> Option<TraceId> {
        TraceId::from_slice(self.trace_id).ok()
    }
}

/// Resource attributes, borrowed from their source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceRef<'a> {
    /// Attributes in resource order.
    pub attributes: Vec<Attr<'a>>,
}

/// Views an OTLP `AnyValue`.
pub fn otlp_value(v: &AnyValue) -> Value<'_> {
    match &v.value {
        None => Value::Empty,
        Some(any_value::Value::StringValue(s)) => Value::Str(s),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::Int(*i),
        Some(any_value::Value::DoubleValue(d)) => Value::Double(*d),
        Some(any_value::Value::BytesValue(b)) => Value::Bytes(b),
        Some(any_value::Value::ArrayValue(a)) => Value::Array(ArrayRef::Otlp(&a.values)),
        Some(any_value::Value::KvlistValue(m)) => Value::Map(MapRef::Otlp(&m.values)),
        // A profiling-only string-table reference has no meaning in traces.
        Some(any_value::Value::StringValueStrindex(_)) => Value::Empty,
    }
}

/// Views an OTLP `KeyValue`.
pub fn otlp_attr(kv: &OtlpKeyValue) -> Attr<'_> {
    Attr {
        key: &kv.key,
        value: kv.value.as_ref().map_or(Value::Empty, otlp_value),
    }
}

/// Views an SDK attribute value.
pub fn sdk_value(v: &opentelemetry::Value) -> Value<'_> {
    use opentelemetry::{Array, Value as V};
    match v {
        V::Bool(b) => Value::Bool(*b),
        V::I64(i) => Value::Int(*i),
        V::F64(d) => Value::Double(*d),
        V::String(s) => Value::Str(s.as_str()),
        V::Array(Array::Bool(a)) => Value::Array(ArrayRef::Bools(a)),
        V::Array(Array::I64(a)) => Value::Array(ArrayRef::Ints(a)),
        V::Array(Array::F64(a)) => Value::Array(ArrayRef::Doubles(a)),
        V::Array(Array::String(a)) => Value::Array(ArrayRef::Strs(a)),
        // `Value` and `Array` are non-exhaustive; a future variant is carried as nothing.
        _ => Value::Empty,
    }
}

/// Views an SDK `KeyValue`.
pub fn sdk_attr(kv: &opentelemetry::KeyValue) -> Attr<'_> {
    Attr {
        key: kv.key.as_str(),
        value: sdk_value(&kv.value),
    }
}
