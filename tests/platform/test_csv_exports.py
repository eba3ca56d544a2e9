"""Issue 15, finding 6: the CSV exports for Excel and LibreOffice alike. Every CSV the application serves (found in
its URL map, pages and API) starts with the UTF-8 byte-order mark and says it is UTF-8; every page offering a CSV
offers the same rows as .xlsx beside it; the README says how to open the CSV in Excel and in LibreOffice."""
from __future__ import annotations

import html
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
BOM = b"\xef\xbb\xbf"
# The page that offers each CSV of the pages. A new CSV route fails the test below until its page is listed here
# (and offers the .xlsx beside it).
OFFERED_ON = {"/audit/export.csv": "/audit"}


def csv_routes(app) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv"))


def test_every_csv_export_starts_with_the_utf8_bom(app, api, client, login):
    routes = csv_routes(app)
    assert "/audit/export.csv" in routes and "/api/v1/audit/export.csv" in routes
    login("thanhtra")
    for route in routes:
        if route.startswith("/api/"):
            r = api.as_("thanhtra").get(route.removeprefix("/api/v1") + "?action=auth.")
        else:
            assert route in OFFERED_ON, f"{route}: which page offers it? (OFFERED_ON)"
            r = client.get(route + "?action=auth.")
        assert r.status_code == 200, (route, r.status_code, r.data[:200])
        assert r.mimetype == "text/csv" and r.mimetype_params.get("charset") == "utf-8", (route, r.content_type)
        assert r.data.startswith(BOM), route
        assert r.data[len(BOM):].decode("utf-8").splitlines()[0].count(",") >= 2, route  # a header row, commas


def test_the_page_offering_a_csv_offers_the_xlsx_beside_it(client, login):
    """The same filter, both formats, next to each other: the .xlsx opens correctly everywhere."""
    login("thanhtra")
    for page in set(OFFERED_ON.values()):
        body = client.get(page + "?action=auth.").get_data(as_text=True)
        links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', body)]
        csvs = [h for h in links if ".csv" in h]
        assert csvs, f"{page} offers no CSV"
        for href in csvs:
            assert "action=auth." in href
            assert href.replace(".csv", ".xlsx") in links, f"{page}: {href} without its .xlsx"
        assert "UTF-8" in body and "LibreOffice" in body  # the hint beside the buttons


def test_the_readme_says_how_to_open_the_csv():
    text = README.read_text(encoding="utf-8")
    m = re.search(r"^#+ Opening a CSV export in Excel or LibreOffice\n(.*?)(?=^#)", text, re.M | re.S)
    assert m, "README: the section on opening the CSV exports is missing"
    section = m.group(1)
    for needed in ("UTF-8", "byte-order mark", "Excel", "LibreOffice Calc", "Character set", "Comma", ".xlsx"):
        assert needed in section, needed
