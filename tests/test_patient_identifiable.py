"""Patients identifiable without a full name: a first name alone with a treatment
(first_name_clinical), a first name with a treatment and a detail that picks the person out
(jigsaw_identification), a nameless case that is still identifiable
(identifiable_description), names in Word comments and slide notes weighed with the whole
document, Welsh cues; and the hard negatives beside each (staff, greetings, the people
written to, generic de-identified cases, place names)."""
from __future__ import annotations

from documents import zip_file
from test_patient_data import found, msg

from gateway.content.parse import parse
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
