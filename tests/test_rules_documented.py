"""Every rule id has one sentence an admin can read, in the code and in docs/rules.md."""
from __future__ import annotations

import re

from conftest import ROOT

from scanners import registry


def documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([a-z0-9_]+)` \|[^|]*\|[^|]*\| (.+) \|$",
                      (ROOT / "docs" / "rules.md").read_text(), re.MULTILINE)
    return dict(rows)


def test_every_rule_has_a_description_and_is_in_the_docs():
    rules = registry.rule_descriptions()
    assert rules
    for rule, description in rules.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", rule), rule
        assert description.endswith(".") and len(description.split()) >= 5, rule
    assert documented() == rules


def test_scanners_declare_unique_names_and_rules():
    names = [cls.name for cls in registry.BUILTIN_SCANNERS]
    assert len(names) == len(set(names))
    seen = set(registry.GATEWAY_RULES)
    for cls in registry.BUILTIN_SCANNERS:
        assert not seen & set(cls.rules), cls.name
        seen |= set(cls.rules)
