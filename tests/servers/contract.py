"""A stdio MCP server (stdlib only, handshake era) whose surface is switched by ``$CONTRACT_SURFACE``.

``baseline`` (default), ``breaking`` (a tool removed, a required argument added, a type narrowed, a hint
turned unsafe, an output property removed, a resource removed, a prompt argument made required) or
``compatible`` (a tool, an optional argument, an enum value, a resource and a prompt added, a limit
loosened, descriptions changed). ``tests/cli/test_contract.py`` locks one and checks against another.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from typing import Any

VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25")

BASELINE: dict[str, Any] = {
    "tools": [
        {
            "name": "search",
            "description": "Search the index.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "maxLength": 200},
                    "limit": {"$ref": "#/$defs/limit"},
                    "order": {"type": "string", "enum": ["asc", "desc"]},
                    "score": {"type": "number"},
                },
                "required": ["query"],
                "$defs": {"limit": {"type": "integer", "minimum": 1, "maximum": 100}},
            },
            "outputSchema": {
                "type": "object",
                "properties": {"hits": {"type": "array", "items": {"type": "string"}}, "total": {"type": "integer"}},
                "required": ["hits", "total"],
            },
            "annotations": {"readOnlyHint": True},
        },
        {
            "name": "delete",
            "description": "Delete a document.",
            "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            "annotations": {"destructiveHint": False, "idempotentHint": True},
        },
        {"name": "stats", "description": "Index statistics.", "inputSchema": {"type": "object"}},
    ],
    "resources": [
        {"uri": "index://status", "name": "status", "mimeType": "application/json"},
        {"uri": "index://schema", "name": "schema", "mimeType": "application/json"},
    ],
    "resourceTemplates": [{"uriTemplate": "doc://{id}", "name": "document", "mimeType": "text/plain"}],
    "prompts": [
        {
            "name": "summarize",
            "description": "Summarize a document.",
            "arguments": [{"name": "id", "required": True}, {"name": "style", "required": False}],
        }
    ],
}


def breaking() -> dict[str, Any]:
    surface = copy.deepcopy(BASELINE)
    search, delete, _stats = surface["tools"]
    surface["tools"] = [search, delete]  # stats removed
    search["inputSchema"]["properties"]["score"]["type"] = "integer"  # number -> integer: narrowed
    search["inputSchema"]["properties"]["tenant"] = {"type": "string"}
    search["inputSchema"]["required"] = ["query", "tenant"]  # a new required property
    search["inputSchema"]["$defs"]["limit"]["maximum"] = 10  # tightened (through the $ref)
    search["inputSchema"]["properties"]["order"]["enum"] = ["asc"]  # enum value removed
    del search["outputSchema"]["properties"]["total"]  # output property removed
    search["outputSchema"]["required"] = ["hits"]
    delete["annotations"] = {"destructiveHint": True, "idempotentHint": True}  # now destructive
    surface["resources"] = surface["resources"][:1]  # index://schema removed
    surface["prompts"][0]["arguments"][1]["required"] = True  # style made required
    return surface


def compatible() -> dict[str, Any]:
    surface = copy.deepcopy(BASELINE)
    search = surface["tools"][0]
    search["description"] = "Search the whole index."
    search["inputSchema"]["properties"]["fuzzy"] = {"type": "boolean"}  # optional property added
    search["inputSchema"]["properties"]["order"]["enum"] = ["asc", "desc", "relevance"]  # enum widened
    search["inputSchema"]["properties"]["query"]["maxLength"] = 500  # loosened
    surface["tools"].append({"name": "suggest", "description": "Suggest queries.", "inputSchema": {"type": "object"}})
    surface["resources"].append({"uri": "index://metrics", "name": "metrics", "mimeType": "application/json"})
    surface["prompts"].append({"name": "explain", "description": "Explain a result.", "arguments": []})
    return surface


def surface() -> dict[str, Any]:
    chosen = os.environ.get("CONTRACT_SURFACE", "baseline")
    return {"baseline": lambda: copy.deepcopy(BASELINE), "breaking": breaking, "compatible": compatible}[chosen]()


def answer(message: dict[str, Any], offered: dict[str, Any]) -> dict[str, Any] | None:
    if "id" not in message or "method" not in message:
        return None
    method, params = message["method"], message.get("params") or {}

    def ok(result: dict[str, Any]) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": message["id"], "result": result}

    if method == "initialize":
        asked = params.get("protocolVersion")
        return ok(
            {
                "protocolVersion": asked if asked in VERSIONS else VERSIONS[-1],
                "capabilities": {"tools": {}, "resources": {}, "prompts": {}},
                "serverInfo": {"name": "contract-test", "version": os.environ.get("CONTRACT_VERSION", "1.0.0")},
            }
        )
    lists = {
        "tools/list": "tools",
        "resources/list": "resources",
        "resources/templates/list": "resourceTemplates",
        "prompts/list": "prompts",
    }
    if method in lists:
        return ok({lists[method]: offered[lists[method]]})
    if method == "ping":
        return ok({})
    return {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": f"Method not found: {method}"}}


def main() -> None:
    offered = surface()
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        reply = answer(message, offered)
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
