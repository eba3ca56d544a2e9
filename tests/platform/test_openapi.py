"""The OpenAPI document as an integrator uses it (issue 15): it validates as OpenAPI 3.1, names every operation,
describes every body and download completely and as strictly as the server, and a client generated from it by
openapi-python-client drives a nomination from registration to submission against a live server."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from samples import PDF

from models import ATTACHMENT_KINDS, STATES, STORY_STATES

OPERATIONS = ("get", "put", "post", "patch", "delete", "options", "head", "trace")
PROBLEM = "application/problem+json"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def doc(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    return r.get_json()


def operations(doc):
    return [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()
            if method in OPERATIONS]


def schema_of(doc, schema):
    ref = schema.get("$ref")
    return doc["components"]["schemas"][ref.rpartition("/")[2]] if ref else schema


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on any violation of the 3.1 schema (in: formData, exclusiveMinimum: true, ...)
    assert "formData" not in json.dumps(doc)


def test_every_operation_has_a_unique_snake_case_operation_id(doc):
    ids = [op.get("operationId") for _, _, op in operations(doc)]
    assert ids and all(ids), [f"{m.upper()} {p}" for p, m, op in operations(doc) if not op.get("operationId")]
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*", i) for i in ids), ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    # Generated clients name their functions after these: they are a public contract, not Python names.
    by_route = {(m, p): op["operationId"] for p, m, op in operations(doc)}
    assert by_route[("post", "/api/v1/auth/token")] == "create_token"
    assert by_route[("post", "/api/v1/nominations")] == "create_nomination"
    assert by_route[("post", "/api/v1/nominations/{nomination_id}/transitions")] == "transition_nomination"
    assert by_route[("post", "/api/v1/nominations/{nomination_id}/attachments")] == "add_nomination_attachment"
    assert by_route[("get", "/api/v1/decisions/next-number")] == "get_next_decision_number"
    assert by_route[("get", "/api/v1/proposals/next-number")] == "get_next_proposal_number"


def test_the_title_makes_an_installable_package_name(doc):
    assert doc["info"]["title"].isascii() and re.fullmatch(r"[A-Za-z][A-Za-z0-9 ]*", doc["info"]["title"])


@pytest.mark.parametrize("path,fields,required", [
    ("/api/v1/nominations/{nomination_id}/attachments", {"file", "kind", "internal"}, {"file", "kind"}),
    ("/api/v1/stories/{story_id}/images", {"image", "caption"}, {"image"}),
])
def test_uploads_document_their_whole_multipart_body(doc, path, fields, required):
    op = doc["paths"][path]["post"]
    assert all(p["in"] in ("path", "query", "header", "cookie") for p in op.get("parameters", []))
    content = op["requestBody"]["content"]
    assert set(content) == {"multipart/form-data"}
    body = schema_of(doc, content["multipart/form-data"]["schema"])
    assert set(body["properties"]) == fields and set(body["required"]) == required
    upload = "file" if "file" in fields else "image"
    assert body["properties"][upload] == {"type": "string", "format": "binary"}
    if "kind" in fields:
        assert body["properties"]["kind"]["enum"] == list(ATTACHMENT_KINDS)


def test_a_client_following_the_document_uploads_an_attachment(api, demo, db):
    """The body the document describes (one multipart form: `file` and `kind`) is the body the server takes."""
    import io

    n = api.as_("tp_pbgdpl").post("/nominations", json={
        "campaign_id": demo.campaign().id, "subject_type": "collective", "unit_id": demo.unit("PBGDPL").id,
        "title": "Phòng Phổ biến, giáo dục pháp luật"}).get_json()
    r = api.as_("tp_pbgdpl").post(f"/nominations/{n['id']}/attachments",
                                  data={"kind": "evidence", "file": (io.BytesIO(PDF), "minh-chung.pdf")},
                                  content_type="multipart/form-data")
    assert r.status_code == 201 and r.get_json()["kind"] == "evidence"
    r = api.as_("tp_pbgdpl").post(f"/nominations/{n['id']}/attachments",
                                  data={"file": (io.BytesIO(PDF), "minh-chung.pdf")},
                                  content_type="multipart/form-data")
    assert r.status_code == 422 and r.mimetype == PROBLEM and "kind" in r.get_json()["errors"]


def test_every_download_declares_its_media_type_and_binary_bytes(doc):
    downloads = {}
    for path, _method, op in operations(doc):
        for status, response in op["responses"].items():
            content = response.get("content", {})
            if status.startswith("2") and content and "application/json" not in content:
                downloads[path] = content
    assert len(downloads) == 12, sorted(downloads)
    for path, content in downloads.items():
        assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values()), path
    assert set(downloads["/api/v1/reports/yearly.{ext}"]) == {DOCX, XLSX, "application/pdf"}
    assert set(downloads["/api/v1/nominations/{nomination_id}/certificate.docx"]) == {DOCX, "application/pdf"}
    assert set(downloads["/api/v1/audit/export.csv"]) == {"text/csv"}
    assert "application/pdf" in downloads["/api/v1/nominations/{nomination_id}/attachments/{attachment_id}"]


def test_states_are_documented_as_the_enums_the_server_enforces(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["NominationDetail"]["properties"]["state"]["enum"] == list(STATES)
    assert schemas["NominationSummary"]["properties"]["state"]["enum"] == list(STATES)
    assert schemas["History"]["properties"]["from_state"]["enum"] == [*STATES, None]
    assert schemas["Story"]["properties"]["state"]["enum"] == list(STORY_STATES)
    query = next(p for p in doc["paths"]["/api/v1/nominations"]["get"]["parameters"] if p["name"] == "state")
    pattern = re.compile(query["schema"]["pattern"])
    assert pattern.search("submitted") and pattern.search("registered,nurtured")
    assert not pattern.search("draft") and not pattern.search("submitted;drop")


def test_a_patch_without_a_body_is_refused_as_problem_json(api, demo):
    """`PATCH /councils/1` with no body used to answer 200 (nothing changed): the document says a body is required,
    and the server now says so too."""
    council = api.as_("admin").get("/councils").get_json()["items"][0]
    for kwargs in ({}, {"data": "", "content_type": "application/json"}):
        r = api.as_("admin").patch(f"/councils/{council['id']}", **kwargs)
        assert r.status_code in (400, 415, 422) and r.mimetype == PROBLEM, (kwargs, r.status_code, r.data[:200])
    r = api.as_("admin").patch(f"/councils/{council['id']}", data="{not json", content_type="application/json")
    assert r.status_code == 400 and r.mimetype == PROBLEM


# --------------------------------------------------------------------------------------------- the generated client
GENERATOR_CONFIG = f"""\
post_hooks: []
content_type_overrides:
  application/pdf: application/octet-stream
  image/png: application/octet-stream
  image/jpeg: application/octet-stream
  {DOCX}: application/octet-stream
  {XLSX}: application/octet-stream
