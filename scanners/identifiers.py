"""Identifiers in text, validated and not just shaped: NHS numbers (mod 11), National Insurance
numbers (valid prefixes), UK postcodes in addresses, phone numbers (phonenumbers), e-mail
addresses, labelled record numbers and dates. Pure functions over one string; the
patient-data scanner weighs what they find.

Speed: every finder starts from a cheap anchor (a digit run, an "@", an upper-case letter
followed by a digit) found by one C-level regex scan, and validates only those candidates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import phonenumbers

from scanners import patient_keys, redact


@dataclass(frozen=True, slots=True)
class Ident:
    kind: str  # "nhs", "ni", "postcode", "phone", "email", "mrn", "date"
    start: int
    end: int
    key: str  # normal form (patient_keys), for the register and for comparing
    evidence: str  # redacted


# -- NHS numbers ----------------------------------------------------------------------------

_NHS = re.compile(r"(?<![\w\-/.])(\d{3})([ \-]?)(\d{3})\2(\d{4})(?![\w\-/]|\.\d)")


def nhs_number_valid(digits: str) -> bool:
    """Mod-11 check digit of a 10-digit NHS number; repeated digits are refused."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def nhs_numbers(text: str) -> list[Ident]:
    out = []
    for m in _NHS.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        if nhs_number_valid(digits):
            out.append(Ident("nhs", m.start(), m.end(), digits, "NHS " + redact.digits(m.group(0))))
    return out


# -- National Insurance numbers -------------------------------------------------------------

_NI = re.compile(r"\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])\b")
_NI_BAD_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def ni_numbers(text: str) -> list[Ident]:
    out = []
    for m in _NI.finditer(text):
        if m.group(1) in _NI_BAD_PREFIX:
            continue
        value = "".join(m.groups())
        out.append(Ident("ni", m.start(), m.end(), value, f"NI {value[:1]}* ** ** {value[6:8]} *"))
    return out


# -- postcodes in addresses -----------------------------------------------------------------

_POSTCODE = re.compile(r"\b(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
_STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){1,3}(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|"
    r"Close|Drive|Dr|Way|Crescent|Court|Ct|Place|Pl|Gardens|Grove|Terrace|Row|Yard|Mews|Square|"
    r"Hill|Park|View|Walk|Green|Rise|Parade|Gate|Wharf|Quay|Vale|Croft|Fold|Garth|Wynd)\b"
    r"|\b(?:Flat|Apartment|Apt|Unit)\s+\d|\baddress\b|\bhome\b", re.IGNORECASE)
ADDRESS_REACH = 120  # characters before a postcode where the street or an "address" label is


def postcodes(text: str) -> list[Ident]:
    """Every well-formed postcode; `postcode_in_address` says which sit in an address."""
    out = []
    for m in _POSTCODE.finditer(text):
        key = patient_keys.postcode_key(m.group(1))
        if key:
            out.append(Ident("postcode", m.start(), m.end(), key,
                             f"postcode {key.split()[0]} ***"))
    return out


def postcode_in_address(text: str, ident: Ident) -> bool:
    return bool(_STREET.search(text, max(0, ident.start - ADDRESS_REACH), ident.start))


# -- phone numbers --------------------------------------------------------------------------

_PHONE = re.compile(r"(?<![\w+/.\-])(?:\+|00)?\(?\d[\d ()\-.]{7,17}\d(?![\w/]|\.\d|-\d)")
# Ofcom's ranges for drama and tests: possible numbers that phonenumbers rightly calls
# invalid. Fictitious data uses them, so test data is screened as real data would be.
_DRAMA = re.compile(r"^\+44(?:7700900|1632960|2079460|(?:113|114|115|116|117|118|121|131|141|151|"
                    r"161|191)4960|2890180|2920180|1914980|3069990|8081570|9098790)\d{3}$")


def phone_numbers(text: str, skip: set[tuple[int, int]] = frozenset()) -> list[Ident]:
    """Numbers phonenumbers calls valid (UK by default, international with +), and those in
    Ofcom's drama ranges. Merely 'possible' numbers are not reported: any 10 or 11 digits are
    possible, order numbers too."""
    out = []
    for m in _PHONE.finditer(text):
        if (m.start(), m.end()) in skip:
            continue
        candidate = m.group(0)
        e164 = _phone(candidate)
        if e164:
            out.append(Ident("phone", m.start(), m.end(), e164,
                             "phone " + redact.digits(candidate.strip(), keep=3)))
    return out


