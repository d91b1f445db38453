"""Deterministic demo province (or nation) in today's two-tier administration.

`generate_province(seed, scale)` builds province -> communes/wards/special zones -> hamlets,
one VBSP branch per province with its transaction offices (PGD) and commune transaction
points (ĐGD), Savings and Loan Groups with realistic yearly indicators, the 4 entrusted
associations per commune and a hamlet head per hamlet. Only `random.Random(seed)` is used,
so the same seed gives byte-identical output. Score sheets: `scoring.demo_sheets`.

Network shape as VBSP has it (vbsp-notes Corrections §6): a commune with two transaction
points has hamlets served by both (each group by exactly one point); direct loans outside
any group (association 99, group 0000000) exist per commune (`direct_loans`) and are never
a scored unit. Women's shares of groups and associations and hamlet heads' sex are known
for most units (NĐ 152/2025 Art. 4(6) tie rule).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

import msgspec

from . import demo_names as names
from .campaign import Campaign, MonthRule, Period
from .ids import AssociationType, CommuneKind
from .places import Branch, Commune, Hamlet, Province, TransactionOffice, TransactionPoint
from .units import CommuneAssociation, HamletHead, SavingsGroup, ScoredPoint, Unit

__all__ = ["SCALES", "DemoProvince", "Scale", "Tier", "generate_province"]

Tier = Literal["good", "fair", "weak"]
CAMPAIGN_YEAR = 2026
CRITERIA_VERSION = "vbsp-2026"  # scoring/criteria/<version>.yaml


class Scale(msgspec.Struct, frozen=True):
    """Size knobs: inclusive ranges, drawn per province / commune / hamlet."""

    provinces: int
    communes: tuple[int, int]
    hamlets_per_commune: tuple[int, int]
    groups_per_hamlet: tuple[int, int]
    communes_per_office: float


SCALES: dict[str, Scale] = {
    "province": Scale(1, (38, 42), (5, 10), (2, 6), 6.5),
    "national": Scale(34, (90, 106), (10, 15), (3, 5), 5.0),
}


class DemoProvince(msgspec.Struct, kw_only=True):
    """Everything generated; `group_inputs` holds each group's yearly savings_group inputs."""

    seed: int
    scale: str
    provinces: tuple[Province, ...]
    branches: tuple[Branch, ...]
    communes: tuple[Commune, ...]
    hamlets: tuple[Hamlet, ...]
    offices: tuple[TransactionOffice, ...]
    points: tuple[TransactionPoint, ...]
    groups: tuple[SavingsGroup, ...]
    associations: tuple[CommuneAssociation, ...]
    hamlet_heads: tuple[HamletHead, ...]
    scored_points: tuple[ScoredPoint, ...]
    campaign: Campaign
    group_inputs: dict[str, dict[str, int]]
    group_tiers: dict[str, Tier]
    direct_loans: dict[str, int] = {}  # commune code -> outstanding of direct loans (VND)

    @property
    def province(self) -> Province:
        return self.provinces[0]

    def units(self) -> Iterator[Unit]:
        """Every scored unit: groups, associations, hamlet heads, transaction points."""
        yield from self.groups
        yield from self.associations
        yield from self.hamlet_heads
        yield from self.scored_points

    def directory_docs(self) -> Iterator[dict[str, object]]:
        """`config` database documents (territory, bank units, scored units, campaign)."""
        for part in (self.provinces, self.branches, self.offices, self.communes, self.hamlets,
                     self.points):
            for item in part:
                yield item.to_doc()
        for unit in self.units():
            yield unit.to_doc()
        yield self.campaign.to_doc()


def demo_campaign(year: int = CAMPAIGN_YEAR) -> Campaign:
    return Campaign(
        id=str(year),
        year=year,
        name=f"Thi đua thực hiện tín dụng chính sách xã hội năm {year}",
        periods=(Period(id=str(year), label=f"Cả năm {year}", start=f"{year}-01-01",
                        end=f"{year}-12-31", bank_months=MonthRule(how="latest")),),
        criteria_version=CRITERIA_VERSION,
        movement="thematic",
    )


