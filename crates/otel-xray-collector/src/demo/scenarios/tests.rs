//! The generator's traces: well-formed, connected, translatable, reproducible.

use std::collections::{BTreeMap, BTreeSet};

use opentelemetry_proto::tonic::trace::v1::Span;
use otel_xray_translate::{Translator, TranslatorConfig};
use serde_json::Value;

use super::*;
use crate::translate_cmd::write_documents;
use crate::xray_udp::validate_document;

const NOW: u64 = 1_795_337_283_000_000_000;

fn spans(trace: &DemoTrace) -> impl Iterator<Item = &Span> {
    trace
        .request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
}

fn generate(seed: u64, udp: bool, n: usize) -> Vec<DemoTrace> {
    let mut generator = Generator::new(seed, udp);
    (0..n)
        .map(|k| generator.next_trace(NOW + k as u64 * 300_000_000))
        .collect()
}

/// Every id a UDP document (and its embedded subsegments) carries.
fn document_ids(doc: &Value, out: &mut BTreeSet<Vec<u8>>) {
    if let Some(id) = doc["id"].as_str().and_then(|h| u64::from_str_radix(h, 16).ok()) {
        out.insert(id.to_be_bytes().to_vec());
    }
    for sub in doc["subsegments"].as_array().into_iter().flatten() {
        document_ids(sub, out);
    }
}

#[test]
fn the_tour_shows_every_scenario_in_twelve_traces() {
    let traces = generate(7, true, 12);
    let seen: BTreeSet<Scenario> = traces.iter().map(|t| t.scenario).collect();
    assert_eq!(seen, Scenario::ALL.into_iter().collect());
    let traces = generate(7, false, 12);
    assert!(
        traces
            .iter()
            .all(|t| t.scenario != Scenario::Legacy && t.documents.is_empty())
    );
}

#[test]
fn traces_are_well_formed_and_connected() {
    for trace in generate(3, true, 300) {
        let spans: Vec<&Span> = spans(&trace).collect();
        assert_eq!(spans.len(), trace.spans);
        let first = &spans[0].trace_id;
        let epoch = u32::from_be_bytes(first[..4].try_into().unwrap());
        assert!((u64::from(epoch) as i64 - (NOW / 1_000_000_000) as i64).abs() < 1_000);
        let mut ids: BTreeSet<Vec<u8>> = spans.iter().map(|s| s.span_id.clone()).collect();
        assert_eq!(ids.len(), spans.len(), "span ids are unique");
        for doc in &trace.documents {
            validate_document(doc.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {doc}"));
            let doc: Value = serde_json::from_str(doc).unwrap();
            assert_eq!(doc["trace_id"].as_str(), Some(trace.trace_id.as_str()));
            document_ids(&doc, &mut ids);
        }
        for span in &spans {
            assert_eq!(&span.trace_id, first);
            assert!(span.end_time_unix_nano >= span.start_time_unix_nano, "{}", span.name);
            assert!(
                span.end_time_unix_nano <= NOW + 300_000_000 * 300,
                "ends before it is sent"
            );
            if !span.parent_span_id.is_empty() {
                assert!(ids.contains(&span.parent_span_id), "orphan span {}", span.name);
            }
        }
    }
}

#[test]
fn every_span_translates_and_names_the_expected_nodes() {
    let translator = Translator::new(TranslatorConfig::default());
    let mut names = BTreeSet::new();
    for trace in generate(5, true, 200) {
        let (mut out, mut diag) = (Vec::new(), Vec::new());
        let summary = write_documents(&translator, &trace.request, NOW / 1_000_000_000, &mut out, &mut diag).unwrap();
        assert_eq!(summary.failures, 0, "{}", String::from_utf8_lossy(&diag));
        assert_eq!(summary.documents, trace.spans);
        for line in String::from_utf8(out).unwrap().lines() {
            let doc: Value = serde_json::from_str(line).unwrap();
            names.insert(doc["name"].as_str().unwrap().to_owned());
        }
    }
    let expected: BTreeSet<String> = [
        "orders-api",
        "validate_order",
        "DynamoDB",
        "SQS",
        "order-worker",
        "order-events process",
        "payments.example.com",
        "dashboard",
        "analytics@dashboard-db.cluster-c9x2kq7ab1zt.eu-west-1.rds.amazonaws.com",
    ]
    .map(String::from)
    .into();
    assert_eq!(names, expected);
}

#[test]
fn one_seed_gives_one_workload_with_fresh_ids() {
    let shape = |t: &DemoTrace| {
        let spans: Vec<_> = spans(t)
            .map(|s| {
                (
                    s.name.clone(),
                    s.end_time_unix_nano - s.start_time_unix_nano,
                    s.attributes.len(),
                )
            })
            .collect();
        (t.scenario, spans, t.documents.len())
    };
    let (a, b) = (generate(42, true, 40), generate(42, true, 40));
    assert_eq!(
        a.iter().map(shape).collect::<Vec<_>>(),
        b.iter().map(shape).collect::<Vec<_>>()
    );
    assert!(
        a.iter().zip(&b).all(|(x, y)| x.trace_id != y.trace_id),
        "ids are not from the seed"
    );
    let c = generate(43, true, 40);
    assert_ne!(
        a.iter().map(shape).collect::<Vec<_>>(),
        c.iter().map(shape).collect::<Vec<_>>()
    );
}

#[test]
fn outcomes_come_at_realistic_rates() {
    let traces = generate(9, true, 3_000);
    let mut per_scenario: BTreeMap<Scenario, usize> = BTreeMap::new();
    let mut payments = BTreeMap::<i64, usize>::new();
    let mut order_faults = 0;
    for trace in &traces[TOUR.len()..] {
        *per_scenario.entry(trace.scenario).or_default() += 1;
        for span in spans(trace) {
            let status = span
                .attributes
                .iter()
                .find(|kv| kv.key == "http.response.status_code")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(v) => Some(*v),
                    _ => None,
                });
            if span.name == "POST" {
                *payments.entry(status.unwrap_or(0)).or_default() += 1;
            }
            if span.name.starts_with("POST /orders") && status == Some(500) {
                order_faults += 1;
            }
        }
    }
    let n = (traces.len() - TOUR.len()) as f64;
    for scenario in Scenario::ALL {
        let share = per_scenario.get(&scenario).copied().unwrap_or(0) as f64 / n;
        assert!(share > 0.03, "{scenario:?}: {share}");
    }
    let calls = payments.values().sum::<usize>() as f64;
    let unavailable = payments.get(&503).copied().unwrap_or(0) as f64 / calls;
    assert!(
        (0.04..0.16).contains(&unavailable),
        "503 share {unavailable}: {payments:?}"
    );
    assert!(payments.get(&429).copied().unwrap_or(0) > 0, "{payments:?}");
    assert!(order_faults > 0 && (order_faults as f64) < n * 0.05, "{order_faults}");
}
