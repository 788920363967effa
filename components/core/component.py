"""``PatternComponent``: what every component of the catalog shares, written once.

- A type token fixed in the class (``TYPE = "serverless-patterns:<pattern>:<Class>"``), never
  derived from a module path: moving a file must not change it, because a changed token replaces
  every child resource (tables included) of a deployed stack. Tokens a class had before are kept
  in ``LEGACY_TYPES`` and passed as aliases, so stacks deployed with them update in place.
- One output contract: a component builds its outputs once, as a dict, and :meth:`_publish`
  checks their names, keeps them in ``self.outputs`` and registers exactly those. A program
  exports them as they are (``pulumi.export("counter", counter.outputs)``).

Output names follow one rule (:func:`check_output_names`): ``url`` for an API's base URL;
``[<role>_]<kind>_<attribute>`` for a resource (``counters_table_name``, ``replies_dlq_url``,
``level_queue_urls`` for a map keyed by member); ``<role>_config`` for a configuration document;
``<setting>_seconds`` for a configured duration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi

KINDS = ("table", "stream", "queue", "dlq", "bus", "topic", "function", "state_machine", "archive", "role", "secret",
         "rule", "api", "parameter", "key", "bucket")
ATTRIBUTES = ("name", "url", "arn", "id", "invoke_arn", "execution_arn")
_RESOURCE = re.compile(
    rf"^([a-z0-9]+_)*({'|'.join(KINDS)})_({'|'.join(ATTRIBUTES)})s?$"
)
_OTHER = re.compile(r"^(url|([a-z0-9]+_)*[a-z0-9]+_config|([a-z0-9]+_)*[a-z0-9]+_seconds)$")


def check_output_names(outputs: Mapping[str, Any]) -> None:
    """Refuse an output name that does not follow the catalog's naming rule (module docstring)."""
    wrong = sorted(name for name in outputs if not (_RESOURCE.match(name) or _OTHER.match(name)))
    if wrong:
        raise ValueError(
            f"output name(s) {', '.join(wrong)} do not follow the rule: 'url', '[<role>_]<kind>_<attribute>' "
            f"(kinds: {', '.join(KINDS)}; attributes: {', '.join(ATTRIBUTES)}; plural for a map), "
            "'<role>_config' or '<setting>_seconds'"
        )


class PatternComponent(pulumi.ComponentResource):
    """Base class of the catalog's components: fixed type token, one output contract."""

    TYPE: ClassVar[str]
    LEGACY_TYPES: ClassVar[tuple[str, ...]] = ()
    outputs: dict[str, Any]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        if self.LEGACY_TYPES:
            aliases: list[pulumi.Input[str] | pulumi.Alias] = [pulumi.Alias(type_=t) for t in self.LEGACY_TYPES]
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases))
        super().__init__(self.TYPE, name, None, opts)
        self.outputs = {}

    @property
    def child(self) -> pulumi.ResourceOptions:
        """Options for a child resource: parented to this component."""
        return pulumi.ResourceOptions(parent=self)

    def _publish(self, outputs: Mapping[str, Any]) -> None:
        """Keep and register exactly these outputs, once, after checking their names."""
        check_output_names(outputs)
        self.outputs = dict(outputs)
        self.register_outputs(self.outputs)
