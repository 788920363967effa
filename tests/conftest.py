"""What every tier shares: the repository root.

The cloud comes from the project's own pytest plugin, the one users get (``localcloud/pytest_plugin.py``,
loaded once, through its entry point): ``cloud_target`` (the embedded emulator for the session,
stopped at the end, also on failure or interrupt, unless ``AWS_ENDPOINT_URL`` or
``SERVERLESS_PATTERNS_TARGET`` says otherwise), ``cloud_stack`` (the catalog in this directory,
deployed once) and the ``requires(capability)`` marker.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on the session's cloud goes to one xdist worker (``make test`` runs ``-n 2 --dist
    loadgroup``), so the catalog is deployed once; the other worker takes the tests that need no cloud."""
    for item in items:
        if "cloud_target" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("cloud"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under xdist, a worker running tests that need no cloud yields the CPU (nice 19) to the emulator
    and its Lambdas, whose timeouts and deadlines are real: on 2 cores, contention made them miss."""
    if os.environ.get("PYTEST_XDIST_WORKER") and item.get_closest_marker("xdist_group") is None \
            and os.nice(0) < 19:
        os.nice(19 - os.nice(0))
