"""Settings: one TOML file loaded once into frozen dataclasses and passed explicitly.

Every key is documented in `mailscreen.example.toml`. Unknown keys and wrong
types are refused at start with an error that names the key.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import ipaddress
import logging
import os
import socket
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger("mailscreen.config")

ACTIONS = ("pass", "tag", "hold")
DEFAULT_HOSTNAME = "mailscreen.localdomain"
SEVERITIES = ("low", "medium", "high")
CATEGORIES = ("patient_data", "copyright", "language", "advertising", "attachment")


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class TlsSettings:
    cert_file: str = ""
    key_file: str = ""
    require_starttls: bool = False


@dataclass(frozen=True)
class AuthSettings:
    # "user" = "scrypt$..." hashes made by `mailscreen hash-password`
    users: dict[str, str] = field(default_factory=dict)
    # domains each user may send as; a user not listed may send as any of `sender_domains`
    sender_domains: list[str] = field(default_factory=list)
    # every client must authenticate, relay_networks included (530 otherwise)
    required: bool = False
    # brute-force limits: past them the client gets 421 and is disconnected; past the
    # address limit (within failure_window) the address is backed off (421 at AUTH)
    max_failures_per_session: int = 3
    max_failures_per_address: int = 10
    # failures for one user name from one client address within failure_window: past them
    # AUTH for that user from that address gets 454 without a password being checked (the
    # user from anywhere else is not affected)
    max_failures_per_user: int = 5
    failure_window: float = 900.0
    # back-off past those limits: seconds after the last failure, doubling with each
    # further failure, up to backoff_max
    backoff_start: float = 1.0
    backoff_max: float = 900.0
    # passwords are checked in this many threads, never on the event loop
    hash_threads: int = 2
    # AUTH without TLS sends passwords in clear: refused at start unless set on purpose
    allow_plaintext_auth: bool = False


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 2525
    # also the domain of the notices' sender (postmaster@, MAILER-DAEMON@): receivers
    # refuse mail from a domain that does not exist, so set it (check-config warns)
    hostname: str = DEFAULT_HOSTNAME
    relay_networks: list[str] = field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    max_message_size: int = 25 * 1024 * 1024
    max_recipients: int = 100
    max_header_size: int = 100 * 1024
    timeout: float = 300.0
    # seconds a client may stay connected without sending a first command
    first_command_timeout: float = 30.0
    # Received: headers a message may carry (Postfix's hopcount_limit): past it the message
    # is refused "554 5.4.6 Too many hops", a mail loop
    max_hops: int = 50
    # new mail gets 452 4.3.1 while the spool's file system has less free space than this,
    # so mail already queued always has room to change state (defer, bounce, hold)
    spool_reserve_mb: float = 100.0
    # connections at once, in all and from one client address (421 past them; at the
    # global cap a new client from a quieter address replaces the idlest session of the
    # busiest one)
    max_connections: int = 200
    max_connections_per_address: int = 20
    # commands in one session, and commands in a row that make no progress (NOOP, RSET,
    # HELP, VRFY, EHLO ... with no MAIL, RCPT or DATA between): 421 and disconnect past them
    max_commands: int = 50000
    max_idle_commands: int = 20
    # SMTP processes of their own accepting on the one port (SO_REUSEPORT), each spooling
    # into the same spool; 0: the SMTP front runs in the relay's own process, beside the
    # screening and delivery threads (the default, the arrangement the whole test suite
    # runs). One accepted a quarter more mail than none in relay_bench on 2 cores; with
    # more, the per-address connection cap and AUTH back-off are counted per listener
    listeners: int = 0
    tls: TlsSettings = field(default_factory=TlsSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)


@dataclass(frozen=True)
class ScanSettings:
    workers: int = 2
    time_budget: float = 30.0
    memory_limit_mb: int = 2048
    # a scan process is replaced after this many messages, or when its resident memory
    # after one is above max_rss_mb (0: no limit); keep it well below memory_limit_mb
    max_use: int = 500
    max_rss_mb: int = 768
    max_pdf_pages: int = 500
    max_parts: int = 500
    max_depth: int = 20
    # scanner name -> enabled
    scanners: dict[str, bool] = field(default_factory=dict)
    # attachment content (gateway/content/)
    pdf_seconds: float = 10.0  # wall clock per PDF, OCR included; past it: attachment_too_large
    ocr: bool = True  # read pages with images and no text with Tesseract, when installed
    ocr_max_pages: int = 20  # pages per PDF read by OCR; the rest count as pdf_no_text
    ocr_max_images: int = 10  # images read by OCR per message; unread screenshots: image_not_read
    image_seconds: float = 8.0  # wall clock per image, OCR included
    ocr_seconds: float = 20.0  # wall clock of image OCR per message, all images together
    archive_max_depth: int = 3  # zip in zip in zip ...
    archive_max_files: int = 1000  # files in one attachment's archives, nested ones included
    archive_max_size: int = 200 * 1024 * 1024  # bytes unpacked from one attachment, in all
    archive_max_ratio: float = 200.0  # unpacked / packed size of one member (over 1 MiB)


@dataclass(frozen=True)
class CopyrightSettings:
    # older names for [clinic] names and domains, read into the same picture of the clinic:
    # a document whose author, owner or copyright notice is the clinic's, and that shows no
    # publisher, is the clinic's own
    own_names: list[str] = field(default_factory=list)
    own_domains: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UpstreamSettings:
    host: str = ""  # empty: deliver to the Maildir outbox under data_dir
    port: int = 25
    starttls: bool = True
    implicit_tls: bool = False  # TLS from the first byte (port 465); starttls is then moot
    ca_file: str = ""  # CA bundle for the upstream's certificate; empty: the system store
    verify: bool = True  # check the upstream's certificate and name
    cert_file: str = ""  # client certificate to present (PEM), e.g. for a Microsoft 365
    key_file: str = ""  # connector that identifies the sender by certificate
    username: str = ""
    password_file: str = ""
    timeout: float = 60.0


@dataclass(frozen=True)
class DeliverySettings:
    workers: int = 2
    # seconds to wait after the 1st, 2nd, ... temporary failure; the last repeats
    retry_delays: list[float] = field(default_factory=lambda: [60, 300, 900, 1800, 3600])
    queue_lifetime: float = 5 * 24 * 3600
    poll_interval: float = 1.0
    # tell the sender once that mail is still not delivered after this many seconds; 0: never
    delay_warning: float = 4 * 3600


@dataclass(frozen=True)
class MetricsSettings:
    # Prometheus endpoint http://host:port/metrics; port 0: off
    host: str = "127.0.0.1"
    port: int = 0


@dataclass(frozen=True)
class WebSettings:
    # the review console (`mailscreen web`): keep it on loopback behind a TLS reverse proxy
    host: str = "127.0.0.1"
    port: int = 8025
    # a session not used for this long must log in again
    session_idle_minutes: float = 30.0
    # the session cookie is sent over HTTPS only; false only to try it without a proxy
    cookie_secure: bool = True
    # user names that may look at held mail in the console but not decide on it
    readonly_users: list[str] = field(default_factory=list)
    # the console's address as senders reach it through the proxy (https://mail.clinic.example):
    # hold notices link to its justification page; "" = notices carry no link
    public_url: str = ""


@dataclass(frozen=True)
class JustifySettings:
    # a sender whose mail is held may withdraw it or justify it, on the console's page
    # (the link in the hold notice) or by replying to the notice (README, "Sender
    # justification"); false: notices carry neither, and a reply is ordinary mail
    enabled: bool = True
    # days the notice's link and reply address stay valid
    valid_days: float = 7.0
    # longest justification accepted, in characters
    max_chars: int = 1000
    # category -> the most severe hold a justification releases at once; holds in other
    # categories, more severe ones, and those under four eyes get the justification
    # attached for an admin to read ("": never releases)
    release: dict[str, str] = field(
        default_factory=lambda: {"advertising": "medium", "language": "medium"})


@dataclass(frozen=True)
class TagSettings:
    subject_prefix: str = ""  # off by default: changing the subject breaks DKIM
    # X-Mailscreen-Findings (rule names and where they hit) also on mail to recipients
    # outside the clinic; off: they get the verdict header only
    external_headers: bool = False


@dataclass(frozen=True)
class ClinicSettings:
    # the clinic's own details: the patient-data scanner never reports them, and the
    # decision step knows them as the clinic (gateway/decision/audience.py ClinicIdentity)
    names: list[str] = field(default_factory=list)
    # names the clinic or its practitioners trade under ("Glow by Kerry-Ann", "The Skin
    # Nurse"): never a patient's name
    trading_names: list[str] = field(default_factory=list)
    practitioners: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    postcodes: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PatientDataPolicy:
    # patient data addressed to the patient alone passes when the patient register knows
    # that address for the patient
    to_patient: bool = True
    # ... and is tagged (not held) when only the To display name and the greeting match:
    # a display name is no proof the address is the patient's (misdirected mail)
    by_display_name: bool = True
    # patient data (medium or high) to more envelope recipients than this always holds; 0: off
    max_recipients: int = 10


@dataclass(frozen=True)
class CategoryPolicy:
    low: str = ""
    medium: str = ""
    high: str = ""
    trusted_domains: list[str] = field(default_factory=list)
    # findings of this category pass when every recipient is at the clinic's own domains
    # ([clinic] domains, else the sender's own domain unless it is a webmail provider)
    # or a trusted domain: mail that stays inside the organisation
    trust_internal: bool = False


HEALTH_SERVICE_DOMAINS = ("nhs.net", "nhs.scot", "wales.nhs.uk", "hscni.net")


@dataclass(frozen=True)
class PolicySettings:
    patient_data: PatientDataPolicy = field(default_factory=PatientDataPolicy)
    default: dict[str, str] = field(
        default_factory=lambda: {"low": "pass", "medium": "tag", "high": "hold"})
    categories: dict[str, CategoryPolicy] = field(
        default_factory=lambda: {
            # the health service's own mail in the four nations: NHSmail (nhs.net), NHS
            # Scotland (nhs.scot), NHS Wales (wales.nhs.uk), Northern Ireland's HSC (hscni.net)
            "patient_data": CategoryPolicy(trusted_domains=list(HEALTH_SERVICE_DOMAINS),
                                           trust_internal=True),
            "copyright": CategoryPolicy(trust_internal=True),
            "advertising": CategoryPolicy(trust_internal=True)})
    rules: dict[str, str] = field(default_factory=lambda: {
        "scan_failed": "hold", "attachment_executable": "hold", "pdf_encrypted": "hold",
        "attachment_encrypted": "hold", "attachment_unreadable": "hold", "pdf_no_text": "hold",
        "attachment_too_large": "hold"})


@dataclass(frozen=True)
class AdminSettings:
    # Unix group whose members (and root) may administer mailscreen through the admin socket
    group: str = "mailscreen-admin"
    # the relay's admin socket: `mailscreen held ...` reaches the relay here, and the relay
    # learns who asks from the socket's peer credentials (systemd RuntimeDirectory)
    socket: str = "/run/mailscreen/admin.sock"
    # Unix group whose members (and root) may read raw quarantined mail
    raw_access_group: str = "mailscreen-admin"
    # the secret keys (HMAC) of the audit chain and the patient register, 0600, never in
    # the database; empty: <data_dir>/mailscreen.key (made at the relay's first start)
    key_file: str = ""
    # OS user -> that person's mail address, so nobody releases their own message
    users: dict[str, str] = field(default_factory=dict)
    # A hold for a high finding in these categories, to a recipient outside the category's
    # trusted domains, needs one admin to approve and a different one to release.
    four_eyes_categories: list[str] = field(default_factory=lambda: ["patient_data", "advertising"])
    # Held mail with no decision after this many days is rejected (with a notice).
    hold_days: float = 14.0
    # `held purge` default: delete raw mail decided more than this many days ago.
    retention_days: float = 30.0
    # `held purge` (the daily timer) also deletes screening log rows older than this many
    # days, and quarantine rows (subject, recipients, redacted findings) of mail decided
    # longer ago than row_retention_days
    log_retention_days: float = 180.0
    row_retention_days: float = 365.0
    # ... and audit rows older than this floor (never less than row_retention_days): the
    # chain goes on from the first row kept, checked against the signed purge record
    audit_retention_days: float = 2190.0
    # Tell the sender when their mail is held, and when held mail expires.
    notify_on_hold: bool = True
    notify_on_expiry: bool = True


@dataclass(frozen=True)
class AudienceSettings:
    # advertising rules whose findings are raised to high when the envelope shows a wide
    # audience (gateway/audience.py); quoted findings never are
    rules: list[str] = field(default_factory=lambda: ["pom_promotion"])
    # language rules whose findings in the sender's own words are raised one level (low to
    # medium, medium to high) when any envelope recipient is outside the clinic: obscenity,
    # abuse and veiled threats sent out are held, mild swearing and sarcasm sent out tagged
    outside_rules: list[str] = field(default_factory=lambda: ["language_profanity",
                                                              "language_abuse",
                                                              "language_threat"])
    # more envelope recipients than this, outside the sender's own domain, is a wide audience
    max_recipients: int = 5
    # more Bcc recipients than this (envelope recipients not in To/Cc, outside the sender's
    # domain) is a wide audience
    max_bcc: int = 2


@dataclass(frozen=True)
class BulkSettings:
    # bulk_repetition (gateway/repetition.py): the same body to many, or often from one sender
    enabled: bool = True
    window: float = 86400.0  # seconds of history counted
    max_recipients: int = 50  # same body to more recipients than this within the window
    max_messages: int = 20  # same body from one sender more often than this within the window
    min_chars: int = 200  # shorter bodies ("Thanks, see you Tuesday") are not counted


@dataclass(frozen=True)
class ClusterSettings:
    # Several nodes on one PostgreSQL database (README "Several nodes"). This node's name
    # there: who claimed and who dispatched a release. "" = host name and data_dir, which
    # is unique for each spool; set it when nodes are renamed or moved.
    node_name: str = ""
    # seconds between looks for mail released on any node (PostgreSQL also notifies)
    release_poll: float = 1.0
    # a node's claim on a released message runs out after this many seconds if it dies
    # before taking the message into its spool; another node then takes it over
    lease_seconds: float = 60.0


@dataclass(frozen=True)
class Settings:
    data_dir: str = "./data"
    database_url: str = ""  # empty: sqlite:///<data_dir>/mailscreen.db
    log_level: str = "INFO"
    log_format: str = "text"  # "text", or "json": one JSON object a line
    server: ServerSettings = field(default_factory=ServerSettings)
    clinic: ClinicSettings = field(default_factory=ClinicSettings)
    scan: ScanSettings = field(default_factory=ScanSettings)
    upstream: UpstreamSettings = field(default_factory=UpstreamSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    tag: TagSettings = field(default_factory=TagSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    audience: AudienceSettings = field(default_factory=AudienceSettings)
    bulk: BulkSettings = field(default_factory=BulkSettings)
    copyright: CopyrightSettings = field(default_factory=CopyrightSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    web: WebSettings = field(default_factory=WebSettings)
    justify: JustifySettings = field(default_factory=JustifySettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def key_path(self) -> Path:
        return Path(self.admin.key_file) if self.admin.key_file else \
            self.data_path / "mailscreen.key"

    @property
    def anchor_path(self) -> Path:
        """The audit chain's head, outside the database (gateway/database/audit.py)."""
        return self.data_path / "audit-anchor.log"

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL: `postgresql://` and `postgres://` mean psycopg 3."""
        url = self.database_url or f"sqlite:///{self.data_path / 'mailscreen.db'}"
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    @property
    def node_name(self) -> str:
        return self.cluster.node_name or f"{socket.gethostname()}:{self.data_path}"


# the installed config (issue 23): found without --config or $MAILSCREEN_CONFIG, which
# sudo drops, as Postfix finds /etc/postfix/main.cf
SYSTEM_CONFIG = Path("/etc/mailscreen/mailscreen.toml")


def config_path(explicit: str | os.PathLike | None) -> Path | None:
    """The config file to read: the option, else $MAILSCREEN_CONFIG, else SYSTEM_CONFIG
    when it exists, else none (the built-in defaults, for a checkout)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("MAILSCREEN_CONFIG")
    if env:
        return Path(env)
    try:
        SYSTEM_CONFIG.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        pass  # there but unreadable: load_config says so, rather than use the defaults
    return SYSTEM_CONFIG


