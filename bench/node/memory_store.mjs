// In-memory storage for node-oidc-provider's models, unbounded, with expiry.
//
// The package's own development adapter is an LRU capped at 1,000 entries that also
// recomputes a grant's member list on every write: under load it evicts the signed-in
// session and grows slower per flow as a grant accumulates tokens. A server's store
// must keep what it issued, in constant time per operation, as Redis or a database
// would; this is that, in a Map.

const SWEEP_INTERVAL_MS = 30_000;
const GRANT_MEMBERS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

const entries = new Map(); // "Model:id" -> { payload, expiresAt }
const byGrant = new Map(); // grantId -> Set of "Model:id"
const sessionsByUid = new Map(); // session uid -> session id
const byUserCode = new Map(); // user code -> "Model:id"

function live(key) {
  const entry = entries.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt <= Date.now()) {
    forget(key);
    return undefined;
  }
  return entry.payload;
}

function forget(key) {
  const entry = entries.get(key);
  if (!entry) return;
  entries.delete(key);
  const { grantId, uid, userCode } = entry.payload;
  byGrant.get(grantId)?.delete(key);
  if (byGrant.get(grantId)?.size === 0) byGrant.delete(grantId);
  if (uid && key.startsWith('Session:')) sessionsByUid.delete(uid);
  if (userCode) byUserCode.delete(userCode);
}

setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of entries) {
    if (entry.expiresAt <= now) forget(key);
  }
}, SWEEP_INTERVAL_MS).unref();

export default class MemoryStore {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    forget(key);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    entries.set(key, { payload, expiresAt });
    if (GRANT_MEMBERS.has(this.model) && payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, new Set());
      byGrant.get(payload.grantId).add(key);
    }
    if (this.model === 'Session') sessionsByUid.set(payload.uid, id);
    if (payload.userCode) byUserCode.set(payload.userCode, key);
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    const id = sessionsByUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const key = byUserCode.get(userCode);
    return key === undefined ? undefined : live(key);
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    forget(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of [...(byGrant.get(grantId) ?? [])]) forget(key);
    byGrant.delete(grantId);
  }
}
