//! Test, example and benchmark support for the otel-xray workspace.
