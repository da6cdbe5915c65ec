"""`resources list|templates|read` and `prompts list|get`: same naming, output modes and exit codes as tools/call."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from conftest import DEMO, stdio_server, write_profile

from cli.runner import mcpctl


def test_resources_list_prints_one_tab_separated_row_a_resource() -> None:
    done = mcpctl("resources", "list", "--stdio", DEMO)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [
        "mcpctl.demo\tdemo://readme\treadme\ttext/markdown\tWhat this demo server is and how to try it."
    ]
    assert done.stderr == ""


def test_resources_list_json_keeps_the_wire_spelling() -> None:
    done = mcpctl("resources", "list", "--stdio", DEMO, "-o", "json")
    assert done.exit_code == 0, done.stderr
    (resource,) = json.loads(done.stdout)
    assert resource["server"] == "mcpctl.demo"
    assert resource["uri"] == "demo://readme"
    assert resource["mimeType"] == "text/markdown"


def test_resources_templates_lists_uri_templates() -> None:
    done = mcpctl("resources", "templates", "--stdio", DEMO, "-o", "ndjson")
    assert done.exit_code == 0, done.stderr
    (template,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert template["uriTemplate"] == "greet://{name}"


def test_resources_read_prints_text_contents_as_they_are() -> None:
    done = mcpctl("resources", "read", "--stdio", DEMO, "demo://readme")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("# mcpctl demo server\n")
    assert done.stderr == ""


def test_resources_read_expands_a_template_from_name_value_arguments() -> None:
    done = mcpctl("resources", "read", "--stdio", DEMO, "greet://{name}", "name=bob")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "Hello, bob!\n"


def test_resources_read_json_wraps_the_wire_result() -> None:
    done = mcpctl("resources", "read", "--stdio", DEMO, "greet://{name}", "name=a b", "-o", "json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["uri"] == "greet://a%20b"
    assert data["result"]["contents"][0]["text"] == "Hello, a b!"


def test_a_template_without_its_variables_is_exit_2_naming_them() -> None:
    done = mcpctl("resources", "read", "--stdio", DEMO, "greet://{name}")
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "needs: name" in done.stderr


def test_an_unknown_resource_is_a_protocol_error_exit_5() -> None:
    done = mcpctl("resources", "read", "--stdio", DEMO, "nope://x")
    assert done.exit_code == 5, done.stderr
    assert done.stdout == ""
    assert "mcpctl: error:" in done.stderr


def test_resources_read_names_a_profile_server(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO)})
    done = mcpctl("resources", "read", "--profile", str(profile), "demo", "demo://readme", "-o", "json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["server"] == "demo"


def test_prompts_list_marks_required_arguments() -> None:
    done = mcpctl("prompts", "list", "--stdio", DEMO)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [
        "mcpctl.demo\treview\tCode review\tAsk for a review of a piece of code.\tcode*,language"
    ]


def test_prompts_get_renders_messages_readably() -> None:
    done = mcpctl("prompts", "get", "--stdio", DEMO, "review", "code=print(1)", "language=python")
    assert done.exit_code == 0, done.stderr
    assert "user:\n" in done.stdout
    assert "print(1)" in done.stdout
    assert done.stderr == ""


def test_prompts_get_json_is_the_wire_shape(tmp_path: Path) -> None:
    source = tmp_path / "main.py"
    source.write_text("x = 1\n")
    done = mcpctl("prompts", "get", "--stdio", DEMO, "review", f"code=@{source}", "-o", "json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["prompt"] == "review"
    message = data["result"]["messages"][0]
    assert message["role"] == "user"
    assert "x = 1" in message["content"]["text"]


def test_a_missing_required_prompt_argument_is_exit_2_before_sending() -> None:
    done = mcpctl("prompts", "get", "--stdio", DEMO, "review")
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "prompt 'review' needs argument: code" in done.stderr
    assert "hint: mcpctl prompts get review code=VALUE" in done.stderr


def test_an_unknown_prompt_argument_is_exit_2() -> None:
    done = mcpctl("prompts", "get", "--stdio", DEMO, "review", "code=x", "colour=red")
    assert done.exit_code == 2
    assert "has no argument: colour" in done.stderr


def test_a_bare_prompt_name_is_looked_up_across_the_profile(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {"a": stdio_server(DEMO), "b": stdio_server(DEMO, enabled=False)},
    )
    done = mcpctl("prompts", "get", "--profile", str(profile), "review", "code=x", "-o", "json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["server"] == "a"


def test_an_ambiguous_bare_prompt_is_exit_2_listing_candidates(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"a": stdio_server(DEMO), "b": stdio_server(DEMO)})
    done = mcpctl("prompts", "get", "--profile", str(profile), "review", "code=x")
    assert done.exit_code == 2
    assert "a.review, b.review" in done.stderr


def test_binary_contents_are_saved_with_save(tmp_path: Path) -> None:
    done = mcpctl("call", "--stdio", DEMO, "image", "color=blue", "--save", str(tmp_path / "out"), "-o", "json")
    assert done.exit_code == 0, done.stderr
    (path,) = json.loads(done.stdout)["saved"]
    assert Path(path).read_bytes().startswith(b"\x89PNG")
    block = json.loads(done.stdout)["result"]["content"][0]
    assert "_saved" not in block
    assert base64.b64decode(block["data"]) == Path(path).read_bytes()
