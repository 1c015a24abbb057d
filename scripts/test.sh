#!/usr/bin/env bash
# The project's test command (README "Run the tests"): unit, integration, golden, property and
# end-to-end tests of the whole workspace.
#
# First installs the test peers (scripts/peers.sh: moto's X-Ray server, boto3 and the OpenTelemetry
# and X-Ray SDK clients in .venv-peers/; scripts/chromium.sh: headless Chromium) and tells
# the tests where they are; with OTEL_XRAY_REQUIRE_PEERS=1 a test that needs a peer fails instead of
# skipping, so this command always runs the tests against the real peers.
set -euo pipefail
cd "$(dirname "$0")/.."
OTEL_XRAY_MOTO_SERVER="$(bash scripts/peers.sh)"
export OTEL_XRAY_MOTO_SERVER
# Headless Chromium (Debian's package) for the Local X-Ray viewer tests.
OTEL_XRAY_CHROMIUM="$(bash scripts/chromium.sh)"
export OTEL_XRAY_CHROMIUM
export OTEL_XRAY_REQUIRE_PEERS=1
cargo test --workspace --locked "$@"
