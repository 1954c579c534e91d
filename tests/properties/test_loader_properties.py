"""Any YAML given as connectors.yaml or as a SQL dataset: a valid config or one clear error."""

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import ConfigError
from connectors.config import load_connectors_file
from connectors.registry import load_types
from connectors.sql.dataset import load_dataset

REGISTRY = load_types()
KEYS = st.sampled_from(
    [
        "name",
        "type",
        "url",
        "secret",
        "dataset",
        "actions",
        "timeout",
        "enabled",
        "instructions",
        "tables",
        "identity",
        "primary_key",
        "references",
        "strategy",
        "connectors",
        "x",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["sql", "webhook", "manual", "${MISSING}", "${DSR_X}", "access"])
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6)
    ),
    max_leaves=20,
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.one_of(DOCUMENTS, st.builds(lambda c: {"connectors": c}, DOCUMENTS)))
def test_any_connectors_file_loads_or_is_one_clear_error(tmp_path: Path, document):
    path = tmp_path / "connectors.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    try:
        configs = load_connectors_file(path, REGISTRY, {"DSR_X": "value"})
    except ConfigError as error:
        message = str(error)
    else:
        assert all(config.name and config.type in REGISTRY.types for config in configs)
        return
    assert message.startswith(str(path))
    assert "\n" not in message


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(DOCUMENTS)
def test_any_dataset_file_loads_or_is_one_clear_error(tmp_path: Path, document):
    path = tmp_path / "dataset.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    try:
        load_dataset(path)
    except ConfigError as error:
        message = str(error)
    else:
        return
    assert message.startswith(str(path))
    assert "\n" not in message
