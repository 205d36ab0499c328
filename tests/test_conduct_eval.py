"""The conduct evaluation set (tests/data/conduct_eval/): labelled sentences and whole
messages, written to be hard, scored per category with precision and recall.

holdout.tsv was written after the lists were tuned on the other two files and scored once
before any change; its first scores are in the commit that added it.

Each sentence becomes a one-part message, to one patient (context p) or a newsletter
(context n: List-Unsubscribe, a list address). Each message is built from messages.toml
with its headers, envelope and body. Both go through the real path: parse, the language and
advertising scanners, the envelope audience rule (gateway/audience.py), and for messages
the default policy.

The gate: for every category, findings of high severity (the ones that hold mail) reach
precision 0.90 and recall 0.90. Run this file with python to print the full table and every
disagreement:  .venv/bin/python tests/test_conduct_eval.py
"""
from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.config import AudienceSettings  # noqa: E402
from gateway.content.parse import parse  # noqa: E402
from gateway.config import Settings  # noqa: E402
from gateway.decision import context  # noqa: E402
from gateway.decision.judge import OfflineEnvelope, judge  # noqa: E402
from gateway.pipeline import ScanResult  # noqa: E402
from scanners.advertising import AdvertisingScanner  # noqa: E402
from scanners.base import Severity  # noqa: E402
from scanners.language import LanguageScanner  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "conduct_eval"
CATEGORIES = {
    "profanity": ("language_profanity",),
    "abuse": ("language_abuse", "language_classifier"),  # the classifier is medium at most
    "threat": ("language_threat",),
    "discrimination": ("language_discrimination",),
    "defamation": ("defamation",),
    "pom": ("pom_promotion",),
    "claim": ("misleading_claim", "under18_promotion"),
}
LANGUAGE = ("profanity", "abuse", "threat", "discrimination", "defamation")
GATE = 0.90


@dataclass
class Case:
    name: str
    raw: bytes
    labels: dict[str, Severity]  # category -> highest severity a reviewer gives
    envelope: list[str] = field(default_factory=list)
    action: str = ""  # expected action under the default policy (messages only)


def _labels(text: str) -> dict[str, Severity]:
    if text.strip() in ("", "-"):
        return {}
    out = {}
    for item in text.split(","):
        category, _, severity = item.strip().partition(":")
        assert category in CATEGORIES, category
        out[category] = Severity.parse(severity)
    return out


def _raw(headers: dict[str, str], body: str, content_type: str = "text/plain") -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"MIME-Version: 1.0\r\nContent-Type: {content_type}; charset=utf-8\r\n" \
            "Content-Transfer-Encoding: 8bit\r\n"
    return (head + "\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n").encode()


CONTEXTS = {
    "p": {"From": "Bethany Hale <bethany.hale@glowclinic.example>",
          "To": "Sam Patel <sam.patel@example.com>", "Subject": "Following up"},
    "n": {"From": "Glow Aesthetics Clinic <news@glowclinic.example>",
          "To": "Glow newsletter <newsletter@lists.glowclinic.example>",
          "Subject": "News from Glow",
          "List-Unsubscribe": "<mailto:news@glowclinic.example?subject=unsubscribe>"},
}


def sentence_cases(name: str = "sentences.tsv") -> list[Case]:
    cases = []
    for number, line in enumerate((DATA / name).read_text(encoding="utf-8")
                                  .splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        labels, context, text = line.split("\t")
        headers = dict(CONTEXTS[context], Date="Mon, 01 Jul 2024 09:00:00 +0100",
                       **{"Message-ID": f"<{name}.{number}@glowclinic.example>"})
        cases.append(Case(f"{name}:{number}", _raw(headers, text.replace("\\n", "\n")),
                          _labels(labels)))
    return cases


def message_cases() -> list[Case]:
    data = tomllib.loads((DATA / "messages.toml").read_text(encoding="utf-8"))
    cases = []
    for m in data["message"]:
        headers = {"Date": "Mon, 01 Jul 2024 09:00:00 +0100",
                   "Message-ID": f"<{m['name']}@glowclinic.example>", **m["headers"]}
        cases.append(Case(m["name"], _raw(headers, m["body"], m.get("content_type", "text/plain")),
                          {k: Severity.parse(v) for k, v in m.get("expect", {}).items()},
                          m.get("envelope", []), m["action"]))
    return cases


SCANNERS = [LanguageScanner(), AdvertisingScanner()]


def run(case: Case):
    """(findings as rated from the text and the envelope's width, the verdict of the one
    decision step). The severities leave out the raise for obscenity sent outside the
    clinic: the set rates each text's own severity; the verdict includes it."""
    msg = parse(case.raw)
    findings = [f for s in SCANNERS for f in s.scan(msg)]
    envelope = case.envelope or list(msg.recipients)
    rated = context.escalate(findings, envelope, list(msg.recipients), msg.sender,
                             AudienceSettings(outside_rules=[]))
    result = ScanResult(findings, recipients=list(msg.recipients), sender=msg.sender)
    return rated, judge(result, OfflineEnvelope(msg.sender, envelope), Settings())


def predicted(findings) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for category, rules in CATEGORIES.items():
        sev = max((f.severity for f in findings if f.rule in rules), default=None)
        if sev:
            out[category] = sev
    return out


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, truth: bool, guess: bool) -> None:
        self.tp += truth and guess
        self.fp += guess and not truth
        self.fn += truth and not guess

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(cases: list[Case]):
    high = {c: Score() for c in CATEGORIES}
    flagged = {c: Score() for c in CATEGORIES}
    language_any = Score()
    clean_alarms, clean_total, disagreements = 0, 0, []
    for case in cases:
        findings, verdict = run(case)
        guess = predicted(findings)
        for c in CATEGORIES:
            truth_sev, guess_sev = case.labels.get(c, 0), guess.get(c, 0)
            high[c].add(truth_sev == Severity.HIGH, guess_sev == Severity.HIGH)
            flagged[c].add(truth_sev >= Severity.MEDIUM, guess_sev >= Severity.MEDIUM)
            if (truth_sev == Severity.HIGH) != (guess_sev == Severity.HIGH) or \
                    (truth_sev >= Severity.MEDIUM) != (guess_sev >= Severity.MEDIUM):
                disagreements.append((case.name, c, truth_sev, guess_sev, findings))
        language_any.add(any(case.labels.get(c, 0) >= Severity.MEDIUM for c in LANGUAGE),
                         any(f.category == "language" and f.severity >= Severity.MEDIUM
                             for f in findings))
        if not case.labels:
            clean_total += 1
            alarms = [f for f in findings if f.severity >= Severity.MEDIUM]
            clean_alarms += bool(alarms)
        if case.action and str(verdict.action) != case.action:
            disagreements.append((case.name, "action", case.action, str(verdict.action), findings))
    return high, flagged, language_any, (clean_alarms, clean_total), disagreements


