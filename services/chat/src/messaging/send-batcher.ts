/**
 * Group commit: sends go to the database in batches, one transaction (and one WAL flush) for as
 * many as arrived while the previous batches were running. Under light load every send still
 * runs at once, alone; under heavy load the commits, which bound the rate, are shared.
 */
export class SendBatcher<Item, Result> {
  readonly #run: (batch: readonly Item[]) => Promise<readonly Result[]>;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #queue: Array<{ item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }> = [];
  #inFlight = 0;
  #idle: Array<() => void> = [];

  /** `run` answers each item of its batch, in order, or throws for the whole batch. */
  constructor(run: (batch: readonly Item[]) => Promise<readonly Result[]>, options: { maxInFlight: number; maxBatch: number }) {
    this.#run = run;
    this.#maxInFlight = options.maxInFlight;
    this.#maxBatch = options.maxBatch;
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#pump();
    });
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#run(batch.map((b) => b.item))
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i] as Result)),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.#inFlight--;
          this.#pump();
          if (this.#inFlight === 0 && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
        });
    }
  }
}
