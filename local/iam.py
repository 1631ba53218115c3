"""Would a function's role allow an AWS request? IAM's policy evaluation, for the requests we make.

``requested(call)`` turns a recorded request (service, operation, the parameters that name its
resource) into the IAM actions and resource ARNs AWS authorises it against; ``decide`` applies
a role's statements the way IAM does: an explicit Deny wins, otherwise some Allow must match the
action and the resource. A statement with a ``Condition`` is never taken as an Allow here, since
the request's context is not known: the check errs on the side of "denied".
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    action: str
    resource: str


def resolve(value: Any, names: dict[str, dict[str, str]], parameters: dict[str, Any]) -> Any:
    """Resolve CloudFormation intrinsics in their JSON form (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
    ``Fn::Join``) against provisioned names."""
    if isinstance(value, list):
        return [resolve(v, names, parameters) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref":
            if argument in parameters:
                return parameters[argument]
            if argument.startswith("AWS::"):
                return names["AWS"][argument[5:]]
            return names[argument]["Ref"]
        if key == "Fn::GetAtt":
            logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return names[logical][attribute]
        if key == "Fn::Join":
            separator, parts = argument
            return separator.join(str(p) for p in resolve(parts, names, parameters))
        if key == "Fn::Sub":
            text, extra = (argument, {}) if isinstance(argument, str) else argument
            extra = resolve(extra, names, parameters)

            def substitute(match: re.Match[str]) -> str:
                token = match.group(1)
                if token in extra:
                    return str(extra[token])
                if "." in token:
                    logical, attribute = token.split(".", 1)
                    return str(names[logical][attribute])
                return str(resolve({"Ref": token}, names, parameters))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
    return {k: resolve(v, names, parameters) for k, v in value.items()}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(patterns: list[str], value: str, *, case_sensitive: bool) -> bool:
    if case_sensitive:
        return any(fnmatch.fnmatchcase(value, p) for p in patterns)
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _applies(statement: dict[str, Any], request: Request) -> bool:
    if "Action" in statement:
        action_ok = _matches(as_list(statement["Action"]), request.action, case_sensitive=False)
    else:
        action_ok = not _matches(as_list(statement.get("NotAction", [])), request.action, case_sensitive=False)
    if "Resource" in statement:
        resource_ok = _matches([str(r) for r in as_list(statement["Resource"])], request.resource, case_sensitive=True)
    else:
        resource_ok = not _matches([str(r) for r in as_list(statement.get("NotResource", []))], request.resource,
                                   case_sensitive=True)
    return action_ok and resource_ok


def decide(statements: list[dict[str, Any]], request: Request) -> bool:
    """True when the statements allow the request."""
    if any(s.get("Effect") == "Deny" and _applies(s, request) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and "Condition" not in s and _applies(s, request) for s in statements)


# -- what a request asks for ---------------------------------------------------------------------

_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
             "Get": "GetItem"}
_S3_ACTIONS = {"HeadObject": "GetObject", "GetObject": "GetObject", "PutObject": "PutObject",
               "DeleteObject": "DeleteObject", "ListObjectsV2": "ListBucket", "ListObjects": "ListBucket"}


def requested(call: dict[str, Any], region: str, account: str) -> list[Request]:
    """The (action, resource) pairs IAM checks for one recorded request."""
    service, operation, params = call["service"], call["operation"], call.get("params", {})
    if service == "dynamodb":
        def table(name: str) -> str:
            return f"arn:aws:dynamodb:{region}:{account}:table/{name}"

        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [Request(f"dynamodb:{_TRANSACT[kind]}", table(name))
                    for item in params.get("TransactItems", []) for kind, name in item.items()]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [Request(f"dynamodb:{operation}", table(name)) for name in params.get("RequestItems", [])]
        resource = table(params.get("TableName", "*"))
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        return [Request(f"dynamodb:{operation}", resource)]
    if service == "sqs":
        name = urlsplit(params.get("QueueUrl", "")).path.rstrip("/").rsplit("/", 1)[-1] or "*"
        action = operation.removesuffix("Batch")
        return [Request(f"sqs:{action}", f"arn:aws:sqs:{region}:{account}:{name}")]
    if service == "kms":
        key = params.get("KeyId") or call.get("response_key_id") or "*"
        if not key.startswith("arn:"):
            key = f"arn:aws:kms:{region}:{account}:{key if key.startswith('alias/') else 'key/' + key}"
        return [Request(f"kms:{operation}", key)]
    if service == "secretsmanager":
        return [Request(f"secretsmanager:{operation}", params.get("SecretId", "*"))]
    if service == "events" and operation == "PutEvents":
        # Authorised per entry, against the bus it names (by name or ARN; none: the default bus).
        def bus(name: str) -> str:
            return name if name.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{name}"

        return [Request("events:PutEvents", bus(entry.get("EventBusName") or "default"))
                for entry in params.get("Entries", [])]
    if service == "s3":
        action = _S3_ACTIONS.get(operation, operation)
        bucket = params.get("Bucket", "*")
        key = "" if action == "ListBucket" else f"/{params.get('Key', '*')}"
        resource = f"arn:aws:s3:::{bucket}{key}"
        return [Request(f"s3:{action}", resource)]
    return [Request(f"{service}:{operation}", "*")]
