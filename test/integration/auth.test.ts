import { describe, expect, it } from "vitest";
import { authenticate, resetLoginRateLimit } from "../../server/auth/authenticate";
import { needsSetup, seedAdminFromEnv } from "../../server/users/setup";
import { callerAs, failure, useTempCatalog } from "../helpers/catalog";

useTempCatalog();

describe("first admin and sign-in", () => {
  it("setup creates the first admin once, then refuses", async () => {
    expect((await callerAs(null).setup.status()).needsSetup).toBe(true);
    const bad = await failure(() => callerAs(null).setup.createFirstAdmin({ email: "not-an-email", password: "long-enough-1" }));
    expect(bad.fieldErrors?.email?.[0]).toMatch(/valid email/);
    const admin = await callerAs(null).setup.createFirstAdmin({ email: "Root@Example.test", password: "long-enough-1" });
    expect(admin.role).toBe("admin");
    expect(admin.email).toBe("root@example.test");
    const again = await failure(() => callerAs(null).setup.createFirstAdmin({ email: "evil@example.test", password: "long-enough-1" }));
    expect(again.code).toBe("PRECONDITION_FAILED");
    expect(await needsSetup()).toBe(false);
  });

  it("the env pre-seed does nothing once a user exists", async () => {
    process.env.DBBACKUP_ADMIN_EMAIL = "env@example.test";
    process.env.DBBACKUP_ADMIN_PASSWORD = "env-password-1";
    try {
      expect(await seedAdminFromEnv()).toBe(false);
    } finally {
      delete process.env.DBBACKUP_ADMIN_EMAIL;
      delete process.env.DBBACKUP_ADMIN_PASSWORD;
    }
  });

  it("authenticates, and locks an email after 5 failures", async () => {
    resetLoginRateLimit();
    const u = await authenticate("root@example.test", "long-enough-1", "10.0.0.1");
    expect(u.role).toBe("admin");
    for (let i = 0; i < 5; i++) await expect(authenticate("root@example.test", "wrong", `10.0.0.${i + 2}`)).rejects.toThrow(/Wrong email or password/);
    await expect(authenticate("root@example.test", "long-enough-1", "10.0.0.99")).rejects.toThrow(/Too many failed sign-in attempts/);
    resetLoginRateLimit();
  });

  it("locks a client address that guesses many accounts", async () => {
    resetLoginRateLimit();
    for (let i = 0; i < 5; i++) await expect(authenticate(`guess${i}@example.test`, "x", "10.9.9.9")).rejects.toThrow(/Wrong/);
    await expect(authenticate("root@example.test", "long-enough-1", "10.9.9.9")).rejects.toThrow(/Too many/);
    expect((await authenticate("root@example.test", "long-enough-1", "10.1.1.1")).email).toBe("root@example.test");
  });

  it("the last admin cannot be demoted or disabled", async () => {
    const { db } = await import("../../server/db/client");
    const admin = (await db().user.findFirst({ where: { role: "admin" } }))!;
    const me = { id: admin.id, email: admin.email, name: "", role: "admin" as const };
    const demote = await failure(() => callerAs(me).users.setRole({ userId: admin.id, role: "viewer" }));
    expect(demote.message).toMatch(/last active admin/);
    const disable = await failure(() => callerAs(me).users.setDisabled({ userId: admin.id, disabled: true }));
    expect(disable.message).toMatch(/cannot disable your own account/);
  });
});
