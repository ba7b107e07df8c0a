/**
 * Augmented-Lagrangian schedules for the acyclicity penalty α_AL·ĥ + (μ_AL/2)·ĥ² (spec §6).
 *
 * "spec" (eq 16–17, revised in §13): every T_AL steps the holdout log-likelihood s_t is compared
 * with the previous check; when it has converged (relative gain < tol) and the limit graph G_∞(Z)
 * is cyclic, α_AL += μ_AL·ĥ, and μ_AL grows ×η only if ĥ did not fall below ¼ of its value at the
 * previous update (the NOTEARS rule). Within a few thousand steps the likelihood keeps improving
 * by more than tol, so the multipliers rarely move (docs/tuning.md, session 4).
 *
 * "periodic" (NOTEARS / DAG-GNN style): the same update at every check while G_∞ is cyclic,
 * whatever the holdout does; only the first update waits for convergence or for the forced start
 * (config.alStartFrom), so the likelihood can first settle an order. The holdout score is still
 * computed and logged.
 *
 * The penalty's scale (config.alPenalty) is separate: "total" adds it to the unnormalised J as the
 * spec does, so against the likelihood of N rows it weighs 1/N per unit; "per-sample" multiplies
 * it by N, i.e. weighs it against the per-sample likelihood as NOTEARS does.
 */
import type { AlRule } from "../model/config.js";

export interface LagrangianCheck {
  step: number;
  holdoutLogLikelihood: number;
  relativeGain: number | null;
  converged: boolean;
  cyclic: boolean;
  h: number;
  alpha: number;
  mu: number;
}

export interface LagrangianSettings {
  eta: number;
  muMax: number;
  tolerance: number;
  /** Absent: "spec". */
  rule?: AlRule;
  /** Factor on the penalty in J (1: the spec's; N: per sample). Derived from the data, not saved. */
  scale?: number;
}

export class Lagrangian {
  alpha = 0;
  mu = 1;
  readonly scale: number;
  private previousScore: number | null = null;
  private hAtLastUpdate: number | null = null;
  readonly checks: LagrangianCheck[] = [];

  constructor(private readonly settings: LagrangianSettings) {
    this.scale = settings.scale ?? 1;
  }

  /** `forced`: count this check as converged whatever the gain (config.alForceFrom). */
  check(step: number, holdoutLogLikelihood: number, h: number, cyclic: boolean, forced = false): LagrangianCheck {
    const prev = this.previousScore;
    const relativeGain = prev === null ? null : (holdoutLogLikelihood - prev) / Math.max(Math.abs(prev), 1e-12);
    const converged = forced || (relativeGain !== null && relativeGain < this.settings.tolerance);
    // Periodic: once the first update has happened, every cyclic check updates.
    const started = (this.settings.rule ?? "spec") === "periodic" && this.hAtLastUpdate !== null;
    if ((converged || started) && cyclic) {
      this.alpha += this.mu * h;
      if (this.hAtLastUpdate === null || h >= 0.25 * this.hAtLastUpdate) {
        this.mu = Math.min(this.settings.eta * this.mu, this.settings.muMax);
      }
      this.hAtLastUpdate = h;
    }
    this.previousScore = holdoutLogLikelihood;
    const record = { step, holdoutLogLikelihood, relativeGain, converged, cyclic, h, alpha: this.alpha, mu: this.mu };
    this.checks.push(record);
    return record;
  }

  exportState() {
    return {
      alpha: this.alpha,
      mu: this.mu,
      previousScore: this.previousScore,
      hAtLastUpdate: this.hAtLastUpdate,
      checks: this.checks,
    };
  }

  importState(state: ReturnType<Lagrangian["exportState"]>): void {
    this.alpha = state.alpha;
    this.mu = state.mu;
    this.previousScore = state.previousScore;
    this.hAtLastUpdate = state.hAtLastUpdate;
    this.checks.splice(0, this.checks.length, ...state.checks);
  }
}
