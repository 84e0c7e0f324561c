import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { derivedKey } from "../catalog-secrets/key";
import { errorMessage } from "../errors";
import { authenticate, loadSessionUser } from "./authenticate";

// The app works behind any host name and port without configuration; set NEXTAUTH_URL to pin it.
process.env.AUTH_TRUST_HOST ||= "true";

function clientIp(headers: Record<string, string | string[] | undefined> | undefined): string {
  const fwd = headers?.["x-forwarded-for"];
  const v = Array.isArray(fwd) ? fwd[0] : fwd;
  return v?.split(",")[0]?.trim() || "local";
}

export function authOptions(): NextAuthOptions {
  return {
    secret: process.env.NEXTAUTH_SECRET || derivedKey("next-auth").toString("base64"),
    session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
    pages: { signIn: "/login" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, req) {
          if (!credentials?.email || !credentials.password) throw new Error("Enter your email and password.");
          try {
            const u = await authenticate(credentials.email, credentials.password, clientIp(req?.headers as never));
            return { id: u.id, email: u.email, name: u.name };
          } catch (e) {
            // next-auth passes this message to the sign-in page
            throw new Error(errorMessage(e));
          }
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) token.sub = user.id;
        return token;
      },
      async session({ session, token }) {
        // Role and disabled state are read from the catalog on every request, never trusted from the token.
        const u = token.sub ? await loadSessionUser(token.sub) : null;
        return { ...session, user: u ?? undefined } as typeof session;
      },
    },
  };
}
