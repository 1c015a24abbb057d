//! Properties of the translator over arbitrary OTLP input: it never panics, every document it
//! emits is valid JSON within the byte budget with the always-present fields, and every span is
//! accounted for (documents or a recorded failure).

mod support;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig};
use proptest::prelude::*;
use prost::Message;
use rand::SeedableRng;

/// Keys the translator treats specially, so generated spans exercise every rule.
const KEYS: &[&str] = &[
    "aws.local.service",
    "aws.remote.service",
    "aws.remote.operation",
    "remoteTarget",
    "K8s.RemoteNamespace",
    "aws.span.kind",
    "peer.service",
    "aws.service",
    "rpc.system",
    "rpc.service",
    "rpc.method",
    "http.method",
    "http.request.method",
    "http.client_ip",
    "http.user_agent",
    "http.status_code",
    "http.response.status_code",
    "http.url",
    "url.full",
    "http.scheme",
    "http.host",
    "http.target",
    "http.server_name",
    "net.host.port",
    "host.name",
    "net.host.name",
    "net.peer.name",
    "net.peer.port",
    "net.peer.ip",
    "network.peer.address",
    "client.address",
    "url.path",
    "url.query",
    "server.address",
    "server.port",
    "http.status_text",
    "message.type",
    "messaging.message_payload_size_bytes",
    "aws.operation",
    "aws.account_id",
    "aws.region",
    "aws.request_id",
    "aws.queue.url",
    "aws.table.name",
    "messaging.url",
    "aws.dynamodb.table_names",
    "db.system",
    "db.name",
    "db.statement",
    "db.user",
    "db.connection_string",
    "enduser.id",
    "aws.xray.annotations",
    "aws.xray.metadata.default",
    "aws.xray.metadata.custom",
    "otel.events",
    "messaging.system",
    "messaging.destination.name",
    "custom.key",
    "weird key!é",
];

const RESOURCE_KEYS: &[&str] = &[
    "service.name",
    "cloud.provider",
    "cloud.platform",
    "host.id",
    "k8s.cluster.name",
    "service.instance.id",
    "aws.ecs.launchtype",
    "aws.log.group.arns",
    "aws.log.group.names",
    "telemetry.sdk.language",
    "telemetry.sdk.name",
    "service.version",
];

const STRINGS: &[&str] = &[
    "",
    "aws-api",
    "LOCAL_ROOT",
    "postgresql",
    "aws",
    "aws_ecs",
    "aws_eks",
    "aws_elastic_beanstalk",
    "java",
    "python",
    "go",
    "dotnet",
    "nodejs",
    "RECEIVED",
    "10.1.2.3",
    "::1",
    "not-an-ip",
    "AWS.SDK.DynamoDb",
    "jdbc:mysql://db:3306",
    "{\"a\":1}",
    "[1,2]",
    "null",
    "arn:aws:logs:us-east-1:1:log-group:g:*",
    "a&b&",
    "<>",
    "\u{2028}\"\\",
    "2001:db8::1",
    "429",
    "ec2",
];

fn any_value(depth: u32) -> BoxedStrategy<AnyValue> {
    let leaf = prop_oneof![
        Just(AnyValue { value: None }),
        proptest::sample::select(STRINGS).prop_map(|s| AnyValue {
            value: Some(Value::StringValue(s.into()))
        }),
        ".{0,40}".prop_map(|s| AnyValue {
            value: Some(Value::StringValue(s))
        }),
        prop_oneof![Just(200i64), Just(404), Just(429), Just(503), any::<i64>()].prop_map(|i| AnyValue {
            value: Some(Value::IntValue(i))
        }),
        prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(1.5), any::<f64>()].prop_map(|d| AnyValue {
            value: Some(Value::DoubleValue(d))
        }),
        any::<bool>().prop_map(|b| AnyValue {
            value: Some(Value::BoolValue(b))
        }),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| AnyValue {
            value: Some(Value::BytesValue(b))
        }),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        4 => leaf,
        1 => proptest::collection::vec(any_value(depth - 1), 0..4)
            .prop_map(|values| AnyValue { value: Some(Value::ArrayValue(ArrayValue { values })) }),
        1 => proptest::collection::vec((proptest::sample::select(KEYS), any_value(depth - 1)), 0..4).prop_map(|kvs| {
            AnyValue {
                value: Some(Value::KvlistValue(KeyValueList {
                    values: kvs
                        .into_iter()
                        .map(|(k, v)| KeyValue { key: k.into(), value: Some(v), ..KeyValue::default() })
                        .collect(),
                })),
            }
        }),
    ]
    .boxed()
}

