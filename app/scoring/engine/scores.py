"""Validation of a scores document (self, reviewer, ballot, adjustments) against a
valid sheet: what :func:`validate_scores` reports and what :func:`~.evaluation.evaluate`
refuses. The rules are listed on :func:`validate_scores`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .contract import ADJUSTMENT_KINDS, PART_LABELS, SHEET_PARTS, Indicator, Sheet, checked_sheet
from .decimals import ZERO, is_number, to_decimal, whole_count
from .problems import Problem, bi, key_path

SCORE_DOCUMENT_KEYS = ("self", "reviewer", "ballot", "adjustments")
ADJUSTMENT_KEYS = ("kind", "points", "rule", "reason", "document")


def validate_scores(template: object, scores: object) -> list[Problem]:
    """Return every problem of a scores document against ``template`` (empty when valid).

    Raises :class:`ScoringError` when the template itself is invalid, because scores
    cannot be judged against a broken sheet. See ``docs/score-templates.md`` for the
    rules: points within [0, max_points]; deduct occurrences whole and non-negative;
    level labels defined on the indicator; every points and levels indicator scored in a
    part that is given; a part with a non-zero weight given; ballot votes whole and
    non-negative with at least one vote when the ballot has a weight; adjustments with a
    known kind, veto rules from ``veto_rules``, bonus/deduction rules from
    ``adjustment_rules``.
    """
    return score_problems(checked_sheet(template), scores)


def score_problems(sheet: Sheet, scores: object) -> list[Problem]:
    """Every problem of a scores document against a valid sheet."""
    if not isinstance(scores, Mapping):
        return [Problem("", bi("评分数据应为键值映射", "the scores document must be a mapping"))]
    problems = _unknown_key_problems(scores, "", SCORE_DOCUMENT_KEYS)
    for part in SHEET_PARTS:
        problems += _sheet_part_problems(sheet, part, scores.get(part))
    problems += _ballot_problems(sheet, scores.get("ballot"))
    problems += _adjustment_problems(sheet, scores.get("adjustments"))
    return problems


def _unknown_key_problems(mapping: Mapping[Any, Any], path: str, known: tuple[str, ...]) -> list[Problem]:
    return [
        Problem(key_path(path, key), bi(f"未知的键，应为 {', '.join(known)} 之一", f"unknown key"))
        for key in mapping
        if key not in known and not str(key).startswith("x-")
    ]


def _missing_part_problem(sheet: Sheet, part: str) -> list[Problem]:
    weight = sheet.weights[part]
    if weight > 0:
        return [
            Problem(
                part,
                bi(f"{PART_LABELS[part]}权重为 {weight}，但未提供{PART_LABELS[part]}",
                   f"the {part} part has weight {weight} but is missing"),
            )
        ]
    return []


def _sheet_part_problems(sheet: Sheet, part: str, values: object) -> list[Problem]:
    if values is None:
        return _missing_part_problem(sheet, part)
    if not isinstance(values, Mapping):
        return [Problem(part, bi("应为“指标代码: 得分”的映射", "must map indicator codes to scores"))]
    indicators = sheet.indicators
    problems = [
        Problem(
            key_path(part, code),
            # YAML reads an unquoted code such as 1 or 1.1 as a number.
            bi("模板中没有此指标", "no such indicator in the template")
            if isinstance(code, str)
            else bi("模板中没有此指标（代码须为字符串，YAML 中请加引号）",
                    "no such indicator in the template (codes are strings: quote them in YAML)"),
        )
        for code in values
        if code not in indicators
    ]
    for indicator in indicators.values():
        path = key_path(part, indicator.code)
        value = values.get(indicator.code)
        if value is None and indicator.method == "deduct":
            continue  # no recorded occurrence: nothing to deduct
        if value is None:
            problems.append(Problem(path, bi("未评分", "not scored")))
        else:
            problems += indicator_value_problems(indicator, value, path)
    return problems


def indicator_value_problems(indicator: Indicator, value: object, path: str) -> list[Problem]:
    """The problems of one part's entry for one indicator (``path`` names it)."""
    if indicator.method == "points":
        if not is_number(value):
            return [
                Problem(
                    path,
                    bi(f"应为 0 到 {indicator.max_points} 之间的数字", f"must be a number from 0 to {indicator.max_points}"),
                )
            ]
        number = to_decimal(value)  # type: ignore[arg-type]
        if not ZERO <= number <= indicator.max_points:
            return [
                Problem(
                    path,
                    bi(f"得分 {number} 超出 0 到 {indicator.max_points} 的范围",
                       f"score {number} is outside 0..{indicator.max_points}"),
                )
            ]
        return []
    if indicator.method == "levels":
        labels = "、".join(indicator.levels)
        if not isinstance(value, str) or value not in indicator.levels:
            return [
                Problem(path, bi(f"应为以下等次之一：{labels}", f"must be one of the levels {', '.join(indicator.levels)}"))
            ]
        return []
    if not isinstance(value, Mapping):
        return [Problem(path, bi("应为“扣分规则代码: 次数”的映射", "must map rule codes to occurrences"))]
    problems: list[Problem] = []
    for rule_code, occurrences in value.items():
        rule_path = key_path(path, rule_code)
        if rule_code not in indicator.rules:
            problems.append(
                Problem(
                    rule_path,
                    bi(f"此指标没有该扣分规则，可用：{'、'.join(indicator.rules)}", f"unknown rule for this indicator"),
                )
            )
        elif whole_count(occurrences) is None:
            problems.append(Problem(rule_path, bi("次数应为非负整数", "occurrences must be a whole number, 0 or more")))
    return problems


