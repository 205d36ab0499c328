"""The language scanner's structure rules, each with hard negatives: hedged rumour, claims of
drink or regulatory sanction about a named practitioner, Welsh insults, threats and
accusations, insults inside images' text. Word lists only (no sentence model), so these
hold whatever the model's heads say."""
from __future__ import annotations

from scanners.base import ParsedMessage, Severity, TextPart
from scanners.language import LanguageScanner


def msg(body: str, subject: str = "", recipients=("sam@supplier.example",), attachments=(),
        to_headers=()) -> ParsedMessage:
    return ParsedMessage(headers=tuple(to_headers), subject=subject,
                         sender="jo@glowclinic.example", recipients=tuple(recipients),
                         body_parts=(TextPart("body", body),), attachments=tuple(attachments))


def found(body: str, **kw) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for f in LanguageScanner(use_classifier=False).scan(msg(body, **kw)):
        out[f.rule] = max(out.get(f.rule, Severity.LOW), f.severity)
    return out


# -- defamation: drink, regulators, rumour -----------------------------------------------

def test_a_named_practitioner_said_to_be_a_drunk_or_sanctioned_is_held():
    assert found("Before you take them on: Dr Alan Pike is a drunk and everyone knows it."
                 )["defamation"] is Severity.HIGH
    assert found("Nurse Kelly Marsh got a warning from the NMC in the spring, so be careful."
                 )["defamation"] is Severity.HIGH
    assert found("Lakeside Aesthetics are using unlicensed products on their clients."
                 )["defamation"] is Severity.HIGH


def test_hedged_rumour_about_a_named_practitioner_is_only_tagged():
    f = found("I've heard that Dr Alan Pike may have had a warning from the GMC, "
              "no idea if it's true.")
    assert f["defamation"] is Severity.MEDIUM
    f = found("Apparently Lakeside Aesthetics are using unlicensed products, not confirmed.")
    assert f["defamation"] is Severity.MEDIUM


def test_clinical_and_factual_mail_about_drink_or_licences_stays_clean():
    assert "defamation" not in found("The patient said she had been drinking, so we "
                                     "rebooked her for next week.")
    assert "defamation" not in found("Dr Alan Pike is not under the influence of any "
                                     "supplier: his choice of filler is his own.")
    assert found("The GMC guidance on remote prescribing is attached.") == {}


# -- Welsh ---------------------------------------------------------------------------------

def test_welsh_insults_threats_and_accusations_are_held():
    assert found("Rhys, ti'n hollol dwp.")["language_abuse"] is Severity.HIGH
    assert found("Cau dy geg a cer o 'ma.")["language_abuse"] is Severity.HIGH
    assert found("Paid ag anghofio: dw i'n gwybod ble rwyt ti'n byw."
                 )["language_threat"] is Severity.HIGH
    assert found("Gwylia dy gefn.")["language_threat"] is Severity.HIGH
    assert found("Mae Gwen Morgan yn twyllo ei chleientiaid bob wythnos."
                 )["defamation"] is Severity.HIGH


def test_polite_welsh_clinic_mail_stays_clean():
    polite = ("Bore da Mrs Hughes, mae'n ddrwg gen i am yr oedi gyda'ch apwyntiad. "
              "Dw i'n gwybod lle mae'r maes parcio newydd, felly mi wna i anfon map. "
              "Diolch yn fawr, a chofion gorau gan bawb yn y clinig.")
    assert found(polite) == {}
    assert found("Mae'r nyrs yn hollol wych ac mae pawb yn ei hoffi.") == {}


# -- text inside pictures ------------------------------------------------------------------

def test_idiom_and_superlative_insults_are_found_without_you():
    assert found("Thick as two short planks, that one.")["language_abuse"] is Severity.HIGH
    assert found("Certificate: the laziest cow in the building")["language_abuse"] \
        is Severity.HIGH
    assert "language_abuse" not in found("Our biggest launch of the year is in March.")
    assert "language_abuse" not in found("Planks for the new shelving: two short planks "
                                         "and one long one, please.")