fn attrs(keys: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<KeyValue>> {
    proptest::collection::vec((proptest::sample::select(keys), any_value(2)), 0..max).prop_map(|kvs| {
        kvs.into_iter()
            .map(|(k, v)| KeyValue {
                key: k.into(),
                value: Some(v),
                ..KeyValue::default()
            })
            .collect()
    })
}

fn id(len: &'static [usize]) -> impl Strategy<Value = Vec<u8>> {
    proptest::sample::select(len).prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n))
}

fn event() -> impl Strategy<Value = Event> {
    (
        proptest::sample::select(&["exception", "HTTP request failure", "message", ""][..]),
        attrs(
            &[
                "exception.type",
                "exception.message",
                "exception.stacktrace",
                "http.response.status_code",
                "aws.http.error_message",
                "message.type",
                "messaging.message_payload_size_bytes",
            ],
            4,
        ),
        any::<u64>(),
    )
        .prop_map(|(name, attributes, t)| Event {
            time_unix_nano: t,
            name: name.into(),
            attributes,
            dropped_attributes_count: 0,
        })
}

fn span() -> impl Strategy<Value = Span> {
    (
        id(&[16, 16, 16, 0, 15]),
        id(&[8, 8, 8, 0, 7]),
        id(&[0, 8, 8, 3]),
        ".{0,30}",
        0i32..7,
        attrs(KEYS, 16),
        proptest::collection::vec(event(), 0..3),
        proptest::collection::vec((id(&[16, 16, 4]), id(&[8]), attrs(KEYS, 2)), 0..2),
        (0i32..4, ".{0,10}"),
        (any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |(trace_id, span_id, parent_span_id, name, kind, attributes, events, links, status, times)| Span {
                trace_id,
                span_id,
                parent_span_id,
                name,
                kind,
                start_time_unix_nano: times.0,
                end_time_unix_nano: times.1,
                attributes,
                events,
                links: links
                    .into_iter()
                    .map(|(trace_id, span_id, attributes)| Link {
                        trace_id,
                        span_id,
                        attributes,
                        ..Link::default()
                    })
                    .collect(),
                status: Some(Status {
                    code: status.0,
                    message: status.1,
                }),
                ..Span::default()
            },
        )
}

fn request() -> impl Strategy<Value = ExportTraceServiceRequest> {
    proptest::collection::vec((attrs(RESOURCE_KEYS, 8), proptest::collection::vec(span(), 0..6)), 1..3).prop_map(|rs| {
        ExportTraceServiceRequest {
            resource_spans: rs
                .into_iter()
                .map(|(attributes, spans)| ResourceSpans {
                    resource: Some(Resource {
                        attributes,
                        ..Resource::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        spans,
                        ..ScopeSpans::default()
                    }],
                    ..ResourceSpans::default()
                })
                .collect(),
        }
    })
}

fn config() -> impl Strategy<Value = TranslatorConfig> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(all, dots, v1, check, ev)| TranslatorConfig {
            indexed_attributes: vec![
                "custom.key".into(),
                "http.method".into(),
                "otel.resource.service.name".into(),
            ],
            index_all_attributes: all,
            annotation_keys_allow_dot: dots,
            validate_trace_id_timestamp: check,
            preserve_span_events: ev,
            http_conventions: otel_xray_translate::ConventionReading {
                read_v0: !v1,
                read_v1: v1,
            },
            db_conventions: otel_xray_translate::ConventionReading {
                read_v0: true,
                read_v1: v1,
            },
            ..TranslatorConfig::default()
        })
}

