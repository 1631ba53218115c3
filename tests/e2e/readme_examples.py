"""The README's curl examples, run as written: what they call, what they say they answer, and a
runner that checks one against the other.

Every ``bash`` block of the README's API reference that calls curl is part of one script, in
README order (so a block can use a variable an earlier one set, e.g. ``$JOB``); other sections'
commands (deploying, eBay's consent flow) hold placeholders and are not run. A comment ``# 202 {...}`` documents
the answer of the curl commands before it, back to the previous such comment; ``# or 409 {...}``
adds another answer the same commands may give (when it depends on timing). A curl command with
no documented answer must succeed. The documented body may leave parts out ("…"); what it shows
is checked: every field it names is in the answer, with the same value for booleans and for
messages, errors and fields at fault ("…" in those stands for any text: ids and times differ
from run to run).

The script runs in bash with ``curl`` wrapped by a function that records each call's status and
body without changing what the command prints, so pipes and ``$(...)`` work as pasted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BLOCK = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
STATUS = re.compile(r"^#\s*(or\s+)?([1-5][0-9]{2})\b\s*(.*)$")
CURL = re.compile(r"(^|[\s($|])curl\s")
KEY = re.compile(r'"(\w+)"\s*:')
LITERAL = re.compile(r'"(\w+)"\s*:\s*(true|false|"(?:[^"\\]|\\.)*")')
COMPARED_TEXT = ("message", "error", "field")

# Each call's headers and body go to files: <n>.head, <n>.body (n counts calls from 1).
WRAPPER = r"""
curl() {
  local n=$(( $(cat "$README_RUN/count") + 1 ))
  echo "$n" > "$README_RUN/count"
  command curl -sS -D "$README_RUN/$n.head" "$@" | tee "$README_RUN/$n.body"
}
"""


@dataclass
class Answer:
    status: int
    text: str  # the documented body, possibly with parts left out; may be prose


@dataclass
class Call:
    line: int  # of the README
    command: str
    answers: list[Answer] = field(default_factory=list)


@dataclass
class Outcome:
    call: Call
    status: int | None
    body: str

    def problems(self) -> list[str]:
        if not self.call.answers:
            return [] if self.status is not None and self.status < 400 else [f"answered {self.status}: {self.body}"]
        matching = [a for a in self.call.answers if a.status == self.status]
        if not matching:
            expected = " or ".join(str(a.status) for a in self.call.answers)
            return [f"answered {self.status}, the README says {expected}: {self.body[:300]}"]
        return _compare(matching[0].text, self.body)


def parse(readme: str, section: str | None = "API reference") -> tuple[str, list[Call]]:
    """The script of every bash block of ``section`` (all of them with None) that calls curl, and
    its curl commands in order."""
    start, end = 0, len(readme)
    if section is not None:
        start = readme.index(f"\n## {section}\n")
        following = readme.find("\n## ", start + 1)
        end = following if following != -1 else len(readme)
    script: list[str] = []
    calls: list[Call] = []
    for block in BLOCK.finditer(readme, start, end):
        text = block.group(1)
        if not CURL.search(text):
            continue
        first_line = readme[:block.start(1)].count("\n") + 1
        script.append(text)
        calls.extend(_calls(text.splitlines(), first_line))
    return "\n".join(script), calls


def _calls(lines: list[str], first_line: int) -> list[Call]:
    calls: list[Call] = []
    waiting: list[Call] = []  # commands since the last documented answer
    last: list[Call] = []  # the commands the last documented answer is about
    continued = False
    open_answer: Answer | None = None
    for number, line in enumerate(lines, start=first_line):
        stripped = line.strip()
        if stripped.startswith("#"):
            found = STATUS.match(stripped)
            if found:
                answer = Answer(int(found.group(2)), found.group(3))
                if not found.group(1):
                    last, waiting = waiting or last, []
                for call in last:
                    call.answers.append(answer)
                open_answer = answer
            elif open_answer is not None and _unbalanced(open_answer.text):
                open_answer.text += " " + stripped.lstrip("#").strip()
            continue
        open_answer = None
        code = line.split("  # ", 1)[0]
        if not continued and CURL.search(code):
            call = Call(line=number, command=stripped)
            calls.append(call)
            waiting.append(call)
        elif continued and waiting:
            waiting[-1].command += " " + stripped
        continued = code.rstrip().endswith("\\")
    return calls


def _unbalanced(text: str) -> bool:
    return sum(text.count(c) for c in "{[") > sum(text.count(c) for c in "}]")


def run(script: str, calls: list[Call], env: dict[str, str], workdir: Path, timeout_s: float = 300) -> list[Outcome]:
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"the README's examples need {tool}")
    (workdir / "count").write_text("0")
    done = subprocess.run(["bash", "-c", WRAPPER + script], env=os.environ | env | {"README_RUN": str(workdir)},
                          capture_output=True, text=True, timeout=timeout_s, check=False)
    made = int((workdir / "count").read_text())
    if made != len(calls):
        raise AssertionError(f"the README's script made {made} curl calls, not {len(calls)}:\n{done.stderr[-3000:]}")
    return [Outcome(call, _status(workdir / f"{n}.head"), _text(workdir / f"{n}.body"))
            for n, call in enumerate(calls, start=1)]


def _status(head: Path) -> int | None:
    lines = _text(head).splitlines()
    statuses = [int(line.split()[1]) for line in lines if line.startswith("HTTP/")]
    return statuses[-1] if statuses else None


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _compare(documented: str, body: str) -> list[str]:
    names = set(KEY.findall(documented))
    if not names:
        return []  # prose, or a body the README does not show
    try:
        actual = json.loads(body)
    except ValueError:
        return [f"the answer is not JSON: {body[:300]}"]
    keys, pairs = _flatten(actual)
    problems = [f"no field {name!r} in the answer" for name in sorted(names - keys)]
    for name, literal in LITERAL.findall(documented):
        if not _shown(name, json.loads(literal), pairs):
            problems.append(f"{name} is not {literal} in the answer")
    return problems


def _shown(name: str, value: Any, pairs: list[tuple[str, Any]]) -> bool:
    """Whether the answer has the documented value (checked for booleans and texts that say what happened)."""
    if isinstance(value, bool):
        return (name, value) in pairs
    if name in COMPARED_TEXT and isinstance(value, str):
        return any(key == name and isinstance(text, str) and _like(value, text) for key, text in pairs)
    return True


def _like(documented: str, actual: str) -> bool:
    return re.fullmatch(".*".join(re.escape(part) for part in documented.split("…")), actual) is not None


def _flatten(value: Any) -> tuple[set[str], list[tuple[str, Any]]]:
    keys: set[str] = set()
    pairs: list[tuple[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                keys.add(key)
                pairs.append((key, inner))
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return keys, pairs
