//! The segment API Gateway itself records for a traced REST API stage (`Tracing: Active`): the
//! `AWS::ApiGateway::Stage` node in front of `orders-api`. AWS sends it to X-Ray directly; the
//! demo sends it over the daemon protocol, since that carries segment documents as they are.

use serde_json::{Value, json};

use super::super::otlp::{TraceClock, id_hex, span_id, uuid};
use super::orders::OrderRequest;
use super::{ACCOUNT_ID, REGION, REST_API_ID, STAGE, api_host};

/// The segment's name, as API Gateway writes it: `<api name>/<stage>`.
pub const NAME: &str = "orders-rest-api/prod";

/// The ids API Gateway gives its segment and its `Lambda` integration subsegment (the parent of
/// the function's span).
#[derive(Debug, Clone, Copy)]
pub struct StageIds {
    /// The stage segment.
    pub segment: u64,
    /// The `Lambda` subsegment.
    pub integration: u64,
}

impl StageIds {
    /// Fresh ids.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            segment: span_id(),
            integration: span_id(),
        }
    }
}

/// The stage segment from `start_us` to `end_us`, its integration subsegment from
/// `integration_us.0` to `integration_us.1`, as a child of `parent` (a caller's subsegment) if
/// any.
pub fn stage_segment(
    clock: &TraceClock,
    ids: StageIds,
    parent: Option<u64>,
    (start_us, end_us): (u64, u64),
    integration_us: (u64, u64),
    request: &OrderRequest,
    client_ip: &str,
) -> Value {
    let status = request.status;
    let url = format!("https://{}/{STAGE}{}", api_host(), request.path);
    let mut segment = json!({
        "name": NAME,
        "id": id_hex(ids.segment),
        "trace_id": clock.xray_trace_id(),
        "start_time": clock.secs(start_us),
        "end_time": clock.secs(end_us),
        "origin": "AWS::ApiGateway::Stage",
        "resource_arn": format!("arn:aws:apigateway:{REGION}::/restapis/{REST_API_ID}/stages/{STAGE}"),
        "http": {
            "request": {
                "url": url,
                "method": request.method,
                "user_agent": "okhttp/4.12.0",
                "client_ip": client_ip,
                "x_forwarded_for": true,
            },
            "response": { "status": status, "content_length": 0 },
        },
        "aws": {
            "api_gateway": {
                "account_id": ACCOUNT_ID,
                "rest_api_id": REST_API_ID,
                "stage": STAGE,
                "request_id": uuid(),
            },
        },
        "annotations": { "aws_api_id": REST_API_ID, "aws_api_stage": STAGE },
        "fault": status >= 500,
        "error": (400..500).contains(&status),
        "throttle": status == 429,
        "subsegments": [{
            "id": id_hex(ids.integration),
            "name": "Lambda",
            "start_time": clock.secs(integration_us.0),
            "end_time": clock.secs(integration_us.1),
            "namespace": "aws",
            "http": { "response": { "status": 200, "content_length": 0 } },
            "aws": {
                "function_name": super::orders::SERVICE,
                "region": REGION,
                "operation": "Invoke",
                "resource_names": [super::orders::SERVICE],
            },
        }],
    });
    if let (Some(parent), Some(obj)) = (parent, segment.as_object_mut()) {
        obj.insert("parent_id".into(), Value::String(id_hex(parent)));
    }
    segment
}
