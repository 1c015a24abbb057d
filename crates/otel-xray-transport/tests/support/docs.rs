//! Realistic segment documents made with the model's types: a service's root segment and the
//! subsegments of its downstream calls (HTTP, DynamoDB, SQL), as independent documents.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use otel_xray_model::{
    AnnotationValue, Aws, Http, HttpRequest, HttpResponse, KeyedList, MetaValue, Namespace, Segment, SegmentId,
    SegmentType, Sql, TraceId, XRay,
};
use otel_xray_transport::OutgoingDocument;
use rand::Rng;

/// Now, in epoch seconds with microseconds, as X-Ray documents write it.
pub fn now_secs() -> f64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
    d.as_secs() as f64 + f64::from(d.subsec_micros()) / 1e6
}

/// A trace id that starts with the current time, as X-Ray requires.
pub fn new_trace_id(rng: &mut impl Rng) -> TraceId {
    let mut bytes: [u8; 16] = rng.random();
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as u32;
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    TraceId(bytes)
}

/// A random non-zero segment id.
pub fn new_segment_id(rng: &mut impl Rng) -> SegmentId {
    loop {
        let id = SegmentId(rng.random());
        if !id.is_zero() {
            return id;
        }
    }
}

/// One trace of `n` documents: the root segment of `service` (an HTTP server request) and
/// `n - 1` independent subsegments. Subsegment `i` calls another service over HTTP, DynamoDB or
/// a database in turn; every third one is the child of the subsegment before it, the others of
/// the root.
pub fn trace(rng: &mut impl Rng, service: &str, n: usize) -> Vec<Segment<'static>> {
    assert!(n >= 1);
    let trace_id = new_trace_id(rng);
    let start = now_secs() - 2.0;
    let root_id = new_segment_id(rng);
    let mut root = Segment::new(service.to_owned(), root_id, trace_id, start, start + 1.5);
    root.origin = Some(Cow::Borrowed("AWS::EC2::Instance"));
    root.http = Some(Http {
        request: Some(HttpRequest {
            method: Some(Cow::Borrowed("POST")),
            url: Some(Cow::Owned(format!("https://{service}.example.com/orders"))),
            user_agent: Some(Cow::Borrowed("curl/8.5.0")),
            client_ip: Some(Cow::Borrowed("203.0.113.7")),
            ..HttpRequest::default()
        }),
        response: Some(HttpResponse {
            status: Some(201),
            content_length: Some(312),
        }),
    });
    root.aws = Some(Aws {
        account_id: Some(Cow::Borrowed("123456789012")),
        xray: Some(Box::new(XRay {
            sdk: Some(Cow::Borrowed("opentelemetry for rust")),
            sdk_version: Some(Cow::Borrowed("0.33.0")),
            auto_instrumentation: false,
        })),
        ..Aws::default()
    });
    root.annotations.push(
        "order_id",
        AnnotationValue::Str(Cow::Owned(format!("o-{}", rng.random_range(1..10_000)))),
    );
    root.annotations.push("items", AnnotationValue::Int(3));
    let mut default_ns = KeyedList::new();
    default_ns.push("otel.scope.name", MetaValue::Str(Cow::Borrowed("checkout")));
    root.metadata.push("default", Namespace::Entries(default_ns));

    let mut docs = vec![root];
    let mut previous = root_id;
    for i in 1..n {
        let id = new_segment_id(rng);
        let parent = if i.is_multiple_of(3) { previous } else { root_id };
        let begin = start + 0.01 * i as f64;
        let mut sub = Segment::new(String::new(), id, trace_id, begin, begin + 0.005);
        sub.parent_id = Some(parent);
        sub.kind = Some(SegmentType::Subsegment);
        match i % 3 {
            0 => {
                sub.name = Cow::Borrowed("DynamoDB");
                sub.namespace = Some(Cow::Borrowed("aws"));
                sub.aws = Some(Aws {
                    operation: Some(Cow::Borrowed("GetItem")),
                    region: Some(Cow::Borrowed("us-east-1")),
                    request_id: Some(Cow::Owned(format!("REQ{i:06}"))),
                    table_name: Some(Cow::Borrowed("orders")),
                    ..Aws::default()
                });
                sub.http = Some(Http {
                    request: None,
                    response: Some(HttpResponse {
                        status: Some(200),
                        content_length: None,
                    }),
                });
            }
            1 => {
                sub.name = Cow::Borrowed("inventory.internal");
                sub.namespace = Some(Cow::Borrowed("remote"));
                sub.traced = Some(true);
                sub.http = Some(Http {
                    request: Some(HttpRequest {
                        method: Some(Cow::Borrowed("GET")),
                        url: Some(Cow::Owned(format!("https://inventory.internal/items/{i}"))),
                        ..HttpRequest::default()
                    }),
                    response: Some(HttpResponse {
                        status: Some(if i.is_multiple_of(7) { 503 } else { 200 }),
                        content_length: Some(64),
                    }),
                });
                sub.fault = i.is_multiple_of(7);
            }
            _ => {
                sub.name = Cow::Borrowed("orders@db.internal");
                sub.namespace = Some(Cow::Borrowed("remote"));
                sub.sql = Some(Sql {
                    url: Some(Cow::Borrowed("postgresql://db.internal:5432/orders")),
                    sanitized_query: Some(Cow::Borrowed("SELECT * FROM orders WHERE id = $1")),
                    database_type: Some(Cow::Borrowed("postgresql")),
                    user: Some(Cow::Borrowed("app")),
                    ..Sql::default()
                });
            }
        }
        previous = id;
        docs.push(sub);
    }
    docs
}

/// The document as the transport takes it.
pub fn outgoing(segment: &Segment<'_>) -> OutgoingDocument {
    OutgoingDocument {
        trace_id: segment.trace_id.expect("independent documents carry their trace id"),
        id: segment.id,
        json: serde_json::to_string(segment).expect("finite numbers only"),
    }
}

/// A document that is not a model document: raw JSON text with the given id and trace id (to
/// make ones X-Ray rejects).
pub fn raw(trace_id: TraceId, id: SegmentId, json: String) -> OutgoingDocument {
    OutgoingDocument { trace_id, id, json }
}

/// Id of a JSON document as text, for matching what a peer recorded.
pub fn id_hex(doc: &OutgoingDocument) -> String {
    doc.id.to_string()
}
