//! OTLP/JSON (the OTLP JSON encoding of an `ExportTraceServiceRequest`) into the protobuf types.
//!
//! # Why not the `with-serde` impls of `opentelemetry-proto`
//!
//! opentelemetry-proto 0.33 derives serde for its tonic types and gets the common case right:
//! camelCase names, hex trace and span ids, `intValue` and `*UnixNano` as strings or numbers, enum
//! integers, unknown fields ignored. But it rejects OTLP/JSON that real senders produce, and its
//! errors lose the field path inside attribute values (they go through `flatten` and an `untagged`
//! enum):
//!
//! * `{"arrayValue":{}}` and `{"kvlistValue":{}}`, the proto3-JSON spelling of an empty list (Go's
//!   `protojson`, and so the Collector, writes them), fail with "missing field `values`";
//! * `doubleValue` of `"NaN"`, `"Infinity"` or `"-Infinity"` (how proto3 JSON writes those doubles)
//!   fails, so a NaN attribute could never reach the translator's "span is unencodable" rule;
//! * `null` for any scalar or list field fails instead of meaning "default";
//! * enum names (`"SPAN_KIND_SERVER"`), which proto3-JSON parsers accept besides the integers, fail;
//! * 32-bit integers written as strings (`"droppedAttributesCount":"3"`) fail;
//! * a `KeyValue` without `key` (proto3 JSON omits empty strings) fails;
//! * `0x`-prefixed ids are accepted although OTLP ids are plain hex;
//! * as with any serde derive, a JSON array of a message's fields in order is taken for the message,
//!   so `"spans":[["…"]]` silently becomes an empty span instead of an error.
//!
//! So this module mirrors the wire shape in private serde structs, every field defaulted and
//! nullable, every scalar with a visitor that accepts exactly the proto3-JSON forms, and converts
//! them by value into the `opentelemetry_proto` types the translator reads. Fields the translator
//! never reads and OTLP marks as in development (`Resource.entityRefs`, the profiling-only
//! `keyStrindex` and `stringValueStrindex`) are ignored like any unknown field.
//!
//! Protobuf's own `json_format` (for example Python's `MessageToJson`) writes enum names, which are
//! accepted, but base64 ids, which OTLP/JSON replaced by hex; accepting those would be one more
//! branch in [`HexId`]'s visitor.
//!
//! Errors come with serde_json's line and column, a byte offset, the field path
//! (`resourceSpans[0].scopeSpans[0].spans[2].attributes[1].value.intValue`, via
//! `serde_path_to_error`) and an excerpt of the input around the position.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Unexpected, Visitor};

/// Bytes of input shown before an error position (which is usually just after the bad value).
const EXCERPT_BEFORE: usize = 40;

/// Bytes of input shown after an error position.
const EXCERPT_AFTER: usize = 16;

/// Longest input string quoted back in an error message.
const QUOTE_CHARS: usize = 48;

/// Where and why OTLP/JSON input could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line of the position where decoding stopped.
    pub line: usize,
    /// 1-based column (in bytes) of that position.
    pub column: usize,
    /// 0-based offset of the last byte read.
    pub byte: usize,
    /// The field being decoded, e.g. `resourceSpans[0].scopeSpans[0].spans[3].spanId`; empty at the
    /// top level.
    pub path: String,
    /// What was wrong, without the position.
    pub message: String,
    /// The input around the position, escaped for display on one line.
    pub excerpt: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {} (byte {})", self.line, self.column, self.byte)?;
        if !self.path.is_empty() {
            write!(f, ", field {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if !self.excerpt.is_empty() {
            write!(f, "; near `{}`", self.excerpt)?;
        }
        Ok(())
    }
}

impl std::error::Error for JsonError {}

impl JsonError {
    fn new(input: &[u8], err: &serde_json::Error, path: String) -> Self {
        let (line, column) = (err.line(), err.column());
        let full = err.to_string();
        let suffix = format!(" at line {line} column {column}");
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        let end = line_start(input, line).saturating_add(column).min(input.len());
        Self {
            line,
            column,
            byte: end.saturating_sub(1),
            path,
            message,
            excerpt: excerpt(input, end),
        }
    }
}

