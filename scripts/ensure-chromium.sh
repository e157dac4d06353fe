#!/usr/bin/env bash
# Installs Debian's Chromium for the HTML report's browser tests when it is missing.
# Needs root (as in CI); without it the browser tests skip and say why.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium from Debian's packages (browser tests)..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/tmp/papertiger-chromium.log 2>&1 \
    || echo "chromium install failed (see /tmp/papertiger-chromium.log); browser tests will skip"
else
  echo "chromium not found and cannot install it (not root); browser tests will skip"
fi
exit 0
