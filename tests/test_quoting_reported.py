"""Words the sender quotes or reports, not says (scanners/quoting.py): quotations wrapped over
line breaks as plain-text mail is, reports to a recipient whose domain runs words together
(a police force, an HR firm), and an advert cited as an indented block after a lead-in. Each
with hard negatives: the same words said, stray quotation marks, a look-alike domain, the
clinic's own offers indented. Through the whole pipeline, sentence model included."""
from __future__ import annotations

import pytest

from gateway.content.parse import parse
from gateway.pipeline import screen
from scanners import quoting
from scanners.base import Severity
from scanners.registry import build

pytestmark = pytest.mark.model


def mail(body: str, to: str = "Lee Hart <lee.hart@example.org>", subject: str = "Your email",
         sender: str = "Ros Day <ros@meadowskin.example>") -> bytes:
    body = body.replace("\n", "\r\n")  # as mail arrives: CRLF line ends
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def worst(raw: bytes, category: str) -> Severity | None:
    found = [f.severity for f in screen(parse(raw), build({})) if f.category == category]
    return max(found) if found else None


# -- 1. a quotation wrapped over line breaks ------------------------------------------------

def test_a_quotation_wrapped_over_lines_is_a_quotation_within_its_paragraph():
    text = ('Your message called our therapist "a lazy cheat who ruined my\nskin" and said '
            "she 'ought to be\nstruck off'.\n\nThanks")
    assert [text[a:b] for a, b in quoting.quotations(text)] == [
        '"a lazy cheat who ruined my\nskin"', "'ought to be\nstruck off'"]
    assert len(quoting.cited_spans(text)) == 2
    # never over a blank line, and a mark with no partner does not run on for ever
    assert quoting.quotations('He said "fine.\n\nYou are a cow," later.') == []
    stray = 'Our "policy\n' + "is wrong and so are you and your staff\n" * 40 + 'so "there'
    assert quoting.quotations(stray) == []


def test_a_complaint_reply_quoting_abuse_wrapped_over_lines_is_not_held():
    body = ("Dear Mr Hart,\n\n"
            "Thank you for your email. In it you described our therapist Gemma as \"a thick\n"
            "useless cow who wrecked my skin\" and said she \"should be sacked before she\n"
            "butchers anyone else\". I am sorry your recovery has been slower than you hoped.\n\n"
            "Gemma is fully trained and I have checked your records. I would like to offer\n"
            "you a free review appointment with our lead nurse.\n\n"
            "Kind regards,\nRos Day\nPractice Manager")
    assert worst(mail(body), "language") in (None, Severity.LOW, Severity.MEDIUM)


def test_wrapped_abuse_with_stray_quotation_marks_is_still_held():
    body = ("Gemma,\n\n"
            "Your so-called \"aftercare\n"
            "was a joke. You are a thick useless cow and I will make sure you never work in\n"
            "this town again. Everyone I know agrees and \"they will\n"
            "say so too.\n\nRos")
    assert worst(mail(body, to="gemma@example.org"), "language") is Severity.HIGH
    # a quotation closed only after a blank line is no quotation
    body = ('Gemma, you said "sorry.\n\nYou are a thick useless cow and I will make sure you '
            'never work again."')
    assert worst(mail(body, to="gemma@example.org"), "language") is Severity.HIGH
