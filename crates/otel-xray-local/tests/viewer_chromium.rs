//! The web viewer in a real headless Chromium (Debian's `chromium` package).
//!
//! Each test opens an in-memory [`LocalXray`], serves it on `127.0.0.1:0`, seeds it through
//! `POST /TraceSegments` with the documents in `tests/data/viewer/seed.json` (an API Gateway →
//! Lambda → DynamoDB + PostgreSQL order lookup with annotations, metadata and an independently
//! sent subsegment; a payment that faults with an exception and a throttled DynamoDB call; a 404),
//! then loads viewer pages with `chromium --headless --virtual-time-budget --dump-dom` and asserts
//! on the rendered DOM what a user would see. The page sets `data-ready="1"` on `<body>` when a
//! view has rendered, which makes the wait deterministic. Each page is also captured with
//! `--screenshot` into `target/viewer-screenshots/` and kept as a test artefact.
//!
//! The browser is `$OTEL_XRAY_CHROMIUM`, else `/usr/bin/chromium` (`scripts/chromium.sh`
//! installs it). Without a browser the browser tests skip with a message, unless
//! `OTEL_XRAY_REQUIRE_PEERS=1`, where they fail.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use otel_xray_local::{LocalOptions, LocalXray};
use serde_json::{Value, json};

/// The seeded documents, with relative times and `{EPOCH}` in the trace ids.
const SEED: &str = include_str!("data/viewer/seed.json");
/// Trace 1: GET /prod/orders/42, 200, customer c-1, SQL, independent subsegment.
const ORDER: &str = "0a0a0a0a0a0a0a0a0a0a0001";
/// Trace 2: POST /prod/payments, 502, fault with an exception, throttled DynamoDB call.
const PAYMENT: &str = "0b0b0b0b0b0b0b0b0b0b0002";
/// Trace 3: GET /prod/orders/999, 404.
const MISSING: &str = "0c0c0c0c0c0c0c0c0c0c0003";

/// One chromium process at a time: the machine is small and the tests run in parallel.
static BROWSER: Mutex<()> = Mutex::new(());
/// Wall-clock limit of one chromium run; it is killed when it runs over.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);
/// Attempts per page when the page has not reported `data-ready` (or chromium failed).
const ATTEMPTS: u32 = 3;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn chromium() -> Option<PathBuf> {
    let configured = std::env::var_os("OTEL_XRAY_CHROMIUM").filter(|v| !v.is_empty());
    let path = configured.map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if path.is_file() {
        return Some(path);
    }
    let required = std::env::var("OTEL_XRAY_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "OTEL_XRAY_REQUIRE_PEERS=1 but no chromium at {} (run scripts/chromium.sh and export \
         OTEL_XRAY_CHROMIUM)",
        path.display()
    );
    eprintln!(
        "skipping the headless-browser viewer test: no chromium at {} (run scripts/chromium.sh, \
         or set OTEL_XRAY_CHROMIUM)",
        path.display()
    );
    None
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("viewer-screenshots")
}

/// A running Local X-Ray with the seed documents, and the seeding epoch second.
struct Seeded {
    base: String,
    epoch_hex: String,
    http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Seeded {
    fn trace_id(&self, suffix: &str) -> String {
        format!("1-{}-{suffix}", self.epoch_hex)
    }

    async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), reqwest::Error> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.server).await;
    }
}

/// Shifts `start_time`/`end_time` by `now` and puts the epoch into the trace ids.
fn materialise(value: &mut Value, now: f64, epoch_hex: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "start_time" || key == "end_time" {
                    if let Some(offset) = v.as_f64() {
                        *v = json!(now + offset);
                    }
                } else {
                    materialise(v, now, epoch_hex);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| materialise(v, now, epoch_hex)),
        Value::String(s) if s.contains("{EPOCH}") => *s = s.replace("{EPOCH}", epoch_hex),
        _ => {}
    }
}

async fn start_seeded() -> Result<Seeded, Box<dyn std::error::Error + Send + Sync>> {
    let xray = LocalXray::open(LocalOptions {
        path: None,
        ..Default::default()
    })?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(xray.serve(listener, async move {
        let _ = stopped.await;
    }));

    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
    // The trace ids carry the trace's start second; the documents start 10 to 30 s ago.
    let epoch_hex = format!("{:08x}", now as u64 - 60);
    let mut seed: Value = serde_json::from_str(SEED)?;
    let docs = seed
        .get_mut("documents")
        .and_then(Value::as_array_mut)
        .ok_or("seed.json has no documents array")?;
    let mut documents = Vec::new();
    for doc in docs.iter_mut() {
        materialise(doc, now, &epoch_hex);
        documents.push(Value::String(doc.to_string()));
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()?;
    let seeded = Seeded {
        base,
        epoch_hex,
        http,
        stop: Some(stop),
        server,
    };
    let (status, answer) = seeded
        .post("/TraceSegments", &json!({ "TraceSegmentDocuments": documents }))
        .await?;
    assert_eq!(status, 200, "PutTraceSegments failed: {answer}");
    let unprocessed = answer.get("UnprocessedTraceSegments").and_then(Value::as_array);
    assert!(
        unprocessed.is_none_or(|u| u.is_empty()),
        "the store rejected seed documents: {answer}"
    );
    Ok(seeded)
}

/// Runs chromium with `args` (plus the common flags and a fresh profile), stdout into a file,
/// killing it after [`BROWSER_TIMEOUT`]. Returns what it wrote on stdout.
fn run_chromium(browser: &Path, args: &[String]) -> Result<String, String> {
    let profile = tempfile::TempDir::new().map_err(|e| format!("temp dir: {e}"))?;
    let out_path = profile.path().join("stdout.html");
    let err_path = profile.path().join("stderr.txt");
    let stdout = File::create(&out_path).map_err(|e| format!("stdout file: {e}"))?;
    let stderr = File::create(&err_path).map_err(|e| format!("stderr file: {e}"))?;
    let data_dir = profile.path().join("profile");
    let mut command = Command::new(browser);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            "--hide-scrollbars",
            "--lang=en-US",
        ])
        .arg(format!("--user-data-dir={}", data_dir.display()))
        .args(args)
        .env("HOME", profile.path())
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", browser.display()))?;
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("chromium ran over {BROWSER_TIMEOUT:?} and was killed"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("waiting for chromium: {e}"));
            }
        }
    };
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    if !status.success() {
        let err = std::fs::read_to_string(&err_path).unwrap_or_default();
        let tail: String = err
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(format!("chromium exited with {status}:\n{tail}"));
    }
    Ok(out)
}

