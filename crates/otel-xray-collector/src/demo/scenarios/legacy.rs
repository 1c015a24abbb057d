//! Scenario "legacy": `legacy-billing`, a Java service on EC2 that still uses the X-Ray SDK and
//! sends its segments to the daemon port over UDP. Its nightly billing run reads unbilled
//! invoices from MySQL and looks each order up through the orders API (API Gateway →
//! `orders-api`), so the map shows the old and the new world joined in one trace.

use rand::Rng;
use serde_json::{Value, json};

use super::super::otlp::{TraceClock, id_hex, span_id};
use super::orders::OrderRequest;
use super::{REGION, STAGE, api_host};

/// The segment's name (the SDK's `AWS_XRAY_TRACING_NAME`).
pub const SERVICE: &str = "legacy-billing";

/// The ids of the legacy segment and of its HTTP subsegment (the parent of API Gateway's
/// segment).
#[derive(Debug, Clone, Copy)]
pub struct LegacyIds {
    /// The segment.
    pub segment: u64,
    /// The SQL subsegment.
    pub sql: u64,
    /// The outgoing HTTP subsegment.
    pub http: u64,
}

impl LegacyIds {
    /// Fresh ids.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            segment: span_id(),
            sql: span_id(),
            http: span_id(),
        }
    }
}

/// The timing of the legacy segment, microseconds from the trace start.
#[derive(Debug, Clone, Copy)]
pub struct LegacyTimes {
    /// The whole segment.
    pub segment: (u64, u64),
    /// The MySQL query.
    pub sql: (u64, u64),
    /// The call to the orders API.
    pub http: (u64, u64),
}

/// The X-Ray SDK for Java's segment, subsegments embedded, as it sends it when the request ends.
pub fn segment(
    rng: &mut impl Rng,
    clock: &TraceClock,
    ids: LegacyIds,
    times: LegacyTimes,
    call: &OrderRequest,
) -> Value {
    let instance = format!("i-0{:016x}", rng.random::<u64>() >> 4);
    let call_url = format!("https://{}/{STAGE}{}", api_host(), call.path);
    let status = call.status;
    json!({
        "name": SERVICE,
        "id": id_hex(ids.segment),
        "trace_id": clock.xray_trace_id(),
        "start_time": clock.secs(times.segment.0),
        "end_time": clock.secs(times.segment.1),
        "origin": "AWS::EC2::Instance",
        "http": {
            "request": {
                "method": "POST",
                "url": "http://billing.internal.example.com:8080/billing/run",
                "client_ip": "10.0.12.40",
                "user_agent": "curl/8.5.0",
            },
            "response": { "status": if status >= 500 { 502 } else { 200 }, "content_length": 48 },
        },
        "aws": {
            "ec2": { "instance_id": instance, "availability_zone": format!("{REGION}b") },
            "xray": { "sdk": "X-Ray for Java", "sdk_version": "2.18.2", "package": "com.amazonaws:aws-xray-recorder-sdk-core" },
        },
        "service": { "runtime": "OpenJDK 64-Bit Server VM", "runtime_version": "17.0.13" },
        "annotations": { "customer_id": call.customer_id, "billing_run": "nightly" },
        "metadata": { "default": { "invoices_in_run": rng.random_range(1..40) } },
        "fault": status >= 500,
        "error": false,
        "throttle": false,
        "subsegments": [
            {
                "id": id_hex(ids.sql),
                "name": "billing@legacy-db.internal.example.com",
                "start_time": clock.secs(times.sql.0),
                "end_time": clock.secs(times.sql.1),
                "namespace": "remote",
                "sql": {
                    "url": "jdbc:mysql://legacy-db.internal.example.com:3306/billing",
                    "database_type": "MySQL",
                    "database_version": "8.0.39",
                    "driver_version": "mysql-connector-j-8.4.0",
                    "user": "billing",
                    "sanitized_query": "SELECT invoice_id, order_id FROM invoices WHERE billed = 0 AND customer_id = ? LIMIT 50",
                },
            },
            {
                "id": id_hex(ids.http),
                "name": api_host(),
                "start_time": clock.secs(times.http.0),
                "end_time": clock.secs(times.http.1),
                "namespace": "remote",
                "traced": true,
                "http": {
                    "request": { "method": call.method, "url": call_url },
                    "response": { "status": status, "content_length": if status < 400 { 412 } else { 96 } },
                },
                "fault": status >= 500,
                "error": (400..500).contains(&status),
                "throttle": status == 429,
            },
        ],
    })
}
