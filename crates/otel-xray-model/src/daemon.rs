//! The X-Ray daemon's UDP framing: a JSON header line, a newline, then one segment document.

use serde::Deserialize;

use crate::limits::{DAEMON_HEADER, MAX_DAEMON_DATAGRAM_BYTES};

/// Why a datagram is not a valid daemon datagram.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaemonFrameError {
    /// No newline separates a header from a document.
    #[error("datagram has no header line (no newline found)")]
    MissingHeader,
    /// The header line is not `{"format":"json","version":1}` or an equivalent JSON object.
    #[error("invalid daemon header: {reason}")]
    InvalidHeader {
        /// What was wrong.
        reason: String,
    },
    /// Nothing follows the header line.
    #[error("datagram has a header but no segment document")]
    EmptyBody,
    /// The framed datagram would exceed the UDP payload limit.
    #[error("datagram of {size} bytes exceeds the {MAX_DAEMON_DATAGRAM_BYTES}-byte UDP limit")]
    TooLarge {
        /// Size of the whole datagram.
        size: usize,
    },
}

/// Appends one datagram (canonical header, newline, document) to `out`.
pub fn frame_into(document: &[u8], out: &mut Vec<u8>) -> Result<(), DaemonFrameError> {
    let size = DAEMON_HEADER.len() + 1 + document.len();
    if size > MAX_DAEMON_DATAGRAM_BYTES {
        return Err(DaemonFrameError::TooLarge { size });
    }
    out.reserve(size);
    out.extend_from_slice(DAEMON_HEADER.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(document);
    Ok(())
}

/// Checks a received datagram's header and returns the document bytes after it.
///
/// As in the daemon, the header must be a JSON object whose `format` is `json` (any case) and
/// whose `version` is 1; the document itself is not examined here.
pub fn split_datagram(datagram: &[u8]) -> Result<&[u8], DaemonFrameError> {
    #[derive(Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        format: Option<std::borrow::Cow<'a, str>>,
        version: Option<i64>,
    }
    let nl = datagram
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(DaemonFrameError::MissingHeader)?;
    let (head, body) = (&datagram[..nl], &datagram[nl + 1..]);
    let header: Header<'_> =
        serde_json::from_slice(head).map_err(|e| DaemonFrameError::InvalidHeader { reason: e.to_string() })?;
    if !header.format.as_deref().is_some_and(|f| f.eq_ignore_ascii_case("json")) {
        return Err(DaemonFrameError::InvalidHeader {
            reason: "format is not \"json\"".into(),
        });
    }
    if header.version != Some(1) {
        return Err(DaemonFrameError::InvalidHeader {
            reason: "version is not 1".into(),
        });
    }
    let body = body.trim_ascii();
    if body.is_empty() {
        return Err(DaemonFrameError::EmptyBody);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_splits() {
        let mut out = Vec::new();
        frame_into(br#"{"name":"a"}"#, &mut out).unwrap();
        assert_eq!(out, b"{\"format\":\"json\",\"version\":1}\n{\"name\":\"a\"}");
        assert_eq!(split_datagram(&out).unwrap(), br#"{"name":"a"}"#);
    }

    #[test]
    fn accepts_the_spaced_header_of_other_clients() {
        let d = b"{\"format\": \"JSON\", \"version\": 1}\n{}";
        assert_eq!(split_datagram(d).unwrap(), b"{}");
    }

    #[test]
    fn rejects_bad_datagrams() {
        assert_eq!(split_datagram(b"garbage"), Err(DaemonFrameError::MissingHeader));
        assert!(matches!(
            split_datagram(b"nope\n{}"),
            Err(DaemonFrameError::InvalidHeader { .. })
        ));
        assert!(matches!(
            split_datagram(b"{\"format\":\"json\",\"version\":2}\n{}"),
            Err(DaemonFrameError::InvalidHeader { .. })
        ));
        assert_eq!(
            split_datagram(b"{\"format\":\"json\",\"version\":1}\n"),
            Err(DaemonFrameError::EmptyBody)
        );
        let big = vec![b'x'; MAX_DAEMON_DATAGRAM_BYTES];
        assert!(matches!(
            frame_into(&big, &mut Vec::new()),
            Err(DaemonFrameError::TooLarge { .. })
        ));
    }
}
