// A machine client of the interop test: panva's openid-client (v6) with its defaults for
// a confidential client, which send the secret in the body (client_secret_post).
//
// Configuration comes as JSON in INTEROP_CONFIG: modules (the npm prefix holding
// openid-client), issuer, clientId, clientSecret, audience. The script prints one JSON
// object: the client_credentials token response and what introspection said of the
// token (or {"error"} and exit code 1).

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(process.env.INTEROP_CONFIG);
const require = createRequire(`${config.modules}/`);
const client = await import(pathToFileURL(require.resolve('openid-client')).href);

const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function machine() {
  // A secret and no authentication method: openid-client picks client_secret_post.
  const server = await client.discovery(
    new URL(config.issuer),
    config.clientId,
    config.clientSecret,
    undefined,
    { execute: [client.allowInsecureRequests] },
  );
  const tokens = await client.clientCredentialsGrant(server, { audience: config.audience });
  const introspection = await client.tokenIntrospection(server, tokens.access_token);
  return { tokens, introspection };
}

try {
  say(await machine());
} catch (error) {
  const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : null;
  say({ error: `${error.name}: ${error.message}`, code: error.code ?? null, cause });
  process.exitCode = 1;
}
