"""Numbers and symbols of official documents (DOCUMENTS.md): "Số: {n}/{type}-{body}", e.g. 12/QĐ-STP, 46/TTr-STP.
Numbers restart each year per body and type; callers check duplicates against their own table."""
from __future__ import annotations

import re

from models import Unit
from workflow.errors import ValidationFailed

NUMBER = re.compile(r"^\s*(\d{1,6})\s*(?:/\s*([\wĐđ]+)\s*-\s*([\w\-]+))?\s*$")
DOC_NAMES = {"QĐ": "quyết định", "TTr": "tờ trình", "BC": "báo cáo"}


def body_symbol(unit: Unit) -> str:
    """BTP for the Ministry; every Sở Tư pháp signs as STP (as the seeds do), another body by its code."""
    if unit.kind == "ministry":
        return "BTP"
    return "STP" if unit.code.startswith("STP") else unit.code


def parse(number, *, doc_type: str, issuer: Unit, body: str | None = None) -> int:
    """12, "12" or "12/QĐ-STP" → 12. A written type and symbol must be this body's ("12/QĐ-BTP" is not a Sở's);
    `body` when the document names its body otherwise than `body_symbol` (a unit's report: its own code)."""
    name = DOC_NAMES[doc_type]
    expected = f"{doc_type}-{body or body_symbol(issuer)}"
    if isinstance(number, int) and not isinstance(number, bool):
        seq = number
    else:
        m = NUMBER.match(str(number or ""))
        seq = int(m.group(1)) if m else 0
        if m and m.group(2) is not None and f"{m.group(2)}-{m.group(3)}".upper() != expected.upper():
            raise ValidationFailed(f"Ký hiệu {name} không đúng.", [f"{name.capitalize()} này có ký hiệu {expected}."],
                                   {"number": "Sai ký hiệu"})
    if not 0 < seq < 1_000_000:
        raise ValidationFailed(f"Số {name} không hợp lệ.", [f"Số {name}, ví dụ 12 hoặc 12/{expected}."],
                               {"number": "Không hợp lệ"})
    return seq
