mod common;
use common::*;
#[test]
fn smoke() {
    let d = one_both(&res(vec![kv("service.name", "svc")]), span("hello").server().attr("http.method", "GET"));
    println!("{d:#}");
}
