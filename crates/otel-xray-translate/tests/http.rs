//! §7: the `http` block: which keys are read, URL building for server and client spans, ports,
//! IPv6 hosts, `x_forwarded_for`, `content_length` and the v0/v1 convention switches.

mod common;

use common::*;
use otel_xray_translate::{ConventionReading, TranslatorConfig};

fn http_of(s: SpanDesc) -> Json {
    one_both(&no_res(), s)["http"].clone()
}

fn url_of(s: SpanDesc) -> Json {
    http_of(s)["request"]["url"].clone()
}

fn with_http(read_v0: bool, read_v1: bool) -> TranslatorConfig {
    TranslatorConfig {
        http_conventions: ConventionReading { read_v0, read_v1 },
        ..cfg()
    }
}

// ------------------------------------------------------------------------------------------------
// Presence
// ------------------------------------------------------------------------------------------------

#[test]
fn no_http_key_no_http_block() {
    let d = one_both(&no_res(), span("op").attr("x", 1));
    assert_absent(&d, &["http"]);
}

#[test]
fn each_has_http_key_creates_the_block_with_both_objects() {
    for (k, v) in [
        kv("http.method", "GET"),
        kv("http.request.method", "GET"),
        kv("http.client_ip", "192.0.2.1"),
        kv("http.user_agent", "ua"),
        kv("user_agent.original", "ua"),
        kv("http.status_code", 200),
        kv("http.response.status_code", 200),
        kv("http.url", "http://a/"),
        kv("url.full", "http://a/"),
        kv("http.scheme", "https"),
        kv("url.scheme", "https"),
        kv("http.host", "a"),
        kv("http.target", "/t"),
        kv("http.server_name", "a"),
        kv("net.host.port", 80),
        kv("url.path", "/p"),
        kv("url.query", "q"),
    ] {
        let d = one(&no_res(), span("op").attr(&k, v));
        // Both objects exist and content_length is always written (raw document, not normalised).
        assert!(d["http"]["request"].is_object(), "{k}: {d:#}");
        assert!(d["http"]["response"].is_object(), "{k}: {d:#}");
        assert_eq!(d["http"]["response"]["content_length"], 0, "{k}");
    }
}

#[test]
fn url_only_keys_do_not_create_the_block() {
    for (k, v) in [
        kv("host.name", "h"),
        kv("net.host.name", "h"),
        kv("net.peer.name", "p"),
        kv("net.peer.port", 80),
        kv("net.peer.ip", "192.0.2.1"),
        kv("network.peer.address", "192.0.2.1"),
        kv("client.address", "192.0.2.1"),
        kv("server.address", "s"),
        kv("server.port", 443),
    ] {
        let d = one(&no_res(), span("op").server().attr(&k, v));
        assert_absent(&d, &["http"]);
    }
}

#[test]
fn fields_from_attributes() {
    let h = http_of(
        span("GET /")
            .server()
            .attr("http.method", "GET")
            .attr("http.user_agent", "Mozilla/5.0")
            .attr("http.status_code", 404)
            .attr("http.url", "https://example.com/x?y=1"),
    );
    assert_eq!(h["request"]["method"], "GET");
    assert_eq!(h["request"]["user_agent"], "Mozilla/5.0");
    assert_eq!(h["request"]["url"], "https://example.com/x?y=1");
    assert_eq!(h["response"]["status"], 404);
    assert_eq!(h["response"]["content_length"], 0);
}

#[test]
fn v1_keys_are_read_by_default() {
    let h = http_of(
        span("GET /")
            .client()
            .attr("http.request.method", "PATCH")
            .attr("user_agent.original", "okhttp")
            .attr("http.response.status_code", 204)
            .attr("url.full", "https://api.example.com/items/7"),
    );
    assert_eq!(h["request"]["method"], "PATCH");
    assert_eq!(h["request"]["user_agent"], "okhttp");
    assert_eq!(h["response"]["status"], 204);
    assert_eq!(h["request"]["url"], "https://api.example.com/items/7");
}

#[test]
fn later_key_wins_for_the_same_field() {
    let h = http_of(
        span("op")
            .attr("http.method", "GET")
            .attr("http.request.method", "POST"),
    );
    assert_eq!(h["request"]["method"], "POST");
    let h = http_of(
        span("op")
            .attr("http.request.method", "POST")
            .attr("http.method", "GET"),
    );
    assert_eq!(h["request"]["method"], "GET");
}

