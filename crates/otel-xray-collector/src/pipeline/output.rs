//! Where the gateway delivers: the X-Ray API, an X-Ray daemon (or CloudWatch agent) over UDP, or
//! a writer of JSON lines for debugging.

use std::io::Write;
use std::sync::Mutex;

use otel_xray_transport::{
    DaemonClient, DeliveryReport, DropReason, Dropped, OutgoingDocument, RetryPolicy, XrayApiSink, deliver,
};

/// A configured output.
pub enum Output {
    /// `PutTraceSegments` with retries.
    Api {
        /// The client.
        sink: XrayApiSink,
        /// Retry budget.
        policy: RetryPolicy,
    },
    /// One datagram per document.
    Daemon(DaemonClient),
    /// One JSON document per line.
    Writer(Mutex<Box<dyn Write + Send>>),
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api { .. } => f.write_str("Output::Api"),
            Self::Daemon(c) => write!(f, "Output::Daemon({})", c.target()),
            Self::Writer(_) => f.write_str("Output::Writer"),
        }
    }
}

impl Output {
    /// A short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Api { .. } => "xray_api",
            Self::Daemon(_) => "daemon_udp",
            Self::Writer(_) => "writer",
        }
    }

    /// Delivers one batch (at most 50 documents) and says what happened to each document.
    pub async fn send(&self, docs: Vec<OutgoingDocument>) -> DeliveryReport {
        match self {
            Self::Api { sink, policy } => deliver(sink, docs, policy).await,
            Self::Daemon(client) => {
                let mut report = DeliveryReport::default();
                let mut scratch = Vec::new();
                for doc in docs {
                    match client.send(doc.json.as_bytes(), &mut scratch) {
                        Ok(()) => report.delivered += 1,
                        Err(e) => report.dropped.push(Dropped {
                            trace_id: doc.trace_id,
                            id: doc.id,
                            reason: DropReason::Transport {
                                label: e.label(),
                                message: e.to_string(),
                            },
                        }),
                    }
                }
                report
            }
            Self::Writer(w) => {
                let mut report = DeliveryReport::default();
                let mut w = w.lock().unwrap_or_else(|p| p.into_inner());
                for doc in docs {
                    match w.write_all(doc.json.as_bytes()).and_then(|()| w.write_all(b"\n")) {
                        Ok(()) => report.delivered += 1,
                        Err(e) => report.dropped.push(Dropped {
                            trace_id: doc.trace_id,
                            id: doc.id,
                            reason: DropReason::Transport {
                                label: "write_error",
                                message: e.to_string(),
                            },
                        }),
                    }
                }
                let _ = w.flush();
                report
            }
        }
    }
}
