"""The local stack's cheaper moto transactions still roll back exactly like DynamoDB."""

from __future__ import annotations

import sys
import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_speedups


@pytest.fixture
def table():
    moto_speedups.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}])
        client.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}})
        yield client


def items(client):
    return sorted((i["pk"]["S"], i["sk"]["S"], i.get("v", {}).get("N")) for i in client.scan(TableName="t")["Items"])


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table):
    with pytest.raises(ClientError) as caught:
        table.transact_write_items(TransactItems=[
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}},
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET v = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}},
                     "ConditionExpression": "attribute_exists(pk)"}},
        ])

    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in caught.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert items(table) == [("a", "1", "1")]


def test_a_successful_transaction_applies_every_item(table):
    table.transact_write_items(TransactItems=[
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}},
        {"Delete": {"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
    ])
    assert items(table) == [("b", "1", None)]


@pytest.fixture
def indexed():
    moto_speedups.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="j", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}  # type: ignore[typeddict-item]
                                  for n, t in
                                  (("pk", "S"), ("sk", "S"), ("g", "S"), ("at", "N"), ("n", "N"), ("q", "S"))],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {"IndexName": "ByG", "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}]},
                {"IndexName": "ByQ", "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "q", "KeyType": "RANGE"}]},
                {"IndexName": "ByN", "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"}]}])
        for i in range(30):
            item = {"pk": {"S": f"u{i % 3}"}, "sk": {"S": f"{i:03d}"}, "at": {"N": str(100 - i)},
                    "n": {"N": str(i % 2)}}
            if i % 5:  # sparse: some items carry no index key
                item["g"] = {"S": f"u{i % 3}#pending"}
            if i % 7:
                item["q"] = {"S": f"{(i * 37) % 30:02d}"}  # a string sort key, unrelated to the table's order
            client.put_item(TableName="j", Item=item)
        yield client


def test_queries_see_exactly_their_partition_in_key_order(indexed):
    table = indexed.query(TableName="j", KeyConditionExpression="pk = :p AND sk > :s",
                          ExpressionAttributeValues={":p": {"S": "u1"}, ":s": {"S": "010"}})
    index = indexed.query(TableName="j", IndexName="ByG", KeyConditionExpression="g = :g AND #at <= :t",
                          ExpressionAttributeNames={"#at": "at"},
                          ExpressionAttributeValues={":g": {"S": "u2#pending"}, ":t": {"N": "90"}})
    numeric = indexed.query(TableName="j", IndexName="ByN", KeyConditionExpression="n = :n",
                            ExpressionAttributeValues={":n": {"N": "1.0"}}, Select="COUNT")

    assert [i["sk"]["S"] for i in table["Items"]] == [f"{i:03d}" for i in range(13, 30, 3)]
    assert [int(i["at"]["N"]) for i in index["Items"]] == sorted(
        100 - i for i in range(30) if i % 3 == 2 and i % 5 and 100 - i <= 90)
    assert numeric["Count"] == 15


@pytest.mark.parametrize("forward", [True, False])
def test_a_limited_index_query_pages_through_exactly_the_matching_items_in_order(indexed, forward):
    def expected(i: int) -> bool:
        return i % 3 == 1 and bool(i % 5) and bool(i % 7) and "03" <= f"{(i * 37) % 30:02d}" <= "25"

    wanted = sorted((f"{(i * 37) % 30:02d}" for i in range(30) if expected(i)), reverse=not forward)
    seen: list[str] = []
    pages = 0
    start: dict[str, Any] | None = None
    while True:
        kwargs = {"ExclusiveStartKey": start} if start else {}
        page = indexed.query(TableName="j", IndexName="ByQ", Limit=2, ScanIndexForward=forward,
                             KeyConditionExpression="g = :g AND q BETWEEN :lo AND :hi",
                             ExpressionAttributeValues={":g": {"S": "u1#pending"}, ":lo": {"S": "03"},
                                                        ":hi": {"S": "25"}}, **kwargs)
        seen += [i["q"]["S"] for i in page["Items"]]
        pages += 1
        start = page.get("LastEvaluatedKey")
        if not start:
            break

    assert len(wanted) >= 4
    assert seen == wanted
    assert pages in (len(wanted) // 2 + 1, (len(wanted) + 1) // 2)  # as DynamoDB: a key after every full page


def test_conditional_writes_racing_on_one_item_let_exactly_one_win(table):
    """DynamoDB checks a write's condition and applies it as one step; moto alone does not, and
    two threads could both pass ``attribute_not_exists`` (an idempotency key taken twice)."""
    rounds, racers = 60, 4
    wins: list[str] = []
    refusals: list[str] = []
    start = threading.Event()

    def race(racer: int) -> None:
        start.wait(30)
        for n in range(rounds):  # every racer tries the same item at about the same time
            try:
                if n % 2:
                    table.put_item(TableName="t", Item={"pk": {"S": f"k{n}"}, "sk": {"S": "1"}},
                                   ConditionExpression="attribute_not_exists(pk)")
                else:
                    table.update_item(TableName="t", Key={"pk": {"S": f"k{n}"}, "sk": {"S": "1"}},
                                      UpdateExpression="SET #o = :me", ConditionExpression="attribute_not_exists(#o)",
                                      ExpressionAttributeNames={"#o": "owner"},
                                      ExpressionAttributeValues={":me": {"S": str(racer)}})
                wins.append(f"k{n}")
            except ClientError as exc:
                refusals.append(exc.response["Error"]["Code"])

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: a race, if there is one, shows
    try:
        threads = [threading.Thread(target=race, args=(r,)) for r in range(racers)]
        for thread in threads:
            thread.start()
        start.set()
        for thread in threads:
            thread.join(120)
    finally:
        sys.setswitchinterval(interval)

    assert set(refusals) <= {"ConditionalCheckFailedException"}
    assert sorted(wins) == sorted(f"k{n}" for n in range(rounds))
