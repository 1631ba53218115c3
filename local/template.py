"""Reading template.yaml: the single source of truth for resources, environment and events.

The local stack, the tests and the benchmarks learn everything from here — which tables and
queues exist, what each function's environment is, which routes, queues and schedules invoke
it — so nothing is declared twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _Tag:
    """A CloudFormation short-form intrinsic (!Ref, !GetAtt, !Sub ...), kept for resolving later."""

    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self.value = value

    def __repr__(self) -> str:
        return f"!{self.name} {self.value!r}"


class _Loader(yaml.SafeLoader):
    pass


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{suffix}", node.start_mark)
    return _Tag(suffix, value)


_Loader.add_multi_constructor("!", _construct)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as handle:
        loaded: Any = yaml.load(handle, Loader=_Loader)  # a SafeLoader that keeps !Ref & co.
    return dict(loaded)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    auth: bool = True

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class QueueSource:
    function: str
    queue: str  # logical id of the queue
    batch_size: int
    window_s: int
    max_concurrency: int
    report_failures: bool


@dataclass(frozen=True)
class Schedule:
    function: str
    name: str
    every_s: float
    input: str | None = None


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: str
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def module(self) -> str:
        """The handler's import path the way tests import it: functions.<dir>.app."""
        package = self.code_uri.strip("/").replace("/", ".")
        return f"{package}.{self.handler.rsplit('.', 1)[0]}"

    @property
    def entry_point(self) -> str:
        return self.handler.rsplit(".", 1)[1]


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|second|seconds|day|days)\)$")
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float:
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"only rate(...) schedules are supported locally, not {expression!r}")
    return int(match.group(1)) * _UNITS[match.group(2).rstrip("s")]


@dataclass
class Template:
    raw: dict[str, Any]

    @classmethod
    def read(cls, path: Path = TEMPLATE) -> Template:
        return cls(load(path))

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.raw.get("Resources", {}))

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res.get("Type") == kind}

    def parameter_defaults(self) -> dict[str, Any]:
        return {name: spec.get("Default") for name, spec in self.raw.get("Parameters", {}).items()}

    def functions(self) -> dict[str, Function]:
        globals_ = self.raw.get("Globals", {}).get("Function", {})
        global_env = globals_.get("Environment", {}).get("Variables", {})
        out = {}
        for name, res in self.of_type("AWS::Serverless::Function").items():
            props = res.get("Properties", {})
            env = dict(global_env) | props.get("Environment", {}).get("Variables", {})
            out[name] = Function(
                logical_id=name, code_uri=props["CodeUri"], handler=props.get("Handler", globals_.get("Handler")),
                timeout_s=int(props.get("Timeout", globals_.get("Timeout", 3))),
                memory_mb=int(props.get("MemorySize", globals_.get("MemorySize", 128))), environment=env)
        return out

    def _events(self, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
        found = []
        for name, res in self.of_type("AWS::Serverless::Function").items():
            for event_name, event in (res.get("Properties", {}).get("Events") or {}).items():
                if event.get("Type") == kind:
                    found.append((name, event_name, event.get("Properties", {})))
        return found

    def routes(self) -> list[Route]:
        routes = []
        for function, _, props in self._events("HttpApi"):
            auth = (props.get("Auth") or {}).get("Authorizer") != "NONE"
            routes.append(Route(method=str(props["Method"]).upper(), path=props["Path"], function=function,
                                auth=auth))
        # Static segments win over parameters, as in API Gateway: /promotions/stats before /promotions/{id}.
        return sorted(routes, key=lambda r: (r.path.count("{"), -len(r.path)))

    def queue_sources(self) -> list[QueueSource]:
        sources = []
        for function, _, props in self._events("SQS"):
            queue = props["Queue"]
            logical = queue.value[0] if isinstance(queue, _Tag) else str(queue)
            sources.append(QueueSource(
                function=function, queue=logical, batch_size=int(props.get("BatchSize", 10)),
                window_s=int(props.get("MaximumBatchingWindowInSeconds", 0)),
                max_concurrency=int((props.get("ScalingConfig") or {}).get("MaximumConcurrency", 2)),
                report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])))
        return sources

    def schedules(self) -> list[Schedule]:
        out = []
        for kind in ("ScheduleV2", "Schedule"):
            for function, name, props in self._events(kind):
                if props.get("State", "ENABLED") == "DISABLED" or props.get("Enabled") is False:
                    continue
                out.append(Schedule(function=function, name=name,
                                    every_s=rate_seconds(props["ScheduleExpression"]),
                                    input=props.get("Input")))
        return out


def resolve(value: Any, names: dict[str, dict[str, str]], parameters: dict[str, Any]) -> Any:
    """Resolve !Ref / !GetAtt / !Sub against provisioned resources and parameter values.

    ``names`` maps a logical id to its attributes; its "Ref" entry is what !Ref returns.
    """
    if isinstance(value, _Tag):
        if value.name == "Ref":
            return parameters[value.value] if value.value in parameters else names[value.value]["Ref"]
        if value.name == "GetAtt":
            logical, attribute = value.value
            return names[logical][attribute]
        if value.name == "Sub":
            text = value.value if isinstance(value.value, str) else value.value[0]

            def substitute(match: re.Match[str]) -> str:
                token = match.group(1)
                if "." in token:
                    logical, attribute = token.split(".", 1)
                    return str(names[logical][attribute])
                if token in parameters:
                    return str(parameters[token])
                if token.startswith("AWS::"):
                    return str(names["AWS"][token[5:]])
                return str(names[token]["Ref"])

            return re.sub(r"\$\{([^}]+)\}", substitute, text)
        raise ValueError(f"unsupported intrinsic !{value.name}")
    if isinstance(value, dict):
        return {k: resolve(v, names, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, names, parameters) for v in value]
    return value
