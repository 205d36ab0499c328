"""Patients identifiable without a full name: a first name alone with a treatment
(first_name_clinical), a first name with a treatment and a detail that picks the person out
(jigsaw_identification), a nameless case that is still identifiable
(identifiable_description), names in Word comments and slide notes weighed with the whole
document, Welsh cues; and the hard negatives beside each (staff, greetings, the people
written to, generic de-identified cases, place names)."""
from __future__ import annotations

from documents import zip_file
from harness import decided
from test_patient_data import found, msg

from gateway.content.parse import parse
from gateway.decision.policy import Action
from scanners.base import Severity
from scanners.patient_data import PatientDataScanner

OUT = dict(to="Jamie Rowntree <jamie@wholesale-supplies.example>",
           sender="Lena Marsh <lena@brightskin.example>")


def test_a_first_name_with_a_treatment_is_medium():
    body = "Hi Jamie,\n\nCould you send two boxes of skin booster by Thursday? They are for " \
           "Harriet's second session.\n\nLena"
    assert found(body, **OUT) == {"first_name_clinical": Severity.MEDIUM}
    body = "Hi Jamie,\n\nThe new cheek filler was lovely: I used 1 ml on Maureen last week " \
           "and she barely bruised.\n\nLena"
    assert found(body, **OUT)["first_name_clinical"] is Severity.MEDIUM


def test_a_supplier_order_or_a_rota_names_no_patient():
    order = "Hi Jamie,\n\nPlease send 10 x dermal filler 1 ml and 4 x hyaluronidase. Our PO is " \
            "BS-2291.\n\nThanks,\nLena"
    assert "first_name_clinical" not in found(order, **OUT)
    rota = "Hi Jamie,\n\nNext week: Monday clinic with Harriet (filler and toxin), Tuesday " \
           "laser with Joanne. Harriet has booked the treatment room.\n\nLena"
    assert "first_name_clinical" not in found(rota, **OUT)
    # the people written to, and the writer, are not patients
    spoken = "Hi Jamie,\n\nJamie, you mentioned the filler samples: Lena will collect them." \
             "\n\nLena"
    assert "first_name_clinical" not in found(spoken, **OUT)
    rep = "Hi Jamie,\n\nGemma from Lumen Medical said the new filler batch is delayed.\n\nLena"
    assert "first_name_clinical" not in found(rep, **OUT)
    for staff in ("Sarah from our team will bring the filler samples on Friday.",
                  "Megan at your warehouse sent the wrong toxin batch again.",
                  "Molly (our marketing lead) wants photos of the skin booster packs.",
                  "Harriet will confirm the laser service date."):
        assert "first_name_clinical" not in found(staff, **OUT), staff


def test_everyday_words_and_place_names_are_not_first_names():
    body = "Hi Jamie,\n\nHope the filler order is on its way. Will you add hyaluronidase? " \
           "May we also have the Clifton skin booster stock moved to our site in Chelsea " \
           "for the filler clinic?\n\nLena"
    assert "first_name_clinical" not in found(body, **OUT)
    cited = "References\nTran L, Bakr M. Vascular complications of fillers. J Aesthet 2021."
    assert "first_name_clinical" not in found(cited, **OUT)


def test_a_first_name_with_a_distinguishing_detail_is_high():
    shop = "Idea for a post: Harriet, who runs the bakery by the station, had her lip " \
           "filler with us last month and loves it."
    assert found(shop, **OUT)["jigsaw_identification"] is Severity.HIGH
    age = "For the leaflet: Maureen, 47, a councillor from Frome, came to us for anti " \
          "wrinkle treatment."
    assert found(age, **OUT)["jigsaw_identification"] is Severity.HIGH
    everyday = "Shelley (38) from Yeovil had her lips done with us and loves them."
    assert found(everyday, **OUT)["jigsaw_identification"] is Severity.HIGH


def test_a_nameless_case_is_identifiable_by_role_and_another_detail():
    body = "A case for the feature, no names: the vicar of our village church, a 61-year-old " \
           "well known locally, had a reaction to her dermal filler in spring."
    assert found(body, **OUT)["identifiable_description"] is Severity.MEDIUM
    sport = "Interesting one: the county netball captain you'll all know from the local " \
            "paper, late 30s, came in with bruxism and had masseter toxin."
    assert found(sport, **OUT)["identifiable_description"] is Severity.MEDIUM