@lru_cache(maxsize=8192)
def _phone(candidate: str) -> str:
    """E.164 of a valid or drama-range number, else ''. Cached: signatures repeat."""
    digits = sum(c.isdigit() for c in candidate)
    if not 9 <= digits <= 15 or _looks_like_date(candidate):
        return ""
    try:
        parsed = phonenumbers.parse(candidate, "GB")
    except phonenumbers.NumberParseException:
        return ""
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164 if phonenumbers.is_valid_number(parsed) or _DRAMA.match(e164) else ""


def _looks_like_date(s: str) -> bool:
    return bool(re.fullmatch(r"\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}", s.strip()))


# -- e-mail addresses -----------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+'\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+")
ROLE_MAILBOXES = frozenset(
    "info enquiries enquiry hello reception bookings booking appointments admin office accounts "
    "finance billing invoices sales orders support help helpdesk team staff contact mail "
    "noreply no-reply donotreply postmaster webmaster marketing newsletter news press hr jobs "
    "careers referrals clinic customerservice customer.service service returns".split())


def email_addresses(text: str) -> list[Ident]:
    """Addresses of individuals: role mailboxes (info@, reception@ ...) are left out."""
    out = []
    for m in _EMAIL.finditer(text):
        address = m.group(0).strip(".'-").lower()
        local, _, domain = address.partition("@")
        if local in ROLE_MAILBOXES or "." not in domain:
            continue
        out.append(Ident("email", m.start(), m.start() + len(address), address,
                         f"email {local[:1]}***@{domain}"))
    return out


# -- labelled record numbers ----------------------------------------------------------------

_MRN = re.compile(
    r"\b(?:MRN|M\.R\.N\.?|Patient\s+(?:ID|No\.?|Number|Ref(?:erence)?)|Hospital\s+(?:No\.?|"
    r"Number)|Hosp\.?\s+No\.?|Unit\s+(?:No\.?|Number)|Client\s+(?:ID|No\.?|Number)|"
    r"Medical\s+Record\s+(?:No\.?|Number)|Record\s+No\.?|CHI\s+(?:No\.?|Number)|"
    r"H&C\s+(?:No\.?|Number))\s*[:#.]?\s*([A-Z]{0,4}[\-/]?\d[\d\-/ ]{2,14}\d[A-Z]?)\b",
    re.IGNORECASE)


def record_numbers(text: str) -> list[Ident]:
    out = []
    for m in _MRN.finditer(text):
        value = m.group(1)
        if sum(c.isdigit() for c in value) < 4:
            continue
        label = text[m.start():m.start(1)].strip(" :#.")
        out.append(Ident("mrn", m.start(), m.end(), re.sub(r"[\s\-/]", "", value.upper()),
                         f"{_one_line(label)} " + redact.digits(value, keep=2)))
    return out


def _one_line(s: str) -> str:
    return " ".join(s.split())


# -- dates ----------------------------------------------------------------------------------

_MONTHS = {m: i for i, names in enumerate(
    ["jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
     "aug august", "sep sept september", "oct october", "nov november", "dec december"], 1)
    for m in names.split()}
_MONTH = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|" \
         r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_DATE = re.compile(
    r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/\-]|\.\d)"
    r"|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\.?,?\s+(\d{4})\b"
    r"|\b" + _MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.IGNORECASE)


def dates(text: str) -> list[Ident]:
    """Every day-month-year date (UK order for numeric ones), with its ISO form as key."""
    out = []
    for m in _DATE.finditer(text):
        g = m.groups()
        try:
            if g[0]:
                d, mo, y = int(g[0]), int(g[2]), int(g[3])
                if len(g[3]) == 2:
                    y += 1900 if y > date.today().year % 100 else 2000
            elif g[4]:
                d, mo, y = int(g[4]), _MONTHS[g[5].lower()[:3]], int(g[6])
            else:
                mo, d, y = _MONTHS[g[7].lower()[:3]], int(g[8]), int(g[9])
            iso = date(y, mo, d).isoformat()
        except (ValueError, KeyError):
            continue
        out.append(Ident("date", m.start(), m.end(), iso, "date **/**/" + iso[:2] + "**"))
    return out


def plausible_birth_year(iso: str, today: date | None = None) -> bool:
    """Born 1900 or later and at least 16 years ago (no aesthetic treatment before 18)."""
    today = today or date.today()
    return 1900 <= int(iso[:4]) <= today.year - 16
