//! `user`, `annotations` and `metadata` (`translation.md` §13), and span events kept in metadata
//! (Differs (c)).

use std::borrow::Cow;

use otel_xray_model::value::{DEFAULT_NAMESPACE, default_namespace};
use otel_xray_model::{
    AnnotationValue, Annotations, KeyedList, MetaValue, Metadata, Namespace, PreEncoded, SplicedEntries,
};

use crate::config::KeySet;
use crate::keys::*;
use crate::pipeline::Consumed;
use crate::view::{Attr, EventRef, Value};

/// Converts an attribute value into metadata JSON (bytes become base64, maps objects).
pub(crate) fn meta_value(v: Value<'_>) -> MetaValue<'_> {
    match v {
        Value::Empty => MetaValue::Null,
        Value::Str(s) => MetaValue::Str(Cow::Borrowed(s)),
        Value::Bool(b) => MetaValue::Bool(b),
        Value::Int(i) => MetaValue::Int(i),
        Value::Double(d) => MetaValue::Double(d),
        Value::Bytes(b) => MetaValue::Bytes(Cow::Borrowed(b)),
        Value::Array(a) => MetaValue::Array(a.iter().map(meta_value).collect()),
        Value::Map(m) => MetaValue::Map(KeyedList(
            m.iter()
                .filter(|a| a.value != Value::Empty)
                .map(|a| (Cow::Borrowed(a.key), meta_value(a.value)))
                .collect(),
        )),
    }
}

/// An annotation value from a scalar attribute value.
fn annotation_value(v: Value<'_>) -> Option<AnnotationValue<'_>> {
    Some(match v {
        Value::Str(s) => AnnotationValue::Str(Cow::Borrowed(s)),
        Value::Bool(b) => AnnotationValue::Bool(b),
        Value::Int(i) => AnnotationValue::Int(i),
        Value::Double(d) => AnnotationValue::Double(d),
        _ => return None,
    })
}

/// Annotation key sanitising: keep `[0-9A-Za-z]` (and `.` when allowed), every other code point
/// becomes one `_`.
pub fn sanitize_annotation_key(key: &str, allow_dot: bool) -> Cow<'_, str> {
    let ok = |c: char| c.is_ascii_alphanumeric() || (allow_dot && c == '.');
    if key.chars().all(ok) {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(key.chars().map(|c| if ok(c) { c } else { '_' }).collect())
    }
}

/// Inputs of the user/annotations/metadata step.
pub(crate) struct AnnotationInput<'s, 'a> {
    pub attrs: &'s [Attr<'a>],
    pub resource: &'a [Attr<'a>],
    pub resource_keys: &'a [String],
    /// The resource's metadata entries encoded once ([`crate::aws::ResourceContext`]).
    pub shared_metadata: Option<&'a PreEncoded<KeyedList<'a, MetaValue<'a>>>>,
    pub store_resource: bool,
    pub is_subsegment: bool,
    pub indexed: &'s KeySet,
    pub index_all: bool,
    pub allow_dot: bool,
}

/// Where user, annotations and metadata of one document go: the document's own lists (empty,
/// capacity kept from earlier documents), and a spare entry vector for the `default` namespace.
pub(crate) struct AnnotationOutput<'o, 'a> {
    pub user: &'o mut Option<Cow<'a, str>>,
    pub annotations: &'o mut Annotations<'a>,
    pub metadata: &'o mut Metadata<'a>,
    pub spare_entries: Vec<(Cow<'a, str>, MetaValue<'a>)>,
}

/// Takes the largest entry vector out of an earlier document's metadata, emptied, so the next
/// document's `default` namespace reuses its allocation; empties `metadata`.
pub(crate) fn recycle_entries<'a>(metadata: &mut Metadata<'a>) -> Vec<(Cow<'a, str>, MetaValue<'a>)> {
    let mut best: Vec<(Cow<'a, str>, MetaValue<'a>)> = Vec::new();
    for (_, ns) in metadata.0.drain(..) {
        let candidate = match ns {
            Namespace::Entries(list) => list.0,
            Namespace::Spliced(spliced) => spliced.before.0,
            Namespace::Null => continue,
        };
        if candidate.capacity() > best.capacity() {
            best = candidate;
        }
    }
    best.clear();
    best
}

