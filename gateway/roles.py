"""Recipient roles: who each recipient is, from what a person reading the mail would read.

A role (police, a coroner, a medical defence organisation, an insurer, a solicitor, a GP
practice, a regulator, the health service, a court) can make a disclosure of patient data
lawful, so a wrong role leaks data: every cue is conservative, and the cues are data
(scanners/data/roles.txt, the lexicon format):

  * the address: its domain (a force at *.police.uk), else its local part
    (coroners@county.gov.uk) and its display name ("Coroner's Officer", "DC Patel");
  * the sender's own words (`own_text`: greeting and body, never quoted mail; the signature
    is left out): a title in the greeting ("Dear Coroner's Officer"), a frame ("to notify you
    as our indemnity provider"), words about the reader ("your client" and "letter of claim").

The words of the mail speak of the To recipient they address: they give a role only to the
outside To recipient (not at `own_domains`) that the greeting ties to (a name or title of
the greeting in its display name or local part), or to the one outside To recipient when
there is just one; never to a Cc or Bcc recipient. A webmail address (webmail.txt) never gets
a role from its domain, local part or display name, nor from the body: only from a title in
the greeting that its display name ties to it. A domain that imitates a role's domain
(police-uk.example, nhs.net.evil.example, a look-alike letter) gives its recipient nothing.
Each role comes with its cue, quoted for the decision's note ("greeting 'Dear Coroner's
Officer'"). Pure: no I/O but reading its word lists once (roles.txt, webmail.txt, the
given names of scanners/people.py), no config, no state.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from scanners import lexicon, people
from scanners.base import Severity
from scanners.lexicon import FlatView, Hit, Matcher

ROLES = ("police", "coroner", "medical_defence", "insurer", "solicitor", "gp_practice",
         "regulator", "health_service", "court")
DATA = "roles.txt"
RUN_TOGETHER = 5  # a high title this long is found inside a run-together local-part word


@dataclass(frozen=True)
class Recipient:
    address: str
    display_name: str = ""
    header: str = "to"  # "to", "cc" or "bcc": the words of the mail address To recipients only


@dataclass(frozen=True)
class RoleMatch:
    role: str  # one of ROLES
    cue: str  # what a person reads, for a note: "greeting 'Dear Coroner's Officer'"
    source: str  # "domain", "local part", "display name", "greeting" or "words"


@dataclass(frozen=True)
class _Cues:
    domains: tuple[tuple[str, str], ...]  # (domain, role)
    titles: Matcher  # label: the role
    high_titles: tuple[tuple[str, str], ...]  # (key without spaces, role) for run-together words
    ranks: tuple[tuple[re.Pattern, str], ...]  # case-sensitive titles ("DC Patel"), role
    title_words: frozenset[str]
    words: Matcher  # frames and text; label: "frame ROLE" or "text ROLE"
    patterns: tuple[tuple[re.Pattern, Severity, str], ...]  # `re:` text: (pattern, severity, role)
    vetoes: Matcher  # label: the role cancelled
    greeting: re.Pattern
    persons: frozenset[str]
    readers: frozenset[str]
    after: frozenset[str]  # words that may follow a frame


@lru_cache(maxsize=1)
def _cues() -> _Cues:
    table = lexicon.table(DATA)
    rows: dict[str, list[tuple[str, Severity, str]]] = {}
    for text, severity, label in table.entries:
        kind, _, role = label.partition(" ")
        if role and role not in ROLES:
            raise ValueError(f"{DATA}: {text!r}: unknown role {role!r}")
        rows.setdefault(kind, []).append((text, severity, role))
    titles = rows["title"]
    frames = [(filled, severity, f"frame {role}", DATA)
              for template, severity, _ in rows["frame"] for form in _alternatives(template)
              for title, _, role in titles for filled in [form.replace("{title}", title)]]
    ranks, patterns = [], []
    for pattern, severity, label in table.patterns:
        kind, _, role = label.partition(" ")
        (ranks.append((pattern, role)) if kind == "title" else
         patterns.append((pattern, severity, role)))
    greetings = sorted((lexicon.key(t) for t, _, _ in rows["greeting"]), key=len, reverse=True)
    return _Cues(
        domains=tuple((t.lower(), role) for t, _, role in rows["domain"]),
        titles=Matcher([(t, s, role, DATA) for t, s, role in titles]),
        high_titles=tuple(sorted(
            {(lexicon.key(t).replace(" ", ""), role) for t, s, role in titles
             if s is Severity.HIGH and len(lexicon.key(t).replace(" ", "")) >= RUN_TOGETHER},
            key=lambda kr: (-len(kr[0]), kr))),
        ranks=tuple(ranks),
        title_words=frozenset(w for t, _, _ in titles for w in lexicon.key(t).split()),
        words=Matcher(frames + [(t, s, f"text {role}", DATA) for t, s, role in rows["text"]]),
        patterns=tuple(patterns),
        vetoes=Matcher([(t, s, role, DATA) for t, s, role in rows["not"]]),
        greeting=re.compile(r"^[ \t]*(?:" + "|".join(g.replace(" ", r"\s+") for g in greetings)
                            + r")\b[ \t,:]*(?P<rest>[^\n,:;!?]{1,60})", re.IGNORECASE),
        persons=frozenset(lexicon.key(t) for t, _, _ in rows["person"]),
        readers=frozenset(lexicon.key(t) for t, _, _ in rows["reader"]),
        after=frozenset(lexicon.key(t) for t, _, _ in rows["after"]))


def _alternatives(template: str) -> list[str]:
    """A frame with each "(a|b)" written out: "you as (our|my) {title}" -> two frames."""
    m = re.search(r"\(([^()]*)\)", template)
    if not m:
        return [template]
    return [form for alt in m.group(1).split("|")
            for form in _alternatives(template[:m.start()] + alt + template[m.end():])]


def domains(role: str) -> tuple[str, ...]:
    """The mail domains of a role's organisations (each with its subdomains)."""
    return tuple(d for d, r in _cues().domains if r == role)


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").rstrip(".").lower()


