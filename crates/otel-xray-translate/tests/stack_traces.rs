//! §8.3: stack-trace parsing, tested through `exception.stacktrace` event attributes with
//! `telemetry.sdk.language` on the resource.

mod common;

use common::*;

/// Translates one exception event with this stack text and language; returns the exceptions.
fn parse(language: &str, event_type: &str, event_message: &str, stack: &str) -> Vec<Json> {
    let d = one_both(
        &res(vec![kv("telemetry.sdk.language", language)]),
        span("op").server().event(
            "exception",
            START_NS,
            vec![
                kv("exception.type", event_type),
                kv("exception.message", event_message),
                kv("exception.stacktrace", stack),
            ],
        ),
    );
    let ex = d["cause"]["exceptions"].as_array().cloned().unwrap_or_default();
    // Cause links follow list order.
    for w in ex.windows(2) {
        assert_eq!(w[0]["cause"], w[1]["id"], "chain broken in {ex:#?}");
    }
    if let Some(last) = ex.last() {
        assert!(absent(&last["cause"]));
    }
    ex
}

fn frame(path: &str, line: i64, label: &str) -> Json {
    json!({"path": path, "line": line, "label": label})
}

fn stack(e: &Json) -> Vec<Json> {
    e["stack"].as_array().cloned().unwrap_or_default()
}

// ------------------------------------------------------------------------------------------------
// Java / PHP
// ------------------------------------------------------------------------------------------------

fn java() -> String {
    [
        "java.lang.IllegalStateException: first line is ignored",
        "\tat com.example.Foo.bar(Foo.java:42)",
        "\tat java.base/java.lang.Thread.run(Thread.java:833)",
        "\tat app//com.example.Loader.load(Loader.java:7)",
        "\tat jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
        "\tat com.example.Baz.noLine(Baz.java)",
        "\tat com.example.Baz.emptyLine(Baz.java:)",
        "\tat com.example.Baz.badLine(Baz.java:x1)",
        "\tat com.example.Broken.noClose(Broken.java:1",
        "\tat com.example.Broken.trailing(Broken.java:1) junk",
        "\t... 12 more",
    ]
    .join("\n")
}

#[test]
fn java_frames() {
    let ex = parse("java", "java.lang.IllegalStateException", "from the event", &java());
    assert_eq!(ex.len(), 1);
    // Type and message come from the event, never from the first line.
    assert_eq!(ex[0]["type"], "java.lang.IllegalStateException");
    assert_eq!(ex[0]["message"], "from the event");
    assert_eq!(
        stack(&ex[0]),
        vec![
            frame("Foo.java", 42, "com.example.Foo.bar"),
            frame("Thread.java", 833, "java.lang.Thread.run"),
            frame("Loader.java", 7, "/com.example.Loader.load"),
            frame(
                "Native Method",
                0,
                "jdk.internal.reflect.NativeMethodAccessorImpl.invoke0"
            ),
            frame("Baz.java", 0, "com.example.Baz.noLine"),
            frame("Baz.java", 0, "com.example.Baz.emptyLine"),
            frame("Baz.java", 0, "com.example.Baz.badLine"),
        ]
    );
}

#[test]
fn php_uses_the_java_parser() {
    let ex = parse("php", "Exception", "m", &java());
    assert_eq!(stack(&ex[0]).len(), 7);
    assert_eq!(stack(&ex[0])[0], frame("Foo.java", 42, "com.example.Foo.bar"));
}

#[test]
fn java_caused_by_chain() {
    let text = [
        "java.lang.RuntimeException: wrapper",
        "\tat com.example.Service.call(Service.java:10)",
        "Caused by: java.io.IOException: disk full",
        "\tat com.example.Disk.write(Disk.java:7)",
        "\tat com.example.Disk.flush(Disk.java:9)",
        "\t... 3 more",
        "Caused by: com.example.NoMessage",
        "\tat com.example.Low.level(Low.java:1)",
    ]
    .join("\n");
    let ex = parse("java", "java.lang.RuntimeException", "wrapper", &text);
    assert_eq!(ex.len(), 3, "{ex:#?}");
    assert_eq!(
        stack(&ex[0]),
        vec![frame("Service.java", 10, "com.example.Service.call")]
    );
    assert_eq!(ex[1]["type"], "java.io.IOException");
    assert_eq!(ex[1]["message"], "disk full");
    assert_eq!(
        stack(&ex[1]),
        vec![
            frame("Disk.java", 7, "com.example.Disk.write"),
            frame("Disk.java", 9, "com.example.Disk.flush"),
        ]
    );
    assert_eq!(ex[2]["type"], "com.example.NoMessage");
    assert_eq!(ex[2]["message"], "");
    assert_eq!(stack(&ex[2]), vec![frame("Low.java", 1, "com.example.Low.level")]);
    for e in &ex {
        assert!(is_hex16(&e["id"]));
        // SERVER span: not remote, inherited by the chain.
        assert_eq!(e["remote"], false);
    }
}

