"""`kehoach-agent`: start the signing agent on 127.0.0.1.

    kehoach-agent --module /usr/lib/x86_64-linux-gnu/libeTPkcs11.so

Options may also come from the environment: KEHOACH_AGENT_PORT, KEHOACH_AGENT_MODULES (paths
separated by ":" — ";" on Windows), KEHOACH_AGENT_CONFIG_DIR, KEHOACH_AGENT_LANG.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import __version__
from .i18n import set_language
from .server import make_server
from .tokens import Tokens

DEFAULT_PORT = 19531
# Where the usual tokens' middleware installs itself on Debian/Ubuntu; the first that exists is
# used when no module is given.
KNOWN_MODULES = (
    "/usr/lib/libeTPkcs11.so",  # SafeNet eToken / Thales (e.g. national-CA tokens)
    "/usr/lib/x86_64-linux-gnu/libeTPkcs11.so",
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",  # OpenSC: many smart cards and tokens
    "/usr/lib/softhsm/libsofthsm2.so",  # SoftHSM2, for trying the agent out
)


def _config_dir() -> Path:
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home()))
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "kehoach-agent"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="kehoach-agent",
        description="Chương trình ký số bằng USB token (PKCS#11) cho hệ thống Kế hoạch UBND tỉnh.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("KEHOACH_AGENT_PORT", DEFAULT_PORT)),
        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0: any free port)",
    )
    modules = [m for m in os.environ.get("KEHOACH_AGENT_MODULES", "").split(os.pathsep) if m]
    parser.add_argument(
        "--module",
        action="append",
        default=None,
        help="PKCS#11 library of the token (repeatable)",
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=Path(os.environ.get("KEHOACH_AGENT_CONFIG_DIR", _config_dir())),
        help="where the paired pages are kept",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open the agent's window in the browser when a page asks",
    )
    parser.add_argument("--lang", default=os.environ.get("KEHOACH_AGENT_LANG", "vi"))
    parser.add_argument("--version", action="version", version=f"kehoach-agent {__version__}")
    arguments = parser.parse_args(argv)
    arguments.module = (
        arguments.module or modules or [m for m in KNOWN_MODULES if Path(m).exists()][:1]
    )
    return arguments


def _terminate(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    arguments = parse(argv)
    set_language(arguments.lang)
    if not arguments.module:
        print(
            "kehoach-agent: no PKCS#11 library found; give the token's with --module PATH",
            file=sys.stderr,
        )
        return 2
    try:
        server, agent = make_server(
            port=arguments.port,
            tokens=Tokens(arguments.module),
            config_dir=arguments.config_dir,
            open_browser=not arguments.no_browser,
        )
    except OSError as error:
        print(
            f"kehoach-agent: cannot listen on 127.0.0.1:{arguments.port}: {error}", file=sys.stderr
        )
        return 1
    signal.signal(signal.SIGTERM, _terminate)
    # The line tests and launchers wait for.
    print(f"kehoach-agent {__version__} listening on {agent.url}", flush=True)
    print(f"PKCS#11: {', '.join(arguments.module)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
