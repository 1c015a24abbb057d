//! §12: the `sql` block, SQL systems, v0/v1 database keys.

mod common;

use common::*;
use otel_xray_translate::{ConventionReading, TranslatorConfig};

fn with_db(read_v0: bool, read_v1: bool) -> TranslatorConfig {
    TranslatorConfig {
        db_conventions: ConventionReading { read_v0, read_v1 },
        ..cfg()
    }
}

fn mysql_span() -> SpanDesc {
    span("SELECT customers")
        .client()
        .child()
        .attr("db.system", "mysql")
        .attr("db.name", "customers")
        .attr("db.statement", "SELECT * FROM customers WHERE id = ?")
        .attr("db.user", "readonly")
        .attr("db.connection_string", "jdbc:mysql://db.dev.example.com:3306")
}

#[test]
fn full_sql_block() {
    let d = one_both(&no_res(), mysql_span());
    assert_eq!(
        normalize(&d["sql"]),
        json!({
            "url": "SELECT customers",
            "connection_string": "jdbc:mysql://db.dev.example.com:3306/customers",
            "database_type": "mysql",
            "user": "readonly",
            "sanitized_query": "SELECT * FROM customers WHERE id = ?"
        })
    );
    assert_eq!(d["name"], "customers@db.dev.example.com");
    for k in [
        "db.system",
        "db.name",
        "db.statement",
        "db.user",
        "db.connection_string",
    ] {
        assert!(!appears_anywhere(&d, k), "{k}");
    }
}

#[test]
fn every_sql_system() {
    for system in [
        "db2",
        "mssql",
        "oracle",
        "derby",
        "hive",
        "mariadb",
        "mysql",
        "other_sql",
        "postgresql",
        "sqlite",
        "teradata",
    ] {
        let d = one_both(&no_res(), span("q").attr("db.system", system).attr("db.name", "x"));
        assert_eq!(d["sql"]["database_type"], system, "{system}");
        assert_eq!(d["sql"]["connection_string"], "localhost/x", "{system}");
    }
}

#[test]
fn v1_only_systems_need_v1_reading() {
    for system in ["ibm.db2", "microsoft.sql_server", "oracle.db"] {
        let s = span("q").attr("db.system", system).attr("db.name", "x");
        let d = one(&no_res(), s.clone());
        assert_absent(&d, &["sql"]);
        assert_eq!(meta_default(&d)["db.system"], system);
        let d = one_cfg(&with_db(true, true), &no_res(), s);
        assert_eq!(d["sql"]["database_type"], system, "{system}");
    }
}

#[test]
fn non_sql_systems_consume_nothing() {
    for system in ["redis", "mongodb", "cassandra", "MySQL"] {
        let d = one_both(
            &no_res(),
            span("q")
                .attr("db.system", system)
                .attr("db.statement", "GET k")
                .attr("db.user", "u")
                .attr("db.connection_string", "redis://cache:6379"),
        );
        assert_absent(&d, &["sql"]);
        let m = meta_default(&d);
        assert_eq!(m["db.system"], system);
        assert_eq!(m["db.statement"], "GET k");
        assert_eq!(m["db.user"], "u");
        assert_eq!(m["db.connection_string"], "redis://cache:6379");
    }
}

#[test]
fn no_system_no_sql() {
    let d = one_both(
        &no_res(),
        span("q").attr("db.statement", "SELECT 1").attr("db.name", "x"),
    );
    assert_absent(&d, &["sql"]);
    assert_eq!(meta_default(&d)["db.statement"], "SELECT 1");
    assert_eq!(meta_default(&d)["db.name"], "x");
}

#[test]
fn connection_string_defaults_to_localhost() {
    let d = one_both(
        &no_res(),
        span("q").attr("db.system", "postgresql").attr("db.name", "shop"),
    );
    assert_eq!(d["sql"]["connection_string"], "localhost/shop");
    let d = one_both(
        &no_res(),
        span("q")
            .attr("db.system", "postgresql")
            .attr("db.name", "shop")
            .attr("db.connection_string", ""),
    );
    assert_eq!(d["sql"]["connection_string"], "localhost/shop");
    // No database name: a trailing slash.
    let d = one_both(
        &no_res(),
        span("q")
            .attr("db.system", "postgresql")
            .attr("db.connection_string", "postgresql://pg:5432"),
    );
    assert_eq!(d["sql"]["connection_string"], "postgresql://pg:5432/");
}

#[test]
fn optional_fields_are_absent_when_missing() {
    let d = one_both(&no_res(), span("q").attr("db.system", "sqlite"));
    assert_eq!(
        normalize(&d["sql"]),
        json!({"url": "q", "connection_string": "localhost/", "database_type": "sqlite"})
    );
}

