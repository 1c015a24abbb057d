//! §8: fault, error and throttle flags, and the `cause` object (exception events, AWS SDK
//! `HTTP request failure` events, the status-message branch).

mod common;

use common::*;

/// (fault, error, throttle)
type Flags = (bool, bool, bool);

fn flags(d: &Json) -> Flags {
    (
        d["fault"].as_bool().expect("fault"),
        d["error"].as_bool().expect("error"),
        d["throttle"].as_bool().expect("throttle"),
    )
}

fn exceptions(d: &Json) -> Vec<Json> {
    d["cause"]["exceptions"].as_array().cloned().unwrap_or_default()
}

// ------------------------------------------------------------------------------------------------
// §8.1 flags
// ------------------------------------------------------------------------------------------------

#[test]
fn flags_table() {
    // (code, span status) -> (fault, error, throttle)
    let cases: Vec<(Option<V>, St, Flags)> = vec![
        (None, St::Unset, (false, false, false)),
        (None, St::Ok, (false, false, false)),
        (None, St::Error("x".into()), (true, false, false)),
        (Some(V::from(200)), St::Error("x".into()), (true, false, false)),
        (Some(V::from(399)), St::Error("x".into()), (true, false, false)),
        (Some(V::from(399)), St::Unset, (false, false, false)),
        (Some(V::from(400)), St::Unset, (false, true, false)),
        (Some(V::from(404)), St::Error("x".into()), (false, true, false)),
        (Some(V::from(429)), St::Ok, (false, true, true)),
        (Some(V::from(499)), St::Error("x".into()), (false, true, false)),
        (Some(V::from(500)), St::Unset, (true, false, false)),
        (Some(V::from(503)), St::Ok, (true, false, false)),
        (Some(V::from(599)), St::Unset, (true, false, false)),
        (Some(V::from(600)), St::Error("x".into()), (true, false, false)),
        (Some(V::from(600)), St::Unset, (false, false, false)),
        // A string code reads as 0.
        (Some(V::from("503")), St::Unset, (false, false, false)),
        (Some(V::from("429")), St::Error("x".into()), (true, false, false)),
    ];
    for (code, status, expected) in cases {
        for key in ["http.status_code", "http.response.status_code"] {
            let mut s = span("op").server();
            s.status = status.clone();
            if let Some(c) = &code {
                s = s.attr(key, c.clone());
            }
            let d = one_both(&no_res(), s);
            assert_eq!(flags(&d), expected, "{key} = {code:?}, status {status:?}");
        }
    }
}

#[test]
fn http_status_code_is_preferred_over_the_v1_key() {
    let d = one_both(
        &no_res(),
        span("op")
            .attr("http.response.status_code", 503)
            .attr("http.status_code", 429),
    );
    assert_eq!(flags(&d), (false, true, true));
    let d = one_both(
        &no_res(),
        span("op")
            .attr("http.status_code", 404)
            .attr("http.response.status_code", 500),
    );
    assert_eq!(flags(&d), (false, true, false));
}

#[test]
fn flags_do_not_depend_on_the_cause() {
    // A 4xx with exception events: error, not fault.
    let d = one_both(
        &no_res(),
        span("op")
            .attr("http.status_code", 400)
            .event("exception", START_NS, vec![kv("exception.type", "BadRequest")])
            .error("bad"),
    );
    assert_eq!(flags(&d), (false, true, false));
    assert_eq!(exceptions(&d).len(), 1);
}

// ------------------------------------------------------------------------------------------------
// §8.2 branch 1: exception events
// ------------------------------------------------------------------------------------------------

