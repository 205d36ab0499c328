"""Tesseract OCR, when it is installed: the text of a grayscale picture."""
from __future__ import annotations

import os
import shutil
import subprocess


def tesseract() -> str | None:
    return shutil.which("tesseract")


def ocr_pgm(image: bytes, timeout: float) -> str | None:
    """The text of a binary PGM (P5) image; None if Tesseract is missing, fails or is late."""
    exe = tesseract()
    if exe is None or timeout <= 0:
        return None
    try:
        done = subprocess.run([exe, "stdin", "stdout", "-l", "eng", "--psm", "3"],
                              input=image, capture_output=True, timeout=timeout,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace")
