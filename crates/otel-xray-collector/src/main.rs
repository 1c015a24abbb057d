//! The `otel-xray` binary; see the library crate `otel_xray_collector` for what it does.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use otel_xray_collector::cli::{Cli, Command, ConfigCommand, RunArgs};
use otel_xray_collector::config::Config;
use otel_xray_collector::run_cmd;
use otel_xray_collector::translate_cmd;

// jemalloc instead of glibc malloc: under load the gateway's threads (receivers, translation,
// senders) allocate and free documents concurrently, and glibc's arena locks and consolidation
// took about a quarter of the gateway's CPU in a profile (BENCHMARKS.md, "Gateway load").
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or_else(|| Command::Run(RunArgs::default())) {
        Command::Run(args) => run_gateway(args),
        Command::Config(ConfigCommand::Check { file }) => match Config::load(&file).and_then(|c| c.validate()) {
            Ok(v) => {
                println!("{}: valid", file.display());
                println!("{v:#?}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "otel-xray: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Demo(args) => match otel_xray_collector::demo::run(&args) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "otel-xray demo: error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Translate(args) => match translate_cmd::run(&args) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "{}: error: {e}", translate_cmd::PROGRAM);
                ExitCode::FAILURE
            }
        },
    }
}

fn run_gateway(args: RunArgs) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OTEL_XRAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let demo = args.demo;
    let overrides = run_cmd::Overrides {
        config: args.config,
        region: args.region,
        endpoint: args.endpoint,
        output: args.output.map(Into::into),
        otlp_grpc: args.otlp_grpc,
        otlp_http: args.otlp_http,
        xray_udp: args.xray_udp,
        admin: args.admin,
        sampling_proxy: args.sampling_proxy,
        local: args.local,
        demo: args.demo,
    };
    let result = run_cmd::load_config(&overrides)
        .map_err(run_cmd::RunError::from)
        .and_then(|config| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("otel-xray")
                .build()
                .map_err(|source| run_cmd::RunError::Io {
                    what: "starting the runtime".into(),
                    source,
                })?;
            runtime.block_on(run_cmd::run_until_signal(config, run_cmd::RunOptions { demo }))
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "otel-xray: {e}");
            ExitCode::FAILURE
        }
    }
}
