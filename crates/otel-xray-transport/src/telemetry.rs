//! `PutTelemetryRecords`, as the X-Ray daemon and the OpenTelemetry Collector's `awsxray`
//! exporter (`telemetry: { enabled: true }`) send it: once per interval (a minute by default), one
//! `TelemetryRecord` with the segments received, sent, spilled over and rejected during that
//! interval, so that X-Ray's console can show the health of the pipeline.
//!
//! The counts come from a caller-supplied function returning running totals
//! ([`SegmentCounts`]); the reporter sends the differences. A record that could not be sent is
//! kept (up to [`MAX_PENDING_RECORDS`], oldest dropped first) and sent with the next one. On
//! [`TelemetryReporter::shutdown`] the last interval is sent too.
//!
//! What is not sent: `BackendConnectionErrors` (the gateway counts failed calls by retry class in
//! its own metrics, not by X-Ray's categories) and, unless given in [`TelemetryMetadata`], the
//! EC2 instance id.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_xray::error::DisplayErrorContext;
use aws_sdk_xray::primitives::DateTime;
use aws_sdk_xray::types::TelemetryRecord;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often a record is sent by default (as the X-Ray daemon).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Records kept while X-Ray cannot be reached (30 minutes at the default interval).
pub const MAX_PENDING_RECORDS: usize = 30;

/// Running totals since start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentCounts {
    /// Segment documents received or produced from spans.
    pub received: u64,
    /// Segment documents X-Ray accepted.
    pub sent: u64,
    /// Segment documents dropped because the queue or a retry budget ran out.
    pub spillover: u64,
    /// Spans or documents rejected as invalid, and documents X-Ray refused.
    pub rejected: u64,
}

impl SegmentCounts {
    /// `self - earlier`, field by field (0 if a total went down).
    fn since(self, earlier: Self) -> Self {
        Self {
            received: self.received.saturating_sub(earlier.received),
            sent: self.sent.saturating_sub(earlier.sent),
            spillover: self.spillover.saturating_sub(earlier.spillover),
            rejected: self.rejected.saturating_sub(earlier.rejected),
        }
    }
}

/// Who sends the records (`include_metadata`): sent with every call when set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TelemetryMetadata {
    /// The host name.
    pub hostname: Option<String>,
    /// The EC2 instance id.
    pub instance_id: Option<String>,
    /// The ARN of the resource running the sender.
    pub resource_arn: Option<String>,
}

impl TelemetryMetadata {
    /// The host name from the operating system, and `resource_arn` as given. Reads
    /// `/proc/sys/kernel/hostname` (or `HOSTNAME`); call it at start-up.
    pub fn detect(resource_arn: Option<String>) -> Self {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty());
        Self {
            hostname,
            instance_id: None,
            resource_arn,
        }
    }
}

/// Reporter settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryOptions {
    /// Time between records.
    pub interval: Duration,
    /// Sent with every call; `None` sends none (`include_metadata: false`).
    pub metadata: Option<TelemetryMetadata>,
}

impl Default for TelemetryOptions {
    fn default() -> Self {
        Self {
            interval: DEFAULT_INTERVAL,
            metadata: None,
        }
    }
}

/// The source of the running totals.
pub type CountsSource = Arc<dyn Fn() -> SegmentCounts + Send + Sync>;

/// A running reporter. Dropping it stops the reporter without sending the last interval.
#[derive(Debug)]
#[must_use = "dropping the reporter stops it"]
pub struct TelemetryReporter {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl TelemetryReporter {
    /// Starts sending a record every `options.interval` through `client`, on the current Tokio
    /// runtime.
    pub fn start(client: aws_sdk_xray::Client, options: TelemetryOptions, counts: CountsSource) -> Self {
        let (stop, stopped) = oneshot::channel();
        // The baseline now, not when the task first runs: the first record counts from here.
        let baseline = counts();
        let task = tokio::spawn(run(client, options, counts, baseline, stopped));
        Self { stop: Some(stop), task }
    }

    /// Sends what was counted since the last record and stops. The call is bounded by the
    /// client's operation timeout.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::error!(error = %e, "The X-Ray telemetry reporter ended abnormally.");
        }
    }
}

impl Drop for TelemetryReporter {
    fn drop(&mut self) {
        if self.stop.is_some() {
            self.task.abort();
        }
    }
}

async fn run(
    client: aws_sdk_xray::Client,
    options: TelemetryOptions,
    counts: CountsSource,
    baseline: SegmentCounts,
    mut stopped: oneshot::Receiver<()>,
) {
    let interval = options.interval.max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = baseline;
    let mut pending: Vec<TelemetryRecord> = Vec::new();
    loop {
        let last_round = tokio::select! {
            _ = ticker.tick() => false,
            _ = &mut stopped => true,
        };
        let now = counts();
        let delta = now.since(last);
        last = now;
        match record(delta) {
            Ok(r) => pending.push(r),
            Err(e) => tracing::warn!(error = %e, "A telemetry record could not be built."),
        }
        if pending.len() > MAX_PENDING_RECORDS {
            let excess = pending.len() - MAX_PENDING_RECORDS;
            pending.drain(..excess);
        }
        let mut call = client
            .put_telemetry_records()
            .set_telemetry_records(Some(pending.clone()));
        if let Some(m) = &options.metadata {
            call = call
                .set_hostname(m.hostname.clone())
                .set_ec2_instance_id(m.instance_id.clone())
                .set_resource_arn(m.resource_arn.clone());
        }
        match call.send().await {
            Ok(_) => {
                tracing::debug!(records = pending.len(), "Telemetry records were sent to X-Ray.");
                pending.clear();
            }
            Err(e) => tracing::warn!(
                error = %DisplayErrorContext(&e),
                kept = pending.len(),
                "PutTelemetryRecords failed; the records are kept for the next attempt."
            ),
        }
        if last_round {
            return;
        }
    }
}

fn saturating_i32(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn record(delta: SegmentCounts) -> Result<TelemetryRecord, aws_sdk_xray::error::BuildError> {
    TelemetryRecord::builder()
        .timestamp(DateTime::from(SystemTime::now()))
        .segments_received_count(saturating_i32(delta.received))
        .segments_sent_count(saturating_i32(delta.sent))
        .segments_spillover_count(saturating_i32(delta.spillover))
        .segments_rejected_count(saturating_i32(delta.rejected))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_never_go_negative() {
        let a = SegmentCounts {
            received: 10,
            sent: 8,
            spillover: 1,
            rejected: 1,
        };
        let b = SegmentCounts {
            received: 15,
            sent: 7,
            spillover: 1,
            rejected: 3,
        };
        assert_eq!(
            b.since(a),
            SegmentCounts {
                received: 5,
                sent: 0,
                spillover: 0,
                rejected: 2
            }
        );
        assert_eq!(saturating_i32(u64::MAX), i32::MAX);
    }

    #[test]
    fn a_record_carries_the_counts() {
        let r = record(SegmentCounts {
            received: 3,
            sent: 2,
            spillover: 0,
            rejected: 1,
        })
        .unwrap();
        assert_eq!(r.segments_received_count(), Some(3));
        assert_eq!(r.segments_sent_count(), Some(2));
        assert_eq!(r.segments_rejected_count(), Some(1));
    }
}
