"""The English translation: complete, well-formed, compiled and actually used.

The main catalogue is ``src/qinqing/locale/en/LC_MESSAGES/django.po``; an app may keep its
own next to its code (``src/qinqing/<app>/locale/en/LC_MESSAGES/django.po``, found by
Django for every installed app). Their msgids are the Chinese strings of the code and the
templates; every catalogue is checked the same way, and together they must hold every
string. The compiled ``.mo`` files are not committed: the fixture below compiles each one
that is missing or older than its ``.po``.

When a test here fails because the catalogue is out of date, refresh and translate it::

    cd src/qinqing && QINQING_HOME=../.. PYTHONPATH=.. ../../.venv/bin/django-admin \\
        makemessages -l en --no-obsolete --no-location --settings=qinqing.config.settings

(or the same inside an app's directory, for an app's own catalogue, with ``PYTHONPATH`` and
``QINQING_HOME`` pointing at the checkout), then give every new or fuzzy entry its English
(and drop the fuzzy flag).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from qinqing.common.uscc import uscc_error

PACKAGE_DIR = Path(settings.LOCALE_PATHS[0]).parent
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PO_FILE = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
# the main catalogue first, then the apps' own
APP_PO_FILES = sorted(PACKAGE_DIR.glob("*/**/locale/en/LC_MESSAGES/django.po"))
PO_FILES = [PO_FILE, *APP_PO_FILES]


# --- a tiny .po reader ------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"not a quoted .po string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") first; obsolete (#~) ones left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # the field that continuation lines extend

    def fresh(line: int) -> Entry:
        nonlocal entry
        if entry is None or entry.msgstr:
            entry = Entry(line=line)
            entries.append(entry)
        return entry

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            target = None
            continue
        if line.startswith("#,"):
            fresh(number).flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if entry is None or target is None:
                raise ValueError(f"{path}:{number}: a string continues nothing")
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
            continue
        keyword, _space, rest = line.partition(" ")
        plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if keyword in {"msgctxt", "msgid"}:
            current = fresh(number)
            if keyword == "msgid":
                current.line = number
            setattr(current, keyword, _unquote(rest))
            target = (keyword, 0)
        elif keyword == "msgid_plural" and entry is not None:
            entry.msgid_plural = _unquote(rest)
            target = ("msgid_plural", 0)
        elif (keyword == "msgstr" or plural) and entry is not None:
            index = int(plural.group(1)) if plural else 0
            entry.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        else:
            raise ValueError(f"{path}:{number}: cannot read {raw!r}")
    return entries


def messages(path: Path | None = None) -> list[Entry]:
    """The translatable entries (without the header) of one catalogue, or of them all."""
    paths = [path] if path is not None else PO_FILES
    return [e for p in paths for e in read_po(p) if e.msgid != "" or e.msgctxt is not None]


# %(name)s conversions, with flags and width ("%(m)02d"); unnamed ones without them, so
# that the "80% " of "80% done" does not read as a "% d" conversion.
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|%%")
NAMED_FLAGS = re.compile(r"(?<=\))[#0 +-]*\d*(?:\.\d+)?")
BRACE_PLACEHOLDER = re.compile(r"\{\w*(?:![rsa])?(?::[^{}]*)?\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def placeholders(text: str, flags: set[str]) -> list[str]:
    """The conversions of ``text``; "%(m)02d" counts as "%(m)d" (the same argument)."""
    found = [NAMED_FLAGS.sub("", p) for p in PLACEHOLDER.findall(text)]
    if "python-brace-format" in flags:
        found += BRACE_PLACEHOLDER.findall(text)
    return found


def comparable(found: list[str]) -> tuple[set[str], list[str]]:
    """Named placeholders may move and repeat; positional ones must keep their order."""
    named = {p for p in found if p.startswith("%(") or (p.startswith("{") and p != "{}")}
    positional = [p for p in found if p not in named]
    return named, positional


# --- the catalogue is compiled and read afresh ----------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogue() -> Path:
    """Compile each .po whose .mo is missing or stale, then make Django read them again."""
    for po in PO_FILES:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            if shutil.which("msgfmt") is None:
                pytest.fail(
                    "GNU gettext's msgfmt is needed to compile the translations (make messages)"
                )
            # compilemessages walks the current directory for "locale" directories; start it
            # in the directory that holds this one, so that it never wanders into a virtualenv.
            with contextlib.chdir(po.parent.parent.parent.parent):
                call_command("compilemessages", locale=["en"], verbosity=0)
            assert mo.exists()
    # Forget catalogues read before the .mo existed (what Django's autoreloader does).
    translation_file_changed(sender=None, file_path=MO_FILE)
    return MO_FILE


# --- the catalogue ------------------------------------------------------------------------------


def test_the_reader_understands_plurals_contexts_flags_and_continuations(tmp_path: Path) -> None:
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, python-format\nmsgctxt "动作"\nmsgid "共 %(n)d "\n"条"\n'
        'msgid_plural "共 %(n)d 条"\nmsgstr[0] "%(n)d item"\nmsgstr[1] ""\n"%(n)d items"\n\n'
        '#~ msgid "旧"\n#~ msgstr "old"\n',
        encoding="utf-8",
    )
    header, entry = read_po(po)
    assert header.msgid == "" and header.msgstr == {0: "Language: en\n"}
    assert entry.msgctxt == "动作" and entry.msgid == "共 %(n)d 条"
    assert entry.msgstr == {0: "%(n)d item", 1: "%(n)d items"}
    assert entry.flags == {"fuzzy", "python-format"}


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_the_catalogue_has_entries_and_a_proper_header(po: Path) -> None:
    header = read_po(po)[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert len(messages(PO_FILE)) > 300
    assert messages(po)


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    untranslated = [str(e) for e in messages() if not all(s.strip() for s in e.msgstr.values())]
    fuzzy = [str(e) for e in messages() if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} entries without English: {untranslated}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries (check them, then drop the flag): {fuzzy}"


def test_the_english_is_english() -> None:
    """A msgstr still in Chinese is a copy, not a translation (a few entries quote the
    Chinese words an import file must contain, such as 规上 and 规下)."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    quoted = re.compile(r"“[^”]*”")
    left = [
        str(e)
        for e in messages()
        for s in e.msgstr.values()
        if cjk.search(quoted.sub("", s)) and e.msgid != s
    ]
    copies = [str(e) for e in messages() if e.msgid in e.msgstr.values() and cjk.search(e.msgid)]
    assert not left, f"Chinese outside quotes in msgstr: {left}"
    assert not copies, f"msgstr copied from msgid: {copies}"


