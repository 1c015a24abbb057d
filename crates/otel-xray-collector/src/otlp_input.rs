//! Reading one OTLP trace export request from a file or stdin and decoding it, as OTLP/JSON or as
//! binary protobuf.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::otlp_json::{self, JsonError};

/// The most input read (64 MiB, 16 times the OTLP/HTTP default of the Collector); more is refused
/// rather than held in memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Where the request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl fmt::Display for InputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stdin => f.write_str("standard input"),
            Self::File(path) => write!(f, "input file '{}'", path.display()),
        }
    }
}

/// How the request is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// OTLP/JSON.
    Json,
    /// Binary protobuf.
    Protobuf,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "OTLP/JSON",
            Self::Protobuf => "OTLP protobuf",
        })
    }
}

/// Why no request could be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Opening or reading failed.
    #[error("cannot read {source_name}: {error}")]
    Read {
        /// What was read.
        source_name: InputSource,
        /// The I/O error.
        error: io::Error,
    },
    /// The input is larger than the limit.
    #[error("{source_name} is larger than {limit} bytes; split the request")]
    TooLarge {
        /// What was read.
        source_name: InputSource,
        /// The limit in bytes.
        limit: u64,
    },
    /// Nothing (or only whitespace, for JSON) was read.
    #[error("{source_name} is empty: expected an {format} ExportTraceServiceRequest")]
    Empty {
        /// What was read.
        source_name: InputSource,
        /// The expected encoding.
        format: InputFormat,
    },
    /// The JSON is malformed or does not follow the OTLP/JSON encoding.
    #[error("invalid OTLP/JSON in {source_name} at {error}{hint}")]
    Json {
        /// What was read.
        source_name: InputSource,
        /// Where and why.
        error: Box<JsonError>,
        /// A note when the input looks like protobuf, or empty.
        hint: &'static str,
    },
    /// The bytes are not a protobuf `ExportTraceServiceRequest`.
    #[error("invalid OTLP protobuf in {source_name} ({len} bytes): {error}{hint}")]
    Protobuf {
        /// What was read.
        source_name: InputSource,
        /// Bytes read.
        len: usize,
        /// prost's error, which names the message and field being decoded.
        error: prost::DecodeError,
        /// A note when the input looks like JSON, or empty.
        hint: &'static str,
    },
}

/// Reads all of `source`, refusing more than `limit` bytes.
pub fn read_input(source: &InputSource, limit: u64) -> Result<Vec<u8>, InputError> {
    let read_err = |error| InputError::Read {
        source_name: source.clone(),
        error,
    };
    let too_large = || InputError::TooLarge {
        source_name: source.clone(),
        limit,
    };
    let mut buf = Vec::new();
    match source {
        InputSource::Stdin => {
            io::stdin()
                .lock()
                .take(limit + 1)
                .read_to_end(&mut buf)
                .map_err(read_err)?;
        }
        InputSource::File(path) => {
            let file = File::open(path).map_err(read_err)?;
            let meta = file.metadata().map_err(read_err)?;
            if meta.is_file() && meta.len() > limit {
                return Err(too_large());
            }
            if meta.is_file() {
                buf.reserve_exact(meta.len() as usize);
            }
            file.take(limit + 1).read_to_end(&mut buf).map_err(read_err)?;
        }
    }
    if buf.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(buf)
}

/// Decodes `bytes` read from `source` as one `ExportTraceServiceRequest`.
///
/// Empty input is an error in both formats, although zero bytes are a valid (empty) protobuf
/// message: an empty file or pipe is almost always a mistake upstream.
pub fn decode_request(
    bytes: &[u8],
    format: InputFormat,
    source: &InputSource,
) -> Result<ExportTraceServiceRequest, InputError> {
    let blank = match format {
        InputFormat::Json => bytes.iter().all(u8::is_ascii_whitespace),
        InputFormat::Protobuf => bytes.is_empty(),
    };
    if blank {
        return Err(InputError::Empty {
            source_name: source.clone(),
            format,
        });
    }
    match format {
        InputFormat::Json => otlp_json::decode(bytes).map_err(|error| InputError::Json {
            source_name: source.clone(),
            error: Box::new(error),
            hint: if looks_like_protobuf(bytes) {
                " (the input looks like binary protobuf: add --proto)"
            } else {
                ""
            },
        }),
        InputFormat::Protobuf => ExportTraceServiceRequest::decode(bytes).map_err(|error| InputError::Protobuf {
            source_name: source.clone(),
            len: bytes.len(),
            error,
            hint: if looks_like_json(bytes) {
                " (the input looks like JSON: drop --proto)"
            } else {
                ""
            },
        }),
    }
}

/// Whether bytes that failed as JSON decode as a non-empty protobuf request (only tried on that
/// error path).
fn looks_like_protobuf(bytes: &[u8]) -> bool {
    ExportTraceServiceRequest::decode(bytes).is_ok_and(|r| !r.resource_spans.is_empty())
}

fn looks_like_json(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_json_and_zero_byte_protobuf_are_empty() {
        let src = InputSource::Stdin;
        let e = decode_request(b" \n", InputFormat::Json, &src).expect_err("empty");
        assert_eq!(
            e.to_string(),
            "standard input is empty: expected an OTLP/JSON ExportTraceServiceRequest"
        );
        let e = decode_request(b"", InputFormat::Protobuf, &src).expect_err("empty");
        assert_eq!(
            e.to_string(),
            "standard input is empty: expected an OTLP protobuf ExportTraceServiceRequest"
        );
    }

    #[test]
    fn wrong_format_gets_a_hint() {
        let src = InputSource::File("req.bin".into());
        let proto = ExportTraceServiceRequest {
            resource_spans: vec![Default::default()],
        }
        .encode_to_vec();
        let e = decode_request(&proto, InputFormat::Json, &src).expect_err("not JSON");
        assert!(
            e.to_string()
                .ends_with("(the input looks like binary protobuf: add --proto)"),
            "{e}"
        );
        let e = decode_request(b"{\"resourceSpans\":[]}", InputFormat::Protobuf, &src).expect_err("not protobuf");
        let msg = e.to_string();
        assert!(
            msg.starts_with("invalid OTLP protobuf in input file 'req.bin' (20 bytes): "),
            "{msg}"
        );
        assert!(msg.ends_with("(the input looks like JSON: drop --proto)"), "{msg}");
    }

    #[test]
    fn protobuf_decodes() {
        let req = ExportTraceServiceRequest {
            resource_spans: vec![Default::default()],
        };
        let got = decode_request(&req.encode_to_vec(), InputFormat::Protobuf, &InputSource::Stdin).expect("decodes");
        assert_eq!(got, req);
    }
}
