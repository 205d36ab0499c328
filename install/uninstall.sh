#!/usr/bin/env bash
# Undoes install/install.sh: `sudo make uninstall` (or install/uninstall.sh). The config
# (/etc/mailscreen), the data (/var/lib/mailscreen: held mail, the audit chain, its key),
# the service user and the admin group stay, so a reinstall carries on where it stopped;
# --purge removes them too, for good.
set -euo pipefail

PREFIX=/opt/mailscreen
USER_NAME=mailscreen
ADMIN_GROUP=mailscreen-admin
UNITS=(mailscreen.service mailscreen-purge.service mailscreen-purge.timer
       mailscreen-report.service mailscreen-report.timer)

die() { echo "uninstall: $*" >&2; exit 1; }

purge=false
case "${1:-}" in
    "") ;;
    --purge) purge=true ;;
    *) die "usage: $0 [--purge]" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run it as root (sudo make uninstall)"

if [ -d /run/systemd/system ]; then
    systemctl disable --now "${UNITS[@]}" 2>/dev/null || true
fi
# never remove the program under a running relay (held mail would wait with no one to tell)
if getent passwd "$USER_NAME" >/dev/null && pgrep -u "$USER_NAME" >/dev/null; then
    die "processes of $USER_NAME still run (the relay?): stop them first"
fi
for unit in "${UNITS[@]}"; do rm -f "/etc/systemd/system/$unit"; done
[ -d /run/systemd/system ] && systemctl daemon-reload
if [ "$(readlink /usr/local/bin/mailscreen 2>/dev/null)" = "$PREFIX/bin/mailscreen" ]; then
    rm -f /usr/local/bin/mailscreen
fi
rm -rf "$PREFIX" /run/mailscreen

if $purge; then
    rm -rf /etc/mailscreen /var/lib/mailscreen
    getent passwd "$USER_NAME" >/dev/null && userdel "$USER_NAME"
    getent group "$USER_NAME" >/dev/null && groupdel "$USER_NAME"
    getent group "$ADMIN_GROUP" >/dev/null && groupdel "$ADMIN_GROUP"
    echo "uninstall: done; config, data, user and group removed"
else
    echo "uninstall: done; kept /etc/mailscreen, /var/lib/mailscreen, user $USER_NAME and" \
         "group $ADMIN_GROUP (--purge removes them)"
fi
