//! The retry loop against a scripted sink: throttling, 5xx, permanent 4xx, partial rejections,
//! unattributed entries and chunking. Time is paused, so backoff costs nothing and the tests are
//! deterministic.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use otel_xray_model::{SegmentId, TraceId};
use otel_xray_transport::{
    CallError, CallFailure, DropReason, OutgoingDocument, RetryPolicy, SegmentSink, Unprocessed, deliver,
};

/// What the scripted sink answers to the next call.
enum Answer {
    Ok,
    Unprocessed(Vec<(&'static str, &'static str)>),
    UnprocessedForeign,
    Fail(CallFailure),
}

struct Scripted {
    answers: Mutex<VecDeque<Answer>>,
    calls: Mutex<Vec<Vec<String>>>,
}

impl Scripted {
    fn new(answers: Vec<Answer>) -> Self {
        Self {
            answers: Mutex::new(answers.into()),
            calls: Mutex::new(Vec::new()),
        }
    }
    fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap().clone()
    }
}

fn id_of(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

impl SegmentSink for Scripted {
    async fn put(&self, documents: &[OutgoingDocument]) -> Result<Vec<Unprocessed>, CallError> {
        let ids: Vec<String> = documents.iter().map(|d| id_of(&d.json)).collect();
        self.calls.lock().unwrap().push(ids.clone());
        let answer = self.answers.lock().unwrap().pop_front().unwrap_or(Answer::Ok);
        match answer {
            Answer::Ok => Ok(vec![]),
            Answer::Unprocessed(list) => Ok(list
                .into_iter()
                .map(|(id, code)| Unprocessed {
                    id: Some(id.to_owned()),
                    error_code: Some(code.to_owned()),
                    message: Some(format!("{code} for {id}")),
                })
                .collect()),
            Answer::UnprocessedForeign => Ok(vec![Unprocessed {
                id: Some("ffffffffffffffff".into()),
                error_code: Some("InvalidSegment".into()),
                message: None,
            }]),
            Answer::Fail(failure) => Err(CallError {
                failure,
                message: "scripted failure".into(),
            }),
        }
    }
}

fn docs(n: u8) -> Vec<OutgoingDocument> {
    (1..=n)
        .map(|i| {
            let id = SegmentId([0, 0, 0, 0, 0, 0, 0, i]);
            OutgoingDocument {
                trace_id: TraceId([1; 16]),
                id,
                json: format!(r#"{{"id":"{id}","name":"s{i}"}}"#),
            }
        })
        .collect()
}

fn hex(i: u8) -> String {
    SegmentId([0, 0, 0, 0, 0, 0, 0, i]).to_string()
}

#[tokio::test(start_paused = true)]
async fn throttled_calls_are_retried_until_accepted() {
    let sink = Scripted::new(vec![
        Answer::Fail(CallFailure::Throttled { retry_after: None }),
        Answer::Fail(CallFailure::Status(503)),
        Answer::Fail(CallFailure::Timeout),
        Answer::Ok,
    ]);
    let report = deliver(&sink, docs(3), &RetryPolicy::default()).await;
    assert_eq!(report.delivered, 3);
    assert!(report.is_complete());
    assert_eq!(report.calls, 4);
    assert_eq!(report.retries, 3);
    assert!(sink.calls().iter().all(|c| c.len() == 3), "whole call re-sent");
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried() {
    let sink = Scripted::new(vec![Answer::Fail(CallFailure::Status(400))]);
    let report = deliver(&sink, docs(2), &RetryPolicy::default()).await;
    assert_eq!(report.delivered, 0);
    assert_eq!(report.calls, 1);
    assert_eq!(report.dropped.len(), 2);
    assert!(matches!(report.dropped[0].reason, DropReason::CallRejected(_)));
}

#[tokio::test(start_paused = true)]
async fn retry_budget_is_bounded() {
    let sink = Scripted::new((0..100).map(|_| Answer::Fail(CallFailure::Status(500))).collect());
    let policy = RetryPolicy {
        max_attempts: 4,
        ..RetryPolicy::default()
    };
    let report = deliver(&sink, docs(2), &policy).await;
    assert_eq!(report.calls, 4);
    assert_eq!(report.dropped.len(), 2);
    assert!(matches!(report.dropped[0].reason, DropReason::RetriesExhausted(_)));
    assert_eq!(report.dropped[0].reason.label(), "retries_exhausted");
}

#[tokio::test(start_paused = true)]
async fn server_retry_after_is_waited() {
    let sink = Scripted::new(vec![Answer::Fail(CallFailure::Throttled {
        retry_after: Some(Duration::from_secs(7)),
    })]);
    let start = tokio::time::Instant::now();
    let report = deliver(&sink, docs(1), &RetryPolicy::default()).await;
    assert_eq!(report.delivered, 1);
    assert!(start.elapsed() >= Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn only_retryable_unprocessed_documents_are_resent() {
    let sink = Scripted::new(vec![
        Answer::Unprocessed(vec![
            (leak(hex(2)), "ThrottledException"),
            (leak(hex(3)), "InvalidTraceId"),
            (leak(hex(4)), "InternalFailure"),
        ]),
        Answer::Ok,
    ]);
    let report = deliver(&sink, docs(5), &RetryPolicy::default()).await;
    let calls = sink.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1], vec![hex(2), hex(4)], "only the retryable documents, in order");
    assert_eq!(report.delivered, 4, "every deliverable document arrives exactly once");
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].id.to_string(), hex(3));
    assert_eq!(report.dropped[0].reason.label(), "rejected:InvalidTraceId");
}

#[tokio::test(start_paused = true)]
async fn unprocessed_retries_end_with_the_budget() {
    let sink = Scripted::new(
        (0..10)
            .map(|_| Answer::Unprocessed(vec![(leak(hex(1)), "ThrottledException")]))
            .collect(),
    );
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let report = deliver(&sink, docs(2), &policy).await;
    assert_eq!(sink.calls().len(), 3);
    assert_eq!(report.delivered, 1);
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].reason.label(), "rejected:ThrottledException");
}

#[tokio::test(start_paused = true)]
async fn unattributed_entries_are_reported() {
    let sink = Scripted::new(vec![Answer::UnprocessedForeign]);
    let report = deliver(&sink, docs(2), &RetryPolicy::default()).await;
    assert_eq!(report.delivered, 2);
    assert_eq!(report.unattributed.len(), 1);
    assert!(!report.is_complete());
}

#[tokio::test(start_paused = true)]
async fn chunks_of_fifty_are_independent() {
    // 120 documents: three calls of 50, 50 and 20; the second fails permanently.
    let sink = Scripted::new(vec![Answer::Ok, Answer::Fail(CallFailure::Status(413)), Answer::Ok]);
    let mut many = Vec::new();
    for i in 0..120u32 {
        let id = SegmentId((u64::from(i) + 1).to_be_bytes());
        many.push(OutgoingDocument {
            trace_id: TraceId([2; 16]),
            id,
            json: format!(r#"{{"id":"{id}"}}"#),
        });
    }
    let report = deliver(&sink, many, &RetryPolicy::default()).await;
    let sizes: Vec<usize> = sink.calls().iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![50, 50, 20]);
    assert_eq!(report.delivered, 70);
    assert_eq!(report.dropped.len(), 50);
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
