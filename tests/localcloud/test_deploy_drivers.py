"""Driver choice, and the Pulumi CLI driver against fakes of the Automation API objects.

The Pulumi CLI cannot be installed here, so ``create_or_select_stack`` is replaced by a fake that
records what the driver asks for; every call the driver makes is checked against the signature of
the real ``pulumi.automation`` method, so a misspelt or missing option fails here.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult

from localcloud import automation, deploy
from localcloud.target import AWS_SERVICES, Target

PROJECT_YAML = "name: p\nruntime:\n  name: python\n"


def _checked(method, *args, **kwargs) -> dict:
    """The call's keyword arguments, after checking the real API accepts it."""
    inspect.signature(method).bind(None, *args, **kwargs)
    return kwargs


class FakeStack:
    """Records the driver's calls; holds 'resources' per backend, as a file backend would."""

    def __init__(self, backends: dict[str, set[str]], backend: str, fail_with: str | None = None) -> None:
        self.backends, self.backend, self.fail_with = backends, backend, fail_with
        self.config: dict[str, auto.ConfigValue] = {}
        self.calls: list[tuple[str, dict]] = []
        self.workspace = SimpleNamespace(remove_stack=self._remove_stack)

    def set_all_config(self, config, path=False):
        self.calls.append(("set_all_config", _checked(auto.Stack.set_all_config, config, path=path)))
        self.config.update(config)

    def get_all_config(self):
        self.calls.append(("get_all_config", _checked(auto.Stack.get_all_config)))
        return dict(self.config)

    def set_config(self, key, value, path=False):
        self.calls.append(("set_config", _checked(auto.Stack.set_config, key, value, path=path)))
        self.config[key] = value

    def up(self, **kwargs):
        self.calls.append(("up", _checked(auto.Stack.up, **kwargs)))
        if self.fail_with:
            raise auto.errors.CommandError(CommandResult("", self.fail_with, 255))
        kwargs["on_output"]("Updating (dev)")
        created = {"counter"} - self.backends.setdefault(self.backend, set())  # what the state lacks
        self.backends[self.backend] |= created
        return SimpleNamespace(outputs={"counter": auto.OutputValue({"url": "https://x"}, False)},
                               summary=SimpleNamespace(resource_changes={"create": len(created)}))

    def destroy(self, **kwargs):
        self.calls.append(("destroy", _checked(auto.Stack.destroy, **kwargs)))
        self.backends[self.backend] = set()

    def _remove_stack(self, stack_name, **kwargs):
        self.calls.append(("remove_stack", _checked(auto.LocalWorkspace.remove_stack, stack_name, **kwargs)))


@pytest.fixture
def pulumi_cli(monkeypatch):
    """Stands in for the CLI: each ``create_or_select_stack`` returns a FakeStack on its backend."""
    record = SimpleNamespace(stacks=[], backends={}, fail_with=None, leftover_config={})

    def create_or_select_stack(stack_name, project_name=None, program=None, work_dir=None, opts=None):
        assert isinstance(opts, auto.LocalWorkspaceOptions) and opts.work_dir == work_dir
        assert (Path(work_dir) / "Pulumi.yaml").is_file()
        backend = opts.env_vars["PULUMI_BACKEND_URL"]
        assert backend.startswith("file://") and Path(backend[len("file://"):]).is_dir()
        stack = FakeStack(record.backends, backend, record.fail_with)
        stack.config.update(record.leftover_config)  # Pulumi.<stack>.yaml as earlier runs left it
        stack.name, stack.work_dir = stack_name, work_dir
        record.stacks.append(stack)
        return stack

    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    monkeypatch.setattr(deploy, "pulumi_cli_available", lambda: True)
    return record


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT_YAML)
    return tmp_path


def _calls(stack: FakeStack, name: str) -> list[dict]:
    return [kwargs for call, kwargs in stack.calls if call == name]


