#!/usr/bin/env bash
# The system install (README, "Running it as a service"), run once by the clinic's admin as
# root from a checkout: `sudo make install` or `sudo install/install.sh`. Running it again
# upgrades the program and changes nothing else; the config is never overwritten.
#
#   /opt/mailscreen                 a venv from Debian's /usr/bin/python3 with mailscreen
#                                   installed from this checkout (not editable: the checkout
#                                   may go afterwards); readable by everyone, like /usr
#   /usr/local/bin/mailscreen       a link to it, on PATH and on sudo's secure_path
#   /etc/mailscreen/mailscreen.toml from mailscreen.example.toml, data_dir set; 0640
#                                   root:mailscreen-admin (admins and the relay read it)
#   /var/lib/mailscreen             the data: the service user's alone (0700)
#   mailscreen, mailscreen-admin    the service user (system, nologin, in the admin group so
#                                   it can give the admin socket to it) and the admin group
#   /etc/systemd/system/            the units, mailscreen.service and the purge timer enabled
#                                   (only when systemd runs; otherwise it says what it skipped)
set -euo pipefail
umask 022

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=/opt/mailscreen
ETC=/etc/mailscreen
DATA=/var/lib/mailscreen
USER_NAME=mailscreen
ADMIN_GROUP=mailscreen-admin  # admin.group and admin.raw_access_group by default
PYTHON=/usr/bin/python3

die() { echo "install: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run it as root (sudo make install)"
[ -x "$PYTHON" ] || die "needs Debian's Python 3.11+: apt install python3 python3-venv"
"$PYTHON" -c 'import sys, ensurepip; assert sys.version_info >= (3, 11)' 2>/dev/null \
    || die "needs Python 3.11+ with venv: apt install python3-venv"
dpkg -s libmagic1 >/dev/null 2>&1 || echo "install: libmagic1 is missing: apt install libmagic1" >&2

getent group "$ADMIN_GROUP" >/dev/null || groupadd --system "$ADMIN_GROUP"
getent passwd "$USER_NAME" >/dev/null || useradd --system --user-group --no-create-home \
    --home-dir "$DATA" --shell /usr/sbin/nologin "$USER_NAME"
usermod -a -G "$ADMIN_GROUP" "$USER_NAME"

# The program: pip reinstalls a local directory every time, so a rerun is an upgrade.
[ -x "$PREFIX/bin/python3" ] || "$PYTHON" -m venv "$PREFIX"
"$PREFIX/bin/pip" install --quiet "$SRC"
install -m 0644 "$SRC/README.md" "$PREFIX/README.md"  # the unit's Documentation=
ln -sfn "$PREFIX/bin/mailscreen" /usr/local/bin/mailscreen

install -d -m 0750 -o root -g "$ADMIN_GROUP" "$ETC"
if [ -e "$ETC/mailscreen.toml" ]; then
    echo "install: $ETC/mailscreen.toml kept as it is"
else
    sed 's|^data_dir = .*|data_dir = "'"$DATA"'"|' "$SRC/mailscreen.example.toml" \
        > "$ETC/mailscreen.toml.new"
    chown "root:$ADMIN_GROUP" "$ETC/mailscreen.toml.new"
    chmod 0640 "$ETC/mailscreen.toml.new"
    mv "$ETC/mailscreen.toml.new" "$ETC/mailscreen.toml"
    echo "install: wrote $ETC/mailscreen.toml: set [upstream] host (docs/deploy/) before starting"
fi
install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "$DATA"

for unit in "$SRC"/systemd/*.service "$SRC"/systemd/*.timer; do
    install -m 0644 "$unit" /etc/systemd/system/
done
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    # the report timer needs an address first (MAILSCREEN_REPORT_TO in its service)
    systemctl enable mailscreen.service mailscreen-purge.timer
    echo "install: done; start it with: systemctl start mailscreen"
else
    # what the unit's RuntimeDirectory= would make: the admin socket's directory
    install -d -m 0755 -o "$USER_NAME" -g "$USER_NAME" /run/mailscreen
    echo "install: systemd is not running (PID 1 is $(ps -o comm= -p 1)): the units are in" \
         "/etc/systemd/system but not enabled; start the relay with:" \
         "cd / && runuser -u $USER_NAME -- $PREFIX/bin/mailscreen serve"
fi
