/**
 * The division-free index paths (suffix broadcast i % m, trailing repeat i / m, leading and
 * trailing reductions, the workgroup-wide reduction) against the cpu reference on webgpu, at
 * sizes where each path is taken.
 */
import { test } from "uvu";
import { HostRandom } from "../../engine/host-random.js";
import type { Backend } from "../../engine/backend.js";
import { Tensor } from "../../engine/tensor.js";
import { add, broadcastTo, mul, sum, sumToShape } from "../../kernels/ops.js";
import { assertClose, eachDevice, exitWhenDone } from "../helpers.js";

const { cpu, webgpu } = await eachDevice("index fast paths");

function random(shape: number[], seed: number): Float64Array {
  const rng = new HostRandom(seed);
  return Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

async function both(f: (on: Backend) => Tensor): Promise<[Float32Array | Float64Array, Float32Array | Float64Array]> {
  return [await f(webgpu.backend).toArray(), await f(cpu.backend).toArray()];
}

const on = (b: Backend, values: Float64Array, shape: number[]) => new Tensor(b, b.upload(values, "f32"), shape);

const M = 3;
const N = 70;
const d = 5;
const x = random([N, d], 1);
const big = random([M, N, d], 2);
const ell = random([d], 3);
const col = random([M, N, 1], 4);

webgpu.test("suffix broadcasts: [M,N,d] + [N,d], [M,N,d] · [d]", async () => {
  const [g, c] = await both((b) => add(on(b, big, [M, N, d]), on(b, x, [N, d])));
  assertClose(g, c, 1e-6, "add");
  const [g2, c2] = await both((b) => mul(on(b, big, [M, N, d]), on(b, ell, [d])));
  assertClose(g2, c2, 1e-6, "mul");
});

webgpu.test("trailing repeat: broadcastTo [M,N,1] → [M,N,d]", async () => {
  const [g, c] = await both((b) => broadcastTo(on(b, col, [M, N, 1]), [M, N, d]));
  assertClose(g, c, 0, "broadcastTo");
});

webgpu.test("leading, trailing and middle reductions, narrow and wide kernels", async () => {
  for (const target of [[d], [N, d], [M, N, 1], [M, 1, d], [1, 1, 1]]) {
    const [g, c] = await both((b) => sumToShape(on(b, big, [M, N, d]), target));
    assertClose(g, c, 1e-5, `sumToShape → ${JSON.stringify(target)}`);
  }
  const long = random([4, 3000], 5);
  const [g, c] = await both((b) => sum(on(b, long, [4, 3000]), 0));
  assertClose(g, c, 1e-5, "wide reduction over 4 rows");
  const [g2, c2] = await both((b) => sum(on(b, long, [4, 3000])));
  assertClose(g2, c2, 1e-5, "wide reduction to a scalar");
});

exitWhenDone();
test.run();
