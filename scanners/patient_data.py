"""Patient details: identifiable patient data in the subject, the body, attachments and images.

What it reads (every TextPart of the message, quoted text included, and image attachments):
  identifiers   scanners/identifiers.py: NHS, Health and Care (Northern Ireland) and CHI
                (Scotland) numbers (mod 11, range, label), NI numbers, dates of birth,
                postcodes in addresses, phone numbers, personal e-mail addresses, labelled
                record numbers (MRN, Hospital No., Patient ID)
  names         scanners/people.py: titled, labelled and full names, less staff, signatures
                and the clinic's own people; first names standing alone, less the people
                written to, greeted or signing, and names doing a clinician's work
  details       scanners/identifiable.py: what picks out a person without a full name (a job
                or local role, an age, a street or town, her team or school)
  cues          scanners/data/patient_cues.txt: patient words, treatments, conditions, job titles
  register      the clinic's patient register (gateway/register.py) as salted hashes: a
                registered patient's name together with one of their other identifiers
  photographs   scanners/photos.py: faces (OpenCV) and camera EXIF in images, in PDFs too;
                with the file name (a name, a body area, before/after) and the text
  tables        scanners/tables.py: a table listing several people with identifiers or
                treatments is one high patient_list finding (its cells' low ones are dropped)

How severe (the aggregation): one weak signal alone is low (a phone number, an e-mail address,
an address); an identifier next to a patient's name, a clinical cue or another identifier is
high, and so are a validated NHS, Health and Care or CHI number labelled as one or near a
patient, NHS, DOB or clinical cue (Microsoft Purview's rule: within 300 characters), a
labelled record number, a register match, a name with a treatment or condition (jigsaw
identification), and a first name with a treatment and a distinguishing detail; a first name
with a treatment alone, or a nameless case that still picks one person out, is medium (the
decision step raises the latter to high for a private webmail reader, not to professionals).
A name in a Word comment, a PDF's comments or form fields or a document's properties is
weighed with the treatments of the whole document (a slide's speaker notes are read with their
slide), and with an identifier beside it is high when the document tells one person's case.
Without a label or cue a checksum-valid ten-digit number is only low (`uk_nhs_number_bare`):
about one in eleven random numbers passes the checksum, so order and consignment numbers do.

The clinic's own details ([clinic] in the config: names, practitioners, addresses,
postcodes, phone numbers, mail domains) are never reported, nor is the sender.

Addressed to the patient: when a message has one To recipient and every patient it names is
that recipient (the greeting or a name in the text matches the To display name, or the
register holds the recipient's address for the matched patient), each finding carries
`addressee`, a one-way tag of that address (scanners/base.py). The policy lets such findings
pass when the envelope goes to that address alone. The scanner never sees the envelope.

Evidence is redacted: `NHS ***-***-1234`, `S**** J****`, `phone *******123`.
"""
from __future__ import annotations

import bisect
import email.utils
import re
from dataclasses import dataclass, field, replace
from typing import Iterator

from scanners import identifiable, identifiers, lexicon, patient_keys, people, photos, redact, tables
from scanners.base import TO_PROFESSIONALS, Attachment, Finding, ParsedMessage, Severity, \
    address_tag
from scanners.identifiers import Ident

CATEGORY = "patient_data"
CUE_WINDOW = 300  # an identifier and a cue, a name or another identifier this close belong together
NAME_CUE_WINDOW = 150  # a name and a treatment or condition
CUE_REACH = CUE_WINDOW + 60  # cues are looked for this far around each candidate
PATIENT_LABEL_REACH = 40  # "patient Sarah Jones", "Sarah Jones (client)"
DOB_LABEL_REACH = 25  # "DOB: 03/09/1979"
BIRTH_DATE_AFTER_NAME = 6  # "Sarah Jones, 12/03/1985" / "Sarah Jones (12.03.85)"
STRONG = ("nhs", "hcn", "chi", "ni", "dob", "mrn")
HEALTH_RULES = {"nhs": "uk_nhs_number", "hcn": "ni_health_care_number", "chi": "scot_chi_number"}
CONTACT = ("phone", "email", "address")
_HOSPITAL_LABELS = ("mrn", "m.r.n", "hospital", "hosp", "patient", "medical", "unit", "chi", "h&c")


@dataclass
class _Part:
    """What was found in one TextPart, with positions, before weighing."""
    where: str
    text: str
    idents: list[Ident] = field(default_factory=list)  # the kinds of STRONG and CONTACT
    bare_health: list[Ident] = field(default_factory=list)  # nhs, hcn, chi with no cue near
    all_dates: list[Ident] = field(default_factory=list)
    all_postcodes: list[Ident] = field(default_factory=list)
    names: list[people.Name] = field(default_factory=list)  # patients' names (not staff)
    cues: dict[str, list[int]] = field(default_factory=dict)  # label -> sorted start offsets
    cue_words: dict[int, str] = field(default_factory=dict)  # start offset -> the cue's entry
    signed: list[Ident] = field(default_factory=list)  # contact details in a signature block
    signature: list[tuple[int, int]] = field(default_factory=list)  # signature blocks
    name_starts: list[int] = field(default_factory=list)
    all_names: list[people.Name] = field(default_factory=list)  # staff included
    staff_ends: list[int] = field(default_factory=list)
    by_kind: dict[str, list[Ident]] = field(default_factory=dict)  # sorted by start
    by_kind_starts: dict[str, list[int]] = field(default_factory=dict)
    firsts: list[people.Name] = field(default_factory=list)  # first names alone, not staff
    spans: list[tuple[int, int]] = field(default_factory=list)  # signature blocks
    subjects: list[people.Name] = field(default_factory=list)  # names weighed as patients


