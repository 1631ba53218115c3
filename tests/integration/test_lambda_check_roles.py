"""`make lambda-check` judges each request by the role AWS will create: the SAM translator's output."""

from __future__ import annotations

import pytest
from moto import mock_aws

from local.aws import ACCOUNT, LOCAL_PARAMETERS, REGION, provision
from local.lambda_check import Report, check_calls, roles
from local.template import ROOT, Template

pytestmark = pytest.mark.skipif(not (ROOT / ".venv-sam" / "bin" / "python").exists(),
                                reason="needs aws-sam-cli's translator (.venv-sam, installed by make test)")


@pytest.fixture(scope="module")
def provisioned():
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(key, "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            stack = provision(Template.read(), parameters=LOCAL_PARAMETERS)
            yield stack, roles(stack)


def test_every_function_has_its_role(provisioned):
    stack, statements = provisioned
    assert set(statements) == set(stack.template.functions())
    declared = {name for name, resource in stack.template.of_type("AWS::Serverless::Function").items()
                if resource["Properties"].get("Policies")}
    assert {name for name, found in statements.items() if found} == declared  # the static pages need none


def test_what_the_role_grants_passes_and_anything_else_is_denied(provisioned):
    stack, statements = provisioned
    table = stack.table_name("PromotionJobsTable")
    queue = stack.queue_url("PromotionQueue")
    report = Report("QueuePromotionFunction")
    check_calls(report, [
        {"service": "dynamodb", "operation": "PutItem", "params": {"TableName": table}},
        {"service": "sqs", "operation": "SendMessageBatch", "params": {"QueueUrl": queue}},
        {"service": "dynamodb", "operation": "DeleteItem", "params": {"TableName": table}},
        {"service": "dynamodb", "operation": "Query", "params": {"TableName": table, "IndexName": "Unfinished"}},
    ], statements["QueuePromotionFunction"])
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    assert report.denied == [f"dynamodb:DeleteItem on {arn}", f"dynamodb:Query on {arn}/index/Unfinished"]
