//! Attribute values: `KeyValue` and `AnyValue` read into [`Attr`] and [`Value`], and arrays and
//! maps kept as their encoded bytes ([`WireArray`], [`WireMap`]) and read when looked at.
//!
//! A `KeyValue` is always one contiguous element of a repeated field, but its `value` may come in
//! several pieces that protobuf merges: the last scalar wins, and consecutive `array_value` (or
//! `kvlist_value`) pieces append their elements. A value read from one piece keeps that piece's
//! bytes; one merged from several keeps the bytes of the whole `KeyValue` (or array element) and
//! merges again when read.

use prost::encoding::WireType;

use super::error::WireError;
use super::reader::{RECURSION_LIMIT, Reader};
use crate::view::{ArrayRef, Attr, MapRef, Value};

/// Whether nested arrays and maps are checked now (the first reading of a request) or were
/// checked already (reading an array or map of a checked request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Check every nested value.
    Check,
    /// The bytes were checked: do not descend into nested arrays and maps.
    Checked,
}

/// Where a merged array or map is read again from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Root<'a> {
    /// A `KeyValue` message: its `value` pieces are merged.
    KeyValue(&'a [u8]),
    /// An `AnyValue` message (an array element).
    AnyValue(&'a [u8]),
}

/// An OTLP `ArrayValue` still in its encoded form, from a request checked by the wire decoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WireArray<'a>(Encoded<'a>);

/// An OTLP `KeyValueList` still in its encoded form, from a request checked by the wire decoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WireMap<'a>(Encoded<'a>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoded<'a> {
    /// The bytes of the one `ArrayValue` / `KeyValueList` piece.
    One(&'a [u8]),
    /// Several pieces, merged from this root.
    Merged(Root<'a>),
}

/// Field 5 of `AnyValue`.
const ARRAY_TAG: u32 = 5;
/// Field 6 of `AnyValue`.
const KVLIST_TAG: u32 = 6;

/// The value being merged from an `AnyValue`'s fields.
#[derive(Debug, Clone, Copy)]
enum Merging<'a> {
    None,
    Scalar(Value<'a>),
    /// An array or map (by its tag): the first piece, and whether more followed.
    List {
        tag: u32,
        first: &'a [u8],
        more: bool,
    },
}

impl<'a> Merging<'a> {
    /// Reads the fields of one `AnyValue` piece at `depth`.
    fn merge(&mut self, mut r: Reader<'a>, depth: u32, mode: Mode) -> Result<(), WireError> {
        while let Some(key) = r.key("AnyValue")? {
            *self = match key.tag {
                1 => Merging::Scalar(Value::Str(r.str_field(key, "AnyValue.string_value")?)),
                2 => Merging::Scalar(Value::Bool(r.varint_field(key, "AnyValue.bool_value")? != 0)),
                3 => Merging::Scalar(Value::Int(r.varint_field(key, "AnyValue.int_value")? as i64)),
                4 => Merging::Scalar(Value::Double(f64::from_bits(
                    r.fixed64_field(key, "AnyValue.double_value")?,
                ))),
                7 => Merging::Scalar(Value::Bytes(r.bytes_field(key, "AnyValue.bytes_value")?)),
                // A profiling-only string-table reference has no meaning in traces.
                8 => {
                    r.varint_field(key, "AnyValue.string_value_strindex")?;
                    Merging::Scalar(Value::Empty)
                }
                tag @ (ARRAY_TAG | KVLIST_TAG) => {
                    let field = if tag == ARRAY_TAG {
                        "AnyValue.array_value"
                    } else {
                        "AnyValue.kvlist_value"
                    };
                    let body = r.message_field(key, depth, field)?;
                    if mode == Mode::Check {
                        check_list(tag, body, depth - 1)?;
                    }
                    match *self {
                        Merging::List { tag: t, first, .. } if t == tag => Merging::List { tag, first, more: true },
                        _ => Merging::List {
                            tag,
                            first: body.bytes(),
                            more: false,
                        },
                    }
                }
                _ => {
                    r.skip(key, depth, "AnyValue")?;
                    continue;
                }
            };
        }
        Ok(())
    }

    fn finish(self, root: Root<'a>) -> Value<'a> {
        match self {
            Merging::None => Value::Empty,
            Merging::Scalar(v) => v,
            Merging::List { tag, first, more } => {
                let encoded = if more {
                    Encoded::Merged(root)
                } else {
                    Encoded::One(first)
                };
                if tag == ARRAY_TAG {
                    Value::Array(ArrayRef::Wire(WireArray(encoded)))
                } else {
                    Value::Map(MapRef::Wire(WireMap(encoded)))
                }
            }
        }
    }
}

/// Checks every element of an `ArrayValue` (`tag` 5) or `KeyValueList` (6) read at `depth`.
fn check_list(tag: u32, mut r: Reader<'_>, depth: u32) -> Result<(), WireError> {
    let (message, field) = if tag == ARRAY_TAG {
        ("ArrayValue", "ArrayValue.values")
    } else {
        ("KeyValueList", "KeyValueList.values")
    };
    while let Some(key) = r.key(message)? {
        if key.tag == 1 {
            let element = r.message_field(key, depth, field)?;
            if tag == ARRAY_TAG {
                any_value(element, depth - 1, Mode::Check)?;
            } else {
                key_value(element, depth - 1, Mode::Check)?;
            }
        } else {
            r.skip(key, depth, message)?;
        }
    }
    Ok(())
}

/// Reads a `KeyValue` message whose fields are at `depth`.
pub(crate) fn key_value<'a>(mut r: Reader<'a>, depth: u32, mode: Mode) -> Result<Attr<'a>, WireError> {
    let root = Root::KeyValue(r.bytes());
    let mut key_str = "";
    let mut value = Merging::None;
    while let Some(key) = r.key("KeyValue")? {
        match key.tag {
            1 => key_str = r.str_field(key, "KeyValue.key")?,
            2 => {
                let piece = r.message_field(key, depth, "KeyValue.value")?;
                value.merge(piece, depth - 1, mode)?;
            }
            3 => {
                r.varint_field(key, "KeyValue.key_strindex")?;
            }
            _ => r.skip(key, depth, "KeyValue")?,
        }
    }
    Ok(Attr {
        key: key_str,
        value: value.finish(root),
    })
}

/// Reads an `AnyValue` message (an array element) whose fields are at `depth`.
fn any_value<'a>(r: Reader<'a>, depth: u32, mode: Mode) -> Result<Value<'a>, WireError> {
    let root = Root::AnyValue(r.bytes());
    let mut value = Merging::None;
    value.merge(r, depth, mode)?;
    Ok(value.finish(root))
}

