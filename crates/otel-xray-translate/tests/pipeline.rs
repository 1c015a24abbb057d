//! §4: the MakeSegment pipeline, attribute consumption and its consequences, and indexed
//! attributes put back by step 10.

mod common;

use common::*;
use otel_xray_translate::TranslatorConfig;

fn indexed(keys: &[&str]) -> TranslatorConfig {
    TranslatorConfig {
        indexed_attributes: keys.iter().map(|k| k.to_string()).collect(),
        ..cfg()
    }
}

// ------------------------------------------------------------------------------------------------
// Step 1: segment or subsegment, and storeResource
// ------------------------------------------------------------------------------------------------

#[test]
fn step1_subsegment_iff_not_server_and_parent_present() {
    let r = res(vec![kv("service.name", "svc")]);
    for kind in ALL_KINDS {
        let root = one(&r, span("op").kind(kind));
        assert_absent(&root, &["type", "parent_id"]);
        let child = one(&r, span("op").kind(kind).child());
        assert_eq!(child["parent_id"], PARENT, "{kind:?}");
        if kind == Kind::Server {
            assert_absent(&child, &["type"]);
        } else {
            assert_eq!(child["type"], "subsegment", "{kind:?}");
        }
    }
}

#[test]
fn step1_store_resource_only_on_segments() {
    let r = res(vec![kv("service.name", "svc"), kv("deployment.environment", "prod")]);
    // A SERVER span with a parent is a segment and stores the resource.
    let d = one_both(&r, span("GET /").server().child());
    assert_eq!(meta_default(&d)["otel.resource.deployment.environment"], "prod");
    // Root spans of every kind are segments.
    for kind in ALL_KINDS {
        let d = one(&r, span("op").kind(kind));
        assert_eq!(meta_default(&d)["otel.resource.service.name"], "svc", "{kind:?}");
    }
    // Subsegments do not.
    let d = one_both(&r, span("op").client().child().attr("x", 1));
    assert!(!appears_anywhere(&d, "otel.resource.service.name"), "{d:#}");
    assert_eq!(meta_default(&d)["x"], 1);
}

// ------------------------------------------------------------------------------------------------
// Consumption: keys used by steps 4-9 never reach metadata
// ------------------------------------------------------------------------------------------------

#[test]
fn http_keys_are_consumed() {
    let keys = [
        kv("http.method", "GET"),
        kv("http.client_ip", "192.0.2.1"),
        kv("http.user_agent", "curl/8"),
        kv("http.status_code", 200),
        kv("http.url", "http://example.com/a"),
        kv("http.scheme", "http"),
        kv("http.host", "example.com"),
        kv("http.target", "/a"),
        kv("http.server_name", "srv"),
        kv("net.host.port", 8080),
        kv("host.name", "h"),
        kv("net.host.name", "nh"),
        kv("net.peer.name", "peer"),
        kv("net.peer.port", 1234),
        kv("net.peer.ip", "192.0.2.2"),
        kv("network.peer.address", "192.0.2.3"),
        kv("client.address", "192.0.2.4"),
        kv("url.path", "/p"),
        kv("url.query", "q=1"),
        kv("server.address", "sa"),
        kv("server.port", 443),
        kv("http.request.method", "GET"),
        kv("user_agent.original", "curl/8"),
        kv("http.response.status_code", 200),
        kv("url.full", "http://example.com/a"),
        kv("url.scheme", "http"),
    ];
    let d = one_both(
        &no_res(),
        span("GET /a").server().attrs(keys.clone()).attr("kept", "yes"),
    );
    for (k, _) in &keys {
        assert!(!appears_anywhere(&d, k), "{k} must be consumed: {d:#}");
    }
    assert_eq!(meta_default(&d)["kept"], "yes");
}

#[test]
fn lone_server_address_disappears_without_a_trace() {
    // No key that sets hasHTTP: no http block, and the key is consumed anyway.
    let d = one_both(
        &no_res(),
        span("op")
            .attr("server.address", "db.internal")
            .attr("server.port", 5432),
    );
    assert_absent(&d, &["http", "metadata", "annotations"]);
}

#[test]
fn non_ip_network_peer_address_is_consumed_and_dropped() {
    let d = one_both(
        &no_res(),
        span("op")
            .attr("network.peer.address", "not-an-ip")
            .attr("client.address", "also-not-an-ip"),
    );
    assert_absent(&d, &["http", "metadata"]);
}

#[test]
fn network_peer_port_stays_an_ordinary_attribute_by_default() {
    let d = one_both(&no_res(), span("op").attr("network.peer.port", 5432));
    assert_eq!(meta_default(&d)["network.peer.port"], 5432);
}