def test_every_translation_keeps_the_placeholders_of_its_msgid() -> None:
    mismatches = []
    for e in messages():
        for index, text in e.msgstr.items():
            source = e.msgid_plural if index > 0 and e.msgid_plural is not None else e.msgid
            expected = comparable(placeholders(source, e.flags))
            got = comparable(placeholders(text, e.flags))
            if e.msgid_plural is not None and index == 0:
                # English may spell out "one" in the singular, dropping its count.
                ok = got[0] <= expected[0] and got[1] == expected[1]
            else:
                ok = got == expected
            if not ok:
                mismatches.append(f"{e} msgstr[{index}]={text!r}: {got} != {expected}")
    assert not mismatches, "\n".join(mismatches)


def test_formatted_translations_have_no_stray_percent_sign() -> None:
    """A msgstr that is %-formatted (blocktranslate always is) must write "%%" for "%"."""
    stray = [
        f"{e} {text!r}"
        for e in messages()
        if "python-format" in e.flags
        for text in e.msgstr.values()
        if "%" in PLACEHOLDER.sub("", text)
    ]
    assert not stray, stray


def test_every_translation_keeps_the_markup_of_its_msgid() -> None:
    mismatches = [
        str(e)
        for e in messages()
        for text in e.msgstr.values()
        if sorted(TAG.findall(text)) != sorted(TAG.findall(e.msgid))
    ]
    assert not mismatches, mismatches


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_gettext_checks_the_catalogue_too(po: Path) -> None:
    """msgfmt --check validates the python-format strings and the header on its own."""
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext is not installed")
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "translated message" in result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr


def test_every_string_of_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    """makemessages, run on a copy of the package, finds no msgid that the .po lacks."""
    copy = tmp_path / "qinqing"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc"),
    )
    (copy / "locale").mkdir()
    with contextlib.chdir(copy):
        call_command("makemessages", locale=["en"], no_location=True, verbosity=0)
    fresh = {e.key for e in messages(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")}
    known = {e.key for e in messages()}
    missing = sorted(msgid for _ctx, msgid, _plural in fresh - known)
    assert not missing, (
        f"{len(missing)} strings of the code are not in {PO_FILE.name}; run makemessages and "
        f"translate them (see this module's docstring): {missing}"
    )


# --- the translation at work ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["accept-language", "cookie"])
def test_the_login_page_in_english(client: Any, how: str) -> None:
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.get("/accounts/login/")
    else:
        response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in body
    assert "Log in to Qinqing" in body and ">Log in</button>" in body
    assert "Username or mobile number" in body
    assert "登录" not in body


@pytest.mark.django_db
def test_the_login_page_in_chinese(client: Any) -> None:
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录亲清平台" in body and ">登录</button>" in body
    assert "Log in" not in body


@pytest.mark.django_db
def test_the_language_switch_turns_the_site_english(client: Any) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    body = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in body and "Log in to Qinqing" in body


@pytest.mark.django_db
def test_an_api_error_in_english(client: Any) -> None:
    response = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Please log in or provide a valid token.",
        "code": "unauthorized",
    }


@pytest.mark.django_db
def test_an_api_error_in_chinese(client: Any) -> None:
    response = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["detail"] == "请先登录或提供有效的令牌。"


def test_uscc_messages_in_english() -> None:
    with translation.override("en"):
        assert uscc_error("91350100M000100Y4") == (
            "The Unified Social Credit Code must be 18 characters long; this one has 17."
        )
        assert uscc_error("91350100M000100Y44") == (
            "The check character of the Unified Social Credit Code is wrong."
        )
        assert "I, O, Z, S or V" in (uscc_error("91350100M000100YO3") or "")
    with translation.override("zh-hans"):
        assert uscc_error("91350100M000100Y44") == "统一社会信用代码校验位错误。"
