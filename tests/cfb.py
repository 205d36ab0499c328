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


# -- VBA projects (MS-OVBA) ------------------------------------------------------------------------

def ovba_compress(data: bytes) -> bytes:
    """MS-OVBA compression using literal tokens only (valid, if no smaller): a signature
    byte, then chunks of at most 3640 bytes, each a header and flag bytes of 0 (8 literals)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 3640):
        chunk = data[start:start + 3640]
        body = bytearray()
        for k in range(0, len(chunk), 8):
            body += b"\x00" + chunk[k:k + 8]
        out += struct.pack("<H", (len(body) + 2 - 3) | (0b011 << 12) | 0x8000) + body
    return bytes(out)


def _record(ident: int, data: bytes) -> bytes:
    return struct.pack("<HI", ident, len(data)) + data


def vba_storage(modules: dict[str, str]) -> dict:
    """The VBA storage tree of a project whose modules (name -> source) are document
    modules (ThisDocument, ThisWorkbook) or standard modules."""
    dir_stream = b"".join([
        _record(0x0001, struct.pack("<I", 1)), _record(0x0002, struct.pack("<I", 0x409)),
        _record(0x0014, struct.pack("<I", 0x409)), _record(0x0003, struct.pack("<H", 1252)),
        _record(0x0004, b"VBAProject"),
        _record(0x0005, b""), _record(0x0040, b""),
        _record(0x0006, b""), _record(0x003D, b""),
        _record(0x0007, struct.pack("<I", 0)), _record(0x0008, struct.pack("<I", 0)),
        struct.pack("<HIIH", 0x0009, 4, 1, 0),
        _record(0x000C, b""), _record(0x003C, b""),
        _record(0x000F, struct.pack("<H", len(modules))), _record(0x0013, struct.pack("<H", 0xFFFF)),
    ])
    for name in modules:
        raw = name.encode("cp1252")
        dir_stream += b"".join([
            _record(0x0019, raw), _record(0x0047, name.encode("utf-16-le")),
            _record(0x001A, raw), _record(0x0032, name.encode("utf-16-le")),
            _record(0x001C, b""), _record(0x0048, b""),
            _record(0x0031, struct.pack("<I", 0)), _record(0x001E, struct.pack("<I", 0)),
            _record(0x002C, struct.pack("<H", 0xFFFF)),
            struct.pack("<HI", 0x0021, 0), struct.pack("<HI", 0x002B, 0)])
    dir_stream += struct.pack("<HI", 0x0010, 0)
    vba = {"dir": ovba_compress(dir_stream), "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00"}
    for name, source in modules.items():
        vba[name] = ovba_compress(source.replace("\n", "\r\n").encode("cp1252"))
    project = "ID=\"{00000000-0000-0000-0000-000000000000}\"\r\n" + "".join(
        f"Document={n}/&H00000000\r\n" if n.startswith("This") else f"Module={n}\r\n"
        for n in modules) + "Name=\"VBAProject\"\r\n"
    return {"VBA": vba, "PROJECT": project.encode(), "PROJECTwm": b"\x00\x00"}


AUTO_SHELL = ('Attribute VB_Name = "ThisDocument"\nSub Document_Open()\n'
              '  Dim path As String\n  path = Environ("TEMP") & "\\u.bat"\n'
              '  Open path For Output As #1\n  Print #1, "echo hi"\n  Close #1\n'
              '  Shell path, vbHide\nEnd Sub\n')
PLAIN_MACRO = ('Attribute VB_Name = "Module1"\nSub TotalHours()\n'
               '  MsgBox "Total: " & (7.5 * 5)\nEnd Sub\n')


def docm(source: str = AUTO_SHELL, text: str = "Order form") -> bytes:
    """A Word document with a VBA project (word/vbaProject.bin), as Word saves a .docm."""
    import io
    import zipfile

    module = "ThisDocument" if "Document_Open" in source else "Module1"
    project = build({"Macros": {}, **vba_storage({module: source})})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
                   'document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.'
                   'main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                   'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                   'officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://'
                   'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                   f'<w:t>{text}</w:t></w:r></w:p></w:body></w:document>')
        z.writestr("word/vbaProject.bin", project)
    return out.getvalue()


# -- Word and Excel 97-2003 ------------------------------------------------------------------------

def word97(text: str, macros: dict[str, str] | None = None) -> bytes:
    """A .doc: a FIB pointing at a one-piece table in 1Table, the text stored 8-bit
    ("compressed") after the FIB; optionally a Macros storage with a VBA project."""
    body = text.replace("\n", "\r").encode("cp1252") + b"\r"
    text_at = 0x800
    fib = bytearray(text_at)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0x00C1)
    struct.pack_into("<H", fib, 0x0A, 0x0200)  # fWhichTblStm: 1Table
    struct.pack_into("<H", fib, 32, 14)  # csw
    at = 34 + 14 * 2
    struct.pack_into("<H", fib, at, 22)  # cslw
    struct.pack_into("<I", fib, at + 2 + 3 * 4, len(body))  # ccpText
    at += 2 + 22 * 4
    struct.pack_into("<H", fib, at, 0x5D)  # cbRgFcLcb (Word 97)
    plc = struct.pack("<II", 0, len(body)) + struct.pack("<HIH", 0, (text_at * 2) | 0x40000000, 0)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    struct.pack_into("<II", fib, at + 2 + 33 * 8, 0, len(clx))  # fcClx, lcbClx
    tree: dict = {"WordDocument": bytes(fib) + body, "1Table": clx}
    if macros:
        tree["Macros"] = vba_storage(macros)
    return build(tree)


def _biff(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def excel97(sheets: dict[str, list[list[str]]], hidden: dict[str, int] | None = None) -> bytes:
    """A .xls (BIFF8): a globals substream with BOUNDSHEET8 records and a shared string
    table, then a worksheet substream per sheet
    with LABELSST cells. hidden: sheet -> 1 (hidden) or 2 (very hidden)."""
    strings = list(dict.fromkeys(c for rows in sheets.values() for r in rows for c in r))
    index = {s: i for i, s in enumerate(strings)}
    sst = struct.pack("<II", len(strings), len(strings)) + b"".join(
        struct.pack("<HB", len(s), 0) + s.encode("latin-1") for s in strings)
    assert len(sst) < 8224, "keep test workbooks small: one SST record, no CONTINUE"
    sst_records = _biff(0x00FC, sst)
    bof = lambda dt: _biff(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 6))
    eof = _biff(0x000A, b"")
    globals_part = bof(0x0005)
    bounds = []
    for name, _ in sheets.items():
        state = (hidden or {}).get(name, 0)
        bounds.append(struct.pack("<IBBBB", 0, state, 0, len(name), 0) + name.encode("latin-1"))
    globals_len = len(globals_part) + sum(len(_biff(0x0085, b)) for b in bounds) + \
        len(sst_records) + len(eof)
    offsets, at = [], globals_len
    subs = []
    for rows in sheets.values():
        sub = bof(0x0010) + b"".join(
            _biff(0x00FD, struct.pack("<HHHI", r, c, 15, index[v]))
            for r, row in enumerate(rows) for c, v in enumerate(row)) + eof
        offsets.append(at)
        at += len(sub)
        subs.append(sub)
    globals_part += b"".join(_biff(0x0085, struct.pack("<I", off) + b[4:])
                             for off, b in zip(offsets, bounds))
    globals_part += sst_records + eof
    return build({"Workbook": globals_part + b"".join(subs)})


def ole_package(filename: str, data: bytes) -> bytes:
    """An OLE Package object (oleObject1.bin): an Ole10Native stream wrapping one file, as
    Office embeds a file dragged into a document."""
    name = filename.encode("cp1252") + b"\0"
    native = struct.pack("<H", 2) + name + b"C:\\\\" + name + struct.pack("<II", 0x00030000, 0) \
        + b"C:\\\\Temp\\\\" + name + struct.pack("<I", len(data)) + data
    return build({"\x01Ole10Native": struct.pack("<I", len(native)) + native,
                  "\x01CompObj": b"\x01\x00\xfe\xff" + b"\0" * 24})
