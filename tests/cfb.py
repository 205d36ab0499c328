"""A small writer of Compound File Binary (OLE2, MS-CFB version 3) files for the tests:
storages and streams, small streams in the mini stream. Enough to build Outlook .msg files
and legacy Office containers that olefile, extract-msg and oletools open."""
from __future__ import annotations

import struct

SECTOR = 512
MINI = 64
CUTOFF = 4096
END, FATSECT, FREE, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF, 0xFFFFFFFF


def build(tree: dict) -> bytes:
    """tree: name -> bytes (a stream) or dict (a storage), nested."""
    entries = []  # [name, type, data, children ids]

    def add(name, node) -> int:
        index = len(entries)
        if isinstance(node, dict):
            entries.append([name, 1, b"", []])
            entries[index][3] = [add(k, v) for k, v in node.items()]
        else:
            entries.append([name, 2, bytes(node), []])
        return index

    entries.append(["Root Entry", 5, b"", []])
    entries[0][3] = [add(k, v) for k, v in tree.items()]

    # the mini stream: small streams in 64-byte mini sectors
    mini_data, mini_fat, starts = bytearray(), [], {}
    for i, (_, kind, data, _) in enumerate(entries):
        if kind == 2 and len(data) < CUTOFF and data:
            first = len(mini_data) // MINI
            count = -(-len(data) // MINI)
            starts[i] = first
            mini_fat += [first + k + 1 for k in range(count - 1)] + [END]
            mini_data += data + b"\0" * (count * MINI - len(data))

    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return END
        first = len(sectors)
        count = -(-len(data) // SECTOR)
        for k in range(count):
            sectors.append(data[k * SECTOR:(k + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(first + k + 1 if k < count - 1 else END)
        return first

    root_start = place(bytes(mini_data))
    for i, (_, kind, data, _) in enumerate(entries):
        if kind == 2 and len(data) >= CUTOFF:
            starts[i] = place(data)
    minifat_bytes = b"".join(struct.pack("<I", v) for v in mini_fat)
    minifat_start = place(minifat_bytes) if mini_fat else END
    minifat_count = -(-len(minifat_bytes) // SECTOR)

    def entry(i: int) -> bytes:
        name, kind, data, children = entries[i]
        encoded = name.encode("utf-16-le") + b"\0\0"
        child = children[0] if children else NOSTREAM
        siblings = entries_siblings.get(i, NOSTREAM)
        if kind == 5:
            start, size = (root_start if mini_data else END), len(mini_data)
        elif kind == 2:
            start, size = starts.get(i, END), len(data)
        else:
            start, size = 0, 0
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", NOSTREAM, siblings, child) + b"\0" * 16 + b"\0" * 4
                + b"\0" * 16 + struct.pack("<IQ", start, size))

    entries_siblings = {}
    for _, _, _, children in entries:  # a chain to the right: a valid (if unbalanced) tree
        for a, b in zip(children, children[1:]):
            entries_siblings[a] = b
    directory = b"".join(entry(i) for i in range(len(entries)))
    directory += b"\0" * (-len(directory) % SECTOR)
    empty = (b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NOSTREAM,
             NOSTREAM, NOSTREAM) + b"\0" * 36 + struct.pack("<IQ", 0, 0))
    directory = b"".join(directory[k:k + 128] if directory[k:k + 128].strip(b"\0") else empty
                         for k in range(0, len(directory), 128))
    dir_start = place(directory)

    # the FAT itself, marked FATSECT; grow until it holds every sector including its own
    fat_count = 1
    while (len(sectors) + fat_count) > fat_count * (SECTOR // 4):
        fat_count += 1
    assert fat_count <= 109, "too large for a header-only DIFAT"
    fat_start = len(sectors)
    fat += [FATSECT] * fat_count
    fat += [FREE] * (fat_count * (SECTOR // 4) - len(fat))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    for k in range(fat_count):
        sectors.append(fat_bytes[k * SECTOR:(k + 1) * SECTOR])

    difat = [fat_start + k for k in range(fat_count)] + [FREE] * (109 - fat_count)
    header = (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, fat_count, dir_start, 0, CUTOFF, minifat_start,
                            minifat_count, END, 0)
              + b"".join(struct.pack("<I", v) for v in difat))
    assert len(header) == SECTOR
    return header + b"".join(sectors)


# -- Outlook .msg ----------------------------------------------------------------------------------

def _text(value: str) -> bytes:
    return value.encode("utf-16-le")


def outlook_msg(subject: str, body: str, sender: str, to: str,
                attachments: dict[str, bytes] | None = None) -> bytes:
    """A minimal Outlook message (IPM.Note) with string properties and attachments by value."""
    attachments = attachments or {}
    props = struct.pack("<8xIIII8x", 1, len(attachments), 1, len(attachments))
    tree: dict = {
        "__properties_version1.0": props,
        "__substg1.0_001A001F": _text("IPM.Note"),
        "__substg1.0_0037001F": _text(subject),
        "__substg1.0_1000001F": _text(body),
        "__substg1.0_0C1A001F": _text(sender),
        "__substg1.0_0C1F001F": _text(sender),
        "__substg1.0_0E04001F": _text(to),
        "__nameid_version1.0": {"__substg1.0_00020102": b"", "__substg1.0_00030102": b"",
                                "__substg1.0_00040102": b""},
        "__recip_version1.0_#00000000": {
            "__properties_version1.0": struct.pack("<8x") + struct.pack(
                "<IIQ", 0x0C150003, 6, 1),
            "__substg1.0_3001001F": _text(to), "__substg1.0_39FE001F": _text(to),
            "__substg1.0_3003001F": _text(to)},
    }
    for i, (name, data) in enumerate(attachments.items()):
        tree[f"__attach_version1.0_#{i:08X}"] = {
            "__properties_version1.0": struct.pack("<8x") + struct.pack(
                "<IIQ", 0x37050003, 6, 1),  # PR_ATTACH_METHOD: by value
            "__substg1.0_37010102": data,
            "__substg1.0_3707001F": _text(name),
            "__substg1.0_3704001F": _text(name[:12]),
        }
    return build(tree)
