//! §13: user, annotations and metadata, and Differs (c): span events in
//! `metadata.default["otel.events"]`.

mod common;

use common::*;
use otel_xray_translate::TranslatorConfig;

fn indexed(keys: &[&str]) -> TranslatorConfig {
    TranslatorConfig {
        indexed_attributes: keys.iter().map(|k| k.to_string()).collect(),
        ..cfg()
    }
}

fn index_all() -> TranslatorConfig {
    TranslatorConfig {
        index_all_attributes: true,
        ..cfg()
    }
}

fn no_dots(mut c: TranslatorConfig) -> TranslatorConfig {
    c.annotation_keys_allow_dot = false;
    c
}

/// A subsegment: no resource data gets in the way.
fn sub() -> SpanDesc {
    span("op").client().child()
}

// ------------------------------------------------------------------------------------------------
// 1. user
// ------------------------------------------------------------------------------------------------

#[test]
fn user_from_enduser_id() {
    let d = one_both(&no_res(), sub().attr("enduser.id", "alice"));
    assert_eq!(d["user"], "alice");
    assert!(!appears_anywhere(&d, "enduser.id"));
}

#[test]
fn non_string_or_empty_enduser_id_gives_no_user_and_is_consumed() {
    for v in [V::from(42), V::from(""), V::from(true)] {
        let d = one(&no_res(), sub().attr("enduser.id", v.clone()));
        assert_absent(&d, &["user"]);
        assert!(!appears_anywhere(&d, "enduser.id"), "{v:?}");
    }
}

// ------------------------------------------------------------------------------------------------
// 2. early exit
// ------------------------------------------------------------------------------------------------

#[test]
fn early_exit_on_subsegments_with_nothing_left() {
    let d = one_both(
        &res(vec![kv("service.name", "svc")]),
        sub().attr("http.method", "GET").attr("enduser.id", "u"),
    );
    assert_absent(&d, &["metadata", "annotations"]);
}

#[test]
fn segment_with_nothing_left_still_stores_the_resource() {
    let d = one_both(
        &res(vec![kv("service.name", "svc")]),
        span("op").server().attr("http.method", "GET"),
    );
    assert_eq!(meta_default(&d)["otel.resource.service.name"], "svc");
}

// ------------------------------------------------------------------------------------------------
// 4. resource attributes
// ------------------------------------------------------------------------------------------------

#[test]
fn resource_metadata_only_on_segments() {
    let r = res(vec![
        kv("service.name", "svc"),
        kv("deploy.count", 3),
        kv("deploy.ratio", 0.5),
        kv("deploy.on", true),
        kv("deploy.tags", arr(["a", "b"])),
    ]);
    let d = one_both(&r, span("op"));
    let m = meta_default(&d);
    assert_eq!(m["otel.resource.service.name"], "svc");
    assert_eq!(m["otel.resource.deploy.count"], 3);
    assert!(m["otel.resource.deploy.count"].is_i64());
    assert_eq!(m["otel.resource.deploy.ratio"], 0.5);
    assert_eq!(m["otel.resource.deploy.on"], true);
    assert_eq!(m["otel.resource.deploy.tags"], json!(["a", "b"]));
    let d = one_both(&r, sub().attr("x", 1));
    assert!(meta_default(&d).keys().all(|k| !k.starts_with("otel.resource.")));
}

#[test]
fn resource_maps_become_objects_and_empty_values_are_skipped() {
    let r = res(vec![
        kv("k8s.labels", map([("app", V::from("web")), ("tier", V::from(2))])),
        kv("nothing", V::Empty),
    ]);
    let d = one(&r, span("op"));
    let m = meta_default(&d);
    assert_eq!(m["otel.resource.k8s.labels"], json!({"app": "web", "tier": 2}));
    assert!(!m.contains_key("otel.resource.nothing"));
}

#[test]
fn indexed_resource_attribute_becomes_an_annotation() {
    let r = res(vec![kv("service.name", "svc"), kv("team", "payments")]);
    let d = one_cfg(&indexed(&["otel.resource.service.name"]), &r, span("op"));
    assert_eq!(annotations(&d)["otel.resource.service.name"], "svc");
    assert!(!meta_default(&d).contains_key("otel.resource.service.name"));
    assert_eq!(meta_default(&d)["otel.resource.team"], "payments");
    // Keys without dots.
    let d = one_cfg(&no_dots(indexed(&["otel.resource.service.name"])), &r, span("op"));
    assert_eq!(annotations(&d)["otel_resource_service_name"], "svc");
    // The un-prefixed name does not index the resource attribute.
    let d = one_cfg(&indexed(&["service.name"]), &r, span("op"));
    assert_absent(&d, &["annotations"]);
}

