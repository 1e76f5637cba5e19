// Where each role lands after signing in: the page its work starts on.

import { expect, test } from "vitest";
import { landingPath } from "./App";
import type { Permission } from "./api";

const ROLE_PERMISSIONS: Record<string, Permission[]> = {
  admin: ["users_read", "users_manage", "queues_supervise", "conversations_handle", "flows_manage", "audit_read"],
  supervisor: ["users_read", "queues_supervise", "conversations_handle", "flows_read"],
  agent: ["conversations_handle", "flows_read"],
  integrator: ["flows_read", "flows_manage", "conversations_read"],
  auditor: ["users_read", "api_keys_read", "audit_read", "audit_verify"],
};

test("every role lands where its work starts", () => {
  const landed = Object.fromEntries(Object.entries(ROLE_PERMISSIONS).map(([role, p]) => [role, landingPath(p)]));
  expect(landed).toEqual({
    admin: "/users",
    supervisor: "/supervisor",
    agent: "/desk",
    integrator: "/flows",
    auditor: "/audit",
  });
  expect(landingPath([])).toBe("/account");
});
