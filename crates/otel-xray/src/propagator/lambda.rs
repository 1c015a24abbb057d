//! The Lambda variant of the X-Ray propagator: the invocation's `_X_AMZN_TRACE_ID` against the carrier.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator, text_map_propagator::FieldIter};
use opentelemetry::trace::TraceContextExt;

use super::{XrayPropagator, XrayTraceHeader};

/// The environment variable through which Lambda hands each invocation its tracing header:
/// `_X_AMZN_TRACE_ID`.
///
/// Lambda sets it for every invocation, with `Sampled=0` when active tracing is off. Custom runtimes copy
/// it from the Runtime API's `Lambda-Runtime-Trace-Id` response header; the `lambda_runtime` crate also
/// exposes it as `Context::xray_trace_id`.
pub const LAMBDA_TRACE_HEADER_ENV: &str = "_X_AMZN_TRACE_ID";

/// Which parent wins when the carrier and `_X_AMZN_TRACE_ID` both yield one.
///
/// "Carrier" means the context the carrier yields: the incoming context as earlier propagators in a
/// composite left it (W3C `traceparent`, say), overridden by a valid `X-Amzn-Trace-Id` header in the
/// carrier. "Environment" means the `_X_AMZN_TRACE_ID` value; it is *sampled* when its span context has
/// the sampled flag (normally `Sampled=1`, that is, active tracing is on).
///
/// | precedence | 1st | 2nd | 3rd |
/// |---|---|---|---|
/// | [`SampledEnvironmentFirst`](Self::SampledEnvironmentFirst) (default) | sampled environment | carrier | unsampled environment |
/// | [`CarrierFirst`](Self::CarrierFirst) | carrier | environment | — |
/// | [`SampledEnvironmentOnly`](Self::SampledEnvironmentOnly) | sampled environment | carrier | — |
///
/// In every variant an unsampled environment value never overrides a valid carrier parent: with active
/// tracing off Lambda still sets `_X_AMZN_TRACE_ID`, with `Sampled=0`, and letting it win would cut every
/// W3C-propagated trace at the function and stop it from being recorded (UN-28,
/// opentelemetry-lambda#1782).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LambdaPrecedence {
    /// A sampled environment value wins; otherwise the carrier; otherwise the unsampled environment value.
    ///
    /// The default:
    ///
    /// * with active tracing on, Lambda has recorded the function's segment, and the function's spans
    ///   belong under it (xray-protocol.md §5; this is also what the Java, JS and Python Lambda
    ///   propagators do);
    /// * with active tracing off, a caller's W3C or X-Ray parent is kept (UN-28);
    /// * with neither, the invocation's own trace id is used, so the function's spans share it with
    ///   Lambda's logs. It is not sampled, so parent-based samplers record nothing, as active tracing
    ///   being off asks.
    #[default]
    SampledEnvironmentFirst,
    /// The carrier's parent wins whenever it is valid; the environment value is only a fallback.
    ///
    /// For functions whose callers propagate context themselves and whose traces should not be re-rooted
    /// under Lambda's segment.
    CarrierFirst,
    /// A sampled environment value wins; otherwise the carrier. An unsampled environment value is never
    /// used.
    ///
    /// For functions with active tracing off that still want to start sampled traces of their own (the
    /// root sampler then decides), as asked in opentelemetry-js-contrib#2416.
    SampledEnvironmentOnly,
}

