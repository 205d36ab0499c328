"""Unprofessional language: profanity, abuse, threats, slurs, defamation, and a classifier.

Reads the shared views of scanners.text (each part split into the sender's own words and
quoted text, a flattened form for matching, disguised words) and the lists in
scanners/data/:

  language.txt          words and phrases with a severity and a rule id (profanity, abuse,
                        threats, slurs), matched on whole words with Aho-Corasick; also
                        looked up for disguised spellings (f*ck, sh1t, b.i.t.c.h, fuuuck)
  insults.txt           a frame and an insult word in one sentence ("you are a complete idiot")
  threats.txt           a frame and a threatened act ("I will make sure you lose your licence")
  defamation.txt        an accusation (butcher, fraud, fake filler) about a named person,
                        clinic or company in one sentence; the target and the claim are
                        reported
  clinical_allowlist.txt  words hidden from the classifier (anatomy, identity, clinical)

The classifier (scanners.classifier) scores each sentence of the subject and of the
sender's own body text that no list matched; a score over its threshold is a medium
finding, never high. Quoted text and attachments are not scored: a quoted finding would be
low, which changes nothing, and documents are not the sender's tone.

Quoted text (replies, forwards) is scanned too, but its findings are one severity lower and
their `where` ends in "#quoted": a clinic answering an abusive patient is not abusive.
"""
from __future__ import annotations

import re
import time
from typing import Iterator

from scanners import model_findings
from scanners import classifier, conduct, lexicon, redact, text
from scanners.base import QUOTED, Finding, ParsedMessage, Severity
from scanners.lexicon import Hit, key
from scanners.text import quoted_finding

CATEGORY = "language"
_BREAK = re.compile(r"[.!?;]|\n\s*\n")
_STOP = frozenset("""a an the this that these those my our your his her their its i we you he she
they it if when while as so but and or because although though however yes no dear hi hello
thanks thank please kind best regards many just also then there here what which who why how
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december today tomorrow yesterday mr mrs ms dr
diolch cofion croeso mae roedd bydd dyma dyna ond ac yr os pan hefyd nid""".split())
# the words of a greeting (English and Welsh): never part of a name, and the name after
# one is the reader's ("Annwyl Siân", "Dear Jo Reed"), not someone the mail is about
_SALUTATION = frozenset("""dear dearest hi hiya hey hello morning afternoon evening greetings
annwyl helo shwmae sumae bore prynhawn noswaith""".split())
_STOP = _STOP | _SALUTATION
# a capital (accented ones too: Siân, Ávila, Łukasz) and letters of any script: names
_UPPER = "A-Z" + "".join(chr(c) for c in range(0xC0, 0x250) if chr(c).isupper())
_CAPITALISED = rf"[{_UPPER}](?:[^\W\d_]|['’\-])+"
_NAME_VERB = re.compile(rf"\b({_CAPITALISED})\s+(?:is|was|has|had|uses|used|botched|butchered|"
                        rf"ripped|lied|lies|stole|steals|dilutes|diluted|waters|watered|"
                        rf"scammed|conned)\b|\b({_CAPITALISED})['’]s\b")
_FULL_NAME = re.compile(rf"\b({_CAPITALISED})\s+({_CAPITALISED})\b")
_IN_PLACE = re.compile(r"\b(?:in|across|around|throughout)[ \t]+$", re.IGNORECASE)
# the capitalised words right after a name: "West Yorkshire Trading Standards"
_FOLLOWING = re.compile(rf"[ \t]+({_CAPITALISED})(?:[ \t]+({_CAPITALISED}))?")
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_.]{3,30}")


