#!/usr/bin/env bash
# Install the real third-party MCP servers that tests/e2e/test_real_servers.py runs mcpctl against.
#
#   bash tests/real/install.sh DIR      (then: MCPCTL_REAL_SERVERS=DIR python -m pytest tests/e2e/test_real_servers.py)
#
# Layout under DIR, each server in its own environment:
#   DIR/npm/node_modules/.bin/mcp-server-{everything,filesystem,memory}   one npm prefix, exact versions
#   DIR/time/bin/mcp-server-time, DIR/git/bin/mcp-server-git,             one virtualenv each
#   DIR/sqlite/bin/mcp-server-sqlite, DIR/fastmcp/bin/python
# Idempotent: what is already installed at the pinned version is skipped. Every step says what it does;
# any failure stops the script with a non-zero exit. PYTHON (default python3) builds the virtualenvs.
set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
mkdir -p "$1"
dir=$(cd "$1" && pwd)
python=${PYTHON:-python3}

# The pins. Keep them in step with tests/e2e/test_real_servers.py and the README.
npm_packages=(
    "@modelcontextprotocol/server-everything@2026.8.31"
    "@modelcontextprotocol/server-filesystem@2026.8.31"
    "@modelcontextprotocol/server-memory@2026.8.31"
)
declare -A py_envs=(
    [time]="mcp-server-time==2026.10.19"
    [git]="mcp-server-git==2026.10.19"
    # The 1.x SDK: this server crashes at start-up on mcp 2.x; it is our real old-handshake server.
    [sqlite]="mcp-server-sqlite==2025.4.25 mcp<2"
    [fastmcp]="fastmcp==4.1.6"
)

say() { printf '[install.sh] %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
trap 'say "FAILED (line $LINENO): $BASH_COMMAND"' ERR

started=$(now)
say "installing into $dir"

# ---------------------------------------------------------------------------------------------------- npm
command -v node >/dev/null || die "node is not on PATH (apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not on PATH (apt-get install npm)"
npm_prefix=$dir/npm
missing=()
for spec in "${npm_packages[@]}"; do
    name=${spec%@*}
    want=${spec##*@}
    manifest=$npm_prefix/node_modules/$name/package.json
    have=$(node -p "require(process.argv[1]).version" "$manifest" 2>/dev/null || true)
    if [[ $have == "$want" ]]; then
        say "npm: $name $want already installed"
    else
        say "npm: $name: ${have:-not installed}, want $want"
        missing+=("$spec")
    fi
done
if ((${#missing[@]})); then
    t=$(now)
    mkdir -p "$npm_prefix"
    # Install every pin together, so an existing package.json never drops one of them.
    say "npm install --prefix $npm_prefix --save-exact ${npm_packages[*]}"
    npm install --prefix "$npm_prefix" --save-exact --no-audit --no-fund --loglevel=error "${npm_packages[@]}" >&2 \
        || die "npm install"
    say "npm: done in $(since "$t") s"
fi
for bin in mcp-server-everything mcp-server-filesystem mcp-server-memory; do
    [[ -x $npm_prefix/node_modules/.bin/$bin ]] || die "npm: $npm_prefix/node_modules/.bin/$bin is missing"
done

# ---------------------------------------------------------------------------------------------------- PyPI
# Exit 0 when the virtualenv's packages satisfy every requirement given (pip's own version logic).
satisfied() {
    local venv=$1
    shift
    [[ -x $venv/bin/python ]] || return 1
    "$venv/bin/python" - "$@" 2>/dev/null <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version

from pip._vendor.packaging.requirements import Requirement

for text in sys.argv[1:]:
    requirement = Requirement(text)
    try:
        have = version(requirement.name)
    except PackageNotFoundError:
        sys.exit(1)
    if not requirement.specifier.contains(have, prereleases=True):
        sys.exit(1)
EOF
}

for env in time git sqlite fastmcp; do
    read -r -a reqs <<<"${py_envs[$env]}"
    venv=$dir/$env
    if satisfied "$venv" "${reqs[@]}"; then
        say "pip: $env: ${reqs[*]} already installed in $venv"
        continue
    fi
    t=$(now)
    if [[ ! -x $venv/bin/python ]]; then
        say "pip: $env: $python -m venv $venv"
        "$python" -m venv "$venv" || die "venv $venv"
    fi
    say "pip: $env: pip install ${reqs[*]}"
    # (the grep drops one harmless warning per package that some machines' pip configuration causes)
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${reqs[@]}" 2>&1 \
        | { grep -v 'is ignored: it is neither a file nor a directory' || true; } >&2
    satisfied "$venv" "${reqs[@]}" || die "pip: $env: ${reqs[*]} not installed (see pip's output above)"
    say "pip: $env: done in $(since "$t") s"
done
for bin in time/bin/mcp-server-time git/bin/mcp-server-git sqlite/bin/mcp-server-sqlite fastmcp/bin/python; do
    [[ -x $dir/$bin ]] || die "$dir/$bin is missing"
done

say "all real servers installed in $dir ($(since "$started") s)"
