"""`unit_history.names_as_of` (many units at once, for a report's tables) agrees with `unit_name_on` (one unit) on
every date across two renames, and `listed_names` labels only the units that changed (issue 16)."""
from __future__ import annotations

import datetime as dt

from workflow.administration import unit_history
from workflow.administration import units as reorg


def test_many_units_as_of_a_date_agree_with_one_unit_at_a_time(db, demo):
    hctp, pb, other = demo.unit("HCTP"), demo.unit("PBGDPL"), demo.unit("XDKT")
    original = hctp.name
    admin = demo.actor("admin")
    reorg.rename_unit(db, admin, hctp.id, {"effective_date": "01/01/2024", "name": "Phòng A"})
    reorg.rename_unit(db, admin, hctp.id, {"effective_date": "01/01/2025", "name": "Phòng B"})
    reorg.merge_units(db, admin, pb.id, {"effective_date": "01/02/2025", "into_id": hctp.id})
    db.commit()
    expected = {dt.date(2023, 12, 31): original, dt.date(2024, 1, 1): "Phòng A", dt.date(2024, 12, 31): "Phòng A",
                dt.date(2025, 1, 1): "Phòng B", None: "Phòng B"}
    ids = [hctp.id, pb.id, other.id]
    for day, name in expected.items():
        names = unit_history.names_as_of(db, ids, day)
        assert names[hctp.id] == name == unit_history.unit_name_on(db, hctp.id, day).name, day
        assert names[pb.id] == pb.name and names[other.id] == other.name  # a merger keeps the unit's own name
    assert unit_history.names_as_of(db, [], dt.date(2024, 1, 1)) == {}
    listed = unit_history.listed_names(db)
    assert listed[hctp.id] == "Phòng B (trước đây: Phòng A)"
    assert listed[pb.id] == f"Phòng B (trước đây: {pb.name})"
    assert other.id not in listed


def test_a_change_of_code_alone_is_not_a_former_name(db, demo):
    unit = demo.unit("XDKT")
    reorg.rename_unit(db, demo.actor("admin"), unit.id, {"effective_date": "01/01/2025", "name": unit.name,
                                                         "code": "XDKT-MOI"})
    db.commit()
    assert unit.id not in unit_history.listed_names(db)
    assert unit_history.listed_name(unit.name, unit.name, None) == unit.name
