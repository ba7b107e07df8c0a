// common.wgsl — helpers prepended to kernels (engine/ and kernels/) that need them.
// flat_id: the linear invocation index of a 1-D launch that the backend may have folded into a
// 2-D grid of workgroups (x ≤ 65535): group = wid.x + wid.y · nwg.x.
fn flat_id(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, size: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * size + lid.x;
}

fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Numerically stable logistic helpers, valid for |x| up to f32 range.
fn sigmoid_stable(x: f32) -> f32 {
  if (x >= 0.0) {
    return 1.0 / (1.0 + exp(-x));
  }
  let e = exp(x);
  return e / (1.0 + e);
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^{-|x|})
fn softplus_stable(x: f32) -> f32 {
  return max(x, 0.0) + log1p_f32(exp(-abs(x)));
}

// log1p with a correction term: accurate for small u where 1 + u rounds.
fn log1p_f32(u: f32) -> f32 {
  let w = 1.0 + u;
  if (w == 1.0) {
    return u;
  }
  return log(w) * (u / (w - 1.0));
}
