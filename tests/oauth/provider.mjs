// The OpenID provider that mcpctl's OAuth tests run against: oidc-provider 9.13.3 (panva) on 127.0.0.1.
//
//   node tests/oauth/provider.mjs [PORT] [--clients FILE]
//
// PORT 0 (the default) picks a free port. The first line on stdout is the issuer, as JSON:
//   {"issuer":"http://127.0.0.1:PORT"}
// Everything else (warnings, the request log with OIDC_DEBUG=1) goes to stderr.
//
// What it serves (issuer-relative): /.well-known/openid-configuration and the same document at
// /.well-known/oauth-authorization-server (RFC 8414), /jwks, /auth (authorization code, PKCE S256 required for
// public clients), /token (authorization_code, refresh_token with rotation, client_credentials, device_code),
// /device/auth (device authorization), /reg (open dynamic registration), /token/introspection,
// /token/revocation, /me.
//
// Headless, for tests: nobody logs in and nobody consents. An authorization request that needs a login is sent
// (303) to /interaction/UID, which logs in the fixed account "alice" and sends (303) back to /auth/UID, which
// redirects (303) to the client's redirect_uri with code, state and iss. No cookie is needed on the way: when
// /auth/UID arrives without the resume (or session) cookie, it is supplied from the UID in the path (and the
// interaction's session). A client that keeps cookies goes straight to the redirect_uri the second time. Consent is
// implicit (loadExistingGrant grants what was asked for; the consent oidc-provider forces on native clients is off).
// Redirect URIs: exact match, except that for application_type "native" clients (oidc-provider's own rule, RFC 8252
// §7.3) the port of an http loopback URI (127.0.0.1, localhost, [::1]) may differ: http://127.0.0.1/callback
// registered admits http://127.0.0.1:ANY/callback; another path, host or scheme is refused (400, no redirect).
// The device flow's own pages work too, for a client that keeps cookies (its form carries an xsrf token bound to
// the session cookie): GET verification_uri_complete, POST the form, POST the confirm form (confirm=yes) -> the same
// automatic login -> "Sign-in Success". Quicker, test-only: POST /test/device/approve with user_code=CODE (form or
// JSON; add action=deny to refuse) approves a pending device authorization as alice.
//
// Resource indicators (RFC 8707): any http(s) URL on a loopback host is a resource server with the scopes
// "mcp:read mcp:write"; its access tokens are RS256 JWTs (RFC 9068) with aud = that URL, verifiable with /jwks.
// Without a resource parameter access tokens are opaque. Introspection and revocation take opaque tokens only
// (refresh tokens are always opaque); a JWT access token there is 400 unsupported_token_type: it just expires.
// Reusing a rotated refresh token revokes the whole grant (its newest refresh token too).
//
// Environment:
//   OIDC_ACCESS_TTL     access-token lifetime in seconds (default 60; tests use 2-5)
//   OIDC_REFRESH_TTL    refresh-token lifetime in seconds (default 86400)
//   OIDC_CLIENTS        the clients file (same as --clients; default: clients.json beside this file), a JSON list
//                       of client metadata as oidc-provider takes it
//   OIDC_NODE_MODULES   the node_modules folder holding oidc-provider (default: $MCPCTL_OIDC/node_modules when
//                       MCPCTL_OIDC is set, else node_modules beside this file)
//   OIDC_DEBUG=1        log every request to stderr
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ACCOUNT = 'alice';
const RESOURCE_SCOPES = 'mcp:read mcp:write';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function parseArgs(argv) {
  const args = { port: 0, clients: process.env.OIDC_CLIENTS || join(HERE, 'clients.json') };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--clients') {
      args.clients = argv[i + 1];
      i += 1;
    } else if (/^\d+$/.test(argv[i])) {
      args.port = Number(argv[i]);
    } else {
      throw new Error(`usage: provider.mjs [PORT] [--clients FILE] (unexpected ${JSON.stringify(argv[i])})`);
    }
  }
  return args;
}

function seconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number of seconds`);
  return value;
}

async function loadProvider() {
  const modules = process.env.OIDC_NODE_MODULES
    || (process.env.MCPCTL_OIDC ? join(process.env.MCPCTL_OIDC, 'node_modules') : join(HERE, 'node_modules'));
  const entry = join(modules, 'oidc-provider', 'lib', 'index.js');
  try {
    return await import(pathToFileURL(entry).href);
  } catch (cause) {
    throw new Error(`cannot load oidc-provider from ${entry}: run tests/oauth/install.sh DIR and set MCPCTL_OIDC=DIR`, { cause });
  }
}

// A fresh signing key per run: tokens from an earlier run never verify.
function signingKeys() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'mcpctl-test-rs256', use: 'sig', alg: 'RS256' }] };
}

function isLoopbackResource(indicator) {
  const url = URL.parse(indicator);
  return url !== null && ['http:', 'https:'].includes(url.protocol) && LOOPBACK_HOSTS.has(url.hostname) && !url.hash;
}

// Grant what was asked for: the OIDC scopes requested and, per resource, the requested scopes it offers.
function grantRequested(ctx, grant) {
  const requested = ctx.oidc.requestParamScopes;
  const oidcScopes = [...ctx.oidc.requestParamOIDCScopes].join(' ');
  if (oidcScopes) grant.addOIDCScope(oidcScopes);
  for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers)) {
    const scopes = server.scope.split(' ').filter((scope) => requested.has(scope)).join(' ');
    if (scopes) grant.addResourceScope(indicator, scopes);
  }
}

async function loadExistingGrant(ctx) {
  const { provider, client, session } = ctx.oidc;
  const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
  const grant = (grantId && await provider.Grant.find(grantId))
    || new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
  grantRequested(ctx, grant);
  await grant.save();
  return grant;
}

function findAccount(_ctx, sub) {
  if (sub !== ACCOUNT) return undefined;
  return {
    accountId: sub,
    claims: () => ({ sub, name: 'Alice Test', email: 'alice@example.test', email_verified: true }),
  };
}

// The base policy (login, then consent when something is missing), less the consent oidc-provider forces on
// every native client: nobody is there to give it.
function headlessPolicy(interactionPolicy) {
  const policy = interactionPolicy.base();
  policy.get('consent').checks.remove('native_client_prompt');
  return policy;
}

function configuration(clients, keys, policy) {
  const accessTtl = seconds('OIDC_ACCESS_TTL', 60);
  const refreshTtl = seconds('OIDC_REFRESH_TTL', 86400);
  return {
    clients,
    jwks: keys,
    findAccount,
    loadExistingGrant,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'offline_access', 'mcp:read', 'mcp:write'],
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => true,
    // Tokens outlive the (cookie-less) browser session; refresh tokens for every client allowed the grant.
    expiresWithSession: () => false,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: { required: () => true },
    ttl: {
      AccessToken: accessTtl,
      ClientCredentials: accessTtl,
      RefreshToken: refreshTtl,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Grant: refreshTtl,
      IdToken: 3600,
      Interaction: 600,
      Session: 86400,
    },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      registration: { enabled: true, initialAccessToken: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (!isLoopbackResource(indicator)) throw new InvalidTarget();
          return {
            scope: RESOURCE_SCOPES,
            audience: indicator,
            accessTokenTTL: accessTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  };
}

let InvalidTarget;

function epochTime() {
  return Math.floor(Date.now() / 1000);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] || '').includes('application/json')) return text ? JSON.parse(text) : {};
  return Object.fromEntries(new URLSearchParams(text));
}

// GET /interaction/UID: log alice in (and consent, should a consent prompt still come up); 303 back to /auth/UID.
async function completeInteraction(provider, ctx, uid) {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) {
    ctx.status = 400;
    ctx.body = { error: 'invalid_request', error_description: 'interaction not found or expired' };
    return;
  }
  const { prompt, params } = interaction;
  if (process.env.OIDC_DEBUG === '1') process.stderr.write(`provider: interaction ${uid}: ${JSON.stringify(prompt)}\n`);
  if (prompt.name === 'login') {
    interaction.result = { login: { accountId: ACCOUNT } };
  } else {
    const grant = (interaction.grantId && await provider.Grant.find(interaction.grantId))
      || new provider.Grant({ accountId: interaction.session?.accountId || ACCOUNT, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    interaction.result = { consent: { grantId: await grant.save() } };
  }
  await interaction.save(interaction.exp - epochTime());
  ctx.status = 303;
  ctx.set('Location', interaction.returnTo);
  ctx.body = '';
}

// POST /test/device/approve user_code=CODE [action=deny]: what a person at the verification page would do.
async function approveDevice(provider, ctx) {
  const body = await readBody(ctx.req);
  const userCode = String(body.user_code || '').replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  const code = userCode && await provider.DeviceCode.findByUserCode(userCode, { ignoreExpiration: true });
  if (!code || code.isExpired || code.accountId || code.error) {
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: 'no pending device authorization with that user_code' };
    return;
  }
  if (body.action === 'deny') {
    Object.assign(code, { error: 'access_denied', errorDescription: 'the test denied the device authorization' });
    await code.save();
    ctx.body = { denied: true };
    return;
  }
  const client = await provider.Client.find(code.clientId);
  const requested = new Set((code.params.scope || '').split(' ').filter(Boolean));
  const resources = [code.params.resource || []].flat();
  const grant = new provider.Grant({ accountId: ACCOUNT, clientId: client.clientId });
  const oidcScopes = [...requested].filter((scope) => ['openid', 'offline_access'].includes(scope));
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
  const granted = new Set(oidcScopes);
  for (const indicator of resources) {
    if (!isLoopbackResource(indicator)) continue;
    const scopes = RESOURCE_SCOPES.split(' ').filter((scope) => requested.has(scope));
    if (scopes.length) grant.addResourceScope(indicator, scopes.join(' '));
    scopes.forEach((scope) => granted.add(scope));
  }
  Object.assign(code, {
    accountId: ACCOUNT,
    authTime: epochTime(),
    grantId: await grant.save(),
    scope: [...granted].join(' '),
  });
  if (resources.length === 1) [code.resource] = resources;
  else if (resources.length > 1) code.resource = resources;
  await code.save();
  ctx.body = { approved: true, account: ACCOUNT };
}

function addCookie(ctx, name, value) {
  const cookie = `${name}=${value}`;
  ctx.req.headers.cookie = ctx.req.headers.cookie ? `${ctx.req.headers.cookie}; ${cookie}` : cookie;
}

// A cookie-less client resuming an authorization at /auth/UID: the UID in the path names the resume cookie, and
// the interaction names the session it was started in (if any), so supply what a browser would have sent.
async function supplyResumeCookies(provider, ctx, uid) {
  if (!ctx.cookies.get(provider.cookieName('resume'))) addCookie(ctx, provider.cookieName('resume'), uid);
  const interaction = await provider.Interaction.find(uid);
  const session = interaction?.session?.cookie;
  if (session && !ctx.cookies.get(provider.cookieName('session'))) addCookie(ctx, provider.cookieName('session'), session);
}

function testRoutes(provider) {
  return async (ctx, next) => {
    if (process.env.OIDC_DEBUG === '1') process.stderr.write(`provider: ${ctx.method} ${ctx.url}\n`);
    const interaction = ctx.path.match(/^\/interaction\/([^/]+)$/);
    if (interaction && ctx.method === 'GET') {
      await completeInteraction(provider, ctx, interaction[1]);
      return;
    }
    if (ctx.path === '/test/device/approve' && ctx.method === 'POST') {
      await approveDevice(provider, ctx);
      return;
    }
    if (ctx.path === '/.well-known/oauth-authorization-server') {
      ctx.path = '/.well-known/openid-configuration';
    }
    const resume = ctx.path.match(/^\/auth\/([^/]+)$/);
    if (resume) await supplyResumeCookies(provider, ctx, resume[1]);
    await next();
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { Provider, errors, interactionPolicy } = await loadProvider();
  ({ InvalidTarget } = errors);
  const clients = JSON.parse(readFileSync(args.clients, 'utf8'));

  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration(clients, signingKeys(), headlessPolicy(interactionPolicy)));
  provider.use(testRoutes(provider));
  provider.on('server_error', (_ctx, err) => process.stderr.write(`provider: server_error: ${err.stack}\n`));
  server.on('request', provider.callback());

  // Nothing to flush (the store is in memory): stop at once, open keep-alive connections or not.
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
}

main().catch((err) => {
  process.stderr.write(`provider.mjs: ${err.stack || err}\n`);
  process.exit(1);
});
