//! The wire decoder (`Translator::translate_otlp_bytes`) on the benchmark workload: the encoded
//! request translates to exactly what prost decoding + `translate_otlp` gives (documents byte for
//! byte, ids, failures, span count), for both languages and several seeds. The golden flows are
//! checked the same way in `support::translate`.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otel_xray_suite::workload::{Language, Workload, WorkloadConfig};
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Translator, TranslatorConfig};
use prost::Message;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn assert_same(translator: &Translator, bytes: &[u8], options: BatchOptions) {
    let decoded = ExportTraceServiceRequest::decode(bytes).expect("a valid request");
    let mut prost = DocumentBatch::new();
    translator.translate_resource_spans_with_ids(
        &decoded.resource_spans,
        options,
        &mut StdRng::seed_from_u64(3),
        &mut prost,
    );
    let mut wire = DocumentBatch::new();
    translator
        .translate_otlp_bytes_with_ids(bytes, options, &mut StdRng::seed_from_u64(3), &mut wire)
        .expect("the wire decoder accepts it");
    assert_eq!(wire.spans(), prost.spans());
    assert_eq!(wire.failures(), prost.failures());
    assert_eq!(wire.len(), prost.len());
    for ((wi, wd), (pi, pd)) in wire.documents().zip(prost.documents()) {
        assert_eq!(wi, pi);
        assert_eq!(String::from_utf8_lossy(wd), String::from_utf8_lossy(pd));
    }
    assert_eq!(otel_xray_translate::wire::count_spans(bytes), Ok(prost.spans()));
}

#[test]
fn the_workload_translates_the_same_from_bytes() {
    let options = BatchOptions {
        now_unix_secs: 1_700_000_000,
        budget: Budget::PutTraceSegments,
    };
    let configs = [
        TranslatorConfig::default(),
        TranslatorConfig {
            index_all_attributes: true,
            ..TranslatorConfig::default()
        },
    ];
    for config in configs {
        let translator = Translator::new(config);
        for language in [Language::Java, Language::Rust] {
            for seed in 1..=4 {
                let workload = Workload::generate(&WorkloadConfig {
                    spans: 512,
                    seed,
                    language,
                    ..WorkloadConfig::default()
                });
                assert_same(&translator, &workload.request.encode_to_vec(), options);
                // The same with a small budget, so that documents are shrunk or dropped.
                assert_same(
                    &translator,
                    &workload.request.encode_to_vec(),
                    BatchOptions {
                        budget: Budget::Bytes(1_000),
                        ..options
                    },
                );
            }
        }
    }
}