def shown_url(url: str) -> str:
    """A database URL fit for a message or a log: the password left out."""
    return make_url(url).render_as_string(hide_password=True)


def database_unavailable(url: str, error: Exception) -> str:
    """What an admin is told when the database cannot be reached (down, or a file that
    cannot be opened): the driver's own words, never the statement or its parameters."""
    reason = " ".join(str(getattr(error, "orig", None) or error).split())
    return f"database unavailable: {shown_url(url)}: {reason}"


def describe(path: Path | None) -> str:
    """Which config a command uses, in words."""
    if path is not None:
        return str(Path(path).absolute())
    return f"built-in defaults (no --config, $MAILSCREEN_CONFIG or {SYSTEM_CONFIG})"


def load_config(path: str | os.PathLike | None) -> Settings:
    if path is None:
        return _validate(Settings(), "defaults")
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    upstream = data.get("upstream")
    if isinstance(upstream, dict) and "host" not in upstream:
        # a table written for a smart host, its host forgotten, must not mean "keep the
        # mail here": only no [upstream] at all, or host = "" on purpose, is the Maildir
        raise ConfigError(f"{path}: '[upstream]' has no 'host': name the smart host, or set "
                          f"host = \"\" for the Maildir outbox under data_dir")
    settings = _build(Settings, data, "", str(path), Settings())
    if not Path(settings.data_dir).is_absolute():
        settings = dataclasses.replace(
            settings, data_dir=str((path.parent / settings.data_dir).resolve()))
    return _validate(settings, str(path))


