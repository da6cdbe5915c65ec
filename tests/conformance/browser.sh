#!/usr/bin/env bash
# A headless "browser" for the conformance suite's auth scenarios ($BROWSER for mcpctl): it opens the
# authorization URL without following redirects, and delivers the redirect it gets (code, state, iss) to
# mcpctl's loopback listener, as a person's browser would after the login.
set -euo pipefail
location=$(curl -sS -o /dev/null -w '%{redirect_url}' "$1")
if [ -z "$location" ]; then
    echo "browser.sh: no redirect from $1" >&2
    exit 1
fi
curl -sS -o /dev/null "$location"
