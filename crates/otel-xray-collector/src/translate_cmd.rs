//! `otel-xray translate`: one OTLP trace export request in, one X-Ray segment document per line
//! out, one stderr line per span (or document) that could not be translated.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use otel_xray_translate::source::{otlp_resource, otlp_span};
use otel_xray_translate::{BatchOptions, Budget, DocumentBatch, Failure, FailureReason, Translator};

use crate::cli::TranslateArgs;
use crate::otlp_input::{InputError, MAX_INPUT_BYTES, decode_request, read_input};

/// How the command names itself on stderr.
pub const PROGRAM: &str = "otel-xray translate";

/// Longest span name quoted in a failure line, in characters.
const NAME_CHARS: usize = 64;

/// Why the command failed as a whole (failed spans are not errors).
#[derive(Debug, thiserror::Error)]
pub enum TranslateCmdError {
    /// The input could not be read or decoded.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Writing the documents failed for a reason other than the reader going away.
    #[error("cannot write to standard output: {0}")]
    Output(io::Error),
}

/// What one run produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Spans in the request.
    pub spans: usize,
    /// Documents written.
    pub documents: usize,
    /// Failure lines written (a span that gives no documents, or one dropped document).
    pub failures: usize,
}

/// Runs the command: reads and decodes the input, translates every span with the clock read
/// once, and writes the documents to a locked, buffered stdout.
///
/// A closed stdout (`| head -1`) ends the run quietly and successfully.
pub fn run(args: &TranslateArgs) -> Result<Summary, TranslateCmdError> {
    let source = args.input_source();
    let request = {
        let bytes = read_input(&source, MAX_INPUT_BYTES)?;
        decode_request(&bytes, args.input_format(), &source)?
    };
    let translator = Translator::new(args.translator_config());
    let now_unix_secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut diag = io::stderr();
    match write_documents(&translator, &request, now_unix_secs, &mut out, &mut diag) {
        Ok(summary) => Ok(summary),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Summary::default()),
        Err(e) => Err(TranslateCmdError::Output(e)),
    }
}

/// Translates `request` span by span, in input order: each span's documents (two for a split
/// local root, in the spec's order) as lines on `out`, each failure as a line on `diag`.
///
/// This walks resource → scope → span itself rather than calling
/// [`Translator::translate_otlp`], which gives the same documents: a [`Failure`] carries no span
/// id when the id itself was invalid, and only the walk knows which input span failed.
/// `out` is flushed before each failure line so that a terminal shows both in order. Errors
/// writing `diag` are ignored; errors writing `out` end the run.
pub fn write_documents(
    translator: &Translator,
    request: &ExportTraceServiceRequest,
    now_unix_secs: u64,
    out: &mut impl Write,
    diag: &mut impl Write,
) -> io::Result<Summary> {
    let options = BatchOptions {
        now_unix_secs,
        budget: Budget::PutTraceSegments,
    };
    let mut ids = rand::rng();
    let mut batch = DocumentBatch::new();
    let mut summary = Summary::default();
    for (r, rs) in request.resource_spans.iter().enumerate() {
        let ctx = translator.resource_context(otlp_resource(rs.resource.as_ref()));
        for (s, ss) in rs.scope_spans.iter().enumerate() {
            for (i, span) in ss.spans.iter().enumerate() {
                batch.clear();
                translator.translate_into(&otlp_span(span), &ctx, options, &mut ids, &mut batch);
                summary.spans += 1;
                for (_, json) in batch.documents() {
                    out.write_all(json)?;
                    out.write_all(b"\n")?;
                    summary.documents += 1;
                }
                if !batch.failures().is_empty() {
                    out.flush()?;
                }
                for failure in batch.failures() {
                    let line = FailureLine {
                        span,
                        location: [r, s, i],
                        failure,
                    };
                    let _ = writeln!(diag, "{PROGRAM}: {line}");
                    summary.failures += 1;
                }
            }
        }
    }
    out.flush()?;
    Ok(summary)
}

/// `span <id> ("<name>", resourceSpans[r].scopeSpans[s].spans[i]) not translated: <reason>`.
struct FailureLine<'a> {
    span: &'a Span,
    location: [usize; 3],
    failure: &'a Failure,
}

impl fmt::Display for FailureLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("span ")?;
        if self.span.span_id.is_empty() {
            f.write_str("<empty id>")?;
        } else {
            for b in &self.span.span_id {
                write!(f, "{b:02x}")?;
            }
        }
        let name = &self.span.name;
        match name.char_indices().nth(NAME_CHARS) {
            Some((cut, _)) => write!(f, " ({:?}…", &name[..cut])?,
            None => write!(f, " ({name:?}")?,
        }
        let [r, s, i] = self.location;
        write!(f, ", resourceSpans[{r}].scopeSpans[{s}].spans[{i}]) ")?;
        match &self.failure.reason {
            FailureReason::Span(e) => write!(f, "not translated: {e}"),
            FailureReason::Document(e) => write!(f, "document dropped: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
    use otel_xray_translate::TranslatorConfig;

    fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn span(span_id: &[u8], name: &str) -> Span {
        Span {
            trace_id: vec![0x65, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            span_id: span_id.to_vec(),
            name: name.into(),
            kind: 2,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_500_000_000,
            ..Default::default()
        }
    }

    fn run_on(spans: Vec<Span>) -> (Summary, String, String) {
        let translator = Translator::new(TranslatorConfig::default());
        let (mut out, mut diag) = (Vec::new(), Vec::new());
        let summary =
            write_documents(&translator, &request(spans), 1_700_000_000, &mut out, &mut diag).expect("writes");
        (
            summary,
            String::from_utf8(out).expect("utf-8"),
            String::from_utf8(diag).expect("utf-8"),
        )
    }

    #[test]
    fn one_line_per_document_and_per_failure() {
        let (summary, out, diag) = run_on(vec![
            span(&[1; 8], "first"),
            span(&[0; 8], "zero id"),
            span(&[], ""),
            span(&[2; 8], "last"),
        ]);
        assert_eq!(
            summary,
            Summary {
                spans: 4,
                documents: 2,
                failures: 2
            }
        );
        let ids: Vec<String> = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["id"].to_string())
            .collect();
        assert_eq!(ids, ["\"0101010101010101\"", "\"0202020202020202\""]);
        assert_eq!(
            diag,
            "otel-xray translate: span 0000000000000000 (\"zero id\", resourceSpans[0].scopeSpans[0].spans[1]) \
             not translated: invalid span id: expected 8 bytes, not all zero (got 8 bytes)\n\
             otel-xray translate: span <empty id> (\"\", resourceSpans[0].scopeSpans[0].spans[2]) \
             not translated: invalid span id: expected 8 bytes, not all zero (got 0 bytes)\n"
        );
    }

    #[test]
    fn long_names_are_cut_in_failure_lines() {
        let (_, _, diag) = run_on(vec![span(&[0; 8], &"n".repeat(100))]);
        assert!(
            diag.contains(&format!("({:?}…, resourceSpans", "n".repeat(64))),
            "{diag}"
        );
    }

    #[test]
    fn a_closed_reader_stops_the_run() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
        }
        let translator = Translator::new(TranslatorConfig::default());
        let err = write_documents(
            &translator,
            &request(vec![span(&[1; 8], "a")]),
            0,
            &mut Closed,
            &mut Vec::new(),
        )
        .expect_err("stops");
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
