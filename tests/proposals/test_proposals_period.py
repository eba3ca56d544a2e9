"""Proposals for the period campaign 2021–2025 (demo: registration 01/01/2021–30/09/2025): the hard ngành rules
"at least one annual ngành recognition in the period" (award record dien_hinh_nganh, not revoked, 2021–2025, of the
same subject) and "a record of high awards" (bo / tinh / nha_nuoc), each named when it fails.

Nominations are registered through the service with `today=` inside the registration window; reaching
`evaluated_co_so` is written directly (state + a recognize_co_so history row + the cơ sở award record, see
test_proposals_core.co_so_example): the rules read that history and the award records, not how they were written."""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from test_council_helpers import db  # noqa: F401 (the fixtures)
from test_proposals_core import DAY, co_so_example, draft, history, nganh, proposed, submit

from models import AwardRecord, Campaign
from workflow.errors import ValidationFailed
from workflow.nominations import rules, service
from workflow.proposals import operations as proposals

IN_WINDOW = dt.date(2025, 6, 1)
NGANH_RULE = "Có ít nhất 01 lần được công nhận điển hình tiên tiến ngành Tư pháp hằng năm"
HIGH_RULE = "Có bề dày thành tích cao được Bộ, Ngành, Tỉnh và cấp Nhà nước tặng thưởng"


def period_example(db, demo, *, person=None, unit=None):
    period = demo.campaign("period")
    if person is not None:
        n = service.create_nomination(db, demo.actor("vanphong"), campaign_id=period.id, subject_type="individual",
                                      person_id=demo.person(person).id, title=f"{person} 2021–2025",
                                      today=IN_WINDOW)
    else:
        n = service.create_nomination(db, demo.actor("vanphong"), campaign_id=period.id, subject_type="collective",
                                      unit_id=demo.unit(unit).id, title=f"{unit} 2021–2025", today=IN_WINDOW)
    return co_so_example(db, demo, n=n)


def award(db, *, person=None, unit=None, title="dien_hinh_nganh", level="bo", year=2023, revoked=False):
    db.add(AwardRecord(person_id=person.id if person else None, unit_id=unit.id if unit else None, title=title,
                       level=level, year=year, decision_number=f"{year}/QĐ-BTP", revoked=revoked))
    db.flush()


def refusal(db, demo, n) -> list[str]:
    with pytest.raises(ValidationFailed) as err:
        draft(db, demo, [n])
    return err.value.reasons


def test_registration_is_only_inside_the_window(db, demo):
    period = demo.campaign("period")
    assert (period.start_date, period.registration_deadline) == (dt.date(2021, 1, 1), dt.date(2025, 9, 30))
    with pytest.raises(ValidationFailed):
        service.create_nomination(db, demo.actor("vanphong"), campaign_id=period.id, subject_type="collective",
                                  unit_id=demo.unit("HCTP").id, title="Muộn", today=dt.date(2025, 10, 1))


def test_without_any_award_both_rules_are_named(db, demo):
    n = period_example(db, demo, person="Nguyễn Thị Lan")
    reasons = refusal(db, demo, n)
    assert len(reasons) == 2, reasons
    assert any(NGANH_RULE in r and "Chưa lần nào" in r for r in reasons)
    assert any(HIGH_RULE in r and "2021–2025" in r for r in reasons)


def test_high_awards_without_an_annual_nganh_recognition_are_not_enough(db, demo):
    lan = demo.person("Nguyễn Thị Lan")
    n = period_example(db, demo, person="Nguyễn Thị Lan")
    award(db, person=lan, title="bang_khen_bo_truong", level="bo", year=2022)
    award(db, person=lan, title="bang_khen_chu_tich_tinh", level="tinh", year=2024)
    (reason,) = refusal(db, demo, n)
    assert NGANH_RULE in reason and f"số {n.id}" in reason


@pytest.mark.parametrize("case", ["before", "after", "revoked", "other_person", "the_unit"])
def test_the_annual_nganh_recognition_must_be_the_subjects_in_the_period_and_standing(db, demo, case):
    lan = demo.person("Nguyễn Thị Lan")
    n = period_example(db, demo, person="Nguyễn Thị Lan")
    award(db, person=lan, title="bang_khen_bo_truong", level="bo", year=2022)
    if case == "before":
        award(db, person=lan, year=2020)
    elif case == "after":
        award(db, person=lan, year=2026)
    elif case == "revoked":
        award(db, person=lan, year=2023, revoked=True)
    elif case == "other_person":
        award(db, person=demo.person("Huỳnh Văn Đức"), year=2023)
    else:
        award(db, unit=demo.unit("PBGDPL"), year=2023)
    (reason,) = refusal(db, demo, n)
    assert NGANH_RULE in reason


