"""The sentence model inside the scanners: what it adds to the word lists, when a score alone
only tags, and the fallback when the model is unavailable. Runs the real model."""
from __future__ import annotations

import pytest

from gateway.content.parse import parse
from gateway.pipeline import screen
from scanners import model_findings
from scanners.base import Severity
from scanners.registry import build

pytestmark = pytest.mark.model


def mail(body: str, to: str = "Sam Patel <sam@example.com>",
         sender: str = "Jo Reed <jo@glowclinic.example>") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: Re: your review\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def findings(raw: bytes):
    return screen(parse(raw), build({}))


def test_veiled_threats_and_exclusion_that_no_word_list_names_are_found():
    threat = ("I know where your kids go to school. It would be a real shame if something "
              "happened on the way home. Take the review down by Friday.")
    found = {f.rule: f for f in findings(mail(threat)) if f.category == "language"}
    assert "language_threat" in found and found["language_threat"].severity is Severity.HIGH
    veiled = ("You might want to think very hard about who reads your posts from now on. "
              "People who talk too much about my clinic tend to regret it.")
    found = [f for f in findings(mail(veiled)) if f.category == "language"]
    assert found and any("(model: " in f.evidence for f in found), found
    exclusion = ("Funny how nobody ever remembers to invite the new girl to team drinks. "
                 "Maybe if she tried a bit harder people would actually want her around.")
    assert any(f.category == "language" for f in findings(mail(exclusion)))


def test_civil_mail_and_a_quoted_complaint_are_not_held():
    civil = ("Thank you for your email. We are sorry the appointment ran late on Tuesday. "
             "We have refunded the consultation fee and hope to see you again.")
    assert not [f for f in findings(mail(civil)) if f.category == "language"]
    quoted = ("We received your message, which said \"I will make sure everyone knows what a "
              "butcher she is\". We have passed it to our solicitor and will not reply further.")
    assert not [f for f in findings(mail(quoted)) if f.severity is Severity.HIGH
                and f.category == "language"]


def test_without_the_model_the_word_lists_still_run_and_say_so(monkeypatch):
    monkeypatch.setattr(model_findings, "model", lambda: None)
    found = findings(mail("You are a useless idiot and everyone knows it."))
    rules = {f.rule for f in found}
    assert "model_unavailable" in rules and "language_abuse" in rules
    assert next(f for f in found if f.rule == "model_unavailable").severity is Severity.LOW


def test_a_threat_after_pages_of_ordinary_mail_is_still_read_within_the_token_budget():
    """The network reads only a budget of word pieces a message, the sentences the lexical
    head finds least benign first: a threat after 3 KB of routine clinic news still gets
    read, while most of the routine sentences never reach the network."""
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
            "the bank holiday", "half term", "the first of the month")
    routine = "".join(
        f"The car park behind clinic {i} is being resurfaced on {day}, so please use the "
        f"council car park on Mill Street. Our autumn opening hours at site {i} start on "
        f"{day}, with late appointments until eight. Thank you to the {i} people who filled in "
        f"the patient survey about {day}, the results are on the noticeboard. "
        for i, day in enumerate(days, 2))
    body = routine + "\n\nDelete the review by Friday or I'll make sure your husband " \
        "sees every one of those photos."
    assert len(body) > 3000
    read = []
    m = model_findings.model()
    real = m.encoder.embed
    m.encoder.embed = lambda sentences, batch=16: read.extend(sentences) or real(sentences, batch)
    try:
        found = [f for f in findings(mail(body)) if f.category == "language"]
    finally:
        m.encoder.embed = real
    assert any(f.rule == "language_threat" for f in found), found
    assert any("husband" in s for s in read)
    budget = model_findings.network_tokens(len(body))
    assert sum(m.encoder.token_counts(read)) <= budget < 60
    assert len(read) < 10  # of 31 sentences



def test_a_threat_naming_the_readers_family_or_school_holds(monkeypatch):
    """A sentence the model reads as a threat (one, not sure: alone it would tag) that
    names the reader's child, home or school is a veiled threat (POLICY: naming someone's
    family or school) and holds; the same sentence shape without them only tags."""
    from scanners import conduct, text

    def severity(sentence: str) -> Severity:
        views = text.build(parse(mail(sentence)))
        seg = next(s for s in views.segments if sentence in s.text)
        start = seg.text.index(sentence)
        item = model_findings.Labelled(seg, start, start + len(sentence), "threat", 0.93)
        monkeypatch.setattr(model_findings, "labelled", lambda v: [item])
        return max(f.severity for f in model_findings.language(views, lambda t, a: None))

    assert severity("Your Maisie is at Oakfield Primary these days, isn't she, love?") \
        is Severity.HIGH
    assert severity("Funny, I drove past where you live on my way home last night.") \
        is Severity.HIGH
    assert severity("You were at the Oakfield parents evening last night, weren't you?") \
        is Severity.MEDIUM
    # the words alone are no threat: friendly mail names families all the time
    assert conduct.kin_named("I hope your kids enjoy the half term break.")
    assert not conduct.kin_named("Your Botox appointment is on Friday at ten.")


def test_two_readings_of_different_kinds_do_not_corroborate_each_other(monkeypatch):
    """Firm feedback the model half-misreads (one sentence as a threat, another as a
    put-down) is tagged; two put-downs, or a put-down and harassment, hold."""
    from scanners import text

    def severities(*labelled: tuple[str, str]) -> list[Severity]:
        body = " ".join(s for s, _ in labelled)
        views = text.build(parse(mail(body)))
        seg = next(s for s in views.segments if labelled[0][0] in s.text)
        items = [model_findings.Labelled(seg, seg.text.index(s), seg.text.index(s) + len(s),
                                         label, 0.95) for s, label in labelled]
        monkeypatch.setattr(model_findings, "labelled", lambda v: items)
        return [f.severity for f in model_findings.language(views, lambda t, a: None)]

    firm = ("I'll be straight with you about last week.", "threat")
    blunt = ("That's not like you and it is not acceptable here.", "bullying")
    mock = ("You honestly sound like a seagull on the phone, you know.", "bullying")
    leer = ("You should wear that tight top for me more often, you know.", "harassment")
    assert max(severities(firm, blunt)) is Severity.MEDIUM
    assert max(severities(blunt, mock)) is Severity.HIGH
    assert max(severities(mock, leer)) is Severity.HIGH