def test_a_de_identified_case_with_an_age_band_only_is_not_identifiable():
    body = "Hi all,\n\nAdvice please: a woman in her 40s, tear trough filler nine months ago " \
           "elsewhere, now has nodules. Hyaluronidase first?\n\nLena"
    assert found(body, **OUT) == {}
    initials = "Patient JB (male, 30s) wants masseter toxin for bruxism. How would you stage it?"
    assert found(initials, **OUT) == {}


def test_a_name_in_a_word_comment_is_weighed_with_the_document():
    raw = message(docx_bytes(
        ["Why we sometimes say no", "A client in her thirties asked for a third lip top up "
         "in six weeks. We declined."],
        comments=["This is Bethany Marlowe from the flats on Quay Street, check she is OK."]),
        "draft.docx")
    rules = {f.rule: f.severity for f in PatientDataScanner().scan(parse(raw))}
    assert rules.get("jigsaw_identification") is Severity.HIGH
    benign = message(docx_bytes(
        ["Infection control policy", "Clean the couch between clients."],
        comments=["Bethany Marlowe: please check the wording of section 2."]), "policy.docx")
    rules = {f.rule for f in PatientDataScanner().scan(parse(benign))}
    assert "jigsaw_identification" not in rules


def test_slide_notes_with_a_first_name_and_details_identify_the_case():
    raw = message(pptx_bytes(
        ["Late nodules", "Case 1: lip filler, nodules at four weeks"],
        notes=["This is Harriet, 29, the receptionist at the leisure centre in Frome."]),
        "talk.pptx")
    rules = {f.rule: f.severity for f in PatientDataScanner().scan(parse(raw))}
    assert rules.get("jigsaw_identification") is Severity.HIGH
    plain = message(pptx_bytes(
        ["Late nodules", "Case 1: lip filler, nodules at four weeks"],
        notes=["Pause here for questions; Harriet will run the timer."]), "talk.pptx")
    rules = {f.rule for f in PatientDataScanner().scan(parse(plain))}
    assert "jigsaw_identification" not in rules


def test_welsh_treatment_and_complication_words_are_cues():
    body = "Mae Gwenllian Parry wedi cael triniaeth llenwad gwefusau. Cafodd hi haint wedyn."
    assert found(body, **OUT)["jigsaw_identification"] is Severity.HIGH
    mutated = "Mae Gwenllian Parry wedi cael driniaeth gyda ni; cafodd hi bigiadau."
    assert found(mutated, **OUT)["jigsaw_identification"] is Severity.HIGH
    staff = "Mae Gwenllian Parry, Nyrs, yn y clinig ddydd Llun."
    assert "jigsaw_identification" not in found(staff, **OUT)


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
         'content-types"><Override PartName="/{part}" ContentType="{ctype}"/></Types>')


def docx_bytes(paragraphs: list[str], comments: list[str]) -> bytes:
    """A Word document with reviewer comments (word/comments.xml)."""
    def paras(items):
        return "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in items)
    notes = "".join(f'<w:comment w:id="{i}">{paras([c])}</w:comment>'
                    for i, c in enumerate(comments))
    return zip_file({
        "[Content_Types].xml": TYPES.format(
            part="word/document.xml", ctype="application/vnd.openxmlformats-officedocument."
            "wordprocessingml.document.main+xml").encode(),
        "word/document.xml": f"<w:document {W}><w:body>{paras(paragraphs)}</w:body>"
                             "</w:document>".encode(),
        "word/comments.xml": f"<w:comments {W}>{notes}</w:comments>".encode(),
    })


def pptx_bytes(slides: list[str], notes: list[str]) -> bytes:
    """A PowerPoint deck: one text box a slide, and speaker notes for the first slides."""
    def shape(text):
        return f"<p:sld {A} xmlns:p=\"p\"><a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:sld>"
    members = {"[Content_Types].xml": TYPES.format(
        part="ppt/presentation.xml", ctype="application/vnd.openxmlformats-officedocument."
        "presentationml.presentation.main+xml").encode(),
        "ppt/presentation.xml": b"<p:presentation xmlns:p='p'/>"}
    for i, text in enumerate(slides, 1):
        members[f"ppt/slides/slide{i}.xml"] = shape(text).encode()
    for i, text in enumerate(notes, 1):
        members[f"ppt/notesSlides/notesSlide{i}.xml"] = shape(text).encode()
    return zip_file(members)