/// Decodes one OTLP/JSON `ExportTraceServiceRequest` (or the identical `TracesData`) that makes up
/// all of `input`.
pub fn decode(input: &[u8]) -> Result<ExportTraceServiceRequest, JsonError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if let Some(pos) = input.iter().position(|b| !b.is_ascii_whitespace())
        && input[pos] != b'{'
    {
        let found = input[pos];
        return Err(JsonError {
            line: 1 + input[..pos].iter().filter(|&&b| b == b'\n').count(),
            column: pos - input[..pos].iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1) + 1,
            byte: pos,
            path: String::new(),
            message: format!(
                "expected a JSON object (an ExportTraceServiceRequest), found {}",
                describe_byte(found)
            ),
            excerpt: excerpt(input, pos + 1),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(input);
    let request: JsonRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        // "." is the root; a trailing "?" is a key that could not be read (EOF, syntax error).
        let path = e.path().to_string();
        let path = path.trim_end_matches(".?").trim_end_matches('?').trim_end_matches('.');
        JsonError::new(input, e.inner(), path.to_owned())
    })?;
    de.end().map_err(|e| JsonError::new(input, &e, String::new()))?;
    Ok(request.into_proto())
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// Offset of the first byte of 1-based `line`.
fn line_start(input: &[u8], line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    input
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(line - 2)
        .map_or(input.len(), |(i, _)| i + 1)
}

/// Up to [`EXCERPT_BEFORE`] bytes before and [`EXCERPT_AFTER`] after `end`, cut at character boundaries, control
/// characters escaped so that it stays on one line.
fn excerpt(input: &[u8], end: usize) -> String {
    let is_cont = |i: usize| input.get(i).is_some_and(|b| b & 0xC0 == 0x80);
    let mut from = end.saturating_sub(EXCERPT_BEFORE);
    while from < end && is_cont(from) {
        from += 1;
    }
    let mut to = (end + EXCERPT_AFTER).min(input.len());
    while to > end && is_cont(to) {
        to -= 1;
    }
    let text = String::from_utf8_lossy(&input[from..to]);
    let mut out = String::with_capacity(text.len() + 8);
    if from > 0 {
        out.push('…');
    }
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if to < input.len() {
        out.push('…');
    }
    out
}

/// `s` for an error message: Debug-quoted, long strings cut.
fn quote(s: &str) -> String {
    match s.char_indices().nth(QUOTE_CHARS) {
        Some((i, _)) => format!("{:?}…", &s[..i]),
        None => format!("{s:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The wire shape. `expecting` puts the OTLP message names in serde's error messages.

/// Missing and `null` both mean the default, as in proto3 JSON.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `ExportTraceServiceRequest` (and `TracesData`, which has the same shape).
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (ExportTraceServiceRequest)",
    rename_all = "camelCase"
)]
struct JsonRequest {
    #[serde(deserialize_with = "nullable")]
    resource_spans: Vec<JsonResourceSpans>,
}

/// `ResourceSpans`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (ResourceSpans)",
    rename_all = "camelCase"
)]
struct JsonResourceSpans {
    resource: Option<JsonResource>,
    #[serde(deserialize_with = "nullable")]
    scope_spans: Vec<JsonScopeSpans>,
    #[serde(deserialize_with = "nullable")]
    schema_url: String,
}

/// `Resource`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (Resource)",
    rename_all = "camelCase"
)]
struct JsonResource {
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
}

/// `ScopeSpans`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (ScopeSpans)",
    rename_all = "camelCase"
)]
struct JsonScopeSpans {
    scope: Option<JsonScope>,
    #[serde(deserialize_with = "nullable")]
    spans: Vec<JsonSpan>,
    #[serde(deserialize_with = "nullable")]
    schema_url: String,
}

