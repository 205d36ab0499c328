"""The review console (`mailscreen web`): held mail in the browser, for the admins of the
CLI. It reads and decides only through the quarantine API the CLI uses
(gateway.control.moderator), under the name of the person logged in."""
