import { method, rest, SwitchyardError, service } from '@switchyard/core';

export interface Todo {
  id: number;
  title: string;
  done: boolean;
}

const MAX_TODOS = 10_000;

/** An in-memory todo list over REST. The store is bounded like everything else. */
export function todoService() {
  const todos = new Map<number, Todo>();
  let nextId = 1;
  const find = (id: unknown): Todo => {
    const todo = todos.get(Number(id));
    if (todo === undefined) throw new SwitchyardError('NOT_FOUND', `no todo ${String(id)}`);
    return todo;
  };
  return service('todos', {
    list: method<void, Todo[]>({
      selectors: [rest('GET', '/todos')],
      handler: () => [...todos.values()],
    }),
    get: method<{ id: string }, Todo>({
      selectors: [rest('GET', '/todos/:id')],
      handler: (input) => find(input.id),
    }),
    create: method<{ title: string }, Todo>({
      selectors: [rest('POST', '/todos')],
      handler: (input) => {
        if (
          typeof input?.title !== 'string' ||
          input.title.length === 0 ||
          input.title.length > 200
        ) {
          throw new SwitchyardError('INVALID_ARGUMENT', 'title must be 1-200 characters');
        }
        if (todos.size >= MAX_TODOS)
          throw new SwitchyardError('RESOURCE_EXHAUSTED', 'too many todos');
        const todo = { id: nextId++, title: input.title, done: false };
        todos.set(todo.id, todo);
        return todo;
      },
    }),
    complete: method<{ id: string }, Todo>({
      selectors: [rest('POST', '/todos/:id/done')],
      idempotent: true,
      handler: (input) => {
        const todo = find(input.id);
        todo.done = true;
        return todo;
      },
    }),
    remove: method<{ id: string }, null>({
      selectors: [rest('DELETE', '/todos/:id')],
      handler: (input) => {
        find(input.id);
        todos.delete(Number(input.id));
        return null;
      },
    }),
  });
}