/// An [`XrayPropagator`] that also considers the `_X_AMZN_TRACE_ID` value of the current Lambda invocation.
///
/// Extraction reads the carrier as [`XrayPropagator`] does, then chooses between that result and the
/// environment value by [`LambdaPrecedence`]. Injection is [`XrayPropagator`]'s.
///
/// The value changes with every invocation, so build a propagator per invocation: it is cheap (one
/// header parse). The propagator does not read the environment itself; pass the value to
/// [`new`](Self::new), or call [`from_env`](Self::from_env), which reads [`LAMBDA_TRACE_HEADER_ENV`] once,
/// when it is called. In a [`TextMapCompositePropagator`](opentelemetry::propagation::TextMapCompositePropagator)
/// put it last, after `TraceContextPropagator`, so that it sees the W3C parent and has the last word.
///
/// ```
/// use std::collections::HashMap;
///
/// use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
/// use opentelemetry::trace::TraceContextExt;
/// use opentelemetry_sdk::propagation::TraceContextPropagator;
/// use otel_xray::propagator::XrayLambdaPropagator;
///
/// // From the runtime, e.g. `lambda_runtime::Context::xray_trace_id`; active tracing is off here.
/// let lambda_header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0";
/// let propagator = TextMapCompositePropagator::new(vec![
///     Box::new(TraceContextPropagator::new()),
///     Box::new(XrayLambdaPropagator::new(Some(lambda_header))),
/// ]);
///
/// // The event carries a sampled W3C parent: it is kept, because the Lambda value is unsampled.
/// let mut headers = HashMap::new();
/// headers.insert(
///     "traceparent".to_string(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string(),
/// );
/// let cx = propagator.extract(&headers);
/// assert_eq!(cx.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(cx.span().span_context().is_sampled());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XrayLambdaPropagator {
    xray: XrayPropagator,
    environment: Option<XrayTraceHeader>,
    precedence: LambdaPrecedence,
}

impl XrayLambdaPropagator {
    /// A propagator for one invocation whose `_X_AMZN_TRACE_ID` value is `trace_header`.
    ///
    /// `None`, or a value that [`XrayTraceHeader::parse`] rejects, leaves only the carrier.
    pub fn new(trace_header: Option<&str>) -> Self {
        Self {
            xray: XrayPropagator::new(),
            environment: trace_header.and_then(|value| XrayTraceHeader::parse(value).ok()),
            precedence: LambdaPrecedence::default(),
        }
    }

    /// A propagator for the current invocation, reading [`LAMBDA_TRACE_HEADER_ENV`] now.
    ///
    /// This is the only place the crate reads the environment. Call it per invocation: the value of one
    /// invocation is wrong for the next.
    pub fn from_env() -> Self {
        Self::new(std::env::var(LAMBDA_TRACE_HEADER_ENV).ok().as_deref())
    }

    /// Uses `xray`, with its policies, for both the carrier and the environment value.
    pub const fn with_propagator(mut self, xray: XrayPropagator) -> Self {
        self.xray = xray;
        self
    }

    /// Sets which parent wins; see [`LambdaPrecedence`].
    pub const fn with_precedence(mut self, precedence: LambdaPrecedence) -> Self {
        self.precedence = precedence;
        self
    }

    /// The parsed environment value, if there was a valid one.
    pub const fn environment(&self) -> Option<&XrayTraceHeader> {
        self.environment.as_ref()
    }

    /// The precedence in use.
    pub const fn precedence(&self) -> LambdaPrecedence {
        self.precedence
    }
}

