#!/usr/bin/env bash
# Serve the app on http://127.0.0.1:8000 (uvicorn, HTTP + WebSocket) with the timer dispatcher
# (consultation deadlines) and a warm LibreOffice (scripts/unoserver.sh, for docx → PDF) running
# beside it; all stop together. Set UNOSERVER=0 to convert with one-off soffice runs only.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
LOG_DIR=${VAR_DIR:-var}
mkdir -p "$LOG_DIR"

uno=""
timers=""
web=""
stop_all() {
  [ -n "$web" ] && kill "$web" 2>/dev/null || true
  [ -n "$timers" ] && kill "$timers" 2>/dev/null || true
  if [ -n "$uno" ]; then
    # unoserver forwards TERM to LibreOffice; whatever is left of its process group goes after 5 s.
    kill -TERM "$uno" 2>/dev/null || true
    for _ in $(seq 10); do kill -0 "$uno" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$uno" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

if [ "${UNOSERVER:-1}" != "0" ] && command -v soffice >/dev/null 2>&1; then
  export UNOSERVER_HOST=${UNOSERVER_HOST:-127.0.0.1}
  export UNOSERVER_PORT=${UNOSERVER_PORT:-2003}
  # Its own process group (setsid), so that stopping it also stops LibreOffice. The app converts
  # with one-off soffice runs until it answers (about 5-10 s; longer on the first run, which
  # creates .venv-uno).
  setsid bash scripts/unoserver.sh >"$LOG_DIR/unoserver.log" 2>&1 &
  uno=$!
  echo "Warm LibreOffice (unoserver) on $UNOSERVER_HOST:$UNOSERVER_PORT, pid $uno, log $LOG_DIR/unoserver.log"
fi

.venv/bin/python manage.py run_timers &
timers=$!
echo "Serving on http://$HOST:$PORT (timer dispatcher pid $timers)"
# In the background and waited for, so that a TERM or Ctrl-C reaches the trap at once.
.venv/bin/uvicorn config.asgi:application --host "$HOST" --port "$PORT" --ws websockets \
  --log-level info &
web=$!
wait "$web"