class LanguageScanner:
    name = "language"
    rules = {
        "language_profanity": "Obscene or profane words in the text, including disguised "
                              "spellings such as f*ck, sh1t or b.i.t.c.h.",
        "language_abuse": "Abuse or an insult aimed at a person (you are an idiot, fuck off, "
                          "pathetic excuse for a nurse).",
        "language_threat": "A threat or intimidation aimed at a person (I will ruin you, "
                           "watch your back, I know where you live).",
        "language_discrimination": "A slur or hateful term about ethnicity, religion, sexual "
                                   "orientation, gender identity or disability.",
        "defamation": "A potentially defamatory accusation of incompetence, dishonesty, fraud "
                      "or harm about a named practitioner, clinic or company; the evidence "
                      "gives the target and the claim.",
        "language_harassment": "Harassment of a person, sexual remarks or propositions, "
                               "repeated unwanted contact or stalking, found by the sentence "
                               "model (high when the person is addressed or named) or by a "
                               "listed phrase (come back to my hotel, which way you walk "
                               "home).",
        "model_unavailable": "The sentence model could not be loaded (package missing or its "
                             "file changed): only the word lists screened this message; low.",
        "language_classifier": "The trained offensive-language classifier scored a sentence "
                               "as offensive though no listed word matched; medium at most.",
    }

    def __init__(self, use_classifier: bool = True):
        self.use_classifier = use_classifier
        self.classifier_seconds = 0.0  # time spent in the classifier, for bench/

    def scan(self, msg: ParsedMessage, views: text.MessageText | None = None) -> Iterator[Finding]:
        views = views or text.build(msg)
        found: dict[tuple, Finding] = {}
        covered: dict[int, list[tuple[int, int]]] = {}
        masks: dict[int, list[tuple[int, int]]] = {}
        about = conduct.context("\n".join(s.text for s in views.segments if not s.quoted))
        for n, seg in enumerate(views.segments):
            spans = covered.setdefault(n, [])
            for finding, start, end in self._segment(seg, masks.setdefault(n, []),
                                                     views.reporting, about):
                spans.append((start, end))
                k = (finding.rule, finding.where, seg.text[start:end].lower())
                if k not in found or found[k].severity < finding.severity:
                    found[k] = finding
        for finding in self._belittling(views):
            found.setdefault((finding.rule, finding.where, finding.evidence), finding)
        if self.use_classifier:
            started = time.perf_counter()
            cleared = {id(seg): masks.get(n, []) for n, seg in enumerate(views.segments)}
            answering = any(QUOTED in f.tags for f in found.values())
            from_model = model_findings.language(views, _named_target, cleared, answering)
            # the word lists speak for a rule in a part, unless the model reads it as worse
            # (a low dig where the model sees bullying)
            listed: dict[tuple, Severity] = {}
            for f in found.values():
                listed[(f.rule, f.where)] = max(f.severity, listed.get((f.rule, f.where),
                                                                       Severity.LOW))
            for finding in from_model:
                if finding.rule == "model_unavailable":  # the older classifier instead
                    found[("model_unavailable",)] = finding
                    for f in self._classify(views, covered, masks):
                        found.setdefault((f.rule, f.where, f.evidence), f)
                elif finding.severity > listed.get((finding.rule, finding.where), 0):
                    found.setdefault((finding.rule, finding.where, finding.evidence), finding)
            self.classifier_seconds += time.perf_counter() - started
        yield from found.values()

    def _belittling(self, views: text.MessageText) -> Iterator[Finding]:
        """Put-downs of someone's competence (scanners/conduct.py): one is a dig (low), two
        or more in the sender's own words are bullying (high)."""
        hits = [(seg, start, end, evidence) for seg in views.segments
                for start, end, evidence in conduct.belittling(seg.text)]
        own = sum(1 for seg, start, end, _ in hits
                  if not seg.quoted and not seg.cited(start, end))
        severity = Severity.HIGH if own >= 2 else Severity.LOW
        for seg, start, end, evidence in hits:
            if own >= 2:
                evidence += f" ({own} put-downs)"
            yield quoted_finding(seg, start, end, views.reporting,
                                 Finding(CATEGORY, "language_abuse", severity, seg.where,
                                         evidence))

    # -- one segment -----------------------------------------------------------------------

    def _segment(self, seg: text.Segment, masks: list, reporting: str = "",
                 about: tuple[bool, bool] = (False, False)
                 ) -> Iterator[tuple[Finding, int, int]]:
        """Findings of one segment with their spans; insult words found not to be aimed at
        anyone ("I felt like an idiot") go to `masks`, hidden from the classifier."""
        def finding(rule: str, severity: Severity, evidence: str, start: int = 0,
                    end: int = 0) -> Finding:
            return quoted_finding(seg, start, end, reporting,
                                  Finding(CATEGORY, rule, severity, seg.where, evidence))

        hits = _outermost(list(seg.hits("language.txt")))
        for h in hits:
            evidence = redact.snippet(seg.text, h.start, h.end, 20)
            if h.disguised or not seg.text[h.start:h.end].isascii():
                evidence = f"{seg.text[h.start:h.end]!r} (disguised '{h.entry}')"
            yield finding(h.label, h.severity, evidence, h.start, h.end), h.start, h.end
        for d in seg.disguised:
            if any(h.start <= d.start < h.end or d.start <= h.start < d.end for h in hits):
                continue
            entry = _disguised_entry(d.forms)
            if entry:
                word, severity, rule = entry
                shown = seg.text[d.start:d.end]
                yield finding(rule, severity, f"{shown!r} (disguised '{word}')", d.start,
                              d.end), d.start, d.end
        for h in seg.hits("insults.txt"):
            severity = _insult_frame(seg.text, h)
            if severity:
                evidence = redact.snippet(seg.text, h.start, h.end, 25)
                yield finding("language_abuse", min(severity, h.severity), evidence, h.start,
                              h.end), h.start, h.end
            else:
                masks.append((h.start, h.end))
        for h in seg.hits("threats.txt"):
            if _threat_frame(seg.text, h):
                evidence = redact.snippet(seg.text, h.start, h.end, 30)
                yield finding("language_threat", h.severity, evidence, h.start,
                              h.end), h.start, h.end
        for start, end, evidence in conduct.sarcasm(seg.text):
            yield finding("language_abuse", Severity.LOW, evidence, start, end), start, end
        spans = text.sentences(seg.text)
        for start, end, evidence in conduct.blackmail(seg.text, spans):
            yield finding("language_threat", Severity.HIGH, evidence, start, end), start, end
        listed = [(h.start, h.end) for h in hits if h.label == "language_threat"]
        for start, end, evidence, harm in conduct.veiled_threat(seg.text, spans):
            if not any(start <= a and b <= end for a, b in listed):  # said already
                # the harm is what is threatened: in quotation marks, it is cited
                yield finding("language_threat", Severity.MEDIUM, evidence, *harm), start, end
        for start, end in spans:
            excluded = conduct.discrimination(seg.text[start:end], *about)
            if excluded:
                a, b, evidence = excluded
                yield finding("language_discrimination", Severity.HIGH, evidence, start + a,
                              start + b), start + a, start + b
        for h in seg.hits("defamation.txt"):
            accusation = _defamation(seg.text, h)
            if not accusation:
                masks.append((h.start, h.end))  # denied or about nobody: not for the model
            if accusation:
                severity, evidence = accusation
                yield finding("defamation", severity, evidence, h.start, h.end), h.start, h.end

    # -- the classifier --------------------------------------------------------------------

    def _classify(self, views: text.MessageText, covered, masks) -> Iterator[Finding]:
        todo: list[tuple[text.Segment, int, int, str]] = []
        for n, seg in enumerate(views.segments):
            if seg.kind == "attachment" or seg.quoted:  # quoted, it could only be low
                continue
            for start, end in text.sentences(seg.text):
                if not any(s < end and start < e for s, e in covered.get(n, ())):
                    sentence = seg.text[start:end]
                    for s, e in masks.get(n, ()):
                        if start <= s and e <= end:
                            sentence = sentence[:s - start] + " " * (e - s) + sentence[e - start:]
                    todo.append((seg, start, end, sentence))
        if not todo or not classifier.available():
            return
        scores = classifier.scores([sentence for _, _, _, sentence in todo])
        for (seg, start, end, _), score in zip(todo, scores):
            if score >= classifier.THRESHOLD:
                evidence = redact.snippet(seg.text[start:end], 0, 0, 70) + f" (score {score:.2f})"
                yield Finding(CATEGORY, "language_classifier", Severity.MEDIUM, seg.where, evidence)


