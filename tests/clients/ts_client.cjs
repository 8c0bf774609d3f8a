// A real MCP client (the official TypeScript SDK) for the conformance tests: connects over stdio to
// the command in its JSON argument (a server, or `mcpd connect NAME`), runs the steps, and prints a
// transcript (JSON) of what it saw. The SDK's folder is $MCP_SDK.
//
// Argument: {"command": [...], "env": {...}, "name": "client name", "protocolVersion": "...",
//   "capabilities": {...}, "roots": ["/dir", ...], "steps": [{"op": ..., ...}]}
// Ops: list_tools, call {name, arguments}, list_resources, read {uri}, list_prompts,
//   set_level {level}, sleep {ms}, until {name, arguments, absent} (not recorded).
const path = require("path");
const sdk = process.env.MCP_SDK;
const { Client } = require(path.join(sdk, "dist/cjs/client/index.js"));
const { StdioClientTransport } = require(path.join(sdk, "dist/cjs/client/stdio.js"));
const types = require(path.join(sdk, "dist/cjs/types.js"));

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const seen = { server_requests: [], notifications: {} };
  const transport = new StdioClientTransport({
    command: cfg.command[0],
    args: cfg.command.slice(1),
    env: { ...process.env, ...(cfg.env || {}) },
    stderr: "inherit",
  });
  // The negotiated version, from the initialize response itself; an older client asks for its own.
  let initId = null;
  let negotiated = null;
  const send = transport.send.bind(transport);
  transport.send = (msg, opts) => {
    if (msg.method === "initialize") {
      initId = msg.id;
      if (cfg.protocolVersion) msg.params.protocolVersion = cfg.protocolVersion;
    }
    return send(msg, opts);
  };
  let handler;
  Object.defineProperty(transport, "onmessage", {
    configurable: true,
    get() { return handler; },
    set(h) {
      handler = h && ((m, extra) => {
        if (initId !== null && m.id === initId && m.result) negotiated = m.result.protocolVersion;
        return h(m, extra);
      });
    },
  });
  const client = new Client(
    { name: cfg.name || "conformance", version: "1.0.0" },
    { capabilities: cfg.capabilities || {} },
  );
  const caps = cfg.capabilities || {};
  if (caps.sampling) {
    client.setRequestHandler(types.CreateMessageRequestSchema, async (req) => {
      seen.server_requests.push("sampling/createMessage");
      return { role: "assistant", model: "test-model", content: { type: "text", text: `sampled by ${cfg.name}` } };
    });
  }
  if (caps.elicitation) {
    client.setRequestHandler(types.ElicitRequestSchema, async (req) => {
      seen.server_requests.push("elicitation/create");
      return { action: "decline" };
    });
  }
  if (caps.roots) {
    client.setRequestHandler(types.ListRootsRequestSchema, async () => {
      seen.server_requests.push("roots/list");
      return { roots: (cfg.roots || []).map((d) => ({ uri: "file://" + d, name: path.basename(d) })) };
    });
  }
  client.fallbackNotificationHandler = async (n) => {
    seen.notifications[n.method] = (seen.notifications[n.method] || 0) + 1;
  };
  await client.connect(transport);
  const out = {
    initialize: {
      protocolVersion: negotiated,
      serverVersion: client.getServerVersion(),
      serverCapabilities: client.getServerCapabilities(),
      instructions: client.getInstructions() || null,
    },
    steps: [],
  };
  for (const step of cfg.steps || []) {
    try {
      let r;
      switch (step.op) {
        case "list_tools": r = await client.listTools(); break;
        case "call": r = await client.callTool({ name: step.name, arguments: step.arguments || {} }); break;
        case "list_resources": r = await client.listResources(); break;
        case "read": r = await client.readResource({ uri: step.uri }); break;
        case "list_prompts": r = await client.listPrompts(); break;
        case "set_level": r = await client.setLoggingLevel(step.level); break;
        case "sleep": await new Promise((ok) => setTimeout(ok, step.ms)); r = {}; break;
        case "until": {
          // Calls a tool until its text no longer contains `absent` (at most 100 times, 50 ms
          // apart); not recorded. For servers that apply what they learn asynchronously.
          for (let i = 0; i < 100; i++) {
            const t = await client.callTool({ name: step.name, arguments: step.arguments || {} });
            if (!JSON.stringify(t).includes(step.absent)) break;
            await new Promise((ok) => setTimeout(ok, 50));
          }
          continue;
        }
        default: throw new Error("unknown op " + step.op);
      }
      out.steps.push({ op: step.op, result: r });
    } catch (e) {
      out.steps.push({ op: step.op, error: String(e.message || e) });
    }
  }
  out.server_requests = seen.server_requests;
  out.notifications = seen.notifications;
  await client.close();
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ fatal: String(e && e.stack || e) }) + "\n");
  process.exit(1);
});
