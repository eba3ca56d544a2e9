"""The text rule (workflow.inputs): what may be stored, and which fields are long (multi-line) texts."""
from __future__ import annotations

import pytest

from workflow import inputs
from workflow.errors import ValidationFailed


@pytest.mark.parametrize("name", ["achievements", "note_3", "theme_12", "criteria.TT1.evidence",
                                  "criterion-TT1-evidence", "months[0].theme", "nurture_plan", "legal_basis",
                                  "body", "summary", "comment", "reason", "text"])
def test_long_texts(name):
    assert inputs.is_long(name)


@pytest.mark.parametrize("name", ["title", "name", "q", "username", "location", "number", "form", "criteria.TT1",
                                  "signer_name", "caption", "months[0]", ""])
def test_one_line_fields(name):
    assert not inputs.is_long(name)


@pytest.mark.parametrize("value", ["Phòng Phổ biến, giáo dục pháp luật – “Tủ sách” 100% ₫ 😀", "", "a\u00a0b",
                                   "ABC\u200bD"])
def test_legal_one_line_text(value):
    assert inputs.problem(value, long=False) is None


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f", "\x85",
                                  "\x9f", "\ud800", "\ufffe", "\uffff"])
def test_control_characters_are_refused_everywhere(char):
    assert inputs.problem(f"Phòng{char}PBGDPL", long=False)
    assert inputs.problem(f"Phòng{char}PBGDPL", long=True)


def test_tab_and_newlines_only_in_long_texts():
    for value in ("a\tb", "a\nb", "a\r\nb"):
        assert inputs.problem(value, long=False)
        assert inputs.problem(value, long=True) is None
    assert inputs.problem("a\rb", long=True)  # a lone CR is not a newline
    assert inputs.check("achievements", "1.\tMột\r\n2.\tHai\n") == "1.\tMột\n2.\tHai\n"


def test_check_names_the_field():
    with pytest.raises(ValidationFailed) as exc:
        inputs.check("title", "Phòng\x0bPBGDPL")
    assert exc.value.status == 422
    assert "U+000B" in exc.value.field_errors["title"] and "vị trí 6" in exc.value.field_errors["title"]


def test_check_tree_reports_paths_and_normalises():
    errors: dict = {}
    body = {"title": "ok", "criteria": {"TT1": {"evidence": "a\r\nb"}, "T\x00": {"evidence": "x\x00"}},
            "months": [{"theme": "a\tb", "form": "c\td"}]}
    out = inputs.check_tree(body, "", errors)
    assert out["criteria"]["TT1"]["evidence"] == "a\nb"
    assert set(errors) == {"criteria.T\\u0000", "criteria.T\\u0000.evidence", "months[0].form"}


def test_visible_and_xml_safe():
    assert inputs.visible("a\x00b\tc") == "a\\u0000b\\u0009c"
    assert inputs.xml_safe("a\x00b\x0bc\td\ne\r") == "abc\td\ne\r"
