"""Demo data of the audit trail beyond the writes every feature records: who logged in from
where, which evidence files were downloaded and which ledgers and reports exported, over the
last two months — busier bureaus (early in the demo city) more often, the city's inspectors
opening bureaus' evidence, the audit administrator exporting the trail."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.core.clock import local_zone, today
from app.extensions import db
from app.tenancy.models import Tenant

from .services import record_city

EVIDENCE = ("党组会议记录（第{n}次）.pdf", "理论学习中心组学习记录.pdf", "“三会一课”台账（{n}月）.pdf",
            "意识形态工作专题研判报告.docx", "整改报告（第{n}批）.pdf", "党风廉政建设责任书签订照片.jpg",
            "主题党日活动照片（{n}月）.jpg", "谈心谈话记录表.pdf", "专题组织生活会会议纪要.pdf")
EXPORTS = (("bureau.findings.export", "{name}整改台账 {day}.xlsx"), ("bureau.duties.export_list", "{year}年度主体责任清单.xlsx"),
           ("bureau.reports.ledger", "{name}整改台账 {day}.pdf"), ("bureau.reports.bureau_report", "{name}{year}年度报告.pdf"),
           ("bureau.scoring.export_scores", "{year}年度考核评分表.xlsx"))


def _moment(rng: random.Random, days_back: int) -> datetime:
    day = today() - timedelta(days=days_back)
    clock = time(rng.choice((8, 9, 10, 11, 14, 15, 16, 17)), rng.randrange(60), rng.randrange(60))
    return datetime.combine(day, clock, tzinfo=local_zone())


def _event(action: str, entity_type: str, entity_id, summary: str, user: User, at: datetime, *,
           slug: str | None, ip: str, after: dict | None = None) -> None:
    event = record_city(action, entity_type, entity_id, summary=summary, after=after, tenant_slug=slug, actor=user)
    event.at, event.ip = at, ip


def seed(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """Log-ins, downloads and exports of one demo bureau (and the city's reads of it)."""
    users = {u.username: u for u in select_users(tenant.slug)}
    staff = [u for name, u in users.items() if name.startswith(tenant.slug)]
    city = users.get("city")
    auditor = users.get("audit-admin")
    busy = max(1, count - index)  # the first bureaus of the demo city are the busiest
    subnet = f"10.{20 + index}.{rng.randrange(1, 250)}"
    for user in staff:
        for _ in range(rng.randint(2, 3 + busy)):
            _event("user.login", "user", user.id, f"{user.username} 登录", user, _moment(rng, rng.randrange(60)),
                   slug=tenant.slug, ip=f"{subnet}.{rng.randrange(2, 250)}")
    year = today().year
    for _ in range(rng.randint(2, 2 + busy)):
        user = rng.choice(staff)
        name = rng.choice(EVIDENCE).format(n=rng.randint(1, 12))
        _event("file.download", "attachment", rng.randint(1, 40), f"下载证明材料「{name}」", user,
               _moment(rng, rng.randrange(45)), slug=tenant.slug, ip=f"{subnet}.{rng.randrange(2, 250)}",
               after={"file": name})
    for _ in range(rng.randint(1, 1 + busy // 2)):
        user = rng.choice(staff)
        endpoint, pattern = rng.choice(EXPORTS)
        day = today() - timedelta(days=rng.randrange(30))
        name = pattern.format(name=tenant.name, day=day.isoformat(), year=year)
        _event("file.export", "export", endpoint, f"导出「{name}」", user, _moment(rng, (today() - day).days),
               slug=tenant.slug, ip=f"{subnet}.{rng.randrange(2, 250)}", after={"file": name})
    if city is not None and index % 2 == 0:
        name = rng.choice(EVIDENCE).format(n=rng.randint(1, 12))
        _event("file.download", "attachment", rng.randint(1, 40), f"下载证明材料「{name}」", city,
               _moment(rng, rng.randrange(20)), slug=tenant.slug, ip="10.1.0.15", after={"file": name})
    if auditor is not None and index == count - 1:
        name = f"审计记录-{today().isoformat()}.xlsx"
        _event("file.export", "export", "city.audit.city_export", f"导出「{name}」", auditor,
               _moment(rng, 1), slug=None, ip="10.1.0.23", after={"file": name, "page": "/city/audit/export.xlsx?what=download"})


def select_users(slug: str) -> list[User]:
    """The bureau's three demo accounts and the city's."""
    names = [f"{slug}-admin", f"{slug}-editor", f"{slug}-viewer", "city", "audit-admin"]
    return list(db.session.scalars(select(User).where(User.username.in_(names))))
