"""Building the demo city.  Each feature adds its own demo data through a seeder that
:func:`app.create_app` registers (``app.extensions["zeren.demo_seeders"]``)."""
from __future__ import annotations

import random
from datetime import date
from dataclasses import dataclass, field
from typing import Callable

from flask import current_app
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import User
from app.audit.services import record_bureau
from app.city import metrics as rollup_metrics
from app.core.unit_of_work import unit_of_work
from app.errors import Conflict
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context

from .data import bureau_for, person_name

#: Per-bureau demo data of a feature: ``seeder(tenant, rng, index, count)`` runs inside
#: ``tenant_context(tenant)``.  ``index`` lets a seeder make some bureaus ahead and some
#: behind.
Seeder = Callable[[Tenant, random.Random, int, int], None]


def registered_seeders() -> tuple[Seeder, ...]:
    """The features' seeders, in the order :func:`app.create_app` registered them."""
    return tuple(current_app.extensions.get("zeren.demo_seeders", ()))


@dataclass
class Credential:
    username: str
    password: str
    role: str
    bureau: str | None = None


@dataclass
class SeedReport:
    credentials: list[Credential] = field(default_factory=list)
    bureaus: list[Tenant] = field(default_factory=list)


def catalog_is_empty() -> bool:
    return not (db.session.scalar(select(func.count()).select_from(Tenant))
                or db.session.scalar(select(func.count()).select_from(User)))


def wipe() -> None:
    """Delete every bureau (with its data) and every account: ``seed --force`` only."""
    for tenant in tenancy.list_tenants():
        tenancy.delete_tenant(tenant, confirm_slug=tenant.slug)
    for user in db.session.scalars(select(User)):
        db.session.delete(user)
    db.session.commit()


def seed(bureaus: int = 8, password: str | None = None, force: bool = False, seed_value: int = 2026,
         echo: Callable[[str], None] | None = None) -> SeedReport:
    """Create the demo city: the city admin ``city``, a city viewer, and ``bureaus`` bureaus,
    each with an admin ``<slug>-admin``, an editor and a viewer, plus every feature's data.

    Refuses to touch a catalog that already has bureaus or users unless ``force``.
    """
    if not catalog_is_empty():
        if not force:
            raise Conflict("目录库中已有单位或用户；如需重建演示数据，请加 --force（将删除全部现有数据）。")
        wipe()
    rng = random.Random(seed_value)
    report = SeedReport()

    def make_user(username: str, name: str, role: str, tenant: Tenant | None = None) -> None:
        secret = password or accounts.random_password()
        accounts.create_user(username, name, secret, tenant=tenant, role=role)
        report.credentials.append(Credential(username, secret, role, tenant.slug if tenant else None))

    make_user("city", "市直机关工委 " + person_name(rng), "city_admin")
    make_user("city-viewer", "工委领导 " + person_name(rng), "city_viewer")
    for index in range(bureaus):
        slug, name, category = bureau_for(index)
        tenant = tenancy.create_tenant(slug, name, category=category)
        report.bureaus.append(tenant)
        make_user(f"{slug}-admin", person_name(rng), "bureau_admin", tenant)
        make_user(f"{slug}-editor", person_name(rng), "bureau_editor", tenant)
        make_user(f"{slug}-viewer", person_name(rng), "bureau_viewer", tenant)
        # One unit of work per bureau, as a job would: a failing seeder leaves the bureau empty.
        with tenant_context(tenant), unit_of_work():
            record_bureau("bureau.open", "tenant", tenant.slug, summary=f"{name}开通责任制管理系统")
            for seeder in registered_seeders():
                seeder(tenant, rng, index, bureaus)
        # The demo is seeded in one go: give the city's trend charts the year so far.
        year = rollup_metrics.today().year
        history = [date(year, month, day) for month in range(1, 13) for day in (1, 15)]
        rollup_metrics.backfill_snapshots(tenant.ref, year, history)
        if echo:
            echo(f"  {slug:<8} {name}")
    # What spans bureaus (the city's tasks): once every bureau exists.
    for city_seeder in current_app.extensions.get("zeren.demo_city_seeders", ()):
        city_seeder(report.bureaus, rng)
    return report
