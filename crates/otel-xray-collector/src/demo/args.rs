//! The options of `otel-xray demo` and the settings they resolve to.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

/// The default OTLP/HTTP endpoint (the gateway's default listener).
pub const DEFAULT_HTTP_ENDPOINT: &str = "http://127.0.0.1:4318";
/// The default OTLP/gRPC endpoint (the gateway's default listener).
pub const DEFAULT_GRPC_ENDPOINT: &str = "http://127.0.0.1:4317";
/// The default X-Ray daemon UDP address (the gateway's default listener).
pub const DEFAULT_XRAY_UDP: &str = "127.0.0.1:2000";
/// How long the demo runs without `--duration` or `--traces`.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(60);
/// Traces per second without `--rate`.
pub const DEFAULT_RATE: f64 = 3.0;
/// The highest `--rate` accepted.
pub const MAX_RATE: f64 = 1000.0;

const DEMO_EXAMPLES: &str = "\
Examples:
  otel-xray run --output stdout &      # a gateway printing the documents it would send
  otel-xray demo                       # 60 s at 3 traces/s over OTLP/HTTP, plus X-Ray SDK traffic over UDP
  otel-xray demo --traces 12 --seed 7  # exactly 12 traces, the same ones every time
  otel-xray demo --protocol grpc --otlp-endpoint http://127.0.0.1:4317 --no-udp";

/// Options of `otel-xray demo`.
#[derive(Debug, Clone, Args)]
#[command(after_help = DEMO_EXAMPLES)]
pub struct DemoArgs {
    /// The gateway's OTLP endpoint: a base URL (`/v1/traces` is appended for HTTP unless the URL
    /// already has a path). Default: http://127.0.0.1:4318 for http, http://127.0.0.1:4317 for
    /// grpc.
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,

    /// How to send: OTLP/HTTP with protobuf bodies, or OTLP/gRPC.
    #[arg(long, value_enum, default_value_t = DemoProtocol::Http)]
    pub protocol: DemoProtocol,

    /// Send for this long (`90s`, `2m`, `1500ms`; a bare number is seconds). Default: 60s.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, conflicts_with = "traces")]
    pub duration: Option<Duration>,

    /// Send exactly this many traces, then stop.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub traces: Option<u64>,

    /// Traces per second.
    #[arg(long, value_name = "TRACES_PER_SEC", default_value_t = DEFAULT_RATE, value_parser = parse_rate)]
    pub rate: f64,

    /// Where the X-Ray daemon protocol (UDP) is received: the "legacy" service that still uses
    /// the X-Ray SDK, and API Gateway's own segments, are sent there. UDP has no
    /// acknowledgement: with a wrong address these segments are lost without an error.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_XRAY_UDP, conflicts_with = "no_udp")]
    pub xray_udp: SocketAddr,

    /// Send nothing over UDP: only the OpenTelemetry services, without API Gateway and the
    /// legacy X-Ray SDK service.
    #[arg(long)]
    pub no_udp: bool,

    /// Make the workload reproducible: the same seed gives the same traces (services, outcomes,
    /// attributes, durations). Timestamps are always "now", and trace and span ids are always
    /// fresh, so that two runs never collide.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// `--protocol` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoProtocol {
    /// OTLP/HTTP, `POST /v1/traces` with `application/x-protobuf` bodies.
    Http,
    /// OTLP/gRPC, `TraceService/Export`.
    Grpc,
}

impl DemoProtocol {
    /// A name for messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Http => "OTLP/HTTP",
            Self::Grpc => "OTLP/gRPC",
        }
    }
}

/// When the demo stops by itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// After this many traces.
    Traces(u64),
    /// After this long.
    After(Duration),
}

