//! Packing writes `precursor_ids` on embedded subsegments (xray-protocol.md §1.4: "ids of sibling
//! subsegments that completed before this one"), bounded per subsegment and per document, and
//! never on independent documents (translation.md §2.2).

mod common;

use common::*;
use otel_xray_model::encode::encode_into;
use otel_xray_model::{Segment, SegmentId, SegmentType, TraceId};
use otel_xray_translate::pack::{
    MAX_PRECURSOR_BYTES_PER_DOCUMENT, MAX_PRECURSORS_PER_DOCUMENT, MAX_PRECURSORS_PER_SUBSEGMENT, Packed, pack, unpack,
};
use otel_xray_translate::{Budget, DocumentBatch, Translator};
use rand::SeedableRng;
use rand::rngs::StdRng;

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

fn sid(n: u16) -> SegmentId {
    let [a, b] = n.to_be_bytes();
    SegmentId([0x10, 0, 0, 0, 0, 0, a, b])
}

/// The root segment (id 0), from 0 to 1000 s.
fn root() -> Segment<'static> {
    Segment::new("root", sid(0), TraceId([7; 16]), 0.0, 1000.0)
}

/// An independent subsegment `id` under `parent`, from `start` to `end`.
fn sub(id: u16, parent: u16, start: f64, end: f64) -> Segment<'static> {
    let mut s = Segment::new(format!("s{id}"), sid(id), TraceId([7; 16]), start, end);
    s.parent_id = Some(sid(parent));
    s.kind = Some(SegmentType::Subsegment);
    s
}

/// Packs `docs` and returns the single tree.
fn one_tree(docs: Vec<Segment<'static>>) -> Packed<'static> {
    let mut packed = pack(docs);
    assert_eq!(packed.len(), 1, "one tree expected");
    packed.remove(0)
}

/// The embedded subsegment with id `id`, at any depth.
fn find<'s>(seg: &'s Segment<'static>, id: u16) -> &'s Segment<'static> {
    fn go<'s>(seg: &'s Segment<'static>, id: SegmentId) -> Option<&'s Segment<'static>> {
        if seg.id == id {
            return Some(seg);
        }
        seg.subsegments.iter().find_map(|s| go(s, id))
    }
    go(seg, sid(id)).expect("subsegment in the tree")
}

fn precursors(tree: &Packed<'static>, id: u16) -> Vec<SegmentId> {
    find(&tree.root, id).precursor_ids.clone()
}

fn ids(ns: &[u16]) -> Vec<SegmentId> {
    ns.iter().map(|&n| sid(n)).collect()
}

fn encoded_len(seg: &Segment<'_>) -> usize {
    let mut buf = Vec::new();
    encode_into(seg, &mut buf).expect("encodes")
}

// ------------------------------------------------------------------------------------------------
// The rule
// ------------------------------------------------------------------------------------------------

#[test]
fn sequential_calls_list_the_siblings_that_ended_before_they_started() {
    // 1 → 2 → 3, one after the other; 2 starts exactly when 1 ends.
    let tree = one_tree(vec![
        root(),
        sub(3, 0, 2.5, 3.0),
        sub(1, 0, 0.0, 1.0),
        sub(2, 0, 1.0, 2.0),
    ]);
    assert_eq!(tree.embedded, 3);
    assert_eq!(precursors(&tree, 1), ids(&[]));
    assert_eq!(precursors(&tree, 2), ids(&[1]), "ending at the same instant counts");
    assert_eq!(precursors(&tree, 3), ids(&[1, 2]), "in the order they ended");
    assert!(tree.root.precursor_ids.is_empty(), "the root never has precursors");
}

