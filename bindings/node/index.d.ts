// Types of the digitinfer package (lib/index.js). Hand-written; test/types.ts is checked against
// them with `tsc --noEmit` by run_tests.sh.

/// <reference types="node" />

/** Encoded image bytes (or a model file's bytes). */
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;
/** A file: a path or a file: URL. */
export type FilePath = string | URL;

export type EngineName = 'auto' | 'native' | 'libtorch' | 'reference';
export type OutputKindName = 'auto' | 'log_probabilities' | 'logits' | 'probabilities';

/** di_load_options, in JS. Every field is optional: the library's default. */
export interface LoadOptions {
  /** Which implementation runs the forward pass (or its C value). Default 'auto'. */
  engine?: EngineName | number;
  /** Threads for one batched call; 0 = all cores (default). Use 1 when calling from many threads. */
  threads?: number;
  /** What the model returns; default 'auto' (its metadata, else detected). 'log_softmax' and 'softmax' work too. */
  outputKind?: OutputKindName | 'log_softmax' | 'softmax' | number;
  /** Largest width x height a predict call accepts; default and maximum DEFAULT_MAX_PIXELS. */
  maxPixels?: number | bigint;
  /** Largest encoded file accepted; default and maximum DEFAULT_MAX_ENCODED_BYTES. */
  maxEncodedBytes?: number | bigint;
  /** Compiled-model cache directory; null (default): $DIGITINFER_CACHE_DIR or the user's cache; '' = none. */
  cacheDir?: string | null;
  /** The model file is trusted code: a TorchScript file may run any operator. Default false. */
  trustModel?: boolean;
  /** Most scans a progressive JPEG may have; default DEFAULT_MAX_JPEG_SCANS. */
  maxJpegScans?: number;
  /** Wall time of one libtorch forward, ms; 0 = no limit; default 30000. */
  torchTimeLimitMs?: number;
  /** Bytes one libtorch forward may allocate; 0 = no limit; default 2 GiB. */
  torchMemoryLimitBytes?: number | bigint;
}

/** Options of one batched call. */
export interface CallOptions {
  /** Threads for this call; 0 = the model's. */
  threads?: number;
}

/** A raw 8-bit gray image, row-major, 0 = black. */
export interface GrayImage {
  pixels: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Bytes from one row to the next; default width. */
  stride?: number;
}

export interface ModelInfo {
  readonly name: string;
  readonly inputChannels: number;
  readonly inputHeight: number;
  readonly inputWidth: number;
  readonly numClasses: number;
  readonly labels: readonly string[];
  /** Normalization mean and standard deviation (after /255). */
  readonly mean: number;
  readonly std: number;
  /** Resolved: never 'auto'. */
  readonly outputKind: OutputKindName;
  readonly hasMetadata: boolean;
  /** The engine running the forward pass: never 'auto'. */
  readonly engine: EngineName;
  /** Why 'auto' fell back to libtorch, or ''. */
  readonly engineNote: string;
  /** Threads a batched call uses when the call does not say (at least 1). */
  readonly numThreads: number;
  readonly maxPixels: number;
  readonly maxEncodedBytes: number;
  /** What the compiled-model cache did for this load. */
  readonly cache: 'not_used' | 'hit' | 'stored' | 'not_stored' | number;
  readonly cachePath: string;
  readonly cacheNote: string;
}

export interface Ranked {
  digit: number;
  label: string;
  probability: number;
}

export class Prediction {
  /** The most probable class index. */
  readonly digit: number;
  /** Its label ("7"). */
  readonly label: string;
  /** Its probability, in [0, 1]. */
  readonly probability: number;
  /** One probability per class. */
  readonly probabilities: Float32Array;
  readonly logProbabilities: Float32Array;
  /** The k most probable classes, most probable first. */
  topK(k: number): Ranked[];
}

export class Model {
  /** Loads a .dimodel or TorchScript model from a path or its bytes, on the calling thread. */
  constructor(source: FilePath | Bytes, options?: LoadOptions);
  /** Loads on a worker thread. */
  static load(source: FilePath | Bytes, options?: LoadOptions): Promise<Model>;
  readonly info: ModelInfo;
  readonly closed: boolean;
  /** One encoded image file (PNG, JPEG, BMP, GIF, PGM/PPM, TGA): its bytes or path. */
  predict(image: Bytes | FilePath): Prediction;
  /** Same, on a worker thread. */
  predictAsync(image: Bytes | FilePath): Promise<Prediction>;
  /** Encoded images in one batched forward. */
  predictBatch(images: Iterable<Bytes | FilePath>, options?: CallOptions): Prediction[];
  /** A raw gray image of any size (resized like an encoded one). */
  predictGray(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, stride?: number): Prediction;
  predictGrayBatch(images: Iterable<GrayImage>, options?: CallOptions): Prediction[];
  /** Normalized C x H x W float32 tensors, back to back: one Prediction per tensor. */
  predictTensor(data: Float32Array | number[], options?: CallOptions): Prediction[];
  /** The preprocessing alone. */
  preprocess(image: Bytes | FilePath): { image: Uint8Array; tensor: Float32Array };
  /** Writes the model as a .dimodel file. */
  exportNative(path: FilePath): void;
  /** Frees the model (after in-flight async calls); later calls throw. Idempotent. */
  close(): void;
}

export type StatusName =
  | 'DI_OK'
  | 'DI_ERR_INVALID_ARGUMENT'
  | 'DI_ERR_IO'
  | 'DI_ERR_DECODE'
  | 'DI_ERR_MODEL'
  | 'DI_ERR_OUT_OF_MEMORY'
  | 'DI_ERR_BUFFER_TOO_SMALL'
  | 'DI_ERR_INFERENCE'
  | 'DI_ERR_INTERNAL';

export class DigitInferError extends Error {
  /** The di_status: a negative number. */
  readonly code: number;
  /** Its name, as di_status_string spells it (a library newer than these types may add names). */
  readonly status: StatusName | string;
}

export const Status: Readonly<{
  OK: 0;
  ERR_INVALID_ARGUMENT: -1;
  ERR_IO: -2;
  ERR_DECODE: -3;
  ERR_MODEL: -4;
  ERR_OUT_OF_MEMORY: -5;
  ERR_BUFFER_TOO_SMALL: -6;
  ERR_INFERENCE: -7;
  ERR_INTERNAL: -100;
}>;

/** Version of the loaded C library, "MAJOR.MINOR.PATCH". */
export function version(): string;
/** The shared library file this process loaded. */
export const libraryPath: string;
export const ENGINES: readonly EngineName[];
export const OUTPUT_KINDS: readonly OutputKindName[];
export const DEFAULT_MAX_PIXELS: number;
export const DEFAULT_MAX_ENCODED_BYTES: number;
export const DEFAULT_MAX_JPEG_SCANS: number;
export const MAX_BATCH: number;