@pytest.fixture(scope="module")
def results():
    sentences, messages, holdout = sentence_cases(), message_cases(), sentence_cases("holdout.tsv")
    return {"sentences": sentences, "messages": messages,
            "all": evaluate(sentences + messages + holdout)}


def test_the_set_is_large_enough(results):
    assert len(results["sentences"]) >= 300
    assert len(results["messages"]) >= 30
    for category in CATEGORIES:
        assert sum(category in c.labels for c in results["sentences"]) >= 10, category


def test_high_severity_precision_and_recall_per_category(results):
    high, *_ = results["all"]
    for category, score in high.items():
        assert score.tp + score.fn >= 5, f"{category}: too few high-severity examples"
        assert score.precision >= GATE, f"{category}: high precision {score.precision:.2f}"
        assert score.recall >= GATE, f"{category}: high recall {score.recall:.2f}"


def test_flagged_precision_and_recall_per_category(results):
    """Medium or above (tag or hold): looser, but it must not drift."""
    _, flagged, language_any, *_ = results["all"]
    for category, score in flagged.items():
        assert score.precision >= 0.85, f"{category}: precision {score.precision:.2f}"
        assert score.recall >= 0.85, f"{category}: recall {score.recall:.2f}"
    assert language_any.precision >= 0.85 and language_any.recall >= 0.90


def test_clean_text_rarely_raises_anything_above_low(results):
    *_, (alarms, total), _ = results["all"]
    assert total >= 100
    assert alarms / total <= 0.05, f"{alarms} of {total} clean cases got a medium or high finding"


def test_messages_get_the_expected_action(results):
    *_, disagreements = results["all"]
    wrong = [(name, want, got) for name, what, want, got, _ in disagreements if what == "action"]
    assert not wrong


def report() -> str:
    sentences, messages, holdout = sentence_cases(), message_cases(), sentence_cases("holdout.tsv")
    lines = []
    for title, cases in (("sentences", sentences), ("messages", messages), ("holdout", holdout),
                         ("all", sentences + messages + holdout)):
        high, flagged, language_any, (alarms, total), disagreements = evaluate(cases)
        lines.append(f"\n{title}: {len(cases)} cases, {total} clean "
                     f"({alarms} with a finding above low)")
        lines.append(f"{'category':<16}{'high P':>8}{'high R':>8}{'n':>5}   "
                     f"{'>=med P':>8}{'>=med R':>8}{'n':>5}")
        for c in CATEGORIES:
            h, f = high[c], flagged[c]
            lines.append(f"{c:<16}{h.precision:>8.2f}{h.recall:>8.2f}{h.tp + h.fn:>5}   "
                         f"{f.precision:>8.2f}{f.recall:>8.2f}{f.tp + f.fn:>5}")
        lines.append(f"{'language (any)':<16}{'':>8}{'':>8}{'':>5}   {language_any.precision:>8.2f}"
                     f"{language_any.recall:>8.2f}{language_any.tp + language_any.fn:>5}")
    lines.append("\ndisagreements (case, category, label, predicted):")
    for name, what, want, got, findings in disagreements:
        lines.append(f"  {name} {what}: want {want!s} got {got!s}")
        for f in findings:
            lines.append(f"      {f.rule} {f.severity} {f.where} {f.evidence[:90]}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
