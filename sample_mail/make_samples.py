#!/usr/bin/env python3
"""Build the sample mail corpus: every .eml in sample_mail/ and expected.json.

    .venv/bin/python sample_mail/make_samples.py            # rewrite sample_mail/
    .venv/bin/python sample_mail/make_samples.py --out DIR  # write somewhere else
    .venv/bin/python sample_mail/make_samples.py --check    # exit 1 if a file differs

The output is deterministic: fixed dates, Message-IDs, MIME boundaries, PDF creation
dates and PDF file identifiers, so a rebuild with the same fpdf2/pypdf versions gives
the same bytes. Every message is serialised with CRLF line endings (email.policy.SMTP).

All data is invented: people, addresses (example.com/.org/.net and *.example domains;
the one nhs.net mailbox has an invented local part), NHS numbers from the 999 test range
with a valid mod-11 check digit, UK phone numbers from the Ofcom drama ranges
(07700 900xxx, 0113 496 0xxx). The "executables" are a few harmless bytes.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Callable

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject

HERE = Path(__file__).resolve().parent
PDF_DATE = datetime(2024, 6, 10, 9, 0, 0, tzinfo=timezone.utc)
CLINIC = "glowclinic.example"


# --- invented identifiers ------------------------------------------------------------

def nhs_number(first_nine: str) -> str:
    """A 999-range test NHS number with its mod-11 check digit, spaced 3-3-4."""
    assert len(first_nine) == 9 and first_nine.startswith("999"), first_nine
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1)))
    check = (11 - total % 11) % 11
    assert check != 10, f"{first_nine}: no valid check digit, pick another"
    digits = first_nine + str(check)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


NHS_LOWE = nhs_number("999012345")
NHS_BELL = nhs_number("999047281")
NHS_BRANNIGAN = nhs_number("999063502")
COURIER_REF = nhs_number("999270418")  # passes the checksum, but is a parcel reference
ORDER_REF = "310 552 4871"  # 10 digits, fails the NHS check digit


# --- people ---------------------------------------------------------------------------

RECEPTION = f"Glow Aesthetics Clinic <reception@{CLINIC}>"
NEWS = f"Glow Aesthetics Clinic <news@{CLINIC}>"
ACCOUNTS = f"Glow Aesthetics Clinic Accounts <accounts@{CLINIC}>"
PRIYA = f"Priya Shah <priya.shah@{CLINIC}>"
OKAFOR = f"Dr Amara Okafor <dr.okafor@{CLINIC}>"
BETHANY = f"Bethany Hale <bethany.hale@{CLINIC}>"
TOM = f"Tom Whitcombe <tom.whitcombe@{CLINIC}>"
KIERAN = f"Kieran Doyle <kieran.doyle@{CLINIC}>"
SUPPLIER = "Northern Aesthetic Supplies Orders <orders@northern-supplies.example.com>"
ROWAN = "Rowan Skin Studio <hello@rowanskin.example.org>"
GP_REFERRALS = "Larkfield Surgery Referrals <example.surgery.referrals@nhs.net>"

SIGNATURE_CLINIC = "Glow Aesthetics Clinic\n7 Larkspur Yard, Leeds\n0113 496 0321 | glowclinic.example"


# --- PDFs -----------------------------------------------------------------------------

def make_pdf(title: str, pages: list[list[str]], *, author: str = "Glow Aesthetics Clinic",
             subject: str = "") -> bytes:
    """A real, text-bearing PDF. Each page is a list of paragraphs; a paragraph starting
    with '# ' is a heading. Core fonts only, so text must be Latin-1."""
    doc = FPDF(format="A4")
    doc.set_creation_date(PDF_DATE)
    doc.set_producer("mailscreen sample_mail/make_samples.py")
    doc.set_creator("mailscreen sample_mail/make_samples.py")
    doc.set_title(title)
    doc.set_author(author)
    if subject:
        doc.set_subject(subject)
    doc.set_margins(20, 20, 20)
    for paragraphs in pages:
        doc.add_page()
        for para in paragraphs:
            if para.startswith("# "):
                doc.set_font("Helvetica", "B", 13)
                doc.multi_cell(0, 7, para[2:], new_x="LMARGIN", new_y="NEXT")
                doc.ln(2)
            else:
                doc.set_font("Helvetica", "", 10)
                doc.multi_cell(0, 5, para, new_x="LMARGIN", new_y="NEXT")
                doc.ln(3)
    return bytes(doc.output())


def encrypt_pdf(data: bytes, user_password: str) -> bytes:
    """The same PDF behind a user password, deterministically (RC4-128 has no random IV;
    the file identifier is fixed instead of pypdf's random one)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    file_id = ByteStringObject(b"mailscreen-smpl1")
    writer._ID = ArrayObject((file_id, file_id))
    writer.encrypt(user_password=user_password, owner_password=user_password + "-owner",
                   algorithm="RC4-128")
    writer._ID = ArrayObject((file_id, file_id))  # encrypt() drew a random second id
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    """A minimal Word document (a zip), with fixed timestamps."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    files = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels":
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml":
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 6, 10, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return buf.getvalue()


# A DOS "MZ" header stub: enough for libmagic to call it application/x-dosexec, but it
# has no PE header and no code. It cannot run.
HARMLESS_EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
                + b"\x00" * 44 + b"\x80\x00\x00\x00"
                + b"This program cannot be run in DOS mode.\r\r\n$"
                + b"mailscreen sample attachment: harmless bytes, not a program.\r\n"
                + b"\x00" * 32)

HARMLESS_SH = b"""#!/bin/sh
# mailscreen sample attachment: harmless, it only prints two lines.
echo "Copying the photo folder to the backup drive..."
echo "Done."
"""

# A PDF cut off after a few bytes, as when an upload or a scan is interrupted.
TRUNCATED_PDF = (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n"
                 b"endobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
                 b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Cont")


# --- messages -------------------------------------------------------------------------

@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    content_type: str  # what the sender's mail program declared


def message(stem: str, *, sender: str, to: str, subject: str, date: str, body: str,
            cc: str = "", html: str = "", attachments: tuple[Attachment, ...] = (),
            extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<{stem}.{_compact(date)}@{CLINIC}>"
    msg["MIME-Version"] = "1.0"
    for name, value in extra:
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for att in attachments:
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename)
    multiparts = [part for part in msg.walk() if part.is_multipart()]
    for i, part in enumerate(multiparts):
        part.set_boundary(f"=_mailscreen_sample_{stem}_{i}")
    return msg.as_bytes(policy=SMTP)


def _compact(date: str) -> str:
    """'Wed, 12 Jun 2024 09:15:00 +0100' -> '20240612091500'."""
    return datetime.strptime(date, "%a, %d %b %Y %H:%M:%S %z").strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True)
class Sample:
    file: str
    action: str  # pass | tag | hold
    rules: tuple[str, ...]  # rule ids that must be among the findings
    build: Callable[[str], bytes]  # stem -> .eml bytes


SAMPLES: list[Sample] = []


def sample(file: str, action: str, *rules: str):
    def register(fn: Callable[[str], bytes]) -> Callable[[str], bytes]:
        SAMPLES.append(Sample(file, action, rules, fn))
        return fn
    return register


# --- clean clinic mail: pass, no finding above low ---------------------------------------

@sample("clean_appointment_reminder.eml", "pass")
def _(stem):
    return message(
        stem, sender=RECEPTION, to="Harriet Lowe <harriet.lowe@example.com>",
        subject="Reminder: your appointment on Thursday 20 June at 2.30pm",
        date="Mon, 17 Jun 2024 09:05:00 +0100",
        body=f"""Dear Harriet,

This is a reminder of your appointment at Glow Aesthetics Clinic:

    Thursday 20 June 2024, 2.30pm
    Skin consultation with Bethany Hale, Aesthetic Nurse Practitioner
    7 Larkspur Yard, Leeds

Please arrive five minutes early and, if you can, come without make-up so that
we can assess your skin properly. The consultation takes about 45 minutes.

If you need to rearrange, reply to this email or call us on 0113 496 0321. We
ask for 48 hours' notice so that we can offer the slot to someone on our
waiting list.

We look forward to seeing you.

Kind regards,
Reception team
{SIGNATURE_CLINIC}
""")


@sample("clean_supplier_order.eml", "pass")
def _(stem):
    return message(
        stem, sender=PRIYA, to=SUPPLIER,
        subject="Purchase order PO-2024-0611 (account GLOW014)",
        date="Tue, 11 Jun 2024 10:20:00 +0100",
        body=f"""Hello,

Please supply the following against our purchase order PO-2024-0611. Our
previous order, ref {ORDER_REF}, arrived complete - thank you.

Qty  Code      Item                                              Unit     Line
10   CN-2550   Blunt-tip cannula 25G x 50mm (box of 20)          £38.50   £385.00
6    NE-3013   Hypodermic needle 30G x 13mm (box of 100)         £9.20    £55.20
20   GZ-7575   Sterile gauze swabs 7.5 x 7.5cm (5 x 20)          £4.10    £82.00
4    CH-0500   Chlorhexidine 2% skin prep wipes (tub of 200)     £12.60   £50.40
2    SB-0005   Sharps bin 5 litre, yellow lid                    £6.75    £13.50
12   NG-M      Nitrile gloves, medium, powder free (box of 100)  £5.40    £64.80

Net £651.90, VAT £130.38, total £782.28

Delivery to Glow Aesthetics Clinic, 7 Larkspur Yard, Leeds. Goods-in is open
9am to 5pm on weekdays; please ring 0113 496 0322 if the driver cannot get in.

Please send the invoice to accounts@{CLINIC}, quoting the PO number.

Many thanks,
Priya Shah
Practice Manager, Glow Aesthetics Clinic
0113 496 0322
""")


@sample("clean_cpd_training_event.eml", "pass")
def _(stem):
    return message(
        stem, sender=OKAFOR, to=f"Glow clinical team <clinical-team@{CLINIC}>", cc=ROWAN,
        subject="CPD evening: facial anatomy and vascular occlusion, Wed 10 July",
        date="Fri, 14 Jun 2024 16:40:00 +0100",
        body="""Hi all,

Our next in-house CPD evening is on Wednesday 10 July, 6.00pm to 8.30pm, in
the training room upstairs.

Programme
  6.00pm  Facial anatomy refresher: danger zones for dermal filler
  6.45pm  Recognising vascular occlusion early: three case reviews
  7.30pm  Hands-on: complication kit check and emergency protocol walk-through
  8.15pm  Reflection and sign-off

The evening counts for 2.5 hours of CPD, and certificates will be issued for
your revalidation portfolio. There is no charge for Glow staff. Colleagues from
Rowan Skin Studio are very welcome at £40 per person to cover the speaker and
refreshments; please let Priya know by Friday 5 July so that we can confirm
numbers.

Please bring your copy of the complications protocol (v3, April 2024) and your
current BLS certificate.

Thanks,
Amara

Dr Amara Okafor
Medical Director, Glow Aesthetics Clinic
0113 496 0320
""")


@sample("clean_aftercare_advice.eml", "pass")
def _(stem):
    return message(
        stem, sender=BETHANY, to="Sinead Brannigan <sinead.b@example.net>",
        subject="Your aftercare advice following today's treatment",
        date="Thu, 13 Jun 2024 17:10:00 +0100",
        body="""Dear Sinead,

Thank you for coming in today. As promised, here is the aftercare advice for
your anti-wrinkle injections.

For the next 4 hours
- Stay upright and do not lie flat.
- Do not rub or massage the treated areas.

For the next 24 hours
- Avoid strenuous exercise, saunas, steam rooms and hot yoga.
- Avoid alcohol, and keep make-up off the treated areas.

For the next 2 weeks
- Avoid facials, facial massage and microdermabrasion.

The result builds gradually over 10 to 14 days. Some people have a mild
headache or small bumps at the injection sites for a few hours; this is normal
and settles by itself.

Please call us straight away on 0113 496 0321 (07700 900518 out of hours) if
you notice drooping of an eyelid or eyebrow, difficulty swallowing or speaking,
or any sign of an allergic reaction. If you cannot reach us and you are
worried, call NHS 111, or 999 in an emergency.

Your two-week review is on Wednesday 26 June at 11.15am.

Best wishes,
Bethany Hale RGN NIP
Aesthetic Nurse Practitioner, Glow Aesthetics Clinic
""")


@sample("clean_staff_rota.eml", "pass")
def _(stem):
    return message(
        stem, sender=PRIYA, to=f"Glow team <staff@{CLINIC}>",
        subject="Rota for w/c 24 June 2024",
        date="Wed, 19 Jun 2024 12:30:00 +0100",
        body="""Hi everyone,

Here is the rota for the week commencing Monday 24 June. Please check your
shifts and tell me by Thursday if anything needs swapping.

Day      Reception        Clinical room 1     Clinical room 2
Mon 24   Chloe 8.30-5     Bethany 9-5         Tom 10-6
Tue 25   Chloe 8.30-5     Dr Okafor 12-8      Tom 9-5
Wed 26   Jade 8.30-5      Bethany 9-5         -
Thu 27   Jade 12-8        Dr Okafor 12-8      Tom 12-8
Fri 28   Chloe 8.30-5     Bethany 9-3         Tom 9-5
Sat 29   Jade 9-2         Bethany 9-2         -

On-call mobile: Bethany Monday to Wednesday (07700 900518), Dr Okafor
Thursday to Saturday (07700 900733).

Stock count is on Wednesday afternoon: Jade and Tom, please do the treatment
room cupboards. Annual leave requests for August need to be in by 30 June.

Thanks,
Priya
Practice Manager
0113 496 0322
""")


@sample("clean_invoice_to_client.eml", "pass")
def _(stem):
    return message(
        stem, sender=ACCOUNTS, to="Marcus Bell <marcus.bell@example.org>",
        subject="Invoice INV-2024-0457 from Glow Aesthetics Clinic",
        date="Fri, 14 Jun 2024 11:00:00 +0100",
        body=f"""Dear Marcus,

Thank you for visiting Glow Aesthetics Clinic. Your invoice is below.

Invoice number:  INV-2024-0457
Invoice date:    14 June 2024
Payment due:     28 June 2024

Description                                      Amount
Skin consultation, 13 June 2024                  £30.00
HydraFacial, signature treatment                 £120.00
SPF 50 daily moisturiser, 50ml                   £35.00
Consultation fee redeemed against treatment     -£30.00
Total                                            £155.00
Paid by card on 13 June 2024                    -£100.00
Balance due                                      £55.00

You can pay the balance by card over the phone on 0113 496 0321, or at your
next visit.

Kind regards,
Accounts team
{SIGNATURE_CLINIC}
""")


NEWSLETTER_TEXT = """Hello from all of us at Glow,

SUN PROTECTION: YOUR BEST ANTI-AGEING PRODUCT
UVA rays age the skin all year round, even through cloud and window glass.
Use a broad-spectrum SPF 30 or higher every morning, reapply every two hours
when you are outdoors, and don't forget your ears, neck and the backs of your
hands.

RETINOL IN SUMMER
Retinol (a form of vitamin A) is one of the best-studied ingredients for fine
lines and uneven tone. It can make skin more sensitive to the sun, so use it in
the evening, start with two or three nights a week, and always follow with SPF
the next morning. If you are pregnant or breastfeeding, pause retinol and ask
us about an alternative.

SUMMER SKIN CHECKLIST
- Swap a rich night cream for a lighter gel moisturiser.
- A vitamin C serum in the morning helps with brightness and pollution.
- Hyaluronic acid serum on damp skin keeps it hydrated in air conditioning.
- If you are prone to breakouts, look for a non-comedogenic sunscreen.

IN CLINIC THIS MONTH
Our skin therapists are running free 20-minute skin analysis sessions on
Saturdays in June. Skincare club members get 10% off all SPF products this
month.

Book online at glowclinic.example or call 0113 496 0321.

You are receiving this because you joined the Glow skincare club. To
unsubscribe, reply with "unsubscribe" in the subject line.

Glow Aesthetics Clinic, 7 Larkspur Yard, Leeds
"""

NEWSLETTER_HTML = """<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>June skincare notes</title>
<style>body{font-family:Georgia,serif;color:#333}h2{color:#a0526d}</style></head>
<body>
<p>Hello from all of us at Glow,</p>
<h2>Sun protection: your best anti-ageing product</h2>
<p>UVA rays age the skin all year round, even through cloud and window glass.
Use a broad-spectrum <strong>SPF 30 or higher</strong> every morning, reapply every two
hours when you are outdoors, and don&rsquo;t forget your ears, neck and the backs of
your hands.</p>
<h2>Retinol in summer</h2>
<p>Retinol (a form of vitamin A) is one of the best-studied ingredients for fine lines
and uneven tone. It can make skin more sensitive to the sun, so use it in the evening,
start with two or three nights a week, and always follow with SPF the next morning.
If you are pregnant or breastfeeding, pause retinol and ask us about an alternative.</p>
<h2>Summer skin checklist</h2>
<ul>
<li>Swap a rich night cream for a lighter gel moisturiser.</li>
<li>A vitamin C serum in the morning helps with brightness and pollution.</li>
<li>Hyaluronic acid serum on damp skin keeps it hydrated in air conditioning.</li>
<li>If you are prone to breakouts, look for a non-comedogenic sunscreen.</li>
</ul>
<h2>In clinic this month</h2>
<p>Our skin therapists are running free 20-minute skin analysis sessions on Saturdays
in June. Skincare club members get 10% off all SPF products this month.</p>
<p><a href="https://glowclinic.example/book">Book online</a> or call 0113 496 0321.</p>
<hr>
<p style="font-size:small">You are receiving this because you joined the Glow skincare
club. <a href="mailto:news@glowclinic.example?subject=unsubscribe">Unsubscribe</a>.<br>
Glow Aesthetics Clinic, 7 Larkspur Yard, Leeds</p>
</body>
</html>
"""


@sample("clean_newsletter_skincare.eml", "pass")
def _(stem):
    return message(
        stem, sender=NEWS, to=f"Glow skincare club <skincare-club@lists.{CLINIC}>",
        subject="June skincare notes: sun protection, retinol and summer skin",
        date="Mon, 03 Jun 2024 08:00:00 +0100",
        body=NEWSLETTER_TEXT, html=NEWSLETTER_HTML,
        extra=(("List-Unsubscribe", f"<mailto:news@{CLINIC}?subject=unsubscribe>"),))


PRICE_LIST_PDF = make_pdf("Glow Aesthetics Clinic - skin treatment prices, June 2024", [[
    "# Glow Aesthetics Clinic",
    "Skin treatment prices, June 2024",
    "# Consultation",
    "Skin consultation with a nurse practitioner (30 minutes): £30, redeemable against a "
    "treatment booked on the day. Every new client has a consultation first, so that we can "
    "check the treatment is suitable and agree a plan with you.",
    "# Facials",
    "HydraFacial signature (45 minutes): £120\nHydraFacial deluxe with LED (60 minutes): £160",
    "# Chemical peels",
    "Superficial glycolic peel: £85\nCourse of three glycolic peels: £220\n"
    "A patch test is needed at least 48 hours before your first peel.",
    "# Skin needling",
    "Microneedling, full face: £150\nMicroneedling, face and neck: £190",
    "# Good to know",
    "Prices include VAT where it applies. We ask for 48 hours' notice to move or cancel an "
    "appointment. You can pay by card or cash at reception.",
    "7 Larkspur Yard, Leeds - 0113 496 0321 - glowclinic.example",
]], subject="Price list")


@sample("clean_price_list_pdf.eml", "pass")
def _(stem):
    return message(
        stem, sender=RECEPTION, to="Olivia Grant <olivia.grant@example.com>",
        subject="Re: Prices for facials and peels",
        date="Tue, 11 Jun 2024 14:25:00 +0100",
        body=f"""Dear Olivia,

Thank you for getting in touch. As requested, I attach our current price list
for skin treatments.

Everyone new to the clinic starts with a 30-minute consultation with one of
our nurse practitioners, so that we can check a treatment is right for you and
talk through what to expect. Just reply to this email or call 0113 496 0321 if
you would like to arrange one.

Kind regards,
Chloe
Reception
{SIGNATURE_CLINIC}

> On 10 Jun 2024, at 19:02, Olivia Grant <olivia.grant@example.com> wrote:
> Hi, could you send me your prices for facials and chemical peels?
> Thanks, Olivia
""",
        attachments=(Attachment("Glow_price_list_June_2024.pdf", PRICE_LIST_PDF,
                                "application/pdf"),))


# --- findings that must not stop the mail -----------------------------------------------

@sample("pass_referral_to_nhs_net.eml", "pass", "uk_nhs_number", "date_of_birth")
def _(stem):
    return message(
        stem, sender=OKAFOR, to=GP_REFERRALS,
        subject="Referral: changing pigmented lesion, Ms H Lowe",
        date="Thu, 13 Jun 2024 18:05:00 +0100",
        body=f"""Dear Dr Whitlock,

Re: Ms Harriet Lowe
NHS number: {NHS_LOWE}
Date of birth: 14/02/1988
Address: 22 Example Lane, Leeds

I saw Ms Lowe at our clinic today for a skin consultation before a planned
cosmetic treatment. On examination she has a 7mm irregularly pigmented lesion
on the left upper back, with two colours and an irregular border, which she
says has grown over the last three months. I have not treated her and have
postponed any cosmetic treatment.

I would be grateful if you would review her and consider a suspected skin
cancer referral on the two-week pathway. Photographs taken with her consent are
available on request. Ms Lowe knows about this letter.

Yours sincerely,

Dr Amara Okafor MBChB MRCGP
Medical Director, Glow Aesthetics Clinic
0113 496 0320
""")


SUPPLIER_BROCHURE_PDF = make_pdf("Northern Aesthetic Supplies - product update, summer 2024", [[
    "# Northern Aesthetic Supplies - product update, summer 2024",
    "New this season: blunt-tip cannulas in 22G and 25G, now packed in boxes of 20 with "
    "matching entry needles. Trade customers only.",
    "CN-2250 Blunt-tip cannula 22G x 50mm, box of 20: £41.00\n"
    "CN-2550 Blunt-tip cannula 25G x 50mm, box of 20: £38.50\n"
    "GZ-7575 Sterile gauze swabs 7.5 x 7.5cm, 5 x 20: £4.10\n"
    "SB-0005 Sharps bin 5 litre, yellow lid: £6.75",
    "Orders placed before 2pm on a weekday are dispatched the same day. Free delivery on "
    "trade orders over £250.",
    "© 2024 Northern Aesthetic Supplies Ltd",
]], author="Northern Aesthetic Supplies Ltd")


@sample("pass_supplier_brochure_copyright_notice.eml", "pass", "copyright_notice")
def _(stem):
    return message(
        stem, sender=PRIYA, to=ROWAN,
        subject="Fwd: Northern Aesthetic Supplies summer product update",
        date="Mon, 10 Jun 2024 15:45:00 +0100",
        body="""Hi Sam,

You mentioned you were looking for a new cannula supplier. This is the summer
product update Northern sent us last week; their 25G cannulas have been fine
for us and delivery is usually next day.

Best,
Priya

Priya Shah
Practice Manager, Glow Aesthetics Clinic
""",
        attachments=(Attachment("NAS_product_update_summer_2024.pdf", SUPPLIER_BROCHURE_PDF,
                                "application/pdf"),))


@sample("pass_courier_reference_number.eml", "pass", "uk_nhs_number_bare")
def _(stem):
    # The consignment number passes the NHS mod-11 check by chance. No patient or clinical
    # word stands near it (the placeholder cue list includes "clinic", so the signature
    # says "Glow Aesthetics Ltd"), so it is reported at low severity only.
    return message(
        stem, sender=PRIYA, to="Swiftline Couriers <help@swiftline-couriers.example.com>",
        subject=f"Missing parcel, consignment {COURIER_REF}",
        date="Wed, 12 Jun 2024 09:40:00 +0100",
        body=f"""Hello,

Consignment {COURIER_REF} was marked as delivered at 11:42 on Tuesday
11 June, signed for by "J SMITH". Nobody of that name works here, and nothing
arrived at our goods-in door.

The parcel is two boxes of gloves and swabs from Northern Aesthetic Supplies.
Could you check the driver's photo and GPS record and let me know where it was
left? If it cannot be found, please open a claim so that the sender can send a
replacement.

Thanks,
Priya Shah
Practice Manager, Glow Aesthetics Ltd
0113 496 0322
""")


# --- patient data ---------------------------------------------------------------------

@sample("hold_patient_notes_to_personal_email.eml", "hold", "uk_nhs_number", "date_of_birth")
def _(stem):
    return message(
        stem, sender=BETHANY, to="Beth Hale <bethhale.home@example.net>",
        subject="notes to finish at home",
        date="Thu, 13 Jun 2024 19:55:00 +0100",
        body=f"""Sending these to myself so I can finish the write-ups tonight.

Patient: Marcus Bell
DOB: 03/09/1979
NHS no: {NHS_BELL}
13 June: HydraFacial. Mild erythema afterwards, settled before he left.
History: type 2 diabetes (metformin), penicillin allergy.

Patient: Sinead Brannigan
Date of birth: 21 July 1992
NHS number {NHS_BRANNIGAN}
13 June: anti-wrinkle injections, glabella and forehead. Review in 2 weeks.
History: migraine, no known allergies.

B
""")


REFERRAL_PDF = make_pdf("Referral letter - Mr M Bell", [[
    "# Glow Aesthetics Clinic",
    "7 Larkspur Yard, Leeds - 0113 496 0320",
    "13 June 2024",
    "Mr T Adeyemi FRCS (Plast)\nConsultant Plastic Surgeon\nYorkshire Private Hospital (example)",
    "Dear Mr Adeyemi,",
    f"Re: Mr Marcus Bell, date of birth 03/09/1979, NHS number {NHS_BELL}\n"
    "Address: 9 Example Terrace, Leeds",
    "I would be grateful for your opinion on Mr Bell, who has a hypertrophic scar on his "
    "left cheek following a dog bite in 2019. He is keen to know whether scar revision "
    "would improve it. He is otherwise well; he has type 2 diabetes controlled with "
    "metformin and is allergic to penicillin.",
    "We have treated the surrounding skin with a course of microneedling, with modest "
    "improvement in texture but none in the raised scar itself.",
    "Yours sincerely,\n\nDr Amara Okafor\nMedical Director",
]])


@sample("hold_patient_referral_pdf_to_private_hospital.eml", "hold", "uk_nhs_number",
        "date_of_birth")
def _(stem):
    return message(
        stem, sender=OKAFOR,
        to="Plastic Surgery Secretaries <plastics.secretaries@yorkshire-private.example.org>",
        subject="Referral for Mr Bell: scar revision opinion",
        date="Thu, 13 Jun 2024 18:20:00 +0100",
        body="""Dear Mr Adeyemi,

Please find attached my referral letter for Mr Bell. I would be grateful for
an appointment at your next clinic.

Kind regards,
Amara

Dr Amara Okafor
Medical Director, Glow Aesthetics Clinic
""",
        attachments=(Attachment("Referral_M_Bell.pdf", REFERRAL_PDF, "application/pdf"),))


@sample("hold_gp_letter_cc_patient_personal_email.eml", "hold", "uk_nhs_number", "date_of_birth")
def _(stem):
    # To an nhs.net mailbox, but Cc'd to the patient's own address: not every recipient is
    # trusted, so the patient data is held.
    return message(
        stem, sender=OKAFOR, to=GP_REFERRALS, cc="Sinead Brannigan <sinead.b@example.net>",
        subject="For information: filler complication treated, Ms S Brannigan",
        date="Fri, 21 Jun 2024 13:15:00 +0100",
        body=f"""Dear Dr Whitlock,

Re: Ms Sinead Brannigan
NHS number: {NHS_BRANNIGAN}
DOB: 21/07/1992

For your information: Ms Brannigan attended today with blanching and pain in
the left upper lip, 40 minutes after lip filler at another provider. We
diagnosed a probable vascular occlusion and treated it with hyaluronidase
according to our complications protocol. Capillary refill was normal within 30
minutes and she was pain-free when she left.

We will review her tomorrow and again in one week. No action is needed from
you, but please be aware in case she contacts the surgery. As she asked, I have
copied her into this letter.

Yours sincerely,

Dr Amara Okafor
Medical Director, Glow Aesthetics Clinic
0113 496 0320
""")


@sample("hold_date_of_birth_to_finance_company.eml", "hold", "date_of_birth",
        "jigsaw_identification")
def _(stem):
    return message(
        stem, sender=ACCOUNTS,
        to="PayPlan Applications <applications@payplan-finance.example.com>",
        subject="Payment plan application: Olivia Grant",
        date="Mon, 17 Jun 2024 15:30:00 +0100",
        body=f"""Hello,

Please set up a six-month payment plan for the client below. She signed the
credit agreement in person today.

Name: Olivia Grant
Date of birth: 09/11/1990
Address: 5 Example Close, Leeds
Mobile: 07700 900264
Plan: course of three glycolic peels and a HydraFacial, total £340, six
monthly payments

Kind regards,
Accounts team
{SIGNATURE_CLINIC}
""")


# --- copyright ------------------------------------------------------------------------

JOURNAL_PDF = make_pdf(
    "Ultrasound-guided management of filler-related vascular events", [[
        "Journal of Aesthetic Dermatology Practice 12 (2024) 201-214",
        "# Ultrasound-guided management of filler-related vascular events: "
        "a retrospective series of 48 cases",
        "K. Marsh, L. Ibrahim, D. Farrow",
        "# Abstract",
        "Background: Vascular occlusion is the most serious early complication of hyaluronic "
        "acid filler. Methods: We reviewed 48 consecutive events managed in three centres "
        "between 2019 and 2023, comparing ultrasound-guided with landmark-guided treatment. "
        "Results: Ultrasound guidance was associated with a lower total enzyme dose and "
        "faster reperfusion. Conclusions: Where available, duplex ultrasound should guide "
        "the management of suspected vascular events.",
        "© 2024 Elsevier Ltd. All rights reserved.",
    ], [
        "# 1. Introduction",
        "The number of hyaluronic acid filler procedures has grown steadily over the last "
        "decade, and with it the number of vascular complications seen by practitioners. "
        "Landmark-based protocols recommend high-dose pulsed treatment across the whole "
        "affected territory, which can be difficult to judge in the lips and nose.",
        "# 2. Methods",
        "We included every patient treated for a suspected vascular event in the three "
        "participating centres. Case notes were reviewed by two authors independently.",
        "Journal of Aesthetic Dermatology Practice 12 (2024) 201-214. "
        "© 2024 Elsevier Ltd. All rights reserved.",
    ]], author="Elsevier Ltd")


@sample("hold_copyright_journal_article.eml", "hold", "copyright_rights_reserved")
def _(stem):
    return message(
        stem, sender=BETHANY, to=ROWAN,
        subject="Fwd: the ultrasound paper we talked about",
        date="Tue, 18 Jun 2024 20:10:00 +0100",
        body="""Hi Sam,

Here's the paper I mentioned at the training day. The methods section on
ultrasound-guided treatment is the interesting bit.

Beth
""",
        attachments=(Attachment("Marsh_2024_vascular_events.pdf", JOURNAL_PDF,
                                "application/pdf"),))


TEXTBOOK_PDF = make_pdf("Clinical Skin Science for Aesthetic Practitioners, chapter 7", [[
    "Clinical Skin Science for Aesthetic Practitioners, third edition",
    "Edited by R. Fenwick and M. Oyelaran",
    "Hartwell Medical Publishing, London",
    "Copyright © 2022 Hartwell Medical Publishing",
    "No part of this publication may be reproduced, stored in a retrieval system or "
    "transmitted in any form or by any means, electronic, mechanical, photocopying, "
    "recording or otherwise, without the prior written permission of the publisher.",
], [
    "# Chapter 7. Skin types and chemical peels",
    "7.1 The Fitzpatrick scale. The Fitzpatrick classification groups skin by its reaction "
    "to ultraviolet light, from type I, which always burns and never tans, to type VI, "
    "which never burns. It remains the most widely used guide to the risk of "
    "post-inflammatory hyperpigmentation after a peel.",
    "7.2 Choosing a peel depth. Superficial peels act on the epidermis only and are "
    "suitable for most skin types with appropriate preparation. Medium-depth peels reach "
    "the papillary dermis and carry a higher risk of pigment change in types IV to VI.",
]], author="Hartwell Medical Publishing")


@sample("hold_copyright_textbook_chapter.eml", "hold", "copyright_rights_reserved")
def _(stem):
    return message(
        stem, sender=TOM, to="Jess Marlow <jess.marlow@example.com>",
        subject="chapter 7 for your course",
        date="Sat, 15 Jun 2024 10:30:00 +0100",
        body="""Hi Jess,

I scanned chapter 7 of the Hartwell book for you, the bit on skin types and
peels. Saves you buying it for one assignment!

Tom
""",
        attachments=(Attachment("Hartwell_ch7_skin_types_peels.pdf", TEXTBOOK_PDF,
                                "application/pdf"),))


# --- language -------------------------------------------------------------------------

@sample("hold_profanity_to_supplier.eml", "hold", "language_profanity")
def _(stem):
    return message(
        stem, sender=PRIYA, to=SUPPLIER,
        subject="Re: PO-2024-0611 short delivery AGAIN",
        date="Fri, 14 Jun 2024 08:50:00 +0100",
        body="""Hi Dean,

This is the third time this quarter an order has turned up short. We ordered
10 boxes of 25G cannulas and got 4, and the gauze is missing completely. I've
got a full list on Saturday and I've had to ring round other clinics to borrow
stock, which is a shitty position to be in.

Please get the rest of the fucking order out today on a next-day service, at
your cost, and confirm by reply.

Priya
""")


@sample("tag_compliance_memo_quoting_banned_claims.eml", "tag", "misleading_claim")
def _(stem):
    return message(
        stem, sender=OKAFOR, to="Harbour Social <team@harbour-social.example.com>",
        subject="Before you draft the summer posts",
        date="Mon, 17 Jun 2024 09:15:00 +0100",
        body="""Hi both,

A reminder of the rules before you draft anything. Toxin is a prescription-only
medicine, so none of the following, ever, in posts, stories or texts:

- "Botox from £99" or any price for toxin
- "100% safe", "no downtime", "guaranteed results"
- anything aimed at prom or school leavers

Skin boosters and peels are fine to promote to adults, without claims we cannot back up.

Dr Amara Okafor
Medical Director
""")


@sample("pass_internal_handover_with_patient_details.eml", "pass", "date_of_birth")
def _(stem):
    return message(
        stem, sender=BETHANY, to=PRIYA, cc=OKAFOR,
        subject="Handover for Saturday",
        date="Fri, 21 Jun 2024 17:40:00 +0100",
        body="""Priya,

Handover for tomorrow: Hannah Lowe (DOB 14/02/1988) is booked for her lip filler
review at 10:00; she had some swelling on the left after the last session, so
please check before topping up.

Thanks,
Bethany
""")


@sample("pass_handover_copied_to_group_domain.eml", "pass", "date_of_birth")
def _(stem):
    # glowclinic-group.example: the group's other domain (a hyphenated sibling), so inside
    return message(
        stem, sender=BETHANY, to=PRIYA,
        cc="Glow Group Complications Log <complications@glowclinic-group.example>",
        subject="Handover: swelling after lip filler",
        date="Fri, 21 Jun 2024 17:55:00 +0100",
        body="""Priya,

Handover for tomorrow: Rachel Amos (DOB 02/07/1991) had lip filler on Tuesday and
rang today with swelling on the left side. Please review her at 09:30.

Copying the group complications log.

Thanks,
Bethany
""")


@sample("pass_product_training_invite_to_rep.eml", "pass")
def _(stem):
    rep = "Jo Reed <jo.reed@northern-supplies.example.com>"
    invite = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Glow//Diary//EN\r\nMETHOD:REQUEST\r\n"
        "BEGIN:VEVENT\r\nUID:training-0704@glowclinic.example\r\n"
        "DTSTART:20240704T133000Z\r\nDTEND:20240704T150000Z\r\n"
        "SUMMARY:Product training - skin booster technique\r\n"
        f"ORGANIZER;CN=Bethany Hale:mailto:bethany.hale@{CLINIC}\r\n"
        "ATTENDEE;CN=Jo Reed:mailto:jo.reed@northern-supplies.example.com\r\n"
        f"ATTENDEE;CN=Priya Shah:mailto:priya.shah@{CLINIC}\r\n"
        "DESCRIPTION:Hands-on session on the new skin booster. Demo pads provided.\r\n"
        "LOCATION:Glow Aesthetics Clinic\, treatment room 2\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    return message(
        stem, sender=BETHANY, to=rep, cc=PRIYA,
        subject="Invitation: product training - skin booster technique",
        date="Mon, 24 Jun 2024 10:10:00 +0100",
        body="""Hi Jo,

Invite for the skin booster training as discussed.

Thanks,
Bethany
""",
        attachments=(Attachment("invite.ics", invite, "text/calendar"),))


@sample("tag_new_starter_to_payroll.eml", "tag", "date_of_birth")
def _(stem):
    # staff information, not a patient's: a date of birth leaving the clinic is only tagged
    return message(
        stem, sender=ACCOUNTS, to="Payroll <payroll@numbersltd.example.com>",
        subject="New starter for July payroll",
        date="Tue, 25 Jun 2024 11:20:00 +0100",
        body="""Hi,

New starter for July's payroll:

Name: Megan Rowntree
Role: Receptionist (employee)
Start date: 1 July 2024
Date of birth: 19/04/1998
Salary: £24,500 pro rata

Thanks,
Accounts, Glow Aesthetics Clinic
""")


@sample("hold_defamation_about_she_to_supplier.eml", "hold", "defamation")
def _(stem):
    # the claim is about "she": the practitioner named in the sentence before
    return message(
        stem, sender=KIERAN, to=SUPPLIER,
        subject="Re: new account in Headingley",
        date="Wed, 26 Jun 2024 16:05:00 +0100",
        body="""Hi,

Before you open that account: the Headingley clinic is run by Dr Helen Marsh. Between us, she
is a fraud and she has been buying fake Botox online.

Kieran Doyle
Director, Glow Aesthetics Clinic
""")


@sample("pass_takedown_request_to_review_site.eml", "pass")
def _(stem):
    # the defamatory words are the review's, quoted to have it removed: reported, not said
    return message(
        stem, sender=PRIYA, to="Reviews Moderation <moderation@reviewhub.example.com>",
        subject="Request to remove a review",
        date="Thu, 27 Jun 2024 09:40:00 +0100",
        body="""Hello,

We would like to report a review posted on our page on 24 June. It states that our nurse
Bethany Hale "is a fraud who uses fake Botox". None of this is true and the reviewer has
never been our client; please remove it under your guidelines on false statements.

Priya Shah
Practice Manager, Glow Aesthetics Clinic
""")


@sample("hold_shared_course_login.eml", "hold", "copyright_shared_login")
def _(stem):
    return message(
        stem, sender=TOM, to="Kerry Vale <kerry.vale@example.net>",
        subject="Course videos",
        date="Fri, 28 Jun 2024 20:15:00 +0100",
        body="""Hi Kerry, you can use my login for the masterclass video course - username
twhitcombe, password Glow2024! - just don't tell them I shared it x
""")


@sample("hold_licensed_course_manual_forwarded.eml", "hold", "copyright_licence_restricted")
def _(stem):
    manual = make_pdf("Advanced Toxin Techniques - Module 3", [[
        "# Advanced Toxin Techniques - Module 3",
        "Delegate copy. Licensed to Dr Amara Okafor for her own study only. Not for "
        "distribution. (c) 2024 Summit Injector Training Ltd.",
        "Module 3 covers assessment of the upper face, dilution and documentation.",
    ]], author="Summit Injector Training Ltd")
    return message(
        stem, sender=BETHANY, to=ROWAN,
        subject="The course manual you asked about",
        date="Tue, 25 Jun 2024 12:05:00 +0100",
        body="""Hi Rowan,

Here's the module 3 manual from the course Amara did, saves you paying for it.

Bethany
""",
        attachments=(Attachment("Module3.pdf", manual, "application/pdf"),))


@sample("hold_prom_offer_to_newsletter.eml", "hold", "under18_promotion")
def _(stem):
    return message(
        stem, sender=NEWS, to=f"Glow newsletter <newsletter@lists.{CLINIC}>",
        subject="Prom season glow-up",
        date="Mon, 03 Jun 2024 07:30:00 +0100",
        body="""Prom season is here!

Sixth formers: get prom-ready skin with our HydraFacial, only £65 this month.
Book online or call 0113 496 0321.

Bethany Hale, Lead Nurse
Unsubscribe: reply STOP
""",
        extra=(("List-Unsubscribe", f"<mailto:news@{CLINIC}?subject=unsubscribe>"),))


@sample("hold_abusive_reply_to_review.eml", "hold", "language_abuse")
def _(stem):
    # Written with a typographic apostrophe ("You’re"), as Outlook and phones send it.
    return message(
        stem, sender=KIERAN, to="Lauren Pike <lauren.pike@example.com>",
        subject="Your review",
        date="Sun, 16 Jun 2024 23:12:00 +0100",
        body="""Lauren,

I’ve read the one-star review you put up last night. You’re an idiot if you
think anyone believes a word of it. You turned up 25 minutes late, refused the
patch test and then blamed us when your skin went red.

Take it down today. I know where you live.

Kieran Doyle
Director, Glow Aesthetics Clinic
""")


# --- prescription-only medicine advertising --------------------------------------------

BOTOX_TEXT = """Hi gorgeous,

Get summer-ready with our biggest offer of the year!

  * Botox, one area: £99 (usually £180)
  * Botox, three areas: £199
  * Free lip hydration boost with every booking

Limited time: offer ends Sunday 30 June. Book now at glowclinic.example/summer
or call 0113 496 0321.

Bring a friend and you both get £20 off.

Glow Aesthetics Clinic, 7 Larkspur Yard, Leeds
To unsubscribe, reply with STOP.
"""

BOTOX_HTML = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Summer glow-up</title></head>
<body style="font-family:Arial,sans-serif">
<h1 style="color:#d4467a">Get summer-ready with our biggest offer of the year!</h1>
<table>
<tr><td>Botox, one area</td><td><strong>&pound;99</strong> <s>&pound;180</s></td></tr>
<tr><td>Botox, three areas</td><td><strong>&pound;199</strong></td></tr>
<tr><td colspan="2">Free lip hydration boost with every booking</td></tr>
</table>
<p>Limited time: offer ends Sunday 30 June.</p>
<p><a href="https://glowclinic.example/summer" style="background:#d4467a;color:#fff;padding:8px">BOOK NOW</a>
or call 0113 496 0321.</p>
<p>Bring a friend and you both get &pound;20 off.</p>
<p style="font-size:small">Glow Aesthetics Clinic, 7 Larkspur Yard, Leeds.
<a href="mailto:news@glowclinic.example?subject=unsubscribe">Unsubscribe</a></p>
</body></html>
"""


@sample("hold_botox_promotion_to_list.eml", "hold", "pom_promotion")
def _(stem):
    return message(
        stem, sender=NEWS, to=f"Glow VIP clients <vip@lists.{CLINIC}>",
        subject="Summer glow-up: Botox from £99, this week only!",
        date="Mon, 24 Jun 2024 07:30:00 +0100",
        body=BOTOX_TEXT, html=BOTOX_HTML,
        extra=(("List-Unsubscribe", f"<mailto:news@{CLINIC}?subject=unsubscribe>"),))


@sample("hold_wrinkle_relaxing_euphemism_promotion.eml", "hold", "pom_promotion")
def _(stem):
    return message(
        stem, sender=NEWS, to=f"Glow newsletter <newsletter@lists.{CLINIC}>",
        subject="Tweakment season: wrinkle-relaxing injections from £99",
        date="Mon, 01 Jul 2024 07:30:00 +0100",
        body="""Hi lovely,

Tweakment season is here! Our wrinkle-relaxing injections soften frown lines,
forehead lines and crow's feet, with natural-looking results in two weeks.

  * Wrinkle-relaxing injections, one area: £99
  * Three areas: £199
  * Brotox for the boys, two areas: £159

Offer valid until 31 July. Book now online or call 0113 496 0321.

Glow Aesthetics Clinic, 7 Larkspur Yard, Leeds
To unsubscribe, reply with STOP.
""",
        extra=(("List-Unsubscribe", f"<mailto:news@{CLINIC}?subject=unsubscribe>"),))


@sample("hold_weight_loss_jab_promotion.eml", "hold", "pom_promotion")
def _(stem):
    return message(
        stem, sender=NEWS, to=f"Glow newsletter <newsletter@lists.{CLINIC}>",
        subject="New: doctor-led weight loss injections at Glow",
        date="Mon, 08 Jul 2024 07:30:00 +0100",
        body="""Hi there,

Our new doctor-led weight loss programme starts this month.

Mounjaro weight loss injections from £149 a month, with a free first
consultation and monthly check-ins with our prescriber. Spaces are limited, so
book now to secure yours.

Call 0113 496 0321 or book online at glowclinic.example/weightloss.

Glow Aesthetics Clinic, 7 Larkspur Yard, Leeds
To unsubscribe, reply with STOP.
""")


# --- attachments ----------------------------------------------------------------------

CONSENT_DOCX = make_docx([
    "Glow Aesthetics Clinic - consent form: superficial chemical peel",
    "I confirm that the treatment, its expected results and its risks have been explained "
    "to me, and that I have had the chance to ask questions.",
    "Signed: ______________________   Date: ____________",
])


@sample("tag_pdf_name_but_word_document.eml", "tag", "attachment_type_mismatch")
def _(stem):
    return message(
        stem, sender=RECEPTION, to="Daniel Osei <daniel.osei@example.com>",
        subject="Consent form for your peel on Friday",
        date="Tue, 18 Jun 2024 10:05:00 +0100",
        body=f"""Dear Daniel,

Please find attached the consent form for your chemical peel on Friday 21
June at 10am. Please read it, sign it and bring it with you, or sign it when
you arrive.

Kind regards,
Chloe
Reception
{SIGNATURE_CLINIC}
""",
        attachments=(Attachment("Glow_consent_form_peel.pdf", CONSENT_DOCX, "application/pdf"),))


TREATMENT_RECORD_PDF = encrypt_pdf(make_pdf("Treatment record - Marcus Bell", [[
    "# Glow Aesthetics Clinic - treatment record",
    f"Marcus Bell, NHS number {NHS_BELL}",
    "13 June 2024: skin consultation and HydraFacial (signature). Mild erythema afterwards, "
    "settled before discharge. Aftercare advice given verbally and in writing.",
]]), "Larkspur-2024")


@sample("hold_encrypted_pdf.eml", "hold", "pdf_encrypted")
def _(stem):
    return message(
        stem, sender=BETHANY, to="Marcus Bell <marcus.bell@example.org>",
        subject="Your treatment record (password protected)",
        date="Mon, 17 Jun 2024 12:40:00 +0100",
        body="""Dear Marcus,

As you asked, here is a copy of your treatment record. The PDF is password
protected; I will text you the password separately.

Best wishes,
Bethany Hale
Aesthetic Nurse Practitioner, Glow Aesthetics Clinic
""",
        attachments=(Attachment("Treatment_record_M_Bell.pdf", TREATMENT_RECORD_PDF,
                                "application/pdf"),))


@sample("hold_executable_exe.eml", "hold", "attachment_executable")
def _(stem):
    return message(
        stem, sender=PRIYA, to=ROWAN,
        subject="Booking sync installer",
        date="Wed, 19 Jun 2024 16:05:00 +0100",
        body="""Hi Sam,

Here's the installer our IT contractor used to sync the booking diary with
the card machine. Run it on the reception PC and it should find the diary by
itself.

Priya
""",
        attachments=(Attachment("BookingSyncSetup.exe", HARMLESS_EXE,
                                "application/octet-stream"),))


@sample("hold_shell_script.eml", "hold", "attachment_executable")
def _(stem):
    return message(
        stem, sender=TOM, to="Pixelworks IT Support <support@pixelworks-it.example.com>",
        subject="Backup script failing on the photo PC",
        date="Thu, 20 Jun 2024 09:25:00 +0100",
        body="""Hi Raj,

I've attached the backup script you asked me to run on the photo PC. It stops
with "permission denied" every time. Could you have a look?

Thanks,
Tom Whitcombe
Skin Therapist, Glow Aesthetics Clinic
""",
        attachments=(Attachment("backup_photos.sh", HARMLESS_SH, "application/x-sh"),))


@sample("hold_corrupt_pdf.eml", "hold", "attachment_unreadable")
def _(stem):
    return message(
        stem, sender=RECEPTION, to="Daniel Osei <daniel.osei@example.com>",
        subject="Copy of your signed consent form",
        date="Fri, 21 Jun 2024 12:10:00 +0100",
        body=f"""Dear Daniel,

As requested, here is a scanned copy of the consent form you signed today.

Kind regards,
Chloe
Reception
{SIGNATURE_CLINIC}
""",
        attachments=(Attachment("Signed_consent_scan.pdf", TRUNCATED_PDF, "application/pdf"),))


# --- output ---------------------------------------------------------------------------

def build_all() -> dict[str, bytes]:
    names = [s.file for s in SAMPLES]
    assert len(names) == len(set(names)), "duplicate sample file name"
    files = {s.file: s.build(s.file.removesuffix(".eml")) for s in SAMPLES}
    expected = {s.file: {"action": s.action, "rules": list(s.rules)}
                for s in sorted(SAMPLES, key=lambda s: s.file)}
    files["expected.json"] = (json.dumps(expected, indent=2) + "\n").encode()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file in --out differs from a rebuild")
    args = parser.parse_args(argv)
    files = build_all()
    if args.check:
        stale = [n for n, data in files.items()
                 if not (args.out / n).is_file() or (args.out / n).read_bytes() != data]
        extra = sorted(p.name for p in args.out.glob("*.eml") if p.name not in files)
        for name in stale:
            print(f"differs from a rebuild: {name}", file=sys.stderr)
        for name in extra:
            print(f"not built by make_samples.py: {name}", file=sys.stderr)
        return 1 if stale or extra else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(files) - 1} messages and expected.json to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
