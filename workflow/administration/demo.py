"""The demo department of CONTRACT.md ("seed-demo"): units, people, campaigns, a council's members, accounts."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Campaign, Council, CouncilMember, DisciplineRecord, Person, Unit, User, fold
from workflow import clock
from workflow.administration.accounts import create_user
from workflow.errors import ValidationFailed

UNITS = [
    # code, name, kind, parent code, place
    ("BTP", "Bộ Tư pháp", "ministry", None, "Hà Nội"),
    ("STP", "Sở Tư pháp tỉnh An Giang", "department", "BTP", "An Giang"),
    ("VP", "Văn phòng Sở", "division", "STP", None),
    ("TTR", "Thanh tra Sở", "division", "STP", None),
    ("PBGDPL", "Phòng Phổ biến, giáo dục pháp luật", "division", "STP", None),
    ("HCTP", "Phòng Hành chính tư pháp", "division", "STP", None),
    ("XDKT", "Phòng Xây dựng, kiểm tra và theo dõi thi hành pháp luật", "division", "STP", None),
    ("TGPL", "Trung tâm Trợ giúp pháp lý", "division", "STP", None),
    ("PTP-LX", "Phòng Tư pháp thành phố Long Xuyên", "district_office", "STP", None),
    ("PTP-CD", "Phòng Tư pháp thành phố Châu Đốc", "district_office", "STP", None),
    ("STP2", "Sở Tư pháp tỉnh Khánh Hòa", "department", "BTP", "Khánh Hòa"),
    ("STP2-VP", "Văn phòng Sở Tư pháp tỉnh Khánh Hòa", "division", "STP2", None),
]

PEOPLE = {
    # unit: [(full name, position, employment, head?)]
    "VP": [("Trần Thị Thu Hà", "Chánh Văn phòng", "cong_chuc", True),
        ("Lê Văn Phúc", "Chuyên viên", "cong_chuc", False),
           ("Nguyễn Hoàng Anh", "Chuyên viên", "cong_chuc", False)],
    "TTR": [("Phạm Quốc Bảo", "Chánh Thanh tra", "cong_chuc", True),
        ("Đỗ Thị Mai", "Thanh tra viên", "cong_chuc", False)],
    "PBGDPL": [("Võ Minh Tuấn", "Trưởng phòng", "cong_chuc", True),
        ("Nguyễn Thị Lan", "Chuyên viên", "cong_chuc", False),
               ("Huỳnh Văn Đức", "Chuyên viên", "cong_chuc", False),
        ("Lâm Thị Ngọc Ánh", "Chuyên viên", "tap_su", False)],
    "HCTP": [("Trương Văn Hùng", "Trưởng phòng", "cong_chuc", True),
        ("Phan Thị Kim Oanh", "Chuyên viên", "cong_chuc", False),
             ("Bùi Thanh Sơn", "Nhân viên", "hop_dong_duoi_1_nam", False)],
    "XDKT": [("Đặng Văn Long", "Trưởng phòng", "cong_chuc", True),
        ("Cao Thị Hồng", "Chuyên viên", "cong_chuc", False)],
    "TGPL": [("Nguyễn Văn Thành", "Giám đốc Trung tâm", "vien_chuc", True),
             ("Lý Thị Diễm", "Trợ giúp viên pháp lý", "vien_chuc", False),
             ("Tạ Văn Nam", "Người lao động", "nguoi_lao_dong", False)],
    "PTP-LX": [("Hồ Văn Lực", "Trưởng phòng", "cong_chuc", True),
        ("Châu Thị Bích", "Chuyên viên", "cong_chuc", False)],
    "PTP-CD": [("Mai Văn Chiến", "Trưởng phòng", "cong_chuc", True),
        ("Kiều Thị Thảo", "Chuyên viên", "cong_chuc", False),
               ("Dương Văn Khoa", "Chuyên viên", "cong_chuc", False)],
    "STP": [("Nguyễn Văn Giám", "Giám đốc Sở", "cong_chuc", True),
        ("Lê Thị Phó", "Phó Giám đốc Sở", "cong_chuc", False)],
    "STP2-VP": [("Phạm Thị Khánh", "Chánh Văn phòng", "cong_chuc", True),
        ("Trần Văn Hòa", "Chuyên viên", "cong_chuc", False)],
    "BTP": [("Vũ Thị Bộ", "Chuyên viên Vụ Thi đua – Khen thưởng", "cong_chuc", False)],
}

# username, roles, unit code, person (unit, index in PEOPLE) or None
ACCOUNTS = [
    ("admin", ["admin"], None, None),
    ("vanphong", ["secretariat", "council_member"], "VP", ("VP", 1)),
    ("giamdoc", ["director", "council_member"], "STP", ("STP", 0)),
    ("hoidong1", ["council_member"], "PBGDPL", ("PBGDPL", 2)),
    ("hoidong2", ["council_member"], "TTR", ("TTR", 0)),
    ("hoidong3", ["council_member"], "XDKT", ("XDKT", 0)),
    ("hoidong4", ["council_member"], "TGPL", ("TGPL", 0)),
    ("hoidong5", ["council_member"], "VP", ("VP", 0)),
    ("tp_pbgdpl", ["unit_head"], "PBGDPL", ("PBGDPL", 0)),
    ("tp_hctp", ["unit_head"], "HCTP", ("HCTP", 0)),
    ("tp_ptpcd", ["unit_head"], "PTP-CD", ("PTP-CD", 0)),
    ("tp_stp2", ["unit_head"], "STP2-VP", ("STP2-VP", 0)),
    ("botp", ["ministry_reviewer"], "BTP", ("BTP", 0)),
    ("bientap", ["editor"], "VP", ("VP", 2)),
    ("thanhtra", ["auditor"], "TTR", ("TTR", 1)),
    ("canbo1", ["staff"], "PBGDPL", ("PBGDPL", 1)),
    # The deputy director (CONTRACT.md): the director role held as a deputy (`UserRole.deputy`, see DEPUTIES): reads
    # what the director reads, signs nothing of their own; under a delegation in force signs "KT. GIÁM ĐỐC / PHÓ GIÁM
    # ĐỐC" (workflow.policy, `Grant.signs`).
    ("phogiamdoc", ["director"], "STP", ("STP", 1)),
]
DEPUTIES = {"phogiamdoc"}


def seed(session: Session, password: str, today: dt.date | None = None) -> list[tuple[str, list[str], str | None]]:
    if session.scalar(select(Unit.id).limit(1)) is not None:
        raise ValidationFailed("Cơ sở dữ liệu đã có dữ liệu; seed-demo chỉ chạy trên cơ sở dữ liệu trống.")
    today = today or clock.today()
    units: dict[str, Unit] = {}
    for code, name, kind, parent, place in UNITS:
        u = Unit(code=code, name=name, kind=kind, parent=units.get(parent), place=place)
        u.search_text = fold(f"{code} {name}")
        session.add(u)
        session.flush()
        u.department_id = u.id if kind == "department" else (units[parent].id if kind != "ministry" and
                                                              units[parent].kind == "department" else None)
        units[code] = u
    people: dict[tuple[str, int], Person] = {}
    for code, rows in PEOPLE.items():
        for i, (name, position, employment, head) in enumerate(rows):
            p = Person(unit_id=units[code].id, position=position, employment_type=employment, is_unit_head=head)
            p.set_name(name)
            session.add(p)
            people[(code, i)] = p
    session.flush()
    # One person of PTP-CD carries a discipline record (khiển trách) dated this year.
    session.add(DisciplineRecord(person_id=people[("PTP-CD", 2)].id, form="khien_trach",
                                 decided_on=dt.date(today.year, 1, 15), decision_number=f"05/QĐ-STP-{today.year}"))
    year = today.year
    stp = units["STP"]
    session.add(Campaign(
        department_id=stp.id, name=f"Xây dựng, nhân rộng điển hình tiên tiến năm {year}", kind="annual",
        legal_basis=f"Kế hoạch số 79/KH-STP ngày 27/4/{year} của Sở Tư pháp",
        start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31),
        registration_deadline=dt.date(year, 12, 31), evaluation_deadline=dt.date(year, 12, 31),
        quota_collective=1, quota_individual=2,
        award_forms="Giấy khen của Giám đốc Sở; đề nghị Bộ trưởng công nhận điển hình tiên tiến ngành Tư pháp",
    ))
    session.add(Campaign(
        department_id=stp.id, name="Điển hình tiên tiến giai đoạn 2021–2025", kind="period",
        legal_basis="Kế hoạch số 79/KH-STP ngày 27/4/2023 của Sở Tư pháp",
        start_date=dt.date(2021, 1, 1), end_date=dt.date(2025, 12, 31),
        registration_deadline=dt.date(2025, 9, 30), evaluation_deadline=dt.date(2025, 10, 30),
        # Seed 000 §1.4: sơ kết at the 75th anniversary of the call to patriotic emulation (11/6/2023), tổng kết
        # with the ngành's 6th patriotic emulation congress in 2025 (its day is the demo's choice).
        midterm_review_date=dt.date(2023, 6, 11), final_review_date=dt.date(2025, 12, 15),
    ))
    session.add(Campaign(
        department_id=units["STP2"].id, name=f"Điển hình tiên tiến năm {year} — Sở Tư pháp Khánh Hòa",
        kind="annual", legal_basis=f"Kế hoạch số 23/KH-STP ngày 07/01/{year}",
        start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31),
        registration_deadline=dt.date(year, 12, 31), evaluation_deadline=dt.date(year, 12, 31),
    ))
    accounts = []
    for username, roles, unit_code, person_ref in ACCOUNTS:
        person = people.get(person_ref) if person_ref else None
        create_user(session, username, roles=roles, password=password, unit_code=unit_code,
                    full_name=person.full_name if person else "Quản trị hệ thống",
                    person_id=person.id if person else None, demo_password=True, deputy=username in DEPUTIES)
        accounts.append((username, roles, unit_code))
    session.flush()
    # The council of STP: 7 members, the director chairs it, the Văn phòng is its standing member.
    council = Council(department_id=stp.id, name="Hội đồng Thi đua – Khen thưởng Sở Tư pháp tỉnh An Giang")
    session.add(council)
    session.add(Council(department_id=units["STP2"].id,
                        name="Hội đồng Thi đua – Khen thưởng Sở Tư pháp tỉnh Khánh Hòa"))
    session.flush()
    functions = {"giamdoc": "chu_tich", "vanphong": "thuong_truc"}
    for username in ("giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"):
        user = session.scalar(select(User).where(User.username == username))
        session.add(CouncilMember(council_id=council.id, user_id=user.id, function=functions.get(username, "uy_vien")))
    session.flush()
    return accounts
