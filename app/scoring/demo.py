"""Demo score sheets: the city's published 2026 sheet, and every bureau somewhere along
the way — a half-filled draft, submitted with the review half done, reviewed, or final
with grades spread over 好, 较好 and 一般, one held back by the ballot gate and one
vetoed — so the city's pages show final scores next to sheets still being scored
("评分中 7/15").

Registered by :func:`app.create_app` as a demo seeder; runs inside ``tenant_context`` for each
bureau.  The catalog side (the template, published once, and the bureau's assignment)
is created lazily by the first call; everything goes through the services, so the demo
data carries the same audit trail as real work.
"""
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from app.core.actor import BUREAU, BUREAU_ADMIN, CITY, CITY_ADMIN, Actor
from app.tenancy.models import Tenant

from . import engine, services
from .models import ScoreTemplate

DEMO_YEAR = 2026
DEMO_FILE = "annual-2026.yaml"
CITY_ACTOR = Actor(id=None, username="city", display_name="市直机关工委考核组", side=CITY, role=CITY_ADMIN,
                   city_role=CITY_ADMIN)

# Per bureau index (cycled): how far the sheet got, the quality of the work (a fraction
# of the points), the ballot's favourable share, and the grade the figures must give.
STAGES: list[dict[str, Any]] = [
    {"status": "final", "quality": 0.96, "approval": 0.95, "grade": "好"},
    {"status": "final", "quality": 0.96, "approval": 0.84, "grade": "较好", "gate": True},
    {"status": "final", "quality": 0.72, "approval": 0.80, "grade": "一般"},
    {"status": "reviewed", "quality": 0.88, "approval": 0.92, "grade": None},
    {"status": "self_submitted", "quality": 0.9, "approval": None, "grade": None, "review_share": 0.5},
    {"status": "draft", "quality": 0.85, "approval": None, "grade": None, "partial": True},
    {"status": "final", "quality": 0.93, "approval": 0.93, "grade": "差", "veto": True},
    {"status": "final", "quality": 0.86, "approval": 0.91, "grade": "较好"},
]


def demo_template() -> ScoreTemplate:
    """The published 2026 demo template, created and published on the first call."""
    template = services.published_template(DEMO_YEAR)
    if template is not None:
        return template
    body = services.example_body(DEMO_FILE)
    template = services.create_from_body(DEMO_YEAR, body, actor=CITY_ACTOR, how="演示数据")
    return services.publish(template, version=template.version, actor=CITY_ACTOR)


def _points(maximum: Decimal, quality: float, rng: random.Random) -> Decimal:
    factor = max(0.0, min(1.0, quality + rng.uniform(-0.04, 0.03)))
    # Half points, as scorers write them.
    return min(maximum, Decimal(round(float(maximum) * factor * 2)) / 2)


def _part(body: dict, quality: float, rng: random.Random, share: float = 1.0) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for _dimension, indicator in services.indicators_of(body):
        if rng.random() > share:
            continue
        maximum = Decimal(str(indicator["max_points"]))
        if indicator["method"] == "points":
            values[indicator["code"]] = _points(maximum, quality, rng)
        elif indicator["method"] == "levels":
            levels = indicator["levels"]
            target = quality + rng.uniform(-0.06, 0.04)
            values[indicator["code"]] = min(levels, key=lambda level: abs(float(level["fraction"]) - target))["label"]
        else:
            counts = {}
            for rule in indicator["rules"]:
                if rng.random() > quality + 0.05:
                    counts[rule["code"]] = rng.choice((1, 1, 2))
            values[indicator["code"]] = counts
    return values


def _ballot(body: dict, approval: float, rng: random.Random) -> dict[str, int]:
    labels = [level["label"] for level in body["ballot_levels"]]
    total = rng.randint(38, 60)
    favourable = round(total * approval)
    best = round(favourable * rng.uniform(0.7, 0.85))
    rest = total - favourable
    middle = rest - (1 if rest > 2 else 0)
    return {labels[0]: best, labels[1]: favourable - best, labels[2]: middle, labels[3]: rest - middle}


def _inputs(values: dict[str, Any], notes: dict[str, str] | None = None,
            evidence: dict[str, list[int]] | None = None) -> dict[str, services.EntryInput]:
    return {code: services.EntryInput(value=value, note=(notes or {}).get(code, ""),
                                      evidence=(evidence or {}).get(code)) for code, value in values.items()}