# Keys an older release read: an upgrade with one of them in its config still starts, and
# says what replaced it, rather than refusing the whole file as it does an unknown key.
RETIRED = {
    "server.auth.max_failures_total": "AUTH failures are counted per address and per user "
                                      "at an address, with back-off (server.auth.backoff_*)",
}


def _build(cls, table, prefix: str, source: str, base=None):
    """`cls` from a TOML table, merged key by key over `base` (the defaults): a key the
    file sets replaces the default, a key it does not set keeps it, and a table of tables
    (policy.rules, policy.categories) keeps the default entries the file does not name."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: '{prefix.rstrip('.')}' must be a table")
    base = cls() if base is None else base
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if name in RETIRED:
            log.warning("%s: '%s' is no longer used and is ignored: %s", source, name,
                        RETIRED[name])
            continue
        if key not in known:
            raise ConfigError(f"{source}: unknown key '{name}'")
        kwargs[key] = _coerce(hints[key], value, name, source, getattr(base, key))
    return dataclasses.replace(base, **kwargs)


def _coerce(hint, value, name: str, source: str, default=None):
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, name + ".", source, default)
    if origin is dict:
        _, value_type = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: '{name}' must be a table")
        merged = dict(default or {})
        for k, v in value.items():
            merged[k] = _coerce(value_type, v, f"{name}.{k}", source, merged.get(k))
        return merged
    if origin is list:
        (item_type,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{source}: '{name}' must be a list")
        return [_coerce(item_type, v, name, source) for v in value]
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool) or not isinstance(value, hint):
        raise ConfigError(f"{source}: '{name}' must be {_type_name(hint)}, not {value!r}")
    return value


# every setting that names a file mailscreen reads, and what the file is
FILE_SETTINGS = (
    ("server.tls.cert_file", "the TLS certificate"),
    ("server.tls.key_file", "the TLS key"),
    ("upstream.password_file", "the upstream password"),
    ("upstream.ca_file", "the upstream CA bundle"),
    ("upstream.cert_file", "the upstream client certificate"),
    ("upstream.key_file", "the upstream client key"),
)


def missing_files(settings: Settings) -> list[str]:
    """One line for each file a setting names that cannot be read, naming the key."""
    problems = []
    for key, what in FILE_SETTINGS:
        value = settings
        for part in key.split("."):
            value = getattr(value, part)
        if not value:
            continue
        path = Path(value)
        if not path.exists():
            problems.append(f"'{key}': {what} {path} does not exist")
        elif not path.is_file():
            problems.append(f"'{key}': {what} {path} is not a file")
        elif not os.access(path, os.R_OK):
            problems.append(f"'{key}': {what} {path} cannot be read by this user")
    return problems


def unknown_rules(settings: Settings, known: set[str]) -> str:
    """Why the policy names a rule id that no scanner raises ("" if it does not): a
    misspelt override would otherwise be ignored without a word."""
    unknown = sorted(set(settings.policy.rules) - known)
    if not unknown:
        return ""
    return (f"'policy.rules' names unknown rule id {', '.join(map(repr, unknown))} "
            "(docs/rules.md lists them all)")


def _type_name(hint) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        hint, getattr(hint, "__name__", str(hint)))


def _validate(s: Settings, source: str) -> Settings:
    def fail(key, why):
        raise ConfigError(f"{source}: '{key}' {why}")

    for net in s.server.relay_networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            fail("server.relay_networks", f"has an invalid network {net!r}")
    if not 0 < s.server.port < 65536:
        fail("server.port", "must be between 1 and 65535")
    if s.server.spool_reserve_mb < 0:
        fail("server.spool_reserve_mb", "must not be negative")
    for key in ("max_message_size", "max_recipients", "max_header_size"):
        if getattr(s.server, key) <= 0:
            fail(f"server.{key}", "must be positive")
    tls = s.server.tls
    if bool(tls.cert_file) != bool(tls.key_file):
        fail("server.tls", "needs both cert_file and key_file")
    auth = s.server.auth
    for key in ("max_connections", "max_connections_per_address", "max_commands",
                "max_idle_commands"):
        if getattr(s.server, key) < 1:
            fail(f"server.{key}", "must be at least 1")
    for key in ("max_failures_per_session", "max_failures_per_address", "max_failures_per_user",
                "hash_threads"):
        if getattr(auth, key) < 1:
            fail(f"server.auth.{key}", "must be at least 1")
    if not 0 < auth.backoff_start <= auth.backoff_max:
        fail("server.auth.backoff_start", "must be positive and at most backoff_max")
    if not 0 <= s.server.listeners <= 64:
        fail("server.listeners", "must be between 0 and 64")
    if s.server.max_hops < 1 or s.server.first_command_timeout <= 0:
        fail("server", "max_hops and first_command_timeout must be positive")
    if s.server.auth.required and not s.server.auth.users:
        fail("server.auth.required", "needs at least one user in server.auth.users")
    if tls.require_starttls and not tls.cert_file:
        fail("server.tls.require_starttls", "needs cert_file and key_file")
    for user, hashed in s.server.auth.users.items():
        if not hashed.startswith("scrypt$"):
            fail(f"server.auth.users.{user}", "must be a hash made by `mailscreen hash-password`")
    if auth.users and not tls.cert_file and not auth.allow_plaintext_auth:
        fail("server.auth.users", "are set but server.tls is not: passwords would cross the "
             "network in clear (configure TLS, or set server.auth.allow_plaintext_auth = true "
             "if the relay only listens on a trusted network)")
    if s.scan.workers < 1:
        fail("scan.workers", "must be at least 1")
    if s.scan.time_budget <= 0:
        fail("scan.time_budget", "must be positive")
    for key in ("max_pdf_pages", "pdf_seconds", "archive_max_files", "archive_max_size",
                "archive_max_ratio", "image_seconds", "ocr_seconds"):
        if getattr(s.scan, key) <= 0:
            fail(f"scan.{key}", "must be positive")
    if s.scan.max_use < 0 or s.scan.max_rss_mb < 0 or s.scan.memory_limit_mb < 0:
        fail("scan", "max_use, max_rss_mb and memory_limit_mb must not be negative (0: no limit)")
    if s.scan.archive_max_depth < 0 or s.scan.ocr_max_pages < 0 or s.scan.ocr_max_images < 0:
        fail("scan", "archive_max_depth, ocr_max_pages and ocr_max_images must not be negative")
    if s.delivery.workers < 1:
        fail("delivery.workers", "must be at least 1")
    if s.delivery.delay_warning < 0:
        fail("delivery.delay_warning", "must not be negative (0 turns it off)")
    if not s.delivery.retry_delays or min(s.delivery.retry_delays) < 0:
        fail("delivery.retry_delays", "must be a non-empty list of seconds")
    if s.upstream.key_file and not s.upstream.cert_file:
        fail("upstream.key_file", "needs upstream.cert_file")
    if s.upstream.password_file and not s.upstream.username:
        fail("upstream.password_file", "needs upstream.username")
    p = s.policy
    for sev, action in p.default.items():
        if sev not in SEVERITIES:
            fail(f"policy.default.{sev}", f"is not a severity ({', '.join(SEVERITIES)})")
        if action not in ACTIONS:
            fail(f"policy.default.{sev}", f"must be one of {', '.join(ACTIONS)}")
    for cat, cp in p.categories.items():
        if cat not in CATEGORIES:
            fail(f"policy.categories.{cat}", f"is not a category ({', '.join(CATEGORIES)})")
        for sev in SEVERITIES:
            if getattr(cp, sev) not in ("",) + ACTIONS:
                fail(f"policy.categories.{cat}.{sev}", f"must be one of {', '.join(ACTIONS)}")
    for rule, action in p.rules.items():
        if action not in ACTIONS:
            fail(f"policy.rules.{rule}", f"must be one of {', '.join(ACTIONS)}")
    for cat in s.admin.four_eyes_categories:
        if cat not in CATEGORIES:
            fail("admin.four_eyes_categories", f"has an unknown category {cat!r}")
    if s.admin.hold_days <= 0 or s.admin.retention_days <= 0:
        fail("admin", "hold_days and retention_days must be positive")
    a = s.admin
    if min(a.log_retention_days, a.row_retention_days, a.audit_retention_days) <= 0:
        fail("admin", "log_retention_days, row_retention_days and audit_retention_days must "
                      "be positive")
    if a.row_retention_days < a.retention_days:
        fail("admin.row_retention_days", "must not be shorter than admin.retention_days "
                                         "(a row outliving its raw copy)")
    if a.audit_retention_days < a.row_retention_days:
        fail("admin.audit_retention_days", "must not be shorter than admin.row_retention_days "
                                           "(the audit trail outlives what it is about)")
    if s.audience.max_recipients < 0 or s.audience.max_bcc < 0:
        fail("audience", "max_recipients and max_bcc must not be negative")
    if p.patient_data.max_recipients < 0:
        fail("policy.patient_data.max_recipients", "must not be negative")
    b = s.bulk
    if b.window <= 0 or b.max_recipients < 1 or b.max_messages < 1 or b.min_chars < 0:
        fail("bulk", "window, max_recipients and max_messages must be positive")
    if not 0 <= s.metrics.port < 65536:
        fail("metrics.port", "must be between 1 and 65535 (0: off)")
    if s.metrics.port and s.metrics.port == s.server.port:
        fail("metrics.port", "must differ from server.port")
    if not 0 < s.web.port < 65536:
        fail("web.port", "must be between 1 and 65535")
    if s.web.session_idle_minutes <= 0:
        fail("web.session_idle_minutes", "must be more than 0")
    if s.web.public_url and not s.web.public_url.startswith(("https://", "http://")):
        fail("web.public_url", "must start with https:// (or http://)")
    for cat, sev in s.justify.release.items():
        if cat not in CATEGORIES:
            fail(f"justify.release.{cat}", f"is not a category ({', '.join(CATEGORIES)})")
        if sev not in ("",) + SEVERITIES:
            fail(f"justify.release.{cat}", f"must be one of {', '.join(SEVERITIES)} "
                                           f"(\"\": never)")
    if s.justify.valid_days <= 0 or s.justify.max_chars < 1:
        fail("justify", "valid_days and max_chars must be positive")
    if s.log_format not in ("text", "json"):
        fail("log_format", "must be text or json")
    if not s.db_url.startswith(("sqlite:///", "postgresql+psycopg://")):
        fail("database_url", "must be sqlite:///PATH or postgresql://USER@HOST/DATABASE")
    if s.db_url.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
        fail("database_url", "is PostgreSQL, but its driver is not installed: "
                             "pip install 'mailscreen[postgres]'")
    if s.cluster.release_poll <= 0 or s.cluster.lease_seconds <= 0:
        fail("cluster", "release_poll and lease_seconds must be positive")
    if s.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        fail("log_level", "must be DEBUG, INFO, WARNING or ERROR")
    return s