/// `InstrumentationScope`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (InstrumentationScope)",
    rename_all = "camelCase"
)]
struct JsonScope {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    version: String,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
}

/// `Span`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (Span)",
    rename_all = "camelCase"
)]
struct JsonSpan {
    #[serde(deserialize_with = "nullable")]
    trace_id: HexId,
    #[serde(deserialize_with = "nullable")]
    span_id: HexId,
    #[serde(deserialize_with = "nullable")]
    trace_state: String,
    #[serde(deserialize_with = "nullable")]
    parent_span_id: HexId,
    #[serde(deserialize_with = "nullable")]
    flags: Int<u32>,
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    kind: Enum<SpanKindNames>,
    #[serde(deserialize_with = "nullable")]
    start_time_unix_nano: Int<u64>,
    #[serde(deserialize_with = "nullable")]
    end_time_unix_nano: Int<u64>,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
    #[serde(deserialize_with = "nullable")]
    events: Vec<JsonEvent>,
    #[serde(deserialize_with = "nullable")]
    dropped_events_count: Int<u32>,
    #[serde(deserialize_with = "nullable")]
    links: Vec<JsonLink>,
    #[serde(deserialize_with = "nullable")]
    dropped_links_count: Int<u32>,
    status: Option<JsonStatus>,
}

/// `Span.Event`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (Event)",
    rename_all = "camelCase"
)]
struct JsonEvent {
    #[serde(deserialize_with = "nullable")]
    time_unix_nano: Int<u64>,
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
}

/// `Span.Link`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (Link)",
    rename_all = "camelCase"
)]
struct JsonLink {
    #[serde(deserialize_with = "nullable")]
    trace_id: HexId,
    #[serde(deserialize_with = "nullable")]
    span_id: HexId,
    #[serde(deserialize_with = "nullable")]
    trace_state: String,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
    #[serde(deserialize_with = "nullable")]
    flags: Int<u32>,
}

/// `Status`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (Status)",
    rename_all = "camelCase"
)]
struct JsonStatus {
    #[serde(deserialize_with = "nullable")]
    message: String,
    #[serde(deserialize_with = "nullable")]
    code: Enum<StatusCodeNames>,
}

/// `KeyValue`.
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (KeyValue)",
    rename_all = "camelCase"
)]
struct JsonKeyValue {
    #[serde(deserialize_with = "nullable")]
    key: String,
    value: Option<JsonAnyValue>,
}

/// `ArrayValue` (`{}` is the empty list).
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (ArrayValue)",
    rename_all = "camelCase"
)]
struct JsonArrayValue {
    #[serde(deserialize_with = "nullable")]
    values: Vec<JsonAnyValue>,
}

/// `KeyValueList` (`{}` is the empty list).
#[derive(Deserialize, Default)]
#[serde(
    remote = "Self",
    default,
    expecting = "a JSON object (KeyValueList)",
    rename_all = "camelCase"
)]
struct JsonKeyValueList {
    #[serde(deserialize_with = "nullable")]
    values: Vec<JsonKeyValue>,
}

/// Implements `Deserialize` for mirror structs through their `#[serde(remote = "Self")]` derive,
/// behind [`ObjectOnly`].
macro_rules! objects_only {
    ($($ty:ident),* $(,)?) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $ty::deserialize(ObjectOnly(d))
            }
        }
    )*};
}

objects_only!(
    JsonRequest,
    JsonResourceSpans,
    JsonResource,
    JsonScopeSpans,
    JsonScope,
    JsonSpan,
    JsonEvent,
    JsonLink,
    JsonStatus,
    JsonKeyValue,
    JsonArrayValue,
    JsonKeyValueList
);

/// Lets a derived struct be read from a JSON object only: serde's derive would also take an array
/// of the fields in order, which would turn `"spans": [["…"]]` into a span instead of an error.
struct ObjectOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// An `AnyValue`: an object with at most one of the value fields set.
#[derive(Default)]
struct JsonAnyValue(Option<Value>);

