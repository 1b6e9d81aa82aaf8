"""Serve an ASGI app with several uvicorn worker processes, each accepting on its own socket.

    python -m config.serve config.asgi:application --host 127.0.0.1 --port 8000 --workers 2

`uvicorn --workers N` binds one socket that all its workers accept from. A worker woken first
accepts every connection waiting (asyncio accepts up to the backlog at once), so clients that
connect together — the clerks of a morning, a page opening several connections — can all land on
one worker while the other idles, and keep-alive keeps them there: 16 clients connecting at
once went 16 to 0 in two tries of five on this machine. Here each worker listens on a socket of
its own bound with SO_REUSEPORT, and the kernel hands each new connection to one of them by a
hash of its addresses: 16 clients went 6–10 to 7–9, never all to one.

Supervision is uvicorn's own (`uvicorn.supervisors.Multiprocess`): a worker that dies or stops
answering its health check is replaced, TERM or INT stops them all gracefully, HUP replaces them
one by one, TTIN/TTOU add or remove one. A dead worker's socket leaves the group, so its share
of new connections goes to the others until its replacement listens.

The port is checked free before any worker starts (a plain bind, without SO_REUSEPORT): with
SO_REUSEPORT alone, a second instance started on the same port would silently share its
connections with the first.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
from collections.abc import Sequence

import uvicorn
from uvicorn.config import LOG_LEVELS, STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

logger = logging.getLogger("uvicorn.error")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on (or holds) host:port: a bind without SO_REUSEPORT succeeds."""
    probe = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no holder
        probe.bind((host, port))
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            return False
        raise
    finally:
        probe.close()
    return True


def worker_socket(host: str, port: int) -> socket.socket:
    """A socket of one worker, bound to the shared address with SO_REUSEPORT (not yet listening:
    uvicorn's server listens on it with its backlog)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class OwnSocketProcess(multiprocess.Process):
    """uvicorn's worker process, listening on a socket of its own instead of the parent's."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        # Runs in the child (the bound method is what the spawned process is given).
        try:
            own = worker_socket(self.config.host, self.config.port)
        except OSError as error:
            logger.error("Cannot bind %s:%s: %s", self.config.host, self.config.port, error)
            sys.exit(STARTUP_FAILURE)
        super().target([own])


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m config.serve",
        description="Serve an ASGI app with N uvicorn workers, each on its own SO_REUSEPORT socket.",
    )
    parser.add_argument("app", help="the ASGI application, as module:attribute")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ws", default="websockets")
    parser.add_argument("--lifespan", default="auto", choices=["auto", "on", "off"])
    parser.add_argument("--log-level", default="info", choices=sorted(LOG_LEVELS))
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=None)
    # As uvicorn's command: X-Forwarded-* trusted from --forwarded-allow-ips (default: the
    # FORWARDED_ALLOW_IPS variable, else 127.0.0.1), --no-proxy-headers to ignore them.
    parser.add_argument("--proxy-headers", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--forwarded-allow-ips", default=None)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not 1 <= args.port <= 65535:
        # (not 0: every worker would get a port of its own, and there would be no one address)
        parser.error("--port must be within 1-65535")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    config = uvicorn.Config(
        args.app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ws=args.ws,
        lifespan=args.lifespan,
        log_level=args.log_level,
        access_log=args.access_log,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    if not port_free(args.host, args.port):
        logger.error(
            "%s:%s is already in use: is another instance serving there?", args.host, args.port
        )
        return STARTUP_FAILURE
    logger.info(
        "Serving %s on %s:%s with %d workers, each on its own socket (SO_REUSEPORT)",
        args.app,
        args.host,
        args.port,
        args.workers,
    )
    # uvicorn's supervisor makes its workers by this module-level name (at start, on a restart,
    # on TTIN): ours listens on a socket of its own. Only this process (the parent) is patched.
    multiprocess.Process = OwnSocketProcess  # type: ignore[misc]
    multiprocess.Multiprocess(config, sockets=[]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
