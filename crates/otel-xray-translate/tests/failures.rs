//! Failures: bad ids give typed errors with reason labels, a NaN or infinite double that reaches
//! a document makes the span give no documents (§1), one bad span does not affect the others
//! (§18.1), and no input panics (Differs (d)).

mod common;

use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
use otel_xray_translate::{Budget, FailureReason, TranslateError, TranslatorConfig};
use proptest::prelude::*;

fn span_error(out: &Output) -> &TranslateError {
    match &out.failures[0].reason {
        FailureReason::Span(e) => e,
        other => panic!("expected a span failure, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------------
// Bad ids
// ------------------------------------------------------------------------------------------------

#[test]
fn trace_id_of_wrong_length() {
    for len in [0usize, 8, 15, 17, 32] {
        let out = run_otlp(&cfg(), &no_res(), &[span("op").trace_bytes(&vec![7; len])]);
        assert!(out.docs.is_empty(), "{len}");
        assert_eq!(out.reasons(), vec!["invalid_trace_id"], "{len}");
        assert_eq!(span_error(&out), &TranslateError::InvalidTraceId { len });
        // No valid trace id to report; the span id is still known.
        assert_eq!(out.failures[0].trace_id, None);
        assert_eq!(out.failures[0].span_id.map(|i| i.to_string()).as_deref(), Some(SPAN));
    }
}

#[test]
fn span_id_of_wrong_length_or_zero() {
    for bytes in [vec![], vec![1u8; 7], vec![1u8; 9], vec![0u8; 8]] {
        let out = run_otlp(&cfg(), &no_res(), &[span("op").id_bytes(&bytes)]);
        assert!(out.docs.is_empty(), "{bytes:?}");
        assert_eq!(out.reasons(), vec!["invalid_span_id"], "{bytes:?}");
        assert_eq!(span_error(&out), &TranslateError::InvalidSpanId { len: bytes.len() });
        assert_eq!(
            out.failures[0].trace_id.map(|t| t.to_string()).as_deref(),
            Some(TRACE_XRAY)
        );
    }
}

#[test]
fn zero_span_id_in_sdk_form() {
    let out = run_sdk(&cfg(), &no_res(), &[span("op").id_bytes(&[0; 8])]);
    assert!(out.docs.is_empty());
    assert_eq!(out.reasons(), vec!["invalid_span_id"]);
}

#[test]
fn parent_span_id_of_wrong_length() {
    for len in [1usize, 4, 16] {
        let out = run_otlp(&cfg(), &no_res(), &[span("op").parent_bytes(&vec![3; len])]);
        assert!(out.docs.is_empty());
        assert_eq!(out.reasons(), vec!["invalid_parent_span_id"]);
        assert_eq!(span_error(&out), &TranslateError::InvalidParentSpanId { len });
    }
}

#[test]
fn bad_link_and_out_of_window_ids_have_their_labels() {
    let out = run_otlp(&cfg(), &no_res(), &[span("op").link_bytes(&[1; 16], &[2; 3])]);
    assert_eq!(out.reasons(), vec!["invalid_link"]);
    let config = TranslatorConfig {
        validate_trace_id_timestamp: true,
        ..cfg()
    };
    let out = run_otlp(
        &config,
        &no_res(),
        &[span("op").trace_hex("00000001000000000000000000000000")],
    );
    assert_eq!(out.reasons(), vec!["trace_id_out_of_window"]);
    assert_eq!(
        out.failures[0].reason.to_string(),
        "invalid xray traceid: 00000001000000000000000000000000"
    );
}

// ------------------------------------------------------------------------------------------------
// Unencodable numbers
// ------------------------------------------------------------------------------------------------

#[test]
fn nan_double_attribute_gives_no_documents() {
    for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let out = run_both(&cfg(), &no_res(), &[span("op").attr("ratio", v)]);
        assert!(out.docs.is_empty(), "{v}");
        assert_eq!(out.reasons(), vec!["unencodable"], "{v}");
        assert!(matches!(
            out.failures[0].reason,
            FailureReason::Span(TranslateError::Unencodable(_))
        ));
        assert_eq!(out.failures[0].span_id.map(|i| i.to_string()).as_deref(), Some(SPAN));
    }
}

#[test]
fn non_finite_values_anywhere_in_a_document() {
    let cases = vec![
        span("op").attr("list", arr([1.0, f64::NAN])),
        span("op").event("e", START_NS, vec![kv("v", f64::NAN)]),
        span("op").link(TRACE, "0000000000000001", vec![kv("v", f64::INFINITY)]),
        span("op").attr("map", map([("v", V::from(f64::NAN))])),
        span("op").attr("aws.xray.annotations", arr(["v"])).attr("v", f64::NAN),
    ];
    for s in cases {
        let out = run_otlp(&cfg(), &no_res(), std::slice::from_ref(&s));
        assert!(out.docs.is_empty(), "{s:?}");
        assert_eq!(out.reasons(), vec!["unencodable"]);
    }
    // Resource attributes reach segments only.
    let r = res(vec![kv("load", f64::NAN)]);
    assert_eq!(run_otlp(&cfg(), &r, &[span("op")]).reasons(), vec!["unencodable"]);
    assert_eq!(run_otlp(&cfg(), &r, &[span("op").client().child()]).docs.len(), 1);
}

#[test]
fn nan_on_a_local_root_gives_neither_document() {
    let out = run_otlp(
        &cfg(),
        &no_res(),
        &[span("op").client().local_root().attr("x", f64::NAN)],
    );
    assert!(out.docs.is_empty(), "{:#?}", out.docs);
    assert_eq!(out.reasons(), vec!["unencodable"]);
}

#[test]
fn nan_in_a_consumed_attribute_does_not_reach_the_document() {
    // net.host.port is consumed by the HTTP step; a double port is not used.
    let out = run_otlp(
        &cfg(),
        &no_res(),
        &[span("op")
            .server()
            .attr("http.method", "GET")
            .attr("net.host.port", f64::NAN)],
    );
    assert_eq!(out.docs.len(), 1);
    assert!(out.failures.is_empty());
}

// ------------------------------------------------------------------------------------------------
// Isolation and order
// ------------------------------------------------------------------------------------------------

#[test]
fn one_bad_span_does_not_affect_the_others() {
    let spans = vec![
        span("first").id_hex("0000000000000001"),
        span("bad-trace").id_hex("0000000000000002").trace_bytes(&[1; 3]),
        span("nan").id_hex("0000000000000003").attr("x", f64::NAN),
        span("split").id_hex("0000000000000004").client().local_root(),
        span("bad-link").id_hex("0000000000000005").link_bytes(&[1; 2], &[1; 8]),
        span("last").id_hex("0000000000000006"),
    ];
    let out = run_otlp(&cfg(), &no_res(), &spans);
    assert_eq!(out.spans, 6);
    let names: Vec<&str> = out.docs.iter().map(|d| d["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["first", "split", "split", "last"]);
    assert_eq!(out.reasons(), vec!["invalid_trace_id", "unencodable", "invalid_link"]);
    let failed: Vec<String> = out
        .failures
        .iter()
        .map(|f| f.span_id.map(|i| i.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(failed, ["0000000000000002", "0000000000000003", "0000000000000005"]);
    // Infos match the documents.
    for (info, doc) in out.infos.iter().zip(&out.docs) {
        assert_eq!(doc["id"], info.id.to_string().as_str());
        assert_eq!(doc["trace_id"], info.trace_id.to_string().as_str());
    }
}

#[test]
fn documents_follow_resource_scope_span_order() {
    let groups = vec![
        (res(vec![kv("service.name", "a")]), vec![span("a1"), span("a2")]),
        (res(vec![kv("service.name", "b")]), vec![span("b1").server()]),
    ];
    let out = run_otlp_groups(&cfg(), &groups, options(Budget::PutTraceSegments));
    let names: Vec<&str> = out.docs.iter().map(|d| d["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["a1", "a2", "b"]);
    assert_eq!(meta_default(&out.docs[0])["otel.resource.service.name"], "a");
    assert_eq!(meta_default(&out.docs[2])["otel.resource.service.name"], "b");
}

#[test]
fn missing_resource_and_empty_request() {
    let mut req = request(&[(no_res(), vec![span("op").server()])]);
    req.resource_spans[0].resource = None;
    let out = run_request(&cfg(), &req, options(Budget::PutTraceSegments));
    let d = out.one();
    assert_absent(d, &["origin", "metadata"]);
    assert_eq!(d["name"], "op");

    let out = run_request(
        &cfg(),
        &ExportTraceServiceRequest::default(),
        options(Budget::PutTraceSegments),
    );
    assert!(out.docs.is_empty() && out.failures.is_empty());
    let empty_scopes = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans::default()],
            ..ResourceSpans::default()
        }],
    };
    let out = run_request(&cfg(), &empty_scopes, options(Budget::PutTraceSegments));
    assert!(out.docs.is_empty() && out.failures.is_empty());
}

#[test]
fn unknown_span_kind_and_status_codes_are_tolerated() {
    let mut req = request(&[(no_res(), vec![span("op").child()])]);
    let s = &mut req.resource_spans[0].scope_spans[0].spans[0];
    s.kind = 42;
    s.status = Some(opentelemetry_proto::tonic::trace::v1::Status {
        message: "m".into(),
        code: 9,
    });
    let out = run_request(&cfg(), &req, options(Budget::PutTraceSegments));
    let d = out.one();
    // Read as UNSPECIFIED (a subsegment) with an UNSET status (no fault).
    assert_eq!(d["type"], "subsegment");
    assert_eq!(d["fault"], false);
}

// ------------------------------------------------------------------------------------------------
// Nothing panics
// ------------------------------------------------------------------------------------------------

const KEYS: &[&str] = &[
    "aws.span.kind",
    "aws.local.service",
    "aws.remote.service",
    "aws.remote.operation",
    "remoteTarget",
    "K8s.RemoteNamespace",
    "rpc.system",
    "rpc.method",
    "rpc.service",
    "peer.service",
    "aws.service",
    "http.method",
    "http.request.method",
    "http.url",
    "url.full",
    "http.host",
    "http.target",
    "http.scheme",
    "http.status_code",
    "http.response.status_code",
    "http.status_text",
    "http.client_ip",
    "net.peer.ip",
    "net.peer.name",
    "net.peer.port",
    "net.host.port",
    "network.peer.address",
    "network.peer.port",
    "client.address",
    "server.address",
    "server.port",
    "url.path",
    "url.query",
    "db.system",
    "db.name",
    "db.statement",
    "db.connection_string",
    "db.user",
    "db.system.name",
    "db.namespace",
    "aws.operation",
    "aws.table_name",
    "aws.dynamodb.table_names",
    "messaging.url",
    "messaging.system",
    "enduser.id",
    "aws.xray.annotations",
    "aws.xray.metadata.default",
    "aws.xray.metadata.ns",
    "otel.events",
    "message.type",
    "messaging.message_payload_size_bytes",
    "x",
];

const STRINGS: &[&str] = &[
    "",
    "LOCAL_ROOT",
    "aws-api",
    "mysql",
    "redis",
    "RECEIVED",
    "AWS.SDK.",
    "AWS::",
    "jdbc:",
    "jdbc:mysql://db:3306",
    "::1",
    "10.0.0.1",
    "<>",
    "null",
    "{}",
    "{\"a\":",
    "[1]",
    "\u{e9}\u{1F600}",
    "https://h:443/p?q",
    ":",
];

fn value() -> impl Strategy<Value = V> {
    let leaf = prop_oneof![
        proptest::sample::select(STRINGS).prop_map(V::from),
        "\\PC{0,40}".prop_map(V::Str),
        any::<i64>().prop_map(V::Int),
        prop_oneof![Just(0.5), Just(-1e300), Just(f64::NAN), Just(f64::INFINITY)].prop_map(V::Dbl),
        any::<bool>().prop_map(V::Bool),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(V::Bytes),
        Just(V::Empty),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(V::Arr),
            proptest::collection::vec(("[a-z]{1,3}", inner), 0..3).prop_map(|kvs| V::Map(unique(kvs))),
        ]
    })
}

/// Random attributes with unique keys (the OpenTelemetry data model requires unique keys).
fn attrs() -> impl Strategy<Value = Vec<(String, V)>> {
    raw_attrs().prop_map(unique)
}

fn unique(kvs: Vec<(String, V)>) -> Vec<(String, V)> {
    let mut seen = std::collections::HashSet::new();
    kvs.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect()
}

fn raw_attrs() -> impl Strategy<Value = Vec<(String, V)>> {
    proptest::collection::vec(
        (
            prop_oneof![
                4 => proptest::sample::select(KEYS).prop_map(str::to_owned),
                1 => "\\PC{0,12}",
            ],
            value(),
        ),
        0..10,
    )
}

const STACK_LINES: &[&str] = &[
    "goroutine 1 [running]:",
    "\tat a.B.c(B.java:12)",
    "\tat a/B.c(:)",
    "Caused by: X:",
    "Caused by: X: y",
    "Caused by: ",
    "  File \"/a.py\", line 3, in f",
    "  File ",
    "  File \"",
    "During handling of the above exception, another exception occurred:",
    "E: m",
    "    at f (/a.js:1:2)",
    "    at (",
    "    at native",
    "   at A.B() in /a.cs:line 9",
    "   at in ",
    "at )",
    "\t/app/main.go:42 +0x1d",
    "main.f(0x1)",
    "",
    ":",
    "\u{e9}",
    "\r",
];

fn stack_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(STACK_LINES).prop_map(str::to_owned),
            1 => "\\PC{0,20}",
        ],
        0..12,
    )
    .prop_map(|lines| lines.join("\n"))
}

