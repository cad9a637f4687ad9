/** The text of `gatehouse --help`. */
export const USAGE = `Usage: gatehouse <command> [options]

Commands:
  serve           run the sidecar in the foreground
  check-config    validate a configuration file; prints "ok" or every problem, one per line
  demo            run the sidecar in front of a small bundled demo app (what \`npm start\` does)

Options:
  --config FILE   configuration file (default: config/gatehouse.yaml)
  --help, -h      show this help
  --version, -v   print the version

Exit codes: 0 success, 1 invalid configuration or failure, 2 usage error.`;
