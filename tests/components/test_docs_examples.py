"""Runnable documentation: every usage example in ``docs/patterns/examples/`` is a Pulumi program that
runs here under the mock harness, and the pattern page shows exactly that file."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from tests.components.harness import run_under_mocks

DOCS = Path(__file__).resolve().parents[2] / "docs" / "patterns"
EXAMPLES = sorted((DOCS / "examples").glob("*.py"))
MARKER = re.compile(r"<!-- example: (examples/[\w.]+\.py)[^>]*-->\n```python\n(.*?)\n```", re.S)


def test_every_pattern_page_has_a_runnable_example():
    pages = sorted(p.stem for p in DOCS.glob("*.md"))
    assert [e.stem for e in EXAMPLES] == pages


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_example_deploys_under_mocks(example, build):
    mocks = build(lambda: runpy.run_path(str(example)))
    assert any(d.typ.startswith("serverless-patterns:") for d in mocks.declared)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_page_shows_the_example_verbatim(example):
    page = (DOCS / f"{example.stem}.md").read_text()
    shown = {name: code for name, code in MARKER.findall(page)}
    relative = f"examples/{example.name}"
    assert relative in shown, f"{example.stem}.md has no '<!-- example: {relative} -->' block"
    assert shown[relative] == example.read_text().rstrip("\n"), f"{example.stem}.md shows an outdated copy"


def test_the_harness_is_importable_without_fixtures():
    assert callable(run_under_mocks)
