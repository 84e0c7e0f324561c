// Runs before every test file (vitest setupFiles): the tests are an entry point like the server and
// the CLI, so they register the builtins through the composition root. Imported in a hook, after the
// test file's own imports, so a test file's vi.mock of a module the builtins use still applies.
import { beforeAll } from "vitest";

beforeAll(async () => {
  const { registerBuiltins } = await import("../../server/composition-root");
  registerBuiltins();
});