class _Names:
    """Fast person-name draws from the pools (cumulative weights computed once)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cum = list(itertools.accumulate(names.SURNAME_WEIGHTS))

    def person(self, female: bool) -> str:
        rng = self.rng
        surname = rng.choices(names.SURNAMES, cum_weights=self.cum)[0]
        if female:
            return f"{surname} {rng.choice(names.MIDDLE_FEMALE)} {rng.choice(names.GIVEN_FEMALE)}"
        return f"{surname} {rng.choice(names.MIDDLE_MALE)} {rng.choice(names.GIVEN_MALE)}"


def _round_k(value: float) -> int:
    """Money rounded to 1,000 VND."""
    return int(round(value / 1000)) * 1000


def group_indicators(rng: random.Random, members: int) -> tuple[Tier, dict[str, int]]:
    """One group's yearly savings_group inputs; most groups good, a tail of weak ones."""
    roll = rng.random()
    tier: Tier = "good" if roll < 0.88 else "fair" if roll < 0.975 else "weak"
    du_no = min(3_000_000_000, max(500_000_000, members * rng.uniform(25e6, 50e6)))
    if tier == "good":
        overdue = 0.0 if rng.random() < 0.7 else rng.uniform(0.0, 0.005)
        interest, principal = rng.uniform(0.99, 1.0), rng.uniform(0.99, 1.0)
        sessions = 12 if rng.random() < 0.9 else 11
        growth, saving_share = rng.uniform(0.95, 1.4), rng.uniform(0.82, 1.0)
    elif tier == "fair":
        overdue = rng.uniform(0.0, 0.012)
        interest, principal = rng.uniform(0.97, 0.995), rng.uniform(0.95, 0.995)
        sessions = rng.randint(10, 12)
        growth, saving_share = rng.uniform(0.6, 1.1), rng.uniform(0.72, 0.95)
    else:
        overdue = rng.uniform(0.02, 0.09)
        interest, principal = rng.uniform(0.75, 0.95), rng.uniform(0.6, 0.9)
        sessions = rng.randint(5, 10)
        growth, saving_share = rng.uniform(-0.2, 0.6), rng.uniform(0.3, 0.8)
    interest_due = du_no * rng.uniform(0.060, 0.072)
    principal_due = du_no * rng.uniform(0.15, 0.35)
    savings_start = members * rng.uniform(1e6, 6e6)
    target = max(100_000, round(members * rng.uniform(4e5, 1.5e6), -5))
    savings_end = max(0.0, savings_start + target * growth)
    inputs = {
        "du_no": _round_k(du_no),
        "no_qua_han": _round_k(du_no * overdue),
        "lai_phai_thu": _round_k(interest_due),
        "lai_thuc_thu": _round_k(interest_due * interest),
        "goc_den_han": _round_k(principal_due),
        "goc_thu_dung_han": _round_k(principal_due * principal),
        "so_to_vien": members,
        "so_to_vien_co_tiet_kiem": min(members, round(members * saving_share)),
        "so_du_tiet_kiem_dau_ky": _round_k(savings_start),
        "so_du_tiet_kiem_cuoi_ky": _round_k(savings_end),
        "ke_hoach_tang_tiet_kiem": int(target),
        "so_phien_gd_theo_lich": 12,
        "so_phien_to_giao_dich": sessions,
    }
    return tier, inputs


