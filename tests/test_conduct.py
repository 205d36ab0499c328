"""The conduct scanners' parts one by one: lexicon matching and offsets, quoted-reply views,
disguised words, the classifier's ceiling, audience escalation from the envelope, and
bulk_repetition across messages (through a real relay too)."""
from __future__ import annotations

import smtplib
from datetime import datetime, timedelta, timezone

import pytest
from conftest import message, wait_for

from gateway.config import AudienceSettings, BulkSettings, Settings, load_config
from gateway.content.parse import html_to_text, parse
from gateway.database.store import Store
from gateway.decision import context
from gateway.decision.judge import OfflineEnvelope, judge
from gateway.decision.policy import Action
from gateway.decision.repetition import Repetition
from gateway.pipeline import ScanResult
from scanners import lexicon, text
from scanners.advertising import AdvertisingScanner
from scanners.base import Finding, ParsedMessage, Severity, TextPart
from scanners.language import LanguageScanner


def msg(body: str, subject: str = "", headers=(), recipients=("sam@example.com",),
        sender="bethany@glowclinic.example") -> ParsedMessage:
    return ParsedMessage(headers=tuple(headers), subject=subject, sender=sender,
                         recipients=tuple(recipients), body_parts=(TextPart("body", body),),
                         attachments=())


def rules(findings) -> dict[str, tuple[Severity, str]]:
    return {f.rule: (f.severity, f.where) for f in findings}


# -- lexicon ---------------------------------------------------------------------------------

def test_matcher_finds_whole_words_across_spacing_and_maps_offsets_back():
    m = lexicon.Matcher([("watch your back", Severity.HIGH, "t", "x"), ("ass", Severity.LOW, "p", "x")])
    original = "Well,  WATCH your\n  back!  Assess the class."
    hits = list(m.find(lexicon.FlatView(original)))
    assert [(original[h.start:h.end], h.label) for h in hits] == [("WATCH your\n  back", "t")]


def test_curly_apostrophes_and_missing_apostrophes_match():
    m = lexicon.Matcher([("you're an idiot", Severity.HIGH, "a", "x")])
    for written in ("You’re an idiot", "youre an idiot", "YOU'RE AN IDIOT"):
        assert list(m.find(lexicon.FlatView(written))), written


def test_every_data_file_loads_with_known_labels():
    labels = {
        "language.txt": {"language_profanity", "language_abuse", "language_threat",
                         "language_discrimination", "language_harassment"},
        "threats.txt": {"frame", "act"},
        "insults.txt": {"frame", "nframe", "tail", "guard", "filler", "noun", "adj"},
        "defamation.txt": {"claim", "title", "org", "ref", "negate", "hedge",
                           "authority", "product"},
        "conduct.txt": {"demand", "condition", "lever", "exclude", "only", "trait",
                        "trait_work", "work", "service", "guard", "belittle", "consequence", "secret", "refuse",
                        "theirs", "harm", "harm_guard", "party", "disclose", "kin"},
        "pom.txt": {"name", "brand", "class", "euphemism"},
        "pom_hints.txt": {"area", "hint"},
        "promo.txt": {"strong", "weak", "price"},
        "claims.txt": {"any", "promo", "minors", "pressure"},
        "quoting.txt": {"frame", "purpose", "role", "affix", "lead"},
        "audience.txt": {"header", "local", "domain", "text", "professional", "publish",
                         "safety"},
        "attribution.txt": {"opinion", "team"},
    }
    for name, allowed in labels.items():
        table = lexicon.table(name)
        found = {label for _, _, label in table.entries} | {label for _, _, label in table.patterns}
        assert found <= allowed, (name, found - allowed)


# -- quoted text -----------------------------------------------------------------------------

def quoted_parts(body: str) -> list[str]:
    return [s.text.strip() for s in text.build(msg(body)).segments if s.quoted]


def test_gmail_style_quote_keeps_interleaved_answers_as_own_text():
    body = ("Hi,\n\nOn Mon, 17 Jun 2024, Kim <kim@example.org> wrote:\n> line one\n\n"
            "My answer.\n> line two\nBest,\nB")
    views = text.build(msg(body))
    assert [s.text.strip() for s in views.own()] == ["Hi,", "My answer.", "Best,\nB"]
    assert quoted_parts(body)[0].endswith("> line one")


