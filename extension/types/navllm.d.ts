// Type declarations for the two page surfaces navllm provides:
// the Prompt API (`LanguageModel`, where the browser has none) and `navigator.llm`.

// ---- Prompt API ----------------------------------------------------------------------------

type LanguageModelAvailability = "unavailable" | "downloadable" | "downloading" | "available";
type LanguageModelMessageRole = "system" | "user" | "assistant";
type LanguageModelMessageType = "text" | "image" | "audio" | "tool-call" | "tool-response";
type LanguageModelSamplingMode =
  | "most-predictable"
  | "predictable"
  | "slightly-predictable"
  | "balanced"
  | "slightly-creative"
  | "creative"
  | "most-creative";

type LanguageModelImageSource = ImageBitmapSource | VideoFrame;
type LanguageModelAudioSource = AudioBuffer | Blob | BufferSource;

interface LanguageModelExpected {
  type: LanguageModelMessageType;
  /** BCP 47 tags; invalid tags reject with RangeError, valid ones are canonicalised. */
  languages?: string[];
}

interface LanguageModelTool {
  name: string;
  description: string;
  /** A JSON Schema whose `type` is "object". */
  inputSchema: object;
}

type LanguageModelMessageContent =
  | { type: "text"; value: string }
  | { type: "image"; value: LanguageModelImageSource }
  | { type: "audio"; value: LanguageModelAudioSource }
  | { type: "tool-response"; value: LanguageModelToolSuccess | LanguageModelToolError };

interface LanguageModelMessage {
  role: LanguageModelMessageRole;
  content: string | LanguageModelMessageContent[];
  /** On a final assistant message: pre-fill the reply (the result excludes the prefix). */
  prefix?: boolean;
}

type LanguageModelPrompt = string | LanguageModelMessage[];

interface LanguageModelCreateCoreOptions {
  expectedInputs?: LanguageModelExpected[];
  expectedOutputs?: LanguageModelExpected[];
  tools?: LanguageModelTool[];
  samplingMode?: LanguageModelSamplingMode;
  /** @deprecated Ignored on web pages; use samplingMode. */
  topK?: number;
  /** @deprecated Ignored on web pages; use samplingMode. */
  temperature?: number;
}

interface CreateMonitor extends EventTarget {
  ondownloadprogress: ((this: CreateMonitor, event: ProgressEvent) => unknown) | null;
}

interface LanguageModelCreateOptions extends LanguageModelCreateCoreOptions {
  /** A system message may only come first. */
  initialPrompts?: LanguageModelMessage[];
  /** Aborts creation; aborting later destroys the session with the signal's reason. */
  signal?: AbortSignal;
  /** Called synchronously with a target for `downloadprogress` events (loaded 0 … 1). */
  monitor?: (monitor: CreateMonitor) => void;
}

interface LanguageModelPromptOptions {
  /** A JSON Schema object, or a RegExp the reply must match. */
  responseConstraint?: object | RegExp;
  omitResponseConstraintInput?: boolean;
  signal?: AbortSignal;
}

interface LanguageModelAppendOptions {
  signal?: AbortSignal;
}

interface LanguageModelCloneOptions {
  signal?: AbortSignal;
}

interface LanguageModelParams {
  readonly defaultTopK: number;
  readonly maxTopK: number;
  readonly defaultTemperature: number;
  readonly maxTemperature: number;
}

declare class LanguageModelToolCall {
  readonly callID: string;
  /** The specification's spelling of `callID`. */
  readonly callId: string;
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

type LanguageModelReplyPart = { type: "text"; value: string } | { type: "tool-call"; value: LanguageModelToolCall };

declare class LanguageModelToolSuccess {
  constructor(init: { callID: string; name: string; result: { type: "text"; value: unknown }[] });
  readonly callID: string;
  readonly callId: string;
  readonly name: string;
  readonly result: { type: string; value: unknown }[];
}

declare class LanguageModelToolError {
  constructor(init: { callID: string; name: string; errorMessage: string });
  readonly callID: string;
  readonly callId: string;
  readonly name: string;
  readonly errorMessage: string;
}

declare class LanguageModel extends EventTarget {
  private constructor();
  static availability(options?: LanguageModelCreateCoreOptions): Promise<LanguageModelAvailability>;
  static create(options?: LanguageModelCreateOptions): Promise<LanguageModel>;
  static params(): Promise<LanguageModelParams | null>;

