//! The X-Ray filter-expression language through its public API: `parse` and
//! `Filter::matches` over hand-built `TraceFacts`.
//!
//! Everything lives in `mod filter` so `cargo test -p otel-xray-local filter` selects it.

mod filter {
    use otel_xray_local::filter::{
        AnnotationValue, EdgeFacts, FilterError, HttpFacts, MAX_DEPTH, MAX_INPUT_BYTES, NodeFacts, TraceFacts, parse,
    };

    fn s(v: &str) -> String {
        v.to_owned()
    }

    /// A trace through four nodes:
    ///
    /// ```text
    /// api (root, EC2, error 404) --fault--> backend (fault) --throttle--> orders (DynamoDB, inferred)
    ///     \----------------------ok-------> random-name (Lambda)
    /// ```
    fn sample() -> TraceFacts {
        TraceFacts {
            id: s("1-5f84c7a1-0123456789abcdef01234567"),
            duration: 6.0,
            response_time: 2.5,
            error: true,
            fault: true,
            throttle: false,
            partial: false,
            http: HttpFacts {
                url: Some(s("http://api.example.com/v2/users")),
                method: Some(s("GET")),
                status: Some(404),
                user_agent: Some(s("curl/8.0")),
                client_ip: Some(s("10.0.0.1")),
            },
            users: vec![s("alice"), s("bob")],
            annotations: vec![
                (s("gameid"), AnnotationValue::String(s("817DL6VO"))),
                (s("age"), AnnotationValue::Number(42.0)),
                (s("vip"), AnnotationValue::Bool(true)),
                (s("age"), AnnotationValue::Number(7.0)),
                (s("dotted.key"), AnnotationValue::String(s("d"))),
                (s("with space"), AnnotationValue::String(s("sp"))),
                (s("Mixed"), AnnotationValue::String(s("m"))),
            ],
            messages: vec![s("connection refused"), s("Timeout waiting")],
            nodes: vec![
                NodeFacts {
                    name: s("api.example.com"),
                    node_type: s("AWS::EC2::Instance"),
                    root: true,
                    inferred: false,
                    error: true,
                    fault: false,
                    throttle: false,
                    response_time: 2.5,
                    http: HttpFacts {
                        url: Some(s("http://api.example.com/v2/users")),
                        method: Some(s("GET")),
                        status: Some(404),
                        user_agent: None,
                        client_ip: None,
                    },
                },
                NodeFacts {
                    name: s("backend.example.com"),
                    node_type: s(""),
                    fault: true,
                    response_time: 1.0,
                    http: HttpFacts {
                        status: Some(500),
                        method: Some(s("POST")),
                        ..HttpFacts::default()
                    },
                    ..NodeFacts::default()
                },
                NodeFacts {
                    name: s("orders"),
                    node_type: s("AWS::DynamoDB::Table"),
                    inferred: true,
                    throttle: true,
                    response_time: 0.5,
                    ..NodeFacts::default()
                },
                NodeFacts {
                    name: s("random-name"),
                    node_type: s("AWS::Lambda::Function"),
                    response_time: 0.2,
                    ..NodeFacts::default()
                },
            ],
            edges: vec![
                EdgeFacts {
                    source: 0,
                    destination: 1,
                    fault: true,
                    response_time: 1.0,
                    ..EdgeFacts::default()
                },
                EdgeFacts {
                    source: 1,
                    destination: 2,
                    throttle: true,
                    response_time: 0.5,
                    ..EdgeFacts::default()
                },
                EdgeFacts {
                    source: 0,
                    destination: 3,
                    response_time: 0.2,
                    ..EdgeFacts::default()
                },
                // A dangling edge must not panic or match anything.
                EdgeFacts {
                    source: 7,
                    destination: 0,
                    ..EdgeFacts::default()
                },
            ],
        }
    }

    fn check(facts: &TraceFacts, cases: &[(&str, bool)]) {
        for (expr, want) in cases {
            let filter = parse(expr).unwrap_or_else(|e| panic!("{expr:?} should parse: {e}"));
            assert_eq!(filter.matches(facts), *want, "{expr:?}");
        }
    }