def _outermost(hits: list[Hit]) -> list[Hit]:
    """Drop hits inside a longer one ("fuck" inside "fuck off")."""
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for h in hits:
        if kept and kept[-1].start <= h.start and h.end <= kept[-1].end and \
                (kept[-1].start, kept[-1].end) != (h.start, h.end):
            continue
        kept.append(h)
    return kept


def _disguised_entry(forms: tuple[str, ...]) -> tuple[str, Severity, str] | None:
    words = _single_words()
    for form in forms:
        if "*" not in form:
            if form in words:
                severity, rule = max(words[form])
                return form, severity, rule
            continue
        letters = len(form) - form.count("*")
        if letters < 1 or form.count("*") > 3:
            continue
        pattern = re.compile(form.replace("*", "[a-z]"))
        matches = [(w, v) for w in _by_length().get(len(form), ()) if pattern.fullmatch(w)
                   for v in words[w]]
        if matches and len({rule for _, (_, rule) in matches}) == 1:
            word, (severity, rule) = max(matches, key=lambda m: m[1][0])
            return word, severity, rule
    return None


_WORDS: dict = {}


def _single_words() -> dict[str, list[tuple[Severity, str]]]:
    if "words" not in _WORDS:
        words: dict[str, list[tuple[Severity, str]]] = {}
        for t, severity, rule in lexicon.table("language.txt").entries:
            if " " not in key(t):
                words.setdefault(key(t), []).append((severity, rule))
        _WORDS["words"] = words
        lengths: dict[int, list[str]] = {}
        for w in _WORDS["words"]:
            lengths.setdefault(len(w), []).append(w)
        _WORDS["lengths"] = lengths
    return _WORDS["words"]


