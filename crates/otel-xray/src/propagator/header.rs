//! Strict parsing and formatting of the `X-Amzn-Trace-Id` header value.
//!
//! This file knows the header's grammar and nothing of OpenTelemetry contexts: it turns a header value
//! into an [`XrayTraceHeader`] (or a [`TraceHeaderError`] saying why not) and writes one back. What a
//! missing `Parent` or `Sampled` field *means* for a span context is decided by the policies of
//! [`XrayPropagator`](super::XrayPropagator), not here.
//!
//! The ids themselves are parsed by [`otel_xray_model::TraceId`] and [`otel_xray_model::SegmentId`], the one
//! place in the workspace that knows the X-Ray id forms. Both check exact lengths and the version digit,
//! and neither pads nor shifts a short value.

use std::fmt;

use opentelemetry::trace::{SpanId, TraceId};

/// The `Sampled` field of an `X-Amzn-Trace-Id` header, as written by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampledField {
    /// `Sampled=1`: the caller recorded the request.
    Sampled,
    /// `Sampled=0`: the caller did not record the request.
    NotSampled,
    /// `Sampled=?`: the caller asks the receiver to make the decision.
    Requested,
    /// No `Sampled` field. ALB and API Gateway send headers like this.
    Absent,
}

/// Why an `X-Amzn-Trace-Id` value was not accepted.
///
/// Only the fields that identify a trace can make a header invalid. Unknown keys (`Self`, `CalledFrom`,
/// …), parts without `=`, and a malformed `Lineage` never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TraceHeaderError {
    /// The header has no `Root` field (keys are case-sensitive: `root=` does not count).
    #[error("the X-Amzn-Trace-Id header has no Root field")]
    MissingRoot,
    /// `Root` is not `1-<8 hex digits>-<24 hex digits>`.
    #[error("the X-Amzn-Trace-Id Root field is not 1-<8 hex digits>-<24 hex digits>")]
    InvalidRoot,
    /// `Root` is well formed but all zero, which OpenTelemetry treats as no trace id.
    #[error("the X-Amzn-Trace-Id Root field is the all-zero trace id")]
    ZeroRoot,
    /// `Parent` is present but not exactly 16 hex digits.
    #[error("the X-Amzn-Trace-Id Parent field is not 16 hex digits")]
    InvalidParent,
    /// `Parent` is well formed but all zero, which OpenTelemetry treats as no span id.
    #[error("the X-Amzn-Trace-Id Parent field is the all-zero span id")]
    ZeroParent,
    /// `Sampled` is present with a value other than `1`, `0` or `?`.
    #[error("the X-Amzn-Trace-Id Sampled field is not 1, 0 or ?")]
    InvalidSampled,
    /// `Root`, `Parent` or `Sampled` appears more than once, so the header is ambiguous.
    #[error("the X-Amzn-Trace-Id {0} field appears more than once")]
    DuplicateField(&'static str),
}

/// A parsed `X-Amzn-Trace-Id` header.
///
/// [`XrayTraceHeader::parse`] is strict about the fields that identify a trace and lenient about
/// everything else:
///
/// * `Root` must be `1-` + exactly 8 + `-` + exactly 24 hex digits and not all zero;
/// * `Parent`, when present, must be exactly 16 hex digits and not all zero;
/// * `Sampled`, when present, must be `1`, `0` or `?`;
/// * each of those three keys may appear only once;
/// * keys are matched exactly and case-sensitively; key order does not matter;
/// * blanks (space, tab) around a `;`-separated part and empty parts (such as a trailing `;`) are
///   ignored, but blanks around `=` are not: `Root = 1-…` is not a `Root` field;
/// * parts without `=` and unknown keys (`Self`, `CalledFrom`, …) are ignored and not kept;
/// * a `Lineage` that breaks the rules of [`is_valid_lineage`], or that appears twice, is dropped
///   without invalidating the header.
///
/// Hex digits may be upper or lower case; [`Display`](fmt::Display) writes them lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XrayTraceHeader {
    /// The trace id from `Root`.
    pub trace_id: TraceId,
    /// The caller's segment or subsegment id from `Parent`, if the header had one.
    pub parent_id: Option<SpanId>,
    /// The `Sampled` field.
    pub sampled: SampledField,
    /// The `Lineage` field, kept only when it is valid.
    pub lineage: Option<String>,
}

