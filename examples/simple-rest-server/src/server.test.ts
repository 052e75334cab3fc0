import { type Edge, silentLogger } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './server.js';

describe('simple REST server', () => {
  let edge: Edge | undefined;
  let url = '';
  beforeAll(async () => {
    ({ edge, url } = await startServer(0, silentLogger));
  });
  afterAll(async () => {
    await edge?.shutdown({ timeout: 1000 });
  });

  const json = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  it('creates, lists, completes and deletes a todo', async () => {
    const created = await (await fetch(`${url}/todos`, json({ title: 'write docs' }))).json();
    expect(created).toEqual({ id: 1, title: 'write docs', done: false });
    expect(await (await fetch(`${url}/todos`)).json()).toEqual([created]);
    const done = await (await fetch(`${url}/todos/1/done`, { method: 'POST' })).json();
    expect(done).toMatchObject({ id: 1, done: true });
    expect((await fetch(`${url}/todos/1`, { method: 'DELETE' })).status).toBe(200);
    expect(await (await fetch(`${url}/todos`)).json()).toEqual([]);
  });

  it('answers errors with the shared error model', async () => {
    const missing = await fetch(`${url}/todos/99`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await fetch(`${url}/todos`, json({ title: '' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('serves an OpenAPI document', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toContain('/todos');
  });
});
