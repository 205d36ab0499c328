"""Causes the leave-writers-out folds showed (issue 21), each with its hard negative:
places in address lines read as people, refusals and memos quoting banned copy, borderline
language (hedged rumour, a sarcastic put-down) that passed with no finding."""
from __future__ import annotations

import pytest

from scanners import people, quoting
from scanners.base import ParsedMessage, Severity, TextPart
from scanners.language import LanguageScanner
from scanners.sentences import model as sentence_model


def test_places_in_an_address_are_not_people():
    record = ("Registration: Jago Pengelly, DOB 02/11/1981, Wheal Betsy Cottage, "
              "Mary Tavy PL19 9QA. Tel 07700 900318.")
    assert [n.text for n in people.find(record)] == []
    # names stay names: a surname that is also a word, a name before a comma and a postcode
    assert [n.text for n in people.find("Our patient Sarah Hall had filler on Tuesday.")] \
        == ["Sarah Hall"]
    assert [n.text for n in people.find("Lucy Jones, EX20 4AB, 07700 900123")] == ["Lucy Jones"]


needs_model = pytest.mark.skipif(sentence_model.shared() is None,
                                 reason="the sentence model is not installed")


@pytest.mark.model
@needs_model
def test_a_refusal_quoting_banned_copy_cites_the_whole_sentence():
    """No frame word ("says", "banned") in the sentence: the model reads it as quoting, so
    the quotation and the words around it ("aimed at under-18s") are cited."""
    text = ("Ryan, son, I like you, but no. \"Guaranteed results or your money back\" is a "
            "claim I cannae stand over, so that's out too. Send me the new version.")
    spans = quoting.cited_spans(text)
    assert any('"Guaranteed' in text[a:b] and "that's out too" in text[a:b]
               for a, b in spans), [text[a:b] for a, b in spans]


@pytest.mark.model
@needs_model
def test_an_advert_quoting_its_own_slogan_is_not_cited():
    text = 'This month only: "Glow for less", anti-wrinkle injections £99, book now!'
    assert quoting.cited_spans(text) == []


def language(body: str) -> dict[str, Severity]:
    msg = ParsedMessage(headers=(), subject="", sender="hugh@penhallowbarn.example",
                        recipients=("editor@parishnews.example",),
                        body_parts=(TextPart("body", body),), attachments=())
    out: dict[str, Severity] = {}
    for f in LanguageScanner().scan(msg):
        out[f.rule] = max(out.get(f.rule, Severity.LOW), f.severity)
    return out


@pytest.mark.model
@needs_model
def test_a_dig_read_only_at_the_recall_thresholds_tags_and_never_holds(monkeypatch):
    """A language reading that only the recall thresholds reach (forced here by raising the
    strict language thresholds out of reach) tags once it reaches TAG_PROB, never holds, and
    is dropped below TAG_PROB."""
    import numpy as np

    from scanners import model_findings
    from scanners.sentences.model import GROUP_LABELS, LABELS
    m = sentence_model.shared()
    strict = np.array(m.thresholds, copy=True)
    for label in GROUP_LABELS["language"]:
        strict[LABELS.index(label)] = 1.01
    monkeypatch.setattr(m, "thresholds", strict)
    dig = ("Hi all,\n\nSome of us, I notice, manage to restock the trolley without being "
           "asked three times.\n\nMargaret")
    monkeypatch.setattr(model_findings, "TAG_PROB", 1.01)
    assert "language_abuse" not in language(dig)
    monkeypatch.setattr(model_findings, "TAG_PROB", 0.5)
    assert language(dig).get("language_abuse") is Severity.MEDIUM


@pytest.mark.model
@needs_model
def test_identity_and_clinical_words_are_not_borderline_language():
    found = language("The anal fissure healed; breastfeeding is fine; he is gay; she is a "
                     "trans woman. Watch for a dead smile if you go too medial.")
    assert not {r for r, s in found.items() if s >= Severity.MEDIUM and r != "model_unavailable"}
