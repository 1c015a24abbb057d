//! A hand-written JSON encoder for segment documents.
//!
//! Why not `serde_json` (which the `Serialize` impls still serve for everything else): encoding
//! was about 60 % of the instructions of translating a span, and most of that was
//! `serde_json`'s string escaping, which looks at one byte at a time — struct field names
//! included. This encoder writes field names as pre-quoted byte literals, scans strings eight bytes
//! at a time for the few bytes that need escaping (`"`, `\` and bytes below 0x20) and copies clean
//! runs whole, and formats numbers with `zmij` and `itoa`, the crates `serde_json` itself uses.
//!
//! The output is byte-for-byte what `serde_json::to_vec` writes for the same value: same field
//! order, same skipped fields, same escapes (`\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, else
//! `\u00xx` in lowercase hex; U+2028/U+2029 unescaped), same number formatting. A NaN or infinite
//! double makes the value unencodable, as with the `Serialize` impls.

use std::borrow::Cow;

use base64::Engine as _;

use crate::ids::{SegmentId, TraceId};
use crate::limits::{SEGMENT_ID_HEX_LEN, TRACE_ID_STR_LEN};
use crate::segment::{
    Aws, AwsResource, Cause, CauseDetails, Ec2, Ecs, Eks, ElasticBeanstalk, Exception, Http, HttpRequest, HttpResponse,
    Link, LogGroup, Segment, Service, Sql, StackFrame, XRay,
};
use crate::value::{AnnotationValue, KeyedList, MetaValue, Namespace};

/// A value held a NaN or infinite double, which JSON cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonFinite;

/// Where encoded JSON goes: a byte buffer, or a counter that only measures.
pub trait JsonSink {
    /// Appends bytes.
    fn extend(&mut self, bytes: &[u8]);
    /// Appends one byte.
    fn push(&mut self, byte: u8);
    /// Appends the standard (padded) base64 encoding of `bytes`.
    fn base64(&mut self, bytes: &[u8]);
    /// Appends `s` as a quoted JSON string, escaped exactly as `serde_json` does.
    fn string(&mut self, s: &str) {
        write_str_scalar(self, s);
    }
}

