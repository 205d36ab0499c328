"""Copying in the sender's own words (issue 11): another business's text handed on to be
reused as the clinic's, links to pirated copies of paid courses and books, and quoted
passages from books or articles in copy for publication; each next to the legitimate mail
that looks like it (the clinic's own leaflet to its designer, a publisher's page, a free
webinar, a reference list, a patient's testimonial, a quote in a reply that is not for
publication, a refused or reported request in quoted text)."""
from __future__ import annotations

import pytest

from gateway.content.parse import parse
from scanners.base import Severity
from scanners.copyright import CopyrightScanner


def mail(body: str, sender: str = "Mia Cole <mia@glowclinic.example>",
         to: str = "studio@brightpixel.example", subject: str = "Copy") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")
            ).encode()


def rules(body: str, **kw) -> dict[str, Severity]:
    return {f.rule: f.severity for f in CopyrightScanner().scan(parse(mail(body, **kw)))}


DISCLAIMER = ("\n\nThis e-mail is confidential. If you are not the intended recipient, do not "
              "copy or forward it.")


@pytest.mark.parametrize("body", [
    "For the lip filler page, use the text below, I took it from Riverbank Aesthetics' "
    "website. Just swap their name for ours:\n\n\"At Riverbank we believe a natural result "
    "starts with listening.\"" + DISCLAIMER,
    "Can you put this on our new flyer word for word? It's off Lumen Skin Bar's leaflet. "
    "Change Lumen Skin Bar to Glow Clinic.\n\n\"Radiance is a ritual, not a rush.\"",
    "Copy and paste their blurb from the competitor's site onto our peel page, they'll "
    "never notice.",
    "Text for the new flyer is below, it's from Lumen Skin Bar's flyer. Change Lumen Skin Bar "
    "to Glow Clinic and send me a proof.\n\n\"Radiance is a ritual, not a rush.\"",
    "Can you copy what Brightwater Skin wrote on their site for our HydraFacial page? "
    "It's really good.",
    "Saw this on Willow House Clinic's Instagram, can we use the same wording for our "
    "microneedling post?\n\n\"Tiny channels, big change: collagen on your schedule.\"",
])
def test_another_business_text_to_be_reused_as_ours_is_high(body):
    assert rules(body)["copyright_copied_text"] is Severity.HIGH


@pytest.mark.parametrize("body", [
    # the clinic's own leaflet to its designer
    "Please use this for our new leaflet word for word, it's the text from our old leaflet:\n\n"
    "\"Glow Clinic: calm, clinical, caring.\"",
    # the idea only, in the clinic's own words
    "I liked Lumen Skin Bar's leaflet. Can you write something along the same lines for our "
    "flyer, but in our own words? Don't copy it.",
    # another clinic's page as inspiration only
    "Use their wording from Brightwater Skin's site as inspiration only, something similar "
    "for our page please.",
    # a competitor's site mentioned, nothing reused
    "Their website says they open on Sundays now. Can you change our opening hours on the "
    "site to include Saturday afternoons?",
    # a correction of another site's listing
    "The hours on Treatwell's page are wrong: change Saturday to Sunday please.",
    # a manufacturer's description, no instruction to take it as ours
    "The skin booster page could mention the product facts from Teoxane's website; please "
    "check them with me first." + DISCLAIMER,
])
def test_own_text_an_idea_or_a_mention_is_not_copied_text(body):
    assert "copyright_copied_text" not in rules(body)


def test_a_refused_request_in_quoted_text_is_not_the_senders():
    reply = ("No, we can't do that, it's their copyright. Let's write our own.\n\n"
             "On Mon, 3 Mar 2025 at 10:00, Ana <ana@glowclinic.example> wrote:\n"
             "> Use this for our leaflet word for word, it's off Lumen Skin Bar's leaflet.\n")
    assert "copyright_copied_text" not in rules(reply)


@pytest.mark.parametrize("body", [
    "Somebody has uploaded the full toxin masterclass videos here, grab them before it's taken "
    "down: https://files.bigshare.example/d/ab12",
    "If you want the Facial Anatomy Atlas 4th edition without paying for it: "
    "https://books-mirror.example/get/facial-anatomy-atlas-4e.pdf",
    "Free PDF of the whole complications textbook: http://libgen.example/book/991",
    "Found the PDF of the new injectables textbook for free here: "
    "https://bookvault.example/injectables-2e.pdf",
    "Here's the Dropbox with the complete Level 7 course recordings, enjoy: "
    "https://www.dropbox.com/s/k2x9/level7",
    "Here are the recordings of the whole Level 7 course, normally £1,800, don't tell the "
    "academy: https://drive.example/folders/x81",
])
def test_links_to_pirated_copies_are_tagged(body):
    assert rules(body)["copyright_pirate_link"] is Severity.MEDIUM


