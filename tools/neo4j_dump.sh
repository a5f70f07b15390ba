#!/bin/sh
# Dump or load famgraph's Neo4j database with neo4j-admin (Neo4j 5), beside a famgraph
# backup of the store folder (audit log, users, keys). docs/deployment.md says when.
#
#   tools/neo4j_dump.sh dump DATABASE DIR     writes DIR/DATABASE.dump
#   tools/neo4j_dump.sh load DATABASE DIR     replaces DATABASE with DIR/DATABASE.dump
#
# Community edition dumps and loads a stopped database only: the script stops Neo4j
# (systemctl, unit NEO4J_UNIT, default neo4j) and starts it again, whatever happens.
# Enterprise can instead back up online: neo4j-admin database backup.
set -eu

action=${1:?dump or load}
database=${2:?database name, e.g. neo4j}
folder=${3:?folder for the dump file}
unit=${NEO4J_UNIT:-neo4j}
admin=${NEO4J_ADMIN:-neo4j-admin}

systemctl stop "$unit"
trap 'systemctl start "$unit"' EXIT

case "$action" in
  dump)
    mkdir -p "$folder"
    "$admin" database dump "$database" --to-path="$folder" --overwrite-destination=true
    ;;
  load)
    "$admin" database load "$database" --from-path="$folder" --overwrite-destination=true
    ;;
  *)
    echo "usage: $0 dump|load DATABASE DIR" >&2
    exit 2
    ;;
esac
