//! A recursive-descent parser from filter-expression text to [`Expr`].
//!
//! Hand-written rather than generated or built on a parser-combinator crate: the grammar is a
//! dozen rules, hand-written code gives exact byte positions and "expected …" wording for every
//! error the user sees, and it adds no dependency to the crate.
//!
//! ```text
//! filter     := [ or_expr ] EOF                         (empty matches everything)
//! or_expr    := and_expr { OR and_expr }
//! and_expr   := unary { [ AND ] unary }                 (juxtaposition is AND: `ok !partial`)
//! unary      := "!" unary | primary
//! primary    := "(" or_expr ")" | predicate
//! predicate  := bool_kw [ ("=" | "!=") bool ]
//!             | num_kw num_op NUMBER
//!             | str_kw str_op STRING
//!             | annotation [ ("=" | "!=") (STRING | NUMBER | bool)
//!                          | ("<" | "<=" | ">" | ">=") NUMBER
//!                          | (CONTAINS | BEGINSWITH | ENDSWITH) STRING ]
//!             | service "(" [ node_ref ] ")" [ "{" or_expr "}" ]
//!             | edge "(" node_ref "," node_ref ")" [ "{" or_expr "}" ]
//! annotation := "annotation." KEY | "annotation" "[" (STRING | raw text) "]"
//! node_ref   := STRING | id "(" id_arg { "," id_arg } ")"
//! id_arg     := (name | type) ":" STRING
//! bool       := true | false | "true" | "false"
//! num_op     := "=" | "!=" | "<" | "<=" | ">" | ">="
//! str_op     := "=" | "!=" | CONTAINS | BEGINSWITH | ENDSWITH
//! ```
//!
//! Words — keywords, `AND`/`OR`, the string operators, `true`/`false`, `id`, `name:` — are
//! case-insensitive; annotation keys, names and string values are not. Which keywords a scope
//! allows is decided here (see [`Scope`]), so the evaluator never meets a predicate it cannot
//! answer.

use super::ast::{AnnotationCmp, Expr, Flag, NodeRef, NumField, NumOp, Pred, StrOp, TextField};
use super::error::FilterError;
use super::lexer::{Lexer, Token, TokenKind};
use super::{MAX_DEPTH, MAX_INPUT_BYTES};

/// Where a predicate is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The whole trace.
    Trace,
    /// Inside `service(…) { … }`: one node.
    Service,
    /// Inside `edge(…) { … }`: one edge.
    Edge,
}

/// A keyword that compares a value of the trace, node or edge.
#[derive(Debug, Clone, Copy)]
enum Keyword {
    Flag(Flag),
    Num(NumField),
    Text(TextField),
}

fn keyword(lower: &str) -> Option<Keyword> {
    Some(match lower {
        "ok" => Keyword::Flag(Flag::Ok),
        "error" => Keyword::Flag(Flag::Error),
        "fault" => Keyword::Flag(Flag::Fault),
        "throttle" => Keyword::Flag(Flag::Throttle),
        "partial" => Keyword::Flag(Flag::Partial),
        "root" => Keyword::Flag(Flag::Root),
        "inferred" => Keyword::Flag(Flag::Inferred),
        "responsetime" => Keyword::Num(NumField::ResponseTime),
        "duration" => Keyword::Num(NumField::Duration),
        "http.status" => Keyword::Num(NumField::HttpStatus),
        "http.url" => Keyword::Text(TextField::HttpUrl),
        "http.method" => Keyword::Text(TextField::HttpMethod),
        "http.useragent" => Keyword::Text(TextField::HttpUserAgent),
        "http.clientip" => Keyword::Text(TextField::HttpClientIp),
        "user" => Keyword::Text(TextField::User),
        "name" => Keyword::Text(TextField::Name),
        "type" => Keyword::Text(TextField::Type),
        "message" => Keyword::Text(TextField::Message),
        _ => return None,
    })
}

/// Whether `keyword` can be answered in `scope` from [`TraceFacts`](super::TraceFacts).
fn available(keyword: Keyword, scope: Scope) -> bool {
    match (scope, keyword) {
        (Scope::Trace, Keyword::Flag(Flag::Root | Flag::Inferred)) => false,
        (Scope::Trace, _) => true,
        (Scope::Service, Keyword::Flag(flag)) => flag != Flag::Partial,
        (Scope::Service, Keyword::Num(field)) => field != NumField::Duration,
        (Scope::Service, Keyword::Text(field)) => !matches!(field, TextField::User | TextField::Message),
        (Scope::Edge, Keyword::Flag(flag)) => {
            matches!(flag, Flag::Ok | Flag::Error | Flag::Fault | Flag::Throttle)
        }
        (Scope::Edge, Keyword::Num(field)) => field == NumField::ResponseTime,
        (Scope::Edge, Keyword::Text(_)) => false,
    }
}