def _domain_role(domain: str) -> tuple[str, str] | None:
    """(role, entry) of a role domain `domain` is or is under, on label boundaries."""
    for entry, role in _cues().domains:
        if domain == entry or domain.endswith("." + entry):
            return role, entry
    return None


def lookalike(address: str) -> str:
    """The role domain that the address's domain imitates ("" if none): with look-alike
    letters folded, its labels hold the role domain's labels in a row (police-uk.example,
    nhs.net.evil.example, a Cyrillic 'е' in nhs.nеt) or one label runs them together
    (nhsnet-secure.example), while the domain is not that domain or under it."""
    domain = _domain(address)
    if not domain or _domain_role(domain):
        return ""
    try:
        shown = domain.encode("ascii").decode("idna") if "xn--" in domain else domain
    except UnicodeError:
        shown = domain
    padded = f" {lexicon.key(shown)} "
    labels = [lexicon.key(label).replace(" ", "") for label in shown.split(".")]
    for entry, _ in _cues().domains:
        k = lexicon.key(entry)
        if f" {k} " in padded or any(k.replace(" ", "") in label for label in labels):
            return entry
    return ""


def _webmail(domain: str) -> bool:
    return domain.split(".")[0] in lexicon.words("webmail.txt")


def _given() -> frozenset[str]:
    return people.name_lists()[0]


# -- titles in a display name or greeting ------------------------------------------------------

def _titles(piece: str) -> tuple[list[tuple[str, str, str]], set[str]]:
    """The titles a display name or greeting names: [(role, key, as written)], and the title
    words it uses as surnames (after Mr/Ms/Dr..., or after a given name at the end: "Jane
    Police"). Vetoed roles ("PC World") are left out."""
    cues = _cues()
    view = FlatView(piece)
    vetoed = {h.label for h in cues.vetoes.find(view)}
    hits = list(cues.titles.find(view))
    hits = [h for h in hits if not any(o.start <= h.start and h.end <= o.end and
                                       o.end - o.start > h.end - h.start for o in hits)]
    found, surnames = [], set()
    for h in hits:
        if " " not in h.entry and _surname(piece, h):
            surnames.add(h.entry)
        elif h.label not in vetoed:
            found.append((h.label, h.entry, piece[h.start:h.end]))
    for pattern, role in cues.ranks:
        if role not in vetoed:
            found.extend((role, "", m.group(0)) for m in pattern.finditer(piece))
    return found, surnames


def _surname(piece: str, hit: Hit) -> bool:
    before = re.search(r"([A-Za-z][A-Za-z'’]*)\.?[ \t]+$", piece[:hit.start])
    if not before:
        return False
    word = before.group(1).lower()
    return word in _cues().persons or (
        before.group(1)[0].isupper() and word in _given()
        and not re.search(r"[A-Za-z]", piece[hit.end:]))


@dataclass(frozen=True)
class _Greeting:
    quote: str  # "Dear Coroner's Officer"
    role: str  # "" when it names no title, or titles of two roles
    title: str  # the title's key ("coroner s officer"), "" for a rank
    names: frozenset[str]  # its other words, folded: "patel" of "Dear DC Patel"
    surnames: frozenset[str]  # title words it uses as names: "coroner" of "Dear Mr Coroner"


