//! Encoding documents into reusable buffers, with the encoded size known.

use serde::Serialize;

use crate::json::{JsonEncode, NonFinite, json_len};
use crate::segment::Segment;
use crate::value::NON_FINITE_MESSAGE;

/// Why a document cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The document holds a value JSON cannot express (a NaN or infinite number).
    #[error("segment document cannot be encoded as JSON: {reason}")]
    Unencodable {
        /// What `serde_json` reported.
        reason: String,
    },
}

/// Appends the JSON encoding of `segment` to `buf` and returns the number of bytes appended.
///
/// On error `buf` is left as it was.
pub fn encode_into(segment: &Segment<'_>, buf: &mut Vec<u8>) -> Result<usize, EncodeError> {
    let start = buf.len();
    // The hand-written encoder (crate::json) writes the same bytes as `serde_json::to_writer`.
    match segment.encode_json(buf) {
        Ok(()) => Ok(buf.len() - start),
        Err(NonFinite) => {
            buf.truncate(start);
            Err(non_finite())
        }
    }
}

fn non_finite() -> EncodeError {
    // The message `serde_json` reported for the same failure.
    EncodeError::Unencodable {
        reason: NON_FINITE_MESSAGE.to_owned(),
    }
}

/// The number of bytes a document (or one of its values) takes as JSON, without keeping the text:
/// the hand-written encoder's counterpart of [`encoded_len`], much faster.
pub fn json_encoded_len<T: JsonEncode + ?Sized>(value: &T) -> Result<usize, EncodeError> {
    json_len(value).map_err(|NonFinite| non_finite())
}

/// The number of bytes `value` takes as JSON (through `serde_json`), without keeping the text.
///
/// For documents and their values prefer [`json_encoded_len`].
pub fn encoded_len<T: Serialize + ?Sized>(value: &T) -> Result<usize, EncodeError> {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    serde_json::to_writer(&mut c, value).map_err(|e| EncodeError::Unencodable { reason: e.to_string() })?;
    Ok(c.0)
}

/// A reusable encoder: one buffer, grown once and reused for every document.
#[derive(Debug, Default)]
pub struct DocumentEncoder {
    buf: Vec<u8>,
}

impl DocumentEncoder {
    /// An encoder with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Encodes `segment`, replacing the previous contents, and returns the JSON bytes.
    pub fn encode(&mut self, segment: &Segment<'_>) -> Result<&[u8], EncodeError> {
        self.buf.clear();
        encode_into(segment, &mut self.buf)?;
        Ok(&self.buf)
    }
}
