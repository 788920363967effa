"""A DynamoDB client stand-in for unit tests of code that decides from DynamoDB's answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any


class ScriptedDynamoDB:
    """Each operation (``get_item``, ``update_item``...) answers from its script, in order: a response
    dict, or an exception to raise. Every call's parameters are recorded in ``calls[operation]``; an
    operation without a script does not exist."""

    def __init__(self, **scripts: list) -> None:
        self.scripts = {op: list(answers) for op, answers in scripts.items()}
        self.calls: dict[str, list[dict]] = defaultdict(list)

    def __getattr__(self, operation: str) -> Callable[..., dict]:
        if operation.startswith("_") or operation not in self.scripts:
            raise AttributeError(operation)
        return lambda **params: self._answer(operation, params)

    def _answer(self, operation: str, params: dict[str, Any]) -> dict:
        self.calls[operation].append(params)
        answer = self.scripts[operation].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
