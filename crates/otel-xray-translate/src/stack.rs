//! Stack-trace parsing (translation spec §8.3).
//!
//! [`parse_stack`] turns the text of an `exception.stacktrace` event attribute into X-Ray stack frames,
//! with one parser per `telemetry.sdk.language`. The type and message of the first exception come from
//! the event attributes, so the parsers only return its frames, plus any further exceptions the text
//! chains after it (Java `Caused by:`, Python "During handling of the above exception ...").
//!
//! Conventions shared by every parser:
//!
//! * Everything is borrowed from the input. The only allocation besides the frame vectors happens when
//!   a Java `Caused by:` message continues on further lines (they are appended without a separator).
//!   A Python message block is a run of whole lines of the input, so its `"\n"`-joined form is a slice
//!   of the input and is borrowed too.
//! * Lines are split as the reference's line reader does (Java, JavaScript, .NET, Go): on `\n`, with
//!   one `\r` before the `\n` removed, and no empty line after a final `\n` (see [`Lines`]). Python
//!   splits on `\n` only, keeping a trailing empty line, as §8.3 says.
//! * Searches use small word-at-a-time helpers ([`find_byte`], [`rfind_byte`], [`find_str`]) rather
//!   than `str::find`, whose generic searchers cost more to set up than stack lines take to scan.
//! * Line numbers are read like Go's `strconv.Atoi`, which the reference uses (see [`go_atoi`]).
//! * Every slice is taken at an ASCII delimiter the code has just found, or through `char`-aware
//!   helpers, so no input can make an index land inside a UTF-8 sequence; nothing here can panic.
//! * No regex crate is used: the two Go patterns of §8.3 are matched by hand (see
//!   [`is_running_header`] and [`find_path_line`]).

use std::borrow::Cow;

use otel_xray_model::StackFrame;

/// A further exception found in the stack text (Java `Caused by:`, Python chained exceptions).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChainedException<'a> {
    /// The exception type, as written in the stack text.
    pub kind: Cow<'a, str>,
    /// The exception message, as written in the stack text.
    pub message: Cow<'a, str>,
    /// The frames that belong to this exception (may be empty).
    pub stack: Vec<StackFrame<'a>>,
}

/// What a stack text yields: the frames of the first (outer) exception, whose type and message come
/// from the event attributes (never from the stack text), and the chained exceptions that follow it, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ParsedStack<'a> {
    /// Frames of the first exception, the one described by the event attributes.
    pub frames: Vec<StackFrame<'a>>,
    /// Exceptions chained after the first one, in list order (each is the `cause` of the one before).
    pub chained: Vec<ChainedException<'a>>,
}

/// Parses `stacktrace` with the parser that §8.3 assigns to `language`.
///
/// `language` is the resource attribute `telemetry.sdk.language` (java, php, python, javascript,
/// nodejs, webjs, dotnet, go; anything else gives no frames). An empty text gives an empty result.
/// Never panics.
pub(crate) fn parse_stack<'a>(language: &str, stacktrace: &'a str) -> ParsedStack<'a> {
    if stacktrace.is_empty() {
        return ParsedStack::default();
    }
    match language {
        "java" | "php" => parse_java(stacktrace),
        "python" => parse_python(stacktrace),
        "javascript" | "nodejs" | "webjs" => parse_javascript(stacktrace),
        "dotnet" => parse_dotnet(stacktrace),
        "go" => parse_go(stacktrace),
        _ => ParsedStack::default(),
    }
}

/// Builds a borrowed frame.
fn frame<'a>(path: &'a str, line: i64, label: &'a str) -> StackFrame<'a> {
    StackFrame {
        path: Cow::Borrowed(path),
        line,
        label: Cow::Borrowed(label),
    }
}

/// The frame list that new frames go to: that of the last chained exception, or the first exception's.
fn target<'s, 'a>(out: &'s mut ParsedStack<'a>) -> &'s mut Vec<StackFrame<'a>> {
    match out.chained.last_mut() {
        Some(chained) => &mut chained.stack,
        None => &mut out.frames,
    }
}

/// Reads an integer the way Go's `strconv.Atoi` does on a 64-bit platform, with the error ignored as
/// the reference does (`n, _ := strconv.Atoi(s)`).
///
/// * An optional `+` or `-`, then one or more ASCII digits; anything else is a syntax error and gives 0.
/// * On overflow Go returns the saturated value together with its range error, and the reference keeps
///   it: `i64::MAX` or `i64::MIN`. Like Go, the digits are checked and accumulated left to right, so an
///   overflow is reported as soon as it happens, before any later non-digit is seen.
///
/// It works on bytes so that callers may cut the text anywhere, as the reference's byte offsets do.
fn go_atoi(text: &[u8]) -> i64 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return 0;
    }
    let mut value: u64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return 0;
        }
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(byte - b'0')))
        {
            Some(v) => value = v,
            None => return if negative { i64::MIN } else { i64::MAX },
        }
    }
    if negative {
        // `0 - value` fits exactly when value <= 2^63; beyond that Go saturates.
        0i64.checked_sub_unsigned(value).unwrap_or(i64::MIN)
    } else {
        i64::try_from(value).unwrap_or(i64::MAX)
    }
}

/// Splits `Type: message` at the first `:`.
///
/// The message is the text starting two characters after the colon (the reference skips the colon and
/// the space that normally follows it, whatever that character is). When the text ends at or one
/// character after the colon, the message is empty; the reference crashes in the first case.
fn split_at_colon(text: &str) -> Option<(&str, &str)> {
    let colon = find_byte(text, b':')?;
    let mut after = text[colon + 1..].chars();
    after.next();
    Some((&text[..colon], after.as_str()))
}

// Byte search, eight bytes at a time. Lines of stack traces are short, and on them the generic `char`
// and `&str` searchers behind `str::find` spend more on set-up than on searching. All needles are
// ASCII, and an ASCII byte never occurs inside a multi-byte UTF-8 sequence, so every offset returned
// (and the offset after it) is a char boundary.

/// `0x7f` in every byte of a word.
const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// Each byte of `word` that is zero gets its high bit set, every other byte becomes zero. Exact per byte
/// (no carry crosses a byte), so both the lowest and the highest hit can be trusted.
fn zero_bytes(word: u64) -> u64 {
    !(((word & LOW_SEVEN).wrapping_add(LOW_SEVEN)) | word | LOW_SEVEN)
}

