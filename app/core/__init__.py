"""The service layer every feature uses, in one place.

- :mod:`app.core.actor` — who acts (:class:`~app.core.actor.Actor`: a bureau member, a
  city user or the system) and :func:`~app.core.actor.require`, the one permission check.
- :mod:`app.core.unit_of_work` — services are decorated with
  :func:`~app.core.unit_of_work.writes`: they flush and raise domain errors; the outermost
  caller (a request, a CLI command, a job, or a test calling the service directly) commits
  once or rolls back; a concurrent edit becomes :class:`app.errors.Conflict`; a write into
  an archived or replaced bureau is refused before the service runs.
- :mod:`app.core.clock` — today's date in the configured time zone.
- :mod:`app.core.loading` — :func:`~app.core.loading.load`: a row by id, or ``NotFound``,
  which the application answers with a 404 page (:mod:`app.web_shell`).
- :mod:`app.errors` (beside this package, imported by everything) — the domain errors.

The cross-cutting guards that must hold for every write of bureau data whatever the code
path run inside the flush itself: the year lock (:mod:`app.years.guard`), the archived
bureau and replaced storage (:mod:`app.tenancy.session`).
"""
