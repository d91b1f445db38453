"""The shipped criteria set loads; every bad file fails with file, line and criterion."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.criteria import CRITERIA_DIR, CriteriaError, load_criteria, load_shipped

SHIPPED = (CRITERIA_DIR / "vbsp-2026.yaml").read_text(encoding="utf-8")


def test_shipped_set_loads_with_all_kinds_and_totals() -> None:
    cset = load_shipped()
    assert cset.version == "vbsp-2026" and cset.campaign_year == 2026
    assert set(cset.unit_kinds) == {"savings_group", "association_commune", "hamlet_head", "transaction_point"}
    group = cset.unit_kinds["savings_group"]
    assert [(c.id, int(c.max_points)) for c in group.criteria] == [
        ("SG1", 30), ("SG2", 20), ("SG3", 20), ("SG4", 15), ("SG5", 10), ("SG6", 5)]
    for kind in cset.unit_kinds.values():
        assert sum(c.max_points for c in kind.criteria) == kind.total_max == 100
        assert all(c.provenance.tags and c.provenance.text for c in kind.criteria)


def _load_variant(tmp_path: Path, old: str, new: str, count: int = 1) -> CriteriaError:
    assert SHIPPED.count(old) >= count, old
    path = tmp_path / "bad.yaml"
    path.write_text(SHIPPED.replace(old, new, count), encoding="utf-8")
    with pytest.raises(CriteriaError) as info:
        load_criteria(path)
    err = info.value
    assert err.file == str(path)
    assert str(err).startswith(f"{path}:{err.line}: ")
    return err


def _line(tmp_path: Path, err: CriteriaError) -> str:
    return (tmp_path / "bad.yaml").read_text(encoding="utf-8").splitlines()[err.line - 1]


def test_unknown_input(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, "ratio: {num: no_qua_han, den: du_no,", "ratio: {num: no_qua_hann, den: du_no,")
    assert err.criterion == "SG1" and "unknown input 'no_qua_hann'" in err.reason
    assert "no_qua_hann" in _line(tmp_path, err)


def test_points_above_max(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, '{op: ">=", value: 1, points: 20}', '{op: ">=", value: 1, points: 25}')
    assert err.criterion == "SG2" and "above max" in err.reason
    assert "points: 25" in _line(tmp_path, err)


def test_unreachable_band_is_an_overlap(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, '{op: ">=", value: 0.75, points: 10}', '{op: ">=", value: 0.95, points: 10}')
    assert err.criterion == "SG2" and "can never apply" in err.reason
    assert "0.95" in _line(tmp_path, err)


def test_reversed_band_overlapping_earlier_bands(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, '{op: ">", value: 0.04, points: 0}', '{op: ">", value: 0.03, points: 0}')
    assert err.criterion == "SG1" and "overlaps band 5" in err.reason
    assert "0.03" in _line(tmp_path, err)


def test_gap_between_bands(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, '{op: "<", value: 0.5, points: 0}', '{op: "<", value: 0.4, points: 0}')
    assert err.criterion == "SG2" and "gap: value 0.4, values between 0.4 and 0.5 match" in err.reason
    assert "bands:" in _line(tmp_path, err)


def test_gap_at_a_single_point(tmp_path: Path) -> None:
    old = '- {op: ">=", value: 0.9, points: 5}\n            - {op: ">=", value: 0.8, points: 4}'
    new = '- {op: ">", value: 0.9, points: 5}\n            - {op: "<", value: 0.9, points: 4}'
    bands_tail = '\n            - {op: ">=", value: 0.7, points: 3}\n            - {op: ">=", value: 0.5, points: 2}\n            - {op: "<", value: 0.5, points: 0}'
    err = _load_variant(tmp_path, old + bands_tail, new)
    assert err.criterion == "SG6" and "gap: value 0.9" in err.reason


def test_total_differs_from_declared(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, "    scale: vbsp_group_scale\n    total_max: 100", "    scale: vbsp_group_scale\n    total_max: 95")
    assert "declared total_max is 95" in err.reason
    assert "total_max: 95" in _line(tmp_path, err)


def test_unknown_scale(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, "scale: vbsp_group_scale", "scale: group_scale_x")
    assert "unknown scale 'group_scale_x'" in err.reason
    assert "group_scale_x" in _line(tmp_path, err)


def test_wrong_type_is_reported_with_line_and_criterion(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, "        max_points: 20\n        input_source: bank_export\n        provenance: {tags: [R, A], text: \"Max 20 R (VBSP-SCM); bands A.\"}",
                        "        max_points: twenty\n        input_source: bank_export\n        provenance: {tags: [R, A], text: \"Max 20 R (VBSP-SCM); bands A.\"}")
    assert err.criterion == "SG2"
    assert err.reason == "Invalid decimal string (at unit_kinds.savings_group.criteria[1].max_points)"
    assert "twenty" in _line(tmp_path, err)


def test_unknown_field_points_at_its_line(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, "        code_export: diem_thu_lai\n", "        code_export: diem_thu_lai\n        weight: 2\n")
    assert err.criterion == "SG3" and "unknown field `weight`" in err.reason
    assert "weight: 2" in _line(tmp_path, err)


def test_sum_parts_must_add_up(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, "              label_vi: \"Kiểm tra Tổ trong năm\"\n              max_points: 4", "              label_vi: \"Kiểm tra Tổ trong năm\"\n              max_points: 3")
    assert err.criterion == "AC4" and "parts add up to 14" in err.reason


def test_points_finer_than_a_tenth(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, '{op: ">=", value: 0.97, points: 8}', '{op: ">=", value: 0.97, points: 7.55}')
    assert err.criterion == "AC3" and "multiples of 0.1" in err.reason


def test_override_to_unknown_class(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, 'force_class: "Yếu"', 'force_class: "Kém"')
    assert "unknown class 'Kém'" in err.reason and "Kém" in _line(tmp_path, err)


def test_bad_if_den_zero(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, 'den: goc_den_han, if_den_zero: "1"', 'den: goc_den_han, if_den_zero: "full"')
    assert err.criterion == "SG4" and "if_den_zero" in err.reason


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, "title_vi: \"Chấm", "title_vi: [\"Chấm")
    assert err.line > 1 and "YAML syntax" in err.reason


def test_scale_must_end_at_zero(tmp_path: Path) -> None:
    err = _load_variant(tmp_path, '{label_vi: "Yếu", label_en: weak, min: 0}', '{label_vi: "Yếu", label_en: weak, min: 10}')
    assert "ending at 0" in err.reason and err.criterion is None


def test_every_rule_is_in_docs_with_its_source() -> None:
    """docs/criteria.md names every criterion, exclusion, override and award of the shipped
    set on a line that gives a provenance tag ([S], [R], [Q], [M] or [A])."""
    import re

    docs = (Path(__file__).resolve().parents[2] / "docs" / "criteria.md").read_text(encoding="utf-8")
    cset = load_shipped()
    ids = [e.id for e in cset.exclusions] + [a.id for a in cset.awards]
    for kind in cset.unit_kinds.values():
        ids += [c.id for c in kind.criteria] + [o.id for o in kind.overrides]
    ids += list(cset.classification_scales) + ["thematic_not_basis", "tie_prefers_women", "class_export"]
    def expand(line: str) -> str:  # "HH1–HH6" names HH1, HH2, ... HH6
        return re.sub(r"\b([A-Z]+)(\d)[–-]\1(\d)\b",
                      lambda m: " ".join(f"{m.group(1)}{k}" for k in range(int(m.group(2)), int(m.group(3)) + 1)), line)

    tagged = [expand(line) for line in docs.splitlines() if re.search(r"\[[SRQMA](?:, ?[SRQMA])*\]", line)]
    missing = [i for i in ids if not any(re.search(rf"(?<![\w-]){re.escape(i)}(?!\w)", line) for line in tagged)]
    assert missing == []
    for kind in cset.unit_kinds.values():  # and the data carries the tags the UI shows
        assert all(c.provenance.tags for c in kind.criteria)
        assert all(("A" in c.provenance.tags) or c.provenance.text for c in kind.criteria)