fn check_batch(req: &ExportTraceServiceRequest, cfg: TranslatorConfig, budget: Budget) -> Result<(), TestCaseError> {
    let translator = Translator::new(cfg);
    let mut batch = DocumentBatch::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    translator.translate_resource_spans_with_ids(
        &req.resource_spans,
        BatchOptions {
            now_unix_secs: support::NOW,
            budget,
        },
        &mut rng,
        &mut batch,
    );
    let spans: usize = req
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    prop_assert_eq!(batch.spans(), spans);
    prop_assert!(
        batch.len() + batch.failures().len() >= spans,
        "a span vanished without a failure"
    );
    for (info, bytes) in batch.documents() {
        prop_assert!(bytes.len() <= budget.max_document_bytes());
        let doc: serde_json::Value = serde_json::from_slice(bytes).expect("documents are JSON");
        for field in [
            "name",
            "id",
            "trace_id",
            "start_time",
            "end_time",
            "fault",
            "error",
            "throttle",
        ] {
            prop_assert!(doc.get(field).is_some(), "missing {field} in {doc}");
        }
        let name = doc["name"].as_str().unwrap();
        prop_assert!(!name.is_empty() && name.len() <= 203);
        prop_assert_eq!(doc["id"].as_str().unwrap(), info.id.to_string());
        prop_assert_eq!(doc["trace_id"].as_str().unwrap().len(), 35);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_every_document_fits(req in request(), cfg in config()) {
        check_batch(&req, cfg, Budget::PutTraceSegments)?;
    }

    #[test]
    fn tight_budgets_shrink_or_drop_never_exceed(req in request(), limit in 200usize..4000) {
        check_batch(&req, TranslatorConfig::default(), Budget::Bytes(limit))?;
    }

    #[test]
    fn arbitrary_protobuf_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(req) = ExportTraceServiceRequest::decode(bytes.as_slice()) {
            check_batch(&req, TranslatorConfig::default(), Budget::DaemonUdp)?;
        }
    }

    #[test]
    fn mutated_valid_protobuf_never_panics(req in request(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut bytes = req.encode_to_vec();
        if !bytes.is_empty() {
            for (pos, val) in flips {
                let n = bytes.len();
                bytes[pos % n] = val;
            }
        }
        if let Ok(req) = ExportTraceServiceRequest::decode(bytes.as_slice()) {
            check_batch(&req, TranslatorConfig::default(), Budget::PutTraceSegments)?;
        }
    }
}

/// A document with a huge stack trace, many annotations and large metadata is shrunk to fit,
/// not dropped: what is kept (name, ids, flags, the `aws` block) is what the service map needs.
#[test]
fn oversized_document_is_shrunk_to_fit() {
    use support::*;
    let big = "x".repeat(70_000);
    let mut b = span(
        9,
        1,
        "big",
        opentelemetry_proto::tonic::trace::v1::span::SpanKind::Server,
    )
    .attr("http.request.method", s("GET"))
    .attr("url.full", s(&format!("http://h/{big}")))
    .attr("blob", s(&big));
    for n in 0..60 {
        b = b.attr(&format!("k{n}"), s(&"v".repeat(1000)));
    }
    let req = request(vec![resource_spans(
        vec![kv("service.name", s("svc"))],
        vec![b.build()],
    )]);
    let (docs, failures) = translate(
        TranslatorConfig {
            index_all_attributes: true,
            ..Default::default()
        },
        &req,
        Budget::PutTraceSegments,
    );
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(docs.len(), 1);
    let doc = &docs[0];
    assert_eq!(doc["name"], "svc");
    assert!(serde_json::to_vec(doc).unwrap().len() <= 65_536);
    assert_eq!(
        doc["http"]["request"]["url"].as_str().unwrap().len(),
        1024,
        "URL cut to 1,024 bytes"
    );
}