    #[test]
    fn boolean_keywords() {
        check(
            &sample(),
            &[
                ("error", true),
                ("fault", true),
                ("throttle", false),
                ("partial", false),
                ("ok", false),
                ("!ok", true),
                ("!throttle", true),
                ("!error", false),
                ("error = true", true),
                ("error = false", false),
                ("error != true", false),
                ("error != false", true),
                ("throttle = false", true),
                ("partial != true", true),
                ("ok = \"false\"", true),
                ("ERROR = TRUE", true),
                ("Fault", true),
            ],
        );
        let calm = TraceFacts {
            partial: true,
            ..TraceFacts::default()
        };
        check(
            &calm,
            &[
                ("ok", true),
                ("error", false),
                ("partial", true),
                ("partial = false", false),
            ],
        );
    }

    #[test]
    fn number_keywords() {
        check(
            &sample(),
            &[
                ("responsetime > 2", true),
                ("responsetime > 2.5", false),
                ("responsetime >= 2.5", true),
                ("responsetime = 2.5", true),
                ("responsetime != 2.5", false),
                ("responsetime < 3", true),
                ("responsetime <= 2.4", false),
                ("duration >= 5 AND duration <= 8", true),
                ("duration < 5", false),
                ("duration>5", true),
                ("http.status = 404", true),
                ("http.status != 200", true),
                ("http.status != 404", false),
                ("http.status >= 500", false),
                ("http.status < 4.04e2", false),
                ("responsetime > -1", true),
            ],
        );
        // Missing http.status matches no comparison, not even `!=`.
        check(
            &TraceFacts::default(),
            &[
                ("http.status = 200", false),
                ("http.status != 200", false),
                ("!http.status = 200", true),
                ("responsetime = 0", true),
            ],
        );
    }

    #[test]
    fn string_keywords() {
        check(
            &sample(),
            &[
                ("http.url = \"http://api.example.com/v2/users\"", true),
                ("http.url BEGINSWITH \"http://api.example.com/\"", true),
                ("http.url CONTAINS \"/v2/\"", true),
                ("http.url ENDSWITH \"/orders\"", false),
                ("http.url != \"x\"", true),
                ("http.method = \"GET\"", true),
                ("http.method = \"get\"", false),
                ("http.method != \"GET\"", false),
                ("http.useragent BEGINSWITH \"curl\"", true),
                ("http.clientip = \"10.0.0.1\"", true),
                ("http.clientip ENDSWITH \".2\"", false),
                ("http.url contains \"v2\"", true),
                ("http.url BeginsWith \"http\"", true),
                ("http.url endswith \"users\"", true),
            ],
        );
    }

    #[test]
    fn multi_valued_string_keywords_match_any_and_not_equal_means_none() {
        check(
            &sample(),
            &[
                ("user = \"alice\"", true),
                ("user = \"bob\"", true),
                ("user = \"carol\"", false),
                ("user != \"carol\"", true),
                ("user != \"bob\"", false),
                ("user CONTAINS \"\"", true),
                ("user BEGINSWITH \"al\"", true),
                ("user ENDSWITH \"ob\"", true),
                ("message CONTAINS \"refused\"", true),
                ("message BEGINSWITH \"Timeout\"", true),
                ("message = \"timeout waiting\"", false),
                ("name = \"orders\"", true),
                ("name = \"nope\"", false),
                ("name != \"nope\"", true),
                ("type = \"AWS::Lambda::Function\"", true),
                ("type BEGINSWITH \"AWS::\"", true),
                ("type = \"\"", false),
            ],
        );
        // No values at all: nothing matches, `!=` and presence included.
        check(
            &TraceFacts::default(),
            &[
                ("user CONTAINS \"\"", false),
                ("!user CONTAINS \"\"", true),
                ("user != \"bob\"", false),
                ("message != \"x\"", false),
                ("name != \"x\"", false),
                ("http.url != \"x\"", false),
            ],
        );
    }

