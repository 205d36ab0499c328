"""A fixed set of distinct messages for the scanning benches, generated from a seed (nothing
checked in): `python bench/mailset.py OUTDIR [--count N]` writes them as .eml files.

Three sets, each message different from the others, and almost every sentence too (each
carries a name, a day, a number or a treatment drawn for it): bulk repetition never fires and
no cache is warmer than it would be on real mail.

  text3k    ~3 KB of plain-text clinic mail: an appointment, aftercare, a price question,
            a greeting and a signature
  text20k   ~20 KB of English text about running a clinic, with identifiers sprinkled in
            as they are in real mail: NHS numbers from the 999 range that the NHS keeps for
            testing, Ofcom's drama phone numbers (07700 900xxx, 020 7946 0xxx, 0161 496 0xxx),
            addresses of .example domains
  mixed     a short body with a small attachment: a one-page PDF (price list, aftercare
            sheet), a PNG or a JPEG picture (no text in it)

All names, numbers and addresses are fictitious. The same seed gives the same bytes.
"""
from __future__ import annotations

import argparse
import io
import random
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

SETS = ("text3k", "text20k", "mixed")

FIRST = ("Amelia", "Olivia", "Isla", "Ava", "Mia", "Sophie", "Grace", "Ruby", "Emily", "Lily",
         "Freya", "Ella", "Chloe", "Harriet", "Jack", "Oliver", "Harry", "George", "Noah",
         "Leo", "Arthur", "Oscar", "Thomas", "Priya", "Aisha", "Zara", "Niamh", "Siobhan")
LAST = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas",
        "Roberts", "Walker", "Wright", "Hughes", "Green", "Hall", "Wood", "Clarke", "Patel",
        "Khan", "Murphy", "Campbell", "Davies", "Morgan", "Price", "Lewis", "Griffiths")
CLINICS = ("Glow Clinic", "Riverside Aesthetics", "The Skin Studio", "Harbour Dermatology",
           "Willow Aesthetics", "Northgate Skin Clinic", "Meadow House Clinic")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
TREATMENTS = ("a chemical peel", "microneedling", "a HydraFacial", "laser hair removal",
              "a skin consultation", "LED therapy", "dermaplaning", "a review appointment",
              "a patch test", "IPL photofacial", "a skincare plan review")

