"""AWS for the local stack: the template's tables, queues, keys and secrets, created in moto.

Works against in-process moto (``mock_aws``, used by tests) or moto's server (the local stack);
boto3 is pointed at either by the caller. Physical names are derived from logical ids, then
every function's environment is resolved against them exactly as CloudFormation would.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import boto3

from local import moto_speedups
from local.template import Function, Template, resolve
from sellerjobs.events.model import EVENT_SOURCE

REGION = "us-east-1"
ACCOUNT = "123456789012"
LOCAL_EBAY_APP = {"clientId": "sellerjobs-local-app", "clientSecret": "sellerjobs-local-secret"}
# What the marketplace sandbox accepts from StockX and Alias clients.
LOCAL_MARKET_CREDENTIALS = {
    "stockx": {"apiKey": "sellerjobs-local-stockx-key", "clientId": "sellerjobs-local-stockx",
               "clientSecret": "sellerjobs-local-stockx-secret", "refreshToken": "sellerjobs-local-stockx-refresh"},
    "alias": {"token": "sellerjobs-local-alias-token"},
}

# Parameters the template needs a value for that have no default, and the local stack's own
# settings: its sandbox receiver listens on http://127.0.0.1.
LOCAL_PARAMETERS = {
    "JwtIssuer": "http://127.0.0.1:3000/local-issuer",
    "JwtAudience": "sellerjobs-local",
    "WebhookAllowLoopback": "true",
}
# A queue of the local stack's own (not in the template) that a catch-all rule on each event bus
# fills: what reached the bus, for the demo and the tests (``local.bus``).
BUS_RECORDER = "LocalBusRecorder"


@dataclass
class Stack:
    template: Template
    prefix: str
    parameters: dict[str, Any]
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)

    def function_env(self, logical_id: str) -> dict[str, str]:
        function = self.template.functions()[logical_id]
        env = resolve(function.environment, self.names, self.parameters)
        return {k: str(v) for k, v in env.items()} | self.extra_env

    def merged_env(self) -> dict[str, str]:
        """Every function's variables at once, for running them all in one process.

        Safe because the template never gives one variable different values in two functions;
        this checks that it stays so.
        """
        merged: dict[str, str] = {}
        for name in self.template.functions():
            for key, value in self.function_env(name).items():
                if merged.setdefault(key, value) != value:
                    raise ValueError(f"{key} differs between functions; run them in separate processes")
        return merged

    def functions(self) -> dict[str, Function]:
        return self.template.functions()

    def queue_url(self, logical_id: str) -> str:
        return self.names[logical_id]["Ref"]

    def table_name(self, logical_id: str) -> str:
        return self.names[logical_id]["Ref"]

    def dead_letter_queue(self, logical_id: str) -> tuple[str, int] | None:
        """(DLQ url, maxReceiveCount) from the queue's RedrivePolicy."""
        props = self.template.resources[logical_id].get("Properties", {})
        policy = props.get("RedrivePolicy")
        if not policy:
            return None
        target = policy["deadLetterTargetArn"]
        dlq_logical = target.value[0]
        return self.names[dlq_logical]["Ref"], int(policy["maxReceiveCount"])

    def visibility_timeout(self, logical_id: str) -> int:
        return int(self.template.resources[logical_id].get("Properties", {}).get("VisibilityTimeout", 30))


