//! Shared helpers of the API tests: a Local X-Ray served on `127.0.0.1:0`, an HTTP client with a
//! deadline on every request, and segment-document builders.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use otel_xray_local::{LocalOptions, LocalXray};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The longest any one request may take.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(60);

/// A running server; stop it with [`Server::stop`].
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The backend (its store can be reached directly).
    pub xray: LocalXray,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    client: reqwest::Client,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// `x-amzn-ErrorType`, when present.
    pub error_type: Option<String>,
    /// The body, parsed (`Null` when it is not JSON).
    pub body: Value,
}

impl Server {
    /// Serves `xray` on a free 127.0.0.1 port.
    pub async fn start(xray: LocalXray) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(xray.clone().serve(listener, async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(REQUEST_DEADLINE)
            .build()
            .expect("client");
        Server {
            base,
            xray,
            shutdown: Some(tx),
            task,
            client,
        }
    }

    /// An in-memory server with default options.
    pub async fn in_memory() -> Server {
        Server::start(LocalXray::open(LocalOptions::default()).expect("open in-memory store")).await
    }

    /// Stops the server and waits (with a deadline) for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(REQUEST_DEADLINE, &mut self.task)
            .await
            .expect("server stops within the deadline")
            .expect("server task")
            .expect("server result");
    }

    /// POSTs a raw body to `path`.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> Answer {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-ErrorType")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.expect("body");
        Answer {
            status,
            error_type,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// POSTs a JSON body to `path`.
    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.post_raw(path, body.to_string()).await
    }

    /// PutTraceSegments with these documents; asserts HTTP 200 and returns the unprocessed list.
    pub async fn put(&self, documents: &[Value]) -> Vec<Value> {
        let docs: Vec<String> = documents.iter().map(Value::to_string).collect();
        let answer = self
            .post("/TraceSegments", &json!({ "TraceSegmentDocuments": docs }))
            .await;
        assert_eq!(answer.status, 200, "PutTraceSegments: {answer:?}");
        answer.body["UnprocessedTraceSegments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// GetTraceSummaries over `[start, end]` with an optional filter and token.
    pub async fn summaries(&self, start: f64, end: f64, filter: Option<&str>, token: Option<&str>) -> Answer {
        let mut body = json!({ "StartTime": start, "EndTime": end });
        if let Some(f) = filter {
            body["FilterExpression"] = json!(f);
        }
        if let Some(t) = token {
            body["NextToken"] = json!(t);
        }
        self.post("/TraceSummaries", &body).await
    }
}

/// Now, epoch seconds.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
}

/// A trace id whose epoch is `epoch` and whose random part is `n`.
pub fn trace_id(epoch: f64, n: u64) -> String {
    format!("1-{:08x}-{:024x}", epoch as u64, n)
}

/// A segment id from `n`.
pub fn seg_id(n: u64) -> String {
    format!("{n:016x}")
}

/// A minimal complete segment.
pub fn segment(trace: &str, id: &str, name: &str, start: f64, end: f64) -> Value {
    json!({ "trace_id": trace, "id": id, "name": name, "start_time": start, "end_time": end })
}
