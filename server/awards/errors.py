"""The one error type of award work: a plain Vietnamese message, nothing written."""

from __future__ import annotations

__all__ = ["AwardError"]


class AwardError(ValueError):
    """A refused award operation (bad input or state); nothing was printed or written."""
