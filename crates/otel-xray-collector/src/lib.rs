//! `otel-xray`: OpenTelemetry traces in, AWS X-Ray segment documents out.
//!
//! | subcommand | what it does |
//! |---|---|
//! | `translate [FILE]` | one OTLP trace export request (OTLP/JSON, or protobuf with `--proto`) from a file or stdin into X-Ray segment documents, one JSON object per line on stdout |
//!
//! ```text
//! $ otel-xray translate request.json
//! {"name":"orders-api","id":"53995c3f42cd8ad8","trace_id":"1-5759e988-bd862e3fe1be46a994272793",…}
//! $ otel-xray translate --indexed-attribute rpc.method --annotation-key-dots=false < request.json
//! $ otel-xray translate --proto request.bin | head -1
//! ```
//!
//! Spans are translated by `otel-xray-translate` with the options of `translation.md` §17.2 taken
//! from flags. A span that cannot be translated gives no document and one stderr line naming the
//! span and the reason; the exit status is 0 unless the input itself cannot be read or decoded
//! (status 1, with the line, column, byte and field for JSON, prost's message for protobuf).
//! Command-line mistakes exit with status 2.
//!
//! | module | role |
//! |---|---|
//! | `cli` | argument types (clap derive) and their translation options |
//! | `otlp_input` | reading the input (size-capped) and choosing the decoder |
//! | `otlp_json` | the OTLP/JSON decoder, and why it is not `opentelemetry-proto`'s serde |
//! | `translate_cmd` | the `translate` command: translate span by span, write lines |
//! | `xray_udp` | the X-Ray daemon's UDP receiver: header and document checks, documents forwarded as received |
//! | `sampling_proxy` | the daemon's TCP sampling proxy: `POST`s re-signed (SigV4, `xray`) and forwarded to X-Ray |

pub mod admin;
pub mod cli;
pub mod config;
pub mod demo;
pub mod local_output;
mod log_limit;
pub mod metrics;
pub mod otlp_input;
pub mod otlp_json;
pub mod pipeline;
pub mod receivers;
pub mod run_cmd;
pub mod sampling_proxy;
pub mod translate_cmd;
pub mod xray_udp;
