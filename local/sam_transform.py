"""Print template.yaml transformed to plain CloudFormation, as JSON: ``sam_transform.py TEMPLATE``.

Run with aws-sam-cli's own interpreter (``.venv-sam/bin/python``): it uses the SAM translator
that ``sam build`` and ``sam deploy`` use, so each function's role holds exactly the statements
AWS will create (SAM policy templates expanded, event-source permissions added). AWS managed
policies named by name resolve through the translator's bundled list: nothing asks IAM.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform  # type: ignore[import-not-found]
from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-not-found]


class _BundledPolicies:
    """The managed policy loader's interface, without an IAM client."""

    def load(self) -> dict[str, str]:
        return {}


def _s3_code_locations(template: dict[str, Any]) -> None:
    """Local code folders stand for the S3 objects ``sam deploy`` uploads (as ``sam validate`` does)."""
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = f"s3://local-build/{properties[key].strip('/')}"


def main(argv: list[str]) -> int:
    template: dict[str, Any] = yaml_parse(Path(argv[0]).read_text())
    _s3_code_locations(template)
    parameters = json.loads(argv[1]) if len(argv) > 1 else {}
    parameters.setdefault("AWS::Region", "us-east-1")
    # The translator reads the region from a boto3 session.
    os.environ.setdefault("AWS_DEFAULT_REGION", parameters["AWS::Region"])
    print(json.dumps(transform(template, parameters, _BundledPolicies())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
