//! Command-line arguments of the `otel-xray` binary.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};
use otel_xray_translate::TranslatorConfig;

use crate::otlp_input::{InputFormat, InputSource};

/// OpenTelemetry to AWS X-Ray.
#[derive(Debug, Parser)]
#[command(name = "otel-xray", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do; without a subcommand, `run` with its defaults.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Translate one OTLP trace export request into X-Ray segment documents, one JSON object per
    /// line on stdout.
    ///
    /// Spans that cannot be translated give no document and one line on stderr naming the span
    /// and the reason; the exit status is still 0. It is non-zero only when the input cannot be
    /// read or decoded.
    #[command(after_help = TRANSLATE_EXAMPLES)]
    Translate(TranslateArgs),
    /// Run the gateway: OTLP (gRPC and HTTP) and X-Ray daemon UDP in, AWS X-Ray out.
    ///
    /// Listens on 127.0.0.1 unless the configuration says otherwise, prints where, and on
    /// SIGTERM/SIGINT stops the receivers and delivers what is queued within the shutdown timeout.
    Run(RunArgs),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Send a realistic multi-service workload to a running gateway, so that the service map
    /// fills up: API Gateway → Lambda → DynamoDB and SQS, an SQS-triggered worker calling an
    /// external API, a FastAPI service with PostgreSQL, and a legacy X-Ray SDK service over UDP.
    ///
    /// Sends for 60 s at 3 traces per second unless told otherwise, printing progress about once
    /// a second; exits non-zero when the gateway cannot be reached or traces were not accepted.
    Demo(crate::demo::DemoArgs),
}

/// Arguments of `otel-xray run`; each overrides the file.
#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// The YAML configuration file (every key has a default).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// AWS region (`awsxray.region`).
    #[arg(long)]
    pub region: Option<String>,
    /// X-Ray endpoint URL (`awsxray.endpoint`).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Where documents go (`awsxray.output`).
    #[arg(long, value_enum)]
    pub output: Option<OutputArg>,
    /// OTLP/gRPC listen address.
    #[arg(long, value_name = "ADDR")]
    pub otlp_grpc: Option<String>,
    /// OTLP/HTTP listen address.
    #[arg(long, value_name = "ADDR")]
    pub otlp_http: Option<String>,
    /// X-Ray daemon UDP listen address.
    #[arg(long, value_name = "ADDR")]
    pub xray_udp: Option<String>,
    /// Admin (health, metrics) listen address.
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<String>,
    /// X-Ray daemon sampling proxy (TCP) listen address (`receivers.sampling_proxy`).
    #[arg(long, value_name = "ADDR")]
    pub sampling_proxy: Option<String>,
    /// Local X-Ray (API and web viewer) listen address (`local.endpoint`).
    #[arg(long, value_name = "ADDR")]
    pub local: Option<String>,
    /// Also run `otel-xray demo` against this gateway once it is ready: a realistic
    /// multi-service workload for a minute, to see the service map fill.
    #[arg(long)]
    pub demo: bool,
}

/// `--output` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    /// The X-Ray API (`PutTraceSegments`).
    XrayApi,
    /// The embedded Local X-Ray (API and web viewer on `--local`).
    Local,
    /// An X-Ray daemon or CloudWatch agent over UDP.
    Daemon,
    /// JSON lines on standard output.
    Stdout,
}

impl From<OutputArg> for crate::config::OutputKind {
    fn from(o: OutputArg) -> Self {
        match o {
            OutputArg::XrayApi => Self::XrayApi,
            OutputArg::Local => Self::Local,
            OutputArg::Daemon => Self::Daemon,
            OutputArg::Stdout => Self::Stdout,
        }
    }
}

/// `otel-xray config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file without starting anything; prints the effective settings.
    Check {
        /// The YAML file.
        file: std::path::PathBuf,
    },
}

const TRANSLATE_EXAMPLES: &str = "\
Examples:
  otel-xray translate request.json
  curl -s … | otel-xray translate --indexed-attribute http.route --annotation-key-dots=false
  otel-xray translate --proto request.bin | head -1";

/// Options of `otel-xray translate`. The translation options mirror `translation.md` §17.2.
#[derive(Debug, Clone, Args)]
pub struct TranslateArgs {
    /// An OTLP/JSON ExportTraceServiceRequest (binary protobuf with --proto). Reads stdin when
    /// absent or `-`.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The input is a binary protobuf ExportTraceServiceRequest instead of OTLP/JSON.
    #[arg(long)]
    pub proto: bool,

