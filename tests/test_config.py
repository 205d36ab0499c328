"""The config file: documented, validated with errors that name the key, and checkable."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT

from gateway.config import HEALTH_SERVICE_DOMAINS, ConfigError, Settings, load_config

EXAMPLE = ROOT / "mailscreen.example.toml"
MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))


def _keys(cls, prefix=""):
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            yield from _keys(type(default), f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}"


def _toml_keys(table, prefix=""):
    for k, v in table.items():
        if isinstance(v, dict) and f"{prefix}{k}" not in ("server.auth.users", "scan.scanners",
                                                          "policy.rules", "policy.default",
                                                          "admin.users", "justify.release"):
            yield from _toml_keys(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


def test_example_documents_every_key_with_its_default(tmp_path):
    documented = set(_toml_keys(tomllib.loads(EXAMPLE.read_text())))
    wanted = set(_keys(Settings)) - {"policy.categories"}
    assert wanted <= documented, f"undocumented keys: {sorted(wanted - documented)}"
    example = load_config(EXAMPLE)
    assert dataclasses.replace(example, data_dir=Settings().data_dir) == Settings()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mailscreen.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, named", [
    ("[server]\nlisen = 25\n", "'server.lisen'"),
    ("[server]\nport = \"25\"\n", "'server.port' must be an integer"),
    ("[server]\nport = 70000\n", "'server.port'"),
    ("[server]\nrelay_networks = [\"10.0.0.300/8\"]\n", "'server.relay_networks'"),
    ("[policy.default]\nhigh = \"drop\"\n", "'policy.default.high'"),
    ("[policy.categories.spam]\nhigh = \"hold\"\n", "'policy.categories.spam'"),
    ("[server.tls]\ncert_file = \"x.pem\"\n", "'server.tls'"),
    ("[server.auth]\nusers = { bob = \"plaintext\" }\n", "'server.auth.users.bob'"),
    ("data_dir = [\n", "not valid TOML"),
])
def test_bad_config_is_refused_naming_the_key(tmp_path, text, named):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, text))
    assert named in str(e.value) and "mailscreen.toml" in str(e.value)


def test_a_retired_key_is_ignored_with_a_warning_not_refused(tmp_path, caplog):
    """An upgrade keeps starting: a key an older release read is named and ignored."""
    settings = load_config(write(tmp_path, "[server.auth]\nmax_failures_total = 100\n"))
    assert settings.server.auth.max_failures_per_address == Settings().server.auth.max_failures_per_address
    assert "server.auth.max_failures_total" in caplog.text and "ignored" in caplog.text
    with pytest.raises(ConfigError, match="unknown key 'server.auth.max_failures_totl'"):
        load_config(write(tmp_path, "[server.auth]\nmax_failures_totl = 100\n"))


def test_partial_default_table_keeps_the_other_severities(tmp_path):
    settings = load_config(write(tmp_path, "[policy.default]\nmedium = \"hold\"\n"))
    assert settings.policy.default == {"low": "pass", "medium": "hold", "high": "hold"}


def test_relative_data_dir_is_relative_to_the_config_file(tmp_path):
    settings = load_config(write(tmp_path, 'data_dir = "state"\n'))
    assert settings.data_dir == str(tmp_path / "state")


def test_check_config_command(tmp_path):
    ok = subprocess.run([MAILSCREEN, "check-config", "--config", str(EXAMPLE)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = write(tmp_path, "[scan]\nworkers = 0\n")
    refused = subprocess.run([MAILSCREEN, "check-config"], capture_output=True, text=True,
                             env={"MAILSCREEN_CONFIG": str(bad), "PATH": "/usr/bin:/bin"})
    assert refused.returncode == 2
    assert "'scan.workers' must be at least 1" in refused.stderr
    assert "Traceback" not in refused.stderr
    unknown = write(tmp_path, "[scan]\nscanners = { spam = true }\n")
    refused = subprocess.run([MAILSCREEN, "check-config", "-c", str(unknown)],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "unknown scanner spam" in refused.stderr


def test_one_category_table_keeps_nhs_net_trusted_and_one_rule_keeps_the_fail_closed_rules(
        tmp_path):
    defaults = Settings().policy
    settings = load_config(write(tmp_path, "[policy.categories.language]\nmedium = \"hold\"\n"
                                           "[policy.rules]\nuk_postcode = \"pass\"\n"))
    policy = settings.policy
    assert policy.categories["language"].medium == "hold"
    assert policy.categories["patient_data"].trusted_domains == list(HEALTH_SERVICE_DOMAINS)
    assert policy.rules["uk_postcode"] == "pass"
    for rule, action in defaults.rules.items():
        assert policy.rules[rule] == action, rule


def test_a_category_table_overrides_only_the_keys_it_sets(tmp_path):
    settings = load_config(write(tmp_path, "[policy.categories.patient_data]\nlow = \"tag\"\n"))
    patient = settings.policy.categories["patient_data"]
    assert patient.low == "tag" and patient.trusted_domains == list(HEALTH_SERVICE_DOMAINS)
    settings = load_config(write(tmp_path, "[policy.categories.patient_data]\n"
                                           "trusted_domains = [\"hospital.example\"]\n"))
    assert settings.policy.categories["patient_data"].trusted_domains == ["hospital.example"]


def test_check_config_refuses_an_unknown_rule_id_naming_it(tmp_path):
    bad = write(tmp_path, "[policy.rules]\nuk_nhs_numbr = \"pass\"\n")
    refused = subprocess.run([MAILSCREEN, "check-config", "-c", str(bad)],
                             capture_output=True, text=True)
    assert refused.returncode == 2, refused.stdout
    assert "'uk_nhs_numbr'" in refused.stderr and "Traceback" not in refused.stderr
    good = write(tmp_path, "[policy.rules]\nuk_nhs_number = \"tag\"\n")
    assert subprocess.run([MAILSCREEN, "check-config", "-c", str(good)],
                          capture_output=True, text=True).returncode == 0
