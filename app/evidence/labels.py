"""Human names of the detected file kinds (see :data:`app.evidence.storage.KINDS`)."""
from __future__ import annotations

FILE_KIND_LABELS = {
    "pdf": "PDF", "jpg": "JPEG", "png": "PNG", "docx": "Word", "doc": "Word 97-2003",
    "xlsx": "Excel", "xls": "Excel 97-2003", "ofd": "OFD",
}
