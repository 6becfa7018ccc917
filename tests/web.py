"""Helpers for the web app tests: one-time sign-in links from the real command line."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.servers import JarvisServer, run_cli

LINK = re.compile(r"http://\S+/\?token=\S+")


def signin_link(server: JarvisServer) -> str:
    """A fresh one-time sign-in link, as `jarvis signin-link` prints it for this server."""
    result = run_cli("signin-link", env=server.env)
    assert result.returncode == 0, result.stderr
    found = LINK.search(result.stderr)
    assert found is not None, result.stderr
    return found.group(0)


def link_token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]
