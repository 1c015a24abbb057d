//! Test, example and benchmark support for the otel-xray workspace.

pub mod workload;
