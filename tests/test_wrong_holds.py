"""Causes of clean mail held that the leave-writers-out folds showed (issue 22, sixth
session), each with the violation beside it that must still be found: a refusal saying the
medicine may not be advertised, a colleague copied in on a patient's own mail, post-nominals,
the evidence attached to a report, a surgeon named by title, the fit note sent with payroll
changes, a short form of the patient's name, and a greeting drawn out as typed."""
from __future__ import annotations

from gateway.decision.policy import Action
from scanners import people, quoting, tables
from tests.harness import decided


def mail(body: str, to: str, sender: str = "Kim Hale <kim@larchskin.example>",
         cc: str = "", subject: str = "Re: your message", attachment: tuple | None = None) -> bytes:
    head = f"From: {sender}\r\nTo: {to}\r\n" + (f"Cc: {cc}\r\n" if cc else "") + \
        f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
    if attachment is None:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    name, text = attachment
    return (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
            f'--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; '
            f'filename="{name}"\r\n\r\n{text}\r\n--b--\r\n').encode()


def actions(bodies: list[str], to: str, sender: str) -> list[Action]:
    return [decided(mail(body, to, sender=sender)).action for body in bodies]


def test_a_refusal_that_says_the_medicine_may_not_be_advertised_is_not_an_advert():
    refusal = ("Hi Craig,\n\nThanks for the meeting. Your members get 10% off skincare at the "
               "counter, but neither of us can promote our prescription weight-loss service at "
               "the gym: no posters and nothing on your Instagram.\n\nFiona")
    # the same offer made, not refused, is an advert
    advert = refusal.replace("but neither of us can promote our prescription weight-loss "
                             "service at the gym: no posters and nothing on your Instagram",
                             "and our prescription weight-loss service is 10% off too: put "
                             "it on the posters")
    assert actions([refusal, advert], "Craig <craig@riversidegym.example>",
                   "Fiona Urquhart <fiona@dalneighpharmacy.example>") == [Action.PASS, Action.HOLD]
    for said in ("we cannot advertise Botox", "it may not lawfully be advertised",
                 "the law forbids advertising it to the public", "I'm not allowed to promote it",
                 "we can't advertise it"):
        assert quoting.reporting(said, []).startswith("says"), said
    for said in ("we advertise in the parish magazine", "I can promote your class on Facebook"):
        assert quoting.reporting(said, []) == "", said


def test_a_colleague_copied_in_on_a_patients_own_mail_does_not_make_it_a_leak():
    body = ("Dear Ms Rudd,\n\nTiffany Rudd, your lip filler review is booked for Tuesday at "
            "10:00; your aftercare sheet is attached.\n\nKim")
    to = "Tiffany Rudd <tiffany.rudd@mailbox.example>"
    alone = decided(mail(body, to))
    assert alone.action is Action.TAG, alone
    colleague = decided(mail(body, to, cc="Jo Reed <jo.reed@larchskin.example>"))
    assert colleague.action is Action.TAG, colleague
    # someone outside the clinic copied in: her data reaches another reader
    friend = decided(mail(body, to, cc="Sam <sam.friend@mailbox.example>"))
    assert friend.action is Action.HOLD, friend


def test_post_nominals_make_a_name_a_professionals():
    text = ("Speakers: Kerry Batten NIP on documentation after a ptosis reaction, and Helen "
            "Gedge MRPharmS on reconstitution.")
    names = people.find(text)
    staff = [n.text for n in names if people.practitioner_by_position(text, n, [], [])]
    assert staff == ["Kerry Batten", "Helen Gedge"], [n.text for n in names]
    # a record's own labels and shouted words are not letters after a name
    for text in ("Jane Hale DOB 02/03/1980 had filler", "Jane Hale IS furious about her filler",
                 "Jane Hale NHS 999 123 4567, filler"):
        assert not any(people.practitioner_by_position(text, n, [], [])
                       for n in people.find(text)), text


def test_the_screenshot_attached_to_a_report_is_its_evidence_not_the_senders_offer():
    report = ("Dear Sir or Madam,\n\nI wish to complain about an advert by a training provider "
              "recruiting model patients. The post reads \"Botox model day, 3 areas only £99!\". "
              "Its hashtags appear to be aimed at teenagers. A screenshot is attached.\n\n"
              "Graham Thackray\nCourse Director")
    shot = "Botox model day this Sunday! 3 areas only £99 #promready #sixthformglowup"
    v = decided(mail(report, "ASA Complaints <complaints@asa-online.example>",
                     attachment=("post.txt", shot)))
    assert v.action is not Action.HOLD, v
    # the same words as the sender's own copy to a printer are an advert to teenagers
    own = decided(mail("Flyer text for the sixth form: " + shot,
                       "Print <orders@quickprint.example>"))
    assert own.action is Action.HOLD, own


def test_a_surgeon_named_by_title_once_as_staff_is_staff_throughout():
    body = ("Dear Mr Proudlock,\n\nThank you for your email about your PRP session, which I "
            "have discussed with Mr Pennington. We are sorry the bruising was not explained. "
            "As a gesture of goodwill we will offer a review appointment with Mr Pennington "
            "at no charge.\n\nLorraine Tait\nClinic Manager")
    v = decided(mail(body, "Gavin Proudlock <gav.proudlock@mailbox.example>"))
    assert v.action is Action.TAG, v
    # a patient of another name, with a treatment, to him still holds
    other = body.replace("discussed with Mr Pennington.",
                         "discussed with Mr Pennington. Mrs Ovenden had PRP the same day.")
    assert decided(mail(other, "Gavin Proudlock <gav.proudlock@mailbox.example>")).action \
        is Action.HOLD


