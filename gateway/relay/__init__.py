"""The relay: SMTP front, spool, screening worker, sandbox and delivery."""
