"""`dsr connectors list` and `dsr connectors test`, through the real CLI."""

import asyncio
from pathlib import Path

from typer.testing import CliRunner, Result

from app.cli import cli

SECRET = "cli-hook-secret-0123456789"


async def _dsr(tmp_path: Path, text: str | None, *args: str) -> Result:
    """Run the CLI in a thread (it runs its own event loop) with a connectors file."""
    path = tmp_path / "connectors.yaml"
    if text is not None:
        path.write_text(f"connectors:\n{text}")
    env = {
        "DSR_CONNECTORS_FILE": str(path),
        "DSR_DATA_DIR": str(tmp_path),
        "DSR_SECRET_KEY": "k" * 40,
        "HOOK_SECRET": SECRET,
    }
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli, ["connectors", *args], env=env)


def _hook(name: str, url: str, extra: str = "") -> str:
    return (
        f"  - name: {name}\n    type: webhook\n    url: {url}\n"
        f"    secret: ${{HOOK_SECRET}}\n    timeout: 2\n{extra}"
    )


LEDGER = (
    "  - {name: ledger, type: manual, instructions: Strike the entry, enabled: false}\n"
)


async def test_list_shows_name_type_capabilities_and_state(tmp_path, hook):
    text = _hook("shop_hook", hook.url, "    actions: [erase]\n") + LEDGER

    result = await _dsr(tmp_path, text, "list")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "shop_hook\twebhook\terase\tenabled",
        "ledger\tmanual\taccess,erase\tdisabled",
    ]


async def test_list_without_a_file_says_there_are_no_connectors(tmp_path):
    result = await _dsr(tmp_path, None, "list")

    assert result.exit_code == 0
    assert result.stdout.startswith("no connectors configured (")


async def test_an_invalid_file_is_one_line_and_exit_1(tmp_path):
    result = await _dsr(tmp_path, "  - {name: crm, type: hubspt}\n", "list")

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"dsr: {tmp_path / 'connectors.yaml'}: connectors[0] (crm)")
    assert "unknown connector type 'hubspt'" in line


async def test_test_reports_each_connector_and_fails_if_any_fails(
    tmp_path, hook, store
):
    text = (
        _hook("shop_hook", hook.url)
        + _hook("gone", "http://127.0.0.1:1/hook")
        + store.block().replace("${SHOP_HASH_KEY}", "'a-long-enough-hash-key'")
        + LEDGER
    )

    result = await _dsr(tmp_path, text, "test")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "ok\tshop_hook"
    assert lines[1] == "FAILED\tgone\tcannot reach POST 127.0.0.1: ConnectError"
    assert lines[2:] == ["ok\tapp_db", "skipped\tledger\t(disabled)"]


async def test_test_of_one_connector(tmp_path, hook):
    text = _hook("shop_hook", hook.url) + _hook("gone", "http://127.0.0.1:1/hook")

    passed = await _dsr(tmp_path, text, "test", "shop_hook")
    unknown = await _dsr(tmp_path, text, "test", "nope")

    assert passed.exit_code == 0
    assert passed.stdout == "ok\tshop_hook\n"
    assert unknown.exit_code == 1
    assert unknown.stderr.strip().endswith("(configured: shop_hook, gone)")
