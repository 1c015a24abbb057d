//! §6 name and namespace, Differs (a) (every candidate sanitised and cut) and Differs (b)
//! (PRODUCER and CLIENT subsegments with a known peer get `remote`).

mod common;

use common::*;

fn name_of(r: &Res, s: SpanDesc) -> String {
    let d = one_both(r, s);
    d["name"].as_str().expect("name").to_owned()
}

fn svc_res() -> Res {
    res(vec![kv("service.name", "resource-svc")])
}

// ------------------------------------------------------------------------------------------------
// §6.1 candidates in order
// ------------------------------------------------------------------------------------------------

#[test]
fn rule1_server_uses_local_service_first() {
    let s = span("GET /")
        .server()
        .attr("aws.local.service", "local")
        .attr("peer.service", "peer")
        .attr("aws.service", "S3")
        .attr("db.name", "db")
        .attr("rpc.service", "rpc")
        .attr("http.host", "host");
    assert_eq!(name_of(&svc_res(), s), "local");
}

#[test]
fn rule1_does_not_apply_to_clients_or_internal_spans() {
    let s = span("call").client().attr("aws.local.service", "local");
    assert_eq!(name_of(&no_res(), s), "call");
    let s = span("work").attr("aws.local.service", "local");
    assert_eq!(name_of(&no_res(), s), "work");
}

#[test]
fn rule2_internal_local_root_uses_local_service() {
    let s = span("job").local_root().attr("aws.local.service", "worker");
    assert_eq!(name_of(&no_res(), s), "worker");
}

#[test]
fn rule3_outgoing_kinds_use_remote_service() {
    for kind in [Kind::Client, Kind::Producer, Kind::Consumer] {
        let s = span("op")
            .kind(kind)
            .attr("aws.remote.service", "payments")
            .attr("peer.service", "peer");
        assert_eq!(name_of(&no_res(), s), "payments", "{kind:?}");
    }
    // Not for SERVER or INTERNAL.
    let s = span("op").server().attr("aws.remote.service", "payments");
    assert_eq!(name_of(&no_res(), s), "op");
    let s = span("op").attr("aws.remote.service", "payments");
    assert_eq!(name_of(&no_res(), s), "op");
}

#[test]
fn rule3_trims_aws_sdk_prefixes_on_aws_sdk_spans_only() {
    for (remote, expected) in [
        ("AWS.SDK.DynamoDb", "DynamoDb"),
        ("AWS::DynamoDB", "DynamoDB"),
        ("AWS.SDK.AWS::S3", "AWS::S3"),
        ("DynamoDB", "DynamoDB"),
    ] {
        let s = span("op")
            .client()
            .attr("rpc.system", "aws-api")
            .attr("aws.remote.service", remote);
        assert_eq!(name_of(&no_res(), s), expected, "{remote}");
    }
    let s = span("op").client().attr("aws.remote.service", "AWS.SDK.DynamoDb");
    assert_eq!(name_of(&no_res(), s), "AWS.SDK.DynamoDb");
}

#[test]
fn rule4_peer_service() {
    let s = span("op").attr("peer.service", "inventory").attr("aws.service", "S3");
    let d = one_both(&no_res(), s);
    assert_eq!(d["name"], "inventory");
    // With peer.service set, aws.service does not set the namespace.
    assert_absent(&d, &["namespace"]);
}

#[test]
fn rule5_aws_service_sets_namespace_aws() {
    let d = one_both(&no_res(), span("op").attr("aws.service", "S3"));
    assert_eq!(d["name"], "S3");
    assert_eq!(d["namespace"], "aws");
    // Also overrides the CLIENT default `remote`.
    let d = one_both(&no_res(), span("op").client().attr("aws.service", "S3"));
    assert_eq!(d["namespace"], "aws");
}

