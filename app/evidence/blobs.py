"""What every evidence store shares: the shape of a blob's key and the error of a store
that cannot be reached (kept apart from :mod:`app.evidence.storage`, which chooses the store,
so that a store such as :mod:`app.evidence.s3` depends on these names and not on the chooser)."""
from __future__ import annotations

import re

from flask_babel import gettext as _

from app.errors import DomainError

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class BlobStoreUnavailable(DomainError):
    """The store cannot be reached or refused the operation (network, credentials, bucket).

    ``message`` is the user's (Chinese) text; what went wrong is logged where it is raised.
    Raised by :meth:`BlobStore.put` inside the service, so the upload's rows roll back.
    """

    http_status = 503

    def __init__(self, *, reading: bool = False) -> None:
        if reading:
            message = _("The evidence store cannot be reached at the moment, so the file cannot be opened. "
                        "Try again in a few minutes; if it keeps failing, tell the system administrator.")
        else:
            message = _("The evidence store cannot be reached at the moment, so nothing was saved. "
                        "Try again in a few minutes; if it keeps failing, tell the system administrator.")
        super().__init__(message)
