#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the portal needs, or stops naming them.
#   Pango + HarfBuzz's subsetter + a CJK font: Chinese PDFs (WeasyPrint) in milliseconds
#   gettext: compiled translations; chromium: the end-to-end browser tests;
#   poppler-utils: pdftoppm, to look at generated PDFs.
# Arguments name more packages (`make bench` adds wrk, its HTTP load tool).
set -euo pipefail
PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext chromium poppler-utils "$@")
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    echo "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
  fi
fi
echo "Missing system packages: ${missing[*]}" >&2
echo "Install them (Debian/Ubuntu: apt-get install ${missing[*]}) and run again." >&2
exit 1
