"""A small real MCP server for the tests (official SDK): `python tests/mcp_server.py stdio` or
`python tests/mcp_server.py http PORT` (streamable HTTP at /mcp)."""

from __future__ import annotations

import asyncio
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("jarvis-test")


@server.tool()
def add_numbers(a: int, b: int) -> str:
    """Additionne deux entiers et donne la somme."""
    return f"La somme vaut {a + b}."


@server.tool()
async def wait_forever() -> str:
    """Ne répond jamais (pour tester les délais)."""
    await asyncio.sleep(3600)
    return "trop tard"


@server.tool()
def broken() -> str:
    """Échoue toujours."""
    raise ValueError("panne simulée")


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