#[test]
fn any_span_kind() {
    for kind in ALL_KINDS {
        let d = one(&no_res(), span("q").kind(kind).attr("db.system", "mysql"));
        assert_eq!(d["sql"]["database_type"], "mysql", "{kind:?}");
    }
}

#[test]
fn long_queries_are_not_truncated() {
    let q = format!("SELECT {} FROM t", "c, ".repeat(3000));
    let d = one_both(
        &no_res(),
        span("q").attr("db.system", "mysql").attr("db.statement", q.as_str()),
    );
    assert_eq!(d["sql"]["sanitized_query"], q.as_str());
    let url = "u".repeat(5000);
    let d = one_both(&no_res(), span(&url).attr("db.system", "mysql"));
    assert_eq!(d["sql"]["url"], url.as_str());
}

#[test]
fn v1_keys_are_ordinary_attributes_by_default() {
    let d = one_both(
        &no_res(),
        span("q")
            .attr("db.system", "mysql")
            .attr("db.namespace", "ns")
            .attr("db.query.text", "SELECT 2")
            .attr("user.name", "bob")
            .attr("db.system.name", "postgresql"),
    );
    assert_eq!(d["sql"]["database_type"], "mysql");
    assert_eq!(d["sql"]["connection_string"], "localhost/");
    assert!(absent(&d["sql"]["sanitized_query"]));
    let m = meta_default(&d);
    assert_eq!(m["db.namespace"], "ns");
    assert_eq!(m["db.query.text"], "SELECT 2");
    assert_eq!(m["user.name"], "bob");
    assert_eq!(m["db.system.name"], "postgresql");
}

#[test]
fn v1_keys_with_v1_reading() {
    let d = one_cfg(
        &with_db(true, true),
        &no_res(),
        span("q")
            .attr("db.system.name", "postgresql")
            .attr("db.namespace", "orders")
            .attr("db.query.text", "SELECT 3")
            .attr("user.name", "carol"),
    );
    assert_eq!(
        normalize(&d["sql"]),
        json!({
            "url": "q",
            "connection_string": "localhost/orders",
            "database_type": "postgresql",
            "user": "carol",
            "sanitized_query": "SELECT 3"
        })
    );
    for k in ["db.system.name", "db.namespace", "db.query.text", "user.name"] {
        assert!(!appears_anywhere(&d, k), "{k}");
    }
}

#[test]
fn v1_value_wins_when_both_are_read() {
    for v1_first in [true, false] {
        let v0 = vec![
            kv("db.system", "mysql"),
            kv("db.name", "old"),
            kv("db.statement", "SELECT old"),
            kv("db.user", "olduser"),
        ];
        let v1 = vec![
            kv("db.system.name", "postgresql"),
            kv("db.namespace", "new"),
            kv("db.query.text", "SELECT new"),
            kv("user.name", "newuser"),
        ];
        let attrs: Vec<_> = if v1_first {
            v1.into_iter().chain(v0).collect()
        } else {
            v0.into_iter().chain(v1).collect()
        };
        let d = one_cfg(&with_db(true, true), &no_res(), span("q").attrs(attrs));
        assert_eq!(d["sql"]["database_type"], "postgresql", "v1 first: {v1_first}");
        assert_eq!(d["sql"]["connection_string"], "localhost/new");
        assert_eq!(d["sql"]["sanitized_query"], "SELECT new");
        assert_eq!(d["sql"]["user"], "newuser");
    }
}

#[test]
fn v0_keys_are_ordinary_attributes_when_v0_reading_is_off() {
    let d = one_cfg(
        &with_db(false, true),
        &no_res(),
        span("q")
            .attr("db.system", "mysql")
            .attr("db.statement", "SELECT 1")
            .attr("db.user", "u"),
    );
    assert_absent(&d, &["sql"]);
    let m = meta_default(&d);
    assert_eq!(m["db.system"], "mysql");
    assert_eq!(m["db.statement"], "SELECT 1");
    let d = one_cfg(
        &with_db(false, true),
        &no_res(),
        span("q")
            .attr("db.system.name", "mysql")
            .attr("db.statement", "SELECT 1"),
    );
    assert_eq!(d["sql"]["database_type"], "mysql");
    assert!(absent(&d["sql"]["sanitized_query"]));
    assert_eq!(meta_default(&d)["db.statement"], "SELECT 1");
}

#[test]
fn url_is_the_raw_span_name() {
    let d = one_both(&no_res(), span("SELECT * FROM <t>, u").attr("db.system", "mysql"));
    assert_eq!(d["sql"]["url"], "SELECT * FROM <t>, u");
    // The document name is sanitised, the url is not.
    assert_eq!(d["name"], "SELECT  FROM t u");
}
