//! A parent-based sampler that lets the root sampler decide for X-Ray headers without a decision.
//!
//! With [`MissingSampledPolicy::Defer`](crate::propagator::MissingSampledPolicy::Defer), a header that has
//! no `Sampled` field (ALB, API Gateway) or says `Sampled=?` yields an unsampled remote parent marked as
//! deferred in the [`Context`]. The SDK's parent-based samplers only see "remote, not sampled" and drop the
//! span. [`XrayParentBasedSampler`] sees the mark and asks its root sampler instead, as if the request had
//! no parent, while the span keeps the caller's trace id.

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{ParentBasedSampler, SamplingResult, ShouldSample};

use crate::propagator::is_sampling_deferred;

/// `ParentBased(root)`, except that a remote parent whose X-Ray sampling decision was deferred is decided
/// by `root`.
///
/// `root` should not itself be parent-based: it would see the unsampled parent and drop the span.
///
/// ```
/// use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
/// use otel_xray::{MissingSampledPolicy, XrayParentBasedSampler, XrayPropagator};
///
/// // Sample 10% of requests arriving from ALB without a decision, and follow callers that decided.
/// let propagator = XrayPropagator::new().with_missing_sampled(MissingSampledPolicy::Defer);
/// let provider = SdkTracerProvider::builder()
///     .with_sampler(XrayParentBasedSampler::new(Sampler::TraceIdRatioBased(0.1)))
///     .build();
/// # let _ = (propagator, provider);
/// ```
#[derive(Debug, Clone)]
pub struct XrayParentBasedSampler {
    root: Box<dyn ShouldSample>,
    parent_based: ParentBasedSampler,
}

impl XrayParentBasedSampler {
    /// Samples like `ParentBasedSampler::new(root)`, with deferred X-Ray parents going to `root`.
    pub fn new(root: impl Into<Box<dyn ShouldSample>>) -> Self {
        let root = root.into();
        Self {
            parent_based: ParentBasedSampler::new(root.clone()),
            root,
        }
    }

    /// Replaces the sampler used for every parent that is not a deferred X-Ray parent, for example to set
    /// the other branches of a [`ParentBasedSampler`].
    pub fn with_parent_based(mut self, parent_based: ParentBasedSampler) -> Self {
        self.parent_based = parent_based;
        self
    }
}

impl ShouldSample for XrayParentBasedSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let sampler = if parent_context.is_some_and(is_sampling_deferred) {
            self.root.as_ref()
        } else {
            &self.parent_based as &dyn ShouldSample
        };
        sampler.should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry::trace::{Span as _, TraceContextExt, Tracer, TracerProvider};
    use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SdkTracerProvider};

    use super::*;
    use crate::propagator::{HEADER_NAME, MissingSampledPolicy, XrayPropagator};

    const NO_DECISION: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8";

    fn decide(sampler: &dyn ShouldSample, header: &str, policy: MissingSampledPolicy) -> SamplingDecision {
        let propagator = XrayPropagator::new().with_missing_sampled(policy);
        let cx = propagator.extract(&HashMap::from([(HEADER_NAME.to_string(), header.to_string())]));
        let trace_id = cx.span().span_context().trace_id();
        sampler
            .should_sample(Some(&cx), trace_id, "request", &SpanKind::Server, &[], &[])
            .decision
    }

    #[test]
    fn deferred_parents_go_to_the_root_sampler() {
        let on = XrayParentBasedSampler::new(Sampler::AlwaysOn);
        let off = XrayParentBasedSampler::new(Sampler::AlwaysOff);
        let defer = MissingSampledPolicy::Defer;
        assert_eq!(decide(&on, NO_DECISION, defer), SamplingDecision::RecordAndSample);
        assert_eq!(
            decide(&on, &format!("{NO_DECISION};Sampled=?"), defer),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(decide(&off, NO_DECISION, defer), SamplingDecision::Drop);
        // The SDK's own parent-based sampler drops the same request.
        assert_eq!(
            decide(&Sampler::ParentBased(Box::new(Sampler::AlwaysOn)), NO_DECISION, defer),
            SamplingDecision::Drop
        );
    }

    #[test]
    fn decided_parents_are_followed() {
        let on = XrayParentBasedSampler::new(Sampler::AlwaysOn);
        let off = XrayParentBasedSampler::new(Sampler::AlwaysOff);
        let defer = MissingSampledPolicy::Defer;
        assert_eq!(
            decide(&on, &format!("{NO_DECISION};Sampled=0"), defer),
            SamplingDecision::Drop
        );
        assert_eq!(
            decide(&off, &format!("{NO_DECISION};Sampled=1"), defer),
            SamplingDecision::RecordAndSample
        );
        // Without the Defer policy there is no mark: NotSampled means not sampled.
        assert_eq!(
            decide(&on, NO_DECISION, MissingSampledPolicy::NotSampled),
            SamplingDecision::Drop
        );
    }

    #[test]
    fn spans_under_a_deferred_parent_keep_the_trace_id_and_lineage() {
        let provider = SdkTracerProvider::builder()
            .with_sampler(XrayParentBasedSampler::new(Sampler::AlwaysOn))
            .build();
        let tracer = provider.tracer("test");
        let propagator = XrayPropagator::new().with_missing_sampled(MissingSampledPolicy::Defer);
        let header = format!("{NO_DECISION};Lineage=1:a87bd80c:0");
        let parent = propagator.extract(&HashMap::from([(HEADER_NAME.to_string(), header)]));
        let span = tracer.start_with_context("request", &parent);
        let sc = span.span_context().clone();
        assert!(sc.is_sampled());
        assert_eq!(sc.trace_id().to_string(), "5759e988bd862e3fe1be46a994272793");
        assert_eq!(sc.trace_state().get("lineage"), Some("1:a87bd80c:0"));

        // Its children follow it as a sampled local parent.
        let cx = parent.with_span(span);
        let child = tracer.start_with_context("child", &cx);
        assert!(child.span_context().is_sampled());
    }
}
