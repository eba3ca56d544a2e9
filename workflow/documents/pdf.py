"""PDF beside .docx: an official document converted by LibreOffice headless, exactly as the render test
(tests/reporting/test_render.py) converts every document it checks, so a văn thư can file or sign the PDF in the
department's document system. Without LibreOffice on the server (`available()` is false) only the .docx is offered.

Each conversion runs its own soffice with a private profile in a temporary folder (two at once never share a profile,
which LibreOffice refuses), and many files convert in one run (`convert`): starting soffice costs seconds.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from workflow.errors import NotFound, ValidationFailed

TIMEOUT_SECONDS = 180


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    """Whether the server can make PDFs (LibreOffice installed)."""
    return soffice() is not None


def convert(files: dict[str, bytes], *, timeout: float = TIMEOUT_SECONDS) -> dict[str, bytes]:
    """{"name.docx": bytes, "name.xlsx": bytes, …} → the same names mapped to their PDFs, in one soffice run."""
    program = soffice()
    if program is None:
        raise NotFound("Máy chủ chưa cài LibreOffice: chỉ tải được bản Word (.docx).")
    with tempfile.TemporaryDirectory(prefix="dienhinh-pdf-") as folder:
        root = Path(folder)
        src, out, profile = root / "src", root / "pdf", root / "profile"
        src.mkdir()
        out.mkdir()
        # One stem per file: a .docx and an .xlsx of the same name would otherwise make one PDF.
        stems = {name: f"f{i}" for i, name in enumerate(files)}
        for name, data in files.items():
            (src / f"{stems[name]}{Path(name).suffix}").write_bytes(data)
        try:
            subprocess.run([program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                            "--convert-to", "pdf", "--outdir", str(out), *sorted(str(p) for p in src.iterdir())],
                           check=True, capture_output=True, timeout=timeout)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ValidationFailed("Không chuyển được văn bản sang PDF.",
                                   ["LibreOffice không chuyển được tệp; hãy tải bản Word (.docx)."]) from exc
        result = {}
        for name in files:
            pdf = out / f"{stems[name]}.pdf"
            if not pdf.exists():
                raise ValidationFailed("Không chuyển được văn bản sang PDF.",
                                       ["LibreOffice không chuyển được tệp; hãy tải bản Word (.docx)."])
            result[name] = pdf.read_bytes()
        return result


def docx_to_pdf(data: bytes) -> bytes:
    """The PDF of one .docx."""
    return convert({"van-ban.docx": data})["van-ban.docx"]
