"""The one place that opens the database (store.py) and signs what is written to it
(audit.py): the relay, the quarantine, the registers and the CLI all reach it from above,
so none of them imports another to get at the data."""
