//! Fault, error and throttle flags and the `cause` object (`translation.md` §8).

use std::borrow::Cow;

use otel_xray_model::{Cause, CauseDetails, Exception};

use crate::keys::*;
use crate::pipeline::{Consumed, IdSource};
use crate::stack::parse_stack;
use crate::view::{Attr, EventRef, SpanKind, StatusCode, Value, find};

/// The three flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    pub fault: bool,
    pub error: bool,
    pub throttle: bool,
}

/// Flags from the HTTP status code (`http.status_code`, else `http.response.status_code`) and the
/// span status.
pub(crate) fn flags(attrs: &[Attr<'_>], status: StatusCode) -> Flags {
    let code = find(attrs, HTTP_STATUS_CODE)
        .or_else(|| find(attrs, HTTP_RESPONSE_STATUS_CODE))
        .map(|v| v.as_int());
    match code {
        Some(c @ 400..=499) => Flags {
            fault: false,
            error: true,
            throttle: c == 429,
        },
        Some(500..=599) => Flags {
            fault: true,
            error: false,
            throttle: false,
        },
        _ => Flags {
            fault: status == StatusCode::Error,
            error: false,
            throttle: false,
        },
    }
}

/// Inputs of the cause step.
pub(crate) struct CauseInput<'s, 'a> {
    pub kind: SpanKind,
    pub status: StatusCode,
    pub status_message: &'a str,
    pub events: &'s [EventRef<'a>],
    pub is_aws_sdk: bool,
    pub language: &'a str,
}

/// The cause, and which events fed it (so the others can be kept in metadata).
pub(crate) struct CauseOutput<'a> {
    pub cause: Option<Cause<'a>>,
    /// `used[i]` is true when event `i` produced an exception.
    pub used: Vec<bool>,
}

fn is_cause_event(name: &str, is_aws_sdk: bool) -> bool {
    name == EXCEPTION_EVENT || (is_aws_sdk && name == HTTP_REQUEST_FAILURE_EVENT)
}

/// Builds the cause (§8.2). `http.status_text` is consumed only in the status-message branch.
pub(crate) fn make_cause<'a>(
    input: &CauseInput<'_, 'a>,
    attrs: &[Attr<'a>],
    consumed: &mut [Consumed],
    ids: &mut dyn IdSource,
) -> CauseOutput<'a> {
    let mut used = Vec::new();
    if input.events.iter().any(|e| is_cause_event(e.name, input.is_aws_sdk)) {
        used.resize(input.events.len(), false);
        let remote = matches!(input.kind, SpanKind::Client | SpanKind::Producer);
        let mut exceptions: Vec<Exception<'a>> = Vec::new();
        for (i, event) in input.events.iter().enumerate() {
            if event.name == EXCEPTION_EVENT {
                let kind = find(&event.attributes, EXCEPTION_TYPE).map_or("", |v| v.as_str());
                let message = find(&event.attributes, EXCEPTION_MESSAGE).map_or("", |v| v.as_str());
                let stack_text = find(&event.attributes, EXCEPTION_STACKTRACE).map_or("", |v| v.as_str());
                let parsed = parse_stack(input.language, stack_text);
                let first = exceptions.len();
                exceptions.push(Exception {
                    id: ids.next_id(),
                    message: Cow::Borrowed(message),
                    kind: Cow::Borrowed(kind),
                    remote: Some(remote),
                    truncated: None,
                    skipped: None,
                    cause: None,
                    stack: parsed.frames,
                });
                for chained in parsed.chained {
                    let id = ids.next_id();
                    if let Some(prev) = exceptions.last_mut() {
                        prev.cause = Some(id);
                    }
                    exceptions.push(Exception {
                        id,
                        message: chained.message,
                        kind: chained.kind,
                        remote: Some(remote),
                        truncated: None,
                        skipped: None,
                        cause: None,
                        stack: chained.stack,
                    });
                }
                debug_assert!(exceptions.len() > first);
                used[i] = true;
            } else if input.is_aws_sdk && event.name == HTTP_REQUEST_FAILURE_EVENT {
                let status = find(&event.attributes, HTTP_RESPONSE_STATUS_CODE);
                let error_message = find(&event.attributes, AWS_HTTP_ERROR_MESSAGE);
                let (Some(status), Some(error_message)) = (status, error_message) else {
                    continue;
                };
                let status = value_to_string(status);
                let secs = event.time_unix_nanos as f64 / 1e9;
                let message = format!("{status}@{secs:.6}@{}", value_to_string(error_message));
                exceptions.push(Exception {
                    id: ids.next_id(),
                    message: Cow::Owned(message),
                    kind: Cow::Borrowed("aws.http.error.event"),
                    remote: Some(true),
                    truncated: None,
                    skipped: None,
                    cause: None,
                    stack: Vec::new(),
                });
                used[i] = true;
            }
        }
        let cause = (!exceptions.is_empty()).then(|| {
            Cause::Details(CauseDetails {
                exceptions,
                ..CauseDetails::default()
            })
        });
        return CauseOutput { cause, used };
    }
    if input.status != StatusCode::Error {
        return CauseOutput { cause: None, used };
    }
    let mut message = input.status_message;
    for (i, a) in attrs.iter().enumerate() {
        if a.key == HTTP_STATUS_TEXT && consumed[i] == Consumed::Live {
            if message.is_empty() {
                message = a.value.as_str();
            }
            consumed[i] = Consumed::Structured;
        }
    }
    let cause = (!message.is_empty()).then(|| {
        Cause::Details(CauseDetails {
            exceptions: vec![Exception {
                id: ids.next_id(),
                message: Cow::Borrowed(message),
                kind: Cow::Borrowed(""),
                remote: None,
                truncated: None,
                skipped: None,
                cause: None,
                stack: Vec::new(),
            }],
            ..CauseDetails::default()
        })
    });
    CauseOutput { cause, used }
}

/// A value as text, the way the reference's `AsString` writes it.
pub(crate) fn value_to_string(v: Value<'_>) -> String {
    match v {
        Value::Str(s) => s.to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Empty => String::new(),
        other => serde_json::to_string(&crate::metadata::meta_value(other)).unwrap_or_default(),
    }
}