def test_state_plan_follows_the_target(tmp_path):
    first = automation.state_plan(Target("embedded", "http://127.0.0.1:5", instance="a"), tmp_path)
    after_reset = automation.state_plan(Target("embedded", "http://127.0.0.1:5", instance="b"), tmp_path)
    assert first.backend != after_reset.backend and first.refresh and first.disposable
    localstack = automation.state_plan(Target("endpoint", "http://localhost:4566"), tmp_path)
    assert localstack.backend == tmp_path / "emulator-state" / "endpoint-http-localhost-4566"
    assert localstack.refresh and localstack.disposable
    aws = automation.state_plan(Target("aws", None, "eu-west-1"), tmp_path)
    assert (aws.backend, aws.refresh, aws.disposable) == (tmp_path / "state", False, False)
    with pytest.raises(ValueError, match="real AWS"):
        automation.discard(aws)


def test_up_on_an_emulator_points_the_provider_at_it_and_refreshes(pulumi_cli, project):
    lines: list[str] = []
    target = Target("embedded", "http://127.0.0.1:4567", instance="i1")
    result = deploy.deploy(project, target, stack="dev", on_output=lines.append)
    assert (result.driver, result.outputs, lines) == ("cli", {"counter": {"url": "https://x"}}, ["Updating (dev)"])
    stack = pulumi_cli.stacks[0]
    assert (stack.name, stack.work_dir) == ("dev", str(project))
    assert stack.backend == (project / ".localcloud" / "emulator-state" / "embedded-i1").resolve().as_uri()
    assert _calls(stack, "set_all_config")[0]["path"] is True
    assert stack.config["aws:skipCredentialsValidation"].value == "true"
    assert stack.config["aws:secretKey"].secret is True
    assert {k for k in stack.config if k.startswith("aws:endpoints")} == {
        f"aws:endpoints[0].{s}" for s in AWS_SERVICES}
    assert {stack.config[f"aws:endpoints[0].{s}"].value for s in AWS_SERVICES} == {"http://127.0.0.1:4567"}
    assert _calls(stack, "up")[0]["refresh"] is True


def test_a_reset_emulator_is_deployed_from_empty_state(pulumi_cli, project):
    """The issue: a second up into a fresh emulator must create everything again, not 'no changes'."""
    deploy.deploy(project, Target("embedded", "http://127.0.0.1:4567", instance="before"), stack="dev")
    deploy.deploy(project, Target("embedded", "http://127.0.0.1:4567", instance="after"), stack="dev")
    first, second = pulumi_cli.stacks
    assert first.backend != second.backend
    assert pulumi_cli.backends[second.backend] == {"counter"}  # created into the new, empty state


def test_an_endpoint_keeps_its_state_and_refreshes_it(pulumi_cli, project):
    target = Target("endpoint", "http://localhost:4566")
    deploy.deploy(project, target, stack="dev")
    deploy.deploy(project, target, stack="dev")
    first, second = pulumi_cli.stacks
    assert first.backend == second.backend  # incremental updates on a long-lived LocalStack
    assert [_calls(s, "up")[0]["refresh"] for s in (first, second)] == [True, True]


def test_real_aws_sets_only_the_region_and_never_refreshes_implicitly(pulumi_cli, project):
    deploy.deploy(project, Target("aws", None, "eu-west-1"), stack="prod")
    stack = pulumi_cli.stacks[0]
    assert {k: v.value for k, v in stack.config.items()} == {"aws:region": "eu-west-1"}
    assert "refresh" not in _calls(stack, "up")[0]
    assert stack.backend == (project / ".localcloud" / "state").resolve().as_uri()


def test_real_aws_refuses_a_stack_config_left_pointing_at_an_emulator(pulumi_cli, project):
    """Same stack name, emulator first: Pulumi.<stack>.yaml still has aws:endpoints in it."""
    deploy.deploy(project, Target("endpoint", "http://127.0.0.1:4567"), stack="dev")
    pulumi_cli.leftover_config = dict(pulumi_cli.stacks[0].config)
    with pytest.raises(automation.PulumiFailed, match=r"aws:endpoints.*another stack name"):
        deploy.deploy(project, Target("aws"), stack="dev")
    assert _calls(pulumi_cli.stacks[-1], "up") == []