def test_wrapped_attribution_and_outlook_blocks_quote_the_rest():
    wrapped = "Thanks.\n\nOn Tue, 10 Jun 2024 at 19:02, Olivia Grant <\no@example.com> wrote:\n> q"
    assert quoted_parts(wrapped)[0].startswith("On Tue")
    outlook = "See below.\n\n-----Original Message-----\nFrom: X\nSent: Monday\nyou idiot"
    assert quoted_parts(outlook) == ["-----Original Message-----\nFrom: X\nSent: Monday\nyou idiot"]
    headers = "FYI\n\nFrom: Dean <d@example.net>\nSent: 14 June\nTo: us\nSubject: x\n\nrude words"
    assert quoted_parts(headers)[0].endswith("rude words")


def test_html_blockquote_becomes_quoted_lines():
    assert html_to_text("<p>Done.</p><blockquote>you idiot<blockquote>deeper</blockquote>"
                        "</blockquote>") == "Done.\n\n> you idiot\n> > deeper"


def test_quoted_findings_are_one_lower_and_marked():
    body = "Noted.\n\nOn Mon, X wrote:\n> You are an idiot. I will ruin you.\n> shit"
    found = rules(LanguageScanner(use_classifier=False).scan(msg(body)))
    assert found["language_abuse"] == (Severity.MEDIUM, "body#quoted")
    assert found["language_threat"] == (Severity.MEDIUM, "body#quoted")
    assert found["language_profanity"] == (Severity.LOW, "body#quoted")


# -- language ----------------------------------------------------------------------------------

@pytest.mark.parametrize("written, word", [
    ("f*ck", "fuck"), ("sh1t", "shit"), ("b.i.t.c.h", "bitch"), ("f u c k", "fuck"),
    ("fuuuuuck", "fuck"), ("$hit", "shit"), ("a$$hole", "asshole"), ("ѕhit", "shit"),
    ("f**king", "fucking"), ("S-H-I-T", "shit"),
])
def test_disguised_profanity(written, word):
    found = list(LanguageScanner(use_classifier=False).scan(msg(f"This is {written} today.")))
    assert [f.rule for f in found] == ["language_profanity"], found
    assert f"'{word}'" in found[0].evidence


@pytest.mark.parametrize("clean", [
    "Scunthorpe, assess, cocktail, Dickens, analysis, Penistone, shiitake, Cockfosters.",
    "The anal fissure healed; breastfeeding is fine; he is gay; she is a trans woman.",
    "I felt like an idiot for forgetting the form.", "You will feel a small prick.",
    "The waiting time was a disgrace and I would like a call back.",
    "Dr Okafor is not a fraud.", "We corrected a botched filler result from elsewhere.",
])
def test_clean_sentences_stay_clean(clean):
    assert not list(LanguageScanner().scan(msg(clean)))


def test_defamation_reports_target_and_claim_with_names_masked():
    found = list(LanguageScanner(use_classifier=False).scan(
        msg("Dr Sarah Jones is a butcher. Rowan Skin Studio uses fake filler.")))
    evidence = sorted(f.evidence for f in found if f.rule == "defamation")
    assert evidence == ["target: Dr S**** J****; claim: 'butcher'",
                        "target: Rowan Skin Studio; claim: 'fake filler'"]
    assert all(f.severity is Severity.HIGH for f in found)


def test_the_classifier_alone_is_never_high():
    scanner = LanguageScanner()
    sentence = "Honestly nobody with half a brain would ever let someone as thick as you near a patient."
    found = list(scanner.scan(msg(sentence)))
    assert all(f.severity <= Severity.MEDIUM for f in found if f.rule == "language_classifier")
    assert scanner.classifier_seconds > 0


# -- advertising -------------------------------------------------------------------------------

NEWSLETTER = (("List-Unsubscribe", "<mailto:news@glowclinic.example>"),)


@pytest.mark.parametrize("body, headers, severity", [
    ("Botox from £99 this week, book now.", NEWSLETTER, Severity.HIGH),
    ("We now offer Botox for frown lines.", NEWSLETTER, Severity.HIGH),
    ("Hi Sam, 20% off your Botox top-up this month.", (), Severity.MEDIUM),
    ("Your Botox would be £180 for one area.", (), Severity.LOW),
    ("After your Botox today, stay upright for four hours.", (), None),
])
def test_pom_promotion_severity_follows_the_audience(body, headers, severity):
    found = rules(AdvertisingScanner().scan(msg(body, headers=headers)))
    assert found.get("pom_promotion", (None,))[0] == severity


