"""Header values as a reader sees them: RFC 2047 words decoded (mail-parser), control
characters as spaces. Used for the message's own headers (parse.py) and for those of a
mail attached as a file (embedded.py), which is why it sits below both."""
from __future__ import annotations

import logging
import re

from mailparser.utils import decode_header_part

# mail-parser logs undecodable headers verbatim; headers can carry patient data.
logging.getLogger("mailparser").setLevel(logging.CRITICAL + 1)

CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def header_text(value) -> str:
    return CONTROL.sub(" ", decode_header_part(str(value) if value is not None else ""))
