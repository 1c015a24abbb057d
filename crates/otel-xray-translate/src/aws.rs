//! The `aws` block (§9), `origin` (§10) and `service` (§11), from resource and span attributes.
//!
//! Everything that depends only on the resource is computed once per resource in
//! [`ResourceContext`]; the per-span step adds the span's own AWS keys.

use std::borrow::Cow;

use otel_xray_model::{
    Aws, AwsResource, Ec2, Ecs, Eks, ElasticBeanstalk, KeyedList, LogGroup, MetaValue, PreEncoded, Service, XRay,
};

use crate::keys::*;
use crate::metadata::meta_value;
use crate::pipeline::Consumed;
use crate::view::{Attr, ResourceRef, Value, find, find_str};

fn opt(s: &str) -> Option<Cow<'_, str>> {
    (!s.is_empty()).then_some(Cow::Borrowed(s))
}

/// What a resource contributes to the `aws` block of every document of its spans.
#[derive(Debug, Clone)]
pub struct ResourceAws<'a> {
    /// `cloud.account.id`.
    pub account_id: Option<Cow<'a, str>>,
    /// `ec2`, `ecs`, `eks`, `elastic_beanstalk`, `xray` and `cloudwatch_logs`, encoded once and
    /// spliced into each document.
    pub platform: PreEncoded<AwsResource<'a>>,
}

/// What a resource contributes to every document of its spans.
#[derive(Debug, Clone)]
pub struct ResourceContext<'a> {
    /// The resource attributes.
    pub resource: ResourceRef<'a>,
    /// `origin`, when the platform is known.
    pub origin: Option<&'static str>,
    /// `service`, when a version is known.
    pub service: Option<Service<'a>>,
    /// The resource's `account_id` and platform keys of the `aws` block (the platform keys
    /// encoded once); `None` for a non-AWS cloud provider.
    pub aws: Option<ResourceAws<'a>>,
    /// `telemetry.sdk.language`, which picks the stack-trace parser.
    pub language: &'a str,
    /// `otel.resource.<key>` for each resource attribute, computed once.
    pub prefixed_keys: Vec<String>,
    /// The `otel.resource.*` metadata entries of a segment, keys made unique (the later attribute
    /// winning) and encoded once, for when none of them becomes an annotation;
    /// `None` when there are none (or one cannot be encoded).
    pub(crate) shared_metadata: Option<PreEncoded<KeyedList<'a, MetaValue<'a>>>>,
}

impl<'a> ResourceContext<'a> {
    /// Precomputes what `resource` contributes. `log_groups` is the `aws_log_groups` option.
    pub fn new(resource: ResourceRef<'a>, log_groups: &'a [String]) -> Self {
        let r = &resource.attributes;
        let provider = find(r, "cloud.provider");
        let non_aws = provider.is_some_and(|p| p.as_str() != "aws");
        let platform = find_str(r, "cloud.platform");
        let origin = if r.is_empty() || non_aws {
            None
        } else {
            match platform {
                "aws_app_runner" => Some("AWS::AppRunner::Service"),
                "aws_eks" => Some("AWS::EKS::Container"),
                "aws_elastic_beanstalk" => Some("AWS::ElasticBeanstalk::Environment"),
                "aws_ecs" => match find_str(r, "aws.ecs.launchtype") {
                    "ec2" => Some("AWS::ECS::EC2"),
                    "fargate" => Some("AWS::ECS::Fargate"),
                    _ => Some("AWS::ECS::Container"),
                },
                "aws_ec2" => Some("AWS::EC2::Instance"),
                _ => None,
            }
        };
        // `service.version` when present (an empty one gives no `service`), else the image tag.
        let version = match find(r, "service.version") {
            Some(v) => v.as_str(),
            None => find_str(r, "container.image.tag"),
        };
        let service = opt(version).map(|v| Service {
            version: Some(v),
            ..Service::default()
        });
        let aws = (!non_aws).then(|| base_aws(r, platform, log_groups));
        let language = find_str(r, TELEMETRY_SDK_LANGUAGE);
        let prefixed_keys: Vec<String> = r.iter().map(|a| format!("{RESOURCE_PREFIX}{}", a.key)).collect();
        let mut shared = KeyedList(Vec::with_capacity(r.len()));
        for (a, key) in r.iter().zip(&prefixed_keys) {
            if a.value != Value::Empty {
                shared.push(Cow::Owned(key.clone()), meta_value(a.value));
            }
        }
        // In resource order: the later attribute wins, as it does when the entries are pushed
        // per document.
        shared.dedup_keep_last();
        let shared_metadata = if shared.is_empty() {
            None
        } else {
            PreEncoded::new(shared).ok()
        };
        Self {
            resource,
            origin,
            service,
            aws,
            language,
            prefixed_keys,
            shared_metadata,
        }
    }
}

