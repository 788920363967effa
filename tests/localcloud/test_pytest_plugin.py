"""The pytest plugin users get: loaded once, where it deploys from, the ``requires`` marker, and the
emulator stopped at the end of a session that failed or was interrupted.

Sessions here run in-process (``pytester``), so an emulator still answering after one ended was
left behind by the plugin's teardown, not kept alive by a process that is still there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud import emulator, provision, pytest_plugin
from localcloud.emulator import free_loopback_port
from localcloud.target import Target

USER_CACHE = provision.cache_dir()  # read before any pytester fixture changes HOME
ENDPOINT_FILE = "endpoint.txt"
RECORD_ENDPOINT = f'''
from pathlib import Path

def test_records_its_endpoint(cloud_target):
    Path({ENDPOINT_FILE!r}).write_text(cloud_target.endpoint)
'''


def test_loaded_once_through_its_entry_point(pytestconfig):
    names = [name for name, plugin in pytestconfig.pluginmanager.list_name_plugin() if plugin is pytest_plugin]
    assert names == ["serverless_patterns"]


@pytest.fixture
def no_target(monkeypatch):
    """The inner sessions choose their own target, not the one this session exported; they use
    this user's emulator cache (pytester points HOME at its own folder)."""
    for variable in ("AWS_ENDPOINT_URL", "SERVERLESS_PATTERNS_TARGET", "PULUMI_STACK"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(provision.CACHE_VARIABLE, str(USER_CACHE))
    return monkeypatch


def test_project_dir_from_flag_ini_or_rootdir(pytester, no_target):
    pytester.makeini("[pytest]\ncloud_stack_dir = infra\ncloud_stack_name = ci\n")
    pytester.makepyfile(test_where='''
        import json
        from localcloud.pytest_plugin import stack_dir, stack_name

        def test_where(pytestconfig):
            with open("where.json", "w") as out:
                json.dump([str(stack_dir(pytestconfig)), stack_name(pytestconfig)], out)
    ''')
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
    assert json.loads((pytester.path / "where.json").read_text()) == [str(pytester.path / "infra"), "ci"]
    pytester.runpytest_inprocess("--cloud-stack-dir", "elsewhere").assert_outcomes(passed=1)
    assert json.loads((pytester.path / "where.json").read_text())[0] == str(pytester.path / "elsewhere")
    (pytester.path / "tox.ini").unlink()
    pytester.makeini("[pytest]\n")
    no_target.setenv("PULUMI_STACK", "from-env")
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
    assert json.loads((pytester.path / "where.json").read_text()) == [str(pytester.path), "from-env"]


def test_no_pulumi_project_is_one_line_naming_the_option(pytester, no_target):
    no_target.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_loopback_port()}")  # nothing to start
    pytester.makepyfile(test_stack="def test_uses_the_stack(cloud_stack):\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cloud_stack: no Pulumi.yaml in * pass --cloud-stack-dir <project>*"])
    assert "Traceback" not in result.stdout.str()


def test_requires_marker_skips_with_the_reason_where_the_target_lacks_it(pytester, no_target, cloud_target: Target):
    if cloud_target.kind != "embedded":
        pytest.skip("needs MiniStack, whose gaps are known, as the inner session's target")
    no_target.setenv("AWS_ENDPOINT_URL", str(cloud_target.endpoint))  # detected as MiniStack from its health API
    pytester.makepyfile(test_marked='''
        import pytest

        @pytest.mark.requires("sqs-batching-window")
        def test_needs_a_gap():
            pass

        @pytest.mark.requires("no-such-gap")
        def test_needs_nothing_missing():
            pass
    ''')
    result = pytester.runpytest_inprocess("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*target lacks sqs-batching-window: MiniStack: SQS MaximumBatchingWindowInSeconds*"])


@pytest.mark.parametrize("ending, exit_code", [
    ("assert False, 'a failing test'", pytest.ExitCode.TESTS_FAILED),
    ("raise KeyboardInterrupt", pytest.ExitCode.INTERRUPTED),  # what Ctrl-C raises
])
def test_the_session_emulator_stops_when_tests_fail_or_are_interrupted(pytester, no_target, ending, exit_code):
    pytester.makepyfile(test_session=RECORD_ENDPOINT + f"\ndef test_ends_the_session():\n    {ending}\n")
    assert pytester.inline_run(no_reraise_ctrlc=True).ret == exit_code
    endpoint = (pytester.path / ENDPOINT_FILE).read_text()
    assert endpoint.startswith("http://127.0.0.1:")
    assert not emulator.is_healthy(endpoint, timeout=0.5)


def test_first_session_says_it_provisions_and_an_unusable_emulator_is_one_line(pytester, no_target, monkeypatch):
    """Into an empty cache, with a builder that makes a virtualenv without MiniStack in it."""
    monkeypatch.setenv(provision.CACHE_VARIABLE, str(pytester.path / "cache"))
    monkeypatch.setattr(provision, "build_emulator_venv", lambda staging, requirements: staging.mkdir())
    pytester.makepyfile(test_session="def test_needs_the_cloud(cloud_target):\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "serverless-patterns: first use: provisioning MiniStack * into *cache*",
        "*no cloud for this session: MiniStack is not installed in *",
    ])
    assert "Traceback" not in result.stdout.str()


def test_cloud_stack_gives_clients_and_urls_for_its_endpoint():
    from localcloud.session import CloudStack

    stack = CloudStack({}, Target("endpoint", "http://127.0.0.1:4566", "eu-west-1"), Path("."), "test", "engine")
    client = stack.client("sqs")
    assert (client.meta.endpoint_url, client.meta.region_name) == ("http://127.0.0.1:4566", "eu-west-1")
    exported = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/things"
    assert stack.url(exported) == "http://127.0.0.1:4566/_aws/execute-api/abc123/api/things"
    real = CloudStack({}, Target("aws", None, "eu-west-1"), Path("."), "prod", "cli")
    assert real.endpoint is None and real.url(exported) == exported
