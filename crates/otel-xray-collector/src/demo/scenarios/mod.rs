//! The demo's services and the traces they make, modelled on the flows X-Ray users describe
//! (`shared/seeds/`): API Gateway → Lambda → DynamoDB and SQS, SQS → worker Lambda → an external
//! API, a FastAPI service with PostgreSQL, and a legacy service still on the X-Ray SDK.
//!
//! | scenario | service (`service.name`) | what the map shows |
//! |---|---|---|
//! | orders | `orders-api` (Python Lambda) | client → `orders-rest-api/prod` (API Gateway) → `orders-api` → DynamoDB, SQS |
//! | worker | `order-worker` (Node.js Lambda, SQS trigger) | `order-worker` → DynamoDB, `payments.example.com` |
//! | dashboard | `dashboard` (FastAPI on ECS/EC2) | `dashboard` → `analytics@…rds.amazonaws.com` (PostgreSQL) |
//! | legacy | `legacy-billing` (Java, X-Ray SDK on EC2) | `legacy-billing` → MySQL, API Gateway → `orders-api` |
//!
//! The OpenTelemetry services are sent as OTLP; API Gateway's own segments and the legacy
//! service's are X-Ray segment documents for the daemon protocol (UDP), so without UDP there is
//! no API Gateway node and no legacy service.
//!
//! [`Generator`] decides which trace comes next. Its first twelve traces are a tour that shows
//! every service and every outcome once (a created order, a worker run, a dashboard, a legacy
//! lookup, a payment fault, a validation error, a slow dashboard, a DynamoDB fault, a throttled
//! payment); after that, scenarios and outcomes are drawn at realistic rates. Everything but the
//! timestamps and the ids (trace, span, request and message ids, which are always fresh so that
//! runs never collide) follows from the seed.

pub mod apigw;
pub mod dashboard;
pub mod legacy;
pub mod orders;
pub mod worker;

use std::collections::VecDeque;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::otlp::TraceClock;
use dashboard::DashboardOutcome;
use orders::OrderOutcome;
use worker::PaymentOutcome;

/// The AWS account of every demo resource.
pub const ACCOUNT_ID: &str = "123456789012";
/// The AWS region of every demo resource.
pub const REGION: &str = "eu-west-1";
/// The REST API's id.
pub const REST_API_ID: &str = "k3x9q2m7ab";
/// The REST API's stage.
pub const STAGE: &str = "prod";
/// The SQS queue between `orders-api` and `order-worker`.
pub const QUEUE_NAME: &str = "order-events";

/// How far before "now" a trace starts: every trace has ended by the time it is sent, as with a
/// batching exporter.
const LOOKBACK_US: u64 = 3_000_000;
/// Messages waiting for `order-worker` beyond this are left to "other workers".
const MAX_PENDING: usize = 64;
/// How often SQS delivers a message whose processing failed.
const MAX_RECEIVES: u32 = 3;

/// The API's host name.
pub fn api_host() -> String {
    format!("{REST_API_ID}.execute-api.{REGION}.amazonaws.com")
}

/// The queue's URL.
pub fn queue_url() -> String {
    format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{QUEUE_NAME}")
}

/// A message `orders-api` sent to `order-events`, waiting for `order-worker`.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    /// The producer's trace.
    pub trace_id: [u8; 16],
    /// The producer (`SQS.SendMessage`) span.
    pub span_id: u64,
    /// The SQS message id.
    pub message_id: String,
    /// The order.
    pub order_id: String,
    /// The customer.
    pub customer_id: String,
    /// What to charge.
    pub amount_cents: i64,
    /// How often it was received before.
    pub receive_count: u32,
}

/// Which service starts a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// API Gateway → `orders-api`.
    Orders,
    /// SQS → `order-worker`.
    Worker,
    /// `dashboard`.
    Dashboard,
    /// `legacy-billing` (X-Ray SDK) → API Gateway → `orders-api`.
    Legacy,
}

impl Scenario {
    /// Every scenario, in display order.
    pub const ALL: [Self; 4] = [Self::Orders, Self::Worker, Self::Dashboard, Self::Legacy];

    /// A short name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Worker => "worker",
            Self::Dashboard => "dashboard",
            Self::Legacy => "legacy",
        }
    }
}