@pytest.mark.parametrize("case", ["co_so_level", "outside", "revoked"])
def test_only_standing_high_awards_of_the_period_count(db, demo, case):
    """The high-award rule alone (the annual ngành recognition is checked through `rules.evaluate`, since the
    workflow's own dien_hinh_nganh record is at level "bo" and so counts as a high award too)."""
    unit = demo.unit("HCTP")
    n = period_example(db, demo, unit="HCTP")
    if case == "co_so_level":
        award(db, unit=unit, title="giay_khen_giam_doc", level="co_so", year=2023)
    elif case == "outside":
        award(db, unit=unit, title="co_thi_dua", level="tinh", year=2019)
    else:
        award(db, unit=unit, title="co_thi_dua", level="tinh", year=2023, revoked=True)
    results = {r.code: r.result for r in rules.evaluate(db, n, "propose")}
    assert results == {"da_cong_nhan_co_so": "pass", "it_nhat_mot_lan_nganh": "fail",
                       "be_day_thanh_tich_nganh": "fail"}
    assert any(HIGH_RULE in r for r in refusal(db, demo, n))


def test_a_period_example_with_its_record_is_proposed_and_recognised(db, demo):
    lan, unit = demo.person("Nguyễn Thị Lan"), demo.unit("HCTP")
    ind = period_example(db, demo, person="Nguyễn Thị Lan")
    col = period_example(db, demo, unit="HCTP")
    award(db, person=lan, year=2023)
    award(db, person=lan, title="bang_khen_bo_truong", level="bo", year=2024)
    award(db, unit=unit, year=2021)
    award(db, unit=unit, title="huan_chuong_lao_dong", level="nha_nuoc", year=2025)
    assert all(r.result == "pass" for r in rules.evaluate(db, ind, "propose"))
    p = proposed(db, demo, [ind, col])
    assert (p.campaign_id, ind.state, col.state) == (demo.campaign("period").id, "proposed_nganh", "proposed_nganh")
    nganh(db, demo, [ind.id, col.id], date=dt.date(2025, 12, 20))
    assert ind.state == col.state == "recognized"
    years = set(db.scalars(select(AwardRecord.year).where(AwardRecord.nomination_id == ind.id,
                                                           AwardRecord.title == "dien_hinh_nganh")))
    assert years == {2025}  # the period campaign's last year


def test_the_period_rule_reads_the_annual_recognitions_the_workflow_wrote(db, demo):
    """An annual campaign of 2023 recognised at ngành level through proposal and decision writes the award record
    the period rule needs; revoking that recognition takes it away again."""
    annual_2023 = Campaign(department_id=demo.unit("STP").id, name="Điển hình tiên tiến năm 2023", kind="annual",
                           legal_basis="Kế hoạch số 79/KH-STP ngày 27/4/2023", start_date=dt.date(2023, 1, 1),
                           end_date=dt.date(2023, 12, 31), registration_deadline=dt.date(2023, 12, 31),
                           evaluation_deadline=dt.date(2023, 12, 31))
    db.add(annual_2023)
    db.flush()
    lan = demo.person("Nguyễn Thị Lan")
    award(db, person=lan, title="bang_khen_bo_truong", level="bo", year=2022)
    annual = co_so_example(db, demo, person="Nguyễn Thị Lan", campaign=annual_2023)
    proposed(db, demo, [annual], number=10, date=dt.date(2023, 11, 1))
    nganh(db, demo, [annual.id], number=300, date=dt.date(2023, 12, 15))
    period = period_example(db, demo, person="Nguyễn Thị Lan")
    p = draft(db, demo, [period])
    service.transition(db, demo.actor("botp"), annual.id, "revoke", annual.version, reason="Thành tích không đúng",
                       decision_number="5/QĐ-BTP")
    with pytest.raises(ValidationFailed) as err:
        submit(db, demo, p, number=11)
    assert any(NGANH_RULE in r for r in err.value.reasons)
    assert period.state == "evaluated_co_so" and history(db, period, "propose_nganh") == []


def test_period_and_annual_examples_do_not_mix_in_one_proposal(db, demo):
    lan = demo.person("Nguyễn Thị Lan")
    period = period_example(db, demo, person="Nguyễn Thị Lan")
    award(db, person=lan, year=2023)
    annual = co_so_example(db, demo, unit="HCTP")
    with pytest.raises(ValidationFailed):
        proposals.create(db, demo.actor("vanphong"), nomination_ids=[period.id, annual.id])
    assert draft(db, demo, [period]).campaign_id == demo.campaign("period").id
    assert submit(db, demo, draft(db, demo, [annual]), number=47, date=DAY).campaign_id == demo.campaign().id
