//! What the `decode` and `decode_allocs` benches share: the gateway's work on one binary protobuf
//! OTLP request of 512 spans (the workload's `java` and `rust` batches, encoded), from its bytes to
//! the encoded documents, in the two ways the gateway can do it:
//!
//! * `prost+translate_otlp`: `ExportTraceServiceRequest::decode` (owned OTLP messages: a `String`
//!   per key and value, a `Vec` per list), then [`Translator::translate_otlp`];
//! * `wire`: [`Translator::translate_otlp_bytes`], which decodes while it translates, borrowing
//!   every string from the request bytes.
//!
//! Both write the same documents into a batch reused from request to request (checked at start).

use std::hint::black_box;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otel_xray_suite::workload::Language;
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig};
use prost::Message;

use super::BATCH;

/// The two ways from bytes to documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// prost decoding into owned messages, then translation.
    Prost,
    /// The wire decoder, translating as it decodes.
    Wire,
}

impl Path {
    pub const ALL: [Path; 2] = [Path::Prost, Path::Wire];

    pub fn id(self) -> &'static str {
        match self {
            Self::Prost => "prost+translate_otlp",
            Self::Wire => "wire",
        }
    }
}

/// One encoded request and what translating it needs.
pub struct DecodeFixture {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    translator: Translator,
    options: BatchOptions,
    pub batch: DocumentBatch,
}

impl DecodeFixture {
    pub fn new(name: &'static str, language: Language) -> Self {
        let now_unix_secs = 1_700_000_000;
        let workload = super::batch_workload(language, now_unix_secs);
        Self {
            name,
            bytes: workload.request.encode_to_vec(),
            translator: Translator::new(TranslatorConfig::default()),
            options: BatchOptions {
                now_unix_secs,
                budget: Budget::PutTraceSegments,
            },
            batch: DocumentBatch::new(),
        }
    }

    /// The `java` and `rust` requests.
    pub fn both() -> [DecodeFixture; 2] {
        [
            DecodeFixture::new("java", Language::Java),
            DecodeFixture::new("rust", Language::Rust),
        ]
    }

    /// Decodes and translates the request once; returns (documents, JSON bytes).
    #[inline(never)]
    pub fn run(&mut self, path: Path) -> (usize, usize) {
        self.batch.clear();
        let bytes = black_box(&self.bytes[..]);
        match path {
            Path::Prost => {
                let request = ExportTraceServiceRequest::decode(bytes).expect("valid request");
                self.translator.translate_otlp(&request, self.options, &mut self.batch);
            }
            Path::Wire => self
                .translator
                .translate_otlp_bytes(bytes, self.options, &mut self.batch)
                .expect("valid request"),
        }
        (self.batch.len(), self.batch.encoded_bytes())
    }

    /// Checks that both paths give one document per span and the same number of bytes (the
    /// documents themselves are compared by `tests/wire_decoder.rs`).
    pub fn check(&mut self) {
        let prost = self.run(Path::Prost);
        let wire = self.run(Path::Wire);
        assert_eq!(prost.0, BATCH, "{}: one document per span", self.name);
        assert_eq!(prost, wire, "{}: both paths give the same documents", self.name);
    }
}
