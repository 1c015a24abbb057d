//! Differs (e): oversized documents are shrunk in a fixed order (each step stops as soon as the
//! document fits), counted as shrunk, and dropped with reason `too_large` when nothing helps.
//! Budgets: 65,536 bytes for PutTraceSegments, 65,477 for the daemon.

mod common;

use common::*;
use otel_xray_translate::{Budget, DocumentError, FailureReason, TranslatorConfig};

/// Translates with `budget` (OTLP form).
fn run_budget(config: &TranslatorConfig, r: &Res, spans: Vec<SpanDesc>, budget: Budget) -> Output {
    run_otlp_groups(config, &[(r.clone(), spans)], options(budget))
}

/// The size of the single document of `s` without any budget.
fn full_size(config: &TranslatorConfig, r: &Res, s: &SpanDesc) -> usize {
    let out = run_budget(config, r, vec![s.clone()], Budget::Bytes(usize::MAX));
    assert_eq!(out.docs.len(), 1);
    assert!(!out.infos[0].shrunk);
    out.raw[0].len()
}

/// Translates `s` with a budget `cut` bytes below its full size; returns the single document,
/// checking that it was shrunk and fits.
fn shrunk_by(config: &TranslatorConfig, r: &Res, s: SpanDesc, cut: usize) -> Json {
    let full = full_size(config, r, &s);
    let budget = full - cut;
    let out = run_budget(config, r, vec![s], Budget::Bytes(budget));
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(out.docs.len(), 1);
    assert!(out.infos[0].shrunk, "the document must be counted as shrunk");
    assert!(out.raw[0].len() <= budget, "{} > {budget}", out.raw[0].len());
    out.docs[0].clone()
}

fn sub() -> SpanDesc {
    span("op").client().child()
}