/// `byte` repeated in every byte of a word.
fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// Offset of the first `byte` (ASCII) in `text`.
fn find_byte(text: &str, byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let pattern = splat(byte);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let Ok(array) = <[u8; 8]>::try_from(chunk) else { break };
        let hits = zero_bytes(u64::from_le_bytes(array) ^ pattern);
        if hits != 0 {
            return Some(offset + (hits.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| b == byte).map(|at| offset + at)
}

/// Offset of the last `byte` (ASCII) in `text`.
fn rfind_byte(text: &str, byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let pattern = splat(byte);
    let mut chunks = bytes.rchunks_exact(8);
    let mut end = bytes.len();
    for chunk in &mut chunks {
        end -= 8;
        let Ok(array) = <[u8; 8]>::try_from(chunk) else { break };
        let hits = zero_bytes(u64::from_le_bytes(array) ^ pattern);
        if hits != 0 {
            return Some(end + 7 - (hits.leading_zeros() / 8) as usize);
        }
    }
    chunks.remainder().iter().rposition(|&b| b == byte)
}

/// Offset of the first occurrence of `needle` (non-empty, ASCII first byte) in `text`.
fn find_str(text: &str, needle: &str) -> Option<usize> {
    let first = *needle.as_bytes().first()?;
    let mut from = 0;
    while let Some(at) = find_byte(&text[from..], first) {
        let at = from + at;
        if text.as_bytes()[at..].starts_with(needle.as_bytes()) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Lines as the reference's line reader (Go `textproto.Reader.ReadLine`) returns them: split on `\n`,
/// one `\r` before the `\n` removed, no empty line after a final `\n`, and a bare `\r` at the very end
/// kept. That is exactly [`str::lines`], with the cheaper byte search. Keeps returning `None` once done.
struct Lines<'a>(&'a str);

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.0.is_empty() {
            return None;
        }
        Some(match find_byte(self.0, b'\n') {
            Some(newline) => {
                let line = &self.0[..newline];
                self.0 = &self.0[newline + 1..];
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => std::mem::take(&mut self.0),
        })
    }
}

/// Appends `piece` to `message` without a separator, staying borrowed while at most one non-empty
/// piece is involved.
fn append<'a>(message: &mut Cow<'a, str>, piece: &'a str) {
    if piece.is_empty() {
        return;
    }
    if message.is_empty() {
        *message = Cow::Borrowed(piece);
    } else {
        message.to_mut().push_str(piece);
    }
}

// ---------------------------------------------------------------------------------------------------
// Java / PHP
// ---------------------------------------------------------------------------------------------------

/// Java and PHP stack traces (`Throwable.printStackTrace` format).
///
/// Single pass over the lines after the first. A `Caused by: ` line opens a chained exception whose
/// message then absorbs every following line up to the next frame line, which is processed as a frame
/// of that new exception.
fn parse_java(text: &str) -> ParsedStack<'_> {
    let mut out = ParsedStack::default();
    let mut collecting_message = false;
    for line in Lines(text).skip(1) {
        if let Some(frame) = java_frame(line) {
            collecting_message = false;
            target(&mut out).push(frame);
        } else if collecting_message {
            if let Some(chained) = out.chained.last_mut() {
                append(&mut chained.message, line);
            }
        } else if let Some(rest) = line.strip_prefix("Caused by: ") {
            let (kind, message) = split_at_colon(rest).unwrap_or((rest, ""));
            out.chained.push(ChainedException {
                kind: Cow::Borrowed(kind),
                message: Cow::Borrowed(message),
                stack: Vec::new(),
            });
            collecting_message = true;
        }
        // Anything else (`... N more`, `Suppressed:` blocks, malformed frames) is skipped.
    }
    out
}

/// A Java frame line: a tab, `at `, a `(` somewhere and `)` as the last character.
fn java_frame(line: &str) -> Option<StackFrame<'_>> {
    let rest = line.strip_prefix("\tat ")?.strip_suffix(')')?;
    let paren = find_byte(rest, b'(')?;
    let label = &rest[..paren];
    // A module or class-loader prefix (`java.base/`, `app//`) ends at the first `/`.
    let label = find_byte(label, b'/').map_or(label, |slash| &label[slash + 1..]);
    let inside = &rest[paren + 1..];
    Some(match find_byte(inside, b':') {
        Some(colon) => frame(&inside[..colon], go_atoi(&inside.as_bytes()[colon + 1..]), label),
        None => frame(inside, 0, label),
    })
}

// ---------------------------------------------------------------------------------------------------
// Python
// ---------------------------------------------------------------------------------------------------

/// The line that separates two chained Python tracebacks.
const PYTHON_DURING_HANDLING: &str = "During handling of the above exception, another exception occurred:";

/// A Python frame line starts with this.
const PYTHON_FILE: &str = "  File ";

/// Start (byte offset) of the line that ends at `end`, where `end` is `text.len()` or the offset of a `\n`.
fn line_start(text: &str, end: usize) -> usize {
    rfind_byte(&text[..end], b'\n').map_or(0, |newline| newline + 1)
}

/// Python tracebacks (`traceback.format_exception` format), walked backwards from the second-to-last
/// `\n`-separated line so that frames come out innermost first.
///
/// Lines are located with a backwards cursor of byte offsets instead of a collected line list; the
/// look-back of a chained exception resumes the walk at the `  File ` line it found, so every line is
/// visited at most once.
fn parse_python(text: &str) -> ParsedStack<'_> {
    let mut out = ParsedStack::default();
    // The last piece is the `Type: message` line and is never visited; without a `\n` there is
    // nothing else.
    let Some(mut end) = rfind_byte(text, b'\n') else {
        return out;
    };
    loop {
        let start = line_start(text, end);
        let line = &text[start..end];
        if line.starts_with(PYTHON_FILE) {
            if let Some(frame) = python_frame(line) {
                target(&mut out).push(frame);
            }
        } else if line.starts_with(PYTHON_DURING_HANDLING) {
            let Some((kind, message, file_line_end)) = python_chained(text, start) else {
                return out;
            };
            out.chained.push(ChainedException {
                kind: Cow::Borrowed(kind),
                message: Cow::Borrowed(message),
                stack: Vec::new(),
            });
            // Continue with the `  File ` line found, which becomes a frame of the new exception.
            end = file_line_end;
            continue;
        }
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    out
}

/// Handles a "During handling ..." line *i* that starts at `during_start`.
///
/// Looks backwards for the nearest `  File ` line *j*. The message block is lines *j*+2 to *i*−2
/// inclusive joined with `\n`, which is the input slice from the start of line *j*+2 to the end of line
/// *i*−2 (empty when *j*+2 > *i*−2; the reference crashes when *j*+2 > *i*−1). Returns the type, the
/// message and the end offset of line *j*, or `None` (stop parsing) when there is no `  File ` line or
/// the block has no `:`.
fn python_chained(text: &str, during_start: usize) -> Option<(&str, &str, usize)> {
    let mut below_start = during_start; // start of the line just below the one visited next
    let mut distance = 0usize; // i - k for the visited line k
    let mut block_end = 0usize; // end of line i-2, set once it has been visited
    let mut start_plus_1 = during_start; // start of line k+1
    let mut start_plus_2 = during_start; // start of line k+2
    loop {
        if below_start == 0 {
            return None;
        }
        let end = below_start - 1;
        let start = line_start(text, end);
        distance += 1;
        if distance == 2 {
            block_end = end;
        }
        if text[start..end].starts_with(PYTHON_FILE) {
            let block = if distance >= 4 {
                &text[start_plus_2..block_end]
            } else {
                ""
            };
            let (kind, message) = split_at_colon(block)?;
            return Some((kind, message, end));
        }
        start_plus_2 = start_plus_1;
        start_plus_1 = start;
        below_start = start;
    }
}

/// A Python frame line: `  File "<path>", line <n>, in <label>`, which must split into exactly three
/// parts on `,`.
fn python_frame(line: &str) -> Option<StackFrame<'_>> {
    let first_comma = find_byte(line, b',')?;
    let file = &line[..first_comma];
    let rest = &line[first_comma + 1..];
    let second_comma = find_byte(rest, b',')?;
    let (number, label) = (&rest[..second_comma], &rest[second_comma + 1..]);
    if find_byte(label, b',').is_some() {
        return None;
    }
    // The reference cuts the 8 bytes of `  File "` and the last byte (the closing quote) whatever they
    // are. Cutting one character after `  File ` and the last character is the same on every input
    // where the reference neither crashes nor produces invalid UTF-8.
    let mut path = file.get(PYTHON_FILE.len()..).unwrap_or("").chars();
    path.next();
    path.next_back();
    let line = number.strip_prefix(" line ").map_or(0, |n| go_atoi(n.as_bytes()));
    let label = label.strip_prefix(" in ").unwrap_or("");
    Some(frame(path.as_str(), line, label))
}

// ---------------------------------------------------------------------------------------------------
// JavaScript / Node
// ---------------------------------------------------------------------------------------------------

/// V8 stack traces (Node.js and browsers).
fn parse_javascript(text: &str) -> ParsedStack<'_> {
    let mut out = ParsedStack::default();
    out.frames.extend(Lines(text).skip(1).filter_map(javascript_frame));
    out
}

/// A JavaScript frame line: four spaces and `at `, then `label (path)` or a bare `path`.
fn javascript_frame(line: &str) -> Option<StackFrame<'_>> {
    let rest = line.strip_prefix("    at ")?;
    let (label, mut path) = match (find_byte(rest, b'('), rest.strip_suffix(')')) {
        // The label keeps the space before `(`. The `(` found is not the final `)`, so it is in `inner`.
        (Some(paren), Some(inner)) => (&inner[..paren], &inner[paren + 1..]),
        (Some(_), None) => ("", ""),
        (None, _) => ("", rest),
    };
    let mut number = 0;
    match find_byte(path, b':') {
        Some(first) => {
            if let Some(second) = find_byte(&path[first + 1..], b':') {
                number = go_atoi(&path.as_bytes()[first + 1..first + 1 + second]);
                path = &path[..first];
            }
        }
        None if find_str(path, "native").is_some() => path = "native",
        None => {}
    }
    (!path.is_empty() || !label.is_empty() || number != 0).then(|| frame(path, number, label))
}