impl<'de> Deserialize<'de> for JsonAnyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(AnyValueVisitor)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum AnyValueField {
    StringValue,
    BoolValue,
    IntValue,
    DoubleValue,
    ArrayValue,
    KvlistValue,
    BytesValue,
    #[serde(other)]
    Unknown,
}

struct AnyValueVisitor;

impl<'de> Visitor<'de> for AnyValueVisitor {
    type Value = JsonAnyValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AnyValue object such as {\"stringValue\": \"…\"}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonAnyValue, A::Error> {
        let mut value: Option<(&'static str, Value)> = None;
        while let Some(field) = map.next_key::<AnyValueField>()? {
            let (name, v) = match field {
                AnyValueField::StringValue => (
                    "stringValue",
                    map.next_value::<Option<String>>()?.map(Value::StringValue),
                ),
                AnyValueField::BoolValue => ("boolValue", map.next_value::<Option<bool>>()?.map(Value::BoolValue)),
                AnyValueField::IntValue => (
                    "intValue",
                    map.next_value::<Option<Int<i64>>>()?.map(|i| Value::IntValue(i.0)),
                ),
                AnyValueField::DoubleValue => (
                    "doubleValue",
                    map.next_value::<Option<Double>>()?.map(|d| Value::DoubleValue(d.0)),
                ),
                AnyValueField::ArrayValue => (
                    "arrayValue",
                    map.next_value::<Option<JsonArrayValue>>()?
                        .map(|a| Value::ArrayValue(a.into_proto())),
                ),
                AnyValueField::KvlistValue => (
                    "kvlistValue",
                    map.next_value::<Option<JsonKeyValueList>>()?
                        .map(|l| Value::KvlistValue(l.into_proto())),
                ),
                AnyValueField::BytesValue => (
                    "bytesValue",
                    map.next_value::<Option<Base64>>()?.map(|b| Value::BytesValue(b.0)),
                ),
                AnyValueField::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let Some(v) = v else { continue };
            if let Some((first, _)) = value {
                return Err(de::Error::custom(format_args!(
                    "an AnyValue holds one value, but both `{first}` and `{name}` are set"
                )));
            }
            value = Some((name, v));
        }
        Ok(JsonAnyValue(value.map(|(_, v)| v)))
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars.

/// A trace, span or link id: hex digits of either case; `""` is the empty id (which the translator
/// rejects per span, so the input stays decodable).
#[derive(Default)]
struct HexId(Vec<u8>);

impl<'de> Deserialize<'de> for HexId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HexId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string of hex digits")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<HexId, E> {
                decode_hex(s).map(HexId).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// Decodes hex digits of either case; no prefix, no separators.
fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if let Some((i, c)) = s.char_indices().find(|&(_, c)| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "invalid hex id {}: {c:?} at character {} is not a hex digit",
            quote(s),
            s[..i].chars().count()
        ));
    }
    if !s.len().is_multiple_of(2) {
        return Err(format!(
            "invalid hex id {}: odd number of hex digits ({})",
            quote(s),
            s.len()
        ));
    }
    Ok(s.as_bytes()
        .chunks_exact(2)
        .map(|p| (nibble(p[0]).unwrap_or(0) << 4) | nibble(p[1]).unwrap_or(0))
        .collect())
}

/// An integer field: a JSON number or a string of decimal digits (64-bit integers are strings in
/// OTLP/JSON; proto3 JSON allows strings for every integer).
#[derive(Default, Clone, Copy)]
struct Int<T>(T);

impl<'de, T> Deserialize<'de> for Int<T>
where
    T: TryFrom<u64> + TryFrom<i64> + FromStr + Default,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: TryFrom<u64> + TryFrom<i64> + FromStr> Visitor<'_> for V<T> {
            type Value = Int<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} as a JSON integer or a string of decimal digits", int_name::<T>())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int<T>, E> {
                T::try_from(v)
                    .map(Int)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int<T>, E> {
                T::try_from(v)
                    .map(Int)
                    .map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Int<T>, E> {
                s.parse()
                    .map(Int)
                    .map_err(|_| E::invalid_value(Unexpected::Str(s), &self))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

fn int_name<T>() -> &'static str {
    match std::any::type_name::<T>() {
        "u32" => "a uint32",
        "u64" => "a uint64",
        "i32" => "an int32",
        "i64" => "an int64",
        other => other,
    }
}

/// A `doubleValue`: a JSON number, or a string holding a number or `NaN`, `Infinity`, `-Infinity`.
#[derive(Default)]
struct Double(f64);

impl<'de> Deserialize<'de> for Double {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Double;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a double as a JSON number or one of \"NaN\", \"Infinity\", \"-Infinity\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Double, E> {
                Ok(Double(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Double, E> {
                match s {
                    "NaN" => Ok(Double(f64::NAN)),
                    "Infinity" => Ok(Double(f64::INFINITY)),
                    "-Infinity" => Ok(Double(f64::NEG_INFINITY)),
                    _ => match s.parse::<f64>() {
                        Ok(v) if v.is_finite() => Ok(Double(v)),
                        _ => Err(E::invalid_value(Unexpected::Str(s), &self)),
                    },
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A `bytesValue`: base64, standard or URL-safe alphabet, padding optional (proto3 JSON).
#[derive(Default)]
struct Base64(Vec<u8>);

const PADDING_OPTIONAL: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, PADDING_OPTIONAL);
const BASE64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, PADDING_OPTIONAL);

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Base64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Base64, E> {
                let engine = if s.contains(['-', '_']) {
                    &BASE64_URL_SAFE
                } else {
                    &BASE64_STANDARD
                };
                engine
                    .decode(s)
                    .map(Base64)
                    .map_err(|e| E::custom(format_args!("invalid base64 {}: {e}", quote(s))))
            }
        }
        d.deserialize_str(V)
    }
}

/// The names of one protobuf enum.
trait EnumNames {
    /// What the enum is, for messages.
    const WHAT: &'static str;
    /// The value of a protobuf enum value name.
    fn from_name(name: &str) -> Option<i32>;
}

/// `Span.kind`.
struct SpanKindNames;

impl EnumNames for SpanKindNames {
    const WHAT: &'static str = "a span kind (0-5 or SPAN_KIND_*)";
    fn from_name(name: &str) -> Option<i32> {
        SpanKind::from_str_name(name).map(|k| k as i32)
    }
}

/// `Status.code`.
struct StatusCodeNames;

impl EnumNames for StatusCodeNames {
    const WHAT: &'static str = "a status code (0-2 or STATUS_CODE_*)";
    fn from_name(name: &str) -> Option<i32> {
        StatusCode::from_str_name(name).map(|c| c as i32)
    }
}

/// An enum field: the integer OTLP/JSON requires, or the value name proto3 JSON also allows.
/// Integers without a name are kept (proto3 enums are open); the translator reads them as
/// unspecified.
struct Enum<N>(i32, PhantomData<N>);

impl<N> Default for Enum<N> {
    fn default() -> Self {
        Self(0, PhantomData)
    }
}

impl<'de, N: EnumNames> Deserialize<'de> for Enum<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<N>(PhantomData<N>);
        impl<N: EnumNames> Visitor<'_> for V<N> {
            type Value = Enum<N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(N::WHAT)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Enum<N>, E> {
                i32::try_from(v)
                    .map(|v| Enum(v, PhantomData))
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Enum<N>, E> {
                i32::try_from(v)
                    .map(|v| Enum(v, PhantomData))
                    .map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Enum<N>, E> {
                N::from_name(s)
                    .map(|v| Enum(v, PhantomData))
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(s), &self))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------
// Into the protobuf types, by value.

impl JsonRequest {
    fn into_proto(self) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: self
                .resource_spans
                .into_iter()
                .map(JsonResourceSpans::into_proto)
                .collect(),
        }
    }
}