impl DemoArgs {
    /// The endpoint to send to: for HTTP the full `/v1/traces` URL, for gRPC the base URL.
    pub fn endpoint(&self) -> String {
        let base = match (&self.otlp_endpoint, self.protocol) {
            (Some(url), _) => url.trim().to_owned(),
            (None, DemoProtocol::Http) => DEFAULT_HTTP_ENDPOINT.to_owned(),
            (None, DemoProtocol::Grpc) => DEFAULT_GRPC_ENDPOINT.to_owned(),
        };
        match self.protocol {
            DemoProtocol::Grpc => base,
            DemoProtocol::Http => http_traces_url(&base),
        }
    }

    /// When to stop.
    pub fn stop(&self) -> Stop {
        match (self.traces, self.duration) {
            (Some(n), _) => Stop::Traces(n),
            (None, Some(d)) => Stop::After(d),
            (None, None) => Stop::After(DEFAULT_DURATION),
        }
    }

    /// The UDP target, unless `--no-udp`.
    pub fn udp_target(&self) -> Option<SocketAddr> {
        (!self.no_udp).then_some(self.xray_udp)
    }
}

/// `base` with `/v1/traces` appended when it has no path of its own.
fn http_traces_url(base: &str) -> String {
    let after_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) if after_scheme[i..] != *"/" => base.to_owned(),
        _ => format!("{}/v1/traces", base.trim_end_matches('/')),
    }
}

/// Parses `90s`, `2m`, `1500ms`, `1h` or a bare number of seconds (fractions allowed).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 60s, 2m or 1500ms)"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "s" | "sec" | "secs" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit `{other}` in `{text}` (use ms, s, m or h)")),
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 7.0 * 86_400.0) {
        return Err(format!("`{text}` is out of range (more than 0, at most a week)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses a positive rate of at most [`MAX_RATE`] traces per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number"))?;
    if rate.is_finite() && rate > 0.0 && rate <= MAX_RATE {
        Ok(rate)
    } else {
        Err(format!(
            "the rate must be more than 0 and at most {MAX_RATE} traces per second"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("0.5s"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("NaN").is_err());
        assert!(parse_rate("1e9").is_err());
    }

    fn parse(args: &[&str]) -> Result<DemoArgs, clap::Error> {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([&["otel-xray", "demo"], args].concat())?;
        match cli.command {
            Some(crate::cli::Command::Demo(d)) => Ok(d),
            other => panic!("expected demo, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let d = parse(&[]).unwrap();
        assert_eq!(d.endpoint(), "http://127.0.0.1:4318/v1/traces");
        assert_eq!(d.stop(), Stop::After(DEFAULT_DURATION));
        assert_eq!(d.rate, DEFAULT_RATE);
        assert_eq!(d.udp_target(), Some("127.0.0.1:2000".parse().unwrap()));
        assert_eq!(d.seed, None);
        let g = parse(&["--protocol", "grpc", "--no-udp", "--traces", "5", "--seed", "9"]).unwrap();
        assert_eq!(g.endpoint(), "http://127.0.0.1:4317");
        assert_eq!(g.stop(), Stop::Traces(5));
        assert_eq!(g.udp_target(), None);
        assert_eq!(g.seed, Some(9));
        let h = parse(&["--duration", "90s", "--otlp-endpoint", "http://10.0.0.5:4318/"]).unwrap();
        assert_eq!(h.stop(), Stop::After(Duration::from_secs(90)));
        assert_eq!(h.endpoint(), "http://10.0.0.5:4318/v1/traces");
    }

    #[test]
    fn contradictions_are_refused() {
        assert!(parse(&["--traces", "3", "--duration", "5s"]).is_err());
        assert!(parse(&["--no-udp", "--xray-udp", "127.0.0.1:2000"]).is_err());
        assert!(parse(&["--traces", "0"]).is_err());
        assert!(parse(&["--protocol", "thrift"]).is_err());
    }

    #[test]
    fn http_urls_get_the_traces_path() {
        assert_eq!(
            http_traces_url("http://127.0.0.1:4318"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            http_traces_url("http://127.0.0.1:4318/"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(http_traces_url("http://h:1/custom/path"), "http://h:1/custom/path");
        assert_eq!(http_traces_url("http://h:1/v1/traces"), "http://h:1/v1/traces");
    }
}