# sentences of ordinary clinic mail; {name}, {day}, {time}, {treatment}, {price}, {clinic}
CLINIC_SENTENCES = (
    "Thank you for booking {treatment} with {name} on {day} at {time}.",
    "Please arrive {num} minutes early so that {name} can go through your consultation form.",
    "If you need to change the time, just reply to this email or give {name} at reception a ring.",
    "Avoid direct sunlight for {num} days and wear a broad spectrum sunscreen every morning.",
    "Some redness is normal after {treatment} and usually settles within {num} hours.",
    "Keep the area clean and do not use exfoliating products until {day} at the earliest.",
    "The price for {treatment} is {price}, and a course of three is discounted by ten percent.",
    "We have {num} appointments left on {day} if that suits you better.",
    "{name} will talk you through what to expect from {treatment} before anything is started.",
    "We can also send the aftercare leaflet for {treatment} by post if you would prefer it.",
    "The car park behind {clinic} is free for patients for the first {num} hours.",
    "Drink plenty of water and avoid make-up for {num} hours after {treatment}.",
    "Let {name} know if you have started any new medication since your visit on {day}.",
    "Our opening hours over the bank holiday are ten until {num} on {day}.",
    "A deposit of {price} secures the booking for {treatment} and comes off the final bill.",
    "If anything worries you after {treatment}, please call {name} and we will see you.",
    "We look forward to seeing you again at {clinic}, {name}.",
    "The new skincare range has arrived and {name} is happy to talk you through it on {day}.",
    "Payment of {price} can be made by card at reception, or by bank transfer before {day}.",
    "Please bring a list of the {num} or so products you use on your skin at the moment.",
)
# longer, more varied sentences for the 20 KB text: running a clinic, staff, suppliers
ESSAY_SENTENCES = (
    "The team met on {day} at {time} to go over the rota for the summer and the training plan for the "
    "new starters, who will shadow {name} for their first {num} days.",
    "Our supplier has confirmed that the order of cleansers and sunscreen will be delivered "
    "on {day}, and the invoice for {price} can be paid within {num} days as usual.",
    "We reviewed the complaints log for the quarter and found that most concerns were about "
    "waiting times rather than {treatment}, so {name} will now text patients if we run late.",
    "The fire safety check is booked for {day} morning, and the alarm will sound twice "
    "during the test, so please warn {name} and anyone in the waiting room.",
    "Several patients have asked about evening appointments, and we are looking at opening "
    "until eight on {day} from next month if {name} can staff it.",
    "The consent forms have been updated to the new template, and every practitioner should "
    "use them for {treatment} from {day} onwards; the old forms go in the confidential waste.",
    "The accountant needs the receipts for the last quarter by {day}, "
    "including {name}'s mileage claims and the {price} invoice for the new treatment couch.",
    "Remember that the autoclave logbook must be filled in after every cycle, and the "
    "weekly test strips kept in the folder beside it, as {name} showed us on {day}.",
    "The clinic newsletter will go out on {day} with the seasonal skincare tips, the new "
    "opening hours and a short piece by {name} about the team's {num} mile walk.",
    "We have had good feedback about the new waiting room chairs and the plants, and "
    "{name} has agreed to water them on {day} visits.",
    "If you are unwell, please tell {name} before seven so that your patients "
    "can be moved to another practitioner or rebooked for {day}.",
    "The training day on skin types and {treatment} was well attended, and {name}'s "
    "slides are on the shared drive for anyone who could not make it.",
    "The landlord has agreed to repaint the hallway in the spring, and the work will be "
    "done on a {day} when {clinic} is closed.",
    "Stock levels of gloves and couch roll are low again, so please tell {name} when you "
    "open the last box rather than when it runs out.",
    "Our insurance renewal is due on {day} and the broker has asked {name} for the list "
    "of treatments each practitioner offers and their qualifications.",
    "A reminder from {name} that personal phones should stay in the staff room during "
    "clinics, apart from the on-call phone which stays at reception.",
)


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        day=f"{rng.choice(DAYS)} {rng.randint(1, 28)} {rng.choice(MONTHS)}",
        time=f"{rng.randint(9, 17)}:{rng.choice(('00', '15', '30', '45'))}",
        treatment=rng.choice(TREATMENTS), price=f"£{rng.randint(4, 40) * 5}",
        clinic=rng.choice(CLINICS), num=rng.randint(2, 48))


