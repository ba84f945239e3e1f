// The README's flow from TypeScript: log in, list the catalog best rated first, and refresh the
// pair once when the access token has expired, branching on the error's code, never its text.
// schema.d.ts is generated from the live schema by openapi-typescript (the test does it).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Token = components["schemas"]["Token"];

const API = process.env.API ?? "http://127.0.0.1:8000";
const client = createClient<paths>({ baseUrl: API });

async function logIn(email: string, password: string): Promise<Token> {
  const { data, response } = await client.POST("/api/auth/login/", { body: { email, password } });
  if (data === undefined) throw new Error(`Login refused: ${response.status}`);
  return data;
}

async function bestRated(start: Token): Promise<{ titles: string[]; token: Token }> {
  let token = start;
  for (let attempt = 0; attempt < 2; attempt++) {
    const { data, error } = await client.GET("/api/movies/", {
      params: { query: { ordering: ["-rating", "title"] } },
      headers: { Authorization: `Bearer ${token.access_token}` },
    });
    if (data !== undefined) return { titles: data.results.map((movie) => movie.title), token };
    if (!(error !== undefined && "code" in error && error.code === "token_expired")) {
      throw new Error("Cannot list movies");
    }
    const renewed = await client.POST("/api/auth/refresh/", {
      body: { refresh_token: token.refresh_token },
    });
    if (renewed.data === undefined) throw new Error("Refresh refused: log in again");
    token = renewed.data;
  }
  throw new Error("The new access token expired at once");
}

// A pair to start from (the test passes an expired one), or a login.
const given = process.env.REFRESH_TOKEN;
const start: Token =
  given === undefined
    ? await logIn(process.env.EMAIL ?? "", process.env.PASSWORD ?? "")
    : {
        access_token: process.env.ACCESS_TOKEN ?? "",
        token_type: "Bearer",
        expires_in: 0,
        refresh_token: given,
        refresh_expires_in: 0,
        device_token: "",
      };
const { titles, token } = await bestRated(start);
console.log(JSON.stringify({ titles, renewed: token.refresh_token !== start.refresh_token }));
