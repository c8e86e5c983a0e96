// The relying party of the interop test: panva's openid-client (v6) against tessera.
//
// Configuration comes as JSON in INTEROP_CONFIG: modules (the npm prefix holding
// openid-client), issuer, clientId, idTokenAlg, redirectUri, scope, audience. The person's part
// happens outside, so the script talks over stdio, one JSON object a line:
//   stdout  {"authorization_url", "nonce", "state"}
//   stdin   the URL the browser was redirected to
//   stdout  what each step returned (or {"error"} and exit code 1)

import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(process.env.INTEROP_CONFIG);
const require = createRequire(`${config.modules}/`);
const client = await import(pathToFileURL(require.resolve('openid-client')).href);

const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function nextLine() {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new Error('stdin closed before the callback URL arrived');
}

// What a failed refresh said: the OAuth error code from the token endpoint.
async function refreshError(server, refreshToken) {
  try {
    await client.refreshTokenGrant(server, refreshToken);
    return null;
  } catch (error) {
    return error.error ?? error.code ?? error.message;
  }
}

async function flow() {
  // The issuer is plain http on loopback; openid-client refuses that unless told.
  const server = await client.discovery(
    new URL(config.issuer),
    config.clientId,
    { id_token_signed_response_alg: config.idTokenAlg },
    client.None(),
    { execute: [client.allowInsecureRequests] },
  );
  const codeVerifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(server, {
    redirect_uri: config.redirectUri,
    scope: config.scope,
    audience: config.audience,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  say({ authorization_url: url.href, nonce, state });

  const callback = new URL(await nextLine());
  const tokens = await client.authorizationCodeGrant(server, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedNonce: nonce,
    expectedState: state,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(server, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(server, tokens.refresh_token);
  const userinfoAfterRefresh = await client.fetchUserInfo(
    server,
    refreshed.access_token,
    claims.sub,
  );
  return {
    metadata: server.serverMetadata(),
    tokens,
    id_token_claims: claims,
    userinfo,
    refreshed,
    refreshed_id_token_claims: refreshed.claims() ?? null,
    userinfo_after_refresh: userinfoAfterRefresh,
    reused_refresh_token_error: await refreshError(server, tokens.refresh_token),
  };
}

try {
  say(await flow());
} catch (error) {
  const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : null;
  say({ error: `${error.name}: ${error.message}`, code: error.code ?? null, cause });
  process.exitCode = 1;
}
