#!/bin/bash
# SPDX-License-Identifier: MIT
# Run a command (the storage suite) against a throwaway PostgreSQL.
set -eu
. "$(dirname "$0")/../lib/pg.sh"
pg_start
"$@"
