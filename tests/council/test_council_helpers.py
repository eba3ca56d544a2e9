"""The council tests' names for the builders of tests/factories.py (test_council_*.py, test_decisions_*.py,
test_service_council_steps.py and others import them from here): new tests import from `factories` directly.

No tests here; the module is named like its siblings because it belongs with them.

The demo council (workflow/administration/demo.py): giamdoc (chu_tich, unit STP), vanphong (thuong_truc, VP, person Lê
Văn Phúc), hoidong1 (PBGDPL, Huỳnh Văn Đức), hoidong2 (head of TTR), hoidong3 (head of XDKT), hoidong4 (head of TGPL),
hoidong5 (head of VP, Trần Thị Thu Hà). Nobody of the council belongs to HCTP, PTP-LX or PTP-CD.
"""
from __future__ import annotations

import pytest
from factories import (  # noqa: F401 - re-exported
    LATER,
    MEMBERS,
    NOW,
    actions,
    close,
    council_of,
    entitled,
    item_of,
    notified,
    open_session,
    open_session_again,
    schedule,
    submitted,
    uid,
    vote,
)
from factories import nomination as nominate  # noqa: F401 - re-exported


@pytest.fixture
def db(rolled_back_db):
    """What conftest's `db` is by default now (kept for the modules that import it from here)."""
    return rolled_back_db


def submit_via_service(db, demo, tmp_path, head: str, *, unit: str | None = None, person: str | None = None,
                       title: str = "Hồ sơ"):
    """The real path: registered → nurtured → submitted by the unit head, with a complete dossier."""
    return submitted(db, demo, head, unit=unit, person=person, title=title)
