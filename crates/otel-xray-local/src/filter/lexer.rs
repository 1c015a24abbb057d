//! Splits a filter expression into tokens, on demand.
//!
//! The lexer is pulled one token at a time by the parser rather than run up front, because one
//! construct is context-sensitive: the key of `annotation[key]` may hold characters that are no
//! token anywhere else, so the parser asks for it raw with [`Lexer::bracket_key`].
//!
//! Words (`[A-Za-z_][A-Za-z0-9_.]*`) cover keywords with dots (`http.status`,
//! `annotation.gameid`, `rootcause.fault.service`) as well as `AND`, `OR`, `CONTAINS`, `true`;
//! the parser decides what a word means. Strings are double-quoted with `\"` and `\\` escapes
//! (any other backslash is kept as written). Numbers are decimal with an optional sign,
//! fraction and exponent.

use super::error::FilterError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind<'a> {
    /// A word: a keyword, an operator word, `true`/`false`, `id`, `name`, `type`.
    Word(&'a str),
    /// A double-quoted string, escapes resolved.
    Str(String),
    /// A finite number.
    Number(f64),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `!`
    Bang,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// The end of the input.
    Eof,
}

impl TokenKind<'_> {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Word(w) => format!("{w:?}"),
            Self::Str(s) => format!("string {s:?}"),
            Self::Number(n) => format!("number {n}"),
            Self::LParen => "\"(\"".to_owned(),
            Self::RParen => "\")\"".to_owned(),
            Self::LBrace => "\"{\"".to_owned(),
            Self::RBrace => "\"}\"".to_owned(),
            Self::LBracket => "\"[\"".to_owned(),
            Self::RBracket => "\"]\"".to_owned(),
            Self::Comma => "\",\"".to_owned(),
            Self::Colon => "\":\"".to_owned(),
            Self::Bang => "\"!\"".to_owned(),
            Self::Eq => "\"=\"".to_owned(),
            Self::Ne => "\"!=\"".to_owned(),
            Self::Lt => "\"<\"".to_owned(),
            Self::Le => "\"<=\"".to_owned(),
            Self::Gt => "\">\"".to_owned(),
            Self::Ge => "\">=\"".to_owned(),
            Self::Eof => "end of expression".to_owned(),
        }
    }
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'a> {
    /// What it is.
    pub(crate) kind: TokenKind<'a>,
    /// Byte offset of its first character.
    pub(crate) position: usize,
}

