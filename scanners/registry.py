"""The scanners the gateway runs: the built-ins, plus any package that declares an entry
point in the `mailscreen.scanners` group. Both are registered the same way."""
from __future__ import annotations

from importlib.metadata import entry_points

from scanners.advertising import AdvertisingScanner
from scanners.attachments import AttachmentScanner
from scanners.base import Scanner
from scanners.copyright import CopyrightScanner
from scanners.language import LanguageScanner
from scanners.patient_data import PatientDataScanner

BUILTIN_SCANNERS = (PatientDataScanner, CopyrightScanner, LanguageScanner, AdvertisingScanner,
                    AttachmentScanner)
ENTRY_POINT_GROUP = "mailscreen.scanners"

# Rules the gateway itself raises, not a scanner.
GATEWAY_RULES = {
    "scan_failed": "The message could not be screened (parse error, scanner crash, time or memory "
                   "budget exceeded); it is held because unscreened mail never passes.",
    "bulk_repetition": "The same body went to many recipients, or many times from one sender, "
                       "within the configured window ([bulk]): repetitive mailing, possibly spam.",
}


class UnknownScannerError(ValueError):
    pass


def available() -> dict[str, type]:
    found = {cls.name: cls for cls in BUILTIN_SCANNERS}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        found.setdefault(cls.name, cls)
    return found


def build(enabled: dict[str, bool], options: dict[str, dict] | None = None) -> list[Scanner]:
    """Instances of every scanner not switched off in `enabled` (scan.scanners in the config);
    `options` gives a scanner's constructor its keyword arguments, by scanner name."""
    known = available()
    unknown = sorted(set(enabled) - set(known))
    if unknown:
        raise UnknownScannerError(
            f"unknown scanner {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    options = options or {}
    return [cls(**options.get(name, {})) for name, cls in known.items() if enabled.get(name, True)]


def rule_descriptions() -> dict[str, str]:
    rules = dict(GATEWAY_RULES)
    for cls in available().values():
        rules.update(cls.rules)
    return rules
