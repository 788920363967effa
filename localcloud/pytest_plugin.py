"""pytest plugin (entry point ``serverless_patterns``): test your own Pulumi stack end to end.

Installed with the package and loaded by pytest on its own; it does nothing until a test asks for
one of its fixtures:

- ``cloud_stack`` (session): the Pulumi program of the project directory, deployed once into the
  session's target; gives ``outputs``, ``endpoint``, ``url(exported)`` and boto3 (``client``,
  ``resource``, ``session``) pointed there (:class:`localcloud.session.CloudStack`).
- ``cloud_target`` (session): the target itself: the embedded emulator, started for the session and
  stopped at its end, also when tests fail or the run is interrupted (and killed with the process
  if pytest itself is killed); or ``AWS_ENDPOINT_URL`` when set. boto3 in the test process is
  pointed at it through the standard environment variables.
- ``@pytest.mark.requires("<capability>")``: skip, naming the reason, where the target lacks a
  capability (:mod:`localcloud.capabilities`).

The project directory is ``--cloud-stack-dir``, else the ``cloud_stack_dir`` ini option (relative to
the ini file), else pytest's rootdir. The stack name is ``$PULUMI_STACK``, else the
``cloud_stack_name`` ini option, else ``test``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from pathlib import Path

import pytest

from localcloud import provision
from localcloud.capabilities import missing_capabilities
from localcloud.deploy import check_project, deploy, destroy
from localcloud.errors import LocalCloudError, one_line
from localcloud.session import CloudStack, cloud
from localcloud.target import Target, resolve_target

MARKER = "requires(capability): skip where the target lacks this capability (localcloud/capabilities.py)"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("serverless-patterns", "deploy a Pulumi program into the embedded emulator")
    group.addoption("--cloud-stack-dir", dest="cloud_stack_dir", default=None, metavar="DIR",
                    help="the Pulumi project that the cloud_stack fixture deploys (default: the rootdir)")
    parser.addini("cloud_stack_dir", "the Pulumi project that cloud_stack deploys, relative to this file", default="")
    parser.addini("cloud_stack_name", "the stack name cloud_stack deploys as (PULUMI_STACK overrides)", default="test")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


def stack_dir(config: pytest.Config) -> Path:
    """The Pulumi project this session deploys."""
    option = config.getoption("cloud_stack_dir")
    if option:
        return Path(option).resolve()
    ini = str(config.getini("cloud_stack_dir") or "")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / ini).resolve()
    return config.rootpath


def stack_name(config: pytest.Config) -> str:
    return os.environ.get("PULUMI_STACK") or str(config.getini("cloud_stack_name") or "test")


def _terminal(config: pytest.Config) -> Callable[[str], None]:
    """Lines for the user's terminal from inside a fixture, past output capture: the first session
    provisions the emulator, which takes a while, and should say so."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def say(line: str) -> None:
        if reporter is None:
            return
        uncaptured: AbstractContextManager[object] = (
            capture.global_and_fixture_disabled() if capture is not None else nullcontext()
        )
        with uncaptured:
            reporter.write_line(f"serverless-patterns: {line}")

    return say


@pytest.fixture(scope="session")
def cloud_target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """A reachable target for the session, with boto3 in this process pointed at it."""
    with ExitStack() as stack:
        try:
            venv = None
            if resolve_target().kind == "embedded":
                venv = provision.ensure_emulator_venv(say=_terminal(pytestconfig))
            log = stack_dir(pytestconfig) / ".localcloud" / "test-emulator.log"
            target, _ = stack.enter_context(cloud(log, venv=venv))
        except LocalCloudError as exc:
            pytest.fail(f"no cloud for this session: {one_line(exc)}", pytrace=False)
        yield target


@pytest.fixture(scope="session")
def cloud_stack(pytestconfig: pytest.Config, cloud_target: Target) -> Iterator[CloudStack]:
    """The project's Pulumi program, deployed once for the session."""
    project, name = stack_dir(pytestconfig), stack_name(pytestconfig)
    local = project / ".localcloud"
    try:
        check_project(project, "pass --cloud-stack-dir <project>, or set the cloud_stack_dir ini option")
        result = deploy(project, cloud_target, stack=name, local_dir=local)
    except LocalCloudError as exc:
        pytest.fail(f"cloud_stack: {one_line(exc)}", pytrace=False)
    yield CloudStack(result.outputs, cloud_target, project, name, result.driver)
    if cloud_target.kind == "embedded":  # the emulator stops after this: its state goes with it
        destroy(project, cloud_target, stack=name, local_dir=local)


@pytest.fixture(scope="session")
def cloud_missing_capabilities(cloud_target: Target) -> dict[str, str]:
    """Capabilities the session's target lacks, with the reason."""
    return missing_capabilities(cloud_target)


@pytest.fixture(autouse=True)
def _skip_missing_capability(request: pytest.FixtureRequest) -> None:
    wanted = [capability for marker in request.node.iter_markers("requires") for capability in marker.args]
    if not wanted:
        return
    gaps = request.getfixturevalue("cloud_missing_capabilities")
    for capability in wanted:
        if capability in gaps:
            pytest.skip(f"target lacks {capability}: {gaps[capability]}")