def test_the_fit_note_sent_with_payroll_changes_is_a_staff_record():
    body = ("Hi Graham,\n\nNovember payroll changes:\n1. Jade Okonkwo (employee AGA-0022): "
            "sickness absence from 12 October, SSP from 10 November. Fit note attached.\n"
            "2. Rebecca Thornley: new starter 30 November, 0.8 FTE.\n\nHelen\nPractice Manager")
    note = ("Statement of fitness for work\nPatient: Jade Okonkwo\nCondition: anxiety, lumbar "
            "disc prolapse\nNot fit for work until 7 December")
    v = decided(mail(body, "Graham Pugh <graham@payroll-bureau.example>",
                     attachment=("fitnote.txt", note)))
    assert v.action is not Action.HOLD, v
    # the same note about a patient, with no payroll or HR words, is a patient's record
    alone = decided(mail("Hi Graham,\n\nSee attached.\n\nHelen",
                         "Graham Pugh <graham@payroll-bureau.example>",
                         attachment=("fitnote.txt", note.replace("fitness for work",
                                                                 "treatment"))))
    assert alone.action is Action.HOLD, alone


def test_her_records_under_the_full_form_of_her_name_are_hers():
    body = ("Dear Mrs Chisholm,\n\nYou asked for a copy of everything we hold about you; it is "
            "attached.\n\nFiona Urquhart\nPharmacist")
    record = ("Patient medication record\nName: Euphemia Chisholm\nDOB 04/09/1941\n"
              "Warfarin 3 mg daily\nAddress: 4 Glen Road, Cannich IV4 7LN")
    to = "Effie Chisholm <effie.chisholm@mailbox.example>"
    v = decided(mail(body, to, attachment=("records.txt", record)))
    assert v.action is Action.TAG, v
    # another given name of the same family is someone else
    other = decided(mail(body, to, attachment=("records.txt", record.replace("Euphemia",
                                                                             "Morag"))))
    assert other.action is Action.HOLD, other


def test_a_greeting_drawn_out_as_typed_is_a_greeting():
    assert people.salutation_names("heyyy sasha!! so excited", opening=True) == \
        [(6, 11, "sasha")]
    assert [n for _, _, n in people.salutation_names("Hiyaaa Jo,\nHellooo Meg")] == ["Jo", "Meg"]
    # an opening name is not a greeting
    assert [n for _, _, n in people.salutation_names("Heather said yes", opening=True)] == \
        ["Heather"]


def test_contacts_given_for_work_are_not_patients_numbers():
    sheet = ("Name\tRole\tMobile\tEmail\n"
             "Jess Okafor\tClinical lead\t07700 900312\tjess@kindskin.example\n"
             "Dean Pettifer\tReception\t07700 900144\tdean@kindskin.example\n")
    body = "Hi Hannah,\n\nThe staff contacts sheet is attached so you can reach any of us.\n\nJess"
    v = decided(mail(body, "Hannah Ikeda <hannah.ikeda@mailbox.example>",
                     sender="Jess Okafor <jess@kindskin.example>",
                     attachment=("contacts.tsv", sheet)))
    assert v.action is Action.PASS, v
    # the same sheet of clients' numbers (their own mailboxes) is patient data
    clients = sheet.replace("Clinical lead", "Lip filler").replace("Reception", "Botox") \
        .replace("kindskin.example", "mailbox.example")
    v = decided(mail(body, "Hannah Ikeda <hannah.ikeda@mailbox.example>",
                     sender="Jess Okafor <jess@kindskin.example>",
                     attachment=("contacts.tsv", clients)))
    assert v.action is Action.HOLD, v
    card = ("Name: Dr Catriona Baird\nOrganisation: The Cavell Practice\nJob title: Consultant "
            "Dermatologist\nPhone: 020 7946 0424\nAddress: 118 Harley Street, London W1G 7JL\n")
    assert tables.work_contacts(card, set()) == [(0, len(card))]
    assert tables.work_contacts(card.replace("Job title: Consultant Dermatologist\n", ""),
                                set()) == []


def test_a_treatment_word_in_the_name_of_a_journal_is_not_a_patients_treatment():
    body = ("Hello,\n\nPlease renew our subscription to the Journal of Aesthetic Injectables. "
            "The named users are unchanged: Graham Thackray, Imran Bashir and Bernadette "
            "Kowalczyk.\n\nKayleigh Robinson\nBookings")
    # the same names with an injectable done to them are patients
    treated = body.replace("The named users are unchanged:", "Injectables booked for")
    assert actions([body, treated], "Subscriptions <subscriptions@hmpress.example>",
                   "Kayleigh Robinson <kayleigh@aireacademy.example>") == [Action.PASS, Action.HOLD]


def test_a_safety_notice_that_offers_nothing_is_not_an_advert():
    notice = ("Assalamu alaikum Brother Tariq,\n\nHere is a short health notice for the "
              "newsletter. It does not mention our clinic or any offer. Several sisters became "
              "unwell after buying so-called Ozempic pens on social media. These are "
              "prescription-only medicines; report side effects through the MHRA Yellow Card "
              "scheme.\n\nNasreen")
    to = "Newsletter <newsletter@stratfordroadmasjid.example>"
    assert decided(mail(notice, to)).action is Action.PASS
    offer = notice.replace("It does not mention our clinic or any offer.",
                           "Mention our clinic's offer: Ozempic from £99 a month.")
    assert decided(mail(offer, to)).action is Action.HOLD
