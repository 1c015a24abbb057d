//! §14: span links.

mod common;

use common::*;
use opentelemetry_proto::tonic::trace::v1::span::Link as OtlpLink;
use otel_xray_translate::{Budget, FailureReason, TranslateError};

const LINKED: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const LINKED_XRAY: &str = "1-4bf92f35-77b34da6a3ce929d0e0e4736";

#[test]
fn link_trace_id_span_id_and_attributes() {
    let d = one_both(
        &no_res(),
        span("op").link(
            LINKED,
            "00f067aa0ba902b7",
            vec![kv("reason", "fan-in"), kv("n", 3), kv("tags", arr(["a"]))],
        ),
    );
    assert_eq!(
        d["links"],
        json!([{"trace_id": LINKED_XRAY, "id": "00f067aa0ba902b7", "attributes": {"reason": "fan-in", "n": 3, "tags": ["a"]}}])
    );
}

#[test]
fn link_attributes_left_out_when_empty() {
    let d = one_both(&no_res(), span("op").link(LINKED, "00f067aa0ba902b7", vec![]));
    assert_eq!(d["links"], json!([{"trace_id": LINKED_XRAY, "id": "00f067aa0ba902b7"}]));
    assert!(d["links"][0].get("attributes").is_none_or(absent));
}

#[test]
fn link_attributes_raw_values_otlp_only() {
    let d = one(
        &no_res(),
        span("op").link(
            LINKED,
            "00f067aa0ba902b7",
            vec![
                kv("m", map([("k", V::from("v"))])),
                kv("b", V::Bytes(b"xyz".to_vec())),
                kv("d", 1.25),
            ],
        ),
    );
    assert_eq!(
        d["links"][0]["attributes"],
        json!({"m": {"k": "v"}, "b": "eHl6", "d": 1.25})
    );
}

#[test]
fn several_links_keep_their_order() {
    let d = one_both(
        &no_res(),
        span("op")
            .link(LINKED, "0000000000000001", vec![])
            .link(TRACE, "0000000000000002", vec![])
            .link(LINKED, "0000000000000003", vec![]),
    );
    let ids: Vec<&str> = d["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["0000000000000001", "0000000000000002", "0000000000000003"]);
    assert_eq!(d["links"][1]["trace_id"], TRACE_XRAY);
}

#[test]
fn trace_state_and_flags_are_ignored() {
    let mut req = request(&[(no_res(), vec![span("op")])]);
    req.resource_spans[0].scope_spans[0].spans[0].links.push(OtlpLink {
        trace_id: hex(LINKED),
        span_id: hex("00f067aa0ba902b7"),
        trace_state: "vendor=value".into(),
        flags: 0x301,
        dropped_attributes_count: 4,
        ..OtlpLink::default()
    });
    let out = run_request(&cfg(), &req, options(Budget::PutTraceSegments));
    assert_eq!(
        out.one()["links"],
        json!([{"trace_id": LINKED_XRAY, "id": "00f067aa0ba902b7"}])
    );
}

#[test]
fn links_on_segments_and_subsegments() {
    for s in [span("op"), span("op").server().child(), span("op").client().child()] {
        let d = one_both(&no_res(), s.link(LINKED, "00f067aa0ba902b7", vec![]));
        assert_eq!(d["links"][0]["id"], "00f067aa0ba902b7");
    }
}

#[test]
fn link_trace_id_of_wrong_length_fails_the_span() {
    for bad in [vec![], vec![1u8; 8], vec![1u8; 17]] {
        let out = run_otlp(
            &cfg(),
            &no_res(),
            &[span("op")
                .link(LINKED, "00f067aa0ba902b7", vec![])
                .link_bytes(&bad, &[2; 8])],
        );
        assert!(out.docs.is_empty(), "{bad:?}");
        assert_eq!(
            out.failures[0].reason,
            FailureReason::Span(TranslateError::InvalidLink { index: 1 })
        );
        assert_eq!(out.reasons(), vec!["invalid_link"]);
    }
}

#[test]
fn link_span_id_of_wrong_length_fails_the_span() {
    let out = run_otlp(&cfg(), &no_res(), &[span("op").link_bytes(&hex(LINKED), &[1; 4])]);
    assert!(out.docs.is_empty());
    assert_eq!(
        out.failures[0].reason,
        FailureReason::Span(TranslateError::InvalidLink { index: 0 })
    );
}

#[test]
fn link_ids_with_any_epoch_are_accepted_by_default() {
    let d = one_both(
        &no_res(),
        span("op").link("00000000000000000000000000000001", "0000000000000001", vec![]),
    );
    assert_eq!(d["links"][0]["trace_id"], "1-00000000-000000000000000000000001");
}
