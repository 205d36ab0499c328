"""Words the sender quotes or reports, not says (scanners/quoting.py): quotations wrapped over
line breaks as plain-text mail is, reports to a recipient whose domain runs words together
(a police force, an HR firm), and an advert cited as an indented block after a lead-in. Each
with hard negatives: the same words said, stray quotation marks, a look-alike domain, the
clinic's own offers indented. Through the whole pipeline, sentence model included."""
from __future__ import annotations

import pytest
from harness import decided

from gateway.content.parse import parse
from gateway.decision.policy import Action
from gateway.pipeline import screen
from scanners import quoting
from scanners.base import Severity
from scanners.registry import build

pytestmark = pytest.mark.model


def mail(body: str, to: str = "Lee Hart <lee.hart@example.org>", subject: str = "Your email",
         sender: str = "Ros Day <ros@meadowskin.example>") -> bytes:
    body = body.replace("\n", "\r\n")  # as mail arrives: CRLF line ends
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def worst(raw: bytes, category: str) -> Severity | None:
    found = [f.severity for f in screen(parse(raw), build({})) if f.category == category]
    return max(found) if found else None


# -- 1. a quotation wrapped over line breaks ------------------------------------------------

def test_a_quotation_wrapped_over_lines_is_a_quotation_within_its_paragraph():
    text = ('Your message called our therapist "a lazy cheat who ruined my\nskin" and said '
            "she 'ought to be\nstruck off'.\n\nThanks")
    assert [text[a:b] for a, b in quoting.quotations(text)] == [
        '"a lazy cheat who ruined my\nskin"', "'ought to be\nstruck off'"]
    assert len(quoting.cited_spans(text)) == 2
    # never over a blank line, and a mark with no partner does not run on for ever
    assert quoting.quotations('He said "fine.\n\nYou are a cow," later.') == []
    stray = 'Our "policy\n' + "is wrong and so are you and your staff\n" * 40 + 'so "there'
    assert quoting.quotations(stray) == []


def test_a_complaint_reply_quoting_abuse_wrapped_over_lines_is_not_held():
    body = ("Dear Mr Hart,\n\n"
            "Thank you for your email. In it you described our therapist Gemma as \"a thick\n"
            "useless cow who wrecked my skin\" and said she \"should be sacked before she\n"
            "butchers anyone else\". I am sorry your recovery has been slower than you hoped.\n\n"
            "Gemma is fully trained and I have checked your records. I would like to offer\n"
            "you a free review appointment with our lead nurse.\n\n"
            "Kind regards,\nRos Day\nPractice Manager")
    assert worst(mail(body), "language") in (None, Severity.LOW, Severity.MEDIUM)


def test_wrapped_abuse_with_stray_quotation_marks_is_still_held():
    body = ("Gemma,\n\n"
            "Your so-called \"aftercare\n"
            "was a joke. You are a thick useless cow and I will make sure you never work in\n"
            "this town again. Everyone I know agrees and \"they will\n"
            "say so too.\n\nRos")
    assert worst(mail(body, to="gemma@example.org"), "language") is Severity.HIGH
    # a quotation closed only after a blank line is no quotation
    body = ('Gemma, you said "sorry.\n\nYou are a thick useless cow and I will make sure you '
            'never work again."')
    assert worst(mail(body, to="gemma@example.org"), "language") is Severity.HIGH


# -- 2. a recipient whose domain runs the role word into others ---------------------------

def test_role_words_are_found_inside_compound_domain_labels_but_not_inside_other_words():
    roles = frozenset({"police", "hr", "solicitors", "asa", "gmc", "law"})
    assert quoting.address_words("desk@northwalespolice.example", roles) == {"police"}
    assert quoting.address_words("p.ng@cityhrservices.example", roles) == {"hr"}
    assert quoting.address_words("hrteam@meadowskin.example", roles) == {"hr"}
    assert quoting.address_words("x@gmcuk.example", roles) == {"gmc"}
    assert quoting.address_words("x@harbourpolicemen.example", roles) == {"police"}
    for unrelated in ("info@shrewsburyclinic.example", "jo@lawrenceskin.example",
                      "bookings@thriveaesthetics.example", "sam@chrisharrislaser.example",
                      "a@lacasabeauty.example"):
        assert quoting.address_words(unrelated, roles) == set(), unrelated


