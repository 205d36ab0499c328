"""What the sentence model (scanners/sentences) adds to the word lists, and how much it may
decide on its own.

Each message's own sentences are scored once (`labelled(views)`, cached on the message's
MessageText): the sender's words in the subject, the body and attachments, never quoted or
forwarded text nor words cited in quotation marks (scanners/quoting.py), through the
model's cheap gate (length, letters, no boilerplate) and at most MAX_SENTENCES a message;
the network reads only the most suspicious of them, within a budget of word pieces
(`network_tokens`), and the lexical head alone judges the rest.
A sentence the model labels harmful becomes a finding of the scanner that owns the label.

A model score alone tags (medium); it holds (high) only together with structure, as a
compliance lead would want to see it before stopping mail. Labels are read at the strict
thresholds (few false alarms); a language label that only the recall thresholds reach
(`Labelled.strict` false) tags and never holds nor corroborates: a passive-aggressive dig or a
hedged rumour is borderline, and a tag on clean mail costs little (POLICY.md).

  threat           a person addressed or named ("you", a name, their family, home, car,
                   school), and a conditional consequence in the sentence ("... or I'll",
                   "if not", "shame if": scanners/conduct.py), the reader's family, home
                   or children's school named ("your kids", "where you live", "your
                   Ellie": conduct.kin_named) or corroboration
  bullying         a person addressed or named, and corroboration
  harassment       a person addressed or named, and corroboration
  discrimination   corroboration
  defamation       a named person or company in the sentence or the ones before it, and
                   corroboration; never a claim hedged as rumour ("I've heard", "apparently")

Corroboration is a second harmful sentence of the same kind in the message (threat;
bullying or harassment; discrimination; defamation), or a score of SURE or more.
Never high for a sentence under MIN_WORDS_HIGH words, nor in a message that quotes abuse to
answer or report it; and what the attachments of such a message say is not the sender's
(a screenshot sent to HR), so the model's reading of them is dropped.
  profanity        not used: the word lists find swearing, disguised forms included
  pom_promotion    a promotion the advertising scanner already sees (a list or copy to
                   publish, or a medicine named next to an offer)
  misleading_claim, under18_targeting   promotional mail (an offer, a price, a list)
  licence_restriction   only in an attachment (the sender's own terms are theirs to set)

When the model cannot be loaded (package missing, file changed), the word lists still run
and one low `model_unavailable` finding says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from scanners import conduct, redact
from scanners.sentences import model as sentence_model
from scanners.base import MODEL, Finding, Severity


MAX_SENTENCES = 40
# The network's budget in word pieces (its CPU cost is about proportional to them: ~0.2 ms
# each on one core here). The sentences the lexical gate does not clear are read most
# suspicious first while they fit; the rest keep the lexical head's reading. 32 + 4 a KB
# keeps all scanners near 20 ms CPU on a 3 KB message and under 80 ms on 20 KB; short mail,
# whose word lists cost less, gets more (64 - 8 a KB, while that is larger), so that a
# mockery or threat spread over three short sentences is read whole (bench/scan_budget.py).
NETWORK_TOKENS = 32
NETWORK_TOKENS_PER_KB = 4
SHORT_TOKENS = 64
SHORT_TOKENS_PER_KB = 8
HIGH_HARM = 0.9
SURE = 0.98
# below this a label is too uncertain even to tag (clinical warnings such as "watch for a
# dead smile" score in the 0.8s)
MIN_PROB = 0.9
# A language reading that only the recall thresholds reach tags from this probability on.
# On the corpus writers w01-w08 (sentences of six words or more, committed heads): with the
# strict readings, 0.62 of their unprofessional sentences are read and 3.4% of benign or
# quoting ones (0.49 and 1.8% with strict readings alone; 0.74 and 5.4% at 0.6)
TAG_PROB = 0.8
# the labels whose looser readings tag: POLICY.md's borderline language is put-downs and digs
# (bullying) and hedged rumour (defamation); threats, harassment and slurs are never
# borderline, and a loose reading of them is more often clinical words ("a dead smile")
BORDERLINE = ("bullying", "defamation")
MIN_WORDS_HIGH = 6  # a shorter sentence is too little to stop mail on
_PERSON = re.compile(
    r"\b(?:you|your|yours|you're|youre|ya|u|ur|yer|yourself|chi|eich|ti|dy|dach|"
    r"she|her|he|him|his|they|them|their|"
    # someone named by what they are: "the new girl", "our receptionist"
    r"girl|lad|guy|bloke|woman|newbie|new starter|trainee|junior|nurse|receptionist|"
    r"therapist|colleague)\b", re.IGNORECASE)
_NAMED = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Miss|Nurse)\.? [A-Z]|\b[A-Z][a-z]+ [A-Z][a-z]+\b|"
                    r"(?<=[a-z,] )[A-Z][a-z]{2,}\b")

# labels that corroborate each other: the same kind of harm
_KIND = {"threat": "threat", "bullying": "abuse", "harassment": "abuse",
         "discrimination": "discrimination", "defamation": "defamation"}

LANGUAGE_RULES = {"threat": "language_threat", "bullying": "language_abuse",
                  "harassment": "language_harassment",
                  "discrimination": "language_discrimination", "defamation": "defamation"}
# swearing is the word lists' to find (disguised forms included); the model's profanity
# label adds only false alarms on ordinary words


@dataclass(frozen=True)
class Labelled:
    segment: object  # scanners.text.Segment
    start: int
    end: int
    label: str
    prob: float
    # the label passes the strict thresholds (few false alarms: what corroboration and a
    # hold may rest on); else only the recall thresholds, and the reading may only tag
    strict: bool = True

    @property
    def sentence(self) -> str:
        return self.segment.text[self.start:self.end]

    def evidence(self) -> str:
        return (redact.snippet(self.sentence, 0, min(len(self.sentence), 60), 0) +
                f" (model: {self.label} {self.prob:.2f})")


def model():
    """The sentence model of this process (scanners/sentences/model.py `shared`), loaded on
    first use; None if unavailable."""
    return sentence_model.shared()


def labelled(views) -> list[Labelled] | None:
    """The harmful sentences of the message, labelled once however many scanners ask;
    None when the model is unavailable."""
    cache = views.cache
    if "model" not in cache:
        cache["model"] = _label(views)
    return cache["model"]


def _label(views) -> list[Labelled] | None:
    m = model()
    if m is None:
        return None
    from scanners.sentences import worth_scoring
    from scanners.text import sentences

    todo: list[tuple[object, int, int]] = []
    seen: set[str] = set()
    for seg in sorted(views.segments, key=lambda s: s.kind == "attachment"):
        if seg.quoted:
            continue
        for start, end in sentences(seg.text):
            while start < end and seg.text[start].isspace():
                start += 1
            text = seg.text[start:end].strip()
            if len(todo) >= MAX_SENTENCES:
                break
            if not text or text in seen or not worth_scoring(text) or \
                    seg.cited(start, end, overlap=True):
                continue
            seen.add(text)
            todo.append((seg, start, end))
    if not todo:
        return []
    own = sum(len(seg.text) for seg in views.segments if not seg.quoted)
    probs = m.score([seg.text[a:b].strip() for seg, a, b in todo], tokens=network_tokens(own))
    out = []
    for (seg, a, b), (label, prob), (loose, loose_prob) in zip(
            todo, m.decide(probs), m.decide(probs, recall=True)):
        if label not in ("benign", "quoted_report") and prob >= MIN_PROB:
            out.append(Labelled(seg, a, b, label, prob))
        elif loose in BORDERLINE and loose_prob >= TAG_PROB:
            # POLICY.md's borderline language (a sarcastic put-down, a passive-aggressive dig,
            # hedged rumour) read at the recall thresholds: a tag for review
            out.append(Labelled(seg, a, b, loose, loose_prob, strict=False))
    return out


def network_tokens(chars: int) -> int:
    """How many word pieces the network may read in a message with `chars` characters of
    the sender's own (unquoted) text: NETWORK_TOKENS plus NETWORK_TOKENS_PER_KB a 1000, and
    in short mail, whose word lists cost little, up to SHORT_TOKENS less SHORT_TOKENS_PER_KB
    a 1000 (56 word pieces at 1 KB, 48 at 2 KB)."""
    kb = chars / 1000
    return int(max(NETWORK_TOKENS + NETWORK_TOKENS_PER_KB * kb,
                   SHORT_TOKENS - SHORT_TOKENS_PER_KB * kb))


def unavailable(category: str) -> Finding:
    return Finding(category, "model_unavailable", Severity.LOW, "body",
                   "sentence model not available: word lists only")


def language(views, named_target, cleared=None, answering: bool = False) -> list[Finding]:
    """Language findings from the model; `named_target(text, at)` names a person or company
    (scanners/language.py); `cleared` maps a segment to the spans the word lists looked at
    and found harmless (an insult aimed at nobody, a denied accusation): a sentence with one
    is not the model's to flag. `answering`: the message quotes abuse to answer or report it;
    the model's reading of the answer then tags at most."""
    found = labelled(views)
    if found is None:
        return [unavailable("language")]
    cleared = cleared or {}
    found = [i for i in found if not any(i.start <= s and e <= i.end
                                         for s, e in cleared.get(id(i.segment), ()))]
    if views.reporting:  # the attachments of a report are its evidence, not its words
        found = [i for i in found if i.segment.kind != "attachment"]
    out = []
    harmful = [i for i in found if i.label in LANGUAGE_RULES and i.label != "profanity"
               and i.strict]
    strict_rules = {LANGUAGE_RULES[i.label] for i in harmful}
    for item in found:
        rule = LANGUAGE_RULES.get(item.label)
        if rule is None:
            continue
        words = len(item.sentence.split())
        if not item.strict and (rule in strict_rules or words < MIN_WORDS_HIGH):
            continue  # a looser reading adds nothing to a firmer one, nor on a fragment
        person = bool(_PERSON.search(item.sentence) or _NAMED.search(item.sentence))
        # more than one harmful sentence, or one the model is all but sure of
        # another sentence of the same kind (two threats, two put-downs), or near certainty:
        # a "threat" and a "bullying" reading of two sentences of firm feedback do not
        # corroborate each other
        corroborated = item.prob >= SURE or any(
            other is not item and _KIND[other.label] == _KIND[item.label] for other in harmful)
        if words < MIN_WORDS_HIGH or answering or views.reporting or item.prob < HIGH_HARM \
                or not item.strict:
            high = False
        elif item.label == "threat":
            high = person and (corroborated or conduct.consequence(item.sentence)
                               or conduct.kin_named(item.sentence))
        elif item.label in ("harassment", "bullying"):
            high = person and corroborated
        elif item.label == "discrimination":
            high = corroborated
        elif item.label == "defamation":
            text = item.segment.text
            before = text[max(0, item.start - 400):item.end]
            high = bool(named_target(before, len(before))) and corroborated and \
                not conduct.hedged(item.sentence)
        else:
            high = False
        severity = Severity.HIGH if high else Severity.MEDIUM
        out.append(Finding("language", rule, severity, item.segment.where, item.evidence(),
                           tags=(MODEL,)))
    return out


def advertising(views, promotional: bool, public: bool) -> list[Finding]:
    found = labelled(views)
    if found is None:
        return []  # said once, by the language scanner
    out = []
    for item in (i for i in found if i.strict):
        if item.label == "pom_promotion":
            severity = Severity.HIGH if public else Severity.MEDIUM
            rule = "pom_promotion"
        elif item.label == "misleading_claim":
            severity = Severity.HIGH if promotional else Severity.MEDIUM
            rule = "misleading_claim"
        elif item.label == "under18_targeting":
            severity = Severity.HIGH if promotional else Severity.MEDIUM
            rule = "under18_promotion"
        else:
            continue
        out.append(Finding("advertising", rule, severity, item.segment.where, item.evidence(),
                           tags=(MODEL,)))
    return out


def copyright(views) -> list[Finding]:
    found = labelled(views)
    if found is None:
        return []
    return [Finding("copyright", "copyright_licence_restricted", Severity.MEDIUM,
                    item.segment.where, item.evidence(), tags=(MODEL,))
            for item in found if item.strict
            and item.label == "licence_restriction" and item.segment.kind == "attachment"]
