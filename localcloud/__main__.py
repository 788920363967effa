"""``python -m localcloud up|down|status``: the commands behind ``make up`` and ``make down``.

``up`` starts (or resets) the embedded emulator unless ``AWS_ENDPOINT_URL`` names another target,
deploys the whole catalog from ``__main__.py``, prints each pattern's outputs and a short live
demonstration, then returns, leaving the emulator running.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from localcloud import demos, emulator
from localcloud.deploy import DeployFailed, deploy, pulumi_cli_available
from localcloud.target import Target, TargetError, resolve_target

STATE_DIR = Path(".localcloud")
EMULATOR_STATE = STATE_DIR / "emulator.json"


def _embedded_endpoint(say) -> str:
    running = emulator.EmulatorProcess.load(EMULATOR_STATE)
    if running and running.is_alive():
        say(f"emulator already running at {running.endpoint}; resetting it for a clean deployment")
        emulator.reset(running.endpoint)
        return running.endpoint
    started = emulator.start(STATE_DIR / "emulator.log", detached=True)
    started.save(EMULATOR_STATE)
    say(f"emulator started at {started.endpoint} (pid {started.pid}, log {started.log_path})")
    return started.endpoint


def up(args: argparse.Namespace) -> int:
    say = print
    try:
        target = resolve_target()
    except TargetError as exc:
        say(f"error: {exc}")
        return 2
    if target.kind == "embedded":
        target = Target("embedded", _embedded_endpoint(say), target.region)
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
        result = deploy(Path.cwd(), target, stack=args.stack, on_output=lambda line: say(line.rstrip()))
    except DeployFailed as exc:
        say(f"deploy failed: {exc}")
        return 1
    say(f"deployed with the {result.driver} driver in {result.seconds:.1f}s")
    (STATE_DIR / "outputs.json").write_text(json.dumps(result.outputs, indent=2))
    say("outputs:")
    say(json.dumps(result.outputs, indent=2))
    say("live demonstration:")
    demos.run_all(result.outputs, target.endpoint if target.is_emulated else None, say)
    if target.kind == "embedded":
        say(
            f"\nthe emulator keeps running at {target.endpoint}\n"
            f"  AWS CLI: aws --endpoint-url {target.endpoint} dynamodb list-tables  (any access key, e.g. test/test)\n"
            f"  boto3:   export AWS_ENDPOINT_URL={target.endpoint} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
            f"AWS_DEFAULT_REGION={target.region}\n"
            "  stop it: make down"
        )
    return 0


def down(_: argparse.Namespace) -> int:
    running = emulator.EmulatorProcess.load(EMULATOR_STATE)
    if running is None:
        print("no embedded emulator recorded; nothing to stop")
        return 0
    running.stop()
    EMULATOR_STATE.unlink(missing_ok=True)
    print(f"emulator (pid {running.pid}, port {running.port}) stopped")
    return 0


def status(_: argparse.Namespace) -> int:
    running = emulator.EmulatorProcess.load(EMULATOR_STATE)
    if running and running.is_alive():
        print(f"emulator running at {running.endpoint} (pid {running.pid})")
        return 0
    print("emulator not running")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up_parser = sub.add_parser("up", help="start or reset the emulator, deploy the catalog, demonstrate it")
    up_parser.add_argument("--stack", default=os.environ.get("PULUMI_STACK", "local"))
    up_parser.set_defaults(run=up)
    sub.add_parser("down", help="stop the embedded emulator").set_defaults(run=down)
    sub.add_parser("status", help="is the embedded emulator running?").set_defaults(run=status)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
