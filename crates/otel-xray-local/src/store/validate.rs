//! X-Ray's per-document checks for `PutTraceSegments`.
//!
//! A document that fails is answered in `UnprocessedTraceSegments` with one of these codes:
//!
//! | code | when |
//! |---|---|
//! | `JSONFormatError` | not JSON, or not an object (moto's code) |
//! | `MissingParam` | `id`, `name`, `trace_id` or `start_time` missing, or neither `end_time` nor `in_progress` (moto's code) |
//! | `InvalidTraceId` | `trace_id` is not `1-` + 8 hex + `-` + 24 hex |
//! | `MissingParentId` | a `type: "subsegment"` document without `parent_id` |
//! | `InvalidSegment` | over 64 KiB, a malformed id, name or time, or a bad embedded subsegment |
//!
//! A document may also be a JSON array of independent subsegments; each element is checked as
//! its own document and the array fails as a whole when one element fails.

use otel_xray_model::limits::{MAX_DOCUMENT_BYTES, MAX_NAME_BYTES, SEGMENT_ID_HEX_LEN};
use serde_json::{Map, Value};

/// `JSONFormatError`.
pub const JSON_FORMAT_ERROR: &str = "JSONFormatError";
/// `MissingParam`.
pub const MISSING_PARAM: &str = "MissingParam";
/// `InvalidTraceId`.
pub const INVALID_TRACE_ID: &str = "InvalidTraceId";
/// `MissingParentId`.
pub const MISSING_PARENT_ID: &str = "MissingParentId";
/// `InvalidSegment`.
pub const INVALID_SEGMENT: &str = "InvalidSegment";

/// Why one document was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The document's `id`, or empty when it has none that could be read.
    pub id: String,
    /// One of the codes in this module's table.
    pub code: &'static str,
    /// A sentence naming the problem.
    pub message: String,
}

/// One accepted document.
#[derive(Debug, Clone)]
pub(crate) struct ValidDoc {
    /// Its trace.
    pub trace_id: String,
    /// Its `id`.
    pub id: String,
    /// The document as stored and returned by `BatchGetTraces`.
    pub text: String,
    /// The parsed document.
    pub value: Value,
}

/// Checks one element of `TraceSegmentDocuments`.
pub(crate) fn validate(text: &str) -> Result<Vec<ValidDoc>, Rejection> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Rejection {
            id: String::new(),
            code: INVALID_SEGMENT,
            message: format!(
                "The segment document is {} bytes, over the {MAX_DOCUMENT_BYTES}-byte limit.",
                text.len()
            ),
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| Rejection {
        id: String::new(),
        code: JSON_FORMAT_ERROR,
        message: format!("The segment document is not valid JSON: {e}."),
    })?;
    match value {
        Value::Object(map) => {
            let (trace_id, id) = check_document(&map)?;
            Ok(vec![ValidDoc {
                trace_id,
                id,
                text: text.to_owned(),
                value: Value::Object(map),
            }])
        }
        Value::Array(items) => {
            let mut docs = Vec::with_capacity(items.len());
            for item in items {
                let Value::Object(map) = item else {
                    return Err(not_an_object());
                };
                let (trace_id, id) = check_document(&map)?;
                if map.get("type").and_then(Value::as_str) != Some("subsegment") {
                    return Err(Rejection {
                        id,
                        code: INVALID_SEGMENT,
                        message: "An array document may hold only independent subsegments \
                                  (type \"subsegment\")."
                            .into(),
                    });
                }
                let value = Value::Object(map);
                let text = value.to_string();
                docs.push(ValidDoc {
                    trace_id,
                    id,
                    text,
                    value,
                });
            }
            if docs.is_empty() {
                return Err(Rejection {
                    id: String::new(),
                    code: JSON_FORMAT_ERROR,
                    message: "The segment document is an empty array.".into(),
                });
            }
            Ok(docs)
        }
        _ => Err(not_an_object()),
    }
}

fn not_an_object() -> Rejection {
    Rejection {
        id: String::new(),
        code: JSON_FORMAT_ERROR,
        message: "A segment document must be a JSON object.".into(),
    }
}

