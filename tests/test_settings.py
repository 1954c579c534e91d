"""Settings: the DSR_ environment, the production guard, and the documented table."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from app import settings_doc
from app.settings import Settings

CONTRACT = Path(__file__).parents[1] / "docs" / "configuration.md"


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_environment_variables_use_the_dsr_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DSR_AT_RISK_DAYS", "3")
    monkeypatch.setenv("DSR_HOLIDAYS", "IE")
    settings = _settings()
    assert (settings.at_risk_days, settings.holidays) == (3, "IE")


def test_production_refuses_a_missing_secret() -> None:
    with pytest.raises(ValidationError, match="DSR_SECRET_KEY"):
        _settings(env="production", smtp_host="smtp.example.com")


def test_production_refuses_the_dev_outbox() -> None:
    with pytest.raises(ValidationError, match="DSR_SMTP_HOST"):
        _settings(env="production", secret_key=KEY)


KEY = "Vq3kT9xZpL2mN8rB4wY7cH1jF6dS0gQe5uA"  # 35 characters, 34 distinct


def test_production_accepts_real_settings() -> None:
    settings = _settings(
        env="production",
        secret_key=KEY,
        smtp_host="smtp.example.com",
        base_url="https://privacy.example.com",
    )
    assert not settings.is_dev


@pytest.mark.parametrize("key", ["a" * 40, "secret" * 8])
def test_production_refuses_a_low_entropy_key(key: str) -> None:
    with pytest.raises(ValidationError, match="random value"):
        _settings(
            env="production",
            secret_key=key,
            smtp_host="smtp.example.com",
            base_url="https://privacy.example.com",
        )


def test_production_refuses_an_http_base_url_except_on_loopback() -> None:
    real = {"env": "production", "secret_key": KEY, "smtp_host": "smtp.example.com"}
    with pytest.raises(ValidationError, match="https"):
        _settings(**real, base_url="http://privacy.example.com")
    assert _settings(**real, base_url="http://127.0.0.1:8000").env == "production"


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown timezone"):
        _settings(timezone="Mars/Olympus")


def test_dev_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = _settings(data_dir=tmp_path).secret()
    assert len(first) >= 32
    assert _settings(data_dir=tmp_path).secret() == first


def test_every_setting_is_described() -> None:
    undescribed = [n for n, f in Settings.model_fields.items() if not f.description]
    assert undescribed == []


def test_configuration_reference_is_what_the_settings_render() -> None:
    current = CONTRACT.read_text(encoding="utf-8")
    assert settings_doc.with_table(current) == current, (
        "docs/configuration.md differs from the settings: run"
        " `.venv/bin/python -m app.settings_doc` (or `make docs`) and commit it"
    )


def test_the_reference_has_one_row_per_setting_and_hides_secrets() -> None:
    rows = settings_doc.render_table().splitlines()[2:]
    names = [row.split("`")[1] for row in rows]
    assert names == [f"DSR_{name.upper()}" for name in Settings.model_fields]
    secret_row = next(row for row in rows if row.startswith("| `DSR_SECRET_KEY`"))
    assert "| secret | unset |" in secret_row


def test_the_generator_rewrites_only_the_table(tmp_path: Path) -> None:
    page = tmp_path / "configuration.md"
    stale = f"# Intro\n\n{settings_doc.BEGIN}\n| old |\n{settings_doc.END}\n\nOutro\n"
    page.write_text(stale)
    assert settings_doc.main([str(page), "--check"]) == 1
    assert page.read_text() == stale
    assert settings_doc.main([str(page)]) == 0
    written = page.read_text()
    assert written.startswith("# Intro\n\n")
    assert written.endswith("\n\nOutro\n")
    assert "`DSR_DATABASE_URL`" in written
    assert "| old |" not in written
    assert settings_doc.main([str(page), "--check"]) == 0


def test_the_generator_refuses_a_page_without_markers(tmp_path: Path) -> None:
    page = tmp_path / "configuration.md"
    page.write_text("# No table here\n")
    with pytest.raises(ValueError, match="markers"):
        settings_doc.main([str(page)])


def test_connector_secrets_come_from_the_environment_then_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.settings import process_environment

    env_file = tmp_path / ".env"
    env_file.write_text("CRM_TOKEN=from-file\nSHOP_KEY=file-only\n")
    monkeypatch.setenv("CRM_TOKEN", "from-environment")
    values = process_environment(env_file)
    assert values["CRM_TOKEN"] == "from-environment"
    assert values["SHOP_KEY"] == "file-only"
    assert "SHOP_KEY" not in process_environment(tmp_path / "missing.env")