    #[test]
    fn annotations_of_each_type() {
        check(
            &sample(),
            &[
                ("annotation.gameid = \"817DL6VO\"", true),
                ("annotation.gameid = \"817dl6vo\"", false),
                ("annotation.gameid != \"x\"", true),
                ("annotation.gameid CONTAINS \"DL6\"", true),
                ("annotation.gameid BEGINSWITH \"817\"", true),
                ("annotation.gameid ENDSWITH \"VO\"", true),
                ("annotation.gameid", true),
                ("!annotation.gameid", false),
                ("!annotation.missing", true),
                ("annotation.missing", false),
                ("annotation.age = 42", true),
                ("annotation.age = 7", true),
                ("annotation.age > 40", true),
                ("annotation.age < 7", false),
                ("annotation.age <= 7", true),
                ("annotation.age >= 43", false),
                ("annotation.age != 42", false),
                ("annotation.age != 41", true),
                ("annotation.vip = true", true),
                ("annotation.vip = false", false),
                ("annotation.vip != false", true),
                ("annotation.vip != true", false),
                ("annotation.vip = TRUE", true),
                // The wrong type never matches.
                ("annotation.age = \"42\"", false),
                ("annotation.gameid = 817", false),
                ("annotation.gameid > 1", false),
                ("annotation.vip = \"true\"", false),
                ("annotation.age = true", false),
                ("annotation.gameid != 1", false),
                // Bracket form, raw or quoted, and key case.
                ("annotation[gameid] = \"817DL6VO\"", true),
                ("annotation[dotted.key] = \"d\"", true),
                ("annotation.dotted.key = \"d\"", true),
                ("annotation[\"with space\"] = \"sp\"", true),
                ("annotation[with space]", true),
                ("annotation.Mixed", true),
                ("annotation.mixed", false),
                ("ANNOTATION.Mixed = \"m\"", true),
            ],
        );
    }

    #[test]
    fn service_blocks() {
        check(
            &sample(),
            &[
                ("service(\"api.example.com\")", true),
                ("service(\"nope\")", false),
                ("!service(\"nope\")", true),
                ("service(\"api.example.com\") { error }", true),
                ("service(\"api.example.com\") { fault }", false),
                (
                    "service(\"backend.example.com\") { fault = true OR responsetime > 2.5 }",
                    true,
                ),
                ("service(\"api.example.com\") { root }", true),
                ("service(\"backend.example.com\") { root }", false),
                ("service(\"backend.example.com\") { !root }", true),
                ("service(\"orders\") { inferred AND throttle }", true),
                ("service(\"orders\") { inferred = false }", false),
                ("service() { throttle }", true),
                ("service() { responsetime > 3 }", false),
                ("service() { responsetime >= 2.5 }", true),
                ("service() { ok }", true),
                ("service(\"api.example.com\") { ok }", false),
                ("service() { http.status = 500 }", true),
                ("service() { http.method = \"POST\" AND fault }", true),
                ("service() { http.method = \"POST\" AND error }", false),
                ("service() { http.url CONTAINS \"/v2/\" }", true),
                (
                    "service() { name = \"orders\" AND type = \"AWS::DynamoDB::Table\" }",
                    true,
                ),
                (
                    "service() { name = \"orders\" AND type = \"AWS::Lambda::Function\" }",
                    false,
                ),
                ("service() { type = \"\" }", false),
                (
                    "service(id(name: \"random-name\", type: \"AWS::Lambda::Function\"))",
                    true,
                ),
                (
                    "service(id(name: \"random-name\", type: \"AWS::Lambda::Function\")) { error }",
                    false,
                ),
                ("service(id(type: \"AWS::DynamoDB::Table\")) { throttle }", true),
                ("service(id(type: \"AWS::SNS\"))", false),
                ("service(id(name: \"orders\"))", true),
                (
                    "service(ID(TYPE: \"AWS::EC2::Instance\", NAME: \"api.example.com\")) { root }",
                    true,
                ),
            ],
        );
        check(
            &TraceFacts::default(),
            &[("service()", false), ("service() { ok }", false), ("!service()", true)],
        );
    }

    #[test]
    fn edge_blocks() {
        check(
            &sample(),
            &[
                ("edge(\"api.example.com\", \"backend.example.com\")", true),
                ("edge(\"backend.example.com\", \"api.example.com\")", false),
                ("edge(\"api.example.com\", \"backend.example.com\") { fault }", true),
                (
                    "edge(\"api.example.com\", \"backend.example.com\") { fault = true }",
                    true,
                ),
                ("edge(\"api.example.com\", \"backend.example.com\") { error }", false),
                (
                    "edge(\"api.example.com\", \"backend.example.com\") { responsetime >= 1 }",
                    true,
                ),
                ("edge(\"api.example.com\", \"random-name\") { ok }", true),
                (
                    "edge(\"backend.example.com\", id(type: \"AWS::DynamoDB::Table\")) { throttle }",
                    true,
                ),
                (
                    "edge(id(name: \"api.example.com\"), id(type: \"AWS::Lambda::Function\")) { responsetime < 1 }",
                    true,
                ),
                ("edge(id(type: \"AWS::Lambda::Function\"), \"api.example.com\")", false),
            ],
        );
    }

