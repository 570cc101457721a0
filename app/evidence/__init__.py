"""Evidence files (佐证材料), shared by every feature that keeps them.

* :mod:`app.evidence.models` — :class:`~app.evidence.models.Attachment`, a file of a duty
  progress record (the table the duties, findings and scoring features link to);
* :mod:`app.evidence.storage` — the allow-list, content sniffing, spooling an upload and
  the :class:`~app.evidence.storage.BlobStore` interface with its local implementation;
* :mod:`app.evidence.services` — the upload rules of one request (how many files, the
  size limit, the user's message for a refused file) and the blob life-cycle: a blob is
  deleted only when no *registered* reference holds its key (see
  :func:`~app.evidence.services.release_blobs`);
* :mod:`app.evidence.downloads` — the response of every evidence download: streamed, or
  handed to nginx by ``X-Accel-Redirect`` once the feature's view has authorised it;
* :mod:`app.evidence.labels` — names of the file kinds.

The package imports no feature: features import it.
"""
