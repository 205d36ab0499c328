"""Copyright material: published, rights-reserved works forwarded from the clinic, excerpts
of works in the clinic's protected works register, and stock or copyright images.

The JCCP code allows PDFs, books and articles to be sent only when known to be
copyright-free. Each document (an attachment, or a body part) is read for signals:

  rights claim  "All rights reserved", "No part of this publication may be reproduced",
                a notice (© 2024 Elsevier Ltd), rights fields in its properties (XMP
                dc:rights, xmpRights:Marked)
  provenance    a publisher from scanners/data/publishers.txt (in the text, a notice or the
                properties; manufacturers only as holder or property), a DOI at the top
                of a page (further down it is a reference) or a valid ISBN, a journal header
                at the top of a page (Vol. 12, No. 3; 2021;20(3):145-52)
  licence       Creative Commons with version and variant (CC BY 4.0, CC BY-NC-ND 4.0),
                CC0, public domain, the Open Government Licence
  own           the clinic's own names or domains ([copyright] own_names, own_domains) as
                author, owner or notice holder, and no other holder

and then, per document: an open licence clears it (one low `copyright_open_licence`), but a
non-commercial licence in marketing mail is medium; the clinic's own document is cleared;
otherwise each signal is reported (low) and a rights claim together with provenance is a
published work (`copyright_published_work`, high). "All rights reserved" in an attachment is
high on its own, in a body medium.

What an attachment shows besides its pages (the OCR text of its pictures, its visible
properties) is read as part of it. Two rules read pictures against what the mail says it
will do with them: a picture whose own text carries someone else's copyright notice, put on
the clinic's own material (our flyer, with our logo, printed), is another business's artwork
reused; a photograph whose licence fields say web or editorial use only, or not for print,
sent to print, is used beyond its licence. Both are high. Two parts live in modules of
their own: stock photos still carrying their library's watermark (scanners/watermarks.py)
and copying in the sender's own words: another business's text to reuse, pirate links,
quotations for publication, pictures off the internet (scanners/copying.py).

The register (gateway/works.py) is handed in as `works`, an object whose `index()` returns a
scanners.fingerprint.Index; any excerpt of a registered work in a body or an attachment is
`copyright_protected_work` (high), naming the work and how much of it matched.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from scanners import copying, model_findings, prefilter, redact, watermarks
from scanners.base import Attachment, Finding, ParsedMessage, Severity

CATEGORY = "copyright"
DATA = Path(__file__).parent / "data" / "publishers.txt"
# every pattern below behind one automaton: a text is read once for their words
_P = prefilter.Group()

_RESERVED = _P.compile(
    r"all rights reserved|no part of this (?:publication|book|work|article|manual|document|"
    r"material)s? may be (?:reproduced|copied|distributed|transmitted)|may not be "
    r"(?:reproduced|copied|distributed|shared)(?: in any form)?(?: without| in whole)|"
    r"for (?:personal|individual|internal) use only|this article is protected by copyright|"
    r"reproduced (?:here )?with (?:the )?permission|unauthori[sz]ed (?:copying|reproduction|"
    r"distribution)|"
    # Welsh: all rights reserved, copying (sharing, reproducing) is not permitted
    r"cedwir pob hawl|pob hawl wedi(?:['’]i| ei) (?:chadw|gadw)|"
    r"ni (?:chaniateir|ellir) (?:copïo|copio|atgynhyrchu|rhannu|dosbarthu)", re.IGNORECASE)
_NOTICE = _P.compile(
    r"(?:©|\([cC]\)|\b(?i:copyright|hawlfraint)\b\s*(?:©|\([cC]\))?)[ \t]*"
    r"(?P<year>(?:19|20)\d{2}(?:\s*[-–,]\s*(?:19|20)?\d{2,4})*)?[ \t,]*(?:(?i:by)\s+)?"
    r"(?P<holder>[A-Z][\w&'’ .-]{1,80})?")
# Licence and access terms that restrict a document to its buyer: a third-party document
# carrying them and sent outside the clinic breaches the licence.
_RESTRICTED = _P.compile(
    r"licen[sc]ed (?:to|for the (?:sole|exclusive) use of)\s+\S|single[- ]user(?: licen[sc]e| "
    r"copy| access| subscription)?|(?:for|restricted to) (?:registered )?delegates(?: only)?|"
    r"delegate (?:pack|copy|use|only|materials?)|not for (?:re)?distribution|"
    r"(?:do not|must not|may not|please don[’']?t) (?:share|forward|distribute|circulate|copy|"
    r"pass on)(?: this| these)?|subscribers?[- ]only|for subscribers|members[- ]only|"
    r"for the (?:sole|personal) use of|personal (?:use|licen[sc]e) only|purchased by\s+\S|"
    r"this copy (?:is )?(?:licen[sc]ed|registered|issued) to|confidential[:,\s-]+do not share|"
    r"candidate (?:use|copy|licen[sc]e)|exam(?:ination)? (?:bank|questions?) .{0,40}confidential|"
    # Welsh: licensed to ... (only), for the use of ... only, single-user licence, for
    # delegates (subscribers, members) only, delegate's copy, do not share, not for distribution
    r"wedi(?:'i|’i) drwyddedu i|at ddefnydd .{0,30}yn unig|trwydded un defnyddiwr|"
    r"trwydded(?:ig)? i\s+\S.{0,60}?\byn unig|trwyddedig i\s+\S|"
    r"(?:cynrychiolwyr|tanysgrifwyr|aelodau) yn unig|"
    r"(?:llawlyfr|copi|pecyn|deunyddiau) (?:y |['’]r )?cynrychiolydd|"
    r"peidiwch (?:â|a) (?:rhannu|dosbarthu|chopïo|chopio|anfon ymlaen)|"
    r"nid (?:i['’]w|ar gyfer ei) (?:ddosbarthu|rannu)",
    re.IGNORECASE)
# The e-mail disclaimer ("if you are not the intended recipient, do not copy or forward
# it") restricts nothing the clinic bought: a term in such a sentence does not count.
_DISCLAIMER = _P.compile(r"intended recipient|addressee|received (?:this|it) (?:e-?mail |message )?"
                         r"in error|by mistake|this (?:e-?mail|message|communication)|"
                         r"trwy gamgymeriad|derbynnydd bwriadedig|y neges hon|yr e-bost hwn|"
                         r"confidential and (?:may be )?(?:privileged|legally)", re.IGNORECASE)
# Credentials to a paid portal or course, passed on: a login and a password together.
# "password: x", or without a colon ("password Glow2026!", "pw is X9k!") a word that looks
# like one (a digit or a symbol in it), so "your password is reset" is no password
_SECRET = r"(?:\s*[:=-]\s*\S+|\s+(?:is\s+)?(?=\S*[\d!@#$%^&*?])\S{4,})"
_LOGIN = _P.compile(r"\b(?:(?:user(?: ?name| id)?|username|login|log-in|email|account)" + _SECRET
                    + r"|(?:user ?name|user id|login id)\s+(?:is\s+)?\S+)", re.IGNORECASE)
_PASSWORD = _P.compile(r"\b(?:password|passcode|pass word|pw|pwd|cyfrinair)" + _SECRET,
                       re.IGNORECASE)
_PAID = _P.compile(r"\b(?:portal|course|subscription|membership|member|library|platform|"
                   r"e-?learning|cpd|academy|journal|account|modules?|webinars?)\b", re.IGNORECASE)
_DOI = _P.compile(r"\b(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9})/[^\s\"<>,;]+",
                  re.IGNORECASE)
_ISBN = _P.compile(r"\bISBN(?:-1[03])?:?\s*((?:97[89][\s-]?)?(?:\d[\s-]?){9}[\dX])\b", re.IGNORECASE)
_JOURNAL = _P.compile(
    r"\bVol(?:ume|\.)?\s*\d{1,4}\s*[,(]?\s*(?:No\.?|Issue|Iss\.?|\()\s*\d{1,4}|"
    r"\b(?:19|20)\d{2}\s*;\s*\d{1,4}\s*(?:\(\s*\d{1,4}\s*\))?\s*:\s*[a-z]?\d{1,6}\s*[-–]\s*[a-z]?\d{1,6}|"
    r"\bReceived:?\s+\d{1,2}\s+\w+\s+(?:19|20)\d{2}.{0,40}?\bAccepted|"
    r"\bJournal of [A-Z][a-z]+", re.DOTALL)
_CC = _P.compile(
    r"\bCC[ -]?(?P<v1>BY(?:[ -](?:NC|SA|ND)){0,2})(?:[ -]?(?P<n1>\d\.\d))?\b|"
    r"\bCreative\s+Commons\s+(?P<v2>Attribution(?:[ -](?:Non-?Commercial|Share-?Alike|"
    r"No-?Deriv(?:ative)?s|No-?Derivatives)){0,2})(?:[ -]+(?P<n2>\d\.\d))?|"
    r"creativecommons\.org/licenses/(?P<v3>by(?:-nc)?(?:-sa|-nd)?)/(?P<n3>\d\.\d)",
    re.IGNORECASE)
_CC0 = _P.compile(r"\bCC0\b|creativecommons\.org/publicdomain/zero|"
                  r"\b(?:is|are|in|into|dedicated to|released (?:in)?to) the public domain\b|"
                  r"\bpublic domain (?:work|image|document|mark)\b", re.IGNORECASE)
_OGL = _P.compile(r"\bOpen\s+Government\s+Licen[cs]e(?:\s+(?:for\s+public\s+sector\s+information\s+)?"
                  r"v?(?P<n>\d\.\d))?", re.IGNORECASE)
_CREATIVE_COMMONS = _P.compile(r"\bcreative\s+commons\b", re.IGNORECASE)
_GENERIC_PUBLISHER = _P.compile(r"\b(?:[A-Z][\w&-]+ ){1,4}(?:Publishing|Publishers|Press)\b")
_MARKETING = _P.compile(r"\bunsubscribe\b|\b(?:special |limited[- ]time )?offers?\b|"
                        r"\bdiscount|% off\b|\bbook (?:now|today|your)\b|\bsale\b|\bnewsletter\b",
                        re.IGNORECASE)
# What shows a photographed or scanned page comes from a book: its numbering of chapters,
# tables and figures, page numbers, an edition, a source line; two different ones together
_BOOK = _P.compile(r"\b(?:Chapter|CHAPTER|Chap\.)\s+\d{1,3}\b|\b(?:Table|Figure|Fig\.|Box)\s+"
                   r"\d{1,3}\.\d{1,3}\b|\b\d(?:st|nd|rd|th)\s+(?:edn|ed\.|edition)\b|"
                   r"(?<![\w.])pp?\.\s*\d{1,4}\b|\b(?:Reproduced|Adapted|Redrawn) from\b")
# What a document is headed as when it is the record of a purchase, not a work: its rights
# footer ("© 2025 Supplier Ltd. All rights reserved.") is the seller's page furniture
# (as a heading: at the start of one of the first lines, not "receipt of consent" in a text)
_TRANSACTIONAL = _P.compile(
    r"^[ \t]*(?:[\w&.,' -]{0,40}[ \t]+)?(?:licen[sc]e (?:confirmation|certificate|receipt)|"
    r"proof of licen[sc]e|(?:tax |vat )?invoice|receipt|order confirmation|purchase "
    r"confirmation|statement of account|remittance advice|credit note|delivery note)"
    r"(?:[ \t]*[:#-].*|[ \t]+(?:no\.?|number)\b.*)?[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# The mail says pictures are pages of a book (someone else's: "our" book is not)
_BOOK_TALK = _P.compile(
    r"\b(?:text)?book pages\b|"
    r"\b(?:pages?|chapters?|photos?|pics?|pictures?|scans?|snaps?|figures?|diagrams?|tables?|"
    r"illustrations?)(?:\s+\d{1,4}(?:[.\s]*[-–.]\s*\d{1,4})?)?\s+(?:of|from|out of|in)\s+"
    r"(?:the\s+pages?\s+(?:of|from|in)\s+)?(?:the|my|a|this|that|his|her|their)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:text)?(?:book|paper|article|atlas|journal)\b"
    r"(?!\s+(?:launch|club|signing|fair|event|party|shop|store|stand))|"
    r"\b(?:text)?book['’]?s? (?:is |was )?too (?:dear|expensive|pricey)|"
    r"\b(?:scanned|photographed|photocopied)\s+(?:in\s+)?(?:some|a few|the|these|two|three|"
    r"\d+)\s+(?:\w+\s+)?pages\b", re.IGNORECASE)
# A picture's licence fields that keep it off paper: web or editorial use only, not for print
_NOT_FOR_PRINT = _P.compile(
    r"\b(?:for\s+)?(?:web(?:\s?site)?|online|digital|internet|on-?screen|social media)\s+"
    r"(?:use\s+)?only\b|\b(?:web|online|digital)[- ]only\b|\beditorial\s+(?:use\s+)?only\b|"
    r"\bnot\s+(?:licen[sc]ed\s+)?(?:for\s+)?print(?:ed|ing)?\b|\bno\s+print(?:ed|ing)?\s+"
    r"(?:use|rights|reproduction)\b|\bprint(?:ed|ing)?\s+(?:use\s+|rights\s+)?(?:is\s+|are\s+)?"
    r"not\s+(?:permitted|allowed|licen[sc]ed|included)\b", re.IGNORECASE)
_PRINT_WORD = _P.compile(r"\b(?:re)?print(?:ed|ing)?\b", re.IGNORECASE)
_TERMS = ("usage_terms", "rights", "licence", "instructions", "web_statement", "description")
# The mail says the picture goes to print
_TO_PRINT = _P.compile(r"\b(?:(?:re)?print(?:ed|ing|ers?|s)?|flyers?|fliers?|leaflets?|posters?|"
                       r"banners?|magazines?|brochures?|billboards?|newspapers?|pull-?ups?)\b",
                       re.IGNORECASE)
_NOT_BEFORE = _P.compile(r"\bnot\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
# ... or on the clinic's own material: our flyer, our website, with our logo
_OUR_MATERIAL = _P.compile(
    r"\b(?:our|my)\s+(?:[\w-]+\s+){0,2}?(?:flyers?|fliers?|leaflets?|posters?|banners?|"
    r"brochures?|adverts?|ads?|web\s?site|web ?page|instagram|insta|facebook|tiktok|socials?|"
    r"newsletter|menu|price ?list|window|campaign)\b|"
    r"\b(?:with|add|put|swap in|use)\s+our\s+(?:own\s+)?(?:logo|name|branding)\b", re.IGNORECASE)
_HEAD = 400  # characters at the top of a page where a journal header or DOI counts
_MAX_SCAN = 200_000  # characters of one page read for signals


@dataclass(frozen=True)
class _Publishers:
    names: dict[str, str]  # name -> kind ("publisher" or "manufacturer")
    doi: dict[str, str]  # DOI prefix -> name
    pattern: re.Pattern


def _load_publishers() -> _Publishers:
    names, doi = {}, {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        names[cols[0]] = cols[1] if len(cols) > 1 else "publisher"
        for prefix in (cols[2].split(",") if len(cols) > 2 and cols[2] else []):
            doi.setdefault(prefix.strip(), cols[0])
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return _Publishers(names, doi, _P.compile(rf"\b(?:{alternatives})\b"))


@dataclass
class _Signals:
    reserved: tuple[str, str] | None = None  # (where, snippet)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (where, holder)
    publishers: dict[str, str] = field(default_factory=dict)  # name -> where
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (where, "DOI 10.1016/…")
    # a DOI at the top of a page (an article's own), an ISBN, or one in the properties; a
    # DOI further down is a reference, as in a brochure citing its studies
    own_identifier: bool = False
    journal: tuple[str, str] | None = None
    book: list[str] = field(default_factory=list)  # a photographed page's book structure
    metadata: list[str] = field(default_factory=list)  # "creator: Elsevier", "rights: © …"
    metadata_rights: bool = False
    licences: list[str] = field(default_factory=list)  # "CC BY 4.0", "CC0", "OGL v3.0"
    restricted: tuple[str, str] | None = None  # (where, snippet) of a licence or access term
    own: bool = False
    other_holder: bool = False

    @property
    def provenance(self) -> bool:
        return bool(self.publishers or self.own_identifier or self.journal or self.book)

    @property
    def rights_claim(self) -> bool:
        return bool(self.reserved or self.notices or self.metadata_rights)


class CopyrightScanner:
    name = "copyright"
    rules = {
        "copyright_rights_reserved": "An attachment says it is a rights-reserved work "
                                     "(\"All rights reserved\", \"No part of this publication "
                                     "may be reproduced\"); medium in the body of the mail.",
        "copyright_notice": "A copyright notice (©, Copyright 2024 Publisher) in an attachment.",
        "copyright_publisher": "An attachment names a publisher from the maintained list "
                               "(scanners/data/publishers.txt), or a manufacturer as its "
                               "copyright holder or author.",
        "copyright_identifier": "An attachment carries a DOI or an ISBN, the identifiers of "
                                "published articles and books.",
        "copyright_journal_header": "An attachment has a journal page header (volume and issue, "
                                    "year;volume:pages, received/accepted dates).",
        "copyright_pdf_metadata": "An attachment's document properties (PDF info, XMP, office "
                                  "properties) carry a rights statement, a DOI or a publisher.",
        "copyright_published_work": "A document whose signals together say it is a published, "
                                    "rights-reserved work: a rights claim or notice plus a "
                                    "publisher, DOI, ISBN or journal header, and no open licence.",
        "copyright_open_licence": "A document under an open licence (Creative Commons, CC0, "
                                  "public domain, Open Government Licence): it may be shared "
                                  "on the licence's terms; shown for the record.",
        "copyright_licence_noncommercial": "A document under a non-commercial Creative Commons "
                                           "licence (BY-NC) sent in marketing mail, which the "
                                           "licence does not allow.",
        "copyright_licence_restricted": "A document from someone else whose licence or access "
                                        "terms restrict it to its buyer (licensed to, single "
                                        "user, delegates only, subscribers only, not for "
                                        "distribution), sent outside the clinic; high.",
        "copyright_shared_login": "A login and password to a paid portal, course or "
                                  "subscription passed on; sharing access breaches its terms; high.",
        "copyright_copied_text": "Another business's text (their website, leaflet or post) "
                                 "handed on to be reused as the clinic's own (use this word "
                                 "for word, swap their name for ours); high.",
        "copyright_pirate_link": "A link to what reads as a pirated copy of a paid course, "
                                 "book or video (without paying, someone has uploaded the "
                                 "whole course, a free PDF of the book); medium.",
        "copyright_admitted_copy": "The sender's own words say they copied a work to spare "
                                   "paying for it (scanned the chapter so nobody needs to "
                                   "buy the book, used the preview because we didn't want "
                                   "to pay for the licence) and the mail carries an "
                                   "attachment; high with a document or picture, medium "
                                   "otherwise, cleared by an open licence or a licence bought.",
        "copyright_quotation": "A passage in quotation marks attributed to a book or article "
                               "(as Smith wrote in ..., from 'Title' by ...) in copy for a "
                               "blog, newsletter or other publication; medium.",
        "copyright_protected_work": "An excerpt of a work in the clinic's protected works "
                                    "register (mailscreen works), also when lightly edited; "
                                    "the evidence names the work and how much matched.",
        "image_stock_photo": "An image whose metadata names a stock photo agency (Getty Images, "
                             "Shutterstock, ...): it needs a licence for this use.",
        "image_copyright": "An image whose EXIF, IPTC or XMP fields name a copyright holder, "
                           "with no licence stated.",
        "image_from_web": "A picture sent with a mail that says it was taken from the "
                          "internet (found on Google, off Pinterest, from someone's Instagram): "
                          "nobody licensed it for this use; medium.",
        "image_third_party_artwork": "A picture whose own text carries someone else's "
                                     "copyright notice (© 2025 Another Clinic Ltd), sent with "
                                     "mail that puts it on the clinic's own material (our "
                                     "flyer, poster, leaflet, website or socials, with our "
                                     "logo): another business's artwork reused; high.",
        "image_licence_print": "A photograph whose licence or usage terms (EXIF, IPTC or XMP) "
                               "limit it to web, online or editorial use or say not for print, "
                               "sent with mail that says it goes to print (a flyer, leaflet, "
                               "poster, banner, magazine, printed): a use the licence does not "
                               "allow; high.",
        "image_watermark": "A picture (an image, or one inside a PDF or Office file) that still "
                           "shows a stock library's watermark (the library's name, or "
                           "\"preview\"/\"comp\" with an image number or stock site), a "
                           "preview's file name, or whose watermark the sender asks to have "
                           "removed: the unlicensed preview; high, medium when the mail says "
                           "the image is licensed.",
    }

    def __init__(self, own_names=(), own_domains=(), works=None):
        self.own_names = tuple(n.casefold() for n in own_names if n.strip())
        self.own_domains = tuple(d.casefold().lstrip("@") for d in own_domains if d.strip())
        self.works = works  # gateway.registers.works.Loader, or None: no register
        self.publishers = _load_publishers()

    # -- the message -------------------------------------------------------------------------

    def scan(self, msg: ParsedMessage, views=None) -> Iterator[Finding]:
        found = list(self._scan(msg))
        yield from found
        if views is None or any(f.rule in ("copyright_licence_restricted",
                                           "copyright_open_licence") for f in found):
            return
        # licence wording the model sees counts only in a document already marked as
        # someone else's (a notice, a publisher, an identifier): never the clinic's own
        marked = {f.where.split("#")[0] for f in found}
        yield from (f for f in model_findings.copyright(views) if f.where.split("#")[0] in marked)

    def _scan(self, msg: ParsedMessage) -> Iterator[Finding]:
        # the sender's organisation owns what it sends (an academy, its own course)
        self._sender_own = _sender_organisation(msg)
        marketing = _marketing(msg)
        yield from _shared_login(msg)
        yield from copying.findings(msg)
        for part in msg.body_parts:
            if part.where.startswith("attachment:"):
                continue  # what an attachment shows (picture text, properties): read with it
            self._own_spans = _own_spans(part)
            yield from self._document(part.where, [(part.where, part.text)], (), False, marketing)
        self._own_spans = []
        own_text = "\n".join(part.text for part in msg.body_parts
                             if not part.where.startswith("attachment:"))
        licensed = watermarks.licence_stated(own_text)
        remove_watermark = watermarks.watermark_unwanted(own_text)
        self._book_talk = bool(_BOOK_TALK.search(msg.subject + "\n" + own_text))
        self._to_print = _to_print(msg.subject + "\n" + own_text)
        # someone else's artwork made the clinic's: for our flyer, with our logo, printed
        ours = _OUR_MATERIAL.search(msg.subject + "\n" + own_text)
        reused = ours.group(0) if ours else _to_print(own_text, _PRINT_WORD)
        for att in msg.attachments:
            # text the attachment shows besides its pages: OCR of the picture or of the
            # pictures inside it ("#image", "#image=2"), its visible properties ("#metadata")
            shown = [(f"{att.where}#{kind}", text) for kind, text in att.texts if text.strip()]
            pictured = {w for w, _ in shown if "#image" in w} | \
                {att.page_where(i) for i in att.ocr_pages if i < len(att.pages)}
            marks = list(watermarks.findings(att, shown, licensed, remove_watermark,
                                             self._is_own))
            yield from marks
            if reused and not marks:
                yield from self._artwork(shown, reused)
            yield from self._placed_pictures(att, licensed)
            if att.real_type.startswith("image/"):
                yield from self._image(att, licensed, marked=bool(marks))
                if shown:
                    yield from self._document(att.where, shown, (), True, marketing, pictured)
                continue
            pages = [(att.page_where(i), p) for i, p in enumerate(att.pages) if p] + shown
            if pages or att.metadata:
                yield from self._document(att.where, pages, att.metadata, True, marketing,
                                          pictured)
        yield from self._register(msg)

    def _register(self, msg: ParsedMessage) -> Iterator[Finding]:
        index = self.works.index() if self.works is not None else None
        if index is None or not len(index):
            return
        for part in msg.body_parts:
            yield from self._work_matches(index, part.where, part.text)
        for att in msg.attachments:
            if att.pages:
                yield from self._work_matches(index, att.where, "\n".join(att.pages))

    @staticmethod
    def _work_matches(index, where: str, text: str) -> Iterator[Finding]:
        for m in index.match(text):
            share = m.share * 100
            yield Finding(CATEGORY, "copyright_protected_work", Severity.HIGH, where,
                          f"work {m.work.id} \"{m.work.title[:60]}\": about {m.words} words "
                          f"({share:.1f}% of the work, {m.fingerprints} fingerprints)")

    # -- one document ------------------------------------------------------------------------

    def _document(self, where, pages, metadata, attachment: bool, marketing: bool,
                  pictured=frozenset()) -> Iterator[Finding]:
        s = self._signals(pages, metadata, pictured)
        if s.licences:
            licence = s.licences[0]
            if "NC" in licence and marketing:
                yield Finding(CATEGORY, "copyright_licence_noncommercial", Severity.MEDIUM,
                              where, f"{licence} in marketing mail")
            elif attachment or s.rights_claim:
                yield Finding(CATEGORY, "copyright_open_licence", Severity.LOW, where, licence)
            return
        if s.own and not s.other_holder:
            return  # the clinic's own document
        if attachment and pages and _TRANSACTIONAL.search(pages[0][1][:_HEAD]):
            return  # the record of a purchase (a licence confirmation, an invoice): no work
        if s.restricted:
            yield Finding(CATEGORY, "copyright_licence_restricted", Severity.HIGH,
                          s.restricted[0], s.restricted[1])
        published = s.rights_claim and (s.provenance or s.metadata)
        if published and (attachment or s.reserved or s.provenance):
            kinds = [k for k, on in (("rights reserved", s.reserved), ("notice", s.notices),
                                     ("publisher " + next(iter(s.publishers), ""), s.publishers),
                                     ("DOI/ISBN", s.own_identifier), ("journal header", s.journal),
                                     ("book page " + ", ".join(s.book), s.book),
                                     ("properties", s.metadata)) if on]
            yield Finding(CATEGORY, "copyright_published_work", Severity.HIGH, where,
                          ", ".join(kinds)[:160])
        if s.book and not s.rights_claim and getattr(self, "_book_talk", False):
            # pages photographed from a book the mail says is someone else's, no notice seen
            yield Finding(CATEGORY, "copyright_published_work", Severity.HIGH, where,
                          "photographed book pages: " + ", ".join(s.book))
        if s.reserved:
            # a picture of a web page or an app shows its footer ("© 2025 X Ltd. All rights
            # reserved."): in a picture's text the claim alone is medium (a scanned PDF's page
            # stays a page), with a book's page structure it is a published work above
            yield Finding(CATEGORY, "copyright_rights_reserved",
                          Severity.HIGH if attachment and "#image" not in s.reserved[0]
                          else Severity.MEDIUM, *s.reserved)
        if not attachment:
            return  # in a body only the claims above count: a DOI link is how to share
        if s.notices and not s.reserved:
            page, holder = s.notices[0]
            yield Finding(CATEGORY, "copyright_notice", Severity.LOW, page, f"© {holder}"[:80])
        if s.publishers:
            name, page = next(iter(s.publishers.items()))
            yield Finding(CATEGORY, "copyright_publisher", Severity.LOW, page, name)
        if s.identifiers:
            yield Finding(CATEGORY, "copyright_identifier", Severity.LOW, *s.identifiers[0])
        if s.journal:
            yield Finding(CATEGORY, "copyright_journal_header", Severity.LOW, *s.journal)
        if s.metadata:
            yield Finding(CATEGORY, "copyright_pdf_metadata", Severity.LOW, where,
                          "; ".join(s.metadata)[:160])

    def _signals(self, pages, metadata, pictured=frozenset()) -> _Signals:
        s = _Signals()
        book: set[str] = set()
        for where, text in pages:
            text = text[:_MAX_SCAN]
            if where in pictured:  # a photographed or scanned page: is it a book's?
                book.update(" ".join(m.group(0).split()) for m in _BOOK.finditer(text))
            if s.reserved is None:
                m = _RESERVED.search(text)
                if m:
                    s.reserved = (where, redact.snippet(text, m.start(), m.end(), 20))
            for m in _NOTICE.finditer(text):
                holder = _holder(m.group("holder") or "")
                if not holder and not m.group("year"):
                    continue
                if not m.group(0).startswith(("©", "(c)", "(C)")) and not m.group("year"):
                    continue  # "copyright law applies": the word alone is not a notice
                s.notices.append((where, holder or m.group("year")))
                self._holder_signals(s, holder, where)
            for m in self.publishers.pattern.finditer(text):
                if self.publishers.names[m.group(0)] == "publisher":
                    s.publishers.setdefault(m.group(0), where)
            for m in _GENERIC_PUBLISHER.finditer(text):
                if not self._is_own(m.group(0)):
                    s.publishers.setdefault(m.group(0), where)
            for m in _DOI.finditer(text):
                s.identifiers.append((where, f"DOI {m.group(0)[:60]}"))
                if m.start() < _HEAD:  # the article's own DOI: its prefix names the publisher
                    s.own_identifier = True
                    name = self.publishers.doi.get(m.group(1))
                    if name:
                        s.publishers.setdefault(name, where)
            for m in _ISBN.finditer(text):
                if _isbn_valid(m.group(1)):
                    s.identifiers.append((where, f"ISBN {m.group(1)}"))
                    s.own_identifier = True
            if s.journal is None:
                m = _JOURNAL.search(text[:_HEAD])
                if m:
                    s.journal = (where, " ".join(m.group(0).split())[:60])
            s.licences += _licences(text)
            if s.restricted is None:
                for m in _RESTRICTED.finditer(text):
                    if any(a <= m.start() < b for a, b in getattr(self, "_own_spans", [])):
                        continue  # the sender's own terms for what they send: theirs to set
                    start = max(text.rfind(".", 0, m.start()), text.rfind("\n\n", 0, m.start()))
                    end = text.find(".", m.end())
                    if _DISCLAIMER.search(text, start + 1, end if end > 0 else len(text)):
                        continue
                    s.restricted = (where, redact.snippet(text, m.start(), m.end(), 20))
                    break
            if self.own_domains and any(d in text.casefold() for d in self.own_domains):
                s.own = True
        for key, value in metadata:
            if s.restricted is None and key in ("rights", "usage_terms", "description",
                                                "subject", "keywords", "title"):
                m = _RESTRICTED.search(value)
                if m:
                    s.restricted = ("", f"{key}: {value[max(0, m.start() - 20):m.end() + 20]}")
            s.licences += _licences(value) if key in ("licence", "web_statement", "usage_terms",
                                                       "rights") else []
            if key in ("rights", "rights_owner", "usage_terms", "web_statement") or \
                    key == "rights_marked" and value.strip().lower() == "true":
                s.metadata.append(f"{key}: {value[:50]}")
                s.metadata_rights = s.metadata_rights or key != "web_statement"
                self._holder_signals(s, value, "", from_metadata=True)
            elif key in ("doi", "crossmark", "publication", "publisher"):
                s.metadata.append(f"{key}: {value[:50]}")
                if key == "publisher":
                    s.publishers.setdefault(value[:60], "")
                elif key == "doi":
                    s.identifiers.append(("", f"DOI {value[:60]}"))
                    s.own_identifier = True
            if key in ("author", "creator", "producer", "company", "publisher", "rights",
                       "rights_owner", "manager"):
                if self._is_own(value):
                    s.own = True
                for m in self.publishers.pattern.finditer(value):
                    s.publishers.setdefault(m.group(0), "")
                    s.other_holder = True
                    if f"{key}: {value[:50]}" not in s.metadata:
                        s.metadata.append(f"{key}: {value[:50]}")
        s.licences = list(dict.fromkeys(s.licences))
        # two marks of a book's page, or one when the mail itself says these are book pages
        enough = 1 if getattr(self, "_book_talk", False) else 2
        s.book = sorted(book)[:3] if len(book) >= enough else []
        s.publishers = {k: v or (pages[0][0] if pages else "") for k, v in s.publishers.items()}
        return s

    def _holder_signals(self, s: _Signals, holder: str, where: str, from_metadata=False) -> None:
        if not holder:
            return
        if self._is_own(holder):
            s.own = True
            return
        if re.match(r"(?i)the authors?\b", holder):
            return  # "© 2023 The Authors": open access articles say this
        s.other_holder = True
        for m in self.publishers.pattern.finditer(holder):
            s.publishers.setdefault(m.group(0), where)

    def _is_own(self, value: str) -> bool:
        folded = value.casefold()
        sender_names, sender_labels = getattr(self, "_sender_own", ((), ()))
        return any(n in folded for n in self.own_names + sender_names) or \
            any(d in folded for d in self.own_domains) or \
            any(_abbreviates(label, value) for label in sender_labels)

    # -- images --------------------------------------------------------------------------------

    def _artwork(self, shown, material: str) -> Iterator[Finding]:
        """image_third_party_artwork: a picture whose own text (OCR) carries a copyright
        notice of someone else, for the clinic's own material ("our flyer")."""
        for where, text in shown:
            if "#image" not in where:
                continue
            for m in _NOTICE.finditer(text):
                holder = _holder(m.group("holder") or "")
                if m.group("year") and len(holder) > 2 and not self._is_own(holder) and \
                        not re.match(r"(?i)the authors?\b", holder):
                    yield Finding(CATEGORY, "image_third_party_artwork", Severity.HIGH, where,
                                  f"© {holder}"[:60] + f" in the picture; the mail: {material}")
                    return

    def _image(self, att: Attachment, licensed: bool, marked: bool = False
               ) -> Iterator[Finding]:
        meta = dict(att.metadata)
        text = " ".join(v for _, v in att.metadata)
        terms = " ".join([v for k, v in att.metadata if k in _TERMS] +  # a placed picture's
                         [t for kind, t in att.texts if kind == "metadata"  # texts are its
                          and att.real_type.startswith("image/")])  # document's
        restriction = _not_for_print(terms)
        if restriction and getattr(self, "_to_print", ""):
            yield Finding(CATEGORY, "image_licence_print", Severity.HIGH, att.where,
                          f"licence: \"{restriction}\"; the mail: {self._to_print}"[:160])
            return
        stock = watermarks.stock_name(text) or \
            watermarks.stock_name(att.name.replace("_", " "))
        # the library's preview says so in its own fields too (title "Comp image", usage
        # terms "Preview - licence required"): a watermark written in the metadata
        fields = text + " " + " ".join(t for kind, t in att.texts if kind == "metadata")
        preview = watermarks.PREVIEW.search(fields) or \
            watermarks.PREVIEW.search(att.name.replace("_", " "))
        if stock and preview and not marked:
            yield Finding(CATEGORY, "image_watermark",
                          Severity.MEDIUM if licensed else Severity.HIGH, att.where,
                          f"metadata names {stock} and \"{preview.group(0)}\"")
            return
        licensed = licensed or bool(_licences(text))
        if stock and not licensed:
            yield Finding(CATEGORY, "image_stock_photo", Severity.MEDIUM, att.where,
                          f"metadata or file name names {stock}")
        elif meta.get("rights") and not licensed and not self._is_own(meta["rights"]):
            yield Finding(CATEGORY, "image_copyright", Severity.LOW, att.where,
                          f"copyright field: {meta['rights'][:60]}")

    def _placed_pictures(self, att: Attachment, licensed: bool) -> Iterator[Finding]:
        """image_stock_photo and image_copyright for the pictures placed in a document, from
        their own metadata ("picture=2 credit": "Getty Images")."""
        fields: dict[str, list[tuple[str, str]]] = {}
        for key, value in att.metadata:
            if key.startswith("picture="):
                number, _, field_name = key[len("picture="):].partition(" ")
                fields.setdefault(number, []).append((field_name, value))
        for number, pairs in fields.items():
            yield from self._image(dataclasses.replace(att, name=f"{att.name}#image={number}",
                                                       metadata=tuple(pairs)), licensed)


