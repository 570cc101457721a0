"""The zh_Hans catalog covers every message in the code and templates."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("app/**.py", "python"), ("app/**/templates/**.html", "jinja2")]


def extracted_msgids() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"app/**/templates/**.html": {}}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_chinese_translation():
    with open(ROOT / "app/translations/zh_Hans/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    translated = {m.id: m.string for m in catalog if m.id}
    assert len(extracted_msgids()) > 150  # the extraction really ran over code and templates
    missing = sorted(m for m in extracted_msgids() if not translated.get(m))
    assert missing == [], f"untranslated: {missing[:20]}"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert fuzzy == []


def test_placeholders_survive_translation():
    import re

    with open(ROOT / "app/translations/zh_Hans/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    for message in catalog:
        if message.id and message.string:
            assert sorted(re.findall(r"%\(\w+\)\w", message.id)) == sorted(re.findall(r"%\(\w+\)\w", message.string)), message.id


def test_error_pages_speak_chinese(client):
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "页面不存在" in page
