#!/usr/bin/env bash
# Installs the test peers the integration tests start on 127.0.0.1: moto's X-Ray server, an
# independent implementation of the X-Ray API (PutTraceSegments, GetTraceSummaries, BatchGetTraces),
# and the Python clients the end-to-end tests drive through the gateway (the OpenTelemetry Python
# SDK with its OTLP gRPC and HTTP exporters, and the AWS X-Ray SDK for Python). All go into the same
# venv; the tests find its `python` next to `moto_server`.
#
# Idempotent: the virtual environment `.venv-peers/` is created once and reused; pip runs only when
# the pinned requirements changed or the environment is incomplete. Bounded: every pip call has a
# network timeout and the whole install a deadline. Installs from PyPI only.
#
# Prints the path of `moto_server` on stdout (and nothing else); progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned peers. Change these together and re-run; the stamp below makes the venv follow.
MOTO_REQUIREMENT='moto[server,xray]==5.2.5'
BOTO3_REQUIREMENT='boto3==1.44.5'
# One OpenTelemetry Python release: the SDK and both OTLP exporters share their version.
OTEL_PYTHON_VERSION='1.45.2'
OTEL_REQUIREMENTS=(
    "opentelemetry-sdk==$OTEL_PYTHON_VERSION"
    "opentelemetry-exporter-otlp-proto-grpc==$OTEL_PYTHON_VERSION"
    "opentelemetry-exporter-otlp-proto-http==$OTEL_PYTHON_VERSION"
)
XRAY_SDK_REQUIREMENT='aws-xray-sdk==2.15.0'
VENV=".venv-peers"
STAMP="$VENV/.otel-xray-peers"
WANT="$MOTO_REQUIREMENT $BOTO3_REQUIREMENT ${OTEL_REQUIREMENTS[*]} $XRAY_SDK_REQUIREMENT"
INSTALL_DEADLINE_SECS="${OTEL_XRAY_PEERS_DEADLINE_SECS:-600}"

log() { printf 'peers: %s\n' "$*" >&2; }

python_bin() {
    for candidate in python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

moto_server="$PWD/$VENV/bin/moto_server"

if [[ -x "$moto_server" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
    log "reusing $VENV ($WANT)"
else
    if ! PYTHON="$(python_bin)"; then
        log "python 3.9 or newer with the venv and ensurepip modules is needed to install moto"
        log "(on Debian/Ubuntu: apt-get install python3-venv)"
        exit 1
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating $VENV with $PYTHON"
        rm -rf "$VENV"
        timeout 120 "$PYTHON" -m venv "$VENV"
    fi
    log "installing $WANT into $VENV"
    rm -f "$STAMP"
    timeout "$INSTALL_DEADLINE_SECS" "$VENV/bin/python" -m pip install \
        --disable-pip-version-check --no-input --quiet \
        --timeout 30 --retries 3 \
        --index-url https://pypi.org/simple \
        "$MOTO_REQUIREMENT" "$BOTO3_REQUIREMENT" "${OTEL_REQUIREMENTS[@]}" "$XRAY_SDK_REQUIREMENT" >&2
    if [[ ! -x "$moto_server" ]]; then
        log "pip finished but $moto_server is missing"
        exit 1
    fi
    printf '%s' "$WANT" >"$STAMP"
fi

# A cheap check that the installation is usable (imports the X-Ray backend, the server and the
# clients the end-to-end tests run).
timeout 60 "$VENV/bin/python" -c '
import moto.xray, moto.server
import opentelemetry.sdk.trace
import opentelemetry.exporter.otlp.proto.grpc.trace_exporter
import opentelemetry.exporter.otlp.proto.http.trace_exporter
import aws_xray_sdk.core
' >&2
echo "$moto_server"
