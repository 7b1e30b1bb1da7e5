"""``cable-ocr review`` (browser queue of flagged words) and ``cable-ocr apply``."""

from __future__ import annotations

import getpass
import ipaddress
import socket
import threading
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.app import app
from pipeline.errors import BadArgumentsError, MissingDependencyError

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_header(host: str) -> str:
    """``host`` as a Host header carries it: IPv6 addresses in brackets, compressed."""
    if ":" not in host:
        return host.lower()
    try:
        return f"[{ipaddress.IPv6Address(host.strip('[]')).compressed}]"
    except ValueError:
        return f"[{host.strip('[]').lower()}]"


def allowed_hosts(host: str, token: str | None) -> list[str] | None:
    """Host header values the server answers when it listens on ``host``.

    Without a token: the listening address plus 127.0.0.1 and localhost (the DNS-rebinding
    guard). With a token: ``None``, any host (the token guards every request).
    """
    if token:
        return None
    return list(dict.fromkeys([host_header(host), "127.0.0.1", "localhost"]))


def _default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise BadArgumentsError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); try --port 0"
        ) from exc
    sock.listen(64)
    return sock


@app.command()
def review(
    out_dirs: Annotated[
        list[Path], typer.Argument(help="Output folders to review.", show_default=False)
    ],
    port: Annotated[int, typer.Option(help="Port (0 = any free port).")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option(help="Address to listen on; other than loopback needs --token.")
    ] = "127.0.0.1",
    token: Annotated[
        str | None, typer.Option(help="Access token every request must carry.")
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option(help="Reviewer name stored with decisions (default: login).")
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the browser.")
    ] = False,
) -> None:
    """Review flagged words in the browser; decisions go to OUTDIR/review.sqlite3.

    Keys: a approve, r reject, e edit, s skip, 1-5 pick an alternative, arrows move.

    \b
    Example:
        cable-ocr review out/moscow --reviewer alice
        cable-ocr review out/moscow out/cairo --host ::1 --port 0
    """  # noqa: D301 (\b keeps the example lines as written)
    if not is_loopback(host) and not token:
        raise BadArgumentsError(f"--host {host} is reachable from other machines; add --token")
    if token is not None and len(token) < 8:
        raise BadArgumentsError("--token must be at least 8 characters")
    if not 0 <= port <= 65535:
        raise BadArgumentsError(f"--port {port}: give 0-65535")
    try:
        import uvicorn

        from pipeline.review.webapp import create_app
    except ImportError as exc:
        raise MissingDependencyError(
            f"the review server needs the review extra ({exc.name}); "
            "pip install 'cable-ocr[review]'"
        ) from exc
    from pipeline.review.session import ReviewSession

    session = ReviewSession(out_dirs, reviewer or _default_reviewer())
    web = create_app(session, token=token, allowed_hosts=allowed_hosts(host, token))
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    shown = host_header(host)
    url = f"http://{shown}:{bound_port}/" + (f"?token={token}" if token else "")
    total = sum(len(folder.items) for folder in session.folders)
    typer.echo(f"reviewing {total} flagged word(s) in {len(session.folders)} folder(s)")
    typer.echo(f"open {url}  (Ctrl-C to stop)")
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning", lifespan="off"))
    if not no_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@app.command(name="apply")
def apply_command(
    out_dirs: Annotated[
        list[Path], typer.Argument(help="Reviewed output folders.", show_default=False)
    ],
) -> None:
    """Rewrite OUTDIR's transcript files with its review decisions and learn from them.

    Approved corrections go to user_words.txt, rejected OCR texts to protected.txt (in
    $CABLE_OCR_HOME or ~/.local/share/cable-ocr), for later runs.

    \b
    Example:
        cable-ocr apply out/moscow
    """  # noqa: D301 (\b keeps the example lines as written)
    from pipeline.review.session import apply_folder

    for out_dir in out_dirs:
        result = apply_folder(out_dir)
        typer.echo(result.line())
