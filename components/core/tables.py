"""``on_demand_table``: a DynamoDB table billed per request, the one table shape the catalog uses.

String keys, optional sort key, optional TTL attribute, optional global secondary indexes and
stream; nothing to provision or tune, which suits bursty serverless traffic.
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
) -> aws.dynamodb.Table:
    """A ``PAY_PER_REQUEST`` table keyed by string attributes (``index_attributes``: GSI keys)."""
    keys = [hash_key, *([range_key] if range_key else []), *index_attributes]
    return aws.dynamodb.Table(
        name,
        attributes=[aws.dynamodb.TableAttributeArgs(name=key, type="S") for key in dict.fromkeys(keys)],
        hash_key=hash_key,
        range_key=range_key,
        billing_mode="PAY_PER_REQUEST",
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl_attribute, enabled=True) if ttl_attribute else None,
        global_secondary_indexes=list(global_secondary_indexes) if global_secondary_indexes else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
