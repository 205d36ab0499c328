"""Advertising: prescription-only medicines promoted to the public, misleading claims, and
marketing with no named author.

Reads the shared views of scanners.text and the lists in scanners/data/:

  pom.txt       prescription-only medicines, their brands and the euphemisms used for them
                (anti-wrinkle injections, tox, skinny jab, GLP-1)
  promo.txt     promotional cues: strong (a price, an offer, a discount) and weak (book now)
  audience.txt  signs of a wide audience in the headers and text (List-Unsubscribe, a list
                address, "unsubscribe")
  claims.txt    misleading claims (guaranteed results, 100% safe, no downtime, raffles)
  attribution.txt  opinion cues and the words of a team signature

How serious a medicine named next to a promotional cue is depends on the audience:

  newsletter or list (audience.txt)              high, with or without a cue
  one person, an offer (discount, from £99)      medium
  one person, a bare price or a call to book     low (a quote, an invoice, a prescription)
  no cue, or the cue only in the quoted text     nothing: clinical mail names medicines
  a reply to the patient's own question about    at most medium (Human Medicines
  a medicine (quoted, with a question mark)      Regulations 2012, reg 7(3)(c))
  every To/Cc in the sender's own domain         at most low (colleagues, not the public)
  a list of professionals (CPD, trade only)      as for one person

Offers in words the sender cites (a competitor's advert quoted, or set off as an indented
block under "Their post reads:", in a complaint; scanners/quoting.py) are reported as cited
and do not make the message promotional; nor does "Instagram" in a report whose own words
offer nothing.

The scanner sees the headers, not the envelope: more recipients than the To/Cc show, or
Bcc recipients, are the gateway's to weigh (gateway/audience.py raises these findings to
high from the envelope). Quoted text is reported one severity lower, at "...#quoted".
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from scanners import lexicon, model_findings, redact, text
from scanners.base import TO_PROFESSIONALS, Finding, ParsedMessage, Severity
from scanners.lexicon import Hit

CATEGORY = "advertising"
WINDOW = 300  # characters between a medicine and a cue for them to count as one promotion
_NAME_LINE = re.compile(r"^(?:(?:dr|mr|mrs|ms|miss|nurse|prof)\.?\s+)?[A-Z][a-z'’\-]+"
                        r"(?:\s+[A-Z][a-z'’\-]+){0,3}\b", re.IGNORECASE)


class AdvertisingScanner:
    name = "advertising"
    rules = {
        "pom_promotion": "A prescription-only medicine (e.g. Botox, semaglutide) or a euphemism "
                         "for one (anti-wrinkle injections, skinny jab) promoted with a price, "
                         "offer or call to book; high to a newsletter or list or in copy to "
                         "be published, medium to one person: advertising it to the public "
                         "is unlawful in the UK.",
        "misleading_claim": "A claim the advertising codes forbid or require proof for "
                            "(guaranteed results, 100% safe, no downtime, permanent); high in "
                            "promotional mail outside the clinic, medium elsewhere; scarcity, "
                            "urgency and prize draws (this week only, last few slots, a "
                            "giveaway) are medium, borderline.",
        "under18_promotion": "A treatment promoted to under-18s (prom, school leavers, sixth "
                             "form, year groups, teens); high in promotional mail: the "
                             "advertising codes forbid aiming cosmetic treatments at minors.",
        "unattributed": "A marketing or opinion message with no named author in its "
                        "signature; the code of conduct asks for a named author.",
    }

    def scan(self, msg: ParsedMessage, views: text.MessageText | None = None) -> Iterator[Finding]:
        views = views or text.build(msg)
        own = views.own()
        bulk = _bulk_reasons(msg, own)
        marks = {label: [h for s in own for h in s.hits("audience.txt") if h.label == label]
                 for label in ("publish", "safety", "professional")}
        marks["publish"] += [Hit(m.start(), m.end(), m.group(0).lower(), Severity.LOW, "publish")
                             for s in own for m in _TO_A_LIST.finditer(s.text)]
        # written for practitioners (CPD, a study club, trade prices) and not as copy to
        # publish: the readers are professionals, however many (POLICY.md: pass)
        professional = bool(marks["professional"]) and not marks["publish"]
        poms = {id(s): _not_refused(s, s.hits("pom.txt") + _hinted(s))
                for s in views.segments}
        cues = {id(s): _cues(s) for s in views.segments}
        # the sender's own offers: not those in words cited (an advert quoted to the ASA), nor
        # in the attachments of a message that reports them (its evidence: the screenshot)
        said = {id(s): [(c, label) for c, label in cues[id(s)] if not s.cited(*_span(c))]
                if not (views.reporting and s.kind == "attachment") else [] for s in own}
        # copy to be published (captions, a flyer, an SMS campaign) reaches the public too;
        # not a report whose own words offer nothing ("their Instagram post reads: ...")
        publish = marks["publish"] and not (views.reporting and not any(said.values()))
        public = bulk or ([f"copy to publish ({marks['publish'][0].entry!r})"]
                          if publish else [])
        promotional = bool(public) or any(label != "price" for s in own
                                          for _, label in said[id(s)])
        answers_question = views.is_reply and any(
            poms[id(s)] and "?" in s.text for s in views.quoted())
        # advert copy: an offer (a discount, a deal, "from £") and a call to book in the
        # sender's own words; with a medicine it is an advert to whoever reads it, handed on
        # to publish or not, unless it answers that person's own question (POLICY.md)
        labels = {label for s in own for _, label in said[id(s)]}
        advert_copy = "strong" in labels and "weak" in labels and not answers_question
        subject = next((s for s in own if s.kind == "subject"), None)

        found: dict[tuple, Finding] = {}

        def add(f: Finding, k: tuple) -> None:
            if k not in found or found[k].severity < f.severity:
                found[k] = f

        for seg in views.segments:
            seg_poms = poms[id(seg)]
            use_subject = subject is not None and seg is not subject and not seg.quoted
            subject_args = (subject, poms[id(subject)] if use_subject else [],
                            cues[id(subject)] if use_subject else [])
            # the sender's own offer first, then one in words cited
            promotion = (id(seg) in said and _promotion(
                seg, [p for p in seg_poms if not seg.cited(p.start, p.end)], said[id(seg)],
                *subject_args)) or _promotion(seg, seg_poms, cues[id(seg)], *subject_args)
            if promotion or (public and seg_poms and not seg.quoted):
                pom, cue, strength = promotion or ((seg_poms[0], seg), None, "")
                severity = _severity(strength, bool(public) and not seg.quoted,
                                     answers_question, bool(marks["safety"]))
                if severity and strength == "strong" and advert_copy and not seg.quoted:
                    severity = Severity.HIGH
                if severity and professional:
                    severity = Severity.LOW
                if severity:
                    evidence = _shown(pom) + (f" + {_shown(cue)!r}" if cue else "")
                    if public and not seg.quoted:
                        evidence += f" (audience: {public[0]})"
                    if professional:
                        evidence += " (to professionals)"
                    hit, at = pom
                    start = hit.start if isinstance(hit, Hit) and at is seg else 0
                    end = hit.end if isinstance(hit, Hit) and at is seg else 0
                    if cue is not None and cue[1] is seg:  # the offer itself cited as an example
                        c_start, c_end = _span(cue[0])
                        if seg.cited(c_start, c_end):
                            start, end = c_start, c_end
                    f = text.quoted_finding(seg, start, end, views.reporting, Finding(
                        CATEGORY, "pom_promotion", severity, seg.where, evidence,
                        tags=(TO_PROFESSIONALS,) if professional else ()))
                    add(f, ("pom_promotion", seg.where))
            priced = promotional or any(said[id(x)] for x in own)
            for claim in seg.hits("claims.txt"):
                if claim.label in ("promo", "pressure") and not promotional or \
                        claim.label == "minors" and not priced or _claim_denied(seg.text, claim):
                    continue
                rule = "under18_promotion" if claim.label == "minors" else "misleading_claim"
                # scarcity and urgency are borderline (POLICY.md), a claim is not
                severity = Severity.HIGH if claim.label != "pressure" and (
                    priced if claim.label == "minors" else promotional) else Severity.MEDIUM
                f = text.quoted_finding(seg, claim.start, claim.end, views.reporting, Finding(
                    CATEGORY, rule, severity, seg.where,
                    redact.snippet(seg.text, claim.start, claim.end, 20)))
                add(f, (rule, seg.where, claim.entry))
        listed = {(f.rule, f.where) for f in found.values()}
        for f in model_findings.advertising(views, promotional, bool(public)):
            if (f.rule, f.where) not in listed:
                found[(f.rule, f.where, f.evidence)] = f
        yield from found.values()
        reason = _unattributed(views, bulk, own, said)
        if reason:
            yield Finding(CATEGORY, "unattributed", Severity.LOW, "body", reason)


HINT_WINDOW = 80  # characters between a toxin-treated area and a hint of an injection
_SYRINGE = "\U0001F489"


def _hinted(seg: text.Segment) -> list[Hit]:
    """A medicine hinted at, not named: an area toxin treats ("frown lines") near a hint
    of an injection (💉, "you know what", "tweakment"); as a euphemism hit on the area."""
    areas = list(lexicon.matcher("pom_hints.txt", "area").find(seg.flat))
    if not areas:
        return []
    hints = [h.start for h in lexicon.matcher("pom_hints.txt", "hint").find(seg.flat)]
    hints += [m.start() for m in re.finditer(_SYRINGE, seg.text)]
    return [Hit(a.start, a.end, a.entry, Severity.MEDIUM, "euphemism", "pom.txt")
            for a in areas if any(abs(h - a.start) <= HINT_WINDOW for h in hints)]


def _shown(item) -> str:
    hit, seg = item
    return seg.text[hit.start:hit.end] if isinstance(hit, Hit) else hit.group(0).strip()


# copy sent to a list: "to our whole list", "to all our clients", "bulk text", "an SMS
# blast" (one pattern for what audience.txt would otherwise spell out list by list)
_TO_A_LIST = re.compile(
    r"\b(?:bulk|mass)[ -]?(?:sms|texts?|e-?mails?|messages?|mail-?outs?)\b|"
    r"\b(?:sms|text|e-?mail)[ -]?blasts?\b|"
    # "to our whole list", "to the client list", "to everyone on the mailing list"
    r"\bto[ \t]+(?:(?:all|every(?:one|body))[ \t]+(?:of|on|in)[ \t]+)?(?:our|the|my)[ \t]+"
    r"(?:(?:whole|full|entire)[ \t]+|(?:client|customer|patient|mailing|contact|sms|text|"
    r"e-?mail|marketing)[ \t]+){1,2}(?:list|base|database)s?\b|"
    # "send this to the list", "text it to our list", "post it to the list"
    r"\b(?:send|text|e-?mail|message|post|push)(?:[ \t]+\w+){0,3}?[ \t]+to[ \t]+"
    r"(?:(?:all|every(?:one|body))[ \t]+(?:of|on|in)[ \t]+)?(?:our|the|my)[ \t]+list\b|"
    # "to all our clients", "to every one of our patients"
    r"\bto[ \t]+(?:all|every[ \t]?one[ \t]+of|every(?:one|body)[ \t]+of)[ \t]+"
    r"(?:our[ \t]+|the[ \t]+|my[ \t]+)?(?:clients|customers|patients)\b", re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:not|don'?t|do not|does not|doesn'?t|never|no longer|cannot|"
                      r"can'?t|won'?t|will not|nor)\s+(?:\w+\s+){0,2}$"
                      # "it does not mention our clinic or any offer", "without any discount"
                      r"|\b(?:not|never|without)\b[^.!?\n]{0,40}\bany\s+$", re.IGNORECASE)


# what a clinic does with a medicine it provides: offer, provide, sell, prescribe ...
_PROVIDE = "offer|provid|do|sell|stock|suppl|prescrib|administer|carry"
# "we no longer offer anti-wrinkle injections", "neither of us can promote our prescription
# weight-loss service": a medicine the sender does not provide, or says may not be advertised
_REFUSED = re.compile(
    r"\b(?:no longer|not|never|don'?t|do not|does not|won'?t|will not|can'?t|cannot|"
    r"(?:not|never) allowed to|neither of us can|no one can|nobody can|stopp(?:ed|ing)|"
    r"ceas(?:e|ed|ing)|discontinu(?:e|ed|ing))\s+(?:be\s+)?(?:" + _PROVIDE +
    r"|perform|inject|promot|advertis|market)\w*\s+(?:any\s+|the\s+|our\s+|your\s+)?$",
    re.IGNORECASE)


# "no jabs, no pills"; "the jabs in the news. We don't offer them."
_NONE_BEFORE = re.compile(r"\bno\s+(?:more\s+)?$", re.IGNORECASE)
_REFUSED_AFTER = re.compile(
    r"[^.!?\n]{0,60}[.!?]?\s+(?:we|i)\s+(?:no longer|don'?t|do not|won'?t|will not|never|"
    r"can'?t|cannot)\s+(?:" + _PROVIDE + r")\w*\s+(?:them|it|these|those|that|this)\b",
    re.IGNORECASE)


def _not_refused(seg: text.Segment, hits: list[Hit]) -> list[Hit]:
    return [h for h in hits if not (_REFUSED.search(seg.text, max(0, h.start - 50), h.start)
                                    or _NONE_BEFORE.search(seg.text, max(0, h.start - 12), h.start)
                                    or _REFUSED_AFTER.match(seg.text, h.end))]


# a claim the sender's own sentence denies or forbids: "we can't guarantee anything", "never
# target anyone under 18", "no doctor may call any injection 100% safe", "no prom, no school
# leavers"; a verb's negation up to five words before the claim, or "no" just before it
_DENIED = re.compile(r"(?:\b(?:not|never|nor|cannot|avoid|\w+n['’]t|do not|does not|will not|"
                     r"must not|may not|should not|no (?:one|doctor|nurse|practitioner|clinic|"
                     r"post|caption|advert)s? (?:may|can|should|must|will))\b"
                     r"(?:\s+[^\s.!?]+){0,5}|\bno(?:\s+[^\s.!?,;:]+)?)\s+[\"“‘']?$", re.IGNORECASE)


def _claim_denied(text: str, claim: Hit) -> bool:
    start = max(0, claim.start - 80)
    cut = max(text.rfind(c, start, claim.start) for c in ".!?\n")
    return bool(_DENIED.search(text, cut + 1 if cut >= 0 else start, claim.start))


def _cues(seg: text.Segment) -> list[tuple[object, str]]:
    """(Hit or re.Match, "strong" | "weak") for each promotional cue in the segment, less
    those negated ("we do not offer", "never book")."""
    out: list[tuple[object, str]] = [(h, h.label) for h in seg.hits("promo.txt")]
    out += [(m, label) for m, _, label in lexicon.table("promo.txt").search(seg.text)]
    return [(c, label) for c, label in out
            if not _NEGATED.search(seg.text, max(0, _pos(c) - 40), _pos(c))]


def _span(item) -> tuple[int, int]:
    return (item.start, item.end) if isinstance(item, Hit) else (item.start(), item.end())


def _strength(label: str) -> str:
    return {"price": "weak"}.get(label, label)


def _pos(item) -> int:
    return item.start if isinstance(item, Hit) else item.start()


def _promotion(seg, seg_poms, seg_cues, subject, subject_poms, subject_cues):
    """((pom, segment), (cue, segment), strength) of the strongest promotion in `seg`, or
    None. A medicine and a cue pair up within WINDOW characters of one segment, or when one
    of them is in the subject (the subject speaks for the whole message)."""
    best = None
    if seg_poms:
        cues = [(_pos(c), c, seg, _strength(label)) for c, label in seg_cues]
        cues += [(None, c, subject, _strength(label)) for c, label in subject_cues]
        for p in seg_poms:
            for pos, c, where, strength in cues:
                if pos is None or abs(pos - p.start) <= WINDOW:
                    if strength == "strong":
                        return (p, seg), (c, where), strength
                    best = best or ((p, seg), (c, where), strength)
    if seg_cues and subject_poms:
        for c, label in seg_cues:
            if _strength(label) == "strong":
                return (subject_poms[0], subject), (c, seg), "strong"
            best = best or ((subject_poms[0], subject), (c, seg), _strength(label))
    return best


def _severity(strength: str, public: bool, answers_question: bool,
              safety: bool) -> Severity | None:
    if public and strength:
        severity = Severity.HIGH
    elif public:  # a medicine named to many with no offer: a notice, or a hint
        if safety:
            return None
        severity = Severity.MEDIUM
    elif strength == "strong":
        severity = Severity.MEDIUM
    elif strength == "weak":
        severity = Severity.LOW
    else:
        return None
    if answers_question:
        severity = min(severity, Severity.MEDIUM)
    return severity


def _bulk_reasons(msg: ParsedMessage, own: list[text.Segment]) -> list[str]:
    """Why the message looks like a newsletter or list mail ([] if it does not)."""
    headers, locals_, domains = _audience_markers()
    reasons = []
    present = {(k.lower(), v.lower()) for k, v in msg.headers}
    names = {k for k, _ in present}
    for name, value, shown in headers:
        if name in names and any(k == name and value in v for k, v in present):
            reasons.append(f"{shown} header")
    for address in msg.recipients:
        local, _, domain = address.partition("@")
        if local in locals_ or domain.startswith(domains):
            reasons.append(f"list address {local}@…")
    for seg in own:
        for h in seg.hits("audience.txt"):
            if h.label == "text":
                reasons.append(f"{h.entry!r} in the text")
                break
    if reasons and any(h.label == "professional" for seg in own for h in seg.hits("audience.txt")):
        return []  # a list of practitioners (CPD, trade prices): not the public
    return list(dict.fromkeys(reasons))


@lru_cache(maxsize=1)
def _audience_markers():
    """(header (name, value, as shown) triples, list local parts, list domain prefixes)."""
    headers, locals_, domains = [], set(), []
    for entry, _, kind in lexicon.table("audience.txt").entries:
        entry = entry.lower()
        if kind == "header":
            name, _, value = entry.partition(":")
            headers.append((name.strip(), value.strip(), entry))
        elif kind == "local":
            locals_.add(entry)
        elif kind == "domain":
            domains.append(entry)
    return headers, frozenset(locals_), tuple(domains)


def _unattributed(views: text.MessageText, bulk, own, cues) -> str:
    marketing = bool(bulk) or any(label == "strong" for s in own for _, label in cues[id(s)])
    opinion = any(s.hits("attribution.txt") for s in own if s.kind == "body")
    if not (marketing or opinion) or not views.own_body.strip():
        return ""
    lines = text.signature(views.own_body)
    if not lines:
        return f"{'marketing' if marketing else 'opinion'} message with no sign-off"
    team = lexicon.words("attribution.txt", "team")
    for line in lines[:3]:
        m = _NAME_LINE.match(line)
        if m and not set(lexicon.key(m.group(0)).split()) & team:
            return ""
    return f"{'marketing' if marketing else 'opinion'} message signed {lines[0][:40]!r}, not by a named person"
