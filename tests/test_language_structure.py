"""The language scanner's structure rules, each with hard negatives: hedged rumour, claims of
drink or regulatory sanction about a named practitioner, Welsh insults, threats and
accusations, insults inside images' text. Word lists only (no sentence model), so these
hold whatever the model's heads say."""
from __future__ import annotations

from harness import decided

from gateway.decision.policy import Action
from scanners.base import ParsedMessage, Severity, TextPart
from scanners.language import LanguageScanner


def msg(body: str, subject: str = "", recipients=("sam@supplier.example",), images=(),
        to_headers=()) -> ParsedMessage:
    """`images`: the OCR text of pictures attached, as parse.py hands it to the scanners."""
    parts = (TextPart("body", body),) + tuple(
        TextPart(f"attachment:picture{n}.png#image", t) for n, t in enumerate(images))
    return ParsedMessage(headers=tuple(to_headers), subject=subject,
                         sender="jo@glowclinic.example", recipients=tuple(recipients),
                         body_parts=parts, attachments=())


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


# -- blackmail -----------------------------------------------------------------------------

def test_a_demand_backed_by_a_threatened_disclosure_is_held():
    assert found("Settle my invoice by Monday, or the GMC gets the screenshots I took of "
                 "your prescribing.")["language_threat"] is Severity.HIGH
    assert found("Sign the renewal this week and it stays between us. If not, I know a "
                 "few journalists who'd love to hear about your complaints."
                 )["language_threat"] is Severity.HIGH
    assert found("Pay £2,000 by Friday. Otherwise your patients will find out what "
                 "happened in March.")["language_threat"] is Severity.HIGH


def test_firm_payment_and_order_reminders_are_not_blackmail():
    for civil in (
            "Please pay invoice 4471 by Friday or we will add interest under the Late "
            "Payment Act and pass the debt to our solicitors.",
            "Place your order by the end of the month or the old price ends.",
            "If the invoice is not paid we will have to stop the account. Your choice of "
            "payment method is on the back.",
            "Please keep the surprise party quiet, nobody needs to know until Friday.",
            "We would be very interested in the new range if you could send a price list."):
        assert "language_threat" not in found(civil), civil


def test_a_report_to_the_regulator_quoting_blackmail_is_not_held():
    body = ("I am writing to report a message I received from a locum.\n\n"
            "> Pay the £500 by Friday or the CQC gets the photos I took of your fridge.\n")
    f = found(body, recipients=("enquiries@cqc.example",))
    assert f.get("language_threat", Severity.LOW) is Severity.LOW


# -- discriminatory instructions -----------------------------------------------------------

def test_recruitment_and_service_instructions_that_exclude_people_are_held():
    assert found("For the receptionist role: no headscarves and no foreign accents, "
                 "please.")["language_discrimination"] is Severity.HIGH
    assert found("Re the nurse vacancy, ideally not Polish girls, and no pregnant "
                 "candidates.")["language_discrimination"] is Severity.HIGH
    assert found("From Monday don't book any Muslim clients on Saturdays."
                 )["language_discrimination"] is Severity.HIGH
    assert found("Shortlist white British only for the interview."
                 )["language_discrimination"] is Severity.HIGH


def test_inclusive_recruitment_and_clinical_limits_are_not_discrimination():
    for fine in (
            "We are hiring two receptionists; candidates who wear a hijab are very welcome "
            "and our uniform comes in maternity sizes.",
            "Interview notes: she is pregnant and starts maternity leave in May, so the "
            "role will be covered by a locum.",
            "Please don't book pregnant or breastfeeding clients for toxin: it is "
            "contraindicated.",
            "We do not treat anyone under 18, and no treatment during pregnancy.",
            "Our clinic welcomes patients regardless of religion, gender identity or "
            "sexual orientation.",
            "No nail polish and no jewellery in clinic, please; the role starts Monday.",
            "I'm not Jewish myself but our new patient asked about kosher gelatine."):
        assert "language_discrimination" not in found(fine), fine


def test_a_compliance_memo_quoting_a_discriminatory_instruction_is_not_held():
    body = ('Training note: a manager wrote "no hijabs on reception", which breaches the '
            "Equality Act. Never give instructions like this when hiring.")
    f = found(body)
    assert f.get("language_discrimination", Severity.LOW) < Severity.HIGH