#[test]
fn exception_event_gives_an_exception() {
    let d = one_both(
        &no_res(),
        span("op").server().event(
            "exception",
            START_NS + 5,
            vec![
                kv("exception.type", "java.lang.IllegalStateException"),
                kv("exception.message", "bad state"),
            ],
        ),
    );
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 1);
    assert!(is_hex16(&ex[0]["id"]));
    assert_eq!(ex[0]["type"], "java.lang.IllegalStateException");
    assert_eq!(ex[0]["message"], "bad state");
    assert_eq!(ex[0]["remote"], false);
    assert!(absent(&ex[0]["stack"]));
    assert!(absent(&ex[0]["cause"]));
    // Span status UNSET: a cause anyway, and no fault.
    assert_eq!(flags(&d), (false, false, false));
}

#[test]
fn exception_remote_iff_client_or_producer() {
    for kind in ALL_KINDS {
        let d = one(
            &no_res(),
            span("op")
                .kind(kind)
                .event("exception", START_NS, vec![kv("exception.type", "E")]),
        );
        let remote = matches!(kind, Kind::Client | Kind::Producer);
        assert_eq!(exceptions(&d)[0]["remote"], remote, "{kind:?}");
    }
}

#[test]
fn exception_with_missing_attributes_writes_empty_strings() {
    let d = one_both(&no_res(), span("op").event("exception", START_NS, vec![]));
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 1);
    // Written as "" (raw document, not normalised).
    assert_eq!(ex[0]["type"], "");
    assert_eq!(ex[0]["message"], "");
    assert!(is_hex16(&ex[0]["id"]));
}

#[test]
fn cause_produced_whatever_the_span_status() {
    for status in [St::Unset, St::Ok, St::Error("boom".into())] {
        let mut s = span("op").event(
            "exception",
            START_NS,
            vec![kv("exception.type", "E"), kv("exception.message", "from event")],
        );
        s.status = status.clone();
        let d = one_both(&no_res(), s);
        let ex = exceptions(&d);
        assert_eq!(ex.len(), 1, "{status:?}");
        // The event wins over the status message.
        assert_eq!(ex[0]["message"], "from event", "{status:?}");
    }
}

#[test]
fn several_exception_events_in_order() {
    let d = one_both(
        &no_res(),
        span("op")
            .event("exception", START_NS, vec![kv("exception.type", "First")])
            .event("log", START_NS + 1, vec![])
            .event("exception", START_NS + 2, vec![kv("exception.type", "Second")]),
    );
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0]["type"], "First");
    assert_eq!(ex[1]["type"], "Second");
    assert_ne!(ex[0]["id"], ex[1]["id"]);
    // Separate events are not chained.
    assert!(absent(&ex[0]["cause"]));
}

#[test]
fn empty_stack_text_gives_one_exception_without_stack() {
    let d = one_both(
        &res(vec![kv("telemetry.sdk.language", "java")]),
        span("op").event(
            "exception",
            START_NS,
            vec![kv("exception.type", "E"), kv("exception.stacktrace", "")],
        ),
    );
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 1);
    assert!(absent(&ex[0]["stack"]));
}

#[test]
fn http_status_text_goes_to_metadata_in_the_exception_branch() {
    let d = one_both(
        &no_res(),
        span("op")
            .attr("http.status_text", "Internal Server Error")
            .event("exception", START_NS, vec![kv("exception.type", "E")])
            .error("boom"),
    );
    assert_eq!(meta_default(&d)["http.status_text"], "Internal Server Error");
}

// ------------------------------------------------------------------------------------------------
// §8.2 branch 1: HTTP request failure on AWS SDK spans
// ------------------------------------------------------------------------------------------------

const FAILURE_NS: u64 = 1_696_954_761_000_001_000;

fn aws_sdk_span() -> SpanDesc {
    span("DynamoDB.PutItem").client().attr("rpc.system", "aws-api")
}

#[test]
fn http_request_failure_message_format() {
    let d = one_both(
        &no_res(),
        aws_sdk_span().event(
            "HTTP request failure",
            FAILURE_NS,
            vec![
                kv("http.response.status_code", 503),
                kv("aws.http.error_message", "service is temporarily unavailable"),
            ],
        ),
    );
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0]["type"], "aws.http.error.event");
    assert_eq!(ex[0]["remote"], true);
    assert_eq!(
        ex[0]["message"],
        "503@1696954761.000001@service is temporarily unavailable"
    );
    assert!(is_hex16(&ex[0]["id"]));
}