/// One whole trace, ready to send.
#[derive(Debug, Clone)]
pub struct DemoTrace {
    /// What it shows.
    pub scenario: Scenario,
    /// Its X-Ray trace id.
    pub trace_id: String,
    /// The OpenTelemetry services' spans.
    pub request: ExportTraceServiceRequest,
    /// Number of spans in `request`.
    pub spans: usize,
    /// X-Ray segment documents for the daemon protocol (API Gateway, the legacy service).
    pub documents: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Orders(OrderOutcome),
    Legacy,
    Worker(PaymentOutcome),
    Dashboard(DashboardOutcome),
}

/// The tour: every service and outcome once, workers right after the orders they consume.
const TOUR: [Plan; 12] = [
    Plan::Orders(OrderOutcome::Created),
    Plan::Worker(PaymentOutcome::Paid),
    Plan::Dashboard(DashboardOutcome::Fast),
    Plan::Legacy,
    Plan::Orders(OrderOutcome::Created),
    Plan::Worker(PaymentOutcome::Unavailable),
    Plan::Orders(OrderOutcome::Invalid),
    Plan::Dashboard(DashboardOutcome::Slow),
    Plan::Orders(OrderOutcome::Failed),
    Plan::Orders(OrderOutcome::Created),
    Plan::Worker(PaymentOutcome::ThrottledThenPaid),
    Plan::Dashboard(DashboardOutcome::Fast),
];

/// Makes the demo's traces one after the other.
#[derive(Debug)]
pub struct Generator {
    rng: StdRng,
    udp: bool,
    step: usize,
    pending: VecDeque<QueuedMessage>,
}