/// Checks a top-level document; returns its trace id and id.
fn check_document(map: &Map<String, Value>) -> Result<(String, String), Rejection> {
    let id = match map.get("id") {
        None => return Err(missing("", "id")),
        Some(Value::String(id)) if is_segment_id(id) => id.clone(),
        Some(other) => {
            return Err(invalid(
                "",
                format!("The segment id {other} is not {SEGMENT_ID_HEX_LEN} hex digits."),
            ));
        }
    };
    let trace_id = match map.get("trace_id") {
        None => return Err(missing(&id, "trace_id")),
        Some(Value::String(t)) if is_trace_id(t) => t.clone(),
        Some(other) => {
            return Err(Rejection {
                id,
                code: INVALID_TRACE_ID,
                message: format!("The trace id {other} is not of the form 1-<8 hex digits>-<24 hex digits>."),
            });
        }
    };
    let subsegment = map.get("type").and_then(Value::as_str) == Some("subsegment");
    if subsegment && map.get("parent_id").is_none() {
        return Err(Rejection {
            id,
            code: MISSING_PARENT_ID,
            message: "Invalid subsegment. ErrorCode: MissingParentId".into(),
        });
    }
    check_entity(map, &id, !subsegment)?;
    Ok((trace_id, id))
}

/// The checks shared by segments and subsegments (embedded ones recursively).
fn check_entity(map: &Map<String, Value>, id: &str, segment: bool) -> Result<(), Rejection> {
    match map.get("name") {
        None => return Err(missing(id, "name")),
        Some(Value::String(name)) => check_name(name, segment).map_err(|why| invalid(id, why))?,
        Some(other) => return Err(invalid(id, format!("The name {other} is not a string."))),
    }
    let start = match map.get("start_time") {
        None => return Err(missing(id, "start_time")),
        Some(v) => time(v).ok_or_else(|| invalid(id, format!("The start_time {v} is not a time.")))?,
    };
    match map.get("end_time") {
        Some(v) => {
            let end = time(v).ok_or_else(|| invalid(id, format!("The end_time {v} is not a time.")))?;
            if end < start {
                return Err(invalid(
                    id,
                    format!("The end_time {end} is before the start_time {start}."),
                ));
            }
        }
        None if map.get("in_progress").and_then(Value::as_bool) == Some(true) => {}
        None => return Err(missing(id, "end_time or in_progress")),
    }
    if let Some(parent) = map.get("parent_id")
        && !parent.as_str().is_some_and(is_segment_id)
    {
        return Err(invalid(
            id,
            format!("The parent_id {parent} is not {SEGMENT_ID_HEX_LEN} hex digits."),
        ));
    }
    match map.get("subsegments") {
        None | Some(Value::Null) => {}
        Some(Value::Array(subs)) => {
            for sub in subs {
                let Value::Object(sub) = sub else {
                    return Err(invalid(id, "A subsegment is not a JSON object.".into()));
                };
                let sub_id = match sub.get("id") {
                    Some(Value::String(s)) if is_segment_id(s) => s.as_str(),
                    Some(other) => {
                        return Err(invalid(
                            id,
                            format!("The subsegment id {other} is not {SEGMENT_ID_HEX_LEN} hex digits."),
                        ));
                    }
                    None => return Err(missing(id, "id (of a subsegment)")),
                };
                check_entity(sub, sub_id, false).map_err(|mut r| {
                    // Report the document's id, naming the subsegment in the message.
                    if r.id != id {
                        r.message = format!("Subsegment {}: {}", r.id, r.message);
                        r.id = id.to_owned();
                    }
                    r
                })?;
            }
        }
        Some(_) => return Err(invalid(id, "subsegments is not an array.".into())),
    }
    Ok(())
}

fn missing(id: &str, field: &str) -> Rejection {
    Rejection {
        id: id.to_owned(),
        code: MISSING_PARAM,
        message: format!("The segment document has no {field}."),
    }
}

fn invalid(id: &str, message: String) -> Rejection {
    Rejection {
        id: id.to_owned(),
        code: INVALID_SEGMENT,
        message,
    }
}