#[test]
fn http_request_failure_is_remote_whatever_the_kind() {
    let d = one(
        &no_res(),
        span("op").server().attr("rpc.system", "aws-api").event(
            "HTTP request failure",
            FAILURE_NS,
            vec![kv("http.response.status_code", 400), kv("aws.http.error_message", "x")],
        ),
    );
    assert_eq!(exceptions(&d)[0]["remote"], true);
}

#[test]
fn http_request_failure_time_has_exactly_six_decimals() {
    let d = one_both(
        &no_res(),
        aws_sdk_span().event(
            "HTTP request failure",
            1_700_000_000_000_000_000,
            vec![
                kv("http.response.status_code", 500),
                kv("aws.http.error_message", "boom"),
            ],
        ),
    );
    assert_eq!(exceptions(&d)[0]["message"], "500@1700000000.000000@boom");
}

#[test]
fn http_request_failure_with_string_status() {
    let d = one(
        &no_res(),
        aws_sdk_span().event(
            "HTTP request failure",
            FAILURE_NS,
            vec![
                kv("http.response.status_code", "429"),
                kv("aws.http.error_message", "slow down"),
            ],
        ),
    );
    assert_eq!(exceptions(&d)[0]["message"], "429@1696954761.000001@slow down");
}

#[test]
fn http_request_failure_needs_both_attributes() {
    for attrs in [
        vec![kv("http.response.status_code", 503)],
        vec![kv("aws.http.error_message", "x")],
        vec![],
    ] {
        let d = one_both(
            &no_res(),
            aws_sdk_span().event("HTTP request failure", FAILURE_NS, attrs.clone()),
        );
        // Every matching event skipped: an empty cause, absent under §1.
        assert!(absent(&d["cause"]), "{attrs:?}: {d:#}");
        // The skipped event is kept in metadata (Differs (c)).
        assert_eq!(
            meta_default(&d)["otel.events"][0]["name"],
            "HTTP request failure",
            "{attrs:?}"
        );
    }
}

#[test]
fn http_request_failure_on_non_aws_sdk_spans_is_an_ordinary_event() {
    let d = one_both(
        &no_res(),
        span("op").client().error("").event(
            "HTTP request failure",
            FAILURE_NS,
            vec![kv("http.response.status_code", 503), kv("aws.http.error_message", "x")],
        ),
    );
    // Not an exception event: the status-message branch runs, and the message is empty.
    assert!(absent(&d["cause"]), "{d:#}");
    assert_eq!(meta_default(&d)["otel.events"][0]["name"], "HTTP request failure");
}

#[test]
fn http_request_failure_and_exception_events_mix_in_order() {
    let d = one_both(
        &no_res(),
        aws_sdk_span()
            .event("exception", START_NS, vec![kv("exception.type", "SdkException")])
            .event(
                "HTTP request failure",
                FAILURE_NS,
                vec![
                    kv("http.response.status_code", 503),
                    kv("aws.http.error_message", "unavailable"),
                ],
            ),
    );
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0]["type"], "SdkException");
    assert_eq!(ex[1]["type"], "aws.http.error.event");
    assert!(!meta_default(&d).contains_key("otel.events"));
}

// ------------------------------------------------------------------------------------------------
// §8.2 branches 2 and 3: no exception events
// ------------------------------------------------------------------------------------------------

#[test]
fn no_cause_unless_error() {
    for status in [St::Unset, St::Ok] {
        let mut s = span("op").attr("http.status_text", "Gateway Timeout");
        s.status = status;
        let d = one_both(&no_res(), s);
        assert_absent(&d, &["cause"]);
    }
}

