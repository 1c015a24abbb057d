//! The real `XrayApiSink` (aws-sdk-xray, SigV4 with dummy credentials) and `deliver` against a
//! scripted X-Ray endpoint on 127.0.0.1 that answers `POST /TraceSegments` with throttling (429
//! `ThrottledException` with `Retry-After`), 5xx, a response slower than the client's timeout,
//! 400 `InvalidRequestException`, and 200 with `UnprocessedTraceSegments`.
//!
//! The endpoint records every call and the segment ids it accepted, so "no document that could
//! be delivered is lost, none is delivered twice" is counted at the receiving end. Only calls
//! answered 200 count as accepted: a call the client gave up on is treated as not processed.

mod support;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use otel_xray_transport::{
    CallError, CallFailure, DeliveryReport, DropReason, OutgoingDocument, RetryPolicy, XrayApiSink, deliver,
};
use rand::SeedableRng;
use support::docs;
use support::fake_xray::{Call, FakeXray, REQUEST_TIMEOUT, SLOW, Step};

/// No test may take longer than this, whatever the transport does.
const TEST_DEADLINE: Duration = Duration::from_secs(20);

/// A short budget: 10 ms first backoff, 6 attempts, 10 s.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(10),
    }
}

/// Three traces of realistic documents, `n` in all.
fn documents(seed: u64, n: usize) -> Vec<OutgoingDocument> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let per_trace = n.div_ceil(3);
    let mut out: Vec<OutgoingDocument> = ["checkout", "payments", "shipping"]
        .iter()
        .flat_map(|s| docs::trace(&mut rng, s, per_trace))
        .map(|s| docs::outgoing(&s))
        .collect();
    out.truncate(n);
    out
}

async fn deliver_bounded(sink: &XrayApiSink, documents: Vec<OutgoingDocument>, policy: &RetryPolicy) -> DeliveryReport {
    tokio::time::timeout(TEST_DEADLINE, deliver(sink, documents, policy))
        .await
        .expect("deliver finishes within the test deadline")
}

fn ids(documents: &[OutgoingDocument]) -> Vec<String> {
    documents.iter().map(|d| d.id.to_string()).collect()
}

fn exactly_once(ids: &[String]) -> BTreeMap<String, usize> {
    ids.iter().map(|id| (id.clone(), 1)).collect()
}

/// Every call is signed for X-Ray, uncompressed and holds at most 50 documents.
fn assert_well_formed(calls: &[Call]) {
    for call in calls {
        assert!(call.ids.len() <= 50, "{} documents in one call", call.ids.len());
        assert!(
            call.authorization.starts_with("AWS4-HMAC-SHA256 Credential=test/")
                && call.authorization.contains("/us-east-1/xray/aws4_request"),
            "signed for xray: {}",
            call.authorization
        );
        assert_eq!(call.content_encoding, None, "X-Ray takes plain bodies");
    }
}

