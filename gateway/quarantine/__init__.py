"""The quarantine: held mail, moderation, release dispatch and reports (the tables and
the audit chain they write are gateway/database/)."""
