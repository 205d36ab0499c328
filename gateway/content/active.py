"""Active content: what an attachment does when it is opened, as facts for the attachment
scanner (`Attachment.active`, strings "kind" or "kind:detail"):

  macros            VBA macros in an Office file (OOXML vbaProject.bin, or the VBA storage
                    of a legacy .doc/.xls/.ppt), found with oletools
  autoexec:NAME     a macro that runs by itself (Document_Open, AutoOpen, Workbook_Open ...)
  suspicious:NAME   a call that runs programs, downloads or writes files (Shell, CreateObject,
                    URLDownloadToFile ...), from olevba's analysis
  mraptor:FLAGS     MacroRaptor's verdict: auto-exec plus write or execute (A, W, X)
  script            an HTML or SVG attachment that runs script
  redirect:WHERE    it sends the reader elsewhere (meta refresh, script setting location)
  form:WHERE        a form that posts to another site, or asks for a password

oletools runs in an isolated child (isolate.py) with the PDF deadline: it parses hostile
binary structures in Python and may be slow or fail on them; a failure is reported, never
taken as "no macros".
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlparse

from gateway.content.isolate import run_isolated

VBA_PARTS = re.compile(r"(^|/)vbaProject\.bin$", re.IGNORECASE)
MAX_CODE = 2 * 1024 * 1024  # characters of macro source given to MacroRaptor


def has_vba_part(names) -> bool:
    return any(VBA_PARTS.search(n) for n in names)


def vba_facts(data: bytes, limits) -> tuple[list[str], str]:
    """(facts, error) of an Office file's VBA macros, read in a child process."""
    import oletools.mraptor  # noqa: F401 - imported once in the scan process, not per child
    import oletools.olevba  # noqa: F401
    outcome, value = run_isolated(_vba_facts, limits.pdf_seconds + 1.0, data)
    if outcome == "ok":
        return value, ""
    if outcome == "timeout":
        return ["macros"], f"macro analysis killed after {limits.pdf_seconds + 1:g} s"
    return ["macros"], f"macros could not be analysed ({value})"


def _vba_facts(data: bytes) -> list[str]:
    import logging

    from oletools import mraptor
    from oletools.olevba import VBA_Parser

    logging.getLogger("olevba").setLevel(logging.CRITICAL + 1)
    parser = VBA_Parser("attachment", data=data)
    try:
        if not parser.detect_vba_macros():
            return []
        facts = ["macros"]
        code = []
        for _, _, _, source in parser.extract_macros():
            if source and sum(map(len, code)) < MAX_CODE:
                code.append(source)
        for kind, keyword, _ in parser.analyze_macros() or []:
            if kind == "AutoExec":
                facts.append(f"autoexec:{keyword[:40]}")
            elif kind == "Suspicious":
                facts.append(f"suspicious:{keyword[:40]}")
        raptor = mraptor.MacroRaptor("\n".join(code))
        raptor.scan()
        if raptor.suspicious:
            facts.append(f"mraptor:{raptor.get_flags()}")
        return list(dict.fromkeys(facts))
    finally:
        parser.close()


def ole_may_hold_macros(data: bytes) -> bool:
    """A legacy OLE file (.doc, .xls, .ppt) with a VBA project storage."""
    import io

    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:
        return False
    try:
        return any(entry and entry[-1].upper() in ("VBA", "_VBA_PROJECT_CUR", "MACROS",
                                                   "_VBA_PROJECT")
                   for entry in ole.listdir(streams=False, storages=True))
    finally:
        ole.close()


# -- HTML -----------------------------------------------------------------------------------------

_LOCATION = re.compile(
    r"(?:window|document|top|self|parent)?\.?location(?:\.href)?\s*=\s*['\"`]?([^'\"`;\s)]*)|"
    r"location\.(?:replace|assign)\(\s*['\"`]?([^'\"`)]*)", re.IGNORECASE)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";\s]+)", re.IGNORECASE)


class _Active(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.facts: list[str] = []
        self.in_script = False
        self.script: list[str] = []
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script":
            self.in_script = True
            self.facts.append("script")
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = _REFRESH_URL.search(a.get("content", ""))
            if m:
                self.facts.append(f"redirect:{_host(m.group(1))}")
        elif tag == "form":
            action = a.get("action", "")
            if action.lower().startswith(("http:", "https:", "//")):
                self.facts.append(f"form:{_host(action)}")
            self.in_form = True
        elif tag == "input" and a.get("type", "").lower() == "password":
            self.facts.append("form:password")
        elif any(k.startswith("on") and v for k, v in a.items()):
            self.facts.append("script")  # onload=, onclick= ...

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.script.append(data)


def _host(url: str) -> str:
    url = url.strip()
    try:
        host = urlparse(url if "//" in url else "//" + url).hostname or ""
    except ValueError:
        host = ""
    return host[:80] if "." in host else "elsewhere"


def html_facts(html: str) -> list[str]:
    """Script, redirects and forms of an HTML (or SVG) document."""
    parser = _Active()
    try:
        parser.feed(html[: 4 * 1024 * 1024])
        parser.close()
    except Exception:
        pass
    for m in _LOCATION.finditer("".join(parser.script)):
        target = m.group(1) or m.group(2) or ""
        parser.facts.append(f"redirect:{_host(target) if target else 'elsewhere'}")
    return list(dict.fromkeys(parser.facts))
