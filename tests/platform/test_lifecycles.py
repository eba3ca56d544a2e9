"""The lifecycles of sessions, proposals and stories as tables with one shared Machine each; the citations of the
nomination table; the diagrams generated from the tables (README blocks and the page's SVG)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from models import PROPOSAL_STATES, SESSION_STATES, STORY_STATES
from workflow import diagrams, lifecycles
from workflow.errors import Conflict
from workflow.lifecycles import PROPOSAL, SESSION, STORY
from workflow.nominations.machine import TRIGGERS

ROOT = Path(__file__).resolve().parents[2]
# The spec's lifecycles (DOMAIN.md "The council", UX/README): trigger -> (sources, dest).
TABLES = {
    "council_session": (SESSION, SESSION_STATES, {"open": ({"scheduled"}, "open"), "close": ({"open"}, "closed"),
                                                  "cancel": ({"scheduled"}, "cancelled")}),
    "proposal": (PROPOSAL, PROPOSAL_STATES, {"submit": ({"draft"}, "submitted")}),
    "story": (STORY, STORY_STATES, {"publish": ({"draft"}, "published"), "unpublish": ({"published"}, "draft")}),
}
# Where a citation may point: the five seed plans, the decree and law of the regime, or DOMAIN.md.
SOURCES = ("Kế hoạch 79/KH-STP", "Kế hoạch 98/KH-STP", "Kế hoạch 23/KH-STP", "Kế hoạch 26/KH-STP",
           "Sở Tư pháp Đồng Tháp", "Nghị định 98/2023/NĐ-CP", "Luật Thi đua, khen thưởng số 06/2022/QH15",
           "DOMAIN.md")


class Plain:
    def __init__(self, state: str):
        self.state = state


@pytest.mark.parametrize("key", sorted(TABLES))
def test_each_machine_has_exactly_its_table(key):
    lc, states, table = TABLES[key]
    assert set(lc.machine.states) == set(states) == set(lc.states)
    assert set(lc.machine.events) == set(table)  # no to_<state>() shortcuts (auto_transitions off)
    for code, (sources, dest) in table.items():
        edges = {(src, t.dest) for src, ts in lc.machine.events[code].transitions.items() for t in ts}
        assert edges == {(s, dest) for s in sources}
        assert set(lc.steps[code].sources) == sources and lc.steps[code].dest == dest


@pytest.mark.parametrize("key", sorted(TABLES))
def test_firing_moves_the_state_and_a_wrong_state_is_a_conflict(key):
    lc, states, table = TABLES[key]
    for code, (sources, dest) in table.items():
        for src in sources:
            obj = Plain(src)
            lc.fire(obj, code)
            assert obj.state == dest
        for other in set(states) - sources:
            obj = Plain(other)
            with pytest.raises(Conflict) as err:
                lc.fire(obj, code)
            assert err.value.status == 409 and obj.state == other


def test_the_machines_are_shared_and_attach_nothing_to_the_object():
    obj = Plain("draft")
    STORY.fire(obj, "publish")
    assert vars(obj) == {"state": "published"}
    assert STORY.machine.models == []


def test_every_trigger_of_every_lifecycle_cites_its_source():
    assert all(t.cite for t in TRIGGERS.values())
    for view in lifecycles.ALL:
        for step in view.steps:
            assert any(source in step.cite for source in SOURCES), (view.key, step.code, step.cite)


def test_every_state_and_trigger_has_a_vietnamese_label():
    for view in lifecycles.ALL:
        assert set(view.states) <= set(view.state_labels), view.key
        assert {s.code for s in view.steps} <= set(view.action_labels), view.key


def test_state_groups_are_named_once():
    """The recognised states were spelt out in five modules and drifted from each other."""
    literal = re.compile(r'\(\s*"evaluated_co_so",\s*"proposed_nganh",\s*"recognized"\s*\)')
    where = [str(p.relative_to(ROOT)) for top in ("workflow", "web", "notifications")
             for p in (ROOT / top).rglob("*.py") if literal.search(p.read_text(encoding="utf-8"))]
    assert where == ["workflow/nominations/machine.py"]


def test_readme_shows_every_lifecycle_as_the_tables_generate_it():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = diagrams.readme_blocks(text)
    assert set(blocks) == {v.key for v in lifecycles.ALL}
    for view in lifecycles.ALL:
        assert blocks[view.key] == diagrams.readme_block(view), (
            f"README's {view.key} diagram differs from the table: paste `python -m workflow.diagrams`")
    assert diagrams.refresh_readme(text) == text


def test_a_changed_table_changes_the_readme_block():
    view = lifecycles.ALL[2]
    changed = lifecycles.View(view.key, view.title, view.states, view.initial, view.final,
                              (*view.steps, lifecycles.Step("reopen", ("submitted",), "draft", "DOMAIN.md")),
                              view.state_labels, {**view.action_labels, "reopen": "Mở lại"})
    assert diagrams.readme_block(changed) != diagrams.readme_block(view)
    assert "submitted --> draft: reopen" in diagrams.mermaid(changed)


@pytest.mark.parametrize("view", lifecycles.ALL, ids=lambda v: v.key)
def test_svg_is_self_contained_and_names_every_state_and_step(view):
    picture = diagrams.svg(view)
    root = ET.fromstring(picture)  # well-formed
    assert root.tag.endswith("svg") and root.get("role") == "img"
    assert "<script" not in picture and "http" not in picture.replace("http://www.w3.org/2000/svg", "")
    assert "style=" not in picture  # nothing for the Content-Security-Policy to allow
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for state in view.states:
        for word in view.state_labels[state].split():
            assert word in text
    for step in view.steps:
        assert view.action_labels[step.code] in text
    arrows = [p for p in root.iter() if p.tag.endswith("path") and p.get("marker-end")]
    assert len(arrows) == sum(len(s.sources) for s in view.steps)