/// A non-negative finite number of epoch seconds.
fn time(v: &Value) -> Option<f64> {
    v.as_f64().filter(|t| t.is_finite() && *t >= 0.0)
}

/// Segment names: 1-200 characters of letters, digits, whitespace and `_ . : / % & # = + \ - @`.
/// Subsegment names are only checked for length (SDKs name them after SQL statements and URLs).
fn check_name(name: &str, segment: bool) -> Result<(), String> {
    let chars = name.chars().count();
    if chars == 0 {
        return Err("The name is empty.".into());
    }
    if segment {
        if chars > MAX_NAME_BYTES {
            return Err(format!(
                "The name has {chars} characters, over the {MAX_NAME_BYTES} allowed."
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_alphanumeric() || c.is_whitespace() || "_.:/%&#=+\\-@".contains(*c)))
        {
            return Err(format!(
                "The name {name:?} holds the character {bad:?}, which X-Ray does not allow."
            ));
        }
    } else if chars > 250 {
        return Err(format!(
            "The subsegment name has {chars} characters, over the 250 allowed."
        ));
    }
    Ok(())
}

/// 16 hex digits.
pub(crate) fn is_segment_id(s: &str) -> bool {
    s.len() == SEGMENT_ID_HEX_LEN && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `1-` + 8 hex digits + `-` + 24 hex digits.
pub(crate) fn is_trace_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 35
        && b.starts_with(b"1-")
        && b[10] == b'-'
        && b[2..10].iter().all(u8::is_ascii_hexdigit)
        && b[11..].iter().all(u8::is_ascii_hexdigit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "1-58406520-a006649127e371903a2de979";

    fn doc(extra: &str) -> String {
        format!(r#"{{"name":"svc","id":"70de5b6f19ff9a0a","trace_id":"{T}","start_time":1.0{extra}}}"#)
    }

    fn code(text: &str) -> &'static str {
        validate(text).unwrap_err().code
    }

    #[test]
    fn minimal_segment_is_accepted() {
        let docs = validate(&doc(r#","end_time":2.0"#)).unwrap();
        assert_eq!(docs[0].trace_id, T);
        assert_eq!(docs[0].id, "70de5b6f19ff9a0a");
        assert!(validate(&doc(r#","in_progress":true"#)).is_ok());
    }

    #[test]
    fn rules_give_xray_codes() {
        assert_eq!(code("{"), JSON_FORMAT_ERROR);
        assert_eq!(code("[1]"), JSON_FORMAT_ERROR);
        assert_eq!(code(&doc("")), MISSING_PARAM);
        assert_eq!(
            code(r#"{"id":"70de5b6f19ff9a0a","trace_id":"1-5-x","name":"a","start_time":1,"end_time":2}"#),
            INVALID_TRACE_ID
        );
        assert_eq!(code(&doc(r#","end_time":2,"type":"subsegment""#)), MISSING_PARENT_ID);
        assert_eq!(code(&doc(r#","end_time":0.5"#)), INVALID_SEGMENT);
        assert_eq!(
            code(&doc(r#","end_time":2,"subsegments":[{"id":"x"}]"#)),
            INVALID_SEGMENT
        );
        assert_eq!(
            code(&doc(
                r#","end_time":2,"subsegments":[{"id":"70de5b6f19ff9a0b","name":"s","start_time":1}]"#
            )),
            MISSING_PARAM
        );
        let big = doc(&format!(r#","end_time":2,"metadata":{{"x":"{}"}}"#, "a".repeat(70_000)));
        assert_eq!(code(&big), INVALID_SEGMENT);
        assert_eq!(
            code(&doc(r#","end_time":2"#).replace("svc", "bad*name")),
            INVALID_SEGMENT
        );
    }

    #[test]
    fn trace_and_segment_ids() {
        assert!(is_trace_id(T));
        assert!(!is_trace_id("1-58406520-a006649127e371903a2de97"));
        assert!(!is_trace_id("2-58406520-a006649127e371903a2de979"));
        assert!(is_segment_id("70de5b6f19ff9a0a"));
        assert!(!is_segment_id("70de5b6f19ff9a0"));
    }
}