#[test]
fn rule6_db_name_with_host_from_connection_string() {
    let s = span("SELECT")
        .client()
        .attr("db.system", "mysql")
        .attr("db.name", "customers")
        .attr("db.connection_string", "jdbc:mysql://db.dev.example.com:3306");
    assert_eq!(name_of(&no_res(), s), "customers@db.dev.example.com");
    // Without `jdbc:` as well.
    let s = span("q")
        .attr("db.name", "orders")
        .attr("db.connection_string", "postgresql://pg.internal:5432/orders");
    assert_eq!(name_of(&no_res(), s), "orders@pg.internal");
}

#[test]
fn rule6_db_name_alone_when_connection_string_has_no_host() {
    for conn in [None, Some(""), Some("localhost:5432"), Some("not a url")] {
        let mut s = span("q").attr("db.system", "postgresql").attr("db.name", "orders");
        if let Some(c) = conn {
            s = s.attr("db.connection_string", c);
        }
        assert_eq!(name_of(&no_res(), s), "orders", "{conn:?}");
    }
}

#[test]
fn rule6_applies_to_non_sql_systems_too() {
    let s = span("GET").client().attr("db.system", "redis").attr("db.name", "cache");
    assert_eq!(name_of(&no_res(), s), "cache");
}

#[test]
fn rule6_comes_after_aws_service() {
    let s = span("q").attr("aws.service", "DynamoDB").attr("db.name", "orders");
    assert_eq!(name_of(&no_res(), s), "DynamoDB");
}

#[test]
fn rule7_server_uses_resource_service_name() {
    let s = span("GET /").server().attr("rpc.service", "Greeter");
    assert_eq!(name_of(&svc_res(), s), "resource-svc");
    // Not for other kinds.
    let s = span("GET /").attr("rpc.service", "Greeter");
    assert_eq!(name_of(&svc_res(), s), "Greeter");
    let s = span("call").client();
    assert_eq!(name_of(&svc_res(), s), "call");
}

#[test]
fn rules8_to_10_rpc_service_http_host_net_peer_name() {
    let s = span("op")
        .attr("rpc.service", "Greeter")
        .attr("http.host", "h.example.com")
        .attr("net.peer.name", "p.example.com");
    assert_eq!(name_of(&no_res(), s), "Greeter");
    let s = span("op")
        .attr("http.host", "h.example.com")
        .attr("net.peer.name", "p.example.com");
    assert_eq!(name_of(&no_res(), s), "h.example.com");
    let s = span("op").attr("net.peer.name", "p.example.com");
    assert_eq!(name_of(&no_res(), s), "p.example.com");
}

#[test]
fn rule11_span_name_through_fix_segment_name() {
    for (raw, expected) in [
        (
            "EP @ test_15.testing-d\u{00F6}main.org#GO",
            "EP @ test_15.testing-d\u{00F6}main.org#GO",
        ),
        ("<subDomain>.example.com,1413", "subDomain.example.com1413"),
        ("<>", "span"),
        ("", "span"),
        ("a\\b,c", "abc"),
        ("GET /users/{id}?x=1", "GET /users/idx=1"),
        ("name%&#=+-@:/_.", "name%&#=+-@:/_."),
        ("\u{65e5}\u{672c}", "\u{65e5}\u{672c}"),
        // Non-ASCII digits, marks, symbols and spaces are not letters.
        ("a\u{0663}b\u{00a0}c\u{2603}d\u{0301}", "abcd"),
        ("tab\there\nnew", "tabherenew"),
    ] {
        assert_eq!(name_of(&no_res(), span(raw)), expected, "{raw:?}");
    }
}

#[test]
fn non_string_candidates_fall_through() {
    let s = span("GET /")
        .server()
        .attr("aws.local.service", 42)
        .attr("peer.service", true)
        .attr("aws.service", 1.5)
        .attr("db.name", arr(["x"]));
    assert_eq!(name_of(&svc_res(), s), "resource-svc");
    let d = one_both(&no_res(), span("op").attr("aws.service", 3));
    assert_eq!(d["name"], "op");
    assert_absent(&d, &["namespace"]);
}