class PatientDataScanner:
    name = "patient_data"
    rules = {
        "recipients_exposed": "More than five personal (webmail) addresses in To and Cc, so "
                              "every recipient sees the others: a list of the clinic's "
                              "clients by e-mail; high (Bcc or a mailing tool keeps them apart).",
        "uk_nhs_number": "A valid NHS number (mod-11 check digit passes) within 300 characters "
                         "of a patient, NHS, date-of-birth or clinical cue; high.",
        "uk_nhs_number_bare": "A number that passes the NHS checksum (Health and Care and CHI "
                              "numbers share it) but has no label or clinical cue nearby; "
                              "could be an order or invoice number, so low.",
        "ni_health_care_number": "A valid Northern Ireland Health and Care Number (mod-11 check "
                                 "digit, issued from 320 000 0000 to 399 999 9999) labelled "
                                 "H&C or HCN, or within 300 characters of a patient, NHS, "
                                 "date-of-birth or clinical cue; high.",
        "scot_chi_number": "A valid Scottish CHI number (a real date of birth DDMMYY, mod-11 "
                           "check digit) labelled CHI, or within 300 characters of a patient, "
                           "NHS, date-of-birth or clinical cue; high.",
        "uk_ni_number": "A UK National Insurance number with a valid prefix; high next to a "
                        "name, another identifier or a clinical cue, medium alone.",
        "date_of_birth": "A date labelled as a date of birth (DOB, born on), or a plausible "
                         "birth date right after a name; high with a name, identifier or cue.",
        "uk_postcode_address": "A UK postcode as part of a street address; low alone, high "
                               "with a patient's name or another identifier.",
        "phone_number": "A valid UK or international phone number (phonenumbers), not the "
                        "clinic's; low alone, high next to a patient's name or identifier.",
        "email_address": "The e-mail address of an individual (not a role mailbox, not the "
                         "clinic's) in the text; low alone, high with a patient's details.",
        "medical_record_number": "A labelled hospital or clinic record number (MRN, Hospital "
                                 "No., Patient ID): high; a client number with nothing else "
                                 "near it is medium.",
        "patient_name_clinical": "A person's name marked as a patient or client (Patient: "
                                 "name, client Sarah Jones, a name with their date of birth or "
                                 "NHS number); high.",
        "patient_register_match": "A patient on the clinic's register (mailscreen patients "
                                  "import): their name together with another of their "
                                  "identifiers; high.",
        "patient_photo": "An image, or a picture in a PDF, that shows a face or carries "
                         "camera data (EXIF make, model or GPS), or that the message ties to "
                         "a patient (a name, a body area or a before/after time point in its "
                         "file name, a first name's body area in the text): a possible "
                         "patient photograph.",
        "jigsaw_identification": "A person's name next to a treatment, condition or "
                                 "complication, or a first name with a treatment and a detail "
                                 "that picks her out (job, age, street, team): identifies a "
                                 "patient even with no identifier; high.",
        "first_name_clinical": "A first name standing alone next to a treatment or "
                               "condition: whoever knows her may recognise the patient; "
                               "medium.",
        "identifiable_description": "A case told without a name but with details that pick "
                                    "out one person (an occupation, local role or public "
                                    "profile with an age, a place or another detail) next to "
                                    "a treatment or condition; medium, high when the mail "
                                    "goes to a private (webmail) address outside the clinic "
                                    "and not to a professional audience.",
        tables.RULE: tables.DESCRIPTION,
    }

    def __init__(self, clinic_names=(), practitioners=(), addresses=(), postcodes=(), phones=(),
                 domains=(), register=None, staff=None):
        """The clinic's own details (never reported), `register`: an object with `index()`
        returning a scanners.patient_keys.RegisterIndex or None (gateway/registers/patients.py
        Loader), or None for no register, and `staff`: an object with `snapshot()` giving
        the staff register's name_keys, phone_keys and photo_hashes
        (gateway/registers/staff.py Loader), or None."""
        self.own_names = {patient_keys.fold(n) for n in (*clinic_names, *practitioners)
                          if n.strip()}
        self.own_keys = {patient_keys.name_key(n) for n in practitioners} - {""}
        self.own_surnames = {patient_keys.fold(n).split()[-1] for n in practitioners
                             if patient_keys.fold(n)}
        self.own_postcodes = {patient_keys.postcode_key(p) for p in postcodes} - {""}
        for address in addresses:
            self.own_postcodes |= {i.key for i in identifiers.postcodes(address)}
        self.own_phones = {patient_keys.phone_key(p) for p in phones} - {""}
        self.own_domains = {d.lower().lstrip("@").strip() for d in domains if d.strip()}
        self.register = register
        self.staff = staff
        self._cues = lexicon.plural_matcher("patient_cues.txt", "treatment", "condition")
        self._roles = lexicon.matcher("patient_cues.txt", "role")
        self._professional = lexicon.matcher("audience.txt", "professional")
        people.name_lists()  # read once here (a scan process starts), not on the first message

    # -- the message ---------------------------------------------------------------------------

    def scan(self, msg: ParsedMessage, views=None) -> Iterator[Finding]:
        own = self._own_for(msg)
        parts = [self._read(p.where, p.text, own) for p in msg.texts()]
        # the people a payroll or HR part names are staff wherever else the message names
        # them (the fit note attached to the payroll changes)
        staff_keys = {n.key for p in parts if _staff_record(p) for n in p.all_names if n.key}
        for part in parts if staff_keys else ():
            part.names = [n for n in part.names if n.key not in staff_keys]
            part.name_starts = [n.start for n in part.names]
        findings: list[Finding] = []
        office = {p.where for p in msg.texts() if _OFFICE.match(p.content_type)
                  and "spreadsheet" not in p.content_type}
        # an Office document's parts (its text, comments, notes) and any document's
        # properties, form fields and comments are weighed with the clinical subject of
        # the whole document
        professional = self._for_professionals(msg, parts)
        annotated = office | {p.where for p in parts
                              if p.where.endswith(("#metadata", "#form", "#comments"))}
        pages = {p.where for p in msg.texts() if p.where.startswith("attachment:")}
        documents = self._document_cues([p for p in parts if p.where in annotated
                                         or (p.where in pages and _document(p.where) in
                                             {_document(w) for w in annotated})])
        for part in parts:
            cue, case_parts = documents.get(_document(part.where), ("", set())) \
                if part.where in annotated else ("", set())
            findings.extend(self._weigh(part, cue, bool(case_parts - {part.where}), professional))
        findings.extend(self._register(parts))
        findings.extend(self._photos(msg.attachments, parts, own["photos"]))
        findings.extend(_exposed(msg))
        findings.extend(tables.patient_lists(msg, self._cues, self.own_domains))
        findings = tables.collapse(list(dict.fromkeys(findings)))
        tag = self._addressee(msg, parts, findings)
        if tag:
            # a photograph names nobody: the greeting matching the To name shows whom the
            # mail is for, not whom the picture shows, unless the text calls it theirs
            yours = tag.startswith("r:") or any(
                _YOUR_PHOTO.search(p.text) for p in parts if p.where.startswith("body"))
            # ... or the picture's file name is hers: "Rachel_before_front.jpg" to Rachel
            first = patient_keys.name_key(email.utils.parseaddr(msg.header("To"))[0]).split()[:1]
            findings = [replace(f, addressee=tag) if f.rule != "patient_photo" or yours or
                        first and first[0] in patient_keys.fold(
                            re.sub(r"[_\W\d]+", " ", f.where)).split() else f
                        for f in findings]
        return iter(findings)

    def _own_for(self, msg: ParsedMessage) -> dict:
        """The clinic's details plus the sender's (their name and their mail domain), and
        the message's participants: every address in From, To and Cc (each recipient sees
        them in the headers already, so the same address in the text discloses nothing,
        nor does a name written as its display name: "Attendee: Tom Hale <tom@…>")."""
        sender_name, sender = email.utils.parseaddr(msg.header("From"))
        domains = set(self.own_domains)
        if "@" in sender:
            domains.add(sender.rpartition("@")[2].lower())
        staff = self.staff.snapshot() if self.staff is not None else None
        keys = set(self.own_keys) | (staff.name_keys if staff else set())
        if patient_keys.name_key(sender_name):
            keys.add(patient_keys.name_key(sender_name))
        shown = {a.lower() for _, a in email.utils.getaddresses(
            [msg.header("From"), msg.header("To"), msg.header("Cc")]) if "@" in a}
        # first names of the people writing and written to: "Hi Gemma", "Mia x"
        firsts = {k.split()[0] for k in keys if k}
        # the organisations written to (not webmail): their people's addresses are contacts
        contacts = set(domains)
        webmail = lexicon.words("webmail.txt")
        for header in ("From", "To", "Cc", "Reply-To"):
            for display, address in email.utils.getaddresses([msg.header(header)]):
                words = patient_keys.fold(display).split()
                if words:
                    firsts.add(words[0])
                domain = address.rpartition("@")[2].lower()
                if domain and domain.split(".")[0] not in webmail:
                    contacts.add(domain)
        # the clinic's own name, run together in its domains: "Willow" of willowwren.example
        labels = {d.split(".")[0].replace("-", "") for d in domains
                  if d.split(".")[0] not in webmail}
        # the sender under another form of their name: "Dr Thomas Hallett" in a form sent
        # by "Tom Hallett": the same surname and first initial
        sender_key = patient_keys.name_key(sender_name).split()
        initials = {(sender_key[0][:1], sender_key[-1])} if len(sender_key) >= 2 else set()
        return {"domains": domains, "keys": keys, "firsts": firsts, "contacts": contacts,
                "shown": shown, "labels": labels, "initials": initials, "titled": set(),
                "phones": self.own_phones | (staff.phone_keys if staff else set()),
                "photos": staff.photo_hashes if staff else ()}

    # -- one part ------------------------------------------------------------------------------

    def _read(self, where: str, text: str, own: dict) -> _Part:
        """Candidates first, from cheap anchors (identifiers.py, people.py); the cue lists
        are matched only around them, so text with no name and no identifier costs little."""
        part = _Part(where, text)
        arr = identifiers.codes(text)
        runs = identifiers.digit_runs(text, arr)
        digits = identifiers.digit_windows(text, runs=runs)
        ats = identifiers.at_windows(text)
        part.all_names = people.find(text, arr)
        firsts = people.first_names(text, part.all_names, arr)
        roles = [(h.start, h.end) for h in self._roles.find(lexicon.FlatView(text))]
        health = identifiers.health_numbers(text, digits) if digits else []
        others = []
        if digits:
            others += identifiers.ni_numbers(text, digits)
            # "CHI No 1503857123" is a CHI number, not also a record number
            others += [i for i in identifiers.record_numbers(text, digits)
                       if not (i.evidence.lower().startswith(("chi", "h&c")) and
                               any(h.start < i.end and i.start < h.end for h in health))]
            taken = {(i.start, i.end) for i in health}
            others += [i for i in identifiers.phone_numbers(text, taken, runs=runs)
                       if i.key not in own["phones"]
                       and not any(n.start <= i.start < n.end for n in health)]
            part.all_postcodes = identifiers.postcodes(text, digits)
            part.all_dates = identifiers.dates(text, digits)
        if ats:
            for i in identifiers.email_addresses(text, ats):
                domain = i.key.rpartition("@")[2]
                if not any(domain == d or domain.endswith("." + d) for d in own["domains"]) \
                        and i.key not in own["shown"]:
                    others.append(i)
        candidates = part.all_names + firsts + health + others + part.all_postcodes + part.all_dates
        if not candidates and not roles:
            return part
        self._find_cues(part, [(c.start, c.end) for c in candidates] + roles)
        staff = (part.cues.get("staff", []), part.staff_ends)

        spans = part.signature = part.spans = people.signature_spans(text)
        if "\t" in text:
            spans = sorted(spans + tables.staff_cells(text))
        spans = sorted(spans + tables.work_contacts(text, own["domains"]))
        staff_names = [n for n in part.all_names if self._is_staff(text, n, spans, staff, own)]
        # "our nurses Sister Bernadette Quinn and Carys Pugh": a name listed with one of the
        # staff, in the same breath, is staff too
        for a, b in zip(part.all_names, part.all_names[1:]):
            if a in staff_names and b not in staff_names and b.shape == "full" and \
                    _LISTED_WITH.fullmatch(text, a.end, b.start):
                staff_names.append(b)
        # "Jenna Moss (nurse prescriber)" once makes every "Jenna Moss" of the message staff,
        # and "a review appointment with Mr Pennington" every "Mr Pennington" (by what is said
        # of him: a name that only falls inside a signature block's lines is no such sign)
        own["titled"].update(n.surname for n in staff_names if n.key in own["keys"] or
                             people.practitioner_by_position(text, n, *staff))
        own["keys"].update(n.key for n in staff_names if n.key)
        part.names = [n for n in part.all_names if n not in staff_names
                      and not (n.key and n.key in own["keys"])
                      and not (n.shape == "titled" and n.surname in own["titled"])]
        greeted = {patient_keys.fold(w) for _, _, g in people.salutation_names(text)
                   for w in g.split()}
        for n in firsts:
            folded = patient_keys.fold(n.text)
            if folded in own["firsts"] or folded in greeted or self._in_spans(n.start, spans) \
                    or len(folded) >= 4 and any(lb.startswith(folded) for lb in own["labels"]) \
                    or _STAFF_BEFORE.search(text, max(0, n.start - 20), n.start) \
                    or _OUR_ROLE_BEFORE.search(text, max(0, n.start - 50), n.start) \
                    or _STAFF_AFTER.match(text, n.end) \
                    or people.practitioner_by_position(text, n, *staff):
                continue
            part.firsts.append(n)
        part.name_starts = [n.start for n in part.names]
        name_ends = sorted((n.end, k) for k, n in enumerate(part.names))

        for i in health:
            if identifiers.health_label(text, i.start) or \
                    self._near(part, i, ("patient", "dob")) or \
                    self._name_near(part, i, CUE_WINDOW):
                part.idents.append(i)
            else:
                part.bare_health.append(i)
        part.idents.extend(others)
        for i in part.all_postcodes:
            if i.key not in self.own_postcodes and identifiers.postcode_in_address(text, i) \
                    and not self._in_spans(i.start, spans):
                part.idents.append(replace(i, kind="address"))
        dob_labels = part.cues.get("dob", [])
        for d in part.all_dates:
            label = bisect.bisect_right(dob_labels, d.start) - 1
            labelled = label >= 0 and d.start - dob_labels[label] <= DOB_LABEL_REACH
            k = bisect.bisect_left(name_ends, (d.start - BIRTH_DATE_AFTER_NAME, -1))
            after_name = any(text[e:d.start].strip(" ,(-–:") == ""
                             for e, _ in name_ends[k:k + 3] if e <= d.start)
            if (labelled or after_name) and identifiers.plausible_birth_year(d.key):
                part.idents.append(Ident("dob", d.start, d.end, d.key, "DOB " +
                                         redact.digits(text[d.start:d.end], keep=0)))
        # a phone number or address in a signature block is the writer's: reported, never
        # weighed; so is a number given as the sender's ("give us a bell on", "our number is")
        part.signed = [i for i in part.idents if i.kind in CONTACT and (
            self._in_spans(i.start, spans) or i.kind == "phone" and
            _OURS_BEFORE.search(text, max(0, i.start - 40), i.start))]
        # "call us on 01632 960511 (or 07700 900611 out of hours)": the second is ours too
        ours = [i for i in part.signed if i.kind == "phone"]
        for i in part.idents:
            if i.kind == "phone" and i not in part.signed and any(
                    0 <= i.start - o.end <= 30 and _OR_ALSO.search(text, o.end, i.start)
                    for o in ours):
                part.signed.append(i)
                ours.append(i)
        part.idents = sorted((i for i in part.idents if i not in part.signed), key=lambda i: i.start)
        for i in part.idents:
            part.by_kind.setdefault(i.kind, []).append(i)
        part.by_kind_starts = {k: [i.start for i in v] for k, v in part.by_kind.items()}
        return part

    def _find_cues(self, part: _Part, around: list[tuple[int, int]],
                   reach: int = CUE_REACH) -> None:
        """The cue lists matched in windows of `reach` characters around each candidate,
        widened to whole words."""
        text = part.text
        around.sort()
        windows = identifiers.merge([s - reach for s, _ in around], [e + reach for _, e in around],
                                    len(text))
        cues: dict[str, list[int]] = {}
        staff_ends = []
        for start, end in windows:
            start = text.rfind(" ", 0, start) + 1 if start else 0
            stop = text.find(" ", end)
            end = len(text) if stop < 0 else stop
            for hit in self._cues.find(lexicon.FlatView(text[start:end])):
                if hit.label in ("treatment", "condition") and (
                        _ORGANISATION.match(text, hit.start + start)
                        or _PREMISES.match(text, hit.end + start)
                        or text[hit.start + start].isupper() and _BODY_OF.search(
                            text, max(0, hit.start + start - 80), hit.start + start)):
                    continue  # "Lagan Skin & Laser Clinic Ltd", "the treatment room"
                cues.setdefault(hit.label, []).append(hit.start + start)
                part.cue_words[hit.start + start] = hit.entry
                if hit.label == "staff":
                    staff_ends.append(hit.end + start)
        part.cues = {k: sorted(set(v)) for k, v in cues.items()}
        part.staff_ends = sorted(set(staff_ends))

    def _is_staff(self, text, n: people.Name, spans, staff, own) -> bool:
        if n.key and (n.key in own["keys"] or patient_keys.fold(n.text) in self.own_names or
                      (n.key.split()[0][:1], n.key.split()[-1]) in own["initials"]):
            return True
        shown = _DISPLAY_ADDRESS.match(text, n.end)
        if shown and shown.group(1).lower() in own["shown"]:
            return True  # a participant's display name, as in an invite's attendee list
        if not n.key and n.surname in self.own_surnames and n.shape == "titled":
            return True
        if n.shape != "labelled" and self._in_spans(n.start, spans):
            return True
        m = _WITH_ADDRESS.match(text, n.end)
        if m and m.group(1).lower() in own["contacts"]:
            return True  # "Tom Reid <tom@clinic.example>": a contact at an organisation written to
        return people.practitioner_by_position(text, n, *staff)

    @staticmethod
    def _in_spans(pos: int, spans) -> bool:
        """`spans`: sorted, not overlapping much (signature blocks)."""
        i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
        return any(s <= pos < e for s, e in spans[max(0, i - 1):i + 1])

    @staticmethod
    def _near(part: _Part, ident: Ident, labels, window: int = CUE_WINDOW) -> bool:
        """A cue of one of `labels` within `window` characters, not inside the identifier's
        own match (the "Client" of "Client ID 99812" is its label, not a cue)."""
        for label in labels:
            starts = part.cues.get(label, [])
            i = bisect.bisect_left(starts, ident.start - window)
            while i < len(starts) and starts[i] <= ident.end + window:
                if not ident.start <= starts[i] < ident.end:
                    return True
                i += 1
        return False

    @staticmethod
    def _name_near(part: _Part, ident: Ident, window: int, names=None) -> bool:
        """A name (of `names`, default every patient name of the part) within `window`."""
        names = part.names if names is None else names
        starts = part.name_starts if names is part.names else [n.start for n in names]
        i = bisect.bisect_left(starts, ident.start - window - 200)  # names are short
        while i < len(starts) and starts[i] <= ident.end + window:
            if names[i].end >= ident.start - window:
                return True
            i += 1
        return False

    @staticmethod
    def _others_near(part: _Part, ident: Ident, kinds) -> set[str]:
        """The kinds (of `kinds`) of other identifiers within CUE_WINDOW characters."""
        out = set()
        for kind in kinds:
            items = part.by_kind.get(kind)
            if not items:
                continue
            starts = part.by_kind_starts[kind]
            i = bisect.bisect_left(starts, ident.start - CUE_WINDOW - 100)
            while i < len(starts) and starts[i] <= ident.end + CUE_WINDOW:
                o = items[i]
                if o is not ident and o.end >= ident.start - CUE_WINDOW:
                    out.add(kind)
                    break
                i += 1
        return out

    # -- weighing ------------------------------------------------------------------------------

    def _weigh(self, part: _Part, document_cue: str = "", elsewhere: bool = False,
               professional: bool = False) -> Iterator[Finding]:
        """`document_cue`: a treatment or condition named in the same document (a Word
        comment or a slide's notes about the case in the document's text); `elsewhere`:
        another part of the document tells one person's case (she presented with ...,
        a case study), so a name with an identifier in this part, which annotates it, is
        that patient's. `professional`: the text addresses professionals (a case told
        without a name is then a professional discussion, whoever receives it)."""
        where = part.where
        if _staff_record(part):
            yield from self._staff_record(part)
            return
        named_patients = self._patient_names(part)
        clinical = ("patient", "dob", "treatment", "condition")
        for i in part.idents:
            strong_near = self._others_near(part, i, STRONG)
            contact_near = self._others_near(part, i, CONTACT)
            name_near = self._name_near(part, i, CUE_WINDOW)
            patient_named = self._name_near(part, i, CUE_WINDOW, named_patients)
            cue_near = self._near(part, i, clinical) or bool(document_cue and elsewhere)
            if i.kind in HEALTH_RULES:
                yield Finding(CATEGORY, HEALTH_RULES[i.kind], Severity.HIGH, where, i.evidence)
            elif i.kind == "mrn":
                hospital = i.evidence.lower().startswith(_HOSPITAL_LABELS)
                high = hospital or strong_near or contact_near or name_near or cue_near
                yield Finding(CATEGORY, "medical_record_number",
                              Severity.HIGH if high else Severity.MEDIUM, where, i.evidence)
            elif i.kind in ("ni", "dob"):
                high = strong_near or contact_near or name_near or \
                    self._near(part, i, ("patient", "treatment", "condition"))
                rule = "uk_ni_number" if i.kind == "ni" else "date_of_birth"
                yield Finding(CATEGORY, rule, Severity.HIGH if high else Severity.MEDIUM, where,
                              i.evidence)
            else:  # phone, email, address
                if strong_near or (name_near and (cue_near or patient_named)):
                    severity = Severity.HIGH
                elif name_near:
                    severity = Severity.MEDIUM
                else:
                    severity = Severity.LOW
                rule = {"phone": "phone_number", "email": "email_address",
                        "address": "uk_postcode_address"}[i.kind]
                yield Finding(CATEGORY, rule, severity, where, i.evidence)
        for i in part.bare_health:
            yield Finding(CATEGORY, "uk_nhs_number_bare", Severity.LOW, where, i.evidence)
        for i in part.signed:
            rule = {"phone": "phone_number", "email": "email_address",
                    "address": "uk_postcode_address"}[i.kind]
            yield Finding(CATEGORY, rule, Severity.LOW, where, i.evidence)
        for n in part.names:
            if self._jigsaw(part, n):
                part.subjects.append(n)
                yield Finding(CATEGORY, "jigsaw_identification", Severity.HIGH, where,
                              redact.name(n.text) + " + " + self._cue_word(part, n))
            elif document_cue and n.key:
                kinds = identifiable.near_name(part.text, n.start, n.end, part.cues, part.spans)
                if elsewhere:
                    near = Ident("name", n.start, n.end, "", "")
                    kinds += sorted(self._others_near(part, near, STRONG + CONTACT))
                if kinds:
                    part.subjects.append(n)
                    yield Finding(CATEGORY, "jigsaw_identification", Severity.HIGH, where,
                                  f"{redact.name(n.text)} + {document_cue} (in the document) + "
                                  f"{', '.join(kinds)}")
        yield from self._first_names(part, document_cue)
        yield from self._descriptions(part, professional)
        part.subjects.extend(named_patients)
        for n in named_patients:
            yield Finding(CATEGORY, "patient_name_clinical", Severity.HIGH, where,
                          "patient " + redact.name(n.text))

    @staticmethod
    def _staff_record(part: _Part) -> Iterator[Finding]:
        """A staff member's details (a new starter to payroll): staff information, not a
        patient's; a date of birth or NI number leaving the clinic is still worth a tag."""
        rules = {"phone": "phone_number", "email": "email_address", "address":
                 "uk_postcode_address", "dob": "date_of_birth", "ni": "uk_ni_number",
                 "nhs": "uk_nhs_number_bare", "hcn": "uk_nhs_number_bare",
                 "chi": "uk_nhs_number_bare", "mrn": "medical_record_number"}
        for i in part.idents + part.bare_health + part.signed:
            severity = Severity.MEDIUM if i.kind in ("dob", "ni") else Severity.LOW
            yield Finding(CATEGORY, rules[i.kind], severity, part.where,
                          i.evidence + " (staff record)")

    def _first_names(self, part: _Part, document_cue: str = "") -> Iterator[Finding]:
        """A first name alone with a treatment or condition: medium; with a detail that
        picks the person out (identifiable.py) as well: high, as a full name would be."""
        for n in part.firsts:
            kinds = identifiable.near_name(part.text, n.start, n.end, part.cues, part.spans)
            if kinds == ["detail"]:
                kinds = []  # "the team", "school" alone: staff are mentioned with these too
            if self._jigsaw(part, n, part.spans):
                cue = self._cue_word(part, n)
            elif document_cue and kinds:
                cue = document_cue + " (in the document)"
            else:
                continue
            if kinds:
                yield Finding(CATEGORY, "jigsaw_identification", Severity.HIGH, part.where,
                              f"{redact.name(n.text)} + {cue} + {', '.join(kinds)}")
            else:
                yield Finding(CATEGORY, "first_name_clinical", Severity.MEDIUM, part.where,
                              f"{redact.name(n.text)} + {cue}")

    def _descriptions(self, part: _Part, professional: bool = False) -> Iterator[Finding]:
        """A nameless case that picks one person out: medium (raised to high by the decision
        step when it goes to a private person outside the clinic, unless the text addresses
        professionals: gateway/decision/context.toml)."""
        found = identifiable.descriptions(part.text, part.cues, part.cue_words, part.spans)
        if found:
            offset, kinds = found[0]
            yield Finding(CATEGORY, "identifiable_description", Severity.MEDIUM, part.where,
                          f"{part.cue_words.get(offset, 'role')} + {', '.join(kinds)}",
                          tags=(TO_PROFESSIONALS,) if professional else ())

    def _for_professionals(self, msg: ParsedMessage, parts: list[_Part]) -> bool:
        """Whether the sender's text addresses professionals (a CPD case, a study club:
        audience.txt `professional`)."""
        text = "\n".join([msg.subject] + [p.text for p in parts if p.where == "body"])
        return any(True for _ in self._professional.find(lexicon.FlatView(text)))

    def _document_cues(self, parts: list[_Part]) -> dict[str, tuple[str, set[str]]]:
        """For each document read in several parts (a document and its comments, slides
        and their notes, its pages and its properties), a treatment or condition it names,
        if any, and the parts that tell one person's case (_ONE_CASE): a name in a
        comment, a note or a property is weighed with the whole document it annotates."""
        by_document: dict[str, list[_Part]] = {}
        for part in parts:
            if part.where.startswith("attachment:"):
                by_document.setdefault(_document(part.where), []).append(part)
        out = {}
        for doc, group in by_document.items():
            if len(group) < 2 or not any(p.names or p.firsts for p in group):
                continue
            for part in group:
                hit = next((h for h in self._cues.find(lexicon.FlatView(part.text))
                            if h.label in ("treatment", "condition")), None)
                if hit is not None:
                    out[doc] = (hit.entry, {p.where for p in group if _ONE_CASE.search(p.text)})
                    break
        return out

    def _patient_names(self, part: _Part) -> list[people.Name]:
        """Names marked as a patient's: labelled "Patient:"/"Client:", a patient word right
        before or after, or labelled "Name:" next to a date of birth, NHS (H&C, CHI), NI or
        record number."""
        out = []
        lower = part.text.lower()
        for n in part.names:
            # "Clifton, full day (11 patients)": a count of patients marks nobody
            label = _COUNTED.sub(" ", lower[max(0, n.start - PATIENT_LABEL_REACH):n.start])
            after = _COUNTED.sub(" ", lower[n.end:n.end + PATIENT_LABEL_REACH])
            if n.shape == "labelled" and any(w in label for w in ("patient", "client")):
                out.append(n)
            elif any(w in label for w in ("patient", "client")) or \
                    any(w in after for w in ("patient", "client")):
                out.append(n)
            elif n.shape == "labelled" and self._others_near(
                    part, Ident("name", n.start, n.end, "", ""), STRONG):
                out.append(n)
        return out

    def _jigsaw(self, part: _Part, n: people.Name, spans=()) -> bool:
        """A treatment or condition within NAME_CUE_WINDOW (and outside `spans`)."""
        for label in ("treatment", "condition"):
            starts = part.cues.get(label, [])
            i = bisect.bisect_left(starts, n.start - NAME_CUE_WINDOW)
            while i < len(starts) and starts[i] <= n.end + NAME_CUE_WINDOW:
                if not spans or not self._in_spans(starts[i], spans):
                    return True
                i += 1
        return False

    @staticmethod
    def _subjects(part: _Part) -> list[people.Name]:
        """The names of `part` that data is told of: those `_weigh` found with a treatment,
        condition or patient word (`part.subjects`), and any with an identifier within
        CUE_WINDOW. A first name alone is not weighed here (tried: a sign-off such as "Tam x"
        and the patient's own first name then stopped nine clean messages being hers)."""
        return part.subjects + [
            n for n in part.names if n not in part.subjects and any(
                i.start - CUE_WINDOW <= n.end and n.start <= i.end + CUE_WINDOW
                for i in part.idents + part.bare_health + part.all_dates)]

    def _cue_word(self, part: _Part, n: people.Name) -> str:
        near = []
        for label in ("treatment", "condition"):
            starts = part.cues.get(label, [])
            i = bisect.bisect_left(starts, n.start)
            near += [(abs(s - n.start), s) for s in starts[max(0, i - 1):i + 1]]
        return part.cue_words[min(near)[1]] if near else "clinical cue"

    # -- the register --------------------------------------------------------------------------

    def _register(self, parts: list[_Part]) -> Iterator[Finding]:
        index = self.register.index() if self.register is not None else None
        if index is None or not len(index):
            return
        for part in parts:
            names = [n for n in part.all_names if n.key]
            if not names:
                continue
            name_hits = index.lookup("name", [n.key for n in names])
            candidates = {n: pats for n, pats in zip(names, name_hits) if pats}
            if not candidates:
                continue
            found: dict[int, set[str]] = {}
            health = sorted({i.key for i in part.idents + part.bare_health
                             if i.kind in HEALTH_RULES})
            values = {
                "dob": [d.key for d in part.all_dates],
                "postcode": [p.key for p in part.all_postcodes],
                # a CHI or H&C number may sit in the register's NHS column, and the reverse
                "nhs": health, "hcn": health, "chi": health,
                "phone": [i.key for i in part.idents if i.kind == "phone"],
                "email": [i.key for i in part.idents if i.kind == "email"],
            }
            for kind, keys in values.items():
                for pats in index.lookup(kind, sorted(set(keys))):
                    for p in pats:
                        found.setdefault(p, set()).add(kind)
            for n, pats in candidates.items():
                for p in sorted(pats & set(found)):
                    yield Finding(CATEGORY, "patient_register_match", Severity.HIGH, part.where,
                                  f"{redact.name(n.text)} + {', '.join(sorted(found[p]))}")

    def register_addressee(self, address: str, name_key: str) -> bool:
        """The register holds this address for a patient of this name."""
        index = self.register.index() if self.register is not None else None
        if index is None or not len(index) or not name_key:
            return False
        (by_email,) = index.lookup("email", [patient_keys.email_key(address)])
        (by_name,) = index.lookup("name", [name_key])
        return bool(by_email & by_name)

    # -- photographs ---------------------------------------------------------------------------

    def _clinical(self, parts: list[_Part]) -> bool:
        """A patient, treatment or condition word anywhere in the message."""
        for part in parts:
            for hit in self._cues.find(lexicon.FlatView(part.text)):
                if hit.label in ("patient", "treatment", "condition"):
                    return True
        return False

    def _photos(self, attachments: tuple[Attachment, ...], parts: list[_Part],
                staff_photos: tuple[int, ...] = ()) -> Iterator[Finding]:
        """Faces and camera data (photos.py), weighed with the message: a clinical word, a
        before/after pair, a treated body area or a patient's name in the file name, or a
        first name's body area in the text ("Jo's top lip"). A picture the sender calls
        their own ("my headshot") is low: a practitioner's photograph is not patient data,
        nor is a staff member's registered headshot (`staff_photos`: the staff register's
        picture hashes), low whatever it shows."""
        pictures: list[tuple[str, str, photos.PhotoFacts]] = []
        for att in attachments:
            images = [(att.where, att.data)] if att.real_type in photos.IMAGE_TYPES else []
            images += [(f"{att.where}#image={k + 1}", data)
                       for k, data in enumerate(getattr(att, "images", ()))]
            for where, data in images:
                facts = photos.examine(data)
                if staff_photos and (facts.faces or facts.camera_exif):
                    digest = photos.dhash(data)
                    if digest is not None and any(photos.same_picture(digest, h)
                                                  for h in staff_photos):
                        yield Finding(CATEGORY, "patient_photo", Severity.LOW, where,
                                      "staff headshot (staff register)")
                        continue
                pictures.append((where, att.name, facts))
        if not pictures:
            return
        faces = sum(1 for _, _, f in pictures if f.faces)
        clinical = self._clinical(parts)
        body_text = [p for p in parts if p.where in ("subject", "body") or
                     p.where.startswith("body")]
        own_photo = any(_OWN_PHOTO.search(p.text) for p in body_text)
        named_area = self._named_body_area(body_text)
        area_in_text = any(h.label == "body" for p in body_text
                           for h in self._cues.find(lexicon.FlatView(p.text)))
        pair_in_text = any(_BEFORE_AFTER.search(p.text) for p in body_text)
        for where, name, facts in pictures:
            stem = _stem(name)
            # a picture inside a PDF or an Office file: the file name is the document's
            in_name = _file_cues(stem, self._cues) if "#image=" not in where else set()
            person = self._person_in_file_name(stem)
            before_after = any(w in name.lower() for w in ("before", "after", "pre", "post"))
            context = clinical or area_in_text or bool(in_name)
            if own_photo or "headshot" in stem.lower():
                severity = Severity.LOW if facts.faces or facts.camera_exif else None
            elif facts.faces and (facts.camera_exif or clinical or faces >= 2 or before_after):
                severity = Severity.HIGH
            elif person and (in_name or clinical or area_in_text):
                severity = Severity.HIGH  # "Jo_Bell_before.jpg": a named patient's picture
            elif facts.camera_exif and (before_after or pair_in_text) and \
                    (clinical or area_in_text):
                severity = Severity.HIGH  # a camera's before/after close-up of treated lips
            elif facts.faces or (facts.camera_exif and (clinical or before_after)):
                severity = Severity.MEDIUM
            elif (in_name and context) or named_area:
                severity = Severity.MEDIUM  # "chin_2wk.jpg" in clinical mail, "Jo's top lip"
            elif facts.camera_exif:
                severity = Severity.LOW
            else:
                continue
            if severity is None:
                continue
            what = [f"{facts.faces} face{'s' if facts.faces != 1 else ''}"] if facts.faces else []
            if facts.camera:
                what.append(f"camera {facts.camera}")
            if facts.gps:
                what.append("GPS position")
            if person:
                what.append("a name in the file name")
            if in_name:
                what.append(" and ".join(sorted(in_name)) + " in the file name")
            if named_area and not (person or in_name):
                what.append("a first name's body area in the text")
            yield Finding(CATEGORY, "patient_photo", severity, where,
                          ", ".join(what) or "a picture")

    def _named_body_area(self, parts: list[_Part]) -> bool:
        """A patient's first or full name with a body area right after it: "Jo's top lip"."""
        for part in parts:
            for n in part.firsts + part.names:
                m = _POSSESSIVE_AREA.match(part.text, n.end)
                if m and any(h.label == "body" for h in
                             self._cues.find(lexicon.FlatView(m.group(1)))):
                    return True
        return False

    def _person_in_file_name(self, stem: str) -> bool:
        """A given name and a surname side by side in a picture's file name
        ("Jo_Bell_before"), not the clinic's own people nor everyday words."""
        first, surnames, _, notname = people.name_lists()
        skip = people.not_alone()
        words = [patient_keys.fold(w) for w in stem.split()]
        return any(a in first and a not in skip and b in surnames and b not in notname
                   and b not in skip and f"{a} {b}" not in self.own_keys
                   for a, b in zip(words, words[1:]))

    # -- addressed to the patient --------------------------------------------------------------

    def _addressee(self, msg: ParsedMessage, parts: list[_Part],
                   findings: list[Finding]) -> str:
        """The tag of the one To address when every patient the message names is that
        recipient; "" otherwise (or when there is nothing to tag)."""
        if not any(f.severity > Severity.LOW for f in findings):
            return ""
        to = email.utils.getaddresses([msg.header("To")])
        to = [(n, a.lower()) for n, a in to if "@" in a]
        if len(to) != 1:  # whoever else is copied in, the decision sees among the recipients
            return ""
        display, address = to[0]
        keys = patient_keys.same_person_keys(patient_keys.name_key(display))
        by_register = False
        if any(f.rule == "patient_register_match" for f in findings):
            # every registered patient named must be the one the register knows at this address
            matched = {n.key for p in parts for n in p.all_names if n.key and
                       self.register_addressee(address, n.key)}
            if not matched:
                return ""
            keys |= matched
            by_register = True
        if not keys:
            return ""
        firsts = {k.split()[0] for k in keys}
        surnames = {k.split()[-1] for k in keys}
        greeted = any(
            g and (g[0] in firsts or g[-1] in surnames)
            for part in parts if part.where.startswith("body")
            for g in (patient_keys.fold(n).split()
                      for _, _, n in people.salutation_names(part.text, opening=True)))
        # her name must be the one written with the data ("Kevin Duncan" is not "Kirsty
        # Duncan", however alike: mail sent to the wrong one of a family); a name with no
        # treatment, condition, patient word or identifier near it carries nobody's data
        # (the member of staff a complaint reply names, "Kayleigh at the counter")
        subjects = [n for part in parts for n in self._subjects(part)]
        for n in subjects:
            if not (n.key in keys if n.key else n.surname in surnames):
                return ""  # someone else is named with data: theirs may be in here
        if not (greeted or by_register):
            return ""
        # n: her full name is in the text or the documents; g: only the greeting is hers,
        # and nobody else is named in full with data
        named = any(n.key for n in subjects)
        return ("r:" if by_register else "n:" if named else "g:") + address_tag(address)


