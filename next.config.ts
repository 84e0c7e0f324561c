import type { NextConfig } from "next";

const config: NextConfig = {
  // Native and Node-only packages stay outside the server bundle.
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3", "mysql2", "pino", "nodemailer", "tar-stream"],
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default config;
