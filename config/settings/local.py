"""Settings for `make run`: the embedded default on one machine, served safely.

DEBUG is off unless DEBUG=1 is set (tracebacks would show settings and code to anyone); static
files are served by WhiteNoise either way. SECRET_KEY comes from the environment or is generated
once under VAR_DIR (config/settings/secret.py).
"""

import os

from .base import *  # noqa: F403
from .base import DEBUG, VAR_DIR
from .secret import ensure_secret_key, secret_key_from_file

SECRET_KEY = ensure_secret_key(
    os.environ.get("SECRET_KEY") or secret_key_from_file(VAR_DIR), debug=DEBUG
)
