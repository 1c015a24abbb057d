//! The whole library path against moto, an independent X-Ray implementation: an SDK tracer
//! provider with a `BatchSpanProcessor` and `XrayExporter::builder().with_api(&sdk_config)`,
//! spans → translation → `PutTraceSegments` → moto, read back with `GetTraceSummaries` and
//! `BatchGetTraces`.

#[path = "../../otel-xray-transport/tests/support/moto.rs"]
mod moto;

use std::collections::BTreeMap;

use moto::{Moto, read_back};
use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use otel_xray::{XrayExporter, XrayIdGenerator};
use serde_json::Value as Json;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A checkout request: the SERVER span, an HTTP call to the inventory service and a DynamoDB
/// `GetItem` made by the AWS SDK.
fn record_checkout(provider: &SdkTracerProvider) -> String {
    let tracer = provider.tracer("checkout");
    let mut root = tracer
        .span_builder("GET /orders/{id}")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("url.scheme", "https"),
            KeyValue::new("server.address", "orders.example.com"),
            KeyValue::new("url.path", "/orders/42"),
            KeyValue::new("http.route", "/orders/{id}"),
            KeyValue::new("user_agent.original", "curl/8.5.0"),
            KeyValue::new("client.address", "203.0.113.7"),
        ])
        .start(&tracer);
    root.set_attribute(KeyValue::new("http.response.status_code", 200));
    let trace_id = root.span_context().trace_id().to_string();
    let cx = opentelemetry::Context::current_with_span(root);
    {
        let _guard = cx.clone().attach();
        let mut http = tracer
            .span_builder("GET")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("url.full", "https://inventory.internal/items/7"),
                KeyValue::new("server.address", "inventory.internal"),
                KeyValue::new("peer.service", "inventory.internal"),
            ])
            .start(&tracer);
        http.set_attribute(KeyValue::new("http.response.status_code", 200));
        http.end();

        let mut dynamo = tracer
            .span_builder("DynamoDB.GetItem")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("rpc.system", "aws-api"),
                KeyValue::new("rpc.service", "DynamoDB"),
                KeyValue::new("rpc.method", "GetItem"),
                KeyValue::new("aws.region", "us-east-1"),
                KeyValue::new(
                    "aws.dynamodb.table_names",
                    Value::Array(Array::String(vec![StringValue::from("orders")])),
                ),
            ])
            .start(&tracer);
        dynamo.set_attribute(KeyValue::new(
            "aws.request_id",
            "V4O2JSSNG2CM7KQ3HV5G4JPFSNVV4KQNSO5AEMVJF66Q9ASUAAJG",
        ));
        dynamo.set_attribute(KeyValue::new("http.response.status_code", 200));
        dynamo.end();
    }
    cx.span().end();
    trace_id
}

#[test]
fn spans_reach_moto_through_the_batch_processor_and_come_back_as_x_ray_documents() {
    let Some(moto) = Moto::start() else { return };
    let rt = runtime();
    let sdk_config = rt.block_on(moto.sdk_config());
    let exporter = XrayExporter::builder().with_api(&sdk_config).build().unwrap();
    let stats = exporter.stats();
    let provider = SdkTracerProvider::builder()
        .with_id_generator(XrayIdGenerator::new())
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder_empty()
                .with_attributes([
                    KeyValue::new("service.name", "orders-api"),
                    KeyValue::new("cloud.provider", "aws"),
                    KeyValue::new("cloud.platform", "aws_ec2"),
                    KeyValue::new("host.id", "i-0123456789abcdef0"),
                ])
                .build(),
        )
        .build();

    let otel_trace_id = record_checkout(&provider);
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();

    let s = stats.snapshot();
    assert_eq!((s.spans, s.documents), (3, 3), "{s:?}");
    assert_eq!(s.delivered, s.documents, "{s:?}");
    assert_eq!((s.dropped, s.translation_failures, s.retries), (0, 0, 0), "{s:?}");

    let client = aws_sdk_xray::Client::new(&sdk_config);
    let stored = rt.block_on(read_back(&client));
    let xray_trace_id = format!("1-{}-{}", &otel_trace_id[..8], &otel_trace_id[8..]);
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        [&xray_trace_id],
        "one trace, in X-Ray form"
    );
    let docs: BTreeMap<String, Json> = stored[&xray_trace_id]
        .iter()
        .map(|(id, text)| {
            let doc: Json = serde_json::from_str(text).unwrap();
            assert_eq!(doc["id"], id.as_str());
            assert_eq!(doc["trace_id"], xray_trace_id.as_str());
            (doc["name"].as_str().unwrap().to_owned(), doc)
        })
        .collect();
    let names: Vec<&str> = docs.keys().map(String::as_str).collect();
    assert_eq!(names, ["DynamoDB", "inventory.internal", "orders-api"], "{docs:#?}");

    let root = &docs["orders-api"];
    assert_eq!(root.get("type"), None, "the SERVER span is a segment: {root:#}");
    assert_eq!(root.get("parent_id"), None);
    assert_eq!(root["origin"], "AWS::EC2::Instance");
    assert_eq!(root["aws"]["ec2"]["instance_id"], "i-0123456789abcdef0");
    assert_eq!(root["http"]["request"]["method"], "GET");
    assert_eq!(root["http"]["request"]["url"], "https://orders.example.com/orders/42");
    assert_eq!(root["http"]["request"]["user_agent"], "curl/8.5.0");
    assert_eq!(root["http"]["request"]["client_ip"], "203.0.113.7");
    assert_eq!(root["http"]["response"]["status"], 200);
    assert!(root["end_time"].as_f64().unwrap() >= root["start_time"].as_f64().unwrap());
    assert_eq!(root["metadata"]["default"]["http.route"], "/orders/{id}");

    let http = &docs["inventory.internal"];
    assert_eq!(http["type"], "subsegment");
    assert_eq!(http["parent_id"], root["id"]);
    assert_eq!(http["namespace"], "remote");
    assert_eq!(http["http"]["request"]["method"], "GET");
    assert_eq!(http["http"]["request"]["url"], "https://inventory.internal/items/7");
    assert_eq!(http["http"]["response"]["status"], 200);
    assert_eq!(http["fault"], false);

    let dynamo = &docs["DynamoDB"];
    assert_eq!(dynamo["type"], "subsegment");
    assert_eq!(dynamo["parent_id"], root["id"]);
    assert_eq!(dynamo["namespace"], "aws");
    assert_eq!(dynamo["aws"]["operation"], "GetItem");
    assert_eq!(dynamo["aws"]["region"], "us-east-1");
    assert_eq!(dynamo["aws"]["table_name"], "orders");
    assert_eq!(
        dynamo["aws"]["request_id"],
        "V4O2JSSNG2CM7KQ3HV5G4JPFSNVV4KQNSO5AEMVJF66Q9ASUAAJG"
    );
    assert_eq!(dynamo["http"]["response"]["status"], 200);
}

