MESSAGES = [
    {
        "id": "cr-subscriber-journal-article-to-agency",
        "from": "Freya Lindqvist <freya.lindqvist@aurelleclinics.example>",
        "to": ["Saskia Bell <saskia@kitetallow.example>", "Tom Reyes <tom@kitetallow.example>"],
        "subject": "source for the 'skin boosters explained' long read",
        "date": "2026-03-24 10:48",
        "body": [
            "hiya,",
            "full paper attached for the skin boosters long read, it's the best review out there.",
            ("licence_restriction", "it's off Bernie's Journal of Cosmetic Practice subscription so technically it's for her personal use only, just don't stick it on the shared drive 🙊"),
            "pull whatever stats you want from it, the tables on p4-5 are gold",
            "f x",
        ],
        "attachments": [
            {
                "kind": "pdf",
                "name": "JCP_2026_15_1_Hart_skin_boosters_review.pdf",
                "metadata": {"title": "Injectable skin boosters: a systematic review", "author": "Hart M; Osei P", "subject": "Journal of Cosmetic Practice 15(1)", "keywords": "skin quality, hyaluronic acid"},
                "pages": [
                    [
                        "Journal of Cosmetic Practice. Volume 15, Issue 1, 2026, pp. 14-29.",
                        "Injectable skin boosters: a systematic review of efficacy and safety.",
                        ("licence_restriction", "Copyright 2026 Pellham Press Ltd. All rights reserved. No part of this article may be reproduced or distributed without the permission of the publisher."),
                    ],
                    [
                        ("licence_restriction", "Downloaded by subscriber B. Quayle (account 00418822) on 20/03/2026. For personal use only."),
                        "Table 2. Change in skin hydration at 12 weeks across 14 trials.",
                    ],
                ],
            }
        ],
        "accept": ["hold"],
        "categories": ["copyright"],
        "note": "Subscriber-only, all-rights-reserved journal article passed to an external agency.",
    },
    {
        "id": "cr-delegate-manual-licensed-one-person-forwarded",
        "from": "Dionne Ashworth <dionne.ashworth@aurelleclinics.example>",
        "to": ["All Clinic Managers <clinicmanagers@aurelleclinics.example>", "Sofia Mendes <sofia@mendestraining.example>"],
        "subject": "FW: Harland Academy - Advanced Toxin Complications manual",
        "date": "2026-05-13 12:34",
        "body": [
            "All,",
            "Claudia went on the Harland advanced complications day and kindly sent me her manual. It's brilliant, so sharing with everyone so your nurses can read it before Bernie's audit. Sofia, feel free to use bits in your sessions.",
            ("licence_restriction", "It says on the front it's licensed to Claudia only, but as long as we don't post it anywhere public I can't see the harm."),
            "Dionne",
        ],
        "attachments": [
            {
                "kind": "pdf",
                "name": "Harland_Advanced_Toxin_Complications_Manual.pdf",
                "metadata": {"title": "Advanced Toxin Complications - Delegate Manual", "author": "Harland Aesthetics Academy", "subject": "Delegate manual", "keywords": "licensed copy"},
                "pages": [
                    [
                        "Harland Aesthetics Academy. Advanced Toxin Complications: Delegate Manual, 2026 edition.",
                        ("licence_restriction", "This manual is licensed to the named delegate only: Claudia Marchetti, course date 02/05/2026."),
                        ("licence_restriction", "It may not be copied, shared or distributed in any form. All rights reserved."),
                    ],
                    [
                        "Chapter 4: Eyelid ptosis - recognition and management.",
                        "Chapter 5: Diplopia and when to refer.",
                    ],
                ],
            }
        ],
        "accept": ["hold"],
        "categories": ["copyright"],
        "note": "Paid course manual licensed to one delegate forwarded to all managers and an external trainer.",
    },
    {
        "id": "cr-shared-login-market-intelligence-portal",
        "from": "Oliver Stanhope <oliver.stanhope@aurelleclinics.example>",
        "to": ["Saskia Bell <saskia@kitetallow.example>"],
        "subject": "RE: data for the media pack",
        "date": "2026-02-19 18:06",
        "body": [
            "Saskia,",
            "Rather than me screenshotting charts, just go in and pull what you need from TrendScope yourself.",
            ("licence_restriction", "Our single-seat login is oliver.stanhope@aurelleclinics.example, password Aurelle!Trend26 - please don't change anything in the account settings."),
            ("licence_restriction", "Strictly speaking the licence is one named user, so keep it to you and Tom."),
            "The 'UK Non-Surgical Aesthetics 2026' report is the one, chapters 3 and 6.",
            "O",
            "> On 19 Feb 2026, at 15:30, Saskia Bell <saskia@kitetallow.example> wrote:\n> Could we get some market size numbers for the media pack? Ideally from a named source.",
        ],
        "accept": ["hold"],
        "categories": ["copyright"],
        "note": "Shared login to a paid single-user research portal given to an agency.",
    },
    {
        "id": "cr-licensed-market-report-to-prospective-franchisee",
        "from": "Anjali Mehta <anjali.mehta@aurelleclinics.example>",
        "to": ["Darren Whitlock <darren.whitlock@whitlockholdings.example>"],
        "cc": ["Dionne Ashworth <dionne.ashworth@aurelleclinics.example>"],
        "subject": "Franchise opportunity - Guildford - market background",
        "date": "2026-06-04 16:22",
        "body": [
            "Dear Darren,",
            "Thank you for your time on Tuesday. To help with your business plan for Guildford, I attach the full TrendScope market report we use internally, which has the regional demand data your bank will want to see.",
            ("licence_restriction", "The report is licensed to us for internal use only, so please keep it within your advisers and don't forward it on."),
            "Our franchise prospectus and the illustrative P&L will follow from Dionne.",
            "Kind regards,\nAnjali Mehta ACA\nFinancial Controller, Aurelle Clinics Ltd",
        ],
        "attachments": [
            {
                "kind": "pdf",
                "name": "TrendScope_UK_NonSurgical_Aesthetics_2026.pdf",
                "metadata": {"title": "UK Non-Surgical Aesthetics 2026", "author": "TrendScope Research Ltd", "subject": "Market report", "keywords": "licensed to Aurelle Clinics Ltd"},
                "pages": [
                    [
                        "TrendScope Research: UK Non-Surgical Aesthetics 2026.",
                        ("licence_restriction", "Licensed to Aurelle Clinics Ltd for internal use only. Do not distribute outside the licensee organisation."),
                        "Executive summary: the UK market for non-surgical aesthetic treatments is estimated at GBP 3.6bn in 2026.",
                    ],
                    [
                        "Chapter 6: regional demand. South East demand index 128 (UK = 100).",
                        ("licence_restriction", "Copyright TrendScope Research Ltd 2026. All rights reserved."),
                    ],
                ],
            }
        ],
        "accept": ["hold"],
        "categories": ["copyright"],
        "note": "Paid market report licensed for internal use only sent to a third party.",
    },
    {
        "id": "cr-competitor-faq-copy-lifted-for-website",
        "from": "Jaden Okafor <jaden.okafor@aurelleclinics.example>",
        "to": ["Tom Reyes <tom@kitetallow.example>"],
        "subject": "FAQ copy for the new site",
        "date": "2026-04-09 17:44",
        "body": [
            "hey Tom,",
            "FAQ copy for the skin booster and peel pages attached, can your web guy drop it in tomorrow?",
            ("licence_restriction", "I've basically lifted Skinfluence's FAQ section word for word because theirs is way better than ours, just swapped the clinic name."),
            "Freya's off so no rush on sign off lol",
            "J",
        ],
        "attachments": [
            {
                "kind": "docx",
                "name": "FAQ_skinboosters_peels_v1.docx",
                "metadata": {"title": "FAQs", "author": "jokafor", "subject": "", "keywords": ""},
                "paragraphs": [
                    "How long do skin boosters take to work? Most Aurelle clients notice their skin looks more hydrated within two to four weeks.",
                    "Do chemical peels hurt? You may feel a warm, tingling sensation that fades within a few minutes.",
                    ("licence_restriction", "Copyright 2025 Skinfluence Clinics Ltd. All rights reserved."),
                ],
                "comments": [{"author": "jokafor", "text": "copied from skinfluence.example/faqs - need to delete the footer"}],
            }
        ],
        "accept": ["hold"],
        "categories": ["copyright"],
        "note": "Competitor's website copy lifted word for word into the clinic's own material and sent for publication.",
    },
    {
        "id": "cr-watermarked-stock-image-leaflet-to-printer",
        "from": "Freya Lindqvist <freya.lindqvist@aurelleclinics.example>",
        "to": ["Nat Holloway <nat@brightlineprint.example>"],
        "subject": "peels leaflet - print ready",
        "date": "2026-08-18 16:55",
        "body": [
            "Nat,",
            "final artwork for the peels leaflet, 10k run, A5 folded, same stock as last time.",
            ("licence_restriction", "the model shot is still the PixelHarbour preview comp because the licence is GBP 450 and Oliver won't sign it off, so can you just crop the watermark out in the bleed?"),
            "need them by the 28th for the autumn push",
            "f",
        ],
        "attachments": [
            {
                "kind": "image",
                "name": "peels_leaflet_front_print.jpg",
                "scene": "poster",
                "format": "jpeg",
                "text": ["AURELLE", "Glow, gently.", "Chemical peel courses from GBP 348", "Ages 18+"],
                "watermark": "PixelHarbour PREVIEW - not licensed for use",
                "exif": {"copyright": "PixelHarbour Ltd - comp image, licence required"},
            }
        ],
        "accept": ["hold"],
        "categories": ["copyright"],
        "note": "Stock image still carrying the agency's watermark sent to print without a licence.",
    },
    {
        "id": "cr-scanned-textbook-pages-to-practitioners",
        "from": "Gareth Pritchard <gareth.pritchard@aurelleclinics.example>",
        "to": ["Cardiff Pontcanna <cardiff.pontcanna@aurelleclinics.example>", "Swansea Marina <swansea@aurelleclinics.example>", "Nia Beynon <niabeynon.nurse@gmail.example>"],
        "subject": "Anatomeg - pages from the Marlow book for study group",
        "date": "2026-10-12 20:15",
        "body": [
            "Noswaith dda all,",
            "For Thursday's study group, I've scanned chapter 7 (temple and tear trough anatomy) from the Marlow anatomy book so you don't all have to buy it. Nia, I've added you as you're covering Swansea from next month.",
            ("licence_restriction", "I know the front says no copying, but it's £95 a copy and it's only for us."),
            "Diolch,\nGareth",
        ],
        "attachments": [
            {
                "kind": "pdf",
                "name": "Marlow_ch7_scan.pdf",
                "image_only": True,
                "pages": [
                    [
                        "Facial Anatomy for Injectors, 3rd edition. Chapter 7: The temple and periorbital region.",
                        ("licence_restriction", "Copyright 2024 Marlow Medical Books. All rights reserved. No part of this publication may be photocopied or scanned without permission."),
                    ],
                    ["Figure 7.4: the superficial temporal artery and its branches.", "The zygomaticotemporal vein lies..."],
                    ["Figure 7.9: tear trough ligament."],
                ],
            }
        ],
        "accept": ["hold"],
        "categories": ["copyright"],
        "note": "Scanned textbook chapter (all rights reserved) sent to practitioners including a personal address.",
    },
    {
        "id": "cr-level7-exam-question-bank-to-nurses",
        "from": "Aurelle Academy <academy@aurelleclinics.example>",
        "to": ["Aurelle Academy <academy@aurelleclinics.example>"],
        "bcc": ["ella.fairbairn.rn@outlook.example", "jthornton.rn@gmail.example", "a.owusu.nurse@icloud.example"],
        "subject": "Level 7 exam prep - question bank",
        "date": "2026-11-09 19:30",
        "body": [
            "Hi all,",
            "Good luck with the Level 7 written paper on the 20th. One of last year's candidates passed on the awarding body's live question bank, attached as a spreadsheet.",
            ("licence_restriction", "Please don't mention where you got it: it's marked confidential and only meant for examiners."),
            "Aurelle Academy",
        ],
        "attachments": [
            {
                "kind": "xlsx",
                "name": "L7_question_bank_2026.xlsx",
                "sheets": [
                    {"name": "Questions", "rows": [
                        [("licence_restriction", "CONFIDENTIAL - property of Aesthetic Qualifications Board. Examiner use only. Not to be reproduced.")],
                        ["Q", "Question", "Answer"],
                        ["14", "Which muscle is the primary depressor of the lateral brow?", "Orbicularis oculi"],
                        ["15", "What is the maximum recommended dose of lidocaine without adrenaline?", "3 mg/kg"],
                    ], "hidden": False}
                ],
            }
        ],
        "accept": ["hold"],
        "categories": ["copyright"],
        "note": "Confidential exam question bank distributed to candidates.",
    },
    {
        "id": "cr-border-one-journal-figure-in-agency-deck",
        "from": "Oliver Stanhope <oliver.stanhope@aurelleclinics.example>",
        "to": ["Saskia Bell <saskia@kitetallow.example>"],
        "subject": "Deck for the journalist roundtable",
        "date": "2026-04-30 08:10",
        "body": [
            "Saskia, deck for the roundtable attached. Slide 3 has the complications chart from the Hart & Osei paper, credited on the slide.",
            "Oliver",
        ],
        "attachments": [
            {
                "kind": "pptx",
                "name": "Aurelle_Roundtable_Safety.pptx",
                "slides": [
                    {"title": "Aurelle: safety first", "body": ["28 clinics, every injector a registered professional."], "notes": []},
                    {"title": "Our complications protocol", "body": ["24/7 prescriber cover.", "Hyaluronidase stocked at every site."], "notes": []},
                    {"title": "What the evidence says", "body": ["Figure: vascular complications per 10,000 treatments, by practitioner type.", ("licence_restriction", "Figure 3 reproduced from Hart M, Osei P, J Cosmet Pract 2025. Copyright Pellham Press, all rights reserved.")], "notes": ["We haven't asked Pellham for permission, one figure should be fine."]},
                ],
            }
        ],
        "accept": ["hold", "tag"],
        "categories": ["copyright"],
        "note": "Borderline: a single attributed figure from an all-rights-reserved paper in a deck for an agency.",
    },
    {
        "id": "cr-border-link-to-pirate-copy",
        "from": "Freya Lindqvist <freya.lindqvist@aurelleclinics.example>",
        "to": ["Tom Reyes <tom@kitetallow.example>"],
        "subject": "that book i mentioned",
        "date": "2026-07-01 13:37",
        "body": [
            "the skin ageing book for background reading on the booster campaign:",
            ("licence_restriction", "no need to buy it, there's a full pdf on the libgen mirror here: https://lib-mirror.example/book/9781999000417"),
            "ch 2 and 5 are the useful ones",
            "f",
        ],
        "accept": ["hold", "tag"],
        "categories": ["copyright"],
        "note": "Borderline: a link to a pirate copy of a book.",
    },
    {
        "id": "cr-border-rights-only-in-document-metadata",
        "from": "Jaden Okafor <jaden.okafor@aurelleclinics.example>",
        "to": ["Tom Reyes <tom@kitetallow.example>"],
        "subject": "retinol guide for the blog",
        "date": "2026-10-21 11:20",
        "body": [
            "Tom - retinol guide for the November blog, can be used pretty much as is I reckon. Found it on the training drive.",
            "J",
        ],
        "attachments": [
            {
                "kind": "docx",
                "name": "Retinol_starter_guide.docx",
                "metadata": {
                    "title": "Retinol starter guide",
                    "author": "Dermavale Education Team",
                    "subject": ("licence_restriction", "Copyright Dermavale Ltd 2025 - confidential, licensed to stockists for staff training only"),
                    "keywords": "retinol, training",
                },
                "paragraphs": [
                    "Start low and go slow: use a pea-sized amount two nights a week.",
                    "Always wear SPF the next morning.",
                    "Expect some dryness in the first few weeks.",
                ],
            }
        ],
        "accept": ["hold", "tag"],
        "categories": ["copyright"],
        "note": "Borderline: a supplier's training document whose restriction appears only in its metadata, passed to an agency for publication.",
    },
]
