// A trailing-edge debounce with flush and cancel: the explorer's search applies the query once
// typing pauses (each keystroke of a fast typist no longer re-filters the workspace), and at
// once when the user needs the result (Arrow Down into the list, the box cleared).

export interface Debounced<A extends unknown[]> {
  /** Calls `fn` with these arguments once `ms` pass without another call. */
  (...args: A): void;
  /** Calls the pending call now, if there is one. */
  flush(): void;
  /** Drops the pending call. */
  cancel(): void;
  readonly pending: boolean;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last: A | null = null;
  const run = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const args = last;
    last = null;
    if (args) fn(...args);
  };
  const debounced = ((...args: A) => {
    last = args;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(run, ms);
  }) as Debounced<A>;
  debounced.flush = run;
  debounced.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    last = null;
  };
  Object.defineProperty(debounced, "pending", { get: () => last !== null });
  return debounced;
}
