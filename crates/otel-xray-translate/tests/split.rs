//! §3: from span to documents (local-root splitting), cases A, B and C and their subtleties.

mod common;

use common::*;
use otel_xray_translate::TranslatorConfig;

fn aws_res() -> Res {
    res(vec![
        kv("service.name", "checkout"),
        kv("cloud.provider", "aws"),
        kv("cloud.platform", "aws_ec2"),
        kv("cloud.account.id", "123456789012"),
        kv("host.id", "i-0123456789abcdef0"),
        kv("telemetry.sdk.name", "opentelemetry"),
        kv("telemetry.sdk.language", "java"),
    ])
}

// ------------------------------------------------------------------------------------------------
// Local root detection
// ------------------------------------------------------------------------------------------------

#[test]
fn local_root_needs_the_exact_string_local_root() {
    // Case C applies to a CLIENT local root: two documents.
    let two = docs(&no_res(), span("call").client().local_root());
    assert_eq!(two.len(), 2);
    // Lower case, other strings and non-string values are not a local root: Case A, one document.
    for value in [V::from("local_root"), V::from("LOCAL_ROOT "), V::from(1), V::from(true)] {
        let d = docs(&no_res(), span("call").client().attr("aws.span.kind", value.clone()));
        assert_eq!(d.len(), 1, "aws.span.kind = {value:?} is not a local root");
    }
    // A non-string list holding the string does not count either.
    let d = docs(
        &no_res(),
        span("call").client().attr("aws.span.kind", arr(["LOCAL_ROOT"])),
    );
    assert_eq!(d.len(), 1);
}

// ------------------------------------------------------------------------------------------------
// Case A
// ------------------------------------------------------------------------------------------------

#[test]
fn case_a_consumer_subsegment_with_remote_service_gets_remote() {
    let d = one_both(
        &no_res(),
        span("process")
            .consumer()
            .child()
            .attr("aws.remote.service", "orders-queue"),
    );
    assert_eq!(d["type"], "subsegment");
    assert_eq!(d["namespace"], "remote");
}

#[test]
fn case_a_remote_service_of_any_value_counts() {
    // "the span has the attribute aws.remote.service (any value)": an int, and an empty string.
    for value in [V::from(7), V::from("")] {
        let d = one(
            &no_res(),
            span("process")
                .consumer()
                .child()
                .attr("aws.remote.service", value.clone()),
        );
        assert_eq!(d["namespace"], "remote", "aws.remote.service = {value:?}");
    }
}

#[test]
fn case_a_consumer_subsegment_without_remote_service_has_no_namespace() {
    let d = one_both(&no_res(), span("process").consumer().child());
    assert_eq!(d["type"], "subsegment");
    assert_absent(&d, &["namespace"]);
}

#[test]
fn case_a_needs_a_subsegment() {
    // A CONSUMER root span is a segment: no `remote`, even with aws.remote.service.
    let d = one_both(
        &no_res(),
        span("process").consumer().attr("aws.remote.service", "queue"),
    );
    assert_absent(&d, &["type", "namespace", "parent_id"]);
}

#[test]
fn case_a_does_not_apply_to_internal_or_unspecified_kinds() {
    for kind in [Kind::Internal, Kind::Unspecified] {
        let d = one(
            &no_res(),
            span("work").kind(kind).child().attr("aws.remote.service", "payments"),
        );
        assert_eq!(d["type"], "subsegment", "{kind:?}");
        assert_absent(&d, &["namespace"]);
    }
}

#[test]
fn case_a_keeps_the_aws_namespace() {
    let d = one_both(
        &no_res(),
        span("SQS.ReceiveMessage")
            .consumer()
            .child()
            .attr("rpc.system", "aws-api")
            .attr("aws.remote.service", "AWS::SQS"),
    );
    assert_eq!(d["namespace"], "aws");
}

#[test]
fn case_a_server_span_with_a_parent_stays_a_segment() {
    let d = one_both(
        &no_res(),
        span("GET /").server().child().attr("aws.remote.service", "x"),
    );
    assert_absent(&d, &["type", "namespace"]);
    assert_eq!(d["parent_id"], PARENT);
}