impl JsonResourceSpans {
    fn into_proto(self) -> ResourceSpans {
        ResourceSpans {
            resource: self.resource.map(|r| Resource {
                attributes: key_values(r.attributes),
                dropped_attributes_count: r.dropped_attributes_count.0,
                entity_refs: Vec::new(),
            }),
            scope_spans: self.scope_spans.into_iter().map(JsonScopeSpans::into_proto).collect(),
            schema_url: self.schema_url,
        }
    }
}

impl JsonScopeSpans {
    fn into_proto(self) -> ScopeSpans {
        ScopeSpans {
            scope: self.scope.map(|s| InstrumentationScope {
                name: s.name,
                version: s.version,
                attributes: key_values(s.attributes),
                dropped_attributes_count: s.dropped_attributes_count.0,
            }),
            spans: self.spans.into_iter().map(JsonSpan::into_proto).collect(),
            schema_url: self.schema_url,
        }
    }
}

impl JsonSpan {
    fn into_proto(self) -> Span {
        Span {
            trace_id: self.trace_id.0,
            span_id: self.span_id.0,
            trace_state: self.trace_state,
            parent_span_id: self.parent_span_id.0,
            flags: self.flags.0,
            name: self.name,
            kind: self.kind.0,
            start_time_unix_nano: self.start_time_unix_nano.0,
            end_time_unix_nano: self.end_time_unix_nano.0,
            attributes: key_values(self.attributes),
            dropped_attributes_count: self.dropped_attributes_count.0,
            events: self
                .events
                .into_iter()
                .map(|e| Event {
                    time_unix_nano: e.time_unix_nano.0,
                    name: e.name,
                    attributes: key_values(e.attributes),
                    dropped_attributes_count: e.dropped_attributes_count.0,
                })
                .collect(),
            dropped_events_count: self.dropped_events_count.0,
            links: self
                .links
                .into_iter()
                .map(|l| Link {
                    trace_id: l.trace_id.0,
                    span_id: l.span_id.0,
                    trace_state: l.trace_state,
                    attributes: key_values(l.attributes),
                    dropped_attributes_count: l.dropped_attributes_count.0,
                    flags: l.flags.0,
                })
                .collect(),
            dropped_links_count: self.dropped_links_count.0,
            status: self.status.map(|s| Status {
                message: s.message,
                code: s.code.0,
            }),
        }
    }
}

