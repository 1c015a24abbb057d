//! A cursor over one protobuf message's bytes: field keys, scalars, length-delimited values and
//! skipping unknown fields, each failure reported with its field and absolute byte offset.
//!
//! The checks are the ones prost's decoding makes (`prost::encoding`), so that a request is
//! rejected here exactly when prost rejects it; varints are decoded by prost's own
//! [`decode_varint`].

use prost::encoding::{WireType, decode_varint};

use super::error::{WireError, WireTypeName};

/// How many levels of nested messages (and groups) protobuf decoding allows: the fields of the
/// request itself are read at this depth, and each nested message takes one.
pub(crate) const RECURSION_LIMIT: u32 = 100;

/// One field key: its number, wire type and where it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    pub tag: u32,
    pub wire_type: WireType,
    pub offset: usize,
}

/// A cursor over the bytes of one message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the whole request.
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, which starts at byte `base` of the request.
    pub fn new(buf: &'a [u8], base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    /// Whether every byte has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The absolute offset of the next byte.
    #[inline]
    fn offset(&self) -> usize {
        self.base + self.pos
    }

    #[inline]
    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// A varint, for `field`.
    #[inline(always)]
    pub fn varint(&mut self, field: &'static str) -> Result<u64, WireError> {
        // Keys, lengths and most enum values fit in one byte.
        if let Some(&byte) = self.buf.get(self.pos)
            && byte < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(byte));
        }
        self.varint_long(field)
    }

    /// A varint of more than one byte (or a missing one), decoded by prost.
    #[inline(never)]
    fn varint_long(&mut self, field: &'static str) -> Result<u64, WireError> {
        let mut rest = self.rest();
        let before = rest.len();
        match decode_varint(&mut rest) {
            Ok(v) => {
                self.pos += before - rest.len();
                Ok(v)
            }
            Err(_) => Err(WireError::InvalidVarint {
                offset: self.offset(),
                field,
            }),
        }
    }

    /// The next field key of message `message`, or `None` at the end of the message.
    #[inline(always)]
    pub fn key(&mut self, message: &'static str) -> Result<Option<Key>, WireError> {
        if self.is_empty() {
            return Ok(None);
        }
        let offset = self.offset();
        let key = self.varint(message)?;
        let invalid = |problem| WireError::InvalidKey {
            offset,
            field: message,
            key,
            problem,
        };
        if key > u64::from(u32::MAX) {
            return Err(invalid("more than 32 bits"));
        }
        let wire_type = WireType::try_from(key & 7).map_err(|_| invalid("wire type 6 or 7 does not exist"))?;
        let tag = (key >> 3) as u32;
        if tag == 0 {
            return Err(invalid("field number 0"));
        }
        Ok(Some(Key { tag, wire_type, offset }))
    }

    /// Checks that `key` has wire type `expected`, as field `field`.
    #[inline]
    pub fn expect(key: Key, expected: WireType, field: &'static str) -> Result<(), WireError> {
        if key.wire_type == expected {
            Ok(())
        } else {
            Err(WireError::WrongWireType {
                offset: key.offset,
                field,
                found: WireTypeName(key.wire_type),
                expected: WireTypeName(expected),
            })
        }
    }

    fn take(&mut self, len: u64, field: &'static str) -> Result<&'a [u8], WireError> {
        let rest = self.rest();
        match usize::try_from(len).ok().and_then(|n| rest.get(..n)) {
            Some(bytes) => {
                self.pos += bytes.len();
                Ok(bytes)
            }
            None => Err(WireError::Truncated {
                offset: self.offset(),
                field,
                needed: len,
                available: rest.len(),
            }),
        }
    }

    /// A varint field (`int32`, `int64`, `uint32`, `bool`, enum).
    #[inline]
    pub fn varint_field(&mut self, key: Key, field: &'static str) -> Result<u64, WireError> {
        Self::expect(key, WireType::Varint, field)?;
        self.varint(field)
    }

    /// A `fixed64` or `double` field.
    #[inline]
    pub fn fixed64_field(&mut self, key: Key, field: &'static str) -> Result<u64, WireError> {
        Self::expect(key, WireType::SixtyFourBit, field)?;
        let b = self.take(8, field)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    /// A `fixed32` field.
    #[inline]
    pub fn fixed32_field(&mut self, key: Key, field: &'static str) -> Result<u32, WireError> {
        Self::expect(key, WireType::ThirtyTwoBit, field)?;
        let b = self.take(4, field)?;
        Ok(u32::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    /// A `bytes` field.
    #[inline]
    pub fn bytes_field(&mut self, key: Key, field: &'static str) -> Result<&'a [u8], WireError> {
        Self::expect(key, WireType::LengthDelimited, field)?;
        let len = self.varint(field)?;
        self.take(len, field)
    }

    /// A `string` field: its bytes must be UTF-8.
    #[inline]
    pub fn str_field(&mut self, key: Key, field: &'static str) -> Result<&'a str, WireError> {
        let bytes = self.bytes_field(key, field)?;
        std::str::from_utf8(bytes).map_err(|_| WireError::InvalidUtf8 {
            offset: self.offset() - bytes.len(),
            field,
        })
    }

    /// A message field read at `depth` (the depth of the enclosing message's fields): a reader
    /// over the nested message. Its fields are to be read at `depth - 1`.
    #[inline]
    pub fn message_field(&mut self, key: Key, depth: u32, field: &'static str) -> Result<Reader<'a>, WireError> {
        Self::expect(key, WireType::LengthDelimited, field)?;
        if depth == 0 {
            return Err(WireError::TooDeep {
                offset: key.offset,
                field,
            });
        }
        let len = self.varint(field)?;
        let base = self.offset();
        let bytes = self.take(len, field)?;
        Ok(Reader::new(bytes, base))
    }

    /// Skips a field this decoder does not read, at `depth`, as prost's `skip_field` does
    /// (groups included).
    pub fn skip(&mut self, key: Key, depth: u32, message: &'static str) -> Result<(), WireError> {
        if depth == 0 {
            return Err(WireError::TooDeep {
                offset: key.offset,
                field: message,
            });
        }
        match key.wire_type {
            WireType::Varint => {
                self.varint(message)?;
            }
            WireType::ThirtyTwoBit => {
                self.take(4, message)?;
            }
            WireType::SixtyFourBit => {
                self.take(8, message)?;
            }
            WireType::LengthDelimited => {
                let len = self.varint(message)?;
                self.take(len, message)?;
            }
            WireType::StartGroup => loop {
                let Some(inner) = self.key(message)? else {
                    // The group runs past the end of its message.
                    return Err(WireError::Truncated {
                        offset: key.offset,
                        field: message,
                        needed: 1,
                        available: 0,
                    });
                };
                if inner.wire_type == WireType::EndGroup {
                    if inner.tag != key.tag {
                        return Err(WireError::UnexpectedEndGroup {
                            offset: inner.offset,
                            field: message,
                            tag: inner.tag,
                        });
                    }
                    break;
                }
                self.skip(inner, depth - 1, message)?;
            },
            WireType::EndGroup => {
                return Err(WireError::UnexpectedEndGroup {
                    offset: key.offset,
                    field: message,
                    tag: key.tag,
                });
            }
        }
        Ok(())
    }

    /// The bytes of this message.
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
}
