"""Legacy binary Office files (OLE2 compound files, olefile): the text of Word 97-2003
documents (.doc: the piece table of the WordDocument stream, main text, headers, footnotes
and comments alike), the cells of Excel 97-2003 workbooks (.xls: BIFF8 shared strings,
labels and numbers, sheet by sheet, hidden sheets included, also as tables), VBA macros in
either (active.py), and Outlook .msg files found by their streams whatever libmagic says.

What cannot be read is said: encrypted files (`encrypted`), PowerPoint 97-2003 and anything
else (`error`), so the attachment scanner holds them. Runs in an isolated child."""
from __future__ import annotations

import io
import re
import struct

from gateway.content import active, tables
from gateway.content.embedded import read_outlook
from gateway.content.isolate import run_isolated
from gateway.content.result import Content

MAX_CHARS = 5_000_000  # characters of text taken from one document
_FIELD = re.compile(r"\x13[^\x13\x14\x15]*\x14|\x13[^\x13\x14\x15]*\x15")  # field codes


def legacy_content(data: bytes, limits) -> Content:
    import olefile  # noqa: F401 - imported once in the scan process, not in every child
    outcome, value = run_isolated(_read, limits.pdf_seconds + 1.0, data)
    if outcome == "ok":
        content = value
    elif outcome == "timeout":
        return Content(over_limit=f"Office file reading killed after {limits.pdf_seconds + 1:g} s")
    else:
        return Content(error=f"legacy Office file could not be read ({value})")
    if "macros" in content.active and not content.encrypted:
        content.active, error = active.vba_facts(data, limits)
        content.active = content.active or ["macros"]
        content.error = content.error or error
    return content


def _read(data: bytes) -> Content:
    import olefile

    content = Content()
    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        streams = {"/".join(e).lower() for e in ole.listdir(streams=True, storages=True)}
        if "__substg1.0_001a001f" in streams or "__substg1.0_001a001e" in streams:
            return read_outlook(data)  # an Outlook message libmagic did not name
        if any(s.split("/")[-1] in ("vba", "_vba_project_cur", "macros") for s in streams):
            content.active = ["macros"]
        if "\x01ole10native" in streams:  # an OLE Package object wrapping a file
            from oletools.oleobj import OleNativeStream
            native = OleNativeStream(ole.openstream("\x01Ole10Native").read())
            name = native.filename or "packaged-file"
            content.members = [(str(name).replace("\\", "/").rsplit("/", 1)[-1][:120],
                                bytes(native.data or b""))]
            content.pages = [f"Packaged file: {name}"]
        elif "encryptedpackage" in streams or "encryptioninfo" in streams:
            content.encrypted = True  # an OOXML file with a password (ECMA-376)
        elif "worddocument" in streams:
            _word(ole, content)
        elif "workbook" in streams or "book" in streams:
            _excel(ole.openstream("Workbook" if "workbook" in streams else "Book").read(),
                   content)
        elif "powerpoint document" in streams:
            content.error = "legacy PowerPoint file (.ppt): its text cannot be read"
        else:
            content.error = "OLE file of an unknown kind: its content cannot be read"
    finally:
        ole.close()
    return content


# -- Word 97-2003 ----------------------------------------------------------------------------------

