"""Serve the newsroom site from the command line: `python -m crawler.newsroom --port 8000 --articles 200`."""

from __future__ import annotations

import argparse
import contextlib
import sys

from crawler.newsroom.site import MAX_ARTICLES, MIN_ARTICLES, Newsroom


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.newsroom", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free port)")
    parser.add_argument(
        "--articles",
        type=int,
        default=200,
        help=f"number of articles, the seed article included ({MIN_ARTICLES}-{MAX_ARTICLES})",
    )
    parser.add_argument("--seed", default="1", help="generator seed: the same seed gives the same site")
    parser.add_argument("--page-size", type=int, default=20, help="stories per listing page")
    args = parser.parse_args(argv)
    seed: int | str = int(args.seed) if args.seed.lstrip("-").isdigit() else args.seed
    try:
        newsroom = Newsroom(articles=args.articles, seed=seed, page_size=args.page_size)
    except ValueError as error:
        parser.error(str(error))

    def announce(base_url: str) -> None:
        print(
            f"newsroom: {args.articles} articles, seed {seed}, serving {base_url}/ "
            f"(seed article: {base_url}{newsroom.seed_story.path})",
            file=sys.stderr,
            flush=True,
        )

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the server is meant to stop
        newsroom.serve(args.host, args.port).serve_forever(announce)
    return 0


if __name__ == "__main__":
    sys.exit(main())