# -- a screenshot sent to report it --------------------------------------------------------

def test_abuse_in_a_screenshot_sent_to_hr_to_report_it_is_low():
    shot = "leave her out lol\nshe's so thick and useless, total cow"
    report = msg("Please find the group chat screenshot for the grievance Lauren raised.",
                 recipients=("advice@peoplehr.example",),
                 to_headers=(("To", "HR Advice <advice@peoplehr.example>"),),
                 images=(shot,))
    findings = list(LanguageScanner(use_classifier=False).scan(report))
    assert findings and all(f.severity is Severity.LOW for f in findings), findings
    assert all("attached" in f.evidence for f in findings)


def test_the_same_screenshot_sent_to_mock_her_is_held():
    shot = "leave her out lol\nshe's so thick and useless, total cow"
    banter = msg("made this lol", recipients=("kez@gmail.example",), images=(shot,))
    assert max(f.severity for f in LanguageScanner(use_classifier=False).scan(banter)) \
        is Severity.HIGH


# -- mild swearing and sarcasm: low, tagged when they go outside ---------------------------

def test_mild_swearing_and_sarcasm_are_low_in_the_scanner():
    assert found("Bloody hell, the order was cocked up again.")["language_profanity"] \
        is Severity.LOW
    assert found("So 'same day' means Thursday now? Brilliant. Thanks for nothing."
                 )["language_abuse"] is Severity.LOW
    assert found("Could you do Tuesday at ten? Great, see you then.") == {}
    assert found("Is the courier booked? Perfect, thank you so much!") == {}


def test_low_swearing_to_a_supplier_is_tagged_and_inside_the_clinic_passes():
    from gateway.config import AudienceSettings
    from gateway.decision import context
    from scanners.base import Finding
    mild = Finding("language", "language_profanity", Severity.LOW, "body", "bloody hell")
    out = context.escalate([mild], ["orders@supplier.example"], [], "a@glowclinic.example",
                           AudienceSettings())
    assert out[0].severity is Severity.MEDIUM and "outside the clinic" in out[0].evidence
    inside = context.escalate([mild], ["b@glowclinic.example"], [], "a@glowclinic.example",
                              AudienceSettings())
    assert inside[0].severity is Severity.LOW


# -- belittling ----------------------------------------------------------------------------

def test_repeated_put_downs_of_a_colleague_are_bullying():
    body = ("Priya, I've looked at your consent forms. My nephew is six and a six-year-old "
            "could have written better notes than these. You call yourself a nurse? "
            "What did they teach you on that course?")
    assert found(body)["language_abuse"] is Severity.HIGH


def test_one_dig_is_low_and_sincere_questions_are_clean():
    assert found("Honestly, you call yourself a courier company?")["language_abuse"] \
        is Severity.LOW
    assert found("Our booking app is so simple a child could use it.") == {}
    assert found("What did they teach you about vascular occlusion on the level 7 course? "
                 "I'm thinking of booking it.").get("language_abuse", Severity.LOW) \
        is Severity.LOW
    assert found("I can't even find the invoice, could you resend it?") == {}


# -- what a model label may decide (scanners/model_findings.py), with the model's output
#    given, so that these hold whatever heads are trained ---------------------------------

def model_says(monkeypatch, body: str, label: str, prob: float, **kw):
    """The language findings of `body` when the model labels its first sentence."""
    from scanners import model_findings, text
    from scanners.language import _named_target
    views = text.build(msg(body, **kw))
    seg = next(s for s in views.segments if s.kind == "body")
    start, end = text.sentences(seg.text)[0]
    item = model_findings.Labelled(seg, start, end, label, prob)
    monkeypatch.setattr(model_findings, "labelled", lambda v: [item])
    return model_findings.language(views, _named_target)


def test_a_model_threat_holds_with_a_person_and_a_conditional_consequence(monkeypatch):
    (f,) = model_says(monkeypatch, "Take the post down by tonight or your husband hears "
                      "about everything.", "threat", 0.93)
    assert f.rule == "language_threat" and f.severity is Severity.HIGH
    (f,) = model_says(monkeypatch, "I will be in touch with your manager about the missed "
                      "delivery tomorrow.", "threat", 0.93)
    assert f.severity is Severity.MEDIUM  # a score alone tags


