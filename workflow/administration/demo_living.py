"""The living department of CONTRACT.md's demo ("Beyond that"): a year of work played through the real services.

`seed-demo` (and `make run`) call `seed_living` after the base `demo.seed`; the test suite's `demo` fixture keeps the
base alone (thousands of tests count what it holds) and the tests of this module seed it on their own database.

Every step goes through the operation a user's click would run (policy, guards, history, audit, notifications), as
the account CONTRACT.md names for that role, with the clock moved to the day the step happened
(`workflow.clock.travel`): the rules that read the time ("registration open", "the publicity period has run", "not
in the future") apply as they did on that day. No row is written around a rule, and no setting is changed: the
council's publicity period stays at its default (the decree's working days), so the session left ready has been
public long enough by the calendar, not by a shortcut.

What it leaves:
- last year's annual campaign: three examples passed by the council and recognised cơ sở by a numbered decision of
  the director, two of them proposed by a Tờ trình and recognised ngành by the Minister's decision; a published story
  on each (the showcase, the certificates and the charts have content);
- in the current annual campaign (its quotas set, through the admin's campaign edit, to what the plan allows so the
  newcomer's votes can pass): a dossier in every state of the lifecycle, through one council session held weeks ago;
- a council session dated today on Nguyễn Thị Lan's dossier whose publicity period has run: attendance not yet
  taken, not opened — ready for the quick tour of the README (the secretariat records attendance, the chair opens
  it, the members vote). The PBGDPL unit is left unregistered this year, for a newcomer to register.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Campaign, Person, Unit, User
from workflow import clock, workdays
from workflow.administration import operations as admin
from workflow.administration.campaigns import create_campaign
from workflow.council import ballots
from workflow.council import operations as council
from workflow.errors import ValidationFailed
from workflow.nominations import rules, service
from workflow.policy import Actor, actor_for
from workflow.propagation import stories
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

MEMBERS = ("giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5")
LAST_YEAR_NAME = "Xây dựng, nhân rộng điển hình tiên tiến năm {year}"
NO_BALLOT_KEY = ("Chưa cấu hình khóa niêm phong phiếu bầu (BALLOT_KEY): không tạo các phiên họp đã diễn ra và các "
                 "điển hình đã công nhận; chỉ tạo các hồ sơ chưa qua Hội đồng.")
READY_SESSION_TITLE = "Phiên họp bình xét điển hình tiên tiến năm {year} (đợt 2)"
# A minimal, valid one-page PDF: the achievement report every complete dossier carries (uploads check it parses).
REPORT_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
              b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
              b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
              b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
              b"startxref\n164\n%%EOF\n")


@dataclass
class Living:
    """What `seed_living` made, for the CLI's summary and the tests."""

    last_campaign: Campaign | None  # None without a ballot key (no session could be held)
    ready_session_id: int | None
    notes: list[str]


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """`day` at `hour:minute` in Viet Nam, as an aware instant."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.TZ)


class _Seeder:
    def __init__(self, session: Session):
        self.session = session
        self._actors: dict[str, Actor] = {}

    # ------------------------------------------------------------------ look-ups
    def actor(self, username: str) -> Actor:
        """The account's Actor, loaded once: the seeding grants no role and no delegation on the way."""
        if username not in self._actors:
            user = self.session.scalar(select(User).where(User.username == username))
            self._actors[username] = actor_for(self.session, user)
        return self._actors[username]

    def unit(self, code: str) -> Unit:
        return self.session.scalar(select(Unit).where(Unit.code == code))

    def person(self, name: str) -> Person:
        return self.session.scalar(select(Person).where(Person.full_name == name))

    def working_day(self, day: dt.date, step: int = 1) -> dt.date:
        """`day` if it is a working day, else the next one (step 1) or the previous one (step -1)."""
        cal = workdays.load_calendar(self.session, (day.year - 1, day.year, day.year + 1))
        while not cal.is_working_day(day):
            day += dt.timedelta(days=step)
        return day

    def publicity_end(self, published: dt.date, days: int) -> dt.date:
        cal = workdays.load_calendar(self.session, (published.year, published.year + 1))
        return cal.add_working_days(published, days)

    # ------------------------------------------------------------------ a dossier's path
    def register(self, head: str, campaign: Campaign, title: str, *, unit: str | None = None,
                 person: str | None = None, achievements: str) -> int:
        subject = ({"subject_type": "individual", "person_id": self.person(person).id} if person
                   else {"subject_type": "collective", "unit_id": self.unit(unit).id})
        n = service.create_nomination(self.session, self.actor(head), campaign_id=campaign.id, title=title,
                                      achievements=achievements, **subject)
        return n.id

    def nurture(self, head: str, nomination_id: int, plan: str) -> None:
        actor = self.actor(head)
        n = service.load(self.session, actor, nomination_id)
        answers = {c.code: {"met": True, "evidence": "Có minh chứng trong báo cáo thành tích."}
                   for c in rules.criteria_for(n.subject_type, n.campaign.kind)}
        n = service.update_nomination(self.session, actor, n.id, n.version, criteria=answers)
        service.add_attachment(self.session, actor, n.id, kind="achievement_report",
                               filename="bao-cao-thanh-tich.pdf", data=REPORT_PDF)
        service.transition(self.session, actor, n.id, "start_nurturing", n.version, nurture_plan=plan)

    def step(self, username: str, nomination_id: int, action: str, **data) -> None:
        actor = self.actor(username)
        n = service.load(self.session, actor, nomination_id)
        service.transition(self.session, actor, n.id, action, n.version, **data)

    # ------------------------------------------------------------------ a council session
    def publish_session(self, campaign: Campaign, title: str, meeting: dt.date, items: list[int],
                        location: str = "Phòng họp Sở Tư pháp") -> int:
        sec = self.actor("vanphong")
        s = council.schedule(self.session, sec, title=title, date=meeting, campaign_id=campaign.id,
                             location=location)
        council.set_agenda(self.session, sec, s.id, items)
        council.publish(self.session, sec, s.id)
        return s.id

    def hold_session(self, session_id: int, meeting: dt.date, votes: dict[int, dict[str, str]]) -> None:
        """Attendance (everyone), opening, the secret ballot (`votes[item][member]`), the close."""
        sec = self.actor("vanphong")
        with clock.travel(at(meeting, 8, 0)):
            council.record_attendance(self.session, sec, session_id,
                                      [self.actor(u).id for u in MEMBERS])
        with clock.travel(at(meeting, 8, 30)):
            council.open_session(self.session, self.actor("giamdoc"), session_id)
        for minute, (item, by_member) in enumerate(votes.items()):
            with clock.travel(at(meeting, 9, 5 * minute)):
                for member, choice in by_member.items():
                    council.cast_vote(self.session, self.actor(member), session_id, nomination_id=item, choice=choice)
        with clock.travel(at(meeting, 10, 30)):
            council.close_session(self.session, self.actor("giamdoc"), session_id)

    def entitled(self, nomination_id: int) -> list[str]:
        n = service.load(self.session, self.actor("vanphong"), nomination_id)
        return [u for u in MEMBERS if council.recusal_reason(self.actor(u).user, n) is None]

    def unanimous(self, nomination_id: int, choice: str = "agree") -> dict[str, str]:
        return dict.fromkeys(self.entitled(nomination_id), choice)

    def decide_co_so(self, day: dt.date, session_id: int, items: list[int]):
        issuer = decisions.issuer_for(self.session, self.actor("giamdoc"), "co_so")
        with clock.travel(at(day, 14)):
            return decisions.issue(self.session, self.actor("giamdoc"), level="co_so",
                                   number=decisions.next_number(self.session, issuer, day.year), date=day,
                                   nomination_ids=items, session_id=session_id)

    def propose(self, day: dt.date, items: list[int], title: str) -> None:
        dep = self.unit("STP")
        with clock.travel(at(day, 9)):
            p = proposals.create(self.session, self.actor("vanphong"), nomination_ids=items, title=title)
        with clock.travel(at(day, 15)):
            proposals.submit(self.session, self.actor("giamdoc"), p.id,
                             number=proposals.next_number(self.session, dep.id, day.year), date=day)

    def decide_nganh(self, day: dt.date, items: list[int]) -> None:
        ministry = self.actor("botp")
        issuer = decisions.issuer_for(self.session, ministry, "nganh")
        with clock.travel(at(day, 10)):
            decisions.issue(self.session, ministry, level="nganh",
                            number=decisions.next_number(self.session, issuer, day.year), date=day,
                            nomination_ids=items, signer_name="Nguyễn Văn Bộ")

    def story(self, day: dt.date, nomination_id: int, title: str, summary: str, body: str) -> None:
        editor = self.actor("bientap")
        with clock.travel(at(day, 10)):
            s = stories.create(self.session, editor, nomination_id=nomination_id, title=title, body=body,
                               summary=summary, channel="portal")
        with clock.travel(at(day, 16)):
            stories.publish(self.session, editor, s.id, version=s.version)