// ------------------------------------------------------------------------------------------------
// Case B
// ------------------------------------------------------------------------------------------------

#[test]
fn case_b_server_local_root_is_one_segment_keeping_its_parent() {
    let out = run_both(
        &cfg(),
        &no_res(),
        &[span("GET /orders")
            .server()
            .child()
            .local_root()
            .attr("aws.local.service", "orders-api")],
    );
    let d = out.one();
    assert_eq!(d["name"], "orders-api");
    assert_eq!(d["id"], SPAN);
    assert_eq!(d["parent_id"], PARENT);
    assert_absent(d, &["type", "namespace"]);
}

#[test]
fn case_b_internal_local_root_with_parent_becomes_a_segment() {
    // Inside the pipeline an INTERNAL span with a parent is a subsegment, with namespace `aws` from
    // rpc.system; Case B then clears both.
    let d = one_both(
        &no_res(),
        span("job")
            .child()
            .local_root()
            .attr("aws.local.service", "worker")
            .attr("rpc.system", "aws-api"),
    );
    assert_eq!(d["name"], "worker");
    assert_eq!(d["parent_id"], PARENT);
    assert_absent(&d, &["type", "namespace"]);
}

#[test]
fn case_b_keeps_links_http_and_aws_fields() {
    let d = one(
        &aws_res(),
        span("GET /x")
            .server()
            .local_root()
            .attr("http.method", "GET")
            .attr("aws.region", "eu-west-1")
            .link(TRACE, "1111111111111111", vec![]),
    );
    assert_eq!(d["http"]["request"]["method"], "GET");
    assert_eq!(d["aws"]["region"], "eu-west-1");
    assert_eq!(d["links"].as_array().map(Vec::len), Some(1));
}

// ------------------------------------------------------------------------------------------------
// Case C: shape
// ------------------------------------------------------------------------------------------------

#[test]
fn case_c_gives_two_documents_for_every_other_kind() {
    for kind in [Kind::Client, Kind::Producer, Kind::Consumer, Kind::Unspecified] {
        let d = docs(&no_res(), span("op").kind(kind).child().local_root());
        assert_eq!(d.len(), 2, "{kind:?}");
        let (dep, svc) = (&d[0], &d[1]);
        // 1. dependency subsegment: the span's own id, parent S.
        assert_eq!(dep["id"], SPAN, "{kind:?}");
        assert_eq!(dep["type"], "subsegment", "{kind:?}");
        assert_eq!(dep["namespace"], "remote", "{kind:?}");
        assert!(is_hex16(&dep["parent_id"]), "{kind:?}: {}", dep["parent_id"]);
        // 2. service segment: id S, the original parent, no type, no namespace.
        assert_eq!(svc["id"], dep["parent_id"], "{kind:?}");
        assert_ne!(svc["id"], SPAN);
        assert_eq!(svc["parent_id"], PARENT, "{kind:?}");
        assert_absent(svc, &["type", "namespace"]);
        for f in ["trace_id", "start_time", "end_time"] {
            assert_eq!(dep[f], svc[f], "{kind:?}: {f}");
        }
        assert_eq!(dep["trace_id"], TRACE_XRAY);
        assert_always_fields(dep);
        assert_always_fields(svc);
    }
}

#[test]
fn case_c_without_parent_gives_a_service_segment_without_parent() {
    let d = docs(&no_res(), span("op").producer().local_root());
    assert_eq!(d.len(), 2);
    assert_absent(&d[1], &["parent_id", "type", "namespace"]);
    assert_eq!(d[0]["parent_id"], d[1]["id"]);
}

