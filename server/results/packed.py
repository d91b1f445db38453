"""The packed criteria of a result (`result_breakdown.packed_criteria`): a JSON array of
`[id, label_vi, points, max_points, source, explanation]`, in the criteria set's order."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

__all__ = ["PackedCriterion", "pack_criteria", "unpack_criteria"]


class PackedCriterion(msgspec.Struct, array_like=True, frozen=True):
    """One criterion of a result: points in tenths; `source` is `formula`, `manual`,
    `bank_export_points` or `mixed`."""

    id: str
    label_vi: str
    points: int
    max_points: int
    source: str
    explanation: str


_ENCODE = msgspec.json.Encoder().encode
_DECODE = msgspec.json.Decoder(tuple[PackedCriterion, ...]).decode


def pack_criteria(criteria: Iterable[PackedCriterion]) -> str:
    return _ENCODE(list(criteria)).decode()


def unpack_criteria(packed: str | bytes) -> tuple[PackedCriterion, ...]:
    return _DECODE(packed)
