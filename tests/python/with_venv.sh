#!/bin/sh
# Runs a Python script with the project's .venv (made by ./run) when it
# exists, else with python3; the scripts exit 77 (skip) when a package they
# need is missing.
p="$(dirname "$0")/../../.venv/bin/python"
[ -x "$p" ] || p=python3
exec "$p" "$@"
