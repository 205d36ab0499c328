"""The last hiding places (issue 22): identifiers only in a slide's speaker notes, a PDF's
form fields or comments, a spreadsheet cell's comment or a calendar invite. Each is judged
as the same text in a body would be, through the real pipeline (`mailscreen scan`), with
the hard negative beside it. (QR codes: test_qr_codes.py; rights in a picture's own text
and licence fields: test_copyright_pictures.py.)

NHS numbers are in the 999 range, phones Ofcom drama numbers, domains end in .example."""
from __future__ import annotations

import io

import documents as docs
import reading as rd

from gateway.content.extract import extract
from gateway.content.limits import Limits

NAME, DOB, MOBILE, EMAIL, NHS, TREATMENT = rd.PATIENTS[0]
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
OUTSIDE = "events@trainingco.example"
RANK = {"low": 1, "medium": 2, "high": 3}


def send(name: str, ctype: str, data: bytes, body: str = "Hi,\n\nAttached for Thursday.\n\n"
         "Thanks\nAnna", subject: str = "For Thursday", to: str = OUTSIDE) -> bytes:
    return docs.mail(subject, body=body, attachments=[(name, ctype, data)], to=to)


def worst(result: dict, category: str = "patient_data") -> int:
    return max((RANK[f["severity"]] for f in result["findings"] if f["category"] == category),
               default=0)


def where(result: dict, category: str = "patient_data") -> set[str]:
    return {f["where"] for f in result["findings"]
            if f["category"] == category and f["severity"] == "high"}


# -- speaker notes -------------------------------------------------------------------------

def deck(slides: list[tuple[str, str]]) -> bytes:
    """A deck (python-pptx) of (title, speaker notes) slides; notes only where given, so a
    notes part's number is not its slide's (python-pptx numbers them as they are made)."""
    from pptx import Presentation

    prs = Presentation()
    for title, notes in slides:
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = title
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def test_speaker_notes_are_weighed_with_their_slide(tmp_path):
    talk = [("Late nodules: what we learned", ""),
            ("Consent and photographs", ""),
            ("Case 2: tear trough filler, nodules at six weeks", f"{NAME}, {MOBILE}")]
    identified = deck(talk)
    (att,) = extract("talk.pptx", PPTX, identified, Limits())
    page = next(p for p in att.pages if NAME in p)
    assert page.startswith("Case 2: tear trough filler")  # the notes read with their slide
    numbers = deck([("Our spring evening", ""),
                    ("Anti-wrinkle: what to expect", f"Patient {NAME}, NHS {NHS}, DOB {DOB}")])
    timer = deck(talk[:2] + [(talk[2][0], "Pause here for questions, then play the video.")])
    results = rd.scan(tmp_path, *[send("talk.pptx", PPTX, d) for d in (identified, numbers,
                                                                       timer)])
    assert [r["action"] for r in results] == ["hold", "hold", "pass"], results
    assert where(results[0]) == {"attachment:talk.pptx#page=3"}, results[0]
    assert worst(results[2]) == 0, results[2]


# -- PDF form fields and comments ------------------------------------------------------------

def test_pdf_form_fields_and_comments_are_read(tmp_path):
    form = rd.pdf_with_form("Consent form for dermal filler\n\nPlease complete every field.",
                            fields={"Patient name": NAME, "Date of birth": DOB,
                                    "NHS number": NHS, "Treatment": TREATMENT})
    note = rd.pdf_with_form("Aftercare leaflet: lip filler", notes=[
        f"{NAME} DOB {DOB} asked for this - her second top-up"])
    boxed = rd.pdf_with_form("Aftercare leaflet: lip filler",
                             free_text=f"For {NAME} ({MOBILE}), lip filler 2 weeks ago")
    (att,) = extract("consent.pdf", PDF, form, Limits())
    texts = dict(att.texts)
    assert f"Patient name: {NAME}" in texts["form"] and f"NHS number: {NHS}" in texts["form"]
    assert all(NAME not in p for p in att.pages)  # only in the fields
    (att,) = extract("leaflet.pdf", PDF, note, Limits())
    assert f"{NAME} DOB {DOB}" in dict(att.texts)["comments"]
    own = rd.pdf_with_form("Consent form for dermal filler", fields={
        "Clinic": "Glow Clinic", "Address": "1 Abbey Street, Bath BA1 1AA",
        "Telephone": "01632 960511", "Website": "https://glowclinic.example"},
        notes=["Check the spelling of hyaluronidase on page 2"])
    results = rd.scan(tmp_path, *[send(n, PDF, d) for n, d in (
        ("consent.pdf", form), ("leaflet.pdf", note), ("leaflet.pdf", boxed),
        ("consent.pdf", own))])
    assert [r["action"] for r in results] == ["hold", "hold", "hold", "pass"], results
    assert where(results[0]) == {"attachment:consent.pdf#form"}, results[0]
    assert where(results[1]) == {"attachment:leaflet.pdf#comments"}, results[1]
    assert worst(results[3]) <= RANK["low"], results[3]


