"""A first end-to-end walk through the service, on every backend."""
from workflow import service


def test_unit_head_registers_and_nurtures(db, demo):
    actor = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    n = service.transition(db, actor, n.id, "start_nurturing", 1, nurture_plan="Kế hoạch bồi dưỡng")
    db.commit()
    assert (n.state, n.version) == ("nurtured", 2)
    assert [h.action for h in n.history] == ["create", "start_nurturing"]
