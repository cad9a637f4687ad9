#!/usr/bin/env bash
# Makes sure the local PostgreSQL and MariaDB the tests use are running (this machine kind starts them before a
# session, but a test or a crash may have stopped them). Waits until each answers.
set -uo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432"; exit 1; }

mariadb_up() { mariadb -h 127.0.0.1 -P 3306 -u root -e 'select 1' >/dev/null 2>&1; }
if ! mariadb_up; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for _ in $(seq 1 60); do mariadb_up && break; sleep 0.5; done
mariadb_up || { echo "MariaDB is not reachable on 127.0.0.1:3306"; exit 1; }
echo "PostgreSQL and MariaDB are up"