  /** The reply text, or its parts when the model called tools. */
  prompt(input: LanguageModelPrompt, options?: LanguageModelPromptOptions): Promise<string | LanguageModelReplyPart[]>;
  /** Text deltas (and tool-call parts); also async-iterable. */
  promptStreaming(input: LanguageModelPrompt, options?: LanguageModelPromptOptions): ReadableStream<string | LanguageModelReplyPart>;
  append(input: LanguageModelPrompt, options?: LanguageModelAppendOptions): Promise<undefined>;
  measureContextUsage(input: LanguageModelPrompt, options?: LanguageModelPromptOptions): Promise<number>;
  clone(options?: LanguageModelCloneOptions): Promise<LanguageModel>;
  /** Later and in-flight calls reject with InvalidStateError; attributes stay readable. */
  destroy(): void;

  readonly contextUsage: number;
  readonly contextWindow: number;
  oncontextoverflow: ((this: LanguageModel, event: Event) => unknown) | null;
  readonly samplingMode: LanguageModelSamplingMode;
  /** @deprecated Always undefined on web pages. */
  readonly topK: undefined;
  /** @deprecated Always undefined on web pages. */
  readonly temperature: undefined;

  /** @deprecated Older names of measureContextUsage / contextUsage / contextWindow / oncontextoverflow. */
  measureInputUsage(input: LanguageModelPrompt, options?: LanguageModelPromptOptions): Promise<number>;
  readonly inputUsage: number;
  readonly inputQuota: number;
  onquotaoverflow: ((this: LanguageModel, event: Event) => unknown) | null;
}

/** Installed where the browser lacks it: thrown when input does not fit the context window. */
declare class QuotaExceededError extends DOMException {
  constructor(message?: string, options?: { quota?: number; requested?: number });
  readonly quota: number | null;
  readonly requested: number | null;
}

// ---- navigator.llm -------------------------------------------------------------------------

declare namespace NavLLM {
  interface ModelChoice {
    /** A provider name from the user's chain; an unknown name falls back to the chain. */
    provider?: string;
    model?: string;
  }

  interface SessionOptions extends ModelChoice {
    systemPrompt?: string;
    initialPrompts?: LanguageModelMessage[];
    /** 0 … 2 */
    temperature?: number;
    /** An integer, 1 … 1000 */
    topK?: number;
    /** Cap on the tokens of each reply. */
    maxTokens?: number;
    /** Default constraint for every generate() of the session. */
    responseConstraint?: object | RegExp;
    tools?: LanguageModelTool[];
    signal?: AbortSignal;
    monitor?: (monitor: CreateMonitor) => void;
  }

  interface GenerateOptions {
    prompt: LanguageModelPrompt;
    signal?: AbortSignal;
    responseConstraint?: object | RegExp;
  }

  interface Session {
    generate(options: GenerateOptions): Promise<string | LanguageModelReplyPart[]>;
    generateStreaming(options: GenerateOptions): ReadableStream<string | LanguageModelReplyPart>;
    append(input: LanguageModelPrompt, options?: { signal?: AbortSignal }): Promise<undefined>;
    clone(options?: { signal?: AbortSignal }): Promise<Session>;
    readonly contextUsage: number;
    readonly contextWindow: number;
    destroy(): void;
  }

  interface ModelInfo {
    readonly provider: string;
    readonly [key: string]: unknown;
  }

  interface LLM {
    availability(options?: ModelChoice): Promise<LanguageModelAvailability>;
    createSession(options?: SessionOptions): Promise<Session>;
    /** A one-shot session: create, generate, destroy. */
    prompt(text: LanguageModelPrompt, options?: SessionOptions): Promise<string | LanguageModelReplyPart[]>;
    embed(texts: string | string[], options?: { model?: string }): Promise<Float32Array[]>;
    models(): Promise<ModelInfo[]>;
  }
}

interface Navigator {
  readonly llm: NavLLM.LLM;
}