def _holder(raw: str) -> str:
    holder = re.split(r"\.\s|\s+(?i:all rights|some rights|this |published |licensed |under )",
                      raw + " ")[0]
    return holder.strip(" ,.-–")[:80]


def _licences(text: str) -> list[str]:
    out = []
    for m in _CC.finditer(text):
        variant = m.group("v1") or m.group("v2") or m.group("v3") or ""
        number = m.group("n1") or m.group("n2") or m.group("n3") or ""
        out.append(" ".join(filter(None, ["CC", _cc_variant(variant), number])))
    if not out and _CREATIVE_COMMONS.search(text):
        out.append("Creative Commons")
    if _CC0.search(text):
        out.append("CC0 / public domain")
    m = _OGL.search(text)
    if m:
        out.append("Open Government Licence" + (f" v{m.group('n')}" if m.group("n") else ""))
    return out


def _cc_variant(variant: str) -> str:
    v = variant.upper().replace("-", " ")
    parts = ["BY"]
    if "NC" in v.split() or "NONCOMMERCIAL" in v.replace(" ", "") or "NON COMMERCIAL" in v:
        parts.append("NC")
    if "SA" in v.split() or "SHAREALIKE" in v.replace(" ", "") or "SHARE ALIKE" in v:
        parts.append("SA")
    if "ND" in v.split() or "NODERIV" in v.replace(" ", "") or "NO DERIV" in v:
        parts.append("ND")
    return "-".join(parts)


