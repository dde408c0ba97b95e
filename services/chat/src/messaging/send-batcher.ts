/** A submitted item and its promise's ends. */
interface Entry<Item, Result> {
  readonly item: Item;
  readonly resolve: (r: Result) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit: sends go to the database in batches, one transaction (and one WAL flush) for as
 * many as arrived while the previous batches were running. Under light load every send still
 * runs at once, alone; under heavy load the commits, which bound the rate, are shared.
 *
 * Items of one key (a conversation) are never in two batches under way at once: they wait for
 * the batch holding their key and go together in the next, so they commit in the order they were
 * submitted, and concurrent batches never wait on each other's locks.
 */
export class SendBatcher<Item, Result> {
  readonly #run: (batch: readonly Item[]) => Promise<readonly Result[]>;
  readonly #key: (item: Item) => string;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #queue: Array<Entry<Item, Result>> = [];
  /** The keys of the batches under way. */
  readonly #busy = new Set<string>();
  #inFlight = 0;
  /** Batches done whose submitters are not answered yet. */
  #settling = 0;
  #idle: Array<() => void> = [];

  /** `run` answers each item of its batch, in order, or throws for the whole batch. */
  constructor(run: (batch: readonly Item[]) => Promise<readonly Result[]>, options: { key: (item: Item) => string; maxInFlight: number; maxBatch: number }) {
    this.#run = run;
    this.#key = options.key;
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
    if (this.#inFlight === 0 && this.#settling === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch: Array<Entry<Item, Result>> = [];
      const waiting: Array<Entry<Item, Result>> = [];
      for (const entry of this.#queue) {
        if (batch.length < this.#maxBatch && !this.#busy.has(this.#key(entry.item))) batch.push(entry);
        else waiting.push(entry);
      }
      if (batch.length === 0) return;
      this.#queue = waiting;
      const keys = new Set(batch.map((b) => this.#key(b.item)));
      for (const key of keys) this.#busy.add(key);
      this.#inFlight++;
      const done = (settle: () => void): void => {
        for (const key of keys) this.#busy.delete(key);
        this.#inFlight--;
        // The next batch goes to the database before this one's senders resume: its commit
        // overlaps their acks and fan-out instead of waiting for them.
        this.#pump();
        this.#settling++;
        setImmediate(() => {
          this.#settling--;
          settle();
          if (this.#inFlight === 0 && this.#settling === 0 && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
        });
      };
      void this.#run(batch.map((b) => b.item)).then(
        (results) => done(() => batch.forEach((b, i) => b.resolve(results[i] as Result))),
        (err: unknown) => done(() => batch.forEach((b) => b.reject(err))),
      );
    }
  }
}
