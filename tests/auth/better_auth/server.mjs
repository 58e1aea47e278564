// A real Better Auth server for the tests: email and password sign-in, the JWT plugin, the in-memory
// adapter. PORT, BETTER_AUTH_SECRET; EXPIRATION_TIME (the JWTs' lifetime, default 15m) and
// ROTATION_SECONDS (jwks.rotationInterval, default none) vary what a test needs.
import http from "node:http";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";

const port = Number(process.env.PORT);
const rotation = process.env.ROTATION_SECONDS;
const auth = betterAuth({
  baseURL: `http://127.0.0.1:${port}`,
  secret: process.env.BETTER_AUTH_SECRET,
  database: memoryAdapter({ user: [], session: [], account: [], verification: [], jwks: [] }),
  emailAndPassword: { enabled: true },
  plugins: [
    jwt({
      jwks: rotation ? { rotationInterval: Number(rotation), gracePeriod: 3600 } : {},
      jwt: { expirationTime: process.env.EXPIRATION_TIME ?? "15m" },
    }),
  ],
});

http.createServer(toNodeHandler(auth)).listen(port, "127.0.0.1", () => console.log("listening"));