def _not_for_print(terms: str) -> str:
    """The licence wording that keeps a picture off paper, or "" (also when the terms
    allow print elsewhere: "print and web use only")."""
    spans = [m.span() for m in _NOT_FOR_PRINT.finditer(terms)]
    if not spans or any(not any(a <= m.start() < b for a, b in spans)
                        for m in _PRINT_WORD.finditer(terms)):
        return ""
    return " ".join(terms[spans[0][0]:spans[0][1]].split())


def _to_print(text: str, words: re.Pattern = _TO_PRINT) -> str:
    """What in the mail says its pictures go to print ("the printed leaflet"), or ""."""
    for m in words.finditer(text):
        if not _NOT_BEFORE.search(text, max(0, m.start() - 25), m.start()):
            return m.group(0)
    return ""


def _isbn_valid(raw: str) -> bool:
    digits = re.sub(r"[\s-]", "", raw).upper()
    if len(digits) == 10:
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits)
                    if c.isdigit() or (c == "X" and i == 9))
        return len([c for c in digits[:9] if c.isdigit()]) == 9 and total % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        return sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits)) % 10 == 0
    return False


def _marketing(msg: ParsedMessage) -> bool:
    """Newsletter, list or promotional mail (where a non-commercial licence does not hold)."""
    for name, value in msg.headers:
        name = name.lower()
        if name in ("list-unsubscribe", "list-id") or \
                name == "precedence" and value.strip().lower() in ("bulk", "list"):
            return True
    return any(_MARKETING.search(part.text) for part in msg.body_parts)


