"""Who a message is for, decided once per message: `Audience.of(result, envelope, clinic)`.

The scanners never look at recipients; the decision step asks this picture instead:
  * the clinic (`ClinicIdentity`, frozen, from `[clinic]`): its names and trading names, its
    practitioners and its mail domains; with the sender's own domain (unless webmail) and
    sibling domains of these among the recipients, the domains whose people are colleagues;
  * each envelope recipient (`Reader`): the display name the To/Cc headers give it, whether
    it is inside the clinic (at its domains, and not a list address there such as
    newsletter@), a personal webmail address, shown in To/Cc or blind (Bcc), and the role a
    person would read in the address, the display name and the words of the mail
    (gateway/roles.py: police, coroner, medical defence, solicitor, ...);
  * whether the audience is wide (`[audience]` max_recipients, max_bcc): more people outside
    the clinic than a conversation has, or people hidden from each other.

The context rules that use it are data (gateway/decision/context.py): advertising raised to
high for a wide audience, the sender's own harsh words raised one level when they leave the
clinic, patient data to a lawful recipient tagged as a disclosure to review.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Protocol

from gateway import roles
from gateway.config import AudienceSettings, Settings
from gateway.pipeline import ScanResult
from scanners import lexicon

# Consumer mail providers: a sender on one of these is a person, not an organisation, so
# other people at the same provider are not their colleagues. Matched on the first label
# of the domain (gmail.com, gmail.co.uk).
WEBMAIL = lexicon.words("webmail.txt")

SIBLING_STEM = 5  # the shared name must be at least this long: "avonvale", not "abc"


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower().rstrip(".")


@dataclass(frozen=True)
class ClinicIdentity:
    """The clinic itself, from `[clinic]` (and the older `[copyright] own_names`,
    `own_domains`, read into the same picture): never a patient, never an outsider."""
    names: tuple[str, ...] = ()  # the clinic's names and trading names
    practitioners: tuple[str, ...] = ()
    domains: frozenset[str] = frozenset()

    @classmethod
    def of(cls, settings: Settings) -> "ClinicIdentity":
        c = settings.clinic
        names = [*c.names, *c.trading_names, *settings.copyright.own_names]
        domains = [*c.domains, *settings.copyright.own_domains]
        return cls(tuple(dict.fromkeys(n.strip() for n in names if n.strip())),
                   tuple(p.strip() for p in c.practitioners if p.strip()),
                   frozenset(d.lower().strip(" .@") for d in domains if d.strip(" .@")))


@dataclass(frozen=True)
class Reader:
    address: str  # lower case
    name: str = ""  # the display name To/Cc give it
    internal: bool = False  # one of the clinic's own people
    webmail: bool = False  # a personal address at a consumer mail provider
    shown: bool = True  # in To/Cc (False: Bcc, or only in the envelope)
    role: str = ""  # roles.ROLES, "" for none
    cue: str = ""  # what gave the role, for the note


class Envelope(Protocol):
    mail_from: str
    rcpt_tos: list[str]


@dataclass(frozen=True)
class Audience:
    sender: str
    readers: tuple[Reader, ...]
    own: frozenset[str]  # the clinic's domains for this message
    wide: str = ""  # why the audience is wide ("" if it is not)

    @classmethod
    def of(cls, result: ScanResult, envelope: Envelope, clinic: ClinicIdentity,
           settings: AudienceSettings) -> "Audience":
        """`result`: the scan's ScanResult (its To/Cc, their display names, and the role cues
        of the sender's own words)."""
        sender = envelope.mail_from or result.sender
        rcpts = list(dict.fromkeys(r.lower() for r in envelope.rcpt_tos))
        own = own_domains(sender, clinic.domains, rcpts)
        lists = _list_locals()
        names = {a.lower(): n for n, a in result.named}
        shown = {r.lower() for r in result.recipients}
        # To/Cc roles were read with the sender's words at scan time; an envelope recipient
        # the headers do not show has only its address to go by
        found = {a: (role, cue) for a, role, cue in result.roles}
        for r, m in roles.roles([roles.Recipient(r) for r in rcpts if r not in found], "").items():
            found[r] = (m.role, m.cue)
        readers = tuple(Reader(
            r, names.get(r, ""),
            # the clinic's people and the sender's own copy (even at webmail), but not a list
            internal=(_domain(r) in own or r == sender.lower()) and not _list_address(r, lists),
            webmail=_domain(r).split(".")[0] in WEBMAIL and _domain(r) not in own,
            shown=r in shown,
            role=found.get(r, ("", ""))[0], cue=found.get(r, ("", ""))[1]) for r in rcpts)
        return cls(sender.lower(), readers, own, wide(rcpts, shown, sender, settings))

    @property
    def recipients(self) -> list[str]:
        return [r.address for r in self.readers]

    @property
    def outside(self) -> list[Reader]:
        return [r for r in self.readers if not r.internal]

    @property
    def internal(self) -> frozenset[str]:
        return frozenset(r.address for r in self.readers if r.internal)

    def all_outside(self, role_set: Iterable[str]) -> str:
        """The first role of `role_set` when every recipient outside the clinic has one of
        them ("" otherwise, or when nobody is outside)."""
        wanted = set(role_set)
        out = self.outside
        if not out or any(r.role not in wanted for r in out):
            return ""
        return sorted({f"{r.role} ({r.cue})" if r.cue else r.role for r in out})[0]


