"""The contract types in connectors.base."""

from pathlib import Path

import httpx
import pytest

from connectors.base import (
    HINT_IDEMPOTENCY_KEY,
    HINT_REFERENCE,
    AccessPending,
    AuthError,
    ConfigError,
    ConfigPath,
    ConnectorConfig,
    ConnectorError,
    EraseStatus,
    EraseSummary,
    ManualActionRequired,
    Subject,
    TransientError,
)
from connectors.manual import ManualConfig, ManualConnector


def test_subject_exposes_the_request_context_from_hints():
    subject = Subject(
        email="ada@example.com",
        hints={HINT_REFERENCE: "DSR-7K3M9QXA", HINT_IDEMPOTENCY_KEY: "task-1"},
    )

    assert subject.reference == "DSR-7K3M9QXA"
    assert subject.idempotency_key == "task-1"
    assert Subject(email="ada@example.com").reference is None


def test_only_transient_errors_are_retryable():
    assert TransientError("429", retry_after=3).retryable
    assert TransientError("429", retry_after=3).retry_after == 3
    for error in (
        ConnectorError("x"),
        AuthError("x"),
        ConfigError("x"),
        ManualActionRequired("x"),
        AccessPending("job"),
    ):
        assert not error.retryable


def test_a_pending_summary_needs_a_job_ref():
    with pytest.raises(ValueError, match="job_ref"):
        EraseSummary(status=EraseStatus.PENDING)

    summary = EraseSummary(status=EraseStatus.PENDING, job_ref="job-1")
    assert summary.erased == {}
    assert EraseSummary().status is EraseStatus.DONE


class _PathConfig(ConnectorConfig):
    file: ConfigPath


def test_config_paths_resolve_against_the_given_folder(tmp_path: Path):
    values = {"name": "n", "type": "t", "file": "data/x.yaml"}

    resolved = _PathConfig.model_validate(values, context={"base_dir": tmp_path})

    assert resolved.file == tmp_path / "data" / "x.yaml"
    assert _PathConfig.model_validate(values).file == Path("data/x.yaml")
    absolute = {**values, "file": "/etc/x.yaml"}
    assert _PathConfig.model_validate(
        absolute, context={"base_dir": tmp_path}
    ).file == Path("/etc/x.yaml")


def _manual() -> ManualConnector:
    config = ManualConfig(name="ledger", type="manual", instructions="Strike it")
    return ManualConnector(config, name="ledger")


async def test_poll_is_not_implemented_by_default():
    with pytest.raises(NotImplementedError):
        await _manual().poll("job-1")


async def test_an_own_http_client_is_closed_by_aclose():
    connector = _manual()
    client = connector.http

    await connector.aclose()

    assert client.is_closed


async def test_a_shared_http_client_is_left_open():
    async with httpx.AsyncClient() as shared:
        config = ManualConfig(name="ledger", type="manual", instructions="Strike it")
        async with ManualConnector(config, name="ledger", http=shared) as connector:
            assert connector.http is shared

        assert not shared.is_closed
