//! `otel-xray translate`, run as a process: OTLP/JSON and protobuf in, one X-Ray segment document
//! per stdout line, one stderr line per span that cannot be translated.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use serde_json::{Value, json};

/// The trace id of every span in the data files; its epoch (0x5759e988) is in June 2016.
const OLD_TRACE_ID: &str = "5759e988bd862e3fe1be46a994272793";

// ---------------------------------------------------------------------------------------------
// Helpers

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn read_data(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).expect("test data")
}

fn otel_xray() -> Command {
    Command::new(env!("CARGO_BIN_EXE_otel-xray"))
}

/// Runs `otel-xray translate <args>` with `stdin` as standard input.
fn translate(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = otel_xray()
        .arg("translate")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_vec();
    // A writer thread: the child may stop reading early (size limit) or fill its stdout first.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("runs");
    writer.join().expect("writer");
    output
}

/// Runs `otel-xray translate <args> <data file>`.
fn translate_file(args: &[&str], name: &str) -> Output {
    let path = data(name);
    translate(&[args, &[path.to_str().expect("utf-8 path")]].concat(), b"")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// Each stdout line as a JSON object, checking the line protocol on the way.
fn documents(out: &Output) -> Vec<Value> {
    assert!(out.status.success(), "exit {:?}; stderr: {}", out.status, stderr(out));
    let text = String::from_utf8(out.stdout.clone()).expect("utf-8 stdout");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "every line ends with a newline"
    );
    text.lines()
        .map(|line| {
            let doc: Value = serde_json::from_str(line).expect("each line is one JSON document");
            assert!(doc.is_object(), "{line}");
            doc
        })
        .collect()
}

