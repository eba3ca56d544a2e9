"""The one reading of a typed value (workflow.inputs): every parser, both date formats, the error collector, and the
garbage a client or a hand-edited form sends. Each case names what a copy of these helpers used to get wrong."""
from __future__ import annotations

import datetime as dt

import pytest

from workflow import clock, inputs
from workflow.errors import ValidationFailed

D = dt.date


def refused(parse, value, **options) -> str:
    with pytest.raises(inputs.Invalid) as exc:
        parse(value, **options)
    return exc.value.message


# ------------------------------------------------------------------------------------------------ text
def test_text_trims_and_empty_is_none():
    assert inputs.text("  Phong trào  ", limit=20) == "Phong trào"
    assert inputs.text("   ", limit=20) is None and inputs.text(None, limit=20) is None


def test_text_required_limit_and_type():
    assert refused(inputs.text, " ", limit=5, required=True) == inputs.REQUIRED
    assert refused(inputs.text, "x" * 6, limit=5) == "Tối đa 5 ký tự."
    assert inputs.text("x" * 5, limit=5) == "xxxxx"
    assert refused(inputs.text, 12, limit=5) == inputs.NOT_TEXT
    assert refused(inputs.text, ["a"], limit=5) == inputs.NOT_TEXT


def test_text_applies_the_text_rule():
    assert "NUL" in refused(inputs.text, "a\x00b", limit=50)
    assert "xuống dòng" in refused(inputs.text, "a\nb", limit=50)  # one line unless long
    assert inputs.text("a\r\nb", limit=50, long=True) == "a\nb"  # CRLF of a textarea stored as LF
    assert "U+0007" in refused(inputs.text, "a\x07", limit=50, long=True)


# ------------------------------------------------------------------------------------------------ integers
@pytest.mark.parametrize(("value", "expected"), [(12, 12), (" 12 ", 12), ("0", 0), ("-3", -3), ("+7", 7),
                                                  (None, None), ("", None), ("  ", None)])
def test_integer_accepts(value, expected):
    assert inputs.integer(value) == expected


@pytest.mark.parametrize("value", ["1e9", "12abc", "1.0", "１２", "0x10", 1.5, 5.0, True, False, [1], {"a": 1},
                                   "9" * 19, "9" * 5000, "1 2", "\x00"])
def test_integer_refuses_garbage(value):
    assert refused(inputs.integer, value) == inputs.NOT_INTEGER


def test_integer_bounds_keep_ids_inside_a_column():
    assert refused(inputs.integer, str(2**31)) == f"Phải là số không quá {inputs.INT_MAX}."
    assert inputs.integer(str(inputs.INT_MAX)) == inputs.INT_MAX
    assert refused(inputs.integer, "0", minimum=1) == f"Phải là số từ 1 đến {inputs.INT_MAX}."
    assert refused(inputs.integer, "", required=True) == inputs.REQUIRED
    assert inputs.integer("10000", minimum=0, maximum=10_000) == 10_000


def test_integer_or_none_never_raises():
    assert inputs.integer_or_none(" 5 ") == 5
    assert inputs.integer_or_none("abc") is None and inputs.integer_or_none("9" * 40) is None


# ------------------------------------------------------------------------------------------------ dates
@pytest.mark.parametrize(("value", "expected"), [
    ("30/10/2025", D(2025, 10, 30)), ("1/2/2026", D(2026, 2, 1)), (" 01/02/2026 ", D(2026, 2, 1)),
    ("2025-10-30", D(2025, 10, 30)), (" 2026-02-01 ", D(2026, 2, 1)), ("29/02/2024", D(2024, 2, 29)),
    (D(2026, 3, 1), D(2026, 3, 1)), (dt.datetime(2026, 3, 1, 23, 0), D(2026, 3, 1)), (None, None), ("", None),
])
def test_date_reads_both_formats(value, expected):
    assert inputs.date(value) == expected


@pytest.mark.parametrize("value", ["31/02/2026", "29/02/2025", "2026-13-01", "2026-02-30", "hôm qua", "20260301",
                                   "2026-W01-1", "01-02-2026", "1/2/26", "2026/02/01", "01/02/2026 10:00",
                                   "2026-03-01T00:00", "２０２６-03-01", 20260301, ["2026-03-01"], "\x00", "1" * 5000])
def test_date_refuses(value):
    assert refused(inputs.date, value) == inputs.BAD_DATE


def test_date_message_names_the_forms_format_and_required():
    # The parser reads ISO too (the API, date pickers), but the message shows the format of the forms (issue 14)
    assert "30/10/2025" in inputs.BAD_DATE and "2025-10-30" not in inputs.BAD_DATE
    assert refused(inputs.date, " ", required=True) == inputs.REQUIRED


