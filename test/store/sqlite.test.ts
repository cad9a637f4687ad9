import { storeContract } from './contract.js';
import { sqliteDatabase } from './databases.js';
import { sqliteContentionTests } from './sqlite-contention.js';

storeContract('sqlite', async () => sqliteDatabase());
sqliteContentionTests();
