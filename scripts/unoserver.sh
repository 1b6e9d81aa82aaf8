#!/usr/bin/env bash
# Run a warm LibreOffice (unoserver) so that docx → PDF takes well under a second:
# XML-RPC on $UNOSERVER_HOST:$UNOSERVER_PORT (127.0.0.1:2003), UNO on $UNOSERVER_UNO_PORT (2002).
# The first run (or `scripts/unoserver.sh --install`) creates .venv-uno: Debian's python3 (which has python3-uno) with the unoserver
# package, the same version as the app's client. The app falls back to one-off soffice runs while
# this server warms up (about 5-10 s) or when it is down (documents/conversion.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
UNO_VENV=${UNO_VENV:-$ROOT/.venv-uno}
UNOSERVER_HOST=${UNOSERVER_HOST:-127.0.0.1}
UNOSERVER_PORT=${UNOSERVER_PORT:-2003}
UNOSERVER_UNO_PORT=${UNOSERVER_UNO_PORT:-2002}
# --user-installation must be an absolute path (a relative one raises ValueError).
# One profile per served port: LibreOffice locks its profile, so two instances need two.
PROFILE=$(realpath -m "${VAR_DIR:-$ROOT/var}/unoserver-profile${PORT:+-$PORT}")

if ! /usr/bin/python3 -c "import uno" 2>/dev/null; then
  echo "unoserver: Debian's python3-uno is missing (apt-get install python3-uno)" >&2
  exit 1
fi
# Two instances starting at once must not both build .venv-uno.
exec 9>"$ROOT/.venv-uno.lock"
flock 9
if [ ! -x "$UNO_VENV/bin/unoserver" ]; then
  version=$("$ROOT/.venv/bin/python" -c \
    "import importlib.metadata as m; print(m.version('unoserver'))" 2>/dev/null || echo 3.7)
  echo "unoserver: creating $UNO_VENV (unoserver $version)"
  /usr/bin/python3 -m venv --system-site-packages "$UNO_VENV"
  "$UNO_VENV/bin/pip" install -q "unoserver==$version"
fi
flock -u 9
[ "${1:-}" = "--install" ] && exit 0  # only create .venv-uno (make bench, make test-serve)
mkdir -p "$PROFILE"
echo "unoserver: listening on $UNOSERVER_HOST:$UNOSERVER_PORT (profile $PROFILE)"
exec "$UNO_VENV/bin/unoserver" --interface "$UNOSERVER_HOST" --port "$UNOSERVER_PORT" \
  --uno-port "$UNOSERVER_UNO_PORT" --user-installation "$PROFILE" \
  ${SOFFICE_BINARY:+--executable "$SOFFICE_BINARY"}
