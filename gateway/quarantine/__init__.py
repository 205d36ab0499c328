"""The admin store: held mail, the screening log, moderation, audit and reports."""
