#!/usr/bin/env bash
# Serve the app on http://127.0.0.1:8000 (uvicorn, HTTP + WebSocket) with the timer dispatcher
# (consultation deadlines) running beside it; both stop together.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}

.venv/bin/python manage.py run_timers &
timers=$!
trap 'kill $timers 2>/dev/null || true' EXIT INT TERM
echo "Serving on http://$HOST:$PORT (timer dispatcher pid $timers)"
.venv/bin/uvicorn config.asgi:application --host "$HOST" --port "$PORT" --ws websockets --log-level info