#[test]
fn empty_candidates_fall_through() {
    let s = span("op").attr("peer.service", "").attr("rpc.service", "Greeter");
    assert_eq!(name_of(&no_res(), s), "Greeter");
}

// ------------------------------------------------------------------------------------------------
// Differs (a): every candidate is sanitised and cut
// ------------------------------------------------------------------------------------------------

#[test]
fn attribute_candidates_are_sanitised() {
    let s = span("GET /").server().attr("aws.local.service", "<orders, api>");
    assert_eq!(name_of(&no_res(), s), "orders api");
    let s = span("op").attr("peer.service", "inventory\\v2");
    assert_eq!(name_of(&no_res(), s), "inventoryv2");
    let s = span("GET /").server();
    assert_eq!(name_of(&res(vec![kv("service.name", "my,svc")]), s), "mysvc");
    let s = span("q")
        .attr("db.name", "cust<omers>")
        .attr("db.connection_string", "mysql://db.example.com");
    assert_eq!(name_of(&no_res(), s), "customers@db.example.com");
}

#[test]
fn candidate_empty_after_sanitising_counts_as_absent() {
    let s = span("GET /")
        .server()
        .attr("aws.local.service", "<>")
        .attr("peer.service", ",,,")
        .attr("aws.service", "\\");
    assert_eq!(name_of(&svc_res(), s), "resource-svc");
    // And `aws.service` empty after sanitising does not set the namespace.
    let d = one_both(&no_res(), span("op").attr("aws.service", "<>"));
    assert_eq!(d["name"], "op");
    assert_absent(&d, &["namespace"]);
}

#[test]
fn names_are_cut_at_200_bytes() {
    let long = "a".repeat(300);
    let s = span("op").attr("peer.service", long.as_str());
    assert_eq!(name_of(&no_res(), s), "a".repeat(200));
    assert_eq!(name_of(&no_res(), span(&long)), "a".repeat(200));
    // A cut inside a multi-byte letter leaves U+FFFD.
    let split = format!("{}\u{00e9}xyz", "a".repeat(199));
    let name = name_of(&no_res(), span("op").attr("peer.service", split.as_str()));
    assert_eq!(name, format!("{}\u{FFFD}", "a".repeat(199)));
}

#[test]
fn sanitising_happens_before_the_cut() {
    // 250 disallowed characters then 10 letters: only the letters remain.
    let raw = format!("{}abcdefghij", "<".repeat(250));
    assert_eq!(name_of(&no_res(), span(&raw)), "abcdefghij");
}

// ------------------------------------------------------------------------------------------------
// §6.2 namespace
// ------------------------------------------------------------------------------------------------

#[test]
fn namespace_inside_the_pipeline() {
    // CLIENT: remote (root spans too).
    assert_eq!(one_both(&no_res(), span("op").client())["namespace"], "remote");
    // aws-api: aws, whatever the kind.
    for kind in [Kind::Client, Kind::Internal, Kind::Server, Kind::Producer] {
        let d = one(&no_res(), span("op").kind(kind).attr("rpc.system", "aws-api"));
        assert_eq!(d["namespace"], "aws", "{kind:?}");
    }
    // Otherwise empty.
    for kind in [
        Kind::Internal,
        Kind::Server,
        Kind::Producer,
        Kind::Consumer,
        Kind::Unspecified,
    ] {
        assert_absent(&one(&no_res(), span("op").kind(kind)), &["namespace"]);
    }
    // rpc.system other than aws-api does not count.
    assert_absent(&one(&no_res(), span("op").attr("rpc.system", "grpc")), &["namespace"]);
}

#[test]
fn producer_and_consumer_subsegments_get_no_namespace_without_a_peer() {
    for kind in [Kind::Producer, Kind::Consumer] {
        let d = one_both(&no_res(), span("op").kind(kind).child().attr("x", 1));
        assert_absent(&d, &["namespace"]);
    }
}

