// RCU: grace-period sequence numbers, read-side sections per task, call_rcu callbacks,
// get_state_synchronize_rcu / poll_state_synchronize_rcu.
//
// A grace period starts when one is requested (`gp` event, a waiter, drain) and completes only
// when every task that was inside a read-side section at its start has left that section.
// Callbacks then run in the order they were queued.

export interface RcuReader {
  readonly id: number;
  /** rcu_read_lock nesting depth */
  rcuDepth: number;
  /** how many times this task has left its outermost read-side section */
  rcuExits: number;
}

export interface RcuCallback {
  cookie: number;
  label: string;
  fn: () => void;
}

export class Rcu {
  /** number of completed grace periods */
  completed = 0;
  /** a grace period is in progress: it waits for these readers (each with its rcuExits at its start) */
  private current = false;
  private readonly gpReaders: RcuReader[] = [];
  private readonly gpExits: number[] = [];
  /** how many of gpReaders/gpExits belong to the grace period in progress (the arrays are reused: no `length =`, a slow builtin) */
  private gpCount = 0;
  readonly callbacks: RcuCallback[] = [];

  constructor(private readonly readers: readonly RcuReader[]) {}

  read_lock(t: RcuReader): void {
    t.rcuDepth++;
  }

  read_unlock(t: RcuReader): void {
    if (t.rcuDepth <= 0) throw new Error("rcu_read_unlock without rcu_read_lock");
    if (--t.rcuDepth === 0) t.rcuExits++;
  }

  /** get_state_synchronize_rcu: a cookie that polls true once a full grace period has elapsed. */
  get_state(): number {
    return this.completed + (this.current ? 2 : 1);
  }

  /** poll_state_synchronize_rcu */
  poll_state(cookie: number): boolean {
    return this.completed >= cookie;
  }

  /** call_rcu / call_rcu_hurry: run `fn` after a grace period. */
  call(label: string, fn: () => void): void {
    this.callbacks.push({ cookie: this.get_state(), label, fn });
  }

  get pending(): boolean {
    return this.callbacks.length > 0 || this.current;
  }

  /**
   * Try to complete one grace period (starting one if none is in progress) and run the
   * callbacks it makes due. Returns true when a grace period completed.
   */
  advance(runCallback: (cb: RcuCallback) => void): boolean {
    const readers = this.gpReaders;
    const exits = this.gpExits;
    if (!this.current) {
      let n = 0;
      for (const r of this.readers)
        if (r.rcuDepth > 0) {
          readers[n] = r;
          exits[n++] = r.rcuExits;
        }
      this.gpCount = n;
      this.current = true;
    }
    // (arrays kept across calls: this runs whenever nothing else can progress)
    for (let i = 0; i < this.gpCount; i++) {
      const r = readers[i]!;
      if (r.rcuDepth > 0 && r.rcuExits === exits[i]) return false;
    }
    this.current = false;
    this.completed++;
    while (this.callbacks.length && this.poll_state(this.callbacks[0]!.cookie)) runCallback(this.callbacks.shift()!);
    return true;
  }
}
