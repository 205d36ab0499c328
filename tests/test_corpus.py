"""Every message of the hostile corpus (../shared/corpus/mime) through `mailscreen scan`:
each gets a verdict (or a per-file error and a hold), never a traceback."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED

from scanners.base import TAGS

CORPUS = SHARED / "corpus" / "mime"
NOT_MAIL = ("LICENSE", "NOTICE", "SOURCES", "ARTISTIC")
MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(),
                                reason=f"hostile corpus not found at {CORPUS} (../shared beside the clone)")


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and not p.name.startswith(NOT_MAIL))


def test_every_corpus_message_gets_a_verdict_without_a_traceback(tmp_path):
    files = corpus_files()
    assert len(files) >= 190
    proc = subprocess.run([MAILSCREEN, "scan", "--json", *map(str, files)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = {r["file"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert set(results) == {str(f) for f in files}
    for name, r in results.items():
        assert r["action"] in ("pass", "tag", "hold"), name
        for f in r["findings"]:
            # the stable fields, and the optional ones (scanners/base.py Finding.to_dict)
            assert {"category", "rule", "severity", "where", "evidence"} <= set(f) <= \
                {"category", "rule", "severity", "where", "evidence", "addressee", "tags"}, name
            assert set(f.get("tags", ())) <= set(TAGS), name
            if f["rule"] == "scan_failed":
                assert r["action"] == "hold", name
    # the two messages built to exhaust the parser are held, not passed unscanned
    assert results[str(CORPUS / "flanker" / "long-header.eml")]["action"] == "hold"
    assert results[str(CORPUS / "flanker" / "enclosed-endless.eml")]["action"] == "hold"
    # an Outlook .msg sent as DATA is not mail we can read: held, never passed unscanned
    assert results[str(CORPUS / "mail-parser" / "mail_outlook_1.msg")]["action"] == "hold"
