#!/usr/bin/env bash
# Bad input to the jetimg tool: one clear message, a non-zero exit, no crash.
set -u
jetimg="$1"
echo "placeholder $jetimg"
