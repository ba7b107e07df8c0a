/**
 * The training curve a model file records (ModelFile.history), one column per quantity (compact
 * in JSON): at each step that is a multiple of config.logEvery, and the last, the loss, the
 * acyclicity estimate ĥ and the augmented Lagrangian's α_AL and μ_AL after that step's check.
 * Steps past config.steps are the refit phase. No Node built-ins here: the browser build trains
 * with it.
 */
export interface TrainingHistory {
  step: number[];
  loss: number[];
  h: number[];
  alpha: number[];
  mu: number[];
}

export const emptyHistory = (): TrainingHistory => ({ step: [], loss: [], h: [], alpha: [], mu: [] });