def seed_living(session: Session, today: dt.date | None = None) -> Living:
    """Adds the living department to the base demo (`demo.seed`, same transaction, never committed here). Refused on
    a database that has it already (its last year's campaign exists): `seed-demo` stays a one-time load."""
    today = today or clock.today()
    last = today.year - 1
    stp = session.scalar(select(Unit).where(Unit.code == "STP"))
    if stp is None:
        raise ValidationFailed("Chưa có dữ liệu mẫu cơ bản.", ["Hãy chạy seed-demo trên cơ sở dữ liệu trống."])
    if session.scalar(select(Campaign.id).where(Campaign.department_id == stp.id,
                                                Campaign.name == LAST_YEAR_NAME.format(year=last))) is not None:
        raise ValidationFailed("Cơ sở dữ liệu đã có dữ liệu trình diễn.", ["seed-demo chỉ chạy một lần."])
    seeder = _Seeder(session)
    if not ballots.is_configured():
        # PostgreSQL without BALLOT_KEY (web.config.ballot_key): the application runs but no session can be opened,
        # so no example can have been recognised. The dossiers that need no council are still made.
        ready, notes = _this_year(seeder, today, sessions_held=False)
        return Living(last_campaign=None, ready_session_id=ready, notes=[NO_BALLOT_KEY, *notes])
    campaign = _last_year(seeder, last)
    ready, notes = _this_year(seeder, today)
    return Living(last_campaign=campaign, ready_session_id=ready, notes=notes)


