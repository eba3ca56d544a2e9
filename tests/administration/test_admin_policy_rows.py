"""Each administration operation asks the policy table for its own (object type, verb) (issue 12): before, every one
asked ("user", "manage"), so granting the calendar (say) to another role meant editing the operations."""
from __future__ import annotations

import pytest

from workflow import policy
from workflow.administration import calendar as calendar_admin
from workflow.administration import imports
from workflow.administration import operations as admin
from workflow.errors import DomainError

OPERATIONS = {
    "list_units": (lambda db, demo, a: admin.list_units(db, a), ("unit", "manage")),
    "all_units": (lambda db, demo, a: admin.all_units(db, a), ("unit", "manage")),
    "create_unit": (lambda db, demo, a: admin.create_unit(db, a, {}), ("unit", "manage")),
    "update_unit": (lambda db, demo, a: admin.update_unit(db, a, demo.unit("HCTP").id, {}), ("unit", "manage")),
    "list_people": (lambda db, demo, a: admin.list_people(db, a), ("person", "manage")),
    "create_person": (lambda db, demo, a: admin.create_person(db, a, {}), ("person", "manage")),
    "add_award": (lambda db, demo, a: admin.add_award(db, a, {}, unit_id=demo.unit("HCTP").id), ("person", "manage")),
    "list_users": (lambda db, demo, a: admin.list_users(db, a), ("user", "view")),
    "get_user": (lambda db, demo, a: admin.get_user(db, a, demo.user("vanphong").id), ("user", "view")),
    "create_user": (lambda db, demo, a: admin.create_user(db, a, {}), ("user", "manage")),
    "update_user": (lambda db, demo, a: admin.update_user(db, a, demo.user("vanphong").id, {}), ("user", "manage")),
    "reset_password": (lambda db, demo, a: admin.reset_password(db, a, demo.user("vanphong").id, {}),
                       ("user", "manage")),
    "get_campaign": (lambda db, demo, a: admin.get_campaign(db, a, demo.campaign().id), ("campaign", "manage")),
    "update_campaign": (lambda db, demo, a: admin.update_campaign(db, a, demo.campaign().id, {}),
                        ("campaign", "manage")),
    "departments": (lambda db, demo, a: admin.departments(db, a), ("campaign", "manage")),
    "year_calendar": (lambda db, demo, a: calendar_admin.year_calendar(db, a, None), ("calendar", "manage")),
    "save_day": (lambda db, demo, a: calendar_admin.save_day(db, a, {}), ("calendar", "manage")),
    "delete_day": (lambda db, demo, a: calendar_admin.delete_day(db, a, ""), ("calendar", "manage")),
    "import_units": (lambda db, demo, a: imports.import_xlsx(db, a, "units", b""), ("unit", "import")),
    "import_people": (lambda db, demo, a: imports.import_xlsx(db, a, "people", b""), ("person", "import")),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_admin_operation_asks_its_own_row(db, demo, monkeypatch, name):
    call, row = OPERATIONS[name]
    asked = []
    real = policy.require

    def recording(actor, verb, obj_or_type, **kwargs):
        asked.append((obj_or_type, verb))
        return real(actor, verb, obj_or_type, **kwargs)

    monkeypatch.setattr(policy, "require", recording)
    try:
        call(db, demo, demo.actor("admin"))
    except DomainError:
        pass  # the data is empty on purpose: the permission asked is what is checked
    db.rollback()
    assert asked and asked[0] == row, asked
    assert row in policy.POLICY
