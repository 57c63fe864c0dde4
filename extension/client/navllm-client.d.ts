// Types for navllm-client.js.

/** Which way navllm reaches the page: the navllm extension's navigator.llm, the browser's own
 * LanguageModel, or navllm serve over HTTP. */
export type NavllmRoute = "extension" | "browser" | "daemon";

export interface NavllmMessage {
  role: "system" | "user" | "assistant";
  /** Text only. */
  content: string;
}

/** A string (the user's message) or a conversation whose last message is the user's. */
export type NavllmInput = string | NavllmMessage[];

export interface NavllmPromptOptions {
  signal?: AbortSignal;
  /** 0 … 2. Ignored on the browser's LanguageModel, which does not let web pages set it. */
  temperature?: number;
  /** The reply's length bound, in tokens. Ignored on the browser's LanguageModel. */
  maxTokens?: number;
}

export interface NavllmClientOptions {
  /** A token the user made for this site with `navllm tokens create NAME`; without it navllm
   * serve is never tried. The site's origin must also be in the user's `serveAllowedOrigins`. */
  token?: string;
  /** Where navllm serve listens. Default: "http://127.0.0.1:11480". */
  baseUrl?: string;
}

export interface NavllmClient {
  /** The route calls will take, or null when none is there. */
  available(): Promise<NavllmRoute | null>;
  /** The reply as one string. Rejects with a NotSupportedError DOMException when no route is available. */
  prompt(input: NavllmInput, options?: NavllmPromptOptions): Promise<string>;
  /** The reply as text deltas; a NotSupportedError DOMException is thrown on the first step when no route is available. */
  promptStreaming(input: NavllmInput, options?: NavllmPromptOptions): AsyncIterable<string>;
}

export const DEFAULT_BASE_URL: string;
export function createNavllm(options?: NavllmClientOptions): NavllmClient;
/** A client without a token: the extension or the browser's own model only. */
export const navllm: NavllmClient;