#[test]
fn string_status_code_reads_as_zero() {
    let h = http_of(span("op").attr("http.status_code", "200"));
    assert_eq!(h["response"]["status"], 0);
}

#[test]
fn only_span_attributes_are_read() {
    let d = one_both(
        &res(vec![kv("http.method", "GET"), kv("url.full", "http://x/")]),
        span("op").server(),
    );
    assert_absent(&d, &["http"]);
}

// ------------------------------------------------------------------------------------------------
// Server URLs
// ------------------------------------------------------------------------------------------------

#[test]
fn server_full_url_wins() {
    let u = url_of(
        span("GET /")
            .server()
            .attr("http.url", "https://full.example.com/a")
            .attr("http.host", "other")
            .attr("http.target", "/b"),
    );
    assert_eq!(u, "https://full.example.com/a");
}

#[test]
fn server_url_from_parts() {
    let u = url_of(
        span("GET /")
            .server()
            .attr("http.scheme", "https")
            .attr("http.server_name", "srv.example.com")
            .attr("net.host.port", 8443)
            .attr("http.target", "/users?id=1"),
    );
    assert_eq!(u, "https://srv.example.com:8443/users?id=1");
}

#[test]
fn server_url_default_scheme_is_http() {
    let u = url_of(
        span("GET /")
            .server()
            .attr("http.method", "GET")
            .attr("net.host.name", "h.local"),
    );
    assert_eq!(u, "http://h.local/");
}

#[test]
fn server_host_order() {
    let all = [
        ("http.host", "a-http-host"),
        ("http.server_name", "b-server-name"),
        ("net.host.name", "c-net-host-name"),
        ("host.name", "d-host-name"),
        ("server.address", "e-server-address"),
    ];
    for skip in 0..all.len() {
        let s = span("GET /")
            .server()
            .attr("http.method", "GET")
            .attrs(all[skip..].iter().map(|(k, v)| kv(k, *v)));
        let expected = format!("http://{}/", all[skip].1);
        assert_eq!(url_of(s), expected.as_str(), "hosts from index {skip}");
    }
}

#[test]
fn server_port_only_when_host_not_from_http_host() {
    let u = url_of(
        span("GET /")
            .server()
            .attr("http.host", "api.example.com:8080")
            .attr("net.host.port", 9090)
            .attr("http.target", "/x"),
    );
    assert_eq!(u, "http://api.example.com:8080/x");
    let u = url_of(
        span("GET /")
            .server()
            .attr("http.server_name", "api.example.com")
            .attr("net.host.port", "9090")
            .attr("http.target", "/x"),
    );
    assert_eq!(u, "http://api.example.com:9090/x");
}

#[test]
fn server_port_falls_back_to_server_port() {
    let u = url_of(
        span("GET /")
            .server()
            .attr("url.scheme", "https")
            .attr("server.address", "shop.example.com")
            .attr("server.port", 8443)
            .attr("url.path", "/cart"),
    );
    assert_eq!(u, "https://shop.example.com:8443/cart");
    // net.host.port wins over server.port.
    let u = url_of(
        span("GET /")
            .server()
            .attr("http.method", "GET")
            .attr("server.address", "shop.example.com")
            .attr("server.port", 8443)
            .attr("net.host.port", 8080),
    );
    assert_eq!(u, "http://shop.example.com:8080/");
}

#[test]
fn default_ports_are_left_out() {
    for (scheme, port, expected) in [
        ("http", V::from(80), "http://h/"),
        ("https", V::from(443), "https://h/"),
        ("http", V::from("80"), "http://h/"),
        ("https", V::from(80), "https://h:80/"),
        ("http", V::from(443), "http://h:443/"),
        ("http", V::from(""), "http://h/"),
        ("http", V::from(8080), "http://h:8080/"),
    ] {
        let u = url_of(
            span("GET /")
                .server()
                .attr("http.scheme", scheme)
                .attr("http.server_name", "h")
                .attr("net.host.port", port.clone()),
        );
        assert_eq!(u, expected, "{scheme} {port:?}");
    }
}

#[test]
fn path_from_url_path_and_query() {
    for (path, query, expected) in [
        (Some("/search"), Some("q=rust"), "http://h/search?q=rust"),
        (Some("/search"), Some("?q=rust"), "http://h/search?q=rust"),
        (None, Some("q=rust"), "http://h/?q=rust"),
        (Some("/only"), None, "http://h/only"),
    ] {
        let mut s = span("GET").server().attr("server.address", "h");
        if let Some(p) = path {
            s = s.attr("url.path", p);
        }
        if let Some(q) = query {
            s = s.attr("url.query", q);
        }
        assert_eq!(url_of(s), expected, "{path:?} {query:?}");
    }
    // http.target wins over url.path and url.query.
    let u = url_of(
        span("GET")
            .server()
            .attr("server.address", "h")
            .attr("http.target", "/t?a=b")
            .attr("url.path", "/p")
            .attr("url.query", "c=d"),
    );
    assert_eq!(u, "http://h/t?a=b");
}

