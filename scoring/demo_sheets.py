"""The demo campaign's score sheets: about 70% of units scored (drafts, submitted, a few locked);
in the last transaction office every sheet is locked (an office whose review is finished, so
the branch has results to propose for awards right after `make demo`).

Inputs come from the generated indicators: a group's own yearly figures; associations, hamlet
heads and transaction points get the sums over their groups plus plausible manual counts.
A group's quality tier stands in for its class when counting "good" and "weak" groups.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .demo import DemoProvince
from .ids import InputValue, SheetStatus
from .sheet import ManualEntry, ScoreSheet
from .units import Unit

__all__ = ["BANK_MONTH", "MANUAL_CRITERIA", "generate_sheets", "unit_inputs"]

#: Manual criteria without a formula, per unit kind: (criterion id, max points).
MANUAL_CRITERIA: dict[str, tuple[tuple[str, int], ...]] = {
    "savings_group": (),  # the six VBSP group criteria all come from bank data
    "association_commune": (("AC7", 5), ("AC8", 5)),
    "hamlet_head": (("HH4", 15), ("HH5", 15), ("HH6", 5)),
    "transaction_point": (),
}
_EVIDENCE = (
    "Biên bản họp Tổ, sổ theo dõi",
    "Kế hoạch và báo cáo kết quả thực hiện",
    "Biên bản kiểm tra của Hội cấp xã",
    "Danh sách tập huấn, ảnh hoạt động",
    "Biên bản giao ban tại Điểm giao dịch",
)
_DEDUCTIONS = (
    "Biên bản họp chưa đầy đủ chữ ký",
    "Chậm nộp báo cáo định kỳ",
    "Chưa phối hợp xử lý hết nợ quá hạn",
    "Còn hộ vay bỏ đi chưa xác minh",
)
_SUMMED = ("du_no", "no_qua_han", "lai_phai_thu", "lai_thuc_thu")
_START = datetime(2026, 9, 1, tzinfo=UTC)
#: The month the demo's bank figures are from (BC0437: "tháng gần nhất" before scoring).
BANK_MONTH = "2026-08"


def _sums(demo: DemoProvince) -> dict[str, dict[str, int]]:
    """Per association code, hamlet code and point code: summed group figures and counts."""
    acc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for group in demo.groups:
        inputs, tier = demo.group_inputs[group.code], demo.group_tiers[group.code]
        for key in (f"{group.commune_code}-{group.association}", group.hamlet_code,
                    group.point_code):
            bucket = acc[key]
            for name in _SUMMED:
                bucket[name] += inputs[name]
            bucket["so_to"] += 1
            bucket["so_to_tot"] += tier == "good"
            bucket["so_to_yeu"] += tier == "weak"
            bucket["tang_tiet_kiem"] += max(
                0, inputs["so_du_tiet_kiem_cuoi_ky"] - inputs["so_du_tiet_kiem_dau_ky"])
            bucket["ke_hoach_tang_tiet_kiem"] += inputs["ke_hoach_tang_tiet_kiem"]
            bucket["giao_dich"] += inputs["lai_thuc_thu"] + inputs["goc_thu_dung_han"]
    return acc


def unit_inputs(unit: Unit, demo: DemoProvince, sums: dict[str, dict[str, int]],
                rng: random.Random) -> dict[str, InputValue]:
    """The criteria-draft input names for one unit, from the generated figures."""
    if unit.kind == "savings_group":
        return dict[str, InputValue](demo.group_inputs[unit.code])
    s = sums.get(unit.code, {})
    if unit.kind == "association_commune":
        so_to, new_loans = s.get("so_to", 0), rng.randint(5, 60)
        return {
            "du_no_uy_thac": s.get("du_no", 0), "no_qua_han": s.get("no_qua_han", 0),
            "lai_phai_thu": s.get("lai_phai_thu", 0), "lai_thuc_thu": s.get("lai_thuc_thu", 0),
            "so_to": so_to, "so_to_tot": s.get("so_to_tot", 0), "so_to_yeu": s.get("so_to_yeu", 0),
            "so_to_duoc_kiem_tra": (checked := so_to if rng.random() < 0.8 else rng.randint(0, so_to)),
            "so_to_dat_kiem_tra_mon_vay_cu": checked - (checked > 0 and rng.random() < 0.3),
            "so_mon_vay_moi": new_loans,
            "so_mon_vay_moi_kiem_tra_30_ngay": new_loans - (rng.random() < 0.25),
            "so_mon_vay_khong_gd_3_thang": (idle := rng.randint(0, 6)),
            "so_mon_vay_khong_gd_3_thang_kiem_tra": idle - (idle > 0 and rng.random() < 0.2),
            "so_phien_giao_ban": 12, "so_phien_giao_ban_tham_du": rng.choice((12, 12, 12, 11, 10)),
            "tang_tiet_kiem": s.get("tang_tiet_kiem", 0),
            "ke_hoach_tang_tiet_kiem": s.get("ke_hoach_tang_tiet_kiem", 0),
        }
    if unit.kind == "hamlet_head":
        return {
            "du_no_ap": s.get("du_no", 0), "no_qua_han_ap": s.get("no_qua_han", 0),
            "lai_phai_thu_ap": s.get("lai_phai_thu", 0), "lai_thuc_thu_ap": s.get("lai_thuc_thu", 0),
            "so_to_trong_ap": s.get("so_to", 0), "so_to_tot_trong_ap": s.get("so_to_tot", 0),
        }
    served = s.get("giao_dich", 0)
    return {
        "so_phien_theo_lich": 12, "so_phien_dung_lich": rng.choice((12, 12, 12, 11)),
        "gia_tri_gd_tai_xa": served * rng.randint(90, 100) // 100, "gia_tri_gd_dia_ban": served,
        "so_muc_cong_khai_dat": rng.choice((5, 5, 5, 4, 3)),
        "so_phien_giao_ban": rng.choice((12, 12, 11)),
        "so_can_bo_to_gd_min": 3 if rng.random() < 0.95 else 2,
        "so_khieu_nai_co_can_cu": 0 if rng.random() < 0.9 else 1,
        "su_co_an_toan": 0, "du_no": s.get("du_no", 0), "no_qua_han": s.get("no_qua_han", 0),
    }


def _manual(kind: str, status: SheetStatus, rng: random.Random) -> dict[str, ManualEntry]:
    entries: dict[str, ManualEntry] = {}
    for criterion, top in MANUAL_CRITERIA[kind]:
        if status == "draft" and rng.random() < 0.5:
            continue
        if rng.random() < 0.75:
            entries[criterion] = ManualEntry(points=Decimal(top), evidence=rng.choice(_EVIDENCE))
        else:
            lost = Decimal(rng.randint(1, max(1, top * 2 // 5) * 2)) / 2
            entries[criterion] = ManualEntry(
                points=max(Decimal(0), Decimal(top) - lost), evidence=rng.choice(_EVIDENCE),
                deduction_reason=rng.choice(_DEDUCTIONS))
    return entries


def generate_sheets(demo: DemoProvince, *, share: float = 0.7) -> Iterator[ScoreSheet]:
    """Sheets for about `share` of the units, deterministic from the demo's seed."""
    rng = random.Random(f"sheets-{demo.seed}-{demo.scale}")
    sums = _sums(demo)
    period = demo.campaign.periods[0].id
    reviewed = {c.code for c in demo.communes if demo.offices and c.office_code == demo.offices[-1].code}
    for unit in demo.units():
        if rng.random() >= share:
            continue
        roll = rng.random()
        status: SheetStatus = "draft" if roll < 0.35 else "submitted" if roll < 0.92 else "locked"
        created = _START + timedelta(seconds=rng.randrange(60 * 86400))
        office = getattr(unit, "office_code", None) or unit.commune_code
        inputs, manual = unit_inputs(unit, demo, sums, rng), _manual(unit.kind, status, rng)
        if unit.commune_code in reviewed and status != "locked":
            # drawn from the shared sequence above (the other offices' sheets stay the same),
            # then completed as a reviewed sheet is
            status = "locked"
            manual = _manual(unit.kind, status, random.Random(f"locked-{demo.seed}-{unit.unit_id}"))
        yield ScoreSheet(
            campaign=demo.campaign.id, period=period, unit_kind=unit.kind,  # type: ignore[arg-type]
            unit_code=unit.code, commune_code=unit.commune_code,
            inputs=inputs, manual=manual,
            status=status, scorer=f"demo-{office}", device_id="demo-seed",
            created_at=created, updated_at=created + timedelta(seconds=rng.randrange(7 * 86400)),
            bank_month=BANK_MONTH)