REPORT = ("Dear Sir or Madam,\n\n"
          "Our receptionist has had these texts from a former client. The first said \"you\n"
          "stupid cow, I will find you after work and make you pay\" and the second was much\n"
          "the same.\n\nKind regards,\nRos Day")


def test_a_report_to_a_police_force_or_hr_firm_with_a_compound_domain_is_low():
    for to in ("Enquiries <enquiries@northwalespolice.example>",
               "Priya Ng <p.ng@cityhrservices.example>"):
        assert worst(mail(REPORT, to=to), "language") in (None, Severity.LOW), to


def test_the_same_report_to_a_look_alike_domain_is_cited_but_not_a_report():
    """To a clinic whose name hides "hr" (Shrewsbury), the quoted threat is still cited (one
    lower) but the message is not taken as a report (which would make it low)."""
    found = [f for f in screen(parse(mail(REPORT, to="info@shrewsburyclinic.example")), build({}))
             if f.category == "language"]
    assert found and all("message reports it" not in f.evidence for f in found)
    assert max(f.severity for f in found) is Severity.MEDIUM


def test_an_allegation_to_a_police_force_is_a_report_and_to_a_clinic_is_held():
    body = ("I want to let you know that Dr Colin Marsh is a fraud who injects fake Botox at "
            "his flat.\n\nRos Day")
    assert worst(mail(body, to="desk@northwalespolice.example"), "language") is Severity.HIGH
    to_police = decided(mail(body, to="desk@northwalespolice.example"))
    assert to_police.action is Action.PASS, to_police
    assert any(n.startswith("report_to_authority: recipient role police") for n in to_police.notes)
    assert decided(mail(body, to="info@shrewsburyclinic.example")).action is Action.HOLD
    # the same allegation copied to anyone else is published, not reported
    assert decided(mail(body, to="desk@northwalespolice.example, Lee <lee@example.org>")
                   ).action is Action.HOLD


def test_first_person_reporting_wording_makes_the_message_a_report():
    body = ("I am reporting messages our nurse received last week. One said \"I know where\n"
            "you park, I will smash your car and you with it\".\n\nRos Day")
    assert worst(mail(body), "language") is Severity.LOW
    said = "I know where you park, I will smash your car and you with it.\n\nRos"
    assert worst(mail(said), "language") is Severity.HIGH


# -- 3. an advert cited as an indented block after a lead-in ------------------------------

ADVERT = ("    SUMMER GLOW! Anti-wrinkle injections only £79 per area, 100% safe and no\n"
          "    downtime. Sixth formers half price - book today!\n")


def test_an_indented_block_after_a_lead_in_is_cited():
    text = "Their leaflet reads:\n\n" + ADVERT + "\nThis is unlawful.\n"
    assert [text[a:b] for a, b in quoting.cited_spans(text)] == [ADVERT.rstrip("\n")]
    # offers set off under a line that does not cite are the sender's own
    for lead in ("This month's offers:", "Our prices are as follows:",
                 "Here is the copy for the flyer:"):
        assert quoting.cited_spans(f"{lead}\n\n{ADVERT}") == [], lead


def test_a_competitors_advert_indented_in_a_complaint_to_the_regulator_is_not_held():
    body = ("Dear Sir or Madam,\n\n"
            "I wish to complain about a leaflet put through doors in Frome by a beauty bar on\n"
            "3 June, also shared on their Instagram page. The leaflet reads:\n\n" + ADVERT +
            "\nIt advertises a prescription-only medicine to the public, makes claims no one\n"
            "can back up and is aimed at school pupils.\n\n"
            "Yours faithfully,\nRos Day\nPractice Manager, Meadow Skin")
    for to in ("Complaints <complaints@adstandards-reports.example.org>",
               "Trading Standards <enquiries@somersetcouncil.example>"):
        assert worst(mail(body, to=to, subject="Complaint about a leaflet"),
                     "advertising") in (None, Severity.LOW), to