    #[test]
    fn precedence_and_grouping() {
        // sample(): error, fault, !throttle, !partial.
        check(
            &sample(),
            &[
                ("throttle AND error OR fault", true),
                ("throttle AND (error OR fault)", false),
                ("fault OR throttle AND partial", true),
                ("(fault OR throttle) AND partial", false),
                ("!throttle AND partial", false),
                ("!(throttle AND partial)", true),
                ("!!error", true),
                ("!(!(error))", true),
                ("error and fault", true),
                ("throttle or fault", true),
                ("error fault", true),
                ("error !fault", false),
                ("ok !partial duration < 3", false),
                ("error !partial duration < 8", true),
                ("((((error))))", true),
                (
                    "service(\"api.example.com\") { error OR responsetime > 2.5 } AND annotation.age = 42",
                    true,
                ),
                (
                    "http.url BEGINSWITH \"http://api.example.com/\" AND http.url CONTAINS \"/v2/\" AND !service(\"api.example.com\")",
                    false,
                ),
                ("  \n\t error \r\n", true),
            ],
        );
    }

    #[test]
    fn empty_expression_matches_everything() {
        for expr in ["", "   ", "\n\t"] {
            let filter = parse(expr).unwrap();
            assert!(filter.is_match_all());
            assert!(filter.matches(&TraceFacts::default()));
            assert!(filter.matches(&sample()));
        }
        assert!(!parse("ok").unwrap().is_match_all());
    }

    #[test]
    fn filter_implements_from_str_and_clone() {
        let filter: otel_xray_local::filter::Filter = "fault".parse().unwrap();
        assert!(filter.clone().matches(&sample()));
        assert!("fault AND".parse::<otel_xray_local::filter::Filter>().is_err());
    }

