"""Vietnamese labels of unit kinds, sheet states and levels; class labels of a criteria set."""

from __future__ import annotations

from functools import lru_cache

from scoring import load_shipped

__all__ = ["KIND_LABELS", "LEVEL_LABELS", "STATUS_LABELS", "class_labels", "kind_classes"]

KIND_LABELS = {"savings_group": "Tổ TK&VV", "association_commune": "Hội đoàn thể cấp xã",
               "hamlet_head": "Trưởng ấp, khu phố", "transaction_point": "Điểm giao dịch xã",
               "staff": "Cán bộ"}
STATUS_LABELS = {"draft": "Nháp", "submitted": "Đã gửi", "reviewed": "Đã duyệt",
                 "locked": "Đã chốt"}
LEVEL_LABELS = {"province": "Tỉnh, thành phố", "pgd": "Phòng giao dịch", "commune": "Xã, phường",
                "hamlet": "Ấp, khu phố"}


@lru_cache(maxsize=16)
def kind_classes(version: str, kind: str) -> tuple[str, ...]:
    """The class labels of `kind`'s scale in criteria set `version`, best first."""
    cset = load_shipped(version)
    unit = cset.unit_kinds.get(kind)
    if unit is None:
        return ()
    bands = sorted(cset.classification_scales[unit.scale].bands, key=lambda b: -b.min)
    return tuple(b.label_vi for b in bands)


@lru_cache(maxsize=16)
def class_labels(version: str) -> tuple[str, ...]:
    """Every class label of criteria set `version`, best first."""
    cset = load_shipped(version)
    bands = sorted((b for s in cset.classification_scales.values() for b in s.bands),
                   key=lambda b: -b.min)
    return tuple(dict.fromkeys(b.label_vi for b in bands))
