"""What the sharding library and router refuse, each as an HTTP error of the catalog's contract
(``docs/http-errors.md``): bad input is a ``ValueError`` (400) in library code as behind the API."""

from __future__ import annotations

from functions.common.errors import Conflict, InvalidInput, NotFound, Unavailable


class ShardingError(Exception):
    """Base of the sharding pattern's own refusals."""


class InvalidKey(ShardingError, InvalidInput):
    """A message key that is empty, too long, or not a valid SQS message group id."""


class InvalidMembership(ShardingError, InvalidInput):
    """A membership that cannot place keys: no shards, a weight of 0 or less, a repeated name..."""


class NoShards(InvalidMembership):
    """A membership with zero shards."""


class InvalidWeight(InvalidMembership):
    """A shard weight that is not a finite number above 0."""


class UnknownShard(InvalidMembership):
    """A shard the membership (or the deployment) does not have."""


class JumpRemovalRefused(InvalidMembership):
    """Jump hash numbers its buckets: only the last one can be removed."""


class UnknownMembershipVersion(ShardingError, NotFound):
    """A membership version that was never published."""

    code = "unknown_membership_version"


class MembershipChanged(ShardingError, Conflict):
    """Another change published a newer membership first (``expected_version`` is stale)."""

    code = "membership_changed"


class KeyContention(ShardingError, Unavailable):
    """A key's routing state kept changing under the router; the same request succeeds later."""

    code = "contention"


class Draining(ShardingError):
    """The key's old shard still holds some of its messages: wait for it, or follow them there."""

    def __init__(self, shard: str, in_flight: int) -> None:
        super().__init__(f"{in_flight} message(s) of the key are still in flight on {shard}")
        self.shard, self.in_flight = shard, in_flight


class StaleMembership(ShardingError):
    """The key was last routed under a newer membership than the router holds: reload and retry."""

    def __init__(self, key_version: int) -> None:
        super().__init__(f"the key was routed under membership version {key_version}")
        self.key_version = key_version
