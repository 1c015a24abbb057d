//! The `X-Amzn-Trace-Id` propagator, and its Lambda variant.
//!
//! [`XrayPropagator`] reads and writes the AWS X-Ray tracing header
//! (`X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`). It is
//! a [`TextMapPropagator`], so it can stand alone or sit beside W3C `traceparent` in a
//! [`TextMapCompositePropagator`](opentelemetry::propagation::TextMapCompositePropagator).
//! [`XrayLambdaPropagator`] adds the `_X_AMZN_TRACE_ID` value of a Lambda invocation, with a documented
//! precedence.
//!
//! # Extraction rules
//!
//! The header value is parsed by [`XrayTraceHeader::parse`]: ids strictly (version `1`, exactly 8 + 24
//! hex digits in `Root`, exactly 16 in `Parent`, no padding), everything else leniently (key order,
//! trailing `;`, unknown keys such as `Self` or `CalledFrom`). A header that fails leaves the incoming
//! context untouched, so an earlier propagator's result (for example from `traceparent`) survives.
//!
//! Two fields may be missing, and the propagator's policies say what that means:
//!
//! | header | policy | default | what the extracted span context gets |
//! |---|---|---|---|
//! | no `Sampled`, or `Sampled=?` | [`MissingSampledPolicy`] | [`Sampled`](MissingSampledPolicy::Sampled) | the sampled flag set; or cleared; or cleared and marked deferred |
//! | no `Parent` | [`MissingParentPolicy`] | [`SyntheticParent`](MissingParentPolicy::SyntheticParent) | the header's trace id under a parent id derived from it by [`synthetic_parent_span_id`]; or nothing |
//!
//! The lookup asks the carrier for `x-amzn-trace-id`, then `X-Amzn-Trace-Id`, then for any of its keys
//! that matches case-insensitively, so carriers with exact-match lookups work whichever spelling the
//! sender used. (opentelemetry's own `HashMap<String, String>` extractor lower-cases every name it is
//! asked for, so with it only lower-case keys can be found: lower-case header names when filling one.)
//!
//! A valid `Lineage` (Lambda's recursion counter) is kept in the span context's
//! [`TraceState`] under [`LINEAGE_TRACE_STATE_KEY`], so it survives extract → new span → inject (the
//! SDK copies the parent's trace state into child spans). Being in the trace state, it also travels in
//! W3C `tracestate`, which keeps the counter alive across hops that speak only W3C. An invalid
//! `Lineage` is dropped.
//!
//! # Injection
//!
//! A valid span context is written as `Root=1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx;Parent=<span id>;Sampled=1`
//! (or `Sampled=0`), followed by `;Lineage=…` when the trace state holds a valid one. An invalid span
//! context writes nothing. The header is set under the lower-case name `x-amzn-trace-id`, which every
//! HTTP library accepts.
//!
//! # Why not `opentelemetry-aws`
//!
//! The propagator in opentelemetry-rust-contrib parses ids with `from_str_radix`, which accepts short hex
//! and silently left-pads it: `Parent=abc` becomes `0000000000000abc`, and a `Root` with a 23-digit unique
//! part becomes a different, shifted trace id (xray-protocol.md §6.3). It also skips the version check,
//! copies every unknown key (including ALB's per-hop `Self`) into the trace state, and marks deferred
//! sampling with trace-flag bit `0x02`, which W3C Trace Context level 2 assigns to "random trace id".
//! This module checks exact lengths instead, keeps unknown keys out of the trace state, and records
//! deferral in the [`Context`] only.

mod header;
mod lambda;

use std::sync::OnceLock;

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator, text_map_propagator::FieldIter};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};

pub use header::{SampledField, TraceHeaderError, XrayTraceHeader, is_valid_lineage};
pub use lambda::{LAMBDA_TRACE_HEADER_ENV, LambdaPrecedence, XrayLambdaPropagator};

/// The header name this propagator writes, lower case: `x-amzn-trace-id`.
pub const HEADER_NAME: &str = "x-amzn-trace-id";

