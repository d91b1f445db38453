"""The Jinja2 environment of `reports/templates` (autoescaped; shared by pages and PDFs)."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from scoring.numbers import format_points

from .svg import class_chart

__all__ = ["environment"]


def _vi_int(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["points"] = format_points
    env.filters["vi_int"] = _vi_int
    env.globals["chart"] = lambda counts, title="": Markup(class_chart(counts, title))  # noqa: S704 - built from escaped parts
    return env
