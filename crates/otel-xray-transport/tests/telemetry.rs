//! `PutTelemetryRecords` through the telemetry reporter against moto, which keeps what it
//! receives; read back from moto's model dump (`/moto-api/data.json`).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use otel_xray_transport::XrayApiSink;
use otel_xray_transport::telemetry::{SegmentCounts, TelemetryMetadata, TelemetryOptions, TelemetryReporter};
use support::moto::Moto;

#[derive(serde::Deserialize)]
struct Dump {
    #[serde(default)]
    xray: XrayModels,
}

#[derive(serde::Deserialize, Default)]
struct XrayModels {
    #[serde(rename = "TelemetryRecords", default)]
    telemetry_records: Vec<StoredCall>,
}

#[derive(serde::Deserialize, Debug)]
struct StoredCall {
    hostname: Option<String>,
    resource_arn: Option<String>,
    records: Vec<serde_json::Value>,
}

async fn stored_calls(moto: &Moto) -> Vec<StoredCall> {
    let text = reqwest::Client::new()
        .get(format!("{}/moto-api/data.json", moto.endpoint()))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("moto answers")
        .text()
        .await
        .expect("a body");
    let dump: Dump = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    dump.xray.telemetry_records
}

#[tokio::test]
async fn the_last_interval_is_sent_at_shutdown_with_the_counts_and_metadata() {
    let Some(moto) = Moto::start() else { return };
    let sink = XrayApiSink::from_sdk_config(&moto.sdk_config().await, Duration::from_secs(10));
    let received = Arc::new(AtomicU64::new(0));
    let totals = Arc::clone(&received);
    let reporter = TelemetryReporter::start(
        sink.client().clone(),
        TelemetryOptions {
            // Never ticks during the test: only the shutdown record is sent.
            interval: Duration::from_secs(3600),
            metadata: Some(TelemetryMetadata {
                hostname: Some("gateway-1".into()),
                instance_id: None,
                resource_arn: Some("arn:aws:ecs:us-east-1:123456789012:task/x".into()),
            }),
        },
        Arc::new(move || SegmentCounts {
            received: totals.load(Ordering::Relaxed),
            sent: 7,
            spillover: 0,
            rejected: 2,
        }),
    );
    // Counted after start: the record carries the difference since then.
    received.store(9, Ordering::Relaxed);
    reporter.shutdown().await;

    let calls = stored_calls(&moto).await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(call.hostname.as_deref(), Some("gateway-1"));
    assert_eq!(
        call.resource_arn.as_deref(),
        Some("arn:aws:ecs:us-east-1:123456789012:task/x")
    );
    assert_eq!(call.records.len(), 1, "{call:?}");
    let record = &call.records[0];
    assert_eq!(record["SegmentsReceivedCount"], 9, "{record}");
    // Totals that did not change since start give 0.
    assert_eq!(record["SegmentsSentCount"], 0, "{record}");
    assert_eq!(record["SegmentsRejectedCount"], 0, "{record}");
    assert!(record["Timestamp"].is_number(), "{record}");
}

#[tokio::test]
async fn an_unreachable_x_ray_does_not_hold_up_shutdown() {
    let Some(moto) = Moto::start() else { return };
    // A client for an endpoint nobody listens on: the call fails, shutdown still returns.
    let dead = support::moto::sdk_config_for("http://127.0.0.1:9").await;
    let dead_client = XrayApiSink::from_sdk_config(&dead, Duration::from_secs(2));
    let reporter = TelemetryReporter::start(
        dead_client.client().clone(),
        TelemetryOptions {
            interval: Duration::from_secs(3600),
            metadata: None,
        },
        Arc::new(SegmentCounts::default),
    );
    reporter.shutdown().await;
    assert!(stored_calls(&moto).await.is_empty());
}