class _Builder:
    """Accumulates one generation run; `province()` adds one province's tree."""

    def __init__(self, seed: int, scale: Scale) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.names = _Names(self.rng)
        self.out: dict[str, list[object]] = {
            k: [] for k in ("provinces", "branches", "communes", "hamlets", "offices", "points",
                            "groups", "associations", "hamlet_heads", "scored_points")
        }
        self.group_inputs: dict[str, dict[str, int]] = {}
        self.group_tiers: dict[str, Tier] = {}
        self.direct_loans: dict[str, int] = {}

    def province(self, index: int) -> None:
        rng, scale = self.rng, self.scale
        pcode, pname, kind_name = names.PROVINCES[index]
        pkind: Literal["tinh", "thanh_pho"] = "tinh" if kind_name == "tinh" else "thanh_pho"
        title = "Tỉnh" if pkind == "tinh" else "Thành phố"
        self.out["provinces"].append(Province(code=pcode, name=f"{title} {pname}", kind=pkind))
        prefix = f"{46 + index:04d}"
        branch = Branch(code=f"{prefix}01", name=f"Chi nhánh NHCSXH {title.lower()} {pname}",
                        province_code=pcode)
        self.out["branches"].append(branch)
        n_communes = rng.randint(*scale.communes)
        n_offices = max(2, round(n_communes / scale.communes_per_office))
        sizes = [2] * n_offices  # each PGD covers at least 2 communes
        for _ in range(n_communes - 2 * n_offices):
            sizes[rng.randrange(n_offices)] += 1
        ends = list(itertools.accumulate(sizes))
        bounds = list(zip([0, *ends[:-1]], ends, strict=True))
        districts = rng.sample(names.OLD_DISTRICTS, min(n_offices, len(names.OLD_DISTRICTS)))
        used: set[str] = set()
        wards = list(names.WARDS)
        rng.shuffle(wards)
        has_zone = index % 3 == 0
        group_seq = itertools.count(1_000_001 + 20_000 * index)
        for k, (lo, hi) in enumerate(bounds):
            district = districts[k % len(districts)]
            office_code = f"{prefix}{k + 2:02d}"
            codes = [f"{pcode}{101 + 3 * i + rng.randint(0, 2):03d}" for i in range(lo, hi)]
            self.out["offices"].append(TransactionOffice(
                code=office_code, name=f"PGD NHCSXH {district}", branch_code=branch.code,
                seat_commune_code=codes[0], commune_codes=tuple(codes)))
            for j, ccode in enumerate(codes):
                kind: CommuneKind
                if j == 0:
                    kind = "phuong"
                elif has_zone and k == len(bounds) - 1 and j == len(codes) - 1:
                    kind = "dac_khu"
                else:
                    kind = "xa"
                name = self._commune_name(kind, wards, used)
                commune = Commune(code=ccode, name=name, kind=kind, province_code=pcode,
                                  office_code=office_code, old_district_code=f"{pcode}{k + 1:02d}",
                                  old_district_name=f"Huyện {district}")
                self.out["communes"].append(commune)
                self._commune(commune, group_seq)

    def _commune_name(self, kind: str, wards: list[str], used: set[str]) -> str:
        rng = self.rng
        if kind == "dac_khu":
            base = names.SPECIAL_ZONES[rng.randrange(len(names.SPECIAL_ZONES))]
        elif kind == "phuong" and wards:
            base = wards.pop()
        else:
            base = f"{rng.choice(names.COMMUNE_FIRST)} {rng.choice(names.COMMUNE_SECOND)}"
            while base in used or base.split()[-1] == base.split()[0]:
                base = f"{rng.choice(names.COMMUNE_FIRST)} {rng.choice(names.COMMUNE_SECOND)}"
        used.add(base)
        title = {"xa": "Xã", "phuong": "Phường", "dac_khu": "Đặc khu"}[kind]
        return f"{title} {base}"

    def _hamlet_names(self, kind: str, count: int) -> list[str]:
        if kind == "phuong":
            return [f"Khu vực {i + 1}" for i in range(count)]
        if kind == "dac_khu":
            return [f"Khu phố {i + 1}" for i in range(count)]
        chosen: list[str] = []
        while len(chosen) < count:
            a, b = self.rng.sample(names.HAMLET_WORDS, 2)
            if (name := f"Ấp {a} {b}") not in chosen:
                chosen.append(name)
        return chosen

    def _commune(self, commune: Commune, group_seq: Iterator[int]) -> None:
        rng, out = self.rng, self.out
        n_hamlets = rng.randint(*self.scale.hamlets_per_commune)
        hamlets = [Hamlet(code=f"{commune.code}{i + 1:02d}", name=name, commune_code=commune.code)
                   for i, name in enumerate(self._hamlet_names(commune.kind, n_hamlets))]
        out["hamlets"].extend(hamlets)
        for hamlet in hamlets:
            female = rng.random() < 0.3
            out["hamlet_heads"].append(HamletHead(
                code=hamlet.code, name=f"Trưởng {hamlet.name[0].lower()}{hamlet.name[1:]}",
                commune_code=commune.code, hamlet_code=hamlet.code,
                person_name=self.names.person(female), female=female))
        base_name = f"{commune.name[0].lower()}{commune.name[1:]}"
        for assoc in _ASSOCS:
            out["associations"].append(CommuneAssociation(
                code=f"{commune.code}-{assoc}", name=f"{_ASSOC_SHORT[assoc]} {base_name}",
                commune_code=commune.code, association=assoc,
                chair_name=self.names.person(assoc == "PN" or rng.random() < 0.2),
                women_share=Decimal(1) if assoc == "PN" else None))
        self.direct_loans[commune.code] = _round_k(rng.uniform(0.005, 0.02) * 40e9)
        two_points = n_hamlets >= 6 and rng.random() < 0.3
        split = rng.randint(2, n_hamlets - 2) if two_points else n_hamlets
        # the two hamlets at the boundary are served by both points (many-to-many)
        served = [hamlets[:split + 1], hamlets[split - 1:]] if two_points else [hamlets]
        points: list[TransactionPoint] = []
        for k, part in enumerate(served):
            suffix = "" if k == 0 else f" (điểm số {k + 1})"
            point = TransactionPoint(
                code=f"{commune.code}-{k + 1}", name=f"Điểm giao dịch {base_name}{suffix}",
                office_code=commune.office_code, commune_code=commune.code,
                hamlet_codes=tuple(h.code for h in part), schedule_day=rng.randint(1, 28))
            out["points"].append(point)
            points.append(point)
            out["scored_points"].append(ScoredPoint(
                code=point.code, name=point.name, commune_code=commune.code,
                office_code=commune.office_code))
        for hamlet in hamlets:
            self._groups(hamlet, [p for p in points if hamlet.code in p.hamlet_codes], group_seq)

    def _groups(self, hamlet: Hamlet, points: list[TransactionPoint], group_seq: Iterator[int]) -> None:
        rng = self.rng
        for n in range(rng.randint(*self.scale.groups_per_hamlet)):
            point = points[0] if len(points) == 1 else points[n % len(points)]
            code = f"{next(group_seq):07d}"
            members = rng.randint(20, 60)
            female = rng.random() < 0.65
            months = rng.randint(24, 240) if rng.random() > 0.02 else rng.randint(1, 8)
            flag = rng.random()
            self.out["groups"].append(SavingsGroup(
                code=code, name=f"Tổ TK&VV số {n + 1} {hamlet.name}",
                leader_name=self.names.person(female), hamlet_code=hamlet.code,
                commune_code=hamlet.commune_code,
                association=rng.choices(_ASSOCS, cum_weights=_ASSOC_CUM)[0],
                point_code=point.code, office_code=point.office_code, members=members,
                months_operating=months, fraud=flag < 0.003, under_inspection=0.003 <= flag < 0.008,
                women_share=_SHARES[int(roll * 88.75)] if (roll := rng.random()) < 0.8 else None))
            tier, inputs = group_indicators(rng, members)
            self.group_tiers[code] = tier
            self.group_inputs[code] = inputs


_ASSOCS: tuple[AssociationType, ...] = ("PN", "ND", "CCB", "TN")
_SHARES = tuple(Decimal(k) / 100 for k in range(30, 101))  # women's share of a group, 0.30..1.00
_ASSOC_CUM = (42, 78, 92, 100)
_ASSOC_SHORT = {"PN": "Hội LHPN", "ND": "Hội Nông dân", "CCB": "Hội CCB", "TN": "Đoàn TN"}


def generate_province(seed: int = 1, scale: str = "province") -> DemoProvince:
    """A demo province (`scale="province"`) or 34 provinces (`"national"`), fixed by `seed`."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    builder = _Builder(seed, SCALES[scale])
    for index in range(SCALES[scale].provinces):
        builder.province(index)
    parts = {key: tuple(items) for key, items in builder.out.items()}
    return DemoProvince(seed=seed, scale=scale, campaign=demo_campaign(),
                        group_inputs=builder.group_inputs, group_tiers=builder.group_tiers,
                        direct_loans=builder.direct_loans, **parts)  # type: ignore[arg-type]
