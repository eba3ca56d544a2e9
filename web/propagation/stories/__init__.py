"""Editor pages for stories about recognised examples (bài viết tuyên truyền): the list, the form, the detail with
its preview, publishing ("Xuất bản") and taking down ("Gỡ bài"), and the images."""
from flask import Blueprint

bp = Blueprint("stories", __name__, url_prefix="/stories")

from web.propagation.stories import views  # noqa: E402,F401  (routes attach to `bp`)
