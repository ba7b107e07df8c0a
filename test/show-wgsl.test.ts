/**
 * `npm run show-wgsl`: for every registered op, the listing names what the forward and the VJP
 * launch and prints each launched kernel's WGSL, which has the generated interface (Params struct,
 * entry point); given shapes are used. Only reshape, a view, launches nothing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { OP_NAMES } from "../kernels/index.js";
import { opKernels, showWgsl } from "../kernels/show-wgsl.js";

for (const name of OP_NAMES) {
  test(`show-wgsl ${name}: every kernel it launches, with @compute and struct Params`, () => {
    const { forward, vjp } = opKernels(name);
    const text = showWgsl(name);
    assert.match(text, /\/\/ forward launches: /);
    if (name === "reshape") {
      assert.equal([...forward, ...vjp], [], "reshape is a view");
      return;
    }
    assert.ok(forward.length > 0, `${name}: the forward launches no kernel`);
    assert.match(text, "@compute");
    for (const k of [...forward, ...vjp]) {
      assert.ok(text.includes(k.wgsl), `${name}: ${k.name}'s WGSL is not printed`);
      assert.match(k.wgsl, "@compute", `${k.name}: no @compute entry point`);
      assert.match(k.wgsl, `// ${k.name}: generated interface`, `${k.name}: no generated header`);
      assert.match(k.wgsl, "struct Params", `${k.name}: no Params struct`);
    }
  });
}

test("show-wgsl runs the op on the shapes it is given", () => {
  const { case: c } = opKernels("add", [[2, 3], [3]]);
  assert.equal(c.shapes, [[2, 3], [3]]);
  assert.match(showWgsl("add", [[2, 3], [3]]), "inputs [2, 3] [3]");
  assert.throws(() => opKernels("add", [[2, 3]]), /add takes 2 inputs, got 1 shapes/);
  assert.throws(() => opKernels("noSuchOp"), /unknown op 'noSuchOp'/);
});

test.run();
