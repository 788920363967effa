"""``serverless-patterns up|down|status|setup``: your Pulumi program in the embedded emulator.

``up`` starts (or resets) the embedded emulator unless ``AWS_ENDPOINT_URL`` names another target,
deploys the Pulumi program of the current directory (or ``--dir``), prints its outputs and returns,
leaving the emulator running; ``down`` stops it (and destroys the stack on another endpoint when the
Pulumi CLI deployed it). The catalog's demonstrations run with ``--demo`` (``make up``).
Every failure a user can fix is one line on stderr, naming the fix.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from localcloud import emulator, provision
from localcloud.deploy import DeployFailed, check_project, deploy, destroy, pulumi_cli_available
from localcloud.errors import LocalCloudError, one_line
from localcloud.target import Target, resolve_target

PROG = "serverless-patterns"
DEBUG_VARIABLE = "SERVERLESS_PATTERNS_DEBUG"

Say = Callable[[str], None]


def _say(line: str) -> None:
    print(line, flush=True)


def _local_dir(project: Path) -> Path:
    """The tooling's folder in the project: emulator record and log, outputs, deployment state."""
    return project / ".localcloud"


def _project(args: argparse.Namespace) -> Path:
    return Path(args.dir).resolve() if args.dir else Path.cwd()


def _stop_hint(project: Path) -> str:
    return f"{PROG} down" + ("" if project == Path.cwd() else f" --dir {project}")


def _forget(record: emulator.EmulatorProcess, local: Path) -> None:
    """Discard the deployment state of an emulator instance whose contents are gone."""
    destroy(local.parent, Target("embedded", record.endpoint, instance=record.instance), local_dir=local)


def _embedded(local: Path, region: str, say: Say) -> tuple[Target, emulator.EmulatorProcess | None]:
    """The project's embedded emulator, empty: the running one reset, or a new one (returned too)."""
    record_path = local / "emulator.json"
    running = emulator.EmulatorProcess.load(record_path)
    if running and running.is_alive():
        say(f"emulator already running at {running.endpoint}; resetting it for a clean deployment")
        _forget(running, local)
        running.reset()
        running.save(record_path)
        return Target("embedded", running.endpoint, region, running.instance), None
    if running:
        _forget(running, local)
    venv = provision.ensure_emulator_venv(say=say)
    started = emulator.start(local / "emulator.log", venv=venv, detached=True)
    started.save(record_path)
    say(f"emulator started at {started.endpoint} (pid {started.pid}, log {started.log_path})")
    return Target("embedded", started.endpoint, region, started.instance), started


def up(args: argparse.Namespace, say: Say = _say) -> int:
    project = _project(args)
    check_project(project, f"run `{PROG} up` in your Pulumi project's directory, or pass --dir <project>")
    local = _local_dir(project)
    target, started = resolve_target(), None
    if target.kind == "embedded":
        target, started = _embedded(local, target.region, say)
    elif target.kind == "endpoint" and target.endpoint:
        say(f"target: {target.endpoint} (from AWS_ENDPOINT_URL)")
        if not pulumi_cli_available():  # the local engine creates only: start from an empty endpoint
            if emulator.is_healthy(target.endpoint):
                say("resetting the MiniStack at that endpoint for a clean deployment")
                emulator.reset(target.endpoint)
            else:
                say("note: without the Pulumi CLI the local engine only creates resources; "
                    "restart the emulator at that endpoint between two deployments")
    else:
        say("target: real AWS (SERVERLESS_PATTERNS_TARGET=aws)")
    try:
        result = deploy(project, target, stack=args.stack, local_dir=local, on_output=lambda line: say(line.rstrip()))
    except BaseException:
        if started is not None:  # started for this deployment: leave nothing running behind a failure
            started.stop()
            _forget(started, local)
            (local / "emulator.json").unlink(missing_ok=True)
        raise
    say(f"deployed {project} with the {result.driver} driver in {result.seconds:.1f}s")
    local.mkdir(parents=True, exist_ok=True)
    (local / "outputs.json").write_text(json.dumps(result.outputs, indent=2))
    say("outputs:")
    say(json.dumps(result.outputs, indent=2))
    if args.demo:
        from localcloud import demos

        say("live demonstration:")
        demos.run_all(result.outputs, target.endpoint if target.is_emulated else None, say)
    if target.kind == "embedded":
        say(
            f"\nthe emulator keeps running at {target.endpoint}\n"
            f"  AWS CLI: aws --endpoint-url {target.endpoint} dynamodb list-tables  (any access key, e.g. test/test)\n"
            f"  boto3:   export AWS_ENDPOINT_URL={target.endpoint} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
            f"AWS_DEFAULT_REGION={target.region}\n"
            f"  stop it: {_stop_hint(project)}"
        )
    return 0