def message(data: bytes, name: str) -> bytes:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"] = "Lena Marsh <lena@brightskin.example>"
    m["To"] = "Editor <editor@magazine.example>"
    m["Subject"] = "Draft"
    m.set_content("Draft attached.")
    m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return m.as_bytes()


def test_msg_helper_still_builds_messages():
    assert msg("x").body_parts[0].text == "x"


def test_a_count_of_patients_marks_no_name_as_a_patient():
    invoice = "Date Site Session Fee\n03/03 Clifton Full day (11 patients) £650\n" \
              "05/03 Clifton Half day (5 patients) £340"
    assert "patient_name_clinical" not in found(invoice, **OUT)
    assert found("Patient: Harriet Jonas, seen today.", **OUT)["patient_name_clinical"] \
        is Severity.HIGH


def test_contacts_written_with_their_organisation_address_are_not_patients():
    invite = "Attendee: Harriet Jonas <harriet.jonas@brightskin.example>\n" \
             "Description: Hands-on session on the new skin booster."
    kw = dict(to="Harriet Jonas <harriet.jonas@brightskin.example>",
              sender="Rep <rep@wholesale-supplies.example>")
    assert found(invite, **kw) == {}  # her address is in the To header already
    # a patient written with her own webmail address is still a patient
    patient = "Client: Harriet Jonas <harriet.jonas77@gmail.com>\nTreatment: skin booster"
    rules = found(patient, **kw)
    assert rules["jigsaw_identification"] is Severity.HIGH


# -- annotations judged with the whole document, nameless cases to a friend, headings ------

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CASE = ("Case report: delayed nodules after tear trough filler. She presented at six weeks "
        "with firm lumps and was treated with hyaluronidase and a short course of steroids.")
LEAFLET = ("Aftercare after cheek filler: avoid heat, alcohol and exercise for 24 hours. "
           "Swelling and bruising settle within a week; call us if you notice blanching.")


def scanned(raw: bytes) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for f in PatientDataScanner().scan(parse(raw)):
        out[f.rule] = max(out.get(f.rule, f.severity), f.severity)
    return out


def with_file(data: bytes, name: str, ctype: str = DOCX_TYPE) -> bytes:
    import documents as docs
    return docs.mail("Draft for the journal", attachments=[(name, ctype, data)],
                     sender="reception@brightskin.example",
                     to="Submissions <submissions@derm-journal.example>")


def test_a_name_and_phone_in_a_comment_on_a_case_are_the_patients():
    import reading as rd
    raw = with_file(rd.docx_with_internals(
        comment="Consent: Imogen Treharne 07700 900612, ok to publish", body=CASE), "case.docx")
    found_ = scanned(raw)
    assert found_["phone_number"] is Severity.HIGH
    assert found_["jigsaw_identification"] is Severity.HIGH
    email = with_file(rd.docx_with_internals(
        comment="Imogen Treharne (imogen.t@hotmail.example) signed the photo form", body=CASE),
        "case.docx")
    assert scanned(email)["email_address"] is Severity.HIGH


def test_a_name_and_phone_in_a_documents_properties_are_weighed_with_it():
    import reading as rd
    raw = with_file(rd.pdf_with_info(CASE, Subject="Imogen Treharne 07700 900612"),
                    "case.pdf", "application/pdf")
    assert scanned(raw)["jigsaw_identification"] is Severity.HIGH
    raw = with_file(rd.docx_with_internals(custom={"Reviewer": "Imogen Treharne 07700 900612"},
                                           body=CASE), "case.docx")
    assert scanned(raw)["phone_number"] is Severity.HIGH


