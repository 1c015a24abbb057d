//! `user`, `annotations` and `metadata` (`translation.md` §13), and span events kept in metadata
//! (Differs (c)).

use std::borrow::Cow;

use otel_xray_model::value::{DEFAULT_NAMESPACE, default_namespace};
use otel_xray_model::{AnnotationValue, Annotations, KeyedList, MetaValue, Metadata, Namespace};

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
    /// Indices into `resource`, stably sorted by `resource_keys`.
    pub sorted_resource: &'a [usize],
    pub store_resource: bool,
    pub is_subsegment: bool,
    pub indexed: &'s KeySet,
    pub index_all: bool,
    pub allow_dot: bool,
}

/// User, annotations and metadata of one document.
#[derive(Default)]
pub(crate) struct AnnotationOutput<'a> {
    pub user: Option<Cow<'a, str>>,
    pub annotations: Annotations<'a>,
    pub metadata: Metadata<'a>,
}

/// Builds user, annotations and metadata from the attributes not consumed by earlier steps.
pub(crate) fn make_annotations<'a>(input: &AnnotationInput<'_, 'a>, consumed: &mut [Consumed]) -> AnnotationOutput<'a> {
    let mut out = AnnotationOutput::default();
    let attrs = input.attrs;
    for (i, a) in attrs.iter().enumerate() {
        if a.key == ENDUSER_ID && consumed[i] != Consumed::Final {
            out.user = match a.value {
                Value::Str(s) if !s.is_empty() => Some(Cow::Borrowed(s)),
                _ => None,
            };
            consumed[i] = Consumed::Final;
        }
    }
    let remaining = consumed.contains(&Consumed::Live);
    if !remaining && (input.is_subsegment || input.resource.is_empty()) {
        return out;
    }

    // Keys made indexed by the span itself through `aws.xray.annotations`.
    let mut extra: Vec<&'a str> = Vec::new();
    for (i, a) in attrs.iter().enumerate() {
        if a.key == XRAY_ANNOTATIONS
            && consumed[i] == Consumed::Live
            && let Value::Array(list) = a.value
        {
            extra.extend(list.iter().filter_map(|v| match v {
                Value::Str(s) => Some(s),
                _ => None,
            }));
            consumed[i] = Consumed::Final;
        }
    }
    let in_set = |key: &str| (!input.index_all && input.indexed.contains(key)) || extra.contains(&key);

    // Sized once for every entry that may land here: growing it push by push cost about six
    // reallocations per document.
    let live = consumed.iter().filter(|c| **c == Consumed::Live).count();
    let from_resource = if input.store_resource { input.resource.len() } else { 0 };
    let mut default_entries: KeyedList<'a, MetaValue<'a>> = KeyedList(Vec::with_capacity(live + from_resource));
    let mut namespaces: Metadata<'a> = KeyedList::new();

    if input.store_resource {
        let to_annotation = |a: &Attr<'a>, key: &str| a.value.is_scalar() && (input.index_all || in_set(key));
        // Annotations in resource order: sanitising can make different keys equal, so their order
        // decides which one `dedup_keep_last` keeps.
        for (a, key) in input.resource.iter().zip(input.resource_keys) {
            if to_annotation(a, key)
                && let Some(v) = annotation_value(a.value)
            {
                out.annotations.push(sanitize_annotation_key(key, input.allow_dot), v);
            }
        }
        // Metadata entries in key order (a stable order, so equal keys keep their relative order):
        // they come first, so the final stable sort gives exactly what resource order gave.
        for &i in input.sorted_resource {
            let (a, key): (&Attr<'a>, &'a str) = (&input.resource[i], &input.resource_keys[i]);
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
                out.annotations.push(sanitize_annotation_key(a.key, input.allow_dot), v);
            }
            continue;
        }
        if in_set(a.key) {
            if let Some(v) = annotation_value(a.value) {
                out.annotations.push(sanitize_annotation_key(a.key, input.allow_dot), v);
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

    out.annotations.dedup_keep_last();
    namespaces.dedup_keep_last();
    if !default_entries.is_empty() {
        default_entries.dedup_keep_last();
        // A `default` pushed through `aws.xray.metadata.DEFAULT` spelled differently is merged
        // above, so this is the only `default` namespace.
        namespaces.0.retain(|(k, _)| k != DEFAULT_NAMESPACE);
        namespaces.push(DEFAULT_NAMESPACE, Namespace::Entries(default_entries));
    }
    out.metadata = namespaces;
    out
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
    let default = default_namespace(metadata);
    // An `otel.events` entry the span's own metadata already holds (through
    // `aws.xray.metadata.default`) takes precedence, like a span attribute of that name.
    if default.get(OTEL_EVENTS).is_none() {
        default.push(OTEL_EVENTS, MetaValue::Array(list));
    }
}
