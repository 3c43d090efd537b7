import { CoordinatorEvent, EventBus } from './event-bus';

/**
 * The bus's events matching `filter`, as an async iterator for a GraphQL subscription. Buffers at
 * most `maxBuffered` events for a slow client, dropping the oldest (each event only says "this
 * changed"; the resolver reads the current state, so a dropped event loses nothing the next one
 * does not bring).
 */
export function eventStream<T extends CoordinatorEvent>(
  bus: EventBus,
  filter: (event: CoordinatorEvent) => event is T,
  maxBuffered = 100,
): AsyncIterableIterator<T> {
  const buffer: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let done = false;
  const unsubscribe = bus.subscribe((event) => {
    if (done || !filter(event)) return;
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve({ value: event, done: false });
      return;
    }
    buffer.push(event);
    if (buffer.length > maxBuffered) buffer.shift();
  });
  const finish = (): Promise<IteratorResult<T>> => {
    done = true;
    unsubscribe();
    buffer.length = 0;
    waiting?.({ value: undefined, done: true });
    waiting = undefined;
    return Promise.resolve({ value: undefined, done: true });
  };
  return {
    next: () => {
      if (buffer.length) return Promise.resolve({ value: buffer.shift() as T, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return: finish,
    throw: (error?: unknown) => {
      void finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** `source` with each value passed through `fn`, closing `source` when the consumer stops. */
export function mapAsync<T, U>(
  source: AsyncIterableIterator<T>,
  fn: (value: T) => Promise<U>,
): AsyncIterableIterator<U> {
  return {
    async next() {
      const item = await source.next();
      return item.done ? { value: undefined, done: true } : { value: await fn(item.value), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** `first`, then everything from `source`. */
export function prepend<T>(first: T, source: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  let sent = false;
  return {
    next() {
      if (!sent) {
        sent = true;
        return Promise.resolve({ value: first, done: false });
      }
      return source.next();
    },
    return: () => source.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** `source` up to and including the first value `last` matches; then it ends, closing `source`. */
export function endAfter<T>(
  source: AsyncIterableIterator<T>,
  last: (value: T) => boolean,
): AsyncIterableIterator<T> {
  let ended = false;
  return {
    async next() {
      if (ended) return { value: undefined, done: true };
      const item = await source.next();
      if (!item.done && last(item.value)) {
        ended = true;
        await source.return?.();
      }
      return item;
    },
    async return() {
      ended = true;
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      ended = true;
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