/// The spelling AWS documents, tried second when reading: `X-Amzn-Trace-Id`.
pub const HEADER_NAME_CANONICAL: &str = "X-Amzn-Trace-Id";

/// The [`TraceState`] key that carries a valid `Lineage` value: `lineage`.
///
/// The same key as opentelemetry-rust-contrib uses, so the two interoperate over W3C `tracestate`.
pub const LINEAGE_TRACE_STATE_KEY: &str = "lineage";

/// Mixed into [`synthetic_parent_span_id`]; the ASCII bytes of `XRAYROOT`.
#[cfg(test)]
const SYNTHETIC_PARENT_SALT: u64 = 0x5852_4159_524f_4f54;

/// What a header without a sampling decision (no `Sampled` field, or `Sampled=?`) means.
///
/// ALB and API Gateway forward headers with no `Sampled` field, and `Sampled=?` asks the receiver to
/// decide. Both say "nobody has decided yet", so one policy covers both.
///
/// The default is [`Sampled`](Self::Sampled):
///
/// * Every user report behind UN-04 (opentelemetry-rust-contrib#522, opentelemetry-python-contrib#649,
///   swift-otel-xray#7) is about services behind ALB or API Gateway that lost all their traces because
///   the propagator turned "no decision" into "not sampled" or "deferred", which the SDK's parent-based
///   samplers both treat as not sampled. Losing every trace silently is the worst outcome.
/// * With the SDK's default sampler, `ParentBased(AlwaysOn)`, sampling these requests is exactly what a
///   true deferral to the root sampler would give.
/// * Services that sample a fraction of roots should choose [`Defer`](Self::Defer) together with
///   [`XrayParentBasedSampler`](crate::XrayParentBasedSampler), which hands such requests to the root
///   sampler. `Sampled` would sample all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MissingSampledPolicy {
    /// Leave the decision to the local sampler.
    ///
    /// The extracted span context is *not* sampled, and the [`Context`] records that the decision was
    /// deferred (see [`is_sampling_deferred`]). [`XrayParentBasedSampler`](crate::XrayParentBasedSampler)
    /// sends such requests to its root sampler. The SDK's own parent-based samplers cannot see the
    /// mark and treat the parent as not sampled, so with them this behaves like [`NotSampled`](Self::NotSampled).
    Defer,
    /// Treat the request as sampled (the default; see the type's documentation).
    #[default]
    Sampled,
    /// Treat the request as not sampled, as the Go, Java and Python contrib propagators do for a missing
    /// `Sampled` field.
    NotSampled,
}

/// What a header without a `Parent` field means.
///
/// ALB sends only `Root` (and rewrites the header to only `Root` when request headers exceed 7 KB), and
/// API Gateway may send no `Parent`. UN-04 requires such headers to keep their trace id, so that the
/// trace matches the ALB access logs. OpenTelemetry has no "trace id without a parent" context: the SDK
/// starts a new trace, with a new trace id, unless the parent span context is valid, and a valid span
/// context needs a span id. Hence the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MissingParentPolicy {
    /// Keep the trace id and use [`synthetic_parent_span_id`] of it as the remote parent's span id
    /// (the default).
    ///
    /// The first span of the service then carries the caller's trace id, as UN-04 asks. Its parent id
    /// names no recorded segment; X-Ray accepts that, and a translator can recognise the id with
    /// [`is_synthetic_parent`] and leave `parent_id` out of the segment.
    #[default]
    SyntheticParent,
    /// Ignore the header, as the Go, Java, JS and Python contrib propagators do. The service starts a new
    /// trace.
    Ignore,
}

/// The parent span id [`MissingParentPolicy::SyntheticParent`] uses for a header with this trace id.
///
/// It is a pure function of the trace id, so that a translator can recognise it without any state:
/// the trace id's two big-endian 64-bit halves XOR-ed together and with `0x5852_4159_524f_4f54`
/// (`"XRAYROOT"`); should that be zero, the constant itself. A real parent id collides with it with
/// probability 2⁻⁶⁴.
pub fn synthetic_parent_span_id(trace_id: TraceId) -> SpanId {
    // One definition, in the model crate, shared with the translator (which drops such parents).
    let xray = otel_xray_model::TraceId(trace_id.to_bytes());
    SpanId::from_bytes(xray.synthetic_parent().0)
}

