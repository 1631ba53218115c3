"""The IAM check of `make lambda-check`: which requests a role allows."""

from __future__ import annotations

from typing import Any

from local import iam
from local.lambda_check import Report, check_calls

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/jobs"
ROLE: list[dict[str, Any]] = [
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": [TABLE, f"{TABLE}/index/ByUser"]},
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:work"},
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1"},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/aspects/*"},
]


def allowed(call):
    return all(iam.decide(ROLE, r) for r in iam.requested(call, REGION, ACCOUNT))


def test_requests_the_role_grants_are_allowed():
    assert allowed({"service": "dynamodb", "operation": "GetItem", "params": {"TableName": "jobs"}})
    assert allowed({"service": "dynamodb", "operation": "Query",
                    "params": {"TableName": "jobs", "IndexName": "ByUser"}})
    assert allowed({"service": "sqs", "operation": "SendMessageBatch",
                    "params": {"QueueUrl": "http://127.0.0.1:5000/123456789012/work"}})
    assert allowed({"service": "kms", "operation": "Decrypt", "params": {}, "response_key_id": "k-1"})
    assert allowed({"service": "s3", "operation": "GetObject", "params": {"Bucket": "bucket", "Key": "aspects/1"}})


def test_requests_outside_the_role_are_denied():
    assert not allowed({"service": "dynamodb", "operation": "PutItem", "params": {"TableName": "jobs"}})
    assert not allowed({"service": "dynamodb", "operation": "Query",
                        "params": {"TableName": "jobs", "IndexName": "Other"}})
    assert not allowed({"service": "dynamodb", "operation": "GetItem", "params": {"TableName": "other"}})
    assert not allowed({"service": "s3", "operation": "PutObject", "params": {"Bucket": "bucket", "Key": "aspects/1"}})
    assert not allowed({"service": "kms", "operation": "Decrypt", "params": {}, "response_key_id": "k-2"})
    assert not allowed({"service": "secretsmanager", "operation": "GetSecretValue", "params": {"SecretId": "s"}})


def test_every_item_of_a_transaction_needs_its_own_permission():
    call = {"service": "dynamodb", "operation": "TransactWriteItems",
            "params": {"TransactItems": [{"ConditionCheck": "jobs"}, {"Put": "jobs"}]}}
    assert [r.action for r in iam.requested(call, REGION, ACCOUNT)] == ["dynamodb:ConditionCheckItem",
                                                                         "dynamodb:PutItem"]
    assert not allowed(call)


def test_an_explicit_deny_wins_and_a_condition_is_not_taken_as_allowed():
    request = iam.Request("dynamodb:GetItem", TABLE)
    assert not iam.decide([*ROLE, {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}], request)
    assert not iam.decide([{"Effect": "Allow", "Action": "*", "Resource": "*",
                            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}], request)


def test_a_denied_call_fails_the_check():
    report = Report("SomeFunction")
    check_calls(report, [{"service": "dynamodb", "operation": "GetItem", "params": {"TableName": "jobs"}},
                         {"service": "dynamodb", "operation": "DeleteItem", "params": {"TableName": "jobs"}}], ROLE)
    assert report.calls == 2
    assert report.denied == [f"dynamodb:DeleteItem on {TABLE}"]


def test_intrinsics_resolve_against_provisioned_names():
    names = {"Jobs": {"Ref": "jobs", "Arn": TABLE}, "AWS": {"Region": REGION, "AccountId": ACCOUNT}}
    resolved = iam.resolve([{"Fn::GetAtt": ["Jobs", "Arn"]}, {"Fn::Sub": "${Jobs.Arn}/index/*"},
                            {"Fn::Sub": "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q"}, {"Ref": "Jobs"}], names, {})
    assert resolved == [TABLE, f"{TABLE}/index/*", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q", "jobs"]
