"""Copying in the sender's own words: someone else's text handed on to be reused as the
clinic's, a link to a pirated copy of a paid course or book, and a quoted passage from a
book or article in copy to be published. Read in the body only, in the sender's own text
(never quoted replies or forwarded mail: a clinic may report or refuse such things).

  copied text   a source that is another business's material (off Northgate Skin's site,
                their leaflet, a competitor's brochure) AND an instruction to make it the
                clinic's own (use this, word for word, swap their name for ours); the clinic's
                own material ("from our old leaflet") and rewriting ("in our own words") are not
  pirate link   a link, AND a cue that it is a copy nobody paid for (without paying, someone
                has uploaded the whole course, before it is taken down, a free PDF of the
                full book, a shadow library), AND a paid work (course, book, edition, videos)
  from the web  a picture the sender says came off the internet (Google, Pinterest, someone's
                Instagram), sent with the mail: nobody licensed it; medium
  quotation     a passage in quotation marks attributed to a written source (as Smith wrote
                in ..., - from 'Title' by Author (Publisher, 2022)) in mail that is copy for
                publication (a blog, a newsletter, a post, a leaflet: said in the subject or
                the sender's words), in the body or an attached draft; borderline, so medium
  admitted copy the sender says, in the first person, that they copied a work to spare
                paying for it (I've scanned the chapter so nobody needs to buy the book; the
                photo is the preview, we didn't want to pay for the licence), and the mail
                carries an attachment: high with a document or a picture, medium with
                anything else; cleared by an open licence or a licence bought

Each is one finding per message at most. Nothing here knows who the recipient is: mail that
stays inside the clinic passes by the policy ([policy.categories.copyright] trust_internal).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from scanners import redact
from scanners.base import Finding, ParsedMessage, Severity
from scanners.text import split_quoted

CATEGORY = "copyright"

_MATERIAL = (r"(?i:web\s?site|site|web\s?page|page|leaflet|flyer|brochure|menu|blog|post|"
             r"instagram|insta|facebook|tiktok|socials?|advert|ad|price ?list|newsletter|copy|"
             r"wording|text|blurb|caption|description|one)s?")
# Another business's material: "off Northgate Skin's site", "their leaflet", "a competitor's"
_SOURCE = re.compile(
    r"\b(?i:off|from|on|in)\s+(?:the\s+)?(?P<name>(?:[A-Z][\w&.-]*\s+){0,4}[A-Z][\w&.-]*)['’]s?\s+"
    r"(?i:new\s+|old\s+|own\s+)?" + _MATERIAL + r"\b|"
    r"\b(?i:their|competitor['’]?s?|a rival['’]?s?|another (?:clinic|salon|business)['’]s)\s+"
    r"(?i:new\s+|old\s+|own\s+)?" + _MATERIAL + r"\b")
# ... made the clinic's own: used as it is, renamed
_REUSE = re.compile(
    r"\b(?i:word[- ]for[- ]word|verbatim|they['’]ll never (?:notice|know)|copy and paste)\b|"
    r"\b(?i:swap|change|replace|switch)\s+(?i:their|the other|the clinic['’]?s?)\s+name\b|"
    r"\b(?i:put our name (?:on|in|instead))|"
    r"\b(?i:use|copy|paste|lift|reuse|nick|borrow|have|put)\s+(?i:(?:their|the same|that|this)\s+"
    r"(?:exact\s+)?(?:wording|copy|text|words|blurb|caption|description|paragraph))\b|"
    r"\b(?i:use|copy|paste|lift|reuse|nick|borrow)\s+(?i:this|it|that)\s+(?:\w+\s+){0,2}?"
    r"(?i:for|on|in|as)\s+(?i:our|the new|my)\b|"
    r"\b(?i:(?:copied|lifted|pinched|nicked|stole) (?:it |this |that )?(?:straight |directly |"
    r"word for word )?(?:off|from))\b|"
    r"\b(?i:copy|use|take|nick|pinch|lift)\s+(?i:what)\s+(?:(?i:they)|[A-Z][\w&.-]*(?:\s+[A-Z]"
    r"[\w&.-]*){0,4})\s+(?i:wrote|write|say|said|have|has|put)\b")
# ... or renamed: "change Lumen Skin Bar to Glow Clinic", where the name is the source's
_RENAME = re.compile(r"\b(?i:swap|change|replace|switch)\s+(?P<old>(?:[A-Z][\w&'’.-]*\s+){1,5})"
                     r"(?:to|for|with)\s+(?:ours\b|our name|us\b|[A-Z])")
# ... but not rewriting it, nor taking only the idea
_OWN_WORDS = re.compile(r"\bin (?:our|your|my) own words\b|\bre-?word|\brewrite|\bre-?phrase|"
                        r"\bparaphrase|\bnot word for word\b|\b(?:don['’]t|do not|never) copy "
                        r"(?:it|them|their)\b(?! or forward)|\b(?:as|for) (?:an? )?(?:inspiration|"
                        r"guide|starting point|idea)\b|\bsomething (?:similar|like (?:it|this|that))\b|"
                        r"\balong the (?:same )?lines\b", re.IGNORECASE)

_LINK = re.compile(r"\bhttps?://[^\s<>\"]+|\bwww\.[^\s<>\"]+", re.IGNORECASE)
_PIRACY = re.compile(
    r"\bwithout (?:paying|buying|a subscription|a licen[sc]e)\b|"
    r"\binstead of (?:paying|buying)\b|\bno need to (?:buy|pay)\b|"
    r"\btoo (?:dear|expensive|pricey) to buy\b|"
    r"\bbefore (?:it['’]s|it is|it gets|they take it|they remove it)\s*(?:taken|pulled|removed|"
    r"deleted|down)|"
    r"\bsome(?:one|body)(?:['’]s| has| have)? (?:uploaded|posted|leaked|shared|ripped|"
    r"(?:screen[- ]?)?recorded|downloaded)\b|"
    r"\bfree (?:pdf|download|copy|e-?book|version) of\b|"
    r"\b(?:whole|full|entire|complete) (?:\w+ )?(?:course|masterclass|book|textbook|series|"
    r"videos?|modules?) (?:for )?free\b|"
    r"\bdon['’]?t tell (?:the academy|the trainer|anyone|them)\b|"
    r"\b(?:pdf|e-?book|epub)\b.{0,60}\bfor free\b|\bfor free\b.{0,60}\b(?:pdf|e-?book|epub)\b|"
    r"\bpirat\w*|\bleaked\b|\btorrent|\bcracked\b|\bshadow librar|\blibgen\b|\bz-?library\b|"
    r"\bsci-?hub\b|\banna['’]s archive\b", re.IGNORECASE)
# A whole paid work behind a file-sharing link (scanners/data/filehosts.txt)
_WHOLE_WORK = re.compile(r"\b(?:whole|full|entire|complete)\s+(?:[\w-]+\s+){0,3}?(?:course|masterclass|"
                         r"book|textbook|series|videos?|modules?|recordings?|lectures?)\b",
                         re.IGNORECASE)
_OPEN_ACCESS = re.compile(r"\bopen[- ]access\b|\bcreative commons\b|\bfree to (?:read|download)\b|"
                          r"\bCC[ -]BY\b|\bpublic domain\b", re.IGNORECASE)
_OUR_WORK = re.compile(r"\b(?:our|my)\s+(?:own\s+)?(?:\w+\s+)?(?:course|training|videos?|"
                       r"recordings?|webinars?|lectures?|book|modules?|slides)\b", re.IGNORECASE)
_FILE_HOSTS = tuple(line.strip().lower() for line in (
    Path(__file__).parent / "data" / "filehosts.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#"))
_PAID_WORK = re.compile(r"\b(?:course|masterclass|master class|textbook|book|e-?book|edition|"
                        r"\d(?:st|nd|rd|th)? ?ed(?:n|ition)?\b|\d+e\b|manual|videos?|modules?|"
                        r"lectures?|webinars?|training|atlas|guide|journal|article|paper)",
                        re.IGNORECASE)

_PUBLICATION = re.compile(r"\b(?:blog|newsletter|post|article|leaflet|website|web ?page|caption|"
                          r"press release|brochure|magazine|column|socials?|instagram|facebook|"
                          r"tiktok|linkedin|flyer|poster|intro|publish\w*)\b", re.IGNORECASE)
_QUOTE = re.compile(r"[\"“”](?P<q>[^\"“”\n]{20,500})[\"“”]|‘(?P<c>[^‘’\n]{20,500})’|"
                    r"(?<!\w)'(?P<s>(?:[^'\n]|(?<=\w)'(?=\w)){20,500})'(?!\w)")
_WRITTEN_BY = re.compile(
    r"\b(?:[Aa]s|[Ii]n the words of)\s+(?:Dr\.?\s+|Prof\.?\s+)?(?:[A-Z][\w.'’-]*\s+){1,4}"
    r"(?:(?:and (?:colleagues|co-?authors|[A-Z]\w+)|et al\.?)\s+)?"
    r"(?:wrote|writes|put it|puts it|noted|notes|observed|argued|argues)\b|"
    r"\b(?:wrote|writes|published|said) in (?:the |their |her |his )?(?:[A-Z]\w*|book|article|"
    r"paper|review|journal)|"
    r"\b[Ii]n (?:his|her|their) (?:latest |new |recent )?(?:book|article|paper|column|textbook)\b|"
    r"\b[Ff]rom (?:the |her |his |their )?(?:book|novel|article|paper|column|textbook)\b|"
    r"\b[Aa]ccording to\b[^\"“\n]{0,120}\([^()\n]{0,60}(?:19|20)\d{2}\)")
_SOURCE_AFTER = re.compile(
    r"^\s*[-–—]+\s*(?:from\s+)?(?:['‘\"“]?[A-Z][^\n]{1,80}?\bby\s+(?:Dr\.?\s+|Prof\.?\s+)?"
    r"[A-Z]|[^\n]{0,120}\((?:[A-Z][\w&'’.-]*\s*){1,5},\s*(?:19|20)\d{2}\))|"
    # an author and a quoted title after a dash: - Dr Lena Ashby, 'The Quiet Mirror'
    r"^\s*[-–—]+\s*(?:Dr\.?\s+|Prof\.?\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3},\s*"
    r"(?:(?:the )?author of\s+|in\s+)?['‘\"“][A-Z]|"
    # a citation straight after the quote: (Hendry, 2023), (Hendry et al. 2023, p. 12)
    r"^\s*\([A-Z][\w'’-]+(?: et al\.?| and [A-Z][\w'’-]+| & [A-Z][\w'’-]+)?,?\s*(?:19|20)\d{2}")


_FROM_THE_WEB = re.compile(
    r"\b(?:image|picture|pic|photo|photograph|graphic|illustration)s?(?:['’]s| is| was| are| were|"
    r" i (?:found|got|used))?\s+(?:\w+\s+){0,3}?(?:from|off|on)\s+(?:the\s+)?(?:internet|"
    r"google(?: images)?|pinterest|the web|online(?!\s+(?:booking|form|shop|store|portal|"
    r"banking|account|consultation|gallery))|someone['’]s (?:instagram|facebook|page|site))\b|"
    r"\b(?:found|got|grabbed|took|saved|pulled|downloaded)\s+(?:it|this|these|them|this one|the "
    r"(?:image|picture|photo)s?)\s+(?:from|off|on)\s+(?:the\s+)?(?:internet|google(?: images)?|"
    r"pinterest|the web|online)\b", re.IGNORECASE)


# -- admitted copying: a copy made, and payment avoided, in the sender's own words --------
# what was done to the work: scanned, photocopied, screenshotted; or the unlicensed preview
_COPY_MADE = re.compile(
    r"\b(?:scanned|photocopied|photo-copied|copied|photographed|screenshotted|screen-?grabbed|"
    r"ripped|downloaded|snapped)\b(?!\s+(?:\w+\s+)?in\b)|"
    r"\b(?:the|a|an|their|its)\s+(?:\w+\s+){0,2}?(?:preview|comp)(?:\s+(?:image|version|copy|"
    r"photo|file))?\b|\bwatermark(?:ed|s)?\b", re.IGNORECASE)
# ... to spare the payment: so nobody needs to buy it, we didn't want to pay for the licence
_UNPAID = re.compile(
    r"\b(?:nobody|no-?one|no one)\s+(?:(?:will\s+)?(?:needs?|has|have)\s+to|will\s+need\s+to|"
    r"(?:will\s+)?(?:needs?|has|have)\s+got\s+to)\s+(?P<v1>buy|pay|purchase|fork\s+out|shell\s+out)\b|"
    r"\b(?:you|we|they|everyone|everybody|the (?:others|team|group|rest of you))\s+(?:don['’]?t|do\s+not|"
    r"won['’]?t|will\s+not|wouldn['’]?t|needn['’]?t|no\s+longer)\s+(?:(?:have|need)\s+to\s+)?"
    r"(?P<v2>buy|pay|purchase|fork\s+out|shell\s+out)\b|"
    r"\b(?:didn['’]?t|did\s+not|don['’]?t|do\s+not|wasn['’]?t\s+going\s+to|weren['’]?t\s+going\s+to|"
    r"not\s+going\s+to|couldn['’]?t\s+(?:justify|afford|be\s+bothered)(?:\s+to)?|refuse\s+to|"
    r"won['’]?t)\s+(?:want\s+to\s+|wanna\s+)?(?:pay(?:ing)?|buy(?:ing)?|purchas(?:e|ing)|"
    r"fork(?:ing)?\s+out|shell(?:ing)?\s+out)(?P<v3>)\b|"
    r"\bsaves?\s+(?:you|us|them|everyone|everybody)(?:\s+all)?\s+(?:having\s+to\s+)?"
    r"(?P<v4>buying|paying|purchasing)\b|"
    r"\b(?:instead\s+of|rather\s+than|without)\s+(?P<v5>buying|paying|purchasing|buy|pay)\b|"
    r"\bno\s+need\s+(?:for\s+\w+\s+)?to\s+(?P<v6>buy|pay|purchase)\b|"
    r"\btoo\s+(?:dear|expensive|pricey)\s+to\s+(?P<v7>buy|pay)\b", re.IGNORECASE)
# what is not a work: "you don't need to buy anything for the course", "pay for parking"
_NOT_A_WORK = re.compile(r"\s+(?:for\s+)?(?:anything|nothing|a\s+thing|extra|any\s+extras?|"
                         r"more|twice|again|postage|delivery|shipping|parking|p&p|lunch|travel|"
                         r"(?:a|the)\s+(?:taxi|ticket|deposit|fee|consultation))\b", re.IGNORECASE)
# ... of a work someone sells: a book, its pages, a licence, a course, a picture
_WORK = re.compile(_PAID_WORK.pattern + r"|licen[sc]e|chapters?|pages?|preview|stock|photos?|"
                   r"images?|pictures?|figures?|diagrams?|copy of|artwork", re.IGNORECASE)
# the sender says so: I, we, or no subject at all at the start of a sentence
_FIRST_PERSON = re.compile(r"(?:\b(?:I|I['’](?:ve|d)|[Ww]e|[Ww]e['’](?:ve|d))\b(?:\s+\w+){0,2}|"
                           r"(?:^|[.!?:;\n–—-]))\s*$")
_NEGATED = re.compile(r"(?:\bnot|\bnever|n['’]t)\b[\s\w]{0,12}$", re.IGNORECASE)
# cleared: the work is open, or its licence was bought
_FREE_WORK = re.compile(_OPEN_ACCESS.pattern + r"|\bfreely available\b|\bmade (?:it|them) "
                        r"(?:free|available)\b|\bfree of charge from the (?:publisher|author)",
                        re.IGNORECASE)
_DOCUMENT_TYPES = re.compile(r"application/(?:pdf|msword|rtf|epub|vnd\.ms-|vnd\.openxmlformats|"
                             r"vnd\.oasis\.opendocument)|image/|text/rtf")


def findings(msg: ParsedMessage) -> Iterator[Finding]:
    own = [(part.where, part.text[a:b]) for part in msg.body_parts if part.where == "body"
           for a, b, quoted in split_quoted(part.text[:100_000]) if not quoted]
    domain = msg.sender.rpartition("@")[2].lower()
    # promotional mail (an unsubscribe link) offers its own courses "free": not piracy
    promotional = bool(msg.header("List-Unsubscribe")) or any(
        "unsubscribe" in text.lower() for _, text in own)
    # copy for publication: the subject or the sender's words say so (a blog, a newsletter);
    # the draft itself may be in the body or in an attached document
    publication = any(_PUBLICATION.search(t) for t in [msg.subject] + [t for _, t in own])
    drafts = own + [(att.page_where(i), page[:100_000]) for att in msg.attachments
                    if not att.real_type.startswith("image/")
                    for i, page in enumerate(att.pages[:20]) if page]
    for rule, check, texts in (
            ("copyright_copied_text", _copied_text, own),
            ("copyright_pirate_link",
             lambda text: None if promotional else _pirate_link(text, domain), own),
            ("copyright_quotation", lambda text: _quotation(text) if publication else None,
             drafts)):
        for where, text in texts:
            hit = check(text)
            if hit:
                severity, evidence = hit
                yield Finding(CATEGORY, rule, severity, where, evidence)
                break
    yield from _admitted_copy(msg, own)
    pictures = [a for a in msg.attachments if a.real_type.startswith("image/") or a.images]
    for where, text in own if pictures else ():
        m = _FROM_THE_WEB.search(text)
        if m:
            yield Finding(CATEGORY, "image_from_web", Severity.MEDIUM, pictures[0].where,
                          f"the mail says: {redact.snippet(text, m.start(), m.end(), 0)}"[:120])
            break


def _admitted_copy(msg: ParsedMessage, own) -> Iterator[Finding]:
    """copyright_admitted_copy: the sender's own words say a work was copied so that
    nobody pays for it, and the mail carries the copy."""
    if not msg.attachments:
        return
    from scanners import watermarks

    whole = "\n".join(text for _, text in own)
    if _FREE_WORK.search(whole) or watermarks.licence_stated(whole):
        return
    for where, text in own:
        hit = _admission(text)
        if hit:
            documents = [a for a in msg.attachments if _DOCUMENT_TYPES.match(a.real_type)]
            target = (documents or list(msg.attachments))[0]
            yield Finding(CATEGORY, "copyright_admitted_copy",
                          Severity.HIGH if documents else Severity.MEDIUM, target.where,
                          f"the mail says: {hit}"[:140])
            return


def _admission(text: str) -> str | None:
    """A snippet of a first-person admission in `text`: a copy made and a payment spared,
    of a work, in one paragraph and close together; none inside quotation marks."""
    quoted = [m.span() for m in _QUOTE.finditer(text)]

    def mine(pos: int) -> bool:  # the sender is the subject at `pos`, not negated
        before = text[max(0, pos - 40):pos]
        return bool(_FIRST_PERSON.search(before)) and not _NEGATED.search(before)

    for m in _UNPAID.finditer(text):
        if any(a <= m.start() < b for a, b in quoted):
            continue
        verb_end = max((m.end(g) for g in m.groupdict() if m.group(g) is not None),
                       default=m.end())
        if _NOT_A_WORK.match(text, verb_end):
            continue
        lo = max(0, m.start() - 250, text.rfind("\n\n", 0, m.start()) + 1)
        blank = text.find("\n\n", m.end())
        hi = min(len(text), m.end() + 250, blank if blank >= 0 else len(text))
        for c in _COPY_MADE.finditer(text, lo, hi):
            if any(a <= c.start() < b for a, b in quoted):
                continue
            made = c.group(0)[:1].isalpha() and c.group(0).lower().endswith("ed") and \
                not c.group(0).lower().startswith(("watermark", "the ", "a ", "an ", "their ", "its "))
            # "I've scanned ...": the sender made the copy; "the preview ... we didn't want
            # to pay": the sender chose the unlicensed copy
            if not (mine(c.start()) if made else mine(c.start()) or
                    _FIRST_PERSON.search(text[max(0, m.start() - 40):m.start()])):
                continue
            first, last = min(c.start(), m.start()), max(c.end(), m.end())
            if last - first <= 300 and _WORK.search(text, max(lo, first - 80), min(hi, last + 80)):
                return redact.snippet(text, m.start(), m.end(), 40)
    return None


def _copied_text(text: str):
    source = next((m for m in _SOURCE.finditer(text)
                   if not re.match(r"(?i)(?:our|my|us)\b", m.group("name") or "")), None)
    reuse = _REUSE.search(text) if source else None
    if source and not reuse and source.group("name"):
        first = source.group("name").split()[0].casefold()
        reuse = next((m for m in _RENAME.finditer(text)
                      if m.group("old").split()[0].casefold() == first), None)
    if reuse and abs(reuse.start() - source.start()) < 400 and not _OWN_WORDS.search(
            text, max(0, min(reuse.start(), source.start()) - 300),
            max(reuse.end(), source.end()) + 300):
        return Severity.HIGH, (f"{redact.snippet(text, reuse.start(), reuse.end(), 10)}; "
                               f"source: {_masked_source(source)}")
    return None


def _masked_source(m: re.Match) -> str:
    text = m.group(0)
    if m.group("name"):
        a, b = m.span("name")
        text = text[:a - m.start()] + redact.name(m.group("name")) + text[b - m.start():]
    return " ".join(text.split())[:60]


def _pirate_link(text: str, sender_domain: str = ""):
    hosts = [re.sub(r"^(?:https?://)?(?:www\.)?", "", m.group(0), flags=re.I).split("/")[0].lower()
             for m in _LINK.finditer(text)]
    # a link to the sender's own site is theirs to share
    hosts = [h for h in hosts if not sender_domain or not (h == sender_domain or
                                                           h.endswith("." + sender_domain))]
    piracy = _PIRACY.search(text) if hosts and not _OPEN_ACCESS.search(text) else None
    if not piracy and any(_file_host(h) for h in hosts) and not _OUR_WORK.search(text):
        piracy = _WHOLE_WORK.search(text)  # "the whole course" on a file-sharing site
    if piracy and _PAID_WORK.search(text):
        return Severity.MEDIUM, f"\"{' '.join(piracy.group(0).split())[:50]}\", link to {hosts[0][:60]}"
    return None


def _file_host(host: str) -> bool:
    return any(host == h or host.endswith("." + h) or host.startswith(h + ".") for h in _FILE_HOSTS)


def _quotation(text: str):
    for m in _QUOTE.finditer(text):
        quote = m.group("q") or m.group("c") or m.group("s")
        if len(quote.split()) < 5:
            continue
        before = text[max(0, m.start() - 200):m.start()]
        after = text[m.end():m.end() + 200]
        if _WRITTEN_BY.search(before) or _SOURCE_AFTER.match(after):
            return Severity.MEDIUM, f"quoted passage of {len(quote.split())} words, attributed"
    return None
