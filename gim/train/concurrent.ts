/**
 * Several independent trainings on one device at once (`gim tune` trials, `gim train --restarts`).
 *
 * Each Trainer's loop queues its steps synchronously and awaits only at a readback (every
 * `logEvery` steps, the augmented-Lagrangian checks). Running K loops as concurrent promises
 * therefore interleaves them at those awaits: while one waits for its loss, the others queue
 * their next block of steps, so the device queue holds work of several models and the host's
 * encoding overlaps the device's execution. The engine keeps no state across an await (tidy
 * scopes, step capture and uniform writes are all synchronous), so each training gives the same
 * result as when run alone (test/gim/tune.test.ts checks it bitwise on cpu).
 *
 * Batching K models into one step (a model axis on every kernel) would use a GPU better still;
 * it is not done here.
 */

/**
 * Runs jobs 0, 1, … with at most `parallel` in flight, each started only while `mayStart(index)`
 * holds (a budget); returns the settled results by index, undefined for jobs never started.
 */
export async function runPool<T>(
  count: number,
  parallel: number,
  job: (index: number) => Promise<T>,
  mayStart: (index: number) => boolean = () => true,
): Promise<(PromiseSettledResult<T> | undefined)[]> {
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`parallel must be a positive integer (${parallel})`);
  const results: (PromiseSettledResult<T> | undefined)[] = new Array(count).fill(undefined);
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < count) {
      const index = next++;
      if (!mayStart(index)) {
        stopped = true;
        return;
      }
      try {
        results[index] = { status: "fulfilled", value: await job(index) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return results;
}
