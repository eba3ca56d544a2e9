"""Every eligibility rule of workflow.nominations.rules (DOMAIN.md "Eligibility rules"), each with a case that passes
and one that fails, and the dossier checks that block `submit`. A rule removed from RULES fails its tests here."""
from __future__ import annotations

import datetime as dt

import pytest
from samples import PDF
from sqlalchemy import update

from models import AwardRecord, DisciplineRecord, Nomination
from workflow.errors import ValidationFailed
from workflow.nominations import rules, service

PERIOD_DAY = dt.date(2025, 6, 1)  # the period campaign 2021–2025 was open for registration then
THIS_YEAR = dt.date.today().year


@pytest.fixture
def db(rolled_back_db):
    """Overrides conftest's `db`: the demo data seeded once per module, each test rolled back."""
    return rolled_back_db


def _collective(db, demo, unit, kind="annual"):
    return service.create_nomination(db, demo.actor("vanphong"), campaign_id=demo.campaign(kind).id,
                                     subject_type="collective", unit_id=demo.unit(unit).id, title=unit,
                                     today=PERIOD_DAY if kind == "period" else None)


def _individual(db, demo, name, kind="annual"):
    return service.create_nomination(db, demo.actor("vanphong"), campaign_id=demo.campaign(kind).id,
                                     subject_type="individual", person_id=demo.person(name).id, title=name,
                                     today=PERIOD_DAY if kind == "period" else None)


def _result(db, n, code, stage="submit"):
    found = {r.code: r for r in rules.evaluate(db, n, stage)}
    assert code in found, f"rule {code} did not run for this nomination"
    return found[code]


