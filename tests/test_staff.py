"""The staff register (issue 11, "staff are not patients"): `mailscreen staff import` with
names, roles, registration numbers, work phones and reference headshots, then real scans:
a registered practitioner named with a treatment, their work mobile and their own headshot
are not patient data, while an unregistered person, another phone and another face still are.

The faces are scikit-image's bundled sample photographs (no download): `astronaut` is a
portrait, in which OpenCV finds one face; a mirrored copy is a different picture."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from documents import mail
from PIL import Image, ImageOps
from typer.testing import CliRunner

from cli.main import app
from scanners import photos

skdata = pytest.importorskip("skimage.data")
MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))


def jpeg(im: Image.Image, size: int | None = None, quality: int = 90) -> bytes:
    if size:
        im = im.resize((size, size))
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=quality)
    return out.getvalue()


@pytest.fixture(scope="module")
def portrait() -> Image.Image:
    return Image.fromarray(skdata.astronaut()).convert("RGB")


@pytest.fixture
def registered(tmp_path, portrait):
    """A config whose database holds a staff register of two, one with a headshot."""
    config = tmp_path / "mailscreen.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    (tmp_path / "headshots").mkdir()
    (tmp_path / "headshots" / "lena.jpg").write_bytes(jpeg(portrait))
    staff = tmp_path / "staff.csv"
    staff.write_text("Name,Role,NMC PIN,Work mobile,Photo\n"
                     "Lena Marsh,Aesthetic Nurse Prescriber,09A1234E,07700 900471,headshots/lena.jpg\n"
                     "Omar Feld,Receptionist,,07700 900472,\n")
    done = CliRunner().invoke(app, ["staff", "import", str(staff), "--reason", "setup",
                                    "-c", str(config)])
    assert done.exit_code == 0 and "2 staff registered" in done.output, done.output
    return config


def scan(config: Path, tmp_path: Path, raw: bytes) -> dict:
    f = tmp_path / "out.eml"
    f.write_bytes(raw)
    proc = subprocess.run([MAILSCREEN, "scan", "--json", "--config", str(config), str(f)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[0])


def rules(result: dict) -> dict[str, str]:
    order = ["low", "medium", "high"]
    out: dict[str, str] = {}
    for f in result["findings"]:
        if order.index(f["severity"]) >= order.index(out.get(f["rule"], "low")):
            out[f["rule"]] = f["severity"]
    return out


def test_registered_staff_named_with_a_treatment_and_their_mobiles_are_not_patients(
        registered, tmp_path):
    body = ("Hi,\n\nCover for Saturday: Lena Marsh runs the lip filler clinic, Omar Feld is on "
            "reception. Lena's work mobile is 07700 900471.\n")
    result = scan(registered, tmp_path, mail("Saturday cover", body,
                                             to="bookings@locumagency.example"))
    assert result["action"] == "pass", result["findings"]
    assert "jigsaw_identification" not in rules(result)
    # someone who is not on the register, with another phone, is still a patient's detail
    other = body.replace("Lena Marsh", "Carys Bowen").replace("900471", "900999")
    found = rules(scan(registered, tmp_path, mail("Saturday", other,
                                                  to="bookings@locumagency.example")))
    assert found["jigsaw_identification"] == "high"


def test_a_practitioners_own_headshot_resized_is_not_a_patient_photo_but_another_face_is(
        registered, tmp_path, portrait):
    smaller = ("headshot.jpg", "image/jpeg", jpeg(portrait, size=300, quality=70))
    result = scan(registered, tmp_path, mail("Website bio", "Lena's headshot for the team page.",
                                             [smaller], to="studio@webagency.example"))
    assert [f["evidence"] for f in result["findings"] if f["rule"] == "patient_photo"] == \
        ["staff headshot (staff register)"]
    assert result["action"] == "pass"
    mirrored = ("after.jpg", "image/jpeg", jpeg(ImageOps.mirror(portrait)))
    result = scan(registered, tmp_path, mail("Results", "Before and after lip filler.",
                                             [mirrored], to="studio@webagency.example"))
    assert rules(result)["patient_photo"] == "high"
    assert result["action"] == "hold"


def test_difference_hash_survives_resizing_and_tells_pictures_apart(portrait):
    a = photos.dhash(jpeg(portrait))
    assert photos.same_picture(a, photos.dhash(jpeg(portrait, size=200, quality=50)))
    assert not photos.same_picture(a, photos.dhash(jpeg(ImageOps.mirror(portrait))))
    assert not photos.same_picture(a, photos.dhash(jpeg(Image.fromarray(skdata.coffee()))))
    assert photos.dhash(b"not a picture") is None


def test_staff_cli_lists_refuses_a_missing_photo_and_clears_with_an_audit_trail(
        registered, tmp_path):
    runner = CliRunner()
    listed = runner.invoke(app, ["staff", "list", "--json", "-c", str(registered)])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["name"], r["registration"], r["photo"]) for r in rows] == [
        ("Lena Marsh", "09A1234E", True), ("Omar Feld", "", False)]
    assert rows[0]["phone"] == "+447700900471"
    bad = tmp_path / "bad.csv"
    bad.write_text("name,photo\nJo Bloggs,missing.jpg\n")
    refused = runner.invoke(app, ["staff", "import", str(bad), "-c", str(registered)])
    assert refused.exit_code == 1 and "missing.jpg" in refused.output
    cleared = runner.invoke(app, ["staff", "clear", "--reason", "left", "-c", str(registered)])
    assert cleared.exit_code == 0 and "2 removed" in cleared.output
    from gateway.database import audit
    from gateway.database.store import Store
    events = audit.events(Store(f"sqlite:///{tmp_path / 'data' / 'mailscreen.db'}"))
    assert [e.action for e in events] == ["staff_import", "staff_clear"]