fn retries_exhausted_with(report: &DeliveryReport) -> Vec<CallFailure> {
    report
        .dropped
        .iter()
        .map(|d| match &d.reason {
            DropReason::RetriesExhausted(CallError { failure, .. }) => failure.clone(),
            other => panic!("expected retries_exhausted, got {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn throttling_5xx_timeout_and_partial_rejection_lose_nothing_deliverable() {
    let docs = documents(1, 120);
    let all = ids(&docs);
    let (throttled, internal, invalid_trace, missing_parent) =
        (all[5].clone(), all[7].clone(), all[9].clone(), all[11].clone());
    let fake = FakeXray::start(
        vec![
            Step::Throttle(Some("0")),
            Step::InternalError,
            Step::Slow,
            Step::Unprocessed(vec![
                (throttled.clone(), "ThrottledException"),
                (internal.clone(), "InternalFailure"),
                (invalid_trace.clone(), "InvalidTraceId"),
                (missing_parent.clone(), "MissingParentId"),
                ("ffffffffffffffff".into(), "InvalidSegment"),
            ]),
        ],
        Step::Accept,
    )
    .await;
    let sink = fake.sink().await;

    let started = Instant::now();
    let report = deliver_bounded(&sink, docs.clone(), &policy()).await;

    // The first chunk: 429, 500, timeout, partial answer, then the two retryable ones alone.
    let calls = fake.calls();
    assert_well_formed(&calls);
    let sizes: Vec<usize> = calls.iter().map(|c| c.ids.len()).collect();
    assert_eq!(sizes, [50, 50, 50, 50, 2, 50, 20], "{report:?}");
    for call in &calls[..4] {
        assert_eq!(call.ids, all[..50], "a failed call is re-sent whole, in order");
    }
    assert_eq!(calls[4].ids, [throttled.clone(), internal.clone()]);
    assert!(
        started.elapsed() < SLOW,
        "the slow call was abandoned after the request timeout"
    );

    // At the endpoint: every deliverable document exactly once, the rejected ones never.
    let mut expected = exactly_once(&all);
    expected.remove(&invalid_trace);
    expected.remove(&missing_parent);
    assert_eq!(fake.accepted(), expected);

    // In the report: the same, with the permanent codes.
    assert_eq!(report.delivered, 118);
    assert_eq!(report.calls, 7);
    assert_eq!(report.retries, 4);
    let dropped: BTreeMap<String, String> = report
        .dropped
        .iter()
        .map(|d| (d.id.to_string(), d.reason.label()))
        .collect();
    assert_eq!(
        dropped,
        BTreeMap::from([
            (invalid_trace.clone(), "rejected:InvalidTraceId".to_owned()),
            (missing_parent.clone(), "rejected:MissingParentId".to_owned()),
        ])
    );
    let DropReason::Rejected { message, .. } = &report.dropped[0].reason else {
        unreachable!()
    };
    assert!(message.ends_with(&format!("for {}", report.dropped[0].id)), "{message}");
    assert_eq!(report.unattributed.len(), 1);
    assert_eq!(report.unattributed[0].id.as_deref(), Some("ffffffffffffffff"));
    assert_eq!(report.unattributed[0].error_code.as_deref(), Some("InvalidSegment"));
}

#[tokio::test]
async fn invalid_request_is_not_retried_and_other_chunks_still_go() {
    let docs = documents(2, 60);
    let all = ids(&docs);
    let fake = FakeXray::start(vec![Step::Invalid], Step::Accept).await;
    let sink = fake.sink().await;

    let report = deliver_bounded(&sink, docs, &policy()).await;

    let calls = fake.calls();
    assert_well_formed(&calls);
    assert_eq!(calls.len(), 2, "one call per chunk, the 400 not repeated");
    assert_eq!(report.calls, 2);
    assert_eq!(report.retries, 0);
    assert_eq!(report.delivered, 10);
    assert_eq!(fake.accepted(), exactly_once(&all[50..]));
    assert_eq!(report.dropped.len(), 50);
    for (dropped, id) in report.dropped.iter().zip(&all[..50]) {
        assert_eq!(&dropped.id.to_string(), id);
        let DropReason::CallRejected(error) = &dropped.reason else {
            panic!("expected call_rejected, got {:?}", dropped.reason)
        };
        assert_eq!(error.failure, CallFailure::Status(400));
        assert!(error.message.contains("InvalidRequestException"), "{}", error.message);
        assert_eq!(dropped.reason.label(), "call_rejected");
    }
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    for (status, error_type) in [
        (403, "AccessDeniedException"),
        (404, "UnknownOperationException"),
        (413, "RequestEntityTooLarge"),
    ] {
        let docs = documents(3, 4);
        let fake = FakeXray::start(vec![Step::Error(status, error_type)], Step::Accept).await;
        let report = deliver_bounded(&fake.sink().await, docs, &policy()).await;
        assert_eq!(fake.calls().len(), 1, "{status} {error_type} is not retried");
        assert!(fake.accepted().is_empty());
        assert_eq!(report.dropped.len(), 4);
        for d in &report.dropped {
            assert!(
                matches!(&d.reason, DropReason::CallRejected(e) if e.failure == CallFailure::Status(status)),
                "{status}: {:?}",
                d.reason
            );
        }
    }
}

#[tokio::test]
async fn throttling_waits_for_retry_after() {
    let docs = documents(4, 3);
    let fake = FakeXray::start(vec![Step::Throttle(Some("1"))], Step::Accept).await;

    let report = deliver_bounded(&fake.sink().await, docs.clone(), &policy()).await;

    let calls = fake.calls();
    assert_eq!(calls.len(), 2);
    let gap = calls[1].at - calls[0].at;
    assert!(
        gap >= Duration::from_secs(1),
        "Retry-After: 1 was honoured, the retry came after {gap:?}"
    );
    assert!(gap < Duration::from_secs(3), "and not much later ({gap:?})");
    assert_eq!(report.delivered, 3);
    assert_eq!(report.retries, 1);
    assert_eq!(fake.accepted(), exactly_once(&ids(&docs)));
}

#[tokio::test]
async fn the_budget_ends_retries_of_every_retryable_failure() {
    let policy = RetryPolicy {
        max_attempts: 3,
        ..policy()
    };
    let cases = [
        (
            Step::Throttle(Some("0")),
            CallFailure::Throttled {
                retry_after: Some(Duration::ZERO),
            },
        ),
        (Step::Throttle(None), CallFailure::Throttled { retry_after: None }),
        (
            Step::Error(429, "TooManyRequestsException"),
            CallFailure::Throttled { retry_after: None },
        ),
        (Step::InternalError, CallFailure::Status(500)),
        (Step::UnavailableHtml, CallFailure::Status(503)),
        (Step::Error(502, "BadGateway"), CallFailure::Status(502)),
        (Step::Slow, CallFailure::Timeout),
    ];
    for (step, failure) in cases {
        let docs = documents(5, 4);
        let fake = FakeXray::start(Vec::new(), step.clone()).await;

        let report = deliver_bounded(&fake.sink().await, docs, &policy).await;

        assert_eq!(
            fake.calls().len(),
            3,
            "{step:?}: three attempts, then the budget is spent"
        );
        assert_eq!(report.calls, 3, "{step:?}");
        assert_eq!(report.retries, 2, "{step:?}");
        assert_eq!(report.delivered, 0, "{step:?}");
        assert!(fake.accepted().is_empty(), "{step:?}");
        assert_eq!(retries_exhausted_with(&report), vec![failure; 4], "{step:?}");
        assert_eq!(report.dropped[0].reason.label(), "retries_exhausted");
    }
}

#[tokio::test]
async fn the_time_budget_ends_retries() {
    let policy = RetryPolicy {
        max_attempts: 1_000,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        max_elapsed: Duration::from_millis(300),
    };
    let fake = FakeXray::start(Vec::new(), Step::InternalError).await;
    let sink = fake.sink().await;
    let started = Instant::now();

    let report = deliver_bounded(&sink, documents(6, 2), &policy).await;

    let elapsed = started.elapsed();
    // A retry is planned only when its wait also ends within the budget, so retrying stops at
    // most one backoff ceiling before `max_elapsed`.
    assert!(
        elapsed + policy.max_backoff >= policy.max_elapsed,
        "retried until the budget was spent: {elapsed:?}"
    );
    assert!(
        elapsed < policy.max_elapsed + REQUEST_TIMEOUT + Duration::from_secs(2),
        "no retry starts after max_elapsed: {elapsed:?}"
    );
    let calls = fake.calls().len();
    assert!((2..1_000).contains(&calls), "{calls} calls");
    assert_eq!(report.calls, calls);
    assert_eq!(retries_exhausted_with(&report), vec![CallFailure::Status(500); 2]);
}

#[tokio::test]
async fn retryable_unprocessed_entries_are_resent_until_the_budget_ends_then_reported_with_their_code() {
    let docs = documents(7, 5);
    let all = ids(&docs);
    let fake = FakeXray::start(
        Vec::new(),
        Step::Unprocessed(vec![(all[1].clone(), "ThrottledException")]),
    )
    .await;
    let policy = RetryPolicy {
        max_attempts: 3,
        ..policy()
    };

    let report = deliver_bounded(&fake.sink().await, docs, &policy).await;

    let calls = fake.calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].ids, all);
    assert_eq!(calls[1].ids, [all[1].clone()]);
    assert_eq!(calls[2].ids, [all[1].clone()]);
    let mut expected = exactly_once(&all);
    expected.remove(&all[1]);
    assert_eq!(fake.accepted(), expected);
    assert_eq!(report.delivered, 4);
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].id.to_string(), all[1]);
    assert_eq!(report.dropped[0].reason.label(), "rejected:ThrottledException");
}