def _word(ole, content: Content) -> None:
    word = ole.openstream("WordDocument").read()
    if len(word) < 0x200 or struct.unpack_from("<H", word, 0)[0] != 0xA5EC:
        content.error = "legacy Word document (.doc) with no valid header"
        return
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if flags & 0x0100:
        content.encrypted = True
        return
    table_name = "1Table" if flags & 0x0200 else "0Table"
    if not ole.exists(table_name):
        content.error = f"legacy Word document (.doc) without its {table_name} stream"
        return
    table = ole.openstream(table_name).read()
    csw = struct.unpack_from("<H", word, 32)[0]
    at = 34 + csw * 2
    cslw = struct.unpack_from("<H", word, at)[0]
    at += 2 + cslw * 4
    cb = struct.unpack_from("<H", word, at)[0]
    if cb <= 33:
        content.error = "legacy Word document (.doc) too old to read (no piece table)"
        return
    fc_clx, lcb_clx = struct.unpack_from("<II", word, at + 2 + 33 * 8)
    clx = table[fc_clx:fc_clx + lcb_clx]
    pieces = _piece_table(clx)
    if pieces is None:
        content.error = "legacy Word document (.doc) with a broken piece table"
        return
    out, total = [], 0
    for (cp_start, cp_end, fc, compressed) in pieces:
        count = cp_end - cp_start
        if count <= 0:
            continue
        total += count
        if total > MAX_CHARS:
            content.over_limit = f"document has over {MAX_CHARS:,} characters"
            break
        if compressed:
            out.append(word[fc // 2: fc // 2 + count].decode("cp1252", "replace"))
        else:
            out.append(word[fc: fc + 2 * count].decode("utf-16-le", "replace"))
    text = _FIELD.sub("", "".join(out))
    text = text.replace("\r", "\n").replace("\x07", "\t").replace("\x0b", "\n") \
        .replace("\x0c", "\n")
    text = re.sub(r"[\x00-\x08\x0e-\x1f]", "", text)
    content.pages = [re.sub(r"\n\s*\n+", "\n\n", text).strip()]


def _piece_table(clx: bytes):
    i = 0
    while i < len(clx):
        kind = clx[i]
        if kind == 0x01:  # Prc: formatting, skipped
            size = struct.unpack_from("<h", clx, i + 1)[0]
            i += 3 + max(size, 0)
        elif kind == 0x02:  # Pcdt: the piece table
            lcb = struct.unpack_from("<I", clx, i + 1)[0]
            plc = clx[i + 5:i + 5 + lcb]
            n = (len(plc) - 4) // 12
            if n <= 0:
                return None
            cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
            out = []
            for k in range(n):
                fcc = struct.unpack_from("<I", plc, (n + 1) * 4 + k * 8 + 2)[0]
                out.append((cps[k], cps[k + 1], fcc & 0x3FFFFFFF, bool(fcc & 0x40000000)))
            return out
        else:
            return None
    return None


# -- Excel 97-2003 ---------------------------------------------------------------------------------

def _records(stream: bytes):
    i = 0
    while i + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, i)
        yield kind, stream[i + 4:i + 4 + size]
        i += 4 + size


class _Segments:
    """SST data split over CONTINUE records: a string's characters may cross into the next
    record, whose first byte then says again whether they are 8- or 16-bit."""

    def __init__(self, parts: list[bytes]):
        self.parts, self.k, self.i = parts, 0, 0

    def read(self, n: int) -> bytes:
        out = b""
        while n > 0 and self.k < len(self.parts):
            chunk = self.parts[self.k][self.i:self.i + n]
            out += chunk
            n -= len(chunk)
            self.i += len(chunk)
            if self.i >= len(self.parts[self.k]):
                self.k, self.i = self.k + 1, 0
        return out

    def chars(self, count: int, wide: bool) -> str:
        out = []
        while count > 0 and self.k < len(self.parts):
            left = len(self.parts[self.k]) - self.i
            take = min(count, left // (2 if wide else 1))
            if take <= 0:  # the characters go on in the next CONTINUE record
                self.k, self.i = self.k + 1, 0
                if self.k < len(self.parts):
                    wide = bool(self.read(1)[0] & 1)
                continue
            raw = self.read(take * (2 if wide else 1))
            out.append(raw.decode("utf-16-le" if wide else "latin-1", "replace"))
            count -= take
        return "".join(out)


def _sst(parts: list[bytes]) -> list[str]:
    seg = _Segments(parts)
    head = seg.read(8)
    if len(head) < 8:
        return []
    unique = struct.unpack("<I", head[4:8])[0]
    out = []
    for _ in range(min(unique, 1_000_000)):
        raw = seg.read(3)
        if len(raw) < 3:
            break
        count, flags = struct.unpack("<HB", raw)
        runs = struct.unpack("<H", seg.read(2))[0] if flags & 0x08 else 0
        ext = struct.unpack("<I", seg.read(4))[0] if flags & 0x04 else 0
        out.append(seg.chars(count, bool(flags & 0x01)))
        seg.read(4 * runs + ext)
    return out


def _excel(stream: bytes, content: Content) -> None:
    sheets: list[tuple[str, int]] = []  # (name, hidden state)
    strings: list[str] = []
    cells: list[dict[tuple[int, int], str]] = []
    sst_parts: list[bytes] | None = None
    current = -1
    for kind, body in _records(stream):
        if sst_parts is not None and kind != 0x003C:
            strings = _sst(sst_parts)
            sst_parts = None
        if kind == 0x002F:  # FILEPASS: encrypted
            content.encrypted = True
            return
        if kind == 0x0085 and len(body) >= 8:  # BOUNDSHEET8
            state, name_len, wide = body[4], body[6], body[7] & 1
            raw = body[8:8 + name_len * (2 if wide else 1)]
            sheets.append((raw.decode("utf-16-le" if wide else "latin-1", "replace"), state))
        elif kind == 0x00FC:
            sst_parts = [body]
        elif kind == 0x003C and sst_parts is not None:
            sst_parts.append(body)
        elif kind == 0x0809 and len(body) >= 4:  # BOF
            if struct.unpack_from("<H", body, 2)[0] == 0x0010:  # a worksheet
                current += 1
                cells.append({})
        elif current >= 0 and kind == 0x00FD and len(body) >= 10:  # LABELSST
            row, col, _, isst = struct.unpack_from("<HHHI", body)
            cells[current][(row, col)] = strings[isst] if isst < len(strings) else ""
        elif current >= 0 and kind == 0x0203 and len(body) >= 14:  # NUMBER
            row, col, _, value = struct.unpack_from("<HHHd", body)
            cells[current][(row, col)] = f"{value:g}"
        elif current >= 0 and kind == 0x027E and len(body) >= 10:  # RK
            row, col, _, rk = struct.unpack_from("<HHHI", body)
            cells[current][(row, col)] = f"{_rk(rk):g}"
        elif current >= 0 and kind == 0x0204 and len(body) >= 9:  # LABEL (old files)
            row, col, _, count = struct.unpack_from("<HHHH", body)
            wide = body[8] & 1
            raw = body[9:9 + count * (2 if wide else 1)]
            cells[current][(row, col)] = raw.decode("utf-16-le" if wide else "latin-1", "replace")
    for k, sheet in enumerate(cells):
        if not sheet:
            continue
        rows_n = max(r for r, _ in sheet) + 1
        cols_n = min(max(c for _, c in sheet) + 1, tables.MAX_COLUMNS)
        rows = [[sheet.get((r, c), "") for c in range(cols_n)]
                for r in range(min(rows_n, tables.MAX_ROWS))]
        content.pages.append("\n".join("\t".join(r).rstrip("\t") for r in rows).strip())
        name, state = sheets[k] if k < len(sheets) else (f"sheet{k + 1}", 0)
        label = name + {1: " (hidden)", 2: " (veryHidden)"}.get(state, "")
        clipped = tables.clip(rows)
        if len(clipped) >= tables.MIN_ROWS:
            content.tables.append((f"sheet={label}", clipped))
    if not content.pages:
        content.pages = [""]


def _rk(rk: int) -> float:
    if rk & 0x02:
        value = float(rk >> 2 if not rk & 0x80000000 else (rk >> 2) - (1 << 30))
    else:
        value = struct.unpack("<d", struct.pack("<Q", (rk & 0xFFFFFFFC) << 32))[0]
    return value / 100 if rk & 0x01 else value