/// Whether `parent` has the span id that [`MissingParentPolicy::SyntheticParent`] makes up for its trace
/// id, meaning that the X-Ray header it came from had no `Parent`.
pub fn is_synthetic_parent(parent: &SpanContext) -> bool {
    parent.is_valid() && parent.span_id() == synthetic_parent_span_id(parent.trace_id())
}

/// The mark [`MissingSampledPolicy::Defer`] leaves in the extracted [`Context`]. It names the span it
/// belongs to, so that child contexts, which inherit context values, do not inherit the deferral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SamplingDeferred {
    span_id: SpanId,
}

/// Whether `cx` holds a remote span context extracted from an X-Ray header whose sampling decision was
/// deferred ([`MissingSampledPolicy::Defer`] with no `Sampled` field or `Sampled=?`).
///
/// Only the extracted remote parent counts: spans started under it are local and get `false`. Samplers
/// receive the parent context, so a sampler can call this on it, as
/// [`XrayParentBasedSampler`](crate::XrayParentBasedSampler) does.
pub fn is_sampling_deferred(cx: &Context) -> bool {
    let span = cx.span();
    let parent = span.span_context();
    parent.is_valid()
        && parent.is_remote()
        && !parent.is_sampled()
        && cx
            .get::<SamplingDeferred>()
            .is_some_and(|mark| mark.span_id == parent.span_id())
}

/// Propagates span contexts in the AWS X-Ray `X-Amzn-Trace-Id` header.
///
/// See the [module documentation](self) for the parsing, policy and injection rules.
///
/// ```
/// use std::collections::HashMap;
///
/// use opentelemetry::propagation::TextMapPropagator;
/// use opentelemetry::trace::TraceContextExt;
/// use otel_xray::propagator::{MissingParentPolicy, MissingSampledPolicy, XrayPropagator};
///
/// let propagator = XrayPropagator::new()
///     .with_missing_sampled(MissingSampledPolicy::Defer)
///     .with_missing_parent(MissingParentPolicy::Ignore);
///
/// let mut headers = HashMap::new();
/// // `HashMap`'s extractor looks names up in lower case.
/// headers.insert(
///     "x-amzn-trace-id".to_string(),
///     "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".to_string(),
/// );
/// let cx = propagator.extract(&headers);
/// assert_eq!(cx.span().span_context().trace_id().to_string(), "5759e988bd862e3fe1be46a994272793");
///
/// let mut out = HashMap::new();
/// propagator.inject_context(&cx, &mut out);
/// assert_eq!(
///     out["x-amzn-trace-id"],
///     "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XrayPropagator {
    missing_sampled: MissingSampledPolicy,
    missing_parent: MissingParentPolicy,
}

impl XrayPropagator {
    /// A propagator with the default policies: [`MissingSampledPolicy::Sampled`] and
    /// [`MissingParentPolicy::SyntheticParent`].
    pub const fn new() -> Self {
        Self {
            missing_sampled: MissingSampledPolicy::Sampled,
            missing_parent: MissingParentPolicy::SyntheticParent,
        }
    }

    /// Sets what a header without a sampling decision (no `Sampled`, or `Sampled=?`) means.
    pub const fn with_missing_sampled(mut self, policy: MissingSampledPolicy) -> Self {
        self.missing_sampled = policy;
        self
    }

    /// Sets what a header without `Parent` means.
    pub const fn with_missing_parent(mut self, policy: MissingParentPolicy) -> Self {
        self.missing_parent = policy;
        self
    }

    /// The policy for headers without a sampling decision.
    pub const fn missing_sampled(&self) -> MissingSampledPolicy {
        self.missing_sampled
    }

    /// The policy for headers without `Parent`.
    pub const fn missing_parent(&self) -> MissingParentPolicy {
        self.missing_parent
    }