#[test]
fn no_url_without_url_attributes() {
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("http.target", "/x")
            .attr("net.host.port", 8080),
    );
    assert!(absent(&h["request"]["url"]), "{h:#}");
    assert_eq!(h["request"]["method"], "GET");
}

// ------------------------------------------------------------------------------------------------
// Client URLs
// ------------------------------------------------------------------------------------------------

#[test]
fn client_url_from_peer_name_and_port() {
    let u = url_of(
        span("GET")
            .client()
            .attr("http.method", "GET")
            .attr("net.peer.name", "backend.local")
            .attr("net.peer.port", 8080)
            .attr("http.target", "/health"),
    );
    assert_eq!(u, "http://backend.local:8080/health");
}

#[test]
fn client_host_order() {
    let u = url_of(
        span("GET")
            .client()
            .attr("http.method", "GET")
            .attr("server.address", "sa")
            .attr("net.peer.ip", "10.0.0.1")
            .attr("net.peer.name", "pn"),
    );
    assert_eq!(u, "http://pn/");
    let u = url_of(
        span("GET")
            .client()
            .attr("http.method", "GET")
            .attr("server.address", "sa")
            .attr("net.peer.ip", "10.0.0.1"),
    );
    assert_eq!(u, "http://10.0.0.1/");
    let u = url_of(
        span("GET")
            .client()
            .attr("http.method", "GET")
            .attr("server.address", "sa"),
    );
    assert_eq!(u, "http://sa/");
    // Server-side host keys are not client hosts.
    let u = url_of(
        span("GET")
            .client()
            .attr("http.method", "GET")
            .attr("http.server_name", "server-name")
            .attr("server.address", "sa"),
    );
    assert_eq!(u, "http://sa/");
}

#[test]
fn client_url_never_uses_server_port() {
    let u = url_of(
        span("GET")
            .client()
            .attr("http.request.method", "GET")
            .attr("server.address", "api.example.com")
            .attr("server.port", 8443)
            .attr("url.path", "/v1"),
    );
    assert_eq!(u, "http://api.example.com/v1");
}

#[test]
fn client_port_from_network_peer_port_only_with_v1() {
    let s = span("GET")
        .client()
        .attr("http.method", "GET")
        .attr("net.peer.name", "db")
        .attr("network.peer.port", 5000);
    let d = one(&no_res(), s.clone());
    assert_eq!(d["http"]["request"]["url"], "http://db/");
    assert_eq!(meta_default(&d)["network.peer.port"], 5000);
    let d = one_cfg(&with_http(true, true), &no_res(), s);
    assert_eq!(d["http"]["request"]["url"], "http://db:5000/");
    assert!(!appears_anywhere(&d, "network.peer.port"));
    // net.peer.port wins.
    let d = one_cfg(
        &with_http(true, true),
        &no_res(),
        span("GET")
            .client()
            .attr("http.method", "GET")
            .attr("net.peer.name", "db")
            .attr("network.peer.port", 5000)
            .attr("net.peer.port", 6000),
    );
    assert_eq!(d["http"]["request"]["url"], "http://db:6000/");
}

#[test]
fn client_port_only_when_host_not_from_http_host() {
    let u = url_of(
        span("GET")
            .client()
            .attr("http.host", "api.example.com")
            .attr("net.peer.port", 8080)
            .attr("http.target", "/x"),
    );
    assert_eq!(u, "http://api.example.com/x");
}

#[test]
fn ipv6_hosts_are_not_bracketed() {
    let u = url_of(
        span("GET")
            .client()
            .attr("http.scheme", "https")
            .attr("net.peer.ip", "2001:db8:85a3::8a2e:370:7334")
            .attr("http.target", "/users/junit"),
    );
    assert_eq!(u, "https://2001:db8:85a3::8a2e:370:7334/users/junit");
    let u = url_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("server.address", "::1")
            .attr("server.port", 8080),
    );
    assert_eq!(u, "http://::1:8080/");
}

