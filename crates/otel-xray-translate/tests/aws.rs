//! §9 the `aws` block, §10 `origin`, §11 `service`.

mod common;

use common::*;
use otel_xray_translate::TranslatorConfig;

fn aws_of(r: &Res, s: SpanDesc) -> Json {
    one_both(r, s)["aws"].clone()
}

fn client() -> SpanDesc {
    span("call").client().child()
}

// ------------------------------------------------------------------------------------------------
// §9 presence
// ------------------------------------------------------------------------------------------------

#[test]
fn span_without_aws_data_still_carries_auto_instrumentation_false() {
    let d = one_both(&no_res(), span("op"));
    assert_eq!(d["aws"], json!({"xray": {"auto_instrumentation": false}}));
    // Subsegments too.
    let d = one_both(&res(vec![kv("service.name", "s")]), client());
    assert_eq!(d["aws"]["xray"]["auto_instrumentation"], false);
}

#[test]
fn non_aws_cloud_provider_means_no_aws_block_and_lost_keys() {
    let d = one_both(
        &res(vec![kv("cloud.provider", "gcp"), kv("cloud.platform", "aws_ec2")]),
        client()
            .attr("aws.operation", "GetItem")
            .attr("aws.region", "us-east-1")
            .attr("aws.table_name", "t"),
    );
    assert_absent(&d, &["aws", "origin"]);
    for k in ["aws.operation", "aws.region", "aws.table_name"] {
        assert!(!appears_anywhere(&d, k), "{k} is consumed and lost");
    }
}

#[test]
fn explicit_aws_cloud_provider_keeps_the_block() {
    let a = aws_of(
        &res(vec![kv("cloud.provider", "aws")]),
        client().attr("aws.region", "eu-west-1"),
    );
    assert_eq!(a["region"], "eu-west-1");
}

// ------------------------------------------------------------------------------------------------
// §9 span attributes
// ------------------------------------------------------------------------------------------------

#[test]
fn operation_from_aws_operation_else_rpc_method() {
    let a = aws_of(
        &no_res(),
        client().attr("rpc.method", "Rpc").attr("aws.operation", "Op"),
    );
    assert_eq!(a["operation"], "Op");
    let a = aws_of(
        &no_res(),
        client().attr("aws.operation", "Op").attr("rpc.method", "Rpc"),
    );
    assert_eq!(a["operation"], "Op");
    let a = aws_of(&no_res(), client().attr("rpc.method", "Rpc"));
    assert_eq!(a["operation"], "Rpc");
}

#[test]
fn account_id_span_attribute_beats_resource() {
    let r = res(vec![kv("cloud.account.id", "111111111111")]);
    assert_eq!(aws_of(&r, client())["account_id"], "111111111111");
    assert_eq!(
        aws_of(&r, client().attr("aws.account_id", "222222222222"))["account_id"],
        "222222222222"
    );
}

#[test]
fn region_and_request_id() {
    let a = aws_of(
        &no_res(),
        client().attr("aws.region", "ap-south-1").attr("aws.request_id", "R-1"),
    );
    assert_eq!(a["region"], "ap-south-1");
    assert_eq!(a["request_id"], "R-1");
    let a = aws_of(&no_res(), client().attr("aws.requestId", "R-2"));
    assert_eq!(a["request_id"], "R-2");
}

#[test]
fn queue_url_spellings_and_messaging_url_override() {
    let a = aws_of(&no_res(), client().attr("aws.queue_url", "https://q/1"));
    assert_eq!(a["queue_url"], "https://q/1");
    let a = aws_of(&no_res(), client().attr("aws.queue.url", "https://q/2"));
    assert_eq!(a["queue_url"], "https://q/2");
    let d = one_both(
        &no_res(),
        client()
            .attr("messaging.url", "https://q/m")
            .attr("aws.queue_url", "https://q/1"),
    );
    assert_eq!(d["aws"]["queue_url"], "https://q/m");
    assert_eq!(meta_default(&d)["messaging.url"], "https://q/m");
}