impl Generator {
    /// A generator drawing from `seed`; `udp` says whether daemon-protocol documents (API Gateway,
    /// the legacy service) are wanted.
    pub fn new(seed: u64, udp: bool) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            udp,
            step: 0,
            pending: VecDeque::new(),
        }
    }

    /// The next trace, ending shortly before `now_unix_nanos`.
    pub fn next_trace(&mut self, now_unix_nanos: u64) -> DemoTrace {
        let plan = self.plan();
        self.step += 1;
        let start = now_unix_nanos.saturating_sub(LOOKBACK_US * 1000);
        let clock = TraceClock::new(start);
        match plan {
            Plan::Orders(outcome) => self.orders(&clock, outcome),
            Plan::Legacy => self.legacy(&clock),
            Plan::Worker(outcome) => self.worker(&clock, outcome),
            Plan::Dashboard(outcome) => {
                let r = dashboard::request(&mut self.rng, &clock, 0, outcome);
                finish(Scenario::Dashboard, &clock, vec![r.resource_spans], r.spans, Vec::new())
            }
        }
    }

    fn plan(&mut self) -> Plan {
        let mut plan = match TOUR.get(self.step) {
            Some(&p) => p,
            None => self.draw(),
        };
        if plan == Plan::Legacy && !self.udp {
            plan = Plan::Orders(OrderOutcome::Fetched);
        }
        if matches!(plan, Plan::Worker(_)) && self.pending.is_empty() {
            plan = Plan::Orders(OrderOutcome::Created);
        }
        plan
    }

    fn draw(&mut self) -> Plan {
        let rng = &mut self.rng;
        if !self.pending.is_empty() && rng.random_bool(0.35) {
            let r: f64 = rng.random();
            return Plan::Worker(if r < 0.10 {
                PaymentOutcome::Unavailable
            } else if r < 0.17 {
                PaymentOutcome::ThrottledThenPaid
            } else {
                PaymentOutcome::Paid
            });
        }
        if rng.random_bool(0.55) {
            if self.udp && rng.random_bool(0.15) {
                return Plan::Legacy;
            }
            let r: f64 = rng.random();
            Plan::Orders(if r < 0.03 {
                OrderOutcome::Failed
            } else if r < 0.13 {
                OrderOutcome::Invalid
            } else if r < 0.30 {
                OrderOutcome::Fetched
            } else {
                OrderOutcome::Created
            })
        } else {
            let r: f64 = rng.random();
            Plan::Dashboard(if r < 0.03 {
                DashboardOutcome::Timeout
            } else if r < 0.18 {
                DashboardOutcome::Slow
            } else {
                DashboardOutcome::Fast
            })
        }
    }

    fn queue(&mut self, message: Option<QueuedMessage>) {
        if let Some(m) = message {
            if self.pending.len() >= MAX_PENDING {
                self.pending.pop_front();
            }
            self.pending.push_back(m);
        }
    }

    /// API Gateway (when UDP is on) → `orders-api`.
    fn orders(&mut self, clock: &TraceClock, outcome: OrderOutcome) -> DemoTrace {
        let rng = &mut self.rng;
        if !self.udp {
            let inv = orders::invocation(rng, clock, None, 0, outcome);
            self.queue(inv.message);
            return finish(Scenario::Orders, clock, vec![inv.resource_spans], inv.spans, Vec::new());
        }
        let ids = apigw::StageIds::new();
        let integration_start = rng.random_range(1_000..4_000);
        let start = integration_start + rng.random_range(300..2_000);
        let inv = orders::invocation(rng, clock, Some(ids.integration), start, outcome);
        let integration_end = start + inv.duration_us + rng.random_range(500..2_000);
        let end = integration_end + rng.random_range(500..3_000);
        let client_ip = format!("203.0.113.{}", rng.random_range(2..250));
        let stage = apigw::stage_segment(
            clock,
            ids,
            None,
            (0, end),
            (integration_start, integration_end),
            &inv.request,
            &client_ip,
        );
        self.queue(inv.message);
        finish(
            Scenario::Orders,
            clock,
            vec![inv.resource_spans],
            inv.spans,
            vec![stage.to_string()],
        )
    }

    /// `legacy-billing` → API Gateway → `orders-api` (`GET /orders/{id}`).
    fn legacy(&mut self, clock: &TraceClock) -> DemoTrace {
        let rng = &mut self.rng;
        let ids = legacy::LegacyIds::new();
        let stage_ids = apigw::StageIds::new();
        let sql_start = rng.random_range(2_000..4_000);
        let sql_end = sql_start + rng.random_range(3_000..20_000);
        let http_start = sql_end + rng.random_range(500..2_000);
        let stage_start = http_start + rng.random_range(1_000..3_000);
        let integration_start = stage_start + rng.random_range(1_000..4_000);
        let start = integration_start + rng.random_range(300..2_000);
        let inv = orders::invocation(rng, clock, Some(stage_ids.integration), start, OrderOutcome::Fetched);
        let integration_end = start + inv.duration_us + rng.random_range(500..2_000);
        let stage_end = integration_end + rng.random_range(500..3_000);
        let http_end = stage_end + rng.random_range(1_000..4_000);
        let end = http_end + rng.random_range(1_000..5_000);
        let stage = apigw::stage_segment(
            clock,
            stage_ids,
            Some(ids.http),
            (stage_start, stage_end),
            (integration_start, integration_end),
            &inv.request,
            "10.0.12.17",
        );
        let times = legacy::LegacyTimes {
            segment: (0, end),
            sql: (sql_start, sql_end),
            http: (http_start, http_end),
        };
        let caller = legacy::segment(rng, clock, ids, times, &inv.request);
        finish(
            Scenario::Legacy,
            clock,
            vec![inv.resource_spans],
            inv.spans,
            vec![caller.to_string(), stage.to_string()],
        )
    }

    /// SQS → `order-worker`, for the oldest waiting message.
    fn worker(&mut self, clock: &TraceClock, outcome: PaymentOutcome) -> DemoTrace {
        let Some(message) = self.pending.pop_front() else {
            return self.orders(clock, OrderOutcome::Created);
        };
        let inv = worker::invocation(&mut self.rng, clock, 0, &message, outcome);
        if inv.redeliver && message.receive_count + 1 < MAX_RECEIVES {
            self.pending.push_back(QueuedMessage {
                receive_count: message.receive_count + 1,
                ..message
            });
        }
        finish(Scenario::Worker, clock, vec![inv.resource_spans], inv.spans, Vec::new())
    }
}

fn finish(
    scenario: Scenario,
    clock: &TraceClock,
    resource_spans: Vec<opentelemetry_proto::tonic::trace::v1::ResourceSpans>,
    spans: usize,
    documents: Vec<String>,
) -> DemoTrace {
    DemoTrace {
        scenario,
        trace_id: clock.xray_trace_id(),
        request: ExportTraceServiceRequest { resource_spans },
        spans,
        documents,
    }
}

#[cfg(test)]
mod tests;
