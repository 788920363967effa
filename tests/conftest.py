"""What every tier shares: the repository root.

The cloud comes from the project's own pytest plugin, the one users get (``localcloud/pytest_plugin.py``,
loaded once, through its entry point): ``cloud_target`` (the embedded emulator for the session,
stopped at the end, also on failure or interrupt, unless ``AWS_ENDPOINT_URL`` or
``SERVERLESS_PATTERNS_TARGET`` says otherwise), ``cloud_stack`` (the catalog in this directory,
deployed once) and the ``requires(capability)`` marker.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
