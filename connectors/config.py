"""Load and validate `connectors.yaml`: the list of connector instances.

Each block is checked against its type's `config_model` after `${ENV_VAR}` expansion.
Every problem is reported as one line naming the file and the key, e.g.
`connectors.yaml: connectors[1] (app_db).url: environment variable APP_DB_URL is not
set`, raised as `ConfigError`. Relative file paths in a block (such as a SQL `dataset:`)
resolve against the folder of the YAML file. Secrets never appear in the messages.
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from connectors.base import ConfigError, ConnectorConfig
from connectors.registry import Registry

_ENV_PATTERN = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def load_connectors_file(
    path: Path | str, registry: Registry, environ: Mapping[str, str]
) -> list[ConnectorConfig]:
    """Parse and validate a connectors file; raise ConfigError with one clear line."""
    path = Path(path)
    label = str(path)
    blocks = _read_blocks(path, label)
    configs: list[ConnectorConfig] = []
    seen: dict[str, str] = {}
    for index, block in enumerate(blocks):
        where = _where(index, block)
        if not isinstance(block, dict):
            raise ConfigError(f"{label}: {where}: expected a mapping of settings")
        for key in ("name", "type"):
            if not isinstance(block.get(key), str) or not block[key]:
                raise ConfigError(
                    f"{label}: {where}.{key}: required, a non-empty string"
                )
        if block["name"] in seen:
            message = f"duplicate name, already used by {seen[block['name']]}"
            raise ConfigError(f"{label}: {where}.name: {message}")
        seen[block["name"]] = f"connectors[{index}]"
        configs.append(
            _validate_block(block, registry, environ, label, where, path.parent)
        )
    return configs


def expand_env(value: Any, environ: Mapping[str, str], key: str) -> Any:
    """Replace `${NAME}` in every string of `value`; `key` names the place in errors."""
    if isinstance(value, str):
        return _ENV_PATTERN.sub(lambda match: _lookup(match, environ, key), value)
    if isinstance(value, dict):
        return {k: expand_env(v, environ, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, environ, f"{key}[{i}]") for i, v in enumerate(value)]
    return value


def _lookup(match: re.Match[str], environ: Mapping[str, str], key: str) -> str:
    name = match.group(1)
    if not _ENV_NAME.fullmatch(name):
        raise ConfigError(f"{key}: invalid environment variable reference ${{{name}}}")
    if name not in environ:
        raise ConfigError(f"{key}: environment variable {name} is not set")
    return environ[name]


def _read_blocks(path: Path, label: str) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read file: {exc.strerror}") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{label}: invalid YAML{at}") from exc
    if document is None:
        return []
    if not isinstance(document, dict) or set(document) != {"connectors"}:
        raise ConfigError(f"{label}: expected a single top-level key 'connectors'")
    blocks = document["connectors"]
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        raise ConfigError(f"{label}: connectors: expected a list of connector blocks")
    return blocks


def _where(index: int, block: object) -> str:
    name = block.get("name") if isinstance(block, dict) else None
    return (
        f"connectors[{index}] ({name})"
        if isinstance(name, str)
        else f"connectors[{index}]"
    )


def _validate_block(
    block: dict[str, Any],
    registry: Registry,
    environ: Mapping[str, str],
    label: str,
    where: str,
    base_dir: Path,
) -> ConnectorConfig:
    try:
        connector_type = registry.get(block["type"])
    except ConfigError as exc:
        raise ConfigError(f"{label}: {where}.type: {exc}") from None
    try:
        expanded = {
            key: expand_env(value, environ, f"{where}.{key}")
            for key, value in block.items()
        }
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    try:
        return connector_type.config_model.model_validate(
            expanded, context={"base_dir": base_dir}
        )
    except ValidationError as exc:
        raise ConfigError(f"{label}: {where}{_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    location = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    )
    context = error.get("ctx") or {}
    # A ValueError raised by a validator carries our own message; pydantic prefixes it.
    message = (
        str(context["error"])
        if error["type"] == "value_error" and "error" in context
        else error["msg"]
    )
    return f"{location}: {message}"