#[test]
fn indexed_non_scalar_resource_attribute_stays_metadata() {
    let r = res(vec![kv("tags", arr(["a"]))]);
    let d = one_cfg(&indexed(&["otel.resource.tags"]), &r, span("op"));
    assert_absent(&d, &["annotations"]);
    assert_eq!(meta_default(&d)["otel.resource.tags"], json!(["a"]));
}

// ------------------------------------------------------------------------------------------------
// 5. span attributes
// ------------------------------------------------------------------------------------------------

#[test]
fn ordinary_attributes_go_to_metadata_default_raw() {
    let d = one(
        &no_res(),
        sub()
            .attr("s", "text")
            .attr("i", 7)
            .attr("d", 2.0)
            .attr("b", false)
            .attr("list", arr([1, 2]))
            .attr("mixed", V::Arr(vec![V::from("a"), V::from(1)]))
            .attr("m", map([("inner", V::from(1))]))
            .attr("bytes", V::Bytes(b"hi".to_vec()))
            .attr("empty", V::Empty),
    );
    let m = meta_default(&d);
    assert_eq!(m["s"], "text");
    assert_eq!(m["i"], 7);
    assert!(m["i"].is_i64(), "int attributes are JSON integers");
    assert!(m["d"].is_f64(), "double attributes are JSON numbers: {}", m["d"]);
    assert_eq!(m["d"].as_f64(), Some(2.0));
    assert_eq!(m["b"], false);
    assert_eq!(m["list"], json!([1, 2]));
    assert_eq!(m["mixed"], json!(["a", 1]));
    assert_eq!(m["m"], json!({"inner": 1}));
    assert_eq!(m["bytes"], "aGk=");
    assert!(!m.contains_key("empty"));
}

#[test]
fn indexed_scalars_become_annotations_and_non_scalars_are_dropped() {
    let d = one_both_cfg(
        &indexed(&["order.id", "order.total", "order.paid", "order.count", "order.items"]),
        sub()
            .attr("order.id", "o-1")
            .attr("order.total", 12.5)
            .attr("order.paid", true)
            .attr("order.count", 3)
            .attr("order.items", arr(["x"]))
            .attr("other", "meta"),
    );
    let a = annotations(&d);
    assert_eq!(a["order.id"], "o-1");
    assert_eq!(a["order.total"], 12.5);
    assert_eq!(a["order.paid"], true);
    assert_eq!(a["order.count"], 3);
    assert!(a["order.count"].is_i64());
    assert!(!a.contains_key("order.items"));
    let m = meta_default(&d);
    assert!(!m.contains_key("order.items"), "a non-scalar in the set is dropped");
    assert!(!m.contains_key("order.id"));
    assert_eq!(m["other"], "meta");
}

fn one_both_cfg(config: &TranslatorConfig, s: SpanDesc) -> Json {
    run_both(config, &no_res(), &[s]).one().clone()
}

