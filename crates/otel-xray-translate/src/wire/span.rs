//! `Span` (with its events, links and status) read into a [`SpanRef`] whose vectors are reused
//! from span to span.

use super::error::WireError;
use super::reader::Reader;
use super::value::{Mode, key_value};
use crate::view::{Attr, EventRef, LinkRef, SpanKind, SpanRef, StatusCode};

/// A span view and spare attribute vectors, reused for every span of a request.
#[derive(Debug)]
pub(crate) struct SpanScratch<'a> {
    /// The span last read.
    pub span: SpanRef<'a>,
    /// Attribute vectors of the previous span's events and links, emptied, for the next ones.
    spare: Vec<Vec<Attr<'a>>>,
}

impl<'a> SpanScratch<'a> {
    pub fn new() -> Self {
        Self {
            span: SpanRef {
                trace_id: &[],
                span_id: &[],
                parent_span_id: &[],
                name: "",
                kind: SpanKind::Unspecified,
                start_unix_nanos: 0,
                end_unix_nanos: 0,
                attributes: Vec::new(),
                events: Vec::new(),
                links: Vec::new(),
                status: StatusCode::Unset,
                status_message: "",
            },
            spare: Vec::new(),
        }
    }

    fn spare_attributes(&mut self) -> Vec<Attr<'a>> {
        self.spare.pop().unwrap_or_default()
    }

    /// Reads a `Span` message whose fields are at `depth` into `self.span`.
    pub fn read(&mut self, mut r: Reader<'a>, depth: u32) -> Result<(), WireError> {
        let s = &mut self.span;
        s.trace_id = &[];
        s.span_id = &[];
        s.parent_span_id = &[];
        s.name = "";
        s.start_unix_nanos = 0;
        s.end_unix_nanos = 0;
        s.attributes.clear();
        for mut e in self.span.events.drain(..) {
            e.attributes.clear();
            self.spare.push(e.attributes);
        }
        for mut l in self.span.links.drain(..) {
            l.attributes.clear();
            self.spare.push(l.attributes);
        }
        let mut kind = 0i32;
        // (code, message) once a `status` piece was read.
        let mut status: Option<(i32, &'a str)> = None;
        while let Some(key) = r.key("Span")? {
            match key.tag {
                1 => self.span.trace_id = r.bytes_field(key, "Span.trace_id")?,
                2 => self.span.span_id = r.bytes_field(key, "Span.span_id")?,
                3 => {
                    r.str_field(key, "Span.trace_state")?;
                }
                4 => self.span.parent_span_id = r.bytes_field(key, "Span.parent_span_id")?,
                5 => self.span.name = r.str_field(key, "Span.name")?,
                6 => kind = r.varint_field(key, "Span.kind")? as i32,
                7 => self.span.start_unix_nanos = r.fixed64_field(key, "Span.start_time_unix_nano")?,
                8 => self.span.end_unix_nanos = r.fixed64_field(key, "Span.end_time_unix_nano")?,
                9 => {
                    let kv = r.message_field(key, depth, "Span.attributes")?;
                    let attr = key_value(kv, depth - 1, Mode::Check)?;
                    self.span.attributes.push(attr);
                }
                10 => {
                    r.varint_field(key, "Span.dropped_attributes_count")?;
                }
                11 => {
                    let event = r.message_field(key, depth, "Span.events")?;
                    let attributes = self.spare_attributes();
                    let event = read_event(event, depth - 1, attributes)?;
                    self.span.events.push(event);
                }
                12 => {
                    r.varint_field(key, "Span.dropped_events_count")?;
                }
                13 => {
                    let link = r.message_field(key, depth, "Span.links")?;
                    let attributes = self.spare_attributes();
                    let link = read_link(link, depth - 1, attributes)?;
                    self.span.links.push(link);
                }
                14 => {
                    r.varint_field(key, "Span.dropped_links_count")?;
                }
                15 => {
                    let piece = r.message_field(key, depth, "Span.status")?;
                    read_status(piece, depth - 1, status.get_or_insert((0, "")))?;
                }
                16 => {
                    r.fixed32_field(key, "Span.flags")?;
                }
                _ => r.skip(key, depth, "Span")?,
            }
        }
        self.span.kind = match kind {
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        };
        (self.span.status, self.span.status_message) = match status {
            None => (StatusCode::Unset, ""),
            Some((code, message)) => (
                match code {
                    1 => StatusCode::Ok,
                    2 => StatusCode::Error,
                    _ => StatusCode::Unset,
                },
                message,
            ),
        };
        Ok(())
    }
}

/// Reads one `Status` piece into `status` (pieces merge: the last code and message win).
fn read_status<'a>(mut r: Reader<'a>, depth: u32, status: &mut (i32, &'a str)) -> Result<(), WireError> {
    while let Some(key) = r.key("Status")? {
        match key.tag {
            2 => status.1 = r.str_field(key, "Status.message")?,
            3 => status.0 = r.varint_field(key, "Status.code")? as i32,
            _ => r.skip(key, depth, "Status")?,
        }
    }
    Ok(())
}

/// Reads a `Span.Event` message, its attributes into `attributes`.
fn read_event<'a>(mut r: Reader<'a>, depth: u32, attributes: Vec<Attr<'a>>) -> Result<EventRef<'a>, WireError> {
    let mut event = EventRef {
        name: "",
        time_unix_nanos: 0,
        attributes,
    };
    while let Some(key) = r.key("Span.Event")? {
        match key.tag {
            1 => event.time_unix_nanos = r.fixed64_field(key, "Span.Event.time_unix_nano")?,
            2 => event.name = r.str_field(key, "Span.Event.name")?,
            3 => {
                let kv = r.message_field(key, depth, "Span.Event.attributes")?;
                event.attributes.push(key_value(kv, depth - 1, Mode::Check)?);
            }
            4 => {
                r.varint_field(key, "Span.Event.dropped_attributes_count")?;
            }
            _ => r.skip(key, depth, "Span.Event")?,
        }
    }
    Ok(event)
}

/// Reads a `Span.Link` message, its attributes into `attributes`.
fn read_link<'a>(mut r: Reader<'a>, depth: u32, attributes: Vec<Attr<'a>>) -> Result<LinkRef<'a>, WireError> {
    let mut link = LinkRef {
        trace_id: &[],
        span_id: &[],
        attributes,
    };
    while let Some(key) = r.key("Span.Link")? {
        match key.tag {
            1 => link.trace_id = r.bytes_field(key, "Span.Link.trace_id")?,
            2 => link.span_id = r.bytes_field(key, "Span.Link.span_id")?,
            3 => {
                r.str_field(key, "Span.Link.trace_state")?;
            }
            4 => {
                let kv = r.message_field(key, depth, "Span.Link.attributes")?;
                link.attributes.push(key_value(kv, depth - 1, Mode::Check)?);
            }
            5 => {
                r.varint_field(key, "Span.Link.dropped_attributes_count")?;
            }
            6 => {
                r.fixed32_field(key, "Span.Link.flags")?;
            }
            _ => r.skip(key, depth, "Span.Link")?,
        }
    }
    Ok(link)
}
