//! `otel-xray demo`: a realistic multi-service workload, so that a newcomer running a gateway
//! sees a populated service map within a minute.
//!
//! ```text
//! otel-xray demo [--otlp-endpoint URL] [--protocol http|grpc] [--duration 60s | --traces N]
//!                [--rate TRACES_PER_SEC] [--xray-udp 127.0.0.1:2000 | --no-udp] [--seed N]
//! ```
//!
//! Whole traces of four services (see [`scenarios`]) are built as OTLP requests, one request per
//! trace, with the resource attributes each service's SDK would report, X-Ray-compatible trace
//! ids and timestamps of now, and sent to the gateway's OTLP receiver ([`sender`]); API Gateway's
//! and a legacy X-Ray SDK service's segments go to the daemon UDP port ([`udp`]). The loop
//! ([`runner`]) paces the traces, prints progress about once a second and stops after the
//! duration or trace count, on Ctrl-C, or when the gateway cannot be reached (after
//! [`runner::STARTUP_ATTEMPTS`] attempts), which is an error.
//!
//! | module | role |
//! |---|---|
//! | `args` | the command's options |
//! | `scenarios` | the services and their traces; which trace comes next |
//! | `otlp` | OTLP span, attribute and resource builders; trace ids and times |
//! | `stacks` | the stack traces recorded with exceptions |
//! | `sender` | OTLP over HTTP or gRPC, with bounded pushback waits |
//! | `udp` | the X-Ray daemon protocol |
//! | `runner` | the loop, progress and summary |

pub mod args;
pub mod otlp;
pub mod runner;
pub mod scenarios;
pub mod sender;
pub mod stacks;
pub mod udp;

pub use args::{DemoArgs, DemoProtocol};
pub use runner::{DemoError, Summary};

/// Runs the demo on a small runtime of its own, with progress on stdout and failures on stderr.
pub fn run(args: &DemoArgs) -> Result<Summary, DemoError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DemoError::Setup(format!("cannot start the runtime: {e}")))?;
    let mut out = std::io::stdout();
    let mut diag = std::io::stderr();
    runtime.block_on(runner::run(args, &mut out, &mut diag))
}