def _by_length() -> dict[int, list[str]]:
    _single_words()
    return _WORDS["lengths"]


def _tokens_before(original: str, start: int, reach: int = 120) -> list[str]:
    left = original[max(0, start - reach):start]
    cut = None
    for cut in _BREAK.finditer(left):
        pass
    if cut is not None:
        left = left[cut.end():]
    return key(left).split()


def _insult_frame(original: str, hit: Hit) -> Severity | None:
    """Severity of the frame aimed at a person before an insult word, or None."""
    kinds = _insult_kinds()
    tokens = _tokens_before(original, hit.start)
    frame_kinds = ("frame",) if hit.label == "adj" else ("frame", "nframe")
    i = len(tokens)
    while i > 0:
        for n in (3, 2, 1):
            if i - n < 0:
                continue
            phrase = " ".join(tokens[i - n:i])
            for kind in frame_kinds:
                if (phrase, kind) in kinds:
                    before = tokens[max(0, i - n - 2):i - n]
                    if before and ((before[-1], "guard") in kinds
                                   or (" ".join(before), "guard") in kinds):
                        return None
                    return kinds[(phrase, kind)]
        for n in (3, 2, 1):
            words = " ".join(tokens[i - n:i])
            if i - n >= 0 and ((words, "filler") in kinds or (words, "adj") in kinds):
                i -= n
                break
        else:
            break
    return _insult_tail(original, hit, kinds)


def _insult_tail(original: str, hit: Hit, kinds) -> Severity | None:
    """A frame closing the sentence after the insult: "what a pathetic man you are"."""
    m = _BREAK.search(original, hit.end)
    after = key(original[hit.end:m.start() if m else len(original)]).split()
    for skip in range(0, 3):
        phrase = " ".join(after[skip:])
        if phrase and (phrase, "tail") in kinds:
            return kinds[(phrase, "tail")]
    return None


def _threat_frame(original: str, hit: Hit) -> bool:
    """Whether a frame ("I will", "or I'll", "you'll") stands up to three words before."""
    if "threat_frames" not in _WORDS:
        _WORDS["threat_frames"] = lexicon.words("threats.txt", "frame")
    frames = _WORDS["threat_frames"]
    tokens = _tokens_before(original, hit.start, 80)[-6:]
    return any(" ".join(tokens[i:j]) in frames
               for j in range(len(tokens), max(len(tokens) - 4, 0) - 1, -1)
               for i in range(max(0, j - 4), j))


def _insult_kinds() -> dict[tuple[str, str], Severity]:
    if "insults" not in _WORDS:
        _WORDS["insults"] = {(key(t), label): sev for t, sev, label
                             in lexicon.table("insults.txt").entries}
    return _WORDS["insults"]


def _defamation(original: str, hit: Hit) -> tuple[Severity, str] | None:
    before = _tokens_before(original, hit.start, 60)
    negations = lexicon.words("defamation.txt", "negate")
    if any(t in negations or t == "t" for t in before[-3:]):  # "t": isn't, don't
        return None
    start = max(0, hit.start - 250)
    for m in _BREAK.finditer(original, start, hit.start):
        start = m.end()
    m = _BREAK.search(original, hit.end)
    end = m.start() if m else len(original)
    sentence, offset = original[start:end], hit.start - start
    claim = original[hit.start:hit.end]
    severity, claim_shown = hit.severity, repr(claim)
    if conduct.hedged(sentence[:offset]):  # rumour, said as rumour: one lower
        severity, claim_shown = severity.lowered(), f"{claim!r} (hedged)"
    target = _named_target(sentence, offset)
    if target:
        return severity, f"target: {target}; claim: {claim_shown}"
    refs = [h for h in lexicon.matcher("defamation.txt", "ref").find(lexicon.FlatView(sentence))]
    if refs:
        ref = min(refs, key=lambda h: abs(h.start - offset))
        shown = sentence[ref.start:ref.end]
        # "she", "he", "the clinic": the person or company named in the sentences before
        earlier = original[max(0, start - 400):start]
        named = _named_target(earlier, len(earlier)) if earlier.strip() else ""
        if named:
            return severity, f"target: {named} (as {shown!r}); claim: {claim_shown}"
        # one lower for a reference that names nobody; a grave claim stays a tag however
        # hedged ("I've heard a certain place isn't using genuine product": borderline)
        lowered = severity.lowered()
        if hit.severity is Severity.HIGH and lowered < Severity.MEDIUM:
            lowered = Severity.MEDIUM
        return lowered, f"target: {shown!r}; claim: {claim_shown}"
    return None


