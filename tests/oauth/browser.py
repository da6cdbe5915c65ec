"""A stand-in for a person's web browser, for end-to-end OAuth tests against ``provider.mjs``.

    python tests/oauth/browser.py URL             # open URL: follow the provider's redirects, then GET the callback
    python tests/oauth/browser.py --print URL     # print the callback URL (with code, state, iss) instead
    python tests/oauth/browser.py DEVICE_URL      # a device verification URL (.../device?user_code=...): confirm it

Python's ``webbrowser`` module runs ``$BROWSER`` with the URL (``BROWSER="python tests/oauth/browser.py %s"``), so a
program that opens the authorization URL that way gets its loopback callback as if someone had signed in.
Exit status: 0 when the callback answered below 400 (or was printed), 1 otherwise; the reason goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import confirm_device, follow_to_callback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the callback URL instead of requesting it")
    parser.add_argument("url")
    args = parser.parse_args(argv)
    import httpx2

    try:
        if urlsplit(args.url).path == "/device":
            confirm_device(args.url)
            return 0
        callback = follow_to_callback(args.url)
        if args.print:
            print(callback)
            return 0
        status = httpx2.get(callback, timeout=30).status_code
    except (AssertionError, httpx2.HTTPError) as exc:
        print(f"browser.py: {exc}", file=sys.stderr)
        return 1
    if status >= 400:
        print(f"browser.py: the callback answered HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
