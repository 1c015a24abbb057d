//! The wire decoder (`Translator::translate_otlp_bytes`) against prost: for every input, either
//! both reject it, or both accept it and the translation gives exactly the same documents and
//! failures. Every OTLP test of the other files also checks this on its request (see
//! `common::assert_wire_same`); here are the encodings prost never writes (split and repeated
//! messages, unknown fields of every wire type, fields out of order), the errors, and property
//! tests over arbitrary and mutated bytes.

mod common;

use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otel_xray_translate::{Budget, DocumentBatch, Translator, WireError};
use proptest::prelude::*;
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};
use rand::SeedableRng;
use rand::rngs::StdRng;

// ------------------------------------------------------------------------------------------------
// Checking one input both ways
// ------------------------------------------------------------------------------------------------

/// What translating `bytes` both ways gave.
#[derive(Debug, PartialEq)]
enum Both {
    /// Both rejected; the wire decoder's error.
    Rejected(WireError),
    /// Both accepted; documents and failures (identical).
    Accepted {
        docs: Vec<String>,
        failures: usize,
        spans: usize,
    },
}

/// Translates `bytes` with prost + `translate_resource_spans_with_ids` and with the wire decoder,
/// and asserts that they agree.
fn both(bytes: &[u8]) -> Both {
    let translator = Translator::new(cfg());
    let opts = options(Budget::PutTraceSegments);
    let mut wire = DocumentBatch::new();
    let wire_result =
        translator.translate_otlp_bytes_with_ids(bytes, opts, &mut StdRng::seed_from_u64(SEED), &mut wire);
    match ExportTraceServiceRequest::decode(bytes) {
        Err(prost_error) => match wire_result {
            Err(e) => Both::Rejected(e),
            Ok(()) => panic!("prost rejects ({prost_error}) but the wire decoder accepts {bytes:02x?}"),
        },
        Ok(request) => {
            if let Err(e) = wire_result {
                panic!("prost accepts but the wire decoder rejects ({e}): {bytes:02x?}");
            }
            let mut prost = DocumentBatch::new();
            translator.translate_resource_spans_with_ids(
                &request.resource_spans,
                opts,
                &mut StdRng::seed_from_u64(SEED),
                &mut prost,
            );
            assert_eq!(wire.spans(), prost.spans(), "span counts");
            assert_eq!(wire.failures(), prost.failures(), "failures");
            let docs: Vec<String> = wire
                .documents()
                .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
                .collect();
            let prost_docs: Vec<String> = prost
                .documents()
                .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
                .collect();
            assert_eq!(docs, prost_docs, "documents");
            assert!(wire.documents().map(|(i, _)| i).eq(prost.documents().map(|(i, _)| i)));
            assert_eq!(otel_xray_translate::wire::count_spans(bytes), Ok(prost.spans()));
            Both::Accepted {
                docs,
                failures: wire.failures().len(),
                spans: wire.spans(),
            }
        }
    }
}

fn accepted(bytes: &[u8]) -> Vec<Json> {
    match both(bytes) {
        Both::Accepted { docs, .. } => docs.iter().map(|d| serde_json::from_str(d).unwrap()).collect(),
        Both::Rejected(e) => panic!("rejected: {e}"),
    }
}

