/**
 * Tensor handle: a shape, a dtype and storage on one backend. Tensors are immutable values;
 * ops make new ones. `node` links a tensor to the tape entry that produced it.
 */
import type { Backend, DType, Storage } from "./backend.js";
import type { FloatArray } from "./kernel.js";
import { type Shape, fmt, sizeOf } from "./shape.js";

/**
 * Open memory scopes (engine/scope.ts's `tidy`), innermost last; a new tensor joins the innermost.
 * Held here rather than in scope.ts so that the dependency runs one way, scope → tensor.
 */
export const openScopes: Set<Tensor>[] = [];

/** Views (reshape, detach) share storage; it returns to the pool when its last user is disposed. */
const storageUsers = new WeakMap<Storage, number>();

export interface TapeNode {
  readonly opName: string;
  /** The phase (engine/phase.ts) the forward ran in; the VJP runs in it too. */
  readonly phase: string;
  readonly inputs: readonly Tensor[];
  /** Residuals kept for the VJP. */
  readonly saved: readonly Tensor[];
  backward(dy: Tensor): (Tensor | null)[];
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  node: TapeNode | null = null;
  private disposed = false;

  constructor(
    readonly backend: Backend,
    readonly storage: Storage,
    shape: Shape,
    requiresGrad = false,
  ) {
    this.shape = [...shape];
    this.size = sizeOf(shape);
    this.requiresGrad = requiresGrad;
    if (storage.length !== this.size) {
      throw new Error(`Tensor: storage holds ${storage.length} elements, shape ${fmt(shape)} needs ${this.size}`);
    }
    storageUsers.set(storage, (storageUsers.get(storage) ?? 0) + 1);
    openScopes[openScopes.length - 1]?.add(this);
  }

  get dtype(): DType {
    return this.storage.dtype;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Reads the values back (waits for queued GPU work). */
  async toArray(): Promise<FloatArray> {
    this.assertAlive("toArray");
    return this.backend.read(this.storage);
  }

  /** Reads a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has shape ${fmt(this.shape)}, not one element`);
    return (await this.toArray())[0];
  }

  /** Returns the storage to the backend's pool; the tensor must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const users = (storageUsers.get(this.storage) ?? 1) - 1;
    storageUsers.set(this.storage, users);
    if (users === 0) this.backend.release(this.storage);
  }

  assertAlive(op: string): void {
    if (this.disposed) throw new Error(`${op}: tensor of shape ${fmt(this.shape)} was used after dispose()`);
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}, ${this.backend.name})`;
  }
}

export function assertSameBackend(op: string, tensors: readonly Tensor[]): void {
  const first = tensors[0];
  for (const t of tensors) {
    t.assertAlive(op);
    if (t.backend !== first.backend)
      throw new Error(`${op}: inputs live on different backends (${first.backend.name}, ${t.backend.name})`);
    if (t.dtype !== first.dtype) throw new Error(`${op}: inputs have different dtypes (${first.dtype}, ${t.dtype})`);
  }
}