fn by_name<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no document {name:?} in {docs:#?}"))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `1-<8 hex>-<24 hex>`.
fn assert_xray_trace_id(doc: &Value) {
    let id = doc["trace_id"].as_str().expect("trace_id is a string");
    let parts: Vec<&str> = id.split('-').collect();
    assert!(
        parts.len() == 3 && parts[0] == "1" && is_hex(parts[1], 8) && is_hex(parts[2], 24),
        "{id}"
    );
}

/// The document with the random parts (exception ids) blanked, for comparing two runs.
fn without_random_ids(mut doc: Value) -> Value {
    if let Some(exceptions) = doc.pointer_mut("/cause/exceptions").and_then(Value::as_array_mut) {
        for e in exceptions {
            e["id"] = json!("<random>");
        }
    }
    doc
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn string(s: &str) -> any_value::Value {
    any_value::Value::StringValue(s.into())
}

// ---------------------------------------------------------------------------------------------
// Documents

#[test]
fn api_gateway_server_span_becomes_a_segment() {
    let out = translate_file(&[], "orders_api.json");
    let docs = documents(&out);
    let seg = by_name(&docs, "orders-api");
    assert_eq!(seg["id"], "53995c3f42cd8ad8");
    assert_eq!(seg["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
    assert_xray_trace_id(seg);
    assert_eq!(seg["start_time"], json!(1_465_510_280.123_456));
    assert_eq!(seg["end_time"], json!(1_465_510_280.223_456));
    for absent in ["parent_id", "type", "namespace", "cause", "annotations"] {
        assert!(seg.get(absent).is_none(), "{absent} in {seg}");
    }
    assert_eq!(seg["origin"], "AWS::EC2::Instance");
    assert_eq!(seg["service"], json!({"version": "1.4.2"}));
    assert_eq!(
        seg["http"],
        json!({
            "request": {
                "method": "GET",
                "url": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/orders/42?expand=items",
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64) curl-compatible",
                "client_ip": "203.0.113.7",
                "x_forwarded_for": true
            },
            "response": {"status": 200, "content_length": 0}
        })
    );
    assert_eq!(
        (&seg["fault"], &seg["error"], &seg["throttle"]),
        (&json!(false), &json!(false), &json!(false))
    );
    assert_eq!(seg["aws"]["account_id"], "123456789012");
    assert_eq!(seg["aws"]["ec2"]["instance_id"], "i-0a1b2c3d4e5f60718");
    assert_eq!(
        seg["aws"]["xray"],
        json!({"sdk": "opentelemetry for python", "sdk_version": "1.27.0", "auto_instrumentation": true})
    );
    let meta = &seg["metadata"]["default"];
    assert_eq!(meta["http.route"], "/orders/{order_id}");
    assert_eq!(meta["apigateway.stage"], "prod");
    assert_eq!(meta["otel.resource.service.name"], "orders-api");
    assert!(meta.get("http.method").is_none(), "consumed by the http block");
}

#[test]
fn dynamodb_client_span_becomes_an_aws_subsegment() {
    let docs = documents(&translate_file(&[], "orders_api.json"));
    let sub = by_name(&docs, "DynamoDB");
    assert_eq!(sub["id"], "6a8fd1c2b3e4f507");
    assert_eq!(sub["parent_id"], "53995c3f42cd8ad8");
    assert_eq!(sub["type"], "subsegment");
    assert_eq!(sub["namespace"], "aws");
    assert_xray_trace_id(sub);
    let aws = &sub["aws"];
    assert_eq!(aws["operation"], "GetItem");
    assert_eq!(aws["region"], "us-east-1");
    assert_eq!(aws["table_name"], "orders");
    assert_eq!(
        aws["request_id"],
        "V4HJQ0S7ULJ7QBH3QKT6QD1UBBVV4KQNSO5AEMVJF66Q9ASUAAJG"
    );
    assert_eq!(sub["http"]["response"]["status"], 200);
    let meta = &sub["metadata"]["default"];
    assert_eq!(meta["aws.dynamodb.consistent_read"], true);
    assert_eq!(meta["aws.dynamodb.table_names"], json!(["orders"]));
    assert_eq!(meta["retry_attempts"], 0);
    assert!(meta.get("rpc.method").is_none(), "consumed into aws.operation");
    assert!(
        meta.get("otel.resource.service.name").is_none(),
        "subsegments carry no resource"
    );
    assert!(sub.get("annotations").is_none());
}

#[test]
fn exception_event_becomes_a_cause_with_python_frames() {
    let docs = documents(&translate_file(&[], "orders_api.json"));
    let sub = by_name(&docs, "price_order");
    assert_eq!(sub["type"], "subsegment");
    assert!(sub.get("namespace").is_none());
    assert_eq!((&sub["fault"], &sub["error"]), (&json!(true), &json!(false)));
    let exceptions = sub["cause"]["exceptions"].as_array().expect("exceptions");
    assert_eq!(exceptions.len(), 1);
    let e = &exceptions[0];
    assert!(is_hex(e["id"].as_str().expect("id"), 16), "{e}");
    assert_eq!(e["type"], "ValueError");
    assert_eq!(e["message"], "order 42 has no priced items");
    assert_eq!(
        e["stack"],
        json!([
            {"path": "/app/orders/pricing.py", "line": 41, "label": "compute_total"},
            {"path": "/app/orders/pricing.py", "line": 88, "label": "price_order"}
        ])
    );
    let meta = &sub["metadata"]["default"];
    assert_eq!(meta["order.id"], 42, "intValue strings become JSON integers");
    assert_eq!(meta["order.total"], 19.99);
    assert_eq!(meta["order.express"], false);
    assert_eq!(meta["order.items"], json!(["sku-1", "sku-2"]));
    assert_eq!(
        meta["otel.events"],
        json!([{"name": "cache miss", "timestamp": 1_465_510_280.161, "attributes": {"cache.key": "price:42"}}])
    );
}

#[test]
fn documents_follow_input_order_and_a_bad_span_gives_one_stderr_line() {
    let out = translate_file(&[], "orders_api.json");
    let docs = documents(&out);
    let ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["53995c3f42cd8ad8", "6a8fd1c2b3e4f507", "7b90e2d3c4f50618"]);
    assert_eq!(
        stderr(&out),
        "otel-xray translate: span 0000000000000000 (\"audit_log\", resourceSpans[0].scopeSpans[0].spans[3]) \
         not translated: invalid span id: expected 8 bytes, not all zero (got 8 bytes)\n"
    );
}

#[test]
fn local_root_client_span_splits_into_subsegment_then_service_segment() {
    let out = translate_file(&[], "local_root_sqs.json");
    let docs = documents(&out);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let [dependency, service] = docs.as_slice() else {
        panic!("two documents: {docs:#?}")
    };
    assert_eq!(dependency["name"], "SQS", "AWS:: trimmed from aws.remote.service");
    assert_eq!(dependency["id"], "1c2d3e4f5a6b7c8d");
    assert_eq!(dependency["type"], "subsegment");
    assert_eq!(dependency["namespace"], "aws");
    assert_eq!(dependency["aws"]["operation"], "SendMessage");
    assert_eq!(
        dependency["aws"]["queue_url"],
        "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
    );
    assert_eq!(service["name"], "checkout-worker");
    assert!(is_hex(service["id"].as_str().expect("id"), 16));
    assert_eq!(
        dependency["parent_id"], service["id"],
        "the subsegment hangs under the new segment"
    );
    assert_ne!(service["id"], dependency["id"]);
    for absent in ["parent_id", "type", "namespace", "http"] {
        assert!(service.get(absent).is_none(), "{absent} in {service}");
    }
    assert!(service["aws"].get("operation").is_none() && service["aws"].get("queue_url").is_none());
    assert_eq!(service["origin"], "AWS::ECS::Fargate");
    assert_eq!(service["trace_id"], dependency["trace_id"]);
    assert_eq!(service["start_time"], dependency["start_time"]);
}

#[test]
fn stdin_and_dash_read_the_same_request_as_a_file() {
    let from_file: Vec<Value> = documents(&translate_file(&[], "orders_api.json"))
        .into_iter()
        .map(without_random_ids)
        .collect();
    for args in [&[][..], &["-"][..]] {
        let from_stdin: Vec<Value> = documents(&translate(args, &read_data("orders_api.json")))
            .into_iter()
            .map(without_random_ids)
            .collect();
        assert_eq!(from_stdin, from_file, "args {args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Flags

#[test]
fn indexed_attribute_makes_an_annotation() {
    let docs = documents(&translate_file(
        &[
            "--indexed-attribute",
            "rpc.method",
            "--indexed-attribute",
            "otel.resource.cloud.region",
        ],
        "orders_api.json",
    ));
    let sub = by_name(&docs, "DynamoDB");
    assert_eq!(sub["annotations"], json!({"rpc.method": "GetItem"}));
    assert_eq!(sub["aws"]["operation"], "GetItem", "still read into the aws block");
    let seg = by_name(&docs, "orders-api");
    assert_eq!(seg["annotations"], json!({"otel.resource.cloud.region": "us-east-1"}));
    assert!(seg["metadata"]["default"].get("otel.resource.cloud.region").is_none());
}

#[test]
fn annotation_key_dots_false_replaces_dots_by_underscores() {
    let args = ["--indexed-attribute", "rpc.method", "--annotation-key-dots=false"];
    let docs = documents(&translate_file(&args, "orders_api.json"));
    assert_eq!(
        by_name(&docs, "DynamoDB")["annotations"],
        json!({"rpc_method": "GetItem"})
    );
    let args = ["--indexed-attribute", "rpc.method", "--annotation-key-dots=true"];
    let docs = documents(&translate_file(&args, "orders_api.json"));
    assert_eq!(
        by_name(&docs, "DynamoDB")["annotations"],
        json!({"rpc.method": "GetItem"})
    );
}

#[test]
fn index_all_attributes_annotates_scalars_and_drops_the_rest() {
    let docs = documents(&translate_file(&["--index-all-attributes"], "orders_api.json"));
    let sub = by_name(&docs, "price_order");
    assert_eq!(
        sub["annotations"],
        json!({"order.id": 42, "order.total": 19.99, "order.express": false})
    );
    let meta = &sub["metadata"]["default"];
    assert!(
        meta.get("order.items").is_none() && meta.get("order.id").is_none(),
        "{meta}"
    );
    let seg = by_name(&docs, "orders-api");
    assert_eq!(seg["annotations"]["otel.resource.service.name"], "orders-api");
    assert_eq!(seg["annotations"]["faas.trigger"], "http");
}

#[test]
fn log_group_fills_cloudwatch_logs_when_the_resource_names_none() {
    let docs = documents(&translate_file(
        &["--log-group", "/aws/apigateway/orders", "--log-group", "orders-app"],
        "orders_api.json",
    ));
    for doc in &docs {
        assert_eq!(
            doc["aws"]["cloudwatch_logs"],
            json!([{"log_group": "/aws/apigateway/orders"}, {"log_group": "orders-app"}]),
            "{doc}"
        );
    }
    let docs = documents(&translate_file(&[], "orders_api.json"));
    assert!(docs.iter().all(|d| d["aws"].get("cloudwatch_logs").is_none()));
}

#[test]
fn validate_trace_id_time_rejects_an_old_epoch() {
    let out = translate_file(&["--validate-trace-id-time"], "orders_api.json");
    assert!(documents(&out).is_empty());
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    for (line, id) in lines[..3]
        .iter()
        .zip(["53995c3f42cd8ad8", "6a8fd1c2b3e4f507", "7b90e2d3c4f50618"])
    {
        assert!(line.starts_with(&format!("otel-xray translate: span {id} (")), "{line}");
        assert!(
            line.ends_with(&format!("not translated: invalid xray traceid: {OLD_TRACE_ID}")),
            "{line}"
        );
    }
    assert!(lines[3].contains("invalid span id"), "{}", lines[3]);
}

#[test]
fn validate_trace_id_time_accepts_a_current_epoch() {
    let fresh = format!("{:08x}", unix_now() - 60);
    let input = String::from_utf8(read_data("orders_api.json"))
        .expect("utf-8")
        .replace(&OLD_TRACE_ID[..8], &fresh);
    let out = translate(&["--validate-trace-id-time"], input.as_bytes());
    let docs = documents(&out);
    assert_eq!(docs.len(), 3, "{}", stderr(&out));
    assert!(
        docs.iter()
            .all(|d| d["trace_id"].as_str().expect("id").starts_with(&format!("1-{fresh}-")))
    );
    let ahead = format!("{:08x}", unix_now() + 3600);
    let input = input.replace(&fresh, &ahead);
    let out = translate(&["--validate-trace-id-time"], input.as_bytes());
    assert!(documents(&out).is_empty());
    assert!(
        stderr(&out).contains(&format!("invalid xray traceid: {ahead}")),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// Protobuf input

#[test]
fn proto_reads_a_protobuf_request_built_with_prost() {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", string("payments")),
                    kv("cloud.provider", string("aws")),
                    kv("cloud.platform", string("aws_eks")),
                    kv("k8s.cluster.name", string("prod-eu")),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: vec![0x5a, 0x0b, 0x1c, 0x2d, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                    span_id: vec![0xab; 8],
                    name: "POST /charge".into(),
                    kind: 2,
                    start_time_unix_nano: 1_700_000_000_000_000_000,
                    end_time_unix_nano: 1_700_000_000_250_000_000,
                    attributes: vec![
                        kv("http.method", string("POST")),
                        kv("http.status_code", any_value::Value::IntValue(503)),
                    ],
                    status: Some(Status {
                        code: 2,
                        message: "upstream unavailable".into(),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let out = translate(&["--proto"], &request.encode_to_vec());
    let docs = documents(&out);
    let [seg] = docs.as_slice() else { panic!("{docs:#?}") };
    assert_eq!(seg["name"], "payments");
    assert_eq!(seg["id"], "abababababababab");
    assert_eq!(seg["trace_id"], "1-5a0b1c2d-0102030405060708090a0b0c");
    assert_eq!(seg["origin"], "AWS::EKS::Container");
    assert_eq!(seg["aws"]["eks"]["cluster_name"], "prod-eu");
    assert_eq!(seg["http"]["request"]["method"], "POST");
    assert_eq!(seg["http"]["response"]["status"], 503);
    assert_eq!((&seg["fault"], &seg["error"]), (&json!(true), &json!(false)));
    assert_eq!(seg["cause"]["exceptions"][0]["message"], "upstream unavailable");
}

#[test]
fn proto_and_json_give_the_same_documents() {
    // opentelemetry-proto's own serde reads this file once the empty `arrayValue` is spelled with
    // an explicit `values` list (it rejects `{}`, one reason the binary has its own decoder).
    let text = String::from_utf8(read_data("orders_api.json"))
        .expect("utf-8")
        .replace(r#"{ "arrayValue": {} }"#, r#"{ "arrayValue": { "values": [] } }"#);
    let request: ExportTraceServiceRequest = serde_json::from_str(&text).expect("opentelemetry-proto serde");
    let from_proto: Vec<Value> = documents(&translate(&["--proto"], &request.encode_to_vec()))
        .into_iter()
        .map(without_random_ids)
        .collect();
    let from_json: Vec<Value> = documents(&translate(&[], &read_data("orders_api.json")))
        .into_iter()
        .map(without_random_ids)
        .collect();
    assert_eq!(from_proto.len(), 3);
    assert_eq!(from_proto, from_json);
}

#[test]
fn invalid_protobuf_reports_prosts_error() {
    let out = translate(&["--proto"], &[0x0a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x00]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        "otel-xray translate: error: invalid OTLP protobuf in standard input (7 bytes): failed to decode \
         Protobuf message: Resource.attributes: ResourceSpans.resource: ExportTraceServiceRequest.resource_spans: \
         invalid tag value: 0\n"
    );
}

#[test]
fn json_given_to_proto_and_protobuf_given_as_json_get_a_hint() {
    let out = translate(&["--proto"], &read_data("orders_api.json"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(the input looks like JSON: drop --proto)"),
        "{}",
        stderr(&out)
    );

    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans::default()],
    };
    let out = translate(&[], &request.encode_to_vec());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("(the input looks like binary protobuf: add --proto)"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// Input that cannot be read or decoded

#[test]
fn bad_hex_id_names_line_column_and_field() {
    let input = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"53995c3f42cd8adZ"}]}]}]}"#;
    let out = translate(&[], input);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        "otel-xray translate: error: invalid OTLP/JSON in standard input at line 1, column 116 (byte 115), \
         field resourceSpans[0].scopeSpans[0].spans[0].spanId: invalid hex id \"53995c3f42cd8adZ\": 'Z' at \
         character 15 is not a hex digit; near `…6a994272793\",\"spanId\":\"53995c3f42cd8adZ\"}]}]}]}`\n"
    );
}

#[test]
fn wrong_value_type_names_the_attribute_field() {
    let input = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"53995c3f42cd8ad8","attributes":[
        {"key":"ok","value":{"stringValue":"x"}},
        {"key":"n","value":{"intValue":"12x"}}]}]}]}]}"#;
    let out = translate(&[], input);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "at line 3, column 44 (byte 180), field resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value.intValue: \
             invalid value: string \"12x\", expected an int64 as a JSON integer or a string of decimal digits"
        ),
        "{err}"
    );
}