# ------------------------------------------------------------------------------------------------ last year
def _last_year(sd: _Seeder, last: int) -> Campaign:
    wd = sd.working_day
    with clock.travel(at(wd(dt.date(last, 1, 5)))):
        campaign = create_campaign(
            sd.session, sd.actor("vanphong"), name=LAST_YEAR_NAME.format(year=last), kind="annual",
            legal_basis=f"Kế hoạch số 79/KH-STP ngày 27/4/{last} của Sở Tư pháp",
            award_forms="Giấy khen của Giám đốc Sở; đề nghị Bộ trưởng công nhận điển hình tiên tiến ngành Tư pháp",
            start_date=dt.date(last, 1, 1), end_date=dt.date(last, 12, 31),
            registration_deadline=dt.date(last, 10, 31), evaluation_deadline=dt.date(last, 12, 31),
            subject_types=["collective", "individual"], quotas={"collective": 2, "individual": 2})
    with clock.travel(at(wd(dt.date(last, 3, 10)))):
        pbgdpl = sd.register("tp_pbgdpl", campaign, "Phòng Phổ biến, giáo dục pháp luật – mô hình “Tủ sách pháp luật "
                             "điện tử” đến từng khóm, ấp", unit="PBGDPL",
                             achievements="Xây dựng 120 tủ sách pháp luật điện tử; 35.000 lượt người dân truy cập.")
        hctp = sd.register("tp_hctp", campaign, "Phòng Hành chính tư pháp – liên thông đăng ký khai sinh, thường "
                           "trú, bảo hiểm y tế", unit="HCTP",
                           achievements="100% hồ sơ liên thông giải quyết đúng hạn; rút ngắn thời gian còn 3 ngày.")
        oanh = sd.register("tp_hctp", campaign, "Chị Phan Thị Kim Oanh – chuyên viên hộ tịch, “một lần đến, trọn "
                           "thủ tục”", person="Phan Thị Kim Oanh",
                           achievements="Giải quyết 4.200 hồ sơ hộ tịch không trễ hẹn; sáng kiến tra cứu sổ hộ tịch.")
        for head, nid in (("tp_pbgdpl", pbgdpl), ("tp_hctp", hctp), ("tp_hctp", oanh)):
            sd.nurture(head, nid, "Bồi dưỡng theo Kế hoạch 79/KH-STP: tập huấn, đi thực tế, chia sẻ kinh nghiệm.")
    with clock.travel(at(wd(dt.date(last, 9, 15)))):
        for head, nid in (("tp_pbgdpl", pbgdpl), ("tp_hctp", hctp), ("tp_hctp", oanh)):
            sd.step(head, nid, "submit")
    published = wd(dt.date(last, 10, 1))
    meeting = wd(sd.publicity_end(published, _publicity_days(sd)) + dt.timedelta(days=3))
    with clock.travel(at(published)):
        session_id = sd.publish_session(campaign, f"Phiên họp bình xét điển hình tiên tiến năm {last}", meeting,
                                        [pbgdpl, hctp, oanh])
    with clock.travel(at(wd(published + dt.timedelta(days=2)), 14)):
        council.add_comment(sd.session, sd.actor("canbo1"), session_id, nomination_id=oanh,
                            text="Chị Oanh luôn tận tình hướng dẫn người dân, hồ sơ không phải đi lại nhiều lần.")
    sd.hold_session(session_id, meeting, {nid: sd.unanimous(nid) for nid in (pbgdpl, hctp, oanh)})
    decided = wd(meeting + dt.timedelta(days=1))
    sd.decide_co_so(decided, session_id, [pbgdpl, hctp, oanh])
    proposed = wd(decided + dt.timedelta(days=7))
    sd.propose(proposed, [pbgdpl, oanh], f"Đề nghị công nhận điển hình tiên tiến ngành Tư pháp năm {last}")
    sd.decide_nganh(wd(proposed + dt.timedelta(days=21)), [pbgdpl, oanh])
    story_day = wd(proposed + dt.timedelta(days=28))
    sd.story(story_day, pbgdpl, "Tủ sách pháp luật điện tử: pháp luật đến từng khóm, ấp",
             "Mô hình của Phòng Phổ biến, giáo dục pháp luật được Bộ trưởng công nhận điển hình tiên tiến ngành.",
             "<p>Từ 120 tủ sách pháp luật điện tử đặt tại nhà văn hóa khóm, ấp, người dân An Giang tra cứu văn bản "
             "pháp luật ngay trên điện thoại.</p><p>Mô hình được nhân rộng ra các huyện trong tỉnh.</p>")
    sd.story(story_day, oanh, "Chị Phan Thị Kim Oanh: “một lần đến, trọn thủ tục”",
             "Chuyên viên hộ tịch được công nhận điển hình tiên tiến ngành Tư pháp.",
             "<p>Hơn 4.200 hồ sơ hộ tịch, không một hồ sơ trễ hẹn.</p><p>Sáng kiến tra cứu sổ hộ tịch của chị giúp "
             "người dân không phải đi lại nhiều lần.</p>")
    sd.story(wd(story_day + dt.timedelta(days=1)), hctp, "Liên thông ba thủ tục: khai sinh, thường trú, bảo hiểm y tế",
             "Phòng Hành chính tư pháp được Giám đốc Sở công nhận điển hình tiên tiến cấp cơ sở.",
             "<p>Cha mẹ chỉ nộp một bộ hồ sơ; ba kết quả trả về trong 3 ngày.</p>")
    return campaign