    /// Write this span attribute (or `otel.resource.<name>` for a resource attribute) as an
    /// annotation. Repeatable; like `indexed_attributes`.
    #[arg(long = "indexed-attribute", value_name = "KEY")]
    pub indexed_attributes: Vec<String>,

    /// Write every scalar attribute as an annotation (non-scalar span attributes are then
    /// dropped); like `index_all_attributes`.
    #[arg(long)]
    pub index_all_attributes: bool,

    /// Fallback CloudWatch log group for `aws.cloudwatch_logs` when the resource names none.
    /// Repeatable; like `aws_log_groups`.
    #[arg(long = "log-group", value_name = "NAME")]
    pub log_groups: Vec<String>,

    /// Reject trace ids whose epoch (first 4 bytes) is more than 28 days old or more than
    /// 5 minutes ahead of now; like `validate_trace_id_timestamp`.
    #[arg(long)]
    pub validate_trace_id_time: bool,

    /// Keep `.` in annotation keys; `--annotation-key-dots=false` replaces it by `_`. Like
    /// `annotation_keys_allow_dot`.
    #[arg(
        long,
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true"
    )]
    pub annotation_key_dots: bool,
}

impl TranslateArgs {
    /// The translation options these arguments select; everything else keeps the spec's default.
    pub fn translator_config(&self) -> TranslatorConfig {
        TranslatorConfig {
            indexed_attributes: self.indexed_attributes.clone(),
            index_all_attributes: self.index_all_attributes,
            aws_log_groups: self.log_groups.clone(),
            annotation_keys_allow_dot: self.annotation_key_dots,
            validate_trace_id_timestamp: self.validate_trace_id_time,
            ..TranslatorConfig::default()
        }
    }

    /// Where to read the request.
    pub fn input_source(&self) -> InputSource {
        match &self.file {
            Some(path) if path.as_os_str() != "-" => InputSource::File(path.clone()),
            _ => InputSource::Stdin,
        }
    }

    /// How the request is encoded.
    pub fn input_format(&self) -> InputFormat {
        if self.proto {
            InputFormat::Protobuf
        } else {
            InputFormat::Json
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn translate(args: &[&str]) -> TranslateArgs {
        let cli = Cli::try_parse_from([&["otel-xray", "translate"], args].concat()).expect("parses");
        match cli.command {
            Some(Command::Translate(t)) => t,
            other => panic!("expected translate, got {other:?}"),
        }
    }

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_are_the_spec_defaults() {
        let t = translate(&[]);
        assert_eq!(t.translator_config(), TranslatorConfig::default());
        assert_eq!(t.input_source(), InputSource::Stdin);
        assert_eq!(t.input_format(), InputFormat::Json);
    }

    #[test]
    fn every_flag_reaches_the_config() {
        let t = translate(&[
            "--indexed-attribute",
            "a",
            "--indexed-attribute=b",
            "--index-all-attributes",
            "--log-group",
            "g1",
            "--log-group",
            "g2",
            "--validate-trace-id-time",
            "--annotation-key-dots=false",
            "--proto",
            "req.bin",
        ]);
        let c = t.translator_config();
        assert_eq!(c.indexed_attributes, ["a", "b"]);
        assert!(c.index_all_attributes);
        assert_eq!(c.aws_log_groups, ["g1", "g2"]);
        assert!(c.validate_trace_id_timestamp);
        assert!(!c.annotation_keys_allow_dot);
        assert_eq!(t.input_source(), InputSource::File("req.bin".into()));
        assert_eq!(t.input_format(), InputFormat::Protobuf);
    }

    #[test]
    fn annotation_key_dots_takes_an_optional_value() {
        assert!(translate(&["--annotation-key-dots"]).annotation_key_dots);
        assert!(translate(&["--annotation-key-dots=true"]).annotation_key_dots);
        assert!(!translate(&["--annotation-key-dots=false"]).annotation_key_dots);
        assert!(Cli::try_parse_from(["otel-xray", "translate", "--annotation-key-dots=no"]).is_err());
        // Without `=`, the next word is the FILE, not the value.
        let t = translate(&["--annotation-key-dots", "false"]);
        assert!(t.annotation_key_dots);
        assert_eq!(t.input_source(), InputSource::File("false".into()));
    }

    #[test]
    fn dash_is_stdin() {
        assert_eq!(translate(&["-"]).input_source(), InputSource::Stdin);
    }
}