"""

DRIVER = textwrap.dedent('''
    import json, sys
    from pathlib import Path

    import dienhinh_api_client
    from dienhinh_api_client import AuthenticatedClient, Client
    from dienhinh_api_client.api.api_auth import create_token
    from dienhinh_api_client.api.api_campaigns import list_campaigns
    from dienhinh_api_client.api.api_directory import get_me
    from dienhinh_api_client.api.api_nominations import (add_nomination_attachment, create_nomination,
        download_nomination_attachment, get_nomination, transition_nomination, update_nomination)
    from dienhinh_api_client.models import (AttachmentUpload, AttachmentUploadKind, NominationCreate,
        NominationCreateSubjectType, NominationDetail, NominationUpdate, NominationUpdateCriteria, Problem,
        TokenIssueRequest, Transition, TransitionAction)
    from dienhinh_api_client.types import File

    base, password, pdf = sys.argv[1], sys.argv[2], Path(sys.argv[3]).read_bytes()
    out = {"module": dienhinh_api_client.__file__}
    issued = create_token.sync(client=Client(base), body=TokenIssueRequest(username="tp_pbgdpl", password=password))
    api = AuthenticatedClient(base, token=issued.token)
    me = get_me.sync(client=api)
    campaign = next(c for c in list_campaigns.sync(client=api).items if c.kind == "annual")
    n = create_nomination.sync(client=api, body=NominationCreate(
        campaign_id=campaign.id, subject_type=NominationCreateSubjectType.COLLECTIVE, unit_id=me.unit_id,
        title="Phòng Phổ biến, giáo dục pháp luật", achievements="Hoàn thành xuất sắc nhiệm vụ năm."))
    assert isinstance(n, NominationDetail), n
    out["states"] = [n.state.value]
    n = transition_nomination.sync(n.id, client=api, body=Transition(
        action=TransitionAction.START_NURTURING, version=n.version, nurture_plan="Bồi dưỡng, theo dõi hằng quý."))
    out["states"].append(n.state.value)
    att = add_nomination_attachment.sync(n.id, client=api, body=AttachmentUpload(
        file=File(payload=pdf, file_name="bao-cao.pdf", mime_type="application/pdf"),
        kind=AttachmentUploadKind.ACHIEVEMENT_REPORT))
    out["attachment"] = [att.kind, att.content_type, att.size]
    got = download_nomination_attachment.sync_detailed(n.id, att.id, client=api)
    out["download"] = [got.status_code, got.content == pdf]
    n = get_nomination.sync(n.id, client=api)
    criteria = {c.code: {"met": True, "evidence": "Minh chứng " + c.code} for c in n.criteria}
    n = update_nomination.sync(n.id, client=api, body=NominationUpdate(
        version=n.version, criteria=NominationUpdateCriteria.from_dict(criteria)))
    stale = transition_nomination.sync(n.id, client=api, body=Transition(
        action=TransitionAction.SUBMIT, version=n.version - 1))
    out["stale"] = [type(stale).__name__, stale.status if isinstance(stale, Problem) else None]
    n = transition_nomination.sync(n.id, client=api, body=Transition(
        action=TransitionAction.SUBMIT, version=n.version, comment="Trình Hội đồng."))
    assert isinstance(n, NominationDetail), n
    out["states"].append(n.state.value)
    out["history"] = [h.action for h in n.history]
    print(json.dumps(out))
''')


def test_a_generated_client_drives_a_nomination_to_submission(live_server, tmp_path):
    """What an integrator does: generate a client from the served document (openapi-python-client, strict: a part
    of the document it cannot use is a failure), install it into a fresh virtual environment (offline, from the
    generated sources; its dependencies httpx and attrs come from this environment) and use it."""
    import urllib.request

    from conftest import DEMO_PASSWORD

    with urllib.request.urlopen(f"{live_server}/api/openapi.json", timeout=30) as resp:
        (tmp_path / "openapi.json").write_bytes(resp.read())
    (tmp_path / "generator.yaml").write_text(GENERATOR_CONFIG)
    bin_dir = Path(sys.executable).parent
    offline = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    run = lambda *cmd: subprocess.run(cmd, cwd=tmp_path, env=offline, capture_output=True, text=True,  # noqa: E731
                                      timeout=180)
    r = run(str(bin_dir / "openapi-python-client"), "generate", "--path", "openapi.json", "--output-path", "client",
            "--meta", "setup", "--config", "generator.yaml", "--fail-on-warning")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (tmp_path / "client" / "dienhinh_api_client").is_dir()

    r = run(sys.executable, "-m", "venv", "--without-pip", "venv")
    assert r.returncode == 0, r.stderr
    python = tmp_path / "venv" / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_host_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    r = run(sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-index", "--no-deps",
            "--no-build-isolation", "./client")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

    (tmp_path / "sample.pdf").write_bytes(PDF)
    (tmp_path / "driver.py").write_text(DRIVER)
    r = run(str(python), "driver.py", str(live_server), DEMO_PASSWORD, "sample.pdf")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["module"].startswith(site)  # the installed client, not the generated sources
    assert out["states"] == ["registered", "nurtured", "submitted"]
    assert out["history"] == ["create", "start_nurturing", "update", "submit"] or \
        out["history"] == ["create", "start_nurturing", "submit"]
    assert out["attachment"] == ["achievement_report", "application/pdf", len(PDF)]
    assert out["download"] == [200, True]
    assert out["stale"] == ["Problem", 409]


# ------------------------------------------------------------------------------------------------ states, PDFs
def _lifecycle_states() -> dict[str, list]:
    """Each lifecycle's states as its table holds them (workflow/lifecycles.py), and the delegations' (a state
    derived from dates, workflow/administration/delegations.py)."""
    from workflow import lifecycles
    from workflow.administration import delegations

    return {**{view.key: list(view.states) for view in lifecycles.ALL}, "delegation": list(delegations.STATE_LABELS)}


# Which lifecycle each state-valued field belongs to. A new state field missing here fails the test below: decide
# its lifecycle, and generate its enum from that table (web.api.schemas.State / StateFilter).
STATE_FIELDS = {
    **dict.fromkeys(("NominationSummary", "NominationDetail", "History", "Action", "AgendaItem", "DecisionNomination",
                     "ProposalItem", "NominationRef", "FunnelStep"), "nomination"),
    "CouncilSessionSummary": "council_session", "CouncilSessionDetail": "council_session",
    "Proposal": "proposal", "Story": "story", "Delegation": "delegation",
}
STATE_FILTERS = {"/api/v1/nominations": "nomination", "/api/v1/exports/nominations.xlsx": "nomination",
                 "/api/v1/council-sessions": "council_session", "/api/v1/proposals": "proposal",
                 "/api/v1/stories": "story"}


def test_every_state_field_lists_its_lifecycles_states(doc):
    """Issue 15: `state` was documented as any string. Every state-valued property and filter lists exactly the
    states of its lifecycle's table; the nominations' filter (several states, comma-separated) as a pattern of them."""
    states = _lifecycle_states()
    seen = set()
    for name, schema in doc["components"]["schemas"].items():
        for prop, spec in schema.get("properties", {}).items():
            if prop not in ("state", "from_state", "to_state"):
                continue
            assert name in STATE_FIELDS, f"{name}.{prop}: which lifecycle? (STATE_FIELDS)"
            expected = states[STATE_FIELDS[name]]
            nullable = "null" in (spec["type"] if isinstance(spec["type"], list) else [spec["type"]])
            assert spec.get("enum") == ([*expected, None] if nullable else expected), f"{name}.{prop}: {spec}"
            seen.add(name)
    assert seen == set(STATE_FIELDS)
    filters = {path: p for path, _m, op in operations(doc) for p in op.get("parameters", [])
               if p["name"] == "state" and p["in"] == "query"}
    assert set(filters) == set(STATE_FILTERS)
    for path, param in filters.items():
        expected = states[STATE_FILTERS[path]]
        if "enum" in param["schema"]:
            assert param["schema"]["enum"] == expected, path
        else:  # one state or several, comma-separated
            alternatives = re.search(r"\(\?:([^()]*)\)", param["schema"]["pattern"]).group(1).split("|")
            assert alternatives == expected, path


def test_a_filter_on_an_unknown_state_is_refused(api, demo, db):
    """What the document's enums say, the server enforces: an unknown state is refused (problem+json), never read
    as "no match"; a known one filters."""
    from factories import recognised

    from workflow.council import operations as council
    from workflow.errors import ValidationFailed

    for path in STATE_FILTERS:
        r = api.as_("giamdoc").get(f"{path.removeprefix('/api/v1')}?state=cancelled_or_not")
        assert r.status_code in (400, 422) and r.mimetype == PROBLEM and "state" in r.get_json()["errors"], path
    recognised(db, demo, "HCTP")
    closed = api.as_("giamdoc").get("/council-sessions?state=closed").get_json()
    assert closed["total"] >= 1 and {s["state"] for s in closed["items"]} == {"closed"}
    assert api.as_("giamdoc").get("/council-sessions?state=scheduled").get_json()["items"] == []
    with pytest.raises(ValidationFailed):
        council.list_sessions(db, demo.actor("giamdoc"), page=1, per_page=10, state="cancelled_or_not")


def test_every_official_docx_download_offers_its_pdf(doc):
    """Deliver 7 through the API: each download of an official .docx takes `format` (docx | pdf) and declares both
    media types as bytes (an uploaded attachment is sent as it was uploaded)."""
    found = []
    for path, _method, op in operations(doc):
        content = op["responses"].get("200", {}).get("content", {})
        if DOCX not in content or path.endswith("/attachments/{attachment_id}"):
            continue
        found.append(path)
        param = next((p for p in op.get("parameters", []) if p["name"] == "format"), None)
        assert param and param["in"] == "query" and param["schema"]["enum"] == ["docx", "pdf"], path
        assert content["application/pdf"]["schema"] == {"type": "string", "format": "binary"}, path
    assert len(found) == 6, found


def test_coded_fields_list_the_values_the_database_allows(doc):
    """Beyond states: the codes a response carries are documented as the enums of the database's check constraints
    (a generated client gets enum types, not bare strings)."""
    from models import ATTACHMENT_KINDS, CAMPAIGN_KINDS, MEMBER_FUNCTIONS, STORY_CHANNELS, SUBJECT_TYPES, UNIT_KINDS
    from workflow.propagation import introductions

    schemas = doc["components"]["schemas"]
    expected = {
        **{(name, "subject_type"): list(SUBJECT_TYPES) for name in ("NominationSummary", "NominationDetail",
                                                                    "AgendaItem", "AgendaCandidate",
                                                                    "DecisionNomination")},
        ("Unit", "kind"): list(UNIT_KINDS), ("Campaign", "kind"): list(CAMPAIGN_KINDS),
        ("Attachment", "kind"): list(ATTACHMENT_KINDS), ("Story", "channel"): list(STORY_CHANNELS),
        ("Attendance", "function"): [*MEMBER_FUNCTIONS, None],
        ("ComplianceRow", "status"): list(introductions.STATUS_LABELS),
    }
    for (name, prop), values in expected.items():
        assert schemas[name]["properties"][prop].get("enum") == values, (name, prop, schemas[name]["properties"][prop])