#[test]
fn aws_keys_are_consumed() {
    let keys = [
        kv("rpc.method", "GetItem"),
        kv("aws.operation", "GetItem"),
        kv("aws.account_id", "123456789012"),
        kv("aws.region", "us-east-1"),
        kv("aws.request_id", "r1"),
        kv("aws.requestId", "r2"),
        kv("aws.queue_url", "https://q1"),
        kv("aws.queue.url", "https://q2"),
        kv("aws.table_name", "t1"),
        kv("aws.table.name", "t2"),
    ];
    let d = one_both(&no_res(), span("op").client().child().attrs(keys.clone()));
    for (k, _) in &keys {
        assert!(!appears_anywhere(&d, k), "{k} must be consumed: {d:#}");
    }
}

#[test]
fn messaging_url_and_dynamodb_table_names_are_read_but_not_consumed() {
    let d = one_both(
        &no_res(),
        span("op")
            .client()
            .child()
            .attr("messaging.url", "https://sqs.eu-west-1.amazonaws.com/1/q")
            .attr("aws.dynamodb.table_names", arr(["t"])),
    );
    assert_eq!(d["aws"]["queue_url"], "https://sqs.eu-west-1.amazonaws.com/1/q");
    assert_eq!(d["aws"]["table_name"], "t");
    let m = meta_default(&d);
    assert_eq!(m["messaging.url"], "https://sqs.eu-west-1.amazonaws.com/1/q");
    assert_eq!(m["aws.dynamodb.table_names"], json!(["t"]));
}

#[test]
fn db_keys_are_consumed_only_for_sql_systems() {
    let sql = one_both(
        &no_res(),
        span("SELECT").client().child().attrs(vec![
            kv("db.system", "postgresql"),
            kv("db.name", "shop"),
            kv("db.statement", "SELECT 1"),
            kv("db.user", "app"),
            kv("db.connection_string", "postgresql://db:5432"),
        ]),
    );
    for k in [
        "db.system",
        "db.name",
        "db.statement",
        "db.user",
        "db.connection_string",
    ] {
        assert!(!appears_anywhere(&sql, k), "{k}");
    }
    let redis = one_both(
        &no_res(),
        span("GET").client().child().attrs(vec![
            kv("db.system", "redis"),
            kv("db.name", "0"),
            kv("db.statement", "GET k"),
        ]),
    );
    let m = meta_default(&redis);
    assert_eq!(m["db.system"], "redis");
    assert_eq!(m["db.name"], "0");
    assert_eq!(m["db.statement"], "GET k");
    assert_absent(&redis, &["sql"]);
}

#[test]
fn http_status_text_consumed_only_in_the_status_message_branch() {
    // ERROR without exception events: consumed even though the status message is used.
    let d = one(
        &no_res(),
        span("op").error("boom").attr("http.status_text", "Bad Gateway"),
    );
    assert!(!appears_anywhere(&d, "http.status_text"));
    assert_eq!(d["cause"]["exceptions"][0]["message"], "boom");
    // Not an error: an ordinary attribute.
    let d = one(&no_res(), span("op").attr("http.status_text", "OK"));
    assert_eq!(meta_default(&d)["http.status_text"], "OK");
}

#[test]
fn resource_attributes_are_never_consumed() {
    // cloud.account.id feeds aws.account_id and is still written as resource metadata.
    let d = one_both(
        &res(vec![kv("cloud.account.id", "123456789012"), kv("http.method", "GET")]),
        span("op").server(),
    );
    assert_eq!(d["aws"]["account_id"], "123456789012");
    let m = meta_default(&d);
    assert_eq!(m["otel.resource.cloud.account.id"], "123456789012");
    // Only span attributes feed §7: a resource http.method gives no http block.
    assert_eq!(m["otel.resource.http.method"], "GET");
    assert_absent(&d, &["http"]);
}

// ------------------------------------------------------------------------------------------------
// Step 10: indexed attributes put back
// ------------------------------------------------------------------------------------------------

#[test]
fn indexed_http_method_gives_field_and_annotation() {
    let out = run_both(
        &indexed(&["http.method"]),
        &no_res(),
        &[span("GET /").server().attr("http.method", "GET")],
    );
    let d = out.one();
    assert_eq!(d["http"]["request"]["method"], "GET");
    assert_eq!(annotations(d)["http.method"], "GET");
    assert!(!meta_default(d).contains_key("http.method"));
}

