/** The package version, read from package.json beside dist/. */
export { packageVersion } from '../metrics/build-info.js';