def test_the_clinics_own_offers_indented_are_still_promotion():
    newsletter = ("Hi everyone,\n\nThis month's offers:\n\n" + ADVERT +
                  "\nSee you soon,\nRos Day\n\nUnsubscribe from these emails")
    assert worst(mail(newsletter, to="patients@meadowskin.example"),
                 "advertising") is Severity.HIGH
    to_printer = ("Hi Dan,\n\nHere is the copy for the flyer:\n\n" + ADVERT +
                  "\nCould we have 500 by Friday?\n\nRos Day")
    assert worst(mail(to_printer, to="dan@quickprint.example"), "advertising") is Severity.HIGH
    # a report that also makes its own offer: the offer is the sender's
    both = ("I wish to complain about a leaflet. The leaflet reads:\n\n" + ADVERT +
            "\nUnlike them, we offer anti-wrinkle injections from £99 - book now on our\n"
            "Instagram.\n\nRos Day")
    assert worst(mail(both, to="hello@glowbar.example"), "advertising") is Severity.HIGH


def test_a_quotation_below_a_lead_in_and_a_blank_line_is_cited():
    text = 'The leaflet reads:\n\n"Anti-wrinkle injections £79, book today!"\n\nThis is unlawful.'
    assert len(quoting.cited_spans(text)) == 1
    own = 'Our summer offer:\n\n"Anti-wrinkle injections £79, book today!"\n\nJo'
    assert quoting.cited_spans(own) == []


# -- an attachment whose words the mail quotes ----------------------------------------------

def _with_attachment(body: str, attached: str) -> bytes:
    from email.message import EmailMessage
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = ("Ros Day <ros@meadowskin.example>",
                                        "Helen Lowe <h.lowe@hardinglowe.example>", "The post")
    m.set_content(body)
    m.add_attachment(attached.encode(), maintype="text", subtype="plain",
                     filename="post_screenshot_text.txt")
    return m.as_bytes()


POST = ("Meadow Skin are cowboys. They used fake Botox on my sister and covered it up. "
        "Avoid them!")


def test_an_attachment_whose_words_the_mail_quotes_is_the_quotations_evidence():
    """The screenshot of a post the mail quotes ("they used 'fake Botox'") is the evidence of
    what the sender cites, one level lower like the quotation; the same attachment sent with
    no quotation of it is weighed as it stands, and so are words of it the mail does not
    quote."""
    quoting_it = ("Dear Helen,\n\nA former client's sister has posted that we \"used fake Botox\" "
                  "and \"covered it up\". I attach the text of the post. What can we do?\n\n"
                  "Ros")
    def attachment_worst(raw):
        found = [f for f in screen(parse(raw), build({}))
                 if f.category == "language" and f.where.startswith("attachment:")]
        return max((f.severity for f in found), default=None), found
    cited, found = attachment_worst(_with_attachment(quoting_it, POST))
    assert cited is not None and cited < Severity.HIGH, found
    assert any("quoted in the message" in f.evidence for f in found)
    plain, found = attachment_worst(_with_attachment("Dear Helen,\n\nSee attached.\n\nRos", POST))
    assert plain is Severity.HIGH, found
    assert not any("quoted in the message" in f.evidence for f in found)


def test_a_threat_quoted_to_the_police_is_cited_and_the_same_threat_said_is_held():
    """A veiled threat (harm hinted at near something of the addressee's) is cited when the
    harm itself is in quotation marks, as a report to the police writes it down."""
    report = ("Dear PC Harris,\n\nAs you asked, these are the messages I received from him. "
              "On Sunday he wrote \"I know you close at 3 on Saturday and you walk to your car "
              "alone\". Later the same day: \"Maybe your salon burns down one night, who "
              "knows, accidents happen\".\n\nKind regards,\nAnna")
    said = ("I know you close at 3 on Saturday and you walk to your car alone. Maybe your "
            "salon burns down one night, who knows, accidents happen.")
    to = "Reports <reports@cambs-police.example>"
    assert decided(mail(report, to=to)).action is not Action.HOLD
    assert decided(mail(said, to="Anna <anna@salon.example>")).action is Action.HOLD