#[test]
fn parallel_calls_are_not_precursors_of_each_other() {
    // 1 runs first; 2, 3 and 4 run in parallel after it; 5 runs after all of them.
    let tree = one_tree(vec![
        root(),
        sub(1, 0, 0.0, 1.0),
        sub(2, 0, 1.5, 3.0),
        sub(3, 0, 1.5, 2.0),
        sub(4, 0, 1.6, 2.5),
        sub(5, 0, 3.0, 4.0),
    ]);
    for id in [2, 3, 4] {
        assert_eq!(precursors(&tree, id), ids(&[1]), "s{id}");
    }
    // Ended in the order 1 (1.0), 3 (2.0), 4 (2.5), 2 (3.0).
    assert_eq!(precursors(&tree, 5), ids(&[1, 3, 4, 2]));
}

#[test]
fn a_call_still_running_when_a_sibling_started_is_not_its_precursor() {
    // 2 starts while 1 runs and ends after it; 3 starts after 1 ended but while 2 runs.
    let tree = one_tree(vec![
        root(),
        sub(1, 0, 0.0, 2.0),
        sub(2, 0, 1.0, 5.0),
        sub(3, 0, 3.0, 4.0),
    ]);
    assert_eq!(precursors(&tree, 2), ids(&[]));
    assert_eq!(precursors(&tree, 3), ids(&[1]));
}

#[test]
fn precursors_are_siblings_only_at_every_depth() {
    // 0 ─┬─ 1 (0..10) ─┬─ 11 (1..2)
    //    │             └─ 12 (3..4)
    //    └─ 2 (20..30) ─── 21 (21..22)
    let tree = one_tree(vec![
        root(),
        sub(1, 0, 0.0, 10.0),
        sub(11, 1, 1.0, 2.0),
        sub(12, 1, 3.0, 4.0),
        sub(2, 0, 20.0, 30.0),
        sub(21, 2, 21.0, 22.0),
    ]);
    assert_eq!(tree.embedded, 5);
    assert_eq!(precursors(&tree, 2), ids(&[1]));
    assert_eq!(precursors(&tree, 12), ids(&[11]), "siblings under a subsegment too");
    assert_eq!(
        precursors(&tree, 21),
        ids(&[]),
        "11 and 12 ended earlier but are not siblings of 21"
    );
    assert_eq!(precursors(&tree, 11), ids(&[]));
}

#[test]
fn zero_length_siblings_at_one_instant_never_name_each_other() {
    // Three instantaneous subsegments at t = 5, then one that ends at 5 but started earlier.
    let tree = one_tree(vec![
        root(),
        sub(1, 0, 5.0, 5.0),
        sub(2, 0, 5.0, 5.0),
        sub(3, 0, 5.0, 5.0),
        sub(4, 0, 4.0, 5.0),
    ]);
    // Sibling order: 4 (starts at 4), then 1, 2, 3 (batch order for the tie).
    let order: Vec<SegmentId> = tree.root.subsegments.iter().map(|s| s.id).collect();
    assert_eq!(order, ids(&[4, 1, 2, 3]));
    assert_eq!(precursors(&tree, 4), ids(&[]));
    assert_eq!(precursors(&tree, 1), ids(&[4]));
    assert_eq!(precursors(&tree, 2), ids(&[4, 1]));
    assert_eq!(precursors(&tree, 3), ids(&[4, 1, 2]));
}

#[test]
fn a_sibling_without_an_end_time_is_never_a_precursor() {
    let mut open = sub(1, 0, 0.0, 1.0);
    open.end_time = None;
    open.in_progress = true;
    let tree = one_tree(vec![root(), open, sub(2, 0, 0.5, 1.0), sub(3, 0, 2.0, 3.0)]);
    assert_eq!(precursors(&tree, 3), ids(&[2]));
}

#[test]
fn precursor_ids_the_translator_left_are_replaced() {
    let mut stale = sub(2, 0, 0.0, 1.0);
    stale.precursor_ids = ids(&[99]);
    let tree = one_tree(vec![root(), stale]);
    assert_eq!(precursors(&tree, 2), ids(&[]));
}

// ------------------------------------------------------------------------------------------------
// Bounds
// ------------------------------------------------------------------------------------------------

