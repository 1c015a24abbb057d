#!/usr/bin/env bash
# Gateway load benchmark (see BENCHMARKS.md, "Gateway load"): OTLP/gRPC and OTLP/HTTP, 50- and
# 512-span requests, through otel-xray (and rotel's X-Ray exporter, side by side) into a fake X-Ray
# sink. Everything runs on 127.0.0.1; every wait has a deadline; processes are stopped by PID.
#
#   benches/gateway_load.sh                 # defaults: 200,000 spans per scenario, concurrency 8
#   SPANS=100000 CONCURRENCY=4 benches/gateway_load.sh
#   NO_ROTEL=1 benches/gateway_load.sh      # otel-xray only
#   GATEWAY_BIN=/tmp/old/otel-xray benches/gateway_load.sh   # another build of the gateway (A/B)
#
# Results: a Markdown table on stdout; raw JSON lines in target/gateway-load/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."

SPANS="${SPANS:-200000}"
CONCURRENCY="${CONCURRENCY:-8}"
SCENARIO_SECS="${SCENARIO_SECS:-60}"
DRAIN_SECS="${DRAIN_SECS:-30}"
ROTEL_REQUIREMENT="${ROTEL_REQUIREMENT:-rotel}"
OUT="${OUT:-target/gateway-load}"
VENV="target/venv-rotel"
mkdir -p "$OUT"

log() { printf 'gateway_load: %s\n' "$*" >&2; }

if [[ -z "${GATEWAY_BIN:-}" || -z "${LOADGEN_BIN:-}" ]]; then
    log "building release binaries"
    timeout 900 cargo build --release --quiet -p otel-xray-collector -p otel-xray-loadgen >&2
fi

ROTEL_BIN=""
if [[ -z "${NO_ROTEL:-}" ]]; then
    if [[ ! -x "$VENV/bin/python" ]]; then
        timeout 120 python3 -m venv "$VENV" >&2 || log "could not create $VENV"
    fi
    if [[ -x "$VENV/bin/python" ]]; then
        if ! "$VENV/bin/python" -c 'import rotel' 2>/dev/null; then
            log "installing $ROTEL_REQUIREMENT from PyPI into $VENV"
            timeout 300 "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
                --timeout 30 --retries 3 --index-url https://pypi.org/simple "$ROTEL_REQUIREMENT" >&2 \
                || log "pip install rotel failed"
        fi
        ROTEL_BIN="$(find "$VENV/lib" -path '*/site-packages/rotel/rotel-agent' -type f 2>/dev/null | head -n1 || true)"
    fi
    if [[ -z "$ROTEL_BIN" ]]; then
        log "rotel could not be installed: measuring otel-xray only"
    else
        log "rotel: $ROTEL_BIN ($("$VENV/bin/python" -m pip show rotel 2>/dev/null | sed -n 's/^Version: //p'))"
    fi
fi

export GATEWAY_BIN="${GATEWAY_BIN:-$PWD/target/release/otel-xray}"
export LOADGEN_BIN="${LOADGEN_BIN:-$PWD/target/release/otel-xray-loadgen}"
export ROTEL_BIN SPANS CONCURRENCY SCENARIO_SECS DRAIN_SECS OUT

timeout 1200 python3 - <<'PY'
import json, os, signal, socket, subprocess, sys, time, urllib.request

GATEWAY, LOADGEN, ROTEL = os.environ["GATEWAY_BIN"], os.environ["LOADGEN_BIN"], os.environ.get("ROTEL_BIN", "")
SPANS, CONC = int(os.environ["SPANS"]), int(os.environ["CONCURRENCY"])
SCENARIO_SECS, DRAIN_SECS, OUT = int(os.environ["SCENARIO_SECS"]), int(os.environ["DRAIN_SECS"]), os.environ["OUT"]
TICK = os.sysconf("SC_CLK_TCK")
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDLOADTEST", AWS_SECRET_ACCESS_KEY="loadtestsecret",
           AWS_REGION="us-east-1", RUST_LOG="warn")
started = []

def log(msg): print(f"gateway_load: {msg}", file=sys.stderr, flush=True)

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def wait_port(port, proc, secs=20):
    deadline = time.time() + secs
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} not ready in {secs}s")

def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime

def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0

def get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()

def metrics(admin_port):
    out = {}
    try:
        for line in get(f"http://127.0.0.1:{admin_port}/metrics").splitlines():
            for name in ("otelxray_spans_received_total", "otelxray_documents_sent_total",
                         "otelxray_documents_dropped_total"):
                if line.startswith(name):
                    out[name] = out.get(name, 0) + float(line.split()[-1])
    except Exception as e:  # noqa: BLE001
        log(f"metrics unavailable: {e}")
    return out

# The sink: one for the whole run, documents counted as deltas.
sink_port = free_port()
sink = subprocess.Popen([LOADGEN, "sink", "--listen", f"127.0.0.1:{sink_port}"],
                        stdout=subprocess.DEVNULL, stderr=open(f"{OUT}/sink.log", "w"))
started.append(sink)
wait_port(sink_port, sink)
def sink_docs():
    return json.loads(get(f"http://127.0.0.1:{sink_port}/counts"))["documents"]

