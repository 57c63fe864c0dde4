// Type declarations for the page surfaces navllm provides: the Prompt API (`LanguageModel`),
// the task APIs (Summarizer, Writer, Rewriter, Proofreader, Translator, LanguageDetector), each
// where the browser has none, and `navigator.llm`.

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
  | { type: "tool-response"; value: LanguageModelToolSuccess | LanguageModelToolError }
  /** History the page supplies, in assistant messages; needs expectedInputs 'tool-call'. */
  | { type: "tool-call"; value: LanguageModelToolCall };

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

declare class LanguageModelToolCall {
  /** Omitted or undefined arguments are {}. */
  constructor(init: { callID: string; name: string; arguments?: Record<string, unknown> });
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

// ---- Task APIs -----------------------------------------------------------------------------
// Availability values are LanguageModelAvailability's (the specifications' `Availability`).
// Invalid language tags reject with RangeError; valid ones are canonicalised and deduplicated.
// After destroy(), or once the create signal aborts, in-flight and later calls reject (with an
// AbortError DOMException, or the signal's reason); attributes stay readable.

type SummarizerType = "tldr" | "teaser" | "key-points" | "headline";
type SummarizerFormat = "plain-text" | "markdown";
type SummarizerLength = "short" | "medium" | "long";
type PerformancePreference = "auto" | "speed" | "capability";
type WriterTone = "formal" | "neutral" | "casual";
type WriterFormat = "plain-text" | "markdown";
type WriterLength = "short" | "medium" | "long";
type RewriterTone = "as-is" | "more-formal" | "more-casual";
type RewriterFormat = "as-is" | "plain-text" | "markdown";
type RewriterLength = "as-is" | "shorter" | "longer";
type CorrectionType = "spelling" | "punctuation" | "capitalization" | "preposition" | "missing-words" | "grammar";

interface TaskCreateOptions {
  /** Aborts creation; aborting later destroys the instance with the signal's reason. */
  signal?: AbortSignal;
  /** Called synchronously with a target for `downloadprogress` events (loaded 0 … 1). */
  monitor?: (monitor: CreateMonitor) => void;
}

/** Per-call options of summarize / write / rewrite and their streaming variants. */
interface WritingCallOptions {
  /** Background for this call only; the model is told not to follow instructions in it. */
  context?: string;
  signal?: AbortSignal;
}

interface TaskCallOptions {
  signal?: AbortSignal;
}

interface SummarizerCreateCoreOptions {
  /** Default "key-points". */
  type?: SummarizerType;
  /** Default "markdown". */
  format?: SummarizerFormat;
  /** Default "short". */
  length?: SummarizerLength;
  /** Default "auto": a hint for a faster or a more capable model; navllm's models serve all three alike. */
  preference?: PerformancePreference;
  expectedInputLanguages?: string[];
  expectedContextLanguages?: string[];
  outputLanguage?: string;
}

interface SummarizerCreateOptions extends SummarizerCreateCoreOptions, TaskCreateOptions {
  sharedContext?: string;
}

declare class Summarizer {
  private constructor();
  static availability(options?: SummarizerCreateCoreOptions): Promise<LanguageModelAvailability>;
  static create(options?: SummarizerCreateOptions): Promise<Summarizer>;
  /** "" for empty (or blank) input, without asking the model. */
  summarize(input: string, options?: WritingCallOptions): Promise<string>;
  /** Text deltas; also async-iterable. */
  summarizeStreaming(input: string, options?: WritingCallOptions): ReadableStream<string>;
  measureInputUsage(input: string, options?: WritingCallOptions): Promise<number>;
  destroy(): void;
  readonly sharedContext: string;
  readonly type: SummarizerType;
  readonly format: SummarizerFormat;
  readonly length: SummarizerLength;
  readonly preference: PerformancePreference;
  readonly expectedInputLanguages: ReadonlyArray<string> | null;
  readonly expectedContextLanguages: ReadonlyArray<string> | null;
  readonly outputLanguage: string | null;
  /** A call whose input (with context) measures more rejects with QuotaExceededError. */
  readonly inputQuota: number;
}

interface WriterCreateCoreOptions {
  /** Default "neutral". */
  tone?: WriterTone;
  /** Default "markdown". */
  format?: WriterFormat;
  /** Default "short". */
  length?: WriterLength;
  expectedInputLanguages?: string[];
  expectedContextLanguages?: string[];
  outputLanguage?: string;
}

interface WriterCreateOptions extends WriterCreateCoreOptions, TaskCreateOptions {
  sharedContext?: string;
}

declare class Writer {
  private constructor();
  static availability(options?: WriterCreateCoreOptions): Promise<LanguageModelAvailability>;
  static create(options?: WriterCreateOptions): Promise<Writer>;
  /** `input` is the writing task (what to write). */
  write(input: string, options?: WritingCallOptions): Promise<string>;
  writeStreaming(input: string, options?: WritingCallOptions): ReadableStream<string>;
  measureInputUsage(input: string, options?: WritingCallOptions): Promise<number>;
  destroy(): void;
  readonly sharedContext: string;
  readonly tone: WriterTone;
  readonly format: WriterFormat;
  readonly length: WriterLength;
  readonly expectedInputLanguages: ReadonlyArray<string> | null;
  readonly expectedContextLanguages: ReadonlyArray<string> | null;
  readonly outputLanguage: string | null;
  readonly inputQuota: number;
}

interface RewriterCreateCoreOptions {
  /** Default "as-is". */
  tone?: RewriterTone;
  /** Default "as-is". */
  format?: RewriterFormat;
  /** Default "as-is". */
  length?: RewriterLength;
  expectedInputLanguages?: string[];
  expectedContextLanguages?: string[];
  outputLanguage?: string;
}

interface RewriterCreateOptions extends RewriterCreateCoreOptions, TaskCreateOptions {
  sharedContext?: string;
}

declare class Rewriter {
  private constructor();
  static availability(options?: RewriterCreateCoreOptions): Promise<LanguageModelAvailability>;
  static create(options?: RewriterCreateOptions): Promise<Rewriter>;
  rewrite(input: string, options?: WritingCallOptions): Promise<string>;
  rewriteStreaming(input: string, options?: WritingCallOptions): ReadableStream<string>;
  measureInputUsage(input: string, options?: WritingCallOptions): Promise<number>;
  destroy(): void;
  readonly sharedContext: string;
  readonly tone: RewriterTone;
  readonly format: RewriterFormat;
  readonly length: RewriterLength;
  readonly expectedInputLanguages: ReadonlyArray<string> | null;
  readonly expectedContextLanguages: ReadonlyArray<string> | null;
  readonly outputLanguage: string | null;
  readonly inputQuota: number;
}

interface ProofreaderCreateCoreOptions {
  /** Default false. */
  includeCorrectionTypes?: boolean;
  /** Default false. */
  includeCorrectionExplanations?: boolean;
  expectedInputLanguages?: string[];
  correctionExplanationLanguage?: string;
}

interface ProofreaderCreateOptions extends ProofreaderCreateCoreOptions, TaskCreateOptions {}

interface ProofreadCorrection {
  /** UTF-16 offsets into the input, as JavaScript strings index. */
  startIndex: number;
  endIndex: number;
  correction: string;
  /** Only when the Proofreader was created with includeCorrectionTypes. */
  types?: CorrectionType[];
  /** Only when the Proofreader was created with includeCorrectionExplanations. */
  explanation?: string;
}

interface ProofreadResult {
  correctedInput: string;
  /** Absent when the input was blank (nothing to correct). */
  corrections?: ProofreadCorrection[];
}

declare class Proofreader {
  private constructor();
  static availability(options?: ProofreaderCreateCoreOptions): Promise<LanguageModelAvailability>;
  static create(options?: ProofreaderCreateOptions): Promise<Proofreader>;
  proofread(input: string, options?: TaskCallOptions): Promise<ProofreadResult>;
  measureInputUsage(input: string, options?: TaskCallOptions): Promise<number>;
  destroy(): void;
  readonly includeCorrectionTypes: boolean;
  readonly includeCorrectionExplanations: boolean;
  readonly expectedInputLanguages: ReadonlyArray<string> | null;
  readonly correctionExplanationLanguage: string | null;
  readonly inputQuota: number;
}

interface TranslatorCreateCoreOptions {
  sourceLanguage: string;
  targetLanguage: string;
}

interface TranslatorCreateOptions extends TranslatorCreateCoreOptions, TaskCreateOptions {}

declare class Translator {
  private constructor();
  /** "unavailable" for a language pair no configured model translates. */
  static availability(options: TranslatorCreateCoreOptions): Promise<LanguageModelAvailability>;
  /** From "downloadable", needs transient user activation (a click just before). */
  static create(options: TranslatorCreateOptions): Promise<Translator>;
  translate(input: string, options?: TaskCallOptions): Promise<string>;
  translateStreaming(input: string, options?: TaskCallOptions): ReadableStream<string>;
  measureInputUsage(input: string, options?: TaskCallOptions): Promise<number>;
  destroy(): void;
  readonly sourceLanguage: string;
  readonly targetLanguage: string;
  readonly inputQuota: number;
}

interface LanguageDetectorCreateCoreOptions {
  expectedInputLanguages?: string[];
}

interface LanguageDetectorCreateOptions extends LanguageDetectorCreateCoreOptions, TaskCreateOptions {}

interface LanguageDetectionResult {
  /** A canonical BCP 47 tag, or "und" (undetermined). */
  detectedLanguage: string;
  confidence: number;
}

declare class LanguageDetector {
  private constructor();
  static availability(options?: LanguageDetectorCreateCoreOptions): Promise<LanguageModelAvailability>;
  /** From "downloadable", needs transient user activation (a click just before). */
  static create(options?: LanguageDetectorCreateOptions): Promise<LanguageDetector>;
  /** Most likely first, cut once the confidences reach 0.99, always ending with "und". */
  detect(input: string, options?: TaskCallOptions): Promise<LanguageDetectionResult[]>;
  measureInputUsage(input: string, options?: TaskCallOptions): Promise<number>;
  destroy(): void;
  readonly expectedInputLanguages: ReadonlyArray<string> | null;
  readonly inputQuota: number;
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

    /** A task API's availability with a provider/model choice. */
    taskAvailability(kind: TaskKind, options?: object & ModelChoice): Promise<LanguageModelAvailability>;
    /** The task APIs' create() with a provider/model choice, not subject to the permissions policy. */
    createSummarizer(options?: SummarizerCreateOptions & ModelChoice): Promise<Summarizer>;
    createWriter(options?: WriterCreateOptions & ModelChoice): Promise<Writer>;
    createRewriter(options?: RewriterCreateOptions & ModelChoice): Promise<Rewriter>;
    createProofreader(options?: ProofreaderCreateOptions & ModelChoice): Promise<Proofreader>;
    createTranslator(options: TranslatorCreateOptions & ModelChoice): Promise<Translator>;
    createLanguageDetector(options?: LanguageDetectorCreateOptions & ModelChoice): Promise<LanguageDetector>;
  }

  type TaskKind = "summarizer" | "writer" | "rewriter" | "proofreader" | "translator" | "language-detector";
}

interface Navigator {
  readonly llm: NavLLM.LLM;
}