#[test]
fn indexed_aws_operation_and_rpc_method_are_put_back() {
    let d = one_cfg(
        &indexed(&["aws.operation", "rpc.method", "aws.region"]),
        &no_res(),
        span("op")
            .client()
            .child()
            .attr("aws.operation", "PutItem")
            .attr("rpc.method", "PutItemRpc")
            .attr("aws.region", "eu-west-1"),
    );
    assert_eq!(d["aws"]["operation"], "PutItem");
    assert_eq!(d["aws"]["region"], "eu-west-1");
    let a = annotations(&d);
    assert_eq!(a["aws.operation"], "PutItem");
    assert_eq!(a["rpc.method"], "PutItemRpc");
    assert_eq!(a["aws.region"], "eu-west-1");
}

#[test]
fn indexed_db_statement_is_put_back_for_sql_systems() {
    let d = one_cfg(
        &indexed(&["db.statement"]),
        &no_res(),
        span("q")
            .client()
            .child()
            .attr("db.system", "mysql")
            .attr("db.statement", "SELECT 1"),
    );
    assert_eq!(d["sql"]["sanitized_query"], "SELECT 1");
    assert_eq!(annotations(&d)["db.statement"], "SELECT 1");
}

#[test]
fn indexed_http_status_text_is_put_back_after_the_cause_step() {
    let d = one_cfg(
        &indexed(&["http.status_text"]),
        &no_res(),
        span("op").error("").attr("http.status_text", "Service Unavailable"),
    );
    assert_eq!(d["cause"]["exceptions"][0]["message"], "Service Unavailable");
    assert_eq!(annotations(&d)["http.status_text"], "Service Unavailable");
}

#[test]
fn indexed_consumed_key_that_is_a_lone_server_address_is_put_back() {
    let d = one_cfg(
        &indexed(&["server.address"]),
        &no_res(),
        span("op").attr("server.address", "db"),
    );
    assert_absent(&d, &["http"]);
    assert_eq!(annotations(&d)["server.address"], "db");
}

#[test]
fn indexed_key_absent_from_the_span_puts_nothing_back() {
    let d = one_cfg(&indexed(&["http.method"]), &no_res(), span("op").child().client());
    assert_absent(&d, &["annotations", "http"]);
}

#[test]
fn indexed_enduser_id_is_not_kept() {
    let d = one_cfg(
        &indexed(&["enduser.id"]),
        &no_res(),
        span("op").attr("enduser.id", "alice"),
    );
    assert_eq!(d["user"], "alice");
    assert!(!appears_anywhere(&d, "enduser.id"));
}

// ------------------------------------------------------------------------------------------------
// Step 13: name and namespace read the original attributes
// ------------------------------------------------------------------------------------------------

#[test]
fn name_reads_consumed_keys() {
    // http.host is consumed by step 4 and still names the document (rule 9).
    let d = one_both(
        &no_res(),
        span("op")
            .attr("http.host", "api.example.com")
            .attr("http.method", "GET"),
    );
    assert_eq!(d["name"], "api.example.com");
    // net.peer.name (rule 10), consumed by step 4.
    let d = one_both(&no_res(), span("op").attr("net.peer.name", "peer.example.com"));
    assert_eq!(d["name"], "peer.example.com");
    // db.name, consumed by step 9 for SQL systems (rule 6).
    let d = one_both(
        &no_res(),
        span("op").attr("db.system", "mysql").attr("db.name", "customers"),
    );
    assert_eq!(d["name"], "customers");
}

#[test]
fn a_rich_span_is_the_same_in_both_forms() {
    let r = res(vec![
        kv("service.name", "shop"),
        kv("service.version", "1.2.3"),
        kv("cloud.provider", "aws"),
        kv("cloud.platform", "aws_ecs"),
        kv("aws.ecs.launchtype", "fargate"),
        kv("telemetry.sdk.name", "opentelemetry"),
        kv("telemetry.sdk.language", "python"),
        kv("telemetry.auto.version", "0.50b0"),
        kv("aws.log.group.names", arr(["/ecs/shop"])),
    ]);
    let s = span("POST /cart")
        .server()
        .child()
        .attr("http.request.method", "POST")
        .attr("url.scheme", "https")
        .attr("server.address", "shop.example.com")
        .attr("url.path", "/cart")
        .attr("client.address", "198.51.100.7")
        .attr("http.response.status_code", 201)
        .attr("enduser.id", "u-1")
        .attr("cart.items", 3)
        .attr("cart.total", 19.5)
        .attr("cart.tags", arr(["a", "b"]))
        .attr("aws.xray.annotations", arr(["cart.items"]))
        .event("validated", START_NS + 100, vec![kv("ok", true)])
        .event(
            "exception",
            START_NS + 200,
            vec![
                kv("exception.type", "KeyError"),
                kv("exception.message", "'sku'"),
                kv(
                    "exception.stacktrace",
                    "Traceback (most recent call last):\n  File \"/app/cart.py\", line 12, in add\n    x = d['sku']\nKeyError: 'sku'",
                ),
            ],
        )
        .link("6553f1004bf92f3577b34da6a3ce9291", "4444444444444444", vec![kv("n", 1)])
        .ok();
    let out = run_both(&indexed(&["http.request.method"]), &r, &[s]);
    let d = out.one();
    assert_eq!(d["name"], "shop");
    assert_eq!(d["http"]["request"]["url"], "https://shop.example.com/cart");
    assert_eq!(d["user"], "u-1");
    assert_eq!(annotations(d)["cart.items"], 3);
    assert_eq!(annotations(d)["http.request.method"], "POST");
    assert_eq!(d["cause"]["exceptions"][0]["stack"][0]["path"], "/app/cart.py");
    assert_eq!(d["origin"], "AWS::ECS::Fargate");
}