_LISTED_WITH = re.compile(r"[ \t]*(?:,|and|&|, and)[ \t]+")
# a name written as the display name of an address: "Tom Hale <tom@x.example>", "(mailto:…)"
_DISPLAY_ADDRESS = re.compile(r"""["']?[ \t]*[<(\[][ \t]*(?:mailto:)?([^\s<>()\[\]@]+@[^\s<>()\[\]]+)[>)\]]""")


# a treatment word naming a place or a thing, not something done to a person
_PREMISES = re.compile(r"\s+(?:rooms?|couch(?:es)?|beds?|chairs?|cupboards?|menu|price list|"
                       r"trolley|area|suite)\b", re.IGNORECASE)


# a capitalised treatment word in the name of a journal or a body: "Journal of Aesthetic
# Injectables", "British Association of Cosmetic Nurses", "Faculty of Aesthetic Medicine"
_BODY_OF = re.compile(r"\b(?:Journal|Society|Association|College|Academy|Institute|Faculty|"
                      r"Federation|Council|Board|School|Register)[ \t]+(?:of|for)"
                      r"(?:[ \t]+(?:the|&|and|[A-Z][\w'’-]*)){0,4}[ \t]+$")
# a capitalised treatment word inside a business name: "Laser Clinic", "Botox & Filler Studio"
_ORGANISATION = re.compile(
    r"[A-Z][\w'’-]*(?:[ \t]+(?:&|and|[A-Z][\w'’-]*)){0,3}[ \t]+(?:Clinic|Clinics|Centre|"
    r"Center|Studio|Studios|Lounge|Bar|Rooms|Institute|Academy|Aesthetics|Ltd|Limited|LLP)\b")