def test_down_on_an_endpoint_destroys_removes_the_stack_and_its_state(pulumi_cli, project):
    target = Target("endpoint", "http://localhost:4566")
    deploy.deploy(project, target, stack="dev")
    backend = automation.state_plan(target, project / ".localcloud").backend
    assert backend.is_dir()

    said = deploy.destroy(project, target, stack="dev")

    stack = pulumi_cli.stacks[-1]
    assert [call for call, _ in stack.calls][-2:] == ["destroy", "remove_stack"]
    assert _calls(stack, "destroy")[0]["refresh"] is True  # resources already gone are not errors
    assert _calls(stack, "remove_stack")[0] == {"preserve_config": True}  # the user's Pulumi.dev.yaml stays
    assert not backend.exists() and "destroyed" in said
    count = len(pulumi_cli.stacks)
    assert "nothing to destroy" in deploy.destroy(project, target, stack="dev")
    assert len(pulumi_cli.stacks) == count  # no state: the CLI is not even asked


def test_down_on_the_embedded_emulator_discards_its_state_without_the_cli(pulumi_cli, project):
    target = Target("embedded", "http://127.0.0.1:4567", instance="gone")
    deploy.deploy(project, target, stack="dev")
    count = len(pulumi_cli.stacks)
    deploy.destroy(project, target, stack="dev")
    assert not automation.state_plan(target, project / ".localcloud").backend.exists()
    assert len(pulumi_cli.stacks) == count


def test_down_never_touches_real_aws(pulumi_cli, project):
    deploy.deploy(project, Target("aws"), stack="prod")
    with pytest.raises(deploy.DeployFailed, match="never destroys a real AWS stack"):
        deploy.destroy(project, Target("aws"), stack="prod")
    assert (project / ".localcloud" / "state").is_dir()
    with pytest.raises(ValueError):
        automation.destroy(project, Target("aws"), "prod", project / ".localcloud")


def test_a_cli_failure_is_one_line_with_pulumis_error(pulumi_cli, project):
    pulumi_cli.fail_with = (
        "Updating (dev):\n\nDiagnostics:\n  pulumi:pulumi:Stack (p-dev):\n"
        "    error: Program failed with an unhandled exception:\n"
        "    Traceback (most recent call last):\n      File \"__main__.py\", line 3\n"
        "    ValueError: max_increment must be positive\n\nResources:\n    1 unchanged\n"
    )
    with pytest.raises(automation.PulumiFailed) as raised:
        deploy.deploy(project, Target("endpoint", "http://localhost:4566"), stack="dev")
    assert str(raised.value) == ("pulumi up failed: error: Program failed with an unhandled exception: "
                                 "ValueError: max_increment must be positive")


def test_summary_prefers_the_first_error_line():
    assert automation.summary("a\nerror: no stack named 'x' found\nerror: later\n") == "error: no stack named 'x' found"
    assert automation.summary("\n  just output\n  last words\n") == "last words"
    assert automation.summary("") == "no output"


def test_project_checks_come_first(tmp_path):
    target = Target("endpoint", "http://127.0.0.1:1")
    with pytest.raises(deploy.DeployFailed, match=r"no Pulumi.yaml in .*: point at"):
        deploy.deploy(tmp_path, target, driver="engine")
    (tmp_path / "Pulumi.yaml").write_text("name: n\nruntime: nodejs\n")
    with pytest.raises(deploy.DeployFailed, match="only Python programs"):
        deploy.deploy(tmp_path, target, driver="engine")


def test_driver_choice(monkeypatch):
    emulated = Target("endpoint", "http://127.0.0.1:1")
    monkeypatch.setattr(deploy, "pulumi_cli_available", lambda: False)
    assert deploy.choose_driver(emulated) == "engine"
    with pytest.raises(deploy.DeployFailed, match="needs the Pulumi CLI"):
        deploy.choose_driver(Target("aws"))
    with pytest.raises(deploy.DeployFailed, match="not on PATH"):
        deploy.choose_driver(emulated, "cli")
    monkeypatch.setattr(deploy, "pulumi_cli_available", lambda: True)
    assert deploy.choose_driver(emulated) == "cli"
    assert deploy.choose_driver(Target("aws")) == "cli"
    assert deploy.choose_driver(emulated, "engine") == "engine"
