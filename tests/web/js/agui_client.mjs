// Drives a botkit web thread with the real @ag-ui/client HttpAgent (tests/web/test_web_agui.py):
// run 1 calls a tool whose choice is answered over HTTP while the run streams, run 2 ends in
// an interrupt, run 3 resumes it. Prints what the agent saw as JSON.
import { HttpAgent } from "@ag-ui/client";

const [url, threadId, user] = process.argv.slice(2);
const headers = { "X-User-Id": user };
const agent = new HttpAgent({ url: `${url}/agui`, threadId, headers });
const report = { runs: [] };

async function answerChoice(event) {
  const card = event.value;
  if (event.name !== "botkit.message" || !card.controls?.length) return;
  const response = await fetch(`${url}/threads/${threadId}/actions`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({ action_id: card.controls[0].action_id, message_id: card.id }),
  });
  report.answered = response.status;
}

async function run(params, text) {
  if (text) agent.addMessage({ id: `u-${report.runs.length}`, role: "user", content: text });
  const types = [];
  const answering = [];  // the clicks sent while the run streams, awaited before going on
  const result = await agent.runAgent(params, {
    onEvent: ({ event }) => { types.push(event.type); },
    onCustomEvent: ({ event }) => { answering.push(answerChoice(event)); },
  });
  await Promise.all(answering);
  report.runs.push({ types, interrupts: agent.pendingInterrupts, result: result.result ?? null });
}

try {
  await run({}, "open a ticket");
  await run({}, "deploy now");
  const [pending] = agent.pendingInterrupts;
  await run({ resume: [{ interruptId: pending.id, status: "resolved", payload: "ship it" }] });
  report.messages = agent.messages.map((m) => ({
    role: m.role, content: m.content ?? null,
    toolCalls: (m.toolCalls ?? []).map((c) => ({ name: c.function.name, args: c.function.arguments })),
  }));
  console.log(JSON.stringify(report));
} catch (error) {
  console.error(`agui client failed: ${error?.stack ?? error}`);
  process.exit(1);
}
