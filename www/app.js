// The live demo page. It is served by the hub worker itself (Workers static
// assets), next to the npm package (./ssekit/, copied in by
// `cargo xtask build site`) and demo-config.json (written by it from the
// local tokens and the channel name ./scripts/demo.sh chose).
import { EventSource } from "./ssekit/index.js";

const $ = (selector) => document.querySelector(selector);
const config = await (await fetch("demo-config.json")).json();
const channel = config.channel;
const channelUrl = `/channels/${encodeURIComponent(channel)}`;
const stateNames = ["connecting", "open", "closed"];

$("#channel-name").textContent = channel;

// ---- The subscription: custom header, retry policy, resume. ----
const source = new EventSource(`${channelUrl}/events`, {
  headers: { Authorization: `Bearer ${config.subscribeToken}` },
  retry: { initialMs: 500, maxMs: 5000, multiplier: 2, jitter: 0.1 },
});
let opens = 0;
let count = 0;
let previousId = null;
let dropping = false;

function showState() {
  const name = stateNames[source.readyState];
  $("#state").textContent = name;
  $("#state").dataset.state = name;
}

function addLine(className, parts) {
  const item = document.createElement("li");
  item.className = className;
  for (const [cls, text] of parts) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    item.append(span);
  }
  $("#events").prepend(item);
}

function receive(event) {
  count++;
  // Assigned ids are consecutive numbers: any gap or repeat would show here.
  const id = Number(event.lastEventId);
  if (previousId !== null && Number.isInteger(id) && id !== previousId + 1) {
    $("#continuity").textContent = `no: ${previousId} → ${id}`;
    $("#continuity").dataset.ok = "false";
  }
  if (Number.isInteger(id)) previousId = id;
  $("#last-id").textContent = event.lastEventId || "–";
  $("#count").textContent = String(count);
  addLine(dropping ? "replayed" : "", [
    ["id", event.lastEventId],
    ["type", event.type],
    ["data", event.data],
  ]);
}

source.addEventListener("open", () => {
  opens++;
  $("#reconnects").textContent = String(opens - 1);
  if (opens > 1) addLine("note", [["data", `reconnected, resuming after id ${$("#last-id").textContent}`]]);
  showState();
});
source.addEventListener("error", (event) => {
  showState();
  if (source.readyState === EventSource.CLOSED) {
    addLine("note", [["data", `closed for good: ${event.status ?? event.error?.message ?? "error"}`]]);
  }
});
source.addEventListener("message", receive);
source.addEventListener("notice", receive);
setInterval(showState, 250);

// ---- Publishing. ----
async function publish(body) {
  const response = await fetch(`${channelUrl}/events`, {
    method: "POST",
    headers: { Authorization: `Bearer ${config.publishToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const result = await response.json();
  if (!response.ok) throw new Error(result.error ?? response.statusText);
  return result;
}

$("#publish-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const body = { data: form.get("data") };
  if (form.get("event")) body.event = form.get("event");
  try {
    const result = await publish(body);
    $("#publish-result").textContent = `published id ${result.id} to ${result.delivered} subscriber(s)`;
    e.target.elements.data.value = "";
  } catch (error) {
    $("#publish-result").textContent = `refused: ${error.message}`;
  }
});

// ---- Drop the connection: the server ends every stream; three events are
// published while this page is away; the reconnect resumes after the last
// id it saw, so they arrive exactly once. ----
$("#drop").addEventListener("click", async () => {
  $("#drop").disabled = true;
  dropping = true;
  try {
    const response = await fetch(`${channelUrl}/disconnect`, {
      method: "POST",
      headers: { Authorization: `Bearer ${config.publishToken}` },
    });
    if (!response.ok) throw new Error(`disconnect: ${response.status}`);
    addLine("note", [["data", "connection dropped by the server"]]);
    for (let i = 1; i <= 3; i++) await publish({ event: "notice", data: `sent while disconnected (${i}/3)` });
    await new Promise((resolve) => source.addEventListener("open", resolve, { once: true }));
  } catch (error) {
    addLine("note", [["data", error.message]]);
  } finally {
    setTimeout(() => (dropping = false), 1000);
    $("#drop").disabled = false;
  }
});

// ---- Chat: a POST whose answer streams token by token. ----
$("#chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const prompt = new FormData(e.target).get("prompt");
  const answer = $("#answer");
  const button = e.target.querySelector("button");
  answer.textContent = "";
  answer.dataset.state = "streaming";
  button.disabled = true;
  const chat = new EventSource("/chat", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt }),
    retry: { initialMs: 300, maxAttempts: 3 },
  });
  const finish = (state) => {
    chat.close();
    answer.dataset.state = state;
    button.disabled = false;
  };
  chat.addEventListener("token", (event) => (answer.textContent += event.data));
  chat.addEventListener("done", () => finish("done"));
  chat.addEventListener("error", () => {
    if (chat.readyState === EventSource.CLOSED) finish("failed");
  });
});