#[tokio::test]
async fn connection_refused_is_retried_within_the_budget() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = support::moto::sdk_config_for(&format!("http://127.0.0.1:{port}")).await;
    let sink = XrayApiSink::from_sdk_config(&config, REQUEST_TIMEOUT);
    let policy = RetryPolicy {
        max_attempts: 3,
        ..policy()
    };

    let report = deliver_bounded(&sink, documents(8, 2), &policy).await;

    assert_eq!(report.calls, 3);
    assert_eq!(retries_exhausted_with(&report), vec![CallFailure::Connection; 2]);
}

#[tokio::test]
async fn a_long_retry_after_does_not_outlast_the_budget() {
    // X-Ray (or a proxy) may ask for a long wait; the retry budget is the caller's bound.
    // Today `RetryPolicy::backoff` returns `max(jitter, Retry-After)` uncapped and
    // `deliver_chunk` sleeps it, so one `Retry-After: 3600` parks the chunk for an hour (and
    // the exporter's export and shutdown with it).
    let policy = RetryPolicy {
        max_elapsed: Duration::from_secs(1),
        ..policy()
    };
    let fake = FakeXray::start(vec![Step::Throttle(Some("3600"))], Step::Accept).await;
    let sink = fake.sink().await;
    let started = Instant::now();

    let report = tokio::time::timeout(Duration::from_secs(3), deliver(&sink, documents(9, 2), &policy)).await;

    let report = report.unwrap_or_else(|_| {
        panic!(
            "deliver still waiting after {:?} for Retry-After: 3600 with max_elapsed 1 s",
            started.elapsed()
        )
    });
    assert_eq!(report.delivered + report.dropped.len(), 2);
}