impl JsonSink for Vec<u8> {
    #[inline]
    fn extend(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn push(&mut self, byte: u8) {
        Vec::push(self, byte);
    }
    fn base64(&mut self, bytes: &[u8]) {
        let start = self.len();
        let n = base64::encoded_len(bytes.len(), true).expect("base64 length fits in usize");
        self.resize(start + n, 0);
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(bytes, &mut self[start..])
            .expect("buffer sized by encoded_len");
        self.truncate(start + written);
    }
    #[inline]
    fn string(&mut self, s: &str) {
        // SIMD escaping (16 or 32 bytes per step, runtime-detected) into the buffer: a
        // third of the instructions of the scalar scan on typical attribute strings. Its
        // output is the same bytes (`serde_json`'s escapes), which the tests check.
        json_escape_simd::escape_into(s, self);
    }
}

/// A [`JsonSink`] that counts bytes without keeping them.
#[derive(Debug, Default, Clone, Copy)]
pub struct ByteCounter(pub usize);

impl JsonSink for ByteCounter {
    #[inline]
    fn extend(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
    #[inline]
    fn push(&mut self, _byte: u8) {
        self.0 += 1;
    }
    fn base64(&mut self, bytes: &[u8]) {
        self.0 += base64::encoded_len(bytes.len(), true).expect("base64 length fits in usize");
    }
}

/// A value the hand-written encoder can write.
pub trait JsonEncode {
    /// Writes the JSON encoding of `self` to `out`; fails on a NaN or infinite double, in which
    /// case `out` may hold a partial encoding.
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite>;
}

/// The number of bytes `value` takes as JSON (hand-written encoder), without keeping the text.
pub fn json_len<T: JsonEncode + ?Sized>(value: &T) -> Result<usize, NonFinite> {
    let mut c = ByteCounter(0);
    value.encode_json(&mut c)?;
    Ok(c.0)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of the word that needs escaping (`"`, `\`, < 0x20), plus possibly
/// spurious bits *above* the first true hit (borrows only propagate upwards), so the lowest set
/// bit always marks the first byte to escape.
#[inline]
fn escape_mask(w: u64) -> u64 {
    let quote = w ^ (LO * b'"' as u64);
    let backslash = w ^ (LO * b'\\' as u64);
    let zero_quote = quote.wrapping_sub(LO) & !quote;
    let zero_backslash = backslash.wrapping_sub(LO) & !backslash;
    let control = w.wrapping_sub(LO * 0x20) & !w;
    (zero_quote | zero_backslash | control) & HI
}

/// Index of the first byte of `b` at or after `i` that needs escaping, or `b.len()`.
#[inline]
fn next_escape(b: &[u8], mut i: usize) -> usize {
    let start = i;
    while i + 8 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let m = escape_mask(u64::from_le_bytes(word));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    if i == b.len() {
        return i;
    }
    // Fewer than 8 bytes left. When the 8 last bytes were all scanned by this call, test them as
    // one word: the bytes before `i` in it are clean, so they hold no hit and, borrows only
    // propagating upwards from a hit, no spurious bit; the lowest set bit is the first hit.
    if let Some(last_start) = b.len().checked_sub(8)
        && last_start >= start
    {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[last_start..]);
        let m = escape_mask(u64::from_le_bytes(word));
        return if m == 0 {
            b.len()
        } else {
            last_start + (m.trailing_zeros() / 8) as usize
        };
    }
    while i < b.len() {
        if NEEDS_ESCAPE[usize::from(b[i])] {
            return i;
        }
        i += 1;
    }
    i
}

/// Whether a byte needs escaping in a JSON string (`"`, `\`, below 0x20).
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = c < 0x20 || c == b'"' as usize || c == b'\\' as usize;
        c += 1;
    }
    t
};

/// Writes `s` as a quoted JSON string, escaped exactly as `serde_json` does.
#[inline]
pub fn write_str<W: JsonSink + ?Sized>(out: &mut W, s: &str) {
    out.string(s);
}

/// [`write_str`] with a word-at-a-time scan: the encoding of sinks without a faster one.
fn write_str_scalar<W: JsonSink + ?Sized>(out: &mut W, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    out.push(b'"');
    let mut start = 0;
    loop {
        let i = next_escape(b, start);
        if i > start {
            out.extend(&b[start..i]);
        }
        if i == b.len() {
            break;
        }
        let c = b[i];
        match c {
            b'"' => out.extend(b"\\\""),
            b'\\' => out.extend(b"\\\\"),
            b'\x08' => out.extend(b"\\b"),
            b'\t' => out.extend(b"\\t"),
            b'\n' => out.extend(b"\\n"),
            b'\x0c' => out.extend(b"\\f"),
            b'\r' => out.extend(b"\\r"),
            _ => out.extend(&[b'\\', b'u', b'0', b'0', HEX[(c >> 4) as usize], HEX[(c & 0xf) as usize]]),
        }
        start = i + 1;
    }
    out.push(b'"');
}

#[inline]
fn write_i64<W: JsonSink>(out: &mut W, v: i64) {
    let mut b = itoa::Buffer::new();
    out.extend(b.format(v).as_bytes());
}

#[inline]
fn write_u32<W: JsonSink>(out: &mut W, v: u32) {
    let mut b = itoa::Buffer::new();
    out.extend(b.format(v).as_bytes());
}

#[inline]
fn write_f64<W: JsonSink>(out: &mut W, v: f64) -> Result<(), NonFinite> {
    if !v.is_finite() {
        return Err(NonFinite);
    }
    let mut b = zmij::Buffer::new();
    out.extend(b.format_finite(v).as_bytes());
    Ok(())
}

#[inline]
fn write_bool<W: JsonSink>(out: &mut W, v: bool) {
    out.extend(if v { b"true" } else { b"false" });
}

#[inline]
fn write_segment_id<W: JsonSink>(out: &mut W, id: &SegmentId) {
    let mut b = [0u8; SEGMENT_ID_HEX_LEN + 2];
    b[0] = b'"';
    b[SEGMENT_ID_HEX_LEN + 1] = b'"';
    let mut hex = [0u8; SEGMENT_ID_HEX_LEN];
    id.write_hex(&mut hex);
    b[1..=SEGMENT_ID_HEX_LEN].copy_from_slice(&hex);
    out.extend(&b);
}

#[inline]
fn write_trace_id<W: JsonSink>(out: &mut W, id: &TraceId) {
    let mut b = [0u8; TRACE_ID_STR_LEN + 2];
    b[0] = b'"';
    b[TRACE_ID_STR_LEN + 1] = b'"';
    let mut s = [0u8; TRACE_ID_STR_LEN];
    id.write_xray(&mut s);
    b[1..=TRACE_ID_STR_LEN].copy_from_slice(&s);
    out.extend(&b);
}

/// Writes the members of one JSON object, handling commas. Keys are pre-quoted literals such as
/// `b"\"name\":"`.
struct Obj<'w, W: JsonSink> {
    out: &'w mut W,
    first: bool,
}

impl<'w, W: JsonSink> Obj<'w, W> {
    #[inline(always)]
    fn new(out: &'w mut W) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Starts a member: writes the separator and the pre-quoted key with its colon.
    #[inline(always)]
    fn key(&mut self, key: &[u8]) -> &mut W {
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
        self.out.extend(key);
        self.out
    }

    #[inline(always)]
    fn str(&mut self, key: &[u8], v: &str) {
        let out = self.key(key);
        write_str(out, v);
    }

    #[inline(always)]
    fn opt_str(&mut self, key: &[u8], v: &Option<Cow<'_, str>>) {
        if let Some(v) = v {
            self.str(key, v);
        }
    }

    #[inline(always)]
    fn bool(&mut self, key: &[u8], v: bool) {
        let out = self.key(key);
        write_bool(out, v);
    }

    #[inline(always)]
    fn opt_bool(&mut self, key: &[u8], v: Option<bool>) {
        if let Some(v) = v {
            self.bool(key, v);
        }
    }

    #[inline(always)]
    fn opt_i64(&mut self, key: &[u8], v: Option<i64>) {
        if let Some(v) = v {
            let out = self.key(key);
            write_i64(out, v);
        }
    }

    #[inline(always)]
    fn opt_u32(&mut self, key: &[u8], v: Option<u32>) {
        if let Some(v) = v {
            let out = self.key(key);
            write_u32(out, v);
        }
    }

    #[inline(always)]
    fn id(&mut self, key: &[u8], v: &SegmentId) {
        let out = self.key(key);
        write_segment_id(out, v);
    }

    #[inline(always)]
    fn value<T: JsonEncode + ?Sized>(&mut self, key: &[u8], v: &T) -> Result<(), NonFinite> {
        let out = self.key(key);
        v.encode_json(out)
    }

    #[inline(always)]
    fn opt<T: JsonEncode>(&mut self, key: &[u8], v: &Option<T>) -> Result<(), NonFinite> {
        match v {
            Some(v) => self.value(key, v),
            None => Ok(()),
        }
    }

    /// Writes members encoded beforehand (`"k":v,"k2":v2`, no surrounding commas; may be empty).
    #[inline(always)]
    fn members(&mut self, members: &[u8]) {
        if members.is_empty() {
            return;
        }
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
        self.out.extend(members);
    }

    #[inline(always)]
    fn end(self) {
        self.out.push(b'}');
    }
}

/// Writes a JSON array of the items.
fn write_array<W: JsonSink, T: JsonEncode>(out: &mut W, items: &[T]) -> Result<(), NonFinite> {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.encode_json(out)?;
    }
    out.push(b']');
    Ok(())
}

impl<T: JsonEncode> JsonEncode for [T] {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        write_array(out, self)
    }
}

