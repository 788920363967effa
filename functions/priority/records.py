"""DynamoDB update requests built from plain dicts: every attribute name goes through a placeholder,
so reserved words (``status``, ``result``...) never break an expression. Pure; unit-tested."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def update_kwargs(
    key: Mapping[str, Any],
    set_values: Mapping[str, Any] | None = None,
    add: Mapping[str, Any] | None = None,
    remove: Iterable[str] = (),
    append: Mapping[str, list[Any]] | None = None,
    condition: str | None = None,
    condition_values: Mapping[str, Any] | None = None,
    condition_names: Iterable[str] = (),
) -> dict[str, Any]:
    """Keyword arguments for ``Table.update_item``.

    ``append`` adds list items to a list attribute (creating it). ``condition`` may refer to names
    in ``condition_names`` as ``#name`` and to ``condition_values`` as ``:name``.
    """
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    clauses: list[str] = []

    def name(attribute: str) -> str:
        names[f"#{attribute}"] = attribute
        return f"#{attribute}"

    sets = [f"{name(a)} = :set_{a}" for a in (set_values or {})]
    values.update({f":set_{a}": v for a, v in (set_values or {}).items()})
    for attribute, items in (append or {}).items():
        placeholder = name(attribute)
        sets.append(f"{placeholder} = list_append(if_not_exists({placeholder}, :empty_list), :append_{attribute})")
        values[":empty_list"] = []
        values[f":append_{attribute}"] = list(items)
    if sets:
        clauses.append("SET " + ", ".join(sets))
    if add:
        clauses.append("ADD " + ", ".join(f"{name(a)} :add_{a}" for a in add))
        values.update({f":add_{a}": v for a, v in add.items()})
    removed = [name(a) for a in remove]
    if removed:
        clauses.append("REMOVE " + ", ".join(removed))
    if not clauses:
        raise ValueError("an update needs at least one SET, ADD or REMOVE")
    kwargs: dict[str, Any] = {"Key": dict(key), "UpdateExpression": " ".join(clauses)}
    if condition:
        for attribute in condition_names:
            name(attribute)
        kwargs["ConditionExpression"] = condition
        values.update(condition_values or {})
    kwargs["ExpressionAttributeNames"] = names
    if values:
        kwargs["ExpressionAttributeValues"] = values
    return kwargs


def is_condition_failure(exc: Exception) -> bool:
    """True when ``exc`` is DynamoDB refusing a write because its condition did not hold."""
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
