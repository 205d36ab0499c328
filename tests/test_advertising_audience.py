"""Mail written for practitioners (CPD, a study club, trade prices) is not advertising to
the public however many receive it, in To, on a list or in Bcc (POLICY.md: pass); the same
words as copy to publish, or without the practitioners' cues, still are (issue 21)."""
from __future__ import annotations

from gateway.config import Settings
from gateway.decision.judge import OfflineEnvelope, judge
from gateway.pipeline import ScanResult
from scanners.advertising import AdvertisingScanner
from scanners.base import ParsedMessage, Severity, TextPart

CPD = ("Dear colleagues,\n\nOur next CPD evening is on 12 November: botulinum toxin for "
       "bruxism and gummy smiles, with a hands-on session. Places are £45 and include "
       "supper; book by replying to this e-mail.\n\nDr Tom Hallett")
PUBLIC = ("Hi lovely,\n\nBotulinum toxin for bruxism and gummy smiles is now £45 a "
          "session, this month only: book by replying to this e-mail!\n\nBae Dental")
BCC = tuple(f"dentist{i}@practice{i}.example" for i in range(30))


def verdict(body: str, subject: str = "12 November") -> tuple:
    msg = ParsedMessage(headers=(), subject=subject, sender="tom@baedental.example",
                        recipients=("members@cardiffdpg.example",),
                        body_parts=(TextPart("body", body),), attachments=())
    findings = list(AdvertisingScanner().scan(msg))
    result = ScanResult(findings, subject=subject, recipients=list(msg.recipients),
                        sender=msg.sender)
    v = judge(result, OfflineEnvelope(msg.sender, list(msg.recipients) + list(BCC)),
              Settings())
    return str(v.action), {f.rule: f.severity for f in v.findings}


def test_cpd_to_practitioners_passes_however_many_receive_it():
    action, found = verdict(CPD)
    assert action == "pass"
    assert found["pom_promotion"] is Severity.LOW


def test_the_same_offer_to_the_public_is_held():
    action, found = verdict(PUBLIC)
    assert action == "hold"
    assert found["pom_promotion"] is Severity.HIGH


def test_copy_to_publish_is_not_for_practitioners_even_with_cpd_in_it():
    action, _ = verdict("Caption for Instagram: our nurse's CPD means botulinum toxin for "
                        "gummy smiles is now £45, book this month!")
    assert action == "hold"


def one(body: str, to: str = "editor@villagenews.example", subject: str = "For the newsletter"):
    msg = ParsedMessage(headers=(), subject=subject, sender="tom@baedental.example",
                        recipients=(to,), body_parts=(TextPart("body", body),), attachments=())
    findings = list(AdvertisingScanner().scan(msg))
    result = ScanResult(findings, subject=subject, recipients=[to], sender=msg.sender)
    v = judge(result, OfflineEnvelope(msg.sender, [to]), Settings())
    return str(v.action)


def test_advert_copy_to_one_person_is_still_an_advert():
    """An offer and a call to book with a medicine: copy for a newsletter editor, an SMS
    provider or a community group admin reaches the public through them."""
    assert one("Here's our bit for December: Botox from £99 an area, 20% off in "
               "December, book now on 029 2018 0456!") == "hold"


def test_a_price_to_one_person_or_an_answer_to_her_question_is_not():
    assert one("Hi Jo, as discussed, the Botox we did on Tuesday was £180; invoice "
               "attached.", to="jo.price@gmail.example") != "hold"
