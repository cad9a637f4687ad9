/** The text of `gatehouse --help`. */
export const USAGE = `Usage: gatehouse <command> [options]

Commands:
  serve           run the sidecar in the foreground
  check-config    validate a configuration file; prints "ok" or every problem, one per line
  demo            run the sidecar in front of a small bundled demo app (what \`npm start\` does)
  migrate         apply pending database migrations
  user add --email E [--name N] [--role R]... [--password-stdin]
                  create a user (the password is read from standard input)
  user roles --email E [--add R]... [--remove R]...
                  change a user's roles
  user disable --email E
                  disable a user and end all their sessions
  user set-password --email E --password-stdin
                  set a user's password (read from standard input) and end all their sessions
  user verify-email --email E
                  mark a user's email address as confirmed
  user reset-mfa --email E
                  remove a user's second factors (authenticator app, passkeys, recovery codes)
  keys rotate [--now]
                  add the next key that signs identity assertions (published at once; signs after
                  signed_identity.keys.jwks_max_age, or at once with --now)
  keys list       print the signing keys kept in the store
  hash-password   read a password on standard input, print its Argon2id hash
  templates --out DIR
                  write the built-in page and mail templates, to customise (pages.templates_dir, mail.templates_dir)

Options:
  --config FILE   configuration file (default: config/gatehouse.yaml)
  --help, -h      show this help
  --version, -v   print the version

Exit codes: 0 success, 1 invalid configuration or failure, 2 usage error.`;