#[test]
fn table_name_and_dynamodb_table_names() {
    let a = aws_of(&no_res(), client().attr("aws.table_name", "a"));
    assert_eq!(a["table_name"], "a");
    let a = aws_of(&no_res(), client().attr("aws.table.name", "b"));
    assert_eq!(a["table_name"], "b");
    // A list of one: table_name.
    let a = aws_of(
        &no_res(),
        client()
            .attr("aws.table_name", "a")
            .attr("aws.dynamodb.table_names", arr(["only"])),
    );
    assert_eq!(a["table_name"], "only");
    assert!(absent(&a["table_names"]));
    // A longer list: table_names, and table_name cleared.
    let a = aws_of(
        &no_res(),
        client()
            .attr("aws.table_name", "a")
            .attr("aws.dynamodb.table_names", arr(["t1", "t2", "t3"])),
    );
    assert_eq!(a["table_names"], json!(["t1", "t2", "t3"]));
    assert!(absent(&a["table_name"]), "{a:#}");
    // A string: table_name.
    let a = aws_of(&no_res(), client().attr("aws.dynamodb.table_names", "s"));
    assert_eq!(a["table_name"], "s");
    // An empty list: nothing.
    let d = one(&no_res(), client().attr("aws.dynamodb.table_names", V::Arr(vec![])));
    assert!(absent(&d["aws"]["table_name"]) && absent(&d["aws"]["table_names"]));
}

#[test]
fn empty_strings_are_absent() {
    let a = aws_of(
        &res(vec![kv("cloud.account.id", "")]),
        client()
            .attr("aws.operation", "")
            .attr("aws.region", "")
            .attr("aws.request_id", ""),
    );
    assert_eq!(a, json!({"xray": {"auto_instrumentation": false}}));
}

// ------------------------------------------------------------------------------------------------
// §9 resource blocks
// ------------------------------------------------------------------------------------------------

#[test]
fn ec2_block() {
    let r = res(vec![
        kv("cloud.provider", "aws"),
        kv("cloud.platform", "aws_ec2"),
        kv("cloud.availability_zone", "us-east-1a"),
        kv("host.id", "i-0abc"),
        kv("host.type", "m5.large"),
        kv("host.image.id", "ami-123"),
    ]);
    let a = aws_of(&r, span("op"));
    assert_eq!(
        normalize(&a["ec2"]),
        json!({"instance_id": "i-0abc", "availability_zone": "us-east-1a", "instance_size": "m5.large", "ami_id": "ami-123"})
    );
    // The platform alone is enough.
    let a = aws_of(&res(vec![kv("cloud.platform", "aws_ec2")]), span("op"));
    assert!(a["ec2"].is_object(), "{a:#}");
    // So is a host.id on another platform.
    let a = aws_of(
        &res(vec![kv("cloud.platform", "aws_eks"), kv("host.id", "i-0def")]),
        span("op"),
    );
    assert_eq!(a["ec2"]["instance_id"], "i-0def");
    // Neither: no ec2 block.
    let a = aws_of(&res(vec![kv("cloud.platform", "aws_lambda")]), span("op"));
    assert!(a.get("ec2").is_none_or(Json::is_null));
}

#[test]
fn ecs_block() {
    let r = res(vec![
        kv("cloud.platform", "aws_ecs"),
        kv("cloud.availability_zone", "eu-west-1b"),
        kv("container.name", "web"),
        kv("container.id", "c0ffee"),
        kv("aws.ecs.container.arn", "arn:container"),
        kv("aws.ecs.cluster.arn", "arn:cluster"),
        kv("aws.ecs.task.arn", "arn:task"),
        kv("aws.ecs.task.family", "web-task"),
        kv("aws.ecs.launchtype", "fargate"),
    ]);
    let a = aws_of(&r, span("op"));
    assert_eq!(
        normalize(&a["ecs"]),
        json!({
            "container": "web",
            "container_id": "c0ffee",
            "availability_zone": "eu-west-1b",
            "container_arn": "arn:container",
            "cluster_arn": "arn:cluster",
            "task_arn": "arn:task",
            "task_family": "web-task",
            "launch_type": "fargate"
        })
    );
    let a = aws_of(&res(vec![kv("container.name", "web")]), span("op"));
    assert!(a.get("ecs").is_none_or(Json::is_null));
}

#[test]
fn elastic_beanstalk_block() {
    let r = res(vec![
        kv("cloud.platform", "aws_elastic_beanstalk"),
        kv("service.namespace", "prod-env"),
        kv("service.instance.id", "32"),
        kv("service.version", "v7"),
    ]);
    let a = aws_of(&r, span("op"));
    assert_eq!(
        normalize(&a["elastic_beanstalk"]),
        json!({"environment_name": "prod-env", "deployment_id": 32, "version_label": "v7"})
    );
    assert!(a["elastic_beanstalk"]["deployment_id"].is_i64());
    // Not an integer: 0.
    let r = res(vec![
        kv("cloud.platform", "aws_elastic_beanstalk"),
        kv("service.instance.id", "abc"),
    ]);
    assert_eq!(aws_of(&r, span("op"))["elastic_beanstalk"]["deployment_id"], 0);
    // No service.instance.id: no block.
    let r = res(vec![
        kv("cloud.platform", "aws_elastic_beanstalk"),
        kv("service.namespace", "e"),
    ]);
    assert!(
        aws_of(&r, span("op"))
            .get("elastic_beanstalk")
            .is_none_or(Json::is_null)
    );
}