impl JsonArrayValue {
    fn into_proto(self) -> ArrayValue {
        ArrayValue {
            values: self.values.into_iter().map(JsonAnyValue::into_proto).collect(),
        }
    }
}

impl JsonKeyValueList {
    fn into_proto(self) -> KeyValueList {
        KeyValueList {
            values: key_values(self.values),
        }
    }
}

impl JsonAnyValue {
    fn into_proto(self) -> AnyValue {
        AnyValue { value: self.0 }
    }
}

fn key_values(kvs: Vec<JsonKeyValue>) -> Vec<KeyValue> {
    kvs.into_iter()
        .map(|kv| KeyValue {
            key: kv.key,
            value: kv.value.map(JsonAnyValue::into_proto),
            key_strindex: 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_json(span: &str) -> String {
        format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}]}}]}}]}}"#)
    }

    fn one_span(span: &str) -> Span {
        let mut req = decode(span_json(span).as_bytes()).expect("decodes");
        req.resource_spans.remove(0).scope_spans.remove(0).spans.remove(0)
    }

    fn attr(span: &str) -> Option<Value> {
        one_span(&format!(r#"{{"attributes":[{{"key":"k","value":{span}}}]}}"#)).attributes[0]
            .value
            .clone()
            .and_then(|v| v.value)
    }

    fn error(span: &str) -> JsonError {
        decode(span_json(span).as_bytes()).expect_err("fails")
    }

    #[test]
    fn ids_are_hex_of_either_case() {
        let s =
            one_span(r#"{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","parentSpanId":""}"#);
        assert_eq!(s.trace_id, const_hex_bytes("5b8efff798038103d269b633813fc60c"));
        assert_eq!(s.span_id, const_hex_bytes("eee19b7ec3c1b174"));
        assert!(s.parent_span_id.is_empty());
    }

    fn const_hex_bytes(s: &str) -> Vec<u8> {
        decode_hex(s).expect("hex")
    }

    #[test]
    fn wrong_length_ids_are_kept_for_the_translator_to_reject() {
        assert_eq!(one_span(r#"{"spanId":"abcd"}"#).span_id, vec![0xab, 0xcd]);
    }

    #[test]
    fn bad_hex_names_the_field_and_character() {
        let e = error(r#"{"name":"x","spanId":"0x01"}"#);
        assert_eq!(e.path, "resourceSpans[0].scopeSpans[0].spans[0].spanId");
        assert_eq!(
            e.message,
            r#"invalid hex id "0x01": 'x' at character 1 is not a hex digit"#
        );
        assert_eq!(e.line, 1);
        let e = error(r#"{"traceId":"abc"}"#);
        assert_eq!(e.message, r#"invalid hex id "abc": odd number of hex digits (3)"#);
    }

    #[test]
    fn times_and_counts_as_strings_or_numbers() {
        let s = one_span(
            r#"{"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,"droppedAttributesCount":"3","flags":257}"#,
        );
        assert_eq!(s.start_time_unix_nano, 1_544_712_660_000_000_000);
        assert_eq!(s.end_time_unix_nano, 1_544_712_661_000_000_000);
        assert_eq!(s.dropped_attributes_count, 3);
        assert_eq!(s.flags, 257);
    }

    #[test]
    fn enums_as_integers_or_names() {
        let s = one_span(r#"{"kind":2,"status":{"code":2,"message":"boom"}}"#);
        assert_eq!((s.kind, s.status.map(|s| s.code)), (2, Some(2)));
        let s = one_span(r#"{"kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_OK"}}"#);
        assert_eq!((s.kind, s.status.map(|s| s.code)), (3, Some(1)));
        assert_eq!(one_span(r#"{"kind":9}"#).kind, 9);
        let e = error(r#"{"kind":"SERVER"}"#);
        assert_eq!(e.path, "resourceSpans[0].scopeSpans[0].spans[0].kind");
        assert_eq!(
            e.message,
            r#"invalid value: string "SERVER", expected a span kind (0-5 or SPAN_KIND_*)"#
        );
    }

    #[test]
    fn null_means_default() {
        let s = one_span(r#"{"name":null,"attributes":null,"kind":null,"startTimeUnixNano":null,"status":null}"#);
        assert_eq!(s, Span::default());
    }

    #[test]
    fn unknown_fields_are_ignored_everywhere() {
        let s = one_span(
            r#"{"future":{"a":[1,{"b":null}]},"name":"n","attributes":[{"key":"k","keyStrindex":3,"new":1,"value":{"stringValue":"v","other":true}}]}"#,
        );
        assert_eq!(s.name, "n");
        assert_eq!(
            s.attributes[0].value.clone().and_then(|v| v.value),
            Some(Value::StringValue("v".into()))
        );
        let req = decode(br#"{"resourceSpans":[{"resource":{"entityRefs":[{"type":"service"}]},"x":1}],"y":2}"#)
            .expect("decodes");
        assert!(req.resource_spans[0].resource.is_some());
    }

    #[test]
    fn any_value_forms() {
        assert_eq!(attr(r#"{"intValue":"-42"}"#), Some(Value::IntValue(-42)));
        assert_eq!(attr(r#"{"intValue":7}"#), Some(Value::IntValue(7)));
        assert_eq!(attr(r#"{"doubleValue":1.5}"#), Some(Value::DoubleValue(1.5)));
        assert_eq!(
            attr(r#"{"doubleValue":"-Infinity"}"#),
            Some(Value::DoubleValue(f64::NEG_INFINITY))
        );
        assert!(matches!(attr(r#"{"doubleValue":"NaN"}"#), Some(Value::DoubleValue(d)) if d.is_nan()));
        assert_eq!(attr(r#"{"boolValue":true}"#), Some(Value::BoolValue(true)));
        assert_eq!(attr(r#"{"bytesValue":"AQID"}"#), Some(Value::BytesValue(vec![1, 2, 3])));
        assert_eq!(
            attr(r#"{"bytesValue":"-_8"}"#),
            Some(Value::BytesValue(vec![0xfb, 0xff]))
        );
        assert_eq!(
            attr(r#"{"arrayValue":{}}"#),
            Some(Value::ArrayValue(ArrayValue::default()))
        );
        assert_eq!(
            attr(r#"{"kvlistValue":{}}"#),
            Some(Value::KvlistValue(KeyValueList::default()))
        );
        assert_eq!(attr(r#"{}"#), None);
        assert_eq!(attr(r#"{"stringValue":null}"#), None);
        assert_eq!(
            attr(r#"{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"}]}}"#),
            Some(Value::ArrayValue(ArrayValue {
                values: vec![
                    AnyValue {
                        value: Some(Value::StringValue("a".into()))
                    },
                    AnyValue {
                        value: Some(Value::IntValue(1))
                    },
                ]
            }))
        );
    }

    #[test]
    fn any_value_errors_keep_the_inner_path() {
        let e = error(r#"{"attributes":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1.5"}]}}}]}"#);
        assert_eq!(
            e.path,
            "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values[0].intValue"
        );
        assert_eq!(
            e.message,
            r#"invalid value: string "1.5", expected an int64 as a JSON integer or a string of decimal digits"#
        );
        let e = error(r#"{"attributes":[{"key":"a","value":{"stringValue":"x","intValue":1}}]}"#);
        assert_eq!(
            e.message,
            "an AnyValue holds one value, but both `stringValue` and `intValue` are set"
        );
    }

    #[test]
    fn syntax_errors_give_position_and_excerpt() {
        let input = b"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"a\"\n,}]}]}]}";
        let e = decode(input).expect_err("fails");
        assert_eq!((e.line, e.column), (2, 2));
        assert_eq!(e.byte, input.iter().position(|&b| b == b'}').expect("brace"));
        assert_eq!(e.message, "trailing comma");
        assert!(e.excerpt.contains("\"name\":\"a\"\\n,}"), "{}", e.excerpt);
    }

    #[test]
    fn top_level_must_be_one_object() {
        let e = decode(b"  [1]").expect_err("fails");
        assert_eq!(
            e.message,
            "expected a JSON object (an ExportTraceServiceRequest), found '['"
        );
        assert_eq!((e.line, e.column, e.byte), (1, 3, 2));
        let e = decode(b"{} {}").expect_err("fails");
        assert_eq!(e.message, "trailing characters");
        assert!(decode(b"\xEF\xBB\xBF{}").is_ok());
    }

    #[test]
    fn messages_must_be_objects_not_arrays_of_fields() {
        let e = error(r#"["5759e988bd862e3fe1be46a994272793"]"#);
        assert_eq!(e.path, "resourceSpans[0].scopeSpans[0].spans[0]");
        assert_eq!(e.message, "invalid type: sequence, expected a JSON object (Span)");
        let e = error(r#"{"attributes":[{"key":"a","value":{"arrayValue":[]}}]}"#);
        assert_eq!(e.message, "invalid type: sequence, expected a JSON object (ArrayValue)");
        let e = error(r#"{"status":"ok"}"#);
        assert_eq!(
            e.message,
            r#"invalid type: string "ok", expected a JSON object (Status)"#
        );
    }

    #[test]
    fn empty_object_is_an_empty_request() {
        assert_eq!(decode(b"{}").expect("decodes"), ExportTraceServiceRequest::default());
    }
}