#[test]
fn java_caused_by_message_continues_without_separator() {
    let text = [
        "E: x",
        "\tat a.B.c(B.java:1)",
        "Caused by: com.example.Err: first line",
        "second line",
        "third",
        "\tat d.E.f(E.java:2)",
    ]
    .join("\n");
    let ex = parse("java", "E", "x", &text);
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[1]["message"], "first linesecond linethird");
    assert_eq!(stack(&ex[1]), vec![frame("E.java", 2, "d.E.f")]);
}

#[test]
fn java_caused_by_ending_at_the_colon() {
    // The reference crashes here; the message is empty.
    let text = "E: x\n\tat a.B.c(B.java:1)\nCaused by: com.example.Err:";
    let ex = parse("java", "E", "x", text);
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[1]["type"], "com.example.Err");
    assert_eq!(ex[1]["message"], "");
    assert!(absent(&ex[1]["stack"]));
}

#[test]
fn java_suppressed_blocks_are_skipped() {
    let text = [
        "E: x",
        "\tat a.B.c(B.java:1)",
        "\tSuppressed: java.lang.Exception: suppressed",
        "\t\tat s.T.u(T.java:5)",
        "\t\t... 1 more",
        "\tat a.B.d(B.java:2)",
    ]
    .join("\n");
    let ex = parse("java", "E", "x", &text);
    assert_eq!(ex.len(), 1);
    assert_eq!(
        stack(&ex[0]),
        vec![frame("B.java", 1, "a.B.c"), frame("B.java", 2, "a.B.d")]
    );
}

// ------------------------------------------------------------------------------------------------
// Python
// ------------------------------------------------------------------------------------------------

#[test]
fn python_frames_innermost_first() {
    let text = [
        "Traceback (most recent call last):",
        "  File \"/app/main.py\", line 10, in handler",
        "    do_work()",
        "  File \"/app/work.py\", line 3, in do_work",
        "    raise ValueError(\"bad\")",
        "ValueError: bad",
    ]
    .join("\n");
    let ex = parse("python", "ValueError", "bad", &text);
    assert_eq!(ex.len(), 1);
    assert_eq!(
        stack(&ex[0]),
        vec![
            frame("/app/work.py", 3, "do_work"),
            frame("/app/main.py", 10, "handler")
        ]
    );
}

#[test]
fn python_frames_that_do_not_split_into_three_parts_are_skipped() {
    let text = [
        "Traceback (most recent call last):",
        "  File \"/app/a,b.py\", line 1, in f",
        "  File \"/app/ok.py\", line x, in g",
        "  File \"/app/ok.py\", line 2, at h",
        "Error: e",
    ]
    .join("\n");
    let ex = parse("python", "Error", "e", &text);
    assert_eq!(
        stack(&ex[0]),
        vec![frame("/app/ok.py", 2, ""), frame("/app/ok.py", 0, "g")]
    );
}

#[test]
fn python_chained_exception() {
    let text = [
        "Traceback (most recent call last):",
        "  File \"/app/a.py\", line 5, in first",
        "    int(\"x\")",
        "ValueError: invalid literal",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        "  File \"/app/b.py\", line 9, in second",
        "    raise RuntimeError(\"wrapped\")",
        "RuntimeError: wrapped",
    ]
    .join("\n");
    let ex = parse("python", "RuntimeError", "wrapped", &text);
    assert_eq!(ex.len(), 2, "{ex:#?}");
    assert_eq!(ex[0]["type"], "RuntimeError");
    assert_eq!(stack(&ex[0]), vec![frame("/app/b.py", 9, "second")]);
    assert_eq!(ex[1]["type"], "ValueError");
    assert_eq!(ex[1]["message"], "invalid literal");
    assert_eq!(stack(&ex[1]), vec![frame("/app/a.py", 5, "first")]);
}

#[test]
fn python_chain_without_file_line_stops() {
    let text = [
        "During handling of the above exception, another exception occurred:",
        "Traceback (most recent call last):",
        "  File \"/app/b.py\", line 9, in second",
        "    x",
        "E: m",
    ]
    .join("\n");
    let ex = parse("python", "E", "m", &text);
    assert_eq!(ex.len(), 1);
    assert_eq!(stack(&ex[0]), vec![frame("/app/b.py", 9, "second")]);
}

// ------------------------------------------------------------------------------------------------
// JavaScript
// ------------------------------------------------------------------------------------------------

#[test]
fn javascript_frames() {
    let text = [
        "Error: boom",
        "    at handler (/app/index.js:10:15)",
        "    at /app/lib.js:3:7",
        "    at Array.forEach (<anonymous>)",
        "    at native",
        "    at broken (/app/x.js:1:2",
        "    at Object.<anonymous> (/app/one-colon.js:5)",
        "  at two.spaces (/app/y.js:1:1)",
    ]
    .join("\n");
    for language in ["javascript", "nodejs", "webjs"] {
        let ex = parse(language, "Error", "boom", &text);
        assert_eq!(
            stack(&ex[0]),
            vec![
                frame("/app/index.js", 10, "handler "),
                frame("/app/lib.js", 3, ""),
                frame("<anonymous>", 0, "Array.forEach "),
                frame("native", 0, ""),
                frame("/app/one-colon.js:5", 0, "Object.<anonymous> "),
            ],
            "{language}"
        );
    }
}

