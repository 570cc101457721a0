"""The nightly recompute of every bureau's branch figures: a period of meetings ends and
an election falls due with the date, not with a write (``ZEREN_BRANCH_FIGURES_AT``,
default 00:20, after the city's own nightly roll-up)."""
from __future__ import annotations

from app.core.unit_of_work import unit_of_work
from app.jobs.services import daily, handler
from app.tenancy import services as tenancy
from app.tenancy.session import tenant_context

from . import services

NIGHTLY = "orgs.figures.nightly"


@handler(NIGHTLY)
def nightly(progress) -> dict:
    """Recompute the branch figures of every active bureau; a failing bureau is counted
    and the others carry on."""
    done = failed = 0
    for tenant in tenancy.list_tenants():
        if tenant.status != "active":
            continue
        try:
            with tenant_context(tenant), unit_of_work():
                services.refresh_figures()
            done += 1
        except Exception:  # noqa: BLE001 - one broken bureau must not stop the others
            failed += 1
        progress.advance()
    if failed:
        raise RuntimeError(f"branch figures of {failed} bureau(s) could not be recomputed")
    return {"bureaus": done}


daily(NIGHTLY, at_setting="BRANCH_FIGURES_AT", default_at="00:20")
