"""Recipient roles from what a person would read (gateway/roles.py, issue 22): each
role from the domain, from the address's own words (local part, display name), and from the
greeting and the words of the mail; and the hard negatives, which matter as much, since a
role unlocks the disclosure of patient data: patients called Mr Coroner, threats to call the
police, advice to see a GP, a patient's car insurance, webmail, Cc, spoofed domains."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.config import HEALTH_SERVICE_DOMAINS
from gateway.roles import (
    ROLES,
    Recipient,
    RoleMatch,
    domains,
    lookalike,
    roles,
)
from scanners import lexicon

CLINIC = ("meadowskin.example",)


def role_of(address: str, text: str = "Hello,\n\nPlease see attached.", name: str = "",
            **kw) -> str:
    found = roles([Recipient(address, name)], text, own_domains=CLINIC, **kw)
    match = found.get(address.lower())
    return match.role if match else ""


def match_of(address: str, text: str, name: str = "") -> RoleMatch | None:
    return roles([Recipient(address, name)], text, own_domains=CLINIC).get(address.lower())


# -- from the domain --------------------------------------------------------------------------

@pytest.mark.parametrize("address, role", [
    ("dc.patel@kent.police.uk", "police"),
    ("disclosure@psni.police.uk", "police"),
    ("enquiries@scotland.police.uk", "police"),
    ("someone@police.uk", "police"),
    ("jo.bloggs@nhs.net", "health_service"),
    ("jo.bloggs@nhs.scot", "health_service"),
    ("jo.bloggs@wales.nhs.uk", "health_service"),
    ("jo.bloggs@hscni.net", "health_service"),
    ("ftp@gmc-uk.org", "regulator"),
    ("fitness.to.practise@nmc-uk.org", "regulator"),
    ("case@pharmacyregulation.org", "regulator"),
    ("registrations@jccp.org.uk", "regulator"),
    ("listing@justice.gov.uk", "court"),
    ("advice@themdu.com", "medical_defence"),
    ("advice@mddus.com", "medical_defence"),
    ("claims@medicalprotection.org", "medical_defence"),
    ("claims@hamilton-fraser.co.uk", "insurer"),
    ("Clerk@Manchester.Justice.GOV.UK.", "court"),  # case and a trailing dot
])
def test_a_role_domain_and_its_subdomains_give_the_role(address, role):
    match = match_of(address, "Dear Jo,\n\nPlease see attached.")
    assert match and match.role == role and match.source == "domain"


def test_the_domain_is_the_cue():
    match = match_of("dc.patel@kent.police.uk", "Hi")
    assert match.cue == "domain 'kent.police.uk'"


def test_the_health_service_domains_of_the_config_are_in_the_data():
    assert set(HEALTH_SERVICE_DOMAINS) <= set(domains("health_service"))


# -- from the local part and the display name --------------------------------------------------

@pytest.mark.parametrize("address", ["coroners@westsussex.gov.uk", "coroner@kent.gov.uk",
                                     "hmcoroner@county.gov.uk", "coroners.office@city.gov.uk",
                                     "kentcoroners@kent.gov.uk", "solicitors@smithlaw.example"])
def test_the_local_part_names_the_role(address):
    match = match_of(address, "Hello,\n\nPlease see attached.")
    assert match and match.source == "local part"
    assert match.role == ("solicitor" if "law" in address else "coroner")
    assert match.cue == f"local part '{address.partition('@')[0]}'"


@pytest.mark.parametrize("name, role", [
    ("Coroner's Officer", "coroner"),
    ("Jane Smith (Coroners Office)", "coroner"),
    ("PC 1234 Jones", "police"),
    ("DC Smith", "police"),
    ("Police Scotland Disclosure", "police"),
    ("PSNI Data Protection", "police"),
    ("Medical Defence Union", "medical_defence"),
    ("Indemnity claims", "medical_defence"),
    ("Claims Handler", "insurer"),
    ("Parry & Co Solicitors", "solicitor"),
    ("Riverside GP Practice", "gp_practice"),
    ("The Old Mill Surgery", "gp_practice"),
    ("General Medical Council", "regulator"),
    ("Hywel Dda University Health Board", "health_service"),
    ("Cardiff Crown Court", "court"),
])
def test_the_display_name_names_the_role(name, role):
    match = match_of("enquiries@somewhere.example", "Hello,\n\nPlease see attached.", name)
    assert match and (match.role, match.source) == (role, "display name")


def test_the_display_name_cue_quotes_the_title_only():
    match = match_of("j.smith@county.gov.uk", "Hello", "Jane Smith, Coroner's Officer")
    assert match.cue == "display name 'Coroner's Officer'"


def test_local_part_and_display_name_that_disagree_give_nothing():
    assert role_of("coroners@county.gov.uk", name="Claims Handler") == ""


# -- from the greeting and the words -----------------------------------------------------------

@pytest.mark.parametrize("text, role", [
    ("Dear Coroner's Officer,\n\nPlease find attached our statement.", "coroner"),
    ("Dear Sir/Madam,\n\nPlease find our statement for the inquest into Mrs A's death.",
     "coroner"),
    ("Dear DC Patel,\n\nThe CCTV you asked for is attached.", "police"),
    ("Dear Sir/Madam,\n\nI am writing to report a crime: a theft from the clinic last night. "
     "The crime reference number the call handler gave us is 12/3456/24.", "police"),
    ("Dear Sir/Madam,\n\nI am writing to notify you as our indemnity provider of a complaint "
     "that may become a claim.", "medical_defence"),
    ("Dear Claims Handler,\n\nThe photographs are attached.", "insurer"),
    ("Dear Sir or Madam,\n\nOur policy number is AB123 and your claim reference is C-991; the "
     "treatment notes are attached.", "insurer"),
    ("Dear Mr Hughes,\n\nFurther to your letter dated 3 May, please find your client's records "
     "enclosed.", "solicitor"),
    ("Dear Dr Ahmed,\n\nThank you for the referral. We saw your patient today for a review.",
     "gp_practice"),
    ("Dear Colleague,\n\nI am writing to you as her GP: she had a reaction to filler after "
     "her referral.", "gp_practice"),
    ("To whom it may concern,\n\nWe write to you as our insurers\nregarding a claim.",
     "insurer"),
    ("Dear GMC,\n\nPlease find my response to the concerns raised.", "regulator"),
    ("Dear Sir/Madam,\n\nFurther to the fitness to practise concerns, here is our response "
     "to your investigation.", "regulator"),
    ("Dear Hywel Dda Health Board,\n\nPlease see the attached.", "health_service"),
    ("Dear Listing Office,\n\nPlease find attached the witness statement for the hearing.",
     "court"),
    ("Dear Sir/Madam,\n\nFurther to the witness summons, please confirm the hearing date.",
     "court"),
    ("Annwyl Crwner,\n\nAmgaeir ein datganiad.", "coroner"),
])
def test_the_greeting_and_the_words_name_the_reader(text, role):
    match = match_of("office@somewhere.example", text)
    assert match and match.role == role
    assert match.source in ("greeting", "words")


def test_the_greeting_is_the_cue():
    match = match_of("office@county.gov.uk", "Dear Coroner's Officer,\n\nPlease see attached.")
    assert match.cue == "greeting 'Dear Coroner's Officer'"
    match = match_of("office@firm.example", "Dear Sir/Madam,\n\nI am writing to notify you as "
                     "our medical defence organisation of a potential claim.")
    assert match.cue == "words 'you as our medical defence organisation'"


def test_the_greeting_ties_the_words_to_one_of_several_recipients():
    to = [Recipient("mark.hughes@parrylaw.example", "Mark Hughes", "to"),
          Recipient("office@acme.example", "Acme Office", "to")]
    text = "Dear Mr Hughes,\n\nPlease find your client's records; this is without prejudice."
    found = roles(to, text, own_domains=CLINIC)
    assert set(found) == {"mark.hughes@parrylaw.example"}
    assert found["mark.hughes@parrylaw.example"].role == "solicitor"


def test_words_to_several_recipients_with_no_tie_give_nobody_a_role():
    to = [Recipient("a@parrylaw.example", "", "to"), Recipient("b@acme.example", "", "to")]
    assert roles(to, "Dear Sir/Madam,\n\nYour client's letter of claim is attached.",
                 own_domains=CLINIC) == {}


def test_the_clinics_own_recipients_do_not_count():
    to = [Recipient("office@parrylaw.example", "", "to"),
          Recipient("manager@meadowskin.example", "", "to")]
    found = roles(to, "Dear Sir/Madam,\n\nYour client's letter of claim is attached.",
                  own_domains=CLINIC)
    assert set(found) == {"office@parrylaw.example"}
    assert roles([Recipient("coroner@meadowskin.example")], "Hi", own_domains=CLINIC) == {}


def test_a_greeting_ties_a_webmail_officer_by_display_name():
    assert role_of("raj.p1985@gmail.com", "Dear DC Patel,\n\nThe CCTV is attached.",
                   "Raj Patel") == "police"
    assert role_of("co.officer@outlook.com", "Dear Coroner's Officer,\n\nAttached.",
                   "Coroner's Officer") == "coroner"


# -- hard negatives ----------------------------------------------------------------------------

def test_a_patient_called_mr_coroner_is_not_a_coroner():
    text = "Dear Mr Coroner, your filler review is booked for Tuesday at 10."
    assert role_of("j.coroner@gmail.com", text, "John Coroner") == ""
    assert role_of("j.coroner@acme.example", text, "John Coroner") == ""
    assert role_of("coroner@acme.example", text) == ""  # "Mr Coroner": a surname here
    assert role_of("mr.coroner@acme.example") == ""
    assert role_of("jane.police@acme.example") == ""
    assert role_of("janecoroner@acme.example") == ""


@pytest.mark.parametrize("name", ["Ms Police", "Jane Police", "Mr Solicitor", "Jane Coroner"])
def test_a_role_word_as_a_surname_in_the_display_name_is_not_a_role(name):
    assert role_of("jp@acme.example", "Hi,\n\nSee you on Friday.", name) == ""


@pytest.mark.parametrize("text", [
    "Dear Jane,\n\nIf this happens again I will call the police.",
    "Dear Jane,\n\nIf the invoice is not paid we may have to involve our solicitor.",
    "Dear Jane,\n\nPlease speak to your GP about the swelling before your next treatment.",
    "Dear Jane,\n\nSorry to hear about the accident. Your car insurer will want our invoice: "
    "the claim reference is on their letter and the policy number on your schedule.",
    "Dear Jane,\n\nYour insurance company can have the report; quote your policy number and "
    "claim reference.",
    "Dear Jane,\n\nThe crime reference number is on the letter from the police.",  # one cue
    "Dear Jane,\n\nYour solicitor sent a letter of claim about your client account.",
    "Dear Jane,\n\nPlease pass this referral to your GP; your patient notes are enclosed.",
    "Dear Jane,\n\nThe claim reference is on their letter and the policy number on your "
    "schedule.",
    "Hi Jane,\n\nThanks for the referral! Your patient loved her lips.",
    "Dear Jane,\n\nThe court order and the hearing date are in the letter.",
    "Dear Jane,\n\nOur policy is that deposits are not refunded; your claim reference is 12.",
    "Hi Jane,\n\nAs our insurer asked, I attach the form you signed.",
    "Hi Jane,\n\nI am writing to you as our new receptionist: welcome!",
    "Dear Jane,\n\nWe are writing to you as our insurers require us to tell every patient.",
    "Dear Jane,\n\nI am writing to you as our solicitor's letter said we would.",
    "Dear Jane,\n\nI'm writing to you as her GP asked us to keep the family informed.",
])
def test_words_to_a_patient_give_the_patient_no_role(text):
    assert role_of("jane.doe@gmail.com", text, "Jane Doe") == ""
    assert role_of("jane.doe@acme.example", text, "Jane Doe") == ""


@pytest.mark.parametrize("address", ["coroner@gmail.com", "police@hotmail.co.uk",
                                     "solicitor@outlook.com", "claims.handler@yahoo.co.uk",
                                     "gp.surgery@icloud.com"])
def test_webmail_gets_no_role_from_its_address(address):
    assert role_of(address, "Hello,\n\nPlease see attached.", "Kent Police") == ""


def test_webmail_gets_no_role_from_the_body():
    text = "Dear Sir/Madam,\n\nI am writing to notify you as our indemnity provider."
    assert role_of("mdu.claims@gmail.com", text, "Medical Defence Union") == ""


def test_webmail_needs_the_display_name_to_tie_the_greeting():
    text = "Dear Coroner's Officer,\n\nOur statement is attached."
    assert role_of("someone@gmail.com", text) == ""
    assert role_of("someone@gmail.com", text, "Jane Doe") == ""
    assert role_of("raj@gmail.com", "Dear DC Patel,\n\nAttached.", "Raj Shah") == ""


def test_the_words_never_reach_a_cc_recipient():
    text = "Dear DC Patel,\n\nThe CCTV is attached."
    cc = [Recipient("raj@gmail.com", "Raj Patel", "cc")]
    assert roles(cc, text, own_domains=CLINIC) == {}
    cc = [Recipient("raj@acme.example", "Raj Patel", "cc")]
    assert roles(cc, text, own_domains=CLINIC) == {}


def test_a_cc_webmail_next_to_a_police_to_gets_nothing():
    rs = [Recipient("dc.patel@kent.police.uk", "DC Patel", "to"),
          Recipient("patel.family@gmail.com", "Raj Patel", "cc")]
    found = roles(rs, "Dear DC Patel,\n\nThe CCTV is attached.", own_domains=CLINIC)
    assert set(found) == {"dc.patel@kent.police.uk"}


@pytest.mark.parametrize("name", ["PC World Business", "DS Smith Packaging",
                                  "Harley Street Cosmetic Surgery", "Bright Dental Surgery",
                                  "Hampton Court Aesthetics", "Jane Smith"])
def test_display_names_that_only_look_like_a_role(name):
    assert role_of("orders@supplier.example", "Hello,\n\nOur order is attached.", name) == ""


def test_roles_in_the_senders_own_signature_are_not_the_reader():
    body = ("Dear Sam,\n\nThe minutes are attached.\n\nKind regards,\nAmy Lee RN\n"
            "Registrant, fitness to practise champion")
    assert role_of("sam@acme.example", body) == ""
    hint = "Amy Lee RN, registrant, fitness to practise champion"
    body = f"Dear Sam,\n\nThe minutes are attached.\n{hint}"
    assert role_of("sam@acme.example", body) == "regulator"  # no sign-off line: unseen
    assert role_of("sam@acme.example", body, signature_hint=hint) == ""


def test_two_roles_equally_named_in_the_words_give_none():
    text = ("Dear Sir/Madam,\n\nI am reporting a crime (crime number 12/345); our policy "
            "number is AB1 and the claim number C2.")
    assert role_of("office@acme.example", text.replace("reporting", "telling you of")) == \
        "insurer"
    assert role_of("office@acme.example", text) == ""


# -- spoofed domains -----------------------------------------------------------------------------

@pytest.mark.parametrize("address, imitated", [
    ("dc.patel@police-uk.example", "police.uk"),
    ("records@nhs.net.evil.example", "nhs.net"),
    ("records@kent.police.uk.attacker.example", "police.uk"),
    ("records@nhsnet-secure.example", "nhs.net"),
    ("records@nhs.n\u0435t", "nhs.net"),  # a Cyrillic 'е'
    ("ftp@gmc-uk.org.verify.example", "gmc-uk.org"),
])
def test_a_spoofed_domain_gets_nothing_even_with_role_words(address, imitated):
    assert lookalike(address) == imitated
    name = "Kent Police" if "police" in address else "NHS Trust"
    text = "Dear DC Patel,\n\nI am writing to report a theft; the crime reference is 123."
    assert roles([Recipient(address, name)], text, own_domains=CLINIC) == {}


@pytest.mark.parametrize("address", ["x@evilnhs.net", "x@fakepolice.uk", "x@mynhs.net",
                                     "x@police.uk.example"])
def test_a_domain_that_ends_with_a_role_domain_off_a_label_boundary_gets_no_domain_role(address):
    assert role_of(address) == ""


def test_real_role_domains_and_ordinary_ones_are_not_look_alikes():
    assert lookalike("a@kent.police.uk") == lookalike("a@nhs.net") == ""
    assert lookalike("a@acme.example") == lookalike("a@pico.org.uk") == ""
    assert lookalike("a@nhs.xn--nt-nlc") == "nhs.net"  # punycode of nhs.nеt, read as shown


# -- the data and the module's place ----------------------------------------------------------

def test_every_role_has_a_title_and_the_data_names_no_other_role():
    table = lexicon.table("roles.txt")
    labels = [label.split() for _, _, label in table.entries + table.patterns]
    assert {kind for kind, *_ in labels} == {"domain", "title", "frame", "text", "not",
                                              "greeting", "person", "reader", "after"}
    assert {rest[0] for kind, *rest in labels if kind == "title"} == set(ROLES)
    assert {rest[0] for _, *rest in labels if rest} <= set(ROLES)


def test_scanners_never_import_the_roles_module():
    root = Path(__file__).resolve().parents[1] / "scanners"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(?:from|import)\s+gateway", text, re.MULTILINE), path


@pytest.mark.parametrize("address,role", [
    ("crimedesk@northvalepolice.example", "police"),
    ("hari.bose@bose-solicitors.example", "solicitor"),
    ("concerns@nmc.example", "regulator"),
])
def test_the_organisations_name_in_its_domain_gives_its_role(address, role):
    assert roles([Recipient(address)], "Dear Sir or Madam,")[address].role == role


@pytest.mark.parametrize("address", [
    "quotes@landg.example",  # Legal & General: an insurer of cars and lives, no role word
    "moderation@reviewsite.example",
    "jo@janepolice.example",  # a person's name run into the domain
    "x@fakepolice.uk",  # off a role domain's boundary
    "sam@pcworld.example",
])
def test_a_domain_without_the_organisations_role_in_its_name_gives_none(address):
    assert address not in roles([Recipient(address)], "Dear Sir or Madam,")