#[test]
fn case_c_is_the_same_in_both_input_forms() {
    let s = span("PutItem")
        .client()
        .child()
        .local_root()
        .attr("rpc.system", "aws-api")
        .attr("aws.local.service", "orders")
        .attr("aws.remote.service", "AWS::DynamoDB")
        .attr("aws.remote.operation", "PutItem")
        .attr("http.method", "POST")
        .attr("note", "hi")
        .event("retry", START_NS + 5, vec![kv("attempt", 2)])
        .link(TRACE, "2222222222222222", vec![kv("k", "v")]);
    let out = run_both(&cfg(), &aws_res(), &[s]);
    assert_eq!(out.docs.len(), 2);
}

#[test]
fn case_c_fresh_ids_differ_between_spans() {
    let out = run_otlp(
        &cfg(),
        &no_res(),
        &[
            span("a").client().local_root(),
            span("b").client().local_root().id_hex("0000000000000abc"),
        ],
    );
    assert_eq!(out.docs.len(), 4);
    assert_ne!(out.docs[1]["id"], out.docs[3]["id"]);
}

// ------------------------------------------------------------------------------------------------
// Case C: names
// ------------------------------------------------------------------------------------------------

#[test]
fn case_c_dependency_named_after_trimmed_remote_service_on_aws_sdk_spans() {
    for (remote, expected) in [("AWS.SDK.DynamoDb", "DynamoDb"), ("AWS::DynamoDB", "DynamoDB")] {
        let d = docs(
            &no_res(),
            span("DynamoDB.PutItem")
                .client()
                .local_root()
                .attr("rpc.system", "aws-api")
                .attr("aws.remote.service", remote),
        );
        assert_eq!(d[0]["name"], expected, "{remote}");
        // The AWS SDK namespace is kept.
        assert_eq!(d[0]["namespace"], "aws");
    }
}

#[test]
fn case_c_dependency_keeps_prefix_on_non_aws_sdk_spans() {
    let d = docs(
        &no_res(),
        span("call")
            .client()
            .local_root()
            .attr("aws.remote.service", "AWS.SDK.Thing"),
    );
    assert_eq!(d[0]["name"], "AWS.SDK.Thing");
    assert_eq!(d[0]["namespace"], "remote");
}

#[test]
fn case_c_dependency_name_is_sanitised_and_falls_back_when_empty() {
    // Differs (a): `<payments>` is sanitised to `payments`.
    let d = docs(
        &no_res(),
        span("call")
            .producer()
            .local_root()
            .attr("aws.remote.service", "<payments>"),
    );
    assert_eq!(d[0]["name"], "payments");
    // Sanitised to nothing: the pipeline name stays (here peer.service).
    let d = docs(
        &no_res(),
        span("call")
            .producer()
            .local_root()
            .attr("aws.remote.service", "<>")
            .attr("peer.service", "billing"),
    );
    assert_eq!(d[0]["name"], "billing");
    // Present but empty: the pipeline name (the span name).
    let d = docs(
        &no_res(),
        span("send it").producer().local_root().attr("aws.remote.service", ""),
    );
    assert_eq!(d[0]["name"], "send it");
}

#[test]
fn case_c_service_segment_named_after_local_service() {
    let d = docs(
        &no_res(),
        span("call")
            .client()
            .local_root()
            .attr("aws.local.service", "checkout")
            .attr("aws.remote.service", "payments"),
    );
    assert_eq!(d[0]["name"], "payments");
    assert_eq!(d[1]["name"], "checkout");
}

#[test]
fn case_c_service_segment_local_service_is_sanitised_or_ignored_when_empty() {
    let d = docs(
        &no_res(),
        span("call")
            .client()
            .local_root()
            .attr("aws.local.service", "check,out\\svc"),
    );
    assert_eq!(d[1]["name"], "checkoutsvc");
    // Empty after sanitising: the service segment keeps its pipeline name. With the four remote
    // attributes removed, a CLIENT falls through to peer.service.
    let d = docs(
        &no_res(),
        span("call")
            .client()
            .local_root()
            .attr("aws.local.service", "<>")
            .attr("aws.remote.service", "payments")
            .attr("peer.service", "peer-svc"),
    );
    assert_eq!(d[0]["name"], "payments");
    assert_eq!(d[1]["name"], "peer-svc");
}