impl XrayTraceHeader {
    /// Parses a header value strictly; see the type's documentation for the rules.
    pub fn parse(value: &str) -> Result<Self, TraceHeaderError> {
        let mut root = None;
        let mut parent = None;
        let mut sampled = None;
        let mut lineage = None;
        let mut lineage_repeated = false;

        for part in value.split(';') {
            let part = part.trim_matches(is_blank);
            let Some((key, field)) = part.split_once('=') else {
                // Empty parts (a trailing `;`) and parts without `=` carry nothing we read.
                continue;
            };
            match key {
                "Root" => set_once(&mut root, field, "Root")?,
                "Parent" => set_once(&mut parent, field, "Parent")?,
                "Sampled" => set_once(&mut sampled, field, "Sampled")?,
                "Lineage" => {
                    lineage_repeated |= lineage.is_some();
                    lineage = Some(field);
                }
                // `Self` is rewritten by every ALB hop and means nothing to the next service; other keys
                // are opaque. None of them is carried forward.
                _ => {}
            }
        }

        let root = root.ok_or(TraceHeaderError::MissingRoot)?;
        let trace_id = root
            .parse::<otel_xray_model::TraceId>()
            .map_err(|_| TraceHeaderError::InvalidRoot)
            .map(|id| TraceId::from_bytes(id.0))?;
        if trace_id == TraceId::INVALID {
            return Err(TraceHeaderError::ZeroRoot);
        }

        let parent_id = match parent {
            None => None,
            Some(parent) => {
                let id = parent
                    .parse::<otel_xray_model::SegmentId>()
                    .map_err(|_| TraceHeaderError::InvalidParent)
                    .map(|id| SpanId::from_bytes(id.0))?;
                if id == SpanId::INVALID {
                    return Err(TraceHeaderError::ZeroParent);
                }
                Some(id)
            }
        };

        let sampled = match sampled {
            None => SampledField::Absent,
            Some("1") => SampledField::Sampled,
            Some("0") => SampledField::NotSampled,
            Some("?") => SampledField::Requested,
            Some(_) => return Err(TraceHeaderError::InvalidSampled),
        };

        let lineage = lineage
            .filter(|l| !lineage_repeated && is_valid_lineage(l))
            .map(str::to_owned);

        Ok(Self {
            trace_id,
            parent_id,
            sampled,
            lineage,
        })
    }
}

impl fmt::Display for XrayTraceHeader {
    /// Writes `Root=…[;Parent=…][;Sampled=…][;Lineage=…]`, leaving out absent fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Root={}", otel_xray_model::TraceId(self.trace_id.to_bytes()))?;
        if let Some(parent) = self.parent_id {
            write!(f, ";Parent={parent}")?;
        }
        match self.sampled {
            SampledField::Sampled => f.write_str(";Sampled=1")?,
            SampledField::NotSampled => f.write_str(";Sampled=0")?,
            SampledField::Requested => f.write_str(";Sampled=?")?,
            SampledField::Absent => {}
        }
        if let Some(lineage) = &self.lineage {
            write!(f, ";Lineage={lineage}")?;
        }
        Ok(())
    }
}