#[test]
fn index_all_makes_every_scalar_an_annotation_and_drops_non_scalars() {
    let r = res(vec![kv("service.name", "svc"), kv("tags", arr(["t"]))]);
    let d = run_both(
        &index_all(),
        &r,
        &[span("op")
            .attr("a", "x")
            .attr("n", 1)
            .attr("list", arr(["y"]))
            .attr("aws.xray.metadata.custom", r#"{"k":1}"#)],
    )
    .one()
    .clone();
    let a = annotations(&d);
    assert_eq!(a["a"], "x");
    assert_eq!(a["n"], 1);
    // aws.xray.metadata.* gets no special treatment: a string annotation.
    assert_eq!(a["aws.xray.metadata.custom"], r#"{"k":1}"#);
    // Scalar resource attributes too, on segments.
    assert_eq!(a["otel.resource.service.name"], "svc");
    let m = meta_default(&d);
    assert!(!m.contains_key("list"), "non-scalar span attributes are dropped: {m:?}");
    assert!(absent(&d["metadata"]["custom"]));
    // Non-scalar resource attributes stay metadata.
    assert_eq!(m["otel.resource.tags"], json!(["t"]));
}

#[test]
fn index_all_ignores_the_indexed_list_but_not_aws_xray_annotations() {
    let config = TranslatorConfig {
        index_all_attributes: true,
        indexed_attributes: vec!["list".into()],
        ..cfg()
    };
    let d = one_cfg(
        &config,
        &no_res(),
        sub().attr("list", arr(["y"])).attr("aws.xray.annotations", arr(["x"])),
    );
    assert!(!appears_anywhere(&d, "list"));
    // aws.xray.annotations is consumed (list form).
    assert!(!appears_anywhere(&d, "aws.xray.annotations"));
}

// ------------------------------------------------------------------------------------------------
// 3. aws.xray.annotations
// ------------------------------------------------------------------------------------------------

#[test]
fn aws_xray_annotations_list_joins_the_set() {
    let d = one_both(
        &no_res(),
        sub()
            .attr("tenant", "acme")
            .attr("region.code", "eu")
            .attr("plain", "meta")
            .attr("aws.xray.annotations", arr(["tenant", "region.code", "missing"])),
    );
    let a = annotations(&d);
    assert_eq!(a["tenant"], "acme");
    assert_eq!(a["region.code"], "eu");
    assert_eq!(a.len(), 2);
    assert!(!appears_anywhere(&d, "aws.xray.annotations"));
    assert_eq!(meta_default(&d)["plain"], "meta");
}

#[test]
fn aws_xray_annotations_ignores_non_string_elements() {
    let d = one(
        &no_res(),
        sub()
            .attr("7", "seven")
            .attr("aws.xray.annotations", V::Arr(vec![V::from(7), V::from("7")])),
    );
    assert_eq!(annotations(&d)["7"], "seven");
    let d = one(
        &no_res(),
        sub()
            .attr("7", "seven")
            .attr("aws.xray.annotations", V::Arr(vec![V::from(7)])),
    );
    assert_absent(&d, &["annotations"]);
    assert_eq!(meta_default(&d)["7"], "seven");
}

#[test]
fn aws_xray_annotations_can_index_resource_attributes() {
    let d = one(
        &res(vec![kv("team", "core")]),
        span("op").attr("aws.xray.annotations", arr(["otel.resource.team"])),
    );
    assert_eq!(annotations(&d)["otel.resource.team"], "core");
}

#[test]
fn non_list_aws_xray_annotations_is_ordinary() {
    let d = one_both(
        &no_res(),
        sub().attr("tenant", "acme").attr("aws.xray.annotations", "tenant"),
    );
    assert_absent(&d, &["annotations"]);
    let m = meta_default(&d);
    assert_eq!(m["aws.xray.annotations"], "tenant");
    assert_eq!(m["tenant"], "acme");
}

// ------------------------------------------------------------------------------------------------
// 5. aws.xray.metadata.*
// ------------------------------------------------------------------------------------------------

#[test]
fn aws_xray_metadata_json_object_becomes_a_namespace() {
    let d = one_both(
        &no_res(),
        sub().attr(
            "aws.xray.metadata.orders",
            r#"{"count": 3, "items": ["a", "b"], "nested": {"x": null}}"#,
        ),
    );
    assert_eq!(
        d["metadata"]["orders"],
        json!({"count": 3, "items": ["a", "b"], "nested": {"x": null}})
    );
    assert!(!meta_default(&d).contains_key("aws.xray.metadata.orders"));
}

#[test]
fn aws_xray_metadata_default_is_merged_case_insensitively() {
    for ns in ["default", "DEFAULT", "Default"] {
        let d = one(
            &no_res(),
            sub()
                .attr("plain", 1)
                .attr(&format!("aws.xray.metadata.{ns}"), r#"{"merged": true}"#),
        );
        let m = meta_default(&d);
        assert_eq!(m["merged"], true, "{ns}");
        assert_eq!(m["plain"], 1, "{ns}");
        assert_eq!(d["metadata"].as_object().map(|o| o.len()), Some(1), "{ns}: {d:#}");
    }
}

#[test]
fn aws_xray_metadata_that_is_not_an_object_stays_a_raw_string() {
    for text in ["not json", "[1,2]", "42", "\"str\"", "{broken"] {
        let d = one(&no_res(), sub().attr("aws.xray.metadata.ns", text));
        assert_eq!(meta_default(&d)["aws.xray.metadata.ns"], text, "{text}");
        assert!(absent(&d["metadata"]["ns"]));
    }
}

#[test]
fn aws_xray_metadata_null_gives_a_null_namespace() {
    let d = one(&no_res(), sub().attr("aws.xray.metadata.ns", "null"));
    // A null namespace counts as absent; the attribute does not go to default.
    assert!(absent(&d["metadata"]["ns"]));
    assert!(!meta_default(&d).contains_key("aws.xray.metadata.ns"));
}

#[test]
fn aws_xray_metadata_non_string_is_ordinary() {
    let d = one_both(&no_res(), sub().attr("aws.xray.metadata.ns", 5));
    assert_eq!(meta_default(&d)["aws.xray.metadata.ns"], 5);
}

#[test]
fn indexed_aws_xray_metadata_key_is_an_annotation() {
    let d = one_cfg(
        &indexed(&["aws.xray.metadata.ns"]),
        &no_res(),
        sub().attr("aws.xray.metadata.ns", r#"{"a":1}"#),
    );
    assert_eq!(annotations(&d)["aws.xray.metadata.ns"], r#"{"a":1}"#);
    assert!(absent(&d["metadata"]["ns"]));
}

// ------------------------------------------------------------------------------------------------
// 7. annotation keys
// ------------------------------------------------------------------------------------------------

#[test]
fn annotation_key_sanitising() {
    let keys = [
        "http.route",
        "my-key",
        "caf\u{e9} key",
        "emoji\u{1F600}",
        "UPPER_lower09",
        "a/b:c",
    ];
    let d = one_cfg(&indexed(&keys), &no_res(), sub().attrs(keys.iter().map(|k| kv(k, 1))));
    let a = annotations(&d);
    let mut got: Vec<&String> = a.keys().collect();
    got.sort();
    let mut expected = vec!["http.route", "my_key", "caf__key", "emoji_", "UPPER_lower09", "a_b_c"];
    expected.sort();
    assert_eq!(got, expected);
    // Without dots.
    let d = one_cfg(
        &no_dots(indexed(&keys)),
        &no_res(),
        sub().attrs(keys.iter().map(|k| kv(k, 1))),
    );
    let a = annotations(&d);
    assert!(a.contains_key("http_route"), "{a:?}");
    assert!(!a.contains_key("http.route"));
}

#[test]
fn annotation_keys_and_values_have_no_length_limit() {
    let key = "k".repeat(600);
    let value = "v".repeat(2000);
    let d = one_cfg(&indexed(&[&key]), &no_res(), sub().attr(&key, value.as_str()));
    assert_eq!(annotations(&d)[&key], value.as_str());
}

#[test]
fn colliding_span_keys_later_attribute_wins() {
    for (first, second) in [("a-b", "a_b"), ("a_b", "a-b")] {
        let d = one_both_cfg(
            &indexed(&["a-b", "a_b"]),
            sub().attr(first, "first").attr(second, "second"),
        );
        assert_eq!(annotations(&d)["a_b"], "second", "{first} then {second}");
        assert_eq!(annotations(&d).len(), 1);
    }
}

#[test]
fn colliding_resource_and_span_keys_span_wins() {
    let r = res(vec![kv("team", "from-resource")]);
    let d = one_cfg(&index_all(), &r, span("op").attr("otel.resource.team", "from-span"));
    assert_eq!(annotations(&d)["otel.resource.team"], "from-span");
    // Also after sanitising: `otel_resource_team` without dots.
    let d = one_cfg(
        &no_dots(index_all()),
        &r,
        span("op").attr("otel-resource-team", "from-span"),
    );
    assert_eq!(annotations(&d)["otel_resource_team"], "from-span");
    assert_eq!(annotations(&d).len(), 1);
}

#[test]
fn indexed_application_signals_attribute() {
    let d = one_cfg(
        &indexed(&["aws.remote.service"]),
        &no_res(),
        sub().attr("aws.remote.service", "payments"),
    );
    assert_eq!(annotations(&d)["aws.remote.service"], "payments");
    let d = one_cfg(
        &no_dots(indexed(&["aws.remote.service"])),
        &no_res(),
        sub().attr("aws.remote.service", "payments"),
    );
    assert_eq!(annotations(&d)["aws_remote_service"], "payments");
}

// ------------------------------------------------------------------------------------------------
// Differs (c): span events in metadata
// ------------------------------------------------------------------------------------------------

#[test]
fn events_are_written_in_order_with_name_timestamp_and_attributes() {
    let d = one_both(
        &no_res(),
        sub()
            .event(
                "cache miss",
                START_NS + 1_000,
                vec![kv("key", "user:1"), kv("tries", 2)],
            )
            .event("retry", START_NS + 2_000, vec![]),
    );
    assert_eq!(
        meta_default(&d)["otel.events"],
        json!([
            {"name": "cache miss", "timestamp": (START_NS + 1_000) as f64 / 1e9, "attributes": {"key": "user:1", "tries": 2}},
            {"name": "retry", "timestamp": (START_NS + 2_000) as f64 / 1e9}
        ])
    );
}

#[test]
fn event_attributes_use_the_raw_value_encoding() {
    let d = one(
        &no_res(),
        sub().event(
            "e",
            START_NS,
            vec![
                kv("bytes", V::Bytes(vec![1, 2, 3])),
                kv("map", map([("a", V::from(1))])),
                kv("empty", V::Empty),
            ],
        ),
    );
    assert_eq!(
        meta_default(&d)["otel.events"][0]["attributes"],
        json!({"bytes": "AQID", "map": {"a": 1}})
    );
}

#[test]
fn events_are_written_even_after_the_early_exit() {
    let d = one_both(&no_res(), sub().event("ping", START_NS, vec![]));
    assert_eq!(meta_default(&d)["otel.events"][0]["name"], "ping");
}

#[test]
fn exception_events_are_not_written() {
    let d = one_both(
        &no_res(),
        sub()
            .event("exception", START_NS, vec![kv("exception.type", "E")])
            .event("note", START_NS + 1, vec![]),
    );
    let events = &meta_default(&d)["otel.events"];
    assert_eq!(events.as_array().map(Vec::len), Some(1), "{events:#}");
    assert_eq!(events[0]["name"], "note");
}

#[test]
fn aws_sdk_http_request_failure_that_produced_an_exception_is_not_written() {
    let d = one_both(
        &no_res(),
        sub().attr("rpc.system", "aws-api").event(
            "HTTP request failure",
            START_NS,
            vec![kv("http.response.status_code", 500), kv("aws.http.error_message", "x")],
        ),
    );
    assert!(!meta_default(&d).contains_key("otel.events"));
}

#[test]
fn span_attribute_otel_events_takes_precedence() {
    let d = one_both(
        &no_res(),
        sub().attr("otel.events", "mine").event("e", START_NS, vec![]),
    );
    assert_eq!(meta_default(&d)["otel.events"], "mine");
}

#[test]
fn events_can_be_turned_off() {
    let config = TranslatorConfig {
        preserve_span_events: false,
        ..cfg()
    };
    let d = one_cfg(&config, &no_res(), sub().event("e", START_NS, vec![]).attr("x", 1));
    assert!(!meta_default(&d).contains_key("otel.events"));
    assert_eq!(meta_default(&d)["x"], 1);
}

#[test]
fn events_sit_next_to_other_default_metadata() {
    let d = one_both(
        &res(vec![kv("service.name", "svc")]),
        span("op")
            .attr("x", 1)
            .attr("aws.xray.metadata.default", r#"{"y": 2}"#)
            .event("e", START_NS, vec![]),
    );
    let m = meta_default(&d);
    assert_eq!(m["x"], 1);
    assert_eq!(m["y"], 2);
    assert_eq!(m["otel.resource.service.name"], "svc");
    assert_eq!(m["otel.events"][0]["name"], "e");
}

#[test]
fn merged_default_metadata_and_events_give_no_duplicate_keys() {
    // `aws.xray.metadata.default` merges an `otel.events` entry into metadata.default; it is not
    // the literal span attribute `otel.events`, so the events are appended as well. The document
    // must still be a map: one `otel.events` key, not two.
    let out = run_otlp(
        &cfg(),
        &no_res(),
        &[sub()
            .attr("aws.xray.metadata.default", r#"{"otel.events": "mine"}"#)
            .event("e", START_NS, vec![])],
    );
    let raw = &out.raw[0];
    assert_eq!(duplicate_key(raw), None, "{}", String::from_utf8_lossy(raw));
}

#[test]
fn xray_sdk_style_keys_are_ordinary_metadata() {
    // §15: no special handling.
    let d = one_both(
        &no_res(),
        sub()
            .attr("aws.xray.inprogress", true)
            .attr("aws.xray.traced", true)
            .attr("aws.xray.retries", 3)
            .attr("aws.xray.resource_arn", "arn:aws:x")
            .attr("aws.xray.x_forwarded_for", true)
            .attr("aws.xray.inferred", true),
    );
    let m = meta_default(&d);
    assert_eq!(m["aws.xray.inprogress"], true);
    assert_eq!(m["aws.xray.traced"], true);
    assert_eq!(m["aws.xray.retries"], 3);
    assert_eq!(m["aws.xray.resource_arn"], "arn:aws:x");
    assert_eq!(m["aws.xray.x_forwarded_for"], true);
    assert_eq!(m["aws.xray.inferred"], true);
    assert_never_written(&d);
    assert!(d.get("in_progress").is_none() && d.get("resource_arn").is_none());
}