    /// The remote span context this propagator's policies make of `header`, or `None` if they reject it.
    ///
    /// The trace state is `base` plus the header's `Lineage`, if any. The returned flag says whether the
    /// sampling decision was deferred.
    fn span_context(&self, header: &XrayTraceHeader, base: TraceState) -> Option<(SpanContext, bool)> {
        let span_id = match (header.parent_id, self.missing_parent) {
            (Some(id), _) => id,
            (None, MissingParentPolicy::SyntheticParent) => synthetic_parent_span_id(header.trace_id),
            (None, MissingParentPolicy::Ignore) => return None,
        };
        let (sampled, deferred) = match (header.sampled, self.missing_sampled) {
            (SampledField::Sampled, _) => (true, false),
            (SampledField::NotSampled, _) => (false, false),
            (SampledField::Requested | SampledField::Absent, MissingSampledPolicy::Sampled) => (true, false),
            (SampledField::Requested | SampledField::Absent, MissingSampledPolicy::NotSampled) => (false, false),
            (SampledField::Requested | SampledField::Absent, MissingSampledPolicy::Defer) => (false, true),
        };
        let flags = if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::NOT_SAMPLED
        };
        let trace_state = match &header.lineage {
            // The key and a valid lineage are always valid trace-state entries; keep `base` if not.
            Some(lineage) => base.insert(LINEAGE_TRACE_STATE_KEY, lineage.as_str()).unwrap_or(base),
            None => base,
        };
        Some((
            SpanContext::new(header.trace_id, span_id, flags, true, trace_state),
            deferred,
        ))
    }

    /// `cx` with the span context `header` yields under this propagator's policies, or `None` if the
    /// policies reject the header.
    ///
    /// When `cx` already holds a valid span context of the same trace (say, from `traceparent`), its trace
    /// state is kept, so W3C `tracestate` entries survive an X-Ray header that wins.
    fn context_from_header(&self, cx: &Context, header: &XrayTraceHeader) -> Option<Context> {
        let base = {
            let span = cx.span();
            let current = span.span_context();
            if current.is_valid() && current.trace_id() == header.trace_id {
                current.trace_state().clone()
            } else {
                TraceState::NONE
            }
        };
        let (span_context, deferred) = self.span_context(header, base)?;
        let span_id = span_context.span_id();
        let cx = cx.with_remote_span_context(span_context);
        Some(if deferred {
            cx.with_value(SamplingDeferred { span_id })
        } else {
            cx
        })
    }
}

/// The header value in `extractor`, whatever the case of its name.
fn find_header(extractor: &dyn Extractor) -> Option<&str> {
    extractor
        .get(HEADER_NAME)
        .or_else(|| extractor.get(HEADER_NAME_CANONICAL))
        .or_else(|| {
            // Carriers such as `HashMap` are case-sensitive: find any other spelling by scanning the keys.
            let key = extractor
                .keys()
                .into_iter()
                .find(|key| key.eq_ignore_ascii_case(HEADER_NAME))?;
            extractor.get(key)
        })
}

/// The header value for a valid span context: `Root=…;Parent=…;Sampled=1|0[;Lineage=…]`.
fn header_value(span_context: &SpanContext) -> String {
    let lineage = span_context
        .trace_state()
        .get(LINEAGE_TRACE_STATE_KEY)
        .filter(|lineage| is_valid_lineage(lineage))
        .map(str::to_owned);
    XrayTraceHeader {
        trace_id: span_context.trace_id(),
        parent_id: Some(span_context.span_id()),
        sampled: if span_context.is_sampled() {
            SampledField::Sampled
        } else {
            SampledField::NotSampled
        },
        lineage,
    }
    .to_string()
}

fn header_fields() -> &'static [String; 1] {
    static FIELDS: OnceLock<[String; 1]> = OnceLock::new();
    FIELDS.get_or_init(|| [HEADER_NAME.to_owned()])
}

