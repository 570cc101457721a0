"""The city's review in one path (issue 11, items 6 and 13): "save and finish" saves,
shows what finalising does with the figures it will fix, and one confirmation completes
and finalises; every mistake of a form is marked at once, in Chinese, with no path."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.models import CatalogAuditEvent
from app.extensions import db
from tests.helpers import (EXAMPLE_SCORES, YEAR, form_fields, login, page_figures, review_fully, sheet_of,
                           start_and_fill, version_of)


def test_save_and_finish_confirms_then_completes_and_finalises_in_one_step(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    body = sheet_of(bureau_a.tenant).template_body
    labels = [level["label"] for level in body["ballot_levels"]]
    ballot = {f"v{i}": str(EXAMPLE_SCORES["ballot"].get(label, 0)) for i, label in enumerate(labels)}
    assert client.post(f"{base}/review/ballot", data=dict(ballot, version=version_of(bureau_a.tenant))).status_code == 302
    review_page = client.get(f"{base}/review").get_data(as_text=True)
    assert 'id="review-summary"' in review_page and "保存并完成考核" in review_page
    # One way to the end: no separate "complete" and "finalise" buttons any more.
    assert "/review/complete" not in review_page and f"{base}/finalise" not in review_page
    data = form_fields(body, "reviewer", EXAMPLE_SCORES["reviewer"], version=version_of(bureau_a.tenant))
    response = client.post(f"{base}/review", data=dict(data, finish="1"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}/review/finish")
    assert sheet_of(bureau_a.tenant).status == "self_submitted"  # saved, nothing concluded yet
    confirm = client.get(f"{base}/review/finish").get_data(as_text=True)
    figures = page_figures(confirm)
    assert figures["finish.composite"] and figures["finish.grade"]
    assert "评分表锁定" in confirm and "重新打开" in confirm and 'id="finish-form"' in confirm
    response = client.post(f"{base}/review/finish", data={"version": version_of(bureau_a.tenant)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}/result")
    sheet = sheet_of(bureau_a.tenant)
    assert sheet.status == "final" and sheet.reviewed_by and sheet.finalised_by
    actions = list(db.session.scalars(select(CatalogAuditEvent.action)
                                      .where(CatalogAuditEvent.action.like("score_sheet.%"))))
    assert "score_sheet.review_complete" in actions and "score_sheet.finalise" in actions


def test_finish_is_refused_while_something_is_missing_and_changes_nothing(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    response = client.get(f"{base}/review/finish")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review#result")
    page = client.get(f"{base}/review").get_data(as_text=True)
    # What is missing is said in words: the part and the indicator, no document path.
    assert "考核组评分 · 指标 ZZ2 贯彻落实党中央和省委、市委重大决策部署：未评分" in page and "reviewer.ZZ2" not in page.split("</title>")[1].replace(
        'title="reviewer.ZZ2"', "")
    response = client.post(f"{base}/review/finish", data={"version": version_of(bureau_a.tenant)})
    assert response.status_code == 302
    assert sheet_of(bureau_a.tenant).status == "self_submitted"


def test_a_reviewed_sheet_is_finalised_from_the_same_page(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    review_fully(client, bureau_a, finalise=False)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    assert 'id="finish-link"' in client.get(f"{base}/review").get_data(as_text=True)
    confirm = client.get(f"{base}/review/finish").get_data(as_text=True)
    assert "考核组评分标记为已完成" not in confirm  # already done: not announced again
    assert client.post(f"{base}/review/finish", data={"version": version_of(bureau_a.tenant)}).status_code == 302
    assert sheet_of(bureau_a.tenant).status == "final"


def test_bureau_users_and_city_readers_cannot_finish(app, client, bureau_a, assigned, city_viewer):
    start_and_fill(client, bureau_a, submit=True)
    review_fully(client, bureau_a, finalise=False)
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    login(client, bureau_a.admin.username)
    assert client.post(f"{base}/review/finish", data={"version": version_of(bureau_a.tenant)}).status_code == 403
    client.post("/logout")
    login(client, city_viewer.username)
    assert client.post(f"{base}/review/finish", data={"version": version_of(bureau_a.tenant)}).status_code == 403
    assert sheet_of(bureau_a.tenant).status == "reviewed"


def test_two_mistakes_on_the_review_form_are_both_marked_in_chinese(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    body = sheet_of(bureau_a.tenant).template_body
    scores = dict(EXAMPLE_SCORES["reviewer"], SX1="七")  # typed wrongly: refused by the form
    scores["ZJ3"] = "9"  # out of range (max 6): refused by the engine
    response = client.post(f"{base}/review", data=form_fields(body, "reviewer", scores,
                                                              version=version_of(bureau_a.tenant)))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "请填写数值，如 7 或 7.5（最多两位小数）。" in page
    assert "得分 9 超出 0 到 6 的范围" in page
    assert "is outside" not in page and " / score" not in page
    assert page.count("is-invalid") >= 2


def test_hostile_posts_to_the_new_paths_never_give_a_500(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    review_fully(client, bureau_a, finalise=False)
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    login(client, "city")
    for version in ("", "x" * 5000, "-1", "99999999999999999999999", "1; DROP TABLE score_sheets", "\x00"):
        response = client.post(f"{base}/review/finish", data={"version": version})
        assert response.status_code in (302, 400, 409), (version, response.status_code)
        assert sheet_of(bureau_a.tenant).status == "reviewed"
    body = sheet_of(bureau_a.tenant).template_body
    data = form_fields(body, "reviewer", EXAMPLE_SCORES["reviewer"], version=version_of(bureau_a.tenant))
    for noise in ({"i3": "1e309"}, {"i3": "NaN"}, {"i3": "６"}, {"i0_r0": "-1"}, {"i1": "<script>"},
                  {"i3_note": "长" * 50_000}, {"comment": "\x00\x01"}):
        response = client.post(f"{base}/review", data=dict(data, finish="1", **noise))
        assert response.status_code in (200, 302, 400), (noise, response.status_code)
    client.post("/logout")
    # The bureau's own evidence ticks with ids that are not offered.
    login(client, bureau_a.admin.username)
    for ids in (["abc"], ["-1"], ["9" * 30], [str(n) for n in range(2000)]):
        response = client.post(f"{base}", data={"version": "1", "i3_ev": ids})
        assert response.status_code in (200, 302, 400, 403, 409), (ids[:2], response.status_code)


def test_two_mistakes_on_the_adjustment_form_are_both_marked(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    # No reason (the form's rule) and a veto without 文号 (the service's rule).
    response = client.post(f"{base}/review/adjustments", data={
        "version": version_of(bureau_a.tenant), "kind": "veto", "rule": "", "points": "", "reason": "",
        "document": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请填写理由。" in page and "一票否决须填写相关决定的文号。" in page
    assert sheet_of(bureau_a.tenant).adjustments == []


def test_two_mistakes_on_the_ballot_form_are_both_marked(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    base = f"/b/{bureau_a.slug}/scoring/{YEAR}"
    # A count typed in words (the form) and more present than expected (the service).
    response = client.post(f"{base}/review/ballot", data={"version": version_of(bureau_a.tenant), "v0": "三十",
                                                          "v1": "5", "eligible": "10", "present": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请填写 0 至 99999 之间的整数。" in page and "实到人数多于应到人数。" in page
    assert sheet_of(bureau_a.tenant).ballot is None


def test_in_english_the_engine_speaks_english_only(app, client, bureau_a, assigned):
    start_and_fill(client, bureau_a, submit=True)
    login(client, "city")
    client.post("/language/en")
    page = client.get(f"/b/{bureau_a.slug}/scoring/{YEAR}/review").get_data(as_text=True)
    assert "review team&#39;s score · indicator ZZ2" in page or "review team's score · indicator ZZ2" in page
    assert ": not scored" in page
    assert "未评分" not in page
