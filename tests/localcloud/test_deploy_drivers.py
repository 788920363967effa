"""Driver choice and the Automation API driver's configuration (the CLI itself is not installed here)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from localcloud import automation, deploy
from localcloud.target import AWS_SERVICES, Target


class FakeStack:
    def __init__(self) -> None:
        self.config: dict = {}
        self.path = None

    def set_all_config(self, config, path=False):
        self.config.update(config)
        self.path = path

    def set_config(self, key, value, path=False):
        self.config[key] = value

    def up(self, on_output=None):
        on_output("Updating (local)")
        return SimpleNamespace(outputs={"counter": SimpleNamespace(value={"url": "https://x"})})


@pytest.fixture
def fake_stack(monkeypatch):
    stack = FakeStack()
    monkeypatch.setattr(automation, "_stack", lambda *args: stack)
    return stack


def test_cli_driver_points_the_provider_at_the_endpoint(fake_stack, tmp_path):
    lines = []
    outputs = automation.up(tmp_path, Target("endpoint", "http://localhost:4566"), "dev", tmp_path, lines.append)
    assert outputs == {"counter": {"url": "https://x"}}
    assert lines == ["Updating (local)"]
    assert fake_stack.path is True
    assert fake_stack.config["aws:skipCredentialsValidation"].value == "true"
    assert fake_stack.config["aws:secretKey"].secret is True
    assert {k for k in fake_stack.config if k.startswith("aws:endpoints")} == {
        f"aws:endpoints[0].{s}" for s in AWS_SERVICES}


def test_cli_driver_to_real_aws_sets_only_the_region(fake_stack, tmp_path):
    automation.up(tmp_path, Target("aws", None, "eu-west-1"), "prod", tmp_path)
    assert {k: v.value for k, v in fake_stack.config.items()} == {"aws:region": "eu-west-1"}


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
