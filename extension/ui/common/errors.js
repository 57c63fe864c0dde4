// Host errors in words a user understands. Each error name gets a plain sentence; the host's
// own message follows as the detail (it never carries secrets).
const SENTENCES = {
  NotAllowedError: "That isn't allowed.",
  AbortError: "That was cancelled.",
  QuotaExceededError: "A usage limit was reached.",
  NotSupportedError: "That isn't supported.",
  InvalidStateError: "That can't be done right now.",
  OperationError: "navllm couldn't finish that.",
  NetworkError: "The service couldn't be reached. Check the address and your connection.",
  NotFoundError: "That no longer exists.",
  TimeoutError: "That took too long to answer.",
  DataError: "The data is damaged or in the wrong format.",
  SyntaxError: "Some of what you entered isn't written correctly.",
  TypeError: "Some of what you entered isn't valid.",
  RangeError: "A number you entered is out of range.",
};

/** {sentence, detail} for an error from the host client. */
export function describeError(err) {
  const sentence = SENTENCES[err?.name] ?? "Something went wrong.";
  const detail = err?.message && err.message !== sentence ? err.message : "";
  return { sentence, detail };
}

/** The same as one line of text. */
export function errorText(err) {
  const { sentence, detail } = describeError(err);
  return detail ? `${sentence} ${capitalise(detail)}.`.replace(/\.\.$/, ".") : sentence;
}

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** True when the host program itself could not be started or reached. */
export const hostMissing = (err) =>
  err?.name === "OperationError" && /host (unavailable|unreachable|disconnected)|native messaging host not found|No such native application/i.test(err.message ?? "");
