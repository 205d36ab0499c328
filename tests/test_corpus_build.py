"""The corpus (issue 21): writers' folders pass the form check, the builder makes every
attachment kind deterministically, and one leave-writers-out fold runs end to end (heads
trained on the other writers, the default decision on the held one, the rules report)."""
import email
import json
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from harness import ROOT, SHARED

sys.path.insert(0, str(ROOT))
from corpus import build as corpus_build  # noqa: E402
from corpus.check_writer import main as check_writer  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "corpus_writers"
WRITERS = sorted(p for p in (ROOT / "corpus" / "writers").iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", WRITERS, ids=[p.name for p in WRITERS])
def test_every_writer_passes_the_form_check(folder, capsys):
    assert check_writer(["check", str(folder)]) == 0, capsys.readouterr().out[-3000:]


def test_the_corpus_is_large_enough():
    """At least 16 writers besides the development set, 1,700 messages of theirs (2,000 with
    the development set) and 10,000 sentences."""
    assert len(WRITERS) >= 16
    messages = sum(len(corpus_build.load_messages(w)) for w in WRITERS)
    sentences = sum(len(corpus_build.message_sentences(m))
                    for w in WRITERS for _, m in corpus_build.load_messages(w))
    assert messages >= 1700 and sentences >= 10000, (messages, sentences)


@pytest.mark.slow
def test_builder_is_deterministic_and_makes_every_kind(tmp_path):
    a = corpus_build.build(tmp_path / "a", ["wx-fixture"], root=FIXTURE)
    corpus_build.build(tmp_path / "b", ["wx-fixture"], root=FIXTURE)
    for rel in a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    msg = email.message_from_bytes((tmp_path / "a" / "wx-fixture/clean-every-kind.eml")
                                   .read_bytes(), policy=policy.default)
    names = {p.get_filename() for p in msg.iter_attachments()}
    assert {"referral.pdf", "scan.pdf", "notes.docx", "list.xlsx", "deck.pptx", "rows.csv",
            "readme.txt", "page.html", "room.jpg", "poster.png", "invite.ics", "nia.vcf",
            "fwd.eml", "bundle.zip"} <= names
    assert msg["Bcc"] and "records@fixture.example" in msg["Bcc"]
    rows = [json.loads(line) for line in (tmp_path / "a" / "sentences.jsonl").read_text()
            .splitlines()]
    assert {"text": "The patient told us \"I will sue you\" and we have logged it.",
            "label": "quoted_report"}.items() <= next(
        r for r in rows if r["label"] == "quoted_report").items()


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.timeout(900)
def test_one_fold_end_to_end(tmp_path):
    """Two writers' first messages and the fixture; the fold holding the fixture out trains
    heads on the others (with a slice of the project's sentences), screens the held writer
    with the whole default decision, scores it, and feeds the rules report."""
    sys.path.insert(0, str(ROOT / "bench"))
    import generalise
    import rules_report
    from scanners.sentences import train as trainer

    out = tmp_path / "build"
    corpus_build.build(out, [w.name for w in WRITERS[:2]], limit=8)
    corpus_build.build(tmp_path / "fx", ["wx-fixture"], root=FIXTURE)
    labels = json.loads((out / "labels.json").read_text())
    labels.update(json.loads((tmp_path / "fx" / "labels.json").read_text()))
    (out / "labels.json").write_text(json.dumps(labels))
    (out / "wx-fixture").symlink_to(tmp_path / "fx" / "wx-fixture")
    with open(out / "sentences.jsonl", "a") as f:
        f.write((tmp_path / "fx" / "sentences.jsonl").read_text())
    per_label: dict[str, list] = {}
    for row in trainer.corpus():
        per_label.setdefault(row["label"], []).append(row)
    base = [r for rows in per_label.values() for r in rows[:25]]
    folds = generalise.assign_folds(sorted({v["writer"] for v in labels.values()}), 3)
    held = next(i for i, f in enumerate(folds) if "wx-fixture" in f) + 1
    report = generalise.run(out, 3, jobs=1, base_rows=base, only_folds=[held],
                            log=lambda m: None)
    (fold,) = report["folds"]
    assert fold["writers"] == ["wx-fixture"]
    assert (out / f"heads-fold{held}.npz").exists()
    msgs = fold["messages"]
    assert msgs["wx-fixture/at-locked-and-programs.eml"]["action"] == "hold"
    assert msgs["wx-fixture/at-locked-and-programs.eml"]["right"]
    assert fold["score"]["groups"]["at"] == {"right": 1, "of": 1, "recall": 1.0}
    assert fold["score"]["clean"] == 1
    assert "WORST" in report["table"]
    # the word lists the scanners matched are recorded, and the report reads them
    assert any(m["hits"] for m in msgs.values())
    path = tmp_path / "lwo.json"
    path.write_text(json.dumps(report))
    out_text = subprocess.run([sys.executable, str(ROOT / "bench" / "rules_report.py"),
                               str(path)], capture_output=True, text=True, check=True).stdout
    assert "list section" in out_text and "attachment/attachment_executable" in out_text


def test_folds_keep_writers_whole_and_do_not_depend_on_order():
    writers = [f"w{i:02d}" for i in range(17)]
    sys.path.insert(0, str(ROOT / "bench"))
    import generalise
    folds = generalise.assign_folds(writers, 4)
    assert sorted(w for f in folds for w in f) == writers
    assert folds == generalise.assign_folds(list(reversed(writers)), 4)
    assert max(map(len, folds)) - min(map(len, folds)) <= 1


def test_devset_trains_and_is_never_scored():
    sys.path.insert(0, str(ROOT / "bench"))
    import generalise
    assert "devset" in generalise.TRAINING_ONLY
    if not (SHARED / "devset" / "labels.json").exists():
        pytest.skip("../shared/devset is absent")
    assert "devset" in corpus_build.writer_names()
