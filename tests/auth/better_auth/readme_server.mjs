// Serves the Better Auth set-up the README shows (written to readme-auth.mjs by
// tests/auth/test_readme_setup.py), as a Next.js route would: PORT, BETTER_AUTH_URL, BETTER_AUTH_SECRET.
import http from "node:http";
import { toNodeHandler } from "better-auth/node";
import { auth } from "./readme-auth.mjs";

http.createServer(toNodeHandler(auth)).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