def test_a_form_the_sender_filled_about_herself_under_her_formal_name_is_not_a_patients(tmp_path):
    """An indemnity renewal filled in by 'Dr Thomas Hallett' and sent by 'Dr Tom Hallett' is
    his own (the same surname and initial); another practitioner's name in it is weighed."""
    from email.message import EmailMessage

    def renewal(member: str) -> bytes:
        form = rd.pdf_with_form("Membership renewal 2027", fields={
            "Member name": member, "Aesthetic procedures": "Botulinum toxin, HA dermal filler"})
        m = EmailMessage()
        m["From"], m["To"] = "Dr Tom Hallett <tom.hallett@baedental.example>", OUTSIDE
        m["Subject"] = "Renewal"
        m.set_content("Renewal form attached.\n\nTom")
        m.add_attachment(form, maintype="application", subtype="pdf", filename="renewal.pdf")
        return m.as_bytes()

    own, other = rd.scan(tmp_path, renewal("Dr Thomas Hallett"), renewal("Dr Fiona Latham"))
    assert worst(own) <= RANK["low"], own
    assert worst(other) == RANK["high"], other


# -- spreadsheet cell comments -----------------------------------------------------------------

def test_a_cell_comment_is_judged_as_a_visible_cell_is(tmp_path):
    hours = [["Day", "Clinic hours"], ["Monday", "9-5"], ["Tuesday", "10-6"]]
    text = f"{NAME} {DOB} - lip filler review, mob {MOBILE}"
    commented = rd.xlsx_workbook({"Week": hours}, comments={("Week", "B2"): text,
                                                            ("Week", "B3"): "Late start"})
    visible = rd.xlsx_workbook({"Week": hours + [["Wednesday", text]]})
    # the comment on a row that names the client: weighed with that row
    row = rd.xlsx_workbook({"Follow-ups": [["Client", "Treatment"], [NAME, TREATMENT]]},
                           comments={("Follow-ups", "A2"): f"mob {MOBILE}"})
    plain = rd.xlsx_workbook({"Week": hours}, comments={("Week", "B2"): "Includes VAT at 20%"})
    (att,) = extract("week.xlsx", XLSX, commented, Limits())
    assert any(p.startswith(f"B2 (Monday, 9-5): {text}\nB3 (Tuesday, 10-6): Late start")
               for p in att.pages), att.pages
    results = rd.scan(tmp_path, *[send("week.xlsx", XLSX, d) for d in (commented, visible,
                                                                       row, plain)])
    assert [r["action"] for r in results] == ["hold", "hold", "hold", "pass"], results
    assert worst(results[0]) == worst(results[1]) == RANK["high"]
    assert worst(results[3]) == 0, results[3]


def test_an_ods_cell_comment_is_read_apart_from_its_author_and_date():
    import zipfile

    ods = io.BytesIO(rd.ods({"Week": [["Day", "Clinic hours"], ["Monday", "9-5"]]}))
    with zipfile.ZipFile(ods) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["content.xml"] = members["content.xml"].replace(
        b'xmlns:text=', b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:text=').replace(
        b"<text:p>Monday</text:p>", (
            "<office:annotation><dc:creator>Anna Lowe</dc:creator><dc:date>2026-03-01T10:00:00"
            f"</dc:date><text:p>{NAME} DOB {DOB}</text:p></office:annotation>"
            "<text:p>Monday</text:p>").encode())
    (att,) = extract("week.ods", "application/vnd.oasis.opendocument.spreadsheet",
                     docs.zip_file(members, zipfile.ZIP_STORED), Limits())
    assert f"\n{NAME} DOB {DOB}\nMonday" in att.pages[0], att.pages


# -- calendar invites ----------------------------------------------------------------------------

def invite(description: str, attendee: str = "") -> bytes:
    text = description.replace(",", "\\,").replace("\n", "\\n")
    line = f"DESCRIPTION:{text}"
    folded = "\r\n ".join(line[i:i + 74] for i in range(0, len(line), 74))
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Glow//Diary//EN\r\nMETHOD:REQUEST\r\n"
            "BEGIN:VEVENT\r\nUID:7@glowclinic.example\r\nDTSTART:20260310T093000Z\r\n"
            "SUMMARY:Review\r\nORGANIZER;CN=Anna Lowe:mailto:reception@glowclinic.example\r\n"
            f"{folded}\r\n{attendee}END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def test_a_calendar_invite_is_judged_as_the_same_text_in_a_body(tmp_path):
    described = f"{NAME}, DOB {DOB}, 2-week review after tear trough filler"
    attendee = f'ATTENDEE;CN="{NAME}";RSVP=TRUE:mailto:{EMAIL}\r\n'
    mails = [send("invite.ics", "text/calendar", invite(described)),
             docs.mail("For Thursday", body=f"Hi,\n\n{described}\n\nThanks\nAnna", to=OUTSIDE),
             send("invite.ics", "text/calendar",
                  invite("2-week review after tear trough filler", attendee)),
             send("invite.ics", "text/calendar",
                  invite("Team huddle: the new consent forms, room 2"))]
    results = rd.scan(tmp_path, *mails)
    assert [r["action"] for r in results] == ["hold", "hold", "hold", "pass"], results
    assert worst(results[0]) == worst(results[1])
