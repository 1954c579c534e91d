"""Where shipped data lives: the top-level templates folder, beside `app/` in a checkout and
in site-packages once installed."""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
