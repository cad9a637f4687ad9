import { test } from 'node:test';
import { storeContract } from './contract.js';
import { PG_URL, postgresDatabase, reachable } from './databases.js';
import { driverSpecificPgTests } from './postgres-resilience.js';

if (await reachable('postgres')) {
  storeContract('postgres', postgresDatabase);
  driverSpecificPgTests();
} else if (process.env.CI === 'true') {
  test('PostgreSQL is reachable (required under CI)', () => {
    throw new Error(`PostgreSQL unreachable at ${PG_URL}`);
  });
} else {
  console.warn(`SKIPPED: PostgreSQL unreachable at ${PG_URL} (set GATEHOUSE_TEST_PG_URL; under CI=true this fails)`);
  test.skip(`store contract: postgres (unreachable at ${PG_URL})`);
}
