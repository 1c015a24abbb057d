mod common;
use common::*;
#[test]
fn probe() {
    for c in [
        "mysql://D\u{e9}.Example.COM:3306",
        "http://DB.Example.com:80",
        "postgresql://DB.EXAMPLE.COM/x",
        "jdbc:mysql://db%41.example.com",
    ] {
        let d = one(
            &no_res(),
            span("q").attr("db.name", "orders").attr("db.connection_string", c),
        );
        println!("{c} -> {}", d["name"]);
    }
    let d = one(
        &res(vec![kv("service.version", ""), kv("container.image.tag", "t")]),
        span("op"),
    );
    println!("service: {}", d["service"]);
    let out = run_otlp(
        &cfg(),
        &no_res(),
        &[span("op")
            .attr("aws.xray.metadata.default", r#"{"otel.events":"mine"}"#)
            .event("e", START_NS, vec![])],
    );
    println!("{}", String::from_utf8_lossy(&out.raw[0]));
    let out = run_otlp(
        &cfg(),
        &no_res(),
        &[span("op")
            .event("e", START_NS, vec![kv("a", 1), kv("a", 2)])
            .link(TRACE, SPAN, vec![kv("b", 1), kv("b", 2)])
            .attr("c", 1)
            .attr("c", 2)],
    );
    println!("{}", String::from_utf8_lossy(&out.raw[0]));
}