#[test]
fn client_full_url_wins() {
    let u = url_of(
        span("GET")
            .client()
            .attr("net.peer.name", "x")
            .attr("url.full", "https://api.example.com/a?b=c"),
    );
    assert_eq!(u, "https://api.example.com/a?b=c");
}

// ------------------------------------------------------------------------------------------------
// client_ip and x_forwarded_for
// ------------------------------------------------------------------------------------------------

#[test]
fn forwarded_client_ip_sets_x_forwarded_for() {
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("http.client_ip", "203.0.113.9"),
    );
    assert_eq!(h["request"]["client_ip"], "203.0.113.9");
    assert_eq!(h["request"]["x_forwarded_for"], true);
}

#[test]
fn peer_ip_alone_is_not_forwarded() {
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("net.peer.ip", "198.51.100.1"),
    );
    assert_eq!(h["request"]["client_ip"], "198.51.100.1");
    // Never written as false.
    assert!(h["request"].get("x_forwarded_for").is_none_or(Json::is_null), "{h:#}");
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("network.peer.address", "198.51.100.2"),
    );
    assert_eq!(h["request"]["client_ip"], "198.51.100.2");
    assert!(h["request"].get("x_forwarded_for").is_none_or(Json::is_null), "{h:#}");
}

#[test]
fn forwarded_ip_wins_over_peer_in_any_order() {
    for order in [0, 1] {
        let mut s = span("GET").server().attr("http.method", "GET");
        let pair = [kv("http.client_ip", "203.0.113.9"), kv("net.peer.ip", "10.0.0.1")];
        if order == 0 {
            s = s.attrs(pair.to_vec());
        } else {
            s = s.attrs(pair.iter().rev().cloned());
        }
        let h = http_of(s);
        assert_eq!(h["request"]["client_ip"], "203.0.113.9", "order {order}");
        // A peer address was seen: not forwarded.
        assert!(h["request"].get("x_forwarded_for").is_none_or(Json::is_null), "{h:#}");
    }
}

#[test]
fn client_address_ip_overwrites_and_non_ip_is_dropped() {
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("net.peer.ip", "10.0.0.1")
            .attr("client.address", "203.0.113.5"),
    );
    assert_eq!(h["request"]["client_ip"], "203.0.113.5");
    let d = one_both(
        &no_res(),
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("client.address", "client.example.com"),
    );
    assert!(absent(&d["http"]["request"]["client_ip"]));
    assert!(!appears_anywhere(&d, "client.address"));
}

#[test]
fn between_client_ip_and_client_address_the_later_wins() {
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("http.client_ip", "203.0.113.1")
            .attr("client.address", "203.0.113.2"),
    );
    assert_eq!(h["request"]["client_ip"], "203.0.113.2");
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("client.address", "203.0.113.2")
            .attr("http.client_ip", "203.0.113.1"),
    );
    assert_eq!(h["request"]["client_ip"], "203.0.113.1");
    assert_eq!(h["request"]["x_forwarded_for"], true);
}

#[test]
fn network_peer_address_fills_only_an_empty_slot() {
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("http.client_ip", "203.0.113.1")
            .attr("network.peer.address", "10.1.1.1"),
    );
    assert_eq!(h["request"]["client_ip"], "203.0.113.1");
    assert!(h["request"].get("x_forwarded_for").is_none_or(Json::is_null));
    // A non-IP peer address is not "seen": the forwarded IP stays forwarded.
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("http.client_ip", "203.0.113.1")
            .attr("network.peer.address", "peer.local"),
    );
    assert_eq!(h["request"]["x_forwarded_for"], true);
    // An IPv6 peer address is an IP.
    let h = http_of(
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("network.peer.address", "2001:db8::1"),
    );
    assert_eq!(h["request"]["client_ip"], "2001:db8::1");
}

#[test]
fn client_address_alone_is_forwarded() {
    let h = http_of(
        span("GET")
            .server()
            .attr("http.request.method", "GET")
            .attr("client.address", "203.0.113.7"),
    );
    assert_eq!(h["request"]["client_ip"], "203.0.113.7");
    assert_eq!(h["request"]["x_forwarded_for"], true);
}

// ------------------------------------------------------------------------------------------------
// content_length
// ------------------------------------------------------------------------------------------------

#[test]
fn content_length_from_received_span_attributes() {
    let h = http_of(
        span("GET")
            .client()
            .attr("http.method", "GET")
            .attr("message.type", "RECEIVED")
            .attr("messaging.message_payload_size_bytes", 1234),
    );
    assert_eq!(h["response"]["content_length"], 1234);
}