// ------------------------------------------------------------------------------------------------
// Case C: service segment content
// ------------------------------------------------------------------------------------------------

#[test]
fn case_c_service_segment_loses_http_and_request_level_aws_fields() {
    let d = docs(
        &aws_res(),
        span("PutItem")
            .client()
            .local_root()
            .attr("rpc.system", "aws-api")
            .attr("http.method", "POST")
            .attr("http.url", "https://dynamodb.eu-west-1.amazonaws.com/")
            .attr("aws.operation", "PutItem")
            .attr("aws.account_id", "210987654321")
            .attr("aws.region", "eu-west-1")
            .attr("aws.request_id", "REQ1")
            .attr("aws.queue_url", "https://sqs/q")
            .attr("aws.table_name", "orders")
            .attr("aws.dynamodb.table_names", arr(["orders", "items"])),
    );
    let (dep, svc) = (&d[0], &d[1]);
    assert_eq!(dep["http"]["request"]["method"], "POST");
    assert_eq!(dep["aws"]["operation"], "PutItem");
    assert_eq!(dep["aws"]["account_id"], "210987654321");
    assert_eq!(dep["aws"]["table_names"], json!(["orders", "items"]));
    assert_absent(svc, &["http"]);
    for f in [
        "operation",
        "account_id",
        "region",
        "request_id",
        "queue_url",
        "table_name",
        "table_names",
    ] {
        assert!(absent(&svc["aws"][f]), "aws.{f} must be cleared, got {}", svc["aws"][f]);
    }
    // Resource-level blocks stay.
    assert_eq!(svc["aws"]["ec2"]["instance_id"], "i-0123456789abcdef0");
    assert_eq!(svc["aws"]["xray"]["sdk"], "opentelemetry for java");
    assert_eq!(svc["aws"]["xray"]["auto_instrumentation"], false);
    assert_eq!(svc["origin"], "AWS::EC2::Instance");
}

