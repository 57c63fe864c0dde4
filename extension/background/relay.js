// Relay one extension port (a page frame's or an extension page's) to the host.
//
// The port speaks {id, type, body} and {cancel: id}; ids are the port's own (safe
// integers), so two frames can never touch each other's requests. Replies go back as
// {id, reply}. The caller is fixed when the port opens, from the browser's sender data (given as
// a promise where reading it takes a moment: requests wait for it).
import { errorReply, hostCall, hostCancel } from "./native.js";

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * options.types: request types this port may send (null = any).
 * options.onPermission: async (ask) => void, resolves when the user decided (null = never asked).
 */
export function relayPort(port, callerReady, { types = null, onPermission = null } = {}) {
  const active = new Map(); // port's request id -> current host handle (or null while asking the user)
  let caller = null; // set before the first request is sent

  const send = (id, reply) => {
    if (!active.has(id)) return;
    if (reply.type === "done" || reply.type === "error") active.delete(id);
    const { id: _hostId, ...body } = reply;
    try {
      port.postMessage({ id, reply: body });
    } catch {
      active.delete(id); // the frame went away meanwhile
    }
  };

  const attempt = (id, type, body) => {
    // Whatever the message says, these three come from here.
    const handle = hostCall({ ...body, type, caller }, (update) => send(id, update));
    active.set(id, handle);
    return handle.done;
  };

  const run = async (id, type, body) => {
    caller ??= await callerReady;
    if (!active.has(id)) return; // cancelled meanwhile
    let outcome = await attempt(id, type, body);
    if (outcome.type === "permission_required" && onPermission && active.has(id)) {
      active.set(id, null);
      try {
        await onPermission(outcome.ask, caller);
      } catch (err) {
        send(id, errorReply(err?.name ?? "NotAllowedError", err?.message ?? "permission was not granted"));
        return;
      }
      if (!active.has(id)) return; // cancelled while the user decided
      outcome = await attempt(id, type, body);
    }
    if (outcome.type === "permission_required") outcome = errorReply("NotAllowedError", `${caller.origin} has no permission to use navllm`);
    send(id, outcome);
  };

  port.onMessage.addListener((message) => {
    if (!isObject(message)) return;
    if ("cancel" in message) {
      const handle = active.get(message.cancel);
      if (handle) hostCancel(handle);
      else if (handle === null) send(message.cancel, errorReply("AbortError", "the request was cancelled"));
      return;
    }
    const { id, type, body } = message;
    if (!Number.isSafeInteger(id)) return;
    if (active.has(id)) {
      port.postMessage({ id, reply: errorReply("InvalidStateError", `request ${id} is already in flight`) });
      return;
    }
    active.set(id, null);
    if (typeof type !== "string" || (types && !types.has(type))) {
      send(id, errorReply("NotSupportedError", `unknown request type ${String(type).slice(0, 64)}`));
    } else if (!isObject(body)) {
      send(id, errorReply("TypeError", "the request body must be an object"));
    } else {
      run(id, type, body);
    }
  });

  port.onDisconnect.addListener(() => {
    // Tab closed or navigated: nobody is listening, so stop the work.
    for (const handle of active.values()) if (handle) hostCancel(handle);
    active.clear();
  });
}
