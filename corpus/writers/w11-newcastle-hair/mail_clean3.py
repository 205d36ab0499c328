MESSAGES = [
{
    "id": "clean-induction-handout-quotes",
    "from": "Lorraine Tait <lorraine@jesmondhair.example>",
    "to": ["Jodie Scott <jodie@jesmondhair.example>"],
    "cc": ["Alasdair Pennington <alasdair.pennington@jesmondhair.example>"],
    "subject": "Your induction - compliance slides for Monday",
    "date": "2026-11-20 16:05",
    "body": [
        "Hiya Jodie, and welcome aboard pet!",
        "Before Monday, have a flick through the attached slides, it's the compliance bit of your induction and Mr P will go through it with you.",
        "A few real examples from the last year so you know what we mean:",
        ("quoted_report", "An agency once sent us a caption saying \"Fin for a fiver, first month on us\", and we binned it because finasteride can't be advertised to the public."),
        ("quoted_report", "A patient rang reception and said \"I'll burn your bloody clinic down\", and the right thing was to end the call, write it down word for word and tell me."),
        ("quoted_report", "Someone on Facebook wrote that our surgeon is \"a drunk who should be struck off\"; we never argue back online, we report it and let the platform deal with it."),
        "Any questions, my door's always open (well, unless I'm on the phone to the bank).",
        "Lorraine x",
    ],
    "attachments": [
        {"kind": "pptx", "name": "JHRC_induction_compliance.pptx", "slides": [
            {"title": "What we never write", "body": [
                ("quoted_report", "\"Guaranteed results\" or \"permanent\" - never, nothing in medicine is guaranteed."),
                ("quoted_report", "\"Kenalog jabs, £99 this week\" - never; steroid injections are prescription-only."),
                ("quoted_report", "\"Prom hair for the sixth-form lads\" - never; we do not market to under-18s."),
             ], "notes": ["Ask Jodie to suggest a compliant alternative for each."]},
            {"title": "When someone is abusive", "body": [
                ("quoted_report", "If a caller says something like \"I know where you live\", end the call and log it."),
                "Forward abusive emails to Lorraine; do not reply yourself.",
             ], "notes": []},
            {"title": "Patient data", "body": ["Patient details only go to nhs.net addresses or to the patient themselves.", "Never put patients' names in the subject line to anyone outside the clinic."], "notes": []},
         ]},
    ],
    "accept": ["pass", "tag"], "categories": [],
    "note": "Internal induction material quoting banned wording and abuse in order to teach about it.",
},
]