// ---------------------------------------------------------------------------------------------------
// .NET
// ---------------------------------------------------------------------------------------------------

/// .NET stack traces (`Exception.ToString` format). `--- End of ... ---` and ` ---> ...` lines do not
/// start with `at ` once trimmed, so they are skipped like any other line.
fn parse_dotnet(text: &str) -> ParsedStack<'_> {
    let mut out = ParsedStack::default();
    out.frames.extend(Lines(text).skip(1).filter_map(dotnet_frame));
    out
}

/// A .NET frame line: `at <method>[ in <file>:line <n>]`, after trimming white space (the same
/// Unicode `White_Space` set as Go's `strings.TrimSpace`).
fn dotnet_frame(line: &str) -> Option<StackFrame<'_>> {
    let line = line.trim();
    if !line.starts_with("at ") {
        return None;
    }
    if let Some(in_at) = find_str(line, " in ") {
        // Part 1 after `at `. For `at in …` the two markers share a space; the reference crashes there.
        let label = line.get(3..in_at).unwrap_or("");
        // Part 2 runs to the next ` in `, if any.
        let after = &line[in_at + 4..];
        let mut path = find_str(after, " in ").map_or(after, |next| &after[..next]);
        let mut number = 0;
        if let Some(colon) = rfind_byte(path, b':') {
            let digits = &path.as_bytes()[colon + 1..];
            // `line 57` (or `line` plus any one byte): the reference removes five bytes.
            let digits = if digits.starts_with(b"line") {
                digits.get(5..).unwrap_or_default()
            } else {
                digits
            };
            number = go_atoi(digits);
            path = &path[..colon];
        }
        Some(frame(path, number, label))
    } else {
        // `at ` is three bytes and cannot hold a `)`, so `close >= 3`.
        let close = rfind_byte(line, b')')?;
        Some(frame("", 0, &line[3..=close]))
    }
}

// ---------------------------------------------------------------------------------------------------
// Go
// ---------------------------------------------------------------------------------------------------

/// Go stack traces (`runtime.Stack` / `debug.Stack` format): a function line followed by a
/// `\t<file>:<line> +0x…` line, repeated.
fn parse_go(text: &str) -> ParsedStack<'_> {
    let mut out = ParsedStack::default();
    let mut lines = Lines(text);
    // The first line is the `goroutine N [running]:` header.
    if lines.next().is_none() {
        return out;
    }
    let Some(mut line) = lines.next() else {
        return out;
    };
    // Reused when a location line does not match, as the reference does.
    let (mut path, mut number) = ("", 0);
    loop {
        if is_running_header(line) {
            line = lines.next().unwrap_or("");
        }
        let label = line;
        if let Some((found_path, found_number)) = find_path_line(lines.next().unwrap_or("")) {
            path = found_path;
            number = found_number;
        }
        out.frames.push(frame(path, number, label));
        match lines.next() {
            Some(next) => line = next,
            None => break,
        }
    }
    out
}

