"""Page error handlers answer pages in Vietnamese HTML and leave /api/ paths to JSON."""
import io


def test_unknown_page_is_a_vietnamese_404(client, login):
    login("canbo1")
    r = client.get("/khong-co-trang-nay")
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "Không tìm thấy" in r.get_data(as_text=True)


def test_unknown_api_path_still_answers_json(client):
    r = client.get("/api/v1/khong-co")
    assert r.status_code == 404
    assert r.is_json or "json" in r.mimetype


def test_too_large_upload_is_a_413_page(client, login, app, demo):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    login("tp_pbgdpl")
    big = io.BytesIO(b"%PDF-1.4" + b"0" * 4096)
    r = client.post("/nominations/1/attachments", data={"kind": "evidence", "file": (big, "big.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 413
    assert "vượt quá dung lượng" in r.get_data(as_text=True)
