"""Scanners: read a ParsedMessage, return Findings. They know nothing of SMTP, the database or the policy."""
