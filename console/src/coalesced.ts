/** Coalescing of reads, shared by the page's reloads and the history panel's refreshes. */

/** Runs `work` now, or once more after the run in flight when one is (however many calls came meanwhile). */
export function coalesced(work: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void work().finally(() => {
      running = false;
      if (again) {
        again = false;
        run();
      }
    });
  };
  return run;
}
