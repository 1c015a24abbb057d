//! Make OpenTelemetry-instrumented Rust services show up in AWS X-Ray.
//!
//! This is the crate applications add. It fits X-Ray into the OpenTelemetry SDK at the points the SDK
//! leaves open: context propagation, id generation and sampling.
//!
//! | module | what it holds |
//! |---|---|
//! | [`propagator`] | [`XrayPropagator`] for the `X-Amzn-Trace-Id` header (strict ids, configurable handling of missing `Sampled` and `Parent`, `Lineage` kept), [`XrayLambdaPropagator`] for `_X_AMZN_TRACE_ID` with a documented precedence |
//! | [`id_generator`] | [`XrayIdGenerator`]: trace ids that start with the current Unix time, as X-Ray's own |
//! | [`sampler`] | [`XrayParentBasedSampler`]: parent-based sampling that lets the root sampler decide for headers without a decision |
//!
//! The propagators read nothing from the environment, except [`XrayLambdaPropagator::from_env`], which
//! exists for that.
//!
//! # Example
//!
//! Accept both W3C `traceparent` and `X-Amzn-Trace-Id`, and send both:
//!
//! ```
//! use std::collections::HashMap;
//!
//! use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
//! use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
//! use opentelemetry_sdk::propagation::TraceContextPropagator;
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use otel_xray::{XrayIdGenerator, XrayPropagator};
//!
//! let propagator = TextMapCompositePropagator::new(vec![
//!     Box::new(TraceContextPropagator::new()),
//!     Box::new(XrayPropagator::new()),
//! ]);
//! let provider = SdkTracerProvider::builder().with_id_generator(XrayIdGenerator::new()).build();
//! let tracer = provider.tracer("checkout");
//!
//! // A request that came through an ALB: only `Root`, no `Parent`, no `Sampled`.
//! let mut incoming = HashMap::new();
//! incoming.insert("x-amzn-trace-id".to_string(), "Root=1-5759e988-bd862e3fe1be46a994272793".to_string());
//! let parent = propagator.extract(&incoming);
//!
//! let span = tracer.start_with_context("GET /cart", &parent);
//! let cx = parent.with_span(span);
//! // The service's span continues the ALB's trace.
//! assert_eq!(cx.span().span_context().trace_id().to_string(), "5759e988bd862e3fe1be46a994272793");
//!
//! let mut outgoing = HashMap::new();
//! propagator.inject_context(&cx, &mut outgoing);
//! assert!(outgoing["traceparent"].starts_with("00-5759e988bd862e3fe1be46a994272793-"));
//! assert!(outgoing["x-amzn-trace-id"].starts_with("Root=1-5759e988-bd862e3fe1be46a994272793;Parent="));
//! ```

pub mod exporter;
pub mod id_generator;
pub mod propagator;
pub mod sampler;

pub use exporter::{BuildError, ExportStats, StatsSnapshot, XrayExporter, XrayExporterBuilder};
pub use id_generator::XrayIdGenerator;
pub use otel_xray_translate::TranslatorConfig;
pub use otel_xray_transport::{ApiOptions, RetryPolicy};
pub use propagator::{
    LambdaPrecedence, MissingParentPolicy, MissingSampledPolicy, SampledField, TraceHeaderError, XrayLambdaPropagator,
    XrayPropagator, XrayTraceHeader,
};
pub use sampler::XrayParentBasedSampler;

/// Resource detectors from `opentelemetry-aws`, so `origin` and the `aws` block come out right on
/// AWS platforms. Each is behind a feature: `detector-ec2`, `detector-ecs`, `detector-eks`,
/// `detector-lambda`.
#[cfg(any(
    feature = "detector-ec2",
    feature = "detector-ecs",
    feature = "detector-eks",
    feature = "detector-lambda"
))]
pub mod detectors {
    #[cfg(feature = "detector-ec2")]
    pub use opentelemetry_aws::detector::Ec2ResourceDetector;
    #[cfg(feature = "detector-ecs")]
    pub use opentelemetry_aws::detector::EcsResourceDetector;
    #[cfg(feature = "detector-eks")]
    pub use opentelemetry_aws::detector::EksResourceDetector;
    #[cfg(feature = "detector-lambda")]
    pub use opentelemetry_aws::detector::LambdaResourceDetector;
}