fn base_aws<'a>(r: &[Attr<'a>], platform: &'a str, log_groups: &'a [String]) -> ResourceAws<'a> {
    let s = |k: &str| find_str(r, k);
    let host_id = s("host.id");
    let az = s("cloud.availability_zone");
    let container_id = s("container.id");
    let ec2 = (platform == "aws_ec2" || !host_id.is_empty()).then(|| Ec2 {
        instance_id: opt(host_id),
        availability_zone: opt(az),
        instance_size: opt(s("host.type")),
        ami_id: opt(s("host.image.id")),
    });
    let ecs = (platform == "aws_ecs").then(|| Ecs {
        container: opt(s("container.name")),
        container_id: opt(container_id),
        availability_zone: opt(az),
        container_arn: opt(s("aws.ecs.container.arn")),
        cluster_arn: opt(s("aws.ecs.cluster.arn")),
        task_arn: opt(s("aws.ecs.task.arn")),
        task_family: opt(s("aws.ecs.task.family")),
        launch_type: opt(s("aws.ecs.launchtype")),
    });
    let instance_id = s("service.instance.id");
    let elastic_beanstalk =
        (platform == "aws_elastic_beanstalk" && !instance_id.is_empty()).then(|| ElasticBeanstalk {
            environment_name: opt(s("service.namespace")),
            version_label: opt(s("service.version")),
            deployment_id: Some(instance_id.parse().unwrap_or(0)),
        });
    let cluster = s("k8s.cluster.name");
    let eks = (platform == "aws_eks" || !cluster.is_empty()).then(|| Eks {
        cluster_name: opt(cluster),
        pod: opt(s("k8s.pod.name")),
        container_id: opt(container_id),
    });
    let sdk_name = s("telemetry.sdk.name");
    let sdk_lang = s(TELEMETRY_SDK_LANGUAGE);
    let sdk = if !sdk_name.is_empty() && !sdk_lang.is_empty() {
        Some(Cow::Owned(format!("{sdk_name} for {sdk_lang}")))
    } else {
        opt(sdk_name)
    };
    let xray = XRay {
        sdk,
        sdk_version: opt(s("telemetry.sdk.version")),
        auto_instrumentation: !s("telemetry.auto.version").is_empty() || !s("telemetry.distro.version").is_empty(),
    };
    let cloudwatch_logs = log_groups_of(r, log_groups);
    let platform = AwsResource {
        ec2,
        ecs,
        eks,
        elastic_beanstalk,
        xray: Some(xray),
        cloudwatch_logs,
    };
    ResourceAws {
        account_id: opt(s("cloud.account.id")),
        // Strings and integers only: nothing that JSON cannot express.
        platform: PreEncoded::new(platform).expect("the platform keys hold no doubles"),
    }
}

/// The strings of a string-or-list value; strings are split on `&`, dropping empty pieces.
fn string_list<'a>(v: Option<Value<'a>>) -> Vec<Cow<'a, str>> {
    match v {
        Some(Value::Str(s)) => s.split('&').filter(|p| !p.is_empty()).map(Cow::Borrowed).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::Str(s) => Cow::Borrowed(s),
                other => Cow::Owned(crate::cause::value_to_string(other)),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn log_groups_of<'a>(r: &[Attr<'a>], option: &'a [String]) -> Vec<LogGroup<'a>> {
    let arns = string_list(find(r, "aws.log.group.arns"));
    if !arns.is_empty() {
        return arns
            .into_iter()
            .map(|arn| {
                let group = match &arn {
                    Cow::Borrowed(b) => Cow::Borrowed(b.split(':').nth(6).unwrap_or(b)),
                    Cow::Owned(o) => Cow::Owned(o.split(':').nth(6).unwrap_or(o).to_owned()),
                };
                LogGroup {
                    log_group: group,
                    arn: Some(arn),
                }
            })
            .collect();
    }
    let names = string_list(find(r, "aws.log.group.names"));
    if !names.is_empty() {
        return names
            .into_iter()
            .map(|n| LogGroup {
                log_group: n,
                arn: None,
            })
            .collect();
    }
    option
        .iter()
        .map(|n| LogGroup {
            log_group: Cow::Borrowed(n.as_str()),
            arn: None,
        })
        .collect()
}

