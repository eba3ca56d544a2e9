"""What the browser tests prepare through the services before the browser opens: a cơ sở example of HCTP passed
by the 7-member council and recognised by the director's decision (committed to the live server's database)."""
from __future__ import annotations

import datetime as dt

from samples import PDF

from workflow import clock
from workflow.council import operations as council
from workflow.nominations import rules, service
from workflow.proposals import decisions

MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]


def recognise_co_so(db, demo, tmp_path, *, decision_number: int):
    """Phòng Hành chính tư pháp registered, nurtured, submitted, voted unanimously and recognised cơ sở by decision
    `decision_number`/QĐ-STP today. Returns the nomination; the caller commits."""
    today = clock.today()
    head = demo.actor("tp_hctp")
    n = service.create_nomination(db, head, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("HCTP").id, title="Phòng Hành chính tư pháp",
                                  achievements="Giải quyết 100% hồ sơ hộ tịch đúng hạn.")
    n = service.transition(db, head, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch bồi dưỡng")
    answers = {c.code: {"met": True, "evidence": "Có minh chứng"} for c in rules.criteria_for("collective", "annual")}
    n = service.update_nomination(db, head, n.id, n.version, criteria=answers)
    service.add_attachment(db, head, n.id, kind="achievement_report", filename="bao-cao.pdf", data=PDF)
    n = service.transition(db, head, n.id, "submit", n.version)
    council.council_for_department(db, demo.unit("STP").id).publicity_working_days = 0
    sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
    s = council.schedule(db, sec, title="Phiên họp bình xét", date=today + dt.timedelta(days=7),
                         campaign_id=demo.campaign().id)
    council.set_agenda(db, sec, s.id, [n.id])
    council.publish(db, sec, s.id)
    council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
    council.open_session(db, director, s.id)
    for u in MEMBERS:
        council.cast_vote(db, demo.actor(u), s.id, nomination_id=n.id, choice="agree")
    council.close_session(db, director, s.id)
    decisions.issue(db, director, level="co_so", number=decision_number, date=today, nomination_ids=[n.id])
    return n
