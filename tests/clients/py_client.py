"""A real MCP client (the official Python SDK, `mcp` 2.x) for the conformance tests: connects over
stdio to the command in its JSON argument (a server, or `mcpd connect NAME`), runs the steps, and
prints a transcript (JSON) of what it saw.

Argument: {"command": [...], "env": {...}, "mode": "auto" | "legacy" | "2026-07-28",
  "steps": [{"op": "list_tools"} | {"op": "call", "name": ..., "arguments": {...}}]}
"""
import asyncio
import json
import os
import sys

from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters


def dump(v):
    if hasattr(v, "model_dump"):
        return v.model_dump(mode="json", by_alias=True, exclude_none=True)
    return v


async def main():
    cfg = json.loads(sys.argv[1])
    params = StdioServerParameters(command=cfg["command"][0], args=cfg["command"][1:], env={**os.environ, **cfg.get("env", {})})
    out = {"steps": []}
    async with Client(params, mode=cfg.get("mode", "auto"), cache=None) as c:
        out["initialize"] = {
            "protocolVersion": c.protocol_version,
            "serverInfo": dump(c.server_info),
            "serverCapabilities": dump(c.server_capabilities),
            "instructions": c.instructions,
        }
        for step in cfg.get("steps", []):
            try:
                if step["op"] == "list_tools":
                    r = await c.list_tools()
                elif step["op"] == "call":
                    r = await c.call_tool(step["name"], step.get("arguments", {}))
                else:
                    raise ValueError("unknown op " + step["op"])
                out["steps"].append({"op": step["op"], "result": dump(r)})
            except Exception as e:  # noqa: BLE001 - the transcript records what the client saw
                out["steps"].append({"op": step["op"], "error": str(e)})
    print(json.dumps(out))


asyncio.run(main())
