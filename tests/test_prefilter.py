"""The automaton in front of the scanners' regular expressions (scanners/prefilter.py): a
pattern behind it finds exactly what it finds alone, on every crafted text, and is not run
on a text that holds none of its words."""
from __future__ import annotations

import re
import string

import pytest

from scanners import copyright, prefilter, watermarks

ALL = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def gated(*modules):
    return [(f"{m.__name__}.{name}", value) for m in modules
            for name, value in vars(m).items() if isinstance(value, prefilter.Gated)]


PATTERNS = gated(copyright, watermarks) + [
    ("publishers", copyright.CopyrightScanner().publishers.pattern)]

# one or more texts for the alternatives of the patterns above, as mail writes them
CRAFTED = """All rights reserved. No part of this publication may be reproduced without permission.
May not be reproduced in any form without the publisher's consent; for personal use only.
This article is protected by copyright. Reproduced here with the permission of the author.
Unauthorised copying prohibited. Cedwir pob hawl. Pob hawl wedi'i chadw. Ni chaniateir copïo.
Licensed to Jane Smith, single-user licence, for registered delegates only, delegate pack.
Not for redistribution. Please don't share this. Do not forward these. Must not circulate.
Subscribers-only content for subscribers; members only; for the sole use of the buyer.
Personal licence only. Purchased by Dr Patel. This copy is licensed to Glow Clinic.
Confidential - do not share. Candidate copy. Exam questions (2024) are strictly confidential.
Wedi'i drwyddedu i Glinig. At ddefnydd y clinig yn unig. Trwydded un defnyddiwr.
Trwyddedig i Dr Jones yn unig. Aelodau yn unig. Copi'r cynrychiolydd. Peidiwch â rhannu.
Nid i'w ddosbarthu. © 2024 Elsevier Ltd. (c) 2020 Wiley. Copyright 2019 Springer Nature.
Hawlfraint © 2021 Prifysgol. doi:10.1016/j.jaad.2020.01.001 https://doi.org/10.1111/jocd.1
ISBN 978-0-19-852663-6. Vol. 12, No. 3. 2020;45(3):123-130. Journal of Cosmetic Dermatology.
Received: 3 March 2020; revised; Accepted 4 May 2020. CC BY-NC 4.0, CC-BY-SA 3.0.
Creative Commons Attribution-NonCommercial 4.0; creativecommons.org/licenses/by-sa/4.0
CC0 1.0, released into the public domain, a public domain image. creative commons.
Open Government Licence v3.0. Oxford University Press, Acme Medical Publishing, Getty Images.
Unsubscribe here. Limited-time offers, 20% off, book now, our sale, the newsletter, discounts.
Chapter 12, Table 3.2, Fig. 4.1, 2nd edition, pp. 45-46, Reproduced from the atlas.
TAX INVOICE
Receipt no. 12
Licence confirmation: 1234
Here are the pages from the textbook; the book's too expensive; I scanned in some pages.
Photos of the chapter from his journal. Web use only, editorial use only, not for print.
Printing rights not permitted. Reprinted for our flyer; posters, banners and leaflets.
Add our logo to our new brochure and our website. Username: jane@example.com, password:
Glow2026! pw is X9k!abc. Login id is jsmith. Our academy, Glow Clinic Ltd, Skin Group LLP.
If you are not the intended recipient, or received this email in error, tell us. This
message is confidential and may be privileged. Y neges hon. Trwy gamgymeriad.
We have bought the licence; licence number 4411; proof of purchase attached.
Can you remove the watermark? It still has the watermark, ignore the watermark.
""".splitlines() + ["flyers that are not ", "Web use only; no printed copies"]
ORDINARY = ["See you on Tuesday at 10:00.",
            "Thank you for booking a chemical peel. Please arrive ten minutes early.",
            "Avoid direct sunlight for a few days and wear a sunscreen every morning."]


