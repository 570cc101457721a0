"""Import every models module so that both metadatas are complete.

Alembic environments, provisioning and tests import this module; a new feature adds its
``models`` module here.
"""
from app.accounts import models as accounts_models  # noqa: F401
from app.audit import models as audit_models  # noqa: F401
from app.city import models as city_models  # noqa: F401
from app.citytasks import models as citytasks_models  # noqa: F401
from app.deadlines import models as deadlines_models  # noqa: F401
from app.duties import models as duties_models  # noqa: F401
from app.evidence import models as evidence_models  # noqa: F401
from app.findings import models as findings_models  # noqa: F401
from app.jobs import models as jobs_models  # noqa: F401
from app.meetings import models as meetings_models  # noqa: F401
from app.orgs import models as orgs_models  # noqa: F401
from app.notifications import models as notifications_models  # noqa: F401
from app.people import models as people_models  # noqa: F401
from app.scoring import models as scoring_models  # noqa: F401
from app.tenancy import models as tenancy_models  # noqa: F401
from app.years import models as years_models  # noqa: F401
from app.directory import models as directory_models  # noqa: F401