/// Builds user, annotations and metadata from the attributes not consumed by earlier steps.
pub(crate) fn make_annotations<'a>(
    input: &AnnotationInput<'_, 'a>,
    consumed: &mut [Consumed],
    out: AnnotationOutput<'_, 'a>,
) {
    let AnnotationOutput {
        user,
        annotations,
        metadata: namespaces,
        spare_entries,
    } = out;
    debug_assert!(annotations.is_empty() && namespaces.is_empty());
    let attrs = input.attrs;
    // One pass: `enduser.id` (used for good), the keys the span indexes itself through
    // `aws.xray.annotations`, and how many attributes are left.
    let mut extra: Vec<&'a str> = Vec::new();
    let mut live = 0usize;
    for (i, a) in attrs.iter().enumerate() {
        if a.key == ENDUSER_ID && consumed[i] != Consumed::Final {
            *user = match a.value {
                Value::Str(s) if !s.is_empty() => Some(Cow::Borrowed(s)),
                _ => None,
            };
            consumed[i] = Consumed::Final;
        } else if consumed[i] == Consumed::Live {
            if a.key == XRAY_ANNOTATIONS
                && let Value::Array(list) = a.value
            {
                extra.extend(list.iter().filter_map(|v| match v {
                    Value::Str(s) => Some(s),
                    _ => None,
                }));
                consumed[i] = Consumed::Final;
            } else {
                live += 1;
            }
        }
    }
    if live == 0 && (input.is_subsegment || input.resource.is_empty()) {
        return;
    }
    let in_set = |key: &str| (!input.index_all && input.indexed.contains(key)) || extra.contains(&key);

    // The resource's entries encoded once can stand for the per-document ones when none of them
    // becomes an annotation (no resource key indexed, by the config or by the span).
    let shared = input.shared_metadata.filter(|_| {
        input.store_resource
            && !input.index_all
            && !input.indexed.any_with_prefix(RESOURCE_PREFIX)
            && !extra.iter().any(|k| k.starts_with(RESOURCE_PREFIX))
    });

    // Sized once for every entry that may land here: growing it push by push cost about six
    // reallocations per document.
    let from_resource = if input.store_resource && shared.is_none() {
        input.resource.len()
    } else {
        0
    };
    let mut default_entries: KeyedList<'a, MetaValue<'a>> = KeyedList(spare_entries);
    default_entries.0.reserve(live + from_resource);

    if input.store_resource && shared.is_none() {
        let to_annotation = |a: &Attr<'a>, key: &str| a.value.is_scalar() && (input.index_all || in_set(key));
        // Annotations in resource order: sanitising can make different keys equal, so their order
        // decides which one `dedup_keep_last` keeps.
        for (a, key) in input.resource.iter().zip(input.resource_keys) {
            if to_annotation(a, key)
                && let Some(v) = annotation_value(a.value)
            {
                annotations.push(sanitize_annotation_key(key, input.allow_dot), v);
            }
        }
        // Metadata entries in resource order, before the span's: the later one wins.
        for (a, key) in input.resource.iter().zip(input.resource_keys) {
            if !to_annotation(a, key) && a.value != Value::Empty {
                default_entries.push(key, meta_value(a.value));
            }
        }
    }

    for (i, a) in attrs.iter().enumerate() {
        if consumed[i] != Consumed::Live {
            continue;
        }
        if input.index_all {
            if let Some(v) = annotation_value(a.value) {
                annotations.push(sanitize_annotation_key(a.key, input.allow_dot), v);
            }
            continue;
        }
        if in_set(a.key) {
            if let Some(v) = annotation_value(a.value) {
                annotations.push(sanitize_annotation_key(a.key, input.allow_dot), v);
            }
            continue;
        }
        if let (Some(ns), Value::Str(text)) = (a.key.strip_prefix(XRAY_METADATA_PREFIX), a.value) {
            match serde_json::from_str::<Option<KeyedList<'static, MetaValue<'static>>>>(text) {
                Ok(Some(object)) if ns.eq_ignore_ascii_case(DEFAULT_NAMESPACE) => {
                    default_entries.0.extend(object.0);
                }
                Ok(Some(object)) => namespaces.push(ns, Namespace::Entries(object)),
                Ok(None) => namespaces.push(ns, Namespace::Null),
                Err(_) => default_entries.push(a.key, MetaValue::Str(Cow::Borrowed(text))),
            }
            continue;
        }
        if a.value != Value::Empty {
            default_entries.push(a.key, meta_value(a.value));
        }
    }

    annotations.dedup_keep_last();
    namespaces.dedup_keep_last();
    let default = match shared {
        Some(shared) => Some(splice(default_entries, shared)),
        None if default_entries.is_empty() => None,
        None => {
            default_entries.dedup_keep_last();
            Some(Namespace::Entries(default_entries))
        }
    };
    if let Some(default) = default {
        // A `default` pushed through `aws.xray.metadata.DEFAULT` spelled differently is merged
        // above, so this is the only `default` namespace.
        namespaces.0.retain(|(k, _)| k != DEFAULT_NAMESPACE);
        namespaces.push(DEFAULT_NAMESPACE, default);
    }
}

