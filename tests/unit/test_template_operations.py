"""The template's operational parts: alarms that can reach someone, and a dashboard of real metrics."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from typing import Any

import pytest

from local.template import ROOT, Template, _Tag
from sellerjobs.market.job import Provider

TEMPLATE = Template.read()
RESOURCES = TEMPLATE.resources
PARAMETERS = set(TEMPLATE.raw.get("Parameters", {}))


def _logical_id(value: Any) -> str | None:
    """The resource an intrinsic (!Ref X, !GetAtt X.Arn) points at, if it is one."""
    if isinstance(value, _Tag) and value.name in ("Ref", "GetAtt"):
        return str(value.value[0] if value.name == "GetAtt" else value.value)
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows(statement: dict[str, Any], service: str, action: str) -> bool:
    principals = _as_list((statement.get("Principal") or {}).get("Service", []))
    actions = _as_list(statement.get("Action", []))
    return (statement.get("Effect") == "Allow" and service in principals
            and any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions))


def publish_problems(topic_id: str, resources: dict[str, dict[str, Any]]) -> list[str]:
    """Why CloudWatch could not publish to this topic (empty when it can)."""
    topic = resources.get(topic_id)
    if topic is None or topic.get("Type") != "AWS::SNS::Topic":
        return [f"{topic_id} is not a topic of this template"]
    key = topic.get("Properties", {}).get("KmsMasterKeyId")
    if key is None:
        return []  # unencrypted: anyone the topic policy allows may publish
    key_id = _logical_id(key)
    if key_id is None or resources.get(key_id, {}).get("Type") != "AWS::KMS::Key":
        # alias/aws/sns and other keys outside the template: their policies cannot be checked or
        # (for the AWS-managed key) cannot grant CloudWatch anything.
        return [f"{topic_id} is encrypted with {key!r}, not a key of this template"]
    statements = resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
    return [f"{key_id}'s key policy does not let {service} use {action}"
            for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com")
            for action in ("kms:Decrypt", "kms:GenerateDataKey")
            if not any(_allows(s, service, action) for s in statements)]


ALARMS = TEMPLATE.of_type("AWS::CloudWatch::Alarm")


@pytest.mark.parametrize("alarm", sorted(ALARMS))
def test_every_alarm_notifies_a_topic_cloudwatch_can_publish_to(alarm):
    actions = ALARMS[alarm]["Properties"].get("AlarmActions", [])
    assert actions, f"{alarm} notifies nobody"
    for action in actions:
        assert publish_problems(_logical_id(action) or str(action), RESOURCES) == []


def test_the_aws_managed_sns_key_is_recognised_as_unpublishable():
    resources = json.loads(json.dumps(RESOURCES, default=lambda _: None))
    resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sns"
    assert publish_problems("AlarmTopic", resources)


def test_the_topic_policy_lets_cloudwatch_and_eventbridge_publish():
    policies = [r["Properties"] for r in TEMPLATE.of_type("AWS::SNS::TopicPolicy").values()
                if "AlarmTopic" in {_logical_id(t) for t in r["Properties"]["Topics"]}]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
        assert any(_allows(s, service, "sns:Publish") for s in statements), service


def _queue_of(alarm: dict[str, Any]) -> str | None:
    for dimension in alarm["Properties"].get("Dimensions", []):
        if dimension["Name"] == "QueueName":
            return _logical_id(dimension["Value"])
    return None


def test_every_work_queue_has_an_oldest_message_age_alarm_and_every_dlq_a_depth_alarm():
    age = {_queue_of(a) for a in ALARMS.values()
           if a["Properties"].get("MetricName") == "ApproximateAgeOfOldestMessage"}
    depth = {_queue_of(a) for a in ALARMS.values()
             if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"}
    queues = TEMPLATE.of_type("AWS::SQS::Queue")
    work = {name for name, q in queues.items() if "RedrivePolicy" in q.get("Properties", {})}
    dead_letter = {_logical_id(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]) for name, q in queues.items()
                   if name in work}
    assert work and age == work
    assert dead_letter and depth == dead_letter


# -- what the code emits ---------------------------------------------------------------------------

def _loop_bindings(tree: ast.AST) -> dict[str, set[str]]:
    """Names bound to string constants by ``for name, ... in (("A", ...), ("B", ...))``."""
    bound: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.For) and isinstance(node.target, ast.Tuple)
                and isinstance(node.iter, ast.Tuple | ast.List)):
            for position, target in enumerate(node.target.elts):
                cells = [row.elts[position] for row in node.iter.elts if isinstance(row, ast.Tuple)]
                values = [c.value for c in cells if isinstance(c, ast.Constant) and isinstance(c.value, str)]
                if isinstance(target, ast.Name) and values and len(values) == len(cells):
                    bound.setdefault(target.id, set()).update(values)
    return bound


def emitted_metric_names() -> set[str]:
    """Every metric name an ``add_metric(name=...)`` call in the code can produce.

    An f-string part bound by a loop over constants takes each constant; any other part is a
    market provider's name (the only per-value suffix the code uses).
    """
    names: set[str] = set()
    for path in [*ROOT.glob("functions/*/app.py"), *ROOT.glob("shared/sellerjobs/**/*.py")]:
        tree = ast.parse(path.read_text())
        bound = _loop_bindings(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "add_metric"):
                continue
            name = next(k.value for k in node.keywords if k.arg == "name")
            variants = [""]
            parts = name.values if isinstance(name, ast.JoinedStr) else [name]
            for part in parts:
                if isinstance(part, ast.Constant):
                    choices = {str(part.value)}
                elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name) \
                        and part.value.id in bound:
                    choices = bound[part.value.id]
                else:
                    choices = {p.value for p in Provider}
                variants = [v + c for v in variants for c in choices]
            names.update(variants)
    return names


def test_the_scan_finds_what_the_handlers_emit():
    names = emitted_metric_names()
    assert {"PromotionsSucceeded", "PromotionsRecovered", "CategoriesFetched", "MarketStuckReset",
            "MarketDispatched_alias", "MarketProviderCalls_ebay", "MarketJobsDeferred_stockx"} <= names
    assert not any(n.startswith("{") for n in names)


# -- the dashboard -----------------------------------------------------------------------------------

DASHBOARD = TEMPLATE.of_type("AWS::CloudWatch::Dashboard")["OperationsDashboard"]["Properties"]["DashboardBody"]
SUB = re.compile(r"\$\{([^}!]+)\}")


def _dashboard() -> tuple[dict[str, Any], list[str]]:
    assert isinstance(DASHBOARD, _Tag) and DASHBOARD.name == "Sub"
    text = str(DASHBOARD.value)
    references = SUB.findall(text)
    return json.loads(SUB.sub(lambda m: m.group(1), text)), references


def _metrics(body: dict[str, Any]) -> list[list[Any]]:
    rows = [row for widget in body["widgets"] for row in widget["properties"]["metrics"]]
    return [row for row in rows if isinstance(row[0], str)]


def test_every_dashboard_reference_resolves_to_a_resource_or_parameter():
    _, references = _dashboard()
    for reference in references:
        name = reference.split(".", 1)[0]
        assert reference.startswith("AWS::") or name in RESOURCES or name in PARAMETERS, reference
        if reference.endswith(".QueueName"):
            assert RESOURCES[name]["Type"] == "AWS::SQS::Queue", reference


def test_the_dashboard_shows_every_queue_and_every_function():
    body, _ = _dashboard()
    rows = _metrics(body)
    queues = {row[3].split(".")[0] for row in rows if row[0] == "AWS/SQS"}
    assert queues == set(TEMPLATE.of_type("AWS::SQS::Queue"))
    functions = set(TEMPLATE.functions())
    for metric in ("Errors", "Throttles"):
        shown = {row[3] for row in rows if row[0] == "AWS/Lambda" and row[1] == metric}
        assert shown == functions, metric


def test_every_dashboard_metric_of_ours_is_emitted_by_the_code():
    body, _ = _dashboard()
    ours = {row[1] for row in _metrics(body) if row[0] == "SellerJobs"}
    assert ours, "no application metric on the dashboard"
    assert ours - emitted_metric_names() == set()
    assert all(row[2:4] == ["service", "sellerjobs"] for row in _metrics(body) if row[0] == "SellerJobs")


def test_the_failure_rate_alarm_divides_failed_by_finished_jobs():
    metrics = ALARMS["PromotionFailureRateAlarm"]["Properties"]["Metrics"]
    stats = {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m}
    assert set(stats.values()) == {"PromotionsFailed", "PromotionsSucceeded"} <= emitted_metric_names()
    expression = next(m["Expression"] for m in metrics if m.get("ReturnData"))
    assert "failed" in expression and "succeeded" in expression