/// The bytes of each piece of a list value, in order.
#[derive(Debug, Clone)]
enum Pieces<'a> {
    One(Option<&'a [u8]>),
    Many(std::vec::IntoIter<&'a [u8]>),
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Self::One(p) => p.take(),
            Self::Many(p) => p.next(),
        }
    }
}

impl<'a> Encoded<'a> {
    fn pieces(&self, tag: u32) -> Pieces<'a> {
        match *self {
            Encoded::One(bytes) => Pieces::One(Some(bytes)),
            Encoded::Merged(root) => Pieces::Many(merged_pieces(root, tag).into_iter()),
        }
    }

    /// The encoded elements (field 1 of every piece), in order.
    fn elements(&self, tag: u32) -> Elements<'a> {
        Elements {
            pieces: self.pieces(tag),
            current: None,
        }
    }
}

/// The list pieces (`tag` 5 or 6) that survive merging the `AnyValue` pieces of `root`: those
/// after the last piece of any other kind of value.
fn merged_pieces(root: Root<'_>, tag: u32) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    // The request was checked: errors cannot happen here, and would only cut the list short.
    let _ = match root {
        Root::AnyValue(bytes) => surviving_pieces(Reader::new(bytes, 0), tag, &mut pieces),
        Root::KeyValue(bytes) => key_value_pieces(Reader::new(bytes, 0), tag, &mut pieces),
    };
    pieces
}

