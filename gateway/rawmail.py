"""What can be told of a raw message without parsing it (the relay front may not load the
content readers)."""
from __future__ import annotations


def header_block_size(raw: bytes) -> int:
    """Bytes before the blank line that ends the header block (all of them if none)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    return len(raw) if end < 0 else end