def _complete(db, demo, n, tmp_path):
    vp = demo.actor("vanphong")
    n = service.update_nomination(db, vp, n.id, n.version, achievements="Thành tích", criteria={
        c.code: {"met": True, "evidence": "x"} for c in rules.criteria_for(n.subject_type, n.campaign.kind)})
    service.add_attachment(db, vp, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    return service.transition(db, vp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")


def _award(db, *, person=None, unit=None, year=2023, level="bo", title="bang_khen_bo_truong", revoked=False):
    db.add(AwardRecord(person_id=person.id if person else None, unit_id=unit.id if unit else None, title=title,
                       level=level, year=year, decision_number="1/QĐ", revoked=revoked))
    db.flush()


TESTED_RULES = {
    "thanh_vien_don_vi", "khong_ky_luat_nam", "khong_ky_luat_giai_doan", "du_dieu_kien_tldxs",
    "du_dieu_kien_cstdcs", "nguoi_dung_dau", "be_day_thanh_tich", "tieu_chuan_chung", "da_cong_nhan_co_so",
    "it_nhat_mot_lan_nganh", "be_day_thanh_tich_nganh",
}


def test_every_rule_has_tests_here():
    assert {r.code for r in rules.RULES} == TESTED_RULES  # a new rule needs its tests in this file
    for r in rules.RULES:
        assert r.label and r.citation and r.stage in ("submit", "propose")


# ------------------------------------------------------------------------------ collective: discipline
def test_collective_with_a_member_disciplined_this_year_cannot_be_submitted(db, demo, tmp_path):
    n = _complete(db, demo, _collective(db, demo, "PTP-CD"), tmp_path)
    r = _result(db, n, "khong_ky_luat_nam")
    assert (r.result, r.hard) == ("fail", True) and "Dương Văn Khoa" in r.reason
    with pytest.raises(ValidationFailed) as exc:
        service.transition(db, demo.actor("tp_ptpcd"), n.id, "submit", n.version)
    assert exc.value.status == 422
    assert any("Dương Văn Khoa" in reason and r.label in reason for reason in exc.value.reasons)
    assert n.state == "nurtured"


def test_discipline_from_last_year_does_not_count(db, demo, tmp_path):
    db.execute(update(DisciplineRecord).values(decided_on=dt.date(THIS_YEAR - 1, 12, 31)))
    n = _complete(db, demo, _collective(db, demo, "PTP-CD"), tmp_path)
    assert _result(db, n, "khong_ky_luat_nam").result == "pass"
    assert service.transition(db, demo.actor("tp_ptpcd"), n.id, "submit", n.version).state == "submitted"


def test_collective_without_discipline_passes(db, demo):
    assert _result(db, _collective(db, demo, "PBGDPL"), "khong_ky_luat_nam").result == "pass"


def test_period_discipline_counts_over_the_whole_period(db, demo):
    n = _collective(db, demo, "PBGDPL", "period")
    assert _result(db, n, "khong_ky_luat_giai_doan").result == "pass"
    assert "khong_ky_luat_nam" not in {r.code for r in rules.evaluate(db, n)}
    db.add(DisciplineRecord(person_id=demo.person("Huỳnh Văn Đức").id, form="canh_cao",
                            decided_on=dt.date(2022, 5, 4)))
    db.flush()
    r = _result(db, n, "khong_ky_luat_giai_doan")
    assert (r.result, r.hard) == ("fail", True) and "Huỳnh Văn Đức" in r.reason
    # The demo's khiển trách of PTP-CD is dated this year, after the period.
    assert _result(db, _collective(db, demo, "PTP-CD", "period"), "khong_ky_luat_giai_doan").result == "pass"


# ------------------------------------------------------------------------------ individuals
def test_contract_under_one_year_is_not_eligible(db, demo, tmp_path):
    n = _complete(db, demo, _individual(db, demo, "Bùi Thanh Sơn"), tmp_path)
    r = _result(db, n, "thanh_vien_don_vi")
    assert (r.result, r.hard) == ("fail", True)
    with pytest.raises(ValidationFailed) as exc:
        service.transition(db, demo.actor("tp_hctp"), n.id, "submit", n.version)
    assert any(r.label in reason for reason in exc.value.reasons)


def test_probationer_is_eligible(db, demo, tmp_path):
    n = _complete(db, demo, _individual(db, demo, "Lâm Thị Ngọc Ánh"), tmp_path)
    assert _result(db, n, "thanh_vien_don_vi").result == "pass"
    assert service.transition(db, demo.actor("tp_pbgdpl"), n.id, "submit", n.version).state == "submitted"


def test_person_who_left_or_moved_is_not_a_member(db, demo):
    n = _individual(db, demo, "Nguyễn Thị Lan")
    person = demo.person("Nguyễn Thị Lan")
    person.unit_id = demo.unit("HCTP").id
    db.flush()
    assert _result(db, n, "thanh_vien_don_vi").result == "fail"
    person.unit_id, person.active = n.unit_id, False
    db.flush()
    assert _result(db, n, "thanh_vien_don_vi").result == "fail"


def test_head_of_a_disciplined_unit_fails(db, demo):
    r = _result(db, _individual(db, demo, "Mai Văn Chiến"), "nguoi_dung_dau")  # head of PTP-CD
    assert (r.result, r.hard) == ("fail", True)
    assert _result(db, _individual(db, demo, "Võ Minh Tuấn"), "nguoi_dung_dau").result == "judgement"
    assert _result(db, _individual(db, demo, "Nguyễn Thị Lan"), "nguoi_dung_dau").result == "pass"


@pytest.mark.parametrize(
    ("subject", "code"),
    [("collective", "du_dieu_kien_tldxs"), ("individual", "du_dieu_kien_cstdcs"), ("collective", "tieu_chuan_chung"),
     ("individual", "tieu_chuan_chung")],
)
def test_council_judgement_rules_are_shown_but_do_not_block(db, demo, subject, code):
    n = _collective(db, demo, "PBGDPL") if subject == "collective" else _individual(db, demo, "Nguyễn Thị Lan")
    r = _result(db, n, code)
    assert (r.result, r.hard) == ("judgement", False) and r.reason
    assert rules.hard_failures(rules.evaluate(db, n, "submit")) == []


def test_annual_title_rules_do_not_apply_to_the_period(db, demo):
    codes = {r.code for r in rules.evaluate(db, _individual(db, demo, "Nguyễn Thị Lan", "period"))}
    assert "du_dieu_kien_cstdcs" not in codes and "du_dieu_kien_tldxs" not in codes


# ------------------------------------------------------------------------------ period: high awards
@pytest.mark.parametrize("stage_code", [("submit", "be_day_thanh_tich"), ("propose", "be_day_thanh_tich_nganh")])
def test_period_needs_a_high_award_in_the_period(db, demo, stage_code):
    stage, code = stage_code
    person = demo.person("Nguyễn Thị Lan")
    n = _individual(db, demo, "Nguyễn Thị Lan", "period")
    r = _result(db, n, code, stage)
    assert (r.result, r.hard) == ("fail", True)
    _award(db, person=person, level="co_so", title="chien_si_thi_dua_co_so")  # not a high award
    _award(db, person=person, year=2020)  # before the period
    _award(db, person=person, revoked=True)  # revoked
    _award(db, person=demo.person("Huỳnh Văn Đức"))  # someone else's
    assert _result(db, n, code, stage).result == "fail"
    _award(db, person=person, year=2023, level="bo")
    assert _result(db, n, code, stage).result == "pass"


def test_period_collective_award_belongs_to_the_unit(db, demo):
    n = _collective(db, demo, "PBGDPL", "period")
    _award(db, person=demo.person("Võ Minh Tuấn"), level="tinh")  # the head's award is not the unit's
    assert _result(db, n, "be_day_thanh_tich").result == "fail"
    _award(db, unit=demo.unit("PBGDPL"), level="tinh", title="bang_khen_chu_tich_tinh", year=2021)
    assert _result(db, n, "be_day_thanh_tich").result == "pass"


# ------------------------------------------------------------------------------ ngành (propose stage)
def test_nganh_needs_the_co_so_recognition(db, demo):
    n = _collective(db, demo, "PBGDPL")
    r = _result(db, n, "da_cong_nhan_co_so", "propose")
    assert (r.result, r.hard) == ("fail", True)
    # A state set behind the workflow's back is not a recognition: the recorded decision step is required.
    db.execute(update(Nomination).where(Nomination.id == n.id).values(state="evaluated_co_so"))
    db.expire(n)
    assert _result(db, n, "da_cong_nhan_co_so", "propose").result == "fail"


def test_nganh_period_needs_an_annual_nganh_recognition(db, demo):
    person = demo.person("Nguyễn Thị Lan")
    n = _individual(db, demo, "Nguyễn Thị Lan", "period")
    assert _result(db, n, "it_nhat_mot_lan_nganh", "propose").result == "fail"
    _award(db, person=person, title="dien_hinh_nganh", year=2024, revoked=True)
    _award(db, person=person, title="dien_hinh_co_so", level="co_so", year=2024)
    assert _result(db, n, "it_nhat_mot_lan_nganh", "propose").result == "fail"
    _award(db, person=person, title="dien_hinh_nganh", year=2024)
    r = _result(db, n, "it_nhat_mot_lan_nganh", "propose")
    assert r.result == "pass" and "2024" in r.reason


def test_annual_nganh_runs_only_the_co_so_check(db, demo):
    assert [r.code for r in rules.evaluate(db, _collective(db, demo, "PBGDPL"), "propose")] == ["da_cong_nhan_co_so"]


# ------------------------------------------------------------------------------ dossier gaps
def test_dossier_gaps_name_what_is_missing(db, demo, tmp_path):
    vp = demo.actor("vanphong")
    n = _collective(db, demo, "PBGDPL")
    criteria = rules.criteria_for("collective", "annual")
    gaps = rules.dossier_gaps(n)
    assert "Chưa nhập nội dung thành tích." in gaps and "Chưa đính kèm báo cáo thành tích." in gaps
    assert sum(g.startswith("Chưa trả lời tiêu chí") for g in gaps) == len(criteria)
    answers = {c.code: {"met": True, "evidence": "x"} for c in criteria}
    answers[criteria[0].code] = {"met": False, "evidence": "Chưa đạt"}
    answers[criteria[1].code] = {"met": None}
    n = service.update_nomination(db, vp, n.id, n.version, achievements="Thành tích", criteria=answers)
    service.add_attachment(db, vp, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    assert rules.dossier_gaps(n) == [f"Tiêu chí được khai là chưa đạt: {criteria[0].label}.",
                                     f"Chưa trả lời tiêu chí: {criteria[1].label}."]
    n = service.transition(db, vp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    with pytest.raises(ValidationFailed) as exc:
        service.transition(db, demo.actor("tp_pbgdpl"), n.id, "submit", n.version)
    assert f"Tiêu chí được khai là chưa đạt: {criteria[0].label}." in exc.value.reasons
    n = service.update_nomination(db, vp, n.id, n.version, criteria={
        criteria[0].code: {"met": True, "evidence": "Đã đạt"}, criteria[1].code: {"met": True, "evidence": "x"}})
    assert rules.dossier_gaps(n) == []


def test_individual_and_period_dossiers_ask_their_own_criteria(db, demo):
    ind = {c.code for c in rules.criteria_for("individual", "annual")}
    col = {c.code for c in rules.criteria_for("collective", "period")}
    assert {"du_dieu_kien_cstdcs", "pham_chat_chinh_tri"} <= ind and "du_dieu_kien_tldxs" not in ind
    assert {"du_dieu_kien_tldxs", "be_day_thanh_tich"} <= col
    n = _individual(db, demo, "Nguyễn Thị Lan")
    assert sum(g.startswith("Chưa trả lời tiêu chí") for g in rules.dossier_gaps(n)) == len(ind)


def test_achievements_of_only_spaces_are_missing(db, demo):
    n = _collective(db, demo, "PBGDPL")
    n.achievements = "   \n "
    assert "Chưa nhập nội dung thành tích." in rules.dossier_gaps(n)



# Where each rule applies (DOMAIN.md "Eligibility rules"): subject types × campaigns ("annual" is every kind but a
# period's). Kept as data on the rule so the rules of a kind of dossier are chosen once (`rules._applying`).
REACH = {
    "thanh_vien_don_vi": ({"individual"}, {"annual", "thematic", "peak", "period"}),
    "khong_ky_luat_nam": ({"collective"}, {"annual", "thematic", "peak"}),
    "khong_ky_luat_giai_doan": ({"collective"}, {"period"}),
    "du_dieu_kien_tldxs": ({"collective"}, {"annual", "thematic", "peak"}),
    "du_dieu_kien_cstdcs": ({"individual"}, {"annual", "thematic", "peak"}),
    "nguoi_dung_dau": ({"individual"}, {"annual", "thematic", "peak", "period"}),
    "be_day_thanh_tich": ({"collective", "individual"}, {"period"}),
    "tieu_chuan_chung": ({"collective", "individual"}, {"annual", "thematic", "peak", "period"}),
    "da_cong_nhan_co_so": ({"collective", "individual"}, {"annual", "thematic", "peak", "period"}),
    "it_nhat_mot_lan_nganh": ({"collective", "individual"}, {"period"}),
    "be_day_thanh_tich_nganh": ({"collective", "individual"}, {"period"}),
}


def test_each_rule_applies_where_the_plan_says_and_the_kinds_rules_are_chosen_in_order():
    assert set(REACH) == TESTED_RULES
    for subject_type in ("collective", "individual"):
        for kind in ("annual", "thematic", "peak", "period"):
            for stage in (None, "submit", "propose"):
                expected = [r.code for r in rules.RULES if (stage is None or r.stage == stage)
                            and subject_type in REACH[r.code][0] and kind in REACH[r.code][1]]
                assert [r.code for r in rules._applying(stage, subject_type, kind)] == expected
