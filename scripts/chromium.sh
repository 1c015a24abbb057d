#!/usr/bin/env bash
# Finds (and if needed installs) the headless browser the web-viewer tests drive: Debian's
# `chromium` package.
#
# Prints the path of the chromium binary on stdout (and nothing else); progress goes to stderr.
# Idempotent: when a browser is already present nothing is installed. Installs only when running
# as root on a system with apt-get (`apt-get update`, then
# `apt-get install -y --no-install-recommends chromium`), each step under a time limit.
# Otherwise fails with a message that says what to install.
#
# Honours OTEL_XRAY_CHROMIUM: when it names an executable, that path is printed as is.
set -euo pipefail

log() { printf 'chromium: %s\n' "$*" >&2; }

if [[ -n "${OTEL_XRAY_CHROMIUM:-}" && -x "${OTEL_XRAY_CHROMIUM}" ]]; then
    printf '%s\n' "$OTEL_XRAY_CHROMIUM"
    exit 0
fi

DEFAULT=/usr/bin/chromium
if [[ -x "$DEFAULT" ]]; then
    printf '%s\n' "$DEFAULT"
    exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
    log "no browser at $DEFAULT and not root, so it cannot be installed here"
    log "install Debian's chromium package (sudo apt-get install chromium) or set OTEL_XRAY_CHROMIUM"
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    log "no browser at $DEFAULT and no apt-get: install chromium and set OTEL_XRAY_CHROMIUM"
    exit 1
fi

UPDATE_SECS="${OTEL_XRAY_CHROMIUM_UPDATE_SECS:-300}"
INSTALL_SECS="${OTEL_XRAY_CHROMIUM_INSTALL_SECS:-900}"
export DEBIAN_FRONTEND=noninteractive

log "installing Debian's chromium package (apt-get update, then apt-get install chromium)"
if ! timeout "$UPDATE_SECS" apt-get update -q >&2; then
    log "apt-get update failed or took longer than ${UPDATE_SECS}s"
    exit 1
fi
if ! timeout "$INSTALL_SECS" apt-get install -y -q --no-install-recommends chromium >&2; then
    log "apt-get install chromium failed or took longer than ${INSTALL_SECS}s"
    exit 1
fi
if [[ ! -x "$DEFAULT" ]]; then
    log "the chromium package is installed but $DEFAULT is missing"
    exit 1
fi
log "installed $("$DEFAULT" --version 2>/dev/null || echo chromium)"
printf '%s\n' "$DEFAULT"
