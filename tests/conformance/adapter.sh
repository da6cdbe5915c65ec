#!/usr/bin/env bash
# Client adapter for the official MCP conformance suite (@modelcontextprotocol/conformance).
#
# The harness runs `adapter.sh SERVER_URL` (the URL is always the last argument) with
#   MCP_CONFORMANCE_SCENARIO          the scenario,
#   MCP_CONFORMANCE_PROTOCOL_VERSION  the revision under test (2025-11-25, 2026-07-28),
#   MCP_CONFORMANCE_CONTEXT           for some scenarios, a JSON object (e.g. the calls to make).
# The client must do the scenario's work and exit 0.
#
# This script only maps a scenario to plain mcpctl command lines: no protocol code lives
# here; whatever a scenario needs, mcpctl does from its command line. The last mcpctl
# command is exec'd, so the harness's timeout kill (SIGTERM) reaches mcpctl itself, provided
# the harness's --command starts with `exec` too: it runs the command through `sh -c`, and
# dash does not exec the last command of a -c string (run.sh does this).
#
# mcpctl runs with its default protocol mode (auto: probe server/discover, fall back to
# the initialize handshake), as a user would; the mock servers decide the revision.
# MCPCTL overrides the command (default: mcpctl on PATH), e.g. MCPCTL='python -m mcpctl'.
set -euo pipefail

if [ "$#" -lt 1 ]; then
    echo "usage: MCP_CONFORMANCE_SCENARIO=NAME $0 [ARG…] SERVER_URL" >&2
    exit 2
fi
url="${!#}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scenario="${MCP_CONFORMANCE_SCENARIO:?MCP_CONFORMANCE_SCENARIO is not set}"

# One scenario per CPU at a time (run.sh sets MCPCTL_CONFORMANCE_SLOTS): the harness starts every
# scenario at once, and 30-odd mcpctl start-ups competing for 2 CPUs made each slow enough to time
# out. The slot's lock (fd 9) is held until this script and everything it started have exited.
if [ -n "${MCPCTL_CONFORMANCE_SLOTS:-}" ]; then
    slots=$(nproc 2>/dev/null || echo 2)
    while :; do
        for ((i = 0; i < slots; i++)); do
            exec 9>"$MCPCTL_CONFORMANCE_SLOTS/slot$i"
            flock -n 9 && break 2
        done
        sleep 0.1
    done
fi

# shellcheck disable=SC2206  # MCPCTL may be a command with arguments
mcpctl=(${MCPCTL:-mcpctl})
# No retries: a mock that fails must fail the scenario. The deadlines end a stuck command
# with mcpctl's own error before the harness's kill (run.sh gives each scenario 60 s).
server=(--url "$url" --retries 0 --connect-timeout 20 --timeout 20)

# A jq filter applied to MCP_CONFORMANCE_CONTEXT, as compact JSON.
context() {
    jq -ce "$1" <<<"${MCP_CONFORMANCE_CONTEXT:-{\}}"
}

# One field of MCP_CONFORMANCE_CONTEXT as raw text (empty when absent).
field() {
    jq -r "$1 // empty" <<<"${MCP_CONFORMANCE_CONTEXT:-{\}}"
}

