//! Why an OTLP protobuf request could not be decoded.

use prost::encoding::WireType;

/// Why [`crate::Translator::translate_otlp_bytes`] (or [`super::count_spans`]) rejected a
/// request: what protobuf decoding of an `ExportTraceServiceRequest` rejects, with the field and
/// the byte offset (from the start of the request) where it went wrong.
///
/// `field` names the message and field as in the OTLP `.proto` files (`Span.name`,
/// `KeyValue.value`); for a problem with a field key it names the message being read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A varint runs past the end of its message or is longer than 10 bytes.
    #[error("invalid varint at byte {offset} in {field}")]
    InvalidVarint {
        /// Where the varint starts.
        offset: usize,
        /// The field (or message, for a key) being read.
        field: &'static str,
    },
    /// A field key is over 32 bits, has tag 0, or a wire type that does not exist (6 or 7).
    #[error("invalid field key {key} at byte {offset} in {field}: {problem}")]
    InvalidKey {
        /// Where the key starts.
        offset: usize,
        /// The message being read.
        field: &'static str,
        /// The key as decoded.
        key: u64,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A known field arrived with another wire type than its declared type has.
    #[error("field {field} at byte {offset} has wire type {found}, expected {expected}")]
    WrongWireType {
        /// Where the field's key starts.
        offset: usize,
        /// The field.
        field: &'static str,
        /// The wire type received.
        found: WireTypeName,
        /// The wire type of the field's declared type.
        expected: WireTypeName,
    },
    /// A length-delimited or fixed-size field needs more bytes than its message has left.
    #[error("field {field} at byte {offset} needs {needed} bytes but only {available} remain")]
    Truncated {
        /// Where the field's value starts.
        offset: usize,
        /// The field.
        field: &'static str,
        /// Bytes the field announced (or its fixed size).
        needed: u64,
        /// Bytes left in the enclosing message.
        available: usize,
    },
    /// A `string` field holds bytes that are not UTF-8.
    #[error("string field {field} at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Where the string's bytes start.
        offset: usize,
        /// The field.
        field: &'static str,
    },
    /// Messages (or groups) are nested deeper than protobuf decoding allows (100 levels).
    #[error("field {field} at byte {offset} is nested more than 100 messages deep")]
    TooDeep {
        /// Where the field's key starts.
        offset: usize,
        /// The field.
        field: &'static str,
    },
    /// An end-group key without a matching start-group key.
    #[error("unexpected end-group key (field {tag}) at byte {offset} in {field}")]
    UnexpectedEndGroup {
        /// Where the key starts.
        offset: usize,
        /// The message being read.
        field: &'static str,
        /// The field number of the end-group key.
        tag: u32,
    },
}

impl WireError {
    /// The byte offset, from the start of the request, where decoding failed.
    pub fn offset(&self) -> usize {
        match self {
            Self::InvalidVarint { offset, .. }
            | Self::InvalidKey { offset, .. }
            | Self::WrongWireType { offset, .. }
            | Self::Truncated { offset, .. }
            | Self::InvalidUtf8 { offset, .. }
            | Self::TooDeep { offset, .. }
            | Self::UnexpectedEndGroup { offset, .. } => *offset,
        }
    }
}

/// A protobuf wire type, as shown in [`WireError`] messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireTypeName(pub(crate) WireType);

impl std::fmt::Display for WireTypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            WireType::Varint => "varint",
            WireType::SixtyFourBit => "64-bit",
            WireType::LengthDelimited => "length-delimited",
            WireType::StartGroup => "start-group",
            WireType::EndGroup => "end-group",
            WireType::ThirtyTwoBit => "32-bit",
        })
    }
}