# ------------------------------------------------------------------------------------------------ id lists
def test_ids_drop_duplicates_in_order():
    assert inputs.ids([3, 1, 3, 2, 1]) == [3, 1, 2]
    assert inputs.ids((7,)) == [7]
    assert inputs.ids(inputs.ids_as_typed(["4", " 5 ", "4"])) == [4, 5]  # a form's checked boxes


@pytest.mark.parametrize("value", [[1, "x"], [1, 2.5], [True], [0], [-1], [2**31], "1,2", 5, {"1": 1}, [[1]],
                                   [None], ["1e3"], ["5"]])
def test_ids_refuse_what_is_not_a_list_of_positive_ids(value):
    assert refused(inputs.ids, value) == inputs.BAD_IDS


def test_ids_empty():
    assert refused(inputs.ids, []) == inputs.EMPTY_IDS and refused(inputs.ids, None) == inputs.EMPTY_IDS
    assert inputs.ids([], required=False) == []


def test_ids_as_typed_keeps_garbage_for_the_service_to_refuse():
    assert inputs.ids_as_typed(["1", "x", " 2 "]) == [1, "x", 2]
    with pytest.raises(inputs.Invalid):
        inputs.ids(inputs.ids_as_typed(["1", "x"]))


# ------------------------------------------------------------------------------------------------ choice, flag
def test_choice_and_flag():
    assert inputs.choice("annual", ("annual", "period")) == "annual"
    assert refused(inputs.choice, "monthly", allowed=("annual",)) == inputs.BAD_CHOICE
    assert refused(inputs.choice, "", allowed=("annual",)) == inputs.REQUIRED_CHOICE
    assert inputs.choice("", ("annual",), required=False) is None
    assert refused(inputs.choice, ["annual"], allowed=("annual",)) == inputs.BAD_CHOICE
    assert [inputs.flag(v) for v in (True, "1", "on", " yes ", "TRUE")] == [True] * 5
    assert [inputs.flag(v) for v in (False, None, "", "0", "off", 1, "maybe")] == [False] * 7


# ------------------------------------------------------------------------------------------------ the collector
def test_form_collects_every_field_then_raises_once():
    form = inputs.Form("Thông tin chưa hợp lệ.")
    assert form.text("name", "  ", limit=10, required=True) is None
    assert form.integer("year", "1e9") is None
    assert form.date("start_date", "31/02/2026") is None
    assert form.ids("nomination_ids", ["x"]) == []
    assert form.date("end_date", "01/03/2026") == D(2026, 3, 1)
    assert "name" in form and "end_date" not in form and bool(form)
    with pytest.raises(ValidationFailed) as exc:
        form.check()
    err = exc.value
    assert err.status == 422 and err.detail == "Thông tin chưa hợp lệ."
    assert err.field_errors == {"name": inputs.REQUIRED, "year": inputs.NOT_INTEGER, "start_date": inputs.BAD_DATE,
                                "nomination_ids": inputs.BAD_IDS}
    # each reason names its field by the form's label, never the internal name (issue 14, finding 8)
    assert set(err.reasons) == {f"Tên: {inputs.REQUIRED}", f"Năm: {inputs.NOT_INTEGER}",
                                f"Ngày bắt đầu: {inputs.BAD_DATE}", f"Danh sách hồ sơ: {inputs.BAD_IDS}"}


def test_form_keeps_the_first_message_of_a_field_and_explicit_reasons():
    form = inputs.Form()
    form.date("day", "x")
    form.add("day", "Năm phải từ 2000 đến 2100.")  # a later rule does not hide the parse error
    form.add("end_date", "Không được trước ngày bắt đầu.", "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.")
    err = form.error()
    assert err.field_errors["day"] == inputs.BAD_DATE
    assert err.reasons == ["Ngày kết thúc phải sau hoặc trùng ngày bắt đầu."]


def test_form_with_nothing_wrong_does_not_raise():
    form = inputs.Form()
    assert form.text("note", "a\r\nb", limit=10) == "a\nb"  # `note` is a long text by its name
    form.check()
    assert not form


def test_one_answers_a_single_parameter():
    assert inputs.one("year", inputs.integer, "2026", minimum=2000, maximum=2100) == 2026
    with pytest.raises(ValidationFailed) as exc:
        inputs.one("year", inputs.integer, "20266", detail="Năm không hợp lệ.", minimum=2000, maximum=2100)
    assert exc.value.detail == "Năm không hợp lệ."
    assert exc.value.field_errors == {"year": "Phải là số từ 2000 đến 2100."}


# ------------------------------------------------------------------------------------------------ the clock
def test_clock_now_is_aware_utc_and_today_is_hanoi(monkeypatch):
    assert clock.now().tzinfo is dt.UTC
    assert abs((clock.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    assert clock.today() == dt.datetime.now(clock.TZ).date()
