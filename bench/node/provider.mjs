// node-oidc-provider configured like tessera, as the benchmark's peer.
//
// Same contract as tessera: PKCE S256 required, RS256 (or ES256) ID tokens, RFC 9068
// JWT access tokens for one API audience (resource indicators), refresh tokens on
// offline_access that rotate on every use, in-memory storage. The login and consent
// pages are the smallest a program can complete: one form each, no scripts.
//
// Started by bench/servers/peer.py with BENCH_PEER_CONFIG (JSON): issuer, port,
// modules (the npm prefix holding oidc-provider), user, clients, apis.

import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import MemoryStore from './memory_store.mjs';

const config = JSON.parse(process.env.BENCH_PEER_CONFIG);
const require = createRequire(`${config.modules}/`);
const { default: Provider, errors } = await import(
  pathToFileURL(require.resolve('oidc-provider')).href
);

const DAY = 24 * 60 * 60;
const apis = new Map(config.apis.map((api) => [api.identifier, api]));
const { user } = config;

function signingKey(kid, alg, type, options) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

function sameSecret(given, expected) {
  const a = Buffer.from(String(given ?? ''));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const provider = new Provider(config.issuer, {
  adapter: MemoryStore,
  clients: config.clients,
  jwks: {
    keys: [
      signingKey('rs256', 'RS256', 'rsa', { modulusLength: 2048 }),
      signingKey('es256', 'ES256', 'ec', { namedCurve: 'P-256' }),
    ],
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
  scopes: ['openid', 'offline_access'],
  async findAccount(ctx, sub) {
    if (sub !== user.sub) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: user.name, preferred_username: user.username };
      },
    };
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The token request need not repeat the resource the user consented to.
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, identifier) {
        const api = apis.get(identifier);
        if (!api) throw new errors.InvalidTarget();
        return {
          scope: api.scope,
          audience: identifier,
          accessTokenTTL: DAY,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: api.alg } },
        };
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // The driver always asks for offline_access, as tessera's clients do. node-oidc-provider
  // drops that scope without prompt=consent (OpenID Connect Core 11), which would force
  // the consent page on every request; tessera instead honours remembered consent. To
  // do the same work per flow, issue the refresh token to every client allowed one.
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  // tessera rotates a refresh token on every use.
  rotateRefreshToken: () => true,
  ttl: {
    AccessToken: DAY,
    AuthorizationCode: 60,
    ClientCredentials: DAY,
    IdToken: 36000,
    RefreshToken: 30 * DAY,
    Grant: 365 * DAY,
    Session: 7 * DAY,
    Interaction: 900,
  },
  clientBasedCORS: () => false,
});

function page(title, action, fields, button) {
  return `<!doctype html><title>${title}</title><form method="post" action="${action}">`
    + `${fields}<button type="submit">${button}</button></form>`;
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Grant exactly what the consent prompt says is missing, as a user clicking Allow would.
async function consent(details) {
  const { accountId } = details.session;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const base = `/interaction/${details.uid}`;
  const prompt = details.prompt.name;
  if (req.method === 'GET' && prompt === 'login') {
    const fields = '<input name="username"><input type="password" name="password">';
    return send(res, 200, page('Sign in', `${base}/login`, fields, 'Sign in'));
  }
  if (req.method === 'GET' && prompt === 'consent') {
    return send(res, 200, page('Allow access', `${base}/consent`, '', 'Allow'));
  }
  if (req.method === 'POST' && req.url === `${base}/login`) {
    const submitted = await readForm(req);
    if (submitted.get('username') !== user.username
      || !sameSecret(submitted.get('password'), user.password)) {
      return send(res, 401, page('Sign in', `${base}/login`, '', 'Try again'));
    }
    const result = { login: { accountId: user.sub } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  if (req.method === 'POST' && req.url === `${base}/consent`) {
    const result = { consent: { grantId: await consent(details) } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  }
  return send(res, 404, 'not found');
}

const callback = provider.callback();
const server = createServer((req, res) => {
  if (!req.url.startsWith('/interaction/')) return callback(req, res);
  return interaction(req, res).catch((err) => {
    console.error(err);
    send(res, 400, 'interaction failed');
  });
});
server.listen(config.port, '127.0.0.1', () => {
  console.log(`node-oidc-provider listening on ${config.issuer}`);
});
