"""`make bench`: the mock against Stoplight Prism and a bare Starlette ceiling, plus start-up and scale.

Modules: `workloads` (what is sent, per API), `servers` (starting and probing the servers), `load` (wrk
with replay.lua, or `pyload`, the Python load generator), `ceiling` (the bare Starlette app), `scale` (big
states for the admin import), `report` (medians, targets, tables), `run` (the whole benchmark;
`python -m bench --help`), and `soak` (`make soak`: all five APIs under a steady load for a bounded time).
docs/benchmarks.md explains the method and holds the latest figures.
"""
