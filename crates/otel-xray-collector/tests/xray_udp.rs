//! The X-Ray daemon UDP receiver, fed real datagrams over 127.0.0.1: SDK documents reach the
//! pipeline byte for byte, bad datagrams are counted by reason, a full queue refuses, and
//! shutdown closes the socket.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

mod support;

use otel_xray_collector::metrics::{FailureLabel, Metrics, ReceiverLabel, RefusalLabel};
use otel_xray_collector::pipeline::PipelineSettings;
use otel_xray_collector::xray_udp::{XrayUdpOptions, XrayUdpReceiver};
use support::in_process::{Lines, start_pipeline};
use tokio::time::Instant;

const HEADER: &str = r#"{"format":"json","version":1}"#;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/xray_udp/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap().trim().to_owned()
}

fn datagram(doc: &str) -> Vec<u8> {
    format!("{HEADER}\n{doc}").into_bytes()
}

fn produced(metrics: &Metrics) -> u64 {
    metrics
        .documents_produced
        .get_or_create(&ReceiverLabel { receiver: "xray_udp" })
        .get()
}

fn failures(metrics: &Metrics, reason: &str) -> u64 {
    metrics
        .translation_failures
        .get_or_create(&FailureLabel {
            receiver: "xray_udp",
            reason: reason.into(),
        })
        .get()
}

fn refused(metrics: &Metrics, reason: &'static str) -> u64 {
    metrics
        .requests_refused
        .get_or_create(&RefusalLabel {
            receiver: "xray_udp",
            reason,
        })
        .get()
}

/// Polls `done` until it holds, for at most 10 s.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn send_all(to: SocketAddr, datagrams: &[Vec<u8>]) {
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for d in datagrams {
        assert_eq!(client.send_to(d, to).unwrap(), d.len());
    }
}

/// A valid segment padded with metadata to `size` bytes.
fn padded_segment(size: usize) -> String {
    let head = r#"{"name":"big","id":"7a8b9c0d1e2f3a4b","trace_id":"1-6553f103-0123456789abcdef01234567","start_time":1700000003,"end_time":1700000004,"metadata":{"default":{"pad":""#;
    let tail = r#""}}}"#;
    format!("{head}{}{tail}", "p".repeat(size - head.len() - tail.len()))
}