def _staff_record(part: _Part) -> bool:
    """Payroll or HR wording and not one patient, treatment or condition word near the
    identifiers: the people in it are staff (POLICY.md: staff information passes)."""
    return bool(part.cues.get("employment")) and not any(
        not PatientDataScanner._in_spans(start, part.signature)  # "Skin & Laser Clinic"
        for label in ("patient", "treatment", "condition") for start in part.cues.get(label, ()))


# "call us on", "give us a bell on", "our number is", "reception on": the number after it
# is the clinic's own, unless the words between name someone else's ("send us her number")
_OR_ALSO = re.compile(r"\b(?:or|neu|out of hours|tu allan|mobile|symudol)\b", re.IGNORECASE)
_OURS_BEFORE = re.compile(
    r"\b(?:ffoniwch ni|ffonio ni|cysylltwch [âa] ni|ein rhif|rhif y clinig|us|our(?:[ \t]+(?:main|direct|clinic|office|reception|mobile|landline))?[ \t]+"
    r"(?:number|phone|line|mobile|landline)s?|(?:the[ \t]+)?reception|the[ \t]+clinic)\b"
    r"(?:(?!\b(?:her|his|their|patient|client|mum|mother|dad|partner)\b)[^.\n\d]){0,25}$",
    re.IGNORECASE)