def start_otel_xray():
    g, h, u, a = free_port(), free_port(), free_port(), free_port()
    cmd = [GATEWAY, "run", "--output", "xray-api", "--endpoint", f"http://127.0.0.1:{sink_port}",
           "--region", "us-east-1", "--otlp-grpc", f"127.0.0.1:{g}", "--otlp-http", f"127.0.0.1:{h}",
           "--xray-udp", f"127.0.0.1:{u}", "--admin", f"127.0.0.1:{a}"]
    return cmd, g, h, a

def start_rotel():
    g, h = free_port(), free_port()
    cmd = [ROTEL, "start", "--exporter", "aws-xray", "--xray-exporter-region", "us-east-1",
           "--xray-exporter-custom-endpoint", f"http://127.0.0.1:{sink_port}",
           "--otlp-grpc-endpoint", f"127.0.0.1:{g}", "--otlp-http-endpoint", f"127.0.0.1:{h}"]
    return cmd, g, h, None

systems = [("otel-xray", start_otel_xray)]
if ROTEL:
    systems.append(("rotel", start_rotel))

results = []
try:
    for name, make in systems:
        for target in ("grpc", "http"):
            for spr in (50, 512):
                cmd, gport, hport, admin = make()
                proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL,
                                        stderr=open(f"{OUT}/{name}-{target}-{spr}.log", "w"))
                started.append(proc)
                try:
                    wait_port(gport, proc)
                    wait_port(hport, proc)
                    if admin:
                        wait_port(admin, proc)
                    time.sleep(0.3)
                    endpoint = (f"http://127.0.0.1:{gport}" if target == "grpc"
                                else f"http://127.0.0.1:{hport}/v1/traces")
                    requests = max(1, SPANS // spr)
                    docs0, cpu0, t0 = sink_docs(), cpu_secs(proc.pid), time.time()
                    load = subprocess.run(
                        [LOADGEN, "load", "--target", target, "--endpoint", endpoint,
                         "--spans-per-request", str(spr), "--requests", str(requests),
                         "--concurrency", str(CONC), "--max-seconds", str(SCENARIO_SECS)],
                        capture_output=True, text=True, timeout=SCENARIO_SECS + 120)
                    if load.returncode != 0:
                        raise RuntimeError(f"load failed: {load.stderr.strip()}")
                    rep = json.loads(load.stdout.strip().splitlines()[-1])
                    # The load tool's send window starts after it built its requests.
                    t_send = time.time() - rep["elapsed_s"]
                    sent = rep["spans_sent_ok"]
                    # Drain: until the sink has everything, or no progress for 5 s, or DRAIN_SECS.
                    last, last_change = sink_docs() - docs0, time.time()
                    deadline = time.time() + DRAIN_SECS
                    while last < sent and time.time() < deadline and time.time() - last_change < 5:
                        time.sleep(0.05)
                        now = sink_docs() - docs0
                        if now != last:
                            last, last_change = now, time.time()
                    delivered = last
                    t_done = last_change if delivered else time.time()
                    cpu = cpu_secs(proc.pid) - cpu0
                    hwm = vm_hwm_mib(proc.pid)
                    m = metrics(admin) if admin else {}
                    window = max(t_done - t_send, rep["elapsed_s"], 1e-9)
                    row = dict(system=name, target=target, spans_per_request=spr, sent=sent,
                               delivered=delivered, loss=sent - delivered,
                               failed_requests=rep["requests_failed"], first_error=rep["first_error"],
                               retries=rep["retries"], first_retry_reason=rep["first_retry_reason"],
                               load_elapsed_s=rep["elapsed_s"], window_s=window,
                               spans_per_s=delivered / window, client_spans_per_s=rep["spans_per_s"],
                               cpu_s=cpu, cpu_s_per_m=(cpu / delivered * 1e6) if delivered else None,
                               spans_per_cpu_s=(delivered / cpu) if cpu > 0 else None,
                               peak_rss_mib=hwm, p50_ms=rep["p50_ms"], p99_ms=rep["p99_ms"],
                               max_ms=rep["max_ms"], metrics=m)
                    results.append(row)
                    log(json.dumps(row))
                except Exception as e:  # noqa: BLE001
                    log(f"{name} {target} {spr}: {e}")
                    results.append(dict(system=name, target=target, spans_per_request=spr, error=str(e)))
                finally:
                    stop(proc)
finally:
    for p in started:
        stop(p)

with open(f"{OUT}/results.jsonl", "w") as f:
    for r in results:
        f.write(json.dumps(r) + "\n")

def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)

print("| system | protocol | spans/req | acked | delivered | lost | spans/s sustained | CPU s per M spans "
      "| spans per CPU-s | peak RSS MiB | p50 ms | p99 ms | retries | failed req |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in results:
    if "error" in r:
        print(f"| {r['system']} | {r['target']} | {r['spans_per_request']} | error: {r['error']} |||||||||||")
        continue
    print(f"| {r['system']} | {r['target']} | {r['spans_per_request']} | {r['sent']:,} | {r['delivered']:,} "
          f"| {r['loss']:,} | {r['spans_per_s']:,.0f} | {fmt(r['cpu_s_per_m'], '.2f')} "
          f"| {fmt(r['spans_per_cpu_s'], ',.0f')} | {r['peak_rss_mib']:.1f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
          f"| {r['retries']:,} | {r['failed_requests']:,} |")
PY