#[test]
fn error_status_message_gives_one_exception() {
    let d = one_both(&no_res(), span("op").client().error("connection refused"));
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0]["message"], "connection refused");
    assert_eq!(ex[0]["type"], "");
    assert!(is_hex16(&ex[0]["id"]));
    // `remote` is absent in this branch, even for a CLIENT.
    assert!(ex[0].get("remote").is_none_or(Json::is_null), "{:#}", ex[0]);
    assert_eq!(flags(&d), (true, false, false));
}

#[test]
fn empty_status_message_falls_back_to_http_status_text() {
    let d = one_both(&no_res(), span("op").error("").attr("http.status_text", "Bad Gateway"));
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0]["message"], "Bad Gateway");
    assert!(!appears_anywhere(&d, "http.status_text"));
}

#[test]
fn status_message_wins_over_http_status_text_which_is_still_consumed() {
    let d = one_both(
        &no_res(),
        span("op").error("explicit").attr("http.status_text", "Bad Gateway"),
    );
    assert_eq!(exceptions(&d)[0]["message"], "explicit");
    assert!(!appears_anywhere(&d, "http.status_text"));
}

#[test]
fn error_without_any_message_gives_no_cause() {
    let d = one_both(&no_res(), span("op").error(""));
    assert_absent(&d, &["cause"]);
    assert_eq!(flags(&d), (true, false, false));
    // A non-string http.status_text reads as empty and is consumed.
    let d = one_both(&no_res(), span("op").error("").attr("http.status_text", 502));
    assert_absent(&d, &["cause"]);
    assert!(!appears_anywhere(&d, "http.status_text"));
}

#[test]
fn other_events_do_not_make_a_cause() {
    let d = one_both(
        &no_res(),
        span("op").event("Exception", START_NS, vec![kv("exception.type", "E")]),
    );
    assert_absent(&d, &["cause"]);
    assert_eq!(meta_default(&d)["otel.events"][0]["name"], "Exception");
}

// ------------------------------------------------------------------------------------------------
// Chains (stack parser, §8.3): cause ids
// ------------------------------------------------------------------------------------------------

#[test]
fn chained_exceptions_point_to_the_next_one() {
    let stack = "java.lang.RuntimeException: outer\n\tat a.B.c(B.java:1)\nCaused by: java.io.IOException: inner\n\tat d.E.f(E.java:2)\nCaused by: java.net.SocketException: root\n\tat g.H.i(H.java:3)";
    let d = one_both(
        &res(vec![kv("telemetry.sdk.language", "java")]),
        span("op").client().event(
            "exception",
            START_NS,
            vec![
                kv("exception.type", "java.lang.RuntimeException"),
                kv("exception.message", "outer"),
                kv("exception.stacktrace", stack),
            ],
        ),
    );
    let ex = exceptions(&d);
    assert_eq!(ex.len(), 3, "{d:#}");
    assert_eq!(ex[0]["cause"], ex[1]["id"]);
    assert_eq!(ex[1]["cause"], ex[2]["id"]);
    assert!(absent(&ex[2]["cause"]));
    assert_eq!(ex[1]["type"], "java.io.IOException");
    assert_eq!(ex[1]["message"], "inner");
    assert_eq!(ex[2]["type"], "java.net.SocketException");
    // Chained exceptions inherit `remote`.
    for e in &ex {
        assert_eq!(e["remote"], true);
    }
}

#[test]
fn skipped_failure_event_still_selects_the_exception_branch() {
    // The exception-event branch applies because the event is present; every matching event is
    // skipped, so the cause is empty, the status message is not used, and http.status_text is
    // not consumed.
    let d = one_both(
        &no_res(),
        aws_sdk_span()
            .error("status message")
            .attr("http.status_text", "Service Unavailable")
            .event(
                "HTTP request failure",
                FAILURE_NS,
                vec![kv("aws.http.error_message", "x")],
            ),
    );
    assert_absent(&d, &["cause"]);
    assert_eq!(meta_default(&d)["http.status_text"], "Service Unavailable");
    assert_eq!(flags(&d), (true, false, false));
}