_WITH_ADDRESS = re.compile(r"[ \t]*[<(\[][ \t]*(?:mailto:)?[\w.+'-]+@([\w-]+(?:\.[\w-]+)+)")
_COUNTED = re.compile(r"\d+\s*(?:new\s+|more\s+|other\s+)?(?:patients|clients|patient|client)")
# "with Jo", "by Jo", "ask Jo": a first name after these is a member of staff or a colleague
# "our registered dietitian Jenny", "my nurse Jo": a first name after the clinic's own role
_OUR_ROLE_BEFORE = re.compile(
    r"\b(?:our|my)[ \t]+(?:[a-z-]+[ \t]+){0,2}(?:nurse|nurses|dietitian|dietician|nutritionist|"
    r"receptionist|therapist|practitioner|prescriber|doctor|dr|manager|coordinator|"
    r"co-ordinator|assistant|aesthetician|injector|dermatologist|surgeon|pharmacist|trainer|"
    r"coach|lead|director|owner|colleague|locum)[ \t]+$", re.IGNORECASE)
_STAFF_BEFORE = re.compile(r"\b(?:with|by|ask|thanks|thank you|cheers|love|cc|hi|hello|hey|dear|"
                           r"morning|let|tell|contact|email|e-mail|call|ring|phone|text|"
                           r"speak to|talk to|check with)[ \t]+$", re.IGNORECASE)