def _greeting(body: str) -> _Greeting | None:
    """The greeting of the first or second line of the sender's own text."""
    cues = _cues()
    lines = [ln for ln in body.strip().split("\n") if ln.strip()][:2]
    for line in lines:
        m = cues.greeting.match(line)
        if not m:
            continue
        rest = m.group("rest")
        found, surnames = _titles(rest)
        roles = {role for role, _, _ in found}
        names = {w.lower() for w in re.findall(r"[A-Z][A-Za-z'’\-]+", rest)}
        names = {n for n in names if n not in cues.persons and n not in cues.readers
                 and not set(lexicon.key(n).split()) <= cues.title_words} | surnames
        if len(roles) != 1:
            return _Greeting(line.strip(), "", "", frozenset(names), frozenset(surnames))
        role, key, shown = found[0]
        end = m.start("rest") + rest.find(shown) + len(shown)
        return _Greeting(line[:end].strip(), role, key, frozenset(names), frozenset(surnames))
    return None


def _tied(greeting: _Greeting, r: Recipient, webmail: bool) -> bool:
    """Whether the greeting names this recipient: its title or a name of it in the display
    name, or (not webmail) a name of it in the local part."""
    shown = set(lexicon.key(r.display_name).split())
    if greeting.title and set(greeting.title.split()) <= shown:
        return True
    names = {n for n in greeting.names if len(n) >= 3}
    if names & shown:
        return True
    if webmail:
        return False
    tokens = _tokens(r.address.partition("@")[0])
    return any(n == t or (len(n) >= 4 and n in t) for n in names for t in tokens)


# -- the address --------------------------------------------------------------------------------

def _tokens(local: str) -> list[str]:
    parts = (t.strip("0123456789") for t in re.split(r"[.\-_+]", local.lower()))
    return [t for t in parts if t]


def _local_roles(local: str, domain: str, surnames: set[str]) -> set[str]:
    """Roles named by the local part (coroners@, hmcoroner@, legal.team@), unless it is a
    person's (jane.coroner@, j.police@, mr.coroner@: a given name, an initial or a title
    beside the word, unless it is the domain's own name, as in kentcoroners@kent.gov.uk) or
    the word is a surname here."""
    cues = _cues()
    tokens = _tokens(local)
    if not tokens:
        return set()
    view = FlatView(" ".join(tokens))
    vetoed = {h.label for h in cues.vetoes.find(view)}
    found, used, rest = set(), set(), []
    for h in cues.titles.find(view):
        if h.severity >= Severity.MEDIUM and h.entry not in surnames:
            found.add(h.label)
            used |= set(h.entry.split())
    for t in tokens:
        if t in used:
            continue
        for key, role in cues.high_titles:  # longest first: kentcoroners is "coroners"
            at = t.find(key)
            if at >= 0 and key not in surnames:
                found.add(role)
                t = t[:at]  # what runs before it may be a name (janecoroner, jpolice)
                break
        if t:
            rest.append(t)
    place = set(re.split(r"[.\-]", domain))
    person = any(len(t) == 1 or t in cues.persons or (t in _given() and t not in place)
                 for t in rest)
    return set() if person else found - vetoed


def _by_address(r: Recipient, surnames: set[str]) -> RoleMatch | None:
    """The role the address shows: its domain, else its local part and display name when
    they agree (never on a webmail or look-alike domain)."""
    domain = _domain(r.address)
    hit = _domain_role(domain)
    if hit:
        return RoleMatch(hit[0], f"domain '{domain}'", "domain")
    if _webmail(domain) or lookalike(r.address):
        return None
    titles, named = _titles(r.display_name)
    local = r.address.rpartition("@")[0]
    found: dict[str, RoleMatch] = {}
    for role in sorted(_local_roles(local, domain, surnames | named)):
        found[role] = RoleMatch(role, f"local part '{local}'", "local part")
    for role, _, shown in titles:
        found.setdefault(role, RoleMatch(role, f"display name '{shown}'", "display name"))
    # the organisation's own name in its domain: northvalepolice.example, bose-solicitors.example
    for label in _organisation_labels(domain) if not any(
            domain.endswith(entry) for entry, _ in _cues().domains) else ():
        for role in sorted(_local_roles(label, domain, surnames | named)):
            found.setdefault(role, RoleMatch(role, f"domain name '{domain}'", "domain name"))
    return next(iter(found.values())) if len(found) == 1 else None


_SECOND_LEVEL = {"co", "org", "gov", "ac", "net", "com", "ltd", "plc", "me", "nhs", "police"}


def _organisation_labels(domain: str) -> list[str]:
    """The labels of a domain that name its organisation: all but the top-level domain and
    a second-level one such as co or org ("bose-solicitors" of bose-solicitors.co.uk)."""
    labels = domain.split(".")[:-1]
    while labels and labels[-1] in _SECOND_LEVEL:
        labels.pop()
    return labels


# -- the words ------------------------------------------------------------------------------

