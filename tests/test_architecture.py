"""Architecture rules that code review alone would let slip."""

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
APP = ROOT / "app"
LIFECYCLE = APP / "requests" / "lifecycle.py"
WEB_MODULES = {
    "api.py",
    "views.py",
    "web.py",
    "errors.py",
    "main.py",
    "ops.py",
    "access.py",
    "api_docs.py",
}
WEB_PACKAGE = APP / "ui"  # the staff UI: pages only


def _python_files(folder: Path) -> list[Path]:
    return [
        path for path in folder.rglob("*.py") if "migrations/versions" not in str(path)
    ]


def _status_writes(tree: ast.AST) -> list[int]:
    """Lines that assign `<ticket>.status` or pass `status=` to DsrRequest / an UPDATE of it."""
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "status"
                and isinstance(target.value, ast.Name)
                and target.value.id in {"dsr", "ticket", "request"}
            ):
                lines.append(node.lineno)
        if isinstance(node, ast.Call) and any(
            kw.arg == "status" for kw in node.keywords
        ):
            source = ast.unparse(node.func)
            if (
                source in {"DsrRequest", "update(DsrRequest).values"}
                or "DsrRequest" in source
            ):
                lines.append(node.lineno)
    return lines


def test_only_the_lifecycle_writes_ticket_status() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files(APP)
        if path != LIFECYCLE
        for line in _status_writes(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_the_status_check_sees_a_violation() -> None:
    sample = "dsr.status = 'completed'\nupdate(DsrRequest).values(status='x')\nDsrRequest(status=1)"
    assert _status_writes(ast.parse(sample)) == [1, 2, 3]


def test_services_know_nothing_of_http() -> None:
    offenders = []
    for path in _python_files(APP):
        if path.name in WEB_MODULES or WEB_PACKAGE in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                )
                if any(
                    name.split(".")[0] in {"fastapi", "starlette"} for name in names
                ):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_connectors_never_import_app() -> None:
    offenders = []
    for path in _python_files(ROOT / "connectors"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[0] == "app"
            ):
                offenders.append(str(path.relative_to(ROOT)))
            if isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == "app" for a in node.names
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_nothing_reads_the_environment_but_settings() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _python_files(APP)
        if path.name != "settings.py"
        and ("os.environ" in path.read_text() or "getenv(" in path.read_text())
    ]
    assert offenders == []