/// Loads `url` until the page reports `data-ready="1"`, returns the DOM, and keeps a
/// screenshot of the page as `<name>.png`.
async fn load(browser: &Path, url: &str, name: &str) -> Result<String, String> {
    let browser = browser.to_path_buf();
    let url = url.to_owned();
    let shot = screenshot_dir().join(format!("{name}.png"));
    tokio::task::spawn_blocking(move || {
        let _guard = BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let budget = 5_000 * attempt;
            let dom = run_chromium(
                &browser,
                &[
                    format!("--virtual-time-budget={budget}"),
                    "--dump-dom".into(),
                    url.clone(),
                ],
            );
            match dom {
                Ok(dom) if dom.contains("data-ready=\"1\"") => {
                    std::fs::create_dir_all(shot.parent().unwrap_or(Path::new(".")))
                        .map_err(|e| format!("screenshot dir: {e}"))?;
                    let _ = std::fs::remove_file(&shot);
                    let _ = std::fs::write(shot.with_extension("html"), &dom);
                    run_chromium(
                        &browser,
                        &[
                            format!("--virtual-time-budget={budget}"),
                            "--window-size=1280,900".into(),
                            format!("--screenshot={}", shot.display()),
                            url.clone(),
                        ],
                    )?;
                    return Ok(dom);
                }
                Ok(dom) => last = format!("attempt {attempt}: the page never set data-ready:\n{dom}"),
                Err(e) => last = format!("attempt {attempt}: {e}"),
            }
        }
        Err(format!("{url}: {last}"))
    })
    .await
    .map_err(|e| format!("browser task: {e}"))?
}

/// The part of `dom` from the element with `id="<id>"` to the first `close` after it.
fn element<'a>(dom: &'a str, id: &str, close: &str) -> &'a str {
    let Some(start) = dom.find(&format!("id=\"{id}\"")) else {
        return "";
    };
    let rest = &dom[start..];
    rest.find(close).map_or(rest, |end| &rest[..end + close.len()])
}

/// The opening tag of the element that carries `attr`.
fn tag_with<'a>(dom: &'a str, attr: &str) -> &'a str {
    let Some(at) = dom.find(attr) else {
        return "";
    };
    let open = dom[..at].rfind('<').unwrap_or(at);
    let close = dom[at..].find('>').map_or(dom.len(), |i| at + i + 1);
    &dom[open..close]
}

/// Text as the DOM serialiser writes it in text nodes.
fn text_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