# "Jo, you're on Weds" (spoken to), "Jo from Acme" (a contact at a company), "Jo (our
# marketing lead)", "Jo has booked your review", "Jo will sign for it"
_STAFF_AFTER = re.compile(
    r"\s*[,-]\s*(?:you|can you|could you|would you)\b"
    r"|[ \t]+(?:from|at)[ \t]+(?:(?-i:[A-Z])|(?:our|my|your|their)\b)"
    r"|\s*[,(]\s*(?:our|my)\b"
    r"|[ \t]+(?:treated|injected|prescribed|assessed|treats|injects|prescribes|assesses)\b"
    r"|[ \t]+(?:has|will|'ll|’ll|can|is going to)[ \t]+(?:book|booked|see|seen|sign|signed|order|"
    r"ordered|check|checked|treat|treated|inject|injected|prescribe|prescribed|review|reviewed|"
    r"confirm|confirmed|arrange|arranged|bring|brought|collect|collected|attend|cover|covered|"
    r"run|sort|sorted)\b",
    re.IGNORECASE)
# the text calls the pictures the recipient's: "your before and after", "photos of you"
_YOUR_PHOTO = re.compile(r"\b(?:your|ur|yr)\b[^.\n]{0,40}\b(?:photos?|photographs?|pictures?|pics?|"
                         r"images?|befores?|afters?|results?)\b|\b(?:photos?|photographs?|"
                         r"pictures?|pics?|images?)\b[^.\n]{0,30}\bof (?:you|your)\b",
                         re.IGNORECASE)