#[test]
fn javascript_native_paths() {
    let text = "TypeError: x\n    at JSON.parse (native code)\n    at f (node:internal/x:12:3)";
    let ex = parse("nodejs", "TypeError", "x", text);
    assert_eq!(
        stack(&ex[0]),
        vec![frame("native", 0, "JSON.parse "), frame("node", 0, "f ")]
    );
}

// ------------------------------------------------------------------------------------------------
// .NET
// ------------------------------------------------------------------------------------------------

#[test]
fn dotnet_frames() {
    let text = [
        "System.InvalidOperationException: boom",
        "   at MyApp.Service.Run() in C:\\src\\Service.cs:line 42",
        "   at MyApp.Program.Main(String[] args)",
        "   --- End of inner exception stack trace ---",
        " ---> System.Exception: inner",
        "   at Lib.Helper.Do() in /src/Helper.cs:line 7",
        "   at NoParen.Here",
    ]
    .join("\n");
    let ex = parse("dotnet", "System.InvalidOperationException", "boom", &text);
    assert_eq!(ex.len(), 1);
    assert_eq!(
        stack(&ex[0]),
        vec![
            frame("C:\\src\\Service.cs", 42, "MyApp.Service.Run()"),
            frame("", 0, "MyApp.Program.Main(String[] args)"),
            frame("/src/Helper.cs", 7, "Lib.Helper.Do()"),
        ]
    );
}

#[test]
fn dotnet_accepts_crlf() {
    let text = "System.Exception: x\r\n   at A.B() in /a.cs:line 3\r\n   at C.D()\r\n";
    let ex = parse("dotnet", "System.Exception", "x", text);
    assert_eq!(stack(&ex[0]), vec![frame("/a.cs", 3, "A.B()"), frame("", 0, "C.D()")]);
}

// ------------------------------------------------------------------------------------------------
// Go
// ------------------------------------------------------------------------------------------------

#[test]
fn go_frames() {
    let text = [
        "goroutine 1 [running]:",
        "main.handler(0x1, 0x2)",
        "\t/app/main.go:42 +0x1d",
        "created by main.main",
        "\t/app/main.go:10 +0x5",
    ]
    .join("\n");
    let ex = parse("go", "*errors.errorString", "boom", &text);
    assert_eq!(
        stack(&ex[0]),
        vec![
            frame("/app/main.go", 42, "main.handler(0x1, 0x2)"),
            frame("/app/main.go", 10, "created by main.main"),
        ]
    );
}

#[test]
fn go_reuses_the_previous_location_when_a_line_does_not_match() {
    let text = [
        "goroutine 7 [running]:",
        "main.a()",
        "\t/app/a.go:5 +0x1",
        "main.b()",
        "\tno location here",
    ]
    .join("\n");
    let ex = parse("go", "E", "m", &text);
    assert_eq!(
        stack(&ex[0]),
        vec![frame("/app/a.go", 5, "main.a()"), frame("/app/a.go", 5, "main.b()")]
    );
}

#[test]
fn go_skips_running_goroutine_headers() {
    let text = [
        "goroutine 1 [running]:",
        "main.a()",
        "\t/app/a.go:5 +0x1",
        "goroutine 2 [running]:",
        "main.b()",
        "\t/app/b.go:6 +0x2",
    ]
    .join("\n");
    let ex = parse("go", "E", "m", &text);
    assert_eq!(
        stack(&ex[0]),
        vec![frame("/app/a.go", 5, "main.a()"), frame("/app/b.go", 6, "main.b()")]
    );
}

// ------------------------------------------------------------------------------------------------
// Other languages
// ------------------------------------------------------------------------------------------------

#[test]
fn unknown_language_gives_no_frames() {
    for language in ["ruby", "cpp", "", "Java"] {
        let ex = parse(language, "E", "m", &java());
        assert_eq!(ex.len(), 1, "{language}");
        assert!(absent(&ex[0]["stack"]), "{language}");
    }
}

#[test]
fn no_frames_found_means_no_stack() {
    let ex = parse("java", "E", "m", "E: m\nnothing that looks like a frame");
    assert_eq!(ex.len(), 1);
    assert!(absent(&ex[0]["stack"]));
}

#[test]
fn language_is_read_from_the_resource_only() {
    let d = one(
        &no_res(),
        span("op").attr("telemetry.sdk.language", "java").event(
            "exception",
            START_NS,
            vec![kv("exception.type", "E"), kv("exception.stacktrace", java())],
        ),
    );
    assert!(absent(&d["cause"]["exceptions"][0]["stack"]), "{d:#}");
}
