"""The `mailscreen` command line: one module per command group, mounted in cli.main."""
