"""Deterministic made-up prose for register and benchmark tests: clinical-sounding sentences
from a fixed vocabulary, with stock phrases shared by every document (as real manuals share
"the patient should be advised to"), so unrelated texts overlap the way real ones do."""
from __future__ import annotations

import random

COMMON = """the of and to in a is that for it as with was on be by this are or from at an
which not have has but were can all their more one also been other these may its than when
into only some after most such between both each over where should during about while""".split()
CLINICAL = """patient patients treatment injection filler toxin botulinum hyaluronic acid dermal
skin tissue vascular occlusion artery nerve muscle face facial lip cheek chin forehead brow
jaw temple nose tear trough dose units volume needle cannula aspiration bolus retrograde
anterograde depth plane periosteum subcutaneous intradermal superficial deep layer fat pad
ligament bruising swelling erythema oedema nodule granuloma infection necrosis blindness
ischaemia hyaluronidase reversal protocol consent assessment consultation history allergy
contraindication pregnancy anticoagulant aspirin ibuprofen antibiotic steroid complication
adverse event outcome result follow review photograph record practitioner nurse doctor
dentist prescriber clinic room sterile aseptic technique glove chlorhexidine alcohol
cleanser topical anaesthetic lidocaine cream ice pressure massage moulding asymmetry
correction touch up duration months weeks days hours onset peak effect frown lines crow feet
glabella frontalis corrugator procerus orbicularis oculi oris mentalis platysma masseter
depressor anguli levator labii zygomaticus buccal mandible maxilla zygoma orbit ageing
laxity elasticity collagen elastin peel chemical glycolic salicylic retinoid laser light
energy device radiofrequency microneedling ultrasound imaging study trial cohort sample
analysis method data evidence review guideline recommendation standard training course
module chapter section manual competence supervision audit governance insurance""".split()
VERBS = """describes shows reduces increases improves requires suggests indicates reports
confirms avoids prevents causes treats assesses records explains demonstrates compares
measures limits supports follows""".split()
STOCK = ["the patient should be advised to", "as shown in the table below",
         "in this chapter we describe", "it is important to note that",
         "further studies are needed to confirm", "in the majority of cases",
         "the results of this study suggest that", "at the time of treatment",
         "according to the manufacturer's instructions", "before and after treatment"]


def sentence(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.25:
        parts.append(rng.choice(STOCK))
    for _ in range(rng.randint(2, 4)):
        parts += [rng.choice(COMMON), rng.choice(CLINICAL), rng.choice(CLINICAL)]
        if rng.random() < 0.5:
            parts += [rng.choice(VERBS), rng.choice(COMMON), rng.choice(CLINICAL)]
    text = " ".join(parts)
    return text[0].upper() + text[1:] + "."


def document(seed: int, words: int) -> str:
    rng = random.Random(seed)
    out, count = [], 0
    while count < words:
        s = sentence(rng)
        out.append(s)
        count += len(s.split())
    return " ".join(out)


def edited_excerpt(text: str, seed: int, length: int = 60, changed: float = 0.10) -> str:
    """`length` consecutive words of `text`, with `changed` of them replaced by other words."""
    rng = random.Random(seed)
    tokens = text.split()
    start = rng.randrange(0, len(tokens) - length)
    excerpt = tokens[start:start + length]
    for i in rng.sample(range(length), round(length * changed)):
        excerpt[i] = rng.choice(["lovely", "really", "quite", "super", "amazing", "gentle",
                                 "quick", "simple", "great", "fresh"])
    return " ".join(excerpt)