def test_a_hedged_rumour_the_model_calls_defamation_only_tags(monkeypatch):
    (f,) = model_says(monkeypatch, "Apparently Dr Lena Ward was sacked from her last clinic "
                      "for stealing.", "defamation", 0.99)
    assert f.severity is Severity.MEDIUM
    (f,) = model_says(monkeypatch, "Dr Lena Ward was sacked from her last clinic for "
                      "stealing from patients.", "defamation", 0.99)
    assert f.severity is Severity.HIGH


def test_the_model_does_not_read_the_attachments_of_a_report(monkeypatch):
    from scanners import model_findings, text
    from scanners.language import _named_target
    views = text.build(msg("Please find the screenshots for the grievance investigation.",
                           images=("you're a useless waste of space and everyone hates you",),
                           recipients=("case@peoplehr.example",),
                           to_headers=(("To", "case@peoplehr.example"),)))
    seg = next(s for s in views.segments if s.kind == "attachment")
    item = model_findings.Labelled(seg, 0, len(seg.text), "bullying", 0.99)
    monkeypatch.setattr(model_findings, "labelled", lambda v: [item])
    assert model_findings.language(views, _named_target) == []


# -- harassment, veiled threats and threatened violence from the lists ----------------------

def test_propositions_stalking_and_veiled_threats_are_found_without_the_model():
    assert found("Fancy coming back to my hotel after the conference? You looked sexy in "
                 "that blazer.")["language_harassment"] is Severity.HIGH
    assert found("I know which way you walk home from the salon.")["language_harassment"] \
        is Severity.HIGH
    assert found("Delete the post. It would be a shame if something happened to your car."
                 )["language_threat"] is Severity.HIGH
    assert found("Keep talking and I'll put your windows in.")["language_threat"] \
        is Severity.HIGH


def test_ordinary_clinic_mail_near_those_words_is_clean():
    for fine in (
            "The hotel is booked for the conference; the room is next to the training suite.",
            "It would be a shame if you missed the CPD day, it was excellent last year.",
            "Please send me a photo of the batch label so I can check the expiry.",
            "I'll come round to fit the new window blinds on Tuesday.",
            "Can you let me know which way the courier should come in?"):
        assert found(fine) == {}, fine


def test_an_allegation_made_to_the_regulator_is_a_report_not_defamation():
    body = ("I wish to raise a concern: Nurse Carla Benn is using unlicensed botox bought "
            "abroad, and she turned up drunk to clinic last week.")
    assert found(body)["defamation"] is Severity.HIGH
    # the decision step knows who reads it: a regulator's concerns desk
    raw = (f"From: Ros Day <ros@meadowskin.example>\r\nTo: concerns@nmc.example\r\n"
           f"Subject: A concern\r\n\r\n{body}\r\n").encode()
    verdict = decided(raw)
    assert verdict.action is Action.PASS and any(
        n.startswith("report_to_authority: recipient role regulator") for n in verdict.notes)
    assert decided(raw.replace(b"concerns@nmc.example", b"news@localpaper.example")
                   ).action is Action.HOLD


def test_blackmail_in_other_words_and_in_welsh():
    assert found("Refund the deposit by Friday. If not, I'll post the screenshots of your "
                 "messages on every local group.")["language_threat"] is Severity.HIGH
    assert found("Os na wnei di dalu erbyn dydd Gwener, mi wna i ddweud wrth bawb."
                 )["language_threat"] is Severity.HIGH
    assert "language_threat" not in found(
        "Could you refund the deposit or move it to the next booking? Please send the photos "
        "from the launch when you can.")


def test_welsh_words_quoted_to_report_them_are_not_the_senders():
    assert found("Ti'n hollol dwp.")["language_abuse"] is Severity.HIGH
    f = found('Mae\'r gŵyn yn dweud bod y nyrs wedi ysgrifennu "ti\'n hollol dwp" at y claf; '
              'rydym yn ymchwilio i\'r mater.')
    assert f.get("language_abuse", Severity.LOW) is Severity.LOW


