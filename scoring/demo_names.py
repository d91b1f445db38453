"""Vietnamese name pools for the demo generator (NFC; Mekong-delta flavoured place names).

Person names follow the usual surname / middle / given pattern with roughly realistic
surname frequencies (Nguyễn, Trần, Lê, ... first and more often).
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "COMMUNE_FIRST",
    "COMMUNE_SECOND",
    "GIVEN_FEMALE",
    "GIVEN_MALE",
    "HAMLET_WORDS",
    "MIDDLE_FEMALE",
    "MIDDLE_MALE",
    "OLD_DISTRICTS",
    "PROVINCES",
    "SPECIAL_ZONES",
    "SURNAMES",
    "SURNAME_WEIGHTS",
    "WARDS",
]


def _nfc(words: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", w.strip()) for w in words.split(",") if w.strip())


#: (code, name, kind) of the 34 province-level units after NQ 202/2025/QH15 (codes are demo codes).
PROVINCES: tuple[tuple[str, str, str], ...] = tuple(
    (code, unicodedata.normalize("NFC", name), kind)
    for code, name, kind in (
        ("89", "An Giang", "tinh"), ("01", "Hà Nội", "thanh_pho"), ("79", "Hồ Chí Minh", "thanh_pho"),
        ("31", "Hải Phòng", "thanh_pho"), ("48", "Đà Nẵng", "thanh_pho"), ("92", "Cần Thơ", "thanh_pho"),
        ("46", "Huế", "thanh_pho"), ("04", "Cao Bằng", "tinh"), ("08", "Tuyên Quang", "tinh"),
        ("11", "Điện Biên", "tinh"), ("12", "Lai Châu", "tinh"), ("14", "Sơn La", "tinh"),
        ("15", "Lào Cai", "tinh"), ("19", "Thái Nguyên", "tinh"), ("20", "Lạng Sơn", "tinh"),
        ("22", "Quảng Ninh", "tinh"), ("24", "Bắc Ninh", "tinh"), ("25", "Phú Thọ", "tinh"),
        ("33", "Hưng Yên", "tinh"), ("37", "Ninh Bình", "tinh"), ("38", "Thanh Hóa", "tinh"),
        ("40", "Nghệ An", "tinh"), ("42", "Hà Tĩnh", "tinh"), ("44", "Quảng Trị", "tinh"),
        ("51", "Quảng Ngãi", "tinh"), ("52", "Gia Lai", "tinh"), ("56", "Khánh Hòa", "tinh"),
        ("66", "Đắk Lắk", "tinh"), ("68", "Lâm Đồng", "tinh"), ("75", "Đồng Nai", "tinh"),
        ("80", "Tây Ninh", "tinh"), ("82", "Đồng Tháp", "tinh"), ("86", "Vĩnh Long", "tinh"),
        ("96", "Cà Mau", "tinh"),
    )
)

#: Former districts of the demo province: a PGD is named after the district it served.
OLD_DISTRICTS = _nfc(
    "Châu Thành, Thoại Sơn, Chợ Mới, Phú Tân, Tân Châu, Tri Tôn, Tịnh Biên, An Phú, "
    "Châu Phú, Hòn Đất, Giồng Riềng, Gò Quao, Vĩnh Thuận, An Biên, U Minh Thượng, Kiên Lương, "
    "Giang Thành, Tân Hiệp, Châu Thành A, Long Mỹ, Phụng Hiệp, Vị Thủy, Mỹ Tú, Kế Sách"
)

COMMUNE_FIRST = _nfc(
    "Tân, Long, Mỹ, Phú, Vĩnh, Bình, Hòa, An, Thạnh, Nhơn, Định, Hưng, Thới, Phước, Lợi, "
    "Khánh, Vọng, Óc, Cô, Lương, Kiên, Thuận, Đông"
)
COMMUNE_SECOND = _nfc(
    "Hòa, Điền, Hưng, Thạnh, An, Phú, Lợi, Mỹ, Bình, Thuận, Khánh, Lộc, Thê, Eo, Tô, "
    "Thành, Hội, Đông, Tây, Xuân, Trung, Quới, Hậu, Lạc, Phong, Tiến, Thắng"
)
WARDS = _nfc(
    "Long Xuyên, Châu Đốc, Rạch Giá, Hà Tiên, Bình Đức, Mỹ Thới, Vĩnh Tế, Tịnh Biên, "
    "Tân Châu, Long Phú, Vĩnh Thông, Thới Sơn, Chi Lăng, Mỹ Long"
)
SPECIAL_ZONES = _nfc("Phú Quốc, Kiên Hải, Thổ Châu")

#: Hamlets are named `Ấp <word> <word>` in rural communes, `Khu vực <n>` in wards.
HAMLET_WORDS = _nfc(
    "Tân, Hòa, Long, Mỹ, Phú, Thạnh, An, Bình, Hưng, Thới, Lợi, Đông, Tây, Nam, Bắc, "
    "Trung, Hậu, Phước, Khánh, Thuận, Lộc, Xuân, Vĩnh, Kênh, Giồng, Rạch, Cồn"
)

SURNAMES = _nfc(
    "Nguyễn, Trần, Lê, Phạm, Huỳnh, Hoàng, Võ, Phan, Trương, Bùi, Đặng, Đỗ, Ngô, Hồ, "
    "Dương, Đinh, Lâm, Lý, Tô, Châu, Thái, Danh, Thạch, Quách"
)
SURNAME_WEIGHTS: tuple[int, ...] = (
    38, 11, 9, 7, 5, 3, 4, 4, 2, 2, 2, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
)
MIDDLE_FEMALE = _nfc("Thị, Thị, Thị, Ngọc, Thanh, Kim, Thu, Mỹ, Bích, Hồng")
MIDDLE_MALE = _nfc("Văn, Văn, Văn, Minh, Hữu, Thanh, Quốc, Công, Đức, Hoàng")
GIVEN_FEMALE = _nfc(
    "Lan, Hoa, Hương, Mai, Cúc, Đào, Hạnh, Hằng, Thủy, Nga, Oanh, Phượng, Trang, Tuyết, "
    "Xuân, Yến, Loan, Nhung, Diễm, Thảo, Thắm, Bé, Út, Liên, Nguyệt, Ngân"
)
GIVEN_MALE = _nfc(
    "Hùng, Dũng, Tâm, Thành, Phước, Lộc, Tài, Nghĩa, Trung, Hiếu, Sơn, Tuấn, Khánh, Phúc, "
    "Quang, Bảy, Tư, Sáu, Năm, Cường, Thắng, Hải, Đông, Nhân, Lực, Vũ"
)
