"""The demo's reorganisation (issue 16, Deliver 5), separate from the base demo: a district office closed on
01/07/2025 with its people moved to the department, and its example of 2024 whose certificate keeps the old name."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import AuditEvent, Nomination, Person
from workflow import documents
from workflow.administration import demo_reorganisation


def test_the_district_office_closes_and_its_2024_certificate_keeps_its_name(db, demo):
    district, stp = demo.unit("PTP-LX"), demo.unit("STP")
    people = db.scalars(select(Person.id).where(Person.unit_id == district.id, Person.active.is_(True))).all()
    assert people
    closed = demo_reorganisation.run(db)
    assert closed.id == district.id and not closed.active and closed.closed_on == dt.date(2025, 7, 1)
    assert closed.replaced_by_id == stp.id
    assert {db.get(Person, p).unit_id for p in people} == {stp.id}
    n = db.scalar(select(Nomination).where(Nomination.unit_id == district.id, Nomination.title == district.name))
    cert = documents.certificate(db, n)
    assert cert.name == "Phòng Tư pháp thành phố Long Xuyên" and "20/12/2024" in cert.decision_ref
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "admin.unit_close",
                                                 AuditEvent.object_id == district.id)) is not None