def test_refusals_anywhere_in_the_sentence_age_limits_and_welsh_instructions():
    assert found("If the candidate turns out to be pregnant, don't hire her."
                 )["language_discrimination"] is Severity.HIGH
    assert found("For the therapist role, no applicants over 50 please."
                 )["language_discrimination"] is Severity.HIGH
    assert found("Dim Saeson yn y tîm newydd, os gwelwch yn dda."
                 )["language_discrimination"] is Severity.HIGH
    for fine in ("We never turn away trans clients and we're proud of it.",
                 "There is no disabled parking at the clinic, but the entrance is step-free.",
                 "Our team has nurses over 50 and under 30, and we value both."):
        assert "language_discrimination" not in found(fine), fine


def test_more_veiled_threats_and_accusations_about_named_businesses():
    assert found("You clearly don't know who you're dealing with.")["language_threat"] \
        is Severity.HIGH
    assert found("Carry on like this and someone might pay you a visit.")["language_threat"] \
        is Severity.HIGH
    assert found("Everyone should know that Hollis Skin Clinic is operating illegally from "
                 "a flat.")["defamation"] is Severity.HIGH
    assert found("Gemma Holt got sacked for stealing from the till, don't hire her."
                 )["defamation"] is Severity.HIGH
    for fine in ("We are dealing with your refund today and will pay it into your account.",
                 "A friendly reminder that the clinic closes early on Friday.",
                 "Our clinic is registered with the CQC and every nurse with the NMC."):
        f = found(fine)
        assert "language_threat" not in f and "defamation" not in f, fine


def test_leaving_a_colleague_out_on_purpose_counts_with_put_downs():
    body = ("Team lunch is Thursday. Don't invite him and don't add him to the lunch chat, "
            "nobody wants him around.")
    assert found(body)["language_abuse"] is Severity.HIGH
    assert found("Leave her out of the rota email, she's on annual leave.").get(
        "language_abuse", Severity.LOW) is Severity.LOW


def test_a_low_list_finding_does_not_hide_what_the_model_reads_as_worse(monkeypatch):
    from scanners import model_findings, text
    body = "Leave her out of it, she is nothing to this team and never will be anything."
    views = text.build(msg(body))
    seg = next(s for s in views.segments if s.kind == "body")
    item = model_findings.Labelled(seg, 0, len(seg.text), "bullying", 0.99)
    monkeypatch.setattr(model_findings, "labelled", lambda v: [item])
    monkeypatch.setattr(model_findings, "model", lambda: object())
    found = [f for f in LanguageScanner().scan(msg(body), views) if f.rule == "language_abuse"]
    assert {f.severity for f in found} == {Severity.LOW, Severity.HIGH}, found


# -- the whole decision: raw mail -> every scanner -> judge (word lists only) ---------------

