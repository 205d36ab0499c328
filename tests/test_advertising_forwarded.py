"""A clinic forwarding its own offer sends it again: the forwarded block is the sender's
organisation's own words, not a citation. Someone else's advert forwarded stays quoted."""
from __future__ import annotations

from gateway.content.parse import parse
from gateway.pipeline import screen
from scanners.base import Severity
from scanners.registry import build


def mail(body: str, sender: str = "Front Desk <frontdesk@larkspurclinic.example>",
         to: str = "Mo Akhtar <mo.akhtar@example.com>") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: Fwd: spring news\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


OFFER = ("---------- Forwarded message ----------\n"
         "From: {origin}\nSubject: Spring news\n\n"
         "* Anti-wrinkle injections, three areas for £199 this month\n"
         "* Book online or call 01632 960455\n")


def poms(raw: bytes):
    return {f.severity for f in screen(parse(raw), build({})) if f.rule == "pom_promotion"}


def test_the_clinics_own_offer_forwarded_with_a_call_to_share_it_is_held():
    body = ("Hi Mo, great to see you earlier. Here are the spring offers, do share them "
            "with your friends if they fancy it!\n\n" + OFFER.format(origin="Larkspur Clinic"))
    assert Severity.HIGH in poms(mail(body))


def test_the_clinics_own_offer_forwarded_to_one_client_is_judged_as_if_written_again():
    forwarded = "Hi Mo, as promised:\n\n" + OFFER.format(origin="news@larkspurclinic.example")
    written = "Hi Mo, as promised:\n\n" + OFFER.format(origin="us").split("\n\n", 1)[1]
    found = [f for f in screen(parse(mail(forwarded)), build({})) if f.rule == "pom_promotion"]
    assert found and poms(mail(forwarded)) == poms(mail(written))
    assert not any("quoted" in f.evidence or f.where.endswith("#quoted") for f in found)


def test_someone_elses_advert_forwarded_stays_quoted():
    body = ("Hi Mo, is this legal? It came through our door this morning.\n\n"
            + OFFER.format(origin="Bluebell Beauty Bar <offers@bluebellbeauty.example>"))
    raw = mail(body, to="Compliance <compliance@larkspurgroup.example>")
    found = [f for f in screen(parse(raw), build({})) if f.rule == "pom_promotion"]
    assert found and all("quoted" in f.evidence for f in found)
    assert Severity.HIGH not in poms(raw)


def test_a_webmail_sender_does_not_make_every_forward_its_own():
    body = ("Look what the place on the high street is doing, share it with your friends "
            "so they know.\n\n" + OFFER.format(origin="Gmail team <offers@gmail.com>"))
    raw = mail(body, sender="Jo Fenn <jo.fenn@gmail.com>")
    found = [f for f in screen(parse(raw), build({})) if f.rule == "pom_promotion"]
    assert found and all("quoted" in f.evidence for f in found)


def test_a_medicine_the_clinic_says_it_does_not_offer_is_no_promotion():
    refused = ("Hi all, lots of you have asked about the weight-loss jabs on the telly. We "
               "don't offer them. Our nutrition coaching is £180 for ten weeks, book at "
               "reception.")
    assert not poms(mail(refused, to="Members <members@lists.larkspurclinic.example>"))
    assert not poms(mail("Ten-week coaching, no jabs and no pills: £180, book at reception.",
                         to="Members <members@lists.larkspurclinic.example>"))
    offered = ("Hi all, lots of you have asked about the weight-loss jabs on the telly. We "
               "now offer them: £180 for the first month, book at reception.")
    assert Severity.HIGH in poms(mail(offered, to="Members <members@lists.larkspurclinic.example>"))