def own_domains(sender: str, clinic_domains: Iterable[str],
                recipients: Iterable[str] = ()) -> frozenset[str]:
    """The clinic's own mail domains: those configured in [clinic] domains, and the
    sender's own domain unless it is a webmail provider. Exact domains: a list server at
    lists.clinic.example is not the clinic's staff. Of `recipients`' domains, the sibling
    domains of these are the clinic's too (see `sibling`)."""
    domains = {d.lower().strip(".") for d in clinic_domains if d}
    domain = _domain(sender) if "@" in sender else ""
    if domain and domain.split(".")[0] not in WEBMAIL:
        domains.add(domain)
    for r in recipients:
        d = _domain(r)
        if d not in domains and any(sibling(d, own) for own in tuple(domains)):
            domains.add(d)
    return frozenset(domains)


def sibling(domain: str, own: str) -> bool:
    """Whether `domain` is the same organisation's other domain: the same suffix, and a
    first label that is the other's followed by a hyphen and more words
    ("avonvale-group.example" beside "avonvale.example", either way round). Run together
    ("avonvaleclinic.example") it may be anyone's: a group with such domains lists them in
    [clinic] domains."""
    a, _, a_rest = domain.partition(".")
    b, _, b_rest = own.partition(".")
    if a_rest != b_rest or not a_rest or a == b:
        return False
    short, long = sorted((a, b), key=len)
    return len(short) >= SIBLING_STEM and short not in WEBMAIL and \
        long.startswith(short + "-")


def _list_address(address: str, lists: frozenset[str]) -> bool:
    """newsletter@, friends@, patients-list@, news.letters@: an address that reaches a list."""
    local = address.partition("@")[0].lower()
    words = set(re.split(r"[-_.+]", local))
    return local in lists or bool(words & (lists | {"list", "lists"}))


def _list_locals() -> frozenset[str]:
    return frozenset(e.lower() for e, _, kind in lexicon.table("audience.txt").entries
                     if kind == "local")


def wide(envelope: list[str], header_recipients: Iterable[str], sender: str,
         settings: AudienceSettings) -> str:
    """Why the audience is wide ("" if it is not)."""
    own = _domain(sender) if "@" in sender else ""
    outside = {r.lower() for r in envelope if _domain(r) != own}
    shown = {r.lower() for r in header_recipients}
    blind = outside - shown
    if len(outside) > settings.max_recipients:
        return f"{len(outside)} recipients"
    if len(blind) > settings.max_bcc:
        return f"{len(blind)} Bcc recipient{'s' if len(blind) != 1 else ''}"
    return ""
