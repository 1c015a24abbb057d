//! Centralized sampling, locally: `GetSamplingRules` (`POST /GetSamplingRules`) and
//! `GetSamplingTargets` (`POST /SamplingTargets`), so that X-Ray SDKs polling the gateway's
//! sampling proxy keep working when the gateway delivers into Local X-Ray.
//!
//! Local X-Ray has one rule, X-Ray's own default: every request matches it, the first request
//! each second is sampled (reservoir 1) and 5 % of the others (fixed rate 0.05). Traces are then
//! sampled the way an account with no custom rules samples them in X-Ray. Targets give every
//! client the whole reservoir (there is no fleet to share it with).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};

use super::errors::ApiError;

/// The default rule's name, as in X-Ray.
pub const DEFAULT_RULE: &str = "Default";
/// Sampled share of the requests beyond the reservoir.
pub const DEFAULT_FIXED_RATE: f64 = 0.05;
/// Requests sampled per second before the fixed rate applies.
pub const DEFAULT_RESERVOIR: i64 = 1;
/// How often clients are told to report statistics, in seconds.
pub const TARGET_INTERVAL_SECONDS: i64 = 10;
/// How long a reservoir quota stays valid, in seconds.
pub const QUOTA_TTL_SECONDS: f64 = 60.0;

/// `GetSamplingRules` response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSamplingRulesResponse {
    /// The rules.
    pub sampling_rule_records: Vec<SamplingRuleRecord>,
}

/// One rule with its timestamps.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SamplingRuleRecord {
    /// The rule.
    pub sampling_rule: SamplingRule,
    /// Creation time, epoch seconds.
    pub created_at: f64,
    /// Last change, epoch seconds.
    pub modified_at: f64,
}

/// A sampling rule, in X-Ray's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SamplingRule {
    /// Name.
    pub rule_name: String,
    /// ARN.
    #[serde(rename = "RuleARN")]
    pub rule_arn: String,
    /// Matched resource ARN.
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    /// Lower is evaluated first.
    pub priority: i64,
    /// Sampled share beyond the reservoir.
    pub fixed_rate: f64,
    /// Requests per second sampled first.
    pub reservoir_size: i64,
    /// Matched service name.
    pub service_name: String,
    /// Matched service type.
    pub service_type: String,
    /// Matched host.
    pub host: String,
    /// Matched HTTP method.
    #[serde(rename = "HTTPMethod")]
    pub http_method: String,
    /// Matched URL path.
    #[serde(rename = "URLPath")]
    pub url_path: String,
    /// Rule format version.
    pub version: i64,
}

/// `GetSamplingTargets` request: what the client sampled since its last report.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSamplingTargetsRequest {
    /// One document per rule the client used.
    #[serde(default)]
    pub sampling_statistics_documents: Vec<SamplingStatisticsDocument>,
}

/// A client's statistics for one rule (only the rule name is used here).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SamplingStatisticsDocument {
    /// The rule.
    #[serde(default)]
    pub rule_name: String,
}

/// `GetSamplingTargets` response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSamplingTargetsResponse {
    /// Targets for the rules the client reported.
    pub sampling_target_documents: Vec<SamplingTargetDocument>,
    /// When the rules last changed, epoch seconds.
    pub last_rule_modification: f64,
    /// Statistics that were not taken (rules Local X-Ray does not have).
    pub unprocessed_statistics: Vec<UnprocessedStatistics>,
}

/// A client's target for one rule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SamplingTargetDocument {
    /// The rule.
    pub rule_name: String,
    /// Sampled share beyond the quota.
    pub fixed_rate: f64,
    /// Requests per second this client may sample first.
    pub reservoir_quota: i64,
    /// When the quota expires, epoch seconds.
    #[serde(rename = "ReservoirQuotaTTL")]
    pub reservoir_quota_ttl: f64,
    /// Seconds until the client should report again.
    pub interval: i64,
}

/// Statistics for a rule that does not exist.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnprocessedStatistics {
    /// The rule named by the client.
    pub rule_name: String,
    /// X-Ray's code.
    pub error_code: String,
    /// Why.
    pub message: String,
}

/// Local X-Ray's single rule.
fn default_rule() -> SamplingRule {
    SamplingRule {
        rule_name: DEFAULT_RULE.to_owned(),
        rule_arn: "arn:aws:xray:local:000000000000:sampling-rule/Default".to_owned(),
        resource_arn: "*".to_owned(),
        priority: 10_000,
        fixed_rate: DEFAULT_FIXED_RATE,
        reservoir_size: DEFAULT_RESERVOIR,
        service_name: "*".to_owned(),
        service_type: "*".to_owned(),
        host: "*".to_owned(),
        http_method: "*".to_owned(),
        url_path: "*".to_owned(),
        version: 1,
    }
}

/// The rules never change; this is when they were "created".
const RULES_SINCE: f64 = 0.0;

pub(super) async fn get_sampling_rules(
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GetSamplingRulesResponse>, ApiError> {
    // The request has only an optional `NextToken`; any JSON object is accepted.
    let _: serde_json::Map<String, serde_json::Value> = super::routes::parse(body)?;
    Ok(Json(GetSamplingRulesResponse {
        sampling_rule_records: vec![SamplingRuleRecord {
            sampling_rule: default_rule(),
            created_at: RULES_SINCE,
            modified_at: RULES_SINCE,
        }],
    }))
}

pub(super) async fn get_sampling_targets(
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GetSamplingTargetsResponse>, ApiError> {
    let request: GetSamplingTargetsRequest = super::routes::parse(body)?;
    let now = super::routes::now();
    let mut targets = Vec::new();
    let mut unprocessed = Vec::new();
    for doc in request.sampling_statistics_documents {
        if doc.rule_name == DEFAULT_RULE {
            targets.push(SamplingTargetDocument {
                rule_name: doc.rule_name,
                fixed_rate: DEFAULT_FIXED_RATE,
                reservoir_quota: DEFAULT_RESERVOIR,
                reservoir_quota_ttl: (now + QUOTA_TTL_SECONDS).floor(),
                interval: TARGET_INTERVAL_SECONDS,
            });
        } else {
            unprocessed.push(UnprocessedStatistics {
                message: format!("Local X-Ray has no sampling rule named {:?}.", doc.rule_name),
                rule_name: doc.rule_name,
                error_code: "400".to_owned(),
            });
        }
    }
    Ok(Json(GetSamplingTargetsResponse {
        sampling_target_documents: targets,
        last_rule_modification: RULES_SINCE,
        unprocessed_statistics: unprocessed,
    }))
}
