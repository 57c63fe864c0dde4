// For the extension's own pages: talk to the host through the background over one
// "navllm-admin" port. The background accepts it only from this extension's documents.
//
//   const client = hostClient();
//   const data = await client.request("settings.get", {});
//   await client.request("prompt", {session, input}, {onChunk: (c) => ..., signal});
const api = globalThis.browser ?? globalThis.chrome;

const toError = (error) => {
  const err = new Error(error?.message ?? "navllm request failed");
  err.name = error?.name ?? "UnknownError";
  if (error?.details) err.details = error.details;
  return err;
};

export function hostClient() {
  let port = null;
  let lastId = 0;
  const pending = new Map();

  const connect = () => {
    if (port) return port;
    port = api.runtime.connect({ name: "navllm-admin" });
    port.onMessage.addListener(({ id, reply }) => {
      const entry = pending.get(id);
      if (!entry) return;
      if (reply.type === "chunk") entry.onChunk?.(reply);
      else if (reply.type === "progress") entry.onProgress?.(reply.loaded);
      else if (reply.type === "event") entry.onEvent?.(reply.name);
      else {
        pending.delete(id);
        if (reply.type === "done") entry.resolve(reply.data);
        else entry.reject(toError(reply.error));
      }
    });
    port.onDisconnect.addListener(() => {
      port = null;
      for (const entry of pending.values()) entry.reject(toError({ name: "OperationError", message: "navllm extension disconnected" }));
      pending.clear();
    });
    return port;
  };

  const request = (type, body = {}, { signal, onChunk, onProgress, onEvent } = {}) =>
    new Promise((resolve, reject) => {
      const id = ++lastId;
      pending.set(id, { resolve, reject, onChunk, onProgress, onEvent });
      const target = connect();
      signal?.addEventListener("abort", () => target.postMessage({ cancel: id }), { once: true });
      target.postMessage({ id, type, body });
    });

  return { request, close: () => port?.disconnect() };
}
