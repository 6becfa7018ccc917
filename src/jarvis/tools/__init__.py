"""Tools the assistant can call: typed Python functions, plugin tools and MCP tools, behind one registry."""