fn event() -> impl Strategy<Value = EventDesc> {
    (
        prop_oneof![
            Just("exception".to_owned()),
            Just("HTTP request failure".to_owned()),
            Just("message".to_owned()),
            "\\PC{0,8}",
        ],
        any::<u64>(),
        attrs(),
        proptest::option::of(stack_text()),
    )
        .prop_map(|(name, time_ns, mut attrs, stack)| {
            if let Some(s) = stack {
                attrs.push(kv("exception.stacktrace", s));
            }
            EventDesc { name, time_ns, attrs }
        })
}

fn id_bytes(len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), len),
        1 => Just(vec![0u8; len]),
        1 => proptest::collection::vec(any::<u8>(), 0..20),
    ]
}

fn link() -> impl Strategy<Value = LinkDesc> {
    (id_bytes(16), id_bytes(8), attrs()).prop_map(|(trace_id, span_id, attrs)| LinkDesc {
        trace_id,
        span_id,
        attrs,
    })
}

fn span_desc() -> impl Strategy<Value = SpanDesc> {
    (
        (
            id_bytes(16),
            id_bytes(8),
            prop_oneof![Just(Vec::new()), id_bytes(8)],
            "\\PC{0,30}",
            proptest::sample::select(ALL_KINDS.to_vec()),
            any::<u64>(),
            any::<u64>(),
        ),
        attrs(),
        proptest::collection::vec(event(), 0..4),
        proptest::collection::vec(link(), 0..3),
        prop_oneof![Just(St::Unset), Just(St::Ok), "\\PC{0,10}".prop_map(St::Error)],
        any::<bool>(),
    )
        .prop_map(
            |((trace_id, span_id, parent, name, kind, start_ns, end_ns), attrs, events, links, status, root)| {
                let mut s = SpanDesc {
                    trace_id,
                    span_id,
                    parent,
                    name,
                    kind,
                    start_ns,
                    end_ns,
                    attrs,
                    events,
                    links,
                    status,
                };
                if root {
                    s = s.local_root();
                }
                s
            },
        )
}