def down(args: argparse.Namespace, say: Say = _say) -> int:
    project = _project(args)
    local = _local_dir(project)
    record_path = local / "emulator.json"
    running = emulator.EmulatorProcess.load(record_path)
    if running is not None:
        running.stop()
        _forget(running, local)
        record_path.unlink(missing_ok=True)
        say(f"emulator (pid {running.pid}, port {running.port}) stopped")
    target = resolve_target()
    if target.kind == "endpoint":
        say(destroy(project, target, stack=args.stack, local_dir=local, on_output=lambda line: say(line.rstrip())))
    elif target.kind == "aws":
        say("real AWS: down never destroys a real stack; run `pulumi destroy` in the project yourself")
    elif running is None:
        say("no embedded emulator recorded for this project; nothing to stop")
    return 0


def status(args: argparse.Namespace, say: Say = _say) -> int:
    venv = provision.emulator_venv_path()
    provisioned = "provisioned" if provision.is_provisioned(venv) else "not provisioned yet (the first up does it)"
    say(f"MiniStack {provision.ministack_version()}: {venv} ({provisioned})")
    running = emulator.EmulatorProcess.load(_local_dir(_project(args)) / "emulator.json")
    if running and running.is_alive():
        say(f"emulator running at {running.endpoint} (pid {running.pid})")
        return 0
    say("emulator not running")
    return 1


def setup(args: argparse.Namespace, say: Say = _say) -> int:
    venv = provision.ensure_emulator_venv(say=say)
    say(f"MiniStack {provision.ministack_version()} ready in {venv}")
    return 0


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    commands = main_parser.add_subparsers(dest="command", required=True)
    stack = os.environ.get("PULUMI_STACK", "local")
    where = "the Pulumi project directory (default: the current directory)"
    up_parser = commands.add_parser("up", help="start or reset the emulator, deploy the program, print its outputs")
    up_parser.add_argument("--dir", help=where)
    up_parser.add_argument("--stack", default=stack, help="stack name (default: $PULUMI_STACK or 'local')")
    up_parser.add_argument("--demo", action="store_true", help="run the catalog's live demonstrations afterwards")
    up_parser.set_defaults(run=up)
    down_parser = commands.add_parser("down", help="stop the project's emulator (destroy the stack on an endpoint)")
    down_parser.add_argument("--dir", help=where)
    down_parser.add_argument("--stack", default=stack)
    down_parser.set_defaults(run=down)
    status_parser = commands.add_parser("status", help="is the project's emulator running? is MiniStack provisioned?")
    status_parser.add_argument("--dir", help=where)
    status_parser.set_defaults(run=status)
    commands.add_parser("setup", help="provision the emulator's virtualenv now (otherwise the first up does)"
                        ).set_defaults(run=setup)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except DeployFailed as exc:
        print(f"error: deploy failed: {one_line(exc)}", file=sys.stderr)
    except LocalCloudError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (`| head`): nobody to tell
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except Exception as exc:  # a bug in this tooling: still one line, the traceback on request
        if os.environ.get(DEBUG_VARIABLE):
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {one_line(exc)} "
              f"(set {DEBUG_VARIABLE}=1 for the traceback, and please report it)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
