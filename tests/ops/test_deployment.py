"""The Dockerfile and docker-compose.yml, read as files (no Docker daemon is needed)."""

from pathlib import Path

import yaml
from typer.testing import CliRunner

from app.cli import cli

ROOT = Path(__file__).parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_image_is_built_once_and_run_twice() -> None:
    services = _compose()["services"]
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["app"]
    assert services["worker"]["image"] == services["app"]["image"]


def test_the_worker_is_checked_by_its_heartbeat_not_by_http() -> None:
    worker = _compose()["services"]["worker"]
    test = worker["healthcheck"]["test"]
    assert test == ["CMD", "dsr", "worker", "--check"]
    assert CliRunner().invoke(cli, ["worker", "--help"]).stdout.count("--check") == 1


def test_a_config_folder_is_mounted_where_relative_paths_resolve() -> None:
    for name in ("app", "worker"):
        assert "./config:/config:ro" in _compose()["services"][name]["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "WORKDIR /config" in dockerfile
    assert "DSR_CONNECTORS_FILE=/config/connectors.yaml" in dockerfile


def test_the_image_defaults_to_production() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "DSR_ENV=production" in dockerfile
    for name in ("DSR_SECRET_KEY", "DSR_BASE_URL", "DSR_SMTP_HOST"):
        assert name in dockerfile.split("FROM", 1)[0]  # the header says what to set