impl<T: JsonEncode> JsonEncode for Vec<T> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        write_array(out, self)
    }
}

impl JsonEncode for Cow<'_, str> {
    #[inline]
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        write_str(out, self);
        Ok(())
    }
}

impl JsonEncode for SegmentId {
    #[inline]
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        write_segment_id(out, self);
        Ok(())
    }
}

impl JsonEncode for TraceId {
    #[inline]
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        write_trace_id(out, self);
        Ok(())
    }
}

impl<V: JsonEncode> JsonEncode for KeyedList<'_, V> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        // Every entry is written, duplicates included, as the `Serialize` impl does.
        out.push(b'{');
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, k);
            out.push(b':');
            v.encode_json(out)?;
        }
        out.push(b'}');
        Ok(())
    }
}

impl JsonEncode for AnnotationValue<'_> {
    #[inline]
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        match self {
            Self::Str(v) => write_str(out, v),
            Self::Int(v) => write_i64(out, *v),
            Self::Double(v) => write_f64(out, *v)?,
            Self::Bool(v) => write_bool(out, *v),
        }
        Ok(())
    }
}

impl JsonEncode for MetaValue<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        match self {
            Self::Null => out.extend(b"null"),
            Self::Bool(v) => write_bool(out, *v),
            Self::Int(v) => write_i64(out, *v),
            Self::Double(v) => write_f64(out, *v)?,
            Self::Str(v) => write_str(out, v),
            Self::Bytes(v) => {
                // Base64 never needs escaping.
                out.push(b'"');
                out.base64(v);
                out.push(b'"');
            }
            Self::Array(items) => write_array(out, items)?,
            Self::Map(map) => map.encode_json(out)?,
            // Already-validated JSON text, copied verbatim as `serde_json` does.
            Self::Raw(raw) => out.extend(raw.get().as_bytes()),
        }
        Ok(())
    }
}

impl JsonEncode for Namespace<'_> {
    #[inline]
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        match self {
            Self::Null => {
                out.extend(b"null");
                Ok(())
            }
            Self::Entries(e) => e.encode_json(out),
            Self::Spliced(sp) => {
                out.push(b'{');
                let mut first = true;
                for (k, v) in sp.before.iter() {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_str(out, k);
                    out.push(b':');
                    v.encode_json(out)?;
                }
                // Encoded by `PreEncoded::new` with the `KeyedList` impl above: the same bytes.
                let shared = sp.shared.members();
                if !shared.is_empty() {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend(shared);
                }
                for (k, v) in sp.after.iter() {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_str(out, k);
                    out.push(b':');
                    v.encode_json(out)?;
                }
                out.push(b'}');
                Ok(())
            }
        }
    }
}

impl JsonEncode for Service<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"version\":", &self.version);
        o.opt_str(b"\"compiler\":", &self.compiler);
        o.opt_str(b"\"compiler_version\":", &self.compiler_version);
        o.end();
        Ok(())
    }
}

impl JsonEncode for Http<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt(b"\"request\":", &self.request)?;
        o.opt(b"\"response\":", &self.response)?;
        o.end();
        Ok(())
    }
}