/// The `default` namespace from the span's own entries and the resource's shared entries (unique
/// keys): the span's entries first, then the shared ones; a span entry whose key is also a shared
/// one wins, like a later entry.
fn splice<'a>(
    mut span_entries: KeyedList<'a, MetaValue<'a>>,
    shared: &'a PreEncoded<KeyedList<'a, MetaValue<'a>>>,
) -> Namespace<'a> {
    let list = &shared.get().0;
    // Shared keys all start with `otel.resource.`; a span key does so only when an attribute is
    // literally named like one.
    if span_entries
        .iter()
        .any(|(k, _)| k.starts_with(RESOURCE_PREFIX) && list.iter().any(|(s, _)| s == k))
    {
        let mut all = KeyedList(Vec::with_capacity(list.len() + span_entries.len()));
        all.0.extend(list.iter().cloned());
        all.0.append(&mut span_entries.0);
        all.dedup_keep_last();
        return Namespace::Entries(all);
    }
    span_entries.dedup_keep_last();
    Namespace::Spliced(SplicedEntries {
        before: span_entries,
        shared,
        after: KeyedList::new(),
    })
}

/// Appends the events that fed no exception to `metadata.default["otel.events"]`, unless a span
/// attribute named `otel.events` exists.
pub(crate) fn add_events<'a>(metadata: &mut Metadata<'a>, attrs: &[Attr<'a>], events: &[EventRef<'a>], used: &[bool]) {
    if events.is_empty() || attrs.iter().any(|a| a.key == OTEL_EVENTS) {
        return;
    }
    let list: Vec<MetaValue<'a>> = events
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.get(*i).copied().unwrap_or(false))
        .map(|(_, e)| {
            let mut entry = KeyedList::new();
            entry.push("name", MetaValue::Str(Cow::Borrowed(e.name)));
            entry.push("timestamp", MetaValue::Double(e.time_unix_nanos as f64 / 1e9));
            let attributes: KeyedList<'a, MetaValue<'a>> = KeyedList(
                e.attributes
                    .iter()
                    .filter(|a| a.value != Value::Empty)
                    .map(|a| (Cow::Borrowed(a.key), meta_value(a.value)))
                    .collect(),
            );
            if !attributes.is_empty() {
                entry.push("attributes", MetaValue::Map(attributes));
            }
            MetaValue::Map(entry)
        })
        .collect();
    if list.is_empty() {
        return;
    }
    // Appended last; a spliced namespace keeps its shared entries encoded.
    if let Some((_, ns @ Namespace::Spliced(_))) = metadata.0.iter_mut().rev().find(|(k, _)| k == DEFAULT_NAMESPACE) {
        if ns.get(OTEL_EVENTS).is_none()
            && let Namespace::Spliced(s) = ns
        {
            s.after.push(OTEL_EVENTS, MetaValue::Array(list));
        }
        return;
    }
    let default = default_namespace(metadata);
    // An `otel.events` entry the span's own metadata already holds (through
    // `aws.xray.metadata.default`) takes precedence, like a span attribute of that name.
    if default.get(OTEL_EVENTS).is_none() {
        default.push(OTEL_EVENTS, MetaValue::Array(list));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otel_xray_model::encode::json_encoded_len;
    use otel_xray_model::json::JsonEncode;

    fn list(keys: &[&'static str]) -> KeyedList<'static, MetaValue<'static>> {
        KeyedList(
            keys.iter()
                .enumerate()
                .map(|(i, k)| (Cow::Borrowed(*k), MetaValue::Int(i as i64)))
                .collect(),
        )
    }

    /// Splicing writes the entries that pushing the resource's entries first and then
    /// deduplicating gives (as a JSON object: order aside).
    #[test]
    fn splice_matches_deduplicating_everything() {
        let resource = ["otel.resource.a", "otel.resource.b", "otel.resource.c"];
        let cases: [&[&'static str]; 6] = [
            &[],
            &["thread.id", "code.function", "http.route"],
            &["z", "a", "z", "otel.events"],
            &["otel.resource.b", "x"],
            &["otel.resource.bb", "a"],
            &["otel.resource.c"],
        ];
        for span_keys in cases {
            let shared = Box::leak(Box::new(PreEncoded::new(list(&resource)).unwrap()));
            let mut expected = list(&resource);
            expected.0.extend(list(span_keys).0);
            expected.dedup_keep_last();
            let mut want = Vec::new();
            expected.encode_json(&mut want).unwrap();

            let got = splice(list(span_keys), shared);
            let mut bytes = Vec::new();
            got.encode_json(&mut bytes).unwrap();
            let parsed = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap();
            assert_eq!(parsed(&bytes), parsed(&want), "{span_keys:?}");
            assert_eq!(json_encoded_len(&got).unwrap(), want.len());
            assert_eq!(serde_json::to_vec(&got).unwrap(), bytes);
            let mut entries = got.clone().entries_mut().cloned().unwrap_or_default();
            entries.0.sort_by(|a, b| a.0.cmp(&b.0));
            expected.0.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(entries, expected, "{span_keys:?}");
        }
    }
}
