"""The bureau's responsible people (责任人), shared by every feature.

:mod:`app.people.models` holds :class:`~app.people.models.Person`,
:mod:`app.people.services` the rules (list, add, change, remove),
:mod:`app.people.labels` the names of the kinds.  The package imports no feature:
duties, findings and reminders import it.
"""