#[tokio::test]
async fn throttling_exception_with_status_400_is_retried() {
    // `CallFailure::Throttled` is documented as "HTTP 429 or a ThrottledException /
    // ThrottlingException"; AWS front ends answer throttling as HTTP 400 `ThrottlingException`.
    // `api::call_error` only checks `is_throttled_exception()` (the modeled error) or status
    // 429, so this becomes `Status(400)`: permanent, and the documents are dropped.
    let fake = FakeXray::start(vec![Step::Error(400, "ThrottlingException")], Step::Accept).await;
    let docs = documents(10, 2);

    let report = deliver_bounded(&fake.sink().await, docs.clone(), &policy()).await;

    assert_eq!(fake.calls().len(), 2, "{report:?}");
    assert_eq!(fake.accepted(), exactly_once(&ids(&docs)));
}

#[tokio::test]
async fn modeled_throttled_exception_with_status_400_is_retried() {
    let fake = FakeXray::start(vec![Step::Error(400, "ThrottledException")], Step::Accept).await;
    let docs = documents(11, 2);

    let report = deliver_bounded(&fake.sink().await, docs.clone(), &policy()).await;

    assert_eq!(fake.calls().len(), 2, "{report:?}");
    assert_eq!(fake.accepted(), exactly_once(&ids(&docs)));
}
