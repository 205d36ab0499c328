"""Copying admitted in the sender's own words (copyright_admitted_copy): a work copied so
that nobody pays for it (pages scanned from a book, a chapter photocopied, the stock
library's preview used instead of the licence), with the copy attached as a PDF, a Word
file or a picture; and the legitimate mail that reads like it (a licence bought, an open
access book, nothing to buy for a course, a receipt, a refusal, the sender reporting what
someone else did, a quoted reply)."""
from __future__ import annotations

import documents as docs
import pytest
import reading as rd

from gateway.content.parse import parse
from gateway.pipeline import screen
from scanners.base import Severity
from scanners.copyright import CopyrightScanner
from scanners.registry import build

RULE = "copyright_admitted_copy"


def book_pages() -> bytes:
    return docs.pdf([["118 CLINICAL ANATOMY FOR INJECTORS",
                      "4.2 The infraorbital region. " + docs.LOREM],
                     ["119", docs.LOREM * 2]], title="scan")


def picture() -> bytes:
    return rd.encode(rd.text_image(["Spring glow: peels and skin boosters", "Book online"],
                                   size=(700, 300), font_size=28), "PNG")


def word_file() -> bytes:
    return docs.docx(["Module 3: lip anatomy", docs.LOREM])


ATTACHED = {
    "pdf": ("pages.pdf", "application/pdf", book_pages),
    "png": ("poster.png", "image/png", picture),
    "docx": ("module3.docx", "application/vnd.openxmlformats-officedocument."
             "wordprocessingml.document", word_file),
}


def found(body: str, kind: str = "pdf", to: str = "trainees@skills-circle.example") -> dict:
    name, ctype, make = ATTACHED[kind]
    raw = docs.mail("For next week", body=body, attachments=[(name, ctype, make())], to=to)
    return {f.rule: f.severity for f in CopyrightScanner().scan(parse(raw))}


@pytest.mark.parametrize("body,kind", [
    ("Hi all,\n\nI've scanned chapter 4 of Clinical Anatomy for Injectors so nobody has to "
     "buy it. Pages attached.\n\nNadia", "pdf"),
    ("Morning,\n\nI photocopied the lip chapter from my textbook so you don't have to pay "
     "for the book yourselves. See attached.\n\nNadia", "pdf"),
    ("Hi,\n\nFor the spring poster we used the Shutterstock comp image as it is - we didn't "
     "want to pay for the licence, nobody will notice the logo.\n\nNadia", "png"),
    ("Team,\n\nWe copied module 3 of the academy manual into Word, saves you all buying the "
     "manual.\n\nNadia", "docx"),
    ("Photographed the anatomy pages from the atlas so no one needs to buy a copy. "
     "Attached.", "pdf"),
])
def test_an_admitted_copy_with_the_copy_attached_is_high(body, kind):
    assert found(body, kind)[RULE] is Severity.HIGH


def test_the_admission_holds_the_mail():
    raw = docs.mail("Chapter for Thursday", body=(
        "Hi both,\n\nI've scanned the cannula chapter from my copy of the atlas so nobody "
        "needs to buy the book.\n\nNadia"),
        attachments=[("chapter.pdf", "application/pdf", book_pages())],
        to="study-group@skills-circle.example")
    findings = screen(parse(raw), build({}))
    assert any(f.rule == RULE and f.severity is Severity.HIGH for f in findings)


def test_other_attachments_are_medium():
    raw = docs.mail("Chapter", body="I've scanned the whole textbook so nobody needs to buy "
                    "it, all in the zip.",
                    attachments=[("book.zip", "application/zip",
                                  docs.zip_file({"notes.txt": b"see pages"}))])
    rules = {f.rule: f.severity for f in CopyrightScanner().scan(parse(raw))}
    assert rules[RULE] is Severity.MEDIUM


