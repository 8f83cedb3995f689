import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/engine/event-queue.ts';

interface Ev {
  time: number;
  priority: number;
  payload: number;
}

function drain(q: EventQueue): { time: number; kind: number; payload: number }[] {
  const out = [];
  while (q.size > 0) {
    out.push({ time: q.peekTime(), kind: q.peekKind(), payload: q.peekPayload() });
    q.pop();
  }
  return out;
}

describe('EventQueue', () => {
  it('pops by time, then priority, then the order of scheduling (any interleaving, past its initial capacity)', () => {
    // Times from a small set so equal times (the interesting case) are common.
    const ev = fc.record({ time: fc.constantFrom(0, 0.5, 1, 1.5, 2, 1e9), priority: fc.integer({ min: 0, max: 3 }), payload: fc.nat() });
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (events: Ev[], capacity) => {
        const q = new EventQueue(capacity);
        events.forEach((e, i) => q.push(e.time, e.priority, e.priority, i));
        const expected = events
          .map((e, i) => ({ ...e, seq: i }))
          .sort((a, b) => a.time - b.time || a.priority - b.priority || a.seq - b.seq)
          .map((e) => ({ time: e.time, kind: e.priority, payload: e.seq }));
        expect(drain(q)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the order when pushes and pops interleave (as the engine schedules completions while running)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 2 })), { maxLength: 400 }), (ops) => {
        const q = new EventQueue(2);
        const model: { time: number; priority: number; seq: number }[] = [];
        let seq = 0;
        let now = 0;
        for (const [pop, dt, priority] of ops) {
          if (pop && model.length > 0) {
            model.sort((a, b) => a.time - b.time || a.priority - b.priority || a.seq - b.seq);
            const head = model.shift()!;
            expect([q.peekTime(), q.peekKind(), q.peekPayload()]).toEqual([head.time, head.priority, head.seq]);
            q.pop();
            now = head.time;
          } else {
            // Never schedule into the past, as the engine never does.
            q.push(now + dt, priority, priority, seq);
            model.push({ time: now + dt, priority, seq: seq++ });
          }
          // An empty queue's next event never comes (the engine's loop relies on it).
          if (model.length === 0) expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
        }
        expect(q.size).toBe(model.length);
      }),
      { numRuns: 300 },
    );
  });

  it('replaceTop(e) is pop() then push(e): the same events come out in the same order', () => {
    const op = fc.tuple(fc.constantFrom('push', 'pop', 'replace'), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 2 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const a = new EventQueue(2);
        const b = new EventQueue(2);
        let now = 0;
        let payload = 0;
        for (const [kind, dt, priority] of ops) {
          if (kind !== 'push' && a.size === 0) continue;
          if (kind !== 'push') now = a.peekTime();
          if (kind === 'pop') {
            a.pop();
            b.pop();
          } else if (kind === 'replace') {
            a.pop();
            a.push(now + dt, priority, priority, payload);
            b.at = now + dt;
            b.replaceTop(priority, priority, payload++);
          } else {
            a.push(now + dt, priority, priority, payload);
            b.push(now + dt, priority, priority, payload++);
          }
        }
        expect(b.nextSequence).toBe(a.nextSequence);
        expect(drain(b)).toEqual(drain(a));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('reports +Infinity as the next time when empty, and clear() empties it and restarts the sequence', () => {
    const q = new EventQueue(4);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
    q.push(3, 0, 0, 1);
    q.push(1, 0, 0, 2);
    expect(q.nextSequence).toBe(2);
    expect(q.entries().time.length).toBe(2);
    q.clear();
    expect(q.size).toBe(0);
    expect(q.nextSequence).toBe(0);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });

  it('at equal times a lower priority runs first even when scheduled later', () => {
    const q = new EventQueue(4);
    // Push a low-priority event first, then a higher-priority one at the same time.
    q.push(5, 3, 3, 1);
    q.push(5, 0, 0, 2);
    q.push(5, 1, 1, 3);
    expect(drain(q).map((e) => e.payload)).toEqual([2, 3, 1]);
  });

  it('carries kinds 0..15 and payloads up to 2^27 - 1 intact, through push and replaceTop', () => {
    const q = new EventQueue(4);
    const big = 2 ** 27 - 1;
    for (let k = 0; k < 16; k++) q.push(k, k, k, big - k);
    q.at = 0.5;
    q.replaceTop(15, 15, big);
    const out = drain(q);
    expect(out[0]).toEqual({ time: 0.5, kind: 15, payload: big });
    expect(out.slice(1)).toEqual(Array.from({ length: 15 }, (_, i) => ({ time: i + 1, kind: i + 1, payload: big - i - 1 })));
  });
});
