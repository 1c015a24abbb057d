//! The demo loop: make a trace, send it, at the chosen rate until the stop condition, Ctrl-C or a
//! lost gateway; a progress line about once a second and a summary at the end.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::time::MissedTickBehavior;

use super::args::{DemoArgs, Stop};
use super::scenarios::{DemoTrace, Generator, Scenario};
use super::sender::{OtlpSender, SendError};
use super::udp::DaemonSender;

/// Attempts to reach the gateway with the first trace before giving up.
pub const STARTUP_ATTEMPTS: u32 = 5;
/// The wait between those attempts.
const STARTUP_RETRY: Duration = Duration::from_secs(1);
/// Consecutive unreachable sends after which a running demo gives up.
pub const LOST_AFTER: u32 = 5;
/// The interval of progress lines.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// Failure lines printed in full; later ones are only counted.
const MAX_FAILURE_LINES: u64 = 10;

/// Why the demo stopped early or failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Something local could not be set up.
    #[error("{0}")]
    Setup(String),
    /// The gateway was never reached.
    #[error(
        "no OTLP receiver at {endpoint} after {attempts} attempts ({reason}). Start the gateway first \
         (`otel-xray run`), or point --otlp-endpoint at it"
    )]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        reason: String,
    },
    /// The gateway went away while the demo ran.
    #[error("lost the OTLP receiver at {endpoint}: {failures} sends in a row failed ({reason})")]
    Lost {
        /// The endpoint.
        endpoint: String,
        /// Consecutive failures.
        failures: u32,
        /// The last error.
        reason: String,
    },
    /// Some traces were not accepted.
    #[error("{failed} of {traces} traces were not accepted by the gateway")]
    Failures {
        /// Traces not accepted.
        failed: u64,
        /// Traces made.
        traces: u64,
    },
}

/// What was sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// The seed used.
    pub seed: u64,
    /// Traces made (sent or failed).
    pub traces: u64,
    /// Traces per scenario.
    pub per_scenario: BTreeMap<Scenario, u64>,
    /// OTLP spans accepted.
    pub spans: u64,
    /// Spans the gateway said it rejected (`partial_success`).
    pub rejected_spans: u64,
    /// Segment documents sent over UDP.
    pub udp_documents: u64,
    /// Traces whose OTLP request was not accepted.
    pub failed: u64,
    /// UDP documents that could not be sent.
    pub udp_failed: u64,
    /// Pushbacks waited out.
    pub pushbacks: u64,
    /// How long it ran.
    pub elapsed: Duration,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
}

impl Summary {
    fn line(&self) -> String {
        let scenarios: Vec<String> = Scenario::ALL
            .iter()
            .filter_map(|s| self.per_scenario.get(s).map(|n| format!("{} {n}", s.label())))
            .collect();
        let mut text = format!(
            "{} traces ({}), {} spans over OTLP, {} segment documents over UDP, {} failed",
            self.traces,
            scenarios.join(", "),
            self.spans,
            self.udp_documents,
            self.failed + self.udp_failed,
        );
        if self.rejected_spans > 0 {
            text.push_str(&format!(", {} spans rejected by the gateway", self.rejected_spans));
        }
        if self.pushbacks > 0 {
            text.push_str(&format!(", {} pushbacks waited out", self.pushbacks));
        }
        text
    }
}