/// Set in the child process of the test below: moto's endpoint.
const CHILD_ENDPOINT: &str = "OTEL_XRAY_TEST_CHILD_MOTO_ENDPOINT";
const OUTCOME: &str = "CHILD-OUTCOME:";

#[test]
#[ignore = "runs only as the child process of api_options_resolve_credentials_from_the_environment_and_deliver_to_moto"]
fn child_exports_with_api_options() {
    let Ok(endpoint) = std::env::var(CHILD_ENDPOINT) else {
        return;
    };
    let exporter = XrayExporter::builder()
        .with_api_options(otel_xray::ApiOptions {
            endpoint: Some(endpoint),
            region: Some(moto::REGION.into()),
            local_mode: true,
            ..Default::default()
        })
        .build()
        .unwrap();
    let stats = exporter.stats();
    let provider = SdkTracerProvider::builder()
        .with_id_generator(XrayIdGenerator::new())
        .with_simple_exporter(exporter)
        .with_resource(
            Resource::builder_empty()
                .with_attributes([KeyValue::new("service.name", "orders-api")])
                .build(),
        )
        .build();
    let trace_id = record_checkout(&provider);
    provider.shutdown().unwrap();
    let s = stats.snapshot();
    println!(
        "{OUTCOME} trace={trace_id} documents={} delivered={} dropped={}",
        s.documents, s.delivered, s.dropped
    );
}

#[test]
fn api_options_resolve_credentials_from_the_environment_and_deliver_to_moto() {
    // `with_api_options` resolves credentials with aws-config's chain, from the environment here.
    // Tests must not change their own environment, so the export runs in a child process (this
    // test binary again) with dummy credentials and no other `AWS_*` variable.
    let Some(moto) = Moto::start() else { return };
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_exports_with_api_options", "--exact", "--ignored", "--nocapture"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    let home = std::env::temp_dir().join(format!("otel-xray-api-moto-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    cmd.env(CHILD_ENDPOINT, moto.endpoint())
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIAENVSTATIC0000001")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&home);
            panic!("the child did not finish within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&home);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once(OUTCOME).map(|(_, rest)| rest.trim().to_owned()))
        .unwrap_or_else(|| {
            panic!(
                "the child printed no outcome\nstdout:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let fields: BTreeMap<&str, &str> = line.split(' ').filter_map(|kv| kv.split_once('=')).collect();
    assert_eq!(
        (fields["documents"], fields["delivered"], fields["dropped"]),
        ("3", "3", "0"),
        "{line}"
    );
    let otel_trace_id = fields["trace"];
    let xray_trace_id = format!("1-{}-{}", &otel_trace_id[..8], &otel_trace_id[8..]);
    let rt = runtime();
    let client = aws_sdk_xray::Client::new(&rt.block_on(moto.sdk_config()));
    let stored = rt.block_on(read_back(&client));
    assert_eq!(stored.keys().collect::<Vec<_>>(), [&xray_trace_id]);
    assert_eq!(stored[&xray_trace_id].len(), 3);
}