impl TextMapPropagator for XrayPropagator {
    /// Writes the header for the context's span; writes nothing if the span context is invalid.
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let span_context = span.span_context();
        if span_context.is_valid() {
            injector.set(HEADER_NAME, header_value(span_context));
        }
    }

    /// Returns `cx` with the header's span context as remote parent, or `cx` unchanged when the carrier has
    /// no header or the header is rejected.
    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        find_header(extractor)
            .and_then(|value| XrayTraceHeader::parse(value).ok())
            .and_then(|header| self.context_from_header(cx, &header))
            .unwrap_or_else(|| cx.clone())
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(header_fields())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use opentelemetry::propagation::TextMapCompositePropagator;
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use proptest::prelude::*;

    use super::*;

    const TRACE_HEX: &str = "5759e988bd862e3fe1be46a994272793";
    const SPAN_HEX: &str = "53995c3f42cd8ad8";
    const FULL: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    fn trace_id() -> TraceId {
        TraceId::from_hex(TRACE_HEX).unwrap()
    }

    fn span_id() -> SpanId {
        SpanId::from_hex(SPAN_HEX).unwrap()
    }

    fn carrier(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn extract(propagator: &XrayPropagator, value: &str) -> Context {
        propagator.extract_with_context(&Context::new(), &carrier(&[(HEADER_NAME, value)]))
    }

    fn span_context_of(cx: &Context) -> SpanContext {
        cx.span().span_context().clone()
    }

    fn remote(trace_id: TraceId, span_id: SpanId, sampled: bool) -> SpanContext {
        let flags = if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::NOT_SAMPLED
        };
        SpanContext::new(trace_id, span_id, flags, true, TraceState::NONE)
    }

    fn inject(propagator: &dyn TextMapPropagator, span_context: SpanContext) -> HashMap<String, String> {
        let mut out = HashMap::new();
        propagator.inject_context(&Context::new().with_remote_span_context(span_context), &mut out);
        out
    }

    #[test]
    fn extracts_a_full_header() {
        let cx = extract(&XrayPropagator::new(), FULL);
        assert_eq!(span_context_of(&cx), remote(trace_id(), span_id(), true));
        assert!(!is_sampling_deferred(&cx));
    }

    #[test]
    fn rejected_headers_leave_the_context_alone() {
        let propagator = XrayPropagator::new();
        let parent = remote(trace_id(), span_id(), true);
        let before = Context::new().with_remote_span_context(parent.clone());
        for bad in [
            "",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=abc;Sampled=1",
            "Root=1-0-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=yes",
            "Parent=53995c3f42cd8ad8;Sampled=1",
        ] {
            let after = propagator.extract_with_context(&before, &carrier(&[(HEADER_NAME, bad)]));
            assert_eq!(span_context_of(&after), parent, "{bad:?}");
            let fresh = extract(&propagator, bad);
            assert!(!fresh.span().span_context().is_valid(), "{bad:?}");
        }
    }

    /// An extractor that, unlike `HashMap`'s, matches keys exactly, as many framework header maps do.
    struct CaseSensitive(Vec<(String, String)>);

    impl Extractor for CaseSensitive {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
        }

        fn keys(&self) -> Vec<&str> {
            self.0.iter().map(|(k, _)| k.as_str()).collect()
        }
    }

    #[test]
    fn header_name_lookup_is_case_insensitive() {
        let propagator = XrayPropagator::new();
        for name in [
            "x-amzn-trace-id",
            "X-Amzn-Trace-Id",
            "X-AMZN-TRACE-ID",
            "x-Amzn-trace-ID",
        ] {
            let headers = CaseSensitive(vec![
                ("Content-Type".to_string(), "text/plain".to_string()),
                (name.to_string(), FULL.to_string()),
            ]);
            let cx = propagator.extract(&headers);
            assert_eq!(span_context_of(&cx), remote(trace_id(), span_id(), true), "{name}");
        }
        // opentelemetry's `HashMap` extractor lower-cases the name it looks up, so lower-case keys work.
        let cx = propagator.extract(&carrier(&[(HEADER_NAME, FULL)]));
        assert_eq!(span_context_of(&cx), remote(trace_id(), span_id(), true));
        let near_miss = CaseSensitive(vec![("x-amzn-trace-idx".to_string(), FULL.to_string())]);
        assert!(!propagator.extract(&near_miss).span().span_context().is_valid());
    }

    #[test]
    fn missing_sampled_policies() {
        let headers = [
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?",
        ];
        // (policy, sampled flag, deferred)
        let cases = [
            (MissingSampledPolicy::Sampled, true, false),
            (MissingSampledPolicy::NotSampled, false, false),
            (MissingSampledPolicy::Defer, false, true),
        ];
        for header in headers {
            for (policy, sampled, deferred) in cases {
                let propagator = XrayPropagator::new().with_missing_sampled(policy);
                let cx = extract(&propagator, header);
                let sc = span_context_of(&cx);
                assert_eq!(sc, remote(trace_id(), span_id(), sampled), "{policy:?} {header:?}");
                assert_eq!(is_sampling_deferred(&cx), deferred, "{policy:?} {header:?}");
            }
        }
        assert_eq!(
            XrayPropagator::default().missing_sampled(),
            MissingSampledPolicy::Sampled
        );
    }

    #[test]
    fn explicit_sampled_values_ignore_the_policy() {
        for policy in [
            MissingSampledPolicy::Sampled,
            MissingSampledPolicy::NotSampled,
            MissingSampledPolicy::Defer,
        ] {
            let propagator = XrayPropagator::new().with_missing_sampled(policy);
            let on = extract(&propagator, FULL);
            assert!(span_context_of(&on).is_sampled());
            let off = extract(&propagator, &FULL.replace("Sampled=1", "Sampled=0"));
            assert!(!span_context_of(&off).is_sampled());
            assert!(!is_sampling_deferred(&off), "Sampled=0 is a decision, not a deferral");
        }
    }

    #[test]
    fn deferral_does_not_leak_into_child_contexts() {
        let propagator = XrayPropagator::new().with_missing_sampled(MissingSampledPolicy::Defer);
        let cx = extract(
            &propagator,
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
        );
        assert!(is_sampling_deferred(&cx));
        // A local child span context inherits the context values but is not the deferred parent.
        let child = SpanContext::new(
            trace_id(),
            SpanId::from_hex("1111111111111111").unwrap(),
            TraceFlags::NOT_SAMPLED,
            false,
            TraceState::NONE,
        );
        assert!(!is_sampling_deferred(&cx.with_remote_span_context(child)));
        // A later, decided extraction on top of the same context is not deferred either.
        let decided = propagator.extract_with_context(&cx, &carrier(&[(HEADER_NAME, FULL)]));
        assert!(!is_sampling_deferred(&decided));
    }

    #[test]
    fn missing_parent_policies() {
        let root_only = "Root=1-5759e988-bd862e3fe1be46a994272793";
        let cx = extract(&XrayPropagator::new(), root_only);
        let sc = span_context_of(&cx);
        assert!(sc.is_valid() && sc.is_remote() && sc.is_sampled());
        assert_eq!(sc.trace_id(), trace_id(), "the ALB trace id is kept");
        assert_eq!(sc.span_id(), synthetic_parent_span_id(trace_id()));
        assert!(is_synthetic_parent(&sc));
        assert!(!is_synthetic_parent(&remote(trace_id(), span_id(), true)));

        let ignore = XrayPropagator::new().with_missing_parent(MissingParentPolicy::Ignore);
        assert!(!span_context_of(&extract(&ignore, root_only)).is_valid());
        assert!(span_context_of(&extract(&ignore, FULL)).is_valid());
    }

    #[test]
    fn synthetic_parent_ids_are_deterministic_and_never_zero() {
        let id = synthetic_parent_span_id(trace_id());
        assert_eq!(id, synthetic_parent_span_id(trace_id()));
        assert_ne!(id, SpanId::INVALID);
        // Halves that cancel the salt would give zero; the salt itself is used instead.
        let salt = SYNTHETIC_PARENT_SALT.to_be_bytes();
        let mut bytes = [0u8; 16];
        bytes[8..].copy_from_slice(&salt);
        assert_eq!(
            synthetic_parent_span_id(TraceId::from_bytes(bytes)),
            SpanId::from_bytes(SYNTHETIC_PARENT_SALT.to_be_bytes())
        );
        // Zipkin-style 64-bit ids (high half zero, root span id == low half) are not mistaken for it.
        let zipkin = TraceId::from_hex("000000000000000053995c3f42cd8ad8").unwrap();
        assert_ne!(synthetic_parent_span_id(zipkin), span_id());
    }

    #[test]
    fn injects_the_canonical_form() {
        let propagator = XrayPropagator::new();
        let out = inject(&propagator, remote(trace_id(), span_id(), true));
        assert_eq!(out.len(), 1);
        assert_eq!(out[HEADER_NAME], FULL);
        let out = inject(&propagator, remote(trace_id(), span_id(), false));
        assert_eq!(out[HEADER_NAME], FULL.replace("Sampled=1", "Sampled=0"));
    }

    #[test]
    fn invalid_span_contexts_inject_nothing() {
        let propagator = XrayPropagator::new();
        for sc in [
            SpanContext::empty_context(),
            remote(TraceId::INVALID, span_id(), true),
            remote(trace_id(), SpanId::INVALID, true),
        ] {
            assert!(inject(&propagator, sc).is_empty());
        }
        let mut out = HashMap::new();
        propagator.inject_context(&Context::new(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn lineage_survives_extract_then_inject() {
        let propagator = XrayPropagator::new();
        let input = format!("{FULL};Lineage=12:a87bd80c:1");
        let cx = extract(&propagator, &input);
        assert_eq!(
            span_context_of(&cx).trace_state().get(LINEAGE_TRACE_STATE_KEY),
            Some("12:a87bd80c:1")
        );
        let mut out = HashMap::new();
        propagator.inject_context(&cx, &mut out);
        assert_eq!(out[HEADER_NAME], input);

        // A child span copies the parent's trace state, so the outgoing call carries it too.
        let child = SpanContext::new(
            trace_id(),
            SpanId::from_hex("1111111111111111").unwrap(),
            TraceFlags::SAMPLED,
            false,
            span_context_of(&cx).trace_state().clone(),
        );
        let out = inject(&propagator, child);
        assert_eq!(
            out[HEADER_NAME],
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=1111111111111111;Sampled=1;Lineage=12:a87bd80c:1"
        );
    }

    #[test]
    fn invalid_lineage_is_dropped() {
        let propagator = XrayPropagator::new();
        for lineage in ["d4d48d4d:0", "40000:a87bd80c:1", "1:a87bd80c:300", "1:xyz:1"] {
            let cx = extract(&propagator, &format!("{FULL};Lineage={lineage}"));
            let sc = span_context_of(&cx);
            assert!(sc.is_valid(), "{lineage}: the header stays valid");
            assert_eq!(sc.trace_state().get(LINEAGE_TRACE_STATE_KEY), None, "{lineage}");
            let mut out = HashMap::new();
            propagator.inject_context(&cx, &mut out);
            assert_eq!(out[HEADER_NAME], FULL, "{lineage}");
        }
        // Nor is an invalid lineage that reached the trace state another way written out.
        let state = TraceState::from_key_value([(LINEAGE_TRACE_STATE_KEY, "99999:zz:1")]).unwrap();
        let sc = SpanContext::new(trace_id(), span_id(), TraceFlags::SAMPLED, true, state);
        assert_eq!(inject(&propagator, sc)[HEADER_NAME], FULL);
    }

    #[test]
    fn unknown_keys_are_not_carried_forward() {
        let propagator = XrayPropagator::new();
        let cx = extract(
            &propagator,
            &format!("Self=1-67891233-abcdef012345678912345678;{FULL};CalledFrom=app"),
        );
        let sc = span_context_of(&cx);
        assert_eq!(sc.trace_state(), &TraceState::NONE);
        let mut out = HashMap::new();
        propagator.inject_context(&cx, &mut out);
        assert_eq!(out[HEADER_NAME], FULL);
    }

    #[test]
    fn fields_name_the_lower_case_header() {
        assert_eq!(XrayPropagator::new().fields().collect::<Vec<_>>(), vec![HEADER_NAME]);
    }

    fn composite() -> TextMapCompositePropagator {
        TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(XrayPropagator::new()),
        ])
    }

    #[test]
    fn composite_injects_both_headers_for_the_same_span() {
        let out = inject(&composite(), remote(trace_id(), span_id(), true));
        assert_eq!(out["traceparent"], format!("00-{TRACE_HEX}-{SPAN_HEX}-01"));
        assert_eq!(out[HEADER_NAME], FULL);
        let mut fields = composite().fields().map(str::to_owned).collect::<Vec<_>>();
        fields.sort();
        assert_eq!(fields, vec!["traceparent", "tracestate", HEADER_NAME]);
    }

    #[test]
    fn composite_extracts_either_header() {
        let propagator = composite();
        let w3c = propagator.extract(&carrier(&[("traceparent", &format!("00-{TRACE_HEX}-{SPAN_HEX}-01"))]));
        assert_eq!(span_context_of(&w3c), remote(trace_id(), span_id(), true));
        let xray = propagator.extract(&carrier(&[(HEADER_NAME, FULL)]));
        assert_eq!(span_context_of(&xray), remote(trace_id(), span_id(), true));
    }

    #[test]
    fn composite_keeps_traceparent_when_the_xray_header_is_bad() {
        let cx = composite().extract(&carrier(&[
            ("traceparent", &format!("00-{TRACE_HEX}-{SPAN_HEX}-01")),
            (
                HEADER_NAME,
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=abc;Sampled=1",
            ),
        ]));
        assert_eq!(span_context_of(&cx), remote(trace_id(), span_id(), true));
    }

    #[test]
    fn composite_xray_header_keeps_tracestate_of_the_same_trace() {
        let cx = composite().extract(&carrier(&[
            ("traceparent", &format!("00-{TRACE_HEX}-{SPAN_HEX}-01")),
            ("tracestate", "vendor=abc"),
            (HEADER_NAME, &format!("{FULL};Lineage=2:a87bd80c:1")),
        ]));
        let sc = span_context_of(&cx);
        assert_eq!(sc.trace_state().get("vendor"), Some("abc"));
        assert_eq!(sc.trace_state().get(LINEAGE_TRACE_STATE_KEY), Some("2:a87bd80c:1"));

        // Both headers go back out, and W3C tracestate carries the lineage along.
        let mut out = HashMap::new();
        composite().inject_context(&cx, &mut out);
        assert_eq!(out[HEADER_NAME], format!("{FULL};Lineage=2:a87bd80c:1"));
        assert_eq!(out["tracestate"], "lineage=2:a87bd80c:1,vendor=abc");

        // A different trace's tracestate is not inherited.
        let other = composite().extract(&carrier(&[
            ("traceparent", &format!("00-{}-{SPAN_HEX}-01", "1".repeat(32))),
            ("tracestate", "vendor=abc"),
            (HEADER_NAME, FULL),
        ]));
        assert_eq!(span_context_of(&other), remote(trace_id(), span_id(), true));
    }

    proptest! {
        #[test]
        fn extract_never_panics(value in any::<String>(), name in "(?i)x-amzn-trace-id") {
            for propagator in [
                XrayPropagator::new(),
                XrayPropagator::new()
                    .with_missing_sampled(MissingSampledPolicy::Defer)
                    .with_missing_parent(MissingParentPolicy::Ignore),
            ] {
                let cx = propagator.extract(&carrier(&[(name.as_str(), value.as_str())]));
                let mut out = HashMap::new();
                propagator.inject_context(&cx, &mut out);
                let _ = is_sampling_deferred(&cx);
            }
        }

        #[test]
        fn inject_then_extract_round_trips(
            trace in any::<u128>().prop_filter("non-zero", |t| *t != 0),
            span in any::<u64>().prop_filter("non-zero", |s| *s != 0),
            sampled in any::<bool>(),
        ) {
            let propagator = XrayPropagator::new();
            let sc = remote(TraceId::from_bytes(trace.to_be_bytes()), SpanId::from_bytes(span.to_be_bytes()), sampled);
            let out = inject(&propagator, sc.clone());
            let back = propagator.extract(&out);
            prop_assert_eq!(span_context_of(&back), sc);
        }
    }
}