// ------------------------------------------------------------------------------------------------
// Differs (b)
// ------------------------------------------------------------------------------------------------

#[test]
fn differs_b_producer_subsegment_with_a_known_peer_gets_remote() {
    for key in [
        "aws.remote.service",
        "peer.service",
        "messaging.destination.name",
        "messaging.system",
        "server.address",
    ] {
        let d = one_both(&no_res(), span("publish").producer().child().attr(key, "orders"));
        assert_eq!(d["namespace"], "remote", "{key}");
    }
}

#[test]
fn differs_b_needs_a_non_empty_value() {
    for key in [
        "peer.service",
        "messaging.destination.name",
        "messaging.system",
        "server.address",
    ] {
        let d = one_both(&no_res(), span("publish").producer().child().attr(key, ""));
        assert_absent(&d, &["namespace"]);
    }
}

#[test]
fn differs_b_needs_a_subsegment() {
    let d = one_both(&no_res(), span("publish").producer().attr("messaging.system", "kafka"));
    assert_absent(&d, &["namespace", "type"]);
}

#[test]
fn differs_b_does_not_cover_consumers() {
    // The Case A rule for CONSUMER still needs aws.remote.service.
    let d = one_both(
        &no_res(),
        span("process")
            .consumer()
            .child()
            .attr("messaging.system", "kafka")
            .attr("messaging.destination.name", "orders"),
    );
    assert_absent(&d, &["namespace"]);
}

#[test]
fn differs_b_keeps_aws() {
    let d = one_both(
        &no_res(),
        span("SQS.SendMessage")
            .producer()
            .child()
            .attr("rpc.system", "aws-api")
            .attr("messaging.system", "aws_sqs"),
    );
    assert_eq!(d["namespace"], "aws");
}

#[test]
fn differs_b_reads_the_original_attributes() {
    // server.address is consumed by the HTTP step but still identifies the peer.
    let d = one_both(
        &no_res(),
        span("publish")
            .producer()
            .child()
            .attr("server.address", "broker.internal")
            .attr("http.method", "POST"),
    );
    assert_eq!(d["namespace"], "remote");
    assert!(!appears_anywhere(&d, "server.address"));
}

#[test]
fn rule6_reads_db_name_whatever_the_db_conventions() {
    // db.name is read by the name rule independently of §12's key selection.
    let config = otel_xray_translate::TranslatorConfig {
        db_conventions: otel_xray_translate::ConventionReading {
            read_v0: false,
            read_v1: true,
        },
        ..cfg()
    };
    let d = one_cfg(&config, &no_res(), span("q").attr("db.name", "orders"));
    assert_eq!(d["name"], "orders");
    // The v1 key db.namespace is not a name candidate.
    let d = one_cfg(&config, &no_res(), span("q").attr("db.namespace", "orders"));
    assert_eq!(d["name"], "q");
}

#[test]
fn rule6_ipv6_host_is_unbracketed() {
    let s = span("q")
        .attr("db.name", "app")
        .attr("db.connection_string", "mysql://[::1]:3306");
    assert_eq!(name_of(&no_res(), s), "app@::1");
}

#[test]
fn rule6_host_is_the_url_host_name_as_written() {
    // A non-ASCII host name is a host name, not its percent-encoding.
    let s = span("q")
        .attr("db.name", "orders")
        .attr("db.connection_string", "mysql://d\u{e9}p\u{f4}t.example.com:3306");
    assert_eq!(name_of(&no_res(), s), "orders@d\u{e9}p\u{f4}t.example.com");
}

#[test]
fn rule6_host_keeps_its_case() {
    // The reference's Hostname() keeps the host as written, whatever the scheme.
    let s = span("q")
        .attr("db.name", "orders")
        .attr("db.connection_string", "http://DB.Example.com:8080");
    assert_eq!(name_of(&no_res(), s), "orders@DB.Example.com");
}
