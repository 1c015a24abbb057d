//! X-Ray trace ids and segment ids.
//!
//! A [`TraceId`] holds the 16 bytes of an OpenTelemetry trace id and is written the X-Ray way,
//! `1-` + 8 hex digits (bytes 0–3) + `-` + 24 hex digits (bytes 4–15). A [`SegmentId`] holds the
//! 8 bytes of a span id and is written as 16 lowercase hex digits. Both parse strictly: exact
//! lengths, the version digit `1`, hex digits only. Nothing is padded or shifted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::limits::{SEGMENT_ID_HEX_LEN, TRACE_ID_STR_LEN};

/// Why a string is not a valid X-Ray id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The trace id does not have the shape `1-<8 hex>-<24 hex>`.
    #[error("invalid X-Ray trace id {0:?}: expected 1-<8 hex digits>-<24 hex digits>")]
    TraceId(String),
    /// The segment id is not exactly 16 hex digits.
    #[error("invalid segment id {0:?}: expected 16 hex digits")]
    SegmentId(String),
    /// A binary id had the wrong number of bytes.
    #[error("invalid {kind} id: expected {expected} bytes, got {got}")]
    ByteLength {
        /// `trace` or `span`.
        kind: &'static str,
        /// Bytes required.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
}

/// A 128-bit trace id, written in X-Ray form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub [u8; 16]);

impl TraceId {
    /// Builds a trace id from a 16-byte slice (as found in OTLP protobuf).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, IdError> {
        <[u8; 16]>::try_from(bytes).map(Self).map_err(|_| IdError::ByteLength {
            kind: "trace",
            expected: 16,
            got: bytes.len(),
        })
    }

    /// The epoch seconds X-Ray-style ids carry in their first 4 bytes.
    pub fn epoch_secs(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }

    /// Whether every byte is zero (an invalid id in OpenTelemetry).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    /// Writes the 35-byte X-Ray form into `out` without allocating.
    pub fn write_xray(&self, out: &mut [u8; TRACE_ID_STR_LEN]) {
        out[0] = b'1';
        out[1] = b'-';
        out[10] = b'-';
        hex_into(&self.0[..4], &mut out[2..10]);
        hex_into(&self.0[4..], &mut out[11..]);
    }

    /// The parent id an X-Ray propagator makes up for a trace header that carries no `Parent`
    /// (ALB and API Gateway send only `Root`): the trace id's two big-endian 64-bit halves XOR-ed
    /// together and with `"XRAYROOT"` (the constant itself should that be zero). A real parent id
    /// collides with it with probability 2⁻⁶⁴. The translator treats a parent equal to it as no
    /// parent, so such requests become root segments instead of pointing at a segment that never
    /// exists.
    pub fn synthetic_parent(&self) -> SegmentId {
        const SALT: u64 = u64::from_be_bytes(*b"XRAYROOT");
        let mut high = [0u8; 8];
        let mut low = [0u8; 8];
        high.copy_from_slice(&self.0[..8]);
        low.copy_from_slice(&self.0[8..]);
        let mixed = u64::from_be_bytes(high) ^ u64::from_be_bytes(low) ^ SALT;
        SegmentId(if mixed == 0 { SALT } else { mixed }.to_be_bytes())
    }

    /// The 32 lowercase hex digits of the OpenTelemetry form.
    pub fn to_otel_hex(&self) -> String {
        const_hex::encode(self.0)
    }

    /// Parses an OpenTelemetry trace id of exactly 32 hex digits.
    pub fn from_otel_hex(s: &str) -> Result<Self, IdError> {
        let mut bytes = [0u8; 16];
        if s.len() != 32 || const_hex::decode_to_slice(s, &mut bytes).is_err() {
            return Err(IdError::TraceId(s.to_owned()));
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; TRACE_ID_STR_LEN];
        self.write_xray(&mut out);
        // Only ASCII was written.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl FromStr for TraceId {
    type Err = IdError;

    /// Parses `1-<8 hex>-<24 hex>` strictly: version `1`, exact lengths, hex digits only.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let err = || IdError::TraceId(s.to_owned());
        if b.len() != TRACE_ID_STR_LEN || b[0] != b'1' || b[1] != b'-' || b[10] != b'-' {
            return Err(err());
        }
        let mut bytes = [0u8; 16];
        const_hex::decode_to_slice(&b[2..10], &mut bytes[..4]).map_err(|_| err())?;
        const_hex::decode_to_slice(&b[11..], &mut bytes[4..]).map_err(|_| err())?;
        Ok(Self(bytes))
    }
}

