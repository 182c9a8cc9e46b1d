"""`python -m assessment_video --host 127.0.0.1 --port 8765` (configuration from the environment)."""
from __future__ import annotations

import argparse
import logging

from aiohttp import web

from .app import make_app
from .config import load_config


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted (closing every room on the way out)."""
    parser = argparse.ArgumentParser(prog="assessment_video", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("aioice").setLevel(logging.WARNING)
    logging.getLogger("aiortc").setLevel(logging.WARNING)
    web.run_app(make_app(load_config()), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
