/// <reference types="@webgpu/types" preserve="true" />
/**
 * Uniform slots for the params of eagerly run kernels, interned by content. Why not a ring bound
 * with a dynamic offset (what the backend did first): on lavapipe a dispatch whose bind group has a
 * dynamic offset costs ~25 µs more than one without (1,000 dependent adds on 64 floats: ~41 vs
 * ~16 µs each, any offset, uniform or storage; bench/RESULTS.md, session 10). A static binding
 * needs one bind group per (buffers, slot), so a slot must stay put: the same params words map
 * to the same slot, and a model's eager work repeats a few shapes, so slots and bind groups are
 * reused. When every slot is taken the owner submits what is queued and calls `reset`: the words
 * written after that are ordered behind the submitted work on the queue, so nothing in flight
 * reads a slot's new content.
 */
export const SLOT_BYTES = 256;
const WORDS = SLOT_BYTES / 4;

export class ParamSlots {
  readonly buffer: GPUBuffer;
  private readonly host: Uint32Array;
  private readonly slots = new Map<string, number>();
  private dirtyFrom = Infinity;
  private dirtyTo = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly capacity: number,
  ) {
    this.buffer = device.createBuffer({
      label: "param-slots",
      size: SLOT_BYTES * capacity,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.host = new Uint32Array(WORDS * capacity);
  }

  /** The slot holding `words` (the first `used` of them; the rest are zero), or −1 when full. */
  slotFor(words: Uint32Array, used: number): number {
    let key = "";
    for (let i = 0; i < used; i++) key += `${words[i]},`;
    const known = this.slots.get(key);
    if (known !== undefined) return known;
    const slot = this.slots.size;
    if (slot === this.capacity) return -1;
    this.host.fill(0, slot * WORDS, (slot + 1) * WORDS);
    this.host.set(words.subarray(0, used), slot * WORDS);
    this.slots.set(key, slot);
    this.dirtyFrom = Math.min(this.dirtyFrom, slot);
    this.dirtyTo = Math.max(this.dirtyTo, slot + 1);
    return slot;
  }

  /** Writes the slots filled since the last upload; call before submitting work that reads them. */
  upload(): void {
    if (this.dirtyTo <= this.dirtyFrom) return;
    const from = this.dirtyFrom * WORDS;
    const count = (this.dirtyTo - this.dirtyFrom) * WORDS;
    this.device.queue.writeBuffer(this.buffer, from * 4, this.host, from, count);
    this.dirtyFrom = Infinity;
    this.dirtyTo = 0;
  }

  /** Frees every slot (after the work that read them was submitted). */
  reset(): void {
    this.slots.clear();
    this.dirtyFrom = Infinity;
    this.dirtyTo = 0;
  }
}