case "$scenario" in
    initialize)
        # Connect (initialize handshake), list the tools, exit.
        exec "${mcpctl[@]}" tools list "${server[@]}" -o json
        ;;
    tools_call)
        # `call` lists the tools (it validates the arguments against the inputSchema) and
        # calls add_numbers.
        exec "${mcpctl[@]}" call add_numbers a=5 b=3 "${server[@]}" -o json
        ;;
    sse-retry)
        # The server ends the call's SSE stream after a priming event carrying `retry:`;
        # the answer comes on the GET stream the client reopens after `retry` ms, sending
        # Last-Event-ID.
        exec "${mcpctl[@]}" call test_reconnection "${server[@]}" -o json
        ;;
    elicitation-sep1034-client-defaults)
        # The tool asks the client for a form (elicitation/create); accept it, filled with
        # the requested schema's defaults.
        exec "${mcpctl[@]}" call test_client_elicitation_defaults --elicit accept-defaults "${server[@]}" -o json
        ;;
    request-metadata)
        # _meta (protocolVersion, clientInfo, clientCapabilities) and a matching
        # MCP-Protocol-Version header on every request; the first request is refused with
        # -32022 (unsupported version) and must be retried with a supported one.
        exec "${mcpctl[@]}" tools list "${server[@]}" -o json
        ;;
    sep-2322-client-request-state)
        # Multi round-trip requests (SEP-2322): an InputRequiredResult is answered (here an
        # elicitation, accepted) and the call retried with a fresh JSON-RPC id, the exact
        # requestState (none when none was sent), and nothing leaking into other calls.
        #
        # test_mrtr_no_result_type answers without `resultType` after negotiating
        # 2026-07-28, where the field is required: mcpctl (the SDK) rejects the result as
        # off-schema (exit 5, a protocol error) and, as the check requires, never retries
        # it. That stimulus is itself invalid (modelcontextprotocol/conformance#475), so
        # exit 5 is accepted for that call alone.
        "${mcpctl[@]}" call test_mrtr_no_result_type "${server[@]}" -o json || [ "$?" -eq 5 ]
        exec "${mcpctl[@]}" batch - --elicit accept-defaults "${server[@]}" <<'EOF'
{"id": "echo-state", "tool": "test_mrtr_echo_state"}
{"id": "unrelated", "tool": "test_mrtr_unrelated"}
{"id": "no-state", "tool": "test_mrtr_no_state"}
EOF
        ;;
    http-standard-headers)
        # Mcp-Method on every POST; Mcp-Name on tools/call, resources/read (a URI with a
        # percent-encoded space) and prompts/get. Every method the mock serves, once.
        "${mcpctl[@]}" batch - "${server[@]}" <<'EOF'
{"id": "headers", "tool": "test_headers"}
{"id": "hyphenated", "tool": "my-hyphenated-tool"}
EOF
        "${mcpctl[@]}" resources list "${server[@]}" -o json
        "${mcpctl[@]}" resources read 'file:///path/to/file%20name.txt' "${server[@]}" -o json
        "${mcpctl[@]}" prompts list "${server[@]}" -o json
        exec "${mcpctl[@]}" prompts get test_prompt "${server[@]}" -o json
        ;;
    http-custom-headers)
        # Arguments of parameters annotated x-mcp-header are mirrored into Mcp-Param-*
        # headers (Base64 when not a plain token; none for null). The calls to make, with
        # their exact arguments (a null included), come in the context.
        exec "${mcpctl[@]}" batch - --no-validate "${server[@]}" \
            < <(context '.toolCalls[] | {id: .name, tool: .name, arguments: .arguments}')
        ;;
    http-invalid-tool-headers)
        # Tools whose x-mcp-header annotations are invalid must be left out: call every
        # tool mcpctl lists (with placeholder values for the required arguments); only
        # valid_tool may be among them.
        tools=$("${mcpctl[@]}" tools list "${server[@]}" -o json)
        exec "${mcpctl[@]}" batch - "${server[@]}" < <(jq -c '
            {"string": "x", "integer": 0, "number": 0, "boolean": false, "object": {}, "array": []} as $stub
            | .[]
            | .inputSchema as $schema
            | {id: .name, tool: .name, arguments: (reduce ($schema.required // [])[] as $key
                ({}; .[$key] = ($stub[$schema.properties[$key].type // "string"] // "x")))}
            ' <<<"$tools")
        ;;
    json-schema-ref-no-deref)
        # List the tools without fetching the network $ref in an inputSchema.
        exec "${mcpctl[@]}" tools list "${server[@]}" -o json
        ;;
    json-schema-2020-12-preservation)
        # Echo the focal tool's inputSchema, as mcpctl shows it, back through another tool:
        # every 2020-12 keyword must survive mcpctl's parsing and printing.
        schema=$("${mcpctl[@]}" tools show json_schema_2020_12_tool "${server[@]}" -o json | jq -ce .inputSchema)
        exec "${mcpctl[@]}" call json_schema_echo "schema:=$schema" "${server[@]}" -o json
        ;;
    auth/client-credentials-*)
        # The machine grant: the client and its secret or key come in the context; a profile names them.
        state=$(mktemp -d)
        export XDG_STATE_HOME="$state" MCPCTL_PROFILE="$state/profile.toml"
        {
            printf '[servers.s]\nurl = "%s"\n[servers.s.oauth]\ngrant = "client_credentials"\n' "$url"
            printf 'client_id = "%s"\n' "$(field .client_id)"
            if [ -n "$(field .private_key_pem)" ]; then
                field .private_key_pem >"$state/key.pem"
                printf 'token_endpoint_auth_method = "private_key_jwt"\nprivate_key_file = "%s"\n' "$state/key.pem"
            else
                printf 'token_endpoint_auth_method = "client_secret_basic"\n'
                printf 'client_secret_env = "CONFORMANCE_CLIENT_SECRET"\n'
            fi
        } >"$MCPCTL_PROFILE"
        CONFORMANCE_CLIENT_SECRET=$(field .client_secret)
        export CONFORMANCE_CLIENT_SECRET
        exec "${mcpctl[@]}" tools list s --retries 0 --connect-timeout 20 --timeout 20 -o json
        ;;
    auth/*)
        # Authorization code + PKCE: mcpctl logs in when the server asks (--login: there is no terminal
        # here), with browser.sh as $BROWSER following the authorization URL back to mcpctl's loopback
        # redirect. The tokens land in a fresh store; the next command uses them (and steps up when a
        # call needs more scope). A profile names the client: pre-registered when the context gives one
        # (auth/pre-registration), else a client ID metadata document URL, used where the authorization
        # server supports those (auth/basic-cimd) and dynamic registration otherwise.
        state=$(mktemp -d)
        export XDG_STATE_HOME="$state" BROWSER="$here/browser.sh" MCPCTL_PROFILE="$state/profile.toml"
        CONFORMANCE_CLIENT_SECRET=$(field .client_secret)
        export CONFORMANCE_CLIENT_SECRET
        {
            printf '[servers.s]\nurl = "%s"\n[servers.s.oauth]\n' "$url"
            if [ -n "$(field .client_id)" ]; then
                printf 'client_id = "%s"\n' "$(field .client_id)"
                [ -z "$CONFORMANCE_CLIENT_SECRET" ] || printf 'client_secret_env = "CONFORMANCE_CLIENT_SECRET"\n'
            else
                printf 'client_metadata_url = "https://conformance-test.local/client-metadata.json"\n'
            fi
        } >"$MCPCTL_PROFILE"
        auth=(--login --retries 0 --connect-timeout 20 --timeout 20)
        case "$scenario" in
            auth/iss-normalized | auth/iss-supported-missing | auth/iss-unexpected | auth/iss-wrong-issuer | \
                auth/metadata-issuer-mismatch | auth/resource-mismatch)
                # Scenarios where the right answer is to refuse (an authorization response or metadata
                # from the wrong issuer, a resource that is not this server, a server that keeps asking
                # for more scope): mcpctl must stop with exit 6 (auth), nothing else.
                status=0
                "${mcpctl[@]}" tools list s "${auth[@]}" -o json || status=$?
                [ "$status" -eq 6 ]
                exit
                ;;
            auth/scope-retry-limit)
                # The server keeps asking for more scope (on the first request at one revision, on the
                # tool call at the other): after one step-up mcpctl must give up with exit 6.
                status=0
                tools=$("${mcpctl[@]}" tools list s "${auth[@]}" -o json) || status=$?
                if [ "$status" -eq 0 ]; then
                    first=$(jq -r '.[0].name // empty' <<<"$tools")
                    "${mcpctl[@]}" call "s.$first" "${auth[@]}" --no-validate -o json || status=$?
                fi
                [ "$status" -eq 6 ]
                exit
                ;;
        esac
        tools=$("${mcpctl[@]}" tools list s "${auth[@]}" -o json)
        first=$(jq -r '.[0].name // empty' <<<"$tools")
        [ -n "$first" ] || exit 0
        exec "${mcpctl[@]}" call "s.$first" "${auth[@]}" --no-validate -o json
        ;;
    *)
        echo "adapter: unknown scenario '$scenario'" >&2
        exit 1
        ;;
esac
