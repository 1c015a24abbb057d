//! Encoding a document within a byte budget, shrinking it in the fixed order of Differs (e).

use std::borrow::Cow;

use otel_xray_model::encode::{encode_into, json_encoded_len as encoded_len};
use otel_xray_model::value::DEFAULT_NAMESPACE;
use otel_xray_model::{Cause, MetaValue, Namespace, Segment};

use crate::error::DocumentError;
use crate::keys::{OTEL_EVENTS, RESOURCE_PREFIX};

/// The budget a document must fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// `PutTraceSegments`: at most 65,536 bytes per document.
    PutTraceSegments,
    /// Daemon UDP: header line + newline + document at most 65,507 bytes.
    DaemonUdp,
    /// A custom limit in bytes (tests, other sinks).
    Bytes(usize),
}

impl Budget {
    /// The largest document size allowed.
    pub fn max_document_bytes(self) -> usize {
        match self {
            Self::PutTraceSegments => otel_xray_model::limits::MAX_DOCUMENT_BYTES,
            Self::DaemonUdp => otel_xray_model::limits::MAX_DAEMON_DOCUMENT_BYTES,
            Self::Bytes(n) => n,
        }
    }
}

/// The result of a successful encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoded {
    /// Bytes appended to the buffer.
    pub len: usize,
    /// Whether shrinking steps were applied.
    pub shrunk: bool,
}

const MESSAGE_CUT_BYTES: usize = 1024;

/// Appends `seg` as JSON to `buf`, shrinking it first if it exceeds `budget`.
///
/// On error nothing is appended.
pub fn encode_within(seg: &mut Segment<'_>, budget: Budget, buf: &mut Vec<u8>) -> Result<Encoded, DocumentError> {
    let max = budget.max_document_bytes();
    let start = buf.len();
    let len = encode_into(seg, buf)?;
    if len <= max {
        return Ok(Encoded { len, shrunk: false });
    }
    buf.truncate(start);
    let mut size = len;
    let fits = |seg: &Segment<'_>, size: &mut usize| -> Result<bool, DocumentError> {
        *size = encoded_len(seg)?;
        Ok(*size <= max)
    };
    let done = shrink(seg, &mut size, &fits)?;
    if !done {
        return Err(DocumentError::TooLarge {
            trace_id: seg.trace_id.unwrap_or_default(),
            id: seg.id,
            size,
            budget: max,
        });
    }
    let len = encode_into(seg, buf)?;
    Ok(Encoded { len, shrunk: true })
}

type Fits<'f> = dyn Fn(&Segment<'_>, &mut usize) -> Result<bool, DocumentError> + 'f;

