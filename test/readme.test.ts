/** The README's library example, run as written on the cpu backend: one Adam step lowers the loss. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Adam,
  backward,
  cpuBackend,
  matmul,
  setDefaultBackend,
  square,
  sub,
  sum,
  tanh,
  tensor,
  tidy,
} from "../index.js";

test("README example: a tiny MLP, one Adam step", async () => {
  setDefaultBackend(cpuBackend());
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const W1 = tensor(
    new Float32Array(4 * 8).map(() => random() - 0.5),
    [4, 8],
    { requiresGrad: true },
  );
  const W2 = tensor(
    new Float32Array(8 * 1).map(() => random() - 0.5),
    [8, 1],
    { requiresGrad: true },
  );
  const x = tensor(
    new Float32Array(16 * 4).map(() => random()),
    [16, 4],
  );
  const y = tensor(new Float32Array(16).fill(1), [16, 1]);
  const adam = new Adam([W1, W2], { lr: 1e-2 });
  const lossOf = () => sum(square(sub(matmul(tanh(matmul(x, W1)), W2), y)));
  const loss = tidy(() => {
    const l = lossOf();
    backward(l);
    return l;
  });
  assert.ok(W1.grad && W2.grad);
  adam.step();
  const before = await loss.item();
  const after = await lossOf().item();
  assert.ok(after < before, `loss ${before} → ${after}`);
});

test.run();