/// Real X-Ray keywords (lowercase) that Local X-Ray does not implement.
fn is_unsupported(lower: &str) -> bool {
    lower == "rootcause"
        || lower.starts_with("rootcause.")
        || lower == "group"
        || lower.starts_with("group.")
        || matches!(
            lower,
            "json"
                | "first"
                | "last"
                | "remote"
                | "index"
                | "coverage"
                | "availabilityzone"
                | "instance.id"
                | "resource.arn"
        )
}

const PLACE_IN_BLOCK: &str = "inside a service() or edge() block (X-Ray does not allow it there)";

/// Parses `input`; the empty (or all-whitespace) expression is [`Expr::True`].
pub(crate) fn parse_expr(input: &str) -> Result<Expr, FilterError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(FilterError::TooLong {
            len: input.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    let mut parser = Parser {
        lexer: Lexer::new(input),
        peeked: None,
        depth: 0,
    };
    if parser.peek()?.kind == TokenKind::Eof {
        return Ok(Expr::True);
    }
    let expr = parser.or_expr(Scope::Trace)?;
    let next = parser.bump()?;
    if next.kind != TokenKind::Eof {
        return Err(syntax(&next, "AND, OR or the end of the expression"));
    }
    Ok(expr)
}

fn syntax(found: &Token<'_>, expected: &str) -> FilterError {
    FilterError::Syntax {
        position: found.position,
        expected: expected.to_owned(),
        found: found.kind.describe(),
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token<'a>>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&mut self) -> Result<&Token<'a>, FilterError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        Ok(self.peeked.insert(token))
    }

    fn bump(&mut self) -> Result<Token<'a>, FilterError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    /// Whether the next token is the word `word` (case-insensitive).
    fn peek_word(&mut self, word: &str) -> Result<bool, FilterError> {
        Ok(matches!(self.peek()?.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(word)))
    }

    fn expect(&mut self, kind: &TokenKind<'_>, expected: &str) -> Result<Token<'a>, FilterError> {
        let token = self.bump()?;
        if token.kind == *kind {
            Ok(token)
        } else {
            Err(syntax(&token, expected))
        }
    }

    fn or_expr(&mut self, scope: Scope) -> Result<Expr, FilterError> {
        let mut items = vec![self.and_expr(scope)?];
        while self.peek_word("or")? {
            self.bump()?;
            items.push(self.and_expr(scope)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and_expr(&mut self, scope: Scope) -> Result<Expr, FilterError> {
        let mut items = vec![self.unary(scope)?];
        loop {
            if self.peek_word("and")? {
                self.bump()?;
            } else if self.peek_word("or")?
                || !matches!(
                    self.peek()?.kind,
                    TokenKind::Word(_) | TokenKind::Bang | TokenKind::LParen
                )
            {
                // Stop at `OR` and at what cannot start a predicate; any other word, `!` or `(`
                // after a predicate is an implicit `AND`.
                break;
            }
            items.push(self.unary(scope)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self, scope: Scope) -> Result<Expr, FilterError> {
        let position = self.peek()?.position;
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::TooDeep {
                position,
                max: MAX_DEPTH,
            });
        }
        self.depth += 1;
        let result = if self.peek()?.kind == TokenKind::Bang {
            self.bump()?;
            self.unary(scope).map(|e| Expr::Not(Box::new(e)))
        } else {
            self.primary(scope)
        };
        self.depth -= 1;
        result
    }

    fn primary(&mut self, scope: Scope) -> Result<Expr, FilterError> {
        let token = self.bump()?;
        match token.kind {
            TokenKind::LParen => {
                let inner = self.or_expr(scope)?;
                self.expect(&TokenKind::RParen, "AND, OR or \")\"")?;
                Ok(inner)
            }
            TokenKind::Word(word) => self.predicate(word, token.position, scope).map(Expr::Pred),
            _ => Err(syntax(&token, "a filter keyword, \"!\" or \"(\"")),
        }
    }

    fn predicate(&mut self, word: &'a str, position: usize, scope: Scope) -> Result<Pred, FilterError> {
        let lower = word.to_ascii_lowercase();
        if lower == "service" || lower == "edge" {
            if scope != Scope::Trace {
                return Err(FilterError::NotAllowedHere {
                    position,
                    keyword: word.to_owned(),
                    place: PLACE_IN_BLOCK,
                });
            }
            return if lower == "service" {
                self.service()
            } else {
                self.edge()
            };
        }
        if lower == "annotation" || lower.starts_with("annotation.") {
            if scope != Scope::Trace {
                return Err(FilterError::NotAllowedHere {
                    position,
                    keyword: word.to_owned(),
                    place: PLACE_IN_BLOCK,
                });
            }
            let key = match word.get("annotation.".len()..) {
                Some(key) => {
                    if key.is_empty() {
                        return Err(FilterError::Syntax {
                            position: position + word.len(),
                            expected: "an annotation key after \"annotation.\"".to_owned(),
                            found: self.peek()?.kind.describe(),
                        });
                    }
                    key.to_owned()
                }
                None => {
                    self.expect(&TokenKind::LBracket, "\".\" or \"[\" after \"annotation\"")?;
                    self.lexer.bracket_key()?.0
                }
            };
            return self.annotation(key);
        }
        if let Some(kw) = keyword(&lower) {
            if !available(kw, scope) {
                return Err(FilterError::Unsupported {
                    what: word.to_owned(),
                    position,
                });
            }
            return match kw {
                Keyword::Flag(flag) => self.flag(flag),
                Keyword::Num(field) => self.number(field, word),
                Keyword::Text(field) => self.text(field, word),
            };
        }
        if is_unsupported(&lower) {
            return Err(FilterError::Unsupported {
                what: word.to_owned(),
                position,
            });
        }
        if matches!(
            lower.as_str(),
            "and" | "or" | "contains" | "beginswith" | "endswith" | "true" | "false" | "id"
        ) {
            return Err(FilterError::Syntax {
                position,
                expected: "a filter keyword".to_owned(),
                found: format!("{word:?}"),
            });
        }
        Err(FilterError::UnknownKeyword {
            position,
            keyword: word.to_owned(),
        })
    }

    /// `true` / `false`, bare or quoted, any case.
    fn bool_value(&mut self) -> Result<bool, FilterError> {
        let token = self.bump()?;
        let text = match &token.kind {
            TokenKind::Word(w) => Some(*w),
            TokenKind::Str(s) => Some(s.as_str()),
            _ => None,
        };
        match text {
            Some(t) if t.eq_ignore_ascii_case("true") => Ok(true),
            Some(t) if t.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(syntax(&token, "true or false")),
        }
    }

    fn flag(&mut self, flag: Flag) -> Result<Pred, FilterError> {
        let equal = match self.peek()?.kind {
            TokenKind::Eq => true,
            TokenKind::Ne => false,
            _ => return Ok(Pred::Flag { flag, expect: true }),
        };
        self.bump()?;
        let value = self.bool_value()?;
        Ok(Pred::Flag {
            flag,
            expect: value == equal,
        })
    }

    fn num_op(&mut self, after: &str) -> Result<NumOp, FilterError> {
        let token = self.bump()?;
        Ok(match token.kind {
            TokenKind::Eq => NumOp::Eq,
            TokenKind::Ne => NumOp::Ne,
            TokenKind::Lt => NumOp::Lt,
            TokenKind::Le => NumOp::Le,
            TokenKind::Gt => NumOp::Gt,
            TokenKind::Ge => NumOp::Ge,
            _ => {
                return Err(syntax(
                    &token,
                    &format!("a number comparison (=, !=, <, <=, >, >=) after {after:?}"),
                ));
            }
        })
    }

    fn number_value(&mut self) -> Result<f64, FilterError> {
        let token = self.bump()?;
        match token.kind {
            TokenKind::Number(n) => Ok(n),
            _ => Err(syntax(&token, "a number")),
        }
    }

    fn string_value(&mut self) -> Result<String, FilterError> {
        let token = self.bump()?;
        match token.kind {
            TokenKind::Str(s) => Ok(s),
            _ => Err(syntax(&token, "a string in double quotes")),
        }
    }

    fn number(&mut self, field: NumField, word: &str) -> Result<Pred, FilterError> {
        let op = self.num_op(word)?;
        let value = self.number_value()?;
        Ok(Pred::Number { field, op, value })
    }

    /// The string operator words, if the next token is one (not consumed).
    fn peek_str_word_op(&mut self) -> Result<Option<StrOp>, FilterError> {
        Ok(match self.peek()?.kind {
            TokenKind::Word(w) if w.eq_ignore_ascii_case("contains") => Some(StrOp::Contains),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("beginswith") => Some(StrOp::BeginsWith),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("endswith") => Some(StrOp::EndsWith),
            _ => None,
        })
    }

    fn text(&mut self, field: TextField, word: &str) -> Result<Pred, FilterError> {
        let op = match (self.peek_str_word_op()?, &self.peek()?.kind) {
            (Some(op), _) => op,
            (None, TokenKind::Eq) => StrOp::Eq,
            (None, TokenKind::Ne) => StrOp::Ne,
            (None, _) => {
                let token = self.bump()?;
                return Err(syntax(
                    &token,
                    &format!("a string comparison (=, !=, CONTAINS, BEGINSWITH, ENDSWITH) after {word:?}"),
                ));
            }
        };
        self.bump()?;
        let value = self.string_value()?;
        Ok(Pred::Text { field, op, value })
    }

    fn annotation(&mut self, key: String) -> Result<Pred, FilterError> {
        if let Some(op) = self.peek_str_word_op()? {
            self.bump()?;
            let value = self.string_value()?;
            return Ok(Pred::Annotation {
                key,
                cmp: AnnotationCmp::Str(op, value),
            });
        }
        let cmp = match self.peek()?.kind {
            TokenKind::Eq | TokenKind::Ne => {
                let equal = self.bump()?.kind == TokenKind::Eq;
                let token = self.bump()?;
                match token.kind {
                    TokenKind::Str(s) => AnnotationCmp::Str(if equal { StrOp::Eq } else { StrOp::Ne }, s),
                    TokenKind::Number(n) => AnnotationCmp::Num(if equal { NumOp::Eq } else { NumOp::Ne }, n),
                    TokenKind::Word(w) if w.eq_ignore_ascii_case("true") => AnnotationCmp::Bool { equal, value: true },
                    TokenKind::Word(w) if w.eq_ignore_ascii_case("false") => {
                        AnnotationCmp::Bool { equal, value: false }
                    }
                    _ => return Err(syntax(&token, "a string, a number, true or false")),
                }
            }
            TokenKind::Lt | TokenKind::Le | TokenKind::Gt | TokenKind::Ge => {
                let op = self.num_op("annotation")?;
                AnnotationCmp::Num(op, self.number_value()?)
            }
            _ => return Ok(Pred::AnnotationSet { key }),
        };
        Ok(Pred::Annotation { key, cmp })
    }

    /// `( [node_ref] ) [ { body } ]` after `service`.
    fn service(&mut self) -> Result<Pred, FilterError> {
        self.expect(&TokenKind::LParen, "\"(\" after \"service\"")?;
        let node = if self.peek()?.kind == TokenKind::RParen {
            NodeRef::default()
        } else {
            self.node_ref()?
        };
        self.expect(&TokenKind::RParen, "\")\" to close service(")?;
        let body = self.block(Scope::Service)?;
        Ok(Pred::Service { node, body })
    }

    /// `( node_ref , node_ref ) [ { body } ]` after `edge`.
    fn edge(&mut self) -> Result<Pred, FilterError> {
        self.expect(&TokenKind::LParen, "\"(\" after \"edge\"")?;
        let source = self.node_ref()?;
        self.expect(&TokenKind::Comma, "\",\" between the two services of edge(")?;
        let destination = self.node_ref()?;
        self.expect(&TokenKind::RParen, "\")\" to close edge(")?;
        let body = self.block(Scope::Edge)?;
        Ok(Pred::Edge {
            source,
            destination,
            body,
        })
    }

    /// An optional `{ or_expr }`.
    fn block(&mut self, scope: Scope) -> Result<Option<Box<Expr>>, FilterError> {
        if self.peek()?.kind != TokenKind::LBrace {
            return Ok(None);
        }
        let open = self.bump()?;
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::TooDeep {
                position: open.position,
                max: MAX_DEPTH,
            });
        }
        self.depth += 1;
        let body = self.or_expr(scope);
        self.depth -= 1;
        let body = body?;
        self.expect(&TokenKind::RBrace, "AND, OR or \"}\"")?;
        Ok(Some(Box::new(body)))
    }

    /// `"name"` or `id(name: "…", type: "…")`.
    fn node_ref(&mut self) -> Result<NodeRef, FilterError> {
        const EXPECTED: &str = "a service name in double quotes or id(name: \"…\", type: \"…\")";
        let token = self.bump()?;
        match token.kind {
            TokenKind::Str(name) => Ok(NodeRef {
                name: Some(name),
                node_type: None,
            }),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("id") => {
                self.expect(&TokenKind::LParen, "\"(\" after \"id\"")?;
                let mut node = NodeRef::default();
                loop {
                    let arg = self.bump()?;
                    let slot = match arg.kind {
                        TokenKind::Word(w) if w.eq_ignore_ascii_case("name") => &mut node.name,
                        TokenKind::Word(w) if w.eq_ignore_ascii_case("type") => &mut node.node_type,
                        _ => return Err(syntax(&arg, "name: or type: inside id(")),
                    };
                    if slot.is_some() {
                        return Err(syntax(&arg, "each of name: and type: at most once"));
                    }
                    self.expect(&TokenKind::Colon, "\":\" after the id() argument name")?;
                    *slot = Some(self.string_value()?);
                    let sep = self.bump()?;
                    match sep.kind {
                        TokenKind::Comma => {}
                        TokenKind::RParen => return Ok(node),
                        _ => return Err(syntax(&sep, "\",\" or \")\" in id(")),
                    }
                }
            }
            _ => Err(syntax(&token, EXPECTED)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(flag: Flag) -> Expr {
        Expr::Pred(Pred::Flag { flag, expect: true })
    }

    fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }

    #[test]
    fn filter_parser_builds_trees_with_not_over_and_over_or() {
        use Flag::*;
        let cases: Vec<(&str, Expr)> = vec![
            ("", Expr::True),
            ("error", flag(Error)),
            (
                "error OR fault AND throttle",
                Expr::Or(vec![flag(Error), Expr::And(vec![flag(Fault), flag(Throttle)])]),
            ),
            (
                "error AND fault OR throttle",
                Expr::Or(vec![Expr::And(vec![flag(Error), flag(Fault)]), flag(Throttle)]),
            ),
            (
                "(error OR fault) AND throttle",
                Expr::And(vec![Expr::Or(vec![flag(Error), flag(Fault)]), flag(Throttle)]),
            ),
            ("!error AND fault", Expr::And(vec![not(flag(Error)), flag(Fault)])),
            ("!(error AND fault)", not(Expr::And(vec![flag(Error), flag(Fault)]))),
            ("ok !partial", Expr::And(vec![flag(Ok), not(flag(Partial))])),
            (
                "error = false",
                Expr::Pred(Pred::Flag {
                    flag: Error,
                    expect: false,
                }),
            ),
            (
                "error != false",
                Expr::Pred(Pred::Flag {
                    flag: Error,
                    expect: true,
                }),
            ),
            (
                "service() { root }",
                Expr::Pred(Pred::Service {
                    node: NodeRef::default(),
                    body: Some(Box::new(flag(Root))),
                }),
            ),
            (
                "edge(\"a\", id(type: \"T\"))",
                Expr::Pred(Pred::Edge {
                    source: NodeRef {
                        name: Some("a".to_owned()),
                        node_type: None,
                    },
                    destination: NodeRef {
                        name: None,
                        node_type: Some("T".to_owned()),
                    },
                    body: None,
                }),
            ),
            (
                "annotation[k] >= 2",
                Expr::Pred(Pred::Annotation {
                    key: "k".to_owned(),
                    cmp: AnnotationCmp::Num(NumOp::Ge, 2.0),
                }),
            ),
            (
                "user ENDSWITH \"x\"",
                Expr::Pred(Pred::Text {
                    field: TextField::User,
                    op: StrOp::EndsWith,
                    value: "x".to_owned(),
                }),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse_expr(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn filter_parser_scopes_keywords() {
        for (keyword, trace, service, edge) in [
            ("ok", true, true, true),
            ("error", true, true, true),
            ("partial", true, false, false),
            ("root", false, true, false),
            ("inferred", false, true, false),
            ("responsetime > 1", true, true, true),
            ("duration > 1", true, false, false),
            ("http.status = 1", true, true, false),
            ("http.url = \"u\"", true, true, false),
            ("user = \"u\"", true, false, false),
            ("message = \"m\"", true, false, false),
            ("name = \"n\"", true, true, false),
            ("type = \"t\"", true, true, false),
        ] {
            assert_eq!(parse_expr(keyword).is_ok(), trace, "{keyword} at trace level");
            let in_service = format!("service() {{ {keyword} }}");
            assert_eq!(parse_expr(&in_service).is_ok(), service, "{in_service}");
            let in_edge = format!("edge(\"a\", \"b\") {{ {keyword} }}");
            assert_eq!(parse_expr(&in_edge).is_ok(), edge, "{in_edge}");
        }
    }
}
