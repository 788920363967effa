"""DynamoDB tables."""

from __future__ import annotations

from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags


@creates("aws:dynamodb/table:Table")
def dynamodb_table(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    table_name = inputs.get("name") or cloud.autoname(name, 255)
    billing = inputs.get("billingMode", "PROVISIONED")
    key_schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        key_schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs.get("attributes", [])
        ],
        "KeySchema": key_schema,
        "BillingMode": billing,
    }
    throughput = {
        "ReadCapacityUnits": inputs.get("readCapacity") or 5,
        "WriteCapacityUnits": inputs.get("writeCapacity") or 5,
    }
    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = throughput
    gsis = []
    for gsi in inputs.get("globalSecondaryIndexes") or []:
        if gsi.get("keySchemas"):  # pulumi-aws v7 form
            schema = [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in gsi["keySchemas"]]
        else:  # deprecated hashKey / rangeKey form
            schema = [{"AttributeName": gsi["hashKey"], "KeyType": "HASH"}]
            if gsi.get("rangeKey"):
                schema.append({"AttributeName": gsi["rangeKey"], "KeyType": "RANGE"})
        projection: dict[str, Any] = {"ProjectionType": gsi["projectionType"]}
        if gsi.get("nonKeyAttributes"):
            projection["NonKeyAttributes"] = gsi["nonKeyAttributes"]
        index = {"IndexName": gsi["name"], "KeySchema": schema, "Projection": projection}
        if billing == "PROVISIONED":
            index["ProvisionedThroughput"] = throughput
        gsis.append(index)
    if gsis:
        request["GlobalSecondaryIndexes"] = gsis
    if inputs.get("streamEnabled"):
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": inputs.get("streamViewType", "NEW_AND_OLD_IMAGES"),
        }
    if tags(inputs):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags(inputs).items()]
    ddb = cloud.client("dynamodb")
    table = ddb.create_table(**request)["TableDescription"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled") and ttl.get("attributeName"):
        ddb.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
        )
    outputs = {**inputs, "name": table_name, "arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        outputs["streamArn"] = table["LatestStreamArn"]
        outputs["streamLabel"] = table.get("LatestStreamLabel", "")
    return table_name, outputs


@creates("aws:dynamodb/tableItem:TableItem")
def dynamodb_table_item(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    import json

    item = json.loads(inputs["item"])
    key_names = [inputs["hashKey"], *([inputs["rangeKey"]] if inputs.get("rangeKey") else [])]
    missing = [k for k in key_names if k not in item]
    if missing:
        raise ValueError(f"item for {name!r} lacks its key attribute(s) {missing}")
    cloud.client("dynamodb").put_item(TableName=inputs["tableName"], Item=item)
    key_values = [next(iter(item[k].values())) for k in key_names]
    item_id = "|".join([inputs["tableName"], *(f"{k}|{v}" for k, v in zip(key_names, key_values, strict=True))])
    return item_id, {**inputs, "hashKeyValue": str(key_values[0]),
                     "rangeKeyValue": str(key_values[1]) if len(key_values) > 1 else None}