impl Serialize for TraceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = [0u8; TRACE_ID_STR_LEN];
        self.write_xray(&mut out);
        serializer.serialize_str(std::str::from_utf8(&out).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for TraceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A 64-bit segment, subsegment or exception id, written as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SegmentId(pub [u8; 8]);

impl SegmentId {
    /// Builds a segment id from an 8-byte slice (as found in OTLP protobuf).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, IdError> {
        <[u8; 8]>::try_from(bytes).map(Self).map_err(|_| IdError::ByteLength {
            kind: "span",
            expected: 8,
            got: bytes.len(),
        })
    }

    /// Whether every byte is zero (an invalid id in OpenTelemetry).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }

    /// Writes the 16 hex digits into `out` without allocating.
    pub fn write_hex(&self, out: &mut [u8; SEGMENT_ID_HEX_LEN]) {
        hex_into(&self.0, out);
    }
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; SEGMENT_ID_HEX_LEN];
        self.write_hex(&mut out);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SegmentId({self})")
    }
}

impl FromStr for SegmentId {
    type Err = IdError;

    /// Parses exactly 16 hex digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 8];
        if s.len() != SEGMENT_ID_HEX_LEN || const_hex::decode_to_slice(s, &mut bytes).is_err() {
            return Err(IdError::SegmentId(s.to_owned()));
        }
        Ok(Self(bytes))
    }
}

impl Serialize for SegmentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = [0u8; SEGMENT_ID_HEX_LEN];
        self.write_hex(&mut out);
        serializer.serialize_str(std::str::from_utf8(&out).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for SegmentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The two lowercase hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [DIGITS[i >> 4], DIGITS[i & 0xf]];
        i += 1;
    }
    t
};

/// Writes the lowercase hex digits of `bytes` into `out` (twice as long).
///
/// A table lookup per byte rather than `const_hex`: ids are 4 to 12 bytes, written for every
/// document, and for inputs that short const-hex's SIMD set-up cost several times the work.
#[inline]
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), bytes.len() * 2);
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(*b)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_id_converts_both_ways() {
        let id = TraceId::from_otel_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        assert_eq!(id.to_string(), "1-4bf92f35-77b34da6a3ce929d0e0e4736");
        assert_eq!("1-4bf92f35-77b34da6a3ce929d0e0e4736".parse::<TraceId>().unwrap(), id);
        assert_eq!(id.epoch_secs(), 0x4bf92f35);
    }

    #[test]
    fn trace_id_parsing_is_strict() {
        for bad in [
            "",
            "1-4bf92f35-77b34da6a3ce929d0e0e473",   // 23 hex digits
            "1-4bf92f3-577b34da6a3ce929d0e0e4736",  // 7 + 25
            "2-4bf92f35-77b34da6a3ce929d0e0e4736",  // version
            "1-4bf92f35-77b34da6a3ce929d0e0e473g",  // not hex
            "1_4bf92f35-77b34da6a3ce929d0e0e4736",  // separator
            "1-4bf92f35-77b34da6a3ce929d0e0e47366", // too long
        ] {
            assert!(bad.parse::<TraceId>().is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn segment_id_round_trips_and_rejects_short_ids() {
        let id: SegmentId = "53995c3f42cd8ad8".parse().unwrap();
        assert_eq!(id.to_string(), "53995c3f42cd8ad8");
        assert!("abc".parse::<SegmentId>().is_err());
        assert!("53995c3f42cd8ad8a".parse::<SegmentId>().is_err());
        assert!(SegmentId::from_slice(&[1, 2, 3]).is_err());
    }

    #[test]
    fn serde_uses_the_xray_forms() {
        let id = TraceId([0xab; 16]);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"1-abababab-abababababababababababab\"");
        let back: TraceId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<SegmentId>("\"xyz\"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_trace_id_round_trips(bytes in proptest::array::uniform16(0u8..)) {
            let id = TraceId(bytes);
            let s = id.to_string();
            proptest::prop_assert_eq!(s.len(), TRACE_ID_STR_LEN);
            proptest::prop_assert_eq!(s.parse::<TraceId>().unwrap(), id);
            proptest::prop_assert_eq!(TraceId::from_otel_hex(&id.to_otel_hex()).unwrap(), id);
        }

        #[test]
        fn any_segment_id_round_trips(bytes in proptest::array::uniform8(0u8..)) {
            let id = SegmentId(bytes);
            proptest::prop_assert_eq!(id.to_string().parse::<SegmentId>().unwrap(), id);
        }

        #[test]
        fn trace_id_parser_never_panics(s in ".{0,40}") {
            let _ = s.parse::<TraceId>();
            let _ = s.parse::<SegmentId>();
        }
    }
}
