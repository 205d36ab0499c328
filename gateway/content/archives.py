"""Archive members, unpacked within the limits of one attachment's Budget: zip, tar and
single-stream gzip/bzip2/xz. Sizes, counts and ratios are checked from the listing before
anything is inflated, and again while inflating (a listing may lie)."""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import tarfile
import zipfile
import zlib
from pathlib import PurePosixPath

from gateway.content.result import Budget


def _safe_member_name(name: str) -> str:
    name = re.sub(r"[\x00-\x1f\x7f]+", " ", name).strip()
    return "/".join(p for p in name.split("/") if p not in ("", ".", ".."))[:160] or "member"


def _zip_members(data: bytes, limits, budget: Budget):
    """(members, over_limit, error). Sizes and ratios are checked from the directory before
    anything is inflated, and again while inflating (a directory may lie)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        return [], "", f"zip archive could not be read: {type(e).__name__}"
    over = _check_listing([(i.filename, i.file_size, i.compress_size) for i in infos],
                          limits, budget)
    if over:
        return [], over, ""
    if any(i.flag_bits & 0x1 for i in infos):
        return [], "", "encrypted"
    members = []
    for info in infos:
        try:
            with zf.open(info) as f:
                body = f.read(min(info.file_size, budget.size) + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as e:
            return [], "", f"zip member {_safe_member_name(info.filename)} could not be read: " \
                           f"{type(e).__name__}"
        if len(body) > info.file_size or len(body) > budget.size:
            return [], "zip member larger than its directory says (a zip bomb)", ""
        budget.size -= len(body)
        members.append((_safe_member_name(info.filename), body))
    return members, "", ""


def open_listed(data: bytes, limits, budget: Budget):
    """(zipfile, its file entries, over_limit) of a zip that is a document (office, EPUB):
    the listing is checked against the budget before anything is inflated."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = [i for i in zf.infolist() if not i.is_dir()]
    return zf, infos, _check_listing([(i.filename, i.file_size, i.compress_size)
                                      for i in infos], limits, budget)


def read_member(zf, info, cap: int) -> bytes:
    """One member, never more than its listed size or `cap` bytes (a listing may lie)."""
    with zf.open(info) as f:
        body = f.read(min(info.file_size, cap) + 1)
    if len(body) > min(info.file_size, cap):
        raise ValueError(f"{_safe_member_name(info.filename)} is larger than its listing "
                         f"or over {cap:,} bytes")
    return body


def _check_listing(entries, limits, budget: Budget) -> str:
    """Why this archive listing is over a limit ('' if it is not); charges the budget."""
    if len(entries) > budget.files:
        return f"archive holds more than {limits.archive_max_files} files in all"
    total = sum(size for _, size, _ in entries)
    if total > budget.size:
        return f"archive unpacks to {total:,} bytes, over {limits.archive_max_size:,} in all"
    for name, size, packed in entries:
        if size > 1024 * 1024 and size / max(packed, 1) > limits.archive_max_ratio:
            return (f"{_safe_member_name(name)} compressed {size / max(packed, 1):,.0f} to 1, "
                    f"over {limits.archive_max_ratio:g} (a zip bomb)")
    budget.files -= len(entries)
    return ""


def _tar_members(data: bytes, limits, budget: Budget):
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
        infos = [m for m in tf.getmembers() if m.isfile()]
    except (tarfile.TarError, EOFError, ValueError) as e:
        return [], "", f"tar archive could not be read: {type(e).__name__}"
    over = _check_listing([(m.name, m.size, m.size) for m in infos], limits, budget)
    if over:
        return [], over, ""
    members = []
    for m in infos:
        f = tf.extractfile(m)
        body = f.read(m.size) if f else b""
        budget.size -= len(body)
        members.append((_safe_member_name(m.name), body))
    return members, "", ""


def _stream_member(name: str, data: bytes, decompress, limits, budget: Budget):
    """A gzip/bzip2/xz file: inflate it in bounded steps. One file may hold several streams
    one after another (`cat a.gz b.gz`, pigz, pbzip2); gzip(1) unpacks them all into one
    file, and so does this, or a part after the first would go unread."""
    cap = budget.size
    opener = {gzip.decompress: lambda f: gzip.GzipFile(fileobj=f),
              bz2.decompress: bz2.BZ2File}.get(decompress, lzma.LZMAFile)
    if opener is lzma.LZMAFile:
        data = data.rstrip(b"\0")  # stream padding (an xz stream never ends in a zero)
    parts, size = [], 0
    try:
        with opener(io.BytesIO(data)) as stream:  # reads its input a buffer at a time
            while size <= cap and (part := stream.read(min(1 << 16, cap + 1 - size))):
                parts.append(part)
                size += len(part)
    except EOFError:
        pass  # cut short: what came before the cut is read, as gzip -dc shows it
    except (OSError, zlib.error, lzma.LZMAError, ValueError) as e:
        return [], "", f"compressed file could not be read: {type(e).__name__}"
    body = b"".join(parts)
    if len(body) > cap:
        return [], f"compressed file unpacks to over {limits.archive_max_size:,} bytes", ""
    if len(body) > 1024 * 1024 and len(body) / max(len(data), 1) > limits.archive_max_ratio:
        return [], f"compressed {len(body) / len(data):,.0f} to 1, over " \
                   f"{limits.archive_max_ratio:g} (a compression bomb)", ""
    if budget.files < 1:
        return [], f"archive holds more than {limits.archive_max_files} files in all", ""
    budget.size -= len(body)
    budget.files -= 1
    inner = PurePosixPath(name.rsplit("/", 1)[-1])
    return [(inner.stem if inner.suffix else inner.name + ".out", body)], "", ""
