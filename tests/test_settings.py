"""Settings: the DSR_ environment, the production guard, and the documented table."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

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


def test_every_setting_is_described_and_documented() -> None:
    documented = set(re.findall(r"`(DSR_[A-Z_]+)`", CONTRACT.read_text()))
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"DSR_{name.upper()}" in documented, (
            f"DSR_{name.upper()} missing from docs"
        )


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
