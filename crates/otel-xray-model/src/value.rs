//! Values that appear in annotations, metadata and link attributes, and the keyed lists that hold
//! them.
//!
//! Annotations hold only scalars ([`AnnotationValue`]); metadata holds any JSON ([`MetaValue`]).
//! Both are typed: a document is never assembled from `serde_json::Value`. A non-finite double
//! (NaN, ±Infinity) cannot be written as JSON, so serializing one fails instead of silently
//! becoming `null`.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use serde::de::{MapAccess, Visitor};
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::preencoded::PreEncoded;

/// The message of the serialization error raised for NaN and infinite doubles.
pub const NON_FINITE_MESSAGE: &str = "a NaN or infinite number cannot be written as JSON";

/// Serializes an `f64`, failing on NaN and ±Infinity.
pub(crate) fn serialize_finite<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        Err(S::Error::custom(NON_FINITE_MESSAGE))
    }
}

/// A list of `(key, value)` pairs written as a JSON object.
///
/// Pushing is cheap and keeps duplicates; [`KeyedList::dedup_keep_last`] makes keys unique with the
/// rule "the later entry wins" (X-Ray maps are unordered: short lists keep their order, long ones
/// are sorted by key on the way).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedList<'a, V>(pub Vec<(Cow<'a, str>, V)>);

impl<V> Default for KeyedList<'_, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'a, V> KeyedList<'a, V> {
    /// An empty list.
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of entries (duplicates included until deduplicated).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Appends an entry.
    pub fn push(&mut self, key: impl Into<Cow<'a, str>>, value: V) {
        self.0.push((key.into(), value));
    }

    /// The value of the last entry with this key.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A mutable reference to the value of the last entry with this key.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.0.iter_mut().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Removes every entry with this key and returns the last value removed.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let mut removed = None;
        let mut i = 0;
        while i < self.0.len() {
            if self.0[i].0 == key {
                removed = Some(self.0.remove(i).1);
            } else {
                i += 1;
            }
        }
        removed
    }

    /// Keeps only the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &V) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
    }

    /// Makes keys unique, the later entry winning; the entries left keep their order (X-Ray maps
    /// are unordered).
    pub fn dedup_keep_last(&mut self) {
        let n = self.0.len();
        if n < 2 {
            return;
        }
        if n > SHORT_LIST {
            self.dedup_long();
            return;
        }
        // Short lists (a span's dozen attributes, the usual case): a fingerprint per key, then
        // every pair of fingerprints, costs less than sorting; keys are compared only when their
        // fingerprints match.
        let mut prints = [0u64; SHORT_LIST];
        for (p, (k, _)) in prints.iter_mut().zip(&self.0) {
            *p = fingerprint(k);
        }
        let prints = &prints[..n];
        let mut keep = [true; SHORT_LIST];
        let mut any = false;
        for i in 0..n {
            for j in i + 1..n {
                if prints[i] == prints[j] && self.0[i].0 == self.0[j].0 {
                    keep[i] = false;
                    any = true;
                    break;
                }
            }
        }
        if any {
            let mut keep = keep.iter();
            self.0.retain(|_| keep.next().copied().unwrap_or(true));
        }
    }

    /// [`KeyedList::dedup_keep_last`] for long lists: sorted by key on the way.
    fn dedup_long(&mut self) {
        // A stable sort keeps equal keys in insertion order; `dedup_by` keeps the first of a run,
        // so the later value is swapped into it: the last entry of each key wins.
        self.0.sort_by(|a, b| key_cmp(&a.0, &b.0));
        self.0.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
    }

    /// Iterates over the entries in list order.
    pub fn iter(&self) -> impl Iterator<Item = &(Cow<'a, str>, V)> {
        self.0.iter()
    }
}

/// Lists up to this long are deduplicated in place, longer ones by sorting.
const SHORT_LIST: usize = 32;

/// Equal for equal keys; different for nearly all different keys: length, first and last eight
/// bytes.
#[inline]
fn fingerprint(key: &str) -> u64 {
    let b = key.as_bytes();
    match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(first), Some(last)) => {
            u64::from_le_bytes(*first) ^ u64::from_le_bytes(*last).rotate_left(29) ^ (b.len() as u64) << 56
        }
        _ => {
            let mut word = [0u8; 8];
            word[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(word) ^ (b.len() as u64) << 56
        }
    }
}

/// `a.cmp(b)` (byte order), deciding on the first eight bytes without a `memcmp` call when they
/// differ (they usually do: keys are short and varied).
#[inline]
fn key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if let (Some(x), Some(y)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        let (x, y) = (u64::from_be_bytes(*x), u64::from_be_bytes(*y));
        if x != y {
            return x.cmp(&y);
        }
    }
    a.cmp(b)
}