/// A cursor over the expression.
#[derive(Debug)]
pub(crate) struct Lexer<'a> {
    input: &'a str,
    pos: usize,
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_word_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `input`.
    pub(crate) fn new(input: &'a str) -> Self {
        Self { input, pos: 0 }
    }

    fn peek_byte(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn peek_byte_at(&self, offset: usize) -> Option<u8> {
        self.input.as_bytes().get(self.pos + offset).copied()
    }

    fn skip_whitespace(&mut self) {
        // Skip ASCII and Unicode whitespace alike.
        while let Some(c) = self.input.get(self.pos..).and_then(|rest| rest.chars().next()) {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    /// The next token; [`TokenKind::Eof`] (repeatedly) at the end.
    pub(crate) fn next_token(&mut self) -> Result<Token<'a>, FilterError> {
        self.skip_whitespace();
        let start = self.pos;
        let Some(b) = self.peek_byte() else {
            return Ok(Token {
                kind: TokenKind::Eof,
                position: start,
            });
        };
        let (kind, len) = match b {
            b'(' => (TokenKind::LParen, 1),
            b')' => (TokenKind::RParen, 1),
            b'{' => (TokenKind::LBrace, 1),
            b'}' => (TokenKind::RBrace, 1),
            b'[' => (TokenKind::LBracket, 1),
            b']' => (TokenKind::RBracket, 1),
            b',' => (TokenKind::Comma, 1),
            b':' => (TokenKind::Colon, 1),
            b'=' => (TokenKind::Eq, 1),
            b'!' if self.peek_byte_at(1) == Some(b'=') => (TokenKind::Ne, 2),
            b'!' => (TokenKind::Bang, 1),
            b'<' if self.peek_byte_at(1) == Some(b'=') => (TokenKind::Le, 2),
            b'<' => (TokenKind::Lt, 1),
            b'>' if self.peek_byte_at(1) == Some(b'=') => (TokenKind::Ge, 2),
            b'>' => (TokenKind::Gt, 1),
            b'"' => return self.string(),
            b'-' | b'+' | b'.' | b'0'..=b'9' => return self.number(),
            b if is_word_start(b) => return Ok(self.word()),
            _ => {
                let character = self
                    .input
                    .get(start..)
                    .and_then(|rest| rest.chars().next())
                    .unwrap_or(char::REPLACEMENT_CHARACTER);
                return Err(FilterError::UnexpectedCharacter {
                    position: start,
                    character,
                });
            }
        };
        self.pos += len;
        Ok(Token { kind, position: start })
    }

    fn word(&mut self) -> Token<'a> {
        let start = self.pos;
        while self.peek_byte().is_some_and(is_word_continue) {
            self.pos += 1;
        }
        // Only ASCII bytes were consumed, so both ends are char boundaries.
        let word = self.input.get(start..self.pos).unwrap_or_default();
        Token {
            kind: TokenKind::Word(word),
            position: start,
        }
    }

    fn number(&mut self) -> Result<Token<'a>, FilterError> {
        let start = self.pos;
        if matches!(self.peek_byte(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        let mut digits = 0usize;
        while self.peek_byte().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            digits += 1;
        }
        if self.peek_byte() == Some(b'.') {
            self.pos += 1;
            while self.peek_byte().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
                digits += 1;
            }
        }
        if digits > 0 && matches!(self.peek_byte(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek_byte(), Some(b'-' | b'+')) {
                self.pos += 1;
            }
            while self.peek_byte().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        // A number glued to letters (`5s`, `1.2.3`) is one malformed number, not two tokens.
        while self.peek_byte().is_some_and(is_word_continue) {
            self.pos += 1;
        }
        let text = self.input.get(start..self.pos).unwrap_or_default();
        match text.parse::<f64>() {
            Ok(value) if digits > 0 && value.is_finite() => Ok(Token {
                kind: TokenKind::Number(value),
                position: start,
            }),
            _ => Err(FilterError::InvalidNumber {
                position: start,
                text: text.to_owned(),
            }),
        }
    }

    fn string(&mut self) -> Result<Token<'a>, FilterError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.input.get(start + 1..).unwrap_or_default().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = start + 1 + i + 1;
                    return Ok(Token {
                        kind: TokenKind::Str(out),
                        position: start,
                    });
                }
                '\\' => match chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err(FilterError::UnterminatedString { position: start })
    }

    /// After the parser consumed the `[` of `annotation[`: the key up to the closing `]`,
    /// either a double-quoted string or the raw text (whitespace around it trimmed), and the
    /// position where it starts. Consumes the `]`.
    pub(crate) fn bracket_key(&mut self) -> Result<(String, usize), FilterError> {
        self.skip_whitespace();
        let start = self.pos;
        let key = if self.peek_byte() == Some(b'"') {
            let token = self.string()?;
            let TokenKind::Str(key) = token.kind else {
                return Err(FilterError::UnterminatedString { position: start });
            };
            self.skip_whitespace();
            key
        } else {
            let rest = self.input.get(start..).unwrap_or_default();
            let len = rest.find(']').unwrap_or(rest.len());
            self.pos = start + len;
            rest.get(..len).unwrap_or_default().trim_end().to_owned()
        };
        if self.peek_byte() != Some(b']') {
            let found = self.next_token()?;
            return Err(FilterError::Syntax {
                position: found.position,
                expected: "\"]\" to close the annotation key".to_owned(),
                found: found.kind.describe(),
            });
        }
        self.pos += 1;
        if key.is_empty() {
            return Err(FilterError::Syntax {
                position: start,
                expected: "an annotation key".to_owned(),
                found: "\"]\"".to_owned(),
            });
        }
        Ok((key, start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Result<Vec<TokenKind<'_>>, FilterError> {
        let mut lexer = Lexer::new(input);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token()?;
            if token.kind == TokenKind::Eof {
                return Ok(out);
            }
            out.push(token.kind);
        }
    }

    #[test]
    fn filter_lexer_splits_operators_words_numbers_and_strings() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"http.status>=500 AND !x != "a\"b\\c\n" (1.5e2,-3) {}[]: < <= > ="#).unwrap(),
            vec![
                Word("http.status"),
                Ge,
                Number(500.0),
                Word("AND"),
                Bang,
                Word("x"),
                Ne,
                Str("a\"b\\c\\n".to_owned()),
                LParen,
                Number(150.0),
                Comma,
                Number(-3.0),
                RParen,
                LBrace,
                RBrace,
                LBracket,
                RBracket,
                Colon,
                Lt,
                Le,
                Gt,
                Eq,
            ]
        );
    }

    #[test]
    fn filter_lexer_reports_positions_of_bad_input() {
        let cases: &[(&str, usize)] = &[
            ("a = \"open", 4),
            ("a = 1.2.3", 4),
            ("a = 5s", 4),
            ("a = -", 4),
            ("a = 1e999", 4),
            ("a # b", 2),
            ("é", 0),
            ("  \"\\", 2),
        ];
        for (input, position) in cases {
            let err = kinds(input).unwrap_err();
            assert_eq!(err.position(), *position, "{input}: {err}");
        }
    }

    #[test]
    fn filter_lexer_reads_bracket_keys_raw_or_quoted() {
        for (input, key) in [
            ("[a.b-c]", "a.b-c"),
            ("[ spaced key ]", "spaced key"),
            ("[\"quo]ted\"]", "quo]ted"),
            ("[ \"x\" ]", "x"),
        ] {
            let mut lexer = Lexer::new(input);
            assert_eq!(lexer.next_token().unwrap().kind, TokenKind::LBracket);
            assert_eq!(lexer.bracket_key().unwrap().0, key, "{input}");
            assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Eof);
        }
        for input in ["[]", "[abc", "[\"x\" y]", "[\"x"] {
            let mut lexer = Lexer::new(input);
            let _ = lexer.next_token();
            assert!(lexer.bracket_key().is_err(), "{input}");
        }
    }
}