/// `n` calls one after the other, call `i` (1-based) from `i` to `i + 0.5` seconds.
fn sequential(n: u16) -> Vec<Segment<'static>> {
    let mut docs = vec![root()];
    for i in 1..=n {
        docs.push(sub(i, 0, f64::from(i), f64::from(i) + 0.5));
    }
    docs
}

#[test]
fn a_subsegment_lists_at_most_its_latest_precursors() {
    let tree = one_tree(sequential(12));
    assert_eq!(MAX_PRECURSORS_PER_SUBSEGMENT, 8);
    assert_eq!(precursors(&tree, 8), ids(&[1, 2, 3, 4, 5, 6, 7]));
    assert_eq!(precursors(&tree, 9), ids(&[1, 2, 3, 4, 5, 6, 7, 8]));
    assert_eq!(
        precursors(&tree, 12),
        ids(&[4, 5, 6, 7, 8, 9, 10, 11]),
        "the ones that ended last, the call just before at the end"
    );
    assert_eq!(tree.precursor_count(), 28 + 4 * 8);
}

#[test]
fn a_document_carries_at_most_the_per_document_number_cut_evenly() {
    // 40 sequential calls want 0+1+…+7 + 32×8 = 284 ids; the largest common length that fits 128
    // is 3 (0+1+2 + 37×3 = 114).
    let tree = one_tree(sequential(40));
    assert_eq!(MAX_PRECURSORS_PER_DOCUMENT, 128);
    assert_eq!(tree.precursor_count(), 114);
    assert_eq!(precursors(&tree, 2), ids(&[1]));
    assert_eq!(precursors(&tree, 3), ids(&[1, 2]));
    assert_eq!(precursors(&tree, 4), ids(&[1, 2, 3]));
    assert_eq!(precursors(&tree, 40), ids(&[37, 38, 39]));
}

#[test]
fn a_huge_fan_of_calls_carries_no_precursor_ids() {
    // 300 sequential calls: even one id each would be 299 > 128.
    let tree = one_tree(sequential(300));
    assert_eq!(tree.embedded, 300);
    assert_eq!(tree.precursor_count(), 0);
}

#[test]
fn precursor_ids_cost_at_most_the_documented_bytes() {
    for n in [2, 9, 12, 17, 20, 40, 129, 300] {
        let mut tree = one_tree(sequential(n));
        let with = encoded_len(&tree.root);
        tree.clear_precursors();
        assert_eq!(tree.precursor_count(), 0);
        let without = encoded_len(&tree.root);
        assert!(
            with - without <= MAX_PRECURSOR_BYTES_PER_DOCUMENT,
            "{n} calls: {} bytes of precursor ids",
            with - without
        );
    }
    // The bound is tight enough to matter: under 8 % of a PutTraceSegments document.
    const { assert!(MAX_PRECURSOR_BYTES_PER_DOCUMENT * 100 < 65_536 * 8) };
}

// ------------------------------------------------------------------------------------------------
// Independent documents
// ------------------------------------------------------------------------------------------------

#[test]
fn unpacking_removes_every_precursor_id() {
    let original = sequential(5);
    let tree = one_tree(original.clone());
    assert!(tree.precursor_count() > 0);
    let mut flat = unpack(tree);
    assert!(flat.iter().all(|s| s.precursor_ids.is_empty()));
    flat.sort_by_key(|s| s.id);
    let mut expected = original;
    expected.sort_by_key(|s| s.id);
    assert_eq!(flat, expected, "the flat output is what translation produced");
}

#[test]
fn documents_that_stay_independent_get_no_precursor_ids() {
    // Two subsegments whose parent is not in the batch: nothing is embedded.
    let packed = pack(vec![sub(1, 9, 0.0, 1.0), sub(2, 9, 2.0, 3.0)]);
    assert_eq!(packed.len(), 2);
    assert!(
        packed
            .iter()
            .all(|p| p.embedded == 0 && p.root.precursor_ids.is_empty())
    );
}

