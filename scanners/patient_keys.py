"""Normal forms and keyed hashes of patient identifiers, shared by the register import
(gateway/register.py) and the patient-data scanner, so both hash a value the same way.

A value is first put in a normal form (`normal(kind, value)`), then hashed with BLAKE2b
keyed by the register's random salt, to 64 bits (`digest`). "Sarah  JONES" and "sarah jones",
"07700 900123" and "+447700900123", "sw1a1aa" and "SW1A 1AA" give one hash each.

What the salt does and does not do: it makes the hashes useless outside this register
(no precomputed tables, no linking two clinics' registers). It does not stop someone who
holds the database *and* its salt from testing guesses of low-entropy values (a date of
birth, a postcode): the database stays readable by the mailscreen user only.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from functools import lru_cache

import phonenumbers
from nicknames import NickNamer

KINDS = ("name", "dob", "email", "phone", "postcode", "nhs", "hcn", "chi")
HASH_BYTES = 8

_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "master", "rev"}
_NOT_LETTER = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, accents dropped, letters and single spaces only: 'Siân O'Neill' -> 'sian oneill'."""
    if text.isascii():
        text = text.lower().replace("'", "").replace("-", " ")
        return _SPACES.sub(" ", _NOT_LETTER.sub(" ", text)).strip()
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("'", "").replace("\u2019", "").replace("-", " ")
    return _SPACES.sub(" ", _NOT_LETTER.sub(" ", text)).strip()


def name_key(name: str) -> str:
    """First given name and surname: 'Mrs Sarah Anne Jones' -> 'sarah jones'; '' if one word."""
    words = [w for w in fold(name).split() if w not in _TITLES]
    return f"{words[0]} {words[-1]}" if len(words) >= 2 else ""


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()  # reads the package's CSV: once, on first use


def same_person_keys(key: str) -> set[str]:
    """`key` and the keys of the same name with the given name's usual short or full forms
    (the nicknames package's hand-curated table): 'effie chisholm' -> also 'euphemia
    chisholm'; 'liz hale' -> also 'elizabeth hale'. Never another given name: 'kevin duncan'
    is not 'kirsty duncan'."""
    if not key:
        return set()
    first, _, surname = key.partition(" ")
    nn = _nicknamer()
    return {key} | {f"{fold(alt)} {surname}" for alt in
                    nn.nicknames_of(first) | nn.canonicals_of(first) if fold(alt)}


def phone_key(number: str) -> str:
    """E.164 for any number phonenumbers thinks possible (UK numbers without +44 too)."""
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def postcode_key(postcode: str) -> str:
    compact = re.sub(r"\s+", "", postcode.upper())
    m = _POSTCODE.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else ""


def dob_key(value: str | date) -> str:
    """ISO date from 'YYYY-MM-DD', 'DD/MM/YYYY' (UK order) or a date; '' if not a date."""
    if isinstance(value, date):
        return value.isoformat()
    value = value.strip()
    m = _ISO_DATE.match(value)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _UK_DATE.match(value)
        if not m:
            return ""
        d, mo, y = (int(g) for g in m.groups())
        if y < 100:
            y += 1900 if y > date.today().year % 100 else 2000
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return ""


def nhs_key(value: str) -> str:
    """Ten digits: an NHS number, a Health and Care Number (hcn) or a CHI number (chi)."""
    digits = re.sub(r"[\s\-]", "", value)
    return digits if len(digits) == 10 and digits.isdigit() else ""


def email_key(value: str) -> str:
    value = value.strip().lower()
    return value if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) else ""


_NORMAL = {"name": name_key, "dob": dob_key, "email": email_key, "phone": phone_key,
           "postcode": postcode_key, "nhs": nhs_key, "hcn": nhs_key, "chi": nhs_key}


def normal(kind: str, value) -> str:
    return _NORMAL[kind](value) if value else ""


def digest(salt: bytes, kind: str, normal_value: str) -> int:
    """The keyed 64-bit hash of a value already in normal form, as a signed integer
    (SQLite's INTEGER); 0 never occurs for a real value and stands for 'none'."""
    h = hashlib.blake2b(f"{kind}:{normal_value}".encode(), key=salt, digest_size=HASH_BYTES)
    value = int.from_bytes(h.digest(), "big", signed=True)
    return value or 1


class RegisterIndex:
    """The register's hashes in memory, read-only: for each kind a sorted array of hashes and
    the patient number of each. 100,000 patients with six values each take about 10 MB, and a
    lookup is a binary search (numpy.searchsorted) over all of a message's candidates at once."""

    def __init__(self, salt: bytes, columns: dict[str, "object"], patients: int):
        import numpy as np

        self.salt = salt
        self.patients = patients
        self._tables = {}
        for kind, (hashes, ids) in columns.items():
            hashes = np.asarray(hashes, dtype=np.int64)
            ids = np.asarray(ids, dtype=np.int64)
            keep = hashes != 0
            hashes, ids = hashes[keep], ids[keep]
            order = np.argsort(hashes, kind="stable")
            self._tables[kind] = (hashes[order], ids[order])

    def __len__(self) -> int:
        return self.patients

    def lookup(self, kind: str, keys: list[str]) -> list[set[int]]:
        """For each normal-form key, the patients (numbers) who have that value."""
        import numpy as np

        table = self._tables.get(kind)
        if table is None or not keys or not len(table[0]):
            return [set() for _ in keys]
        hashes, ids = table
        wanted = np.array([digest(self.salt, kind, k) for k in keys], dtype=np.int64)
        left = np.searchsorted(hashes, wanted, "left")
        right = np.searchsorted(hashes, wanted, "right")
        return [set(ids[a:b].tolist()) if b > a else set() for a, b in zip(left, right)]
