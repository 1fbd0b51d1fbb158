import type { DatabasePlugin, DeleteUserRequest, NewUserRequest, RenewUserRequest } from "../../src/index.js";
import { PluginError } from "../../src/errors.js";

/** An in-memory stand-in for a database, for unit tests of the pure core only. */
export class FakeDatabase {
  readonly users = new Map<string, { password: string; expiration: Date }>();
  failNextCreate = false;
  failDeletes = false;
  deleteCalls = 0;
  /** Awaited by every user creation before the user exists: a test holds creations in flight with it. */
  beforeCreate: (() => Promise<void>) | undefined;

  factory = (): DatabasePlugin => {
    const db = this;
    return {
      name: "fake-database-plugin",
      maxUsernameBytes: 63,
      async initialize() {},
      async newUser(request: NewUserRequest) {
        await db.beforeCreate?.();
        if (db.failNextCreate) {
          db.failNextCreate = false;
          throw new PluginError("creating the database user failed: boom");
        }
        db.users.set(request.username, { password: request.password, expiration: request.expiration });
      },
      async renewUser(request: RenewUserRequest) {
        const user = db.users.get(request.username);
        if (user) user.expiration = request.expiration;
      },
      async deleteUser(request: DeleteUserRequest) {
        db.deleteCalls++;
        if (db.failDeletes) throw new PluginError("revoking the database user failed: database unreachable");
        db.users.delete(request.username);
      },
      async close() {},
    };
  };
}