def variants(text: str) -> list[str]:
    """The text, in capitals, and with the letters `re` matches to i, s and k when ignoring
    case written as those (İ ı ſ K)."""
    return [text, text.upper(), text.replace("i", "\u0131"), text.upper().replace("I", "\u0130"),
            text.replace("s", "\u017f"), text.replace("k", "\u212a")]


TEXTS = [v for t in CRAFTED + ORDINARY for v in variants(t)] + \
    ["\n".join(CRAFTED), "\n".join(CRAFTED).upper()]


@pytest.mark.parametrize("name,pattern", PATTERNS, ids=[n for n, _ in PATTERNS])
def test_same_matches_as_the_pattern_alone(name, pattern):
    found = 0
    for text in TEXTS:
        alone = [(m.span(), m.groups()) for m in pattern.pattern.finditer(text)]
        assert [(m.span(), m.groups()) for m in pattern.finditer(text)] == alone, text
        s = pattern.pattern.search(text, 3)
        assert (s and s.span()) == ((g := pattern.search(text, 3)) and g.span()), text
        assert pattern.findall(text) == pattern.pattern.findall(text)
        assert pattern.sub("#", text) == pattern.pattern.sub("#", text)
        found += bool(alone)
    assert found, f"no crafted text matches {name}: the test would prove nothing"


def test_ordinary_mail_runs_few_patterns():
    text = " ".join(ORDINARY)
    skipped = [n for n, p in PATTERNS if not p.possible(text)]
    assert len(skipped) >= len(PATTERNS) * 2 // 3, skipped
    assert not copyright._RESTRICTED.possible(text)
    assert copyright._RESTRICTED.possible("Licensed to Jane Smith")


def test_a_text_with_two_alternatives_runs_only_those():
    text = "Members only. All rights reserved."
    narrowed = copyright._RESTRICTED._for(text)
    assert narrowed is not copyright._RESTRICTED.pattern
    assert narrowed.pattern.count("|") < copyright._RESTRICTED.pattern.pattern.count("|")
    assert narrowed.search(text).group(0) == "Members only"


def test_required_literals():
    assert prefilter.required(r"\bfoo(?:bar|qux)\d+end") == \
        ("and", ["foo", ("or", ["bar", "qux"]), "end"])
    # `re` reads "bar|baz" as "ba[rz]": the common beginning is still required
    assert prefilter.required(r"foo(?:bar|baz)") == "fooba"
    assert prefilter.required(r"a|bcd") is None  # "a" is too short to look for
    assert prefilter.required(r"(?:abc)?x") is None  # optional: no word is needed
    assert prefilter.required(r"(?:abcd)+") == "abcd"
    assert prefilter.required(r"© ?\d{4}") == "©"
    assert prefilter.required(r"ünï") is None  # letters with case beyond ASCII: not used
    assert prefilter.required(r"ünïcode") == "code"


def test_alternatives():
    assert prefilter.alternatives(r"a|b(c|d)|[|)]x|\|y|[]|]z|[^]|]w") == \
        ["a", "b(c|d)", "[|)]x", r"\|y", "[]|]z", "[^]|]w"]
    assert prefilter.alternatives(r"(?i)a|b") == ["(?i)a|b"]


def test_fold_covers_every_character_re_matches_to_ascii_ignoring_case():
    ascii_word = re.compile(r"[a-z0-9]", re.IGNORECASE)
    for ch in ALL:
        if ord(ch) >= 128 and ascii_word.fullmatch(ch):
            letters = [a for a in string.ascii_lowercase + string.digits
                       if re.fullmatch(a, ch, re.IGNORECASE)]
            assert all(a in prefilter.fold(ch) for a in letters), (hex(ord(ch)), letters)


def test_caseless_characters_match_only_themselves():
    caseless = re.compile("[" + re.escape("".join(prefilter.CASELESS)) + "]", re.IGNORECASE)
    assert {ch for ch in ALL if caseless.fullmatch(ch)} == set(prefilter.CASELESS)
    assert all(prefilter.fold(ch) == ch for ch in prefilter.CASELESS)
