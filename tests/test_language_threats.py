"""Threats and insults that only their structure gives away, with hard negatives: a veiled
threat spread over neighbouring sentences (something of the addressee's, then a harm left
unspecified), in English and Welsh. Word lists only (no sentence model), so these hold
whatever the model's heads say; `decide` runs the whole pipeline and the judge."""
from __future__ import annotations

import pytest

from scanners.base import ParsedMessage, Severity, TextPart
from scanners.language import LanguageScanner

CLINIC = "jo@glowclinic.example"


def msg(body: str, recipients=("sam@supplier.example",)) -> ParsedMessage:
    return ParsedMessage(headers=(), subject="", sender=CLINIC, recipients=tuple(recipients),
                         body_parts=(TextPart("body", body),), attachments=())


def found(body: str, **kw) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for f in LanguageScanner(use_classifier=False).scan(msg(body, **kw)):
        out[f.rule] = max(out.get(f.rule, Severity.LOW), f.severity)
    return out


@pytest.fixture
def no_model(monkeypatch):
    from scanners import model_findings
    monkeypatch.setattr(model_findings, "model", lambda: None)  # whatever heads are merged


def decide(body: str, to: str, sender: str = CLINIC) -> str:
    from gateway.config import Settings
    from gateway.content.parse import parse
    from gateway.decision.judge import OfflineEnvelope, judge
    from gateway.pipeline import ScanResult, screen
    from scanners.registry import build
    raw = (f"From: Jo Reed <{sender}>\r\nTo: {to}\r\nSubject: Re: last week\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
    parsed = parse(raw)
    result = ScanResult(screen(parsed, build({})), sender=sender,
                        recipients=list(parsed.recipients))
    return judge(result, OfflineEnvelope(sender, [to]), Settings()).action.name.lower()


# -- cause: a veiled threat over neighbouring sentences -------------------------------------

VEILED = [
    "Nice red Fiesta, by the way. I noticed your car sits outside number 12 every evening. "
    "It would be such a shame if it wasn't in one piece one morning.",
    "Your daughter has netball on Tuesdays at Hillcrest, doesn't she? Would hate for "
    "anything to happen on the walk back. Delete the post.",
    "You've done well with your salon on Mill Lane. Glass fronts are so fragile. "
    "Be awful if something happened to it overnight.",
    "Your husband drives the blue van with the ladder on top. Accidents happen on those "
    "country roads.",
]


@pytest.mark.parametrize("body", VEILED)
def test_something_of_theirs_and_a_hinted_harm_a_sentence_or_two_apart_is_a_threat(body):
    assert found(body)["language_threat"] >= Severity.MEDIUM


def test_a_veiled_threat_to_an_outsider_is_held(no_model):
    assert decide(VEILED[0], "lee@example.com") == "hold"
    assert decide(VEILED[2], "mina@rivalskin.example") == "hold"


WELSH_VEILED = [
    "Mae gen ti gar newydd sgleiniog. Biti mawr petai rhywbeth yn digwydd iddo fe.",
    "Dw i'n gwybod bod dy blant yn yr ysgol gynradd. Byddai'n drueni mawr petai rhywbeth "
    "yn digwydd.",
    "Mae eich siop ar y sgwâr yn edrych yn dda. Pe bai rhywbeth yn digwydd iddi, pwy a ŵyr.",
]


@pytest.mark.parametrize("body", WELSH_VEILED)
def test_welsh_veiled_threats_over_neighbouring_sentences(body):
    assert found(body)["language_threat"] >= Severity.MEDIUM


def test_welsh_watch_your_back_is_a_threat():
    assert found("Gwylia dy gefn, Rhys.")["language_threat"] is Severity.HIGH
    assert found("Gwyliwch eich cefn o hyn ymlaen.")["language_threat"] is Severity.HIGH


HARMLESS = [
    # aftercare: a pity if something goes wrong with the treatment, nothing of theirs
    "It would be a shame if the filler migrated, so avoid massaging the area for two weeks.",
    "Your lips may feel tight tomorrow. It would be a pity if the swelling spoilt your "
    "weekend, so use a cold compress.",
    # security and insurance advice, parking notices
    "Please lock your car when you park on Station Road: thefts from cars have gone up.",
    "Customers may use the car park behind the salon. If anything happens to your car "
    "while it is parked there, we are not liable.",
    "Your home insurance may not cover treatment rooms. If something happened to your "
    "equipment, would your insurer pay out?",
    "Parking is at the owner's risk. Your car should not be left on the double yellow lines "
    "outside the clinic.",
    # sympathy about something that did happen
    "So sorry to hear your husband's van was broken into. Hope your car is still in one "
    "piece after the storm too!",
    # family mentioned kindly, and advice about the children in the waiting room
    "Hope your kids enjoyed half term! If anything happens with the booking, ring us.",
    "Your children are welcome in the waiting room. Please keep an eye on them, as accidents "
    "happen near the stairs.",
    "Thanks for bringing your daughter along. If something happens after the treatment, "
    "call us on 01632 960123.",
]


@pytest.mark.parametrize("body", HARMLESS)
def test_aftercare_advice_insurance_and_parking_notices_are_no_threat(body):
    assert "language_threat" not in found(body), body


def test_welsh_aftercare_and_school_news_are_no_threat():
    for body in ("Byddai'n drueni mawr petai'r chwydd yn para, felly defnyddiwch rew.",
                 "Diolch am ddod â'r plant i'r apwyntiad. Os oes rhywbeth yn digwydd ar ôl "
                 "y driniaeth, ffoniwch ni.",
                 "Mae'r ysgol ar gau ddydd Gwener, felly mae'r clinig yn cau'n gynnar."):
        assert "language_threat" not in found(body), body


def test_an_aftercare_note_and_a_parking_notice_pass_end_to_end(no_model):
    assert decide(HARMLESS[0], "amy@example.com") == "pass"
    assert decide(HARMLESS[3], "amy@example.com") == "pass"


# -- cause: a disclosure threatened to a third party, worded any way ------------------------

def test_a_demand_backed_by_disclosure_to_a_third_party_is_blackmail():
    for body in (
            "Drop the grievance before the hearing. If you do not, your new boss and the GMC "
            "will both receive the voice notes you left me.",
            "Cancel the chargeback this week. Otherwise everybody at your new salon gets to "
            "see those texts.",
            "Remove the review today, or I send them to your partner and the local paper.",
            "Withdraw your complaint by Monday. If not, your family will hear about the "
            "weekend in Leeds."):
        assert found(body)["language_threat"] is Severity.HIGH, body


def test_payment_chasers_and_process_notices_with_third_parties_are_business():
    for civil in (
            "Please pay invoice 5520 by Friday or we will refer the debt to a collection "
            "agency and the small claims court.",
            "Pay the balance by the 30th, otherwise the account is passed to our solicitors.",
            "Please sign the consent form before Friday, or we will have to rebook you.",
            "Place your order by Friday or the offer ends. Your colleagues will see the new "
            "range at the study day.",
            "Sign the attached reference and send it back. If not, your new employer can "
            "contact us directly.",
            "Please pay the deposit to confirm. Your partner is welcome to come along and "
            "see the clinic first."):
        assert "language_threat" not in found(civil), civil


def test_blackmail_to_an_outsider_holds_and_a_debt_reminder_passes(no_model):
    assert decide("Drop the tribunal claim. If you don't, your husband and your employer "
                  "will receive copies of everything.", "kay@example.net") == "hold"
    assert decide("Please settle the invoice by Friday or we will pass it to debt "
                  "collection.", "accounts@supplier.example") == "pass"


# -- cause: mild teasing nouns are a lower tier than hard insults ---------------------------

def test_mild_teasing_nouns_are_medium_and_hard_insults_stay_high():
    assert found("Ha, you total plonker, you left your lunch in my fridge again!"
                 )["language_abuse"] is Severity.MEDIUM
    assert found("Cheers for swapping shifts, you daft wazzock.")["language_abuse"] \
        is Severity.MEDIUM
    assert found("Behave, you numpty, the cake was for everyone 😂")["language_abuse"] \
        is Severity.MEDIUM
    # a hard word beside the mild one, or a hard insult, still holds
    assert found("You are a stupid useless muppet.")["language_abuse"] is Severity.HIGH
    assert found("You are an absolute moron.")["language_abuse"] is Severity.HIGH
    assert found("Honestly, you pathetic idiot, read the rota.")["language_abuse"] \
        is Severity.HIGH


def test_banter_between_colleagues_is_tagged_and_the_same_words_to_an_outsider_hold(no_model):
    banter = ("Mel you absolute muppet, you left the autoclave running overnight again! "
              "Only joking, thanks for covering Saturday, you star. Coffee's on me, you "
              "plonker.")
    assert decide(banter, "mel@glowclinic.example") == "tag"
    assert decide(banter, "mel.personal@example.com") == "hold"
    assert decide("You are a stupid useless muppet and everyone on the team knows it.",
                  "mel@glowclinic.example") == "hold"


# -- cause: who can be the target of a defamatory claim -------------------------------------

def evidence(body: str, rule: str = "defamation", **kw) -> list[str]:
    return [f.evidence for f in LanguageScanner(use_classifier=False).scan(msg(body, **kw))
            if f.rule == rule]


def test_a_regulator_authority_or_product_in_a_safety_warning_is_no_target():
    for notice in (
            "Trading Standards have warned that fake Azzalure is being sold at pop-up "
            "parties in the area.",
            "The GMC has issued an alert: counterfeit Bocouture has been found on auction "
            "sites.",
            "Police Scotland say unlicensed fillers are being injected in homes; report "
            "anything suspicious to the MHRA Yellow Card scheme.",
            "NHS England warns that fake Ozempic pens bought online have put people in "
            "hospital.",
            "Juvederm Voluma is not counterfeit when bought from a UK wholesaler.",
            # a place or force before the authority, and a document's field labels
            "West Yorkshire Trading Standards have seized counterfeit Botox vials sold at "
            "home parties.",
            "Greater Manchester Police warn that fake Ozempic pens are being sold online.",
            "Safety warning: counterfeit Botox being sold online in West Yorkshire",
            "Keywords: OGL\nSubject: Public safety alert\nTitle: Counterfeit botulinum toxin"):
        assert evidence(notice) == [], notice
    # a business named with its own words after it is still the business
    assert evidence("Sarah Jones Aesthetics sells counterfeit Botox, avoid them.")


def test_a_named_practitioner_or_business_accused_of_fakes_is_still_held():
    assert found("Dr Nia Hughes is using counterfeit Bocouture on her clients."
                 )["defamation"] is Severity.HIGH
    assert found("Halo Skin Clinic sells fake filler as Profhilo, everyone in town knows."
                 )["defamation"] is Severity.HIGH


def test_the_reader_named_in_a_greeting_is_not_the_target_and_accented_names_are_names():
    body = ("Annwyl Gwenno,\n\nDiolch am eich neges. Mae Siôn Prydderch yn y dref yn "
            "dwyllwr, peidiwch â mynd ato.")
    (e,) = evidence(body)
    assert e.startswith("target: S*** P********;") and "G" not in e.split(";")[0], e
    body = "Dear Tomás,\n\nBefore you book: Lowri Pryce-Jônes is a fraud and a liar."
    (e,) = [e for e in evidence(body) if "fraud" in e]
    assert e.startswith("target: L**** P*********"), e
    body = "Hi Ellie Marsh,\n\nThanks for asking. Zoë Adeyemi is a butcher, avoid her."
    (e,) = evidence(body)
    assert e.startswith("target: Z** A******"), e