#[test]
fn content_length_from_received_events() {
    let d = one_both(
        &no_res(),
        span("rpc")
            .client()
            .attr("http.method", "POST")
            .event(
                "message",
                START_NS + 1,
                vec![
                    kv("message.type", "SENT"),
                    kv("messaging.message_payload_size_bytes", 10),
                ],
            )
            .event(
                "message",
                START_NS + 2,
                vec![
                    kv("message.type", "RECEIVED"),
                    kv("messaging.message_payload_size_bytes", 861),
                ],
            )
            .event(
                "message",
                START_NS + 3,
                vec![
                    kv("message.type", "RECEIVED"),
                    kv("messaging.message_payload_size_bytes", 99),
                ],
            ),
    );
    assert_eq!(d["http"]["response"]["content_length"], 861);
}

#[test]
fn content_length_span_attributes_come_before_events() {
    let h = http_of(
        span("rpc")
            .client()
            .attr("http.method", "POST")
            .attr("message.type", "RECEIVED")
            .attr("messaging.message_payload_size_bytes", 5)
            .event(
                "message",
                START_NS + 2,
                vec![
                    kv("message.type", "RECEIVED"),
                    kv("messaging.message_payload_size_bytes", 7),
                ],
            ),
    );
    assert_eq!(h["response"]["content_length"], 5);
}

#[test]
fn content_length_needs_received() {
    let h = http_of(span("rpc").client().attr("http.method", "POST").event(
        "message",
        START_NS,
        vec![kv("messaging.message_payload_size_bytes", 7)],
    ));
    assert_eq!(h["response"]["content_length"], 0);
}

#[test]
fn content_length_body_size_only_with_v1() {
    let s = span("rpc").client().attr("http.method", "POST").event(
        "message",
        START_NS,
        vec![kv("message.type", "RECEIVED"), kv("messaging.message.body.size", 321)],
    );
    assert_eq!(one(&no_res(), s.clone())["http"]["response"]["content_length"], 0);
    assert_eq!(
        one_cfg(&with_http(true, true), &no_res(), s)["http"]["response"]["content_length"],
        321
    );
}

#[test]
fn size_keys_are_not_consumed() {
    let d = one_both(
        &no_res(),
        span("GET")
            .client()
            .attr("http.method", "GET")
            .attr("message.type", "RECEIVED")
            .attr("messaging.message_payload_size_bytes", 12),
    );
    let m = meta_default(&d);
    assert_eq!(m["message.type"], "RECEIVED");
    assert_eq!(m["messaging.message_payload_size_bytes"], 12);
}

// ------------------------------------------------------------------------------------------------
// v0 / v1 switches
// ------------------------------------------------------------------------------------------------

#[test]
fn v0_keys_are_ordinary_attributes_when_v0_reading_is_off() {
    let config = with_http(false, false);
    let d = one_cfg(
        &config,
        &no_res(),
        span("GET")
            .server()
            .attr("http.method", "GET")
            .attr("http.status_code", 500)
            .attr("http.url", "http://x/")
            .attr("net.peer.ip", "10.0.0.1"),
    );
    assert_absent(&d, &["http"]);
    let m = meta_default(&d);
    assert_eq!(m["http.method"], "GET");
    assert_eq!(m["http.url"], "http://x/");
    assert_eq!(m["net.peer.ip"], "10.0.0.1");
    // v1 keys still work.
    let d = one_cfg(
        &config,
        &no_res(),
        span("GET")
            .server()
            .attr("http.request.method", "GET")
            .attr("url.full", "http://y/")
            .attr("http.method", "PUT"),
    );
    assert_eq!(d["http"]["request"]["method"], "GET");
    assert_eq!(d["http"]["request"]["url"], "http://y/");
    assert_eq!(meta_default(&d)["http.method"], "PUT");
}

#[test]
fn sdk_form_gives_the_same_http_block() {
    let s = span("GET /users")
        .server()
        .child()
        .attr("http.method", "GET")
        .attr("http.scheme", "https")
        .attr("net.host.name", "users.example.com")
        .attr("net.host.port", 8443)
        .attr("http.target", "/users?page=2")
        .attr("http.client_ip", "203.0.113.44")
        .attr("http.status_code", 200);
    let d = one_both(&no_res(), s);
    assert_eq!(
        normalize(&d["http"]),
        json!({
            "request": {
                "method": "GET",
                "url": "https://users.example.com:8443/users?page=2",
                "client_ip": "203.0.113.44",
                "x_forwarded_for": true
            },
            "response": {"status": 200, "content_length": 0}
        })
    );
}
