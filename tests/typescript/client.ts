// A front end's use of the service, typed from its OpenAPI document (generated/api.ts, made by the test).
// `tsc --noEmit` must accept it: the document has to give every call and every task field a real type.
import createClient from "openapi-fetch";
import type { components, operations, paths } from "./generated/api";

type Task = components["schemas"]["TaskOutput"];
// The names a client generator turns into its own: each body's schema and each operation.
type NewTask = components["schemas"]["TaskInput"];
type Changes = components["schemas"]["TaskPatch"];
type Completion = components["schemas"]["CompletionInput"];
export type Operations = [
  operations["listTasks"],
  operations["createTask"],
  operations["getTask"],
  operations["replaceTask"],
  operations["updateTask"],
  operations["deleteTask"],
  operations["setTaskCompletion"],
  operations["getTaskHistory"],
  operations["listChanges"],
  operations["followEvents"],
];

// Type-level checks, so a field typed `any` (or `unknown`) fails to compile rather than passing silently.
type Loose<T> = { [K in keyof T]-?: unknown extends T[K] ? K : never }[keyof T];
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const noLooseTaskField: [Loose<Task>] extends [never] ? true : Loose<Task> = true;
export const fieldTypes: [
  Same<Task["id"], string>,
  Same<Task["title"], string>,
  Same<Task["description"], string | null>,
  Same<Task["completed"], boolean>,
  Same<Task["priority"], "none" | "low" | "medium" | "high">,
  Same<Task["tags"], string[]>,
  Same<Task["due_at"], string | null>,
] = [true, true, true, true, true, true, true];

const client = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });

export async function planTheWeek(user: string): Promise<Task> {
  const created = await client.POST("/api/{user_id}/tasks", {
    params: { path: { user_id: user } },
    body: { title: "Buy milk", priority: "high", tags: ["errands"], due_at: "2026-11-28T18:00:00+01:00" } satisfies NewTask,
  });
  if (created.error) throw new Error(created.error.detail);
  const task: Task = created.data;

  const listed = await client.GET("/api/{user_id}/tasks", {
    params: { path: { user_id: user }, query: { sort: "-created", limit: 10 } },
  });
  if (listed.error) throw new Error(listed.error.detail);
  const titles: string[] = listed.data.map((one) => one.title);
  console.log(titles);

  const patched = await client.PATCH("/api/{user_id}/tasks/{task_id}", {
    params: { path: { user_id: user, task_id: task.id } },
    body: { title: "Buy oat milk", tags: null } satisfies Changes,
  });
  if (patched.error) throw new Error(patched.error.detail);

  const completed = await client.PATCH("/api/{user_id}/tasks/{task_id}/complete", {
    params: { path: { user_id: user, task_id: patched.data.id } },
    body: { completed: true } satisfies Completion,
  });
  if (completed.error) throw new Error(completed.error.detail);
  const done: boolean = completed.data.completed;
  console.log(done, completed.data.completed_at);
  return completed.data;
}
