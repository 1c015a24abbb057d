//! Translation options (`translation.md` §17.2) with the spec's defaults.

use serde::Deserialize;

/// Which generation of semantic-convention keys to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConventionReading {
    /// Read the older (v0) keys.
    pub read_v0: bool,
    /// Read the newer (v1) keys that are off by default.
    pub read_v1: bool,
}

impl Default for ConventionReading {
    fn default() -> Self {
        Self {
            read_v0: true,
            read_v1: false,
        }
    }
}

/// How spans become segment documents. The defaults are those of `translation.md` §17.2.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TranslatorConfig {
    /// Span attribute names (or `otel.resource.<name>`) written as annotations.
    pub indexed_attributes: Vec<String>,
    /// Every scalar span attribute (and, on segments, resource attribute) becomes an annotation;
    /// non-scalar span attributes are then dropped.
    pub index_all_attributes: bool,
    /// Fallback CloudWatch log-group names for `aws.cloudwatch_logs`.
    pub aws_log_groups: Vec<String>,
    /// Keep `.` in annotation keys (otherwise it becomes `_`).
    pub annotation_keys_allow_dot: bool,
    /// Reject trace ids whose epoch is more than 28 days old or 5 minutes ahead.
    pub validate_trace_id_timestamp: bool,
    /// HTTP and network keys to read.
    pub http_conventions: ConventionReading,
    /// Database keys to read.
    pub db_conventions: ConventionReading,
    /// Keep non-exception span events in `metadata.default["otel.events"]`.
    pub preserve_span_events: bool,
}

impl Default for TranslatorConfig {
    fn default() -> Self {
        Self {
            indexed_attributes: Vec::new(),
            index_all_attributes: false,
            aws_log_groups: Vec::new(),
            annotation_keys_allow_dot: true,
            validate_trace_id_timestamp: false,
            http_conventions: ConventionReading::default(),
            db_conventions: ConventionReading::default(),
            preserve_span_events: true,
        }
    }
}

/// A sorted set of indexed attribute names, looked up without hashing.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet(Vec<String>);

impl KeySet {
    pub(crate) fn new(keys: &[String]) -> Self {
        let mut v = keys.to_vec();
        v.sort();
        v.dedup();
        Self(v)
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        !self.0.is_empty() && self.0.binary_search_by(|k| k.as_str().cmp(key)).is_ok()
    }

    /// Whether some key starts with `prefix`.
    pub(crate) fn any_with_prefix(&self, prefix: &str) -> bool {
        self.0.iter().any(|k| k.starts_with(prefix))
    }
}
