"""Reviewer exclusion flags (NĐ 152/2025 Art. 4(4)): stored in `config`, history kept,
audited, and they hold the unit out of award proposals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from scoring.adapt import unit_flags
from scoring.awards import propose_awards
from scoring.criteria import load_shipped
from scoring.engine import score_sheet
from scoring.ranking import ScoredUnit
from scoring.units import SavingsGroup
from server.accounts import Accounts
from server.audit import Audit, AuditFilter
from server.exclusions import active_exclusions, set_exclusion
from server.settings import Settings
from sync.backends import load_store

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_flag_set_cleared_audited_and_applied(settings: Settings) -> None:
    accounts = Accounts.from_settings(settings)
    accounts.initialize()
    audit = Audit(accounts.engine)

    async def main() -> tuple[dict, dict, object]:  # type: ignore[type-arg]
        store = load_store(settings)
        await store.initialize()
        try:
            await store.create_db("config")
            subject = "savings_group:1000001"
            flag = await set_exclusion(store, audit, subject=subject, active=True,
                                       reason="Đang thanh tra theo QĐ 12/QĐ-NHCS", by="chinhanh", now=T0)
            on = await active_exclusions(store)
            with pytest.raises(ValueError, match="lý do"):
                await set_exclusion(store, audit, subject=subject, active=False, reason=" ", by="chinhanh")
            await set_exclusion(store, audit, subject=subject, active=False, reason="Đã có kết luận",
                                by="chinhanh", now=T0)
            off = await active_exclusions(store)
            return on, off, flag
        finally:
            await store.close()

    on, off, flag = asyncio.run(main())
    assert list(on) == ["savings_group:1000001"] and off == {}
    events = audit.query(AuditFilter(action="exclusion.*"))
    assert [(e.action, e.reason, e.user) for e in events] == [
        ("exclusion.clear", "Đã có kết luận", "chinhanh"),
        ("exclusion.set", "Đang thanh tra theo QĐ 12/QĐ-NHCS", "chinhanh")]
    assert all(e.doc_id == "exclusion:savings_group:1000001" and e.rev for e in events)
    accounts.close()

    cset = load_shipped()
    group = SavingsGroup(code="1000001", name="Tổ 1", commune_code="89101", leader_name="B",
                         hamlet_code="8910101", association="PN", point_code="89101-1",
                         office_code="004602", members=30, months_operating=60)
    full = {"du_no": 100, "no_qua_han": 0, "lai_phai_thu": 1, "lai_thuc_thu": 1, "goc_den_han": 1,
            "goc_thu_dung_han": 1, "so_to_vien": 1, "so_to_vien_co_tiet_kiem": 1, "so_du_tiet_kiem_dau_ky": 0,
            "so_du_tiet_kiem_cuoi_ky": 1, "ke_hoach_tang_tiet_kiem": 1, "so_phien_gd_theo_lich": 1,
            "so_phien_to_giao_dich": 1}
    flags = unit_flags(group, exclusion=on["savings_group:1000001"])
    s = score_sheet(cset, "savings_group", full, flags=flags)
    assert s.excluded == ("EX-LOAITRU",)
    r = propose_awards(cset, [ScoredUnit("savings_group:1000001", "savings_group",
                                         {"commune": "89101", "pgd": "004602", "province": "89"}, s, flags)])
    assert "Điều 4 khoản 4 Nghị định 152/2025/NĐ-CP" in r.not_proposed[0].reason_vi
    assert flag.history[0].at == T0