/// [`surviving_pieces`] over every `value` piece of a `KeyValue`.
fn key_value_pieces<'a>(mut r: Reader<'a>, tag: u32, pieces: &mut Vec<&'a [u8]>) -> Result<(), WireError> {
    while let Some(key) = r.key("KeyValue")? {
        if key.tag == 2 && key.wire_type == WireType::LengthDelimited {
            let piece = r.message_field(key, RECURSION_LIMIT, "KeyValue.value")?;
            surviving_pieces(piece, tag, pieces)?;
        } else {
            r.skip(key, RECURSION_LIMIT, "KeyValue")?;
        }
    }
    Ok(())
}

/// Goes through one `AnyValue` piece: list pieces of kind `tag` are added to `pieces`, any
/// other value empties it.
fn surviving_pieces<'a>(mut r: Reader<'a>, tag: u32, pieces: &mut Vec<&'a [u8]>) -> Result<(), WireError> {
    while let Some(key) = r.key("AnyValue")? {
        if key.wire_type == WireType::LengthDelimited && (key.tag == ARRAY_TAG || key.tag == KVLIST_TAG) {
            let body = r.message_field(key, RECURSION_LIMIT, "AnyValue")?;
            if key.tag == tag {
                pieces.push(body.bytes());
            } else {
                pieces.clear();
            }
        } else {
            if (1..=8).contains(&key.tag) {
                pieces.clear();
            }
            r.skip(key, RECURSION_LIMIT, "AnyValue")?;
        }
    }
    Ok(())
}

/// The encoded elements of a list value.
#[derive(Debug, Clone)]
struct Elements<'a> {
    pieces: Pieces<'a>,
    current: Option<Reader<'a>>,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Reader<'a>;

    fn next(&mut self) -> Option<Reader<'a>> {
        loop {
            let r = match &mut self.current {
                Some(r) => r,
                None => self.current.insert(Reader::new(self.pieces.next()?, 0)),
            };
            // Checked bytes: an error cannot happen, and would end this piece.
            match r.key("list") {
                Ok(Some(key)) if key.tag == 1 && key.wire_type == WireType::LengthDelimited => {
                    if let Ok(element) = r.message_field(key, RECURSION_LIMIT, "values") {
                        return Some(element);
                    }
                    self.current = None;
                }
                Ok(Some(key)) => {
                    if r.skip(key, RECURSION_LIMIT, "list").is_err() {
                        self.current = None;
                    }
                }
                Ok(None) | Err(_) => self.current = None,
            }
        }
    }
}

/// The elements of a [`WireArray`].
#[derive(Debug, Clone)]
pub struct WireArrayIter<'a>(Elements<'a>);

impl<'a> Iterator for WireArrayIter<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        self.0
            .next()
            .map(|r| any_value(r, RECURSION_LIMIT, Mode::Checked).unwrap_or(Value::Empty))
    }
}

impl<'a> WireArray<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.elements(ARRAY_TAG).count()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.0.elements(ARRAY_TAG).next().is_none()
    }

    /// The element at `i`.
    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        self.iter().nth(i)
    }

    /// The elements, in order.
    pub fn iter(&self) -> WireArrayIter<'a> {
        WireArrayIter(self.0.elements(ARRAY_TAG))
    }
}

/// The entries of a [`WireMap`].
#[derive(Debug, Clone)]
pub struct WireMapIter<'a>(Elements<'a>);

impl<'a> Iterator for WireMapIter<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        self.0.next().map(|r| {
            key_value(r, RECURSION_LIMIT, Mode::Checked).unwrap_or(Attr {
                key: "",
                value: Value::Empty,
            })
        })
    }
}

impl<'a> WireMap<'a> {
    /// The entries, in order.
    pub fn iter(&self) -> WireMapIter<'a> {
        WireMapIter(self.0.elements(KVLIST_TAG))
    }
}