def provision(template: Template | None = None, *, prefix: str = "sellerjobs",
              parameters: dict[str, Any] | None = None, session: boto3.session.Session | None = None,
              time_scale: float = 1.0, ebay_app: dict[str, str] | None = None) -> Stack:
    """Create every table, queue, KMS key and secret of the template; returns their names.

    ``time_scale`` shortens the queues' visibility timeouts for a stack running faster than real
    time; ``ebay_app`` replaces the sandbox's app credentials (to use eBay's own sandbox).
    """
    moto_speedups.install()
    template = template or Template.read()
    session = session or boto3.session.Session(region_name=REGION)
    params = {k: v for k, v in template.parameter_defaults().items() if v is not None}
    params |= LOCAL_PARAMETERS | (parameters or {})
    params |= {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
    stack = Stack(template=template, prefix=prefix, parameters=params)
    stack.names["AWS"] = {"Region": REGION, "AccountId": ACCOUNT, "Partition": "aws",
                          "URLSuffix": "amazonaws.com"}

    dynamodb = session.client("dynamodb")
    for name, res in template.of_type("AWS::DynamoDB::Table").items():
        table = f"{prefix}-{name}"
        create_table(dynamodb, table, res["Properties"])
        arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
        stack.names[name] = {"Ref": table, "Arn": arn}

    sqs = session.client("sqs")
    queues = template.of_type("AWS::SQS::Queue")
    # Dead-letter queues first: a RedrivePolicy names its target by ARN.
    for name in sorted(queues, key=lambda n: "RedrivePolicy" in queues[n].get("Properties", {})):
        props = resolve(queues[name].get("Properties", {}), stack.names, params)
        queue = f"{prefix}-{name}"
        attributes = {k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in props.items()
                      if k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "RedrivePolicy")}
        if "VisibilityTimeout" in attributes:
            attributes["VisibilityTimeout"] = str(max(1, math.ceil(int(attributes["VisibilityTimeout"]) / time_scale)))
        url = sqs.create_queue(QueueName=queue, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"
        stack.names[name] = {"Ref": url, "Arn": arn, "QueueName": queue, "QueueUrl": url}

    buses = template.of_type("AWS::Events::EventBus")
    if buses:
        events = session.client("events")
        recorder = sqs.create_queue(QueueName=f"{prefix}-{BUS_RECORDER}")["QueueUrl"]
        recorder_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{prefix}-{BUS_RECORDER}"
        stack.names[BUS_RECORDER] = {"Ref": recorder, "Arn": recorder_arn}
        for name in buses:
            bus = f"{prefix}-{name}"
            arn = events.create_event_bus(Name=bus)["EventBusArn"]
            stack.names[name] = {"Ref": bus, "Arn": arn, "Name": bus}
            events.put_rule(Name="local-bus-recorder", EventBusName=bus,
                            EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
            events.put_targets(Rule="local-bus-recorder", EventBusName=bus,
                               Targets=[{"Id": "recorder", "Arn": recorder_arn}])

    s3 = session.client("s3")
    for name in template.of_type("AWS::S3::Bucket"):
        bucket = f"{prefix}-{name}".lower()
        s3.create_bucket(Bucket=bucket)
        stack.names[name] = {"Ref": bucket, "Arn": f"arn:aws:s3:::{bucket}"}

    kms = session.client("kms")
    for name in template.of_type("AWS::KMS::Key"):
        key = kms.create_key(Description=f"{prefix} {name}")["KeyMetadata"]
        stack.names[name] = {"Ref": key["KeyId"], "Arn": key["Arn"], "KeyId": key["KeyId"]}

    secrets = session.client("secretsmanager")
    for name in template.of_type("AWS::SecretsManager::Secret"):
        secret_name = f"{prefix}-{name}"
        # Locally the secrets hold the credentials the marketplace sandbox accepts.
        value = LOCAL_MARKET_CREDENTIALS if name == "MarketProvidersSecret" else (ebay_app or LOCAL_EBAY_APP)
        arn = secrets.create_secret(Name=secret_name, SecretString=json.dumps(value))["ARN"]
        stack.names[name] = {"Ref": arn, "Arn": arn}

    for name, res in template.resources.items():
        stack.names.setdefault(name, {"Ref": f"{prefix}-{name}", "Arn": f"arn:aws:local:::{prefix}-{name}"})
        if res.get("Type") == "AWS::Serverless::Function":
            stack.names[name] = {"Ref": f"{prefix}-{name}",
                                 "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{prefix}-{name}"}
    return stack


def create_table(client: Any, name: str, props: dict[str, Any]) -> None:
    """One table as the template declares it: keys, indexes and TTL (what DynamoDB enforces)."""
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    client.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "AttributeName": ttl["AttributeName"], "Enabled": True})
