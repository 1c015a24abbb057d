#!/usr/bin/env bash
# The project's test command (README "Run the tests"): unit, integration, golden, property and
# end-to-end tests of the whole workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