def _publicity_days(sd: _Seeder) -> int:
    return council.council_for_department(sd.session, sd.unit("STP").id).publicity_working_days


# ------------------------------------------------------------------------------------------------ this year
def _this_year(sd: _Seeder, today: dt.date, *, sessions_held: bool = True) -> tuple[int | None, list[str]]:
    """Dossiers in every state of the current annual campaign, and the session ready today. The calendar is counted
    back from today: the ready session's list was published the last day whose publicity period ends before today,
    the earlier session's two weeks before that; everything happened this year (the campaign opened on 1 January)."""
    year = today.year
    campaign = sd.session.scalar(select(Campaign).where(Campaign.department_id == sd.unit("STP").id,
                                                        Campaign.kind == "annual", Campaign.start_date
                                                        == dt.date(year, 1, 1)).order_by(Campaign.id))
    wd = sd.working_day
    days = _publicity_days(sd)
    ready_published = wd(today - dt.timedelta(days=1), -1)
    while sd.publicity_end(ready_published, days) >= today:
        ready_published = wd(ready_published - dt.timedelta(days=1), -1)
    held_published = wd(ready_published - dt.timedelta(days=14), -1)
    # The earlier session's last step (the Minister's decision) must lie before today: holidays (Tết) inside its
    # publicity period can push it late, so publish it earlier until it fits.
    while _held_days(sd, held_published, days)["nganh"] >= today:
        held_published = wd(held_published - dt.timedelta(days=7), -1)
    # The day the year's dossiers are registered and submitted (the campaign opens on 1 January).
    start = min(wd(dt.date(year, 1, 3)), today)
    notes: list[str] = []
    if not sessions_held:
        held_published = start  # no earlier session: its dossiers are not registered
    elif held_published <= start:
        notes.append("Đầu năm: chưa đủ ngày làm việc từ khi phong trào năm nay mở để có phiên họp đã hết thời hạn "
                     "công khai; chỉ tạo các hồ sơ chưa qua Hội đồng.")
    with clock.travel(at(start, 8)):
        # The plan's quotas for the year (admin, audited): room for every example below and for the tour's.
        admin.update_campaign(sd.session, sd.actor("admin"), campaign.id, _campaign_form(campaign, collective=3,
                                                                                          individual=4))
        sd.register("vanphong", campaign, "Phòng Xây dựng, kiểm tra và theo dõi thi hành pháp luật",
                                 unit="XDKT", achievements="Rà soát 1.250 văn bản quy phạm pháp luật của tỉnh.")
        nurtured = sd.register("vanphong", campaign, "Trung tâm Trợ giúp pháp lý – trợ giúp pháp lý lưu động",
                               unit="TGPL", achievements="86 đợt trợ giúp pháp lý lưu động tại các xã vùng biên.")
        sd.nurture("vanphong", nurtured, "Bồi dưỡng: hoàn thiện báo cáo số liệu 6 tháng cuối năm.")
        withdrawn = sd.register("vanphong", campaign, "Chị Châu Thị Bích – chuyên viên Phòng Tư pháp Long Xuyên",
                                person="Châu Thị Bích", achievements="Hòa giải thành 42 vụ việc ở cơ sở.")
        sd.step("vanphong", withdrawn, "withdraw", reason="Đơn vị đề nghị rút để hoàn thiện thành tích năm sau.")
        # The PBGDPL unit itself stays free this year: a newcomer (and the production walkthrough) registers it.
        ready_items = [
            sd.register("tp_pbgdpl", campaign, "Chị Nguyễn Thị Lan – chuyên viên phổ biến pháp luật cho thanh niên",
                        person="Nguyễn Thị Lan", achievements="Tổ chức 36 buổi tuyên truyền pháp luật trong trường "
                        "học; xây dựng chuyên mục “Hỏi – đáp pháp luật” trên mạng xã hội."),
        ]
        held_items = {}
        if held_published > start:
            held_items = {
                "hctp": sd.register("tp_hctp", campaign, "Phòng Hành chính tư pháp – chứng thực điện tử",
                                    unit="HCTP", achievements="Chứng thực bản sao điện tử cho 18.000 lượt hồ sơ."),
                "anh": sd.register("tp_pbgdpl", campaign, "Chị Lâm Thị Ngọc Ánh – công chức tập sự, “Tiếng kẻng "
                                   "pháp luật”", person="Lâm Thị Ngọc Ánh",
                                   achievements="Biên soạn 12 tiểu phẩm pháp luật phát trên loa truyền thanh xã."),
                "oanh": sd.register("tp_hctp", campaign, "Chị Phan Thị Kim Oanh – số hóa sổ hộ tịch",
                                    person="Phan Thị Kim Oanh", achievements="Số hóa 95.000 trang sổ hộ tịch."),
                "thao": sd.register("tp_ptpcd", campaign, "Chị Kiều Thị Thảo – hòa giải ở cơ sở",
                                    person="Kiều Thị Thảo", achievements="Hướng dẫn 30 tổ hòa giải ở cơ sở."),
                "duc": sd.register("tp_pbgdpl", campaign, "Anh Huỳnh Văn Đức – báo cáo viên pháp luật",
                                   person="Huỳnh Văn Đức", achievements="Báo cáo viên tại 20 hội nghị."),
            }
        heads = {"hctp": "tp_hctp", "anh": "tp_pbgdpl", "oanh": "tp_hctp", "thao": "tp_ptpcd", "duc": "tp_pbgdpl"}
        for nid in ready_items:
            sd.nurture("tp_pbgdpl", nid, "Bồi dưỡng: dự giờ, góp ý bài tuyên truyền của báo cáo viên giỏi.")
        for key, nid in held_items.items():
            sd.nurture(heads[key], nid, "Bồi dưỡng theo kế hoạch của đơn vị.")
    with clock.travel(at(start, 15)):
        for nid in ready_items:
            sd.step("tp_pbgdpl", nid, "submit")
        for key, nid in held_items.items():
            sd.step(heads[key], nid, "submit")
    held = None
    if held_items:
        held_days = _held_days(sd, held_published, days)
        meeting = held_days["meeting"]
        with clock.travel(at(held_published, 10)):
            held = sd.publish_session(campaign, f"Phiên họp bình xét điển hình tiên tiến năm {year} (đợt 1)",
                                      meeting, list(held_items.values()))
    ready = None
    if ready_published > start:
        with clock.travel(at(ready_published, 9)):
            ready = sd.publish_session(campaign, READY_SESSION_TITLE.format(year=year), today, ready_items)
    else:
        notes.append("Đầu năm: phiên họp hôm nay chưa thể công khai đủ thời hạn; các hồ sơ đang chờ Hội đồng xét.")
    if held is not None:
        _hold_and_decide(sd, held, held_days, held_items, year)
    return ready, notes