def decide(body: str, to: str, sender: str = "jo@glowclinic.example", subject: str = "Re: order"):
    from gateway.config import Settings
    from gateway.content.parse import parse
    from gateway.decision.judge import OfflineEnvelope, judge
    from gateway.pipeline import ScanResult, screen
    from scanners.registry import build
    raw = (f"From: Jo Reed <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
    msg = parse(raw)
    result = ScanResult(screen(msg, build({})), sender=sender, recipients=list(msg.recipients))
    return judge(result, OfflineEnvelope(sender, [to]), Settings()).action.name.lower()


def test_end_to_end_actions(monkeypatch):
    from scanners import model_findings
    monkeypatch.setattr(model_findings, "model", lambda: None)  # whatever heads are merged
    supplier = "orders@supplier.example"
    assert decide("Bloody hell, the order was cocked up again. Please check it.",
                  supplier) == "tag"
    assert decide("Bloody hell, what a week! See you at the team night.",
                  "mia@glowclinic.example") == "pass"
    assert decide("Pay the £400 by Friday or the CQC gets the photos I took of your "
                  "treatment room.", supplier) == "hold"
    assert decide("This is the third late delivery. Please confirm a fix by Friday or we "
                  "will move our account elsewhere.", supplier) == "pass"
    assert decide("Training reminder: a slur such as \"pikey\" about a patient is gross "
                  "misconduct; never write or repeat it.", "team@glowclinic.example") \
        in ("pass", "tag")
    assert decide("Rumour has it that Dr Ian Cole at Bayview might be using unlicensed "
                  "botox, not confirmed.", "ellie@agency.example") == "tag"


def test_selecting_candidates_by_a_protected_characteristic_is_discrimination():
    assert found("For the reception job, please only send us candidates who are white British "
                 "and under 30.")["language_discrimination"] is Severity.HIGH
    assert found("For the nurse vacancy, candidates must be white British."
                 )["language_discrimination"] is Severity.HIGH
    for fine in ("For the reception job, please only send us candidates who are NMC registered.",
                 "Applicants for the job must be over 18 and hold a valid driving licence.",
                 "For the role we prefer candidates with two years of aesthetic experience."):
        assert "language_discrimination" not in found(fine), fine


def test_someone_named_by_what_they_are_is_a_person_for_model_bullying(monkeypatch):
    (f,) = model_says(monkeypatch, "Funny how the new girl never quite gets asked along to "
                      "drinks, isn't it.", "bullying", 0.99)
    assert f.severity is Severity.HIGH
    (f,) = model_says(monkeypatch, "Funny how the printer never quite works first thing "
                      "in the morning, isn't it.", "bullying", 0.99)
    assert f.severity is Severity.MEDIUM  # nobody is meant


def test_dishonesty_in_records_or_credentials_about_a_named_practitioner_is_held():
    assert found("Between ourselves, Nurse Tamsin Hale falsified patient notes at her last "
                 "clinic.")["defamation"] is Severity.HIGH
    assert found("Dr Colm Reddy was removed from his post for forging prescriptions."
                 )["defamation"] is Severity.HIGH
    assert found("Everyone says Brightwell Skin Studio's owner bought her qualifications "
                 "online.")["defamation"] >= Severity.MEDIUM
    # hedged, it is still only tagged
    assert found("I'm told Dr Colm Reddy was dismissed for drinking, no idea if that's true."
                 )["defamation"] is Severity.MEDIUM


def test_records_and_posts_in_ordinary_clinic_mail_are_not_accusations():
    assert "defamation" not in found("Please make sure the patient records are updated "
                                     "before Dr Colm Reddy's clinic on Friday.")
    assert "defamation" not in found("Nurse Tamsin Hale has been appointed to the lead "
                                     "nurse post from June.")
    assert "defamation" not in found("We were sorry to hear the complaint was dismissed; "
                                     "Dr Colm Reddy was cleared of any wrongdoing.")


def test_mild_swearing_is_logged_and_scots_insults_are_insults():
    assert found("Where the hell is the order you promised for Monday?") == {
        "language_profanity": Severity.LOW}  # raised to a tag for an outside recipient
    assert found("Aye, yer a lying wee cow and the whole street knows it.")[
        "language_abuse"] is Severity.HIGH
    assert found("Tell that fud at the depot to phone me.")["language_profanity"] \
        is Severity.HIGH


def test_clinical_blood_and_wee_stay_clean():
    assert found("There was a small bloody discharge from the site, now settled.") == {}
    assert found("Just a wee reminder that your review is on Tuesday.") == {}


def test_turning_people_away_by_a_pretext_is_a_discriminatory_instruction():
    assert found("From now on, if a woman in a hijab calls for a lip appointment, tell them we're "
                 "fully booked until spring.", recipients=("reception@glowclinic.example",))[
        "language_discrimination"] is Severity.HIGH


def test_telling_callers_the_diary_really_is_full_is_not():
    assert "language_discrimination" not in found(
        "If anyone calls for a Saturday appointment, tell them we're fully booked until "
        "March and offer the waiting list.", recipients=("reception@glowclinic.example",))


def test_hedged_rumour_of_fake_product_about_a_pointed_reference_is_tagged():
    assert found("I have heard a certain clinic by the station isn't always using genuine "
                 "product, I couldn't say for sure.")["defamation"] is Severity.MEDIUM
    assert found("Apparently that clinic is not using genuine toxin.")["defamation"] \
        is Severity.MEDIUM


def test_advice_about_genuine_product_accuses_nobody():
    assert "defamation" not in found("Always ask to see the box, so you know the product is "
                                     "genuine.")
    assert "defamation" not in found("If you think a toxin is not genuine, report it to the "
                                     "MHRA Yellow Card scheme.")


def test_calling_a_client_a_time_waster_or_freeloader_is_abuse_tagged_and_held_outside():
    assert found("Honestly you're a time-waster and a freeloader, so don't rebook.")[
        "language_abuse"] is Severity.MEDIUM  # raised to high for an outside recipient


def test_deposits_and_wasted_time_in_civil_words_are_not():
    assert found("We take a deposit so that nobody's time is wasted by late cancellations.") \
        == {}