def test_reply_to_a_patients_question_is_at_most_medium():
    body = ("Forehead Botox is £180.\n\nOn Mon, Olivia wrote:\n> How much is Botox?\n")
    found = rules(AdvertisingScanner().scan(msg(body, subject="Re: prices",
                                                headers=NEWSLETTER)))
    assert found["pom_promotion"][0] == Severity.MEDIUM


def test_unattributed_marketing_is_low():
    found = rules(AdvertisingScanner().scan(msg("20% off peels!\n\nThe Glow Team",
                                                headers=NEWSLETTER)))
    assert found["unattributed"][0] == Severity.LOW
    signed = rules(AdvertisingScanner().scan(msg("20% off peels!\n\nKind regards,\nBethany Hale",
                                                 headers=NEWSLETTER)))
    assert "unattributed" not in signed


# -- the gateway side --------------------------------------------------------------------------

PROMO = Finding("advertising", "pom_promotion", Severity.MEDIUM, "body", "Botox + '20% off'")
QUOTED = Finding("advertising", "pom_promotion", Severity.LOW, "body#quoted", "Botox",
                 tags=("quoted",))


def test_audience_raises_promotion_for_many_or_blind_recipients():
    settings = AudienceSettings()
    sender = "jade@glowclinic.example"
    one = ["sam@example.com"]
    many = [f"p{i}@example.com" for i in range(6)]
    staff = [f"s{i}@glowclinic.example" for i in range(20)]
    assert context.escalate([PROMO], one, one, sender, settings) == [PROMO]
    assert context.escalate([PROMO], staff + one, one, sender, settings) == [PROMO]
    raised = context.escalate([PROMO, QUOTED], many, many, sender, settings)
    assert raised[0].severity is Severity.HIGH and "6 recipients" in raised[0].evidence
    assert raised[1] == QUOTED
    bcc = one + ["a@example.org", "b@example.org", "c@example.net"]
    assert context.escalate([PROMO], bcc, one, sender, settings)[0].severity is Severity.HIGH
    assert context.escalate([PROMO], bcc[:3], one, sender, settings) == [PROMO]


