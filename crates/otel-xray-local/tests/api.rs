//! The X-Ray API of Local X-Ray over HTTP (unsigned requests, as the web viewer sends them):
//! PutTraceSegments validation, BatchGetTraces, GetTraceSummaries (facts, paging, filters, time
//! range types), GetServiceGraph, GetTraceGraph, restart survival, retention and the size cap.

mod api_support;

use std::collections::HashSet;
use std::time::Duration;

use api_support::{Server, now, seg_id, segment, trace_id};
use otel_xray_local::{LocalOptions, LocalXray};
use serde_json::{Value, json};

/// A two-service trace: `front` (root, GET /orders, user alice, annotations) calls `back` through
/// a `remote` subsegment (back's segment has it as parent) and DynamoDB (inferred).
fn two_service_trace(trace: &str, t0: f64, fault: bool) -> Vec<Value> {
    let front = json!({
        "trace_id": trace, "id": "a000000000000001", "name": "front", "start_time": t0, "end_time": t0 + 1.0,
        "origin": "AWS::EC2::Instance", "user": "alice", "fault": fault,
        "http": { "request": { "method": "GET", "url": "http://shop/orders", "user_agent": "curl/8", "client_ip": "10.0.0.1" },
                  "response": { "status": if fault { 500 } else { 200 } } },
        "annotations": { "order_id": "o-42", "items": 3, "vip": true },
        "subsegments": [
            { "id": "b000000000000001", "name": "back", "namespace": "remote", "start_time": t0 + 0.1, "end_time": t0 + 0.9, "fault": fault },
            { "id": "b000000000000002", "name": "DynamoDB", "namespace": "aws", "start_time": t0 + 0.2, "end_time": t0 + 0.3,
              "aws": { "operation": "GetItem", "table_name": "orders" } }
        ]
    });
    let back = json!({
        "trace_id": trace, "id": "a000000000000002", "name": "back", "parent_id": "b000000000000001",
        "start_time": t0 + 0.15, "end_time": t0 + 0.85, "fault": fault,
        "cause": { "exceptions": [ { "id": "c000000000000001", "message": "database is down" } ] }
    });
    vec![front, back]
}

#[tokio::test]
async fn put_then_batch_get_returns_the_documents_as_sent() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let trace = trace_id(t0, 1);
    let seg = segment(&trace, &seg_id(1), "svc", t0, t0 + 0.5);
    let sub = json!({ "type": "subsegment", "trace_id": trace, "id": seg_id(2), "parent_id": seg_id(1),
                      "name": "work", "start_time": t0 + 0.1, "end_time": t0 + 0.2 });
    assert!(server.put(&[seg.clone(), sub.clone()]).await.is_empty());

    let missing = trace_id(t0, 2);
    let answer = server.post("/Traces", &json!({ "TraceIds": [trace, missing] })).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let traces = answer.body["Traces"].as_array().unwrap();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0]["Id"], trace);
    assert_eq!(traces[0]["LimitExceeded"], false);
    assert!((traces[0]["Duration"].as_f64().unwrap() - 0.5).abs() < 1e-6);
    let segments = traces[0]["Segments"].as_array().unwrap();
    assert_eq!(segments.len(), 2, "the independent subsegment is its own entry");
    for sent in [&seg, &sub] {
        let entry = segments
            .iter()
            .find(|s| s["Id"] == sent["id"])
            .expect("document returned");
        let document: Value = serde_json::from_str(entry["Document"].as_str().unwrap()).unwrap();
        assert_eq!(&document, sent);
    }
    assert_eq!(answer.body["UnprocessedTraceIds"], json!([missing]));
    server.stop().await;
}