def _ballot_problems(sheet: Sheet, ballot: object) -> list[Problem]:
    if ballot is None:
        return _missing_part_problem(sheet, "ballot")
    if not isinstance(ballot, Mapping):
        return [Problem("ballot", bi("应为“测评等次: 票数”的映射", "must map ballot levels to votes"))]
    if not sheet.ballot_levels:
        return [Problem("ballot", bi("模板未定义民主测评等次", "the template defines no ballot levels"))]
    labels = dict(sheet.ballot_levels)
    problems: list[Problem] = []
    total = 0
    for label, votes in ballot.items():
        path = key_path("ballot", label)
        if label not in labels:
            problems.append(Problem(path, bi(f"测评等次应为：{'、'.join(labels)}", f"unknown ballot level")))
        elif (count := whole_count(votes)) is None:
            problems.append(Problem(path, bi("票数应为非负整数", "votes must be a whole number, 0 or more")))
        else:
            total += count
    if not problems and total == 0 and sheet.weights["ballot"] > 0:
        problems.append(
            Problem("ballot", bi("民主测评总票数为 0，无法折算得分", "no votes were cast, so the ballot cannot be scored"))
        )
    return problems


def _adjustment_problems(sheet: Sheet, adjustments: object) -> list[Problem]:
    if adjustments is None:
        return []
    if not isinstance(adjustments, list):
        return [Problem("adjustments", bi("应为列表", "must be a list"))]
    problems: list[Problem] = []
    for index, adjustment in enumerate(adjustments):
        path = f"adjustments[{index}]"
        if not isinstance(adjustment, Mapping):
            problems.append(Problem(path, bi("应为键值映射", "must be a mapping")))
            continue
        problems += _unknown_key_problems(adjustment, path, ADJUSTMENT_KEYS)
        for text_key in ("reason", "document"):
            if text_key in adjustment and not isinstance(adjustment[text_key], str):
                problems.append(Problem(f"{path}.{text_key}", bi("应为字符串", "must be a string")))
        kind = adjustment.get("kind")
        if kind not in ADJUSTMENT_KINDS:
            problems.append(
                Problem(
                    f"{path}.kind",
                    bi("应为 bonus（加分）、deduction（扣分）或 veto（一票否决）", "must be bonus, deduction or veto"),
                )
            )
        elif kind == "veto":
            problems += _veto_problems(sheet, adjustment, path)
        else:
            problems += _bonus_or_deduction_problems(sheet, adjustment, path, kind)
    return problems


def _veto_problems(sheet: Sheet, adjustment: Mapping[str, Any], path: str) -> list[Problem]:
    problems: list[Problem] = []
    rule = adjustment.get("rule")
    if rule is None:
        problems.append(Problem(f"{path}.rule", bi("一票否决须注明否决规则", "a veto must name one of the veto_rules")))
    elif not isinstance(rule, str) or rule not in sheet.veto_rules:
        known = "、".join(sheet.veto_rules)
        problems.append(
            Problem(
                f"{path}.rule", bi(f"“{rule}”不是模板的一票否决规则，可用：{known or '（模板未定义）'}",
                                   f"not one of the template's veto_rules{'' if known else ' (none defined)'}")
            )
        )
    points = adjustment.get("points")
    if points is not None and not (is_number(points) and to_decimal(points) == 0):
        problems.append(Problem(f"{path}.points", bi("一票否决不计分值，请删除 points", "a veto carries no points")))
    return problems


def _bonus_or_deduction_problems(sheet: Sheet, adjustment: Mapping[str, Any], path: str, kind: str) -> list[Problem]:
    problems: list[Problem] = []
    rule = adjustment.get("rule")
    rule_points: Decimal | None = None
    if rule is not None:
        definition = sheet.adjustment_rules.get(rule) if isinstance(rule, str) else None
        if definition is None:
            known = "、".join(code for code, (_t, rule_kind, _p) in sheet.adjustment_rules.items() if rule_kind == kind)
            problems.append(
                Problem(
                    f"{path}.rule",
                    bi(f"“{rule}”不是模板的加减分规则，可用：{known or '（无）'}",
                       f"not one of the template's adjustment_rules{'' if known else ' (none defined)'}"),
                )
            )
        elif definition[1] != kind:
            problems.append(
                Problem(
                    f"{path}.rule",
                    bi(f"规则“{rule}”属于 {definition[1]}，与 kind={kind} 不符", f"rule is a {definition[1]} rule, not {kind}"),
                )
            )
        else:
            rule_points = definition[2]
    points = adjustment.get("points")
    if points is None:
        if rule is None:
            problems.append(Problem(f"{path}.points", bi("须填写分值或引用规则", "give points or a rule")))
    elif not is_number(points) or to_decimal(points) < 0:
        problems.append(
            Problem(
                f"{path}.points",
                bi("分值应为非负数（扣分也填正数）", "points must be a number ≥ 0 (deductions are written as positive numbers)"),
            )
        )
    elif rule_points is not None and to_decimal(points) != rule_points:
        problems.append(
            Problem(
                f"{path}.points", bi(f"与规则规定的 {rule_points} 分不一致", f"differs from the rule's {rule_points} points")
            )
        )
    return problems
