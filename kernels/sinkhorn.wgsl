// sinkhorn.wgsl — log-domain Sinkhorn for entropic OT (spec §10), one workgroup per batch element:
// the prelude of the sinkhorn_solve declaration in sinkhorn.ts (which holds the bindings, Params and
// WG, the lanes: an override constant, a power of two for the tree reduction); its body calls solve.
//
// Bindings: 0 C [B,n,m] read (costs ‖x̂_i − x_j‖²); 1 W [B] read_write (W_ε = ⟨a,f⟩ + ⟨b,g⟩);
//   2 F [B,n], 3 G [B,m] read_write (potentials); 4 Fn [B,n] read_write (scratch: the candidate f);
//   5 params {B, n, m, epsilon, maxIterations, tolerance}.
// Grid: B workgroups of WG lanes, b from workgroup_id. Lane l owns rows l, l+WG, … (columns in
//   the g half). Every lane runs the same trip count (the index is clamped and a surplus lane's
//   result dropped), so the loops are uniform and each read of the other side's potential is one
//   scalar load broadcast to all lanes; on lavapipe that made the loop 1.6× faster than
//   lane-strided bounds. f and g stay in storage (no size limit beyond the C buffer);
//   storageBarrier separates the phases.
// Math, a = 1/n, b = 1/m, f = g = 0 to start; one iteration t:
//   f'_i = −ε LSE_j[log b_j + (g_j − C_ij)/ε] = ε log m − μ_i − ε log Σ_j e^{(g_j − C_ij − μ_i)/ε},
//          μ_i = max_j (g_j − C_ij) found online: the running sum is rescaled by e^{−|v−μ|/ε}
//          when a term v exceeds μ, else gains that term — one exp per term, no exponent ever
//          positive, so no overflow at any cost scale;
//   the row sums of P(f, g), P_ij = a_i b_j e^{(f_i + g_j − C_ij)/ε}, come for free:
//          (P1)_i = a_i e^{(f_i − f'_i)/ε}, so ‖P1 − a‖₁ = (1/n) Σ_i |e^{(f_i − f'_i)/ε} − 1|;
//   if t > 0 and that error < tolerance: stop with (f, g) (the pair the error was measured on);
//   else f ← f', then g_j = −ε LSE_i[log a_i + (f_i − C_ij)/ε] likewise.
//   At most maxIterations (f, g) updates. W = mean(f) + mean(g), a tree reduction.
// Limits: one workgroup per batch element loops internally (one dispatch, no host round trips),
//   so a lone large problem uses one compute unit; fine for n, m up to a few thousand. C must
//   fit one storage binding (B·n·m ≤ maxStorageBufferBindingSize / 4). A long solve is one long
//   dispatch: on a desktop GPU with a display watchdog, split the batch if it runs for seconds.
//   Measured on lavapipe: 16 problems of 100 × 100 points in 20-D cost ≈ 2.6 ms per iteration.
var<workgroup> partial: array<f32, WG>;
var<workgroup> stop: u32;

// Σ over lanes of `value` (every lane gets the total).
fn workgroup_sum(lane: u32, value: f32) -> f32 {
  partial[lane] = value;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lane < width) { partial[lane] += partial[lane + width]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

// The whole solve of batch element b, run by lane `lane` of its workgroup.
fn solve(b: u32, lane: u32) {
  if (b >= P.B) { return; }
  let n = P.n;
  let m = P.m;
  let eps = P.epsilon;
  let cb = b * n * m;
  let fb = b * n;
  let gb = b * m;
  for (var i = lane; i < n; i += WG) { F[fb + i] = 0.0; }
  for (var j = lane; j < m; j += WG) { G[gb + j] = 0.0; }
  storageBarrier();
  for (var t = 0u; t < P.maxIterations; t++) {
    var err = 0.0;
    for (var i0 = 0u; i0 < n; i0 += WG) {
      let i = min(i0 + lane, n - 1u);
      var mu = G[gb] - C[cb + i * m];
      var s = 1.0;
      for (var j = 1u; j < m; j++) {
        let v = G[gb + j] - C[cb + i * m + j];
        let e = exp(-abs(v - mu) / eps);
        s = select(s + e, s * e + 1.0, v > mu);
        mu = max(mu, v);
      }
      let fi = eps * log(f32(m)) - mu - eps * log(s);
      if (i0 + lane < n) {
        Fn[fb + i] = fi;
        err += abs(exp((F[fb + i] - fi) / eps) - 1.0);
      }
    }
    err = workgroup_sum(lane, err);
    if (lane == 0u) { stop = select(0u, 1u, t > 0u && err / f32(n) < P.tolerance); }
    if (workgroupUniformLoad(&stop) == 1u) { break; }
    for (var i = lane; i < n; i += WG) { F[fb + i] = Fn[fb + i]; }
    storageBarrier();
    for (var j0 = 0u; j0 < m; j0 += WG) {
      let j = min(j0 + lane, m - 1u);
      var mu = F[fb] - C[cb + j];
      var s = 1.0;
      for (var i = 1u; i < n; i++) {
        let v = F[fb + i] - C[cb + i * m + j];
        let e = exp(-abs(v - mu) / eps);
        s = select(s + e, s * e + 1.0, v > mu);
        mu = max(mu, v);
      }
      let gj = eps * log(f32(n)) - mu - eps * log(s);
      if (j0 + lane < m) { G[gb + j] = gj; }
    }
    storageBarrier();
  }
  var acc = 0.0;
  for (var i = lane; i < n; i += WG) { acc += F[fb + i] / f32(n); }
  for (var j = lane; j < m; j += WG) { acc += G[gb + j] / f32(m); }
  let total = workgroup_sum(lane, acc);
  if (lane == 0u) { W[b] = total; }
}