def _own_words(own_text: str, signature_hint: str) -> str:
    """The sender's text without its signature blocks (a clinician's "NMC PIN" or "Legal
    Team" there is the writer, not the reader)."""
    text = own_text.replace(signature_hint.strip(), "\n") if signature_hint.strip() else own_text
    for start, end in reversed(people.signature_spans(text)):
        text = text[:start] + "\n" + text[end:]
    return text


def _by_words(body: str) -> tuple[str, str] | None:
    """(role, quoted words) of the reader the body speaks to: a frame ("you as our insurer")
    beats a high phrase, which beats a medium one with a second phrase of the role (medium
    or low); overlapping phrases are one ("our policy number"); two roles tied is none."""
    cues = _cues()
    view = FlatView(body)
    vetoed = {h.label for h in cues.vetoes.find(view)}
    hits = [(h.start, h.end, h.severity, *h.label.split()) for h in cues.words.find(view)
            if not h.label.startswith("frame") or _frame_ends(body, h.end)]
    hits += [(m.start(), m.end(), severity, "text", role)
             for pattern, severity, role in cues.patterns for m in pattern.finditer(body)]
    levels: dict[str, tuple[int, list[tuple]]] = {}
    for role in {h[4] for h in hits} - vetoed:
        mine = sorted((h for h in hits if h[4] == role), key=lambda h: (h[0], -h[1]))
        frames = [h for h in mine if h[3] == "frame" and h[2] is Severity.HIGH]
        strong = [h for h in mine if h[2] is Severity.HIGH]
        phrases: list[tuple] = []  # overlapping hits as one, at the highest severity
        for h in mine:
            if phrases and h[0] < phrases[-1][1]:
                top = phrases[-1]
                phrases[-1] = (top[0], max(top[1], h[1]), max(top[2], h[2]), *top[3:])
            else:
                phrases.append(h)
        phrases.sort(key=lambda h: -h[2])
        if frames or strong:
            levels[role] = (3 if frames else 2, [(frames or strong)[0]])
        elif len(phrases) >= 2 and phrases[0][2] >= Severity.MEDIUM:
            levels[role] = (1, phrases[:2])
    if not levels:
        return None
    best = max(level for level, _ in levels.values())
    top = [role for role, (level, _) in levels.items() if level == best]
    if len(top) != 1:
        return None
    quoted = ", ".join(f"'{' '.join(body[h[0]:h[1]].split())}'" for h in levels[top[0]][1])
    return top[0], quoted


def _frame_ends(body: str, end: int) -> bool:
    """Whether a frame ends there: the end, a punctuation mark or an `after` word follows
    ("notify you as our insurer of a claim"), not a verb ("you as our insurer requires") or
    an apostrophe ("you as our insurer's request")."""
    follows = re.match(r"\s*([^\W\d_]+|\S?)", body[end:]).group(1)
    return not follows or follows.lower() in _cues().after or (
        not follows[0].isalpha() and follows not in "'’")


def roles(recipients: Sequence[Recipient], own_text: str, signature_hint: str = "",
          own_domains: Collection[str] = ()) -> dict[str, RoleMatch]:
    """The role of each recipient that has one: lower-cased address -> RoleMatch.
    `own_text`: the sender's own words (greeting and body, no quoted mail); `signature_hint`:
    the sender's signature if the caller has it (left out of the words, as are the blocks
    after a sign-off); `own_domains`: the clinic's domains, whose recipients get no role."""
    own = {d.lower().strip(".") for d in own_domains}
    outside: dict[str, Recipient] = {}
    for r in recipients:
        key = r.address.strip().lower()
        if "@" in key and _domain(key) not in own and \
                (key not in outside or r.header.lower() == "to"):
            outside[key] = r
    body = _own_words(own_text, signature_hint)
    greeting = _greeting(body)
    surnames = set(greeting.surnames) if greeting else set()
    out: dict[str, RoleMatch] = {}
    for key, r in outside.items():
        match = _by_address(r, surnames)
        if match:
            out[key] = match
    to = {key: r for key, r in outside.items() if r.header.lower() == "to"}
    webmail = {key: _webmail(_domain(key)) for key in to}
    tied = [key for key, r in to.items() if greeting and _tied(greeting, r, webmail[key])]
    target = tied[0] if len(tied) == 1 else next(iter(to)) if not tied and len(to) == 1 else ""
    if not target or target in out or lookalike(target):
        return out
    if greeting and greeting.role:
        if target in tied or not webmail[target]:
            out[target] = RoleMatch(greeting.role, f"greeting '{greeting.quote}'", "greeting")
    elif not webmail[target]:
        found = _by_words(body)
        if found:
            out[target] = RoleMatch(found[0], f"words {found[1]}", "words")
    return out