def _plan(body: dict, stage: dict, rng: random.Random) -> dict[str, Any]:
    """Self and reviewer values, ballot and adjustments that give the stage's grade."""
    for _attempt in range(40):
        own = _part(body, min(1.0, stage["quality"] + 0.03), rng)
        reviewer = _part(body, stage["quality"], rng)
        ballot = _ballot(body, stage["approval"], rng) if stage["approval"] else None
        adjustments: list[dict[str, Any]] = []
        if stage["grade"] in ("好", "较好") and rng.random() < 0.7:
            adjustments.append({"kind": "bonus", "rule": "B3", "reason": "机关党委获评市级先进基层党组织",
                                "document": "市直工委〔2026〕12号"})
        if stage["grade"] == "一般":
            adjustments.append({"kind": "deduction", "rule": "D2", "reason": "1名干部因违反工作纪律受到党内警告处分",
                                "document": "市纪委监委〔2026〕31号"})
        if stage.get("veto"):
            adjustments.append({"kind": "veto", "rule": "V2", "reason": "所属网站发布错误内容造成恶劣影响",
                                "document": "市委宣传部〔2026〕8号"})
        if stage["grade"] is None:
            return {"self": own, "reviewer": reviewer, "ballot": ballot, "adjustments": adjustments}
        result = engine.evaluate(body, {"self": own, "reviewer": reviewer, "ballot": ballot,
                                        "adjustments": adjustments})
        # The gate stage must owe its grade to the gate: 好 by score, held back by the ballot.
        held_back = result.grade_by_score != result.grade and not result.vetoes
        if result.grade == stage["grade"] and (held_back or not stage.get("gate")):
            return {"self": own, "reviewer": reviewer, "ballot": ballot, "adjustments": adjustments}
    raise RuntimeError(f"demo scores for grade {stage['grade']} not found")  # pragma: no cover - seed is fixed


def seed_bureau(tenant: Tenant, rng: random.Random, index: int, count: int) -> None:
    """Give ``tenant`` its 2026 sheet at the stage its index picks (see ``STAGES``)."""
    template = demo_template()
    assigned = {assignment.tenant_id for assignment in services.assignments_of(template)}
    services.set_assignments(template, assigned | {tenant.id}, actor=CITY_ACTOR)
    stage = STAGES[index % len(STAGES)]
    body = template.body
    plan = _plan(body, stage, rng)
    bureau_actor = Actor(id=None, username=f"{tenant.slug}-admin", display_name=f"{tenant.name}机关党委", side=BUREAU,
                         role=BUREAU_ADMIN)

    sheet = services.start_sheet(DEMO_YEAR, tenant_id=tenant.id, assessee_name=tenant.name, actor=bureau_actor)
    attachments = [attachment.id for attachment in services.evidence_choices(DEMO_YEAR)]
    evidence = {code: rng.sample(attachments, min(len(attachments), rng.randint(1, 2)))
                for code in plan["self"] if attachments and rng.random() < 0.4}
    own = plan["self"]
    if stage.get("partial"):
        own = {code: value for code, value in own.items() if rng.random() < 0.6}
    notes = {code: "已对照评分标准逐项自查，台账资料齐全。" for code in own if rng.random() < 0.3}
    services.save_self(sheet, _inputs(own, notes, evidence), summary="对照考核评分表逐项开展自评，形成自评报告。",
                       version=sheet.version, actor=bureau_actor)
    if stage["status"] == "draft":
        return
    services.submit(sheet, version=sheet.version, actor=bureau_actor)
    if stage["status"] == "self_submitted":
        if stage.get("review_share"):  # the review team has scored part of the sheet
            started = {code: value for code, value in plan["reviewer"].items() if rng.random() < stage["review_share"]}
            services.save_review(sheet, _inputs(started), version=sheet.version, actor=CITY_ACTOR)
        return
    comments = {code: "个别台账记录不够规范，酌情扣分。" for code in plan["reviewer"] if rng.random() < 0.2}
    services.save_review(sheet, _inputs(plan["reviewer"], comments), comment="考核组经查阅资料、个别谈话、实地查看，形成考核意见。",
                         version=sheet.version, actor=CITY_ACTOR)
    if plan["ballot"]:
        present = sum(plan["ballot"].values())
        services.save_ballot(sheet, plan["ballot"], eligible=present + rng.randint(0, 4), present=present,
                             note="述职评议大会现场测评", version=sheet.version, actor=CITY_ACTOR)
    for adjustment in plan["adjustments"]:
        services.add_adjustment(sheet, kind=adjustment["kind"], rule=adjustment["rule"], points=None,
                                reason=adjustment["reason"], document=adjustment["document"],
                                version=sheet.version, actor=CITY_ACTOR)
    services.complete_review(sheet, version=sheet.version, actor=CITY_ACTOR)
    if stage["status"] == "final":
        services.finalise(sheet, version=sheet.version, actor=CITY_ACTOR)
