"""Registers the clinic keeps: patients (salted hashes) and protected works."""
