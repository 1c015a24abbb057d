//! Pure retry decisions: what to do after a failed `PutTraceSegments` call, and with each
//! `UnprocessedTraceSegments` entry. The retry loop only consumes these answers.

use std::time::Duration;

/// How a `PutTraceSegments` call failed, reduced to what the retry decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// HTTP 429 or a `ThrottledException` / `ThrottlingException`.
    Throttled {
        /// A server-given wait (`Retry-After`), if any.
        retry_after: Option<Duration>,
    },
    /// Any other HTTP response with this status.
    Status(u16),
    /// The request timed out.
    Timeout,
    /// The connection could not be made or broke.
    Connection,
    /// The request could not be built or signed (bad credentials, bad endpoint): never retried.
    Construction,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after a backoff (at least `min_wait` when the server asked for one).
    Retry {
        /// A wait the server asked for.
        min_wait: Option<Duration>,
    },
    /// Do not try again.
    Permanent,
}

/// Throttling (429), 5xx, timeouts and connection errors are retried; other 4xx and
/// construction failures are not (translation.md §18.4).
pub fn classify_call(failure: &CallFailure) -> Decision {
    match failure {
        CallFailure::Throttled { retry_after } => Decision::Retry { min_wait: *retry_after },
        CallFailure::Status(429) => Decision::Retry { min_wait: None },
        CallFailure::Status(s) if (500..=599).contains(s) => Decision::Retry { min_wait: None },
        CallFailure::Timeout | CallFailure::Connection => Decision::Retry { min_wait: None },
        CallFailure::Status(_) | CallFailure::Construction => Decision::Permanent,
    }
}

/// `UnprocessedTraceSegments` entries with a throttling code (any code containing `Throttl`) or a
/// transient service failure (`InternalFailure`, `ServiceUnavailable`) are re-sent; every other
/// code (`InvalidTraceId`, `MissingParentId`, `InvalidSegment`, unknown codes) is final. X-Ray
/// publishes no complete list, so this is the project's policy (translation.md Differs (g)).
pub fn classify_unprocessed(error_code: &str) -> Decision {
    if error_code.contains("Throttl") || matches!(error_code, "InternalFailure" | "ServiceUnavailable") {
        Decision::Retry { min_wait: None }
    } else {
        Decision::Permanent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_failures() {
        let retry = Decision::Retry { min_wait: None };
        let cases = [
            (CallFailure::Throttled { retry_after: None }, retry),
            (CallFailure::Status(429), retry),
            (CallFailure::Status(500), retry),
            (CallFailure::Status(502), retry),
            (CallFailure::Status(503), retry),
            (CallFailure::Status(599), retry),
            (CallFailure::Timeout, retry),
            (CallFailure::Connection, retry),
            (CallFailure::Status(400), Decision::Permanent),
            (CallFailure::Status(403), Decision::Permanent),
            (CallFailure::Status(404), Decision::Permanent),
            (CallFailure::Status(413), Decision::Permanent),
            (CallFailure::Construction, Decision::Permanent),
        ];
        for (failure, expected) in cases {
            assert_eq!(classify_call(&failure), expected, "{failure:?}");
        }
        let wait = Some(Duration::from_secs(2));
        assert_eq!(
            classify_call(&CallFailure::Throttled { retry_after: wait }),
            Decision::Retry { min_wait: wait }
        );
    }

    #[test]
    fn unprocessed_codes() {
        for code in [
            "ThrottledException",
            "ThrottlingException",
            "Throttled",
            "InternalFailure",
            "ServiceUnavailable",
        ] {
            assert!(matches!(classify_unprocessed(code), Decision::Retry { .. }), "{code}");
        }
        for code in [
            "InvalidTraceId",
            "MissingParentId",
            "InvalidSegment",
            "MissingParam",
            "JSONFormatError",
            "",
        ] {
            assert_eq!(classify_unprocessed(code), Decision::Permanent, "{code}");
        }
    }
}
