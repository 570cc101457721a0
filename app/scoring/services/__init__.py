"""Score sheets (考核评分): the rules behind the city's and the bureaus' pages.

Three groups of functions, one module each (what they share is in :mod:`.common`):

* **templates** (:mod:`.templates`; catalog, city admins): drafts edited in the tree
  editor or imported from JSON/YAML/Excel, validated with
  :func:`app.scoring.engine.validate_template`, published (immutable), copied into the
  next edition, assigned to bureaus;
* **sheets** (:mod:`.sheets`; the current bureau's database): started from the assigned
  edition, self-assessed, submitted; reviewed, adjusted, balloted and finalised by the
  city's assessor; reopened with a reason; the scores document of a sheet (the engine's
  input format, the same one ``flask scoring evaluate`` reads) and its evaluation;
* **figures** (:mod:`.figures`): :func:`metrics` for the roll-up and the city's overview.

Every figure comes from :mod:`app.scoring.engine`; nothing here adds or multiplies
scores.  Every write checks the year lock (:func:`app.years.services.ensure_open`), the
sheet's status and the form's ``version``, and writes an audit event; actions of the
city's assessor are audited twice: in the bureau (``record_bureau``) and in the catalog
(``record_city``, with the bureau's slug).
"""
from __future__ import annotations

from ..errors import TemplateInvalid  # noqa: F401 (what the template services raise)
from .common import (  # noqa: F401
    DOCUMENT_MAX, EVIDENCE_CHOICES_LIMIT, EXAMPLES, MAX_STORED_POINTS, MAX_VOTES, NOTE_MAX, REASON_MAX,
    REVIEW_STATUSES, blank_body, example_body, indicators_of, place, plain, problem_text, say, strip_controls,
    template_problems, ui_language)
from .templates import (  # noqa: F401
    assigned_template, assigned_years, assignments_of, create_from_body, create_template, delete_draft,
    get_template, import_template, list_templates, new_edition, parse_upload, publish,
    published_template, save_draft, set_assignments, year_assignments)
from .sheets import (  # noqa: F401
    EntryInput, REOPEN_TARGETS, add_adjustment, check_adjustment, check_ballot, check_inputs, complete_and_finalise, adjustment_rules, ballot_levels, complete_review,
    delete_adjustment, evaluate_sheet, evidence_choices, evidence_options, finalise, find_sheet, get_sheet, list_sheets,
    method_of, part_values, refresh_template, reopen, review_visible, running, save_ballot, save_review,
    save_self, scores_document, sheet_completeness, start_sheet, submit)
from .figures import (  # noqa: F401
    metrics, parse_points, sheet_overview)