def _held_days(sd: _Seeder, published: dt.date, days: int) -> dict[str, dt.date]:
    """The days of the earlier session's steps, its list published on `published`."""
    wd = sd.working_day
    meeting = wd(sd.publicity_end(published, days) + dt.timedelta(days=1))
    decided = wd(meeting + dt.timedelta(days=1))
    revoked = wd(decided + dt.timedelta(days=1))
    proposed = wd(revoked + dt.timedelta(days=1))
    return {"meeting": meeting, "decided": decided, "revoked": revoked, "proposed": proposed,
            "nganh": wd(proposed + dt.timedelta(days=3))}


def _hold_and_decide(sd: _Seeder, session_id: int, on: dict[str, dt.date], items: dict[str, int], year: int) -> None:
    """The earlier session of the year: four dossiers pass (one later revoked), one fails; a decision, a Tờ trình and
    the Minister's decision on one of the two proposed. `on`: the days of `_held_days`."""
    votes = {nid: sd.unanimous(nid) for key, nid in items.items() if key != "duc"}
    votes[items["duc"]] = sd.unanimous(items["duc"], "disagree")
    sd.hold_session(session_id, on["meeting"], votes)
    sd.decide_co_so(on["decided"], session_id, [items[k] for k in ("hctp", "anh", "oanh", "thao")])
    with clock.travel(at(on["revoked"], 16)):
        number = decisions.next_number(sd.session, sd.unit("STP"), year)
        sd.step("giamdoc", items["thao"], "revoke", decision_number=f"{number}/QĐ-STP",
                reason="Thành tích kê khai trùng với thành tích đã được khen thưởng năm trước.")
    sd.propose(on["proposed"], [items["hctp"], items["oanh"]],
               f"Đề nghị công nhận điển hình tiên tiến ngành Tư pháp năm {year}")
    sd.decide_nganh(on["nganh"], [items["oanh"]])


def _campaign_form(c: Campaign, **quotas) -> dict:
    """The admin's campaign form as it stands, with new quotas (`update_campaign` reads the whole form)."""
    types = [t for t, allowed in (("collective", c.allows_collective), ("individual", c.allows_individual)) if allowed]
    data = {"name": c.name, "kind": c.kind, "legal_basis": c.legal_basis, "award_forms": c.award_forms,
            "subject_types": types}
    for name in ("start_date", "end_date", "registration_deadline", "evaluation_deadline", "midterm_review_date",
                 "final_review_date"):
        value = getattr(c, name)
        data[name] = value.isoformat() if value else ""
    data.update({f"quota_{t}": str(n) for t, n in quotas.items()})
    return data