    /// What kind of error a case expects.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Kind {
        Syntax,
        Char,
        Unterminated,
        Number,
        Unknown,
        Unsupported,
        NotAllowed,
        TooDeep,
    }

    fn kind(err: &FilterError) -> Option<Kind> {
        Some(match err {
            FilterError::Syntax { .. } => Kind::Syntax,
            FilterError::UnexpectedCharacter { .. } => Kind::Char,
            FilterError::UnterminatedString { .. } => Kind::Unterminated,
            FilterError::InvalidNumber { .. } => Kind::Number,
            FilterError::UnknownKeyword { .. } => Kind::Unknown,
            FilterError::Unsupported { .. } => Kind::Unsupported,
            FilterError::NotAllowedHere { .. } => Kind::NotAllowed,
            FilterError::TooDeep { .. } => Kind::TooDeep,
            _ => return None,
        })
    }

    #[test]
    fn parse_errors_name_the_position_and_what_was_expected() {
        use Kind::*;
        let cases: &[(&str, Kind, usize, &str)] = &[
            (
                "responsetime >",
                Syntax,
                14,
                "expected a number, found end of expression",
            ),
            (
                "responsetime > \"5\"",
                Syntax,
                15,
                "expected a number, found string \"5\"",
            ),
            (
                "responsetime",
                Syntax,
                12,
                "a number comparison (=, !=, <, <=, >, >=) after \"responsetime\"",
            ),
            ("responsetime CONTAINS 5", Syntax, 13, "found \"CONTAINS\""),
            (
                "http.url = 5",
                Syntax,
                11,
                "expected a string in double quotes, found number 5",
            ),
            ("http.url > \"a\"", Syntax, 9, "a string comparison"),
            ("user", Syntax, 4, "a string comparison"),
            ("error = maybe", Syntax, 8, "expected true or false, found \"maybe\""),
            ("error = 1", Syntax, 8, "expected true or false"),
            ("error AND", Syntax, 9, "a filter keyword, \"!\" or \"(\""),
            ("error OR OR fault", Syntax, 9, "found \"OR\""),
            ("AND error", Syntax, 0, "expected a filter keyword, found \"AND\""),
            ("(error", Syntax, 6, "expected AND, OR or \")\""),
            (
                "error)",
                Syntax,
                5,
                "expected AND, OR or the end of the expression, found \")\"",
            ),
            ("()", Syntax, 1, "found \")\""),
            ("error = true = true", Syntax, 13, "found \"=\""),
            ("= 5", Syntax, 0, "found \"=\""),
            ("!", Syntax, 1, "found end of expression"),
            ("service", Syntax, 7, "\"(\" after \"service\""),
            ("service(", Syntax, 8, "a service name in double quotes or id("),
            ("service(\"a\"", Syntax, 11, "\")\" to close service("),
            ("service(api) { error }", Syntax, 8, "found \"api\""),
            ("service(\"a\") { }", Syntax, 15, "a filter keyword"),
            ("service(\"a\") { error", Syntax, 20, "expected AND, OR or \"}\""),
            ("service(id()) { error }", Syntax, 11, "name: or type: inside id("),
            (
                "service(id(name \"a\"))",
                Syntax,
                16,
                "\":\" after the id() argument name",
            ),
            (
                "service(id(name: \"a\" type: \"b\"))",
                Syntax,
                21,
                "\",\" or \")\" in id(",
            ),
            ("service(id(name: \"a\", name: \"b\"))", Syntax, 22, "at most once"),
            ("service(id(colour: \"red\"))", Syntax, 11, "name: or type:"),
            ("edge(\"a\")", Syntax, 8, "\",\" between the two services of edge("),
            ("edge()", Syntax, 5, "a service name in double quotes"),
            ("edge(\"a\", \"b\"", Syntax, 13, "\")\" to close edge("),
            ("annotation", Syntax, 10, "\".\" or \"[\" after \"annotation\""),
            ("annotation. = 1", Syntax, 11, "an annotation key"),
            ("annotation[] = 1", Syntax, 11, "an annotation key"),
            ("annotation[abc = 1", Syntax, 18, "\"]\" to close the annotation key"),
            ("annotation.a < \"x\"", Syntax, 15, "expected a number"),
            ("annotation.a = (", Syntax, 15, "a string, a number, true or false"),
            ("annotation.a CONTAINS 5", Syntax, 22, "a string in double quotes"),
            ("http.url = \"abc", Unterminated, 11, "has no closing double quote"),
            ("responsetime > 5s", Number, 15, "invalid number \"5s\""),
            ("responsetime > 1e999", Number, 15, "invalid number"),
            ("error && fault", Char, 6, "unexpected character '&'"),
            ("error | fault", Char, 6, "'|'"),
            ("responsetime ≥ 5", Char, 13, "'≥'"),
            (
                "durationn > 5",
                Unknown,
                0,
                "unknown filter keyword \"durationn\" at position 0: Local X-Ray supports",
            ),
            ("error AND foo", Unknown, 10, "\"foo\""),
            (
                "rootcause.fault.service { name = \"a\" }",
                Unsupported,
                0,
                "unsupported filter keyword \"rootcause.fault.service\" at position 0: Local X-Ray supports ok, error",
            ),
            (
                "rootcause.responsetime.entity { name = \"a\" }",
                Unsupported,
                0,
                "rootcause.responsetime.entity",
            ),
            ("group.name = \"g\"", Unsupported, 0, "\"group.name\""),
            ("group.arn = \"arn\"", Unsupported, 0, "\"group.arn\""),
            ("json CONTAINS \"x\"", Unsupported, 0, "\"json\""),
            ("error AND first", Unsupported, 10, "\"first\""),
            ("last", Unsupported, 0, "\"last\""),
            ("remote", Unsupported, 0, "\"remote\""),
            ("index = 1", Unsupported, 0, "\"index\""),
            ("coverage > 0.5", Unsupported, 0, "\"coverage\""),
            (
                "availabilityzone = \"us-east-1a\"",
                Unsupported,
                0,
                "\"availabilityzone\"",
            ),
            ("instance.id = \"i-1\"", Unsupported, 0, "\"instance.id\""),
            ("resource.arn = \"arn\"", Unsupported, 0, "\"resource.arn\""),
            ("root", Unsupported, 0, "\"root\""),
            ("!root", Unsupported, 1, "\"root\""),
            ("inferred = true", Unsupported, 0, "\"inferred\""),
            ("service() { partial }", Unsupported, 12, "\"partial\""),
            ("service() { duration > 1 }", Unsupported, 12, "\"duration\""),
            ("service() { user = \"a\" }", Unsupported, 12, "\"user\""),
            ("service() { message = \"a\" }", Unsupported, 12, "\"message\""),
            (
                "edge(\"a\", \"b\") { http.status = 500 }",
                Unsupported,
                17,
                "\"http.status\"",
            ),
            ("edge(\"a\", \"b\") { name = \"a\" }", Unsupported, 17, "\"name\""),
            ("edge(\"a\", \"b\") { root }", Unsupported, 17, "\"root\""),
            (
                "service(\"a\") { annotation.x = 1 }",
                NotAllowed,
                15,
                "\"annotation.x\" at position 15 cannot be used inside a service() or edge() block",
            ),
            (
                "edge(\"a\", \"b\") { annotation[x] }",
                NotAllowed,
                17,
                "cannot be used inside",
            ),
            ("service() { service(\"a\") }", NotAllowed, 12, "\"service\""),
            ("service() { edge(\"a\", \"b\") }", NotAllowed, 12, "\"edge\""),
        ];
        let mut failures = Vec::new();
        for (expr, want_kind, want_pos, want_text) in cases {
            match parse(expr) {
                Ok(f) => failures.push(format!("{expr:?}: parsed as {f:?}")),
                Err(err) => {
                    let msg = err.to_string();
                    if kind(&err) != Some(*want_kind) || err.position() != *want_pos || !msg.contains(want_text) {
                        failures.push(format!(
                            "{expr:?}: got {:?} at {} {msg:?}; want {want_kind:?} at {want_pos} containing {want_text:?}",
                            kind(&err),
                            err.position()
                        ));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn limits_refuse_hostile_input_without_overflowing_the_stack() {
        let deep_parens = format!("{}error{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(matches!(parse(&deep_parens), Err(FilterError::TooDeep { .. })));
        let ok_parens = format!("{}error{}", "(".repeat(MAX_DEPTH - 1), ")".repeat(MAX_DEPTH - 1));
        assert!(parse(&ok_parens).unwrap().matches(&sample()));

        let deep_bangs = format!("{}error", "!".repeat(MAX_DEPTH * 4));
        assert!(matches!(parse(&deep_bangs), Err(FilterError::TooDeep { .. })));

        let many_parens = "(".repeat(MAX_INPUT_BYTES - 1);
        assert!(matches!(parse(&many_parens), Err(FilterError::TooDeep { .. })));

        let too_long = "(".repeat(MAX_INPUT_BYTES + 1);
        let err = parse(&too_long).unwrap_err();
        assert!(matches!(err, FilterError::TooLong { .. }), "{err}");
        assert!(err.to_string().contains("bytes long"));

        // Long flat chains are fine: AND/OR lists do not recurse.
        let chain = vec!["error"; 1000].join(" AND ");
        assert!(parse(&chain).unwrap().matches(&sample()));
        let chain = vec!["throttle"; 1000].join(" OR ");
        assert!(!parse(&chain).unwrap().matches(&sample()));
    }

    /// xorshift64*: a few lines of deterministic randomness, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn parse_and_matches_never_panic_on_random_input() {
        const FRAGMENTS: &[&str] = &[
            "error",
            "fault",
            "ok",
            "partial",
            "root",
            "inferred",
            "responsetime",
            "duration",
            "http.status",
            "http.url",
            "user",
            "name",
            "type",
            "message",
            "annotation.a",
            "annotation[",
            "annotation",
            "service",
            "edge",
            "id",
            "name:",
            "type:",
            "AND",
            "OR",
            "CONTAINS",
            "BEGINSWITH",
            "ENDSWITH",
            "true",
            "false",
            "rootcause.fault.service",
            "(",
            ")",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "!",
            "=",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "\"",
            "\"a\"",
            "\"\\\"",
            "\\",
            "5",
            "-1.5e3",
            "1e999",
            ".",
            "-",
            " ",
            "  ",
            "\n",
            "é",
            "≥",
            "\u{0}",
            "\"api.example.com\"",
            "&&",
            "#",
        ];
        let facts = sample();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut parsed = 0usize;
        for _ in 0..20_000 {
            let mut input = String::new();
            for _ in 0..rng.below(24) {
                if rng.below(8) == 0 {
                    // A random char, including multi-byte ones.
                    let c = char::from_u32(rng.below(0x3000) as u32).unwrap_or('?');
                    input.push(c);
                } else {
                    input.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
                    if rng.below(2) == 0 {
                        input.push(' ');
                    }
                }
            }
            match parse(&input) {
                Ok(filter) => {
                    parsed += 1;
                    let _ = filter.matches(&facts);
                    let _ = filter.matches(&TraceFacts::default());
                }
                Err(err) => {
                    assert!(err.position() <= input.len(), "{input:?}: {err}");
                    assert!(!err.to_string().is_empty());
                }
            }
        }
        // The generator should produce some valid expressions too.
        assert!(parsed > 0);
    }
}
