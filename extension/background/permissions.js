// Asks the user whether a page may use navllm. The permission prompt window lands with the
// grant store's prompt flow; until then every ask is refused.
export async function requestPermission(ask, caller) {
  throw { name: "NotAllowedError", message: "permission prompts are not available yet" };
}