impl JsonEncode for HttpRequest<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"method\":", &self.method);
        o.opt_str(b"\"url\":", &self.url);
        o.opt_str(b"\"user_agent\":", &self.user_agent);
        o.opt_str(b"\"client_ip\":", &self.client_ip);
        o.opt_bool(b"\"x_forwarded_for\":", self.x_forwarded_for);
        o.opt_bool(b"\"traced\":", self.traced);
        o.end();
        Ok(())
    }
}

impl JsonEncode for HttpResponse {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_i64(b"\"status\":", self.status);
        o.opt_i64(b"\"content_length\":", self.content_length);
        o.end();
        Ok(())
    }
}

impl JsonEncode for Cause<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        match self {
            Self::ExceptionId(id) => id.encode_json(out),
            Self::Details(d) => d.encode_json(out),
        }
    }
}

impl JsonEncode for CauseDetails<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"working_directory\":", &self.working_directory);
        if !self.paths.is_empty() {
            o.value(b"\"paths\":", &self.paths)?;
        }
        if !self.exceptions.is_empty() {
            o.value(b"\"exceptions\":", &self.exceptions)?;
        }
        o.end();
        Ok(())
    }
}

impl JsonEncode for Exception<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.id(b"\"id\":", &self.id);
        o.str(b"\"message\":", &self.message);
        o.str(b"\"type\":", &self.kind);
        o.opt_bool(b"\"remote\":", self.remote);
        o.opt_u32(b"\"truncated\":", self.truncated);
        o.opt_u32(b"\"skipped\":", self.skipped);
        o.opt(b"\"cause\":", &self.cause)?;
        if !self.stack.is_empty() {
            o.value(b"\"stack\":", &self.stack)?;
        }
        o.end();
        Ok(())
    }
}

impl JsonEncode for StackFrame<'_> {
    #[inline]
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        out.extend(b"{\"path\":");
        write_str(out, &self.path);
        out.extend(b",\"line\":");
        write_i64(out, self.line);
        out.extend(b",\"label\":");
        write_str(out, &self.label);
        out.push(b'}');
        Ok(())
    }
}

impl JsonEncode for Aws<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"account_id\":", &self.account_id);
        o.opt_str(b"\"operation\":", &self.operation);
        o.opt_str(b"\"region\":", &self.region);
        o.opt_str(b"\"request_id\":", &self.request_id);
        o.opt_str(b"\"queue_url\":", &self.queue_url);
        o.opt_str(b"\"table_name\":", &self.table_name);
        if !self.table_names.is_empty() {
            o.value(b"\"table_names\":", &self.table_names)?;
        }
        o.opt_i64(b"\"retries\":", self.retries);
        if let Some(r) = self.resource {
            // Encoded by `PreEncoded::new` with the impl below: the same bytes.
            o.members(r.members());
        }
        platform_members(
            &mut o,
            self.ec2.as_deref(),
            self.ecs.as_deref(),
            self.eks.as_deref(),
            self.elastic_beanstalk.as_deref(),
            self.xray.as_deref(),
            &self.cloudwatch_logs,
        )?;
        o.end();
        Ok(())
    }
}

impl JsonEncode for AwsResource<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        platform_members(
            &mut o,
            self.ec2.as_ref(),
            self.ecs.as_ref(),
            self.eks.as_ref(),
            self.elastic_beanstalk.as_ref(),
            self.xray.as_ref(),
            &self.cloudwatch_logs,
        )?;
        o.end();
        Ok(())
    }
}

/// The platform keys of `aws`, shared by [`Aws`] and [`AwsResource`].
#[inline]
fn platform_members<W: JsonSink>(
    o: &mut Obj<'_, W>,
    ec2: Option<&Ec2<'_>>,
    ecs: Option<&Ecs<'_>>,
    eks: Option<&Eks<'_>>,
    elastic_beanstalk: Option<&ElasticBeanstalk<'_>>,
    xray: Option<&XRay<'_>>,
    cloudwatch_logs: &[LogGroup<'_>],
) -> Result<(), NonFinite> {
    if let Some(v) = ec2 {
        o.value(b"\"ec2\":", v)?;
    }
    if let Some(v) = ecs {
        o.value(b"\"ecs\":", v)?;
    }
    if let Some(v) = eks {
        o.value(b"\"eks\":", v)?;
    }
    if let Some(v) = elastic_beanstalk {
        o.value(b"\"elastic_beanstalk\":", v)?;
    }
    if let Some(v) = xray {
        o.value(b"\"xray\":", v)?;
    }
    if !cloudwatch_logs.is_empty() {
        o.value(b"\"cloudwatch_logs\":", cloudwatch_logs)?;
    }
    Ok(())
}

impl JsonEncode for Ec2<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"instance_id\":", &self.instance_id);
        o.opt_str(b"\"availability_zone\":", &self.availability_zone);
        o.opt_str(b"\"instance_size\":", &self.instance_size);
        o.opt_str(b"\"ami_id\":", &self.ami_id);
        o.end();
        Ok(())
    }
}