#[tokio::test]
async fn complete_document_replaces_the_in_progress_one() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let trace = trace_id(t0, 3);
    let open = json!({ "trace_id": trace, "id": seg_id(1), "name": "svc", "start_time": t0, "in_progress": true });
    assert!(server.put(&[open]).await.is_empty());
    let page = server.summaries(t0 - 60.0, t0 + 60.0, None, None).await;
    assert_eq!(page.body["TraceSummaries"][0]["IsPartial"], true);
    assert!(
        server
            .put(&[segment(&trace, &seg_id(1), "svc", t0, t0 + 2.0)])
            .await
            .is_empty()
    );
    let page = server.summaries(t0 - 60.0, t0 + 60.0, None, None).await;
    assert_eq!(page.body["TraceSummaries"][0]["IsPartial"], false);
    assert_eq!(page.body["TraceSummaries"][0]["Duration"], 2.0);
    let got = server.post("/Traces", &json!({ "TraceIds": [trace] })).await;
    assert_eq!(got.body["Traces"][0]["Segments"].as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn summaries_carry_the_trace_facts() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let trace = trace_id(t0, 4);
    assert!(server.put(&two_service_trace(&trace, t0, true)).await.is_empty());
    let answer = server.summaries(t0 - 60.0, t0 + 60.0, None, None).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["TracesProcessedCount"], 1);
    assert!(answer.body["ApproximateTime"].is_number());
    assert!(answer.body.get("NextToken").is_none());
    let s = &answer.body["TraceSummaries"][0];
    assert_eq!(s["Id"], trace);
    assert_eq!(s["Duration"], 1.0);
    assert_eq!(s["ResponseTime"], 1.0);
    assert_eq!(
        (s["HasFault"].clone(), s["HasError"].clone(), s["HasThrottle"].clone()),
        (json!(true), json!(false), json!(false))
    );
    assert_eq!(s["IsPartial"], false);
    assert_eq!(
        s["Http"],
        json!({ "HttpURL": "http://shop/orders", "HttpStatus": 500, "HttpMethod": "GET", "UserAgent": "curl/8", "ClientIp": "10.0.0.1" })
    );
    assert_eq!(s["Users"][0]["UserName"], "alice");
    assert_eq!(
        s["Annotations"]["order_id"][0]["AnnotationValue"],
        json!({ "StringValue": "o-42" })
    );
    assert_eq!(
        s["Annotations"]["items"][0]["AnnotationValue"],
        json!({ "NumberValue": 3.0 })
    );
    assert_eq!(
        s["Annotations"]["vip"][0]["AnnotationValue"],
        json!({ "BooleanValue": true })
    );
    let services: HashSet<(String, String)> = s["ServiceIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            (
                id["Name"].as_str().unwrap().to_owned(),
                id["Type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: HashSet<(String, String)> = [
        ("front", "AWS::EC2::Instance"),
        ("back", ""),
        ("DynamoDB", "AWS::DynamoDB::Table"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(services, expected);
    assert_eq!(s["EntryPoint"]["Name"], "front");
    server.stop().await;
}

#[tokio::test]
async fn summaries_page_with_next_token_and_see_every_trace_once() {
    let server = Server::in_memory().await;
    let t0 = now().floor() - 3600.0;
    let mut all = HashSet::new();
    for batch in 0..5u64 {
        let docs: Vec<Value> = (0..50u64)
            .map(|i| {
                let n = batch * 50 + i;
                // Several traces share a second, so paging must break ties by id.
                let t = t0 + (n / 3) as f64;
                let trace = trace_id(t, n + 1000);
                all.insert(trace.clone());
                segment(&trace, &seg_id(n + 1), "svc", t, t + 0.01)
            })
            .collect();
        assert!(server.put(&docs).await.is_empty());
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let answer = server.summaries(t0 - 1.0, t0 + 3600.0, None, token.as_deref()).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        let page = answer.body["TraceSummaries"].as_array().unwrap();
        assert!(page.len() <= otel_xray_local::api::PAGE_SIZE);
        seen.extend(page.iter().map(|s| s["Id"].as_str().unwrap().to_owned()));
        pages += 1;
        assert!(pages <= 10, "paging does not end");
        match answer.body["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 250, "each trace exactly once");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), all);
    assert!(pages >= 3);
    // Newest first.
    let first_epoch = u64::from_str_radix(&seen[0][2..10], 16).unwrap();
    let last_epoch = u64::from_str_radix(&seen[249][2..10], 16).unwrap();
    assert!(first_epoch >= last_epoch);
    server.stop().await;
}

#[tokio::test]
async fn filter_expressions_select_traces() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let faulty = trace_id(t0, 10);
    let fine = trace_id(t0, 11);
    assert!(server.put(&two_service_trace(&faulty, t0, true)).await.is_empty());
    let mut ok_docs = two_service_trace(&fine, t0, false);
    ok_docs[0]["user"] = json!("bob");
    ok_docs[0]["annotations"]["order_id"] = json!("o-7");
    assert!(server.put(&ok_docs).await.is_empty());

    let cases: &[(&str, &[&str])] = &[
        ("fault", &[&faulty]),
        ("!fault", &[&fine]),
        ("http.status = 500", &[&faulty]),
        ("user = \"bob\"", &[&fine]),
        ("annotation.order_id = \"o-42\"", &[&faulty]),
        ("service(\"back\") { fault }", &[&faulty]),
        ("edge(\"front\", \"back\")", &[&faulty, &fine]),
        ("message CONTAINS \"down\"", &[&faulty, &fine]),
        ("responsetime > 0.5 AND http.method = \"GET\"", &[&faulty, &fine]),
        ("duration > 5", &[]),
        ("", &[&faulty, &fine]),
    ];
    for (filter, expected) in cases {
        let answer = server.summaries(t0 - 60.0, t0 + 60.0, Some(filter), None).await;
        assert_eq!(answer.status, 200, "{filter}: {answer:?}");
        let got: HashSet<&str> = answer.body["TraceSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Id"].as_str().unwrap())
            .collect();
        let want: HashSet<&str> = expected.iter().copied().collect();
        assert_eq!(got, want, "filter {filter:?}");
        assert_eq!(answer.body["TracesProcessedCount"], 2, "filter {filter:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_filter_is_an_invalid_request_naming_the_part() {
    let server = Server::in_memory().await;
    let t0 = now();
    for (filter, part) in [
        ("rootcause.fault.service { name = \"a\" }", "rootcause"),
        ("responsetime >", "position"),
        ("bogus = 1", "bogus"),
    ] {
        let answer = server.summaries(t0 - 60.0, t0, Some(filter), None).await;
        assert_eq!(answer.status, 400, "{filter}");
        assert_eq!(answer.error_type.as_deref(), Some("InvalidRequestException"));
        let message = answer.body["message"].as_str().expect("message");
        assert!(message.contains(part), "{filter}: {message}");
    }
    server.stop().await;
}

#[tokio::test]
async fn time_range_types_select_by_their_time() {
    let server = Server::in_memory().await;
    let t_now = now().floor();
    // Trace id epoch and segment times two hours ago; ingested (Event) now.
    let old = t_now - 7200.0;
    let trace = trace_id(old, 20);
    assert!(
        server
            .put(&[segment(&trace, &seg_id(1), "svc", old, old + 1.0)])
            .await
            .is_empty()
    );
    let ask =
        |kind: &'static str, start: f64, end: f64| json!({ "StartTime": start, "EndTime": end, "TimeRangeType": kind });
    let count = |a: &api_support::Answer| a.body["TraceSummaries"].as_array().map_or(0, Vec::len);
    let recent = server
        .post("/TraceSummaries", &ask("TraceId", t_now - 600.0, t_now + 60.0))
        .await;
    assert_eq!(count(&recent), 0);
    let recent_event = server
        .post("/TraceSummaries", &ask("Event", t_now - 600.0, t_now + 60.0))
        .await;
    assert_eq!(count(&recent_event), 1);
    let old_service = server.post("/TraceSummaries", &ask("Service", old, old + 2.0)).await;
    assert_eq!(count(&old_service), 1);
    let bad = server.post("/TraceSummaries", &ask("Wall", old, old + 2.0)).await;
    assert_eq!(bad.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn service_graph_merges_nodes_and_edges() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    assert!(
        server
            .put(&two_service_trace(&trace_id(t0, 30), t0, true))
            .await
            .is_empty()
    );
    assert!(
        server
            .put(&two_service_trace(&trace_id(t0, 31), t0, false))
            .await
            .is_empty()
    );
    let answer = server
        .post(
            "/ServiceGraph",
            &json!({ "StartTime": t0 - 60.0, "EndTime": t0 + 60.0 }),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["StartTime"], t0 - 60.0);
    let services = answer.body["Services"].as_array().unwrap();
    let by_name = |name: &str| {
        services
            .iter()
            .find(|s| s["Name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let front = by_name("front");
    let back = by_name("back");
    let dynamo = by_name("DynamoDB");
    assert_eq!(front["Root"], true);
    assert_eq!(back["Root"], false);
    assert_eq!(front["Type"], "AWS::EC2::Instance");
    assert_eq!(dynamo["Type"], "AWS::DynamoDB::Table");
    assert_eq!(front["State"], "active");
    assert_eq!(front["Names"], json!(["front"]));
    let stats = &front["SummaryStatistics"];
    assert_eq!(stats["TotalCount"], 2);
    assert_eq!(stats["OkCount"], 1);
    assert_eq!(stats["FaultStatistics"]["TotalCount"], 1);
    let edges = front["Edges"].as_array().unwrap();
    let targets: HashSet<u64> = edges.iter().map(|e| e["ReferenceId"].as_u64().unwrap()).collect();
    let expected: HashSet<u64> = [&back["ReferenceId"], &dynamo["ReferenceId"]]
        .iter()
        .map(|r| r.as_u64().unwrap())
        .collect();
    assert_eq!(targets, expected);
    let to_back = edges.iter().find(|e| e["ReferenceId"] == back["ReferenceId"]).unwrap();
    assert_eq!(to_back["SummaryStatistics"]["TotalCount"], 2);
    assert_eq!(to_back["SummaryStatistics"]["FaultStatistics"]["TotalCount"], 1);
    assert_eq!(to_back["Aliases"], json!([]));
    let histogram: u64 = to_back["ResponseTimeHistogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["Count"].as_u64().unwrap())
        .sum();
    assert_eq!(histogram, 2);
    assert!(back["Edges"].as_array().unwrap().is_empty());
    assert!(!front["DurationHistogram"].as_array().unwrap().is_empty());

    let empty = server
        .post(
            "/ServiceGraph",
            &json!({ "StartTime": t0 + 600.0, "EndTime": t0 + 700.0 }),
        )
        .await;
    assert_eq!(empty.body["Services"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn trace_graph_covers_only_the_given_traces() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let a = trace_id(t0, 40);
    assert!(server.put(&two_service_trace(&a, t0, false)).await.is_empty());
    let b = trace_id(t0, 41);
    assert!(
        server
            .put(&[segment(&b, &seg_id(9), "lonely", t0, t0 + 1.0)])
            .await
            .is_empty()
    );
    let answer = server.post("/TraceGraph", &json!({ "TraceIds": [a] })).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let names: HashSet<&str> = answer.body["Services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["front", "back", "DynamoDB"].into_iter().collect());
    let none = server.post("/TraceGraph", &json!({ "TraceIds": [] })).await;
    assert_eq!(none.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn put_trace_segments_rejects_documents_with_xray_codes() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let trace = trace_id(t0, 50);
    let good = segment(&trace, &seg_id(1), "svc", t0, t0 + 1.0);
    let mut no_name = good.clone();
    no_name.as_object_mut().unwrap().remove("name");
    no_name["id"] = json!(seg_id(2));
    let mut bad_trace = good.clone();
    bad_trace["trace_id"] = json!("1-abc-def");
    bad_trace["id"] = json!(seg_id(3));
    let mut no_end = good.clone();
    no_end.as_object_mut().unwrap().remove("end_time");
    no_end["id"] = json!(seg_id(4));
    let orphan = json!({ "type": "subsegment", "trace_id": trace, "id": seg_id(5), "name": "s", "start_time": t0, "end_time": t0 + 1.0 });
    let mut bad_id = good.clone();
    bad_id["id"] = json!("xyz");
    let huge = json!({ "trace_id": trace, "id": seg_id(7), "name": "svc", "start_time": t0, "end_time": t0 + 1.0,
                       "metadata": { "default": { "blob": "x".repeat(70_000) } } });
    let docs: Vec<String> = [&good, &no_name, &bad_trace, &no_end, &orphan, &bad_id, &huge]
        .iter()
        .map(|d| d.to_string())
        .chain(["{not json".to_owned()])
        .collect();
    let answer = server
        .post("/TraceSegments", &json!({ "TraceSegmentDocuments": docs }))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let codes: Vec<(String, String)> = answer.body["UnprocessedTraceSegments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            assert!(u["Message"].as_str().is_some_and(|m| !m.is_empty()));
            (
                u["Id"].as_str().unwrap_or("").to_owned(),
                u["ErrorCode"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        (seg_id(2), "MissingParam"),
        (seg_id(3), "InvalidTraceId"),
        (seg_id(4), "MissingParam"),
        (seg_id(5), "MissingParentId"),
        (String::new(), "InvalidSegment"),
        (String::new(), "InvalidSegment"),
        (String::new(), "JSONFormatError"),
    ]
    .into_iter()
    .map(|(id, code)| (id, code.to_owned()))
    .collect();
    assert_eq!(codes, expected);
    // The good one was stored.
    let got = server.post("/Traces", &json!({ "TraceIds": [trace] })).await;
    assert_eq!(got.body["Traces"][0]["Segments"].as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn malformed_calls_are_invalid_requests() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let fifty_one: Vec<String> = (0..51)
        .map(|i| segment(&trace_id(t0, 60), &seg_id(i + 1), "svc", t0, t0 + 1.0).to_string())
        .collect();
    let too_many = server
        .post("/TraceSegments", &json!({ "TraceSegmentDocuments": fifty_one }))
        .await;
    let cases = vec![
        ("51 documents", too_many, "50"),
        ("not JSON", server.post_raw("/TraceSegments", "{{{").await, "request"),
        (
            "no documents",
            server.post("/TraceSegments", &json!({})).await,
            "TraceSegmentDocuments",
        ),
        (
            "documents not strings",
            server
                .post("/TraceSegments", &json!({ "TraceSegmentDocuments": [1] }))
                .await,
            "request",
        ),
        (
            "no StartTime",
            server.post("/TraceSummaries", &json!({ "EndTime": t0 })).await,
            "StartTime",
        ),
        (
            "end before start",
            server
                .post("/TraceSummaries", &json!({ "StartTime": t0, "EndTime": t0 - 1.0 }))
                .await,
            "EndTime",
        ),
        (
            "bad token",
            server
                .post(
                    "/TraceSummaries",
                    &json!({ "StartTime": t0, "EndTime": t0, "NextToken": "x" }),
                )
                .await,
            "NextToken",
        ),
        (
            "six ids",
            server
                .post("/Traces", &json!({ "TraceIds": ["a", "b", "c", "d", "e", "f"] }))
                .await,
            "TraceIds",
        ),
        ("no ids", server.post("/Traces", &json!({})).await, "TraceIds"),
        (
            "graph without EndTime",
            server.post("/ServiceGraph", &json!({ "StartTime": t0 })).await,
            "EndTime",
        ),
    ];
    for (what, answer, part) in cases {
        assert_eq!(answer.status, 400, "{what}: {answer:?}");
        assert_eq!(answer.error_type.as_deref(), Some("InvalidRequestException"), "{what}");
        let message = answer.body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no message"));
        assert!(message.contains(part), "{what}: {message}");
    }
    let big = vec![b' '; otel_xray_local::api::MAX_BODY_BYTES + 1024];
    let too_large = server.post_raw("/TraceSegments", big).await;
    assert_eq!(too_large.status, 413, "{too_large:?}");
    assert_eq!(too_large.error_type.as_deref(), Some("InvalidRequestException"));
    // The server still answers.
    assert!(
        server
            .put(&[segment(&trace_id(t0, 61), &seg_id(1), "svc", t0, t0 + 1.0)])
            .await
            .is_empty()
    );
    server.stop().await;
}

#[tokio::test]
async fn file_store_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/local-xray.sqlite");
    let options = LocalOptions {
        path: Some(path.clone()),
        ..LocalOptions::default()
    };
    let t0 = now().floor();
    let trace = trace_id(t0, 70);
    let server = Server::start(LocalXray::open(options.clone()).unwrap()).await;
    assert!(server.put(&two_service_trace(&trace, t0, true)).await.is_empty());
    server.stop().await;

    let server = Server::start(LocalXray::open(options).unwrap()).await;
    let answer = server.summaries(t0 - 60.0, t0 + 60.0, Some("fault"), None).await;
    assert_eq!(answer.body["TraceSummaries"][0]["Id"], trace, "{answer:?}");
    let got = server.post("/Traces", &json!({ "TraceIds": [trace] })).await;
    assert_eq!(got.body["Traces"][0]["Segments"].as_array().unwrap().len(), 2);
    // More segments of the same trace after the restart update its facts.
    let late = json!({ "trace_id": trace, "id": "a000000000000003", "name": "late", "parent_id": "a000000000000002",
                       "start_time": t0 + 0.5, "end_time": t0 + 3.0, "user": "carol" });
    assert!(server.put(&[late]).await.is_empty());
    let answer = server
        .summaries(t0 - 60.0, t0 + 60.0, Some("user = \"carol\""), None)
        .await;
    assert_eq!(answer.body["TraceSummaries"][0]["Duration"], 3.0, "{answer:?}");
    server.stop().await;
}

#[tokio::test]
async fn retention_deletes_old_traces() {
    let xray = LocalXray::open(LocalOptions {
        retention: Duration::from_secs(3600),
        ..LocalOptions::default()
    })
    .unwrap();
    let server = Server::start(xray.clone()).await;
    let t_now = now().floor();
    let old = t_now - 7200.0;
    let old_trace = trace_id(old, 80);
    let new_trace = trace_id(t_now, 81);
    assert!(
        server
            .put(&[segment(&old_trace, &seg_id(1), "svc", old, old + 1.0)])
            .await
            .is_empty()
    );
    assert!(
        server
            .put(&[segment(&new_trace, &seg_id(1), "svc", t_now, t_now + 1.0)])
            .await
            .is_empty()
    );
    let removed = xray.store().enforce_limits(now()).unwrap();
    assert_eq!(removed.traces, 1);
    let got = server
        .post("/Traces", &json!({ "TraceIds": [old_trace, new_trace] }))
        .await;
    assert_eq!(got.body["UnprocessedTraceIds"], json!([old_trace]));
    assert_eq!(got.body["Traces"][0]["Id"], new_trace);
    server.stop().await;
}

#[tokio::test]
async fn size_cap_deletes_the_oldest_traces() {
    let max_bytes: u64 = 512 * 1024;
    let xray = LocalXray::open(LocalOptions {
        max_bytes,
        ..LocalOptions::default()
    })
    .unwrap();
    let server = Server::start(xray.clone()).await;
    let t0 = now().floor() - 1000.0;
    let mut ids = Vec::new();
    for n in 0..200u64 {
        let t = t0 + n as f64;
        let trace = trace_id(t, 90 + n);
        let mut doc = segment(&trace, &seg_id(1), "svc", t, t + 1.0);
        doc["metadata"] = json!({ "default": { "pad": "p".repeat(8_000) } });
        assert!(server.put(&[doc]).await.is_empty());
        ids.push(trace);
        // Deleted rows free whole pages only approximately: allow a quarter over the cap.
        let used = xray.store().used_bytes().unwrap();
        assert!(used <= max_bytes + max_bytes / 4, "{used} bytes used after trace {n}");
    }
    let newest = server.post("/Traces", &json!({ "TraceIds": [ids[199]] })).await;
    assert_eq!(newest.body["Traces"].as_array().unwrap().len(), 1);
    let oldest = server.post("/Traces", &json!({ "TraceIds": [ids[0]] })).await;
    assert_eq!(oldest.body["UnprocessedTraceIds"], json!([ids[0]]));
    server.stop().await;
}

#[tokio::test]
async fn no_body_makes_the_server_fail() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let trace = trace_id(t0, 100);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_doc = format!(
        r#"{{"trace_id":"{trace}","id":"{}","name":"n","start_time":1,"end_time":2,"subsegments":{}}}"#,
        seg_id(1),
        "[{\"subsegments\":".repeat(200)
    );
    let bodies: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00, 0x01],
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"x\"".to_vec(),
        deep.into_bytes(),
        br#"{"TraceSegmentDocuments": null, "TraceIds": null, "StartTime": null}"#.to_vec(),
        br#"{"TraceSegmentDocuments": [[]], "TraceIds": [1], "StartTime": "yesterday", "EndTime": {}}"#.to_vec(),
        br#"{"StartTime": 1e999, "EndTime": -1e999}"#.to_vec(),
        br#"{"StartTime": 0, "EndTime": 1e300, "FilterExpression": "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("}"#
            .to_vec(),
        json!({ "TraceSegmentDocuments": [deep_doc, "[]", "[1]", "{}", "1", "null", "\u{0}"] }).to_string().into_bytes(),
        json!({ "TraceSegmentDocuments": [json!({ "trace_id": trace, "id": seg_id(2), "name": "n", "start_time": 1e308,
            "end_time": 1.7e308, "subsegments": [{ "id": seg_id(3), "name": "x", "namespace": "aws", "start_time": 0, "end_time": 1e308 }],
            "annotations": { "a": [1], "b": {}, "c": null }, "cause": "0123456789abcdef", "http": { "response": { "status": 1e20 } } }).to_string()] })
        .to_string()
        .into_bytes(),
    ];
    for path in [
        "/TraceSegments",
        "/Traces",
        "/TraceSummaries",
        "/ServiceGraph",
        "/TraceGraph",
    ] {
        for body in &bodies {
            let answer = server.post_raw(path, body.clone()).await;
            assert!(
                answer.status == 200 || answer.status == 400,
                "{path} {:?}: {answer:?}",
                String::from_utf8_lossy(&body[..body.len().min(80)])
            );
            if answer.status == 400 {
                assert_eq!(answer.error_type.as_deref(), Some("InvalidRequestException"));
                assert!(answer.body["message"].is_string());
            }
        }
    }
    // The extreme document was stored and every read still works on it.
    let graph = server
        .post("/ServiceGraph", &json!({ "StartTime": 0, "EndTime": f64::MAX }))
        .await;
    assert_eq!(graph.status, 200, "{graph:?}");
    let summaries = server
        .summaries(0.0, f64::MAX, Some("service() { responsetime > 1 }"), None)
        .await;
    assert_eq!(summaries.status, 200, "{summaries:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_subsegment_sent_before_its_segment_joins_the_trace_when_it_arrives() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let trace = trace_id(t0, 120);
    let sub = json!({ "type": "subsegment", "trace_id": trace, "id": seg_id(2), "parent_id": seg_id(1), "name": "SQS",
                      "namespace": "aws", "start_time": t0 + 0.1, "end_time": t0 + 0.2, "throttle": true, "error": true });
    assert!(server.put(&[sub]).await.is_empty());
    let early = server.summaries(t0 - 60.0, t0 + 60.0, None, None).await;
    assert_eq!(early.body["TraceSummaries"][0]["IsPartial"], true, "{early:?}");
    assert_eq!(early.body["TraceSummaries"][0]["HasThrottle"], true);
    assert!(
        server
            .put(&[segment(&trace, &seg_id(1), "producer", t0, t0 + 1.0)])
            .await
            .is_empty()
    );
    let late = server
        .summaries(
            t0 - 60.0,
            t0 + 60.0,
            Some("edge(\"producer\", \"SQS\") { throttle }"),
            None,
        )
        .await;
    assert_eq!(late.body["TraceSummaries"][0]["IsPartial"], false, "{late:?}");
    let graph = server.post("/TraceGraph", &json!({ "TraceIds": [trace] })).await;
    let services = graph.body["Services"].as_array().unwrap();
    let queue = services.iter().find(|s| s["Name"] == "SQS").expect("inferred SQS node");
    assert_eq!(queue["Type"], "AWS::SQS::Queue");
    let producer = services
        .iter()
        .find(|s| s["Name"] == "producer")
        .expect("producer node");
    let edge = &producer["Edges"][0];
    assert_eq!(edge["ReferenceId"], queue["ReferenceId"]);
    assert_eq!(edge["SummaryStatistics"]["ErrorStatistics"]["ThrottleCount"], 1);
    server.stop().await;
}

#[tokio::test]
async fn an_array_document_holds_independent_subsegments() {
    let server = Server::in_memory().await;
    let t0 = now().floor();
    let trace = trace_id(t0, 110);
    let sub = |n: u64| {
        json!({ "type": "subsegment", "trace_id": trace, "id": seg_id(n), "parent_id": seg_id(1), "name": "step",
                "start_time": t0, "end_time": t0 + 0.1 })
    };
    let array = json!([sub(2), sub(3)]).to_string();
    let parent = segment(&trace, &seg_id(1), "svc", t0, t0 + 1.0).to_string();
    let answer = server
        .post("/TraceSegments", &json!({ "TraceSegmentDocuments": [parent, array] }))
        .await;
    assert_eq!(answer.body["UnprocessedTraceSegments"], json!([]), "{answer:?}");
    let got = server.post("/Traces", &json!({ "TraceIds": [trace] })).await;
    assert_eq!(got.body["Traces"][0]["Segments"].as_array().unwrap().len(), 3);
    server.stop().await;
}

#[tokio::test]
async fn sampling_apis_answer_with_x_rays_default_rule() {
    let server = Server::in_memory().await;
    let rules = server.post("/GetSamplingRules", &json!({})).await;
    assert_eq!(rules.status, 200, "{:?}", rules.body);
    let records = rules.body["SamplingRuleRecords"].as_array().expect("records");
    assert_eq!(records.len(), 1);
    let rule = &records[0]["SamplingRule"];
    assert_eq!(rule["RuleName"], "Default");
    assert_eq!(rule["FixedRate"], 0.05);
    assert_eq!(rule["ReservoirSize"], 1);
    assert_eq!(rule["HTTPMethod"], "*");
    assert_eq!(rule["Priority"], 10000);

    let targets = server
        .post(
            "/SamplingTargets",
            &json!({ "SamplingStatisticsDocuments": [
                { "RuleName": "Default", "ClientID": "0123456789abcdef01234567", "Timestamp": now(), "RequestCount": 7, "SampledCount": 2, "BorrowCount": 0 },
                { "RuleName": "Nope", "ClientID": "0123456789abcdef01234567", "Timestamp": now(), "RequestCount": 1, "SampledCount": 0, "BorrowCount": 0 }
            ] }),
        )
        .await;
    assert_eq!(targets.status, 200, "{:?}", targets.body);
    let docs = targets.body["SamplingTargetDocuments"].as_array().expect("targets");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["RuleName"], "Default");
    assert_eq!(docs[0]["ReservoirQuota"], 1);
    assert!(docs[0]["ReservoirQuotaTTL"].as_f64().unwrap() > now());
    assert_eq!(targets.body["UnprocessedStatistics"][0]["RuleName"], "Nope");

    let bad = server.post_raw("/SamplingTargets", "[").await;
    assert_eq!(bad.status, 400);
}
