"""The one base class of every error the local tooling reports to a user.

The console script and the pytest plugin print these as one line (they carry the fix in their
message); anything else is a bug in the tooling and keeps its traceback.
"""

from __future__ import annotations


class LocalCloudError(RuntimeError):
    """A failure the user can fix; the message names the cause and the fix, on one line."""


def one_line(message: object) -> str:
    """``message`` with its whitespace (newlines included) collapsed, for a one-line report."""
    return " ".join(str(message).split())
