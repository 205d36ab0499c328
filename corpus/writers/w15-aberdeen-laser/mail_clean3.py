MESSAGES = [
{
    "id": "clean-eml-forward-his-scam-warning",
    "from": "Graeme Taggart <graeme@northbeamskin.example>",
    "to": ["Kasia Nowak <kasia@northbeamskin.example>", "Callum Reid <callum@northbeamskin.example>", "Shona Buchan <shona@northbeamskin.example>", "Dr Fiona Mair <fiona.mair@northbeamskin.example>"],
    "subject": "FW: rival's advert reported to ASA - for your training file",
    "date": "2026-12-03 07:30",
    "body": [
        "All,",
        "Attached is the complaint I sent to the ASA about the Union Street place. Read it. This is what we don't do.",
        "1. Note the wording I quote.\n2. Note it got them a formal ruling.\n3. If I ever see anything like it from us, it's a disciplinary.",
        "G.",
    ],
    "attachments": [
        {"kind": "eml", "name": "ASA complaint - Radiance Laser.eml",
         "message": {"from": "Graeme Taggart <graeme@northbeamskin.example>", "to": ["Complaints <complaints@asa-uk.example>"],
                     "subject": "Complaint: Instagram advert by Radiance Laser, Union Street, Aberdeen", "date": "2026-11-18 21:10",
                     "body": [
                        "Dear ASA,",
                        "I wish to complain about an Instagram advert posted on 16 November by Radiance Laser, Aberdeen.",
                        ("quoted_report", "The post says \"Botox Black Friday - 2 areas £99, only 10 slots!\"."),
                        ("quoted_report", "It also claims \"permanent results with zero risk\"."),
                        ("quoted_report", "A second post is aimed at pupils: \"Sixth year? Prom glow-up deal with your school ID\"."),
                        "I believe these breach CAP Code rules 12.12 and 5. Screenshots attached.",
                        "Graeme Taggart, Director, Northbeam Skin & Laser Ltd",
                     ]}},
    ],
    "accept": ["pass", "tag"],
    "categories": [],
    "note": "Internal training mail forwarding an ASA complaint that quotes a rival's banned wording to report it.",
},
]