#[test]
fn truncated_json_reports_where_it_ended() {
    let input = read_data("orders_api.json");
    let out = translate(&[], &input[..1500]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("otel-xray translate: error: invalid OTLP/JSON in standard input at line "),
        "{err}"
    );
    assert!(
        err.contains("(byte 1499), field resourceSpans[0].scopeSpans[0]"),
        "{err}"
    );
    assert!(err.contains(": EOF while parsing"), "{err}");
}

#[test]
fn not_json_at_all_is_refused_at_byte_0() {
    let out = translate(&[], b"resourceSpans: []\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("at line 1, column 1 (byte 0): expected a JSON object (an ExportTraceServiceRequest), found 'r'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn empty_input_is_an_error() {
    for (args, expected) in [
        (
            &[][..],
            "standard input is empty: expected an OTLP/JSON ExportTraceServiceRequest",
        ),
        (
            &["--proto"][..],
            "standard input is empty: expected an OTLP protobuf ExportTraceServiceRequest",
        ),
    ] {
        let out = translate(args, b"");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&out), format!("otel-xray translate: error: {expected}\n"));
    }
    let out = translate(&[], b" \n\t");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn missing_file_is_an_error() {
    let path = data("does-not-exist.json");
    let out = translate(&[path.to_str().expect("utf-8")], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "otel-xray translate: error: cannot read input file '{}': ",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn input_over_64_mib_is_refused() {
    const LIMIT: u64 = 64 * 1024 * 1024;
    let dir = std::env::temp_dir().join(format!("otel-xray-translate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("huge.json");
    std::fs::File::create(&path)
        .expect("create")
        .set_len(LIMIT + 1)
        .expect("sparse file");
    let out = translate(&[path.to_str().expect("utf-8")], b"");
    std::fs::remove_dir_all(&dir).expect("cleanup");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "otel-xray translate: error: input file '{}' is larger than 67108864 bytes; split the request\n",
            path.display()
        )
    );

    let mut big = vec![b' '; LIMIT as usize + 1];
    big[0] = b'{';
    let out = translate(&[], &big);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "otel-xray translate: error: standard input is larger than 67108864 bytes; split the request\n"
    );
}

#[test]
fn unknown_fields_nulls_and_enum_names_are_accepted() {
    let input = br#"{"resourceSpans":[{"resource":null,"futureField":{"x":[1]},"scopeSpans":[{"spans":[
        {"traceId":"5759E988BD862E3FE1BE46A994272793","spanId":"53995C3F42CD8AD8","name":"job","kind":"SPAN_KIND_SERVER",
         "traceState":null,"startTimeUnixNano":1465510280000000000,"endTimeUnixNano":"1465510281000000000",
         "attributes":[{"key":"empty.list","value":{"arrayValue":{}}},{"key":"ratio","value":{"doubleValue":"0.5"}}],
         "status":{"code":"STATUS_CODE_ERROR","message":"failed"},"somethingNew":true}]}]}]}"#;
    let docs = documents(&translate(&[], input));
    let [doc] = docs.as_slice() else { panic!("{docs:#?}") };
    assert_eq!(doc["id"], "53995c3f42cd8ad8");
    assert_eq!(doc["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
    assert_eq!(doc["name"], "job");
    assert_eq!(doc["end_time"], json!(1_465_510_281.0));
    assert_eq!(doc["fault"], true);
    assert_eq!(doc["metadata"]["default"]["ratio"], 0.5);
}

#[test]
fn a_nan_attribute_fails_only_its_span() {
    let input = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"1111111111111111","name":"nan","kind":1,
         "attributes":[{"key":"x","value":{"doubleValue":"NaN"}}]},
        {"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"2222222222222222","name":"fine","kind":1}]}]}]}"#;
    let out = translate(&[], input);
    let docs = documents(&out);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], "2222222222222222");
    let err = stderr(&out);
    assert!(
        err.starts_with("otel-xray translate: span 1111111111111111 (\"nan\", resourceSpans[0].scopeSpans[0].spans[0]) not translated: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Process behaviour

#[test]
fn closed_stdout_ends_quietly() {
    let span = |i: usize| {
        format!(
            r#"{{"traceId":"{OLD_TRACE_ID}","spanId":"{:016x}","name":"span {i}","kind":2,"startTimeUnixNano":"1465510280000000000","endTimeUnixNano":"1465510281000000000","attributes":[{{"key":"http.method","value":{{"stringValue":"GET"}}}}]}}"#,
            i + 1
        )
    };
    let spans: Vec<String> = (0..20_000).map(span).collect();
    let input = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    let mut child = otel_xray()
        .arg("translate")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    drop(stdout); // like `| head -1`
    let out = child.wait_with_output().expect("exits");
    writer.join().expect("writer");
    let first: Value = serde_json::from_str(&first).expect("a document");
    assert_eq!(first["id"], "0000000000000001");
    assert!(out.status.success(), "exit {:?}: {}", out.status, stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    let out = translate(&["--annotation-key-dots=maybe"], b"{}");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid value 'maybe' for '--annotation-key-dots"),
        "{}",
        stderr(&out)
    );
    // (Without a subcommand `otel-xray` runs the gateway: see tests/local_default.rs.)
    let out = otel_xray().arg("frobnicate").output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "an unknown subcommand is a usage error");
}

#[test]
fn help_documents_every_flag() {
    let out = otel_xray().args(["translate", "--help"]).output().expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).expect("utf-8");
    for flag in [
        "[FILE]",
        "--proto",
        "--indexed-attribute <KEY>",
        "--index-all-attributes",
        "--log-group <NAME>",
        "--validate-trace-id-time",
        "--annotation-key-dots[=<BOOL>]",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn empty_request_gives_no_output() {
    let out = translate(&[], b"{}");
    assert!(documents(&out).is_empty());
    assert!(stderr(&out).is_empty());
    let out = translate(&[], br#"{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}"#);
    assert!(documents(&out).is_empty());
}
