"""The English catalogue is complete and the site switches language on request."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif%]|\{[A-Za-z_]\w*\}")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def parse_po(path: Path) -> list[Entry]:
    """A minimal PO reader: flags, msgid, msgid_plural, msgstr and msgstr[n]."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None

    def start(lineno: int) -> Entry:
        entry = Entry(line=lineno)
        entries.append(entry)
        return entry

    pending_flags: set[str] = set()
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if line.startswith("#~"):
            continue  # obsolete entry
        if line.startswith("#,"):
            pending_flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid":
            current = start(lineno)
            current.flags, pending_flags = pending_flags, set()
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            target = ("msgid_plural", 0)
        elif keyword == "msgstr":
            target = ("msgstr", 0)
        elif keyword.startswith("msgstr["):
            target = ("msgstr", int(keyword[7:-1]))
        elif keyword == "msgctxt":
            target = None  # no contexts are used; the msgid that follows starts the entry
            continue
        else:
            rest = line  # continuation line: a quoted string
        assert current is not None and target is not None, f"{path}:{lineno}: {raw}"
        text = ast.literal_eval(rest)
        name, index = target
        if name == "msgid":
            current.msgid += text
        elif name == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + text
        else:
            current.msgstr[index] = current.msgstr.get(index, "") + text
    return entries


def test_english_catalogue_has_no_untranslated_or_fuzzy_entries():
    entries = parse_po(PO)
    header = [e for e in entries if e.msgid == ""]
    messages = [e for e in entries if e.msgid != ""]
    assert len(header) == 1 and "fuzzy" not in header[0].flags
    assert len(messages) > 500  # the parser really read the catalogue
    fuzzy = [(e.line, e.msgid) for e in messages if "fuzzy" in e.flags]
    assert fuzzy == []
    untranslated = []
    for e in messages:
        forms = [0, 1] if e.msgid_plural is not None else [0]
        if any(not e.msgstr.get(i, "").strip() for i in forms):
            untranslated.append((e.line, e.msgid))
    assert untranslated == []


def test_english_catalogue_keeps_every_placeholder():
    wrong = []
    for e in parse_po(PO):
        if not e.msgid:
            continue
        pairs = [(e.msgid, e.msgstr.get(0, ""))]
        if e.msgid_plural is not None:
            pairs.append((e.msgid_plural, e.msgstr.get(1, "")))
        for source, english in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(english)):
                wrong.append((e.line, source, english))
    assert wrong == []


@pytest.fixture(scope="module")
def compiled_catalogue():
    """Compile the .mo when it is missing or older than the .po (a fresh checkout has no
    .mo: `make install` builds it), then drop Django's cached catalogues."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        call_command(
            "compilemessages", locale=["en"], ignore_patterns=[".venv", "var"], verbosity=0
        )
        trans_real._translations = {}
        trans_real._default = None
    assert MO.exists()
    yield MO


def test_gettext_uses_the_compiled_english_catalogue(compiled_catalogue):
    with translation.override("en"):
        assert translation.gettext("物业管理委员会") == "Property management committee"
        assert translation.ngettext("%(rows)s 行", "%(rows)s 行", 3) % {"rows": 3} == "3 rows"
    with translation.override("zh-hans"):
        assert translation.gettext("物业管理委员会") == "物业管理委员会"


@pytest.mark.django_db
def test_login_page_is_chinese_by_default_and_english_on_request(client, compiled_catalogue):
    url = reverse("login")

    chinese = client.get(url).content.decode()
    assert "登录" in chinese and "Log in" not in chinese

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log in" in english and "Username" in english
    assert "登录" not in english


@pytest.mark.django_db
def test_language_switch_is_remembered(client, compiled_catalogue):
    url = reverse("login")
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302 and response.url == url

    assert "Log in" in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    page = client.get(url).content.decode()
    assert "登录" in page and "Log in" not in page
