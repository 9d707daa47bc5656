#!/usr/bin/env bash
# The browser the web tests drive: Debian's chromium (Playwright's own browser download is not
# possible here). Installs it with apt when /usr/bin/chromium is missing; needs root for that.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "the web tests need /usr/bin/chromium: run 'apt-get install chromium' as root" >&2
  exit 1
fi
printf '\033[1m[setup]\033[0m %s\n' "chromium (apt) for the browser tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "chromium did not install (/usr/bin/chromium)" >&2; exit 1; }