def test_names_in_annotations_of_documents_that_tell_no_case_stay_below_high():
    import reading as rd
    # a leaflet or a policy: a proof-reader's comment, a reviewer in the properties
    for data in (rd.docx_with_internals(comment="Ask Owen Pryce (07700 900613) for a proof "
                                                "by Friday", body=LEAFLET),
                 rd.docx_with_internals(custom={"Reviewer": "Owen Pryce 07700 900613"},
                                        body="Infection prevention policy: wipe the couch "
                                             "between clients and log the clean.")):
        found_ = scanned(with_file(data, "leaflet.docx"))
        assert found_.get("phone_number", Severity.LOW) < Severity.HIGH, found_
        assert "jigsaw_identification" not in found_
    # the author's own name and mobile in the footer of her case report
    import documents as docs
    data = rd.docx_with_internals(footnote_like="Lena Marsh 07700 900614", body=CASE)
    raw = docs.mail("Draft", attachments=[("case.docx", DOCX_TYPE, data)],
                    sender="lena@brightskin.example", to="submissions@derm-journal.example")
    raw = raw.replace(b"From: Glow Clinic <lena@brightskin.example>",
                      b"From: Lena Marsh <lena@brightskin.example>")
    found_ = scanned(raw)
    assert found_.get("phone_number", Severity.LOW) < Severity.HIGH, found_
    assert "jigsaw_identification" not in found_
    # a comment with a name and no identifier on a case: a reviewer, as before
    data = rd.docx_with_internals(comment="Owen Pryce: tighten the discussion", body=CASE)
    assert "jigsaw_identification" not in scanned(with_file(data, "case.docx"))


GOSSIP = ("Guess who was in this week - the head teacher from the primary school in "
          "Wellsby, early fifties. Cheek filler and a bit of toxin, and she bruised like a "
          "peach. Keep it to yourself!")


def plain(body: str, to: str, sender: str = "Lena Marsh <lena@brightskin.example>",
          subject: str = "this week") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()


def decided_severity(raw: bytes) -> Severity:
    """The identifiable_description finding's severity after the decision step's context
    rules (gateway/decision/context.toml: raised to high for a private reader)."""
    verdict = decided(raw)
    return max(f.severity for f in verdict.findings if f.rule == "identifiable_description")


def test_a_nameless_identifiable_case_to_a_friends_webmail_is_high():
    raw = plain(GOSSIP, "Kirsty <kirsty.b@hotmail.example>")
    assert scanned(raw)["identifiable_description"] is Severity.MEDIUM  # the text alone
    assert decided_severity(raw) is Severity.HIGH  # ... to a friend's webmail
    assert decided(raw).action is Action.HOLD


def test_a_nameless_case_to_colleagues_or_professionals_stays_medium():
    # inside the clinic
    assert decided_severity(plain(GOSSIP, "mia@brightskin.example")) is Severity.MEDIUM
    # a professional forum or an organisation
    assert decided_severity(plain(GOSSIP, "cases@injectors-forum.example")) is Severity.MEDIUM
    # a study club case to a member's personal address
    club = ("For Thursday's study club: the head teacher from a village school, early "
            "fifties, had cheek filler and bruised badly. How would you manage it?")
    assert decided_severity(plain(club, "dr.amir@hotmail.example")) is Severity.MEDIUM
    # the sender's own webmail copy
    own = plain(GOSSIP, "lena.marsh@hotmail.example",
                sender="Lena Marsh <lena.marsh@hotmail.example>")
    assert decided_severity(own) is Severity.MEDIUM


def test_title_case_headings_and_product_names_are_not_names():
    import documents as docs
    leaflet = docs.pdf([["Brightskin - Autumn Glow Peel Menu",
                         "Winter Radiance Facial: a hydrating facial with a skin booster for "
                         "radiance all winter. Our autumn glow peel suits dull skin.",
                         "Heather Skin Plan - tear trough filler and skin boosters."]])
    raw = docs.mail("Leaflet to print", attachments=[("menu.pdf", "application/pdf", leaflet)],
                    to="orders@printhouse.example")
    assert "jigsaw_identification" not in scanned(raw)


def test_real_names_beside_everyday_words_are_still_names():
    # her own address spells her surname in lower case: still a surname
    assert found("Sarah Okafor (sarah.okafor@hotmail.example) had tear trough filler and "
                 "now has a lump.", **OUT)["jigsaw_identification"] is Severity.HIGH
    # a census surname the text also uses as a word
    assert found("Grace Summer had tear trough filler; summer is our busiest time.",
                 **OUT)["jigsaw_identification"] is Severity.HIGH
    assert found("Case review: Holly Brannigan, lip filler, swelling on day two.",
                 **OUT)["jigsaw_identification"] is Severity.HIGH
