// The routing concern: normalise the request-target, then find the route that judges it.
export {
  normalizePath,
  MAX_PATH_BYTES,
  type NormalizePathResult,
  type NormalizedTarget,
  type RefusedTarget,
} from './normalize-path.js';
export { normalizeHost } from './normalize-host.js';
export { compilePathPattern, type PathMatcher, type PathPattern, type PathPatternKind, type CompilePathPatternResult } from './path-pattern.js';
export { segmentAmbiguity } from './ambiguous-segment.js';
export { compileRouteTable, type CompiledRoute, type RouteTable, type RouteTableOptions, type TargetPaths } from './route-table.js';
