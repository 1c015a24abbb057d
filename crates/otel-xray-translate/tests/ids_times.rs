//! §5 ids and times, and Differs (f): the opt-in trace-id epoch check (span and link ids).

mod common;

use common::*;
use otel_xray_translate::{FailureReason, TranslateError, TranslatorConfig};

fn checked() -> TranslatorConfig {
    TranslatorConfig {
        validate_trace_id_timestamp: true,
        ..cfg()
    }
}

/// A trace id whose first four bytes are `epoch`.
fn trace_with_epoch(epoch: u32) -> String {
    format!("{epoch:08x}77b34da6a3ce929d0e0e4736")
}

#[test]
fn trace_id_example_of_the_spec() {
    let d = one_both(&no_res(), span("op").trace_hex("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(d["trace_id"], "1-4bf92f35-77b34da6a3ce929d0e0e4736");
}

#[test]
fn ids_are_lowercase_hex() {
    let d = one_both(
        &no_res(),
        span("op")
            .trace_hex("ABCDEF0123456789ABCDEF0123456789")
            .id_hex("FEDCBA9876543210")
            .parent_hex("0A0B0C0D0E0F1A1B")
            .client(),
    );
    assert_eq!(d["trace_id"], "1-abcdef01-23456789abcdef0123456789");
    assert_eq!(d["trace_id"].as_str().map(str::len), Some(35));
    assert_eq!(d["id"], "fedcba9876543210");
    assert_eq!(d["parent_id"], "0a0b0c0d0e0f1a1b");
}

#[test]
fn parent_id_left_out_when_empty() {
    let d = one_both(&no_res(), span("op"));
    assert_absent(&d, &["parent_id"]);
    // An all-zero parent id is the empty id of OpenTelemetry.
    let d = one(&no_res(), span("op").client().parent_bytes(&[0; 8]));
    assert_absent(&d, &["parent_id", "type"]);
}

#[test]
fn by_default_any_16_byte_trace_id_is_converted() {
    // Differs (f): random W3C ids, zero high bits, far past and far future epochs.
    for t in [
        "00000000000000000000000000000000",
        "00000000000000000000000000000001",
        "0000000077b34da6a3ce929d0e0e4736",
        "ffffffff77b34da6a3ce929d0e0e4736",
        "5759e988bd862e3fe1be46a994272793",
    ] {
        let out = run_both(&cfg(), &no_res(), &[span("op").trace_hex(t)]);
        let expected = format!("1-{}-{}", &t[..8], &t[8..]);
        assert_eq!(out.one()["trace_id"], expected.as_str());
    }
}

#[test]
fn epoch_check_window_boundaries() {
    let now = NOW as u32;
    // 28 days back (2,419,200 s) and 5 minutes ahead (300 s) are accepted; one second more is not.
    for (epoch, ok) in [
        (now, true),
        (now - 2_419_200, true),
        (now - 2_419_201, false),
        (now + 300, true),
        (now + 301, false),
        (0, false),
        (u32::MAX, false),
    ] {
        let t = trace_with_epoch(epoch);
        let out = run_both(&checked(), &no_res(), &[span("op").trace_hex(&t)]);
        if ok {
            assert_eq!(out.docs.len(), 1, "epoch {epoch} must pass");
            assert!(out.failures.is_empty());
        } else {
            assert!(out.docs.is_empty(), "epoch {epoch} must fail");
            assert_eq!(out.reasons(), vec!["trace_id_out_of_window"]);
            let f = &out.failures[0];
            assert_eq!(
                f.reason,
                FailureReason::Span(TranslateError::TraceIdOutOfWindow { hex: t.clone() })
            );
            assert_eq!(f.reason.to_string(), format!("invalid xray traceid: {t}"));
        }
    }
}

#[test]
fn epoch_check_applies_to_link_trace_ids() {
    let old = trace_with_epoch(NOW as u32 - 3_000_000);
    let s = span("op").link(&old, "1111111111111111", vec![]);
    // Off by default: the link is converted.
    let out = run_both(&cfg(), &no_res(), std::slice::from_ref(&s));
    assert_eq!(
        out.one()["links"][0]["trace_id"],
        format!("1-{}-{}", &old[..8], &old[8..]).as_str()
    );
    // On: the whole span fails, with the link's id in the message.
    let out = run_both(&checked(), &no_res(), &[s]);
    assert!(out.docs.is_empty());
    assert_eq!(out.reasons(), vec!["trace_id_out_of_window"]);
    assert_eq!(
        out.failures[0].reason.to_string(),
        format!("invalid xray traceid: {old}")
    );
    // A future link beyond 5 minutes fails too; a valid link passes.
    let future = trace_with_epoch(NOW as u32 + 301);
    let out = run_otlp(
        &checked(),
        &no_res(),
        &[span("op").link(&future, "1111111111111111", vec![])],
    );
    assert_eq!(out.reasons(), vec!["trace_id_out_of_window"]);
    let fine = trace_with_epoch(NOW as u32 - 10);
    let out = run_otlp(
        &checked(),
        &no_res(),
        &[span("op").link(&fine, "1111111111111111", vec![])],
    );
    assert_eq!(out.docs.len(), 1);
}

#[test]
fn epoch_check_uses_the_batch_time() {
    let t = trace_with_epoch(1_000_000_000);
    let opts = otel_xray_translate::BatchOptions {
        now_unix_secs: 1_000_000_100,
        budget: otel_xray_translate::Budget::PutTraceSegments,
    };
    let out = run_otlp_groups(&checked(), &[(no_res(), vec![span("op").trace_hex(&t)])], opts);
    assert_eq!(out.docs.len(), 1);
    assert_eq!(out.docs[0]["trace_id"], "1-3b9aca00-77b34da6a3ce929d0e0e4736");
}

#[test]
fn times_are_unix_nanoseconds_over_1e9() {
    let start = 1_696_954_761_123_456_789u64;
    let end = 1_696_954_762_000_000_001u64;
    let d = one_both(&no_res(), span("op").times(start, end));
    assert_eq!(d["start_time"].as_f64(), Some(start as f64 / 1e9));
    assert_eq!(d["end_time"].as_f64(), Some(end as f64 / 1e9));
    // Roughly microsecond resolution.
    assert!((d["start_time"].as_f64().unwrap() - 1_696_954_761.123_457).abs() < 1e-6);
}

#[test]
fn end_before_start_is_not_checked() {
    let d = one_both(&no_res(), span("op").times(END_NS, START_NS));
    assert_eq!(d["start_time"].as_f64(), Some(END_NS as f64 / 1e9));
    assert_eq!(d["end_time"].as_f64(), Some(START_NS as f64 / 1e9));
}

#[test]
fn zero_times_are_written() {
    let d = one(&no_res(), span("op").times(0, 0));
    assert_eq!(d["start_time"].as_f64(), Some(0.0));
    assert_eq!(d["end_time"].as_f64(), Some(0.0));
}

#[test]
fn random_ids_are_16_hex_and_fresh() {
    let s = span("op")
        .client()
        .local_root()
        .event("exception", START_NS, vec![kv("exception.type", "E")])
        .event("exception", START_NS, vec![kv("exception.type", "F")]);
    let d = docs(&no_res(), s);
    let mut ids = vec![d[1]["id"].clone()];
    for doc in &d {
        for e in doc["cause"]["exceptions"].as_array().expect("exceptions") {
            ids.push(e["id"].clone());
        }
    }
    assert_eq!(ids.len(), 5);
    for id in &ids {
        assert!(is_hex16(id), "{id}");
        assert_ne!(id, "0000000000000000");
    }
    let mut unique = ids.clone();
    unique.sort_by_key(|v| v.to_string());
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "random ids must not repeat: {ids:?}");
}