#[test]
fn eks_block() {
    let r = res(vec![
        kv("cloud.platform", "aws_eks"),
        kv("k8s.cluster.name", "prod"),
        kv("k8s.pod.name", "web-123"),
        kv("container.id", "abc"),
    ]);
    let a = aws_of(&r, span("op"));
    assert_eq!(
        normalize(&a["eks"]),
        json!({"cluster_name": "prod", "pod": "web-123", "container_id": "abc"})
    );
    // k8s.cluster.name alone is enough.
    let a = aws_of(&res(vec![kv("k8s.cluster.name", "c1")]), span("op"));
    assert_eq!(a["eks"]["cluster_name"], "c1");
    // The platform alone too.
    let a = aws_of(&res(vec![kv("cloud.platform", "aws_eks")]), span("op"));
    assert!(a["eks"].is_object(), "{a:#}");
}

#[test]
fn cloudwatch_logs_from_arns() {
    let a = aws_of(
        &res(vec![kv(
            "aws.log.group.arns",
            arr([
                "arn:aws:logs:us-east-1:123456789123:log-group:group2:*",
                "arn:aws:logs:us-east-1:123456789123:log-group:group3",
                "short:arn",
            ]),
        )]),
        span("op"),
    );
    assert_eq!(
        a["cloudwatch_logs"],
        json!([
            {"log_group": "group2", "arn": "arn:aws:logs:us-east-1:123456789123:log-group:group2:*"},
            {"log_group": "group3", "arn": "arn:aws:logs:us-east-1:123456789123:log-group:group3"},
            {"log_group": "short:arn", "arn": "short:arn"}
        ])
    );
}

#[test]
fn cloudwatch_logs_arn_strings_split_on_ampersand() {
    let a = aws_of(
        &res(vec![
            kv(
                "aws.log.group.arns",
                "arn:aws:logs:eu-west-1:1:log-group:a:*&&arn:aws:logs:eu-west-1:1:log-group:b",
            ),
            kv("aws.log.group.names", "ignored"),
        ]),
        span("op"),
    );
    assert_eq!(
        a["cloudwatch_logs"],
        json!([
            {"log_group": "a", "arn": "arn:aws:logs:eu-west-1:1:log-group:a:*"},
            {"log_group": "b", "arn": "arn:aws:logs:eu-west-1:1:log-group:b"}
        ])
    );
}

#[test]
fn cloudwatch_logs_from_names() {
    let a = aws_of(
        &res(vec![kv("aws.log.group.names", arr(["/aws/lambda/f", "app"]))]),
        span("op"),
    );
    assert_eq!(
        a["cloudwatch_logs"],
        json!([{"log_group": "/aws/lambda/f"}, {"log_group": "app"}])
    );
    let a = aws_of(&res(vec![kv("aws.log.group.names", "g1&g2&")]), span("op"));
    assert_eq!(a["cloudwatch_logs"], json!([{"log_group": "g1"}, {"log_group": "g2"}]));
    // `&` alone gives an empty list, so the names fall through to nothing.
    let a = aws_of(
        &res(vec![kv("aws.log.group.arns", "&"), kv("aws.log.group.names", "n")]),
        span("op"),
    );
    assert_eq!(a["cloudwatch_logs"], json!([{"log_group": "n"}]));
    // Neither a string nor a list: empty.
    let a = aws_of(&res(vec![kv("aws.log.group.names", 5)]), span("op"));
    assert!(absent(&a["cloudwatch_logs"]));
}

#[test]
fn cloudwatch_logs_option_is_the_last_fallback() {
    let config = TranslatorConfig {
        aws_log_groups: vec!["from-option".into()],
        ..cfg()
    };
    let d = one_cfg(&config, &no_res(), span("op"));
    assert_eq!(d["aws"]["cloudwatch_logs"], json!([{"log_group": "from-option"}]));
    let d = one_cfg(
        &config,
        &res(vec![kv("aws.log.group.names", "from-resource")]),
        span("op"),
    );
    assert_eq!(d["aws"]["cloudwatch_logs"], json!([{"log_group": "from-resource"}]));
}