def nhs_number(rng: random.Random) -> str:
    """A number of the 999 range (kept by the NHS for testing) with a valid check digit."""
    while True:
        digits = [9, 9, 9] + [rng.randint(0, 9) for _ in range(6)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            d = "".join(map(str, digits + [check]))
            return f"{d[:3]} {d[3:6]} {d[6:]}"


def drama_phone(rng: random.Random) -> str:
    """A number of Ofcom's ranges for drama (never allocated)."""
    return rng.choice((f"07700 900{rng.randint(0, 999):03d}",
                       f"020 7946 0{rng.randint(0, 999):03d}",
                       f"0161 496 0{rng.randint(0, 999):03d}"))


def _address(rng: random.Random, first: str, last: str) -> str:
    return f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{rng.choice(('example.com', 'example.org', 'example.net'))}"


def _identifier(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return rng.choice((
        f"{first} {last}'s NHS number is {nhs_number(rng)} if the surgery asks for it.",
        f"You can reach {first} on {drama_phone(rng)} after two.",
        f"Please copy {_address(rng, first, last)} into the reply.",
        f"The supplier's order line is {drama_phone(rng)}.",
        f"Reference NHS {nhs_number(rng)} on the referral form.",
    ))


def _paragraphs(rng: random.Random, size: int, bank, identifiers: float) -> str:
    paras, n = [], 0
    while n < size:
        sentences = [_fill(rng, rng.choice(bank)) for _ in range(rng.randint(2, 5))]
        if rng.random() < identifiers:
            sentences.insert(rng.randint(0, len(sentences)), _identifier(rng))
        paras.append(" ".join(sentences))
        n += len(paras[-1]) + 2
    return "\n\n".join(paras)


def _envelope(rng: random.Random, kind: str, i: int) -> EmailMessage:
    clinic = rng.choice(CLINICS)
    domain = clinic.lower().replace("the ", "").replace(" ", "") + ".example"
    first, last = rng.choice(FIRST), rng.choice(LAST)
    msg = EmailMessage()
    msg["From"] = f"{clinic} <reception@{domain}>"
    msg["To"] = f"{first} {last} <{_address(rng, first, last)}>"
    msg["Subject"] = rng.choice(("Your appointment", "Following up", "Aftercare",
                                 "Clinic update", "Price list", "Next week"))
    msg["Date"] = format_datetime(datetime(2026, 3, 1, 9, tzinfo=timezone.utc))
    msg["Message-ID"] = f"<{kind}-{i}@{domain}>"
    return msg


def _pdf(rng: random.Random) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 3, 1, tzinfo=timezone.utc))
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, _paragraphs(rng, 1200, CLINIC_SENTENCES, 0).replace("£", "GBP "))
    return bytes(pdf.output())


def _picture(rng: random.Random, fmt: str) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 240), tuple(rng.randint(150, 255) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rng.randint(0, 300), rng.randint(0, 220)
        draw.ellipse((x, y, x + rng.randint(10, 60), y + rng.randint(10, 60)),
                     fill=tuple(rng.randint(0, 255) for _ in range(3)))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def message(kind: str, i: int, seed: int = 25) -> bytes:
    """The i-th message of a set (distinct for every i)."""
    rng = random.Random(f"{seed}:{kind}:{i}")
    msg = _envelope(rng, kind, i)
    greeting = f"Dear {rng.choice(FIRST)},\n\n"
    signature = f"\n\nKind regards,\n{rng.choice(FIRST)} {rng.choice(LAST)}\n{rng.choice(CLINICS)}\n"
    if kind == "text3k":
        msg.set_content(greeting + _paragraphs(rng, 2800, CLINIC_SENTENCES, 0.2) + signature)
    elif kind == "text20k":
        bank = CLINIC_SENTENCES + ESSAY_SENTENCES
        msg.set_content(greeting + _paragraphs(rng, 19800, bank, 0.35) + signature)
    elif kind == "mixed":
        msg.set_content(greeting + _paragraphs(rng, 500, CLINIC_SENTENCES, 0) + signature)
        what = ("pdf", "png", "jpeg")[i % 3]
        if what == "pdf":
            msg.add_attachment(_pdf(rng), maintype="application", subtype="pdf",
                               filename=f"price-list-{i}.pdf")
        else:
            msg.add_attachment(_picture(rng, what.upper()), maintype="image", subtype=what,
                               filename=f"clinic-{i}.{'jpg' if what == 'jpeg' else what}")
    else:
        raise ValueError(f"unknown set {kind!r} (known: {', '.join(SETS)})")
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def write(out: Path, kind: str, count: int, seed: int = 25) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = out / f"{kind}-{i:04d}.eml"
        path.write_bytes(message(kind, i, seed))
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=50, help="messages per set")
    ap.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    args = ap.parse_args()
    for kind in args.sets:
        paths = write(args.out / kind, kind, args.count)
        size = sum(p.stat().st_size for p in paths) / len(paths)
        print(f"{kind}: {len(paths)} messages, {size / 1000:.1f} KB on average")


if __name__ == "__main__":
    main()