/// Applies the steps of Differs (e) until the document fits; returns false if it never does.
fn shrink(seg: &mut Segment<'_>, size: &mut usize, fits: &Fits<'_>) -> Result<bool, DocumentError> {
    // Namespaces holding entries encoded once become plain lists (the same entries, encoded the
    // same), so the steps below see every entry.
    for (_, ns) in seg.metadata.0.iter_mut() {
        ns.entries_mut();
    }
    // 1. span events in metadata.default["otel.events"], last first. Only the entries the
    // translator wrote (objects with `name` and `timestamp`) are span events; a user's own
    // `otel.events` value is ordinary metadata.
    while let Some(MetaValue::Array(events)) = default_entries(seg).and_then(|d| d.get_mut(OTEL_EVENTS)) {
        if !events.last().is_some_and(is_event_entry) {
            break;
        }
        events.pop();
        if events.is_empty() {
            default_entries(seg).map(|d| d.remove(OTEL_EVENTS));
            drop_empty_namespaces(seg);
        }
        if fits(seg, size)? {
            return Ok(true);
        }
    }
    // 2. otel.resource.* entries of metadata.default
    if let Some(d) = default_entries(seg)
        && d.iter().any(|(k, _)| k.starts_with(RESOURCE_PREFIX))
    {
        d.retain(|k, _| !k.starts_with(RESOURCE_PREFIX));
        drop_empty_namespaces(seg);
        if fits(seg, size)? {
            return Ok(true);
        }
    }
    // 3. remaining metadata entries, largest encoded value first (ties: namespace, then key)
    loop {
        let mut best: Option<(usize, String, String)> = None;
        for (ns, n) in seg.metadata.iter() {
            match n {
                Namespace::Entries(entries) => {
                    for (k, v) in entries.iter() {
                        let vs = encoded_len(v)?;
                        let better = match &best {
                            None => true,
                            Some((bs, bns, bk)) => {
                                vs > *bs || (vs == *bs && (ns.as_ref(), k.as_ref()) < (bns.as_str(), bk.as_str()))
                            }
                        };
                        if better {
                            best = Some((vs, ns.to_string(), k.to_string()));
                        }
                    }
                }
                Namespace::Null => {
                    let better = best.is_none();
                    if better {
                        best = Some((4, ns.to_string(), String::new()));
                    }
                }
                // Made plain at the start.
                Namespace::Spliced(_) => {}
            }
        }
        let Some((_, ns, key)) = best else { break };
        if let Some(n) = seg.metadata.get_mut(&ns) {
            match n.entries_mut() {
                Some(entries) => {
                    entries.remove(&key);
                }
                None => {
                    seg.metadata.remove(&ns);
                }
            }
        }
        drop_empty_namespaces(seg);
        if fits(seg, size)? {
            return Ok(true);
        }
    }
    // 4. stack traces: keep the first N frames of every exception, N = 64, 32, ..., 0
    if has_frames(seg) {
        for n in [64usize, 32, 16, 8, 4, 2, 1, 0] {
            let mut changed = false;
            if let Some(Cause::Details(details)) = seg.cause.as_mut() {
                for e in &mut details.exceptions {
                    if e.stack.len() > n {
                        let removed = (e.stack.len() - n) as u32;
                        e.stack.truncate(n);
                        e.truncated = Some(e.truncated.unwrap_or(0) + removed);
                        changed = true;
                    }
                }
            }
            if changed && fits(seg, size)? {
                return Ok(true);
            }
        }
    }
    // 5. annotations, largest encoded key + value first
    while !seg.annotations.is_empty() {
        let mut best = (0usize, 0usize);
        for (i, (k, v)) in seg.annotations.iter().enumerate() {
            let s = k.len() + encoded_len(v)?;
            if s > best.0 {
                best = (s, i);
            }
        }
        seg.annotations.0.remove(best.1);
        if fits(seg, size)? {
            return Ok(true);
        }
    }
    // 6. link attributes, last link first; then links, last first
    for i in (0..seg.links.len()).rev() {
        if !seg.links[i].attributes.is_empty() {
            seg.links[i].attributes.0.clear();
            if fits(seg, size)? {
                return Ok(true);
            }
        }
    }
    while seg.links.pop().is_some() {
        if fits(seg, size)? {
            return Ok(true);
        }
    }
    // 7. long strings cut to 1,024 bytes at a character boundary
    let mut changed = false;
    if let Some(sql) = seg.sql.as_mut() {
        changed |= cut(&mut sql.sanitized_query);
        changed |= cut(&mut sql.url);
    }
    if let Some(req) = seg.http.as_mut().and_then(|h| h.request.as_mut()) {
        changed |= cut(&mut req.url);
        changed |= cut(&mut req.user_agent);
    }
    if let Some(Cause::Details(details)) = seg.cause.as_mut() {
        for e in &mut details.exceptions {
            changed |= cut_cow(&mut e.message);
        }
    }
    if changed && fits(seg, size)? {
        return Ok(true);
    }
    // 8. give up
    fits(seg, size)
}

fn default_entries<'m, 'a>(seg: &'m mut Segment<'a>) -> Option<&'m mut otel_xray_model::KeyedList<'a, MetaValue<'a>>> {
    seg.metadata.get_mut(DEFAULT_NAMESPACE).and_then(Namespace::entries_mut)
}

fn is_event_entry(v: &MetaValue<'_>) -> bool {
    matches!(v, MetaValue::Map(m) if m.get("name").is_some() && m.get("timestamp").is_some())
}

fn drop_empty_namespaces(seg: &mut Segment<'_>) {
    seg.metadata
        .retain(|_, ns| !matches!(ns, Namespace::Entries(e) if e.is_empty()));
}

fn has_frames(seg: &Segment<'_>) -> bool {
    matches!(&seg.cause, Some(Cause::Details(d)) if d.exceptions.iter().any(|e| !e.stack.is_empty()))
}

fn cut(s: &mut Option<Cow<'_, str>>) -> bool {
    s.as_mut().is_some_and(cut_cow)
}

fn cut_cow(s: &mut Cow<'_, str>) -> bool {
    if s.len() <= MESSAGE_CUT_BYTES {
        return false;
    }
    let mut end = MESSAGE_CUT_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    match s {
        Cow::Borrowed(b) => *b = &b[..end],
        Cow::Owned(o) => o.truncate(end),
    }
    true
}