impl JsonEncode for Ecs<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"container\":", &self.container);
        o.opt_str(b"\"container_id\":", &self.container_id);
        o.opt_str(b"\"availability_zone\":", &self.availability_zone);
        o.opt_str(b"\"container_arn\":", &self.container_arn);
        o.opt_str(b"\"cluster_arn\":", &self.cluster_arn);
        o.opt_str(b"\"task_arn\":", &self.task_arn);
        o.opt_str(b"\"task_family\":", &self.task_family);
        o.opt_str(b"\"launch_type\":", &self.launch_type);
        o.end();
        Ok(())
    }
}

impl JsonEncode for Eks<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"cluster_name\":", &self.cluster_name);
        o.opt_str(b"\"pod\":", &self.pod);
        o.opt_str(b"\"container_id\":", &self.container_id);
        o.end();
        Ok(())
    }
}

impl JsonEncode for ElasticBeanstalk<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"environment_name\":", &self.environment_name);
        o.opt_str(b"\"version_label\":", &self.version_label);
        o.opt_i64(b"\"deployment_id\":", self.deployment_id);
        o.end();
        Ok(())
    }
}

impl JsonEncode for XRay<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"sdk\":", &self.sdk);
        o.opt_str(b"\"sdk_version\":", &self.sdk_version);
        o.bool(b"\"auto_instrumentation\":", self.auto_instrumentation);
        o.end();
        Ok(())
    }
}

impl JsonEncode for LogGroup<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.str(b"\"log_group\":", &self.log_group);
        o.opt_str(b"\"arn\":", &self.arn);
        o.end();
        Ok(())
    }
}

impl JsonEncode for Sql<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.opt_str(b"\"url\":", &self.url);
        o.opt_str(b"\"connection_string\":", &self.connection_string);
        o.opt_str(b"\"sanitized_query\":", &self.sanitized_query);
        o.opt_str(b"\"database_type\":", &self.database_type);
        o.opt_str(b"\"database_version\":", &self.database_version);
        o.opt_str(b"\"driver_version\":", &self.driver_version);
        o.opt_str(b"\"user\":", &self.user);
        o.opt_str(b"\"preparation\":", &self.preparation);
        o.end();
        Ok(())
    }
}

impl JsonEncode for Link<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.value(b"\"trace_id\":", &self.trace_id)?;
        o.id(b"\"id\":", &self.id);
        if !self.attributes.is_empty() {
            o.value(b"\"attributes\":", &self.attributes)?;
        }
        o.end();
        Ok(())
    }
}

