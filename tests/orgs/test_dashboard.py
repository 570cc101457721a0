"""The bureau's dashboard over its branches: figures pushed on change, compare 2–6."""
from __future__ import annotations


from app.core import clock
from app.extensions import db
from app.meetings import services as meetings
from app.orgs import services
from app.orgs.models import BranchFigure
from app.tenancy.session import tenant_context
from sqlalchemy import select
from tests.helpers import admin_of, branch_of, login


def _figure(unit_id: int) -> BranchFigure:
    return db.session.scalar(select(BranchFigure).where(BranchFigure.unit_id == unit_id,
                                                        BranchFigure.year == clock.today().year))


def test_a_meeting_recorded_updates_the_branchs_figures_at_once(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        before = _figure(tree.second)
        held = before.meetings_held
        unit = meetings.get_unit(tree.second, branch_of(tree.branch2))
        meetings.record_meeting(unit, {"kind": "committee", "held_on": clock.today(), "topic": "研究本月工作"},
                                actor=branch_of(tree.branch2))
        db.session.expire_all()
        assert _figure(tree.second).meetings_held == held + 1


def test_a_branch_with_a_missed_period_or_an_overdue_election_is_behind(bureau_a, tree):
    with tenant_context(bureau_a.tenant):
        first = _figure(tree.first)  # elected 2022-03-01 for three years: overdue
        assert first.election_overdue and first.behind
        board = services.dashboard(clock.today().year, admin_of(bureau_a))
        assert board.branches == 2 and board.behind >= 1
        assert services.metrics(clock.today().year)["branches_behind"] == board.behind


def test_the_page_shows_the_branch_behind_and_compares_in_the_chosen_order(client, bureau_a, tree):
    login(client, bureau_a.admin.username)
    page = client.get(f"/b/{bureau_a.slug}/orgs/dashboard").get_data(as_text=True)
    assert "2个中" in page and "超期未换届" in page
    page = client.get(f"/b/{bureau_a.slug}/orgs/dashboard?u={tree.second}&u={tree.first}&u=x").get_data(as_text=True)
    table = page[page.index('id="branch-compare"'):]
    assert table.index("办公室党支部") < table.index("机关第一党支部")


def test_branch_users_do_not_see_the_bureau_dashboard(app, bureau_a, tree):
    client = app.test_client()
    login(client, tree.branch1.username)
    assert client.get(f"/b/{bureau_a.slug}/orgs/dashboard").status_code == 404


def test_the_nightly_recompute_moves_figures_with_the_date(bureau_a, tree, monkeypatch):
    from app.orgs import tasks

    class Progress:
        def advance(self, step: int = 1) -> None:
            pass

    with tenant_context(bureau_a.tenant):
        db.session.query(BranchFigure).delete()
        db.session.commit()
    assert tasks.nightly(Progress()) == {"bureaus": 1}
    with tenant_context(bureau_a.tenant):
        assert _figure(tree.first) is not None and _figure(tree.second).computed_on == clock.today()


def test_the_city_sees_the_bureaus_branches_in_aggregate(app, bureau_a, tree, city_admin):
    from app.city import metrics as rollup

    rollup.refresh_tenant(bureau_a.tenant.ref)
    client = app.test_client()
    login(client, city_admin.username)
    page = client.get(f"/city/bureaus/{bureau_a.slug}").get_data(as_text=True)
    assert "2个中" in page and "个落后" in page


def test_the_city_dashboard_has_a_column_of_branches_behind(app, bureau_a, tree, city_admin):
    from sqlalchemy import select

    from app.city import metrics as rollup
    from app.city.models import TenantMetrics
    from app.extensions import db

    rollup.refresh_tenant(bureau_a.tenant.ref)
    db.session.expire_all()
    row = db.session.scalar(select(TenantMetrics).where(TenantMetrics.tenant_id == bureau_a.tenant.id,
                                                        TenantMetrics.year == services.today().year))
    assert row.branches == 2 and row.branches_behind == row.figures["orgs"]["branches_behind"]
    client = app.test_client()
    login(client, city_admin.username)
    page = client.get("/city/").get_data(as_text=True)
    assert "落后的党支部" in page and f"{row.figures['orgs']['branches_behind']}/2" in page
    assert client.get("/city/?sort=branches_behind&dir=desc").status_code == 200