fn blob(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

// ------------------------------------------------------------------------------------------------
// Budgets
// ------------------------------------------------------------------------------------------------

#[test]
fn budgets_of_the_two_transports() {
    assert_eq!(Budget::PutTraceSegments.max_document_bytes(), 65_536);
    assert_eq!(Budget::DaemonUdp.max_document_bytes(), 65_477);
    assert_eq!(Budget::Bytes(1234).max_document_bytes(), 1234);
}

/// A subsegment whose document is exactly `target` bytes, padded with one metadata entry.
fn padded_to(target: usize) -> SpanDesc {
    let probe = sub().attr("pad", blob('x', 1000).as_str());
    let size = full_size(&cfg(), &no_res(), &probe);
    let s = sub().attr("pad", blob('x', 1000 + target - size).as_str());
    assert_eq!(full_size(&cfg(), &no_res(), &s), target);
    s
}

#[test]
fn document_at_the_budget_is_kept_whole_and_one_byte_more_is_shrunk() {
    for (budget, limit) in [(Budget::PutTraceSegments, 65_536), (Budget::DaemonUdp, 65_477)] {
        let out = run_budget(&cfg(), &no_res(), vec![padded_to(limit)], budget);
        assert_eq!(out.raw[0].len(), limit, "{budget:?}");
        assert!(!out.infos[0].shrunk, "{budget:?}");
        assert!(meta_default(&out.docs[0]).contains_key("pad"));

        let out = run_budget(&cfg(), &no_res(), vec![padded_to(limit + 1)], budget);
        assert!(out.infos[0].shrunk, "{budget:?}");
        assert!(out.raw[0].len() <= limit);
        assert!(!meta_default(&out.docs[0]).contains_key("pad"));
    }
}

#[test]
fn daemon_budget_is_smaller_than_the_api_budget() {
    let s = padded_to(65_500);
    let api = run_budget(&cfg(), &no_res(), vec![s.clone()], Budget::PutTraceSegments);
    assert!(!api.infos[0].shrunk);
    let daemon = run_budget(&cfg(), &no_res(), vec![s], Budget::DaemonUdp);
    assert!(daemon.infos[0].shrunk);
}

#[test]
fn small_documents_are_not_marked_shrunk() {
    let out = run_otlp(&cfg(), &no_res(), &[span("op").attr("x", 1)]);
    assert!(!out.infos[0].shrunk);
}

// ------------------------------------------------------------------------------------------------
// Step 1: span events, last first
// ------------------------------------------------------------------------------------------------

fn with_events() -> SpanDesc {
    sub()
        .attr("keep", "k")
        .event("e1", START_NS + 1, vec![kv("blob", blob('a', 1000).as_str())])
        .event("e2", START_NS + 2, vec![kv("blob", blob('b', 1000).as_str())])
        .event("e3", START_NS + 3, vec![kv("blob", blob('c', 1000).as_str())])
}

fn event_names(d: &Json) -> Vec<String> {
    meta_default(d)
        .get("otel.events")
        .and_then(Json::as_array)
        .map(|a| a.iter().map(|e| e["name"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn step1_removes_events_last_first() {
    let d = shrunk_by(&cfg(), &no_res(), with_events(), 500);
    assert_eq!(event_names(&d), ["e1", "e2"]);
    assert_eq!(meta_default(&d)["keep"], "k");
    let d = shrunk_by(&cfg(), &no_res(), with_events(), 1500);
    assert_eq!(event_names(&d), ["e1"]);
}

#[test]
fn step1_removes_the_key_when_the_list_is_empty() {
    let d = shrunk_by(&cfg(), &no_res(), with_events(), 2500);
    assert!(!meta_default(&d).contains_key("otel.events"), "{d:#}");
    // Step 1 was enough: other metadata stays.
    assert_eq!(meta_default(&d)["keep"], "k");
}

#[test]
fn step1_comes_before_resource_metadata() {
    let r = res(vec![kv("big.res", blob('r', 2000).as_str())]);
    let s = span("op").event("e1", START_NS, vec![kv("blob", blob('e', 2000).as_str())]);
    let d = shrunk_by(&cfg(), &r, s, 1000);
    assert!(!meta_default(&d).contains_key("otel.events"));
    assert_eq!(meta_default(&d)["otel.resource.big.res"], blob('r', 2000).as_str());
}

// ------------------------------------------------------------------------------------------------
// Step 2: otel.resource.* entries
// ------------------------------------------------------------------------------------------------

#[test]
fn step2_removes_resource_metadata_before_other_metadata() {
    let r = res(vec![
        kv("big.res", blob('r', 2000).as_str()),
        kv("cloud.platform", "aws_ec2"),
        kv("host.id", "i-1"),
        kv("service.version", "3"),
    ]);
    // The span's own entry is larger, yet the resource entries go first.
    let s = span("op").server().attr("span.meta", blob('s', 3000).as_str());
    let d = shrunk_by(&cfg(), &r, s, 1000);
    let m = meta_default(&d);
    assert!(m.keys().all(|k| !k.starts_with("otel.resource.")), "{m:?}");
    assert_eq!(m["span.meta"], blob('s', 3000).as_str());
    // Resource-derived fields are never changed.
    assert_eq!(d["origin"], "AWS::EC2::Instance");
    assert_eq!(d["aws"]["ec2"]["instance_id"], "i-1");
    assert_eq!(d["service"]["version"], "3");
}

// ------------------------------------------------------------------------------------------------
// Step 3: remaining metadata, largest encoded value first
// ------------------------------------------------------------------------------------------------

fn with_metadata() -> SpanDesc {
    sub()
        .attr("a", blob('a', 3000).as_str())
        .attr("b", blob('b', 2000).as_str())
        .attr("c", blob('c', 100).as_str())
        .attr(
            "aws.xray.metadata.custom",
            format!(r#"{{"z":"{}"}}"#, blob('z', 2500)).as_str(),
        )
}

#[test]
fn step3_removes_the_largest_value_first() {
    let d = shrunk_by(&cfg(), &no_res(), with_metadata(), 1000);
    let m = meta_default(&d);
    assert!(!m.contains_key("a"));
    assert!(m.contains_key("b") && m.contains_key("c"));
    assert_eq!(d["metadata"]["custom"]["z"], blob('z', 2500).as_str());
}

#[test]
fn step3_crosses_namespaces_and_drops_emptied_ones() {
    let d = shrunk_by(&cfg(), &no_res(), with_metadata(), 4000);
    let m = meta_default(&d);
    assert!(!m.contains_key("a"));
    assert!(m.contains_key("b") && m.contains_key("c"), "{m:?}");
    assert!(
        d["metadata"].get("custom").is_none(),
        "an emptied namespace is dropped: {d:#}"
    );
}

#[test]
fn step3_ties_break_by_namespace_then_key() {
    // Same encoded value size in namespaces `alpha` and `default`: `alpha` goes first.
    let s = sub().attr("k", blob('y', 1000).as_str()).attr(
        "aws.xray.metadata.alpha",
        format!(r#"{{"k":"{}"}}"#, blob('x', 1000)).as_str(),
    );
    let d = shrunk_by(&cfg(), &no_res(), s, 500);
    assert!(d["metadata"].get("alpha").is_none(), "{d:#}");
    assert_eq!(meta_default(&d)["k"], blob('y', 1000).as_str());
    // Same size in one namespace: the smaller key goes first.
    let s = sub()
        .attr("b", blob('b', 1000).as_str())
        .attr("a", blob('a', 1000).as_str());
    let d = shrunk_by(&cfg(), &no_res(), s, 500);
    let m = meta_default(&d);
    assert!(!m.contains_key("a"));
    assert!(m.contains_key("b"));
}

#[test]
fn user_attribute_named_otel_events_is_ordinary_metadata_for_shrinking() {
    // The span attribute `otel.events` took precedence, so no span-event entries were written
    // (§13, Differs (c)); step 1 has nothing to remove and step 3 removes the largest entry,
    // `big`, leaving the attribute's value untouched.
    let s = sub()
        .attr("otel.events", arr([blob('x', 10), blob('y', 2000)]))
        .attr("big", blob('z', 3000).as_str())
        .event("ignored", START_NS, vec![]);
    let d = shrunk_by(&cfg(), &no_res(), s, 1000);
    let m = meta_default(&d);
    let kept = m["otel.events"].as_array().map(Vec::len);
    assert_eq!(
        kept,
        Some(2),
        "the attribute's list lost elements; keys left: {:?}",
        m.keys()
    );
    assert_eq!(m["otel.events"][1].as_str().map(str::len), Some(2000));
    assert!(
        !m.contains_key("big"),
        "step 3 must remove `big`; keys left: {:?}",
        m.keys()
    );
}

// ------------------------------------------------------------------------------------------------
// Step 4: stack traces
// ------------------------------------------------------------------------------------------------

fn java_stack(frames: usize) -> String {
    let mut s = String::from("java.lang.RuntimeException: boom");
    for i in 0..frames {
        s.push_str(&format!("\n\tat com.example.Clazz.m{i:04}(Clazz.java:{})", 1000 + i));
    }
    s
}

fn with_stack(events: usize) -> SpanDesc {
    let mut s = sub().attr("note", "x");
    for _ in 0..events {
        s = s.event(
            "exception",
            START_NS,
            vec![
                kv("exception.type", "java.lang.RuntimeException"),
                kv("exception.stacktrace", java_stack(100)),
            ],
        );
    }
    s
}

fn java_res() -> Res {
    res(vec![kv("telemetry.sdk.language", "java")])
}

/// Encoded size of one frame plus its comma.
fn frame_len() -> usize {
    let d = one(&java_res(), with_stack(1));
    serde_json::to_string(&d["cause"]["exceptions"][0]["stack"][0])
        .expect("json")
        .len()
        + 1
}

#[test]
fn step4_cuts_stacks_to_64_then_32_frames() {
    let l = frame_len();
    let d = shrunk_by(&cfg(), &java_res(), with_stack(1), 20 * l);
    // Metadata went first (step 3).
    assert_absent(&d, &["metadata"]);
    let e = &d["cause"]["exceptions"][0];
    assert_eq!(e["stack"].as_array().map(Vec::len), Some(64));
    assert_eq!(e["truncated"], 36);
    // The first frames are kept.
    assert_eq!(e["stack"][0]["label"], "com.example.Clazz.m0000");
    assert_eq!(e["stack"][63]["label"], "com.example.Clazz.m0063");

    let d = shrunk_by(&cfg(), &java_res(), with_stack(1), 50 * l);
    let e = &d["cause"]["exceptions"][0];
    assert_eq!(e["stack"].as_array().map(Vec::len), Some(32));
    assert_eq!(e["truncated"], 68);
}

#[test]
fn step4_cuts_every_exception() {
    let l = frame_len();
    let d = shrunk_by(&cfg(), &java_res(), with_stack(2), 40 * l);
    for e in d["cause"]["exceptions"].as_array().expect("exceptions") {
        assert_eq!(e["stack"].as_array().map(Vec::len), Some(64));
        assert_eq!(e["truncated"], 36);
    }
}

#[test]
fn step4_can_remove_every_frame() {
    // Everything but the frames is small: only N = 0 fits.
    let s = with_stack(1);
    let full = full_size(&cfg(), &java_res(), &s);
    let l = frame_len();
    let d = shrunk_by(&cfg(), &java_res(), s, full - (full - 100 * l) - 40);
    let e = &d["cause"]["exceptions"][0];
    assert!(absent(&e["stack"]), "{e:#}");
    assert_eq!(e["truncated"], 100);
    assert_eq!(e["type"], "java.lang.RuntimeException");
}

// ------------------------------------------------------------------------------------------------
// Step 5: annotations, largest first
// ------------------------------------------------------------------------------------------------

fn annotated() -> (TranslatorConfig, SpanDesc) {
    let config = TranslatorConfig {
        indexed_attributes: vec!["a".into(), "b".into(), "c".into()],
        ..cfg()
    };
    let s = sub()
        .attr("a", blob('a', 2000).as_str())
        .attr("b", blob('b', 500).as_str())
        .attr("c", "small")
        .attr("note", "x");
    (config, s)
}

#[test]
fn step5_removes_the_largest_annotation_first() {
    let (config, s) = annotated();
    let d = shrunk_by(&config, &no_res(), s.clone(), 1000);
    assert_absent(&d, &["metadata"]);
    let a = annotations(&d);
    assert!(!a.contains_key("a"));
    assert_eq!(a["b"], blob('b', 500).as_str());
    assert_eq!(a["c"], "small");
    let d = shrunk_by(&config, &no_res(), s, 2300);
    let a = annotations(&d);
    assert!(!a.contains_key("a") && !a.contains_key("b"));
    assert_eq!(a["c"], "small");
}

// ------------------------------------------------------------------------------------------------
// Step 6: links
// ------------------------------------------------------------------------------------------------

fn linked() -> SpanDesc {
    sub()
        .link(TRACE, "0000000000000001", vec![kv("x", blob('1', 500).as_str())])
        .link(TRACE, "0000000000000002", vec![kv("x", blob('2', 500).as_str())])
        .link(TRACE, "0000000000000003", vec![kv("x", blob('3', 500).as_str())])
}

fn link_ids(d: &Json) -> Vec<String> {
    d["links"]
        .as_array()
        .map(|a| a.iter().map(|l| l["id"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn step6_removes_link_attributes_last_link_first() {
    let d = shrunk_by(&cfg(), &no_res(), linked(), 300);
    let links = d["links"].as_array().expect("links");
    assert_eq!(links.len(), 3);
    assert_eq!(links[0]["attributes"]["x"], blob('1', 500).as_str());
    assert_eq!(links[1]["attributes"]["x"], blob('2', 500).as_str());
    assert!(links[2].get("attributes").is_none_or(absent), "{:#}", links[2]);
}

#[test]
fn step6_then_removes_links_last_first() {
    let s = linked();
    // Removing all three attributes objects is not enough; one whole link more is.
    let full = one(&no_res(), s.clone());
    let attrs_bytes: usize = full["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| {
            let mut bare = l.clone();
            bare.as_object_mut().expect("link").remove("attributes");
            serde_json::to_string(l).expect("json").len() - serde_json::to_string(&bare).expect("json").len()
        })
        .sum();
    let d = shrunk_by(&cfg(), &no_res(), s, attrs_bytes + 20);
    assert_eq!(link_ids(&d), ["0000000000000001", "0000000000000002"]);
    for l in d["links"].as_array().expect("links") {
        assert!(l.get("attributes").is_none_or(absent));
    }
}

#[test]
fn step6_comes_after_annotations() {
    let config = TranslatorConfig {
        indexed_attributes: vec!["tag".into()],
        ..cfg()
    };
    let s = linked().attr("tag", "t");
    let d = shrunk_by(&config, &no_res(), s, 300);
    assert_absent(&d, &["annotations"]);
    assert_eq!(d["links"][0]["attributes"]["x"], blob('1', 500).as_str());
}

// ------------------------------------------------------------------------------------------------
// Step 7: long strings cut to 1,024 bytes
// ------------------------------------------------------------------------------------------------

#[test]
fn step7_cuts_long_strings_and_nothing_else() {
    let url = format!("https://example.com/{}", blob('u', 5000));
    let agent = blob('g', 3000);
    let query = format!("SELECT {}", blob('q', 4000));
    let span_name = blob('n', 2000);
    let message = blob('m', 3000);
    let method = blob('M', 1500);
    let s = span(&span_name)
        .client()
        .child()
        .attr("peer.service", "db")
        .attr("http.method", method.as_str())
        .attr("http.url", url.as_str())
        .attr("http.user_agent", agent.as_str())
        .attr("http.client_ip", "203.0.113.1")
        .attr("http.status_code", 503)
        .attr("db.system", "mysql")
        .attr("db.statement", query.as_str())
        .attr("db.user", "u")
        .attr("enduser.id", "alice")
        .error(&message);
    let r = res(vec![kv("service.version", "7"), kv("cloud.platform", "aws_ec2")]);
    let excess: usize = [url.len(), agent.len(), query.len(), span_name.len(), message.len()]
        .iter()
        .map(|n| n - 1024)
        .sum();
    let before = one(&r, s.clone());
    let d = shrunk_by(&cfg(), &r, s, excess - 5);
    assert_eq!(d["http"]["request"]["url"], &url[..1024]);
    assert_eq!(d["http"]["request"]["user_agent"], &agent[..1024]);
    assert_eq!(d["sql"]["sanitized_query"], &query[..1024]);
    assert_eq!(d["sql"]["url"], &span_name[..1024]);
    assert_eq!(d["cause"]["exceptions"][0]["message"], &message[..1024]);
    // Never changed by shrinking.
    for f in [
        "name",
        "id",
        "trace_id",
        "parent_id",
        "type",
        "namespace",
        "start_time",
        "end_time",
        "fault",
        "error",
        "throttle",
        "origin",
        "user",
        "service",
        "aws",
    ] {
        assert_eq!(d[f], before[f], "{f}");
    }
    assert_eq!(d["http"]["request"]["method"], method.as_str());
    assert_eq!(d["http"]["request"]["client_ip"], "203.0.113.1");
    assert_eq!(d["http"]["response"], before["http"]["response"]);
    assert_eq!(d["sql"]["connection_string"], before["sql"]["connection_string"]);
    assert_eq!(d["sql"]["user"], "u");
    assert_eq!(
        d["cause"]["exceptions"][0]["id"],
        before["cause"]["exceptions"][0]["id"]
    );
}

#[test]
fn step7_cuts_at_a_character_boundary() {
    // 1 ASCII byte then 2-byte characters: byte 1024 falls inside a character.
    let message = format!("a{}", "\u{e9}".repeat(1500));
    let s = sub().error(&message);
    let d = shrunk_by(&cfg(), &no_res(), s, message.len() - 1100);
    let got = d["cause"]["exceptions"][0]["message"].as_str().expect("message");
    assert_eq!(got.len(), 1023);
    assert_eq!(got, &message[..1023]);
}

// ------------------------------------------------------------------------------------------------
// Step 8: drop
// ------------------------------------------------------------------------------------------------

#[test]
fn step8_drops_what_cannot_fit() {
    let out = run_budget(&cfg(), &no_res(), vec![span("op")], Budget::Bytes(100));
    assert!(out.docs.is_empty());
    assert_eq!(out.reasons(), vec!["too_large"]);
    let f = &out.failures[0];
    assert_eq!(f.span_id.map(|i| i.to_string()).as_deref(), Some(SPAN));
    assert_eq!(f.trace_id.map(|t| t.to_string()).as_deref(), Some(TRACE_XRAY));
    match &f.reason {
        FailureReason::Document(DocumentError::TooLarge { budget, size, id, .. }) => {
            assert_eq!(*budget, 100);
            assert!(*size > 100);
            assert_eq!(id.to_string(), SPAN);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn step8_fields_never_changed_can_make_a_document_too_large() {
    // http.request.method is not named in steps 1-7.
    let huge = span("op")
        .server()
        .attr("http.method", blob('M', 70_000).as_str())
        .id_hex("00000000000000aa");
    let fine = span("op").server().id_hex("00000000000000bb");
    let out = run_budget(&cfg(), &no_res(), vec![huge, fine], Budget::PutTraceSegments);
    assert_eq!(out.docs.len(), 1);
    assert_eq!(out.docs[0]["id"], "00000000000000bb");
    assert_eq!(out.reasons(), vec!["too_large"]);
    assert_eq!(
        out.failures[0].span_id.map(|i| i.to_string()).as_deref(),
        Some("00000000000000aa")
    );
}

#[test]
fn shrinking_is_the_same_for_sdk_spans() {
    let s = with_events().attr("big", blob('z', 3000).as_str());
    let budget = Budget::Bytes(full_size(&cfg(), &no_res(), &s) - 2500);
    let otlp = run_budget(&cfg(), &no_res(), vec![s.clone()], budget);
    let sdk = run_sdk_with(&cfg(), &no_res(), &[s], options(budget));
    assert_same_docs(&otlp.docs, &sdk.docs, "OTLP form", "SDK form");
    assert!(otlp.infos[0].shrunk && sdk.infos[0].shrunk);
    // All three events went (step 1) before `big` (step 3).
    assert!(!meta_default(&otlp.docs[0]).contains_key("otel.events"));
    assert!(meta_default(&otlp.docs[0]).contains_key("big"));
}