impl TextMapPropagator for XrayLambdaPropagator {
    /// Writes the `X-Amzn-Trace-Id` header exactly as [`XrayPropagator`] does.
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        self.xray.inject_context(cx, injector);
    }

    /// Returns the carrier's or the environment's parent, as [`LambdaPrecedence`] orders them.
    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let from_carrier = self.xray.extract_with_context(cx, extractor);
        let Some(from_environment) = self
            .environment
            .as_ref()
            .and_then(|header| self.xray.context_from_header(&from_carrier, header))
        else {
            return from_carrier;
        };
        let carrier_valid = from_carrier.span().span_context().is_valid();
        let environment_sampled = from_environment.span().span_context().is_sampled();
        let use_environment = match self.precedence {
            LambdaPrecedence::SampledEnvironmentFirst => environment_sampled || !carrier_valid,
            LambdaPrecedence::CarrierFirst => !carrier_valid,
            LambdaPrecedence::SampledEnvironmentOnly => environment_sampled,
        };
        if use_environment {
            from_environment
        } else {
            from_carrier
        }
    }

    fn fields(&self) -> FieldIter<'_> {
        self.xray.fields()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use opentelemetry::propagation::TextMapCompositePropagator;
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use proptest::prelude::*;

    use super::super::{HEADER_NAME, MissingSampledPolicy, is_sampling_deferred};
    use super::*;

    const ENV_TRACE: &str = "5759e988bd862e3fe1be46a994272793";
    const ENV_PARENT: &str = "53995c3f42cd8ad8";
    const ENV_SAMPLED: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    const ENV_UNSAMPLED: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0";
    const CARRIER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const CARRIER_PARENT: &str = "00f067aa0ba902b7";

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Carrier {
        Empty,
        W3cSampled,
        W3cUnsampled,
        XraySampled,
        XrayUnsampled,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Env {
        Absent,
        Sampled,
        Unsampled,
        Invalid,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Winner {
        Environment,
        Carrier,
        Nothing,
    }

    fn headers(carrier: Carrier) -> HashMap<String, String> {
        let pair = |k: &str, v: String| HashMap::from([(k.to_string(), v)]);
        let xray_root = format!(
            "Root=1-{}-{};Parent={CARRIER_PARENT}",
            &CARRIER_TRACE[..8],
            &CARRIER_TRACE[8..]
        );
        match carrier {
            Carrier::Empty => HashMap::new(),
            Carrier::W3cSampled => pair("traceparent", format!("00-{CARRIER_TRACE}-{CARRIER_PARENT}-01")),
            Carrier::W3cUnsampled => pair("traceparent", format!("00-{CARRIER_TRACE}-{CARRIER_PARENT}-00")),
            Carrier::XraySampled => pair(HEADER_NAME, format!("{xray_root};Sampled=1")),
            Carrier::XrayUnsampled => pair(HEADER_NAME, format!("{xray_root};Sampled=0")),
        }
    }

    fn env_value(env: Env) -> Option<&'static str> {
        match env {
            Env::Absent => None,
            Env::Sampled => Some(ENV_SAMPLED),
            Env::Unsampled => Some(ENV_UNSAMPLED),
            Env::Invalid => Some("Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8;Sampled=1"),
        }
    }

    fn winner(cx: &Context) -> Winner {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            Winner::Nothing
        } else if sc.trace_id() == TraceId::from_hex(ENV_TRACE).unwrap() {
            assert_eq!(sc.span_id(), SpanId::from_hex(ENV_PARENT).unwrap());
            Winner::Environment
        } else {
            assert_eq!(sc.trace_id(), TraceId::from_hex(CARRIER_TRACE).unwrap());
            assert_eq!(sc.span_id(), SpanId::from_hex(CARRIER_PARENT).unwrap());
            Winner::Carrier
        }
    }

    fn composite(lambda: XrayLambdaPropagator) -> TextMapCompositePropagator {
        TextMapCompositePropagator::new(vec![Box::new(TraceContextPropagator::new()), Box::new(lambda)])
    }

    /// Every combination of carrier, environment value and precedence, with the parent that must win.
    #[test]
    fn precedence_table() {
        use Carrier::*;
        use Winner::{Carrier as C, Environment as E, Nothing as N};
        let carriers = [Empty, W3cSampled, W3cUnsampled, XraySampled, XrayUnsampled];
        // Rows: precedence, then the winner for each environment value, per carrier in `carriers` order.
        let table: [(LambdaPrecedence, Env, [Winner; 5]); 12] = [
            (LambdaPrecedence::SampledEnvironmentFirst, Env::Absent, [N, C, C, C, C]),
            (LambdaPrecedence::SampledEnvironmentFirst, Env::Sampled, [E, E, E, E, E]),
            (
                LambdaPrecedence::SampledEnvironmentFirst,
                Env::Unsampled,
                [E, C, C, C, C],
            ),
            (LambdaPrecedence::SampledEnvironmentFirst, Env::Invalid, [N, C, C, C, C]),
            (LambdaPrecedence::CarrierFirst, Env::Absent, [N, C, C, C, C]),
            (LambdaPrecedence::CarrierFirst, Env::Sampled, [E, C, C, C, C]),
            (LambdaPrecedence::CarrierFirst, Env::Unsampled, [E, C, C, C, C]),
            (LambdaPrecedence::CarrierFirst, Env::Invalid, [N, C, C, C, C]),
            (LambdaPrecedence::SampledEnvironmentOnly, Env::Absent, [N, C, C, C, C]),
            (LambdaPrecedence::SampledEnvironmentOnly, Env::Sampled, [E, E, E, E, E]),
            (
                LambdaPrecedence::SampledEnvironmentOnly,
                Env::Unsampled,
                [N, C, C, C, C],
            ),
            (LambdaPrecedence::SampledEnvironmentOnly, Env::Invalid, [N, C, C, C, C]),
        ];
        for (precedence, env, winners) in table {
            for (carrier, want) in carriers.into_iter().zip(winners) {
                let lambda = XrayLambdaPropagator::new(env_value(env)).with_precedence(precedence);
                let cx = composite(lambda).extract(&headers(carrier));
                assert_eq!(winner(&cx), want, "{precedence:?}, env {env:?}, carrier {carrier:?}");
            }
        }
    }

    #[test]
    fn unsampled_environment_keeps_a_sampled_w3c_parent() {
        // UN-28, spelled out for the default precedence.
        let cx = composite(XrayLambdaPropagator::new(Some(ENV_UNSAMPLED))).extract(&headers(Carrier::W3cSampled));
        let sc = cx.span().span_context().clone();
        assert_eq!(sc.trace_id().to_string(), CARRIER_TRACE);
        assert!(sc.is_sampled() && sc.is_remote());
    }

    #[test]
    fn environment_parent_is_a_sampled_remote_context() {
        let lambda = XrayLambdaPropagator::new(Some(&format!("{ENV_SAMPLED};Lineage=3:a87bd80c:0")));
        let cx = lambda.extract(&HashMap::<String, String>::new());
        let sc = cx.span().span_context().clone();
        assert_eq!(sc.trace_id().to_string(), ENV_TRACE);
        assert_eq!(sc.span_id().to_string(), ENV_PARENT);
        assert!(sc.is_sampled() && sc.is_remote());
        assert_eq!(sc.trace_state().get("lineage"), Some("3:a87bd80c:0"));
    }

    #[test]
    fn inner_policies_apply_to_the_environment_value() {
        let lambda =
            XrayLambdaPropagator::new(Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"))
                .with_propagator(XrayPropagator::new().with_missing_sampled(MissingSampledPolicy::Defer));
        let cx = lambda.extract(&HashMap::<String, String>::new());
        assert!(is_sampling_deferred(&cx));
        assert_eq!(winner(&cx), Winner::Environment);
        // A deferred environment value is not "sampled", so it does not override a carrier parent.
        let cx = composite(lambda).extract(&headers(Carrier::W3cSampled));
        assert_eq!(winner(&cx), Winner::Carrier);
    }

    #[test]
    fn injects_like_the_xray_propagator() {
        let lambda = XrayLambdaPropagator::new(Some(ENV_SAMPLED));
        let sc = SpanContext::new(
            TraceId::from_hex(CARRIER_TRACE).unwrap(),
            SpanId::from_hex(CARRIER_PARENT).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        );
        let mut out = HashMap::new();
        lambda.inject_context(&Context::new().with_remote_span_context(sc), &mut out);
        assert_eq!(
            out[HEADER_NAME],
            "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"
        );
        assert_eq!(lambda.fields().collect::<Vec<_>>(), vec![HEADER_NAME]);
    }

    #[test]
    fn accessors_and_defaults() {
        let lambda = XrayLambdaPropagator::new(Some(ENV_SAMPLED));
        assert_eq!(lambda.precedence(), LambdaPrecedence::SampledEnvironmentFirst);
        assert_eq!(
            lambda.environment().map(ToString::to_string).as_deref(),
            Some(ENV_SAMPLED)
        );
        assert_eq!(XrayLambdaPropagator::new(Some("nonsense")).environment(), None);
        assert_eq!(XrayLambdaPropagator::default().environment(), None);
    }

    proptest! {
        #[test]
        fn extract_never_panics(env in any::<String>(), header in any::<String>()) {
            for precedence in [
                LambdaPrecedence::SampledEnvironmentFirst,
                LambdaPrecedence::CarrierFirst,
                LambdaPrecedence::SampledEnvironmentOnly,
            ] {
                let lambda = XrayLambdaPropagator::new(Some(&env)).with_precedence(precedence);
                let carrier = HashMap::from([(HEADER_NAME.to_string(), header.clone())]);
                let _ = composite(lambda).extract(&carrier);
            }
        }
    }
}