@pytest.mark.parametrize("body,kind", [
    # a licence bought, said in the mail
    ("Hi,\n\nWe bought the licence for the stock photo so you can use it on the poster. "
     "No need to pay for anything else.", "png"),
    # an open-access book: nothing to pay, nothing copied against anyone
    ("Hi all,\n\nI've downloaded chapter 2 - no need to buy the book, the publisher has made "
     "it open access.", "pdf"),
    # nothing to buy for the course
    ("Hi,\n\nI've copied the joining instructions into the attached sheet. You don't need to "
     "buy anything for the course, we provide the kit.", "docx"),
    # a receipt for a book bought
    ("Hi Sam,\n\nReceipt attached for the anatomy textbook I bought for the clinic library. "
     "I've scanned it for the accounts.", "pdf"),
    # a refusal: the sender will not copy it
    ("Hi,\n\nSorry, I haven't scanned the chapter and won't: everyone will need to buy the "
     "book. The reading list is attached.", "pdf"),
    # reporting someone else's copying
    ("Hi Chris,\n\nA delegate says she scanned the manual so nobody needs to buy it. Her "
     "message is attached; can the academy follow it up?", "pdf"),
    # the clinic's own leaflet photocopied so patients pay nothing
    ("Hi,\n\nI've photocopied our aftercare leaflet for the open day. It is free, patients "
     "never pay for it.", "pdf"),
])
def test_legitimate_mail_is_not_an_admission(body, kind):
    assert RULE not in found(body, kind)


def test_the_admission_must_be_the_senders_own_words():
    quoted = ("Thanks, but please do not send that.\n\nOn Mon, Nadia wrote:\n"
              "> I've scanned the lip chapter so nobody needs to buy the book.\n")
    assert RULE not in found(quoted)
    in_quotes = ('The trainee wrote "I scanned the whole chapter so nobody has to buy the '
                 'book" on the forum; the PDF she posted is attached for the academy.')
    assert RULE not in found(in_quotes)


def test_no_attachment_no_finding():
    raw = docs.mail("Chapter", body="I've scanned the chapter so nobody needs to buy the "
                    "book; I'll bring it on a stick.")
    assert RULE not in {f.rule for f in CopyrightScanner().scan(parse(raw))}


# -- the clinic's own notice, under its own domain ---------------------------------------------

@pytest.mark.parametrize("label,holder,ours", [
    ("avongorge-aesthetics", "Avon Gorge Aesthetics Ltd", True),  # hyphens dropped
    ("saltandskin", "Salt & Skin Mobile Aesthetics", True),  # "&" written "and"
    ("jhrc-training", "Jesmond Hair & Regenerative Clinic Ltd", True),  # one hyphenated part
    ("laganskin", "Lagan Skin & Laser", True),
    ("sand", "Salt & Skin", False),  # "and" alone counts for nothing
    ("springer-nature", "Avon Gorge Aesthetics", False),
    ("gc-mail", "Glow Clinic", False),  # a part of two letters is anyone's
    ("avongorge-aesthetics", "Kingsdown Aesthetics Academy", False),  # one common word
])
def test_a_domain_label_is_the_holders_name_written_whole_or_shortened(label, holder, ours):
    from scanners.copyright import _abbreviates
    assert _abbreviates(label, holder) is ours


def test_the_clinics_own_handbook_under_its_own_hyphenated_domain_is_not_someone_elses():
    """A staff handbook "© Avon Gorge Aesthetics Ltd 2026. All rights reserved." sent from
    avongorge-aesthetics.example is the sender's own; the same notice sent from another
    organisation's domain is a rights-reserved work."""
    handbook = docs.pdf([["Avon Gorge Aesthetics Ltd - Staff Handbook 2026",
                          "Holiday, sickness absence and the dress code are set out below.",
                          "© Avon Gorge Aesthetics Ltd 2026. All rights reserved."]])
    attachment = ("Staff_Handbook_2026.pdf", "application/pdf", handbook)

    def worst(sender):
        raw = docs.mail("Your handbook", "Welcome aboard! Your handbook is attached.",
                        [attachment], sender=sender, to="becky@outlook.example")
        found = [f.severity for f in screen(parse(raw), build({})) if f.category == "copyright"]
        return max(found, default=None)

    ours = worst("helen.marchant@avongorge-aesthetics.example")
    assert ours is None or ours < Severity.HIGH, ours
    assert worst("office@springfield-hr.example") is Severity.HIGH