#[test]
fn index_all_does_not_put_consumed_keys_back() {
    // Step 10 reads indexed_attributes only.
    let config = TranslatorConfig {
        index_all_attributes: true,
        ..cfg()
    };
    let d = one_cfg(
        &config,
        &no_res(),
        span("GET").server().attr("http.method", "GET").attr("free", "x"),
    );
    assert!(!annotations(&d).contains_key("http.method"));
    assert_eq!(annotations(&d)["free"], "x");
    let config = TranslatorConfig {
        index_all_attributes: true,
        indexed_attributes: vec!["http.method".into()],
        ..cfg()
    };
    let d = one_cfg(&config, &no_res(), span("GET").server().attr("http.method", "GET"));
    assert_eq!(annotations(&d)["http.method"], "GET");
}

#[test]
fn aws_xray_annotations_does_not_put_consumed_keys_back() {
    // Step 10 runs before aws.xray.annotations is read in step 11.
    let d = one_both(
        &no_res(),
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("aws.xray.annotations", arr(["http.method"])),
    );
    assert_absent(&d, &["annotations"]);
}

#[test]
fn fields_the_translator_never_writes() {
    let d = one_both(
        &res(vec![kv("service.version", "1"), kv("cloud.platform", "aws_ec2")]),
        span("q")
            .client()
            .child()
            .attr("http.method", "GET")
            .attr("net.peer.name", "h")
            .attr("db.system", "mysql")
            .attr("db.statement", "SELECT 1")
            .event("exception", START_NS, vec![kv("exception.type", "E")])
            .link(TRACE, SPAN, vec![]),
    );
    assert_never_written(&d);
    assert_always_fields(&d);
}

// ------------------------------------------------------------------------------------------------
// Batches: documents are built in buffers reused from span to span
// ------------------------------------------------------------------------------------------------

/// Nothing of a span's documents leaks into the next span's: after spans that fill every part
/// (http, sql, aws, cause, annotations, metadata, events, links, user; a split local root that
/// fills both document slots), a plain span gives exactly the document it gives alone. Checked in
/// both input forms and through the wire decoder.
#[test]
fn a_plain_span_after_rich_ones_gives_the_document_it_gives_alone() {
    let r = res(vec![kv("service.name", "svc"), kv("cloud.provider", "aws")]);
    let config = indexed(&["app.tenant"]);
    let rich = span("INSERT orders")
        .client()
        .child()
        .attr("db.system", "postgresql")
        .attr("db.name", "shop")
        .attr("db.statement", "INSERT INTO orders VALUES (?)")
        .attr("http.request.method", "POST")
        .attr("url.full", "https://db.example.com/x")
        .attr("http.response.status_code", 503)
        .attr("rpc.system", "aws-api")
        .attr("aws.operation", "PutItem")
        .attr("aws.table_name", "orders")
        .attr("app.tenant", "t-1")
        .attr("enduser.id", "u-1")
        .attr("thread.name", "worker-1")
        .event(
            "exception",
            5,
            vec![
                kv("exception.type", "java.lang.IllegalStateException"),
                kv("exception.message", "boom"),
                kv(
                    "exception.stacktrace",
                    "java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)",
                ),
            ],
        )
        .event("retry", 6, vec![kv("attempt", 2)])
        .link(
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            vec![kv("k", "v")],
        )
        .error("boom");
    let split = span("call payments")
        .client()
        .child()
        .local_root()
        .attr("aws.remote.service", "payments")
        .attr("aws.local.service", "checkout")
        .attr("http.response.status_code", 429);
    let plain = span("render").child().attr("app.template", "order-v2");

    let alone = run_both(&config, &r, std::slice::from_ref(&plain));
    assert_eq!(alone.docs.len(), 1);
    let after = run_both(&config, &r, &[rich, split, plain]);
    assert_eq!(after.docs.len(), 4, "one, two, then one document");
    assert_eq!(normalize(&after.docs[3]), normalize(&alone.docs[0]));
}