/// Text as the DOM serialiser writes it in attribute values.
fn attr_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\u{a0}', "&nbsp;")
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn assert_png(name: &str) {
    let path = screenshot_dir().join(format!("{name}.png"));
    let bytes = std::fs::read(&path).unwrap_or_default();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG screenshot",
        path.display()
    );
    assert!(
        bytes.len() > 12_000,
        "{} is only {} bytes: the page looks blank",
        path.display(),
        bytes.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_assets_are_served_from_the_binary() -> TestResult {
    let xray = start_seeded().await?;
    let get = |path: &str| xray.http.get(format!("{}{path}", xray.base)).send();

    let page = get("/").await?;
    assert_eq!(page.status().as_u16(), 200);
    let headers = page.headers().clone();
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-cache")
    );
    assert!(headers.contains_key("content-security-policy"));
    let html = page.text().await?;
    assert!(html.contains("/assets/app.js") && html.contains("/assets/app.css"));

    for (asset, content_type) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("util.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let response = get(&format!("/assets/{asset}")).await?;
        assert_eq!(response.status().as_u16(), 200, "{asset}");
        let h = response.headers().clone();
        assert_eq!(
            h.get("content-type").and_then(|v| v.to_str().ok()),
            Some(content_type),
            "{asset}"
        );
        assert_eq!(
            h.get("x-content-type-options").and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
        let etag = h.get("etag").and_then(|v| v.to_str().ok()).ok_or("no etag")?.to_owned();
        assert!(!response.text().await?.is_empty(), "{asset} is empty");
        let again = xray
            .http
            .get(format!("{}/assets/{asset}", xray.base))
            .header("if-none-match", &etag)
            .send()
            .await?;
        assert_eq!(again.status().as_u16(), 304, "{asset} with If-None-Match");
    }
    for missing in ["/assets/nope.js", "/assets/..%2Fsrc%2Flib.rs", "/assets/"] {
        let response = get(missing).await?;
        assert_eq!(response.status().as_u16(), 404, "{missing}");
    }
    xray.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_list_shows_traces_filters_and_api_errors() -> TestResult {
    let Some(browser) = chromium() else { return Ok(()) };
    let xray = start_seeded().await?;

    // Every seeded trace, with method, URL, status and flags.
    let dom = load(&browser, &format!("{}/#/traces?range=3600", xray.base), "traces").await?;
    let table = element(&dom, "trace-table", "</table>");
    assert!(!table.is_empty(), "no trace table:\n{dom}");
    assert_eq!(table.matches("class=\"trace-row").count(), 3, "{table}");
    for (suffix, method, url, status, flag) in [
        (ORDER, "GET", "https://api.example.com/prod/orders/42", "200", "ok"),
        (PAYMENT, "POST", "https://api.example.com/prod/payments", "502", "fault"),
        (
            MISSING,
            "GET",
            "https://api.example.com/prod/orders/999",
            "404",
            "error",
        ),
    ] {
        let id = xray.trace_id(suffix);
        let start = table
            .find(&format!("data-trace-id=\"{id}\""))
            .ok_or(format!("{id} not listed"))?;
        let row = &table[start..];
        let row = &row[..row.find("</tr>").unwrap_or(row.len())];
        assert!(row.contains(&format!(">{id}</a>")), "{row}");
        assert!(row.contains(&format!(">{method}<")), "{row}");
        assert!(row.contains(&format!(">{url}<")), "{row}");
        assert!(row.contains(&format!(">{status}<")), "{row}");
        assert!(row.contains(&format!("badge-{flag}")), "{row}");
        assert!(row.contains(&format!("href=\"#/trace/{id}\"")), "{row}");
    }
    assert!(dom.contains("3 traces in the last hour"), "{dom}");
    assert_png("traces");

    // The longest range (30 days) lists them too.
    let dom = load(&browser, &format!("{}/#/traces?range=2592000", xray.base), "traces-30d").await?;
    assert!(dom.contains("3 traces in the last 30 days"), "{dom}");

    // An annotation filter narrows the list to the one order of customer c-1.
    let filter = r#"annotation.customer = "c-1""#;
    let url = format!("{}/#/traces?range=3600&filter={}", xray.base, percent_encode(filter));
    let dom = load(&browser, &url, "traces-filtered").await?;
    let table = element(&dom, "trace-table", "</table>");
    assert_eq!(table.matches("class=\"trace-row").count(), 1, "{dom}");
    assert!(table.contains(&xray.trace_id(ORDER)), "{table}");
    assert!(!table.contains(&xray.trace_id(PAYMENT)), "{table}");
    // The input keeps the expression (the serialiser writes the value as text of the status).
    assert!(dom.contains(&text_escape(filter)), "the filter is not shown:\n{dom}");
    assert_png("traces-filtered");

    // A filter that matches nothing says so.
    let filter = r#"annotation.customer = "nobody""#;
    let url = format!("{}/#/traces?range=3600&filter={}", xray.base, percent_encode(filter));
    let dom = load(&browser, &url, "traces-empty").await?;
    assert!(dom.contains("id=\"empty\""), "{dom}");
    assert!(!dom.contains("class=\"trace-row"), "{dom}");

    // A bad expression: the page shows the API's own message in the error box.
    let bad = "responsetime >>> 1 AND (";
    let end = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let (status, answer) = xray
        .post(
            "/TraceSummaries",
            &json!({ "StartTime": end - 3600, "EndTime": end + 1, "FilterExpression": bad }),
        )
        .await?;
    assert!((400..500).contains(&status), "the API accepted {bad:?}: {answer}");
    let message = answer
        .get("message")
        .and_then(Value::as_str)
        .ok_or(format!("no message in {answer}"))?;
    let url = format!("{}/#/traces?range=3600&filter={}", xray.base, percent_encode(bad));
    let dom = load(&browser, &url, "traces-bad-filter").await?;
    let error = element(&dom, "error", "</div></div>");
    assert!(!error.is_empty(), "no error box:\n{dom}");
    assert!(
        error.contains(&text_escape(message)),
        "the API message {message:?} is not shown:\n{error}"
    );
    assert!(dom.contains("data-state=\"error\""), "{dom}");
    assert!(!dom.contains("class=\"trace-row"), "{dom}");
    assert_png("traces-bad-filter");

    xray.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_shows_every_segment_and_the_details_of_one() -> TestResult {
    let Some(browser) = chromium() else { return Ok(()) };
    let xray = start_seeded().await?;
    let order = xray.trace_id(ORDER);

    // The order trace, with the SQL subsegment selected.
    let url = format!("{}/#/trace/{order}?segment=b2b2b2b2b2b2b2b3", xray.base);
    let dom = load(&browser, &url, "trace-sql").await?;
    let waterfall = element(&dom, "waterfall", "</main>");
    assert!(!waterfall.is_empty(), "no waterfall:\n{dom}");
    for name in [
        "orders-api/prod",
        "Lambda",
        "orders-fn",
        "DynamoDB",
        "postgres@db.internal",
        "render-invoice",
        "send-receipt",
    ] {
        assert!(
            waterfall.contains(&format!("class=\"wf-label\">{}<", text_escape(name))),
            "{name} missing:\n{waterfall}"
        );
    }
    // Nesting: the Lambda segment sits under API Gateway's Invoke subsegment, the SQL call and
    // the independently sent subsegment under the Lambda segment.
    for (id, depth) in [
        ("a1a1a1a1a1a1a1a1", 0),
        ("a1a1a1a1a1a1a1a2", 1),
        ("b2b2b2b2b2b2b2b1", 2),
        ("b2b2b2b2b2b2b2b3", 3),
        ("b2b2b2b2b2b2b2b4", 3),
        ("b2b2b2b2b2b2b2b5", 3),
    ] {
        let tag = tag_with(waterfall, &format!("data-segment-id=\"{id}\""));
        assert!(
            tag.contains(&format!("data-depth=\"{depth}\"")),
            "{id} not at depth {depth}: {tag}"
        );
    }
    // The subsegment still in progress says so, with a striped bar.
    let running = tag_and_row_div(waterfall, "data-segment-id=\"b2b2b2b2b2b2b2b5\"");
    assert!(
        running.contains(">in progress<") && running.contains("in-progress"),
        "{running}"
    );
    let selected = tag_with(waterfall, "data-segment-id=\"b2b2b2b2b2b2b2b3\"");
    assert!(selected.contains("selected"), "the SQL row is not selected: {selected}");
    let detail = element(&dom, "detail", "</aside>");
    assert!(!detail.is_empty(), "no detail panel:\n{dom}");
    for text in [
        "postgres@db.internal",
        "SELECT id, status, total FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 10",
        "postgresql://db.internal:5432/shop",
        "PostgreSQL",
        "shop_reader",
        "remote",
    ] {
        assert!(
            detail.contains(&text_escape(text)),
            "{text:?} not in the detail panel:\n{detail}"
        );
    }
    assert_png("trace-sql");

    // The Lambda segment: annotations and metadata.
    let url = format!("{}/#/trace/{order}?segment=b2b2b2b2b2b2b2b1", xray.base);
    let dom = load(&browser, &url, "trace-annotations").await?;
    let detail = element(&dom, "detail", "</aside>");
    for text in [
        "AWS::Lambda::Function",
        "customer",
        "c-1",
        "tier",
        "gold",
        "BOOK-1",
        "EUR",
        "123456789012",
    ] {
        assert!(
            detail.contains(&text_escape(text)),
            "{text:?} not in the detail panel:\n{detail}"
        );
    }
    assert!(
        detail.contains("data-section=\"annotations\"") && detail.contains("data-section=\"metadata\""),
        "{detail}"
    );
    // Data is text, never markup.
    assert!(
        detail.contains("&lt;img src=x onerror=document.title=1&gt; &amp; more"),
        "{detail}"
    );
    assert!(
        !dom.contains("<img src=\"x\"") && !dom.contains("<img src=x"),
        "markup from a document was rendered"
    );

    // The payment trace: fault colours and the exception with its stack.
    let payment = xray.trace_id(PAYMENT);
    let url = format!("{}/#/trace/{payment}?segment=d4d4d4d4d4d4d4d1", xray.base);
    let dom = load(&browser, &url, "trace-fault").await?;
    let waterfall = element(&dom, "waterfall", "</main>");
    for name in ["payments-fn", "DynamoDB", "card-processor"] {
        assert!(
            waterfall.contains(&format!("class=\"wf-label\">{name}<")),
            "{name} missing:\n{waterfall}"
        );
    }
    assert!(tag_with(waterfall, "data-segment-id=\"d4d4d4d4d4d4d4d1\"").contains("status-fault"));
    assert!(tag_with(waterfall, "data-segment-id=\"d4d4d4d4d4d4d4d2\"").contains("status-throttle"));
    assert!(tag_with(waterfall, "data-segment-id=\"c3c3c3c3c3c3c3c1\"").contains("status-fault"));
    let detail = element(&dom, "detail", "</aside>");
    for text in [
        "CardProcessorTimeout",
        "card processor did not answer within 3000 ms",
        "payments::charge::authorize",
        "src/payments/charge.rs:88",
        "/var/task",
        "amount_cents",
        "12999",
        "c-2",
    ] {
        assert!(
            detail.contains(&text_escape(text)),
            "{text:?} not in the detail panel:\n{detail}"
        );
    }
    assert_png("trace-fault");

    // An unknown trace says so.
    let url = format!("{}/#/trace/1-{}-ffffffffffffffffffffffff", xray.base, xray.epoch_hex);
    let dom = load(&browser, &url, "trace-unknown").await?;
    assert!(
        dom.contains("id=\"error\"") && dom.contains("data-state=\"error\""),
        "{dom}"
    );

    xray.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_map_shows_services_edges_and_counts() -> TestResult {
    let Some(browser) = chromium() else { return Ok(()) };
    let xray = start_seeded().await?;

    // What the API says; the page must show the same.
    let end = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let (status, graph) = xray
        .post("/ServiceGraph", &json!({ "StartTime": end - 3600, "EndTime": end + 1 }))
        .await?;
    assert_eq!(status, 200, "{graph}");
    let services = graph
        .get("Services")
        .and_then(Value::as_array)
        .ok_or(format!("no Services: {graph}"))?;
    let names: Vec<&str> = services
        .iter()
        .filter_map(|s| s.get("Name").and_then(Value::as_str))
        .collect();
    for expected in ["orders-api/prod", "orders-fn", "payments-fn"] {
        assert!(
            names.contains(&expected),
            "the service graph lacks {expected}: {names:?}"
        );
    }

    let dom = load(&browser, &format!("{}/#/map?range=3600", xray.base), "map").await?;
    let svg = element(&dom, "map", "</svg>");
    assert!(svg.contains("<svg"), "no graph drawn:\n{dom}");
    let table = element(&dom, "service-table", "</table>");
    for service in services {
        let name = service.get("Name").and_then(Value::as_str).unwrap_or_default();
        assert!(
            svg.contains(&format!(">{}</text>", text_escape(name))),
            "node {name} not drawn:\n{svg}"
        );
        assert!(
            table.contains(&format!("data-name=\"{}\"", attr_escape(name))),
            "{name} not in the table"
        );
        if let Some(total) = service.pointer("/SummaryStatistics/TotalCount").and_then(Value::as_u64) {
            let row = tag_and_row(table, &format!("data-name=\"{}\"", attr_escape(name)));
            assert!(
                row.contains(&format!(">{total}<")),
                "{name}: {total} requests not shown: {row}"
            );
        }
    }
    let by_ref: std::collections::HashMap<String, &str> = services
        .iter()
        .filter_map(|s| Some((s.get("ReferenceId")?.to_string(), s.get("Name")?.as_str()?)))
        .collect();
    let edges = element(&dom, "edge-table", "</table>");
    let mut edge_count = 0;
    for service in services {
        let from = service.get("Name").and_then(Value::as_str).unwrap_or_default();
        for edge in service.get("Edges").and_then(Value::as_array).into_iter().flatten() {
            let Some(to) = edge.get("ReferenceId").and_then(|r| by_ref.get(&r.to_string())) else {
                continue;
            };
            edge_count += 1;
            let key = format!("data-from=\"{}\" data-to=\"{}\"", attr_escape(from), attr_escape(to));
            assert!(svg.contains(&key), "edge {from} → {to} not drawn");
            let row = tag_and_row(edges, &key);
            if let Some(total) = edge.pointer("/SummaryStatistics/TotalCount").and_then(Value::as_u64) {
                assert!(
                    row.contains(&format!(">{total}<")),
                    "{from} → {to}: {total} not shown: {row}"
                );
                assert!(
                    svg.contains(&format!("{total} req")),
                    "edge label with {total} req missing"
                );
            }
        }
    }
    assert!(
        edge_count >= 2,
        "the seeded traces should give at least two edges: {graph}"
    );
    assert!(svg.contains("node-fault"), "no service is coloured as faulty:\n{svg}");
    assert_png("map");

    // A service links to its traces: follow the link of payments-fn as a click would.
    let row = tag_and_row(table, "data-name=\"payments-fn\"");
    let href = row
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or(format!("payments-fn has no link: {row}"))?
        .replace("&amp;", "&");
    assert!(
        svg.contains(&format!("href=\"{}\"", attr_escape(&href))),
        "the node does not link to {href}"
    );
    assert!(href.starts_with("#/traces?"), "{href}");
    let dom = load(&browser, &format!("{}/{href}", xray.base), "traces-by-service").await?;
    assert!(
        dom.contains(&text_escape(r#"matching service("payments-fn")"#)),
        "{dom}"
    );
    let table = element(&dom, "trace-table", "</table>");
    assert_eq!(table.matches("class=\"trace-row").count(), 1, "{dom}");
    assert!(table.contains(&xray.trace_id(PAYMENT)), "{table}");

    xray.shutdown().await;
    Ok(())
}

/// The waterfall row (`<div class="wf-row" …>` up to the next row) whose opening tag carries `attr`.
fn tag_and_row_div<'a>(waterfall: &'a str, attr: &str) -> &'a str {
    let Some(at) = waterfall.find(attr) else {
        return "";
    };
    let open = waterfall[..at].rfind("<div").unwrap_or(at);
    let end = waterfall[at..]
        .find("<div class=\"wf-row")
        .map_or(waterfall.len(), |i| at + i);
    &waterfall[open..end]
}

/// The table row (`<tr …>…</tr>`) whose opening tag carries `attr`.
fn tag_and_row<'a>(table: &'a str, attr: &str) -> &'a str {
    let Some(at) = table.find(attr) else {
        return "";
    };
    let open = table[..at].rfind("<tr").unwrap_or(at);
    let close = table[at..].find("</tr>").map_or(table.len(), |i| at + i + 5);
    &table[open..close]
}

/// A minimal Chrome DevTools Protocol client over the browser's WebSocket endpoint (std only),
/// for the interaction test: real mouse clicks and key presses, and JavaScript errors reported.
mod cdp {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    /// Largest WebSocket message accepted from the browser.
    const MAX_MESSAGE: usize = 64 << 20;

    /// A headless chromium with remote debugging on an ephemeral 127.0.0.1 port, killed on drop.
    pub struct Browser {
        child: Child,
        _profile: tempfile::TempDir,
        socket: TcpStream,
        next_id: u64,
        /// JavaScript exceptions and console errors seen so far.
        pub errors: Vec<String>,
    }

    impl Drop for Browser {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn io_err(message: impl Into<String>) -> std::io::Error {
        std::io::Error::other(message.into())
    }

    /// Reads an HTTP/1.1 head (up to the blank line) from `stream`.
    fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte)?;
            head.push(byte[0]);
            if head.len() > 16 << 10 {
                return Err(io_err("HTTP head too long"));
            }
        }
        Ok(String::from_utf8_lossy(&head).into_owned())
    }

    /// `GET path` on 127.0.0.1:port, returning the body (sized by Content-Length).
    fn http_get(port: u16, path: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        )?;
        let head = read_head(&mut stream)?;
        if !head.starts_with("HTTP/1.1 200") {
            return Err(io_err(format!("the browser answered {path} with {head}")));
        }
        let length = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .filter(|&n| n <= 16 << 20)
            .ok_or_else(|| io_err(format!("no usable Content-Length in {head}")))?;
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body)?;
        String::from_utf8(body).map_err(|e| io_err(e.to_string()))
    }

    impl Browser {
        /// Starts the browser and connects to its first page.
        pub fn start(binary: &Path, timeout: Duration) -> std::io::Result<Browser> {
            let profile = tempfile::TempDir::new()?;
            let data_dir = profile.path().join("profile");
            let mut child = Command::new(binary)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-extensions",
                    "--disable-default-apps",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--mute-audio",
                    "--hide-scrollbars",
                    "--lang=en-US",
                    "--window-size=1280,900",
                    "--remote-debugging-address=127.0.0.1",
                    "--remote-debugging-port=0",
                ])
                .arg(format!("--user-data-dir={}", data_dir.display()))
                .arg("about:blank")
                .env("HOME", profile.path())
                .env("TZ", "UTC")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            // Chromium writes the port it picked into <profile>/DevToolsActivePort.
            let deadline = Instant::now() + timeout;
            let port = loop {
                let text = std::fs::read_to_string(data_dir.join("DevToolsActivePort")).unwrap_or_default();
                if let Some(port) = text.lines().next().and_then(|l| l.trim().parse::<u16>().ok()) {
                    break port;
                }
                if Instant::now() >= deadline || matches!(child.try_wait(), Ok(Some(_))) {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(io_err("chromium did not open its DevTools port"));
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            let connect = || -> std::io::Result<TcpStream> {
                let targets: Value = serde_json::from_str(&http_get(port, "/json/list")?)?;
                let ws = targets
                    .as_array()
                    .and_then(|ts| {
                        ts.iter()
                            .find(|t| t.get("type").and_then(Value::as_str) == Some("page"))
                    })
                    .and_then(|t| t.get("webSocketDebuggerUrl").and_then(Value::as_str))
                    .ok_or_else(|| io_err(format!("no page target in {targets}")))?;
                let path = ws.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default();
                let mut socket = TcpStream::connect(("127.0.0.1", port))?;
                socket.set_read_timeout(Some(Duration::from_secs(30)))?;
                socket.set_nodelay(true)?;
                write!(
                    socket,
                    "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Key: b3RlbC14cmF5LWxvY2FsIQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                )?;
                let head = read_head(&mut socket)?;
                if !head.starts_with("HTTP/1.1 101") {
                    return Err(io_err(format!("WebSocket handshake refused: {head}")));
                }
                Ok(socket)
            };
            let socket = loop {
                match connect() {
                    Ok(socket) => break socket,
                    Err(e) if Instant::now() >= deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(e);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            };
            let mut browser = Browser {
                child,
                _profile: profile,
                socket,
                next_id: 0,
                errors: Vec::new(),
            };
            browser.call("Runtime.enable", json!({}))?;
            browser.call("Page.enable", json!({}))?;
            Ok(browser)
        }

        fn send_frame(&mut self, payload: &[u8]) -> std::io::Result<()> {
            let mut frame = vec![0x81u8];
            match payload.len() {
                n if n < 126 => frame.push(0x80 | n as u8),
                n if n <= usize::from(u16::MAX) => {
                    frame.push(0x80 | 126);
                    frame.extend_from_slice(&(n as u16).to_be_bytes());
                }
                n => {
                    frame.push(0x80 | 127);
                    frame.extend_from_slice(&(n as u64).to_be_bytes());
                }
            }
            let mask = (self.next_id as u32).wrapping_mul(0x9e37_79b9).to_be_bytes();
            frame.extend_from_slice(&mask);
            frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
            self.socket.write_all(&frame)
        }

        fn read_message(&mut self) -> std::io::Result<Vec<u8>> {
            let mut message = Vec::new();
            loop {
                let mut head = [0u8; 2];
                self.socket.read_exact(&mut head)?;
                let fin = head[0] & 0x80 != 0;
                let opcode = head[0] & 0x0f;
                let masked = head[1] & 0x80 != 0;
                let len = match head[1] & 0x7f {
                    126 => {
                        let mut b = [0u8; 2];
                        self.socket.read_exact(&mut b)?;
                        u64::from(u16::from_be_bytes(b))
                    }
                    127 => {
                        let mut b = [0u8; 8];
                        self.socket.read_exact(&mut b)?;
                        u64::from_be_bytes(b)
                    }
                    n => u64::from(n),
                };
                let len = usize::try_from(len).ok().filter(|&n| message.len() + n <= MAX_MESSAGE);
                let len = len.ok_or_else(|| io_err("WebSocket message too large"))?;
                let mut mask = [0u8; 4];
                if masked {
                    self.socket.read_exact(&mut mask)?;
                }
                let mut payload = vec![0u8; len];
                self.socket.read_exact(&mut payload)?;
                if masked {
                    payload.iter_mut().enumerate().for_each(|(i, b)| *b ^= mask[i % 4]);
                }
                match opcode {
                    0x8 => return Err(io_err("the browser closed the DevTools connection")),
                    0x9 | 0xA => continue, // ping / pong (the browser does not ping)
                    _ => message.extend_from_slice(&payload),
                }
                if fin {
                    return Ok(message);
                }
            }
        }

        /// Sends a command and returns its `result`, recording error events seen meanwhile.
        pub fn call(&mut self, method: &str, params: Value) -> std::io::Result<Value> {
            self.next_id += 1;
            let id = self.next_id;
            let request = json!({ "id": id, "method": method, "params": params }).to_string();
            self.send_frame(request.as_bytes())?;
            loop {
                let message: Value = serde_json::from_slice(&self.read_message()?)?;
                match message.get("method").and_then(Value::as_str) {
                    Some("Runtime.exceptionThrown") => {
                        let details = message.pointer("/params/exceptionDetails");
                        let text = details
                            .and_then(|d| d.pointer("/exception/description").or_else(|| d.get("text")))
                            .map_or_else(|| message.to_string(), ToString::to_string);
                        self.errors.push(text);
                    }
                    Some("Runtime.consoleAPICalled")
                        if message.pointer("/params/type").and_then(Value::as_str) == Some("error") =>
                    {
                        self.errors.push(
                            message
                                .pointer("/params/args")
                                .map_or_else(String::new, ToString::to_string),
                        );
                    }
                    _ => {}
                }
                if message.get("id").and_then(Value::as_u64) == Some(id) {
                    if let Some(error) = message.get("error") {
                        return Err(io_err(format!("{method} failed: {error}")));
                    }
                    return Ok(message.get("result").cloned().unwrap_or(Value::Null));
                }
            }
        }

        /// Evaluates `expression` in the page and returns its value.
        pub fn eval(&mut self, expression: &str) -> std::io::Result<Value> {
            let result = self.call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )?;
            if let Some(details) = result.get("exceptionDetails") {
                return Err(io_err(format!("{expression}: {details}")));
            }
            Ok(result.pointer("/result/value").cloned().unwrap_or(Value::Null))
        }

        /// Polls `condition` (a JavaScript expression) until it is true.
        pub fn wait_for(&mut self, condition: &str, timeout: Duration) -> std::io::Result<()> {
            let deadline = Instant::now() + timeout;
            loop {
                if self.eval(&format!("!!({condition})"))? == Value::Bool(true) {
                    return Ok(());
                }
                if Instant::now() >= deadline {
                    let state = self.eval("location.hash + ' ' + JSON.stringify(document.body.dataset) + ' ' + document.getElementById('view').innerText.slice(0, 2000)")?;
                    return Err(io_err(format!("timed out waiting for {condition}; page: {state}")));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }

        /// Clears the page's `data-ready`: a hash change re-renders in a later task, so a wait after
        /// an action must not see the readiness of the view the action replaces.
        pub fn forget_ready(&mut self) -> std::io::Result<()> {
            self.eval("document.body && delete document.body.dataset.ready")
                .map(drop)
        }

        /// Opens `url` and waits until the viewer has rendered it.
        pub fn open(&mut self, url: &str, timeout: Duration) -> std::io::Result<()> {
            self.forget_ready()?;
            self.call("Page.navigate", json!({ "url": url }))?;
            let hash = url.split_once('#').map(|(_, h)| format!("#{h}")).unwrap_or_default();
            let condition = format!(
                "location.hash === {} && document.body && document.body.dataset.ready === '1'",
                Value::String(hash)
            );
            self.wait_for(&condition, timeout)
        }

        /// A left click with the mouse in the middle of the element `selector` matches (after
        /// [`forget_ready`](Self::forget_ready)).
        pub fn click(&mut self, selector: &str) -> std::io::Result<()> {
            self.forget_ready()?;
            let at = self.eval(&format!(
                "(() => {{ const e = document.querySelector({}); if (!e) return null; \
                 e.scrollIntoView({{block: 'center', inline: 'center'}}); const r = e.getBoundingClientRect(); \
                 return [r.left + r.width / 2, r.top + r.height / 2]; }})()",
                Value::String(selector.to_owned())
            ))?;
            let (Some(x), Some(y)) = (at.get(0).and_then(Value::as_f64), at.get(1).and_then(Value::as_f64)) else {
                return Err(io_err(format!("nothing to click at {selector}")));
            };
            for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
                self.call(
                    "Input.dispatchMouseEvent",
                    json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1 }),
                )?;
            }
            Ok(())
        }

        /// Types `text` into the focused element, then presses Enter (after
        /// [`forget_ready`](Self::forget_ready)).
        pub fn type_and_enter(&mut self, text: &str) -> std::io::Result<()> {
            self.forget_ready()?;
            self.call("Input.insertText", json!({ "text": text }))?;
            for kind in ["keyDown", "keyUp"] {
                let mut key = json!({
                    "type": kind, "key": "Enter", "code": "Enter",
                    "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13
                });
                if kind == "keyDown" {
                    key["text"] = json!("\r");
                }
                self.call("Input.dispatchKeyEvent", key)?;
            }
            Ok(())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_and_typing_navigate_between_views() -> TestResult {
    let Some(browser) = chromium() else { return Ok(()) };
    let xray = start_seeded().await?;
    let base = xray.base.clone();
    let order = xray.trace_id(ORDER);
    let payment = xray.trace_id(PAYMENT);
    let result = tokio::task::spawn_blocking(move || -> Result<(), String> {
        let _guard = BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let wait = Duration::from_secs(30);
        let e = |step: &str| {
            let step = step.to_owned();
            move |err: std::io::Error| format!("{step}: {err}")
        };
        let mut page = cdp::Browser::start(&browser, wait).map_err(e("start chromium"))?;
        let rendered =
            |view: &str| format!("document.body.dataset.view === '{view}' && document.body.dataset.ready === '1'");

        // The list: a click on a row (not on its link) opens the trace.
        page.open(&format!("{base}/#/traces?range=3600"), wait)
            .map_err(e("open the list"))?;
        page.click(&format!("tr.trace-row[data-trace-id=\"{order}\"] td.trace-url"))
            .map_err(e("click a row"))?;
        page.wait_for(&rendered("trace"), wait)
            .map_err(e("the trace after the click"))?;
        let hash = page.eval("location.hash").map_err(e("hash"))?;
        assert_eq!(hash, Value::String(format!("#/trace/{order}")));
        let rows = page
            .eval("document.querySelectorAll('.wf-row[data-segment-id]').length")
            .map_err(e("rows"))?;
        assert!(rows.as_u64().is_some_and(|n| n >= 6), "{rows} waterfall rows");

        // A click on a waterfall row shows its details and makes the URL point at it.
        page.click(".wf-row[data-segment-id=\"b2b2b2b2b2b2b2b3\"]")
            .map_err(e("click the SQL row"))?;
        page.wait_for(
            "document.querySelector('#detail[data-segment-id=\"b2b2b2b2b2b2b2b3\"]')",
            wait,
        )
        .map_err(e("the SQL details"))?;
        let sql = page
            .eval("document.getElementById('sql-query').textContent")
            .map_err(e("sql"))?;
        assert!(
            sql.as_str()
                .is_some_and(|s| s.starts_with("SELECT id, status, total FROM orders")),
            "{sql}"
        );
        let hash = page.eval("location.hash").map_err(e("hash"))?;
        assert_eq!(hash, Value::String(format!("#/trace/{order}?segment=b2b2b2b2b2b2b2b3")));
        // Another row replaces the panel; the close button removes it.
        page.click(".wf-row[data-segment-id=\"b2b2b2b2b2b2b2b1\"]")
            .map_err(e("click the Lambda row"))?;
        page.wait_for(
            "document.querySelector('#detail[data-segment-id=\"b2b2b2b2b2b2b2b1\"] .annotations')",
            wait,
        )
        .map_err(e("the Lambda details"))?;
        page.click("#detail .close").map_err(e("close the details"))?;
        page.wait_for(
            &format!("{} && !document.getElementById('detail')", rendered("trace")),
            wait,
        )
        .map_err(e("closed details"))?;

        // Back to the list; type a filter expression and press Enter.
        page.click("a.back").map_err(e("back to the list"))?;
        page.wait_for(&rendered("traces"), wait).map_err(e("the list again"))?;
        page.click("#filter").map_err(e("focus the filter"))?;
        page.type_and_enter(r#"annotation.customer = "c-1""#)
            .map_err(e("type a filter"))?;
        page.wait_for(
            &format!("{} && location.hash.includes('filter=')", rendered("traces")),
            wait,
        )
        .map_err(e("the filtered list"))?;
        let ids = page
            .eval("[...document.querySelectorAll('tr.trace-row')].map(r => r.dataset.traceId)")
            .map_err(e("filtered rows"))?;
        assert_eq!(ids, json!([order]), "the c-1 filter");
        let input = page
            .eval("document.getElementById('filter').value")
            .map_err(e("filter value"))?;
        assert_eq!(input, json!(r#"annotation.customer = "c-1""#));

        // A bad expression typed by hand shows the API's message and keeps what was typed.
        page.eval("document.getElementById('filter').select()")
            .map_err(e("select the filter"))?;
        page.type_and_enter("annotation.customer = ")
            .map_err(e("type a bad filter"))?;
        page.wait_for(
            &format!("{} && document.getElementById('error')", rendered("traces")),
            wait,
        )
        .map_err(e("the error box"))?;
        let message = page
            .eval("document.querySelector('#error .error-message').textContent")
            .map_err(e("msg"))?;
        assert!(message.as_str().is_some_and(|m| !m.trim().is_empty()), "{message}");

        // The time range select changes the query.
        page.eval(
            "(() => { delete document.body.dataset.ready; const s = document.getElementById('range'); s.value = '300'; \
             s.dispatchEvent(new Event('change')); })()",
        )
        .map_err(e("pick 5 minutes"))?;
        page.wait_for(
            &format!("{} && location.hash.includes('range=300')", rendered("traces")),
            wait,
        )
        .map_err(e("the 5-minute list"))?;

        // The map: a click on a service node lists the traces through it.
        page.click("nav a[data-nav=\"map\"]").map_err(e("open the map"))?;
        page.wait_for(&rendered("map"), wait).map_err(e("the map"))?;
        page.click("g.node[data-name=\"payments-fn\"] .node-fill")
            .map_err(e("click payments-fn"))?;
        page.wait_for(
            &format!("{} && location.hash.includes('filter=')", rendered("traces")),
            wait,
        )
        .map_err(e("traces of payments-fn"))?;
        let filter = page
            .eval("document.getElementById('filter').value")
            .map_err(e("filter value"))?;
        assert_eq!(filter, json!(r#"service("payments-fn")"#));
        let ids = page
            .eval("[...document.querySelectorAll('tr.trace-row')].map(r => r.dataset.traceId)")
            .map_err(e("service rows"))?;
        assert_eq!(ids, json!([payment]), "traces through payments-fn");

        // Deep links into the payment trace: a subsegment whose cause refers to an exception
        // recorded on its parent segment, and an unknown segment id.
        page.open(&format!("{base}/#/trace/{payment}?segment=d4d4d4d4d4d4d4d3"), wait)
            .map_err(e("open card-processor"))?;
        let cause = page
            .eval("document.querySelector('#detail [data-section=\"cause\"]').textContent")
            .map_err(e("cause"))?;
        assert!(
            cause
                .as_str()
                .is_some_and(|c| c.contains("payments-fn") && c.contains("card processor did not answer")),
            "{cause}"
        );
        page.open(&format!("{base}/#/trace/{payment}?segment=0000000000000000"), wait)
            .map_err(e("open an unknown segment"))?;
        let error = page
            .eval("document.querySelector('.detail-holder #error').textContent")
            .map_err(e("error"))?;
        assert!(
            error.as_str().is_some_and(|t| t.contains("0000000000000000")),
            "{error}"
        );

        // Browser history works with the hash routes.
        page.eval("delete document.body.dataset.ready; history.back()")
            .map_err(e("back"))?;
        page.wait_for(
            &format!("{} && location.hash.includes('segment=d4')", rendered("trace")),
            wait,
        )
        .map_err(e("the previous trace after going back"))?;
        page.eval("delete document.body.dataset.ready; history.go(-2)")
            .map_err(e("back twice"))?;
        page.wait_for(&rendered("map"), wait)
            .map_err(e("the map after going back"))?;

        assert!(page.errors.is_empty(), "JavaScript errors: {:#?}", page.errors);
        Ok(())
    })
    .await?;
    xray.shutdown().await;
    result.map_err(Into::into)
}