fn now_unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Runs the demo with `args`, writing progress to `out` and failures to `diag`.
pub async fn run(args: &DemoArgs, out: &mut impl Write, diag: &mut impl Write) -> Result<Summary, DemoError> {
    let endpoint = args.endpoint();
    let seed = args.seed.unwrap_or_else(rand::random);
    let stop = args.stop();
    let mut sender = OtlpSender::new(&endpoint, args.protocol).map_err(DemoError::Setup)?;
    let mut udp = match args.udp_target() {
        Some(target) => Some(
            DaemonSender::bind(target)
                .await
                .map_err(|e| DemoError::Setup(format!("cannot open a UDP socket for {target}: {e}")))?,
        ),
        None => None,
    };
    let mut generator = Generator::new(seed, udp.is_some());

    let how_long = match stop {
        Stop::Traces(n) => format!("{n} traces"),
        Stop::After(d) => format!("{} s", d.as_secs_f64()),
    };
    let _ = writeln!(
        out,
        "otel-xray demo: {how_long} at {} traces/s to {endpoint} ({}){}, seed {seed}; Ctrl-C stops",
        args.rate,
        args.protocol.label(),
        match &udp {
            Some(u) => format!(" and X-Ray daemon UDP {}", u.target()),
            None => String::new(),
        },
    );
    let _ = writeln!(
        out,
        "services: orders-api and order-worker (Lambda), dashboard (ECS){}; look for them on the service map",
        if udp.is_some() {
            ", legacy-billing (X-Ray SDK on EC2) and orders-rest-api/prod (API Gateway)"
        } else {
            ""
        }
    );

    let mut summary = Summary {
        seed,
        ..Summary::default()
    };
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut last_progress = Instant::now();
    let mut unreachable_in_a_row = 0u32;
    let mut reached = false;

    loop {
        let done = match stop {
            Stop::Traces(n) => summary.traces >= n,
            Stop::After(d) => started.elapsed() >= d,
        };
        if done {
            break;
        }
        tokio::select! {
            _ = &mut ctrl_c => { summary.interrupted = true; break; }
            _ = ticker.tick() => {}
        }
        if let Stop::After(d) = stop
            && started.elapsed() >= d
        {
            break;
        }
        let trace = generator.next_trace(now_unix_nanos());
        let outcome = tokio::select! {
            _ = &mut ctrl_c => { summary.interrupted = true; break; }
            r = send_otlp(&mut sender, &trace, reached, diag) => r,
        };
        summary.traces += 1;
        *summary.per_scenario.entry(trace.scenario).or_default() += 1;
        match outcome {
            Ok(accepted) => {
                reached = true;
                unreachable_in_a_row = 0;
                summary.spans += trace.spans as u64;
                summary.rejected_spans += accepted.rejected_spans;
                summary.pushbacks += u64::from(accepted.pushbacks);
            }
            Err(SendError::Unreachable { endpoint, reason }) if !reached => {
                return Err(DemoError::Unreachable {
                    endpoint,
                    attempts: STARTUP_ATTEMPTS,
                    reason,
                });
            }
            Err(e) => {
                summary.failed += 1;
                if summary.failed <= MAX_FAILURE_LINES {
                    let _ = writeln!(diag, "otel-xray demo: trace {} not sent: {e}", trace.trace_id);
                }
                if let SendError::Unreachable { endpoint, reason } = e {
                    unreachable_in_a_row += 1;
                    if unreachable_in_a_row >= LOST_AFTER {
                        summary.elapsed = started.elapsed();
                        let _ = writeln!(out, "stopped: {}", summary.line());
                        return Err(DemoError::Lost {
                            endpoint,
                            failures: unreachable_in_a_row,
                            reason,
                        });
                    }
                }
            }
        }
        if let Some(udp) = udp.as_mut() {
            for document in &trace.documents {
                match udp.send(document).await {
                    Ok(()) => summary.udp_documents += 1,
                    Err(e) => {
                        summary.udp_failed += 1;
                        if summary.udp_failed <= MAX_FAILURE_LINES {
                            let _ = writeln!(diag, "otel-xray demo: segment of {} not sent: {e}", trace.trace_id);
                        }
                    }
                }
            }
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            summary.elapsed = started.elapsed();
            let _ = writeln!(out, "[{:>4.0}s] {}", summary.elapsed.as_secs_f64(), summary.line());
        }
    }
    summary.elapsed = started.elapsed();
    let _ = writeln!(
        out,
        "{} after {:.1} s: {}",
        if summary.interrupted { "interrupted" } else { "done" },
        summary.elapsed.as_secs_f64(),
        summary.line()
    );
    let _ = out.flush();
    if summary.failed + summary.udp_failed > 0 {
        return Err(DemoError::Failures {
            failed: summary.failed + summary.udp_failed,
            traces: summary.traces,
        });
    }
    Ok(summary)
}

/// Sends the trace's OTLP request; before the gateway has answered once, an unreachable endpoint
/// is tried [`STARTUP_ATTEMPTS`] times.
async fn send_otlp(
    sender: &mut OtlpSender,
    trace: &DemoTrace,
    reached: bool,
    diag: &mut impl Write,
) -> Result<super::sender::Accepted, SendError> {
    let mut attempt = 1;
    loop {
        match sender.send(&trace.request).await {
            Err(SendError::Unreachable { reason, .. }) if !reached && attempt < STARTUP_ATTEMPTS => {
                let _ = writeln!(
                    diag,
                    "otel-xray demo: waiting for the gateway at {} (attempt {attempt}/{STARTUP_ATTEMPTS}): {reason}",
                    sender.endpoint()
                );
                attempt += 1;
                tokio::time::sleep(STARTUP_RETRY).await;
            }
            other => return other,
        }
    }
}