# a practitioner's own picture: "my headshot", "my photo", "the photo is mine", "her profile
# photo for the meet-the-team page"
_OWN_PHOTO = re.compile(
    r"\bmy\s+(?:own\s+|new\s+|professional\s+)?(?:head\s?shot|photo|photograph|picture|portrait|"
    r"profile (?:photo|picture|pic))s?\b|\b(?:photo|picture) is mine\b|\b(?:our|her|his|their)\s+"
    r"(?:new\s+|professional\s+)?(?:head\s?shots?|profile (?:photos?|pictures?|pics?))\b|"
    r"\bmeet (?:the team|your (?:prescriber|practitioner|nurse|doctor|injector))\b",
    re.IGNORECASE)
_POSSESSIVE_AREA = re.compile(r"['’]s\s+((?:\w+\s+){0,2}\w+)")
# the text calls the pictures a before/after pair: "before and after", "before on the left,
# after on the right", "befores and afters"
_BEFORE_AFTER = re.compile(r"\bbefores?\b[^.!?]{0,40}\bafters?\b", re.IGNORECASE)
# in a file name: before/after and time points ("pre", "post", "BA", "wk2", "week16", "day 3")
_FILE_TIMEPOINT = re.compile(r"(?<![a-z])(?:before|after|pre|post|ba|b&a|(?:wk|week|day|month)s?"
                             r"\s?\d+|\d+\s?(?:wk|week|day|month)s?)(?![a-z])")


