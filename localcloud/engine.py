"""The local deploy engine: runs a Pulumi program without the Pulumi CLI.

The program runs under the SDK's mock runtime (``preview=False``). The mock's ``new_resource``
creates each resource through boto3 against the target endpoint and returns the real ids, ARNs and
URLs, so dependent resources receive real values. It has no update or delete: deploy into a fresh
(or reset) emulator. It is a test and local-development driver, not a replacement for ``pulumi up``.

Run it in its own process (``python -m localcloud.engine``, or :func:`localcloud.deploy.deploy`):
the Pulumi runtime settings it installs are process-global.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import botocore.exceptions
import pulumi
import yaml
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from localcloud.deploy import FAILURE_PREFIX
from localcloud.errors import one_line
from localcloud.inputs import plain
from localcloud.provisioners import CREATORS, Cloud


class UnsupportedResourceError(RuntimeError):
    """The program declares a resource type the local engine cannot create."""


class DeployError(RuntimeError):
    """Creating a resource failed; the message names the resource, its type and the cause."""


class EngineMocks(pulumi.runtime.Mocks):
    """Pulumi mocks that really create resources on an AWS-compatible endpoint."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.created: list[tuple[str, str, str]] = []  # (type, logical name, physical id)
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        if not args.custom:  # component resources only group their children
            return None, {}
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider", dict(args.inputs)
        creator = CREATORS.get(args.typ)
        if creator is None:
            raise UnsupportedResourceError(
                f"the local engine cannot create {args.typ} (resource {args.name!r}): it creates only the "
                f"{len(CREATORS)} resource types these components use (localcloud/provisioners/); "
                "deploy this program with the Pulumi CLI on PATH, or keep that resource out of the stack you test"
            )
        inputs = plain(dict(args.inputs))
        try:
            physical_id, outputs = creator(self.cloud, args.name, inputs)
        except botocore.exceptions.EndpointConnectionError as exc:
            raise DeployError(
                f"cannot reach the cloud endpoint {self.cloud.endpoint} while creating {args.typ} "
                f"{args.name!r}: is the emulator running?"
            ) from exc
        except botocore.exceptions.ClientError as exc:
            raise DeployError(f"creating {args.typ} {args.name!r} failed: {exc}") from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise DeployError(f"creating {args.typ} {args.name!r} failed: invalid input: {exc}") from exc
        with self._lock:
            self.created.append((args.typ, args.name, physical_id))
        return physical_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        """The account data sources a program may read, answered from the target (no check failures)."""
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.cloud.region, "region": self.cloud.region, "id": self.cloud.region}, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            account = self.cloud.account
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:root", "id": account}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        raise UnsupportedResourceError(f"the local engine cannot answer the data source {args.token}")


def project_settings(project_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}


def project_name(project_dir: Path) -> str:
    return project_settings(project_dir)["name"]


def program_path(project_dir: Path) -> Path:
    """The program's entry file: ``__main__.py`` of the project, or of the folder ``main:`` names."""
    main = project_settings(project_dir).get("main")
    path = project_dir / main if isinstance(main, str) else project_dir
    return path if path.suffix == ".py" else path / "__main__.py"


def stack_config(project_dir: Path, stack: str) -> dict[str, str]:
    """The stack's config from ``Pulumi.<stack>.yaml``, as the runtime expects it (strings)."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return {}
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def run_program(
    project_dir: Path, endpoint: str, stack: str = "local", config: dict[str, str] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Run ``project_dir/__main__.py`` and create its resources on ``endpoint``.

    Returns the stack outputs (plain values) and the created resources.
    """
    project_dir = project_dir.resolve()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        }
    )
    cloud = Cloud(endpoint, os.environ["AWS_DEFAULT_REGION"])
    mocks = EngineMocks(cloud)
    pulumi.runtime.set_mocks(mocks, project=project_name(project_dir), stack=stack, preview=False)
    all_config = {**stack_config(project_dir, stack), **(config or {})}
    pulumi.runtime.set_all_config(all_config)
    program = program_path(project_dir)
    sys.path.insert(0, str(program.parent))
    previous_dir = Path.cwd()
    os.chdir(project_dir)
    try:
        runpy.run_path(str(program), run_name="__main__")
        _sync_await(wait_for_rpcs())
        root = pulumi.runtime.get_root_resource()
        outputs = {
            key: _sync_await(pulumi.Output.from_input(value).future())
            for key, value in getattr(root, "outputs", {}).items()
        }
    finally:
        os.chdir(previous_dir)
    return plain(outputs), mocks.created


def program_failure(exc: BaseException, project_dir: Path) -> str:
    """``the program raised ValueError: ... (__main__.py, line 7)``: the innermost line of the project."""
    root = project_dir.resolve()
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_file() and path.is_relative_to(root) and "site-packages" not in path.parts:  # not its .venv
            where = f" ({path.relative_to(root)}, line {frame.lineno})"
    return f"the program raised {type(exc).__name__}: {one_line(exc)}{where}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=Path.cwd())
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--stack", default="local")
    parser.add_argument("--outputs-file", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        outputs, created = run_program(args.project_dir, args.endpoint, args.stack)
    except (UnsupportedResourceError, DeployError) as exc:
        print(f"{FAILURE_PREFIX} {one_line(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        print(f"{FAILURE_PREFIX} the program exited with code {exc.code}", file=sys.stderr)
        return 2
    except Exception as exc:  # the user's program raised: say what and where, in one line
        traceback.print_exc()
        print(f"{FAILURE_PREFIX} {program_failure(exc, args.project_dir)}", file=sys.stderr)
        return 2
    args.outputs_file.write_text(json.dumps({"outputs": outputs, "resources": created}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
