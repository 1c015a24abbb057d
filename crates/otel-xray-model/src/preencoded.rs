//! Typed values encoded once and spliced into many documents.
//!
//! Every document of a resource repeats what the resource contributes (for instance the platform
//! part of the `aws` block: ECS task, X-Ray SDK, log groups, several hundred bytes). Encoding it
//! once and copying the bytes into each document is much cheaper than encoding it again per
//! document.

use crate::json::{JsonEncode, NonFinite};

/// A typed value together with its JSON encoding, made by this crate's encoder.
///
/// **Invariant:** `json()` is exactly what [`JsonEncode::encode_json`] writes for `get()`. It holds
/// by construction: the fields are private, [`PreEncoded::new`] is the only constructor and it
/// encodes the value itself, and nothing gives mutable access to the value afterwards. So the
/// document stays typed (the value is there for anyone who reads it, and `serde` serialises the
/// value, not the bytes), and splicing the bytes writes what encoding the value would have written.
///
/// Documents read from the wire never hold one (fields of this type are skipped by `Deserialize`).
#[derive(Debug, Clone)]
pub struct PreEncoded<T> {
    value: T,
    json: Box<[u8]>,
}

impl<T: JsonEncode> PreEncoded<T> {
    /// Encodes `value` once; fails on a NaN or infinite double, which JSON cannot express.
    pub fn new(value: T) -> Result<Self, NonFinite> {
        let mut json = Vec::new();
        value.encode_json(&mut json)?;
        Ok(Self {
            value,
            json: json.into_boxed_slice(),
        })
    }
}

impl<T> PreEncoded<T> {
    /// The value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The value's JSON encoding.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// For a value encoded as a JSON object: the bytes between the braces (its members, without
    /// a leading or trailing comma; empty for `{}`).
    pub fn members(&self) -> &[u8] {
        match &*self.json {
            [b'{', inner @ .., b'}'] => inner,
            other => other,
        }
    }
}

/// Equal when the values are equal (the encodings then are too).
impl<T: PartialEq> PartialEq for PreEncoded<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::segment::{AwsResource, XRay};

    #[test]
    fn members_are_the_object_without_braces() {
        let r = AwsResource {
            xray: Some(XRay {
                sdk: Some(Cow::Borrowed("opentelemetry for java")),
                ..XRay::default()
            }),
            ..AwsResource::default()
        };
        let p = PreEncoded::new(r).unwrap();
        assert_eq!(
            p.members(),
            br#""xray":{"sdk":"opentelemetry for java","auto_instrumentation":false}"#
        );
        assert_eq!(PreEncoded::new(AwsResource::default()).unwrap().members(), b"");
    }
}