def test_new_config_sections_load_and_validate(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text("[audience]\nmax_recipients = 2\nrules = [\"pom_promotion\", "
                    "\"misleading_claim\"]\n[bulk]\nmax_messages = 3\n")
    s = load_config(path)
    assert s.audience.max_recipients == 2 and s.bulk.max_messages == 3
    path.write_text("[bulk]\nwindow = 0\n")
    with pytest.raises(Exception, match="bulk"):
        load_config(path)


def test_bulk_repetition_counts_recipients_and_sender_frequency(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}").create()
    rep = Repetition(store.engine, BulkSettings(max_recipients=10, max_messages=3,
                                                window=3600)).create()
    now = datetime.now(timezone.utc)
    assert rep.check("m1", "f" * 64, 500, "a@x.example", 6, now) == []
    assert rep.check("m1", "f" * 64, 500, "a@x.example", 6, now) == []  # a redo counts once
    found = rep.check("m2", "f" * 64, 500, "b@x.example", 6, now)
    assert [f.rule for f in found] == ["bulk_repetition"] and "12 recipients" in found[0].evidence
    for i in range(3):
        rep.check(f"s{i}", "e" * 64, 500, "c@x.example", 1, now)
    found = rep.check("s3", "e" * 64, 500, "c@x.example", 1, now)
    assert found and "4 times" in found[0].evidence
    later = now + timedelta(hours=2)  # out of the window: forgotten
    assert rep.check("s4", "e" * 64, 500, "c@x.example", 1, later) == []
    assert rep.check("short", "d" * 64, 20, "c@x.example", 100, now) == []
    store.dispose()


def test_fingerprint_ignores_the_greeting_and_punctuation():
    a = parse(message(body="Dear Sam,\r\n\r\nOur summer peel offer is back, 20% off all week."))
    b = parse(message(body="Hi Jo!\r\n\r\nOur summer peel offer is back -- 20% off, all week"))
    assert text.fingerprint(text.build(a))[0] == text.fingerprint(text.build(b))[0] != ""


def test_relay_reports_bulk_repetition_across_messages(make_relay, sink):
    relay = make_relay(bulk={"max_messages": 2})
    body = ("Dear client,\r\n\r\nOur spring skin clinic is open every Saturday in April for "
            "peels, facials and skin checks with our nurse practitioners. Reply to this email "
            "to choose a time that suits you, and bring a list of the products you use now.")
    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        for i in range(4):
            client.sendmail("news@glowclinic.example", [f"p{i}@example.com"],
                            message(subject="Spring skin clinic", body=body,
                                    sender="news@glowclinic.example",
                                    to=f"p{i}@example.com"))
    wait_for(lambda: len(relay.app.store.logs()) == 4 and relay.idle())
    logs = sorted(relay.app.store.logs(), key=lambda e: e.screened_at)
    assert ["bulk_repetition" in e.rules for e in logs] == [False, False, True, True]
    assert [e.action for e in logs] == ["pass", "pass", "tag", "tag"]


def test_one_claim_in_a_multipart_alternative_gives_one_finding():
    """The plain and HTML alternatives say the same thing: only the richer one is screened."""
    from gateway.pipeline import screen
    from scanners.registry import build

    raw = (b"From: Glow Clinic <news@glowclinic.example>\r\nTo: list@lists.glowclinic.example\r\n"
           b"Subject: June offers\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=b1\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"Botox now only \xc2\xa399 per area, book today!\r\n"
           b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><body><p>Botox now only &pound;99 per area, <b>book today!</b></p>"
           b"<table><tr><td>Call</td><td>07700 900123</td></tr></table></body></html>\r\n"
           b"--b1--\r\n")
    parsed = parse(raw)
    assert len(parsed.body_parts) == 1 and parsed.body_parts[0].content_type == "text/html"
    promos = [f for f in screen(parsed, build({})) if f.rule == "pom_promotion"]
    assert len(promos) == 1, promos


# -- quoting, reporting, publication, safety notices, under-18s (issue 11) -----------------

def _found(scanner, body, **kw):
    return {(f.rule, f.severity, f.where) for f in scanner.scan(msg(body, **kw))}


def test_banned_wording_cited_as_an_example_is_quoted_but_the_same_claim_made_is_not():
    memo = ("Team, for the new campaign please avoid wording like \"guaranteed results\" or "
            "\"completely safe\" in any caption. Book now for our peel week, £60.")
    found = list(AdvertisingScanner().scan(msg(memo)))
    assert all(f.severity < Severity.HIGH and "quoted" in f.tags
               for f in found if f.rule == "misleading_claim"), found
    made = ("Our peel week is here: guaranteed results and completely safe, book now for "
            "£60 on Instagram.")
    found = _found(AdvertisingScanner(), made)
    assert ("misleading_claim", Severity.HIGH, "body") in found


def test_a_do_not_list_is_cited_and_quoted_abuse_in_a_report_is_low():
    handout = "Advertising rules\n✗ Prom glow-up offer for sixth formers, £90\n✓ Adults only"
    found = _found(AdvertisingScanner(), handout)
    assert not any(sev is Severity.HIGH for _, sev, _ in found), found
    report = ("I am writing to report messages sent to our nurse. One said \"you stupid cow, "
              "I will ruin you\" and another called her a liar.")
    found = list(LanguageScanner(use_classifier=False).scan(msg(report)))
    assert found and not any(f.severity is Severity.HIGH for f in found), found
    assert all(f.severity is Severity.LOW and "reported" in f.tags
               for f in found if "quoted" in f.tags)
    said = "You stupid cow, I will ruin you."
    assert any(sev is Severity.HIGH for _, sev, _ in
               _found(LanguageScanner(use_classifier=False), said))


def test_a_forwarded_message_is_quoted_text():
    raw = (b"From: a@clinic.example\r\nTo: r.jones@jonesandco.example\r\nSubject: Fwd: abuse\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
           b"--m\r\nContent-Type: text/plain\r\n\r\nPlease see the e-mail we received below.\r\n"
           b"--m\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\nSubject: you\r\n\r\n"
           b"You are a useless idiot and a fraud.\r\n--m--\r\n")
    found = list(LanguageScanner(use_classifier=False).scan(parse(raw)))
    assert found and all(f.where == "body#quoted" and f.severity < Severity.HIGH
                         for f in found), found


def test_copy_to_publish_makes_a_promotion_high_to_one_recipient():
    copy = "Captions for this week's posts: Botox from £99 an area, book via the link in bio."
    assert ("pom_promotion", Severity.HIGH, "body") in _found(AdvertisingScanner(), copy)
    quote = "Thanks for asking: Botox is £99 an area for you, book when you're ready."
    assert ("pom_promotion", Severity.HIGH, "body") not in _found(AdvertisingScanner(), quote)


def test_a_safety_notice_naming_a_medicine_to_a_list_is_not_a_promotion():
    headers = (("List-Unsubscribe", "<mailto:u@x.example>"),)
    notice = ("Safety warning: counterfeit Ozempic pens are being sold online. Only take "
              "prescription medicines supplied by a registered pharmacy.")
    assert not [f for f in _found(AdvertisingScanner(), notice, headers=headers)
                if f[0] == "pom_promotion"]
    offer = "Ozempic is back in stock, from £149 a month, book your consultation."
    assert ("pom_promotion", Severity.HIGH, "body") in _found(AdvertisingScanner(), offer,
                                                             headers=headers)


def test_treatments_aimed_at_under_18s_are_high_in_promotional_mail():
    promo = "Year 13 formal coming up? Lip filler for school leavers, £120 this month."
    assert ("under18_promotion", Severity.HIGH, "body") in _found(AdvertisingScanner(), promo)
    clinical = "We do not treat anyone under 18; please bring photo ID to your appointment."
    assert not [f for f in _found(AdvertisingScanner(), clinical) if f[0] == "under18_promotion"]


def test_defamation_about_she_resolves_to_the_practitioner_named_before():
    body = ("You asked about Dr Helen Marsh at the Clifton clinic. Between us, she is a fraud "
            "and drinks before clinics.")
    (f,) = [f for f in LanguageScanner(use_classifier=False).scan(msg(body))
            if f.rule == "defamation"]
    assert f.severity is Severity.HIGH and "(as 'she')" in f.evidence
    vague = "The weather was awful all week. Honestly, she is a fraud."
    (f,) = [f for f in LanguageScanner(use_classifier=False).scan(msg(vague))
            if f.rule == "defamation"]
    assert f.severity is Severity.MEDIUM


def test_obscenity_in_the_senders_words_to_an_outside_recipient_is_high():
    swear = Finding("language", "language_profanity", Severity.MEDIUM, "body", "…")
    quoted = Finding("language", "language_profanity", Severity.MEDIUM, "body#quoted", "…",
                     tags=("quoted",))
    settings = AudienceSettings()
    out = context.escalate([swear, quoted], ["orders@supplier.example"], [],
                           "a@glowclinic.example", settings)
    assert [f.severity for f in out] == [Severity.HIGH, Severity.MEDIUM]
    inside = context.escalate([swear], ["b@glowclinic.example"], [], "a@glowclinic.example",
                              settings)
    assert inside[0].severity is Severity.MEDIUM


def test_lists_on_the_clinics_own_domain_are_not_colleagues_and_negated_offers_are_no_cue():
    from gateway.decision.audience import Audience, ClinicIdentity

    rcpts = ["priya@glowclinic.example", "newsletter@glowclinic.example",
             "friends@glowclinic.example", "x@gmail.example"]
    seen = Audience.of(ScanResult([]), OfflineEnvelope("a@glowclinic.example", rcpts),
                       ClinicIdentity(), AudienceSettings())
    assert seen.internal == frozenset({"priya@glowclinic.example"})
    refusal = "We do not offer steroid injections for hay fever; please see your GP."
    assert not [f for f in _found(AdvertisingScanner(), refusal) if f[0] == "pom_promotion"]
    offer = "We now offer hay fever injections, £60, book this week."
    assert [f for f in _found(AdvertisingScanner(), offer) if f[0] == "pom_promotion"]


def test_a_compliance_list_of_what_not_to_write_is_cited():
    memo = ("Reminder for the campaign. Botulinum toxin is prescription-only, so none of the "
            "following, ever, in posts or stories:\n\n- \"Botox £99\" or any price for toxin\n"
            "- anything aimed at prom or school leavers\n\nThanks, Jess")
    found = _found(AdvertisingScanner(), memo)
    assert found and not any(sev is Severity.HIGH for _, sev, _ in found), found


def test_a_list_address_on_the_clinics_own_domain_is_the_public_for_promotions():
    offer = "Prom ready? Lip filler just £120 for Year 11 and Year 13 girls. Book now!"
    to_list = _found(AdvertisingScanner(), offer, recipients=("club@glowclinic.example",))
    assert ("under18_promotion", Severity.HIGH, "body") in to_list
    # to a colleague the decision step passes it: the clinic's own people are no audience
    colleague = ["priya@glowclinic.example"]
    found = list(AdvertisingScanner().scan(msg(offer, recipients=colleague)))
    assert any(f.rule == "under18_promotion" for f in found)
    verdict = judge(ScanResult(found, recipients=colleague, sender="bethany@glowclinic.example"),
                    OfflineEnvelope("bethany@glowclinic.example", colleague), Settings())
    assert verdict.action is Action.PASS


def test_jabs_with_a_call_to_book_is_a_promotion_but_jabs_in_aftercare_is_not():
    advert = "Jabs are back, DM us to grab a slot before Christmas!"
    found = _found(AdvertisingScanner(), advert, recipients=("friends@glowclinic.example",))
    assert ("pom_promotion", Severity.HIGH, "body") in found
    aftercare = "The jab sites may be a little red for a day; call us if the redness spreads."
    assert not [f for f in _found(AdvertisingScanner(), aftercare) if f[0] == "pom_promotion"]


def test_a_medicine_the_clinic_no_longer_offers_is_no_promotion_but_a_euphemism_for_one_is():
    stopped = ("From January we will no longer offer anti-wrinkle injections at Clifton. "
               "Our peels continue, with 15% off in January.")
    found = _found(AdvertisingScanner(), stopped, recipients=("news@glowclinic.example",))
    assert not [f for f in found if f[0] == "pom_promotion"]
    programme = ("Our medical weight loss programme is now open. First month £149, book your "
                 "consultation today!")
    found = _found(AdvertisingScanner(), programme, recipients=("news@glowclinic.example",))
    assert ("pom_promotion", Severity.HIGH, "body") in found


def test_text_handed_to_an_sms_provider_for_the_client_list_is_copy_to_publish():
    brief = ('Please send to the full client list on Friday: "Wrinkle relaxing top-ups 20% off '
             'this week, reply YES to book."')
    found = _found(AdvertisingScanner(), brief, recipients=("send@textprovider.example",))
    assert ("pom_promotion", Severity.HIGH, "body") in found
    order = "Please add 20 more texts to our account; the client list upload is attached."
    assert not _found(AdvertisingScanner(), order, recipients=("send@textprovider.example",))


def test_forwarding_or_attaching_is_not_by_itself_reporting():
    """Only a purpose (to report, as evidence) or a recipient's role (solicitor, police, HR)
    makes quoted abuse reported; "please find below" passes anything on."""
    def worst(body):
        return max(sev for _, sev, _ in _found(LanguageScanner(use_classifier=False), body))

    passed_on = 'Please find below what she said to me. She said "you stupid cow, I will ruin you".'
    assert worst(passed_on) is Severity.MEDIUM  # cited: one lower, still tagged
    reported = ('I wish to report a message sent to our nurse. She said "you stupid cow, I will '
                'ruin you".')
    assert worst(reported) is Severity.LOW


def test_a_takedown_request_to_a_review_site_reports_the_review_it_quotes():
    body = ('We\'d like to report a review on our page. It states that our nurse Jenna Moss "is '
            'a fraud who uses fake Botox". None of this is true; please remove it.')
    to_site = [f for f in LanguageScanner(use_classifier=False).scan(
        msg(body, recipients=("moderation@reviewsite.example",))) if f.rule == "defamation"]
    assert to_site and all(f.severity is Severity.LOW for f in to_site)
    said = "Between us, our old nurse Jenna Moss is a fraud who uses fake Botox."
    to_supplier = [f for f in LanguageScanner(use_classifier=False).scan(
        msg(said, recipients=("orders@supplier.example",))) if f.rule == "defamation"]
    assert any(f.severity is Severity.HIGH for f in to_supplier)


def test_a_veiled_warning_about_the_recipients_words_holds_outside_and_advice_does_not():
    from gateway.config import Settings
    from gateway.decision.judge import OfflineEnvelope, judge
    from gateway.pipeline import ScanResult

    warning = "Mr Hollis, you'll want to think very carefully about who reads your reviews."
    findings = list(LanguageScanner(use_classifier=False).scan(msg(warning)))
    assert {f.severity for f in findings if f.rule == "language_threat"} == {Severity.MEDIUM}

    def action(rcpt):
        result = ScanResult(findings, sender="kieran@glowclinic.example")
        return judge(result, OfflineEnvelope("kieran@glowclinic.example", [rcpt]),
                     Settings()).action

    assert str(action("m.hollis@gmail.example")) == "hold"
    assert str(action("priya@glowclinic.example")) == "tag"
    for advice in ("Please think very carefully about whether you want this treatment.",
                   "Be careful what you put on your skin for 24 hours after the peel."):
        assert not [f for f in LanguageScanner(use_classifier=False).scan(msg(advice))
                    if f.rule == "language_threat"], advice


def test_a_claim_the_senders_own_sentence_denies_is_not_made():
    """Issue 22: a brief that rules wording out ("we can't guarantee anything", "never target
    anyone under 18: no prom") is not the claim; the same words said are."""
    denied = ("Caption 4 says \"results guaranteed\" and we can't guarantee anything in medicine. "
              "We never target anyone under 18: no prom offers, £90 or otherwise.")
    assert not [f for f in _found(AdvertisingScanner(), denied)
                if f[0] in ("misleading_claim", "under18_promotion") and f[1] is Severity.HIGH]
    said = "Lip filler £90 this week only, guaranteed results, perfect for prom! Book now."
    found = _found(AdvertisingScanner(), said)
    assert ("misleading_claim", Severity.HIGH, "body") in found
    assert ("under18_promotion", Severity.HIGH, "body") in found
    # "no downtime" listed among the offer's selling points is still the sender's claim
    listed = "Tear trough filler £250: no needles, no downtime, guaranteed results. Book now!"
    assert ("misleading_claim", Severity.HIGH, "body") in _found(AdvertisingScanner(), listed)


def test_scarcity_on_a_non_prescription_offer_is_borderline_and_a_claim_is_not():
    """POLICY.md holds misleading claims and counts scarcity as borderline: "this week only"
    on a peel offer is tagged (medium), "no side effects" on the same offer still holds, and
    scarcity beside a prescription-only medicine is held by pom_promotion."""
    peel = "This week only, 15% off our at-home lactic acid peel kits. Book now!"
    found = _found(AdvertisingScanner(), peel)
    assert ("misleading_claim", Severity.MEDIUM, "body") in found
    assert not [f for f in found if f[1] is Severity.HIGH], found
    claim = "Lactic acid peel kits, 15% off: no side effects, guaranteed results. Book now!"
    assert ("misleading_claim", Severity.HIGH, "body") in _found(AdvertisingScanner(), claim)
    botox = "Botox from £99 this week only! Book now."
    assert ("pom_promotion", Severity.HIGH, "body") in _found(
        AdvertisingScanner(), botox, recipients=("newsletter@glowclinic.example",))


@pytest.mark.parametrize("brief", [
    "Could you send this to our whole list on Friday please? Text: 'Tox Friday! 3 areas £199, "
    "reply TOX to book'",
    "Bulk text for Friday: 'Tox Friday! 3 areas £199, reply TOX to book'",
    "Please text it to everyone on the list: 'Tox Friday! 3 areas £199, reply TOX to book'",
])
def test_copy_sent_to_a_list_in_other_words_is_copy_to_publish(brief):
    """One pattern with slots for mail that hands copy on to a whole list ("to our whole
    list", "bulk text", "text it to everyone on the list"), not a list of phrasings; putting
    someone on a waiting list or writing to one GP is no list."""
    found = _found(AdvertisingScanner(), brief, recipients=("support@textnorth.example",))
    assert ("pom_promotion", Severity.HIGH, "body") in found, found
    from scanners.advertising import _TO_A_LIST
    for ordinary in ("I have added you to the waiting list.", "We wrote to our GP colleague.",
                     "Add her to the list for Tuesday.", "See the listing on our site."):
        assert not _TO_A_LIST.search(ordinary), ordinary
