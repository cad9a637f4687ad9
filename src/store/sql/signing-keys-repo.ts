import type { SigningKey, SigningKeysRepo } from '../store.js';
import type { SqlRow } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { ms, toDate } from './rows.js';

const COLUMNS = ['kid', 'generation', 'alg', 'public_jwk', 'private_jwk', 'created_at', 'activates_at'] as const;

function rowToKey(r: SqlRow): SigningKey {
  return {
    kid: String(r.kid), generation: Number(r.generation), alg: String(r.alg), publicJwk: String(r.public_jwk),
    sealedPrivateJwk: String(r.private_jwk), createdAt: toDate(r.created_at), activatesAt: toDate(r.activates_at),
  };
}

/** Signing keys over any SQL driver: a rotation is an insert of the next generation, which only one replica wins. */
export function signingKeysRepo(ctx: RepoContext): SigningKeysRepo {
  const { q, dialect } = ctx;
  return {
    async list() {
      return (await q.all('SELECT * FROM signing_keys ORDER BY generation', [])).map(rowToKey);
    },
    async insert(key) {
      const inserted = await q.run(dialect.insertIgnore('signing_keys', COLUMNS, 1), [
        key.kid, key.generation, key.alg, key.publicJwk, key.sealedPrivateJwk, ms(key.createdAt), ms(key.activatesAt),
      ]);
      return inserted > 0;
    },
    async deleteGenerationsBelow(generation) {
      return q.run('DELETE FROM signing_keys WHERE generation < ?', [generation]);
    },
  };
}
