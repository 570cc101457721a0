"""The result's gate lines say only what applied (issue 11, item 8): a lowered grade is
never followed by "门槛未触发" of another gate."""
from __future__ import annotations

from app.scoring.engine import evaluate
from tests.scoring.test_engine_validation import minimal_scores, minimal_template


def _two_gates():
    template = minimal_template()
    template["gates"] = [{"ballot_approval_below": 0.9, "max_grade": "较好"},
                         {"ballot_approval_below": 0.7, "max_grade": "差"}]
    scores = minimal_scores()
    scores["reviewer"] = {"P1": 40, "X1": {}, "L1": "好"}
    return template, scores


def test_a_lowering_gate_is_the_only_gate_line():
    template, scores = _two_gates()
    scores["ballot"] = {"好": 6, "较好": 2, "差": 2}  # 80 %: below 90 %, not below 70 %
    result = evaluate(template, scores)
    assert result.grade_by_score == "好" and result.grade == "较好"
    gate_lines = [r for r in result.reasons if "票合计占" in r]
    assert gate_lines == ["民主测评“好”、“较好”票合计占 80%，低于 90%，等次降为“较好”"]
    assert not any("未触发" in r or "不受门槛限制" in r for r in result.reasons)


def test_no_gate_triggered_is_one_line():
    template, scores = _two_gates()
    scores["ballot"] = {"好": 9, "较好": 1, "差": 0}
    result = evaluate(template, scores)
    gate_lines = [r for r in result.reasons if "票合计占" in r]
    assert gate_lines == ["民主测评“好”、“较好”票合计占 100%，不低于任何门槛（最高 90%），等次不受门槛限制"]


def test_no_ballot_names_every_gate_once():
    template, scores = _two_gates()
    template["composite"] = {"self": 0.2, "reviewer": 0.8, "ballot": 0}
    del scores["ballot"]
    lines = [r for r in evaluate(template, scores).reasons if "不适用" in r]
    assert len(lines) == 1 and "90%" in lines[0] and "70%" in lines[0]
