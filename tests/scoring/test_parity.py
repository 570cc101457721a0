"""``flask scoring evaluate`` and the pages give the same figures for the same sheet.

A sheet is built through the pages (self-assessment, review, ballot, adjustments), its
template and scores are exported as documents, the CLI evaluates them, and every figure
the CLI prints is compared with the figure the result page, the printout and the review
page show.
"""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.scoring import engine
from tests.helpers import EXAMPLE_SCORES, login, page_figures, review_fully, start_and_fill

# A second case: 好 by score (97.23) held back to 较好 by the ballot gate (77.78 % approval),
# bonuses of 7.5 capped at 5, a deduction, and quarter points.
GATED = {
    "self": dict(EXAMPLE_SCORES["self"], SX1=Decimal("5.25"), ZD1=Decimal("7.75")),
    "reviewer": dict(EXAMPLE_SCORES["reviewer"], SX1=Decimal("5.75"), ZJ3=Decimal("5.95"), ZZ2="好",
                     ZD1=Decimal("7.95"), ZJ1={"ZJ1-3": 1}, JL2="好", SX3="好"),
    "ballot": {"好": 25, "较好": 10, "一般": 8, "差": 2},
    "adjustments": [{"kind": "bonus", "rule": "B1"}, {"kind": "bonus", "rule": "B2"}, {"kind": "bonus", "points": 2.5},
                    {"kind": "deduction", "rule": "D1"}],
}
VETOED = dict(EXAMPLE_SCORES, adjustments=[{"kind": "veto", "rule": "V3", "reason": "发生重大安全责任事故",
                                             "document": "市安委〔2026〕3号"}])


def cli_figures(document: dict) -> dict[str, Decimal | str]:
    """The CLI's JSON flattened to the page's ``data-figure`` keys."""
    figures: dict[str, Decimal | str] = {}

    def number(value):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)

    for part in ("self", "reviewer", "ballot"):
        figures[f"parts.{part}"] = number(document["parts"][part])
    for key in ("weighted", "bonus", "deductions", "composite"):
        figures[key] = number(document[key])
    figures["grade"] = document["grade"]
    for dimension in document["dimensions"]:
        for part in ("self", "reviewer"):
            figures[f"dimension.{dimension['code']}.{part}"] = number(dimension[part])
        for indicator in dimension["indicators"]:
            for part in ("self", "reviewer"):
                figures[f"indicator.{indicator['code']}.{part}"] = number(indicator[part]["score"])
    ballot = document["ballot"]
    figures["ballot.score"] = number(ballot["score"])
    figures["ballot.approval_percent"] = number(ballot["approval_percent"])
    figures["ballot.total_votes"] = Decimal(ballot["total_votes"])
    for index, adjustment in enumerate(document["adjustments"]):
        if adjustment["kind"] != "veto":
            figures[f"adjustments.{index}.points"] = number(adjustment["points"])
    return figures


@pytest.mark.parametrize("scores", [EXAMPLE_SCORES, GATED, VETOED], ids=["example", "gated", "vetoed"])
def test_cli_and_pages_agree(app, client, bureau_a, assigned, city_admin, tmp_path, scores):
    start_and_fill(client, bureau_a, scores["self"], submit=True)
    review_fully(client, bureau_a, scores)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/2026"
    template_file = tmp_path / "template.json"
    scores_file = tmp_path / "scores.yaml"
    template_file.write_bytes(client.get(f"{base}/template.json").data)
    scores_file.write_bytes(client.get(f"{base}/scores.yaml").data)
    outcome = app.test_cli_runner().invoke(args=["scoring", "evaluate", str(template_file), str(scores_file)])
    assert outcome.exit_code == 0, outcome.output
    expected = cli_figures(json.loads(outcome.stdout))

    result_page = page_figures(client.get(f"{base}/result").get_data(as_text=True))
    missing = set(expected) - set(result_page)
    assert not missing, missing
    for key, value in expected.items():
        assert result_page[key] == value, key
    printout = page_figures(client.get(f"{base}/print").get_data(as_text=True))
    for key in ("parts.self", "parts.reviewer", "parts.ballot", "weighted", "bonus", "deductions", "composite",
                "grade", "ballot.score"):
        assert printout[key] == expected[key], key
    for key, value in expected.items():
        if key.startswith(("indicator.", "dimension.")):
            assert printout[key] == value, key
    review_page = page_figures(client.get(f"{base}/review").get_data(as_text=True))
    assert review_page["composite"] == expected["composite"] and review_page["grade"] == expected["grade"]
    assert review_page["running.reviewer"] == expected["parts.reviewer"]

    # The page figures are the engine's too, evaluated on the original documents.
    direct = engine.result_to_json(engine.evaluate(engine.load_document(template_file), scores))
    assert cli_figures(direct) == expected
    if scores is GATED:
        assert expected["grade"] == "较好" and direct["grade_by_score"] == "好"
        assert (direct["bonus_claimed"], direct["bonus"]) == (7.5, 5)
    if scores is VETOED:
        assert expected["grade"] == "差"