#[test]
fn xray_block() {
    let a = aws_of(
        &res(vec![
            kv("telemetry.sdk.name", "opentelemetry"),
            kv("telemetry.sdk.language", "python"),
            kv("telemetry.sdk.version", "1.27.0"),
            kv("telemetry.auto.version", "0.48b0"),
        ]),
        span("op"),
    );
    assert_eq!(
        a["xray"],
        json!({"sdk": "opentelemetry for python", "sdk_version": "1.27.0", "auto_instrumentation": true})
    );
    let a = aws_of(&res(vec![kv("telemetry.sdk.name", "opentelemetry")]), span("op"));
    assert_eq!(a["xray"]["sdk"], "opentelemetry");
    let a = aws_of(&res(vec![kv("telemetry.sdk.language", "go")]), span("op"));
    assert!(absent(&a["xray"]["sdk"]));
    let a = aws_of(&res(vec![kv("telemetry.distro.version", "1.0")]), span("op"));
    assert_eq!(a["xray"]["auto_instrumentation"], true);
}

#[test]
fn resource_blocks_are_on_subsegments_too() {
    let r = res(vec![
        kv("cloud.platform", "aws_ec2"),
        kv("host.id", "i-1"),
        kv("cloud.account.id", "1"),
    ]);
    let a = aws_of(&r, client());
    assert_eq!(a["ec2"]["instance_id"], "i-1");
    assert_eq!(a["account_id"], "1");
}

// ------------------------------------------------------------------------------------------------
// §10 origin
// ------------------------------------------------------------------------------------------------

#[test]
fn origin_table() {
    let cases: Vec<(Attrs, Option<&str>)> = vec![
        (
            vec![kv("cloud.platform", "aws_app_runner")],
            Some("AWS::AppRunner::Service"),
        ),
        (vec![kv("cloud.platform", "aws_eks")], Some("AWS::EKS::Container")),
        (
            vec![kv("cloud.platform", "aws_elastic_beanstalk")],
            Some("AWS::ElasticBeanstalk::Environment"),
        ),
        (
            vec![kv("cloud.platform", "aws_ecs"), kv("aws.ecs.launchtype", "ec2")],
            Some("AWS::ECS::EC2"),
        ),
        (
            vec![kv("cloud.platform", "aws_ecs"), kv("aws.ecs.launchtype", "fargate")],
            Some("AWS::ECS::Fargate"),
        ),
        (vec![kv("cloud.platform", "aws_ecs")], Some("AWS::ECS::Container")),
        (
            vec![kv("cloud.platform", "aws_ecs"), kv("aws.ecs.launchtype", "FARGATE")],
            Some("AWS::ECS::Container"),
        ),
        (vec![kv("cloud.platform", "aws_ec2")], Some("AWS::EC2::Instance")),
        (
            vec![kv("cloud.provider", "aws"), kv("cloud.platform", "aws_ec2")],
            Some("AWS::EC2::Instance"),
        ),
        (vec![kv("cloud.platform", "aws_lambda")], None),
        (vec![kv("cloud.platform", "gcp_compute_engine")], None),
        (vec![kv("service.name", "x")], None),
        (vec![], None),
        (
            vec![kv("cloud.provider", "azure"), kv("cloud.platform", "aws_ec2")],
            None,
        ),
    ];
    for (attrs, expected) in cases {
        let d = one_both(&res(attrs.clone()), span("op"));
        match expected {
            Some(o) => assert_eq!(d["origin"], o, "{attrs:?}"),
            None => assert_absent(&d, &["origin"]),
        }
    }
}

#[test]
fn origin_on_subsegments_too() {
    let d = one_both(&res(vec![kv("cloud.platform", "aws_eks")]), client());
    assert_eq!(d["type"], "subsegment");
    assert_eq!(d["origin"], "AWS::EKS::Container");
}

// ------------------------------------------------------------------------------------------------
// §11 service
// ------------------------------------------------------------------------------------------------

#[test]
fn service_version() {
    let d = one_both(
        &res(vec![kv("service.version", "2.1.0"), kv("container.image.tag", "t")]),
        span("op"),
    );
    assert_eq!(d["service"], json!({"version": "2.1.0"}));
    let d = one_both(&res(vec![kv("container.image.tag", "sha-abc")]), span("op"));
    assert_eq!(d["service"], json!({"version": "sha-abc"}));
    let d = one_both(&res(vec![kv("service.name", "x")]), span("op"));
    assert_absent(&d, &["service"]);
    // Empty counts as absent.
    let d = one(&res(vec![kv("service.version", "")]), span("op"));
    assert_absent(&d, &["service"]);
}

#[test]
fn service_on_subsegments_too() {
    let d = one_both(&res(vec![kv("service.version", "9")]), client());
    assert_eq!(d["service"]["version"], "9");
}

#[test]
fn empty_service_version_does_not_fall_back_to_the_image_tag() {
    // §11: service.version, *else* container.image.tag. An existing but empty service.version
    // gives an empty `service` object, which counts as absent.
    let d = one_both(
        &res(vec![kv("service.version", ""), kv("container.image.tag", "sha-abc")]),
        span("op"),
    );
    assert_absent(&d, &["service"]);
}