/// Builds the span's `aws` block (§9) and consumes the keys of §4 step 7.
pub(crate) fn make_aws<'a>(
    ctx: &'a ResourceContext<'a>,
    attrs: &[Attr<'a>],
    consumed: &mut [Consumed],
) -> Option<Aws<'a>> {
    let mut operation = None;
    let mut rpc_method = None;
    let mut account_id = None;
    let mut region = None;
    let mut request_id = None;
    let mut queue_url = None;
    let mut table_name = None;
    // Read whether consumed or not (the last occurrence wins, as with `find`).
    let mut messaging_url = None;
    let mut table_names = None;
    for (i, a) in attrs.iter().enumerate() {
        match a.key {
            MESSAGING_URL => messaging_url = Some(a.value),
            AWS_DYNAMODB_TABLE_NAMES => table_names = Some(a.value),
            _ => {}
        }
        // Every key matched below starts with `a` or `r` (a unit test checks them): other keys
        // skip the string comparisons.
        if consumed[i] != Consumed::Live || !matches!(a.key.as_bytes().first(), Some(b'a' | b'r')) {
            continue;
        }
        let s = a.value.as_str();
        let slot = match a.key {
            AWS_OPERATION => &mut operation,
            RPC_METHOD => &mut rpc_method,
            AWS_ACCOUNT_ID => &mut account_id,
            AWS_REGION => &mut region,
            AWS_REQUEST_ID | AWS_REQUEST_ID_2 => &mut request_id,
            AWS_QUEUE_URL | AWS_QUEUE_URL_2 => &mut queue_url,
            AWS_TABLE_NAME | AWS_TABLE_NAME_2 => &mut table_name,
            _ => continue,
        };
        *slot = Some(s);
        consumed[i] = Consumed::Structured;
    }
    let base = ctx.aws.as_ref()?;
    let mut aws = Aws {
        account_id: match account_id {
            Some(a) => opt(a),
            None => base.account_id.as_deref().map(Cow::Borrowed),
        },
        resource: Some(&base.platform),
        ..Aws::default()
    };
    aws.operation = opt(operation.or(rpc_method).unwrap_or(""));
    aws.region = opt(region.unwrap_or(""));
    aws.request_id = opt(request_id.unwrap_or(""));
    // Read but not consumed: these also stay in metadata.
    if let Some(u) = messaging_url {
        queue_url = Some(u.as_str());
    }
    aws.queue_url = opt(queue_url.unwrap_or(""));
    aws.table_name = opt(table_name.unwrap_or(""));
    match table_names {
        Some(Value::Array(list)) if list.len() == 1 => {
            aws.table_name = list.get(0).and_then(|v| opt(v.as_str()));
        }
        Some(Value::Array(list)) if list.len() > 1 => {
            aws.table_names = list.iter().map(|v| Cow::Borrowed(v.as_str())).collect();
            aws.table_name = None;
        }
        Some(Value::Str(s)) => aws.table_name = opt(s),
        _ => {}
    }
    Some(aws)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `make_aws` skips keys not starting with `a` or `r` before its `match`.
    #[test]
    fn every_consumed_key_starts_with_a_or_r() {
        for key in [
            AWS_OPERATION,
            RPC_METHOD,
            AWS_ACCOUNT_ID,
            AWS_REGION,
            AWS_REQUEST_ID,
            AWS_REQUEST_ID_2,
            AWS_QUEUE_URL,
            AWS_QUEUE_URL_2,
            AWS_TABLE_NAME,
            AWS_TABLE_NAME_2,
        ] {
            assert!(matches!(key.as_bytes()[0], b'a' | b'r'), "{key}");
        }
    }
}
