"""A prescription-only medicine hinted at with an area and an emoji or a wink, not named."""
from __future__ import annotations

from scanners.advertising import AdvertisingScanner
from scanners.base import ParsedMessage, Severity, TextPart

LIST = (("List-Unsubscribe", "<mailto:unsub@lists.mailer.example>"),)


def scan(body: str, subject: str = "Spring at the clinic", headers=LIST):
    msg = ParsedMessage(headers=headers, subject=subject, sender="team@glowclinic.example",
                        recipients=("clients@lists.mailer.example",),
                        body_parts=(TextPart("body", body),), attachments=())
    return {f.rule: f.severity for f in AdvertisingScanner().scan(msg)}


def test_an_area_and_a_syringe_or_a_wink_to_a_list_is_a_pom_promotion():
    # to a list: at least tagged (held with an offer or a call to book the list can see)
    assert scan("Crow's feet bothering you? \U0001F489 Book before Easter, only a few "
                "slots left!")["pom_promotion"] >= Severity.MEDIUM
    assert scan("Those forehead lines... you know what we can do \U0001F609 Book now, "
                "20% off this week.")["pom_promotion"] is Severity.HIGH


def test_areas_without_an_injection_hint_and_filler_offers_are_not():
    assert "pom_promotion" not in scan("Frown lines? Our new retinol night cream is 20% off "
                                       "this month.")
    assert "pom_promotion" not in scan("\U0001F489 Lip filler from £150 this spring, "
                                       "book now!")


def test_welsh_injection_offers_and_weight_loss_pen_nicknames_are_medicines():
    assert scan("Pigiadau fitamin B12 am £25 yn unig y mis hwn, archebwch nawr!")[
        "pom_promotion"] is Severity.HIGH
    assert scan("Mounj and Wegs starter packs from £149, DM to book your weekly pen!")[
        "pom_promotion"] is Severity.HIGH


def test_a_weekly_pen_in_aftercare_is_not_an_offer():
    aftercare = ParsedMessage(headers=(), subject="Your aftercare",
                              sender="team@glowclinic.example", recipients=("sam@example.com",),
                              body_parts=(TextPart("body", "Keep your weekly pen in the fridge "
                                                   "and inject on the same day each week."),),
                              attachments=())
    assert not [f for f in AdvertisingScanner().scan(aftercare) if f.rule == "pom_promotion"]
