"""``flask scoring ...``: check score-sheet templates and score documents from files.

The commands are thin wrappers around :mod:`app.scoring.engine`; the printed JSON is
exactly :func:`app.scoring.engine.result_to_json`, so what a city admin tries on the
command line is what the web pages and PDFs will show.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from app.scoring.engine import (
    Problem,
    ScoringError,
    evaluate,
    load_document,
    result_to_json,
    validate_template,
)

scoring_cli = AppGroup(
    "scoring",
    help="评分表模板校验与计分 / validate score-sheet templates and compute scores.",
)

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _echo_problems(problems: Iterable[Problem], *, err: bool) -> None:
    for problem in problems:
        click.echo(f"  {problem}", err=err)


def _load_or_exit(path: Path) -> dict[str, Any]:
    """Parse a JSON/YAML file, or report why not on stderr and exit with status 1."""
    try:
        return load_document(path)
    except ScoringError as error:
        click.echo(f"{path}: {error.message}", err=True)
        _echo_problems(error.problems, err=True)
        raise click.exceptions.Exit(1) from error


@scoring_cli.command("evaluate")
@click.argument("template_path", metavar="TEMPLATE", type=_EXISTING_FILE)
@click.argument("scores_path", metavar="SCORES", type=_EXISTING_FILE)
def evaluate_command(template_path: Path, scores_path: Path) -> None:
    """Score SCORES against TEMPLATE and print the result as one JSON object.

    Both files may be JSON or YAML. Figures are rounded to 0.01 half-up. When either
    file is invalid, every problem is listed on stderr and the exit status is 1.
    """
    template = _load_or_exit(template_path)
    scores = _load_or_exit(scores_path)
    # Checked here as well as inside evaluate() so that the report names the file at fault.
    template_problems = validate_template(template)
    if template_problems:
        click.echo(f"{template_path}: 模板无效 / the template is invalid", err=True)
        _echo_problems(template_problems, err=True)
        raise click.exceptions.Exit(1)
    try:
        result = evaluate(template, scores)
    except ScoringError as error:
        click.echo(f"{scores_path}: {error.message}", err=True)
        _echo_problems(error.problems, err=True)
        raise click.exceptions.Exit(1) from error
    click.echo(json.dumps(result_to_json(result), ensure_ascii=False, indent=2))


@scoring_cli.command("validate")
@click.argument("template_path", metavar="TEMPLATE", type=_EXISTING_FILE)
def validate_command(template_path: Path) -> None:
    """Check TEMPLATE (JSON or YAML) and list every problem with its path.

    Exit status 1 when there is any problem.
    """
    template = _load_or_exit(template_path)
    problems = validate_template(template)
    if problems:
        click.echo(f"{template_path}: 发现 {len(problems)} 个问题 / {len(problems)} problem(s) found")
        _echo_problems(problems, err=False)
        raise click.exceptions.Exit(1)
    click.echo("模板有效 / template is valid")
