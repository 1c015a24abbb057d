//! The `PutTraceSegments` request body, encoded here instead of by aws-sdk-xray's serializer.
//!
//! Why not the SDK's serializer: it escapes every document string one byte at a time, and segment
//! documents are JSON, full of quotes to escape. In a profile of the gateway under load that
//! escaping alone was about 10 % of the process's CPU. The body is therefore written with an
//! escaper made for quote-dense documents ([`crate::escape::write_document_str`], which writes
//! exactly what a JSON serializer writes) and handed to the SDK's request pipeline by
//! [`PreEncodedBody`], an interceptor that swaps the body just before signing. Everything else
//! stays the SDK's: credentials, endpoint resolution, SigV4 (which hashes the body it finally
//! sends), timeouts and the parsing of `UnprocessedTraceSegments`.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use bytes::Bytes;

/// Encodes `{"TraceSegmentDocuments":["…","…"]}`: the JSON body of one `PutTraceSegments` call.
pub(crate) fn encode<'d>(documents: impl ExactSizeIterator<Item = &'d str> + Clone) -> Bytes {
    // Each document grows by its quotes and escapes: segment documents have a quote every 6–8
    // bytes, so a quarter more is reserved (an eighth was too little, and growing the buffer
    // copied the whole body once more). The escaper reserves room for every byte of the document
    // it writes being escaped (twice its length, plus 34), so the largest document's length (and
    // 64 bytes) more keeps that reservation, too, from growing (and copying) the body.
    let (raw, largest) = documents.clone().fold((0, 0), |(raw, largest), d| {
        (raw + d.len() + d.len() / 4 + 3, largest.max(d.len()))
    });
    let mut out: Vec<u8> = Vec::with_capacity(raw + largest + 64);
    out.extend_from_slice(b"{\"TraceSegmentDocuments\":[");
    for (i, doc) in documents.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        crate::escape::write_document_str(&mut out, doc);
    }
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}

/// An interceptor that makes the request carry a body encoded by [`encode`].
///
/// Installed per call on a `PutTraceSegments` operation whose input holds no documents; the SDK
/// serializes that (tiny) input, then this replaces the body and its `Content-Length` before the
/// request is signed. It runs again, with the same bytes, on any attempt the SDK itself retries.
#[derive(Debug)]
pub(crate) struct PreEncodedBody {
    body: Bytes,
}

impl PreEncodedBody {
    /// Wraps an encoded body.
    pub(crate) fn new(body: Bytes) -> Self {
        Self { body }
    }
}

impl Intercept for PreEncodedBody {
    fn name(&self) -> &'static str {
        "PreEncodedPutTraceSegmentsBody"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        *request.body_mut() = SdkBody::from(self.body.clone());
        request
            .headers_mut()
            .insert("content-length", self.body.len().to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_the_json_a_serializer_would_write() {
        let docs = [
            r#"{"name":"a \"quoted\" name","id":"0123456789abcdef"}"#,
            "{\"name\":\"tab\\there\",\"x\":\"\u{1}\u{7f}é\"}",
            "",
        ];
        let body = encode(docs.iter().copied());
        let parsed: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
        let expected = serde_json::json!({ "TraceSegmentDocuments": docs });
        assert_eq!(parsed, expected);
        assert_eq!(&body[..], serde_json::to_vec(&expected).unwrap().as_slice());
    }

    #[test]
    fn pretty_printed_documents_from_udp_are_escaped_too() {
        let docs = ["{\n  \"name\": \"a\\\\b\",\r\n\t\"id\": \"x\"\n}", "{\"k\":\"v\"}"];
        let body = encode(docs.iter().copied());
        let expected = serde_json::json!({ "TraceSegmentDocuments": docs });
        assert_eq!(&body[..], serde_json::to_vec(&expected).unwrap().as_slice());
    }

    #[test]
    fn no_documents_give_an_empty_list() {
        assert_eq!(
            &encode(std::iter::empty::<&str>())[..],
            br#"{"TraceSegmentDocuments":[]}"#
        );
    }
}