#[tokio::test]
async fn sdk_documents_are_forwarded_as_received_and_bad_datagrams_are_counted_by_reason() {
    let out = Lines::default();
    let settings = PipelineSettings {
        batch_timeout: Duration::from_millis(20),
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start_pipeline(settings, &out);
    let receiver = XrayUdpReceiver::start("127.0.0.1:0".parse().unwrap(), pipeline.ingress()).unwrap();
    let addr = receiver.local_addr();
    assert_ne!(addr.port(), 0);

    // Forwarded: what X-Ray SDKs send.
    let python = fixture("python_segment"); // embedded subsegments three deep, content_length as a string
    let node = fixture("node_error_segment"); // exceptions without ids, "line": null
    let in_progress = fixture("in_progress_segment"); // in_progress without end_time
    let streamed = fixture("streamed_subsegment"); // an independent subsegment
    // The largest document an IPv4 datagram can carry behind the header.
    let big = padded_segment(65_507 - HEADER.len() - 1);
    let valid = [&python, &node, &in_progress, &streamed, &big];

    // Rejected, one per reason.
    let valid_min = r#"{"name":"a","id":"70de5b6f19ff9a0a","trace_id":"1-5759e988-bd862e3fe1be46a994272793","start_time":1,"end_time":2}"#;
    let mut datagrams: Vec<Vec<u8>> = valid.iter().map(|d| datagram(d)).collect();
    datagrams.extend([
        // Garbage: no header line at all.
        vec![0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x13, 0x37],
        // A header that is not the daemon's.
        format!("{{\"format\":\"xml\",\"version\":1}}\n{valid_min}").into_bytes(),
        // Not JSON.
        datagram(r#"{"name": "a", "id": "#),
        // No name.
        datagram(&valid_min.replace(r#""name":"a","#, "")),
        // A trace id without its random part.
        datagram(&valid_min.replace("bd862e3fe1be46a994272793", "xyz")),
    ]);
    send_all(addr, &datagrams);

    wait_until("every datagram to be handled", || {
        produced(&metrics) == 5
            && failures(&metrics, "bad_header") == 2
            && failures(&metrics, "invalid_json") == 1
            && failures(&metrics, "missing_field") == 1
            && failures(&metrics, "invalid_id") == 1
    })
    .await;

    receiver.shutdown().await;
    let report = pipeline.shutdown(Instant::now() + Duration::from_secs(10)).await;
    assert!(report.drained, "{report:?}");
    let mut got = out.lines();
    got.sort();
    let mut expected: Vec<String> = valid.iter().map(|d| (*d).clone()).collect();
    expected.sort();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "documents must be forwarded byte for byte");
    assert_eq!(metrics.documents_sent.get(), 5);
    assert_eq!(refused(&metrics, "queue_full"), 0);
}

#[tokio::test]
async fn datagrams_longer_than_the_limit_are_too_large() {
    let out = Lines::default();
    let settings = PipelineSettings {
        batch_timeout: Duration::from_millis(20),
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start_pipeline(settings, &out);
    let options = XrayUdpOptions {
        max_datagram_bytes: 4_096,
        ..XrayUdpOptions::default()
    };
    let receiver = XrayUdpReceiver::start_with("127.0.0.1:0".parse().unwrap(), options, pipeline.ingress()).unwrap();
    let fits = padded_segment(4_096 - HEADER.len() - 1);
    let over = padded_segment(4_097 - HEADER.len() - 1);
    let far_over = padded_segment(30_000);
    send_all(
        receiver.local_addr(),
        &[datagram(&fits), datagram(&over), datagram(&far_over)],
    );
    wait_until("the datagrams to be handled", || {
        produced(&metrics) == 1 && failures(&metrics, "too_large") == 2
    })
    .await;
    receiver.shutdown().await;
    assert!(
        pipeline
            .shutdown(Instant::now() + Duration::from_secs(10))
            .await
            .drained
    );
    assert_eq!(out.lines(), vec![fits]);
}

#[tokio::test]
async fn a_full_queue_refuses_documents_instead_of_growing() {
    let out = Lines::default();
    // The first document stays in the batcher for an hour, holding its bytes; the queue has
    // room for one.
    let settings = PipelineSettings {
        queue_bytes: 3_000,
        batch_timeout: Duration::from_secs(3_600),
        senders: 1,
        ..PipelineSettings::default()
    };
    let (pipeline, metrics) = start_pipeline(settings, &out);
    let receiver = XrayUdpReceiver::start("127.0.0.1:0".parse().unwrap(), pipeline.ingress()).unwrap();
    let first = padded_segment(2_000);
    let second = padded_segment(2_001);
    send_all(receiver.local_addr(), &[datagram(&first), datagram(&second)]);
    wait_until("the second document to be refused", || {
        produced(&metrics) == 1 && refused(&metrics, "queue_full") == 1
    })
    .await;
    assert!(metrics.queue_bytes.get() <= 3_000);
    receiver.shutdown().await;
    assert!(
        pipeline
            .shutdown(Instant::now() + Duration::from_secs(10))
            .await
            .drained
    );
    assert_eq!(out.lines(), vec![first]);
}

#[tokio::test]
async fn shutdown_ends_the_socket_loop_and_frees_the_port() {
    let out = Lines::default();
    let (pipeline, metrics) = start_pipeline(PipelineSettings::default(), &out);
    let receiver = XrayUdpReceiver::start("127.0.0.1:0".parse().unwrap(), pipeline.ingress()).unwrap();
    let addr = receiver.local_addr();
    // The port is taken while the receiver runs.
    assert!(UdpSocket::bind(addr).is_err());
    tokio::time::timeout(Duration::from_secs(5), receiver.shutdown())
        .await
        .expect("shutdown returns promptly");
    // After shutdown the port is free again, and nothing listens on it.
    let rebound = UdpSocket::bind(addr).unwrap();
    drop(rebound);
    assert_eq!(produced(&metrics), 0);
    assert!(
        pipeline
            .shutdown(Instant::now() + Duration::from_secs(10))
            .await
            .drained
    );
}

#[tokio::test]
async fn binding_a_taken_port_is_an_error() {
    let out = Lines::default();
    let (pipeline, _metrics) = start_pipeline(PipelineSettings::default(), &out);
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let err = XrayUdpReceiver::start(taken.local_addr().unwrap(), pipeline.ingress()).unwrap_err();
    assert!(err.to_string().contains("cannot bind"), "{err}");
    assert!(
        pipeline
            .shutdown(Instant::now() + Duration::from_secs(10))
            .await
            .drained
    );
}
