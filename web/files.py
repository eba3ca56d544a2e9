"""Serving stored files (attachments, story images) from the database, on any application host."""
from __future__ import annotations

from flask import Response, current_app, request, send_file

from workflow import uploads


def send_stored(stored, *, mimetype: str, download_name: str | None = None, as_attachment: bool = False) -> Response:
    """Streams `stored` (models.StoredFile) chunk by chunk, each chunk read through a short session of its own (the
    request's session is closed once the view returns; nothing holds a connection while a slow client reads).
    Content-Length, an ETag (the content's SHA-256), conditional and Range requests, nosniff; with `download_name`
    a Content-Disposition carrying the Vietnamese name (RFC 5987 `filename*`, an ASCII fallback)."""
    reader = uploads.StoredFileReader.of(current_app.extensions["dienhinh.read_sessions"], stored)
    response = send_file(reader, mimetype=mimetype, as_attachment=as_attachment, download_name=download_name,
                         max_age=0, etag=stored.sha256, conditional=False)
    response.content_length = stored.size
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request.environ, accept_ranges=True, complete_length=stored.size)