_ORG_WORDS = _P.compile(r"\b(?:academy|clinic|aesthetics?|training|institute|college|school|"
                        r"ltd|limited|llp|plc|group|pharmacy|supplies|surgery|dental|skin)\b",
                        re.IGNORECASE)


def _sender_organisation(msg: ParsedMessage) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, domain labels) of the sender's organisation: the From display name when it
    reads as an organisation, and the first label of a non-webmail sender domain."""
    import email.utils

    from scanners import lexicon

    name, address = email.utils.parseaddr(msg.header("From"))
    names = (name.casefold(),) if name and _ORG_WORDS.search(name) else ()
    label = address.rpartition("@")[2].split(".")[0].casefold() if "@" in address else ""
    labels = (label,) if label and len(label) >= 4 and \
        label not in lexicon.words("webmail.txt") else ()
    return names, labels


def _abbreviates(label: str, holder: str) -> bool:
    """Whether a domain label is the holder's name written whole or shortened, word by word
    (each word whole, by its initial, or left out): "laganskin" for "Lagan Skin & Laser",
    "nlacademy" for "Northern Lights Aesthetics Academy", "saltandskin" for "Salt & Skin"
    ("&" written "and", which counts for nothing), "avongorge-aesthetics" for "Avon Gorge
    Aesthetics Ltd" (hyphens dropped); or one of its hyphenated parts is ("jhrc" of
    "jhrc-training" for "Jesmond Hair & Regenerative Clinic"). At least two words must
    count, or, for the whole label, one whole word of five letters or more."""
    words = [w for w in re.findall(r"[a-z0-9]+", holder.casefold().replace("&", " and "))
             if w not in ("the", "of", "ltd", "limited", "llp", "plc", "uk")]
    if not any(w != "and" for w in words) or not label or len(words) > 12:
        return False

    def fits(text: str, i: int, pos: int, used: int, whole: int, one: bool) -> bool:
        """`one`: a single whole word of five letters or more is enough."""
        if pos == len(text):
            return used >= 2 or one and whole >= 5
        if i == len(words):
            return False
        w = words[i]
        count = 0 if w == "and" else 1
        if text.startswith(w, pos) and fits(text, i + 1, pos + len(w), used + count,
                                            max(whole, len(w) * count), one):
            return True
        if count and text[pos] == w[0] and fits(text, i + 1, pos + 1, used + 1, whole, one):
            return True
        return fits(text, i + 1, pos, used, whole, one)

    parts = [p for p in label.casefold().split("-") if p]
    # a part alone must be two words or more: "aesthetics" of "avongorge-aesthetics" is
    # in many a holder's name
    return bool(parts) and (fits("".join(parts), 0, 0, 0, 0, True) or len(parts) > 1 and any(
        fits(p, 0, 0, 0, 0, False) for p in parts if len(p) >= 3))


def _shared_login(msg: ParsedMessage) -> Iterator[Finding]:
    """copyright_shared_login: a login and a password to a paid service in the sender's text."""
    for part in msg.body_parts:
        text = part.text[:_MAX_SCAN]
        password = _PASSWORD.search(text)
        if not password:
            continue
        login = _LOGIN.search(text, max(0, password.start() - 300), password.end() + 300)
        if login and _PAID.search(text):
            yield Finding(CATEGORY, "copyright_shared_login", Severity.HIGH, part.where,
                          "login and password to a paid service")
            return


def _own_spans(part) -> list[tuple[int, int]]:
    """Spans of a body part in the sender's own words (not quoted, not forwarded)."""
    from scanners.text import FORWARDED, split_quoted

    if part.where == FORWARDED:
        return []
    return [(a, b) for a, b, quoted in split_quoted(part.text) if not quoted]