#[test]
fn case_c_service_segment_keeps_only_resource_metadata() {
    // No parent: the service segment is a segment inside the pipeline and stores the resource.
    let d = docs(
        &aws_res(),
        span("send")
            .producer()
            .local_root()
            .attr("note", "kept on the dependency")
            .attr("aws.xray.metadata.custom", r#"{"a":1}"#)
            .event("enqueued", START_NS + 10, vec![]),
    );
    let (dep, svc) = (&d[0], &d[1]);
    let dep_meta = meta_default(dep);
    assert_eq!(dep_meta["note"], "kept on the dependency");
    assert!(dep_meta.contains_key("otel.events"));
    assert_eq!(dep["metadata"]["custom"], json!({"a": 1}));
    // The dependency subsegment never carries resource metadata.
    assert!(
        dep_meta.keys().all(|k| !k.starts_with("otel.resource.")),
        "{dep_meta:?}"
    );

    let svc_meta = meta_default(svc);
    assert_eq!(svc_meta["otel.resource.service.name"], "checkout");
    assert_eq!(svc_meta["otel.resource.host.id"], "i-0123456789abcdef0");
    assert!(
        svc_meta.keys().all(|k| k.starts_with("otel.resource.")),
        "only otel.resource.* may stay: {svc_meta:?}"
    );
    assert!(absent(&svc["metadata"]["custom"]));
}

#[test]
fn case_c_service_segment_with_parent_has_no_resource_metadata() {
    // Subtlety: a CLIENT local root with a parent is a subsegment inside the pipeline, so the
    // service segment gets no otel.resource.* metadata and no resource annotations.
    let config = TranslatorConfig {
        indexed_attributes: vec!["otel.resource.service.name".into()],
        ..cfg()
    };
    let d = docs_cfg(&config, &aws_res(), span("call").client().child().local_root());
    assert_eq!(d.len(), 2);
    for doc in &d {
        assert!(
            meta_default(doc).keys().all(|k| !k.starts_with("otel.resource.")),
            "{doc:#}"
        );
        assert!(absent(&doc["annotations"]), "{doc:#}");
    }
    // The service segment keeps only otel.resource.* metadata, so it has none at all.
    assert!(absent(&d[1]["metadata"]), "{:#}", d[1]);
    // Without a parent the service segment gets them.
    let d = docs_cfg(&config, &aws_res(), span("call").client().local_root());
    assert_eq!(annotations(&d[1])["otel.resource.service.name"], "checkout");
    assert_eq!(meta_default(&d[1])["otel.resource.cloud.platform"], "aws_ec2");
    assert!(absent(&d[0]["annotations"]["otel.resource.service.name"]));
}

#[test]
fn case_c_annotations_are_not_filtered_but_removed_attributes_cannot_become_annotations() {
    let config = TranslatorConfig {
        indexed_attributes: vec![
            "aws.remote.service".into(),
            "aws.remote.operation".into(),
            "remoteTarget".into(),
            "K8s.RemoteNamespace".into(),
            "tenant".into(),
            "http.method".into(),
        ],
        ..cfg()
    };
    let d = docs_cfg(
        &config,
        &no_res(),
        span("call")
            .client()
            .local_root()
            .attr("aws.remote.service", "payments")
            .attr("aws.remote.operation", "Charge")
            .attr("remoteTarget", "arn:target")
            .attr("K8s.RemoteNamespace", "prod")
            .attr("tenant", "acme")
            .attr("http.method", "POST"),
    );
    let dep = annotations(&d[0]);
    assert_eq!(dep["aws.remote.service"], "payments");
    assert_eq!(dep["aws.remote.operation"], "Charge");
    assert_eq!(dep["remoteTarget"], "arn:target");
    assert_eq!(dep["K8s.RemoteNamespace"], "prod");
    assert_eq!(dep["tenant"], "acme");
    assert_eq!(dep["http.method"], "POST");
    let svc = annotations(&d[1]);
    assert_eq!(svc["tenant"], "acme");
    // An indexed consumed key put back by step 10 is an annotation, not filtered.
    assert_eq!(svc["http.method"], "POST");
    for k in [
        "aws.remote.service",
        "aws.remote.operation",
        "remoteTarget",
        "K8s.RemoteNamespace",
    ] {
        assert!(
            !svc.contains_key(k),
            "{k} must not be an annotation of the service segment"
        );
    }
}

#[test]
fn case_c_links_go_to_the_dependency_for_clients_and_producers() {
    for kind in [Kind::Client, Kind::Producer, Kind::Unspecified] {
        let d = docs(
            &no_res(),
            span("op")
                .kind(kind)
                .local_root()
                .link(TRACE, "3333333333333333", vec![kv("why", "batch")]),
        );
        assert_eq!(
            d[0]["links"],
            json!([{"trace_id": TRACE_XRAY, "id": "3333333333333333", "attributes": {"why": "batch"}}]),
            "{kind:?}"
        );
        assert!(absent(&d[1]["links"]), "{kind:?}");
    }
}

#[test]
fn case_c_links_go_to_the_service_segment_for_consumers() {
    let d = docs(
        &no_res(),
        span("op")
            .consumer()
            .local_root()
            .link(TRACE, "3333333333333333", vec![]),
    );
    assert!(absent(&d[0]["links"]));
    assert_eq!(
        d[1]["links"],
        json!([{"trace_id": TRACE_XRAY, "id": "3333333333333333"}])
    );
}

#[test]
fn case_c_service_segment_namespace_is_cleared_even_for_aws_sdk_clients() {
    let d = docs(
        &no_res(),
        span("S3.GetObject").client().local_root().attr("rpc.system", "aws-api"),
    );
    assert_eq!(d[0]["namespace"], "aws");
    assert_absent(&d[1], &["namespace", "type"]);
}

#[test]
fn case_c_both_documents_carry_the_flags_and_the_cause() {
    let d = docs(
        &no_res(),
        span("call")
            .client()
            .local_root()
            .attr("http.status_code", 503)
            .error("upstream down"),
    );
    for doc in &d {
        assert_eq!(doc["fault"], true);
        assert_eq!(doc["error"], false);
        assert_eq!(doc["cause"]["exceptions"][0]["message"], "upstream down");
    }
}

#[test]
fn case_c_fails_whole_when_a_document_fails() {
    // A link with a bad trace id makes the pipeline fail: no documents at all.
    let out = run_otlp(
        &cfg(),
        &no_res(),
        &[span("call").client().local_root().link_bytes(&[1; 5], &[2; 8])],
    );
    assert!(out.docs.is_empty());
    assert_eq!(out.reasons(), vec!["invalid_link"]);
    // The opt-in epoch check on an old trace id.
    let config = TranslatorConfig {
        validate_trace_id_timestamp: true,
        ..cfg()
    };
    let out = run_otlp(
        &config,
        &no_res(),
        &[span("call")
            .client()
            .local_root()
            .trace_hex("5759e988bd862e3fe1be46a994272793")],
    );
    assert!(out.docs.is_empty());
    assert_eq!(out.reasons(), vec!["trace_id_out_of_window"]);
}

#[test]
fn case_c_with_non_aws_cloud_provider_gives_both_documents() {
    // Differs (d): no aws block to clear, and no crash.
    let d = docs(
        &res(vec![kv("cloud.provider", "gcp"), kv("service.name", "svc")]),
        span("call")
            .client()
            .local_root()
            .attr("aws.local.service", "svc")
            .attr("aws.region", "eu-west-1"),
    );
    assert_eq!(d.len(), 2);
    assert_absent(&d[0], &["aws", "origin"]);
    assert_absent(&d[1], &["aws", "origin"]);
    assert_eq!(d[1]["name"], "svc");
}

#[test]
fn case_c_events_stay_on_the_dependency() {
    let d = docs(
        &res(vec![kv("service.name", "svc")]),
        span("call")
            .client()
            .local_root()
            .event("cache miss", START_NS + 1, vec![kv("key", "k1")]),
    );
    assert_eq!(
        meta_default(&d[0])["otel.events"],
        json!([{"name": "cache miss", "timestamp": (START_NS + 1) as f64 / 1e9, "attributes": {"key": "k1"}}])
    );
    assert!(!meta_default(&d[1]).contains_key("otel.events"));
}

#[test]
fn case_c_unspecified_kind_names_the_dependency_after_remote_service() {
    // Rule 3 of §6 does not cover UNSPECIFIED, but the Case C post-rule does.
    let d = docs(
        &no_res(),
        span("op")
            .kind(Kind::Unspecified)
            .local_root()
            .attr("aws.remote.service", "inventory"),
    );
    assert_eq!(d[0]["name"], "inventory");
}

#[test]
fn case_c_service_segment_keeps_otel_resource_keys_in_every_namespace() {
    let d = docs(
        &no_res(),
        span("op")
            .producer()
            .local_root()
            .attr("aws.xray.metadata.custom", r#"{"otel.resource.zone": "a", "other": 1}"#),
    );
    assert_eq!(
        d[0]["metadata"]["custom"],
        json!({"otel.resource.zone": "a", "other": 1})
    );
    assert_eq!(
        normalize(&d[1]["metadata"]["custom"]),
        json!({"otel.resource.zone": "a"})
    );
}

#[test]
fn case_b_internal_local_root_with_parent_stores_no_resource() {
    // storeResource is decided inside the pipeline (step 1), where this span is a subsegment.
    let r = res(vec![kv("service.name", "svc")]);
    let d = one(&r, span("job").child().local_root().attr("x", 1));
    assert_absent(&d, &["type"]);
    assert!(!meta_default(&d).contains_key("otel.resource.service.name"), "{d:#}");
    // A SERVER local root with a parent is a segment inside the pipeline and stores it.
    let d = one(&r, span("GET").server().child().local_root());
    assert_eq!(meta_default(&d)["otel.resource.service.name"], "svc");
}