/// Whether `b` is in RE2's ASCII `\w` class, which decides `\b`.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Hand-written equivalent of the Go regex `^goroutine.*\brunning\b.*:$` (no regex crate here).
///
/// The line starts with `goroutine`, ends with `:`, and contains `running` between them with a
/// non-word character (RE2's ASCII `\w`) or the colon on each side. `running` cannot touch `goroutine`
/// (its `e` is a word character), and `.` matches everything since a line holds no `\n`.
fn is_running_header(line: &str) -> bool {
    const PREFIX: &str = "goroutine";
    const WORD: &str = "running";
    if !line.starts_with(PREFIX) || !line.ends_with(':') {
        return false;
    }
    let bytes = line.as_bytes();
    let colon = bytes.len() - 1;
    let mut from = PREFIX.len();
    // `from` is always just after an ASCII byte, hence a char boundary.
    while let Some(offset) = find_str(&line[from..], WORD) {
        let at = from + offset;
        let after = at + WORD.len();
        if after > colon {
            return false;
        }
        // `at >= PREFIX.len() >= 1` and `after <= colon < bytes.len()`.
        if !is_word_byte(bytes[at - 1]) && !is_word_byte(bytes[after]) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Whether `b` is a delimiter for `[^:\s]`: `:` or RE2's ASCII `\s` (`[\t\n\f\r ]`).
fn is_path_delimiter(b: u8) -> bool {
    matches!(b, b':' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Hand-written equivalent of the leftmost match of the Go regex `([^:\s]+):(\d+)` (no regex crate
/// here), returning the path and the line number.
///
/// A match starting inside a maximal run of `[^:\s]` characters can only continue at the run's end, so
/// it is enough to test each run once: the run must be followed by `:` and an ASCII digit; the digits
/// then extend as far as possible. Runs and digits are delimited by ASCII bytes, so the slices fall on
/// char boundaries.
fn find_path_line(line: &str) -> Option<(&str, i64)> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if is_path_delimiter(bytes[i]) {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < bytes.len() && !is_path_delimiter(bytes[i]) {
            i += 1;
        }
        if bytes.get(i) == Some(&b':') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let digits = &bytes[i + 1..];
            let len = digits.iter().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
            return Some((&line[run_start..i], go_atoi(&digits[..len])));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Python chaining line, for `concat!`.
    macro_rules! during {
        () => {
            "During handling of the above exception, another exception occurred:"
        };
    }

    fn f(path: &'static str, line: i64, label: &'static str) -> StackFrame<'static> {
        frame(path, line, label)
    }

    fn chained(
        kind: &'static str,
        message: &'static str,
        stack: Vec<StackFrame<'static>>,
    ) -> ChainedException<'static> {
        ChainedException {
            kind: Cow::Borrowed(kind),
            message: Cow::Borrowed(message),
            stack,
        }
    }

    const ALL_LANGUAGES: [&str; 10] = [
        "java",
        "php",
        "python",
        "javascript",
        "nodejs",
        "webjs",
        "dotnet",
        "go",
        "ruby",
        "",
    ];

    /// Every frame field and every chained type is a slice of the input (or a literal).
    fn assert_borrowed(parsed: &ParsedStack<'_>) {
        let frames = parsed
            .frames
            .iter()
            .chain(parsed.chained.iter().flat_map(|c| c.stack.iter()));
        for fr in frames {
            assert!(matches!(fr.path, Cow::Borrowed(_)), "{fr:?}");
            assert!(matches!(fr.label, Cow::Borrowed(_)), "{fr:?}");
        }
        for c in &parsed.chained {
            assert!(matches!(c.kind, Cow::Borrowed(_)), "{c:?}");
        }
    }

    // ------------------------------------------------------------------ dispatch

    #[test]
    fn empty_text_gives_nothing_for_every_language() {
        for language in ALL_LANGUAGES {
            assert_eq!(parse_stack(language, ""), ParsedStack::default(), "{language}");
        }
    }

    #[test]
    fn unknown_language_gives_no_frames() {
        let java = "java.lang.Exception: x\n\tat a.B.c(B.java:1)\n";
        assert_eq!(parse_stack("java", java).frames.len(), 1);
        for language in ["ruby", "rust", "Java", "JAVA", "cpp", "erlang", "swift", ""] {
            assert_eq!(parse_stack(language, java), ParsedStack::default(), "{language}");
        }
    }

    #[test]
    fn language_aliases_pick_the_same_parser() {
        let java = "E: x\n\tat a.B.c(B.java:1)\n";
        assert_eq!(parse_stack("php", java), parse_stack("java", java));
        let js = "Error: x\n    at f (/a.js:1:2)\n";
        let expected = parse_stack("javascript", js);
        assert_eq!(expected.frames, vec![f("/a.js", 1, "f ")]);
        assert_eq!(parse_stack("nodejs", js), expected);
        assert_eq!(parse_stack("webjs", js), expected);
    }

    // ------------------------------------------------------------------ byte search

    #[test]
    fn byte_search_matches_std() {
        // Every length up to 40 and every needle position, around multi-byte text and needle-like
        // bytes (0x80 | b, b + 1, b ^ 1) that a faulty word trick would confuse.
        let fillers = ["a", "é", "\u{1F600}", "\u{7f}", "\u{80}", "\u{ff}"];
        for needle in [b'\n', b'(', b')', b':', b'/', b' ', b'\0', b'\x7f', b'\x01'] {
            let near = [needle ^ 1, needle.wrapping_add(1), needle.wrapping_sub(1)];
            for filler in fillers {
                for len in 0..40 {
                    let base: String = std::iter::repeat_n(filler, len).collect();
                    let mut texts = vec![base.clone()];
                    for (at, _) in base.char_indices().chain(std::iter::once((base.len(), ' '))) {
                        for inserted in [needle].iter().chain(near.iter().filter(|b| b.is_ascii())) {
                            let mut text = base.clone();
                            text.insert(at, char::from(*inserted));
                            texts.push(text.clone());
                            text.insert(0, char::from(needle));
                            texts.push(text);
                        }
                    }
                    for text in &texts {
                        let c = char::from(needle);
                        assert_eq!(find_byte(text, needle), text.find(c), "{text:?} {needle}");
                        assert_eq!(rfind_byte(text, needle), text.rfind(c), "{text:?} {needle}");
                    }
                }
            }
        }
        for (text, needle) in [
            ("at A() in B in C", " in "),
            ("  i in", " in "),
            ("", " in "),
            (" in", " in "),
            ("xx   in ", " in "),
            ("runnin running", "running"),
            ("é native", "native"),
            ("nativ", "native"),
            ("abc", ""),
        ] {
            let expected = if needle.is_empty() { None } else { text.find(needle) };
            assert_eq!(find_str(text, needle), expected, "{text:?} {needle:?}");
        }
    }

    // ------------------------------------------------------------------ go_atoi

    #[test]
    fn go_atoi_matches_strconv_atoi() {
        assert_eq!(go_atoi(b"0"), 0);
        assert_eq!(go_atoi(b"42"), 42);
        assert_eq!(go_atoi(b"+42"), 42);
        assert_eq!(go_atoi(b"-42"), -42);
        assert_eq!(go_atoi(b"007"), 7);
        for bad in [
            &b""[..],
            b"+",
            b"-",
            b" 1",
            b"1 ",
            b"1a",
            b"0x10",
            b"1_000",
            b"--1",
            b"\xA95",
        ] {
            assert_eq!(go_atoi(bad), 0, "{bad:?}");
        }
        assert_eq!(go_atoi(b"9223372036854775807"), i64::MAX);
        assert_eq!(go_atoi(b"9223372036854775808"), i64::MAX);
        assert_eq!(go_atoi(b"-9223372036854775808"), i64::MIN);
        assert_eq!(go_atoi(b"-9223372036854775809"), i64::MIN);
        assert_eq!(go_atoi(b"99999999999999999999999"), i64::MAX);
        assert_eq!(go_atoi(b"-99999999999999999999999"), i64::MIN);
        // Go reports the overflow before it sees the later non-digit, but not a non-digit before it.
        assert_eq!(go_atoi(b"99999999999999999999x"), i64::MAX);
        assert_eq!(go_atoi(b"18446744073709551615x"), 0);
        assert_eq!(go_atoi(b"9x9999999999999999999999"), 0);
    }

    // ------------------------------------------------------------------ Java

    const JAVA_TRACE: &str = "java.lang.IllegalStateException: order 17 failed
\tat java.base/java.util.concurrent.FutureTask.report(FutureTask.java:122)
\tat com.example.shop.OrderService.place(OrderService.java:87)
\tat com.example.shop.OrderController.post(OrderController.java:41)
\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
\tat app//com.example.shop.Main.main(Main.java:12)
\tSuppressed: java.io.IOException: close failed
\t\tat com.example.shop.Resource.close(Resource.java:30)
\t\t... 4 more
Caused by: java.sql.SQLException: connection refused: localhost:5432
\tat org.postgresql.Driver.connect(Driver.java:285)
\tat com.example.shop.Dao.open(Dao.java:19)
\t... 3 more
Caused by: java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.connect0(Native Method)
\tat java.base/sun.nio.ch.Net.connect(Net.java:579)
\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java)
\t... 5 more
";

    #[test]
    fn java_real_trace_with_causes_suppressed_and_modules() {
        let parsed = parse_stack("java", JAVA_TRACE);
        assert_eq!(
            parsed.frames,
            vec![
                f("FutureTask.java", 122, "java.util.concurrent.FutureTask.report"),
                f("OrderService.java", 87, "com.example.shop.OrderService.place"),
                f("OrderController.java", 41, "com.example.shop.OrderController.post"),
                f(
                    "Native Method",
                    0,
                    "jdk.internal.reflect.NativeMethodAccessorImpl.invoke0"
                ),
                // `app//…`: only the text up to and including the first `/` is dropped.
                f("Main.java", 12, "/com.example.shop.Main.main"),
            ]
        );
        assert_eq!(
            parsed.chained,
            vec![
                chained(
                    "java.sql.SQLException",
                    "connection refused: localhost:5432",
                    vec![
                        f("Driver.java", 285, "org.postgresql.Driver.connect"),
                        f("Dao.java", 19, "com.example.shop.Dao.open"),
                    ]
                ),
                chained(
                    "java.net.ConnectException",
                    "Connection refused",
                    vec![
                        f("Native Method", 0, "sun.nio.ch.Net.connect0"),
                        f("Net.java", 579, "sun.nio.ch.Net.connect"),
                        f("HikariPool.java", 0, "com.zaxxer.hikari.pool.HikariPool.getConnection"),
                    ]
                ),
            ]
        );
        assert_borrowed(&parsed);
        assert!(parsed.chained.iter().all(|c| matches!(c.message, Cow::Borrowed(_))));
        // PHP uses the same parser.
        assert_eq!(parse_stack("php", JAVA_TRACE), parsed);
    }

    #[test]
    fn java_first_line_is_skipped_even_if_it_looks_like_a_frame_or_cause() {
        let text = "\tat a.B.c(B.java:1)\n\tat d.E.f(E.java:2)";
        assert_eq!(parse_stack("java", text).frames, vec![f("E.java", 2, "d.E.f")]);
        let text = "Caused by: x.Y: z\n\tat d.E.f(E.java:2)";
        let parsed = parse_stack("java", text);
        assert_eq!(parsed.frames, vec![f("E.java", 2, "d.E.f")]);
        assert!(parsed.chained.is_empty());
        // A single line, with or without a final newline, gives nothing.
        assert_eq!(parse_stack("java", "java.lang.Error: x"), ParsedStack::default());
        assert_eq!(parse_stack("java", "java.lang.Error: x\n"), ParsedStack::default());
    }

    #[test]
    fn java_frame_shapes() {
        let text = "E
\tat a.B.c(B.java:10)
\tat a.B.noLine(B.java)
\tat a.B.emptyLine(B.java:)
\tat a.B.badLine(B.java:1x)
\tat a.B.twoColons(B.java:12:7)
\tat a.B.signed(B.java:+5)
\tat a.B.empty()
\tat ()
\tat a.B.textAfter(B.java:3) extra
\tat a.B.unclosed(B.java:4
\tat a.B.noParen
\tat 
\tat
 \tat a.B.indented(B.java:5)
\t\tat a.B.suppressed(B.java:6)
at a.B.noTab(B.java:7)
\tat a.B.nested(x(y):8)
\tat loader/mod@1.0/a.B.c(B.java:9)
\tat a.B.é(Bé.java:11)
";
        assert_eq!(
            parse_stack("java", text).frames,
            vec![
                f("B.java", 10, "a.B.c"),
                f("B.java", 0, "a.B.noLine"),
                f("B.java", 0, "a.B.emptyLine"),
                f("B.java", 0, "a.B.badLine"),
                f("B.java", 0, "a.B.twoColons"),
                f("B.java", 5, "a.B.signed"),
                f("", 0, "a.B.empty"),
                f("", 0, ""),
                // The label ends at the first `(`, the path runs to the final `)`.
                f("x(y)", 8, "a.B.nested"),
                f("B.java", 9, "mod@1.0/a.B.c"),
                f("Bé.java", 11, "a.B.é"),
            ]
        );
    }

    #[test]
    fn java_multi_line_cause_message_is_appended_without_separator() {
        let text = "com.example.ApiException: outer
\tat com.example.Api.call(Api.java:3)
Caused by: com.example.ValidationException: first line
second line

\tthird line
\tat com.example.Validator.check(Validator.java:5)
";
        let parsed = parse_stack("java", text);
        assert_eq!(parsed.frames, vec![f("Api.java", 3, "com.example.Api.call")]);
        assert_eq!(
            parsed.chained,
            vec![chained(
                "com.example.ValidationException",
                "first linesecond line\tthird line",
                vec![f("Validator.java", 5, "com.example.Validator.check")]
            )]
        );
        assert!(matches!(parsed.chained[0].message, Cow::Owned(_)));
    }

    #[test]
    fn java_cause_message_lines_absorb_everything_up_to_a_frame() {
        // A cause without frames of its own swallows the following lines, `Caused by:` included,
        // exactly as the reference does.
        let text = "E: outer
Caused by: a.First: one
\t... 3 more
Caused by: a.Second: two
\tat a.B.c(B.java:1)
\t... 1 more
";
        let parsed = parse_stack("java", text);
        assert!(parsed.frames.is_empty());
        assert_eq!(
            parsed.chained,
            vec![chained(
                "a.First",
                "one\t... 3 moreCaused by: a.Second: two",
                vec![f("B.java", 1, "a.B.c")]
            )]
        );
    }

    #[test]
    fn java_cause_message_borrowed_when_only_one_piece() {
        let text = "E\nCaused by: a.Empty:\nthe message\n\tat a.B.c(B.java:1)\n";
        let parsed = parse_stack("java", text);
        assert_eq!(
            parsed.chained,
            vec![chained("a.Empty", "the message", vec![f("B.java", 1, "a.B.c")])]
        );
        assert!(matches!(parsed.chained[0].message, Cow::Borrowed(_)));
    }

    #[test]
    fn java_caused_by_ending_in_a_colon_does_not_fail() {
        // §20: the reference crashes on this input; here the message is empty.
        let parsed = parse_stack("java", "E: x\nCaused by: com.example.Oops:");
        assert_eq!(parsed.chained, vec![chained("com.example.Oops", "", vec![])]);
        let parsed = parse_stack("java", "E: x\nCaused by: com.example.Oops:\n\tat a.B.c(B.java:2)\n");
        assert_eq!(
            parsed.chained,
            vec![chained("com.example.Oops", "", vec![f("B.java", 2, "a.B.c")])]
        );
        let parsed = parse_stack("java", "E: x\r\nCaused by: com.example.Oops:\r\n");
        assert_eq!(parsed.chained, vec![chained("com.example.Oops", "", vec![])]);
    }

    #[test]
    fn java_caused_by_type_and_message_split() {
        let cases = [
            ("Caused by: a.NoColon", "a.NoColon", ""),
            ("Caused by: a.X: m", "a.X", "m"),
            ("Caused by: a.X:m", "a.X", ""),
            ("Caused by: a.X:mn", "a.X", "n"),
            ("Caused by: a.X:  two spaces", "a.X", " two spaces"),
            ("Caused by: a.X: m: more: colons", "a.X", "m: more: colons"),
            ("Caused by: a.X:éclair", "a.X", "clair"),
            ("Caused by: a.X:é", "a.X", ""),
            ("Caused by: ", "", ""),
            ("Caused by: : m", "", "m"),
        ];
        for (line, kind, message) in cases {
            let text = format!("E\n{line}\n\tat a.B.c(B.java:1)\n");
            let parsed = parse_stack("java", &text);
            assert_eq!(parsed.chained.len(), 1, "{line}");
            assert_eq!(parsed.chained[0].kind, kind, "{line}");
            assert_eq!(parsed.chained[0].message, message, "{line}");
            assert_eq!(parsed.chained[0].stack, vec![f("B.java", 1, "a.B.c")], "{line}");
        }
        // No space after the colon of `Caused by:` is not a cause line.
        let parsed = parse_stack("java", "E\nCaused by:a.X: m\n\tat a.B.c(B.java:1)\n");
        assert!(parsed.chained.is_empty());
        assert_eq!(parsed.frames.len(), 1);
    }

    #[test]
    fn java_crlf_lines() {
        let text = "E: x\r\n\tat a.B.c(B.java:1)\r\nCaused by: a.C: y\r\n\tat a.D.e(D.java:2)\r\n";
        let parsed = parse_stack("java", text);
        assert_eq!(parsed.frames, vec![f("B.java", 1, "a.B.c")]);
        assert_eq!(parsed.chained, vec![chained("a.C", "y", vec![f("D.java", 2, "a.D.e")])]);
        // A bare `\r` at the very end stays on the line (as with Go's line reader), so the
        // line no longer ends with `)`.
        assert_eq!(parse_stack("java", "E\n\tat a.B.c(B.java:1)\r").frames, vec![]);
    }

    // ------------------------------------------------------------------ Python

    const PYTHON_TRACE: &str = r#"Traceback (most recent call last):
  File "/app/db.py", line 14, in query
    return conn.execute(sql)
  File "/usr/lib/python3.12/site-packages/driver/core.py", line 203, in execute
    raise OperationalError("connection lost")
driver.core.OperationalError: connection lost

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/main.py", line 30, in <module>
    main()
  File "/app/main.py", line 25, in main
    handle(req)
  File "/app/handlers.py", line 9, in handle
    raise RuntimeError("request failed")
RuntimeError: request failed
"#;

    #[test]
    fn python_real_traceback_with_chained_exception() {
        let parsed = parse_stack("python", PYTHON_TRACE);
        assert_eq!(
            parsed.frames,
            vec![
                f("/app/handlers.py", 9, "handle"),
                f("/app/main.py", 25, "main"),
                f("/app/main.py", 30, "<module>"),
            ]
        );
        assert_eq!(
            parsed.chained,
            vec![chained(
                "driver.core.OperationalError",
                "connection lost",
                vec![
                    f("/usr/lib/python3.12/site-packages/driver/core.py", 203, "execute"),
                    f("/app/db.py", 14, "query"),
                ]
            )]
        );
        assert_borrowed(&parsed);
        // Without the final newline the last line is still the `Type: message` line.
        assert_eq!(parse_stack("python", PYTHON_TRACE.trim_end_matches('\n')), parsed);
    }

    #[test]
    fn python_three_level_chain_with_multi_line_message_and_carets() {
        let text = r#"Traceback (most recent call last):
  File "/srv/a.py", line 2, in f
    raise ValueError("bad\nvalue")
ValueError: bad
value

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/a.py", line 7, in g
    f()
KeyError: 'k'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/a.py", line 12, in <module>
    g()
    ~^^
  File "/srv/a.py", line 9, in g
    raise TypeError("t")
TypeError: t
"#;
        let parsed = parse_stack("python", text);
        assert_eq!(
            parsed.frames,
            vec![f("/srv/a.py", 9, "g"), f("/srv/a.py", 12, "<module>")]
        );
        assert_eq!(
            parsed.chained,
            vec![
                chained("KeyError", "'k'", vec![f("/srv/a.py", 7, "g")]),
                chained("ValueError", "bad\nvalue", vec![f("/srv/a.py", 2, "f")]),
            ]
        );
        // The joined block is a slice of the input: no allocation.
        assert!(parsed.chained.iter().all(|c| matches!(c.message, Cow::Borrowed(_))));
    }

    #[test]
    fn python_caret_line_becomes_part_of_the_block() {
        // Python 3.11+ prints caret lines under the source line; lines j+2.. then start with it,
        // as in the reference.
        let text = "Traceback (most recent call last):
  File \"/a.py\", line 2, in f
    1 / 0
    ~~^~~
ZeroDivisionError: division by zero

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File \"/a.py\", line 4, in <module>
    raise KeyError('x')
KeyError: 'x'
";
        let parsed = parse_stack("python", text);
        assert_eq!(parsed.frames, vec![f("/a.py", 4, "<module>")]);
        assert_eq!(
            parsed.chained,
            vec![chained(
                "    ~~^~~\nZeroDivisionError",
                "division by zero",
                vec![f("/a.py", 2, "f")]
            )]
        );
    }

    #[test]
    fn python_missing_source_lines_stop_at_the_empty_block() {
        // No source lines (REPL): the block j+2..=i-2 is empty, has no `:`, so parsing stops.
        let text = "Traceback (most recent call last):
  File \"<stdin>\", line 1, in <module>
ZeroDivisionError: division by zero

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File \"<stdin>\", line 3, in <module>
NameError: name 'x' is not defined
";
        let parsed = parse_stack("python", text);
        assert_eq!(parsed.frames, vec![f("<stdin>", 3, "<module>")]);
        assert!(parsed.chained.is_empty());
    }

    #[test]
    fn python_chain_edge_cases_stop_without_failing() {
        assert_eq!(during!(), PYTHON_DURING_HANDLING);
        // `File` line right above the `During` line (the reference crashes: j+2 > i-1).
        let text = concat!(
            "T\n  File \"a.py\", line 1, in f\n",
            during!(),
            "\n  File \"b.py\", line 2, in g\nX: y"
        );
        assert_eq!(parse_stack("python", text).frames, vec![f("b.py", 2, "g")]);
        // Two lines above (also a crash in the reference).
        let text = concat!("  File \"a.py\", line 1, in f\nsrc\n", during!(), "\nX: y");
        assert_eq!(parse_stack("python", text), ParsedStack::default());
        // No `File` line above at all.
        let text = concat!(
            "T\nValueError: v\n\n",
            during!(),
            "\n  File \"b.py\", line 2, in g\nX: y"
        );
        assert_eq!(parse_stack("python", text).frames, vec![f("b.py", 2, "g")]);
        assert!(parse_stack("python", text).chained.is_empty());
        // The `During` line is line 0.
        let text = concat!(during!(), "\nX: y");
        assert_eq!(parse_stack("python", text), ParsedStack::default());
        // A block without `:`.
        let text = concat!(
            "  File \"a.py\", line 1, in f\nsrc\nValueError\n\n",
            during!(),
            "\n  File \"b.py\", line 2, in g\nX: y"
        );
        let parsed = parse_stack("python", text);
        assert_eq!(parsed.frames, vec![f("b.py", 2, "g")]);
        assert!(parsed.chained.is_empty());
        // A block ending at its colon (the reference crashes): empty message.
        let text = concat!(
            "  File \"a.py\", line 1, in f\nsrc\nValueError:\n\n",
            during!(),
            "\nX: y"
        );
        let parsed = parse_stack("python", text);
        assert_eq!(parsed.chained, vec![chained("ValueError", "", vec![f("a.py", 1, "f")])]);
        // The separator only has to start the line.
        let text = concat!(
            "  File \"a.py\", line 1, in f\nsrc\nE: m\n\n",
            during!(),
            " (trailing)\nX: y"
        );
        assert_eq!(
            parse_stack("python", text).chained,
            vec![chained("E", "m", vec![f("a.py", 1, "f")])]
        );
    }

    #[test]
    fn python_direct_cause_separator_is_not_a_chain() {
        // Only "During handling ..." chains; the frames of a `raise ... from` traceback all go to the
        // first exception.
        let text = r#"Traceback (most recent call last):
  File "/a.py", line 2, in f
    int("x")
ValueError: invalid literal for int() with base 10: 'x'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/a.py", line 5, in <module>
    raise RuntimeError("wrapped") from e
RuntimeError: wrapped
"#;
        let parsed = parse_stack("python", text);
        assert_eq!(parsed.frames, vec![f("/a.py", 5, "<module>"), f("/a.py", 2, "f")]);
        assert!(parsed.chained.is_empty());
    }

    #[test]
    fn python_frame_shapes() {
        let text = "Traceback (most recent call last):
  File \"/a.py\", line 1, in f
  File \"/b.py\", line x, in g
  File \"/c.py\", lines 3, in h
  File \"/d.py\", line 4, at i
  File \"/e,f.py\", line 5, in j
  File \"/g.py\", line 6
  File \"/h.py\", line 7, in k, l
   File \"/i.py\", line 8, in m
  File \"\", line 9, in n
  File \", line 10, in o
  File , line 11, in p
  File \"é.py\", line 12, in ü
  File \"/j.py\", line 13, in q\r
Error: x";
        let frames = parse_stack("python", text).frames;
        assert_eq!(
            frames,
            vec![
                f("/j.py", 13, "q\r"),
                f("é.py", 12, "ü"),
                f("", 11, "p"),
                f("", 10, "o"),
                f("", 9, "n"),
                f("/d.py", 4, ""),
                f("/c.py", 0, "h"),
                f("/b.py", 0, "g"),
                f("/a.py", 1, "f"),
            ]
        );
    }

    #[test]
    fn python_last_line_is_never_a_frame() {
        assert_eq!(
            parse_stack("python", "  File \"/a.py\", line 1, in f"),
            ParsedStack::default()
        );
        assert_eq!(
            parse_stack(
                "python",
                "  File \"/a.py\", line 1, in f\n  File \"/b.py\", line 2, in g"
            )
            .frames,
            vec![f("/a.py", 1, "f")]
        );
    }

    // ------------------------------------------------------------------ JavaScript

    const NODE_TRACE: &str = "TypeError: Cannot read properties of undefined (reading 'id')
    at getUser (/srv/app/users.js:42:17)
    at Object.<anonymous> (/srv/app/index.js:10:3)
    at Module._compile (node:internal/modules/cjs/loader:1256:14)
    at /srv/app/router.js:88:5
    at Array.map (<anonymous>)
    at JSON.parse (native)
    at async Promise.all (index 0)
    at new Promise (<anonymous>)
    at processTicksAndRejections (node:internal/process/task_queues:95:5)
    at file:///srv/app/esm.mjs:4:11
    at broken (unterminated
    at eval (eval at <anonymous> (/srv/x.js:1:1), <anonymous>:3:7)
";

    #[test]
    fn javascript_real_node_trace() {
        let parsed = parse_stack("nodejs", NODE_TRACE);
        assert_eq!(
            parsed.frames,
            vec![
                f("/srv/app/users.js", 42, "getUser "),
                f("/srv/app/index.js", 10, "Object.<anonymous> "),
                // Two colons or more: the path stops at the first one.
                f("node", 0, "Module._compile "),
                f("/srv/app/router.js", 88, ""),
                f("<anonymous>", 0, "Array.map "),
                f("native", 0, "JSON.parse "),
                f("index 0", 0, "async Promise.all "),
                f("<anonymous>", 0, "new Promise "),
                f("node", 0, "processTicksAndRejections "),
                f("file", 0, ""),
                // `broken (unterminated`: label and path empty, line 0, so no frame.
                f("eval at <anonymous> (/srv/x.js", 1, "eval "),
            ]
        );
        assert!(parsed.chained.is_empty());
        assert_borrowed(&parsed);
    }

    #[test]
    fn javascript_frame_shapes() {
        let text = "    at first (/skipped.js:1:1)
    at native
    at somewhere native-ish
    at f (native:1)
    at g (/a.js:7)
    at h (/a.js:x:1)
    at (/a.js:3:4)
    at
    at 
    at ()
    at k ()
    at m (:5:)
  at two.spaces (/a.js:1:1)
\tat tab (/a.js:1:1)
     at five.spaces (/a.js:1:1)
    at é (/é.js:9:1)
    at crlf (/c.js:2:3)\r
";
        assert_eq!(
            parse_stack("javascript", text).frames,
            vec![
                f("native", 0, ""),
                f("native", 0, ""),
                // One colon only: neither rule applies.
                f("native:1", 0, "f "),
                f("/a.js:7", 0, "g "),
                f("/a.js", 0, "h "),
                f("/a.js", 3, ""),
                f("", 0, "k "),
                f("", 5, "m "),
                f("/é.js", 9, "é "),
                f("/c.js", 2, "crlf "),
            ]
        );
    }

    #[test]
    fn javascript_browser_trace_without_parentheses() {
        let text = "Error: boom
    at https://cdn.example.com/app.js:1:2345
    at HTMLButtonElement.onclick (https://example.com/:10:5)
";
        assert_eq!(
            parse_stack("webjs", text).frames,
            vec![f("https", 0, ""), f("https", 0, "HTMLButtonElement.onclick ")]
        );
    }

    // ------------------------------------------------------------------ .NET

    const DOTNET_TRACE: &str = "System.InvalidOperationException: Order failed\r
 ---> System.Data.SqlClient.SqlException (0x80131904): Timeout expired\r
   at System.Data.SqlClient.SqlConnection.OnError(SqlException exception, Boolean breakConnection)\r
   at MyApp.Data.OrderRepository.Save(Order order) in C:\\src\\MyApp\\Data\\OrderRepository.cs:line 57\r
   --- End of inner exception stack trace ---\r
   at MyApp.Services.OrderService.Place(Order order) in /home/build/src/MyApp/Services/OrderService.cs:line 33\r
   at MyApp.Program.<Main>$(String[] args) in /src/Program.cs:line 8\r
--- End of stack trace from previous location ---\r
   at System.Runtime.CompilerServices.TaskAwaiter.ThrowForNonSuccess(Task task)\r
   at System.Threading.Tasks.Task.Wait\r
";

    #[test]
    fn dotnet_real_trace_with_crlf_and_inner_exception() {
        let parsed = parse_stack("dotnet", DOTNET_TRACE);
        assert_eq!(
            parsed.frames,
            vec![
                f(
                    "",
                    0,
                    "System.Data.SqlClient.SqlConnection.OnError(SqlException exception, Boolean breakConnection)"
                ),
                f(
                    "C:\\src\\MyApp\\Data\\OrderRepository.cs",
                    57,
                    "MyApp.Data.OrderRepository.Save(Order order)"
                ),
                f(
                    "/home/build/src/MyApp/Services/OrderService.cs",
                    33,
                    "MyApp.Services.OrderService.Place(Order order)"
                ),
                f("/src/Program.cs", 8, "MyApp.Program.<Main>$(String[] args)"),
                f(
                    "",
                    0,
                    "System.Runtime.CompilerServices.TaskAwaiter.ThrowForNonSuccess(Task task)"
                ),
            ]
        );
        assert!(parsed.chained.is_empty());
        assert_borrowed(&parsed);
        // LF-only gives the same frames.
        assert_eq!(parse_stack("dotnet", &DOTNET_TRACE.replace('\r', "")), parsed);
    }

    #[test]
    fn dotnet_frame_shapes() {
        let text = "E
at A.First() in /a.cs:line 1
\t  at A.Tabs() in /a.cs:line 2  \t
at A.NoLine() in /a.cs
at A.Plain() in /a.cs:42
at A.Word() in /a.cs:line
at A.Short() in /a.cs:lin
at A.Bad() in /a.cs:line x
at A.Twice() in /a in /b.cs:line 3
at in /x.cs:line 4
at A.Colon() in C:\\x.cs:line 5:6
at A.NoParen
at A.Generic[T](T x)
at A.Unicode() in /é.cs:lineé5
\u{a0}at A.Nbsp() in /n.cs:line 6\u{3000}
 ---> System.Exception: inner
--- End of inner exception stack trace ---
atA.NoSpace()
";
        assert_eq!(
            parse_stack("dotnet", text).frames,
            vec![
                f("/a.cs", 1, "A.First()"),
                f("/a.cs", 2, "A.Tabs()"),
                f("/a.cs", 0, "A.NoLine()"),
                f("/a.cs", 42, "A.Plain()"),
                f("/a.cs", 0, "A.Word()"),
                f("/a.cs", 0, "A.Short()"),
                f("/a.cs", 0, "A.Bad()"),
                f("/a", 0, "A.Twice()"),
                f("/x.cs", 4, ""),
                f("C:\\x.cs:line 5", 6, "A.Colon()"),
                f("", 0, "A.Generic[T](T x)"),
                f("/é.cs", 0, "A.Unicode()"),
                f("/n.cs", 6, "A.Nbsp()"),
            ]
        );
    }

    // ------------------------------------------------------------------ Go

    const GO_PANIC: &str = "goroutine 1 [running]:
main.(*Server).handle(0xc000010000, {0x1029c6f40, 0xc00001c0a0})
\t/home/dev/app/server.go:42 +0x1c4
net/http.HandlerFunc.ServeHTTP(0xc000120000?, {0x7f2d3c0e1234?, 0xc0001a2000?}, 0x0?)
\t/usr/local/go/src/net/http/server.go:2171 +0x29
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3285 +0x4b4
";

    #[test]
    fn go_real_panic_with_created_by() {
        let parsed = parse_stack("go", GO_PANIC);
        assert_eq!(
            parsed.frames,
            vec![
                f(
                    "/home/dev/app/server.go",
                    42,
                    "main.(*Server).handle(0xc000010000, {0x1029c6f40, 0xc00001c0a0})"
                ),
                f(
                    "/usr/local/go/src/net/http/server.go",
                    2171,
                    "net/http.HandlerFunc.ServeHTTP(0xc000120000?, {0x7f2d3c0e1234?, 0xc0001a2000?}, 0x0?)"
                ),
                f(
                    "/usr/local/go/src/net/http/server.go",
                    3285,
                    "created by net/http.(*Server).Serve in goroutine 1"
                ),
            ]
        );
        assert!(parsed.chained.is_empty());
        assert_borrowed(&parsed);
    }

    #[test]
    fn go_otel_sdk_stack_with_second_header_and_reused_location() {
        let text = "goroutine 7 [running]:
go.opentelemetry.io/otel/sdk/trace.recordStackTrace()
\t/go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.24.0/trace/span.go:404 +0x65
go.opentelemetry.io/otel/sdk/trace.(*recordingSpan).RecordError(0xc0001b4000, {0x7a1b20, 0xc000012345}, {0x0, 0x0, 0x0})
\t/go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.24.0/trace/span.go:380 +0x1a5
goroutine 8 [running, locked to thread]:
main.work(...)
\tC:/Users/dev/app/main.go:21
main.main()
\t???
";
        assert_eq!(
            parse_stack("go", text).frames,
            vec![
                f(
                    "/go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.24.0/trace/span.go",
                    404,
                    "go.opentelemetry.io/otel/sdk/trace.recordStackTrace()"
                ),
                f(
                    "/go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.24.0/trace/span.go",
                    380,
                    concat!(
                        "go.opentelemetry.io/otel/sdk/trace.(*recordingSpan).RecordError",
                        "(0xc0001b4000, {0x7a1b20, 0xc000012345}, {0x0, 0x0, 0x0})"
                    )
                ),
                // `goroutine 8 [running, locked to thread]:` is skipped; the drive letter cannot be
                // part of `[^:\s]+` followed by `:\d`.
                f("/Users/dev/app/main.go", 21, "main.work(...)"),
                // `???` does not match: the previous path and line are reused.
                f("/Users/dev/app/main.go", 21, "main.main()"),
            ]
        );
    }

    #[test]
    fn go_loop_edges() {
        // Header only, or header and one line.
        assert_eq!(parse_stack("go", "goroutine 1 [running]:"), ParsedStack::default());
        assert_eq!(parse_stack("go", "goroutine 1 [running]:\n"), ParsedStack::default());
        assert_eq!(
            parse_stack("go", "goroutine 1 [running]:\nmain.main()").frames,
            vec![f("", 0, "main.main()")]
        );
        // An odd number of lines: the last label reuses the last location.
        assert_eq!(
            parse_stack(
                "go",
                "goroutine 1 [running]:\nmain.a()\n\t/a.go:3 +0x1\nexit status 2\n"
            )
            .frames,
            vec![f("/a.go", 3, "main.a()"), f("/a.go", 3, "exit status 2")]
        );
        // A header as the last line gives an empty label.
        assert_eq!(
            parse_stack("go", "g\nmain.a()\n\t/a.go:3\ngoroutine 2 [running]:").frames,
            vec![f("/a.go", 3, "main.a()"), f("/a.go", 3, "")]
        );
        // The first line is skipped whatever it is; other goroutine states are labels.
        assert_eq!(
            parse_stack("go", "main.a()\ngoroutine 2 [chan receive]:\n\t/b.go:4\n").frames,
            vec![f("/b.go", 4, "goroutine 2 [chan receive]:")]
        );
        // CRLF.
        assert_eq!(
            parse_stack("go", "goroutine 1 [running]:\r\nmain.a()\r\n\t/a.go:3 +0x1\r\n").frames,
            vec![f("/a.go", 3, "main.a()")]
        );
    }

    #[test]
    fn go_running_header_matcher() {
        for yes in [
            "goroutine 1 [running]:",
            "goroutine 1 [running, locked to thread]:",
            "goroutine running:",
            "goroutine 1 running:",
            "goroutine 1 (running) x:",
            "goroutine-running-:",
            "goroutine 1 [runnings] [running]:",
            "goroutineé running é:",
            "goroutine 1 [running]: extra:",
        ] {
            assert!(is_running_header(yes), "{yes}");
        }
        for no in [
            "",
            ":",
            "goroutine",
            "goroutine:",
            "goroutinerunning:",
            "goroutine 1 [running]",
            "goroutine 1 [running]:\r",
            " goroutine 1 [running]:",
            "Goroutine 1 [running]:",
            "goroutine 1 [runnable]:",
            "goroutine 1 [running_]:",
            "goroutine 1 [xrunning]:",
            "goroutine 1 [running9]:",
            "goroutine 1 [chan receive]:",
            "goroutine running",
            "running goroutine:",
        ] {
            assert!(!is_running_header(no), "{no}");
        }
    }

    #[test]
    fn go_path_line_matcher() {
        let cases: [(&str, Option<(&str, i64)>); 14] = [
            ("\t/a/b.go:12 +0x1f", Some(("/a/b.go", 12))),
            ("/a/b.go:12", Some(("/a/b.go", 12))),
            ("C:/x/y.go:7 +0x2", Some(("/x/y.go", 7))),
            ("a:b:c:9", Some(("c", 9))),
            ("x.go:12abc", Some(("x.go", 12))),
            ("x.go:+1 y.go:2", Some(("y.go", 2))),
            ("é.go:5", Some(("é.go", 5))),
            ("\u{b}v.go:5", Some(("\u{b}v.go", 5))),
            ("big.go:99999999999999999999", Some(("big.go", i64::MAX))),
            ("", None),
            ("???", None),
            (":12", None),
            ("x.go :12", None),
            ("x.go:", None),
        ];
        for (line, expected) in cases {
            assert_eq!(find_path_line(line), expected, "{line:?}");
        }
    }

    // ------------------------------------------------------------------ robustness

    /// Inputs chosen to hit every slice and index in the parsers.
    const NASTY: &[&str] = &[
        "\n",
        "\n\n\n",
        "\r",
        "\r\n",
        "\r\n\r\n",
        "x\n\r",
        "é",
        "é\né\né",
        "\u{feff}\n\u{2028}\n\u{85}",
        "E\n\tat ",
        "E\n\tat (",
        "E\n\tat )",
        "E\n\tat ()",
        "E\n\tat (:)",
        "E\n\tat é(é:é)",
        "E\n\tat /(/:/)",
        "E\nCaused by: ",
        "E\nCaused by: :",
        "E\nCaused by: X:",
        "E\nCaused by: X:é",
        "E\nCaused by: X:\n",
        "E\nCaused by: X:\r\n\r\n",
        "E\nCaused by: é:ü\nCaused by: :\n\tat ()",
        "  File ",
        "x\n  File \n",
        "x\n  File ,,\n",
        "x\n  File \",,\n",
        "x\n  File é,é,é\n",
        "x\n  File \"é\",  line é, in é\n",
        "x\n  File \"a\", line 99999999999999999999999, in b\n",
        during!(),
        concat!(during!(), "\n"),
        concat!("\n", during!(), "\n"),
        concat!("  File \n", during!(), "\n"),
        concat!("  File \n\n", during!(), "\n"),
        concat!("  File \n\n\n", during!(), "\n"),
        concat!("  File \n\n:\n\n", during!(), "\n"),
        concat!("  File \n\né:\n\n", during!(), "\n"),
        concat!("  File \n\né:é\n\n", during!(), "\n"),
        concat!("x\n", during!(), "\n", during!(), "\n"),
        "E\n    at ",
        "E\n    at (",
        "E\n    at )",
        "E\n    at ()",
        "E\n    at :",
        "E\n    at ::",
        "E\n    at (::)",
        "E\n    at é (é:é:é)",
        "E\n    at :99999999999999999999999:",
        "E\nat",
        "E\nat ",
        "E\nat in ",
        "E\nat  in ",
        "E\nat in :line",
        "E\nat x in :line",
        "E\nat x in :lineé",
        "E\nat x in é:é",
        "E\nat )",
        "E\r\n   at )\r\n",
        "goroutine",
        "goroutine\n",
        "goroutine\ngoroutine running:",
        "goroutine\ngoroutine running:\ngoroutine running:",
        "g\n\n\n\n",
        "g\n:\n:1\n::1\n",
        "g\né:1\né\n",
        "g\nx\n\t:99999999999999999999999",
    ];

    #[test]
    fn never_panics_on_nasty_inputs() {
        for text in NASTY {
            for language in ALL_LANGUAGES {
                let parsed = parse_stack(language, text);
                assert_borrowed(&parsed);
            }
        }
    }

    #[test]
    fn never_panics_on_every_prefix_and_suffix_of_the_real_traces() {
        for text in [JAVA_TRACE, PYTHON_TRACE, NODE_TRACE, DOTNET_TRACE, GO_PANIC] {
            for (at, _) in text.char_indices() {
                for language in ALL_LANGUAGES {
                    assert_borrowed(&parse_stack(language, &text[..at]));
                    assert_borrowed(&parse_stack(language, &text[at..]));
                }
            }
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use super::{ALL_LANGUAGES, assert_borrowed};

        /// Pieces that steer the parsers into their interesting branches.
        fn fragment() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("\n".to_owned()),
                Just("\r\n".to_owned()),
                Just("\tat ".to_owned()),
                Just("    at ".to_owned()),
                Just("at ".to_owned()),
                Just(" in ".to_owned()),
                Just(":line ".to_owned()),
                Just("Caused by: ".to_owned()),
                Just("  File \"".to_owned()),
                Just("\", line ".to_owned()),
                Just(", in ".to_owned()),
                Just(during!().to_owned()),
                Just("goroutine 1 [running]:".to_owned()),
                Just("native".to_owned()),
                Just("(".to_owned()),
                Just(")".to_owned()),
                Just(":".to_owned()),
                Just("/".to_owned()),
                Just(",".to_owned()),
                Just(" +0x1f".to_owned()),
                "[0-9]{1,22}",
                "\\PC{0,6}",
                ".{0,4}",
            ]
        }

        fn structured_text() -> impl Strategy<Value = String> {
            prop::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
        }

        proptest! {
            #[test]
            fn arbitrary_text_never_panics(text in any::<String>(), language in 0..ALL_LANGUAGES.len()) {
                assert_borrowed(&parse_stack(ALL_LANGUAGES[language], &text));
            }

            #[test]
            fn helpers_agree_with_std(text in prop_oneof![any::<String>(), structured_text()]) {
                prop_assert_eq!(Lines(&text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>());
                for needle in [b'\n', b'(', b':', b' '] {
                    prop_assert_eq!(find_byte(&text, needle), text.find(char::from(needle)));
                    prop_assert_eq!(rfind_byte(&text, needle), text.rfind(char::from(needle)));
                }
                for needle in [" in ", "running", "native"] {
                    prop_assert_eq!(find_str(&text, needle), text.find(needle));
                }
            }

            #[test]
            fn structured_text_never_panics(text in structured_text()) {
                for language in ALL_LANGUAGES {
                    let parsed = parse_stack(language, &text);
                    assert_borrowed(&parsed);
                    if !matches!(language, "java" | "php" | "python") {
                        prop_assert!(parsed.chained.is_empty());
                    }
                }
            }
        }
    }
}