def _stem(name: str) -> str:
    """A file name's last component without its extension, separators as spaces."""
    base = name.rsplit("/", 1)[-1]
    base = base.rsplit(".", 1)[0] if "." in base else base
    return re.sub(r"[_\-.+]+", " ", base).strip()


def _file_cues(stem: str, cues) -> set[str]:
    """What a picture's file name says of it: "time point" (before, after, week 16) and
    "body area" (chin, lips)."""
    out = set()
    if _FILE_TIMEPOINT.search(stem.lower()):
        out.add("time point")
    if any(h.label == "body" for h in cues.find(lexicon.FlatView(stem))):
        out.add("body area")
    return out


# a document telling one person's case: her history, a case study, "presented with"
_ONE_CASE = re.compile(r"\b(?:she|he|her|him|his|herself|himself|case (?:study|report|history|"
                       r"review|presentation)|presented (?:with|to|at|after|\d)|"
                       r"this (?:patient|client|lady|gentleman))\b", re.IGNORECASE)
_OFFICE = re.compile(r"application/vnd\.(?:openxmlformats-officedocument|oasis\.opendocument)")


def _document(where: str) -> str:
    """The attachment a part is from: "attachment:NAME" of "attachment:NAME#page=2"."""
    return where.split("#", 1)[0]


EXPOSED_PERSONAL = 5  # more personal addresses than this in To/Cc expose a client list


def _exposed(msg: ParsedMessage) -> list[Finding]:
    """recipients_exposed: many people's personal addresses shown to each other."""
    webmail = lexicon.words("webmail.txt")
    personal = [r for r in msg.recipients if r.rpartition("@")[2].split(".")[0] in webmail]
    if len(set(personal)) <= EXPOSED_PERSONAL:
        return []
    return [Finding(CATEGORY, "recipients_exposed", Severity.HIGH, "headers",
                    f"{len(set(personal))} personal addresses in To/Cc")]