fn rejected(bytes: &[u8]) -> WireError {
    match both(bytes) {
        Both::Rejected(e) => e,
        other => panic!("accepted: {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------------
// Writing protobuf by hand
// ------------------------------------------------------------------------------------------------

/// A message being written field by field.
#[derive(Default, Clone)]
struct W(Vec<u8>);

impl W {
    fn new() -> Self {
        Self::default()
    }
    fn bytes(mut self, tag: u32, b: &[u8]) -> Self {
        encode_key(tag, WireType::LengthDelimited, &mut self.0);
        encode_varint(b.len() as u64, &mut self.0);
        self.0.extend_from_slice(b);
        self
    }
    fn str(self, tag: u32, s: &str) -> Self {
        self.bytes(tag, s.as_bytes())
    }
    fn msg(self, tag: u32, m: W) -> Self {
        self.bytes(tag, &m.0)
    }
    fn varint(mut self, tag: u32, v: u64) -> Self {
        encode_key(tag, WireType::Varint, &mut self.0);
        encode_varint(v, &mut self.0);
        self
    }
    fn fixed64(mut self, tag: u32, v: u64) -> Self {
        encode_key(tag, WireType::SixtyFourBit, &mut self.0);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn fixed32(mut self, tag: u32, v: u32) -> Self {
        encode_key(tag, WireType::ThirtyTwoBit, &mut self.0);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn group(mut self, tag: u32, inner: W) -> Self {
        encode_key(tag, WireType::StartGroup, &mut self.0);
        self.0.extend_from_slice(&inner.0);
        encode_key(tag, WireType::EndGroup, &mut self.0);
        self
    }
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    /// Unknown fields of every wire type, a nested group included.
    fn unknown(self) -> Self {
        self.varint(1000, 7)
            .fixed64(1001, 9)
            .fixed32(1002, 3)
            .str(1003, "ignored")
            .group(1004, W::new().varint(1, 1).group(2, W::new().str(3, "deep")))
    }
}

fn s(v: &str) -> W {
    W::new().str(1, v)
}
fn i(v: i64) -> W {
    W::new().varint(3, v as u64)
}
fn kvw(key: &str, value: W) -> W {
    W::new().str(1, key).msg(2, value)
}
fn array(items: Vec<W>) -> W {
    let mut body = W::new();
    for item in items {
        body = body.msg(1, item);
    }
    W::new().msg(5, body)
}
fn kvlist(items: Vec<W>) -> W {
    let mut body = W::new();
    for item in items {
        body = body.msg(1, item);
    }
    W::new().msg(6, body)
}

/// A server span with valid ids and times; `extra` fields are appended.
fn span_w(extra: W) -> W {
    W::new()
        .bytes(1, &hex(TRACE))
        .bytes(2, &hex(SPAN))
        .str(5, "GET /orders")
        .varint(6, 2)
        .fixed64(7, START_NS)
        .fixed64(8, END_NS)
        .raw(&extra.0)
}

/// A request of one resource (`resource` fields) with one scope holding `spans`.
fn request_w(resource: W, spans: Vec<W>) -> Vec<u8> {
    let mut ss = W::new();
    for span in spans {
        ss = ss.msg(2, span);
    }
    W::new().msg(1, W::new().msg(1, resource).msg(2, ss)).0
}

fn service(name: &str) -> W {
    W::new().msg(1, kvw("service.name", s(name)))
}

// ------------------------------------------------------------------------------------------------
// Accepted inputs: prost's merging rules
// ------------------------------------------------------------------------------------------------

#[test]
fn empty_requests_and_requests_without_spans_give_nothing() {
    assert_eq!(
        both(b""),
        Both::Accepted {
            docs: vec![],
            failures: 0,
            spans: 0
        }
    );
    let no_spans = W::new().msg(1, W::new().msg(1, service("svc")).msg(2, W::new())).0;
    assert_eq!(
        both(&no_spans),
        Both::Accepted {
            docs: vec![],
            failures: 0,
            spans: 0
        }
    );
    assert!(matches!(
        both(&W::new().msg(1, W::new()).0),
        Both::Accepted { spans: 0, .. }
    ));
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped_at_every_level() {
    let span = span_w(
        W::new()
            .unknown()
            .msg(9, kvw("k", s("v")).unknown())
            .msg(11, W::new().str(2, "ev").fixed64(1, START_NS).unknown())
            .msg(15, W::new().varint(3, 2).str(2, "boom").unknown()),
    );
    let mut ss = W::new().unknown().msg(2, span).unknown();
    ss = ss.msg(1, W::new().str(1, "scope").unknown());
    let rs = W::new()
        .unknown()
        .msg(1, service("svc").unknown())
        .msg(2, ss)
        .str(3, "schema");
    let bytes = W::new().unknown().msg(1, rs).unknown().0;
    let docs = accepted(&bytes);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["name"], "svc");
    assert_eq!(docs[0]["fault"], true);
}

#[test]
fn a_resource_split_in_two_pieces_after_the_spans_is_merged() {
    // Resource pieces after the scope spans: the spans still see both pieces' attributes.
    let ss = W::new().msg(2, span_w(W::new()));
    let rs = W::new()
        .msg(2, ss)
        .msg(1, W::new().msg(1, kvw("service.name", s("first"))))
        .msg(
            1,
            W::new()
                .msg(1, kvw("service.name", s("second")))
                .msg(1, kvw("cloud.provider", s("aws"))),
        );
    let docs = accepted(&W::new().msg(1, rs).0);
    assert_eq!(docs[0]["name"], "second");
}

#[test]
fn a_status_split_in_two_pieces_is_merged() {
    let span = span_w(
        W::new()
            .msg(15, W::new().varint(3, 2))
            .msg(15, W::new().str(2, "it broke")),
    );
    let docs = accepted(&request_w(service("svc"), vec![span]));
    assert_eq!(docs[0]["fault"], true);
    // Status code last wins.
    let span = span_w(W::new().msg(15, W::new().varint(3, 2)).msg(15, W::new().varint(3, 1)));
    let docs = accepted(&request_w(service("svc"), vec![span]));
    assert_ne!(docs[0]["fault"], true);
}

#[test]
fn scalar_fields_repeated_keep_the_last_and_fields_may_come_in_any_order() {
    let span = W::new()
        .fixed64(8, END_NS)
        .str(5, "first")
        .msg(9, kvw("a", s("1")))
        .bytes(2, &hex(SPAN))
        .str(5, "second")
        .varint(6, 3)
        .varint(6, 2)
        .fixed64(7, START_NS)
        .bytes(1, &hex(TRACE))
        .msg(9, kvw("a", s("2")));
    let docs = accepted(&request_w(service("svc"), vec![span]));
    assert_eq!(docs.len(), 1);
}

#[test]
fn attribute_values_split_in_pieces_merge_like_prost() {
    let cases = [
        // Two array pieces: elements appended.
        kvw("aws.xray.annotations", array(vec![s("a")])).msg(2, array(vec![s("b")])),
        // Array, then a string, then an array: only the last array.
        W::new()
            .str(1, "list")
            .msg(2, array(vec![s("x"), i(1)]))
            .msg(2, s("scalar"))
            .msg(2, array(vec![s("y")]).raw(&array(vec![s("z")]).0)),
        // Array then map in one piece: the map replaces the array.
        W::new()
            .str(1, "m")
            .msg(2, array(vec![s("x")]).raw(&kvlist(vec![kvw("k", i(2))]).0)),
        // Map pieces appended, nested arrays in maps.
        W::new()
            .str(1, "m2")
            .msg(2, kvlist(vec![kvw("k1", array(vec![i(1), i(2)]))]))
            .msg(
                2,
                kvlist(vec![kvw("k2", kvlist(vec![kvw("x", s("y"))]).raw(&kvlist(vec![]).0))]),
            ),
        // A scalar replaced by another kind; the key given twice.
        W::new().str(1, "k").msg(2, s("v")).str(1, "key2").msg(2, i(5)),
        // An element itself merged from pieces, and bytes, doubles, bools, empty values.
        W::new().str(1, "arr").msg(
            2,
            array(vec![
                array(vec![s("a")]).raw(&array(vec![s("b")]).0),
                W::new().bytes(7, b"\x00\xff"),
                W::new().fixed64(4, 2.5f64.to_bits()),
                W::new().varint(2, 1),
                W::new(),
                W::new().varint(8, 3),
            ]),
        ),
        // A value with every oneof field in turn.
        W::new().str(1, "all").msg(
            2,
            s("a")
                .varint(2, 0)
                .varint(3, 9)
                .fixed64(4, 1.0f64.to_bits())
                .bytes(7, b"b")
                .varint(8, 1),
        ),
    ];
    let mut span = W::new().msg(9, kvw("a", s("1"))).msg(9, kvw("b", s("2")));
    for kv in cases {
        span = span.msg(9, kv);
    }
    let docs = accepted(&request_w(service("svc"), vec![span_w(span)]));
    let annotations = annotations(&docs[0]);
    assert!(
        annotations.contains_key("a") && annotations.contains_key("b"),
        "{annotations:?}"
    );
}

#[test]
fn events_and_links_keep_their_order_and_attributes_across_spans() {
    let span = |n: u8| {
        let mut id = hex(SPAN);
        id[7] = n;
        W::new()
            .bytes(1, &hex(TRACE))
            .bytes(2, &id)
            .str(5, "s")
            .fixed64(7, START_NS)
            .fixed64(8, END_NS)
            .msg(
                11,
                W::new()
                    .str(2, "exception")
                    .fixed64(1, START_NS)
                    .msg(3, kvw("exception.type", s("E")))
                    .msg(3, kvw("exception.message", s(&format!("m{n}")))),
            )
            .msg(11, W::new().str(2, "other").msg(3, kvw("k", i(i64::from(n)))))
            .msg(
                13,
                W::new()
                    .bytes(1, &hex(TRACE))
                    .bytes(2, &hex(PARENT))
                    .msg(4, kvw("l", s("x")))
                    .fixed32(6, 1),
            )
    };
    let docs = accepted(&request_w(service("svc"), (1..=4).map(span).collect()));
    assert_eq!(docs.len(), 4);
}

// ------------------------------------------------------------------------------------------------
// Rejected inputs
// ------------------------------------------------------------------------------------------------

#[test]
fn invalid_utf8_is_rejected_naming_the_field_wherever_it_is() {
    let bad = b"caf\xc3";
    let span = |extra: W| request_w(service("svc"), vec![span_w(extra)]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (span(W::new().bytes(5, bad)), "Span.name"),
        (span(W::new().bytes(3, bad)), "Span.trace_state"),
        (span(W::new().msg(9, W::new().bytes(1, bad))), "KeyValue.key"),
        (
            span(W::new().msg(9, kvw("k", W::new().bytes(1, bad)))),
            "AnyValue.string_value",
        ),
        (
            span(W::new().msg(9, kvw("k", array(vec![kvlist(vec![kvw("x", W::new().bytes(1, bad))])])))),
            "AnyValue.string_value",
        ),
        (span(W::new().msg(15, W::new().bytes(2, bad))), "Status.message"),
        (span(W::new().msg(11, W::new().bytes(2, bad))), "Span.Event.name"),
        (span(W::new().msg(13, W::new().bytes(3, bad))), "Span.Link.trace_state"),
        (
            W::new()
                .msg(1, W::new().msg(2, W::new().msg(1, W::new().bytes(2, bad))))
                .0,
            "InstrumentationScope.version",
        ),
        (
            W::new()
                .msg(1, W::new().msg(1, W::new().msg(3, W::new().bytes(3, bad))))
                .0,
            "EntityRef.id_keys",
        ),
        (W::new().msg(1, W::new().bytes(3, bad)).0, "ResourceSpans.schema_url"),
    ];
    for (bytes, field) in cases {
        let e = rejected(&bytes);
        assert!(
            matches!(e, WireError::InvalidUtf8 { field: f, .. } if f == field),
            "{field}: {e}"
        );
        assert!(e.to_string().contains(field), "{e}");
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }
}

#[test]
fn wrong_wire_types_are_rejected() {
    let cases = [
        span_w(W::new().varint(5, 1)),
        span_w(W::new().fixed32(7, 1)),
        span_w(W::new().str(6, "server")),
        span_w(W::new().varint(9, 1)),
        span_w(W::new().msg(15, W::new().str(3, "x"))),
        span_w(W::new().msg(9, kvw("k", W::new().str(3, "1")))),
        span_w(W::new().fixed64(16, 1)),
    ];
    for span in cases {
        let e = rejected(&request_w(service("svc"), vec![span]));
        assert!(matches!(e, WireError::WrongWireType { .. }), "{e}");
    }
    let e = rejected(&request_w(service("svc"), vec![span_w(W::new().varint(5, 1))]));
    assert!(e.to_string().starts_with("field Span.name at byte "), "{e}");
}

#[test]
fn truncated_and_malformed_framing_is_rejected_with_its_offset() {
    let good = request_w(service("svc"), vec![span_w(W::new())]);
    for cut in 1..good.len() {
        let e = rejected(&good[..cut]);
        assert!(e.offset() <= cut, "{e} at cut {cut}");
    }
    // Tag 0, wire types 6 and 7, a lone end-group key, an over-long varint.
    for bytes in [&[0x00u8, 0x01][..], &[0x0e, 0x00], &[0x0f], &[0x0c], &[0x08; 12]] {
        rejected(bytes);
    }
    let e = rejected(&[0x0a, 0x05, 0x0a]);
    assert_eq!(
        e.to_string(),
        "field ExportTraceServiceRequest.resource_spans at byte 2 needs 5 bytes but only 1 remain"
    );
    // A group closed with the wrong field number.
    let mut b = W::new().0;
    encode_key(1004, WireType::StartGroup, &mut b);
    encode_key(1005, WireType::EndGroup, &mut b);
    rejected(&b);
}

/// An attribute whose value is arrays nested `levels` deep.
fn nested(levels: usize) -> Vec<u8> {
    let mut v = s("leaf");
    for _ in 0..levels {
        v = array(vec![v]);
    }
    request_w(service("svc"), vec![span_w(W::new().msg(9, kvw("deep", v)))])
}

#[test]
fn the_recursion_limit_is_prosts() {
    // Find prost's limit by trying: the wire decoder must agree on each side of it.
    let limit = (1..200)
        .find(|&n| ExportTraceServiceRequest::decode(&nested(n)[..]).is_err())
        .unwrap();
    assert!(matches!(both(&nested(limit - 1)), Both::Accepted { .. }));
    assert!(matches!(rejected(&nested(limit)), WireError::TooDeep { .. }));
    // Groups count too.
    let mut g = W::new().varint(1, 1);
    for _ in 0..120 {
        g = W::new().group(900, g);
    }
    rejected(&request_w(service("svc"), vec![span_w(W::new().raw(&g.0))]));
    let mut g = W::new().varint(1, 1);
    for _ in 0..50 {
        g = W::new().group(900, g);
    }
    accepted(&request_w(service("svc"), vec![span_w(W::new().raw(&g.0))]));
}

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

/// A realistic request: two resources, spans with arrays, maps, events, links, status, an
/// exception, a broken span.
fn sample() -> Vec<u8> {
    let spans = vec![
        span("GET /orders")
            .server()
            .attr("http.request.method", "GET")
            .attr("http.response.status_code", 500)
            .attr("aws.xray.annotations", arr(["order.id"]))
            .attr("order.id", "o-1")
            .attr("tags", arr(["a", "b"]))
            .attr("nested", map([("k", arr([1, 2])), ("m", map([("x", 1.5)]))]))
            .event(
                "exception",
                START_NS + 5,
                vec![
                    kv("exception.type", "java.lang.IllegalStateException"),
                    kv("exception.message", "boom"),
                    kv(
                        "exception.stacktrace",
                        "java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n",
                    ),
                ],
            )
            .link(TRACE, PARENT, vec![kv("k", "v")])
            .error("broken"),
        span("DynamoDB.PutItem")
            .client()
            .child()
            .id_hex("1111111111111111")
            .attr("rpc.system", "aws-api")
            .attr("rpc.service", "DynamoDB")
            .attr("aws.dynamodb.table_names", arr(["orders"])),
        span("bad").id_hex("00"),
    ];
    let req = request(&[
        (
            res(vec![
                kv("service.name", "orders"),
                kv("cloud.provider", "aws"),
                kv("cloud.platform", "aws_ecs"),
                kv("aws.log.group.names", arr(["/ecs/orders"])),
            ]),
            spans.clone(),
        ),
        (res(vec![kv("service.name", "other")]), spans[..2].to_vec()),
    ]);
    req.encode_to_vec()
}

#[test]
fn the_sample_translates_the_same_both_ways() {
    match both(&sample()) {
        Both::Accepted { docs, failures, spans } => {
            assert_eq!(spans, 5);
            assert_eq!(failures, 1);
            assert!(docs.len() >= 4);
        }
        other => panic!("{other:?}"),
    }
}

/// A mutation of a valid request.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at (index modulo length).
    Set(usize, u8),
    /// Flip a bit.
    Flip(usize, u8),
    /// Insert bytes.
    Insert(usize, Vec<u8>),
    /// Remove a range.
    Remove(usize, usize),
    /// Cut the end.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..6)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..8).prop_map(|(i, n)| Mutation::Remove(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let len = bytes.len();
    match m {
        Mutation::Set(i, b) => bytes[i % len] = *b,
        Mutation::Flip(i, bit) => bytes[i % len] ^= 1 << bit,
        Mutation::Insert(i, b) => {
            let at = i % (len + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let at = i % len;
            bytes.drain(at..(at + n).min(len));
        }
        Mutation::Truncate(i) => bytes.truncate(i % len),
    }
}

/// Values of a random attribute: scalars, arrays and maps nested a few levels.
fn value() -> impl Strategy<Value = V> {
    let leaf = prop_oneof![
        ".{0,8}".prop_map(V::Str),
        any::<i64>().prop_map(V::Int),
        any::<f64>().prop_map(V::Dbl),
        any::<bool>().prop_map(V::Bool),
        proptest::collection::vec(any::<u8>(), 0..4).prop_map(V::Bytes),
        Just(V::Empty),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(V::Arr),
            proptest::collection::vec(("[a-z.]{1,6}", inner), 0..4).prop_map(V::Map),
        ]
    })
}

const KEYS: &[&str] = &[
    "http.request.method",
    "http.response.status_code",
    "url.full",
    "aws.xray.annotations",
    "db.system",
    "db.statement",
    "rpc.system",
    "rpc.service",
    "aws.dynamodb.table_names",
    "service.name",
    "enduser.id",
    "custom",
    "peer.service",
];

fn attrs() -> impl Strategy<Value = Vec<(String, V)>> {
    proptest::collection::vec((proptest::sample::select(KEYS).prop_map(str::to_owned), value()), 0..6)
}

proptest! {
    // PROPTEST_CASES=100000 for a longer search.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn arbitrary_bytes_are_judged_like_prost(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        both(&bytes);
    }

    #[test]
    fn mutated_requests_are_judged_like_prost(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let mut bytes = sample();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        both(&bytes);
    }

    #[test]
    fn random_attributes_translate_the_same(
        span_attrs in attrs(),
        resource_attrs in attrs(),
        event_attrs in attrs(),
        kind in 0usize..6,
        mutation in proptest::option::of(mutation()),
    ) {
        let kinds = [Kind::Unspecified, Kind::Internal, Kind::Server, Kind::Client, Kind::Producer, Kind::Consumer];
        let s = span("op")
            .kind(kinds[kind])
            .attrs(span_attrs)
            .event("exception", START_NS, event_attrs);
        let mut bytes = request(&[(res(resource_attrs), vec![s])]).encode_to_vec();
        if let Some(m) = &mutation {
            apply(&mut bytes, m);
        }
        both(&bytes);
    }
}
