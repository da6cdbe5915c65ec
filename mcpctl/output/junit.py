"""JUnit XML reports (``--report FILE``) for ping, batch and contract checks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mcpctl.core.errors import UsageError
from mcpctl.core.files import atomic_write


@dataclass(frozen=True)
class Case:
    """One test case: passed, failed (with a message) or skipped."""

    name: str
    classname: str
    seconds: float = 0.0
    failure: str | None = None
    skipped: str | None = None
    output: str | None = None


def render(suite: str, cases: Sequence[Case]) -> str:
    """A ``<testsuites>`` document with one suite."""
    failures = sum(1 for c in cases if c.failure is not None)
    skipped = sum(1 for c in cases if c.skipped is not None)
    total = sum(c.seconds for c in cases)
    root = ET.Element("testsuites", name="mcpctl", tests=str(len(cases)), failures=str(failures))
    node = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{total:.3f}",
    )
    for case in cases:
        element = ET.SubElement(node, "testcase", name=case.name, classname=case.classname, time=f"{case.seconds:.3f}")
        if case.failure is not None:
            ET.SubElement(
                element, "failure", message=case.failure.splitlines()[0] if case.failure else ""
            ).text = case.failure
        if case.skipped is not None:
            ET.SubElement(element, "skipped", message=case.skipped)
        if case.output:
            ET.SubElement(element, "system-out").text = case.output
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write(path: Path, suite: str, cases: Sequence[Case]) -> None:
    """Write the report atomically; an unwritable path is a usage error."""
    try:
        atomic_write(path, render(suite, cases))
    except OSError as exc:
        raise UsageError(f"--report {path}: {exc.strerror or exc}") from None
