"""``on_demand_table``: a DynamoDB table billed per request, the one table shape the catalog uses.

String keys (a numeric sort key on request), optional sort key, optional TTL attribute, optional
global secondary indexes and stream; nothing to provision or tune, which suits bursty serverless
traffic.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws


def on_demand_table(
    name: str,
    hash_key: str,
    parent: pulumi.Resource,
    *,
    range_key: str | None = None,
    index_attributes: Sequence[str] = (),
    ttl_attribute: str | None = None,
    global_secondary_indexes: Sequence[aws.dynamodb.TableGlobalSecondaryIndexArgs] | None = None,
    numeric_range_key: bool = False,
    stream_view_type: str | None = None,
    point_in_time_recovery: bool = False,
) -> aws.dynamodb.Table:
    """A ``PAY_PER_REQUEST`` table keyed by string attributes (``index_attributes``: GSI keys; the sort
    key a number with ``numeric_range_key``), with a stream of ``stream_view_type`` when given."""
    keys = [hash_key, *([range_key] if range_key else []), *index_attributes]
    return aws.dynamodb.Table(
        name,
        attributes=[aws.dynamodb.TableAttributeArgs(name=key, type="N" if numeric_range_key and key == range_key
                                                     else "S") for key in dict.fromkeys(keys)],
        hash_key=hash_key,
        range_key=range_key,
        billing_mode="PAY_PER_REQUEST",
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl_attribute, enabled=True) if ttl_attribute else None,
        global_secondary_indexes=list(global_secondary_indexes) if global_secondary_indexes else None,
        stream_enabled=True if stream_view_type else None,
        stream_view_type=stream_view_type,
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True)
        if point_in_time_recovery else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