const RES_KEYS: &[&str] = &[
    "service.name",
    "service.version",
    "cloud.provider",
    "cloud.platform",
    "host.id",
    "k8s.cluster.name",
    "service.instance.id",
    "aws.log.group.arns",
    "aws.log.group.names",
    "telemetry.sdk.language",
    "telemetry.sdk.name",
    "aws.ecs.launchtype",
];

const RES_VALUES: &[&str] = &[
    "aws",
    "gcp",
    "aws_ec2",
    "aws_ecs",
    "aws_eks",
    "aws_elastic_beanstalk",
    "java",
    "python",
    "nodejs",
    "dotnet",
    "go",
    "php",
    "&",
    "a:b:c:d:e:f:g:h",
    "12",
];

fn resource() -> impl Strategy<Value = Res> {
    proptest::collection::vec(
        (
            proptest::sample::select(RES_KEYS).prop_map(str::to_owned),
            prop_oneof![
                4 => proptest::sample::select(RES_VALUES).prop_map(V::from),
                1 => value(),
            ],
        ),
        0..8,
    )
    .prop_map(|kvs| Res(unique(kvs)))
}

fn config() -> impl Strategy<Value = TranslatorConfig> {
    (
        any::<[bool; 7]>(),
        proptest::collection::vec(proptest::sample::select(KEYS).prop_map(str::to_owned), 0..4),
    )
        .prop_map(|(b, indexed_attributes)| TranslatorConfig {
            indexed_attributes,
            index_all_attributes: b[0],
            annotation_keys_allow_dot: b[1],
            validate_trace_id_timestamp: b[2],
            http_conventions: otel_xray_translate::ConventionReading {
                read_v0: b[3],
                read_v1: b[4],
            },
            db_conventions: otel_xray_translate::ConventionReading {
                read_v0: !b[3],
                read_v1: b[5],
            },
            preserve_span_events: b[6],
            ..cfg()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_input_panics_and_every_document_is_well_formed(
        config in config(),
        r in resource(),
        spans in proptest::collection::vec(span_desc(), 1..4),
        small in any::<bool>(),
    ) {
        let budget = if small { Budget::Bytes(600) } else { Budget::DaemonUdp };
        let out = run_otlp_groups(&config, &[(r, spans.clone())], options(budget));
        prop_assert_eq!(out.spans, spans.len());
        prop_assert!(out.docs.len() <= 2 * spans.len());
        for (d, raw) in out.docs.iter().zip(&out.raw) {
            assert_always_fields(d);
            assert_never_written(d);
            prop_assert_eq!(duplicate_key(raw), None, "{}", String::from_utf8_lossy(raw));
            prop_assert!(raw.len() <= budget.max_document_bytes());
            prop_assert!(is_hex16(&d["id"]));
            prop_assert_eq!(d["trace_id"].as_str().map(str::len), Some(35));
            let name = d["name"].as_str().unwrap_or("");
            prop_assert!(!name.is_empty() && name.len() <= 203, "name {:?}", name);
        }
        // Every span either produced documents or is accounted for by failures.
        prop_assert!(!out.docs.is_empty() || !out.failures.is_empty());
    }
}

// ------------------------------------------------------------------------------------------------
// Both input forms agree on random spans the SDK can express
// ------------------------------------------------------------------------------------------------

fn sdk_value() -> impl Strategy<Value = V> {
    prop_oneof![
        3 => proptest::sample::select(STRINGS).prop_map(V::from),
        1 => "\\PC{0,20}".prop_map(V::Str),
        1 => any::<i64>().prop_map(V::Int),
        1 => prop_oneof![Just(0.5), Just(-2.0), Just(1e21)].prop_map(V::Dbl),
        1 => any::<bool>().prop_map(V::Bool),
        1 => proptest::collection::vec(proptest::sample::select(STRINGS).prop_map(V::from), 0..3).prop_map(V::Arr),
        1 => proptest::collection::vec(any::<i64>().prop_map(V::Int), 1..3).prop_map(V::Arr),
    ]
}

fn sdk_attrs() -> impl Strategy<Value = Vec<(String, V)>> {
    proptest::collection::vec(
        (proptest::sample::select(KEYS).prop_map(str::to_owned), sdk_value()),
        0..10,
    )
    .prop_map(unique)
}

fn sdk_span_desc() -> impl Strategy<Value = SpanDesc> {
    (
        (
            proptest::collection::vec(any::<u8>(), 16),
            proptest::collection::vec(1u8..=255, 8),
            prop_oneof![Just(Vec::new()), proptest::collection::vec(1u8..=255, 8)],
            "\\PC{0,30}",
            proptest::sample::select(vec![
                Kind::Internal,
                Kind::Server,
                Kind::Client,
                Kind::Producer,
                Kind::Consumer,
            ]),
            0u64..4_000_000_000_000_000_000,
        ),
        sdk_attrs(),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("exception".to_owned()),
                    Just("HTTP request failure".to_owned()),
                    Just("note".to_owned())
                ],
                0u64..4_000_000_000_000_000_000,
                sdk_attrs(),
                proptest::option::of(stack_text()),
            ),
            0..3,
        ),
        proptest::collection::vec(
            (
                proptest::collection::vec(any::<u8>(), 16),
                proptest::collection::vec(any::<u8>(), 8),
                sdk_attrs(),
            ),
            0..3,
        ),
        prop_oneof![Just(St::Unset), Just(St::Ok), "\\PC{0,10}".prop_map(St::Error)],
        any::<bool>(),
    )
        .prop_map(
            |((trace_id, span_id, parent, name, kind, start_ns), attrs, events, links, status, root)| {
                let mut s = SpanDesc {
                    trace_id,
                    span_id,
                    parent,
                    name,
                    kind,
                    start_ns,
                    end_ns: start_ns / 2 + 7,
                    attrs,
                    events: events
                        .into_iter()
                        .map(|(name, time_ns, mut attrs, stack)| {
                            if let Some(st) = stack {
                                attrs.push(kv("exception.stacktrace", st));
                            }
                            EventDesc { name, time_ns, attrs }
                        })
                        .collect(),
                    links: links
                        .into_iter()
                        .map(|(trace_id, span_id, attrs)| LinkDesc {
                            trace_id,
                            span_id,
                            attrs,
                        })
                        .collect(),
                    status,
                };
                if root {
                    s = s.local_root();
                }
                s
            },
        )
}

