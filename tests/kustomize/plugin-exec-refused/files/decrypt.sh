#!/bin/sh
echo "this must never run" >&2
exit 1