impl JsonEncode for Segment<'_> {
    fn encode_json<W: JsonSink>(&self, out: &mut W) -> Result<(), NonFinite> {
        let mut o = Obj::new(out);
        o.str(b"\"name\":", &self.name);
        o.id(b"\"id\":", &self.id);
        o.opt(b"\"trace_id\":", &self.trace_id)?;
        let w = o.key(b"\"start_time\":");
        write_f64(w, self.start_time)?;
        if let Some(end) = self.end_time {
            let w = o.key(b"\"end_time\":");
            write_f64(w, end)?;
        }
        if self.in_progress {
            o.bool(b"\"in_progress\":", true);
        }
        if let Some(p) = &self.parent_id {
            o.id(b"\"parent_id\":", p);
        }
        if self.kind.is_some() {
            // `SegmentType` has one variant.
            o.key(b"\"type\":").extend(b"\"subsegment\"");
        }
        o.opt_str(b"\"namespace\":", &self.namespace);
        o.opt_str(b"\"origin\":", &self.origin);
        o.opt(b"\"service\":", &self.service)?;
        o.opt_str(b"\"user\":", &self.user);
        o.opt_str(b"\"resource_arn\":", &self.resource_arn);
        o.opt(b"\"http\":", &self.http)?;
        o.bool(b"\"fault\":", self.fault);
        o.bool(b"\"error\":", self.error);
        o.bool(b"\"throttle\":", self.throttle);
        o.opt(b"\"cause\":", &self.cause)?;
        o.opt(b"\"aws\":", &self.aws)?;
        o.opt(b"\"sql\":", &self.sql)?;
        if !self.annotations.is_empty() {
            o.value(b"\"annotations\":", &self.annotations)?;
        }
        if !self.metadata.is_empty() {
            o.value(b"\"metadata\":", &self.metadata)?;
        }
        if !self.links.is_empty() {
            o.value(b"\"links\":", &self.links)?;
        }
        if !self.subsegments.is_empty() {
            o.value(b"\"subsegments\":", &self.subsegments)?;
        }
        if !self.precursor_ids.is_empty() {
            o.value(b"\"precursor_ids\":", &self.precursor_ids)?;
        }
        o.opt_bool(b"\"traced\":", self.traced);
        o.end();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let mut v = Vec::new();
        write_str(&mut v, s);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn strings_escape_like_serde_json() {
        for s in [
            "",
            "plain",
            "a\"b\\c",
            "0123456789abcdef\"0123456789\n",
            "\u{0}\u{1}\u{1f}\u{7f}\u{80}é\u{2028}\u{2029}",
            "tab\there\r\n\u{8}\u{c}",
            "12345678\"",
            "1234567\"8",
            "é«»€😀 longer than eight bytes \\",
        ] {
            assert_eq!(enc(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
        for c in 0u8..=0x7f {
            let s: String = ["abcdefgh", &(c as char).to_string(), "ijklmnop"].concat();
            assert_eq!(enc(&s), serde_json::to_string(&s).unwrap(), "{c:#x}");
        }
    }

    /// A sink without its own string encoding: the scalar scan (what `ByteCounter` measures).
    struct ScalarSink(Vec<u8>);

    impl JsonSink for ScalarSink {
        fn extend(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
        fn push(&mut self, byte: u8) {
            self.0.push(byte);
        }
        fn base64(&mut self, bytes: &[u8]) {
            self.0.base64(bytes);
        }
    }

    /// Every position of one or two special bytes in strings of 0 to 70 bytes, which exercises
    /// the SIMD blocks of the buffer sink (16 and 32 bytes) and their tails, and the scalar
    /// scan's words, its overlapping last word and its byte loop.
    #[test]
    fn escapes_at_every_position_like_serde_json() {
        let specials = [
            '"', '\\', '\n', '\u{1}', '\u{1f}', '\u{7f}', 'é', '\u{2028}', '!', '\u{0}',
        ];
        for len in 0..70 {
            for pos in 0..len {
                for &c in &specials {
                    for second in [None, Some(pos + 1), Some(len - 1)] {
                        let mut v: Vec<char> = (0..len).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
                        v[pos] = c;
                        if let Some(p2) = second.filter(|p| *p < len) {
                            v[p2] = '"';
                        }
                        let text: String = v.into_iter().collect();
                        let theirs = serde_json::to_string(&text).unwrap();
                        assert_eq!(enc(&text), theirs, "{text:?}");
                        let mut scalar = ScalarSink(Vec::new());
                        write_str(&mut scalar, &text);
                        assert_eq!(scalar.0, theirs.as_bytes(), "{text:?}");
                        let mut counter = ByteCounter(0);
                        write_str(&mut counter, &text);
                        assert_eq!(counter.0, theirs.len(), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn numbers_format_like_serde_json() {
        for v in [
            0.0,
            -0.0,
            1.5,
            1_700_000_000.041_999_8,
            1e21,
            1e-7,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let mut out = Vec::new();
            write_f64(&mut out, v).unwrap();
            assert_eq!(out, serde_json::to_vec(&v).unwrap());
        }
        assert_eq!(write_f64(&mut Vec::new(), f64::NAN), Err(NonFinite));
        assert_eq!(write_f64(&mut Vec::new(), f64::NEG_INFINITY), Err(NonFinite));
    }

    #[test]
    fn counter_agrees_with_buffer() {
        let v = MetaValue::Array(vec![
            MetaValue::Bytes(Cow::Borrowed(b"hello")),
            MetaValue::Str("a\"\u{1}".into()),
            MetaValue::Double(0.25),
        ]);
        let mut buf = Vec::new();
        v.encode_json(&mut buf).unwrap();
        assert_eq!(json_len(&v).unwrap(), buf.len());
        assert_eq!(buf, serde_json::to_vec(&v).unwrap());
    }

    mod arbitrary {
        use super::*;
        use crate::preencoded::PreEncoded;
        use crate::value::SplicedEntries;
        use proptest::collection::vec;
        use proptest::option::of;
        use proptest::prelude::*;

        fn s() -> impl Strategy<Value = Cow<'static, str>> {
            prop_oneof![any::<String>(), "[a-z\"\\\\\u{0}-\u{1f}\u{2028}é]{0,20}"].prop_map(Cow::Owned)
        }
        fn os() -> impl Strategy<Value = Option<Cow<'static, str>>> {
            of(s())
        }
        fn num() -> impl Strategy<Value = f64> {
            prop_oneof![any::<f64>().prop_filter("finite", |v| v.is_finite()), 1.6e9..1.8e9f64]
        }
        fn id() -> impl Strategy<Value = SegmentId> {
            any::<[u8; 8]>().prop_map(SegmentId)
        }
        fn meta() -> impl Strategy<Value = MetaValue<'static>> {
            let leaf = prop_oneof![
                Just(MetaValue::Null),
                any::<bool>().prop_map(MetaValue::Bool),
                any::<i64>().prop_map(MetaValue::Int),
                num().prop_map(MetaValue::Double),
                s().prop_map(MetaValue::Str),
                vec(any::<u8>(), 0..10).prop_map(|b| MetaValue::Bytes(Cow::Owned(b))),
                Just(MetaValue::Raw(
                    serde_json::value::RawValue::from_string("{\"a\": [1, 2.5]}".into()).unwrap()
                )),
            ];
            leaf.prop_recursive(2, 12, 4, |inner| {
                prop_oneof![
                    vec(inner.clone(), 0..4).prop_map(MetaValue::Array),
                    vec((s(), inner), 0..4).prop_map(|e| MetaValue::Map(KeyedList(e))),
                ]
            })
        }
        fn annotation() -> impl Strategy<Value = AnnotationValue<'static>> {
            prop_oneof![
                s().prop_map(AnnotationValue::Str),
                any::<i64>().prop_map(AnnotationValue::Int),
                num().prop_map(AnnotationValue::Double),
                any::<bool>().prop_map(AnnotationValue::Bool),
            ]
        }
        fn exception() -> impl Strategy<Value = Exception<'static>> {
            (
                id(),
                s(),
                s(),
                of(any::<bool>()),
                of(any::<u32>()),
                of(any::<u32>()),
                of(id()),
                vec(
                    (s(), any::<i64>(), s()).prop_map(|(path, line, label)| StackFrame { path, line, label }),
                    0..3,
                ),
            )
                .prop_map(
                    |(id, message, kind, remote, truncated, skipped, cause, stack)| Exception {
                        id,
                        message,
                        kind,
                        remote,
                        truncated,
                        skipped,
                        cause,
                        stack,
                    },
                )
        }
        fn aws() -> impl Strategy<Value = Aws<'static>> {
            (
                (os(), os(), os(), os(), os(), os(), vec(s(), 0..3), of(any::<i64>())),
                of((os(), os(), os(), os()).prop_map(|(a, b, c, d)| Ec2 {
                    instance_id: a,
                    availability_zone: b,
                    instance_size: c,
                    ami_id: d,
                })),
                of(
                    (os(), os(), os(), os(), os(), os(), os(), os()).prop_map(|(a, b, c, d, e, f, g, h)| Ecs {
                        container: a,
                        container_id: b,
                        availability_zone: c,
                        container_arn: d,
                        cluster_arn: e,
                        task_arn: f,
                        task_family: g,
                        launch_type: h,
                    }),
                ),
                of((os(), os(), os()).prop_map(|(a, b, c)| Eks {
                    cluster_name: a,
                    pod: b,
                    container_id: c,
                })),
                of((os(), os(), of(any::<i64>())).prop_map(|(a, b, c)| ElasticBeanstalk {
                    environment_name: a,
                    version_label: b,
                    deployment_id: c,
                })),
                of((os(), os(), any::<bool>()).prop_map(|(a, b, c)| XRay {
                    sdk: a,
                    sdk_version: b,
                    auto_instrumentation: c,
                })),
                vec(
                    (s(), os()).prop_map(|(log_group, arn)| LogGroup { log_group, arn }),
                    0..3,
                ),
                any::<bool>(),
            )
                .prop_map(|((a, b, c, d, e, f, g, h), ec2, ecs, eks, eb, xray, logs, pre)| {
                    let mut aws = Aws {
                        account_id: a,
                        operation: b,
                        region: c,
                        request_id: d,
                        queue_url: e,
                        table_name: f,
                        table_names: g,
                        retries: h,
                        resource: None,
                        ec2: ec2.map(Box::new),
                        ecs: ecs.map(Box::new),
                        eks: eks.map(Box::new),
                        elastic_beanstalk: eb.map(Box::new),
                        xray: xray.map(Box::new),
                        cloudwatch_logs: logs,
                    };
                    if pre {
                        // The platform keys encoded once, as the translator does.
                        let r = AwsResource {
                            ec2: aws.ec2.take().map(|b| *b),
                            ecs: aws.ecs.take().map(|b| *b),
                            eks: aws.eks.take().map(|b| *b),
                            elastic_beanstalk: aws.elastic_beanstalk.take().map(|b| *b),
                            xray: aws.xray.take().map(|b| *b),
                            cloudwatch_logs: std::mem::take(&mut aws.cloudwatch_logs),
                        };
                        aws.resource = Some(Box::leak(Box::new(PreEncoded::new(r).expect("no doubles"))));
                    }
                    aws
                })
        }
        fn leaf_segment() -> impl Strategy<Value = Segment<'static>> {
            (
                (
                    s(),
                    id(),
                    of(any::<[u8; 16]>().prop_map(TraceId)),
                    num(),
                    of(num()),
                    any::<bool>(),
                    of(id()),
                ),
                (
                    any::<bool>(),
                    os(),
                    os(),
                    of(
                        (os(), os(), os()).prop_map(|(version, compiler, compiler_version)| Service {
                            version,
                            compiler,
                            compiler_version,
                        }),
                    ),
                    os(),
                    os(),
                ),
                of((
                    of((os(), os(), os(), os(), of(any::<bool>()), of(any::<bool>())).prop_map(
                        |(a, b, c, d, e, f)| HttpRequest {
                            method: a,
                            url: b,
                            user_agent: c,
                            client_ip: d,
                            x_forwarded_for: e,
                            traced: f,
                        },
                    )),
                    of((of(any::<i64>()), of(any::<i64>()))
                        .prop_map(|(status, content_length)| HttpResponse { status, content_length })),
                )
                    .prop_map(|(request, response)| Http { request, response })),
                (
                    any::<[bool; 3]>(),
                    of(prop_oneof![
                        id().prop_map(Cause::ExceptionId),
                        (os(), vec(s(), 0..2), vec(exception(), 0..3)).prop_map(
                            |(working_directory, paths, exceptions)| {
                                Cause::Details(CauseDetails {
                                    working_directory,
                                    paths,
                                    exceptions,
                                })
                            }
                        ),
                    ]),
                    of(aws()),
                ),
                of(
                    (os(), os(), os(), os(), os(), os(), os(), os()).prop_map(|(a, b, c, d, e, f, g, h)| Sql {
                        url: a,
                        connection_string: b,
                        sanitized_query: c,
                        database_type: d,
                        database_version: e,
                        driver_version: f,
                        user: g,
                        preparation: h,
                    }),
                ),
                (
                    vec((s(), annotation()), 0..4),
                    vec(
                        (
                            s(),
                            prop_oneof![
                                Just(Namespace::Null),
                                vec((s(), meta()), 0..4).prop_map(|e| Namespace::Entries(KeyedList(e))),
                                (
                                    vec((s(), meta()), 0..3),
                                    vec((s(), meta()), 0..3),
                                    vec((s(), meta()), 0..3)
                                )
                                    .prop_filter_map(
                                        "encodable shared entries",
                                        |(b, sh, a)| {
                                            let shared = PreEncoded::new(KeyedList(sh)).ok()?;
                                            Some(Namespace::Spliced(SplicedEntries {
                                                before: KeyedList(b),
                                                shared: Box::leak(Box::new(shared)),
                                                after: KeyedList(a),
                                            }))
                                        }
                                    ),
                            ],
                        ),
                        0..3,
                    ),
                    vec(
                        (any::<[u8; 16]>(), id(), vec((s(), meta()), 0..2)).prop_map(|(t, id, a)| Link {
                            trace_id: TraceId(t),
                            id,
                            attributes: KeyedList(a),
                        }),
                        0..2,
                    ),
                    vec(id(), 0..3),
                    of(any::<bool>()),
                ),
            )
                .prop_map(
                    |(a, b, http, (flags, cause, aws), sql, (ann, meta, links, precursors, traced))| {
                        let (name, id, trace_id, start, end, in_progress, parent_id) = a;
                        let (sub, namespace, origin, service, user, resource_arn) = b;
                        Segment {
                            name,
                            id,
                            trace_id,
                            start_time: start,
                            end_time: end,
                            in_progress,
                            parent_id,
                            kind: sub.then_some(crate::segment::SegmentType::Subsegment),
                            namespace,
                            origin,
                            service,
                            user,
                            resource_arn,
                            http,
                            fault: flags[0],
                            error: flags[1],
                            throttle: flags[2],
                            cause,
                            aws,
                            sql,
                            annotations: KeyedList(ann),
                            metadata: KeyedList(meta),
                            links,
                            subsegments: Vec::new(),
                            precursor_ids: precursors,
                            traced,
                        }
                    },
                )
        }
        pub(super) fn segment() -> impl Strategy<Value = Segment<'static>> {
            (leaf_segment(), vec(leaf_segment(), 0..3)).prop_map(|(mut seg, subs)| {
                seg.subsegments = subs;
                seg
            })
        }
    }

    /// Runs a property on a thread with a large stack: the segment strategy's value trees are
    /// deep, too deep for the default test thread stack in debug builds.
    fn check<S: proptest::strategy::Strategy + 'static>(
        strategy: fn() -> S,
        test: impl Fn(S::Value) -> Result<(), proptest::test_runner::TestCaseError> + Send + 'static,
    ) {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || {
                let config = proptest::test_runner::Config {
                    cases: 256,
                    ..Default::default()
                };
                let mut runner = proptest::test_runner::TestRunner::new(config);
                if let Err(e) = runner.run(&strategy(), test) {
                    panic!("{e}");
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn hand_encoder_matches_serde_json() {
        check(arbitrary::segment, |seg| {
            let mut ours = Vec::new();
            seg.encode_json(&mut ours).unwrap();
            let theirs = serde_json::to_vec(&seg).unwrap();
            let a: serde_json::Value = serde_json::from_slice(&ours).unwrap();
            let b: serde_json::Value = serde_json::from_slice(&theirs).unwrap();
            proptest::prop_assert_eq!(a, b);
            // Stronger than required: the very same bytes.
            proptest::prop_assert_eq!(&ours, &theirs);
            proptest::prop_assert_eq!(json_len(&seg).unwrap(), ours.len());
            Ok(())
        });
    }

    #[test]
    fn non_finite_fails_like_serde_json() {
        fn strategy() -> impl proptest::strategy::Strategy<Value = (Segment<'static>, f64)> {
            let bad = proptest::prop_oneof![
                proptest::prelude::Just(f64::NAN),
                proptest::prelude::Just(f64::INFINITY)
            ];
            (arbitrary::segment(), bad)
        }
        check(strategy, |(mut seg, bad)| {
            seg.annotations.push("bad", AnnotationValue::Double(bad));
            proptest::prop_assert!(seg.encode_json(&mut Vec::new()).is_err());
            proptest::prop_assert!(json_len(&seg).is_err());
            proptest::prop_assert!(serde_json::to_vec(&seg).is_err());
            Ok(())
        });
    }
}