impl<V: Serialize> Serialize for KeyedList<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, 'a, V: Deserialize<'de>> Deserialize<'de> for KeyedList<'a, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor<'a, V>(std::marker::PhantomData<(&'a (), V)>);
        impl<'de, 'a, V: Deserialize<'de>> Visitor<'de> for ListVisitor<'a, V> {
            type Value = KeyedList<'a, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((Cow::Owned(k), v));
                }
                Ok(KeyedList(out))
            }
        }
        d.deserialize_map(ListVisitor(std::marker::PhantomData))
    }
}

/// An annotation value: X-Ray indexes strings, numbers and booleans only.
#[derive(Debug, Clone, PartialEq)]
pub enum AnnotationValue<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// A 64-bit integer, written as a JSON integer.
    Int(i64),
    /// A double, written as a JSON number.
    Double(f64),
    /// A boolean.
    Bool(bool),
}

impl Serialize for AnnotationValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Str(v) => s.serialize_str(v),
            Self::Int(v) => s.serialize_i64(*v),
            Self::Double(v) => serialize_finite(v, s),
            Self::Bool(v) => s.serialize_bool(*v),
        }
    }
}

impl<'de, 'a> Deserialize<'de> for AnnotationValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'a> Visitor<'_> for V<'a> {
            type Value = AnnotationValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AnnotationValue::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(AnnotationValue::Str(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(AnnotationValue::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(AnnotationValue::Double(v as f64), AnnotationValue::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(AnnotationValue::Double(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(AnnotationValue::Bool(v))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A metadata value: any JSON.
#[derive(Debug, Clone)]
pub enum MetaValue<'a> {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double; NaN and ±Infinity make the document unencodable.
    Double(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// Bytes, written as a base64 string.
    Bytes(Cow<'a, [u8]>),
    /// An array.
    Array(Vec<MetaValue<'a>>),
    /// An object.
    Map(KeyedList<'a, MetaValue<'a>>),
    /// JSON text kept as it was received (already validated by `serde_json`).
    Raw(Box<RawValue>),
}

impl PartialEq for MetaValue<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Null, Self::Null) => true,
            (Self::Bool(a), Self::Bool(b)) => a == b,
            (Self::Int(a), Self::Int(b)) => a == b,
            (Self::Double(a), Self::Double(b)) => a == b,
            (Self::Str(a), Self::Str(b)) => a == b,
            (Self::Bytes(a), Self::Bytes(b)) => a == b,
            (Self::Array(a), Self::Array(b)) => a == b,
            (Self::Map(a), Self::Map(b)) => a == b,
            (Self::Raw(a), Self::Raw(b)) => a.get() == b.get(),
            _ => false,
        }
    }
}

impl Serialize for MetaValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(v) => s.serialize_bool(*v),
            Self::Int(v) => s.serialize_i64(*v),
            Self::Double(v) => serialize_finite(v, s),
            Self::Str(v) => s.serialize_str(v),
            Self::Bytes(v) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v)),
            Self::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Map(map) => map.serialize(s),
            Self::Raw(raw) => raw.serialize(s),
        }
    }
}

impl<'de, 'a> Deserialize<'de> for MetaValue<'a> {
    /// Metadata read from a document is kept as raw JSON text (works with `serde_json` only).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(MetaValue::Raw)
    }
}

/// One metadata namespace: an object of entries, or `null`.
#[derive(Debug, Clone, PartialEq)]
pub enum Namespace<'a> {
    /// JSON `null` (what `aws.xray.metadata.<ns>` = `"null"` gives).
    Null,
    /// The namespace's entries.
    Entries(KeyedList<'a, MetaValue<'a>>),
    /// Entries around a run of entries shared by many documents and encoded once (the
    /// translator's `otel.resource.*` entries). Never read from the wire.
    Spliced(SplicedEntries<'a>),
}

/// The entries of a [`Namespace::Spliced`]: written as one object, `before`, then `shared`, then
/// `after`, each in list order.
#[derive(Debug, Clone, PartialEq)]
pub struct SplicedEntries<'a> {
    /// Entries written first.
    pub before: KeyedList<'a, MetaValue<'a>>,
    /// Entries encoded once, written next.
    pub shared: &'a PreEncoded<KeyedList<'a, MetaValue<'a>>>,
    /// Entries written last.
    pub after: KeyedList<'a, MetaValue<'a>>,
}

impl<'a> SplicedEntries<'a> {
    /// All entries as one list, in the order they are written (the shared ones copied).
    pub fn to_entries(&self) -> KeyedList<'a, MetaValue<'a>> {
        let shared = &self.shared.get().0;
        let mut all = Vec::with_capacity(self.before.len() + shared.len() + self.after.len());
        all.extend(self.before.0.iter().cloned());
        all.extend(shared.iter().cloned());
        all.extend(self.after.0.iter().cloned());
        KeyedList(all)
    }
}