@pytest.mark.parametrize("body", [
    # the publisher's own page: the way to share a book
    "The anatomy book I mentioned is £95 from the publisher, worth every penny: "
    "https://www.northfieldpress.example/books/facial-anatomy-atlas (ISBN 978-0-306-40615-7).",
    # a free webinar, legitimately free
    "The manufacturer's webinar on vascular occlusion is free to watch for registered "
    "prescribers: https://learning.teoxane.example/webinars/occlusion",
    # the clinic's own training videos on its drive
    "I've uploaded our induction videos to the shared drive: https://drive.example/f/induction",
    # an open-access article, free as published
    "The review is open access, PDF for free here: https://journal.example/article/33.pdf",
    # the clinic's own training day, shared on a cloud drive
    "The full recordings of our training day are here: https://drive.google.com/drive/f/x1",
    # a newsletter's offer on the clinic's own site
    "Our skin course of three peels is usually £270, this month £199 for the whole course: "
    "https://glowclinic.example/offers",
])
def test_a_publisher_page_a_free_webinar_or_our_own_upload_is_not_a_pirate_link(body):
    assert "copyright_pirate_link" not in rules(body)


@pytest.mark.parametrize("body", [
    "Blog draft for the website:\n\nAs Hendry and colleagues wrote in the Journal of Facial "
    "Practice, \"a complication you planned for is a complication you can manage\". That is "
    "why we...",
    "Post for Instagram: \"Sunscreen is the most effective anti-ageing product there is\" "
    "(Marlowe et al., 2022). Book your skin check today.",
    "For the blog: Dr Lena Ashby says in her book that \"good skin is a habit, not a purchase, "
    "and habits are built one evening at a time\".",
    "Instagram caption: As Marlowe wrote in Skin Science Today, 'sunscreen is the most "
    "effective anti-ageing product there is, and it's cheap'. Book a skin check!",
    "Newsletter quote of the month: \"good skin is a habit, not a purchase, and habits are "
    "built slowly\" - Dr Lena Ashby, 'The Quiet Mirror'.",
    "Blog post opening, from the book Skin Truths: \"nothing you apply matters as much as "
    "what you avoid\". Then our tips.",
    "Newsletter intro:\n\n\"Good skin is a habit, not a purchase, and habits are built one "
    "evening at a time.\" - from 'The Quiet Mirror' by Dr Lena Ashby (Harbour Books, 2021).",
])
def test_an_attributed_quotation_in_copy_for_publication_is_tagged(body):
    assert rules(body)["copyright_quotation"] is Severity.MEDIUM


@pytest.mark.parametrize("body", [
    # a patient's testimonial in the newsletter (theirs to give, and no written source)
    "For the newsletter: \"I finally feel like myself again, thank you all so much\" - Sarah, "
    "Clifton. She said we can use it.",
    # a quote in a discussion between colleagues, nothing to publish
    "As Hendry and colleagues wrote in the Journal of Facial Practice, \"a complication you "
    "planned for is a complication you can manage\". Shall we add it to our protocol review?",
    # a reference list in a CPD handout request
    "For the CPD handout, add the references: Hendry A, Cole B. Planning for complications. "
    "J Facial Pract. 2023;12(2):45-51. doi:10.1234/jfp.2023.045",
])
def test_a_testimonial_a_discussion_or_a_reference_is_not_a_quotation(body):
    assert "copyright_quotation" not in rules(body)


def test_an_attributed_quotation_in_an_attached_blog_draft_is_tagged():
    import documents as docs

    draft = docs.docx(["Why we say no", "As Hendry and colleagues wrote in the Journal of "
                       "Facial Practice, \"a complication you planned for is a complication "
                       "you can manage\". That is why we..."])
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    raw = docs.mail("Blog draft", body="Draft attached, can you tidy it up?",
                    attachments=[("draft.docx", docx, draft)], to="studio@brightpixel.example")
    found = {f.rule: f for f in CopyrightScanner().scan(parse(raw))}
    assert found["copyright_quotation"].where == "attachment:draft.docx"
    # the same document as CPD reading for a colleague: not copy for publication
    raw = docs.mail("Reading for Thursday", body="Worth reading before the session.",
                    attachments=[("notes.docx", docx, draft)], to="amy@otherclinic.example")
    assert "copyright_quotation" not in {f.rule for f in CopyrightScanner().scan(parse(raw))}
