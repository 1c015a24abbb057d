//! Why a filter expression was refused.
//!
//! Every variant carries the byte offset into the expression where the problem starts, and
//! its `Display` is a full sentence: the API layer hands it to the user unchanged as the
//! message of an `InvalidRequestException`.

/// What Local X-Ray accepts, appended to the messages for keywords it does not know or
/// does not implement so the user can see what to write instead.
pub(crate) const SUPPORTED: &str = "Local X-Ray supports ok, error, fault, throttle, partial, \
responsetime, duration, http.status, http.url, http.method, http.useragent, http.clientip, \
user, name, type, message, annotation.<key>, annotation[<key>], service(...) { ... } (with ok, \
error, fault, throttle, root, inferred, responsetime, http.*, name and type applying to the node) \
and edge(...) { ... } (with ok, error, fault, throttle and responsetime applying to the edge)";

/// A filter expression that could not be parsed, or that uses something Local X-Ray does not
/// implement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The expression is longer than [`MAX_INPUT_BYTES`](super::MAX_INPUT_BYTES).
    #[error("filter expression is {len} bytes long; the limit is {max} bytes")]
    TooLong {
        /// The expression's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Parentheses, `!` and `service`/`edge` blocks nest deeper than
    /// [`MAX_DEPTH`](super::MAX_DEPTH).
    #[error("filter expression nests deeper than {max} levels at position {position}")]
    TooDeep {
        /// Byte offset of the token that went one level too deep.
        position: usize,
        /// The limit.
        max: usize,
    },
    /// A token other than the grammar allows at this point.
    #[error("syntax error in filter expression at position {position}: expected {expected}, found {found}")]
    Syntax {
        /// Byte offset of the offending token.
        position: usize,
        /// What the parser would have accepted, e.g. `a number`.
        expected: String,
        /// The offending token, e.g. `"abc"` or `end of expression`.
        found: String,
    },
    /// A character that starts no token.
    #[error("unexpected character {character:?} in filter expression at position {position}")]
    UnexpectedCharacter {
        /// Byte offset of the character.
        position: usize,
        /// The character.
        character: char,
    },
    /// A `"` with no closing `"`.
    #[error(
        "unterminated string in filter expression: the string starting at position {position} has no closing double quote"
    )]
    UnterminatedString {
        /// Byte offset of the opening quote.
        position: usize,
    },
    /// A number that is malformed or out of range.
    #[error("invalid number {text:?} in filter expression at position {position}")]
    InvalidNumber {
        /// Byte offset of the number.
        position: usize,
        /// The number as written.
        text: String,
    },
    /// A word that is no X-Ray filter keyword at all.
    #[error("unknown filter keyword {keyword:?} at position {position}: {SUPPORTED}")]
    UnknownKeyword {
        /// Byte offset of the keyword.
        position: usize,
        /// The keyword as written.
        keyword: String,
    },
    /// A real X-Ray filter feature that Local X-Ray does not implement (`rootcause.*`,
    /// `group.name`, `json`, `availabilityzone`, `root` outside `service() {}`, …).
    #[error("unsupported filter keyword {what:?} at position {position}: {SUPPORTED}")]
    Unsupported {
        /// The keyword or construct, as written.
        what: String,
        /// Byte offset where it starts.
        position: usize,
    },
    /// A keyword X-Ray itself refuses in this place, such as `annotation.<key>` inside a
    /// `service() { … }` block.
    #[error("filter keyword {keyword:?} at position {position} cannot be used {place}")]
    NotAllowedHere {
        /// Byte offset of the keyword.
        position: usize,
        /// The keyword as written.
        keyword: String,
        /// Where it was used, e.g. `inside a service() or edge() block`.
        place: &'static str,
    },
}

impl FilterError {
    /// The byte offset into the expression where the problem starts (0 for
    /// [`FilterError::TooLong`]).
    pub fn position(&self) -> usize {
        match self {
            Self::TooLong { .. } => 0,
            Self::TooDeep { position, .. }
            | Self::Syntax { position, .. }
            | Self::UnexpectedCharacter { position, .. }
            | Self::UnterminatedString { position }
            | Self::InvalidNumber { position, .. }
            | Self::UnknownKeyword { position, .. }
            | Self::Unsupported { position, .. }
            | Self::NotAllowedHere { position, .. } => *position,
        }
    }
}
