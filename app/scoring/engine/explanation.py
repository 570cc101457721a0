"""The explanation of a result in Chinese: the sentence next to each indicator score and
the ``reasons`` that say how the composite and the grade came about.

Only words here: every figure is computed by :mod:`.evaluation` and handed in; figures in
a sentence are rounded like reported ones, without trailing zeros (90, 87.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .contract import APPROVAL_LEVEL_COUNT, PART_LABELS, PARTS, Sheet
from .decimals import HUNDRED, round_figure
from .results import AdjustmentResult, Parts, Result, RuleDeduction


def figure_text(value: Decimal) -> str:
    """A figure for a sentence: rounded to 0.01, without trailing zeros (90, 87.5)."""
    rounded = round_figure(value)
    text = format(rounded.normalize(), "f")
    return "0" if text in ("-0", "") else text


def percent_text(fraction: Decimal) -> str:
    """A fraction as a percentage for a sentence (0.875 → 87.5%)."""
    return figure_text(fraction * HUNDRED) + "%"


# --------------------------------------------------------------------------- indicators


def points_explanation(score: Decimal, maximum: Decimal) -> str:
    """A ``points`` indicator: the score given."""
    return f"评分 {figure_text(score)} 分（满分 {figure_text(maximum)} 分）"


def level_explanation(label: str, fraction: Decimal, maximum: Decimal, score: Decimal) -> str:
    """A ``levels`` indicator: the level, its fraction of the points, the score."""
    return f"评定为“{label}”：{figure_text(maximum)} 分 × {fraction} = {figure_text(score)} 分"


def deduction_explanation(
    maximum: Decimal, deductions: Sequence[RuleDeduction], total: Decimal, score: Decimal
) -> str:
    """A ``deduct`` indicator: each rule that took points off, and where that ended."""
    if not deductions:
        return f"未发生扣分情形，得满分 {figure_text(maximum)} 分"
    steps = "；".join(
        f"{item.rule} {item.title} {item.occurrences} 次 × {figure_text(item.points_each)} 分"
        f" = {figure_text(item.points)} 分"
        for item in deductions
    )
    if total >= maximum:
        ending = f"扣分 {figure_text(total)} 分达到或超过分值 {figure_text(maximum)} 分，扣完为止，得 0 分"
    else:
        ending = f"共扣 {figure_text(total)} 分，得 {figure_text(score)} 分"
    return f"{steps}；{ending}"


# --------------------------------------------------------------------------- the result


def reasons(
    sheet: Sheet, result: Result, gate_lowered: Sequence[bool], vetoes: Sequence[AdjustmentResult]
) -> tuple[str, ...]:
    """How ``result`` came about, step by step: the weighted parts, bonus and deductions,
    the band the composite reached, each gate (``gate_lowered`` says, per gate of the
    sheet, whether it lowered the grade), each veto (in the order they were applied) and
    the final grade."""
    lines = [_weighted_reason(sheet, result.parts, result.weighted)]
    bonus_claimed, bonus, cap = result.bonus_claimed, result.bonus, sheet.bonus_cap
    if bonus_claimed > 0:
        if bonus_claimed > cap:
            lines.append(
                f"加分合计 {figure_text(bonus_claimed)} 分，超过上限 {figure_text(cap)} 分，按 {figure_text(bonus)} 分计入"
            )
        else:
            lines.append(f"加分 {figure_text(bonus)} 分（上限 {figure_text(cap)} 分）")
    if result.deductions > 0:
        lines.append(f"扣分合计 {figure_text(result.deductions)} 分")
    unfloored = result.weighted + bonus - result.deductions
    if unfloored < 0:
        lines.append(f"加减分后为 {figure_text(unfloored)} 分，低于 0 分，按 0 分计")

    minimum = dict(sheet.grades)[result.grade_by_score]
    lines.append(
        f"综合得分 {figure_text(result.composite)} 分，达到“{result.grade_by_score}”档（≥ {figure_text(minimum)} 分）"
    )
    lines += _gate_reasons(result, gate_lowered)
    lowest = sheet.grades[-1][0]
    for veto in vetoes:
        detail = f"（{veto.reason}）" if veto.reason else ""
        lines.append(f"一票否决：{veto.rule} {veto.rule_title}{detail}，等次定为“{lowest}”")
    lines.append(f"最终等次：“{result.grade}”")
    return tuple(lines)


def _gate_reasons(result: Result, gate_lowered: Sequence[bool]) -> list[str]:
    """The gates' lines, saying only what applied: a gate that lowered the grade (or
    would have) is named; gates that did not trigger are mentioned only when none did,
    so that "等次降为“较好”" is never followed by "门槛未触发" of a lower gate."""
    ballot = result.ballot
    if not result.gates:
        return []
    if ballot is None or ballot.approval is None or any(gate.applied is None for gate in result.gates):
        gates = "；".join(f"满意率低于 {percent_text(g.approval_below)} 的等次不高于“{g.max_grade}”" for g in result.gates)
        return [f"未提供民主测评票数，门槛（{gates}）不适用"]
    favourable_labels = "、".join(f"“{label}”" for label, _votes in ballot.votes[:APPROVAL_LEVEL_COUNT])
    approval_text = f"民主测评{favourable_labels}票合计占 {percent_text(ballot.approval)}"
    lines = []
    for gate, lowered in zip(result.gates, gate_lowered, strict=True):
        if not gate.applied:
            continue
        threshold, max_grade = percent_text(gate.approval_below), gate.max_grade
        if lowered:
            lines.append(f"{approval_text}，低于 {threshold}，等次降为“{max_grade}”")
        else:
            lines.append(f"{approval_text}，低于 {threshold}，等次不高于“{max_grade}”，现等次不受影响")
    if not lines:
        lowest = min(result.gates, key=lambda g: g.approval_below)
        highest = max(result.gates, key=lambda g: g.approval_below)
        lines.append(f"{approval_text}，不低于 {percent_text(highest.approval_below)}，等次不受门槛限制"
                     if lowest is highest else
                     f"{approval_text}，不低于任何门槛（最高 {percent_text(highest.approval_below)}），等次不受门槛限制")
    return lines


def _weighted_reason(sheet: Sheet, parts: Parts, weighted: Decimal) -> str:
    terms = [
        f"{PART_LABELS[part]} {figure_text(value)} × {sheet.weights[part]}"
        for part in PARTS
        if sheet.weights[part] > 0 and (value := parts.get(part)) is not None
    ]
    return f"加权得分 {figure_text(weighted)} 分 = " + " + ".join(terms)
