#!/usr/bin/env bash
# Serve the app on http://$HOST:$PORT (uvicorn, HTTP + WebSocket; default 127.0.0.1:8000) with the
# timer dispatcher (consultation deadlines) and a warm LibreOffice (scripts/unoserver.sh, for
# docx → PDF) beside it; all stop together, however this script is stopped (Ctrl-C, TERM to it or
# to its process group). Several instances run side by side on different PORTs: the converter's
# ports are free ones unless set. Set UNOSERVER=0 to convert with one-off soffice runs only.
set -euo pipefail
cd "$(dirname "$0")/.."
export HOST=${HOST:-127.0.0.1}
export PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
# Worker processes of uvicorn (WORKERS=1: one process, the embedded default). Several workers
# share their notifications through Redis and their data through PostgreSQL: both required.
WORKERS=${WORKERS:-1}
if [ "$WORKERS" -gt 1 ] && { [ -z "${REDIS_URL:-}" ] || [ -z "${DATABASE_URL:-}" ]; }; then
  echo "WORKERS=$WORKERS needs REDIS_URL (notifications cross workers through Redis) and" \
    "DATABASE_URL (PostgreSQL); see README, Production." >&2
  exit 2
fi
LOG_DIR=${VAR_DIR:-var}
mkdir -p "$LOG_DIR"

free_port() {
  .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The address printed in every issued PDF (link and QR code): what is served, unless set.
if [ -z "${PUBLIC_BASE_URL:-}" ]; then
  public_host=$HOST
  if [ "$HOST" = "0.0.0.0" ] || [ "$HOST" = "::" ]; then
    public_host=$(hostname -I 2>/dev/null | awk '{print $1}')
    public_host=${public_host:-127.0.0.1}
  fi
  export PUBLIC_BASE_URL="http://$public_host:$PORT"
fi
if [ -z "${ALLOWED_HOSTS:-}" ]; then
  public_name=${PUBLIC_BASE_URL#*://}
  public_name=${public_name%%/*}
  public_name=${public_name%:*}
  export ALLOWED_HOSTS="127.0.0.1,localhost,$public_name"
fi

uno=""
timers=""
web=""
# Stop what we started: a polite TERM, then KILL after a grace period. The converter runs in its
# own session (setsid), so its whole process group (unoserver and LibreOffice) goes together.
stop_all() {
  trap - EXIT INT TERM HUP
  [ -n "$web" ] && kill -TERM "$web" 2>/dev/null || true
  [ -n "$timers" ] && kill -TERM "$timers" 2>/dev/null || true
  [ -n "$uno" ] && kill -TERM -- "-$uno" 2>/dev/null || true
  for _ in $(seq 20); do
    alive=0
    for pid in $web $timers; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -n "$uno" ] && kill -0 -- "-$uno" 2>/dev/null && alive=1
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  [ -n "$web" ] && kill -KILL "$web" 2>/dev/null || true
  [ -n "$timers" ] && kill -KILL "$timers" 2>/dev/null || true
  [ -n "$uno" ] && kill -KILL -- "-$uno" 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM HUP

if [ "${UNOSERVER:-1}" != "0" ] && command -v soffice >/dev/null 2>&1; then
  export UNOSERVER_HOST=${UNOSERVER_HOST:-127.0.0.1}
  export UNOSERVER_PORT=${UNOSERVER_PORT:-$(free_port)}
  export UNOSERVER_UNO_PORT=${UNOSERVER_UNO_PORT:-$(free_port)}
  # Its own session and process group (setsid), so that stopping it also stops LibreOffice. The
  # app converts with one-off soffice runs until it answers (about 5-10 s; longer on the first
  # run, which creates .venv-uno).
  setsid bash scripts/unoserver.sh >"$LOG_DIR/unoserver.log" 2>&1 &
  uno=$!
  echo "Warm LibreOffice (unoserver) on $UNOSERVER_HOST:$UNOSERVER_PORT (UNO $UNOSERVER_UNO_PORT), pid $uno, log $LOG_DIR/unoserver.log"
fi

.venv/bin/python manage.py run_timers &
timers=$!
echo "Serving on http://$HOST:$PORT with $WORKERS worker(s) (public address $PUBLIC_BASE_URL; timer dispatcher pid $timers)"
# One worker: uvicorn itself. Several: config.serve, uvicorn's supervisor with each worker
# accepting on its own SO_REUSEPORT socket, so that clients connecting together are spread over
# the workers instead of all landing on the first one awake.
server=(.venv/bin/uvicorn)
[ "$WORKERS" -gt 1 ] && server=(.venv/bin/python -m config.serve --workers "$WORKERS")
# In the background and waited for, so that a TERM or Ctrl-C reaches the trap at once. Open
# WebSockets get 5 s to close when stopping, not for ever.
"${server[@]}" config.asgi:application --host "$HOST" --port "$PORT" --ws websockets \
  --timeout-graceful-shutdown 5 --log-level info &
web=$!
wait "$web"
