"""Jobs of the organisation tree: none.  Its figures are part of the bureau's roll-up
(:func:`app.orgs.services.metrics`), recomputed by the roll-up's own jobs."""
