// Runs once when the Next.js server starts (Node.js runtime): prepares the catalog, seeds the first
// admin from the environment and starts the embedded runner.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServerServices } = await import("./server/startup");
  await startServerServices();
}