// ------------------------------------------------------------------------------------------------
// Through the translator
// ------------------------------------------------------------------------------------------------

const ROOT_ID: &str = "aaaaaaaaaaaaaaa0";

fn call(id: &str, name: &str, start_ms: u64, end_ms: u64) -> SpanDesc {
    span(name)
        .client()
        .id_hex(id)
        .parent_hex(ROOT_ID)
        .times(START_NS + start_ms * 1_000_000, START_NS + end_ms * 1_000_000)
        .attr("peer.service", name)
}

/// A request that calls `auth`, then `stock` and `price` in parallel, then `save`.
fn request_spans() -> Vec<SpanDesc> {
    vec![
        call("aaaaaaaaaaaaaaa1", "auth", 10, 100),
        call("aaaaaaaaaaaaaaa2", "stock", 120, 300),
        call("aaaaaaaaaaaaaaa3", "price", 130, 250),
        call("aaaaaaaaaaaaaaa4", "save", 310, 400),
        span("GET /order")
            .server()
            .id_hex(ROOT_ID)
            .times(START_NS, START_NS + 500_000_000),
    ]
}

fn run_packed(spans: &[SpanDesc], budget: Budget) -> Vec<Json> {
    let translator = Translator::new(cfg());
    let resource = res(vec![kv("service.name", "shop")]).to_sdk().expect("resource");
    let sdk: Vec<_> = spans.iter().map(|s| s.to_sdk().expect("sdk span")).collect();
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut batch = DocumentBatch::new();
    translator.translate_sdk_packed_with_ids(&sdk, &resource, options(budget), &mut rng, &mut batch);
    assert!(batch.failures().is_empty(), "{:?}", batch.failures());
    batch
        .documents()
        .map(|(_, bytes)| serde_json::from_slice(bytes).expect("JSON"))
        .collect()
}

#[test]
fn a_packed_request_has_precursor_ids_on_its_embedded_calls() {
    let docs = run_packed(&request_spans(), Budget::PutTraceSegments);
    assert_eq!(docs.len(), 1);
    let root = &docs[0];
    assert!(root.get("precursor_ids").is_none());
    let subs = root["subsegments"].as_array().expect("embedded calls");
    let by_name = |n: &str| {
        subs.iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {root:#}"))
    };
    assert!(by_name("auth").get("precursor_ids").is_none());
    assert_eq!(by_name("stock")["precursor_ids"], json!(["aaaaaaaaaaaaaaa1"]));
    assert_eq!(by_name("price")["precursor_ids"], json!(["aaaaaaaaaaaaaaa1"]));
    assert_eq!(
        by_name("save")["precursor_ids"],
        json!(["aaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaa3", "aaaaaaaaaaaaaaa2"]),
        "auth, then price (ended at 250 ms), then stock (300 ms)"
    );
}

#[test]
fn a_request_sent_flat_for_lack_of_room_has_no_precursor_ids() {
    // A budget the packed document cannot meet but each flat document can.
    let flat = run_packed(&request_spans(), Budget::Bytes(1_200));
    assert_eq!(flat.len(), 5, "{flat:#?}");
    for doc in &flat {
        assert_never_written(doc);
    }
}

#[test]
fn a_tree_that_fits_only_without_precursor_ids_is_sent_packed_without_them() {
    let full = run_packed(&request_spans(), Budget::PutTraceSegments);
    assert_eq!(full.len(), 1);
    let with_ids = serde_json::to_vec(&full[0]).expect("encode").len();
    // One byte short of the tree with its precursor ids: the ids go, the embedding stays.
    let docs = run_packed(&request_spans(), Budget::Bytes(with_ids - 1));
    assert_eq!(docs.len(), 1, "still one packed document: {docs:#?}");
    let subs = docs[0]["subsegments"].as_array().expect("embedded calls");
    assert_eq!(subs.len(), full[0]["subsegments"].as_array().unwrap().len());
    assert!(subs.iter().all(|s| s.get("precursor_ids").is_none()), "{docs:#?}");
}