def _named_target(sentence: str, claim_at: int) -> str:
    """The named person, organisation or handle nearest the claim, as shown in evidence."""
    found: list[tuple[int, int, str]] = []
    titles = "|".join(sorted(lexicon.words("defamation.txt", "title"), key=len, reverse=True))
    orgs = "|".join(sorted(lexicon.words("defamation.txt", "org"), key=len, reverse=True))
    for m in re.finditer(rf"\b(?i:{titles})\.?\s+({_CAPITALISED}(?:\s+{_CAPITALISED})?)", sentence):
        title = m.group(0)[:m.start(1) - m.start()].strip()
        found.append((m.start(), m.end(), f"{title} {redact.name(m.group(1))}"))
    for m in re.finditer(rf"((?:{_CAPITALISED}\s+){{1,4}})(?i:{orgs})\b", sentence):
        words = m.group(1).split()
        while words and words[0].lower() in _STOP:
            words = words[1:]
        if words:
            found.append((m.start(), m.end(), " ".join(words) + m.group(0)[len(m.group(1).rstrip()):]))
    for m in _HANDLE.finditer(sentence):
        found.append((m.start(), m.end(), m.group(0)))
    org_words = lexicon.words("defamation.txt", "org") | lexicon.words("defamation.txt", "title")
    never = _not_targets()
    pos = 0
    while m := _FULL_NAME.search(sentence, pos):
        first, last = m.group(1), m.group(2)
        pos = m.end()
        if first.lower() in _SALUTATION:  # "Dear Siân Morgan": the reader
            continue
        if first.lower() in _STOP:  # "When Siân Morgan ...": the name starts at the second
            pos = m.start(2)
            continue
        if {first.lower(), last.lower()} & org_words or _names_one_of(never, first, last):
            continue
        if sentence.startswith(":", m.end()):  # "Keywords: OGL\nSubject: ...": a field label
            continue
        if _IN_PLACE.search(sentence, max(0, m.start() - 12), m.start()):
            continue  # "sold online in West Yorkshire": a place
        after = _FOLLOWING.match(sentence, m.end())
        if after and _names_one_of(never, *filter(None, after.groups())):
            continue  # "West Yorkshire Trading Standards", "Greater Manchester Police"
        found.append((m.start(), m.end(), redact.name(f"{first} {last}")))
    for m in _NAME_VERB.finditer(sentence):
        name = m.group(1) or m.group(2)
        if name.lower() not in _STOP and name.lower() not in org_words and \
                not _names_one_of(never, name):
            found.append((m.start(), m.start() + len(name), redact.name(name)))
    found = [f for f in found if not any(g[0] <= f[0] and f[1] <= g[1] and g[:2] != f[:2]
                                         for g in found)]
    if not found:
        return ""
    return min(found, key=lambda f: min(abs(f[0] - claim_at), abs(f[1] - claim_at)))[2]


def _not_targets() -> frozenset[str]:
    """Regulators, authorities, sources of a warning and products (defamation.txt
    `authority` and `product`, the medicines of pom.txt): never the target of a claim."""
    if "not_targets" not in _WORDS:
        _WORDS["not_targets"] = lexicon.words("defamation.txt", "authority", "product") | \
            lexicon.words("pom.txt", "name", "brand")
    return _WORDS["not_targets"]


def _names_one_of(words: frozenset[str], *names: str) -> bool:
    """Whether the capitalised words `names` are, or include, one of `words` ("MHRA",
    "Trading Standards", "Botox")."""
    keys = [key(n) for n in names]
    return any(k in words for k in keys) or " ".join(keys) in words