fn sdk_resource() -> impl Strategy<Value = Res> {
    // Unique keys: the SDK resource is a map.
    proptest::collection::btree_map(
        proptest::sample::select(RES_KEYS).prop_map(str::to_owned),
        proptest::sample::select(RES_VALUES).prop_map(V::from),
        0..8,
    )
    .prop_map(|m| Res(m.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn otlp_and_sdk_forms_give_the_same_documents(
        config in config(),
        r in sdk_resource(),
        spans in proptest::collection::vec(sdk_span_desc(), 1..3),
    ) {
        let otlp = run_otlp(&config, &r, &spans);
        let sdk = run_sdk(&config, &r, &spans);
        assert_same_docs(&otlp.docs, &sdk.docs, "OTLP form", "SDK form");
        prop_assert_eq!(otlp.reasons(), sdk.reasons());
    }
}

#[test]
fn nan_reaching_only_the_service_segment_removes_both_documents() {
    // Resource metadata reaches only the service segment of a parentless local root.
    let out = run_otlp(
        &cfg(),
        &res(vec![kv("load", f64::NAN)]),
        &[span("op").client().local_root()],
    );
    assert!(out.docs.is_empty(), "{:#?}", out.docs);
    assert_eq!(out.reasons(), vec!["unencodable"]);
}

#[test]
fn an_unencodable_span_is_counted_once() {
    // The dependency subsegment is too large (an http.method is never shrunk) and the service
    // segment holds a NaN: the span gives no documents and is one translation failure.
    let out = run_otlp(
        &cfg(),
        &res(vec![kv("load", f64::NAN)]),
        &[span("op")
            .client()
            .local_root()
            .attr("http.method", "M".repeat(70_000).as_str())],
    );
    assert!(out.docs.is_empty());
    assert_eq!(out.reasons(), vec!["unencodable"]);
}
