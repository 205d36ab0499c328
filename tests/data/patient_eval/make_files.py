"""Builds the message half of the patient-data evaluation set: *.eml (some with PDFs made with
fpdf2) and files.json, the rules each must raise at high severity. Deterministic; run it
again after editing and commit the output:

    .venv/bin/python tests/data/patient_eval/make_files.py

Every person, address and number is invented: NHS numbers from the 999 test range, phone
numbers from Ofcom's drama ranges, addresses at example domains.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).parent
CLINIC = "glowclinic.example"
FROM = "Glow Aesthetics Clinic <reception@glowclinic.example>"
SIGNATURE = "\n\nKind regards,\nReception team\nGlow Aesthetics Clinic\n7 Larkspur Yard, Leeds LS1 4AB\n0113 496 0321"
FILES: dict[str, list[str]] = {}


def pdf(title: str, paragraphs: list[str]) -> bytes:
    doc = FPDF(format="A4")
    doc.set_creation_date(datetime(2024, 6, 1, tzinfo=timezone.utc))
    doc.set_producer("mailscreen patient_eval")
    doc.set_title(title)
    doc.set_margins(20, 20, 20)
    doc.add_page()
    doc.set_font("Helvetica", "", 10)
    for para in paragraphs:
        doc.multi_cell(0, 5, para, new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    return bytes(doc.output())


def mail(stem: str, high: list[str], *, to: str, subject: str, body: str, cc: str = "",
         html: str = "", pdfs: tuple[tuple[str, bytes], ...] = (), sender: str = FROM) -> None:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = "Mon, 17 Jun 2024 10:00:00 +0100"
    msg["Message-ID"] = f"<{stem}@{CLINIC}>"
    msg["MIME-Version"] = "1.0"
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, data in pdfs:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_patient_eval_{stem}_{i}")
    (HERE / f"{stem}.eml").write_bytes(msg.as_bytes(policy=SMTP))
    FILES[f"{stem}.eml"] = sorted(high)


def build() -> None:
    mail("referral_pdf_private_hospital",
         ["uk_nhs_number", "date_of_birth", "patient_name_clinical", "uk_postcode_address",
          "jigsaw_identification"],
         to="Bookings <bookings@harrogate-private.example.com>", subject="Referral",
         body="Please find our referral attached." + SIGNATURE,
         pdfs=(("referral.pdf", pdf("Referral", [
             "Referral to Mr K Adeyemi, Consultant Plastic Surgeon",
             "Patient: Natasha Greenwood",
             "Date of birth: 14/04/1986    NHS number: 999 444 2198",
             "Address: 27 Willow Crescent, Harrogate HG2 7QA",
             "Natasha Greenwood developed a nodule after cheek filler in March which has not "
             "settled with hyaluronidase. Please assess for surgical removal.",
             "Dr Amara Okafor, Medical Director"])),))
    mail("consent_form_pdf_to_personal_email",
         ["date_of_birth", "patient_name_clinical", "phone_number", "uk_postcode_address",
          "jigsaw_identification"],
         to="Bethany <beth.h.1990@example.net>", subject="consent form to check at home",
         body="Can you check this one tonight? Thanks",
         pdfs=(("consent.pdf", pdf("Consent", [
             "CONSENT FORM - BOTULINUM TOXIN",
             "Client name: Megan Lloyd    Date of birth: 02/02/1994",
             "Address: 8 Ash Lane, Otley LS21 3BB    Mobile: 07700 900717",
             "Medical history: migraine, no allergies. Treatment: anti-wrinkle injections, "
             "forehead and glabella.", "Signed: M Lloyd    Date: 10/06/2024"])),))
    mail("price_list_pdf", [], to="Newsletter list <list@glowclinic.example>",
         subject="Our summer price list", body="Our summer price list is attached." + SIGNATURE,
         pdfs=(("prices.pdf", pdf("Prices", [
             "Glow Aesthetics Clinic - Summer prices", "Anti-wrinkle injections, 1 area: £180",
             "Dermal filler, 1ml: £250", "Profhilo, 2 sessions: £500",
             "HydraFacial signature: £120", "7 Larkspur Yard, Leeds LS1 4AB - 0113 496 0321"])),))
    mail("supplier_invoice_pdf", [], to="Accounts <accounts@glowclinic.example>",
         sender="Northern Aesthetic Supplies <invoices@nas-supplies.example.com>",
         subject="Invoice 0914645102", body="Invoice attached. Order ref 3274329789.",
         pdfs=(("invoice.pdf", pdf("Invoice", [
             "Northern Aesthetic Supplies Ltd, 22 Canal Street, Manchester M1 3HE",
             "Tel 0161 496 0555    VAT 999 0593 81", "Invoice number: 0914645102",
             "Order: 3274329789    Date: 14/06/2024    Due: 14/07/2024",
             "10 x Bocouture 50u   20 x 30G needles   5 x gloves (M)",
             "Batch 2581459433, expiry 03/2026"])),))
    mail("patient_list_in_body", ["date_of_birth", "phone_number"],
         to="Marketing Agency <team@shinymarketing.example.com>",
         subject="the list you asked for",
         body="Here's the list you asked for, for the mailing:\n\n"
              "Lucy Hartley, 04/05/1993, 07700 900111\nJenna Moss, 17/03/1989, 07700 900112\n"
              "Kerry Lund, 22/09/1979, 07700 900113\nPaula Reyes, 01/12/1990, 07700 900114\n"
              "\nThanks")
    mail("adverse_event_report_initials", [],
         to="Pharmacovigilance <safety@toxinmaker.example.com>",
         subject="Adverse event report, batch C4471",
         body="Reporter: Glow Aesthetics Clinic.\nPatient initials: J.S., female, age 41.\n"
              "Product: botulinum toxin, batch C4471, expiry 09/2025.\n"
              "Event: ptosis of the left eyelid 9 days after treatment of the glabella; "
              "resolving at 6 weeks.\nNo other medication." + SIGNATURE)
    mail("staff_rota_with_mobiles", [], to="Team <staff@glowclinic.example>",
         sender="Priya Shah <priya.shah@glowclinic.example>", subject="Rota w/c 24 June",
         body="Mon: Bethany Hale 9-5, Tom Reid 10-6\nTue: Dr Amara Okafor 12-8\n"
              "On call: Bethany Hale 07700 900518, Tom Reid 07700 900733\n"
              "Filler training with Bethany on Wednesday.\n\nThanks,\nPriya Shah\nPractice Manager")
    mail("newsletter_treatments", [], to="Newsletter <newsletter@glowclinic.example>",
         subject="Glow news: summer skin",
         body="Summer is here! Our nurse Bethany Hale shares five tips for protecting your skin.\n"
              "New this month: polynucleotides for the under-eye area, and a HydraFacial "
              "offer.\nBook on 0113 496 0321 or at glowclinic.example." + SIGNATURE)
    mail("appointment_confirmation_first_name", [],
         to="Sarah Jones <sarah.jones@example.com>", subject="Your appointment",
         body="Dear Sarah,\n\nYour lip filler review with Bethany Hale is confirmed for "
              "Wednesday 12 March 2025 at 10:30.\nPlease arrive five minutes early." + SIGNATURE)
    mail("aftercare_dear_mrs_jones", ["jigsaw_identification"],
         to="Sarah Jones <sarah.jones@example.com>", subject="Your aftercare",
         body="Dear Mrs Jones,\n\nThank you for coming in today. After your lip filler, avoid "
              "make-up for 12 hours; some swelling and bruising is normal." + SIGNATURE)
    mail("gp_letter_nhs_net",
         ["uk_nhs_number", "date_of_birth", "jigsaw_identification", "patient_name_clinical"],
         to="Surgery <example.surgery.referrals@nhs.net>", subject="Your patient",
         body="Dear Dr Whitlock,\n\nPatient: Ms Harriet Lowe\nDate of birth: 14/02/1988\n"
              "NHS number: 999 012 3454\n\nMs Lowe had a skin consultation today; we found a "
              "pigmented lesion and have postponed her laser treatment. Please review.\n\n"
              "Yours sincerely,\nDr Amara Okafor\nMedical Director")
    mail("complaint_to_insurer",
         ["jigsaw_identification", "phone_number", "uk_postcode_address"],
         to="Claims <claims@medinsure.example.com>", subject="Possible claim",
         body="Mr Dean Holt, 44 Station Road, Ilkley LS29 8HB (mobile 07700 900321) says he "
              "had an infection after his thread lift on 3 June and intends to claim.\n"
              "Our notes are available on request." + SIGNATURE)
    mail("before_after_to_agency", ["jigsaw_identification"],
         to="Shiny <team@shinymarketing.example.com>", subject="website photos",
         body="Can we use Lauren Hughes's before and after photos from her lip filler on the "
              "new website? She signed the photo consent." + SIGNATURE)
    mail("courier_consignment", [], to="Couriers <help@swiftline.example.com>",
         subject="Missing parcel 5386041738",
         body="Consignment 5386041738 was marked delivered but never arrived; the sender's "
              "order number is 7422903287." + SIGNATURE)
    mail("order_numbers_and_dates", [], to="Orders <orders@nas-supplies.example.com>",
         subject="PO 45521",
         body="Please supply: 10 x Bocouture 50u (batch 9999069584, expiry 01/10/2025), "
              "20 x 30G needles. Delivery by 21/06/2024 to goods in. PO dated 14/06/2024."
              + SIGNATURE)
    # staff information, not a patient's (POLICY.md): a tag at most, never high
    mail("payroll_to_accountant", [],
         to="Payroll <payroll@numbersltd.example.com>", subject="new starter",
         body="New starter from Monday: Jade Hutchinson, receptionist.\n"
              "NI number: JK 98 76 54 D\nDate of birth: 02/02/1999\nTax code 1257L." + SIGNATURE)
    mail("register_match_booking_agency", ["patient_register_match"],
         to="Bookings <book@callcentre.example.com>", subject="callback",
         body="Daniel Okoro would like to move his appointment; his mobile is 07700 900888."
              + SIGNATURE)
    mail("cpd_case_study_anonymised", [], to="Academy <cpd@aesthetics-academy.example.com>",
         subject="Case study for the CPD evening",
         body="Case: a 34-year-old woman developed blanching and pain 20 minutes after 1ml of "
              "lip filler. Vascular occlusion was treated with 1500 units of hyaluronidase and "
              "resolved within 48 hours. Learning points attached." + SIGNATURE)
    mail("cpd_case_study_named", ["jigsaw_identification"],
         to="Academy <cpd@aesthetics-academy.example.com>", subject="Case study",
         body="Case: Rebecca Stone, one of our regulars, developed a vascular occlusion after "
              "lip filler last month. Photos attached with her consent." + SIGNATURE)
    mail("conference_speakers", [], to="Team <staff@glowclinic.example>",
         subject="Conference line-up",
         body="Speakers: Dr Sarah Jones on managing complications, Professor Mark Hill on "
              "toxin resistance, and Dr Amara Okafor on consent.\nTickets £95." + SIGNATURE)
    mail("hospital_letter_mrn_pdf",
         ["medical_record_number", "date_of_birth", "patient_name_clinical",
          "jigsaw_identification"],
         to="Ms Nadia Karim <nadia.karim.home@example.com>", cc="Records <records@glowclinic.example>",
         subject="Discharge letter",
         body="Attached, as discussed." + SIGNATURE,
         pdfs=(("discharge.pdf", pdf("Discharge", [
             "St Example's Hospital - Discharge summary", "Patient: Nadia Karim",
             "Hospital No.: K4829131    DOB: 19/09/1984",
             "Admitted with cellulitis of the cheek after dermal filler; treated with "
             "intravenous antibiotics."])),))
    mail("invoice_with_client_address", ["uk_postcode_address", "jigsaw_identification"],
         to="Fiona Clarke <fiona.clarke@example.org>", subject="Invoice INV-2024-0458",
         body="Invoice to: Mrs Fiona Clarke, 12 Orchard Road, Harrogate HG2 8PL\n\n"
              "Lip filler 1ml  £250.00\nPaid by card  -£250.00" + SIGNATURE)
    mail("html_patient_table",
         ["uk_nhs_number", "date_of_birth", "patient_name_clinical"],
         to="Locum <locum.nurse@example.net>", subject="today's list",
         body="See the HTML version.",
         html="<html><body><p>Today's patients:</p><table>"
              "<tr><th>Patient</th><th>DOB</th><th>NHS</th></tr>"
              "<tr><td>Patient: Owen Price</td><td>DOB 03/03/1977</td><td>NHS 999 879 0166</td></tr>"
              "</table></body></html>")
    mail("ni_lookalike_codes", [], to="Stores <stores@nas-supplies.example.com>",
         subject="Part codes",
         body="Please send parts TN 12 34 56 B and GB 12 34 56 A, and model DX 55 66 77 C."
              + SIGNATURE)
    mail("supplier_contacts_list", [], to="Team <staff@glowclinic.example>",
         subject="Supplier contacts",
         body="Mark Jones, Account Manager, Teoxane UK, 07700 900901, mark.jones@teoxane.example\n"
              "Karen Bright, Sales Representative, Galderma, 07700 900902\n"
              "Order line: 0161 496 0555" + SIGNATURE)
    (HERE / "files.json").write_text(json.dumps(FILES, indent=1, sort_keys=True) + "\n",
                                     encoding="utf-8")


if __name__ == "__main__":
    build()