impl<'a> Namespace<'a> {
    /// The value of the last entry with this key (`None` for a `null` namespace).
    pub fn get(&self, key: &str) -> Option<&MetaValue<'a>> {
        match self {
            Self::Null => None,
            Self::Entries(e) => e.get(key),
            Self::Spliced(s) => s
                .after
                .get(key)
                .or_else(|| s.shared.get().get(key))
                .or_else(|| s.before.get(key)),
        }
    }

    /// The entries as one editable list, a spliced namespace first turned into a plain one
    /// (`None` for a `null` namespace).
    pub fn entries_mut(&mut self) -> Option<&mut KeyedList<'a, MetaValue<'a>>> {
        if let Self::Spliced(s) = self {
            *self = Self::Entries(s.to_entries());
        }
        match self {
            Self::Entries(e) => Some(e),
            _ => None,
        }
    }
}

impl Serialize for Namespace<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_unit(),
            Self::Entries(e) => e.serialize(s),
            Self::Spliced(sp) => {
                let shared = &sp.shared.get().0;
                let mut map = s.serialize_map(Some(sp.before.len() + shared.len() + sp.after.len()))?;
                for (k, v) in sp.before.iter().chain(shared).chain(sp.after.iter()) {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de, 'a> Deserialize<'de> for Namespace<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<KeyedList<'a, MetaValue<'a>>>::deserialize(d).map(|o| o.map_or(Namespace::Null, Namespace::Entries))
    }
}

/// Annotations of a document: key → scalar.
pub type Annotations<'a> = KeyedList<'a, AnnotationValue<'a>>;

/// Metadata of a document: namespace → key → any JSON.
pub type Metadata<'a> = KeyedList<'a, Namespace<'a>>;

/// The metadata namespace the SDKs and the translator use by default.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Returns the `default` namespace's entries, creating the namespace if needed.
///
/// A `null` `default` namespace is replaced by an empty object.
pub fn default_namespace<'m, 'a>(metadata: &'m mut Metadata<'a>) -> &'m mut KeyedList<'a, MetaValue<'a>> {
    let idx = match metadata.0.iter().rposition(|(k, _)| k == DEFAULT_NAMESPACE) {
        Some(i) => i,
        None => {
            metadata.push(DEFAULT_NAMESPACE, Namespace::Entries(KeyedList::new()));
            metadata.0.len() - 1
        }
    };
    let ns = &mut metadata.0[idx].1;
    if matches!(ns, Namespace::Null) {
        *ns = Namespace::Entries(KeyedList::new());
    }
    ns.entries_mut().expect("replaced above")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_list_later_entry_wins() {
        let mut l: KeyedList<'_, i32> = KeyedList::new();
        l.push("b", 1);
        l.push("a", 2);
        l.push("b", 3);
        l.dedup_keep_last();
        assert_eq!(l.0, vec![("a".into(), 2), ("b".into(), 3)]);
    }

    /// Short and long lists, keys short and long, with and without repeats: the result holds
    /// each key once with its last value.
    #[test]
    fn dedup_keeps_each_keys_last_value() {
        let pool = [
            "a",
            "b",
            "thread.id",
            "thread.name",
            "code.lineno",
            "code.function",
            "code.filepath",
            "http.request.method",
            "http.response.status_code",
            "otel.resource.service.name",
            "abcdefgh",
            "abcdefgi",
        ];
        for len in [0usize, 1, 2, 5, 12, 31, 32, 33, 80] {
            for stride in [1usize, 3, 5, 7] {
                let mut l: KeyedList<'_, usize> = KeyedList::new();
                let mut last = std::collections::BTreeMap::new();
                for i in 0..len {
                    let k = pool[(i * stride) % pool.len()];
                    l.push(k, i);
                    last.insert(k, i);
                }
                l.dedup_keep_last();
                let got: std::collections::BTreeMap<&str, usize> = l.0.iter().map(|(k, v)| (k.as_ref(), *v)).collect();
                assert_eq!(got.len(), l.0.len(), "keys unique ({len}, {stride})");
                assert_eq!(got, last, "({len}, {stride})");
            }
        }
    }

    #[test]
    fn key_order_is_byte_order() {
        let keys = [
            "",
            "a",
            "ab",
            "abcdefgh",
            "abcdefgh",
            "abcdefghi",
            "abcdefgi",
            "http.route",
            "http.request.method",
            "otel.resource.a",
            "otel.resource.b",
            "otel.events",
            "\u{e9}t\u{e9}",
            "Z",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_cmp(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn non_finite_numbers_do_not_encode() {
        assert!(serde_json::to_string(&AnnotationValue::Double(f64::NAN)).is_err());
        assert!(serde_json::to_string(&MetaValue::Array(vec![MetaValue::Double(f64::INFINITY)])).is_err());
        assert_eq!(serde_json::to_string(&MetaValue::Double(1.5)).unwrap(), "1.5");
    }

    #[test]
    fn bytes_are_base64() {
        let v = MetaValue::Bytes(Cow::Borrowed(b"hi"));
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"aGk=\"");
    }
}
