import { describe, expect, it } from 'vitest';
import { TaskQueue } from '../../src/worker/task-queue.js';

const task = (name: string, alone = false) => ({ name, alone, done: false });

describe('TaskQueue', () => {
  it('hands out batches in FIFO order, with re-queued tasks first', () => {
    const q = new TaskQueue<ReturnType<typeof task>>();
    for (const n of ['a', 'b', 'c', 'd']) q.push(task(n));
    expect(q.take(2).map((t) => t.name)).toEqual(['a', 'b']);
    q.unshift(task('back'));
    expect(q.size).toBe(3);
    expect(q.take(10).map((t) => t.name)).toEqual(['back', 'c', 'd']);
    expect(q.size).toBe(0);
  });

  it('puts a task that must travel alone in a batch of its own', () => {
    const q = new TaskQueue<ReturnType<typeof task>>();
    q.push(task('a'));
    q.push(task('slow', true));
    q.push(task('b'));
    expect(q.take(10).map((t) => t.name)).toEqual(['a']);
    expect(q.take(10).map((t) => t.name)).toEqual(['slow']);
    expect(q.take(10).map((t) => t.name)).toEqual(['b']);
  });

  it('skips tasks settled while queued', () => {
    const q = new TaskQueue<ReturnType<typeof task>>();
    const gone = task('gone');
    q.push(gone);
    q.push(task('kept'));
    gone.done = true;
    q.forget();
    expect(q.size).toBe(1);
    expect(q.take(10).map((t) => t.name)).toEqual(['kept']);
  });
});