/// Whether `lineage` is a valid `Lineage` value: `<a>:<8 hex digits>:<b>`, where `a` and `b` are
/// decimal counters with `a` ≤ 32767 and `b` ≤ 255, and the whole value is 12 to 18 characters long.
///
/// These are the checks of the Java contrib propagator (xray-protocol.md §6.1). A value that fails them,
/// such as the older two-part `<hash>:<count>` form, is dropped rather than passed on.
pub fn is_valid_lineage(lineage: &str) -> bool {
    if !(12..=18).contains(&lineage.len()) {
        return false;
    }
    let mut parts = lineage.split(':');
    let (Some(loops), Some(hash), Some(requests), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    is_counter(loops, 32_767)
        && hash.len() == 8
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && is_counter(requests, 255)
}

/// A non-empty run of ASCII digits (no sign) whose value is at most `max`.
fn is_counter(digits: &str, max: u32) -> bool {
    // The 18-character limit on the whole value keeps `digits` far below u32 overflow.
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && digits.parse::<u32>().is_ok_and(|n| n <= max)
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn set_once<'a>(slot: &mut Option<&'a str>, value: &'a str, key: &'static str) -> Result<(), TraceHeaderError> {
    if slot.replace(value).is_some() {
        return Err(TraceHeaderError::DuplicateField(key));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const ROOT: &str = "1-5759e988-bd862e3fe1be46a994272793";
    const TRACE_HEX: &str = "5759e988bd862e3fe1be46a994272793";
    const PARENT: &str = "53995c3f42cd8ad8";

    fn trace_id() -> TraceId {
        TraceId::from_hex(TRACE_HEX).unwrap()
    }

    fn parent_id() -> SpanId {
        SpanId::from_hex(PARENT).unwrap()
    }

    /// Headers that must parse, with the fields they must yield.
    #[test]
    fn accepted_headers() {
        let full = XrayTraceHeader {
            trace_id: trace_id(),
            parent_id: Some(parent_id()),
            sampled: SampledField::Sampled,
            lineage: None,
        };
        let cases: Vec<(&str, &str, XrayTraceHeader)> = vec![
            (
                "canonical",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                full.clone(),
            ),
            (
                "key order does not matter",
                "Sampled=1;Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272793",
                full.clone(),
            ),
            (
                "trailing ;",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;",
                full.clone(),
            ),
            (
                "blanks around parts",
                " Root=1-5759e988-bd862e3fe1be46a994272793; Parent=53995c3f42cd8ad8;\tSampled=1 ",
                full.clone(),
            ),
            (
                "empty parts",
                ";;Root=1-5759e988-bd862e3fe1be46a994272793;;Parent=53995c3f42cd8ad8;Sampled=1;;",
                full.clone(),
            ),
            (
                "upper-case hex",
                "Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995C3F42CD8AD8;Sampled=1",
                full.clone(),
            ),
            (
                "ALB Self and extra fields ignored",
                concat!(
                    "Self=1-67891234-12456789abcdef012345678;Root=1-5759e988-bd862e3fe1be46a994272793;",
                    "CalledFrom=app;Parent=53995c3f42cd8ad8;Sampled=1",
                ),
                full.clone(),
            ),
            (
                "unknown key Foo=Bar ignored",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Foo=Bar;Parent=53995c3f42cd8ad8;Sampled=1",
                full.clone(),
            ),
            (
                "part without = ignored",
                "Root=1-5759e988-bd862e3fe1be46a994272793;garbage;Parent=53995c3f42cd8ad8;Sampled=1",
                full.clone(),
            ),
            (
                "lower-case key is an unknown key",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;sampled=x",
                full.clone(),
            ),
            (
                "Sampled=0",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
                XrayTraceHeader {
                    sampled: SampledField::NotSampled,
                    ..full.clone()
                },
            ),
            (
                "Sampled=?",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?",
                XrayTraceHeader {
                    sampled: SampledField::Requested,
                    ..full.clone()
                },
            ),
            (
                "missing Sampled (API Gateway)",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                XrayTraceHeader {
                    sampled: SampledField::Absent,
                    ..full.clone()
                },
            ),
            (
                "Root only (ALB)",
                "Root=1-5759e988-bd862e3fe1be46a994272793",
                XrayTraceHeader {
                    parent_id: None,
                    sampled: SampledField::Absent,
                    ..full.clone()
                },
            ),
            (
                "missing Parent, Sampled=1",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
                XrayTraceHeader {
                    parent_id: None,
                    ..full.clone()
                },
            ),
            (
                "valid Lineage kept",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=10:1234abcd:3",
                XrayTraceHeader {
                    lineage: Some("10:1234abcd:3".into()),
                    ..full.clone()
                },
            ),
            (
                "invalid Lineage dropped, header kept",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=d4d48d4d:0",
                full.clone(),
            ),
            (
                "repeated Lineage dropped, header kept",
                concat!(
                    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;",
                    "Lineage=1:1234abcd:3;Lineage=2:1234abcd:3",
                ),
                full.clone(),
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(XrayTraceHeader::parse(input), Ok(want), "{name}: {input:?}");
        }
    }

    /// Headers that must be rejected, with the reason.
    #[test]
    fn rejected_headers() {
        use TraceHeaderError::*;
        let cases: [(&str, &str, TraceHeaderError); 22] = [
            ("empty", "", MissingRoot),
            ("blank", "  ", MissingRoot),
            ("no Root", "Parent=53995c3f42cd8ad8;Sampled=1", MissingRoot),
            (
                "lower-case root key",
                "root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                MissingRoot,
            ),
            (
                "prefix is not a key",
                "RootX=1-5759e988-bd862e3fe1be46a994272793",
                MissingRoot,
            ),
            (
                "blank before =",
                "Root =1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                MissingRoot,
            ),
            (
                "blank after =",
                "Root= 1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                InvalidRoot,
            ),
            (
                "version 2",
                "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                InvalidRoot,
            ),
            (
                "short epoch (no left-padding)",
                "Root=1-0-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                InvalidRoot,
            ),
            (
                "23-digit unique part (no shift)",
                "Root=1-64fbd5a9-2202432c9dfed25ae1e6996;Parent=53995c3f42cd8ad8",
                InvalidRoot,
            ),
            (
                "25-digit unique part",
                "Root=1-5759e988-bd862e3fe1be46a9942727930;Parent=53995c3f42cd8ad8",
                InvalidRoot,
            ),
            (
                "not hex",
                "Root=1-5759e988-bd862e3fe1be46a99427279g;Parent=53995c3f42cd8ad8",
                InvalidRoot,
            ),
            (
                "0x inside",
                "Root=1-0x59e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                InvalidRoot,
            ),
            (
                "W3C form in Root",
                "Root=5759e988bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
                InvalidRoot,
            ),
            (
                "all-zero Root",
                "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",
                ZeroRoot,
            ),
            (
                "short Parent (no left-padding)",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=abc",
                InvalidParent,
            ),
            (
                "long Parent",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad80",
                InvalidParent,
            ),
            (
                "empty Parent",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=",
                InvalidParent,
            ),
            (
                "all-zero Parent",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000",
                ZeroParent,
            ),
            (
                "Sampled=2",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=2",
                InvalidSampled,
            ),
            (
                "Sampled=true",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=true",
                InvalidSampled,
            ),
            (
                "duplicate Root",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Root=1-5759e988-bd862e3fe1be46a994272794",
                DuplicateField("Root"),
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(XrayTraceHeader::parse(input), Err(want), "{name}: {input:?}");
        }
        assert_eq!(
            XrayTraceHeader::parse(&format!("Root={ROOT};Parent={PARENT};Parent={PARENT}")),
            Err(DuplicateField("Parent"))
        );
        assert_eq!(
            XrayTraceHeader::parse(&format!("Root={ROOT};Sampled=1;Sampled=1")),
            Err(DuplicateField("Sampled"))
        );
        assert_eq!(
            XrayTraceHeader::parse(&format!("Root={ROOT};Sampled=")),
            Err(InvalidSampled)
        );
    }

    #[test]
    fn lineage_rules() {
        let cases = [
            ("1:1234abcd:0", true),
            ("32767:1234abcd:255", true),
            ("00001:ABCDEF12:001", true),
            ("0:00000000:0", true),
            ("32768:1234abcd:0", false),     // loop counter too large
            ("1:1234abcd:256", false),       // request counter too large
            ("1:1234abc:0", false),          // 7-digit hash
            ("1:1234abcde:0", false),        // 9-digit hash
            ("1:1234abcg:0", false),         // not hex
            ("-1:11111111:0", false),        // sign
            ("+1:11111111:0", false),        // sign
            (":1234abcd:0", false),          // empty counter
            ("1:1234abcd:", false),          // empty counter
            ("d4d48d4d:0", false),           // the older two-part form
            ("1:1234abcd:0:0", false),       // four parts
            ("000001:1234abcd:1", true),     // 17 characters with leading zeros
            ("0000001:1234abcd:001", false), // 20 characters
            ("1:1234abcd:0 ", false),        // trailing blank
            ("1:1234abcd:٣", false),         // non-ASCII digit
        ];
        for (lineage, valid) in cases {
            assert_eq!(is_valid_lineage(lineage), valid, "{lineage:?}");
        }
    }

    #[test]
    fn display_writes_fields_in_order_and_lower_case() {
        let header = XrayTraceHeader::parse(
            "Lineage=3:ABCDEF12:1;Sampled=?;Parent=53995C3F42CD8AD8;Root=1-5759E988-BD862E3FE1BE46A994272793",
        )
        .unwrap();
        assert_eq!(
            header.to_string(),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?;Lineage=3:ABCDEF12:1"
        );
        let root_only = XrayTraceHeader::parse(&format!("Root={ROOT}")).unwrap();
        assert_eq!(root_only.to_string(), format!("Root={ROOT}"));
        assert_eq!(XrayTraceHeader::parse(&root_only.to_string()), Ok(root_only));
    }

    proptest! {
        #[test]
        fn parse_never_panics(value in any::<String>()) {
            let _ = XrayTraceHeader::parse(&value);
            let _ = is_valid_lineage(&value);
        }

        #[test]
        fn parse_never_panics_on_header_like_input(
            parts in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["Root", "Parent", "Sampled", "Lineage", "Self", "root", " Root", ""]),
                    "[0-9a-fA-F:;=?x -]{0,40}",
                ),
                0..6,
            )
        ) {
            let value = parts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";");
            if let Ok(header) = XrayTraceHeader::parse(&value) {
                // Whatever is accepted formats into a header that parses to the same value.
                prop_assert_eq!(XrayTraceHeader::parse(&header.to_string()), Ok(header));
            }
        }

        #[test]
        fn valid_headers_round_trip(
            trace in any::<u128>().prop_filter("non-zero", |t| *t != 0),
            span in proptest::option::of(any::<u64>().prop_filter("non-zero", |s| *s != 0)),
            sampled in proptest::sample::select(vec![
                SampledField::Sampled, SampledField::NotSampled, SampledField::Requested, SampledField::Absent,
            ]),
            lineage in proptest::option::of((0u32..=32_767, "[0-9a-f]{8}", 0u32..=255)),
        ) {
            let header = XrayTraceHeader {
                trace_id: TraceId::from_bytes(trace.to_be_bytes()),
                parent_id: span.map(|s| SpanId::from_bytes(s.to_be_bytes())),
                sampled,
                lineage: lineage.map(|(a, h, b)| format!("{a}:{h}:{b}")),
            };
            prop_assert_eq!(XrayTraceHeader::parse(&header.to_string()), Ok(header));
        }
    }
}
